"""Pictures of the dashboards for the README, taken by the browser tests (``make screenshots``).

With ``SOFTMAX_LAB_SCREENSHOTS=<dir>`` set, the browser tests save one small PNG per notebook:
the first dashboard (the first top-level output holding a slider) once Run All has finished and
its figure is drawn, before any slider moves, as ``<dir>/<notebook stem>.png``.

* tests/browser/test_lab.py saves the lessons (``NN_*.ipynb``) from JupyterLab, with the
  default figure path (PNG images);
* tests/browser/test_voila.py saves every other notebook (the classroom dashboard,
  ``classroom.ipynb``) from Voila, as ``make demo`` shows it (presentation mode).

The three pictures at the top of the README (``README_PICTURES``) are the same pictures of lessons
01, 02 and 06, written again beside that directory under the dashboards' names.

Unset, nothing is saved and the tests behave as before. The picture is downscaled to at most
``MAX_WIDTH`` pixels and stored with a palette of ``COLOURS`` colours (Pillow, which matplotlib
already requires), so that each file is a few tens of KB.
"""

import io
import os
import re
from pathlib import Path

ENV_VAR = "SOFTMAX_LAB_SCREENSHOTS"
MAX_WIDTH = 640  # pixels; the README shows them smaller, this keeps text legible when clicked
COLOURS = 64  # adaptive palette: the dashboards use a handful of colours plus antialiasing
SPARE_HEIGHT = 300  # pixels around a notebook in JupyterLab: menu, tab bar, toolbar, status bar
LESSON = re.compile(r"^\d\d_")
#: lesson -> the README's picture of its first dashboard, in the parent of the screenshot directory
README_PICTURES = {"01_softmax_basics": "logit_explorer", "02_temperature_and_overconfidence": "temperature_explorer",
                   "06_next_token_sampling": "sampler_dashboard"}


def screenshot_dir():
    """The directory named by SOFTMAX_LAB_SCREENSHOTS (created), or None when unset."""
    value = os.environ.get(ENV_VAR, "").strip()
    if not value:
        return None
    directory = Path(value).expanduser().resolve()
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def wanted(stem, route):
    """Whether ``route`` (``"lab"`` or ``"voila"``) takes the picture of notebook ``stem``."""
    if screenshot_dir() is None:
        return False
    return bool(LESSON.match(stem)) == (route == "lab")


def shrink_png(png, max_width=MAX_WIDTH, colours=COLOURS):
    """A smaller PNG: at most ``max_width`` pixels wide, palette of ``colours`` colours."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.width > max_width:
        height = round(image.height * max_width / image.width)
        image = image.resize((max_width, height), Image.Resampling.LANCZOS)
    image = image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def save_dashboard_picture(scope, stem, route):
    """Save the first dashboard in ``scope`` as ``<dir>/<stem>.png``; returns the path or None.

    Does nothing when SOFTMAX_LAB_SCREENSHOTS is unset, when another route takes this notebook's
    picture, or when the notebook shows no dashboard (the tests report that themselves).
    """
    if not wanted(stem, route):
        return None
    from .conftest import DASHBOARD, plot_kind, stable_plot_images

    if not scope.locator(DASHBOARD).count():
        return None
    dashboard = scope.locator(DASHBOARD).first
    kind = plot_kind(dashboard)
    if kind is not None:
        stable_plot_images(dashboard, kind)  # the figure drawn and settled
    page = scope.page if hasattr(scope, "page") else scope  # a Locator knows its page
    viewport = page.viewport_size
    # A dashboard taller than JupyterLab's notebook area would be captured with the toolbar and
    # the status bar drawn over it: make the window tall enough for a moment.
    height = dashboard.bounding_box()["height"] + SPARE_HEIGHT
    if height > viewport["height"]:
        page.set_viewport_size({"width": viewport["width"], "height": int(height)})
    try:
        dashboard.scroll_into_view_if_needed()
        page.mouse.move(0, 0)  # no hover effects on the page
        page.wait_for_timeout(300)  # the re-layout after a resize
        png = dashboard.screenshot(animations="disabled")
    finally:
        page.set_viewport_size(viewport)
    path = screenshot_dir() / f"{stem}.png"
    path.write_bytes(shrink_png(png))
    if stem in README_PICTURES:
        (path.parent.parent / f"{README_PICTURES[stem]}.png").write_bytes(path.read_bytes())
    return path
