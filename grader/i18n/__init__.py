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
import re
from pathlib import Path
from typing import Any, Iterator, Literal, Union

from pydantic import BaseModel, ConfigDict

DOMAIN = "grader"
LOCALE = Path(__file__).parent.parent / "locale"


def N_(message: str) -> str:
    """Mark a message for the catalog; it is translated where it is shown."""
    return message


@functools.lru_cache(maxsize=None)
def translation(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE, languages=[language])


# How a language writes a number in prose: its decimal mark, the space between groups of
# thousands, from how many digits it groups them, and the space before a percent sign. Russian
# typesetting groups from five digits (1000, 10 000) with a space that never breaks a line;
# English keeps Python's own digits.
NO_BREAK_SPACE = "\u00a0"
_NUMERALS = {"ru": (",", NO_BREAK_SPACE, 5, NO_BREAK_SPACE)}
_DIGITS = re.compile(r"([-+]?)(\d+)(.*)", re.S)


def number(language: str, value: float | str, spec: str = "") -> str:
    """A number in prose as `language` writes it: Russian «61 706», «79,5», «3,0»; in English as
    Python prints it. `value` is a number, formatted with `spec` first, or the text of one as an
    English text writes it ("61,706", "0.5"). Tensor values, shapes and code are never prose."""
    text = value.replace(",", "") if isinstance(value, str) else format(value, spec)
    if language not in _NUMERALS:
        return value if isinstance(value, str) else text
    point, space, digits, _ = _NUMERALS[language]
    match = _DIGITS.fullmatch(text)
    if not match:  # nan, inf
        return text
    sign, whole, rest = match.groups()
    if len(whole) >= digits:
        whole = f"{int(whole):,}".replace(",", space)
    return sign + whole + rest.replace(".", point)


def percent(language: str, value: float, spec: str = ".1f") -> str:
    """A percentage as `language` writes it: «79,5 %» in Russian, 79.5% in English."""
    space = _NUMERALS[language][3] if language in _NUMERALS else ""
    return f"{number(language, value, spec)}{space}%"


def _fields(language: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A message's fields as the reader reads them: a whole number is a count in prose («61 706
    параметров»); an identifier made of digits (a seed) is passed as text, and so are values."""
    return {name: number(language, value) if type(value) is int else value for name, value in fields.items()}


def say(language: str, message: str | Message, /, **fields: Any) -> str:
    """`message` in `language`, its `{fields}` filled (whole numbers as `language` writes counts);
    a `Message` is said with its own fields, its nested messages in the same language."""
    if isinstance(message, Message):
        return message.say(language)
    return translation(language).gettext(message).format(**_fields(language, fields))


Field = Union["Message", list["Message"], int, float, str]
Kind = Literal["say", "text", "name", "plain", "number", "join"]


class Message(BaseModel):
    """A message as data: a catalog key and its fields, said in a reader's language only where it
    is shown (`say(language, message)`), so that a stored report reads in either language.

    `kind` says how `key` is said: "say", a catalog key whose `{fields}` are filled (whole numbers
    as counts in prose); "text", a spec's own text, translated and never formatted; "name", a
    case's name, translated part by part (`say_name`); "plain", text that is never translated (what
    student code wrote, a call, code), its `{fields}` filled where it has any; "number", the field
    `value` as the language writes numbers, `key` its format spec; "join", the field `parts`
    joined by `key`, translated (" - or - "). A field is text (never translated), a number, a
    message or a list of messages (said one after the other, joined by ", ")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    fields: dict[str, Field] = {}
    kind: Kind = "say"

    def say(self, language: str, marked: bool = False) -> str:
        """The message in `language`; `marked`: the texts its fields quote between `_CODE` marks (`pieces`)."""
        if self.kind == "text":
            return translation(language).gettext(self.key)
        if self.kind == "name":
            return say_name(language, self.key)
        if self.kind == "number":
            value = self.fields.get("value", 0)
            return number(language, value if isinstance(value, (int, float, str)) else 0, self.key)
        if self.kind == "join":
            parts = self.fields.get("parts", [])
            return translation(language).gettext(self.key).join(
                str(_said(language, part, marked)) for part in (parts if isinstance(parts, list) else [parts]))
        filled = {name: number(language, value) if type(value) is int else _said(language, value, marked)
                  for name, value in self.fields.items()}
        if self.kind == "plain":  # text without fields is what code or a child wrote: a value, quoted as one
            return _format(self.key, filled) if self.fields else _said(language, self.key, marked)
        return _format(translation(language).gettext(self.key), filled, self.key)

    def __str__(self) -> str:
        """The message in English."""
        return self.say("en")


Message.model_rebuild()


_CODE = ("\ue000", "\ue001")  # around a value (text a field quotes) while `pieces` says a message


def pieces(language: str, message: Message) -> list[tuple[str, bool]]:
    """A message said in `language` as (text, is_value) pieces: the texts its fields quote (values,
    code, what student code wrote) apart from its prose, for a page to show them as code."""
    marked = message.say(language, True)
    found = re.split("(\ue000[^\ue000\ue001]*\ue001)", marked)
    return [(part.strip("".join(_CODE)), part.startswith(_CODE[0])) for part in found
            if part.strip("".join(_CODE))]


def _said(language: str, value: Any, marked: bool = False) -> Any:
    if isinstance(value, str) and marked:
        return _CODE[0] + value.replace(_CODE[0], "").replace(_CODE[1], "") + _CODE[1]
    if isinstance(value, Message):
        return value.say(language, marked)
    if isinstance(value, list):
        return ", ".join(str(_said(language, part, marked)) for part in value)
    return value


def _format(text: str, fields: dict[str, Any], fallback: str | None = None) -> str:
    """`text` with its fields filled; a text its fields do not fit (a message read from a child
    or an edited report) is shown with them as they came, never failing the rendering."""
    try:
        return text.format(**fields)
    except (KeyError, IndexError, ValueError, AttributeError):
        if fallback is not None and fallback != text:
            return _format(fallback, fields)
        return text + "".join(f" ({value})" for value in fields.values())


def message(key: str, /, **fields: Any) -> Message:
    """A catalog message as data: `say`'s arguments, kept to be said later."""
    return Message(key=key, fields=_data(fields))


def plain(text: str, /, **fields: Any) -> Message:
    """Text never translated (code, what student code wrote), or glue such as "{call}: {message}"."""
    return Message(key=text, fields=_data(fields), kind="plain")


def text(text: str) -> Message:
    """A spec's own text, translated where it is said (`say_text`)."""
    return Message(key=text, kind="text")


def name(name: str) -> Message:
    """A case's name, translated part by part where it is said (`say_name`)."""
    return Message(key=name, kind="name")


def numeral(value: float, spec: str = "") -> Message:
    """A number in prose, as the reader's language writes it (`number`)."""
    return Message(key=spec, fields={"value": value}, kind="number")


def joined(separator: str, parts: list[Message]) -> Message:
    """Messages joined by `separator`, itself translated (" - or - ")."""
    return Message(key=separator, fields={"parts": list(parts)}, kind="join")


def _data(fields: dict[str, Any]) -> dict[str, Any]:
    """Fields as a message keeps them: text, whole numbers, floats and messages; a reader's error
    becomes its message, anything else (a shape, a tuple, a path) its text."""
    def one(value: Any) -> Any:
        if isinstance(value, ReaderError):
            return value.data
        if isinstance(value, (Message, str, float)) or type(value) is int:
            return value
        if isinstance(value, list) and all(isinstance(part, Message) for part in value):
            return value
        return str(value)
    return {name: one(value) for name, value in fields.items()}


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
        return self.data.say(language)

    @property
    def data(self) -> Message:
        """The message as data, to be said later (or in another process: it crosses as JSON)."""
        return message(self.message, **self.fields)


def say_n(language: str, singular: str, plural: str, count: int, /, **fields: Any) -> str:
    """The form of a message that fits `count` (Russian has three: 1 проверка, 3 проверки, 5
    проверок), its `{count}` and other fields filled."""
    chosen = translation(language).ngettext(singular, plural, count)
    return chosen.format(**_fields(language, {"count": count, **fields}))


# A number in a spec's text: it becomes a field, so that one catalog entry serves every value.
# "61,706" is one number, as English groups thousands ("(3, 5)" is two: Python's tuples have spaces).
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?(?:e-?\d+)?")
# What makes a number code rather than prose: a name or an argument just before it (float64,
# C2..C5, ResNet-50, eps=0.01); brackets around it are counted apart.
_IN_CODE = re.compile(r"(?:[\w=.]|\w-)$")
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


def template(text: str, language: str = "en") -> tuple[str, list[str]]:
    """The catalog's key for a text with numbers in it, and the numbers: "lecture: 5x5 image" ->
    ("lecture: {0}x{1} image", ["5", "5"]). The numbers of its prose are as `language` writes
    them ("61,706 parameters": «61 706»); those in brackets or code stay as they are
    ("Dropout2d(0.5)", "eps=0.01", "float64")."""
    numbers: list[str] = []

    def field(match: re.Match) -> str:
        before = match.string[:match.start()]
        depth = sum(before.count(mark) for mark in "([") - sum(before.count(mark) for mark in ")]")
        prose = depth <= 0 and not _IN_CODE.search(before)
        numbers.append(number(language, match.group()) if prose else match.group())
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
            key, numbers = template(part, language)
            translated = translation(language).gettext(key)
            part = translated.format(*numbers) if translated != key else part
        said.append(part + separator)
    return "".join(said)
