"""Benchmark: `grade batch` against a shell loop of single `grade` calls, on N assignment-1 submissions.

Run: python tests/benchmarks/batch_speed.py [N] [JOBS]. The class is a mix of the correct and the
mutant submissions in tests/ (hostile ones that run into the time limit left out), N of them
(default 50). Prints the batch time per submission, the loop's, both against `import torch`, and
the grader's own overhead per submission: the batch's wall time less the student code's own run
time (spread over the jobs), per submission. Target: at most 0.3 s on 2 cores. It never fails.
"""
from __future__ import annotations

import itertools
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
import grader  # noqa: E402,F401  (pins thread counts before torch is imported)
from conftest import submission_path  # noqa: E402
from grader.course import batch  # noqa: E402
from test_wrong_submissions import BUGGY, CORRECT  # noqa: E402

GRADE = str(Path(sys.executable).with_name("grade"))


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
    return time.perf_counter() - start


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    jobs = int(sys.argv[2]) if len(sys.argv) > 2 else None
    names = [n for a, n in CORRECT if a == "assignment1"] + [n for a, n, _ in BUGGY if a == "assignment1"]
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for number, name in zip(range(count), itertools.cycle(names)):
            shutil.copytree(submission_path("assignment1", name, folder / "sources" / f"{number}"),
                            folder / "class" / f"s{number:03}-{name}")
        torch_s = min(wall([sys.executable, "-c", "import torch"]) for _ in range(3))
        start = time.perf_counter()
        entries = batch.grade_batch("assignment1", [folder / "class"], folder / "results", jobs=jobs, device="cpu",
                                    root=ROOT)
        batch_s = time.perf_counter() - start
        student_s = sum(task.duration_s for entry in entries for task in entry.report.tasks)
        loop_s = sum(wall([GRADE, "assignment1", str(path), "--device", "cpu"])
                     for path in sorted((folder / "class").iterdir()))
    used = jobs or __import__("os").cpu_count()
    print(f"python -c 'import torch'                 {torch_s:6.2f} s")
    print(f"grade batch, {count} submissions, -j {used}      {batch_s:6.2f} s = {batch_s / count:5.2f} s per submission "
          f"= {batch_s / count / torch_s:4.2f} x import torch")
    print(f"shell loop of single grade calls        {loop_s:6.2f} s = {loop_s / count:5.2f} s per submission "
          f"= {loop_s / count / torch_s:4.2f} x import torch")
    print(f"student code's own run time             {student_s:6.2f} s in all")
    print(f"grader overhead per submission          {(batch_s - student_s / used) / count:6.2f} s (target: 0.3 s)")


if __name__ == "__main__":
    main()
