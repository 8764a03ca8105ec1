"""Render a report for people (text, Markdown, HTML) or programs (JSON); the report stays data."""
from __future__ import annotations

import functools
import html
import importlib.resources
import json
import os
import re
import secrets
import textwrap
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

import markupsafe

from grader.engine import files
from grader.i18n import N_, Message, message, number, percent, pieces, say, say_n
from grader.results import CheckResult, Report, Said, TaskResult

if TYPE_CHECKING:
    import jinja2

MAX_FAILURES_SHOWN = 8
_COLOURS = {"passed": "32", "partial": "33", "failed": "31", "not_implemented": "90",
            "error": "31", "timeout": "31", "forbidden": "35"}
# What people read for a status and a group of checks; JSON keeps the identifiers.
STATUS_NAMES = {"passed": N_("passed"), "partial": N_("partial"), "failed": N_("failed"),
                "not_implemented": N_("not_implemented"), "error": N_("error"), "timeout": N_("timeout"),
                "forbidden": N_("forbidden")}
GROUP_NAMES = {"results": N_("results"), "edge cases": N_("edge cases"), "argument checks": N_("argument checks")}


# control characters (ANSI escapes included) and the bidirectional overrides that reorder what is shown
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("\r\n|[\t\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_MD_BLOCK_START = re.compile(r"^([#>+*=`~-])|^(\d+)([.)])")
_MD_INLINE = re.compile(r"[\[\]!`*_~\\]")  # links, images, code, emphasis; bare URLs, www. and e-mail below


def clean(value: object) -> str:
    """One line without control characters: text a child or a submission wrote cannot forge report lines."""
    return _CONTROL.sub("", _LINE_BREAKS.sub(" ", str(value)))


def _md(value: object) -> str:
    """Markdown text that can neither leave its table cell or list item, start a block, nor make a
    link or an image (a message may quote what student code wrote)."""
    text = _MD_INLINE.sub(lambda m: "\\" + m.group(0), html.escape(clean(value).strip(), quote=False))
    text = text.replace("|", "\\|").replace("://", ":\\/\\/").replace("www.", "www\\.").replace("@", "\\@")
    return _MD_BLOCK_START.sub(lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}", text)


def said(value: Said | None, language: str) -> str:
    """A message of a report in `language`; text (a report written before messages were data) as it is."""
    if value is None:
        return ""
    return say(language, value) if isinstance(value, Message) else value


def _scrubbed(value: Said, scrub) -> Said:
    """A message with `scrub` applied to the text it quotes (paths the student must not learn): its
    fields and untranslated texts, never its catalog keys."""
    if isinstance(value, str):
        return scrub(value)

    def field(part):
        if isinstance(part, list):
            return [_scrubbed(one, scrub) for one in part]
        return _scrubbed(part, scrub) if isinstance(part, (str, Message)) else part
    key = scrub(value.key) if value.kind == "plain" else value.key
    return value.model_copy(update={"key": key, "fields": {name: field(part) for name, part in value.fields.items()}})


def student_view(report: Report) -> Report:
    """The report without the details of hidden checks (that one is not attempted yet is no detail)."""
    def hide(check: CheckResult) -> CheckResult:
        if not check.hidden:
            return check
        diagnosis = check.diagnosis if check.diagnosis == "not_implemented" else None
        return check.model_copy(update={"message": message("hidden check"), "call": None,
                                        "diagnosis": diagnosis, "expected": None,
                                        "got": None, "wrong": None, "values_at": ""})
    tasks = tuple(t.model_copy(update={"checks": tuple(hide(c) for c in t.checks)}) for t in report.tasks)
    return report.model_copy(update={"tasks": tasks})


def handed_back(report: Report) -> Report:
    """What a student gets back from an instructor's grading: `student_view`, less what only the
    instructor may know: the seed (derived from the course's secret one), the course folder and
    the grader's own folders (also where the student's code printed them, having seen them in the
    jail), where the grader kept the submission (its last name stays), and the time of the hidden
    cases (the report's time is that of its tasks' public cases)."""
    shown = student_view(report)

    def scrub(text: str) -> str:
        if len(report.course) > 1:
            text = text.replace(report.course, "<course>")
        return _GRADER_FOLDERS.sub("<grader>", text)
    tasks = tuple(task.model_copy(update={
        "problem": _scrubbed(task.problem, scrub) if task.problem else task.problem,
        "checks": tuple(check.model_copy(update={"message": _scrubbed(check.message, scrub),
                                                 "call": check.call and _scrubbed(check.call, scrub)})
                        for check in task.checks)})
        for task in shown.tasks)
    review = tuple(flag.model_copy(update={"line": scrub(flag.line), "where": _scrubbed(flag.where, scrub)})
                   for flag in shown.review)
    return shown.model_copy(update={"seed": None, "course": "", "submission": PurePath(report.submission).name,
                                    "tasks": tasks, "review": review,
                                    "duration_s": round(sum(task.duration_s for task in tasks), 3)})


# the grader's temporary folders (tempfile's grade-*, grade-batch-*, grade-zygote-*, ...) wherever they are
_GRADER_FOLDERS = re.compile(r"\S*/(?:grade|submission|root)-[A-Za-z0-9_-]*[A-Za-z0-9_]{8}\S*")


@dataclass(frozen=True)
class Handback:
    """What an instructor's batch adds to a report it hands back: whom it is for and, where the
    instructor decided something on top of grading (a late penalty, adjustments), the final grade
    and each decision in the reader's words."""

    student: str = ""
    total: float | None = None
    decisions: tuple[str, ...] = ()


def render(report: Report, fmt: str = "text", colour: bool = False, columns: int | None = None,
           verbose: bool = False, handback: Handback = Handback(), language: str | None = None) -> str:
    """The report as text, JSON, Markdown or HTML; `handback` shows in the last three; people's
    formats in `language`, by default the report's (its messages are data: either reads)."""
    return {"text": lambda r: text(r, colour, columns, verbose, language), "json": lambda r: as_json(r, handback),
            "markdown": lambda r: markdown(r, handback, language),
            "html": lambda r: as_html(r, handback, language)}[fmt](report)


def as_json(report: Report, handback: Handback = Handback()) -> str:
    if handback == Handback():
        return report.model_dump_json(indent=2)
    data = json.loads(report.model_dump_json())
    data["handback"] = {"student": handback.student, "total": handback.total, "decisions": list(handback.decisions)}
    return json.dumps(data, indent=2, ensure_ascii=False)


def _kinds(task: TaskResult, not_run: bool = False) -> list[list[CheckResult]]:
    """The task's failing checks by kind (device and diagnosis), in order; those the problem line
    already tells, and (unless `not_run`) those that never ran, left out."""
    groups: dict[tuple[str, str | None], list[CheckResult]] = {}
    for check in task.checks:
        if not check.passed and (not_run or check.diagnosis != "not_run") \
                and not (task.problem and check.message == task.problem):
            groups.setdefault((check.device, check.diagnosis), []).append(check)
    return list(groups.values())


def _more(count: int, language: str) -> str:
    return say_n(language, "and {count} more check like this", "and {count} more checks like this", count)


def _name(check: CheckResult, language: str) -> str:
    return said(check.label, language) if check.label is not None else check.name


def _check_line(check: CheckResult, language: str, more: int = 0) -> str:
    where = f"[{check.device}] " if check.device not in ("cpu", "-") else ""
    code = f" [{check.diagnosis}]" if check.diagnosis else ""
    call = f"{said(check.call, language)}: " if check.call is not None else ""
    return clean(f"{where}{_name(check, language)}: {call}{said(check.message, language)}{code}"
                 + (f" ({_more(more, language)})" if more else ""))


def failure_lines(task: TaskResult, verbose: bool = False, language: str = "en") -> list[str]:
    """What to tell the student about one task, one line each: one example per kind of failure,
    or with `verbose` every failing check."""
    if task.status == "not_implemented":
        return [say(language, "not attempted yet")]
    lines = [clean(said(task.problem, language))] if task.problem else []
    kinds = _kinds(task)
    if verbose:
        return lines + [_check_line(check, language) for checks in kinds for check in checks]
    lines += [_check_line(checks[0], language, len(checks) - 1) for checks in kinds[:MAX_FAILURES_SHOWN]]
    if len(kinds) > MAX_FAILURES_SHOWN:
        lines.append(say_n(language, "... and {count} more kind of failure", "... and {count} more kinds of failure",
                           len(kinds) - MAX_FAILURES_SHOWN))
    return lines


def _review_lines(report: Report, verbose: bool = False, language: str | None = None) -> list[str]:
    """Places that reach into the grader, for a person to look at (they cost no points)."""
    shown = report.review if verbose else report.review[:MAX_FAILURES_SHOWN]
    language = language or report.environment.language
    lines = [clean(f"{said(flag.where, language)}: {said(flag.what, language)}: {flag.line}") for flag in shown]
    if report.review_count > len(shown):
        lines.append(say_n(language, "... and {count} more", "... and {count} more",
                           report.review_count - len(shown)))
    return lines


REVIEW_TITLE = N_("For review (not scored): code that reaches into the grader")


def _withheld(report: Report, language: str | None = None) -> str:
    count = sum(task.withheld for task in report.tasks)
    return say_n(language or report.environment.language,
                 "{count} hidden check did not run here: it counts only when your instructor grades, so this "
                 "score is a preview.",
                 "{count} hidden checks did not run here: they count only when your instructor grades, so this "
                 "score is a preview.", count) if count else ""


def _by_group(task: TaskResult, language: str) -> str:
    """Each group's points, e.g. `results 12.4/14 · argument checks 0/2`."""
    return " · ".join(f"{say(language, GROUP_NAMES.get(g.name, g.name))} "
                      f"{number(language, g.points, 'g')}/{number(language, g.max_points, 'g')}"
                      for g in task.groups)


def _status(status: str, language: str) -> str:
    return say(language, STATUS_NAMES[status])


def _passed(task: TaskResult) -> str:
    return f"{sum(c.passed for c in task.checks)}/{len(task.checks)}"


def _wrap(line: str, columns: int | None, first: str, rest: str) -> list[str]:
    """A line with a hanging indent, wrapped to `columns` where it is given."""
    if not columns:
        return [f"{first}{line}"]
    return textwrap.wrap(line, max(40, columns - 1), initial_indent=first, subsequent_indent=rest,
                         break_on_hyphens=False)


def _item(line: str, columns: int | None) -> list[str]:
    """One item under a task."""
    return _wrap(line, columns, "      - ", "        ")


def text(report: Report, colour: bool = False, columns: int | None = None, verbose: bool = False,
         language: str | None = None) -> str:
    def paint(value: str, status: str) -> str:
        return f"\x1b[{_COLOURS[status]}m{value}\x1b[0m" if colour else value

    language = language or report.environment.language
    width = max([len(clean(t.name)) for t in report.tasks] + [len(say(language, "task"))])
    status_width = max([len(_status(t.status, language)) for t in report.tasks] + [15])
    out = [*_wrap(f"{_heading(report, language)}: {clean(report.submission)}", columns, "", "  "),
           *[wrapped for note in report.notes for wrapped in _wrap(f"! {clean(said(note, language))}", columns, "  ",
                                                                   "    ")], "",
           f"  {say(language, 'task'):<{width}}  {say(language, 'status'):<{status_width}}  "
           f"{say(language, 'checks'):>7}  {say(language, 'score'):>11}"]
    for task in report.tasks:
        out.append(f"  {clean(task.name):<{width}}  {paint(f'{_status(task.status, language):<{status_width}}', task.status)}  "
                   f"{_passed(task):>7}  {number(language, task.score, 'g'):>5} / "
                   f"{number(language, task.max_score, 'g'):<3}")
        if task.score < task.max_score and len(task.groups) > 1:
            out += _wrap(_by_group(task, language), columns, "      ", "        ")
        out += [wrapped for line in failure_lines(task, verbose, language) for wrapped in _item(line, columns)]
    share = 100 * report.score / report.max_score if report.max_score else 0.0
    out += ["", "  " + say(language, "Total: {score} / {max_score} ({percent}%) in {seconds} s",
                           score=number(language, report.score, "g"), max_score=number(language, report.max_score, "g"),
                           percent=number(language, share, ".1f"), seconds=number(language, report.duration_s, ".1f"))]
    if withheld := _withheld(report, language):
        out += _wrap(withheld, columns, "  ", "  ")
    if report.review:
        out += ["", f"  {say(language, REVIEW_TITLE)}:"] + [wrapped for line in _review_lines(report, verbose, language)
                                             for wrapped in _item(line, columns)]
    return "\n".join(out) + "\n"


def heading(assignment: str, title: Said, language: str) -> str:
    """The assignment as headings name it: `assignment1 (Convolution)`."""
    title = said(title, language)
    return f"{clean(assignment)} ({clean(title)})" if title else clean(assignment)


def _heading(report: Report, language: str | None = None) -> str:
    return heading(report.assignment, report.title, language or report.environment.language)


def markdown(report: Report, handback: Handback = Handback(), language: str | None = None) -> str:
    language = language or report.environment.language
    heads = [say(language, head) for head in (N_("task"), N_("status"), N_("checks"), N_("score"), N_("by group"))]
    total = report.score if handback.total is None else handback.total
    out = [f"# {_md(_heading(report, language))}: {number(language, total, 'g')} / {number(language, report.max_score, 'g')}", ""]
    if handback.student:
        out += [f"{say(language, 'Student:')} {_md(handback.student)}", ""]
    out += [f"{say(language, 'Submission:')} `{clean(report.submission).replace('`', chr(39))}`", ""]
    out += [f"> {_md(said(note, language))}" for note in report.notes] + ([""] if report.notes else [])
    if handback.decisions:
        out += [_graded_then(report, language), ""] + [f"- {_md(line)}" for line in handback.decisions] + [""]
    out += [f"| {' | '.join(heads)} |", "|---|---|---|---|---|"]
    out += [f"| {_md(t.name)} | {_status(t.status, language)} | {_passed(t)} | "
            f"{number(language, t.score, 'g')} / {number(language, t.max_score, 'g')} | "
            f"{_md(_by_group(t, language))} |" for t in report.tasks]
    for task in report.tasks:
        lines = failure_lines(task, language=language)
        if lines:
            out += ["", f"## {_md(task.name)}", ""] + [f"- {_md(line)}" for line in lines]
    if withheld := _withheld(report, language):
        out += ["", withheld]
    if report.review:
        out += ["", f"## {say(language, REVIEW_TITLE)}", ""] + [f"- {_md(line)}" for line in _review_lines(report, language=language)]
    return "\n".join(out) + "\n"


def _shown(value: object) -> object:
    return clean(value) if isinstance(value, str) and not isinstance(value, markupsafe.Markup) else value


@functools.lru_cache(maxsize=None)
def template(name: str, language: str) -> jinja2.Template:
    """A page template of grader/templates, its `_()` and `ngettext()` in `language`."""
    import jinja2  # only when a page is rendered: the text report starts faster

    from grader.i18n import translation
    source = importlib.resources.files("grader").joinpath(f"templates/{name}").read_text(encoding="utf-8")
    # finalize: every value the page shows loses control characters and bidi overrides, then is
    # escaped; Markup is only ever the template's own macros' output, already escaped
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                                     lstrip_blocks=True, finalize=_shown, extensions=["jinja2.ext.i18n"])
    # the method is added by the jinja2.ext.i18n extension: jinja2's types do not declare it
    environment.install_gettext_translations(translation(language), newstyle=True)  # type: ignore[attr-defined]
    # numbers the page shows to people, as `language` writes them; style widths keep Python's
    environment.filters["number"] = functools.partial(number, language)
    environment.filters["percent"] = functools.partial(percent, language)
    return environment.from_string(source)


def _percent(score: float, max_score: float) -> float:
    return 100 * score / max_score if max_score else 100.0


def _tone(percent: float) -> str:
    """The status whose colour a percentage takes."""
    return "passed" if percent >= 100 else "failed" if percent <= 0 else "partial"


def _cell(value: object) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _matrices(check: CheckResult) -> dict | None:
    """The side-by-side values of a small wrong tensor, as rows of (text, wrong) cells."""
    if check.expected is None or check.got is None or check.wrong is None:
        return None
    def rows(values: list) -> list[list]:
        return values if values and isinstance(values[0], list) else [values]
    try:
        expected, got, wrong = rows(check.expected), rows(check.got), rows(check.wrong)
        tables = {name: [[(_cell(v), bool(w)) for v, w in zip(row, marks)] for row, marks in zip(values, wrong)]
                  for name, values in (("expected", expected), ("got", got))}
    except (TypeError, IndexError):  # a report read back from JSON someone edited: show the message alone
        return None
    cells = [text for table in tables.values() for row in table for text, _ in row]
    return {**tables, "at": check.values_at, "columns": max(len(row) for row in expected),
            "width": max(map(len, cells), default=1),
            "wrong": sum(map(bool, (w for row in wrong for w in row))), "total": sum(len(row) for row in expected)}


def _check_view(check: CheckResult, language: str) -> dict:
    shown = pieces(language, check.message) if isinstance(check.message, Message) else [(check.message, False)]
    return {"name": _name(check, language), "device": check.device if check.device not in ("cpu", "-") else "",
            "diagnosis": check.diagnosis, "call": said(check.call, language), "message": shown,
            "matrices": _matrices(check)}


def _task_view(task: TaskResult, language: str) -> dict:
    kinds = [] if task.status == "not_implemented" else _kinds(task, not_run=True)
    return {"task": task, "passed": _passed(task), "percent": _percent(task.score, task.max_score),
            "problem": said(task.problem, language) or None, "status": _status(task.status, language),
            "groups": [(say(language, GROUP_NAMES.get(g.name, g.name)), g) for g in task.groups],
            "kinds": [{"first": _check_view(checks[0], language), "others": [_check_view(c, language) for c in checks[1:]],
                       "more": _more(len(checks) - 1, language)} for checks in kinds]}


def _graded_then(report: Report, language: str | None = None) -> str:
    language = language or report.environment.language
    return say(language, "Graded: {score} / {max}; then:", score=number(language, report.score, "g"),
               max=number(language, report.max_score, "g"))


def as_html(report: Report, handback: Handback = Handback(), language: str | None = None) -> str:
    """A self-contained page: styles inline, no scripts, nothing fetched."""
    language = language or report.environment.language
    total = report.score if handback.total is None else handback.total
    percent = _percent(total, report.max_score)
    return template("report.html", language).render(
        report=report, heading=_heading(report, language), total=total, handback=handback,
        graded_then=_graded_then(report, language), notes=[said(note, language) for note in report.notes],
        tasks=[_task_view(t, language) for t in report.tasks], percent=percent, tone=_tone(percent),
        review_title=say(language, REVIEW_TITLE), review_more=say_n(language, "... and {count} more", "... and {count} more",
                                                                    report.review_omitted),
        withheld=_withheld(report, language), language=language,
        review=[{"where": said(flag.where, language), "what": said(flag.what, language), "line": flag.line}
                for flag in report.review])


def write_report(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all, replacing a symbolic link there rather than following it."""
    path = Path(path)
    temporary = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = files.create_new(temporary)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)  # renames over a link or a file: never writes through a link
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
