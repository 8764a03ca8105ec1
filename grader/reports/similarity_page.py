"""A class's similar submissions for the instructor: similarity.csv (every pair) and similarity.html
(the pairs at or above the threshold, the clusters, each pair side by side with the shared passages
marked), both made from a `similarity.Analysis`. Self-contained: no network, no script."""
from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path
from typing import Any

from grader.course.similarity import MEASURED_COPIES, MEASURED_INDEPENDENT, Analysis, Pair, Student
from grader.reports.gradebook import BOM, _cell
from grader.reports.render import clean, template, write_report

MIN_ROWS = 10  # with fewer pairs at or above the threshold, the highest below it fill the table, marked
MAX_SIDE_BY_SIDE = 60  # pairs shown side by side: the page stays readable (the CSV has every pair)
COLOURS = 6  # shared passages take these colours in turn (.f0 ... .f5 in the template)
TAB = 4


def similarity_csv(analysis: Analysis, anonymous: bool = False) -> str:
    """Every pair, the highest score first: `student_a`, `student_b` (ids), `score` (0 to 1),
    `shared_lines`, `longest_fragment` (lines), then `name_a`, `name_b` (empty with `anonymous`).
    UTF-8 with a byte-order mark and formulas defused, as gradebook.csv."""
    names = {s.student: "" if anonymous else s.name for s in analysis.students}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student_a", "student_b", "score", "shared_lines", "longest_fragment", "name_a", "name_b"])
    for pair in analysis.pairs:
        writer.writerow([_cell(value) for value in (pair.a, pair.b, pair.score, pair.shared_lines,
                                                     pair.longest_fragment, names[pair.a], names[pair.b])])
    return BOM + out.getvalue()


def _people(students: tuple[Student, ...], anonymous: bool) -> dict[str, dict[str, Any]]:
    """How the page shows each student: the name (with the id where two share it), or the id."""
    labels = Counter(s.name for s in students if s.name and not anonymous)
    return {s.student: {"id": s.student, "label": s.student if anonymous or not s.name else s.name,
                        "is_id": anonymous or not s.name, "twin": bool(s.name) and not anonymous
                        and labels[s.name] > 1} for s in students}


def _side(student: Student, pair: Pair, first: bool) -> list[dict]:
    """One side of a pair: each file's lines, each marked with the shared passage it is in (by number)."""
    marks: dict[tuple[str, int], int] = {}
    for number, fragment in enumerate(pair.fragments):
        span = fragment.a if first else fragment.b
        for line in range(span.first, span.last + 1):
            marks.setdefault((span.module, line), number)
    files = []
    for module, text in student.files:
        lines = [{"number": n, "text": clean(line.expandtabs(TAB)) or " ", "mark": marks.get((module, n))}
                 for n, line in enumerate(text.splitlines(), 1)]
        files.append({"module": module, "lines": lines})
    return files


def render_page(analysis: Analysis, title: str, language: str, anonymous: bool = False) -> str:
    """similarity.html in `language`."""
    people = _people(analysis.students, anonymous)
    by_id = {s.student: s for s in analysis.students}
    above = [p for p in analysis.pairs if p.score >= analysis.threshold]
    below = [p for p in analysis.pairs if p.score < analysis.threshold and p.score > 0][:max(0, MIN_ROWS - len(above))]
    rows = []
    for number, pair in enumerate(above + below):
        shown = number < MAX_SIDE_BY_SIDE
        rows.append({"number": number, "a": people[pair.a], "b": people[pair.b], "score": pair.score,
                     "above": pair.score >= analysis.threshold, "shared_lines": pair.shared_lines,
                     "longest": pair.longest_fragment, "shown": shown,
                     "fragments": [{"number": n, "colour": n % COLOURS, "a": f.a, "b": f.b}
                                   for n, f in enumerate(pair.fragments)],
                     "left": _side(by_id[pair.a], pair, True) if shown else [],
                     "right": _side(by_id[pair.b], pair, False) if shown else []})
    clusters = [{"members": sorted((people[s] for s in c.students), key=lambda w: (w["label"].casefold(), w["id"])),
                 "top": c.top} for c in analysis.clusters]
    unread = [{"who": people[s.student], "problem": s.problem}
              for s in sorted((s for s in analysis.students if not s.files),
                              key=lambda s: (people[s.student]["label"].casefold(), people[s.student]["id"]))]
    compared = sum(bool(s.files) for s in analysis.students)
    return template("similarity.html", language).render(
        language=language, title=clean(title), students=compared, pairs=len(analysis.pairs), above=len(above),
        threshold=analysis.threshold, highest=analysis.pairs[0].score if analysis.pairs else 0.0,
        clusters=clusters, rows=rows, unread=unread, anonymous=anonymous, colours=COLOURS,
        k=analysis.k, w=analysis.w, independent=MEASURED_INDEPENDENT, copies=MEASURED_COPIES, more=max(0, len(rows) - MAX_SIDE_BY_SIDE))


def write_similarity(folder: Path, analysis: Analysis, title: str, language: str,
                     anonymous: bool = False) -> list[Path]:
    """similarity.csv and similarity.html in `folder` (made if missing), each whole or not at all."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_report(folder / "similarity.csv", similarity_csv(analysis, anonymous))
    write_report(folder / "similarity.html", render_page(analysis, title, language, anonymous))
    return [folder / "similarity.csv", folder / "similarity.html"]


def similar_to(analysis: Analysis) -> dict[str, str]:
    """The gradebook's `similar_to` cell per student: the top match's id and score ("1470031 0.93"),
    empty where the student was compared with no one or shares nothing."""
    return {student: f"{other} {score:.2f}" for student, (other, score) in analysis.top_match().items() if score > 0}

