"""Lesson 05's checks against wrong answers: each typical mistake fails, with a hint that names it
(the log-softmax check went: no lesson used it).

The learners below are written as a confused learner would write them, each with one mistake.
"""

import numpy as np
import pytest

from softmax_lab import log_softmax, naive_softmax
from softmax_lab.exercises import check_logsumexp, predict
from softmax_lab.exercises import stability as st


def lse_right(z):
    m = np.max(z, axis=-1, keepdims=True)
    return (m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True)))[..., 0]


def lse_min_shift(z):
    m = np.min(z, axis=-1, keepdims=True)
    return (m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True)))[..., 0]


def lse_mean(z):
    m = np.max(z, axis=-1, keepdims=True)
    return (m + np.log(np.mean(np.exp(z - m), axis=-1, keepdims=True)))[..., 0]


def lse_max_only(z):
    return np.max(z, axis=-1)


def lse_log10(z):
    m = np.max(z, axis=-1, keepdims=True)
    return (m + np.log10(np.sum(np.exp(z - m), axis=-1, keepdims=True)))[..., 0]


def lse_log2(z):
    m = np.max(z, axis=-1, keepdims=True)
    return (m + np.log2(np.sum(np.exp(z - m), axis=-1, keepdims=True)))[..., 0]


def lse_mask_to_zero(z):
    return lse_right(np.nan_to_num(z, neginf=0.0))


def lse_whole_batch(z):
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m)))


LSE_WRONG = [
    (lse_min_shift, "not the minimum"),
    (lse_mean, "don't average"),
    (lse_max_only, "only the maximum"),
    (lse_log10, "np.log10"),
    (lse_log2, "np.log2"),
    (lse_mask_to_zero, "keep -inf as it is"),
    (lse_whole_batch, "one number per ROW"),
]


def test_right_answers_pass(capsys):
    assert check_logsumexp(lse_right).passed


@pytest.mark.parametrize("learner, fragment", LSE_WRONG, ids=[w[0].__name__ for w in LSE_WRONG])
def test_each_logsumexp_mistake_fails_with_its_own_hint(learner, fragment, capsys):
    result = check_logsumexp(learner)
    assert not result.passed and result.attempted
    assert fragment in result.hint, result.hint


def test_every_mistake_gets_a_different_hint(capsys):
    hints = [check_logsumexp(learner).hint for learner, _ in LSE_WRONG]
    assert len(set(hints)) == len(hints)


# --------------------------------------------------------------------------------------------
# Question 1: the largest float32 logit, at or below the true limit
# --------------------------------------------------------------------------------------------

def test_the_limit_is_where_naive_softmax_really_breaks():
    limit = st.largest_float32_logit()
    with np.errstate(all="ignore"):
        assert np.isfinite(naive_softmax(np.array([limit, 0.0], dtype=np.float32))).all()
        above = np.nextafter(np.float32(limit), np.float32(np.inf))
        assert np.isnan(naive_softmax(np.array([above, 0.0], dtype=np.float32))).any()
    assert 88.72 < limit < 88.73


@pytest.mark.parametrize("answer", [88.72, 88.7228])
def test_float32_ceiling_accepts_the_largest_two_decimal_value_that_works(answer, capsys):
    assert st.check_float32_ceiling(answer).passed


@pytest.mark.parametrize("answer, fragment", [
    (88.73, "round DOWN"),              # accepted before issue 11, although naive_softmax gives NaN there
    (88.8, "round DOWN"),
    (np.log(float(np.finfo(np.float32).max)) + 1e-6, "round DOWN"),
    (88.71, "not the largest"),
    (88.0, "not the largest"),
    (11.09, "float16's limit"),
    (709.78, "float64's limit"),
    (3.4e38, "largest float32 NUMBER"),
    (128.0, "log base 2"),
    (38.53, "log base 10"),
    (42.0, "rounded down to two decimals"),
])
def test_float32_ceiling_wrong_answers_get_their_hint(answer, fragment, capsys):
    result = st.check_float32_ceiling(answer)
    assert not result.passed and fragment in result.hint, result.hint
    assert "at or below the limit" in result.message and "two decimals" in result.message


@pytest.mark.parametrize("answer", [1000.693, 1000.6931, 1000 + np.log(2)])
def test_lse_question_accepts_three_decimals(answer, capsys):
    assert st.check_lse_1000(answer).passed


@pytest.mark.parametrize("answer, fragment", [
    (1000.0, "maximum alone"), (1001.0, "log base 2"), (1000.301, "log base 10"), (2000.0, "not added"),
    (0.693, "add the shift back"), (1000.69, "three decimals"), (999.0, "a little more than the maximum"),
])
def test_lse_question_wrong_answers_get_their_hint(answer, fragment, capsys):
    result = st.check_lse_1000(answer)
    assert not result.passed and fragment in result.hint, result.hint


# --------------------------------------------------------------------------------------------
# The predictions of lesson 05
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key, guess, right", [
    ("05.float16-ceiling", 11.1, True), ("05.float16-ceiling", 11.0, False), ("05.float16-ceiling", 88.7, False),
    ("05.where-break", "at it", True), ("05.where-break", "below it", False),
    ("05.float16-scale", 5.5, True), ("05.float16-scale", 5.6, True), ("05.float16-scale", 11.1, False),
    ("05.underflow-naive", "NaN", True), ("05.underflow-naive", "zeros", False),
    ("05.float32-scale", 44, True), ("05.float32-scale", 45, False),
    ("05.float64-scale", 355, True), ("05.float64-scale", 354, False),
    ("05.float32-shift-break", 87, True), ("05.float32-shift-break", 86, False),
    ("05.lse-big", "1001", True), ("05.lse-big", "1000", False),
    ("05.log-of-softmax-120", "-inf", True), ("05.log-of-softmax-120", "-120", False),
    ("05.log-softmax-120", -120, True), ("05.log-softmax-120", 0, False),
    ("05.loss-200", 200, True), ("05.loss-200", 16.1, False),
    ("05.bfloat16-e50", "yes", True), ("05.bfloat16-e50", "no", False),
    ("05.bfloat16-count", 256, True), ("05.bfloat16-count", 1000, False),
])
def test_lesson_05_predictions(key, guess, right, capsys):
    assert predict(key, guess).right is right


def test_the_log_softmax_answer_is_what_the_lesson_prints():
    assert log_softmax(np.array([0.0, -120.0], dtype=np.float32))[1] == -120.0
