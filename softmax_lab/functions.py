r"""The softmax family: softmax, log-softmax, log-sum-exp, sigmoid, entropy and KL divergence.

Everything here is numpy only, works on any array shape with the class axis given by ``axis``
(the last axis by default), and is numerically stable by construction:

* the logits are shifted by their maximum before ``exp``, so ``exp`` never overflows (softmax
  skips the shift in rows whose maximum is already small enough for that, see ``_exp_rows``);
* logarithms of probabilities are computed as ``z - logsumexp(z)``, never as ``log(softmax(z))``;
* the sigmoid is evaluated with ``exp(-|x|)``, which cannot overflow for either sign.

``-inf`` is a mask (probability exactly 0). NaN, ``+inf``, an empty class axis and a row where
everything is masked are errors. float16/float32/float64 keep their dtype (float16 is computed
in float32 and rounded back); integers and lists become float64.
"""

import math

import numpy as np

from ._checks import (
    as_float_array,
    check_axis,
    check_finite_or_masked,
    check_probabilities,
    check_temperature,
    compute_dtype,
    row_max,
)

__all__ = ["naive_softmax", "softmax", "log_softmax", "logsumexp", "sigmoid", "log_sigmoid", "entropy", "kl_divergence"]


def _prepare_logits(logits, axis, name="logits"):
    """Validate ``logits`` and return (array in its compute dtype, original dtype, axis)."""
    z = as_float_array(logits, name)
    axis = check_axis(z, axis, name)
    return z.astype(compute_dtype(z), copy=False), z.dtype, axis


def _shifted(z, axis, temperature, name="logits", m=None, out=None):
    """Return ``(z - max(z)) / T`` as a new array (or in ``out``): every entry <= 0, the row
    maximum exactly 0.

    Subtracting the row maximum changes nothing mathematically (softmax is shift invariant), but
    it makes ``exp`` safe: the largest term becomes ``exp(0) = 1`` and no term can overflow.
    Very negative results may round to ``-inf``; their ``exp`` is 0, which is the right answer,
    so that overflow is silenced on purpose. A caller that already has the row maximum (or
    another per-row shift) passes it as ``m``.
    """
    if m is None:
        m = _row_max(z, axis, name)
    with np.errstate(over="ignore"):
        s = np.subtract(z, m, out=out)
    if temperature != 1.0:
        s = _divide(s, temperature)
    return s


def _divide(a, divisor):
    """``a /= divisor`` (in place for an array) rounded as if in float64, and return ``a``.
    Overflow gives +-inf silently.

    Not simply ``a /= divisor``: NumPy 2 casts a Python float to float32 first, so T = 1e-300
    would become 0 (0/0 = NaN) and T = 1e300 inf (-inf/inf = NaN). A float64 divisor avoids that,
    but a float32 array divided by a float64 number runs a mixed-type loop about four times slower
    than the division itself. So: when the divisor is exact in the array's dtype (N = 32, T = 2),
    divide in that dtype, which gives the very same correctly rounded result; else in float64.
    """
    with np.errstate(over="ignore"):
        same = a.dtype.type(divisor)
        a /= same if float(same) == divisor else np.float64(divisor)   # float(): compare in float64
    return a


def _to_dtype(x, dtype):
    """Round back to the caller's dtype (silently: out-of-range values become +-inf or 0)."""
    if x.dtype == dtype:
        return x                                 # nothing to round (and no errstate to pay for)
    with np.errstate(over="ignore", under="ignore"):
        return x.astype(dtype, copy=False)


# Fast paths. The public functions keep the plain formula in their docstrings; these helpers
# compute the same numbers with less work (benchmarks/bench_core.py measures them). Each one
# says what it saves and why the result is unchanged.

_SHORT_ROW = 16   # rows with at most this many classes are "short"


def _class_major(a, axis):
    """A contiguous copy of ``a`` with the class axis first: row j holds class j of every row.

    (Axes 0 and ``axis`` are swapped; swapping them back puts a reduced result in place.)
    """
    return np.ascontiguousarray(a.swapaxes(axis, 0))


def _row_max(z, axis, name="logits", whole=None):
    """The maximum along ``axis``, kept as a length-1 axis; raises as ``row_max`` does for NaN,
    +inf and fully masked rows (diagnosing ``whole``, when ``z`` is a block of its rows).

    Fast path for short rows: ``np.max`` along an axis of a few classes pays a fixed cost per
    row (for 1024 rows of 10 classes, about 13 times the cost of exponentiating the whole
    array). Copying the classes to the front first costs one pass, after which the maximum is
    K - 1 vectorised comparisons of whole rows. The result is the same: a maximum involves no
    rounding, and NaN propagates as before.
    """
    if z.shape[axis] > _SHORT_ROW or z.ndim == 1:
        m = z.max(axis=axis, keepdims=True)
    else:
        m = _class_major(z, axis).max(axis=0, keepdims=True).swapaxes(0, axis)
    if not np.isfinite(m).all():                 # raise the precise error (NaN, +inf, all masked)
        row_max(z if whole is None else whole, axis, name)
    return m


def _row_sum(a, axis):
    """The sum along ``axis``, kept as a length-1 axis.

    Fast path for short rows, as for :func:`_row_max`. It adds the classes in order; for fewer
    than 8 classes that is the very order ``np.sum`` uses, and up to 16 it can differ by an ulp.
    """
    if a.shape[axis] > _SHORT_ROW or a.ndim == 1:
        return a.sum(axis=axis, keepdims=True)
    return _class_major(a, axis).sum(axis=0, keepdims=True).swapaxes(0, axis)


def _exp_rows(z, axis, temperature, m):
    r"""``exp((z - c) / T)`` as a new array, with a per-row shift c; ``m`` is the row maximum.

    c is the row maximum ``m`` (the textbook shift), except in rows where c = 0 is just as safe.
    Either way the softmax is the same, since the factor :math:`e^{-c/T}` cancels when a row
    is normalised. Skipping the shift saves a full pass over the array (``z - m``), about a
    quarter of the work of a softmax.

    c = 0 is safe in a row whose maximum has 0 <= m <= log(max float)/2 (about 44 in float32,
    354 in float64; a trained language model's logits usually qualify): no term exceeds
    sqrt(max float), so even a sum over billions of classes cannot overflow; and the sum is
    >= 1 (its largest term is :math:`e^m \ge 1`), so a term that underflows could only have
    given a subnormal probability anyway, exactly as with the shift. It is even a little more
    accurate: ``exp`` gets the exact logits, not the rounded differences ``z - m``. Each row
    decides for itself, so a row's result does not depend on the other rows in the batch.

    With a temperature, the rows are always shifted: ``z / T`` is rounded, and exp turns an
    error in its argument into a relative error as large as the argument, so the big terms
    would lose digits; after the shift the largest term is exactly ``exp(0) = 1``.
    """
    if temperature != 1.0:
        e = _shifted(z, axis, temperature, m=m)   # see the last paragraph above
    else:
        limit = 0.5 * math.log(2.0) * np.finfo(z.dtype).maxexp   # log(sqrt(max float))
        safe = (m >= 0) & (m <= limit)
        if safe.all():
            return np.exp(z)                      # no row needs the shift: one pass
        e = _shifted(z, axis, 1.0, m=np.where(safe, 0, m))   # c = 0 in the safe rows, m elsewhere
    return np.exp(e, out=e)


_BLOCK = 1 << 17   # elements in a block of rows: 512 KiB of float32, so a block and its scratch stay
                   # in a core's L2 cache (2 MiB here); 2^16 to 2^18 measured about the same


def _log_sum_exp(z, axis, temperature, shifted=None):
    r"""Per row, the maximum m and :math:`\log \sum_j e^{(z_j - m)/T}`, both kept as an axis.

    With ``shifted`` (``np.empty_like(z)``), the shifted logits (z - m)/T are left in it too:
    log_softmax is ``shifted - log_sum``, and logsumexp is ``m + log_sum``.

    Fast path for classes on the last axis of a C-contiguous array (the usual layout): one block
    of rows at a time. The exponentials are only summed, so instead of a full-size array (fresh
    memory is slow the first time it is touched, and a large array falls out of the cache
    between passes) they go to one small scratch buffer, reused by every block and kept in the
    cache. Row by row, the arithmetic is exactly that of the plain code below.
    """
    if axis != z.ndim - 1 or not z.flags.c_contiguous:   # any other layout: the plain code
        m = _row_max(z, axis)
        s = _shifted(z, axis, temperature, m=m, out=shifted)
        e = np.exp(s) if shifted is not None else np.exp(s, out=s)   # keep s if the caller wants it
        return m, np.log(_row_sum(e, axis))
    K = z.shape[-1]
    rows = z.reshape(-1, K)
    shifted_rows = None if shifted is None else shifted.reshape(-1, K)
    step = max(1, _BLOCK // K)
    scratch = np.empty((min(step, len(rows)), K), z.dtype)
    m = np.empty((len(rows), 1), z.dtype)
    log_sum = np.empty_like(m)
    for start in range(0, len(rows), step):
        block = slice(start, start + step)
        z_block = rows[block]
        e = scratch[:len(z_block)]
        m[block] = _row_max(z_block, -1, whole=z)
        s = _shifted(z_block, -1, temperature, m=m[block], out=e if shifted is None else shifted_rows[block])
        np.exp(s, out=e)
        log_sum[block] = np.log(_row_sum(e, -1))
    kept = z.shape[:-1] + (1,)
    return m.reshape(kept), log_sum.reshape(kept)


def naive_softmax(logits, axis=-1):
    r"""The textbook formula exp(z) / sum(exp(z)), WITHOUT the max shift: a foil for lessons.

    It is here only to show how the formula breaks: once a logit passes ``log(finfo.max)``
    (about 11.1 in float16, 88.7 in float32, 709.8 in float64) ``exp`` overflows to inf and
    the result holds NaN; once every logit is very negative the sum underflows to 0. Use
    :func:`softmax` for real work. Overflow is reported through the result (inf/NaN), not as
    a RuntimeWarning, so that a lesson can show it calmly.

    Parameters
    ----------
    logits : array_like
        Raw scores; the dtype is kept (float16 stays float16, so it breaks where float16 does).
    axis : int, default -1
        The class axis.

    Returns
    -------
    ndarray
        ``exp(z) / sum(exp(z))``, possibly holding NaN.

    Notes
    -----
    .. math:: \mathrm{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}

    Examples
    --------
    >>> naive_softmax([1.0, 2.0]).round(4)
    array([0.2689, 0.7311])
    >>> naive_softmax([1000.0, 999.0])          # inf / inf
    array([nan, nan])
    >>> naive_softmax([-1000.0, -1001.0])       # 0 / 0
    array([nan, nan])
    """
    z = as_float_array(logits, "logits")
    axis = check_axis(z, axis)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(z)
        return e / np.sum(e, axis=axis, keepdims=True)


def softmax(logits, axis=-1, temperature=1.0):
    r"""Turn scores into a probability distribution along ``axis``.

    Parameters
    ----------
    logits : array_like
        Raw scores z (any shape). ``-inf`` marks a masked entry, whose probability is 0.
    axis : int, default -1
        The class axis: probabilities sum to 1 along it.
    temperature : float, default 1.0
        T > 0. The scores are divided by T first: T < 1 sharpens, T > 1 flattens.

    Returns
    -------
    ndarray
        Same shape and floating dtype as ``logits`` (integers and lists give float64).

    Raises
    ------
    ValueError
        NaN or ``+inf`` logits, an empty class axis, a fully masked row, or a temperature that
        is not a finite number > 0.
    TypeError
        Non-numeric logits or a non-numeric temperature.

    Notes
    -----
    .. math:: \mathrm{softmax}(z)_i = \frac{e^{z_i/T}}{\sum_j e^{z_j/T}}
              = \frac{e^{(z_i - m)/T}}{\sum_j e^{(z_j - m)/T}}, \qquad m = \max_j z_j

    The two forms are equal (the factor :math:`e^{-m/T}` cancels); the second never overflows.
    (With T = 1 and every row maximum in [0, 44] (float32) or [0, 354] (float64), the first
    form cannot overflow either, and it saves a pass over the array, so it is used there.)
    The Jacobian is :math:`\partial p_i / \partial z_j = p_i(\delta_{ij} - p_j) / T`
    (see :func:`softmax_lab.softmax_jacobian`).

    Examples
    --------
    >>> import numpy as np
    >>> softmax([2.0, 1.0, 0.1]).round(3)
    array([0.659, 0.242, 0.099])
    >>> softmax([1000.0, 999.0]).round(3)         # naive exp(1000) would overflow
    array([0.731, 0.269])
    >>> softmax([1.0, 2.0, -np.inf])              # -inf is a mask
    array([0.26894142, 0.73105858, 0.        ])
    >>> softmax([2.0, 1.0], temperature=0.01).round(3)
    array([1., 0.])
    """
    z, dtype, axis = _prepare_logits(logits, axis)
    t = check_temperature(temperature)
    p = _exp_rows(z, axis, t, _row_max(z, axis))   # exp((z - m)/T), or exp(z) where just as safe
    p /= _row_sum(p, axis)  # a division, so that a lone term (K = 1, or the rest underflowed) gives exactly 1
    return _to_dtype(p, dtype)


def log_softmax(logits, axis=-1, temperature=1.0):
    r"""Logarithm of the softmax, computed without ever forming the softmax.

    Parameters
    ----------
    logits : array_like
        Raw scores z. ``-inf`` marks a masked entry (its log-probability is ``-inf``).
    axis : int, default -1
        The class axis.
    temperature : float, default 1.0
        T > 0; the scores are divided by T first.

    Returns
    -------
    ndarray
        Same shape and floating dtype as ``logits``. A log-probability too negative for the
        dtype (below about -65504 in float16) rounds to ``-inf``, as a tiny probability
        rounds to 0.

    Notes
    -----
    .. math:: \log \mathrm{softmax}(z)_i = z_i/T - \log \sum_j e^{z_j/T}
              = (z_i - m)/T - \log \sum_j e^{(z_j - m)/T}

    The gradient of the log-sum-exp is the softmax itself, so
    :math:`\partial \log p_i / \partial z_j = (\delta_{ij} - p_j) / T`.

    Examples
    --------
    >>> import numpy as np
    >>> with np.errstate(divide="ignore"):           # softmax underflows to 0, log gives -inf
    ...     float(np.log(softmax([1000.0, 0.0]))[1])
    -inf
    >>> float(log_softmax([1000.0, 0.0])[1])
    -1000.0
    >>> log_softmax([0.0, 0.0]).round(4)
    array([-0.6931, -0.6931])
    """
    z, dtype, axis = _prepare_logits(logits, axis)
    t = check_temperature(temperature)
    s = np.empty_like(z)
    _, log_sum = _log_sum_exp(z, axis, t, shifted=s)   # s = (z - m)/T
    s -= log_sum
    return _to_dtype(s, dtype)


def logsumexp(logits, axis=-1, keepdims=False):
    r"""The log of the sum of exponentials, without overflow: a smooth maximum.

    Parameters
    ----------
    logits : array_like
        Values z. ``-inf`` entries contribute nothing.
    axis : int, default -1
        The axis to reduce.
    keepdims : bool, default False
        Keep the reduced axis with length 1 (handy for broadcasting back).

    Returns
    -------
    ndarray
        ``logits`` reduced along ``axis``, in its floating dtype.

    Notes
    -----
    .. math:: \mathrm{LSE}(z) = \log \sum_j e^{z_j} = m + \log \sum_j e^{z_j - m},
              \qquad m = \max_j z_j

    :math:`\max_j z_j \le \mathrm{LSE}(z) \le \max_j z_j + \log K`, and its gradient is the
    softmax: :math:`\partial\,\mathrm{LSE} / \partial z_i = \mathrm{softmax}(z)_i`.

    Examples
    --------
    >>> import numpy as np
    >>> with np.errstate(over="ignore"):                   # naive: exp(1000) overflows
    ...     float(np.log(np.sum(np.exp([1000.0, 1000.0]))))
    inf
    >>> round(float(logsumexp([1000.0, 1000.0])), 4)       # 1000 + log 2
    1000.6931
    >>> logsumexp([[0.0, 0.0], [1.0, -np.inf]])
    array([0.69314718, 1.        ])
    """
    z, dtype, axis = _prepare_logits(logits, axis)
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"keepdims must be True or False, got {keepdims!r}")
    m, log_sum = _log_sum_exp(z, axis, 1.0)
    lse = m + log_sum
    if not keepdims:
        lse = np.squeeze(lse, axis=axis)
    return _to_dtype(lse, dtype)


def _prepare_elementwise(x, name="x"):
    a = as_float_array(x, name)
    check_finite_or_masked(a, name)
    return a.astype(compute_dtype(a), copy=False), a.dtype


def sigmoid(x):
    r"""The logistic function, stable for large positive and negative inputs.

    Parameters
    ----------
    x : array_like
        Logits, any shape. ``-inf`` gives exactly 0. NaN and ``+inf`` are errors.

    Returns
    -------
    ndarray
        Same shape and floating dtype as ``x``, values in [0, 1].

    Notes
    -----
    .. math:: \sigma(x) = \frac{1}{1 + e^{-x}} = \frac{e^{x}}{1 + e^{x}}

    The first form is used for x >= 0 and the second for x < 0, both through
    :math:`e^{-|x|} \le 1`, so nothing overflows. :math:`\sigma'(x) = \sigma(x)(1 - \sigma(x))`,
    and for two classes :math:`\mathrm{softmax}([z_0, z_1])_1 = \sigma(z_1 - z_0)`.

    Examples
    --------
    >>> sigmoid([0.0, 2.0, -2.0]).round(4)
    array([0.5   , 0.8808, 0.1192])
    >>> sigmoid([-1000.0, 1000.0])                  # no overflow warning, no NaN
    array([0., 1.])
    """
    a, dtype = _prepare_elementwise(x)
    e = np.exp(-np.abs(a))  # in (0, 1]: never overflows
    out = np.where(a >= 0, 1.0, e) / (1.0 + e)
    return _to_dtype(out.astype(a.dtype, copy=False), dtype)


def log_sigmoid(x):
    r"""The log of the sigmoid, accurate where the sigmoid itself rounds to 0 or 1.

    Parameters
    ----------
    x : array_like
        Logits, any shape. ``-inf`` gives ``-inf``. NaN and ``+inf`` are errors.

    Returns
    -------
    ndarray
        Same shape and floating dtype as ``x``, values <= 0.

    Notes
    -----
    .. math:: \log \sigma(x) = -\log(1 + e^{-x}) = \min(x, 0) - \log(1 + e^{-|x|})

    Its derivative is :math:`1 - \sigma(x) = \sigma(-x)`.

    Examples
    --------
    >>> import numpy as np
    >>> with np.errstate(divide="ignore"):           # sigmoid underflows to 0
    ...     float(np.log(sigmoid([-800.0]))[0])
    -inf
    >>> float(log_sigmoid([-800.0])[0])
    -800.0
    """
    a, dtype = _prepare_elementwise(x)
    out = np.minimum(a, 0.0) - np.log1p(np.exp(-np.abs(a)))
    return _to_dtype(out, dtype)


def _prepare_probabilities(probs, axis, name):
    p = as_float_array(probs, name)
    axis = check_axis(p, axis, name)
    check_probabilities(p, name, axis)
    return p.astype(compute_dtype(p), copy=False), p.dtype, axis


def _xlogy(x, y):
    """x * log(y), with 0 wherever x == 0 (the convention 0 log 0 = 0)."""
    safe_y = np.where(x > 0, y, 1.0)
    return np.where(x > 0, x * np.log(safe_y), 0.0)


def entropy(probs, axis=-1):
    r"""Shannon entropy of probability distributions, in nats.

    Parameters
    ----------
    probs : array_like
        Probabilities: >= 0, summing to 1 along ``axis``.
    axis : int, default -1
        The class axis.

    Returns
    -------
    ndarray
        ``probs`` reduced along ``axis``, in its floating dtype. Divide by ``log(2)`` for bits.

    Notes
    -----
    .. math:: H(p) = -\sum_i p_i \log p_i, \qquad 0 \log 0 = 0

    :math:`0 \le H(p) \le \log K`: 0 for a certain prediction, :math:`\log K` for uniform.

    Examples
    --------
    >>> import numpy as np
    >>> float(entropy([0.5, 0.5])) == float(np.log(2))
    True
    >>> float(entropy([1.0, 0.0, 0.0]))
    0.0
    """
    p, dtype, axis = _prepare_probabilities(probs, axis, "probs")
    h = -np.sum(_xlogy(p, p), axis=axis)
    return _to_dtype(np.maximum(h, 0.0), dtype)  # rounding can give -1e-17 for a one-hot


def kl_divergence(p, q, axis=-1):
    r"""Kullback-Leibler divergence KL(p || q), in nats.

    Parameters
    ----------
    p, q : array_like
        Probability distributions along ``axis`` (>= 0, summing to 1); shapes must broadcast.
    axis : int, default -1
        The class axis.

    Returns
    -------
    ndarray
        The arrays reduced along ``axis``. It is ``+inf`` where q gives probability 0 to an
        outcome that p thinks possible: that divergence really is infinite.

    Notes
    -----
    .. math:: \mathrm{KL}(p \,\|\, q) = \sum_i p_i \log \frac{p_i}{q_i} \ge 0

    It is 0 only when p = q, and it is not symmetric. Cross-entropy splits as
    :math:`H(p, q) = H(p) + \mathrm{KL}(p \,\|\, q)`.

    Examples
    --------
    >>> round(float(kl_divergence([0.5, 0.5], [0.9, 0.1])), 4)
    0.5108
    >>> float(kl_divergence([0.5, 0.5], [0.5, 0.5]))
    0.0
    >>> float(kl_divergence([0.5, 0.5], [1.0, 0.0]))
    inf
    """
    pa, p_dtype, axis_p = _prepare_probabilities(p, axis, "p")
    qa, q_dtype, axis_q = _prepare_probabilities(q, axis, "q")
    if pa.ndim != qa.ndim:
        raise ValueError(f"p and q must have the same number of dimensions, got shapes {pa.shape} and {qa.shape}")
    if pa.shape[axis_p] != qa.shape[axis_p]:  # broadcasting the class axis would be meaningless
        raise ValueError(f"p and q must have the same number of classes along axis {axis_p}, "
                         f"got shapes {pa.shape} and {qa.shape}")
    try:
        pa, qa = np.broadcast_arrays(pa, qa)
    except ValueError:
        raise ValueError(f"p and q have shapes {pa.shape} and {qa.shape}, which do not broadcast") from None
    impossible = (pa > 0) & (qa == 0)
    terms = _xlogy(pa, pa) - _xlogy(pa, np.where(impossible, 1.0, qa))
    kl = np.maximum(np.sum(terms, axis=axis_p), 0.0)
    kl = np.where(np.any(impossible, axis=axis_p), np.inf, kl)
    return _to_dtype(kl, np.result_type(p_dtype, q_dtype))
