"""Tests for softmax_lab.routing: top-k gating, the load-balancing loss and the router z-loss.

References: hand-computed cases, plain-Python loops (sorted() for the top k, math.exp for the
softmax, counting for the load), scipy.special.logsumexp, and finite differences.
"""

import math

import numpy as np
import pytest

from softmax_lab import gradient_check
from softmax_lab.routing import (
    load_balancing_loss,
    load_balancing_loss_grad,
    router_loss_grad,
    router_z_loss,
    router_z_loss_grad,
    top_k_gating,
)

FLOATS = [np.float16, np.float32, np.float64]


def python_gating(row, k, renormalize):
    """Dense weights and the chosen experts of one token, by loops."""
    chosen = sorted(range(len(row)), key=lambda e: (-row[e], e))[:k]        # largest first, ties: lower
    pool = chosen if renormalize else [e for e in range(len(row)) if row[e] != -math.inf]
    top = max(row[e] for e in pool)
    total = math.fsum(math.exp(row[e] - top) for e in pool)
    weights = [0.0] * len(row)
    for e in chosen:
        weights[e] = math.exp(row[e] - top) / total
    return weights, chosen


def python_balance(rows, k):
    """E * sum_e f_e P_e with f counted over the N k slots and P the mean full softmax."""
    E = len(rows[0])
    load = [0] * E
    mean_p = [0.0] * E
    for row in rows:
        for e in python_gating(row, k, True)[1]:
            load[e] += 1
        probs = python_gating(row, E, True)[0]                 # k = E renormalised: the full softmax
        for e in range(E):
            mean_p[e] += probs[e] / len(rows)
    return E * math.fsum(load[e] / (len(rows) * k) * mean_p[e] for e in range(E))


@pytest.fixture
def router():
    return np.random.default_rng(11).normal(scale=1.5, size=(7, 6))


# --------------------------------------------------------------------------------------------
# top_k_gating
# --------------------------------------------------------------------------------------------

def test_gating_by_hand():
    z = [1.0, 3.0, 2.0, 0.0]
    w, idx = top_k_gating(z, 2)
    assert idx.tolist() == [1, 2]
    s = 1 / (1 + math.exp(-1))                                  # softmax([3, 2])
    np.testing.assert_allclose(w, [0, s, 1 - s, 0], rtol=1e-15)
    w, idx = top_k_gating(z, 2, renormalize=False)
    total = sum(math.exp(v) for v in z)
    np.testing.assert_allclose(w, [0, math.exp(3) / total, math.exp(2) / total, 0], rtol=1e-15)
    w, idx = top_k_gating(z, 1)                                 # top-1 renormalised: weight 1
    assert idx.tolist() == [1] and w.tolist() == [0, 1, 0, 0]


@pytest.mark.parametrize("renormalize", [True, False])
@pytest.mark.parametrize("k", [1, 2, 3, 6])
def test_gating_matches_loops(router, k, renormalize):
    w, idx = top_k_gating(router, k, renormalize=renormalize)
    assert w.shape == router.shape and idx.shape == (7, k) and idx.dtype == np.int64
    for n, row in enumerate(router.tolist()):
        ref_w, ref_idx = python_gating(row, k, renormalize)
        assert idx[n].tolist() == ref_idx
        np.testing.assert_allclose(w[n], ref_w, rtol=1e-14, atol=1e-300)
        assert np.all(np.diff(w[n, idx[n]]) <= 0)                # descending weight order
    sums = w.sum(axis=1)
    if renormalize:
        np.testing.assert_allclose(sums, 1.0, rtol=1e-14)
    else:
        assert np.all(sums <= 1 + 1e-14)


def test_k_equal_to_e_renormalised_is_the_full_softmax(router):
    from scipy.special import softmax
    w, _ = top_k_gating(router, router.shape[1])
    np.testing.assert_allclose(w, softmax(router, axis=-1), rtol=1e-14)


def test_ties_go_to_the_lower_index_and_shapes_follow_the_input():
    w, idx = top_k_gating([1.0, 1.0, 0.0, 1.0], 2)
    assert idx.tolist() == [0, 1] and w.tolist() == [0.5, 0.5, 0.0, 0.0]
    w, idx = top_k_gating(np.zeros((2, 3, 4)), 2)               # (..., E): any leading shape
    assert w.shape == (2, 3, 4) and idx.shape == (2, 3, 2)


def test_masked_experts_are_never_chosen():
    z = np.array([[5.0, -np.inf, 1.0, 0.0], [-np.inf, -np.inf, 0.0, 2.0]])
    w, idx = top_k_gating(z, 2, renormalize=False)
    assert idx.tolist() == [[0, 2], [3, 2]]
    assert w[0, 1] == 0 and w[1, 0] == 0 and w[1, 1] == 0
    with pytest.raises(ValueError, match="k"):                  # row 2 has only two usable experts
        top_k_gating(z, 3)


@pytest.mark.parametrize("dtype", FLOATS)
def test_dtypes_and_huge_logits(dtype):
    z = np.array([[6e4, 0.0, -6e4], [0.0, 1.0, 2.0]], dtype=dtype)
    for renormalize in (True, False):
        w, idx = top_k_gating(z, 2, renormalize=renormalize)
        assert w.dtype == dtype and np.isfinite(w).all()
        assert w[0].tolist() == [1.0, 0.0, 0.0]
    assert load_balancing_loss(z, 1).dtype == dtype
    assert router_z_loss(z[1:]).dtype == dtype
    assert load_balancing_loss_grad(z, 1).dtype == dtype and router_z_loss_grad(z).dtype == dtype


# --------------------------------------------------------------------------------------------
# the load-balancing loss
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 2, 3])
def test_perfectly_uniform_routing_gives_one(k):
    E = 4
    z = np.array([np.roll([3.0, 2.0, 1.0, 0.0], n) for n in range(E)])   # a cyclic router: each expert alike
    assert float(load_balancing_loss(z, k)) == pytest.approx(1.0, rel=1e-14)
    assert float(load_balancing_loss(np.zeros((5, E)), k)) == pytest.approx(1.0, rel=1e-14)   # P uniform


def test_collapsed_routing_gives_about_e():
    z = np.tile([20.0, 0.0, 0.0, 0.0, 0.0], (6, 1))            # every token to expert 0, p_0 ~ 1
    assert float(load_balancing_loss(z, 1)) == pytest.approx(5.0, rel=1e-7)


@pytest.mark.parametrize("k", [1, 2, 4])
def test_load_balancing_matches_loops(router, k):
    assert float(load_balancing_loss(router, k)) == pytest.approx(python_balance(router.tolist(), k), rel=1e-13)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_the_per_token_convention_is_k_times_this_one(router, k):
    # Counting the load per token (f sums to k, as some libraries do) multiplies the loss by k,
    # so uniform routing reports k there; here it reports 1.
    N, E = router.shape
    chosen = [python_gating(row, k, True)[1] for row in router.tolist()]
    per_token = np.array([sum(e in c for c in chosen) / N for e in range(E)])       # sums to k
    mean_p = np.mean([python_gating(row, E, True)[0] for row in router.tolist()], axis=0)
    assert per_token.sum() == pytest.approx(k)
    assert E * per_token @ mean_p == pytest.approx(k * float(load_balancing_loss(router, k)), rel=1e-13)


@pytest.mark.parametrize("k", [1, 2])
def test_load_balancing_gradient_matches_finite_differences(router, k):
    grad = load_balancing_loss_grad(router, k)
    assert gradient_check(lambda z: load_balancing_loss(z, k), router, grad) < 1e-6
    one = router[0]                                             # one token, shape (E,)
    assert gradient_check(lambda z: load_balancing_loss(z, k), one, load_balancing_loss_grad(one, k)) < 1e-6


# --------------------------------------------------------------------------------------------
# the router z-loss
# --------------------------------------------------------------------------------------------

def test_z_loss_matches_scipy(router):
    from scipy.special import logsumexp
    assert float(router_z_loss(router)) == pytest.approx(np.mean(logsumexp(router, axis=-1) ** 2), rel=1e-14)
    assert float(router_z_loss(np.zeros(4))) == pytest.approx(math.log(4) ** 2, rel=1e-15)


def test_z_loss_of_large_logits_has_no_overflow():
    z = np.array([[1000.0, 1000.0, -np.inf], [-1000.0, -1000.0, -1000.0]])
    expected = ((1000 + math.log(2)) ** 2 + (-1000 + math.log(3)) ** 2) / 2
    assert float(router_z_loss(z)) == pytest.approx(expected, rel=1e-14)
    assert np.isfinite(router_z_loss_grad(z)).all()


@pytest.mark.parametrize("dtype, big", [(np.float64, 1e155), (np.float32, 1e20)])
def test_z_loss_that_would_overflow_is_refused_without_a_warning(dtype, big):
    z = np.array([[big, 0.0]], dtype=dtype)
    for f in (router_z_loss, router_z_loss_grad):
        with pytest.raises(ValueError, match="router_logits"):
            f(z)
    assert np.isfinite(router_z_loss(np.array([[big / 1e3, 0.0]], dtype=dtype)))


def test_z_loss_gradient_matches_finite_differences(router):
    assert gradient_check(router_z_loss, router, router_z_loss_grad(router)) < 1e-6
    assert gradient_check(router_z_loss, router[2], router_z_loss_grad(router[2])) < 1e-6


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("z_weight", [0.0, 1e-3, 0.7])
def test_the_training_gradient_is_the_sum_of_the_two(router, k, z_weight):
    both = router_loss_grad(router, k, z_weight)
    np.testing.assert_array_equal(both, load_balancing_loss_grad(router, k) + z_weight * router_z_loss_grad(router))
    loss = lambda z: load_balancing_loss(z, k) + z_weight * router_z_loss(z)   # noqa: E731  (f held fixed)
    assert gradient_check(loss, router, both) < 1e-6


@pytest.mark.parametrize("dtype", FLOATS)
def test_the_training_gradient_keeps_the_dtype(dtype):
    z = np.array([[1.0, 0.5, -1.0], [0.0, 2.0, 1.0]], dtype=dtype)
    assert router_loss_grad(z, 1, 1e-3).dtype == dtype


@pytest.mark.parametrize("z_weight, error", [(-1.0, ValueError), (np.nan, ValueError), ("0.1", TypeError),
                                             (None, TypeError)])
def test_a_bad_z_weight_is_refused_by_name(router, z_weight, error):
    with pytest.raises(error, match="z_weight"):
        router_loss_grad(router, 2, z_weight)


# --------------------------------------------------------------------------------------------
# hostile input
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("k, error", [(0, ValueError), (7, ValueError), (-1, ValueError), (1.0, TypeError),
                                      (True, TypeError), ("2", TypeError), (None, TypeError)])
def test_k_out_of_range_is_refused(router, k, error):
    for f in (top_k_gating, load_balancing_loss, load_balancing_loss_grad, lambda z, k: router_loss_grad(z, k, 0.1)):
        with pytest.raises(error, match="k"):
            f(router, k)


@pytest.mark.parametrize("bad", [
    [[np.nan, 1.0]], [[np.inf, 1.0]], [[-np.inf, -np.inf]], np.zeros((0, 3)), np.zeros((3, 0)), 1.0,
    [["a", "b"]], [[True, False]], [[1.0], [1.0, 2.0]],
])
def test_bad_router_logits_are_refused_by_name(bad):
    for call in (lambda z: top_k_gating(z, 1), lambda z: load_balancing_loss(z, 1), router_z_loss,
                 router_z_loss_grad, lambda z: load_balancing_loss_grad(z, 1), lambda z: router_loss_grad(z, 1, 0.1)):
        with pytest.raises((ValueError, TypeError), match="router_logits"):
            call(bad)


def test_renormalize_must_be_a_bool(router):
    with pytest.raises(TypeError, match="renormalize"):
        top_k_gating(router, 2, renormalize="no")


def test_inputs_are_not_modified(router):
    z = router.copy()
    z[0, 0] = -np.inf
    z.setflags(write=False)
    before = z.copy()
    top_k_gating(z, 2)
    top_k_gating(z, 2, renormalize=False)
    load_balancing_loss(z, 2)
    load_balancing_loss_grad(z, 2)
    router_z_loss(z)
    router_z_loss_grad(z)
    np.testing.assert_array_equal(z, before)
