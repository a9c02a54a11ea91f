"""The exercises of lessons 01-04, solved: every check in the notebook must then pass.

nbval runs the notebooks as committed, where every exercise is still unattempted (it shows a
nudge). This test fills in right answers, runs each notebook's code cells in order in this
process (figures as PNGs, no kernel), and expects a pass from every check. It catches an
exercise cell whose name or signature no longer matches its check, a check that cannot be
passed, and a sanity-check cell that fails.
"""

import contextlib
import io
import json
import pathlib

import pytest

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
STUB = "    raise NotImplementedError  # replace this line with your code"

SOLUTIONS = {
    "01_softmax_basics.ipynb": {
        "ratio_answer = None": "ratio_answer = 2.718",
        "def my_softmax(z):": """
    shifted = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)""",
    },
    "02_temperature_and_overconfidence.ipynb": {
        "my_T = None": "my_T = 0.63",
        "scaling_changes_the_top_word = None": "scaling_changes_the_top_word = False",
        "def find_temperature(logits, target):": """
    lo, hi = 1e-3, 1e3
    for _ in range(60):
        mid = np.sqrt(lo * hi)
        if softmax(logits, temperature=mid).max() > target:
            lo = mid
        else:
            hi = mid
    return mid""",
    },
    "03_softmax_vs_sigmoid.ipynb": {
        '"next_token": None': '"next_token": "softmax"',
        '"photo_tags": None': '"photo_tags": "sigmoid"',
        '"review_sentiment": None': '"review_sentiment": "softmax"',
        '"comment_flags": None': '"comment_flags": "sigmoid"',
        '"spam_or_not": None': '"spam_or_not": "sigmoid"',
        "def my_sigmoid(x):": """
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))""",
    },
    "04_cross_entropy_and_gradients.ipynb": {
        "loss_answer = None": "loss_answer = 1.386",
        "def my_cross_entropy_grad(logits, targets):": """
    g = softmax(logits)
    g[np.arange(len(targets)), targets] -= 1.0
    return g / len(targets)""",
    },
}


def _code_cells(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def _solve(source, solutions):
    """Apply the solutions to one cell: answers replace their line, bodies replace the stub."""
    for marker, answer in solutions.items():
        if marker.startswith("def "):
            if marker in source:
                assert STUB in source, f"the exercise {marker!r} lost its `raise NotImplementedError` stub"
                source = source.replace(STUB, answer.strip("\n"))
        elif marker in source:
            source = source.replace(marker, answer)
    return source


@pytest.mark.parametrize("name", sorted(SOLUTIONS))
def test_solved_exercises_pass_every_check(name, monkeypatch):
    monkeypatch.setenv("SOFTMAX_LAB_FIGURES", "png")      # no ipympl canvas outside a kernel
    monkeypatch.setenv("MPLBACKEND", "Agg")
    cells = _code_cells(NOTEBOOKS / name)
    solutions = SOLUTIONS[name]
    joined = "\n".join(cells)
    for marker in solutions:
        assert marker in joined, f"{name}: the exercise cell {marker!r} is missing"

    namespace = {"__name__": "__lesson__"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for source in cells:
            code = _solve(source, solutions)
            code = "\n".join(line for line in code.splitlines() if not line.startswith("# NBVAL"))
            exec(compile(code, f"{name} cell", "exec"), namespace)    # noqa: S102 - our own notebook
    out = printed.getvalue()

    n_checks = sum(source.lstrip().startswith("check_") for source in cells)
    assert n_checks >= 2, f"{name}: expected at least two checks"
    assert out.count("✔") == n_checks, out
    assert "✘" not in out and "not attempted yet" not in out, out
