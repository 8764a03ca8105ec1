"""The course's settings: `assignments/course.toml` (public, in the handout too: the language) and
`reference/course.toml` (the instructor's: the secret seed of final grading)."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from grader.i18n import ReaderError

PUBLIC = Path("assignments") / "course.toml"
PRIVATE = Path("reference") / "course.toml"
LANGUAGES = ("en", "ru")


class SettingsError(ReaderError, ValueError):
    """A setting that cannot be read or is out of range: one line naming the file."""


def _read(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, ValueError) as error:
        raise SettingsError("{path}: {error}", path=path, error=str(error)) from None


def language(root: Path) -> str:
    """The language reports and messages are in unless the reader asks otherwise."""
    path = root / PUBLIC
    value = _read(path).get("language", "en")
    if value not in LANGUAGES:
        raise SettingsError("{path}: language must be one of {languages}, not {value}", path=path,
                            languages=", ".join(LANGUAGES), value=repr(value))
    return value


def secret_seed(root: Path) -> int:
    """The seed of final grading: students see the public cases' values (seed 0), never these."""
    path = root / PRIVATE
    value = _read(path).get("secret_seed", 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SettingsError("{path}: secret_seed must be a whole number >= 0, not {value}", path=path,
                            value=repr(value))
    return value


def choose_language(option: str | None, root: Path) -> str:
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
    return language(root)
