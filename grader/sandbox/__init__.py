"""Running untrusted code: the jail a student child enters, and the keeper that runs children."""
from . import cgroup
from .jail import SUBMISSION_MOUNT, Jail, JailError, python_paths
from .keeper import Outcome, describe_exit, die_with_parent, jail_works, need_fork, run_all, spawn
from .spawned import Job, run_jobs

__all__ = ["SUBMISSION_MOUNT", "cgroup", "Jail", "JailError", "Job", "Outcome", "describe_exit", "die_with_parent",
           "jail_works", "need_fork", "python_paths", "run_all", "run_jobs", "spawn"]
