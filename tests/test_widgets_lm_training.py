"""The training dashboard (lesson 07): starting loss, controls, background training, reproduction."""

import asyncio
import math
import threading

import numpy as np
import pytest

from softmax_lab import lm
from softmax_lab.widgets.lm_training import TOLERANCE, shipped_recipe, training_dashboard


@pytest.mark.slow
def test_the_loss_starts_near_log_v_and_an_overconfident_start_is_worse():
    dash = training_dashboard("overtrained")
    assert dash.log_v == pytest.approx(math.log(len(lm.load("best").vocab)))
    assert abs(dash.initial_loss - dash.log_v) < 0.1
    assert "log V" in dash.readout.value
    plain = dash.initial_loss
    dash.init_scale.value = 100.0
    assert dash.initial_loss > plain + 5                    # large last-layer weights: sure and wrong
    assert dash.history["confidence"][0] > 0.5 and dash.history["accuracy"][0] < 0.05
    assert dash.history["step"] == [0]


@pytest.mark.slow
def test_run_steps_then_a_setting_change_starts_over():
    dash = training_dashboard("overtrained")
    dash.run(60)
    assert dash.trainer.step == 60 and dash.progress.value == 60
    assert dash.history["step"] == [0, 50]                   # evaluated every 50 steps
    assert dash.history["val_loss"][1] < dash.history["val_loss"][0]
    assert len(dash.val_line.get_xdata()) == 2
    dash.learning_rate.value = 2e-3
    assert dash.trainer.step == 0 and dash.history["step"] == [0]
    assert dash.trainer.learning_rate == 2e-3
    dash.subset.value = 500
    assert len(dash.trainer.targets) == len(lm.make_examples(dash._sentences[:500], dash.index, 3)[1])
    dash.label_smoothing.value = 0.2
    assert dash.trainer.label_smoothing == pytest.approx(0.2)
    dash.recipe.value = "best"
    assert dash.settings == {k: v for k, v in shipped_recipe("best").items() if k != "train_sentences"}
    assert dash.errors == []


@pytest.mark.slow
def test_background_training_stops_when_asked():
    dash = training_dashboard("overtrained")

    async def click_train_then_stop():
        dash.train_button.click()
        assert dash.running
        await asyncio.sleep(0.5)
        dash.stop_button.click()
        await dash._task

    # A fresh event loop in its own thread: earlier tests in the same process (Playwright's sync
    # API in the browser tests) can leave a loop running in the main thread, where asyncio.run fails.
    worker = threading.Thread(target=asyncio.run, args=(click_train_then_stop(),))
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive()
    assert not dash.running and 0 < dash.trainer.step < dash.trainer.steps
    step = dash.trainer.step
    dash.reset_button.click()
    assert dash.trainer.step == 0 and step > 0
    assert dash.errors == []


@pytest.mark.slow
@pytest.mark.parametrize("recipe", ["best", "overtrained"])
def test_default_settings_reproduce_the_shipped_checkpoint(recipe):
    dash = training_dashboard(recipe)
    dash.run()
    r = dash.reproduction
    assert r is not None and r["name"] == recipe and r["within_tolerance"], r
    assert r["yours"]["perplexity"] == pytest.approx(r["shipped"]["perplexity"], rel=TOLERANCE["perplexity"])
    assert "reproduced" in dash.readout.value


@pytest.mark.slow
def test_no_reproduction_claim_after_a_change():
    dash = training_dashboard("overtrained")
    dash.steps.value = 100
    dash.run()
    assert dash.trainer.done and dash.reproduction is None
    assert np.isfinite(dash.history["val_loss"]).all()


@pytest.mark.slow
def test_start_without_an_event_loop_trains_to_the_end_without_a_warning(no_warnings):
    """Issue 18: no deprecated asyncio.get_event_loop(); outside a kernel, Train trains right away."""
    import threading

    dash = training_dashboard("overtrained")
    dash.steps.value = 100
    # Clicked from a fresh thread, which has no event loop: the pytest worker's main thread may
    # still hold the running loop of playwright's sync API after a browser test file.
    clicker = threading.Thread(target=dash.train_button.click)
    clicker.start()
    clicker.join()
    assert dash.trainer.done and not dash.running and dash.errors == []
    assert dash.history["step"][-1] == 100


# make check: this file's one representative (the contract builds the dashboard too)
def test_a_run_without_a_recorded_best_evaluation_is_not_compared(monkeypatch):
    """Issue 17 item 5: an interrupted evaluation leaves best_weights None; the dashboard must not
    call .items() on it (the Trainer is fixed too; the dashboard does not rely on it)."""
    from types import SimpleNamespace

    dash = training_dashboard("best")
    result = SimpleNamespace(best_weights=None, eval_steps=[], val_losses=[], train_losses=[])
    monkeypatch.setattr(dash, "trainer", SimpleNamespace(done=True, result=result, weights=dash.trainer.weights,
                                                        step=dash.trainer.steps, steps=dash.trainer.steps,
                                                        batch_size=dash.trainer.batch_size,
                                                        targets=dash.trainer.targets))
    dash._finish_if_done()                      # the shipped recipe, "done", but nothing to compare
    assert dash.reproduction is None
    dash._record()                              # no evaluation recorded by the Trainer: measured here
    assert np.isfinite(dash.history["val_loss"][-1])


def _pixels(figure):
    return np.asarray(figure.canvas.buffer_rgba()).copy()


def _texts_apart_and_inside(figure, axis):
    """The axis's tick labels and its label lie inside the figure and do not overlap."""
    renderer = figure.canvas.get_renderer()
    ticks = [t.get_window_extent(renderer) for t in axis.get_ticklabels() if t.get_visible() and t.get_text()]
    label = axis.label.get_window_extent(renderer)
    assert label.x0 >= 0 and all(t.x0 >= 0 for t in ticks)
    assert label.x1 <= min(t.x0 for t in ticks)


@pytest.mark.slow
def test_new_loss_limits_keep_the_layout_and_a_kept_picture_is_the_figure_afresh():
    """A taller loss axis (a large init scale) changes the picture, not the layout: its two-digit
    labels fit the room kept for them; going back to 0-8 shows the kept picture, which must be
    exactly what drawing the whole figure again gives."""
    dash = training_dashboard("overtrained")
    positions = [ax.get_position().bounds for ax in dash._axes]
    first = _pixels(dash.figure)
    dash.init_scale.value = 100.0
    assert dash._ytop > 10 and [ax.get_position().bounds for ax in dash._axes] == positions
    tall = _pixels(dash.figure)
    dash.figure.canvas.draw()
    assert np.array_equal(_pixels(dash.figure), tall)
    _texts_apart_and_inside(dash.figure, dash._axes[0].yaxis)
    dash.init_scale.value = 1.0
    shown = _pixels(dash.figure)
    assert np.array_equal(shown, first)
    dash.figure.canvas.draw()                      # the whole figure, afresh
    assert np.array_equal(_pixels(dash.figure), shown)
    _texts_apart_and_inside(dash.figure, dash._axes[0].yaxis)
