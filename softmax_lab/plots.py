"""Drawing helpers for the dashboards: every figure is built once, then its artists are updated.

The dashboards in :mod:`softmax_lab.widgets` never draw a new figure when a slider moves. They
build one figure with :func:`new_figure`, keep the artists these helpers return (bars, lines,
markers, an image), change them in place (``set_height``, ``set_data``, ``set_text``) and call
:func:`redraw`. Re-creating a figure per change costs several times more (see
``benchmarks/bench_widgets.py``) and makes the plot flicker.

How a figure reaches the screen: as a PNG image. :func:`redraw` renders the figure with
matplotlib's Agg renderer, encodes the pixels as PNG and hands them to the viewer registered
with :func:`attach_png_viewer` (a dashboard's ``Output`` widget). The same image works in
JupyterLab, Notebook 7, Voila, Colab and VS Code, and in a real browser it reached the screen
sooner than ipympl's live canvas on every dashboard measured (``benchmarks/bench_browser.py``).

Most of a figure never changes: axes, ticks, tick labels, axis labels, reference lines. The
artists that do change are registered with :func:`animate`; :func:`redraw` then pastes a saved
picture of the rest and draws only them on top (matplotlib's "blitting", with its public
``copy_from_bbox``, ``restore_region`` and ``draw_artist``). A full draw saves a new picture;
call :func:`invalidate` after changing something that is not animated (axis limits, ticks).

The live ipympl canvas is an option, not the default (``mode="canvas"``, chosen with
``softmax_lab.widgets.setup_figures("canvas")``): its toolbar zooms and pans. Only ipympl's
public API is used: :func:`redraw` calls ``canvas.draw_idle()`` and ipympl draws the whole
figure. ipympl is imported only when a canvas is asked for.

Figures are made with :class:`matplotlib.figure.Figure`, not ``plt.figure``: pyplot never hears
of them, so they are not shown twice, not kept alive after the dashboard is gone, and do not set
off matplotlib's "more than 20 figures" warning in a long lesson.

This module imports matplotlib, so ``import softmax_lab`` does not import it; only
``import softmax_lab.plots`` (or ``softmax_lab.widgets``) does.

Examples
--------
>>> fig, ax = new_figure()
>>> bars = probability_bars(ax, ["mat", "floor", "roof"])
>>> set_heights(bars, [0.659, 0.242, 0.099])
>>> [t.get_text() for t in bars.texts]
['0.659', '0.242', '0.099']
>>> png = render_png(fig)
>>> png[:4] == b"\\x89PNG"
True
"""

import functools
import itertools
import struct
import warnings
import weakref
import zlib
from types import SimpleNamespace

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

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
    "set_static_key",
    "redraw",
    "render_png",
    "png_bytes",
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
_PNG_VIEWERS = weakref.WeakKeyDictionary()   # figure -> callable(png bytes)
_ANIMATIONS = weakref.WeakKeyDictionary()    # figure -> its animated artists and the saved picture
_LAYOUT_PENDING = weakref.WeakSet()          # figures to lay out at their next full draw (relayout)


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
        width at most 8 inches: the image is shown at its pixel size, and a JupyterLab output
        area next to the file browser is about 830 pixels wide.
    presentation : bool, default False
        Make the figure 1.4 times larger, for a projector.
    mode : {"png", "canvas"}, default "png"
        ``"png"`` attaches a plain Agg canvas, rendered to PNG by :func:`redraw`; ``"canvas"``
        attaches an ipympl canvas (a widget, ``fig.canvas``, imported only now) to place in a
        layout.
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

    :func:`redraw` then draws only them, over a saved picture of the rest of the figure. On a
    live canvas this does nothing: ipympl draws the whole figure on every change.
    """
    if is_live_canvas(fig):
        return
    state = _ANIMATIONS.get(fig)
    if state is None:
        state = _ANIMATIONS[fig] = SimpleNamespace(artists=[], background=None, boxes={}, key=None, looks={},
                                                   repaint_all=False)
        fig.canvas.mpl_connect("draw_event", functools.partial(_after_full_draw, state))
    for item in artists:
        for artist in (item if isinstance(item, (list, tuple)) else [item]):
            artist.set_animated(True)
            state.artists.append(artist)
    state.background = None


def _after_full_draw(state, event):
    """After a full draw (which leaves the animated artists out): save the picture, draw them on it."""
    fig = event.canvas.figure
    state.artists = [a for a in state.artists if a.figure is not None]      # forget removed ones
    # The whole canvas, in whole pixels (fig.bbox may be 447.99999 high: the picture would start a row low).
    state.background = event.canvas.copy_from_bbox(Bbox.from_bounds(0, 0, *event.canvas.get_width_height()))
    if state.key is not None:
        state.looks[state.key] = state.background
    state.repaint_all = False
    _draw_animated(fig, state, state.artists)


def _draw_animated(fig, state, artists, boxes=None):
    """Draw ``artists`` over the canvas and note the pixels each paints (``boxes``: those known already)."""
    renderer = fig.canvas.get_renderer()
    for artist in artists:
        fig.draw_artist(artist)
        state.boxes[artist] = boxes[artist] if boxes and artist in boxes else _pixel_box(artist, renderer)


def _pixel_box(artist, renderer):
    """The pixels ``artist`` paints, (x0, y0, x1, y1) from the bottom left, grown by a few pixels
    for line widths and anti-aliasing; () for nothing; None when unknown (an annotation's arrow,
    a text in a box, a collection: then the whole figure is repainted)."""
    if not artist.get_visible():
        return ()
    boxed = isinstance(artist, (Patch, Line2D, AxesImage)) or (
        isinstance(artist, Text) and not isinstance(artist, Annotation) and artist.get_bbox_patch() is None)
    extent = artist.get_window_extent(renderer) if boxed else None
    if extent is None or not np.all(np.isfinite(extent.extents)):
        return None
    width = artist.get_linewidth() if isinstance(artist, (Patch, Line2D)) else 0.0
    pad = 3 + width * artist.figure.dpi / 72
    x0, y0, x1, y1 = extent.extents
    return (int(x0 - pad), int(y0 - pad), int(np.ceil(x1 + pad)), int(np.ceil(y1 + pad)))


def _overlap(a, b):
    return bool(a) and bool(b) and a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _repaint(fig, state):
    """Paint the changed animated artists again: restore the saved picture where they were and
    where they are now, and draw there every animated artist that overlaps (an artist drawn
    twice over itself would darken its edges). An unknown box repaints everything."""
    renderer = fig.canvas.get_renderer()
    width, height = fig.canvas.get_width_height()
    changed = [a for a in state.artists if a.stale]
    new_boxes = {a: _pixel_box(a, renderer) for a in changed}
    regions = [box for a in changed for box in (state.boxes.get(a), new_boxes[a])]
    if state.repaint_all or None in regions or any(state.boxes.get(a) is None for a in state.artists):
        regions, again = [(0, 0, width, height)], state.artists     # everything, over the saved picture
        new_boxes = None                     # the axes may have moved under the others: measure all
        state.repaint_all = False
    else:
        again = set(changed)
        grown = True
        while grown:
            grown = False
            for artist in state.artists:
                box = state.boxes[artist]
                if artist not in again and any(_overlap(box, region) for region in regions):
                    again.add(artist)
                    regions.append(box)
                    grown = True
    for x0, y0, x1, y1 in filter(None, regions):
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
        if x0 < x1 and y0 < y1:     # the saved picture counts its rows from the top, and ends inclusive
            fig.canvas.restore_region(state.background, bbox=(x0, height - y1, x1 - 1, height - y0 - 1), xy=(0, 0))
    # an artist redrawn only because it overlaps keeps its box: nothing of it changed
    known = None if new_boxes is None else {**{a: state.boxes[a] for a in again}, **new_boxes}
    _draw_animated(fig, state, [a for a in state.artists if a in again], known)


def invalidate(fig):
    """Forget the saved picture of the static part of ``fig``: the next redraw is a full draw.

    Call it after changing anything that was not registered with :func:`animate`.
    """
    state = _ANIMATIONS.get(fig)
    if state is not None:
        state.background = None
        state.looks.clear()


def set_static_key(fig, key):
    """Name the current look of the static part of ``fig``, e.g. its axis limits after ``set_ylim``.

    Call it instead of :func:`invalidate` when only a few looks come back again and again (a
    y-range that depends on a slider). A picture of the static part is kept per look: the first
    redraw in a new look draws the whole figure once, a look drawn before is pasted back from
    memory and only the animated artists are drawn over it. The layout must not change between
    the looks (:func:`relayout` forgets them all).
    """
    state = _ANIMATIONS.get(fig)
    if state is None or key == state.key:
        return
    state.key = key
    state.background = state.looks.get(key)
    state.repaint_all = state.background is not None      # the canvas still shows another look


def attach_png_viewer(fig, viewer):
    """Register ``viewer(png_bytes)``, called by :func:`redraw` with each new rendering of ``fig``.

    The next :func:`redraw` hands the whole picture to the new viewer. A figure drawn before
    (by a dashboard setting itself up) is not drawn again: its animated artists are painted
    over the saved picture of the rest.
    """
    _PNG_VIEWERS[fig] = viewer
    state = _ANIMATIONS.get(fig)
    if state is not None and state.background is not None:
        state.repaint_all = True
    else:
        invalidate(fig)


def png_bytes(rgba):
    """An RGBA pixel array (height, width, 4) of uint8 as PNG bytes, made for speed.

    The PNG format (RFC 2083) written directly, because this runs on every change: an opaque
    picture (a figure) is stored as RGB, each row as its difference from the row above (PNG's
    "Up" filter: mostly zeros in a figure's flat areas), compressed at zlib's fastest level.
    That is two to three times faster than Pillow's PNG writer, for about the same size.

    Examples
    --------
    >>> png = png_bytes(np.full((2, 3, 4), 255, np.uint8))
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n", int.from_bytes(png[16:20], "big")   # the width
    (True, 3)
    """
    height, width, _ = rgba.shape
    opaque = bool(rgba[..., 3].min() == 255)
    pixels = (rgba[..., :3] if opaque else rgba).reshape(height, -1)
    rows = np.empty((height, 1 + pixels.shape[1]), np.uint8)
    rows[:, 0] = 2                                    # filter type "Up"
    rows[0, 1:] = pixels[0]
    np.subtract(pixels[1:], pixels[:-1], out=rows[1:, 1:])      # modulo 256, as PNG wants

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2 if opaque else 6, 0, 0, 0)   # 8 bits, RGB(A)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)) + chunk(b"IEND", b""))


def render_png(fig):
    """Draw the whole figure and return it as PNG bytes."""
    _full_draw(fig)
    return png_bytes(np.asarray(fig.canvas.buffer_rgba()))


def _full_draw(fig):
    """Draw everything; the first draw after :func:`relayout` also lays the figure out, then freezes it."""
    fig.canvas.draw()
    if fig in _LAYOUT_PENDING:
        _LAYOUT_PENDING.discard(fig)
        fig.set_layout_engine("none")       # keep the positions just computed


def redraw(fig):
    """Show the current state of ``fig``.

    * A PNG figure: the animated artists that changed are drawn again over the saved picture
      of the rest (the first time, or after :func:`invalidate`, the whole figure is drawn): an
      artist left alone is not drawn again, unless it overlaps one that changed. The pixels
      go to the viewer of :func:`attach_png_viewer` as PNG bytes. When no animated artist
      changed since the last redraw (``stale``), nothing is drawn or sent.
    * A live canvas: ``canvas.draw_idle()``; ipympl draws the whole figure.
    """
    if is_live_canvas(fig):
        fig.canvas.draw_idle()
        return
    state = _ANIMATIONS.get(fig)
    if state is not None and state.background is not None:
        if not state.repaint_all and not any(artist.stale for artist in state.artists):
            return                  # the picture shown is still right
        _repaint(fig, state)
    else:
        _full_draw(fig)
    viewer = _PNG_VIEWERS.get(fig)
    if viewer is not None:
        viewer(png_bytes(np.asarray(fig.canvas.buffer_rgba())))


def relayout(fig):
    """Lay the figure out again (constrained layout) at its next full draw, then freeze the result.

    With a layout engine on, matplotlib recomputes the whole layout on every draw, from the
    sizes of all the texts: more than half the cost of a redraw here. Nothing moves between
    updates, so the dashboards freeze the layout after the first draw, and call this again
    only when tick labels change (new axis limits, a new number of categories). A live canvas
    is laid out at once, as ipympl draws when it likes. The frozen positions are fractions of
    the figure, so they stay right when the browser asks a canvas for a larger dpi.
    """
    fig.set_layout_engine("constrained")
    if is_live_canvas(fig):
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
    else:
        _LAYOUT_PENDING.add(fig)
    invalidate(fig)


def is_live_canvas(fig):
    """True when ``fig`` has an ipympl canvas widget (the "canvas" mode)."""
    return type(fig.canvas).__module__.startswith("ipympl")
