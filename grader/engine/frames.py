"""The records a child's frames decode to, and the one place that checks them.

`wire` is the byte format (a JSON header and raw arrays, never pickle); this module is the schema
on top of it: which fields a frame may carry, of which types, and the frozen records the rest of
the grader reads. A child is untrusted: a frame whose fields are not of the types below is
dropped (its case has no result, a failed check), and free text a child wrote is cut short with
its control characters made spaces.

What a child sends:
- the student's side, once: a `TaskHeader` (imported, or why not);
- the student's side, per case: a `CaseReply` (value or exception, forbidden calls, modified inputs);
- the reference, per case: a `ReferenceCase` (expected value or exception, torch's answer, the
  known mistakes' values).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from grader.engine.forbidden import Finding
from grader.engine.wire import MAX_MESSAGE, MAX_TEXT, decode
from grader.i18n import Message

MAX_CASE = 10**6  # a case index, or an input's number among a case's tensors
MAX_LINE = 10**9  # a line number in the student's files


@dataclass(frozen=True)
class Raised:
    """An exception as a child reported it (`run._exception`): its class, class chain and message,
    and where in the student's files it came from."""

    type: str
    mro: tuple[str, ...] = field()  # field(): else the dataclass takes `type.mro` for its default
    message: str
    at: tuple[str, int, str | None, str] | None = None  # (file, line, function, code) in the student's files
    said: Message | None = None  # a grader's own error (student code called the grader): its key and fields


@dataclass(frozen=True)
class TaskHeader:
    """The student's side's first frame: whether the file imported, and if not, why not.
    `missing_file` is never sent by a child: the grader says so itself where nothing ran."""

    imported: bool = False
    missing: str | None = None  # the task's target is not defined in the file
    missing_file: str | None = None  # the submission has no such module
    not_own: str | None = None  # "conv2d: it is torch.conv2d, not a function defined in your file"
    not_own_kind: str | None = None  # what the target is instead, as data: the kind ...
    not_own_name: str | None = None  # ... and its name
    import_error: Raised | None = None
    forbidden: tuple[Finding, ...] = ()  # caught while importing


@dataclass(frozen=True)
class CaseReply:
    """The student's answer to one case: its value (or None) or the exception it raised, the
    forbidden calls it made, and the inputs it modified (by number among the case's tensors)."""

    case: int
    value: Any = None
    raised: Raised | None = None
    forbidden: tuple[Finding, ...] = ()
    modified: tuple[int, ...] = ()


@dataclass(frozen=True)
class ReferenceCase:
    """The reference's frame for one case: its value (`expected`, float64) or exception, torch's
    (`oracle`, where the task has one: `oracle_given`), and each known mistake's value by the
    mistake's number as a string. Also the part of an answer that `compare` judges at one place
    of a structured output (then only `expected` and `variants` matter)."""

    case: int = 0
    expected: Any = None
    raised: Raised | None = None
    oracle: Any = None
    oracle_raised: Raised | None = None
    oracle_given: bool = False  # the frame carries torch's answer (None if torch raised)
    variants: Mapping[str, Any] = field(default_factory=dict)
    variant_errors: Mapping[str, Raised] = field(default_factory=dict)  # a mistake's compute that raised: a spec defect


def student_results(frames: Iterable[bytes]) -> tuple[dict[int, CaseReply], TaskHeader | None]:
    """The student's per-case replies by index, and the task header if any.

    A frame that is malformed, forged or of the wrong shape is dropped: its case has no result,
    which is a failed check. The first frame of a case, and the first header, win."""
    cases: dict[int, CaseReply] = {}
    header: TaskHeader | None = None
    for raw in _checked(frames):
        if "case" in raw:
            if raw["case"] not in cases:
                cases[raw["case"]] = CaseReply(raw["case"], raw.get("value"), raw["raised"], raw["forbidden"],
                                               raw["modified"])
        elif header is None:
            header = TaskHeader(imported=raw.get("imported", False), missing=raw.get("missing"),
                                missing_file=raw.get("missing_file"), not_own=raw.get("not_own"),
                                not_own_kind=raw.get("not_own_kind"), not_own_name=raw.get("not_own_name"),
                                import_error=raw["import_error"], forbidden=raw["forbidden"])
    return cases, header


def reference_results(frames: Iterable[bytes]) -> dict[int, ReferenceCase]:
    """The reference's per-case frames by index (the first of a case wins); others are dropped."""
    cases: dict[int, ReferenceCase] = {}
    for raw in _checked(frames):
        if "case" in raw and raw["case"] not in cases:
            cases[raw["case"]] = ReferenceCase(raw["case"], raw.get("expected"), raw["raised"], raw.get("oracle"),
                                               raw["oracle_raised"], "oracle" in raw, raw["variants"],
                                               raw["variant_errors"])
    return cases


def _checked(frames: Iterable[bytes]) -> Iterable[dict[str, Any]]:
    for frame in frames:
        try:
            yield _well_formed(decode(frame))
        except ValueError:
            continue


_EXCEPTIONS = ("raised", "oracle_raised", "import_error")
_TEXTS = ("missing", "missing_file", "not_own", "not_own_kind", "not_own_name")


def _well_formed(frame: Any) -> dict[str, Any]:
    """The frame's fields, with free text cut short and exceptions, forbidden calls and modified
    inputs as records and tuples, if every field the grader reads has the type it expects; else
    ValueError."""
    if not isinstance(frame, dict):
        raise ValueError("not a dict")
    if "case" in frame and not _is_index(frame["case"], MAX_CASE):
        raise ValueError("bad case index")
    if not all(isinstance(frame.get(key, ""), str) for key in _TEXTS) or not _is_bool(frame.get("imported", True)):
        raise ValueError("bad header field")
    forbidden_calls, modified = frame.get("forbidden", []), frame.get("modified", [])
    if not (isinstance(forbidden_calls, list) and all(_is_call(call) for call in forbidden_calls)
            and isinstance(modified, list) and all(_is_index(i, MAX_CASE) for i in modified)):
        raise ValueError("bad forbidden or modified")
    variants, variant_errors = frame.get("variants", {}), frame.get("variant_errors", {})
    if not all(isinstance(found, dict) and all(key.isdigit() and len(key) < 6 for key in found)
               for found in (variants, variant_errors)):
        raise ValueError("bad variants")
    clean = {**frame, **{key: _text(frame[key]) for key in _TEXTS if key in frame}}
    for key in _EXCEPTIONS:
        clean[key] = _exception(frame.get(key))
    clean["forbidden"] = tuple(Finding(_text(api), None if file is None else _text(file), line)
                               for api, file, line in forbidden_calls)
    clean["modified"], clean["variants"] = tuple(modified), variants
    clean["variant_errors"] = {key: _exception(error) for key, error in variant_errors.items()}
    return clean


def _exception(error: Any) -> Raised | None:
    if error is None:
        return None
    if not (isinstance(error, dict) and isinstance(error.get("type"), str) and isinstance(error.get("message"), str)
            and isinstance(error.get("mro"), list) and all(isinstance(name, str) for name in error["mro"])):
        raise ValueError("bad exception")
    at = error.get("at")
    if at is not None and not (isinstance(at, list) and len(at) == 4 and isinstance(at[0], str) and _is_index(at[1], MAX_LINE)
                               and isinstance(at[2], (str, type(None))) and isinstance(at[3], str)):
        raise ValueError("bad place")
    return Raised(_text(error["type"], MAX_MESSAGE), tuple(name[:200] for name in error["mro"][:64]),
                  _text(error["message"], MAX_MESSAGE),
                  None if at is None else (_text(at[0], MAX_MESSAGE), at[1],
                                           None if at[2] is None else _text(at[2], MAX_MESSAGE), _text(at[3], MAX_MESSAGE)),
                  _said(error.get("said")))


def _said(said: Any) -> Message | None:
    """A grader's own error as its key and fields (`i18n.Message` as JSON), where it is one and
    not too long to show; else None, and its text alone is shown."""
    if said is None or len(json.dumps(said, default=str)) > 2 * MAX_MESSAGE:
        return None
    try:
        return Message.model_validate(said)
    except ValueError:
        return None


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _text(text: str, limit: int = MAX_TEXT) -> str:
    """Free text a child wrote: control characters (terminal escapes, line breaks, bidirectional
    overrides) as spaces, cut to `limit`."""
    text = _CONTROL.sub(" ", text)
    return text if len(text) <= limit else text[:limit] + "..."


def _is_bool(flag: Any) -> bool:
    return isinstance(flag, bool)


def _is_index(number: Any, limit: int) -> bool:
    return isinstance(number, int) and not isinstance(number, bool) and 0 <= number <= limit


def _is_call(call: Any) -> bool:
    """[api, file, line] as `run` sends a tripwire's `forbidden.Finding`; file null where it has no place."""
    return (isinstance(call, (list, tuple)) and len(call) == 3 and isinstance(call[0], str)
            and isinstance(call[1], (str, type(None))) and _is_index(call[2], MAX_LINE))
