"""The lecture's wrong numbers, as the statements correct them: each checked with torch (on the
meta device: no memory) and found in the statement where the topic comes up."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from conftest import ROOT


def _parameters(*modules: nn.Module) -> int:
    return sum(p.numel() for module in modules for p in module.parameters())


def _statement(assignment: str) -> str:
    return (ROOT / "assignments" / assignment / "README.md").read_text(encoding="utf-8")


def test_a_fully_connected_layer_on_a_256x256x3_image_needs_about_3_9e10_weights():
    with torch.device("meta"):
        weights = nn.Linear(256 * 256 * 3, 256 * 256 * 3, bias=False).weight.numel()
    assert weights == 38_654_705_664 and round(weights / 1e10, 1) == 3.9
    assert "38,654,705,664" in _statement("assignment2")


def test_a_depthwise_separable_layer_has_c_times_kernel_plus_c_squared_weights():
    c, n = 64, 1
    with torch.device("meta"):
        depthwise = nn.Conv2d(c, c, 2 * n + 1, groups=c, bias=False)
        pointwise = nn.Conv2d(c, c, 1, bias=False)
    assert _parameters(depthwise, pointwise) == c * (2 * n + 1) ** 2 + c ** 2 == 4_672
    for assignment in ("assignment2", "assignment5"):
        assert "C·(2n+1)² + C²" in _statement(assignment) and "4,672" in _statement(assignment)


def test_a_grouped_convolution_has_s_times_fewer_weights():
    with torch.device("meta"):
        grouped, full = nn.Conv2d(64, 64, 3, groups=4, bias=False), nn.Conv2d(64, 64, 3, bias=False)
    assert _parameters(full) == 4 * _parameters(grouped) == 36_864
    assert "groups=4, bias=False) == 9_216" in _statement("assignment2")


def test_stride_multiplies_the_output_position():
    image, kernel, s = torch.randn(1, 1, 9, 9, dtype=torch.float64), torch.randn(1, 1, 3, 3, dtype=torch.float64), 2
    out = F.conv2d(image, kernel, stride=s)[0, 0]
    by_formula = torch.tensor([[sum(kernel[0, 0, n, m] * image[0, 0, s * x + n, s * y + m]
                                    for n in range(3) for m in range(3)) for y in range(out.shape[1])]
                               for x in range(out.shape[0])], dtype=torch.float64)
    assert torch.allclose(out, by_formula)
    assert "I[s·x + n, s·y + m]" in _statement("assignment1")


def _inception(inputs: int, config: list) -> list[nn.Module]:
    (c1,), (r3, c3), (r5, c5), (_, cp) = config
    return [nn.Conv2d(inputs, c1, 1), nn.Conv2d(inputs, r3, 1), nn.Conv2d(r3, c3, 3, padding=1),
            nn.Conv2d(inputs, r5, 1), nn.Conv2d(r5, c5, 5, padding=2), nn.Conv2d(inputs, cp, 1)]


def test_the_lectures_googlenet_code_has_about_7m_parameters_not_5m():
    blocks = [(192, [[64], [96, 128], [16, 32], [3, 32]]), (256, [[128], [128, 192], [32, 96], [3, 64]]),
              (480, [[192], [96, 204], [16, 48], [3, 64]]), (508, [[160], [112, 224], [24, 64], [3, 64]]),
              (512, [[128], [128, 256], [24, 64], [3, 64]]), (512, [[112], [144, 288], [32, 64], [3, 64]]),
              (528, [[256], [160, 320], [32, 128], [3, 128]]), (832, [[256], [160, 320], [48, 128], [3, 128]]),
              (832, [[384], [192, 384], [48, 128], [3, 128]])]  # Inception_v1 as the lecture's code builds it
    with torch.device("meta"):
        layers = [nn.Conv2d(3, 64, 7, 2, 3), nn.Conv2d(64, 64, 1), nn.Conv2d(64, 192, 3, padding=1),
                  *(layer for inputs, config in blocks for layer in _inception(inputs, config)), nn.Linear(1024, 1000)]
    assert _parameters(*layers) == 7_058_180
    assert "7,058,180" in _statement("assignment5")
