"""Assignment 6, part 2: U-Net, FPN's top-down path, the Dice loss, SegNet's decoder and the
resize-convolution (see README.md for the rules)."""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def crop_and_concat(skip: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Task `crop_and_concat`: the centre of `skip` cropped to x's size, then [skip, x] along the channels."""
    raise NotImplementedError("crop_and_concat: implement me")


def unet_output_size(input_size: int, depth: int = 4) -> int:
    """Task `unet_output_size`: the output size of the paper's U-Net (unpadded convolutions)."""
    raise NotImplementedError("unet_output_size: implement me")


def double_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    """Two unpadded 3x3 convolutions, each followed by a ReLU (used by UNet; not graded on its own)."""
    raise NotImplementedError("double_conv: implement me")


class UNet(nn.Module):
    """Task `unet`: attributes `encoders`, `pool`, `bottleneck`, `upsamples`, `decoders`, `head`."""

    def __init__(self, in_channels: int, num_classes: int, depth: int = 4, width: int = 64):
        super().__init__()
        raise NotImplementedError("UNet: implement me")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("UNet: implement me")


class FPNTopDown(nn.Module):
    """Task `fpn_top_down`: attributes `lateral` and `smooth` (one convolution per level in each)."""

    def __init__(self, in_channels: Sequence[int], out_channels: int = 256):
        super().__init__()
        raise NotImplementedError("FPNTopDown: implement me")

    def forward(self, features: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        raise NotImplementedError("FPNTopDown: implement me")


def dice_loss(probs: torch.Tensor, target: torch.Tensor, smooth: float = 1.0) -> torch.Tensor:
    """Task `dice_loss`: soft Dice loss, averaged over the classes."""
    raise NotImplementedError("dice_loss: implement me")


class SegNetDecoder(nn.Module):
    """Task `segnet_decoder`: attribute `stages` (per level: unpool with the encoder's indices, then conv, BN, ReLU)."""

    def __init__(self, channels: Sequence[int]):
        super().__init__()
        raise NotImplementedError("SegNetDecoder: implement me")

    def forward(self, x: torch.Tensor, indices: Sequence[torch.Tensor],
                sizes: Sequence[Sequence[int]]) -> torch.Tensor:
        raise NotImplementedError("SegNetDecoder: implement me")


class ResizeConv(nn.Module):
    """Task `resize_conv`: attribute `conv`; resize (nearest or bilinear), then convolve."""

    def __init__(self, in_channels: int, out_channels: int, scale_factor: int = 2, mode: str = "nearest",
                 kernel_size: int = 3):
        super().__init__()
        raise NotImplementedError("ResizeConv: implement me")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("ResizeConv: implement me")
