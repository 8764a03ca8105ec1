"""What runs inside a child: the reference or the student's code on each case, streamed as frames."""
from __future__ import annotations

import functools
import importlib.util
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any, Callable

import torch

from . import experiments, forbidden, wire
from .spec import Case, Task, build

# Taken before any student code runs: a submission may monkeypatch torch's own functions.
_equal, _clone = torch.equal, torch.Tensor.clone


def load_module(path: Path, name: str):
    """Import a file as a module, with its folder on sys.path for its own helpers."""
    sys.path.insert(0, str(path.parent))
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)
    return module


def to_float64(value: Any) -> Any:
    """Floating tensors (also inside lists, tuples and dicts) as float64 copies off the graph."""
    if isinstance(value, torch.Tensor) and value.is_floating_point():
        return value.detach().to(torch.float64)
    if isinstance(value, (list, tuple)):
        return type(value)(to_float64(v) for v in value)
    if isinstance(value, dict):
        return {k: to_float64(v) for k, v in value.items()}
    return value


def _target(module, task: Task) -> Callable[..., Any]:
    """The task's function, or for a mapping task a lookup of one key."""
    target = getattr(module, task.target)
    if task.call == "mapping":
        return lambda key: target[key]
    return target


def exercise(case: Case, target: Callable[..., Any]) -> Callable[..., Any]:
    """How a case exercises the target: a plain call, the case's experiment around it, or for a
    differentiable case the call and the gradients of its tensor arguments."""
    if case.experiment is not None:
        return functools.partial(case.experiment, target)
    if case.requires_grad:
        return functools.partial(experiments.output_and_gradients, target)
    return target


def _exception(error: BaseException, student_file: str | None = None) -> dict:
    """The exception's class chain and message, and where in the student's file it came from."""
    where = None
    if isinstance(error, SyntaxError) and error.filename == student_file:
        where = f"{Path(error.filename).name}:{error.lineno}: {(error.text or '').strip()}"
    elif student_file:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == student_file]
        if frames:
            frame = frames[-1]
            where = f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}: {(frame.line or '').strip()}"
    return {"type": type(error).__name__, "mro": [c.__name__ for c in type(error).__mro__],
            "message": str(error)[:500], "where": where}


def _attempt(function: Callable[[], Any]) -> tuple[Any, dict | None]:
    try:
        return function(), None
    except Exception as error:
        return None, _exception(error)


def run_reference(task: Task, cases: tuple[Case, ...], reference_file: Path,
                  send: Callable[[bytes], None], device: str) -> None:
    """Expected values (float64), torch's answer and each known-wrong variant, per case."""
    warnings.simplefilter("ignore")  # torch's performance notes are not results
    reference = load_module(reference_file, "_reference")
    target = _target(reference, task)
    for index, case in enumerate(cases):
        args, kwargs = build(case.args, device), build(case.kwargs, device)
        if case.raises:
            frame = {"case": index, "raised": _attempt(lambda: exercise(case, target)(*args, **kwargs))[1]}
            if task.oracle:
                frame["oracle_raised"] = _attempt(lambda: exercise(case, task.oracle)(*args, **kwargs))[1]
            send(wire.encode(frame))
            continue
        args64, kwargs64 = to_float64(args), to_float64(kwargs)
        expected, raised = _attempt(lambda: to_float64(exercise(case, target)(*args64, **kwargs64)))
        frame = {"case": index, "expected": expected, "raised": raised, "variants": {}}
        if task.oracle:
            frame["oracle"], frame["oracle_raised"] = _attempt(
                lambda: to_float64(exercise(case, task.oracle)(*args64, **kwargs64)))
        for number, variant in enumerate(task.variants):
            wrong = exercise(case, functools.partial(variant.compute, reference))
            value, error = _attempt(lambda: to_float64(experiments.without_gradients(wrong(*args64, **kwargs64))))
            if error is None:
                frame["variants"][str(number)] = value
        send(wire.encode(frame))


def run_student(task: Task, cases: tuple[Case, ...], student_file: Path,
                send: Callable[[bytes], None], device: str) -> None:
    """The student's function on each case: its output or exception, and what else it did."""
    if device == "cuda":  # TF32 would round float32 matmuls to 10 bits and fail correct code
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    hits: list[forbidden.Finding] = []
    forbidden.install_tripwires(task.forbidden, hits, str(student_file))
    try:
        module = load_module(student_file, "submission")
    except BaseException as error:
        send(wire.encode({"import_error": _exception(error, str(student_file)),
                          "forbidden": [[h.api, h.where] for h in hits]}))
        return
    if not hasattr(module, task.target):
        send(wire.encode({"missing": task.target}))
        return
    send(wire.encode({"imported": True}))
    target = _target(module, task)
    for index, case in enumerate(cases):
        args, kwargs = build(case.args, device), build(case.kwargs, device)
        if case.requires_grad:
            for tensor in _tensors((args, kwargs)):
                if tensor.is_floating_point():
                    tensor.requires_grad_(True)
        before = [_clone(t.detach()) for t in _tensors((args, kwargs))]
        frame: dict[str, Any] = {"case": index, "value": None, "raised": None}
        hits.clear()
        try:
            frame["value"] = exercise(case, target)(*args, **kwargs)
        except BaseException as error:  # SystemExit and tripwires included
            frame["raised"] = _exception(error, str(student_file))
        frame["forbidden"] = [[h.api, h.where] for h in hits]
        frame["modified"] = [i for i, (old, new) in enumerate(zip(before, _tensors((args, kwargs))))
                             if old.shape != new.shape or not _equal(old, new.detach())]
        try:
            encoded = wire.encode(frame)
        except Exception as error:
            frame["value"], frame["raised"] = None, _exception(error)
            encoded = wire.encode(frame)
        send(encoded)


def _tensors(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []
