"""Instructor solution for assignment 5: the building blocks of classic convolutional networks."""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

# Attribute names are the contract: the grader fills every state_dict entry from its name, so a
# submission with the same names holds the same weights and must give the same outputs.


class DepthwiseSeparableConv(nn.Module):
    """A per-channel k x k convolution (groups=nin) followed by a 1x1 convolution mixing channels."""

    def __init__(self, nin: int, nout: int, kernel_size: int = 3, padding: int = 1):
        super().__init__()
        self.depthwise = nn.Conv2d(nin, nin, kernel_size, padding=padding, groups=nin)
        self.pointwise = nn.Conv2d(nin, nout, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


def _shortcut(inplanes: int, outplanes: int, stride: int) -> nn.Sequential | None:
    """The projection shortcut: needed when the residual branch changes the size or the channels."""
    if stride == 1 and inplanes == outplanes:
        return None
    return nn.Sequential(nn.Conv2d(inplanes, outplanes, kernel_size=1, stride=stride, bias=False),
                         nn.BatchNorm2d(outplanes))


class BasicBlock(nn.Module):
    """ResNet-18/34 block: 3x3 conv (stride) - BN - ReLU - 3x3 conv - BN, plus the shortcut, ReLU."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = _shortcut(inplanes, planes * self.expansion, stride)
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """ResNet-50+ block (torchvision's v1.5): 1x1 reduce - 3x3 (stride) - 1x1 expand by 4, each
    followed by BN, ReLU after the first two and after adding the shortcut."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(inplanes, planes * self.expansion, stride)
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class SELayer(nn.Module):
    """Squeeze-and-excitation: global average per channel, FC-ReLU-FC-sigmoid, channels rescaled."""

    def __init__(self, channel: int, reduction: int = 16):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(nn.Linear(channel, channel // reduction, bias=False),
                                nn.ReLU(inplace=True),
                                nn.Linear(channel // reduction, channel, bias=False),
                                nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c = x.shape[:2]
        weights = self.fc(self.avg_pool(x).view(n, c)).view(n, c, 1, 1)
        return x * weights


class InceptionBlock(nn.Module):
    """GoogLeNet's module with dimension reductions; branches concatenated on channels in the order
    1x1, 3x3, 5x5, pool. config = [[c1], [c3_reduce, c3], [c5_reduce, c5], [pool_kernel, c_pool]]."""

    def __init__(self, in_channels: int, config: Sequence[Sequence[int]]):
        super().__init__()
        (c1,), (c3_reduce, c3), (c5_reduce, c5), (pool_kernel, c_pool) = config
        self.conv1 = nn.Conv2d(in_channels, c1, kernel_size=1)
        self.conv3_1 = nn.Conv2d(in_channels, c3_reduce, kernel_size=1)
        self.conv3_3 = nn.Conv2d(c3_reduce, c3, kernel_size=3, padding=1)
        self.conv5_1 = nn.Conv2d(in_channels, c5_reduce, kernel_size=1)
        self.conv5_5 = nn.Conv2d(c5_reduce, c5, kernel_size=5, padding=2)
        self.max_pool_1 = nn.MaxPool2d(kernel_size=pool_kernel, stride=1, padding=pool_kernel // 2)
        self.conv_max_1 = nn.Conv2d(in_channels, c_pool, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch1 = F.relu(self.conv1(x))
        branch3 = F.relu(self.conv3_3(F.relu(self.conv3_1(x))))
        branch5 = F.relu(self.conv5_5(F.relu(self.conv5_1(x))))
        branch_pool = F.relu(self.conv_max_1(self.max_pool_1(x)))
        return torch.cat([branch1, branch3, branch5, branch_pool], dim=1)


class LeNet5(nn.Module):
    """The lecture's LeNet-5 for 1 x 32 x 32 images; forward returns (logits, softmax probabilities)."""

    def __init__(self, n_classes: int):
        super().__init__()
        self.feature_extractor = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5), nn.Tanh(), nn.AvgPool2d(kernel_size=2),
            nn.Conv2d(6, 16, kernel_size=5), nn.Tanh(), nn.AvgPool2d(kernel_size=2),
            nn.Conv2d(16, 120, kernel_size=5), nn.Tanh(),
        )
        self.classifier = nn.Sequential(nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, n_classes))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.classifier(torch.flatten(self.feature_extractor(x), 1))
        return logits, F.softmax(logits, dim=1)


def make_vgg_layers(cfg: Sequence[int | str], batch_norm: bool = False) -> nn.Sequential:
    """VGG's convolutional part from a config: an int is a 3x3 conv (padding 1) with that many
    output channels, then BN if asked, then ReLU; "M" is a 2x2 max pool with stride 2."""
    layers: list[nn.Module] = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class Dropout2d(nn.Module):
    """Channel dropout: in training each (sample, channel) map is zeroed with probability p, the
    others scaled by 1/(1-p); the identity in eval mode."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return input
        # One draw per map: the mask broadcasts over every dimension after the channel one.
        shape = (*input.shape[:2], *[1] * (input.dim() - 2))
        keep = torch.empty(shape, dtype=input.dtype, device=input.device).bernoulli_(1 - self.p)
        if self.p == 1:
            return input * keep  # all zeros, still on the graph
        return input * (keep / (1 - self.p))

    def extra_repr(self) -> str:
        return f"p={self.p}"


class BatchNorm2d(nn.Module):
    """Batch normalisation over (N, H, W) per channel, like nn.BatchNorm2d (affine, running stats)."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")
        if self.training:
            count = input.numel() // input.shape[1]  # values per channel: N * H * W
            if count <= 1:
                raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                                 f"{list(input.shape)}")
            mean = input.mean(dim=(0, 2, 3))
            var = (input - mean.view(1, -1, 1, 1)).square().mean(dim=(0, 2, 3))  # biased: normalises
            with torch.no_grad():
                self.num_batches_tracked += 1
                factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
                # The running variance estimates the population's: unbiased, divided by count - 1.
                self.running_mean.mul_(1 - factor).add_(mean.detach(), alpha=factor)
                self.running_var.mul_(1 - factor).add_(var.detach() * (count / (count - 1)), alpha=factor)
        else:
            mean, var = self.running_mean, self.running_var
        scale = self.weight / torch.sqrt(var + self.eps)
        return (input - mean.view(1, -1, 1, 1)) * scale.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
