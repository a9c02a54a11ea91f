"""Independent references for the newer modules: code nobody here wrote, high precision, brute force.

* calibration: scikit-learn's ``calibration_curve``, ``brier_score_loss`` and ``log_loss``;
  temperature scaling against a root of the NLL's derivative (scipy's ``brentq``), a different
  method from the bounded minimiser ``fit_temperature`` calls;
* alternatives and attention variants: mpmath at high precision for entmax and sparsemax at
  extreme alpha, and for soft_cap and softmax_one near the float limits;
* decoding: brute force over every sequence of small models;
* every gradient of these modules (vocab's output layer, the tiny LM's backward pass,
  HierarchicalSoftmax.fit's step) against central finite differences written here.
"""

import itertools

import mpmath
import numpy as np
import pytest
import scipy.optimize
import scipy.special
import scipy.stats
from fast_loop import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, log_loss

from softmax_lab import lm, training
from softmax_lab.alternatives import entmax, sparsemax
from softmax_lab.attention_variants import soft_cap, softmax_one
from softmax_lab.calibration import (
    brier_score,
    classwise_calibration_error,
    debiased_calibration_error,
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    reliability_bins,
)
from softmax_lab.decoding import beam_search, greedy_decode, sequence_log_prob
from softmax_lab.factored import HierarchicalSoftmax
from softmax_lab.vocab import chunked_cross_entropy, full_cross_entropy, zipf_probabilities

SETTINGS = settings(max_examples=examples(40), deadline=None)


# ---------------------------------------------------------------------------------------------
# Calibration against scikit-learn

@st.composite
def predictions(draw):
    N, K = draw(st.integers(5, 300)), draw(st.integers(2, 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    logits = rng.normal(size=(N, K)) * draw(st.sampled_from([0.3, 1.0, 3.0, 10.0]))
    probs = scipy.special.softmax(logits, axis=1)
    labels = rng.integers(0, K, size=N)
    return logits, probs, labels


def _binned(y_true, y_prob, n_bins):
    """sklearn's per-bin accuracy and confidence, with the bin counts from np.histogram."""
    prob_true, prob_pred = calibration_curve(y_true, y_prob, n_bins=n_bins, strategy="uniform")
    counts = np.histogram(y_prob, bins=np.linspace(0, 1, n_bins + 1))[0]
    return prob_true, prob_pred, counts[counts > 0]


@SETTINGS
@given(predictions(), st.integers(1, 30))
def test_reliability_bins_match_sklearns_calibration_curve(case, n_bins):
    _, p, y = case
    bins = reliability_bins(p, y, n_bins=n_bins)
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(int)
    prob_true, prob_pred, counts = _binned(correct, conf, n_bins)
    full = bins.count > 0
    np.testing.assert_allclose(bins.accuracy[full], prob_true, rtol=1e-12)
    np.testing.assert_allclose(bins.confidence[full], prob_pred, rtol=1e-12)
    np.testing.assert_array_equal(bins.count[full], counts)
    ece = np.sum(counts / len(y) * np.abs(prob_true - prob_pred))
    assert expected_calibration_error(p, y, n_bins=n_bins) == pytest.approx(ece, rel=1e-12, abs=1e-15)


@SETTINGS
@given(predictions(), st.integers(1, 20))
def test_classwise_error_is_the_mean_of_sklearns_one_vs_rest_curves(case, n_bins):
    _, p, y = case
    per_class = []
    for k in range(p.shape[1]):            # every class (Kull et al.); one that never occurs: its mean p
        if not np.any(y == k):
            per_class.append(p[:, k].mean())
            continue
        prob_true, prob_pred, counts = _binned((y == k).astype(int), p[:, k], n_bins)
        per_class.append(np.sum(counts / len(y) * np.abs(prob_true - prob_pred)))
    assert classwise_calibration_error(p, y, n_bins=n_bins) == pytest.approx(np.mean(per_class), rel=1e-10,
                                                                            abs=1e-15)


@SETTINGS
@given(predictions(), st.integers(1, 20))
def test_debiased_error_from_sklearns_bins(case, n_bins):
    _, p, y = case
    prob_true, prob_pred, counts = _binned((p.argmax(axis=1) == y).astype(int), p.max(axis=1), n_bins)
    ok = counts >= 2
    acc, conf, n = prob_true[ok], prob_pred[ok], counts[ok]
    d = np.sum(n / len(y) * ((acc - conf) ** 2 - acc * (1 - acc) / (n - 1)))
    got = debiased_calibration_error(p, y, n_bins=n_bins, strategy="uniform")
    assert got == pytest.approx(np.sqrt(max(d, 0.0)), rel=1e-9, abs=1e-12)


@SETTINGS
@given(predictions())
def test_brier_score_and_nll_match_sklearn(case):
    z, p, y = case
    K = p.shape[1]
    assert brier_score(p, y) == pytest.approx(brier_score_loss(y, p, labels=range(K), scale_by_half=False), rel=1e-12)
    if p[np.arange(len(y)), y].min() > 1e-12:        # log_loss clips probabilities near 0 (eps of float64)
        assert negative_log_likelihood(z, y) == pytest.approx(log_loss(y, p, labels=range(K)), rel=1e-9)


@SETTINGS
@given(predictions(), st.sampled_from([0.3, 1.0, 3.0]))
def test_fit_temperature_is_the_root_of_the_nlls_derivative(case, scale):
    """d NLL / d beta (beta = 1/T) = mean(E_softmax(beta z)[z] - z_y): increasing in beta; its root is T*."""
    z, _, y = case
    rng = np.random.default_rng(len(y))
    y = (rng.random(len(y))[:, None] > scipy.special.softmax(z, axis=1).cumsum(axis=1)).sum(axis=1)  # calibrated
    z = z * scale

    def slope(beta):
        return np.mean(np.sum(scipy.special.softmax(beta * z, axis=1) * z, axis=1) - z[np.arange(len(y)), y])

    lo, hi = 1 / 20.0, 1 / 0.05
    if slope(lo) >= 0 or slope(hi) <= 0:             # the optimum is on a bound: fit_temperature says so
        return
    beta = scipy.optimize.brentq(slope, lo, hi, xtol=1e-13)
    assert fit_temperature(z, y) == pytest.approx(1 / beta, rel=1e-4)


# ---------------------------------------------------------------------------------------------
# entmax, sparsemax, soft_cap, softmax_one against mpmath

def mp_entmax(z, alpha):
    """alpha-entmax by bisection on tau at as many digits as the smallest probability needs."""
    fin = [mpmath.mpf(float(v)) for v in z if np.isfinite(v)]
    digits = 60
    while True:
        with mpmath.workdps(digits):
            a = mpmath.mpf(float(alpha))
            m = max(fin)
            x = [(a - 1) * (mpmath.mpf(float(v)) - m) if np.isfinite(v) else None for v in z]
            power = 1 / (a - 1)

            def total(tau):
                return mpmath.fsum(max(xi - tau, 0) ** power for xi in x if xi is not None)

            lo, hi = mpmath.mpf(-1), -mpmath.mpf(len(fin)) ** (1 - a)
            for _ in range(int(digits * 3.4) + 20):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if total(mid) >= 1 else (lo, mid)
            p = [max(xi - lo, 0) ** power if xi is not None else mpmath.mpf(0) for xi in x]
            p = [v / mpmath.fsum(p) for v in p]
            smallest = min(v for v in p if v > 0)
            needed = int((a - 1) * -mpmath.log10(smallest)) + 40     # digits that resolve p^(alpha - 1)
        if needed <= digits:
            return np.array([float(v) for v in p])
        digits = needed


rows = hnp.arrays(np.float64, st.integers(2, 5),
                  elements=st.one_of(st.floats(-3, 3), st.floats(-0.05, 0.05), st.just(-np.inf)))
rows = rows.filter(lambda z: np.isfinite(z).any())


@settings(max_examples=examples(60), deadline=None)
@given(rows, st.one_of(st.floats(1.001, 1.2), st.floats(1.2, 3.0), st.floats(3.0, 60.0)))
def test_entmax_matches_mpmath_at_any_alpha(z, alpha):
    # 60 bisection steps (the default n_iter) on the threshold; at large alpha the probabilities
    # move by up to about 1e-10 for the last bracket's width (alpha = 10: 1.2e-10 was seen), so 1e-9
    np.testing.assert_allclose(entmax(z, alpha=alpha), mp_entmax(z, alpha), rtol=0, atol=1e-9)


@settings(max_examples=examples(40), deadline=None)
@given(rows)
def test_sparsemax_matches_mpmath(z):
    np.testing.assert_allclose(sparsemax(z), mp_entmax(z, 2), rtol=0, atol=1e-12)


def _ulp_close(got, exact, dtype, ulps=2):
    """|got - exact| within a few units in the last place of the output dtype (exact: mpmath values)."""
    info = np.finfo(dtype)
    got = np.asarray(got, dtype=np.float64)
    exact = np.asarray(exact, dtype=np.float64)
    tol = np.maximum(np.abs(exact), info.smallest_normal) * info.eps * ulps
    assert np.all(np.abs(got - exact) <= tol), (got, exact)


FLOATS = [np.float16, np.float32, np.float64]


@settings(max_examples=examples(60), deadline=None)
@given(st.sampled_from(FLOATS), st.data())
def test_soft_cap_matches_mpmath_near_the_float_limits(dtype, data):
    big = float(np.finfo(dtype).max)
    s = data.draw(hnp.arrays(dtype, 4, elements=st.one_of(
        st.sampled_from([big, -big, big / 2, 1.0, -1.0, 0.0]),
        st.floats(-big, big, width=np.finfo(dtype).bits, allow_nan=False, allow_infinity=False))))
    cap = data.draw(st.one_of(st.sampled_from([1e-30, 1.0, 30.0, big, 1e39, 1e300, 1.7e308]), st.floats(1e-3, 1e6)))
    with mpmath.workdps(60):
        exact = [float(mpmath.mpf(cap) * mpmath.tanh(mpmath.mpf(float(v)) / mpmath.mpf(cap))) for v in s]
    got = soft_cap(s, cap)
    assert got.dtype == dtype
    _ulp_close(got, np.asarray(exact).astype(dtype), dtype)


@settings(max_examples=examples(60), deadline=None)
@given(st.sampled_from(FLOATS), st.data())
def test_softmax_one_matches_mpmath_near_the_float_limits(dtype, data):
    big = float(np.finfo(dtype).max)
    s = data.draw(hnp.arrays(dtype, 3, elements=st.one_of(
        st.sampled_from([big, -big, big / 2, 0.0]), st.floats(-50, 50, width=np.finfo(dtype).bits))))
    sink = data.draw(st.one_of(st.sampled_from([0.0, big, -big, 1e39, -1e39, 1e300]), st.floats(-60, 60)))
    with mpmath.workdps(60):
        e = [mpmath.exp(mpmath.mpf(float(v))) for v in s]
        denominator = mpmath.exp(mpmath.mpf(sink)) + mpmath.fsum(e)
        exact = [float(v / denominator) for v in e]
    got = softmax_one(s, sink=sink)
    assert got.dtype == dtype
    tol = np.finfo(dtype).eps * 4 if dtype != np.float64 else 1e-13      # relative, plus a tiny absolute part
    np.testing.assert_allclose(got.astype(np.float64), exact, rtol=tol, atol=np.finfo(dtype).smallest_normal)


# ---------------------------------------------------------------------------------------------
# Decoding against brute force

@st.composite
def tiny_models(draw):
    V, L = draw(st.integers(2, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    table = np.log(rng.dirichlet(np.full(V, 0.5), size=(V + 1, V + 1)))          # depends on the last 2 tokens

    def scorer(tokens):
        a = tokens[-2] if len(tokens) >= 2 else V
        b = tokens[-1] if tokens else V
        return table[a, b]
    return scorer, table, V, L


def brute_force_best(table, V, L, end=None):
    """Every sequence the decoders may return, with its log-probability, found by enumeration."""
    best = []
    for length in range(1, L + 1):
        for seq in itertools.product(range(V), repeat=length):
            if end is not None and end in seq[:-1]:
                continue
            finished = end is not None and seq[-1] == end
            if not finished and length < L:
                continue
            lp, a, b = 0.0, V, V
            for t in seq:
                lp += table[a, b][t]
                a, b = b, t
            best.append((lp, seq))
    return max(best, key=lambda c: (c[0], [-t for t in c[1]]))


@settings(max_examples=examples(60), deadline=None)
@given(tiny_models(), st.sampled_from([None, 0, 1]))
def test_an_exhaustive_beam_finds_the_brute_force_best(model, end):
    scorer, table, V, L = model
    lp, seq = brute_force_best(table, V, L, end)
    found = beam_search(scorer, beam_width=V ** L, max_length=L, end=end)[0]
    assert found.log_prob == pytest.approx(lp, abs=1e-12)
    assert sequence_log_prob(scorer, found.tokens) == pytest.approx(lp, abs=1e-12)
    for width in (1, 2):                                   # narrower beams never beat the exact best
        assert beam_search(scorer, beam_width=width, max_length=L, end=end)[0].log_prob <= lp + 1e-12


@settings(max_examples=examples(40), deadline=None)
@given(tiny_models())
def test_greedy_is_the_argmax_at_every_step(model):
    scorer, table, V, L = model
    tokens = ()
    for _ in range(L):
        tokens += (int(np.argmax(scorer(tokens))),)
    assert greedy_decode(scorer, max_length=L).tokens == tokens


# ---------------------------------------------------------------------------------------------
# Gradients against central finite differences

def finite_differences(f, x, eps=1e-6):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (f(up) - f(down)) / (2 * eps)
    return grad


@pytest.mark.parametrize("chunked", [True, False])
@pytest.mark.parametrize("with_bias", [True, False])
def test_output_layer_gradients_match_finite_differences(chunked, with_bias):
    rng = np.random.default_rng(3)
    h, W, t = rng.normal(size=(4, 3)), rng.normal(size=(7, 3)), np.array([0, 6, 2, 2])
    b = rng.normal(size=7) if with_bias else None

    def run(hh=h, WW=W, bb=b):
        if chunked:
            return chunked_cross_entropy(hh, WW, t, chunk_size=3, bias=bb)
        return full_cross_entropy(hh, WW, t, bias=bb)

    r = run()
    np.testing.assert_allclose(r.grad_hidden, finite_differences(lambda x: run(hh=x).loss, h), atol=1e-8)
    np.testing.assert_allclose(r.grad_weight, finite_differences(lambda x: run(WW=x).loss, W), atol=1e-8)
    if with_bias:
        np.testing.assert_allclose(r.grad_bias, finite_differences(lambda x: run(bb=x).loss, b), atol=1e-8)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_tiny_lm_backward_pass_matches_finite_differences(label_smoothing):
    weights = training.init_weights(6, context_size=2, embed_dim=3, hidden_size=4, seed=5)
    weights["output_bias"] = np.linspace(-1, 1, 6)
    contexts, targets = np.array([[0, 1], [2, 2], [3, 5], [1, 4]]), np.array([4, 5, 0, 3])
    _, grads = lm.loss_and_grads(weights, contexts, targets, label_smoothing)
    for key in lm.WEIGHT_NAMES:
        def loss(value, key=key):
            return lm.loss_and_grads({**weights, key: value}, contexts, targets, label_smoothing)[0]
        np.testing.assert_allclose(grads[key], finite_differences(loss, weights[key]), atol=1e-8, err_msg=key)


def test_hierarchical_fit_steps_along_the_finite_difference_gradient():
    """One step of fit moves every node by -(its step) * dL/dw, with the step learning_rate / (mean mass
    reaching the node), the masses read off the public paths."""
    V, d = 6, 3
    rng = np.random.default_rng(0)
    h = rng.normal(size=(5, d))
    P = rng.dirichlet(np.ones(V), size=5)
    tree = HierarchicalSoftmax.random(V, dim=d, seed=2)
    W0, c0 = tree.node_weight.copy(), tree.node_bias.copy()

    def loss(W, c=c0):
        return -np.mean(np.sum(P * HierarchicalSoftmax(W, c).log_probs(h), axis=1))

    reach = np.zeros(V - 1)
    for word in range(V):
        for node, _ in tree.path(word):
            reach[node - 1] += P[:, word].mean()
    lr = 1e-3
    tree.fit(h, P, steps=1, learning_rate=lr)
    step = lr / reach
    np.testing.assert_allclose((W0 - tree.node_weight) / step[:, None], finite_differences(loss, W0), atol=1e-7)
    np.testing.assert_allclose((c0 - tree.node_bias) / step, finite_differences(lambda c: loss(W0, c), c0), atol=1e-7)


def test_zipf_probabilities_match_scipys_zipfian():
    for V, s in [(1, 1.0), (10, 1.0), (445, 1.1), (1000, 0.0)]:
        np.testing.assert_allclose(zipf_probabilities(V, s), scipy.stats.zipfian.pmf(np.arange(1, V + 1), s, V),
                                   rtol=1e-12)
