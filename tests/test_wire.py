"""The child-to-parent format: a round trip without pickle, and forged frames dropped, never trusted."""
import json
import struct

import numpy as np
import pytest
import torch

from grader.engine import frames, wire
from grader.engine.forbidden import Finding


def test_wire_round_trip_without_pickle():
    value = {"case": 3, "value": (torch.arange(6.0).reshape(2, 3).t(), [1, 2.5, None, "x"]),
             "other": np.zeros(2), "ints": torch.arange(4, dtype=torch.int32), "empty": torch.zeros(0, 3),
             "scalar": torch.tensor(True), "half": torch.ones(2, dtype=torch.bfloat16)}
    back = wire.decode(wire.encode(value))
    tensor = back["value"][0]
    assert isinstance(tensor, wire.TensorValue) and tensor.dtype == "float32" and tensor.exact_type
    assert torch.equal(tensor.data, torch.arange(6.0, dtype=torch.float64).reshape(2, 3).t())
    assert back["value"][1] == [1, 2.5, None, "x"]
    assert isinstance(back["other"], wire.OtherValue)
    assert back["ints"].data.dtype == torch.int32 and back["empty"].data.shape == (0, 3)
    assert back["scalar"].data.shape == () and back["half"].dtype == "bfloat16"


def test_wire_marks_tensor_subclasses():
    class Forged(torch.Tensor):
        pass
    assert not wire.decode(wire.encode(torch.zeros(2).as_subclass(Forged))).exact_type


def _frame(header, blobs=(), length=None):
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    parts = [struct.pack("<Q", len(text) if length is None else length), text]
    for blob in blobs:
        parts += [struct.pack("<Q", len(blob)), blob]
    return b"".join(parts)


def _tensor(**changes):
    node = {"t": "tensor", "dtype": "float32", "shape": [2], "array_dtype": "<f8", "device": "cpu",
            "exact": True, "requires_grad": False, "grad_fn": False, "blob": 0}
    return {**node, **changes}


def _nested(depth):
    node = {"t": "NoneType", "v": None}
    for _ in range(depth):
        node = {"t": "list", "v": [node]}
    return node


TWO = np.zeros(2).tobytes()
FORGED = {
    "device 7": _frame(_tensor(device=7), [TWO]),
    "device mps": _frame(_tensor(device="mps"), [TWO]),
    "device cuda:12345": _frame(_tensor(device="cuda:12345"), [TWO]),
    "unknown dtype": _frame(_tensor(dtype="float128"), [TWO]),
    "array dtype of another dtype": _frame(_tensor(dtype="int64"), [TWO]),
    "object array": _frame(_tensor(array_dtype="|O"), [TWO]),
    "blob too short": _frame(_tensor(), [TWO[:-1]]),
    "blob too long": _frame(_tensor(), [TWO + b"\0" * 8]),
    "missing blob": _frame(_tensor()),
    "extra blob": _frame(_tensor(), [TWO, TWO]),
    "blob index out of range": _frame(_tensor(blob=1), [TWO]),
    "blob index a bool": _frame(_tensor(blob=False), [TWO]),
    "blob used twice": _frame({"t": "list", "v": [_tensor(), _tensor()]}, [TWO]),
    "negative shape": _frame(_tensor(shape=[-2]), [TWO]),
    "float shape": _frame(_tensor(shape=[2.0]), [TWO]),
    "nine dims": _frame(_tensor(shape=[1] * 9), [np.zeros(1).tobytes()]),
    "absurd shape": _frame(_tensor(shape=[2**16, 2**16, 1]), [b""]),
    "absurd dimension": _frame(_tensor(shape=[0, 2**40]), [b""]),
    "shape not a list": _frame(_tensor(shape="2"), [TWO]),
    "flag not a bool": _frame(_tensor(exact=1), [TWO]),
    "deep nesting": _frame(_nested(40)),
    "json nesting beyond recursion": _frame(b"[" * 200_000 + b"]" * 200_000),
    "header over 1 MiB": _frame({"t": "str", "v": "x" * (2**20)}),
    "60 MiB header length": _frame(b"{}", length=60 * 2**20),
    "length past the end": struct.pack("<Q", 2**63) + b"{}",
    "blob length past the end": _frame({"t": "NoneType", "v": None}) + struct.pack("<Q", 2**40),
    "truncated blob length": _frame({"t": "NoneType", "v": None}) + b"\x01",
    "string over 10,000": _frame({"t": "str", "v": "x" * 10_001}),
    "unknown kind": _frame({"t": "pickle", "v": "x"}),
    "not a node": _frame([1, 2]),
    "int not a string": _frame({"t": "int", "v": 5, "exact": True}),
    "int with a huge string": _frame({"t": "int", "v": "9" * 9000, "exact": True}),
    "float not a number": _frame({"t": "float", "v": "one"}),
    "list of a dict": _frame({"t": "list", "v": {"a": 1}}),
    "not utf-8": _frame(b'{"t": "str", "v": "\xff"}'),
    "pickle": b"\x80\x04\x95pickle",
    "empty": b"",
}


@pytest.mark.parametrize("name", FORGED)
def test_forged_frames_raise_value_error_only(name):
    with pytest.raises(ValueError):
        wire.decode(FORGED[name])
    assert frames.student_results([FORGED[name]]) == ({}, None) and frames.reference_results([FORGED[name]]) == {}


def test_too_many_blobs():
    nodes = [_tensor(shape=[0], blob=i) for i in range(wire.MAX_BLOBS + 1)]
    with pytest.raises(ValueError):
        wire.decode(_frame({"t": "list", "v": nodes}, [b""] * (wire.MAX_BLOBS + 1)))
    wire.decode(_frame({"t": "list", "v": nodes[:-1]}, [b""] * wire.MAX_BLOBS))


def test_decoding_shares_the_frames_memory():
    frame = wire.encode(torch.zeros(1000, dtype=torch.float64))
    data = wire.decode(frame).data
    assert data.untyped_storage().nbytes() == 8000 and np.shares_memory(data.numpy(), np.frombuffer(frame, np.uint8))


EXCEPTION = {"type": "ValueError", "mro": ["ValueError", "Exception"], "message": "m", "at": None}


@pytest.mark.parametrize("frame", [
    {"case": 0, "raised": 5}, {"case": 0, "raised": {"type": "X"}}, {"case": 0, "raised": {**EXCEPTION, "mro": "X"}},
    {"case": 0, "raised": {**EXCEPTION, "at": ["c.py", "3", None, "x"]}}, {"case": 0, "oracle_raised": []},
    {"import_error": {**EXCEPTION, "message": None}}, {"case": 0, "forbidden": [[1, 2]]}, {"case": 0, "forbidden": [["torch.conv2d", "c.py:3"]]},
    {"case": 0, "forbidden": [["torch.conv2d", 3, 3]]}, {"case": 0, "forbidden": [["torch.conv2d", "c.py", -1]]},
    {"case": 0, "forbidden": "torch.conv2d"}, {"case": 0, "modified": [True]}, {"case": 0, "modified": ["0"]},
    {"case": 0, "modified": 0}, {"case": 0, "variants": []}, {"case": 0, "variants": {"x": 1}},
    {"case": 0, "variant_errors": []}, {"case": 0, "variant_errors": {"x": EXCEPTION}},
    {"case": 0, "variant_errors": {"0": {"type": "X"}}},
    {"missing": 3}, {"missing_file": ["a.py"]}, {"not_own": 1}, {"imported": 1}, {"imported": "yes"},
    {"case": "0"}, {"case": True}, {"case": -1}, {"case": 1.0}, {"case": None}, {"case": 10**12}, [1], "frame",
])
def test_frames_of_the_wrong_shape_are_dropped(frame):
    assert frames.student_results([wire.encode(frame)]) == ({}, None)
    assert frames.reference_results([wire.encode(frame)]) == {}


def test_good_frames_are_kept_and_free_text_cut_short():
    long = {**EXCEPTION, "message": "m" * 5000, "at": ["w" * 5000, 7, "f" * 5000, "c" * 5000]}
    sent = [b"\x00garbage", wire.encode({"case": 1, "raised": None, "value": 1, "modified": [0],
                                         "forbidden": [["torch.conv2d", "c.py", 3], ["torch.mm", None, 0]], "variants": {"0": 1}}),
            wire.encode({"case": 2, "raised": long}), wire.encode({"imported": True, "not_own": "x"}),
            wire.encode({"missing": "conv2d"})]
    cases, header = frames.student_results(sent)
    assert sorted(cases) == [1, 2] and header == frames.TaskHeader(imported=True, not_own="x")
    assert cases[1] == frames.CaseReply(1, 1, None, (Finding("torch.conv2d", "c.py", 3), Finding("torch.mm", None)), (0,))
    raised = cases[2].raised
    assert raised is not None and raised.at is not None and raised.at[1] == 7
    assert all(len(text) <= wire.MAX_TEXT + 3 for text in (raised.message, raised.at[0], raised.at[2], raised.at[3]))
    reference = frames.reference_results(sent)
    assert sorted(reference) == [1, 2] and reference[1].variants == {"0": 1} and not reference[1].oracle_given


def test_a_variant_s_exception_reaches_check_reference_cut_short():
    """The reference's child reports a known mistake that raised (not NotApplicable): a spec defect."""
    error = {**EXCEPTION, "message": "m" * 5000}
    cases = frames.reference_results([wire.encode({"case": 0, "variants": {"1": 2.0}, "variant_errors": {"0": error}})])
    assert cases[0].variants == {"1": 2.0} and cases[0].variant_errors["0"].type == EXCEPTION["type"]
    assert len(cases[0].variant_errors["0"].message) <= wire.MAX_MESSAGE + 3


def test_the_first_frame_of_a_case_wins():
    sent = [wire.encode({"case": 0, "value": 1, "expected": 1}), wire.encode({"case": 0, "value": 2, "expected": 2})]
    cases, _ = frames.student_results(sent)
    assert cases[0].value == 1 and frames.reference_results(sent)[0].expected == 1


def test_a_60_mib_header_is_refused_before_it_is_parsed():
    frame = _frame(b"[" + b"0," * (30 * 2**20) + b"0]")
    with pytest.raises(ValueError, match="header of"):
        wire.decode(frame)


def test_restamp_keeps_only_what_it_is_told_and_overwrites_the_rest():
    reply = wire.encode({"value": torch.arange(3.0), "raised": None, "case": 99, "modified": [],
                         "missing_file": "x"})
    back = wire.decode(wire.restamp(reply, ("value", "raised", "modified"), case=2, modified=[0]))
    assert set(back) == {"value", "raised", "case", "modified"}
    assert back["case"] == 2 and back["modified"] == [0]
    assert torch.equal(back["value"].data, torch.arange(3.0, dtype=torch.float64))


@pytest.mark.parametrize("reply", [b"", b"\x01", _frame({"t": "list", "v": []}), _frame(b"{not json"),
                                   _frame({"t": "dict", "v": {}}, length=2**40)])
def test_restamp_refuses_what_is_no_dict_frame(reply):
    with pytest.raises(ValueError):
        wire.restamp(reply, ("value",), case=0)


def test_plain_entry_reads_one_entry_from_the_header_and_refuses_a_tensor_in_it():
    reply = wire.encode({"value": torch.arange(3.0), "modified": [0, 2], "raised": None})
    assert wire.plain_entry(reply, "modified") == [0, 2]
    assert wire.plain_entry(reply, "absent") is None
    with pytest.raises(ValueError):
        wire.plain_entry(reply, "value")
    with pytest.raises(ValueError):
        wire.plain_entry(_frame({"t": "list", "v": []}), "modified")


def test_outcomes_pass_through_a_file_in_the_one_frame_format_and_a_cut_file_is_none():
    from grader.sandbox.keeper import Outcome
    from grader.sandbox.zygote import _outcomes_from_bytes, _outcomes_to_bytes

    outcomes = [Outcome((wire.encode({"case": 0}), b""), 0, False, False, 0.5),
                Outcome((), -9, True, False, 1.0, jail_error="no cgroup")]
    blob = _outcomes_to_bytes(outcomes)
    assert _outcomes_from_bytes(blob) == outcomes
    assert _outcomes_from_bytes(blob[:-1]) is None and _outcomes_from_bytes(blob + b"\0") is None
    assert wire.split_frames(wire.join_frames([b"a", b"bc"])) == ((b"a", b"bc"), 19)
