"""Tests for lesson 09's exercise check: an online log-sum-exp over vocabulary blocks.

Every "learner" below is written the way a learner would write it: right (one pass over the
blocks), or with one typical mistake. Each test checks that the mistake fails at a case built to
expose it, with the hint that names the fix.
"""

import numpy as np
import pytest

from softmax_lab import logsumexp
from softmax_lab.exercises import check_online_logsumexp
from softmax_lab.exercises import vocab as ex_vocab

# ------------------------------------------------------------------------------------------
# Learners' functions
# ------------------------------------------------------------------------------------------


def online(blocks):
    m, s = -np.inf, 0.0
    for b in blocks:
        m_new = max(m, np.max(b))
        if m_new == -np.inf:
            continue
        s = s * np.exp(m - m_new) + np.sum(np.exp(b - m_new))
        m = m_new
    return m + np.log(s)


def online_vectorised_state(blocks):
    """Right too: numpy scalars and np.maximum, the guard written with np.isneginf."""
    m, s = np.float64(-np.inf), np.float64(0.0)
    for b in blocks:
        m_new = np.maximum(m, b.max())
        if np.isneginf(m_new):
            continue
        s = s * np.exp(m - m_new) + np.exp(b - m_new).sum()
        m = m_new
    return float(m + np.log(s))


def two_pass(blocks):
    """Wrong now: first the maximum of everything, then the sum; the blocks can be read only once."""
    m = max(np.max(b) for b in blocks)
    return m + np.log(sum(np.sum(np.exp(b - m)) for b in blocks))


def no_rescale(blocks):
    m, s = -np.inf, 0.0
    for b in blocks:
        m_new = max(m, np.max(b))
        if m_new == -np.inf:
            continue
        s = s + np.sum(np.exp(b - m_new))               # forgot s * exp(m - m_new)
        m = m_new
    return m + np.log(s)


def inverted_rescale(blocks):
    m, s = -np.inf, 0.0
    for b in blocks:
        m_new = max(m, np.max(b))
        if m_new == -np.inf:
            continue
        s = s * np.exp(m_new - m) + np.sum(np.exp(b - m_new))
        m = m_new
    return m + np.log(s)


def max_starts_at_zero(blocks):
    m, s = 0.0, 0.0
    for b in blocks:
        m_new = max(m, np.max(b))
        s = s * np.exp(m - m_new) + np.sum(np.exp(b - m_new))
        m = m_new
    return m + np.log(s)


def no_add_back(blocks):
    m, s = -np.inf, 0.0
    for b in blocks:
        m_new = max(m, np.max(b))
        if m_new == -np.inf:
            continue
        s = s * np.exp(m - m_new) + np.sum(np.exp(b - m_new))
        m = m_new
    return np.log(s)


def block_max_not_running(blocks):
    m, s = -np.inf, 0.0
    for b in blocks:
        m_new = np.max(b)                                 # not max(m, ...): the shift can go down
        s = s * np.exp(m - m_new) + np.sum(np.exp(b - m_new))
        m = m_new
    return m + np.log(s)


def no_mask_guard(blocks):
    m, s = -np.inf, 0.0
    for b in blocks:
        m_new = max(m, np.max(b))
        s = s * np.exp(m - m_new) + np.sum(np.exp(b - m_new))   # -inf - (-inf) = NaN
        m = m_new
    return m + np.log(s)


def naive(blocks):
    return np.log(sum(np.sum(np.exp(b)) for b in blocks))


def sum_of_block_lse(blocks):
    return sum(logsumexp(b) for b in blocks)


def max_of_block_lse(blocks):
    return max(logsumexp(b) for b in blocks)


def reset_inside_loop(blocks):
    for b in blocks:
        m, s = -np.inf, 0.0                               # state reset for every block
        m_new = max(m, np.max(b))
        s = s * np.exp(m - m_new) + np.sum(np.exp(b - m_new))
        m = m_new
    return m + np.log(s)


def one_per_block(blocks):
    return np.array([logsumexp(b) for b in blocks])


# ------------------------------------------------------------------------------------------
# Right answers pass
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [online, online_vectorised_state])
def test_right_answers_pass(fn, no_warnings, capsys):
    result = check_online_logsumexp(fn)
    assert result.passed, str(result)
    assert "cases passed" in capsys.readouterr().out


@pytest.mark.parametrize("fn, hint", [
    (two_pass, ex_vocab.SECOND_PASS_HINT),
    (lambda blocks: logsumexp(np.concatenate(blocks)), ex_vocab.ITERATOR_HINT),
    (lambda blocks: logsumexp(np.concatenate(list(blocks))), ex_vocab.KEPT_BLOCKS_HINT),
])
def test_more_than_one_pass_or_every_block_at_once_is_refused(fn, hint, capsys):
    # issue 16: these passed when the blocks came as a list; they come as a one-shot stream now
    result = check_online_logsumexp(fn)
    assert not result.passed and result.hint == hint, str(result)


# ------------------------------------------------------------------------------------------
# Each typical mistake fails with its own hint
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn, case, hint", [
    (no_rescale, 3, ex_vocab.NO_RESCALE_HINT),
    (inverted_rescale, 1, ex_vocab.INVERTED_RESCALE_HINT),     # 0 * exp(+inf) = NaN at once
    (max_starts_at_zero, 7, ex_vocab.MAX_AT_ZERO_HINT),
    (no_add_back, 1, ex_vocab.ADD_BACK_HINT),
    (block_max_not_running, 8, ex_vocab.RUNNING_MAX_HINT),
    (no_mask_guard, 11, ex_vocab.ALL_MASKED_HINT),
    (naive, 6, ex_vocab.SHIFT_HINT),
    (sum_of_block_lse, 2, ex_vocab.SUM_OF_BLOCKS_HINT),
    (max_of_block_lse, 2, ex_vocab.MAX_OF_BLOCKS_HINT),
    (reset_inside_loop, 2, ex_vocab.LAST_BLOCK_HINT),
])
def test_typical_mistakes_fail_with_their_hint(fn, case, hint):
    result = check_online_logsumexp(fn)
    assert not result.passed and result.attempted
    assert result.failed_case == case, str(result)
    assert result.hint == hint, str(result)


def test_one_number_per_block_gets_a_shape_hint():
    result = check_online_logsumexp(one_per_block)
    assert not result.passed and "ONE number for the whole vocabulary" in result.hint


def test_the_no_rescale_mistake_is_caught_on_wide_random_blocks_too():
    """A learner who is right whenever the maximum sits in the first block still fails."""
    def rescale_only_once(blocks):               # rescales for the second block, then forgets
        m, s = -np.inf, 0.0
        for i, b in enumerate(blocks):
            m_new = max(m, np.max(b))
            if m_new == -np.inf:
                continue
            s = (s * np.exp(m - m_new) if i < 2 else s) + np.sum(np.exp(b - m_new))
            m = m_new
        return m + np.log(s)
    result = check_online_logsumexp(rescale_only_once)
    assert not result.passed and result.failed_case == 4


# ------------------------------------------------------------------------------------------
# The check never raises, and nudges when not attempted
# ------------------------------------------------------------------------------------------

def not_attempted(blocks):
    raise NotImplementedError  # replace this line with your code


@pytest.mark.parametrize("fn", [not_attempted, lambda blocks: None])
def test_unattempted_exercise_nudges(fn, capsys):
    result = check_online_logsumexp(fn)
    assert not result.passed and not result.attempted
    assert "not attempted yet" in capsys.readouterr().out


def test_zeroing_each_block_after_reading_it_changes_nothing_for_later_cases():
    def destructive(blocks):
        m, s = -np.inf, 0.0
        for b in blocks:
            m_new = max(m, np.max(b))
            if m_new > -np.inf:
                s, m = s * np.exp(m - m_new) + np.sum(np.exp(b - m_new)), m_new
            b[...] = 0.0                       # the learner reuses the block's memory
        return m + np.log(s)
    assert check_online_logsumexp(destructive).passed
