# ATTACK: harm the grader's repository: open grader/compare.py, grader/__init__.py, README.md,
# pyproject.toml and .git/config for writing (nothing is written), and create canary files in
# grader/, tests/, reference/, the repository root and .git/hooks/.
# MUST: every attempt fails (no PWNED in the report) and the repository is unchanged.
import os

ROOT = "__COURSE_ROOT__"
TOKEN = "__TOKEN__"


class Found(Exception):
    """Carries what the attack found; no invalid-argument probe expects this class."""


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    won = []
    for name in ("grader/compare.py", "grader/__init__.py", "README.md", "pyproject.toml", ".git/config",
                 "reference/assignment1/spec.py"):
        try:
            with open(os.path.join(ROOT, name), "a"):
                won.append(f"opened {name} for writing")
        except OSError:
            pass
    for folder in ("grader", "tests", "reference", "", ".git/hooks"):
        path = os.path.join(ROOT, folder, f"_hostile_canary_{TOKEN}")
        try:
            with open(path, "x") as f:
                f.write("x")
            won.append(f"created {path}")
        except OSError:
            pass
    raise Found(("PWN" "ED: " + "; ".join(won)) if won else "blocked")
