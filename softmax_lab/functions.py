r"""The softmax family: softmax, log-softmax, log-sum-exp, sigmoid, entropy and KL divergence.

Everything here is numpy only, works on any array shape with the class axis given by ``axis``
(the last axis by default), and is numerically stable by construction:

* the logits are shifted by their maximum before ``exp``, so ``exp`` never overflows;
* logarithms of probabilities are computed as ``z - logsumexp(z)``, never as ``log(softmax(z))``;
* the sigmoid is evaluated with ``exp(-|x|)``, which cannot overflow for either sign.

Each function body reads as its formula. For softmax, lesson 05's four steps: the row maximum
(kept as an axis), ``exp`` of the shifted logits, their sum, the division.

Supported range
---------------
* ``logits`` (softmax, log_softmax, logsumexp) and ``x`` (sigmoid, log_sigmoid): any finite
  numbers of float16, float32 or float64, up to the dtype's largest (``+-finfo.max``), any
  shape; ``-inf`` is a mask (probability exactly 0). float16/float32/float64 keep their dtype
  (float16 is computed in float32 and rounded once); integers and lists become float64. The
  results never hold NaN and raise no warning; a log-probability below the dtype's range rounds
  to ``-inf``, as a tiny probability rounds to 0.
* ``temperature``: any finite number > 0 (1e-300 and 1e300 included), applied in float64.
* ``probs``, ``p``, ``q`` (entropy, kl_divergence): entries >= 0 summing to 1 along the axis,
  within ``sqrt(eps)`` of the coarsest float dtype that holds every entry.
* Refused, with an error naming the argument: NaN or ``+inf`` logits, a row where every entry
  is masked, an empty class axis, booleans, complex numbers, strings, bfloat16 (convert to
  float32 first), a temperature that is 0, negative, infinite or not a number, an axis out of
  range, probabilities that are negative or do not sum to 1.

A reduction (logsumexp, entropy, kl_divergence, and cross_entropy in :mod:`softmax_lab.losses`)
of 1-D input returns a numpy scalar of that dtype (``np.float64(...)``, ``np.float32(...)``), as
numpy's own reductions and ``scipy.special.logsumexp`` do: it has a ``dtype`` and ``shape == ()``
like a 0-d array, and ``float()`` of it is exact.
"""

import numpy as np

from ._checks import (
    as_float_array,
    check_axis,
    check_finite_or_masked,
    check_probabilities,
    check_temperature,
    compute_dtype,
    prepare_logits,
    row_max,
    shift_by_max,
    to_dtype,
)

__all__ = ["naive_softmax", "softmax", "log_softmax", "logsumexp", "sigmoid", "log_sigmoid", "entropy", "kl_divergence"]


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

    The two forms are equal (the factor :math:`e^{-m/T}` cancels); the second never overflows:
    every exponent is <= 0, and the largest term of the sum is exactly :math:`e^0 = 1`, so the
    sum lies between 1 and K. T is applied in float64 after the shift, so any finite T > 0
    works, 1e-300 and 1e300 included.
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
    z, dtype, axis = prepare_logits(logits, axis)
    t = check_temperature(temperature)
    s = shift_by_max(z, axis, t)                   # (z - max) / T: every entry <= 0, the max exactly 0
    e = np.exp(s, out=s)                           # exp, in place: each term in [0, 1]
    e /= np.sum(e, axis=axis, keepdims=True)       # divide by the sum (between 1 and K)
    return to_dtype(e, dtype)


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
    z, dtype, axis = prepare_logits(logits, axis)
    t = check_temperature(temperature)
    s = shift_by_max(z, axis, t)                                      # s = (z - max) / T
    s -= np.log(np.sum(np.exp(s), axis=axis, keepdims=True))          # s - log sum exp(s)
    return to_dtype(s, dtype)


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

    The sum is split as ``1 + rest``, where 1 is the term of the maximum, :math:`e^0`, and the
    result is computed as :math:`m + \mathrm{log1p}(\text{rest})` (as scipy does). Adding the
    1 first would round away the low digits of ``rest``, and those are all the digits of the
    result when it is near 0 (``m`` near 0 and the other terms small). float32 and float16
    input is reduced in float64 and rounded once at the end: the result is then the float32
    number nearest the exact answer (within half an ulp in the tests), where scipy's float32
    arithmetic can be tens of ulps off when the result is near 0. float64 input is computed in
    float64, as scipy does.
    1-D input gives a numpy scalar.

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
    z, dtype, axis = prepare_logits(logits, axis)
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"keepdims must be True or False, got {keepdims!r}")
    z = z.astype(np.float64, copy=False)           # float32/float16: reduce in float64 (Notes)
    m = row_max(z, axis)                           # m = max(z, keepdims); refuses NaN, +inf, all-masked rows
    with np.errstate(over="ignore"):               # a difference beyond the float range is -inf (exp: 0)
        s = z - m                                  # the largest term is e^0 = 1
    at_max = s == 0
    e = np.exp(s, out=s)
    e[at_max] = 0.0                                # every term but the maxima...
    ties = np.sum(at_max, axis=axis, keepdims=True) - 1   # ...plus the other entries equal to the maximum
    rest = np.sum(e, axis=axis, keepdims=True) + ties
    lse = m + np.log1p(rest)                       # m + log(1 + rest): the maximum's 1 inside log1p
    if not keepdims:
        lse = np.squeeze(lse, axis=axis)
    return to_dtype(lse, dtype)[()]


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
    e = np.exp(-np.abs(a))                              # e^{-|x|} in (0, 1]: never overflows
    p = np.where(a >= 0, a.dtype.type(1), e)            # numerator: 1 for x >= 0, e^{x} for x < 0
    p /= 1 + e                                          # denominator: 1 + e^{-|x|}
    return to_dtype(p, dtype)


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
    return to_dtype(out, dtype)


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
    return to_dtype(np.asarray(np.maximum(h, 0.0)), dtype)[()]  # rounding can give -1e-17 for a one-hot


def kl_divergence(p, q, axis=-1):
    r"""Kullback-Leibler divergence KL(p || q), in nats.

    Parameters
    ----------
    p, q : array_like
        Probability distributions along ``axis`` (>= 0, summing to 1), with the same number of
        classes K. Their other axes broadcast (numpy's rules); the class axis is found in each
        array separately, so p of shape (K,) against q of shape (N, K) gives N divergences.
    axis : int, default -1
        The class axis of p and of q.

    Returns
    -------
    ndarray
        One divergence per distribution: the broadcast shape of p's and q's other axes. It is
        ``+inf`` where q gives probability 0 to an outcome that p thinks possible: that
        divergence really is infinite.

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
    >>> kl_divergence([0.5, 0.5], [[0.5, 0.5], [0.9, 0.1], [1.0, 0.0]]).round(4)   # one p, three q
    array([0.    , 0.5108,    inf])
    """
    pa, p_dtype, axis_p = _prepare_probabilities(p, axis, "p")
    qa, q_dtype, axis_q = _prepare_probabilities(q, axis, "q")
    if pa.shape[axis_p] != qa.shape[axis_q]:     # broadcasting the class axis would be meaningless
        raise ValueError(f"p and q must have the same number of classes along axis {axis}, "
                         f"got shapes {pa.shape} and {qa.shape}")
    try:
        pa, qa = np.broadcast_arrays(np.moveaxis(pa, axis_p, -1), np.moveaxis(qa, axis_q, -1))   # classes last
    except ValueError:
        raise ValueError(f"p and q have shapes {pa.shape} and {qa.shape}, whose axes other than the class "
                         "axis do not broadcast") from None
    impossible = (pa > 0) & (qa == 0)
    terms = _xlogy(pa, pa) - _xlogy(pa, np.where(impossible, 1.0, qa))
    kl = np.maximum(np.sum(terms, axis=-1), 0.0)
    kl = np.where(np.any(impossible, axis=-1), np.inf, kl)
    return to_dtype(kl, np.result_type(p_dtype, q_dtype))[()]
