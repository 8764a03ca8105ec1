"""Benchmark: wall time of `grade` on the reference and on loop-style solutions, against `import torch`.

Run: python tests/benchmarks/grade_speed.py [REPEATS]. Prints figures; it never fails on speed.
Target (design.md): `grade ASSIGNMENT` on the reference within 2x of `python -c "import torch"`.
Each grading runs just after an `import torch`, and the ratios are the medians of those pairs,
so that both see the same load on a busy machine. Beside the wall time it prints the CPU time
of the whole process tree (user + system, every child included).
"""
from __future__ import annotations

import shutil
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from grader.spec import assignment_names  # noqa: E402
GRADE = str(Path(sys.executable).with_name("grade")) if Path(sys.executable).with_name("grade").exists() \
    else shutil.which("grade") or "grade"


BASELINE = [sys.executable, "-c", "import torch"]


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _once(command: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (every process of its tree) of one run of `command`."""
    start, start_cpu = time.perf_counter(), _children_cpu()
    subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
    return time.perf_counter() - start, _children_cpu() - start_cpu


def against_baseline(command: list[str], repeats: int) -> tuple[float, float, float, float]:
    """Median wall and CPU seconds of `command`, and the medians of its ratios to `import torch`
    run just before it each time: on a machine busy with other work both see the same load.
    One warm-up run first, for the disk cache and the reference's kept frames."""
    subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
    runs = [(_once(BASELINE), _once(command)) for _ in range(repeats)]
    return (statistics.median(run[1][0] for run in runs), statistics.median(run[1][1] for run in runs),
            statistics.median(run[1][0] / run[0][0] for run in runs),
            statistics.median(run[1][1] / run[0][1] for run in runs))


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    wall, cpu = (statistics.median(values) for values in zip(*(_once(BASELINE) for _ in range(repeats))))
    print(f"python -c 'import torch'                                  {wall:6.2f} s                     "
          f"(CPU {cpu:5.2f} s)")
    runs = [(name, f"reference/{name}") for name in assignment_names(ROOT)]
    runs += [("assignment1", "tests/submissions/assignment1/correct_naive"),
             ("assignment3", "tests/submissions/assignment3/correct_alt"),
             ("assignment4", "tests/submissions/assignment4/correct_alt")]
    for assignment, submission in runs:
        wall, cpu, wall_ratio, cpu_ratio = against_baseline([GRADE, assignment, submission], repeats)
        print(f"grade {assignment} {submission:<42} {wall:6.2f} s = {wall_ratio:4.2f} x import torch"
              f"  (CPU {cpu:5.2f} s = {cpu_ratio:4.2f} x)")


if __name__ == "__main__":
    main()
