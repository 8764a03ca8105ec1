"""Sweep: how far each wrong submission's score moves with the seed (target: at most 0.5 points).

Run: python tests/benchmarks/seed_spread.py [SEEDS] [ASSIGNMENT ...]. Grades every mutant of
tests/mutants_*.py under seeds 0..SEEDS-1 (default 10) and prints its lowest and highest score,
widest spread last. It never fails; tests/test_seed_spread.py checks a sample.
"""
from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
import grader  # noqa: E402,F401  (pins thread counts before torch is imported)
from grader import api  # noqa: E402
from grader.spec import assignment_names  # noqa: E402


def scores(assignment: str, name: str, seeds: range, folder: Path) -> list[float]:
    mutant = importlib.import_module(f"mutants_{assignment}").MUTANTS[name]
    submission = mutant.write(folder / name)
    return [api.grade(assignment, submission, seed=seed, device="cpu", timeout=3, root=ROOT).score for seed in seeds]


def main() -> None:
    seeds = range(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
    names = sys.argv[2:] or assignment_names(ROOT)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for assignment in names:
            for name in importlib.import_module(f"mutants_{assignment}").MUTANTS:
                found = scores(assignment, name, seeds, Path(folder))
                rows.append((max(found) - min(found), assignment, name, min(found), max(found)))
                print(f"{assignment:<12} {name:<28} {min(found):7.2f} .. {max(found):7.2f}", flush=True)
    spread, assignment, name, low, high = max(rows)
    print(f"\n{len(rows)} mutants, seeds 0-{seeds[-1]}: the widest spread is {spread:.2f} points "
          f"({assignment}/{name}: {low:g} .. {high:g})")


if __name__ == "__main__":
    main()
