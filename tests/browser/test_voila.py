"""Every notebook as a Voila app (``make demo``), in a real browser.

Voila runs the notebook on the server and shows only the outputs. For each notebook: open
/voila/render/<notebook>, wait for the widgets, check that no cell failed (neither on the page
nor in Voila's log) and that no widget is broken, then move the first slider of each dashboard
and check that its readout and its figure change. The server is set up as ``make demo`` sets
it: the figure mode is left automatic (no SOFTMAX_LAB_FIGURES), which must give PNG images, and
the dashboards use their large classroom layout (SOFTMAX_LAB_PRESENTATION=1).

A screenshot of each page goes to test-artifacts/voila-<notebook>.png. With
SOFTMAX_LAB_SCREENSHOTS=<dir> (``make screenshots``), the first dashboard of each notebook that
is not a lesson (the classroom dashboard) is also saved, small, as <dir>/<notebook stem>.png.
"""

import re
import time

import pytest

from .conftest import (
    NO_DASHBOARD,
    RUN_ALL_TIMEOUT,
    course_notebooks,
    dashboards_problems,
    page_problems,
    save_screenshot,
    wait_for_sliders,
    wait_widgets_rendered,
)
from .screenshots import save_dashboard_picture

pytestmark = pytest.mark.browser

EXPECTED_FIGURES = "png"  # what setup_figures() picks by itself, everywhere


def check_voila_page(page, voila, name):
    """Render one notebook with Voila; returns the list of problems a viewer would meet."""
    log_start = voila.log_size()
    # Voila executes every cell while it streams the page: "load" fires once all have run.
    page.goto(f"{voila.url}/voila/render/{name}", wait_until="load", timeout=RUN_ALL_TIMEOUT * 1000)
    if name not in NO_DASHBOARD:
        wait_for_sliders(page)
    wait_widgets_rendered(page)
    save_dashboard_picture(page, name.removesuffix(".ipynb"), "voila")
    problems = page_problems(page)
    if "CellExecutionError" in voila.log_since(log_start):
        problems.append("Voila's log reports a cell that raised (CellExecutionError)")
    problems += [p for p in dashboards_problems(page, name, EXPECTED_FIGURES)
                 if p.removeprefix("after moving sliders: ") not in problems]
    return problems


@pytest.mark.parametrize("notebook", course_notebooks(), ids=lambda path: path.stem)
def test_voila_renders_notebook_and_dashboards_respond(voila, browser, notebook):
    page = browser.new_page()
    kernels = set()  # the page's kernel, seen in its websocket URL: /api/kernels/<id>/channels
    page.on("websocket", lambda ws: kernels.update(re.findall(r"/api/kernels/([-\w]+)/", ws.url)))
    started = time.monotonic()
    try:
        problems = check_voila_page(page, voila, notebook.name)
    finally:
        save_screenshot(page, f"voila-{notebook.stem}")
        page.close()
        # Voila's own clean-up, a beacon sent on "beforeunload", is refused (403: no _xsrf
        # cookie) when a page is opened directly rather than from Voila's file list.
        for kernel_id in kernels:
            voila.shutdown_kernel(kernel_id)
    print(f"{notebook.name} [voila]: {time.monotonic() - started:.1f} s")
    assert not problems, f"{notebook.name} in Voila:\n" + "\n".join(problems)
