r"""Losses and gradients: cross-entropy (softmax), binary cross-entropy (sigmoid), the softmax
Jacobian, and a finite-difference gradient check.

Both losses take *logits*, never probabilities: computing the loss from logits goes through
log-sum-exp and stays finite where ``log(softmax(z))`` would give ``log 0 = -inf``.

Supported range
---------------
* ``logits``: as for :func:`softmax_lab.softmax`: any finite float16/float32/float64 numbers up
  to ``+-finfo.max``, ``-inf`` masking a class; integers and lists become float64, and the
  loss and gradient come back in the logits' dtype. ``temperature``: any finite number > 0.
* ``targets``: integer class indices in [0, K), or probability rows of the logits' shape
  (>= 0, summing to 1); for the binary loss, numbers in [0, 1] (booleans too).
  ``label_smoothing``: a number in [0, 1].
* Results: a loss too large for the dtype is ``inf``, never NaN, and nothing warns.
* Refused, with an error naming the argument: everything softmax refuses in ``logits``, class
  indices outside [0, K), targets of the wrong shape, probability targets that are negative or
  do not sum to 1, targets that put probability on a masked class (the loss would be infinite;
  label smoothing puts some on every class), an unknown ``reduction``, a ``label_smoothing``
  outside [0, 1]; for :func:`gradient_check`, an ``f`` that does not return one finite number.
"""

import numpy as np

from ._checks import (
    as_array,
    as_float_array,
    check_choice,
    check_finite_or_masked,
    check_probabilities,
    check_temperature,
    compute_dtype,
    divide,
    finite_number,
    prepare_logits,
    real_number,
    shift_by_max,
    to_dtype,
)
from .functions import sigmoid, softmax

__all__ = [
    "cross_entropy",
    "cross_entropy_grad",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "softmax_jacobian",
    "gradient_check",
]

REDUCTIONS = ("mean", "sum", "none")


def _check_smoothing(label_smoothing):
    eps = real_number(label_smoothing, "label_smoothing", "a number in [0, 1]")
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"label_smoothing must be a number in [0, 1], got {label_smoothing!r}")
    return eps


def _class_targets(targets, z, axis):
    """Sort ``targets`` into class indices or probability rows, matching logits ``z``.

    Returns ``("index", the entries of z at the targets: an index tuple)`` or
    ``("probs", float array of z's shape)``.
    """
    t = as_array(targets, "targets")
    index_shape = z.shape[:axis] + z.shape[axis + 1:]
    K = z.shape[axis]
    if t.dtype.kind in "iu":
        if t.shape != index_shape:
            raise ValueError(
                f"targets as class indices must have the logits' shape without the class axis, "
                f"{index_shape}, got {t.shape}"
            )
        if t.size and (t.min() < 0 or t.max() >= K):
            raise ValueError(f"targets must be class indices in [0, {K}), got values from {t.min()} to {t.max()}")
        rows = np.indices(t.shape, sparse=True)            # z[index] picks class t in every row
        return "index", (*rows[:axis], t.astype(np.intp, copy=False), *rows[axis:])
    if t.dtype.kind == "f":
        if t.shape != z.shape:
            hint = " (class indices must be integers)" if t.shape == index_shape else ""
            raise ValueError(
                f"targets as probabilities must have the logits' shape {z.shape}, got {t.shape}{hint}"
            )
        check_probabilities(t, "targets", axis)
        return "probs", t
    if t.dtype.kind == "b":
        raise TypeError("targets must be integer class indices or float probabilities, got booleans")
    raise TypeError(f"targets must be integer class indices or float probabilities, got dtype {t.dtype}")


def _cross_entropy_inputs(logits, targets, axis, temperature, label_smoothing, reduction):
    """Validate the arguments of cross_entropy and its gradient, reporting errors in this order.

    Returns (logits in their compute dtype, original dtype, axis, T, smoothing, target kind,
    targets) as :func:`_class_targets` sorts them.
    """
    z, dtype, axis = prepare_logits(logits, axis)
    temperature = check_temperature(temperature)
    eps = _check_smoothing(label_smoothing)
    check_choice(reduction, "reduction", REDUCTIONS)
    kind, t = _class_targets(targets, z, axis)
    return z, dtype, axis, temperature, eps, kind, t


def _refuse_targets_on_masked_classes(z, eps, kind, t):
    """Refuse targets that give probability to a masked class (logit -inf): their loss would be
    infinite. (Called after the logits' rows are checked, so that a fully masked row is
    reported as such.)

    Only a logit of -inf is a mask. A log-probability that overflows to -inf (a finite logit far
    below the maximum, or a tiny T) is not an error: its loss rounds to inf.
    """
    if kind == "index":
        hit = np.isneginf(z[t]).any()
    else:
        hit = (np.isneginf(z) & (t > 0)).any()
    if hit or (eps > 0 and np.isneginf(z).any()):
        why = "a target puts probability on it" if hit else "label_smoothing spreads target mass over every class"
        raise ValueError(f"targets give probability to a masked class (logit -inf): {why}, "
                         f"so the loss would be infinite")


def _reduce(values, reduction, N):
    if reduction == "none":
        return values
    total = np.sum(values)
    if reduction == "sum":
        return total
    # If the sum overflowed, the mean may still fit the dtype: divide first, then add.
    return total / N if np.isfinite(total) else np.sum(values / N)


def cross_entropy(logits, targets, axis=-1, temperature=1.0, label_smoothing=0.0, reduction="mean"):
    r"""Cross-entropy between targets and softmax(logits / T), computed from the logits.

    Parameters
    ----------
    logits : array_like
        Raw scores, e.g. shape (batch, sequence, vocabulary). ``-inf`` masks a class.
    targets : array_like
        Either integer class indices with the logits' shape minus the class axis (e.g.
        (batch, sequence)), or probability distributions with the logits' own shape.
    axis : int, default -1
        The class axis.
    temperature : float, default 1.0
        T > 0; the logits are divided by T first.
    label_smoothing : float, default 0.0
        eps in [0, 1]: the target becomes :math:`(1 - \epsilon) y + \epsilon / K`.
    reduction : {"mean", "sum", "none"}, default "mean"
        "mean" divides the sum by N, the number of predictions (every position along the
        axes other than the class axis); "none" returns one loss per prediction.

    Returns
    -------
    ndarray or scalar
        The loss, in the logits' floating dtype. A loss too large for that dtype is ``inf``.

    Raises
    ------
    ValueError
        Everything :func:`softmax` refuses, plus class indices outside [0, K), probability
        targets that are negative or do not sum to 1, shapes that do not match, targets that
        give probability to a masked class, or an unknown reduction.

    Notes
    -----
    For one prediction with target distribution y and :math:`p = \mathrm{softmax}(z/T)`:

    .. math:: \ell = -\sum_i y_i \log p_i = \log \sum_j e^{z_j/T} - \sum_i y_i z_i / T

    With a class index c this is :math:`-\log p_c`, and it splits as
    :math:`H(y) + \mathrm{KL}(y \,\|\, p)`. Its gradient is
    :math:`\partial \ell / \partial z = (p - y) / T` (see :func:`cross_entropy_grad`).
    The code computes it with the shifted logits :math:`s = (z - \max_j z_j)/T`, as
    :math:`\log \sum_j e^{s_j} - \sum_i y_i s_i` (the shift cancels because
    :math:`\sum_i y_i = 1`): the first term lies in :math:`[0, \log K]`, so nothing overflows.

    Examples
    --------
    >>> import numpy as np
    >>> logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.0]])
    >>> round(float(cross_entropy(logits, [0, 1])), 4)          # mean of -log p[target]
    0.3069
    >>> cross_entropy(logits, [0, 1], reduction="none").round(4)
    array([0.417 , 0.1967])
    >>> round(float(cross_entropy([1000.0, 0.0], 1)), 1)        # -log(softmax) would be inf
    1000.0
    """
    z, dtype, axis, temperature, eps, kind, t = _cross_entropy_inputs(
        logits, targets, axis, temperature, label_smoothing, reduction)
    s = shift_by_max(z, axis, temperature)          # s = (z - m) / T; the shift cancels in the loss
    _refuse_targets_on_masked_classes(z, eps, kind, t)
    with np.errstate(over="ignore"):                # a loss too large for the dtype is inf
        if kind == "index":
            target_s = s[t]                         # sum_i y_i s_i for a one-hot y: s at the target
        else:
            target_s = np.sum(t * np.where(t > 0, s, 0.0), axis=axis)   # sum_i y_i s_i (0 log 0 = 0)
        if eps > 0:                                 # y -> (1 - eps) y + eps / K
            K = z.shape[axis]
            target_s = (1 - eps) * target_s if eps < 1 else 0.0   # (eps = 1: no 0 * inf)
            # eps / K * sum_j s_j, summed in float64 and multiplied before dividing: in float16
            # eps / K can round to 0 while a row's sum is -inf, and 0 * inf is NaN
            target_s = target_s + np.sum(s, axis=axis, dtype=np.float64) * eps / K
        log_sum = np.log(np.sum(np.exp(s, out=s), axis=axis))   # log sum_j e^{s_j}, in [0, log K]
        nll = log_sum - target_s                    # one loss per prediction
        loss = _reduce(nll, reduction, max(nll.size, 1))   # N predictions (an empty batch has mean 0)
    return to_dtype(loss, dtype)[()]


def cross_entropy_grad(logits, targets, axis=-1, temperature=1.0, label_smoothing=0.0, reduction="mean"):
    r"""Gradient of :func:`cross_entropy` with respect to the logits.

    Parameters
    ----------
    logits, targets, axis, temperature, label_smoothing, reduction
        As for :func:`cross_entropy`. For ``reduction="none"`` each prediction's gradient is
        that of its own loss (the same as the gradient of the sum).

    Returns
    -------
    ndarray
        Same shape and floating dtype as ``logits``.

    Notes
    -----
    .. math:: \frac{\partial \ell}{\partial z} = \frac{\mathrm{softmax}(z/T) - y}{T}
              \quad (\text{divided by } N \text{ for "mean"})

    This is why the softmax and the cross-entropy are always paired: the Jacobian of the
    softmax and the derivative of the log cancel into "prediction minus target".

    Examples
    --------
    >>> import numpy as np
    >>> cross_entropy_grad([2.0, 1.0, 0.1], 0).round(3)             # p - one_hot(0)
    array([-0.341,  0.242,  0.099])
    >>> cross_entropy_grad([[2.0, 1.0], [0.0, 0.0]], [0, 0]).round(3)  # mean: divided by N=2
    array([[-0.134,  0.134],
           [-0.25 ,  0.25 ]])
    """
    z, dtype, axis, temperature, eps, kind, t = _cross_entropy_inputs(
        logits, targets, axis, temperature, label_smoothing, reduction)
    g = softmax(z, axis=axis, temperature=temperature)      # p = softmax(z / T)
    _refuse_targets_on_masked_classes(z, eps, kind, t)
    if kind == "index":
        g[t] -= 1 - eps                                     # p - (1 - eps) y, y one-hot at the targets
    else:
        g -= (1 - eps) * t                                  # p - (1 - eps) y
    if eps > 0:
        g -= eps / z.shape[axis]                            # ... - eps / K
    N = max(g.size // g.shape[axis], 1)                     # number of predictions (an empty batch has mean 0)
    scale = temperature * (N if reduction == "mean" else 1)
    if scale != 1:
        divide(g, scale, out=g)                             # / (T N), in float64 where T is 1e-300 or so
    return to_dtype(g, dtype)


def _binary_parts(logits, targets, reduction):
    z = as_float_array(logits, "logits")
    y = as_array(targets, "targets")
    if y.dtype.kind in "biu":
        y = y.astype(np.float64)
    elif y.dtype.kind != "f":
        raise TypeError(f"targets must be numbers in [0, 1], got dtype {y.dtype}")
    if y.shape != z.shape:
        raise ValueError(f"targets must have the logits' shape {z.shape}, got {y.shape}")
    if not (np.isfinite(y).all() and ((y >= 0) & (y <= 1)).all()):
        raise ValueError("targets must be probabilities in [0, 1]")
    check_finite_or_masked(z, "logits")              # refuses NaN and +inf (-inf is p = 0, even everywhere)
    check_choice(reduction, "reduction", REDUCTIONS)
    if (np.isneginf(z) & (y > 0)).any():
        raise ValueError("targets give probability to a logit of -inf (p = 0), so the loss would be infinite")
    work = compute_dtype(z)                          # float16 is computed in float32
    return z.astype(work, copy=False), y.astype(work, copy=False), max(z.size, 1), z.dtype


def binary_cross_entropy(logits, targets, reduction="mean"):
    r"""Binary cross-entropy of independent sigmoid outputs, computed from the logits.

    Parameters
    ----------
    logits : array_like
        Raw scores, any shape; each entry is its own yes/no question.
    targets : array_like
        Same shape: 0/1 labels or soft labels in [0, 1] (booleans are fine).
    reduction : {"mean", "sum", "none"}, default "mean"
        "mean" divides by the number of entries.

    Returns
    -------
    ndarray or scalar
        In the logits' floating dtype.

    Notes
    -----
    .. math:: \ell = -y \log \sigma(z) - (1 - y) \log(1 - \sigma(z))
              = \max(z, 0) - y z + \log(1 + e^{-|z|})

    The second form never overflows. The gradient is :math:`\sigma(z) - y`.

    Examples
    --------
    >>> round(float(binary_cross_entropy([0.0], [1.0])), 4)          # log 2
    0.6931
    >>> round(float(binary_cross_entropy([-1000.0], [1.0])), 1)      # no log(0)
    1000.0
    """
    z, y, N, dtype = _binary_parts(logits, targets, reduction)
    finite = np.isfinite(z)
    zf = np.where(finite, z, 0.0)                       # -inf entries (with y = 0) lose nothing
    with np.errstate(over="ignore"):
        values = np.where(finite, np.maximum(zf, 0.0) - y * zf + np.log1p(np.exp(-np.abs(zf))), 0.0)
        loss = _reduce(values, reduction, N)
    return to_dtype(np.asarray(loss), dtype)[()]


def binary_cross_entropy_grad(logits, targets, reduction="mean"):
    r"""Gradient of :func:`binary_cross_entropy` with respect to the logits.

    Parameters
    ----------
    logits, targets, reduction
        As for :func:`binary_cross_entropy`.

    Returns
    -------
    ndarray
        Same shape and floating dtype as ``logits``.

    Notes
    -----
    .. math:: \frac{\partial \ell}{\partial z} = \sigma(z) - y \quad (\text{divided by } N
              \text{ for "mean"})

    Examples
    --------
    >>> binary_cross_entropy_grad([0.0, 2.0], [1.0, 1.0], reduction="sum").round(4)
    array([-0.5   , -0.1192])
    """
    z, y, N, dtype = _binary_parts(logits, targets, reduction)
    g = (sigmoid(z) - y) / (N if reduction == "mean" else 1)
    return to_dtype(g, dtype)


def softmax_jacobian(logits, axis=-1):
    r"""The Jacobian of the softmax: how each probability moves when each logit moves.

    Parameters
    ----------
    logits : array_like
        Raw scores with K classes along ``axis``.
    axis : int, default -1
        The class axis.

    Returns
    -------
    ndarray
        Shape ``(..., K, K)``: the other axes first, then ``J[i, j] = d p_i / d z_j``.

    Notes
    -----
    .. math:: J = \mathrm{diag}(p) - p p^\top, \qquad J_{ij} = p_i (\delta_{ij} - p_j)

    J is symmetric and each row sums to 0 (raising every logit together changes nothing).
    Its diagonal is positive (raising a logit raises its own probability) and everything off
    the diagonal is negative.

    Examples
    --------
    >>> softmax_jacobian([0.0, 0.0])
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    """
    p = np.moveaxis(softmax(logits, axis=axis), axis, -1)
    J = -p[..., :, None] * p[..., None, :]
    idx = np.arange(p.shape[-1])
    J[..., idx, idx] += p
    return J


def gradient_check(f, x, grad, eps=1e-6):
    r"""Compare an analytic gradient with central finite differences.

    Parameters
    ----------
    f : callable
        A scalar function of one array argument.
    x : array_like
        The point to check at (copied to float64; f is evaluated at nudged copies).
    grad : array_like
        The claimed gradient of f at x, with x's shape.
    eps : float, default 1e-6
        The finite-difference step.

    Returns
    -------
    float
        The largest disagreement relative to the largest gradient entry:
        :math:`\max_i |g_i - n_i| \,/\, \max(\max_i |g_i|, \max_i |n_i|)`. Below about 1e-6
        the gradient is right; a missing factor or a wrong sign gives a number near 1 or more.

    Notes
    -----
    .. math:: n_i = \frac{f(x + \epsilon e_i) - f(x - \epsilon e_i)}{2 \epsilon}

    Dividing by the largest entry (not entry by entry) keeps rounding noise in tiny components
    from looking like a large relative error.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([2.0, 1.0, 0.1])
    >>> gradient_check(lambda z: cross_entropy(z, 0), x, cross_entropy_grad(x, 0)) < 1e-7
    True
    >>> gradient_check(lambda z: cross_entropy(z, 0), x, 2 * cross_entropy_grad(x, 0)) > 0.4
    True
    """
    if not callable(f):
        raise TypeError(f"f must be a callable returning a number, got {type(f).__name__}")
    x = np.array(as_float_array(x, "x"), dtype=np.float64)
    if not np.isfinite(x).all():
        raise ValueError("x must be finite, got NaN or inf")
    g = as_float_array(grad, "grad").astype(np.float64)
    if g.shape != x.shape:
        raise ValueError(f"grad must have the shape of x, {x.shape}, got {g.shape}")
    if not np.isfinite(g).all():
        raise ValueError("grad must be finite, got NaN or inf")
    eps_value = finite_number(eps, "eps", low=0, inclusive=False)
    numeric = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps_value
        up = _value_of(f(x))             # read now: f may return a view of x, which changes next
        x[i] = old - eps_value
        down = _value_of(f(x))
        x[i] = old
        numeric[i] = (up - down) / (2 * eps_value)
    scale = max(np.max(np.abs(g), initial=0.0), np.max(np.abs(numeric), initial=0.0))
    if scale == 0:
        return 0.0
    return float(np.max(np.abs(g - numeric)) / scale)


def _value_of(result):
    """``f``'s result as a Python float, or a ValueError/TypeError that names ``f``."""
    if result is None:
        raise TypeError("f must return a number, got None (is a return statement missing?)")
    try:
        a = np.asarray(result)
    except (ValueError, TypeError):
        raise TypeError(f"f must return a single real number, got {type(result).__name__}") from None
    if a.ndim != 0:
        raise ValueError(f"f must return a single number, got shape {a.shape}")
    if a.dtype.kind not in "fiu":
        raise TypeError(f"f must return a single real number, got {a.dtype} ({result!r})")
    value = float(a)
    if not np.isfinite(value):
        raise ValueError(f"f must return a finite number, got {value}")
    return value
