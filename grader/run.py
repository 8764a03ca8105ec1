"""What runs inside a child: the reference or the student's code on each case, streamed as frames."""
from __future__ import annotations

import builtins
import functools
import sys
import traceback
import types
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from . import experiments, forbidden, wire
from .spec import Case, Task, build

# Taken before any student code runs: a submission may monkeypatch torch's own functions.
_equal, _clone = torch.equal, torch.Tensor.clone


@dataclass(frozen=True)
class Source:
    """A module's code as the grader read it, once: what runs is exactly what was scanned."""

    path: str  # where the file is, as the child sees it: tracebacks and messages name it
    code: bytes


def compile_source(source: Source) -> types.CodeType:
    return compile(source.code, source.path, "exec", dont_inherit=True)


def load_module(source: Source, name: str, code: types.CodeType | None = None) -> types.ModuleType:
    """Run a file's code as a module, with its folder on sys.path for its own helpers."""
    sys.path.insert(0, str(Path(source.path).parent))
    sys.dont_write_bytecode = True
    module = types.ModuleType(name)
    module.__file__ = source.path
    sys.modules[name] = module
    exec(code or compile_source(source), module.__dict__)
    return module


def code_objects(code: types.CodeType) -> list[types.CodeType]:
    """Every code object compiled from a file: its functions, methods and class bodies."""
    found = [code]
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            found += code_objects(constant)
    return found


def not_own(target: Any, module: types.ModuleType, own: set[int]) -> str | None:
    """Why `target` is not a function or class defined in the student's own file, if it is not.

    Code objects are compared by identity: a forbidden function bound to the task's name, one
    imported from a helper module, or one given another file name by `__code__.replace` is not
    among the code objects compiled from the file.
    """
    if isinstance(target, types.FunctionType) and id(target.__code__) in own:
        return None
    if isinstance(target, type) and target.__module__ == module.__name__ and any(
            isinstance(member, types.FunctionType) and id(member.__code__) in own for member in vars(target).values()):
        return None
    kind = "class" if isinstance(target, type) else "function"
    what = getattr(target, "__qualname__", None) or type(target).__qualname__
    origin = getattr(target, "__module__", None) or type(target).__module__
    return f"it is {origin}.{what}, not a {kind} defined in your file"


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
    return {"type": type(error).__name__[:200], "mro": [c.__name__[:200] for c in type(error).__mro__],
            "message": str(error)[:500], "where": where[:500] if where else None}


class _Builtins:
    """The builtins as they were before the student's code ran, put back after each of its turns:
    the grader's own code in the child (checks, encoding) looks them up at every call."""

    def __init__(self):
        self.saved = dict(vars(builtins))

    def restore(self) -> None:
        current = vars(builtins)
        for name in [name for name in current if name not in self.saved]:
            del current[name]
        for name, value in self.saved.items():
            if current.get(name) is not value:
                current[name] = value

    @contextmanager
    def student_turn(self):
        """The student's code runs: tripwires armed; afterwards the builtins are put back."""
        try:
            with forbidden.student_running():
                yield
        finally:
            self.restore()


def _attempt(function: Callable[[], Any]) -> tuple[Any, dict | None]:
    try:
        return function(), None
    except Exception as error:
        return None, _exception(error)


def run_reference(task: Task, cases: tuple[Case, ...], reference_file: Source,
                  send: Callable[[bytes], None], device: str, parts: str = "all") -> None:
    """Per case: the expected value (float64) and torch's answer (`parts` "answers"), the value of
    each known-wrong variant ("mistakes": only needed to name a mistake), or both ("all")."""
    warnings.simplefilter("ignore")  # torch's performance notes are not results
    reference = load_module(reference_file, "_reference")
    target = _target(reference, task)
    for index, case in enumerate(cases):
        args, kwargs = build(case.args, device), build(case.kwargs, device)
        frame: dict[str, Any] = {"case": index, "variants": {}}
        if case.raises:
            if parts != "mistakes":
                frame["raised"] = _attempt(lambda: exercise(case, target)(*args, **kwargs))[1]
                if task.oracle:
                    frame["oracle_raised"] = _attempt(lambda: exercise(case, task.oracle)(*args, **kwargs))[1]
            send(wire.encode(frame))
            continue
        args64, kwargs64 = to_float64(args), to_float64(kwargs)
        if parts != "mistakes":
            frame["expected"], frame["raised"] = _attempt(lambda: to_float64(exercise(case, target)(*args64, **kwargs64)))
            if task.oracle:
                frame["oracle"], frame["oracle_raised"] = _attempt(
                    lambda: to_float64(exercise(case, task.oracle)(*args64, **kwargs64)))
        for number, variant in enumerate(task.variants if parts != "answers" else ()):
            wrong = exercise(case, functools.partial(variant.compute, reference))
            value, error = _attempt(lambda: to_float64(experiments.without_gradients(wrong(*args64, **kwargs64))))
            if error is None:
                frame["variants"][str(number)] = value
        send(wire.encode(frame))


def run_student(task: Task, student_file: Source, send: Callable[[bytes], None], device: str,
                indices: tuple[int, ...] | None = None) -> None:
    """The student's function on each of the task's cases: its output or exception, and what else
    it did. `indices`: each case's number in the whole task, which its frame carries (a child may
    hold only the public cases, or only the hidden ones).

    Tripwires are armed for the whole of the student's code: its import and every call."""
    indices = tuple(range(len(task.cases))) if indices is None else indices
    if device == "cuda":  # TF32 would round float32 matmuls to 10 bits and fail correct code
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    hits: list[forbidden.Finding] = []
    forbidden.install_tripwires(task.forbidden, hits, student_file.path)
    saved_builtins = _Builtins()
    order = tuple(task.run_order())  # before the student's code runs: it cannot reorder what it meets
    try:
        code = compile_source(student_file)
        own = {id(c) for c in code_objects(code)}
        with saved_builtins.student_turn():
            module = load_module(student_file, "submission", code)
    except BaseException as error:
        send(wire.encode({"import_error": _exception(error, student_file.path),
                          "forbidden": [[h.api, h.where] for h in hits]}))
        return
    if task.target not in vars(module):
        send(wire.encode({"missing": task.target}))
        return
    if task.call == "function" and (why := not_own(vars(module)[task.target], module, own)):
        send(wire.encode({"not_own": f"{task.target}: {why}"}))
        return
    send(wire.encode({"imported": True}))
    target = _target(module, task)
    for position in order:
        case, index = task.cases[position], indices[position]
        args, kwargs = build(case.args, device), build(case.kwargs, device)
        if case.requires_grad:
            for tensor in _tensors((args, kwargs)):
                if tensor.is_floating_point():
                    tensor.requires_grad_(True)
        before = [_clone(t.detach()) for t in _tensors((args, kwargs))]
        frame: dict[str, Any] = {"case": index, "value": None, "raised": None}
        hits.clear()
        try:
            with saved_builtins.student_turn():
                frame["value"] = exercise(case, target)(*args, **kwargs)
        except BaseException as error:  # SystemExit and tripwires included
            frame["raised"] = _exception(error, student_file.path)
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
