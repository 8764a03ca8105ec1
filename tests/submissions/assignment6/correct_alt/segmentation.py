"""Assignment 6, part 2, in another style: narrow, loops over levels, F.interpolate for FPN, torch's
unpooling and nn.Upsample."""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def crop_and_concat(skip: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    if skip.ndim != 4 or x.ndim != 4:
        raise ValueError("expected 4-D tensors")
    if skip.shape[0] != x.shape[0]:
        raise ValueError("batch sizes differ")
    dh, dw = skip.shape[2] - x.shape[2], skip.shape[3] - x.shape[3]
    if dh < 0 or dw < 0:
        raise ValueError("skip is smaller than x")
    cropped = skip.narrow(2, dh // 2, x.shape[2]).narrow(3, dw // 2, x.shape[3])
    return torch.cat((cropped, x), 1)


def unet_output_size(input_size: int, depth: int = 4) -> int:
    sizes = [input_size]
    for _ in range(depth):
        before_pool = sizes[-1] - 2 - 2
        if before_pool <= 0 or before_pool % 2 == 1:
            raise ValueError(f"cannot pool a map of size {before_pool}")
        sizes.append(before_pool // 2)
    size = sizes[-1] - 4
    for _ in range(depth):
        if size <= 0:
            raise ValueError("the map vanished")
        size = size * 2 - 4
    if size <= 0:
        raise ValueError("the map vanished")
    return size


def double_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    layers = []
    for channels in (in_channels, out_channels):
        layers += [nn.Conv2d(channels, out_channels, kernel_size=3), nn.ReLU()]
    return nn.Sequential(*layers)


class UNet(nn.Module):
    def __init__(self, in_channels: int, num_classes: int, depth: int = 4, width: int = 64):
        super().__init__()
        self.encoders = nn.ModuleList()
        self.upsamples = nn.ModuleList()
        self.decoders = nn.ModuleList()
        channels = in_channels
        for level in range(depth):
            self.encoders.append(double_conv(channels, width << level))
            channels = width << level
            self.upsamples.append(nn.ConvTranspose2d(width << (level + 1), width << level, kernel_size=2, stride=2))
            self.decoders.append(double_conv(width << (level + 1), width << level))
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.bottleneck = double_conv(channels, width << depth)
        self.head = nn.Conv2d(width, num_classes, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for encoder in self.encoders:
            skips.append(encoder(x))
            x = self.pool(skips[-1])
        x = self.bottleneck(x)
        for upsample, decoder, skip in zip(self.upsamples[::-1], self.decoders[::-1], skips[::-1]):
            x = decoder(crop_and_concat(skip, upsample(x)))
        return self.head(x)


class FPNTopDown(nn.Module):
    def __init__(self, in_channels: Sequence[int], out_channels: int = 256):
        super().__init__()
        self.lateral = nn.ModuleList([nn.Conv2d(c, out_channels, kernel_size=1) for c in in_channels])
        self.smooth = nn.ModuleList([nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1)
                                     for _ in in_channels])

    def forward(self, features: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        if len(features) != len(self.lateral):
            raise ValueError("one feature map per level")
        laterals = [conv(f) for conv, f in zip(self.lateral, features)]
        for level in range(len(laterals) - 2, -1, -1):
            laterals[level] = laterals[level] + F.interpolate(laterals[level + 1], scale_factor=2, mode="nearest")
        return [conv(m) for conv, m in zip(self.smooth, laterals)]


def dice_loss(probs: torch.Tensor, target: torch.Tensor, smooth: float = 1.0) -> torch.Tensor:
    if probs.ndim < 2 or probs.shape != target.shape:
        raise ValueError("probs and target: the same (N, C, ...) shape")
    p = probs.transpose(0, 1).reshape(probs.shape[1], -1)
    t = target.transpose(0, 1).reshape(target.shape[1], -1)
    dice = (2 * torch.einsum("cn,cn->c", p, t) + smooth) / (p.sum(1) + t.sum(1) + smooth)
    return 1 - dice.mean()


class SegNetDecoder(nn.Module):
    def __init__(self, channels: Sequence[int]):
        super().__init__()
        self.unpool = nn.MaxUnpool2d(kernel_size=2, stride=2)
        self.stages = nn.ModuleList()
        for level, channel in enumerate(channels):
            out = channels[level - 1] if level else channel
            self.stages.append(nn.Sequential(nn.Conv2d(channel, out, kernel_size=3, padding=1, bias=False),
                                             nn.BatchNorm2d(out), nn.ReLU()))

    def forward(self, x: torch.Tensor, indices: Sequence[torch.Tensor],
                sizes: Sequence[Sequence[int]]) -> torch.Tensor:
        if not len(indices) == len(sizes) == len(self.stages):
            raise ValueError("one pooling per level")
        for stage, index, size in zip(self.stages[::-1], indices[::-1], sizes[::-1]):
            x = stage(self.unpool(x, index, output_size=size))
        return x


class ResizeConv(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, scale_factor: int = 2, mode: str = "nearest",
                 kernel_size: int = 3):
        super().__init__()
        if mode not in {"nearest", "bilinear"}:
            raise ValueError(f"unknown mode {mode}")
        if kernel_size % 2 != 1:
            raise ValueError("the kernel must be odd to keep the size")
        self.resize = nn.Upsample(scale_factor=scale_factor, mode=mode)
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=(kernel_size - 1) // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.resize(x))
