"""The lessons' exercises, solved from the notebooks' own solution blocks: every check must then pass.

Each exercise in a notebook is three cells in a row:

1. a stub code cell: ``my_x = None  # your answer`` (a dict of ``None`` answers counts too), or
   a ``def`` whose body is ``raise NotImplementedError  # replace this line with your code``;
2. its check cell (``check_...(...)``);
3. a markdown cell ``<details><summary>A solution (try first!)</summary>`` holding ONE
   ```` ```python ```` fence: the complete code that replaces the stub cell.

The solution is written once, in the notebook. The fast tests here check that pairing (an
exercise without a solution block, or a solution block without its exercise, fails loudly); the
slow test replaces every stub by its solution, runs the solved notebook top to bottom in a fresh
kernel (figures as PNGs), and expects a pass from every check. It catches a solution that no
longer passes its check, a check that cannot be passed, and a sanity-check cell that fails.
"""

import ast
import copy
import pathlib
import re

import nbformat
import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
STUB = "    raise NotImplementedError  # replace this line with your code"
SOLUTION = "<summary>A solution (try first!)</summary>"
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _is_none(node):
    return isinstance(node, ast.Constant) and node.value is None


def _is_stub_statement(node):
    """``x = None``, ``x = {"a": None, ...}``, or a def whose body is (a docstring and) the stub line."""
    if isinstance(node, ast.Assign):
        value = node.value
        blank = _is_none(value) or (isinstance(value, ast.Dict) and value.values and all(map(_is_none, value.values)))
        return blank and all(isinstance(t, ast.Name) for t in node.targets)
    if isinstance(node, ast.FunctionDef):
        body = node.body[1:] if ast.get_docstring(node) is not None else node.body
        return (len(body) == 1 and isinstance(body[0], ast.Raise) and isinstance(body[0].exc, ast.Name)
                and body[0].exc.id == "NotImplementedError")
    return False


def is_stub(source):
    """Whether a code cell is an unattempted exercise (every statement in it is a stub)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return bool(body) and all(_is_stub_statement(node) for node in body)


def bound_names(source):
    """The names a cell defines at top level (assignments and defs)."""
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def exercises(nb, where="notebook"):
    """``[(stub cell index, solution code), ...]``; raises AssertionError naming what is wrong."""
    cells = nb.cells
    found, problems = [], []
    for i, cell in enumerate(cells):
        if cell.cell_type != "code" or not is_stub(cell.source):
            continue
        names = sorted(bound_names(cell.source))
        if "def " in cell.source and STUB not in cell.source:
            problems.append(f"cell {i} ({names}): the stub line must read {STUB.strip()!r}")
        after = cells[i + 1: i + 3]
        if len(after) < 1 or after[0].cell_type != "code" or not after[0].source.lstrip().startswith("check_"):
            problems.append(f"cell {i} ({names}): the next cell must be its check (`check_...(...)`)")
            continue
        if len(after) < 2 or after[1].cell_type != "markdown" or SOLUTION not in after[1].source:
            problems.append(f"cell {i} ({names}) has no solution block: the cell after its check must be a "
                            f"markdown cell `<details>{SOLUTION}` with one ```python fence")
            continue
        fences = FENCE.findall(after[1].source)
        if len(fences) != 1:
            problems.append(f"cell {i + 2}: a solution block holds exactly one ```python fence, found {len(fences)}")
            continue
        code = fences[0]
        try:
            solved = bound_names(code)
        except SyntaxError as error:
            problems.append(f"cell {i + 2}: the solution of {names} is not valid Python ({error})")
            continue
        if solved != set(names):
            problems.append(f"cell {i + 2}: the solution defines {sorted(solved)}, the stub in cell {i} {names}")
        elif is_stub(code):
            problems.append(f"cell {i + 2}: the solution of {names} is still a stub")
        found.append((i, code))
    paired = {i + 2 for i, _ in found}
    for j, cell in enumerate(cells):
        if cell.cell_type == "markdown" and SOLUTION in cell.source and j not in paired:
            problems.append(f"cell {j}: a solution block that follows no exercise stub and its check")
    assert not problems, f"{where}:\n  " + "\n  ".join(problems)
    return found


def solved(nb, where="notebook"):
    """A copy of ``nb`` with every exercise stub replaced by the code of its solution block."""
    nb = copy.deepcopy(nb)
    for i, code in exercises(nb, where):
        nb.cells[i].source = code.rstrip("\n")
    return nb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_exercise_has_one_solution_block_and_every_block_an_exercise(path):
    nb = nbformat.read(path, as_version=4)
    found = exercises(nb, path.name)
    assert found, f"{path.name}: 'Check your understanding' needs at least one exercise"
    # a prediction cell (`my_guess = None` then `predict("NN.key", my_guess)`) is not an exercise
    unmatched = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                 and ("NotImplementedError" in c.source or re.search(r"^\w+ = None\b", c.source, re.M))
                 and not re.search(r"^predict\(", c.source, re.M)
                 and i not in {j for j, _ in found}]
    assert not unmatched, f"{path.name}: cells {unmatched} look like exercises but are not in the stub form"


def _notebook(*cells):
    make = {"code": nbformat.v4.new_code_cell, "md": nbformat.v4.new_markdown_cell}
    return nbformat.v4.new_notebook(cells=[make[kind](text) for kind, text in cells])


def _block(code):
    return f"<details>{SOLUTION}\n\n```python\n{code}\n```\nWhy.\n</details>"


DEF_STUB = f'def f(z):\n    """Doc."""\n{STUB}'


def test_pairing_accepts_the_convention():
    nb = _notebook(("code", "x = None  # your answer"), ("code", "check_answer(x, 1)"), ("md", _block("x = 1")),
                   ("code", DEF_STUB), ("code", "check_f(f)"), ("md", _block("def f(z):\n    return z")),
                   ("code", 'd = {"a": None, "b": None}'), ("code", "check_d(d)"),
                   ("md", _block('d = {"a": 1, "b": 2}')))
    assert [i for i, _ in exercises(nb)] == [0, 3, 6]
    assert [c.source for c in solved(nb).cells if c.cell_type == "code"][::2] == [
        "x = 1", "def f(z):\n    return z", 'd = {"a": 1, "b": 2}']


@pytest.mark.parametrize("cells, message", [
    ([("code", "x = None"), ("code", "check_answer(x, 1)"), ("md", "Next question.")], "has no solution block"),
    ([("code", "x = None"), ("code", "check_answer(x, 1)")], "has no solution block"),
    ([("code", DEF_STUB), ("code", "check_f(f)")], "has no solution block"),
    ([("code", "x = None"), ("md", _block("x = 1"))], "must be its check"),
    ([("md", "Intro."), ("md", _block("x = 1"))], "follows no exercise"),
    ([("code", "x = None"), ("code", "check_answer(x, 1)"), ("md", _block("y = 1"))], "defines ['y']"),
    ([("code", "x = None"), ("code", "check_answer(x, 1)"), ("md", _block("x = 1") + _block("x = 2"))],
     "exactly one ```python fence"),
    ([("code", "x = None"), ("code", "check_answer(x, 1)"), ("md", _block("x = None"))], "still a stub"),
    ([("code", "def f(z):\n    raise NotImplementedError"), ("code", "check_f(f)"),
      ("md", _block("def f(z):\n    return z"))], "the stub line must read"),
])
def test_pairing_fails_loudly(cells, message):
    with pytest.raises(AssertionError, match=re.escape(message)):
        exercises(_notebook(*cells))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_solved_exercises_pass_every_check(path, monkeypatch, tmp_path):
    from nbclient import NotebookClient

    from softmax_lab.exercises import progress

    monkeypatch.setenv("SOFTMAX_LAB_FIGURES", "png")      # the kernel inherits this: PNG figures
    monkeypatch.setenv(progress.ENV_VAR, str(tmp_path / "progress.json"))   # ... and this progress file
    nb = solved(nbformat.read(path, as_version=4), path.name)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    out = "".join(o.get("text", "") for c in code_cells for o in c.outputs if o.output_type == "stream")

    n_checks = sum(c.source.lstrip().startswith("check_") for c in code_cells)
    assert n_checks >= 1, f"{path.name}: expected at least one check"
    assert out.count("✔") == n_checks, out
    assert "✘" not in out and "not attempted yet" not in out, out
    # every self-check of the lesson recorded its pass in the progress file, under this lesson
    lesson = path.name[:2]
    if lesson.isdigit():
        record = progress.load_progress(tmp_path / "progress.json")["checks"]
        assert {name for name, e in record.items() if e["passed"]} == set(progress.LESSON_CHECKS[lesson]), record
        assert {e["lesson"] for e in record.values()} == {lesson}
        rows = {row[0]: row for row in progress.progress_rows(tmp_path / "progress.json")}
        assert rows[lesson][1] == rows[lesson][2] == len(progress.LESSON_CHECKS[lesson])
