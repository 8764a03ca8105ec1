"""Instructor solution for assignment 4: transposed convolution written from plain tensor ops."""
from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch


# ---------------------------------------------------------------------------------------------
# conv_transpose1d / conv_transpose2d
# ---------------------------------------------------------------------------------------------

def conv_transpose1d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                     stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                     output_padding: int | Sequence[int] = 0, groups: int = 1,
                     dilation: int | Sequence[int] = 1) -> torch.Tensor:
    """1-D transposed convolution with the signature and semantics of `F.conv_transpose1d`."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                           "conv_transpose1d")


def conv_transpose2d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                     stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                     output_padding: int | Sequence[int] = 0, groups: int = 1,
                     dilation: int | Sequence[int] = 1) -> torch.Tensor:
    """2-D transposed convolution with the signature and semantics of `F.conv_transpose2d`."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d")


def _conv_transpose(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
                    stride, padding, output_padding, groups: int, dilation, n: int,
                    name: str) -> torch.Tensor:
    """Shared body for `n` spatial dimensions: every input value stamps the kernel, scaled by
    itself, onto the output at `stride` times its position; overlapping stamps add up."""
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(
            f"{name}: expected a {n + 1}-D (unbatched) or {n + 2}-D (batched) input, "
            f"got shape {tuple(input.shape)}")
    if weight.dim() != n + 2:
        raise RuntimeError(
            f"{name}: expected a {n + 2}-D weight (in_channels, out_channels / groups, "
            f"kernel...), got shape {tuple(weight.shape)}")
    unbatched = input.dim() == n + 1
    x = input.unsqueeze(0) if unbatched else input

    stride = _expand(stride, n, "stride", name)
    padding = _expand(padding, n, "padding", name)
    output_padding = _expand(output_padding, n, "output_padding", name)
    dilation = _expand(dilation, n, "dilation", name)
    if isinstance(groups, bool) or not isinstance(groups, int):
        raise TypeError(f"{name}: groups must be an int, got {groups!r}")
    if groups <= 0:
        raise RuntimeError(f"{name}: groups must be positive, got {groups}")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{name}: stride must be positive, got {stride}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{name}: dilation must be positive, got {dilation}")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"{name}: padding must be non-negative, got {padding}")
    if any(op < 0 for op in output_padding):
        raise RuntimeError(f"{name}: output_padding must be non-negative, got {output_padding}")
    # output_padding only picks one of the input sizes that a strided conv maps to the same
    # output size; torch accepts it when it is below the stride or below the dilation.
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise RuntimeError(
                f"{name}: output_padding must be smaller than either stride or dilation, got "
                f"output_padding={output_padding}, stride={stride}, dilation={dilation}")

    in_channels, out_per_group = weight.shape[0], weight.shape[1]
    kernel = list(weight.shape[2:])
    if in_channels == 0 or in_channels % groups != 0:
        raise RuntimeError(
            f"{name}: weight of shape {tuple(weight.shape)} needs a positive number of input "
            f"channels (dimension 0) divisible by groups={groups}")
    if out_per_group == 0 or any(k <= 0 for k in kernel):
        raise RuntimeError(f"{name}: weight of shape {tuple(weight.shape)} must not be empty")
    if x.shape[1] != in_channels:
        raise RuntimeError(
            f"{name}: input has {x.shape[1]} channels, but weight of shape "
            f"{tuple(weight.shape)} expects {in_channels} (a transposed conv's weight is "
            f"(in_channels, out_channels / groups, kernel...))")
    out_channels = out_per_group * groups
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_channels):
        raise RuntimeError(
            f"{name}: bias must be 1-D with {out_channels} elements, got shape {tuple(bias.shape)}")
    if weight.dtype != x.dtype or weight.device != x.device:
        raise RuntimeError(
            f"{name}: input ({x.dtype}, {x.device}) and weight ({weight.dtype}, "
            f"{weight.device}) must have the same dtype and device")
    in_size = list(x.shape[2:])
    if x.shape[0] and any(size == 0 for size in in_size):
        raise RuntimeError(f"{name}: empty spatial dimensions in input of shape {tuple(input.shape)}")

    # (L - 1) * s + d * (k - 1) + 1 positions receive a stamp; padding crops that many from each
    # end and output_padding adds positions (zeros but for the bias) at the end only.
    full = [(size - 1) * s + d * (k - 1) + 1
            for size, s, d, k in zip(in_size, stride, dilation, kernel)]
    out_size = [f - 2 * p + op for f, p, op in zip(full, padding, output_padding)]
    if any(size <= 0 for size in out_size):
        raise RuntimeError(
            f"{name}: input of size {tuple(in_size)} gives an output of size {tuple(out_size)}; "
            f"the padding crops too much")

    batch, in_per_group = x.shape[0], in_channels // groups
    xs = x.reshape(batch, groups, in_per_group, *in_size)
    ws = weight.reshape(groups, in_per_group, out_per_group, *kernel)
    canvas = x.new_zeros(batch, groups, out_per_group, *[f + op for f, op in zip(full, output_padding)])
    # One pass per kernel tap: tap t of input position i lands on output position i*s + t*d.
    # All input positions of one tap go at once through a strided slice of the canvas.
    for tap in itertools.product(*(range(k) for k in kernel)):
        stamp = torch.einsum("ngc...,gco->ngo...", xs, ws[(slice(None), slice(None), slice(None), *tap)])
        window = tuple(slice(t * d, t * d + s * (size - 1) + 1, s)
                       for t, d, s, size in zip(tap, dilation, stride, in_size))
        canvas[(slice(None), slice(None), slice(None), *window)] += stamp
    crop = tuple(slice(p, p + size) for p, size in zip(padding, out_size))
    output = canvas[(slice(None), slice(None), slice(None), *crop)].reshape(batch, out_channels, *out_size)
    if bias is not None:
        output = output + bias.to(output.dtype).reshape(1, out_channels, *([1] * n))
    return output.squeeze(0) if unbatched else output


def _int_list(value: Sequence[int], what: str) -> list[int]:
    """The ints of `value` as a list; anything else is a TypeError, as in torch's bindings."""
    values = list(value)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{what} must contain ints, got {value!r}")
    return values


def _expand(value: int | Sequence[int], n: int, what: str, name: str) -> list[int]:
    """An int or a sequence of ints as a list of n ints; a 1-element sequence is repeated."""
    if isinstance(value, str):
        raise TypeError(f"{name}: {what} must be an int or a tuple of ints, got {value!r}")
    values = _int_list([value] if isinstance(value, int) else value, f"{name}: {what}")
    if len(values) == 1:
        values = values * n
    if len(values) != n:
        raise RuntimeError(f"{name}: {what} must be one int or {n} ints, got {value!r}")
    return values


# ---------------------------------------------------------------------------------------------
# conv_transpose2d_matrix
# ---------------------------------------------------------------------------------------------

def conv_transpose2d_matrix(weight: torch.Tensor, input_size: int | Sequence[int],
                            stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                            output_padding: int | Sequence[int] = 0,
                            dilation: int | Sequence[int] = 1) -> torch.Tensor:
    """The matrix M of a transposed conv on one (C_in, H_in, W_in) sample:
    `conv_transpose2d(z, weight, ...).flatten() == M @ z.flatten()`.

    M[(co, y, x), (ci, i, j)] = weight[ci, co, a, b] where y = i*s + a*d - p and
    x = j*s + b*d - p: the transpose of the conv2d matrix of the same weight.
    """
    name = "conv_transpose2d_matrix"
    if weight.dim() != 4:
        raise RuntimeError(f"{name}: expected a 4-D weight (in_channels, out_channels, kh, kw), "
                           f"got shape {tuple(weight.shape)}")
    size = _expand(input_size, 2, "input_size", name)
    stride = _expand(stride, 2, "stride", name)
    padding = _expand(padding, 2, "padding", name)
    output_padding = _expand(output_padding, 2, "output_padding", name)
    dilation = _expand(dilation, 2, "dilation", name)
    if any(v <= 0 for v in size):
        raise RuntimeError(f"{name}: input_size must be positive, got {size}")
    if any(s <= 0 for s in stride) or any(d <= 0 for d in dilation):
        raise RuntimeError(f"{name}: stride and dilation must be positive, got {stride}, {dilation}")
    if any(p < 0 for p in padding) or any(op < 0 for op in output_padding):
        raise RuntimeError(f"{name}: padding and output_padding must be non-negative")
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise RuntimeError(f"{name}: output_padding must be smaller than either stride or dilation, "
                               f"got output_padding={output_padding}, stride={stride}, dilation={dilation}")
    in_channels, out_channels, kh, kw = weight.shape
    if min(weight.shape) == 0:
        raise RuntimeError(f"{name}: weight of shape {tuple(weight.shape)} must not be empty")
    (h, w), (sh, sw), (ph, pw), (dh, dw) = size, stride, padding, dilation
    out_h = (h - 1) * sh + dh * (kh - 1) + 1 - 2 * ph + output_padding[0]
    out_w = (w - 1) * sw + dw * (kw - 1) + 1 - 2 * pw + output_padding[1]
    if out_h <= 0 or out_w <= 0:
        raise RuntimeError(f"{name}: input of size {tuple(size)} gives an output of size "
                           f"({out_h}, {out_w}); the padding crops too much")

    device = weight.device

    def axis(count: int, shape_at: int) -> torch.Tensor:
        """arange(count) shaped to broadcast over (C_out, C_in, kh, kw, H, W) at `shape_at`."""
        shape = [1] * 6
        shape[shape_at] = count
        return torch.arange(count, device=device).reshape(shape)

    co, ci, a, b, i, j = (axis(c, k) for k, c in enumerate((out_channels, in_channels, kh, kw, h, w)))
    y = i * sh + a * dh - ph  # the output row that tap (a, b) of input pixel (i, j) lands on
    x = j * sw + b * dw - pw
    rows = (co * out_h + y) * out_w + x
    cols = (ci * h + i) * w + j
    shape = (out_channels, in_channels, kh, kw, h, w)
    inside = ((y >= 0) & (y < out_h) & (x >= 0) & (x < out_w)).expand(shape)
    values = weight.permute(1, 0, 2, 3).reshape(out_channels, in_channels, kh, kw, 1, 1).expand(shape)
    matrix = weight.new_zeros(out_channels * out_h * out_w, in_channels * h * w)
    # Distinct taps of one input pixel land on distinct output pixels, so no entry is written twice.
    return matrix.index_put((rows.expand(shape)[inside], cols.expand(shape)[inside]), values[inside])


# ---------------------------------------------------------------------------------------------
# overlap_count
# ---------------------------------------------------------------------------------------------

def overlap_count(input_size: int | Sequence[int], kernel_size: int | Sequence[int],
                  stride: int | Sequence[int]) -> torch.Tensor:
    """How many kernel placements of a stride-`stride` transposed conv cover each output pixel,
    as a float32 (H_out, W_out) tensor: `F.conv_transpose2d` of ones with a kernel of ones."""
    name = "overlap_count"
    size = _expand(input_size, 2, "input_size", name)
    kernel = _expand(kernel_size, 2, "kernel_size", name)
    stride = _expand(stride, 2, "stride", name)
    for what, values in (("input_size", size), ("kernel_size", kernel), ("stride", stride)):
        if any(v <= 0 for v in values):
            raise RuntimeError(f"{name}: {what} must be positive, got {values}")
    # The count is separable: a pixel (y, x) is covered once for every pair of a row placement
    # covering y and a column placement covering x.
    counts = []
    for length, k, s in zip(size, kernel, stride):
        starts = torch.arange(length) * s
        covered = (starts[:, None] + torch.arange(k)[None, :]).flatten()
        counts.append(torch.bincount(covered, minlength=(length - 1) * s + k).to(torch.float32))
    return counts[0][:, None] * counts[1][None, :]
