"""Assignment 6, part 1, in another style: index tables and interpolation matrices."""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


def _two(value, what: str, least: int = 1) -> tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{what}: expected an int or two ints, got {value!r}")
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int) or v < least:
            raise ValueError(f"{what}: expected ints >= {least}, got {value!r}")
    return int(value[0]), int(value[1])


def _four_d(x: torch.Tensor) -> None:
    if x.ndim != 4:
        raise ValueError("input must be (N, C, H, W)")


def upsample_nearest(input: torch.Tensor, scale_factor: int | Sequence[int]) -> torch.Tensor:
    _four_d(input)
    sh, sw = _two(scale_factor, "scale_factor")
    rows = torch.arange(input.shape[2] * sh, device=input.device) // sh
    cols = torch.arange(input.shape[3] * sw, device=input.device) // sw
    return input[:, :, rows][:, :, :, cols]


def _interpolation_matrix(n_out: int, n_in: int, align_corners: bool, like: torch.Tensor) -> torch.Tensor:
    """A (n_out, n_in) matrix whose row i holds the two weights output i gives its inputs."""
    matrix = torch.zeros(n_out, n_in, dtype=like.dtype, device=like.device)
    for i in range(n_out):
        if align_corners:
            x = i * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        else:
            x = max((i + 0.5) * n_in / n_out - 0.5, 0.0)
        left = min(int(x), n_in - 1)
        right = min(left + 1, n_in - 1)
        t = x - left
        matrix[i, left] += 1 - t
        matrix[i, right] += t
    return matrix


def upsample_bilinear(input: torch.Tensor, size: int | Sequence[int] | None = None,
                      scale_factor: int | Sequence[int] | None = None, align_corners: bool = False) -> torch.Tensor:
    _four_d(input)
    if size is not None and scale_factor is not None:
        raise ValueError("size and scale_factor: pick one")
    if size is None and scale_factor is None:
        raise ValueError("size or scale_factor is needed")
    if size is not None:
        out_h, out_w = _two(size, "size")
    else:
        sh, sw = _two(scale_factor, "scale_factor")
        out_h, out_w = input.shape[2] * sh, input.shape[3] * sw
    rows = _interpolation_matrix(out_h, input.shape[2], align_corners, input)
    cols = _interpolation_matrix(out_w, input.shape[3], align_corners, input)
    return rows @ input @ cols.T


def bed_of_nails(input: torch.Tensor, stride: int | Sequence[int]) -> torch.Tensor:
    _four_d(input)
    sh, sw = _two(stride, "stride")
    channels = input.shape[1]
    nail = torch.zeros(channels, 1, sh, sw, dtype=input.dtype, device=input.device)
    nail[:, :, 0, 0] = 1
    return F.conv_transpose2d(input, nail, stride=(sh, sw), groups=channels)


def max_unpool2d(input: torch.Tensor, indices: torch.Tensor, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
                 output_size: Sequence[int] | None = None) -> torch.Tensor:
    _four_d(input)
    if tuple(indices.shape) != tuple(input.shape):
        raise ValueError("indices and input differ in shape")
    kh, kw = _two(kernel_size, "kernel_size")
    sh, sw = (kh, kw) if stride is None else _two(stride, "stride")
    ph, pw = _two(padding, "padding", 0)
    n, c, h, w = input.shape
    out_h, out_w = (h - 1) * sh - 2 * ph + kh, (w - 1) * sw - 2 * pw + kw
    if output_size is not None:
        wanted = tuple(output_size)[-2:]
        if len(tuple(output_size)) not in (2, 4) or abs(wanted[0] - out_h) >= sh or abs(wanted[1] - out_w) >= sw:
            raise ValueError(f"bad output_size {output_size!r}")
        out_h, out_w = wanted
    planes = indices.reshape(n * c, h * w)
    if planes.numel() and (planes.min() < 0 or planes.max() >= out_h * out_w):
        raise ValueError("index out of range")
    output = input.new_zeros(n * c, out_h * out_w)
    rows = torch.arange(n * c, device=input.device)[:, None].expand_as(planes)
    output = output.index_put((rows.reshape(-1), planes.reshape(-1)), input.reshape(-1))
    return output.reshape(n, c, out_h, out_w)


def bilinear_kernel(in_channels: int, out_channels: int, kernel_size: int,
                    dtype: torch.dtype = torch.float32) -> torch.Tensor:
    if min(in_channels, out_channels, kernel_size) < 1:
        raise ValueError("channels and kernel_size must be positive")
    factor = (kernel_size + 1) // 2
    centre = factor - 1 if kernel_size % 2 else factor - 0.5
    line = [1 - abs(i - centre) / factor for i in range(kernel_size)]
    filt = torch.tensor([[a * b for b in line] for a in line], dtype=dtype)
    weight = torch.zeros(in_channels, out_channels, kernel_size, kernel_size, dtype=dtype)
    for channel in range(min(in_channels, out_channels)):
        weight[channel, channel] = filt
    return weight
