"""Unit tests for softmax_lab.functions: values, dtypes, masks, extreme inputs and every error.

Reference values are computed here from the textbook formulas in float64 on inputs small
enough that the textbook formulas are exact, or written out by hand.
"""


import numpy as np
import pytest

from softmax_lab import entropy, kl_divergence, log_sigmoid, log_softmax, logsumexp, sigmoid, softmax

FLOATS = [np.float16, np.float32, np.float64]
# Tolerances that fit each dtype's precision (float16 has about 3 significant digits).
RTOL = {np.float16: 2e-3, np.float32: 2e-6, np.float64: 1e-12}


def textbook_softmax(z, axis=-1):
    """exp(z) / sum(exp(z)) in float64, for small |z| where it is exact enough."""
    e = np.exp(np.asarray(z, dtype=np.float64))
    return e / e.sum(axis=axis, keepdims=True)



# --------------------------------------------------------------------------------------------
# softmax
# --------------------------------------------------------------------------------------------

def test_softmax_matches_textbook_formula_on_a_batch():
    z = np.array([[2.0, 1.0, 0.1], [-1.0, 0.0, 3.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(softmax(z), textbook_softmax(z), rtol=1e-14)
    np.testing.assert_allclose(softmax(z)[2], [1 / 3] * 3, rtol=1e-15)


def test_softmax_known_value_by_hand():
    # softmax([0, log 3]) = [1/4, 3/4]
    np.testing.assert_allclose(softmax([0.0, np.log(3.0)]), [0.25, 0.75], rtol=1e-15)


@pytest.mark.parametrize("axis", [0, 1, 2, -2, -3])
def test_softmax_along_other_axes(axis):
    z = np.random.default_rng(0).normal(size=(3, 4, 5))
    p = softmax(z, axis=axis)
    assert p.shape == z.shape
    np.testing.assert_allclose(p, textbook_softmax(z, axis=axis), rtol=1e-13)
    np.testing.assert_allclose(p.sum(axis=axis), 1.0, rtol=1e-14)


def test_softmax_is_invariant_to_a_huge_shift(no_warnings):
    z = np.array([3.0, 1.0, -2.0])
    # exp(1000 + 3) overflows without the max shift; with it nothing changes.
    np.testing.assert_allclose(softmax(z + 1000.0), softmax(z), rtol=1e-12)
    np.testing.assert_allclose(softmax(z - 1000.0), softmax(z), rtol=1e-12)


@pytest.mark.parametrize("T", [0.5, 2.0, 7.0])
def test_softmax_temperature_divides_the_logits(T):
    z = np.array([[2.0, -1.0, 0.5, 0.0]])
    np.testing.assert_allclose(softmax(z, temperature=T), textbook_softmax(z / T), rtol=1e-14)
    np.testing.assert_allclose(log_softmax(z, temperature=T), np.log(textbook_softmax(z / T)), rtol=1e-13)


def test_softmax_temperature_sharpens_and_flattens():
    z = np.array([2.0, 1.0, 0.0])
    cold, warm, hot = (softmax(z, temperature=T)[0] for T in (0.5, 1.0, 4.0))
    assert cold > warm > hot > 1 / 3


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_keeps_float_dtype(dtype):
    z = np.array([[1.0, 2.0, 3.0], [0.5, -0.5, 0.0]], dtype=dtype)
    p = softmax(z)
    assert p.dtype == dtype
    np.testing.assert_allclose(p.astype(np.float64), textbook_softmax(z), rtol=RTOL[dtype])


@pytest.mark.parametrize("data", [[1, 2, 3], np.array([1, 2, 3], dtype=np.int32),
                                  np.array([1, 2, 3], dtype=np.uint8), [1.0, 2.0, 3.0]])
def test_softmax_integers_and_lists_give_float64(data):
    p = softmax(data)
    assert p.dtype == np.float64
    np.testing.assert_allclose(p, textbook_softmax([1.0, 2.0, 3.0]), rtol=1e-15)


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_mask_is_exactly_zero(dtype):
    z = np.array([[1.0, -np.inf, 2.0], [-np.inf, 0.0, -np.inf]], dtype=dtype)
    p = softmax(z)
    assert p[0, 1] == 0 and p[1, 0] == 0 and p[1, 2] == 0
    assert p[1, 1] == 1
    np.testing.assert_allclose(p[0, [0, 2]].astype(np.float64), textbook_softmax([1.0, 2.0]), rtol=RTOL[dtype])


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_extreme_logits(dtype, no_warnings):
    big = np.finfo(dtype).max
    z = np.array([[big, -big, 0.0], [big, big, big], [-big, -big, -big]], dtype=dtype)
    p = softmax(z)
    assert p.dtype == dtype and np.isfinite(p).all()
    np.testing.assert_array_equal(p[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(p[1:].astype(np.float64), 1 / 3, rtol=RTOL[dtype])


def test_softmax_float16_at_65504(no_warnings):
    z = np.array([65504.0, 65503.0, -65504.0], dtype=np.float16)  # 65503 rounds to 65504
    p = softmax(z)
    assert p.dtype == np.float16
    np.testing.assert_array_equal(p, np.array([0.5, 0.5, 0.0], dtype=np.float16))
    z = np.array([65504.0, 65472.0], dtype=np.float16)  # the next float16 below the maximum
    np.testing.assert_allclose(softmax(z).astype(float), [1.0, 0.0], atol=1e-7)


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_small_temperature_is_argmax(dtype, no_warnings):
    z = np.array([[2.0, 1.0, -np.inf, 1.75]], dtype=dtype)
    p = softmax(z, temperature=0.01)            # a gap of 0.25 becomes 25: exp(-25) ~ 1e-11
    assert p.dtype == dtype
    np.testing.assert_allclose(p.astype(np.float64), [[1.0, 0.0, 0.0, 0.0]], atol=2e-11)
    assert p[0, 2] == 0.0
    # 1e-300 is below float32's smallest number: it must not be rounded to 0 (0/0 = NaN).
    p = softmax(z, temperature=1e-300)
    assert p.dtype == dtype
    np.testing.assert_array_equal(p, [[1.0, 0.0, 0.0, 0.0]])


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_huge_temperature_is_uniform_over_unmasked(dtype, no_warnings):
    z = np.array([5.0, -3.0, -np.inf, 0.0], dtype=dtype)
    # 1e300 is above float32's largest number: it must not become inf (-inf/inf = NaN).
    p = softmax(z, temperature=1e300)
    assert p.dtype == dtype
    np.testing.assert_allclose(p.astype(np.float64), [1 / 3, 1 / 3, 0.0, 1 / 3], rtol=RTOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_rows_just_below_the_exp_limit_do_not_overflow_the_sum(dtype, no_warnings):
    # Every exp(z) fits the dtype here (z < log(max)), but the sum of four does not: a row is
    # safe to leave unshifted only up to log(sqrt(max)), and beyond that it must be shifted.
    z = np.full((2, 4), np.floor(np.log(np.finfo(dtype).max)), dtype=dtype)
    z[1] = [0.0, 1.0, 2.0, 3.0]                # one ordinary row in the same batch
    p = softmax(z)
    np.testing.assert_allclose(p[0], 0.25, rtol=RTOL[dtype])
    np.testing.assert_allclose(p[1], textbook_softmax(z[1]), rtol=RTOL[dtype])


def test_softmax_single_class_is_one():
    np.testing.assert_array_equal(softmax([[-5.0], [7.0]]), [[1.0], [1.0]])


def test_softmax_does_not_modify_its_input():
    z = np.array([3.0, 1.0, 2.0])
    softmax(z, temperature=2.0)
    log_softmax(z, temperature=2.0)
    np.testing.assert_array_equal(z, [3.0, 1.0, 2.0])


# --------------------------------------------------------------------------------------------
# Errors shared by softmax, log_softmax and logsumexp (the logits checks)
# --------------------------------------------------------------------------------------------

LOGIT_FUNCTIONS = [softmax, log_softmax, logsumexp]


@pytest.mark.parametrize("f", LOGIT_FUNCTIONS)
@pytest.mark.parametrize("bad, exc, pattern", [
    ([1.0, np.nan], ValueError, r"logits contains NaN"),
    ([1.0, np.inf], ValueError, r"logits contains \+inf"),
    ([[1.0, 2.0], [-np.inf, -np.inf]], ValueError, r"logits has a row where every entry is masked"),
    (np.zeros((3, 0)), ValueError, r"logits has an empty class axis"),
    (2.0, ValueError, r"logits must have at least one dimension"),
    ([True, False], TypeError, r"logits must contain numbers, got booleans"),
    (["a", "b"], TypeError, r"logits must contain real numbers"),
    ([1 + 2j, 0j], TypeError, r"logits must contain real numbers"),
    ([None, 1.0], TypeError, r"logits must contain real numbers"),
    ([[1.0, 2.0], [3.0]], ValueError, r"logits must be a rectangular array"),
])
def test_logit_errors_name_the_argument(f, bad, exc, pattern):
    with pytest.raises(exc, match=pattern):
        f(bad)


@pytest.mark.parametrize("f", LOGIT_FUNCTIONS)
def test_axis_errors(f):
    with pytest.raises(ValueError, match=r"axis 2 is out of range for logits"):
        f(np.zeros((2, 3)), axis=2)
    with pytest.raises(ValueError, match=r"axis -3 is out of range for logits"):
        f(np.zeros((2, 3)), axis=-3)
    with pytest.raises(TypeError, match=r"axis must be an integer"):
        f(np.zeros((2, 3)), axis=1.0)
    with pytest.raises(TypeError, match=r"axis must be an integer"):
        f(np.zeros((2, 3)), axis=True)


def test_empty_class_axis_along_a_chosen_axis():
    with pytest.raises(ValueError, match=r"logits has an empty class axis \(axis=0"):
        softmax(np.zeros((0, 3)), axis=0)
    # An empty batch with a non-empty class axis is fine: there is simply nothing to compute.
    assert softmax(np.zeros((0, 3))).shape == (0, 3)


@pytest.mark.parametrize("f", [softmax, log_softmax])
@pytest.mark.parametrize("T, exc", [(0, ValueError), (0.0, ValueError), (-1.0, ValueError),
                                    (np.inf, ValueError), (np.nan, ValueError), (-np.inf, ValueError),
                                    ("1", TypeError), (None, TypeError), (True, TypeError),
                                    (np.array([1.0, 2.0]), TypeError)])
def test_temperature_errors(f, T, exc):
    with pytest.raises(exc, match=r"temperature must be a finite number > 0"):
        f([1.0, 2.0], temperature=T)


def test_temperature_accepts_numpy_scalars():
    np.testing.assert_allclose(softmax([1.0, 2.0], temperature=np.float32(2.0)),
                               textbook_softmax([0.5, 1.0]), rtol=1e-15)
    np.testing.assert_allclose(softmax([1.0, 2.0], temperature=2), textbook_softmax([0.5, 1.0]), rtol=1e-15)


# --------------------------------------------------------------------------------------------
# log_softmax
# --------------------------------------------------------------------------------------------

def test_log_softmax_matches_log_of_softmax_on_moderate_values():
    z = np.random.default_rng(1).normal(scale=3.0, size=(4, 6))
    np.testing.assert_allclose(log_softmax(z), np.log(textbook_softmax(z)), rtol=1e-12)
    np.testing.assert_allclose(log_softmax(z, axis=0), np.log(textbook_softmax(z, axis=0)), rtol=1e-12)


def test_log_softmax_finite_where_softmax_underflows(no_warnings):
    out = log_softmax([1000.0, 0.0, -np.inf])
    np.testing.assert_array_equal(out, [0.0, -1000.0, -np.inf])
    assert softmax([1000.0, 0.0])[1] == 0.0  # the probability itself underflows


@pytest.mark.parametrize("dtype", FLOATS)
def test_log_softmax_dtype_and_mask(dtype):
    z = np.array([0.0, 0.0, -np.inf], dtype=dtype)
    out = log_softmax(z)
    assert out.dtype == dtype
    assert out[2] == -np.inf
    np.testing.assert_allclose(out[:2].astype(np.float64), -np.log(2.0), rtol=RTOL[dtype])


def test_log_softmax_integers_give_float64():
    assert log_softmax([1, 2]).dtype == np.float64


@pytest.mark.parametrize("dtype", FLOATS)
def test_log_softmax_extremes_round_to_minus_inf_without_warning(dtype, no_warnings):
    big = np.finfo(dtype).max
    out = log_softmax(np.array([big, -big, big], dtype=dtype))
    assert out.dtype == dtype
    assert not np.isnan(out).any()
    # log p = -2 * big is too negative for the dtype: it rounds to -inf (a documented decision).
    np.testing.assert_allclose(out[[0, 2]].astype(np.float64), -np.log(2.0), rtol=RTOL[dtype])
    assert out[1] == -np.inf


def test_float16_is_computed_in_float32_and_rounded_once():
    # Computed in float32 and rounded back, every float16 result is within half a unit in the
    # last place (ulp) of the exact answer. Computed in float16 itself, the rounding errors of
    # exp and of the sum pile up (about 5 ulps here for softmax, 1 ulp for log_softmax).
    z = (np.random.default_rng(0).normal(size=(8, 1000)) * 3).astype(np.float16)
    r = z.astype(np.float64) - z.astype(np.float64).max(axis=-1, keepdims=True)
    exact_logp = r - np.log(np.exp(r).sum(axis=-1, keepdims=True))
    for out, exact in ((softmax(z), np.exp(exact_logp)), (log_softmax(z), exact_logp)):
        assert out.dtype == np.float16
        ulp = np.spacing(np.abs(exact).astype(np.float16)).astype(np.float64)
        assert (np.abs(out.astype(np.float64) - exact) / ulp).max() < 0.6


def test_log_softmax_float16_near_the_end_of_its_range():
    # log p = -60000 - 5000 = -65000 is still a float16 number (it rounds to -64992)
    z = np.array([5000.0, -60000.0], dtype=np.float16)
    out = log_softmax(z)
    assert out.dtype == np.float16
    assert out[0] == 0.0
    assert out[1] == np.float16(-65000.0)


@pytest.mark.parametrize("dtype", FLOATS)
def test_log_softmax_tiny_temperature(dtype, no_warnings):
    z = np.array([1.0, 0.0, -np.inf], dtype=dtype)
    out = log_softmax(z, temperature=1e-300)
    assert out.dtype == dtype and out[0] == 0.0 and out[2] == -np.inf
    assert out[1] == -np.inf or out[1] < -1e299    # -1e300 is representable only in float64
    out = log_softmax(z, temperature=0.01)
    np.testing.assert_allclose(out[1].astype(np.float64), -100.0, rtol=RTOL[dtype])


# --------------------------------------------------------------------------------------------
# logsumexp
# --------------------------------------------------------------------------------------------

def test_logsumexp_values():
    z = np.array([[0.0, 0.0], [1.0, -np.inf], [np.log(2.0), np.log(3.0)]])
    np.testing.assert_allclose(logsumexp(z), [np.log(2.0), 1.0, np.log(5.0)], rtol=1e-15)
    np.testing.assert_allclose(logsumexp([1000.0, 1000.0]), 1000.0 + np.log(2.0), rtol=1e-15)


def test_logsumexp_axis_and_keepdims():
    z = np.random.default_rng(2).normal(size=(2, 3, 4))
    expected = np.log(np.exp(z).sum(axis=1))
    np.testing.assert_allclose(logsumexp(z, axis=1), expected, rtol=1e-14)
    kept = logsumexp(z, axis=1, keepdims=True)
    assert kept.shape == (2, 1, 4)
    np.testing.assert_allclose(kept[:, 0, :], expected, rtol=1e-14)
    assert logsumexp(z, keepdims=np.bool_(True)).shape == (2, 3, 1)
    # logsumexp broadcasts back into log_softmax
    np.testing.assert_allclose(z - logsumexp(z, axis=1, keepdims=True), log_softmax(z, axis=1), atol=1e-14)


def test_logsumexp_keepdims_must_be_boolean():
    with pytest.raises(TypeError, match=r"keepdims must be True or False"):
        logsumexp([1.0, 2.0], keepdims=1)
    with pytest.raises(TypeError, match=r"keepdims must be True or False"):
        logsumexp([1.0, 2.0], keepdims="yes")


def test_log_softmax_and_logsumexp_span_several_blocks_of_rows():
    # Contiguous rows are processed in blocks of 2**17 elements: with 8 classes, a block holds
    # 16384 rows, so 40000 rows make two full blocks and a partial one. Every block must count.
    z = np.random.default_rng(4).normal(scale=3.0, size=(40_000, 8))
    z[-1] += 500.0                                       # the very last row, in the last block
    m = z.max(axis=-1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(z - m).sum(axis=-1))   # the textbook formula, row by row
    # atol: near 0 the textbook formula is off by up to an ulp of 1 (logsumexp uses log1p)
    np.testing.assert_allclose(logsumexp(z), lse, rtol=1e-13, atol=4e-16)
    np.testing.assert_allclose(log_softmax(z), z - lse[:, None], rtol=1e-12, atol=1e-12)


def test_logsumexp_is_between_max_and_max_plus_log_k():
    z = np.random.default_rng(3).normal(scale=5.0, size=(10, 7))
    lse = logsumexp(z)
    assert (lse >= z.max(axis=-1)).all()
    assert (lse <= z.max(axis=-1) + np.log(7) + 1e-12).all()


@pytest.mark.parametrize("dtype", FLOATS)
def test_logsumexp_dtype_and_extremes(dtype, no_warnings):
    big = np.finfo(dtype).max
    out = logsumexp(np.array([[big, big], [-big, -big], [big, -big]], dtype=dtype))
    assert out.dtype == dtype
    # big + log 2 rounds to big: finite, never inf, never NaN.
    np.testing.assert_array_equal(out[[0, 2]], [big, big])
    assert out[1] == -big
    assert logsumexp(np.array([1.0, 2.0], dtype=dtype)).dtype == dtype
    assert logsumexp([1, 2]).dtype == np.float64


# --------------------------------------------------------------------------------------------
# sigmoid and log_sigmoid
# --------------------------------------------------------------------------------------------

def test_sigmoid_values():
    x = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    np.testing.assert_allclose(sigmoid(x), 1.0 / (1.0 + np.exp(-x)), rtol=1e-15)
    assert sigmoid(0.0) == 0.5
    np.testing.assert_allclose(sigmoid(x) + sigmoid(-x), 1.0, rtol=1e-15)


def test_sigmoid_is_two_class_softmax():
    z = np.array([[0.3, -1.2], [5.0, 4.0], [-2.0, 2.0]])
    np.testing.assert_allclose(softmax(z)[:, 1], sigmoid(z[:, 1] - z[:, 0]), rtol=1e-14)


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_extremes_and_dtype(dtype, no_warnings):
    big = np.finfo(dtype).max
    x = np.array([-np.inf, -big, 0.0, big], dtype=dtype)
    s = sigmoid(x)
    assert s.dtype == dtype
    np.testing.assert_array_equal(s, [0.0, 0.0, 0.5, 1.0])
    ls = log_sigmoid(x)
    assert ls.dtype == dtype
    np.testing.assert_array_equal(ls, [-np.inf, -big, np.log(0.5).astype(dtype), 0.0])


def test_sigmoid_float16_65504(no_warnings):
    x = np.array([-65504.0, 65504.0], dtype=np.float16)
    np.testing.assert_array_equal(sigmoid(x), np.array([0.0, 1.0], dtype=np.float16))
    np.testing.assert_array_equal(log_sigmoid(x), np.array([-65504.0, 0.0], dtype=np.float16))


def test_log_sigmoid_values_and_accuracy():
    x = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    np.testing.assert_allclose(log_sigmoid(x), -np.log1p(np.exp(-x)), rtol=1e-15)
    # Far out, log sigma(x) = x for negative x and -exp(-x) for positive x.
    assert log_sigmoid([-800.0])[0] == -800.0
    np.testing.assert_allclose(log_sigmoid([40.0]), -np.exp(-40.0), rtol=1e-12)


@pytest.mark.parametrize("f", [sigmoid, log_sigmoid])
def test_sigmoid_integers_lists_and_shapes(f):
    out = f([[1, 2], [3, 4]])
    assert out.dtype == np.float64 and out.shape == (2, 2)
    assert np.ndim(f(1.0)) == 0


@pytest.mark.parametrize("f", [sigmoid, log_sigmoid])
@pytest.mark.parametrize("bad, exc, pattern", [
    ([0.0, np.nan], ValueError, r"x contains NaN"),
    ([0.0, np.inf], ValueError, r"x contains \+inf"),
    ([True], TypeError, r"x must contain numbers, got booleans"),
    (["1"], TypeError, r"x must contain real numbers"),
    ([[1.0], [1.0, 2.0]], ValueError, r"x must be a rectangular array"),
])
def test_sigmoid_errors(f, bad, exc, pattern):
    with pytest.raises(exc, match=pattern):
        f(bad)


# --------------------------------------------------------------------------------------------
# entropy
# --------------------------------------------------------------------------------------------

def test_entropy_values():
    p = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.25, 0.25, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    expected = [np.log(2), 0.0, 1.5 * np.log(2), np.log(3)]
    np.testing.assert_allclose(entropy(p), expected, rtol=1e-14, atol=0)


def test_entropy_zero_log_zero_is_zero(no_warnings):
    h = entropy([0.0, 1.0])
    assert h == 0.0 and not np.isnan(h)


def test_entropy_of_a_one_hot_rounded_above_one_is_zero_not_negative(no_warnings):
    # A softmax row can hold 1 + eps: then -p log p is about -2e-16, but entropy is >= 0.
    h = entropy([np.nextafter(1.0, 2.0), 0.0])
    assert h == 0.0


def test_entropy_axis():
    p = np.array([[0.5, 1.0], [0.5, 0.0]])  # columns are distributions
    np.testing.assert_allclose(entropy(p, axis=0), [np.log(2), 0.0], rtol=1e-15)


@pytest.mark.parametrize("dtype", FLOATS)
def test_entropy_dtype(dtype):
    h = entropy(np.array([0.25, 0.75], dtype=dtype))
    assert h.dtype == dtype
    np.testing.assert_allclose(float(h), -(0.25 * np.log(0.25) + 0.75 * np.log(0.75)), rtol=RTOL[dtype])
    assert entropy([1, 0]).dtype == np.float64


@pytest.mark.parametrize("K", [7, 49, 55, 1000])
def test_entropy_accepts_a_float16_softmax(K):
    # Regression: float16 rows from softmax are off by up to ~5e-4 after rounding, so the
    # "sums to 1" check must use float16's own tolerance (it used float32's and refused them).
    p = softmax(np.zeros(K, dtype=np.float16))
    h = entropy(p)
    assert h.dtype == np.float16
    np.testing.assert_allclose(float(h), np.log(K), rtol=2e-3)


@pytest.mark.parametrize("bad, pattern", [
    ([0.5, 0.6], r"probs must sum to 1 along axis 0"),
    ([1.5, -0.5], r"probs must be probabilities >= 0, got -0.5$"),
    ([np.nan, 1.0], r"probs must be finite probabilities"),
    ([np.inf, 1.0], r"probs must be finite probabilities"),
    (np.zeros((2, 0)), r"probs has an empty class axis"),
])
def test_entropy_errors(bad, pattern):
    with pytest.raises(ValueError, match=pattern):
        entropy(bad)


def test_entropy_type_errors():
    with pytest.raises(TypeError, match=r"probs must contain numbers"):
        entropy([True, False])


def test_entropy_sum_tolerance_fits_the_dtype():
    entropy(np.array([0.5, 0.5 + 1e-9]))                     # within sqrt(eps) of 1 in float64
    with pytest.raises(ValueError, match=r"probs must sum to 1"):
        entropy(np.array([0.5, 0.5 + 1e-6]))                 # too far for float64
    entropy(np.array([0.5, 0.5 + 1e-4], dtype=np.float32))   # fine for float32
    with pytest.raises(ValueError, match=r"probs must sum to 1"):
        entropy(np.array([0.5, 0.5 + 1e-3], dtype=np.float32))


# --------------------------------------------------------------------------------------------
# kl_divergence
# --------------------------------------------------------------------------------------------

def test_kl_values():
    p, q = np.array([0.5, 0.5]), np.array([0.9, 0.1])
    expected = 0.5 * np.log(0.5 / 0.9) + 0.5 * np.log(0.5 / 0.1)
    np.testing.assert_allclose(kl_divergence(p, q), expected, rtol=1e-14)
    assert kl_divergence(p, p) == 0.0
    # not symmetric
    assert not np.isclose(kl_divergence(p, q), kl_divergence(q, p))


def test_kl_of_nearly_equal_distributions_is_not_negative():
    # q differs from p by one ulp per entry: the true KL is about 1e-32, but the rounded
    # terms p log(p / q) add up to -1.1e-16. KL is never negative, so the result is 0.
    q = [np.nextafter(0.3, 0.0), np.nextafter(0.7, 1.0)]
    assert kl_divergence([0.3, 0.7], q) == 0.0


def test_kl_infinite_where_q_is_zero_and_p_is_not(no_warnings):
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == np.inf
    # p = 0 where q = 0 contributes nothing (0 log 0/0 = 0)
    np.testing.assert_allclose(kl_divergence([1.0, 0.0], [0.5, 0.5]), np.log(2), rtol=1e-15)
    assert kl_divergence([1.0, 0.0], [1.0, 0.0]) == 0.0


def test_kl_batch_broadcast_and_axis():
    p = np.array([[0.5, 0.5]])
    q = np.array([[0.5, 0.5], [0.9, 0.1]])
    np.testing.assert_allclose(kl_divergence(p, q), [0.0, kl_divergence([0.5, 0.5], [0.9, 0.1])], rtol=1e-14)
    np.testing.assert_allclose(kl_divergence(p.T, q.T, axis=0), kl_divergence(p, q), rtol=1e-15)


def test_kl_class_axis_is_found_in_p_and_in_q_separately():
    # Regression: axis was normalised for q (axis_q) and then ignored; p and q with different
    # numbers of dimensions were refused although their other axes broadcast.
    p = np.array([0.5, 0.5])
    q = np.array([[0.5, 0.5], [0.9, 0.1], [1.0, 0.0]])
    expected = [0.0, 0.5 * np.log(0.5 / 0.9) + 0.5 * np.log(0.5 / 0.1), np.inf]
    np.testing.assert_allclose(kl_divergence(p, q), expected, rtol=1e-14)
    np.testing.assert_allclose(kl_divergence(q, p)[:2], [0.0, kl_divergence([0.9, 0.1], p)], rtol=1e-14)
    # axis=0 is each array's own first axis: p's 2 classes against the 2 classes (rows) of q.T
    np.testing.assert_allclose(kl_divergence(p, q.T, axis=0), expected, rtol=1e-14)
    # (3, 2) with the classes on axis 0 against (3,): the shapes themselves do not broadcast
    p3 = np.array([[0.2, 0.5], [0.3, 0.25], [0.5, 0.25]])
    q3 = np.array([0.25, 0.25, 0.5])
    expected3 = [np.sum(p3[:, j] * np.log(p3[:, j] / q3)) for j in range(2)]
    np.testing.assert_allclose(kl_divergence(p3, q3, axis=0), expected3, rtol=1e-14)


def test_kl_refuses_to_broadcast_the_class_axis():
    # Regression: a (1, 1) p used to be stretched over q's two classes, giving a number.
    with pytest.raises(ValueError, match=r"p and q must have the same number of classes"):
        kl_divergence([[1.0]], [[0.5, 0.5]])


@pytest.mark.parametrize("p, q, pattern", [
    ([[0.5, 0.5]] * 2, [[0.5, 0.5]] * 3, r"p and q have shapes \(2, 2\) and \(3, 2\), whose axes other than"),
    ([0.5, 0.6], [0.5, 0.5], r"^p must sum to 1"),
    ([0.5, 0.5], [0.5, 0.6], r"^q must sum to 1"),
    ([-0.5, 1.5], [0.5, 0.5], r"^p must be probabilities >= 0"),
    ([0.5, 0.5], [np.nan, 0.5], r"^q must be finite probabilities"),
])
def test_kl_errors(p, q, pattern):
    with pytest.raises(ValueError, match=pattern):
        kl_divergence(p, q)


@pytest.mark.parametrize("dp, dq, expected", [
    (np.float16, np.float16, np.float16), (np.float32, np.float32, np.float32),
    (np.float64, np.float64, np.float64), (np.float32, np.float64, np.float64),
    (np.float16, np.float32, np.float32),
])
def test_kl_dtype(dp, dq, expected):
    out = kl_divergence(np.array([0.25, 0.75], dtype=dp), np.array([0.5, 0.5], dtype=dq))
    assert out.dtype == expected
    # as accurate as the less precise input allows
    rtol = max(RTOL[dp], RTOL[dq])
    np.testing.assert_allclose(float(out), 0.25 * np.log(0.5) + 0.75 * np.log(1.5), rtol=rtol)
    assert kl_divergence([1, 0], [1, 0]).dtype == np.float64


def test_kl_type_error_names_q():
    with pytest.raises(TypeError, match=r"^q must contain"):
        kl_divergence([0.5, 0.5], ["a", "b"])


# --------------------------------------------------------------------------------------------
# _checks.row_max: the shared "find the shift and validate the rows" helper (sampling uses it)
# --------------------------------------------------------------------------------------------

def test_row_max_returns_the_kept_maximum_and_validates():
    from softmax_lab._checks import row_max

    z = np.array([[1.0, -np.inf, 3.0], [-2.0, -1.0, -np.inf]])
    np.testing.assert_array_equal(row_max(z, -1), [[3.0], [-1.0]])
    np.testing.assert_array_equal(row_max(z, 0), [[1.0, -1.0, 3.0]])
    with pytest.raises(ValueError, match=r"probs has a row where every entry is masked"):
        row_max(np.array([[0.0, 1.0], [-np.inf, -np.inf]]), -1, "probs")
    with pytest.raises(ValueError, match=r"logits contains NaN"):
        row_max(np.array([0.0, np.nan]), -1)
