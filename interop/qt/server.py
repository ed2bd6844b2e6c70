"""The interop matrix's server driver for Qt: QWebSocketServer, through PyQt6.

usage: QT_QPA_PLATFORM=offscreen /usr/bin/python3 server.py

Prints "version Qt X.Y.Z (PyQt6 A.B.C)", listens on 127.0.0.1 on a port the
system picks (QWebSocketServer in NonSecureMode) and prints "port PORT".
Then serves the cases of peer "qt" in interop/matrix.json, each connection
behaving by its path (/CASE) as interop/README.md ("The matrix") describes,
and prints one line per connection when it is over: "ok CASE", "ok CASE:
detail" or "FAIL CASE: what went wrong". A path that is no case of the
server is closed with 1008 and reported as a FAIL. Serves until killed.

The server speaks the subprotocols of matrix.json's subprotocols.support
(setSupportedSubprotocols), on every path. Qt's defaults are kept: a 512 KiB
outgoing frame size, so the echo of a larger message goes out fragmented,
and incoming limits of about 2 GiB.

What Qt shows (Qt 6.4.2): closeCode()/closeReason() hold the close frame
that started the closing handshake, so a client's close (its code and
reason) is visible here. When the server closes first they hold the
server's own, and Qt closes the TCP connection right after sending its
close frame without reading the client's answer, so that answer is checked
by the client's side only; here the case ends at the disconnected signal.
closeCode() stays 1000 when the connection drops without any close frame;
the aboutToClose signal, which Qt emits whenever it sends a close frame
(its answer to the client's close included), tells a real close from a drop.
Qt answers the client's pings by itself; the pong signal carries the payload.

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

from PyQt6.QtCore import PYQT_VERSION_STR, QCoreApplication, QTimer, qVersion  # noqa: E402
from PyQt6.QtNetwork import QHostAddress  # noqa: E402
from PyQt6.QtWebSockets import QWebSocketProtocol, QWebSocketServer  # noqa: E402

PEER = "qt"


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


class Connection:
    """One accepted connection, driven by its path; calls done(self) when over."""

    def __init__(self, spec, cases, ws, done):
        self.spec = spec
        self.ws = ws
        self.done_cb = done
        self.path = ws.requestUrl().path()
        self.name = (self.path[1:] if self.path.startswith("/") else self.path) or self.path or "?"
        self.known = self.name in cases
        self.finished = False
        self.stage = "open"
        self.errors = []
        self.detail = ""
        self.socket_errors = []
        self.close_sent = False   # aboutToClose seen: a close frame went out
        self.frames = 0
        self.message = spec.message(self.name)

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

    def step(self, stage):
        self.stage = stage
        self.timer.start(int(self.spec.timeout * 1000))

    def fail(self, why):
        if not self.errors:
            self.errors.append(why)

    def close_with(self, code, reason=""):
        self.step("client's answer")
        self.ws.close(QWebSocketProtocol.CloseCode(code), reason)

    def start(self):
        name = self.name
        if not self.known:
            self.fail(f"no such case for the server (path {self.path!r})")
            self.close_with(1008, "no such case")
            return
        chosen = self.ws.subprotocol()
        if name == "subprotocol":
            if chosen != self.spec.chosen:
                self.fail(f"subprotocol {chosen!r}, want {self.spec.chosen!r}")
            else:
                self.detail = f"subprotocol {chosen}"
            self.step("client close")
        elif chosen:
            self.fail(f"subprotocol {chosen!r} chosen, but the client offers none in this case")
            self.step("client close")
        elif self.message is not None:
            self.step("message")
        elif name == "ping-by-server":
            self.step("pong")
            self.ws.ping(self.spec.ping_payload)
        elif name == "close-by-server":
            self.close_with(self.spec.close_code, self.spec.close_reason)
        else:  # ping-by-client (Qt answers pings by itself), close-by-client
            self.step("client close")

    def on_frame(self, _frame, _last):
        self.frames += 1

    def on_message(self, kind, data):
        if self.finished:
            return
        if self.stage != "message":
            self.fail(f"unexpected {kind} message of {len(data)} units in step {self.stage}")
            return
        # Echo first, unchanged, then check.
        if kind == "text":
            self.ws.sendTextMessage(data)
        else:
            self.ws.sendBinaryMessage(data)
        want_kind, want = self.message
        why = check_message(kind, data, want_kind, want)
        if why:
            self.fail("message differs: " + why)
        else:
            size = len(want.encode()) if want_kind == "text" else len(want)
            self.detail = f"{size} bytes received in {self.frames} frame(s), echoed"
        self.step("client close")

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
        if self.finished:
            return
        code, reason = code_of(self.ws), self.ws.closeReason()
        if self.stage == "client close":
            want = ((self.spec.close_code, self.spec.close_reason)
                    if self.name == "close-by-client" else (1000, ""))
            if not self.close_sent:
                errs = "; ".join(self.socket_errors) or "no error reported"
                self.fail(f"connection ended without a close frame ({errs})")
            elif (code, reason) != want:
                self.fail(f"client closed with {code} {reason!r}, want {want[0]} {want[1]!r}")
            elif self.name == "close-by-client":
                self.detail = f"closed by the client with {code} {reason!r}"
        elif self.stage != "client's answer":
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
        self.done_cb(self)


def main(argv):
    if len(argv) != 1:
        sys.stderr.write(__doc__)
        return 2
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    app = QCoreApplication(argv[:1])
    spec = matrixspec.load()
    cases = set(spec.server_cases(PEER))
    say(f"version Qt {qVersion()} (PyQt6 {PYQT_VERSION_STR})")

    server = QWebSocketServer("wsx-interop-qt", QWebSocketServer.SslMode.NonSecureMode)
    server.setSupportedSubprotocols(spec.support)
    live = set()  # Connection objects, kept alive until they are over

    def accept():
        while server.hasPendingConnections():
            ws = server.nextPendingConnection()
            conn = Connection(spec, cases, ws, live.discard)
            live.add(conn)
            conn.start()

    server.newConnection.connect(accept)
    server.acceptError.connect(lambda e: say(f"log accept error {e.name}"))
    server.serverError.connect(lambda e: say(f"log server error {e.name}: {server.errorString()}"))
    if not server.listen(QHostAddress(QHostAddress.SpecialAddress.LocalHost), 0):
        say(f"log listen: {server.errorString()}")
        return 1
    say(f"port {server.serverPort()}")
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
