r"""Softmax over a large vocabulary: what it costs, and four ways to pay less.

An LLM's output layer turns a hidden vector h (d numbers) into V logits, :math:`z = W h + b`,
then takes a softmax over all V words. With V = 128,256 (Llama 3) that is d x V multiply-adds
per token and a (tokens x V) array of logits, with a gradient as large. This module holds:

* :func:`chunked_cross_entropy`: the exact loss and gradients, one vocabulary chunk at a time
  with an online log-sum-exp, never storing the (N, V) logits. This is the idea behind Cut
  Cross-Entropy (Wijmans et al. 2024). :func:`full_cross_entropy` is the plain reference.
* :class:`AdaptiveSoftmax`: frequent words in a small head, rare words in clusters with smaller
  dimensions; still an exact distribution over all V words (Grave et al. 2017).
* :func:`sampled_softmax`: estimate the normaliser from a few sampled words, with or without
  the log Q correction (Jean et al. 2015).
* :class:`HierarchicalSoftmax`: a binary tree, about log2 V yes/no decisions per word (Morin
  and Bengio 2005).
* :func:`zipf_probabilities`: word frequencies that follow Zipf's law, for experiments;
  :func:`output_layer_cost`: the bytes and operations of an output layer.

Conventions: word ids are sorted by frequency (0 is the most frequent word); hidden states have
shape (..., d), output weights (V, d), biases (V,), and targets are integer word ids with the
hidden states' shape minus the last axis. Everything here is numpy only.

Supported range: ``hidden`` (..., d) and ``weight`` (V, d) in float16/32/64, d, V >= 1, finite,
with entries small enough that ``hidden @ weight.T`` fits the dtype (a product beyond it is
refused, naming both); ``bias`` finite or ``-inf`` (a masked word, never a target); ``targets``
integer word ids in [0, V); ``proposal`` V probabilities (>= 0, summing to 1), and > 0 for every
possible word when ``correct=True``; counts (``chunk_size``, ``num_samples``, ...) integers >= 1.
float16 is computed in float32 and returned as float16. Anything else is refused with a
ValueError or TypeError that names the argument. One exception by design: :func:`sampled_softmax`
reads only the rows of ``weight`` it draws and the targets' rows (that is its saving), so it
checks those rows only; a NaN in a row it never draws goes unnoticed.
"""

import math
import numbers
import time
import tracemalloc
from typing import NamedTuple

import numpy as np

from ._checks import as_generator, float_array, hidden_and_weight, integer
from .factored import AdaptiveSoftmax, HierarchicalSoftmax
from .functions import logsumexp
from .losses import cross_entropy, cross_entropy_grad

__all__ = [
    "AdaptiveSoftmax",
    "CrossEntropyResult",
    "HierarchicalSoftmax",
    "Measurement",
    "OutputLayerCost",
    "SampledSoftmaxResult",
    "chunked_cross_entropy",
    "full_cross_entropy",
    "measure",
    "output_layer_cost",
    "sampled_softmax",
    "zipf_probabilities",
]

# ------------------------------------------------------------------------------------------
# Cross-entropy of the output layer: full and chunked
# ------------------------------------------------------------------------------------------


class CrossEntropyResult(NamedTuple):
    """The mean cross-entropy of an output layer and its gradients.

    ``grad_bias`` is None when the layer has no bias.
    """

    loss: np.floating
    grad_hidden: np.ndarray
    grad_weight: np.ndarray
    grad_bias: np.ndarray | None


def _checked(hidden, weight, bias, targets):
    """The checked arrays of an output layer (see ``_checks.hidden_and_weight``), d >= 1."""
    try:
        width = np.shape(hidden)[-1] if np.ndim(hidden) else None
    except (ValueError, TypeError, IndexError):
        width = None                                      # ragged or odd: hidden_and_weight names it
    if width == 0:
        raise ValueError(f"hidden must have at least one feature (d >= 1), got shape {np.shape(hidden)}")
    return hidden_and_weight(hidden, weight, bias, targets)


def _finite_rows(w, lo=0):
    """Refuse NaN or inf in the weight rows ``w`` (row ``lo`` first), naming the first bad row."""
    bad = ~np.isfinite(w).all(axis=1)
    if bad.any():
        raise ValueError(f"weight must be finite (row {lo + int(np.argmax(bad))} holds NaN or inf)")


def _chunk_logits(h, w, b, lo, hi, dtype):
    """``h @ w[lo:hi].T + b[lo:hi]``: the logits of one vocabulary chunk, shape (N, hi - lo)."""
    wc = w[lo:hi].astype(dtype, copy=False)
    with np.errstate(over="ignore", invalid="ignore"):
        z = h @ wc.T
    # hidden and weight are finite, so a non-finite product is an overflow, never a mask: only the
    # bias may mask a word with -inf (an overflow to -inf would otherwise pass for a mask)
    if not np.isfinite(z).all():
        raise ValueError("hidden @ weight.T overflows the dtype (logits beyond its largest number)")
    if b is not None:
        with np.errstate(over="ignore", invalid="ignore"):
            z += b[lo:hi]
    return z, wc


def chunked_cross_entropy(hidden, weight, targets, chunk_size=4096, bias=None):
    r"""Cross-entropy of the output layer ``hidden @ weight.T + bias``, one vocabulary chunk at a time.

    The (N, V) logits are never stored: a first pass keeps, for every row, a running maximum
    m and a running sum s of :math:`e^{z - m}` (an online log-sum-exp); a second pass recomputes
    each chunk's logits, turns them into probabilities with the final log-sum-exp, and adds the
    chunk's share of the gradients. Peak memory is a few (N, chunk_size) arrays, not (N, V).

    Parameters
    ----------
    hidden : array_like, shape (..., d)
        Hidden states, one per predicted token.
    weight : array_like, shape (V, d)
        The output projection (one row per word).
    targets : array_like of int, shape (...)
        The correct word ids, in [0, V).
    chunk_size : int, default 4096
        Words per chunk; a smaller chunk uses less memory and makes more, smaller matrix products.
    bias : array_like, shape (V,), optional
        Per-word bias; ``-inf`` masks a word (it may not be a target).

    Returns
    -------
    CrossEntropyResult
        ``(loss, grad_hidden, grad_weight, grad_bias)``: the mean loss over the N tokens and its
        gradients with the shapes of ``hidden``, ``weight`` and ``bias`` (None without a bias),
        in the inputs' floating dtype (float16 is computed in float32 and rounded back).

    Raises
    ------
    ValueError
        Shapes that do not fit, NaN or inf in the inputs (``-inf`` in ``bias`` is a mask), a
        target out of range or masked, logits that overflow the dtype, or ``chunk_size < 1``.
    TypeError
        Non-numeric arrays, non-integer targets or chunk size.

    Notes
    -----
    Online log-sum-exp over chunks :math:`C_1, C_2, \dots` (Milakov and Gimelshein 2018):

    .. math:: m \leftarrow \max(m, \max_{j \in C} z_j), \qquad
              s \leftarrow s\, e^{m_\text{old} - m} + \sum_{j \in C} e^{z_j - m}

    and :math:`\mathrm{LSE}(z) = m + \log s`. With :math:`p = \mathrm{softmax}(z)` and one-hot
    y, :math:`\ell = \frac1N \sum_n (\mathrm{LSE}(z_n) - z_{n,y_n})`, and with
    :math:`G = (p - y)/N`: :math:`\partial\ell/\partial h = G W`,
    :math:`\partial\ell/\partial W = G^\top h`, :math:`\partial\ell/\partial b = \sum_n G_n`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> h, W, t = rng.normal(size=(4, 8)), rng.normal(size=(100, 8)), np.array([3, 14, 15, 92])
    >>> chunked, full = chunked_cross_entropy(h, W, t, chunk_size=16), full_cross_entropy(h, W, t)
    >>> bool(abs(chunked.loss - full.loss) < 1e-12), bool(np.allclose(chunked.grad_weight, full.grad_weight))
    (True, True)
    """
    h, w, b, t, dtype = _checked(hidden, weight, bias, targets)
    chunk_size = integer(chunk_size, "chunk_size")
    N, V = h.shape[0], w.shape[0]
    m = np.full(N, -np.inf, dtype=dtype)          # running maximum of each row
    s = np.zeros(N, dtype=dtype)                   # running sum of exp(z - m)
    zt = np.full(N, -np.inf, dtype=dtype)          # the target's logit
    rows = np.arange(N)
    for lo in range(0, V, chunk_size):             # pass 1: online log-sum-exp
        hi = min(lo + chunk_size, V)
        _finite_rows(w[lo:hi], lo)
        z, _ = _chunk_logits(h, w, b, lo, hi, dtype)
        here = (t >= lo) & (t < hi)
        zt[here] = z[rows[here], t[here] - lo]
        if N == 0:
            continue
        zmax = z.max(axis=1)
        if np.any(np.isnan(zmax)) or np.any(zmax == np.inf):
            raise ValueError("hidden @ weight.T overflows the dtype (logits beyond its largest number)")
        m_new = np.maximum(m, zmax)
        shift = np.where(m_new == -np.inf, 0, m_new)       # a row masked so far: nothing to shift
        s *= np.exp(m - shift)                              # rescale the old sum to the new maximum
        z -= shift[:, None]
        s += np.exp(z, out=z).sum(axis=1)
        m = m_new
        del z                                       # free this chunk before the next one exists
    if np.any(zt == -np.inf):
        raise ValueError("targets must not point at a masked word (bias -inf)")
    lse = m + np.log(s)
    loss = np.mean(lse - zt) if N else dtype.type(0.0)
    grad_h = np.zeros_like(h)
    grad_w = np.empty(w.shape, dtype=dtype)
    grad_b = None if b is None else np.empty(V, dtype=dtype)
    for lo in range(0, V, chunk_size):             # pass 2: recompute the chunk, add its gradients
        hi = min(lo + chunk_size, V)
        z, wc = _chunk_logits(h, w, b, lo, hi, dtype)
        z -= lse[:, None]
        g = np.exp(z, out=z)                        # p for this chunk
        here = (t >= lo) & (t < hi)
        g[rows[here], t[here] - lo] -= 1.0          # p - y
        g *= 1.0 / max(N, 1)
        grad_h += g @ wc
        np.matmul(g.T, h, out=grad_w[lo:hi])
        if grad_b is not None:
            grad_b[lo:hi] = g.sum(axis=0)
        del z, g
    return _result(loss, grad_h, grad_w, grad_b, hidden, weight, bias)


def _output_dtype(hidden, weight, bias):
    """The inputs' common floating dtype (float64 for integers)."""
    out = np.result_type(np.asarray(hidden).dtype, np.asarray(weight).dtype,
                         *([] if bias is None else [np.asarray(bias).dtype]))
    return np.dtype(np.float64) if out.kind != "f" else out


def _result(loss, grad_h, grad_w, grad_b, hidden, weight, bias):
    """Package the gradients in the input dtype (float16 back from float32) and shapes."""
    out = _output_dtype(hidden, weight, bias)
    with np.errstate(over="ignore"):
        return CrossEntropyResult(
            np.asarray(loss).astype(out)[()],
            grad_h.astype(out, copy=False).reshape(np.shape(hidden)),
            grad_w.astype(out, copy=False),
            None if grad_b is None else grad_b.astype(out, copy=False))


def full_cross_entropy(hidden, weight, targets, bias=None):
    r"""The reference for :func:`chunked_cross_entropy`: form all (N, V) logits at once.

    Same parameters (without ``chunk_size``) and the same :class:`CrossEntropyResult`. It
    uses :func:`softmax_lab.cross_entropy` and :func:`softmax_lab.cross_entropy_grad` on the
    whole logit matrix, so it needs about N x V x (bytes per number) for the logits and as
    much again for their gradient.

    Examples
    --------
    >>> import numpy as np
    >>> r = full_cross_entropy(np.zeros((2, 3)), np.ones((5, 3)), [0, 4])
    >>> round(float(r.loss), 4), r.grad_weight.shape      # uniform over 5 words: log 5
    (1.6094, (5, 3))
    """
    h, w, b, t, dtype = _checked(hidden, weight, bias, targets)
    _finite_rows(w)
    z, w = _chunk_logits(h, w, b, 0, w.shape[0], dtype)
    zmax = z.max(axis=1) if t.size else z[:, 0]
    if np.any(np.isnan(zmax)) or np.any(zmax == np.inf):
        raise ValueError("hidden @ weight.T overflows the dtype (logits beyond its largest number)")
    if t.size and np.any(z[np.arange(t.size), t] == -np.inf):
        raise ValueError("targets must not point at a masked word (bias -inf)")
    loss = cross_entropy(z, t) if t.size else dtype.type(0.0)
    g = cross_entropy_grad(z, t) if t.size else z
    del z
    return _result(loss, g @ w, g.T @ h, None if b is None else g.sum(axis=0), hidden, weight, bias)


# ------------------------------------------------------------------------------------------
# Word frequencies
# ------------------------------------------------------------------------------------------


def zipf_probabilities(n_words, exponent=1.0):
    r"""Word probabilities that follow Zipf's law: the k-th most frequent word has :math:`p_k \propto 1/k^s`.

    Parameters
    ----------
    n_words : int
        V >= 1.
    exponent : float, default 1.0
        s >= 0 (natural language is close to 1; 0 gives the uniform distribution).

    Returns
    -------
    ndarray, shape (V,)
        float64 probabilities summing to 1, largest first.

    Examples
    --------
    >>> zipf_probabilities(4).round(3)          # 1, 1/2, 1/3, 1/4, normalised
    array([0.48, 0.24, 0.16, 0.12])
    """
    n_words = integer(n_words, "n_words")
    if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real) or not 0 <= exponent < 1e3:
        raise ValueError(f"exponent must be a number in [0, 1000), got {exponent!r}")
    logp = -float(exponent) * np.log(np.arange(1, n_words + 1, dtype=np.float64))
    return np.exp(logp - logsumexp(logp))


# ------------------------------------------------------------------------------------------
# Sampled softmax
# ------------------------------------------------------------------------------------------


class SampledSoftmaxResult(NamedTuple):
    """A sampled-softmax estimate: the mean loss, each token's estimate of log Z, the sampled word ids."""

    loss: np.floating
    log_partition: np.ndarray
    samples: np.ndarray


def sampled_softmax(hidden, weight, targets, proposal, num_samples, bias=None, correct=True, seed=None):
    r"""Estimate the cross-entropy from ``num_samples`` words drawn from ``proposal`` (Jean et al. 2015).

    Only the sampled words' logits (and the targets') are computed: N x k instead of N x V.

    Parameters
    ----------
    hidden, weight, targets, bias
        As for :func:`chunked_cross_entropy`.
    proposal : array_like, shape (V,)
        Q, the distribution the words are drawn from (with replacement), e.g. word frequencies.
    num_samples : int
        k >= 1, shared by every token of the batch.
    correct : bool, default True
        Subtract :math:`\log Q` from the sampled logits (the importance-sampling correction).
        Without it, the samples are treated as if drawn uniformly.
    seed : int, numpy Generator or None
        For reproducible draws.

    Returns
    -------
    SampledSoftmaxResult
        ``(loss, log_partition, samples)``: the mean of :math:`\log\hat Z - z_{target}`, the
        per-token :math:`\log \hat Z`, and the k sampled word ids.

    Notes
    -----
    The normaliser :math:`Z = \sum_j e^{z_j}` is estimated from k draws :math:`s_i \sim Q`:

    .. math:: \hat Z = \frac1k \sum_{i=1}^k e^{z_{s_i} - \log Q(s_i)}, \qquad
              \mathbb{E}[\hat Z] = \sum_j Q(j) \frac{e^{z_j}}{Q(j)} = Z

    so the corrected :math:`\hat Z` is unbiased (its log, and so the loss, only by Jensen's
    O(1/k) gap). Without the correction, :math:`\hat Z = \frac{V}{k}\sum_i e^{z_{s_i}}` (the
    constant V/k, which changes no gradient, puts it on the scale of Z) has mean
    :math:`V \sum_j Q(j) e^{z_j} \ne Z`: words that Q draws often are over-counted.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> h, W = rng.normal(size=(2, 4)), rng.normal(size=(1000, 4))
    >>> est = sampled_softmax(h, W, [1, 2], zipf_probabilities(1000), 20000, seed=0)
    >>> exact = logsumexp(h @ W.T)
    >>> bool(np.allclose(est.log_partition, exact, atol=0.05))
    True
    """
    h, w, b, t, dtype = _checked(hidden, weight, bias, targets)
    V = w.shape[0]
    q = float_array(proposal, "proposal", ndim=1, finite=True)
    if q.shape != (V,):
        raise ValueError(f"proposal must hold one probability per word, {V}, got shape {q.shape}")
    if np.any(q < 0) or abs(q.sum(dtype=np.float64) - 1) > (3e-2 if q.dtype == np.float16 else 1e-6):
        raise ValueError(f"proposal must be {V} probabilities >= 0 summing to 1, got a sum of {q.sum():.6g}")
    q = q.astype(np.float64)
    k = integer(num_samples, "num_samples")
    if not isinstance(correct, (bool, np.bool_)):
        raise TypeError(f"correct must be True or False, got {correct!r}")
    possible = np.ones(V, bool) if b is None else b > -np.inf
    if correct and np.any((q == 0) & possible):
        word = int(np.argmax((q == 0) & possible))
        raise ValueError(f"proposal must be > 0 for every word that can occur (the log Q correction is "
                         f"unbiased only where Q > 0), but proposal[{word}] = 0; mask such words with "
                         "bias = -inf, or pass correct=False")
    ids = as_generator(seed, "seed").choice(V, size=k, p=q / q.sum())
    if not possible[ids].any():
        raise ValueError(f"every one of the {k} sampled words is masked (bias -inf), so Z cannot be "
                         "estimated; draw more samples, or give the masked words proposal 0")
    ws = w[ids].astype(dtype, copy=False)
    if not (np.all(np.isfinite(ws)) and np.all(np.isfinite(w[t]))):
        raise ValueError("weight must be finite (a sampled or target row holds NaN or inf)")
    with np.errstate(over="ignore", invalid="ignore"):
        zs = h @ ws.T + (0 if b is None else b[ids])
        zt = np.einsum("nd,nd->n", h, w[t].astype(dtype, copy=False)) + (0 if b is None else b[t])
    if not (np.all(np.isfinite(zt)) and np.all(zs < np.inf)):
        raise ValueError("hidden @ weight.T overflows the dtype, or targets point at a masked word")
    shift = -np.log(q[ids]) if correct else np.full(k, math.log(V))     # a drawn word has Q > 0
    log_z = logsumexp(zs + shift.astype(dtype), axis=-1) - math.log(k)
    loss = np.mean(log_z - zt) if len(t) else dtype.type(0.0)
    out = _output_dtype(hidden, weight, bias)       # float16 in, float16 out (computed in float32)
    with np.errstate(over="ignore"):
        return SampledSoftmaxResult(np.asarray(loss).astype(out)[()],
                                    log_z.astype(out).reshape(np.shape(hidden)[:-1]), ids)


# ------------------------------------------------------------------------------------------
# What the output layer costs
# ------------------------------------------------------------------------------------------

BYTES_PER_NUMBER = {"float64": 8, "float32": 4, "bfloat16": 2, "float16": 2}
SOFTMAX_OPS_PER_LOGIT = 5     # max, subtract, exp, add to the sum, divide


class OutputLayerCost(NamedTuple):
    """Sizes and operation counts of one output layer over ``n_tokens`` tokens (see :func:`output_layer_cost`)."""

    logits_bytes: int
    grad_bytes: int
    weight_bytes: int
    projection_flops: int
    softmax_flops: int


def output_layer_cost(n_tokens, n_words, dim, dtype="float32"):
    r"""Memory and arithmetic of the output layer ``softmax(h @ W.T)`` for ``n_tokens`` tokens.

    Parameters
    ----------
    n_tokens : int
        Tokens scored at once: batch size x sequence length.
    n_words : int
        V, the vocabulary size (GPT-2 50,257; Llama 3 128,256; Gemma 256,000).
    dim : int
        d, the hidden size.
    dtype : {"float32", "bfloat16", "float16", "float64"}
        How the logits, their gradient and the weights are stored.

    Returns
    -------
    OutputLayerCost
        ``logits_bytes`` and ``grad_bytes`` (each ``n_tokens x V x bytes``), ``weight_bytes``
        (V x d x bytes), ``projection_flops`` (2 d V per token: one multiply and one add per
        weight) and ``softmax_flops`` (about 5 V per token: max, subtract, exp, sum, divide).

    Notes
    -----
    The projection costs :math:`2dV` operations per token and the softmax about :math:`5V`,
    so the matrix product, not the exponentials, dominates by a factor of about :math:`2d/5`.
    Both grow linearly with V, and so does the memory of the logits.

    Examples
    --------
    >>> c = output_layer_cost(8192, 256_000, 2048)
    >>> round(c.logits_bytes / 1e9, 1), round(c.projection_flops / c.softmax_flops)
    (8.4, 819)
    """
    n_tokens = integer(n_tokens, "n_tokens", low=0)
    n_words, dim = integer(n_words, "n_words"), integer(dim, "dim")
    if dtype not in BYTES_PER_NUMBER:
        raise ValueError(f"dtype must be one of {sorted(BYTES_PER_NUMBER)}, got {dtype!r}")
    size = BYTES_PER_NUMBER[dtype]
    logits = n_tokens * n_words * size
    return OutputLayerCost(logits, logits, n_words * dim * size, 2 * n_tokens * dim * n_words,
                           SOFTMAX_OPS_PER_LOGIT * n_tokens * n_words)


class Measurement(NamedTuple):
    """What one call cost: the best time (seconds), the peak of new memory (bytes), and what it returned."""

    seconds: float
    peak_bytes: int
    result: object


def measure(fn, repeat=3, min_time=0.05, keep_result=True):
    """Time ``fn()`` (the best of several calls) and trace its peak memory (one more call).

    The peak is what ``tracemalloc`` saw allocated during the call beyond what existed before
    it: numpy reports its array buffers there, so this is the memory of the arrays the call
    creates (its temporaries and its result). Timing is noisy on a shared machine; the best of
    several calls is the least disturbed. ``fn`` is called at least ``repeat`` times, and more
    (up to 1,000) until ``min_time`` seconds have passed, so that a fast call is not judged by
    a few slow first runs (thread pools waking up, caches filling).

    Parameters
    ----------
    fn : callable
        Called with no arguments.
    repeat : int, default 3
    min_time : float, default 0.05
    keep_result : bool, default True
        False returns ``result=None`` and lets the traced call's output go at once (a sweep
        over sizes then does not hold every call's arrays; the peak is measured all the same).

    Returns
    -------
    Measurement
        ``(seconds, peak_bytes, result)``, ``result`` being what the traced call returned
        (None with ``keep_result=False``).

    Examples
    --------
    >>> import numpy as np
    >>> m = measure(lambda: np.ones(1_000_000))           # 8 MB of float64
    >>> round(m.peak_bytes / 1e6), m.result.shape
    (8, (1000000,))
    >>> m = measure(lambda: np.ones(1_000_000), keep_result=False)
    >>> round(m.peak_bytes / 1e6), m.result
    (8, None)
    """
    if not callable(fn):
        raise TypeError(f"fn must be a callable taking no arguments, got {type(fn).__name__}")
    repeat = integer(repeat, "repeat")
    if isinstance(min_time, bool) or not isinstance(min_time, numbers.Real) or not 0 <= min_time < 60:
        raise ValueError(f"min_time must be a number of seconds in [0, 60), got {min_time!r}")
    if not isinstance(keep_result, (bool, np.bool_)):
        raise TypeError(f"keep_result must be True or False, got {keep_result!r}")
    best, calls, begin = math.inf, 0, time.perf_counter()
    while calls < repeat or (time.perf_counter() - begin < min_time and calls < 1000):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
        calls += 1
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    result = fn()
    peak = tracemalloc.get_traced_memory()[1] - before
    if not keep_result:
        result = None                   # the output goes now, before the caller measures the next call
    if not was_tracing:
        tracemalloc.stop()
    return Measurement(best, peak, result)
