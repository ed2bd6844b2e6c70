"""The code the interop matrix's Qt drivers (client.py and server.py) share:
one QWebSocket connection running one case, as a base class.

Not run by itself; the drivers import it (it puts interop/python on
sys.path for matrixspec):

    from qtcommon import CaseConnection, matrixspec
    class Case(CaseConnection):
        OTHER = "server"          # the other end, as the lines name it
        ANSWER_STAGE = "close"    # the step after this end sent its close
        MESSAGE_STAGE = "echo"    # the step in which a message may come

CaseConnection connects QWebSocket's signals, bounds every step by the
spec's timeout, keeps the first failed check, checks the pong and the other
end's close (Qt's closeCode()/closeReason() and aboutToClose, described in
the drivers' top comments), and prints the case's line when it is over. A
subclass starts the case, handles the messages it gets (got_message) and
says what comes after the line (after_finish).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import matrixspec  # noqa: E402

from PyQt6.QtCore import PYQT_VERSION_STR, QTimer, qVersion  # noqa: E402
from PyQt6.QtWebSockets import QWebSocketProtocol  # noqa: E402

PEER = "qt"


def version_line():
    """The driver's first line: Qt's and PyQt6's versions."""
    return f"version Qt {qVersion()} (PyQt6 {PYQT_VERSION_STR})"


def code_of(ws):
    """closeCode() as an int (PyQt6 gives an enum, also for codes it has no name for)."""
    c = ws.closeCode()
    return c.value if hasattr(c, "value") else int(c)


class CaseConnection:
    """One case on one QWebSocket; the subclass names the other end."""

    OTHER = "server"
    ANSWER_STAGE = "close"
    MESSAGE_STAGE = "echo"

    def __init__(self, spec, name, ws):
        self.spec = spec
        self.name = name
        self.ws = ws
        self.finished = False
        self.stage = "open"
        self.errors = []      # checks that failed; the first is reported
        self.detail = ""
        self.socket_errors = []
        self.close_sent = False  # aboutToClose seen: a close frame went out
        self.frames = 0       # frames of the message, counted from the frame signals
        self.message = spec.message(name)

        self.timer = QTimer()
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.on_timeout)

        ws.disconnected.connect(self.on_disconnected)
        ws.aboutToClose.connect(self.on_about_to_close)
        ws.error.connect(self.on_error)
        ws.textMessageReceived.connect(lambda s: self.on_message("text", s))
        ws.binaryMessageReceived.connect(lambda b: self.on_message("binary", bytes(b)))
        ws.textFrameReceived.connect(self.on_frame)
        ws.binaryFrameReceived.connect(self.on_frame)
        ws.pong.connect(self.on_pong)

    # --- steps -------------------------------------------------------------

    def step(self, stage):
        self.stage = stage
        self.timer.start(int(self.spec.timeout * 1000))

    def fail(self, why):
        if not self.errors:
            self.errors.append(why)

    def close_with(self, code, reason=""):
        self.step(self.ANSWER_STAGE)
        self.ws.close(QWebSocketProtocol.CloseCode(code), reason)

    def check_subprotocol(self):
        """Checks the handshake's subprotocol: the spec's chosen one in the
        subprotocol case, none in the others. Returns True for the
        subprotocol case and for a subprotocol where none belongs (the
        caller then only ends the case), False otherwise."""
        chosen = self.ws.subprotocol()
        if self.name == "subprotocol":
            if chosen != self.spec.chosen:
                self.fail(f"subprotocol {chosen!r}, want {self.spec.chosen!r}")
            else:
                self.detail = f"subprotocol {chosen}"
            return True
        if chosen:
            self.fail(f"subprotocol {chosen!r} chosen without an offer")
            return True
        return False

    def send(self, kind, data):
        if kind == "text":
            self.ws.sendTextMessage(data)
        else:
            self.ws.sendBinaryMessage(data)

    def check_message(self, data):
        """Checks a received message against the case's; returns its size
        in bytes when it is right, else None (the failure is kept)."""
        want_kind, want = self.message
        why = matrixspec.compare(want_kind, want, data)
        if why:
            self.fail(why)
            return None
        return len(want.encode()) if want_kind == "text" else len(want)

    # --- signals -----------------------------------------------------------

    def on_frame(self, _frame, _last):
        self.frames += 1

    def on_message(self, kind, data):
        if self.finished:
            return
        if self.stage != self.MESSAGE_STAGE:
            self.fail(f"unexpected {kind} message of {len(data)} units in step {self.stage}")
            return
        self.got_message(kind, data)

    def got_message(self, kind, data):
        raise NotImplementedError

    def on_pong(self, elapsed, payload):
        if self.finished:
            return
        payload = bytes(payload)
        if self.stage != "pong":
            self.fail(f"unexpected pong {payload!r} in step {self.stage}")
            return
        if payload != self.spec.ping_payload:
            self.fail(f"pong payload {payload!r}, want {self.spec.ping_payload!r}")
        else:
            self.detail = f"pong with the {len(payload)}-byte payload after {elapsed} ms"
        self.close_with(1000)

    def on_about_to_close(self):
        self.close_sent = True

    def on_error(self, err):
        if self.finished:
            return
        self.socket_errors.append(f"{err.name}: {self.ws.errorString()}")

    def on_disconnected(self):
        """Ends the case. Waiting for the other end's close (step "OTHER
        close"), checks that it came with 1000, or with the spec's code and
        reason in case close-by-OTHER; after this end's own close, Qt does
        not wait for the answer; in any other step it is a failure."""
        if self.finished:
            return
        other = self.OTHER
        code, reason = code_of(self.ws), self.ws.closeReason()
        errs = "; ".join(self.socket_errors) or "no error reported"
        if self.stage == f"{other} close":
            closed_by_other = self.name == f"close-by-{other}"
            want = (self.spec.close_code, self.spec.close_reason) if closed_by_other else (1000, "")
            if not self.close_sent:
                self.fail(f"connection ended without the {other}'s close frame ({errs})")
            elif (code, reason) != want:
                self.fail(f"{other} closed with {code} {reason!r}, want {want[0]} {want[1]!r}")
            elif closed_by_other:
                self.detail = f"closed by the {other} with {code} {reason!r}"
        elif self.stage != self.ANSWER_STAGE:
            how = f"close {code} {reason!r}" if self.close_sent else "no close frame"
            self.fail(f"disconnected in step {self.stage} ({how}; {errs})")
        self.finish()

    def on_timeout(self):
        if self.finished:
            return
        self.fail(f"timeout after {self.spec.timeout}s in step {self.stage}")
        self.finish()

    def finish(self):
        self.finished = True
        self.timer.stop()
        self.ws.blockSignals(True)
        self.ws.abort()
        self.ws.deleteLater()
        matrixspec.say(matrixspec.result_line(
            self.name, self.errors[0] if self.errors else None, self.detail))
        self.after_finish()

    def after_finish(self):
        """Called once the case's line is printed."""
