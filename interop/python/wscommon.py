"""The code the interop matrix's drivers for the Python websockets library
(matrix_client.py and matrix_server.py) share: the spec's limits, the
bounded steps of a case, and the case's result line.

Not run by itself; the drivers import it:

    import wscommon
    from wscommon import CaseFailed, step
    got = await wscommon.recv_message(ws, "waiting for the echo")
    line = await wscommon.outcome(case, run(ws, case))   # "ok CASE" or "FAIL CASE: ..."

Uses websockets' asyncio ("legacy") API of 10.x. A helper that names the
other end says "server" on a client connection and "client" on a server
connection.
"""

import asyncio
import platform

import websockets
import websockets.exceptions

import matrixspec

SPEC = matrixspec.load()
TIMEOUT = SPEC.timeout
MAX_SIZE = 4 * 2**20  # messages go up to 1 MiB


class CaseFailed(Exception):
    """A case's check failed; the message says why."""


def version_line():
    """The driver's first line: the library's and Python's versions."""
    return (f"version Python websockets {websockets.version.version} "
            f"(Python {platform.python_version()})")


def other_end(ws):
    """"server" for a client connection, "client" for a server connection."""
    return "server" if ws.is_client else "client"


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


async def recv_message(ws, what):
    """Reads one message; a close instead is a failure."""
    try:
        return await step(what, ws.recv())
    except websockets.exceptions.ConnectionClosed:
        raise CaseFailed(f"connection closed {what}: {show_close(ws)}") from None


async def read_until_close(ws, what):
    """Reads until the other end closes (pings are answered by the library);
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


async def close_and_wait(ws, code=1000, reason=""):
    """Closes with code and reason and waits, within the spec's timeout, for
    the other end's answering close and the end of the connection.
    websockets' close() swallows its own cancellation and may wait
    close_timeout several times over, so it runs as a task, and the
    connection is aborted when the time is up."""
    other = other_end(ws)
    closing = asyncio.ensure_future(ws.close(code, reason))
    done, _ = await asyncio.wait({closing}, timeout=TIMEOUT)
    if not done:
        ws.transport.abort()
        await asyncio.wait({closing}, timeout=TIMEOUT)
    if closing.done() and not closing.cancelled() and closing.exception():
        raise CaseFailed(f"close({code}) failed: {closing.exception()!r}")
    if ws.close_rcvd is None:
        if done:
            raise CaseFailed(f"closed with {code}; the connection ended without the {other}'s close")
        raise CaseFailed(f"closed with {code}; no answering close within {TIMEOUT} s")
    if not done:
        raise CaseFailed(f"closed with {code} and got the {other}'s close, "
                         f"but the TCP connection did not end within {TIMEOUT} s")


async def ping_and_wait_pong(ws):
    """Pings with the spec's payload and waits for the pong with it."""
    waiter = await step("sending the ping", ws.ping(SPEC.ping_payload))
    try:
        await step("waiting for the pong with the ping's payload", waiter)
    except websockets.exceptions.ConnectionClosed:
        raise CaseFailed(f"connection closed waiting for the pong: {show_close(ws)}") from None


async def check_then(problem, awaitable):
    """Awaits the rest of a case (its close) after a message check whose
    problem (None when the message was right) is reported after it, so that
    a wrong message still ends the connection properly."""
    try:
        await awaitable
    except CaseFailed as e:
        raise CaseFailed(f"{problem}; then {e}" if problem else str(e)) from None
    if problem:
        raise CaseFailed(problem)


async def outcome(case, awaitable):
    """Runs a case (awaitable returns its detail or None) and returns its
    result line."""
    try:
        detail = await awaitable
    except CaseFailed as e:
        return matrixspec.result_line(case, str(e))
    except websockets.exceptions.InvalidStatusCode as e:
        return matrixspec.result_line(case, f"handshake refused with HTTP {e.status_code}")
    except Exception as e:  # a failure of the peer or the library: report it
        return matrixspec.result_line(case, f"{type(e).__name__}: {e}")
    return matrixspec.result_line(case, None, detail)
