# ATTACK: `conv1d = F.conv1d`: a forbidden callable bound as the task by assignment.
# MUST: conv1d scores nothing (status `forbidden`).
import torch.nn.functional as F

conv1d = F.conv1d
