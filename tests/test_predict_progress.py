"""predict() (answers revealed only after a guess) and the local progress file."""

import json

import numpy as np
import pytest

from softmax_lab.exercises import check_answer, predict, progress, progress_table, register_prediction, reset_progress
from softmax_lab.exercises import predict as predict_module  # noqa: F401  (the function; module below)
from softmax_lab.exercises.predict import registered_predictions

register_prediction("99.number", "a number", "number", answer=lambda: 0.25, tol=0.01, explain="one in four.")
register_prediction("99.choice", "which way", "choice", answer="grows", choices=("grows", "shrinks", "stays"))
register_prediction("99.yesno", "does it change", "yesno", answer=False)
register_prediction("99.word", "the top word", "word", answer=("mat", "the mat"))


@pytest.fixture
def progress_file(tmp_path, monkeypatch):
    path = tmp_path / "sub" / "progress.json"
    monkeypatch.setenv(progress.ENV_VAR, str(path))
    return path


def test_no_guess_hides_the_answer_and_does_not_raise(capsys, progress_file):
    result = predict("99.number", None)
    out = capsys.readouterr().out
    assert result.right is None and not result
    assert "0.25" not in out and "Predict first" in out
    assert not progress_file.exists()          # nothing predicted, nothing recorded


@pytest.mark.parametrize("guess, verdict", [(0.25, "right"), (0.255, "right"), (0.27, "close"), (0.4, "not quite")])
def test_number_guess_is_shown_next_to_the_answer(guess, verdict, capsys, progress_file):
    result = predict("99.number", guess)
    out = capsys.readouterr().out
    assert f"your prediction: {guess}" in out and "the answer:      0.25" in out
    assert verdict in out and "one in four." in out
    assert result.right is (verdict == "right")


@pytest.mark.parametrize("guess, fragment", [
    ("0.25", "remove the quotes"), ("a quarter", "asks for a number"), (float("nan"), "finite"),
    ([0.25], "number"), (True, "number"),
])
def test_unusable_number_guesses_get_kind_feedback_and_keep_the_answer_hidden(guess, fragment, capsys, progress_file):
    result = predict("99.number", guess)
    out = capsys.readouterr().out
    assert fragment in out and "0.25 " not in out.replace("'0.25'", "") and result.right is None


@pytest.mark.parametrize("guess, right", [("grows", True), (" GROWS ", True), ("shrinks", False)])
def test_choice(guess, right, capsys, progress_file):
    assert predict("99.choice", guess).right is right


def test_choice_outside_the_list_names_the_choices(capsys, progress_file):
    result = predict("99.choice", "explodes")
    out = capsys.readouterr().out
    assert result.right is None and "'grows', 'shrinks', 'stays'" in out


@pytest.mark.parametrize("guess, right", [(False, True), ("no", True), ("No", True), (True, False), ("yes", False),
                                          (np.bool_(False), True)])
def test_yesno(guess, right, progress_file):
    assert predict("99.yesno", guess).right is right


@pytest.mark.parametrize("guess", ["maybe", 0.5, 2, [True]])
def test_yesno_refuses_other_answers(guess, capsys, progress_file):
    assert predict("99.yesno", guess).right is None
    assert "yes or no" in capsys.readouterr().out


@pytest.mark.parametrize("guess, right", [("mat", True), ("The  Mat", True), ("cat", False)])
def test_word(guess, right, progress_file):
    assert predict("99.word", guess).right is right


def test_word_question_given_a_number_asks_for_quotes(capsys, progress_file):
    assert predict("99.word", 3).right is None
    assert "quotes" in capsys.readouterr().out


def test_unknown_key_and_bad_registrations_are_clear_errors():
    with pytest.raises(ValueError, match="key"):
        predict("99.nope", 1)
    with pytest.raises(ValueError, match="key"):
        register_prediction("nope", "q", "number", 1, tol=0.1)
    with pytest.raises(ValueError, match="kind"):
        register_prediction("99.x", "q", "guess", 1)
    with pytest.raises(ValueError, match="tol"):
        register_prediction("99.x", "q", "number", 1)
    with pytest.raises(ValueError, match="answer must be one of"):
        register_prediction("99.x", "q", "choice", "up", choices=("down",))
    with pytest.raises(ValueError, match="already registered"):
        register_prediction("99.number", "another question", "number", 1, tol=0.1)


def test_every_registered_lesson_prediction_can_be_revealed(capsys, progress_file):
    """The lessons' own registrations: each answer computes, and a guess of it is judged right."""
    for entry in registered_predictions():
        if entry.lesson == "99":
            continue
        answer = entry.value()
        guess = answer if entry.kind != "word" or isinstance(answer, str) else answer[0]
        assert predict(entry.key, guess).right is True, entry.key


# --------------------------------------------------------------------------------------------
# The progress file
# --------------------------------------------------------------------------------------------

def test_a_check_writes_the_file_and_the_table_reads_it(progress_file, capsys):
    check_answer(0.3, expected=0.25, name="equal logits")
    data = json.loads(progress_file.read_text())
    assert data["checks"]["equal logits"]["passed"] is False and data["checks"]["equal logits"]["lesson"] == "00"
    check_answer(0.25, expected=0.25, name="equal logits")
    check_answer(0.3, expected=0.25, name="equal logits")        # a later mistake keeps the pass
    entry = json.loads(progress_file.read_text())["checks"]["equal logits"]
    assert entry["passed"] is True and entry["attempts"] == 3
    predict("99.number", 0.25)
    rows = {row[0]: row for row in progress.progress_rows()}
    assert rows["00"][1:3] == (1, len(progress.LESSON_CHECKS["00"]))
    assert rows["01"][1] == 0 and rows["01"][4] == ""
    assert progress_table() is None                  # printed once, not echoed by the notebook
    text = capsys.readouterr().out
    assert "00" in text and f"1 / {len(progress.LESSON_CHECKS['00'])}" in text and str(progress_file) in text


def test_unattempted_and_lessonless_checks_are_not_recorded(progress_file, capsys):
    check_answer(None, expected=0.25, name="equal logits")
    check_answer(0.25, expected=0.25, name="a check of no lesson")
    assert not progress_file.exists() or "a check of no lesson" not in progress_file.read_text()
    assert not progress_file.exists() or "equal logits" not in progress_file.read_text()


@pytest.mark.parametrize("damage", ["{not json", "[]", '{"version": 99}', '{"version": 1, "checks": [1, 2]}',
                                    '{"version": 1, "checks": {"equal logits": {"passed": "yes"}}}', "\x00\xff"])
def test_a_damaged_file_reads_as_empty_and_is_replaced(damage, progress_file, capsys):
    progress_file.parent.mkdir(parents=True)
    progress_file.write_text(damage, encoding="latin-1")
    assert all(row[1] == 0 for row in progress.progress_rows())
    check_answer(0.25, expected=0.25, name="equal logits")
    assert json.loads(progress_file.read_text())["checks"]["equal logits"]["passed"] is True


def test_missing_file_and_reset(progress_file, capsys):
    assert not progress_file.exists()
    progress_table()                                 # reads a missing file without complaint
    check_answer(0.25, expected=0.25, name="equal logits")
    assert progress_file.exists()
    assert reset_progress() is True and not progress_file.exists()
    assert reset_progress() is False


def test_an_unwritable_location_does_not_break_the_check(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv(progress.ENV_VAR, str(blocker / "progress.json"))   # parent is a file
    result = check_answer(0.25, expected=0.25, name="equal logits")
    assert result.passed and "progress not saved" in capsys.readouterr().out


def test_the_default_location_is_in_the_home_directory(monkeypatch, tmp_path):
    monkeypatch.delenv(progress.ENV_VAR, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert progress.progress_path() == tmp_path / ".softmax_lab" / "progress.json"


def test_typed_answer_of_the_wrong_kind_gets_kind_feedback(capsys, progress_file):
    # typed answers are read one way across the course (issue 16): a number or True/False typed as
    # text, decimal comma included, is read as what it says
    assert check_answer("0,25", expected=0.25, name="x").passed and check_answer("False", expected=False, name="x")
    assert "number" in check_answer("a quarter", expected=0.25, name="x").hint
    assert "quotes" in check_answer(3, expected="cat", name="x").hint
    assert "not True/False" in check_answer(True, expected=0.25, name="x").hint
    assert "plain number" in check_answer(object(), expected=0.25, name="x").hint
    assert check_answer(0.3, expected=0.25, name="x", hint="conceptual").hint == "conceptual"


def _checks_called(path):
    """The names the self-checks of a notebook print: check_x(...) -> "check_x", check_answer(name=...) -> name."""
    import ast

    nb = json.loads(path.read_text(encoding="utf-8"))
    names = []
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "").startswith("check_"):
                if node.func.id == "check_answer":
                    names += [kw.value.value for kw in node.keywords if kw.arg == "name"]
                else:
                    names.append(node.func.id)
    return names


def test_the_table_of_lesson_checks_matches_what_the_notebooks_call():
    from pathlib import Path

    notebooks = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    called = {p.name[:2]: sorted(set(_checks_called(p))) for p in notebooks}
    assert called == {lesson: sorted(names) for lesson, names in progress.LESSON_CHECKS.items()}


def test_the_result_repr_is_short_so_a_cell_does_not_show_the_message_twice(progress_file, capsys):
    assert repr(predict("99.number", None)) == "<PredictionResult 99.number: no prediction yet>"
    assert repr(predict("99.number", 0.25)) == "<PredictionResult 99.number: right>"
    assert "0.25" not in repr(predict("99.number", 0.9))


def test_a_count_is_shown_as_a_whole_number(progress_file, capsys):
    register_prediction("99.count", "how many words", "number", answer=10, tol=0.5)
    predict("99.count", 9)
    assert "the answer:      10\n" in capsys.readouterr().out
