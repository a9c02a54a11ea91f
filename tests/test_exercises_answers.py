"""Typed answers, asked one way: ``check_answer("NN.key", answer)`` against a registered question.

Decimal commas and percentages typed as text, tolerances that are absolute OR relative (stated in
every message), a scale hint for an answer off by a power of ten, the older spellings as thin
aliases, and the list of notebook cells still written the older way (they move to the keyed form
in the next wave; a test keeps the list complete).
"""

import json
import math
import pathlib
import re

import numpy as np
import pytest

from softmax_lab.exercises import (
    check_answer,
    check_exploration_temperature,
    check_float32_ceiling,
    check_lse_1000,
    check_quarter_loss,
    check_temperature_answer,
    check_top_p_words,
    register_answer,
)
from softmax_lab.exercises import progress as progress_module
from softmax_lab.exercises._answers import _REGISTRY, parse_number, registered_answers

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"


# --------------------------------------------------------------------------------------------
# One way: the key and the answer
# --------------------------------------------------------------------------------------------

RIGHT = {  # a right answer to every registered question, as a learner would type it
    "00.equal-logits": 0.25, "01.probability-ratio": "2,72", "02.temperature-for-0.8": 0.63,
    "02.scaling-top-word": False, "04.quarter-loss": 1.39, "05.float32-ceiling": 88.72, "05.lse-1000": 1000.693,
    "06.top-p-words": 2, "06.greedy-top-p": "no", "07.most-helped": "Overtrained", "08.entropy-at-4096": 3.4,
    "09.llama3-logits": 4.2, "09.more-samples": False, "10.first-loss": "2,30", "10.exploration-temperature": 0.1,
    "12.ds-row-sum": "0",
}
SLOW_KEYS = {"07.temperature-by-hand"}   # fits a temperature on the shipped checkpoint's 20,530 predictions


def test_every_registered_question_has_a_right_answer_here():
    assert set(RIGHT) | SLOW_KEYS == {q.key for q in registered_answers()}


@pytest.mark.parametrize("key", sorted(RIGHT))
def test_a_right_answer_passes_and_none_is_a_nudge(key, capsys):
    assert check_answer(key, RIGHT[key]).passed, capsys.readouterr().out
    nudge = check_answer(key, None)
    assert not nudge.passed and not nudge.attempted
    assert "not attempted yet" in capsys.readouterr().out


@pytest.mark.slow
def test_the_temperature_read_off_the_slider_in_lesson_07(capsys):
    assert check_answer("07.temperature-by-hand", 1.74).passed
    assert "overconfident" in check_answer("07.temperature-by-hand", 0.8).hint


@pytest.mark.slow
def test_the_checkpoint_temperature_scaling_helped_most_is_computed_from_the_checkpoints():
    from softmax_lab import lm, softmax
    from softmax_lab.calibration import expected_calibration_error, fit_temperature
    from softmax_lab.exercises import calibration

    gain = {}
    for name in calibration.CHECKPOINTS:
        model = lm.load(name)
        z, y = lm.split_logits(model, "calibration")
        T = fit_temperature(*lm.split_logits(model, "validation"))
        ece = [expected_calibration_error(softmax(z, temperature=t), y) for t in (1.0, T)]
        gain[name] = ece[0] - ece[1]
    assert max(gain, key=gain.get) == calibration.MOST_HELPED


@pytest.mark.parametrize("text, value", [
    ("0.6", 0.6), ("0,6", 0.6), (" 0,6 ", 0.6), ("38%", 0.38), ("1,000.5", 1000.5), ("1.000,5", 1000.5),
    ("1,000,000", 1e6), ("-0,25", -0.25), ("\u22120.5", -0.5), ("128_256", 128256.0), ("1e-3", 1e-3),
])
def test_numbers_typed_as_text_are_read(text, value):
    got, problem = parse_number(text)
    assert problem is None and math.isclose(got, value)


@pytest.mark.parametrize("text", ["1,000", "12,500"])
def test_a_comma_that_could_be_either_separator_is_asked_about(text):
    got, problem = parse_number(text)
    assert got is None and "decimal comma" in problem and "thousands" in problem


def test_a_decimal_comma_without_quotes_is_python_s_pair(capsys):
    result = check_answer("00.equal-logits", (0, 25))      # what `answer = 0,25` gives
    assert not result.passed and result.attempted
    assert "(0, 25)" in result.hint and "0.25" in result.hint


def test_every_wrong_number_states_the_precision_asked_for(capsys):
    for q in registered_answers():
        if q.kind == "number" and q.key not in SLOW_KEYS:
            result = check_answer(q.key, -12345.678)
            assert not result.passed and f"the question asks for {q.precision}" in result.message, q.key


def test_a_share_typed_as_a_percentage_gets_a_scale_hint_and_not_the_answer(capsys):
    result = check_answer("00.equal-logits", 25)
    assert not result.passed and "percentage" in result.hint and "25% is 0.25" in result.hint
    result = check_answer("09.llama3-logits", 4202.5)       # MB for GB
    assert "1000 times too large" in result.hint
    result = check_answer("04.quarter-loss", 0.01386)
    assert "100 times too small" in result.hint
    for r in (check_answer("04.quarter-loss", 13.86), check_answer("01.probability-ratio", 27.18)):
        assert "1.386" not in r.message + r.hint and "2.718" not in r.message + r.hint


def test_absolute_tolerance_is_what_to_two_decimals_means(capsys):
    assert check_answer("00.equal-logits", 0.254).passed
    assert not check_answer("00.equal-logits", 0.256).passed
    assert check_answer("10.first-loss", 2.30).passed and not check_answer("10.first-loss", 2.31).passed


def test_typical_mistakes_get_their_own_hint(capsys):
    assert "one third" in check_answer("00.equal-logits", 0.33).hint
    assert "ratio of the logits" in check_answer("01.probability-ratio", 2.0).hint
    assert "bits" in check_answer("10.first-loss", 3.32).hint
    assert "4 bytes" in check_answer("09.llama3-logits", 2.1).hint
    assert "GiB" in check_answer("09.llama3-logits", 3.91).hint


def test_yes_no_and_word_questions(capsys):
    assert check_answer("02.scaling-top-word", "No").passed and check_answer("02.scaling-top-word", False).passed
    assert not check_answer("02.scaling-top-word", True).passed
    assert "True or False" in check_answer("02.scaling-top-word", 0).hint
    assert "one of" in check_answer("07.most-helped", "latest").hint
    assert "quotes" in check_answer("07.most-helped", 3).hint


def test_an_unknown_key_is_not_recorded_and_names_the_lesson_s_keys(capsys):
    result = check_answer("04.quater-loss", 1.39)
    assert not result.passed and not result.attempted and "04.quarter-loss" in result.hint


# --------------------------------------------------------------------------------------------
# issue 17, item 12d: one tolerance, and a shape is not a value
# --------------------------------------------------------------------------------------------

def test_the_older_spelling_s_tol_is_relative_only(capsys):
    assert not check_answer(2e-3, expected=1e-3).passed          # passed before: tol was absolute AND relative
    assert check_answer(1.0005e-3, expected=1e-3).passed
    assert check_answer(0.0005, expected=0.0, tol=1e-3).passed   # absolute where the expected value is 0
    assert "relatively" in check_answer(0.3, expected=0.25).message


def test_a_list_of_one_number_is_told_it_is_a_list(capsys):
    result = check_answer([0.25], expected=0.25)                  # blamed the value before
    assert not result.passed and "ONE number" in result.hint and "not right yet" not in result.message


@pytest.mark.parametrize("answer, expected", [
    (0.25, 0.25), (1 / 3, 0.3334), ([0.5, 0.5], np.array([0.5, 0.5])), ("Softmax ", "softmax"), (True, True),
    (np.float32(0.25), 0.25), (np.array(2.0), 2), ("0,25", 0.25),
])
def test_the_older_spelling_accepts_right_answers(answer, expected, capsys):
    assert check_answer(answer, expected=expected, name="q").passed


@pytest.mark.parametrize("answer, expected", [
    (0.3, 0.25), (0.33, 1 / 3), ([0.5, 0.5, 0.0], [0.5, 0.5]), ("sigmoid", "softmax"), (False, True), (np.nan, 0.25),
])
def test_the_older_spelling_refuses_wrong_answers(answer, expected, capsys):
    result = check_answer(answer, expected=expected, name="q", hint="think again")
    assert not result.passed and result.attempted


# --------------------------------------------------------------------------------------------
# The older entry points are thin aliases of the keyed form
# --------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("alias, key, answers", [
    (check_quarter_loss, "04.quarter-loss", [1.39, 1.38, "1,39", -1.386, 2.0, 0.25, 1.4, 139, None, "x"]),
    (check_float32_ceiling, "05.float32-ceiling", [88.72, 88.73, 88.71, 11.09, 128.0, None]),
    (check_lse_1000, "05.lse-1000", [1000.693, 1000.0, 1001.0, 0.693, 1000.69]),
    (check_top_p_words, "06.top-p-words", [2, 1, 3, 2.5, "2"]),
    (check_exploration_temperature, "10.exploration-temperature", [0.1, 0.005, 3.0, 0, "0,1"]),
])
def test_old_entry_points_give_the_keyed_feedback(alias, key, answers, capsys):
    for answer in answers:
        old, new = alias(answer), check_answer(key, answer)
        assert (old.passed, old.attempted, old.message, old.hint) == (new.passed, new.attempted, new.message, new.hint)


def test_the_number_form_of_check_temperature_answer_is_the_lesson_02_question(capsys):
    for T in (0.63, 0.7, 1.0, 2.0, -1.0):
        old, new = check_temperature_answer(T, [2.0, 1.0, 0.1], 0.8), check_answer("02.temperature-for-0.8", T)
        assert (old.passed, old.hint) == (new.passed, new.hint)


# --------------------------------------------------------------------------------------------
# Registering a question: errors name the argument
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, argument", [
    (dict(key="4.x"), "key"), (dict(key=None), "key"), (dict(kind="float"), "kind"), (dict(name=""), "name"),
    (dict(tol=-1.0), "tol"), (dict(tol=float("nan")), "tol"), (dict(tol=0.1, rtol=0.1), "tol"),
    (dict(tol=None), "tol"), (dict(precision=""), "precision"), (dict(kind="word", answer=None), "answer"),
])
def test_a_bad_registration_names_the_argument(kwargs, argument):
    base = dict(key="99.test-question", name="test question", question="a test", answer=1.0, tol=0.1,
                precision="a number")
    with pytest.raises(ValueError, match=argument):
        register_answer(**{**base, **kwargs})


def test_a_key_cannot_be_registered_for_two_questions():
    register_answer("99.twice", name="twice", question="first", answer=1.0, tol=0.1, precision="a number")
    with pytest.raises(ValueError, match="key"):
        register_answer("99.twice", name="twice", question="second", answer=1.0, tol=0.1, precision="a number")
    del _REGISTRY["99.twice"]


def test_registered_names_are_the_progress_file_s_names():
    names = {name for names in progress_module.LESSON_CHECKS.values() for name in names}
    for q in registered_answers():
        assert q.name in names and progress_module.lesson_of_check(q.name) == q.key[:2], q.key


# --------------------------------------------------------------------------------------------
# The notebook cells still written the older way (migrated to the keyed form in the next wave)
# --------------------------------------------------------------------------------------------

# notebook, how its check cell starts today, the key it moves to (same name in the progress file)
MIGRATION = []   # lesson 07's two cells, the last ones, moved to 07.temperature-by-hand and 07.most-helped
TYPED = re.compile(r"^check_(answer|temperature_answer\(my_|quarter_loss|float32_ceiling|lse_1000|top_p_words|"
                   r"temperature_by_hand|entropy_prediction|exploration_temperature)")


def _check_cells():
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"]).strip()
            if cell["cell_type"] == "code" and TYPED.match(source):
                yield path.stem, source


def test_every_typed_check_cell_is_keyed_or_listed_for_migration():
    keyed = re.compile(r'^check_answer\("(\d\d\.[\w.-]+)", \w+\)$')
    for notebook, source in _check_cells():
        match = keyed.match(source)
        if match:
            assert match.group(1) in _REGISTRY and match.group(1)[:2] == notebook[:2], source
            continue
        listed = [key for nb, start, key in MIGRATION if nb == notebook and source.startswith(start)]
        assert len(listed) == 1, f"{notebook}: a typed check cell neither keyed nor listed:\n{source}"


@pytest.mark.parametrize("notebook, start, key", MIGRATION, ids=[key for _, _, key in MIGRATION])
def test_each_listed_cell_moves_to_a_registered_key_of_its_lesson_and_name(notebook, start, key):
    cell = next(source for nb, source in _check_cells() if nb == notebook and source.startswith(start))
    name = re.search(r'name="([^"]+)"', cell)
    assert key[:2] == notebook[:2]
    assert _REGISTRY[key].name == (name.group(1) if name else start.split("(")[0])      # the same progress entry
