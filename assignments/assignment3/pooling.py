"""Assignment 3, part 1: pooling and its gradient (see README.md for the rules)."""
from __future__ import annotations

from collections.abc import Sequence

import torch


def max_pool2d(input: torch.Tensor, kernel_size: int | Sequence[int],
               stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
               dilation: int | Sequence[int] = 1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Task `max_pool2d`: 2-D max pooling, a drop-in replacement for `F.max_pool2d`."""
    raise NotImplementedError("max_pool2d: implement me")


def avg_pool2d(input: torch.Tensor, kernel_size: int | Sequence[int],
               stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> torch.Tensor:
    """Task `avg_pool2d`: 2-D average pooling, a drop-in replacement for `F.avg_pool2d`."""
    raise NotImplementedError("avg_pool2d: implement me")


def max_pool2d_backward(grad_output: torch.Tensor, input: torch.Tensor,
                        kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
                        padding: int | Sequence[int] = 0, dilation: int | Sequence[int] = 1,
                        ceil_mode: bool = False) -> torch.Tensor:
    """Task `max_pool2d_backward`: the gradient of max_pool2d with respect to its input, by hand."""
    raise NotImplementedError("max_pool2d_backward: implement me")


def adaptive_avg_pool2d(input: torch.Tensor, output_size) -> torch.Tensor:
    """Task `adaptive_avg_pool2d`: average over adaptive bins, like `F.adaptive_avg_pool2d`."""
    raise NotImplementedError("adaptive_avg_pool2d: implement me")


def adaptive_max_pool2d(input: torch.Tensor, output_size) -> torch.Tensor:
    """Task `adaptive_max_pool2d`: maximum over adaptive bins, like `F.adaptive_max_pool2d`."""
    raise NotImplementedError("adaptive_max_pool2d: implement me")


def global_pool2d(input: torch.Tensor, mode: str = "avg") -> torch.Tensor:
    """Task `global_pool2d`: average ("avg") or maximum ("max") over all of H and W."""
    raise NotImplementedError("global_pool2d: implement me")


def spatial_pyramid_pool2d(input: torch.Tensor, levels: Sequence[int] = (1, 2, 4),
                           mode: str = "max") -> torch.Tensor:
    """Task `spatial_pyramid_pool2d`: adaptive pooling at several levels, flattened and joined."""
    raise NotImplementedError("spatial_pyramid_pool2d: implement me")
