"""Tests for what the mutation run of attention_variants.py found untested (`make mutation`,
benchmarks/mutation.md). Each test names the mutants (mutmut's names) it kills.

An error names its argument as a word: ``match="eps"`` would also pass for a message naming
``XXepsXX``, so these anchor the name.
"""

import warnings

import numpy as np
import pytest

from softmax_lab.attention_variants import rms_normalize


@pytest.mark.parametrize("eps, error", [(float("nan"), ValueError), ("x", TypeError), (-1.0, ValueError)])
def test_rms_normalize_names_eps_as_a_word(eps, error):
    # x_rms_normalize__mutmut_23 names "XXepsXX" for a bad eps.
    with pytest.raises(error, match=r"^eps must"):
        rms_normalize([1.0, 2.0], eps=eps)


def test_rms_normalize_of_a_subnormal_vector_warns_of_nothing():
    # x_rms_normalize__mutmut_55 drops errstate(over="ignore"): (sqrt(eps) / 1e-310)**2 overflows to
    # inf (harmless: the output is then 0) and warns.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = rms_normalize([1e-310, -1e-310])
    assert np.all(np.isfinite(out)) and np.all(np.abs(out) <= 1e-300)


def test_rms_normalize_adds_eps_to_the_mean_square():
    # x_rms_normalize__mutmut_83 (82 since the eps = 0 fix) adds (sqrt(eps) / max|x|)**3 instead of
    # **2: invisible at eps = 1e-6
    # to the usual tolerances, plain at eps = 1 (the formula x / sqrt(mean(x**2) + eps)).
    np.testing.assert_allclose(rms_normalize([3.0, 4.0], eps=1.0), np.array([3.0, 4.0]) / np.sqrt(12.5 + 1.0),
                               rtol=1e-12)
    np.testing.assert_allclose(rms_normalize([[300.0, 400.0]], eps=1e4), [[300.0, 400.0]] / np.sqrt(125_000 + 1e4),
                               rtol=1e-12)


def test_softmax_one_names_scores_as_a_word():
    # x_softmax_one__mutmut_7, _12 and _18 name "XXscoresXX" or None for bad scores or a bad axis.
    from softmax_lab.attention_variants import softmax_one
    with pytest.raises(TypeError, match=r"^scores\b"):
        softmax_one([["a", "b"]])
    with pytest.raises(ValueError, match=r"\bscores with 1 dimension"):
        softmax_one([1.0, 2.0], axis=3)
    with pytest.raises(ValueError, match=r"^scores has an empty axis"):
        softmax_one(np.zeros((2, 0)))


def test_rms_normalize_default_eps_is_one_millionth():
    # x_rms_normalize__mutmut_1 (a default eps of 1.000001): x / sqrt(mean(x**2) + 1e-6).
    np.testing.assert_allclose(rms_normalize([3.0, 4.0]), np.array([3.0, 4.0]) / np.sqrt(12.5 + 1e-6), rtol=1e-14)


def test_rms_normalize_works_along_the_last_axis_of_a_3d_array():
    # x_rms_normalize__mutmut_42 and _73 take the maximum or the mean square along axis +1, which is
    # the last axis only for 2-D input. Reference: the formula itself.
    x = np.random.default_rng(7).normal(size=(2, 3, 4)) * np.array([1.0, 10.0, 100.0])[:, None]
    expected = x / np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + 1e-6)
    np.testing.assert_allclose(rms_normalize(x), expected, rtol=1e-13)


@pytest.mark.parametrize("x, error", [(["a", "b"], TypeError), (np.zeros((2, 0)), ValueError), (3.0, ValueError)])
def test_rms_normalize_names_x_for_a_bad_x(x, error):
    # x_rms_normalize__mutmut_7 names "XXxXX" for non-numbers; _9 (`and` for `or`) lets a zero-width
    # or a 0-d x through to numpy's own errors.
    with pytest.raises(error, match=r"^x (must|has)"):
        rms_normalize(x)


def test_rms_normalize_without_eps_scales_tiny_vectors_to_unit_rms():
    # x_rms_normalize__mutmut_53 scales only vectors whose largest entry exceeds 1: 1e-200 squared
    # then underflows to 0 and, with eps = 0, the division by sqrt(0) gives inf. The exact result
    # is x / rms(x) = [1, -3] / sqrt(5).
    np.testing.assert_allclose(rms_normalize([[1e-200, -3e-200]], eps=0.0), [[1 / np.sqrt(5), -3 / np.sqrt(5)]],
                               rtol=1e-14)


def test_rms_normalize_is_unaffected_by_a_strict_numpy_error_state():
    # x_rms_normalize__mutmut_56 and _58 drop under="ignore": a caller who made numpy raise on
    # underflow (np.seterr(all="raise"), a common debugging setting) then gets FloatingPointError
    # from the harmless underflow of a tiny entry squared. Reference: the formula, on exact squares.
    x = np.array([1.0, 1e-200])
    with np.errstate(all="raise"):
        out = rms_normalize(x, eps=0.0)
    np.testing.assert_allclose(out, x / np.sqrt(0.5), rtol=1e-14)


def test_rms_normalize_of_a_zero_vector_without_eps_stays_zero():
    # A real bug found through x_rms_normalize__mutmut_54 (the fallback scale 2 for an all-zero
    # vector): with eps = 0 the output was 0 / 0 = NaN with a warning, whatever the fallback; fixed on
    # 8 Dec 2026 (np.divide where the scale is > 0). The test kills _93 (`where=scale >= 0`: 0 / 0 again);
    # _54 stays equivalent (0 either way) and _86 (`out=None`) reads 0 from the allocator here.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = rms_normalize(np.zeros((2, 3)), eps=0.0)
    np.testing.assert_array_equal(out, 0.0)


def test_softmax_one_names_scores_for_nan():
    # x_softmax_one__mutmut_26 names "XXscoresXX" for a NaN score.
    from softmax_lab.attention_variants import softmax_one
    with pytest.raises(ValueError, match=r"^scores contains NaN"):
        softmax_one([0.0, float("nan")])


def test_softmax_one_is_unaffected_by_a_strict_numpy_error_state():
    # x_softmax_one__mutmut_50 and _52 drop under="ignore": e**-800 underflows to 0 (its weight is 0
    # anyway), which a caller's np.seterr(all="raise") would turn into FloatingPointError.
    # Reference: w_i = e^{s_i} / (e^0 + sum_j e^{s_j}) by hand, e^{-800} being 0 in float64.
    from softmax_lab.attention_variants import softmax_one
    with np.errstate(all="raise"):
        out = softmax_one([0.0, -800.0])
    np.testing.assert_allclose(out, [1.0 / 2.0, 0.0], rtol=1e-15, atol=0)


def test_soft_cap_names_scores_and_survives_a_strict_numpy_error_state():
    # x_soft_cap__mutmut_6 names "XXscoresXX" for non-numbers; _30 and _33 drop under="ignore", so
    # s / cap = 1e-300 / 1e300 underflowing to 0 (harmless: the tiny-x branch keeps s itself) raises
    # under a caller's np.seterr(all="raise"). Exact: cap * tanh(s / cap) = s to within 1e-600.
    from softmax_lab.attention_variants import soft_cap
    with pytest.raises(TypeError, match=r"^scores\b"):
        soft_cap([["a", "b"]], 1.0)
    with np.errstate(all="raise"):
        out = soft_cap([1e-300, -2.0], cap=1e300)
    np.testing.assert_array_equal(out, [1e-300, -2.0])
