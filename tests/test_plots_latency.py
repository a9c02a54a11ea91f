"""What the live canvas sends to the browser per change (issue 7, "Sliders in a real browser").

A browser is imitated in the kernel: it records every message ipympl's canvas sends and keeps
the picture the real front end would show (a "full" frame replaces it; a "diff" frame is drawn
at (0, 0) over it, its transparent pixels leaving the old ones). The tests check that

* one slider change sends exactly one image message and nothing that asks the browser to
  request a redraw (no round trip);
* the imitated browser's picture is always exactly the figure (a full draw), after single
  changes, bursts, and a change of the static part: this is what would catch a change in the
  ipympl internals that plots._send_changed_pixels relies on;
* a burst of 30 changes ends with the figure at the last value;
* only what changed is repainted (the dirty region of a one-label change is small).
"""

import io
import json

import matplotlib
import numpy as np
import pytest

pytest.importorskip("ipympl")

import ipywidgets  # noqa: E402

from softmax_lab import _blit, plots, softmax  # noqa: E402  # noqa: E402
from softmax_lab import widgets as W
from softmax_lab.widgets import _base  # noqa: E402

DASHBOARDS = {
    "logit_explorer": lambda: W.logit_explorer([2.0, 1.0, 0.1], ["mat", "floor", "roof"]),
    "temperature_explorer": lambda: W.temperature_explorer([2.0, 1.0, 0.1], ["mat", "floor", "roof"]),
    "sigmoid_vs_softmax": lambda: W.sigmoid_vs_softmax(),
    "gradient_stepper": lambda: W.gradient_stepper(logits=[0.1, 1.0, 2.0], target=0, learning_rate=0.5,
                                                   labels=["mat", "floor", "roof"]),
    "stability_explorer": lambda: W.stability_explorer(),
    "sampler_dashboard": lambda: W.sampler_dashboard(logits=np.linspace(3.0, -3.0, 40),
                                                     vocab=[f"w{i}" for i in range(40)]),
}
# the first slider of each dashboard (the one the browser tests and the benchmark move)
FIRST_SLIDER = {
    "logit_explorer": lambda d: d.sliders[0],
    "temperature_explorer": lambda d: d.temperature,
    "sigmoid_vs_softmax": lambda d: d.z0,
    "gradient_stepper": lambda d: d.learning_rate,
    "stability_explorer": lambda d: d.scale,
    "sampler_dashboard": lambda d: d.temperature,
}


@pytest.fixture(autouse=True)
def _canvas_mode(monkeypatch):
    monkeypatch.delenv(_base.ENV_VAR, raising=False)
    backend = matplotlib.get_backend()
    W.setup_figures("canvas")
    yield
    monkeypatch.setattr(_base, "_chosen_mode", None)
    matplotlib.use(backend)


def _decode(png):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


class FakeBrowser:
    """The messages a canvas sends, and the picture ipympl's front end would build from them."""

    def __init__(self, canvas):
        self.canvas = canvas
        self.messages = []
        self.picture = None
        self.mode = "full"
        canvas.send = self._receive                         # the comm: kernel -> browser
        original_send_state = canvas.send_state

        def send_state(key=None):                          # trait updates (the image mode)
            self.messages.append(("state", key))
            if canvas._image_mode:
                self.mode = canvas._image_mode
            return original_send_state(key)

        canvas.send_state = send_state
        # The browser says hello ("initialized"), then asks for its first full image.
        canvas._handle_message(canvas, {"type": "initialized"}, [])
        canvas._handle_message(canvas, {"type": "refresh"}, [])
        self.serve_draw_requests()
        self.messages.clear()

    def _receive(self, content, buffers=None):
        kind = json.loads(content["data"])["type"]
        self.messages.append((kind, buffers))
        if kind == "binary":
            self.mode = self.canvas._image_mode
            image = _decode(bytes(buffers[0]))
            if self.mode == "full" or self.picture is None:
                self.picture = image.copy()
            else:                                            # drawn at (0, 0) over the old picture
                h, w = image.shape[:2]
                region = self.picture[:h, :w]
                opaque = image[..., 3] != 0
                region[opaque] = image[opaque]

    def serve_draw_requests(self):
        """Answer every "draw" request the way the front end does: ask the kernel to draw."""
        while any(kind == "draw" for kind, _ in self.messages):
            self.messages = [m for m in self.messages if m[0] != "draw"]
            self.canvas._handle_message(self.canvas, {"type": "draw"}, [])

    def kinds(self):
        return [kind for kind, _ in self.messages if kind != "state"]


def _full_picture(fig):
    """The figure as a full draw paints it (the truth the browser's picture must equal)."""
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def _differing(browser, fig):
    return int(np.any(browser.picture != _full_picture(fig), axis=-1).sum())


def _nudge(slider, i):
    """Move a slider one step, to and fro, on its grid."""
    step = slider.step if not isinstance(slider, ipywidgets.FloatLogSlider) else 0.05
    room_up = slider.value + step <= slider.max if not isinstance(slider, ipywidgets.FloatLogSlider) else True
    if isinstance(slider, ipywidgets.FloatLogSlider):
        slider.value = slider.value * (10 ** step if i % 2 == 0 else 10 ** -step)
    else:
        slider.value = round(slider.value + (step if (i % 2 == 0 and room_up) else -step), 10)


@pytest.mark.parametrize("name", DASHBOARDS)
def test_one_change_sends_one_image_and_no_draw_request(name):
    dash = DASHBOARDS[name]()
    browser = FakeBrowser(dash.figure.canvas)
    for i in range(3):
        browser.messages.clear()
        _nudge(FIRST_SLIDER[name](dash), i)
        assert browser.kinds() == ["binary"], f"{name}: one change sent {browser.kinds()}"
    assert dash.errors == []


@pytest.mark.parametrize("name", DASHBOARDS)
def test_the_browser_picture_is_always_the_figure(name):
    """The frames sent rebuild exactly the figure: each change, and the end of a burst."""
    dash = DASHBOARDS[name]()
    fig = dash.figure
    browser = FakeBrowser(fig.canvas)
    slider = FIRST_SLIDER[name](dash)
    for i in range(4):
        _nudge(slider, i)
        assert _differing(browser, fig) == 0, f"{name}: the browser's picture is not the figure after change {i}"
    for i in range(30):                       # a drag: 30 changes, one after the other
        _nudge(slider, i // 2)                # ends away from where it started
    assert _differing(browser, fig) == 0, f"{name}: the picture after a burst is not the last value's"
    assert dash.errors == []


def test_a_burst_sends_one_frame_per_change_and_ends_at_the_last_value():
    dash = DASHBOARDS["logit_explorer"]()
    browser = FakeBrowser(dash.figure.canvas)
    slider = dash.sliders[0]
    values = np.round(np.linspace(2.1, 5.0, 30), 1)
    for v in values:
        slider.value = float(v)
    assert browser.kinds().count("binary") <= len(values)     # never more than one frame per change
    assert "draw" not in browser.kinds()
    assert slider.value == values[-1]
    assert np.isclose(dash.probabilities[0], softmax(np.array([values[-1], 1.0, 0.1]))[0])
    assert _differing(browser, dash.figure) == 0


def test_a_static_change_falls_back_to_a_full_frame_and_stays_right():
    """The gradient stepper's loss axis grows after 10 steps: ipympl's own draw request path."""
    dash = DASHBOARDS["gradient_stepper"]()
    browser = FakeBrowser(dash.figure.canvas)
    for _ in range(12):
        dash.step()
        browser.serve_draw_requests()
    assert _differing(browser, dash.figure) == 0
    _nudge(dash.learning_rate, 0)
    assert browser.kinds()[-1] == "binary"
    assert _differing(browser, dash.figure) == 0


def test_without_a_browser_the_canvas_uses_ipympls_own_blit(monkeypatch):
    """Before the browser has said hello (e.g. nbconvert), ipympl's own path is used."""
    dash = DASHBOARDS["logit_explorer"]()
    canvas = dash.figure.canvas
    canvas.draw()                                          # a background exists
    assert canvas.syncing_data_url
    calls = []
    blit = canvas.blit
    monkeypatch.setattr(canvas, "blit", lambda *a, **k: (calls.append("blit"), blit(*a, **k)))
    dash.sliders[0].value = 3.0
    assert calls == ["blit"]


def test_only_the_changed_label_is_repainted():
    """A change that rewrites one text repaints a small region, not the figure."""
    dash = DASHBOARDS["logit_explorer"]()
    fig = dash.figure
    browser = FakeBrowser(fig.canvas)
    blitter = plots._BLITTERS[fig]
    dash.bars.texts[0].set_text("0.001")       # one label, nothing else
    plots.redraw(fig)
    x0, y0, x1, y1 = blitter.dirty
    width, height = fig.canvas.get_width_height()
    assert (x1 - x0) * (y1 - y0) < 0.2 * width * height      # the label and its bar, not the others
    assert _differing(browser, fig) == 0


def test_unchanged_values_do_not_mark_artists_stale():
    dash = DASHBOARDS["logit_explorer"]()
    FakeBrowser(dash.figure.canvas)            # a first full draw: nothing is stale
    p = dash.probabilities
    plots.set_heights(dash.bars, p)
    assert not any(bar.stale for bar in dash.bars.bars)
    plots.set_heights(dash.bars, p[::-1])
    assert dash.bars.bars[0].stale


def test_png_bytes_decode_to_the_same_pixels():
    rng = np.random.default_rng(7)
    for shape in [(1, 1, 4), (3, 5, 4), (37, 61, 4)]:
        rgba = rng.integers(0, 256, size=shape, dtype=np.uint8)
        assert np.array_equal(_decode(_blit.png_bytes(rgba)), rgba)
    dash = W.temperature_explorer()
    fig = dash.figure
    assert np.array_equal(_decode(plots.render_png(fig)), np.asarray(fig.canvas.buffer_rgba()))


def test_a_lost_diff_frame_is_repaired_by_the_full_frame_sent_after_a_burst(monkeypatch):
    """ipympl's front end drops a frame that is replaced while still loading: the full frame
    sent once the changes stop (plots' repair timer) makes the picture exact again."""
    monkeypatch.setattr(_blit, "BURST_GAP_S", 60.0)   # a loaded machine draws slower than a real drag
    dash = DASHBOARDS["temperature_explorer"]()
    fig = dash.figure
    browser = FakeBrowser(fig.canvas)
    receive = browser._receive
    dropped = []
    fig.canvas.send = lambda content, buffers=None: (dropped.append(1) if not dropped and buffers
                                                     else receive(content, buffers))
    _nudge(dash.temperature, 0)                  # this frame is lost on the way
    fig.canvas.send = receive
    _nudge(dash.temperature, 0)                  # right after it: a burst
    assert dropped and _differing(browser, fig) > 0
    timer = fig.canvas._softmax_lab_repair       # scheduled by the second frame of the burst
    assert timer.single_shot and timer.interval == _blit.REPAIR_DELAY_MS
    _blit.send_full_frame(fig.canvas)            # what the timer calls when it fires
    assert browser.mode == "full"
    assert _differing(browser, fig) == 0
    _nudge(dash.temperature, 1)                   # and diff frames go on from there
    assert browser.kinds()[-1] == "binary" and _differing(browser, fig) == 0


def test_single_changes_far_apart_schedule_no_full_frame(monkeypatch):
    dash = DASHBOARDS["logit_explorer"]()
    FakeBrowser(dash.figure.canvas)
    monkeypatch.setattr(_blit, "BURST_GAP_S", 0.0)       # every change "long" after the last
    for i in range(3):
        _nudge(dash.sliders[0], i)
    assert getattr(dash.figure.canvas, "_softmax_lab_repair", None) is None
