"""Widget-logic tests for lesson 08's dashboards: build them without a browser, move their
controls, and compare the artists with numbers computed here from softmax_lab's math."""

import math

import numpy as np
import pytest

from softmax_lab import softmax
from softmax_lab import widgets as W
from softmax_lab.attention import (
    attention_entropy,
    causal_mask,
    scaled_dot_product_attention,
    softmax_one,
    tiled_attention,
)
from softmax_lab.widgets.attention import collapse_stats, sentence_queries_keys

DASHBOARDS = [W.attention_explorer, W.entropy_collapse, W.attention_sink, W.tiled_walkthrough]


def first_slider(dash):
    return next(c for c in dash.children if hasattr(c, "min") and hasattr(c, "max") and hasattr(c, "step"))


def test_sentence_comes_from_the_tiny_models_vocabulary():
    q, k = sentence_queries_keys(d=32)
    q2, _ = sentence_queries_keys(d=64)
    np.testing.assert_array_equal(q, q2[:, :32])          # a larger d keeps the first columns
    with pytest.raises(ValueError, match="vocabulary"):
        sentence_queries_keys(words=("the", "xylophone"))
    with pytest.raises(ValueError, match="d must be"):
        sentence_queries_keys(d=0)


@pytest.mark.slow
def test_attention_explorer_shows_the_weights_and_entropies():
    dash = W.attention_explorer()
    q, k = sentence_queries_keys(d=64)
    expected = softmax(q @ k.T / 8.0)
    np.testing.assert_allclose(dash.weights, expected, rtol=1e-12)
    np.testing.assert_allclose(dash.image.get_array(), expected, rtol=1e-12)
    np.testing.assert_allclose([b.get_width() for b in dash.entropy_bars], attention_entropy(expected), rtol=1e-12)
    assert dash.scale_slider.disabled
    # the standard scale off: a fixed factor of 1 at d = 1024 collapses the rows
    dash.standard_scale.value = False
    assert not dash.scale_slider.disabled
    dash.scale_slider.value = 1.0
    dash.d_slider.value = 1024
    assert dash.scale == 1.0
    assert dash.entropies.mean() < 0.5
    dash.standard_scale.value = True
    assert dash.scale == pytest.approx(1 / 32)
    assert dash.entropies.mean() > 1.5


@pytest.mark.slow
def test_attention_explorer_causal_mask_zeros_the_future():
    dash = W.attention_explorer()
    dash.causal.value = True
    w = dash.weights
    assert np.all(w[np.triu_indices(8, 1)] == 0.0)
    np.testing.assert_allclose(w.sum(-1), 1.0)
    assert dash.entropies[0] == 0.0          # the first word can only look at itself
    np.testing.assert_allclose(dash.image.get_array(), w)


def test_attention_explorer_refuses_bad_d():
    with pytest.raises(ValueError, match="d must be"):
        W.attention_explorer(d=2000)


@pytest.mark.slow
def test_entropy_collapse_curves_and_remedies():
    dash = W.entropy_collapse()
    _, h1, g1 = collapse_stats(1.0)
    assert dash.entropy == pytest.approx(h1) and dash.gradient == pytest.approx(g1)
    dash.weight_scale.value = 10 ** 1.5
    assert dash.entropy < 0.3 and dash.gradient < g1 / 2              # collapsed, gradients small
    np.testing.assert_allclose(dash.entropy_marker.get_ydata(), [dash.entropy])
    dash.qk_norm.value = True
    assert dash.entropy == pytest.approx(collapse_stats(1.0, qk_norm=True)[1], abs=1e-3)   # g hardly matters
    assert np.ptp(dash.entropy_line.get_ydata()) < 1e-3          # a flat curve (eps aside)
    dash.qk_norm.value = False
    dash.soft_capping.value = True
    assert not dash.cap.disabled
    s = sentence_queries_keys(d=64, weight_scale=10 ** 1.5)
    scores = s[0] @ s[1].T / 8.0
    np.testing.assert_allclose(dash.weights, softmax(5.0 * np.tanh(scores / 5.0)), rtol=1e-12)
    assert dash.gradient < 0.05               # the tanh is saturated: no gradient through it either


@pytest.mark.slow
def test_attention_sink_three_ways():
    dash = W.attention_sink()
    plain0 = dash.plain.copy()
    dash.relevance.value = -8.0
    np.testing.assert_allclose(dash.plain, plain0, rtol=1e-12)        # shift invariance
    assert dash.with_sink[0] > 0.99
    np.testing.assert_allclose(dash.quiet, softmax_one(dash.base_scores - 8.0))
    assert dash.quiet.sum() < 0.01
    heights = [[bar.get_height() for bar in group.bars] for group in dash.bar_groups]
    np.testing.assert_allclose(heights, [dash.plain, dash.with_sink, dash.quiet])


@pytest.mark.slow
def test_tiled_walkthrough_reaches_the_reference():
    dash = W.tiled_walkthrough()
    assert dash.blocks_read.max == 6 and dash.step.keys == (0, 4)
    assert dash.distance.max() > 1e-3                   # one block is not the whole story
    scores = dash.q @ dash.k.T / math.sqrt(8)
    np.testing.assert_allclose([b.get_height() for b in dash.max_bars], scores[:, :4].max(-1))
    dash.blocks_read.value = 6
    assert dash.distance.max() < 1e-12
    np.testing.assert_allclose(dash.step.output, tiled_attention(dash.q, dash.k, dash.v, block_size=4))
    assert dash.unread.get_width() == 0
    dash.causal.value = True
    ref, _ = scaled_dot_product_attention(dash.q, dash.k, dash.v, mask=causal_mask(6, 24))
    np.testing.assert_allclose(dash.reference, ref)
    assert dash.distance.max() < 1e-12


@pytest.mark.parametrize("kwargs", [dict(n_queries=0), dict(n_keys=100), dict(block_size=1.5),
                                    dict(n_queries=10, n_keys=5)])
def test_tiled_walkthrough_refuses_bad_sizes(kwargs):
    with pytest.raises(ValueError):
        W.tiled_walkthrough(**kwargs)
