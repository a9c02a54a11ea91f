"""Lesson 05: the predictions of the lesson, its two questions, and checking a learner's
log-sum-exp."""

import functools

import numpy as np

from ..extras import optional_import
from ..functions import log_softmax, logsumexp, naive_softmax
from ..losses import cross_entropy
from ._answers import around, check_registered, register_answer
from ._machinery import (
    MASK_HINT,
    NEG_INF,
    ROW_MAX_HINT,
    Case,
    first_matching,
    guarded,
    nonfinite,
    quiet,
    run_battery,
    unknown,
)
from .predict import register_prediction

# --------------------------------------------------------------------------------------------
# Lesson 05: the "Predict first" questions (the answers stay out of the notebook)
# --------------------------------------------------------------------------------------------


def _log_of_largest(dtype):
    return float(np.log(float(np.finfo(dtype).max)))


def _bfloat16():
    return optional_import("ml_dtypes").bfloat16   # an extra of the course, imported only when a lesson asks


def bfloat16_ceiling():
    """log of the largest bfloat16 number: where e^z overflows in bfloat16."""
    ml_dtypes = optional_import("ml_dtypes")
    return float(np.log(float(ml_dtypes.finfo(ml_dtypes.bfloat16).max)))


def bfloat16_running_sum(n=1000):
    """Add 1.0 to a bfloat16 total n times, one at a time, rounding to bfloat16 after every step."""
    bf16 = _bfloat16()
    total, one = np.array(0.0, dtype=bf16), np.array(1.0, dtype=bf16)
    for _ in range(n):
        total = (total + one).astype(bf16)
    return float(total)


def _naive_outcome(z):
    """What naive_softmax gives for ``z``: 'NaN', 'inf', 'zeros' or 'the right probabilities'."""
    q = naive_softmax(z)
    if np.isnan(q).any():
        return "NaN"
    if np.isinf(q).any():
        return "inf"
    return "zeros" if not q.any() else "the right probabilities"


def _first_breaking_shift(dtype, base=(2.0, 1.0, 0.1)):
    """The first whole c >= 0 for which naive_softmax(base + c), stored in ``dtype``, is not finite
    (lesson 05's stability explorer at scale 1)."""
    for c in range(100_000):
        if not np.isfinite(naive_softmax((np.array(base) + c).astype(dtype))).all():
            return c
    raise ValueError(f"dtype {dtype} does not break below c = 100000")


register_prediction(
    "05.float16-ceiling", question="the largest z (to one decimal) for which e^z fits in float16",
    kind="number", answer=lambda: _log_of_largest(np.float16), tol=0.06,
    explain="log(65504) = 11.09: e^11 = 59874 still fits, e^11.1 = 66171 does not.")
register_prediction(
    "05.where-break", question="where the textbook formula breaks: at the log of the largest number, "
                               "below it, or above it",
    kind="choice", choices=("at it", "below it", "above it"), answer="at it",
    explain="e^s is the only large number in the formula: it breaks exactly when e^s passes the largest number.")
register_prediction(
    "05.float16-scale", question="the scale (to one decimal) where the float16 textbook formula breaks",
    kind="number", answer=lambda: _log_of_largest(np.float16) / 2, tol=0.06,
    explain="the largest logit is 2 x scale, so the scale breaks at 11.09 / 2 = 5.5.")
register_prediction(
    "05.underflow-naive", question="what the textbook formula gives for the logits (-110, -111) in float32: "
                                   "'NaN', 'inf', 'zeros' or 'the right probabilities'",
    kind="choice", choices=("NaN", "inf", "zeros", "the right probabilities"),
    answer=lambda: _naive_outcome(np.array([-110.0, -111.0], dtype=np.float32)),
    explain="both e^z underflow to 0 in float32 (below about -103.3), and 0 / 0 is NaN.")
register_prediction(
    "05.float32-scale", question="the scale (to the nearest whole number) where the float32 textbook formula breaks",
    kind="number", answer=lambda: _log_of_largest(np.float32) / 2, tol=0.5,
    explain="the largest logit is 2 x scale, so the scale breaks at 88.72 / 2 = 44.4.")
register_prediction(
    "05.float64-scale", question="the scale (to the nearest whole number) where the float64 textbook formula breaks",
    kind="number", answer=lambda: _log_of_largest(np.float64) / 2, tol=0.5,
    explain="the largest logit is 2 x scale, so the scale breaks at 709.78 / 2 = 354.9.")
register_prediction(
    "05.float32-shift-break", question="the first whole shift c (at scale 1, in float32) where the textbook "
                                       "formula breaks",
    kind="count", answer=lambda: _first_breaking_shift(np.float32),
    explain="the largest logit is 2 + c: c = 86 gives 88, which fits; c = 87 gives 89, past log(max) = 88.72.")
register_prediction(
    "05.lse-big", question="is log(e^1000 + e^1000 + e^999) closest to 1000, 1001 or 3000",
    kind="choice", choices=("1000", "1001", "3000"), answer="1001",
    explain="1000 + log(2 + e^-1) = 1000.86: log-sum-exp is a smooth maximum, a little above the largest.")
register_prediction(
    "05.log-of-softmax-120", question="what np.log(softmax(z)) gives for the second word: '-inf', '-120', '0' "
                                      "or 'NaN'",
    kind="choice", choices=("-inf", "-120", "0", "NaN"), answer="-inf",
    explain="softmax rounds e^-120 to 0 in float32 (below its smallest number), and log(0) = -inf.")
register_prediction(
    "05.log-softmax-120", question="log_softmax's value (to the nearest whole number) for the second word",
    kind="number", answer=lambda: float(log_softmax(np.array([0.0, -120.0], dtype=np.float32))[1]), tol=0.5,
    explain="z - LSE(z) = -120 - (about 0) = -120: log_softmax never forms the probability e^-120.")
register_prediction(
    "05.loss-200", question="the loss (to the nearest whole number) for logits [200, 0, -5] and the second word",
    kind="number", answer=lambda: float(cross_entropy(np.array([200.0, 0.0, -5.0]), 1)), tol=0.5,
    explain="LSE(z) - z[1] = (200 + a tiny bit) - 0 = 200 nats: huge, but finite and exact.")
register_prediction(
    "05.bfloat16-e50", question="does e^50 fit in bfloat16 (yes/no)",
    kind="yesno", answer=lambda: bfloat16_ceiling() > 50,
    explain="yes: bfloat16 keeps float32's 8 exponent bits, so its ceiling is float32's, log(3.39e38) = 88.7 "
            "(float16's is 11.1).")
register_prediction(
    "05.bfloat16-count", question="the bfloat16 total (a whole number) after adding 1.0 a thousand times",
    kind="count", answer=bfloat16_running_sum,
    explain="with 8 significant bits, numbers from 256 to 512 are 2 apart: 256 + 1 rounds back to 256.")

# --------------------------------------------------------------------------------------------
# Lesson 05, questions 1 and 2
# --------------------------------------------------------------------------------------------


def _naive_float32_works(s):
    with np.errstate(all="ignore"):
        return bool(np.isfinite(naive_softmax(np.array([s, 0.0], dtype=np.float32))).all())


@functools.lru_cache(maxsize=1)
def largest_float32_logit():
    """The largest float32 s for which naive_softmax([s, 0]) is finite (found by stepping up)."""
    s = np.float32(88.72)
    while _naive_float32_works(np.nextafter(s, np.float32(np.inf))):
        s = np.nextafter(s, np.float32(np.inf))
    return float(s)


def _ceiling_mistakes():
    limit = largest_float32_logit()
    log_max = _log_of_largest(np.float32)
    above = ("naive_softmax([s, 0]) in float32 already returns NaN there: the limit is a ceiling, so "
             "round DOWN. The largest two-decimal s that still works is below log(np.finfo(np.float32).max).")
    return [
        (np.nextafter(limit, np.inf), 89.0, above),
        (88.0, 88.72, "that s still works, but it is not the largest with two decimals: go up to the "
                      "limit, log(np.finfo(np.float32).max), without passing it."),
        (*around(_log_of_largest(np.float16), 0.05), "that is float16's limit; the question is about float32."),
        (*around(_log_of_largest(np.float64), 0.05), "that is float64's limit; the question is about float32."),
        (*around(float(np.finfo(np.float32).max), 1e37), "that is the largest float32 NUMBER, e^s; the "
                                                         "question asks for s, its logarithm."),
        (*around(log_max / np.log(2), 0.05), "that is log base 2 of the largest number; e^s needs the "
                                             "natural logarithm, np.log."),
        (*around(log_max / np.log(10), 0.05), "that is log base 10 of the largest number; e^s needs the "
                                              "natural logarithm, np.log."),
    ]


def _register_questions():
    register_answer(
        "05.float32-ceiling", name="check_float32_ceiling",
        question="the largest s, to two decimals, for which naive_softmax([s, 0]) works in float32",
        right=lambda: (88.72, largest_float32_logit()), precision="a number to two decimals, at or below the limit",
        mistakes=_ceiling_mistakes,
        hint="e^s overflows once it passes the largest float32 number, np.finfo(np.float32).max; the "
             "largest safe s is the logarithm of that number, rounded down to two decimals.")
    lse = 1000.0 + float(np.log(2.0))
    register_answer(
        "05.lse-1000", name="check_lse_1000", question="LSE([1000, 1000]) to three decimals",
        right=around(lse, 0.00065), precision="a number to three decimals",
        mistakes=[
            (*around(1000.0, 1e-6), "that is the maximum alone: LSE = m + log(e^0 + e^0) adds the log of the "
                                    "shifted sum, which is at least log 1 = 0."),
            (*around(1000.0 + np.log10(2.0), 0.00065), "that uses log base 10: LSE uses the natural logarithm."),
            (*around(1001.0, 1e-6), "that uses log base 2: LSE uses the natural logarithm, log 2 = 0.693."),
            (*around(2000.0, 1e-6), "the logits are not added: LSE = log(e^1000 + e^1000) = 1000 + log 2."),
            (*around(np.log(2.0), 0.00065), "add the shift back: LSE = 1000 + log(e^0 + e^0)."),
            (*around(lse, 0.01), "close, but give three decimals."),
        ],
        hint="shift by m = 1000: LSE = 1000 + log(e^0 + e^0). It is a little more than the maximum.")


_register_questions()


@guarded("check_float32_ceiling")
def check_float32_ceiling(answer):
    """Question 1: the largest s, to two decimals, for which naive_softmax([s, 0]) works in float32.

    The same as ``check_answer("05.float32-ceiling", answer)``. The true limit is about 88.7228,
    so the answer to two decimals is 88.72: the answer must be at or BELOW the limit (88.73
    already gives NaN), and at least 88.72.
    """
    return check_registered("05.float32-ceiling", answer)


@guarded("check_lse_1000")
def check_lse_1000(answer):
    """Question 2: LSE([1000, 1000]) to three decimals: 1000 + log 2 = 1000.693.

    The same as ``check_answer("05.lse-1000", answer)``.
    """
    return check_registered("05.lse-1000", answer)


# --------------------------------------------------------------------------------------------
# Lesson 05: log-sum-exp
# --------------------------------------------------------------------------------------------

ADD_BACK_HINT = ("add the maximum back: log sum_j exp(z_j) = m + log sum_j exp(z_j - m). The shift "
                 "keeps exp safe, but it must be undone outside the log.")
LSE_SHIFT_HINT = ("subtract the maximum before exp and add it back after the log: log sum_j exp(z_j) = "
                  "m + log sum_j exp(z_j - m). Then exp only sees numbers <= 0 (no overflow), and the "
                  "largest term is exactly 1, so the sum is at least 1 and its log is never log(0).")


@functools.lru_cache(maxsize=1)   # the cases never change: build them once
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
    raw += _random_lse_inputs()
    return [Case(what, (z,), logsumexp(z), tag, **(dict(rtol=1e-5, atol=1e-4) if z.dtype == f32 else {}))
            for what, z, tag in raw]


def _random_lse_inputs(seed=5):
    """Randomised cases (seeded): a batch whose rows lie hundreds apart and whose axes differ in
    length, and a square batch with random -inf masks (each row keeps a finite value)."""
    rng = np.random.default_rng(seed)
    N, K = int(rng.integers(2, 5)), int(rng.integers(5, 9))
    rows = rng.normal(0.0, 2.0, size=(N, K)) + rng.uniform(-900.0, 900.0, size=(N, 1))
    S = int(rng.integers(3, 6))
    square = rng.normal(0.0, 3.0, size=(S, S))
    hide = rng.random((S, S)) < 0.3
    hide[np.arange(S), rng.integers(0, S, S)] = False
    square[hide] = NEG_INF
    return [(f"random: {N} rows of {K} values, each row hundreds away from the next", rows, "row_max"),
            (f"random: a square {S} x {S} batch with random -inf masks", square, "mask"),
            (f"random: a ({N}, 1, {K}) batch: a batch axis of length 1 stays", rng.normal(0, 2, (N, 1, K)), "batch")]


def _lse_mistakes(z):
    z = np.asarray(z, dtype=np.float64)
    m_keep = np.max(z, axis=-1, keepdims=True)
    mistakes = [
        (quiet(lambda a: np.log(np.sum(np.exp(a), axis=-1)), z), LSE_SHIFT_HINT),
        (quiet(lambda a: np.log(np.sum(np.exp(a - m_keep), axis=-1)), z), ADD_BACK_HINT),
        (quiet(lambda a: np.max(a) + np.log(np.sum(np.exp(a - np.max(a)), axis=-1)), z), ROW_MAX_HINT),
    ]
    m_min = np.min(z, axis=-1, keepdims=True)
    m = m_keep[..., 0]
    unmasked = np.where(np.isneginf(z), 0.0, z)
    shifted_sum = quiet(lambda a: np.sum(np.exp(a - m_keep), axis=-1), z)
    mistakes += [
        (quiet(lambda a: (m_min + np.log(np.sum(np.exp(a - m_min), axis=-1, keepdims=True)))[..., 0], z),
         "subtract the MAXIMUM, not the minimum: z - min(z) is >= 0, so exp(z - min) can still overflow "
         "(and with a -inf entry, z - (-inf) is inf)."),
        (quiet(lambda a: m + np.log(np.mean(np.exp(a - m_keep), axis=-1)), z),
         "sum the exponentials, don't average them: np.mean divides by K, which subtracts log K from the answer."),
        (m, "that is only the maximum: log-sum-exp is m + log(sum(exp(z - m))), a little MORE than the "
            "maximum (the shifted sum is at least 1)."),
        (quiet(lambda a: m + np.log10(shifted_sum), z), "use the natural logarithm, np.log, not np.log10."),
        (quiet(lambda a: m + np.log2(shifted_sum), z), "use the natural logarithm, np.log, not np.log2."),
        (quiet(lambda a: np.max(a, axis=-1) + np.log(np.sum(np.exp(a - np.max(a, axis=-1, keepdims=True)),
                                                            axis=-1)), unmasked),
         "keep -inf as it is: e^-inf = 0 adds nothing to the sum. Replacing -inf by 0 (np.nan_to_num, or "
         "np.where(np.isinf(z), 0, z)) adds e^0 = 1 for every masked entry."),
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
        if got.size == expected.size and 1 in expected.shape:
            return ("squeeze() removed every axis of length 1, a batch axis too: drop only the reduced axis, "
                    "with [..., 0] or np.squeeze(x, axis=-1) (or reduce without keepdims at the end).")
        if got.shape == expected.shape + (1,):
            return (f"return one number per row (shape {expected.shape}; a single number for a 1-D "
                    f"input), not shape {got.shape}: your answer kept the reduced axis. Squeeze it away, "
                    "or reduce without keepdims at the end.")
        if got.shape == np.shape(case.args[0]):
            return "log-sum-exp REDUCES the last axis to one number per row: sum the exponentials along axis=-1."
        if got.ndim == 0:
            return ("one number per ROW: reduce along the last axis only (np.max(z, axis=-1, keepdims=True) and "
                    "np.sum(..., axis=-1)); without axis=-1, numpy reduces the whole batch to one number.")
        return f"the answer should have shape {expected.shape}, got {got.shape}."
    known = first_matching(got, _lse_mistakes(case.args[0]), expected)
    if known:
        return known
    if nonfinite(got, expected) or outcome.warnings:
        return MASK_HINT if case.tag == "mask" else LSE_SHIFT_HINT
    return unknown("log-sum-exp is m + log(sum(exp(z - m))) along the last axis, with m = max(z) per row.")


@guarded("check_logsumexp")
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
    ✔ check_logsumexp: all 11 cases passed. Well done!
    True
    """
    return run_battery("check_logsumexp", fn, _lse_cases(), _lse_hint)
