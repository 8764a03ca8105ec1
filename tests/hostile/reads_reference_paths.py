# ATTACK: read the reference solution by its absolute path, relative to every parent of the
# submission's folder and of the working directory, and through modules the grader left in
# memory (sys.modules: any module whose name or file says reference or spec; inspect.getsource).
# MUST: nothing of the reference reaches the report (no PWNED); flagged for review (inspect).
import inspect
import os
import sys

ROOT = "__COURSE_ROOT__"


class Found(Exception):
    """Carries what the attack found; no invalid-argument probe expects this class."""


def _found(text):
    return "def conv1d" in text or "def assignment(" in text


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    won = []
    candidates = [os.path.join(ROOT, "reference/assignment1/convolution.py"),
                  os.path.join(ROOT, "reference/assignment1/spec.py")]
    for start in (os.path.dirname(os.path.abspath(__file__)), os.getcwd()):
        path = start
        while True:
            candidates.append(os.path.join(path, "reference/assignment1/convolution.py"))
            if os.path.dirname(path) == path:
                break
            path = os.path.dirname(path)
    for path in candidates:
        try:
            with open(path) as f:
                if _found(f.read()):
                    won.append(f"read {path}")
                    break
        except OSError:
            pass
    for name, module in list(sys.modules.items()):
        if "reference" in name or "spec" in name or "reference" in str(getattr(module, "__file__", "")):
            try:
                if _found(inspect.getsource(module)):
                    won.append(f"source of module {name}")
                    break
            except Exception:
                pass
    raise Found(("PWN" "ED: " + "; ".join(won)) if won else "blocked")
