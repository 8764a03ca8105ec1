"""Assignment 2: output sizes, receptive fields and parameter counts (see README.md)."""
from __future__ import annotations

from collections.abc import Sequence

from torch import nn


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                     dilation: int = 1) -> int:
    """Task `conv_output_size`: output length of `nn.Conv*d` along one dimension."""
    raise NotImplementedError("conv_output_size: implement me")


def pool_output_size(size: int, kernel_size: int, stride: int | None = None, padding: int = 0,
                     dilation: int = 1, ceil_mode: bool = False) -> int:
    """Task `pool_output_size`: output length of `nn.MaxPool*d` / `nn.AvgPool*d`."""
    raise NotImplementedError("pool_output_size: implement me")


def conv_transpose_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                               output_padding: int = 0, dilation: int = 1) -> int:
    """Task `conv_transpose_output_size`: output length of `nn.ConvTranspose*d`."""
    raise NotImplementedError("conv_transpose_output_size: implement me")


def same_padding(kernel_size: int, dilation: int = 1) -> tuple[int, int]:
    """Task `same_padding`: the (left, right) padding that `padding="same"` applies."""
    raise NotImplementedError("same_padding: implement me")


def receptive_field(layers: Sequence[tuple[int, int, int]]) -> int:
    """Task `receptive_field`: receptive field of a stack of (kernel_size, stride, dilation)."""
    raise NotImplementedError("receptive_field: implement me")


def conv_parameters(in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                    groups: int = 1, bias: bool = True) -> int:
    """Task `conv_parameters`: number of parameters of `nn.Conv2d`."""
    raise NotImplementedError("conv_parameters: implement me")


def conv_mult_adds(in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                   output_size: int | tuple[int, int], groups: int = 1) -> int:
    """Task `conv_mult_adds`: multiply-adds of one `nn.Conv2d` forward pass, bias not counted."""
    raise NotImplementedError("conv_mult_adds: implement me")


def trace_shapes(model: nn.Sequential, input_shape: Sequence[int]) -> list[tuple[int, ...]]:
    """Task `trace_shapes`: shape after each layer of an `nn.Sequential`, without running it."""
    raise NotImplementedError("trace_shapes: implement me")


def parameter_table(model: nn.Module) -> list[tuple[str, int, int]]:
    """Task `parameter_table`: (layer name, weights, biases) per layer that has parameters."""
    raise NotImplementedError("parameter_table: implement me")
