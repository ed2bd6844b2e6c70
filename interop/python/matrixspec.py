"""The interop matrix's shared values, read from interop/matrix.json, and
the helpers every Python driver of the matrix needs whatever its library.

The Python drivers of the matrix (python/matrix_*.py and qt/*.py) import
this module; interop/README.md describes the cases, the messages and the
drivers' lines.

    import matrixspec
    spec = matrixspec.load()
    kind, data = spec.message("binary-125")   # ("binary", b"...")
    why = matrixspec.compare(kind, data, got)  # None when got is the same
    matrixspec.say(matrixspec.result_line("binary-125", why))
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


def say(line):
    """Prints one line of the driver's output at once."""
    print(line, flush=True)


def result_line(case, error=None, detail=""):
    """A case's line: "FAIL CASE: error" when error is not None, else
    "ok CASE: detail", or "ok CASE" without a detail."""
    if error is not None:
        return f"FAIL {case}: {error}"
    return f"ok {case}: {detail}" if detail else f"ok {case}"


def compare(kind, want, got):
    """Checks a received message against the expected one, byte for byte.
    kind is the expected "text" or "binary", want its data; got is what came,
    a str for a text message, else bytes-like. Returns None when they match,
    else what differs: the kind, or the lengths and the first differing byte."""
    got_kind = "text" if isinstance(got, str) else "binary"
    if got_kind != kind:
        return f"got a {got_kind} message, want {kind}"
    want_b = want.encode() if kind == "text" else bytes(want)
    got_b = got.encode("utf-8", "surrogatepass") if kind == "text" else bytes(got)
    if want_b == got_b:
        return None
    n = min(len(got_b), len(want_b))
    at = next((i for i in range(n) if got_b[i] != want_b[i]), n)
    why = f"{kind} differs: got {len(got_b)} bytes, want {len(want_b)}; "
    if at < n:
        return why + f"first difference at byte {at}: got 0x{got_b[at]:02x}, want 0x{want_b[at]:02x}"
    return why + f"the same up to byte {at}"


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
