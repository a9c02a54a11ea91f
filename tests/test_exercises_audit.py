"""Tests for softmax_lab.exercises.audit (lesson 11): the right sparsemax passes, each typical wrong one
fails with its own hint, and the verdict quiz reports every wrong answer."""

import warnings

import numpy as np
import pytest

from softmax_lab import softmax
from softmax_lab.alternatives import sparsemax
from softmax_lab.exercises import AUDIT_QUIZ, check_sparsemax, check_verdicts
from softmax_lab.exercises.audit import HINTS

# --------------------------------------------------------------------------------------------
# sparsemax: right answers
# --------------------------------------------------------------------------------------------


def by_sorting(z):
    z = np.asarray(z, dtype=float)
    srt = -np.sort(-z, axis=-1)
    k = np.arange(1, z.shape[-1] + 1)
    cumulative = np.cumsum(srt, axis=-1)
    with np.errstate(invalid="ignore"):
        support = 1 + k * srt > cumulative
    size = np.count_nonzero(support, axis=-1)[..., None]
    tau = (np.take_along_axis(cumulative, size - 1, axis=-1) - 1) / size
    return np.maximum(z - tau, 0)


def row_by_row(z):
    """A loop over rows, each a plain Python computation: slow but right."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    for index in np.ndindex(z.shape[:-1]):
        row = z[index]
        srt = sorted(row, reverse=True)
        total, best = 0.0, None
        for k, value in enumerate(srt, start=1):
            total += value
            if 1 + k * value > total:
                best = (total - 1) / k
        out[index] = np.maximum(row - best, 0)
    return out


def by_bisection(z):
    """The threshold found by bisection on the sum, not by sorting."""
    z = np.asarray(z, dtype=float)
    low = np.max(z, axis=-1, keepdims=True) - 1.0
    high = np.max(z, axis=-1, keepdims=True)
    for _ in range(100):
        mid = (low + high) / 2
        too_much = np.sum(np.maximum(z - mid, 0), axis=-1, keepdims=True) > 1
        low, high = np.where(too_much, mid, low), np.where(too_much, high, mid)
    return np.maximum(z - (low + high) / 2, 0)


@pytest.mark.parametrize("fn", [by_sorting, row_by_row, by_bisection, sparsemax])
def test_right_sparsemax_passes(fn, capsys):
    result = check_sparsemax(fn)
    assert result.passed, str(result)
    assert "cases passed" in capsys.readouterr().out


def test_unattempted_gets_a_nudge(capsys):
    def my_sparsemax(z):
        raise NotImplementedError

    result = check_sparsemax(my_sparsemax)
    assert not result.passed and not result.attempted
    assert "not attempted yet" in capsys.readouterr().out


# --------------------------------------------------------------------------------------------
# sparsemax: typical wrong answers, each with its own hint
# --------------------------------------------------------------------------------------------


def _tau_rows(z, condition="right", minus=1.0):
    srt = -np.sort(-z, axis=-1)
    k = np.arange(1, z.shape[-1] + 1)
    cumulative = np.cumsum(srt, axis=-1)
    with np.errstate(invalid="ignore"):
        support = (1 + k * srt > cumulative) if condition == "right" else (1 + (k - 1) * srt > cumulative)
    size = np.maximum(np.count_nonzero(support, axis=-1), 1)[..., None]
    return (np.take_along_axis(cumulative, size - 1, axis=-1) - minus) / size


def softmax_instead(z):
    return softmax(z)


def threshold_from_all_scores(z):
    z = np.asarray(z, dtype=float)
    return np.maximum(z - (z.sum(axis=-1, keepdims=True) - 1) / z.shape[-1], 0)


def support_off_by_one(z):
    z = np.asarray(z, dtype=float)
    return np.maximum(z - _tau_rows(z, "off_by_one"), 0)


def forgot_minus_one(z):
    z = np.asarray(z, dtype=float)
    return np.maximum(z - _tau_rows(z, minus=0.0), 0)


def forgot_clip(z):
    z = np.asarray(z, dtype=float)
    return z - _tau_rows(z)


def returns_sorted_order(z):
    z = np.asarray(z, dtype=float)
    return np.maximum(-np.sort(-z, axis=-1) - _tau_rows(z), 0)


def one_threshold_for_the_batch(z):
    z = np.asarray(z, dtype=float)
    flat = z.reshape(1, -1)
    return np.maximum(z - _tau_rows(flat)[0, 0], 0)


def nan_on_masks(z):
    z = np.asarray(z, dtype=float)
    srt = -np.sort(-z, axis=-1)
    k = np.arange(1, z.shape[-1] + 1)
    cumulative = np.cumsum(srt, axis=-1)
    mean_gap = cumulative - k * srt                  # -inf - -inf = NaN on a masked row
    support = np.nan_to_num(mean_gap, nan=np.nan) < 1
    size = np.count_nonzero(support, axis=-1)[..., None]
    tau = (np.take_along_axis(cumulative, size - 1, axis=-1) - 1) / size
    return np.where(np.isfinite(mean_gap).all(axis=-1, keepdims=True), np.maximum(z - tau, 0), np.nan)


def sorts_in_place(z):
    z.sort(axis=-1)                                  # mutates the learner's input
    return by_sorting(z[..., ::-1])


WRONG = [
    (softmax_instead, "softmax"),
    (threshold_from_all_scores, "no_support"),
    (support_off_by_one, "off_by_one"),
    (forgot_minus_one, "no_minus_one"),
    (forgot_clip, "no_clip"),
    (returns_sorted_order, "sorted_output"),
    (one_threshold_for_the_batch, "row"),
    (nan_on_masks, "mask"),
]


@pytest.mark.parametrize("fn, key", WRONG, ids=[fn.__name__ for fn, _ in WRONG])
def test_typical_mistake_gets_its_own_hint(fn, key, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = check_sparsemax(fn)
    assert not result.passed and result.attempted
    assert result.hint == HINTS[key], (key, result.hint)


def test_the_hints_differ():
    assert len({HINTS[key] for _, key in WRONG}) == len(WRONG)


def test_an_input_sorted_in_place_is_reported(capsys):
    result = check_sparsemax(sorts_in_place)
    assert not result.passed
    assert "modified" in result.message or "changed the array" in result.hint


# --------------------------------------------------------------------------------------------
# The verdict quiz
# --------------------------------------------------------------------------------------------

RIGHT_VERDICTS = {"sparsemax_sums_to_one": "holds", "softmax_never_zero": "wrong",
                  "temperature_changes_top": "wrong", "sigmoid_attention_sums_to_one": "wrong"}


def test_right_verdicts_pass_and_case_and_spaces_do_not_matter(capsys):
    assert check_verdicts(RIGHT_VERDICTS).passed
    assert check_verdicts({k: f"  {v.upper()} " for k, v in RIGHT_VERDICTS.items()}).passed


def test_every_wrong_verdict_is_reported_not_only_the_first(capsys):
    answers = dict(RIGHT_VERDICTS, softmax_never_zero="holds", sigmoid_attention_sums_to_one="holds")
    result = check_verdicts(answers)
    assert not result.passed and result.failed_case == 2
    assert "2 of 4" in result.message
    assert "softmax_never_zero" in result.message and "sigmoid_attention_sums_to_one" in result.message
    assert "sparsemax_sums_to_one" not in result.message
    assert "underflows" in result.hint             # the computed reason is shown, item by item


def test_the_quiz_reasons_are_computed_and_true():
    _, _, why = AUDIT_QUIZ["softmax_never_zero"]
    assert "gives 0 " in why()
    assert float(softmax([0.0, -800.0])[1]) == 0.0


def test_never_exactly_zero_is_judged_as_computed_like_lesson_01():
    """Lesson 01 shows a probability underflowing to exactly 0 in floating point: a statement about
    what softmax computes that says "never exactly 0" is wrong, not "holds" (nor true in part)."""
    statement, verdict, _ = AUDIT_QUIZ["softmax_never_zero"]
    assert "float64" in statement                                   # the statement is about what is computed
    counterexample = float(softmax(np.array([0.0, -800.0]))[1])
    assert counterexample == 0.0 and verdict == "wrong"


def test_blank_partial_and_unknown_answers(capsys):
    blank = check_verdicts({k: None for k in AUDIT_QUIZ})
    assert not blank.attempted
    partial = check_verdicts({"sparsemax_sums_to_one": "holds"})
    assert partial.attempted and not partial.passed and "not answered yet" in partial.message
    unknown = check_verdicts(dict(RIGHT_VERDICTS, extra="holds"))
    assert not unknown.passed and "extra" in unknown.message
    not_a_choice = check_verdicts(dict(RIGHT_VERDICTS, sparsemax_sums_to_one="true"))
    assert not not_a_choice.passed and "is not one of" in not_a_choice.message


# --------------------------------------------------------------------------------------------
# The answers of lesson 11's predictions
# --------------------------------------------------------------------------------------------

def test_lesson_11_predictions_are_registered_with_the_numbers_the_lesson_explains():
    from softmax_lab.exercises.predict import registered_predictions

    answers = {p.key: p.value() for p in registered_predictions("11")}
    assert set(answers) == {"11.hot-top-word", "11.sampled-mat", "11.greedy-repetition", "11.float16-break",
                            "11.sparsemax-zeros"}
    assert answers["11.hot-top-word"] is False                           # 0.27 at T = 5
    assert abs(answers["11.sampled-mat"] - 0.38) < 0.01
    assert abs(answers["11.greedy-repetition"] - 0.63) < 0.01
    assert answers["11.float16-break"] == 11
    assert answers["11.sparsemax-zeros"] == 3
    kinds = {p.key: p.kind for p in registered_predictions("11")}
    assert kinds["11.sampled-mat"] == kinds["11.greedy-repetition"] == "share"          # shares, not numbers
    assert kinds["11.float16-break"] == kinds["11.sparsemax-zeros"] == "count"
