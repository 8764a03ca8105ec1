"""Running untrusted code: the jail a student child enters, the keeper that runs children, and the
clean zygote every student child descends from."""
from grader.sandbox import cgroup
from grader.sandbox.jail import SUBMISSION_MOUNT, Jail, JailError, python_paths
from grader.sandbox.keeper import describe_exit, die_with_parent, jail_works, need_fork, run_all, spawn
from grader.sandbox.scheduler import Outcome
from grader.sandbox.spawned import run_jobs
from grader.sandbox.zygote import Request, StudentJob, Zygote, jail_for

__all__ = ["SUBMISSION_MOUNT", "cgroup", "Jail", "JailError", "Outcome", "Request", "StudentJob", "Zygote",
           "describe_exit", "die_with_parent", "jail_for", "jail_works", "need_fork", "python_paths", "run_all",
           "run_jobs", "spawn"]
