"""Shared by the widget-logic tests (tests/test_widgets*.py): every dashboard factory, found from
``softmax_lab.widgets.__all__``, the arguments of the few that need some, and small readers of
controls, artists, figures and messages.

The dashboards show their figures as PNG images (the default figure path), so nothing here needs
a browser or ipympl.
"""

import base64
import functools
import html
import inspect
import io
import re

import ipywidgets
import numpy as np
from matplotlib.text import Text

from softmax_lab import cross_entropy_grad, plots
from softmax_lab import widgets as W


def reference_step(W_, b, X, y, learning_rate):
    """A correct gradient step of softmax regression: what lesson 10's learner writes."""
    g = cross_entropy_grad(X @ W_ + b, y)
    return W_ - learning_rate * X.T @ g, b - learning_rate * g.sum(axis=0)


@functools.lru_cache(maxsize=1)
def shipped_predictions():
    """The shipped checkpoints' calibration logits (computed once per test process)."""
    from softmax_lab.widgets.calibration import shipped_predictions as load

    return load()


#: The arguments of the factories that need some (every other factory is called without any).
FACTORY_ARGUMENTS = {
    "classifier_trainer": lambda: {"step": reference_step},
    "reliability_dashboard": lambda: dict(zip(("predictions", "temperatures"), shipped_predictions())),
}


def snake_case(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def dashboard_classes():
    """Every Dashboard subclass named in ``softmax_lab.widgets.__all__``."""
    found = {}
    for name in W.__all__:
        obj = getattr(W, name)
        if inspect.isclass(obj) and issubclass(obj, W.Dashboard) and obj is not W.Dashboard:
            found[name] = obj
    return found


def dashboard_factories():
    """``{factory name: factory}``: for each dashboard class, the function named after it in snake case
    (``ReliabilityDashboard`` -> ``reliability_dashboard``); a class without one is left out here
    (test_widgets_contract.py fails on it)."""
    return {snake_case(name): getattr(W, snake_case(name)) for name in dashboard_classes()
            if snake_case(name) in W.__all__}


FACTORIES = dashboard_factories()


def build(name, **kwargs):
    """The dashboard ``name`` built as a lesson builds it (with FACTORY_ARGUMENTS where it needs some)."""
    arguments = FACTORY_ARGUMENTS.get(name, dict)()
    return FACTORIES[name](**arguments, **kwargs)


# ---------------------------------------------------------------------------------------------
# Controls
# ---------------------------------------------------------------------------------------------

SLIDERS = (ipywidgets.FloatSlider, ipywidgets.FloatLogSlider, ipywidgets.IntSlider, ipywidgets.SelectionSlider)
CHOICES = (ipywidgets.ToggleButtons, ipywidgets.Dropdown, ipywidgets.RadioButtons, ipywidgets.SelectionSlider)


def all_widgets(box):
    """Every widget inside ``box``, depth first, in layout order."""
    for child in getattr(box, "children", ()):
        yield child
        yield from all_widgets(child)


def controls(dash):
    """The controls a learner moves (sliders, toggles, drop-downs, check boxes), in layout order;
    not text boxes (the typed text has its own tests) and not buttons."""
    kinds = SLIDERS + CHOICES + (ipywidgets.Checkbox,)
    return [w for w in all_widgets(dash) if isinstance(w, kinds) and not w.disabled]


def first_slider(dash):
    """The first slider in layout order: the one the browser tests and bench_browser.py move."""
    return next(w for w in all_widgets(dash) if isinstance(w, SLIDERS) and not w.disabled)


def moved_value(control, steps=1):
    """A value of ``control`` different from its current one, ``steps`` steps away (back from the end)."""
    if isinstance(control, CHOICES):
        values = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return values[(values.index(control.value) + steps) % len(values)]
    if isinstance(control, ipywidgets.Checkbox):
        return not control.value
    if isinstance(control, ipywidgets.FloatLogSlider):
        exponent = np.log(control.value) / np.log(control.base)
        exponent = exponent + steps * control.step if exponent + steps * control.step <= control.max + 1e-9 \
            else exponent - steps * control.step
        return control.base ** exponent
    up = control.value + steps * control.step
    return up if up <= control.max else control.value - steps * control.step


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------

def png_outputs(dash):
    """The PNG (bytes) the dashboard's Output widget shows."""
    out = dash.figure_view
    assert isinstance(out, ipywidgets.Output)
    (item,) = out.outputs
    return base64.b64decode(item["data"]["image/png"])


def pixels(png):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def differing_pixels(png_a, png_b):
    """How many pixels differ between two PNGs of one size."""
    a, b = pixels(png_a), pixels(png_b)
    assert a.shape == b.shape, (a.shape, b.shape)
    return int(np.any(a != b, axis=-1).sum())


def texts_outside(fig):
    """Draw ``fig`` in full and list the texts it drew that are not wholly inside it.

    Every text matplotlib draws (tick labels, axis labels, titles, annotations, legend entries,
    value labels, animated texts) goes through ``Text.draw``; each non-empty one is measured
    right after it is drawn. Returns ``[(text, (x0, y0, x1, y1))]`` in pixels, for those that
    stick out by more than half a pixel.
    """
    return draw_and_measure(fig)[1]


def overlapping_texts(fig):
    """Draw ``fig`` in full and list the pairs of texts that cover each other by more than a pixel:
    ``[(text, text, depth in pixels)]``. A rotated text counts by its own turned rectangle, not by
    the larger upright box around it."""
    return draw_and_measure(fig)[2]


def drawn_texts(fig):
    """``(png, [(Text, its box in pixels)])``: ``fig`` drawn in full, and every non-empty visible
    text it drew (measured right after ``Text.draw``: the text alone, without an annotation's arrow)."""
    drawn = []
    original = Text.draw

    def measure(self, renderer):
        original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append((self, Text.get_window_extent(self, renderer)))

    Text.draw = measure
    try:
        png = plots.render_png(fig)
    finally:
        Text.draw = original
    return png, drawn


def draw_and_measure(fig):
    """``(png, outside, overlapping)``: the figure drawn in full as PNG bytes, the texts of
    :func:`texts_outside` and the pairs of :func:`overlapping_texts`, from one draw."""
    return draw_and_measure_texts(fig)[:3]


def draw_and_measure_texts(fig):
    """:func:`draw_and_measure`'s three results and, fourth, the drawn texts of :func:`drawn_texts`,
    all from one draw (a check that reads the texts again needs no second draw)."""
    png, drawn = drawn_texts(fig)
    width, height = fig.canvas.get_width_height()
    outside = [(text.get_text(), tuple(round(float(v), 1) for v in box.extents)) for text, box in drawn
               if box.x0 < -0.5 or box.y0 < -0.5 or box.x1 > width + 0.5 or box.y1 > height + 0.5]
    return png, outside, _overlapping(fig, drawn), drawn


def _text_rectangle(text, box, renderer):
    """The rectangle a (possibly rotated) text covers: ``(centre, half sizes, unit axes)`` in pixels.

    ``box`` is the axis-aligned box around it; a rotated text's own rectangle is the same text laid
    out flat (its size), turned by its angle about the box's centre."""
    angle = np.deg2rad(text.get_rotation())
    if np.isclose(np.sin(2 * angle), 0):                   # 0, 90, 180, 270 degrees: the box itself
        width, height = box.width, box.height
        axes = np.eye(2)
    else:
        flat = Text(0, 0, text.get_text())
        flat.update_from(text)
        flat.set_rotation(0)
        flat.set_figure(text.figure)
        width, height = flat.get_window_extent(renderer).size
        axes = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
    centre = np.array([(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2])
    return centre, np.array([width, height]) / 2, axes


def _overlap(a, b):
    """How deep two rectangles of :func:`_text_rectangle` overlap (pixels; <= 0: apart): the
    smallest overlap of their projections on the four edge directions (separating axes)."""
    depth = np.inf
    for direction in (*a[2], *b[2]):
        reach = [abs(half * (axes @ direction)).sum() for _, half, axes in (a, b)]
        gap = abs((a[0] - b[0]) @ direction)
        depth = min(depth, reach[0] + reach[1] - gap)
    return depth


def _overlapping(fig, drawn, tolerance=1.0):
    if len(drawn) < 2:
        return []
    boxes = np.array([box.extents for _, box in drawn])              # x0, y0, x1, y1
    across = np.minimum(boxes[:, None, 2], boxes[None, :, 2]) - np.maximum(boxes[:, None, 0], boxes[None, :, 0])
    up = np.minimum(boxes[:, None, 3], boxes[None, :, 3]) - np.maximum(boxes[:, None, 1], boxes[None, :, 1])
    # only texts whose upright boxes overlap can overlap; those are measured by their own rectangles
    candidates = np.argwhere(np.triu((across > tolerance) & (up > tolerance), k=1))
    renderer = fig.canvas.get_renderer()
    found = []
    for i, j in candidates:
        (text_a, box_a), (text_b, box_b) = drawn[i], drawn[j]
        depth = _overlap(_text_rectangle(text_a, box_a, renderer), _text_rectangle(text_b, box_b, renderer))
        if depth > tolerance:
            found.append((text_a.get_text(), text_b.get_text(), round(float(depth), 1)))
    return found


# ---------------------------------------------------------------------------------------------
# Projector sizes (issue 19)
# ---------------------------------------------------------------------------------------------

#: The width (CSS pixels) JupyterLab gives a cell's output in a browser window of each projector
#: size; a wider picture is scaled down to it. Lower bounds, checked in a real browser by
#: tests/browser/test_projector.py (1096 and 840 px measured, with the file browser closed as one
#: projects; 844 and 588 px with it open).
PROJECTOR_OUTPUT_WIDTHS = {"1280x800": 1090, "1024x768": 830}

#: The smallest text (CSS pixels, once the picture is scaled to the output's width) a dashboard may
#: show at a projector size: presentation mode is what a class sees from the back of the room
#: (>= 14 px, JupyterLab's own prose is 13-14 px at a 100% zoom); the default size must stay
#: readable on a small screen (>= 11 px).
SMALLEST_TEXT_PX = {True: 14.0, False: 11.0}


def projected_text_sizes(fig, drawn, output_width):
    """``[(text, pixel size)]``: each drawn text's font size in CSS pixels when the figure's
    picture is shown ``output_width`` pixels wide at most (scaled down, never up)."""
    scale = min(1.0, output_width / fig.bbox.width)
    return [(text.get_text(), text.get_fontsize() * fig.dpi / 72 * scale) for text, _ in drawn]


def heights(group):
    return np.array([bar.get_height() for bar in group.bars])


def texts(group):
    return [t.get_text() for t in group.texts]


def message_text(dash):
    return html.unescape(dash.message.value)
