"""Grading from a notebook cell: the notebook the cell is in, with the report shown inline."""
from __future__ import annotations

import html
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.i18n import N_, say
from grader.reports import render as report
from grader.results import Report

UNKNOWN_NOTEBOOK = N_("cannot tell which notebook this is: save it and pass its file name, e.g. {example}")


class InlineReport:
    """A report that a notebook shows as the HTML page (in a frame, so its styles stay its own)."""

    def __init__(self, graded: Report):
        self.report = graded

    def _repr_html_(self) -> str:
        page = html.escape(report.as_html(self.report), quote=True)
        return f'<iframe srcdoc="{page}" style="width: 100%; height: 640px; border: 0"></iframe>'

    def __repr__(self) -> str:
        return report.text(self.report)


def grade(assignment: str, notebook: str | Path | None = None, *, tasks: tuple[str, ...] = (),
          timeout: float | None = None, course: str | Path | None = None) -> InlineReport:
    """Grade `notebook` (default: the one this kernel runs, as last saved) for `assignment`, in a
    separate `grade` process, as the command line would: the kernel's own state plays no part."""
    with tempfile.TemporaryDirectory(prefix="grade-notebook-") as folder:
        path = Path(notebook) if notebook else _this_notebook(Path(folder))
        if path is None:
            from grader import api  # only here: the kernel need not import torch to grade

            language = api.choose_language(None, api.course(Path(course) if course else None))
            raise ValueError(say(language, UNKNOWN_NOTEBOOK, example=f"grade({assignment!r}, '{assignment}.ipynb')"))
        out = Path(folder) / "report.json"
        command = [sys.executable, "-m", "grader", assignment, str(path), "-o", str(out)]
        command += [option for task in tasks for option in ("--task", task)]
        command += ["--timeout", str(timeout)] if timeout else []
        command += ["--course", str(course)] if course else []
        done = subprocess.run(command, capture_output=True, encoding="utf-8", errors="replace",
                              env={**os.environ, "PYTHONIOENCODING": "utf-8"})  # Windows: not its code page
        if not out.exists():
            raise RuntimeError(done.stderr.strip() or f"grade: exit status {done.returncode}")
        return InlineReport(Report.model_validate_json(out.read_text(encoding="utf-8")))


def _this_notebook(folder: Path) -> Path | None:
    """Jupyter names the kernel's notebook in JPY_SESSION_NAME; VS Code in __vsc_ipynb_file__;
    Colab hands over its current content. None: none of them."""
    if os.environ.get("JPY_SESSION_NAME", "").endswith(".ipynb"):
        return Path(os.environ["JPY_SESSION_NAME"])
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    if shell is not None and str(shell.user_ns.get("__vsc_ipynb_file__", "")).endswith(".ipynb"):
        return Path(shell.user_ns["__vsc_ipynb_file__"])
    if "google.colab" in sys.modules:
        from google.colab import _message  # type: ignore[import-not-found]

        path = folder / "notebook.ipynb"
        path.write_text(json.dumps(_message.blocking_request("get_ipynb", timeout_sec=30)["ipynb"]), encoding="utf-8")
        return path
    return None
