"""The machinery every dashboard shares: figure mode, the :class:`Dashboard` base class, presentation
mode, messages, and callbacks whose errors are shown in the dashboard.

Figures are shown in one of two modes, recorded as ``dash.figure_mode``:

* ``"canvas"``: the live ipympl canvas is part of the layout (JupyterLab, Voila);
* ``"png"``: an ``Output`` widget shows the figure as a PNG, re-rendered after each change
  (Colab, VS Code without the widget backend, anywhere ``ipympl`` is missing).

Call :func:`setup_figures` once in a notebook's Setup cell to choose (``"auto"`` by default).
The environment variable ``SOFTMAX_LAB_FIGURES=png`` or ``=canvas`` forces a mode.

An error inside a callback (a slider move, a button click) is shown in the dashboard itself,
under the figure, with its traceback: in JupyterLab, errors raised in widget callbacks would
otherwise only reach the log console, where a learner never looks.

This module's name starts with ``_``: it is shared by the topic modules of
:mod:`softmax_lab.widgets`, which import its public names (``Dashboard``, ``mpl_text``, ...).
"""

import base64
import functools
import html
import importlib.util
import math
import os
import sys
import traceback

import ipywidgets as widgets
from traitlets import validate

from .. import plots

ENV_VAR = "SOFTMAX_LAB_FIGURES"
#: Set to 1 (as `make demo` does) to show every dashboard in presentation mode.
PRESENTATION_ENV_VAR = "SOFTMAX_LAB_PRESENTATION"
FIGURE_MODES = ("canvas", "png")
IPYMPL_BACKEND = "module://ipympl.backend_nbagg"
_IPYMPL_NAMES = {IPYMPL_BACKEND, "widget", "ipympl"}

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
    >>> from softmax_lab.widgets import logit_explorer
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



def mpl_text(label):
    """A label safe for matplotlib: a '$' would otherwise start mathtext (and could fail to parse)."""
    return label.replace("$", r"\$")


# --------------------------------------------------------------------------------------------
# Shared dashboard machinery
# --------------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------------
# Sliders whose value is always on their grid
# --------------------------------------------------------------------------------------------

def _js_round(x):
    """JavaScript's Math.round: halves go up."""
    return math.floor(x + 0.5)


def snap_to_grid(value, low, high, step):
    """The value a browser slider shows for ``value``: the grid point ``low + k * step`` it snaps to.

    The arithmetic is the one the browser's slider (noUiSlider) does, operation by operation, so
    that the result is exactly the number the browser would compute: a slider set to it from code
    has nothing to snap and sends nothing back. For a log slider, pass the exponent.

    Examples
    --------
    >>> snap_to_grid(2.02, -10.0, 10.0, 0.1)
    2.0
    >>> round(snap_to_grid(0.30535, -2.0, 2.0, 0.01), 12)      # an exponent: 10**0.31 = 2.04
    0.31
    """
    value, low, high, step = float(value), float(low), float(high), float(step)
    if not high > low or not step > 0 or math.isnan(value):
        return value
    span = high - low
    pct = 100 * (value - low) / span / (100 / 100)
    if pct >= 100:
        return high
    pct = max(pct, 0.0)
    step_pct = 100 * step / span / (100 / 100)
    pct = _js_round(pct / step_pct) * step_pct
    if pct >= 100:
        return high
    return pct * (100 / 100) * span / 100 + low


class GridSlider(widgets.FloatSlider):
    """A FloatSlider that keeps its value on its step grid, whoever sets it.

    A value set from code off the grid (2.02 with step 0.1) would be snapped by the browser,
    which then sends its snapped value back, possibly after later code has set another value:
    the dashboard would end in a state no code set. Snapped here first, the browser has nothing
    to change and sends nothing back.
    """

    @validate("value")
    def _validate_value(self, proposal):
        value = super()._validate_value(proposal)
        return snap_to_grid(value, self.min, self.max, self.step)


class GridLogSlider(widgets.FloatLogSlider):
    """A FloatLogSlider that keeps its value on its grid, which is on the exponent:
    ``base ** (min + k * step)``."""

    @validate("value")
    def _validate_value(self, proposal):
        value = super()._validate_value(proposal)
        exponent = math.log(value) / math.log(self.base)
        snapped = snap_to_grid(exponent, self.min, self.max, self.step)
        return float(self.base) ** snapped


_PRESENTATION_CSS = """<style>
.softmax-lab-presentation {
  --jp-widgets-font-size: 18px;
  --jp-widgets-inline-height: 36px;
  --jp-widgets-slider-handle-size: 20px;
  --jp-widgets-slider-track-thickness: 6px;
}
.softmax-lab-presentation .widget-html-content { font-size: 18px; }
</style>"""


class Dashboard(widgets.VBox):
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
