# ATTACK: conv1d hands torch's conv1d to a worker thread. The worker's stack holds only
# threading's frames and torch's, so a tripwire that looks for the student's frames on the
# current stack lets the call through.
# MUST: conv1d scores nothing (status `forbidden`): the tripwire is armed for the whole call.
from concurrent.futures import ThreadPoolExecutor

import torch.nn.functional as F


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(getattr(F, "conv" + "1d"), input, weight, bias, stride, padding,
                           dilation, groups).result()
