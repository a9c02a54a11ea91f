"""Tests for what the mutation run of attention_variants.py found untested (`make mutation`,
benchmarks/mutation.md). Each test names the mutants (mutmut's names) it kills.

An error names its argument as a word: ``match="eps"`` would also pass for a message naming
``XXepsXX``, so these anchor the name.
"""

import warnings

import numpy as np
import pytest

from softmax_lab.attention_variants import rms_normalize


@pytest.mark.parametrize("eps, error", [(float("nan"), ValueError), ("x", TypeError), (-1.0, ValueError)])
def test_rms_normalize_names_eps_as_a_word(eps, error):
    # x_rms_normalize__mutmut_23 names "XXepsXX" for a bad eps.
    with pytest.raises(error, match=r"^eps must"):
        rms_normalize([1.0, 2.0], eps=eps)


def test_rms_normalize_of_a_subnormal_vector_warns_of_nothing():
    # x_rms_normalize__mutmut_55 drops errstate(over="ignore"): (sqrt(eps) / 1e-310)**2 overflows to
    # inf (harmless: the output is then 0) and warns.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = rms_normalize([1e-310, -1e-310])
    assert np.all(np.isfinite(out)) and np.all(np.abs(out) <= 1e-300)


def test_rms_normalize_adds_eps_to_the_mean_square():
    # x_rms_normalize__mutmut_83 adds (sqrt(eps) / max|x|)**3 instead of **2: invisible at eps = 1e-6
    # to the usual tolerances, plain at eps = 1 (the formula x / sqrt(mean(x**2) + eps)).
    np.testing.assert_allclose(rms_normalize([3.0, 4.0], eps=1.0), np.array([3.0, 4.0]) / np.sqrt(12.5 + 1.0),
                               rtol=1e-12)
    np.testing.assert_allclose(rms_normalize([[300.0, 400.0]], eps=1e4), [[300.0, 400.0]] / np.sqrt(125_000 + 1e4),
                               rtol=1e-12)


def test_softmax_one_names_scores_as_a_word():
    # x_softmax_one__mutmut_7, _12 and _18 name "XXscoresXX" or None for bad scores or a bad axis.
    from softmax_lab.attention_variants import softmax_one
    with pytest.raises(TypeError, match=r"^scores\b"):
        softmax_one([["a", "b"]])
    with pytest.raises(ValueError, match=r"\bscores with 1 dimension"):
        softmax_one([1.0, 2.0], axis=3)
    with pytest.raises(ValueError, match=r"^scores has an empty axis"):
        softmax_one(np.zeros((2, 0)))
