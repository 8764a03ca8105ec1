"""Render a report for people (text, Markdown, HTML) or programs (JSON); the report stays data."""
from __future__ import annotations

import html
import os
import re
import secrets
import textwrap
from pathlib import Path

from .results import CheckResult, Report, TaskResult

MAX_FAILURES_SHOWN = 8
_COLOURS = {"passed": "32", "partial": "33", "failed": "31", "not_implemented": "90",
            "error": "31", "timeout": "31", "forbidden": "35"}


# control characters (ANSI escapes included) and the bidirectional overrides that reorder what is shown
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("\r\n|[\t\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_MD_BLOCK_START = re.compile(r"^([#>+*=`~-])|^(\d+)([.)])")


def clean(value: object) -> str:
    """One line without control characters: text a child or a submission wrote cannot forge report lines."""
    return _CONTROL.sub("", _LINE_BREAKS.sub(" ", str(value)))


def _md(value: object) -> str:
    """Markdown text that can neither leave its table cell or list item nor start a block."""
    text = html.escape(clean(value).strip(), quote=False).replace("|", "\\|")
    return _MD_BLOCK_START.sub(lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}", text)


def _html(value: object) -> str:
    return html.escape(clean(value))


def student_view(report: Report) -> Report:
    """The report without the details of hidden checks."""
    def hide(check: CheckResult) -> CheckResult:
        return check.model_copy(update={"message": "hidden check", "diagnosis": None}) if check.hidden else check
    tasks = tuple(t.model_copy(update={"checks": tuple(hide(c) for c in t.checks)}) for t in report.tasks)
    return report.model_copy(update={"tasks": tasks})


def render(report: Report, fmt: str = "text", colour: bool = False, columns: int | None = None) -> str:
    return {"text": lambda r: text(r, colour, columns), "json": as_json, "markdown": markdown,
            "html": as_html}[fmt](report)


def as_json(report: Report) -> str:
    return report.model_dump_json(indent=2)


def _failure_lines(task: TaskResult) -> list[str]:
    """What to tell the student about one task, one line each."""
    if task.status == "not_implemented":
        return ["not attempted yet"]
    lines = [clean(task.problem)] if task.problem else []
    groups: dict[tuple[str, str | None], list[CheckResult]] = {}  # one example per diagnosis and device
    for check in task.checks:
        if not check.passed and check.diagnosis != "not_run" and not (task.problem and check.message.endswith(task.problem)):
            groups.setdefault((check.device, check.diagnosis), []).append(check)
    for (device, diagnosis), checks in list(groups.items())[:MAX_FAILURES_SHOWN]:
        where = f"[{device}] " if device not in ("cpu", "-") else ""
        code = f" [{diagnosis}]" if diagnosis else ""
        more = f" (and {len(checks) - 1} more {'check' if len(checks) == 2 else 'checks'} like this)" \
            if len(checks) > 1 else ""
        lines.append(clean(f"{where}{checks[0].name}: {checks[0].message}{code}{more}"))
    if len(groups) > MAX_FAILURES_SHOWN:
        lines.append(f"... and {len(groups) - MAX_FAILURES_SHOWN} more kinds of failure")
    return lines


def _review_lines(report: Report) -> list[str]:
    """Places that reach into the grader, for a person to look at (they cost no points)."""
    lines = [clean(f"{flag.where}: {flag.what}: {flag.line}") for flag in report.review[:MAX_FAILURES_SHOWN]]
    if len(report.review) > MAX_FAILURES_SHOWN:
        lines.append(f"... and {len(report.review) - MAX_FAILURES_SHOWN} more")
    return lines


REVIEW_TITLE = "For review (not scored): code that reaches into the grader"


def _by_group(task: TaskResult) -> str:
    """Each group's points, e.g. `results 12.4/14 · argument checks 0/2`."""
    return " · ".join(f"{g.name} {g.points:g}/{g.max_points:g}" for g in task.groups)


def _passed(task: TaskResult) -> str:
    return f"{sum(c.passed for c in task.checks)}/{len(task.checks)}"


def _item(line: str, columns: int | None) -> list[str]:
    """One item under a task, wrapped to the terminal's width where it is known."""
    if not columns:
        return [f"      - {line}"]
    return textwrap.wrap(line, max(40, columns - 1), initial_indent="      - ", subsequent_indent="        ",
                         break_on_hyphens=False)


def text(report: Report, colour: bool = False, columns: int | None = None) -> str:
    def paint(value: str, status: str) -> str:
        return f"\x1b[{_COLOURS[status]}m{value}\x1b[0m" if colour else value

    width = max([len(clean(t.name)) for t in report.tasks] + [4])
    out = [f"{clean(report.assignment)}: {clean(report.submission)}", "",
           f"  {'task':<{width}}  {'status':<15}  {'checks':>7}  {'score':>11}"]
    for task in report.tasks:
        out.append(f"  {clean(task.name):<{width}}  {paint(f'{task.status:<15}', task.status)}  "
                   f"{_passed(task):>7}  {task.score:>5g} / {task.max_score:<3g}")
        if task.score < task.max_score and len(task.groups) > 1:
            out.append(f"      {_by_group(task)}")
        out += [wrapped for line in _failure_lines(task) for wrapped in _item(line, columns)]
    percent = 100 * report.score / report.max_score if report.max_score else 0.0
    out += ["", f"  Total: {report.score:g} / {report.max_score:g} ({percent:.1f}%) "
                f"in {report.duration_s:.1f} s"]
    if report.review:
        out += ["", f"  {REVIEW_TITLE}:"] + [wrapped for line in _review_lines(report) for wrapped in _item(line, columns)]
    return "\n".join(out) + "\n"


def markdown(report: Report) -> str:
    out = [f"# {_md(report.assignment)}: {report.score:g} / {report.max_score:g}", "",
           f"Submission: `{clean(report.submission).replace('`', chr(39))}`", "",
           "| task | status | checks | score | by group |", "|---|---|---|---|---|"]
    out += [f"| {_md(t.name)} | {t.status} | {_passed(t)} | {t.score:g} / {t.max_score:g} | {_md(_by_group(t))} |"
            for t in report.tasks]
    for task in report.tasks:
        lines = _failure_lines(task)
        if lines:
            out += ["", f"## {_md(task.name)}", ""] + [f"- {_md(line)}" for line in lines]
    if report.review:
        out += ["", f"## {REVIEW_TITLE}", ""] + [f"- {_md(line)}" for line in _review_lines(report)]
    return "\n".join(out) + "\n"


def as_html(report: Report) -> str:
    esc = _html
    rows = "".join(f"<tr><td>{esc(t.name)}</td><td>{esc(t.status)}</td><td>{_passed(t)}</td>"
                   f"<td>{t.score:g} / {t.max_score:g}</td><td>{esc(_by_group(t))}</td></tr>" for t in report.tasks)
    details = "".join(f"<h2>{esc(t.name)}</h2><ul>" + "".join(f"<li>{esc(l)}</li>" for l in _failure_lines(t))
                      + "</ul>" for t in report.tasks if _failure_lines(t))
    if report.review:
        details += f"<h2>{esc(REVIEW_TITLE)}</h2><ul>" + "".join(
            f"<li>{esc(line)}</li>" for line in _review_lines(report)) + "</ul>"
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(report.assignment)}</title></head>"
            f"<body><h1>{esc(report.assignment)}: {report.score:g} / {report.max_score:g}</h1>"
            f"<p>Submission: <code>{esc(report.submission)}</code></p>"
            f"<table border='1'><tr><th>task</th><th>status</th><th>checks</th><th>score</th><th>by group</th></tr>{rows}</table>"
            f"{details}</body></html>\n")


def write_report(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all, replacing a symbolic link there rather than following it."""
    path = Path(path)
    temporary = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)  # renames over a link or a file: never writes through a link
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
