"""The statements state each task's points and their split exactly as the specs declare them, and
a statement's translation says the same as the English one."""
import collections
import re

import pytest

from conftest import ROOT
from grader.course import statement
from grader.spec import GROUPS, assignment_names, load_assignment

NAMES = assignment_names(ROOT)


STATEMENTS = [(name, language) for name in NAMES for language in statement.statements(ROOT, name)]
TRANSLATED = [name for name, language in STATEMENTS if language != "en"]


@pytest.mark.parametrize("name, language", STATEMENTS)
def test_the_statement_shows_the_spec_s_points(name, language):
    spec = load_assignment(name, root=ROOT)
    text = statement.statement_path(ROOT, name, language).read_text(encoding="utf-8")
    assert statement.points_table(spec, language) in text, "stale: run python -m grader.course.statement"


def _without_comments(block: str) -> str:
    """A code block less its comments, which a translation says in its own language."""
    return "\n".join(line.rstrip() for line in re.sub(r"(?:^|(?<=\s))#.*$", "", block, flags=re.M).splitlines())


# How each language writes a number in prose: 61,706 and 0.5 in English, «61 706» (a no-break
# space) and «0,5» in Russian; compared as the same number.
_NUMBERS = {"en": (re.compile(r"(?<=\d),(?=\d{3}(?!\d))"), "."),
            "ru": (re.compile(r"(?<=\d)[\u00a0\u202f](?=\d{3}(?!\d))"), ",")}


def _numbers(prose: str, language: str) -> collections.Counter:
    groups, point = _NUMBERS[language]
    found = re.findall(r"\d+(?:[.,]\d+)?", groups.sub("", prose))
    return collections.Counter(number.replace(point, ".") for number in found)


def _content(text: str, language: str = "en") -> dict:
    """What a translation must keep: code blocks (but for their comments), inline code
    (signatures, values, formulas), the numbers of the prose, and the shape of every table."""
    blocks = [_without_comments(block) for block in re.findall(r"```.*?```", text, re.S)]
    rest = re.sub(r"```.*?```", "", text, flags=re.S)
    spans = collections.Counter(" ".join(span.split()) for span in re.findall(r"`[^`]+`", rest))
    prose = re.sub(r"`[^`]+`", "", rest)
    return {"code blocks": blocks, "inline code": spans, "numbers": _numbers(prose, language),
            "table rows": [len(t.strip().splitlines()) for t in re.findall(r"(?:^\s*\|.*\|\s*$\n?)+", rest, re.M)]}


def _drift(english: str, translated: str, language: str = "ru") -> list[str]:
    ours, theirs = _content(english), _content(translated, language)
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
    assert any("code blocks" in line for line in _drift(english, russian.replace("grade list ", "grade lists ")))
    assert _drift(english, russian.replace("# задачи и баллы", "# tasks, points")) == []  # comments are the language's


def test_numbers_are_compared_as_each_language_writes_them():
    assert _numbers("61,706 weights, 0.5 and 4,096", "en") == _numbers("61\u00a0706 весов, 0,5 и 4096", "ru")
    assert _numbers("61,706 weights", "en") != _numbers("61,706 весов", "ru")  # a decimal comma in Russian


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
