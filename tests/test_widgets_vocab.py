"""Widget-logic tests of lesson 09: the memory calculator of the logits of a large vocabulary.

Everything runs with no front end (matplotlib's Agg renderer underneath). What every dashboard
must do (axes labelled, presentation mode larger, partial redraws complete, callback errors shown)
is checked in test_widgets_contract.py.
"""

import base64
import io

import ipywidgets
import pytest

from softmax_lab import plots
from softmax_lab import widgets as W
from softmax_lab.vocab import output_layer_cost
from softmax_lab.widgets.vocab import VOCAB_PRESETS


def widths(calc):
    return [bar.get_width() for bar in calc.bars]


def pixels(png):
    import matplotlib.image

    return matplotlib.image.imread(io.BytesIO(png))


def shown_png(calc):
    (item,) = calc.figure_view.outputs
    return base64.b64decode(item["data"]["image/png"])


@pytest.mark.slow
def test_defaults_are_the_lessons_example():
    calc = W.vocab_memory_calculator()
    assert isinstance(calc, W.VocabMemoryCalculator) and calc.figure_mode == "png"
    assert calc.tokens == 8192 and calc.preset.value == "Gemma"
    assert calc.logits_bytes == 8192 * 256_000 * 4 == calc.grad_bytes
    assert calc.cost == output_layer_cost(8192, 256_000, 1, "float32")
    assert widths(calc) == pytest.approx([calc.logits_bytes, calc.grad_bytes, 2 * calc.logits_bytes])
    assert [t.get_text() for t in calc.values] == ["8.39 GB", "8.39 GB", "16.8 GB"]
    assert "8.39 GB" in calc.readout.value


@pytest.mark.slow
def test_the_first_slider_changes_figure_and_readout():
    calc = W.vocab_memory_calculator()
    sliders = (ipywidgets.IntSlider, ipywidgets.FloatSlider, ipywidgets.SelectionSlider)
    first = next(w for w in calc.children if isinstance(w, sliders))   # what the browser tests move
    assert first is calc.batch
    before_png, before_text = plots.render_png(calc.figure), calc.readout.value
    calc.batch.value = 16
    assert calc.tokens == 16 * 1024
    assert widths(calc)[0] == pytest.approx(16 * 1024 * 256_000 * 4)
    assert calc.readout.value != before_text and plots.render_png(calc.figure) != before_png
    assert not calc.errors


@pytest.mark.slow
def test_presets_dtype_and_sequence_length():
    calc = W.vocab_memory_calculator()
    for name, V in VOCAB_PRESETS.items():
        calc.preset.value = name
        assert calc.n_words.value == V and calc.logits_bytes == 8192 * V * 4
    calc.n_words.value = 100_000
    assert calc.preset.value == "custom"
    calc.n_words.value = 50_257
    assert calc.preset.value == "GPT-2"
    calc.dtype.value = "bfloat16"
    assert calc.logits_bytes == 8192 * 50_257 * 2
    calc.seq_len.value = 32_768
    assert calc.tokens == 8 * 32_768 and "262,144" in calc.readout.value
    assert "bfloat16" in calc.figure.axes[0].get_title()
    assert not calc.errors


@pytest.mark.slow
def test_largest_and_smallest_settings_stay_inside_the_axis():
    for kwargs in ({"batch": 64, "seq_len": 32_768, "n_words": 300_000, "dtype": "float64"},
                   {"batch": 1, "seq_len": 128, "n_words": 1000, "dtype": "float16"}):
        calc = W.vocab_memory_calculator(**kwargs)
        lo, hi = calc.figure.axes[0].get_xlim()
        assert all(lo <= w <= hi for w in widths(calc)), kwargs
    assert calc.logits_bytes == 128 * 1000 * 2 and calc.values[0].get_text() == "256 kB"


@pytest.mark.parametrize("kwargs, error, words", [
    ({"seq_len": 1000}, ValueError, "seq_len"),
    ({"dtype": "int8"}, ValueError, "dtype"),
    ({"batch": 0}, ValueError, "batch"),
    ({"batch": 2.5}, TypeError, "batch"),
    ({"batch": True}, TypeError, "batch"),
    ({"n_words": 10}, ValueError, "n_words"),
])
def test_bad_arguments_name_themselves(kwargs, error, words):
    with pytest.raises(error, match=words):
        W.vocab_memory_calculator(**kwargs)
