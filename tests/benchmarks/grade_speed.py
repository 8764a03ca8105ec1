"""Benchmark: wall time of `grade` on the reference and on loop-style solutions, against `import torch`.

Run: python tests/benchmarks/grade_speed.py [REPEATS]. Prints figures; it never fails on speed.
Target (design.md): `grade ASSIGNMENT` on the reference within 2x of `python -c "import torch"`.
Beside the wall time it prints the CPU time of the whole process tree (user + system, every
child included): on a machine busy with other work that ratio still means something.
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


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def seconds(command: list[str], repeats: int) -> tuple[float, float]:
    """Median wall time and CPU time of a command run `repeats` times (after one warm-up run for
    the disk cache and the reference's kept frames)."""
    subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
    times, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), _children_cpu()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
        cpu.append(_children_cpu() - start_cpu)
    return statistics.median(times), statistics.median(cpu)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    baseline, baseline_cpu = seconds([sys.executable, "-c", "import torch"], repeats)
    print(f"python -c 'import torch'                          {baseline:6.2f} s        "
          f"     (CPU {baseline_cpu:5.2f} s)")
    runs = [(name, f"reference/{name}") for name in assignment_names(ROOT)]
    runs += [("assignment1", "tests/submissions/assignment1/correct_naive"),
             ("assignment3", "tests/submissions/assignment3/correct_alt"),
             ("assignment4", "tests/submissions/assignment4/correct_alt")]
    for assignment, submission in runs:
        took, cpu = seconds([GRADE, assignment, submission], repeats)
        print(f"grade {assignment} {submission:<42} {took:6.2f} s  = {took / baseline:4.2f} x import torch"
              f"  (CPU {cpu:5.2f} s = {cpu / baseline_cpu:4.2f} x)")


if __name__ == "__main__":
    main()
