"""Finding the students of a batch: folders, Moodle exports (both layouts, folder or zip), CSV manifests."""
import dataclasses
import os
import stat
import zipfile
from datetime import datetime, timedelta, timezone

import pytest

from grader.engine.load import find
from grader.course.sources import Entry, SourceError, discover

NOTEBOOK = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
# Moodle >= 3.1: a folder per student; older (or "download submissions in folders" off): the files side by side
FOLDERS = {
    "Иван Петров_101_assignsubmission_file_/conv.py": "x = 1\n",
    "Иван Петров_101_assignsubmission_onlinetext_/onlinetext.html": "<p>hi</p>",
    "Ann Lee_102_assignsubmission_file_/sub/conv.py": "x = 2\n",
    "Ann Lee_102_assignsubmission_file_/report.pdf": "%PDF",
    "Bob Ray_103_assignsubmission_file_/report.pdf": "%PDF",
    "Eve Dow_104_assignsubmission_onlinetext_/onlinetext.html": "<p>see attached</p>",
}
FLAT = {
    "Мария Смирнова_201_assignsubmission_file_conv.py": "x = 3\n",
    "Мария Смирнова_201_assignsubmission_file_pool.py": "y = 4\n",
    "Мария Смирнова_201_assignsubmission_file_notes.txt": "notes",
    "Олег Ким_202_assignsubmission_file_work.ipynb": NOTEBOOK,
    "Олег Ким_202_assignsubmission_onlinetext_onlinetext.html": "<p></p>",
    "Tom Fox_203_assignsubmission_file_essay.docx": "doc",
}


def _write(folder, files):
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _zip(path, files):
    with zipfile.ZipFile(path, "w") as zipped:
        for name, text in files.items():
            zipped.writestr(name, text)
    return path


def _by_id(entries):
    """Entries by id, their submission times left out (tested on their own)."""
    return {entry.student: dataclasses.replace(entry, submitted_at=None) for entry in entries}


def _files(folder):
    return {str(p.relative_to(folder)): p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file()}


def _check_folders_export(entries):
    found = _by_id(entries)
    assert list(found) == ["101", "102", "103", "104"]
    assert found["101"].name == "Иван Петров" and found["101"].problem is None
    assert _files(found["101"].path) == {"conv.py": "x = 1\n"}
    assert _files(found["102"].path)["sub/conv.py"] == "x = 2\n"
    assert found["103"] == Entry("103", None, "no .py, .ipynb or .zip in it", "Bob Ray")
    assert found["104"] == Entry("104", None, "no file submitted (only online text)", "Eve Dow")


def _check_flat_export(entries, workdir):
    found = _by_id(entries)
    assert list(found) == ["201", "202", "203"]
    maria, oleg = found["201"], found["202"]
    assert maria.name == "Мария Смирнова" and oleg.name == "Олег Ким"
    assert maria.path.is_relative_to(workdir) and oleg.path.is_relative_to(workdir)
    assert _files(maria.path) == {"conv.py": "x = 3\n", "pool.py": "y = 4\n"}  # two files, one submission
    assert _files(oleg.path) == {"work.ipynb": NOTEBOOK}
    assert found["203"] == Entry("203", None, "no .py, .ipynb or .zip in it", "Tom Fox")


def test_a_folder_holds_one_entry_per_student(tmp_path):
    folder = tmp_path / "class"
    (folder / "alice").mkdir(parents=True)
    (folder / "alice" / "conv.py").write_text("x = 1\n")
    (folder / "bob.py").write_text("x = 2\n")
    (folder / "carol.ipynb").write_text(NOTEBOOK)
    (folder / "dave").mkdir()
    (folder / "erin").mkdir()
    (folder / "erin" / "report.pdf").write_text("%PDF")
    (tmp_path / "elsewhere.py").write_text("x = 3\n")
    (folder / "frank.py").symlink_to(tmp_path / "elsewhere.py")
    for skipped in (".git", "__MACOSX", "__pycache__"):
        (folder / skipped).mkdir()
    (folder / "README.txt").write_text("not a student")
    entries = discover([folder], tmp_path / "work")
    assert entries == [Entry("alice", folder / "alice"), Entry("bob", folder / "bob.py"),
                       Entry("carol", folder / "carol.ipynb"), Entry("dave", None, "empty submission"),
                       Entry("erin", None, "no .py, .ipynb or .zip in it"),
                       Entry("frank", None, "a symbolic link: not graded")]


def test_moodle_exports_in_folders_or_flat_as_folder_or_zip(tmp_path):
    work = tmp_path / "work"
    _check_folders_export(discover([_write(tmp_path / "folders", FOLDERS)], work / "a"))
    _check_folders_export(discover([_zip(tmp_path / "folders.zip", FOLDERS)], work / "b"))
    _check_flat_export(discover([_write(tmp_path / "flat", FLAT)], work / "c"), work / "c")
    _check_flat_export(discover([_zip(tmp_path / "flat.zip", FLAT)], work / "d"), work / "d")


def test_a_zip_without_the_utf8_flag_keeps_its_cyrillic_names(tmp_path):
    archive = _zip(tmp_path / "flat.zip", FLAT)
    data = archive.read_bytes()
    # Clear the UTF-8 flag (general purpose bit 11) in every local and central header, as some zippers do.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            flags = int.from_bytes(data[start + offset:start + offset + 2], "little") & ~0x800
            data = data[:start + offset] + flags.to_bytes(2, "little") + data[start + offset + 2:]
            start += 4
    archive.write_bytes(data)
    _check_flat_export(discover([archive], tmp_path / "work"), tmp_path / "work")


def test_a_moodle_flat_file_that_is_a_link_is_not_followed(tmp_path):
    folder = _write(tmp_path / "flat", {"Ann Lee_7_assignsubmission_file_conv.py": "x = 1\n"})
    (tmp_path / "secret.py").write_text("token = 1\n")
    (folder / "Bob Ray_8_assignsubmission_file_conv.py").symlink_to(tmp_path / "secret.py")
    found = _by_id(discover([folder], tmp_path / "work"))
    assert _files(found["7"].path) == {"conv.py": "x = 1\n"}
    assert found["8"] == Entry("8", None, "a symbolic link: not graded", "Bob Ray")


def test_a_csv_manifest(tmp_path):
    _write(tmp_path, {"subs/a.py": "x = 1\n", "subs/b/conv.py": "x = 2\n"})
    manifest = tmp_path / "class.csv"
    manifest.write_text("\ufeffstudent,path,name\ns1,subs/a.py,Иван\ns2,subs/b,\ns3,subs/missing.py,\n",
                        encoding="utf-8")
    assert discover([manifest], tmp_path / "work") == [
        Entry("s1", tmp_path / "subs" / "a.py", name="Иван"), Entry("s2", tmp_path / "subs" / "b"),
        Entry("s3", None, "no such file: subs/missing.py")]


def test_sources_merge_and_a_student_twice_is_an_error(tmp_path):
    one = _write(tmp_path / "one", {"alice.py": "", "bob.py": ""})
    two = _write(tmp_path / "two", {"carol.py": ""})
    assert [e.student for e in discover([two, one], tmp_path / "w1")] == ["alice", "bob", "carol"]
    _write(two, {"bob/conv.py": ""})
    with pytest.raises(SourceError, match=f"student bob is in two places: {one} and {two}"):
        discover([one, two], tmp_path / "w2")


@pytest.mark.parametrize("header", ["id,file\nalice,a.py\n", "", "student\nalice\n"])
def test_a_csv_without_student_and_path_columns_is_refused(tmp_path, header):
    manifest = tmp_path / "class.csv"
    manifest.write_text(header)
    with pytest.raises(SourceError, match="must name the columns student and path") as error:
        discover([manifest], tmp_path / "work")
    assert "\n" not in str(error.value)


def test_a_zip_reaching_outside_is_refused_and_writes_nothing_outside(tmp_path):
    archive = _zip(tmp_path / "export.zip", {"alice.py": "x = 1\n", "../evil.py": "x = 2\n"})
    with pytest.raises(SourceError, match="path outside the archive: ../evil.py"):
        discover([archive], tmp_path / "work")
    assert not (tmp_path / "work" / "source1" / "evil.py").exists() and not (tmp_path / "evil.py").exists()
    _zip(archive, {"/etc/evil.py": "x = 2\n"})
    with pytest.raises(SourceError, match="outside the archive"):
        discover([archive], tmp_path / "work2")


def test_links_in_a_zip_are_not_made(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("alice/conv.py", "x = 1\n")
        info = zipfile.ZipInfo("bob/conv.py")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zipped.writestr(info, "/etc/passwd")
    found = _by_id(discover([archive], tmp_path / "work"))
    assert _files(found["alice"].path) == {"conv.py": "x = 1\n"}
    assert found["bob"] == Entry("bob", None, "empty submission")
    assert not any(os.path.islink(p) for p in (tmp_path / "work").rglob("*"))


@pytest.mark.parametrize("name", ["notes.txt", "missing"])
def test_anything_else_is_not_a_source(tmp_path, name):
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(SourceError, match="cannot read"):
        discover([tmp_path / name], tmp_path / "work")


def test_a_damaged_zip_is_one_line(tmp_path):
    (tmp_path / "export.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(SourceError, match="export.zip is not a valid zip file"):
        discover([tmp_path / "export.zip"], tmp_path / "work")


def test_a_students_only_zip_is_what_is_graded_and_load_accepts_every_path(tmp_path):
    _zip(tmp_path / "work.zip", {"conv.py": "x = 5\n"})
    export = _write(tmp_path / "export", {**FLAT, "Ann Lee_9_assignsubmission_file_/report.pdf": "%PDF"})
    (export / "Ann Lee_9_assignsubmission_file_" / "work.zip").write_bytes((tmp_path / "work.zip").read_bytes())
    (tmp_path / "link").symlink_to(export)  # the instructor may name the export through a link
    found = _by_id(discover([tmp_path / "link"], tmp_path / "work"))
    assert found["9"].path == export / "Ann Lee_9_assignsubmission_file_" / "work.zip"
    for number, entry in enumerate(e for e in found.values() if e.path):
        assert find(entry.path, ("conv.py",), tmp_path / f"graded{number}").files


def test_a_moodle_export_gives_each_student_the_latest_time_of_their_files(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, when in (("Иван Петров_101_assignsubmission_file_/conv.py", (2026, 12, 1, 23, 58, 0)),
                           ("Иван Петров_101_assignsubmission_file_/pool.py", (2026, 12, 2, 0, 30, 0)),
                           ("Ann Lee_102_assignsubmission_file_/conv.py", (2026, 11, 30, 10, 0, 0))):
            zipped.writestr(zipfile.ZipInfo(name, when), "x = 1\n")
    moscow = timezone(timedelta(hours=3))
    found = {e.student: e for e in discover([archive], tmp_path / "work", moscow)}
    assert found["101"].submitted_at == datetime(2026, 12, 2, 0, 30, tzinfo=moscow)  # the later file counts
    assert found["102"].submitted_at == datetime(2026, 11, 30, 10, 0, tzinfo=moscow)
    folder = _write(tmp_path / "unpacked", {"Ann Lee_102_assignsubmission_file_/conv.py": "x = 1\n"})
    os.utime(folder / "Ann Lee_102_assignsubmission_file_" / "conv.py", (1_800_000_000, 1_800_000_000))
    [entry] = discover([folder], tmp_path / "work2")
    assert entry.submitted_at == datetime.fromtimestamp(1_800_000_000, timezone.utc)
    plain = _write(tmp_path / "plain", {"alice/conv.py": "x = 1\n"})
    assert discover([plain], tmp_path / "work3")[0].submitted_at is None  # a folder of one's own tells no time
