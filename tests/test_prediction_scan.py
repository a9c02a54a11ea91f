"""Every lesson asks before it tells: no prediction prompt shows its own answer.

The markers this test reads (the lessons' convention):

* a prediction prompt is a markdown cell containing ``**Predict first:**``;
* its answer comes later, either from ``predict("NN.key", guess)`` (the answer is registered in
  softmax_lab.exercises, so no cell shows it) or in a later markdown cell that is a collapsed
  ``<details>`` block ("What you should have seen", "Answer", ...), or both.
"""

import ast
import json
import re
from pathlib import Path

import pytest

from softmax_lab.exercises.predict import registered_predictions, shown_answer

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PROMPT = "**Predict first:**"
ANSWER_PHRASES = ("what you should have seen", "the answer is", "answer:", "<details")


def _cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [(c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for c in nb["cells"]]


def _predict_keys(src):
    """The keys of the ``predict("key", ...)`` calls in a code cell."""
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return []
    return [node.args[0].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "predict"
            and node.args and isinstance(node.args[0], ast.Constant)]


def _is_collapsed_answer(kind, src):
    text = src.strip()
    return kind == "markdown" and text.startswith("<details>") and text.endswith("</details>")


def _answer_texts(entry):
    """How the answer to a registered prediction could be written in a prompt."""
    if entry.kind in ("choice", "yesno"):
        return []                    # a choice question names every option; yes/no is everywhere
    if entry.kind == "word":
        answer = entry.value()
        return [answer] if isinstance(answer, str) else list(answer)
    shown = shown_answer(entry)
    return [shown] if re.search(r"\.\d*[1-9]", shown) else []   # 0.25, not 2.00 (too common)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_prompt_cell_contains_an_answer(path):
    for i, (kind, src) in enumerate(_cells(path)):
        if kind == "markdown" and PROMPT in src:
            found = [p for p in ANSWER_PHRASES if p in src.lower()]
            assert not found, f"{path.name} cell {i}: a prediction prompt that also holds an answer ({found})"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_what_you_should_have_seen_is_always_collapsed(path):
    for i, (kind, src) in enumerate(_cells(path)):
        if kind == "markdown" and "what you should have seen" in src.lower():
            assert _is_collapsed_answer(kind, src), (
                f"{path.name} cell {i}: 'What you should have seen' must be a collapsed "
                "<details> block of its own (the answer stays hidden until the learner opens it)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_prompt_is_answered_later(path):
    cells = _cells(path)
    prompts = [i for i, (kind, src) in enumerate(cells) if kind == "markdown" and PROMPT in src]
    for n, i in enumerate(prompts):
        end = prompts[n + 1] if n + 1 < len(prompts) else len(cells)
        later = cells[i + 1:end]
        answered = any(_is_collapsed_answer(k, s) for k, s in later) or any(
            k == "code" and _predict_keys(s) for k, s in later)
        assert answered, f"{path.name} cell {i}: a prediction prompt with no predict() call or <details> answer after"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_predict_calls_use_this_lessons_keys_and_prompts_do_not_give_them_away(path):
    registry = {p.key: p for p in registered_predictions()}
    cells = _cells(path)
    for i, (kind, src) in enumerate(cells):
        if kind != "code":
            continue
        for key in _predict_keys(src):
            assert key in registry, f"{path.name} cell {i}: predict({key!r}) is not registered"
            assert key.startswith(path.name[:2] + "."), f"{path.name} cell {i}: {key!r} belongs to another lesson"
            prompt = next((s for k, s in reversed(cells[:i]) if k == "markdown" and PROMPT in s), None)
            assert prompt is not None, f"{path.name} cell {i}: predict({key!r}) has no {PROMPT} prompt above it"
            for text in _answer_texts(registry[key]):
                pattern = rf"(?<![\w.]){re.escape(text)}(?![\w])"
                for where, body in (("its prompt", prompt), ("its own cell", src)):
                    assert not re.search(pattern, body, re.I), (
                        f"{path.name} cell {i}: the answer {text!r} to {key!r} is visible in {where}")


def test_every_registered_prediction_is_asked_exactly_once():
    asked = [key for path in NOTEBOOKS for kind, src in _cells(path) if kind == "code" for key in _predict_keys(src)]
    lessons = {p.name[:2] for p in NOTEBOOKS}
    registered = [p.key for p in registered_predictions() if p.lesson in lessons]
    assert sorted(set(asked)) == sorted(asked), "a prediction is asked twice"
    assert sorted(asked) == sorted(registered), (
        f"registered but never asked: {sorted(set(registered) - set(asked))}; "
        f"asked but not registered: {sorted(set(asked) - set(registered))}")


def test_the_scan_catches_an_answer_in_a_prompt(tmp_path):
    """The checks above fail on a notebook that gives its answer away."""
    bad = {"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "**Predict first:** what is p? The answer is 0.25."},
        {"cell_type": "markdown", "metadata": {}, "source": "What you should have seen: 0.25"},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "01_bad.ipynb"
    path.write_text(json.dumps(bad))
    with pytest.raises(AssertionError, match="also holds an answer"):
        test_no_prompt_cell_contains_an_answer(path)
    with pytest.raises(AssertionError, match="collapsed"):
        test_what_you_should_have_seen_is_always_collapsed(path)
    with pytest.raises(AssertionError, match="no predict"):
        test_every_prompt_is_answered_later(path)
