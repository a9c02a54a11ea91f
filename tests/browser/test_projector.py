"""Dashboards at projector sizes (issue 19): 1280 x 800 and 1024 x 768 windows in JupyterLab.

The widest presentation figure (1120 pixels) is shown in a browser window of each size. Checked:

* the figure is not cut: the picture lies wholly inside the notebook's visible width (JupyterLab
  scales a wide image down to its output's width), with no horizontal scroll in the notebook,
  with the file browser open and closed;
* with the file browser closed, as one projects, the output's width is at least what
  tests/widget_helpers.py assumes for that window (``PROJECTOR_OUTPUT_WIDTHS``): there every
  dashboard's smallest text, scaled down by the same factor, must stay readable. This test keeps
  that assumption honest; the contract tests cover every factory without a browser.
"""

import nbformat
import pytest

from .conftest import VIEWPORT, save_screenshot, wait_widgets_rendered
from .test_lab import close_notebook, open_notebook, run_all_cells

pytestmark = pytest.mark.browser

NOTEBOOK = "zz_projector.ipynb"
SIZES = {"1280x800": (1280, 800), "1024x768": (1024, 768)}

CELLS = [
    "from softmax_lab import widgets as W\nW.temperature_explorer(presentation=True)",
]

MEASURE = """() => {
    const panel = [...document.querySelectorAll('.jp-NotebookPanel')].find(p => p.offsetParent !== null);
    const img = panel && panel.querySelector('.widget-output img');
    if (!img || !img.complete || !img.naturalWidth) return null;
    const notebook = panel.querySelector('.jp-Notebook');
    const output = img.closest('.jp-OutputArea-output');
    const box = img.getBoundingClientRect(), visible = notebook.getBoundingClientRect();
    return {natural: img.naturalWidth, shown: box.width, right: box.right, visibleRight: visible.right,
            outputWidth: output.clientWidth,
            scrolls: notebook.scrollWidth > notebook.clientWidth + 1};
}"""


def settled(page, tries=20):
    """MEASURE once two readings 0.25 s apart agree (the layout has stopped moving)."""
    previous = page.evaluate(MEASURE)
    for _ in range(tries):
        page.wait_for_timeout(250)
        current = page.evaluate(MEASURE)
        if current == previous and current:
            return current
        previous = current
    return previous


@pytest.fixture
def projector_notebook(lab):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, lab.notebooks / NOTEBOOK)
    return NOTEBOOK


@pytest.mark.parametrize("size", sorted(SIZES))
def test_a_wide_presentation_figure_fits_at_projector_sizes(lab, browser, projector_notebook, size):
    from widget_helpers import PROJECTOR_OUTPUT_WIDTHS  # imports matplotlib: not at collection

    width, height = SIZES[size]
    page = browser.new_page()
    try:
        page.goto(f"{lab.url}/lab?reset&token={lab.token}")
        page.get_by_role("menuitem", name="File", exact=True).wait_for()
        open_notebook(page, projector_notebook)      # at the usual size: the status bar shows the kernel
        run_all_cells(page)
        wait_widgets_rendered(page)
        page.set_viewport_size({"width": width, "height": height})   # then the window shrinks to the projector's
        # Measure once JupyterLab has laid the page out at the new size (a measurement taken before
        # the reflow is the old, wider layout, which closing the file browser can never exceed)
        page.wait_for_function(f"() => {{ const m = ({MEASURE})(); return m && m.visibleRight <= {width}; }}")
        with_sidebar = settled(page)
        # One projects with the file browser closed (a click on its tab, or Ctrl+B): the output widens.
        page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()
        page.wait_for_function("() => { const s = document.querySelector('#jp-left-stack');"
                               " return !s || s.offsetWidth === 0; }")
        wider = f"() => {{ const m = ({MEASURE})(); return m && m.outputWidth > {with_sidebar['outputWidth']}; }}"
        page.wait_for_function(wider)
        seen = settled(page)
        save_screenshot(page, f"projector-{size}")
        page.set_viewport_size(VIEWPORT)
        close_notebook(page, lab)
    finally:
        page.close()
    for state, measured in (("with the file browser open", with_sidebar), ("with it closed", seen)):
        assert measured["natural"] == 1120, measured
        assert measured["right"] <= measured["visibleRight"] + 0.5, \
            f"the figure is cut on the right at {size} {state}: {measured}"
        assert not measured["scrolls"], f"the notebook scrolls sideways at {size} {state}: {measured}"
        assert measured["shown"] <= measured["outputWidth"] + 0.5, (state, measured)
    assert seen["outputWidth"] >= PROJECTOR_OUTPUT_WIDTHS[size], \
        f"at {size} JupyterLab gives an output {seen['outputWidth']} px (file browser closed; " \
        f"{with_sidebar['outputWidth']} px open), the contract assumes {PROJECTOR_OUTPUT_WIDTHS[size]} px: " \
        "lower PROJECTOR_OUTPUT_WIDTHS"
