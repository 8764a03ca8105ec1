"""Instructor solution for assignment 3, part 2: convolution as a matrix product (im2col)."""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


# ---------------------------------------------------------------------------------------------
# arguments
# ---------------------------------------------------------------------------------------------

def _pair(value: int | Sequence[int], what: str, name: str, single: bool = True) -> tuple[int, int]:
    """An int or a pair of ints (or, where `single`, a 1-tuple used for both dimensions)."""
    values = [value, value] if isinstance(value, int) else list(value)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{name}: {what} must be an int or a tuple of ints, got {value!r}")
    if single and len(values) == 1:
        values = values * 2
    if len(values) != 2:
        raise RuntimeError(f"{name}: {what} must be one int or two ints, got {value!r}")
    return values[0], values[1]


def _check(kernel, dilation, padding, stride, name: str) -> None:
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"{name}: kernel size must be positive, got {kernel}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{name}: dilation must be positive, got {dilation}")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"{name}: padding must be non-negative, got {padding}")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{name}: stride must be positive, got {stride}")


def _out_sizes(size, kernel, dilation, padding, stride, name: str) -> tuple[int, int]:
    """Number of window positions per dimension; at least one must fit."""
    out = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                for n, k, d, p, s in zip(size, kernel, dilation, padding, stride))
    if any(o < 1 for o in out):
        raise RuntimeError(f"{name}: the dilated kernel {kernel} (dilation {dilation}) does not fit "
                           f"into the input {tuple(size)} padded by {padding}")
    return out


def _taps(out: int, kernel: int, dilation: int, stride: int, padding: int,
          device: torch.device) -> torch.Tensor:
    """(kernel, out) input coordinates read by kernel tap i at output position o."""
    return (torch.arange(kernel, device=device)[:, None] * dilation
            + torch.arange(out, device=device)[None, :] * stride - padding)


# ---------------------------------------------------------------------------------------------
# unfold (im2col)
# ---------------------------------------------------------------------------------------------

def unfold(input: torch.Tensor, kernel_size: int | Sequence[int], dilation: int | Sequence[int] = 1,
           padding: int | Sequence[int] = 0, stride: int | Sequence[int] = 1) -> torch.Tensor:
    """Sliding windows as columns, like `F.unfold`: (N, C, H, W) -> (N, C*kh*kw, L).

    Row c*kh*kw + i*kw + j of column l holds channel c at kernel tap (i, j) of window l;
    windows are numbered row by row. An unbatched (C, H, W) input gives (C*kh*kw, L).
    """
    name = "unfold"
    kernel = _pair(kernel_size, "kernel_size", name, single=False)
    dilation = _pair(dilation, "dilation", name, single=False)
    padding = _pair(padding, "padding", name, single=False)
    stride = _pair(stride, "stride", name, single=False)
    if input.dim() not in (3, 4):
        raise RuntimeError(f"{name}: expected a 3-D or 4-D input, got shape {tuple(input.shape)}")
    _check(kernel, dilation, padding, stride, name)
    unbatched = input.dim() == 3
    x = input.unsqueeze(0) if unbatched else input
    out = _out_sizes(x.shape[-2:], kernel, dilation, padding, stride, name)
    x = F.pad(x, (padding[1], padding[1], padding[0], padding[0]))
    rows = _taps(out[0], kernel[0], dilation[0], stride[0], 0, x.device)   # (kh, Oh)
    cols = _taps(out[1], kernel[1], dilation[1], stride[1], 0, x.device)   # (kw, Ow)
    patches = x[:, :, rows[:, :, None, None], cols[None, None, :, :]]     # (N, C, kh, Oh, kw, Ow)
    patches = patches.permute(0, 1, 2, 4, 3, 5)                            # (N, C, kh, kw, Oh, Ow)
    columns = patches.reshape(x.shape[0], x.shape[1] * kernel[0] * kernel[1], out[0] * out[1])
    return columns.squeeze(0) if unbatched else columns


# ---------------------------------------------------------------------------------------------
# conv2d_matrix: the lecture's sparse matrix H
# ---------------------------------------------------------------------------------------------

def conv2d_matrix(weight: torch.Tensor, input_size: int | Sequence[int],
                  stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                  dilation: int | Sequence[int] = 1) -> torch.Tensor:
    """The matrix H with conv2d(x, weight).flatten() == H @ x.flatten() for one (C_in, H, W) input.

    Shape (C_out*H_out*W_out, C_in*H_in*W_in); rows and columns follow torch's row-major
    flattening of (C_out, H_out, W_out) and (C_in, H_in, W_in).
    """
    name = "conv2d_matrix"
    if weight.dim() != 4:
        raise RuntimeError(f"{name}: expected a 4-D weight (C_out, C_in, kh, kw), "
                           f"got shape {tuple(weight.shape)}")
    size = _pair(input_size, "input_size", name)
    stride = _pair(stride, "stride", name)
    padding = _pair(padding, "padding", name)
    dilation = _pair(dilation, "dilation", name)
    kernel = tuple(weight.shape[2:])
    if any(n <= 0 for n in size):
        raise RuntimeError(f"{name}: input_size must be positive, got {size}")
    _check(kernel, dilation, padding, stride, name)
    out = _out_sizes(size, kernel, dilation, padding, stride, name)
    # select[o, i, n] = 1 where kernel tap i of output position o reads input position n;
    # taps that fall into the zero padding read nothing, so their column stays 0.
    select = []
    for o, k, d, s, p, n in zip(out, kernel, dilation, stride, padding, size):
        taps = _taps(o, k, d, s, p, weight.device).T                       # (o, k)
        select.append((taps[:, :, None] == torch.arange(n, device=weight.device)).to(weight.dtype))
    # H[(co, oh, ow), (ci, h, w)] = sum_{i, j} weight[co, ci, i, j] [tap (i, j) of (oh, ow) reads (h, w)]
    matrix = torch.einsum("abij,pih,qjw->apqbhw", weight, select[0], select[1])
    return matrix.reshape(weight.shape[0] * out[0] * out[1], weight.shape[1] * size[0] * size[1])


# ---------------------------------------------------------------------------------------------
# conv2d_im2col
# ---------------------------------------------------------------------------------------------

def conv2d_im2col(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                  stride: int | Sequence[int] = 1, padding: int | Sequence[int] | str = 0,
                  dilation: int | Sequence[int] = 1) -> torch.Tensor:
    """`F.conv2d` (groups=1) as unfold followed by one matrix product."""
    name = "conv2d_im2col"
    if input.dim() not in (3, 4):
        raise RuntimeError(f"{name}: expected a 3-D or 4-D input, got shape {tuple(input.shape)}")
    if weight.dim() != 4:
        raise RuntimeError(f"{name}: expected a 4-D weight, got shape {tuple(weight.shape)}")
    unbatched = input.dim() == 3
    x = input.unsqueeze(0) if unbatched else input
    out_channels, in_channels = weight.shape[:2]
    if x.shape[1] != in_channels:
        raise RuntimeError(f"{name}: input has {x.shape[1]} channels, weight of shape "
                           f"{tuple(weight.shape)} expects {in_channels}")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_channels):
        raise RuntimeError(f"{name}: bias must be 1-D with {out_channels} elements, "
                           f"got shape {tuple(bias.shape)}")
    for other, what in ((weight, "weight"), (bias, "bias")):
        if other is not None and (other.dtype != x.dtype or other.device != x.device):
            raise RuntimeError(f"{name}: input ({x.dtype}, {x.device}) and {what} "
                               f"({other.dtype}, {other.device}) must match")
    stride = _pair(stride, "stride", name)
    dilation = _pair(dilation, "dilation", name)
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0)
        elif padding == "same":
            if stride != (1, 1):
                raise RuntimeError(f"{name}: padding='same' needs stride 1, got {stride}")
            # dilation*(k-1) zeros in all; an odd total puts the extra one at the bottom/right.
            totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
            x = F.pad(x, (totals[1] // 2, totals[1] - totals[1] // 2,
                          totals[0] // 2, totals[0] - totals[0] // 2))
            padding = (0, 0)
        else:
            raise RuntimeError(f"{name}: padding must be 'valid', 'same' or ints, got {padding!r}")
    padding = _pair(padding, "padding", name)
    _check(kernel, dilation, padding, stride, name)
    out = _out_sizes(x.shape[-2:], kernel, dilation, padding, stride, name)
    columns = unfold(x, kernel, dilation, padding, stride)                 # (N, C_in*kh*kw, L)
    result = weight.reshape(out_channels, -1) @ columns                    # (N, C_out, L)
    result = result.reshape(x.shape[0], out_channels, *out)
    if bias is not None:
        result = result + bias.reshape(1, -1, 1, 1)
    return result.squeeze(0) if unbatched else result
