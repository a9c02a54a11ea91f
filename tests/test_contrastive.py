"""Tests for softmax_lab.contrastive: CLIP's symmetric InfoNCE loss and its gradients.

References: a plain-Python loop (dot products by hand, log-sum-exp with math.fsum), scipy's
log_softmax along rows and along columns, and finite differences for both gradients.
"""

import math

import numpy as np
import pytest

from softmax_lab import gradient_check
from softmax_lab.contrastive import info_nce

FLOATS = [np.float16, np.float32, np.float64]


def python_info_nce(a, b, T):
    a, b = np.asarray(a, float).tolist(), np.asarray(b, float).tolist()
    N = len(a)
    S = [[math.fsum(x * y for x, y in zip(a[i], b[j])) / T for j in range(N)] for i in range(N)]

    def lse(values):
        top = max(values)
        return top + math.log(math.fsum(math.exp(v - top) for v in values))

    rows = [lse(S[i]) - S[i][i] for i in range(N)]                              # a_i picks b_i
    columns = [lse([S[j][i] for j in range(N)]) - S[i][i] for i in range(N)]   # b_i picks a_i
    return (math.fsum(rows) + math.fsum(columns)) / (2 * N)


@pytest.fixture
def pairs():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(5, 4))
    return a, a + 0.5 * rng.normal(size=(5, 4))            # b: noisy views of a


@pytest.mark.parametrize("T", [0.07, 0.5, 1.0, 5.0])
def test_loss_matches_a_plain_python_loop(pairs, T):
    loss, _, _ = info_nce(*pairs, T)
    assert float(loss) == pytest.approx(python_info_nce(*pairs, T), rel=1e-12)


def test_loss_matches_scipy_rows_and_columns(pairs):
    from scipy.special import log_softmax
    a, b = pairs
    S = a @ b.T / 0.3
    expected = -(np.trace(log_softmax(S, axis=1)) + np.trace(log_softmax(S, axis=0))) / (2 * len(a))
    assert float(info_nce(a, b, 0.3)[0]) == pytest.approx(expected, rel=1e-12)


def test_the_loss_is_symmetric_in_a_and_b(pairs):
    a, b = pairs
    loss_ab, grad_a, grad_b = info_nce(a, b, 0.2)
    loss_ba, grad_b2, grad_a2 = info_nce(b, a, 0.2)
    assert float(loss_ab) == pytest.approx(float(loss_ba), rel=1e-13)
    np.testing.assert_allclose(grad_a, grad_a2, rtol=1e-12)
    np.testing.assert_allclose(grad_b, grad_b2, rtol=1e-12)


@pytest.mark.parametrize("T", [0.1, 1.0])
def test_gradients_match_finite_differences(pairs, T):
    a, b = pairs
    _, grad_a, grad_b = info_nce(a, b, T)
    assert gradient_check(lambda x: info_nce(x, b, T)[0], a, grad_a) < 1e-6
    assert gradient_check(lambda x: info_nce(a, x, T)[0], b, grad_b) < 1e-6


def test_special_cases():
    assert float(info_nce(np.zeros((4, 3)), np.ones((4, 3)), 1.0)[0]) == pytest.approx(math.log(4), rel=1e-15)
    loss, grad_a, grad_b = info_nce([[1.0, 2.0]], [[3.0, -1.0]], 0.5)   # one pair: nothing to tell apart
    assert float(loss) == 0.0 and not grad_a.any() and not grad_b.any()
    loss, _, _ = info_nce(np.eye(3) * 10, np.eye(3) * 10, 0.01)          # logits up to 1e4: confident
    assert float(loss) == 0.0


def test_rows_are_used_as_given(pairs):
    # No normalisation inside: scaling a changes the loss (CLIP normalises first; we do not).
    a, b = pairs
    assert float(info_nce(2 * a, b, 1.0)[0]) != pytest.approx(float(info_nce(a, b, 1.0)[0]), rel=1e-3)
    assert float(info_nce(2 * a, b, 2.0)[0]) == pytest.approx(float(info_nce(a, b, 1.0)[0]), rel=1e-13)


def test_a_better_alignment_gives_a_lower_loss(pairs):
    a, _ = pairs
    noise = np.random.default_rng(0).normal(size=a.shape)
    losses = [float(info_nce(a, a + s * noise, 0.5)[0]) for s in (0.0, 0.5, 2.0)]
    assert losses[0] < losses[1] < losses[2]


@pytest.mark.parametrize("dtype", FLOATS)
def test_dtype_is_kept(pairs, dtype):
    a, b = (x.astype(dtype) for x in pairs)
    loss, grad_a, grad_b = info_nce(a, b, 0.5)
    assert loss.dtype == dtype and grad_a.dtype == dtype and grad_b.dtype == dtype
    rtol = {np.float16: 5e-3, np.float32: 1e-5, np.float64: 1e-12}[dtype]
    assert float(loss) == pytest.approx(python_info_nce(a.astype(float), b.astype(float), 0.5), rel=rtol)


def test_mixed_dtypes_and_lists():
    loss, grad_a, grad_b = info_nce([[1, 0], [0, 1]], np.eye(2, dtype=np.float32), 1)
    assert loss.dtype == np.float64 and grad_b.dtype == np.float64


def test_a_stack_of_batches_gives_each_batch_its_own_loss():
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=(3, 5, 4)), rng.normal(size=(3, 5, 4))
    loss, grad_a, grad_b = info_nce(a, b, 0.4)
    assert loss.shape == (3,) and grad_a.shape == grad_b.shape == (3, 5, 4)
    for e in range(3):
        alone, alone_a, alone_b = info_nce(a[e], b[e], 0.4)
        assert loss[e] == pytest.approx(float(alone), rel=1e-14)     # a mean summed in another order
        np.testing.assert_array_equal(grad_a[e], alone_a)
        np.testing.assert_array_equal(grad_b[e], alone_b)


def test_inputs_are_not_modified(pairs):
    a, b = (x.copy() for x in pairs)
    a.setflags(write=False)
    b.setflags(write=False)
    info_nce(a, b, 0.1)
    np.testing.assert_array_equal(a, pairs[0])
    np.testing.assert_array_equal(b, pairs[1])


# --------------------------------------------------------------------------------------------
# hostile input
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("a, b, name", [
    (np.zeros((3, 2)), np.zeros((3, 4)), "same shape"),
    (np.zeros((3, 2)), np.zeros((2, 2)), "same shape"),
    (np.zeros(3), np.zeros(3), "a"),
    (np.zeros((2, 2)), np.zeros((2, 2, 1)), "b"),
    ([[np.nan, 1.0]], [[1.0, 1.0]], "a"),
    ([[1.0, 1.0]], [[np.inf, 1.0]], "b"),
    ([[1.0, 1.0]], [[-np.inf, 1.0]], "b"),
    (np.zeros((0, 2)), np.zeros((0, 2)), "at least one"),
    (np.zeros((2, 0)), np.zeros((2, 0)), "at least one"),
    ([["x"]], [[1.0]], "a"),
    ([[1.0]], [[True]], "b"),
])
def test_bad_embeddings_are_refused_by_name(a, b, name):
    with pytest.raises((ValueError, TypeError), match=name):
        info_nce(a, b, 1.0)


@pytest.mark.parametrize("temperature, error", [(0.0, ValueError), (-0.1, ValueError), (np.nan, ValueError),
                                                (np.inf, ValueError), ("1", TypeError), (False, TypeError)])
def test_bad_temperatures_are_refused(pairs, temperature, error):
    with pytest.raises(error, match="temperature"):
        info_nce(*pairs, temperature)


def test_logits_that_overflow_are_refused_without_a_warning():
    with pytest.raises(ValueError, match="overflow"):
        info_nce([[1e200, 0.0]], [[1e200, 0.0]], 1.0)
    with pytest.raises(ValueError, match="temperature"):
        info_nce([[1e200, 0.0]], [[1e100, 0.0]], 1e-100)
    with pytest.raises(ValueError, match="overflow"):
        info_nce(np.full((2, 2), 1e20, np.float32), np.full((2, 2), 1e20, np.float32), 1.0)
    # float16 is computed in float32: logits of 1.8e8 are fine there
    loss, grad_a, _ = info_nce(np.full((2, 2), 300, np.float16), np.full((2, 2), 300, np.float16), 1e-3)
    assert float(loss) == pytest.approx(math.log(2), rel=1e-3) and np.isfinite(grad_a).all()
