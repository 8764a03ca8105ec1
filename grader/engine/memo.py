"""The reference's frames kept on disk between gradings, so that grading one submission again
(an instructor's regrade, CI, the next student) does not run the reference again.

A task's frames are found by a hash of everything they follow from: the grader's own code, the
Python and torch that ran them, the assignment's spec and checks, the reference's files, the
task's cases (their seeded values included) and which parts were asked for. Change any of these
and the entry is simply not found. Only a run that ended well is kept. The folder is the user's
own (`$XDG_CACHE_HOME/cnn-grader` or `~/.cache/cnn-grader`, mode 0700), which no student child
sees; where it cannot be made or read, or someone else could have written it, grading runs the
reference as if nothing were kept.
`GRADER_CACHE=off` turns it off.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import platform
import secrets
from pathlib import Path

import torch

from grader.engine import files, wire
from grader.engine.codec import grader_fingerprint  # the grader's code, hashed


def folder() -> Path | None:
    """Where entries are kept, or None where keeping is off."""
    if os.environ.get("GRADER_CACHE", "").lower() in ("off", "0", "no"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cnn-grader" / "reference"


@functools.cache
def _runtime() -> bytes:
    return f"{grader_fingerprint()}|{platform.python_version()}|{torch.__version__}".encode()


def key(*parts: bytes | str) -> str:
    """The entry's name for what its frames follow from (see the module's docstring)."""
    digest = hashlib.sha256(_runtime())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(wire.LENGTH.pack(len(data)) + data)
    return digest.hexdigest()


def _own(info: os.stat_result) -> bool:
    """Whether only this user can have written it: on a shared machine another user must not be
    able to plant frames (`$HOME` in /tmp, a cache folder made by someone else)."""
    return not hasattr(os, "getuid") or (info.st_uid == os.getuid() and not info.st_mode & 0o022)


def load(name: str) -> tuple[bytes, ...] | None:
    """The frames kept under `name`, or None."""
    where = folder()
    if where is None:
        return None
    try:
        if not (_own(os.stat(where)) and _own(os.stat(where.parent))):
            return None
        with os.fdopen(os.open(where / name, files.READ_FLAGS), "rb") as source:
            if not _own(os.fstat(source.fileno())):
                return None
            blob = source.read()
        split = wire.split_frames(blob)
        return split[0] if split else None
    except OSError:
        return None


def save(name: str, frames: tuple[bytes, ...]) -> None:
    """Keep `frames` under `name`, whole or not at all; a folder that cannot be written keeps nothing."""
    where = folder()
    if where is None:
        return
    temporary = where / f".{name}.{secrets.token_hex(8)}"
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not (_own(os.stat(where)) and _own(os.stat(where.parent))):
            return
        with os.fdopen(files.create_new(temporary, 0o600), "wb") as out:
            out.write(wire.join_frames(frames))
        os.replace(temporary, where / name)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
