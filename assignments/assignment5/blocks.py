"""Assignment 5: network blocks as nn.Module classes (see README.md for the rules)."""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


class DepthwiseSeparableConv(nn.Module):
    """Task `depthwise_separable`: attributes `depthwise` (groups=nin) and `pointwise` (1x1)."""

    def __init__(self, nin: int, nout: int, kernel_size: int = 3, padding: int = 1):
        super().__init__()
        raise NotImplementedError("DepthwiseSeparableConv: implement me")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("DepthwiseSeparableConv: implement me")


class BasicBlock(nn.Module):
    """Task `basic_block`: ResNet's two-conv block; conv1, bn1, relu, conv2, bn2, downsample."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1):
        super().__init__()
        raise NotImplementedError("BasicBlock: implement me")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("BasicBlock: implement me")


class Bottleneck(nn.Module):
    """Task `bottleneck`: ResNet's 1x1-3x3-1x1 block; conv1..conv3, bn1..bn3, relu, downsample."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1):
        super().__init__()
        raise NotImplementedError("Bottleneck: implement me")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("Bottleneck: implement me")


class SELayer(nn.Module):
    """Task `se_layer`: squeeze-and-excitation; attributes `avg_pool` and `fc`."""

    def __init__(self, channel: int, reduction: int = 16):
        super().__init__()
        raise NotImplementedError("SELayer: implement me")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("SELayer: implement me")


class InceptionBlock(nn.Module):
    """Task `inception`: GoogLeNet's module; conv1, conv3_1, conv3_3, conv5_1, conv5_5, max_pool_1, conv_max_1."""

    def __init__(self, in_channels: int, config: Sequence[Sequence[int]]):
        super().__init__()
        raise NotImplementedError("InceptionBlock: implement me")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("InceptionBlock: implement me")


class LeNet5(nn.Module):
    """Task `lenet5`: `feature_extractor` and `classifier`; forward returns (logits, probs)."""

    def __init__(self, n_classes: int):
        super().__init__()
        raise NotImplementedError("LeNet5: implement me")

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError("LeNet5: implement me")


def make_vgg_layers(cfg: Sequence[int | str], batch_norm: bool = False) -> nn.Sequential:
    """Task `vgg_layers`: VGG's convolutional part as an nn.Sequential built from `cfg`."""
    raise NotImplementedError("make_vgg_layers: implement me")


class Dropout2d(nn.Module):
    """Task `dropout2d`: channel dropout written by hand (no dropout function or layer from torch)."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        raise NotImplementedError("Dropout2d: implement me")

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("Dropout2d: implement me")


class BatchNorm2d(nn.Module):
    """Task `batchnorm2d`: nn.BatchNorm2d written by hand, running statistics included."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1):
        super().__init__()
        raise NotImplementedError("BatchNorm2d: implement me")

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("BatchNorm2d: implement me")
