"""The reference's frames kept between gradings: found again only for the very same code and cases,
never from a folder someone else could write, and not at all with GRADER_CACHE=off."""
from __future__ import annotations

import os
import shutil

import pytest

from conftest import ROOT
from grader import api
from grader.engine import grading, memo


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("GRADER_CACHE", raising=False)
    return tmp_path / "cache" / "cnn-grader" / "reference"


def _frames(root=ROOT, seed=0):
    spec = api.open_assignment("assignment1", seed, root)
    tasks = tuple(task for task in spec.tasks if task.name == "pad")
    return grading.reference_frames(spec, tasks, root, 30.0, 2, "answers")["pad"]


@pytest.mark.slow
def test_a_second_run_takes_the_kept_frames_and_anything_changed_misses(cache, tmp_path):
    first = _frames()
    [entry] = list(cache.iterdir())
    assert oct(cache.stat().st_mode & 0o777) == "0o700" and oct(entry.stat().st_mode & 0o777) == "0o600"
    entry.write_bytes(entry.read_bytes()[:0])  # an empty entry: zero frames, kept as such
    assert _frames() == ()  # proof that the second run read the entry rather than ran the reference
    entry.unlink()
    assert _frames() == first and len(list(cache.iterdir())) == 1
    assert _frames(seed=1) != first and len(list(cache.iterdir())) == 2  # other values: another entry
    course = tmp_path / "course"
    shutil.copytree(ROOT / "reference", course / "reference", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "assignments", course / "assignments", ignore=shutil.ignore_patterns("__pycache__"))
    reference = course / "reference" / "assignment1" / "convolution.py"
    reference.write_text(reference.read_text() + "\n# another reference\n")
    assert _frames(course) == first and len(list(cache.iterdir())) == 3  # other code: another entry


def test_a_folder_others_can_write_is_not_trusted(cache):
    first = _frames()
    [entry] = list(cache.iterdir())
    entry.write_bytes(b"")
    os.chmod(cache, 0o777)
    assert _frames() == first  # not read from the writable folder
    os.chmod(cache, 0o700)
    os.chmod(entry, 0o666)
    assert _frames() == first


def test_off(cache, monkeypatch):
    monkeypatch.setenv("GRADER_CACHE", "off")
    _frames()
    assert memo.folder() is None and not cache.exists()
