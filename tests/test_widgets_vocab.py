"""Widget-logic tests for lesson 09's memory calculator: build it, move its controls, read its artists."""

import numpy as np
import pytest

from softmax_lab import plots
from softmax_lab.widgets import VocabMemoryCalculator, vocab_memory_calculator
from softmax_lab.widgets.vocab import VOCAB_PRESETS


def widths(calc):
    return [bar.get_width() for bar in calc.bars]


def test_defaults_are_the_lessons_example():
    calc = vocab_memory_calculator()
    assert isinstance(calc, VocabMemoryCalculator)
    assert calc.tokens == 8192 and calc.preset.value == "Gemma"
    assert calc.logits_bytes == 8192 * 256_000 * 4 == calc.grad_bytes
    assert widths(calc) == pytest.approx([calc.logits_bytes, calc.grad_bytes, 2 * calc.logits_bytes])
    assert calc.values[0].get_text() == "8.39 GB"
    assert "8.39 GB" in calc.readout.value


def test_the_first_control_is_a_slider_that_changes_figure_and_readout():
    calc = vocab_memory_calculator()
    assert calc.children[0] is calc.batch or calc.batch in calc.children
    before_png, before_text = plots.render_png(calc.figure), calc.readout.value
    calc.batch.value = 16
    assert calc.tokens == 16 * 1024
    assert widths(calc)[0] == pytest.approx(16 * 1024 * 256_000 * 4)
    assert calc.readout.value != before_text and plots.render_png(calc.figure) != before_png


def test_presets_dtype_and_sequence_length():
    calc = vocab_memory_calculator()
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
    assert calc.tokens == 8 * 32_768
    assert "262,144" in calc.readout.value
    assert not calc.errors


def test_largest_setting_stays_inside_the_axis():
    calc = vocab_memory_calculator(batch=64, seq_len=32_768, n_words=300_000, dtype="float64")
    assert calc.logits_bytes == 64 * 32_768 * 300_000 * 8
    lo, hi = calc.figure.axes[0].get_xlim()
    assert all(lo <= w <= hi for w in widths(calc))


@pytest.mark.parametrize("kwargs, error, words", [
    ({"seq_len": 1000}, ValueError, "seq_len"),
    ({"dtype": "int8"}, ValueError, "dtype"),
    ({"batch": 0}, ValueError, "batch"),
    ({"batch": 2.5}, TypeError, "batch"),
    ({"n_words": 10}, ValueError, "n_words"),
])
def test_bad_arguments_name_themselves(kwargs, error, words):
    with pytest.raises(error, match=words):
        vocab_memory_calculator(**kwargs)


def test_presentation_mode_builds():
    calc = vocab_memory_calculator(presentation=True)
    assert calc.presentation and np.isclose(calc.logits_bytes / 1e9, 8.388608)
