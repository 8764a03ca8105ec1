"""Memory and process caps through cgroups, which hold on the CUDA path too, where the grader may make them."""
from __future__ import annotations

import os
import time
from pathlib import Path

_ROOT = Path("/sys/fs/cgroup")
# controller -> (cgroup v1 folder, limit file); v2 keeps every controller in one tree
_V1 = {"memory": ("memory", "memory.limit_in_bytes"), "pids": ("pids", "pids.max")}
_V2 = {"memory": "memory.max", "pids": "pids.max"}


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
                folders[controller] = _ROOT / _V1[controller][0] / path.lstrip("/")
        if controllers == "":  # the v2 tree: usable where the controllers are delegated to it
            folder = _ROOT / path.lstrip("/")
            try:
                delegated = (folder / "cgroup.subtree_control").read_text(encoding="utf-8").split()
            except OSError:
                delegated = []
            for controller in _V2:
                if controller in delegated and controller not in folders:
                    folders[controller] = folder
    return {c: f for c, f in folders.items() if os.access(f, os.W_OK)}


def available() -> tuple[str, ...]:
    """The controllers a child can be capped by here: `memory`, `pids`, both or none."""
    return tuple(sorted(_own_folders()))


def _limit_file(controller: str, folder: Path) -> str:
    return _V1[controller][1] if (folder / _V1[controller][1]).exists() else _V2[controller]


def join(name: str, memory_bytes: int, processes: int) -> None:
    """Put the calling process into fresh cgroups `name` with these caps (where available)."""
    folders = _own_folders()  # before joining any: joining one moves a v2 process in all
    for controller, value in (("memory", memory_bytes), ("pids", processes)):
        folder = folders.get(controller)
        if folder is None:
            continue
        group = folder / name
        group.mkdir(exist_ok=True)
        (group / _limit_file(controller, folder)).write_text(str(value), encoding="utf-8")
        if controller == "memory" and (group / "memory.memsw.limit_in_bytes").exists():
            try:  # swap counts too, where the kernel accounts it
                (group / "memory.memsw.limit_in_bytes").write_text(str(value), encoding="utf-8")
            except OSError:
                pass
        (group / "cgroup.procs").write_text(str(os.getpid()), encoding="utf-8")


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
