"""Tests for softmax_lab.calibration: reliability bins, the calibration errors, NLL, Brier,
temperature fitting and the bootstrap interval.

References are written out from the definitions with explicit loops over bins and classes
(slow, obviously right), and scipy.optimize.minimize_scalar for the temperature.
"""

import functools

import numpy as np
import pytest
from fast_loop import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp as scipy_logsumexp

from softmax_lab import calibration as cal
from softmax_lab import softmax
from softmax_lab.calibration import (
    bootstrap_interval,
    brier_score,
    classwise_calibration_error,
    debiased_calibration_error,
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    reliability_bins,
)


def draw_labels(p, rng):
    """One label per row, drawn from the row's own distribution (a calibrated predictor)."""
    return (rng.random(len(p))[:, None] > np.cumsum(p, axis=1)).sum(axis=1).clip(0, p.shape[1] - 1)


def random_case(seed, N=300, K=5, sharp=1.0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(N, K)) * sharp
    p = softmax(z)
    return z, p, rng.integers(0, K, size=N)


def ref_edges(conf, B, strategy):
    if strategy == "uniform":
        return np.linspace(0, 1, B + 1)
    c = np.sort(conf)
    return np.array([0.0] + [c[(b * len(c)) // B] for b in range(1, B)] + [1.0])


def ref_bins(p, y, B, strategy):
    """(count, conf, acc) per bin, by a loop over the bins with explicit interval tests."""
    p = np.asarray(p, float)
    conf = p.max(axis=1)
    correct = p.argmax(axis=1) == y
    e = ref_edges(conf, B, strategy)
    out = []
    for b in range(B):
        inside = (conf >= e[b]) & ((conf < e[b + 1]) if b < B - 1 else (conf <= 1.0))
        if b < B - 1 and strategy == "quantile":
            inside &= conf < e[b + 1]
        n = int(inside.sum())
        out.append((n, conf[inside].mean() if n else np.nan, correct[inside].mean() if n else np.nan))
    return [np.array(x) for x in zip(*out)]


def ref_ece(p, y, B, strategy="uniform", norm="l1"):
    n, c, a = ref_bins(p, y, B, strategy)
    full = n > 0
    w, gap = n[full] / len(y), np.abs(a[full] - c[full])
    return {"l1": np.sum(w * gap), "l2": np.sqrt(np.sum(w * gap**2)), "max": gap.max()}[norm]


def ref_classwise(p, y, B):
    p = np.asarray(p, float)
    N, K = p.shape
    e = np.linspace(0, 1, B + 1)
    per_class = []
    for k in range(K):                     # every class, as Kull et al. (2019) average
        total = 0.0
        for b in range(B):
            inside = (p[:, k] >= e[b]) & ((p[:, k] < e[b + 1]) if b < B - 1 else True)
            if inside.any():
                total += inside.sum() / N * abs(np.mean(y[inside] == k) - p[inside, k].mean())
        per_class.append(total)
    return np.mean(per_class)


def ref_debiased(p, y, B, strategy="quantile"):
    n, c, a = ref_bins(p, y, B, strategy)
    d = sum(nb / len(y) * ((ab - cb) ** 2 - ab * (1 - ab) / (nb - 1)) for nb, cb, ab in zip(n, c, a) if nb >= 2)
    return np.sqrt(max(d, 0.0))


# ---------------------------------------------------------------------------------------------
# reliability_bins

@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("B", [1, 2, 7, 15, 40])
def test_reliability_bins_match_the_loop_reference(strategy, B):
    _, p, y = random_case(B, N=500, K=4, sharp=2.0)
    bins = reliability_bins(p, y, n_bins=B, strategy=strategy)
    n, c, a = ref_bins(p, y, B, strategy)
    np.testing.assert_array_equal(bins.count, n)
    np.testing.assert_allclose(bins.confidence, c, rtol=1e-12)
    np.testing.assert_allclose(bins.accuracy, a, rtol=1e-12)
    assert bins.n_bins == B and bins.strategy == strategy
    assert len(bins.lower) == len(bins.upper) == B
    assert bins.lower[0] == 0.0 and bins.upper[-1] == 1.0
    np.testing.assert_array_equal(bins.lower[1:], bins.upper[:-1])
    np.testing.assert_allclose(bins.gap, a - c, rtol=1e-12)


def test_confidence_one_lands_in_the_last_bin_not_an_extra_one():
    p = np.array([[1.0, 0.0], [1.0, 0.0], [0.55, 0.45]])
    bins = reliability_bins(p, [0, 1, 0], n_bins=10)
    assert len(bins.count) == 10 and bins.count.sum() == 3
    assert bins.count[-1] == 2 and bins.confidence[-1] == 1.0 and bins.accuracy[-1] == 0.5
    assert bins.count[5] == 1


def test_probability_zero_lands_in_the_first_classwise_bin():
    # p_ik = 0 exactly must be counted (in the first bin): the reference counts it there
    p = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])
    y = np.array([0, 2, 2])
    assert classwise_calibration_error(p, y, n_bins=5) == pytest.approx(ref_classwise(p, y, 5), abs=1e-15)
    assert classwise_calibration_error(p, y, n_bins=5) > 0


@pytest.mark.parametrize("B", [3, 5, 10, 15, 50, 100])
def test_a_confidence_on_an_edge_opens_the_next_bin(B):
    # conf = b/B exactly (29/50 * 50 is 28.999... in floats: floor(c * B) would misplace it)
    K = 101
    cs = np.array([b / B for b in range(1, B + 1) if b / B >= 1 / K])
    p = np.column_stack([cs] + [(1 - cs) / (K - 1)] * (K - 1))
    bins = reliability_bins(p, np.zeros(len(cs), int), n_bins=B)
    expected = np.zeros(B, int)
    for c in cs:
        expected[min(int(np.searchsorted(np.linspace(0, 1, B + 1), c, side="right")) - 1, B - 1)] += 1
    np.testing.assert_array_equal(bins.count, expected)
    assert bins.count[-1] >= 1                             # 1.0 is in the last bin


def test_quantile_bins_hold_equal_counts_and_empty_bins_are_nan():
    _, p, y = random_case(3, N=1000, K=6, sharp=1.5)
    bins = reliability_bins(p, y, n_bins=8, strategy="quantile")
    assert set(bins.count) == {125}
    tied = np.tile([[0.7, 0.3]], (20, 1))
    b = reliability_bins(tied, np.zeros(20, int), n_bins=4, strategy="quantile")
    assert b.count.tolist() == [0, 0, 0, 20]               # ties go to the later bin
    assert np.isnan(b.confidence[:3]).all() and np.isnan(b.accuracy[:3]).all()


@pytest.mark.parametrize("K", [2, 3, 4, 5, 9])
def test_top_label_is_the_first_maximum_on_ties(K):
    # the short-row path (K <= 4) and argmax must agree, ties included
    rng = np.random.default_rng(K)
    p = softmax(rng.integers(0, 3, size=(400, K)).astype(float))   # many ties
    y = rng.integers(0, K, size=400)
    conf, correct = cal.top_label(p, y)
    np.testing.assert_array_equal(conf, p.max(axis=1))
    np.testing.assert_array_equal(correct, p.argmax(axis=1) == y)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_dtypes_are_accepted(dtype):
    z, _, y = random_case(0, N=200, K=7)
    p = softmax(z.astype(dtype))
    expected = ref_ece(p.astype(np.float64), y, 15)
    assert expected_calibration_error(p, y) == pytest.approx(expected, abs=1e-12)
    # probabilities computed in float32 and stored as float64 are still distributions
    assert expected_calibration_error(p.astype(np.float64), y) == pytest.approx(expected, abs=1e-12)


# ---------------------------------------------------------------------------------------------
# ECE and its variants

@pytest.mark.parametrize("norm", ["l1", "l2", "max"])
@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_ece_matches_the_loop_reference(norm, strategy):
    for seed in range(3):
        _, p, y = random_case(seed, N=400, K=5, sharp=2.5)
        got = expected_calibration_error(p, y, n_bins=12, strategy=strategy, norm=norm)
        assert got == pytest.approx(ref_ece(p, y, 12, strategy, norm), rel=1e-12, abs=1e-15)


def test_ece_weights_bins_by_their_count():
    # bin 0.9: 9 predictions, all right (gap 0.1); bin 0.6: one prediction, wrong (gap 0.6)
    p = np.array([[0.9, 0.1]] * 9 + [[0.6, 0.4]])
    y = np.array([0] * 9 + [1])
    assert expected_calibration_error(p, y, n_bins=10) == pytest.approx(0.9 * 0.1 + 0.1 * 0.6)
    assert expected_calibration_error(p, y, n_bins=10, norm="max") == pytest.approx(0.6)
    assert expected_calibration_error(p, y, n_bins=10, norm="l2") == pytest.approx(np.sqrt(0.9 * 0.01 + 0.1 * 0.36))


def test_ece_is_zero_when_each_bin_is_calibrated():
    p = np.array([[0.75, 0.25]] * 4 + [[1.0, 0.0]] * 3)
    y = np.array([0, 0, 0, 1, 0, 0, 0])
    for norm in ("l1", "l2", "max"):
        assert expected_calibration_error(p, y, norm=norm) == pytest.approx(0.0, abs=1e-15)


def _classwise_bins(column, B):
    e = np.linspace(0, 1, B + 1)
    return [(column >= e[b]) & ((column < e[b + 1]) if b < B - 1 else True) for b in range(B)]


def test_classwise_matches_the_reference_and_counts_absent_classes():
    """Kull et al. average over all K classes; a class that never occurs has frequency 0, and its
    error is the mean probability given to it (issue 16: the package averaged over present classes)."""
    for seed in range(3):
        _, p, y = random_case(seed, N=300, K=6, sharp=1.5)
        y = np.where(y == 5, 0, y)                          # class 5 never occurs...
        p[:, 5] *= 0.2                                       # ...and gets little probability
        p /= p.sum(axis=1, keepdims=True)
        got = classwise_calibration_error(p, y, n_bins=10)
        assert got == pytest.approx(ref_classwise(p, y, 10), rel=1e-12)
        # each class's own error: sum over its bins of |hits - total probability| / N
        per_class = [sum(abs(np.sum((y == k) & inside) - p[inside, k].sum()) / len(y)
                         for inside in _classwise_bins(p[:, k], 10)) for k in range(6)]
        assert per_class[5] == pytest.approx(p[:, 5].mean(), rel=1e-12)     # the absent class: its mean p
        assert got == pytest.approx(np.mean(per_class), rel=1e-12)
        assert got != pytest.approx(np.mean(per_class[:5]), rel=1e-3)        # not the mean over those that occur


def test_classwise_differs_from_top_label():
    _, p, y = random_case(4, N=500, K=5, sharp=2.0)
    assert classwise_calibration_error(p, y) != pytest.approx(expected_calibration_error(p, y), rel=1e-3)


@pytest.mark.parametrize("strategy", ["quantile", "uniform"])
def test_debiased_matches_the_reference(strategy):
    for seed in range(4):
        _, p, y = random_case(seed, N=300, K=4, sharp=3.0)
        got = debiased_calibration_error(p, y, n_bins=10, strategy=strategy)
        assert got == pytest.approx(ref_debiased(p, y, 10, strategy), rel=1e-10, abs=1e-12)


def test_debiased_is_near_zero_for_a_calibrated_predictor_where_binned_ece_is_not():
    rng = np.random.default_rng(0)
    binned, debiased = [], []
    for _ in range(40):
        p = rng.dirichlet(np.ones(4) * 0.7, size=200)
        y = draw_labels(p, rng)
        binned.append(expected_calibration_error(p, y, norm="l2"))
        debiased.append(debiased_calibration_error(p, y))
    assert np.mean(binned) > 0.08                  # the binned estimate sees a gap that is not there
    assert np.mean(debiased) < 0.5 * np.mean(binned)
    assert np.median(debiased) < 0.04


def test_debiased_agrees_with_the_plug_in_estimate_for_a_miscalibrated_model():
    rng = np.random.default_rng(1)
    p = softmax(rng.normal(size=(20000, 5)) * 2)
    y = draw_labels(softmax(np.log(p) / 3), rng)             # truth much less sure than p
    plug_in = expected_calibration_error(p, y, strategy="quantile", norm="l2")
    assert debiased_calibration_error(p, y) == pytest.approx(plug_in, rel=0.02)
    assert plug_in > 0.2


# ---------------------------------------------------------------------------------------------
# NLL and Brier

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nll_matches_scipy(dtype):
    z, _, y = random_case(5, N=200, K=9, sharp=4.0)
    z = z.astype(dtype)
    for T in (1.0, 0.3, 2.5):
        zz = z.astype(np.float64) / T
        ref = np.mean(scipy_logsumexp(zz, axis=1) - zz[np.arange(len(y)), y])
        rel = 1e-6 if dtype == np.float32 else 1e-12
        assert negative_log_likelihood(z, y, temperature=T) == pytest.approx(ref, rel=rel)
    assert isinstance(negative_log_likelihood(z, y), float)


def test_nll_of_huge_logits_is_finite():
    assert negative_log_likelihood([[1e4, 0.0], [0.0, 1e4]], [1, 1]) == pytest.approx(5e3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_brier_of_many_rows_is_every_rows_float64_score(dtype):
    """Issue 18: the rows are scored in float64 a block at a time (no float64 copy of all of probs):
    the numbers of converting the whole array, over several blocks and a partial last one."""
    _, p, y = random_case(12, N=2 * 1024 + 37, K=30, sharp=3.0)
    p = p.astype(dtype)
    q = p.astype(np.float64)
    rows = np.einsum("ij,ij->i", q, q) - 2.0 * q[np.arange(len(q)), y] + 1.0
    assert brier_score(p, y) == pytest.approx(float(np.mean(rows)), rel=1e-14)


def test_brier_matches_one_hot_reference():
    _, p, y = random_case(6, N=100, K=8)
    onehot = np.eye(8)[y]
    assert brier_score(p, y) == pytest.approx(np.mean(np.sum((p - onehot) ** 2, axis=1)), rel=1e-12)
    assert brier_score(np.eye(3), [0, 1, 2]) == 0.0
    assert brier_score(np.eye(3), [1, 2, 0]) == 2.0


# ---------------------------------------------------------------------------------------------
# fit_temperature

def scipy_temperature(z, y, bounds=(0.05, 20.0)):
    def nll(u):
        zz = np.asarray(z, np.float64) / np.exp(u)
        return np.mean(scipy_logsumexp(zz, axis=1) - zz[np.arange(len(y)), y])
    r = minimize_scalar(nll, bounds=np.log(bounds), method="bounded", options={"xatol": 1e-10})
    return float(np.exp(r.x))


@pytest.mark.parametrize("scale", [0.3, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fit_temperature_matches_scipy(scale, dtype):
    rng = np.random.default_rng(int(scale * 10))
    z = rng.normal(size=(3000, 10)) * 2
    y = draw_labels(softmax(z), rng)
    logits = (z * scale).astype(dtype)
    got = fit_temperature(logits, y)
    assert got == pytest.approx(scipy_temperature(logits, y), rel=1e-4)
    assert got == pytest.approx(scale, rel=0.1)                      # and it undoes the scaling


def test_fit_temperature_full_output_and_accuracy_unchanged():
    rng = np.random.default_rng(2)
    z = rng.normal(size=(2000, 20)) * 3
    y = draw_labels(softmax(z / 2), rng)
    fit = fit_temperature(z, y, full_output=True)
    assert fit.temperature == pytest.approx(2.0, rel=0.1) and fit.on_bound is None
    assert fit.nll == pytest.approx(negative_log_likelihood(z, y, temperature=fit.temperature), rel=1e-12)
    assert fit.nll < negative_log_likelihood(z, y)
    assert 5 <= fit.n_evaluations <= 30
    np.testing.assert_array_equal(softmax(z / fit.temperature).argmax(1), z.argmax(1))


def test_fit_temperature_gives_no_warning_inside_the_bounds(no_warnings):
    z, _, _ = random_case(7, N=500, K=4, sharp=2.0)
    y = draw_labels(softmax(z), np.random.default_rng(7))
    assert 0.5 < fit_temperature(z, y) < 2.0


def test_fit_temperature_warns_on_the_lower_bound():
    z = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]] * 50)          # always right: T -> 0 is best
    y = np.array([0, 1] * 50)
    with pytest.warns(UserWarning, match="lower bound"):
        t = fit_temperature(z, y, bounds=(0.1, 10.0))
    assert t == 0.1


def test_fit_temperature_warns_on_the_upper_bound():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(2000, 5)) * 3
    y = rng.integers(0, 5, size=2000)                                 # logits carry no information
    with pytest.warns(UserWarning, match="upper bound"):
        fit = fit_temperature(z, y, bounds=(0.5, 4.0), full_output=True)
    assert fit.temperature == 4.0 and fit.on_bound == "upper"


@given(st.integers(0, 10**6), st.floats(0.05, 20.0))
@settings(max_examples=examples(40), deadline=None)
def test_temperature_scaling_never_changes_the_argmax(seed, T):
    rng = np.random.default_rng(seed)
    z = rng.integers(-40, 40, size=(50, 7)) / 4.0     # a grid: no near-ties for rounding to merge
    y = rng.integers(0, 7, size=50)
    p, q = softmax(z), softmax(z, temperature=T)
    np.testing.assert_array_equal(p.argmax(1), q.argmax(1))
    acc = lambda r: np.sum(r.accuracy[r.count > 0] * r.count[r.count > 0])  # noqa: E731
    assert acc(reliability_bins(p, y, n_bins=1)) == acc(reliability_bins(q, y, n_bins=1))


# ---------------------------------------------------------------------------------------------
# bootstrap_interval

@pytest.mark.parametrize("metric", [expected_calibration_error, debiased_calibration_error, brier_score])
def test_bootstrap_shortcut_equals_resampling_rows(metric):
    _, p, y = random_case(8, N=300, K=6, sharp=2.0)
    shortcut = bootstrap_interval(metric, p, y, n_boot=60, rng=1)
    rows = bootstrap_interval(lambda a, b: metric(a, b), p, y, n_boot=60, rng=1)   # a wrapper: the plain loop
    assert shortcut == pytest.approx(rows, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("metric, logits", [(expected_calibration_error, False), (brier_score, False),
                                             (negative_log_likelihood, True)])
def test_bootstrap_blocks_of_resamples_equal_resampling_rows(metric, logits, monkeypatch):
    """Issue 18: blocks of resamples scored at once (a partial last block too) give the row-by-row interval."""
    import softmax_lab.calibration as C

    z, p, y = random_case(11, N=300, K=6, sharp=2.0)
    data = z if logits else p
    monkeypatch.setattr(C, "_BLOCK", 7 * 300)                 # 7 resamples a block: 9 blocks, the last of 4
    blocks = bootstrap_interval(metric, data, y, n_boot=60, level=0.8, rng=2)
    rows = bootstrap_interval(lambda a, b: metric(a, b), data, y, n_boot=60, level=0.8, rng=2)
    assert blocks == pytest.approx(rows, rel=1e-12, abs=1e-15)
    assert C._SHORTCUTS[metric][2] is not None                  # the metric has a block route


@pytest.mark.parametrize("metric, data, labels", [
    (negative_log_likelihood, [[1.7e308, -1.7e308]] * 3, [1, 1, 1]),   # an NLL beyond float64 (the shortcut)
    (lambda a, b: float("nan"), [[0.5, 0.5]] * 3, [0, 1, 0]),           # any other metric (the plain loop)
])
def test_bootstrap_refuses_a_metric_that_is_not_finite_on_the_data(metric, data, labels):
    with pytest.raises(ValueError, match="^metric returned"):
        bootstrap_interval(metric, data, labels, n_boot=5, rng=0)


def test_bootstrap_of_the_nll_takes_logits():
    z, _, y = random_case(9, N=300, K=6, sharp=2.0)
    shortcut = bootstrap_interval(negative_log_likelihood, z, y, n_boot=50, rng=4)
    rows = bootstrap_interval(lambda a, b: negative_log_likelihood(a, b), z, y, n_boot=50, rng=4)
    assert shortcut == pytest.approx(rows, rel=1e-12)
    assert shortcut.low < negative_log_likelihood(z, y) < shortcut.high
    partial = functools.partial(negative_log_likelihood, temperature=2.0)
    assert partial(z, y) < bootstrap_interval(partial, z, y, n_boot=50, rng=4).high


def test_bootstrap_is_seeded_and_its_width_follows_the_level():
    _, p, y = random_case(10, N=400, K=5, sharp=2.0)
    a = bootstrap_interval(expected_calibration_error, p, y, n_boot=200, rng=0)
    assert a == bootstrap_interval(expected_calibration_error, p, y, n_boot=200, rng=0)
    assert a != bootstrap_interval(expected_calibration_error, p, y, n_boot=200, rng=1)
    wide = bootstrap_interval(expected_calibration_error, p, y, n_boot=200, level=0.99, rng=0)
    assert wide.low <= a.low and wide.high >= a.high and a.low < a.high
    gen = np.random.default_rng(5)
    first = bootstrap_interval(brier_score, p, y, n_boot=20, rng=gen)
    assert first != bootstrap_interval(brier_score, p, y, n_boot=20, rng=gen)   # the generator moved on


def test_bootstrap_shortcut_is_not_chosen_by_name():
    def expected_calibration_error(p, y):     # same name, different function: resampled as rows
        return 0.5
    assert bootstrap_interval(expected_calibration_error, np.eye(3), [0, 1, 2], n_boot=5, rng=0) == (0.5, 0.5)


def test_bootstrap_fast_path_still_validates_keywords():
    with pytest.raises(ValueError, match="n_bins"):
        bootstrap_interval(functools.partial(expected_calibration_error, n_bins=0), np.eye(3), [0, 1, 2])


# ---------------------------------------------------------------------------------------------
# Bad input: which argument is refused, and why, is tests/test_hostile_arguments.py's property;
# here only the hints that say which way round logits and probabilities go.

GOOD_P = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
GOOD_Y = np.array([0, 2])


@pytest.mark.parametrize("f", [reliability_bins, expected_calibration_error, classwise_calibration_error,
                               debiased_calibration_error, brier_score])
@pytest.mark.parametrize("probs, match", [
    (np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.0]]), r"row 0 sums to 3\.1: pass softmax\(logits\), not logits"),
    (np.array([[2.0, -1.0, 0.0], [0.5, 0.5, 0.0]]), r"probabilities >= 0.*pass softmax\(logits\)"),
    (np.array([[0.5, 0.2, 0.1], [0.1, 0.1, 0.8]]), "row 0 sums to 0.8"),
])
def test_logits_passed_as_probabilities_get_the_hint(f, probs, match):
    with pytest.raises(ValueError, match=match):
        f(probs, GOOD_Y)


@pytest.mark.parametrize("dtype, tol", [(np.float32, 1e-3), (np.float16, 3e-2), (np.float64, 1e-3)])
def test_row_sums_at_the_tolerance_are_judged_in_float64(dtype, tol):
    """Rows whose sums sit a rounding error from 1 +- tol: accepted exactly when their float64 sum is
    within tol (the quick look in the array's own precision must never decide otherwise)."""
    rng = np.random.default_rng(5)
    K = 445 if dtype != np.float16 else 40
    accepted = rejected = 0
    for i in range(600):
        row = rng.dirichlet(np.full(K, 0.3))
        target = 1.0 + (1 if i % 2 else -1) * tol * (1 + rng.uniform(-3e-4, 3e-4))
        p = (row * target).astype(dtype)[None, :]
        inside = abs(p.sum(dtype=np.float64) - 1.0) <= tol
        if inside:
            brier_score(p, [0])
            accepted += 1
        else:
            with pytest.raises(ValueError, match="row 0 sums to"):
                brier_score(p, [0])
            rejected += 1
    assert accepted > 50 and rejected > 50          # both sides of the boundary were tried


@pytest.mark.parametrize("f", [negative_log_likelihood, fit_temperature])
def test_probabilities_passed_as_logits_get_the_hint(f):
    with pytest.raises(ValueError, match=r"pass logits, not softmax\(logits\)"):
        f(GOOD_P, GOOD_Y)


# ---------------------------------------------------------------------------------------------
# Properties

@st.composite
def predictions(draw, max_n=80, max_k=6):
    N = draw(st.integers(1, max_n))
    K = draw(st.integers(1, max_k))
    seed = draw(st.integers(0, 2**32 - 1))
    sharp = draw(st.sampled_from([0.1, 1.0, 5.0, 50.0]))
    rng = np.random.default_rng(seed)
    return softmax(rng.normal(size=(N, K)) * sharp), rng.integers(0, K, size=N)


@given(predictions(), st.integers(1, 40), st.sampled_from(["uniform", "quantile"]))
@settings(max_examples=examples(80), deadline=None)
def test_ece_lies_in_0_1_and_norms_are_ordered(case, B, strategy):
    p, y = case
    l1, l2, mx = (expected_calibration_error(p, y, B, strategy, norm) for norm in ("l1", "l2", "max"))
    assert 0.0 <= l1 <= 1.0
    assert mx >= l2 * (1 - 1e-12) and l2 >= l1 * (1 - 1e-12)
    assert 0.0 <= debiased_calibration_error(p, y, B) <= 1.0
    assert 0.0 <= classwise_calibration_error(p, y, B) <= 1.0


@given(predictions(), st.integers(1, 30), st.sampled_from(["uniform", "quantile"]), st.integers(0, 1000))
@settings(max_examples=examples(60), deadline=None)
def test_reordering_rows_changes_nothing(case, B, strategy, seed):
    p, y = case
    order = np.random.default_rng(seed).permutation(len(y))
    for f in (functools.partial(expected_calibration_error, n_bins=B, strategy=strategy),
              functools.partial(debiased_calibration_error, n_bins=B, strategy=strategy),
              functools.partial(classwise_calibration_error, n_bins=B), brier_score):
        assert f(p[order], y[order]) == pytest.approx(f(p, y), rel=1e-12, abs=1e-15)
    a, b = reliability_bins(p, y, B, strategy), reliability_bins(p[order], y[order], B, strategy)
    np.testing.assert_array_equal(a.count, b.count)
    np.testing.assert_array_equal(a.lower, b.lower)


@given(st.integers(0, 2**32 - 1), st.sampled_from([0.3, 1.0, 3.0]), st.integers(2, 20))
@settings(max_examples=examples(15), deadline=None)
def test_ece_of_a_self_consistent_predictor_shrinks_with_n(seed, concentration, K):
    # One small sample can land on an ECE near 0 by chance (seed 19431, K = 15, concentration 3 gave
    # 0.0020 at N = 300 against 0.0025 at N = 30,000), so the small size is the mean of 8 draws.
    rng = np.random.default_rng(seed)

    def ece(N):
        p = rng.dirichlet(np.ones(K) * concentration, size=N)
        return expected_calibration_error(p, draw_labels(p, rng))

    small, large = np.mean([ece(300) for _ in range(8)]), ece(30000)
    assert large < 0.02
    assert large < small
