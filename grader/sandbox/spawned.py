"""The fallback where the jail cannot be built (macOS, Windows, a Linux that forbids user
namespaces): each student job in a fresh spawned Python process, a few at a time, with the same
time limit (CPU time where /proc counts it, with its wall-clock backstop) and result frames, but
no isolation beyond the process. Reports say so.

Only for students grading their own code in a handout, or when forced (`GRADER_ISOLATION=process`).
The parent never unpickles what a child sends: it reads raw frames, as from a jailed child.
"""
from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import time
from typing import Any

from .keeper import RESULT_BYTES, Deadline, Outcome, tree_cpu_seconds
from .zygote import StudentJob

_READY, _DONE = b"r", b""  # sent before the job's frames (torch imported), and after them
STARTUP_S = 120.0  # to start Python and import torch, before the job's own time limit starts


def _work(job: StudentJob, connection: multiprocessing.connection.Connection) -> None:
    """In the spawned process: rebuild the task, run the student's code on it, send raw frames."""
    import os
    import sys

    from .. import published, run  # imported here: the child imports the grader (and torch) itself

    # The student's printing goes nowhere: on the grader's stdout it would break `--format json`.
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    sys.stdout = sys.stderr = open(os.devnull, "w", encoding="utf-8")
    task = published.task_from_json(job.task_json, job.checks_file)
    connection.send_bytes(_READY)
    try:
        run.run_student(task, run.Source(job.path, job.code), connection.send_bytes, job.device, job.indices,
                        apart=False)
    finally:
        connection.send_bytes(_DONE)
        connection.close()


def run_jobs(jobs: list[StudentJob], timeouts: list[float], workers: int, expected_frames: list[int],
             result_bytes: int = RESULT_BYTES) -> list[Outcome]:
    """Run every job in a process of its own, at most `workers` at a time; kill the late ones."""
    context = multiprocessing.get_context("spawn")  # fork is missing on Windows, unsafe after threads
    waiting = list(range(len(jobs)))
    running: dict[Any, tuple[int, Any, float]] = {}  # connection -> (index, process, started)
    ready: dict[int, Deadline] = {}  # jobs whose process has started: their own time limit runs
    frames: list[list[bytes]] = [[] for _ in jobs]
    outcomes: list[Outcome | None] = [None] * len(jobs)

    def finish(connection, timed_out: bool = False, complete: bool = False, overflow: bool = False,
               wall_clock: bool = False) -> None:
        index, process, started = running.pop(connection)
        cpu_s = ready[index].cpu_seconds() if index in ready else 0.0
        if not complete:
            process.join(0 if timed_out or overflow else 2.0)
        if process.is_alive():
            process.kill()
        process.join()
        connection.close()
        status = 0 if complete else process.exitcode
        outcomes[index] = Outcome(tuple(frames[index]), status, timed_out, overflow, time.monotonic() - started,
                                  wall_clock=wall_clock, cpu_s=round(cpu_s, 3))

    try:
        while waiting or running:
            while waiting and len(running) < workers:
                index = waiting.pop(0)
                ours, theirs = context.Pipe(duplex=False)
                process = context.Process(target=_work, args=(jobs[index], theirs), daemon=True)
                process.start()
                theirs.close()
                running[ours] = (index, process, time.monotonic())
            deadline = min(ready[index].next_check() if index in ready else started + STARTUP_S
                           for index, _, started in running.values())
            for connection in multiprocessing.connection.wait(list(running), max(0.0, deadline - time.monotonic())):
                index = running[connection][0]
                try:
                    frame = connection.recv_bytes(result_bytes)
                except EOFError:
                    finish(connection)
                    continue
                except OSError:  # a message over the limit
                    finish(connection, overflow=True)
                    continue
                if frame == _READY and index not in ready:
                    process = running[connection][1]
                    before = tree_cpu_seconds(process.pid)  # starting Python and torch is not the job's time
                    ready[index] = Deadline(timeouts[index], lambda pid=process.pid, before=before:
                                            tree_cpu_seconds(pid) - before)
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
    return outcomes
