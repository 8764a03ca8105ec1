"""How long `grade similarity`'s comparison takes for a class: python tests/benchmarks/similarity_speed.py [STUDENTS]

The class (200 by default) is made of assignment 1's independent solutions (tests/submissions and the
reference), each student a copy of one of them under a random mix of the disguises of tests/disguises.py
with names renamed by a seed of their own: every pair is alike, which is the slowest case (every pair
shares fingerprints and is compared in full). Prints the time to read nothing (the texts are in
memory), to fingerprint and compare, and to render the page, on this machine's cores (it uses one).
"""
from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from disguises import DISGUISES, ROOT, rename, styles  # noqa: E402
from grader.course import similarity as sim  # noqa: E402
from grader.reports.similarity_page import write_similarity  # noqa: E402


def make_class(size: int, seed: int = 0) -> list[sim.Student]:
    rng = random.Random(seed)
    solutions = list(styles("assignment1").values())
    kinds = [name for name in DISGUISES if name not in ("all", "rename")]
    students = []
    for n in range(size):
        files = rng.choice(solutions)
        chosen = rng.sample(kinds, rng.randint(0, 3))
        copy = {}
        for module, text in files.items():
            text = rename(text, seed=n)
            for disguise in chosen:
                text = DISGUISES[disguise](text)
            copy[module] = text
        students.append(sim.Student(f"{1470000 + n}", f"Студент {n}", tuple(copy.items())))
    return students


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    students = make_class(size)
    template = sim.course_template(ROOT / "assignments" / "assignment1")
    lines = sum(text.count("\n") for s in students for _, text in s.files)
    start = time.perf_counter()
    analysis = sim.compare(students, template)
    compared = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        write_similarity(Path(folder), analysis, "assignment1", "ru")
        page = time.perf_counter() - start
        size_kb = (Path(folder) / "similarity.html").stat().st_size / 1024
    above = sum(p.score >= analysis.threshold for p in analysis.pairs)
    print(f"{size} students, {lines} lines, {len(analysis.pairs)} pairs ({above} at or above {analysis.threshold})")
    print(f"fingerprints and pairs: {compared:.1f} s; csv and page: {page:.1f} s ({size_kb:.0f} KiB); "
          f"total {compared + page:.1f} s")


if __name__ == "__main__":
    main()
