"""Assignment 3, part 2: convolution as matrix multiplication (see README.md for the rules)."""
from __future__ import annotations

from collections.abc import Sequence

import torch


def unfold(input: torch.Tensor, kernel_size: int | Sequence[int], dilation: int | Sequence[int] = 1,
           padding: int | Sequence[int] = 0, stride: int | Sequence[int] = 1) -> torch.Tensor:
    """Task `unfold`: sliding windows as columns (im2col), a drop-in replacement for `F.unfold`."""
    raise NotImplementedError("unfold: implement me")


def conv2d_matrix(weight: torch.Tensor, input_size: int | Sequence[int],
                  stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                  dilation: int | Sequence[int] = 1) -> torch.Tensor:
    """Task `conv2d_matrix`: the matrix H with conv2d(x, weight).flatten() == H @ x.flatten()."""
    raise NotImplementedError("conv2d_matrix: implement me")


def conv2d_im2col(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                  stride: int | Sequence[int] = 1, padding: int | Sequence[int] | str = 0,
                  dilation: int | Sequence[int] = 1) -> torch.Tensor:
    """Task `conv2d_im2col`: `F.conv2d` (no groups) as unfold followed by a matrix product."""
    raise NotImplementedError("conv2d_im2col: implement me")
