"""Tests for what the mutation run of calibration.py found untested (`make mutation`,
benchmarks/mutation.md). Each test names the mutants (mutmut's names) it kills.

An error names its argument as a word: ``match="norm"`` would also pass for a message naming
``XXnormXX``, so these anchor the name.
"""

import numpy as np
import pytest

from softmax_lab import softmax
from softmax_lab.calibration import (
    bootstrap_interval,
    brier_score,
    classwise_calibration_error,
    expected_calibration_error,
    negative_log_likelihood,
)

PROBS, LABELS = [[0.7, 0.3], [0.4, 0.6]], [0, 1]


def test_a_bad_norm_is_refused_naming_norm():
    # x_expected_calibration_error__mutmut_21 names "XXnormXX".
    with pytest.raises(ValueError, match=r"^norm must be one of"):
        expected_calibration_error(PROBS, LABELS, norm="l3")


@pytest.mark.parametrize("n_bins, error", [(0, ValueError), (2.5, TypeError)])
def test_a_bad_bin_count_is_refused_naming_n_bins(n_bins, error):
    # x_classwise_calibration_error__mutmut_14 names "XXn_binsXX".
    with pytest.raises(error, match=r"^n_bins must"):
        classwise_calibration_error(PROBS, LABELS, n_bins=n_bins)


def _flat_case(seed=5, N=240, K=40):
    """Near-uniform probabilities over K = 40 classes: top probabilities from about 0.03 upwards, so
    the first equal-width bins (below 1/15 and 2/15) are both filled and no confidence reaches 14/15."""
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=0.2, size=(N, K))
    z[: N // 2, 0] += rng.uniform(0.0, 3.0, size=N // 2)       # some sharper rows: a spread of bins
    p = softmax(z)
    conf = p.max(axis=1)
    assert (conf < 1 / 15).any() and ((conf >= 1 / 15) & (conf < 2 / 15)).any() and conf.max() < 14 / 15
    return p, rng.integers(0, K, size=N)


def test_bootstrap_of_the_ece_on_a_flat_model_equals_resampling_rows():
    # x__ece_of_resamples__mutmut_16 and _17 build the edges from linspace(1, 1) or linspace(0, 2): with
    # the bin-index correction that only merges or misplaces the bins below 2/15, which no earlier
    # test filled; _33 drops bincount's minlength, so a block whose top bin is empty cannot be
    # reshaped. The shortcut must give the interval of calling the metric on every resample.
    p, y = _flat_case()
    shortcut = bootstrap_interval(expected_calibration_error, p, y, n_boot=40, level=0.9, rng=3)
    rows = bootstrap_interval(lambda a, b: expected_calibration_error(a, b), p, y, n_boot=40, level=0.9, rng=3)
    assert shortcut == pytest.approx(rows, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("metric, data", [(brier_score, np.eye(3)), (negative_log_likelihood, [[0.0, -np.inf]] * 3)])
def test_bootstrap_of_a_perfect_model_is_zero_to_zero(metric, data):
    # x__mean_of_resamples__mutmut_10 (`0 <= top`) divides all-zero losses by their maximum 0 (NaN);
    # _12 and _13 average a block of resamples over every axis or over axis 2. Each row's loss is 0
    # (one-hot probabilities; a logit 0 against a masked class), so every resample's mean is 0.
    labels = [0, 1, 2] if metric is brier_score else [0, 0, 0]
    assert bootstrap_interval(metric, data, labels, n_boot=20, rng=0) == (0.0, 0.0)


def test_bootstrap_interval_is_the_percentile_interval_of_the_resampled_metric():
    # x_bootstrap_interval__mutmut_125 takes the (1 - level)/3 quantile. The documented interval: the
    # (1 - level)/2 and (1 + level)/2 quantiles of the metric over the n_boot resamples, recomputed
    # here from the values a recording metric saw (its first call scores the data itself).
    p, y = _flat_case(8)
    seen = []

    def recording(a, b):
        seen.append(brier_score(a, b))
        return seen[-1]

    low, high = bootstrap_interval(recording, p, y, n_boot=50, level=0.8, rng=6)
    assert len(seen) == 1 + 50
    assert (low, high) == pytest.approx(tuple(np.quantile(seen[1:], [0.1, 0.9])), rel=1e-12)


def test_bootstrap_takes_a_thousand_resamples_by_default():
    # x_bootstrap_interval__mutmut_1 (a default n_boot of 1001).
    p, y = _flat_case(9)
    assert bootstrap_interval(brier_score, p, y, rng=2) == bootstrap_interval(brier_score, p, y, n_boot=1000, rng=2)


@pytest.mark.parametrize("level", [0, 0.0, 1, 1.0, 1.5])
def test_bootstrap_refuses_a_level_outside_the_open_unit_interval(level):
    # x_bootstrap_interval__mutmut_20 accepts 0, _21 accepts 1, _22 accepts up to 2.
    with pytest.raises(ValueError, match=r"^level must"):
        bootstrap_interval(brier_score, PROBS, LABELS, n_boot=5, level=level, rng=0)


def test_bootstrap_names_its_arguments_as_words():
    # x_bootstrap_interval__mutmut_12 names "XXn_bootXX"; _27, _30 and _31 name None, "XXprobsXX" or
    # "PROBS" for ragged probabilities; _37 "XXlabelsXX" for ragged labels.
    with pytest.raises(ValueError, match=r"^n_boot must"):
        bootstrap_interval(brier_score, PROBS, LABELS, n_boot=0)
    with pytest.raises(ValueError, match=r"^probs must"):
        bootstrap_interval(brier_score, [[0.5, 0.5], [1.0]], LABELS)
    with pytest.raises(ValueError, match=r"^labels must"):
        bootstrap_interval(brier_score, PROBS, [[0], [1, 0]])


def _constant(a, b):
    return 0.25          # a metric that checks nothing: bootstrap_interval's own checks must catch these


@pytest.mark.parametrize("data, labels", [
    (np.zeros((3, 2)), [0, 1]),            # _39 (`and` for the last `or`): lengths that differ
    (np.zeros((3, 2)), [[0], [1], [0]]),   # _40: labels of two dimensions and the right length
    (np.float64(0.5), [0]),                # _41: a scalar for the rows (len() of it would raise TypeError)
    (np.zeros((0, 2)), []),                # no rows at all
])
def test_bootstrap_refuses_rows_and_labels_that_do_not_pair_up(data, labels):
    with pytest.raises(ValueError, match=r"^probs and labels must have the same"):
        bootstrap_interval(_constant, data, labels, n_boot=5, rng=0)


def test_bootstrap_resamples_one_dimensional_rows():
    # x_bootstrap_interval__mutmut_43 refuses 1-D data, although "any function of the rows" may take
    # one number per row (here the mean of per-row losses; its resamples' means bracket the mean).
    losses = np.linspace(0.0, 1.0, 11)
    low, high = bootstrap_interval(lambda a, b: float(np.mean(a)), losses, np.zeros(11, int), n_boot=200, rng=1)
    assert 0.0 < low < 0.5 < high < 1.0


def test_reliability_bins_default_to_fifteen_and_name_their_arguments():
    # x_reliability_bins__mutmut_1 (a default of 16 bins); _16 and _25 name "XXn_binsXX" and
    # "XXstrategyXX".
    from softmax_lab.calibration import reliability_bins
    bins = reliability_bins(PROBS, LABELS)
    assert len(bins.count) == 15 and bins.upper[0] == pytest.approx(1 / 15, rel=1e-15)
    with pytest.raises(ValueError, match=r"^n_bins must"):
        reliability_bins(PROBS, LABELS, n_bins=0)
    with pytest.raises(ValueError, match=r"^strategy must"):
        reliability_bins(PROBS, LABELS, strategy="equal")


def _nll_by_hand(z, y, t):
    zt = np.asarray(z, dtype=np.float64) / t
    top = zt.max(axis=1)
    return float(np.mean(top + np.log(np.exp(zt - top[:, None]).sum(axis=1)) - zt[np.arange(len(y)), y]))


def test_fit_temperature_finds_the_minimum_to_well_within_a_millionth():
    # x_fit_temperature__mutmut_39 and _43 drop options={"xatol": 1e-6}: with scipy's default 1e-5 in
    # log T the fitted T is 9e-7 off here (1.3e-8 with 1e-6). Reference: the root of dNLL/dbeta
    # (beta = 1/T; the NLL is convex in beta) by brentq to 1e-14.
    from scipy.optimize import brentq

    from softmax_lab.calibration import fit_temperature
    rng = np.random.default_rng(21)
    z = rng.normal(size=(400, 6)) * 3.0
    y = (rng.random(400)[:, None] > softmax(z / 2.3).cumsum(axis=1)).sum(axis=1)

    def slope(beta):                        # d/dbeta of mean(logsumexp(beta z) - beta z_y)
        p = softmax(beta * z)
        return float(np.mean((p * z).sum(axis=1) - z[np.arange(len(y)), y]))

    t_exact = 1.0 / brentq(slope, 1 / 20, 1 / 0.05, xtol=1e-14, rtol=1e-14)
    fit = fit_temperature(z, y, full_output=True)
    assert fit.temperature == pytest.approx(t_exact, rel=2e-7)
    assert fit.nll == pytest.approx(_nll_by_hand(z, y, fit.temperature), rel=1e-12)
    assert fit.on_bound is None


@pytest.mark.parametrize("flat", [False, True])
def test_fit_temperature_counts_every_evaluation_of_the_nll(flat, monkeypatch):
    # x_fit_temperature__mutmut_56 and _58 (nfev - 2, nfev + 3 for the search plus the two bounds),
    # _86 and _87 (calls - 1, calls + 2 for the flat case's one more evaluation). TemperatureFit
    # documents n_evaluations as how many times the NLL was evaluated: each evaluation computes the
    # cross-entropy once, so the calls are counted there.
    import softmax_lab.calibration as C
    seen = []
    real = C.cross_entropy

    def counting(*args, **kwargs):
        seen.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(C, "cross_entropy", counting)
    rng = np.random.default_rng(2)
    z = np.zeros((4, 3)) if flat else rng.normal(size=(50, 4)) * 3
    y = (rng.random(len(z))[:, None] > softmax(z / 2).cumsum(axis=1)).sum(axis=1)   # drawn at T = 2
    fit = C.fit_temperature(z, y, full_output=True)
    assert fit.n_evaluations == len(seen) and len(seen) > 3
    assert (fit.temperature == 1.0) == flat


def test_fit_temperature_of_a_model_certain_and_right_is_flat():
    # x_fit_temperature__mutmut_66 drops abs_tol=1e-12: margins of 640 give an NLL between 0 and
    # log(1 + e^{-32}) = 1.3e-14 at every T in the bounds, flat to 1e-12 nats, which the documented
    # flat case answers with T = 1 and no warning (the relative test alone sees 1.3e-14 against 0
    # and warns that the optimum sits on the lower bound).
    import warnings

    from softmax_lab.calibration import fit_temperature
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = fit_temperature([[640.0, 0.0], [0.0, 640.0]], [0, 1], full_output=True)
    assert fit.temperature == 1.0 and fit.on_bound is None and fit.nll < 1e-12
    assert 1e-15 < negative_log_likelihood([[640.0, 0.0]], [0], temperature=20.0) < 1e-13   # not exactly flat


def test_fit_temperature_copes_with_an_nll_beyond_float64():
    # x_fit_temperature__mutmut_27 and _29 drop errstate(invalid="ignore"): with logits of 1e308 the
    # NLL is +inf below T = 1, and scipy's parabolic step through two infinite values computes
    # inf - inf, which the search must take silently. A wrong label among confident rows: the NLL
    # falls as T grows (1e308 / T / 3 per wrong row), so the optimum is the upper bound, with the
    # documented warning.
    from softmax_lab.calibration import fit_temperature
    z = [[1e308, 0.0], [0.0, 1e308], [1e308, 0.0]]
    with pytest.warns(UserWarning, match="upper bound"):
        t = fit_temperature(z, [0, 1, 1])
    assert t == 20.0


@pytest.mark.parametrize("bounds", [(1.0, 1.0), (0.1, float("inf"))])
def test_fit_temperature_refuses_an_empty_or_unbounded_interval(bounds):
    # x__bounds__mutmut_6 (`lo <= hi`) accepts an empty interval, _7 (`hi <= inf`) an infinite one;
    # the documented range is 0 < low < high < inf.
    from softmax_lab.calibration import fit_temperature
    with pytest.raises(ValueError, match=r"^bounds must"):
        fit_temperature([[1.0, 0.0], [0.0, 1.0]], [0, 1], bounds=bounds)


@pytest.mark.parametrize("function", ["expected_calibration_error", "debiased_calibration_error"])
def test_the_binned_errors_name_n_bins_and_strategy(function):
    # x__check_bins__mutmut_7 and _16 name "XXn_binsXX" and "XXstrategyXX".
    import softmax_lab.calibration as C
    with pytest.raises(ValueError, match=r"^n_bins must"):
        getattr(C, function)(PROBS, LABELS, n_bins=0)
    with pytest.raises(ValueError, match=r"^strategy must"):
        getattr(C, function)(PROBS, LABELS, strategy="equal")


def _classwise_by_hand(p, y, n_bins):
    """Kull et al.'s classwise ECE written out: each class, each half-open bin (the last closed)."""
    p, y = np.asarray(p, dtype=np.float64), np.asarray(y)
    N, K = p.shape
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    total = 0.0
    for k in range(K):
        for b in range(n_bins):
            inside = (p[:, k] >= edges[b]) & ((p[:, k] < edges[b + 1]) | (b == n_bins - 1))
            total += abs(np.sum(y[inside] == k) - np.sum(p[inside, k])) / N
    return total / K


def test_classwise_error_matches_the_formula_with_a_probability_on_an_edge():
    # x_classwise_calibration_error__mutmut_31 (`p > edges[1]`) leaves a probability exactly on the
    # first edge in the first bin's total while its hit goes to the second bin; _1 (a default of 16
    # bins). Reference: the formula by hand, with 15 bins by default.
    e1 = np.linspace(0.0, 1.0, 16)[1]
    p = np.array([[e1, 1 - e1], [0.3, 0.7], [e1, 1 - e1], [0.9, 0.1]])
    y = [0, 1, 1, 0]
    assert classwise_calibration_error(p, y) == pytest.approx(_classwise_by_hand(p, y, 15), rel=1e-12)
    rng = np.random.default_rng(12)
    q = softmax(rng.normal(size=(60, 4)) * 2)
    labels = rng.integers(0, 4, size=60)
    assert classwise_calibration_error(q, labels) == pytest.approx(_classwise_by_hand(q, labels, 15), rel=1e-12)
