"""Echo check with the Python websockets library as the client.

usage: client.py URL

Sends text and binary messages of several sizes to the echo server at URL,
checks that each comes back byte for byte and of the same type, then closes
with 1000 and checks that the server answered with 1000. Exits non-zero on
any mismatch.
"""

import asyncio
import os
import sys

import websockets

SIZES = [0, 125, 126, 65536, 1048576]
TIMEOUT = 20  # seconds for each step


def text_of(n):
    """Text of exactly n UTF-8 bytes, mostly multi-byte characters."""
    unit = "aé€😀"  # 1 + 2 + 3 + 4 bytes
    s = unit * (n // 10) + "a" * (n % 10)
    assert len(s.encode()) == n
    return s


async def main(url):
    failures = 0
    async with websockets.connect(url, max_size=2**24, open_timeout=TIMEOUT) as ws:
        for n in SIZES:
            for kind, msg in (("text", text_of(n)), ("binary", os.urandom(n))):
                await asyncio.wait_for(ws.send(msg), TIMEOUT)
                got = await asyncio.wait_for(ws.recv(), TIMEOUT)
                if type(got) is not type(msg):
                    print(f"FAIL {kind} {n}: echo is {type(got).__name__}")
                    failures += 1
                elif got != msg:
                    print(f"FAIL {kind} {n}: echo differs ({len(got)} units)")
                    failures += 1
                else:
                    print(f"ok   {kind} {n}")
        await asyncio.wait_for(ws.close(1000), TIMEOUT)
    if ws.close_code != 1000:
        print(f"FAIL close: server answered {ws.close_code} {ws.close_reason!r}")
        failures += 1
    else:
        print("ok   close 1000")
    return failures


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(1 if asyncio.run(main(sys.argv[1])) else 0)
