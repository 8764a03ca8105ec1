"""Running untrusted code: the jail a student child enters, and the keeper that runs children."""
from . import cgroup
from .jail import SUBMISSION_MOUNT, Jail, JailError, python_paths
from .keeper import Outcome, describe_exit, die_with_parent, run_all, spawn

__all__ = ["SUBMISSION_MOUNT", "cgroup", "Jail", "JailError", "Outcome", "describe_exit", "die_with_parent",
           "python_paths", "run_all", "spawn"]
