"""Languages: the Russian catalog is complete and current, the language is chosen as documented,
and a report in one language holds nothing of the other."""
from __future__ import annotations

import functools
import html
import io
import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from conftest import ROOT
from grader import api, i18n
from grader.course import settings
from grader.reports import render as report
from test_wrong_submissions import BUGGY, CORRECT

PO = ROOT / "grader" / "locale" / "ru" / "LC_MESSAGES" / "grader.po"
# as the README's pybabel command: the errors a person reads take their message first
KEYWORDS = {"N_": None, "say": (2,), "say_n": (2, 3), "message": None, "_": None, "gettext": None, "ngettext": (1, 2),
            **dict.fromkeys(("UsageError", "SubmissionError", "SourceError", "SettingsError", "StaleHandout",
                             "DecisionError", "ShardError"))}
CYRILLIC = re.compile("[\u0400-\u04ff]")
PLACEHOLDER = re.compile(r"\{(\w*)[^}]*\}|%\((\w+)\)s")


@functools.cache  # two tests read it: extract once
def _extracted() -> frozenset[str]:
    """Every message id in the grader's code and templates and the specs' texts, as pybabel extracts them."""
    method_map = [("grader/**.py", "python"), ("grader/templates/**.html", "jinja2"),
                  ("reference/*/spec.py", "grader.i18n.extract:extract_spec")]
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


def test_russian_prose_writes_numbers_as_russian_does_and_code_as_python_prints_it():
    nbsp = "\u00a0"
    assert (i18n.number("ru", 61706), i18n.number("ru", 1234), i18n.number("ru", 3.0, ".1f")) == (f"61{nbsp}706", "1234",
                                                                                                  "3,0")
    assert (i18n.percent("ru", 79.46), i18n.percent("en", 79.46), i18n.number("en", 61706)) == (f"79,5{nbsp}%", "79.5%",
                                                                                                "61706")
    assert i18n.say_n("ru", "{count} case", "{count} cases", 12345) == f"12{nbsp}345 случаев"
    assert i18n.say("ru", "--seed {seed}: a handout holds the answers for the public cases only (seed 0)",
                    seed="20240901").startswith("--seed 20240901:")  # an identifier is passed as text
    assert i18n.say_name("ru", "BasicBlock(64, 64) has 73,984 parameters") == \
        f"число параметров BasicBlock(64, 64) равно 73{nbsp}984"
    assert i18n.say_name("ru", "constant value 1.5") == "константа 1,5"
    assert i18n.say_name("ru", "Dropout2d(0.5) on input (16, 64, 3, 3) float32").startswith("Dropout2d(0.5) ")
    assert i18n.say_name("en", "10 classes: 61,706 parameters") == "10 classes: 61,706 parameters"


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
    assert settings.choose_language("en", ROOT) == "en"
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    assert settings.choose_language(None, ROOT) == "ru" and settings.choose_language("en", ROOT) == "en"
    monkeypatch.setenv("LC_ALL", "en_GB.UTF-8")
    assert settings.choose_language(None, ROOT) == "en"
    for unknown in ("C.UTF-8", "de_DE.UTF-8"):
        monkeypatch.setenv("LC_ALL", unknown)
        assert settings.choose_language(None, ROOT) == "ru"  # the course's setting, assignments/course.toml
    (tmp_path / "assignments").mkdir()
    assert settings.choose_language(None, tmp_path) == "en"  # no setting
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
    fields = [r"-?\d[\d.,e\u00a0-]*" if (name or "").isdigit() else ".+?" for name in names]  # 0.5, «61 706»
    shown = "".join(re.escape(text) + field for text, field in zip(texts, fields + [""]))
    return re.compile(rf"(?<!\w){shown}(?!\w)")  # whole words: "padding (1, 0)" is not in "output_padding (1, 0)"


def _longest_literal(message: str) -> str:
    """The longest part of a message outside its fields: every text `_pattern` matches holds it."""
    parts = PLACEHOLDER.split(message)
    return max(parts[::3], key=len)


def _renderings(graded) -> list[str]:
    return [report.text(graded), report.markdown(graded), report.as_html(graded)]


def test_reports_in_english_hold_no_cyrillic_and_in_russian_no_english_sentence(graded):
    """Every submission in tests/, graded for a reader whose locale is English, and the same
    report read in Russian, as the course's batch would show it (its messages are data, said in
    either language; `test_batch` checks that a batch grades every kind of outcome alike)."""
    # sentences, not single words or templates too short to tell from the specs' English texts
    # (a name that Russian keeps as it is, "AlexNet conv{0}", is no untranslated message)
    same = {m.id for m in _catalog() if isinstance(m.id, str) and m.string == m.id}
    sentences = [(_longest_literal(m), _pattern(m)) for m in _extracted() - same
                 if len(PLACEHOLDER.sub("", m).strip().split()) >= 2 and len(PLACEHOLDER.sub("", m)) >= 10]
    assert len(sentences) > 30
    for assignment, name in CORRECT + [(a, n) for a, n, _ in BUGGY]:
        english = graded(assignment, name)
        russian = english.read_in("ru")
        assert english.environment.language == "en"
        for text in _renderings(report.student_view(english)):
            assert not CYRILLIC.search(text), (assignment, name, CYRILLIC.search(text))
        shown = "\n".join(_renderings(report.student_view(russian)))
        # a pattern can match only where its longest literal part is: look for that first (seconds, not minutes)
        leaked = [pattern.pattern for literal, pattern in sentences if literal in shown and pattern.search(shown)]
        assert not leaked, (assignment, name, leaked)


# --- no English word in a Russian report ---------------------------------------------------------

# What a Russian report shows as it is: code and values (backticks, quotes, a call and its
# arguments, the code line of a location), file names, diagnosis codes, and an exception's class
# with the message its code wrote (Python's, torch's, the student's own), up to the Russian again.
_AS_IS = [re.compile(p, re.M) for p in (
    r"`[^`\n]*`", r"'[^'\n]*'", r"(?<![\w\]])\[[a-z][\w.]*\]",
    r"[\w./<>-]+\.(?:py|ipynb)(?::\d+)?(?: \(функция [^)\n]+\))?: .*?(?= \[[a-z_]+\]| \(и ещё|$)",
    r"[\w./-]+\.(?:py|ipynb|zip|json|csv|md|html)\b",
    r"\b[A-Z]\w*(?:Error|Exception|Exit|Warning|Interrupt|Call|Handout|Iteration)\b[^\u0400-\u04ff\n]*")]
_CALL = re.compile(r"[A-Za-z_][\w.]*\([^()]*\)")  # innermost first: conv2d(tensor (2, 3) float32, ...)
_PAGE = [re.compile(p, re.S) for p in (r"<style>.*?</style>", r"<code>.*?</code>",
                                       r'<span class="tag[^"]*">[^<]*</span>', r"<[^>]+>")]
# a word of Latin letters on its own: not part of an identifier or code (float32, x.shape, conv_2,
# output[0], mode=valid), and not a name with capitals inside (ResNet, NaN) or an abbreviation (VGG)
_WORD = re.compile(r"(?<![\w.'/<=-])[A-Za-z][a-z]+(?![\w.'/(\[>=-])")


def _russian_keeps() -> frozenset[str]:
    """The Latin words the Russian catalog itself writes (torch, dtype, depthwise, eps), beside
    the words of code it quotes."""
    words = set()
    for message in _catalog():
        if not message.id:  # the header
            continue
        for string in message.string if isinstance(message.string, tuple) else (message.string,):
            words |= {word.lower() for word in _WORD.findall(_prose(PLACEHOLDER.sub(" ", string or "")))}
    return frozenset(words)


def _prose(shown: str) -> str:
    """A rendered report less what it shows as it is."""
    if "<html" in shown:
        for pattern in _PAGE:
            shown = pattern.sub(" ", shown)
    shown = html.unescape(re.sub(r"\\(.)", r"\1", shown))  # Markdown's and HTML's escapes
    for pattern in _AS_IS:
        shown = pattern.sub(" ", shown)
    while _CALL.search(shown):
        shown = _CALL.sub(" ", shown)
    return shown


def english_words(shown: str, names: frozenset[str] = frozenset()) -> list[str]:
    """The English words of a rendered Russian report outside code, names and identifiers."""
    keeps = _RUSSIAN_KEEPS() | names
    return sorted({word for word in _WORD.findall(_prose(shown)) if word.lower() not in keeps})


_RUSSIAN_KEEPS = functools.cache(_russian_keeps)


def _stub(grade, assignment: str):
    return grade(assignment, ROOT / "assignments" / assignment, language="ru")


def test_a_russian_report_holds_no_english_word_outside_code_and_names(graded, grade):
    """Every submission in tests/ read in Russian, and every assignment's stub graded in Russian,
    rendered as text, Markdown and HTML."""
    reports = [(a, n, graded(a, n).read_in("ru")) for a, n in CORRECT + [(a, n) for a, n, _ in BUGGY]]
    reports += [(a, "stub", _stub(grade, a)) for a in dict.fromkeys(a for a, _ in CORRECT)]
    leaks = []
    for assignment, name, graded in reports:
        shown = report.student_view(graded)
        names = frozenset({task.name for task in shown.tasks} | set(shown.environment.devices) | {"nan", "inf"})
        leaks += [(assignment, name, words) for text in _renderings(shown)  # (nan: a value as Python prints it)
                  if (words := english_words(text, names))]
    assert not leaks


def test_an_english_word_in_a_russian_report_is_caught(grade):
    shown = report.student_view(_stub(grade, "assignment1"))
    names = frozenset({task.name for task in shown.tasks} | set(shown.environment.devices))
    assert all(not english_words(text, names) for text in _renderings(shown))
    leaky = shown.model_copy(update={"notes": ("неверны 3 из 9 значений; first at index (0, 1): ожидалось 1",)})
    assert all(english_words(text, names) == ["at", "first", "index"] for text in _renderings(leaky))
    code = "IndexError: list index out of range в convolution.py:3 (функция pad): x = y[3]  # first"
    assert english_words(code) == []  # an exception's own message, a code line


def test_an_error_at_import_says_its_message_in_the_readers_language_or_that_it_has_none(grade, tmp_path):
    """A grader's own error that student code ran into (a handout's StaleHandout) is said in
    Russian, as the grader says it; an exception without a message says so, not "Error: "."""
    def import_error(code: str) -> str:
        (tmp_path / "convolution.py").write_text(code)
        graded = grade("assignment1", tmp_path / "convolution.py", tasks=("pad",), language="ru")
        return i18n.say("ru", graded.tasks[0].problem)
    stale = import_error("from grader.course.handout import StaleHandout\n\n"
                         "raise StaleHandout('{folder}: {frames} does not match {spec}: get the current handout', "
                         "folder='assignment1', frames='expected.frames', spec='spec.json')\n")
    assert stale.startswith("ваш файл не импортируется: StaleHandout: assignment1: expected.frames не соответствует "
                            "spec.json: скачайте актуальные материалы для студентов в convolution.py:3: raise "), stale
    empty = import_error("def helper():\n    raise ValueError()\n\n\nhelper()\n")
    assert "ValueError: (без сообщения) в convolution.py:2 (функция helper): raise ValueError()" in empty, empty
