"""The result format between a child and the grader: JSON headers plus raw array bytes, no pickle."""
from __future__ import annotations

import json
import math
import re
import struct
import warnings
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import torch


LENGTH = struct.Struct("<Q")  # before every frame, and every part of one, on a channel or in a file
RESULT_BYTES = 64 * 2**20  # what one child may send in all
# Exit statuses by which a jailed child's grader side (`run.run_student`) says that the student's
# side wrote what is no reply into their channel (as forged as a frame without the token), or one
# reply larger than the result limit.
FORGED_STATUS, OVERFLOW_STATUS = 72, 73


@dataclass(frozen=True)
class TensorValue:
    """A tensor as the child reported it; `data` (CPU, float64 if floating point) is a read-only view of the frame."""

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
    parts = [LENGTH.pack(len(header)), header]
    for blob in blobs:
        parts += [LENGTH.pack(len(blob)), blob]
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


MAX_HEADER_BYTES = 2**20
MAX_DEPTH = 32
MAX_BLOBS = 4_096
MAX_DIMS = 8
MAX_ELEMENTS = 2**31
MAX_STRING = 10_000  # longer strings reject the frame
MAX_TEXT = 2_000  # free text is cut to this (frames._text)
MAX_MESSAGE = 300  # an exception's message, which student code writes: enough to act on, too little to smuggle
# torch dtype -> the array dtype `encode` sends it as (floating point goes as float64)
_ARRAY_DTYPES = {"float64": "<f8", "float32": "<f8", "float16": "<f8", "bfloat16": "<f8",
                 "complex128": "<c16", "complex64": "<c8", "int64": "<i8", "int32": "<i4", "int16": "<i2",
                 "int8": "|i1", "uint8": "|u1", "bool": "|b1"}
_DEVICE = re.compile(r"cpu|cuda(:[0-9]{1,2})?")


def decode(frame: bytes) -> Any:
    """Inverse of `encode`; raises ValueError, and only ValueError, on anything malformed or out of bounds."""
    try:
        view = memoryview(frame)  # blobs are slices of the frame, not copies
        (length,) = LENGTH.unpack_from(view, 0)
        if length > MAX_HEADER_BYTES or 8 + length > len(view):
            raise ValueError(f"header of {length} bytes")
        header = json.loads(bytes(view[8:8 + length]).decode("utf-8"))
        blobs: list[memoryview] = []
        offset = 8 + length
        while offset < len(view):
            (size,) = LENGTH.unpack_from(view, offset)
            if len(blobs) == MAX_BLOBS or offset + 8 + size > len(view):
                raise ValueError("too many blobs, or one past the end of the frame")
            blobs.append(view[offset + 8: offset + 8 + size])
            offset += 8 + size
        used: list[int] = []
        value = _rebuild(header, blobs, used, 0)
        if len(used) != len(blobs):
            raise ValueError(f"{len(blobs)} blobs for {len(used)} tensors")
        return value
    except ValueError as error:
        raise ValueError(f"malformed result frame: {str(error)[:200]}") from None
    except Exception as error:  # a malformed frame from an untrusted child: RecursionError, struct.error, ...
        raise ValueError(f"malformed result frame: {type(error).__name__}") from None


def restamp(frame: bytes, keep: tuple[str, ...], **fields: Any) -> bytes:
    """A dict frame written by someone else, re-headed: only its `keep` entries, then `fields`
    (plain values, no tensors), which overwrite whatever it said of them. Its tensors' bytes are
    passed on untouched. ValueError if it is not a dict frame; anything else wrong in it is for
    `decode` to find later."""
    entries, length = _dict_header(frame)
    entries = {key: node for key, node in entries.items() if key in keep and key not in fields}
    plain: list[bytes] = []
    entries.update({key: _describe(value, plain) for key, value in fields.items()})
    if plain:
        raise ValueError("restamp adds plain values only")
    text = json.dumps({"t": "dict", "v": entries}).encode()
    return LENGTH.pack(len(text)) + text + frame[8 + length:]


def plain_entry(frame: bytes, key: str) -> Any:
    """Entry `key` of a dict frame, read from its header alone (None where it has none): cheap,
    since no tensor is rebuilt. ValueError if the frame is malformed or the entry holds a tensor."""
    entries, _ = _dict_header(frame)
    return _rebuild(entries[key], [], [], 0) if key in entries else None


def _dict_header(frame: bytes) -> tuple[dict, int]:
    """The entries of a dict frame's header, as nodes, and the header's length in bytes."""
    try:
        (length,) = LENGTH.unpack_from(frame, 0)
        if length > MAX_HEADER_BYTES or 8 + length > len(frame):
            raise ValueError(f"header of {length} bytes")
        header = json.loads(frame[8:8 + length].decode("utf-8"))
    except (struct.error, UnicodeDecodeError, RecursionError, json.JSONDecodeError) as error:
        raise ValueError(f"malformed frame: {type(error).__name__}") from None
    if not (isinstance(header, dict) and header.get("t") == "dict" and isinstance(header.get("v"), dict)):
        raise ValueError("not a dict frame")
    return header["v"], length


def _rebuild(node: Any, blobs: list[memoryview], used: list[int], depth: int) -> Any:
    if depth > MAX_DEPTH or not isinstance(node, dict):
        raise ValueError("nested too deep, or not a value")
    kind, v = node.get("t"), node.get("v")
    if kind == "NoneType" and v is None or kind == "bool" and isinstance(v, bool):
        return v
    if kind == "str" and isinstance(v, str):
        return _short(v)
    if kind == "int" and isinstance(v, str) and _is_bool(node.get("exact")):
        return int(_short(v)) if node["exact"] else OtherValue("numpy integer")
    if kind == "float" and isinstance(v, str):
        return float(_short(v))
    if kind == "tensor":
        return _tensor(node, blobs, used)
    if kind in ("list", "tuple") and isinstance(v, list):
        items = [_rebuild(item, blobs, used, depth + 1) for item in v]
        return items if kind == "list" else tuple(items)
    if kind == "dict" and isinstance(v, dict):
        return {_short(k): _rebuild(item, blobs, used, depth + 1) for k, item in v.items()}
    if kind == "other" and isinstance(v, str):
        return OtherValue(_short(v))
    raise ValueError(f"not a value of a known kind: {str(kind)[:50]}")


def _short(text: str) -> str:
    if len(text) > MAX_STRING:
        raise ValueError(f"a string of {len(text)} characters")
    return text


def _is_bool(flag: Any) -> bool:
    return isinstance(flag, bool)


def _is_index(number: Any, limit: int = MAX_ELEMENTS) -> bool:
    return isinstance(number, int) and not isinstance(number, bool) and 0 <= number <= limit


def _tensor(node: dict, blobs: list[memoryview], used: list[int]) -> TensorValue:
    dtype, shape, device = node.get("dtype"), node.get("shape"), node.get("device")
    if dtype not in _ARRAY_DTYPES or node.get("array_dtype") != _ARRAY_DTYPES[dtype]:
        raise ValueError("unknown dtype")
    if not (isinstance(shape, list) and len(shape) <= MAX_DIMS and all(_is_index(d) for d in shape)
            and math.prod(shape) <= MAX_ELEMENTS):
        raise ValueError("bad shape")
    if not (isinstance(device, str) and _DEVICE.fullmatch(device)):
        raise ValueError("unknown device")
    if not all(_is_bool(node.get(flag)) for flag in ("exact", "requires_grad", "grad_fn")):
        raise ValueError("a flag that is not a bool")
    if node.get("blob") != len(used) or not _is_index(node["blob"]) or node["blob"] >= len(blobs):
        raise ValueError("blobs out of order")
    blob, array_dtype = blobs[node["blob"]], np.dtype(node["array_dtype"])
    if len(blob) != math.prod(shape) * array_dtype.itemsize:
        raise ValueError("blob size does not match the shape")
    used.append(node["blob"])
    with warnings.catch_warnings():  # a read-only view of the frame: nothing in the grader writes to it
        warnings.simplefilter("ignore", UserWarning)
        data = torch.from_numpy(np.frombuffer(blob, dtype=array_dtype)).reshape(shape)
    return TensorValue(data, dtype, device, node["exact"], node["requires_grad"], node["grad_fn"])


def join_frames(frames: Iterable[bytes]) -> bytes:
    """Frames as one file's bytes (the reference's answers in a handout, the memo): each after its length."""
    return b"".join(LENGTH.pack(len(frame)) + frame for frame in frames)


def split_frames(blob: bytes, count: int | None = None, offset: int = 0) -> tuple[tuple[bytes, ...], int] | None:
    """`count` frames (all, if None) from `join_frames`' bytes at `offset`, and the offset after
    them; None if the bytes end inside a frame or do not hold `count` of them."""
    frames: list[bytes] = []
    while (count is None and offset < len(blob)) or (count is not None and len(frames) < count):
        if offset + LENGTH.size > len(blob):
            return None
        (length,) = LENGTH.unpack_from(blob, offset)
        end = offset + LENGTH.size + length
        if end > len(blob):
            return None
        frames.append(blob[offset + LENGTH.size: end])
        offset = end
    return tuple(frames), offset
