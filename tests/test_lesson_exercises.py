"""The lessons' exercises, solved: every check in the notebook must then pass.

nbval runs the notebooks as committed, where every exercise is still unattempted (it shows a
nudge). This test fills in right answers, runs each solved notebook top to bottom in a fresh
kernel (figures as PNGs), and expects a pass from every check. It catches an exercise cell
whose name or signature no longer matches its check, a check that cannot be passed, and a
sanity-check cell that fails.
"""

import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

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
    "05_numerical_stability.ipynb": {
        "largest_float32_logit = None": "largest_float32_logit = 88.72",
        "lse_answer = None": "lse_answer = 1000.693",
        "def my_logsumexp(z):": """
    m = np.max(z, axis=-1, keepdims=True)
    return (m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True)))[..., 0]""",
    },
    "06_next_token_sampling.ipynb": {
        "top_p_words = None": "top_p_words = 2",
        "greedy_changes = None": "greedy_changes = False",
        "def my_top_p(z, p, temperature=1.0):": """
    z = np.asarray(z, dtype=float) / temperature
    q = softmax(z)
    order = np.argsort(-q, kind="stable")
    before = np.cumsum(q[order]) - q[order]
    keep = np.zeros(len(z), dtype=bool)
    keep[order] = (before < p) | (p >= 1)
    return np.where(keep & np.isfinite(z), z, -np.inf)""",
    },
}


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


def test_every_lesson_with_exercises_has_solutions_here():
    lessons = sorted(p.name for p in NOTEBOOKS.glob("0[1-9]_*.ipynb"))
    assert lessons == sorted(SOLUTIONS)


@pytest.mark.parametrize("name", sorted(SOLUTIONS))
def test_solved_exercises_pass_every_check(name, monkeypatch):
    monkeypatch.setenv("SOFTMAX_LAB_FIGURES", "png")      # the kernel inherits this: PNG figures
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    solutions = SOLUTIONS[name]
    joined = "\n".join(c.source for c in code_cells)
    for marker in solutions:
        assert marker in joined, f"{name}: the exercise cell {marker!r} is missing"
    for cell in code_cells:
        cell.source = _solve(cell.source, solutions)

    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    out = "".join(o.get("text", "") for c in code_cells for o in c.outputs if o.output_type == "stream")

    n_checks = sum(c.source.lstrip().startswith("check_") for c in code_cells)
    assert n_checks >= 2, f"{name}: expected at least two checks"
    assert out.count("✔") == n_checks, out
    assert "✘" not in out and "not attempted yet" not in out, out
