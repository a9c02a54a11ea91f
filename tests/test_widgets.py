"""Widget-logic tests of the shared machinery: lazy imports, the figure mode, the PNG path and its
partial redraws, the opt-in live canvas, and callbacks whose errors are shown.

Everything runs with no front end (matplotlib's Agg renderer underneath). What every dashboard
must do is checked on all of them in test_widgets_contract.py; this module tests the machinery
itself on one or two dashboards.
"""

import html
import os
import subprocess
import sys

import matplotlib
import numpy as np
import pytest
from widget_helpers import differing_pixels, pixels, png_outputs

from softmax_lab import cross_entropy_grad, plots
from softmax_lab import widgets as W


@pytest.fixture(autouse=True)
def _fresh_figure_mode(monkeypatch):
    """Every test starts with no mode chosen and no environment override, and gets the backend back."""
    monkeypatch.delenv(W._base.ENV_VAR, raising=False)
    monkeypatch.setattr(W._base, "_chosen_mode", None)
    backend = matplotlib.get_backend()
    yield
    matplotlib.use(backend)


# ---------------------------------------------------------------------------------------------
# Lazy imports and the figure mode
# ---------------------------------------------------------------------------------------------

def test_import_softmax_lab_does_not_import_matplotlib_or_ipywidgets():
    code = ("import sys, softmax_lab; "
            "bad = [m for m in ('matplotlib', 'ipywidgets', 'ipympl') if m in sys.modules]; "
            "print(', '.join(bad)); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"import softmax_lab imported: {result.stdout.strip()} {result.stderr.strip()}"


@pytest.mark.slow
def test_the_dashboards_import_ipympl_only_when_a_canvas_is_asked_for():
    code = ("import sys\nfrom softmax_lab import widgets as W\nW.setup_figures()\nW.logit_explorer()\n"
            "assert 'ipympl' not in sys.modules, 'ipympl imported'\n")
    env = {k: v for k, v in os.environ.items() if k != W._base.ENV_VAR}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr


def test_png_is_the_default_everywhere(monkeypatch):
    assert W.current_figure_mode() == "png"
    assert W.setup_figures() == "png"
    assert W.logit_explorer().figure_mode == "png"
    monkeypatch.setitem(sys.modules, "google.colab", object())          # Colab: the same
    assert W.setup_figures() == "png"
    matplotlib.use("agg")
    assert W.current_figure_mode() == "png"


def test_env_var_chooses_the_mode_of_auto(monkeypatch):
    pytest.importorskip("ipympl")
    monkeypatch.setenv(W._base.ENV_VAR, "canvas")
    assert W.current_figure_mode() == "canvas"
    assert W.setup_figures() == "canvas"
    monkeypatch.setenv(W._base.ENV_VAR, "PNG")
    assert W.setup_figures() == "png"


def test_explicit_mode_wins_over_env_var(monkeypatch):
    monkeypatch.setenv(W._base.ENV_VAR, "canvas")
    assert W.setup_figures("png") == "png"
    assert W.current_figure_mode() == "png"


def test_bad_mode_and_bad_env_var_are_errors(monkeypatch):
    with pytest.raises(ValueError, match="mode"):
        W.setup_figures("svg")
    monkeypatch.setenv(W._base.ENV_VAR, "widget")
    with pytest.raises(ValueError, match=W._base.ENV_VAR):
        W.setup_figures()


def test_canvas_without_ipympl_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(W._base, "_ipympl_installed", lambda: False)
    assert W.setup_figures() == "png"                         # the default needs no ipympl
    with pytest.raises(ImportError, match="ipympl"):
        W.setup_figures("canvas")
    monkeypatch.setenv(W._base.ENV_VAR, "canvas")
    monkeypatch.setattr(W._base, "_chosen_mode", None)           # no setup_figures call: the variable decides
    with pytest.raises(ImportError, match="ipympl"):
        W.current_figure_mode()


# ---------------------------------------------------------------------------------------------
# The opt-in live canvas: ipympl's public API only
# ---------------------------------------------------------------------------------------------

def test_canvas_mode_puts_a_live_canvas_in_the_layout_and_repaints_with_draw_idle(monkeypatch):
    pytest.importorskip("ipympl")
    assert W.setup_figures("canvas") == "canvas"
    assert matplotlib.get_backend() == W._base.IPYMPL_BACKEND
    dash = W.logit_explorer()
    assert dash.figure_mode == "canvas" and dash.figure_view is dash.figure.canvas
    assert plots.is_live_canvas(dash.figure) and dash.figure.canvas in dash.children
    assert not any(artist.get_animated() for artist in dash.figure.findobj())     # ipympl draws it all
    calls = []
    monkeypatch.setattr(dash.figure.canvas, "draw_idle", lambda *a, **k: calls.append(1))
    dash.sliders[0].value = -3.0
    assert calls, "moving a slider did not repaint the live canvas"
    assert dash.errors == []


# ---------------------------------------------------------------------------------------------
# The PNG path: partial redraws
# ---------------------------------------------------------------------------------------------

def _draws(fig, monkeypatch):
    """Record the artists ``fig`` draws one by one (the partial redraws) and its full draws."""
    drawn, full = [], []
    draw_artist, draw = fig.draw_artist, fig.canvas.draw
    monkeypatch.setattr(fig, "draw_artist", lambda a: (drawn.append(a), draw_artist(a)))
    monkeypatch.setattr(fig.canvas, "draw", lambda *a, **k: (full.append(1), draw(*a, **k)))
    return drawn, full


@pytest.mark.slow
def test_a_learning_rate_change_leaves_the_jacobian_alone(monkeypatch):
    """Issue 18: the gradient stepper stops repainting its unchanged Jacobian."""
    dash = W.gradient_stepper()
    drawn, full = _draws(dash.figure, monkeypatch)
    dash.learning_rate.value = 1.5
    assert full == [] and drawn, "an ordinary update drew the whole figure"
    assert dash.jacobian_image not in drawn
    assert not any(text in drawn for row in dash._jacobian_texts for text in row)
    assert differing_pixels(png_outputs(dash), plots.render_png(dash.figure)) == 0
    drawn.clear()
    dash.step()                                                  # new logits: a new Jacobian
    assert dash.jacobian_image in drawn or full


def test_nothing_changed_nothing_drawn_or_sent(monkeypatch):
    dash = W.logit_explorer()
    shown = []
    monkeypatch.setattr(dash, "_show_png", shown.append)
    plots.attach_png_viewer(dash.figure, shown.append)
    dash.redraw()                                # a viewer attached anew: the whole figure, once
    assert len(shown) == 1
    drawn, full = _draws(dash.figure, monkeypatch)
    dash.redraw()
    assert shown[1:] == [] and drawn == [] and full == []


def test_a_new_viewer_gets_the_whole_picture_without_a_full_draw(monkeypatch):
    """A dashboard draws its figure while it sets itself up; attaching the view must not draw it
    all again (a second full draw cost 0.1-0.3 s per dashboard in Run All), yet the view must get
    every pixel of a full rendering."""
    def step(W_, b, X, y, learning_rate):       # a right gradient step of softmax regression
        g = cross_entropy_grad(X @ W_ + b, y)
        return W_ - learning_rate * X.T @ g, b - learning_rate * g.sum(axis=0)

    dash = W.classifier_trainer("shapes", step, n_steps=20)
    shown = []
    drawn, full = _draws(dash.figure, monkeypatch)
    plots.attach_png_viewer(dash.figure, shown.append)
    plots.redraw(dash.figure)               # not dash.redraw(): it would show its kept picture
    assert full == [] and drawn, "attaching a viewer drew the whole figure again"
    assert len(shown) == 1
    assert differing_pixels(shown[0], plots.render_png(dash.figure)) == 0


def test_a_bar_grown_then_shrunk_leaves_no_pixels_behind():
    """A partial redraw restores the pixels an artist painted last time: the box noted for a
    changed artist must be its new one. (Noting its old box leaves the tall bar's top and its
    moved value label on the canvas after it shrinks.)"""
    dash = W.logit_explorer()
    for value in (4.0, -3.0, 2.0, -4.0):       # partial redraws only: a full draw would note every box again
        dash.sliders[0].value = value
    assert differing_pixels(png_outputs(dash), plots.render_png(dash.figure)) == 0


def test_partial_redraws_after_the_axes_change():
    dash = W.gradient_stepper()
    for _ in range(12):                      # the loss axis grows from 10 to 20 steps: laid out again
        dash.step()
    assert dash._loss_ax.get_xlim()[1] > 19
    assert differing_pixels(png_outputs(dash), plots.render_png(dash.figure)) == 0
    dash.step()
    assert differing_pixels(png_outputs(dash), plots.render_png(dash.figure)) == 0


def test_partial_redraws_after_the_number_of_categories_changes():
    dash = W.logit_explorer()
    dash.logits_text.value = "1, 2, 3, 4, 5"
    dash.sliders[4].value = -2.0
    assert differing_pixels(png_outputs(dash), plots.render_png(dash.figure)) == 0
    dash.logits_text.value = "1, 2"        # the removed bars must not come back
    dash.sliders[0].value = 3.0
    assert differing_pixels(png_outputs(dash), plots.render_png(dash.figure)) == 0


def test_png_bytes_round_trip():
    rng = np.random.default_rng(3)
    for opaque in (True, False):
        rgba = rng.integers(0, 256, size=(17, 23, 4), dtype=np.uint8)
        if opaque:
            rgba[..., 3] = 255
        assert np.array_equal(pixels(plots.png_bytes(rgba)), rgba)


# ---------------------------------------------------------------------------------------------
# Errors inside callbacks are shown, not lost
# ---------------------------------------------------------------------------------------------

def test_repeated_errors_are_all_recorded_and_few_tracebacks_shown(monkeypatch):
    dash = W.logit_explorer()

    def broken(*args, **kwargs):
        raise ArithmeticError("simulated failure in the maths")

    monkeypatch.setattr(plots, "redraw", broken)
    for value in (1.0, 2.0, 3.0, 4.0, 5.0):     # a learner keeps trying
        dash.sliders[0].value = value
    assert len(dash.errors) == 5 and len(dash.error_details.outputs) == 3
    assert "simulated failure" in html.unescape(dash.error.value)
    monkeypatch.undo()
    dash.sliders[0].value = 0.0
    assert dash.error.value == "" and len(dash.errors) == 5
