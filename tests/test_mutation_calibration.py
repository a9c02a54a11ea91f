"""Tests for what the mutation run of calibration.py found untested (`make mutation`,
benchmarks/mutation.md). Each test names the mutants (mutmut's names) it kills.

An error names its argument as a word: ``match="norm"`` would also pass for a message naming
``XXnormXX``, so these anchor the name.
"""

import numpy as np
import pytest

from softmax_lab import softmax
from softmax_lab.calibration import bootstrap_interval, classwise_calibration_error, expected_calibration_error

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
