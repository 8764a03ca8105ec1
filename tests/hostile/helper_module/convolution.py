# ATTACK: the task function is imported from a helper module of the submission, which wraps
# torch's conv1d; no frame of convolution.py is ever on the stack.
# MUST: conv1d scores nothing (status `forbidden`).
from conv_helper import conv1d  # noqa: F401
