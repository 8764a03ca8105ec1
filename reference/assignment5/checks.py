"""Experiments for the lecture's numbers that run on the student's classes; shipped in the handout."""
from __future__ import annotations

import torch

INCEPTION_3A = [[64], [96, 128], [16, 32], [3, 32]]


def depthwise_weights(cls) -> int:
    block = cls(3, 16)
    return block.depthwise.weight.numel() + block.pointwise.weight.numel()


def inception_3a_shape(cls) -> tuple[int, ...]:
    with torch.no_grad():
        return tuple(cls(192, INCEPTION_3A)(torch.zeros(1, 192, 4, 4)).shape)


def lenet_maps(cls) -> list[tuple[int, ...]]:
    """The shape after every layer of LeNet5's feature extractor, for one 32 x 32 image."""
    x, shapes = torch.zeros(1, 1, 32, 32), []
    with torch.no_grad():
        for layer in cls(10).feature_extractor:
            x = layer(x)
            shapes.append(tuple(x.shape))
    return shapes
