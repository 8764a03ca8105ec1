# ATTACK (assignment 5): torch's own modules bound as the tasks by assignment.
# MUST: batchnorm2d and dropout2d score nothing (status `forbidden`).
import torch.nn as nn

BatchNorm2d = nn.BatchNorm2d
Dropout2d = nn.Dropout2d
