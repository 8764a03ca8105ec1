"""Judge one case: the student's output against the reference's, with a diagnosis where one fits."""
from __future__ import annotations

import builtins
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from grader.engine.forbidden import Finding
from grader.engine.frames import CaseReply, Raised, ReferenceCase
from grader.engine.load import spot
from grader.engine.wire import OtherValue, TensorValue
from grader.experiments import GRADIENTS, without_gradients
from grader.i18n import N_, Message, joined, message, name, plain, text
from grader.spec import MODEL_MUST_NOT_RUN, Case, Model, Random, Task, Tensor, Variant, build

# Diagnoses of an output that came back but is wrong: the ones a case's note may help with.
VALUE_DIAGNOSES = {"wrong_values", "wrong_value", "wrong_shape", "wrong_names", "missing_value"}

EPS = {"float16": 1e-3, "bfloat16": 8e-3, "float32": 1.2e-7, "float64": 2.3e-16}
SAFETY = 16  # times the rounding a correct float32 implementation makes in any summation order

# Diagnoses that need no variant from the spec: what they mean, in a line for the student.
HINTS = {
    "dtype_not_preserved": N_("return the input's dtype: no .float()/.double(), and build new tensors with dtype=input.dtype"),
    "wrong_device": N_("create new tensors on the input's device (device=input.device)"),
    "input_modified": N_("never modify an input in place: work on a copy or build a new tensor"),
    "not_differentiable": N_("the output lost its autograd graph: avoid .numpy(), .item(), .detach() and torch.tensor(...) on results"),
    "wrong_type": N_("return a torch.Tensor (not a numpy array, list or Tensor subclass)"),
    "wrong_names": N_("the names are part of the contract (see the assignment's README)"),
    "missing_value": N_("for a gradient: the parameter is not used in forward, or only through .detach(), .data or no_grad"),
    "float32_precision": N_("right to about 6 digits only: part of the work ran in float32 (a torch.zeros or "
                            "torch.tensor without dtype=input.dtype?)"),
}


def describe_call(task: Task, case: Case) -> str:
    """The configuration in a line, e.g. conv2d(input (2, 3, 8, 8) float32, weight (4, 3, 3, 3), stride=2)."""
    if case.call:
        return case.call
    parts = [_describe_arg(a) for a in case.args]
    parts += [f"{k}={_describe_arg(v)}" for k, v in case.kwargs.items()]
    if task.call == "mapping":
        return f"{task.target}[{', '.join(parts)}]"
    return f"{task.target}({', '.join(parts)})"


def _describe_arg(value: Any) -> str:
    if isinstance(value, Random):
        layout = "" if value.contiguous else ", non-contiguous"
        return f"tensor {tuple(value.shape)} {value.dtype}{layout}"
    if isinstance(value, Tensor):
        array = np.asarray(value.values)
        if array.size <= 12:
            return f"tensor({value.values})"
        return f"tensor {array.shape} {value.dtype}"
    if isinstance(value, Model):
        return value.code
    return repr(value)


def _first_tensor_dtype(values: Any) -> str | None:
    for value in values:
        if isinstance(value, (Random, Tensor)) and value.dtype.startswith("float"):
            return value.dtype
    return None


@dataclass(frozen=True)
class Verdict:
    """One check's outcome under construction."""

    passed: bool
    message: Message | None = None  # why it failed; a passed check says nothing
    diagnosis: str | None = None
    # CheckResult's expected, got, wrong and values_at, for a small wrong tensor
    values: dict[str, Any] = field(default_factory=dict)


def forbidden_use(use: Finding, place: Callable[[str, int], Message] = spot) -> Message:
    """A forbidden API and where the student's code used it, as `place` says a line ("torch.conv2d
    at conv.py:3"); the API alone where a tripwire saw no line of the submission on the stack."""
    if use.file is None:
        return plain(use.api)
    return message("{api} at {place}", api=use.api, place=place(use.file, use.line))


def judge(task: Task, case: Case, expected: ReferenceCase | None, got: CaseReply | None, device: str,
          no_result: tuple[str, Message] | None = None, place: Callable[[str, int], Message] = spot) -> Verdict:
    """Compare one case. `no_result` is (diagnosis, message) when the child sent nothing for it;
    messages are data (`Message`), said by the renderers in the reader's language."""
    if expected is None or (not case.raises and expected.raised):
        reason = expected.raised.message if expected and expected.raised else message("no reference result")
        return Verdict(False, message("grader defect, not your fault: the reference failed ({reason})",
                                  reason=reason), "grader_defect")
    if got is None:
        diagnosis, said_instead = no_result or ("no_result", message("no result came back for this case"))
        return Verdict(False, said_instead, diagnosis)
    if got.forbidden:
        return Verdict(False, message("called forbidden {use}", use=forbidden_use(got.forbidden[0], place)),
                       "forbidden_api")
    if case.raises:
        return _judge_probe(task, expected, got, place)
    if got.raised:
        return _judge_exception(task, got.raised, place)
    defect = (task.oracle is not None and case.law is None and expected.oracle_given
              and not agree(expected.expected, expected.oracle))
    if defect:  # the reference disagrees with torch: a grader defect, so torch's answer decides
        expected = dataclasses.replace(expected, expected=expected.oracle)
    verdict = _judge_value(task, case, expected, got.value, device, values=case.law is None)
    if verdict.passed and case.law is not None:
        verdict = _judge_law(case, got.value)
    elif not verdict.passed and case.law is None:
        verdict = _whole_variant(task, case, expected, got.value, device, verdict)
    if case.requires_grad and verdict.diagnosis in (None, "missing_value") and _lost_graph(got.value):
        verdict = Verdict(False, message(HINTS["not_differentiable"]), "not_differentiable")
    if verdict.passed and got.modified:
        which = ", ".join(f"#{i + 1}" for i in got.modified)
        verdict = Verdict(False, message("input tensor {which} was modified in place: {hint}", which=which,
                                     hint=message(HINTS["input_modified"])), "input_modified")
    if defect:
        verdict = dataclasses.replace(verdict, message=plain(
            "{message} {defect}", message=verdict.message,
            defect=message("(grader defect: the reference disagrees with torch here; judged against torch)")))
    if case.hidden:
        verdict = dataclasses.replace(verdict, values={})
    return verdict


def at_failing_line(raised: Raised, place: Callable[[str, int], Message] = spot) -> Message | str:
    """Where the failing line is, to end a message with, from the place the child sent as data
    (`run._exception`'s "at": file, line, function, code): " at helper.py:5 in broken: return
    x[0]"; at the module's top level, " at helper.py:5: import torchvision". Nothing where the
    child named no place in the student's files."""
    if not raised.at:
        return ""
    file, line, function, code = raised.at
    line_at = place(file, line)
    if function is None or function == "<module>":
        shown = plain("{place}: {code}", place=line_at, code=code)
    else:
        shown = message("{place} in {function}: {code}", place=line_at, function=function, code=code)
    return plain(" {at}", at=message("at {place}", place=shown))


def said(error: Raised, limit: int | None = None) -> Message:
    """An exception's message for the reader: a grader's own error (student code that called the
    grader), sent as its key and fields (`ReaderError.data`), said in the reader's language; a
    message that is empty said to be so."""
    if error.said is not None:
        return error.said
    return plain(error.message[:limit]) if error.message else message("(no message)")


def _judge_exception(task: Task, raised: Raised, place: Callable[[str, int], Message] = spot) -> Verdict:
    where = at_failing_line(raised, place)
    if raised.type == "NotImplementedError" or (task.call == "mapping" and raised.type == "KeyError"):
        return Verdict(False, message("not implemented"), "not_implemented")
    if _out_of_memory(raised):
        return Verdict(False, message("ran out of memory{where}", where=where), "memory")
    if MODEL_MUST_NOT_RUN in raised.message:
        return Verdict(False, message("ran the model{where}: {rule}", where=where,
                                  rule=message(MODEL_MUST_NOT_RUN)), "model_was_run")
    if raised.type == "SystemExit":
        return Verdict(False, message("called sys.exit(){where}: never exit from a graded function", where=where),
                       "exception")
    known = next((hint for hint in task.raised_hints if hint.fragment in raised.message), None)
    said_raised = message("raised {type}: {message}{where}", type=raised.type, message=said(raised), where=where)
    return Verdict(False, plain("{message}: {hint}", message=said_raised, hint=message(known.hint)) if known
                   else said_raised, known.code if known else "exception")


def _out_of_memory(raised: Raised) -> bool:
    """Python's, numpy's or torch's out-of-memory error (torch's is a RuntimeError on the CPU)."""
    return ("MemoryError" in raised.mro or "OutOfMemoryError" in raised.mro
            or "can't allocate memory" in raised.message)


_BUILTIN_EXCEPTIONS = frozenset(name for name, value in vars(builtins).items()
                                if isinstance(value, type) and issubclass(value, BaseException))


def _judge_probe(task: Task, expected: ReferenceCase, got: CaseReply, place: Callable[[str, int], Message] = spot) -> Verdict:
    wanted = expected.raised
    if wanted is None:
        return Verdict(False, message("grader defect, not your fault: the reference accepted this probe"),
                       "grader_defect")
    raised = got.raised
    if raised is None:
        return Verdict(False, message("invalid arguments were accepted; expected {type} ({message})",
                                  type=wanted.type, message=wanted.message[:120]), "no_exception")
    # A call that ran out of memory or stack never got to check its arguments, even when the error's
    # class (torch's out-of-memory RuntimeError, RecursionError) is the one the probe expects.
    if raised.type == "NotImplementedError" or _out_of_memory(raised) or "RecursionError" in raised.mro:
        return _judge_exception(task, raised, place)
    others = [name for name in raised.mro if name not in wanted.mro and name in _BUILTIN_EXCEPTIONS]
    if wanted.type in raised.mro and not others:
        return Verdict(True)
    if wanted.type in raised.mro:
        return Verdict(False, message("raised {type}, which is also a {others}: raise exactly {wanted} (or a "
                                            "subclass of it alone)", type=raised.type, others=", ".join(others),
                                  wanted=wanted.type), "wrong_exception")
    why = message(MODEL_MUST_NOT_RUN) if MODEL_MUST_NOT_RUN in raised.message else said(raised, 120)
    return Verdict(False, message("raised {type} ({message}), but this call must raise {wanted}, as the "
                                        "statement says", type=raised.type, message=why,
                              wanted=wanted.type), "wrong_exception")


def _lost_graph(value: Any) -> bool:
    """A differentiable case's floating-point output (beside its gradients) has no autograd graph."""
    value = without_gradients(value)
    if isinstance(value, dict):
        return any(_lost_graph(part) for part in value.values())
    if isinstance(value, (list, tuple)):
        return any(_lost_graph(part) for part in value)
    return isinstance(value, TensorValue) and value.data.is_floating_point() and not value.has_grad_fn


def _whole_variant(task: Task, case: Case, expected: ReferenceCase, got: Any, device: str, verdict: Verdict) -> Verdict:
    """A known mistake that explains the whole output, where no part named one: e.g. a module
    whose state_dict differs from the contract's just as that mistake's does."""
    if verdict.diagnosis in {variant.code for variant in task.variants}:
        return verdict
    right, got = without_gradients(expected.expected), without_gradients(got)

    def explains(value: Any) -> bool:  # the mistake's output is the student's, and not the right one
        return _judge_value(task, case, ReferenceCase(expected=value), got, device).passed \
            and not agree(value, right)
    same = [variant for variant, value in _matching_variants(task, expected, explains)]
    if not same or verdict.message is None:  # (a failed verdict always says why)
        return verdict
    return dataclasses.replace(_diagnosed(verdict.message, same), values=verdict.values)


def _judge_law(case: Case, value: Any) -> Verdict:
    """An output that is random by design, judged by the case's law instead of by equality."""
    if case.law is None:
        raise ValueError(f"case {case.name} has no law")
    try:
        broken = case.law(value, *build(case.args), **build(case.kwargs))
    except Exception as error:  # the output has a form the law cannot read
        return Verdict(False, message("could not check this output ({error})",
                                  error=f"{type(error).__name__}: {error}"), "wrong_values")
    if broken is None:
        return Verdict(True)
    diagnosis, key, fields = broken
    return Verdict(False, message(key, **fields), diagnosis)


def breaks_law(case: Case, value: Any) -> str | None:
    """What a trusted answer (torch's) does wrong by the case's law, if anything."""
    verdict = _judge_law(case, value)
    return None if verdict.passed else str(verdict.message)


def _judge_value(task: Task, case: Case, expected: ReferenceCase, got: Any, device: str,
                 values: bool = True, path: Message | None = None, gradient: bool = False) -> Verdict:
    """`expected` holds the reference's answer and the variants' at the same place in the output;
    `path` names that place in a structured output (dict keys, tuple positions); with `values`
    False only the form is checked (type, shape, dtype, device), for outputs judged by a law;
    `gradient`: the place is among an experiment's gradients."""
    want = expected.expected
    if got is None and want is not None and not gradient:
        verdict = Verdict(False, message("returned None: is a `return` missing?"), "wrong_type")
    elif isinstance(want, dict) or (isinstance(want, (list, tuple)) and _holds_tensor(want)):
        return _judge_parts(task, case, expected, got, device, values, path, gradient)
    else:
        verdict = _judge_leaf(task, case, expected, got, device, values)
    if path and not verdict.passed:
        verdict = dataclasses.replace(verdict, message=plain("{path}: {message}", path=path, message=verdict.message))
    return verdict


def _holds_tensor(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_holds_tensor(v) for v in value)
    return isinstance(value, (TensorValue, dict))


def _judge_parts(task: Task, case: Case, expected: ReferenceCase, got: Any, device: str, values: bool,
                 path: Message | None, gradient: bool) -> Verdict:
    """A structured output, part by part; the first wrong part is reported, under its path."""
    want = expected.expected
    def where(said: Message) -> Message:
        return plain("{path}: {message}", path=path, message=said) if path else said
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return Verdict(False, where(message("returned {what}, expected a dict", what=_plain_type(got))),
                           "wrong_type")
        missing, extra = [k for k in want if k not in got], [k for k in got if k not in want]
        if missing or extra:
            return Verdict(False, where(plain("{names}: {hint}", names=_names_differ(missing, extra),
                                              hint=message(HINTS["wrong_names"]))), "wrong_names")
        keys = list(want)
        labels = [plain("{path} / {key}", path=path, key=name(str(k))) if path else name(str(k)) for k in want]
    else:
        if type(got) is not type(want) or len(got) != len(want):
            what = message("a {type} of {count}", type=type(got).__name__, count=len(got)) \
                if isinstance(got, (list, tuple)) else _plain_type(got)
            return Verdict(False, where(message("returned {what}, expected a {type} of {count}", what=what,
                                                type=type(want).__name__, count=len(want))), "wrong_type")
        keys = list(range(len(want)))
        labels = [plain("{path}[{index}]", path=path or message("output"), index=str(i)) for i in keys]
    for key, label in zip(keys, labels):
        part = ReferenceCase(expected=want[key], variants={  # mistakes come without gradients (without_gradients)
            number: value[key] for number, value in expected.variants.items()
            if (isinstance(value, dict) and key in value) or
               (isinstance(value, (list, tuple)) and isinstance(key, int) and key < len(value))})
        verdict = _judge_value(task, case, part, got[key], device, values, label,
                               gradient or key == GRADIENTS)
        if not verdict.passed:
            return verdict
    return Verdict(True)


def _names_differ(missing: list[str], extra: list[str]) -> Message:
    def listed(names: list[str]) -> Message:
        shown = ", ".join(names[:6])
        if len(names) <= 6:
            return plain(shown)
        return plain("{names} {more}", names=shown, more=message("(and {count} more)", count=len(names) - 6))
    parts = ([message("missing {names}", names=listed(missing))] if missing else []) + \
        ([message("unexpected {names}", names=listed(extra))] if extra else [])
    return joined("; ", parts)


def _judge_leaf(task: Task, case: Case, expected: ReferenceCase, got: Any, device: str,
                values: bool) -> Verdict:
    want = expected.expected
    if isinstance(want, TensorValue):
        if got is None:  # a gradient (see _judge_value): no path from the output to this tensor
            return Verdict(False, message("None where a tensor is expected ({hint})",
                                      hint=message(HINTS["missing_value"])), "missing_value")
        return _judge_tensor(task, case, expected, got, device, values)
    if _same_plain(want, got):
        return Verdict(True)
    said = message("expected {want}, got {got}", want=_show(want), got=_show(got))
    matching = [v for v, _ in _matching_variants(task, expected, lambda value: _same_plain(value, got))]
    if matching:
        return _diagnosed(said, matching)
    path, want_item, got_item = _first_difference(want, got)
    if path or isinstance(want, (list, tuple)):
        entry = "".join(f"[{i}]" for i in path)
        if isinstance(want_item, (list, tuple)) and isinstance(got_item, (list, tuple)) \
                and len(want_item) != len(got_item):
            said = message("{count} entries in {entry}, expected {wanted}", count=len(got_item),
                          entry=entry, wanted=len(want_item)) if entry else \
                message("{count} entries, expected {wanted}", count=len(got_item), wanted=len(want_item))
        else:
            said = message("entry {entry}: expected {want}, got {got}", entry=entry, want=repr(want_item),
                          got=_show(got_item))
    if _plain_type(got_item) != _plain_type(want_item):
        return Verdict(False, plain("{message} {types}", message=said, types=message(
            "({got} where {want} is expected)", got=_plain_type(got_item), want=_plain_type(want_item))), "wrong_type")
    return Verdict(False, said, "wrong_value")


def _first_difference(want: Any, got: Any, path: tuple[int, ...] = ()) -> tuple[tuple[int, ...], Any, Any]:
    """Where two plain values first differ: the index path and the two items there."""
    if isinstance(want, (list, tuple)) and isinstance(got, (list, tuple)):
        for index, (w, g) in enumerate(zip(want, got)):
            if not _same_plain(w, g):
                return _first_difference(w, g, (*path, index))
    return path, want, got


def _matching_variants(task: Task, expected: ReferenceCase, same: Callable[[Any], bool]) -> list[tuple[Variant, Any]]:
    """The known wrong answers that `same` accepts, with their values, in the spec's order."""
    return [(task.variants[int(key)], value) for key, value in expected.variants.items()
            if key.isdigit() and int(key) < len(task.variants) and same(value)]


def _diagnosed(said: Message, variants: list[Variant]) -> Verdict:
    hints = [text(hint) for hint in dict.fromkeys(v.hint for v in variants)]
    return Verdict(False, plain("{message}: {hints}", message=said, hints=joined(N_(" - or - "), hints)),
                   variants[0].code)


def _plain_type(value: Any) -> str:
    if isinstance(value, OtherValue):
        return value.type_name
    if isinstance(value, TensorValue):
        return "torch.Tensor"
    return type(value).__name__


def _same_plain(want: Any, got: Any) -> bool:
    """Equality for ints, tuples and lists of them; a list and a tuple of the same items are equal."""
    if isinstance(want, (list, tuple)):
        return isinstance(got, (list, tuple)) and len(got) == len(want) and \
            all(_same_plain(w, g) for w, g in zip(want, got))
    if isinstance(want, bool) or isinstance(got, bool):
        return type(want) is type(got) and want == got
    if isinstance(want, (int, float, str)) or want is None:
        return type(got) is type(want) and got == want
    return False


def _show(value: Any) -> Message | str:
    if isinstance(value, TensorValue):
        return message("tensor of shape {shape}", shape=tuple(value.data.shape))
    if isinstance(value, OtherValue):
        return message("a {type}", type=value.type_name)
    shown = repr(value)
    return shown if len(shown) <= 200 else shown[:200] + "..."


def _tolerance(task: Task, case: Case, dtype: str | None, want: torch.Tensor) -> float:
    if not want.is_floating_point():
        return 0.0  # indices, counters: exact
    terms = case.terms or (task.reduction(*case.args, **case.kwargs) if task.reduction else 1)
    scale = max(1.0, float(want.abs().max())) if want.numel() else 1.0
    return SAFETY * EPS.get(dtype or "float32", 1.2e-7) * terms * scale


def _judge_tensor(task: Task, case: Case, expected: ReferenceCase, got: Any, device: str,
                  values: bool = True) -> Verdict:
    want: TensorValue = expected.expected
    if not isinstance(got, TensorValue) or not got.exact_type:
        what = _plain_type(got) if not isinstance(got, TensorValue) else message("a subclass of torch.Tensor")
        return Verdict(False, message("returned {what}: {hint}", what=what, hint=message(HINTS["wrong_type"])),
                       "wrong_type")
    input_dtype = _first_tensor_dtype((*case.args, *case.kwargs.values()))
    if want.data.is_floating_point():  # made from the inputs: their dtype
        dtype = input_dtype or task.output_dtype
    else:  # indices, counters: the reference's integer dtype
        dtype = want.dtype
    # Values, and the known mistakes, are compared at the precision the student returned: a float32
    # result for a float64 input is a dtype mistake, and whatever else is wrong is still named.
    tolerance = _tolerance(task, case, _coarser(dtype, got.dtype), want.data)
    same_shape = _matching_variants(task, expected, lambda v: isinstance(v, TensorValue)
                                    and v.data.shape == got.data.shape)
    equal = [v for v, value in same_shape if _mismatch(value.data, got.data, tolerance) is None]
    if got.data.shape != want.data.shape:
        said = message("shape {got}, expected {want}", got=tuple(got.data.shape), want=tuple(want.data.shape))
        if equal:
            return _diagnosed(said, equal)
        # Size-formula mistakes give this shape whatever else the code does: named when the values
        # are the right ones, cut or extended, or that mistake's own; never when they point elsewhere.
        sized = [(variant, value) for variant, value in same_shape if variant.by_shape]
        if values and not _agree_mostly(want.data, got.data, tolerance):
            sized = [(variant, value) for variant, value in sized if _agree_mostly(value.data, got.data, tolerance)]
        if sized:
            hints = [text(hint) for hint in dict.fromkeys(v.hint for v, _ in sized)]
            all_hints = joined(N_(" - or - "), hints)
            which = message("the shape matches what this mistake gives: {hints}", hints=all_hints) \
                if len(hints) == 1 else message("the shape matches what each of these mistakes gives: {hints}",
                                                hints=all_hints)
            return Verdict(False, plain("{message}; {which}", message=said, which=which), sized[0][0].code)
        return Verdict(False, said, "wrong_shape")
    bad = _mismatch(want.data, got.data, tolerance) if values else None
    broken = _broken_contract(task, want, got, dtype, input_dtype, device)
    if bad is None:
        return broken or Verdict(True)
    if equal:
        verdict = _diagnosed(bad, equal)
    elif got.dtype == dtype == "float64" and \
            _mismatch(want.data, got.data, _tolerance(task, case, "float32", want.data)) is None:
        verdict = Verdict(False, plain("{message}: {hint}", message=bad, hint=message(HINTS["float32_precision"])),
                          "float32_precision")
    else:  # a value diagnosis, so that the known mistakes are computed and may name it
        verdict = Verdict(False, bad, "wrong_values")
    if broken:  # the values are wrong whatever the dtype: both are said
        verdict = dataclasses.replace(verdict, message=plain("{message}; {broken}", message=verdict.message,
                                                             broken=broken.message))
    return dataclasses.replace(verdict, values=side_by_side(want.data, got.data, _wrong(want.data, got.data, tolerance)))


def _agree_mostly(want: torch.Tensor, got: torch.Tensor, tolerance: float) -> bool:
    """At least half of the values the two share (the leading corner, where the shapes differ) are equal."""
    if want.dim() != got.dim():
        return False
    common = tuple(slice(0, min(a, b)) for a, b in zip(want.shape, got.shape))
    wrong = _wrong(want[common], got[common], tolerance)
    return wrong.numel() > 0 and int(wrong.sum()) * 2 <= wrong.numel()


def _coarser(dtype: str | None, returned: str) -> str | None:
    """Of the expected dtype and the one returned, the one with the larger rounding error."""
    if returned not in EPS or dtype is None or dtype not in EPS:
        return dtype
    return max(dtype, returned, key=EPS.__getitem__)


def _broken_contract(task: Task, want: TensorValue, got: TensorValue, dtype: str | None, input_dtype: str | None,
                     device: str) -> Verdict | None:
    """A wrong dtype or device, whatever the values."""
    if dtype and got.dtype != dtype:
        own_dtype = dtype == task.output_dtype or not want.data.is_floating_point()  # not the input's
        hint = message("make it a torch.{dtype} tensor", dtype=dtype) if own_dtype \
            else message(HINTS["dtype_not_preserved"])
        return Verdict(False, message("dtype {got}, expected {want}: {hint}", got=got.dtype, want=dtype, hint=hint),
                       "dtype_not_preserved")
    if input_dtype and got.device.split(":")[0] != device:  # without tensor inputs, like torch: the CPU
        return Verdict(False, message("on device {got}, expected {want}: {hint}", got=got.device, want=device,
                                  hint=message(HINTS["wrong_device"])), "wrong_device")
    return None


def _wrong(want: torch.Tensor, got: torch.Tensor, tolerance: float) -> torch.Tensor:
    """Where `got` differs from `want` by more than the tolerance (NaN where NaN is expected is right)."""
    got = got.to(torch.float64) if got.dtype != torch.float64 else got
    want = want.to(torch.float64)
    wrong = ~torch.isfinite(got) | ((got - want).abs() > tolerance)
    return wrong & ~(torch.isnan(want) & torch.isnan(got))


def _mismatch(want: torch.Tensor, got: torch.Tensor, tolerance: float) -> Message | None:
    """None when equal within tolerance, else where and how the values differ."""
    got = got.to(torch.float64) if got.dtype != torch.float64 else got
    want = want.to(torch.float64)
    finite = torch.isfinite(got)
    wrong = _wrong(want, got, tolerance)
    count = int(wrong.sum())
    if not count:
        return None
    first = tuple(int(i) for i in torch.nonzero(wrong)[0])
    if want.numel() <= 16:
        return message("expected {want}, got {got}", want=_round(want), got=_round(got))
    nonfinite = plain(" {said}", said=message("(NaN or inf)")) if not bool(finite.all()) else ""
    return message("{count} of {total} values wrong{nonfinite}; first at index {first}: expected {want}, got {got}",
               count=count, total=want.numel(), nonfinite=nonfinite, first=first, want=f"{want[first].item():.8g}",
               got=f"{got[first].item():.8g}")


MAX_SHOWN_VALUES = 64  # entries of a wrong tensor (or of its 2-D slice) the report shows side by side


def side_by_side(want: torch.Tensor, got: torch.Tensor, wrong: torch.Tensor) -> dict:
    """A small wrong tensor's expected and got values as nested lists, with the mask of wrong
    entries: squeezed, and cut to the 2-D slice that holds the first wrong entry when it has more
    dimensions; {} when that is still more than MAX_SHOWN_VALUES entries, or a single value."""
    if want.is_complex() or got.is_complex() or not bool(wrong.any()):
        return {}
    kept = [d for d, size in enumerate(want.shape) if size != 1]
    if not kept:
        return {}  # one value: the message already shows it
    first = [int(i) for i in torch.nonzero(wrong)[0]]
    index: list[int | slice] = [0 if size == 1 else slice(None) for size in want.shape]
    for d in kept[:-2]:
        index[d] = first[d]
    parts = [t[tuple(index)] for t in (want, got, wrong)]
    if parts[0].numel() > MAX_SHOWN_VALUES:
        return {}
    at = "" if len(kept) <= 2 else "[" + ", ".join(":" if isinstance(i, slice) else str(i) for i in index) + "]"
    return {"expected": _plain(parts[0]), "got": _plain(parts[1]), "wrong": parts[2].tolist(), "values_at": at}


def _plain(tensor: torch.Tensor) -> list:
    """Nested lists of numbers to 6 significant digits; "nan", "inf" and "-inf" as text, so that
    the report's JSON reads back equal."""
    def number(value):
        if isinstance(value, list):
            return [number(v) for v in value]
        if isinstance(value, float):
            return float(f"{value:.6g}") if np.isfinite(value) else str(value)
        return value
    return number(tensor.tolist())


def _round(tensor: torch.Tensor) -> str:
    values = np.round(tensor.numpy(), 4).tolist()
    return str(values).replace(".0,", ",").replace(".0]", "]")


def agree(ours: Any, theirs: Any) -> bool:
    """Two trusted answers (reference, torch, the lecture's numbers) are the same, to float64 rounding."""
    if isinstance(ours, dict):
        return isinstance(theirs, dict) and list(ours) == list(theirs) and all(agree(ours[k], theirs[k]) for k in ours)
    if isinstance(ours, (list, tuple)) and _holds_tensor(ours):
        return isinstance(theirs, (list, tuple)) and len(ours) == len(theirs) and \
            all(agree(o, t) for o, t in zip(ours, theirs))
    if isinstance(ours, TensorValue):
        if isinstance(theirs, TensorValue):
            theirs = theirs.data
        try:
            theirs = torch.as_tensor(theirs, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError):
            return False
        return ours.data.shape == theirs.shape and _mismatch(ours.data, theirs, 1e-9) is None
    return _same_plain(ours, theirs)
