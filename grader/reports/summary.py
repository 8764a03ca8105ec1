"""A class's results on one self-contained HTML page for the instructor: scores, charts, what the
class gets wrong and who, each student's problems on one row, and every student linked to their
feedback page (feedback/<folder>/feedback.html, beside the page in RESULTS).

Students are shown by name, or by id with `anonymous` (Moodle's blind marking); two students of
the same name are told apart by their ids. Totals are the final grades (`Graded.total`: after the
late penalty and the instructor's adjustments); the per-task numbers are what grading found.
"""
from __future__ import annotations

import base64
import io
import statistics
from collections import Counter
from urllib.parse import quote

from grader.i18n import number, say, say_n
from grader.reports.classbook import Graded
from grader.reports.feedback import folder_name
from grader.reports.gradebook import failed_whole
from grader.reports import render
from grader.reports.render import STATUS_NAMES, clean, template
from grader.results import Report

TOP_DIAGNOSES = 6
MAX_MESSAGE = 240
PROBLEMS = ("timeout", "error", "forbidden")  # the statuses that stopped a task as a whole, in the page's order


def _short(text: object) -> str:
    text = clean(text)
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 1] + "…"


def _status(status: str, language: str) -> str:
    return say(language, STATUS_NAMES[status]) if status in STATUS_NAMES else status


def _svg(figure) -> str:
    """A figure as a data: URI: self-contained, sharp at any zoom, and no ids to clash between charts."""
    out = io.BytesIO()
    figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _charts(totals: list[float], max_score: float, rows: list[dict], language: str) -> dict[str, str]:
    """The score histogram and the per-task chart, labelled in `language`; matplotlib is imported
    here, as few pages need it."""
    # Figure, not pyplot: no GUI backend to choose and no global state (Agg-like, headless)
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    # text as paths: the SVG needs no fonts where it is viewed, and holds no text to escape
    with rc_context({"svg.fonttype": "path", "svg.hashsalt": "summary", "font.size": 10,
                     "axes.spines.top": False, "axes.spines.right": False}):
        figure = Figure(figsize=(6.4, 2.8))
        axes = figure.subplots()
        top = max_score or max(totals, default=0) or 1
        axes.hist(totals, bins=10, range=(0, top), color="#3b6ea8", edgecolor="white")
        axes.set_xlim(0, top)
        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: number(language, value, "g")))  # 2,5 in Russian
        axes.set_xlabel(say(language, "total points (of {top})", top=number(language, top, "g")))
        axes.set_ylabel(say(language, "students"))
        locator = axes.yaxis.get_major_locator()  # an AutoLocator, which is a MaxNLocator
        if isinstance(locator, MaxNLocator):
            locator.set_params(integer=True)
        histogram = _svg(figure)

        figure = Figure(figsize=(6.4, 0.5 + 0.45 * max(len(rows), 1)))
        axes = figure.subplots()
        names = [row["name"] for row in rows][::-1]
        positions = range(len(names))
        mean = [row["mean_percent"] for row in rows][::-1]
        passed = [row["pass_rate"] for row in rows][::-1]
        axes.barh([p + 0.2 for p in positions], mean, height=0.4, color="#3b6ea8",
                   label=say(language, "mean score (percent of points)"))
        axes.barh([p - 0.2 for p in positions], passed, height=0.4, color="#7fb77e",
                   label=say(language, "passed (percent of students)"))
        axes.set_yticks(list(positions), names)
        axes.set_xlim(0, 100)
        axes.set_xlabel("%")
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35 if len(rows) > 3 else -0.6), ncol=2,
                    frameon=False)
        tasks = _svg(figure)
    return {"histogram": histogram, "tasks": tasks}


def _people(graded: list[Graded], anonymous: bool) -> dict[str, dict]:
    """How the page shows each student (by id): the label, whether it is an id (which never wraps),
    the id again where another student has the same name, and the link to the feedback page."""
    labels = Counter(g.label(anonymous) for g in graded)
    people = {}
    for g in graded:
        label = g.label(anonymous)
        is_id = label == g.student
        people[g.student] = {"id": g.student, "label": label, "is_id": is_id,
                             "twin": not is_id and labels[label] > 1,
                             "href": f"feedback/{quote(folder_name(g.student), safe='')}/feedback.html"}
    return people


def _order(who: dict) -> tuple[str, str]:
    """Students in the order of their labels (ids apart for a shared name)."""
    return who["label"].casefold(), who["id"]


def _task_rows(graded: list[Graded], people: dict[str, dict], language: str) -> list[dict]:
    """Per task: mean score, pass rate, statuses, and the diagnoses with the students who have them."""
    rows = []
    for name in dict.fromkeys(t.name for g in graded for t in g.report.tasks):  # the spec's order
        results = [(g, t) for g in graded for t in g.report.tasks if t.name == name]
        max_score = results[0][1].max_score
        mean = statistics.fmean(t.score for _, t in results)
        students: dict[str, list[dict]] = {}  # per diagnosis, each student once however many checks
        examples: dict[str, str] = {}
        for g, task in results:
            failing = [(c.diagnosis, c) for c in task.checks
                       if not c.passed and c.diagnosis is not None and c.diagnosis != "not_run"]
            for diagnosis, check in failing:
                label = render.said(check.label, language) if check.label else check.name
                examples.setdefault(diagnosis, f"{label}: {render.said(check.message, language)}")
            for code in dict.fromkeys(diagnosis for diagnosis, _ in failing):
                students.setdefault(code, []).append(people[g.student])
        frequent = sorted(students.items(), key=lambda item: -len(item[1]))  # stable: first seen first
        rows.append({
            "name": name, "max_score": max_score, "mean": mean, "students": len(results),
            "mean_percent": 100 * mean / max_score if max_score else 0.0,
            "pass_rate": 100 * sum(t.status == "passed" for _, t in results) / len(results),
            "statuses": [(status, _status(status, language), count)
                         for status, count in Counter(t.status for _, t in results).most_common()],
            "diagnoses": [{"code": code, "count": len(who), "example": _short(examples[code]), "students": who}
                          for code, who in frequent[:TOP_DIAGNOSES]],
            "more_diagnoses": max(0, len(frequent) - TOP_DIAGNOSES),
        })
    return rows


def _problem_lines(report: Report, language: str) -> list[dict]:
    """A report's timeouts, crashes and forbidden calls: one line per kind and message, with its
    tasks (none where nothing could be graded: all tasks)."""
    whole = failed_whole(report, language)
    if whole:
        return [{"status": "error", "label": _status("error", language), "tasks": [], "problem": _short(whole)}]
    tasks: dict[tuple[str, str], list[str]] = {}
    for task in report.tasks:
        if task.status in PROBLEMS:
            tasks.setdefault((task.status, _short(render.said(task.problem, language))), []).append(task.name)
    return [{"status": status, "label": _status(status, language), "tasks": names, "problem": problem}
            for (status, problem), names in sorted(tasks.items(), key=lambda item: PROBLEMS.index(item[0][0]))]


def _notes(g: Graded, language: str) -> list[str]:
    """What changed a student's grade after grading: a late penalty, the instructor's adjustments."""
    notes = []
    if g.penalty:
        notes.append(say_n(language, "{count} day late: −{penalty}%", "{count} days late: −{penalty}%",
                           g.late_days, penalty=number(language, g.penalty, "g")))
    if g.adjustments:
        points = number(language, g.adjustment, "+g").replace("-", "−")  # the minus sign, as in the penalty
        notes.append(say(language, "adjusted by the instructor: {points}", points=points))
    return notes


def render_summary(assignment_title: str, graded: list[Graded], language: str | None = None,
                   anonymous: bool = False) -> str:
    """The class summary as one HTML page (inline CSS and charts, no external resources), in
    `language`: by default the reports' own (the batch's), else English.

    For the instructor only: it names students (or, `anonymous`, shows their ids alone) and counts
    the diagnoses of hidden checks too."""
    language = language or (graded[0].report.environment.language if graded else "en")
    people = _people(graded, anonymous)
    graded = sorted(graded, key=lambda g: _order(people[g.student]))  # every list of students in this order
    totals = [g.total for g in graded]
    max_score = max((g.max_score for g in graded), default=0.0)
    rows = _task_rows(graded, people, language)
    problems = [{"who": people[g.student], "lines": _problem_lines(g.report, language)} for g in graded]
    return template("summary.html", language).render(
        language=language, title=clean(assignment_title), students=len(graded), max_score=max_score,
        anonymous=anonymous, mean=statistics.fmean(totals) if totals else 0.0,
        median=statistics.median(totals) if totals else 0.0,
        lowest=min(totals, default=0.0), highest=max(totals, default=0.0),
        charts=_charts(totals, max_score, rows, language) if graded else None, tasks=rows,
        problems=[p for p in problems if p["lines"]],
        review=[{"who": people[g.student], "where": render.said(flag.where, language),
                 "what": render.said(flag.what, language), "line": _short(flag.line)}
                for g in graded for flag in g.report.review],
        roster=[{"who": people[g.student], "total": g.total, "max_score": g.max_score,
                 "percent": 100 * g.total / g.max_score if g.max_score else 0.0, "notes": _notes(g, language)}
                for g in graded])
