# ATTACK (assignment 5): an empty subclass of torch's module, whose __init__ and forward are
# torch's: the student's class is built by the grader, outside the student's frames.
# MUST: batchnorm2d and dropout2d score nothing (status `forbidden`).
import torch.nn as nn


class BatchNorm2d(nn.BatchNorm2d):
    pass


class Dropout2d(nn.Dropout2d):
    pass
