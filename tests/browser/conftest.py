"""Fixtures and helpers for the real-browser tests (JupyterLab, Notebook 7 and Voila driven by Chromium).

What runs here, once per test session:

* one Chromium (Debian's ``/usr/lib/chromium/chromium``, driven by the ``playwright`` pip
  package; never ``playwright install``), shared by every test;
* one JupyterLab server with the default figure path (PNG images), and one with the opt-in
  live canvas (``SOFTMAX_LAB_FIGURES=canvas``; the kernels inherit the server's environment)
  for the few tests that ask for it; one Voila server set up like ``make demo``;
  test_notebook7.py starts Jupyter Notebook 7 servers the same way (:func:`start_notebook7`);
* every server runs on 127.0.0.1, on a free port, over a temporary COPY of ``notebooks/``, with
  its configuration, data, runtime, IPython and matplotlib directories in a temporary folder, so
  that nothing in the work tree or in the user's home is read or written.

A missing browser or a missing ``playwright`` package skips the tests on a learner's machine; with
``CI=true`` the same condition fails them. ``pytest -m "not browser"`` leaves them out.

``SOFTMAX_LAB_CHROMIUM=<path>`` names another Chromium or Chrome binary.
``SOFTMAX_LAB_NOTEBOOKS=<dir>`` tests the notebooks of another directory instead of
``notebooks/``: a way to check that the suite catches a deliberately broken copy.

The browser and the JupyterLab server are started by plain functions (:func:`launch_browser`,
:func:`start_lab`, :func:`stop_lab`) that the fixtures wrap, so that
``benchmarks/bench_browser.py`` sets them up exactly as the tests do.
"""

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = Path(os.environ.get("SOFTMAX_LAB_NOTEBOOKS") or REPO / "notebooks")
ARTIFACT_DIR = REPO / "test-artifacts"  # screenshots; gitignored

# Debian's Chromium (the real binary; /usr/bin/chromium is a shell wrapper). Another Chromium
# or Chrome can be named with SOFTMAX_LAB_CHROMIUM.
CHROMIUM = os.environ.get("SOFTMAX_LAB_CHROMIUM") or "/usr/lib/chromium/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1280, "height": 900}

FIGURE_MODES = ("png", "canvas")  # the values of SOFTMAX_LAB_FIGURES: the default, and the opt-in canvas

# Timeouts (seconds). Generous, because the machine may be busy, but bounded.
SERVER_START_TIMEOUT = 90
SERVER_STOP_TIMEOUT = 20
KERNEL_START_TIMEOUT = 60
RUN_ALL_TIMEOUT = 180  # one notebook, all cells
WIDGET_TIMEOUT = 30  # a widget view or a figure to appear
REDRAW_TIMEOUT = 10  # a figure to change after a slider move (a redraw takes well under 1 s)

# A notebook without any slider must be listed here with the reason; every other notebook must
# show at least one dashboard (a slider and a figure). A notebook listed here that grows a
# slider makes the test fail too, so that the list stays honest.
NO_DASHBOARD = {}


def course_notebooks():
    """The notebooks to test: every ``*.ipynb`` directly in ``notebooks/``, sorted."""
    return sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "browser: drives JupyterLab/Notebook 7/Voila in a real Chromium (deselect with -m 'not browser')",
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Record on the test item whether its body failed (fixtures tidy up after a failure)."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.browser_test_failed = report.failed


def unavailable(reason):
    """Skip the test on a learner's machine, but fail it in CI (``CI=true``)."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------- the browser


def browser_unavailable_reason():
    """Why no browser can be driven here (a sentence), or None when one can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing: pip install -e '.[test]'"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no browser at {CHROMIUM}: install Debian's chromium: apt-get install chromium"
    return None


@contextlib.contextmanager
def launch_browser(profile_dir):
    """Chromium as a persistent context (one profile, many pages); closed on exit.

    A plain context manager, so that a script (benchmarks/bench_browser.py) starts the browser
    exactly as the tests do.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile_dir),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport=VIEWPORT,
        )
        context.set_default_timeout(WIDGET_TIMEOUT * 1000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """One Chromium for the whole session (a persistent context = one profile, many pages)."""
    reason = browser_unavailable_reason()
    if reason:
        unavailable(reason)
    with launch_browser(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


# --------------------------------------------------------------------------- the servers


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def isolated_environment(root, **extra):
    """os.environ with every Jupyter/IPython/matplotlib directory moved into ``root``.

    The labextensions of ipywidgets and ipympl are still found: they live in
    ``sys.prefix/share/jupyter``, which Jupyter searches whatever JUPYTER_DATA_DIR says.
    """
    env = os.environ.copy()
    for var, name in [
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("IPYTHONDIR", "ipython"),
        ("MPLCONFIGDIR", "matplotlib"),
    ]:
        path = root / name
        path.mkdir(parents=True, exist_ok=True)
        env[var] = str(path)
    env.pop("JUPYTER_PATH", None)
    env.pop("SOFTMAX_LAB_FIGURES", None)
    env.pop("SOFTMAX_LAB_PRESENTATION", None)
    # The kernel imports softmax_lab from this work tree, whatever else is installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def copy_notebooks(root):
    target = root / "notebooks"
    shutil.copytree(NOTEBOOK_DIR, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return target


class Server:
    """A Jupyter server process (JupyterLab or Voila) owned by the test session."""

    def __init__(self, name, command, env, url, token, root):
        self.name, self.url, self.token, self.root = name, url, token, root
        self.log_path = root / f"{name}.log"
        self._log = open(self.log_path, "w")
        # A new session = a new process group, so that a failure can kill everything it started.
        self.process = subprocess.Popen(
            command, env=env, cwd=root, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.kill()
            self._log.close()
            raise

    def _wait_ready(self):
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        probe = f"{self.url}/api/status" if self.token else f"{self.url}/"
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self._request(probe), timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready after {SERVER_START_TIMEOUT} s:\n{self.log_tail()}")
            time.sleep(0.2)

    def _request(self, url, method="GET", body=None):
        if self.token:
            headers = {"Authorization": f"token {self.token}"}
        else:  # no token (Voila): a write needs a matching XSRF cookie and header
            xsrf = secrets.token_hex(16)
            headers = {"Cookie": f"_xsrf={xsrf}", "X-XSRFToken": xsrf}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        return urllib.request.Request(url, data=data, method=method, headers=headers)

    def api(self, method, path, body=None):
        """Call the server's REST API; returns the decoded JSON (or None)."""
        with urllib.request.urlopen(self._request(self.url + path, method, body), timeout=30) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    def read_notebook(self, name, timeout=30):
        """The notebook ``name`` as the server last saved it, read from disk; waits out a save.

        Not through the contents API: a GET that meets a half-written notebook makes
        jupyter_server move it aside and restore its backup, which races the save still writing
        (an HTTP 500 in CI, 8 December 2026). A read from disk changes nothing; a half-written
        file fails to parse and is read again.
        """
        import nbformat

        path = self.notebooks / name
        deadline = time.monotonic() + timeout
        while True:
            try:
                return nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
            except (OSError, ValueError) as error:   # nbformat's NotJSONError is a ValueError
                if time.monotonic() > deadline:
                    raise AssertionError(f"{path} unreadable for {timeout} s: {error!r}") from error
                time.sleep(0.2)

    def log_tail(self, chars=3000):
        return self.log_path.read_text(errors="replace")[-chars:]

    def log_size(self):
        return self.log_path.stat().st_size

    def log_since(self, offset):
        with open(self.log_path, "rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def shutdown_kernels(self):
        """Shut down every kernel (a kernel outlives the page that started it)."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")
        for kernel in self.api("GET", "/api/kernels"):
            self.api("DELETE", f"/api/kernels/{kernel['id']}")

    def shutdown_kernel(self, kernel_id):
        """Shut one kernel down; False if it was already gone."""
        try:
            self.api("DELETE", f"/api/kernels/{kernel_id}")
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return False
            raise
        return True

    def stop(self):
        """Stop the server by its own process handle; kill its process group if it hangs."""
        try:
            self.process.terminate()
            self.process.wait(SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
        finally:
            self._log.close()

    def kill(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(SERVER_STOP_TIMEOUT)


def write_lab_settings(config_dir):
    """JupyterLab settings for a quiet, deterministic page.

    * No "get notified about Jupyter news?" pop-up: the announcements plugin is disabled, as
      ``jupyter labextension disable --level=user @jupyterlab/apputils-extension:announcements``
      would do with JUPYTER_CONFIG_DIR set (that command's default level writes into the venv).
    * Every cell stays in the DOM (no windowing), so that a selector sees all outputs.
    """
    labconfig = config_dir / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    (labconfig / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    settings = config_dir / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))


# The default Jupyter settings the course ships (jupyter-config/README.md; pip installs them into
# <environment>/etc/jupyter): the arrow keys reach a focused slider in Notebook 7, and a focused
# dropdown in Notebook 7 and JupyterLab.
COURSE_SETTINGS = REPO / "jupyter-config" / "labconfig" / "default_setting_overrides.d" / "softmax-lab.json"


def install_course_settings(config_dir):
    """Copy the course's default settings into a server's JUPYTER_CONFIG_DIR.

    The copy in the work tree is what is tested, whether or not (or however old) the copy pip put
    into the environment is; the server's own config directory comes first, so this one wins.
    """
    target = config_dir / COURSE_SETTINGS.relative_to(REPO / "jupyter-config")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(COURSE_SETTINGS, target)


def start_lab(root, mode=None):
    """Start a JupyterLab server over a copy of notebooks/ in ``root``; returns its Server.

    ``mode`` (``"canvas"``, ``"png"`` or None for automatic) becomes SOFTMAX_LAB_FIGURES of
    every kernel it starts; the course's shipped default settings are installed, as pip does.
    The server has ``mode``, ``notebooks`` (the copy, where more notebooks may be written) and
    ``page`` (None; the tests keep their page there). Stop it with :func:`stop_lab`.
    """
    notebooks = copy_notebooks(root)
    env = isolated_environment(root, **({} if mode is None else {"SOFTMAX_LAB_FIGURES": mode}))
    write_lab_settings(Path(env["JUPYTER_CONFIG_DIR"]))
    install_course_settings(Path(env["JUPYTER_CONFIG_DIR"]))  # what `pip install -e .` installs
    port, token = free_port(), secrets.token_hex(16)
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={notebooks}",
        "--LabApp.news_url=None", f"--LabApp.workspaces_dir={root / 'workspaces'}",
    ]
    server = Server(f"jupyterlab-{mode or 'auto'}", command, env, f"http://127.0.0.1:{port}", token, root)
    server.mode, server.notebooks, server.page = mode, notebooks, None
    return server


def start_notebook7(root, mode=None):
    """Start a Jupyter Notebook 7 server (the ``notebook`` package) like :func:`start_lab`.

    Same isolation, settings (the course's shipped default settings among them) and figure
    ``mode`` as JupyterLab's server. A notebook opens at ``/notebooks/<name>.ipynb``. Stop it
    with :func:`stop_lab`.
    """
    notebooks = copy_notebooks(root)
    env = isolated_environment(root, **({} if mode is None else {"SOFTMAX_LAB_FIGURES": mode}))
    config_dir = Path(env["JUPYTER_CONFIG_DIR"])
    write_lab_settings(config_dir)
    install_course_settings(config_dir)
    port, token = free_port(), secrets.token_hex(16)
    command = [
        sys.executable, "-m", "notebook", "--no-browser", "--allow-root",
        "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={notebooks}",
    ]
    server = Server(f"notebook7-{mode or 'auto'}", command, env, f"http://127.0.0.1:{port}", token, root)
    server.mode, server.notebooks, server.page = mode, notebooks, None
    server.config_dir = config_dir
    return server


def stop_lab(server):
    """Close the server's page, shut down its kernels, stop it (JupyterLab or Notebook 7)."""
    if server.page is not None:
        server.page.close()
    try:
        server.shutdown_kernels()
    except (urllib.error.URLError, OSError):
        pass
    server.stop()


@pytest.fixture(scope="session", params=["png"])
def lab(request, browser, tmp_path_factory):
    """A JupyterLab server whose kernels draw figures in one mode (``lab.mode``): ``"png"``, the
    default, unless a test asks for ``"canvas"`` (``@pytest.mark.parametrize("lab", ["canvas"],
    indirect=True)``).

    Session-scoped: pytest runs every test of one mode against one server, then stops it and
    starts the next, so only one server is alive at a time.
    """
    mode = request.param
    server = start_lab(tmp_path_factory.mktemp(f"lab-{mode}"), mode)
    try:
        yield server
    finally:
        stop_lab(server)


@pytest.fixture(scope="session")
def voila(browser, tmp_path_factory):
    """A Voila server in directory mode over a copy of notebooks/, set up as ``make demo`` sets it.

    Figure mode automatic (no SOFTMAX_LAB_FIGURES: PNG images); the large classroom layout
    (SOFTMAX_LAB_PRESENTATION=1).
    """
    root = tmp_path_factory.mktemp("voila")
    notebooks = copy_notebooks(root)
    env = isolated_environment(root, SOFTMAX_LAB_PRESENTATION="1")
    port = free_port()
    # Voila has no --allow-root (it refuses the flag) and runs as root without it.
    command = [
        sys.executable, "-m", "voila", "--no-browser", "--Voila.ip=127.0.0.1", f"--port={port}",
        "--show_tracebacks=True", str(notebooks),
    ]
    server = Server("voila", command, env, f"http://127.0.0.1:{port}", None, root)
    server.notebooks = notebooks
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- page helpers

# A traceback in a stderr output (JupyterLab and Voila render error outputs with the stderr
# mime type, so this is how an error is told apart from a warning, which is allowed).
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\w*(Error|Exception)\b(:|$)", re.M)
# What a broken widget manager leaves behind (or a view that never came).
WIDGET_ERROR = re.compile(
    r"Error (displaying|rendering|creating) widget|model not found|Failed to load model class"
    r"|Loading widget\.\.\."
)
# A widget shown as its text repr ("IntSlider(value=0)", "VBox(children=(...", "Output()"):
# the widget extension is missing or broken.
WIDGET_REPR = re.compile(
    r"^\s*[A-Z]\w*\((\)|(children|value|layout|description|toolbar|outputs|options|index)=)"
)
OUTPUT = ".jp-OutputArea-output"


def page_problems(scope):
    """Everything wrong that a learner would see in ``scope`` (a page or a locator).

    Returns a list of short descriptions: tracebacks, widget errors, widgets shown as text.
    Warnings on stderr are allowed.
    """
    problems = []
    for text in scope.locator(f"{OUTPUT}[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts():
        if TRACEBACK.search(text):
            problems.append("error output: " + "\n".join(text.strip().splitlines()[-6:]))
    for text in scope.locator(OUTPUT).all_inner_texts():
        match = WIDGET_ERROR.search(text)
        if match:
            problems.append(f"widget error: {match.group(0)}")
    for text in scope.locator(f"{OUTPUT}[data-mime-type='text/plain']").all_inner_texts():
        if WIDGET_REPR.search(text):
            problems.append(f"widget shown as text (widget extension missing?): {text.strip()[:200]}")
    return problems


def saved_notebook_problems(server, name):
    """Problems recorded in the notebook as the front end saved it: unexecuted cells, errors."""
    notebook = server.read_notebook(name)
    problems, not_run = [], []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if cell.execution_count is None:
            not_run.append(str(index))
        for output in cell.outputs:
            if output.output_type == "error":
                problems.append(f"cell {index} raised {output.ename}: {output.evalue}")
    if not_run:
        problems.append(f"cells that did not run (after an error?): {', '.join(not_run)}")
    return problems


def wait_for_sliders(page, timeout=WIDGET_TIMEOUT):
    """Wait until a slider, or a sign that none will come, is on the page (bounded).

    Never raises: when the time runs out, the checks that follow say what is missing.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            """() => document.querySelector('.widget-slider') !== null
                || /Traceback \\(most recent call last\\)|Error displaying widget/
                    .test(document.body.innerText)""",
            timeout=timeout * 1000,
            polling=250,
        )
    except PlaywrightTimeout:
        pass


def wait_widgets_rendered(page):
    """Wait until no output still says "Loading widget..." (bounded; page_problems reports it)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            """() => ![...document.querySelectorAll('.jp-OutputArea-output')]
                       .some(e => e.textContent.includes('Loading widget'))""",
            timeout=WIDGET_TIMEOUT * 1000,
            polling=250,
        )
    except PlaywrightTimeout:
        pass


# Dashboards: top-level outputs (not nested in an Output widget) that contain a slider.
DASHBOARD = f"{OUTPUT}:has(.widget-slider):not(.widget-output {OUTPUT})"
SLIDER = ".widget-slider"
ENABLED_SLIDER = SLIDER + ":not(:has(.noUi-target[disabled]))"   # ipywidgets 8: disabled on the noUi slider


def plot_kind(dashboard):
    """``"png"`` (the figure as a PNG image), ``"canvas"`` (the opt-in live ipympl canvas) or None."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:  # the figure's view may be created a moment after the slider's
        dashboard.locator(".jupyter-matplotlib-figure, .widget-output img").first.wait_for(
            state="attached", timeout=WIDGET_TIMEOUT * 1000
        )
    except PlaywrightTimeout:
        return None
    if dashboard.locator(".jupyter-matplotlib-figure").count():
        return "canvas"
    if dashboard.locator(".widget-output img").count():
        return "png"
    return None


# The pixels a figure shows: the PNG of the dashboard's <img>, or the bitmap of an ipympl canvas.
# (Element screenshots were tried first: a layout shift of a fraction of a pixel below the
# figure changed their last row, which would pass for a redraw.) None while a figure is
# hidden, still blank, or its image not yet decoded.
_PIXELS_JS = """els => els.map(e => {
    const box = e.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return null;
    if (e.tagName === 'IMG') return e.complete && e.naturalWidth > 0 ? e.src : null;
    const d = e.getContext('2d').getImageData(0, 0, e.width, e.height).data;
    for (let i = 4; i < d.length; i += 4) {
        if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2] || d[i + 3] !== d[3]) {
            return e.toDataURL();
        }
    }
    return null;
})"""


def _plot_images(dashboard, kind):
    """The pixels of every figure in the dashboard, or None if one is not drawn yet."""
    if kind == "canvas":
        plots = dashboard.locator(".jupyter-matplotlib-figure canvas:first-child")
    else:
        plots = dashboard.locator(".widget-output img")
    images = plots.evaluate_all(_PIXELS_JS)
    return None if None in images else images


def stable_plot_images(dashboard, kind, differ_from=None, timeout=WIDGET_TIMEOUT):
    """The pixels of the dashboard's figures once two successive captures agree.

    With ``differ_from``, also wait until they differ from those (the redraw after a slider
    move). Returns the last capture, changed or not when the time runs out.
    """
    deadline = time.monotonic() + timeout
    previous = _plot_images(dashboard, kind)
    while True:
        time.sleep(0.15)
        current = _plot_images(dashboard, kind)
        settled = current == previous and current
        if settled and (differ_from is None or current != differ_from):
            return current
        if time.monotonic() > deadline:
            return current
        previous = current


def move_slider(slider, presses=3):
    """Move a slider with the keyboard; returns (readout before, readout after).

    Clicks the handle and presses ArrowRight (ArrowLeft if the slider sits at its maximum).
    """
    handle = slider.locator(".noUi-handle").first
    readout = slider.locator(".widget-readout")

    def value():  # what the learner reads next to the slider (the handle's, without a readout)
        return readout.inner_text() if readout.count() else handle.get_attribute("aria-valuetext")

    before = value()
    handle.click()
    # Park the pointer in a corner: hovering an ipympl figure fades its toolbar in over the plot.
    slider.page.mouse.move(0, 0)
    after = before
    for key in ("ArrowRight", "ArrowLeft"):
        for _ in range(presses):
            handle.press(key)
        deadline = time.monotonic() + 5
        while (after := value()) == before and time.monotonic() < deadline:
            time.sleep(0.1)
        if after != before:
            break
    return before, after


def exercise_dashboard(dashboard, expected_kind, redraw_timeout=REDRAW_TIMEOUT):
    """Move the first slider of a dashboard and check what a learner would see.

    Returns a list of problems (empty when the readout and the figure both changed).
    """
    problems = []
    kind = plot_kind(dashboard)
    if kind != expected_kind:
        return [f"expected a {expected_kind} figure in the dashboard, found {kind}"]
    before_images = stable_plot_images(dashboard, kind)
    if not before_images:
        return ["the dashboard's figure never finished drawing"]
    # The first slider a learner can move: a disabled one (the classroom locks T until Reveal, so
    # that the question's premise stays) cannot respond.
    enabled = dashboard.locator(ENABLED_SLIDER)
    reveal = dashboard.locator("button", has_text="Reveal")
    if not enabled.count() and reveal.count():
        reveal.first.click()                      # as a class would: answer first, then explore
        deadline = time.monotonic() + WIDGET_TIMEOUT
        while not enabled.count() and time.monotonic() < deadline:
            time.sleep(0.1)
        before_images = stable_plot_images(dashboard, kind)
    if not enabled.count():
        return ["no slider a learner can move (every slider is disabled)"]
    slider = enabled.first
    description = slider.locator(".widget-label").first.inner_text().strip() or "(unlabelled)"
    before, after = move_slider(slider)
    if after == before:
        problems.append(f"slider {description!r}: the readout stayed at {before!r} after key presses")
    after_images = stable_plot_images(dashboard, kind, before_images, redraw_timeout)
    if not after_images:
        problems.append(f"slider {description!r}: the figure was not drawn after the move")
    elif after_images == before_images:
        problems.append(f"slider {description!r}: the figure did not change ({before!r} -> {after!r})")
    return problems


def dashboards_problems(scope, name, expected_kind, redraw_timeout=REDRAW_TIMEOUT):
    """Exercise every dashboard in ``scope`` (a page or notebook panel) of notebook ``name``.

    A notebook must show at least one dashboard unless it is listed in NO_DASHBOARD (and then it
    must show none). Afterwards the page is checked again: a callback that failed while a slider
    moved shows its traceback in an Output widget.
    """
    problems = []
    dashboards = scope.locator(DASHBOARD)
    count = dashboards.count()
    if name in NO_DASHBOARD:
        if count:
            problems.append(f"{name} is in NO_DASHBOARD but shows {count} dashboard(s)")
    elif not count:
        problems.append("no dashboard (slider) on the page")
    for i in range(count):
        problems += [f"dashboard {i}: {p}"
                     for p in exercise_dashboard(dashboards.nth(i), expected_kind, redraw_timeout)]
    return problems + [f"after moving sliders: {p}" for p in page_problems(scope)]


def save_screenshot(page, name):
    ARTIFACT_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACT_DIR / f"{name}.png"))
