# ATTACK (assignment 3): torch's pooling functions bound as the tasks, no def of its own.
# MUST: max_pool2d, avg_pool2d, adaptive_avg_pool2d, adaptive_max_pool2d score nothing
# (status `forbidden`).
from torch.nn.functional import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d  # noqa: F401
