"""Every lesson in Jupyter Notebook 7 (the ``notebook`` package), in a real browser.

Learners open the course in Notebook 7 as well as in JupyterLab. For each notebook in notebooks/:
open /notebooks/<name>.ipynb, Run > Run All Cells from the menu, wait until no input prompt shows
``[*]``, save, then check, as test_lab.py does, that

* every code cell ran and none has an error output (read from the saved notebook), and no
  traceback, widget error or widget-shown-as-text is on the page;
* each dashboard draws the expected kind of figure, and moving its first slider with the arrow
  keys changes both its readout and the figure's pixels.

Every lesson runs with the default figure path (PNG images); the opt-in live canvas is left to
test_lab.py (one lesson). The whole of this file has to stay at about three minutes on a 2-core
machine.

Notebook 7 takes the arrow keys from a focused slider (jupyter-config/README.md says why); the
course ships default settings that give them back. Two tests pin that down on a plain
``FloatSlider`` and ``Dropdown``: with the settings the keys move them, and with Notebook's own
key bindings restored they do not, while the workarounds (dragging the handle, typing into the
readout) still work. A last test runs a deliberately broken notebook, to show that the checks
can fail in Notebook 7 too.

Screenshots go to test-artifacts/nb7-<mode>-<notebook>.png.
"""

import json
import time

import nbformat
import pytest

from . import test_lab
from .conftest import (
    COURSE_SETTINGS,
    KERNEL_START_TIMEOUT,
    REDRAW_TIMEOUT,
    RUN_ALL_TIMEOUT,
    WIDGET_TIMEOUT,
    course_notebooks,
    dashboards_problems,
    page_problems,
    save_screenshot,
    saved_notebook_problems,
    start_notebook7,
    stop_lab,
    wait_widgets_rendered,
)

pytestmark = pytest.mark.browser

PANEL = ".jp-NotebookPanel"  # Notebook 7 shows one notebook per page

@pytest.fixture(scope="session")
def notebook7(request, browser, tmp_path_factory):
    """A Notebook 7 server whose kernels draw figures in one mode (``notebook7.mode``).

    Session-scoped and parametrized indirectly by the tests (``"png"``, the default): pytest runs
    the tests of one mode against one server.
    """
    mode = request.param
    server = start_notebook7(tmp_path_factory.mktemp(f"notebook7-{mode}"), mode)
    try:
        yield server
    finally:
        stop_lab(server)


# --------------------------------------------------------------------------- driving a page


def open_notebook(browser, server, name):
    """A new page on /notebooks/<name>, once its kernel is started, connected and idle."""
    page = browser.new_page()
    page.goto(f"{server.url}/notebooks/{name}?token={server.token}")
    # The execution indicator says "idle" before any kernel exists; the kernel's name comes first.
    page.wait_for_function(
        """() => {
            const name = document.querySelector('.jp-KernelName')?.textContent || '';
            const status = document.querySelector('.jp-Notebook-ExecutionIndicator')?.dataset.status;
            return name !== '' && !name.startsWith('No Kernel') && status === 'idle';
        }""",
        timeout=KERNEL_START_TIMEOUT * 1000,
    )
    return page


def run_all_cells(page):
    """Run > Run All Cells, then wait until no cell is queued or running and the kernel is idle."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    # Run All marks every code cell [*] at once; it is over when no [*] is left, at least one
    # cell has a number and the kernel is idle (cells after an error stay at [ ]). Checked twice,
    # half a second apart: on a busy machine the page was once seen "done" in the middle of the
    # run (lesson 11, cells left unrun in the saved notebook).
    for _ in range(2):
        page.wait_for_function(
            """() => {
                const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
                    .map(e => e.textContent);
                const status = document.querySelector('.jp-Notebook-ExecutionIndicator')?.dataset.status;
                return status === 'idle' && !prompts.some(t => t.includes('*'))
                    && prompts.some(t => /\\d/.test(t));
            }""",
            timeout=RUN_ALL_TIMEOUT * 1000,
        )
        page.wait_for_timeout(500)


def save_notebook(page, server, name):
    """File > Save, then wait until the server holds the run notebook (Notebook 7 has no dirty tab).

    A changed modification time is not enough: on a loaded machine a save the front end started
    earlier (when the notebook opened) can land after Run All and change it first, and a check
    that read the file then found every cell unexecuted (CI, 8 December 2026). So the wait is for
    a saved code cell with an execution count, and Save is pressed again every few seconds.
    """
    def executed():
        cells = server.read_notebook(name).cells
        return any(cell.cell_type == "code" and cell.get("execution_count") for cell in cells)

    deadline = time.monotonic() + WIDGET_TIMEOUT
    while True:
        page.get_by_role("menuitem", name="File", exact=True).click()
        page.locator(".lm-Menu-item[data-command='docmanager:save']").click()
        pressed = time.monotonic()
        while time.monotonic() - pressed < 5:
            if executed():
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} was not saved with its outputs within {WIDGET_TIMEOUT} s")
            time.sleep(0.5)


def close_notebook(page, server):
    page.close()
    server.shutdown_kernels()  # a kernel outlives its page


def check_notebook(page, server, name, redraw_timeout=REDRAW_TIMEOUT, phases=None):
    """Run one notebook in its page; returns the list of problems a learner would meet.

    ``phases`` (a dict), if given, receives the seconds spent running and checking.
    """
    phases = {} if phases is None else phases
    started = time.monotonic()
    run_all_cells(page)
    wait_widgets_rendered(page)
    save_notebook(page, server, name)
    phases["run"], started = time.monotonic() - started, time.monotonic()
    panel = page.locator(PANEL)
    problems = saved_notebook_problems(server, name) + page_problems(panel)
    problems += [p for p in dashboards_problems(panel, name, server.mode, redraw_timeout)
                 if p.removeprefix("after moving sliders: ") not in problems]
    phases["sliders"] = time.monotonic() - started
    return problems


# --------------------------------------------------------------------------- the lessons


def check_lesson(server, browser, notebook):
    started = time.monotonic()
    page = open_notebook(browser, server, notebook.name)
    phases = {"open": time.monotonic() - started}
    try:
        problems = check_notebook(page, server, notebook.name, phases=phases)
    finally:
        save_screenshot(page, f"nb7-{server.mode}-{notebook.stem}")
        close_notebook(page, server)
    print(f"{notebook.name} [notebook7 {server.mode}]: {time.monotonic() - started:.1f} s ("
          + ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in phases.items()) + ")")
    assert not problems, f"{notebook.name} in Notebook 7 ({server.mode} figures):\n" + "\n".join(problems)


# One parametrization of the server per test function (not one per lesson), so that pytest keeps
# one server for all the tests of a mode instead of starting one per lesson.
@pytest.mark.parametrize("notebook7", ["png"], indirect=True)
@pytest.mark.parametrize("notebook", course_notebooks(), ids=lambda path: path.stem)
def test_lesson_runs_and_dashboards_respond(notebook7, browser, notebook):
    check_lesson(notebook7, browser, notebook)


# --------------------------------------------------------------------------- the arrow keys

KEYS_NOTEBOOK = "zz_arrow_keys.ipynb"
KEYS_CELLS = [
    "import ipywidgets as widgets\n"
    "slider = widgets.FloatSlider(description='x', min=0, max=10, step=0.5)\n"
    "choice = widgets.Dropdown(options=['mat', 'floor', 'roof'], description='word')\n"
    "widgets.VBox([slider, choice])",
    "print('the cell below the widgets')",
]
# Notebook's own bindings: what the course's settings change, put back as a learner's settings.
USER_SHORTCUTS = ("lab", "user-settings", "@jupyterlab", "shortcuts-extension", "shortcuts.jupyterlab-settings")


def open_keys_notebook(browser, server):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in KEYS_CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, server.notebooks / KEYS_NOTEBOOK)
    page = open_notebook(browser, server, KEYS_NOTEBOOK)
    run_all_cells(page)
    page.locator(".widget-slider .noUi-handle").wait_for()
    page.locator(".widget-dropdown select").wait_for()
    return page


def readout_after(page, action):
    """Do ``action`` to the page, then return the slider's readout once it has settled."""
    action()
    readout = page.locator(".widget-slider .widget-readout")
    value, deadline = readout.inner_text(), time.monotonic() + 2
    while time.monotonic() < deadline:  # a change comes back from the widget model within ms
        time.sleep(0.25)
        value, previous = readout.inner_text(), value
        if value == previous:
            break
    return value


def press(locator, key, times=1):
    def action():
        for _ in range(times):
            locator.press(key)
    return action


def active_cell(page):
    return page.evaluate(
        "[...document.querySelectorAll('.jp-Cell')].findIndex(c => c.classList.contains('jp-mod-active'))"
    )


def restore_notebook_key_bindings(server):
    """Write a learner's settings that undo the course's: Notebook 7's own arrow-key bindings."""
    course = json.loads(COURSE_SETTINGS.read_text())["@jupyterlab/shortcuts-extension:shortcuts"]["shortcuts"]
    undone = [{**entry, "disabled": not entry.get("disabled", False)} for entry in course]
    path = server.config_dir.joinpath(*USER_SHORTCUTS)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"shortcuts": undone}))
    return path


@pytest.mark.parametrize("notebook7", ["png"], indirect=True)
def test_arrow_keys_move_a_focused_slider_and_dropdown(notebook7, browser):
    """With the course's settings the arrow keys reach the widgets, and still move between cells."""
    page = open_keys_notebook(browser, notebook7)
    try:
        handle = page.locator(".widget-slider .noUi-handle")
        assert handle.get_attribute("role") == "slider"  # what the settings' selector relies on
        handle.click()
        assert readout_after(page, press(handle, "ArrowRight", 3)) == "1.50"
        assert readout_after(page, press(handle, "ArrowLeft")) == "1.00"
        select = page.locator(".widget-dropdown select")
        select.focus()
        select.press("ArrowDown")
        assert select.input_value() == "floor"
        # Command mode on the last cell: ArrowUp still moves to the cell above.
        page.locator(".jp-Cell").last.locator(".jp-InputPrompt").click()
        page.keyboard.press("Escape")
        below = active_cell(page)
        page.keyboard.press("ArrowUp")
        assert active_cell(page) == below - 1
    finally:
        save_screenshot(page, "nb7-arrow-keys")
        close_notebook(page, notebook7)


@pytest.mark.parametrize("notebook7", ["png"], indirect=True)
def test_without_the_course_settings_the_arrow_keys_do_not_reach_a_slider(notebook7, browser):
    """Notebook 7's own bindings take the arrow keys (so the settings are needed); the
    workarounds the README gives, dragging the handle and typing into the readout, work."""
    settings = restore_notebook_key_bindings(notebook7)
    try:
        page = open_keys_notebook(browser, notebook7)
    finally:
        settings.unlink()  # read when the page loaded; the next page gets the course's again
    try:
        handle = page.locator(".widget-slider .noUi-handle")
        handle.click()
        after_keys = readout_after(page, press(handle, "ArrowRight", 3))
        select = page.locator(".widget-dropdown select")
        select.focus()
        select.press("ArrowDown")
        assert (after_keys, select.input_value()) == ("0.00", "mat"), (
            "with Notebook's own key bindings the arrow keys moved the widgets: has Notebook 7 "
            "stopped taking them (a newer version)? Then jupyter-config/ may no longer be needed."
        )

        def drag():
            box = handle.bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x, y)
            page.mouse.down()
            page.mouse.move(x + 60, y, steps=6)
            page.mouse.up()

        assert readout_after(page, drag) != "0.00"
        readout = page.locator(".widget-slider .widget-readout")

        def type_value():
            readout.click()
            page.keyboard.press("Control+A")
            page.keyboard.type("7")
            page.keyboard.press("Enter")

        assert readout_after(page, type_value) == "7.00"
    finally:
        save_screenshot(page, "nb7-arrow-keys-without-settings")
        close_notebook(page, notebook7)


# --------------------------------------------------------------------------- the checks can fail


@pytest.mark.parametrize("notebook7", ["png"], indirect=True)
def test_the_checks_catch_a_broken_notebook(notebook7, browser):
    """The checks of test_lesson_runs_and_dashboards_respond are able to fail in Notebook 7."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in test_lab.BROKEN_CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    name = "zz_broken_on_purpose.ipynb"
    nbformat.write(notebook, notebook7.notebooks / name)
    page = open_notebook(browser, notebook7, name)
    try:  # the ignored slider never redraws its figure: a short wait is enough to show that
        problems = check_notebook(page, notebook7, name, redraw_timeout=3)
    finally:
        save_screenshot(page, "nb7-png-checks-self-test")
        close_notebook(page, notebook7)
    report = "\n".join(problems)
    expected = [
        "cell 5 raised ZeroDivisionError",
        "cells that did not run (after an error?): 6",
        "error output:",
        "widget error: Error displaying widget",
        "widget shown as text",
        "dashboard 1: slider 'ignored': the figure did not change",
        "after moving sliders: error output:",
    ]
    for fragment in expected:
        assert fragment in report, f"the checks missed {fragment!r}; they found:\n{report}"
    assert "ValueError: callback failed" in report
    assert "warning is allowed" not in report
    assert "readout stayed" not in report, report  # the arrow keys moved the sliders
    assert "dashboard 0" not in report, report


def test_the_saved_notebook_is_read_without_racing_a_save(tmp_path):
    """``Server.read_notebook`` waits out a half-written file, and gives up on one that stays so.

    The save checks read the notebook from disk because a contents-API GET that meets a half-written
    notebook makes jupyter_server restore its backup over the file being written (an HTTP 500 in CI).
    """
    import threading
    from types import SimpleNamespace

    from .conftest import Server

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1", execution_count=1)])
    text = nbformat.writes(notebook)
    path = tmp_path / "saving.ipynb"
    path.write_text(text[: len(text) // 2])  # the server is half-way through writing it
    server = SimpleNamespace(notebooks=tmp_path)

    with pytest.raises(AssertionError, match="unreadable"):
        Server.read_notebook(server, path.name, timeout=0)

    finisher = threading.Timer(0.5, path.write_text, args=(text,))
    finisher.start()
    try:
        read = Server.read_notebook(server, path.name, timeout=10)
    finally:
        finisher.join()
    assert read.cells[0].execution_count == 1
