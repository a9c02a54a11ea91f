r"""Choosing the next token: greedy, temperature, top-k, top-p (nucleus) and min-p, seeded.

A language model gives one logit per vocabulary entry; a *decoding strategy* turns those
logits into one chosen token. Everything here works along the last axis of any array (one
row per prediction, any leading shape), is numpy only, and builds on
:func:`softmax_lab.softmax`.

The pipeline of :func:`sample`, in this order (see :func:`sample` for why):

1. **temperature** ``T``: divide the logits by T (T = 0 means greedy: take the argmax);
2. **top-k**: keep the k highest logits;
3. **top-p**: keep the smallest set of most probable tokens whose probability reaches p;
4. **min-p**: keep tokens at least ``min_p`` times as probable as the most probable one;
5. **softmax** over the survivors, then **one draw** from that distribution.

Each filter returns logits with the removed tokens set to ``-inf`` (the mask convention of
the whole package), and each filter sees the renormalised distribution of the tokens that
survived the previous one. :func:`sampling_distribution` returns the exact probabilities
step 5 draws from, and :func:`sample` draws from nothing else, so the two cannot disagree.

Supported range
---------------
* ``logits``: as for :func:`softmax_lab.softmax`: any finite float16/float32/float64 numbers up
  to ``+-finfo.max``, any leading shape, the vocabulary on the last axis, ``-inf`` masking a
  token; the probabilities come back in the logits' dtype (integers give float64).
* ``temperature``: any finite number >= 0 (0 is greedy; 1e-300 and 1e300 work).
  ``top_k``: an integer >= 1 (above V keeps everything). ``top_p``: a number in (0, 1].
  ``min_p``: a number in [0, 1]. Each of the three may be None (off).
* ``rng``: a ``numpy.random.Generator``, an int seed >= 0, or None.
* Refused, with an error naming the argument: everything softmax refuses in ``logits``, and
  any setting outside the ranges above (``5.0`` and ``True`` are not integers for ``top_k``).
"""

import numbers

import numpy as np

from ._checks import as_float_array, as_generator, check_axis, compute_dtype, real_number, row_max, shift_by_max
from .functions import softmax

__all__ = ["filter_top_k", "filter_top_p", "filter_min_p", "sampling_distribution", "sample"]

# the draw picks a block of this many tokens first, then a token inside it (see _draw)
_DRAW_BLOCK = 256


# --------------------------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------------------------

def _check_logits(logits):
    """Validate logits: a float array, class axis last and non-empty, no NaN/+inf, no empty row."""
    z = as_float_array(logits, "logits")
    check_axis(z, -1)
    row_max(z, -1)  # one reduction that also refuses NaN, +inf and fully masked rows
    return z


def _check_k(k, name):
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 1 (None turns top-k off), got {k!r}")
    if k < 1:
        raise ValueError(f"{name} must be an integer >= 1 (None turns top-k off), got {k!r}")
    return int(k)


def _check_p(p, name):
    value = real_number(p, name, "a number in (0, 1]")   # 10**400: ValueError, not OverflowError
    if not 0.0 < value <= 1.0:  # also refuses NaN
        raise ValueError(f"{name} must be a number in (0, 1], got {p!r}")
    return value


def _check_min_p(min_p, name):
    value = real_number(min_p, name, "a number in [0, 1]")
    if not 0.0 <= value <= 1.0:  # also refuses NaN
        raise ValueError(f"{name} must be a number in [0, 1], got {min_p!r}")
    return value


def _check_sampling_temperature(temperature):
    t = real_number(temperature, "temperature", "a finite number >= 0 (0 means greedy)")
    if not (np.isfinite(t) and t >= 0.0):
        raise ValueError(f"temperature must be a finite number >= 0 (0 means greedy), got {temperature!r}")
    return t


def _rtol(dtype):
    """The relative tolerance of the top-p and min-p thresholds for arithmetic in ``dtype``.

    ``max(1e-12, 8 * eps)``: 1e-12 in float64, about 1e-6 in float32 (float16 is computed in
    float32). It is far below any probability a learner would type, and far above rounding.
    """
    return max(1e-12, 8.0 * float(np.finfo(dtype).eps))


# --------------------------------------------------------------------------------------------
# the keep-masks (on validated logits in their compute dtype, last axis)
# --------------------------------------------------------------------------------------------

def _keep_top_k(s, k):
    """Boolean mask of the k largest entries per row; ties at the k-th place go to low indices."""
    V = s.shape[-1]
    kth = np.partition(s, V - k, axis=-1)[..., V - k, None]   # each row's k-th largest value (O(V))
    above = s > kth                                           # surely kept: fewer than k beat them
    tied = s == kth                                           # kept while places remain, low index first
    places_left = k - np.sum(above, axis=-1, keepdims=True)   # >= 1
    return above | (tied & (np.cumsum(tied, axis=-1) <= places_left))


def _keep_top_p(s, p):
    """Boolean top-p mask: sort each row from the most probable token down (ties: lower index
    first), add the probabilities up, keep the tokens up to the one whose sum reaches p."""
    V = s.shape[-1]
    order = np.argsort(-s, axis=-1, kind="stable")            # largest first; a stable sort keeps ties in index order
    sorted_probs = np.take_along_axis(softmax(s, axis=-1), order, axis=-1)
    cumulative = np.cumsum(sorted_probs, axis=-1, dtype=np.float64)
    n_keep = np.sum(cumulative < p * (1.0 - _rtol(s.dtype)), axis=-1, keepdims=True) + 1   # first to reach p
    keep = np.empty(s.shape, dtype=bool)
    np.put_along_axis(keep, order, np.arange(V) < n_keep, axis=-1)   # back from sorted order to token order
    return keep


def _keep_min_p(s, min_p):
    """Boolean min-p mask: p_i / p_max = exp(s_i - s_max) >= min_p (within the tolerance)."""
    ratio = np.exp(shift_by_max(s, -1))
    return ratio >= min_p * (1.0 - _rtol(s.dtype))


def _masked(z, keep):
    """A copy of ``z`` (same dtype) with ``-inf`` wherever ``keep`` is False."""
    out = np.full_like(z, -np.inf)
    np.copyto(out, z, where=keep)  # fast when few tokens are kept, the usual case
    return out


# --------------------------------------------------------------------------------------------
# public filters
# --------------------------------------------------------------------------------------------

def filter_top_k(logits, k):
    r"""Keep the ``k`` largest logits of each row; set the others to ``-inf``.

    Parameters
    ----------
    logits : array_like
        Shape (..., V): one row of V logits per prediction. ``-inf`` marks a masked token.
    k : int
        How many tokens to keep, >= 1. ``k >= V`` keeps every token.

    Returns
    -------
    ndarray
        A new array of the same shape and floating dtype (integers give float64), with
        ``-inf`` at every removed token.

    Raises
    ------
    TypeError
        ``k`` is not an integer (``5.0`` and ``True`` are refused too).
    ValueError
        ``k < 1``; NaN or ``+inf`` logits, an empty or fully masked row.

    Notes
    -----
    Rule: token i survives if fewer than k tokens beat it, where j beats i when
    :math:`z_j > z_i`, or :math:`z_j = z_i` and :math:`j < i` (ties go to the lower index,
    so the result is deterministic). Temperature does not change which tokens survive: dividing
    by T > 0 keeps the order.

    The k-th largest value is found with ``np.partition`` (a partial sort, O(V) per row), and
    the whole batch is processed without a Python loop.

    Examples
    --------
    >>> filter_top_k([1.0, 3.0, 2.0, 0.5], k=2)
    array([-inf,   3.,   2., -inf])
    >>> filter_top_k([1.0, 1.0, 1.0], k=2)          # a tie: the lower indices win
    array([  1.,   1., -inf])
    >>> filter_top_k([[1.0, 2.0], [4.0, 3.0]], k=1)
    array([[-inf,   2.],
           [  4., -inf]])
    """
    z = _check_logits(logits)
    k = _check_k(k, "k")
    if k >= z.shape[-1]:
        return z.copy()
    return _masked(z, _keep_top_k(z.astype(compute_dtype(z), copy=False), k))


def filter_top_p(logits, p):
    r"""Nucleus filter: keep the fewest most-probable tokens whose probability reaches ``p``.

    Parameters
    ----------
    logits : array_like
        Shape (..., V). ``-inf`` marks a masked token (probability 0).
    p : float
        The probability mass to keep, in (0, 1]. ``p = 1`` keeps every unmasked token.

    Returns
    -------
    ndarray
        A new array of the same shape and floating dtype, with ``-inf`` at removed tokens.

    Raises
    ------
    TypeError
        ``p`` is not a number.
    ValueError
        ``p`` outside (0, 1]; NaN or ``+inf`` logits, an empty or fully masked row.

    Notes
    -----
    With :math:`q = \mathrm{softmax}(z)` sorted from the largest down,
    :math:`q_{(1)} \ge q_{(2)} \ge \dots`, keep the first n tokens where n is the smallest
    number with

    .. math:: \sum_{r=1}^{n} q_{(r)} \ge p

    so the token whose probability carries the sum across p is kept. The exact rules:

    * **Reaching p is enough.** If the top tokens sum to exactly p, the next one is *not*
      added. Rounding can make an exact sum come out a hair below p, so "reaches" is tested
      as ``cumulative >= p * (1 - rtol)`` with ``rtol = max(1e-12, 8 * eps)``: 1e-12 in
      float64 and about 1e-6 in float32 (float16 logits are computed in float32).
    * **Ties are ordered by index.** Tokens with equal logits are sorted lower index first (a
      stable sort), so which of several tied tokens is kept is deterministic.
    * ``p = 1`` keeps everything but the masked tokens (no tolerance applies). If rounding
      leaves the total below p, everything is kept.

    The code follows the rule: one stable sort of each row (O(V log V)), a cumulative sum, a
    count; the whole batch at once, without a Python loop.

    Examples
    --------
    >>> import numpy as np
    >>> logits = np.log([0.1, 0.5, 0.3, 0.1])
    >>> filter_top_p(logits, p=0.7).round(3)       # 0.5 < 0.7, 0.5 + 0.3 >= 0.7
    array([  -inf, -0.693, -1.204,   -inf])
    >>> filter_top_p(np.zeros(4), p=0.5)           # 0.25 + 0.25 reaches 0.5 exactly: keep 2
    array([  0.,   0., -inf, -inf])
    """
    z = _check_logits(logits)
    p = _check_p(p, "p")
    if p == 1.0:
        return z.copy()
    return _masked(z, _keep_top_p(z.astype(compute_dtype(z), copy=False), p))


def filter_min_p(logits, min_p):
    r"""Keep tokens whose probability is at least ``min_p`` times the largest probability.

    Parameters
    ----------
    logits : array_like
        Shape (..., V). ``-inf`` marks a masked token.
    min_p : float
        The relative threshold, in [0, 1]. 0 keeps everything; 1 keeps only the top token (and
        any token tied with it).

    Returns
    -------
    ndarray
        A new array of the same shape and floating dtype, with ``-inf`` at removed tokens.

    Raises
    ------
    TypeError
        ``min_p`` is not a number.
    ValueError
        ``min_p`` outside [0, 1]; NaN or ``+inf`` logits, an empty or fully masked row.

    Notes
    -----
    Keep token i when

    .. math:: q_i \ge \text{min\_p} \cdot \max_j q_j
              \iff e^{z_i - \max_j z_j} \ge \text{min\_p}

    with :math:`q = \mathrm{softmax}(z)`. The ratio :math:`q_i / q_{max}` needs no sum, so it is
    computed from the logits directly. Unlike top-p the cut-off adapts to the model's
    confidence: a confident row keeps few tokens, a flat row keeps many. A token exactly at
    the threshold is kept (tested with the same tolerance as :func:`filter_top_p`). The whole
    batch is processed without a Python loop.

    Examples
    --------
    >>> import numpy as np
    >>> filter_min_p(np.log([0.4, 0.2, 0.3, 0.1]), min_p=0.5).round(3)   # 0.1 < 0.5 * 0.4
    array([-0.916, -1.609, -1.204,   -inf])
    """
    z = _check_logits(logits)
    min_p = _check_min_p(min_p, "min_p")
    return _masked(z, _keep_min_p(z.astype(compute_dtype(z), copy=False), min_p))


# --------------------------------------------------------------------------------------------
# the distribution and the draw
# --------------------------------------------------------------------------------------------

def sampling_distribution(logits, temperature=1.0, top_k=None, top_p=None, min_p=None):
    r"""The probabilities :func:`sample` draws from, after temperature and the filters.

    Parameters
    ----------
    logits : array_like
        Shape (..., V). ``-inf`` marks a masked token (it always gets probability 0).
    temperature : float, default 1.0
        T >= 0. The logits are divided by T before anything else. ``T = 0`` means greedy: the
        result is one-hot at the argmax (ties: the lowest index).
    top_k : int or None, default None
        Keep the ``top_k`` largest logits (see :func:`filter_top_k`). None: off.
    top_p : float or None, default None
        Keep the nucleus of mass ``top_p`` (see :func:`filter_top_p`). None: off.
    min_p : float or None, default None
        Keep tokens with probability >= ``min_p`` times the largest (see :func:`filter_min_p`).
        None: off.

    Returns
    -------
    ndarray
        Same shape and floating dtype as ``logits``: one distribution per row, zero outside the
        surviving tokens.

    Notes
    -----
    .. math:: \pi = \mathrm{softmax}\big(\mathrm{minp}(\mathrm{topp}(\mathrm{topk}(z / T)))\big)

    where each filter sets the tokens it removes to :math:`-\infty` and reads the renormalised
    distribution of the tokens that survived the filter before it. The order is the one of
    :func:`sample`. Greedy (T = 0) ignores the filters: every filter keeps the argmax, so they
    cannot change it (their arguments are still checked).

    Examples
    --------
    >>> import numpy as np
    >>> logits = np.log([0.5, 0.3, 0.15, 0.05])
    >>> sampling_distribution(logits).round(2)
    array([0.5 , 0.3 , 0.15, 0.05])
    >>> sampling_distribution(logits, top_k=2).round(3)      # renormalised over the two kept
    array([0.625, 0.375, 0.   , 0.   ])
    >>> sampling_distribution(logits, temperature=0)
    array([1., 0., 0., 0.])
    """
    z = _check_logits(logits)
    t = _check_sampling_temperature(temperature)
    k = None if top_k is None else _check_k(top_k, "top_k")
    p = None if top_p is None else _check_p(top_p, "top_p")
    mp = None if min_p is None else _check_min_p(min_p, "min_p")

    if t == 0.0:
        one_hot = np.zeros(z.shape, dtype=z.dtype)
        np.put_along_axis(one_hot, np.argmax(z, axis=-1)[..., None], 1.0, axis=-1)
        return one_hot

    # 1. Temperature: z / T, computed as (z - max) / T (the softmax does not change), which
    # cannot overflow whatever T is, 1e-300 and 1e300 included (see _checks.shift_by_max).
    s = z.astype(compute_dtype(z), copy=False)
    if t != 1.0:
        s = shift_by_max(s, -1, t)
    # 2-4. The filters, in the documented order; each keeps the argmax, so no row empties.
    if k is not None and k < z.shape[-1]:
        s = _masked(s, _keep_top_k(s, k))
    if p is not None and p < 1.0:
        s = _masked(s, _keep_top_p(s, p))
    if mp is not None and mp > 0.0:
        s = _masked(s, _keep_min_p(s, mp))
    # 5. The softmax of the survivors.
    probs = softmax(s, axis=-1)
    with np.errstate(under="ignore"):
        return probs.astype(z.dtype, copy=False)


def _last_positive(values):
    """Index of the last entry > 0 in each row of a 2-D array (0 if there is none)."""
    return values.shape[-1] - 1 - np.argmax(values[:, ::-1] > 0, axis=-1)


def _draw(probs, rng):
    r"""One index per row: invert the cumulative distribution with one uniform number.

    The rule: with :math:`c_i = \sum_{j \le i} \pi_j` and :math:`u` uniform in
    :math:`[0, c_{V-1})`, pick the first i with :math:`c_i > u`. A zero-probability entry is
    never picked (its :math:`c_i` equals the one before).

    ``np.cumsum`` over a whole vocabulary is a slow sequential loop (slower than the softmax),
    so the same rule runs in two levels: the vocabulary is cut into blocks of ``_DRAW_BLOCK``
    entries, u picks a block by the cumulative *block sums* (a fast vectorised sum), and the
    rest of u picks an entry inside that block. Rounding can put u at the very end of a block
    or of the row; the pick then falls back to the last entry with probability > 0, never past.
    """
    V = probs.shape[-1]
    rows = probs.reshape(-1, V)
    n_rows = rows.shape[0]
    # level 1: the block
    starts = np.arange(0, V, _DRAW_BLOCK)
    block_sums = np.add.reduceat(rows, starts, axis=-1, dtype=compute_dtype(rows)).astype(np.float64)
    block_cumulative = np.cumsum(block_sums, axis=-1)
    u = rng.random(n_rows) * block_cumulative[:, -1]
    block = np.minimum(np.sum(block_cumulative <= u[:, None], axis=-1), _last_positive(block_sums))
    r = np.arange(n_rows)
    u -= np.where(block > 0, block_cumulative[r, block - 1], 0.0)  # what is left of u, >= 0
    # level 2: the entry inside the block (entries past the end of the row count as 0)
    columns = block[:, None] * _DRAW_BLOCK + np.arange(_DRAW_BLOCK)
    inside = np.where(columns < V, rows[r[:, None], np.minimum(columns, V - 1)], 0).astype(np.float64)
    offset = np.minimum(np.sum(np.cumsum(inside, axis=-1) <= u[:, None], axis=-1), _last_positive(inside))
    return (block * _DRAW_BLOCK + offset).reshape(probs.shape[:-1])


def sample(logits, temperature=1.0, top_k=None, top_p=None, min_p=None, rng=None):
    r"""Draw the next token: temperature, then top-k, top-p and min-p, then softmax and a draw.

    Parameters
    ----------
    logits : array_like
        Shape (V,) for one prediction, or (..., V) for a batch. ``-inf`` masks a token.
    temperature : float, default 1.0
        T >= 0: T < 1 sharpens the distribution, T > 1 flattens it, and ``T = 0`` is greedy
        decoding (the argmax; ties go to the lowest index).
    top_k : int or None, default None
        Keep only the ``top_k`` most probable tokens. None: off.
    top_p : float or None, default None
        Keep the smallest set of most probable tokens whose probability reaches ``top_p``
        (the token that crosses it included). None: off.
    min_p : float or None, default None
        Keep tokens whose probability is >= ``min_p`` times the largest. None: off.
    rng : numpy.random.Generator, int or None, default None
        The source of randomness: a Generator, an int seed (the same seed gives the same
        draws), or None for a fresh, unseeded ``numpy.random.default_rng()``.

    Returns
    -------
    int or ndarray of int
        The chosen index: an ``int`` for 1-D logits, otherwise an integer array of the
        leading shape (one index per row).

    Raises
    ------
    TypeError
        A non-integer ``top_k``, a non-numeric ``temperature``, ``top_p`` or ``min_p``, or an
        ``rng`` that is not a Generator, an int or None.
    ValueError
        ``temperature`` negative or not finite, ``top_k < 1``, ``top_p`` outside (0, 1],
        ``min_p`` outside [0, 1], a negative seed; NaN or ``+inf`` logits, an empty or fully
        masked row.

    Notes
    -----
    The order of operations, and why:

    1. **Temperature first.** T reshapes the distribution, and top-p and min-p read
       probabilities, so they must read the probabilities the draw will use. Applied after
       top-p, a low T would still draw from a nucleus chosen at T = 1, and a high T could not
       widen it. (Top-k does not care: dividing by T > 0 keeps the order of the logits.)
    2. **top-k** is a hard cap on the candidates, and it is cheap (a partial sort); top-p
       then works on at most k tokens.
    3. **top-p** next, on the renormalised distribution of the top-k survivors.
    4. **min-p** last: its threshold is relative to the largest probability, which no earlier
       filter removes, and the ratio :math:`q_i / q_{max}` does not change when the survivors
       are renormalised.
    5. **softmax** of the survivors and one draw.

    This is the order used by Hugging Face ``transformers`` for these four settings; other
    libraries differ (llama.cpp, for example, lets the user choose the order and can apply
    temperature last), and different orders give different results: top-k followed by top-p
    is not top-p followed by top-k. In formulas, with :math:`\pi` from
    :func:`sampling_distribution`:

    .. math:: \Pr(\text{token} = i) = \pi_i, \qquad
              \pi = \mathrm{softmax}\big(\mathrm{minp}(\mathrm{topp}(\mathrm{topk}(z / T)))\big)

    The draw inverts the cumulative distribution with one uniform number per row, so the
    same seed gives the same tokens.

    Examples
    --------
    >>> import numpy as np
    >>> logits = np.array([2.0, 1.0, 0.5, -1.0])
    >>> sample(logits, temperature=0)                     # greedy
    0
    >>> sample(logits, rng=42) == sample(logits, rng=42)  # a seed makes it reproducible
    True
    >>> sample(logits, top_k=1, rng=0)                    # k = 1 is greedy too
    0
    >>> sample(np.zeros((2, 3, 4)), rng=0).shape          # one index per row
    (2, 3)
    """
    generator = as_generator(rng)
    probs = sampling_distribution(logits, temperature, top_k, top_p, min_p)
    index = _draw(probs, generator)
    if index.ndim == 0:
        return int(index)
    return index.astype(np.int64, copy=False)
