"""Languages: which one a reader gets, and the gettext catalogs (grader/locale) that translate messages.

A message is written in English in the code, marked `N_("...")` where it is defined and
translated where it is shown, with `{name}` fields filled after translating. English is the
catalog's key; `grader/locale/ru/LC_MESSAGES/grader.po` holds the Russian (see the README's
"Languages and translating").
"""
from __future__ import annotations

import functools
import gettext
import os
from pathlib import Path
from typing import Any

from . import settings
from .settings import LANGUAGES

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


def say_n(language: str, singular: str, plural: str, count: int, /, **fields: Any) -> str:
    """The form of a message that fits `count` (Russian has three: 1 проверка, 3 проверки, 5
    проверок), its `{count}` and other fields filled."""
    return translation(language).ngettext(singular, plural, count).format(count=count, **fields)


def choose(option: str | None, root: Path) -> str:
    """`--lang`, else the reader's own locale (LC_ALL, LC_MESSAGES, LANG) where it is a language we
    have, else the course's default (`language` in assignments/course.toml), else English."""
    if option:
        return option
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        if value:
            code = value.split(".")[0].split("_")[0].lower()
            if code in LANGUAGES:
                return code
            break  # C, POSIX or a language we lack: the course decides
    return settings.language(root)
