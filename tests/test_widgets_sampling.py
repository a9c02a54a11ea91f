"""Widget-logic tests of lesson 06: the sampler dashboard.

Everything runs with no front end (matplotlib's Agg renderer underneath); the figures are PNG
images shown in an Output widget. The expected numbers always come from softmax_lab's
math functions, computed here independently of the dashboard.
"""

import html

import numpy as np
import pytest
from widget_helpers import (
    message_text,
)

from softmax_lab import (
    sampling,
    softmax,
)
from softmax_lab import widgets as W

# ---------------------------------------------------------------------------------------------
# Sampler dashboard (lesson 06)
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def model():
    from softmax_lab import lm

    return lm.load("best")


def _sorted_stairs(dash):
    return dash.all_stairs.get_data().values, dash.kept_stairs.get_data().values


@pytest.mark.slow
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
    assert dash.temperature.value == pytest.approx(t, rel=0.012)      # snapped to the slider's grid
    t = dash.temperature.value
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
    np.testing.assert_allclose(every, np.maximum(np.sort(q)[::-1], W.sampling._PROBABILITY_FLOOR), rtol=1e-12)
    n = int(dash.kept.sum())
    np.testing.assert_allclose(shaded[:n], every[:n])
    assert np.all(shaded[n:] == W.sampling._PROBABILITY_FLOOR)
    title = dash._title_text.get_text()
    assert f"{n} of {len(z)} tokens kept" in title and f"{dash.dropped_mass:.3f}" in title
    assert f"{dash.dropped_mass:.4f}" in dash.readout.value


def lm_logits(model, prompt):
    from softmax_lab import lm

    return lm.next_token_logits(model, prompt)


@pytest.mark.slow
def test_sampler_draws_stairs_not_bars(model):
    dash = W.sampler_dashboard(model=model)
    ax = dash._ax
    assert len(dash.all_stairs.get_data().values) == len(model.vocab) > 100
    assert [type(p).__name__ for p in ax.patches] == ["StepPatch", "StepPatch"]


@pytest.mark.slow
def test_sampler_controls_follow_the_strategy(model):
    dash = W.sampler_dashboard(model=model)
    dash.strategy.value = "greedy"
    assert dash.temperature.disabled and dash.top_k.disabled and dash.top_p.disabled and dash.min_p.disabled
    assert dash.sampling_kwargs == {"temperature": 0}
    dash.strategy.value = "top-k"
    assert not dash.temperature.disabled and not dash.top_k.disabled and dash.top_p.disabled
    assert dash.sampling_kwargs == {"temperature": 1.0, "top_k": dash.top_k.value}


@pytest.mark.slow
def test_generate_uses_the_model_with_the_chosen_strategy_and_seed(model):
    from softmax_lab import lm

    dash = W.sampler_dashboard(model=model)
    dash.strategy.value = "top-p"
    dash.top_p.value = 0.7
    dash.temperature.value = 0.8
    dash.n_words.value = 12
    dash.seed.value = 5
    dash.generate_button.click()
    expected = lm.generate(model, "the cat sat on the", 12, rng=np.random.default_rng(5),
                           temperature=dash.temperature.value, top_p=dash.top_p.value)
    assert dash.generated == [expected]
    assert html.escape(" ".join(expected)) in dash.output.value
    dash.generate_button.click()                   # the generator goes on: a new continuation
    assert len(dash.generated) == 2
    dash.strategy.value = "greedy"
    dash.generate_button.click()
    assert dash.generated[-1] == lm.generate(model, "the cat sat on the", 12, temperature=0)
    assert dash.errors == []


@pytest.mark.slow
def test_sampler_prompt_box_changes_the_context(model):
    dash = W.sampler_dashboard(model=model)
    figure = dash.figure
    dash.prompt_text.value = "the dog"
    np.testing.assert_array_equal(dash.logits, lm_logits(model, "the dog"))
    every, _ = _sorted_stairs(dash)
    q = softmax(lm_logits(model, "the dog"), temperature=dash.temperature.value)
    np.testing.assert_allclose(every, np.maximum(np.sort(q)[::-1], W.sampling._PROBABILITY_FLOOR))
    assert dash.figure is figure
    dash.prompt_text.value = "x" * 500
    assert "prompt not changed" in message_text(dash)
    np.testing.assert_array_equal(dash.logits, lm_logits(model, "the dog"))


@pytest.mark.slow
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
