# ATTACK: return a 60 MiB tensor from every call (so the result stream runs far past what a
# task needs) -- parent robustness.
# MUST: the run completes, conv1d scores 0, the parent does not raise or run out of memory.
import torch


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return torch.zeros(60 << 18)  # 15.7 M float32 = 60 MiB (120 MiB as float64 on the wire)
