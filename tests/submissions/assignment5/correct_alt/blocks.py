"""A correct assignment 5 in another style: functional forwards, loops over layers, var_mean."""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def conv_bn(cin: int, cout: int, k: int, stride: int = 1) -> tuple[nn.Conv2d, nn.BatchNorm2d]:
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False), nn.BatchNorm2d(cout)


class DepthwiseSeparableConv(nn.Module):
    def __init__(self, nin: int, nout: int, kernel_size: int = 3, padding: int = 1):
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels=nin, out_channels=nin, kernel_size=kernel_size,
                                   padding=padding, groups=nin, bias=True)
        self.pointwise = nn.Conv2d(in_channels=nin, out_channels=nout, kernel_size=(1, 1))

    def forward(self, x):
        d, p = self.depthwise, self.pointwise
        x = F.conv2d(x, d.weight, d.bias, padding=d.padding, groups=d.groups)
        return F.conv2d(x, p.weight, p.bias)


class _Residual(nn.Module):
    """Shared forward for both ResNet blocks: numbered conv/bn pairs, ReLU between them."""

    def _branch(self, x, pairs):
        for i in range(1, pairs + 1):
            x = getattr(self, f"bn{i}")(getattr(self, f"conv{i}")(x))
            if i < pairs:
                x = F.relu(x)
        return x

    def _shortcut(self, inplanes, outplanes, stride):
        if stride != 1 or inplanes != outplanes:
            return nn.Sequential(*conv_bn(inplanes, outplanes, 1, stride))
        return None


class BasicBlock(_Residual):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1, self.bn1 = conv_bn(inplanes, planes, 3, stride)
        self.relu = nn.ReLU()
        self.conv2, self.bn2 = conv_bn(planes, planes, 3)
        self.downsample = self._shortcut(inplanes, planes, stride)

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(self._branch(x, 2) + shortcut)


class Bottleneck(_Residual):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1, self.bn1 = conv_bn(inplanes, planes, 1)
        self.conv2, self.bn2 = conv_bn(planes, planes, 3, stride)
        self.conv3, self.bn3 = conv_bn(planes, 4 * planes, 1)
        self.relu = nn.ReLU()
        self.downsample = self._shortcut(inplanes, 4 * planes, stride)

    def forward(self, x):
        out = self._branch(x, 3)
        out = out + (self.downsample(x) if self.downsample is not None else x)
        return out.clamp(min=0)


class SELayer(nn.Module):
    def __init__(self, channel: int, reduction: int = 16):
        super().__init__()
        hidden = channel // reduction
        self.avg_pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Sequential()
        for layer in (nn.Linear(channel, hidden, bias=False), nn.ReLU(),
                      nn.Linear(hidden, channel, bias=False), nn.Sigmoid()):
            self.fc.append(layer)

    def forward(self, x):
        squeezed = x.mean(dim=(2, 3))
        excitation = self.fc(squeezed)
        return x * excitation[:, :, None, None]


class InceptionBlock(nn.Module):
    def __init__(self, in_channels: int, config: Sequence[Sequence[int]]):
        super().__init__()
        c1 = config[0][0]
        r3, c3 = config[1]
        r5, c5 = config[2]
        k, cp = config[3]
        self.conv1 = nn.Conv2d(in_channels, c1, 1)
        self.conv3_1 = nn.Conv2d(in_channels, r3, 1)
        self.conv3_3 = nn.Conv2d(r3, c3, 3, padding="same")
        self.conv5_1 = nn.Conv2d(in_channels, r5, 1)
        self.conv5_5 = nn.Conv2d(r5, c5, 5, padding="same")
        self.max_pool_1 = nn.MaxPool2d(k, 1, (k - 1) // 2)
        self.conv_max_1 = nn.Conv2d(in_channels, cp, 1)

    def forward(self, x):
        branches = [[self.conv1], [self.conv3_1, self.conv3_3], [self.conv5_1, self.conv5_5],
                    [self.max_pool_1, self.conv_max_1]]
        outputs = []
        for branch in branches:
            y = x
            for layer in branch:
                y = layer(y)
                if isinstance(layer, nn.Conv2d):
                    y = torch.relu(y)
            outputs.append(y)
        return torch.cat(outputs, 1)


class LeNet5(nn.Module):
    def __init__(self, n_classes: int):
        super().__init__()
        layers = []
        for cin, cout in ((1, 6), (6, 16), (16, 120)):
            layers += [nn.Conv2d(cin, cout, 5), nn.Tanh()]
            if cout != 120:
                layers.append(nn.AvgPool2d(2))
        self.feature_extractor = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, n_classes))

    def forward(self, x):
        features = self.feature_extractor(x).reshape(x.shape[0], -1)
        logits = self.classifier(features)
        probs = torch.exp(logits - logits.logsumexp(dim=-1, keepdim=True))
        return logits, probs


def make_vgg_layers(cfg, batch_norm=False):
    model = nn.Sequential()
    channels = 3
    for item in cfg:
        if isinstance(item, str):
            model.append(nn.MaxPool2d(2))
        else:
            model.append(nn.Conv2d(channels, item, (3, 3), padding=(1, 1)))
            if batch_norm:
                model.append(nn.BatchNorm2d(item))
            model.append(nn.ReLU())
            channels = item
    return model


class Dropout2d(nn.Module):
    def __init__(self, p: float = 0.5):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.p = float(p)

    def forward(self, input):
        if not self.training:
            return input
        noise = torch.rand(input.shape[0], input.shape[1], device=input.device)
        keep = (noise >= self.p).to(input.dtype)
        keep = keep.view(*keep.shape, *([1] * (input.dim() - 2)))
        scale = 0.0 if self.p == 1 else 1.0 / (1.0 - self.p)
        return input * keep * scale


class BatchNorm2d(nn.Module):
    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1):
        super().__init__()
        self.eps = eps
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.zeros((), dtype=torch.long))

    def forward(self, input):
        if input.ndim != 4:
            raise ValueError("BatchNorm2d expects (N, C, H, W)")
        c = input.shape[1]
        flat = input.transpose(0, 1).reshape(c, -1)  # (C, N*H*W)
        if self.training:
            n = flat.shape[1]
            if n < 2:
                raise ValueError("Expected more than 1 value per channel when training")
            var, mean = torch.var_mean(flat, dim=1, correction=0)
            self.num_batches_tracked.add_(1)
            f = self.momentum if self.momentum is not None else 1.0 / self.num_batches_tracked.item()
            with torch.no_grad():
                self.running_mean.copy_((1 - f) * self.running_mean + f * mean)
                self.running_var.copy_((1 - f) * self.running_var + f * var * n / (n - 1))
        else:
            mean, var = self.running_mean, self.running_var
        normalised = (flat - mean[:, None]) * torch.rsqrt(var[:, None] + self.eps)
        out = normalised * self.weight[:, None] + self.bias[:, None]
        return out.reshape(c, input.shape[0], *input.shape[2:]).transpose(0, 1)
