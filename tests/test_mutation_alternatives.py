"""Tests for what the mutation run of alternatives.py found untested (`make mutation`,
benchmarks/mutation.md). Each test names the mutants (mutmut's names) it kills.
"""

import numpy as np
import pytest

from softmax_lab.alternatives import gumbel_softmax


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_hard_gumbel_softmax_is_one_hot_along_the_class_axis_of_a_3d_array(axis):
    # x_gumbel_softmax__mutmut_21 and _34 take the argmax and put the 1 along axis +1, which is the
    # class axis only for 2-D scores once the class axis is moved last.
    logits = np.random.default_rng(0).normal(size=(2, 3, 4))
    hard = gumbel_softmax(logits, rng=1, hard=True, axis=axis)
    soft = gumbel_softmax(logits, rng=1, hard=False, axis=axis)       # the same noise
    assert hard.shape == logits.shape
    np.testing.assert_array_equal(hard.sum(axis=axis), 1.0)
    np.testing.assert_array_equal(np.argmax(hard, axis=axis), np.argmax(soft, axis=axis))


@pytest.mark.parametrize("alpha", [1.5, 2.5])
def test_entmax_of_several_rows_is_entmax_of_each_row(alpha):
    # x__entmax_last__mutmut_174 sums the bisection's total over every row (axis=None) instead of
    # each row's own, so one row's threshold depends on the others.
    from softmax_lab.alternatives import entmax
    rows = np.random.default_rng(3).normal(scale=2.0, size=(4, 6))
    together = entmax(rows, alpha=alpha)
    one_by_one = np.array([entmax(row, alpha=alpha) for row in rows])
    np.testing.assert_allclose(together, one_by_one, rtol=0, atol=1e-14)


def test_entmax_at_alpha_one_is_the_softmax_along_the_axis_asked():
    # x_entmax__mutmut_22 hands alpha = 1 to softmax without the axis: the last axis, whatever was asked.
    from softmax_lab import softmax
    from softmax_lab.alternatives import entmax
    z = np.random.default_rng(4).normal(size=(3, 5))
    np.testing.assert_allclose(entmax(z, alpha=1.0, axis=0), softmax(z, axis=0), rtol=1e-14)


def test_gumbel_softmax_default_temperature_is_one():
    # x_gumbel_softmax__mutmut_1 (a default temperature of 2): the same seed, so the same noise.
    z = [2.0, 1.0, 0.1, -1.0]
    np.testing.assert_array_equal(gumbel_softmax(z, rng=5), gumbel_softmax(z, temperature=1.0, rng=5))
    assert not np.allclose(gumbel_softmax(z, rng=5), gumbel_softmax(z, temperature=2.0, rng=5))


@pytest.mark.parametrize("scores, kwargs, error, pattern", [
    ([["a", "b"]], {}, TypeError, r"^scores\b"),                         # _6: "XXscoresXX"
    (np.zeros((2, 0)), {}, ValueError, r"^scores has an empty"),         # _11, _14, _15, _16: check_axis's name
    ([1.0, 2.0], {"axis": 3}, ValueError, r"\bfor scores with 1 dim"),   # the same, axis out of range
    ([0.0, float("nan")], {}, ValueError, r"^scores contains NaN"),      # _21: "XXscoresXX"
    ([0.0, 1.0], {"bias": float("nan")}, ValueError, r"^bias must"),     # _38: "XXbiasXX"
])
def test_sigmoid_attention_weights_names_the_bad_argument(scores, kwargs, error, pattern):
    from softmax_lab.alternatives import sigmoid_attention_weights
    with pytest.raises(error, match=pattern):
        sigmoid_attention_weights(scores, **kwargs)


def test_sigmoid_attention_weights_of_the_largest_scores_and_bias_warns_of_nothing():
    # x_sigmoid_attention_weights__mutmut_42 drops errstate(over="ignore"): 1e308 + 1e308 overflows
    # to inf with a warning (pytest makes it an error). Exact: sigmoid(2e308) = 1, a masked key 0.
    from softmax_lab.alternatives import sigmoid_attention_weights
    np.testing.assert_array_equal(sigmoid_attention_weights([1e308, -np.inf], bias=1e308), [1.0, 0.0])


def _entmax_by_mpmath(z, alpha, digits=50):
    """alpha-entmax of one row at ``digits`` digits: bisection on tau in
    sum_i ((alpha-1) z_i - tau)_+^(1/(alpha-1)) = 1, which lies in [(alpha-1) max z - 1, (alpha-1) max z]."""
    import mpmath

    with mpmath.workdps(digits):
        a = mpmath.mpf(alpha) - 1
        zs = [a * mpmath.mpf(float(v)) for v in z]

        def total(tau):
            return sum((v - tau) ** (1 / a) for v in zs if v > tau)

        lo, hi = max(zs) - 1, max(zs)
        for _ in range(4 * digits):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if total(mid) >= 1 else (lo, mid)
        return np.array([float((v - lo) ** (1 / a)) if v > lo else 0.0 for v in zs])


@pytest.mark.parametrize("alpha", [1.001, 1.01])
def test_entmax_near_alpha_one_is_accurate_to_the_last_bits(alpha):
    # x__entmax_last__mutmut_164 starts the bisection on log d at -800 * power instead of -800 / power:
    # near alpha = 1 (power = 1/(alpha-1) = 1000) the bracket is 1000 times wider and 60 halvings
    # leave log d about 1e-13 off, p too (seen 3e-13 at alpha 1.001). The reference is mpmath at 50 digits.
    from softmax_lab.alternatives import entmax

    rng = np.random.default_rng(0)
    z = rng.normal(size=(12, 6)) * rng.choice([0.01, 0.1, 1, 10, 100], size=(12, 1))
    out = entmax(z, alpha=alpha)
    for row, p in zip(z, out):
        np.testing.assert_allclose(p, _entmax_by_mpmath(row, alpha), rtol=0, atol=4e-15)


def test_entmax_defaults_are_alpha_one_and_a_half_and_sixty_steps():
    # x_entmax__mutmut_1 (default alpha 2.5) and _2 (61 bisection steps: the last bits move, seen on
    # 249 of 3,000 entries at alpha 1.5). The documented defaults, passed explicitly, give the same bits.
    from softmax_lab.alternatives import entmax

    z = np.random.default_rng(0).normal(size=(500, 6)) * 3
    np.testing.assert_array_equal(entmax(z), entmax(z, alpha=1.5, n_iter=60))


@pytest.mark.parametrize("alpha, error", [(float("nan"), ValueError), (0.5, ValueError), ("x", TypeError)])
def test_entmax_names_a_bad_alpha_as_a_word(alpha, error):
    # x_entmax__mutmut_10 names "XXalphaXX", which a substring match on "alpha" also accepts.
    from softmax_lab.alternatives import entmax

    with pytest.raises(error, match=r"^alpha must"):
        entmax([0.0, 1.0], alpha=alpha)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_entmax_at_alpha_two_keeps_the_logits_dtype(dtype):
    # x_entmax__mutmut_31 returns the sparsemax route (alpha = 2) in float64 whatever came in.
    from softmax_lab.alternatives import entmax, sparsemax

    z = np.array([[0.5, 0.0, -1.0], [2.0, 1.9, 0.0]], dtype)
    out = entmax(z, alpha=2)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, sparsemax(z))


@pytest.mark.parametrize("which", ["sparsemax", "entmax"])
def test_nan_logits_are_named_as_logits(which):
    # x__prepare__mutmut_1 (default name "XXlogitsXX") names the scores as a substring only.
    import softmax_lab.alternatives as alternatives

    with pytest.raises(ValueError, match=r"^logits\b"):
        getattr(alternatives, which)([0.0, np.nan])
