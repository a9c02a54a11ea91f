"""The classroom app (notebooks/classroom.ipynb) through Voila, as ``make demo`` serves it.

A teacher opens ``/voila/render/classroom.ipynb?preset=tie``: the tie preset must be on screen,
its answer hidden; the class's guess goes in, Reveal is pressed from the keyboard, the answer and
the guess appear side by side and the figure changes; the temperature slider still moves the
figure. An unknown or hostile address shows the menu and a message, never a traceback.

The start time (page request to a drawn dashboard) is printed, never asserted on. Screenshots
go to test-artifacts/voila-classroom-*.png.
"""

import re
import time

import pytest

from .conftest import (
    RUN_ALL_TIMEOUT,
    move_slider,
    page_problems,
    save_screenshot,
    stable_plot_images,
)

pytestmark = pytest.mark.browser

NOTEBOOK = "classroom.ipynb"
DASHBOARD = ".softmax-lab"
READOUT = f"{DASHBOARD} .widget-html-content table"
FIGURES = "png"                      # the figure path Voila gets by default (PNG images)
FIGURE = ".widget-output img"        # a dashboard's figure on the page


def open_classroom(page, voila, query):
    """Open the classroom with ``query``; returns (dashboard locator, seconds until its figure is drawn)."""
    started = time.monotonic()
    page.goto(f"{voila.url}/voila/render/{NOTEBOOK}{query}", wait_until="commit",
              timeout=RUN_ALL_TIMEOUT * 1000)
    dashboard = page.locator(DASHBOARD).first
    dashboard.wait_for(timeout=RUN_ALL_TIMEOUT * 1000)
    images = stable_plot_images(dashboard, FIGURES)
    elapsed = time.monotonic() - started
    assert images, "the classroom's figure was never drawn"
    return dashboard, elapsed, images


@pytest.fixture
def page(voila, browser):
    """A page whose kernels are shut down afterwards (Voila's own clean-up beacon is refused here)."""
    page = browser.new_page()
    kernels = set()
    page.on("websocket", lambda ws: kernels.update(re.findall(r"/api/kernels/([-\w]+)/", ws.url)))
    page.log_start = voila.log_size()
    yield page
    page.close()
    for kernel_id in kernels:
        voila.shutdown_kernel(kernel_id)


def norm(text):
    """White space (ipywidgets writes menu options with no-break spaces) as single spaces."""
    return " ".join(text.split())


def readout_text(page):
    return norm(page.locator(READOUT).first.inner_text())


def wait_for_text(locator, fragment, timeout=15):
    deadline = time.monotonic() + timeout
    while fragment not in (text := norm(locator.inner_text())):
        if time.monotonic() > deadline:
            raise AssertionError(f"{fragment!r} never appeared; the text is:\n{text[:1500]}")
        time.sleep(0.1)
    return text


def test_classroom_preset_guess_reveal_and_slider_in_voila(page, voila):
    try:
        dashboard, elapsed, hidden_images = open_classroom(page, voila, "?preset=tie")
        print(f"\n{NOTEBOOK}?preset=tie [voila]: page request to drawn dashboard {elapsed:.1f} s")

        # the preset from the address is applied; its answer is hidden
        menu = dashboard.locator("select").first
        assert norm(menu.locator("option:checked").inner_text()) == "3 \u00b7 A tie at the top"
        assert "mat and floor both have logit 3" in norm(dashboard.inner_text())
        text = readout_text(page)
        assert "hidden: press Reveal" in text and "0.468" not in text

        # the class's guess: typed, sent with Enter
        guess = dashboard.locator(".widget-text input").first
        guess.fill("40%")
        guess.press("Enter")
        wait_for_text(page.locator(READOUT).first, "class guess 0.40")
        assert "0.468" not in readout_text(page)

        # Reveal from the keyboard: Tab from the guess box reaches Reveal, Enter presses it
        guess.press("Tab")
        assert page.evaluate("() => document.activeElement.innerText.trim()") == "Reveal"
        page.keyboard.press("Enter")
        text = wait_for_text(page.locator(READOUT).first, "0.468 (mat)")
        assert "class guess 0.40" in text and "close" in text
        revealed_images = stable_plot_images(dashboard, FIGURES, differ_from=hidden_images)
        assert revealed_images != hidden_images, "the distribution did not appear in the figure"

        # the temperature slider (keyboard) changes the readout and the figure
        before, after = move_slider(dashboard.locator(".widget-slider").first)
        assert before != after, f"the slider's readout stayed at {before!r}"
        wait_for_text(page.locator(READOUT).first, f"temperature {after}")
        moved_images = stable_plot_images(dashboard, FIGURES, differ_from=revealed_images)
        assert moved_images != revealed_images, "the figure did not change after the slider moved"

        # the menu from the keyboard: a preset's number selects it, and the answer is hidden again
        menu.focus()
        page.keyboard.press("5")
        wait_for_text(dashboard, "4 times larger")
        # the question and the readout are separate widgets, updated one after the other: wait for both
        wait_for_text(page.locator(READOUT).first, "hidden: press Reveal")
        next_images = stable_plot_images(dashboard, FIGURES, differ_from=moved_images)
        assert next_images != moved_images, "the figure did not change with the preset"
        assert page_problems(page) == []
        assert "CellExecutionError" not in voila.log_since(page.log_start)
    finally:
        save_screenshot(page, "voila-classroom-tie")


@pytest.mark.parametrize("query, message", [
    ("?preset=%3Cb%3Eboom%3C%2Fb%3E&preset=hot", "unknown preset '<b>boom</b>'"),
    ("?preset=" + "%ZZ" * 1000, "the address is too long"),
], ids=["unknown-and-repeated", "very-long"])
def test_classroom_unknown_or_hostile_address_shows_the_menu_and_a_message(page, voila, query, message):
    try:
        dashboard, elapsed, _ = open_classroom(page, voila, query)
        print(f"\n{NOTEBOOK} ({len(query)} characters of query) [voila]: {elapsed:.1f} s")
        text = wait_for_text(dashboard, message)
        assert dashboard.locator("b", has_text="boom").count() == 0          # shown as text, not as HTML
        note = dashboard.locator(".widget-html-content", has_text=message).first
        figure = dashboard.locator(FIGURE).first
        assert note.bounding_box()["y"] < figure.bounding_box()["y"], "the note must be seen without scrolling"
        menu = dashboard.locator("select").first
        assert norm(menu.locator("option:checked").inner_text()).startswith("1 \u00b7 Sharp")
        assert menu.locator("option").count() == 10
        assert "hidden: press Reveal" in text
        assert "Traceback" not in page.inner_text("body")
        assert page_problems(page) == []
        assert "CellExecutionError" not in voila.log_since(page.log_start)
    finally:
        save_screenshot(page, f"voila-classroom-{'long' if len(query) > 100 else 'unknown'}")


def test_classroom_calibration_preset_reveals_lesson_07s_dashboard(page, voila):
    """The lesson 07 preset: no figure before Reveal, then the reliability diagram, live."""
    try:
        started = time.monotonic()
        page.goto(f"{voila.url}/voila/render/{NOTEBOOK}?preset=calibration", wait_until="commit",
                  timeout=RUN_ALL_TIMEOUT * 1000)
        dashboard = page.locator(DASHBOARD).first
        text = wait_for_text(dashboard, "How often is its top word right?", timeout=RUN_ALL_TIMEOUT)
        print(f"\n{NOTEBOOK}?preset=calibration [voila]: question on screen after {time.monotonic() - started:.1f} s")
        assert "average confidence on new sentences is 70.2%" in text
        assert dashboard.locator(f"{FIGURE}:visible").count() == 0     # nothing to peek at
        dashboard.locator(".widget-text input").first.fill("0.7")
        dashboard.get_by_role("button", name="Reveal").click()
        text = wait_for_text(page.locator(READOUT).first, "answer 0.523 (the accuracy)")
        assert "class guess 0.70" in text and "close" not in text
        reliability = page.locator(".softmax-lab", has_text="use the fitted T").last
        images = stable_plot_images(reliability, FIGURES)
        assert images, "the reliability diagram was not drawn"
        before, after = move_slider(reliability.locator(".widget-slider").first)
        assert before != after
        assert stable_plot_images(reliability, FIGURES, differ_from=images) != images
        assert page_problems(page) == []
    finally:
        save_screenshot(page, "voila-classroom-calibration")
