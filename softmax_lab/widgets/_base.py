"""The machinery every dashboard shares: figure mode, the :class:`Dashboard` base class, presentation
mode, messages, and callbacks whose errors are shown in the dashboard.

Figures are PNG images: each dashboard shows its figure in an ``Output`` widget and re-renders
it after every change (:mod:`softmax_lab.plots`). This works the same in JupyterLab, Notebook 7,
Voila, Colab and VS Code, needs no extension, and in a real browser it reached the screen sooner
than the ipympl canvas on every dashboard (``benchmarks/bench_browser.py``).

The live ipympl canvas stays available as an option, for a teacher who wants it: call
``setup_figures("canvas")``, or set the environment variable ``SOFTMAX_LAB_FIGURES=canvas``
before starting Jupyter (ipympl must be installed; it is imported only then). What a learner
loses without it is the canvas toolbar: zoom and pan. That would matter where a detail is
smaller than the figure: the long tail of the 445-word distribution in lesson 06's sampler,
the thin confidence bins of lesson 07's histogram. Those dashboards show the detail another
way instead (the sampler on log scales, with top-k, top-p and min-p; the histogram with a bins
slider), so no lesson needs the toolbar. Each dashboard records its mode as ``dash.figure_mode``.

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
import traceback

import ipywidgets as widgets
from traitlets import validate

from .. import plots

ENV_VAR = "SOFTMAX_LAB_FIGURES"
#: Set to 1 (as `make demo` does) to show every dashboard in presentation mode.
PRESENTATION_ENV_VAR = "SOFTMAX_LAB_PRESENTATION"
FIGURE_MODES = ("png", "canvas")
IPYMPL_BACKEND = "module://ipympl.backend_nbagg"

#: How many pictures a dashboard keeps for settings shown before (50-100 kB each).
MAX_PICTURES_KEPT = 64
_TEXT_COLOR_WARN = "#9E3A00"      # dark vermillion: readable on white, and the message has a sign too
_chosen_mode = None               # set by setup_figures()


# --------------------------------------------------------------------------------------------
# Figure mode
# --------------------------------------------------------------------------------------------

def _ipympl_installed():
    # find_spec, not import: importing ipympl after matplotlib switches the backend to ipympl.
    return importlib.util.find_spec("ipympl") is not None


def _mode_from_env():
    value = os.environ.get(ENV_VAR, "").strip().lower()
    if not value:
        return None
    if value not in FIGURE_MODES:
        raise ValueError(f"the environment variable {ENV_VAR} must be 'png' or 'canvas', got {value!r}")
    return value


def _checked_canvas(mode, source):
    if mode == "canvas" and not _ipympl_installed():
        raise ImportError(f"{source} needs ipympl (pip install ipympl); the default 'png' works without it")
    return mode


def setup_figures(mode="auto"):
    """Choose how the dashboards show their figures; call it once in a notebook's Setup cell.

    Parameters
    ----------
    mode : {"auto", "png", "canvas"}, default "auto"
        ``"png"``: figures are images re-rendered after every change (the default).
        ``"canvas"``: live ipympl canvases, with a toolbar to zoom and pan (needs ipympl).
        ``"auto"``: the environment variable ``SOFTMAX_LAB_FIGURES`` (``png`` or ``canvas``)
        when it is set, otherwise ``"png"``. An explicit mode wins over the variable.

    Returns
    -------
    str
        The mode chosen: ``"png"`` or ``"canvas"``.

    Raises
    ------
    ValueError
        An unknown ``mode`` (or an unknown value of ``SOFTMAX_LAB_FIGURES``).
    ImportError
        ``"canvas"`` was asked for but ipympl is not installed.

    Examples
    --------
    >>> setup_figures()
    'png'
    >>> from softmax_lab.widgets import logit_explorer
    >>> logit_explorer().figure_mode
    'png'
    """
    global _chosen_mode
    if not isinstance(mode, str) or mode not in ("auto", *FIGURE_MODES):
        raise ValueError(f"mode must be 'auto', 'png' or 'canvas', got {mode!r}")
    if mode == "auto":
        mode = _checked_canvas(_mode_from_env() or "png", f"{ENV_VAR}=canvas")
    elif mode == "canvas":
        _checked_canvas(mode, "setup_figures('canvas')")
    if mode == "canvas":
        import matplotlib

        matplotlib.use(IPYMPL_BACKEND)
    _chosen_mode = mode
    return mode


def current_figure_mode():
    """The mode a dashboard built now would use.

    The one chosen by :func:`setup_figures` if it was called; otherwise ``SOFTMAX_LAB_FIGURES``
    if set; otherwise ``"png"``.
    """
    if _chosen_mode is not None:
        return _chosen_mode
    return _checked_canvas(_mode_from_env() or "png", f"{ENV_VAR}=canvas")



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
    (``"png"``, or ``"canvas"`` when asked for), ``figure_view`` (the ``Output`` showing the
    PNG, or the canvas widget), ``message`` (inline notes about rejected input), ``error`` (a banner for errors
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
        self._pictures_kept = {}      # picture key -> PNG (see _picture_key)
        self._fonts = plots.fonts(self.presentation)
        self.add_class("softmax-lab")
        if self.presentation:
            self.add_class("softmax-lab-presentation")

    # -- layout helpers ------------------------------------------------------------------

    def _new_figure(self, *args, **kwargs):
        return plots.new_figure(*args, presentation=self.presentation, mode=self.figure_mode, **kwargs)

    def _make_view(self, figure):
        """The widget that shows ``figure``: an Output holding a PNG, or the live canvas."""
        if self.figure_mode == "canvas":
            self.figure_view = figure.canvas
            return self.figure_view
        out = self.figure_view = widgets.Output()
        width, height = (int(round(v)) for v in figure.bbox.size)

        def show(png):
            self._shown_png = png
            out.outputs = ({
                "output_type": "display_data",
                "data": {"image/png": base64.b64encode(png).decode("ascii"),
                         "text/plain": f"<figure {width}x{height}>"},
                "metadata": {"image/png": {"width": width, "height": height}},
            },)

        plots.attach_png_viewer(figure, show)
        self._show_png = show
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

    def _picture_key(self):
        """A name (hashable) for everything the figure shows now, or None: no pictures are kept.

        A dashboard whose figure is set by its controls alone returns their values; then
        :meth:`redraw` keeps the picture of each setting, and a setting shown before (a slider
        moved back and forth) is shown again from memory instead of being drawn again.
        """
        return None

    def redraw(self):
        """Repaint the figure (a new PNG, or draw_idle on a live canvas).

        With a :meth:`_picture_key`, a picture kept for the current setting is shown as it is;
        the artists keep their new state, still marked as changed (``stale``), so the next
        drawing repaints them.
        """
        key = self._picture_key() if self.figure_mode == "png" else None
        if key is None:
            plots.redraw(self.figure)
            return
        kept = self._pictures_kept.get(key)
        if kept is not None:
            self._show_png(kept)
            return
        self._shown_png = None
        plots.redraw(self.figure)
        if self._shown_png is None:           # nothing new was drawn (or no view yet): nothing to keep
            return
        if len(self._pictures_kept) >= MAX_PICTURES_KEPT:
            del self._pictures_kept[next(iter(self._pictures_kept))]      # the oldest
        self._pictures_kept[key] = self._shown_png

    def _update(self, change=None):
        """React to a change: update the artists in place, then redraw the one figure."""
        self._show_state()
        self.redraw()
