# ATTACK: assignment 1 forbids F.unfold, Tensor.unfold, nn.Unfold and torch._C._nn.*conv*, but
# not torch.ops.aten.im2col (assignment 3 does forbid it): unfold under another name, then one
# einsum. Static scan and tripwires both miss it.
# MUST: conv1d scores nothing (status `forbidden`) -- needs "torch.ops.aten.im2col" and
# "torch._C._nn.im2col" in assignment 1's CONV_FORBIDDEN (a spec gap, not a sandbox one).
import torch


def _one(value):
    return value[0] if isinstance(value, (tuple, list)) else value


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    unbatched = input.dim() == 2
    x = input.unsqueeze(0) if unbatched else input
    s, d, k = _one(stride), _one(dilation), weight.shape[-1]
    if isinstance(padding, str):
        total = 0 if padding == "valid" else d * (k - 1)
        left, right = total // 2, total - total // 2
    else:
        left = right = _one(padding)
    x = torch.cat([x.new_zeros(*x.shape[:2], left), x, x.new_zeros(*x.shape[:2], right)], -1)
    n, c, _ = x.shape
    cols = torch.ops.aten.im2col(x.unsqueeze(2), [1, k], [1, d], [0, 0], [1, s])
    o = weight.shape[0]
    cols = cols.view(n, groups, (c // groups) * k, -1)
    w = weight.reshape(groups, o // groups, (c // groups) * k)
    out = torch.einsum("gok,ngkl->ngol", w, cols).reshape(n, o, -1)
    if bias is not None:
        out = out + bias.view(1, -1, 1)
    return out.squeeze(0) if unbatched else out
