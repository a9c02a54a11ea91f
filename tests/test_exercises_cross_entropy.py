"""Lesson 04's checks against wrong answers: each typical mistake fails, with a hint that names it.

The learners below are written as a confused learner would write them, each with one mistake.
"""

import numpy as np
import pytest

from softmax_lab import log_softmax, softmax
from softmax_lab.exercises import check_cross_entropy_grad, predict
from softmax_lab.exercises import cross_entropy as ce


def one_hot(t, K):
    return np.eye(K)[t]


def stable_softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def right(z, t):
    return (stable_softmax(z) - one_hot(t, z.shape[-1])) / len(t)


def over_every_entry(z, t):                      # np.mean-style: divides by N * K
    g = stable_softmax(z) - one_hot(t, z.shape[-1])
    return g / g.size


def mean_only_on_y(z, t):
    return stable_softmax(z) - one_hot(t, z.shape[-1]) / len(t)


def one_hot_by_columns(z, t):
    y = np.zeros_like(z)
    y[:, t] = 1.0
    return (stable_softmax(z) - y) / len(t)


def one_hot_by_rows(z, t):
    g = stable_softmax(z)
    g[t] -= 1.0
    return g / len(t)


def predicted_class_as_target(z, t):
    p = stable_softmax(z)
    return (p - one_hot(np.argmax(p, axis=-1), z.shape[-1])) / len(t)


def logits_as_probabilities(z, t):
    return (z - one_hot(t, z.shape[-1])) / len(t)


def double_softmax(z, t):
    return (stable_softmax(stable_softmax(z)) - one_hot(t, z.shape[-1])) / len(t)


def log_probabilities(z, t):
    return (log_softmax(z) - one_hot(t, z.shape[-1])) / len(t)


def mask_replaced_by_zero(z, t):
    return right(np.where(np.isneginf(z), 0.0, z), t)


def one_sum_for_the_batch(z, t):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return (e / np.sum(e) - one_hot(t, z.shape[-1])) / len(t)


def computed_in_float32(z, t):
    return right(np.asarray(z, dtype=np.float32), t)


def without_the_shift(z, t):
    e = np.exp(z)
    return (e / np.sum(e, axis=-1, keepdims=True) - one_hot(t, z.shape[-1])) / len(t)


WRONG = [
    (over_every_entry, "N * K"),
    (mean_only_on_y, "applies to the whole gradient"),
    (one_hot_by_columns, "row by row"),
    (one_hot_by_rows, "index both axes"),
    (predicted_class_as_target, "TARGET class"),
    (logits_as_probabilities, "the inputs are logits"),
    (double_softmax, "apply softmax once"),
    (log_probabilities, "not the log-probabilities"),
    (mask_replaced_by_zero, "keep -inf as it is"),
    (one_sum_for_the_batch, "sum along the last axis"),
    (computed_in_float32, "7 digits"),
    (without_the_shift, "subtract the maximum"),
]


def test_the_right_gradient_passes(capsys):
    assert check_cross_entropy_grad(right).passed


@pytest.mark.parametrize("learner, fragment", WRONG, ids=[w[0].__name__ for w in WRONG])
def test_each_typical_mistake_fails_with_its_own_hint(learner, fragment, capsys):
    result = check_cross_entropy_grad(learner)
    assert not result.passed and result.attempted
    assert fragment in result.hint, result.hint


def test_every_mistake_gets_a_different_hint(capsys):
    hints = [check_cross_entropy_grad(learner).hint for learner, _ in WRONG]
    assert len(set(hints)) == len(hints)


# --------------------------------------------------------------------------------------------
# Question 1: the loss at p = 0.25, in nats to two decimals
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("answer", [1.39, 1.386, 1.3863, 1.38, np.log(4)])
def test_quarter_loss_accepts_answers_rounded_to_two_decimals(answer, capsys):
    assert ce.check_quarter_loss(answer).passed


@pytest.mark.parametrize("answer, fragment", [
    (-1.386, "mind the sign"),
    (0.602, "log base 10"),
    (2.0, "bits"),
    (0.25, "probability itself"),
    (0.75, "1 - p"),
    (1.4, "two decimals"),
    (1.2, "natural logarithm"),
    (float("nan"), "finite number"),
])
def test_quarter_loss_wrong_answers_get_their_hint(answer, fragment, capsys):
    result = ce.check_quarter_loss(answer)
    assert not result.passed and fragment in result.hint
    assert "two decimals" in result.message          # the precision asked for is stated


def test_quarter_loss_nudges_and_reads_a_number_typed_as_text(capsys):
    assert not ce.check_quarter_loss(None).attempted
    assert ce.check_quarter_loss("1.39").passed and ce.check_quarter_loss("1,39").passed


# --------------------------------------------------------------------------------------------
# The predictions of lesson 04 agree with the lesson's numbers
# --------------------------------------------------------------------------------------------

def test_mat_passes_one_half_after_the_fourth_step():
    assert ce.steps_until_mat_passes_half() == 4
    z = np.array(ce.STEPPER_LOGITS)
    history = []
    for _ in range(5):
        history.append(softmax(z)[0])
        z = z - ce.STEPPER_LEARNING_RATE * (softmax(z) - np.eye(3)[0])
    assert history[3] < 0.5 < softmax(z)[0]


@pytest.mark.parametrize("key, guess, right", [
    ("04.loss-at-half", 0.69, True), ("04.loss-at-half", 0.70, True), ("04.loss-at-half", 0.5, False),
    ("04.loss-at-hundredth", 4.61, True), ("04.loss-at-hundredth", 4.60, True), ("04.loss-at-hundredth", 2.0, False),
    ("04.negative-gradient", "mat", True), ("04.negative-gradient", "floor and roof", False),
    ("04.equal-steps", "no", True), ("04.equal-steps", "yes", False),
    ("04.mat-passes-half", 4, True), ("04.mat-passes-half", 3, False),
    ("04.roof-loss-vs-mat", "the same", True), ("04.roof-loss-vs-mat", "smaller", False),
    ("04.double-softmax-loss", "larger", True), ("04.double-softmax-loss", "smaller", False),
])
def test_lesson_04_predictions(key, guess, right, capsys):
    assert predict(key, guess).right is right
