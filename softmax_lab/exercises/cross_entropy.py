"""Lesson 04: checking a learner's gradient of the cross-entropy."""

import numpy as np

from ..functions import naive_softmax, softmax
from ..losses import cross_entropy_grad
from ._machinery import MASK_HINT, MAX_SHIFT_HINT, NEG_INF, Case, first_matching, nonfinite, run_battery

# --------------------------------------------------------------------------------------------
# Lesson 04: the gradient of the cross-entropy
# --------------------------------------------------------------------------------------------

DIVIDE_BY_N_HINT = ("divide by N, the number of predictions (rows): the loss is the MEAN over the N "
                    "rows, so each row's gradient p - y carries a factor 1/N.")


def _ce_cases():
    f32 = np.float32
    raw = [
        ("one prediction", np.array([[2.0, 1.0, 0.1]]), np.array([0]), "basic"),
        ("a batch of N = 2 predictions over K = 3 classes",
         np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.0]]), np.array([0, 2]), "batch"),
        ("a batch of N = 4 predictions over K = 2 classes",
         np.array([[1.0, -1.0], [0.0, 0.0], [3.0, 1.0], [-2.0, 2.0]]), np.array([0, 1, 1, 1]), "batch"),
        ("large logits: exp(1000) overflows",
         np.array([[1000.0, 999.0, 0.0], [-1000.0, -1001.0, -1002.0]]), np.array([1, 0]), "overflow"),
        ("float32 logits near 100", np.array([[100.0, 99.0, 98.0]], dtype=f32), np.array([2]), "overflow"),
        ("a masked class (-inf) gets gradient 0", np.array([[1.0, 2.0, NEG_INF]]), np.array([0]), "mask"),
    ]
    return [Case(what, (z, t), cross_entropy_grad(z, t), tag,
                  **(dict(rtol=1e-4, atol=1e-6) if z.dtype == f32 else {}))
            for what, z, t, tag in raw]


def _ce_mistakes(z, t):
    z = np.asarray(z, dtype=np.float64)
    N, K = z.shape
    p = softmax(z)
    y = np.zeros_like(p)
    y[np.arange(N), t] = 1.0
    naive = naive_softmax(z)                 # exp(z) / sum, no max shift: NaN for huge logits
    return [
        ((p - y) / K if K != N else None,
         "divide by N, the number of predictions (rows), not by K, the number of classes."),
        (p - y, DIVIDE_BY_N_HINT),
        ((y - p) / N, "mind the sign: the gradient of -log p[target] is p - y (it pushes the target's logit UP "
                      "when you step against it)."),
        (p / N, "subtract the one-hot target: the gradient is (p - y) / N, where y is 1 at the target class."),
        ((naive - y) / N, MAX_SHIFT_HINT),
        (naive - y, MAX_SHIFT_HINT + " (Also divide by N, the number of predictions.)"),
        ((softmax(z, axis=0) - y) / N, "take the softmax of each row (axis=-1): each row is one prediction."),
    ]


def _ce_hint(case, got, outcome):
    z, t = case.args
    expected = np.asarray(case.expected)
    if got.shape != expected.shape:
        if got.shape == expected.shape[-1:]:
            return ("return one gradient per logit, shape (N, K) like the logits: don't sum over the "
                    "batch; the 1/N of the mean goes into every row.")
        return f"the gradient has the shape of the logits, {expected.shape}; got {got.shape}."
    known = first_matching(got, _ce_mistakes(z, t), expected)
    if known:
        return known
    if nonfinite(got, expected) or outcome.warnings:
        return MASK_HINT if case.tag == "mask" else MAX_SHIFT_HINT
    return "the gradient of the mean cross-entropy is (softmax(z) - one_hot(targets)) / N."


def check_cross_entropy_grad(fn):
    r"""Check a learner's gradient of the mean cross-entropy with respect to the logits.

    Parameters
    ----------
    fn : callable
        Called as ``fn(logits, targets)`` with logits of shape (N, K) and integer targets of
        shape (N,); must return the gradient of
        ``softmax_lab.cross_entropy(logits, targets)`` (the mean over the N rows), shape (N, K).

    Returns
    -------
    CheckResult

    Notes
    -----
    .. math:: \frac{\partial}{\partial z} \frac{1}{N} \sum_n -\log p_{n, t_n}
              = \frac{1}{N}(p - y), \qquad y = \mathrm{one\_hot}(t)

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_lab import softmax
    >>> def no_mean(z, t):
    ...     g = softmax(z)
    ...     g[np.arange(len(t)), t] -= 1
    ...     return g
    >>> check_cross_entropy_grad(no_mean).hint.startswith("divide by N")
    ✘ check_cross_entropy_grad: case 2 of 6 failed (a batch of N = 2 predictions over K = 3 classes)
      called:    no_mean(np.array([[2. , 1. , 0.1], [0.5, 2.5, 0. ]]), np.array([0, 2]))
      expected:  np.array([[-0.170499,  0.121216,  0.049283], [ 0.055583,  0.410705, -0.466287]])
      got:       np.array([[-0.340999,  0.242433,  0.098566], [ 0.111166,  0.821409, -0.932575]])
      hint: divide by N, the number of predictions (rows): the loss is the MEAN over the N rows, so each row's gradient p - y carries a factor 1/N.
    True
    """  # noqa: E501  (wrapping a line would change the docstring's text)
    return run_battery("check_cross_entropy_grad", fn, _ce_cases(), _ce_hint)
