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

Known Qt 6.4.2 fault: Qt's receiver rejects with 1007 the text frames that
its own sender cuts inside a UTF-8 character, so Qt to Qt text-1048576
fails; client.py's top comment has the details.

What it shares with client.py (the signals, steps, pong and close checks)
is in qtcommon.py; the message check and the lines are matrixspec.py's.
"""

import signal
import sys

from qtcommon import PEER, CaseConnection, matrixspec, version_line

from PyQt6.QtCore import QCoreApplication
from PyQt6.QtNetwork import QHostAddress
from PyQt6.QtWebSockets import QWebSocketServer


class Connection(CaseConnection):
    """One accepted connection, driven by its path; calls done(self) when over."""

    OTHER = "client"
    ANSWER_STAGE = "client's answer"
    MESSAGE_STAGE = "message"

    def __init__(self, spec, cases, ws, done):
        self.done_cb = done
        self.path = ws.requestUrl().path()
        name = (self.path[1:] if self.path.startswith("/") else self.path) or self.path or "?"
        self.known = name in cases
        super().__init__(spec, name, ws)

    def start(self):
        name = self.name
        if not self.known:
            self.fail(f"no such case for the server (path {self.path!r})")
            self.close_with(1008, "no such case")
        elif self.check_subprotocol():
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

    def got_message(self, kind, data):
        # Echo first, unchanged, then check.
        self.send(kind, data)
        size = self.check_message(data)
        if size is not None:
            self.detail = f"{size} bytes received in {self.frames} frame(s), echoed"
        self.step("client close")

    def after_finish(self):
        self.done_cb(self)


def main(argv):
    if len(argv) != 1:
        sys.stderr.write(__doc__)
        return 2
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    app = QCoreApplication(argv[:1])
    spec = matrixspec.load()
    cases = set(spec.server_cases(PEER))
    matrixspec.say(version_line())

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
    server.acceptError.connect(lambda e: matrixspec.say(f"log accept error {e.name}"))
    server.serverError.connect(
        lambda e: matrixspec.say(f"log server error {e.name}: {server.errorString()}"))
    if not server.listen(QHostAddress(QHostAddress.SpecialAddress.LocalHost), 0):
        matrixspec.say(f"log listen: {server.errorString()}")
        return 1
    matrixspec.say(f"port {server.serverPort()}")
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
