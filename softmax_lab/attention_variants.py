r"""Variants of the attention softmax that the lesson on attention compares.

* :func:`soft_cap`: tanh soft-capping of the scores (Gemma 2), so no score runs away;
* :func:`rms_normalize`: QK normalisation, so the scores stay bounded however the weights grow;
* :func:`softmax_one`: a softmax with +1 in the denominator, which can attend to nothing.

They are re-exported by :mod:`softmax_lab.attention`.

Supported range: ``scores`` of any finite size in float16/32/64, ``-inf`` a mask (in
:func:`softmax_one` a whole row may be masked); ``cap`` any finite number > 0 and ``sink`` any
finite number, even beyond the scores' dtype (the arithmetic is float64); :func:`rms_normalize`'s
``x`` finite with a last axis d >= 1, and ``eps`` finite >= 0. NaN, ``+inf`` and anything that is
not a number are refused with an error that names the argument.
"""

import numpy as np

from ._checks import as_float_array, check_axis, check_finite_or_masked, compute_dtype, finite_number, to_dtype

__all__ = ["rms_normalize", "soft_cap", "softmax_one"]


def soft_cap(scores, cap):
    r"""Tanh soft-capping: squash scores smoothly into (-cap, cap).

    Parameters
    ----------
    scores : array_like
        Attention scores (or logits). ``-inf`` (a mask) stays ``-inf``.
    cap : float
        The bound, > 0. Gemma 2 uses 50 for attention scores and 30 for the final logits.

    Returns
    -------
    ndarray
        Same shape and floating dtype as ``scores``.

    Notes
    -----
    .. math:: \mathrm{cap} \cdot \tanh(s / \mathrm{cap})

    Close to the identity for :math:`|s| \ll \mathrm{cap}` (slope 1 at 0), never beyond
    :math:`\pm\mathrm{cap}`: the softmax of capped scores cannot collapse onto one key more than
    a score gap of :math:`2\,\mathrm{cap}` allows. Apply it before masking, or keep ``-inf`` as
    here (``tanh(-inf) = -1`` would otherwise unmask the key). Computed in float64 and rounded
    back to the dtype of ``scores``, so a cap beyond float16's or float32's range works.

    Examples
    --------
    >>> soft_cap([0.5, 100.0, -1e6, -float("inf")], cap=30.0).round(3)
    array([  0.5  ,  29.924, -30.   ,    -inf])
    """
    s = as_float_array(scores, "scores")
    check_finite_or_masked(s, "scores")
    c = finite_number(cap, "cap", low=0, inclusive=False)
    work = s.astype(np.float64)              # float64: any cap a float64 holds, whatever the dtype of s
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        x = work / c                         # inf for a tiny cap (tanh(inf) = 1); may underflow for a huge one
        ratio = np.where(x == 0, 1.0, np.tanh(x) / x)
        # cap * tanh(x) = s * tanh(x) / x: the second form keeps s's precision where x is tiny (even subnormal)
        capped = np.where(np.abs(x) < 1, work * ratio, c * np.tanh(x))
    return to_dtype(np.where(np.isneginf(work), -np.inf, capped), s.dtype)


def rms_normalize(x, eps=1e-6):
    r"""Divide each vector (last axis) by its root mean square: QK normalisation without a gain.

    Parameters
    ----------
    x : array_like, shape (..., d)
        Queries or keys.
    eps : float, default 1e-6
        Added to the mean square, so an all-zero vector stays 0.

    Returns
    -------
    ndarray
        Same shape and floating dtype; each vector has root mean square about 1.

    Notes
    -----
    .. math:: \hat x = \frac{x}{\sqrt{\tfrac{1}{d}\sum_i x_i^2 + \epsilon}}

    After normalising both, :math:`|\hat q \cdot \hat k| \le d`, so :math:`\hat q \cdot \hat k /
    \sqrt{d}` is at most :math:`\sqrt{d}` however large the weight matrices grow: the scores
    cannot run away and the attention cannot collapse onto one key. Models that use QK-norm
    apply a LayerNorm or RMSNorm, with a learned gain, to q and k (Dehghani et al. 2023;
    Wortsman et al. 2023).

    Examples
    --------
    >>> rms_normalize([[3.0, 4.0], [300.0, 400.0]]).round(4)
    array([[0.8485, 1.1314],
           [0.8485, 1.1314]])
    """
    a = as_float_array(x, "x")
    if a.ndim < 1 or a.shape[-1] == 0:
        raise ValueError(f"x must have shape (..., d) with d >= 1, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError("x must be finite (no NaN or inf)")
    tiny = finite_number(eps, "eps")
    if tiny < 0:
        raise ValueError(f"eps must be a finite number >= 0, got {eps!r}")
    work = a.astype(compute_dtype(a.dtype), copy=False)
    big = np.max(np.abs(work), axis=-1, keepdims=True)     # scale first: x**2 must not overflow
    big = np.where(big > 0, big, 1)
    with np.errstate(over="ignore", under="ignore"):   # eps / big**2 may be 0 or inf: both fine
        y = work / big
        ms = np.mean(y * y, axis=-1, keepdims=True)
        scale = np.sqrt(ms + (np.sqrt(tiny) / big) ** 2)
    # scale is 0 only for an all-zero vector with eps = 0: that vector stays 0 (not 0 / 0).
    out = np.divide(y, scale, out=np.zeros_like(y), where=scale > 0)
    return to_dtype(out, a.dtype)


def softmax_one(scores, axis=-1, sink=0.0):
    r"""A softmax with an extra term in the denominator: it may give (almost) no weight at all.

    Parameters
    ----------
    scores : array_like
        Scores; ``-inf`` masks an entry. A row may be entirely masked (its weights are all 0).
    axis : int, default -1
        The axis the weights run along.
    sink : float, default 0.0
        The score of an invisible extra key with value 0. ``sink=0`` adds exactly +1 to the
        denominator ("softmax_1", "quiet attention").

    Returns
    -------
    ndarray
        Same shape and floating dtype as ``scores``. Each row sums to less than 1.

    Notes
    -----
    .. math:: w_i = \frac{e^{s_i}}{e^{\mathrm{sink}} + \sum_j e^{s_j}}

    This is the ordinary softmax over the scores plus one more, then dropping that one: the
    missing weight :math:`1 - \sum_i w_i` goes to a key whose value is zero, so a head with
    nothing relevant to read can output (nearly) nothing instead of parking its weight on some
    token, as trained models do with their first token ("attention sinks", Xiao et al. 2023).
    Computed in float64 with the maximum of the scores and the sink subtracted, so it never
    overflows, and rounded back to the dtype of ``scores``.

    Examples
    --------
    >>> softmax_one([0.0, 0.0]).round(4)          # 1 / (1 + 1 + 1)
    array([0.3333, 0.3333])
    >>> softmax_one([-20.0, -20.0]).round(10)     # nothing relevant: almost no weight
    array([2.e-09, 2.e-09])
    >>> softmax_one([30.0, 0.0]).round(4)         # a clear winner: like the plain softmax
    array([1., 0.])
    """
    s = as_float_array(scores, "scores")
    axis = check_axis(s, axis, "scores", what="axis")
    check_finite_or_masked(s, "scores")
    c = finite_number(sink, "sink")
    work = s.astype(np.float64)              # float64: any sink a float64 holds, whatever the dtype of s
    m = np.maximum(np.max(work, axis=axis, keepdims=True), c)
    with np.errstate(over="ignore", under="ignore"):   # -1e308 - 1e308 = -inf: its weight is 0 anyway
        e = np.exp(work - m)
        denominator = np.exp(c - m) + np.sum(e, axis=axis, keepdims=True)
    return to_dtype(e / denominator, s.dtype)
