"""What runs inside a child: the reference or the student's code on each case, streamed as frames."""
from __future__ import annotations

import builtins
import ctypes
import functools
import mmap
import os
import select
import signal
import sys
import traceback
import types
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from grader import experiments
from grader.engine import forbidden, wire
from grader.engine.files import close_all_but
from grader.engine.wire import FORGED_STATUS, OVERFLOW_STATUS, RESULT_BYTES
from grader.i18n import N_, ReaderError
from grader.spec import Case, NotApplicable, Task, Variant, build

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


# Sent as their kind and the name (the header's "not_own_kind", "not_own_name"); the parent says them.
NOT_OWN = {"class": N_("it is {name}, not a class defined in your file"),
           "function": N_("it is {name}, not a function defined in your file")}


def not_own(target: Any, module: types.ModuleType, own: set[int]) -> tuple[str, str] | None:
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
    return kind, f"{origin}.{what}"


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
    at = None
    if isinstance(error, SyntaxError) and error.filename is not None and error.filename == student_file:
        at = [Path(error.filename).name, error.lineno or 0, None, (error.text or '').strip()[:500]]
    elif student_file:  # the innermost line of the submission's own files: the graded one or a helper
        frames = [(shown, f) for f in traceback.extract_tb(error.__traceback__)
                  if (shown := forbidden.in_submission(f.filename, student_file))]
        if frames:
            shown, frame = frames[-1]
            at = [shown, frame.lineno or 0, frame.name, (frame.line or '').strip()[:500]]
    said = None
    if isinstance(error, ReaderError):  # a grader's own error, raised where student code called the grader
        try:
            said = error.data.model_dump(mode="json")
        except Exception:  # noqa: BLE001 (one made by student code: its text alone is sent)
            said = None
    return {"type": type(error).__name__[:200], "mro": [c.__name__[:200] for c in type(error).__mro__],
            "message": str(error)[:500], "at": at, "said": said}


def _sent(hits: list[forbidden.Finding]) -> list[list]:
    """The tripwires' findings as a frame carries them: [api, file, line] (`frames._is_call` checks them)."""
    return [[hit.api, hit.file, hit.line] for hit in hits]


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
    target, oracle = _target(reference, task), task.oracle
    for index, case in enumerate(cases):
        args, kwargs = build(case.args, device), build(case.kwargs, device)
        frame: dict[str, Any] = {"case": index, "variants": {}}
        if case.raises:
            if parts != "mistakes":
                frame["raised"] = _attempt(lambda: exercise(case, target)(*args, **kwargs))[1]
                if oracle:
                    frame["oracle_raised"] = _attempt(lambda: exercise(case, oracle)(*args, **kwargs))[1]
            send(wire.encode(frame))
            continue
        args64, kwargs64 = to_float64(args), to_float64(kwargs)
        if parts != "mistakes":
            frame["expected"], frame["raised"] = _attempt(lambda: to_float64(exercise(case, target)(*args64, **kwargs64)))
            if oracle:
                frame["oracle"], frame["oracle_raised"] = _attempt(
                    lambda: to_float64(exercise(case, oracle)(*args64, **kwargs64)))
        for number, variant in enumerate(task.variants if parts != "answers" else ()):
            try:
                value = mistake_value(case, variant, reference, args64, kwargs64)
            except Exception as error:  # a defect of the spec, which check-reference names
                frame.setdefault("variant_errors", {})[str(number)] = _exception(error)
                continue
            if value is not None:
                frame["variants"][str(number)] = value
        send(wire.encode(frame))


class _VariantFailed(Exception):
    """A Variant's own code raised (not NotApplicable), on its way out through the case's experiment."""


def mistake_value(case: Case, variant: Variant, reference: Any, args: Any, kwargs: Any) -> Any:
    """A known mistake's value on a case (float64, without gradients), or None where it has none:
    its compute raised NotApplicable, or the case's experiment could not run on what it returned
    (a student who makes that mistake gets an error there too). Any other exception of the
    Variant's own code is raised: a defect of the spec."""
    def compute(*call_args: Any, **call_kwargs: Any) -> Any:
        try:
            return variant.compute(reference, *call_args, **call_kwargs)
        except NotApplicable:
            raise
        except Exception as error:
            raise _VariantFailed() from error
    try:
        return to_float64(experiments.without_gradients(exercise(case, compute)(*args, **kwargs)))
    except NotApplicable:  # the mistake cannot happen in this case, or gives the right answer
        return None
    except _VariantFailed as failed:
        assert isinstance(failed.__cause__, Exception)  # set by `compute` above
        raise failed.__cause__ from None
    except Exception:
        if case.experiment is None and not case.requires_grad:
            raise
        return None


# What the student's side may say in its replies; the grader's side adds the rest.
HEADER_KEYS = ("import_error", "forbidden", "missing", "not_own", "not_own_kind", "not_own_name", "imported")
REPLY_KEYS = ("value", "raised", "forbidden", "modified")
_GO = b"n"  # the grader's side to the student's: run the next case
_POLL_S = 0.05  # how often the grader's side looks whether the student's side ended, while it waits
_PR_SET_DUMPABLE = 4


def run_student(task: Task, student_file: Source, send: Callable[[bytes], None], device: str,
                indices: tuple[int, ...] | None = None, apart: bool = True) -> None:
    """The student's function on each of the task's cases: its output or exception, and what else
    it did. `indices`: each case's number in the whole task, which its frame carries (a child may
    hold only the public cases, or only the hidden ones).

    `apart` (where the jail runs this): the student's code runs in a process of its own, forked
    once every case's inputs are built in shared memory. This process keeps its own copies of
    them and writes every frame: the student's side only answers, case by case, through a pipe of
    its own, and never holds the grader's result channel. Whether an input was modified is a
    comparison made here, after each case and before the next one starts. Without `apart` (a
    spawned process, where nothing is isolated anyway) both sides run in this one process.
    """
    indices = tuple(range(len(task.cases))) if indices is None else indices
    order = tuple(task.run_order())  # before the student's code runs: it cannot reorder what it meets
    inputs = {position: _Inputs.build(task.cases[position], shared=apart) for position in order}

    def stamped(position: int | None, reply: bytes) -> bytes:
        if position is None:
            return wire.restamp(reply, HEADER_KEYS)
        changed = inputs[position].changed()
        claimed = _claimed_modified(reply)
        return wire.restamp(reply, REPLY_KEYS, case=indices[position], modified=sorted(set(changed) | claimed))

    if not apart:
        _student_side(task, student_file, device, order, inputs,
                      reply=lambda position, frame: send(stamped(position, frame)), wait=lambda: True)
        return
    _grader_side(order, stamped, send, _fork_student_side(task, student_file, device, order, inputs))


@dataclass
class _Inputs:
    """One case's arguments, and the grader's own copies of their tensors, taken before any
    student code ran. Shared: the tensors live in a shared anonymous mapping, so that what the
    student's process writes to them shows here."""

    args: Any
    kwargs: Any
    copies: list[torch.Tensor]

    @classmethod
    def build(cls, case: Case, shared: bool) -> "_Inputs":
        args, kwargs = build(case.args), build(case.kwargs)  # on the CPU: the student's side moves them
        if shared:
            args, kwargs = _in_shared_memory((args, kwargs))
        return cls(args, kwargs, [_clone(t.detach()) for t in _tensors((args, kwargs))])

    def changed(self) -> list[int]:
        return [i for i, (old, new) in enumerate(zip(self.copies, _tensors((self.args, self.kwargs))))
                if old.shape != new.shape or not _equal(old, new.detach())]


def _in_shared_memory(value: Any) -> Any:
    """`value` with its tensors copied into one shared anonymous mapping, each with its shape,
    strides and storage offset (a transposed view stays one). A forked process sees the same bytes."""
    tensors = [t for t in _tensors(value) if t.device.type == "cpu" and t.untyped_storage().nbytes()]
    offsets, total = [], 0
    for tensor in tensors:
        offsets.append(total)
        total += -(-tensor.untyped_storage().nbytes() // 64) * 64  # aligned, as an allocator would
    arena = mmap.mmap(-1, max(total, 1))  # MAP_SHARED: one mapping, inherited by a fork
    shared: dict[int, torch.Tensor] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for tensor, offset in zip(tensors, offsets):
            storage = torch.frombuffer(arena, dtype=torch.uint8, count=tensor.untyped_storage().nbytes(),
                                       offset=offset).untyped_storage()
            copy = torch.empty(0, dtype=tensor.dtype).set_(storage, tensor.storage_offset(), tensor.size(),
                                                           tensor.stride())
            shared[id(tensor)] = copy.copy_(tensor)
    return _map_tensors(value, lambda t: shared.get(id(t), t))


def _map_tensors(value: Any, change: Callable[[torch.Tensor], Any]) -> Any:
    if isinstance(value, torch.Tensor):
        return change(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_map_tensors(v, change) for v in value)
    if isinstance(value, dict):
        return {k: _map_tensors(v, change) for k, v in value.items()}
    return value


def _claimed_modified(reply: bytes) -> set[int]:
    """The inputs the student's side says it reshaped in place (it can only own up to more)."""
    try:
        claimed = wire.decode(reply).get("modified", [])
        return {i for i in claimed if isinstance(i, int) and 0 <= i < 10**6} if isinstance(claimed, list) else set()
    except (ValueError, AttributeError):
        return set()


def _fork_student_side(task: Task, student_file: Source, device: str, order: tuple[int, ...],
                       inputs: dict[int, _Inputs]) -> tuple[int, int, int]:
    """Fork the student's side; (its pid, the pipe its replies come on, the pipe that starts its cases).

    This process is made undumpable first, and so is the fork: a process of the same uid then
    cannot open this one's /proc/PID/fd (the result channel) or read its memory."""
    if ctypes.CDLL(None).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError("prctl(PR_SET_DUMPABLE) failed")
    replies_read, replies_write = os.pipe()
    go_read, go_write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(replies_write)
        os.close(go_read)
        return pid, replies_read, go_write
    status = 70
    try:
        # Printing goes to descriptor 1 (/dev/null in the jail), before the others close: a file
        # object whose descriptor was closed under it would fail the student's every print.
        sys.stdout = sys.stderr = open(1, "w", encoding="utf-8", closefd=False)
        close_all_but(replies_write, go_read)  # the result channel among them

        def reply(position: int | None, frame: bytes) -> None:
            os.write(replies_write, wire.LENGTH.pack(len(frame)))
            view = memoryview(frame)
            while view:
                view = view[os.write(replies_write, view):]

        _student_side(task, student_file, device, order, inputs, reply, wait=lambda: os.read(go_read, 1) == _GO)
        status = 0
    except BaseException:
        status = 71
    finally:
        os._exit(status)


def _grader_side(order: tuple[int, ...], stamped: Callable[[int | None, bytes], bytes],
                 send: Callable[[bytes], None], student: tuple[int, int, int]) -> None:
    """Read the student's side's header, then start its cases one at a time, and send a frame for
    each reply. In the end, end as it ended (a signal as 128 + its number, as the jail's PID 1
    does), or say why it was stopped: FORGED_STATUS if it wrote what is no reply, OVERFLOW_STATUS
    for a reply over the result limit."""
    pid, replies_fd, go = student
    replies, stopped = _Replies(replies_fd, pid), 0
    try:
        header = replies.next()
        if header is not None:
            send(stamped(None, header))
            for position in order:
                os.write(go, _GO)
                reply = replies.next()
                if reply is None:
                    break
                send(stamped(position, reply))
    except ValueError as error:  # too large, or no reply: something beside the grader's code wrote it
        stopped = OVERFLOW_STATUS if isinstance(error, _TooLarge) else FORGED_STATUS
        os.kill(pid, signal.SIGKILL)
    except OSError:  # a channel closed: no more replies
        os.kill(pid, signal.SIGKILL)
    finally:
        os.close(go)
        os.close(replies_fd)
    code = replies.wait()
    if stopped or code:
        os._exit(stopped or (128 - code if code < 0 else code))


class _TooLarge(ValueError):
    pass


class _Replies:
    """The student's side's replies, length-prefixed on a pipe. The stream ends when the process
    ends, even if something it forked still holds the pipe open: then only what is already in the
    pipe is read."""

    def __init__(self, fd: int, pid: int):
        self.fd, self.pid = fd, pid
        self.status: int | None = None  # its wait status, once it ended

    def next(self) -> bytes | None:
        """One reply; None at the end of the stream, or where the last one was cut short (the
        process was killed while writing)."""
        head = self._read(wire.LENGTH.size)
        if head is None:
            return None
        (length,) = wire.LENGTH.unpack(head)
        if length > RESULT_BYTES:
            raise _TooLarge(f"a reply of {length} bytes")
        return self._read(length)

    def wait(self) -> int:
        """Its exit code, as os.waitstatus_to_exitcode gives it, once it ends."""
        if self.status is None:
            self.status = os.waitpid(self.pid, 0)[1]
        return os.waitstatus_to_exitcode(self.status)

    def _ended(self) -> bool:
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
        return self.status is not None

    def _read(self, size: int) -> bytes | None:
        data = bytearray()
        while len(data) < size:
            ended = self._ended()
            if not select.select([self.fd], [], [], 0 if ended else _POLL_S)[0]:
                if ended:
                    return None
                continue
            chunk = os.read(self.fd, min(size - len(data), 1 << 20))
            if not chunk:
                return None
            data += chunk
        return bytes(data)


def _student_side(task: Task, student_file: Source, device: str, order: tuple[int, ...],
                  inputs: dict[int, _Inputs], reply: Callable[[int | None, bytes], None],
                  wait: Callable[[], bool]) -> None:
    """Import the student's file and answer a header; then, each time `wait()` says go, run the
    next case and answer its value or exception. Tripwires are armed for the whole of the
    student's code: its import and every call."""
    if device == "cuda":  # TF32 would round float32 matmuls to 10 bits and fail correct code
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    hits: list[forbidden.Finding] = []
    forbidden.install_tripwires(task.forbidden, hits, student_file.path)
    saved_builtins = _Builtins()
    try:
        code = compile_source(student_file)
        own = {id(c) for c in code_objects(code)}
        with saved_builtins.student_turn():
            module = load_module(student_file, "submission", code)
    except BaseException as error:
        reply(None, wire.encode({"import_error": _exception(error, student_file.path),
                                 "forbidden": _sent(hits)}))
        return
    if task.target not in vars(module):
        reply(None, wire.encode({"missing": task.target}))
        return
    if task.call == "function" and (why := not_own(vars(module)[task.target], module, own)):
        reply(None, wire.encode({"not_own": task.target, "not_own_kind": why[0], "not_own_name": why[1]}))
        return
    reply(None, wire.encode({"imported": True}))
    target = _target(module, task)
    for position in order:
        if not wait():
            return
        case, given = task.cases[position], inputs[position]
        on_cpu = _tensors((given.args, given.kwargs))
        args, kwargs = _map_tensors((given.args, given.kwargs), lambda t: t.to(device))
        if case.requires_grad:
            for tensor in _tensors((args, kwargs)):
                if tensor.is_floating_point():
                    tensor.requires_grad_(True)
        shapes = [t.shape for t in _tensors((args, kwargs))]
        frame: dict[str, Any] = {"value": None, "raised": None}
        hits.clear()
        try:
            with saved_builtins.student_turn():
                frame["value"] = exercise(case, target)(*args, **kwargs)
        except BaseException as error:  # SystemExit and tripwires included
            frame["raised"] = _exception(error, student_file.path)
        frame["forbidden"] = _sent(hits)
        used = _tensors((args, kwargs))
        frame["modified"] = [i for i, (shape, t) in enumerate(zip(shapes, used)) if t.shape != shape]
        _copy_back(used, on_cpu)
        try:
            encoded = wire.encode(frame)
        except Exception as error:
            frame["value"], frame["raised"] = None, _exception(error)
            encoded = wire.encode(frame)
        reply(position, encoded)


def _copy_back(used: list[torch.Tensor], given: list[torch.Tensor]) -> None:
    """Arguments that went to another device come back into the shared tensors, so the grader's
    side sees what the student's code did to them. Best effort: this runs beside the student's code."""
    for new, old in zip(used, given):
        if new is not old and new.shape == old.shape:
            with torch.no_grad():
                old.copy_(_clone(new.detach()).cpu())


def _tensors(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []
