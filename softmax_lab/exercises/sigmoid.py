"""Lesson 03: checking a learner's stable sigmoid."""

import numpy as np

from ..functions import sigmoid, softmax
from ._machinery import NEG_INF, Case, first_matching, nonfinite, quiet, run_battery, shape_hint

# --------------------------------------------------------------------------------------------
# Lesson 03: sigmoid and the choice of output layer
# --------------------------------------------------------------------------------------------

SIGMOID_OVERFLOW_HINT = (
    "exp overflowed: 1 / (1 + exp(-x)) computes exp(1000) when x = -1000, and exp(x) / (1 + exp(x)) "
    "does when x = 1000. Compute e = np.exp(-np.abs(x)) once (it is at most 1) and build both forms "
    "from it: np.where(x >= 0, 1 / (1 + e), e / (1 + e)). np.where computes BOTH branches for every "
    "entry, so each branch must be safe on its own."
)


def _sigmoid_cases():
    f32 = np.float32
    raw = [
        ("three inputs", np.array([0.0, 2.0, -2.0]), "basic"),
        ("a 2-D array: the sigmoid works entry by entry", np.array([[0.5, -0.5], [3.0, -3.0]]), "basic"),
        ("large positive and negative inputs", np.array([-1000.0, 1000.0]), "overflow"),
        ("float32 inputs near 100", np.array([-100.0, 100.0, 0.0], dtype=f32), "overflow"),
        ("-inf gives exactly 0", np.array([NEG_INF, 0.0]), "mask"),
    ]
    return [Case(what, (x,), sigmoid(x), tag, **(dict(rtol=1e-5, atol=1e-7) if x.dtype == f32 else {}))
            for what, x, tag in raw]


def _sigmoid_hint(case, got, outcome):
    x = np.asarray(case.args[0], dtype=np.float64)
    shape = shape_hint(got, case.expected)
    if shape:
        return shape
    known = first_matching(got, [
        (quiet(lambda a: 1.0 / (1.0 + np.exp(a)), x),
         "mind the sign: sigmoid(x) = 1 / (1 + exp(-x)), which is above 0.5 for x > 0."),
        (softmax(x),
         "that is a softmax over the entries; the sigmoid treats every entry on its own: 1 / (1 + exp(-x))."),
    ], case.expected)
    if known:
        return known
    if nonfinite(got, case.expected) or outcome.warnings:
        return SIGMOID_OVERFLOW_HINT
    return "sigmoid(x) = 1 / (1 + exp(-x)), entry by entry, the same shape as x."


def check_sigmoid(fn):
    r"""Check a learner's stable sigmoid: ``fn(x)`` entry by entry.

    Parameters
    ----------
    fn : callable
        Called as ``fn(x)`` with an array of any shape; must return :math:`1/(1+e^{-x})`
        without overflow warnings for x = +-1000 (float64) or +-100 (float32).

    Returns
    -------
    CheckResult

    Notes
    -----
    .. math:: \sigma(x) = \frac{1}{1 + e^{-x}} = \frac{e^{x}}{1 + e^{x}}

    Use the first form where x >= 0 and the second where x < 0: both only ever need
    :math:`e^{-|x|} \le 1`.

    Examples
    --------
    >>> import numpy as np
    >>> def stable(x):
    ...     e = np.exp(-np.abs(x))
    ...     return np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    >>> check_sigmoid(stable).passed
    ✔ check_sigmoid: all 5 cases passed. Well done!
    True
    """
    return run_battery("check_sigmoid", fn, _sigmoid_cases(), _sigmoid_hint,
                        warning_hint="the values are right, but " + SIGMOID_OVERFLOW_HINT)
