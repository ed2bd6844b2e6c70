"""The interop matrix's server driver for the Python websockets library.

usage: /usr/bin/python3 matrix_server.py

Listens on 127.0.0.1, on a port the system picks, prints
"version Python websockets X.Y (Python A.B.C)" and then "port PORT" once it
listens, and serves until killed. Each connection runs the case its path
names (/CASE, one of the "python" peer's server cases of interop/matrix.json)
as interop/README.md ("The matrix") describes, and prints one line when the
connection is over: "ok CASE", "ok CASE: detail" or "FAIL CASE: what went
wrong". An unknown path is closed with 1008 and reported as a FAIL. The
server speaks the spec's subprotocols.support; every step is bounded by the
spec's timeoutSeconds. Uses websockets' asyncio ("legacy") API of 10.x, with
permessage-deflate and keepalive pings off.
"""

import asyncio
import platform

import websockets
import websockets.exceptions

import matrixspec

SPEC = matrixspec.load()
TIMEOUT = SPEC.timeout
MAX_SIZE = 4 * 2**20  # messages go up to 1 MiB
SERVED = SPEC.server_cases("python")


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


async def read_until_close(ws, what):
    """Reads until the client closes (pings are answered by the library);
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


async def expect_close_1000(ws):
    close = await read_until_close(ws, "waiting for the client's close")
    if close.code != 1000:
        raise CaseFailed(f"client closed with {close.code} {close.reason!r}, want 1000")


async def close_and_wait(ws, code, reason=""):
    """Closes with code and reason and waits, within the spec's timeout, for
    the client's answering close and the end of the connection. websockets'
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
            raise CaseFailed(f"closed with {code}; the connection ended without the client's close")
        raise CaseFailed(f"closed with {code}; no answering close within {TIMEOUT} s")
    if not done:
        raise CaseFailed(f"closed with {code} and got the client's close, "
                         f"but the TCP connection did not end within {TIMEOUT} s")


async def case_echo(ws, case):
    kind, data = SPEC.message(case)
    try:
        got = await step("waiting for the message", ws.recv())
    except websockets.exceptions.ConnectionClosed:
        raise CaseFailed(f"connection closed waiting for the message: {show_close(ws)}") from None
    await step("echoing the message", ws.send(got))
    problem = compare(kind, data, got)
    try:
        await expect_close_1000(ws)
    except CaseFailed as e:
        raise CaseFailed(f"{problem}; then {e}" if problem else str(e)) from None
    if problem:
        raise CaseFailed(problem)


async def case_ping_by_client(ws, case):
    await expect_close_1000(ws)


async def case_ping_by_server(ws, case):
    waiter = await step("sending the ping", ws.ping(SPEC.ping_payload))
    try:
        await step("waiting for the pong with the ping's payload", waiter)
    except websockets.exceptions.ConnectionClosed:
        raise CaseFailed(f"connection closed waiting for the pong: {show_close(ws)}") from None
    await close_and_wait(ws, 1000)


async def case_subprotocol(ws, case):
    chosen = ws.subprotocol
    await expect_close_1000(ws)
    if chosen != SPEC.chosen:
        raise CaseFailed(f"handshake chose {chosen!r}, want {SPEC.chosen!r}")
    return f"chose {chosen}"


async def case_close_by_client(ws, case):
    close = await read_until_close(ws, "waiting for the client's close")
    if close.code != SPEC.close_code or close.reason != SPEC.close_reason:
        raise CaseFailed(f"client closed with {close.code} {close.reason!r}, "
                         f"want {SPEC.close_code} {SPEC.close_reason!r}")


async def case_close_by_server(ws, case):
    await close_and_wait(ws, SPEC.close_code, SPEC.close_reason)
    return f"client answered {show_close(ws)}"


CASES = {
    "ping-by-client": case_ping_by_client,
    "ping-by-server": case_ping_by_server,
    "subprotocol": case_subprotocol,
    "close-by-client": case_close_by_client,
    "close-by-server": case_close_by_server,
}


async def handler(ws):
    path = ws.path
    case = path.lstrip("/").split("?", 1)[0]
    run = CASES.get(case)
    if run is None and case in SERVED and SPEC.message(case) is not None:
        run = case_echo
    if case not in SERVED or run is None:
        try:
            await close_and_wait(ws, 1008, "unknown case")
        except CaseFailed:
            pass  # the FAIL line says enough
        print(f"FAIL {case or path}: this server has no case at path {path!r}", flush=True)
        return
    try:
        detail = await run(ws, case)
    except CaseFailed as e:
        line = f"FAIL {case}: {e}"
    except Exception as e:  # a failure of the peer or the library: report it
        line = f"FAIL {case}: {type(e).__name__}: {e}"
    else:
        line = f"ok {case}: {detail}" if detail else f"ok {case}"
    if not ws.closed:  # a failed case: end the connection at once
        ws.transport.abort()
    print(line, flush=True)


async def main():
    print(f"version Python websockets {websockets.version.version} "
          f"(Python {platform.python_version()})", flush=True)
    async with websockets.serve(
        handler,
        "127.0.0.1",
        0,
        subprotocols=SPEC.support,
        compression=None,
        max_size=MAX_SIZE,
        ping_interval=None,
        close_timeout=TIMEOUT,
    ) as server:
        print("port", server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()  # serve until killed


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
