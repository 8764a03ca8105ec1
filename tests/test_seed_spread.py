"""A grade does not depend on the seed: wrong submissions score the same under any seed.

A sample of the mistakes whose scores moved by up to 12.7 points between seeds before the seed
stopped drawing configurations; tests/benchmarks/seed_spread.py sweeps every mutant.
"""
import pytest

from conftest import mutant

pytestmark = pytest.mark.slow  # end to end: whole gradings, batches, handouts or the command

SAMPLE = {  # (assignment, mutant) -> the task it hurts
    ("assignment1", "no_bias"): "conv2d",
    ("assignment1", "same_wrong_side"): "conv1d",
    ("assignment3", "count_include_pad_ignored"): "avg_pool2d",
    ("assignment4", "stride_as_dilation"): "conv_transpose1d",
    # a block whose output, with unlucky weights, had no negative value before its last ReLU
    ("assignment5", "basic_no_final_relu"): "basic_block",
    # a narrow U-Net whose channels a seed could all leave dead (0 after ReLU): then the order of
    # the concatenation made no difference (seeds 7 and 9 were the two sides)
    ("assignment6", "concat_swapped"): "unet",
    # ReLUs after batch normalisation in eval mode could leave a decoder's output all 0 for some
    # inputs, and then no unpooling mistake showed: its random cases run in train mode
    ("assignment6", "segnet_top_left"): "segnet_decoder",
    ("assignment6", "resize_transposed"): "resize_conv",
}


@pytest.mark.parametrize("assignment, name", SAMPLE)
def test_a_wrong_submission_scores_the_same_under_every_seed(grade, tmp_path, assignment, name):
    submission = mutant(assignment, name, tmp_path)
    task = SAMPLE[assignment, name]
    results = {seed: grade(assignment, submission, tasks=[task], seed=seed, device="cpu").tasks[0]
               for seed in (0, 1, 5, 7, 9)}
    scores = {seed: result.score for seed, result in results.items()}
    assert max(scores.values()) < results[0].max_score  # the mistake costs points under every seed
    assert max(scores.values()) - min(scores.values()) <= 0.5, scores
