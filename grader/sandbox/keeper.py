"""The keeper: forks children into the jail and runs them through the scheduler's one loop, a few at
a time; here is what is particular to a forked child: its token-framed raw result pipe, the pipe
that starts it, its CPU time counters, and reaping it.

A child's time limit is CPU time: that of its whole process tree, counted by its cgroup where the
jail could make one (processes that ended included), else read from /proc. A child that sleeps or
waits is stopped by a wall-clock backstop, a few times the limit.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from grader.engine.files import close_all_but
from grader.engine.wire import FORGED_STATUS, LENGTH, OVERFLOW_STATUS, RESULT_BYTES
from grader.sandbox import cgroup, scheduler
from grader.sandbox.jail import Jail, JailError, enter, new_cgroup_name, python_paths
from grader.sandbox.scheduler import Outcome

_TOKEN_BYTES = 16
_PR_SET_PDEATHSIG = 1
# The wall-clock backstop of a CPU limit of T seconds: WALL_FACTOR * T + WALL_SLACK_S. Generous, so
# that a correct child on a machine busy with other work is stopped by its CPU time, never by this.
WALL_FACTOR, WALL_SLACK_S = 3.0, 5.0
_POLL_S = 0.02  # the shortest wait between two readings of a child's CPU time
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PROC_COUNTS = Path("/proc/self/stat").exists()  # Linux: a child's CPU time can be read


@dataclass
class Forked:
    """A forked child, paused until `start`; its frames arrive on `results`. A `scheduler.Child`."""

    pid: int
    results: int
    go: int
    setup_errors: int  # the jail's own failure, written before any student code runs
    token: bytes  # opens every frame the grader's code sends: student code writing blind to the pipe lacks it
    started: float | None = None
    buffer: bytearray = field(default_factory=bytearray)
    overflow: bool = False
    forged: bool = False  # a frame without the token arrived
    group: str | None = None  # the name of its cgroups, for a jailed child
    usage: Path | None = None  # its cgroup's CPU time counter, for a jailed child where one can be made
    deadline: Deadline | None = None  # from `start`

    @property
    def channel(self) -> int:
        return self.results

    @property
    def held(self) -> int:
        return len(self.buffer)

    def cpu_seconds(self) -> float:
        """CPU time of the child's whole process tree so far."""
        counted = cgroup.cpu_seconds(self.usage) if self.usage else None
        return tree_cpu_seconds(self.pid) if counted is None else counted

    def start(self, cpu_s: float) -> None:
        self.started = time.monotonic()
        self.deadline = Deadline(cpu_s, self.cpu_seconds, self.started)
        try:
            os.write(self.go, b"g")
        except BrokenPipeError:  # it ended before it was started (its jail failed): its outcome says so
            pass
        os.close(self.go)

    def receive(self) -> tuple[list[bytes], str | None]:
        chunk = os.read(self.results, 1 << 20)
        if not chunk:
            return [], "ended"
        self.buffer += chunk
        frames = split_frames(self)
        return frames, "forged" if self.forged else None

    def _deadline(self) -> Deadline:
        """The deadline `start` set: the scheduler asks only the children it started."""
        if self.deadline is None:
            raise RuntimeError("the child has not been started")
        return self.deadline

    def passed(self, now: float) -> str | None:
        return self._deadline().passed(now)

    def next_check(self) -> float:
        return self._deadline().next_check()

    def finish(self, frames: list[bytes], how: str) -> Outcome:
        if how != "ended":
            self.kill()
        os.close(self.results)
        status, reaped_cpu_s = _reap(self, grace_s=0 if how == "complete" else 2.0)
        exit_status = 0 if how == "complete" else os.waitstatus_to_exitcode(status)
        return Outcome(tuple(frames), exit_status, how in ("cpu", "wall"),
                       how == "overflow" or exit_status == OVERFLOW_STATUS,
                       0.0 if self.started is None else time.monotonic() - self.started,
                       read_setup_error(self), how == "forged" or exit_status == FORGED_STATUS, how == "wall",
                       round(max(reaped_cpu_s, self.deadline.used if self.deadline else 0.0, self.cpu_seconds()), 3))

    def abandon(self) -> None:
        self.kill()
        for fd in (self.results, self.setup_errors, *([self.go] if self.started is None else [])):
            os.close(fd)

    def kill(self) -> None:
        for kill in (os.killpg, os.kill):
            try:
                kill(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def spawn(work: Callable[[Callable[[bytes], None]], None], jail: Jail | None) -> Forked:
    """Fork a child that builds `jail` around itself (none for trusted code: the reference), waits
    for `start`, then runs `work(send)`.

    `send(frame)` streams one result frame to the parent. Whatever the child does, the parent only
    ever sees frames; the exit status tells how it ended. Should the jail fail, its reason goes
    down a pipe of its own that is closed before the work starts, so student code cannot forge it.
    """
    need_fork()
    go_read, go_write = os.pipe()
    results_read, results_write = os.pipe()
    errors_read, errors_write = os.pipe()
    token = os.urandom(_TOKEN_BYTES)
    group = new_cgroup_name() if jail is not None else None
    pid = os.fork()
    if pid:
        for fd in (go_read, results_write, errors_write):
            os.close(fd)
        return Forked(pid, results_read, go_write, errors_read, token, group=group,
                      usage=cgroup.usage_file(group) if group else None)
    status = 70
    try:
        close_all_but(go_read, results_write, errors_write)
        os.setsid()
        die_with_parent()

        def send(frame: bytes) -> None:
            os.write(results_write, LENGTH.pack(len(frame)) + token)
            view = memoryview(frame)
            while view:
                view = view[os.write(results_write, view):]

        if jail is not None and group is not None:  # a jail has its group
            _quiet()
            try:
                enter(jail, group)
            except (JailError, OSError) as error:
                os.write(errors_write, str(error).encode()[:4000] or b"jail error")
                raise
        os.close(errors_write)
        if os.read(go_read, 1) != b"g":
            os._exit(0)
        os.close(go_read)
        work(send)
        status = 0
    except BaseException:  # the child must never return into the grader's code
        status = 71
    finally:
        os._exit(status)


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds used by process `pid` and every process under it, from /proc: each one's own
    time and that of the children it reaped (cutime, cstime), so an ended process counts once its
    parent reaped it. In a jail, its PID 1 reaps every orphan, or dies and takes them along.
    Best effort where no cgroup counts: a process whose parent ignores SIGCHLD is reaped by the
    kernel and its time is lost, so a determined child can hide CPU time up to the wall-clock backstop."""
    ticks, todo = 0, [pid]
    while todo:
        process = todo.pop()
        try:  # the parent before its children: one reaped in between is missed once, never counted twice
            fields = Path(f"/proc/{process}/stat").read_bytes().rsplit(b")", 1)[1].split()
            for thread in os.listdir(f"/proc/{process}/task"):
                todo += map(int, Path(f"/proc/{process}/task/{thread}/children").read_bytes().split())
        except (OSError, ValueError):
            continue  # it ended meanwhile
        ticks += sum(map(int, fields[11:15]))  # utime, stime, cutime, cstime: fields 14-17 of proc(5)
    return ticks / _CLOCK_TICKS


def wall_backstop(cpu_s: float) -> float:
    """The wall-clock limit of a child whose CPU time limit is `cpu_s`; where its CPU time cannot be
    read (no /proc), the limit itself."""
    return WALL_FACTOR * cpu_s + WALL_SLACK_S if PROC_COUNTS else cpu_s


@dataclass
class Deadline:
    """When a child's time is up: its CPU time (`cpu_seconds()`) past `cpu_s`, or its wall-clock
    time past the backstop of that."""

    cpu_s: float
    cpu_seconds: Callable[[], float]
    started: float = field(default_factory=time.monotonic)
    next_reading: float = 0.0  # when its CPU time is read again
    used: float = 0.0  # its CPU time when last read

    def passed(self, now: float) -> str | None:
        """"cpu" or "wall" once that limit is passed, else None. The CPU time is read only at the
        soonest the child could have reached its limit, using every core."""
        if now - self.started > wall_backstop(self.cpu_s):
            return "wall"
        if not PROC_COUNTS or now < self.next_reading:
            return None
        self.used = self.cpu_seconds()
        left = self.cpu_s - self.used
        if left < 0:
            return "cpu"
        self.next_reading = now + max(_POLL_S, left / (os.cpu_count() or 1))
        return None

    def next_check(self) -> float:
        """When `passed` may next say something new."""
        ends = self.started + wall_backstop(self.cpu_s)
        return min(ends, self.next_reading) if PROC_COUNTS else ends


def jail_works() -> bool:
    """Whether this system can build the jail: a trial child enters one and exits."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    with tempfile.TemporaryDirectory(prefix="grade-trial-") as scratch:
        jail = Jail(visible=python_paths(), submission=Path(scratch), scratch=Path(scratch))
        outcome = run_all([lambda: spawn(lambda send: None, jail)], [30.0], 1, [1])[0]
    return outcome.jail_error is None and outcome.exit_status == 0


def need_fork() -> None:
    """Windows cannot fork: there a handout falls back to sandbox.spawned before it forks, and
    everything else (the reference's children, the jail, a batch) stops in one line."""
    if not hasattr(os, "fork"):
        raise JailError("this system cannot fork; grading with the reference, the jail and batches need Linux")


def die_with_parent() -> None:
    """A child whose grader was killed (kill -9, a batch stopped) must not run on unwatched."""
    if ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError("prctl(PR_SET_PDEATHSIG) failed")


def _quiet() -> None:
    """The child's printing goes nowhere: nothing it prints can count."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    sys.stdout = sys.stderr = open(os.devnull, "w")


def split_frames(child: Forked) -> list[bytes]:
    """Take the complete frames out of the child's buffer; at a frame without the child's token,
    mark it forged and stop reading."""
    frames, buffer, start = [], child.buffer, 8 + _TOKEN_BYTES
    while len(buffer) >= start and not child.forged:
        if buffer[8:start] != child.token:
            child.forged = True
            break
        (length,) = LENGTH.unpack_from(buffer, 0)
        if len(buffer) < start + length:
            break
        frames.append(bytes(buffer[start:start + length]))
        del buffer[:start + length]
    return frames


def describe_exit(status: int) -> str:
    """Exit status in words, as `os.waitstatus_to_exitcode` gives it."""
    if status < 0:
        name = signal.Signals(-status).name
        return f"killed by {name}"
    if status > 128 and status - 128 < 65:
        try:
            return f"killed by {signal.Signals(status - 128).name}"
        except ValueError:
            pass
    return f"exited with status {status}"


def read_setup_error(child: Forked) -> str | None:
    """What the child wrote on its setup-error pipe, once it has ended."""
    os.set_blocking(child.setup_errors, False)
    try:
        message = os.read(child.setup_errors, 4096)
    except BlockingIOError:
        message = b""
    finally:
        os.close(child.setup_errors)
    return message.decode(errors="replace") or None


def _reap(child: Forked, grace_s: float = 2.0) -> tuple[int, float]:
    """Exit status and CPU seconds (its own and its reaped descendants') of a child whose stream
    has ended; one that lingers is killed."""
    deadline = time.monotonic() + grace_s
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            child.kill()  # anything left in its process group
            return status, usage.ru_utime + usage.ru_stime
        if time.monotonic() > deadline:
            child.kill()
            _, status, usage = os.wait4(child.pid, 0)
            return status, usage.ru_utime + usage.ru_stime
        time.sleep(0.002)


def run_all(spawners: Sequence[Callable[[], Forked]], timeouts: list[float], workers: int, expected_frames: list[int],
            result_bytes: int = RESULT_BYTES) -> list[Outcome]:
    """Run at most `workers` children at a time, read their frames, kill the late ones: those
    past their CPU time limit (`timeouts`, seconds) or its wall-clock backstop (`scheduler.run`).

    Each child is forked (`spawners`, usually a `spawn` waiting to be called) shortly before it
    can start: forking a process that holds torch takes 10-30 ms, and the first child need not
    wait for the last one's fork. Up to `workers` more are forked ahead and build their jails
    while the others run: building one mostly waits on the kernel (joining cgroups, new
    namespaces), which would otherwise leave a core idle. A child that has sent all
    `expected_frames` is done, even if something it forked still holds the stream open. If the
    grader itself is interrupted, no child is left behind.
    """
    forked: list[Forked] = []

    def maker(spawner: Callable[[], Forked]) -> Callable[[], scheduler.Child]:
        def make() -> Forked:
            forked.append(spawner())
            return forked[-1]
        return make

    try:
        return scheduler.run([maker(spawner) for spawner in spawners], timeouts, workers, expected_frames,
                             result_bytes, ahead=workers)
    finally:  # at the end, all at once: the last killed processes leave their cgroups meanwhile
        cgroup.remove([child.group for child in forked if child.group])
