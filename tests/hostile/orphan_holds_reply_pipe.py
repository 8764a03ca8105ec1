# ATTACK: the student's side of the child forks a process that keeps every descriptor (the reply
# pipe to the grader's side among them) and sleeps, then ends itself with os._exit during the
# first call. If the grader's side waited for the pipe to close, the task would hang until the
# wall-clock backstop and be reported as a timeout rather than as the crash it is.
# MUST: conv1d scores 0, ends as an error (the process died), well before the backstop.
import os
import time

import torch


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    if os.fork() == 0:
        time.sleep(60)
        os._exit(0)
    os._exit(3)
    return torch.zeros(1)
