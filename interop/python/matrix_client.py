"""The interop matrix's client driver for the Python websockets library.

usage: /usr/bin/python3 matrix_client.py ws://127.0.0.1:PORT [CASE...]

Runs the cases of interop/matrix.json (all of the "python" peer's client
cases when none are named) one after another, each on its own connection to
BASE/CASE, as interop/README.md ("The matrix") describes. Prints
"version Python websockets X.Y (Python A.B.C)" first, then one line per case:
"ok CASE", "ok CASE: detail" or "FAIL CASE: what went wrong". Exits 0 when
every case was ok, 1 otherwise. Every step is bounded by the spec's
timeoutSeconds. Uses websockets' asyncio ("legacy") API of 10.x, with
permessage-deflate and keepalive pings off.
"""

import asyncio
import platform
import sys

import websockets
import websockets.exceptions

import matrixspec

SPEC = matrixspec.load()
TIMEOUT = SPEC.timeout
MAX_SIZE = 4 * 2**20  # messages go up to 1 MiB


class CaseFailed(Exception):
    """A case's check failed; the message says why."""


async def step(what, awaitable):
    """Awaits one step of a case, bounded by the spec's timeout."""
    try:
        return await asyncio.wait_for(awaitable, TIMEOUT)
    except asyncio.TimeoutError:
        raise CaseFailed(f"timed out after {TIMEOUT} s {what}") from None


def show_close(ws):
    """The close as seen by ws, for the lines: "CODE 'REASON'"."""
    if ws.close_rcvd is None:
        return "1006 (no close frame received)"
    return f"{ws.close_rcvd.code} {ws.close_rcvd.reason!r}"


def compare(kind, want, got):
    """Checks a received message against the expected one, byte for byte;
    returns None when they match, else what differs."""
    got_kind = "text" if isinstance(got, str) else "binary"
    if got_kind != kind:
        return f"got a {got_kind} message, want {kind}"
    want_b = want.encode() if kind == "text" else bytes(want)
    got_b = got.encode() if kind == "text" else bytes(got)
    if want_b == got_b:
        return None
    first = next((i for i, (a, b) in enumerate(zip(want_b, got_b)) if a != b),
                 min(len(want_b), len(got_b)))
    return (f"{kind} differs: got {len(got_b)} bytes, want {len(want_b)}, "
            f"first difference at byte {first}")


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


async def recv_message(ws, what):
    """Reads one message; a close instead is a failure."""
    try:
        return await step(what, ws.recv())
    except websockets.exceptions.ConnectionClosed:
        raise CaseFailed(f"connection closed {what}: {show_close(ws)}") from None


async def close_and_wait(ws, code=1000, reason=""):
    """Closes with code and reason and waits, within the spec's timeout, for
    the server's answering close and the end of the connection. websockets'
    close() swallows its own cancellation and may wait close_timeout several
    times over, so it runs as a task, and the connection is aborted when the
    time is up."""
    closing = asyncio.ensure_future(ws.close(code, reason))
    done, _ = await asyncio.wait({closing}, timeout=TIMEOUT)
    if not done:
        ws.transport.abort()
        await asyncio.wait({closing}, timeout=TIMEOUT)
    if closing.done() and not closing.cancelled() and closing.exception():
        raise CaseFailed(f"close({code}) failed: {closing.exception()!r}")
    if ws.close_rcvd is None:
        if done:
            raise CaseFailed(f"closed with {code}; the connection ended without the server's close")
        raise CaseFailed(f"closed with {code}; no answering close within {TIMEOUT} s")
    if not done:
        raise CaseFailed(f"closed with {code} and got the server's close, "
                         f"but the TCP connection did not end within {TIMEOUT} s")


async def read_until_close(ws, what):
    """Reads until the server closes (pings are answered by the library);
    a message is a failure. Returns the close frame received."""
    try:
        msg = await step(what, ws.recv())
    except websockets.exceptions.ConnectionClosed:
        await step("waiting for the connection to end", ws.wait_closed())
        if ws.close_rcvd is None:
            raise CaseFailed(f"connection ended without a close frame {what}") from None
        return ws.close_rcvd
    kind = "text" if isinstance(msg, str) else "binary"
    raise CaseFailed(f"unexpected {kind} message of {len(msg)} units {what}")


async def echo_and_close(ws, kind, data):
    """Sends the message, checks its echo, closes with 1000 and waits for
    the server's close (also after a wrong echo: the connection is fine)."""
    await step(f"sending the {kind} message", ws.send(data))
    got = await recv_message(ws, "waiting for the echo")
    problem = compare(kind, data, got)
    try:
        await close_and_wait(ws)
    except CaseFailed as e:
        raise CaseFailed(f"{problem}; then {e}" if problem else str(e)) from None
    if problem:
        raise CaseFailed(problem)


async def case_echo(url, case):
    kind, data = SPEC.message(case)
    ws = await connect(url)
    try:
        await echo_and_close(ws, kind, data)
    finally:
        await drop(ws)


async def case_ping_by_client(url, case):
    ws = await connect(url)
    try:
        waiter = await step("sending the ping", ws.ping(SPEC.ping_payload))
        try:
            await step("waiting for the pong with the ping's payload", waiter)
        except websockets.exceptions.ConnectionClosed:
            raise CaseFailed(f"connection closed waiting for the pong: {show_close(ws)}") from None
        await close_and_wait(ws)
    finally:
        await drop(ws)


async def case_ping_by_server(url, case):
    ws = await connect(url)
    try:
        close = await read_until_close(ws, "waiting for the server's close")
        if close.code != 1000:
            raise CaseFailed(f"server closed with {close.code} {close.reason!r}, want 1000")
    finally:
        await drop(ws)


async def case_subprotocol(url, case):
    ws = await connect(url, subprotocols=SPEC.offer)
    try:
        if ws.subprotocol != SPEC.chosen:
            raise CaseFailed(f"handshake chose {ws.subprotocol!r}, want {SPEC.chosen!r}")
        await close_and_wait(ws)
    finally:
        await drop(ws)
    return f"chose {ws.subprotocol}"


async def case_close_by_client(url, case):
    ws = await connect(url)
    try:
        await close_and_wait(ws, SPEC.close_code, SPEC.close_reason)
    finally:
        await drop(ws)
    return f"server answered {show_close(ws)}"


async def case_close_by_server(url, case):
    ws = await connect(url)
    try:
        close = await read_until_close(ws, "waiting for the server's close")
        if close.code != SPEC.close_code or close.reason != SPEC.close_reason:
            raise CaseFailed(f"server closed with {close.code} {close.reason!r}, "
                             f"want {SPEC.close_code} {SPEC.close_reason!r}")
    finally:
        await drop(ws)


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
    ws = await connect(url, origin=SPEC.origin)
    try:
        await echo_and_close(ws, "text", "origin")
    finally:
        await drop(ws)


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
        print(f"FAIL {case}: no such case in matrix.json", flush=True)
        return False
    run = CASES.get(case)
    if run is None and SPEC.message(case) is not None:
        run = case_echo
    if run is None:
        print(f"FAIL {case}: this driver does not know the case", flush=True)
        return False
    try:
        detail = await run(base.rstrip("/") + "/" + case, case)
    except CaseFailed as e:
        line = f"FAIL {case}: {e}"
    except websockets.exceptions.InvalidStatusCode as e:
        line = f"FAIL {case}: handshake refused with HTTP {e.status_code}"
    except Exception as e:  # a failure of the peer or the library: report it
        line = f"FAIL {case}: {type(e).__name__}: {e}"
    else:
        line = f"ok {case}: {detail}" if detail else f"ok {case}"
    drop_all()
    print(line, flush=True)
    return line.startswith("ok")


async def main(base, cases):
    print(f"version Python websockets {websockets.version.version} "
          f"(Python {platform.python_version()})", flush=True)
    ok = True
    for case in cases or SPEC.client_cases("python"):
        ok = await run_case(base, case) and ok
    return ok


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(0 if asyncio.run(main(sys.argv[1], sys.argv[2:])) else 1)
