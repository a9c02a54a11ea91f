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
import struct
import warnings
import weakref
import zlib
from types import SimpleNamespace

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

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
_BLITTERS = weakref.WeakKeyDictionary()      # figure -> _Blitter, for figures with animated artists


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


class _Blitter:
    """Redraw only what changed in a figure, over a saved picture of everything else.

    Animated artists (``set_animated(True)``) are left out of a normal draw. After each full
    draw of the figure on its own canvas (the ``draw_event``), the picture of the static part
    is saved and the animated artists are drawn on top. An update then repaints only the
    *dirty* region: the boxes of the artists that changed since they were last drawn
    (matplotlib marks an artist ``stale`` when one of its ``set_*`` methods is called), where
    they were and where they are now, grown to take in every other animated artist that
    overlaps them (drawing an artist twice over itself would darken its edges). The saved
    picture is restored there and the artists in it are drawn again: a slider that changes one
    label redraws one label, not the twenty artists of the figure. ``dirty`` is the region
    repainted by the last update, in display pixels (None: nothing changed).
    """

    def __init__(self, fig):
        self.fig = fig
        self.artists = []
        self.background = None
        self.key = None
        self.paused = False
        self.boxes = {}          # artist -> its box when last drawn (None: drew nothing)
        self.dirty = None
        fig.canvas.mpl_connect("draw_event", self._on_draw)

    def _key(self):
        # The saved picture is only valid for the same pixel size and dpi (a HiDPI screen
        # makes ipympl change the dpi).
        return self.fig.canvas.get_width_height(physical=True), self.fig.dpi

    def _on_draw(self, event):
        canvas = self.fig.canvas
        # Only a draw into the canvas' own pixels: not a savefig (which draws animated artists
        # itself), not a layout pass that draws nothing.
        if self.paused or canvas.is_saving() or event.renderer is not getattr(canvas, "renderer", None):
            return
        self.background = canvas.copy_from_bbox(self.fig.bbox)
        self.key = self._key()
        self.artists = [a for a in self.artists if a.get_figure() is not None]   # forget removed ones
        self._draw(self.artists)

    def _draw(self, artists, boxes=None):
        """Draw ``artists`` and note their boxes (``boxes``: those already measured)."""
        renderer = self.fig.canvas.get_renderer()
        for artist in artists:
            self.fig.draw_artist(artist)
            self.boxes[artist] = boxes[artist] if boxes and artist in boxes else _pixel_box(artist, renderer)

    def update(self):
        """Repaint what changed over the saved picture; False when a full draw is needed."""
        if self.background is None or self.key != self._key():
            return False
        renderer = self.fig.canvas.get_renderer()
        figure_box = _figure_box(self.fig)
        live = [a for a in self.artists if a.get_figure() is not None]
        dirty = [self.boxes.pop(a) for a in self.artists if a.get_figure() is None]   # removed ones
        redraw, boxes = set(), {}
        for artist in live:
            if artist.stale or artist not in self.boxes:
                redraw.add(artist)
                boxes[artist] = _pixel_box(artist, renderer)     # where it will be drawn now
                dirty += [self.boxes.get(artist), boxes[artist]]
        dirty = [box for box in dirty if box is not None]
        if figure_box in dirty:
            redraw = set(live)
        grown = True
        while grown:               # take in every unchanged artist that overlaps the region
            grown = False
            for artist in live:
                box = self.boxes.get(artist)
                if artist not in redraw and box is not None and any(_overlap(box, d) for d in dirty):
                    redraw.add(artist)
                    dirty.append(box)
                    grown = True
        self.artists = live
        if figure_box in dirty:
            dirty = [figure_box]
        height = figure_box[3]
        for x0, y0, x1, y1 in dirty:       # the saved picture counts its rows from the top
            self.fig.canvas.restore_region(self.background, bbox=(x0, height - y1, x1, height - y0), xy=(0, 0))
        self._draw([a for a in live if a in redraw], boxes)
        self.dirty = _union(dirty)
        return True


# Artists whose get_window_extent covers what they draw (plus the padding of _pixel_box);
# anything else (an annotation arrow, a text in a box, a collection) makes the whole figure
# dirty, which is always right.
def _boxed(artist):
    from matplotlib.image import AxesImage
    from matplotlib.lines import Line2D
    from matplotlib.patches import Polygon, Rectangle, StepPatch
    from matplotlib.text import Annotation, Text

    if isinstance(artist, Text):
        return not isinstance(artist, Annotation) and artist.get_bbox_patch() is None
    return isinstance(artist, (Rectangle, StepPatch, Polygon, Line2D, AxesImage))


def _figure_box(fig):
    width, height = fig.canvas.get_width_height(physical=True)
    return (0, 0, width, height)


def _pixel_box(artist, renderer):
    """The pixels ``artist`` may paint, as integer (x0, y0, x1, y1) in display coordinates
    (origin at the bottom left); None for an invisible artist; the whole figure when unsure."""
    fig = artist.get_figure(root=True)
    whole = _figure_box(fig)
    if not artist.get_visible():
        return None
    if not _boxed(artist):
        return whole
    box = artist.get_window_extent(renderer)
    if not np.all(np.isfinite(box.extents)):
        return whole
    # Line widths and marker edges stick out of the extent; anti-aliasing adds a pixel.
    widths = [getattr(artist, name)() for name in ("get_linewidth", "get_markeredgewidth") if hasattr(artist, name)]
    pad = 3 + max([0.0, *np.ravel(widths)]) * fig.dpi / 72
    x0, y0, x1, y1 = box.extents
    x0, y0 = max(int(np.floor(x0 - pad)), 0), max(int(np.floor(y0 - pad)), 0)
    x1, y1 = min(int(np.ceil(x1 + pad)), whole[2]), min(int(np.ceil(y1 + pad)), whole[3])
    if x1 <= x0 or y1 <= y0:
        return None
    return (x0, y0, x1, y1)


def _overlap(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _union(boxes):
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def animate(fig, *artists):
    """Register ``artists`` (or containers/lists of them) as the parts of ``fig`` that change.

    :func:`redraw` then draws only them, over a saved picture of the rest of the figure.
    """
    blitter = _BLITTERS.get(fig)
    if blitter is None:
        blitter = _BLITTERS[fig] = _Blitter(fig)
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
    return _png_bytes(np.asarray(canvas.buffer_rgba()))


def _png_bytes(rgba):
    """An RGBA pixel array (height, width, 4) of uint8 as PNG bytes, made for speed.

    The PNG format (RFC 2083) written directly: no per-row filter and zlib's fastest level.
    Pillow picks a filter for every row, which halves the size of a photograph but here only
    doubles the time: a figure is mostly flat colour, which zlib compresses as well unfiltered
    (about 7 ms instead of 15 ms for 800 x 560 pixels, for the same size within 5%).
    """
    height, width, _ = rgba.shape
    rows = np.zeros((height, 1 + 4 * width), np.uint8)       # each row: filter byte 0, then RGBA
    rows[:, 1:] = rgba.reshape(height, 4 * width)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)    # 8 bits, RGBA, no interlace
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)) + chunk(b"IEND", b""))


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
      frame (:func:`_send_changed_pixels`): no request from the browser, no round trip. Until
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
            _send_changed_pixels(fig.canvas, blitter.dirty)
    else:
        fig.canvas.draw_idle()


def _send_changed_pixels(canvas, box):
    """Send the browser the pixels of ``canvas`` that changed inside ``box``, as one diff frame.

    ``box`` is (x0, y0, x1, y1) in display pixels (origin at the bottom left). Returns True when
    the frame was sent this way, False when ipympl's own ``canvas.blit()`` was used instead.

    This relies on ipympl INTERNALS (ipympl 0.10 on matplotlib 3.11's webagg core), kept in
    this one function. ``canvas.blit()`` compares the whole figure with ``canvas._last_buff``
    (the pixels the browser shows) and PNG-encodes a whole-figure "diff" image (unchanged
    pixels transparent) at zlib's default level; the browser draws a diff image at (0, 0) over
    the previous frame. Here only ``box`` is compared, ``_last_buff`` is updated in place, and
    the image is cropped to the rows and columns up to the box's far corner, at zlib level 1:
    the same frame, a fraction of the pixels to compare, encode, send and decode.

    Falls back to ``canvas.blit()`` whenever something does not look as expected: no
    ``_last_buff``/``send_binary``/``set_image_mode``, a full frame pending (``_force_full``,
    a new size), no browser yet (``syncing_data_url``) or transparent pixels (which ipympl
    sends as full frames). tests/test_plots_latency.py checks that the frames sent still
    rebuild the figure exactly.
    """
    last = getattr(canvas, "_last_buff", None)
    if (not isinstance(last, np.ndarray) or getattr(canvas, "_force_full", True)
            or getattr(canvas, "syncing_data_url", True)
            or not callable(getattr(canvas, "send_binary", None))
            or not callable(getattr(canvas, "set_image_mode", None))):
        canvas.blit()
        return False
    pixels = np.asarray(canvas.get_renderer().buffer_rgba())
    current = pixels.view(np.uint32).squeeze(2)
    if current.shape != last.shape:
        canvas.blit()
        return False
    height, width = current.shape
    x0, y0, x1, y1 = box           # one pixel more on each side: restore_region includes its edges
    rows = slice(max(height - y1 - 1, 0), min(height - y0 + 1, height))   # rows count from the top
    cols = slice(max(x0 - 1, 0), min(x1 + 1, width))
    new, old = current[rows, cols], last[rows, cols]
    if (pixels[rows, cols, 3] != 255).any():
        canvas.blit()
        return False
    changed = new != old
    if not changed.any():
        return True
    frame = np.zeros((rows.stop, cols.stop), np.uint32)     # cropped at the far corner of the box
    frame[rows, cols] = np.where(changed, new, 0)
    old[...] = new                                   # what the browser will show
    canvas._png_is_old = False
    canvas.set_image_mode("diff")
    canvas.send_binary(_png_bytes(frame.view(np.uint8).reshape(*frame.shape, 4)))
    return True


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
