"""Tests for softmax_lab.vocab and softmax_lab.factored: chunked cross-entropy, adaptive,
sampled and hierarchical softmax, each compared with the exact softmax over the whole vocabulary.

References are written out here in float64 from the definitions (the full logit matrix, scipy's
log_softmax), on vocabularies small enough to form it.
"""

import numpy as np
import pytest
import scipy.special
from fast_loop import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from softmax_lab import gradient_check
from softmax_lab.vocab import (
    AdaptiveSoftmax,
    HierarchicalSoftmax,
    chunked_cross_entropy,
    full_cross_entropy,
    measure,
    output_layer_cost,
    sampled_softmax,
    zipf_probabilities,
)


def layer(N=6, d=5, V=37, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(N, d)) * scale, rng.normal(size=(V, d)), rng.normal(size=V),
            rng.integers(0, V, size=N))


def reference(h, W, t, b=None):
    """Loss and gradients from the definition: one-hot targets, scipy's softmax."""
    z = h @ W.T + (0 if b is None else b)
    N = len(t)
    loss = -np.mean(scipy.special.log_softmax(z, axis=1)[np.arange(N), t])
    G = scipy.special.softmax(z, axis=1)
    G[np.arange(N), t] -= 1
    G /= N
    return loss, G @ W, G.T @ h, G.sum(axis=0)


# ------------------------------------------------------------------------------------------
# chunked cross-entropy
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("chunk_size", [1, 2, 7, 36, 37, 1000])
@pytest.mark.parametrize("with_bias", [False, True])
def test_chunked_equals_reference(chunk_size, with_bias):
    h, W, b, t = layer()
    b = b if with_bias else None
    r = chunked_cross_entropy(h, W, t, chunk_size=chunk_size, bias=b)
    loss, gh, gw, gb = reference(h, W, t, b)
    assert abs(r.loss - loss) < 1e-12
    np.testing.assert_allclose(r.grad_hidden, gh, atol=1e-13, rtol=0)
    np.testing.assert_allclose(r.grad_weight, gw, atol=1e-13, rtol=0)
    if with_bias:
        np.testing.assert_allclose(r.grad_bias, gb, atol=1e-13, rtol=0)
    else:
        assert r.grad_bias is None


@settings(max_examples=examples(40), deadline=None)
@given(N=st.integers(1, 9), d=st.integers(1, 6), V=st.integers(1, 60), chunk=st.integers(1, 70),
       seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([0.1, 1.0, 30.0]))
def test_chunked_equals_full_property(N, d, V, chunk, seed, scale):
    h, W, b, t = layer(N, d, V, seed, scale)
    c = chunked_cross_entropy(h, W, t, chunk_size=chunk, bias=b)
    f = full_cross_entropy(h, W, t, bias=b)
    assert abs(c.loss - f.loss) <= 1e-10 * max(1.0, abs(f.loss))
    for a, e in zip(c[1:], f[1:]):
        np.testing.assert_allclose(a, e, atol=1e-10, rtol=1e-10)


def test_chunked_passes_gradient_check():
    h, W, b, t = layer(N=4, d=3, V=23)
    r = chunked_cross_entropy(h, W, t, chunk_size=5, bias=b)
    assert gradient_check(lambda x: chunked_cross_entropy(x, W, t, 5, b).loss, h, r.grad_hidden) < 1e-7
    assert gradient_check(lambda x: chunked_cross_entropy(h, x, t, 5, b).loss, W, r.grad_weight) < 1e-7
    assert gradient_check(lambda x: chunked_cross_entropy(h, W, t, 5, x).loss, b, r.grad_bias) < 1e-7


def test_chunked_rescales_when_the_maximum_moves_to_a_later_chunk():
    # the largest logit sits in the LAST chunk: a missing rescale of the running sum would
    # leave exp(small - small) terms from the first chunks unscaled (a loss far too large)
    W = np.arange(12, dtype=float)[:, None]             # logits 0..11 times h
    h = np.array([[50.0]])
    r = chunked_cross_entropy(h, W, [11], chunk_size=3)
    assert abs(r.loss - scipy.special.logsumexp(50.0 * np.arange(12)) + 550.0) < 1e-12


def test_chunked_batch_shape_float32_and_float16():
    h, W, b, t = layer(N=6)
    h3, t3 = h.reshape(2, 3, 5), t.reshape(2, 3)
    r = chunked_cross_entropy(h3, W, t3, chunk_size=8, bias=b)
    f = full_cross_entropy(h, W, t, bias=b)
    assert r.grad_hidden.shape == (2, 3, 5)
    np.testing.assert_allclose(r.grad_hidden.reshape(6, 5), f.grad_hidden, atol=1e-13)
    for dtype, tol in [(np.float32, 1e-5), (np.float16, 3e-3)]:
        r = chunked_cross_entropy(h.astype(dtype), W.astype(dtype), t, chunk_size=8)
        assert r.loss.dtype == dtype and r.grad_weight.dtype == dtype and r.grad_hidden.dtype == dtype
        assert abs(float(r.loss) - reference(h, W, t)[0]) < tol * 10


def test_chunked_huge_logits_and_masks(no_warnings):
    h, W, b, t = layer(scale=1e100)                     # logits ~ 1e100: finite in float64
    c, f = chunked_cross_entropy(h, W, t, chunk_size=4), full_cross_entropy(h, W, t)
    assert np.isfinite(c.loss) and abs(c.loss - f.loss) <= 1e-12 * abs(f.loss)
    assert np.all(np.isfinite(c.grad_weight))
    b = np.zeros(37)
    b[:20] = -np.inf                                     # the first chunks are fully masked
    t = np.full(6, 25)
    c = chunked_cross_entropy(h / 1e100, W, t, chunk_size=4, bias=b)
    f = reference(h / 1e100, W[20:], t - 20, None)
    assert abs(c.loss - f[0]) < 1e-12
    assert np.all(c.grad_weight[:20] == 0) and np.all(c.grad_bias[:20] == 0)
    np.testing.assert_allclose(c.grad_weight[20:], f[2], atol=1e-13)


def test_chunked_empty_batch():
    W = np.ones((5, 3))
    r = chunked_cross_entropy(np.zeros((0, 3)), W, np.zeros(0, dtype=int))
    assert r.loss == 0 and r.grad_hidden.shape == (0, 3) and np.all(r.grad_weight == 0)


def test_refusals_the_hostile_property_does_not_draw(no_warnings):
    """Bad types, shapes, NaN and ranges are tests/test_hostile_arguments.py's property; these are
    the refusals that depend on values working together."""
    args = {"hidden": np.ones((2, 5)), "weight": np.ones((7, 5)), "targets": [0, 1]}
    masked_target = np.r_[-np.inf, np.zeros(6)]
    for f in (chunked_cross_entropy, full_cross_entropy):
        with pytest.raises(ValueError, match="targets must not point at a masked word"):
            f(**args, bias=masked_target)
        with pytest.raises(ValueError, match="overflows"):
            f(np.full((2, 5), 1e200), np.full((7, 5), 1e200), [0, 1])
    h, W, _b, q = lm_like_layer(V=50)
    with pytest.raises(ValueError, match="overflows"):
        sampled_softmax(np.full((1, 2), 1e200), np.full((50, 2), 1e200), [0], q, 5)
    with pytest.raises(ValueError, match="cutoffs must end at V"):
        AdaptiveSoftmax.from_full(np.ones((6, 4)), None, (2, 5), np.ones((3, 4)))
    with pytest.raises(ValueError, match="node_weight must have at least one row"):
        HierarchicalSoftmax(np.ones((0, 3)))
    r = chunked_cross_entropy(np.ones((2, 5), dtype=int), np.ones((7, 5), dtype=int), [0, 1])   # integers -> float64
    assert r.loss.dtype == np.float64 and abs(r.loss - np.log(7)) < 1e-12


# ------------------------------------------------------------------------------------------
# adaptive softmax
# ------------------------------------------------------------------------------------------

def test_adaptive_sums_to_one_and_loss_matches_log_probs(no_warnings):
    a = AdaptiveSoftmax.random((5, 20, 60, 300), dim=16, seed=1)
    h = np.random.default_rng(2).normal(size=(7, 16)) * 3
    logp = a.log_probs(h)
    assert logp.shape == (7, 300)
    np.testing.assert_allclose(np.exp(logp).sum(axis=1), 1.0, rtol=1e-13)
    t = np.array([0, 4, 5, 19, 20, 150, 299])            # every part: head, each cluster, edges
    assert abs(a.loss(h, t) - (-logp[np.arange(7), t].mean())) < 1e-12
    # cluster dimensions shrink by div_value: 16 -> 4 -> 1 -> 1
    assert [p.shape[0] for p, _, _ in a.tails] == [4, 1, 1]


def test_adaptive_is_an_exact_product_of_head_and_cluster():
    a = AdaptiveSoftmax.random((3, 8), dim=4, seed=0)
    h = np.random.default_rng(1).normal(size=4)
    head = scipy.special.softmax(a.head_weight @ h + a.head_bias)
    proj, w, b = a.tails[0]
    tail = scipy.special.softmax(w @ (proj @ h) + b)
    np.testing.assert_allclose(np.exp(a.log_probs(h)), np.r_[head[:3], head[3] * tail], rtol=1e-13)


def test_adaptive_from_full_approaches_the_full_softmax():
    rng = np.random.default_rng(0)
    V, d = 400, 16
    W = rng.normal(size=(V, d)) * 0.3
    bias = np.log(zipf_probabilities(V))
    h = rng.normal(size=(300, d))
    exact = scipy.special.log_softmax(h @ W.T + bias, axis=1)
    # no reduction (div_value 1): only the cluster logit is approximated, and closely
    close = AdaptiveSoftmax.from_full(W, bias, (50, 150, V), h, div_value=1.0)
    kl_close = np.mean(np.sum(np.exp(exact) * (exact - close.log_probs(h)), axis=1))
    far = AdaptiveSoftmax.from_full(W, bias, (50, 150, V), h, div_value=8.0)
    kl_far = np.mean(np.sum(np.exp(exact) * (exact - far.log_probs(h)), axis=1))
    assert 0 <= kl_close < 0.01 < kl_far
    np.testing.assert_allclose(np.exp(far.log_probs(h)).sum(axis=1), 1.0, rtol=1e-12)


def test_adaptive_cost_per_token():
    a = AdaptiveSoftmax.random((10, 100, 1000), dim=16, div_value=4, seed=0)
    p = np.zeros(1000)
    p[:10] = 0.1                                          # every token in the head
    assert a.cost_per_token(p) == 16 * 12
    p = np.full(1000, 1e-3)
    expected = 16 * 12 + 0.09 * (4 * 16 + 90 * 4) + 0.9 * (1 * 16 + 900 * 1)
    assert abs(a.cost_per_token(p) - expected) < 1e-9


# ------------------------------------------------------------------------------------------
# sampled softmax
# ------------------------------------------------------------------------------------------

def lm_like_layer(V=2000, d=8, N=3, seed=0):
    """Logits that follow word frequency (bias log Q) plus a context term, as in a trained LM."""
    rng = np.random.default_rng(seed)
    q = zipf_probabilities(V)
    return rng.normal(size=(N, d)), rng.normal(size=(V, d)) * 0.3, np.log(q), q


@pytest.mark.slow
def test_sampled_softmax_corrected_is_unbiased_and_uncorrected_is_not():
    h, W, b, q = lm_like_layer()
    Z = np.exp(scipy.special.logsumexp(h @ W.T + b, axis=1))
    runs = 400
    for correct in (True, False):
        est = np.array([np.exp(sampled_softmax(h, W, [0, 1, 2], q, 64, bias=b, correct=correct,
                                               seed=1000 * correct + i).log_partition)
                        for i in range(runs)])
        z_score = (est.mean(axis=0) - Z) / (est.std(axis=0, ddof=1) / np.sqrt(runs))
        if correct:
            assert np.all(np.abs(z_score) < 4), z_score        # unbiased: E[Z_hat] = Z
        else:
            assert np.all(np.abs(z_score) > 20), z_score       # over-counts frequent words
            assert np.all(est.mean(axis=0) > 2 * Z)


def test_sampled_softmax_loss_converges_to_the_exact_loss():
    h, W, b, q = lm_like_layer()
    t = [0, 5, 700]
    exact = -np.mean(scipy.special.log_softmax(h @ W.T + b, axis=1)[np.arange(3), t])
    r = sampled_softmax(h, W, t, q, 200_000, bias=b, seed=0)
    assert abs(r.loss - exact) < 0.01
    far = sampled_softmax(h, W, t, q, 200_000, bias=b, correct=False, seed=0)
    assert far.loss - exact > 1.0


def test_sampled_softmax_is_seeded_and_checks_its_arguments():
    h, W, b, q = lm_like_layer(V=50)
    a = sampled_softmax(h, W, [0, 1, 2], q, 10, bias=b, seed=3)
    c = sampled_softmax(h, W, [0, 1, 2], q, 10, bias=b, seed=np.random.default_rng(3))
    assert a.samples.shape == (10,) and np.array_equal(a.samples, c.samples) and a.loss == c.loss


def test_zipf_probabilities():
    p = zipf_probabilities(1000, exponent=1.1)
    assert abs(p.sum() - 1) < 1e-12 and np.all(np.diff(p) < 0)
    np.testing.assert_allclose(p[0] / p[9], 10 ** 1.1)
    np.testing.assert_allclose(zipf_probabilities(4, exponent=0), 0.25)
    with pytest.raises(ValueError, match="exponent"):
        zipf_probabilities(4, exponent=-1)
    with pytest.raises(ValueError, match="n_words"):
        zipf_probabilities(0)


# ------------------------------------------------------------------------------------------
# hierarchical softmax
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("V", [2, 3, 5, 8, 445, 1000])
def test_hierarchical_sums_to_one_with_log2_steps(V, no_warnings):
    tree = HierarchicalSoftmax.random(V, dim=6, scale=5.0, seed=V)
    h = np.random.default_rng(0).normal(size=(4, 6))
    logp = tree.log_probs(h)
    np.testing.assert_allclose(np.exp(logp).sum(axis=1), 1.0, rtol=1e-12)
    lengths = {len(tree.path(w)) for w in range(V)}
    assert lengths <= {int(np.floor(np.log2(V))), int(np.ceil(np.log2(V)))}
    assert tree.depth == int(np.ceil(np.log2(V)))
    t = np.arange(4) * (V - 1) // 3
    assert abs(tree.loss(h, t) - (-logp[np.arange(4), t].mean())) < 1e-12


def test_hierarchical_path_probability_is_the_product_of_its_decisions():
    tree = HierarchicalSoftmax.random(5, dim=3, seed=0)
    h = np.array([0.5, -1.0, 2.0])
    s = tree.node_weight @ h + tree.node_bias                 # heap node i is row i - 1
    sig = scipy.special.expit
    # word 4 is leaf 9: 1 -> 2 (left) -> 4 (left) -> 9 (right)
    assert tree.path(4) == [(1, "left"), (2, "left"), (4, "right")]
    expected = sig(s[0]) * sig(s[1]) * sig(-s[3])
    assert abs(np.exp(tree.log_probs(h)[4]) - expected) < 1e-15


def test_hierarchical_fit_lowers_the_cross_entropy_but_not_to_the_full_softmax():
    rng = np.random.default_rng(0)
    V, d = 64, 6
    W = rng.normal(size=(V, d))
    h = rng.normal(size=(400, d))
    P = scipy.special.softmax(h @ W.T, axis=1)
    entropy = -np.mean(np.sum(P * np.log(P), axis=1))        # the full softmax's optimum
    tree = HierarchicalSoftmax.random(V, dim=d, seed=1)
    history = tree.fit(h, P, steps=60, learning_rate=2.0)
    assert len(history) == 61 and history[-1] < history[0] - 1
    final = -np.mean(np.sum(P * tree.log_probs(h), axis=1))
    assert abs(final - history[-1]) < 1e-10
    assert final > entropy + 0.05                               # the fixed tree costs accuracy


def test_output_layer_cost():
    c = output_layer_cost(8192, 256_000, 2048, "float32")
    assert c.logits_bytes == c.grad_bytes == 8192 * 256_000 * 4            # about 8.4 GB
    assert c.weight_bytes == 256_000 * 2048 * 4
    assert c.projection_flops == 2 * 8192 * 2048 * 256_000
    assert c.softmax_flops == 5 * 8192 * 256_000
    assert output_layer_cost(10, 50_257, 768, "bfloat16").logits_bytes == 10 * 50_257 * 2
    assert output_layer_cost(0, 5, 3).logits_bytes == 0
    with pytest.raises(ValueError, match="dtype"):
        output_layer_cost(1, 5, 3, "int8")
    with pytest.raises(ValueError, match="n_words"):
        output_layer_cost(1, 0, 3)


def test_measure_reports_time_and_the_peak_of_new_arrays():
    m = measure(lambda: [np.ones((1000, 1000)), np.ones((1000, 1000))], repeat=2)   # two 8 MB arrays
    assert 15e6 < m.peak_bytes < 17e6 and m.seconds > 0
    assert measure(lambda: None).peak_bytes < 10_000 and measure(lambda: 7).result == 7
    with pytest.raises(TypeError, match="fn"):
        measure(3)
    with pytest.raises(ValueError, match="repeat"):
        measure(lambda: None, repeat=0)
    with pytest.raises(ValueError, match="min_time"):
        measure(lambda: None, min_time=-1)
    calls = []
    measure(lambda: calls.append(1), repeat=2, min_time=0)
    assert len(calls) == 3                                   # 2 timed, 1 traced


def test_measure_can_let_the_output_go_and_still_reports_its_peak():
    """keep_result=False: the traced call's output is freed when measure returns (a sweep over
    sizes does not hold every call's arrays), and its peak is the same as with the result kept."""
    import weakref

    class Output:                                            # an object a weak reference can watch
        def __init__(self):
            self.data = np.ones(1_000_000)                   # 8 MB
    refs = []

    def make():
        out = Output()
        refs.append(weakref.ref(out))
        return out
    kept, dropped = measure(make, repeat=1, min_time=0), measure(make, repeat=1, min_time=0, keep_result=False)
    assert isinstance(kept.result, Output) and refs[1]() is kept.result
    assert dropped.result is None and refs[3]() is None      # the traced call's output is gone
    assert 7.9e6 < dropped.peak_bytes < 8.5e6 and 7.9e6 < kept.peak_bytes < 8.5e6
    with pytest.raises(TypeError, match="keep_result"):
        measure(make, keep_result="no")


def test_hierarchical_fit_takes_float16_distributions_and_names_a_bad_step_count():
    """A float16 softmax sums to 1 only within float16's rounding (about 1e-3 for V = 50): fit
    must take it as a distribution, and a bad ``steps`` is named before the data is looked at
    (the hostile-argument property found both)."""
    from softmax_lab import softmax
    from softmax_lab.factored import HierarchicalSoftmax

    rng = np.random.default_rng(0)
    model = HierarchicalSoftmax.random(50, 3, seed=0)
    hidden = rng.normal(size=(4, 3))
    P = softmax(rng.normal(size=(4, 50)).astype(np.float16))
    assert abs(float(P.astype(np.float64).sum(axis=1).max()) - 1) > 1e-6      # the case this is about
    losses = model.fit(hidden, P, steps=2)
    assert len(losses) == 3 and np.all(np.isfinite(losses))
    with pytest.raises(ValueError, match="steps"):
        model.fit(hidden, P.astype(np.float32) * 2, steps=-1)
