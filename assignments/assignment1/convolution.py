"""Assignment 1: padding and convolution from scratch (see README.md for the rules)."""
from __future__ import annotations

from collections.abc import Sequence

import torch


def pad(input: torch.Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = 0.0) -> torch.Tensor:
    """Task `pad`: pad the last dimensions of a 3-D or 4-D tensor like `F.pad`."""
    raise NotImplementedError("pad: implement me")


def conv1d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride: int | Sequence[int] = 1, padding: int | Sequence[int] | str = 0,
           dilation: int | Sequence[int] = 1, groups: int = 1) -> torch.Tensor:
    """Task `conv1d`: 1-D cross-correlation, a drop-in replacement for `F.conv1d`."""
    raise NotImplementedError("conv1d: implement me")


def conv2d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride: int | Sequence[int] = 1, padding: int | Sequence[int] | str = 0,
           dilation: int | Sequence[int] = 1, groups: int = 1) -> torch.Tensor:
    """Task `conv2d`: 2-D cross-correlation, a drop-in replacement for `F.conv2d`."""
    raise NotImplementedError("conv2d: implement me")


def convolve2d(image: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Task `convolve2d`: true 2-D convolution (kernel flipped) of 2-D tensors, valid region."""
    raise NotImplementedError("convolve2d: implement me")


# Task `filters`: the lecture's 3x3 kernels as float32 tensors under the keys blur, sharpen,
# top_sobel, bottom_sobel, left_sobel, right_sobel and outline.
FILTERS: dict[str, torch.Tensor] = {}
