"""Widget-logic tests of lessons 01-03: logit explorer, temperature explorer, sigmoid vs softmax.

Everything runs with no front end (matplotlib's Agg renderer underneath); the figures are PNG
images shown in an Output widget. The expected numbers always come from softmax_lab's
math functions, computed here independently of the dashboard.
"""

import html
import warnings

import ipywidgets
import numpy as np
import pytest
from widget_helpers import heights, message_text, texts

from softmax_lab import (
    entropy,
    plots,
    sigmoid,
    softmax,
)
from softmax_lab import widgets as W

# ---------------------------------------------------------------------------------------------
# Logit explorer
# ---------------------------------------------------------------------------------------------

def test_logit_explorer_default_is_the_cat_example():
    dash = W.logit_explorer()
    assert dash.labels == ["mat", "floor", "roof"]
    assert [s.description for s in dash.sliders] == ["mat", "floor", "roof"]
    np.testing.assert_allclose([s.value for s in dash.sliders], [2.0, 1.0, 0.1], rtol=0, atol=1e-12)
    assert all(s.min == -10 and s.max == 10 for s in dash.sliders)
    assert [t.get_text() for t in dash.bars.ax.get_xticklabels()] == ["mat", "floor", "roof"]


def test_logit_explorer_bars_follow_the_sliders():
    dash = W.logit_explorer()
    figure, ax, bars = dash.figure, dash.bars.ax, dash.bars.bars
    dash.sliders[0].value = -1.5
    dash.sliders[2].value = 4.2                  # on the slider's grid (step 0.1), as a learner can set it
    expected = softmax([-1.5, 1.0, 4.2])
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


@pytest.mark.slow
def test_shift_moves_the_logits_but_not_the_distribution():
    dash = W.logit_explorer()
    before = heights(dash.bars)
    dash.shift.value = 7.5
    np.testing.assert_allclose(dash.logits, [9.5, 8.5, 7.6])
    np.testing.assert_allclose(heights(dash.bars), before, rtol=1e-12)
    assert "9.50, 8.50, 7.60" in dash.readout.value
    dash.shift.value = -10.0
    np.testing.assert_allclose(heights(dash.bars), before, rtol=1e-12)


def test_typed_logits_with_the_same_count_update_sliders_not_artists():
    dash = W.logit_explorer()
    bars, sliders, figure = dash.bars.bars, list(dash.sliders), dash.figure
    dash.logits_text.value = "0.5, -2, 3"
    np.testing.assert_allclose([s.value for s in dash.sliders], [0.5, -2.0, 3.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(heights(dash.bars), softmax([0.5, -2.0, 3.0]))
    assert dash.sliders == sliders and dash.bars.bars is bars and dash.figure is figure
    assert message_text(dash) == ""


@pytest.mark.slow
def test_typed_logits_with_a_new_count_rebuild_bars_in_the_same_figure():
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


@pytest.mark.slow
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
def test_garbage_logits_are_refused_and_the_dashboard_keeps_working(typed, complaint):
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


@pytest.mark.slow
def test_typed_labels_rename_or_change_the_count():
    dash = W.logit_explorer()
    bars = dash.bars.bars
    dash.labels_text.value = "rug, sofa, bed"
    assert dash.labels == ["rug", "sofa", "bed"] and dash.bars.bars is bars
    assert [s.description for s in dash.sliders] == ["rug", "sofa", "bed"]
    assert [t.get_text() for t in dash.bars.ax.get_xticklabels()] == ["rug", "sofa", "bed"]
    dash.labels_text.value = "rug, sofa, bed, chair"
    assert len(dash.sliders) == 4
    np.testing.assert_allclose([s.value for s in dash.sliders], [2.0, 1.0, 0.1, 0.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(heights(dash.bars), softmax([2.0, 1.0, 0.1, 0.0]))
    assert dash.logits_text.value == "2, 1, 0.1, 0"
    assert "cat sat" not in dash.bars.ax.get_title()         # the story no longer fits the labels


@pytest.mark.slow
def test_cat_title_stays_while_the_cat_labels_do():
    dash = W.logit_explorer()
    assert "The cat sat on the" in dash.bars.ax.get_title()
    dash.logits_text.value = "1, 2, 3, 4"                    # mat, floor, roof, word 4
    assert "The cat sat on the" in dash.bars.ax.get_title()


@pytest.mark.slow
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


@pytest.mark.slow
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

@pytest.mark.slow
def test_temperature_explorer_slider_is_logarithmic():
    dash = W.temperature_explorer()
    assert isinstance(dash.temperature, ipywidgets.FloatLogSlider)
    assert dash.temperature.base ** dash.temperature.min == pytest.approx(0.01)
    assert dash.temperature.base ** dash.temperature.max == pytest.approx(100)
    assert dash.temperature.value == 1.0


@pytest.mark.slow
@pytest.mark.parametrize("t", [0.37, 3.0])
def test_temperature_explorer_bars_and_markers_follow_t(t):
    dash = W.temperature_explorer()
    figure, marker = dash.figure, dash.entropy_marker
    dash.temperature.value = t
    assert dash.temperature.value == pytest.approx(t, rel=0.012)     # snapped to the slider's grid
    t = dash.temperature.value
    p = softmax([2.0, 1.0, 0.1], temperature=t)
    np.testing.assert_allclose(heights(dash.bars), p)
    x, y = dash.entropy_marker.get_data()
    assert x[0] == pytest.approx(t) and y[0] == pytest.approx(float(entropy(p)))
    x, y = dash.max_probability_marker.get_data()
    assert x[0] == pytest.approx(t) and y[0] == pytest.approx(p.max())
    assert dash.figure is figure and dash.entropy_marker is marker
    assert f"T = {t:.3g}" in dash._bar_title.get_text()


@pytest.mark.slow
def test_temperature_explorer_writes_values_on_bars_while_they_fit():
    few = W.temperature_explorer()
    few.temperature.value = 0.5
    p = softmax([2.0, 1.0, 0.1], temperature=few.temperature.value)
    assert [t.get_text() for t in few.bars.texts] == [f"{v:.3f}" for v in p]
    many = W.temperature_explorer(np.linspace(-3.0, 3.0, 10))
    many.temperature.value = 0.5
    assert not any(t.get_text() for t in many.bars.texts)     # 10 labels would crowd each other
    np.testing.assert_allclose(heights(many.bars),
                               softmax(np.linspace(-3.0, 3.0, 10), temperature=many.temperature.value))


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_temperature_limits_with_a_tie_at_the_top():
    dash = W.temperature_explorer([1.0, 1.0, -1.0])
    notes = " ".join(t.get_text() for ax in dash.figure.axes for t in ax.texts)
    assert "1/2" in notes and "log 2" in notes
    dash.temperature.value = 0.01
    np.testing.assert_allclose(heights(dash.bars), [0.5, 0.5, 0.0], atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Sigmoid versus softmax
# ---------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("z0, z1", [(0.0, 0.0), (-3.0, 2.5), (9.0, -9.0)])
def test_two_class_softmax_bar_equals_the_sigmoid_bar(z0, z1):
    dash = W.sigmoid_vs_softmax()
    figure = dash.figure
    dash.z0.value, dash.z1.value = z0, z1
    expected = float(softmax([z0, z1])[1])
    assert expected == pytest.approx(float(sigmoid(z1 - z0)), abs=1e-15)
    np.testing.assert_allclose(heights(dash.pair_bars), [expected, expected], rtol=1e-12)
    assert texts(dash.pair_bars) == [f"{expected:.3f}"] * 2
    assert f"{expected:.6f}" in dash.readout.value
    assert dash.figure is figure


@pytest.mark.slow
def test_multi_label_sigmoids_are_free_and_the_softmax_sums_to_one():
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
