"""The handout's CI (`grade release`): the GitHub Actions workflow and .gitlab-ci.yml parse, set up
and call the grader the way the handout's README says, and ci/grade-pushed.sh grades the
assignments a push changed and fails under the instructor's threshold."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from grader.course import release

GITHUB, GITLAB, SCRIPT = (path for _, path in release.CI_FILES)
GRADE_PUSHED = "bash ci/grade-pushed.sh"


def load_yaml(text: str) -> dict:
    """A CI file as the platform reads it (PyYAML, a test extra); GitHub's `on:` is the key
    "on", which YAML 1.1 would read as true."""
    found = yaml.safe_load(text)
    if True in found:
        found["on"] = found.pop(True)
    return found


# ---------------------------------------------------------------- the files

def _readme_set_up(readme: str) -> tuple[str, str]:
    """The first set-up command of a handout README: (how it installs, how it grades)."""
    command = next(line[2:] for line in readme.splitlines() if line.startswith("$ python3 -m venv"))
    install, _ = command.split(" && .venv/bin/grade ")
    return install, ".venv/bin/grade"


def test_both_platforms_set_up_and_grade_as_the_readme_says():
    files = release.ci_files(70)
    for name in ("README.md", "README.en.md"):
        readme = (release.TEMPLATES / name).read_text(encoding="utf-8")
        install, grade = _readme_set_up(readme)
        assert all(str(path) in readme for path in (GITHUB, GITLAB)) and GRADE_PUSHED in readme
        assert f"{grade} NAME" in readme
    github, gitlab = load_yaml(files[GITHUB]), load_yaml(files[GITLAB])

    assert github["on"]["push"]["paths"] == ["assignments/**"] and "workflow_dispatch" in github["on"]
    assert github["env"]["FAIL_UNDER"] == "70"
    steps = github["jobs"]["grade"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@") and steps[0]["with"]["fetch-depth"] == 0
    runs = [step["run"] for step in steps if "run" in step]
    assert runs == [install, f'{GRADE_PUSHED} "${{{{ github.event.before }}}}"']
    keep = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@"))
    assert keep["if"] == "always()" and keep["with"]["path"] == "reports/"

    job = gitlab["grade"]
    assert job["variables"]["FAIL_UNDER"] == "70" and job["variables"]["GIT_DEPTH"] == "0"
    assert job["script"] == [install, f'{GRADE_PUSHED} "$CI_COMMIT_BEFORE_SHA"']
    assert job["artifacts"] == {"when": "always", "paths": ["reports/"]}
    assert {"changes": ["assignments/**/*"], "if": '$CI_PIPELINE_SOURCE == "push"'} in job["rules"]

    script = files[SCRIPT]
    assert f'{grade} "$name" --fail-under "${{FAIL_UNDER:-0}}"' in script
    assert f'{grade} "$name" -o "reports/$name.html"' in script


def test_the_threshold_is_a_percent():
    assert 'FAIL_UNDER: "50"' in release.ci_files()[GITLAB]
    assert 'FAIL_UNDER: "62.5"' in release.ci_files(62.5)[GITHUB]
    with pytest.raises(ValueError):
        release.ci_files(101)


# ---------------------------------------------------------------- the script, run

FAKE_GRADE = """#!/usr/bin/env bash
# stands for the grader: logs its arguments; assignment2 scores under any threshold
echo "$@" >> "$LOG"
if [ "$1" = assignment2 ] && [ "$2" = --fail-under ]; then exit 1; fi
"""


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=folder, check=True,
                          capture_output=True, text=True).stdout.strip()


def _run_script(folder: Path, before: str = "") -> tuple[int, list[str]]:
    log = folder.parent / "log"
    log.write_text("")
    done = subprocess.run(["bash", "ci/grade-pushed.sh", before], cwd=folder, capture_output=True, text=True,
                          env={**os.environ, "LOG": str(log), "FAIL_UNDER": "70"})
    return done.returncode, log.read_text().splitlines()


def test_the_script_grades_the_assignments_a_push_changed(tmp_path):
    folder = tmp_path / "handout"
    for name in ("assignment1", "assignment2", "assignment3"):
        (folder / "public" / name).mkdir(parents=True)
        (folder / "public" / name / "spec.json").write_text("{}")
        (folder / "assignments" / name).mkdir(parents=True)
        (folder / "assignments" / name / "work.py").write_text("x = 1\n")
    (folder / "assignments" / "GLOSSARY.md").write_text("terms\n")
    (folder / ".venv" / "bin").mkdir(parents=True)
    (folder / ".venv" / "bin" / "grade").write_text(FAKE_GRADE)
    (folder / ".venv" / "bin" / "grade").chmod(0o755)
    (folder / "ci").mkdir()
    (folder / "ci" / "grade-pushed.sh").write_text(release.ci_files()[SCRIPT])
    _git(folder, "init", "-q")
    _git(folder, "add", "public", "assignments", "ci")
    _git(folder, "commit", "-q", "-m", "handout")
    first = _git(folder, "rev-parse", "HEAD")

    status, calls = _run_script(folder)  # a first push: every assignment
    assert status == 1 and [call.split()[0] for call in calls[::2]] == ["assignment1", "assignment2", "assignment3"]
    assert calls[:2] == ["assignment1 --fail-under 70", "assignment1 -o reports/assignment1.html"]

    (folder / "assignments" / "assignment3" / "work.py").write_text("x = 2\n")
    (folder / "assignments" / "GLOSSARY.md").write_text("more terms\n")
    _git(folder, "commit", "-q", "-am", "work on 3")
    assert _run_script(folder, first) == (0, ["assignment3 --fail-under 70", "assignment3 -o reports/assignment3.html"])
    assert _run_script(folder, "0" * 40)[1][0] == "assignment1 --fail-under 70"  # a new branch: every assignment
