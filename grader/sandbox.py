"""Child processes for untrusted code: fork, limits, namespaces, wall-clock kill, result stream."""
from __future__ import annotations

import ctypes
import os
import resource
import selectors
import signal
import struct
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

_CLONE_NEWNS, _CLONE_NEWUSER, _CLONE_NEWPID, _CLONE_NEWNET = 0x20000, 0x10000000, 0x20000000, 0x40000000
_MS_REC, _MS_PRIVATE, _MS_RDONLY = 0x4000, 0x40000, 0x1
_PR_SET_PDEATHSIG = 1
_FRAME_LENGTH = struct.Struct("<Q")
GiB = 2**30


@dataclass(frozen=True)
class Limits:
    """What a child may use. Memory is address space: torch on CPU needs well over 0.5 GiB."""

    memory_bytes: int | None = 4 * GiB  # None for CUDA, whose driver maps far more address space
    file_bytes: int = 16 * 2**20
    result_bytes: int = 256 * 2**20
    hidden_paths: tuple[Path, ...] = ()  # made unreadable inside the child (the reference)
    scratch: Path | None = None  # each child works in a fresh folder under it; the caller removes it
    isolate: bool = True  # namespaces and rlimits; off only for trusted code


@dataclass
class Child:
    """A forked child, paused until `start`; its frames arrive on `results`."""

    pid: int
    results: int
    go: int
    started: float | None = None
    buffer: bytearray = field(default_factory=bytearray)
    overflow: bool = False

    def start(self) -> None:
        self.started = time.monotonic()
        os.write(self.go, b"g")
        os.close(self.go)

    def kill(self) -> None:
        for kill in (os.killpg, os.kill):
            try:
                kill(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def spawn(work: Callable[[Callable[[bytes], None]], None], limits: Limits) -> Child:
    """Fork a child that waits for `start`, then runs `work(send)` under `limits`.

    `send(frame)` streams one result frame to the parent. Whatever the child does, the
    parent only ever sees frames; the exit status tells how it ended.
    """
    go_read, go_write = os.pipe()
    results_read, results_write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(go_read)
        os.close(results_write)
        return Child(pid, results_read, go_write)
    status = 70
    try:
        _close_all_but(go_read, results_write)
        os.setsid()
        if os.read(go_read, 1) != b"g":
            os._exit(0)
        os.close(go_read)

        def send(frame: bytes) -> None:
            os.write(results_write, _FRAME_LENGTH.pack(len(frame)))
            view = memoryview(frame)
            while view:
                view = view[os.write(results_write, view):]

        if limits.isolate:
            _confine(limits)
        work(send)
        status = 0
    except BaseException:  # the child must never return into the grader's code
        status = 71
    finally:
        os._exit(status)


def _close_all_but(*keep: int) -> None:
    low = 3
    for fd in sorted(keep):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 65536)


def _confine(limits: Limits) -> None:
    """Limits first, then namespaces; the code after this runs as PID 1 of a new PID namespace."""
    os.chdir(tempfile.mkdtemp(prefix="child-", dir=limits.scratch))
    rlimits = [(resource.RLIMIT_FSIZE, limits.file_bytes), (resource.RLIMIT_CORE, 0)]
    if limits.memory_bytes:
        rlimits.append((resource.RLIMIT_AS, limits.memory_bytes))
    for limit, value in rlimits:
        resource.setrlimit(limit, (value, value))
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    sys.stdout = sys.stderr = open(os.devnull, "w")
    if _unshare_namespaces():
        _hide(limits.hidden_paths)
        _become_pid_namespace_init()


def _unshare_namespaces() -> bool:
    """No network, a private mount table, a PID namespace for what the child forks.

    As root this needs no user namespace; otherwise one maps the user to itself. Where the
    kernel allows neither, the child runs with rlimits and process-group kill only.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    flags = _CLONE_NEWNET | _CLONE_NEWNS | _CLONE_NEWPID
    if libc.unshare(flags) == 0:
        return True
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(flags | _CLONE_NEWUSER) != 0:
        return False
    try:
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    except OSError:
        pass
    return True


def _hide(paths: tuple[Path, ...]) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None)
    for path in paths:
        if path.is_dir():
            libc.mount(b"tmpfs", str(path).encode(), b"tmpfs", _MS_RDONLY, b"size=4k")
        elif path.exists():
            libc.mount(b"/dev/null", str(path).encode(), None, 0x1000, None)  # MS_BIND


def _become_pid_namespace_init() -> None:
    """Fork once more so the work runs as PID 1 of the new PID namespace.

    When PID 1 dies, the kernel kills everything else in the namespace, so a `setsid`
    grandchild or a fork bomb cannot outlive the parent's SIGKILL.
    """
    pid = os.fork()
    if pid == 0:
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        return
    _, status = os.waitpid(pid, 0)
    os._exit(os.waitstatus_to_exitcode(status) % 256 if os.WIFEXITED(status)
             else 128 + os.WTERMSIG(status))


def split_frames(child: Child) -> list[bytes]:
    """Take the complete frames out of the child's buffer."""
    frames, buffer = [], child.buffer
    while len(buffer) >= 8:
        (length,) = _FRAME_LENGTH.unpack_from(buffer, 0)
        if len(buffer) < 8 + length:
            break
        frames.append(bytes(buffer[8:8 + length]))
        del buffer[:8 + length]
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


@dataclass(frozen=True)
class Outcome:
    """How a child ended, and the frames it sent before that."""

    frames: tuple[bytes, ...]
    exit_status: int  # as os.waitstatus_to_exitcode: negative for a signal
    timed_out: bool
    overflow: bool  # sent more than the result limit
    duration_s: float


def _reap(child: Child, grace_s: float = 2.0) -> int:
    """Exit status of a child whose stream has ended; one that lingers is killed."""
    deadline = time.monotonic() + grace_s
    while True:
        pid, status = os.waitpid(child.pid, os.WNOHANG)
        if pid:
            child.kill()  # anything left in its process group
            return status
        if time.monotonic() > deadline:
            child.kill()
            return os.waitpid(child.pid, 0)[1]
        time.sleep(0.002)


def run_all(children: list[Child], timeouts: list[float], workers: int, expected_frames: list[int],
            result_bytes: int = Limits().result_bytes) -> list[Outcome]:
    """Start at most `workers` children at a time, read their frames, kill the late ones.

    A child that has sent all `expected_frames` is done, even if something it forked still
    holds the stream open. If the grader itself is interrupted, no child is left behind.
    """
    waiting = list(range(len(children)))
    running: dict[int, int] = {}  # results fd -> index
    frames: list[list[bytes]] = [[] for _ in children]
    outcomes: list[Outcome | None] = [None] * len(children)
    selector = selectors.DefaultSelector()

    def finish(index: int, timed_out: bool = False, complete: bool = False) -> None:
        child = children[index]
        if timed_out or child.overflow or complete:
            child.kill()
        selector.unregister(child.results)
        del running[child.results]
        os.close(child.results)
        status = _reap(child, grace_s=0 if complete else 2.0)
        outcomes[index] = Outcome(tuple(frames[index]), 0 if complete else os.waitstatus_to_exitcode(status),
                                  timed_out, child.overflow, time.monotonic() - child.started)

    try:
        while waiting or running:
            while waiting and len(running) < workers:
                index = waiting.pop(0)
                running[children[index].results] = index
                selector.register(children[index].results, selectors.EVENT_READ)
                children[index].start()
            deadline = min(children[i].started + timeouts[i] for i in running.values())
            for key, _ in selector.select(max(0.0, deadline - time.monotonic())):
                index = running[key.fd]
                child = children[index]
                chunk = os.read(key.fd, 1 << 20)
                if not chunk:
                    finish(index)
                    continue
                child.buffer += chunk
                frames[index] += split_frames(child)
                if sum(map(len, frames[index])) + len(child.buffer) > result_bytes:
                    child.overflow = True
                    finish(index)
                elif len(frames[index]) >= expected_frames[index]:
                    finish(index, complete=True)
            now = time.monotonic()
            for index in list(running.values()):
                if now - children[index].started > timeouts[index]:
                    finish(index, timed_out=True)
    finally:
        for index in [*running.values(), *waiting]:
            children[index].kill()
    return outcomes
