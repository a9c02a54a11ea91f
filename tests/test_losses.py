"""Unit tests for softmax_lab.losses: cross-entropy and its gradient, binary cross-entropy and
its gradient, the softmax Jacobian and the finite-difference gradient check.

References are written out in float64 from the definitions (one-hot targets, explicit loops
over positions), on inputs small enough that the textbook formulas are exact.
"""


import numpy as np
import pytest

from softmax_lab import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    cross_entropy,
    cross_entropy_grad,
    gradient_check,
    softmax,
    softmax_jacobian,
)

FLOATS = [np.float16, np.float32, np.float64]
RTOL = {np.float16: 3e-3, np.float32: 2e-6, np.float64: 1e-12}



def ref_log_softmax(z, axis=-1):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z)
    return np.log(e / e.sum(axis=axis, keepdims=True))


def one_hot(index, K, axis=-1):
    """Dense one-hot targets with the class axis at ``axis``."""
    y = (np.asarray(index)[..., None] == np.arange(K)).astype(np.float64)
    return np.moveaxis(y, -1, axis)


def ref_cross_entropy(z, y, axis=-1, T=1.0):
    """Per-prediction -sum(y log softmax(z/T)) from dense targets."""
    return -(np.asarray(y) * ref_log_softmax(np.asarray(z) / T, axis=axis)).sum(axis=axis)


@pytest.fixture
def lm_batch():
    """(batch=2, seq=3, vocab=5) logits with (2, 3) next-token targets."""
    rng = np.random.default_rng(42)
    return rng.normal(scale=2.0, size=(2, 3, 5)), rng.integers(0, 5, size=(2, 3))


# --------------------------------------------------------------------------------------------
# cross_entropy: values
# --------------------------------------------------------------------------------------------

def test_cross_entropy_by_hand():
    # softmax([0, log 3]) = [1/4, 3/4]
    np.testing.assert_allclose(cross_entropy([0.0, np.log(3.0)], 1), -np.log(0.75), rtol=1e-15)
    np.testing.assert_allclose(cross_entropy([0.0, np.log(3.0)], 0), np.log(4.0), rtol=1e-15)


def test_cross_entropy_batch_seq_vocab(lm_batch):
    z, t = lm_batch
    per_position = np.array([[-ref_log_softmax(z[b, s])[t[b, s]] for s in range(3)] for b in range(2)])
    np.testing.assert_allclose(cross_entropy(z, t, reduction="none"), per_position, rtol=1e-13)
    np.testing.assert_allclose(cross_entropy(z, t, reduction="sum"), per_position.sum(), rtol=1e-13)
    # N is the number of predictions (2 * 3 = 6), not the batch size (2)
    np.testing.assert_allclose(cross_entropy(z, t), per_position.sum() / 6, rtol=1e-13)
    assert cross_entropy(z, t, reduction="none").shape == (2, 3)
    assert np.ndim(cross_entropy(z, t)) == 0


@pytest.mark.parametrize("axis", [0, 1, -3, -2])
def test_cross_entropy_other_axes(lm_batch, axis):
    z, t = lm_batch                              # classes last: (2, 3, 5)
    moved = np.moveaxis(z, -1, axis)             # now the classes are at ``axis``
    for reduction in ("mean", "sum", "none"):
        np.testing.assert_allclose(cross_entropy(moved, t, axis=axis, reduction=reduction),
                                   cross_entropy(z, t, reduction=reduction), rtol=1e-14)
    y = one_hot(t, 5, axis=axis)
    np.testing.assert_allclose(cross_entropy(moved, y, axis=axis, reduction="none"),
                               ref_cross_entropy(moved, y, axis=axis), rtol=1e-13)
    np.testing.assert_allclose(cross_entropy_grad(moved, t, axis=axis),
                               np.moveaxis(cross_entropy_grad(z, t), -1, axis), rtol=1e-14)


def test_cross_entropy_probability_targets_equal_index_targets(lm_batch):
    z, t = lm_batch
    y = one_hot(t, 5)
    for reduction in ("mean", "sum", "none"):
        np.testing.assert_allclose(cross_entropy(z, y, reduction=reduction),
                                   cross_entropy(z, t, reduction=reduction), rtol=1e-14)
    np.testing.assert_allclose(cross_entropy_grad(z, y), cross_entropy_grad(z, t), rtol=1e-14, atol=1e-17)


def test_cross_entropy_soft_targets():
    z = np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 2.0]])
    y = np.array([[0.2, 0.3, 0.5], [0.0, 0.9, 0.1]])
    np.testing.assert_allclose(cross_entropy(z, y, reduction="none"), ref_cross_entropy(z, y), rtol=1e-14)
    np.testing.assert_allclose(cross_entropy(z, y), ref_cross_entropy(z, y).mean(), rtol=1e-14)


@pytest.mark.parametrize("eps", [0.1, 0.5, 1.0])
def test_label_smoothing_against_a_dense_target(lm_batch, eps):
    z, t = lm_batch
    K = 5
    dense = (1 - eps) * one_hot(t, K) + eps / K            # hand-built smoothed target
    expected = ref_cross_entropy(z, dense)
    np.testing.assert_allclose(cross_entropy(z, t, label_smoothing=eps, reduction="none"), expected, rtol=1e-13)
    np.testing.assert_allclose(cross_entropy(z, t, label_smoothing=eps), expected.mean(), rtol=1e-13)
    # the same smoothing applies to probability targets
    np.testing.assert_allclose(cross_entropy(z, one_hot(t, K), label_smoothing=eps, reduction="none"),
                               expected, rtol=1e-13)
    # and the gradient is (p - smoothed target) / N
    expected_grad = (softmax(z) - dense) / 6
    np.testing.assert_allclose(cross_entropy_grad(z, t, label_smoothing=eps), expected_grad, rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(cross_entropy_grad(z, one_hot(t, K), label_smoothing=eps), expected_grad,
                               rtol=1e-12, atol=1e-16)


def test_label_smoothing_changes_the_loss(lm_batch):
    z, t = lm_batch
    assert not np.isclose(cross_entropy(z, t, label_smoothing=0.1), cross_entropy(z, t))


@pytest.mark.parametrize("T", [0.25, 3.0])
def test_temperature_in_loss_and_gradient(lm_batch, T):
    z, t = lm_batch
    y = one_hot(t, 5)
    np.testing.assert_allclose(cross_entropy(z, t, temperature=T, reduction="none"),
                               ref_cross_entropy(z, y, T=T), rtol=1e-13, atol=1e-15)
    # chain rule: d/dz of loss(z / T) is (softmax(z / T) - y) / T, and "mean" divides by N = 6
    expected = (softmax(z, temperature=T) - y) / (T * 6)
    np.testing.assert_allclose(cross_entropy_grad(z, t, temperature=T), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(cross_entropy_grad(z, t, temperature=T, reduction="sum"), expected * 6,
                               rtol=1e-12, atol=1e-14)


def test_cross_entropy_accepts_scalar_and_numpy_integer_targets():
    z = np.array([2.0, 1.0, 0.1])
    expected = -ref_log_softmax(z)[0]
    for target in (0, np.int64(0), np.uint8(0), np.array(0, dtype=np.int16)):
        np.testing.assert_allclose(cross_entropy(z, target), expected, rtol=1e-15)
    np.testing.assert_allclose(cross_entropy([[2, 1, 0]], [0]), -ref_log_softmax([2.0, 1.0, 0.0])[0], rtol=1e-15)


@pytest.mark.parametrize("dtype", FLOATS)
def test_cross_entropy_dtype(dtype):
    z = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.0]], dtype=dtype)
    expected = ref_cross_entropy(z.astype(np.float64), one_hot([0, 1], 3)).mean()
    loss = cross_entropy(z, [0, 1])
    assert loss.dtype == dtype
    np.testing.assert_allclose(float(loss), expected, rtol=RTOL[dtype])
    assert cross_entropy(z, [0, 1], reduction="none").dtype == dtype
    assert cross_entropy(z, one_hot([0, 1], 3)).dtype == dtype          # float64 targets keep logits' dtype
    g = cross_entropy_grad(z, [0, 1])
    assert g.dtype == dtype and g.shape == z.shape


def test_cross_entropy_integer_logits_give_float64():
    assert cross_entropy([[1, 2]], [1]).dtype == np.float64
    assert cross_entropy_grad([[1, 2]], [1]).dtype == np.float64


def test_cross_entropy_masked_class_without_target_mass(no_warnings):
    z = np.array([[1.0, -np.inf, 0.0], [-np.inf, 2.0, 0.5]])
    t = [0, 2]
    # same loss as if the masked classes did not exist
    expected = [-ref_log_softmax([1.0, 0.0])[0], -ref_log_softmax([2.0, 0.5])[1]]
    np.testing.assert_allclose(cross_entropy(z, t, reduction="none"), expected, rtol=1e-14)
    g = cross_entropy_grad(z, t)
    assert g[0, 1] == 0.0 and g[1, 0] == 0.0                          # exactly 0, not -0 noise
    np.testing.assert_allclose(cross_entropy(z, one_hot(t, 3), reduction="none"), expected, rtol=1e-14)


@pytest.mark.parametrize("dtype", FLOATS)
def test_cross_entropy_extreme_logits(dtype, no_warnings):
    big = np.finfo(dtype).max
    z = np.array([[big, -big], [big, big]], dtype=dtype)
    np.testing.assert_allclose(cross_entropy(z, [0, 1], reduction="none").astype(np.float64),
                               [0.0, np.log(2.0)], rtol=RTOL[dtype])
    g = cross_entropy_grad(z, [0, 1])
    assert g.dtype == dtype and np.isfinite(g).all()
    # Regression: a loss of 2 * big is too large for the dtype. It rounds to inf, as documented;
    # it used to raise "masked class" in float32/float64 (but not in float16).
    loss = cross_entropy(z, [1, 1], reduction="none")
    assert loss.dtype == dtype
    assert loss[0] == np.inf and np.isfinite(loss[1])
    # the mean, (2 * big + log 2) / 2, fits float16 because float16 is computed in float32
    assert cross_entropy(z, [1, 1]) == (big if dtype == np.float16 else np.inf)
    np.testing.assert_array_equal(cross_entropy_grad(z, [1, 1])[0], np.array([0.5, -0.5], dtype=dtype))


def test_cross_entropy_float16_65504(no_warnings):
    z = np.array([[65504.0, 0.0], [65504.0, -65504.0]], dtype=np.float16)
    loss = cross_entropy(z, [1, 0], reduction="none")
    assert loss.dtype == np.float16
    np.testing.assert_array_equal(loss, np.array([65504.0, 0.0], dtype=np.float16))
    assert cross_entropy(z, [1, 1], reduction="none")[1] == np.inf    # 131008 > float16 max


@pytest.mark.parametrize("dtype", FLOATS)
def test_cross_entropy_extreme_temperatures(dtype, no_warnings):
    z = np.array([1.0, 0.0, -np.inf], dtype=dtype)
    # T = 0.01: the loss of the runner-up is (1 - 0) / 0.01 + log(1 + e^-100) = 100
    np.testing.assert_allclose(float(cross_entropy(z, 1, temperature=0.01)), 100.0, rtol=RTOL[dtype])
    np.testing.assert_allclose(cross_entropy_grad(z, 1, temperature=0.01).astype(np.float64),
                               [100.0, -100.0, 0.0], rtol=RTOL[dtype])
    # T = 1e-300: 1e300 in float64, rounds to inf in float32/float16; never NaN, never a warning
    loss = cross_entropy(z, 1, temperature=1e-300)
    assert loss.dtype == dtype
    if dtype == np.float64:
        np.testing.assert_allclose(loss, 1e300, rtol=1e-12)
    else:
        assert loss == np.inf
    assert cross_entropy(z, 0, temperature=1e-300) == 0.0
    g = cross_entropy_grad(z, 0, temperature=1e-300)
    assert g.dtype == dtype
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])
    # T = 1e300: uniform over the two unmasked classes
    np.testing.assert_allclose(float(cross_entropy(z, 0, temperature=1e300)), np.log(2.0), rtol=RTOL[dtype])
    assert not np.isnan(cross_entropy_grad(z, 0, temperature=1e300)).any()


def test_float16_mean_loss_when_the_sum_is_beyond_float16(no_warnings):
    # 4096 losses of 20 add up to 81920, beyond float16's 65504: the sum rounds to inf, but the
    # mean, 20, is an ordinary float16 number and must come out as 20.
    z = np.tile(np.array([20.0, 0.0], dtype=np.float16), (4096, 1))
    t = np.ones(4096, dtype=int)
    loss = cross_entropy(z, t)
    assert loss.dtype == np.float16
    np.testing.assert_allclose(float(loss), 20.0, rtol=1e-3)
    assert cross_entropy(z, t, reduction="sum") == np.inf
    bce = binary_cross_entropy(np.full(4096, -20.0, dtype=np.float16), np.ones(4096))
    assert bce.dtype == np.float16
    np.testing.assert_allclose(float(bce), 20.0, rtol=1e-3)


def test_label_smoothing_at_extremes_gives_inf_not_nan(no_warnings):
    z = np.array([[1e308, -1e308, 0.0]])
    for eps in (0.1, 1.0):
        assert cross_entropy(z, [1], label_smoothing=eps) == np.inf
        assert cross_entropy(z, [0], label_smoothing=eps) == np.inf
        assert np.isfinite(cross_entropy_grad(z, [1], label_smoothing=eps)).all()
    # tiny temperature with smoothing and no mask at all is a huge loss, not a "masked" error
    assert cross_entropy([1.0, 0.0], 0, temperature=1e-300, label_smoothing=0.1) > 1e298


def test_cross_entropy_mean_does_not_overflow_when_the_sum_would(no_warnings):
    z = np.array([[0.0, -1e308]] * 2)              # each loss is 1e308; their sum is inf
    assert cross_entropy(z, [1, 1], reduction="sum") == np.inf
    np.testing.assert_allclose(cross_entropy(z, [1, 1]), 1e308, rtol=1e-12)


def test_cross_entropy_of_an_empty_batch(no_warnings):
    z = np.zeros((0, 3))
    t = np.zeros(0, dtype=int)
    assert cross_entropy(z, t) == 0.0
    assert cross_entropy(z, t, reduction="sum") == 0.0
    assert cross_entropy(z, t, reduction="none").shape == (0,)
    assert cross_entropy_grad(z, t).shape == (0, 3)


def test_reduction_none_gradient_is_the_per_prediction_gradient(lm_batch):
    z, t = lm_batch
    g = cross_entropy_grad(z, t, reduction="none")
    np.testing.assert_allclose(g, cross_entropy_grad(z, t, reduction="sum"), rtol=1e-15)
    np.testing.assert_allclose(g[1, 2], cross_entropy_grad(z[1, 2], t[1, 2], reduction="sum"), rtol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_grad_matches_finite_differences(lm_batch, reduction):
    z, t = lm_batch
    for kw in ({}, {"temperature": 2.0}, {"label_smoothing": 0.2}, {"axis": 1}):
        zz = np.moveaxis(z, -1, 1) if "axis" in kw else z
        err = gradient_check(lambda x: cross_entropy(x, t, reduction=reduction, **kw), zz,
                             cross_entropy_grad(zz, t, reduction=reduction, **kw))
        assert err < 1e-7, kw


# --------------------------------------------------------------------------------------------
# cross_entropy: errors (loss and gradient share every check)
# --------------------------------------------------------------------------------------------

CE = [cross_entropy, cross_entropy_grad]
Z = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.0]])


@pytest.mark.parametrize("f", CE)
@pytest.mark.parametrize("targets, exc, pattern", [
    ([0, 3], ValueError, r"targets must be class indices in \[0, 3\), got values from 0 to 3"),
    ([-1, 0], ValueError, r"targets must be class indices in \[0, 3\)"),
    ([0, 1, 2], ValueError, r"targets as class indices must have the logits' shape without the class axis"),
    ([[0], [1]], ValueError, r"targets as class indices must have the logits' shape"),
    ([0.0, 1.0], ValueError, r"targets as probabilities must have the logits' shape \(2, 3\).*must be integers"),
    ([[1.0, 0.0], [0.0, 1.0]], ValueError, r"targets as probabilities must have the logits' shape"),
    ([[1.5, -0.5, 0.0], [0.0, 1.0, 0.0]], ValueError, r"targets must be probabilities >= 0"),
    ([[0.5, 0.4, 0.0], [0.0, 1.0, 0.0]], ValueError, r"targets must sum to 1 along axis 1"),
    ([[np.nan, 1.0, 0.0], [0.0, 1.0, 0.0]], ValueError, r"targets must be finite probabilities"),
    ([True, False], TypeError, r"targets must be integer class indices or float probabilities, got booleans"),
    (["a", "b"], TypeError, r"targets must be integer class indices or float probabilities"),
    ([[0, 1], [2]], ValueError, r"targets must be a rectangular array"),   # regression: was numpy's message
])
def test_cross_entropy_target_errors(f, targets, exc, pattern):
    with pytest.raises(exc, match=pattern):
        f(Z, targets)


@pytest.mark.parametrize("f", CE)
@pytest.mark.parametrize("logits, pattern", [
    ([[np.nan, 1.0, 0.0], [0.0, 1.0, 0.0]], r"logits contains NaN"),
    ([[np.inf, 1.0, 0.0], [0.0, 1.0, 0.0]], r"logits contains \+inf"),
    ([[-np.inf, -np.inf, -np.inf], [0.0, 1.0, 0.0]], r"logits has a row where every entry is masked"),
    (np.zeros((2, 0)), r"logits has an empty class axis"),
    ([[1.0, 2.0, 3.0], [1.0]], r"logits must be a rectangular array"),
])
def test_cross_entropy_logit_errors(f, logits, pattern):
    with pytest.raises(ValueError, match=pattern):
        f(logits, [0, 0])


@pytest.mark.parametrize("f", CE)
def test_cross_entropy_logit_type_errors(f):
    with pytest.raises(TypeError, match=r"logits must contain numbers, got booleans"):
        f([[True, False]], [0])
    with pytest.raises(TypeError, match=r"logits must contain real numbers"):
        f([["a", "b"]], [0])


@pytest.mark.parametrize("f", CE)
def test_cross_entropy_masked_class_errors(f):
    z = np.array([[1.0, -np.inf, 0.0], [0.0, 1.0, 2.0]])
    with pytest.raises(ValueError, match=r"targets give probability to a masked class.*a target puts"):
        f(z, [1, 0])
    with pytest.raises(ValueError, match=r"targets give probability to a masked class"):
        f(z, [[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]])
    with pytest.raises(ValueError, match=r"targets give probability to a masked class.*label_smoothing"):
        f(z, [0, 0], label_smoothing=0.1)


@pytest.mark.parametrize("f", CE)
@pytest.mark.parametrize("kwargs, exc, pattern", [
    ({"reduction": "avg"}, ValueError, r"reduction must be one of 'mean', 'sum', 'none', got 'avg'"),
    ({"reduction": None}, ValueError, r"reduction must be one of"),
    ({"reduction": "MEAN"}, ValueError, r"reduction must be one of"),
    ({"label_smoothing": 1.5}, ValueError, r"label_smoothing must be a number in \[0, 1\]"),
    ({"label_smoothing": -0.1}, ValueError, r"label_smoothing must be a number in \[0, 1\]"),
    ({"label_smoothing": np.nan}, ValueError, r"label_smoothing must be a number in \[0, 1\]"),
    ({"label_smoothing": "0.1"}, TypeError, r"label_smoothing must be a number"),
    ({"label_smoothing": True}, TypeError, r"label_smoothing must be a number"),
    ({"temperature": 0.0}, ValueError, r"temperature must be a finite number > 0"),
    ({"temperature": -2.0}, ValueError, r"temperature must be a finite number > 0"),
    ({"temperature": np.inf}, ValueError, r"temperature must be a finite number > 0"),
    ({"temperature": np.nan}, ValueError, r"temperature must be a finite number > 0"),
    ({"temperature": "hot"}, TypeError, r"temperature must be a finite number > 0"),
    ({"axis": 2}, ValueError, r"axis 2 is out of range for logits"),
    ({"axis": "last"}, TypeError, r"axis must be an integer"),
])
def test_cross_entropy_option_errors(f, kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        f(Z, [0, 1], **kwargs)


# --------------------------------------------------------------------------------------------
# binary_cross_entropy
# --------------------------------------------------------------------------------------------

def ref_bce(z, y):
    s = 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))
    return -(y * np.log(s) + (1 - np.asarray(y)) * np.log(1 - s))


def test_binary_cross_entropy_values():
    z = np.array([[-2.0, -0.5, 0.0], [0.5, 3.0, 1.0]])
    y = np.array([[0.0, 1.0, 1.0], [0.0, 1.0, 0.25]])
    np.testing.assert_allclose(binary_cross_entropy(z, y, reduction="none"), ref_bce(z, y), rtol=1e-14)
    np.testing.assert_allclose(binary_cross_entropy(z, y, reduction="sum"), ref_bce(z, y).sum(), rtol=1e-14)
    np.testing.assert_allclose(binary_cross_entropy(z, y), ref_bce(z, y).mean(), rtol=1e-14)  # N = 6
    np.testing.assert_allclose(binary_cross_entropy([0.0], [1.0]), np.log(2.0), rtol=1e-15)


def test_binary_cross_entropy_accepts_bool_and_int_labels():
    z = np.array([1.0, -1.0])
    expected = binary_cross_entropy(z, [1.0, 0.0])
    assert binary_cross_entropy(z, [True, False]) == expected
    assert binary_cross_entropy(z, [1, 0]) == expected
    assert binary_cross_entropy([1, -1], [1, 0]).dtype == np.float64


@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_cross_entropy_dtype_and_extremes(dtype, no_warnings):
    big = np.finfo(dtype).max
    z = np.array([big, big, -big, -big, 0.0], dtype=dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    loss = binary_cross_entropy(z, y, reduction="none")
    assert loss.dtype == dtype
    np.testing.assert_allclose(loss.astype(np.float64), [0.0, float(big), 0.0, float(big), np.log(2.0)],
                               rtol=RTOL[dtype])
    g = binary_cross_entropy_grad(z, y, reduction="sum")
    assert g.dtype == dtype
    np.testing.assert_allclose(g.astype(np.float64), [0.0, 1.0, 0.0, -1.0, -0.5], rtol=RTOL[dtype])
    # Regression: the mean of two losses of ~big fits the dtype even though their sum does not.
    two = np.array([big, big], dtype=dtype)
    assert binary_cross_entropy(two, [0.0, 0.0], reduction="sum") == np.inf
    np.testing.assert_allclose(float(binary_cross_entropy(two, [0.0, 0.0])), float(big), rtol=RTOL[dtype])


def test_binary_cross_entropy_minus_inf_logits(no_warnings):
    # -inf means p = 0: with label 0 it costs nothing, and its gradient is 0.
    assert binary_cross_entropy([-np.inf, 0.0], [0.0, 1.0], reduction="sum") == np.log(2.0)
    np.testing.assert_array_equal(binary_cross_entropy_grad([-np.inf, 0.0], [0.0, 1.0], reduction="sum"),
                                  [0.0, -0.5])
    # Regression: every logit -inf is fine too (each entry is its own question, not a row).
    assert binary_cross_entropy([-np.inf, -np.inf], [0.0, 0.0]) == 0.0
    np.testing.assert_array_equal(binary_cross_entropy_grad([-np.inf], [0.0]), [0.0])


def test_binary_cross_entropy_grad_values_and_reductions():
    z = np.array([[-2.0, 0.0], [1.0, 3.0]])
    y = np.array([[0.0, 1.0], [0.5, 1.0]])
    sig = 1.0 / (1.0 + np.exp(-z))
    np.testing.assert_allclose(binary_cross_entropy_grad(z, y, reduction="sum"), sig - y, rtol=1e-14)
    np.testing.assert_allclose(binary_cross_entropy_grad(z, y, reduction="none"), sig - y, rtol=1e-14)
    np.testing.assert_allclose(binary_cross_entropy_grad(z, y), (sig - y) / 4, rtol=1e-14)
    for reduction in ("mean", "sum"):
        err = gradient_check(lambda x: binary_cross_entropy(x, y, reduction=reduction), z,
                             binary_cross_entropy_grad(z, y, reduction=reduction))
        assert err < 1e-8


def test_binary_cross_entropy_empty(no_warnings):
    assert binary_cross_entropy(np.zeros(0), np.zeros(0)) == 0.0
    assert binary_cross_entropy_grad(np.zeros(0), np.zeros(0)).shape == (0,)


@pytest.mark.parametrize("f", [binary_cross_entropy, binary_cross_entropy_grad])
@pytest.mark.parametrize("logits, targets, exc, pattern", [
    ([0.0, 1.0], [1.0], ValueError, r"targets must have the logits' shape \(2,\)"),
    ([0.0, 1.0], [1.5, 0.0], ValueError, r"targets must be probabilities in \[0, 1\]"),
    ([0.0, 1.0], [-0.1, 0.0], ValueError, r"targets must be probabilities in \[0, 1\]"),
    ([0.0, 1.0], [np.nan, 0.0], ValueError, r"targets must be probabilities in \[0, 1\]"),
    ([0.0, 1.0], ["a", "b"], TypeError, r"targets must be numbers in \[0, 1\]"),
    ([0.0, 1.0], [[1.0], [0.0, 1.0]], ValueError, r"targets must be a rectangular array"),
    ([np.nan, 1.0], [1.0, 0.0], ValueError, r"logits contains NaN"),
    ([np.inf, 1.0], [1.0, 0.0], ValueError, r"logits contains \+inf"),
    ([-np.inf, 1.0], [0.5, 0.0], ValueError, r"targets give probability to a logit of -inf"),
    ([True, False], [1.0, 0.0], TypeError, r"logits must contain numbers, got booleans"),
    (["x"], [1.0], TypeError, r"logits must contain real numbers"),
])
def test_binary_cross_entropy_errors(f, logits, targets, exc, pattern):
    with pytest.raises(exc, match=pattern):
        f(logits, targets)


@pytest.mark.parametrize("f", [binary_cross_entropy, binary_cross_entropy_grad])
def test_binary_cross_entropy_reduction_error(f):
    with pytest.raises(ValueError, match=r"reduction must be one of 'mean', 'sum', 'none', got 'total'"):
        f([0.0], [1.0], reduction="total")


# --------------------------------------------------------------------------------------------
# softmax_jacobian
# --------------------------------------------------------------------------------------------

def test_softmax_jacobian_is_diag_minus_outer():
    z = np.array([2.0, -1.0, 0.5, 0.0])
    p = softmax(z)
    np.testing.assert_allclose(softmax_jacobian(z), np.diag(p) - np.outer(p, p), rtol=1e-15, atol=1e-17)


def test_softmax_jacobian_matches_finite_differences():
    z = np.array([0.3, -1.2, 2.0])
    h = 1e-6
    J = softmax_jacobian(z)
    for j in range(3):
        e = np.zeros(3)
        e[j] = h
        column = (softmax(z + e) - softmax(z - e)) / (2 * h)
        np.testing.assert_allclose(J[:, j], column, atol=1e-9)


def test_softmax_jacobian_batch_and_axis():
    z = np.random.default_rng(5).normal(size=(2, 3, 4))
    J = softmax_jacobian(z)
    assert J.shape == (2, 3, 4, 4)
    np.testing.assert_allclose(J[1, 2], softmax_jacobian(z[1, 2]), rtol=1e-15)
    # axis=1: the other axes (2, 4) come first, then (K, K) = (3, 3)
    J1 = softmax_jacobian(z, axis=1)
    assert J1.shape == (2, 4, 3, 3)
    np.testing.assert_allclose(J1[0, 3], softmax_jacobian(z[0, :, 3]), rtol=1e-15)


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_jacobian_dtype_and_mask(dtype):
    J = softmax_jacobian(np.array([0.0, 0.0, -np.inf], dtype=dtype))
    assert J.dtype == dtype
    np.testing.assert_array_equal(J, np.array([[0.25, -0.25, 0], [-0.25, 0.25, 0], [0, 0, 0]], dtype=dtype))
    assert softmax_jacobian([1, 2]).dtype == np.float64


def test_softmax_jacobian_errors():
    with pytest.raises(ValueError, match=r"logits contains NaN"):
        softmax_jacobian([np.nan, 0.0])
    with pytest.raises(ValueError, match=r"logits has a row where every entry is masked"):
        softmax_jacobian([-np.inf])


# --------------------------------------------------------------------------------------------
# gradient_check
# --------------------------------------------------------------------------------------------

def square_sum(x):
    return float(np.sum(x ** 2))


def test_gradient_check_follows_its_documented_formula():
    x = np.array([1.0, 2.0, 3.0])
    # central differences of x^2 are exact up to rounding: n = 2x = [2, 4, 6]
    assert gradient_check(square_sum, x, 2 * x) < 1e-9
    # one entry off by 0.6: max|g - n| / max(max|g|, max|n|) = 0.6 / 6.6
    np.testing.assert_allclose(gradient_check(square_sum, x, [2.0, 4.0, 6.6]), 0.6 / 6.6, rtol=1e-6)
    # the claimed gradient smaller than the true one: the scale is max|n| = 6
    np.testing.assert_allclose(gradient_check(square_sum, x, [2.0, 4.0, 3.0]), 3.0 / 6.0, rtol=1e-6)
    # a wrong sign gives 2
    np.testing.assert_allclose(gradient_check(square_sum, x, -2 * x), 2.0, rtol=1e-6)


def test_gradient_check_zero_gradient_and_shapes():
    assert gradient_check(lambda x: 3.0, np.zeros((2, 2)), np.zeros((2, 2))) == 0.0
    x = [[1, 2], [3, 4]]                                       # integers, nested lists
    assert gradient_check(square_sum, x, 2 * np.array(x, dtype=float)) < 1e-9


def test_gradient_check_leaves_x_alone():
    x = np.array([1.0, 2.0])
    gradient_check(square_sum, x, 2 * x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_gradient_check_step_size_matters():
    # a big step makes the central difference of x^4 wrong by 4 x eps^2 / ... : measurable
    x = np.array([1.0])
    g = 4 * x ** 3
    assert gradient_check(lambda v: float(v[0] ** 4), x, g, eps=1e-4) < 1e-7
    assert gradient_check(lambda v: float(v[0] ** 4), x, g, eps=0.1) > 1e-3


@pytest.mark.parametrize("kwargs, exc, pattern", [
    ({"f": "not a function"}, TypeError, r"f must be a callable"),
    ({"grad": [1.0, 2.0, 3.0]}, ValueError, r"grad must have the shape of x, \(2,\), got \(3,\)"),
    ({"grad": ["a", "b"]}, TypeError, r"grad must contain real numbers"),
    ({"x": [True, False]}, TypeError, r"x must contain numbers"),
    ({"eps": 0}, ValueError, r"eps must be a finite number > 0"),
    ({"eps": -1e-6}, ValueError, r"eps must be a finite number > 0"),
    ({"eps": np.nan}, ValueError, r"eps must be a finite number > 0"),
    ({"eps": "1e-6"}, TypeError, r"eps must be a finite number > 0"),
    ({"eps": True}, TypeError, r"eps must be a finite number > 0"),
    ({"f": lambda x: x * 2}, ValueError, r"f must return a single number"),
])
def test_gradient_check_errors(kwargs, exc, pattern):
    args = {"f": square_sum, "x": np.array([1.0, 2.0]), "grad": np.array([2.0, 4.0])}
    args.update(kwargs)
    with pytest.raises(exc, match=pattern):
        gradient_check(args["f"], args["x"], args["grad"], **({"eps": args["eps"]} if "eps" in args else {}))
