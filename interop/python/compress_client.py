"""permessage-deflate echo check with the Python websockets library as the client.

usage: compress_client.py URL [DEFLATE_OPTIONS]

Connects to the echo server at URL with compression on: the library's
default (its connect negotiates permessage-deflate unless told not to) or,
given DEFLATE_OPTIONS, a JSON object of keyword arguments for
ClientPerMessageDeflateFactory, such as {"client_no_context_takeover": true}.

Prints "extensions VALUE", the server's Sec-WebSocket-Extensions answer, and
"deflate REPR", the extension object in use; fails at once unless
permessage-deflate was negotiated. Then sends each message of MESSAGES,
checks that its echo has the same type and bytes and prints "ok   NAME" or
"FAIL NAME: why", closes with 1000 and checks that the server answered with
1000 ("ok   close 1000"). Exits non-zero on any failure.

The messages, in order, are the ones the Go tests expect on the wire (see
compressMessages in ../compress_helpers_test.go).
"""

import asyncio
import json
import os
import sys

import websockets
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
)

TIMEOUT = 20  # seconds for each step


def text_of(n):
    """Text of exactly n UTF-8 bytes, mostly multi-byte characters."""
    unit = "aé€😀"  # 1 + 2 + 3 + 4 bytes
    s = unit * (n // 10) + "a" * (n % 10)
    assert len(s.encode()) == n
    return s


def json_of(n):
    """A JSON array of records of exactly n UTF-8 bytes: compressible."""
    records, size, i = [], 2, 0
    while True:
        rec = (
            '{"id":%d,"name":"user-%d","city":"Zürich","active":%s,'
            '"score":%d,"tags":["alpha","beta","gamma"]}'
            % (i, i, "true" if i % 2 == 0 else "false", i * 37 % 1000)
        )
        add = len(rec.encode()) + (1 if records else 0)
        if size + add > n:
            break
        records.append(rec)
        size += add
        i += 1
    s = "[" + ",".join(records) + " " * (n - size) + "]"
    assert len(s.encode()) == n
    return s


# Binary messages are random bytes, which do not compress, except for
# again/200, the bytes of binary/200 once more, which compresses only by
# reference to the message before (context takeover), and repeats/65536, a
# 4 KiB random block 16 times, which compresses only with a window of more
# than 4 KiB.
BINARY_200 = os.urandom(200)
MESSAGES = [
    ("text/0", text_of(0)),
    ("binary/0", os.urandom(0)),
    ("text/1", text_of(1)),
    ("binary/1", os.urandom(1)),
    ("text/200", text_of(200)),
    ("binary/200", BINARY_200),
    ("again/200", BINARY_200),
    ("json-text/65536", json_of(65536)),
    ("json-binary/65536", json_of(65536).encode()),
    ("binary/65536", os.urandom(65536)),
    ("repeats/65536", os.urandom(4096) * 16),
    ("text/1048576", text_of(1048576)),
    ("binary/1048576", os.urandom(1048576)),
]


async def main(url, options):
    kwargs = {}
    if options is not None:
        kwargs["extensions"] = [ClientPerMessageDeflateFactory(**options)]
    failures = 0
    async with websockets.connect(
        url, max_size=2**24, open_timeout=TIMEOUT, **kwargs
    ) as ws:
        print("extensions", ws.response_headers.get("Sec-WebSocket-Extensions", ""))
        deflate = [e for e in ws.extensions if isinstance(e, PerMessageDeflate)]
        if not deflate:
            print("FAIL extensions: permessage-deflate not negotiated")
            return 1
        print("deflate", deflate[0])
        for name, msg in MESSAGES:
            await asyncio.wait_for(ws.send(msg), TIMEOUT)
            got = await asyncio.wait_for(ws.recv(), TIMEOUT)
            if type(got) is not type(msg):
                print(f"FAIL {name}: echo is {type(got).__name__}")
                failures += 1
            elif got != msg:
                print(f"FAIL {name}: echo differs ({len(got)} units)")
                failures += 1
            else:
                print(f"ok   {name}")
        await asyncio.wait_for(ws.close(1000), TIMEOUT)
    if ws.close_code != 1000:
        print(f"FAIL close: server answered {ws.close_code} {ws.close_reason!r}")
        failures += 1
    else:
        print("ok   close 1000")
    return failures


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    opts = json.loads(sys.argv[2]) if len(sys.argv) == 3 else None
    sys.exit(1 if asyncio.run(main(sys.argv[1], opts)) else 0)
