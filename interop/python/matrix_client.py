"""The interop matrix's client driver for the Python websockets library.

usage: /usr/bin/python3 matrix_client.py ws://127.0.0.1:PORT [CASE...]

Runs the cases of interop/matrix.json (all of the "python" peer's client
cases when none are named) one after another, each on its own connection to
BASE/CASE, as interop/README.md ("The matrix") describes. Prints
"version Python websockets X.Y (Python A.B.C)" first, then one line per case:
"ok CASE", "ok CASE: detail" or "FAIL CASE: what went wrong". Exits 0 when
every case was ok, 1 otherwise. Every step is bounded by the spec's
timeoutSeconds. Uses websockets' asyncio ("legacy") API of 10.x, with
permessage-deflate and keepalive pings off; the steps it shares with
matrix_server.py are in wscommon.py, the checks every driver shares in
matrixspec.py.
"""

import asyncio
import contextlib
import sys

import websockets
import websockets.exceptions

import matrixspec
import wscommon
from wscommon import MAX_SIZE, SPEC, TIMEOUT, CaseFailed, close_and_wait, read_until_close, step


class ClientProtocol(websockets.WebSocketClientProtocol):
    """websockets' client protocol, remembering its open connections so that
    a failed case can end them at once (see connect and drop_all)."""

    live = set()

    def connection_made(self, transport):
        ClientProtocol.live.add(self)
        super().connection_made(transport)

    def connection_lost(self, exc):
        ClientProtocol.live.discard(self)
        super().connection_lost(exc)


def drop_all():
    """Ends at once every connection a case left open."""
    for protocol in list(ClientProtocol.live):
        protocol.transport.abort()


async def connect(url, **kwargs):
    """Opens a connection to url, bounded by the spec's timeout. On a timeout
    the half-open connection is aborted before the handshake is cancelled:
    cancelling alone makes websockets wait close_timeout for the server to
    end the TCP connection."""
    opening = asyncio.ensure_future(websockets.connect(
        url,
        create_protocol=ClientProtocol,
        compression=None,
        max_size=MAX_SIZE,
        ping_interval=None,
        open_timeout=None,  # bounded here instead
        close_timeout=TIMEOUT,
        **kwargs,
    ))
    done, _ = await asyncio.wait({opening}, timeout=TIMEOUT)
    if not done:
        drop_all()
        opening.cancel()
        await asyncio.wait({opening}, timeout=TIMEOUT)
        raise CaseFailed(f"timed out after {TIMEOUT} s opening the connection")
    return opening.result()


async def drop(ws):
    """Ends a connection a case left open (after a failure) at once."""
    if not ws.closed:
        ws.transport.abort()
        try:
            await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
        except asyncio.TimeoutError:
            pass


@contextlib.asynccontextmanager
async def opened(url, **kwargs):
    """A connection to url (see connect) for the body of a case, dropped at
    once when the body leaves it open."""
    ws = await connect(url, **kwargs)
    try:
        yield ws
    finally:
        await drop(ws)


async def echo_and_close(ws, kind, data):
    """Sends the message, checks its echo, closes with 1000 and waits for
    the server's close (also after a wrong echo: the connection is fine)."""
    await step(f"sending the {kind} message", ws.send(data))
    got = await wscommon.recv_message(ws, "waiting for the echo")
    await wscommon.check_then(matrixspec.compare(kind, data, got), close_and_wait(ws))


async def case_echo(url, case):
    kind, data = SPEC.message(case)
    async with opened(url) as ws:
        await echo_and_close(ws, kind, data)


async def case_ping_by_client(url, case):
    async with opened(url) as ws:
        await wscommon.ping_and_wait_pong(ws)
        await close_and_wait(ws)


async def case_ping_by_server(url, case):
    async with opened(url) as ws:
        close = await read_until_close(ws, "waiting for the server's close")
        if close.code != 1000:
            raise CaseFailed(f"server closed with {close.code} {close.reason!r}, want 1000")


async def case_subprotocol(url, case):
    async with opened(url, subprotocols=SPEC.offer) as ws:
        if ws.subprotocol != SPEC.chosen:
            raise CaseFailed(f"handshake chose {ws.subprotocol!r}, want {SPEC.chosen!r}")
        await close_and_wait(ws)
    return f"chose {ws.subprotocol}"


async def case_close_by_client(url, case):
    async with opened(url) as ws:
        await close_and_wait(ws, SPEC.close_code, SPEC.close_reason)
    return f"server answered {wscommon.show_close(ws)}"


async def case_close_by_server(url, case):
    async with opened(url) as ws:
        close = await read_until_close(ws, "waiting for the server's close")
        if close.code != SPEC.close_code or close.reason != SPEC.close_reason:
            raise CaseFailed(f"server closed with {close.code} {close.reason!r}, "
                             f"want {SPEC.close_code} {SPEC.close_reason!r}")


async def case_origin_refused(url, case):
    try:
        ws = await connect(url, origin=SPEC.origin)
    except websockets.exceptions.InvalidStatusCode as e:
        if e.status_code != 403:
            raise CaseFailed(f"handshake refused with HTTP {e.status_code}, want 403") from None
        return "refused with 403"
    except (OSError, websockets.exceptions.InvalidHandshake) as e:
        raise CaseFailed(f"handshake failed without a 403: {e!r}") from None
    await drop(ws)
    raise CaseFailed(f"handshake with Origin {SPEC.origin} succeeded, want 403")


async def case_origin_allowed(url, case):
    async with opened(url, origin=SPEC.origin) as ws:
        await echo_and_close(ws, "text", "origin")


CASES = {
    "ping-by-client": case_ping_by_client,
    "ping-by-server": case_ping_by_server,
    "subprotocol": case_subprotocol,
    "close-by-client": case_close_by_client,
    "close-by-server": case_close_by_server,
    "origin-refused": case_origin_refused,
    "origin-allowed": case_origin_allowed,
}


async def run_case(base, case):
    """Runs one case and prints its line; returns True when it was ok."""
    if case not in SPEC.cases:
        matrixspec.say(matrixspec.result_line(case, "no such case in matrix.json"))
        return False
    run = CASES.get(case)
    if run is None and SPEC.message(case) is not None:
        run = case_echo
    if run is None:
        matrixspec.say(matrixspec.result_line(case, "this driver does not know the case"))
        return False
    line = await wscommon.outcome(case, run(base.rstrip("/") + "/" + case, case))
    drop_all()
    matrixspec.say(line)
    return line.startswith("ok")


async def main(base, cases):
    matrixspec.say(wscommon.version_line())
    ok = True
    for case in cases or SPEC.client_cases("python"):
        ok = await run_case(base, case) and ok
    return ok


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(0 if asyncio.run(main(sys.argv[1], sys.argv[2:])) else 1)
