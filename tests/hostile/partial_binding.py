# ATTACK: the task is a functools.partial of torch's conv1d (a callable that is not a function
# of the student's file, and whose frames are all torch's and functools').
# MUST: conv1d scores nothing (status `forbidden`).
import functools

import torch.nn.functional as F

conv1d = functools.partial(getattr(F, "conv" + "1d"))
