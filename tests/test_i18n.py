"""Languages: the Russian catalog is complete and current, the language is chosen as documented,
and a report in one language holds nothing of the other."""
from __future__ import annotations

import functools
import io
import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from conftest import ROOT
from grader import api, i18n, report
from test_wrong_submissions import BUGGY, CORRECT

PO = ROOT / "grader" / "locale" / "ru" / "LC_MESSAGES" / "grader.po"
# as the README's pybabel command: the errors a person reads take their message first
KEYWORDS = {"N_": None, "say": (2,), "say_n": (2, 3), "_": None, "gettext": None, "ngettext": (1, 2),
            **dict.fromkeys(("UsageError", "SubmissionError", "SourceError", "SettingsError", "StaleHandout",
                             "DecisionError"))}
CYRILLIC = re.compile("[\u0400-\u04ff]")
PLACEHOLDER = re.compile(r"\{(\w*)[^}]*\}|%\((\w+)\)s")


@functools.cache  # two tests read it: extract once
def _extracted() -> frozenset[str]:
    """Every message id in the grader's code and templates and the specs' texts, as pybabel extracts them."""
    method_map = [("grader/**.py", "python"), ("grader/templates/**.html", "jinja2"),
                  ("reference/*/spec.py", "grader.i18n:extract_spec")]
    options = {"grader/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return frozenset(found - {""})


def _catalog():
    with PO.open("rb") as source:
        return read_po(source, locale="ru")


def _fields(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


def test_every_message_has_a_russian_translation_with_the_same_fields():
    catalog = _catalog()
    missing = sorted(message for message in _extracted() if message not in catalog)
    assert not missing, f"not in {PO.name} (run pybabel update, see the README): {missing}"
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings) and "fuzzy" not in message.flags, f"untranslated: {ids[0]!r}"
        assert len(strings) == (3 if len(ids) > 1 else 1), ids[0]
        for string in strings:
            assert _fields(string) == _fields(ids[0]), f"{ids[0]!r} -> {string!r}"


def test_a_case_name_is_translated_part_by_part_its_numbers_and_code_kept():
    name = "random 3: kernel (3, 5), stride=(2, 1), padding='same' with dilation 2"
    assert [part for part, _ in i18n.name_parts(name)] == ["random 3", "kernel (3, 5)", "stride=(2, 1)",
                                                           "padding='same' with dilation 2"]
    assert list(i18n.name_templates(name)) == ["random {0}", "kernel ({0}, {1})", "padding='same' with dilation {0}"]
    assert i18n.say_name("en", name) == name
    assert i18n.say_name("ru", "random 12: kernel (3, 5), stride=(2, 1)") == "случайный 12: ядро (3, 5), stride=(2, 1)"
    assert i18n.say_name("ru", "derived: 5x5 image, 3x3 kernel") == "выведено из лекции: изображение 5x5, ядро 3x3"
    assert i18n.say_name("ru", "no such {text} 7") == "no such {text} 7"  # not in the catalog: as it is
    assert [i18n.is_code(p) for p in ("float64", "(3, 3)", "p=-0.5", "FILTERS['blur']", "-1", "[[1, 2], [3, 4]]",
                                      "invalid", "3x3 kernel")] == [True] * 6 + [False] * 2


def test_the_compiled_catalog_is_the_current_one():
    compiled = io.BytesIO()
    write_mo(compiled, _catalog())
    assert (PO.with_suffix(".mo")).read_bytes() == compiled.getvalue(), "run: pybabel compile -d grader/locale -D grader"


@pytest.mark.parametrize("count,expected", [(1, "1 случай"), (3, "3 случая"), (5, "5 случаев"), (11, "11 случаев"),
                                            (21, "21 случай"), (24, "24 случая")])
def test_russian_plurals_read_naturally(count, expected):
    assert i18n.say_n("ru", "{count} case", "{count} cases", count) == expected
    assert i18n.say_n("en", "{count} case", "{count} cases", count) == f"{count} case{'s' * (count != 1)}"


def test_the_language_is_the_option_then_the_readers_locale_then_the_courses(monkeypatch, tmp_path):
    assert i18n.choose("en", ROOT) == "en"
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    assert i18n.choose(None, ROOT) == "ru" and i18n.choose("en", ROOT) == "en"
    monkeypatch.setenv("LC_ALL", "en_GB.UTF-8")
    assert i18n.choose(None, ROOT) == "en"
    for unknown in ("C.UTF-8", "de_DE.UTF-8"):
        monkeypatch.setenv("LC_ALL", unknown)
        assert i18n.choose(None, ROOT) == "ru"  # the course's setting, assignments/course.toml
    (tmp_path / "assignments").mkdir()
    assert i18n.choose(None, tmp_path) == "en"  # no setting
    (tmp_path / "assignments" / "course.toml").write_text('language = "fr"\n')
    with pytest.raises(api.UsageError, match="language must be one of en, ru"):
        api.choose_language(None, tmp_path)


def test_the_language_is_in_the_reports_environment(grade):
    graded = grade("assignment1", ROOT / "tests" / "submissions" / "assignment1" / "correct_naive", tasks=("pad",),
                   language="ru")
    assert graded.environment.language == "ru"
    assert '"language": "ru"' in report.as_json(graded)
    assert "Итого: 20 / 20" in report.text(graded)


def _pattern(message: str) -> re.Pattern:
    """The message as shown, whatever fills its fields: a numbered field (a case name's) holds a
    number, a named one anything."""
    parts = PLACEHOLDER.split(message)
    texts, names = parts[::3], parts[1::3]
    fields = [r"-?\d[\d.e-]*" if (name or "").isdigit() else ".+?" for name in names]
    shown = "".join(re.escape(text) + field for text, field in zip(texts, fields + [""]))
    return re.compile(rf"(?<!\w){shown}(?!\w)")  # whole words: "padding (1, 0)" is not in "output_padding (1, 0)"


def _renderings(graded) -> list[str]:
    return [report.text(graded), report.markdown(graded), report.as_html(graded)]


def test_reports_in_english_hold_no_cyrillic_and_in_russian_no_english_sentence(graded, batch_graded):
    """Every submission in tests/: as graded for a reader whose locale is English, and as the
    course's batch grades it, in Russian."""
    # sentences, not single words or templates too short to tell from the specs' English texts
    # (a name that Russian keeps as it is, "AlexNet conv{0}", is no untranslated message)
    same = {m.id for m in _catalog() if isinstance(m.id, str) and m.string == m.id}
    sentences = [_pattern(m) for m in _extracted() - same if len(PLACEHOLDER.sub("", m).strip().split()) >= 2
                 and len(PLACEHOLDER.sub("", m)) >= 10]
    assert len(sentences) > 30
    for assignment, name in CORRECT + [(a, n) for a, n, _ in BUGGY]:
        english, russian = graded(assignment, name), batch_graded(assignment)[name]
        assert (english.environment.language, russian.environment.language) == ("en", "ru")
        for text in _renderings(report.student_view(english)):
            assert not CYRILLIC.search(text), (assignment, name, CYRILLIC.search(text))
        shown = "\n".join(_renderings(report.student_view(russian)))
        leaked = [pattern.pattern for pattern in sentences if pattern.search(shown)]
        assert not leaked, (assignment, name, leaked)
