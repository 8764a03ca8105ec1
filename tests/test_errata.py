"""The lectures' wrong numbers and facts, and a statement's own past one (the bilinear kernel for an
odd factor), as the statements correct them: each checked with torch (parameter counts on the meta
device: no memory) and found in the statement where the topic comes up."""
from __future__ import annotations

import inspect

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


def _googlenet(channels_4a: int) -> int:
    """GoogLeNet's parameters, without the auxiliary classifiers, with `channels_4a` in block 4a's
    3x3 branch: the paper has 208, the lecture's `Inception_v1` code 204."""
    blocks = [(192, [[64], [96, 128], [16, 32], [3, 32]]), (256, [[128], [128, 192], [32, 96], [3, 64]]),
              (480, [[192], [96, channels_4a], [16, 48], [3, 64]]),
              (304 + channels_4a, [[160], [112, 224], [24, 64], [3, 64]]),  # 4a's output: 192 + c3 + 48 + 64
              (512, [[128], [128, 256], [24, 64], [3, 64]]), (512, [[112], [144, 288], [32, 64], [3, 64]]),
              (528, [[256], [160, 320], [32, 128], [3, 128]]), (832, [[256], [160, 320], [48, 128], [3, 128]]),
              (832, [[384], [192, 384], [48, 128], [3, 128]])]
    with torch.device("meta"):
        layers = [nn.Conv2d(3, 64, 7, 2, 3), nn.Conv2d(64, 64, 1), nn.Conv2d(64, 192, 3, padding=1),
                  *(layer for inputs, config in blocks for layer in _inception(inputs, config)), nn.Linear(1024, 1000)]
    return _parameters(*layers)


def test_the_lectures_googlenet_code_has_about_7m_parameters_the_paper_s_5m_being_a_round_figure():
    with torch.device("meta"):
        alexnet = [nn.Conv2d(3, 96, 11, 4), nn.Conv2d(96, 256, 5, padding=2), nn.Conv2d(256, 384, 3, padding=1),
                   nn.Conv2d(384, 384, 3, padding=1), nn.Conv2d(384, 256, 3, padding=1), nn.Linear(9216, 4096),
                   nn.Linear(4096, 4096), nn.Linear(4096, 1000)]  # the lecture's table (assignment 2)
    table_1 = [2.7, 112, 159, 380, 364, 437, 463, 580, 840, 1072, 1388, 1000]  # the paper's "params" column, in K
    assert _parameters(*alexnet) == 62_378_344 and round(_parameters(*alexnet) / 12 / 1e6, 1) == 5.2
    assert round(sum(table_1) / 1e3, 1) == 6.8
    assert _googlenet(204) == 7_058_180 and _googlenet(208) == 7_063_080
    assert _googlenet(208) - _googlenet(204) == 4_900
    for number in ("62,378,344", "5.2M", "6.8M", "7,063,080", "7,058,180", "4,900"):
        assert number in _statement("assignment5"), number


def test_googlenet_ends_with_one_fully_connected_layer():
    with torch.device("meta"):
        assert _parameters(nn.Linear(1024, 1000)) == 1024 * 1000 + 1000 == 1_025_000
    assert "`nn.Linear(1024, num_classes)`" in _statement("assignment5") and "1,025,000" in _statement("assignment5")


def test_batch_normalisation_came_before_resnet():
    batch_norm, resnet = "1502.03167", "1512.03385"  # arXiv numbers: year and month first
    assert f"arxiv.org/abs/{batch_norm}" in nn.BatchNorm2d.__doc__ and batch_norm < resnet
    assert batch_norm in _statement("assignment5") and resnet in _statement("assignment5")


def test_a_discrete_convolution_pairs_the_kernel_s_ends_with_the_signal_s_opposite_ends():
    k, i = 2, 5
    f = dict(zip(range(-k, k + 1), torch.randn(2 * k + 1, dtype=torch.float64)))
    g = torch.randn(11, dtype=torch.float64)
    definition = sum(f[j] * g[i - j] for j in range(-k, k + 1))
    the_lectures_expansion = sum(f[j] * g[i + j] for j in range(-k, k + 1))
    kernel = torch.stack([f[j] for j in range(-k, k + 1)])
    assert torch.isclose(definition, F.conv1d(g.view(1, 1, -1), kernel.flip(0).view(1, 1, -1))[0, 0, i - k])
    assert torch.isclose(the_lectures_expansion, F.conv1d(g.view(1, 1, -1), kernel.view(1, 1, -1))[0, 0, i - k])
    assert not torch.isclose(definition, the_lectures_expansion)
    assert "f(-k)·g(i + k) + … + f(0)·g(i) + … + f(+k)·g(i - k)" in _statement("assignment1")


def test_a_convolution_is_shift_equivariant_not_invariant():
    signal, kernel = torch.tensor([0.0, 0, 1, 2, 3, 0, 0, 0, 0]), torch.tensor([-1.0, 0, 1])
    out, shifted = (F.conv1d(x.view(1, 1, -1), kernel.view(1, 1, -1))[0, 0] for x in (signal, signal.roll(1)))
    assert out.tolist() == [1, 2, 2, -2, -3, 0, 0] and shifted.tolist() == [0, 1, 2, 2, -2, -3, 0]
    assert torch.equal(shifted, out.roll(1)) and not torch.equal(shifted, out)
    assert "`[1, 2, 2, -2, -3, 0, 0]`" in _statement("assignment1")
    assert "shift-*equivariant*" in _statement("assignment1")


def test_the_padding_the_lecture_calls_pooling():
    assert "padding" in inspect.signature(nn.Conv2d).parameters
    assert "pooling" not in inspect.signature(nn.Conv2d).parameters
    image = torch.tensor([[[[3.0, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]]]])
    kernel = torch.tensor([[[[0.0, 1, 2], [2, 2, 0], [0, 1, 2]]]])
    assert F.conv2d(image, kernel, padding=(1, 1), stride=2).tolist() == [[[[6, 17, 3], [8, 17, 13], [6, 4, 4]]]]
    assert "`padding=(1, 1)`" in _statement("assignment1")


def test_a_conv1d_on_a_3d_input_gives_a_3d_output():
    layer = nn.Conv1d(1, 1, 3, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([-1.0, 0, 1]).view(1, 1, 3))
    out = layer(torch.tensor([1.0, 2, 3, 4, 5, 5, 4, 3, 2, 1]).view(1, 1, 10))
    assert out.shape == (1, 1, 8) and out.tolist() == [[[2, 2, 2, 1, -1, -2, -2, -2]]]
    assert repr(out).startswith("tensor([[[ 2.") and "`(1, 1, 8)`" in _statement("assignment1")


def test_the_lectures_eq_3_is_a_dilated_correlation_with_a_thinned_kernel():
    image, kernel, s = torch.randn(1, 1, 9, 9, dtype=torch.float64), torch.randn(1, 1, 5, 5, dtype=torch.float64), 2
    a = 2  # the kernel's taps are k(-a..a); eq. (3) sums n, m over -a/s..a/s
    k = lambda n, m: kernel[0, 0, n + a, m + a]
    eq_3 = torch.tensor([[sum(k(s * n, s * m) * image[0, 0, x + s * n, y + s * m]
                              for n in range(-a // s, a // s + 1) for m in range(-a // s, a // s + 1))
                          for y in range(a, 9 - a)] for x in range(a, 9 - a)], dtype=torch.float64)
    assert torch.allclose(eq_3, F.conv2d(image, kernel[..., ::s, ::s], dilation=s)[0, 0])
    assert eq_3.shape != F.conv2d(image, kernel, stride=s)[0, 0].shape
    assert "`k[::s, ::s]`" in _statement("assignment1")


def _bilinear_filter(kernel_size: int) -> torch.Tensor:
    factor = (kernel_size + 1) // 2
    centre = factor - 1 if kernel_size % 2 else factor - 0.5
    taps = 1 - (torch.arange(kernel_size, dtype=torch.float64) - centre).abs() / factor
    return (taps[:, None] * taps[None, :]).view(1, 1, kernel_size, kernel_size)


def test_the_bilinear_kernel_of_size_2f_minus_f_mod_2_upsamples_bilinearly_away_from_the_border():
    x = torch.randn(1, 1, 6, 7, dtype=torch.float64)
    for f in (2, 3, 4):
        up = F.conv_transpose2d(x, _bilinear_filter(2 * f - f % 2), stride=f, padding=f // 2)
        bilinear = F.interpolate(x, scale_factor=f, mode="bilinear", align_corners=False)
        inside = (..., slice(f // 2, -(f // 2)), slice(f // 2, -(f // 2)))
        assert up.shape == bilinear.shape and torch.allclose(up[inside], bilinear[inside]), f
    assert F.conv_transpose2d(x, _bilinear_filter(6), stride=3, padding=1).shape[-2:] == (19, 22)  # 2f: too large
    for assignment in ("README.md", "README.ru.md"):
        text = (ROOT / "assignments" / "assignment6" / assignment).read_text(encoding="utf-8")
        assert "`kernel_size = 2 * f - f % 2`" in text and "`M_{L-1} = lateral[L-1](C_{L-1})`" in text
