"""Memory, process and CPU caps through cgroups, which hold on the CUDA path too, where the grader
may make them; and the CPU time a child's whole process tree used, which its time limit counts."""
from __future__ import annotations

import os
import time
from pathlib import Path

_ROOT = Path("/sys/fs/cgroup")
# The controllers used; cgroup v1 mounts each at /sys/fs/cgroup/<controller>, v2 keeps them all in
# one tree. `cpuacct` only counts: in v2 every group counts its CPU time (cpu.stat) by itself.
_V1 = ("memory", "pids", "cpu", "cpuacct")
_V2 = ("memory", "pids", "cpu")
_CPU_PERIOD_US = 100_000


def _own_folders() -> dict[str, Path]:
    """The folder of this process's cgroup for each controller it can write to."""
    folders = {}
    try:
        lines = Path("/proc/self/cgroup").read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            if controller in _V1:
                folders[controller] = _ROOT / controller / path.lstrip("/")
        if controllers == "":  # the v2 tree: usable where the controllers are delegated to it
            folder = _ROOT / path.lstrip("/")
            try:
                delegated = (folder / "cgroup.subtree_control").read_text(encoding="utf-8").split()
            except OSError:
                delegated = []
            for controller in _V2:
                if controller in delegated and controller not in folders:
                    folders[controller] = folder
            if (folder / "cgroup.controllers").exists():  # a v2 tree (a v1 machine's /sys/fs/cgroup is not)
                folders.setdefault("cpuacct", folder)
    return {c: f for c, f in folders.items() if os.access(f, os.W_OK)}


def available() -> tuple[str, ...]:
    """The controllers a child can be capped (or counted) by here: some of `cpu`, `cpuacct`,
    `memory`, `pids`."""
    return tuple(sorted(_own_folders()))


def _limits(controller: str, folder: Path, memory_bytes: int, processes: int, cores: float) -> dict[str, int | str]:
    """The files to write in a fresh group of `controller` in `folder`, and their values."""
    v1 = not (folder / "cgroup.controllers").exists()
    quota = round(cores * _CPU_PERIOD_US)
    files: dict[str, dict[str, int | str]] = {"memory": {"memory.limit_in_bytes" if v1 else "memory.max": memory_bytes},
            "pids": {"pids.max": processes},
            # the same weight for every child, and at most `cores` cores' worth of time each
            "cpu": {"cpu.shares": 1024, "cpu.cfs_period_us": _CPU_PERIOD_US, "cpu.cfs_quota_us": quota} if v1
            else {"cpu.weight": 100, "cpu.max": f"{quota} {_CPU_PERIOD_US}"},
            "cpuacct": {}}
    return files[controller]


def join(name: str, memory_bytes: int, processes: int, cores: float = 1.0) -> None:
    """Put the calling process into fresh cgroups `name` with these caps (where available)."""
    folders = _own_folders()  # before joining any: joining one moves a v2 process in all
    for controller in ("memory", "pids", "cpu", "cpuacct"):
        folder = folders.get(controller)
        if folder is None:
            continue
        group = folder / name
        group.mkdir(exist_ok=True)
        for file, value in _limits(controller, folder, memory_bytes, processes, cores).items():
            (group / file).write_text(str(value), encoding="utf-8")
        if controller == "memory" and (group / "memory.memsw.limit_in_bytes").exists():
            try:  # swap counts too, where the kernel accounts it
                (group / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes), encoding="utf-8")
            except OSError:
                pass
        (group / "cgroup.procs").write_text(str(os.getpid()), encoding="utf-8")


def usage_file(name: str) -> Path | None:
    """The file that counts the CPU time of every process in group `name`, once a child has made
    and joined it; None where no group can count it here."""
    folder = _own_folders().get("cpuacct")
    if folder is None:
        return None
    return folder / name / ("cpu.stat" if (folder / "cgroup.controllers").exists() else "cpuacct.usage")


def cpu_seconds(usage: Path) -> float | None:
    """The CPU seconds a `usage_file` has counted; None while the group does not exist."""
    try:
        text = usage.read_text(encoding="utf-8")
    except OSError:
        return None
    if usage.name == "cpu.stat":
        return int(dict(line.split() for line in text.splitlines())["usage_usec"]) / 1e6
    return int(text) / 1e9


def remove(names: list[str], patience_s: float = 2.0) -> None:
    """Remove the cgroups of these names, waiting a little for their last killed processes."""
    groups = [folder / name for folder in set(_own_folders().values()) for name in names]
    deadline = time.monotonic() + patience_s
    while groups:
        groups = [group for group in groups if group.exists() and not _rmdir(group)]
        if not groups or time.monotonic() > deadline:
            return
        time.sleep(0.01)


def _rmdir(group: Path) -> bool:
    try:
        group.rmdir()
        return True
    except OSError:
        return False


def autogroups() -> bool:
    """Whether the scheduler shares the cores between sessions first (sched_autogroup): where no cpu
    cgroup can be made, a child that keeps all its processes in one session gets one share."""
    try:
        return Path("/proc/sys/kernel/sched_autogroup_enabled").read_text(encoding="utf-8").strip() == "1"
    except OSError:
        return False
