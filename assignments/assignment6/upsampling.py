"""Assignment 6, part 1: upsampling and unpooling (see README.md for the rules)."""
from __future__ import annotations

from collections.abc import Sequence

import torch


def upsample_nearest(input: torch.Tensor, scale_factor: int | Sequence[int]) -> torch.Tensor:
    """Task `upsample_nearest`: like F.interpolate(input, scale_factor=..., mode="nearest")."""
    raise NotImplementedError("upsample_nearest: implement me")


def upsample_bilinear(input: torch.Tensor, size: int | Sequence[int] | None = None,
                      scale_factor: int | Sequence[int] | None = None, align_corners: bool = False) -> torch.Tensor:
    """Task `upsample_bilinear`: like F.interpolate(input, ..., mode="bilinear", align_corners=...)."""
    raise NotImplementedError("upsample_bilinear: implement me")


def bed_of_nails(input: torch.Tensor, stride: int | Sequence[int]) -> torch.Tensor:
    """Task `bed_of_nails`: each value at the top-left of its stride x stride block, zeros elsewhere."""
    raise NotImplementedError("bed_of_nails: implement me")


def max_unpool2d(input: torch.Tensor, indices: torch.Tensor, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
                 output_size: Sequence[int] | None = None) -> torch.Tensor:
    """Task `max_unpool2d`: like F.max_unpool2d, with the indices max_pool2d returned."""
    raise NotImplementedError("max_unpool2d: implement me")


def bilinear_kernel(in_channels: int, out_channels: int, kernel_size: int,
                    dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Task `bilinear_kernel`: FCN's bilinear initial weight of a transposed convolution."""
    raise NotImplementedError("bilinear_kernel: implement me")
