"""The classroom app at projector sizes, through Voila as ``make demo`` serves it.

A projector is often 1280 x 800 or 1024 x 768. At 1280 x 800 the answer and its verdict must be
on screen after Reveal without scrolling (the teacher presses Reveal and the room reads the
answer); at both sizes nothing may be cut: no control, readout or figure reaches past the right
edge of the window or of a box that hides its overflow (the 1120-pixel figure used to be cut on
the right with no scrollbar), and the guess box shows its whole placeholder.

Screenshots go to test-artifacts/voila-classroom-<width>x<height>-<preset>.png.
"""

import re
import time

import pytest

from .conftest import RUN_ALL_TIMEOUT, page_problems, save_screenshot

pytestmark = pytest.mark.browser

NOTEBOOK = "classroom.ipynb"
DASHBOARD = ".softmax-lab"
READOUT = f"{DASHBOARD} .widget-html-content table"
SIZES = [(1280, 800), (1024, 768)]

# Everything in the dashboard a learner must see whole, and what cuts it: the window's right
# edge, or an ancestor whose overflow is hidden (cut) or scrolls (only seen by scrolling sideways).
_CUT_JS = """root => {
    const width = document.documentElement.clientWidth;
    const found = [];
    const name = e => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string'
        ? '.' + e.className.trim().split(/\\s+/).slice(0, 2).join('.') : '');
    for (const e of root.querySelectorAll(
            'img, canvas, table, input, button, select, .widget-slider, .widget-html-content, .widget-label')) {
        const box = e.getBoundingClientRect();
        if (box.width === 0 || box.height === 0 || getComputedStyle(e).visibility === 'hidden') continue;
        if (e.closest('.jupyter-matplotlib-toolbar')) continue;     // ipympl's own hover toolbar
        if (box.right > width + 0.5) {
            found.push(`${name(e)} ends at ${Math.round(box.right)} px, the window at ${width}`);
        }
        for (let a = e.parentElement; a && a !== document.documentElement; a = a.parentElement) {
            const style = getComputedStyle(a);
            if (style.overflowX === 'visible') continue;
            const outer = a.getBoundingClientRect();
            if (box.right > outer.right + 0.5 || box.left < outer.left - 0.5) {
                found.push(`${name(e)} (${Math.round(box.left)}-${Math.round(box.right)} px) is cut by ${name(a)} ` +
                           `(${Math.round(outer.left)}-${Math.round(outer.right)} px, overflow ${style.overflowX})`);
                break;
            }
        }
    }
    const page = document.scrollingElement;
    if (page.scrollWidth > page.clientWidth + 1) found.push(`the page scrolls sideways: ${page.scrollWidth} px wide`);
    return found;
}"""

# The width the placeholder's text needs, in the input's own font, and the width it has.
_PLACEHOLDER_JS = """input => {
    const style = getComputedStyle(input);
    const context = document.createElement('canvas').getContext('2d');
    context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const needed = context.measureText(input.placeholder).width;
    const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return [input.placeholder, needed, room];
}"""

# Top of the page, in every box that scrolls (Voila's page, or the body).
_TO_TOP_JS = """() => {
    window.scrollTo(0, 0);
    for (const e of document.querySelectorAll('*')) if (e.scrollTop) e.scrollTop = 0;
}"""


def norm(text):
    return " ".join(text.split())


def wait_for_text(locator, fragment, timeout=15):
    deadline = time.monotonic() + timeout
    while fragment not in (text := norm(locator.inner_text())):
        if time.monotonic() > deadline:
            raise AssertionError(f"{fragment!r} never appeared; the text is:\n{text[:1500]}")
        time.sleep(0.1)
    return text


@pytest.fixture(params=SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def page(request, voila, browser):
    """A page of the given size whose kernels are shut down afterwards."""
    page = browser.new_page()
    width, height = request.param
    page.set_viewport_size({"width": width, "height": height})
    kernels = set()
    page.on("websocket", lambda ws: kernels.update(re.findall(r"/api/kernels/([-\w]+)/", ws.url)))
    page.log_start = voila.log_size()
    yield page
    page.close()
    for kernel_id in kernels:
        voila.shutdown_kernel(kernel_id)


def open_and_reveal(page, voila, preset, guess):
    page.goto(f"{voila.url}/voila/render/{NOTEBOOK}?preset={preset}", wait_until="commit",
              timeout=RUN_ALL_TIMEOUT * 1000)
    dashboard = page.locator(DASHBOARD).first
    dashboard.wait_for(timeout=RUN_ALL_TIMEOUT * 1000)
    wait_for_text(page.locator(READOUT).first, "hidden: press Reveal", timeout=RUN_ALL_TIMEOUT)
    box = dashboard.locator(".widget-text input").first
    placeholder = box.evaluate(_PLACEHOLDER_JS)
    box.fill(guess)
    box.press("Enter")
    wait_for_text(page.locator(READOUT).first, "class guess")
    dashboard.get_by_role("button", name="Reveal").click()
    wait_for_text(page.locator(READOUT).first, "as asked")
    page.wait_for_timeout(500)              # the figure's new image, then the layout settles
    page.evaluate(_TO_TOP_JS)
    return dashboard, placeholder


@pytest.mark.parametrize("preset, guess, answer", [
    ("tie", "0,4", "0.468 (mat)"),             # a decimal comma, as many classes write it
    ("cat", "rug", "mat (probability"),
], ids=["tie", "cat"])
def test_after_reveal_the_answer_is_on_screen_and_nothing_is_cut(page, voila, preset, guess, answer):
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    try:
        dashboard, (placeholder, needed, room) = open_and_reveal(page, voila, preset, guess)
        assert needed <= room, f"the guess box shows {room:.0f} px of its placeholder {placeholder!r} ({needed:.0f} px)"
        text = norm(page.locator(READOUT).first.inner_text())
        assert answer in text and re.search(r"right|close|not quite", text), text
        if (width, height) == (1280, 800):
            row = page.locator(f"{READOUT} tr", has_text="answer").first
            box = row.bounding_box()
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, (
                f"the answer row spans {box} in a {width} x {height} window: it needs scrolling")
        cut = dashboard.evaluate(_CUT_JS)
        assert cut == [], "\n".join(cut)
        assert page_problems(page) == []
        assert "CellExecutionError" not in voila.log_since(page.log_start)
    finally:
        save_screenshot(page, f"voila-classroom-{width}x{height}-{preset}")
