"""The one scheduling loop of the sandbox: it runs children a few at a time, collects their result
frames, and ends each one at the end of its stream, its time limit, the result limit or its last
expected frame. Whatever happens, no child it made is left running when it returns or raises.

Both ways of running untrusted code use it: `keeper.run_all` (children forked into the jail) and
`spawned.run_jobs` (fresh Python processes where no jail can be built, Windows included). What
differs between them (how a child is made and started, how its frames arrive, what its time limit
counts, how it is reaped and cleaned up) is behind `Child`.

How a child's run ends, the `how` that `Child.receive`, `Child.passed` and the loop hand to
`Child.finish`: "ended" (its stream closed: it exits of itself, or is killed after a grace),
"complete" (all its frames are in: it is killed, and counts as exit status 0), "overflow" (more
than the result limit), "forged" (a frame it did not get from the grader's code), "cpu" or "wall"
(its CPU time limit, or the wall-clock backstop or startup allowance). All but "ended" kill it at once.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Callable, Protocol, Sequence


@dataclass(frozen=True)
class Outcome:
    """How a child ended, and the frames it sent before that."""

    frames: tuple[bytes, ...]
    exit_status: int  # as os.waitstatus_to_exitcode: negative for a signal
    timed_out: bool  # stopped by its CPU time limit, or by the wall-clock backstop (then `wall_clock`)
    overflow: bool  # sent more than the result limit
    duration_s: float
    jail_error: str | None = None  # the jail could not be built: the grader's fault
    forged: bool = False  # something in the child wrote to the result pipe besides the grader's code
    wall_clock: bool = False  # timed out by the wall-clock backstop, not by its CPU time
    cpu_s: float = 0.0  # CPU time of its whole process tree


class Child(Protocol):
    """One child as the loop sees it, from being made until `finish` or `abandon`."""

    @property
    def channel(self) -> Any:
        """What `multiprocessing.connection.wait` waits on: a raw fd (POSIX) or a Connection (Windows too)."""

    @property
    def held(self) -> int:
        """Bytes received that make no whole frame yet: they count toward the result limit."""

    def start(self, cpu_s: float) -> None:
        """Let it run, with a time limit of `cpu_s` seconds."""

    def receive(self) -> tuple[list[bytes], str | None]:
        """Read what its channel has (it is readable): the whole frames that arrived, and how its
        run ends if what arrived ends it (see the module's docstring), else None."""

    def passed(self, now: float) -> str | None:
        """"cpu" or "wall" once its time is up, else None."""

    def next_check(self) -> float:
        """When (time.monotonic) `passed` may next say something new."""

    def finish(self, frames: list[bytes], how: str) -> Outcome:
        """End it as `how` says, reap it, release what it holds; how it went."""

    def abandon(self) -> None:
        """Kill it and release what it holds, without an outcome: the loop is being left early."""


def run(makers: Sequence[Callable[[], Child]], timeouts: list[float], workers: int, expected_frames: list[int],
        result_bytes: int, ahead: int = 0, phases: list[int] | None = None) -> list[Outcome]:
    """Make each child (`makers`), start it with its time limit (`timeouts`) while fewer than
    `workers` run, and return how each one went, in the order of `makers`.

    Up to `ahead` children are made before they can start, so that their set-up overlaps the others'
    work. Children run in the order of their `phases` (stable), and none is made before every child
    of an earlier phase has finished: a barrier (hidden cases run only once no public one runs). A
    child that has sent `expected_frames` frames is complete, even if its stream is still open.
    """
    phases = phases or [0] * len(makers)
    waiting = sorted(range(len(makers)), key=phases.__getitem__)
    children: dict[int, Child] = {}  # made and not finished: started, or made ahead
    made: list[int] = []  # made ahead, not started
    running: dict[Any, int] = {}  # channel -> index
    frames: list[list[bytes]] = [[] for _ in makers]
    outcomes: dict[int, Outcome] = {}

    def may_make(index: int) -> bool:
        return all(phases[other] >= phases[index] for other in children)

    def make(index: int) -> int:
        children[index] = makers[index]()
        return index

    def finish(index: int, how: str) -> None:
        child = children.pop(index)
        del running[child.channel]
        outcomes[index] = child.finish(frames[index], how)

    try:
        while waiting or children:
            while len(running) < max(1, workers) and (made or waiting and may_make(waiting[0])):
                index = made.pop(0) if made else make(waiting.pop(0))
                running[children[index].channel] = index
                children[index].start(timeouts[index])
            while waiting and len(made) < ahead and may_make(waiting[0]):
                made.append(make(waiting.pop(0)))
            soonest = min(children[index].next_check() for index in running.values())
            for channel in wait(list(running), max(0.0, soonest - time.monotonic())):
                index = running[channel]
                got, how = children[index].receive()
                frames[index] += got
                if how is None and sum(map(len, frames[index])) + children[index].held > result_bytes:
                    how = "overflow"
                elif how is None and len(frames[index]) >= expected_frames[index]:
                    how = "complete"
                if how is not None:
                    finish(index, how)
            now = time.monotonic()
            for index in list(running.values()):
                if how := children[index].passed(now):
                    finish(index, how)
    finally:
        for child in children.values():  # left early: the grader was interrupted, or failed
            child.abandon()
    return [outcomes[index] for index in range(len(makers))]  # each one finished
