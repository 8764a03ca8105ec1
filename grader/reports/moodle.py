"""A batch's grades handed back to a Moodle assignment: the grading worksheet and the feedback files.

- **The grading worksheet** (the assignment > *View all submissions* > *Grading action* >
  *Download grading worksheet*, then *Upload grading worksheet*): `read_worksheet` reads the CSV
  Moodle gives, `worksheet_csv` fills in the grades (and feedback comments) of the students graded
  and keeps everything else as it was, so that Moodle's importer takes it back.
- **The feedback files** (*Upload multiple feedback files in a zip*): `write_feedback_zip` puts each
  student's feedback.html and feedback.md in a folder named as Moodle's importer expects.

Moodle's importer finds the worksheet's columns by their header text in the uploading teacher's
interface language (English or Russian here), so the header is kept word for word. It reads the
"Last modified (grade)" cell with PHP's strtotime, which knows English dates only: Moodle's own
Russian date ("понедельник, 7 декабря 2026, 02:30") reads as no time, and the importer then skips
every student who already had a grade. So that cell is written in ISO 8601 with its offset
("2026-12-07T02:30:00+03:00"), which strtotime reads exactly in any language and time zone.
"""
from __future__ import annotations

import csv
import html
import io
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any, Callable

from grader.engine import files
from grader.engine.load import MAX_FILE_BYTES, one_line
from grader.i18n import N_, ReaderError, number, percent, say, say_n
from grader.reports.classbook import Graded
from grader.reports.feedback import MAX_NAME_BYTES, folder_name
from grader.reports.gradebook import BOM, _cell
from grader.reports.render import failure_lines, handed_back


class WorksheetError(ReaderError, ValueError):
    """A file that cannot be read, or filled in, as a Moodle grading worksheet."""

    def __init__(self, message: str, /, **fields: Any):  # cells come from Moodle's users: one line, no escapes
        super().__init__(message, **{name: one_line(value) for name, value in fields.items()})


@dataclass(frozen=True)
class MoodleLanguage:
    """Moodle's words for one interface language: the worksheet's headers and its dates."""

    identifier: str  # get_string('recordid', 'assign')
    participant: str  # get_string('hiddenuser', 'assign'): the identifier's prefix
    full_name: str  # get_string('fullname')
    grade: str  # get_string('gradenoun') (get_string('grade') before Moodle 4.1: the same text)
    max_grade: str  # get_string('maxgrade', 'assign')
    scale: str  # get_string('scale', 'assign'): in place of the maximum grade when a scale grades
    modified_submission: str  # get_string('lastmodifiedsubmission', 'assign')
    modified_grade: str  # get_string('lastmodifiedgrade', 'assign')
    comments: str  # get_string('pluginname', 'assignfeedback_comments'): the comments plugin's field
    days: tuple[str, ...]  # %A, Monday first
    months: tuple[str, ...]  # %B as Moodle writes it in a date: genitive in Russian
    twelve_hour: bool  # langconfig's strftimedaydatetime uses %I:%M %p

    @property
    def required(self) -> tuple[str, ...]:
        """The columns the importer needs (assignfeedback_offline_grade_importer::init)."""
        return self.identifier, self.grade, self.modified_grade


LANGUAGES = {
    # moodle/moodle: mod/assign/lang/en/assign.php, lang/en/moodle.php,
    # mod/assign/feedback/comments/lang/en/assignfeedback_comments.php; dates: lang/en/langconfig.php
    # (strftimedaydatetime '%A, %d %B %Y, %I:%M %p'), written by userdate() with the day's and
    # the hour's leading zero removed (calendar/type/gregorian/classes/structure.php).
    "en": MoodleLanguage(
        identifier="Identifier", participant="Participant ", full_name="Full name", grade="Grade",
        max_grade="Maximum grade", scale="Scale", modified_submission="Last modified (submission)",
        modified_grade="Last modified (grade)", comments="Feedback comments",
        days=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        months=("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December"),
        twelve_hour=True),
    # Moodle's Russian language pack (AMOS, version 4.5) as projectestac/moodle-langpacks keeps it:
    # ru/assign.php, ru/moodle.php ('fullname', 'gradenoun'), ru/assignfeedback_comments.php,
    # ru/langconfig.php (strftimedaydatetime '%A, %d %B %Y, %H:%M'). 'hiddenuser' is 'Участник'
    # with no space: Moodle writes "Участник123" and strips strlen('Участник') bytes. %A and %B are
    # ICU's (core_date::strftime) or glibc's: lowercase, the month in the genitive.
    "ru": MoodleLanguage(
        identifier="Идентификатор", participant="Участник", full_name="Полное имя", grade="Оценка",
        max_grade="Максимальная оценка", scale="Шкала", modified_submission="Последнее изменение (ответ)",
        modified_grade="Последнее изменение (оценка)", comments="Отзыв в виде комментария",
        days=("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"),
        months=("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
                "октября", "ноября", "декабря"),
        twelve_hour=False),
}
# Month names a worksheet's date may hold whatever its header's language: a server without the
# Russian locale (older Moodle) writes English months under Russian headers, and glibc before 2.27
# wrote Russian months in the nominative.
_NOMINATIVE = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь",
               "ноябрь", "декабрь")
_MONTH_NAMES = {name.lower(): number for names in (LANGUAGES["en"].months, LANGUAGES["ru"].months, _NOMINATIVE)
                for number, name in enumerate(names, 1)}
_NO_DATE = ("", "-")  # what Moodle writes where there is none (col_timesubmitted, col_timemarked)
_DATE = re.compile(
    r"(?:[^\W\d_]+\.?,?\s+)?"  # the weekday, not checked
    r"(?:(?P<day>\d{1,2})\s+(?P<month>[^\W\d_]+)\.?|(?P<month_first>[^\W\d_]+)\.?\s+(?P<day_second>\d{1,2})),?"
    r"\s+(?P<year>\d{4})(?:\s*г\.)?,?\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?:\s*(?P<half>[AaPp])\.?\s?[Mm]\.?)?")
_NUMBER = re.compile("[0-9]+")  # a participant id: ASCII digits (str.isdigit takes any script's)

FEEDBACK_FILES = ("feedback.html", "feedback.md")
# The feedback file plugin's folder per student: fullname_participantid_plugintype_pluginname_
# (mod/assign/feedback/file/importziplib.php, is_valid_filename_for_import)
FEEDBACK_PLUGIN = "assignfeedback_file_"
# clean_filename() (PARAM_FILE, lib/moodlelib.php) drops these; the second set (Windows' ? and *,
# C1 controls, bidirectional overrides) is ours, for a folder an instructor may unpack anywhere.
_MOODLE_UNSAFE = re.compile(r"[\x00-\x1f\x7f&<>\"`|':\\/]")
_ALSO_UNSAFE = re.compile("[?*\x80-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip holds: the same archive for the same feedback


@dataclass(frozen=True)
class Worksheet:
    """A grading worksheet as Moodle wrote it: its header and rows, cell for cell."""

    path: Path
    language: str  # the interface language of its header: "en" or "ru"
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @property
    def words(self) -> MoodleLanguage:
        return LANGUAGES[self.language]

    def column(self, title: str) -> int | None:
        """The index of the column headed `title` (as the importer matches it: the whole text), or None."""
        return self.header.index(title) if title in self.header else None

    def required_column(self, title: str) -> int:
        """The index of one of the columns the importer needs (`MoodleLanguage.required`): reading
        the worksheet made sure it has them."""
        return self.header.index(title)

    def participant(self, row: tuple[str, ...]) -> str:
        """The row's participant id: its identifier less Moodle's prefix ("Participant 1470034" -> "1470034")."""
        return _participant(row[self.required_column(self.words.identifier)], self.words) or ""

    def participants(self) -> list[str]:
        """Every row's participant id, in the worksheet's order."""
        return [self.participant(row) for row in self.rows]

    def submitted_at(self, participant_id: str, tz: tzinfo) -> datetime | None:
        """When the participant last changed their submission ("Last modified (submission)"), in `tz`
        (Moodle writes it in the downloading user's time zone, and names none); None where the
        worksheet has no such column, no such participant or no submission."""
        column = self.column(self.words.modified_submission)
        row = next((row for row in self.rows if self.participant(row) == participant_id), None)
        if column is None or row is None or row[column].strip() in _NO_DATE:
            return None
        when = parse_date(row[column])
        if when is None:
            raise WorksheetError(N_('{path}: cannot read the date "{value}" of participant {participant}'),
                                 path=self.path, value=row[column], participant=participant_id)
        return when.replace(tzinfo=tz)


def _participant(cell: str, words: MoodleLanguage) -> str | None:
    """The id in an identifier cell, or None if it is not Moodle's prefix and a number."""
    prefix, cell = words.participant.strip(), cell.strip()  # "Участник" has no space, "Participant " has one
    if not cell.startswith(prefix):
        return None
    rest = cell[len(prefix):].strip()
    return rest if _NUMBER.fullmatch(rest) else None


def read_worksheet(path: Path) -> Worksheet:
    """The grading worksheet at `path`: UTF-8 (with or without a byte-order mark), comma-separated,
    its header in Moodle's English or Russian. Raises WorksheetError (one line) for anything else."""
    path = Path(path)
    try:
        with open(path, "rb") as source:  # the instructor named it: a link to it is fine
            data = source.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise WorksheetError(N_("cannot read {path}: {why}"), path=path, why=error.strerror) from None
    if len(data) > MAX_FILE_BYTES:
        raise WorksheetError(N_("{path} is over {limit} MiB"), path=path, limit=MAX_FILE_BYTES >> 20)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise WorksheetError(N_("{path}: not UTF-8 text"), path=path) from None
    reader = csv.reader(io.StringIO(text.strip(), newline=""))  # Moodle trims the file, then reads CSV
    try:
        table = [(reader.line_num, row) for row in reader if row]  # Moodle skips empty lines too
    except csv.Error as error:
        raise WorksheetError(N_("{path}, line {line}: not CSV: {why}"), path=path, line=reader.line_num,
                             why=str(error)) from None
    header = tuple(table[0][1]) if table else ()
    language = _language(path, header)
    words, identifier = LANGUAGES[language], header.index(LANGUAGES[language].identifier)
    for line, row in table[1:]:
        if len(row) != len(header):  # Moodle refuses the whole file (csvweirdcolumns)
            raise WorksheetError(N_("{path}, line {line}: {count} cells, but the header has {columns}"),
                                 path=path, line=line, count=len(row), columns=len(header))
        if _participant(row[identifier], words) is None:
            raise WorksheetError(N_('{path}, line {line}: "{value}" is not a participant\'s identifier '
                                    '(Moodle writes "{example}")'), path=path, line=line,
                                 value=row[identifier], example=f"{words.participant}1470034")
    return Worksheet(path, language, header, tuple(tuple(row) for _, row in table[1:]))


def _language(path: Path, header: tuple[str, ...]) -> str:
    """The language whose three required headers the header has; else an error naming those missing
    in the language it comes closest to (both, where it matches neither)."""
    found = {code: [title for title in words.required if title not in header] for code, words in LANGUAGES.items()}
    closest = min(found, key=lambda code: len(found[code]))
    if not found[closest]:
        return closest
    if len(found["en"]) == len(found["ru"]):
        missing = [f'"{en}" ("{ru}")' for en, ru in zip(LANGUAGES["en"].required, LANGUAGES["ru"].required)
                   if en in found["en"]]
    else:
        missing = [f'"{title}"' for title in found[closest]]
    raise WorksheetError(N_("{path} is not the grading worksheet Moodle downloads (Grading action > Download "
                            "grading worksheet): columns not found: {columns}"), path=path, columns=", ".join(missing))


def parse_date(text: str) -> datetime | None:
    """A date as Moodle's userdate() writes it ("Friday, 1 March 2024, 2:05 PM", "пятница, 1 марта
    2024, 14:05"), with no time zone; None if it is not one."""
    match = _DATE.fullmatch(" ".join(text.split()))
    if not match:
        return None
    month = _month(match["month"] or match["month_first"])
    hour, half = int(match["hour"]), (match["half"] or "").lower()
    if half:  # 12 AM is midnight, 12 PM noon
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "p" else 0)
    if month is None:
        return None
    try:
        return datetime(int(match["year"]), month, int(match["day"] or match["day_second"]), hour,
                        int(match["minute"]), int(match["second"] or 0))
    except ValueError:  # no such day, hour or minute
        return None


def _month(name: str) -> int | None:
    """A month's number from its name in English or Russian, full or cut short ("Mar", "сент")."""
    name = name.lower()
    if name in _MONTH_NAMES:
        return _MONTH_NAMES[name]
    return next((number for full, number in _MONTH_NAMES.items() if len(name) >= 3 and full.startswith(name)), None)


def _stamp(graded: Graded) -> str:
    """"Last modified (grade)": when the report was graded (so that `--report-only` writes the same
    file), in ISO 8601 with its offset (see the module's docstring)."""
    when = datetime.fromisoformat(graded.report.graded_at) if graded.report.graded_at else datetime.now(timezone.utc)
    return when.isoformat(timespec="seconds")


def _points(value: float) -> str:
    """A grade as the importer reads it in any language (unformat_float): "." decimals, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _html(comment: str) -> str:
    """A plain-text comment as Moodle stores the column (FORMAT_HTML): escaped, its lines kept."""
    return "<br>".join(html.escape(line, quote=False) for line in comment.splitlines())


def worksheet_csv(graded: list[Graded], worksheet: Worksheet | None, language: str = "en",
                  comments: Callable[[Graded], str] | None = None, anonymous: bool = False) -> str | None:
    """The worksheet to upload, as CSV text with a byte-order mark.

    With `worksheet`: its columns, headers and rows as they were, but for each participant graded
    the grade (`Graded.total`), "Last modified (grade)" (when it was graded) and, where the
    worksheet has the column and `comments` is given, the feedback comment (plain text, stored as
    Moodle's HTML). Rows of participants not graded keep every cell, an empty grade stays empty:
    Moodle then leaves them alone.

    Without one: a worksheet of its own in `language`, "en" or "ru" (the Moodle interface language
    of whoever uploads it) with the identifier, full name, grade, maximum grade, "Last modified
    (grade)" and, with `comments`, the comments; None unless every student id is a participant id
    (a Moodle export); `anonymous` leaves the full names out. Without `comments` the column is
    left out: an empty comment would erase the one in Moodle.
    """
    if worksheet is None:
        return _new_worksheet(graded, language, comments, anonymous)
    words = worksheet.words
    by_id = {g.student: g for g in graded if _NUMBER.fullmatch(g.student)}
    grade, modified = worksheet.required_column(words.grade), worksheet.required_column(words.modified_grade)
    comment = worksheet.column(words.comments) if comments else None
    rows: list[tuple[object, ...]] = []
    for row in worksheet.rows:
        g = by_id.get(worksheet.participant(row))
        if g is None:
            rows.append(row)
            continue
        _check_maximum(worksheet, row, g)
        cells: list[object] = list(row)
        cells[grade], cells[modified] = _cell(_points(g.total)), _stamp(g)
        if comment is not None and comments is not None:
            cells[comment] = _cell(_html(comments(g)))
        rows.append(tuple(cells))
    return _csv([worksheet.header, *rows])


def _check_maximum(worksheet: Worksheet, row: tuple[str, ...], g: Graded) -> None:
    """Refuse a grade Moodle would read on another scale: the importer takes the number as it is
    and skips one over its maximum grade without a word."""
    words = worksheet.words
    if worksheet.column(words.scale) is not None:
        raise WorksheetError(N_("{path}: the assignment is graded on a scale in Moodle: set its grade type to "
                                "Point (maximum {points}) and download the worksheet again"),
                             path=worksheet.path, points=_points(g.max_score))
    column = worksheet.column(words.max_grade)
    if column is None:
        return
    try:  # format_float(): the language's decimal separator ("100,00" in Russian)
        moodle = float(re.sub(r"\s", "", row[column]).replace(",", "."))
    except ValueError:
        return
    if abs(moodle - g.max_score) > 1e-6:
        raise WorksheetError(N_("{path}: Moodle's maximum grade is {moodle}, the assignment's is {points}: set "
                                "Maximum grade to {points} in the Moodle assignment's settings and download the "
                                "worksheet again"), path=worksheet.path, moodle=row[column],
                             points=_points(g.max_score))


def _new_worksheet(graded: list[Graded], language: str, comments: Callable[[Graded], str] | None,
                   anonymous: bool) -> str | None:
    if not graded or not all(_NUMBER.fullmatch(g.student) for g in graded):
        return None
    words = LANGUAGES[language]
    header = [words.identifier, words.full_name, words.grade, words.max_grade, words.modified_grade]
    rows = [[words.participant + g.student, "" if anonymous else g.name, _points(g.total), _points(g.max_score),
             _stamp(g)] + ([_html(comments(g))] if comments else []) for g in graded]
    return _csv([header + ([words.comments] if comments else []), *([_cell(cell) for cell in row] for row in rows)])


def _csv(rows: list) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)  # "\n": as gradebook.csv (see there)
    return BOM + out.getvalue()


MAX_COMMENT_PROBLEM = 200  # characters of the first mistake's message in a comment


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_COMMENT_PROBLEM else text[:MAX_COMMENT_PROBLEM - 1] + "…"


def feedback_comment(graded: Graded, language: str) -> str:
    """A few plain lines for Moodle's feedback comments, in `language`: the final grade, each task's
    points, the first thing to fix (as the student's report shows it: no hidden check's details),
    and the late penalty or the instructor's adjustment, if any."""
    shown = handed_back(graded.report)
    def points(value: float) -> str:  # as the grade column shows it, in the comment's language
        return number(language, _points(value))
    lines = [say(language, "Grade: {total} of {max}", total=points(graded.total), max=points(graded.max_score)),
             say(language, "Points per task: {tasks}", tasks=", ".join(
                 f"{task.name} {points(graded.task_score(task))}/{points(task.max_score)}" for task in shown.tasks))]
    first = next((task for task in shown.tasks if task.status != "passed"), None)
    if first is None:
        lines.append(say(language, "All checks passed."))
    else:  # a hidden check says nothing the student can act on: a visible one comes first where there is one
        visible = first.model_copy(update={"checks": tuple(c for c in first.checks if c.passed or not c.hidden)})
        if problems := failure_lines(visible, language=language) or failure_lines(first, language=language):
            lines.append(say(language, "To fix first ({task}): {problem}", task=first.name,
                             problem=_shorten(problems[0])))
    if graded.penalty:
        lines.append(say_n(language, "Submitted {count} day late: −{penalty} of the points",
                           "Submitted {count} days late: −{penalty} of the points", graded.late_days,
                           penalty=percent(language, graded.penalty, "g")))
    if graded.adjustments:
        lines.append(say(language, "Adjusted by the instructor: {points}",
                         points=number(language, graded.adjustment, "+g")))
    return "\n".join(lines)


def zip_folder(graded: Graded, anonymous: bool = False) -> str:
    """The student's folder in the feedback zip: `Full Name_<participant id>_assignfeedback_file_`
    (the id for the name where there is none, or `anonymous`), the name made as Moodle's own
    download makes it (mod/assign/classes/downloader.php, get_student_prefix: "_" made " ", then
    clean_filename), so that splitting at "_" finds the id."""
    label = unicodedata.normalize("NFC", graded.label(anonymous)).replace("_", " ")
    name = _ALSO_UNSAFE.sub("", _MOODLE_UNSAFE.sub("", label))
    name = " ".join(name.split())
    suffix = f"_{graded.student}_{FEEDBACK_PLUGIN}"
    while len((name + suffix).encode("utf-8")) > MAX_NAME_BYTES:
        name = name[:-1]
    return name.rstrip() + suffix


def write_feedback_zip(path: Path, graded: list[Graded], feedback_folder: Path,
                       anonymous: bool = False) -> Path | None:
    """Write the zip for *Upload multiple feedback files in a zip* to `path`, whole or not at all, and
    return it: for each participant graded, feedback.html and feedback.md from
    `feedback_folder / feedback.folder_name(student)`, in a folder named by `zip_folder`.
    The same feedback makes the same bytes (sorted, fixed times). None, and nothing written, where
    no student is a participant (a Moodle export) with feedback files."""
    members = {}
    for g in graded:
        if not _NUMBER.fullmatch(g.student):
            continue
        for name in FEEDBACK_FILES:
            source = Path(feedback_folder) / folder_name(g.student) / name
            if source.is_file() and not source.is_symlink():
                members[f"{zip_folder(g, anonymous)}/{name}"] = source.read_bytes()
    if not members:
        return None
    path = Path(path)
    temporary = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = files.create_new(temporary)
    try:
        with os.fdopen(fd, "wb") as out:
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
                for name in sorted(members):
                    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                    info.create_system, info.external_attr = 3, 0o644 << 16  # Unix, rw-r--r--: on any system
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, members[name])
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path
