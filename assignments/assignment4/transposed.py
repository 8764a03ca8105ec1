"""Assignment 4: transposed convolution from scratch (see README.md for the rules)."""
from __future__ import annotations

from collections.abc import Sequence

import torch


def conv_transpose1d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                     stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                     output_padding: int | Sequence[int] = 0, groups: int = 1,
                     dilation: int | Sequence[int] = 1) -> torch.Tensor:
    """Task `conv_transpose1d`: 1-D transposed convolution, a drop-in replacement for `F.conv_transpose1d`."""
    raise NotImplementedError("conv_transpose1d: implement me")


def conv_transpose2d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                     stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                     output_padding: int | Sequence[int] = 0, groups: int = 1,
                     dilation: int | Sequence[int] = 1) -> torch.Tensor:
    """Task `conv_transpose2d`: 2-D transposed convolution, a drop-in replacement for `F.conv_transpose2d`."""
    raise NotImplementedError("conv_transpose2d: implement me")


def conv_transpose2d_matrix(weight: torch.Tensor, input_size: int | Sequence[int],
                            stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                            output_padding: int | Sequence[int] = 0,
                            dilation: int | Sequence[int] = 1) -> torch.Tensor:
    """Task `conv_transpose2d_matrix`: the matrix M with `conv_transpose2d(z).flatten() == M @ z.flatten()`."""
    raise NotImplementedError("conv_transpose2d_matrix: implement me")


def overlap_count(input_size: int | Sequence[int], kernel_size: int | Sequence[int],
                  stride: int | Sequence[int]) -> torch.Tensor:
    """Task `overlap_count`: how many kernel placements cover each output pixel (float32, H_out x W_out)."""
    raise NotImplementedError("overlap_count: implement me")
