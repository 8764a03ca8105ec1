"""Instructor solution for assignment 6, part 1: getting back to full resolution."""
from __future__ import annotations

from collections.abc import Sequence

import torch

# Every function takes (N, C, H, W) tensors and raises ValueError for arguments it cannot use.


def _pair(value: int | Sequence[int], name: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints, each at least `minimum`, as (height, width)."""
    values = [value] if isinstance(value, int) else list(value) if isinstance(value, (tuple, list)) else [None]
    if len(values) == 1:
        values = values * 2
    if len(values) != 2 or any(isinstance(v, bool) or not isinstance(v, int) or v < minimum for v in values):
        raise ValueError(f"{name} must be an int or a pair of ints, each at least {minimum}, not {value!r}")
    return values[0], values[1]


def _batched(input: torch.Tensor) -> None:
    if input.dim() != 4:
        raise ValueError(f"expected an input of shape (N, C, H, W), got {tuple(input.shape)}")


def upsample_nearest(input: torch.Tensor, scale_factor: int | Sequence[int]) -> torch.Tensor:
    """Each value repeated into a scale x scale block (F.interpolate's "nearest" for whole factors)."""
    _batched(input)
    sh, sw = _pair(scale_factor, "scale_factor")
    return input.repeat_interleave(sh, dim=2).repeat_interleave(sw, dim=3)


def _source(out_size: int, in_size: int, align_corners: bool, dtype: torch.dtype, device: torch.device):
    """For each output row (or column): the two input rows it mixes and the weight of the second."""
    position = torch.arange(out_size, dtype=torch.float64, device=device)
    if align_corners:  # the corner pixels' centres coincide
        source = position * ((in_size - 1) / (out_size - 1)) if out_size > 1 else position * 0
    else:  # pixels are areas: centres at i + 0.5, mapped back by the ratio of the sizes
        source = ((position + 0.5) * (in_size / out_size) - 0.5).clamp(min=0)
    low = source.floor().long().clamp(max=in_size - 1)
    high = (low + 1).clamp(max=in_size - 1)
    return low, high, (source - low).to(dtype)


def upsample_bilinear(input: torch.Tensor, size: int | Sequence[int] | None = None,
                      scale_factor: int | Sequence[int] | None = None, align_corners: bool = False) -> torch.Tensor:
    """F.interpolate(input, size or scale_factor, mode="bilinear", align_corners=...), whole scale factors only."""
    _batched(input)
    if (size is None) == (scale_factor is None):
        raise ValueError("give exactly one of size and scale_factor")
    if size is not None:
        out_h, out_w = _pair(size, "size")
    else:
        sh, sw = _pair(scale_factor, "scale_factor")
        out_h, out_w = input.shape[2] * sh, input.shape[3] * sw
    top, bottom, dy = _source(out_h, input.shape[2], align_corners, input.dtype, input.device)
    left, right, dx = _source(out_w, input.shape[3], align_corners, input.dtype, input.device)
    rows = input[:, :, top] * (1 - dy)[:, None] + input[:, :, bottom] * dy[:, None]
    return rows[..., left] * (1 - dx) + rows[..., right] * dx


def bed_of_nails(input: torch.Tensor, stride: int | Sequence[int]) -> torch.Tensor:
    """Each value at the top-left corner of its stride x stride block; zeros elsewhere."""
    _batched(input)
    sh, sw = _pair(stride, "stride")
    n, c, h, w = input.shape
    output = input.new_zeros(n, c, h * sh, w * sw)
    output[:, :, ::sh, ::sw] = input
    return output


def max_unpool2d(input: torch.Tensor, indices: torch.Tensor, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
                 output_size: Sequence[int] | None = None) -> torch.Tensor:
    """F.max_unpool2d: each value put back at its flat index h * W + w in its own (sample, channel) plane."""
    _batched(input)
    if indices.shape != input.shape:
        raise ValueError(f"indices {tuple(indices.shape)} must have the input's shape {tuple(input.shape)}")
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(kernel_size if stride is None else stride, "stride")
    ph, pw = _pair(padding, "padding", minimum=0)
    n, c, h, w = input.shape
    default = ((h - 1) * sh - 2 * ph + kh, (w - 1) * sw - 2 * pw + kw)
    if output_size is None:
        out_h, out_w = default
    else:
        sizes = list(output_size)[-2:] if len(output_size) in (2, 4) else None
        if sizes is None or any(not default[i] - (sh, sw)[i] < sizes[i] < default[i] + (sh, sw)[i] for i in (0, 1)):
            raise ValueError(f"output_size {output_size!r} must be two sizes within a stride of {default}")
        out_h, out_w = sizes
    flat = indices.flatten(2)
    if flat.numel() and (int(flat.min()) < 0 or int(flat.max()) >= out_h * out_w):
        raise ValueError(f"an index is outside the {out_h}x{out_w} output plane")
    plane = input.new_zeros(n, c, out_h * out_w).scatter(2, flat, input.flatten(2))
    return plane.view(n, c, out_h, out_w)


def bilinear_kernel(in_channels: int, out_channels: int, kernel_size: int,
                    dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """FCN's initial weight (in_channels, out_channels, k, k) of a transposed convolution that
    upsamples bilinearly: the bilinear filter for channel i -> i, zero between different channels."""
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels), ("kernel_size", kernel_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, not {value!r}")
    factor = (kernel_size + 1) // 2
    centre = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    taps = 1 - (torch.arange(kernel_size, dtype=torch.float64) - centre).abs() / factor
    weight = torch.zeros(in_channels, out_channels, kernel_size, kernel_size, dtype=torch.float64)
    channels = range(min(in_channels, out_channels))
    weight[channels, channels] = taps[:, None] * taps[None, :]
    return weight.to(dtype)
