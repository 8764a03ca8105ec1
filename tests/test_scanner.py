"""The static scan and the review list read what Python reads: every source decoded as the
compiler decodes it, every import form, private torch namespaces forbidden in every task, and a
review list whose size the grader bounds. Attacks are in tests/hostile/scan_*.py."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT
from grader.i18n import say
from grader import api
from grader.engine import forbidden, scan
from grader.reports import render as report_module
from grader.results import Report
from test_hostile import HOSTILE, attack_text

FORBIDDEN_BY_SCAN = "forbidden APIs (source scan)"


def write(name: str, folder: Path, module: str = "convolution.py", text: str | None = None,
          encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / module).write_bytes((text if text is not None else attack_text(HOSTILE / f"{name}.py")).encode(encoding))
    return folder


def grade(assignment: str, submission: Path, *tasks: str) -> Report:
    return api.grade(assignment, submission, tasks=tasks, root=ROOT, device="cpu", timeout=5.0)


def flagged(report: Report) -> list[str]:
    return [f"{str(flag.where).rsplit(':', 1)[-1]}: {flag.what}" for flag in report.review]


def scanned(report: Report, task: str) -> str:
    """The source scan's finding for a task ('' if none)."""
    result = next(t for t in report.tasks if t.name == task)
    return " ".join(str(c.message) for c in result.checks if c.name == FORBIDDEN_BY_SCAN)


# --- any import is graded, and flagged -----------------------------------------------------

IMPORTS = {  # an import form -> what its review flag names
    "import subprocess": "imports subprocess",
    "import multiprocessing": "imports multiprocessing",
    "from multiprocessing import Process": "imports multiprocessing",
    "import threading": "imports threading",
    "import ctypes": "imports ctypes",
    "import importlib": "imports importlib",
    "from importlib import import_module": "imports importlib",
    "from os import fork, execv, system": "imports os.fork",
}


@pytest.mark.slow
@pytest.mark.parametrize("line", IMPORTS)
def test_an_honest_file_with_any_import_is_graded_and_flagged(tmp_path, line):
    text = attack_text(HOSTILE / "scan_imports.py").replace("__IMPORT__", line)
    report = grade("assignment1", write("", tmp_path, text=text), "conv1d")
    (conv1d,) = report.tasks
    assert (conv1d.status, conv1d.score) == ("passed", conv1d.max_score), str(conv1d.problem)
    assert any(IMPORTS[line] in flag for flag in flagged(report)), flagged(report)


# --- the source as Python reads it ---------------------------------------------------------

@pytest.mark.slow
def test_a_coding_cookie_does_not_blind_the_scan_or_the_review(tmp_path):
    submission = write("scan_latin1_cookie", tmp_path, encoding="latin-1")
    assert b"\xe9" in (submission / "convolution.py").read_bytes()  # not UTF-8: the attack stands
    report = grade("assignment1", submission, "conv1d")
    (conv1d,) = report.tasks
    assert conv1d.status == "forbidden" and conv1d.score == 0
    assert "torch.nn.functional.conv1d" in scanned(report, "conv1d") and "torch._C" in scanned(report, "conv1d")
    flags = " | ".join(flagged(report))
    for what in ("imports gc", "sys._getframe", "torch._C"):
        assert what in flags, flags


@pytest.mark.parametrize("source", [
    "\ufeffimport gc\n".encode("utf-8"),  # a byte-order mark
    "# coding: cp1251\n# \u0437\u0430\u0434\u0430\u0447\u0430\nimport gc\n".encode("cp1251"),
    b"#!/usr/bin/env python\n# vim: set fileencoding=latin-1 :\nx = '\xe9'\nimport gc\n",
])
def test_the_scanners_decode_as_the_compiler_does(source):
    compile(source, "c.py", "exec")  # Python reads it ...
    assert [str(what).split(" (")[0] for what, _, _ in forbidden.review(source, "c.py")] == ["imports gc"]  # ... and so do we


def test_python_ends_lines_where_the_tokenizer_does():
    source = b"x = 1  # \x0c a form feed, not a line end\r\nimport gc\r\n"
    ((what, where, line),) = forbidden.review(source, "c.py")
    assert (where, line) == (2, "import gc")


@pytest.mark.parametrize("source", [b"def conv1d(:\n", b"# coding: ascii\nx = '\xe9'\n",
                                    b"x = '\xe9'\n", b"# coding: no-such-codec\n", b"x = 1\0\n"])
def test_a_file_python_cannot_read_is_flagged_and_left_to_its_import(source):
    with pytest.raises(forbidden.Unreadable) as error:
        forbidden.read(source, "c.py")
    assert error.value.certain  # Python cannot compile it either: the import reports it


def test_an_unreadable_file_is_flagged_in_the_report(tmp_path):
    report = grade("assignment1", write("", tmp_path, text="def conv1d(:\n"), "conv1d")
    assert report.tasks[0].status == "error"  # the import reports the syntax error
    assert any("could not be read as Python" in flag for flag in flagged(report)), flagged(report)


def test_code_too_deep_for_the_scan_is_a_finding_not_a_pass():
    # The parser's depth limit depends on the stack at the call: the child, compiling at another
    # depth, may accept what the scan cannot read. So the scan fails closed.
    source = "import torch.nn.functional as F\ndef conv1d(x, w):\n    return F.conv1d(x, w)\ny = " + "-" * 5000 + "1\n"
    assert [f.api for f in forbidden.scan(source, "c.py", "conv1d", ("torch.nn.functional.conv1d",))] == \
        [forbidden.TOO_DEEP]


# --- every way into the interpreter's internals --------------------------------------------

def test_loaded_modules_are_flagged_whatever_the_import_form(tmp_path):
    text = attack_text(HOSTILE / "scan_sys_modules_from.py")
    report = grade("assignment1", write("", tmp_path, text=text), "conv1d")
    assert report.tasks[0].status == "passed"  # only looking costs nothing, but is flagged:
    wanted = {number for number, line in enumerate(text.splitlines(), 1) if "modules" in line and "#" not in line}
    lines = {int(flag.split(":")[0]) for flag in flagged(report) if "sys.modules" in flag}
    assert len(wanted) == 5 and lines == wanted, flagged(report)


@pytest.mark.parametrize("source, what", [
    ("from sys import modules\n", "imports sys.modules"),
    ("import sys as s\nm = s.modules['anything']\n", "sys.modules"),
    ("import sys\nm = sys.__dict__['modules']\n", "sys.modules"),
    ("from sys import _getframe as g\n", "imports sys._getframe"),
    ("from os import execv\n", "imports os.execv"),
    ("from os import posix_spawn\n", "imports os.posix_spawn"),
    ("import os\nos.system('ls')\n", "os.system"),
    ("from os import *\n", "from os import *"),
    ("import importlib.util\n", "imports importlib.util"),
    ("import torch\nx = getattr(torch, 'float32')\n", "getattr() on a module"),
    ("import torch\nx = getattr(torch, '_C')\n", "torch._C"),
])
def test_review_sees_every_form(source, what):
    assert any(str(flag).startswith(what) for flag, _, _ in forbidden.review(source, "c.py")), \
        forbidden.review(source, "c.py")


# --- private torch namespaces: forbidden in every task -------------------------------------

PRIVATE_FORMS = {  # a use of a private torch namespace -> the namespace the finding names
    "import torch._refs\n": "torch._refs",
    "import torch._refs as R\n": "torch._refs",
    "from torch._decomp import decompositions\n": "torch._decomp",
    "from torch import _refs\n": "torch._refs",
    "from torch._prims import *\n": "torch._prims",
    "import torch\nf = torch._C._nn.im2col\n": "torch._C",
    "import torch\nf = torch._VF\n": "torch._VF",
    "import torch\nf = torch.ops.aten.im2col\n": "torch.ops",
    "import torch as t\nf = getattr(t, '_refs')\n": "torch._refs",
    "import torch\nf = torch.__dict__['_decomp']\n": "torch._decomp",
    "import torch\nf = vars(torch)['ops']\n": "torch.ops",
    "import importlib\nm = importlib.import_module('torch._refs.nn')\n": "torch._refs",
    "m = __import__('torch._prims')\n": "torch._prims",
    "import sys\nm = sys.modules['torch._decomp.decompositions']\n": "torch._decomp",
    "import torch.nn.functional as F\nf = F._max_pool2d\n": "torch.nn.functional._max_pool2d",
}


@pytest.mark.parametrize("form", PRIVATE_FORMS)
def test_private_torch_is_forbidden_in_every_form_and_place(form):
    # at module level and with no forbidden globs: a rule for every task, not a per-spec pattern
    source = form + "def conv1d(x, w):\n    return x\n"
    assert [f.api for f in forbidden.scan(source, "c.py", "conv1d", ())] == [PRIVATE_FORMS[form]]
    assert any(PRIVATE_FORMS[form] in str(what) for what, _, _ in forbidden.review(source, "c.py"))


@pytest.mark.parametrize("source", [
    "import torch\nprint(torch.__version__)\nx = torch.nn.Module.__init__\n",
    "import torch\nclass Net(torch.nn.Module):\n    def _private(self):\n        return self._modules\n",
    "from torch import nn\nimport torch.nn.functional as F\ny = F.relu(nn.Conv2d(1, 1, 1)._parameters)\n",
])
def test_public_torch_and_ones_own_private_names_are_not_private_torch(source):
    assert forbidden.scan(source, "c.py", "conv1d", ()) == []


@pytest.mark.parametrize("attack, assignment, module, task, namespace", [
    ("scan_refs_pad", "assignment1", "convolution.py", "pad", "torch._refs"),
    ("scan_getattr_private", "assignment1", "convolution.py", "conv1d", "torch._C"),
    ("scan_decomp_upsample", "assignment6", "upsampling.py", "upsample_nearest", "torch._decomp"),
])
@pytest.mark.slow
def test_torch_internals_earn_nothing(tmp_path, attack, assignment, module, task, namespace):
    report = grade(assignment, write(attack, tmp_path, module), task)
    (result,) = report.tasks
    assert (result.status, result.score) == ("forbidden", 0), (result.status, str(result.problem))
    assert namespace in scanned(report, task)
    assert any(namespace in flag for flag in flagged(report)), flagged(report)


# --- the review list is bounded ------------------------------------------------------------

@pytest.mark.slow
def test_the_review_list_keeps_the_first_flags_and_counts_the_rest(tmp_path):
    repeat = 300
    text = attack_text(HOSTILE / "scan_many_flags.py") + "import gc\n" * (repeat - 1)
    report = grade("assignment1", write("", tmp_path, text=text), "conv1d")
    assert report.tasks[0].status == "passed"
    assert len(report.review) == scan.MAX_REVIEW_FLAGS and report.review_count == repeat
    back = Report.model_validate_json(report.model_dump_json())
    assert back.review_count == repeat and json.loads(report.model_dump_json())["review_omitted"] == repeat - 50
    for fmt in ("text", "markdown", "html"):
        rendered = report_module.render(report, fmt)
        assert f"and {repeat - (report_module.MAX_FAILURES_SHOWN if fmt != 'html' else scan.MAX_REVIEW_FLAGS)} more" \
            in rendered, fmt


def test_review_flags_are_said_in_the_reader_s_language():
    source = "import gc\nx = getattr(object, name)\n"
    english = [str(what) for what, _, _ in forbidden.review(source, "c.py")]
    russian = [say("ru", what) for what, _, _ in forbidden.review(source, "c.py")]
    assert english == ["imports gc (the garbage collector's objects)",
                       "getattr() with a computed name (hides which attribute it reaches)"]
    assert russian == ["импортирует gc (объекты сборщика мусора)",
                       "getattr() с вычисленным именем (не видно, к какому атрибуту обращаются)"]
