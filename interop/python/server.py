"""Echo server built on the Python websockets library.

usage: server.py

Listens on 127.0.0.1, on a port the system picks, and prints
"port PORT" once ready. On any path it echoes each message with its type;
on /going-away it instead closes at once with 1001 and GOING_AWAY_REASON.
When a connection ends it prints "closed PATH CODE 'REASON'".
"""

import asyncio

import websockets

GOING_AWAY_REASON = "python server going away"


async def handler(ws):
    if ws.path == "/going-away":
        await ws.close(1001, GOING_AWAY_REASON)
    else:
        async for msg in ws:
            await ws.send(msg)
    await ws.wait_closed()
    print(f"closed {ws.path} {ws.close_code} {ws.close_reason!r}", flush=True)


async def main():
    async with websockets.serve(handler, "127.0.0.1", 0, max_size=2**24) as server:
        print("port", server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()  # serve until killed


if __name__ == "__main__":
    asyncio.run(main())
