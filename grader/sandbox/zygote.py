"""The clean process every student child descends from.

It is forked before the grader reads a spec, a reference, a submission or the command's options,
so nothing of those is in its memory, nor in any child forked from it. For each submission the
grader writes a *request* file (the tasks as data (`engine.codec`), the student's files, the limits) and
sends its number; the zygote forks a *worker* for it, which forks one process for its public
jobs and then one for its hidden jobs, each reading only its own part of the request, running
the student's children in the jail (`keeper.run_all`) and leaving their outcomes in a file
beside it: no child of a public job descends from a process that held a hidden case. The grader
keeps the reference, the expected values, the other students of a batch and the report's path;
it runs the reference's children itself and compares.
"""
from __future__ import annotations

import base64
import functools
import glob
import json
import os
import select
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

from grader.engine import wire
from grader.sandbox.jail import Jail, python_paths
from grader.sandbox.keeper import die_with_parent, need_fork, run_all, spawn
from grader.sandbox.scheduler import Outcome


@dataclass(frozen=True)
class StudentJob:
    """A task's public cases, or its hidden ones, for one submission on one device, as a worker
    needs them: the task with those cases as JSON (`engine.codec`) (cases and experiments as data; no
    reference, no expected values), the assignment's checks.py if it has one, and the student's
    file as the child sees it."""

    task_json: str
    checks_file: str | None
    path: str  # where the child finds the file (under the jail's /submission)
    code: bytes  # the bytes read once: scanned by the grader, run by the child
    device: str
    indices: tuple[int, ...]  # the number in the whole task of each case in task_json: frames carry it
    hidden: bool = False  # its cases are hidden ones: run by a process that never held a public job

    def frames(self) -> int:
        """How many frames the child sends: a header, then one per case."""
        return len(self.indices) + 1


@dataclass(frozen=True)
class Request:
    """Every job of one submission, and how to run them."""

    jobs: tuple[StudentJob, ...]
    submission: str  # the grader's private copy of the submission's files
    timeout: float
    workers: int

    def to_json(self) -> str:
        return json.dumps({"jobs": [{**asdict(job), "code": base64.b64encode(job.code).decode()} for job in self.jobs],
                           "submission": self.submission, "timeout": self.timeout, "workers": self.workers})

    def part(self, hidden: bool) -> "Request":
        """Its public jobs, or its hidden ones."""
        return Request(tuple(job for job in self.jobs if job.hidden == hidden), self.submission, self.timeout,
                       self.workers)

    @classmethod
    def from_json(cls, text: str) -> "Request":
        data = json.loads(text)
        jobs = tuple(StudentJob(**{**job, "code": base64.b64decode(job["code"]), "indices": tuple(job["indices"])})
                     for job in data.pop("jobs"))
        return cls(jobs=jobs, **data)


def jail_for(device: str, submission: Path, scratch: Path) -> Jail:
    """What a student child on `device` may see and use."""
    # the driver maps far more address space than it uses
    cuda: dict[str, Any] = {"memory_bytes": None, "show_sys": True,
                            "devices": tuple(map(Path, glob.glob("/dev/nvidia*")))} if device == "cuda" else {}
    return Jail(visible=python_paths(), submission=submission, scratch=scratch, **cuda)


def _outcomes_to_bytes(outcomes: list[Outcome]) -> bytes:
    """Outcomes as a file: their fields as one JSON frame (each with its number of frames), then
    every frame, in the one frame file format (`wire.join_frames`)."""
    fields = json.dumps([{**asdict(outcome), "frames": len(outcome.frames)} for outcome in outcomes]).encode()
    return wire.join_frames([fields, *(frame for outcome in outcomes for frame in outcome.frames)])


def _outcomes_from_bytes(blob: bytes) -> list[Outcome] | None:
    head = wire.split_frames(blob, 1)
    if head is None:
        return None
    (fields,), offset = head
    outcomes = []
    for data in json.loads(fields):
        split = wire.split_frames(blob, data["frames"], offset)
        if split is None:
            return None
        frames, offset = split
        outcomes.append(Outcome(**{**data, "frames": frames}))
    return outcomes if offset == len(blob) else None


class Zygote:
    """The grader's handle on its clean process: `submit` a request, `finished` tells which ended,
    `outcomes` reads what its children sent. Several requests may run at once (a batch)."""

    def __init__(self, pid: int, requests: int, replies: int, work: Path):
        self.pid, self.requests, self.replies, self.work = pid, requests, replies, work
        self._buffer = b""

    @classmethod
    def start(cls) -> "Zygote":
        """Fork the zygote now: call it before anything secret is read."""
        need_fork()
        work = Path(tempfile.mkdtemp(prefix="grade-zygote-"))  # private (0700): requests and outcomes
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        pid = os.fork()
        if pid:
            os.close(request_read)
            os.close(reply_write)
            return cls(pid, request_write, reply_read, work)
        status = 0
        try:
            os.close(request_write)
            os.close(reply_read)
            die_with_parent()
            _forget_command_line()
            _warm_up()
            _serve(work, request_read, reply_write)
        except BaseException:
            status = 70
        finally:
            os._exit(status)

    def submit(self, number: int, request: Request) -> None:
        """Hand request `number` to a worker of its own: its public jobs and its hidden ones in
        two files, which the worker's two parts each read alone (`_work`)."""
        for hidden in (False, True):
            name = _part_file(number, hidden, "request")
            (self.work / f".{name}").write_text(request.part(hidden).to_json(), encoding="utf-8")
            (self.work / f".{name}").replace(self.work / name)
        os.write(self.requests, f"{number}\n".encode())

    def finished(self) -> Iterator[tuple[int, int]]:
        """(request number, the worker's exit status) for each request as its worker ends."""
        while True:
            while b"\n" not in self._buffer:
                select.select([self.replies], [], [])
                chunk = os.read(self.replies, 4096)
                if not chunk:
                    raise RuntimeError("the grader's process for student code stopped")
                self._buffer += chunk
            line, self._buffer = self._buffer.split(b"\n", 1)
            number, status = (int(part) for part in line.split())
            yield number, status

    def outcomes(self, number: int, request: Request) -> list[Outcome] | None:
        """The outcomes of request `number`'s jobs, in the order of `request`'s jobs; None if its
        worker left none."""
        parts = {hidden: _read_outcomes(self.work / _part_file(number, hidden, "outcomes")) for hidden in (False, True)}
        unread = {hidden: iter(outcomes) for hidden, outcomes in parts.items() if outcomes is not None}
        if len(unread) < len(parts):
            return None
        found = [outcome for job in request.jobs if (outcome := next(unread[job.hidden], None)) is not None]
        return None if len(found) < len(request.jobs) or any(next(left, None) for left in unread.values()) else found

    def stop(self) -> None:
        for fd in (self.requests, self.replies):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        for path in self.work.glob("*"):
            path.unlink(missing_ok=True)
        try:
            self.work.rmdir()
        except OSError:
            pass

    def __enter__(self) -> "Zygote":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _warm_up() -> None:
    """What every child would otherwise compute for itself, computed once here."""
    from grader.engine import forbidden

    forbidden.operator_names("aten")


def _forget_command_line() -> None:
    """The command's options (the report's path) are in sys.argv: none of its children needs them."""
    sys.argv[:] = ["grader-zygote"]
    if hasattr(sys, "orig_argv"):
        sys.orig_argv[:] = ["grader-zygote"]


def _serve(work: Path, requests: int, replies: int) -> None:
    """Fork a worker per request number; reply `number status` as each ends. Exits when the
    grader closes the request pipe (or dies)."""
    running: dict[int, int] = {}  # pid -> request number
    buffer, more = b"", True
    while more or running:
        while running and (ended := os.waitpid(-1, os.WNOHANG))[0]:
            pid, status = ended
            if pid in running:
                os.write(replies, f"{running.pop(pid)} {os.waitstatus_to_exitcode(status)}\n".encode())
        if b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            number = int(line)
            pid = os.fork()
            if pid == 0:
                _work(work, number, (requests, replies))
            running[pid] = number
        elif more and select.select([requests], [], [], 0.005 if running else None)[0]:
            chunk = os.read(requests, 4096)
            buffer, more = buffer + chunk, bool(chunk)
        elif not more:
            time.sleep(0.005)  # no more requests: wait for the last workers


def _part_file(number: int, hidden: bool, kind: str) -> str:
    return f"{number}.{'hidden' if hidden else 'public'}.{kind}"


def _read_outcomes(path: Path) -> list[Outcome] | None:
    try:
        return _outcomes_from_bytes(path.read_bytes())
    except (OSError, ValueError, TypeError):
        return None
    finally:
        path.unlink(missing_ok=True)


def _work(work: Path, number: int, pipes: tuple[int, ...]) -> None:
    """In a worker: run request `number`'s public jobs, then its hidden ones, each part in a
    process of its own that reads only its own file: no child that runs public cases descends
    from a process that held a hidden case (nor its text). Their outcomes are left beside them."""
    status = 0
    try:
        for fd in pipes:
            os.close(fd)
        die_with_parent()
        for hidden in (False, True):
            pid = os.fork()
            if pid == 0:
                _work_on_part(work, number, hidden)
            if os.waitpid(pid, 0)[1] != 0:
                status = 70
    except BaseException:
        status = 70
    finally:
        os._exit(status)


def _work_on_part(work: Path, number: int, hidden: bool) -> None:
    status = 0
    try:
        path = work / _part_file(number, hidden, "request")
        request = Request.from_json(path.read_text(encoding="utf-8"))
        path.unlink()
        outcomes = _run(request) if request.jobs else []
        temporary = work / f".{_part_file(number, hidden, 'outcomes')}"
        temporary.write_bytes(_outcomes_to_bytes(outcomes))
        temporary.replace(work / _part_file(number, hidden, "outcomes"))
    except BaseException:
        status = 70
    finally:
        os._exit(status)


def _run(request: Request) -> list[Outcome]:
    from grader.engine import codec
    from grader.engine import run  # the grader's modules, imported by the grader before the fork

    with tempfile.TemporaryDirectory(prefix="grade-run-", ignore_cleanup_errors=True) as scratch:
        spawners = []
        for job in request.jobs:
            task = codec.task_from_json(job.task_json, job.checks_file)
            source = run.Source(job.path, job.code)
            work = (lambda task, source, job: lambda send: run.run_student(task, source, send, job.device, job.indices))
            spawners.append(functools.partial(spawn, work(task, source, job),
                                              jail_for(job.device, Path(request.submission), Path(scratch))))
        return run_all(spawners, [request.timeout] * len(spawners), request.workers,
                       [job.frames() for job in request.jobs])
