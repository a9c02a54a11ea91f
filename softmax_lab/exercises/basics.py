"""Lesson 01: checking a learner's softmax."""

import numpy as np

from ..functions import naive_softmax, softmax
from ._machinery import (
    AXIS_HINT,
    MASK_HINT,
    MAX_SHIFT_HINT,
    NEG_INF,
    ROW_MAX_HINT,
    Case,
    first_matching,
    nonfinite,
    quiet,
    run_battery,
    shape_hint,
)


MIN_SHIFT_HINT = (
    "subtract the MAXIMUM of each row, not the minimum: after z - min(z) every exponent is >= 0, so "
    "a row whose logits lie 1000 apart still computes exp(1000), which overflows to inf (and "
    "inf / inf is NaN). After z - max(z) every exponent is <= 0 and exp is at most 1."
)
MEAN_SHIFT_HINT = (
    "subtract the MAXIMUM of each row, not its mean: the largest logit can lie far above the mean "
    "(1000 above it in a wide row), and exp(1000) overflows. After z - max(z) every exponent is <= 0."
)


def _softmax_cases():
    f32 = np.float32
    raw = [
        ("three logits", np.array([2.0, 1.0, 0.1]), "basic"),
        ("four logits", np.array([1.0, 2.0, 3.0, 4.0]), "basic"),
        ("a batch of 2 predictions (rows): each row sums to 1", np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]), "batch"),
        ("a 3-D batch (batch, sequence, vocabulary): the class axis is the last one",
         np.array([[[0.0, 1.0, 2.0], [3.0, 3.0, 0.0]], [[-1.0, 0.0, 1.0], [5.0, 2.0, 2.0]]]), "batch"),
        ("large logits: exp(1000) overflows", np.array([1000.0, 999.0]), "overflow"),
        ("a wide row: the logits lie 1000 above and below 0", np.array([1000.0, 0.0, -1000.0]), "wide"),
        ("float32 logits near 100: exp(100) overflows float32", np.array([100.0, 99.5, 90.0], dtype=f32), "overflow"),
        ("a batch with one huge row and one very negative row",
         np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -1002.0]]), "row_max"),
        ("-inf masks a token (its probability is exactly 0)", np.array([1.0, 2.0, NEG_INF]), "mask"),
        ("masked entries in a batch", np.array([[0.0, NEG_INF, 1.0], [NEG_INF, 5.0, 5.0]]), "mask"),
    ]
    cases = []
    for what, z, tag in raw:
        tol = dict(rtol=1e-4, atol=1e-6) if z.dtype == f32 else {}
        cases.append(Case(what, (z,), softmax(z), tag, **tol))
    return cases


def _softmax_mistakes(z):
    """Known wrong answers for softmax(z), each with the hint it deserves."""
    z = np.asarray(z, dtype=np.float64)

    def global_max(z):
        e = np.exp(z - np.max(z))
        return e / np.sum(e, axis=-1, keepdims=True)

    def global_sum(z):
        e = np.exp(z - np.max(z, axis=-1, keepdims=True))
        return e / np.sum(e)

    def first_axis(z):
        e = np.exp(z - np.max(z, axis=0, keepdims=True))
        return e / np.sum(e, axis=0, keepdims=True)

    def no_exp(z):
        return z / np.sum(z, axis=-1, keepdims=True)

    def not_normalised(z):
        return np.exp(z - np.max(z, axis=-1, keepdims=True))

    def shifted_by(reduce):
        def wrong(z):
            finite = np.where(np.isfinite(z), z, np.nan)
            e = np.exp(z - reduce(finite, axis=-1, keepdims=True))
            return e / np.sum(e, axis=-1, keepdims=True)
        return wrong

    def abs_max(z):
        finite = np.where(np.isfinite(z), np.abs(z), np.nan)
        e = np.exp(z - np.nanmax(finite, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)

    def shift_on_top_only(z):
        return np.exp(z - np.max(z, axis=-1, keepdims=True)) / np.sum(np.exp(z), axis=-1, keepdims=True)

    def divide_by_max(z):
        e = np.exp(z - np.max(z, axis=-1, keepdims=True))
        return e / np.max(e, axis=-1, keepdims=True)

    def clipped(z):
        c = np.clip(z, -500.0, 500.0)
        e = np.exp(c)
        return e / np.sum(e, axis=-1, keepdims=True)

    def log_of_it(z):
        m = np.max(z, axis=-1, keepdims=True)
        return z - m - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))

    def mask_to_zero(z):
        z = np.where(np.isneginf(z), 0.0, z)
        e = np.exp(z - np.max(z, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)

    mistakes = [
        (quiet(shifted_by(np.nanmin), z), MIN_SHIFT_HINT),
        (quiet(shifted_by(np.nanmean), z), MEAN_SHIFT_HINT),
        (quiet(abs_max, z), "subtract the largest logit itself, not the largest absolute value: after "
                            "z - max(|z|) a row of very negative logits has only very negative entries, "
                            "their exponentials all underflow to 0, and 0 / 0 is NaN."),
        (naive_softmax(z), MAX_SHIFT_HINT),                  # exp(z) / sum, no max shift
        (quiet(shift_on_top_only, z), "subtract the maximum in the denominator too: compute the shifted "
                                      "exponentials e = np.exp(z - max) once and divide e by e's own sum."),
        (quiet(divide_by_max, z), "divide by the SUM of the exponentials, not by their maximum: then the "
                                  "probabilities add up to 1 (the top word does not get 1)."),
        (quiet(clipped, z), "clipping the logits changes their differences, and the differences are all "
                            "softmax looks at: subtract the maximum instead, which changes nothing."),
        (quiet(log_of_it, z), "that is the log of the softmax (log-probabilities, all <= 0): exponentiate "
                              "it, or return e / sum(e) directly."),
        (quiet(mask_to_zero, z), MASK_HINT),
        (quiet(global_sum, z), AXIS_HINT),
        (quiet(global_max, z), ROW_MAX_HINT),
        (quiet(no_exp, z), "exponentiate first: softmax is exp(z_i) / sum_j exp(z_j). Dividing the raw "
                            "scores by their sum fails as soon as one is negative."),
        (quiet(not_normalised, z), "divide by the sum of the exponentials so that the probabilities add up to 1."),
        (quiet(np.exp, z), "divide by the sum of the exponentials so that the probabilities add up to 1 "
                            "(and subtract the maximum first, for safety)."),
    ]
    if z.ndim > 1:
        mistakes.insert(2, (quiet(first_axis, z), AXIS_HINT))
    return mistakes


def _softmax_hint(case, got, outcome):
    z = case.args[0]
    shape = shape_hint(got, case.expected)
    if shape:
        return shape
    known = first_matching(got, _softmax_mistakes(z), case.expected)
    if known:
        return known
    if nonfinite(got, case.expected) or outcome.warnings:
        if case.tag == "mask":
            return MASK_HINT
        if case.tag == "row_max":
            return ROW_MAX_HINT
        if case.tag == "wide":
            return MIN_SHIFT_HINT
        return MAX_SHIFT_HINT
    if case.tag == "batch" and not np.allclose(np.sum(got, axis=-1), 1.0):
        return AXIS_HINT
    return ("check the two steps: exponentiate each logit (after subtracting the row's maximum), "
            "then divide by the sum of those exponentials along the last axis.")


def check_softmax(fn):
    r"""Check a learner's softmax: ``fn(z)`` with the classes on the last axis.

    Parameters
    ----------
    fn : callable
        The learner's function, called as ``fn(z)`` with a numpy array ``z`` of any shape
        (1-D, 2-D batch, 3-D batch); it must return the probabilities, same shape.

    Returns
    -------
    CheckResult
        Also printed: all passed, or the first failing case with a hint.

    Notes
    -----
    .. math:: \mathrm{softmax}(z)_i = \frac{e^{z_i - m}}{\sum_j e^{z_j - m}}, \qquad m = \max_j z_j

    The cases include logits of 1000 and -1000, float32 logits near 100, a batch whose rows
    need different shifts, and ``-inf`` masks. The answers come from :func:`softmax_lab.softmax`.

    Examples
    --------
    >>> import numpy as np
    >>> def naive(z):
    ...     return np.exp(z) / np.sum(np.exp(z), axis=-1, keepdims=True)
    >>> check_softmax(naive).hint.startswith("subtract the maximum before exp")
    ✘ check_softmax: case 5 of 10 failed (large logits: exp(1000) overflows)
      called:    naive(np.array([1000.,  999.]))
      expected:  np.array([0.731059, 0.268941])
      got:       np.array([nan, nan])
      numpy warned: invalid value encountered in divide; overflow encountered in exp
      hint: subtract the maximum before exp: softmax(z) equals softmax(z - max(z)), and exp of a number <= 0 is at most 1, so it can never overflow (and the largest term is exactly 1, so the sum can never underflow to 0).
    True
    """  # noqa: E501  (wrapping a line would change the docstring's text)
    return run_battery("check_softmax", fn, _softmax_cases(), _softmax_hint)
