"""The learning path: the list of lessons, and the script that keeps their links in step.

``python tools/course.py`` writes, from the table below,

* the navigation bar (previous / start / next) at the top and bottom of every notebook, as
  markdown cells tagged ``navigation``;
* the learning-path table in README.md and in notebooks/00_start_here.ipynb, between the
  markers ``<!-- lessons:start -->`` and ``<!-- lessons:end -->``;
* each lesson's "**Time to complete:** about N minutes." line, with N from :func:`lesson_minutes`:
  a rule applied to the notebook's content, never a number typed by hand.

``python tools/course.py --check`` changes nothing and exits 1 if anything is stale (the
test suite runs it), so links are never typed by hand and never go out of date.
"""

import ast
import json
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

# (file, title, the claim about softmax in LLMs the lesson examines); the time comes from lesson_minutes()
LESSONS = [
    ("00_start_here.ipynb", "Start here", "What the course is, an environment check, and one slider"),
    ("01_softmax_basics.ipynb", "Softmax basics",
     "Softmax turns a model's raw scores into a probability distribution"),
    ("02_temperature_and_overconfidence.ipynb", "Temperature and overconfidence",
     "Temperature sets how confident the distribution looks, not how much the model knows"),
    ("03_softmax_vs_sigmoid.ipynb", "Softmax vs sigmoid",
     "Softmax is for one choice among many; sigmoids are for several yes/no questions"),
    ("04_cross_entropy_and_gradients.ipynb", "Cross-entropy and gradients",
     "Training pushes probability toward the target with the gradient p - y"),
    ("05_numerical_stability.ipynb", "Numerical stability",
     "The textbook formula overflows; shifted softmax and log-sum-exp do not"),
    ("06_next_token_sampling.ipynb", "Next-token sampling",
     "Text comes from sampling the softmax (temperature, top-k, top-p, min-p), not always the top word"),
    ("07_calibration_and_overconfidence.ipynb", "Calibration and overconfidence",
     "Softmax probabilities are not automatically honest: measure calibration, then repair it"),
    ("08_softmax_in_attention.ipynb", "Softmax in attention",
     "Every attention head runs a softmax: scaled by 1/sqrt(d), masked with -inf, computable in tiles"),
    ("09_large_vocabularies.ipynb", "Large vocabularies",
     "Softmax handles large vocabularies efficiently, yet its cost is a limitation: which is true, and when"),
    ("10_softmax_beyond_language.ipynb", "Softmax beyond language",
     "The same softmax classifies sentiment and images, explores in RL, and scores translations (beam search)"),
    ("11_the_article_audited.ipynb", "The article audited",
     "Every claim of the article, with a verdict and live evidence; softmax against its alternatives"),
]

DASHBOARDS = ("classroom.ipynb",)

START, END = "<!-- lessons:start -->", "<!-- lessons:end -->"
NAV_TAG = "navigation"

# --------------------------------------------------------------------------------------------
# How long a lesson takes: the rule
# --------------------------------------------------------------------------------------------
# Worked through as a learner would, lessons 00-06 took about 4-5 hours, far more than the
# 165 minutes first stated: reading is only part of it. The rule counts what a learner does:
WORDS_PER_MINUTE = 150     # reading the prose (every markdown cell, the collapsed answers included)
MINUTES_PER_EXERCISE = 10  # writing a function and getting its self-check to pass (a stub to fill in)
MINUTES_PER_QUESTION = 3   # working out a typed answer (any other self-check: check_answer(...), ...)
MINUTES_PER_PROMPT = 2     # a "Predict first" prompt: think, commit a guess, compare
MINUTES_PER_DASHBOARD = 5  # playing with an interactive dashboard
ROUND_TO = 5               # stated times are rounded up to a multiple of 5 minutes
TIME_LINE = re.compile(r"\*\*Time(?: to complete)?:\*\* about \d+ minutes\.")
PROMPT_MARK = "**Predict first:**"


def dashboard_factories(root=ROOT):
    """The dashboards a lesson can show: the factory functions softmax_lab.widgets exports
    (``logit_explorer`` for the class ``LogitExplorer``), read from its ``__all__`` without
    importing it."""
    tree = ast.parse((Path(root) / "softmax_lab" / "widgets" / "__init__.py").read_text(encoding="utf-8"))
    exported = next(ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                     and any(getattr(t, "id", "") == "__all__" for t in node.targets))
    return {name for name in exported if name.islower() and name.title().replace("_", "") in exported}


def lesson_workload(nb):
    """What a learner does in notebook JSON ``nb``: words read, exercises, questions, prompts, dashboards."""
    cells = [c for c in nb["cells"] if NAV_TAG not in c.get("metadata", {}).get("tags", [])]
    markdown = [_source_text(c) for c in cells if c["cell_type"] == "markdown"]
    code = [_source_text(c) for c in cells if c["cell_type"] == "code"]
    checks = sum(len(re.findall(r"\bcheck_\w+\(", src)) for src in code)
    # an exercise is a function to write (its stub raises NotImplementedError); every other
    # self-check asks for a typed answer (a number, a word, a dict of answers)
    exercises = sum(1 for src in code if re.search(r"^\s+raise NotImplementedError", src, re.M))
    dashboards = dashboard_factories()
    return {
        "words": sum(len(re.findall(r"[A-Za-z0-9']+", text)) for text in markdown),
        "exercises": exercises,
        "questions": max(0, checks - exercises),
        "prompts": sum(text.count(PROMPT_MARK) for text in markdown),
        "dashboards": sum(1 for src in code if any(re.search(rf"\b{n}\(", src) for n in dashboards)),
    }


def lesson_minutes(nb):
    """The stated time of notebook JSON ``nb``, in minutes, by the rule above."""
    w = lesson_workload(nb)
    minutes = (w["words"] / WORDS_PER_MINUTE + w["exercises"] * MINUTES_PER_EXERCISE
               + w["questions"] * MINUTES_PER_QUESTION + w["prompts"] * MINUTES_PER_PROMPT
               + w["dashboards"] * MINUTES_PER_DASHBOARD)
    return max(ROUND_TO, ROUND_TO * math.ceil(minutes / ROUND_TO))


def _read(name, root=ROOT):
    return json.loads((Path(root) / "notebooks" / name).read_text(encoding="utf-8"))


SCREENSHOTS = "images/screenshots"   # under notebooks/: `make screenshots` writes <notebook stem>.png there


def lesson_table(minutes, link_prefix="", pictures=False):
    """The learning path as a markdown table; links are relative, prefixed by ``link_prefix``.

    ``minutes`` holds each lesson's time, in the order of LESSONS. With ``pictures``, a last
    column shows each lesson's dashboard (the README; the notebook's own table stays compact).
    """
    head = "| # | Lesson | The claim it examines | Time |" + (" Dashboard |" if pictures else "")
    rows = [head, "|---|---|---|---|" + ("---|" if pictures else "")]
    for i, ((name, title, claim), m) in enumerate(zip(LESSONS, minutes, strict=True)):
        row = f"| {i:02d} | [{title}]({link_prefix}{name}) | {claim} | {m} min |"
        if pictures:
            picture = f"{link_prefix}{SCREENSHOTS}/{Path(name).stem}.png"
            row += f' <img src="{picture}" alt="{title}: its dashboard" width="220"> |'
        rows.append(row)
    total = sum(minutes)
    rows.append(f"| | **In all** | | **{total} min** (about {total / 60:.1f} h) |" + (" |" if pictures else ""))
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


def updated_notebook(nb, index, minutes):
    """Notebook JSON ``nb`` with navigation cells, its time line (and, for 00, the lesson table)
    brought up to date; ``minutes`` holds every lesson's time."""
    cells = [c for c in nb["cells"] if NAV_TAG not in c.get("metadata", {}).get("tags", [])]
    stated = f"**Time to complete:** about {minutes[index]} minutes."
    timed = [c for c in cells if c["cell_type"] == "markdown" and TIME_LINE.search(_source_text(c))]
    if len(timed) != 1:
        raise ValueError(f"{LESSONS[index][0]} must state its time once, as '{stated}' (found {len(timed)})")
    timed[0]["source"] = TIME_LINE.sub(lambda _: stated, _source_text(timed[0]))
    if index == 0:
        for cell in cells:
            src = _source_text(cell)
            if START in src:
                cell["source"] = _replace_between_markers(src, lesson_table(minutes), LESSONS[0][0])
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
    missing = [name for name, *_ in LESSONS if not (Path(root) / "notebooks" / name).exists()]
    if missing:
        return [f"missing: notebooks/{name} is listed in tools/course.py but does not exist" for name in missing]
    minutes = [lesson_minutes(_normalised(_read(name, root))) for name, *_ in LESSONS]
    for index, (name, *_rest) in enumerate(LESSONS):
        path = Path(root) / "notebooks" / name
        nb = json.loads(path.read_text(encoding="utf-8"))
        new = updated_notebook(_normalised(nb), index, minutes)
        if _normalised(nb) != new:
            stale.append(str(path))
            if not check:
                import nbformat  # written the way JupyterLab and nbformat write notebooks: small diffs

                path.write_text(nbformat.writes(nbformat.from_dict(new)) + "\n", encoding="utf-8")
    readme = Path(root) / "README.md"
    text = readme.read_text(encoding="utf-8")
    new_text = _replace_between_markers(text, lesson_table(minutes, "notebooks/", pictures=True), "README.md")
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
