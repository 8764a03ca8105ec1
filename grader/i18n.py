"""Languages: which one a reader gets, and the gettext catalogs (grader/locale) that translate messages.

A message is written in English in the code, marked `N_("...")` where it is defined and
translated where it is shown, with `{name}` fields filled after translating. English is the
catalog's key; `grader/locale/ru/LC_MESSAGES/grader.po` holds the Russian (see the README's
"Languages and translating"). A spec's own texts are not marked: `extract_spec` finds them, and
case names, which specs build with f-strings, are translated part by part (`say_name`).
"""
from __future__ import annotations

import functools
import gettext
import os
import re
from pathlib import Path
from typing import Any, Iterator

DOMAIN = "grader"
LOCALE = Path(__file__).parent / "locale"


def N_(message: str) -> str:
    """Mark a message for the catalog; it is translated where it is shown."""
    return message


@functools.lru_cache(maxsize=None)
def translation(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE, languages=[language])


def say(language: str, message: str, /, **fields: Any) -> str:
    """`message` in `language`, its `{fields}` filled."""
    return translation(language).gettext(message).format(**fields)


def say_text(language: str, text: str) -> str:
    """A spec's own text (a mistake's hint, a note, a title) in `language`: translated, never
    formatted, since it may hold braces of its own ("M_{i+1}")."""
    return translation(language).gettext(text)


class ReaderError(Exception):
    """An error a person reads: its message is a catalog key with `{fields}`, said in the reader's
    language where it is shown (`error.say(language)`); `str(error)` is the English."""

    def __init__(self, message: str, /, **fields: Any):
        super().__init__(message.format(**fields))
        self.message, self.fields = message, fields

    @classmethod
    def of(cls, error: ReaderError) -> ReaderError:
        """Another kind of reader's error with the same message."""
        return cls(error.message, **error.fields)

    def say(self, language: str) -> str:
        """The message in `language`; a field that is an error itself is said in it too ("export.zip: {error}")."""
        return say(language, self.message, **{name: value.say(language) if isinstance(value, ReaderError) else value
                                              for name, value in self.fields.items()})


def say_n(language: str, singular: str, plural: str, count: int, /, **fields: Any) -> str:
    """The form of a message that fits `count` (Russian has three: 1 проверка, 3 проверки, 5
    проверок), its `{count}` and other fields filled."""
    return translation(language).ngettext(singular, plural, count).format(count=count, **fields)


# A number in a spec's text: it becomes a field, so that one catalog entry serves every value.
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e-?\d+)?")
# Where a case's name splits into parts that are translated one by one: ": ", ", " or "; " outside brackets.
_PART = re.compile(r"[([{]|[)\]}]|: |, |; ")


def name_parts(name: str) -> Iterator[tuple[str, str]]:
    """A case's name as (part, separator) pairs: "random 3: kernel (3, 5), stride=(2, 1)" gives
    ("random 3", ": "), ("kernel (3, 5)", ", "), ("stride=(2, 1)", "")."""
    depth, start = 0, 0
    for match in _PART.finditer(name):
        token = match.group()
        if token in "([{":
            depth += 1
        elif token in ")]}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            yield name[start:match.start()], token
            start = match.end()
    yield name[start:], ""


def is_code(part: str) -> bool:
    """A part of a name that is code or numbers, said the same in every language: stride=(2, 1),
    float64, (3, 3), [[1, 2], [3, 4]]."""
    outside = re.sub(r"\([^()]*\)|\[[^\[\]]*\]|'[^']*'", "", part)
    return not re.search("[A-Za-z]", part) or " " not in outside and (
        any(mark in part for mark in "=[(_'") or bool(re.fullmatch(r"None|(float|int)\d+", part)))


def template(text: str) -> tuple[str, list[str]]:
    """The catalog's key for a text with numbers in it: "lecture: 5x5 image" -> ("lecture: {0}x{1} image", ["5", "5"])."""
    numbers: list[str] = []

    def field(match: re.Match) -> str:
        numbers.append(match.group())
        return f"{{{len(numbers) - 1}}}"
    return _NUMBER.sub(field, text.replace("{", "{{").replace("}", "}}")), numbers


def name_templates(name: str) -> Iterator[str]:
    """What a case's name adds to the catalog: the template of each part that is not code."""
    for part, _ in name_parts(name):
        if part and not is_code(part):
            yield template(part)[0]


def say_name(language: str, name: str) -> str:
    """A case's name in `language`, translated part by part (specs build names with f-strings:
    their numbers are fields and their code stays code)."""
    if language == "en":
        return name
    said = []
    for part, separator in name_parts(name):
        if part and not is_code(part):
            key, numbers = template(part)
            translated = translation(language).gettext(key)
            part = translated.format(*numbers) if translated != key else part
        said.append(part + separator)
    return "".join(said)


def extract_spec(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, None, str, list[str]]]:
    """pybabel's extractor for `reference/*/spec.py` (see babel.cfg): the texts the spec builds,
    as the grader looks them up: its title, its mistakes' hints and cases' notes, and the
    templates of its case names' and calls' parts. Hidden cases add only templates: no numbers."""
    from .spec import load_assignment

    path = Path(fileobj.name).resolve()
    spec = load_assignment(path.parent.name, root=path.parents[2])
    texts = [spec.title]
    for task in spec.tasks:
        texts += [variant.hint for variant in task.variants]
        for case in task.cases:
            texts += [*name_templates(case.name), *name_templates(case.call or ""), *([case.note] if case.note else [])]
    for text in dict.fromkeys(texts):
        yield 0, None, text, []


def choose(option: str | None, root: Path) -> str:
    """`--lang`, else the reader's own locale (LC_ALL, LC_MESSAGES, LANG) where it is a language we
    have, else the course's default (`language` in assignments/course.toml), else English."""
    from . import settings  # here, not at the top: settings' errors are ReaderErrors

    if option:
        return option
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        if value:
            code = value.split(".")[0].split("_")[0].lower()
            if code in settings.LANGUAGES:
                return code
            break  # C, POSIX or a language we lack: the course decides
    return settings.language(root)
