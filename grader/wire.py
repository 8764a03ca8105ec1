"""The result format between a child and the grader: JSON headers plus raw array bytes, no pickle."""
from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import torch

_LENGTH = struct.Struct("<Q")


@dataclass(frozen=True)
class TensorValue:
    """A tensor as the child reported it; `data` is float64/int64/bool on CPU for comparing."""

    data: torch.Tensor
    dtype: str
    device: str
    exact_type: bool  # `type(x) is torch.Tensor`: a subclass could forge `__eq__`
    requires_grad: bool
    has_grad_fn: bool


@dataclass(frozen=True)
class OtherValue:
    """Something that is not data we compare, e.g. a numpy array or a module: only its type."""

    type_name: str


def encode(value: Any) -> bytes:
    """One frame: length, JSON header, then the tensors' raw bytes."""
    blobs: list[bytes] = []
    header = json.dumps(_describe(value, blobs)).encode()
    parts = [_LENGTH.pack(len(header)), header]
    for blob in blobs:
        parts += [_LENGTH.pack(len(blob)), blob]
    return b"".join(parts)


def _describe(value: Any, blobs: list[bytes]) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return {"t": type(value).__name__, "v": value}
    if isinstance(value, int):
        return {"t": "int", "v": str(value), "exact": type(value) is int}
    if isinstance(value, float):
        return {"t": "float", "v": repr(value)}
    if isinstance(value, torch.Tensor):
        data = value.detach().to("cpu")
        if data.is_floating_point() and data.dtype != torch.float64:
            data = data.to(torch.float64)
        array = data.contiguous().numpy()  # keeps 0-d shapes, which np.ascontiguousarray would not
        blobs.append(array.tobytes())
        return {
            "t": "tensor", "dtype": str(value.dtype).removeprefix("torch."),
            "shape": list(array.shape), "array_dtype": array.dtype.str, "device": str(value.device),
            "exact": type(value) is torch.Tensor, "requires_grad": bool(value.requires_grad),
            "grad_fn": value.grad_fn is not None, "blob": len(blobs) - 1,
        }
    if isinstance(value, (list, tuple)):
        return {"t": type(value).__name__, "v": [_describe(v, blobs) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"t": "dict", "v": {k: _describe(v, blobs) for k, v in value.items()}}
    return {"t": "other", "v": type(value).__module__ + "." + type(value).__qualname__}


def decode(frame: bytes) -> Any:
    """Inverse of `encode`; raises ValueError on anything malformed."""
    try:
        (length,) = _LENGTH.unpack_from(frame, 0)
        header = json.loads(frame[8:8 + length])
        blobs, offset = [], 8 + length
        while offset < len(frame):
            (size,) = _LENGTH.unpack_from(frame, offset)
            blobs.append(frame[offset + 8: offset + 8 + size])
            offset += 8 + size
        return _rebuild(header, blobs)
    except ValueError:
        raise
    except Exception as error:  # a malformed frame from an untrusted child
        raise ValueError(f"malformed result frame: {error!r}") from None


_ALLOWED_ARRAY_DTYPES = {"<f8", "<i8", "<i4", "<i2", "|i1", "|u1", "|b1", "<c16", "<c8"}


def _rebuild(node: Any, blobs: list[bytes]) -> Any:
    kind = node["t"]
    if kind in ("NoneType", "bool", "str"):
        return node["v"]
    if kind == "int":
        return int(node["v"]) if node.get("exact", True) else OtherValue("numpy integer")
    if kind == "float":
        return float(node["v"])
    if kind == "tensor":
        if node["array_dtype"] not in _ALLOWED_ARRAY_DTYPES:
            raise ValueError(f"unexpected array dtype {node['array_dtype']}")
        array = np.frombuffer(blobs[node["blob"]], dtype=np.dtype(node["array_dtype"]))
        data = torch.from_numpy(array.copy()).reshape(node["shape"])
        return TensorValue(data, node["dtype"], node["device"], bool(node["exact"]),
                           bool(node["requires_grad"]), bool(node["grad_fn"]))
    if kind == "list":
        return [_rebuild(v, blobs) for v in node["v"]]
    if kind == "tuple":
        return tuple(_rebuild(v, blobs) for v in node["v"])
    if kind == "dict":
        return {str(k): _rebuild(v, blobs) for k, v in node["v"].items()}
    if kind == "other":
        return OtherValue(str(node["v"]))
    raise ValueError(f"unknown value kind {kind!r}")


def results(frames: Iterable[bytes]) -> tuple[dict[int, dict], dict | None]:
    """Per-case frames by index, and the task-level frame (import error, missing target) if any.

    A frame that is malformed, forged or of the wrong shape is dropped: its case has no result.
    """
    cases, header = {}, None
    for frame in frames:
        try:
            value = decode(frame)
        except ValueError:
            continue
        if not _well_formed(value):
            continue
        if isinstance(value.get("case"), int):
            cases.setdefault(value["case"], value)
        elif header is None:
            header = value
    return cases, header


def _well_formed(frame: Any) -> bool:
    """The fields the parent reads have the types it expects."""
    if not isinstance(frame, dict):
        return False
    errors = [frame.get(key) for key in ("raised", "oracle_raised", "import_error")]
    forbidden_calls, modified = frame.get("forbidden", []), frame.get("modified", [])
    return (all(error is None or _is_exception(error) for error in errors)
            and isinstance(forbidden_calls, list) and all(_is_call(call) for call in forbidden_calls)
            and isinstance(modified, list) and all(isinstance(i, int) for i in modified)
            and isinstance(frame.get("variants", {}), dict) and isinstance(frame.get("missing", ""), str))


def _is_exception(error: Any) -> bool:
    return (isinstance(error, dict) and isinstance(error.get("type"), str) and isinstance(error.get("message"), str)
            and isinstance(error.get("mro"), list) and isinstance(error.get("where"), (str, type(None))))


def _is_call(call: Any) -> bool:
    return isinstance(call, list) and len(call) == 2 and all(isinstance(part, str) for part in call)
