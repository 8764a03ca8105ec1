"""The part of each statement made from its spec: every task's points and how they split by group of checks.

Run `python -m grader.statement` after changing a spec; a test fails while a statement is stale.
"""
from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

from .spec import GROUPS, Assignment, assignment_names, installed_course, load_assignment

BEGIN = "<!-- points: made from the spec by `python -m grader.statement`; do not edit by hand -->"
END = "<!-- /points -->"


def points_table(assignment: Assignment) -> str:
    """Markdown: each task's points, and for each group of checks its points and number of checks."""
    lines = [BEGIN, "", f"| task | points | {' | '.join(GROUPS)} |", "|---|---:|" + "---:|" * len(GROUPS)]
    for task in assignment.tasks:
        cells = []
        for group in GROUPS:
            share = task.shares.get(group, 0.0)
            count = sum(case.check_group == group for case in task.cases)
            cells.append(f"{task.points * share:.3g} ({count} {'case' if count == 1 else 'cases'})" if share else "—")
        lines.append(f"| `{task.name}` | {task.points:g} | {' | '.join(cells)} |")
    lines += ["", f"Total: {assignment.max_score:g} points.", END]
    return "\n".join(lines)


def with_points(statement: str, assignment: Assignment) -> str:
    """The statement with its points table replaced (or added at the end)."""
    table = points_table(assignment)
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if pattern.search(statement):
        return pattern.sub(lambda _: table, statement)
    return statement.rstrip("\n") + "\n\n## Points\n\n" + textwrap.fill(POINTS_RULES, 100) + "\n\n" + table + "\n"


POINTS_RULES = (
    "Each task's points are split between its groups of checks: the results (values, shapes, dtypes, gradients, "
    "the lecture's examples), the edge cases (unbatched inputs, tuples, empty outputs, other dtypes, "
    "non-contiguous inputs) and the argument checks (invalid calls that must raise). Within a group each case "
    "counts the same (on every device it runs on), and a group earns its points in proportion to the checks "
    "passed. The seed of the random cases changes their values, never their shapes or settings, so it does not "
    "change a grade.")


def statement_path(root: Path, name: str) -> Path:
    return root / "assignments" / name / "README.md"


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else installed_course()
    for name in assignment_names(root):
        path = statement_path(root, name)
        path.write_text(with_points(path.read_text(), load_assignment(name, root=root)))
        print(f"{path}: points table written")


if __name__ == "__main__":
    main()
