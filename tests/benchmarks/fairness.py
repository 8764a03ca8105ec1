"""Benchmark: a correct submission scores the same alone, beside a hostile one in `grade batch -j 2`,
and on a machine made busy by other processes, because its time limit is CPU time and the cores
are shared fairly.

Run: python tests/benchmarks/fairness.py [TIMEOUT_S] [WASTED_CPU_S_PER_CALL]. Prints figures; it never
fails. The correct submission is assignment 1's correct_naive with a conv2d slowed by a fixed CPU
time per call (tests/test_fairness.py; by default 0.02 s, about 2.2 s of CPU for its ~110 calls);
the hostile one is tests/hostile/fair_busy_neighbour.py
(60 busy processes, each trying a session of its own). Run it as an ordinary user (`setpriv
--reuid 65534 ...`, the repository and its Python readable to that user) for the fallback without
cgroups.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from test_fairness import HOSTILE, busy_neighbours, slow_correct_submission  # noqa: E402

GRADE = str(Path(sys.executable).with_name("grade"))


def run(command: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    """The command's result and its wall time."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    return done, time.perf_counter() - start


def conv2d(tasks: list[dict]) -> str:
    task = next(t for t in tasks if t["name"] == "conv2d")
    return f"conv2d {task['score']:5.2f}/{task['max_score']:g} {task['status']:<8} {task['duration_s']:5.2f} s wall"


def alone(submission: Path, timeout: str, label: str) -> None:
    done, wall = run([GRADE, "assignment1", str(submission), "--format", "json", "--timeout", timeout])
    report = json.loads(done.stdout)
    print(f"{label:<34} {report['score']:6.2f}/{report['max_score']:g}  {conv2d(report['tasks'])}"
          f"  (whole grade: {wall:5.2f} s wall)")


def main() -> None:
    timeout = sys.argv[1] if len(sys.argv) > 1 else "10"
    wasted = float(sys.argv[2]) if len(sys.argv) > 2 else 0.02
    work = Path(tempfile.mkdtemp(prefix="fairness-", dir="/tmp"))
    work.chmod(0o755)
    try:
        submission = slow_correct_submission(work / "class" / "honest", wasted)
        done, _ = run([GRADE, "assignment1", str(submission), "--format", "json", "--timeout", timeout])
        print("measures:", "; ".join(m for m in json.loads(done.stdout)["environment"]["isolation"]["measures"]
                                     if "CPU" in m))
        alone(submission, timeout, "alone")

        (work / "class" / "hostile").mkdir()
        (work / "class" / "hostile" / "convolution.py").write_bytes(HOSTILE.read_bytes())
        done, wall = run([GRADE, "batch", "assignment1", str(work / "class"), "-o", str(work / "results"),
                               "-j", "2", "--seed", "0", "--lang", "en", "--timeout", timeout])
        for student in ("honest", "hostile"):
            report = json.loads((work / "results" / "feedback" / student / "feedback.json").read_text())
            print(f"{'batch -j 2: ' + student:<34} {report['score']:6.2f}/{report['max_score']:g}  "
                  f"{conv2d(report['tasks'])}")
        print(f"{'':<34} (whole batch: {wall:5.2f} s wall)")

        neighbours = busy_neighbours()
        try:
            alone(submission, timeout, f"beside {len(neighbours)} busy processes")
        finally:
            for neighbour in neighbours:
                neighbour.kill()
                neighbour.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
