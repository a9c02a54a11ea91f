"""The learning path and the README's maps, generated from the lesson registry and the package.

``python tools/course.py`` writes, from :data:`softmax_lab.lessons.LESSONS` (the one list of lessons),

* the navigation bar (previous / start / next) at the top and bottom of every notebook, as
  markdown cells tagged ``navigation``;
* the learning-path table in README.md and in notebooks/00_start_here.ipynb, between the
  markers ``<!-- lessons:start -->`` and ``<!-- lessons:end -->``;
* each lesson's time line, "**Time to complete:** 65-115 minutes (core path: ...)", with the range
  from :func:`lesson_minutes`: a rule applied to the notebook's content, never a number typed by hand;
* the module map in README.md, between ``<!-- modules:start -->`` and ``<!-- modules:end -->``: every
  public module of ``softmax_lab`` with the first sentence of its own docstring.

``python tools/course.py --check`` changes nothing and exits 1 if anything is stale (the test suite
runs it), so links, times and maps are never typed by hand and never go out of date.
``python tools/course.py --strip`` clears the outputs of every notebook (``make strip``): the
notebooks are committed without outputs.
"""

import ast
import json
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(ROOT))

from softmax_lab.lessons import DASHBOARD_APPS, LESSONS, OPTIONAL_MARK  # noqa: E402

DASHBOARDS = DASHBOARD_APPS

START, END = "<!-- lessons:start -->", "<!-- lessons:end -->"
MODULES_START, MODULES_END = "<!-- modules:start -->", "<!-- modules:end -->"
NAV_TAG = "navigation"

# --------------------------------------------------------------------------------------------
# How long a lesson takes: the rule, as a range
# --------------------------------------------------------------------------------------------
# Worked through as a learner would, the lessons took longer than the first rule said: 07 took
# 90-110 minutes, 08 95-120, 09 70-90, 10 80-100, 11 85-110 (two walk-throughs). So a lesson's time
# is a range. The low end counts what a learner does at a brisk pace:
WORDS_PER_MINUTE = 150     # reading the prose (every markdown cell, the collapsed answers included)
MINUTES_PER_EXERCISE = 10  # writing a function and getting its self-check to pass (a stub to fill in)
MINUTES_PER_QUESTION = 3   # working out a typed answer (any other self-check: check_answer(...), ...)
MINUTES_PER_PROMPT = 2     # a "Predict first" prompt: think, commit a guess, compare
MINUTES_PER_DASHBOARD = 5  # playing with an interactive dashboard
# The high end counts the same things at the pace the walk-throughs found: dense technical prose
# with formulas reads nearer 100 words a minute; a function with several cases takes up to 30 minutes
# to write and get past its check; a typed answer, a prediction and a dashboard take longer when the
# learner checks the reasoning, not only the number.
SLOW = {"words_per_minute": 100, "exercise": 30, "question": 5, "prompt": 3, "dashboard": 10}
ROUND_TO = 5               # stated times are rounded up to a multiple of 5 minutes
TIME_LINE = re.compile(r"\*\*Time(?: to complete)?:\*\* (?:about \d+ minutes\.|\d+-\d+ minutes[^\n]*)")
PROMPT_MARK = "**Predict first:**"
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")


def dashboard_factories(root=ROOT):
    """The dashboards a lesson can show: the factory functions softmax_lab.widgets exports
    (``logit_explorer`` for the class ``LogitExplorer``), read from its ``__all__`` without
    importing it."""
    tree = ast.parse((Path(root) / "softmax_lab" / "widgets" / "__init__.py").read_text(encoding="utf-8"))
    exported = next(ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                     and any(getattr(t, "id", "") == "__all__" for t in node.targets))
    return {name for name in exported if name.islower() and name.title().replace("_", "") in exported}


def _parts(nb):
    """The lesson's content as (on the core path?, kind, text) pieces, in order.

    A heading that ends with OPTIONAL_MARK starts an optional section, which runs to the next
    heading of the same or a higher level; everything else is the core path. A markdown cell is
    split at its headings, so a section can start in the middle of a cell.
    """
    optional_level = None
    for cell in nb["cells"]:
        if NAV_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        src = _source_text(cell)
        if cell["cell_type"] != "markdown":
            yield optional_level is None, cell["cell_type"], src
            continue
        lines = []
        for line in src.splitlines():
            heading = HEADING.match(line)
            if heading:
                if lines:
                    yield optional_level is None, "markdown", "\n".join(lines)
                    lines = []
                level = len(heading.group(1))
                if optional_level is not None and level <= optional_level:
                    optional_level = None
                if optional_level is None and heading.group(2).rstrip("*_ ").endswith(OPTIONAL_MARK):
                    optional_level = level
            lines.append(line)
        if lines:
            yield optional_level is None, "markdown", "\n".join(lines)


def lesson_workload(nb, core=False):
    """What a learner does in notebook JSON ``nb`` (only on its core path, with ``core``): words read,
    exercises, questions, prompts, dashboards."""
    parts = [(kind, text) for on_core, kind, text in _parts(nb) if on_core or not core]
    markdown = [TIME_LINE.sub("", text) for kind, text in parts if kind == "markdown"]   # the time line is not read
    code = [text for kind, text in parts if kind == "code"]
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


def _round_up(minutes):
    return max(ROUND_TO, ROUND_TO * math.ceil(minutes / ROUND_TO))


def lesson_minutes(nb, core=False):
    """The stated time of notebook JSON ``nb`` (or of its core path) as (low, high) minutes, by the rule above."""
    w = lesson_workload(nb, core=core)
    low = (w["words"] / WORDS_PER_MINUTE + w["exercises"] * MINUTES_PER_EXERCISE
           + w["questions"] * MINUTES_PER_QUESTION + w["prompts"] * MINUTES_PER_PROMPT
           + w["dashboards"] * MINUTES_PER_DASHBOARD)
    high = (w["words"] / SLOW["words_per_minute"] + w["exercises"] * SLOW["exercise"]
            + w["questions"] * SLOW["question"] + w["prompts"] * SLOW["prompt"]
            + w["dashboards"] * SLOW["dashboard"])
    return _round_up(low), _round_up(high)


def lesson_times(nb):
    """{"whole": (low, high), "core": (low, high)} for notebook JSON ``nb``."""
    return {"whole": lesson_minutes(nb), "core": lesson_minutes(nb, core=True)}


def time_line(times):
    """The time line a lesson states, from :func:`lesson_times`."""
    (lo, hi), (core_lo, core_hi) = times["whole"], times["core"]
    core = ("the whole lesson" if (core_lo, core_hi) == (lo, hi) else
            f"{core_lo}-{core_hi} minutes, without the sections marked {OPTIONAL_MARK}")
    return f"**Time to complete:** {lo}-{hi} minutes (core path: {core})."


def _read(name, root=ROOT):
    return json.loads((Path(root) / "notebooks" / name).read_text(encoding="utf-8"))


SCREENSHOTS = "images/screenshots"   # under notebooks/: `make screenshots` writes <notebook stem>.png there


def _hours(minutes):
    return f"{minutes / 60:.1f}"


def lesson_table(times, link_prefix="", pictures=False):
    """The learning path as a markdown table; links are relative, prefixed by ``link_prefix``.

    ``times`` holds each lesson's :func:`lesson_times`, in the order of LESSONS. With ``pictures``,
    a last column shows each lesson's dashboard (the README; the notebook's own table stays compact).
    """
    head = "| # | Lesson | The claim it examines | Time | Core path |" + (" Dashboard |" if pictures else "")
    rows = [head, "|---|---|---|---|---|" + ("---|" if pictures else "")]
    for lesson, t in zip(LESSONS, times, strict=True):
        (lo, hi), (core_lo, core_hi) = t["whole"], t["core"]
        row = (f"| {lesson.number} | [{lesson.title}]({link_prefix}{lesson.file}) | {lesson.claim} "
               f"| {lo}-{hi} min | {core_lo}-{core_hi} min |")
        if pictures:
            picture = f"{link_prefix}{SCREENSHOTS}/{Path(lesson.file).stem}.png"
            row += f' <img src="{picture}" alt="{lesson.title}: its dashboard" width="220"> |'
        rows.append(row)
    total = [sum(t[part][end] for t in times) for part in ("whole", "core") for end in (0, 1)]
    rows.append(f"| | **In all** | | **{total[0]}-{total[1]} min** (about {_hours(total[0])}-{_hours(total[1])} h) "
                f"| **{total[2]}-{total[3]} min** |" + (" |" if pictures else ""))
    return "\n".join(rows)


def navigation(index):
    """The navigation line of lesson ``index``: previous, the start page, next."""
    parts = []
    if index > 0:
        before = LESSONS[index - 1]
        parts.append(f"[< {before.number} {before.title}]({before.file})")
    if index > 1:  # lesson 01's "previous" already is the start page
        parts.append(f"[Start here]({LESSONS[0].file})")
    if index + 1 < len(LESSONS):
        after = LESSONS[index + 1]
        parts.append(f"[{after.number} {after.title} >]({after.file})")
    return "Lesson {:02d} of {:02d} &nbsp;|&nbsp; ".format(index, len(LESSONS) - 1) + " &nbsp;|&nbsp; ".join(parts)


# --------------------------------------------------------------------------------------------
# The module map
# --------------------------------------------------------------------------------------------

def public_modules(root=ROOT):
    """Every public module of softmax_lab as (dotted name, first sentence of its docstring), read
    without importing: the top-level modules, then each subpackage and its modules."""
    package = Path(root) / "softmax_lab"
    found = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package)
        if any(part.startswith("_") for part in rel.parts[:-1]) or (rel.name.startswith("_") and
                                                                    rel.name != "__init__.py"):
            continue
        if rel == Path("__init__.py"):
            continue                                  # the package itself: the README is its description
        name = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        if not doc:
            raise ValueError(f"softmax_lab/{rel} has no docstring: its first sentence goes into the README's map")
        found.append((name, _first_sentence(doc)))
    return sorted(found, key=lambda item: ("." in item[0], item[0]))      # top level first, then subpackages


def _first_sentence(doc):
    text = " ".join(doc.split("\n\n")[0].split())
    text = re.sub(r":(?:func|mod|class|data|meth|attr):`~?(?:softmax_lab\.)?([^`]+)`", r"`\1`", text)
    text = text.replace("``", "`")
    match = re.match(r"(.+?[.!?])(?:\s|$)", text)
    return (match.group(1) if match else text).rstrip(".")


def module_table(root=ROOT):
    """The README's module map: every public module and what it holds, in its own words."""
    rows = ["| module | what it holds |", "|---|---|"]
    rows += [f"| `{name}` | {line.replace('|', '&#124;')} |" for name, line in public_modules(root)]
    return "\n".join(rows)


def _replace_between_markers(text, table, where, start=START, end=END):
    if start not in text or end not in text:
        raise ValueError(f"{where} has no {start} ... {end} markers for its generated table")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{table}\n{end}{tail}"


def _nav_cell(text, where):
    return {"cell_type": "markdown", "id": f"navigation-{where}", "metadata": {"tags": [NAV_TAG]}, "source": text}


def updated_notebook(nb, index, times):
    """Notebook JSON ``nb`` with navigation cells, its time line (and, for 00, the lesson table)
    brought up to date; ``times`` holds every lesson's :func:`lesson_times`."""
    cells = [c for c in nb["cells"] if NAV_TAG not in c.get("metadata", {}).get("tags", [])]
    stated = time_line(times[index])
    timed = [c for c in cells if c["cell_type"] == "markdown" and TIME_LINE.search(_source_text(c))]
    if len(timed) != 1:
        raise ValueError(f"{LESSONS[index].file} must state its time once, as '{stated}' (found {len(timed)})")
    timed[0]["source"] = TIME_LINE.sub(lambda _: stated, _source_text(timed[0]))
    if index == 0:
        for cell in cells:
            src = _source_text(cell)
            if START in src:
                cell["source"] = _replace_between_markers(src, lesson_table(times), LESSONS[0].file)
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


def _write_notebook(path, nb):
    import nbformat  # written the way JupyterLab and nbformat write notebooks: small diffs

    path.write_text(nbformat.writes(nbformat.from_dict(nb)) + "\n", encoding="utf-8")


def sync(check=False, root=ROOT):
    """Bring navigation, times and the README's tables up to date; return the list of files that were stale."""
    stale = []
    missing = [lesson.file for lesson in LESSONS if not (Path(root) / "notebooks" / lesson.file).exists()]
    if missing:
        return [f"missing: notebooks/{name} is listed in softmax_lab/lessons.py but does not exist" for name in missing]
    times = [lesson_times(_normalised(_read(lesson.file, root))) for lesson in LESSONS]
    for index, lesson in enumerate(LESSONS):
        path = Path(root) / "notebooks" / lesson.file
        nb = json.loads(path.read_text(encoding="utf-8"))
        new = updated_notebook(_normalised(nb), index, times)
        if _normalised(nb) != new:
            stale.append(str(path))
            if not check:
                _write_notebook(path, new)
    readme = Path(root) / "README.md"
    text = readme.read_text(encoding="utf-8")
    new_text = _replace_between_markers(text, lesson_table(times, "notebooks/", pictures=True), "README.md")
    new_text = _replace_between_markers(new_text, module_table(), "README.md", MODULES_START, MODULES_END)
    if new_text != text:
        stale.append(str(readme))
        if not check:
            readme.write_text(new_text, encoding="utf-8")
    return stale


def stripped(nb):
    """Notebook JSON ``nb`` without outputs, execution counts, run metadata or saved widget state."""
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        for key in ("execution", "scrolled", "collapsed"):
            cell.get("metadata", {}).pop(key, None)
    nb.get("metadata", {}).pop("widgets", None)
    return nb


def strip(root=ROOT):
    """Clear the outputs of every notebook (lessons and apps); return the files that changed."""
    changed = []
    for path in sorted((Path(root) / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        clean = stripped(nb)
        if clean != nb:
            _write_notebook(path, clean)
            changed.append(str(path))
    return changed


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if "--strip" in argv:
        for path in strip():
            print("stripped: " + path)
        return 0
    check = "--check" in argv
    stale = sync(check=check)
    for path in stale:
        print(path if path.startswith("missing") else ("stale: " if check else "updated: ") + path)
    if any(p.startswith("missing") for p in stale) or (check and stale):
        print("run `python tools/course.py` to regenerate the links, times and tables")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
