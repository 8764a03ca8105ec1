"""Who the students of a batch are, and where each one's submission is: folders, Moodle exports, CSV manifests."""
from __future__ import annotations

import csv
import io
import os
import re
import stat
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from pathlib import Path, PurePosixPath
from typing import Any

from grader.engine.load import (MAX_ENTRIES, MAX_FILE_BYTES, MAX_TOTAL_BYTES, SubmissionError, _Copy,
                                _folder_reader, _read_regular, _skipped, _zip_reader, one_line)
from grader.i18n import N_, Message, ReaderError, say
from grader.i18n import message as i18n_message

# A whole class's export: many submissions, each within load.py's caps, which apply again when one is graded.
MAX_EXPORT_BYTES = 8 * MAX_TOTAL_BYTES
MAX_EXPORT_ENTRIES = 20 * MAX_ENTRIES
SUFFIXES = (".py", ".ipynb", ".zip")
# Moodle's "Download all submissions" (mod/assign/locallib.php, download_submissions): the prefix is
# clean_filename(fullname with "_" made " " + "_" + participant id), then "_assignsubmission_<plugin>_" and
# either nothing (a folder per student, Moodle >= 3.1) or the file's own name (flat, older Moodle or "folders" off).
MOODLE = re.compile(r"(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z0-9]+)_(?P<rest>.*)", re.DOTALL)


class SourceError(ReaderError, ValueError):
    """A SOURCE of a batch cannot be read as a list of students."""

    def __init__(self, message: str, /, **fields: Any):  # names come from students' uploads: one line, no escapes
        super().__init__(message, **{name: value if isinstance(value, ReaderError) else one_line(value)
                                     for name, value in fields.items()})


class Problem(str):
    """Why a student has nothing to grade: the English text, which also knows its catalog key and
    fields, to be said in the feedback's language (`problem.say(language)`)."""

    message: str
    fields: dict[str, Any]

    def __new__(cls, message: str, /, **fields: Any) -> Problem:
        fields = {name: one_line(value) for name, value in fields.items()}
        problem = super().__new__(cls, message.format(**fields))
        problem.message, problem.fields = message, fields
        return problem

    @property
    def data(self) -> Message:
        """The problem as data, said where it is shown."""
        return i18n_message(self.message, **self.fields)

    def say(self, language: str) -> str:
        return say(language, self.message, **self.fields)


LINK = Problem(N_("a symbolic link: not graded"))


@dataclass(frozen=True)
class Entry:
    student: str  # the id that names the student in the gradebook (unique within the batch)
    path: Path | None  # what to grade (a folder, .py, .ipynb or .zip); None if there is nothing
    problem: Problem | None = None  # why there is nothing to grade: the student still gets a row with 0
    name: str = ""  # a display name where the source has one (Moodle's full name)
    submitted_at: datetime | None = None  # a Moodle export's: the latest time of the student's files


def discover(sources: list[Path], workdir: Path, zone: tzinfo | None = None) -> list[Entry]:
    """Every student of every SOURCE, sorted by id; what must be unpacked or gathered goes under `workdir`.
    `zone`: the time zone of a zip's file times, which carry none (the machine's by default)."""
    found: dict[str, tuple[Entry, Path]] = {}
    for number, source in enumerate(sources, 1):
        for entry in _entries(Path(source), Path(workdir) / f"source{number}", zone):
            if entry.student in found:
                raise SourceError("student {student} is in two places: {first} and {second}", student=entry.student,
                                  first=found[entry.student][1], second=source)
            found[entry.student] = entry, Path(source)
    return sorted((entry for entry, _ in found.values()), key=lambda entry: entry.student)


def _entries(source: Path, scratch: Path, zone: tzinfo | None) -> list[Entry]:
    try:
        mode = os.stat(source).st_mode  # the instructor named it: a link to the export is fine here
    except OSError as error:
        raise SourceError("cannot read {path}: {why}", path=source, why=error.strerror) from None
    if stat.S_ISDIR(mode):  # by its real path: load.py's readers refuse a folder that is a link
        return _folder(Path(os.path.realpath(source)), scratch)
    suffix = source.suffix.lower()
    if stat.S_ISREG(mode) and suffix == ".zip":
        _unzip(source, scratch / "unzipped", zone)
        return _folder(scratch / "unzipped", scratch)
    if stat.S_ISREG(mode) and suffix == ".csv":
        return _manifest(source)
    raise SourceError("cannot read {path}: expected a folder of submissions, a Moodle export (.zip or folder) or a "
                      "CSV manifest", path=source)


def _folder(folder: Path, scratch: Path) -> list[Entry]:
    listed = _listing(folder)
    if sum(bool(MOODLE.fullmatch(entry.name)) for entry in listed) * 2 > len(listed):
        return _moodle(folder, listed, scratch / "gathered")
    entries = []
    for entry in listed:
        suffix = next((s for s in SUFFIXES if entry.name.lower().endswith(s)), "")
        student = entry.name[:len(entry.name) - len(suffix)]
        if entry.is_symlink():
            entries.append(Entry(student, None, LINK))
        elif entry.is_dir(follow_symlinks=False):
            entries.append(Entry(student, *_inside(Path(entry.path))))
        elif suffix and entry.is_file(follow_symlinks=False):
            entries.append(Entry(student, Path(entry.path)))
    return entries  # other files (a README, the class list) belong to no student


def _listing(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as entries:
            listed = [entry for entry in entries if not _skipped(entry.name)]
    except OSError as error:
        raise SourceError("cannot read {path}: {why}", path=folder, why=error.strerror) from None
    if len(listed) > MAX_EXPORT_ENTRIES:
        raise SourceError("{path} holds over {limit} entries", path=folder, limit=MAX_EXPORT_ENTRIES)
    return sorted(listed, key=lambda entry: entry.name)


def _inside(folder: Path) -> tuple[Path | None, Problem | None]:
    """What to grade in a student's folder: the folder, or its only .zip (load.find looks for no zip in a
    folder, and students often upload one); or None and why there is nothing."""
    pending, seen, files, zips = [folder], 0, False, []
    while pending:
        try:
            with os.scandir(pending.pop()) as entries:
                listed = [entry for entry in entries if not _skipped(entry.name)]
        except OSError as error:
            return None, Problem(N_("cannot read it: {why}"), why=error.strerror)
        seen += len(listed)
        for entry in listed:
            if entry.is_dir(follow_symlinks=False):
                pending.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False) and entry.name.lower().endswith((".py", ".ipynb")):
                return folder, None
            elif entry.is_file(follow_symlinks=False) and entry.name.lower().endswith(".zip"):
                zips.append(Path(entry.path))
            else:
                files = True
        if seen > MAX_ENTRIES:
            return folder, None  # load.find says what is wrong with it when it is graded
    if len(zips) > 1:
        return None, Problem(N_("{count} .zip files and no .py or .ipynb: keep one"), count=len(zips))
    if zips:
        return zips[0], None
    return None, Problem(N_("no .py, .ipynb or .zip in it")) if files else Problem(N_("empty submission"))


def _moodle(folder: Path, listed: list[os.DirEntry], gathered: Path) -> list[Entry]:
    students: dict[str, list[tuple[os.DirEntry, re.Match]]] = {}
    for entry in listed:
        if match := MOODLE.fullmatch(entry.name):
            students.setdefault(match["id"], []).append((entry, match))
    entries = []
    for student, items in students.items():
        name = unicodedata.normalize("NFC", items[0][1]["name"])  # macOS unpacks names decomposed
        files = [(entry, match) for entry, match in items if match["plugin"] == "file"]
        when = _latest([Path(entry.path) for entry, _ in items])
        if not files:  # e.g. only the online text (onlinetext.html): no code
            entries.append(Entry(student, None, Problem(N_("no file submitted (only online text)")), name, when))
        elif len(files) == 1 and not files[0][1]["rest"] and files[0][0].is_dir(follow_symlinks=False):
            entries.append(Entry(student, *_inside(Path(files[0][0].path)), name, when))
        else:
            entries.append(Entry(student, *_gather(folder, files, gathered / student), name, when))
    return entries


def _latest(paths: list[Path]) -> datetime | None:
    """The latest modification time of the files at or under `paths` (Moodle keeps each file's
    upload time in its export), or None where there is no file."""
    times, pending, seen = [], list(paths), 0
    while pending and seen < MAX_ENTRIES:
        path = pending.pop()
        seen += 1
        try:
            info = path.lstat()
            if stat.S_ISDIR(info.st_mode):
                pending += [Path(entry.path) for entry in os.scandir(path) if not _skipped(entry.name)]
            elif stat.S_ISREG(info.st_mode):
                times.append(info.st_mtime)
        except OSError:
            continue
    return datetime.fromtimestamp(max(times), timezone.utc) if times else None


def _gather(folder: Path, files: list[tuple[os.DirEntry, re.Match]],
            target: Path) -> tuple[Path | None, Problem | None]:
    """The flat layout: one student's files, renamed back to their own names, in a folder of their own."""
    read, copy, links = _folder_reader(folder), _Copy(folder, target), False
    for entry, match in files:
        links |= entry.is_symlink()
        rest = match["rest"]
        if not rest.lower().endswith(SUFFIXES) or not entry.is_file(follow_symlinks=False):
            continue
        try:  # one byte over the cap is kept so that load.find reports the file as too big, as it would the original
            copy.write(PurePosixPath(rest), read(PurePosixPath(entry.name), MAX_TOTAL_BYTES + 1))
        except SubmissionError as error:
            return None, Problem(error.message, **error.fields)
    if not target.is_dir():
        return None, LINK if links else Problem(N_("no .py, .ipynb or .zip in it"))
    return _inside(target)


def _unzip(archive: Path, target: Path, zone: tzinfo | None) -> None:
    """Unpack a zip into `target`, read in memory with load.py's care: no links, nothing outside.
    Each file keeps its time in the zip, read in `zone`."""
    try:
        data = _read_regular(str(archive), archive.name, MAX_EXPORT_BYTES + 1)
    except SubmissionError as error:
        raise SourceError.of(error) from None
    if len(data) > MAX_EXPORT_BYTES:
        raise SourceError("{name} is over {limit} MiB", name=archive.name, limit=MAX_EXPORT_BYTES >> 20)
    try:
        zipped = zipfile.ZipFile(io.BytesIO(data))
    except Exception:  # zipfile raises many kinds on a damaged archive
        raise SourceError("{name} is not a valid zip file", name=archive.name) from None
    with zipped:
        infos = zipped.infolist()
        if len(infos) > MAX_EXPORT_ENTRIES:
            raise SourceError("{path} holds over {limit} entries", path=archive.name, limit=MAX_EXPORT_ENTRIES)
        read, copy, total = _zip_reader(zipped), _Copy(archive, target), 0
        target.mkdir(parents=True)
        for info in infos:
            path = PurePosixPath(_utf8(info))
            if path.is_absolute() or ".." in path.parts:
                raise SourceError("{name} holds a path outside the archive: {path}", name=archive.name,
                                  path=info.filename)
            if not path.parts or any(_skipped(part) for part in path.parts):
                continue
            try:
                if info.is_dir() or stat.S_ISLNK(info.external_attr >> 16):
                    # links are not made; the folders are, so a student without code still gets a row
                    (target / (path if info.is_dir() else path.parent)).mkdir(parents=True, exist_ok=True)
                    continue
                member = read(PurePosixPath(info.filename), MAX_TOTAL_BYTES + 1)  # over the cap: see _gather
                total += len(member)
                if total > MAX_EXPORT_BYTES:
                    raise SourceError("{name} unpacks to over {limit} MiB", name=archive.name,
                                      limit=MAX_EXPORT_BYTES >> 20)
                _keep_time(copy.write(path, member), info, zone)
            except SubmissionError as error:
                raise SourceError("{name}: {error}", name=archive.name, error=error) from None
            except OSError as error:  # a file and a folder of one name
                raise SourceError("{name}: cannot unpack {path}: {why}", name=archive.name, path=info.filename,
                                  why=error.strerror) from None


def _keep_time(written: Path, info: zipfile.ZipInfo, zone: tzinfo | None) -> None:
    """Give the unpacked file its time in the zip (local time there: read in `zone`, or the machine's)."""
    try:
        moment = datetime(*info.date_time).replace(tzinfo=zone).timestamp()
    except (ValueError, OverflowError):  # a date the zip's writer made up
        return
    os.utime(written, (moment, moment))


def _utf8(info: zipfile.ZipInfo) -> str:
    """The member's name; zips made without the UTF-8 flag often hold UTF-8 names all the same (Cyrillic ones)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except UnicodeError:
        return info.filename


def _manifest(manifest: Path) -> list[Entry]:
    """A CSV with a header row `student,path` (and optionally `name`); paths are relative to its folder."""
    try:
        text = _read_regular(str(manifest), manifest.name, MAX_FILE_BYTES + 1).decode("utf-8-sig")
    except SubmissionError as error:
        raise SourceError.of(error) from None
    except UnicodeDecodeError:
        raise SourceError("{path}: not UTF-8 text", path=manifest) from None
    rows = csv.DictReader(io.StringIO(text))
    columns = {(column or "").strip().lower(): column for column in rows.fieldnames or []}
    if "student" not in columns or "path" not in columns:
        raise SourceError("{path}: a manifest's first row must name the columns student and path", path=manifest)
    entries = []
    for row in rows:
        student, given = (row[columns["student"]] or "").strip(), (row[columns["path"]] or "").strip()
        if not student:
            raise SourceError("{path}, line {line}: no student id", path=manifest, line=rows.line_num)
        name = (row[columns["name"]] or "").strip() if "name" in columns else ""
        path = manifest.parent / given
        if not given or not os.path.lexists(path):
            entries.append(Entry(student, None, Problem(N_("no such file: {path}"), path=given), name))
        elif path.is_symlink():
            entries.append(Entry(student, None, LINK, name))
        else:
            entries.append(Entry(student, *(_inside(path) if path.is_dir() else (path, None)), name))
    return entries
