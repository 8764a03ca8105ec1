"""An assignment as a handout holds it: its public cases as JSON and the reference's answers to them as frames.

No code travels as data: experiments and laws are stored as references to `grader.experiments`
or to the assignment's `checks.py` (which ships beside the JSON), with the arguments their
`@recipe` factory was called with. Known mistakes keep their code and hint; their outputs, like
torch's and the reference's, are in the frames.
"""
from __future__ import annotations

import hashlib
import json
import math
import struct
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from . import __version__, experiments
from .i18n import ReaderError
from .spec import Assignment, Case, Model, RaisedHint, Random, Task, Tensor, Variant, checks_module_name, load_checks

FORMAT = 1
SPEC_FILE, FRAMES_FILE, CHECKS_FILE = "spec.json", "expected.frames", "checks.py"
_MODELS = {cls.__name__: cls for cls in (Assignment, Task, Case, Variant, RaisedHint, Tensor, Random, Model)}
_LENGTH = struct.Struct("<Q")


class StaleHandout(ReaderError, ValueError):
    """Expected data built for another grader or spec, or altered since: one line, exit 2."""


def in_handout(*args: Any, **kwargs: Any) -> Any:
    """Stands for what a handout keeps only as stored answers: torch's oracle, a mistake's compute."""
    raise RuntimeError("this answer was computed when the handout was built")


def grader_fingerprint(folder: Path = Path(__file__).parent) -> str:
    """The grader's own code, hashed: expected data is valid only for the grader that built it.
    Line endings do not count: git on Windows checks a handout out with CRLF by default."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("**/*.py")):
        code = path.read_bytes().replace(b"\r\n", b"\n")
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + code)
    return f"{__version__}+{digest.hexdigest()[:16]}"


def visible(assignment: Assignment) -> Assignment:
    """The assignment less its hidden cases; each task counts how many it left out."""
    return assignment.model_copy(update={"tasks": tuple(task.model_copy(update={
        "cases": tuple(case for case in task.cases if not case.hidden),
        "withheld": task.withheld + sum(case.hidden for case in task.cases)}) for task in assignment.tasks)})


def public_part(assignment: Assignment) -> Assignment:
    """`visible(assignment)` less its code that needs the reference or torch's oracle, whose
    answers are in the frames."""
    return assignment.model_copy(update={"tasks": tuple(map(without_code, visible(assignment).tasks))})


def without_code(task: Task) -> Task:
    """The task as data: oracle and mistakes stand for their stored answers, tolerances are numbers."""
    return task.model_copy(update={
        "cases": tuple(case.model_copy(update={"terms": _terms(task, case)}) for case in task.cases),
        "variants": tuple(v.model_copy(update={"compute": in_handout}) for v in task.variants),
        "reduction": None, "oracle": in_handout if task.oracle is not None else None})


def task_to_json(task: Task, assignment: str) -> str:
    """What a spawned child needs to run the student's code on a task (`sandbox.spawned`)."""
    return json.dumps(_encode(without_code(task), checks_module_name(assignment)))


def task_from_json(text: str, checks_file: str | None) -> Task:
    return _decode(json.loads(text), load_checks(checks_file) if checks_file else None)


def _terms(task: Task, case: Case) -> int | None:
    if case.terms or case.raises or task.reduction is None:
        return case.terms
    return task.reduction(*case.args, **case.kwargs)


def write(folder: Path, assignment: Assignment, frames: dict[str, tuple[bytes, ...]]) -> None:
    """`spec.json` and `expected.frames` for the public part of `assignment` (see `public_part`)."""
    blob = b"".join(_LENGTH.pack(len(frame)) + frame for task in assignment.tasks for frame in frames[task.name])
    spec = {"format": FORMAT, "grader": grader_fingerprint(), "frames_sha256": hashlib.sha256(blob).hexdigest(),
            "frame_counts": {task.name: len(frames[task.name]) for task in assignment.tasks},
            "assignment": _encode(assignment, checks_module_name(assignment.name))}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / FRAMES_FILE).write_bytes(blob)
    (folder / SPEC_FILE).write_text(json.dumps(spec, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def read(folder: Path) -> tuple[Assignment, dict[str, tuple[bytes, ...]]]:
    """The assignment and its frames per task; StaleHandout if they do not belong to this grader."""
    try:
        spec = json.loads((folder / SPEC_FILE).read_text(encoding="utf-8"))
        blob = (folder / FRAMES_FILE).read_bytes()
    except (OSError, ValueError) as error:
        raise StaleHandout("{folder}: the expected data cannot be read ({error})", folder=folder,
                           error=str(error)) from None
    here = grader_fingerprint()
    if spec.get("format") != FORMAT or spec.get("grader") != here:
        raise StaleHandout("{folder}: its expected data was built for grader {built}, this is grader {here}: get "
                           "the current handout (or reinstall its grader)", folder=folder.name,
                           built=spec.get("grader"), here=here)
    if hashlib.sha256(blob).hexdigest() != spec.get("frames_sha256"):
        raise StaleHandout("{folder}: {frames} does not match {spec}: get the current handout", folder=folder.name,
                           frames=FRAMES_FILE, spec=SPEC_FILE)
    checks = load_checks(folder / SPEC_FILE) if (folder / CHECKS_FILE).exists() else None
    assignment = _decode(spec["assignment"], checks)
    return assignment, _split(blob, spec["frame_counts"], assignment)


def _split(blob: bytes, counts: dict[str, int], assignment: Assignment) -> dict[str, tuple[bytes, ...]]:
    frames, offset = {}, 0
    for task in assignment.tasks:
        found = []
        for _ in range(counts[task.name]):
            (length,) = _LENGTH.unpack_from(blob, offset)
            found.append(blob[offset + _LENGTH.size: offset + _LENGTH.size + length])
            offset += _LENGTH.size + length
        frames[task.name] = tuple(found)
    return frames


# --- values as JSON: tuples, models and callables tagged, so that they come back as they were -----

def _encode(value: Any, checks: str | None) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v, checks) for v in value]}
    if isinstance(value, list):
        return [_encode(v, checks) for v in value]
    if isinstance(value, dict):
        return {"$dict": [[_encode(k, checks), _encode(v, checks)] for k, v in value.items()]}
    if type(value).__name__ in _MODELS and isinstance(value, _MODELS[type(value).__name__]):
        return {"$" + type(value).__name__: {name: _encode(getattr(value, name), checks)
                                             for name in type(value).model_fields}}
    if callable(value) and hasattr(value, "recipe"):
        factory, args, kwargs = value.recipe
        return {"$recipe": _where(factory, checks), "args": _encode(args, checks), "kwargs": _encode(kwargs, checks)}
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


def _decode(node: Any, checks: ModuleType | None) -> Any:
    if isinstance(node, list):
        return [_decode(v, checks) for v in node]
    if not isinstance(node, dict):
        return node
    (tag, body), *rest = node.items()
    if tag == "$float":
        return float(body)
    if tag == "$tuple":
        return tuple(_decode(v, checks) for v in body)
    if tag == "$dict":
        return {_decode(k, checks): _decode(v, checks) for k, v in body}
    if tag == "$function":
        return _resolve(body, checks)
    if tag == "$recipe":
        return _resolve(body, checks)(*_decode(node["args"], checks), **_decode(node["kwargs"], checks))
    if tag.startswith("$") and tag[1:] in _MODELS:
        return _MODELS[tag[1:]](**{name: _decode(v, checks) for name, v in body.items()})
    raise ValueError(f"unknown entry {tag!r} in a handout's spec")


def _resolve(where: str, checks: ModuleType | None) -> Callable:
    module, _, name = where.partition(":")
    home = {"grader.experiments": experiments, __name__: sys.modules[__name__], "checks": checks}.get(module)
    found = getattr(home, name, None) if home is not None else None
    if not callable(found):
        raise ValueError(f"{where} is not in this grader or the assignment's checks.py")
    return found
