"""Widget-logic tests of the shared machinery: lazy imports, the figure mode, callbacks whose errors
are shown.

Everything runs with no frontend (matplotlib's Agg renderer underneath). Tests that touch the
figure run in both figure modes: "png" (an Output widget showing a PNG) and "canvas" (the live
ipympl canvas embedded in the layout). The expected numbers always come from softmax_lab's
math functions, computed here independently of the dashboard.
"""

import html
import io
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("ipympl")

import ipywidgets  # noqa: E402
from widget_helpers import DASHBOARDS, FIGURE_MODES, choose_mode, png_outputs, restore_figure_state  # noqa: E402  # noqa: E402

from softmax_lab import plots  # noqa: E402
from softmax_lab import widgets as W  # noqa: E402


@pytest.fixture(autouse=True)
def _restore_figure_state(monkeypatch):
    yield from restore_figure_state(monkeypatch)


@pytest.fixture(params=FIGURE_MODES)
def mode(request):
    return choose_mode(request)


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
    monkeypatch.setenv(W._base.ENV_VAR, "png")
    assert W.setup_figures() == "png"
    assert W.logit_explorer().figure_mode == "png"
    monkeypatch.setenv(W._base.ENV_VAR, "canvas")
    assert W.setup_figures() == "canvas"
    assert W.logit_explorer().figure_mode == "canvas"


def test_env_var_is_used_without_setup(monkeypatch):
    monkeypatch.setenv(W._base.ENV_VAR, "canvas")
    assert W.current_figure_mode() == "canvas"
    monkeypatch.setenv(W._base.ENV_VAR, "PNG")
    assert W.current_figure_mode() == "png"


def test_explicit_mode_wins_over_env_var(monkeypatch):
    monkeypatch.setenv(W._base.ENV_VAR, "canvas")
    assert W.setup_figures("png") == "png"


def test_bad_mode_and_bad_env_var_are_errors(monkeypatch):
    with pytest.raises(ValueError, match="mode"):
        W.setup_figures("svg")
    monkeypatch.setenv(W._base.ENV_VAR, "widget")
    with pytest.raises(ValueError, match=W._base.ENV_VAR):
        W.setup_figures()


def test_auto_picks_png_in_colab(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", object())
    assert W.setup_figures() == "png"


def test_auto_picks_png_without_ipympl_and_canvas_with_it(monkeypatch):
    monkeypatch.setattr(W._base, "_ipympl_installed", lambda: False)
    assert W.setup_figures() == "png"
    with pytest.raises(ImportError, match="ipympl"):
        W.setup_figures("canvas")
    monkeypatch.setattr(W._base, "_ipympl_installed", lambda: True)
    assert W.setup_figures() == "canvas"
    assert matplotlib.get_backend() == W._base.IPYMPL_BACKEND   # canvas mode activates ipympl


def test_without_setup_the_active_backend_decides():
    matplotlib.use("agg")
    assert W.current_figure_mode() == "png"
    matplotlib.use(W._base.IPYMPL_BACKEND)
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
