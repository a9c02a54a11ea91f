"""Every notebook, run top to bottom in JupyterLab in a real browser.

For each notebook in notebooks/, with the default figure path (PNG images): open it, Run > Run All
Cells from the menu, wait for the kernel, then check that

* every code cell ran and no cell has an error output (read from the saved notebook) and no
  traceback, widget error or widget-shown-as-text is on the page;
* each dashboard (a top-level output with a slider) draws the expected kind of figure, and
  moving its first slider with the keyboard changes both the readout and the figure.

The opt-in live canvas (``SOFTMAX_LAB_FIGURES=canvas``) runs one lesson, enough to show that the
option still works through ipympl's public API.

A screenshot of each notebook goes to test-artifacts/lab-<mode>-<notebook>.png. With
SOFTMAX_LAB_SCREENSHOTS=<dir> (``make screenshots``), the first dashboard of each lesson is also
saved, small, as <dir>/<notebook stem>.png (see screenshots.py).
"""

import time

import nbformat
import pytest

from .conftest import (
    KERNEL_START_TIMEOUT,
    REDRAW_TIMEOUT,
    RUN_ALL_TIMEOUT,
    course_notebooks,
    dashboards_problems,
    page_problems,
    save_screenshot,
    saved_notebook_problems,
    wait_widgets_rendered,
)
from .screenshots import save_dashboard_picture

pytestmark = pytest.mark.browser

PANEL = ".jp-NotebookPanel:visible"


@pytest.fixture
def lab_page(lab, browser, request):
    """The JupyterLab page of this server, reused from notebook to notebook.

    Loading JupyterLab costs about 4 s, so the notebooks are opened and closed inside one page.
    After a failed test the page is closed (with any kernel left), and the next test starts
    a fresh one.
    """
    if lab.page is None or lab.page.is_closed():
        lab.page = browser.new_page()
        lab.page.goto(f"{lab.url}/lab?reset&token={lab.token}")
        lab.page.get_by_role("menuitem", name="File", exact=True).wait_for()
    yield lab.page
    if getattr(request.node, "browser_test_failed", True):
        lab.page.close()
        lab.page = None
        lab.shutdown_kernels()


def open_notebook(page, name):
    """File > Open from Path..., then wait until the kernel is started, connected and idle."""
    page.get_by_role("menuitem", name="File", exact=True).click()
    page.locator(".lm-Menu-item[data-command='filebrowser:open-path']").click()
    page.locator(".jp-Dialog input").fill(name)
    page.locator(".jp-Dialog .jp-mod-accept").click()
    # Not the toolbar's execution indicator: it says "idle" before any kernel exists, and
    # Run All would then ask for a kernel. The status bar names the kernel once it is there.
    page.wait_for_function(
        """name => {
            const item = [...document.querySelectorAll('.jp-StatusBar-TextItem')]
                .find(e => e.title === 'Change kernel for ' + name);
            const text = item ? item.textContent : '';
            return !text.startsWith('No Kernel') && / \\| Idle$/.test(text);
        }""",
        arg=name,
        timeout=KERNEL_START_TIMEOUT * 1000,
    )
    panel = page.locator(PANEL)
    panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for()
    return panel


def close_notebook(page, lab):
    """Close the notebook's tab, then shut its kernel down (it would outlive the tab)."""
    page.get_by_role("menuitem", name="File", exact=True).click()
    page.locator(".lm-Menu-item[data-command='application:close']").click()
    page.wait_for_function(
        "() => !document.querySelector('.jp-NotebookPanel') || document.querySelector('.jp-Dialog')"
    )
    if page.locator(".jp-Dialog").count():  # "Save your work?" (it was saved before the checks)
        page.locator(".jp-Dialog button", has_text="Discard").click()
    page.locator(".jp-NotebookPanel").wait_for(state="detached")
    lab.shutdown_kernels()


def run_all_cells(page):
    """Run > Run All Cells, then wait until no cell is queued or running and the kernel is idle."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    # Run All marks every code cell [*] at once; it is over when no [*] is left, at least one
    # cell has a number and the kernel is idle (cells after an error stay at [ ]).
    page.wait_for_function(
        """() => {
            const panel = [...document.querySelectorAll('.jp-NotebookPanel')]
                .find(p => p.offsetParent !== null);
            if (!panel) return false;
            const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
                .map(e => e.textContent);
            const status = panel.querySelector('.jp-Notebook-ExecutionIndicator')?.dataset.status;
            return status === 'idle' && !prompts.some(t => t.includes('*'))
                && prompts.some(t => /\\d/.test(t));
        }""",
        timeout=RUN_ALL_TIMEOUT * 1000,
    )


def save_notebook(page):
    page.get_by_role("menuitem", name="File", exact=True).click()
    page.locator(".lm-Menu-item[data-command='docmanager:save']").click()
    page.locator(".lm-TabBar-tab.jp-mod-dirty").wait_for(state="detached")


def check_notebook(page, lab, name, redraw_timeout=REDRAW_TIMEOUT):
    """Run one notebook in the page; returns the list of problems a learner would meet."""
    panel = open_notebook(page, name)
    run_all_cells(page)
    wait_widgets_rendered(page)
    save_notebook(page)
    if lab.mode == "png":
        save_dashboard_picture(panel, name.removesuffix(".ipynb"), "lab")
    problems = saved_notebook_problems(lab, name) + page_problems(panel)
    problems += [p for p in dashboards_problems(panel, name, lab.mode, redraw_timeout)
                 if p.removeprefix("after moving sliders: ") not in problems]
    return problems


@pytest.mark.parametrize("notebook", course_notebooks(), ids=lambda path: path.stem)
def test_notebook_runs_and_dashboards_respond(lab, lab_page, notebook):
    started = time.monotonic()
    try:
        problems = check_notebook(lab_page, lab, notebook.name)
    finally:
        save_screenshot(lab_page, f"lab-{lab.mode}-{notebook.stem}")
    close_notebook(lab_page, lab)
    print(f"{notebook.name} [{lab.mode}]: {time.monotonic() - started:.1f} s")
    assert not problems, f"{notebook.name} in JupyterLab ({lab.mode} figures):\n" + "\n".join(problems)


# The opt-in live canvas, on one lesson: it goes through ipympl's public API (draw_idle) only.
CANVAS_LESSON = "01_softmax_basics.ipynb"


@pytest.mark.parametrize("lab", ["canvas"], indirect=True)
def test_the_canvas_option_still_works(lab, lab_page):
    problems = check_notebook(lab_page, lab, CANVAS_LESSON)
    save_screenshot(lab_page, "lab-canvas-option")
    close_notebook(lab_page, lab)
    assert not problems, f"{CANVAS_LESSON} in JupyterLab (canvas figures):\n" + "\n".join(problems)


# A notebook with one instance of every failure the test above must catch, written into the
# server's copy of the notebooks (never into notebooks/).
BROKEN_CELLS = [
    # allowed: a warning on stderr
    "import warnings\nwarnings.warn('a warning is allowed')",
    # a widget view whose model does not exist: "Error displaying widget: model not found"
    "display({'application/vnd.jupyter.widget-view+json':"
    " {'model_id': 'f' * 32, 'version_major': 2, 'version_minor': 0}}, raw=True)",
    # what a missing widget extension shows: the widget's text repr
    "display({'text/plain': 'VBox(children=(FloatSlider(value=0.0),))'}, raw=True)",
    # a dashboard whose callback redraws, then fails (the traceback shows in an Output widget).
    # It comes first: its traceback arrives a moment after its new picture, and the 3 s spent
    # waiting on the next dashboard's figure lets it arrive before the page is checked.
    "import base64\nimport ipywidgets as widgets\nfrom softmax_lab import plots\n"
    "def show(out, figure):\n"
    "    png = base64.b64encode(plots.render_png(figure)).decode()\n"
    "    out.outputs = ({'output_type': 'display_data', 'data': {'image/png': png}, 'metadata': {}},)\n"
    "figure2, axes2 = plots.new_figure(size=(3, 2))\n"
    "bars2 = axes2.bar(['a', 'b'], [0.5, 0.5])\n"
    "slider2, out2, errors2 = widgets.FloatSlider(description='fails'), widgets.Output(), widgets.Output()\n"
    "show(out2, figure2)\n"
    "@errors2.capture()\n"
    "def fail(change):\n"
    "    bars2[0].set_height(0.1)\n"
    "    show(out2, figure2)\n"
    "    raise ValueError('callback failed')\n"
    "slider2.observe(fail, names='value')\n"
    "widgets.VBox([slider2, out2, errors2])",
    # a dashboard whose figure (a PNG in an Output widget, as the dashboards show theirs)
    # ignores its slider
    "figure, axes = plots.new_figure(size=(3, 2))\n"
    "axes.bar(['a', 'b'], [0.3, 0.7])\n"
    "out = widgets.Output()\n"
    "show(out, figure)\n"
    "widgets.VBox([widgets.FloatSlider(description='ignored'), out])",
    "1 / 0",
    "print('never runs')",
]


def test_the_checks_catch_a_broken_notebook(lab, lab_page):
    """The checks of test_notebook_runs_and_dashboards_respond are able to fail."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in BROKEN_CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    name = "zz_broken_on_purpose.ipynb"
    nbformat.write(notebook, lab.notebooks / name)
    # The ignored slider never redraws its figure: a short wait is enough to show that.
    try:
        problems = check_notebook(lab_page, lab, name, redraw_timeout=3)
    finally:
        save_screenshot(lab_page, f"lab-{lab.mode}-checks-self-test")
    close_notebook(lab_page, lab)
    report = "\n".join(problems)
    expected = [
        "cell 5 raised ZeroDivisionError",
        "cells that did not run (after an error?): 6",
        "error output:",  # the ZeroDivisionError traceback on the page
        "widget error: Error displaying widget",
        "widget shown as text",
        "dashboard 1: slider 'ignored': the figure did not change",
        "after moving sliders: error output:",  # the ValueError in the Output widget
    ]
    for fragment in expected:
        assert fragment in report, f"the checks missed {fragment!r}; they found:\n{report}"
    assert "ValueError: callback failed" in report
    assert "warning is allowed" not in report
    assert "readout stayed" not in report, report
    assert "dashboard 0" not in report, report  # its figure did change
