"""The statements state each task's points and their split exactly as the specs declare them, and
a statement's translation says the same as the English one."""
import collections
import re

import pytest

from conftest import ROOT
from grader import statement
from grader.spec import GROUPS, assignment_names, load_assignment

NAMES = assignment_names(ROOT)


STATEMENTS = [(name, language) for name in NAMES for language in statement.statements(ROOT, name)]
TRANSLATED = [name for name, language in STATEMENTS if language != "en"]


@pytest.mark.parametrize("name, language", STATEMENTS)
def test_the_statement_shows_the_spec_s_points(name, language):
    spec = load_assignment(name, root=ROOT)
    text = statement.statement_path(ROOT, name, language).read_text(encoding="utf-8")
    assert statement.points_table(spec, language) in text, "stale: run python -m grader.statement"


def _content(text: str) -> dict:
    """What a translation must keep: code blocks, inline code (signatures, values, formulas),
    the numbers of the prose, and the shape of every table."""
    blocks = re.findall(r"```.*?```", text, re.S)
    rest = re.sub(r"```.*?```", "", text, flags=re.S)
    spans = collections.Counter(" ".join(span.split()) for span in re.findall(r"`[^`]+`", rest))
    prose = re.sub(r"`[^`]+`", "", rest)
    return {"code blocks": blocks, "inline code": spans,
            "numbers": collections.Counter(re.findall(r"\d+(?:[.,]\d+)?", prose)),
            "table rows": [len(t.strip().splitlines()) for t in re.findall(r"(?:^\s*\|.*\|\s*$\n?)+", rest, re.M)]}


def _drift(english: str, translated: str) -> list[str]:
    ours, theirs = _content(english), _content(translated)
    return [f"{what}: English {ours[what] - theirs[what] if isinstance(ours[what], collections.Counter) else ours[what]}"
            f" / translation {theirs[what] - ours[what] if isinstance(ours[what], collections.Counter) else theirs[what]}"
            for what in ours if ours[what] != theirs[what]]


@pytest.mark.parametrize("name", TRANSLATED)
def test_a_translated_statement_keeps_the_tables_formulas_and_numbers_of_the_english_one(name):
    english = statement.statement_path(ROOT, name).read_text(encoding="utf-8")
    assert _drift(english, statement.statement_path(ROOT, name, "ru").read_text(encoding="utf-8")) == []


def test_drift_between_the_languages_is_caught():
    english = statement.statement_path(ROOT, "assignment1").read_text(encoding="utf-8")
    russian = statement.statement_path(ROOT, "assignment1", "ru").read_text(encoding="utf-8")
    assert any("inline code" in line for line in _drift(english, russian.replace("`[[0, 2], [-5, 2]]`", "`[[0, 2]]`")))
    assert any("numbers" in line for line in _drift(english, russian.replace("отстоят на 3", "отстоят на 4")))
    assert any("table rows" in line for line in _drift(english, russian.replace("| `sharpen` |", "\n| `sharpen` |")))


@pytest.mark.parametrize("name", NAMES)
def test_argument_checks_count_for_at_most_15_percent(name):
    for task in load_assignment(name, root=ROOT).tasks:
        assert set(task.shares) <= set(GROUPS) and abs(sum(task.shares.values()) - 1) < 1e-9, task.name
        assert task.shares.get("argument checks", 0) <= 0.15, task.name


def test_a_stale_statement_is_caught():
    spec = load_assignment("assignment1", root=ROOT)
    fresh = statement.with_points("# statement\n", spec)
    assert "## Баллы" in statement.with_points("# условие\n", spec, "ru")
    assert statement.points_table(spec) in fresh
    stale = fresh.replace(f"| `conv2d` | {spec.task('conv2d').points:g} |", "| `conv2d` | 99 |")
    assert statement.points_table(spec) not in stale
    assert statement.with_points(stale, spec) == fresh
