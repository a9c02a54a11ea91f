"""The course as a user installs it: one wheel built from the repository, installed (not editable)
into a fresh virtual environment, used from another directory; and the declared minimum versions,
installed exactly into another fresh environment and run.

Everything is built and installed under pytest's temporary directory; pip's own download cache
is what makes a second run quick. The wheel is built once (module fixture) from a copy of the
files git would commit (tracked, and new files not ignored), never from the work tree itself,
so a stale ``build/`` folder cannot leak into it. These tests are slow (minutes: two fresh
environments), hence marked ``slow``: `make test` runs them, `make check` does not.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from packaging.markers import Marker

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))   # tools/constraints.py: a development script, not in the package
import constraints  # noqa: E402

BIN = "Scripts" if os.name == "nt" else "bin"
PIP_TIMEOUT = 900          # a fresh environment with JupyterLab: about a minute with pip's cache warm
LESSON_FOR_MINIMUMS = "notebooks/05_numerical_stability.ipynb"   # the numerics, float16 and bfloat16


def clean_env(**extra):
    """The environment for a child process: nothing from this test run (pytest-xdist, coverage,
    an activated venv) that would change what it imports or where it writes."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "COV_CORE_", "PIP_REQUIRE_VIRTUALENV"))
           and k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "JUPYTER_PATH", "JUPYTER_CONFIG_PATH")}
    env.update(MPLBACKEND="Agg", PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


def run(command, timeout, **kwargs):
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=timeout, **kwargs)
    assert result.returncode == 0, f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def files_git_would_commit():
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], 60, cwd=ROOT).stdout
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A copy of the repository as git would commit it now."""
    copy = tmp_path_factory.mktemp("source") / "softmax-lab"
    for name in files_git_would_commit():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, copy / name)
    return copy


@pytest.fixture(scope="module")
def wheel(source, tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    started = time.monotonic()
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", dist, source], PIP_TIMEOUT,
        env=clean_env())
    (built,) = dist.glob("softmax_lab-*.whl")
    print(f"\nwheel: {built.name}, {built.stat().st_size / 1e6:.2f} MB, built in {time.monotonic() - started:.0f} s")
    return built


def new_venv(folder, python=sys.executable):
    run([python, "-m", "venv", folder], 300, env=clean_env())   # a real fresh one: no system site-packages
    assert "include-system-site-packages = false" in (folder / "pyvenv.cfg").read_text()
    return folder / BIN / "python"


def oldest_supported_version(pyproject_text):
    """"3.10" for ``requires-python = ">=3.10"``."""
    found = re.fullmatch(r">=\s*(\d+\.\d+)", constraints.project(pyproject_text)["requires-python"].strip())
    assert found, "requires-python must read '>=X.Y'"
    return found.group(1)


def oldest_supported_python(pyproject_text):
    """The interpreter of the oldest Python the package supports (``requires-python = ">=3.10"``
    gives 3.10), or None when this machine has none.

    Looked for as ``python3.10`` on PATH, then as ``~/.pyenv/versions/3.10*/bin/python3.10`` (pyenv
    installs each version there). Each candidate is run and must say it is 3.10: a pyenv shim named
    ``python3.10`` is on PATH even when it only prints "command not found" (3.10 installed, but not
    pyenv's selected version).
    """
    version = oldest_supported_version(pyproject_text)
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(Path.home().glob(f".pyenv/versions/{version}*/bin/python{version}"), reverse=True)
    for candidate in filter(None, candidates):
        try:
            said = subprocess.run([str(candidate), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                  capture_output=True, text=True, timeout=60, env=clean_env())
        except (OSError, subprocess.TimeoutExpired):
            continue
        if said.returncode == 0 and said.stdout.strip() == version:
            return Path(candidate)
    return None


def folder_size_mb(folder):
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


# ---------------------------------------------------------------------------------------------
# What the wheel holds


def manifest_names(text):
    return {line.split("  ", 1)[1] for line in text.splitlines() if line.strip()}


def test_the_wheel_holds_exactly_the_manifests_data_and_the_lessons(wheel, source):
    """Every data file the package ships is listed (with its checksum) in data/MANIFEST, and every
    file listed is shipped; every file of data/ but the build scripts is shipped, so a new
    checkpoint that nobody added to the MANIFEST (or whose type the wheel leaves out) fails here."""
    names = zipfile.ZipFile(wheel).namelist()
    prefix = "softmax_lab/course_data/"
    shipped = {n[len(prefix):] for n in names if n.startswith(prefix)} - {"__init__.py"}
    manifest = manifest_names((source / "data" / "MANIFEST").read_text(encoding="utf-8"))
    unlisted, unshipped = shipped - manifest - {"MANIFEST"}, manifest - shipped
    assert not unlisted and not unshipped, (f"shipped but not in data/MANIFEST: {unlisted}; "
                                            f"in data/MANIFEST but not shipped: {unshipped}")
    in_data = {p.name for p in (source / "data").iterdir() if p.is_file() and p.suffix != ".py"}
    assert in_data == shipped, f"in data/ but not in the wheel: {in_data - shipped}"
    assert not any(n.endswith(".py") for n in shipped), "data/'s build scripts are not part of the package"

    lessons = {n[len("softmax_lab/notebooks/"):] for n in names if n.startswith("softmax_lab/notebooks/")}
    assert lessons == {p.name for p in (source / "notebooks").glob("*.ipynb")} | {"__init__.py"}
    settings = [n for n in names if n.endswith("/etc/jupyter/labconfig/default_setting_overrides.d/softmax-lab.json")]
    assert len(settings) == 1, "the wheel installs the course's Jupyter settings into <environment>/etc/jupyter"
    assert "softmax-lab = softmax_lab.launch:main" in zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert not [n for n in names if n.startswith(("tests/", "tools/", "data/", "notebooks/", "benchmarks/"))]


# ---------------------------------------------------------------------------------------------
# The wheel in a fresh environment, used from another directory


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """A fresh virtual environment with the wheel and its extra [lab] (the launcher's front ends)."""
    root = tmp_path_factory.mktemp("installed")
    python = new_venv(root / "venv")
    started = time.monotonic()
    run([python, "-m", "pip", "install", "--quiet", "--only-binary=:all:", f"{wheel}[lab]"], PIP_TIMEOUT,
        env=clean_env(), cwd=root)
    print(f"\nfresh venv with the wheel[lab]: {time.monotonic() - started:.0f} s, "
          f"{folder_size_mb(root / 'venv'):.0f} MB")
    elsewhere = root / "elsewhere"   # neither the repository nor the environment
    elsewhere.mkdir()
    return type("Installed", (), {"python": python, "venv": root / "venv", "cwd": elsewhere, "root": root})


# Each lesson's first code cell (its Setup: the imports, setup_figures(), a seeded generator), read
# from the lessons the wheel carries (importlib.resources), run as a learner's kernel would run it.
RUN_EVERY_SETUP_CELL = """
import json
from importlib import resources

ran = []
for entry in sorted(resources.files("softmax_lab.notebooks").iterdir(), key=lambda e: e.name):
    if entry.name.endswith(".ipynb") and entry.name[:2].isdigit():
        cells = json.loads(entry.read_text(encoding="utf-8"))["cells"]
        setup = next(c for c in cells if c["cell_type"] == "code")
        exec(compile("".join(setup["source"]), entry.name, "exec"), {"__name__": "__main__"})
        ran.append(entry.name)
print(json.dumps(ran))
"""


def test_from_another_directory_the_model_loads_and_every_dashboard_builds(installed):
    script = ("from softmax_lab import data, lm; model = lm.load('best'); "
              "print(data.data_dir()); print(type(model).__name__)")
    out = run([installed.python, "-c", script], 300, cwd=installed.cwd, env=clean_env()).stdout.splitlines()
    assert Path(out[0]).is_relative_to(installed.venv) and Path(out[0]).name == "course_data", out
    setups = run([installed.python, "-c", RUN_EVERY_SETUP_CELL], 300, cwd=installed.cwd, env=clean_env())
    lessons = json.loads(setups.stdout.splitlines()[-1])
    assert lessons == sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")), lessons
    result = run([installed.python, ROOT / "tests" / "build_every_dashboard.py"], 600, cwd=installed.cwd,
                 env=clean_env())
    report = json.loads(result.stdout.splitlines()[-1])
    assert Path(report["package"]).is_relative_to(installed.venv), "softmax_lab must come from the wheel"
    assert len(report["dashboards"]) >= 19 and "classroom" in report["dashboards"], report


def test_doctor_verifies_the_installed_data_and_says_what_to_do(installed):
    doctor = [installed.python, "-m", "softmax_lab.doctor"]
    result = run(doctor, 300, cwd=installed.cwd, env=clean_env())
    assert re.search(r"^OK   data: \d+ files match", result.stdout, re.M), result.stdout
    vocab = next(installed.venv.rglob("softmax_lab/course_data/vocab.json"))
    original = vocab.read_bytes()
    try:
        vocab.write_bytes(original.replace(b"the", b"teh", 1))             # a damaged install
        damaged = subprocess.run([str(c) for c in doctor], capture_output=True, text=True, timeout=300,
                                 cwd=installed.cwd, env=clean_env())
        assert damaged.returncode == 1
        assert re.search(r"^FAIL data: .*vocab\.json.*\n\s+fix: reinstall softmax-lab", damaged.stdout, re.M), \
            damaged.stdout
        load = subprocess.run([str(installed.python), "-c", "from softmax_lab import lm; lm.load('best')"],
                              capture_output=True, text=True, timeout=300, cwd=installed.cwd, env=clean_env())
        assert load.returncode == 1 and "DataIntegrityError" in load.stderr and "vocab.json" in load.stderr, \
            load.stderr[-2000:]
        vocab.unlink()                                                      # a missing file
        missing = subprocess.run([str(c) for c in doctor], capture_output=True, text=True, timeout=300,
                                 cwd=installed.cwd, env=clean_env())
        assert missing.returncode == 1 and "vocab.json" in missing.stdout and "is missing" in missing.stdout
    finally:
        vocab.write_bytes(original)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def test_softmax_lab_serves_lesson_00_at_the_address_it_prints(installed):
    """`softmax-lab --no-browser`: copies the lessons into ./softmax-lab, starts JupyterLab there,
    and the address it prints opens lesson 00; the course's settings (no news pop-up, the arrow
    keys for Notebook 7) reach that server from the wheel's data-files."""
    home = installed.root / "jupyter-home"
    env = clean_env(**{var: str(home / var) for var in
                       ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR")})
    installed_settings = installed.venv / "etc/jupyter/labconfig/default_setting_overrides.d/softmax-lab.json"
    shipped = ROOT / "jupyter-config/labconfig/default_setting_overrides.d/softmax-lab.json"
    assert installed_settings.read_bytes() == shipped.read_bytes()

    port = _free_port()
    log_path = installed.root / "softmax-lab.log"
    started = time.monotonic()
    with open(log_path, "w") as log:
        process = subprocess.Popen([str(installed.venv / BIN / "softmax-lab"), "--no-browser", "--port", str(port)],
                                   cwd=installed.cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        pattern = re.compile(rf"http://127\.0\.0\.1:{port}/lab/tree/00_start_here\.ipynb\?token=\w+")
        deadline, url, status = time.monotonic() + 180, None, None
        while status != 200:
            assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
            found = pattern.search(log_path.read_text())
            if found:
                url = found.group(0)
                try:
                    status, page = _get(url)
                except (urllib.error.URLError, OSError):
                    pass
            time.sleep(0.2)
        print(f"\nsoftmax-lab to a served lesson 00: {time.monotonic() - started:.1f} s")
        assert b"JupyterLab" in page or b"jupyter-config-data" in page

        token = url.rsplit("token=", 1)[1]
        base = f"http://127.0.0.1:{port}"
        copied = installed.cwd / "softmax-lab"
        assert (copied / "00_start_here.ipynb").read_bytes() == (ROOT / "notebooks/00_start_here.ipynb").read_bytes()
        status, body = _get(f"{base}/api/contents/00_start_here.ipynb?token={token}")
        assert status == 200 and json.loads(body)["type"] == "notebook"

        def setting_default(plugin, name):
            status, body = _get(f"{base}/lab/api/settings/{plugin}?token={token}")
            assert status == 200, plugin
            return json.loads(body)["schema"]["properties"][name]["default"]

        assert setting_default("@jupyterlab/apputils-extension:notification", "fetchNews") == "false"
        shortcuts = setting_default("@jupyterlab/shortcuts-extension:shortcuts", "shortcuts")
        assert any(s.get("selector", "").endswith(":not([role=slider]):not(select)") for s in shortcuts)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(30)


def test_the_launcher_names_the_extra_when_a_front_end_is_missing(installed):
    """The environment has the extra [lab] only: the classroom app needs [classroom]."""
    result = subprocess.run([str(installed.venv / BIN / "softmax-lab"), "--classroom", "room"], capture_output=True,
                            text=True, timeout=120, cwd=installed.cwd, env=clean_env())
    assert result.returncode == 2 and "softmax-lab[classroom]" in result.stderr, result.stderr
    assert not (installed.cwd / "room").exists()


# ---------------------------------------------------------------------------------------------
# The declared minimum versions, installed exactly


# What the minimum-versions job runs (see the docstring below): the tests that call the
# dependencies' interfaces, not the whole fast suite (that runs on the current versions in the
# main run; here it cost about 250 s). Whole files where every test is about such a call and the
# file is quick; single tests where a file is mostly the course's own logic or slow.
PROPERTIES, WIDGETS = "tests/test_properties.py::", "tests/test_widgets.py::"
CONTRACT = "tests/test_widgets_contract.py::"
MINIMUM_VERSION_TESTS = [
    "tests/test_functions.py",         # numpy: dtypes kept, float16/float32 promotion, huge logits, -inf masks
    "tests/test_losses.py",            # numpy: losses and gradients, their dtype and scalar rules
    "tests/test_bfloat16.py",          # ml_dtypes: bfloat16 as a numpy dtype
    "tests/test_scipy_reference.py",   # scipy: the reference values (logsumexp's precision is 1.15's)
    "tests/test_data.py",              # the shipped data: importlib.resources, sha256, np.load of .npz
    "softmax_lab/functions.py",        # doctests: how numpy prints scalars and arrays
    # hypothesis (its strategies and settings, numpy's dtypes drawn through hypothesis.extra.numpy):
    # seven of the 35 properties, the ones about dtypes, masks, ranges and finite differences
    PROPERTIES + "test_dtype_preserved_and_no_nan_for_any_finite_input",
    PROPERTIES + "test_label_smoothing_in_float16_at_a_tiny_temperature_is_inf_not_nan",
    PROPERTIES + "test_masks_give_exactly_zero",
    PROPERTIES + "test_probabilities_sum_to_one",
    PROPERTIES + "test_shifting_all_logits_changes_nothing",
    PROPERTIES + "test_jacobian_matches_finite_differences_of_softmax",
    PROPERTIES + "test_range_softmax_family_outside",
    # matplotlib and ipympl: a PNG rendered and read back, a live canvas, the partial redraws (blitting)
    WIDGETS + "test_png_bytes_round_trip",
    WIDGETS + "test_canvas_mode_puts_a_live_canvas_in_the_layout_and_repaints_with_draw_idle",
    WIDGETS + "test_nothing_changed_nothing_drawn_or_sent",
    WIDGETS + "test_partial_redraws_after_the_axes_change",
    WIDGETS + "test_partial_redraws_after_the_number_of_categories_changes",
    # the dashboard contract on one dashboard: its figure, texts inside it, every control moved
    CONTRACT + "test_builds_shows_its_figure_and_every_text_fits[logit_explorer]",
    CONTRACT + "test_controls_move_the_figure_and_the_picture_stays_exact[logit_explorer]",
]


def test_the_declared_minimum_versions_pass_the_tests_of_their_interfaces(source, tmp_path_factory):
    """Every requirement of pyproject.toml (the package, its extras, the test tools) pinned to its
    declared minimum (tools/constraints.py), binary wheels only, in a fresh environment made with
    the OLDEST supported Python (3.10, found by oldest_supported_python; when this machine has
    none, the current Python is used and a warning says so: the test does not fail on it). The
    package is installed from the copied repository in editable mode (the tests read data/ and
    notebooks/ there).

    Then what uses the dependencies' interfaces, about a minute instead of the whole fast suite's
    four: MINIMUM_VERSION_TESTS, i.e. numpy's dtype and promotion rules in the core math (whole
    test files: float16, float32, huge logits, -inf masks, the losses and gradients), ml_dtypes'
    bfloat16, scipy's reference values, data loading (sha256, np.load), numpy's printing in the
    doctests, seven hypothesis properties (dtypes, masks, ranges, finite differences; hypothesis'
    own API), a few dashboard tests for matplotlib and ipympl (a PNG rendered, a live canvas,
    the partial redraws) and the dashboard contract on one dashboard; tests/build_every_dashboard.py, which builds every
    dashboard as a lesson does (ipywidgets 8.0's widgets and traits, each figure drawn once); and
    one lesson under nbval, lesson 05 (float16, bfloat16 and overflow: where an old numpy differs).
    Left out: the tests of the course's own logic (exercises, trust scans, predictions, launcher,
    classroom, the remaining properties and dashboard checks), which call the same numpy,
    matplotlib and ipywidgets functions again and would find nothing new on older versions.
    Hypothesis draws with a fixed seed here: this run asks whether the code works on the oldest
    versions, and the main run already searches new examples every time. `--dist loadfile`: a
    notebook's cells share one kernel, so they stay in one pytest-xdist worker.
    """
    root = tmp_path_factory.mktemp("minimums")
    pyproject_text = (source / "pyproject.toml").read_text(encoding="utf-8")
    pins = root / "minimums.txt"
    pins.write_text(constraints.constraints(pyproject_text))
    oldest = oldest_supported_python(pyproject_text)
    oldest_version = oldest_supported_version(pyproject_text)
    if oldest is None:
        message = (f"NO PYTHON {oldest_version} FOUND (the oldest that requires-python allows; looked for "
                   f"python{oldest_version} on PATH and under ~/.pyenv/versions): the minimum versions are "
                   f"tested on this Python, {sys.version.split()[0]}, instead")
        print(f"\n{'!' * 100}\n{message}\n{'!' * 100}")
        warnings.warn(message, UserWarning, stacklevel=1)
    python = new_venv(root / "venv", oldest or sys.executable)
    version = run([python, "-c", "import sys; print(sys.version)"], 60, env=clean_env()).stdout.strip()
    print(f"\nthe minimum-versions environment runs Python {version}")
    if oldest is not None:
        assert version.startswith(oldest_version + "."), (version, oldest_version)
    started = time.monotonic()
    run([python, "-m", "pip", "install", "--quiet", "--only-binary=:all:", "-c", pins,
         "-e", f"{source}[lab,classroom,test]"], PIP_TIMEOUT, env=clean_env(), cwd=root)
    freeze = run([python, "-m", "pip", "freeze"], 120, env=clean_env()).stdout.lower().replace("_", "-")
    target_python = ".".join(version.split()[0].split(".")[:2])
    for line in pins.read_text().splitlines()[1:]:
        pin, _, marker = line.partition(";")     # "tomli==2.0 ; python_version < '3.11'"
        if marker and not Marker(marker.strip()).evaluate({"python_version": target_python}):
            continue                              # not installed on this Python
        name, version_pin = pin.strip().lower().replace("_", "-").split("==")
        assert re.search(rf"^{re.escape(name)}=={re.escape(version_pin)}(\.0)*$", freeze, re.M), (line, freeze)
    print(f"minimum versions installed in {time.monotonic() - started:.0f} s:", pins.read_text().split("\n", 1)[1])

    started = time.monotonic()
    env = clean_env(OPENBLAS_NUM_THREADS="1", SOFTMAX_LAB_PROGRESS=str(root / "progress.json"))
    built = run([python, source / "tests" / "build_every_dashboard.py"], 600, cwd=root, env=env)
    assert len(json.loads(built.stdout.splitlines()[-1])["dashboards"]) >= 19, built.stdout[-2000:]
    report = root / "report.xml"
    result = subprocess.run(
        [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadfile",
         "-m", "not slow and not browser", f"--junitxml={report}", "--hypothesis-seed=0",
         *MINIMUM_VERSION_TESTS, LESSON_FOR_MINIMUMS, "--nbval-lax", "--nbval-current-env"],
        capture_output=True, text=True, timeout=1800, cwd=source, env=env)
    header = re.search(r"^platform .*Python (\d+\.\d+\.\d+)", result.stdout, re.M)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    print(f"every dashboard, {len(MINIMUM_VERSION_TESTS)} selected test files/tests and {LESSON_FOR_MINIMUMS} "
          "on the minimums "
          f"(pytest on Python {header.group(1) if header else '?'}): {summary} ({time.monotonic() - started:.0f} s)")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert header and version.startswith(header.group(1)), "pytest ran on another Python than the environment's"
    cases = list(ElementTree.parse(report).getroot().iter("testcase"))
    ran = {(c.get("classname", ""), c.get("name", "")) for c in cases}
    for selected in MINIMUM_VERSION_TESTS:   # every file and every test named above ran (none renamed away)
        path, _, name = selected.partition("::")
        module = path.removesuffix(".py").replace("/", ".")
        assert any(cls.startswith(module) and (not name or test == name) for cls, test in ran), \
            f"{selected} did not run"
    lesson_cells = [c for c in cases if "05_numerical_stability" in c.get("file", "") + c.get("classname", "")]
    assert len(lesson_cells) > 10, "the lesson's cells did not run"
