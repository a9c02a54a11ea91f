"""The learning path: the list of lessons, and the script that keeps their links in step.

``python tools/course.py`` writes, from the table below,

* the navigation bar (previous / start / next) at the top and bottom of every notebook, as
  markdown cells tagged ``navigation``;
* the learning-path table in README.md and in notebooks/00_start_here.ipynb, between the
  markers ``<!-- lessons:start -->`` and ``<!-- lessons:end -->``.

``python tools/course.py --check`` changes nothing and exits 1 if anything is stale (the
test suite runs it), so links are never typed by hand and never go out of date.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

# (file, title, the claim about softmax in LLMs the lesson examines, minutes)
LESSONS = [
    ("00_start_here.ipynb", "Start here", "What the course is, an environment check, and one slider", 10),
    ("01_softmax_basics.ipynb", "Softmax basics",
     "Softmax turns a model's raw scores into a probability distribution", 25),
    ("02_temperature_and_overconfidence.ipynb", "Temperature and overconfidence",
     "Temperature sets how confident the distribution looks, not how much the model knows", 25),
    ("03_softmax_vs_sigmoid.ipynb", "Softmax vs sigmoid",
     "Softmax is for one choice among many; sigmoids are for several yes/no questions", 20),
    ("04_cross_entropy_and_gradients.ipynb", "Cross-entropy and gradients",
     "Training pushes probability toward the target with the gradient p - y", 30),
    ("05_numerical_stability.ipynb", "Numerical stability",
     "The textbook formula overflows; shifted softmax and log-sum-exp do not", 25),
    ("06_next_token_sampling.ipynb", "Next-token sampling",
     "Text comes from sampling the softmax (temperature, top-k, top-p, min-p), not always the top word", 30),
    ("07_calibration_and_overconfidence.ipynb", "Calibration and overconfidence",
     "Softmax probabilities are not automatically honest: measure calibration, then repair it", 40),
    ("08_softmax_in_attention.ipynb", "Softmax in attention",
     "Every attention head runs a softmax: scaled by 1/sqrt(d), masked with -inf, computable in tiles", 40),
    ("09_large_vocabularies.ipynb", "Large vocabularies",
     "Softmax handles large vocabularies efficiently, yet its cost is a limitation: which is true, and when", 35),
    ("10_softmax_beyond_language.ipynb", "Softmax beyond language",
     "The same softmax classifies sentiment and images, explores in RL, and scores translations (beam search)", 40),
    ("11_the_article_audited.ipynb", "The article audited",
     "Every claim of the article, with a verdict and live evidence; softmax against its alternatives", 35),
]

START, END = "<!-- lessons:start -->", "<!-- lessons:end -->"
NAV_TAG = "navigation"


def lesson_table(link_prefix=""):
    """The learning path as a markdown table; links are relative, prefixed by ``link_prefix``."""
    rows = ["| # | Lesson | The claim it examines | Time |", "|---|---|---|---|"]
    for i, (name, title, claim, minutes) in enumerate(LESSONS):
        rows.append(f"| {i:02d} | [{title}]({link_prefix}{name}) | {claim} | {minutes} min |")
    return "\n".join(rows)


def navigation(index):
    """The navigation line of lesson ``index``: previous, the start page, next."""
    parts = []
    if index > 0:
        name, title = LESSONS[index - 1][:2]
        parts.append(f"[< {LESSONS[index - 1][0][:2]} {title}]({name})")
    if index > 1:  # lesson 01's "previous" already is the start page
        parts.append(f"[Start here]({LESSONS[0][0]})")
    if index + 1 < len(LESSONS):
        name, title = LESSONS[index + 1][:2]
        parts.append(f"[{name[:2]} {title} >]({name})")
    return "Lesson {:02d} of {:02d} &nbsp;|&nbsp; ".format(index, len(LESSONS) - 1) + " &nbsp;|&nbsp; ".join(parts)


def _replace_between_markers(text, table, where):
    if START not in text or END not in text:
        raise ValueError(f"{where} has no {START} ... {END} markers for the lesson table")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table}\n{END}{tail}"


def _nav_cell(text, where):
    return {"cell_type": "markdown", "id": f"navigation-{where}", "metadata": {"tags": [NAV_TAG]}, "source": text}


def updated_notebook(nb, index):
    """Notebook JSON ``nb`` with navigation cells (and, for 00, the lesson table) brought up to date."""
    cells = [c for c in nb["cells"] if NAV_TAG not in c.get("metadata", {}).get("tags", [])]
    if index == 0:
        for cell in cells:
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if START in src:
                cell["source"] = _replace_between_markers(src, lesson_table(), LESSONS[0][0])
    nav = navigation(index)
    nb = dict(nb)
    nb["cells"] = [_nav_cell(nav, "top")] + cells + [_nav_cell(nav, "bottom")]
    return nb


def _source_text(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _normalised(nb):
    """A comparable form: sources as plain strings (nbformat may store them as lists of lines)."""
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        cell["source"] = _source_text(cell)
    return nb


def sync(check=False, root=ROOT):
    """Bring navigation and lesson tables up to date; return the list of files that were stale."""
    stale = []
    for index, (name, *_rest) in enumerate(LESSONS):
        path = Path(root) / "notebooks" / name
        if not path.exists():
            stale.append(f"missing: {path} is listed in tools/course.py but does not exist")
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        new = updated_notebook(_normalised(nb), index)
        if _normalised(nb) != new:
            stale.append(str(path))
            if not check:
                import nbformat  # written the way JupyterLab and nbformat write notebooks: small diffs

                path.write_text(nbformat.writes(nbformat.from_dict(new)) + "\n", encoding="utf-8")
    readme = Path(root) / "README.md"
    text = readme.read_text(encoding="utf-8")
    new_text = _replace_between_markers(text, lesson_table("notebooks/"), "README.md")
    if new_text != text:
        stale.append(str(readme))
        if not check:
            readme.write_text(new_text, encoding="utf-8")
    return stale


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    check = "--check" in argv
    stale = sync(check=check)
    for path in stale:
        print(path if path.startswith("missing") else ("stale: " if check else "updated: ") + path)
    if any(p.startswith("missing") for p in stale) or (check and stale):
        print("run `python tools/course.py` to regenerate the links and tables")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
