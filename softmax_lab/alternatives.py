r"""Alternatives to the softmax: sparsemax, entmax, the Gumbel-softmax and sigmoid attention.

The softmax is not the only way to turn scores into weights. Each function here makes a
different trade-off, and the course shows them side by side on the same logits:

* :func:`sparsemax` (Martins and Astudillo, 2016) is the Euclidean projection of the scores
  onto the probability simplex. Its output sums to 1 like the softmax's, but low scores get an
  *exact* zero instead of a tiny positive probability.
* :func:`entmax` (alpha-entmax; Peters, Niculae and Martins, 2019) interpolates between the
  two: ``alpha = 1`` is the softmax, ``alpha = 2`` is sparsemax, ``alpha = 1.5`` is in between
  (sparse, yet smoother than sparsemax).
* :func:`gumbel_softmax` (Jang, Gu and Poole, 2017; Maddison, Mnih and Teh, 2017) adds Gumbel
  noise before a tempered softmax: a *differentiable* stand-in for drawing a sample.
* :func:`sigmoid_attention_weights` replaces the row-wise softmax of attention by an
  element-wise sigmoid with a bias of about ``-log n`` (Ramapuram et al., 2024, "Theory,
  Analysis, and Best Practices for Sigmoid Self-Attention", arXiv:2409.04431). Its weights do
  not sum to 1: every key is judged on its own.

Every function is numpy only. ``-inf`` is a mask (weight exactly 0); NaN, ``+inf``, an empty
class axis and a fully masked row are errors, as for :func:`softmax_lab.softmax`. float16,
float32 and float64 keep their dtype (the arithmetic runs in float64).

Supported range: ``logits`` (or ``scores``) of any finite size in float16/32/64, integers
becoming float64; ``-inf`` masks an entry, and every row keeps at least one finite entry (except
in :func:`sigmoid_attention_weights`, where a fully masked row simply gets weights 0); ``alpha``
any finite number >= 1 (entmax is exact at every alpha); ``temperature`` finite and > 0;
``bias`` finite. NaN, ``+inf``, an empty class axis and anything that is not a number are
refused with an error that names the argument.

Examples
--------
>>> import numpy as np
>>> z = np.array([3.0, 2.5, 1.0, -1.0])
>>> from softmax_lab import softmax
>>> softmax(z).round(3)                     # every word keeps some probability
array([0.568, 0.345, 0.077, 0.01 ])
>>> sparsemax(z)                            # the last two get exactly 0
array([0.75, 0.25, 0.  , 0.  ])
"""

import numbers

import numpy as np

from ._checks import (
    as_float_array,
    as_generator,
    check_axis,
    check_finite_or_masked,
    check_temperature,
    finite_number,
    row_max,
)
from .functions import sigmoid, softmax

__all__ = ["sparsemax", "entmax", "gumbel_softmax", "sigmoid_attention_weights"]


# ---------------------------------------------------------------------------------------------
# helpers (private to this module)

def _prepare(logits, axis, name="logits"):
    """Validated scores as float64 with the class axis last, shifted so each row's max is 0.

    Returns ``(shifted, dtype, axis)``. The shift changes none of the functions here (each is
    invariant to adding a constant to a row) and keeps the arithmetic far from overflow. A
    difference too large for float64 rounds to ``-inf``: such an entry is far below the
    maximum and gets weight 0 anyway, so that overflow is silenced on purpose.
    """
    z = as_float_array(logits, name)
    axis = check_axis(z, axis, name)
    m = row_max(z, axis, name)               # refuses NaN, +inf and fully masked rows
    with np.errstate(over="ignore"):
        s = np.subtract(z, m, dtype=np.float64)
    return np.moveaxis(s, axis, -1), z.dtype, axis


def _finish(p, dtype, axis):
    """Put the class axis back and return the input's dtype (float16 stays float16)."""
    return np.moveaxis(p, -1, axis).astype(dtype, copy=False)




# ---------------------------------------------------------------------------------------------
# sparsemax

def _sparsemax_last(s):
    """Sparsemax along the last axis of float64 scores (row maximum 0, ``-inf`` allowed)."""
    K = s.shape[-1]
    srt = -np.sort(-s, axis=-1)                      # descending; -inf go last
    k = np.arange(1, K + 1, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        cumulative = np.cumsum(srt, axis=-1)         # -inf once a masked entry is reached
        in_support = 1.0 + k * srt > cumulative      # False for -inf entries
    size = np.count_nonzero(in_support, axis=-1)     # >= 1: the maximum is always in
    total = np.take_along_axis(cumulative, size[..., None] - 1, axis=-1)
    tau = (total - 1.0) / size[..., None]
    with np.errstate(invalid="ignore"):
        return np.maximum(s - tau, 0.0)              # -inf - tau = -inf -> 0


def sparsemax(logits, axis=-1):
    r"""Sparsemax: the closest probability vector to the scores, with exact zeros.

    Parameters
    ----------
    logits : array_like
        Scores z (any shape). ``-inf`` masks an entry (weight exactly 0).
    axis : int, default -1
        The class axis: the output sums to 1 along it.

    Returns
    -------
    ndarray
        Same shape and floating dtype as ``logits``; entries in [0, 1], many exactly 0.

    Raises
    ------
    ValueError
        NaN or ``+inf`` logits, an empty class axis or a fully masked row.
    TypeError
        Non-numeric logits or a non-integer axis.

    Notes
    -----
    Sparsemax (Martins and Astudillo, 2016) is the Euclidean projection onto the simplex:

    .. math:: \mathrm{sparsemax}(z) = \arg\min_{p \ge 0,\ \sum_i p_i = 1} \lVert p - z \rVert^2
              = \big[z - \tau(z)\big]_+

    The threshold :math:`\tau` is found by sorting: with :math:`z_{(1)} \ge z_{(2)} \ge \dots`,
    the support size is :math:`k^\ast = \max\{k : 1 + k z_{(k)} > \sum_{j \le k} z_{(j)}\}` and
    :math:`\tau = (\sum_{j \le k^\ast} z_{(j)} - 1) / k^\ast`. Entries more than about 1 below
    the maximum get exactly 0. Like the softmax, sparsemax ignores a constant added to every
    score; unlike it, it is not invariant to scaling, and its Jacobian on the support is
    :math:`I - \mathbf{1}\mathbf{1}^\top / k^\ast` (zero elsewhere).

    Examples
    --------
    >>> sparsemax([1.0, 0.5, -2.0])
    array([0.75, 0.25, 0.  ])
    >>> sparsemax([0.0, 0.0, 0.0, 0.0])          # ties share equally, like the softmax
    array([0.25, 0.25, 0.25, 0.25])
    >>> sparsemax([1e308, -1e308, 0.0])          # no overflow warning, no NaN
    array([1., 0., 0.])
    >>> sparsemax([[2.0, 1.9], [0.0, -np.inf]], axis=1)
    array([[0.55, 0.45],
           [1.  , 0.  ]])
    """
    s, dtype, axis = _prepare(logits, axis)
    return _finish(_sparsemax_last(s), dtype, axis)


# ---------------------------------------------------------------------------------------------
# entmax

def _entmax_terms(gap, log_scale, power, log_d):
    r""":math:`((\alpha-1)\,\mathrm{gap} + d)^{1/(\alpha-1)}` from :math:`\log d`, computed in logs
    so that nothing overflows or underflows before the power is taken (gap >= 0)."""
    with np.errstate(divide="ignore", over="ignore"):
        return np.exp(power * np.logaddexp(log_scale + np.log(gap), log_d))


def _entmax_last(s, alpha, n_iter):
    """Alpha-entmax along the last axis of float64 scores whose row maximum is 0 (``-inf`` allowed)."""
    power, log_scale = 1.0 / (alpha - 1.0), np.log(alpha - 1.0)
    srt = -np.sort(-s, axis=-1)                              # descending; -inf last
    K = srt.shape[-1]

    def excess(k):
        """The sum at threshold z_(k): the entries above the k-th largest, each ((a-1) gap)^power."""
        gap = np.maximum(srt - np.take_along_axis(srt, k[..., None], axis=-1), 0.0)
        return _entmax_terms(gap, log_scale, power, -np.inf).sum(axis=-1)

    # 1. The support: the largest k whose own threshold leaves the entries above it a sum below 1.
    lo, hi = np.zeros(srt.shape[:-1], np.intp), np.isfinite(srt).sum(axis=-1) - 1
    while np.any(lo < hi):
        mid = (lo + hi + 1) // 2
        inside = excess(mid) < 1.0
        lo, hi = np.where(inside, mid, lo), np.where(inside, hi, mid - 1)
    z_k = np.take_along_axis(srt, lo[..., None], axis=-1)    # the smallest score in the support
    below = np.where((lo + 1 < K)[..., None],
                     np.take_along_axis(srt, np.minimum(lo + 1, K - 1)[..., None], axis=-1), -np.inf)
    # 2. Bisection on log d, d = (a-1) z_(k) - tau = p_(k)^(a-1) the support's smallest entry before
    #    the power: each p_i = ((a-1)(z_i - z_(k)) + d)^power, and nothing cancels, however small d is.
    #    Bracket: from where d and p_(k) vanish against everything else, up to the smaller of
    #    (a-1)(z_(k) - z_(k+1)) (else z_(k+1) would be in the support) and (1/k)^(a-1) (p_(k) <= 1/k).
    gap = s - z_k
    support = gap >= 0
    gap = np.where(support, gap, 0.0)
    with np.errstate(divide="ignore"):
        high = np.minimum(log_scale + np.log(z_k - below), -np.log(lo[..., None] + 1.0) / power)
    low = np.full_like(high, min(log_scale - 850.0, -800.0 / power))
    for _ in range(n_iter):
        mid = 0.5 * (low + high)
        total = np.sum(_entmax_terms(gap, log_scale, power, mid) * support, axis=-1, keepdims=True)
        too_big = total >= 1.0
        low, high = np.where(too_big, low, mid), np.where(too_big, mid, high)
    p = _entmax_terms(gap, log_scale, power, high) * support    # at high the sum is >= 1
    return p / np.sum(p, axis=-1, keepdims=True)


def entmax(logits, alpha=1.5, axis=-1, n_iter=60):
    r"""Alpha-entmax: a family from the softmax (alpha = 1) to sparsemax (alpha = 2).

    Parameters
    ----------
    logits : array_like
        Scores z (any shape). ``-inf`` masks an entry.
    alpha : float, default 1.5
        alpha >= 1. 1 gives exactly :func:`softmax_lab.softmax`, 2 exactly :func:`sparsemax`;
        in between the output is sparse but smoother than sparsemax's. Larger alpha is allowed
        (sparser still).
    axis : int, default -1
        The class axis.
    n_iter : int, default 60
        Bisection steps (each halves the bracket of the logarithm of the support's smallest
        entry; 60 steps reach float64's resolution).

    Returns
    -------
    ndarray
        Same shape and floating dtype as ``logits``, summing to 1 along ``axis``.

    Raises
    ------
    ValueError
        As for :func:`sparsemax`, or alpha < 1, or n_iter < 1.
    TypeError
        A non-numeric alpha or a non-integer n_iter.

    Notes
    -----
    Peters, Niculae and Martins (2019) define

    .. math:: \alpha\text{-entmax}(z)_i = \big[(\alpha - 1) z_i - \tau\big]_+^{1/(\alpha - 1)}

    with :math:`\tau` the unique number that makes the entries sum to 1. It is the
    maximiser of :math:`p^\top z + H^T_\alpha(p)` over the simplex (Tsallis entropy
    :math:`H^T_\alpha`), which is the Shannon entropy at alpha = 1 (softmax) and
    :math:`\frac12(1 - \lVert p \rVert^2)` at alpha = 2 (sparsemax).

    Searching for :math:`\tau` itself fails for large alpha: an entry with probability p sits
    only :math:`p^{\alpha - 1}` above the threshold (about :math:`10^{-27}` for p = 0.001 and
    alpha = 10), far below the rounding error of :math:`\tau`. So the search is rescaled: the
    support is the k largest scores, with k the largest for which the threshold
    :math:`(\alpha-1) z_{(k)}` leaves the others a sum below 1; then bisection on the logarithm
    of :math:`d = p_{(k)}^{\alpha - 1}` (the support's smallest entry, before the power) finds it
    from :math:`p_i = \big((\alpha - 1)(z_i - z_{(k)}) + d\big)^{1/(\alpha - 1)}`, where nothing
    cancels. The result is divided by its sum, which removes the last rounding error.

    Examples
    --------
    >>> z = [1.0, 0.5, 0.0, -1.0]
    >>> entmax(z, alpha=1.5).round(3)          # softmax: [0.474, 0.287, 0.174, 0.064]
    array([0.624, 0.292, 0.084, 0.   ])
    >>> sparsemax(z)
    array([0.75, 0.25, 0.  , 0.  ])
    >>> bool(np.allclose(entmax(z, alpha=1.0), softmax(z)))
    True
    >>> bool(np.allclose(entmax(z, alpha=2.0), sparsemax(z)))
    True
    >>> entmax([0.0, -0.01], alpha=50).round(4)   # p_2 is 0.0145 above the threshold^(1/49)
    array([0.9855, 0.0145])
    """
    a = finite_number(alpha, "alpha", 1.0)
    if isinstance(n_iter, bool) or not isinstance(n_iter, numbers.Integral):
        raise TypeError(f"n_iter must be an integer >= 1, got {n_iter!r}")
    if n_iter < 1:
        raise ValueError(f"n_iter must be an integer >= 1, got {n_iter!r}")
    if a == 1.0:
        return softmax(logits, axis=axis)
    s, dtype, axis = _prepare(logits, axis)
    if a == 2.0:
        return _finish(_sparsemax_last(s), dtype, axis)
    return _finish(_entmax_last(s, a, int(n_iter)), dtype, axis)


# ---------------------------------------------------------------------------------------------
# Gumbel-softmax

def gumbel_softmax(logits, temperature=1.0, rng=None, hard=False, axis=-1):
    r"""A differentiable stand-in for a sample: softmax of Gumbel-perturbed logits.

    Parameters
    ----------
    logits : array_like
        Unnormalised log-probabilities z. ``-inf`` masks an entry (never chosen).
    temperature : float, default 1.0
        T > 0. As T -> 0 the output tends to a one-hot vector (an exact sample); a large T
        makes it nearly uniform.
    rng : numpy.random.Generator, int or None
        The noise source: a Generator, an int seed (the same seed gives the same output) or
        None (unseeded).
    hard : bool, default False
        If True, return the one-hot vector of the winning entry (the "straight-through"
        forward value). In an autodiff framework the backward pass would then use the soft
        output's gradient (``y_hard - stop_gradient(y) + y``); numpy has no backward pass, so
        here ``hard=True`` simply returns the one-hot vector.
    axis : int, default -1
        The class axis.

    Returns
    -------
    ndarray
        Same shape and floating dtype as ``logits``; each row sums to 1.

    Notes
    -----
    With :math:`g_i = -\log(-\log u_i)`, :math:`u_i \sim U(0, 1)` independent Gumbel noise,

    .. math:: y = \mathrm{softmax}\big((z + g) / T\big)

    The Gumbel-max trick says :math:`\arg\max_i (z_i + g_i)` is distributed exactly as
    :math:`\mathrm{softmax}(z)`: the argmax of ``y`` is a true sample at every temperature,
    and ``y`` itself is a smooth function of ``z`` (Jang et al., 2017; Maddison et al., 2017).

    Examples
    --------
    >>> y = gumbel_softmax([2.0, 1.0, 0.1], temperature=0.5, rng=0)
    >>> round(float(y.sum()), 6)
    1.0
    >>> gumbel_softmax([2.0, 1.0, 0.1], rng=0, hard=True)
    array([1., 0., 0.])
    >>> gumbel_softmax([0.0, -np.inf], rng=1)    # a masked entry is never chosen
    array([1., 0.])
    """
    t = check_temperature(temperature)
    if not isinstance(hard, (bool, np.bool_)):
        raise TypeError(f"hard must be True or False, got {hard!r}")
    generator = as_generator(rng)
    s, dtype, axis = _prepare(logits, axis)
    noisy = s + generator.gumbel(size=s.shape)         # -inf + g = -inf: still masked
    if hard:
        winner = np.argmax(noisy, axis=-1)[..., None]
        y = np.zeros_like(noisy)
        np.put_along_axis(y, winner, 1.0, axis=-1)
    else:
        y = softmax(noisy, temperature=t)
    return _finish(y, dtype, axis)


# ---------------------------------------------------------------------------------------------
# sigmoid attention

def sigmoid_attention_weights(scores, bias=None, axis=-1):
    r"""Attention weights from an element-wise sigmoid instead of a row-wise softmax.

    Parameters
    ----------
    scores : array_like
        Attention scores, e.g. :math:`q k^\top / \sqrt{d}` of shape (queries, keys).
        ``-inf`` masks a key (weight exactly 0).
    bias : float, optional
        Added to every score before the sigmoid. Default :math:`-\log n`, with n the length
        of ``axis`` (the number of keys), as recommended by Ramapuram et al. (2024).
    axis : int, default -1
        The key axis (only used for n).

    Returns
    -------
    ndarray
        Same shape and floating dtype as ``scores``, entries in [0, 1]. Rows do **not** sum
        to 1.

    Notes
    -----
    .. math:: w_{ij} = \sigma(s_{ij} + b), \qquad b = -\log n

    Each key is weighed on its own: there is no competition between keys and no
    normalising sum over the row. With :math:`b = -\log n` and scores near 0, each weight is
    about :math:`1/(n+1)`, so a row's total starts near 1, as with the softmax. Ramapuram et
    al. ("Theory, Analysis, and Best Practices for Sigmoid Self-Attention", arXiv:2409.04431,
    2024) show that with this bias sigmoid attention trains as well as softmax attention.

    Examples
    --------
    >>> w = sigmoid_attention_weights([[0.0, 0.0, 0.0, 0.0]])
    >>> w.round(3)                               # 1 / (n + 1) each
    array([[0.2, 0.2, 0.2, 0.2]])
    >>> sigmoid_attention_weights([5.0, 5.0, -np.inf], bias=0.0).round(3)   # no competition
    array([0.993, 0.993, 0.   ])
    """
    s = as_float_array(scores, "scores")
    axis = check_axis(s, axis, "scores")
    check_finite_or_masked(s, "scores")
    n = s.shape[axis]
    b = -np.log(n) if bias is None else finite_number(bias, "bias", -np.inf, inclusive=False)
    with np.errstate(over="ignore"):
        shifted = np.add(s, b, dtype=np.float64)    # 1e308 + 1e308 would round to +inf:
    shifted = np.minimum(shifted, np.finfo(np.float64).max)   # its sigmoid is 1 either way
    return sigmoid(shifted).astype(s.dtype, copy=False)
