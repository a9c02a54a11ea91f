"""Tests for what the mutation run of attention.py found untested (`make mutation`, benchmarks/mutation.md).

Each test names the mutants (mutmut's names) it kills. The supported range's edges: the bound on the
scores is ``max|q| * max|k| * d * scale <= half the largest float`` with ``d`` the feature size
(also for batched queries), an empty set of queries has no scores at all, and the running state
that tiled_attention_steps yields keeps the inputs' dtype.
"""

import numpy as np
import pytest

from softmax_lab.attention import scaled_dot_product_attention, tiled_attention, tiled_attention_steps

BIG = float(np.finfo(np.float64).max)


def test_scores_exactly_at_half_the_largest_float_are_accepted():
    # x__check_range__mutmut_13 (`<` for `<=`) and _15 (a third instead of a half) refuse this.
    half = BIG / 2
    out, w = scaled_dot_product_attention([[half]], [[1.0], [-1.0]], [[1.0], [2.0]], scale=1.0)
    np.testing.assert_array_equal(w, [[1.0, 0.0]])
    np.testing.assert_array_equal(out, [[1.0]])
    with pytest.raises(ValueError, match="q, k and scale"):
        scaled_dot_product_attention([[half * (1 + 1e-15)]], [[1.0]], [[1.0]], scale=1.0)


@pytest.mark.parametrize("attend", [
    lambda q, k, v: scaled_dot_product_attention(q, k, v, scale=0.5),
    lambda q, k, v: tiled_attention(q, k, v, block_size=1, scale=0.5),
])
def test_the_range_bound_counts_the_feature_size_of_batched_queries(attend):
    # x__check_range__mutmut_10 (`shape[+1]`) and _11 (`shape[-2]`) count n_q = 1 instead of d = 4 for
    # q of shape (batch, n_q, d): the bound 5e307 passes, and the scores 4e308 overflow.
    x = 1e154                                         # |q| |k| d scale = 1e308 * 4 * 0.5 = 2e308
    q, k, v = np.full((1, 1, 4), x), np.full((1, 2, 4), x), np.ones((1, 2, 1))
    with pytest.raises(ValueError, match="q, k and scale"):
        attend(q, k, v)
    out = attend(q / 2, k / 2, v)                     # 2e308 / 4 = 5e307: inside, and computed
    out = out[0] if isinstance(out, tuple) else out
    np.testing.assert_array_equal(out, [[[1.0]]])


def test_no_queries_means_no_scores_whatever_the_keys():
    # x__abs_max__mutmut_6 takes max|q| of an empty q as 1, and refuses keys near the largest float.
    q, k, v = np.zeros((0, 2)), np.full((3, 2), BIG), np.ones((3, 1))
    out, w = scaled_dot_product_attention(q, k, v)
    assert out.shape == (0, 1) and w.shape == (0, 3)
    assert tiled_attention(q, k, v).shape == (0, 1)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_every_tiled_step_keeps_the_dtype_of_the_inputs(dtype):
    # x__tiled__mutmut_156 and _160 hand back the running maximum m and sum ell in float64.
    rng = np.random.default_rng(0)
    q, k, v = (rng.normal(size=shape).astype(dtype) for shape in [(3, 2), (5, 2), (5, 4)])
    steps = list(tiled_attention_steps(q, k, v, block_size=2))
    assert len(steps) == 3
    for step in steps:
        assert (step.m.dtype, step.ell.dtype, step.output.dtype) == (dtype, dtype, dtype)
        assert step.m.shape == step.ell.shape == (3, 1)


ATTEND = [
    pytest.param(lambda q, k, v: scaled_dot_product_attention(q, k, v)[0], id="reference"),
    pytest.param(lambda q, k, v: tiled_attention(q, k, v, block_size=2), id="tiled"),
]


@pytest.mark.parametrize("attend", ATTEND)
def test_values_at_the_largest_float_are_refused_by_name(attend):
    # x__check_range__mutmut_21 (`<=` for `<`) lets max|v| * n_k equal the largest float through.
    with pytest.raises(ValueError, match="v is too large"):
        attend([[1.0]], [[1.0]], [[BIG]])
    np.testing.assert_array_equal(attend([[1.0]], [[1.0]], [[BIG / 2]]), [[BIG / 2]])


@pytest.mark.parametrize("attend", ATTEND)
def test_batched_queries_need_a_feature_but_may_be_none(attend):
    # x__prepare_qkv__mutmut_25 (`q.shape[+1]`) reads n_q as the feature size of batched queries: it
    # refuses zero queries and lets zero features through.
    assert attend(np.ones((1, 0, 2)), np.ones((1, 3, 2)), np.ones((1, 3, 1))).shape == (1, 0, 1)
    with pytest.raises(ValueError, match="q must have at least one feature"):
        attend(np.ones((1, 2, 0)), np.ones((1, 3, 0)), np.ones((1, 3, 1)))


@pytest.mark.parametrize("attend", ATTEND)
def test_the_values_batch_must_broadcast_with_the_queries_and_keys(attend):
    # x__prepare_qkv__mutmut_48 leaves v out of the check: numpy's own error then names nothing.
    with pytest.raises(ValueError, match=r"batch dimensions of q .* and v \(3, 4, 1\)"):
        attend(np.ones((2, 1, 3)), np.ones((2, 4, 3)), np.ones((3, 4, 1)))


@pytest.mark.parametrize("wide", ["q", "k", "v"])
@pytest.mark.parametrize("attend", ATTEND)
def test_the_output_dtype_promotes_over_all_three_arrays(attend, wide):
    # x__prepare_qkv__mutmut_59, _60 and _61 each leave one of q, k, v out of np.result_type.
    arrays = {name: np.ones((2, 2), dtype=np.float64 if name == wide else np.float32) for name in "qkv"}
    assert attend(arrays["q"], arrays["k"], arrays["v"]).dtype == np.float64


@pytest.mark.parametrize("batched", ["q", "k"])
def test_a_mask_may_carry_the_batch_of_the_queries_or_of_the_keys(batched):
    # x_scaled_dot_product_attention__mutmut_27 and _28 build the scores' shape from k's or q's batch
    # alone, and then refuse a per-batch mask that fits the scores.
    q = np.ones((2, 1, 2)) if batched == "q" else np.ones((1, 2))
    k = np.ones((2, 3, 2)) if batched == "k" else np.ones((3, 2))
    v = np.arange(3.0)[:, None]
    mask = np.array([[[True, False, False]], [[False, True, True]]])       # one row per batch entry
    out, w = scaled_dot_product_attention(q, k, v, mask=mask)
    np.testing.assert_allclose(w, [[[1, 0, 0]], [[0, 0.5, 0.5]]])
    np.testing.assert_allclose(out.ravel(), [0.0, 1.5])
