"""Tests for what the mutation run of calibration.py found untested (`make mutation`,
benchmarks/mutation.md). Each test names the mutants (mutmut's names) it kills.

An error names its argument as a word: ``match="norm"`` would also pass for a message naming
``XXnormXX``, so these anchor the name.
"""

import pytest

from softmax_lab.calibration import classwise_calibration_error, expected_calibration_error

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
