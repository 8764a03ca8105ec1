"""Assignment 1: convolution from scratch (vectorised solution).

Style: no Python loops over pixels.  Padding is index arithmetic on ``arange``
vectors plus ``torch.cat``; convolution builds a strided *view* of all sliding
windows with ``torch.as_strided`` and contracts it with the kernel in a single
``torch.einsum``.  Semantics follow torch's pad / conv1d / conv2d exactly.
"""
import operator

import torch

_RAW_FILTERS = {
    "blur": [[1, 2, 1], [2, 4, 2], [1, 2, 1]],            # divided by 16 below
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "top_sobel": [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
    "bottom_sobel": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "left_sobel": [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
    "right_sobel": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "outline": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
}
FILTERS = {name: torch.tensor(rows, dtype=torch.float32) for name, rows in _RAW_FILTERS.items()}
FILTERS["blur"] = FILTERS["blur"] / 16


# ----------------------------------------------------------------------------- padding
def _fold(positions, size, mode):
    """Map output positions (in input coordinates) to valid input indices."""
    if mode == "replicate":
        return positions.clamp(0, size - 1)
    # reflect: mirror at 0, then mirror at size - 1 (torch requires pad < size)
    positions = positions.abs()
    return torch.where(positions > size - 1, 2 * (size - 1) - positions, positions)


def pad(input, pad, mode="constant", value=0.0):
    amounts = [operator.index(p) for p in pad]
    if len(amounts) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    ndim_pad = len(amounts) // 2
    if ndim_pad > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the "
                           "input dimension")
    if mode not in {"constant", "reflect", "replicate", "circular"}:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    value = 0.0 if value is None else value
    if mode != "constant":
        if value != 0:
            raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
        if not (1 <= ndim_pad <= 3 and input.dim() - ndim_pad in (1, 2)):
            raise NotImplementedError(f"Padding size {len(amounts)} is not supported for "
                                      f"{input.dim()}D input tensor.")

    # (dim, before, after) from the last dimension backwards
    plan = [(input.dim() - 1 - i, amounts[2 * i], amounts[2 * i + 1]) for i in range(ndim_pad)]
    sizes = {d: input.shape[d] for d, _, _ in plan}
    new_sizes = [sizes[d] + b + a for d, b, a in plan]

    if mode in ("reflect", "replicate"):
        if mode == "reflect" and any(b >= sizes[d] or a >= sizes[d] for d, b, a in plan):
            raise RuntimeError("Argument #4: Padding size should be less than the corresponding "
                               "input dimension")
        if min(new_sizes) < 0 or max(new_sizes) < 1:
            raise RuntimeError(f"input is too small. Calculated output sizes: {new_sizes}")
        out = input
        for d, b, a in plan:
            idx = _fold(torch.arange(-b, sizes[d] + a, device=input.device), sizes[d], mode)
            out = out.index_select(d, idx)
        return out

    # constant and circular: crop negative amounts first
    out = input
    for d, b, a in plan:
        kept = sizes[d] + min(b, 0) + min(a, 0)
        if mode == "circular":
            if b > sizes[d] or a > sizes[d]:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if kept < 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
        elif kept < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        out = out.index_select(d, torch.arange(max(-b, 0), max(-b, 0) + kept, device=input.device))
        b, a = max(b, 0), max(a, 0)
        if b == 0 and a == 0:
            continue
        if mode == "circular":
            if kept == 0:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            idx = torch.arange(-b, kept + a, device=input.device) % kept
            out = out.index_select(d, idx)
        else:
            shape_b = list(out.shape); shape_b[d] = b
            shape_a = list(out.shape); shape_a[d] = a
            out = torch.cat([out.new_full(shape_b, value), out, out.new_full(shape_a, value)], dim=d)
    return out


# ----------------------------------------------------------------------------- conv helpers
def _expand(value, n, name):
    if isinstance(value, (list, tuple)):
        if len(value) not in (1, n):
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                               f"values to match the convolution dimensions, but got "
                               f"{name}={list(value)}")
        value = list(value) * (n // len(value))
        return [operator.index(v) for v in value]
    return [operator.index(value)] * n


def _check(input, weight, bias, stride, padding, dilation, groups, n):
    name = f"conv{n}d"
    if input.dim() - n not in (1, 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {name}, "
                           f"but got input of size: {list(input.shape)}")
    if weight.dim() != n + 2:
        raise RuntimeError(f"{name}: weight must be {n + 2}-dimensional, got {list(weight.shape)}")
    stride = _expand(stride, n, "stride")
    dilation = _expand(dilation, n, "dilation")
    groups = operator.index(groups)
    ks = list(weight.shape[2:])
    if padding == "valid":
        pads = [(0, 0)] * n
    elif padding == "same":
        if stride != [1] * n:
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        totals = [d * (k - 1) for d, k in zip(dilation, ks)]
        pads = [(t // 2, t - t // 2) for t in totals]
    elif isinstance(padding, str):
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pads = [(p, p) for p in _expand(padding, n, "padding")]

    if min(stride) <= 0:
        raise RuntimeError("non-positive stride is not supported")
    if min(min(p) for p in pads) < 0:
        raise RuntimeError("negative padding is not supported")
    if min(dilation) <= 0:
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    c_out, c_in_g = weight.shape[:2]
    if c_out < groups or c_out % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {list(weight.shape)} instead")
    c_in = input.shape[-n - 1]
    if c_in != c_in_g * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
                           f"input to have {c_in_g * groups} channels, but got {c_in} channels "
                           f"instead")
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise RuntimeError(f"expected bias to be 1-dimensional with {c_out} elements, but got "
                           f"bias of size {list(bias.shape)} instead")
    for t in (weight, bias):
        if t is not None and t.dtype != input.dtype:
            raise RuntimeError(f"Input type ({input.dtype}) and weight/bias type ({t.dtype}) "
                               f"should be the same")
    spatial = input.shape[-n:]
    for s, (b, a), k, d in zip(spatial, pads, ks, dilation):
        if s + b + a < d * (k - 1) + 1:
            raise RuntimeError(f"Calculated padded input size per channel: {s + b + a}. "
                               f"Kernel size: {d * (k - 1) + 1}. Kernel size can't be greater "
                               f"than actual input size")
    return stride, pads, dilation, groups


def _windows(x, ks, stride, dilation, groups):
    """View (N, C, *S) as (N, G, C/G, *out, *ks) without copying."""
    x = x.contiguous()
    N, C = x.shape[:2]
    spatial = x.shape[2:]
    st = x.stride()
    out = [(s - d * (k - 1) - 1) // t + 1 for s, k, t, d in zip(spatial, ks, stride, dilation)]
    size = [N, groups, C // groups] + out + list(ks)
    strides = ([st[0], st[1] * (C // groups), st[1]]
               + [st[2 + i] * stride[i] for i in range(len(ks))]
               + [st[2 + i] * dilation[i] for i in range(len(ks))])
    return torch.as_strided(x, size, strides, x.storage_offset())


def _conv(input, weight, bias, stride, padding, dilation, groups, n):
    stride, pads, dilation, groups = _check(input, weight, bias, stride, padding, dilation, groups, n)
    x = input if input.dim() == n + 2 else input.unsqueeze(0)
    flat = [amount for pair in reversed(pads) for amount in pair]
    if any(flat):
        x = pad(x, flat)
    win = _windows(x, list(weight.shape[2:]), stride, dilation, groups)
    w = weight.reshape(groups, weight.shape[0] // groups, *weight.shape[1:])
    if n == 1:
        y = torch.einsum("ngcla,goca->ngol", win, w)
    else:
        y = torch.einsum("ngchwab,gocab->ngohw", win, w)
    y = y.reshape(y.shape[0], weight.shape[0], *y.shape[3:])
    if bias is not None:
        y = y + bias.reshape(1, -1, *([1] * n))
    return y if input.dim() == n + 2 else y[0]


# ----------------------------------------------------------------------------- public API
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)


def convolve2d(image, kernel):
    """Mathematical convolution: cross-correlation with the kernel rotated by 180 degrees."""
    if image.dim() != 2 or kernel.dim() != 2:
        raise RuntimeError("convolve2d expects a 2-D image and a 2-D kernel")
    return conv2d(image[None, None], kernel.flip(0, 1)[None, None])[0, 0]
