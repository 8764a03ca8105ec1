"""What a report says about where it was graded: versions, devices and the isolation every child ran under."""
from __future__ import annotations

import os
import platform
from pathlib import Path

import torch

from grader import __version__, sandbox
from grader.i18n import N_
from grader.results import Environment, Isolation


def environment(devices: tuple[str, ...], mode: str = "jail") -> Environment:
    return Environment(python=platform.python_version(), torch=torch.__version__, devices=devices,
                       grader=__version__, isolation=isolation(devices, mode))


def isolation(devices: tuple[str, ...], mode: str = "jail") -> Isolation:
    """What every student child of this grading ran under: each one checked it before running."""
    if mode == "user":
        jail = sandbox.Jail(visible=(), submission=Path(), scratch=Path())
        return Isolation(level=N_("process as an unprivileged user (no jail)"), measures=(
            "a fresh Python process per task",
            "a uid of its own, no groups, no capabilities: the course is closed to it", "no_new_privs, seccomp filter",
            f"address space {(jail.memory_bytes or 0) >> 30} GiB (CPU), {jail.processes} processes (RLIMIT_NPROC), "
            f"files of {jail.file_bytes >> 20} MiB", cpu_time_measure(()),
            "every process of its uid killed when it ends", "results as data, never pickle", "environment: an allowlist",
            "no namespaces: it sees the host's files that any user may read, and the network; "
            "GRADER_ISOLATION=user asked for this"))
    if mode == "process":
        return Isolation(level=N_("process only (no sandbox)"), measures=(
            "a fresh Python process per task", cpu_time_measure(()), "results as data, never pickle",
            "no jail: GRADER_ISOLATION=process asked for none" if os.environ.get("GRADER_ISOLATION") == "process"
            else f"no jail: this {platform.system()} cannot build one"))
    jail = sandbox.Jail(visible=(), submission=Path(), scratch=Path())
    as_root = os.getuid() == 0
    capped = sandbox.cgroup.available()
    memory = [f"address space {(jail.memory_bytes or 0) >> 30} GiB (CPU)"]
    memory += [f"memory {jail.resident_bytes >> 30} GiB through a cgroup{' (CUDA too)' if 'cuda' in devices else ''}"
               if "memory" in capped else "no memory cgroup here" + (": CUDA children have no memory cap"
                                                                      if "cuda" in devices else "")]
    processes = f"{jail.processes} processes" + (" (pids cgroup)" if "pids" in capped else " (RLIMIT_NPROC)")
    return Isolation(level=N_("jail as root") if as_root else N_("jail in a user namespace"), measures=(
        "a uid of its own, no capabilities" if as_root else "your uid in a user namespace, no capabilities",
        "no_new_privs, seccomp filter", "own PID, mount, network, IPC, UTS namespaces and /proc",
        "read-only root: Python, its packages, the submission's copy", f"/tmp of {jail.scratch_bytes >> 20} MiB",
        *memory, processes, cpu_time_measure(capped), cpu_share_measure(jail, capped), "environment: an allowlist"))


def cpu_time_measure(capped: tuple[str, ...]) -> str:
    """How a task's time limit is counted, given the cgroup controllers available."""
    keeper = sandbox.keeper
    if not keeper.PROC_COUNTS:
        return "time limit per task: wall-clock time (no /proc to count CPU time)"
    backstop = f"wall-clock backstop {keeper.WALL_FACTOR:g}x the limit + {keeper.WALL_SLACK_S:g} s"
    if "cpuacct" in capped:
        return f"time limit per task: CPU time of all its processes, counted by a cgroup; {backstop}"
    return (f"time limit per task: CPU time of its processes, read from /proc (best effort: a process the kernel "
            f"reaps itself is missed); {backstop}")


def cpu_share_measure(jail: sandbox.Jail, capped: tuple[str, ...]) -> str:
    """How the cores are shared between children, given the cgroup controllers available."""
    if "cpu" in capped:
        return f"CPU share: an equal weight and at most {jail.cores:g} core per task (cpu cgroup)"
    return ("CPU share: one session per task, its scheduling group where the kernel's autogroups are on "
            f"({'on' if sandbox.cgroup.autogroups() else 'off'} here), {jail.processes} processes at most")
