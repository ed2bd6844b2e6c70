"""The interop matrix's client driver for Qt: QWebSocket, through PyQt6.

usage: QT_QPA_PLATFORM=offscreen /usr/bin/python3 client.py ws://127.0.0.1:PORT [CASE...]

Runs the cases of interop/matrix.json (all of peer "qt"'s client cases when
none are named) one after another against the server at the base URL, each
on its own connection to ws://127.0.0.1:PORT/CASE, as interop/README.md
("The matrix") describes. Prints "version Qt X.Y.Z (PyQt6 A.B.C)" first,
then one line per case when its connection is over: "ok CASE", "ok CASE:
detail" or "FAIL CASE: what went wrong". Exits 0 when every case was ok,
1 otherwise (2 on bad usage).

Everything on the wire is Qt's: QWebSocket.open (with
QWebSocketHandshakeOptions for the subprotocol offer and QWebSocket's origin
argument for the Origin header), sendTextMessage/sendBinaryMessage, ping and
the pong signal, close(code, reason), closeCode()/closeReason(),
subprotocol(). Qt's outgoing frame size stays at its default (512 KiB), so
the 768 KiB and 1 MiB messages go out fragmented; Qt's incoming limits
(about 2 GiB by default) need no raising.

What Qt shows and what it does not (Qt 6.4.2):
- A refused handshake is an error signal (ConnectionRefusedError) whose
  errorString names the HTTP status ("QWebSocketPrivate::processHandshake:
  Unhandled http status code: 403 (Forbidden)."); origin-refused requires
  the 403 there. Qt leaves the TCP connection open after that until the
  server closes it, so the error ends the case, not disconnected.
- closeCode()/closeReason() hold the close frame that started the closing
  handshake: the server's when the server closed first, the client's own
  when the client did. Qt closes the TCP connection right after sending its
  close frame, without reading the server's answer, so for the cases the
  client closes only the server's side can check the close; here the case
  ends at the disconnected signal, within the time limit.
- closeCode() is 1000 also when no close frame came at all (the connection
  just dropped) and for a close frame without a code (which RFC 6455
  reports as 1005); the aboutToClose signal, which Qt emits when it sends a close
  frame (its answer to the server's included), tells a real close from a
  drop. A close frame without a code still reads as 1000.
- The pong signal carries the payload, and Qt answers the server's pings by
  itself (no signal for them).

Known Qt 6.4.2 fault: Qt cuts outgoing messages into 512 KiB frames at
any byte, also inside a UTF-8 character (RFC 6455 allows that), but its
receiver rejects a text frame that ends inside a character with 1007
"Invalid UTF-8 code encountered.", so Qt to Qt text-1048576 fails (wsx,
websockets and ws receive it fine; wsx cuts text at character boundaries).
"""

import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import matrixspec  # noqa: E402

from PyQt6.QtCore import PYQT_VERSION_STR, QCoreApplication, QTimer, QUrl, qVersion  # noqa: E402
from PyQt6.QtNetwork import QNetworkRequest  # noqa: E402
from PyQt6.QtWebSockets import (  # noqa: E402
    QWebSocket,
    QWebSocketHandshakeOptions,
    QWebSocketProtocol,
)

PEER = "qt"
ECHO_CASES_EXTRA = {"origin-allowed": ("text", "origin")}


def say(line):
    print(line, flush=True)


def describe_difference(got, want):
    """Why got (bytes) is not want (bytes): lengths and first differing offset."""
    n = min(len(got), len(want))
    at = next((i for i in range(n) if got[i] != want[i]), n)
    if at < n:
        return (f"{len(got)} bytes, want {len(want)}; first difference at byte {at}: "
                f"got 0x{got[at]:02x}, want 0x{want[at]:02x}")
    return f"{len(got)} bytes, want {len(want)}; the same up to byte {at}"


def check_message(kind, data, want_kind, want):
    """None if (kind, data) is (want_kind, want) byte for byte, else why not."""
    if kind != want_kind:
        return f"got a {kind} message, want {want_kind}"
    if data == want:
        return None
    if kind == "text":
        return "text " + describe_difference(data.encode("utf-8", "surrogatepass"), want.encode())
    return "binary " + describe_difference(data, want)


def code_of(ws):
    """closeCode() as an int (PyQt6 gives an enum, also for codes it has no name for)."""
    c = ws.closeCode()
    return c.value if hasattr(c, "value") else int(c)


class Case:
    """One case on its own connection; calls done(ok) once it is over."""

    def __init__(self, spec, base, name, done):
        self.spec = spec
        self.name = name
        self.url = QUrl(base.rstrip("/") + "/" + name)
        self.done_cb = done
        self.finished = False
        self.stage = "open"
        self.errors = []      # checks that failed; the first is reported
        self.detail = ""
        self.socket_errors = []
        self.close_sent = False  # aboutToClose seen: a close frame went out
        self.frames = 0       # frames of the echo, counted from the frame signals

        self.message = spec.message(name) or ECHO_CASES_EXTRA.get(name)
        self.origin = name.startswith("origin-")
        # The origin constructor argument puts "Origin: <origin>" on the wire.
        # (An Origin raw header on the QNetworkRequest goes out too; with
        # both, Qt sends two Origin headers, so only this one is used.)
        self.ws = QWebSocket(spec.origin) if self.origin else QWebSocket()

        self.timer = QTimer()
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.on_timeout)

        ws = self.ws
        ws.connected.connect(self.on_connected)
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

    def start(self):
        self.step("open")
        if self.name == "subprotocol":
            options = QWebSocketHandshakeOptions()
            options.setSubprotocols(self.spec.offer)
            self.ws.open(QNetworkRequest(self.url), options)
        else:
            self.ws.open(self.url)

    def fail(self, why):
        if not self.errors:
            self.errors.append(why)

    def close_with(self, code, reason=""):
        self.step("close")
        self.ws.close(QWebSocketProtocol.CloseCode(code), reason)

    def on_connected(self):
        if self.finished:
            return
        name = self.name
        if name == "origin-refused":
            self.fail("the handshake succeeded, want HTTP 403")
            self.close_with(1000)
            return
        chosen = self.ws.subprotocol()
        if name == "subprotocol":
            if chosen != self.spec.chosen:
                self.fail(f"subprotocol {chosen!r}, want {self.spec.chosen!r}")
            else:
                self.detail = f"subprotocol {chosen}"
            self.close_with(1000)
        elif chosen:
            self.fail(f"subprotocol {chosen!r} without an offer")
            self.close_with(1000)
        elif self.message is not None:
            kind, data = self.message
            self.step("echo")
            if kind == "text":
                self.ws.sendTextMessage(data)
            else:
                self.ws.sendBinaryMessage(data)
        elif name == "ping-by-client":
            self.step("pong")
            self.ws.ping(self.spec.ping_payload)
        elif name == "ping-by-server":
            self.step("server close")
        elif name == "close-by-client":
            self.close_with(self.spec.close_code, self.spec.close_reason)
        elif name == "close-by-server":
            self.step("server close")
        else:
            self.fail("no such case in matrix.json")
            self.close_with(1000)

    def on_frame(self, _frame, _last):
        self.frames += 1

    def on_message(self, kind, data):
        if self.finished:
            return
        if self.stage != "echo":
            self.fail(f"unexpected {kind} message of {len(data)} units in step {self.stage}")
            return
        want_kind, want = self.message
        why = check_message(kind, data, want_kind, want)
        if why:
            self.fail("echo differs: " + why)
        else:
            size = len(want.encode()) if want_kind == "text" else len(want)
            self.detail = f"{size} bytes echoed in {self.frames} frame(s)"
        self.close_with(1000)

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
        text = self.ws.errorString()
        self.socket_errors.append(f"{err.name}: {text}")
        if self.stage != "open":
            return
        # The handshake failed. Qt reports it at once but leaves the TCP
        # connection open until the server closes it (a keep-alive HTTP
        # server may not), so the error, not disconnected, ends the case.
        if self.name == "origin-refused":
            if "403" in text:
                self.detail = f"handshake refused ({err.name}): {text}"
            else:
                self.fail(f"handshake failed without a visible 403 ({err.name}): {text}")
        else:
            self.fail(f"handshake failed ({err.name}): {text}")
        self.finish()

    def on_disconnected(self):
        if self.finished:
            return
        code, reason = code_of(self.ws), self.ws.closeReason()
        if self.name == "origin-refused" and self.stage == "open":
            self.fail(f"disconnected without a handshake error: {self.ws.errorString()!r}")
        elif self.stage == "server close":
            want = ((self.spec.close_code, self.spec.close_reason)
                    if self.name == "close-by-server" else (1000, ""))
            if not self.close_sent:
                errs = "; ".join(self.socket_errors) or "no error reported"
                self.fail(f"connection ended without the server's close frame ({errs})")
            elif (code, reason) != want:
                self.fail(f"server closed with {code} {reason!r}, want {want[0]} {want[1]!r}")
            elif self.name == "close-by-server":
                self.detail = f"closed by the server with {code} {reason!r}"
        elif self.stage != "close":
            errs = "; ".join(self.socket_errors) or "no error reported"
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
        if self.errors:
            say(f"FAIL {self.name}: {self.errors[0]}")
        elif self.detail:
            say(f"ok {self.name}: {self.detail}")
        else:
            say(f"ok {self.name}")
        # Let the next case start from the event loop, not from inside a signal.
        QTimer.singleShot(0, lambda: self.done_cb(not self.errors))


def main(argv):
    if len(argv) < 2 or not argv[1].startswith(("ws://", "wss://")):
        sys.stderr.write(__doc__)
        return 2
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    app = QCoreApplication(argv[:1])
    spec = matrixspec.load()
    base = argv[1]
    names = argv[2:] or spec.client_cases(PEER)
    say(f"version Qt {qVersion()} (PyQt6 {PYQT_VERSION_STR})")

    results = []
    queue = list(names)
    current = []

    def next_case(ok=None):
        if ok is not None:
            results.append(ok)
        if current:
            current.pop()
        while queue:
            name = queue.pop(0)
            if name not in spec.cases:
                say(f"FAIL {name}: no such case in matrix.json")
                results.append(False)
                continue
            case = Case(spec, base, name, next_case)
            current.append(case)
            case.start()
            return
        app.exit(0 if all(results) else 1)

    QTimer.singleShot(0, next_case)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
