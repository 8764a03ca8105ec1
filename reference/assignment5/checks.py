"""Experiments for the lecture's numbers that run on the student's classes; shipped in the handout."""
from __future__ import annotations

import torch
from torch import nn

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


def vgg_parameters(make_vgg_layers, cfg) -> int:
    """The parameters of the lecture's `VGG(make_layers(cfg))`: the convolutions `make_vgg_layers`
    builds and the lecture's classifier (three fully connected layers), built without memory."""
    with torch.device("meta"):
        features = make_vgg_layers(cfg)
        classifier = nn.Sequential(nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(),
                                   nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(), nn.Linear(4096, 1000))
    return sum(p.numel() for module in (features, classifier) for p in module.parameters())


RESNET152_STAGES = ((64, 3, 1), (128, 8, 2), (256, 36, 2), (512, 3, 2))  # (planes, blocks, stride): the lecture's table


def resnet152_layers(bottleneck) -> int:
    """The weight layers of ResNet-152 as the lecture's table builds it from `Bottleneck` blocks: the
    7x7 convolution, every convolution on a block's main path (a downsample shortcut is not counted as a
    layer) and the final fully connected layer. Built without memory."""
    with torch.device("meta"):
        blocks, inplanes = [], 64
        for planes, count, stride in RESNET152_STAGES:
            for i in range(count):
                blocks.append(bottleneck(inplanes, planes, stride=stride if i == 0 else 1))
                inplanes = planes * 4
    main_path = [name for block in blocks for name, module in block.named_modules()
                 if isinstance(module, (nn.Conv2d, nn.Linear)) and name.split(".")[0] != "downsample"]
    return 1 + len(main_path) + 1  # conv1 (7x7, 64, stride 2) + the blocks + the 1000-d fc
