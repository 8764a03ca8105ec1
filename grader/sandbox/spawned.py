"""The fallback where the jail cannot be built (macOS, Windows, a Linux that forbids user
namespaces): each student job in a fresh spawned Python process, a few at a time, with the same
time limit (CPU time where /proc counts it, with its wall-clock backstop) and result frames, but
no isolation beyond the process. Reports say so.

Only for students grading their own code in a handout, or when forced (`GRADER_ISOLATION=process`).
The parent never unpickles what a child sends: it reads raw frames, as from a jailed child.

With `course` given (`GRADER_ISOLATION=user`, a root grader in a container that makes no
namespaces), each child first becomes a uid of its own that cannot read the course
(`jail.enter_unprivileged`), and every process of that uid is killed when the job ends.
"""
from __future__ import annotations

import functools
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any, cast

from grader.engine.wire import RESULT_BYTES
from grader.sandbox import cgroup
from grader.sandbox.jail import JAIL_UID_BASE, new_cgroup_name
from grader.sandbox.keeper import Deadline, Outcome, tree_cpu_seconds
from grader.sandbox.zygote import StudentJob

_READY, _DONE = b"r", b""  # sent before the job's frames (torch imported), and after them
_FAILED = b"!"  # before _READY, then the reason: the child could not become unprivileged (the grader's fault)
STARTUP_S = 120.0  # to start Python and import torch, before the job's own time limit starts


def _work(job: StudentJob, connection: multiprocessing.connection.Connection, course: str | None = None,
          scratch: str | None = None, group: str | None = None) -> None:
    """In the spawned process: rebuild the task, run the student's code on it, send raw frames;
    with `course`, first become a uid of its own, in `scratch`, that cannot read it."""
    import sys

    from grader.engine import codec
    from grader.engine import run  # imported here: the child imports the grader (and torch) itself
    from grader.sandbox.jail import JailError, enter_unprivileged
    from grader.sandbox.zygote import jail_for

    # The student's printing goes nowhere: on the grader's stdout it would break `--format json`.
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    sys.stdout = sys.stderr = open(os.devnull, "w", encoding="utf-8")
    task = codec.task_from_json(job.task_json, job.checks_file)  # the checks file is the course's: read it first
    if course is not None:
        _close_resource_tracker()
        try:
            if scratch is None or group is None:
                raise JailError("user mode needs a scratch folder and a cgroup name")
            enter_unprivileged(jail_for(job.device, Path(job.path).parent, Path(scratch)), Path(course), group)
        except (JailError, OSError) as error:  # no student code has run: this message is the grader's
            connection.send_bytes(_FAILED + str(error).encode())
            return
    connection.send_bytes(_READY)
    try:
        run.run_student(task, run.Source(job.path, job.code), connection.send_bytes, job.device, job.indices,
                        apart=False)
    finally:
        connection.send_bytes(_DONE)
        connection.close()


def _cpu_since(pid: int, before: float) -> float:
    return tree_cpu_seconds(pid) - before


def _close_resource_tracker() -> None:
    """Spawning hands each child the write end of the root grader's multiprocessing resource
    tracker, which unlinks, as root, whatever is registered there and left over when the grader
    exits: as another uid, the child keeps none of it (a tracker it needs, it starts as itself)."""
    from multiprocessing import resource_tracker

    tracker = resource_tracker._resource_tracker
    fd = getattr(tracker, "_fd", None)  # private, and untyped in typeshed
    if fd is not None:
        os.close(fd)
        vars(tracker).update(_fd=None, _pid=None)


def run_jobs(jobs: list[StudentJob], timeouts: list[float], workers: int, expected_frames: list[int],
             result_bytes: int = RESULT_BYTES, course: Path | None = None) -> list[Outcome]:
    """Run every job in a process of its own, at most `workers` at a time; kill the late ones.
    With `course`, each job as a uid of its own that cannot read it (GRADER_ISOLATION=user)."""
    scratch = Path(tempfile.mkdtemp(prefix="grade-users-")) if course is not None else None
    if scratch is not None:
        scratch.chmod(0o711)  # each child's own folder in it is reachable by that child alone
    try:
        return _run_jobs(jobs, timeouts, workers, expected_frames, result_bytes, course, scratch)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


SHARED_FOLDERS = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"))  # where any uid may write


def remove_files_of(uid: int, folders: tuple[Path, ...] = SHARED_FOLDERS) -> None:
    """Remove what `uid` wrote in the folders every user may write to, once its processes are
    dead: nothing a task left there reaches a later task, or keeps memory (/dev/shm) or disk. It
    looks only where `uid` could write: folders of its own, or that anyone may write to."""
    for folder in folders:
        _remove_owned(folder, uid)


def _remove_owned(folder: Path, uid: int) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
            is_folder = entry.is_dir(follow_symlinks=False)
            if is_folder and (info.st_uid == uid or info.st_mode & 0o002):
                _remove_owned(Path(entry.path), uid)
            if info.st_uid == uid:
                (os.rmdir if is_folder else os.unlink)(entry.path)
        except OSError:
            pass  # gone already, or a folder that holds what is not its


def kill_uid(uid: int) -> None:
    """Kill every process of `uid`: what a job's code left running (without a PID namespace, its
    children outlive it). Rounds, since one may fork while we look."""
    for _ in range(5):
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and entry.stat().st_uid == uid:
                    found.append(int(entry.name))
            except OSError:
                continue
        if not found:
            return
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


def _run_jobs(jobs: list[StudentJob], timeouts: list[float], workers: int, expected_frames: list[int],
              result_bytes: int, course: Path | None, scratch: Path | None) -> list[Outcome]:
    context = multiprocessing.get_context("spawn")  # fork is missing on Windows, unsafe after threads
    # Every public job first, and no hidden one before they have all ended: processes that share a
    # file system (here nothing else is shared: /tmp is) cannot hand a hidden input to a public message.
    waiting = sorted(range(len(jobs)), key=lambda index: jobs[index].hidden)
    groups: dict[int, str] = {}  # user mode: each job's cgroups, where they can be made
    running: dict[Any, tuple[int, Any, float]] = {}  # connection -> (index, process, started)
    ready: dict[int, Deadline] = {}  # jobs whose process has started: their own time limit runs
    frames: list[list[bytes]] = [[] for _ in jobs]
    outcomes: dict[int, Outcome] = {}

    def finish(connection, timed_out: bool = False, complete: bool = False, overflow: bool = False,
               wall_clock: bool = False, failed: str | None = None) -> None:
        index, process, started = running.pop(connection)
        cpu_s = ready[index].cpu_seconds() if index in ready else 0.0
        if not complete:
            process.join(0 if timed_out or overflow else 2.0)
        if process.is_alive():
            process.kill()
        process.join()
        if course is not None:
            kill_uid(JAIL_UID_BASE + process.pid)
            remove_files_of(JAIL_UID_BASE + process.pid)
            cgroup.remove([groups[index]])
        connection.close()
        status = 0 if complete else process.exitcode
        outcomes[index] = Outcome(tuple(frames[index]), status, timed_out, overflow, time.monotonic() - started,
                                  jail_error=failed, wall_clock=wall_clock, cpu_s=round(cpu_s, 3))

    try:
        while waiting or running:
            while waiting and len(running) < workers and not (
                    jobs[waiting[0]].hidden and any(not jobs[i].hidden for i, _, _ in running.values())):
                index = waiting.pop(0)
                ours, theirs = context.Pipe(duplex=False)
                own = None
                groups[index] = new_cgroup_name()
                if scratch is not None:
                    own = tempfile.mkdtemp(dir=scratch)  # made the child's own once it knows its uid
                process = context.Process(target=_work, daemon=True,
                                          args=(jobs[index], theirs, None if course is None else str(course), own,
                                                groups[index]))
                process.start()
                theirs.close()
                running[ours] = (index, process, time.monotonic())
            deadline = min(ready[index].next_check() if index in ready else started + STARTUP_S
                           for index, _, started in running.values())
            # wait() gives back what it is given: the connections
            ends = multiprocessing.connection.wait(list(running), max(0.0, deadline - time.monotonic()))
            for connection in cast(list[multiprocessing.connection.Connection], ends):
                index = running[connection][0]
                try:
                    frame = connection.recv_bytes(result_bytes)
                except EOFError:
                    finish(connection)
                    continue
                except OSError:  # a message over the limit
                    finish(connection, overflow=True)
                    continue
                if index not in ready and frame.startswith(_FAILED):
                    finish(connection, failed=frame[len(_FAILED):].decode(errors="replace"))
                    continue
                if frame == _READY and index not in ready:
                    process = running[connection][1]
                    before = tree_cpu_seconds(process.pid)  # starting Python and torch is not the job's time
                    ready[index] = Deadline(timeouts[index], functools.partial(_cpu_since, process.pid, before))
                    running[connection] = (index, process, ready[index].started)
                    continue
                if frame == _DONE or len(frames[index]) >= expected_frames[index]:
                    finish(connection, complete=True)
                    continue
                frames[index].append(frame)
                if sum(map(len, frames[index])) > result_bytes:
                    finish(connection, overflow=True)
            now = time.monotonic()
            for connection, (index, _, started) in list(running.items()):
                if index in ready and (limit := ready[index].passed(now)):
                    finish(connection, timed_out=True, wall_clock=limit == "wall")
                elif index not in ready and now - started > STARTUP_S:
                    finish(connection, timed_out=True, wall_clock=True)
    finally:
        for _, process, _ in running.values():
            process.kill()
    return [outcomes[index] for index in range(len(jobs))]  # each one finished
