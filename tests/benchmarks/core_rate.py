"""Benchmark for sizing a cluster: how many submissions an hour one core grades, per assignment.

Run: python tests/benchmarks/core_rate.py [COPIES] [ASSIGNMENT ...]. For each assignment it grades,
with `grade batch -j 1 --device cpu` as an instructor does (hidden cases included), a class of the
reference and two mutants from tests/ (3 students), then one of COPIES copies of each (default 3:
9 students). The CPU time of the command and of every process under it (the grader, the zygote,
the reference's and the students' jailed children) gives the cost of one more submission,
(cpu_big - cpu_small) / (students_big - students_small), and the batch's fixed cost (starting,
computing the reference once), cpu_small - 3 x that. CPU time, not wall time, so that a busy
machine measures the same; the load average is printed with it. The CPU time is counted by a
cgroup of its own where one can be made (as root); getrusage(RUSAGE_CHILDREN), used only where no
cgroup can count, misses the processes no one waits for (it counted about half of the cgroup's
CPU time per submission). It never fails. The README's "How many shards" table comes from it.
"""
from __future__ import annotations

import contextlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from conftest import submission_path  # noqa: E402
from grader.sandbox import cgroup  # noqa: E402
from test_wrong_submissions import BUGGY  # noqa: E402

GRADE = str(Path(sys.executable).with_name("grade"))
ASSIGNMENTS = ("assignment1", "assignment2", "assignment3", "assignment4", "assignment5", "assignment6")


def students(assignment: str, work: Path) -> list[Path]:
    """The reference (its modules alone) and the assignment's first two mutants."""
    reference = work / "reference"
    reference.mkdir(parents=True)
    for module in (ROOT / "reference" / assignment).glob("*.py"):
        if module.name not in ("spec.py", "checks.py"):
            shutil.copy(module, reference / module.name)
    mutants = [name for a, name, _ in BUGGY if a == assignment][:2]
    return [reference] + [submission_path(assignment, name, work / name) for name in mutants]


def counting_group() -> Path | None:
    """A fresh cgroup that counts CPU time (its usage file), where this process may make one."""
    usage = cgroup.usage_file(f"core-rate-{os.getpid()}-{time.monotonic_ns()}")
    try:
        usage.parent.mkdir()
    except (AttributeError, OSError):
        return None
    return usage


def cpu_seconds_of(command: list[str]) -> tuple[float, float, str]:
    """(CPU seconds, wall seconds, what counted them) of `command` and everything it started."""
    usage = counting_group()
    join = (lambda: (usage.parent / "cgroup.procs").write_text(str(os.getpid()))) if usage else None
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, preexec_fn=join)
    after, wall = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter() - start
    if done.returncode != 0:
        print(f"  {' '.join(command[1:4])}: exit {done.returncode}: {done.stderr.strip()[-300:]}", file=sys.stderr)
    if usage:
        cpu = cgroup.cpu_seconds(usage)
        for group in sorted(usage.parent.glob("grader-*")) + [usage.parent]:  # the jail's, left empty
            with contextlib.suppress(OSError):
                group.rmdir()
        return cpu, wall, "a cgroup"
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, wall, "getrusage"


def measure(assignment: str, copies: int, work: Path) -> tuple[float, float, float, str]:
    """(CPU s per submission, fixed CPU s per batch, wall s per submission of the bigger class, what
    counted the CPU time)."""
    sources = students(assignment, work / "sources")
    runs = []
    for count in (1, copies):
        folder = work / f"class{count}"
        for copy in range(count):
            for source in sources:
                shutil.copytree(source, folder / f"{source.name}-{copy}")
        cpu, wall, counter = cpu_seconds_of([GRADE, "batch", assignment, str(folder), "-o", str(work / f"out{count}"),
                                    "-j", "1", "--device", "cpu", "--seed", "0"])
        runs.append((count * len(sources), cpu, wall))
    (small, cpu_small, _), (big, cpu_big, wall_big) = runs
    each = (cpu_big - cpu_small) / (big - small)
    return each, cpu_small - small * each, wall_big / big, counter


def main() -> None:
    copies = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    chosen = sys.argv[2:] or ASSIGNMENTS
    print(f"load average before: {' '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} cores")
    print("| assignment | CPU s per submission | submissions an hour per core | fixed CPU s per shard "
          "| wall s per submission |")
    print("|---|---:|---:|---:|---:|")
    for assignment in chosen:
        with tempfile.TemporaryDirectory() as work:
            each, fixed, wall, counter = measure(assignment, copies, Path(work))
        print(f"| {assignment} | {each:.2f} | {3600 / each:.0f} | {fixed:.1f} | {wall:.2f} |", flush=True)
    print(f"CPU time counted by {counter}")
    print(f"load average after: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
