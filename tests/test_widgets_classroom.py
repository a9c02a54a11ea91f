"""The classroom dashboard (issue 12): presets from the menu or the address, predict then reveal.

The pure parts (the preset table, parse_preset, parse_guess) are tested without widgets; the
dashboard is built, its controls are moved as a teacher would, and its artists and readouts are
read back. Expected numbers are computed here from softmax_lab (softmax, lm, calibration,
attention), not copied from the dashboard.
"""

import html
import math
import re

import ipywidgets
import numpy as np
import pytest
from fast_loop import examples, representatives
from hypothesis import given, settings
from hypothesis import strategies as st

from softmax_lab import lm, softmax
from softmax_lab import widgets as W
from softmax_lab.attention import scaled_dot_product_attention
from softmax_lab.classroom import (
    DEFAULT_PRESET,
    MAX_QUERY_LENGTH,
    PRESET_KEYS,
    PRESETS,
    get_preset,
    parse_guess,
    parse_preset,
    preset_answer,
    preset_logits,
    verdict,
)
from softmax_lab.widgets.attention import sentence_queries_keys
from softmax_lab.widgets.classroom import Classroom, classroom


@pytest.fixture(scope="module")
def cat_logits():
    return lm.next_token_logits(lm.load("best"), "the cat sat on the"), lm.load("best").vocab


def _text(html_text):
    return html.unescape(re.sub(r"<[^>]+>", " ", html_text))


def _visible(group):
    return [bar.get_visible() for bar in group.bars]


# ---------------------------------------------------------------------------------------------
# The address: parse_preset
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", PRESET_KEYS)
def test_parse_preset_names_every_preset(key):
    assert parse_preset(f"preset={key}") == (key, "")
    assert parse_preset(f"theme=dark&preset={key.upper()}") == (key, "")       # Voila's own keys beside it
    number = PRESET_KEYS.index(key) + 1
    assert parse_preset(f"preset={number}") == (key, "")


@pytest.mark.parametrize("query", [None, "", "theme=dark", "&&&", "=", "preset_x=tie", "%", "presetsharp"])
def test_parse_preset_without_a_preset_gives_the_default_and_no_message(query):
    assert parse_preset(query) == (DEFAULT_PRESET, "")


def test_parse_preset_reads_percent_encoding_and_spaces():
    assert parse_preset("preset=%20Tie%20")[0] == "tie"
    assert parse_preset("preset=+cat+")[0] == "cat"
    assert parse_preset("PRESET=hot")[0] == "hot"


@pytest.mark.parametrize("query, shown", [
    ("preset=nonsense", "nonsense"),
    ("preset=%3Cscript%3Ealert(1)%3C/script%3E", "<script>alert(1)</script>"),
    ("preset=", ""),
    ("preset=0", "0"),
    ("preset=11", "11"),
    ("preset=%ZZ", "%ZZ"),
    ("preset=%00%01", "??"),
    ("preset=%FF%FE", "\ufffd\ufffd"),
])
def test_parse_preset_unknown_names_give_the_default_and_say_so(query, shown):
    key, message = parse_preset(query)
    assert key == DEFAULT_PRESET
    assert message.startswith("unknown preset") and "menu" in message
    assert repr(shown) in message


def test_parse_preset_repeated_keys():
    assert parse_preset("preset=tie&preset=tie") == ("tie", "")
    assert parse_preset("preset=tie&preset=3") == ("tie", "")           # 3 is tie: the same preset
    key, message = parse_preset("preset=tie&preset=hot")
    assert key == "tie" and "2 presets" in message and "'tie'" in message
    key, message = parse_preset("preset=nonsense&preset=hot")
    assert key == DEFAULT_PRESET and "unknown preset 'nonsense'" in message


def test_parse_preset_refuses_a_very_long_address_without_parsing_it():
    key, message = parse_preset("preset=tie&" + "x" * MAX_QUERY_LENGTH)
    assert key == DEFAULT_PRESET and "too long" in message
    long_name = "preset=" + "a" * 500
    key, message = parse_preset(long_name)
    assert key == DEFAULT_PRESET and len(message) < 120                   # the name is cut in the message
    key, message = parse_preset("&".join(["a=1"] * 150) + "&preset=tie")
    assert key == DEFAULT_PRESET and "too many" in message


def test_parse_preset_refuses_a_non_string():
    with pytest.raises(TypeError, match="query_string"):
        parse_preset(b"preset=tie")


@settings(max_examples=examples(200), deadline=None)
@given(st.text(max_size=300))
def test_parse_preset_never_raises_on_any_text(text):
    for query in (text, "preset=" + text):
        key, message = parse_preset(query)
        assert key in PRESET_KEYS and isinstance(message, str) and len(message) < 200


# ---------------------------------------------------------------------------------------------
# The guess: parse_guess, verdict
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [("0.6", 0.6), (".6", 0.6), ("60%", 0.6), (" 1 ", 1.0), ("0", 0.0),
                                         ("100%", 1.0), ("12.5 %", 0.125), ("0,6", 0.6), (",6", 0.6),
                                         ("12,5 %", 0.125), ("\u22120", 0.0)])
def test_parse_guess_reads_probabilities(text, value):
    got, message = parse_guess(text, "probability")
    assert message == "" and math.isclose(got, value)


@pytest.mark.parametrize("text, fragment", [("1.5", "between 0 and 1"), ("-0.1", "between 0 and 1"),
                                            ("nan", "between 0 and 1"), ("inf", "between 0 and 1"),
                                            ("mat", "such as 0.6"), ("0.6" * 20, "too long"),
                                            ("__import__('os')", "such as 0.6")])
def test_parse_guess_refuses_bad_probabilities(text, fragment):
    value, message = parse_guess(text, "probability")
    assert value is None and fragment in message


def test_parse_guess_reads_numbers_with_the_lessons_parser(monkeypatch):
    """One parser for typed numbers: the classroom's guess goes through the lessons' parse_number."""
    import softmax_lab.classroom as classroom_module
    from softmax_lab.exercises import _answers

    assert classroom_module.parse_number is _answers.parse_number
    seen = []
    monkeypatch.setattr(classroom_module, "parse_number", lambda text: seen.append(text) or (0.25, None))
    assert parse_guess("whatever", "probability") == (0.25, "") and seen == ["whatever"]


@pytest.mark.slow
def test_a_decimal_comma_guess_is_taken_by_the_dashboard():
    dash = classroom(preset="tie", presentation=False)
    dash.guess.value = "0,5"
    assert dash.guess_value == 0.5 and dash.message.value == ""
    dash.reveal()
    assert re.search(r"class guess\s*0\.50", _text(dash.readout.value))


def test_parse_guess_words_and_empty_text():
    assert parse_guess(" Mat ", "word", ("mat", "floor")) == ("mat", "")
    value, message = parse_guess("platypus", "word", ("mat", "floor"))
    assert value is None and "platypus" in message
    assert parse_guess("   ", "probability") == (None, "")
    with pytest.raises(ValueError, match="kind"):
        parse_guess("0.5", "colour")
    with pytest.raises(TypeError, match="text"):
        parse_guess(0.5, "probability")


def test_verdict():
    assert verdict(None, 0.5, "probability") == ""
    assert verdict(0.52, 0.5, "probability") == "right"
    assert verdict(0.62, 0.5, "probability") == "close"
    assert verdict(0.9, 0.5, "probability") == "not quite"
    assert verdict("mat", "mat", "word") == "right" and verdict("rug", "mat", "word") == "not quite"


# ---------------------------------------------------------------------------------------------
# The table: every preset's numbers
# ---------------------------------------------------------------------------------------------

def test_the_table_has_the_presets_of_the_brief():
    assert PRESET_KEYS == ("sharp", "flat", "tie", "cat", "overconfident", "cold", "hot", "greedy",
                           "calibration", "attention")
    assert len(set(PRESET_KEYS)) == len(PRESETS)
    for p in PRESETS:
        assert p.kind in ("probability", "word") and p.question and p.note and p.title
        if p.source == "logits":
            assert len(p.logits) == len(p.labels) >= 2
    with pytest.raises(ValueError, match="sharp"):
        get_preset("nope")
    with pytest.raises(TypeError, match="key"):
        get_preset(["tie"])


def test_preset_logits_of_the_typed_presets():
    z, labels, t = preset_logits("sharp")
    assert z.tolist() == [5.0, 1.0, 0.5, 0.0] and t == 1.0 and labels[0] == "mat"
    z, _, _ = preset_logits("tie")
    assert z[0] == z[1] > z[2]
    z, _, _ = preset_logits("flat")
    assert np.ptp(z) < 0.31
    with pytest.raises(ValueError, match="dashboard"):
        preset_logits("calibration")


def test_preset_logits_of_the_model_presets_are_the_tiny_models(cat_logits):
    z_cat, vocab = cat_logits
    z, labels, t = preset_logits("cat")
    np.testing.assert_array_equal(z, z_cat)
    assert labels == tuple(vocab) and t == 1.0
    z, _, t = preset_logits("overconfident")
    np.testing.assert_allclose(z, 4.0 * (z_cat - z_cat.max()))
    np.testing.assert_allclose(softmax(z), softmax(4.0 * z_cat))                 # only the scale changed
    assert preset_logits("cold")[2] == 0.1 and preset_logits("hot")[2] == 10.0
    assert preset_answer(z_cat, vocab) == ("mat", pytest.approx(float(softmax(z_cat).max())))


# ---------------------------------------------------------------------------------------------
# The dashboard
# ---------------------------------------------------------------------------------------------

LOGITS_PRESETS = [p.key for p in PRESETS if p.source in ("logits", "model")]


@pytest.fixture(scope="module")
def shared():
    """One dashboard (PNG figures) reused by the slower checks: the extras take a second to build."""
    return classroom(presentation=False)


@pytest.mark.parametrize("key", representatives(LOGITS_PRESETS, LOGITS_PRESETS[:1]))    # make check: the first
def test_every_logits_preset_applies_its_logits_and_temperature(shared, key):
    dash = shared
    dash.menu.value = "attention" if key == "sharp" else "sharp"
    dash.menu.value = "flat" if key == "tie" else "tie"
    dash.temperature.value = 3.0                   # a teacher moved the slider on the previous question
    dash.menu.value = key
    z, labels, t = preset_logits(key)
    np.testing.assert_array_equal(dash.logits, z)
    assert dash.labels == labels
    assert math.isclose(dash.temperature.value, t, rel_tol=1e-12)
    np.testing.assert_allclose(dash.probabilities, softmax(z, temperature=t))
    assert dash.answer == preset_answer(z, labels, t)
    assert not dash.revealed and dash.guess.value == "" and dash.guess_value is None
    if get_preset(key).kind == "word":
        dash.reveal()                              # before Reveal a word question hides the ranking (below)
    # the bars show the most probable words, and "other words" when the vocabulary is larger
    shown = min(len(z), 6 if len(z) > 7 else len(z))
    top = np.argsort(-z, kind="stable")[:shown]
    heights = [bar.get_height() for bar in dash.logit_bars.bars][:shown]
    np.testing.assert_allclose(heights, z[top])
    ticks = [tick.get_text() for tick in dash._axes[1].get_xticklabels()]
    assert ticks[:shown] == [labels[i] for i in top]
    if len(z) > 7:
        assert ticks[shown] == f"{len(z) - shown} other\nwords"
    assert not dash.errors


@pytest.mark.slow
def test_a_word_question_shows_neither_the_ranking_nor_the_logits_before_the_reveal(cat_logits):
    """'Which word does it rank first?' must not be answered by bars sorted with mat first, nor by
    the tallest logit: the candidates in alphabetical order, the logits hidden, until Reveal."""
    dash = classroom(preset="cat", presentation=False)
    z, labels = cat_logits
    top = np.argsort(-z, kind="stable")[:6]
    ticks = [t.get_text() for t in dash._axes[0].get_xticklabels()][:6]
    assert ticks == sorted(labels[i] for i in top) and ticks[0] != labels[top[0]]
    assert not any(bar.get_visible() for bar in dash.logit_bars.bars)
    assert not any(text.get_visible() for text in dash.logit_bars.texts)
    assert not any(_visible(dash.probability_bars)) and "hidden" in dash._axes[0].get_title()
    dash.reveal()
    ticks = [t.get_text() for t in dash._axes[0].get_xticklabels()][:6]
    assert ticks == [labels[i] for i in top]                     # now in the model's order, mat first
    assert all(bar.get_visible() for bar in dash.logit_bars.bars[:6])
    dash.hide()
    assert [t.get_text() for t in dash._axes[0].get_xticklabels()][:6] == sorted(labels[i] for i in top)


@pytest.mark.slow
def test_the_temperature_is_the_questions_premise_until_the_reveal():
    """The slider is locked while the class guesses; the answer stays the one asked for (at the
    preset's T) even if T moves, and a move after the reveal is shown beside it."""
    dash = classroom(preset="tie", presentation=False)
    asked = preset_answer([3.0, 3.0, 1.0], ("mat", "floor", "roof"), 1.0)
    assert dash.temperature.disabled and dash.answer == asked and dash.premise == "T = 1"
    dash.temperature.value = 5.0                  # set anyway (from code, or a snapped browser value)
    assert dash.answer == asked
    dash.reveal()
    assert not dash.temperature.disabled
    readout = _text(dash.readout.value)
    assert f"{asked[1]:.3f} (mat)" in readout and "as asked: T = 1" in readout
    assert "now, at T = 5" in readout and f"{softmax([3.0, 3.0, 1.0], temperature=5.0)[0]:.3f}" in readout
    dash.temperature.value = 1.0
    assert "now, at" not in _text(dash.readout.value)
    dash.hide()
    assert dash.temperature.disabled


@pytest.mark.slow
def test_ticking_the_standard_scale_after_the_reveal_keeps_the_answer_and_shows_the_change(shared):
    dash = shared
    dash.menu.value = "attention"
    extra = dash.extras["attention"]
    asked = dash.answer
    assert dash.premise == "d = 1024, scale 1" and not extra.standard_scale.value
    dash.reveal()
    extra.standard_scale.value = True
    assert dash.answer == asked
    readout = _text(dash.readout.value)
    now = float(extra.weights.max(axis=1).mean())
    assert f"{asked[1]:.3f}" in readout and "as asked: d = 1024, scale 1" in readout
    assert "now, at d = 1024, scale 1/\u221ad" in readout and f"{now:.3f}" in readout and now < asked[1]
    dash.hide()                                  # the same question again: unscaled, as asked
    assert not extra.standard_scale.value and dash.answer == asked
    dash.menu.value = "sharp"


@pytest.mark.slow
def test_model_presets_give_the_model_probabilities_with_the_rest_in_one_bar(shared, cat_logits):
    dash = shared
    dash.menu.value = "hot"
    dash.reveal()
    p = softmax(cat_logits[0], temperature=10.0)
    bars = [bar.get_height() for bar in dash.probability_bars.bars]
    top = np.sort(p)[::-1][:6]
    np.testing.assert_allclose(bars[:6], top)
    assert math.isclose(bars[6], 1.0 - top.sum())
    assert "1/445" in _text(dash.readout.value)


@pytest.mark.slow
def test_calibration_preset_shows_lesson_07_after_the_reveal(shared):
    dash = shared
    dash.menu.value = "calibration"
    extra = dash.extras["calibration"]
    assert isinstance(extra, W.ReliabilityDashboard) and extra.checkpoint.value == "overtrained"
    assert dash.stage.children == () and dash._plot_box.layout.display == "none"
    model = lm.load("overtrained")
    z, y = lm.split_logits(model, "calibration")
    accuracy = float(np.mean(z.argmax(axis=1) == y))
    confidence = float(np.mean(softmax(z).max(axis=1)))
    assert f"{100 * confidence:.1f}%" in _text(dash.question.value)
    assert "hidden" in _text(dash.readout.value)
    dash.guess.value = "0.9"
    dash.reveal()
    assert dash.stage.children == (extra,)
    assert dash.answer == (None, pytest.approx(accuracy))
    readout = _text(dash.readout.value)
    assert "0.90" in readout and f"{accuracy:.3f}" in readout and "not quite" in readout


def test_attention_preset_shows_lesson_08_unscaled_at_d_1024(shared):
    dash = shared
    dash.menu.value = "attention"
    extra = dash.extras["attention"]
    assert extra.d_slider.value == 1024 and not extra.standard_scale.value and extra.scale == 1.0
    q, k = sentence_queries_keys(d=1024)
    weights = scaled_dot_product_attention(q, k, np.eye(len(q)), scale=1.0)[1]
    dash.reveal()
    assert dash.answer[1] == pytest.approx(float(weights.max(axis=1).mean()))
    assert dash.stage.children == (extra,)
    dash.menu.value = "sharp"                      # back to a logits preset: the stage empties
    assert dash.stage.children == () and dash._plot_box.layout.display is None


@pytest.mark.slow
def test_greedy_preset_shows_greedy_and_seeded_samples(shared, cat_logits):
    dash = shared
    dash.menu.value = "greedy"
    assert dash.draws is not None and "mat" not in _text(dash.readout.value).split("answer")[1]
    draws = dash.draws.copy()
    dash.reveal()
    np.testing.assert_array_equal(dash.draws, draws)                         # seeded: the same draws
    readout = _text(dash.readout.value)
    assert "mat, every time" in readout
    n_top = int(np.sum(draws == int(np.argmax(cat_logits[0]))))
    assert f"({n_top} of 20 are mat)" in readout


@pytest.mark.slow
def test_hidden_before_the_reveal_then_guess_beside_the_answer():
    dash = classroom("preset=tie")
    assert dash.figure_mode == "png" and dash.presentation
    answer = softmax([3.0, 3.0, 1.0])[0]
    assert not any(_visible(dash.probability_bars))
    assert not any(t.get_visible() for t in dash.probability_bars.texts)
    assert dash.hidden_mark.get_visible() and not dash.guess_line.get_visible()
    readout = _text(dash.readout.value)
    assert "hidden" in readout and f"{answer:.3f}" not in readout and "0.468" not in readout
    dash.guess.value = "40%"                                 # the class says 40%; Enter sends it
    assert dash.guess_value == 0.4 and not dash.revealed
    assert not any(_visible(dash.probability_bars))
    dash.reveal_button.click()
    assert dash.revealed
    assert _visible(dash.probability_bars)[:3] == [True] * 3 and not any(_visible(dash.probability_bars)[3:])
    np.testing.assert_allclose([b.get_height() for b in dash.probability_bars.bars][:3], softmax([3.0, 3.0, 1.0]))
    assert not dash.hidden_mark.get_visible()
    assert dash.guess_line.get_visible() and dash.guess_line.get_ydata()[0] == 0.4
    readout = _text(dash.readout.value)
    assert "class guess 0.40" in " ".join(readout.split())
    assert f"{answer:.3f} (mat)" in readout and "close" in readout
    # both tied words are highlighted, roof is not
    colors = [bar.get_facecolor() for bar in dash.probability_bars.bars[:3]]
    assert colors[0] == colors[1] != colors[2]
    assert not dash.errors


@pytest.mark.slow
def test_word_guess_for_the_cat(cat_logits):
    dash = classroom(preset="cat", presentation=False)
    dash.guess.value = "rug"
    dash.reveal()
    readout = " ".join(_text(dash.readout.value).split())
    assert "class guess rug" in readout and "answer mat (probability 0.384)" in readout and "not quite" in readout
    dash.guess.value = "zzzz"                                  # not a word of the model: refused inline
    assert dash.guess_value is None and "zzzz" in _text(dash.message.value)


@pytest.mark.slow
def test_a_bad_guess_is_refused_with_a_message_and_reveal_still_works():
    dash = classroom(preset="sharp", presentation=False)
    dash.guess.value = "lots"
    assert dash.guess_value is None and "guess not taken" in _text(dash.message.value)
    dash.reveal()
    assert dash.revealed and "class guess \u2014" in " ".join(_text(dash.readout.value).split())
    assert not dash.errors


@pytest.mark.slow
def test_hide_and_next_reset_the_question():
    dash = classroom(preset="cold", presentation=False)
    dash.guess.value = "0.9"
    dash.reveal()
    dash.temperature.value = 2.0
    dash.hide_button.click()
    assert not dash.revealed and dash.guess.value == "" and dash.guess_value is None
    assert dash.temperature.value == pytest.approx(0.1) and dash.preset.key == "cold"
    assert not any(_visible(dash.probability_bars)) and dash.hidden_mark.get_visible()
    dash.reveal()
    dash.next_button.click()
    assert dash.preset.key == "hot" and not dash.revealed and dash.temperature.value == pytest.approx(10.0)
    dash.menu.value = PRESET_KEYS[-1]
    dash.next_button.click()
    assert dash.preset.key == PRESET_KEYS[0]                       # wraps around


@pytest.mark.slow
def test_the_slider_moves_the_bars_in_place_after_the_reveal():
    dash = classroom(preset="sharp")
    figure, bars = dash.figure, list(dash.probability_bars.bars)
    dash.reveal()
    before = [b.get_height() for b in bars][:4]
    dash.temperature.value = 4.0
    after = [b.get_height() for b in bars][:4]
    np.testing.assert_allclose(after, softmax([5.0, 1.0, 0.5, 0.0], temperature=dash.temperature.value))
    assert after != before
    for key in PRESET_KEYS:                                    # the figure and its artists are kept
        dash.menu.value = key
    assert dash.figure is figure and list(dash.probability_bars.bars) == bars
    assert not dash.errors


@pytest.mark.slow
def test_unknown_preset_shows_the_menu_and_an_escaped_message():
    dash = classroom("preset=%3Cb%3Eboom%3C/b%3E", presentation=False)
    assert dash.preset.key == DEFAULT_PRESET and dash.menu.value == DEFAULT_PRESET
    assert "unknown preset" in dash.message.value and "menu" in dash.message.value
    assert "<b>boom" not in dash.message.value and "&lt;b&gt;boom" in dash.message.value
    assert not dash.errors and dash.error.value == ""
    dash.menu.value = "flat"                                   # choosing a preset clears the note
    assert dash.message.value == ""


@pytest.mark.slow
def test_preset_argument_wins_and_is_checked():
    assert classroom("preset=tie", preset="flat", presentation=False).preset.key == "flat"
    with pytest.raises(ValueError, match="key must be one of"):
        classroom(preset="nope")
    with pytest.raises(ValueError, match="key must be one of"):
        Classroom("nope")


def _focusable(widget):
    """The controls a Tab key reaches, in page order (a walk through the layout)."""
    if isinstance(widget, ipywidgets.Box):
        return [w for child in widget.children for w in _focusable(child)]
    if isinstance(widget, (ipywidgets.Button, ipywidgets.Dropdown, ipywidgets.Text, ipywidgets.FloatLogSlider)):
        return [widget]
    return []


@pytest.mark.slow
def test_keyboard_order_and_state():
    dash = classroom(preset="tie", presentation=False)
    assert _focusable(dash) == [dash.menu, dash.next_button, dash.guess, dash.reveal_button, dash.hide_button,
                                dash.temperature]
    assert [w for w in _focusable(dash) if w.disabled] == [dash.temperature]     # locked until Reveal
    dash.reveal()
    assert not any(w.disabled for w in _focusable(dash))
    assert dash.guess.continuous_update is False            # the guess is sent on Enter (or on leaving the box)
    labels = [label for label, _ in dash.menu.options]
    assert [label.split(" ")[0] for label in labels] == [str(i) for i in range(1, len(PRESETS) + 1)]
    assert [value for _, value in dash.menu.options] == list(PRESET_KEYS)
    assert dash.reveal_button.description == "Reveal" and dash.hide_button.description == "Hide"


@pytest.mark.slow
def test_messages_show_right_under_the_guess_row():
    dash = classroom("preset=nope", presentation=False)
    children = list(dash.children)
    row = next(c for c in children if isinstance(c, ipywidgets.HBox) and dash.guess in c.children)
    assert children.index(dash.message) == children.index(row) + 1
    assert children.count(dash.message) == 1 and children.index(dash.message) < children.index(dash.readout)


@pytest.mark.slow
def test_extreme_temperatures_give_no_nan_and_no_warning(shared, no_warnings):
    dash = shared
    for key in [p.key for p in PRESETS if p.source in ("logits", "model")]:
        dash.menu.value = key
        dash.reveal()
        for t in (dash.temperature.min, dash.temperature.max):
            dash.temperature.value = 10 ** t
            heights = [bar.get_height() for bar in dash.probability_bars.bars]
            assert np.isfinite(heights).all() and np.isfinite(dash.probabilities).all(), key
            assert math.isclose(float(dash.probabilities.sum()), 1.0, rel_tol=1e-9)
    assert not dash.errors
