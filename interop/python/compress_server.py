"""Echo server with permessage-deflate, built on the Python websockets library.

usage: compress_server.py [DEFLATE_OPTIONS]

Listens on 127.0.0.1, on a port the system picks, and prints "port PORT" once
ready. Compression is the library's default (its serve negotiates
permessage-deflate unless told not to) or, given DEFLATE_OPTIONS, a JSON
object of keyword arguments for ServerPerMessageDeflateFactory, such as
{"server_no_context_takeover": true}.

For each connection it prints "extensions PATH VALUE", the
Sec-WebSocket-Extensions value it answered with (empty when none), then
echoes each message with its type, and prints "closed PATH CODE 'REASON'"
when the connection ends.
"""

import asyncio
import json
import sys

import websockets
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory


async def handler(ws):
    ext = ws.response_headers.get("Sec-WebSocket-Extensions", "")
    print(f"extensions {ws.path} {ext}", flush=True)
    async for msg in ws:
        await ws.send(msg)
    await ws.wait_closed()
    print(f"closed {ws.path} {ws.close_code} {ws.close_reason!r}", flush=True)


async def main(options):
    kwargs = {}
    if options is not None:
        kwargs["extensions"] = [ServerPerMessageDeflateFactory(**options)]
    async with websockets.serve(
        handler, "127.0.0.1", 0, max_size=2**24, **kwargs
    ) as server:
        print("port", server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()  # serve until killed


if __name__ == "__main__":
    if len(sys.argv) > 2:
        sys.exit(__doc__)
    asyncio.run(main(json.loads(sys.argv[1]) if len(sys.argv) == 2 else None))
