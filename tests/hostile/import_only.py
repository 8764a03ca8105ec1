# ATTACK: the whole submission is one import line: torch's own functions bound as the tasks,
# no def of its own. The tripwire of the old grader fires only while a frame of the student's
# file is on the stack, and there is none: the grader calls torch's conv1d directly.
# MUST: pad, conv1d and conv2d score nothing (status `forbidden`).
from torch.nn.functional import pad, conv1d, conv2d  # noqa: F401
