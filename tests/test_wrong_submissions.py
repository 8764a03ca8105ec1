"""Deliberately wrong submissions lose points on the right task, with the right diagnosis, and only there."""
import pytest

from conftest import SUBMISSIONS, mutant, summary

# submission -> {task: (status, diagnosis that must be named)}; every other task keeps full marks.
ASSIGNMENT1 = {
    "flipped_kernel": {"conv1d": ("partial", "flipped_kernel"), "conv2d": ("partial", "flipped_kernel")},
    "no_bias": {"conv2d": ("partial", "bias_missing")},
    "pad_one_side": {"conv2d": ("partial", "padding_one_side")},
    "same_wrong_side": {"conv1d": ("partial", "same_padding_wrong_side"),
                        "conv2d": ("partial", "same_padding_wrong_side")},
    "groups_ignored": {"conv2d": ("partial", "groups_ignored")},
    "ceil_output": {"conv2d": ("partial", "output_size_ceil")},
    "dilation_ignored": {"conv2d": ("partial", "dilation_ignored")},
    "dtype_float64": {"conv2d": ("partial", "dtype_not_preserved")},
    "inplace_input": {"conv2d": ("partial", "input_modified")},
    "symmetric_reflect": {"pad": ("partial", "symmetric_instead_of_reflect")},
    "circular_reversed": {"pad": ("partial", "circular_wrong_direction")},
    "convolve_not_flipped": {"convolve2d": ("partial", "kernel_not_flipped")},
    "numpy_output": {"conv1d": ("partial", "wrong_type")},
    "wrong_filters": {"filters": ("partial", "sobel_swapped")},
    "no_raise": {"conv2d": ("partial", "no_exception")},
    "exception": {"conv2d": ("failed", "exception")},
    "fake_print": {"conv2d": ("partial", "wrong_values")},
    "monkeypatch": {"conv2d": ("partial", "wrong_values")},
    "forbidden_direct": {"conv2d": ("forbidden", "forbidden_api")},
    "forbidden_dynamic": {"conv2d": ("forbidden", "forbidden_api")},
}

ASSIGNMENT2 = {
    "ceil_instead_of_floor": {"conv_output_size": ("partial", "output_size_ceil")},
    "dilation_ignored": {"conv_output_size": ("partial", "dilation_ignored")},
    "padding_once": {"conv_output_size": ("partial", "padding_counted_once")},
    "no_ceil_correction": {"pool_output_size": ("partial", "ceil_mode_no_last_window_rule")},
    "same_left": {"same_padding": ("partial", "same_padding_wrong_side")},
    "runs_model": {"trace_shapes": ("failed", "model_was_run")},
    "params_no_groups": {"conv_parameters": ("partial", "groups_ignored")},
    "returns_float": {"conv_output_size": ("partial", "wrong_type")},  # its invalid-argument probes still pass
}


BUGGY = [(assignment, name, expected) for assignment, table in (("assignment1", ASSIGNMENT1),
                                                                   ("assignment2", ASSIGNMENT2))
         for name, expected in table.items()]


@pytest.mark.parametrize("assignment,name,expected", BUGGY, ids=[f"{a}-{n}" for a, n, _ in BUGGY])
def test_bug_is_diagnosed_on_its_task_only(grade, tmp_path, assignment, name, expected):
    lost = summary(grade(assignment, mutant(assignment, name, tmp_path)))
    assert set(lost) == set(expected), lost
    for task, (status, diagnosis) in expected.items():
        assert lost[task][0] == status
        assert diagnosis in lost[task][1]


@pytest.mark.parametrize("assignment,name", [("assignment1", "correct_naive"), ("assignment1", "correct_einsum"),
                                             ("assignment2", "correct_alt")])
def test_correct_submissions_in_other_styles_get_full_marks(grade, assignment, name):
    report = grade(assignment, SUBMISSIONS / assignment / name)
    assert summary(report) == {}
    assert report.score == report.max_score
