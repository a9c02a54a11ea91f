"""Tests for what the mutation run of alternatives.py found untested (`make mutation`,
benchmarks/mutation.md). Each test names the mutants (mutmut's names) it kills.
"""

import numpy as np
import pytest

from softmax_lab.alternatives import gumbel_softmax


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_hard_gumbel_softmax_is_one_hot_along_the_class_axis_of_a_3d_array(axis):
    # x_gumbel_softmax__mutmut_21 and _34 take the argmax and put the 1 along axis +1, which is the
    # class axis only for 2-D scores once the class axis is moved last.
    logits = np.random.default_rng(0).normal(size=(2, 3, 4))
    hard = gumbel_softmax(logits, rng=1, hard=True, axis=axis)
    soft = gumbel_softmax(logits, rng=1, hard=False, axis=axis)       # the same noise
    assert hard.shape == logits.shape
    np.testing.assert_array_equal(hard.sum(axis=axis), 1.0)
    np.testing.assert_array_equal(np.argmax(hard, axis=axis), np.argmax(soft, axis=axis))
