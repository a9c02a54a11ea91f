"""Widget-logic tests: build each dashboard without a browser, move its controls, read its artists.

Everything runs with no frontend (matplotlib's Agg renderer underneath). Tests that touch the
figure run in both figure modes: "png" (an Output widget showing a PNG) and "canvas" (the live
ipympl canvas embedded in the layout). The expected numbers always come from softmax_lab's
math functions, computed here independently of the dashboard.
"""

import base64
import html
import io
import subprocess
import sys
import warnings

import matplotlib
import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("ipympl")

import ipywidgets  # noqa: E402

from softmax_lab import (  # noqa: E402
    cross_entropy, cross_entropy_grad, entropy, naive_softmax, sigmoid, softmax, softmax_jacobian)
from softmax_lab import sampling  # noqa: E402
from softmax_lab import plots  # noqa: E402
from softmax_lab import widgets as W  # noqa: E402

DASHBOARDS = {
    "logit_explorer": W.logit_explorer,
    "temperature_explorer": W.temperature_explorer,
    "sigmoid_vs_softmax": W.sigmoid_vs_softmax,
    "gradient_stepper": W.gradient_stepper,
    "stability_explorer": W.stability_explorer,
    "sampler_dashboard": W.sampler_dashboard,
}


@pytest.fixture(autouse=True)
def _restore_figure_state(monkeypatch):
    """Every test starts with no chosen mode and no env override, and gets the backend back."""
    monkeypatch.delenv(W.ENV_VAR, raising=False)
    monkeypatch.setattr(W, "_chosen_mode", None)
    backend = matplotlib.get_backend()
    yield
    matplotlib.use(backend)


@pytest.fixture(params=["png", "canvas"])
def mode(request):
    """Run the test in both figure modes, chosen the way a notebook does (setup_figures)."""
    assert W.setup_figures(request.param) == request.param
    return request.param


def heights(group):
    return np.array([bar.get_height() for bar in group.bars])


def texts(group):
    return [t.get_text() for t in group.texts]


def png_outputs(dash):
    """The PNG (bytes) shown in the dashboard's Output widget, in "png" mode."""
    out = dash.figure_view
    assert isinstance(out, ipywidgets.Output)
    (item,) = out.outputs
    return base64.b64decode(item["data"]["image/png"])


def message_text(dash):
    return html.unescape(dash.message.value)


# ---------------------------------------------------------------------------------------------
# Lazy imports and the figure mode
# ---------------------------------------------------------------------------------------------

def test_import_softmax_lab_does_not_import_matplotlib_or_ipywidgets():
    code = ("import sys, softmax_lab; "
            "bad = [m for m in ('matplotlib', 'ipywidgets', 'ipympl') if m in sys.modules]; "
            "print(', '.join(bad)); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"import softmax_lab imported: {result.stdout.strip()} {result.stderr.strip()}"


def test_env_var_forces_the_mode_of_auto(monkeypatch):
    monkeypatch.setenv(W.ENV_VAR, "png")
    assert W.setup_figures() == "png"
    assert W.logit_explorer().figure_mode == "png"
    monkeypatch.setenv(W.ENV_VAR, "canvas")
    assert W.setup_figures() == "canvas"
    assert W.logit_explorer().figure_mode == "canvas"


def test_env_var_is_used_without_setup(monkeypatch):
    monkeypatch.setenv(W.ENV_VAR, "canvas")
    assert W.current_figure_mode() == "canvas"
    monkeypatch.setenv(W.ENV_VAR, "PNG")
    assert W.current_figure_mode() == "png"


def test_explicit_mode_wins_over_env_var(monkeypatch):
    monkeypatch.setenv(W.ENV_VAR, "canvas")
    assert W.setup_figures("png") == "png"


def test_bad_mode_and_bad_env_var_are_errors(monkeypatch):
    with pytest.raises(ValueError, match="mode"):
        W.setup_figures("svg")
    monkeypatch.setenv(W.ENV_VAR, "widget")
    with pytest.raises(ValueError, match=W.ENV_VAR):
        W.setup_figures()


def test_auto_picks_png_in_colab(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", object())
    assert W.setup_figures() == "png"


def test_auto_picks_png_without_ipympl_and_canvas_with_it(monkeypatch):
    monkeypatch.setattr(W, "_ipympl_installed", lambda: False)
    assert W.setup_figures() == "png"
    with pytest.raises(ImportError, match="ipympl"):
        W.setup_figures("canvas")
    monkeypatch.setattr(W, "_ipympl_installed", lambda: True)
    assert W.setup_figures() == "canvas"
    assert matplotlib.get_backend() == W.IPYMPL_BACKEND   # canvas mode activates ipympl


def test_without_setup_the_active_backend_decides():
    matplotlib.use("agg")
    assert W.current_figure_mode() == "png"
    matplotlib.use(W.IPYMPL_BACKEND)
    assert W.current_figure_mode() == "canvas"


@pytest.mark.parametrize("name", DASHBOARDS)
def test_every_dashboard_works_in_both_modes(name, mode):
    dash = DASHBOARDS[name]()
    assert isinstance(dash, ipywidgets.VBox)
    assert dash.figure_mode == mode

    def contains(box, widget):
        return any(child is widget or (isinstance(child, ipywidgets.Box) and contains(child, widget))
                   for child in box.children)

    if mode == "canvas":
        assert dash.figure_view is dash.figure.canvas
        assert plots.is_live_canvas(dash.figure)
        assert contains(dash, dash.figure.canvas)
    else:
        assert not plots.is_live_canvas(dash.figure)
        assert contains(dash, dash.figure_view)
        png = png_outputs(dash)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = (int(round(v)) for v in dash.figure.bbox.size)
        assert int.from_bytes(png[16:20], "big") == width and int.from_bytes(png[20:24], "big") == height


def test_png_mode_shows_a_new_image_after_a_change():
    W.setup_figures("png")
    dash = W.logit_explorer()
    before = png_outputs(dash)
    dash.sliders[2].value = 9.0
    after = png_outputs(dash)
    assert after != before
    # and the new image is the figure as it is now
    assert after == plots.render_png(dash.figure)


def test_canvas_mode_asks_the_canvas_to_repaint(monkeypatch):
    W.setup_figures("canvas")
    dash = W.logit_explorer()
    calls = []
    monkeypatch.setattr(dash.figure.canvas, "draw_idle", lambda *a, **k: calls.append(1))
    dash.sliders[0].value = -3.0
    assert calls, "moving a slider did not repaint the live canvas"


def _pixels(png):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def _assert_same_picture(shown, full, what):
    a, b = _pixels(shown), _pixels(full)
    assert a.shape == b.shape, what
    differing = int(np.any(a != b, axis=-1).sum())
    assert differing == 0, f"{what}: {differing} pixels differ from a full redraw"


@pytest.mark.parametrize("name", DASHBOARDS)
def test_fast_redraw_shows_exactly_what_a_full_redraw_shows(name, monkeypatch):
    """Only the animated artists are redrawn on an update: the picture must still be complete."""
    W.setup_figures("png")
    dash = DASHBOARDS[name]()
    full_draws = []
    draw = dash.figure.canvas.draw
    monkeypatch.setattr(dash.figure.canvas, "draw", lambda *a, **k: (full_draws.append(1), draw(*a, **k)))
    for _ in range(3):
        _poke(dash)
    assert full_draws == [], "an ordinary update redrew the whole figure"
    shown = png_outputs(dash)
    _assert_same_picture(shown, plots.render_png(dash.figure), name)


def test_fast_redraw_after_the_axes_change():
    W.setup_figures("png")
    dash = W.gradient_stepper()
    for _ in range(12):                      # the loss axis grows from 10 to 20 steps
        dash.step()
    assert dash._loss_ax.get_xlim()[1] > 19
    _assert_same_picture(png_outputs(dash), plots.render_png(dash.figure), "after 12 steps")
    dash.step()
    _assert_same_picture(png_outputs(dash), plots.render_png(dash.figure), "after 13 steps")


def test_fast_redraw_after_the_number_of_categories_changes():
    W.setup_figures("png")
    dash = W.logit_explorer()
    dash.logits_text.value = "1, 2, 3, 4, 5"
    dash.sliders[4].value = -2.0
    _assert_same_picture(png_outputs(dash), plots.render_png(dash.figure), "5 categories")
    dash.logits_text.value = "1, 2"        # the removed bars must not come back
    dash.sliders[0].value = 3.0
    _assert_same_picture(png_outputs(dash), plots.render_png(dash.figure), "2 categories")


def test_live_canvas_gets_only_the_changed_pixels(monkeypatch):
    """With a browser connected (imitated), an update blits instead of asking for a full draw."""
    W.setup_figures("canvas")
    dash = W.temperature_explorer()
    canvas = dash.figure.canvas
    canvas.syncing_data_url = False           # what ipympl does once the browser has said hello
    canvas.draw()                             # the browser's first request: a full draw
    calls = []
    monkeypatch.setattr(canvas, "draw_idle", lambda *a, **k: calls.append("draw_idle"))
    blit = canvas.blit
    monkeypatch.setattr(canvas, "blit", lambda *a, **k: (calls.append("blit"), blit(*a, **k)))
    monkeypatch.setattr(canvas, "send_binary", lambda data: calls.append("frame"))
    dash.temperature.value = 0.2
    assert calls == ["frame"]                 # the changed pixels, pushed: no draw request, no ipympl blit
    shown = np.asarray(canvas.buffer_rgba()).copy()
    canvas.draw()
    assert np.array_equal(shown, np.asarray(canvas.buffer_rgba()))


@pytest.mark.parametrize("name", DASHBOARDS)
def test_every_axis_is_labelled(name):
    dash = DASHBOARDS[name]()
    for ax in dash.figure.axes:
        is_colorbar = ax.get_label() == "<colorbar>"
        if is_colorbar:
            assert ax.get_ylabel() or ax.get_xlabel()
        else:
            assert ax.get_xlabel() and ax.get_ylabel(), f"unlabelled axis in {name}"


@pytest.mark.parametrize("name", DASHBOARDS)
def test_presentation_makes_figure_and_fonts_larger(name):
    normal, big = DASHBOARDS[name](), DASHBOARDS[name](presentation=True)
    assert big.figure.get_figwidth() > normal.figure.get_figwidth()
    assert big.figure.axes[0].xaxis.label.get_fontsize() > normal.figure.axes[0].xaxis.label.get_fontsize()
    assert "softmax-lab-presentation" in big._dom_classes
    assert "softmax-lab-presentation" not in normal._dom_classes


def test_classroom_switch_turns_presentation_on(monkeypatch):
    """`make demo` sets SOFTMAX_LAB_PRESENTATION=1: every dashboard then projects large."""
    monkeypatch.setenv("SOFTMAX_LAB_PRESENTATION", "1")
    for name, build in DASHBOARDS.items():
        assert build().presentation, name
    monkeypatch.setenv("SOFTMAX_LAB_PRESENTATION", "0")
    assert not DASHBOARDS["logit_explorer"]().presentation


@pytest.mark.parametrize("name", DASHBOARDS)
def test_slider_descriptions_have_room(name):
    dash = DASHBOARDS[name]()
    sliders = [w for w in _all_widgets(dash) if isinstance(w, (ipywidgets.FloatSlider, ipywidgets.FloatLogSlider))]
    assert sliders
    for s in sliders:
        width = s.style.description_width
        assert width.endswith("ch") and int(width[:-2]) >= len(s.description), (s.description, width)


def _all_widgets(box):
    for child in box.children:
        yield child
        if isinstance(child, ipywidgets.Box):
            yield from _all_widgets(child)


# ---------------------------------------------------------------------------------------------
# Errors inside callbacks are shown, not lost
# ---------------------------------------------------------------------------------------------

_POKES = {"n": 0}


def _poke(dash):
    """Move the main control of a dashboard to a new value, as a learner would.

    The value always differs from the control's current one: setting a slider to the value it
    already has sends no change, so no callback would run (whatever tests ran before)."""
    _POKES["n"] += 1
    value = 0.5 + 0.25 * (_POKES["n"] % 8)
    control, scale = {W.LogitExplorer: (lambda: dash.sliders[0], 1),
                      W.TemperatureExplorer: (lambda: dash.temperature, 1),
                      W.SigmoidVsSoftmax: (lambda: dash.z0, 1),
                      W.StabilityExplorer: (lambda: dash.scale, 10),
                      W.SamplerDashboard: (lambda: dash.temperature, 1)}.get(type(dash), (None, 1))
    if control is None:
        dash.step_button.click()
        return
    slider = control()
    if np.isclose(slider.value, scale * value):
        value += 0.125
    slider.value = scale * value


@pytest.mark.parametrize("name", DASHBOARDS)
def test_callback_error_is_shown_in_the_dashboard(name, mode, monkeypatch):
    dash = DASHBOARDS[name]()

    def broken(*args, **kwargs):
        raise ArithmeticError("simulated failure in the maths")

    monkeypatch.setattr(plots, "redraw", broken)
    _poke(dash)                               # must not raise: the error goes to the dashboard
    assert "simulated failure in the maths" in html.unescape(dash.error.value)
    assert "ArithmeticError" in dash.error.value
    assert isinstance(dash.errors[-1], ArithmeticError)
    details = "".join(o.get("text", "") for o in dash.error_details.outputs)
    assert "Traceback" in details and "simulated failure" in details
    assert dash.error_details.layout.display is None      # visible
    for _ in range(4):                        # a learner keeps trying: every error is recorded,
        _poke(dash)                           # the tracebacks shown stay few
    assert len(dash.errors) == 5 and len(dash.error_details.outputs) == 3

    monkeypatch.undo()                        # the maths works again: the banner goes away
    _poke(dash)
    assert dash.error.value == ""
    assert len(dash.errors) == 5


# ---------------------------------------------------------------------------------------------
# Logit explorer
# ---------------------------------------------------------------------------------------------

def test_logit_explorer_default_is_the_cat_example():
    dash = W.logit_explorer()
    assert dash.labels == ["mat", "floor", "roof"]
    assert [s.description for s in dash.sliders] == ["mat", "floor", "roof"]
    assert [s.value for s in dash.sliders] == [2.0, 1.0, 0.1]
    assert all(s.min == -10 and s.max == 10 for s in dash.sliders)
    assert [t.get_text() for t in dash.bars.ax.get_xticklabels()] == ["mat", "floor", "roof"]


def test_logit_explorer_bars_follow_the_sliders(mode):
    dash = W.logit_explorer()
    figure, ax, bars = dash.figure, dash.bars.ax, dash.bars.bars
    dash.sliders[0].value = -1.5
    dash.sliders[2].value = 4.25
    expected = softmax([-1.5, 1.0, 4.25])
    np.testing.assert_allclose(heights(dash.bars), expected, rtol=1e-12)
    np.testing.assert_allclose(dash.probabilities, expected, rtol=1e-12)
    assert texts(dash.bars) == [f"{p:.3f}" for p in expected]
    assert dash.figure is figure and dash.bars.ax is ax and dash.bars.bars is bars   # updated in place
    assert dash.figure.axes == [ax]
    # the most probable bar is highlighted
    assert [b.get_facecolor() for b in bars].count(bars[2].get_facecolor()) == 1


def test_logit_explorer_value_labels_sit_on_their_bars():
    dash = W.logit_explorer()
    for bar, text in zip(dash.bars.bars, dash.bars.texts):
        x, y = text.get_position()
        assert x == pytest.approx(bar.get_x() + bar.get_width() / 2)
        assert y == pytest.approx(bar.get_height(), abs=0.03) and y >= bar.get_height()


def test_logit_explorer_readouts():
    dash = W.logit_explorer()
    dash.sliders[1].value = 3.0
    p = softmax([2.0, 3.0, 0.1])
    h = float(entropy(p))
    text = html.unescape(dash.readout.value)
    assert f"{h:.4f} nats" in text
    assert f"{h / np.log(2):.4f} bits" in text
    assert f"{p.max():.4f} (floor)" in text
    assert f"{p.sum():.6f}" in text and "1.000000" in text


def test_logit_explorer_temperature():
    dash = W.logit_explorer(temperature=0.5)
    np.testing.assert_allclose(heights(dash.bars), softmax([2.0, 1.0, 0.1], temperature=0.5))
    with pytest.raises(ValueError, match="temperature"):
        W.logit_explorer(temperature=0)


def test_shift_moves_the_logits_but_not_the_distribution(mode):
    dash = W.logit_explorer()
    before = heights(dash.bars)
    dash.shift.value = 7.5
    np.testing.assert_allclose(dash.logits, [9.5, 8.5, 7.6])
    np.testing.assert_allclose(heights(dash.bars), before, rtol=1e-12)
    assert "9.50, 8.50, 7.60" in dash.readout.value
    dash.shift.value = -10.0
    np.testing.assert_allclose(heights(dash.bars), before, rtol=1e-12)


def test_typed_logits_with_the_same_count_update_sliders_not_artists(mode):
    dash = W.logit_explorer()
    bars, sliders, figure = dash.bars.bars, list(dash.sliders), dash.figure
    dash.logits_text.value = "0.5, -2, 3"
    assert [s.value for s in dash.sliders] == [0.5, -2.0, 3.0]
    np.testing.assert_allclose(heights(dash.bars), softmax([0.5, -2.0, 3.0]))
    assert dash.sliders == sliders and dash.bars.bars is bars and dash.figure is figure
    assert message_text(dash) == ""


def test_typed_logits_with_a_new_count_rebuild_bars_in_the_same_figure(mode):
    dash = W.logit_explorer()
    figure, ax = dash.figure, dash.bars.ax
    dash.logits_text.value = "1 2 3 4 5"
    assert len(dash.sliders) == 5 and len(dash.bars.bars) == 5 and len(dash.bars.texts) == 5
    assert dash.labels == ["mat", "floor", "roof", "word 4", "word 5"]
    assert [t.get_text() for t in ax.get_xticklabels()] == dash.labels
    np.testing.assert_allclose(heights(dash.bars), softmax([1, 2, 3, 4, 5]))
    assert dash.figure is figure and dash.bars.ax is ax and figure.axes == [ax]
    assert len(ax.patches) == 5 and len(ax.texts) == 5          # the old bars are gone
    assert dash.labels_text.value == "mat, floor, roof, word 4, word 5"
    dash.logits_text.value = "0, 1"
    assert dash.labels == ["mat", "floor"] and len(ax.patches) == 2
    dash.sliders[1].value = -4.0                                  # the new sliders are wired
    np.testing.assert_allclose(heights(dash.bars), softmax([0.0, -4.0]))


@pytest.mark.parametrize("typed, complaint", [
    ("1e308", "outside the range"),
    ("2, 1e308", "outside the range"),
    ("2, 1e400", "not a finite number"),
    ("nan, 1", "not a finite number"),
    ("inf, 1", "not a finite number"),
    ("-inf 0", "not a finite number"),
    ("a, b", "'a' is not a number"),
    ("2, 1, 0.1x", "'0.1x' is not a number"),
    ("__import__('os').system('true')", "not a number"),
    ("", "at least 2"),
    ("   ,, ", "at least 2"),
    ("3", "at least 2"),
    (", ".join(["1"] * 40), "at most 12"),
    ("11, 0", "outside the range"),
    ("1" * 1000, "characters"),
])
def test_garbage_logits_are_refused_and_the_dashboard_keeps_working(typed, complaint, mode):
    dash = W.logit_explorer()
    dash.sliders[0].value = 1.5
    state = (list(dash.labels), dash.logits.copy(), heights(dash.bars))
    dash.logits_text.value = typed
    assert complaint in message_text(dash)
    assert "logits not changed" in message_text(dash)
    assert dash.labels == state[0] and len(dash.sliders) == 3
    np.testing.assert_array_equal(dash.logits, state[1])
    np.testing.assert_array_equal(heights(dash.bars), state[2])
    assert dash.errors == []
    # still alive: a good value works and clears the message
    dash.logits_text.value = "0, 0, 1"
    np.testing.assert_allclose(heights(dash.bars), softmax([0.0, 0.0, 1.0]))
    assert message_text(dash) == ""


def test_typed_labels_rename_or_change_the_count(mode):
    dash = W.logit_explorer()
    bars = dash.bars.bars
    dash.labels_text.value = "rug, sofa, bed"
    assert dash.labels == ["rug", "sofa", "bed"] and dash.bars.bars is bars
    assert [s.description for s in dash.sliders] == ["rug", "sofa", "bed"]
    assert [t.get_text() for t in dash.bars.ax.get_xticklabels()] == ["rug", "sofa", "bed"]
    dash.labels_text.value = "rug, sofa, bed, chair"
    assert len(dash.sliders) == 4 and [s.value for s in dash.sliders] == [2.0, 1.0, 0.1, 0.0]
    np.testing.assert_allclose(heights(dash.bars), softmax([2.0, 1.0, 0.1, 0.0]))
    assert dash.logits_text.value == "2, 1, 0.1, 0"
    assert "cat sat" not in dash.bars.ax.get_title()         # the story no longer fits the labels


def test_cat_title_stays_while_the_cat_labels_do():
    dash = W.logit_explorer()
    assert "The cat sat on the" in dash.bars.ax.get_title()
    dash.logits_text.value = "1, 2, 3, 4"                    # mat, floor, roof, word 4
    assert "The cat sat on the" in dash.bars.ax.get_title()


@pytest.mark.parametrize("typed, complaint", [
    ("", "at least 2"),
    ("mat", "at least 2"),
    ("mat, mat", "appears twice"),
    ("mat, " + "x" * 40, "longer than"),
    (", ".join(f"w{i}" for i in range(13)), "at most 12"),
])
def test_garbage_labels_are_refused(typed, complaint):
    dash = W.logit_explorer()
    dash.labels_text.value = typed
    assert complaint in message_text(dash) and "labels not changed" in message_text(dash)
    assert dash.labels == ["mat", "floor", "roof"]


def test_labels_with_dollar_signs_do_not_break_the_figure():
    dash = W.logit_explorer()
    dash.labels_text.value = "$5, $10, 20$"
    plots.render_png(dash.figure)            # mathtext would fail to parse an unescaped '$'
    assert dash.labels == ["$5", "$10", "20$"]
    assert dash.errors == []


def test_logit_explorer_checks_its_arguments():
    with pytest.raises(ValueError, match="logits"):
        W.logit_explorer([1.0])
    with pytest.raises(ValueError, match="logits"):
        W.logit_explorer(np.arange(13.0) / 10)
    with pytest.raises(ValueError, match="logits"):
        W.logit_explorer([1.0, np.nan])
    with pytest.raises(ValueError, match="logits"):
        W.logit_explorer([1.0, 50.0])
    with pytest.raises(ValueError, match="labels"):
        W.logit_explorer([1.0, 2.0], ["a", "b", "c"])
    with pytest.raises(TypeError, match="labels"):
        W.logit_explorer([1.0, 2.0], "ab")
    dash = W.logit_explorer([0.0, 1.0, 2.0, 3.0])
    assert dash.labels == ["word 1", "word 2", "word 3", "word 4"]


def test_parse_logits_and_labels_directly():
    np.testing.assert_array_equal(W.parse_logits(" 1;2 ,\t3 "), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(W.parse_logits("-10, 10"), [-10.0, 10.0])
    with pytest.raises(TypeError):
        W.parse_logits([1, 2])
    assert W.parse_labels(" a , b ") == ["a", "b"]


# ---------------------------------------------------------------------------------------------
# Temperature explorer
# ---------------------------------------------------------------------------------------------

def test_temperature_explorer_slider_is_logarithmic():
    dash = W.temperature_explorer()
    assert isinstance(dash.temperature, ipywidgets.FloatLogSlider)
    assert dash.temperature.base ** dash.temperature.min == pytest.approx(0.01)
    assert dash.temperature.base ** dash.temperature.max == pytest.approx(100)
    assert dash.temperature.value == 1.0


@pytest.mark.parametrize("t", [0.37, 3.0])
def test_temperature_explorer_bars_and_markers_follow_t(t, mode):
    dash = W.temperature_explorer()
    figure, marker = dash.figure, dash.entropy_marker
    dash.temperature.value = t
    p = softmax([2.0, 1.0, 0.1], temperature=t)
    np.testing.assert_allclose(heights(dash.bars), p)
    x, y = dash.entropy_marker.get_data()
    assert x[0] == pytest.approx(t) and y[0] == pytest.approx(float(entropy(p)))
    x, y = dash.max_probability_marker.get_data()
    assert x[0] == pytest.approx(t) and y[0] == pytest.approx(p.max())
    assert dash.figure is figure and dash.entropy_marker is marker
    assert f"T = {t:.3g}" in dash._bar_title.get_text()


def test_temperature_explorer_writes_values_on_bars_while_they_fit():
    few = W.temperature_explorer()
    few.temperature.value = 0.5
    p = softmax([2.0, 1.0, 0.1], temperature=0.5)
    assert [t.get_text() for t in few.bars.texts] == [f"{v:.3f}" for v in p]
    many = W.temperature_explorer(np.linspace(-3.0, 3.0, 10))
    many.temperature.value = 0.5
    assert not any(t.get_text() for t in many.bars.texts)     # 10 labels would crowd each other
    np.testing.assert_allclose(heights(many.bars), softmax(np.linspace(-3.0, 3.0, 10), temperature=0.5))


def test_temperature_curves_are_computed_once_from_softmax_lab():
    dash = W.temperature_explorer([1.0, -2.0, 0.5, 3.0])
    assert dash.grid[0] == pytest.approx(0.01) and dash.grid[-1] == pytest.approx(100)
    i = 100
    p = softmax([1.0, -2.0, 0.5, 3.0], temperature=dash.grid[i])
    assert dash.entropy_curve[i] == pytest.approx(float(entropy(p)))
    assert dash.max_probability_curve[i] == pytest.approx(p.max())
    lines = [line for ax in dash.figure.axes for line in ax.get_lines()]
    ys = [line.get_ydata() for line in lines]
    assert any(np.array_equal(y, dash.entropy_curve) for y in ys)
    assert any(np.array_equal(y, dash.max_probability_curve) for y in ys)


def test_temperature_explorer_is_stable_at_the_smallest_t():
    dash = W.temperature_explorer([10.0, 9.99, -10.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dash.temperature.value = 0.01
        plots.render_png(dash.figure)
    p = heights(dash.bars)
    assert np.isfinite(p).all() and np.isfinite(dash.entropy_curve).all()
    np.testing.assert_allclose(p, softmax([10.0, 9.99, -10.0], temperature=0.01))
    assert p[0] > 0.7 and p[2] == 0.0
    assert dash.errors == []


def test_temperature_explorer_shows_both_limits():
    dash = W.temperature_explorer()
    k = 3
    hlines = {round(float(line.get_ydata()[0]), 6) for ax in dash.figure.axes for line in ax.get_lines()
              if line.get_linestyle() == "--"}
    assert {round(np.log(k), 6), 0.0, round(1 / k, 6), 1.0} <= hlines
    notes = " ".join(t.get_text() for ax in dash.figure.axes for t in ax.texts)
    assert "uniform" in notes and "argmax" in notes and "log K = 1.099" in notes
    dash.temperature.value = 100
    np.testing.assert_allclose(heights(dash.bars), 1 / k, atol=0.01)
    dash.temperature.value = 0.01
    np.testing.assert_allclose(heights(dash.bars), [1, 0, 0], atol=1e-12)


def test_temperature_limits_with_a_tie_at_the_top():
    dash = W.temperature_explorer([1.0, 1.0, -1.0])
    notes = " ".join(t.get_text() for ax in dash.figure.axes for t in ax.texts)
    assert "1/2" in notes and "log 2" in notes
    dash.temperature.value = 0.01
    np.testing.assert_allclose(heights(dash.bars), [0.5, 0.5, 0.0], atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Sigmoid versus softmax
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("z0, z1", [(0.0, 0.0), (-3.0, 2.5), (9.0, -9.0)])
def test_two_class_softmax_bar_equals_the_sigmoid_bar(z0, z1, mode):
    dash = W.sigmoid_vs_softmax()
    figure = dash.figure
    dash.z0.value, dash.z1.value = z0, z1
    expected = float(softmax([z0, z1])[1])
    assert expected == pytest.approx(float(sigmoid(z1 - z0)), abs=1e-15)
    np.testing.assert_allclose(heights(dash.pair_bars), [expected, expected], rtol=1e-12)
    assert texts(dash.pair_bars) == [f"{expected:.3f}"] * 2
    assert f"{expected:.6f}" in dash.readout.value
    assert dash.figure is figure


def test_multi_label_sigmoids_are_free_and_the_softmax_sums_to_one(mode):
    dash = W.sigmoid_vs_softmax()
    values = [3.0, 2.0, 1.0, 0.5]
    for s, v in zip(dash.label_sliders, values):
        s.value = v
    np.testing.assert_allclose(heights(dash.multi_sigmoid_bars), sigmoid(values))
    np.testing.assert_allclose(heights(dash.multi_softmax_bars), softmax(values))
    s_sum = float(sigmoid(values).sum())
    assert s_sum > 1
    assert f"sigmoids {s_sum:.2f}" in dash._multi_title.get_text()
    assert "softmax 1.00" in dash._multi_title.get_text()
    assert f"{s_sum:.4f}" in dash.readout.value
    for s in dash.label_sliders:
        s.value = -5.0
    assert heights(dash.multi_sigmoid_bars).sum() < 0.1          # all "no": the sum is free
    assert heights(dash.multi_softmax_bars).sum() == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------
# Gradient stepper
# ---------------------------------------------------------------------------------------------

def test_gradient_stepper_shows_p_y_and_the_gradient(mode):
    dash = W.gradient_stepper([0.1, 1.0, 2.0], target=0)
    p = softmax([0.1, 1.0, 2.0])
    np.testing.assert_allclose(heights(dash.probability_bars), p)
    np.testing.assert_array_equal(heights(dash.target_bars), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(heights(dash.gradient_bars), p - [1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(heights(dash.gradient_bars), cross_entropy_grad([0.1, 1.0, 2.0], 0))
    np.testing.assert_allclose(dash.jacobian_image.get_array(), softmax_jacobian([0.1, 1.0, 2.0]))
    assert dash.jacobian_image.get_clim() == (-0.25, 0.25)


def test_step_applies_gradient_descent_and_the_loss_goes_down(mode):
    dash = W.gradient_stepper([0.1, 1.0, 2.0], target=0, learning_rate=0.5)
    figure, image, line = dash.figure, dash.jacobian_image, dash.loss_line
    z = np.array([0.1, 1.0, 2.0])
    for _ in range(5):
        dash.step_button.click()
        z = z - 0.5 * cross_entropy_grad(z, 0)
    np.testing.assert_allclose(dash.logits, z, rtol=1e-12)
    losses = dash.loss_history
    assert len(losses) == 6
    assert losses[0] == pytest.approx(float(cross_entropy([0.1, 1.0, 2.0], 0)))
    assert losses[-1] == pytest.approx(float(cross_entropy(z, 0)))
    assert all(b < a for a, b in zip(losses, losses[1:]))
    np.testing.assert_allclose(dash.loss_line.get_ydata(), losses)
    np.testing.assert_array_equal(dash.loss_line.get_xdata(), np.arange(6))
    np.testing.assert_allclose(dash.jacobian_image.get_array(), softmax_jacobian(z))
    np.testing.assert_allclose(heights(dash.probability_bars), softmax(z))
    assert dash.figure is figure and dash.jacobian_image is image and dash.loss_line is line
    assert "after 5 step(s)" in dash.readout.value


def test_learning_rate_slider_sets_the_step_size():
    dash = W.gradient_stepper([0.1, 1.0, 2.0], target=0)
    dash.learning_rate.value = 2.0
    assert "z \u2212 2.00(p \u2212 y)" in dash._gradient_title.get_text()    # the figure shows it
    step = -2.0 * cross_entropy_grad([0.1, 1.0, 2.0], 0)
    assert ", ".join(f"{v:+.3f}" for v in step) in dash.readout.value
    dash.step()
    np.testing.assert_allclose(dash.logits, np.array([0.1, 1.0, 2.0]) - 2.0 * cross_entropy_grad([0.1, 1.0, 2.0], 0))


def test_reset_and_target_change():
    dash = W.gradient_stepper([0.1, 1.0, 2.0], target=0)
    dash.step(), dash.step()
    dash.reset_button.click()
    np.testing.assert_array_equal(dash.logits, [0.1, 1.0, 2.0])
    assert dash.loss_history == [pytest.approx(float(cross_entropy([0.1, 1.0, 2.0], 0)))]
    assert len(dash.loss_line.get_xdata()) == 1
    dash.step()
    z = dash.logits.copy()
    dash.target.value = 2
    np.testing.assert_array_equal(heights(dash.target_bars), [0.0, 0.0, 1.0])
    np.testing.assert_allclose(heights(dash.gradient_bars), softmax(z) - [0, 0, 1], atol=1e-12)
    assert dash.loss_history == [pytest.approx(float(cross_entropy(z, 2)))]


def test_gradient_stepper_checks_its_arguments():
    with pytest.raises(ValueError, match="target"):
        W.gradient_stepper(target=3)
    with pytest.raises(ValueError, match="target"):
        W.gradient_stepper(target=True)
    with pytest.raises(ValueError, match="learning_rate"):
        W.gradient_stepper(learning_rate=0)
    with pytest.raises(ValueError, match="learning_rate"):
        W.gradient_stepper(learning_rate=float("nan"))
    with pytest.raises(ValueError, match="logits"):
        W.gradient_stepper(logits=[1.0, float("inf")])


def test_gradient_stepper_with_many_classes_has_no_cell_numbers():
    dash = W.gradient_stepper(np.linspace(-2, 2, 8), target=3)
    assert dash.jacobian_image.get_array().shape == (8, 8)
    assert dash._jacobian_texts == [] and dash.probability_bars.texts == [] and dash.gradient_bars.texts == []
    assert len(W.gradient_stepper()._jacobian_texts) == 3       # 3 classes: numbers in the cells
    assert dash.labels[3] == "word 4"
    dash.step()
    np.testing.assert_allclose(dash.jacobian_image.get_array(), softmax_jacobian(dash.logits))


# ---------------------------------------------------------------------------------------------
# plots helpers
# ---------------------------------------------------------------------------------------------

def test_vocabulary_stairs_update_in_place():
    fig, ax = plots.new_figure()
    patch = plots.vocabulary_stairs(ax, np.full(1000, 1e-3))
    new = softmax(np.linspace(0, 5, 1000))
    patch.set_data(new)
    np.testing.assert_allclose(patch.get_data().values, new)
    assert len(ax.patches) == 1
    plots.render_png(fig)


def test_set_heights_refuses_a_wrong_length():
    fig, ax = plots.new_figure()
    group = plots.probability_bars(ax, ["a", "b"])
    with pytest.raises(ValueError, match="2 bars"):
        plots.set_heights(group, [0.2, 0.3, 0.5])


def test_new_figure_refuses_an_unknown_mode():
    with pytest.raises(ValueError, match="mode"):
        plots.new_figure(mode="svg")


# ---------------------------------------------------------------------------------------------
# Stability explorer (lesson 05)
# ---------------------------------------------------------------------------------------------

def test_stability_explorer_agrees_with_the_maths_while_naive_works(mode):
    dash = W.stability_explorer()
    figure = dash.figure
    dash.dtype.value = "float64"
    dash.scale.value = 3.0
    z = 3.0 * np.array([2.0, 1.0, 0.1])
    np.testing.assert_allclose(dash.logits, z)
    np.testing.assert_allclose(heights(dash.naive_bars), naive_softmax(z), rtol=1e-12)
    np.testing.assert_allclose(heights(dash.stable_bars), softmax(z), rtol=1e-12)
    assert not dash.naive_broken and [t.get_text() for t in dash.broken_marks] == ["", "", ""]
    assert "works" in dash._line_title.get_text()
    assert dash.zmax_marker.get_data()[0][0] == pytest.approx(6.0)
    assert dash.figure is figure


@pytest.mark.parametrize("dtype, limit", [("float16", 11.09), ("float32", 88.72), ("float64", 709.78)])
def test_stability_explorer_shows_the_largest_safe_logit(dtype, limit):
    dash = W.stability_explorer()
    dash.dtype.value = dtype
    assert dash.largest_safe_logit == pytest.approx(float(np.log(float(np.finfo(dtype).max))))
    assert f"{limit:.2f}" in dash.readout.value
    notes = " ".join(t.get_text() for t in dash._line_ax.texts)
    assert f"above {limit:.2f}" in notes
    assert dash.logits.dtype == np.dtype(dtype) and dash.probabilities.dtype == np.dtype(dtype)


def test_stability_explorer_marks_where_naive_breaks():
    dash = W.stability_explorer()
    dash.dtype.value = "float16"
    dash.scale.value = 10.0                              # logits 20, 10, 1: exp(20) > 65504
    assert dash.naive_broken
    assert np.isnan(dash.naive[0])
    assert dash.broken_marks[0].get_text() == "NaN" and dash.naive_bars.texts[0].get_text() == ""
    assert heights(dash.naive_bars)[0] == 0.0
    np.testing.assert_allclose(heights(dash.stable_bars), softmax(np.array([20, 10, 1], dtype=np.float16)))
    assert "BREAKS" in dash._line_title.get_text()
    assert "overflows to inf" in dash.readout.value
    dash.dtype.value = "float32"                         # the same logits are fine in float32
    assert not dash.naive_broken and dash.broken_marks[0].get_text() == ""


def test_stability_explorer_flags_silently_wrong_results():
    """float16, logits shifted by -19: no NaN, yet naive gives [1, 0, 0] where softmax gives [0.66, 0.24, 0.10]."""
    dash = W.stability_explorer()
    dash.dtype.value = "float16"
    dash.shift.value = -19.0
    assert np.isfinite(dash.naive).all() and dash.naive.astype(float).sum() == pytest.approx(1.0)
    assert abs(float(dash.naive[0]) - float(dash.probabilities[0])) > 0.1
    assert dash.naive_broken and "wrong probabilities" in dash.readout.value
    assert "BREAKS" in dash._line_title.get_text()
    dash.dtype.value = "float64"                         # float64 has the range for it
    assert not dash.naive_broken and "works here" in dash.readout.value


def test_stability_explorer_shows_underflow_too():
    dash = W.stability_explorer()
    dash.dtype.value = "float32"
    dash.shift.value = -1000.0                           # every exp(z) underflows to 0
    assert dash.naive_broken and "underflows to 0" in dash.readout.value
    assert all(t.get_text() == "NaN" for t in dash.broken_marks)
    np.testing.assert_allclose(dash.probabilities, softmax([2.0, 1.0, 0.1]), atol=1e-4)  # float32 at 1000


@pytest.mark.parametrize("dtype", W.STABILITY_DTYPES)
def test_stability_explorer_never_leaks_a_warning(dtype):
    dash = W.stability_explorer()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dash.dtype.value = dtype
        for scale in (1.0, 30.0, 1000.0):
            for shift in (-1000.0, 0.0, 1000.0):
                dash.scale.value, dash.shift.value = scale, shift
                assert np.isfinite(heights(dash.stable_bars)).all()
                assert np.isfinite(heights(dash.naive_bars)).all()
                assert float(dash.probabilities.astype(np.float64).sum()) == pytest.approx(1.0, abs=1e-3)
        plots.render_png(dash.figure)
    assert dash.errors == []


# ---------------------------------------------------------------------------------------------
# Sampler dashboard (lesson 06)
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def model():
    from softmax_lab import lm

    return lm.load("best")


def _sorted_stairs(dash):
    return dash.all_stairs.get_data().values, dash.kept_stairs.get_data().values


@pytest.mark.parametrize("strategy, setting", [
    ("greedy", None), ("temperature", None), ("top-k", 7), ("top-p", 0.8), ("min-p", 0.05)])
@pytest.mark.parametrize("t", [0.5, 2.0])
def test_sampler_keeps_exactly_what_sampling_samples_from(strategy, setting, t, model):
    dash = W.sampler_dashboard(model=model)
    dash.strategy.value = strategy
    dash.temperature.value = t
    if strategy == "top-k":
        dash.top_k.value = setting
    elif strategy == "top-p":
        dash.top_p.value = setting
    elif strategy == "min-p":
        dash.min_p.value = setting
    z = lm_logits(model, "the cat sat on the")
    np.testing.assert_array_equal(dash.logits, z)
    kwargs = dash.sampling_kwargs
    pi = sampling.sampling_distribution(z, **kwargs)
    np.testing.assert_array_equal(dash.probabilities, pi)
    np.testing.assert_array_equal(dash.kept, pi > 0)
    temperature = 1.0 if strategy == "greedy" else t
    q = softmax(z, temperature=temperature)
    assert dash.dropped_mass == pytest.approx(float(q[pi == 0].sum()))
    expected_kept = {"greedy": 1, "temperature": len(z), "top-k": setting}.get(strategy)
    if expected_kept is not None:
        assert dash.kept.sum() == expected_kept
    if strategy == "top-p":                          # the smallest head reaching p
        head = np.sort(q)[::-1][:dash.kept.sum()]
        assert head.sum() >= setting - 1e-12 and head[:-1].sum() < setting
    if strategy == "min-p":
        np.testing.assert_array_equal(dash.kept, q >= setting * q.max() * (1 - 1e-9))
    # the picture: all tokens sorted by probability, kept ones shaded
    every, shaded = _sorted_stairs(dash)
    np.testing.assert_allclose(every, np.maximum(np.sort(q)[::-1], W._PROBABILITY_FLOOR), rtol=1e-12)
    n = int(dash.kept.sum())
    np.testing.assert_allclose(shaded[:n], every[:n])
    assert np.all(shaded[n:] == W._PROBABILITY_FLOOR)
    title = dash._title_text.get_text()
    assert f"{n} of {len(z)} tokens kept" in title and f"{dash.dropped_mass:.3f}" in title
    assert f"{dash.dropped_mass:.4f}" in dash.readout.value


def lm_logits(model, prompt):
    from softmax_lab import lm

    return lm.next_token_logits(model, prompt)


def test_sampler_draws_stairs_not_bars(model):
    dash = W.sampler_dashboard(model=model)
    ax = dash._ax
    assert len(dash.all_stairs.get_data().values) == len(model.vocab) > 100
    assert [type(p).__name__ for p in ax.patches] == ["StepPatch", "StepPatch"]


def test_sampler_controls_follow_the_strategy(model):
    dash = W.sampler_dashboard(model=model)
    dash.strategy.value = "greedy"
    assert dash.temperature.disabled and dash.top_k.disabled and dash.top_p.disabled and dash.min_p.disabled
    assert dash.sampling_kwargs == {"temperature": 0}
    dash.strategy.value = "top-k"
    assert not dash.temperature.disabled and not dash.top_k.disabled and dash.top_p.disabled
    assert dash.sampling_kwargs == {"temperature": 1.0, "top_k": dash.top_k.value}


def test_generate_uses_the_model_with_the_chosen_strategy_and_seed(model):
    from softmax_lab import lm

    dash = W.sampler_dashboard(model=model)
    dash.strategy.value = "top-p"
    dash.top_p.value = 0.7
    dash.temperature.value = 0.8
    dash.n_words.value = 12
    dash.seed.value = 5
    dash.generate_button.click()
    expected = lm.generate(model, "the cat sat on the", 12, rng=np.random.default_rng(5), temperature=0.8,
                           top_p=0.7)
    assert dash.generated == [expected]
    assert html.escape(" ".join(expected)) in dash.output.value
    dash.generate_button.click()                   # the generator goes on: a new continuation
    assert len(dash.generated) == 2
    dash.strategy.value = "greedy"
    dash.generate_button.click()
    assert dash.generated[-1] == lm.generate(model, "the cat sat on the", 12, temperature=0)
    assert dash.errors == []


def test_sampler_prompt_box_changes_the_context(model):
    dash = W.sampler_dashboard(model=model)
    figure = dash.figure
    dash.prompt_text.value = "the dog"
    np.testing.assert_array_equal(dash.logits, lm_logits(model, "the dog"))
    every, _ = _sorted_stairs(dash)
    q = softmax(lm_logits(model, "the dog"), temperature=dash.temperature.value)
    np.testing.assert_allclose(every, np.maximum(np.sort(q)[::-1], W._PROBABILITY_FLOOR))
    assert dash.figure is figure
    dash.prompt_text.value = "x" * 500
    assert "prompt not changed" in message_text(dash)
    np.testing.assert_array_equal(dash.logits, lm_logits(model, "the dog"))


def test_sampler_with_given_logits_and_no_model_draws_tokens():
    dash = W.sampler_dashboard(logits=[3.0, 2.0, 1.0, 0.0], vocab=["mat", "rug", "bed", "roof"])
    assert dash.model is None and dash.generate_button.description == "Draw"
    dash.strategy.value = "top-k"
    dash.top_k.value = 2
    dash.n_words.value = 30
    dash.generate_button.click()
    assert len(dash.generated[-1]) == 30 and set(dash.generated[-1]) <= {"mat", "rug"}


def test_sampler_checks_its_arguments():
    with pytest.raises(ValueError, match="vocab"):
        W.sampler_dashboard(logits=[1.0, 2.0, 3.0], vocab=["a", "b"])
    with pytest.raises(ValueError, match="logits"):
        W.sampler_dashboard(logits=[1.0, np.nan], vocab=["a", "b"])
    with pytest.raises(ValueError, match="prompt"):
        W.sampler_dashboard(prompt="x" * 1000)
