"""The part of each statement made from its spec: every task's points and how they split by group of checks.

Run `python -m grader.course.statement` after changing a spec; a test fails while a statement is stale.
"""
from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

from grader.i18n import N_, number, say, say_n
from grader.reports.render import GROUP_NAMES
from grader.spec import GROUPS, Assignment, assignment_names, installed_course, load_assignment

BEGIN = "<!-- points: made from the spec by `python -m grader.course.statement`; do not edit by hand -->"
END = "<!-- /points -->"


def points_table(assignment: Assignment, language: str = "en") -> str:
    """Markdown: each task's points, and for each group of checks its points and number of checks."""
    heads = [say(language, "task"), say(language, "points"), *(say(language, GROUP_NAMES[g]) for g in GROUPS)]
    lines = [BEGIN, "", f"| {' | '.join(heads)} |", "|---|---:|" + "---:|" * len(GROUPS)]
    for task in assignment.tasks:
        cells = []
        for group in GROUPS:
            share = (task.shares or {}).get(group, 0.0)
            count = sum(case.check_group == group for case in task.cases)
            cases = say_n(language, "{count} case", "{count} cases", count)
            cells.append(f"{number(language, task.points * share, '.3g')} ({cases})" if share else "—")
        lines.append(f"| `{task.name}` | {number(language, task.points, 'g')} | {' | '.join(cells)} |")
    total = say_n(language, "Total: {points} point.", "Total: {points} points.", int(assignment.max_score),
                  points=number(language, assignment.max_score, "g"))
    lines += ["", total, END]
    return "\n".join(lines)


def with_points(statement: str, assignment: Assignment, language: str = "en") -> str:
    """The statement with its points table replaced (or added at the end)."""
    table = points_table(assignment, language)
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if pattern.search(statement):
        return pattern.sub(lambda _: table, statement)
    heading, rules = say(language, "Points"), textwrap.fill(say(language, POINTS_RULES), 100)
    return f"{statement.rstrip()}\n\n## {heading}\n\n{rules}\n\n{table}\n"


STATEMENTS = {"en": "README.md", "ru": "README.ru.md"}  # the statement in each language it is written in

POINTS_RULES = N_(
    "Each task's points are split between its groups of checks: the results (values, shapes, dtypes, gradients, "
    "the lecture's examples), the edge cases (unbatched inputs, tuples, empty outputs, other dtypes, "
    "non-contiguous inputs) and the argument checks (invalid calls that must raise). Within a group each case "
    "counts the same (on every device it runs on), and a group earns its points in proportion to the checks "
    "passed. The argument checks earn points only once at least one of the task's results or edge cases is "
    "right: a function that only raises exceptions scores 0. The seed of the random cases changes their values, "
    "never their shapes or settings, so it does not change a grade.")


def statement_path(root: Path, name: str, language: str = "en") -> Path:
    return root / "assignments" / name / STATEMENTS[language]


def statements(root: Path, name: str) -> dict[str, Path]:
    """The statement of an assignment in each language it exists in."""
    return {language: path for language in STATEMENTS if (path := statement_path(root, name, language)).exists()}


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else installed_course()
    for name in assignment_names(root):
        spec = load_assignment(name, root=root)
        for language, path in statements(root, name).items():
            path.write_text(with_points(path.read_text(encoding="utf-8"), spec, language), encoding="utf-8")
            print(f"{path}: points table written")


if __name__ == "__main__":
    main()
