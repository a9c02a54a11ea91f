"""Dashboards for the lessons: sliders and text boxes wired to figures that update in place.

Every dashboard is an ipywidgets container that is *returned*, never displayed: the last line
of a notebook cell shows it. Each one keeps its state in plain attributes, so that tests and
sanity-check cells can move a control and read the result::

    dash = logit_explorer()
    dash.sliders[0].value = 5.0          # as if a learner had dragged the "mat" slider
    dash.probabilities                   # softmax of the current logits
    dash.figure                          # the one matplotlib Figure, updated in place

The maths comes from :mod:`softmax_lab` (softmax, entropy, cross_entropy, ...); the drawing
from :mod:`softmax_lab.plots`; this module only wires them together.

Figures are shown in one of two modes, recorded as ``dash.figure_mode``:

* ``"canvas"``: the live ipympl canvas is part of the layout (JupyterLab, Voila);
* ``"png"``: an ``Output`` widget shows the figure as a PNG, re-rendered after each change
  (Colab, VS Code without the widget backend, anywhere ``ipympl`` is missing).

Call :func:`setup_figures` once in a notebook's Setup cell to choose (``"auto"`` by default).
The environment variable ``SOFTMAX_LAB_FIGURES=png`` or ``=canvas`` forces a mode.

An error inside a callback (a slider move, a button click) is shown in the dashboard itself,
under the figure, with its traceback: in JupyterLab, errors raised in widget callbacks would
otherwise only reach the log console, where a learner never looks.

Limits of the logit explorer: at most :data:`MAX_CATEGORIES` (12) categories, every logit
between ``-LOGIT_LIMIT`` and ``+LOGIT_LIMIT`` (-10 and 10, the range of the sliders).
"""

import base64
import contextlib
import functools
import html
import importlib.util
import math
import os
import re
import sys
import traceback

import ipywidgets as widgets
import numpy as np

from . import plots, sampling
from ._checks import check_temperature
from .functions import entropy, log_softmax, naive_softmax, sigmoid, softmax
from .losses import cross_entropy, cross_entropy_grad, softmax_jacobian

__all__ = [
    "setup_figures",
    "current_figure_mode",
    "parse_logits",
    "parse_labels",
    "logit_explorer",
    "temperature_explorer",
    "sigmoid_vs_softmax",
    "gradient_stepper",
    "LogitExplorer",
    "TemperatureExplorer",
    "SigmoidVsSoftmax",
    "GradientStepper",
    "MAX_CATEGORIES",
    "LOGIT_LIMIT",
]

#: The most categories a dashboard with one slider per logit shows: 12 sliders still fit on a
#: projected screen, and 12 bars stay readable.
MAX_CATEGORIES = 12
#: Logits are kept between -LOGIT_LIMIT and +LOGIT_LIMIT (the slider range). A gap of 10
#: between two logits already gives odds of e^10, about 22 000 to 1.
LOGIT_LIMIT = 10.0
#: Longest label accepted from the labels text box (longer ones crowd the axis).
MAX_LABEL_LENGTH = 16
#: Longest text accepted in a text box, before any parsing.
MAX_TEXT_LENGTH = 400

ENV_VAR = "SOFTMAX_LAB_FIGURES"
#: Set to 1 (as `make demo` does) to show every dashboard in presentation mode.
PRESENTATION_ENV_VAR = "SOFTMAX_LAB_PRESENTATION"
FIGURE_MODES = ("canvas", "png")
IPYMPL_BACKEND = "module://ipympl.backend_nbagg"
_IPYMPL_NAMES = {IPYMPL_BACKEND, "widget", "ipympl"}

CAT_EXAMPLE_LABELS = ("mat", "floor", "roof")
CAT_EXAMPLE_LOGITS = (2.0, 1.0, 0.1)
CAT_EXAMPLE_CONTEXT = "The cat sat on the ___"

_TEXT_COLOR_WARN = "#9E3A00"      # dark vermillion: readable on white, and the message has a sign too
_chosen_mode = None               # set by setup_figures()


# --------------------------------------------------------------------------------------------
# Figure mode
# --------------------------------------------------------------------------------------------

def _ipympl_installed():
    # find_spec, not import: importing ipympl after matplotlib switches the backend to ipympl.
    return importlib.util.find_spec("ipympl") is not None


def _ipympl_active():
    import matplotlib

    return matplotlib.get_backend().lower() in _IPYMPL_NAMES


def _mode_from_env():
    value = os.environ.get(ENV_VAR, "").strip().lower()
    if not value:
        return None
    if value not in FIGURE_MODES:
        raise ValueError(f"the environment variable {ENV_VAR} must be 'png' or 'canvas', got {value!r}")
    return value


def setup_figures(mode="auto"):
    """Choose how the dashboards show their figures; call it once in a notebook's Setup cell.

    Parameters
    ----------
    mode : {"auto", "canvas", "png"}, default "auto"
        ``"canvas"`` activates the ipympl backend and puts live canvases in the dashboards.
        ``"png"`` shows figures as images re-rendered after every change.
        ``"auto"`` uses the environment variable ``SOFTMAX_LAB_FIGURES`` (``png`` or
        ``canvas``) when it is set; otherwise ``"png"`` in Google Colab or when ipympl is not
        installed, and ``"canvas"`` everywhere else. An explicit mode wins over the variable.

    Returns
    -------
    str
        The mode chosen: ``"canvas"`` or ``"png"``.

    Raises
    ------
    ValueError
        An unknown ``mode`` (or an unknown value of ``SOFTMAX_LAB_FIGURES``).
    ImportError
        ``"canvas"`` was asked for but ipympl is not installed.

    Examples
    --------
    >>> setup_figures("png")
    'png'
    >>> logit_explorer().figure_mode
    'png'
    """
    global _chosen_mode
    if not isinstance(mode, str) or mode not in ("auto", *FIGURE_MODES):
        raise ValueError(f"mode must be 'auto', 'canvas' or 'png', got {mode!r}")
    if mode == "auto":
        mode = _mode_from_env()
        if mode is None:
            mode = "png" if ("google.colab" in sys.modules or not _ipympl_installed()) else "canvas"
    if mode == "canvas":
        if not _ipympl_installed():
            raise ImportError("the 'canvas' figure mode needs ipympl (pip install ipympl); "
                              "setup_figures('png') works without it")
        import matplotlib

        matplotlib.use(IPYMPL_BACKEND)
    _chosen_mode = mode
    return mode


def current_figure_mode():
    """The mode a dashboard built now would use.

    The one chosen by :func:`setup_figures` if it was called; otherwise ``SOFTMAX_LAB_FIGURES``
    if set; otherwise ``"canvas"`` when the ipympl backend is active and ``"png"`` if not.
    """
    if _chosen_mode is not None:
        return _chosen_mode
    mode = _mode_from_env()
    if mode is None:
        mode = "canvas" if _ipympl_active() else "png"
    if mode == "canvas" and not _ipympl_installed():
        raise ImportError(f"{ENV_VAR}=canvas needs ipympl (pip install ipympl)")
    return mode


# --------------------------------------------------------------------------------------------
# Parsing what learners type (never eval)
# --------------------------------------------------------------------------------------------

def parse_logits(text, max_count=MAX_CATEGORIES, limit=LOGIT_LIMIT):
    """Read logits typed by a learner, such as ``"2.0, 1.0, 0.1"``, without ever evaluating code.

    The text is split on commas, semicolons and white space; each piece must be a plain number
    (``float()`` reads it).

    Parameters
    ----------
    text : str
    max_count : int, default MAX_CATEGORIES (12)
    limit : float, default LOGIT_LIMIT (10)
        Every logit must lie in ``[-limit, limit]``.

    Returns
    -------
    ndarray of float64
        Between 2 and ``max_count`` finite values.

    Raises
    ------
    ValueError
        With a message meant for the learner: no numbers, a piece that is not a number, NaN or
        infinity, a value out of range, fewer than 2 or more than ``max_count`` values.
    TypeError
        ``text`` is not a string.

    Examples
    --------
    >>> parse_logits("2.0, 1.0, 0.1")
    array([2. , 1. , 0.1])
    >>> parse_logits("3 -1.5")
    array([ 3. , -1.5])
    >>> parse_logits("2, nan")
    Traceback (most recent call last):
    ...
    ValueError: 'nan' is not a finite number; use values between -10 and 10
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"that is {len(text)} characters; type at most {max_count} numbers")
    pieces = [p for p in re.split(r"[\s,;]+", text.strip()) if p]
    if not pieces:
        raise ValueError("type at least 2 logits separated by commas, e.g. 2.0, 1.0, 0.1")
    if len(pieces) > max_count:
        raise ValueError(f"at most {max_count} logits, got {len(pieces)}")
    values = []
    for piece in pieces:
        try:
            value = float(piece)
        except ValueError:
            raise ValueError(f"{piece!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"{piece!r} is not a finite number; use values between {-limit:g} and {limit:g}")
        if abs(value) > limit:
            raise ValueError(f"{piece} is outside the range {-limit:g} to {limit:g}")
        values.append(value)
    if len(values) < 2:
        raise ValueError("type at least 2 logits: with one category, softmax is always 1")
    return np.array(values, dtype=np.float64)


def parse_labels(text, max_count=MAX_CATEGORIES, max_length=MAX_LABEL_LENGTH):
    """Read category labels typed by a learner, such as ``"mat, floor, roof"``.

    Labels are split on commas (or semicolons); without any comma, on white space.

    Returns
    -------
    list of str
        Between 2 and ``max_count`` different, non-empty labels of at most ``max_length``
        characters each.

    Raises
    ------
    ValueError
        With a message meant for the learner.

    Examples
    --------
    >>> parse_labels("mat, floor, roof")
    ['mat', 'floor', 'roof']
    >>> parse_labels("New York; Paris")
    ['New York', 'Paris']
    >>> parse_labels("cat dog")
    ['cat', 'dog']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"that is {len(text)} characters; type at most {max_count} short labels")
    pieces = re.split(r"[,;]", text) if re.search(r"[,;]", text) else text.split()
    labels = [p.strip() for p in pieces if p.strip()]
    if len(labels) < 2:
        raise ValueError("type at least 2 labels separated by commas, e.g. mat, floor, roof")
    if len(labels) > max_count:
        raise ValueError(f"at most {max_count} labels, got {len(labels)}")
    for label in labels:
        if len(label) > max_length:
            raise ValueError(f"{label[:max_length]!r}... is longer than {max_length} characters")
    seen = set()
    for label in labels:
        if label in seen:
            raise ValueError(f"the label {label!r} appears twice; labels must be different")
        seen.add(label)
    return labels


def _check_logits(logits, name="logits", limit=LOGIT_LIMIT, max_count=MAX_CATEGORIES):
    """Validate constructor logits: 1-D, 2..max_count finite numbers within [-limit, limit]."""
    try:
        z = np.asarray(logits, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers, got {logits!r}") from None
    if z.ndim != 1 or not 2 <= z.size <= max_count:
        raise ValueError(f"{name} must be a flat list of 2 to {max_count} numbers, got shape {z.shape}")
    if not np.isfinite(z).all():
        raise ValueError(f"{name} must be finite numbers, got {z.tolist()}")
    if np.abs(z).max() > limit:
        raise ValueError(f"{name} must lie between {-limit:g} and {limit:g} (the slider range), got {z.tolist()}")
    return z


def _check_labels(labels, count, name="labels"):
    if isinstance(labels, str) or not all(isinstance(lab, str) for lab in labels):
        raise TypeError(f"{name} must be a list of strings, got {labels!r}")
    labels = list(labels)
    if len(labels) != count:
        raise ValueError(f"{name} has {len(labels)} entries for {count} logits")
    return labels


def _categories(logits, labels):
    """The (logits, labels) a dashboard starts from; the cat example when both are None."""
    if logits is None and labels is None:
        return np.array(CAT_EXAMPLE_LOGITS), list(CAT_EXAMPLE_LABELS)
    if logits is None:
        logits = np.zeros(len(labels))
    z = _check_logits(logits)
    labels = _default_labels(len(z)) if labels is None else _check_labels(labels, len(z))
    return z, labels


def _default_labels(count, known=()):
    """``known`` labels first, then "word i" names, ``count`` in all."""
    names = list(known)[:count]
    return names + [f"word {i + 1}" for i in range(len(names), count)]


def _mpl_text(label):
    """A label safe for matplotlib: a '$' would otherwise start mathtext (and could fail to parse)."""
    return label.replace("$", r"\$")


# --------------------------------------------------------------------------------------------
# Shared dashboard machinery
# --------------------------------------------------------------------------------------------

_PRESENTATION_CSS = """<style>
.softmax-lab-presentation {
  --jp-widgets-font-size: 18px;
  --jp-widgets-inline-height: 36px;
  --jp-widgets-slider-handle-size: 20px;
  --jp-widgets-slider-track-thickness: 6px;
}
.softmax-lab-presentation .widget-html-content { font-size: 18px; }
</style>"""


class _Dashboard(widgets.VBox):
    """Base class: figure mode, the figure view, messages, and callbacks that show their errors.

    Attributes shared by every dashboard: ``figure`` (the matplotlib Figure), ``figure_mode``
    (``"canvas"`` or ``"png"``), ``figure_view`` (the canvas widget, or the ``Output`` showing
    the PNG), ``message`` (inline notes about rejected input), ``error`` (a banner for errors
    in callbacks) and ``error_details`` (their tracebacks), ``errors`` (the exceptions caught).
    """

    def __init__(self, presentation=False):
        super().__init__()
        # presentation=True, or the classroom switch SOFTMAX_LAB_PRESENTATION=1 (`make demo`)
        self.presentation = bool(presentation) or os.environ.get(PRESENTATION_ENV_VAR, "") == "1"
        self.figure_mode = current_figure_mode()
        self.message = widgets.HTML("")
        self.error = widgets.HTML("")
        self.error_details = widgets.Output(layout=widgets.Layout(display="none"))
        self.errors = []
        self._fonts = plots.fonts(self.presentation)
        self.add_class("softmax-lab")
        if self.presentation:
            self.add_class("softmax-lab-presentation")

    # -- layout helpers ------------------------------------------------------------------

    def _new_figure(self, *args, **kwargs):
        return plots.new_figure(*args, presentation=self.presentation, mode=self.figure_mode, **kwargs)

    def _make_view(self, figure):
        """The widget that shows ``figure``: its live canvas, or an Output holding a PNG."""
        if self.figure_mode == "canvas":
            self.figure_view = figure.canvas
            return self.figure_view
        out = self.figure_view = widgets.Output()
        width, height = (int(round(v)) for v in figure.bbox.size)

        def show(png):
            out.outputs = ({
                "output_type": "display_data",
                "data": {"image/png": base64.b64encode(png).decode("ascii"),
                         "text/plain": f"<figure {width}x{height}>"},
                "metadata": {"image/png": {"width": width, "height": height}},
            },)

        plots.attach_png_viewer(figure, show)
        return out

    def _assemble(self, *parts):
        """Set the children: optional presentation CSS, the parts, then messages and errors."""
        head = [widgets.HTML(_PRESENTATION_CSS)] if self.presentation else []
        self.children = [*head, *parts, self.message, self.error, self.error_details]

    def _slider_layout(self):
        return widgets.Layout(width="100%", max_width="900px" if self.presentation else "620px")

    @staticmethod
    def _description_style(descriptions):
        width = max(len(d) for d in descriptions) + 2
        return {"description_width": f"{width}ch"}

    def _html_box(self, rows):
        """Readouts as a small two-column HTML table (name, value)."""
        size = "18px" if self.presentation else "14px"
        cells = "".join(f"<tr><td style='padding-right:1.2em'>{name}</td><td><b>{value}</b></td></tr>"
                        for name, value in rows)
        return f"<table style='font-size:{size}; font-variant-numeric: tabular-nums'>{cells}</table>"

    # -- messages and errors -------------------------------------------------------------

    def _say(self, text):
        """Show a note about rejected input (or clear it with ``""``)."""
        self.message.value = (f"<span style='color:{_TEXT_COLOR_WARN}'>&#9888; {html.escape(text)}</span>"
                              if text else "")

    def _guarded(self, callback):
        """Wrap a widget callback so that any error it raises is shown in the dashboard."""

        @functools.wraps(callback)
        def run(*args, **kwargs):
            try:
                result = callback(*args, **kwargs)
            except Exception as exc:  # shown below the figure, with its traceback: not swallowed
                self._show_error(exc)
                return None
            if self.error.value:
                self.error.value = ""     # working again: clear the banner (details are kept)
            return result

        return run

    def _show_error(self, exc):
        self.errors.append(exc)
        self.error.value = (
            f"<div style='color:{_TEXT_COLOR_WARN}; border-left: 4px solid {plots.OKABE_ITO['vermillion']};"
            f" padding-left: 0.5em'><b>&#9888; The dashboard hit an error:</b> "
            f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}<br>"
            f"The figure shows the last state that worked. Details below.</div>")
        self.error_details.layout.display = None
        self.error_details.append_stderr("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        self.error_details.outputs = self.error_details.outputs[-3:]     # the last 3 tracebacks

    # -- the figure --------------------------------------------------------------------

    def _build_figure(self):
        """Create ``self.figure`` and every artist the updates will change (called once)."""
        raise NotImplementedError

    def _show_state(self):
        """Set the artists and readouts to the current state, in place (no new artists)."""
        raise NotImplementedError

    def redraw(self):
        """Repaint the figure (draw_idle on the canvas, or a new PNG)."""
        plots.redraw(self.figure)

    def _update(self, change=None):
        """React to a change: update the artists in place, then redraw the one figure."""
        self._show_state()
        self.redraw()


# --------------------------------------------------------------------------------------------
# 1. Logit explorer
# --------------------------------------------------------------------------------------------

class LogitExplorer(_Dashboard):
    """One slider per logit, the softmax as bars, readouts, a shift control and text boxes.

    Use :func:`logit_explorer` to build one. Attributes for tests and sanity checks:
    ``sliders`` (one FloatSlider per category), ``shift`` (adds c to every logit),
    ``logits_text`` and ``labels_text`` (Text boxes), ``labels``, ``logits`` (slider values
    plus c), ``probabilities``, ``readout`` (HTML), ``bars`` (bar artists and value labels),
    ``figure``, ``figure_mode``, ``message``, ``error``.
    """

    def __init__(self, logits=None, labels=None, temperature=1.0, presentation=False):
        self._is_cat_example = logits is None and labels is None
        z, labels = _categories(logits, labels)
        self.temperature = check_temperature(temperature)
        super().__init__(presentation)
        self._holding = False

        self.shift = widgets.FloatSlider(
            value=0.0, min=-LOGIT_LIMIT, max=LOGIT_LIMIT, step=0.1, description="shift all by c",
            readout_format=".1f", layout=self._slider_layout(), style=self._description_style(["shift all by c"]))
        self.logits_text = widgets.Text(
            description="logits", placeholder="e.g. 2.0, 1.0, 0.1", continuous_update=False,
            layout=self._slider_layout(), style=self._description_style(["shift all by c"]))
        self.labels_text = widgets.Text(
            description="labels", placeholder="e.g. mat, floor, roof", continuous_update=False,
            layout=self._slider_layout(), style=self._description_style(["shift all by c"]))
        self.readout = widgets.HTML()
        self.labels = list(labels)
        self.sliders = self._make_sliders(z, labels)
        self._slider_box = widgets.VBox(self.sliders)
        self._build_figure()
        self._show_text_state()

        self.shift.observe(self._guarded(self._on_change), names="value")
        self.logits_text.observe(self._guarded(self._on_logits_text), names="value")
        self.labels_text.observe(self._guarded(self._on_labels_text), names="value")

        help_text = widgets.HTML(
            "Type logits or labels and press Enter. The shift slider adds the same c to every logit.")
        self._assemble(self._slider_box, self.shift, self._make_view(self.figure), self.readout,
                       self.logits_text, self.labels_text, help_text)
        self._update()

    # -- state -------------------------------------------------------------------------------

    @property
    def logits(self):
        """The logits in use: each slider's value plus the shift c."""
        return np.array([s.value for s in self.sliders]) + self.shift.value

    @property
    def probabilities(self):
        """``softmax(logits, temperature=T)``."""
        return softmax(self.logits, temperature=self.temperature)

    # -- building ------------------------------------------------------------------------

    def _build_figure(self):
        self.figure, self._ax = self._new_figure(size=(7.0, 3.6))
        plots.label_axes(self._ax, "category (next word)", "probability", title=self._title(),
                         presentation=self.presentation)
        self.bars = plots.probability_bars(self._ax, [_mpl_text(lab) for lab in self.labels],
                                           presentation=self.presentation)
        plots.animate(self.figure, self.bars.bars, self.bars.texts)     # what changes on an update
        plots.relayout(self.figure)

    def _title(self):
        title = f"P(next word | \u201c{CAT_EXAMPLE_CONTEXT}\u201d)" if self._is_cat_example else "softmax of the logits"
        return title + (f",  T = {self.temperature:g}" if self.temperature != 1.0 else "")

    def _make_sliders(self, z, labels):
        style = self._description_style(labels + ["shift all by c"])
        sliders = [widgets.FloatSlider(value=float(v), min=-LOGIT_LIMIT, max=LOGIT_LIMIT, step=0.1,
                                       description=lab, readout_format=".2f",
                                       layout=self._slider_layout(), style=style)
                   for v, lab in zip(z, labels)]
        for s in sliders:
            s.observe(self._guarded(self._on_change), names="value")
        return sliders

    def _set_categories(self, z, labels):
        """Show ``labels`` with slider values ``z``; rebuild sliders and bars only if the count changes."""
        if len(labels) != len(self.sliders):
            for s in self.sliders:
                s.close()
            self.sliders = self._make_sliders(z, labels)
            self._slider_box.children = self.sliders
            plots.remove_bars(self.bars)           # new bars in the same axes of the same figure
            self.bars = plots.probability_bars(self._ax, [_mpl_text(lab) for lab in labels],
                                               presentation=self.presentation)
            plots.animate(self.figure, self.bars.bars, self.bars.texts)
            plots.relayout(self.figure)
        else:
            style = self._description_style(labels + ["shift all by c"])
            with self._hold():
                for s, v, lab in zip(self.sliders, z, labels):
                    s.value = float(v)
                    s.description = lab
                    s.style.description_width = style["description_width"]
            if labels != self.labels:
                self._ax.set_xticks(np.arange(len(labels)), [_mpl_text(lab) for lab in labels])
                plots.relayout(self.figure)
        if self._is_cat_example and labels[:3] != list(CAT_EXAMPLE_LABELS):
            self._is_cat_example = False       # the "cat sat on the" title no longer fits
            self._ax.title.set_text(self._title())
            plots.invalidate(self.figure)
        self.labels = list(labels)
        self._show_text_state()

    @contextlib.contextmanager
    def _hold(self):
        """Change several controls without reacting to each change (one update afterwards)."""
        self._holding = True
        try:
            yield
        finally:
            self._holding = False

    def _show_text_state(self):
        """Write the current logits and labels into the text boxes (without re-parsing them)."""
        with self._hold():
            self.logits_text.value = ", ".join(f"{s.value:g}" for s in self.sliders)
            self.labels_text.value = ", ".join(self.labels)

    # -- callbacks -----------------------------------------------------------------------

    def _on_change(self, change=None):
        if self._holding:
            return
        self._show_text_state()
        self._update()

    def _on_logits_text(self, change):
        if self._holding:
            return
        try:
            z = parse_logits(change["new"])
        except ValueError as exc:
            self._say(f"logits not changed: {exc}")
            return
        labels = _default_labels(len(z), known=self.labels)
        self._say("")
        self._set_categories(z, labels)
        self._update()

    def _on_labels_text(self, change):
        if self._holding:
            return
        try:
            labels = parse_labels(change["new"])
        except ValueError as exc:
            self._say(f"labels not changed: {exc}")
            return
        current = [s.value for s in self.sliders]
        z = (current + [0.0] * len(labels))[:len(labels)]
        self._say("")
        self._set_categories(np.array(z), labels)
        self._update()

    def _show_state(self):
        z = self.logits
        p = self.probabilities
        plots.set_heights(self.bars, p)
        top = p == p.max()
        plots.highlight(self.bars, top)
        h = float(entropy(p))
        winners = ", ".join(html.escape(lab) for lab, t in zip(self.labels, top) if t)
        c = self.shift.value
        rows = [
            ("logits z + c" if c else "logits z", ", ".join(f"{v:.2f}" for v in z)),
            ("entropy", f"{h:.4f} nats = {h / math.log(2):.4f} bits"),
            ("maximum probability", f"{p.max():.4f} ({winners})"),
            ("sum of probabilities", f"{p.sum():.6f}"),
        ]
        if c:
            rows.append(("shift c", f"{c:+.1f}: every logit moved, the probabilities did not"))
        self.readout.value = self._html_box(rows)


def logit_explorer(logits=None, labels=None, temperature=1.0, presentation=False):
    r"""A dashboard to move logits and watch the softmax probabilities respond.

    One slider per logit (range -10..10), bars of :math:`\mathrm{softmax}(z / T)` with their
    values, readouts of the entropy (nats and bits), the largest probability and the sum of
    the probabilities, a slider that adds the same constant c to every logit (the bars do not
    move: softmax is shift invariant), and two text boxes where a learner types logits
    (``2.0, 1.0, 0.1``) and labels (``mat, floor, roof``).

    Typed input is parsed with :func:`parse_logits` / :func:`parse_labels` (never evaluated).
    Bad input leaves the dashboard as it was and explains why under the figure. The number
    of categories follows what is typed, up to :data:`MAX_CATEGORIES` (12); logits must lie in
    [-10, 10]. The figure is built once; a new count replaces only the bars.

    Parameters
    ----------
    logits : sequence of float, optional
        2 to 12 starting logits in [-10, 10]. Default: the "The cat sat on the ___" example,
        ``mat, floor, roof`` with logits ``2.0, 1.0, 0.1``.
    labels : sequence of str, optional
        One label per logit (default ``word 1``, ``word 2``, ...).
    temperature : float, default 1.0
        The logits are divided by T > 0 before the softmax.
    presentation : bool, default False
        Larger figure and fonts, for a projector.

    Returns
    -------
    LogitExplorer
        An ipywidgets VBox; make it the last expression of a cell to show it.

    Examples
    --------
    >>> dash = logit_explorer()
    >>> dash.probabilities.round(3)
    array([0.659, 0.242, 0.099])
    >>> dash.shift.value = 5.0              # add 5 to every logit
    >>> dash.probabilities.round(3)
    array([0.659, 0.242, 0.099])
    >>> dash.logits_text.value = "1, 1, 1, 1"
    >>> dash.labels, dash.probabilities
    (['mat', 'floor', 'roof', 'word 4'], array([0.25, 0.25, 0.25, 0.25]))
    """
    return LogitExplorer(logits, labels, temperature, presentation=presentation)


# --------------------------------------------------------------------------------------------
# 2. Temperature explorer
# --------------------------------------------------------------------------------------------

class TemperatureExplorer(_Dashboard):
    """A log-scale temperature slider, the softmax bars, and entropy / max-probability curves.

    Use :func:`temperature_explorer`. Attributes: ``temperature`` (the FloatLogSlider),
    ``logits``, ``labels``, ``probabilities``, ``bars``, ``grid`` (the temperatures of the
    curves), ``entropy_curve`` and ``max_probability_curve`` (precomputed once),
    ``entropy_marker`` and ``max_probability_marker`` (the moving points), ``readout``.
    """

    T_MIN, T_MAX = 0.01, 100.0

    def __init__(self, logits=None, labels=None, presentation=False):
        z, labels = _categories(logits, labels)
        super().__init__(presentation)
        self.logits, self.labels = z, labels

        self.temperature = widgets.FloatLogSlider(
            value=1.0, base=10, min=math.log10(self.T_MIN), max=math.log10(self.T_MAX), step=0.01,
            description="temperature T", readout_format=".3g", layout=self._slider_layout(),
            style=self._description_style(["temperature T"]))
        self.readout = widgets.HTML()

        # The curves are computed once, over a log grid; only the markers move afterwards.
        self.grid = np.geomspace(self.T_MIN, self.T_MAX, 241)
        dists = np.array([softmax(z, temperature=t) for t in self.grid])
        self.entropy_curve = entropy(dists)
        self.max_probability_curve = dists.max(axis=1)

        self._build_figure()
        self.temperature.observe(self._guarded(self._update), names="value")
        self._assemble(self.temperature, self._make_view(self.figure), self.readout)
        self._update()

    def _build_figure(self):
        z, k, f = self.logits, len(self.logits), self.presentation
        self.figure, axes = self._new_figure(size=(8.0, 5.6), mosaic=[["bars", "bars"], ["entropy", "pmax"]])
        self._bar_ax, self._h_ax, self._p_ax = axes["bars"], axes["entropy"], axes["pmax"]
        plots.label_axes(self._bar_ax, "category", "probability", title="softmax(z / T) at T = 1", presentation=f)
        # Values written on the bars while they fit, as in the gradient stepper: beyond 6 bars the
        # labels crowd each other, and redrawing 10 of them was half the cost of an update.
        self.bars = plots.probability_bars(self._bar_ax, [_mpl_text(lab) for lab in self.labels], presentation=f,
                                           value_format="{:.3f}" if k <= 6 else None)
        self._bar_title = self._bar_ax.title

        n_top = int(np.sum(z == z.max()))          # ties at the top share the T -> 0 limit
        log_k = math.log(k)
        plots.label_axes(self._h_ax, "temperature T (log scale)", "entropy (nats)", presentation=f)
        _, self.entropy_marker = plots.curve_with_marker(self._h_ax, self.grid, self.entropy_curve, logx=True)
        plots.reference_line(self._h_ax, log_k, f"uniform (T\u2192\u221e): log K = {log_k:.3f}",
                             presentation=f, va="top")
        plots.reference_line(self._h_ax, math.log(n_top), "argmax (T\u21920): "
                             + ("0" if n_top == 1 else f"log {n_top}"), presentation=f, x_text=0.52)
        self._h_ax.set_ylim(-0.08 * log_k, 1.15 * log_k)

        plots.label_axes(self._p_ax, "temperature T (log scale)", "largest probability", presentation=f)
        _, self.max_probability_marker = plots.curve_with_marker(
            self._p_ax, self.grid, self.max_probability_curve, logx=True)
        plots.reference_line(self._p_ax, 1 / k, f"uniform (T\u2192\u221e): 1/K = {1 / k:.3f}",
                             presentation=f)
        plots.reference_line(self._p_ax, 1 / n_top, "argmax (T\u21920): "
                             + ("1" if n_top == 1 else f"1/{n_top}"), presentation=f, x_text=0.52, va="top")
        self._p_ax.set_ylim(0, 1.1)
        self._t_lines = [ax.axvline(1.0, color=plots.OKABE_ITO["black"], linewidth=0.8, alpha=0.5)
                         for ax in (self._h_ax, self._p_ax)]
        plots.animate(self.figure, self.bars.bars, self.bars.texts, self._bar_title, self._t_lines,
                      self.entropy_marker, self.max_probability_marker)
        plots.relayout(self.figure)

    @property
    def probabilities(self):
        """``softmax(logits, temperature=T)`` at the slider's T."""
        return softmax(self.logits, temperature=self.temperature.value)

    def _show_state(self):
        t = float(self.temperature.value)
        p = self.probabilities
        h = float(entropy(p))
        plots.set_heights(self.bars, p)
        plots.highlight(self.bars, p == p.max())
        plots.move_marker(self.entropy_marker, t, h)
        plots.move_marker(self.max_probability_marker, t, p.max())
        for line in self._t_lines:
            line.set_xdata([t, t])
        self._bar_title.set_text(f"softmax(z / T) at T = {t:.3g}")
        top = self.labels[int(np.argmax(p))]
        self.readout.value = self._html_box([
            ("temperature", f"{t:.3g}"),
            ("entropy", f"{h:.4f} nats (uniform: {math.log(len(p)):.4f})"),
            ("largest probability", f"{p.max():.4f} ({html.escape(top)})"),
        ])


def temperature_explorer(logits=None, labels=None, presentation=False):
    r"""A dashboard for the softmax temperature: :math:`p = \mathrm{softmax}(z / T)`.

    A temperature slider on a log scale from 0.01 to 100, the probabilities as bars, and two
    curves computed once over a log grid of T: the entropy, and the largest probability, each
    with a marker at the current T. Dashed lines mark the two limits: T -> 0 gives the argmax
    (a one-hot, entropy 0; ties share the mass), T -> infinity the uniform distribution
    (entropy log K, every probability 1/K). Stable down to T = 0.01: no NaN, no warning.

    Parameters
    ----------
    logits : sequence of float, optional
        2 to 12 logits in [-10, 10]; default the "cat sat on the" example (2.0, 1.0, 0.1).
    labels : sequence of str, optional
        One label per logit.
    presentation : bool, default False
        Larger figure and fonts, for a projector.

    Returns
    -------
    TemperatureExplorer

    Examples
    --------
    >>> dash = temperature_explorer()
    >>> dash.temperature.value = 0.01
    >>> dash.probabilities.round(3)
    array([1., 0., 0.])
    >>> dash.temperature.value = 100
    >>> dash.probabilities.round(2)
    array([0.34, 0.33, 0.33])
    """
    return TemperatureExplorer(logits, labels, presentation=presentation)


# --------------------------------------------------------------------------------------------
# 3. Sigmoid versus softmax
# --------------------------------------------------------------------------------------------

MULTI_LABELS = ("cat", "indoors", "sofa", "dog")
MULTI_LOGITS = (2.0, 1.5, 1.0, -2.0)


class SigmoidVsSoftmax(_Dashboard):
    """Two panels: softmax of two logits equals a sigmoid; multi-label sigmoids against a softmax.

    Use :func:`sigmoid_vs_softmax`. Attributes: ``z0``, ``z1`` (sliders of the two-logit panel),
    ``pair_softmax`` (``softmax([z0, z1])[1]``), ``pair_sigmoid`` (``sigmoid(z1 - z0)``),
    ``label_sliders`` (one per label of the multi-label panel), ``labels``, ``logits``,
    ``sigmoids`` (independent probabilities), ``probabilities`` (the softmax of the same
    logits), ``pair_bars`` and ``multi_sigmoid_bars`` / ``multi_softmax_bars``, ``readout``.
    """

    def __init__(self, presentation=False):
        super().__init__(presentation)
        self.labels = list(MULTI_LABELS)
        descriptions = ["z0", "z1", *self.labels]
        style = self._description_style(descriptions)

        def slider(description, value):
            return widgets.FloatSlider(value=value, min=-LOGIT_LIMIT, max=LOGIT_LIMIT, step=0.1,
                                       description=description, readout_format=".2f",
                                       layout=self._slider_layout(), style=style)

        self.z0 = slider("z0", 0.5)
        self.z1 = slider("z1", 1.5)
        self.label_sliders = [slider(lab, v) for lab, v in zip(self.labels, MULTI_LOGITS)]
        self.readout = widgets.HTML()
        self._build_figure()

        for s in (self.z0, self.z1, *self.label_sliders):
            s.observe(self._guarded(self._update), names="value")
        pair_head = widgets.HTML("<b>Two classes</b>: softmax of two logits and a sigmoid of their difference")
        multi_head = widgets.HTML("<b>Several labels at once</b> (multi-label): one sigmoid per label, "
                                  "or one softmax over all of them")
        self._assemble(pair_head, self.z0, self.z1, multi_head, *self.label_sliders,
                       self._make_view(self.figure), self.readout)
        self._update()

    def _build_figure(self):
        f = self.presentation
        self.figure, (self._pair_ax, self._multi_ax) = self._new_figure(1, 2, size=(8.0, 3.8),
                                                                         width_ratios=(0.75, 1.25))
        plots.label_axes(self._pair_ax, "two ways to compute it", "probability of class 1",
                         title="two classes: the same number", presentation=f)
        self.pair_bars = plots.probability_bars(
            self._pair_ax, ["softmax([z0, z1])\nentry 1", "sigmoid\n(z1 \u2212 z0)"], presentation=f, ylim=(0, 1.12))
        for bar, color in zip(self.pair_bars.bars, plots.PALETTE[:2]):
            bar.set_facecolor(color)

        plots.label_axes(self._multi_ax, "label", "probability", title="sums", presentation=f)
        self.multi_sigmoid_bars = plots.probability_bars(
            self._multi_ax, self.labels, offset=-0.2, width=0.4, color=plots.PALETTE[2],
            presentation=f, label="independent sigmoids", value_format="{:.2f}")
        self.multi_softmax_bars = plots.probability_bars(
            self._multi_ax, self.labels, offset=0.2, width=0.4, color=plots.PALETTE[1],
            presentation=f, label="softmax", value_format="{:.2f}")
        self._multi_ax.legend(loc="upper right", fontsize=self._fonts.note, frameon=False)
        self._multi_ax.set_ylim(0, 1.25)
        self._multi_title = self._multi_ax.title
        plots.animate(self.figure, self.pair_bars.bars, self.pair_bars.texts, self._multi_title,
                      self.multi_sigmoid_bars.bars, self.multi_sigmoid_bars.texts,
                      self.multi_softmax_bars.bars, self.multi_softmax_bars.texts)
        plots.relayout(self.figure)

    @property
    def pair_softmax(self):
        """``softmax([z0, z1])[1]``."""
        return float(softmax([self.z0.value, self.z1.value])[1])

    @property
    def pair_sigmoid(self):
        """``sigmoid(z1 - z0)``."""
        return float(sigmoid(self.z1.value - self.z0.value))

    @property
    def logits(self):
        """The multi-label logits."""
        return np.array([s.value for s in self.label_sliders])

    @property
    def sigmoids(self):
        """Independent probabilities: ``sigmoid`` of each logit; their sum is free."""
        return sigmoid(self.logits)

    @property
    def probabilities(self):
        """The softmax over the multi-label logits; sums to 1."""
        return softmax(self.logits)

    def _show_state(self):
        ps, pg = self.pair_softmax, self.pair_sigmoid
        plots.set_heights(self.pair_bars, [ps, pg])
        s, p = self.sigmoids, self.probabilities
        plots.set_heights(self.multi_sigmoid_bars, s)
        plots.set_heights(self.multi_softmax_bars, p)
        self._multi_title.set_text(f"sums: sigmoids {s.sum():.2f}, softmax {p.sum():.2f}")
        self.readout.value = self._html_box([
            ("softmax([z0, z1])[1]", f"{ps:.6f}"),
            ("sigmoid(z1 \u2212 z0)", f"{pg:.6f}"),
            ("difference", f"{abs(ps - pg):.1e}"),
            ("sum of the independent sigmoids", f"{s.sum():.4f} (free: anywhere from 0 to {len(s)})"),
            ("sum of the softmax", f"{p.sum():.4f} (always 1)"),
        ])


def sigmoid_vs_softmax(presentation=False):
    r"""A dashboard: the sigmoid is the two-class softmax; multi-label sigmoids are not a softmax.

    Left panel: two logits z0, z1 and two bars,
    :math:`\mathrm{softmax}([z_0, z_1])_1` and :math:`\sigma(z_1 - z_0)`, which are always
    equal. Right panel: four labels of a photo ("cat", "indoors", "sofa", "dog") with one logit
    each; independent sigmoids (each label yes/no on its own, so their sum can exceed 1) next
    to a softmax over the same logits (the labels compete, the sum is 1). Both sums are shown.

    Parameters
    ----------
    presentation : bool, default False
        Larger figure and fonts, for a projector.

    Returns
    -------
    SigmoidVsSoftmax

    Examples
    --------
    >>> dash = sigmoid_vs_softmax()
    >>> dash.z0.value, dash.z1.value = -1.0, 2.0
    >>> abs(dash.pair_softmax - dash.pair_sigmoid) < 1e-12
    True
    >>> bool(dash.sigmoids.sum() > 1), round(float(dash.probabilities.sum()), 6)
    (True, 1.0)
    """
    return SigmoidVsSoftmax(presentation=presentation)


# --------------------------------------------------------------------------------------------
# 4. Gradient stepper
# --------------------------------------------------------------------------------------------

class GradientStepper(_Dashboard):
    """Gradient descent on the cross-entropy of one prediction, one click at a time.

    Use :func:`gradient_stepper`. Attributes: ``logits`` (current, an array),
    ``initial_logits``, ``labels``, ``target`` (Dropdown of class indices), ``learning_rate``
    (FloatSlider), ``step_button``, ``reset_button``, ``loss_history`` (list, one loss per
    step, starting with the loss before any step), ``probabilities``, ``one_hot``,
    ``gradient``, ``jacobian``, ``probability_bars`` / ``target_bars`` / ``gradient_bars``,
    ``loss_line``, ``jacobian_image`` (imshow artist), ``readout``; methods ``step()`` and
    ``reset()``.
    """

    LR_MIN, LR_MAX = 0.05, 5.0

    def __init__(self, logits=None, target=0, learning_rate=0.5, labels=None, presentation=False):
        if logits is None and labels is None:
            # An untrained model that prefers "roof" where the data says "mat".
            logits, labels = (0.1, 1.0, 2.0), CAT_EXAMPLE_LABELS
        z, labels = _categories(logits, labels)
        k = len(z)
        if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or not 0 <= target < k:
            raise ValueError(f"target must be a class index from 0 to {k - 1}, got {target!r}")
        if (isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float))
                or not self.LR_MIN <= learning_rate <= self.LR_MAX):
            raise ValueError(f"learning_rate must be a number from {self.LR_MIN} to {self.LR_MAX}, "
                             f"got {learning_rate!r}")
        super().__init__(presentation)
        self.initial_logits = z.copy()
        self.logits = z.copy()
        self.labels = labels
        self.steps = 0

        style = self._description_style(["learning rate", "target"])
        self.target = widgets.Dropdown(options=[(lab, i) for i, lab in enumerate(labels)], value=int(target),
                                       description="target", style=style)
        self.learning_rate = widgets.FloatSlider(
            value=float(learning_rate), min=self.LR_MIN, max=self.LR_MAX, step=0.05, description="learning rate",
            readout_format=".2f", layout=self._slider_layout(), style=style)
        button_layout = widgets.Layout(width="9em", height="auto")
        self.step_button = widgets.Button(description="Step", button_style="primary", icon="forward",
                                          tooltip="one gradient-descent step", layout=button_layout)
        self.reset_button = widgets.Button(description="Reset", icon="undo", tooltip="back to the first logits",
                                           layout=button_layout)
        self.readout = widgets.HTML()
        self.loss_history = [self._loss()]
        self._build_figure()

        self.step_button.on_click(self._guarded(lambda _button: self.step()))
        self.reset_button.on_click(self._guarded(lambda _button: self.reset()))
        self.target.observe(self._guarded(self._on_target), names="value")
        self.learning_rate.observe(self._guarded(self._update), names="value")
        self._assemble(widgets.HBox([self.step_button, self.reset_button, self.target]), self.learning_rate,
                       self._make_view(self.figure), self.readout)
        self._update()

    def _build_figure(self):
        f, k = self.presentation, len(self.logits)
        mpl_labels = [_mpl_text(lab) for lab in self.labels]
        self.figure, axes = self._new_figure(2, 2, size=(8.0, 6.0))
        (ax_p, ax_g), (ax_loss, ax_j) = axes
        plots.label_axes(ax_p, "category", "probability", title="prediction p and target y", presentation=f)
        numbers = k <= 6            # values written on the bars while they fit (and on the Jacobian's cells)
        self.probability_bars = plots.probability_bars(ax_p, mpl_labels, offset=-0.2, width=0.4,
                                                       label="p = softmax(z)", presentation=f,
                                                       value_format="{:.2f}" if numbers else None)
        self.target_bars = plots.probability_bars(ax_p, mpl_labels, offset=0.2, width=0.4, color=plots.PALETTE[1],
                                                  label="y (one-hot target)", presentation=f, value_format=None)
        ax_p.legend(loc="upper left", fontsize=self._fonts.note, frameon=False)
        ax_p.set_ylim(0, 1.3)

        plots.label_axes(ax_g, "category", "\u2202loss/\u2202z", title="gradient p \u2212 y", presentation=f)
        self._gradient_title = ax_g.title
        self.gradient_bars = plots.probability_bars(ax_g, mpl_labels, color=plots.PALETTE[3], ylim=(-1.25, 1.25),
                                                    presentation=f, value_format="{:+.2f}" if numbers else None)
        ax_g.axhline(0, color="black", linewidth=0.8)

        plots.label_axes(ax_loss, "step", "cross-entropy loss (nats)", title="loss history", presentation=f)
        (self.loss_line,) = ax_loss.plot([], [], "-o", color=plots.PALETTE[0], markersize=4)
        self._loss_ax = ax_loss

        plots.label_axes(ax_j, "logit z_j", "probability p_i", title="softmax Jacobian \u2202p_i/\u2202z_j",
                         presentation=f)
        self.jacobian_image, _ = plots.heatmap(ax_j, np.zeros((k, k)), vmin=-0.25, vmax=0.25, labels=mpl_labels,
                                               colorbar_label="\u2202p_i/\u2202z_j", presentation=f)
        self._jacobian_texts = ([[ax_j.text(j, i, "", ha="center", va="center", fontsize=self._fonts.note)
                                  for j in range(k)] for i in range(k)] if numbers else [])
        plots.animate(self.figure, self.probability_bars.bars, self.probability_bars.texts, self.target_bars.bars,
                      self.gradient_bars.bars, self.gradient_bars.texts, self._gradient_title, self.loss_line,
                      self.jacobian_image, [text for row in self._jacobian_texts for text in row])
        plots.relayout(self.figure)

    # -- state -------------------------------------------------------------------------------

    @property
    def probabilities(self):
        """``softmax(logits)``."""
        return softmax(self.logits)

    @property
    def one_hot(self):
        """The target as a one-hot vector y."""
        return np.eye(len(self.logits))[self.target.value]

    @property
    def gradient(self):
        """``cross_entropy_grad(logits, target)``, which equals ``p - y``."""
        return cross_entropy_grad(self.logits, self.target.value)

    @property
    def jacobian(self):
        """``softmax_jacobian(logits)``."""
        return softmax_jacobian(self.logits)

    def _loss(self):
        return float(cross_entropy(self.logits, self.target.value))

    # -- actions -------------------------------------------------------------------------

    def step(self):
        """One step of gradient descent: ``z <- z - learning_rate * (p - y)``."""
        self.logits = self.logits - self.learning_rate.value * self.gradient
        self.steps += 1
        self.loss_history.append(self._loss())
        self._update()

    def reset(self):
        """Back to the initial logits; the loss history starts again."""
        self.logits = self.initial_logits.copy()
        self.steps = 0
        self.loss_history = [self._loss()]
        self._update()

    def _on_target(self, change):
        # A new target is a new loss: its history starts again from the current logits.
        self.loss_history = [self._loss()]
        self.steps = 0
        self._update()

    def _show_state(self):
        p, y, g, J = self.probabilities, self.one_hot, self.gradient, self.jacobian
        plots.set_heights(self.probability_bars, p)
        plots.set_heights(self.target_bars, y)
        plots.set_heights(self.gradient_bars, g)
        self._gradient_title.set_text(f"gradient p \u2212 y;  Step: z \u2190 z \u2212 {self.learning_rate.value:.2f}(p \u2212 y)")
        self.jacobian_image.set_data(J)
        for i, row in enumerate(self._jacobian_texts):
            for j, text in enumerate(row):
                text.set_text(f"{J[i, j]:+.2f}")
                text.set_color("white" if abs(J[i, j]) > 0.15 else "black")   # legible on dark cells
        n = len(self.loss_history)
        self.loss_line.set_data(np.arange(n), self.loss_history)
        # The x range doubles when the line reaches its end (10, 20, 40, ... steps), so the axes
        # rarely change and usually only the line has to be drawn again.
        xlim = (-0.5, 10 * 2 ** max(0, math.ceil(math.log2(max(n - 1, 1) / 10))) + 0.5)
        ylim = (0.0, 1.15 * max(max(self.loss_history), 0.1))
        if xlim != self._loss_ax.get_xlim() or ylim != self._loss_ax.get_ylim():
            self._loss_ax.set_xlim(*xlim)
            self._loss_ax.set_ylim(*ylim)
            plots.invalidate(self.figure)            # new ticks: the next redraw is a full one
        self.readout.value = self._html_box([
            ("logits z", ", ".join(f"{v:.3f}" for v in self.logits)),
            ("p = softmax(z)", ", ".join(f"{v:.3f}" for v in p)),
            ("gradient p \u2212 y", ", ".join(f"{v:+.3f}" for v in g)),
            ("the next Step adds", ", ".join(f"{v:+.3f}" for v in -self.learning_rate.value * g)),
            ("loss", f"{self.loss_history[-1]:.4f} nats after {self.steps} step(s)"),
        ])


def gradient_stepper(logits=None, target=0, learning_rate=0.5, labels=None, presentation=False):
    r"""A dashboard that trains one prediction by gradient descent, one Step click at a time.

    Shows the prediction :math:`p = \mathrm{softmax}(z)`, the one-hot target y and the
    gradient of the cross-entropy, :math:`\partial \ell / \partial z = p - y`, as bars; a Step
    button applies :math:`z \leftarrow z - \eta\,(p - y)` (with
    :func:`softmax_lab.cross_entropy_grad`), Reset goes back to the first logits. A curve shows
    the loss after each step and a heatmap the softmax Jacobian
    :math:`J_{ij} = p_i(\delta_{ij} - p_j)` at the current logits (fixed colour limits
    +-0.25, the largest possible magnitude). With up to 6 classes the values are written on
    the bars and in the Jacobian's cells; beyond that they would not fit. The target is chosen in a dropdown (a new target
    restarts the loss history), the learning rate with a slider (0.05 to 5).

    Parameters
    ----------
    logits : sequence of float, optional
        Starting logits; default ``0.1, 1.0, 2.0`` for ``mat, floor, roof``: a model that
        prefers "roof" where the data says "mat".
    target : int, default 0
        Index of the correct class.
    learning_rate : float, default 0.5
    labels : sequence of str, optional
        One label per logit.
    presentation : bool, default False
        Larger figure and fonts, for a projector.

    Returns
    -------
    GradientStepper

    Examples
    --------
    >>> dash = gradient_stepper()
    >>> dash.gradient.round(3)                       # p - y: push "mat" up, the others down
    array([-0.901,  0.242,  0.659])
    >>> for _ in range(3):
    ...     dash.step_button.click()
    >>> [round(loss, 3) for loss in dash.loss_history]
    [2.317, 1.696, 1.209, 0.862]
    """
    return GradientStepper(logits, target, learning_rate, labels=labels, presentation=presentation)


# --------------------------------------------------------------------------------------------
# 5. Numerical stability (lesson 05)
# --------------------------------------------------------------------------------------------

STABILITY_BASE_LOGITS = (2.0, 1.0, 0.1)
STABILITY_DTYPES = ("float16", "float32", "float64")


def _exp_limits(dtype):
    """(largest safe logit, smallest logit whose exp is not 0) for ``dtype``: log(max), log(tiniest)."""
    info = np.finfo(dtype)
    return float(np.log(np.float64(info.max))), float(np.log(np.float64(info.smallest_subnormal)))


class StabilityExplorer(_Dashboard):
    """The textbook softmax formula next to the stable one, as the logits grow, in three dtypes.

    Use :func:`stability_explorer`. Attributes: ``dtype`` (ToggleButtons), ``scale`` (a
    FloatLogSlider multiplying the base logits), ``shift`` (adds c to every logit), ``logits``
    (in the chosen dtype), ``naive`` (``naive_softmax`` of them: may hold inf/NaN),
    ``probabilities`` (``softmax`` of them), ``naive_broken`` (True when the naive result is
    not a distribution), ``largest_safe_logit`` (``log(finfo(dtype).max)``),
    ``naive_bars`` / ``stable_bars``, ``broken_marks`` (the "NaN"/"inf" labels), ``zmax_marker``,
    ``readout``.
    """

    def __init__(self, presentation=False):
        super().__init__(presentation)
        self.base_logits = np.array(STABILITY_BASE_LOGITS)
        self.labels = list(CAT_EXAMPLE_LABELS)
        style = self._description_style(["logit scale", "shift by c", "dtype"])
        self.dtype = widgets.ToggleButtons(options=STABILITY_DTYPES, value="float32", description="dtype",
                                           style=style)
        self.scale = widgets.FloatLogSlider(value=1.0, base=10, min=0, max=3, step=0.01, description="logit scale",
                                            readout_format=".4g", layout=self._slider_layout(), style=style)
        self.shift = widgets.FloatSlider(value=0.0, min=-1000.0, max=1000.0, step=1.0, description="shift by c",
                                         readout_format=".0f", layout=self._slider_layout(), style=style)
        self.readout = widgets.HTML()
        self._build_figure()
        self.scale.observe(self._guarded(self._update), names="value")
        self.shift.observe(self._guarded(self._update), names="value")
        self.dtype.observe(self._guarded(self._on_dtype), names="value")
        explain = widgets.HTML("logits = scale &times; (2.0, 1.0, 0.1) + c, stored in the chosen dtype")
        self._assemble(self.dtype, self.scale, self.shift, explain, self._make_view(self.figure), self.readout)
        self._update()

    # -- state -------------------------------------------------------------------------------

    @property
    def logits(self):
        """``scale * base + c``, rounded to the chosen dtype (too large for float16 -> inf)."""
        z = self.scale.value * self.base_logits + self.shift.value
        with np.errstate(over="ignore"):          # |z| <= 3000 here, but keep a cast silent anyway
            return z.astype(self.dtype.value)

    @property
    def naive(self):
        """``naive_softmax(logits)``: the unshifted formula, NaN/inf when it breaks."""
        return naive_softmax(self.logits)

    @property
    def probabilities(self):
        """``softmax(logits)``: shifted by the maximum, never breaks."""
        return softmax(self.logits)

    @property
    def naive_broken(self):
        """True when the naive result is not a probability distribution (NaN, inf, or sum != 1),
        or is one but a wrong one: more than 0.01 away from the shifted softmax somewhere (in
        float16, exps of the smaller logits can underflow silently and take their share with them).
        """
        return self._naive_problem() is not None

    def _naive_problem(self):
        """None when the naive formula works; else "nan" (not a distribution) or "wrong"."""
        q = self.naive.astype(np.float64)
        if not np.isfinite(q).all() or abs(q.sum() - 1.0) > 1e-2:
            return "nan"
        if np.max(np.abs(q - self.probabilities.astype(np.float64))) > 1e-2:
            return "wrong"
        return None

    @property
    def largest_safe_logit(self):
        """``log(finfo(dtype).max)``: above it, ``exp`` overflows to inf."""
        return _exp_limits(self.dtype.value)[0]

    # -- figure ----------------------------------------------------------------------------

    def _build_figure(self):
        f = self.presentation
        self.figure, (ax_bars, ax_line) = self._new_figure(1, 2, size=(8.0, 3.8), width_ratios=(1.0, 1.1))
        plots.label_axes(ax_bars, "category", "probability", title="naive formula vs shifted softmax",
                         presentation=f)
        labels = [_mpl_text(lab) for lab in self.labels]
        self.naive_bars = plots.probability_bars(ax_bars, labels, offset=-0.2, width=0.4, color=plots.PALETTE[3],
                                                 label="naive exp(z)/sum exp(z)", presentation=f, value_format="{:.2f}")
        self.stable_bars = plots.probability_bars(ax_bars, labels, offset=0.2, width=0.4, color=plots.PALETTE[0],
                                                  label="softmax (shifted by max)", presentation=f,
                                                  value_format="{:.2f}")
        ax_bars.set_ylim(0, 1.3)
        ax_bars.legend(loc="upper right", fontsize=self._fonts.note, frameon=False)
        # Where the naive formula gives no number, a bold label says what it gave instead.
        self.broken_marks = [ax_bars.text(i - 0.2, 0.5, "", ha="center", va="center", rotation=90,
                                          fontsize=self._fonts.value + 2, fontweight="bold",
                                          color=plots.OKABE_ITO["vermillion"]) for i in range(len(labels))]

        plots.label_axes(ax_line, "largest logit z_max (symmetric log scale)", "", presentation=f)
        ax_line.set_yticks([])
        ax_line.set_ylabel("the dtype's range")
        ax_line.set_xscale("symlog", linthresh=10)
        ax_line.set_xlim(-5000, 5000)
        ax_line.set_ylim(0, 1)
        self._line_ax = ax_line
        self._safe_span = None
        self._limit_texts = []
        (self.zmax_marker,) = ax_line.plot([0.0], [0.5], "v", color=plots.OKABE_ITO["black"], markersize=14)
        self._line_title = ax_line.title
        self._draw_limits()
        plots.animate(self.figure, self.naive_bars.bars, self.naive_bars.texts, self.stable_bars.bars,
                      self.stable_bars.texts, self.broken_marks, self.zmax_marker, self._line_title)
        plots.relayout(self.figure)

    def _draw_limits(self):
        """The safe zone of the chosen dtype on the number line (static: redrawn on a dtype change)."""
        ax = self._line_ax
        if self._safe_span is not None:
            self._safe_span.remove()
            for artist in self._limit_texts:
                artist.remove()
        high, low = _exp_limits(self.dtype.value)
        self._safe_span = ax.axvspan(low, high, color=plots.OKABE_ITO["bluish green"], alpha=0.25)
        size = self._fonts.note
        self._limit_texts = [
            ax.axvline(high, color=plots.OKABE_ITO["vermillion"], linewidth=2),
            ax.axvline(low, color=plots.OKABE_ITO["blue"], linewidth=2),
            ax.text(high, 0.93, f" exp overflows\n above {high:.2f}", va="top", ha="left", fontsize=size),
            ax.text(low, 0.93, f"exp(z_max) = 0 \nbelow {low:.1f} ", va="top", ha="right", fontsize=size),
            ax.text(0.0, 0.08, f"naive is safe\n({self.dtype.value})", ha="center", va="bottom", fontsize=size),
        ]

    def _on_dtype(self, change):
        self._draw_limits()
        plots.invalidate(self.figure)          # the static part changed
        self._update()

    def _show_state(self):
        z, q, p = self.logits, self.naive, self.probabilities
        shown = np.where(np.isfinite(q), q, 0.0)
        plots.set_heights(self.naive_bars, shown)
        plots.set_heights(self.stable_bars, p)
        for text, value, bar_text in zip(self.broken_marks, q, self.naive_bars.texts):
            bad = not np.isfinite(value)
            text.set_text(("NaN" if np.isnan(value) else "inf") if bad else "")
            if bad:
                bar_text.set_text("")
        zmax = float(np.max(z.astype(np.float64)))
        plots.move_marker(self.zmax_marker, zmax, 0.5)
        broken = self.naive_broken
        self._line_title.set_text(f"z_max = {zmax:.4g}: naive " + ("BREAKS" if broken else "works"))
        high, low = _exp_limits(self.dtype.value)
        self.readout.value = self._html_box([
            ("logits z", ", ".join(f"{v:.4g}" for v in z.astype(np.float64))),
            ("naive exp(z) / sum exp(z)", ", ".join(f"{v:.4f}" for v in q.astype(np.float64))),
            ("softmax (shifted by max)", ", ".join(f"{v:.4f}" for v in p.astype(np.float64))),
            (f"largest safe logit in {self.dtype.value}", f"log(finfo.max) = {high:.2f}"),
            ("naive formula", "breaks: " + _why_naive_breaks(zmax, high, low, self._naive_problem())
             if broken else "works here"),
        ])


def _why_naive_breaks(zmax, high, low, problem="nan"):
    if problem == "wrong":
        return ("no NaN, but wrong probabilities: the exps of the smaller logits underflow (to 0, "
                "or to tiny numbers with few digits left)")
    if zmax > high:
        return "exp of the largest logit overflows to inf (inf / inf = NaN)"
    if zmax < low:
        return "every exp underflows to 0 (0 / 0 = NaN)"
    return "the sum of the exps overflows (each term fits, their sum does not)"


def stability_explorer(presentation=False):
    r"""A dashboard: where the textbook softmax formula breaks, and why the shifted one does not.

    The logits are ``scale * (2.0, 1.0, 0.1) + c``, stored in the chosen dtype (float16,
    float32 or float64). Bars compare :func:`softmax_lab.naive_softmax` (the formula
    :math:`e^{z_i} / \sum_j e^{z_j}` as written) with :func:`softmax_lab.softmax`, which first
    subtracts :math:`\max_j z_j`. A number line shows the largest logit against the dtype's
    safe zone: :math:`e^{z}` overflows above :math:`\log(\text{finfo.max})` (11.09 in float16,
    88.72 in float32, 709.78 in float64) and every term underflows to 0 when the largest logit
    is below the log of the smallest subnormal number. Where the naive result is NaN or inf,
    the bar is replaced by a bold "NaN"/"inf" mark. No RuntimeWarning is ever printed.

    Parameters
    ----------
    presentation : bool, default False
        Larger figure and fonts, for a projector.

    Returns
    -------
    StabilityExplorer

    Examples
    --------
    >>> dash = stability_explorer()
    >>> dash.dtype.value = "float16"
    >>> dash.scale.value = 10.0                    # logits 20, 10, 1: exp(20) > 65504
    >>> dash.naive_broken, dash.probabilities.round(3)
    (True, array([1., 0., 0.], dtype=float16))
    >>> round(dash.largest_safe_logit, 2)
    11.09
    """
    return StabilityExplorer(presentation=presentation)


# --------------------------------------------------------------------------------------------
# 6. Sampling strategies (lesson 06)
# --------------------------------------------------------------------------------------------

SAMPLING_STRATEGIES = ("greedy", "temperature", "top-k", "top-p", "min-p")
MAX_PROMPT_LENGTH = 200
_PROBABILITY_FLOOR = 1e-7          # the bottom of the log-scale plot: smaller values are drawn there


class SamplerDashboard(_Dashboard):
    """Decoding strategies on a whole vocabulary: what each keeps, what it drops, what it writes.

    Use :func:`sampler_dashboard`. Attributes: ``strategy`` (ToggleButtons), ``temperature``
    (FloatLogSlider), ``top_k`` (IntSlider), ``top_p`` and ``min_p`` (FloatSliders),
    ``prompt_text`` (Text, with a model), ``generate_button``, ``n_words`` (IntSlider),
    ``seed`` (IntText), ``output`` (HTML with the generated text), ``generated`` (list of the
    generated word lists, newest last); ``logits``, ``vocab``, ``model``, ``order`` (token
    indices sorted by logit), ``distribution`` (softmax at temperature T, before filtering),
    ``kept`` (boolean mask of the tokens the strategy keeps), ``probabilities`` (the
    renormalised distribution that is sampled from), ``dropped_mass``, ``sampling_kwargs``
    (what is passed to ``sample``/``generate``), ``all_stairs`` / ``kept_stairs`` (StepPatches),
    ``readout``.
    """

    T_MIN, T_MAX = 0.05, 5.0

    def __init__(self, logits=None, vocab=None, model=None, prompt="the cat sat on the", presentation=False):
        from . import lm

        if logits is None and model is None:
            model = lm.load("best")
        self.model = model
        if logits is None:
            if not isinstance(prompt, str) or len(prompt) > MAX_PROMPT_LENGTH:
                raise ValueError(f"prompt must be a string of at most {MAX_PROMPT_LENGTH} characters")
            logits, vocab = lm.next_token_logits(model, prompt), (model.vocab if vocab is None else vocab)
        z = np.asarray(logits, dtype=np.float64)
        if z.ndim != 1 or z.size < 2 or not np.isfinite(z).all():
            raise ValueError(f"logits must be a flat array of at least 2 finite numbers, got shape {z.shape}")
        if vocab is None:
            vocab = [f"token {i}" for i in range(z.size)]
        if isinstance(vocab, str) or len(vocab) != z.size or not all(isinstance(w, str) for w in vocab):
            raise ValueError(f"vocab must be a list of {z.size} strings, one per logit")
        super().__init__(presentation)
        self.vocab = list(vocab)
        self.prompt = prompt if model is not None else None
        self.generated = []
        self._set_logits(z)

        v = z.size
        style = self._description_style(["temperature T", "strategy", "min-p", "words", "prompt"])
        layout = self._slider_layout()
        self.strategy = widgets.ToggleButtons(options=SAMPLING_STRATEGIES, value="top-p", description="strategy",
                                              style=style)
        self.temperature = widgets.FloatLogSlider(
            value=1.0, base=10, min=math.log10(self.T_MIN), max=math.log10(self.T_MAX), step=0.01,
            description="temperature T", readout_format=".3g", layout=layout, style=style)
        self.top_k = widgets.IntSlider(value=min(10, v), min=1, max=min(v, 200), description="k",
                                       layout=layout, style=style)
        self.top_p = widgets.FloatSlider(value=0.9, min=0.01, max=1.0, step=0.01, description="p",
                                         readout_format=".2f", layout=layout, style=style)
        self.min_p = widgets.FloatSlider(value=0.1, min=0.0, max=1.0, step=0.01, description="min-p",
                                         readout_format=".2f", layout=layout, style=style)
        self.prompt_text = widgets.Text(value=prompt if model is not None else "", description="prompt",
                                        continuous_update=False, layout=layout, style=style,
                                        disabled=model is None)
        self.n_words = widgets.IntSlider(value=10, min=1, max=30, description="words", layout=layout, style=style)
        self.seed = widgets.IntText(value=0, description="seed", style=style, layout=widgets.Layout(width="14em"))
        self.generate_button = widgets.Button(
            description="Generate" if model is not None else "Draw", icon="play", button_style="primary",
            tooltip="continue the prompt with the model" if model is not None else "draw next tokens",
            layout=widgets.Layout(width="9em", height="auto"))
        self.output = widgets.HTML()
        self.readout = widgets.HTML()
        self._rng = np.random.default_rng(self.seed.value)
        self._build_figure()

        for control in (self.strategy, self.temperature, self.top_k, self.top_p, self.min_p):
            control.observe(self._guarded(self._update), names="value")
        self.prompt_text.observe(self._guarded(self._on_prompt), names="value")
        self.seed.observe(self._guarded(self._on_seed), names="value")
        self.generate_button.on_click(self._guarded(lambda _button: self.generate()))
        self._assemble(self.strategy, self.temperature, self.top_k, self.top_p, self.min_p, self.prompt_text,
                       self._make_view(self.figure), self.readout,
                       widgets.HBox([self.generate_button, self.seed]), self.n_words, self.output)
        self._update()

    # -- state -------------------------------------------------------------------------------

    def _set_logits(self, z):
        self.logits = z
        self.order = np.argsort(-z, kind="stable")      # ties: the lower index first, as the filters do

    @property
    def sampling_kwargs(self):
        """The keyword arguments of ``sample`` / ``generate`` for the chosen strategy."""
        name = self.strategy.value
        if name == "greedy":
            return {"temperature": 0}
        kwargs = {"temperature": float(self.temperature.value)}
        if name == "top-k":
            kwargs["top_k"] = int(self.top_k.value)
        elif name == "top-p":
            kwargs["top_p"] = float(self.top_p.value)
        elif name == "min-p":
            kwargs["min_p"] = float(self.min_p.value)
        return kwargs

    @property
    def distribution(self):
        """``softmax(logits, temperature=T)``: the distribution before any token is dropped."""
        t = 1.0 if self.strategy.value == "greedy" else float(self.temperature.value)
        return softmax(self.logits, temperature=t)

    @property
    def kept(self):
        """Boolean mask of the tokens the strategy keeps (from softmax_lab.sampling's filters)."""
        kwargs = self.sampling_kwargs
        if self.strategy.value == "greedy":
            kept_logits = sampling.filter_top_k(self.logits, 1)
        else:
            # The filters read probabilities at temperature T: give them log-probabilities at T
            # (a stable set of logits for the same distribution).
            scaled = log_softmax(self.logits, temperature=kwargs["temperature"])
            if "top_k" in kwargs:
                kept_logits = sampling.filter_top_k(scaled, kwargs["top_k"])
            elif "top_p" in kwargs:
                kept_logits = sampling.filter_top_p(scaled, kwargs["top_p"])
            elif "min_p" in kwargs:
                kept_logits = sampling.filter_min_p(scaled, kwargs["min_p"])
            else:
                kept_logits = scaled
        return np.isfinite(kept_logits)

    @property
    def probabilities(self):
        """The distribution tokens are drawn from: the kept tokens, renormalised."""
        return sampling.sampling_distribution(self.logits, **self.sampling_kwargs)

    @property
    def dropped_mass(self):
        """The probability (at temperature T) of the tokens the strategy drops."""
        return float(np.sum(self.distribution[~self.kept]))

    # -- figure ----------------------------------------------------------------------------

    def _build_figure(self):
        f, v = self.presentation, len(self.vocab)
        self.figure, ax = self._new_figure(size=(8.0, 3.8))
        plots.label_axes(ax, "rank of the token (sorted by probability, log scale)",
                         "probability (log scale)", title="top-p: 1000 of 1000 tokens kept", presentation=f)
        floor = np.full(v, _PROBABILITY_FLOOR)
        self.kept_stairs = plots.vocabulary_stairs(ax, floor, start=1, color=plots.PALETTE[1], fill=True,
                                                   baseline=_PROBABILITY_FLOOR,
                                                   label="kept: the strategy samples from these")
        self.all_stairs = plots.vocabulary_stairs(ax, floor, start=1, color=plots.PALETTE[0],
                                                  baseline=_PROBABILITY_FLOOR, label="softmax(z / T), every token")
        ax.set_xscale("log")
        ax.set_yscale("log")
        plots.plain_tick_labels(ax.xaxis)
        ax.set_xlim(1, v + 1)
        ax.set_ylim(_PROBABILITY_FLOOR, 1.5)
        ax.legend(loc="upper right", fontsize=self._fonts.note, frameon=False)
        # the words of the 3 most probable tokens, next to their steps
        self._top_texts = [ax.text(1, 1, "", fontsize=self._fonts.note, rotation=0, ha="left", va="bottom")
                           for _ in range(3)]
        self._title_text = ax.title
        self._ax = ax
        plots.animate(self.figure, self.kept_stairs, self.all_stairs, self._top_texts, self._title_text)
        plots.relayout(self.figure)

    def _show_state(self):
        name = self.strategy.value
        self.temperature.disabled = name == "greedy"
        self.top_k.disabled = name != "top-k"
        self.top_p.disabled = name != "top-p"
        self.min_p.disabled = name != "min-p"

        q = self.distribution[self.order]
        kept = self.kept[self.order]
        shown = np.maximum(q, _PROBABILITY_FLOOR)
        self.all_stairs.set_data(shown)
        self.kept_stairs.set_data(np.where(kept, shown, _PROBABILITY_FLOOR))
        for rank, text in enumerate(self._top_texts):
            text.set_position((rank + 1.5, shown[rank] * 1.15))
            text.set_text(_mpl_text(self.vocab[self.order[rank]]))
        n_kept, dropped = int(kept.sum()), self.dropped_mass
        self._title_text.set_text(f"{name}: {n_kept} of {len(q)} tokens kept, dropped probability {dropped:.3f}")
        pi = self.probabilities
        top = [(self.vocab[i], self.distribution[i], pi[i]) for i in self.order[:6]]
        rows = [("strategy", html.escape(f"{name}  (sample(..., {_kwargs_text(self.sampling_kwargs)}))")),
                ("tokens kept", f"{n_kept} of {len(q)}"),
                ("probability mass dropped", f"{dropped:.4f}"),
                ("most probable tokens", ", ".join(f"{html.escape(w)} {p:.3f}&rarr;{r:.3f}" for w, p, r in top))]
        self.readout.value = self._html_box(rows)

    # -- callbacks -----------------------------------------------------------------------

    def _on_prompt(self, change):
        text = change["new"]
        if len(text) > MAX_PROMPT_LENGTH:
            self._say(f"prompt not changed: at most {MAX_PROMPT_LENGTH} characters")
            return
        from . import lm

        self._say("")
        self.prompt = text
        self._set_logits(lm.next_token_logits(self.model, text))
        self._update()

    def _on_seed(self, change):
        self._rng = np.random.default_rng(change["new"])

    def generate(self):
        """Continue the prompt with the model (or, without a model, draw next tokens) and show it."""
        n = int(self.n_words.value)
        if self.model is not None:
            from . import lm

            words = lm.generate(self.model, self.prompt, n, rng=self._rng, **self.sampling_kwargs)
            head = html.escape(self.prompt)
        else:
            words = [self.vocab[int(sampling.sample(self.logits, rng=self._rng, **self.sampling_kwargs))]
                     for _ in range(n)]
            head = "draws:"
        self.generated.append(words)
        lines = [f"<div>{head} <b>{html.escape(' '.join(w))}</b></div>" for w in self.generated[-5:]]
        self.output.value = "".join(lines)
        return words


def _kwargs_text(kwargs):
    return ", ".join(f"{key}={value:.3g}" if isinstance(value, float) else f"{key}={value}"
                     for key, value in kwargs.items())


def sampler_dashboard(logits=None, vocab=None, model=None, prompt="the cat sat on the", presentation=False):
    r"""A dashboard of decoding strategies: greedy, temperature, top-k, top-p and min-p.

    The next-token distribution over the whole vocabulary, sorted from the most probable token
    down and drawn as stairs (log-log: the long tail stays visible); the tokens the chosen
    strategy keeps are shaded, and the probability mass it drops is printed. Controls: the
    strategy, the temperature T (every strategy but greedy), k, p and min-p. The filters are
    :func:`softmax_lab.sampling.filter_top_k`, ``filter_top_p`` and ``filter_min_p`` applied to
    the distribution at temperature T, as :func:`softmax_lab.sampling.sample` applies them; the
    Generate button continues the prompt with :func:`softmax_lab.lm.generate` using the same
    settings, from a seeded generator (the ``seed`` box restarts it).

    Parameters
    ----------
    logits : array_like, optional
        One logit per vocabulary entry. Default: the model's logits after ``prompt``.
    vocab : list of str, optional
        One word per logit. Default: ``model.vocab`` (or ``token 0``, ``token 1``, ...).
    model : softmax_lab.lm.TinyLM, optional
        The language model that writes the continuations. Default, when ``logits`` is not
        given either: ``softmax_lab.lm.load("best")``. With ``logits`` and no model, the
        button draws next tokens from the logits instead.
    prompt : str, default "the cat sat on the"
        The text to continue (editable in the dashboard when there is a model).
    presentation : bool, default False
        Larger figure and fonts, for a projector.

    Returns
    -------
    SamplerDashboard

    Examples
    --------
    >>> dash = sampler_dashboard(logits=[3.0, 2.0, 1.0, 0.0], vocab=["mat", "rug", "bed", "roof"])
    >>> dash.strategy.value = "top-k"
    >>> dash.top_k.value = 2
    >>> dash.kept, round(dash.dropped_mass, 3)
    (array([ True,  True, False, False]), 0.119)
    >>> dash.probabilities.round(3)
    array([0.731, 0.269, 0.   , 0.   ])
    """
    return SamplerDashboard(logits, vocab, model, prompt, presentation=presentation)
