"""The project's promises about itself: the two install routes agree, notebooks are committed
clean and follow the lesson skeleton, generated links are up to date, and CI runs the README's
test command."""

import ast
import importlib
import importlib.metadata
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

try:
    import tomllib  # Python 3.11 and newer
except ModuleNotFoundError:             # Python 3.10: tomli, from the extra test
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / "tools"))   # tools/course.py is a development script, not in the package
import course  # noqa: E402

# The lessons follow the lesson skeleton; the notebooks in course.DASHBOARDS (the classroom app) do not.
LESSON_NOTEBOOKS = [p for p in NOTEBOOKS if p.name not in course.DASHBOARDS]
DASHBOARD_NOTEBOOKS = [p for p in NOTEBOOKS if p.name in course.DASHBOARDS]


def _name(requirement):
    """'numpy>=1.24' -> 'numpy' (lower-case, '_' and '-' alike)."""
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _specs(requirements):
    """{'numpy': '>=2.0', ...}: each requirement's normalised name and its version specifier."""
    specs = {}
    for requirement in requirements:
        name = _name(requirement)
        rest = re.sub(r"\s+", "", requirement.split("#")[0].strip()[len(name):])
        specs[name] = re.sub(r"^\[[^\]]*\]", "", rest)   # 'softmax-lab[lab]' -> '' (its extras are not a version)
    return specs


def test_environment_yml_is_the_package_with_its_front_ends_and_classroom_extras():
    """environment.yml (Binder, a hub image, conda users) == the package's own dependencies plus the
    extras lab and classroom, with the same minimums; the test tools stay out of it."""
    project = _pyproject()["project"]
    extras = project["optional-dependencies"]
    declared = _specs(project["dependencies"] + extras["lab"] + extras["classroom"])

    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["name"] == "softmax-lab" and env["channels"] == ["conda-forge"]
    conda = _specs(d for d in env["dependencies"] if isinstance(d, str) and _name(d) not in ("python", "pip"))
    pip_parts = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    assert pip_parts == [["-e ."]], "environment.yml must install the package itself with pip: [-e .]"
    assert conda == declared, (f"only in environment.yml: {set(conda.items()) - set(declared.items())}; "
                               f"only in pyproject: {set(declared.items()) - set(conda.items())}")
    test_tools = set(_specs(r for r in extras["test"] if not r.startswith("softmax-lab")))
    assert not test_tools & set(conda), f"test tools in the learner's environment: {test_tools & set(conda)}"


def test_every_package_in_environment_yml_says_what_uses_it():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    packages = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    lines = [line for line in (ROOT / "environment.yml").read_text().splitlines()
             if re.match(r"\s+- [a-z]", line) and _name(line.strip()[2:]) in packages]
    assert len(lines) == len(packages)
    assert lines and all("#" in line for line in lines), [line for line in lines if "#" not in line]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [i for i, c in enumerate(nb["cells"])
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; run `make strip` before committing"


@pytest.mark.parametrize("path", LESSON_NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_follows_the_lesson_skeleton(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    text = {"markdown": "", "code": ""}
    for cell in nb["cells"]:
        text[cell["cell_type"]] = text.get(cell["cell_type"], "") + "".join(cell["source"]) + "\n"
    md, code = text["markdown"], text["code"]
    assert re.search(r"^# \S", md, re.M), f"{path.name} needs a title (a '# ' heading)"
    for heading in ("## Setup", "## Check your understanding", "## Summary"):
        assert heading in md, f"{path.name} lacks the '{heading}' section"
    assert "default_rng(" in code, f"{path.name} must seed a np.random.default_rng"
    assert "# NBVAL_IGNORE_OUTPUT" in code, f"{path.name} needs its environment line marked NBVAL_IGNORE_OUTPUT"
    assert "softmax_lab" in code
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", DASHBOARD_NOTEBOOKS, ids=lambda p: p.name)
def test_dashboard_notebook_is_a_titled_app_without_lesson_parts(path):
    """A dashboard app (course.DASHBOARDS): a title, softmax_lab's dashboards, no navigation bar, no
    exercises, and nothing shown but the dashboard (Voila hides code, not outputs)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    md = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert re.search(r"^# \S", md, re.M), f"{path.name} needs a title (a '# ' heading)"
    assert any("from softmax_lab.widgets import" in src for src in code)
    assert not any(course.NAV_TAG in c.get("metadata", {}).get("tags", []) for c in nb["cells"])
    assert not any("NotImplementedError" in src or "check_" in src for src in code)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_imports_instead_of_redefining_the_package(path):
    """Only a learner's exercise cell (which starts as `raise NotImplementedError`) may define these."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        src = "".join(cell["source"])
        if cell["cell_type"] != "code" or "NotImplementedError" in src:
            continue
        found = re.findall(r"^\s*def (softmax|log_softmax|logsumexp|sigmoid|log_sigmoid|entropy|cross_entropy\w*)\b",
                           src, re.M)
        assert not found, f"{path.name} cell {i} re-defines {found}; import it from softmax_lab"


@pytest.mark.slow
def test_every_notebook_is_a_listed_lesson_and_links_are_current():
    """Every notebook is a lesson of softmax_lab.notebooks or a dashboard app of course.DASHBOARDS, never both."""
    listed = [lesson.file for lesson in course.LESSONS]
    assert not set(listed) & set(course.DASHBOARDS), "a notebook is either a lesson or a dashboard app"
    assert sorted(p.name for p in NOTEBOOKS) == sorted(listed + list(course.DASHBOARDS))
    stale = course.sync(check=True)
    assert stale == [], f"run `python tools/course.py`: {stale}"


@pytest.mark.slow
def test_course_script_check_runs_from_the_command_line(tmp_path):
    """`python tools/course.py --check` works as a script (exit 0 when current, 1 when stale)."""
    script = [sys.executable, str(ROOT / "tools" / "course.py"), "--check"]
    result = subprocess.run(script, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (ROOT / "softmax_lab" / "course.py").exists(), "course.py is a tool: it lives in tools/"
    assert not (ROOT / "softmax_lab" / "corpus.py").exists(), "corpus.py is a build tool: it lives in data/"


@pytest.mark.slow
def test_course_check_notices_a_stale_link(tmp_path):
    """The --check mode must fail when a navigation cell is edited by hand."""
    (tmp_path / "notebooks").mkdir()
    for p in NOTEBOOKS:
        (tmp_path / "notebooks" / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "README.md").write_text((ROOT / "README.md").read_text(encoding="utf-8"), encoding="utf-8")
    assert course.sync(check=True, root=tmp_path) == []
    victim = tmp_path / "notebooks" / course.LESSONS[1][0]
    nb = json.loads(victim.read_text(encoding="utf-8"))
    nb["cells"][0]["source"] = "hand-typed links"
    victim.write_text(json.dumps(nb), encoding="utf-8")
    assert course.sync(check=True, root=tmp_path) == [str(victim)]
    assert course.sync(root=tmp_path) == [str(victim)]             # repaired ...
    assert course.sync(check=True, root=tmp_path) == []            # ... and now current


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"^make test$", ci, re.M)
    assert "make test" in readme and "make lab" in readme
    commands = [line for line in ci.splitlines() if not line.lstrip().startswith("#")]
    assert not any("playwright install" in line for line in commands), "CI must use Debian's chromium"


def _makefile_recipes():
    makefile = (ROOT / "Makefile").read_text()
    rules = re.findall(r"^([\w$()]+):([^\n]*)\n((?:\t[^\n]*\n)+)", makefile, re.M)
    return makefile, {name: (prerequisites.split(), body) for name, prerequisites, body in rules}


def test_makefile_targets_exist():
    makefile, rules = _makefile_recipes()
    for target in ("lab", "notebook", "test", "check", "bench", "demo", "data", "doctor", "strip"):
        assert target in rules, target
    recipes = {name: body for name, (_, body) in rules.items()}
    for target in ("test", "check"):
        assert "ruff check ." in recipes[target], f"make {target} must run ruff before pytest"
    assert "--cov" in recipes["test"] and "--nbval" in recipes["test"]
    assert "--dist loadfile" in recipes["test"], "a notebook's cells must stay in one xdist worker"
    fast = recipes["check"]
    assert "-x" in fast and "not slow" in fast and "tests/browser" in fast
    assert "--cov" not in fast and "--nbval" not in fast


def test_make_test_runs_the_wheel_and_the_minimum_versions_jobs():
    """tests/test_distribution.py (the wheel in a fresh environment, the declared minimums) is
    marked slow, not browser: `make test` (what CI runs) must select it, `make check` leaves it out."""
    _, rules = _makefile_recipes()
    pytest_lines = [line for line in rules["test"][1].splitlines() if "pytest" in line]
    assert len(pytest_lines) == 1, pytest_lines
    options = pytest_lines[0].split(" -m pytest", 1)[1].split()
    assert not {"-m", "-k", "--ignore"} & set(options) and not any(o.startswith("--ignore=") for o in options), \
        f"make test must run every test, slow ones too: {pytest_lines[0]}"
    assert "tests" in _pyproject()["tool"]["pytest"]["ini_options"]["testpaths"]
    tree = ast.parse((ROOT / "tests" / "test_distribution.py").read_text(encoding="utf-8"))
    tests = {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}
    assert {"test_the_declared_minimum_versions_pass_the_tests_of_their_interfaces",
            "test_softmax_lab_serves_lesson_00_at_the_address_it_prints",
            "test_from_another_directory_the_model_loads_and_every_dashboard_builds"} <= tests
    marks = [ast.unparse(node.value) for node in tree.body
             if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["pytestmark"]]
    assert marks == ["pytest.mark.slow"], marks


def test_make_lab_installs_the_course_and_make_test_adds_the_test_tools():
    """`make lab` installs the package with its front ends and Voila, not the test tools; the
    targets that run tests or benchmarks add the extra `test` on top."""
    _, rules = _makefile_recipes()
    course, tests = rules["$(STAMP)"][1], rules["$(TEST_STAMP)"]
    installs = [line for line in course.splitlines() if "pip install" in line]
    assert len(installs) == 1 and "-e '.[lab,classroom]'" in installs[0] and "test" not in installs[0]
    assert "$(STAMP)" in tests[0] and "-e '.[test]'" in tests[1]
    for target in ("lab", "notebook", "demo", "data", "doctor"):
        assert rules[target][0] == ["$(STAMP)"], f"make {target} needs the course only"
    for target in ("test", "check", "bench", "screenshots"):
        assert rules[target][0] == ["$(TEST_STAMP)"], f"make {target} needs the test tools"
    extras = _pyproject()["project"]["optional-dependencies"]
    assert set(extras) == {"lab", "classroom", "test"}
    assert set(_specs(extras["test"])) >= {"softmax-lab", "pytest", "nbval", "playwright"}


def test_make_lab_notebook_and_demo_start_the_course_through_the_launcher():
    """One way to start the course, tested once (tests/test_launch.py): make calls `softmax-lab`
    on notebooks/, which it serves in place (the lessons of an editable install are those files)."""
    _, rules = _makefile_recipes()
    assert rules["lab"][1].split() == ["$(BIN)/softmax-lab", "notebooks"]
    assert rules["notebook"][1].split() == ["$(BIN)/softmax-lab", "notebooks", "--notebook"]
    assert rules["demo"][1].split() == ["$(BIN)/softmax-lab", "notebooks", "--classroom"]


def test_python_version_is_stated_once_and_checked_by_make():
    """requires-python is the oldest Python the tests run on (3.10: tests/test_distribution.py makes
    the minimum-versions environment with it); make refuses an older Python the same way, and the
    README says the same minimum."""
    requires = _pyproject()["project"]["requires-python"]
    found = re.fullmatch(r">=(3)\.(\d+)", requires)
    assert found, f"requires-python {requires!r} must read '>=3.X'"
    major, minor = found.groups()
    assert (major, minor) == ("3", "10"), "3.10 is the oldest Python the minimum-versions job looks for and runs"
    makefile, _ = _makefile_recipes()
    assert f"sys.version_info >= ({major}, {minor})" in makefile, "make's Python check differs from requires-python"
    assert f"needs Python {major}.{minor} or newer" in makefile
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"Python {major}.{minor} or newer" in readme and f'`requires-python = "{requires}"`' in readme


def test_pytest_cache_is_on_and_slow_is_a_registered_marker():
    """`pytest --lf` needs the cache provider; `make check` deselects the marker `slow`."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert "no:cacheprovider" not in pyproject
    assert re.search(r'^\s*"slow:', pyproject, re.M)
    assert ".pytest_cache/" in (ROOT / ".gitignore").read_text().splitlines()


def test_coverage_lists_only_modules_that_exist():
    pyproject = (ROOT / "pyproject.toml").read_text()
    coverage = pyproject.split("[tool.coverage.report]", 1)[1]
    include = re.search(r"^include = \[(.*?)\]", coverage, re.M | re.S).group(1)
    listed = re.findall(r'"([^"]+)"', include)
    assert listed and all((ROOT / path).is_file() for path in listed), [p for p in listed if not (ROOT / p).is_file()]


def test_license_matches_pyproject():
    assert 'license = "MIT"' in (ROOT / "pyproject.toml").read_text()            # an SPDX expression
    assert importlib.metadata.metadata("softmax-lab").get("License-Expression") == "MIT"
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "the softmax-lab authors" in text


def test_every_notebook_prints_its_versions_with_the_helper():
    """One source: the versions line comes from softmax_lab.doctor.versions, not a copied cell."""
    for path in LESSON_NOTEBOOKS:
        code = [c["source"] for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
        code = ["".join(s) for s in code]
        cells = [s for s in code if "versions()" in s]
        assert len(cells) == 1 and "# NBVAL_IGNORE_OUTPUT" in cells[0], path.name
        assert not any("__version__" in s for s in code), f"{path.name} prints versions by hand"


# --------------------------------------------------------------------------------------------
# Stated lesson times follow the rule in tools/course.py
# --------------------------------------------------------------------------------------------

def _toy_notebook(prose_words=0, prompts=0, exercises=0, questions=0, dashboards=0, time_line=True):
    md = ["# Toy\n\n" + ("word " * prose_words) + ("\n**Time to complete:** about 99 minutes." if time_line else "")]
    md += [f"**Predict first:** question {i}?" for i in range(prompts)]
    code = ["from softmax_lab.widgets import logit_explorer, setup_figures\nsetup_figures()"]
    code += [f"def f{i}(z):\n    raise NotImplementedError  # your code" for i in range(exercises)]
    code += [f"check_softmax(f{i})" for i in range(exercises)]
    code += [f"check_answer(a{i}, expected=1)" for i in range(questions)]
    code += ["logit_explorer([1, 2])" for _ in range(dashboards)]
    cells = [{"cell_type": "markdown", "metadata": {}, "source": s} for s in md]
    cells += [{"cell_type": "code", "metadata": {}, "source": s, "outputs": [], "execution_count": None} for s in code]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_the_time_rule_counts_what_a_learner_does():
    empty = course.lesson_workload(_toy_notebook())
    assert empty == {"words": 1, "exercises": 0, "questions": 0, "prompts": 0, "dashboards": 0}  # "Toy"; no time line
    nb = _toy_notebook(prose_words=287, prompts=3, exercises=2, questions=1, dashboards=2)
    w = course.lesson_workload(nb)
    assert w == {"words": 300, "exercises": 2, "questions": 1, "prompts": 3, "dashboards": 2}
    low = (300 / course.WORDS_PER_MINUTE + 2 * course.MINUTES_PER_EXERCISE + course.MINUTES_PER_QUESTION
           + 3 * course.MINUTES_PER_PROMPT + 2 * course.MINUTES_PER_DASHBOARD)
    slow = course.SLOW
    high = (300 / slow["words_per_minute"] + 2 * slow["exercise"] + slow["question"] + 3 * slow["prompt"]
            + 2 * slow["dashboard"])
    assert course.lesson_minutes(nb) == (5 * -(-low // 5), 5 * -(-high // 5))
    more = _toy_notebook(prose_words=287, prompts=3, exercises=3, questions=1, dashboards=2)
    assert course.lesson_minutes(more)[0] == course.lesson_minutes(nb)[0] + course.MINUTES_PER_EXERCISE
    assert course.lesson_minutes(more)[1] == course.lesson_minutes(nb)[1] + slow["exercise"]
    assert course.lesson_minutes(_toy_notebook()) == (course.ROUND_TO, course.ROUND_TO)   # never 0 minutes


def test_the_high_end_covers_the_walk_throughs():
    """Issue 16: learners took 07 90-110 min, 08 95-120, 09 70-90, 10 80-100, 11 85-110, 00-06 4-5 h."""
    walked = {"07": 110, "08": 120, "09": 90, "10": 100, "11": 110}
    times = {lesson.number: course.lesson_minutes(course._normalised(course._read(lesson.file)))
             for lesson in course.LESSONS}
    for lesson, slowest in walked.items():
        assert times[lesson][1] >= slowest, (lesson, times[lesson])
    assert sum(times[f"0{i}"][1] for i in range(7)) >= 300


def test_an_optional_section_is_left_out_of_the_core_path():
    nb = _toy_notebook(prose_words=100, prompts=1, exercises=1, dashboards=1)
    extra = [{"cell_type": "markdown", "metadata": {}, "source": "## 5. Going further (optional)\n\n" + "word " * 300
              + "\n**Predict first:** more?"},
             {"cell_type": "code", "metadata": {}, "source": "logit_explorer([1, 2])", "outputs": [],
              "execution_count": None},
             {"cell_type": "markdown", "metadata": {}, "source": "### 5.1 A subsection, still optional\n\nword word"},
             {"cell_type": "markdown", "metadata": {}, "source": "text\n\n## Summary\n\nword word word"}]
    nb["cells"][1:1] = extra
    whole, core = course.lesson_workload(nb), course.lesson_workload(nb, core=True)
    assert whole["words"] - core["words"] == 4 + 300 + 3 + 6 + 2 + 1      # the optional sections' words
    assert (whole["prompts"], core["prompts"], whole["dashboards"], core["dashboards"]) == (2, 1, 2, 1)
    times = course.lesson_times(nb)
    assert times["core"][0] < times["whole"][0] and times["core"][1] < times["whole"][1]
    assert "without the sections marked (optional)" in course.time_line(times)
    assert course.time_line(course.lesson_times(_toy_notebook())).endswith("(core path: the whole lesson).")


@pytest.mark.slow
def test_every_lesson_states_the_time_the_rule_gives_and_the_tables_agree():
    readme = (ROOT / "README.md").read_text()
    totals = [0, 0]
    for lesson in course.LESSONS:
        nb = json.loads((ROOT / "notebooks" / lesson.file).read_text(encoding="utf-8"))
        times = course.lesson_times(course._normalised(nb))
        text = "\n".join(course._source_text(c) for c in nb["cells"] if c["cell_type"] == "markdown")
        stated = re.findall(r"\*\*Time to complete:\*\* (\d+)-(\d+) minutes", text)
        assert stated == [tuple(str(m) for m in times["whole"])], f"{lesson.file} states {stated}, the rule {times}"
        (lo, hi), (core_lo, core_hi) = times["whole"], times["core"]
        assert (f"[{lesson.title}](notebooks/{lesson.file}) | {lesson.claim} | {lo}-{hi} min | "
                f"{core_lo}-{core_hi} min |") in readme
        totals = [totals[0] + lo, totals[1] + hi]
    assert f"**{totals[0]}-{totals[1]} min**" in readme


def test_a_lesson_without_its_time_line_is_an_error():
    times = [{"whole": (10, 20), "core": (10, 20)}] * len(course.LESSONS)
    with pytest.raises(ValueError, match="must state its time once"):
        course.updated_notebook(_toy_notebook(time_line=False), 1, times)


def test_the_module_map_lists_every_public_module_in_its_own_words():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("<!-- modules:start -->", 1)[1].split("<!-- modules:end -->", 1)[0]
    listed = re.findall(r"^\| `([\w.]+)` \|", table, re.M)
    package = ROOT / "softmax_lab"
    public = {".".join(p.relative_to(package).with_suffix("").parts).removesuffix(".__init__")
              for p in package.rglob("*.py") if not p.name.startswith("_") or p.name == "__init__.py"}
    public -= {"__init__"}
    assert sorted(listed) == sorted(public)
    assert "| `calibration` | Calibration: does a model's confidence match how often it is right? |" in table


def test_strip_clears_outputs_and_keeps_everything_else(tmp_path):
    (tmp_path / "notebooks").mkdir()
    source = NOTEBOOKS[0]
    nb = json.loads(source.read_text(encoding="utf-8"))
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hello\n"}]
    code["execution_count"] = 3
    code["metadata"]["execution"] = {"iopub.status.busy": "2024-01-01T00:00:00"}
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    dirty = tmp_path / "notebooks" / source.name
    dirty.write_text(json.dumps(nb), encoding="utf-8")
    assert course.strip(tmp_path) == [str(dirty)]
    assert dirty.read_text(encoding="utf-8") == source.read_text(encoding="utf-8")   # exactly as committed
    assert course.strip(tmp_path) == []


def test_every_lesson_has_its_dashboard_picture_and_the_pictures_stay_small():
    """The README's table shows notebooks/images/screenshots/<stem>.png (from `make screenshots`)."""
    folder = ROOT / "notebooks" / course.SCREENSHOTS
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for lesson in course.LESSONS:
        picture = folder / (Path(lesson.file).stem + ".png")
        assert picture.exists(), f"{picture} is missing: run `make screenshots`"
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{picture} is not a PNG"
        assert f'src="notebooks/{course.SCREENSHOTS}/{picture.name}"' in readme
    total = sum(p.stat().st_size for p in folder.glob("*.png"))
    assert total < 600_000, f"the screenshots take {total / 1e3:.0f} KB; keep them to a few hundred KB"


# --------------------------------------------------------------------------------------------
# The distribution: what the wheel holds, what each dependency is for, the declared minimums
# (the wheel itself, installed in a fresh environment: tests/test_distribution.py)
# --------------------------------------------------------------------------------------------

def test_every_subpackage_is_in_the_wheel():
    """pyproject.toml lists the packages by hand (two of them are mapped from data/ and notebooks/):
    a new subpackage of softmax_lab/ that is not listed would be missing from the wheel."""
    setuptools_config = _pyproject()["tool"]["setuptools"]
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "softmax_lab").rglob("__init__.py")
               if "__pycache__" not in p.parts}
    mapped = setuptools_config["package-dir"]
    assert mapped == {"softmax_lab.course_data": "data", "softmax_lab.notebooks": "notebooks"}
    assert set(setuptools_config["packages"]) == on_disk | set(mapped)
    for folder in mapped.values():
        assert (ROOT / folder / "__init__.py").is_file(), f"{folder}/__init__.py lets importlib.resources find it"


def _imports(path, module_level_only):
    """Top-level names of the modules imported by ``path`` (absolute imports only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if module_level_only else ast.walk(tree)
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _providers(requirements):
    """Import names provided by the distributions named in ``requirements``: each distribution's
    ``top_level.txt``, or, for wheels built without one (numpy's), the first part of the paths it
    installs (Python 3.11's ``packages_distributions`` infers these; 3.10's does not)."""
    wanted = set(_specs(requirements))
    modules = set()
    for dist in importlib.metadata.distributions():
        if _name(dist.metadata["Name"]) not in wanted:
            continue
        declared = (dist.read_text("top_level.txt") or "").split()
        inferred = {f.parts[0].removesuffix(".py") for f in dist.files or ()
                    if len(f.parts) > 1 or f.suffix == ".py"}
        modules |= set(declared) | {m for m in inferred if ".dist-info" not in m and m != ".."}
    return modules


# Imported at module level although no requirement names them: each comes with a dependency.
BUNDLED = {"traitlets": "ipywidgets"}   # ipywidgets is built on traitlets: every release requires it


@pytest.mark.slow
def test_the_package_imports_only_what_it_declares():
    """A module-level import must be the standard library or a dependency of the package itself
    (what a course author gets with `pip install softmax-lab`); a package of an extra (JupyterLab,
    ipympl, ml_dtypes, Voila) may only be imported inside the function that needs it."""
    project = _pyproject()["project"]
    base = _providers(project["dependencies"]) | {"softmax_lab"}
    extras = _providers(project["optional-dependencies"]["lab"] + project["optional-dependencies"]["classroom"])
    for module, dependency in BUNDLED.items():
        assert any(_name(r) == module for r in importlib.metadata.requires(dependency)), (module, dependency)
    base |= set(BUNDLED)
    stdlib = set(sys.stdlib_module_names)
    for path in sorted((ROOT / "softmax_lab").rglob("*.py")):
        where = path.relative_to(ROOT)
        undeclared = _imports(path, module_level_only=True) - stdlib - base
        assert not undeclared, f"{where} imports {undeclared} at module level, which `import softmax_lab` lacks"
        anywhere = _imports(path, module_level_only=False) - stdlib - base - extras - {"jupyter_core"}
        assert not anywhere, f"{where} imports {anywhere}, which no requirement of pyproject.toml installs"


EXTRA_PACKAGES = ("ipympl", "ml_dtypes", "jupyterlab", "notebook", "voila", "nbgitpuller", "jupyter_core")


@pytest.mark.slow
def test_the_package_and_every_dashboard_work_without_the_extras(tmp_path):
    """What a course author or a hub image gets from the package alone: the math, the data, every
    dashboard (PNG figures), and a message naming the extra where an optional package is needed."""
    env = dict(os.environ, MPLBACKEND="Agg")
    script = [sys.executable, str(ROOT / "tests" / "build_every_dashboard.py"), "--block", *EXTRA_PACKAGES]
    result = subprocess.run(script, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    built = json.loads(result.stdout.splitlines()[-1])["dashboards"]
    assert len(built) >= 19 and "classroom" in built, built

    blocked = "import sys; sys.modules['ml_dtypes'] = None\n" \
              "from softmax_lab.exercises import stability\nstability.bfloat16_ceiling()"
    result = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 1 and "ImportError: " in result.stderr, result.stderr[-2000:]
    message = result.stderr.strip().splitlines()[-1]
    assert "ml_dtypes" in message and "softmax-lab[lab]" in message and "lesson 05" in message, message


def test_an_optional_package_is_imported_or_named_with_its_extra(monkeypatch):
    """softmax_lab.extras: the package when it is installed; when it is not, an ImportError naming
    the package and the extra that installs it, from the function and from the import statement."""
    from softmax_lab import extras

    assert extras.optional_import("ml_dtypes").__name__ == "ml_dtypes"
    monkeypatch.setitem(sys.modules, "ml_dtypes", None)                # as if it were not installed
    with pytest.raises(ImportError, match=r"ml_dtypes.*softmax-lab\[lab\]"):
        extras.optional_import("ml_dtypes")
    with pytest.raises(ImportError, match=r"ml_dtypes.*softmax-lab\[lab\]"):
        from softmax_lab.extras import ml_dtypes  # noqa: F401
    with pytest.raises(ValueError, match="name"):
        extras.optional_import("scipy")
    with pytest.raises(AttributeError, match="scipy"):
        extras.scipy  # noqa: B018
    assert not hasattr(extras, "pytest_plugins")                         # other names stay plain attributes


def _constraints_module():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        return importlib.import_module("constraints")
    finally:
        sys.path.remove(str(ROOT / "tools"))


def test_constraints_pin_every_requirement_to_its_declared_minimum():
    constraints = _constraints_module()
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    pins = dict(line.split("==") for line in constraints.constraints(text).splitlines() if not line.startswith("#"))
    project = _pyproject()["project"]
    everything = project["dependencies"] + [r for rs in project["optional-dependencies"].values() for r in rs]
    declared = {_name(r): spec for r, spec in _specs(everything).items() if r != "softmax-lab"}
    # an environment marker is kept: "tomli==2.0 ; python_version < '3.11'" (spaces left out to compare)
    assert {_name(n): "==" + v.replace(" ", "") for n, v in pins.items()} == \
        {n: s.replace(">=", "==") for n, s in declared.items()}
    lab_only = constraints.constraints(text, ["lab"])
    assert "jupyterlab==" in lab_only and "voila==" not in lab_only and "pytest==" not in lab_only


def test_constraints_refuse_a_requirement_without_a_minimum():
    constraints = _constraints_module()
    pyproject = ('[project]\nname = "x"\ndependencies = ["numpy>=2.0"]\n'
                 '[project.optional-dependencies]\nt = ["x[u]", "pytest"]\nu = ["ruff>=0.5,<1"]\n')
    with pytest.raises(ValueError, match="pytest"):
        constraints.constraints(pyproject, ["t"])
    with pytest.raises(ValueError, match="ruff"):
        constraints.constraints(pyproject, ["u"])
    with pytest.raises(ValueError, match="extras"):
        constraints.constraints(pyproject, ["nope"])
    # an extra that includes another (the test extra includes lab and classroom) is followed
    included = pyproject.replace('"pytest"', '"pytest>=7"').replace('"ruff>=0.5,<1"', '"ruff>=0.5"')
    assert constraints.constraints(included, ["t"]).splitlines()[1:] == ["numpy==2.0", "pytest==7", "ruff==0.5"]


def _paragraphs(text):
    return [block for block in re.split(r"\n\s*\n", text) if block.strip()]


def test_readme_puts_the_no_clone_route_first_and_no_one_on_a_name_on_pypi():
    """The package is not published: every install command in the README names the repository
    (a git URL), a wheel file or the clone itself; the bare name appears only where the README
    says it works once published. The route without a clone comes before `make lab`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Start")
    assert readme.index("pipx run --spec", start) < readme.index("uvx --from", start) < readme.index("make lab", start)
    commands = [line for block in re.findall(r"```[a-z]*\n(.*?)```", readme, re.S) for line in block.splitlines()]
    installs = [line for line in commands if re.search(r"\b(pip install|pipx (run|install)|uvx|uv tool)\b", line)]
    assert installs
    for line in installs:
        assert re.search(r"git\+https://github\.com/OWNER/REPO|\.whl|-e \.|\[test\]", line), \
            f"this command would fetch a package by name from an index: {line}"
    # "pip install softmax-lab", "pipx run --spec 'softmax-lab[lab]' ...": a name, not "NAME @ URL"
    by_name = re.compile(r"(pipx run|pip install|uvx)( --spec| --from)? "
                         r"'?softmax-lab(\[[a-z,]*\])?'?(?!\s*@)(?![\w\[-])")
    for paragraph in _paragraphs(readme):
        if by_name.search(paragraph):
            assert "publish" in paragraph, f"a bare package name outside the 'once published' note: {paragraph}"
