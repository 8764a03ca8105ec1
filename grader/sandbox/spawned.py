"""The fallback where the jail cannot be built (macOS, Windows, a Linux that forbids user
namespaces): each student job in a fresh spawned Python process, a few at a time, with the same
time limit (CPU time where /proc counts it, with its wall-clock backstop) and result frames, but
no isolation beyond the process. Reports say so.

Only for students grading their own code in a handout, or when forced (`GRADER_ISOLATION=process`).
The parent never unpickles what a child sends: it reads raw frames, as from a jailed child.

With `course` given (`GRADER_ISOLATION=user`, a root grader in a container that makes no
namespaces), each child first becomes a uid of its own that cannot read the course
(`jail.enter_unprivileged`), and every process of that uid is killed when the job ends.

The jobs run through the scheduler's one loop, like jailed children; here is what is particular to
a spawned process: its Connection, the markers around its frames, the startup allowance, and the
clean-up of a uid.
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
from typing import Any

from grader.engine.wire import RESULT_BYTES
from grader.sandbox import cgroup, scheduler
from grader.sandbox.jail import JAIL_UID_BASE, new_cgroup_name
from grader.sandbox.keeper import Deadline, tree_cpu_seconds
from grader.sandbox.scheduler import Outcome
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


class Spawned:
    """A job in a spawned process, started by `start`. Its time limit starts only once it has
    imported torch (_READY): until then it has STARTUP_S of wall-clock time. A `scheduler.Child`."""

    held = 0  # a Connection hands over whole messages only

    def __init__(self, job: StudentJob, context: Any, result_bytes: int, course: Path | None,
                 scratch: Path | None) -> None:
        self.result_bytes, self.course = result_bytes, course
        self.group = new_cgroup_name()  # user mode: its cgroups, where they can be made
        own = tempfile.mkdtemp(dir=scratch) if scratch is not None else None  # made its own once it knows its uid
        self.channel, self.theirs = context.Pipe(duplex=False)
        self.process = context.Process(target=_work, daemon=True,
                                       args=(job, self.theirs, None if course is None else str(course), own,
                                             self.group))
        self.cpu_s, self.started = 0.0, 0.0  # from `start`
        self.deadline: Deadline | None = None  # from _READY
        self.failed: str | None = None  # why it could not become unprivileged

    def start(self, cpu_s: float) -> None:
        self.cpu_s, self.started = cpu_s, time.monotonic()
        self.process.start()
        self.theirs.close()

    def receive(self) -> tuple[list[bytes], str | None]:
        try:
            frame = self.channel.recv_bytes(self.result_bytes)
        except EOFError:
            return [], "ended"
        except OSError:  # a message over the limit
            return [], "overflow"
        if self.deadline is None and frame.startswith(_FAILED):
            self.failed = frame[len(_FAILED):].decode(errors="replace")
            return [], "ended"
        if self.deadline is None and frame == _READY:
            before = tree_cpu_seconds(self.process.pid)  # starting Python and torch is not the job's time
            self.deadline = Deadline(self.cpu_s, lambda: tree_cpu_seconds(self.process.pid) - before)
            return [], None
        return ([], "complete") if frame == _DONE else ([frame], None)

    def passed(self, now: float) -> str | None:
        if self.deadline is None:
            return "wall" if now - self.started > STARTUP_S else None
        return self.deadline.passed(now)

    def next_check(self) -> float:
        return self.started + STARTUP_S if self.deadline is None else self.deadline.next_check()

    def finish(self, frames: list[bytes], how: str) -> Outcome:
        cpu_s = self.deadline.cpu_seconds() if self.deadline is not None else 0.0
        if how != "complete":  # one that ended of itself may take a moment to exit
            self.process.join(0 if how in ("cpu", "wall", "overflow") else 2.0)
        self._end()
        status = 0 if how == "complete" else self.process.exitcode
        started = self.deadline.started if self.deadline is not None else self.started
        return Outcome(tuple(frames), status, how in ("cpu", "wall"), how == "overflow", time.monotonic() - started,
                       jail_error=self.failed, wall_clock=how == "wall", cpu_s=round(cpu_s, 3))

    def abandon(self) -> None:
        if self.process.pid is None:  # never started
            self.theirs.close()
            self.channel.close()
        else:
            self._end()

    def _end(self) -> None:
        """Kill the process, and in user mode whatever its uid left: processes, files, cgroups."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        if self.course is not None:
            kill_uid(JAIL_UID_BASE + self.process.pid)
            remove_files_of(JAIL_UID_BASE + self.process.pid)
            cgroup.remove([self.group])
        self.channel.close()


def _run_jobs(jobs: list[StudentJob], timeouts: list[float], workers: int, expected_frames: list[int],
              result_bytes: int, course: Path | None, scratch: Path | None) -> list[Outcome]:
    context = multiprocessing.get_context("spawn")  # fork is missing on Windows, unsafe after threads
    # Every public job first, and no hidden one before they have all ended: processes that share a
    # file system (here nothing else is shared: /tmp is) cannot hand a hidden input to a public message.
    # None is spawned ahead: its work starts with it.
    makers = [functools.partial(Spawned, job, context, result_bytes, course, scratch) for job in jobs]
    return scheduler.run(makers, timeouts, workers, expected_frames, result_bytes,
                         phases=[int(job.hidden) for job in jobs])
