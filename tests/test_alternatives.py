"""Tests for softmax_lab.alternatives: sparsemax, entmax, the Gumbel-softmax, sigmoid attention.

The references are written here from the papers' definitions, in plain Python loops (sparsemax
by sorting, 1.5-entmax by solving its quadratic on each candidate support), and the projection
property of sparsemax is checked by its optimality condition and against random points of the
simplex, so a bug in the module cannot hide behind its own output.
"""

import numpy as np
import pytest
from fast_loop import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import special, stats

from softmax_lab import softmax
from softmax_lab.alternatives import entmax, gumbel_softmax, sigmoid_attention_weights, sparsemax

FLOATS = [np.float16, np.float32, np.float64]
rows = arrays(np.float64, st.integers(1, 12), elements=st.floats(-50, 50))


def reference_sparsemax(z):
    """Martins and Astudillo (2016), Algorithm 1, one row, plain Python."""
    z = [float(v) for v in z]
    srt = sorted(z, reverse=True)
    total, k_star, sum_star = 0.0, 0, 0.0
    for k, value in enumerate(srt, start=1):
        total += value
        if 1.0 + k * value > total:
            k_star, sum_star = k, total
    tau = (sum_star - 1.0) / k_star
    return np.array([max(v - tau, 0.0) for v in z])


def reference_entmax15(z):
    """1.5-entmax of one row: p = (z/2 - tau)_+^2, tau found by trying every support size."""
    x = sorted((v / 2.0 for v in z), reverse=True)
    for k in range(1, len(x) + 1):
        top = np.array(x[:k])
        mean = top.mean()
        spread = (1.0 / k) - np.mean((top - mean) ** 2)   # from sum (x_j - tau)^2 = 1
        if spread < 0:
            continue
        tau = mean - np.sqrt(spread)
        below = x[k] if k < len(x) else -np.inf
        if x[k - 1] > tau >= below:
            return np.array([max(v / 2.0 - tau, 0.0) ** 2 for v in z])
    raise AssertionError("no support size fits")


# ---------------------------------------------------------------------------------------------
# sparsemax

@settings(max_examples=examples(200), deadline=None)
@given(rows)
def test_sparsemax_matches_the_sort_based_reference(z):
    np.testing.assert_allclose(sparsemax(z), reference_sparsemax(z), atol=1e-12)


@settings(max_examples=examples(200), deadline=None)
@given(rows, st.floats(-1e6, 1e6))
def test_sparsemax_is_a_distribution_and_shift_invariant(z, c):
    p = sparsemax(z)
    assert np.all(p >= 0)
    assert np.isclose(p.sum(), 1.0, atol=1e-12)
    np.testing.assert_allclose(sparsemax(z + c), p, atol=1e-6 * (1 + abs(c)))


def test_sparsemax_gives_exact_zeros_where_softmax_does_not():
    z = np.array([3.0, 2.5, 1.0, -1.0, -3.0])
    p = sparsemax(z)
    assert np.count_nonzero(p == 0.0) == 3
    assert np.all(softmax(z) > 0)
    np.testing.assert_array_equal(p, [0.75, 0.25, 0.0, 0.0, 0.0])


@settings(max_examples=examples(150), deadline=None)
@given(rows)
def test_sparsemax_is_the_euclidean_projection_onto_the_simplex(z):
    """Optimality: p is the projection iff (z - p) . (e_i - p) <= 0 for every vertex e_i."""
    p = sparsemax(z)
    residual = z - p
    worst = np.max(residual - residual @ p)      # (z - p)_i - (z - p) . p for each vertex i
    assert worst <= 1e-9 * (1 + np.abs(z).max())


def test_sparsemax_is_closer_to_z_than_random_points_of_the_simplex():
    rng = np.random.default_rng(3)
    for _ in range(20):
        z = rng.normal(scale=2.0, size=6)
        best = np.sum((sparsemax(z) - z) ** 2)
        others = rng.dirichlet(np.full(6, 0.3), size=2000)
        assert best <= np.min(np.sum((others - z) ** 2, axis=1)) + 1e-12


def test_sparsemax_axis_batches_and_masks():
    z = np.array([[1.0, 0.5, -np.inf], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(sparsemax(z), [[0.75, 0.25, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(sparsemax(z.T, axis=0), sparsemax(z).T)
    x = np.random.default_rng(0).normal(size=(2, 5, 3))
    np.testing.assert_allclose(sparsemax(x, axis=1),
                               np.moveaxis(sparsemax(np.moveaxis(x, 1, -1)), -1, 1))


@pytest.mark.parametrize("dtype", FLOATS)
def test_sparsemax_extreme_input_keeps_dtype_without_warnings(dtype, no_warnings):
    big = np.finfo(dtype).max
    z = np.array([big, -big, 0.0, -np.inf], dtype=dtype)
    p = sparsemax(z)
    assert p.dtype == dtype
    np.testing.assert_array_equal(p, [1.0, 0.0, 0.0, 0.0])
    tiny = np.array([1e-7, 0.0, -1e-7], dtype=dtype)
    assert np.isclose(float(sparsemax(tiny).astype(np.float64).sum()), 1.0, atol=1e-3)


# ---------------------------------------------------------------------------------------------
# entmax

@settings(max_examples=examples(150), deadline=None)
@given(rows)
def test_entmax_limits_are_softmax_and_sparsemax(z):
    np.testing.assert_allclose(entmax(z, alpha=1.0), softmax(z), atol=1e-12)
    np.testing.assert_allclose(entmax(z, alpha=2.0), reference_sparsemax(z), atol=1e-12)
    # and close to the limits from inside (the bisection path, not the shortcut)
    np.testing.assert_allclose(entmax(z, alpha=1.0 + 1e-6), softmax(z), atol=1e-4)
    np.testing.assert_allclose(entmax(z, alpha=2.0 - 1e-9), reference_sparsemax(z), atol=1e-6)


@settings(max_examples=examples(200), deadline=None)
@given(rows)
def test_entmax15_matches_its_exact_solution(z):
    np.testing.assert_allclose(entmax(z, alpha=1.5), reference_entmax15(z), atol=1e-9)


def test_entmax_sparsity_grows_with_alpha():
    z = np.linspace(-2.0, 2.0, 21)
    zeros = [np.count_nonzero(entmax(z, alpha=a) == 0) for a in (1.0, 1.25, 1.5, 2.0, 3.0)]
    assert zeros[0] == 0
    assert zeros == sorted(zeros) and zeros[-1] > zeros[1]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("alpha", [1.01, 1.5, 3.0, 1e6])
def test_entmax_extreme_input_and_masks(dtype, alpha, no_warnings):
    big = np.finfo(dtype).max
    z = np.array([[big, -big, 0.0, -np.inf], [0.0, 0.0, -np.inf, 0.0]], dtype=dtype)
    p = entmax(z, alpha=alpha)
    assert p.dtype == dtype
    np.testing.assert_allclose(p.astype(np.float64), [[1, 0, 0, 0], [1 / 3, 1 / 3, 0, 1 / 3]], atol=1e-3)


# ---------------------------------------------------------------------------------------------
# Gumbel-softmax

def test_gumbel_softmax_argmax_frequencies_match_softmax():
    """Gumbel-max: the winner is a sample from softmax(z), at any temperature."""
    z = np.log([0.5, 0.3, 0.15, 0.05])
    n = 20_000
    batch = np.tile(z, (n, 1))
    for temperature in (0.3, 1.0, 5.0):
        y = gumbel_softmax(batch, temperature=temperature, rng=11)
        counts = np.bincount(np.argmax(y, axis=1), minlength=4)
        statistic, pvalue = stats.chisquare(counts, n * softmax(z))
        assert pvalue > 1e-6, (temperature, counts)
    # the test has power: the counts are far from a wrong distribution
    _, wrong = stats.chisquare(counts, n * softmax(2 * z))
    assert wrong < 1e-6


def test_gumbel_softmax_is_seeded_and_sums_to_one():
    a = gumbel_softmax([1.0, 2.0, 3.0], rng=5)
    np.testing.assert_array_equal(a, gumbel_softmax([1.0, 2.0, 3.0], rng=5))
    assert not np.array_equal(a, gumbel_softmax([1.0, 2.0, 3.0], rng=6))
    assert np.isclose(a.sum(), 1.0)
    g = np.random.default_rng(1)
    assert not np.array_equal(gumbel_softmax([1.0, 2.0], rng=g), gumbel_softmax([1.0, 2.0], rng=g))


def test_gumbel_softmax_temperature_moves_between_one_hot_and_uniform():
    z = np.zeros((500, 5))
    cold = gumbel_softmax(z, temperature=0.01, rng=0)
    hot = gumbel_softmax(z, temperature=1000.0, rng=0)
    assert np.mean(cold.max(axis=1)) > 0.99
    assert np.max(np.abs(hot - 0.2)) < 0.01
    hard = gumbel_softmax(z, rng=0, hard=True)
    np.testing.assert_array_equal(np.argmax(hard, axis=1), np.argmax(cold, axis=1))
    assert set(np.unique(hard)) == {0.0, 1.0} and np.all(hard.sum(axis=1) == 1)


@pytest.mark.parametrize("dtype", FLOATS)
def test_gumbel_softmax_masks_and_extremes(dtype, no_warnings):
    big = np.finfo(dtype).max
    z = np.tile(np.array([big, -big, -np.inf], dtype=dtype), (200, 1))
    y = gumbel_softmax(z, rng=2, axis=1)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y[:, 2], 0)
    masked = gumbel_softmax(np.tile([0.0, -np.inf, 0.0], (500, 1)), rng=3, hard=True)
    assert masked[:, 1].sum() == 0


# ---------------------------------------------------------------------------------------------
# sigmoid attention

def test_sigmoid_attention_weights_match_expit_with_minus_log_n():
    s = np.random.default_rng(4).normal(scale=3.0, size=(3, 7))
    np.testing.assert_allclose(sigmoid_attention_weights(s), special.expit(s - np.log(7)))
    np.testing.assert_allclose(sigmoid_attention_weights(s, bias=1.5), special.expit(s + 1.5))
    n_keys = 7                                   # s.T has shape (7, 3): 7 keys along axis 0
    np.testing.assert_allclose(sigmoid_attention_weights(s.T, axis=0), special.expit(s.T - np.log(n_keys)))


def test_sigmoid_attention_weights_do_not_compete():
    """Raising one key's score changes only that key's weight (a softmax would lower the rest)."""
    s = np.array([1.0, 0.0, -1.0])
    t = s.copy()
    t[0] += 5.0
    a, b = sigmoid_attention_weights(s), sigmoid_attention_weights(t)
    np.testing.assert_array_equal(a[1:], b[1:])
    assert b[0] > a[0]
    assert not np.isclose(b.sum(), 1.0)


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_attention_weights_extremes_and_masks(dtype, no_warnings):
    big = np.finfo(dtype).max
    w = sigmoid_attention_weights(np.array([big, -big, -np.inf, 0.0], dtype=dtype), bias=10.0)
    assert w.dtype == dtype
    np.testing.assert_allclose(w.astype(np.float64), [1.0, 0.0, 0.0, special.expit(10.0)], rtol=1e-3)
