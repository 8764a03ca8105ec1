"""Autograder for the CNN course: run student code in isolation, compare, score, report."""
import os

# Threads must be pinned before torch or numpy is imported: the grader forks children from a
# process that has imported torch, and a fork after OpenMP/OpenBLAS started threads deadlocks.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# Ask NVML, not the CUDA runtime, whether a GPU exists: the grader forks after asking.
os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")

__version__ = "0.1.0"
