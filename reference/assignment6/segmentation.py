"""Instructor solution for assignment 6, part 2: U-Net, FPN's top-down path, the Dice loss, SegNet's
decoder and the resize-convolution."""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

# Attribute names are the contract, as in assignment 5: the grader fills every state_dict entry
# from its name, so a module with the same names holds the same weights.


def crop_and_concat(skip: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """U-Net's skip connection: the centre of `skip` cropped to x's height and width, then
    [cropped skip, x] concatenated along the channels."""
    if skip.dim() != 4 or x.dim() != 4 or skip.shape[0] != x.shape[0]:
        raise ValueError(f"expected two (N, C, H, W) tensors with the same N, got {tuple(skip.shape)} "
                         f"and {tuple(x.shape)}")
    (hs, ws), (h, w) = skip.shape[2:], x.shape[2:]
    if hs < h or ws < w:
        raise ValueError(f"the skip ({hs}x{ws}) is smaller than the upsampled map ({h}x{w})")
    top, left = (hs - h) // 2, (ws - w) // 2
    return torch.cat([skip[:, :, top:top + h, left:left + w], x], dim=1)


def unet_output_size(input_size: int, depth: int = 4) -> int:
    """The output size of the paper's U-Net (unpadded 3x3 convolutions) for an input of
    input_size x input_size, with `depth` poolings; ValueError where a pooling would get an odd
    size (the output would no longer tile) or a size would reach 0."""
    if depth < 0 or input_size < 1:
        raise ValueError(f"no U-Net of depth {depth} for an input of {input_size}")
    size = input_size
    for level in range(depth):
        size -= 4
        if size < 2 or size % 2:
            raise ValueError(f"{input_size}: level {level + 1} would pool a {size}x{size} map; its size must "
                             "be even and positive")
        size //= 2
    size -= 4
    for _ in range(depth):
        if size < 1:
            break
        size = 2 * size - 4
    if size < 1:
        raise ValueError(f"{input_size} is too small for a U-Net of depth {depth}")
    return size


def double_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    """Two unpadded 3x3 convolutions, each followed by a ReLU: every U-Net level's block."""
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3), nn.ReLU(inplace=True),
                         nn.Conv2d(out_channels, out_channels, 3), nn.ReLU(inplace=True))


class UNet(nn.Module):
    """The paper's U-Net: `depth` levels of double_conv and 2x2 max pooling down, a bottleneck,
    then per level a 2x2 transposed convolution up, crop_and_concat with the level's skip and a
    double_conv; a 1x1 convolution gives the class scores. Level i has width * 2**i channels."""

    def __init__(self, in_channels: int, num_classes: int, depth: int = 4, width: int = 64):
        super().__init__()
        channels = [width * 2 ** level for level in range(depth + 1)]
        self.encoders = nn.ModuleList(double_conv(in_channels if level == 0 else channels[level - 1], channels[level])
                                      for level in range(depth))
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = double_conv(channels[depth - 1] if depth else in_channels, channels[depth])
        self.upsamples = nn.ModuleList(nn.ConvTranspose2d(channels[level + 1], channels[level], 2, stride=2)
                                       for level in range(depth))
        self.decoders = nn.ModuleList(double_conv(channels[level + 1], channels[level]) for level in range(depth))
        self.head = nn.Conv2d(channels[0], num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for encoder in self.encoders:
            x = encoder(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for level in reversed(range(len(self.decoders))):
            x = self.decoders[level](crop_and_concat(skips[level], self.upsamples[level](x)))
        return self.head(x)


class FPNTopDown(nn.Module):
    """FPN's top-down path: feature maps C_0, ..., C_{L-1} (finest first, each half the size of the
    one before) -> P_0, ..., P_{L-1}: lateral 1x1 convolutions, the coarser merged map M upsampled x2
    (nearest) and added, then a 3x3 smoothing convolution."""

    def __init__(self, in_channels: Sequence[int], out_channels: int = 256):
        super().__init__()
        self.lateral = nn.ModuleList(nn.Conv2d(c, out_channels, 1) for c in in_channels)
        self.smooth = nn.ModuleList(nn.Conv2d(out_channels, out_channels, 3, padding=1) for _ in in_channels)

    def forward(self, features: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        if len(features) != len(self.lateral):
            raise ValueError(f"expected {len(self.lateral)} feature maps, got {len(features)}")
        merged = self.lateral[-1](features[-1])
        outputs = [self.smooth[-1](merged)]
        for level in reversed(range(len(features) - 1)):
            upsampled = merged.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)  # nearest, x2
            merged = self.lateral[level](features[level]) + upsampled
            outputs.insert(0, self.smooth[level](merged))
        return outputs


def dice_loss(probs: torch.Tensor, target: torch.Tensor, smooth: float = 1.0) -> torch.Tensor:
    """Soft Dice loss: 1 - the mean over classes of (2 |P∩T| + smooth) / (|P| + |T| + smooth), each
    class's sums taken over the batch and all positions. `probs` and `target` are (N, C, ...)."""
    if probs.shape != target.shape or probs.dim() < 2:
        raise ValueError(f"probs {tuple(probs.shape)} and target {tuple(target.shape)} must have one shape "
                         "(N, C, ...)")
    dims = (0, *range(2, probs.dim()))
    overlap = (probs * target).sum(dims)
    total = probs.sum(dims) + target.sum(dims)
    return 1 - ((2 * overlap + smooth) / (total + smooth)).mean()


def _unpool(x: torch.Tensor, indices: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Max-unpooling to `size`: each value back at its flat position h * W + w in a zero plane
    (F.max_unpool2d with output_size, without its size check, which imports sympy)."""
    height, width = size
    flat = x.new_zeros(*x.shape[:2], height * width)
    return flat.scatter(2, indices.flatten(2), x.flatten(2)).view(*x.shape[:2], height, width)


def conv_bn_relu(in_channels: int, out_channels: int) -> nn.Sequential:
    """SegNet's layer: a padded 3x3 convolution without bias (the BatchNorm after it would cancel
    one), batch normalisation, ReLU."""
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
                         nn.ReLU(inplace=True))


class SegNetDecoder(nn.Module):
    """SegNet's decoder: from the coarsest level down, unpool with the indices of the encoder's
    pooling at the same level (back to the size it pooled), then conv_bn_relu. `channels` are the
    encoder's channels per level, finest first; level i returns to channels[i - 1] (level 0 keeps
    channels[0])."""

    def __init__(self, channels: Sequence[int]):
        super().__init__()
        self.stages = nn.ModuleList(conv_bn_relu(channels[level], channels[max(level - 1, 0)])
                                    for level in range(len(channels)))

    def forward(self, x: torch.Tensor, indices: Sequence[torch.Tensor],
                sizes: Sequence[Sequence[int]]) -> torch.Tensor:
        if len(indices) != len(self.stages) or len(sizes) != len(self.stages):
            raise ValueError(f"expected the indices and sizes of {len(self.stages)} poolings, got {len(indices)} "
                             f"and {len(sizes)}")
        for level in reversed(range(len(self.stages))):
            x = self.stages[level](_unpool(x, indices[level], sizes[level]))
        return x


class ResizeConv(nn.Module):
    """Upsampling without checkerboard artefacts (Odena et al., 2016): resize by `scale_factor`
    (nearest or bilinear), then a convolution that keeps the size."""

    def __init__(self, in_channels: int, out_channels: int, scale_factor: int = 2, mode: str = "nearest",
                 kernel_size: int = 3):
        super().__init__()
        if mode not in ("nearest", "bilinear") or kernel_size % 2 == 0:
            raise ValueError(f"mode must be 'nearest' or 'bilinear' and kernel_size odd, got {mode!r} and "
                             f"{kernel_size}")
        self.scale_factor, self.mode = scale_factor, mode
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        corners = False if self.mode == "bilinear" else None  # the pixels-are-areas mapping, as upsample_bilinear
        return self.conv(F.interpolate(x, scale_factor=self.scale_factor, mode=self.mode, align_corners=corners))
