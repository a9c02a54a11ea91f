"""Property-based tests (hypothesis) for the math core.

Each property is a mathematical fact about softmax and its relatives that must hold for every
input, not just for hand-picked examples: probabilities sum to 1, a shift changes nothing, the
temperature limits, every gradient agrees with finite differences, and so on. The last section
checks the supported range of each family (functions, losses, sampling, attention): inside it,
results without NaN or warnings; outside it, an error naming the argument. Example counts are
kept modest so the whole file runs in seconds.
"""

import warnings

import numpy as np
import pytest
from fast_loop import examples
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from softmax_lab import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    cross_entropy,
    cross_entropy_grad,
    entropy,
    gradient_check,
    kl_divergence,
    log_sigmoid,
    log_softmax,
    logsumexp,
    sigmoid,
    softmax,
    softmax_jacobian,
)
from softmax_lab.attention import (
    attention_entropy,
    causal_mask,
    online_logsumexp,
    scaled_dot_product_attention,
    tiled_attention,
    tiled_attention_steps,
)
from softmax_lab.sampling import sample, sampling_distribution

FAST = settings(max_examples=examples(60), deadline=None)
SLOW = settings(max_examples=examples(40), deadline=None)   # for the finite-difference checks

SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)
GRAD_SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def finite(lo, hi, width=64):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=width)


def logit_arrays(lo=-50.0, hi=50.0, shapes=SHAPES, dtype=np.float64, width=64):
    return hnp.arrays(dtype, shapes, elements=finite(lo, hi, width))


@st.composite
def logits_and_axis(draw, lo=-50.0, hi=50.0, shapes=SHAPES, min_classes=1):
    z = draw(logit_arrays(lo, hi, shapes))
    axis = draw(st.integers(-z.ndim, z.ndim - 1))
    assume(z.shape[axis] >= min_classes)
    return z, axis


@st.composite
def index_targets(draw, lo=-3.0, hi=3.0, min_classes=2):
    """(logits, integer targets of the logits' shape without the class axis, axis)."""
    z, axis = draw(logits_and_axis(lo, hi, GRAD_SHAPES, min_classes))
    K = z.shape[axis]
    shape = z.shape[:axis % z.ndim] + z.shape[axis % z.ndim + 1:]
    t = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, K - 1)))
    return z, t, axis


@st.composite
def distributions(draw, shapes=SHAPES, with_zeros=True):
    """Probability rows along the last axis, built by normalising non-negative weights."""
    lo = 0.0 if with_zeros else 0.05
    w = draw(hnp.arrays(np.float64, shapes, elements=finite(lo, 1.0)))
    sums = w.sum(axis=-1, keepdims=True)
    assume((sums > 0.05).all())
    return w / sums


SCALAR_T = finite(0.5, 4.0)


def grad_error(f, x, grad):
    """gradient_check of f + c.x against grad + c, with a small fixed tilt c.

    Where the true gradient is exactly 0 (prediction = target), gradient_check's relative error
    compares rounding noise with rounding noise and means nothing. The tilt keeps the scale away
    from 0 without hiding a wrong gradient: any error larger than ~1e-8 still shows.
    """
    c = 1e-3 * np.linspace(1.0, 2.0, np.size(x)).reshape(np.shape(x))
    return gradient_check(lambda v: f(v) + float(np.sum(c * v)), x, np.asarray(grad, dtype=np.float64) + c)
DTYPES = st.sampled_from([np.float16, np.float32, np.float64])


# --------------------------------------------------------------------------------------------
# softmax, log_softmax, logsumexp
# --------------------------------------------------------------------------------------------

@FAST
@given(logits_and_axis(-1e300, 1e300))
def test_probabilities_sum_to_one(za):
    z, axis = za
    p = softmax(z, axis=axis)
    assert p.shape == z.shape
    assert ((p >= 0) & (p <= 1)).all()
    np.testing.assert_allclose(p.sum(axis=axis), 1.0, rtol=1e-12)


@FAST
@given(logits_and_axis(), finite(-1e3, 1e3))
def test_shifting_all_logits_changes_nothing(za, c):
    z, axis = za
    np.testing.assert_allclose(softmax(z + c, axis=axis), softmax(z, axis=axis), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(log_softmax(z + c, axis=axis), log_softmax(z, axis=axis), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(logsumexp(z + c, axis=axis), logsumexp(z, axis=axis) + c, rtol=1e-12, atol=1e-9)


@FAST
@given(hnp.arrays(np.float64, st.integers(2, 8), elements=finite(-50.0, 50.0)))
def test_zero_temperature_limit_is_the_argmax_one_hot(z):
    top = np.sort(z)[-2:]
    gap = top[1] - top[0]
    assume(gap > 1e-3)                                     # a unique maximum
    one_hot = (np.arange(z.size) == np.argmax(z)).astype(float)
    np.testing.assert_allclose(softmax(z, temperature=gap / 50), one_hot, atol=1e-20)  # e^-50
    np.testing.assert_array_equal(softmax(z, temperature=1e-300), one_hot)


@FAST
@given(logits_and_axis(), finite(1e10, 1e300))
def test_infinite_temperature_limit_is_uniform(za, T):
    z, axis = za
    K = z.shape[axis]
    np.testing.assert_allclose(softmax(z, axis=axis, temperature=T), 1.0 / K, rtol=1e-8)


@FAST
@given(logits_and_axis(-20.0, 20.0), finite(0.05, 20.0))
def test_temperature_divides_the_logits(za, T):
    z, axis = za
    np.testing.assert_allclose(softmax(z, axis=axis, temperature=T), softmax(z / T, axis=axis),
                               rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(log_softmax(z, axis=axis, temperature=T), log_softmax(z / T, axis=axis),
                               rtol=1e-9, atol=1e-9)


@FAST
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=5).map(lambda s: s + (2,)),
                  elements=finite(-100.0, 100.0)))
def test_two_class_softmax_is_sigmoid_of_the_difference(z):
    np.testing.assert_allclose(softmax(z)[..., 1], sigmoid(z[..., 1] - z[..., 0]), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(log_softmax(z)[..., 1], log_sigmoid(z[..., 1] - z[..., 0]), rtol=1e-12, atol=1e-12)


@FAST
@given(logits_and_axis(-800.0, 800.0))
def test_log_softmax_is_log_of_softmax_where_that_is_finite(za):
    z, axis = za
    p = softmax(z, axis=axis)
    logp = log_softmax(z, axis=axis)
    ok = p > 1e-300                                        # log(softmax) is finite and accurate here
    np.testing.assert_allclose(logp[ok], np.log(p[ok]), rtol=1e-10, atol=1e-12)
    assert (logp <= 0).all() and np.isfinite(logp).all()   # finite even where p underflows to 0
    np.testing.assert_allclose(logsumexp(logp, axis=axis), 0.0, atol=1e-12)


@FAST
@given(logits_and_axis(-1e300, 1e300))
def test_logsumexp_is_a_smooth_maximum(za):
    z, axis = za
    lse = logsumexp(z, axis=axis)
    m = z.max(axis=axis)
    assert (lse >= m).all()
    assert (lse <= m + np.log(z.shape[axis]) + 1e-9 * np.abs(m)).all()


@FAST
@given(logits_and_axis(-20.0, 20.0))
def test_softmax_preserves_the_order_of_the_logits(za):
    z, axis = za
    zm, pm = np.moveaxis(z, axis, -1), np.moveaxis(softmax(z, axis=axis), axis, -1)
    i, j = np.broadcast_arrays(zm[..., :, None], zm[..., None, :])
    pi, pj = np.broadcast_arrays(pm[..., :, None], pm[..., None, :])
    assert (pi[i > j] >= pj[i > j]).all()
    assert (pi[i == j] == pj[i == j]).all()


# --------------------------------------------------------------------------------------------
# Gradients against finite differences
# --------------------------------------------------------------------------------------------

@SLOW
@given(logits_and_axis(-5.0, 5.0, GRAD_SHAPES))
def test_gradient_of_logsumexp_is_softmax(za):
    z, axis = za
    err = gradient_check(lambda x: float(np.sum(logsumexp(x, axis=axis))), z, softmax(z, axis=axis))
    assert err < 1e-6


@SLOW
@given(hnp.arrays(np.float64, GRAD_SHAPES, elements=finite(-10.0, 10.0)))
def test_derivatives_of_sigmoid_and_log_sigmoid(x):
    # (bounded so that sigma'(x) >= 4.5e-5 stays clear of the finite differences' rounding)
    s = sigmoid(x)
    assert grad_error(lambda v: float(np.sum(log_sigmoid(v))), x, sigmoid(-x)) < 1e-5
    assert grad_error(lambda v: float(np.sum(sigmoid(v))), x, s * (1 - s)) < 1e-5


@SLOW
@given(index_targets(), st.sampled_from(["mean", "sum"]))
def test_cross_entropy_grad_with_index_targets(zta, reduction):
    z, t, axis = zta
    g = cross_entropy_grad(z, t, axis=axis, reduction=reduction)
    assert g.shape == z.shape
    assert grad_error(lambda x: cross_entropy(x, t, axis=axis, reduction=reduction), z, g) < 1e-5


@SLOW
@given(index_targets(), SCALAR_T, finite(0.0, 1.0), st.sampled_from(["mean", "sum"]))
def test_cross_entropy_grad_with_temperature_and_label_smoothing(zta, T, eps, reduction):
    z, t, axis = zta
    kw = dict(axis=axis, temperature=T, label_smoothing=eps, reduction=reduction)
    g = cross_entropy_grad(z, t, **kw)
    assert grad_error(lambda x: cross_entropy(x, t, **kw), z, g) < 1e-5


@SLOW
@given(st.data(), SCALAR_T, finite(0.0, 1.0))
def test_cross_entropy_grad_with_probability_targets(data, T, eps):
    z = data.draw(logit_arrays(-3.0, 3.0, GRAD_SHAPES))
    assume(z.shape[-1] >= 2)
    y = data.draw(distributions(st.just(z.shape)))
    kw = dict(temperature=T, label_smoothing=eps)
    g = cross_entropy_grad(z, y, **kw)
    assert grad_error(lambda x: cross_entropy(x, y, **kw), z, g) < 1e-5


@SLOW
@given(st.data(), st.sampled_from(["mean", "sum"]))
def test_binary_cross_entropy_grad(data, reduction):
    z = data.draw(logit_arrays(-10.0, 10.0, GRAD_SHAPES))
    y = data.draw(hnp.arrays(np.float64, z.shape, elements=finite(0.0, 1.0)))
    g = binary_cross_entropy_grad(z, y, reduction=reduction)
    assert grad_error(lambda x: binary_cross_entropy(x, y, reduction=reduction), z, g) < 1e-5


@FAST
@given(index_targets(-20.0, 20.0), finite(0.0, 1.0), SCALAR_T)
def test_cross_entropy_gradient_rows_sum_to_zero(zta, eps, T):
    # The loss ignores a common shift of each row's logits, so each row of the gradient sums to 0.
    z, t, axis = zta
    g = cross_entropy_grad(z, t, axis=axis, temperature=T, label_smoothing=eps, reduction="sum")
    np.testing.assert_allclose(g.sum(axis=axis), 0.0, atol=1e-12 / T)


# --------------------------------------------------------------------------------------------
# The softmax Jacobian
# --------------------------------------------------------------------------------------------

@FAST
@given(logits_and_axis(-30.0, 30.0))
def test_jacobian_rows_sum_to_zero_and_it_is_symmetric(za):
    z, axis = za
    J = softmax_jacobian(z, axis=axis)
    K = z.shape[axis]
    assert J.shape[-2:] == (K, K)
    np.testing.assert_allclose(J.sum(axis=-1), 0.0, atol=1e-15)
    np.testing.assert_array_equal(J, np.swapaxes(J, -1, -2))
    assert (np.diagonal(J, axis1=-2, axis2=-1) >= 0).all()


@SLOW
@given(hnp.arrays(np.float64, st.integers(1, 6), elements=finite(-5.0, 5.0)))
def test_jacobian_matches_finite_differences_of_softmax(z):
    J = softmax_jacobian(z)
    for i in range(z.size):                       # row i is the gradient of p_i
        assert grad_error(lambda x: float(softmax(x)[i]), z, J[i]) < 1e-5


# --------------------------------------------------------------------------------------------
# Entropy, KL divergence and cross-entropy
# --------------------------------------------------------------------------------------------

@FAST
@given(distributions())
def test_entropy_is_between_zero_and_log_k(p):
    h = entropy(p)
    K = p.shape[-1]
    assert (h >= 0).all()
    assert (h <= np.log(K) + 1e-12).all()


@FAST
@given(logits_and_axis(-20.0, 20.0))
def test_entropy_of_uniform_is_log_k_and_of_one_hot_is_zero(za):
    z, axis = za
    K = z.shape[axis]
    np.testing.assert_allclose(entropy(softmax(np.zeros_like(z), axis=axis), axis=axis), np.log(K), rtol=1e-14)
    # T = 1e-300 gives the one-hot of the argmax when the maximum is clear by more than ~1e-290
    one_hot = softmax(z, axis=axis, temperature=1e-300)
    top2 = np.sort(np.moveaxis(z, axis, -1), axis=-1)[..., -2:]
    clear = top2[..., -1] - top2[..., 0] > 1e-250 if K > 1 else np.ones(top2.shape[:-1], bool)
    assert (entropy(one_hot, axis=axis)[clear] == 0).all()


@FAST
@given(st.data())
def test_kl_is_non_negative_and_zero_on_itself(data):
    p = data.draw(distributions())
    q = data.draw(distributions(st.just(p.shape)))
    kl = kl_divergence(p, q)
    assert (kl >= 0).all()
    np.testing.assert_allclose(kl_divergence(p, p), 0.0, atol=1e-15)


@FAST
@given(st.data())
def test_cross_entropy_is_entropy_plus_kl(data):
    z = data.draw(logit_arrays(-20.0, 20.0))
    y = data.draw(distributions(st.just(z.shape)))
    p = softmax(z)
    expected = entropy(y) + kl_divergence(y, p)
    np.testing.assert_allclose(cross_entropy(z, y, reduction="none"), expected, rtol=1e-9, atol=1e-12)


@FAST
@given(index_targets(-20.0, 20.0))
def test_cross_entropy_is_minus_log_softmax_at_the_target(zta):
    z, t, axis = zta
    logp = np.moveaxis(log_softmax(z, axis=axis), axis, -1)
    per = -np.take_along_axis(logp, np.asarray(t)[..., None], axis=-1)[..., 0]
    np.testing.assert_allclose(cross_entropy(z, t, axis=axis, reduction="none"), per, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cross_entropy(z, t, axis=axis, reduction="sum"), per.sum(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(cross_entropy(z, t, axis=axis), per.mean(), rtol=1e-12, atol=1e-14)


@FAST
@given(st.data())
def test_binary_cross_entropy_is_two_class_cross_entropy(data):
    z = data.draw(logit_arrays(-30.0, 30.0))
    y = data.draw(hnp.arrays(np.int64, z.shape, elements=st.integers(0, 1)))
    two_class = np.stack([np.zeros_like(z), z], axis=-1)      # sigmoid(z) = softmax([0, z])[1]
    np.testing.assert_allclose(binary_cross_entropy(z, y, reduction="none"),
                               cross_entropy(two_class, y, reduction="none"), rtol=1e-10, atol=1e-13)


# --------------------------------------------------------------------------------------------
# dtypes, extreme values and masks
# --------------------------------------------------------------------------------------------

@st.composite
def any_finite_logits(draw):
    """Logits of a random float dtype with ANY finite value, up to +-finfo.max."""
    dtype = draw(DTYPES)
    width = np.finfo(dtype).bits
    z = draw(hnp.arrays(dtype, SHAPES, elements=st.floats(allow_nan=False, allow_infinity=False, width=width)))
    return z, dtype


@FAST
@given(any_finite_logits())
def test_dtype_preserved_and_no_nan_for_any_finite_input(zd):
    z, dtype = zd
    eps = float(np.finfo(dtype).eps)
    p = softmax(z)
    assert p.dtype == dtype and np.isfinite(p).all()
    np.testing.assert_allclose(p.astype(np.float64).sum(axis=-1), 1.0, atol=z.shape[-1] * eps)
    for out in (log_softmax(z), logsumexp(z), log_sigmoid(z)):
        assert out.dtype == dtype and not np.isnan(out).any()
    assert (log_softmax(z) <= 0).all()
    s = sigmoid(z)
    assert s.dtype == dtype and ((s >= 0) & (s <= 1)).all()
    t = np.zeros(z.shape[:-1], dtype=int)
    loss = cross_entropy(z, t, reduction="none")
    assert loss.dtype == dtype and not np.isnan(loss).any() and (loss >= 0).all()
    g = cross_entropy_grad(z, t)
    assert g.dtype == dtype and np.isfinite(g).all()


@FAST
@given(st.data())
def test_masks_give_exactly_zero(data):
    z = data.draw(logit_arrays(-50.0, 50.0))
    mask = data.draw(hnp.arrays(np.bool_, z.shape))
    mask[mask.all(axis=-1), 0] = False                        # at least one live entry per row
    zm = np.where(mask, -np.inf, z)
    p = softmax(zm)
    assert (p[mask] == 0).all()
    assert (log_softmax(zm)[mask] == -np.inf).all()
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)
    # the live entries get what a softmax over the live entries alone would give them
    row = np.unravel_index(0, z.shape[:-1]) if z.ndim > 1 else ()
    live = ~mask[row]
    np.testing.assert_allclose(p[row][live], softmax(z[row][live]), rtol=1e-12)
    # a target on a live class: finite loss, zero gradient on every masked class
    t = np.argmin(mask, axis=-1)                              # the first live class of each row
    assert np.isfinite(cross_entropy(zm, t))
    assert (cross_entropy_grad(zm, t)[mask] == 0).all()
    assert (softmax_jacobian(zm)[mask] == 0).all()


# --------------------------------------------------------------------------------------------
# The supported range (the "Supported range" sections of functions.py, losses.py, sampling.py
# and attention.py): inputs drawn inside it give finite, correctly typed results without a
# warning; inputs outside it are refused with an error whose message starts with the argument.
# --------------------------------------------------------------------------------------------

ANY_T = st.floats(1e-300, 1e300)                       # every temperature the docs promise


def no_warning(call):
    """Run ``call`` with every warning an error (the range promises none)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return call()


def spoil(draw, z, value):
    """``z`` (as float) with ``value`` written at one drawn position."""
    z = np.array(z, dtype=np.float64)
    z.flat[draw(st.integers(0, z.size - 1))] = value
    return z


@FAST
@given(any_finite_logits(), ANY_T, st.booleans())
def test_range_softmax_family_inside(zd, T, masked):
    z, dtype = zd
    if masked and z.shape[-1] > 1:
        z = z.copy()
        z[..., 0] = -np.inf                                  # a mask in every row, one live entry left
    p = no_warning(lambda: softmax(z, temperature=T))
    assert p.dtype == dtype and np.isfinite(p).all() and ((p >= 0) & (p <= 1)).all()
    np.testing.assert_allclose(p.astype(np.float64).sum(axis=-1), 1.0, atol=z.shape[-1] * float(np.finfo(dtype).eps))
    if masked and z.shape[-1] > 1:
        assert (p[..., 0] == 0).all()
    lp = no_warning(lambda: log_softmax(z, temperature=T))
    assert lp.dtype == dtype and not np.isnan(lp).any() and (lp <= 0).all()
    for out in no_warning(lambda: (logsumexp(z), sigmoid(z), log_sigmoid(z))):
        assert out.dtype == dtype and not np.isnan(out).any()


BAD_LOGITS = st.sampled_from([np.nan, np.inf])
BAD_T = st.sampled_from([0.0, -1.0, -1e-300, np.inf, -np.inf, np.nan])


@FAST
@given(st.data(), logit_arrays(shapes=SHAPES), BAD_LOGITS, BAD_T)
def test_range_softmax_family_outside(data, z, bad, T):
    spoiled = spoil(data.draw, z, bad)
    for f in (softmax, log_softmax, logsumexp):
        with pytest.raises(ValueError, match=r"^logits "):
            f(spoiled)
    for f in (sigmoid, log_sigmoid):
        with pytest.raises(ValueError, match=r"^x "):
            f(spoiled)
    for f in (softmax, log_softmax):
        with pytest.raises(ValueError, match=r"^temperature "):
            f(z, temperature=T)
    p = softmax(z)
    with pytest.raises(ValueError, match=r"^probs "):
        entropy(spoil(data.draw, p, data.draw(st.sampled_from([-0.5, np.nan, 2.0]))))
    with pytest.raises(ValueError, match=r"^q "):
        kl_divergence(p, spoil(data.draw, p, -0.5))


@FAST
@given(st.data(), any_finite_logits(), ANY_T, finite(0.0, 1.0), st.sampled_from(["mean", "sum", "none"]))
def test_range_cross_entropy_inside(data, zd, T, eps, reduction):
    z, dtype = zd
    K = z.shape[-1]
    t = data.draw(hnp.arrays(np.int64, z.shape[:-1], elements=st.integers(0, K - 1)))
    kw = dict(temperature=T, label_smoothing=eps, reduction=reduction)
    loss = no_warning(lambda: cross_entropy(z, t, **kw))
    assert loss.dtype == dtype and not np.isnan(loss).any() and (loss >= 0).all()   # inf allowed: too large
    g = no_warning(lambda: cross_entropy_grad(z, t, **kw))
    assert g.dtype == dtype and not np.isnan(g).any()


def test_label_smoothing_in_float16_at_a_tiny_temperature_is_inf_not_nan():
    # hypothesis found it: eps / K rounded to 0 in float16 times a row sum of -inf gave 0 * inf
    z = np.float16([0.0, 1.0])
    loss = no_warning(lambda: cross_entropy(z, 0, temperature=1e-300, label_smoothing=1e-300))
    assert loss.dtype == np.float16 and np.isinf(loss)


@FAST
@given(st.data(), logit_arrays(shapes=SHAPES), BAD_LOGITS)
def test_range_cross_entropy_outside(data, z, bad):
    K = z.shape[-1]
    t = np.zeros(z.shape[:-1], dtype=int)
    for f in (cross_entropy, cross_entropy_grad):
        with pytest.raises(ValueError, match=r"^logits "):
            f(spoil(data.draw, z, bad), t)
        with pytest.raises(ValueError, match=r"^targets "):
            f(z, spoil(data.draw, t, data.draw(st.sampled_from([-1, K, K + 7]))).astype(int))
        with pytest.raises(ValueError, match=r"^label_smoothing "):
            f(z, t, label_smoothing=data.draw(st.sampled_from([-0.1, 1.5, np.nan])))
        with pytest.raises(ValueError, match=r"^temperature "):
            f(z, t, temperature=data.draw(BAD_T))


@FAST
@given(st.data(), any_finite_logits())
def test_range_sampling_inside(data, zd):
    z, dtype = zd
    kw = dict(temperature=data.draw(st.one_of(st.just(0.0), ANY_T)),
              top_k=data.draw(st.one_of(st.none(), st.integers(1, 10))),
              top_p=data.draw(st.one_of(st.none(), st.floats(1e-9, 1.0, exclude_min=True))),
              min_p=data.draw(st.one_of(st.none(), finite(0.0, 1.0))))
    probs = no_warning(lambda: sampling_distribution(z, **kw))
    assert probs.dtype == dtype and np.isfinite(probs).all()
    atol = z.shape[-1] * float(np.finfo(dtype).eps)
    np.testing.assert_allclose(probs.astype(np.float64).sum(axis=-1), 1.0, atol=atol)
    index = no_warning(lambda: sample(z, rng=0, **kw))
    assert np.all(np.take_along_axis(probs, np.reshape(index, z.shape[:-1] + (1,)), axis=-1) > 0)


@FAST
@given(st.data(), logit_arrays(shapes=SHAPES))
def test_range_sampling_outside(data, z):
    bad = data.draw(st.sampled_from([
        ({"temperature": -1.0}, "temperature"), ({"temperature": np.inf}, "temperature"),
        ({"top_k": 0}, "top_k"), ({"top_k": -3}, "top_k"),
        ({"top_p": 0.0}, "top_p"), ({"top_p": 1.5}, "top_p"), ({"top_p": np.nan}, "top_p"),
        ({"min_p": -0.1}, "min_p"), ({"min_p": 1.01}, "min_p"),
    ]))
    kwargs, name = bad
    for f in (sampling_distribution, lambda z, **kw: sample(z, rng=0, **kw)):
        with pytest.raises(ValueError, match=rf"^{name} "):
            f(z, **kwargs)
        with pytest.raises(ValueError, match=r"^logits "):
            f(spoil(data.draw, z, data.draw(BAD_LOGITS)))


@st.composite
def attention_arrays(draw):
    """q, k, v of one float dtype with small shapes; elements moderate or anywhere up to finfo.max."""
    dtype = draw(DTYPES)
    width = np.finfo(dtype).bits
    n_q, n_k, d, d_v = (draw(st.integers(1, 4)) for _ in range(4))
    elements = [st.floats(-100, 100, width=width),
                st.floats(allow_nan=False, allow_infinity=False, width=width)]

    def array(shape):
        return draw(hnp.arrays(dtype, shape, elements=draw(st.sampled_from(elements))))

    scale = draw(st.one_of(st.none(), st.floats(1e-300, 1e300)))
    return array((n_q, d)), array((n_k, d)), array((n_k, d_v)), scale


def in_attention_range(q, k, v, scale):
    """The supported range as attention.py's module docstring states it."""
    work = np.float32 if q.dtype == np.float16 else q.dtype
    largest = float(np.finfo(work).max)
    d = q.shape[-1]
    scale = 1 / np.sqrt(d) if scale is None else scale
    top = [float(np.max(np.abs(a.astype(np.float64)))) for a in (q, k, v)]
    return top[0] * top[1] * d * scale <= largest / 2 and top[2] * k.shape[0] < largest


@FAST
@given(attention_arrays(), st.integers(1, 4), st.booleans())
def test_range_attention(qkvs, block_size, causal):
    q, k, v, scale = qkvs
    causal = causal and q.shape[0] <= k.shape[0]
    mask = causal_mask(q.shape[0], k.shape[0]) if causal else None
    calls = [lambda: scaled_dot_product_attention(q, k, v, mask=mask, scale=scale),
             lambda: tiled_attention(q, k, v, block_size=block_size, causal=causal, scale=scale),
             lambda: list(tiled_attention_steps(q, k, v, block_size=block_size, causal=causal, scale=scale))]
    if not in_attention_range(q, k, v, scale):
        for call in calls:
            with pytest.raises(ValueError, match=r"^(q, k and scale|v) "):
                call()
        return
    out, w = no_warning(calls[0])                              # issue 17: no RuntimeWarning inside the range
    tiled = no_warning(calls[1])
    steps = no_warning(calls[2])
    assert out.dtype == w.dtype == tiled.dtype == q.dtype
    assert np.isfinite(out).all() and np.isfinite(w).all() and np.isfinite(tiled).all()
    np.testing.assert_allclose(w.astype(np.float64).sum(axis=-1), 1.0, atol=4 * float(np.finfo(q.dtype).eps))
    assert np.array_equal(steps[-1].output, tiled)
    h = no_warning(lambda: attention_entropy(w, base=2))
    assert np.isfinite(h).all() and (h >= 0).all()


@FAST
@given(any_finite_logits(), st.integers(1, 6), finite(1e-300, 1e300))
# issue 17: a row spanning more than the float range warned "overflow in subtract", and a
# float16 entropy in a base near 1 warned "overflow in cast"
@example((np.array([1.7e308, -1.7e308, 0.0]), np.float64), 1, 2.0)
@example((np.array([-3e38, 3e38], dtype=np.float32), np.float32), 2, 2.0)
@example((np.array([0.0, 1.0], dtype=np.float16), np.float16), 1, 1 + 1e-15)
def test_range_online_logsumexp_and_entropy_base(zd, block_size, base):
    z, dtype = zd
    lse = no_warning(lambda: online_logsumexp(z, block_size=block_size))
    assert lse.dtype == dtype and not np.isnan(lse).any()
    np.testing.assert_allclose(lse.astype(np.float64), logsumexp(z).astype(np.float64),
                               rtol=8 * float(np.finfo(dtype).eps) * np.log(z.shape[-1] + 1) + 1e-300)
    assume(base != 1.0)
    h = no_warning(lambda: attention_entropy(softmax(z), base=base))
    assert h.dtype == dtype and not np.isnan(h).any()
