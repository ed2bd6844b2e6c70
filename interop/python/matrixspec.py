"""The interop matrix's shared values, read from interop/matrix.json.

The Python drivers of the matrix (python/matrix_*.py and qt/*.py) import
this module; interop/README.md describes the cases and the messages.

    import matrixspec
    spec = matrixspec.load()
    kind, data = spec.message("binary-125")   # ("binary", b"...")
"""

import json
import os

SPEC_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "matrix.json")


def text_of(unit, n):
    """The text of exactly n UTF-8 bytes: unit repeated, then "a"s."""
    size = len(unit.encode())
    s = unit * (n // size) + "a" * (n % size)
    assert len(s.encode()) == n
    return s


def binary_of(n):
    """The binary message of n bytes: byte i is (i * 31 + n) mod 251."""
    return bytes((i * 31 + n) % 251 for i in range(n))


class Spec:
    """matrix.json, with the messages built from it."""

    def __init__(self, raw):
        self.raw = raw
        self.timeout = raw["timeoutSeconds"]
        self.ping_payload = raw["pingPayload"].encode()
        self.offer = raw["subprotocols"]["offer"]
        self.support = raw["subprotocols"]["support"]
        self.chosen = raw["subprotocols"]["chosen"]
        self.close_code = raw["close"]["code"]
        self.close_reason = raw["close"]["reason"]
        self.origin = raw["origin"]
        self.cases = [c["name"] for c in raw["cases"]]
        self.wsx_server_only = {c["name"] for c in raw["cases"] if c.get("wsxServerOnly")}

    def message(self, case):
        """The message a case sends, as (kind, data): kind is "text" (data a
        str) or "binary" (data bytes); None for a case without one."""
        kind, _, size = case.partition("-")
        if kind == "text" and size.isdigit():
            return "text", text_of(self.raw["textUnit"], int(size))
        if kind == "binary" and size.isdigit():
            return "binary", binary_of(int(size))
        if case == "utf8":
            return "text", self.raw["utf8"]
        if case == "large":
            return "binary", binary_of(self.raw["largeSize"])
        return None

    def client_cases(self, peer):
        """The cases a client driver of peer runs when none are named."""
        skip = set(self._peer(peer).get("notApplicable", {}))
        return [c for c in self.cases if c not in skip]

    def server_cases(self, peer):
        """The cases a server driver of peer serves."""
        skip = set(self._peer(peer).get("notApplicable", {})) | self.wsx_server_only
        return [c for c in self.cases if c not in skip]

    def _peer(self, name):
        for p in self.raw["peers"]:
            if p["name"] == name:
                return p
        raise KeyError(name)


def load(path=SPEC_PATH):
    """Reads matrix.json."""
    with open(path, encoding="utf-8") as f:
        return Spec(json.load(f))
