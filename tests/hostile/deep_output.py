# ATTACK: return deeply nested containers: a list 200000 deep (odd calls) and a dict chain
# 900 deep ending in a tensor (even calls) -- recursion in the encoder and decoder.
# MUST: the run completes, conv1d scores 0, the parent does not raise.
import torch

_calls = 0


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    global _calls
    _calls += 1
    value = torch.zeros(1)
    for _ in range(200000 if _calls % 2 else 900):
        value = [value] if _calls % 2 else {"k": value}
    return value
