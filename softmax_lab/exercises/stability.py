"""Lesson 05: checking a learner's log-sum-exp and log-softmax."""

import numpy as np

from ..functions import log_softmax, logsumexp, naive_softmax, softmax
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

# --------------------------------------------------------------------------------------------
# Lesson 05: log-sum-exp and log-softmax
# --------------------------------------------------------------------------------------------

ADD_BACK_HINT = ("add the maximum back: log sum_j exp(z_j) = m + log sum_j exp(z_j - m). The shift "
                 "keeps exp safe, but it must be undone outside the log.")
LSE_SHIFT_HINT = ("subtract the maximum before exp and add it back after the log: log sum_j exp(z_j) = "
                  "m + log sum_j exp(z_j - m). Then exp only sees numbers <= 0 (no overflow), and the "
                  "largest term is exactly 1, so the sum is at least 1 and its log is never log(0).")
LOG_OF_SOFTMAX_HINT = ("don't take the log of a softmax: a probability that underflows to 0 becomes "
                       "log(0) = -inf. Compute z - m - log(sum(exp(z - m))) directly, with m the "
                       "row's maximum.")


def _lse_cases():
    f32 = np.float32
    raw = [
        ("three values", np.array([1.0, 2.0, 3.0]), "basic"),
        ("a batch of 2 rows: one result per row", np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]]), "batch"),
        ("a square 2 x 2 batch", np.array([[0.0, 10.0], [1.0, 2.0]]), "batch"),
        ("large values: exp(1000) overflows", np.array([1000.0, 1000.0]), "overflow"),
        ("very negative values: the sum of exp underflows to 0, and log(0) = -inf",
         np.array([-1000.0, -1000.0]), "overflow"),
        ("float32 values near 100", np.array([100.0, 100.0, 95.0], dtype=f32), "overflow"),
        ("-inf contributes nothing", np.array([0.0, NEG_INF]), "mask"),
        ("a 3-D batch with huge and masked entries",
         np.array([[[1000.0, 0.0], [-1000.0, NEG_INF]], [[3.0, 3.0], [-5.0, 5.0]]]), "row_max"),
    ]
    return [Case(what, (z,), logsumexp(z), tag, **(dict(rtol=1e-5, atol=1e-4) if z.dtype == f32 else {}))
            for what, z, tag in raw]


def _lse_mistakes(z):
    z = np.asarray(z, dtype=np.float64)
    m_keep = np.max(z, axis=-1, keepdims=True)
    mistakes = [
        (quiet(lambda a: np.log(np.sum(np.exp(a), axis=-1)), z), LSE_SHIFT_HINT),
        (quiet(lambda a: np.log(np.sum(np.exp(a - m_keep), axis=-1)), z), ADD_BACK_HINT),
        (quiet(lambda a: np.max(a) + np.log(np.sum(np.exp(a - np.max(a)), axis=-1)), z), ROW_MAX_HINT),
    ]
    if z.ndim >= 2 and z.shape[-1] == z.shape[-2]:
        m_flat = np.max(z, axis=-1)          # (..., K) without keepdims, broadcasts along the wrong axis
        mistakes.append((quiet(lambda a: m_flat + np.log(np.sum(np.exp(a - m_flat), axis=-1)), z),
                         "keepdims=True on the maximum: without it, z - m broadcasts the row maxima "
                         "across the columns instead of down the rows."))
    return mistakes


def _lse_hint(case, got, outcome):
    expected = np.asarray(case.expected)
    if got.shape != expected.shape:
        if got.shape == expected.shape + (1,):
            return (f"return one number per row (shape {expected.shape}; a single number for a 1-D "
                    f"input), not shape {got.shape}: your answer kept the reduced axis. Squeeze it away, "
                    "or reduce without keepdims at the end.")
        if got.shape == np.shape(case.args[0]):
            return "log-sum-exp REDUCES the last axis to one number per row: sum the exponentials along axis=-1."
        return f"the answer should have shape {expected.shape}, got {got.shape}."
    known = first_matching(got, _lse_mistakes(case.args[0]), expected)
    if known:
        return known
    if nonfinite(got, expected) or outcome.warnings:
        return MASK_HINT if case.tag == "mask" else LSE_SHIFT_HINT
    return "log-sum-exp is m + log(sum(exp(z - m))) along the last axis, with m = max(z) per row."


def check_logsumexp(fn):
    r"""Check a learner's stable log-sum-exp: ``fn(z)`` reduces the last axis.

    Parameters
    ----------
    fn : callable
        Called as ``fn(z)``; must return ``log(sum(exp(z), axis=-1))`` computed safely, with
        the last axis reduced away (shape ``z.shape[:-1]``; a number for 1-D input).

    Returns
    -------
    CheckResult

    Notes
    -----
    .. math:: \mathrm{LSE}(z) = m + \log \sum_j e^{z_j - m}, \qquad m = \max_j z_j

    Examples
    --------
    >>> import numpy as np
    >>> def lse(z):
    ...     m = np.max(z, axis=-1, keepdims=True)
    ...     return (m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True)))[..., 0]
    >>> check_logsumexp(lse).passed
    ✔ check_logsumexp: all 8 cases passed. Well done!
    True
    """
    return run_battery("check_logsumexp", fn, _lse_cases(), _lse_hint)


def _log_softmax_cases():
    f32 = np.float32
    raw = [
        ("three logits", np.array([2.0, 1.0, 0.1]), "basic"),
        ("a batch of 2 rows", np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]), "batch"),
        ("a large gap: softmax rounds the second probability to 0, whose log is -inf",
         np.array([1000.0, 0.0]), "overflow"),
        ("very negative logits", np.array([-1000.0, -1001.0, -1002.0]), "overflow"),
        ("float32 logits near 100", np.array([100.0, 99.0, 0.0], dtype=f32), "overflow"),
        ("a batch with one huge row and one very negative row",
         np.array([[1000.0, 999.0], [-1000.0, -1001.0]]), "row_max"),
        ("-inf masks a token (its log-probability is -inf)", np.array([0.0, NEG_INF, 1.0]), "mask"),
    ]
    return [Case(what, (z,), log_softmax(z), tag, **(dict(rtol=1e-5, atol=1e-4) if z.dtype == f32 else {}))
            for what, z, tag in raw]


def _log_softmax_hint(case, got, outcome):
    z = np.asarray(case.args[0], dtype=np.float64)
    shape = shape_hint(got, case.expected)
    if shape:
        return shape
    naive_log = quiet(np.log, naive_softmax(z))          # log of the unshifted softmax
    mistakes = [(quiet(np.log, softmax(z)), LOG_OF_SOFTMAX_HINT), (naive_log, MAX_SHIFT_HINT)]
    known = first_matching(got, mistakes + _lse_shaped_mistakes(z), case.expected)
    if known:
        return known
    if nonfinite(got, case.expected) or outcome.warnings:
        if case.tag == "mask":
            return MASK_HINT
        return LOG_OF_SOFTMAX_HINT if np.isneginf(got).any() else MAX_SHIFT_HINT
    return "log_softmax(z) = z - logsumexp(z) along the last axis, with keepdims so it broadcasts per row."


def _lse_shaped_mistakes(z):
    """Wrong log-softmaxes built from wrong log-sum-exps (z - LSE with each known mistake)."""
    out = []
    for wrong, hint in _lse_mistakes(z):
        wrong = np.asarray(wrong)
        if wrong.shape == z.shape[:-1]:
            out.append((quiet(lambda a, w=wrong: a - w[..., None], z), hint))
    m = np.max(z, axis=-1, keepdims=True)
    out.append((quiet(lambda a: a - m - np.log(np.sum(np.exp(a - m))), z), AXIS_HINT))
    return out


def check_log_softmax(fn):
    r"""Check a learner's log-softmax: ``fn(z)`` with the classes on the last axis.

    Parameters
    ----------
    fn : callable
        Called as ``fn(z)``; must return ``log(softmax(z))`` computed without forming the
        softmax, same shape as ``z``.

    Returns
    -------
    CheckResult

    Notes
    -----
    .. math:: \log \mathrm{softmax}(z)_i = z_i - m - \log \sum_j e^{z_j - m}

    Examples
    --------
    >>> import numpy as np
    >>> def log_of_softmax(z):
    ...     m = np.max(z, axis=-1, keepdims=True)
    ...     e = np.exp(z - m)
    ...     return np.log(e / np.sum(e, axis=-1, keepdims=True))
    >>> check_log_softmax(log_of_softmax).hint.startswith("don't take the log of a softmax")
    ✘ check_log_softmax: case 3 of 7 failed (a large gap: softmax rounds the second probability to 0, whose log is -inf)
      called:    log_of_softmax(np.array([1000.,    0.]))
      expected:  np.array([    0., -1000.])
      got:       np.array([  0., -inf])
      numpy warned: divide by zero encountered in log
      hint: don't take the log of a softmax: a probability that underflows to 0 becomes log(0) = -inf. Compute z - m - log(sum(exp(z - m))) directly, with m the row's maximum.
    True
    """  # noqa: E501  (wrapping a line would change the docstring's text)
    return run_battery("check_log_softmax", fn, _log_softmax_cases(), _log_softmax_hint)
