"""Lesson 11's links, checked against what JupyterLab itself renders.

softmax_lab.audit.heading_anchor computes a heading's anchor the way JupyterLab 4 does
(``header.textContent`` with spaces replaced by ``-``). Here JupyterLab renders lesson 11 and
every notebook it links to, and the test reads the anchors off the page: every link of lesson 11
must name an anchor JupyterLab gave to a heading of its target, and clicking one of them in the
summary table must scroll to that heading.
"""

import json
import re

import pytest

from softmax_lab import audit

from .conftest import NOTEBOOK_DIR, WIDGET_TIMEOUT

pytestmark = pytest.mark.browser

LINK = re.compile(r"\]\(([^)\s]*)\)")

# Every heading's anchor as JupyterLab set it (as id, or as data-jupyter-id when ids are sanitised).
_ANCHORS_JS = """() => [...document.querySelectorAll(
        '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownOutput :is(h1, h2, h3, h4, h5, h6)')]
    .map(h => h.getAttribute('id') || h.getAttribute('data-jupyter-id'))"""


def lesson_links():
    notebook = json.loads((NOTEBOOK_DIR / audit.LESSON).read_text(encoding="utf-8"))
    links = []
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            links += LINK.findall("".join(cell["source"]))
    return links


def rendered_anchors(page, lab, name):
    page.goto(f"{lab.url}/lab/tree/{name}?reset&token={lab.token}")
    page.locator(".jp-NotebookPanel .jp-MarkdownOutput h1").first.wait_for(timeout=WIDGET_TIMEOUT * 1000)
    return set(page.evaluate(_ANCHORS_JS))


@pytest.mark.parametrize("lab", ["png"], indirect=True)
def test_every_link_of_lesson_11_names_an_anchor_jupyterlab_renders(lab, browser):
    by_notebook = {}
    for target in lesson_links():
        name, _, anchor = target.partition("#")
        by_notebook.setdefault(name or audit.LESSON, set()).add(anchor)
    page = browser.new_page()
    try:
        for name, wanted in sorted(by_notebook.items()):
            found = rendered_anchors(page, lab, name)
            assert found, f"JupyterLab rendered no headings in {name}"
            missing = sorted(a for a in wanted if a and a not in found)
            assert not missing, f"{name}: JupyterLab has no heading anchors {missing}"
    finally:
        page.close()
        lab.shutdown_kernels()


@pytest.mark.parametrize("lab", ["png"], indirect=True)
def test_clicking_a_claim_in_the_table_scrolls_to_its_section(lab, browser):
    claim = audit.get_claim("robustness")
    page = browser.new_page()
    try:
        rendered_anchors(page, lab, audit.LESSON)
        heading = page.locator(f".jp-MarkdownOutput h3:has-text('{claim.heading}')").first
        top_before = heading.evaluate("h => h.getBoundingClientRect().top")
        table = page.locator(".jp-MarkdownOutput details", has_text="The audit in one table").first
        table.locator("summary").first.click()                 # the table is folded: it shows every verdict
        page.locator(".jp-MarkdownOutput a", has_text=f"C{claim.number} below").first.click()
        page.wait_for_function(
            """h => { const r = h.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight; }""",
            arg=heading.element_handle(), timeout=WIDGET_TIMEOUT * 1000)
        assert heading.evaluate("h => h.getBoundingClientRect().top") != top_before
    finally:
        page.close()
        lab.shutdown_kernels()
