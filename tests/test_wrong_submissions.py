"""Deliberately wrong submissions lose points on the right task, with the right diagnosis, and only there."""
import pytest

from conftest import ROOT, SUBMISSIONS, summary
from grader.spec import assignment_names

pytestmark = pytest.mark.slow  # end to end: whole gradings, batches, handouts or the command

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
    "inplace_input": {"conv2d": ("failed", "input_modified")},
    "symmetric_reflect": {"pad": ("partial", "symmetric_instead_of_reflect")},
    "circular_reversed": {"pad": ("partial", "circular_wrong_direction")},
    "convolve_not_flipped": {"convolve2d": ("partial", "kernel_not_flipped")},
    "numpy_output": {"conv1d": ("failed", "wrong_type")},
    "wrong_filters": {"filters": ("partial", "sobel_swapped")},
    "no_raise": {"conv2d": ("partial", "no_exception")},
    "exception": {"conv2d": ("failed", "exception")},
    "fake_print": {"conv2d": ("failed", "wrong_values")},
    "monkeypatch": {"conv2d": ("failed", "wrong_values")},
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
    "returns_float": {"conv_output_size": ("failed", "wrong_type")},  # its probes pass, but no result is right
}

ASSIGNMENT3 = {
    "ceil_no_rule": {"max_pool2d": ("partial", "ceil_mode_no_last_window_rule")},
    "pool_padding_zeros": {"max_pool2d": ("partial", "pool_padding_zeros")},
    "indices_within_window": {"max_pool2d": ("partial", "indices_within_window")},
    "forbidden_dynamic": {"max_pool2d": ("forbidden", "forbidden_api")},
    "count_include_pad_ignored": {"avg_pool2d": ("partial", "count_include_pad_ignored")},
    "overhang_counted": {"avg_pool2d": ("partial", "overhang_counted")},
    "overlap_overwritten": {"max_pool2d_backward": ("partial", "overlap_overwritten")},
    "ties_to_every_max": {"max_pool2d_backward": ("partial", "ties_to_every_max")},
    "autograd_backward": {"max_pool2d_backward": ("forbidden", "forbidden_api")},
    "adaptive_uniform_bins": {"adaptive_avg_pool2d": ("partial", "adaptive_uniform_bins"),
                              "spatial_pyramid_pool2d": ("partial", "adaptive_uniform_bins")},  # avg levels use it
    "global_float64": {"global_pool2d": ("partial", "dtype_not_preserved")},
    "pyramid_flatten_order": {"spatial_pyramid_pool2d": ("partial", "pyramid_flatten_order")},
    "unfold_row_order": {"unfold": ("partial", "unfold_row_order")},  # conv2d_im2col flattens the weight to match
    "unfold_accepts_1tuple": {"unfold": ("partial", "no_exception")},
    "conv_matrix_transposed": {"conv2d_matrix": ("failed", "matrix_transposed")},
    "backward_via_grad_fn": {"max_pool2d_backward": ("forbidden", "forbidden_api")},
}

ASSIGNMENT4 = {
    "output_padding_both_sides": {"conv_transpose1d": ("partial", "output_padding_both_sides"),
                                  "conv_transpose2d": ("partial", "output_padding_both_sides"),
                                  "conv_transpose2d_matrix": ("partial", "output_padding_both_sides")},
    "output_padding_ignored": {"conv_transpose1d": ("partial", "output_padding_ignored"),
                               "conv_transpose2d": ("partial", "output_padding_ignored"),
                               "conv_transpose2d_matrix": ("partial", "output_padding_ignored")},
    "padding_added": {"conv_transpose1d": ("partial", "padding_added"), "conv_transpose2d": ("partial", "padding_added"),
                      "conv_transpose2d_matrix": ("partial", "padding_added")},
    "kernel_not_flipped": {"conv_transpose1d": ("partial", "kernel_not_flipped"),  # fails adjointness too
                           "conv_transpose2d": ("partial", "kernel_not_flipped"),
                           "conv_transpose2d_matrix": ("partial", "kernel_not_flipped")},
    "weight_layout_out_in": {"conv_transpose1d": ("partial", "weight_layout_out_in"),
                             "conv_transpose2d": ("partial", "weight_layout_out_in"),
                             "conv_transpose2d_matrix": ("partial", "weight_layout_out_in")},
    "stride_as_dilation": {"conv_transpose1d": ("partial", "stride_as_dilation")},
    "bias_missing": {"conv_transpose2d": ("partial", "bias_missing")},
    "matrix_transposed": {"conv_transpose2d_matrix": ("failed", "matrix_transposed")},
    "overlap_ignored": {"overlap_count": ("partial", "overlap_ignored")},
    "dtype_float64": {"conv_transpose1d": ("partial", "dtype_not_preserved")},
    "no_raise": {"conv_transpose1d": ("partial", "no_exception"), "conv_transpose2d": ("partial", "no_exception"),
                 "conv_transpose2d_matrix": ("partial", "no_exception")},
    "forbidden_dynamic": {"conv_transpose2d": ("forbidden", "forbidden_api"),
                          "conv_transpose2d_matrix": ("forbidden", "forbidden_api")},  # it calls conv_transpose2d
    "autograd": {"conv_transpose1d": ("forbidden", "forbidden_api")},
    "bias_detached": {"conv_transpose1d": ("partial", "wrong_values"), "conv_transpose2d": ("partial", "wrong_values")},
}

ASSIGNMENT5 = {
    "dropout_elementwise": {"dropout2d": ("partial", "dropout_elementwise")},
    "dropout_unscaled": {"dropout2d": ("partial", "dropout_unscaled")},
    "dropout_in_eval": {"dropout2d": ("partial", "dropout_in_eval")},
    "dropout_keep_probability_p": {"dropout2d": ("partial", "dropout_rate")},
    "dropout_forbidden": {"dropout2d": ("forbidden", "forbidden_api")},
    "bn_biased_running_var": {"batchnorm2d": ("partial", "running_var_biased")},
    "bn_momentum_inverted": {"batchnorm2d": ("partial", "momentum_inverted")},
    "bn_wrong_axes": {"batchnorm2d": ("partial", "batchnorm_wrong_axes")},
    "bn_eval_batch_stats": {"batchnorm2d": ("partial", "eval_uses_batch_stats")},
    "bn_float32": {"batchnorm2d": ("partial", "float32_precision")},
    "bn_plain_attributes": {"batchnorm2d": ("failed", "wrong_names")},
    "bn_forbidden_getattr": {"batchnorm2d": ("forbidden", "forbidden_api")},
    "basic_shortcut_renamed": {"basic_block": ("partial", "wrong_names")},
    "basic_detached_shortcut": {"basic_block": ("partial", "missing_value")},
    "basic_no_final_relu": {"basic_block": ("partial", "relu_after_add_missing")},
    "bottleneck_stride_first": {"bottleneck": ("partial", "stride_on_first_conv")},
    "se_fc_bias": {"se_layer": ("failed", "fc_with_bias")},
    "se_max_squeeze": {"se_layer": ("partial", "squeeze_not_average")},
    "inception_no_reduction_relu": {"inception": ("partial", "reduction_relu_missing")},
    "inception_branch_order": {"inception": ("partial", "inception_branch_order")},
    "lenet_softmax_dim0": {"lenet5": ("partial", "softmax_wrong_dim")},
    "vgg_no_padding": {"vgg_layers": ("partial", "conv_padding_missing")},
    "depthwise_no_groups": {"depthwise_separable": ("failed", "groups_missing")},
    "dropout_same_mask": {"dropout2d": ("partial", "dropout_mask_shared")},
    "dropout_fixed_seed": {"dropout2d": ("partial", "dropout_not_random")},
    "bn_detached_stats": {"batchnorm2d": ("partial", "wrong_values")},
    "bn_stats_with_graph": {"batchnorm2d": ("partial", "wrong_value")},
    "bn_reassigned_buffers": {},
    "bn_via_variable_functions": {"batchnorm2d": ("forbidden", "forbidden_api")},
    "bn_subclass_of_torch": {"batchnorm2d": ("forbidden", "forbidden_api")},
    "lenet_outputs_swapped": {"lenet5": ("partial", "outputs_swapped")},
}

ASSIGNMENT6 = {
    "nearest_tiled": {"upsample_nearest": ("partial", "image_tiled")},
    "nearest_axes_swapped": {"upsample_nearest": ("partial", "scale_axes_swapped")},
    "bilinear_align_corners_swapped": {"upsample_bilinear": ("partial", "align_corners_mixed_up")},
    "bilinear_no_half_pixel": {"upsample_bilinear": ("partial", "half_pixel_offset_dropped")},
    "bilinear_no_clamp": {"upsample_bilinear": ("partial", "border_not_clamped")},
    "nails_filled": {"bed_of_nails": ("partial", "nails_filled")},
    "unpool_per_batch": {"max_unpool2d": ("partial", "indices_per_batch")},
    "unpool_ignores_output_size": {"max_unpool2d": ("partial", "output_size_ignored")},
    "kernel_every_pair": {"bilinear_kernel": ("partial", "kernel_on_every_pair")},
    "kernel_centre_off": {"bilinear_kernel": ("partial", "centre_off_by_half")},
    "nearest_forbidden": {"upsample_nearest": ("forbidden", "forbidden_api")},
    "unpool_forbidden": {"max_unpool2d": ("forbidden", "forbidden_api")},
    "crop_top_left": {"crop_and_concat": ("partial", "crop_off_centre"),
                      "unet": ("partial", "crop_off_centre")},  # UNet uses crop_and_concat
    "concat_swapped": {"crop_and_concat": ("failed", "skip_concatenated_second"),
                       "unet": ("partial", "skip_concatenated_second")},
    "unet_size_no_decoder_convs": {"unet_output_size": ("failed", "decoder_convs_forgotten")},
    "fpn_smoothed_passed_down": {"fpn_top_down": ("partial", "smoothed_map_passed_down")},
    "fpn_bilinear": {"fpn_top_down": ("partial", "bilinear_top_down")},
    "dice_no_smooth": {"dice_loss": ("partial", "smooth_missing")},
    "dice_per_sample": {"dice_loss": ("partial", "dice_per_sample")},
    "dice_squared": {"dice_loss": ("partial", "denominator_squared")},
    "segnet_nearest": {"segnet_decoder": ("failed", "unpooled_without_indices")},
    "segnet_top_left": {"segnet_decoder": ("failed", "unpooled_to_fixed_corner")},
    "segnet_no_output_size": {"segnet_decoder": ("partial", "output_size_ignored")},
    # indices of another level have another shape: torch's unpooling refuses them, and says so
    "segnet_wrong_level": {"segnet_decoder": ("partial", "indices_wrong_level")},
    "resize_transposed": {"resize_conv": ("failed", "transposed_conv_checkerboard")},
    "resize_conv_first": {"resize_conv": ("partial", "conv_before_resize")},
}


BUGGY = [(assignment, name, expected) for assignment, table in (("assignment1", ASSIGNMENT1),
                                                                   ("assignment2", ASSIGNMENT2),
                                                                   ("assignment3", ASSIGNMENT3),
                                                                   ("assignment4", ASSIGNMENT4),
                                                                   ("assignment5", ASSIGNMENT5),
                                                                   ("assignment6", ASSIGNMENT6))
         for name, expected in table.items()]


@pytest.mark.parametrize("assignment,name,expected", BUGGY, ids=[f"{a}-{n}" for a, n, _ in BUGGY])
def test_bug_is_diagnosed_on_its_task_only(graded, assignment, name, expected):
    lost = summary(graded(assignment, name))
    assert set(lost) == set(expected), lost
    for task, (status, diagnosis) in expected.items():
        assert lost[task][0] == status
        assert diagnosis in lost[task][1]


CORRECT = [(assignment, folder.name) for assignment in assignment_names(ROOT)
           for folder in sorted((SUBMISSIONS / assignment).iterdir()) if folder.is_dir()]


@pytest.mark.parametrize("assignment,name", CORRECT)
def test_correct_submissions_in_other_styles_get_full_marks(graded, assignment, name):
    report = graded(assignment, name)
    assert summary(report) == {} and report.score == report.max_score
