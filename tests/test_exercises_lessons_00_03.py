"""Lessons 00-03 (issue 11): wrong answers a confused learner could give must fail, each with its own hint.

Each learner below has one typical mistake. The test names the mistake, and checks that the check
fails (at the case built to expose it, where there is one) with a hint that names the fix. The
notebooks' predict-then-reveal structure is checked at the end: every prompt is followed by a
``predict(...)`` cell, every "What you should have seen" is collapsed, every key is registered.
"""

import json
import pathlib
import re

import numpy as np
import pytest

from softmax_lab import log_sigmoid, sigmoid, softmax
from softmax_lab.exercises import (
    OUTPUT_LAYER_QUESTIONS,
    basics,
    check_answer,
    check_log_sigmoid,
    check_output_layer,
    check_softmax,
    check_temperature_answer,
)
from softmax_lab.exercises import (
    sigmoid as sigmoid_module,
)
from softmax_lab.exercises.predict import registered_predictions

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = {"00": "00_start_here.ipynb", "01": "01_softmax_basics.ipynb",
           "02": "02_temperature_and_overconfidence.ipynb", "03": "03_softmax_vs_sigmoid.ipynb"}


def _tag_of_failed_case(result, cases):
    return cases[result.failed_case - 1].tag


# --------------------------------------------------------------------------------------------
# check_softmax: shifts other than the row maximum, and other confusions
# --------------------------------------------------------------------------------------------

def _shifted_softmax(reduce):
    def learner(z):
        finite = np.where(np.isfinite(z), z, np.nan)        # careful with masks: only finite entries
        e = np.exp(z - reduce(finite, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)
    return learner


def test_the_battery_has_a_wide_unmasked_row():
    wide = [c for c in basics._softmax_cases()
            if np.isfinite(c.args[0]).all() and (np.ptp(c.args[0], axis=-1) > 710).any()]
    assert wide, "no row whose logits span more than exp can take"


@pytest.mark.parametrize("reduce, fragment", [
    (np.nanmin, "not the minimum"), (np.nanmean, "not its mean"), (np.nanmedian, "subtract the max"),
], ids=["minimum", "mean", "median"])
def test_a_softmax_shifted_by_something_other_than_the_maximum_fails_on_the_wide_row(reduce, fragment):
    result = check_softmax(_shifted_softmax(reduce))
    assert not result.passed
    assert _tag_of_failed_case(result, basics._softmax_cases()) == "wide"
    assert fragment in result.hint.lower() or fragment in result.hint


def test_shifting_by_the_minimum_returns_nan_for_1000_0_and_is_told_why():
    learner = _shifted_softmax(np.nanmin)
    with np.errstate(all="ignore"):
        assert np.isnan(learner(np.array([1000.0, 0.0]))).any()      # the bug the issue found
    result = check_softmax(learner)
    assert "exp(2000)" in result.hint and "MAXIMUM" in result.hint


def test_shifting_by_the_largest_absolute_value():
    def abs_max(z):
        e = np.exp(z - np.max(np.abs(z), axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)

    result = check_softmax(abs_max)
    assert not result.passed and "largest absolute value" in result.hint


@pytest.mark.parametrize("learner, fragment", [
    (lambda z: np.exp(z - np.max(z, axis=-1, keepdims=True)) / np.sum(np.exp(z), axis=-1, keepdims=True),
     "in the denominator too"),
    (lambda z: np.exp(np.clip(z, -500, 500)) / np.sum(np.exp(np.clip(z, -500, 500)), axis=-1, keepdims=True),
     "clipping the logits"),
    (lambda z: z - np.max(z, axis=-1, keepdims=True)
     - np.log(np.sum(np.exp(z - np.max(z, axis=-1, keepdims=True)), axis=-1, keepdims=True)),
     "log of the softmax"),
    (lambda z: (lambda e: e / np.max(e, axis=-1, keepdims=True))(np.exp(z - np.max(z, axis=-1, keepdims=True))),
     "dividing by their maximum"),
], ids=["shift_only_on_top", "clipped_logits", "log_softmax", "divided_by_the_maximum"])
def test_other_wrong_softmaxes_get_their_own_hint(learner, fragment):
    result = check_softmax(learner)
    assert not result.passed
    assert fragment in result.hint


def test_a_mask_replaced_by_zero_gets_the_mask_hint():
    def mask_to_zero(z):
        z = np.where(np.isneginf(z), 0.0, z)
        e = np.exp(z - np.max(z, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)

    result = check_softmax(mask_to_zero)
    assert _tag_of_failed_case(result, basics._softmax_cases()) == "mask"
    assert "-inf is a mask" in result.hint


# --------------------------------------------------------------------------------------------
# check_log_sigmoid (lesson 03's exercise)
# --------------------------------------------------------------------------------------------

def good_log_sigmoid(x):
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def where_log_sigmoid(x):
    """Both branches safe: -log1p(exp(-|x|)) plus x where x < 0."""
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, -np.log1p(e), x - np.log1p(e))


@pytest.mark.parametrize("learner", [good_log_sigmoid, where_log_sigmoid, lambda x: -np.logaddexp(0, -x),
                                     log_sigmoid], ids=["min_form", "where_form", "logaddexp", "library"])
def test_right_log_sigmoids_pass(learner, capsys):
    result = check_log_sigmoid(learner)
    assert result.passed and result.n_cases >= 8
    assert "all" in capsys.readouterr().out


def _errstate(fn):
    def quiet_learner(x):
        with np.errstate(all="ignore"):
            return fn(x)
    return quiet_learner


def _zeros_like_learner(x):
    out = np.zeros_like(x)                       # an integer array for integer x
    pos = x >= 0
    out[pos] = -np.log1p(np.exp(-x[pos]))
    out[~pos] = x[~pos] - np.log1p(np.exp(x[~pos]))
    return out


def _in_place(x):
    np.negative(x, out=x)                        # flips the caller's array
    return log_sigmoid(-x)


WRONG_LOG_SIGMOIDS = {
    # name: (learner, tag of the case that must catch it (or None), a fragment of the hint)
    "textbook log(1 / (1 + exp(-x)))": (lambda x: np.log(1 / (1 + np.exp(-x))), "negative", "exp(1000)"),
    "textbook, warnings silenced": (_errstate(lambda x: np.log(1 / (1 + np.exp(-x)))), "negative", "-inf"),
    "log of a stable sigmoid": (lambda x: np.log(sigmoid(x)), "negative", "don't take the log of the sigmoid"),
    "log of a stable sigmoid, warnings silenced": (_errstate(lambda x: np.log(sigmoid(x))), "negative",
                                                   "underflows to exactly 0"),
    "-log1p(exp(-x)) only (right for x >= 0)": (lambda x: -np.log1p(np.exp(-x)), "negative", "x - log(1 + exp(x))"),
    "x - log1p(exp(x)) only (right for x < 0)": (lambda x: x - np.log1p(np.exp(x)), "positive", "safe for x < 0 only"),
    "np.where over two unsafe branches": (
        lambda x: np.where(x >= 0, -np.log1p(np.exp(-x)), x - np.log1p(np.exp(x))), "negative", "BOTH a and b"),
    "clip before the log": (lambda x: np.log(np.clip(sigmoid(x), 1e-12, 1.0)), "negative", "floor"),
    "epsilon before the log": (lambda x: np.log(sigmoid(x) + 1e-7), None, "floor"),
    "the minus sign dropped": (lambda x: -good_log_sigmoid(x), "basic", "never positive"),
    "log sigmoid(-x)": (lambda x: good_log_sigmoid(-np.asarray(x, dtype=float)), "basic", "mind the sign"),
    "softplus(x)": (lambda x: np.logaddexp(0, x), "basic", "softplus"),
    "the sigmoid, no log": (lambda x: sigmoid(x), "basic", "sigmoid(x) itself"),
    "min(x, 0) forgotten": (lambda x: -np.log1p(np.exp(-np.abs(x))), "basic", "dropped a term"),
    "only min(x, 0)": (lambda x: np.minimum(x, 0.0), "basic", "correction"),
    "log10": (lambda x: np.log10(sigmoid(x)), "basic", "natural logarithm"),
    "np.zeros_like on integer input": (_zeros_like_learner, "int", "INTEGER array"),
    "input changed in place": (_in_place, "basic", "changed the array it was given"),
    "a sum instead of one value per entry": (lambda x: np.sum(good_log_sigmoid(x)), "basic", "one value per entry"),
}


@pytest.mark.parametrize("name", list(WRONG_LOG_SIGMOIDS))
def test_wrong_log_sigmoids_fail_with_a_specific_hint(name, capsys):
    learner, tag, fragment = WRONG_LOG_SIGMOIDS[name]
    result = check_log_sigmoid(learner)
    out = capsys.readouterr().out
    assert not result.passed and result.attempted, name
    if tag is not None:
        assert _tag_of_failed_case(result, sigmoid_module._log_sigmoid_cases()) == tag, (name, result.failed_case)
    assert fragment in result.hint, (name, result.hint)
    assert out.strip() == str(result)


def test_the_naive_forms_give_a_wrong_number_not_only_a_warning():
    with np.errstate(all="ignore"):
        naive = np.log(1 / (1 + np.exp(-np.array([-1000.0]))))
        logged = np.log(sigmoid(np.array([-1000.0])))
    assert np.isneginf(naive).all() and np.isneginf(logged).all()
    assert log_sigmoid(np.array([-1000.0]))[0] == -1000.0


def test_log_sigmoid_check_nudges(capsys):
    def unattempted(x):
        raise NotImplementedError

    assert not check_log_sigmoid(unattempted).attempted
    assert "without calling it" in check_log_sigmoid(np.array([0.5])).hint


# --------------------------------------------------------------------------------------------
# The output-layer quiz reports every wrong answer
# --------------------------------------------------------------------------------------------

RIGHT_ANSWERS = {"next_token": "softmax", "photo_tags": "sigmoid", "review_sentiment": "softmax",
                 "comment_flags": "sigmoid", "spam_or_not": "sigmoid"}


def test_every_wrong_quiz_answer_is_reported_not_only_the_first():
    answers = dict(RIGHT_ANSWERS, next_token="sigmoid", photo_tags="softmax", comment_flags="softmax")
    result = check_output_layer(answers)
    assert not result.passed and result.failed_case == 1
    assert "3 of 5" in result.message
    for key in ("next_token", "photo_tags", "comment_flags"):
        assert key in result.message and key in result.hint
    for key in ("review_sentiment", "spam_or_not"):
        assert key not in result.message


def test_a_quiz_with_one_right_answer_and_the_rest_missing_or_odd_lists_them_all():
    answers = {"next_token": "softmax", "photo_tags": "relu", "review_sentiment": None}
    result = check_output_layer(answers)
    assert "4 of 5" in result.message
    assert "'relu' is not one of the choices" in result.message
    assert result.message.count("not answered yet") == 3


def test_the_quiz_still_accepts_either_for_two_classes_and_ignores_case():
    assert check_output_layer({k: v.upper() + " " for k, v in RIGHT_ANSWERS.items()}).passed
    assert check_output_layer(dict(RIGHT_ANSWERS, spam_or_not="either")).passed
    assert not check_output_layer(dict(RIGHT_ANSWERS, next_token="either")).passed
    assert check_output_layer(dict(RIGHT_ANSWERS, photo_tags="Sigmoids", comment_flags="one  sigmoid per label")).passed


def test_quiz_questions_are_unchanged():
    assert set(OUTPUT_LAYER_QUESTIONS) == set(RIGHT_ANSWERS)


# --------------------------------------------------------------------------------------------
# The temperature search: more wrong searches
# --------------------------------------------------------------------------------------------

def _search(steps=60, swapped=False, returns="mid"):
    def find_temperature(logits, target):
        lo, hi = 1e-3, 1e3
        for _ in range(steps):
            mid = np.sqrt(lo * hi)
            too_sharp = softmax(logits, temperature=mid).max() > target
            if too_sharp != swapped:
                lo = mid
            else:
                hi = mid
        return mid if returns == "mid" else target
    return find_temperature


@pytest.mark.parametrize("learner, fragment", [
    (_search(steps=8), "stopped too early"),
    (_search(swapped=True), "only ever moved one way"),
    (_search(returns="target"), "target probability itself"),
], ids=["too_few_steps", "update_the_wrong_way_round", "returns_the_target"])
def test_wrong_temperature_searches_get_their_own_hint(learner, fragment):
    assert check_temperature_answer(_search()).passed
    result = check_temperature_answer(learner)
    assert not result.passed and fragment in result.hint


def test_a_number_read_off_the_slider_is_not_told_its_search_stopped_early():
    result = check_temperature_answer(0.7, [2.0, 1.0, 0.1], 0.8)
    assert not result.passed and "search" not in result.hint.split(":")[0]
    assert "too high" in result.hint


# --------------------------------------------------------------------------------------------
# The typed answers of lessons 00 and 01, run from the notebooks' own check cells
# --------------------------------------------------------------------------------------------

def _cells(lesson):
    return json.loads((NOTEBOOKS / LESSONS[lesson]).read_text(encoding="utf-8"))["cells"]


def _source(cell):
    return "".join(cell["source"])


def _check_cell(lesson, key):
    return next(_source(c) for c in _cells(lesson) if c["cell_type"] == "code"
                and _source(c).startswith(f'check_answer("{key}"'))


@pytest.mark.parametrize("value, right", [
    (2.72, True), (2.718, True), (np.e, True), (2.723, True), (0.659 / 0.242, True), (2.71, True),
    (2.0, False), (1 / np.e, False), (np.exp(2.0), False), (1.0, False), (2.69, False), (2.75, False),
])
def test_lesson_01_ratio_question_accepts_answers_from_rounded_printed_values(value, right, capsys):
    namespace = {"np": np, "check_answer": check_answer, "ratio_answer": value}
    exec("result = " + _check_cell("01", "01.probability-ratio"), namespace)
    assert namespace["result"].passed is right, value
    if not right:       # each known mistake is named; any other wrong value gets the general hint
        fragment = {2.0: "ratio of the logits", 1 / np.e: "floor / mat"}.get(value, "difference")
        assert fragment in namespace["result"].hint.lower()


@pytest.mark.parametrize("value, right", [(0.25, True), (1 / 4, True), (0.5, False), (1.0, False), (4, False)])
def test_lesson_00_equal_logits_question(value, right, capsys):
    namespace = {"np": np, "check_answer": check_answer, "answer": value}
    exec("result = " + _check_cell("00", "00.equal-logits"), namespace)
    assert namespace["result"].passed is right


# --------------------------------------------------------------------------------------------
# Predict, then reveal: the notebooks' structure
# --------------------------------------------------------------------------------------------

PROMPT = "**Predict first:**"
SEEN = "What you should have seen"


@pytest.mark.parametrize("lesson", list(LESSONS))
def test_every_prompt_is_followed_by_a_predict_cell_and_holds_no_reveal(lesson):
    cells = _cells(lesson)
    prompts = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and PROMPT in _source(c)]
    assert prompts, lesson
    for i in prompts:
        text = _source(cells[i])
        assert "<details>" not in text and SEEN not in text, f"{lesson} cell {i}: a reveal in the prompt's cell"
        after = cells[i + 1]
        assert after["cell_type"] == "code" and "predict(" in _source(after), f"{lesson} cell {i}: no predict cell"
        assert re.search(r"^\w+ = None  # ", _source(after), re.M), f"{lesson} cell {i + 1}: no guess to fill in"


@pytest.mark.parametrize("lesson", list(LESSONS))
def test_every_what_you_should_have_seen_is_collapsed_in_its_own_cell(lesson):
    for i, cell in enumerate(_cells(lesson)):
        text = _source(cell)
        assert f"**{SEEN}" not in text, f"{lesson} cell {i}: an open 'What you should have seen'"
        if cell["cell_type"] == "markdown" and f"<summary>{SEEN}" in text:
            assert text.startswith(f"<details><summary>{SEEN}</summary>"), f"{lesson} cell {i}"
            assert text.rstrip().endswith("</details>") and text.count("<details>") == 1, f"{lesson} cell {i}"
            assert PROMPT not in text


@pytest.mark.parametrize("lesson", list(LESSONS))
def test_the_notebook_uses_exactly_its_registered_predictions(lesson):
    code = "\n".join(_source(c) for c in _cells(lesson) if c["cell_type"] == "code")
    used = re.findall(r'predict\("([^"]+)"', code)
    registered = {p.key for p in registered_predictions(lesson)}
    assert len(used) == len(set(used)), f"{lesson}: a key is used twice"
    assert set(used) == registered, (sorted(set(used) ^ registered))


@pytest.mark.parametrize("lesson", list(LESSONS))
def test_number_predictions_state_their_precision(lesson):
    for entry in registered_predictions(lesson):
        if entry.kind == "number":
            assert re.search(r"to \d decimals?", entry.question), entry.key
        if entry.kind == "choice":
            assert all(c in entry.question or f"'{c}'" in entry.question for c in entry.choices), entry.key


# --------------------------------------------------------------------------------------------
# Papering over the overflow afterwards
# --------------------------------------------------------------------------------------------

def test_a_softmax_whose_nans_are_replaced_afterwards_is_told_to_shift_first():
    def patched(z):
        e = np.exp(z)
        return np.nan_to_num(e / np.sum(e, axis=-1, keepdims=True))     # NaN -> 0: rows sum to 0

    result = check_softmax(patched)
    assert _tag_of_failed_case(result, basics._softmax_cases()) == "overflow"
    assert "do not sum to 1" in result.hint and "subtract the maximum" in result.hint.lower()


def test_a_log_sigmoid_whose_minus_infinity_is_replaced_by_a_huge_number_fails_kindly():
    result = check_log_sigmoid(_errstate(lambda x: np.nan_to_num(np.log(1 / (1 + np.exp(-x))))))
    assert _tag_of_failed_case(result, sigmoid_module._log_sigmoid_cases()) == "negative"
    assert "-1000" in result.hint
