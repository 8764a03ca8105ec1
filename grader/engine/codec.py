"""Tasks as JSON: what a handout stores and a spawned child reads back. Tuples, models and callables
are tagged so that they come back as they were.

No code travels as data: experiments and laws are stored as references to `grader.experiments`
or to the assignment's `checks.py` (which ships beside the JSON), with the arguments their
`@recipe` factory was called with. Known mistakes keep their code and hint; their outputs, like
torch's and the reference's, are answers stored as frames.
"""
from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from grader import __version__, experiments
from grader.spec import (Assignment, Case, Model, RaisedHint, Random, Task, Tensor, Variant, checks_module_name,
                         load_checks)

_MODELS = {cls.__name__: cls for cls in (Assignment, Task, Case, Variant, RaisedHint, Tensor, Random, Model)}


def in_handout(*args: Any, **kwargs: Any) -> Any:
    """Stands for what a handout keeps only as stored answers: torch's oracle, a mistake's compute."""
    raise RuntimeError("this answer was computed when the handout was built")


def grader_fingerprint(folder: Path = Path(__file__).parent.parent) -> str:
    """The grader's own code, hashed: expected data is valid only for the grader that built it.
    Line endings do not count: git on Windows checks a handout out with CRLF by default."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("**/*.py")):
        code = path.read_bytes().replace(b"\r\n", b"\n")
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + code)
    return f"{__version__}+{digest.hexdigest()[:16]}"


def without_code(task: Task) -> Task:
    """The task as data: oracle and mistakes stand for their stored answers, tolerances are numbers."""
    return task.model_copy(update={
        "cases": tuple(case.model_copy(update={"terms": _terms(task, case)}) for case in task.cases),
        "variants": tuple(v.model_copy(update={"compute": in_handout}) for v in task.variants),
        "reduction": None, "oracle": in_handout if task.oracle is not None else None})


def task_to_json(task: Task, assignment: str) -> str:
    """What a spawned child needs to run the student's code on a task (`sandbox.spawned`)."""
    return json.dumps(encode(without_code(task), checks_module_name(assignment)))


def task_from_json(text: str, checks_file: str | None) -> Task:
    return decode(json.loads(text), load_checks(checks_file) if checks_file else None)


def _terms(task: Task, case: Case) -> int | None:
    if case.terms or case.raises or task.reduction is None:
        return case.terms
    return task.reduction(*case.args, **case.kwargs)


def encode(value: Any, checks: str | None) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v, checks) for v in value]}
    if isinstance(value, list):
        return [encode(v, checks) for v in value]
    if isinstance(value, dict):
        return {"$dict": [[encode(k, checks), encode(v, checks)] for k, v in value.items()]}
    if type(value).__name__ in _MODELS and isinstance(value, _MODELS[type(value).__name__]):
        return {"$" + type(value).__name__: {name: encode(getattr(value, name), checks)
                                             for name in type(value).model_fields}}
    if callable(value) and hasattr(value, "recipe"):
        factory, args, kwargs = value.recipe
        return {"$recipe": _where(factory, checks), "args": encode(args, checks), "kwargs": encode(kwargs, checks)}
    if callable(value):
        return {"$function": _where(value, checks)}
    raise TypeError(f"{type(value).__name__} cannot be stored in a handout: {value!r:.80}")


def _where(function: Callable, checks: str | None) -> str:
    module, name = function.__module__, function.__qualname__
    if "<" not in name and module in ("grader.experiments", __name__):
        return f"{module}:{name}"
    if "<" not in name and module == checks:
        return f"checks:{name}"
    raise TypeError(f"{module}.{name} cannot ship in a handout: an experiment or law must be a function of "
                    "grader.experiments or of the assignment's checks.py (a factory marked @recipe)")


def decode(node: Any, checks: ModuleType | None) -> Any:
    if isinstance(node, list):
        return [decode(v, checks) for v in node]
    if not isinstance(node, dict):
        return node
    (tag, body), *rest = node.items()
    if tag == "$float":
        return float(body)
    if tag == "$tuple":
        return tuple(decode(v, checks) for v in body)
    if tag == "$dict":
        return {decode(k, checks): decode(v, checks) for k, v in body}
    if tag == "$function":
        return _resolve(body, checks)
    if tag == "$recipe":
        return _resolve(body, checks)(*decode(node["args"], checks), **decode(node["kwargs"], checks))
    if tag.startswith("$") and tag[1:] in _MODELS:
        return _MODELS[tag[1:]](**{name: decode(v, checks) for name, v in body.items()})
    raise ValueError(f"unknown entry {tag!r} in a handout's spec")


def _resolve(where: str, checks: ModuleType | None) -> Callable:
    module, _, name = where.partition(":")
    home = {"grader.experiments": experiments, __name__: sys.modules[__name__], "checks": checks}.get(module)
    found = getattr(home, name, None) if home is not None else None
    if not callable(found):
        raise ValueError(f"{where} is not in this grader or the assignment's checks.py")
    return found
