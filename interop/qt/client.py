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

What it shares with server.py (the signals, steps, pong and close checks)
is in qtcommon.py; the message check and the lines are matrixspec.py's.
"""

import signal
import sys

from qtcommon import PEER, CaseConnection, matrixspec, version_line

from PyQt6.QtCore import QCoreApplication, QTimer, QUrl
from PyQt6.QtNetwork import QNetworkRequest
from PyQt6.QtWebSockets import QWebSocket, QWebSocketHandshakeOptions

ECHO_CASES_EXTRA = {"origin-allowed": ("text", "origin")}


class Case(CaseConnection):
    """One case on its own connection; calls done(ok) once it is over."""

    OTHER = "server"
    ANSWER_STAGE = "close"
    MESSAGE_STAGE = "echo"

    def __init__(self, spec, base, name, done):
        self.url = QUrl(base.rstrip("/") + "/" + name)
        self.done_cb = done
        self.origin = name.startswith("origin-")
        # The origin constructor argument puts "Origin: <origin>" on the wire.
        # (An Origin raw header on the QNetworkRequest goes out too; with
        # both, Qt sends two Origin headers, so only this one is used.)
        ws = QWebSocket(spec.origin) if self.origin else QWebSocket()
        super().__init__(spec, name, ws)
        self.message = self.message or ECHO_CASES_EXTRA.get(name)
        ws.connected.connect(self.on_connected)

    def start(self):
        self.step("open")
        if self.name == "subprotocol":
            options = QWebSocketHandshakeOptions()
            options.setSubprotocols(self.spec.offer)
            self.ws.open(QNetworkRequest(self.url), options)
        else:
            self.ws.open(self.url)

    def on_connected(self):
        if self.finished:
            return
        name = self.name
        if name == "origin-refused":
            self.fail("the handshake succeeded, want HTTP 403")
            self.close_with(1000)
        elif self.check_subprotocol():
            self.close_with(1000)
        elif self.message is not None:
            self.step("echo")
            self.send(*self.message)
        elif name == "ping-by-client":
            self.step("pong")
            self.ws.ping(self.spec.ping_payload)
        elif name in ("ping-by-server", "close-by-server"):
            self.step("server close")
        elif name == "close-by-client":
            self.close_with(self.spec.close_code, self.spec.close_reason)
        else:
            self.fail("no such case in matrix.json")
            self.close_with(1000)

    def got_message(self, kind, data):
        size = self.check_message(data)
        if size is not None:
            self.detail = f"{size} bytes echoed in {self.frames} frame(s)"
        self.close_with(1000)

    def on_error(self, err):
        if self.finished:
            return
        super().on_error(err)
        if self.stage != "open":
            return
        # The handshake failed. Qt reports it at once but leaves the TCP
        # connection open until the server closes it (a keep-alive HTTP
        # server may not), so the error, not disconnected, ends the case.
        text = self.ws.errorString()
        if self.name == "origin-refused":
            if "403" in text:
                self.detail = f"handshake refused ({err.name}): {text}"
            else:
                self.fail(f"handshake failed without a visible 403 ({err.name}): {text}")
        else:
            self.fail(f"handshake failed ({err.name}): {text}")
        self.finish()

    def on_disconnected(self):
        if not self.finished and self.name == "origin-refused" and self.stage == "open":
            self.fail(f"disconnected without a handshake error: {self.ws.errorString()!r}")
            self.finish()
            return
        super().on_disconnected()

    def after_finish(self):
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
    matrixspec.say(version_line())

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
                matrixspec.say(matrixspec.result_line(name, "no such case in matrix.json"))
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
