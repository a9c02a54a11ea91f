"""Drawing helpers for the dashboards: every figure is built once, then its artists are updated.

The dashboards in :mod:`softmax_lab.widgets` never draw a new figure when a slider moves. They
build one figure with :func:`new_figure`, keep the artists these helpers return (bars, lines,
markers, an image), change them in place (``set_height``, ``set_data``, ``set_text``) and call
:func:`redraw`. Re-creating a figure per change costs several times more (see
``benchmarks/bench_widgets.py``) and makes the plot flicker.

Most of a figure never changes: axes, ticks, tick labels, axis labels, reference lines. Drawing
the text of all those ticks is most of the cost of a redraw, so the artists that do change are
registered with :func:`animate`, and :func:`redraw` draws only them, over a saved picture of the
rest (matplotlib's "blitting"). The saved picture is refreshed by every full draw; call
:func:`invalidate` after changing something that is not animated (axis limits, tick labels).

A figure is shown in one of two ways (its *mode*):

``"canvas"``
    the live ipympl canvas (a widget) is placed in the dashboard; :func:`redraw` asks it to
    repaint with ``draw_idle()`` and the browser fetches the new image.
``"png"``
    for places without the ipympl widget (Colab, VS Code without a widget backend, a missing
    ``ipympl``): :func:`redraw` renders the figure to PNG bytes and hands them to the viewer
    registered with :func:`attach_png_viewer` (the dashboard's ``Output`` widget).

Figures are made with :class:`matplotlib.figure.Figure`, not ``plt.figure``: pyplot never hears
of them, so they are not shown twice, not kept alive after the dashboard is gone, and do not set
off matplotlib's "more than 20 figures" warning in a long lesson.

This module imports matplotlib, so ``import softmax_lab`` does not import it; only
``import softmax_lab.plots`` (or ``softmax_lab.widgets``) does.

Examples
--------
>>> fig, ax = new_figure(mode="png")
>>> bars = probability_bars(ax, ["mat", "floor", "roof"])
>>> set_heights(bars, [0.659, 0.242, 0.099])
>>> [t.get_text() for t in bars.texts]
['0.659', '0.242', '0.099']
>>> png = render_png(fig)
>>> png[:4] == b"\\x89PNG"
True
"""

import itertools
import warnings
import weakref
from types import SimpleNamespace

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ._blit import Blitter, png_bytes, send_changed_pixels

__all__ = [
    "OKABE_ITO",
    "PALETTE",
    "fonts",
    "new_figure",
    "label_axes",
    "probability_bars",
    "set_heights",
    "highlight",
    "remove_bars",
    "curve_with_marker",
    "move_marker",
    "reference_line",
    "vocabulary_stairs",
    "plain_tick_labels",
    "heatmap",
    "animate",
    "invalidate",
    "redraw",
    "render_png",
    "attach_png_viewer",
    "relayout",
    "is_live_canvas",
]

#: The Okabe-Ito palette (Okabe & Ito, "Color Universal Design", 2008): eight colours that stay
#: distinct for the common forms of colour blindness.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}

#: The order in which the dashboards use the palette (yellow last: weak on a white projector).
PALETTE = [OKABE_ITO[name] for name in
           ("blue", "orange", "bluish green", "vermillion", "reddish purple", "sky blue", "black", "yellow")]

#: Diverging colour map for signed matrices (the softmax Jacobian): ColorBrewer's RdBu, which is
#: readable with red-green colour blindness; reversed so that positive is red.
DIVERGING_CMAP = "RdBu_r"

_FIGURE_NUMBERS = itertools.count(1)
_PNG_VIEWERS = weakref.WeakKeyDictionary()   # figure -> callable(png_bytes), for the "png" mode
_BLITTERS = weakref.WeakKeyDictionary()      # figure -> Blitter, for figures with animated artists


def fonts(presentation=False):
    """Font sizes (points) for a figure: larger when ``presentation`` is true (projector).

    Examples
    --------
    >>> fonts().label < fonts(presentation=True).label
    True
    """
    if presentation:
        return SimpleNamespace(label=17, tick=15, title=18, value=15, note=14)
    return SimpleNamespace(label=11, tick=10, title=12, value=10, note=9)


def new_figure(nrows=1, ncols=1, *, size=(7.0, 3.6), presentation=False, mode="png",
               width_ratios=None, height_ratios=None, mosaic=None):
    """Create a figure and its axes once, for a dashboard that will update it in place.

    Parameters
    ----------
    nrows, ncols : int, default 1
        The grid of axes.
    size : (float, float), default (7.0, 3.6)
        Width and height in inches at the normal size (100 dpi: 700 x 360 pixels). Keep the
        width at most 8 inches: a live canvas has a fixed size, and a JupyterLab output area
        next to the file browser is about 830 pixels wide.
    presentation : bool, default False
        Make the figure 1.4 times larger, for a projector.
    mode : {"png", "canvas"}, default "png"
        ``"canvas"`` attaches an ipympl canvas (a widget, ``fig.canvas``) to place in a layout;
        ``"png"`` attaches a plain Agg canvas, rendered to PNG by :func:`redraw`.
    width_ratios, height_ratios : sequence of float, optional
        Relative sizes of the columns and rows.
    mosaic : list of lists of str, optional
        A named layout instead of a grid (see ``Figure.subplot_mosaic``), e.g.
        ``[["bars", "bars"], ["left", "right"]]``; ``nrows`` and ``ncols`` are then ignored.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : Axes, ndarray of Axes, or dict
        A single Axes for a 1 x 1 grid, otherwise an array shaped like the grid (squeezed);
        a dict name -> Axes for a ``mosaic``.
    """
    if mode not in ("png", "canvas"):
        raise ValueError(f"mode must be 'png' or 'canvas', got {mode!r}")
    scale = 1.4 if presentation else 1.0
    fig = Figure(figsize=(size[0] * scale, size[1] * scale), dpi=100, layout="constrained")
    if mode == "canvas":
        _attach_ipympl_canvas(fig)
    else:
        FigureCanvasAgg(fig)
    ratios = {"width_ratios": width_ratios, "height_ratios": height_ratios}
    if mosaic is not None:
        return fig, fig.subplot_mosaic(mosaic, **ratios)
    return fig, fig.subplots(nrows, ncols, **ratios)


def _attach_ipympl_canvas(fig):
    """Give ``fig`` an ipympl canvas widget, without registering it with pyplot."""
    import matplotlib.pyplot as plt
    from ipympl.backend_nbagg import new_figure_manager_given_figure

    with plt.ioff(), warnings.catch_warnings():
        # ipympl's toolbar passes its canvas on to traitlets, which warns about it (ipympl 0.10).
        warnings.filterwarnings("ignore", message="Passing unrecognized arguments", category=DeprecationWarning)
        new_figure_manager_given_figure(next(_FIGURE_NUMBERS), fig)
    canvas = fig.canvas
    canvas.header_visible = False     # no "Figure 1" title bar
    canvas.footer_visible = False
    canvas.resizable = False          # the layout is fixed; a resize would re-run it
    canvas.toolbar_position = "right"
    return canvas


def label_axes(ax, xlabel, ylabel, title=None, presentation=False):
    """Label both axes (and optionally the title) at the right size; every axis gets a label.

    Change the title later with ``ax.title.set_text(...)``.
    """
    f = fonts(presentation)
    ax.set_xlabel(xlabel, fontsize=f.label)
    ax.set_ylabel(ylabel, fontsize=f.label)
    # An explicit y keeps the title where it is, instead of re-placing it on every draw.
    ax.set_title("" if title is None else title, fontsize=f.title, y=1.0)
    ax.tick_params(labelsize=f.tick)


def probability_bars(ax, labels, *, color=PALETTE[0], offset=0.0, width=0.8, ylim=(0.0, 1.12),
                     value_format="{:.3f}", presentation=False, label=None):
    """Bars at 0, 1, ..., K-1 (height 0 at first) with a value written on each bar.

    Parameters
    ----------
    ax : Axes
    labels : sequence of str
        One tick label per bar (a second group of bars next to the first one passes the same
        labels again).
    color : colour, default the palette's blue
    offset, width : float
        Shift of each bar from its integer position, and bar width (for grouped bars).
    ylim : (float, float) or None, default (0, 1.12)
        Fixed limits, so that heights can be compared as the values change (room on top for
        the value labels). ``None`` leaves the limits alone.
    value_format : str or None, default "{:.3f}"
        Format of the value labels; ``None`` for no labels.
    presentation : bool
        Larger value labels.
    label : str, optional
        Legend entry.

    Returns
    -------
    SimpleNamespace
        ``bars`` (the BarContainer), ``texts`` (the value labels), ``value_format``, ``ax``:
        pass it to :func:`set_heights` and :func:`remove_bars`.
    """
    k = len(labels)
    x = np.arange(k) + offset
    bars = ax.bar(x, np.zeros(k), width=width, color=color, edgecolor="black", linewidth=0.6, label=label)
    texts = []
    if value_format is not None:
        size = fonts(presentation).value
        texts = [ax.text(xi, 0.0, "", ha="center", va="bottom", fontsize=size) for xi in x]
    ax.set_xticks(np.arange(k), labels)
    ax.set_xlim(-0.6, k - 0.4)
    if ylim is not None:
        ax.set_ylim(*ylim)
    return SimpleNamespace(ax=ax, bars=bars, texts=texts, value_format=value_format)


def set_heights(group, values):
    """Set the bar heights of a :func:`probability_bars` group, and move/rewrite its labels.

    A negative value is drawn downwards with its label below the bar.
    """
    values = np.asarray(values, dtype=float)
    if len(values) != len(group.bars):
        raise ValueError(f"values has {len(values)} entries for {len(group.bars)} bars")
    lo, hi = group.ax.get_ylim()
    pad = 0.01 * (hi - lo)
    # Only what changes is touched: a touched artist is marked stale and repainted by redraw().
    for bar, v in zip(group.bars, values):
        if bar.get_height() != v:
            bar.set_height(v)
    for text, bar, v in zip(group.texts, group.bars, values):
        x = bar.get_x() + bar.get_width() / 2
        position = (x, v + pad if v >= 0 else v - pad)
        if text.get_position() != position:
            text.set_position(position)
        align = "bottom" if v >= 0 else "top"
        if text.get_verticalalignment() != align:
            text.set_verticalalignment(align)
        text.set_text(group.value_format.format(v))


def highlight(group, mask, color=PALETTE[0], highlight_color=PALETTE[1]):
    """Colour the bars where ``mask`` is true with ``highlight_color`` (e.g. the most probable)."""
    for bar, on in zip(group.bars, mask):
        bar.set_facecolor(highlight_color if on else color)


def remove_bars(group):
    """Take a bar group (and its value labels) off its axes, e.g. before a different count."""
    group.bars.remove()
    for text in group.texts:
        text.remove()


def curve_with_marker(ax, x, y, *, color=PALETTE[0], marker_color=PALETTE[3], label=None, logx=False):
    """A fixed curve y(x) and a marker that :func:`move_marker` moves along it.

    Returns
    -------
    line, marker : Line2D, Line2D
    """
    (line,) = ax.plot(x, y, color=color, linewidth=2, label=label)
    (marker,) = ax.plot([x[0]], [y[0]], "o", color=marker_color, markersize=10, markeredgecolor="black", zorder=5)
    if logx:
        ax.set_xscale("log")
    return line, marker


def move_marker(marker, x, y):
    """Put ``marker`` (from :func:`curve_with_marker`) at the point (x, y)."""
    if list(marker.get_xdata()) != [x] or list(marker.get_ydata()) != [y]:
        marker.set_data([x], [y])


def reference_line(ax, y, text, *, color=OKABE_ITO["black"], presentation=False, x_text=None, va="bottom"):
    """A dashed horizontal line at ``y`` with an annotation, e.g. a limit the curve approaches.

    ``x_text`` is the annotation's x in axes coordinates (0 = left, default 0.02).
    """
    line = ax.axhline(y, color=color, linestyle="--", linewidth=1.2)
    note = ax.text(0.02 if x_text is None else x_text, y, " " + text, transform=ax.get_yaxis_transform(),
                   color=color, fontsize=fonts(presentation).note, va=va, ha="left")
    return line, note


def vocabulary_stairs(ax, values, *, start=0, color=PALETTE[0], fill=False, baseline=0.0, label=None):
    """A distribution over many categories (a vocabulary) as one step line, not K bars.

    Step i covers ``[start + i, start + i + 1)``. One ``StepPatch`` costs about the same to
    draw for 10 or 10 000 categories, where 1000 bars take several times longer; update it with
    ``patch.set_data(new_values)``. A filled one is drawn half transparent.
    """
    values = np.asarray(values, dtype=float)
    edges = np.arange(len(values) + 1) + start
    return ax.stairs(values, edges, color=color, fill=fill, baseline=baseline, label=label,
                     linewidth=1.8, alpha=0.55 if fill else 1.0)


def plain_tick_labels(axis):
    """Write a log axis' tick labels as plain numbers (1, 10, 100), not powers of ten."""
    from matplotlib.ticker import StrMethodFormatter

    axis.set_major_formatter(StrMethodFormatter("{x:g}"))


def heatmap(ax, matrix, *, vmin, vmax, labels=None, cmap=DIVERGING_CMAP, colorbar_label="",
            presentation=False):
    """A matrix as an image with FIXED colour limits and a colour bar; update with ``set_data``.

    Fixed limits matter: with automatic limits the same colour would mean a different number
    after every update.

    Returns
    -------
    image : AxesImage
    colorbar : Colorbar
    """
    image = ax.imshow(np.asarray(matrix, dtype=float), vmin=vmin, vmax=vmax, cmap=cmap)
    colorbar = ax.figure.colorbar(image, ax=ax, shrink=0.9)
    colorbar.set_label(colorbar_label, fontsize=fonts(presentation).label)
    colorbar.ax.tick_params(labelsize=fonts(presentation).tick)
    if labels is not None:
        ax.set_xticks(np.arange(len(labels)), labels)
        ax.set_yticks(np.arange(len(labels)), labels)
    return image, colorbar


def animate(fig, *artists):
    """Register ``artists`` (or containers/lists of them) as the parts of ``fig`` that change.

    :func:`redraw` then draws only them, over a saved picture of the rest of the figure.
    """
    blitter = _BLITTERS.get(fig)
    if blitter is None:
        blitter = _BLITTERS[fig] = Blitter(fig)
    for item in artists:
        for artist in (item if isinstance(item, (list, tuple)) else [item]):
            artist.set_animated(True)
            blitter.artists.append(artist)
    blitter.background = None


def invalidate(fig):
    """Forget the saved picture of the static part of ``fig``: the next redraw is a full draw.

    Call it after changing anything that was not registered with :func:`animate`.
    """
    blitter = _BLITTERS.get(fig)
    if blitter is not None:
        blitter.background = None


def attach_png_viewer(fig, viewer):
    """Register ``viewer(png_bytes)``, called by :func:`redraw` with each new rendering of ``fig``."""
    _PNG_VIEWERS[fig] = viewer


def _encode_png(canvas):
    """The canvas' current pixels as PNG bytes (this runs on every change)."""
    return png_bytes(np.asarray(canvas.buffer_rgba()))


def render_png(fig):
    """Draw the whole figure and return it as PNG bytes."""
    fig.canvas.draw()
    return _encode_png(fig.canvas)


def redraw(fig):
    """Show the current state of ``fig``: only what changed when possible.

    * "png" mode (a viewer attached with :func:`attach_png_viewer`): the changed artists are
      repainted over the saved background (or, the first time, the whole figure is drawn), and
      the pixels are handed to the viewer as PNG bytes.
    * "canvas" mode: the changed pixels are sent to the browser at once, as one ipympl "diff"
      frame (:func:`softmax_lab._blit.send_changed_pixels`): no request from the browser, no round trip. Until
      the browser has asked for a first full image there is no background yet, and
      ``canvas.draw_idle()`` asks it to repaint when it is next idle.
    """
    blitter = _BLITTERS.get(fig)
    fast = blitter is not None and blitter.update()
    viewer = _PNG_VIEWERS.get(fig)
    if viewer is not None:
        if not fast:
            fig.canvas.draw()
        viewer(_encode_png(fig.canvas))
    elif fast:
        if blitter.dirty is not None:
            send_changed_pixels(fig.canvas, blitter.dirty)
    else:
        fig.canvas.draw_idle()


def relayout(fig):
    """Lay the figure out once (constrained layout), then freeze the result.

    With a layout engine on, matplotlib recomputes the whole layout on every draw, from the
    sizes of all the texts: more than half the cost of a redraw here. Nothing moves between
    updates, so the dashboards freeze the layout after building the figure, and call this
    again only when tick labels change (a new number of categories). The frozen positions are
    fractions of the figure, so they stay right when the browser asks for a sharper image
    (a larger dpi on a high-resolution screen).
    """
    blitter = _BLITTERS.get(fig)
    if blitter is not None:
        blitter.paused = True           # a layout pass draws nothing: no background to save
    try:
        fig.set_layout_engine("constrained")
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
    finally:
        if blitter is not None:
            blitter.paused = False
            blitter.background = None


def is_live_canvas(fig):
    """True when ``fig`` has an ipympl canvas widget (the "canvas" mode)."""
    return type(fig.canvas).__module__.startswith("ipympl")
