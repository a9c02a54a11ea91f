"""Regression tests for the dashboard defects found by issue 7's adversarial probe.

Each test is named for the defect it catches and fails on the code before its fix: sliders that
held values off their grid (the browser snapped them and sent its value back late), the sampler's
seed box, a two-word sampler, labels with control characters or duplicates, numpy learning rates,
and the sampler's ``kept`` mask, which now comes from softmax_lab.sampling itself.
"""

import math

import ipywidgets
import numpy as np
import pytest
from fast_loop import representatives
from widget_helpers import FACTORIES, build

from softmax_lab import sampling, softmax
from softmax_lab import widgets as W

SMALL_VOCAB = np.linspace(3.0, -3.0, 20)


def float_sliders(widget):
    """Every FloatSlider and FloatLogSlider inside ``widget`` (the whole tree)."""
    found = []
    if isinstance(widget, (ipywidgets.FloatSlider, ipywidgets.FloatLogSlider)):
        found.append(widget)
    for child in getattr(widget, "children", ()):
        found.extend(float_sliders(child))
    return found


def grid_position(slider, value):
    """How many steps ``value`` lies above the slider's minimum (on the exponent for a log slider)."""
    if isinstance(slider, ipywidgets.FloatLogSlider):
        value = math.log(value) / math.log(slider.base)
    return (value - slider.min) / slider.step


def browser_snap(slider, value):
    """The value the browser's slider (noUiSlider) shows for ``value``: its arithmetic, step by step."""
    if isinstance(slider, ipywidgets.FloatLogSlider):
        exponent = W.snap_to_grid(math.log(value) / math.log(slider.base), slider.min, slider.max, slider.step)
        return float(slider.base) ** exponent
    return W.snap_to_grid(value, slider.min, slider.max, slider.step)


# ---------------------------------------------------------------------------------------------
# Defect 10: a dashboard ends in a state the code did not set
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", representatives(sorted(FACTORIES), {"logit_explorer"}))   # make check: one
def test_values_set_from_code_are_already_on_the_slider_grid(name):
    """Off-grid values are snapped in the kernel, so the browser has nothing to snap and send back."""
    dash = build(name)
    sliders = [s for s in float_sliders(dash) if not s.disabled]
    if not sliders:
        pytest.skip(f"{name} has no float slider")
    for slider in sliders:
        for fraction in (0.37, 0.5, 0.73):        # between two grid points
            k = 3 if slider.max - slider.min > 4 * slider.step else 1
            off = slider.min + (k + fraction) * slider.step
            wanted = slider.base ** off if isinstance(slider, ipywidgets.FloatLogSlider) else off
            slider.value = wanted
            position = grid_position(slider, slider.value)
            assert abs(position - round(position)) < 1e-6, (slider.description, wanted, slider.value)
            assert abs(position - grid_position(slider, wanted)) <= 0.5 + 1e-9
            assert browser_snap(slider, slider.value) == slider.value      # bit for bit: no echo
    assert dash.errors == []


@pytest.mark.slow
def test_temperature_explorer_holds_the_value_code_set_last():
    """Lesson 02's sanity cell: 2.02 (off the grid), then 1.0. The dashboard ends at T = 1.0."""
    dash = W.temperature_explorer()
    dash.temperature.value = 2.02
    assert dash.temperature.value == pytest.approx(10 ** 0.31)             # the grid point the browser shows
    assert browser_snap(dash.temperature, dash.temperature.value) == dash.temperature.value
    assert "2.04" in dash.readout.value                                     # readout, numbers and figure agree
    np.testing.assert_allclose(dash.probabilities, softmax([2.0, 1.0, 0.1], temperature=10 ** 0.31))
    dash.temperature.value = 1.0
    assert dash.temperature.value == 1.0
    np.testing.assert_allclose(dash.probabilities, softmax([2.0, 1.0, 0.1]))


@pytest.mark.slow
def test_the_sampler_default_temperature_is_on_its_grid():
    dash = W.sampler_dashboard(logits=SMALL_VOCAB)
    assert dash.temperature.value == 1.0
    assert browser_snap(dash.temperature, 1.0) == 1.0


@pytest.mark.parametrize("value, low, high, step", [
    (0.1, -10.0, 10.0, 0.1), (4.25, -10.0, 10.0, 0.1), (2.02, -10.0, 10.0, 0.1), (-10.0, -10.0, 10.0, 0.1),
    (10.0, -10.0, 10.0, 0.1), (0.30535, -2.0, 2.0, 0.01), (0.77, 0.05, 5.0, 0.05), (999.5, -1000.0, 1000.0, 1.0)])
def test_snap_to_grid_lands_on_the_nearest_grid_point(value, low, high, step):
    snapped = W.snap_to_grid(value, low, high, step)
    k = (snapped - low) / step
    assert abs(k - round(k)) < 1e-9 and abs(snapped - value) <= step / 2 + 1e-12
    assert W.snap_to_grid(snapped, low, high, step) == snapped         # idempotent, bit for bit


# ---------------------------------------------------------------------------------------------
# Defect 3: a sampler over fewer than 3 words
# ---------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("logits", [[1.0, 2.0], [0.0, 0.5, -1.0]])
def test_sampler_labels_at_most_as_many_words_as_there_are(logits):
    dash = W.sampler_dashboard(logits=logits)
    texts = [t.get_text() for t in dash._top_texts]
    assert len(texts) == min(3, len(logits))
    assert texts[0] == f"token {int(np.argmax(logits))}"
    dash.strategy.value = "greedy"
    assert dash.kept.sum() == 1 and dash.errors == []


# ---------------------------------------------------------------------------------------------
# Defect 9: the sampler's seed box
# ---------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_negative_seed_is_refused_inline_and_the_box_shows_the_seed_in_use():
    dash = W.sampler_dashboard(logits=SMALL_VOCAB)
    dash.seed.value = 5
    first = dash.generate()
    dash.seed.value = -1
    assert dash.error.value == "" and dash.errors == []                     # no traceback banner
    assert "seed not changed" in dash.message.value
    assert dash.seed.value == 5                                             # the box shows the seed in use
    second = dash.generate()
    rng = np.random.default_rng(5)                                          # the same generator, going on
    draws = [dash.vocab[int(sampling.sample(dash.logits, rng=rng, **dash.sampling_kwargs))]
             for _ in range(2 * dash.n_words.value)]
    assert first + second == draws
    dash.seed.value = 7                                                     # a good seed restarts it
    assert dash.message.value == ""
    rng = np.random.default_rng(7)
    assert dash.generate() == [dash.vocab[int(sampling.sample(dash.logits, rng=rng, **dash.sampling_kwargs))]
                               for _ in range(dash.n_words.value)]


@pytest.mark.slow
def test_generate_never_draws_from_a_generator_the_seed_box_does_not_show():
    dash = W.sampler_dashboard(logits=SMALL_VOCAB)
    dash.seed.unobserve_all("value")                # as if the box had changed without its callback
    dash.seed.value = -3
    assert dash.generate() == [] and dash.generated == []
    assert "nothing drawn" in dash.message.value


# ---------------------------------------------------------------------------------------------
# Defect 11: the smaller ones
# ---------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("text", ["mat, fl\x07oor, roof", "mat, floor\x00, roof", "mat, floor\u202e, roof",
                                  "a\u2028b, c", "cat, dog\x1b[31m"])
def test_the_labels_box_refuses_control_characters(text):
    with pytest.raises(ValueError, match="control character"):
        W.parse_labels(text)
    dash = W.logit_explorer()
    dash.labels_text.value = text
    assert dash.labels == ["mat", "floor", "roof"] and "labels not changed" in dash.message.value


def test_tabs_and_newlines_still_separate_labels_without_commas():
    assert W.parse_labels("cat\tdog\nbird") == ["cat", "dog", "bird"]


@pytest.mark.parametrize("factory", [W.logit_explorer, W.temperature_explorer, W.gradient_stepper])
def test_constructor_labels_are_refused_like_typed_ones(factory):
    with pytest.raises(ValueError, match="labels.*appears twice"):
        factory(logits=[1.0, 2.0], labels=["a", "a"])
    with pytest.raises(ValueError, match="labels.*control character"):
        factory(logits=[1.0, 2.0], labels=["a", "b\n"])


@pytest.mark.slow
@pytest.mark.parametrize("rate", [np.float32(0.5), np.float64(0.5), np.int64(1), 2, np.float16(0.25)])
def test_gradient_stepper_accepts_numpy_real_learning_rates(rate):
    dash = W.gradient_stepper(learning_rate=rate)
    assert dash.learning_rate.value == pytest.approx(float(rate))


@pytest.mark.parametrize("rate", [True, np.bool_(True), "0.5", None, float("nan"), 1j, 100.0])
def test_gradient_stepper_still_refuses_what_is_not_a_learning_rate(rate):
    with pytest.raises(ValueError, match="learning_rate"):
        W.gradient_stepper(learning_rate=rate)


@pytest.mark.parametrize("logits", [["a", "b"], [1.0, "x"], [object(), 1.0], [[1.0], [2.0, 3.0]]])
def test_sampler_logits_that_are_not_numbers_name_logits(logits):
    with pytest.raises(TypeError, match="logits"):
        W.sampler_dashboard(logits=logits)


@pytest.mark.slow
def test_sampler_kept_comes_from_the_sampling_module(monkeypatch):
    dash = W.sampler_dashboard(logits=SMALL_VOCAB)
    calls = []
    original = sampling.sampling_distribution
    monkeypatch.setattr(sampling, "sampling_distribution", lambda *a, **k: (calls.append(k), original(*a, **k))[1])
    for strategy in ("greedy", "temperature", "top-k", "top-p", "min-p"):
        dash.strategy.value = strategy
        calls.clear()
        kept = dash.kept
        assert calls == [dash.sampling_kwargs]
        np.testing.assert_array_equal(kept, original(SMALL_VOCAB, **dash.sampling_kwargs) > 0)


# ---------------------------------------------------------------------------------------------
# The package layout: every dashboard is importable from softmax_lab.widgets
# ---------------------------------------------------------------------------------------------

def test_every_dashboard_of_every_widgets_module_is_in_all():
    """A dashboard class defined in any module of softmax_lab.widgets is exported, and so is its factory."""
    import importlib
    import inspect
    import pkgutil

    from widget_helpers import snake_case

    found = []
    for info in pkgutil.iter_modules(W.__path__):
        module = importlib.import_module(f"softmax_lab.widgets.{info.name}")
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and issubclass(obj, W.Dashboard) and obj is not W.Dashboard
                    and obj.__module__ == module.__name__):
                found.append(name)
                assert name in W.__all__ and snake_case(name) in W.__all__, f"{module.__name__}.{name}"
    assert len(found) == len(FACTORIES) >= 19
    for name in W.__all__:
        assert getattr(W, name) is not None
