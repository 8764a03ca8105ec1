"""Grades and feedback handed back to Moodle: the grading worksheet and the feedback zip, checked with
Python ports of the Moodle code that reads them (each port names the PHP it follows), on a class
built by hand (no grading runs here) with Cyrillic, duplicate, apostrophe, underscore and hostile names."""
from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from grader.reports.classbook import Adjustment, Graded
from grader.reports.feedback import folder_name
from grader.reports.gradebook import BOM
from grader.reports.moodle import (LANGUAGES, Worksheet, WorksheetError, feedback_comment, parse_date,
                                   read_worksheet, worksheet_csv, write_feedback_zip, zip_folder)
from grader.results import CheckResult, Environment, Isolation, Report, TaskResult

MOSCOW = ZoneInfo("Europe/Moscow")
WHEN = datetime(2024, 3, 1, 14, 5, tzinfo=MOSCOW)  # a Friday
DEADLINE = datetime(2024, 2, 25, 23, 59, tzinfo=MOSCOW)
ENVIRONMENT = Environment(python="3.11", torch="2.3", devices=("cpu",), grader="test",
                          isolation=Isolation(level="none", measures=()))


def moodle_date(when, language):
    """`when` as Moodle's userdate() writes it in `language` (langconfig's strftimedaydatetime), as in
    the worksheets Moodle gives."""
    words = LANGUAGES[language]
    day = f"{words.days[when.weekday()]}, {when.day} {words.months[when.month - 1]} {when.year}"
    if words.twelve_hour:
        return f"{day}, {when.hour % 12 or 12}:{when.minute:02d} {'AM' if when.hour < 12 else 'PM'}"
    return f"{day}, {when.hour:02d}:{when.minute:02d}"


# --- Ports of Moodle's PHP ---------------------------------------------------------------------

def php_strlen(text: str) -> int:
    """PHP's strlen() and substr() count bytes."""
    return len(text.encode("utf-8"))


def php_substr(text: str, start: int) -> str:
    return text.encode("utf-8")[start:].decode("utf-8", errors="replace")


def php_is_numeric(text: str) -> bool:
    """PHP 8's is_numeric(): a decimal or float, leading and trailing whitespace allowed."""
    return re.fullmatch(r"[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\n\r\v\f]*", text) is not None


def load_csv_content(content: str) -> list[list[str]]:
    """lib/csvlib.class.php, csv_import_reader::load_csv_content (encoding utf-8, separator comma): the
    byte-order mark trimmed, line ends made "\\n", the whole content trimmed, empty lines skipped, and
    the file refused (csvweirdcolumns) when a row's cell count differs from the header's."""
    content = content.removeprefix(BOM)
    content = re.sub("\r\n?", "\n", content).strip(" \t\n\r\0\x0b")
    rows = [row for row in csv.reader(io.StringIO(content)) if row]
    assert rows, "csvemptyfile"
    assert all(len(row) == len(rows[0]) for row in rows), "csvweirdcolumns"
    return rows


def importer_init(columns: list[str], words) -> dict | None:
    """mod/assign/feedback/offline/importgradeslib.php, assignfeedback_offline_grade_importer::init():
    the columns found by their whole header text (get_string('gradenoun'), get_string('recordid',
    'assign'), get_string('lastmodifiedgrade', 'assign'), and the comments plugin's field
    description); false (None) when the identifier, grade or last-modified column is missing."""
    index = {"grade": -1, "id": -1, "modified": -1, "feedback": {}}
    for number, column in enumerate(columns):
        if column == words.comments:
            index["feedback"][column] = number
        if column == words.grade:
            index["grade"] = number
        if column == words.identifier:
            index["id"] = number
        if column == words.modified_grade:
            index["modified"] = number
    if index["id"] < 0 or index["grade"] < 0 or index["modified"] < 0:
        return None
    return index


def importer_next(records: list[list[str]], index: dict, words, participants: set[int]) -> list[dict]:
    """importgradeslib.php, next(): the participant id is the identifier less strlen(get_string(
    'hiddenuser', 'assign')) bytes; rows of no known participant are passed over; the feedback
    columns are read where their index is not empty() (not 0)."""
    found = []
    for record in records:
        uniqueid = php_substr(record[index["id"]], php_strlen(words.participant))
        if not php_is_numeric(uniqueid) or int(float(uniqueid)) not in participants:  # get_user_id_for_uniqueid
            continue
        found.append({"id": int(float(uniqueid)), "grade": record[index["grade"]],
                      "modified": record[index["modified"]],
                      "feedback": {name: record[i] for name, i in index["feedback"].items() if i}})
    return found


def unformat_float(text: str, language: str) -> float | None:
    """lib/moodlelib.php, unformat_float(): spaces dropped, the language's decimal separator
    (langconfig 'decsep': "." in English, "," in Russian) made "."."""
    text = text.strip().replace(" ", "")
    return float(text.replace({"en": ".", "ru": ","}[language], ".")) if text else None


def import_worksheet(text: str, language: str, participants: set[int]) -> tuple[list[str], dict[int, dict]]:
    """What Moodle's *Upload grading worksheet* reads from `text` in an interface in `language`:
    the header and each participant's grade, grade time and feedback."""
    rows = load_csv_content(text)
    index = importer_init(rows[0], LANGUAGES[language])
    assert index is not None, "invalidgradeimport"
    return rows[0], {record["id"]: record for record in importer_next(rows[1:], index, LANGUAGES[language],
                                                                       participants)}


# Feedback plugins of a standard Moodle (mod/assign/feedback/*, mod/assign/submission/*)
PLUGINS = {("assignfeedback", "comments"), ("assignfeedback", "editpdf"), ("assignfeedback", "file"),
           ("assignfeedback", "offline"), ("assignsubmission", "file"), ("assignsubmission", "onlinetext"),
           ("assignsubmission", "comments")}


def is_valid_filename_for_import(filepath: str, filename: str, participants: set[int]):
    """mod/assign/feedback/file/importziplib.php, assignfeedback_file_zip_importer::
    is_valid_filename_for_import(): hidden files passed over; each part of the path split at "_" into
    at most 5 pieces (explode('_', $pathpart, 5)); the first part with 4 or more whose second piece
    is a known participant id and whose third and fourth name a plugin gives (participant, plugin,
    the rest of the path as the file's name); else None."""
    if filename.startswith((".", "~")):
        return None
    parts = (filepath + filename).split("/")
    while parts:
        info = parts.pop(0).split("_", 4)
        if len(info) < 4 or not php_is_numeric(info[1]) or int(float(info[1])) not in participants:
            continue
        if (info[2], info[3]) not in PLUGINS:
            continue
        rest = info[4] if len(info) == 5 else ""
        return int(float(info[1])), (info[2], info[3]), "/".join([rest, *parts])
    return None


def moodle_unzip(archive: Path) -> list[tuple[str, str]]:
    """(filepath, filename) of each file as zip_packer::extract_to_storage stores it under the
    importer's path base, "/import/" (get_import_files)."""
    with zipfile.ZipFile(archive) as zipped:
        names = [info.filename for info in zipped.infolist() if not info.is_dir()]
    return [("/import/" + name.rpartition("/")[0] + "/", name.rpartition("/")[2]) for name in names]


def test_the_ports_follow_moodle():
    """The ports must fail where Moodle fails: a missing column, the other language's prefix, an
    underscore left in a name, a file with no folder of its own."""
    en, ru = LANGUAGES["en"], LANGUAGES["ru"]
    assert importer_init(["Identifier", "Full name", "Grade", "Last modified (grade)"], en) is not None
    assert importer_init(["Identifier", "Full name", "Grade"], en) is None
    assert importer_init(["Identifier", "Grade", "Last modified (grade)"], ru) is None
    assert importer_init(["Идентификатор", "Оценка", "Последнее изменение (оценка)"], ru) is not None
    assert php_substr("Участник1470034", php_strlen(ru.participant)) == "1470034"
    assert php_substr("Participant 1470034", php_strlen(en.participant)) == "1470034"
    assert php_substr("Участник 1470034", php_strlen(en.participant)) != "1470034"
    participants = {1470034}
    assert is_valid_filename_for_import("/import/Иван Петров_1470034_assignfeedback_file_/", "feedback.html",
                                        participants) == (1470034, ("assignfeedback", "file"), "/feedback.html")
    assert is_valid_filename_for_import("/import/Иван_Петров_1470034_assignfeedback_file_/", "feedback.html",
                                        participants) is None
    assert is_valid_filename_for_import("/import/Ivan_1470034_assignfeedback_nosuch_/", "a.html", participants) is None
    assert is_valid_filename_for_import("/import/", "Ivan_1470034_assignfeedback_file_", participants) == (
        1470034, ("assignfeedback", "file"), "")
    assert is_valid_filename_for_import("/import/Ivan_1470034_assignfeedback_file_/", ".hidden", participants) is None


# --- A class as a Moodle export names it -------------------------------------------------------

def task(name: str, passed: int = 4, failed: tuple[CheckResult, ...] = (), status: str | None = None,
         problem: str = "") -> TaskResult:
    checks = tuple(CheckResult(name=f"case {i}", device="cpu", passed=True) for i in range(passed)) + failed
    if status:
        return TaskResult(name=name, max_score=10, checks=(), problem=problem, problem_status=status)
    return TaskResult(name=name, max_score=10, checks=checks)


def wrong(message: str, hidden: bool = False) -> CheckResult:
    return CheckResult(name="random 1", device="cpu", passed=False, message=message, diagnosis="wrong_values",
                       hidden=hidden)


def report(*tasks: TaskResult) -> Report:
    return Report(assignment="assignment1", submission="submission", course="/course", tasks=tasks,
                  environment=ENVIRONMENT, duration_s=1.0, graded_at=WHEN.isoformat())


LONG = "values differ " + "x" * 400
CLASS = [
    Graded(student="1470034", name="Иван Петров", report=report(task("conv1d"), task("conv2d"), task("pad"))),
    Graded(student="1470035", name="Иван Петров", report=report(  # the same name: the id tells them apart
        task("conv1d"), task("conv2d", 2, (wrong("secret: expected 42", hidden=True), wrong("kernel flipped"))),
        task("pad", 0, (wrong(LONG),)))),
    Graded(student="1470036", name="Seán O'Brien", report=report(task("conv1d"), task("conv2d", 3, (wrong("bias"),)),
                                                                 task("pad")),
           deadline=DEADLINE, submitted_at=DEADLINE + timedelta(days=1, hours=2), late_penalty=10),
    Graded(student="1470037", name="Анна_Мария Смирнова", report=report(
        task("conv1d", status="timeout", problem="stopped after the 3 s time limit"), task("conv2d"), task("pad")),
        adjustments=(Adjustment(delta=2.5, comment="regraded by hand"),)),
    Graded(student="1470038", name='=HYPERLINK("http://x") / ..\\evil', report=report(
        task("conv1d", 0, (wrong("<script>alert(1)</script>"),)), task("conv2d"), task("pad"))),
    Graded(student="1470039", name="", report=report(task("conv1d"), task("conv2d"), task("pad"))),
    Graded(student="smith", name="John Smith", report=report(task("conv1d"), task("conv2d"), task("pad"))),
]
PARTICIPANTS = {int(g.student) for g in CLASS if g.student.isdigit()}
UNGRADED, TEACHER_GRADED = "1470090", "1470091"  # in Moodle, not in the batch

# The worksheets as Moodle's gradingtable.php writes them when downloading (columns in its order,
# with an identity field and an online-text submission plugin), in English and in Russian.
WORKSHEETS = {
    "en": [["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum grade", "Grade can be changed",
            "Last modified (submission)", "Online text", "Last modified (grade)", "Feedback comments"]]
    + [[f"Participant {g.student}", g.name, f"{g.student}@example.org", "Submitted for grading", "", "30.00", "Yes",
        "Thursday, 29 February 2024, 9:07 AM", "", "-", ""] for g in CLASS if g.student.isdigit()]
    + [[f"Participant {UNGRADED}", "Ольга Кузнецова", "o@example.org", "No submission", "", "30.00", "Yes", "-",
        "", "-", ""],
       [f"Participant {TEACHER_GRADED}", "Mary-Jane Watson", "m@example.org", "Submitted for grading - Graded",
        "25.50", "30.00", "Yes", "Monday, 26 February 2024, 12:30 PM", "", "Tuesday, 27 February 2024, 10:00 AM",
        "<p>Well done</p>"]],
    "ru": [["Идентификатор", "Полное имя", "Адрес электронной почты", "Статус", "Оценка", "Максимальная оценка",
            "Оценка может быть изменена", "Последнее изменение (ответ)", "Последнее изменение (оценка)",
            "Отзыв в виде комментария"]]
    + [[f"Участник{g.student}", g.name, f"{g.student}@example.org", "Отправлено для оценивания", "", "30,00", "Да",
        "четверг, 29 февраля 2024, 09:07", "-", ""] for g in CLASS if g.student.isdigit()]
    + [[f"Участник{UNGRADED}", "Ольга Кузнецова", "o@example.org", "Ответ не представлен", "", "30,00", "Да", "-",
        "-", ""],
       [f"Участник{TEACHER_GRADED}", "Мария Иванова", "m@example.org", "Отправлено для оценивания - Оценено", "25,50",
        "30,00", "Да", "понедельник, 26 февраля 2024, 12:30", "вторник, 27 февраля 2024, 10:00", "<p>Молодец</p>"]],
}


def write_csv(path: Path, rows: list[list[str]], bom: bool = True) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)  # fputcsv as Moodle sends it, DOS line ends
    path.write_text((BOM if bom else "") + out.getvalue(), encoding="utf-8", newline="")
    return path


@pytest.fixture(params=["en", "ru"])
def worksheet(request, tmp_path) -> Worksheet:
    return read_worksheet(write_csv(tmp_path / f"worksheet-{request.param}.csv", WORKSHEETS[request.param]))


def comment(g: Graded) -> str:
    return feedback_comment(g, "en")


# --- The worksheet -----------------------------------------------------------------------------

def test_reads_a_worksheet_in_its_language(worksheet):
    assert worksheet.header == tuple(WORKSHEETS[worksheet.language][0])
    assert [list(row) for row in worksheet.rows] == WORKSHEETS[worksheet.language][1:]
    assert worksheet.participants() == [g.student for g in CLASS if g.student.isdigit()] + [UNGRADED, TEACHER_GRADED]


def test_round_trip_through_moodles_importer(worksheet):
    text = worksheet_csv(CLASS, worksheet, comments=comment)
    assert text.startswith(BOM)
    header, imported = import_worksheet(text, worksheet.language, PARTICIPANTS | {int(UNGRADED), int(TEACHER_GRADED)})
    assert header == WORKSHEETS[worksheet.language][0]  # text and order as Moodle wrote them
    for g in CLASS:
        if not g.student.isdigit():
            continue
        record = imported[int(g.student)]
        assert unformat_float(record["grade"], worksheet.language) == g.total
        assert datetime.fromisoformat(record["modified"]) == WHEN
        lines = feedback_comment(g, "en").splitlines()  # stored as HTML (FORMAT_HTML): escaped, lines kept
        assert list(record["feedback"].values()) == ["<br>".join(html.escape(line, quote=False) for line in lines)]
    assert imported[int("1470035")]["grade"] != imported[int("1470034")]["grade"]  # the two Иван Петров
    assert imported[int(UNGRADED)]["grade"] == "" and imported[int(UNGRADED)]["feedback"] == {
        LANGUAGES[worksheet.language].comments: ""}
    original = {row[0]: row for row in WORKSHEETS[worksheet.language][1:]}
    rows = load_csv_content(text)[1:]
    for row in rows:  # the rows of participants not graded keep every cell
        if row[0].endswith((UNGRADED, TEACHER_GRADED)):
            assert row == original[row[0]]
    graded_rows = [row for row in rows if not row[0].endswith((UNGRADED, TEACHER_GRADED))]
    grade, modified = header.index(LANGUAGES[worksheet.language].grade), header.index(
        LANGUAGES[worksheet.language].modified_grade)
    for row in graded_rows:  # and those graded keep all but the grade, its time and the comment
        before = original[row[0]]
        assert [cell for i, cell in enumerate(row) if i not in (grade, modified, len(row) - 1)] == [
            cell for i, cell in enumerate(before) if i not in (grade, modified, len(row) - 1)]


def test_grades_as_moodle_reads_them(worksheet):
    imported = import_worksheet(worksheet_csv(CLASS, worksheet), worksheet.language, PARTICIPANTS)[1]
    grades = {str(number): record["grade"] for number, record in imported.items()}
    assert grades["1470034"] == "30"  # no ".00"
    assert grades["1470035"] == "15"
    assert grades["1470036"] == "22"  # 27.5, 2 started days late at 10% a day
    assert grades["1470037"] == "22.5"  # a timeout in one task, then +2.5 by hand
    assert grades["1470038"] == "20"


def test_without_comments_the_worksheets_comments_stay(worksheet):
    text = worksheet_csv(CLASS, worksheet)
    comments = [row[-1] for row in load_csv_content(text)[1:]]
    assert comments == [row[-1] for row in WORKSHEETS[worksheet.language][1:]]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_dates_as_moodle_writes_them(language):
    written = moodle_date(WHEN, language)
    assert written == {"en": "Friday, 1 March 2024, 2:05 PM", "ru": "пятница, 1 марта 2024, 14:05"}[language]
    assert moodle_date(WHEN.replace(hour=0, day=9), language) == {
        "en": "Saturday, 9 March 2024, 12:05 AM", "ru": "суббота, 9 марта 2024, 00:05"}[language]
    for days in range(0, 366, 17):  # every month and weekday comes back
        when = (WHEN + timedelta(days=days, hours=days % 24)).replace(tzinfo=None)
        assert parse_date(moodle_date(when, language)) == when


def test_the_written_date_is_one_strtotime_reads_in_any_language(worksheet):
    """Moodle reads "Last modified (grade)" with PHP's strtotime, which cannot read its own Russian
    dates: the grading time is written in ISO 8601 with its offset, exact in any language."""
    text = worksheet_csv(CLASS, worksheet)
    modified = import_worksheet(text, worksheet.language, PARTICIPANTS)[1][1470034]["modified"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", modified)
    assert datetime.fromisoformat(modified) == WHEN


def test_submission_times(worksheet):
    assert worksheet.submitted_at("1470034", MOSCOW) == datetime(2024, 2, 29, 9, 7, tzinfo=MOSCOW)
    assert worksheet.submitted_at(UNGRADED, MOSCOW) is None  # "-": no submission
    assert worksheet.submitted_at("1470099", MOSCOW) is None  # not in the worksheet
    assert worksheet.submitted_at(TEACHER_GRADED, timezone.utc) == datetime(2024, 2, 26, 12, 30, tzinfo=timezone.utc)


def test_dates_moodle_may_write():
    assert parse_date("четверг, 29 February 2024, 09:07") == datetime(2024, 2, 29, 9, 7)  # no Russian locale
    assert parse_date("четверг, 29 февраль 2024, 09:07") == datetime(2024, 2, 29, 9, 7)  # glibc < 2.27
    assert parse_date("Thursday, February 29, 2024, 9:07 AM") == datetime(2024, 2, 29, 9, 7)  # en_us
    assert parse_date("Thursday, 29 February 2024, 12:07 AM") == datetime(2024, 2, 29, 0, 7)
    for text in ("-", "", "tomorrow", "Thursday, 30 February 2024, 9:07 AM", "29 Brumaire 2024, 9:07",
                 "Thursday, 29 February 2024, 13:07 PM"):
        assert parse_date(text) is None


def test_an_unreadable_date_is_an_error(tmp_path):
    rows = [list(row) for row in WORKSHEETS["en"]]
    rows[1][7] = "sometime in March"
    sheet = read_worksheet(write_csv(tmp_path / "w.csv", rows))
    with pytest.raises(WorksheetError, match='cannot read the date "sometime in March" of participant 1470034'):
        sheet.submitted_at("1470034", MOSCOW)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_worksheet_of_our_own(language):
    text = worksheet_csv(CLASS[:-1], None, language, comments=lambda g: feedback_comment(g, language))
    header, imported = import_worksheet(text, language, PARTICIPANTS)
    words = LANGUAGES[language]
    assert header == [words.identifier, words.full_name, words.grade, words.max_grade, words.modified_grade,
                      words.comments]
    assert {number: unformat_float(record["grade"], language) for number, record in imported.items()} == {
        int(g.student): g.total for g in CLASS[:-1]}
    rows = load_csv_content(text)[1:]
    assert [row[0] for row in rows] == [words.participant + g.student for g in CLASS[:-1]]
    assert rows[4][1].startswith("'=HYPERLINK")  # a name is never run as a formula
    assert all(datetime.fromisoformat(row[4]) == WHEN for row in rows)
    without = load_csv_content(worksheet_csv(CLASS[:-1], None, language))
    assert words.comments not in without[0]  # no comment column: an empty one would erase Moodle's
    assert worksheet_csv(CLASS, None) is None  # "smith" is no participant id
    assert worksheet_csv([], None) is None


def test_our_own_worksheet_reads_back(tmp_path):
    path = tmp_path / "ours.csv"
    path.write_text(worksheet_csv(CLASS[:-1], None, "ru", comment), encoding="utf-8")
    sheet = read_worksheet(path)
    assert sheet.language == "ru" and sheet.participants() == [g.student for g in CLASS[:-1]]


def test_a_different_maximum_or_a_scale_is_refused(tmp_path):
    rows = [list(row) for row in WORKSHEETS["ru"]]
    for row in rows[1:]:
        row[5] = "10,00"
    sheet = read_worksheet(write_csv(tmp_path / "w.csv", rows))
    with pytest.raises(WorksheetError, match="Moodle's maximum grade is 10,00, the assignment's is 30") as error:
        worksheet_csv(CLASS, sheet)
    assert "\n" not in str(error.value)
    rows[0][5] = "Шкала"
    with pytest.raises(WorksheetError, match="graded on a scale"):
        worksheet_csv(CLASS, read_worksheet(write_csv(tmp_path / "w.csv", rows)))


def test_what_is_not_a_worksheet_is_named_in_one_line(tmp_path):
    gradebook = write_csv(tmp_path / "gradebook.csv", [["student", "total", "max", "percent", "conv1d score"],
                                                       ["1470034", "30.0", "30.0", "100.0", "10.0"]])
    missing = tmp_path / "missing.csv"
    write_csv(missing, [["Identifier", "Full name", "Grade"], ["Participant 1", "A", ""]])
    ragged = write_csv(tmp_path / "ragged.csv", [*WORKSHEETS["en"][:2], ["Participant 2", "B"]])
    stranger = write_csv(tmp_path / "stranger.csv", [WORKSHEETS["ru"][0], ["Иван", *WORKSHEETS["ru"][1][1:]]])
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00I\x00d")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    cases = {
        gradebook: 'columns not found: "Identifier" ("Идентификатор"), "Grade" ("Оценка"), '
                   '"Last modified (grade)" ("Последнее изменение (оценка)")',
        missing: 'columns not found: "Last modified (grade)"',
        ragged: "line 3: 2 cells, but the header has 11",
        stranger: 'line 2: "Иван" is not a participant\'s identifier (Moodle writes "Участник1470034")',
        binary: "not UTF-8 text",
        empty: "columns not found",
        tmp_path / "nowhere.csv": "cannot read",
    }
    for path, message in cases.items():
        with pytest.raises(WorksheetError) as error:
            read_worksheet(path)
        assert str(error.value).endswith(message) or message in str(error.value), str(error.value)
        assert isinstance(error.value, ValueError)
        for language in ("en", "ru"):
            said = error.value.say(language)
            assert "\n" not in said and str(path) in said
    with pytest.raises(WorksheetError) as error:
        read_worksheet(missing)
    assert str(error.value).endswith(cases[missing])  # only what is missing


# --- The feedback comment ----------------------------------------------------------------------

def test_feedback_comment():
    full, partial, late, adjusted, hostile = (feedback_comment(g, "en") for g in CLASS[:5])
    assert full.splitlines() == ["Grade: 30 of 30", "Points per task: conv1d 10/10, conv2d 10/10, pad 10/10",
                                 "All checks passed."]
    assert partial.splitlines()[2] == "To fix first (conv2d): random 1: kernel flipped [wrong_values]"
    assert "secret" not in partial and "42" not in partial  # a hidden check's details stay hidden
    assert late.splitlines()[-1] == "Submitted 2 days late: −20% of the points"
    assert "timeout" not in adjusted and "stopped after the 3 s time limit" in adjusted
    assert adjusted.splitlines()[-1] == "Adjusted by the instructor: +2.5"
    assert "<script>" in hostile  # plain text: worksheet_csv escapes it for Moodle's HTML
    long = feedback_comment(CLASS[1].model_copy(update={"report": report(task("pad", 0, (wrong(LONG),)))}), "en")
    problem = long.splitlines()[2].split("): ", 1)[1]
    assert len(problem) == 200 and problem.endswith("…")
    russian = feedback_comment(CLASS[2], "ru")
    assert "30" in russian and "conv2d" in russian and "bias" in russian and len(russian.splitlines()) == 4


# --- The feedback zip --------------------------------------------------------------------------

def feedback_files(folder: Path) -> Path:
    for g in CLASS:
        target = folder / folder_name(g.student)
        target.mkdir(parents=True)
        (target / "feedback.html").write_text(f"<p>{g.student}</p>", encoding="utf-8")
        (target / "feedback.md").write_text(f"# {g.student}", encoding="utf-8")
        (target / "feedback.json").write_text("{}", encoding="utf-8")  # not handed to Moodle
    return folder


def test_feedback_zip_imports_into_moodle(tmp_path):
    folder = feedback_files(tmp_path / "feedback")
    archive = write_feedback_zip(tmp_path / "feedback.zip", CLASS, folder)
    assert archive == tmp_path / "feedback.zip"
    found: dict[int, set[str]] = {}
    for filepath, filename in moodle_unzip(archive):
        match = is_valid_filename_for_import(filepath, filename, PARTICIPANTS)
        assert match is not None, filepath + filename
        participant, plugin, name = match
        assert plugin == ("assignfeedback", "file")
        found.setdefault(participant, set()).add(name)
    assert found == {number: {"/feedback.html", "/feedback.md"} for number in PARTICIPANTS}
    with zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
        assert names == sorted(names)
        for info in zipped.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert not info.filename.startswith("/") and ".." not in info.filename.split("/")
            assert "\\" not in info.filename and len(info.filename.split("/")) == 2
            student = info.filename.split("_")[-4]
            assert zipped.read(info).decode() in (f"<p>{student}</p>", f"# {student}")
    assert {name.split("/")[0] for name in names} >= {"Иван Петров_1470034_assignfeedback_file_",
                                                      "Иван Петров_1470035_assignfeedback_file_",
                                                      "Seán OBrien_1470036_assignfeedback_file_",
                                                      "Анна Мария Смирнова_1470037_assignfeedback_file_",
                                                      "1470039_1470039_assignfeedback_file_"}
    assert list(tmp_path.glob(".*.tmp")) == []


def test_feedback_zip_is_the_same_for_the_same_feedback(tmp_path):
    folder = feedback_files(tmp_path / "feedback")
    first = write_feedback_zip(tmp_path / "a.zip", CLASS, folder).read_bytes()
    second = write_feedback_zip(tmp_path / "b.zip", list(reversed(CLASS)), folder).read_bytes()
    assert first == second


def test_feedback_zip_needs_participants_with_feedback(tmp_path):
    folder = feedback_files(tmp_path / "feedback")
    assert write_feedback_zip(tmp_path / "none.zip", CLASS[-1:], folder) is None
    assert write_feedback_zip(tmp_path / "none.zip", CLASS, tmp_path / "nowhere") is None
    assert not (tmp_path / "none.zip").exists()


def test_zip_folder_names():
    def named(name: str, student: str = "1470034") -> str:
        return zip_folder(Graded(student=student, name=name, report=CLASS[0].report))
    # clean_filename() as PHP 8.2 runs it on this name (lib/moodlelib.php, PARAM_FILE), spaces then squeezed
    assert named("O'Brien / A\\B & <x> \"q\" `t` | :c Ива́н").startswith("OBrien AB x q t c Ива́н_")
    assert named("a_b__c") == "a b c_1470034_assignfeedback_file_"
    assert named("\u202eevil?*") == "evil_1470034_assignfeedback_file_"
    long = named("Щ" * 300)
    assert len(long.encode()) <= 200 and long.endswith("_1470034_assignfeedback_file_")
    assert is_valid_filename_for_import(f"/import/{long}/", "feedback.md", {1470034})[0] == 1470034


def test_anonymous_leaves_names_out_of_the_worksheet_and_the_zip(tmp_path):
    participants = [g for g in CLASS if g.student.isdigit()]
    rows = load_csv_content(worksheet_csv(participants, None, "en", anonymous=True))[1:]
    assert all(row[1] == "" for row in rows)
    for g in participants:
        folder = tmp_path / "feedback" / folder_name(g.student)
        folder.mkdir(parents=True)
        (folder / "feedback.html").write_text("<p>ok</p>", encoding="utf-8")
    with zipfile.ZipFile(write_feedback_zip(tmp_path / "feedback.zip", participants, tmp_path / "feedback",
                                            anonymous=True)) as zipped:
        names = zipped.namelist()
    assert names and all(name.startswith(f"{name.split('_')[1]}_{name.split('_')[1]}_") for name in names)
    assert not any("Иван" in name or "O'Brien" in name or "OBrien" in name for name in names)
