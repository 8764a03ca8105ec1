"""A class's results on one self-contained HTML page for the instructor: scores, charts, common mistakes, problems."""
from __future__ import annotations

import base64
import io
import statistics
from collections import Counter

from .gradebook import failed_whole, task_names
from .i18n import say
from .report import STATUS_NAMES, clean, template
from .results import Report

TOP_DIAGNOSES = 6
MAX_MESSAGE = 240


def _short(text: object) -> str:
    text = clean(text)
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 1] + "…"


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

    # text as paths: the SVG needs no fonts where it is viewed, and holds no text to escape
    style = {"svg.fonttype": "path", "svg.hashsalt": "summary", "font.size": 10,
             "axes.spines.top": False, "axes.spines.right": False}
    with rc_context(style):
        figure = Figure(figsize=(6.4, 2.8))
        axes = figure.subplots()
        top = max_score or max(totals, default=0) or 1
        axes.hist(totals, bins=10, range=(0, top), color="#3b6ea8", edgecolor="white")
        axes.set_xlim(0, top)
        axes.set_xlabel(say(language, "total points (of {top})", top=format(top, "g")))
        axes.set_ylabel(say(language, "students"))
        axes.yaxis.get_major_locator().set_params(integer=True)
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


def _task_rows(entries: list[tuple[str, Report]], language: str) -> list[dict]:
    """Per task: mean score, pass rate, statuses, and the diagnoses counted once per student."""
    rows = []
    for name in task_names(entries):
        results = [(student, t) for student, report in entries for t in report.tasks if t.name == name]
        max_score = results[0][1].max_score
        mean = statistics.fmean(t.score for _, t in results)
        diagnoses: Counter[str] = Counter()
        examples: dict[str, str] = {}
        for _, task in results:
            failing = [c for c in task.checks if not c.passed and c.diagnosis not in (None, "not_run")]
            for check in failing:
                examples.setdefault(check.diagnosis, f"{check.name}: {check.message}")
            diagnoses.update({c.diagnosis for c in failing})  # a set: students, not checks
        rows.append({
            "name": name, "max_score": max_score, "mean": mean, "students": len(results),
            "mean_percent": 100 * mean / max_score if max_score else 0.0,
            "pass_rate": 100 * sum(t.status == "passed" for _, t in results) / len(results),
            "statuses": [(status, say(language, STATUS_NAMES[status]) if status in STATUS_NAMES else status, count)
                         for status, count in Counter(t.status for _, t in results).most_common()],
            "diagnoses": [(code, count, _short(examples[code]))
                          for code, count in diagnoses.most_common(TOP_DIAGNOSES)],
            "more_diagnoses": max(0, len(diagnoses) - TOP_DIAGNOSES),
        })
    return rows


def _problems(entries: list[tuple[str, Report]], status: str, language: str) -> list[dict]:
    """Each task of that status, or one row for a submission where nothing could be graded."""
    rows = []
    for student, report in entries:
        if status == "error" and failed_whole(report):
            rows.append({"student": student, "task": say(language, "all tasks"),
                         "problem": _short(failed_whole(report))})
            continue
        rows += [{"student": student, "task": t.name, "problem": _short(t.problem or "")}
                 for t in report.tasks if t.status == status]
    return rows


def render_summary(assignment_title: str, entries: list[tuple[str, Report]], language: str | None = None) -> str:
    """The class summary as one HTML page (inline CSS and charts, no external resources), in
    `language`: by default the reports' own (the batch's), else English.

    For the instructor only: it names students and counts the diagnoses of hidden checks too."""
    language = language or (entries[0][1].environment.language if entries else "en")
    totals = [report.score for _, report in entries]
    max_score = max((report.max_score for _, report in entries), default=0.0)
    rows = _task_rows(entries, language)
    return template("summary.html", language).render(
        language=language, title=clean(assignment_title), students=len(entries), max_score=max_score,
        mean=statistics.fmean(totals) if totals else 0.0,
        median=statistics.median(totals) if totals else 0.0,
        lowest=min(totals, default=0.0), highest=max(totals, default=0.0),
        charts=_charts(totals, max_score, rows, language) if entries else None, tasks=rows,
        troubled=sum(any(t.status in ("timeout", "error", "forbidden") for t in report.tasks) for _, report in entries),
        timeouts=_problems(entries, "timeout", language), crashes=_problems(entries, "error", language),
        forbidden=_problems(entries, "forbidden", language),
        review=[{"student": student, "where": flag.where, "what": flag.what, "line": _short(flag.line)}
                for student, report in entries for flag in report.review])
