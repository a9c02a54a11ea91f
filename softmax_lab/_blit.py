"""Shared drawing machinery of :mod:`softmax_lab.plots`: partial repaints and fast frames.

* :class:`Blitter` repaints only what changed in a figure, over a saved picture of the rest.
* :func:`send_changed_pixels` sends those pixels to a live ipympl canvas as one frame, without
  a round trip to the browser (this is the one place that relies on ipympl internals).
* :func:`png_bytes` writes a PNG quickly.

Why: what a learner feels is the time from moving a slider to new pixels in the browser
(issue 7; ``benchmarks/bench_browser.py`` measures it). Drawing twenty artists when one label
changed, comparing and PNG-encoding the whole figure, and ipympl's "draw" request to the
browser and back were the parts of it spent in the kernel.
"""

import struct
import time
import zlib

import numpy as np

__all__ = ["Blitter", "send_changed_pixels", "png_bytes"]


class Blitter:
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


def send_changed_pixels(canvas, box):
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
    rebuild the figure exactly (and benchmarks/bench_browser.py, in a real browser).
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
    canvas.send_binary(png_bytes(frame.view(np.uint8).reshape(*frame.shape, 4)))
    now = time.monotonic()
    if now - getattr(canvas, "_softmax_lab_last_frame", -1.0) < BURST_GAP_S:
        _schedule_repair(canvas)        # frames close together: one of them may be lost
    canvas._softmax_lab_last_frame = now
    return True


#: Two diff frames closer than this (seconds) make a burst, which is followed by a full frame.
BURST_GAP_S = 0.15
#: Quiet time (ms) after the last frame of a burst before the whole figure is sent once more.
REPAIR_DELAY_MS = 600


def _schedule_repair(canvas):
    """Send one full frame when a burst of frames is over (restarted by every frame of it).

    ipympl's front end loads each frame into one <img>; a frame that arrives while the previous
    one is still loading replaces it, and the previous diff is lost (measured: after a fast
    drag on the temperature explorer, 112 pixels of the browser's picture were stale). Nothing
    tells the kernel which frames were drawn, so after a burst (frames less than BURST_GAP_S
    apart: a drag) the whole figure is sent once, REPAIR_DELAY_MS after the last change. Single
    changes are never followed by one. A matplotlib timer (ipympl's: the kernel's event loop);
    without a running loop (tests, nbconvert) it simply never fires.
    """
    timer = getattr(canvas, "_softmax_lab_repair", None)
    if timer is None:
        timer = canvas.new_timer(interval=REPAIR_DELAY_MS)
        timer.single_shot = True
        timer.add_callback(send_full_frame, canvas)
        canvas._softmax_lab_repair = timer
    timer.stop()
    timer.start()


def send_full_frame(canvas):
    """Send the whole figure to the browser as one "full" frame (ipympl internals, as above)."""
    last = getattr(canvas, "_last_buff", None)
    if not isinstance(last, np.ndarray) or not callable(getattr(canvas, "send_binary", None)):
        return
    pixels = np.asarray(canvas.get_renderer().buffer_rgba())
    canvas._last_buff = pixels.view(np.uint32).squeeze(2).copy()
    canvas._force_full = False
    canvas._png_is_old = False
    canvas.set_image_mode("full")
    canvas.send_binary(png_bytes(pixels))


def png_bytes(rgba):
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
