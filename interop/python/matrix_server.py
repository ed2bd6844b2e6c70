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
permessage-deflate and keepalive pings off; the steps it shares with
matrix_client.py are in wscommon.py, the checks every driver shares in
matrixspec.py.
"""

import asyncio

import websockets

import matrixspec
import wscommon
from wscommon import MAX_SIZE, SPEC, TIMEOUT, CaseFailed, close_and_wait, read_until_close, step

SERVED = SPEC.server_cases("python")


async def expect_close_1000(ws):
    close = await read_until_close(ws, "waiting for the client's close")
    if close.code != 1000:
        raise CaseFailed(f"client closed with {close.code} {close.reason!r}, want 1000")


async def case_echo(ws, case):
    kind, data = SPEC.message(case)
    got = await wscommon.recv_message(ws, "waiting for the message")
    await step("echoing the message", ws.send(got))
    await wscommon.check_then(matrixspec.compare(kind, data, got), expect_close_1000(ws))


async def case_ping_by_client(ws, case):
    await expect_close_1000(ws)


async def case_ping_by_server(ws, case):
    await wscommon.ping_and_wait_pong(ws)
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
    return f"client answered {wscommon.show_close(ws)}"


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
        matrixspec.say(matrixspec.result_line(
            case or path, f"this server has no case at path {path!r}"))
        return
    line = await wscommon.outcome(case, run(ws, case))
    if not ws.closed:  # a failed case: end the connection at once
        ws.transport.abort()
    matrixspec.say(line)


async def main():
    matrixspec.say(wscommon.version_line())
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
        matrixspec.say(f"port {server.sockets[0].getsockname()[1]}")
        await asyncio.Future()  # serve until killed


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
