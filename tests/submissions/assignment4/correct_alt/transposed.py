"""Assignment 4, a correct submission in another style than the reference.

conv_transposeNd: the textbook equivalence. Insert stride-1 zeros between the input values, pad
by dilation*(k-1) - padding on each side (negative: crop) plus output_padding at the end, then
correlate (stride 1, same dilation) with the kernel rotated by 180 degrees and its two channel
axes swapped; the windows come from Tensor.unfold, the sums from one einsum.
conv_transpose2d_matrix: the transposed conv applied to every basis vector.
overlap_count: a loop over the input pixels, each stamping a block of ones.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _tuple(value, n, what):
    if isinstance(value, str) or isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"{what} must be an int or a tuple of ints, got {value!r}")
    values = (value,) * n if isinstance(value, int) else tuple(value)
    if any(isinstance(v, bool) or not isinstance(v, int) for v in values):
        raise TypeError(f"{what} must contain ints, got {value!r}")
    if len(values) == 1:
        values = values * n
    if len(values) != n:
        raise RuntimeError(f"{what} needs {n} values, got {value!r}")
    return values


def _transposed(input, weight, bias, stride, padding, output_padding, groups, dilation, n):
    if input.dim() not in (n + 1, n + 2) or weight.dim() != n + 2:
        raise RuntimeError(f"bad input {tuple(input.shape)} or weight {tuple(weight.shape)} for {n}-D")
    stride = _tuple(stride, n, "stride")
    padding = _tuple(padding, n, "padding")
    output_padding = _tuple(output_padding, n, "output_padding")
    dilation = _tuple(dilation, n, "dilation")
    if type(groups) is not int:
        raise TypeError("groups must be an int")
    if groups < 1 or min(stride) < 1 or min(dilation) < 1 or min(padding) < 0 or min(output_padding) < 0:
        raise RuntimeError("groups, stride and dilation must be positive, paddings non-negative")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError("output_padding must be smaller than the stride or the dilation")
    single = input.dim() == n + 1
    x = input[None] if single else input
    c_in, c_out_g = weight.shape[0], weight.shape[1]
    ks = tuple(weight.shape[2:])
    if c_in == 0 or c_in % groups or c_out_g == 0 or min(ks) < 1:
        raise RuntimeError(f"weight {tuple(weight.shape)} does not fit groups={groups}")
    if x.shape[1] != c_in:
        raise RuntimeError(f"input has {x.shape[1]} channels, weight wants {c_in}")
    c_out = c_out_g * groups
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise RuntimeError(f"bias must have shape ({c_out},)")
    if weight.dtype != x.dtype:
        raise RuntimeError("input and weight dtypes differ")
    if x.shape[0] > 0 and min(x.shape[2:]) == 0:
        raise RuntimeError("empty spatial size")
    sizes = [(l - 1) * s - 2 * p + d * (k - 1) + 1 + op
             for l, s, p, d, k, op in zip(x.shape[2:], stride, padding, dilation, ks, output_padding)]
    if min(sizes) < 1:
        raise RuntimeError(f"output size {sizes} is too small")

    # 1. zeros between the input values (stride - 1 of them)
    batch = x.shape[0]
    up_shape = [(l - 1) * s + 1 for l, s in zip(x.shape[2:], stride)]
    up = x.new_zeros(batch, c_in, *up_shape)
    up[(slice(None), slice(None), *(slice(None, None, s) for s in stride))] = x
    # 2. pad (or crop) each side; output_padding extends the end only
    pads = []
    for p, d, k, op in reversed(list(zip(padding, dilation, ks, output_padding))):
        edge = d * (k - 1) - p
        pads += [edge, edge + op]
    up = F.pad(up, pads)
    # 3. stride-1 correlation with the rotated kernel, channels swapped per group
    rotated = weight.flip(list(range(2, n + 2)))
    c_in_g = c_in // groups
    w = rotated.reshape(groups, c_in_g, c_out_g, *ks)
    windows = up
    for dim, (d, k) in enumerate(zip(dilation, ks)):
        windows = windows.unfold(2 + dim, d * (k - 1) + 1, 1)
    picks = (slice(None),) * (n + 2) + tuple(slice(None, None, d) for d in dilation)
    windows = windows[picks]  # (N, C_in, *out, *k)
    windows = windows.reshape(batch, groups, c_in_g, *windows.shape[2:])
    letters = "hijl"[:n]
    taps = "pqrt"[:n]
    out = torch.einsum(f"bgc{letters}{taps},gco{taps}->bgo{letters}", windows, w)
    out = out.reshape(batch, c_out, *out.shape[3:])
    if bias is not None:
        out = out + bias.to(out.dtype).view(1, c_out, *[1] * n)
    return out[0] if single else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _transposed(input, weight, bias, stride, padding, output_padding, groups, dilation, 1)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _transposed(input, weight, bias, stride, padding, output_padding, groups, dilation, 2)


def conv_transpose2d_matrix(weight, input_size, stride=1, padding=0, output_padding=0, dilation=1):
    if weight.dim() != 4:
        raise RuntimeError("weight must be 4-D")
    h, w = _tuple(input_size, 2, "input_size")
    if h < 1 or w < 1:
        raise RuntimeError("input_size must be positive")
    c_in = weight.shape[0]
    basis = torch.eye(c_in * h * w, dtype=weight.dtype, device=weight.device).reshape(-1, c_in, h, w)
    columns = conv_transpose2d(basis, weight, None, stride, padding, output_padding, 1, dilation)
    return columns.reshape(c_in * h * w, -1).T


def overlap_count(input_size, kernel_size, stride):
    h, w = _tuple(input_size, 2, "input_size")
    kh, kw = _tuple(kernel_size, 2, "kernel_size")
    sh, sw = _tuple(stride, 2, "stride")
    if min(h, w, kh, kw, sh, sw) < 1:
        raise RuntimeError("sizes and strides must be positive")
    count = torch.zeros((h - 1) * sh + kh, (w - 1) * sw + kw)
    for i in range(h):
        for j in range(w):
            count[i * sh:i * sh + kh, j * sw:j * sw + kw] += 1
    return count
