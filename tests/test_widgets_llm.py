"""Widget-logic tests of lesson 13's dashboards: soft targets, speculative sampling, the router.

Everything runs with no front end (matplotlib's Agg renderer underneath). Checked here: the
controls move the artists to the right numbers, the figure is updated in place (never re-created),
bad arguments are named. What every dashboard must do (texts inside the figure, presentation mode
larger, partial redraws complete, callback errors shown) is checked in test_widgets_contract.py.
"""

import numpy as np
import pytest

from softmax_lab import lm, softmax
from softmax_lab import widgets as W
from softmax_lab.routing import load_balancing_loss, router_z_loss, top_k_gating
from softmax_lab.speculative import acceptance_probability, residual_distribution


def heights(group):
    return np.array([bar.get_height() for bar in group.bars])


@pytest.mark.slow
def test_soft_targets_follow_the_temperature():
    dash = W.soft_targets_explorer()
    assert dash.figure_mode == "png" and dash.words[0] == "mat"
    figure = dash.figure
    z = lm.next_token_logits(lm.load("best"), "the cat sat on the")
    for T in (0.5, 4.0, 16.0):
        dash.temperature.value = T
        p = softmax(z, temperature=T)
        shown = np.append(p[dash.order], 1 - p[dash.order].sum())
        assert dash.shown == pytest.approx(shown) and heights(dash.bars) == pytest.approx(np.maximum(shown, 1e-4))
        assert [t.get_text() for t in dash.bars.texts][:3] == [f"{v:.3f}" for v in p[dash.order][:3]]
        assert f"{T:.2f}" in dash._title.get_text()
    assert dash.figure is figure


@pytest.mark.slow
def test_speculative_explorer_shows_p_q_min_and_the_residual():
    dash = W.speculative_explorer(n_samples=300)
    best, early = lm.load("best"), lm.load("early")
    for context, T in (("the dog", 1.0), ("the cat sat on the", 0.5)):
        dash.context.value = context
        dash.temperature.value = T
        p = softmax(lm.next_token_logits(best, context), temperature=T)
        q = softmax(lm.next_token_logits(early, context), temperature=T)
        o = dash.order
        assert heights(dash.bars["p"]) == pytest.approx(p[o]) and heights(dash.bars["q"]) == pytest.approx(q[o])
        assert heights(dash.bars["min"]) == pytest.approx(np.minimum(p, q)[o])
        assert dash.residual_marks.get_ydata() == pytest.approx(residual_distribution(p, q)[o])
        assert dash.alpha == pytest.approx(float(acceptance_probability(p, q)))
        assert dash.counts.sum() == 300 and heights(dash.hist["samples"]) == pytest.approx(dash.counts[o] / 300)
        assert abs(dash.measured_acceptance - dash.alpha) < 0.12
        assert f"{dash.alpha:.3f}" in dash.readout.value


@pytest.mark.slow
def test_router_explorer_follows_scale_k_and_renormalisation():
    rng = np.random.default_rng(0)
    hidden, weight = rng.normal(size=(300, 6)), rng.normal(size=(6, 5))
    dash = W.router_explorer(hidden, weight)
    z = hidden @ weight
    for scale, k, renorm in ((1.0, 2, True), (8.0, 2, False), (0.25, 3, True)):
        dash.scale.value, dash.k.value, dash.renormalize.value = scale, k, renorm
        weights, idx = top_k_gating(scale * z, k, renormalize=renorm)
        assert np.allclose(dash.weights, weights)
        assert heights(dash.bars["load"]) == pytest.approx(np.bincount(idx.ravel(), minlength=5) / idx.size)
        assert heights(dash.bars["P"]) == pytest.approx(softmax(scale * z).mean(axis=0))
        assert dash.balance_loss == pytest.approx(float(load_balancing_loss(scale * z, k)))
        assert dash.z_loss == pytest.approx(float(router_z_loss(scale * z)))
        assert f"{dash.balance_loss:.3f}" in dash.readout.value


@pytest.mark.slow
def test_presentation_mode_is_larger():
    small, large = W.soft_targets_explorer(), W.soft_targets_explorer(presentation=True)
    assert large.figure.get_size_inches()[0] > small.figure.get_size_inches()[0]
    rng = np.random.default_rng(0)
    h, w = rng.normal(size=(20, 3)), rng.normal(size=(3, 4))
    assert (W.router_explorer(h, w, presentation=True).figure.get_size_inches()[0]
            > W.router_explorer(h, w).figure.get_size_inches()[0])


@pytest.mark.parametrize("factory, kwargs, name", [
    (W.soft_targets_explorer, {"temperature": 0.0}, "temperature"),
    (W.soft_targets_explorer, {"k": 1}, "k"),
    (W.soft_targets_explorer, {"model": 3}, "model"),
    (W.speculative_explorer, {"n_samples": 5}, "n_samples"),
    (W.speculative_explorer, {"temperature": 9.0}, "temperature"),
])
def test_bad_arguments_are_named(factory, kwargs, name):
    with pytest.raises((TypeError, ValueError), match=name):
        factory(**kwargs)


def test_router_explorer_names_its_bad_arguments():
    h, w = np.zeros((4, 3)), np.zeros((3, 4))
    with pytest.raises(ValueError, match="k"):
        W.router_explorer(h, w, k=4)
    with pytest.raises(ValueError, match="router_weight"):
        W.router_explorer(h, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="router_weight"):
        W.router_explorer(h)


@pytest.mark.slow
def test_the_router_explorer_defaults_to_the_lesson_s_router():
    from softmax_lab.llm_experiments import lesson_router

    hidden, W0, _ = lesson_router()
    assert np.allclose(W.router_explorer().base_logits, hidden @ W0)


@pytest.mark.slow
def test_an_error_in_a_callback_is_shown_in_the_dashboard(monkeypatch):
    dash = W.soft_targets_explorer()

    def broken():
        raise RuntimeError("boom")
    monkeypatch.setattr(dash, "_show_state", broken)
    dash.temperature.value = 2.0
    assert "boom" in dash.error.value and dash.errors


@pytest.mark.slow
def test_contrastive_trainer_trains_each_setting_once():
    from softmax_lab.llm_pairs import CLIP_INIT_TEMPERATURE, retrieval_accuracy

    dash = W.contrastive_trainer(steps=30, n_train=200, n_test=50)
    first = dash.encoder
    assert dash.encoder.temperature == pytest.approx(0.1) and len(dash.curve.get_ydata()) == 30
    assert dash.curve.get_ydata() == pytest.approx(np.clip(first.history, 0, 4.5))
    assert dash.accuracy == retrieval_accuracy(first, dash.test_sentences)
    dash.temperature.value = 1.0
    assert dash.encoder is not first and dash.encoder.temperature == pytest.approx(1.0)
    assert f"{dash.accuracy:.3f}" in dash.readout.value
    dash.learn.value = True
    assert dash.encoder.scales[0] == pytest.approx(1 / CLIP_INIT_TEMPERATURE) and "learned" in dash._title.get_text()
    dash.learn.value = False
    dash.temperature.value = 0.1
    assert dash.encoder is first                                 # remembered, not retrained


def test_contrastive_trainer_names_its_bad_arguments():
    with pytest.raises(ValueError, match="steps"):
        W.contrastive_trainer(steps=5)
    with pytest.raises(ValueError, match="temperature"):
        W.contrastive_trainer(temperature=3.0)


@pytest.mark.slow   # seconds of full draws: make test runs it, make check leaves it out
def test_speculative_explorer_keeps_each_setting_and_shows_the_same_numbers_again():
    """The samples of a (context, temperature) are drawn once and kept: coming back to a setting
    shows what a fresh dashboard shows for it (readout, counts, picture)."""
    from widget_helpers import differing_pixels, png_outputs

    from softmax_lab import plots

    dash = W.speculative_explorer(n_samples=300)
    other = dash.context.options[1][1]
    path = [("temperature", 2.0), ("context", other), ("temperature", 1.0), ("context", dash.context.value),
            ("temperature", 2.0), ("context", other)]
    for control, value in path:
        getattr(dash, control).value = value
        fresh = W.speculative_explorer(n_samples=300, context=dash.context.value,
                                       temperature=dash.temperature.value)
        assert dash.readout.value == fresh.readout.value
        np.testing.assert_array_equal(dash.counts, fresh.counts)
        assert differing_pixels(png_outputs(dash), plots.render_png(fresh.figure)) == 0
    assert not dash.errors


@pytest.mark.slow   # seconds of full draws: make test runs it, make check leaves it out
def test_soft_targets_explorer_shows_a_kept_temperature_as_a_fresh_one_draws_it():
    from widget_helpers import differing_pixels, png_outputs

    from softmax_lab import plots

    dash = W.soft_targets_explorer()
    for T in (2.0, 0.5, 2.0, 1.0, 0.5):
        dash.temperature.value = T
        fresh = W.soft_targets_explorer(temperature=T)
        assert dash.readout.value == fresh.readout.value
        assert differing_pixels(png_outputs(dash), plots.render_png(fresh.figure)) == 0
    assert not dash.errors
