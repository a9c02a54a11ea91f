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


@pytest.mark.slow
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
    """The names the self-checks of a notebook print: check_x(...) -> "check_x", check_answer(name=...) -> name,
    check_answer("NN.key", ...) -> the name registered for that key."""
    import ast

    from softmax_lab.exercises._answers import registered_answers

    registered = {q.key: q.name for q in registered_answers()}
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
                    key = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
                    if isinstance(key, str) and key in registered:
                        names.append(registered[key])
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


# --------------------------------------------------------------------------------------------
# Issue 16/17 regressions: scale slips, counts, a key of the wrong type
# --------------------------------------------------------------------------------------------

register_prediction("99.share", "the share of draws that are mat", "share", answer=0.38, tol=0.03)
register_prediction("99.small", "a number between 0 and 1", "number", answer=0.38, tol=0.03)
register_prediction("99.zeros", "how many exact zeros", "number", answer=3, tol=0.4)
register_prediction("99.kept", "how many words are kept", "count", answer=3)


@pytest.mark.parametrize("key, guess", [("99.share", 38), ("99.share", 38.0), ("99.share", 45), ("99.small", 38),
                                        ("99.small", 39.5)])
def test_a_share_typed_as_a_percentage_gets_a_scale_hint_and_the_answer_stays_hidden(key, guess, capsys,
                                                                                     progress_file):
    result = predict(key, guess)
    out = capsys.readouterr().out
    assert result.right is None, out
    assert "the answer" not in out and "not quite" not in out and "right" not in out, out
    assert "between 0 and 1" in out and f"{guess / 100:g}" in out      # the guess, rescaled: no answer
    assert not progress_file.exists()          # not a prediction yet: nothing recorded


def test_a_number_far_from_a_share_is_judged_as_typed(capsys, progress_file):
    """A plain number question whose answer is below 1 still judges 1.5 (a real guess) as wrong."""
    result = predict("99.small", 1.5)
    assert result.right is False and "the answer:      0.38" in capsys.readouterr().out


@pytest.mark.parametrize("key", ["99.zeros", "99.kept"])
def test_a_count_prints_as_a_whole_number_and_accepts_only_the_right_count(key, capsys, progress_file):
    assert predict(key, 3).right is True
    assert "the answer:      3\n" in capsys.readouterr().out
    for near_miss in (2.7, 3.3, 2, 4):
        assert predict(key, near_miss).right is not True, near_miss
    assert "the answer:      3\n" in capsys.readouterr().out   # never "3.00"


def test_a_count_guess_that_is_not_whole_keeps_the_answer_hidden(capsys, progress_file):
    result = predict("99.kept", 2.5)
    out = capsys.readouterr().out
    assert result.right is None and "whole number" in out and "the answer" not in out


@pytest.mark.parametrize("key", [["01.x"], 1.5, None, b"01.x"])
def test_a_key_that_is_not_a_string_is_a_type_error_naming_the_key(key):
    with pytest.raises(TypeError, match="key"):
        predict(key, 0.5)


def test_the_shown_answer_is_public_for_the_scan():
    from softmax_lab.exercises.predict import registered_predictions, shown_answer

    entries = {p.key: p for p in registered_predictions()}
    assert shown_answer(entries["99.number"]) == "0.25" and shown_answer(entries["99.kept"]) == "3"
    assert entries["99.kept"].is_count and entries["99.zeros"].is_count and not entries["99.small"].is_count


# --------------------------------------------------------------------------------------------
# Issue 17 items 6, 7, 12: concurrent writers, a symlinked file, a hostile file
# --------------------------------------------------------------------------------------------

_WRITER = """
import sys, time
from pathlib import Path
from softmax_lab.exercises.progress import record_prediction
path, n, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
Path(sys.argv[3] + f".ready-{n}").touch()
while not go.exists():
    time.sleep(0.005)
for i in range(20):
    assert record_prediction(f"99.writer{n}-{i}", True, path)
"""


@pytest.mark.slow
def test_five_concurrent_writers_lose_nothing(tmp_path):
    """Five processes record 20 predictions each at the same moment: all 100 are kept."""
    import subprocess
    import sys
    import time

    path, go = tmp_path / "progress.json", tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(n), str(go)]) for n in range(5)]
    try:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("go.ready-*"))) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        go.touch()                                  # all five start writing together
        assert all(p.wait(timeout=120) == 0 for p in procs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    kept = progress.load_progress(path)["predictions"]
    assert len(kept) == 100, f"{100 - len(kept)} of 100 entries were lost"


def test_writing_through_a_symlink_updates_its_target(tmp_path, capsys):
    target = tmp_path / "real" / "progress.json"
    target.parent.mkdir()
    target.write_text(json.dumps({"version": 1, "checks": {}, "predictions": {}}))
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert progress.record_prediction("99.linked", True, link)
    assert link.is_symlink(), "the link was replaced by a plain file"
    assert "99.linked" in json.loads(target.read_text())["predictions"]


@pytest.mark.parametrize("damage", ["[" * 1000, "[" * 100_000, "{" * 5000, '{"a":' * 3000])
def test_a_deeply_nested_file_reads_as_no_progress_yet(damage, progress_file, capsys):
    progress_file.parent.mkdir(parents=True)
    progress_file.write_text(damage)
    assert progress.load_progress() == {"version": 1, "checks": {}, "predictions": {}}
    assert all(row[1] == 0 for row in progress.progress_rows())
    check_answer(0.25, expected=0.25, name="equal logits")           # and the next check replaces it
    assert json.loads(progress_file.read_text())["checks"]["equal logits"]["passed"] is True


def test_the_progress_table_reads_the_lesson_registry():
    from softmax_lab.lessons import LESSONS

    assert [row[0] for row in progress.progress_rows()] == [lesson.number for lesson in LESSONS]
    assert [row[2] for row in progress.progress_rows()] == [len(lesson.checks) for lesson in LESSONS]
