# ATTACK: torch._decomp.decompositions holds torch's own Python upsampling: one call, no code of
# one's own, scored full marks on assignment 6's upsample_nearest.
# MUST: upsample_nearest is `forbidden`, the finding names torch._decomp.
import torch
from torch._decomp import decompositions


def upsample_nearest(input, scale_factor):
    sh, sw = (scale_factor, scale_factor) if isinstance(scale_factor, int) else tuple(scale_factor)
    if not isinstance(input, torch.Tensor) or input.dim() != 4:
        raise ValueError("upsample_nearest expects a 4-D tensor (N, C, H, W)")
    if sh < 1 or sw < 1:
        raise ValueError("scale_factor must be positive")
    size = [input.shape[2] * sh, input.shape[3] * sw]
    return decompositions.upsample_nearest2d(input, size, float(sh), float(sw))
