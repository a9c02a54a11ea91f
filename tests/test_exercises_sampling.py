"""Lesson 06's checks against wrong answers: each typical mistake fails, with a hint that names it.

The learners below are written as a confused learner would write them, each with one mistake
(tests/test_exercises.py has the off-by-one rules at exactly p, the ties and the temperature order).
"""

import numpy as np
import pytest

from softmax_lab import lm, softmax
from softmax_lab.exercises import check_top_p, predict
from softmax_lab.exercises import sampling as sa
from softmax_lab.sampling import sampling_distribution


def make(order="desc", weights="probs", rule="running", temperature_op="divide", unmask=False, output="logits"):
    """A learner's top-p filter; the defaults are right, each argument names one mistake."""
    def top_p(z, p, temperature=1.0):
        z = np.asarray(z, dtype=float)
        zt = z / temperature if temperature_op == "divide" else z * temperature
        finite = np.isfinite(z)
        q = softmax(np.where(finite, zt, 0.0) if unmask else zt)
        if order == "desc":
            idx = np.argsort(-q, kind="stable")
        elif order == "asc":
            idx = np.argsort(q, kind="stable")
        else:
            idx = np.arange(len(z))
        w = {"probs": q, "logits": np.where(finite, zt, 0.0),
             "unnormalised": np.where(finite, np.exp(zt - np.max(zt)), 0.0)}[weights]
        keep = np.zeros(len(z), dtype=bool)
        if rule == "running":
            ahead = np.cumsum(w[idx]) - w[idx]
            keep[idx] = (ahead < p) | (p >= 1)
            keep[idx[0]] = True
        else:                                       # a threshold on each token's own probability
            keep = q >= p
            keep[np.argmax(q)] = True
        keep &= finite
        if output == "logits":
            return np.where(keep, zt, -np.inf)
        if output == "renormalised_log":
            kept = np.where(keep, zt, -np.inf)
            return kept - np.log(np.sum(np.exp(kept[keep] - np.max(kept[keep])))) - np.max(kept[keep])
        if output == "probabilities":
            return np.where(keep, q / q[keep].sum(), -np.inf)
        return keep                                 # the mask itself
    return top_p


WRONG = [
    (dict(order="asc"), "MOST probable"),
    (dict(order="index"), "sort the probabilities before the running sum"),
    (dict(weights="logits"), "add up PROBABILITIES"),
    (dict(weights="unnormalised"), "normalise before adding up"),
    (dict(rule="per_token"), "RUNNING SUM"),
    (dict(unmask=True), "keep -inf as it is"),
    (dict(temperature_op="multiply"), "DIVIDE the logits"),
    (dict(output="renormalised_log"), "shifted by the same constant"),
    (dict(output="probabilities"), "return logits, not probabilities"),
    (dict(output="mask"), "-inf"),
]


def test_the_right_filter_passes(capsys):
    assert check_top_p(make()).passed


@pytest.mark.parametrize("mistake, fragment", WRONG, ids=["-".join(f"{k}={v}" for k, v in w[0].items()) for w in WRONG])
def test_each_typical_mistake_fails_with_its_own_hint(mistake, fragment, capsys):
    result = check_top_p(make(**mistake))
    assert not result.passed and result.attempted
    assert fragment in result.hint, result.hint


def test_most_mistakes_get_a_different_hint(capsys):
    # adding up exp(z - max) unnormalised keeps only the top token, exactly what dropping the crossing
    # token does on the crossing case: that hint names both (tested above); the others are all different
    hints = [check_top_p(make(**mistake)).hint for mistake, _ in WRONG if mistake != dict(weights="unnormalised")]
    assert len(set(hints)) == len(hints)


# --------------------------------------------------------------------------------------------
# Question 1: how many words top-p = 0.5 keeps
# --------------------------------------------------------------------------------------------

def _kept(**settings):
    model = lm.load("best")
    return int(np.count_nonzero(sampling_distribution(lm.next_token_logits(model, sa.PROMPT), **settings)))


def test_top_p_words_right_answer(capsys):
    assert _kept(top_p=0.5) == 2
    assert sa.check_top_p_words(2).passed
    assert sa.check_top_p_words(2.0).passed


@pytest.mark.parametrize("answer, fragment", [
    (1, "keep the word that crosses p"), (3, "one word too many"), (10, "top-p = 0.9"), (2.5, "whole number"),
    (7, "add up the probabilities"),
])
def test_top_p_words_wrong_answers_get_their_hint(answer, fragment, capsys):
    result = sa.check_top_p_words(answer)
    assert not result.passed and fragment in result.hint, result.hint
    assert "whole number" in result.message


# --------------------------------------------------------------------------------------------
# The predictions of lesson 06, and the numbers their explanations quote
# --------------------------------------------------------------------------------------------

def test_the_explanations_quote_the_model_s_numbers():
    model = lm.load("best")
    probs = softmax(lm.next_token_logits(model, sa.PROMPT))
    order = np.argsort(-probs, kind="stable")
    assert round(float(probs[order[:9]].sum()), 3) == 0.896 and model.vocab[order[9]] == "bench"
    kept_min_p = {model.vocab[i] for i in np.flatnonzero(sampling_distribution(probs * 0 + np.log(probs),
                                                                                min_p=0.1))}
    assert kept_min_p == {"mat", "floor", "sofa", "bed", "chair"}
    assert round(float(probs[order[0]]), 3) == 0.384 and round(float(probs[order[10:]].sum()), 2) == 0.09


@pytest.mark.parametrize("key, guess, right", [
    ("06.tail", 0.09, True), ("06.tail", 0.5, False), ("06.tail", 9, None),   # 9 for 9%: a scale hint
    ("06.greedy-repeats", "yes", True), ("06.greedy-repeats", "no", False),
    ("06.mat-draws", 770, True), ("06.mat-draws", 800, False), ("06.mat-draws", 2000, False),
    ("06.tail-draws", 180, True), ("06.tail-draws", 20, False),
    ("06.top-p-0.9-words", 10, True), ("06.top-p-0.9-words", 9, False),
    ("06.min-p-0.1-words", 5, True), ("06.min-p-0.1-words", 10, False),
    ("06.top-p-0.6-words", 3, True), ("06.top-p-0.6-words", 2, False),
    ("06.top-p-cold-words", 1, True), ("06.top-p-cold-words", 3, False),
    ("06.diversity-with-T", "up", True), ("06.diversity-with-T", "down", False),
    ("06.log-prob-with-T", "down", True), ("06.log-prob-with-T", "up", False),
])
def test_lesson_06_predictions(key, guess, right, capsys):
    assert predict(key, guess).right is right
