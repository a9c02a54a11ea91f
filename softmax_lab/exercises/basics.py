"""Lesson 01: checking a learner's softmax; the typed questions and the predictions of lessons 00 and 01."""

import functools

import numpy as np

from ..functions import naive_softmax, softmax
from ._answers import register_answer
from ._machinery import (
    AXIS_HINT,
    MASK_HINT,
    MAX_SHIFT_HINT,
    NEG_INF,
    ROW_MAX_HINT,
    Case,
    first_matching,
    guarded,
    nonfinite,
    quiet,
    run_battery,
    shape_hint,
    unknown,
)
from .predict import register_prediction

MIN_SHIFT_HINT = (
    "subtract the MAXIMUM of each row, not the minimum: after z - min(z) every exponent is >= 0, so "
    "a row whose logits lie 2000 apart computes exp(2000), which overflows to inf (and inf / inf "
    "is NaN). After z - max(z) every exponent is <= 0 and exp is at most 1."
)
MEAN_SHIFT_HINT = (
    "subtract the MAXIMUM of each row, not its mean: the largest logit can lie far above the mean "
    "(1000 above it in a wide row), and exp(1000) overflows. After z - max(z) every exponent is <= 0."
)


@functools.lru_cache(maxsize=1)   # the cases never change: build them once
def _softmax_cases():
    f32 = np.float32
    raw = [
        ("three logits", np.array([2.0, 1.0, 0.1]), "basic"),
        ("four logits", np.array([1.0, 2.0, 3.0, 4.0]), "basic"),
        ("a batch of 2 predictions (rows): each row sums to 1", np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]), "batch"),
        ("a 3-D batch (batch, sequence, vocabulary): the class axis is the last one",
         np.array([[[0.0, 1.0, 2.0], [3.0, 3.0, 0.0]], [[-1.0, 0.0, 1.0], [5.0, 2.0, 2.0]]]), "batch"),
        ("large logits: exp(1000) overflows", np.array([1000.0, 999.0]), "overflow"),
        ("a wide row: the logits lie 2000 apart", np.array([-1000.0, 0.0, -2000.0]), "wide"),
        ("float32 logits near 100: exp(100) overflows float32", np.array([100.0, 99.5, 90.0], dtype=f32), "overflow"),
        ("a batch with one huge row and one very negative row",
         np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -1002.0]]), "row_max"),
        ("-inf masks a token (its probability is exactly 0)", np.array([1.0, 2.0, NEG_INF]), "mask"),
        ("masked entries in a batch", np.array([[0.0, NEG_INF, 1.0], [NEG_INF, 5.0, 5.0]]), "mask"),
    ]
    raw += _random_softmax_inputs()
    cases = []
    for what, z, tag in raw:
        tol = dict(rtol=1e-4, atol=1e-6) if z.dtype == f32 else {}
        cases.append(Case(what, (z,), softmax(z), tag, **tol))
    return cases


def _random_softmax_inputs(seed=1):
    """Randomised cases (seeded, so the feedback is the same on every run): shapes whose axes all
    differ in length (a hard-coded axis or class count fails), rows whose logits lie hundreds apart
    from one row to the next, and random masks, with at least one unmasked logit in every row."""
    rng = np.random.default_rng(seed)
    B, T = (int(n) for n in rng.choice(np.arange(2, 5), size=2, replace=False))
    K = int(rng.integers(5, 7))
    rows = rng.normal(0.0, 2.0, size=(B, K)) + rng.uniform(-800.0, 800.0, size=(B, 1))
    masked = rng.normal(0.0, 3.0, size=(B, T, K))
    hide = rng.random((B, T, K)) < 0.3
    hide[..., int(rng.integers(K))] = False
    masked[hide] = NEG_INF
    return [
        (f"random: integer logits, {B} rows of {K} (the answer is a float array)",
         rng.integers(-5, 6, size=(B, K)), "int"),
        (f"random: {B} rows of {K} logits, each row hundreds away from the next", rows, "row_max"),
        (f"random: a ({B}, {T}, {K}) batch with random -inf masks", masked, "mask"),
        (f"random: {K} float32 logits spread over +-120", rng.uniform(-120.0, 120.0, K).astype(np.float32),
         "overflow"),
    ]


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
        (naive_softmax(z), MAX_SHIFT_HINT),                  # exp(z) / sum, no max shift
        (quiet(global_sum, z), AXIS_HINT),
    ]
    if z.ndim > 1:
        mistakes.append((quiet(first_axis, z), AXIS_HINT))
    mistakes += [
        (quiet(global_max, z), ROW_MAX_HINT),
        (quiet(no_exp, z), "exponentiate first: softmax is exp(z_i) / sum_j exp(z_j). Dividing the raw "
                            "scores by their sum fails as soon as one is negative."),
        (quiet(not_normalised, z), "divide by the sum of the exponentials so that the probabilities add up to 1 "
                                   "(dividing by their maximum gives the top word 1, and the sum is then above 1)."),
        (quiet(np.exp, z), "divide by the sum of the exponentials so that the probabilities add up to 1 "
                            "(and subtract the maximum first, for safety)."),
        (quiet(shift_on_top_only, z), "subtract the maximum in the denominator too: compute the shifted "
                                      "exponentials e = np.exp(z - max) once and divide e by e's own sum."),
        (quiet(clipped, z), "clipping the logits changes their differences, and the differences are all "
                            "softmax looks at: subtract the maximum instead, which changes nothing."),
        (quiet(log_of_it, z), "that is the log of the softmax (log-probabilities, all <= 0): exponentiate "
                              "it, or return e / sum(e) directly."),
        (quiet(mask_to_zero, z), MASK_HINT),
        (quiet(abs_max, z), "subtract the largest logit itself, not the largest absolute value: after "
                            "z - max(|z|) a row of very negative logits has only very negative entries, "
                            "their exponentials all underflow to 0, and 0 / 0 is NaN."),
    ]
    return mistakes


INTEGER_HINT = ("the decimals were cut off: for integer logits, np.zeros_like(z) or np.empty_like(z) makes an "
                "INTEGER array, and storing probabilities in it truncates them to 0. Convert first, "
                "z = np.asarray(z, dtype=float), or compute the result directly as e / e.sum(...).")


def _softmax_hint(case, got, outcome):
    z = case.args[0]
    shape = shape_hint(got, case.expected)
    if shape:
        return shape
    if case.tag == "int" and np.array_equal(got, np.trunc(np.asarray(case.expected))):
        return INTEGER_HINT
    # (checked first: on these cases a learner's patched NaNs can look like another known mistake)
    extreme = case.tag in ("overflow", "wide", "row_max")
    if extreme and np.isfinite(got).all() and not np.allclose(np.sum(got, axis=-1), 1.0):
        fix = ROW_MAX_HINT if case.tag == "row_max" else MAX_SHIFT_HINT
        return ("the rows of your answer do not sum to 1 on these extreme logits: exp overflowed or "
                "underflowed on the way (replacing NaN or inf afterwards does not bring the lost numbers "
                "back). " + fix[0].upper() + fix[1:])
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
    return unknown("exponentiate each logit after subtracting its row's maximum, then divide by the sum of "
                   "those exponentials along the last axis (keepdims=True).")


@guarded("check_softmax")
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

    The cases include logits of 1000, a wide unmasked row whose logits lie 2000 apart (only a
    shift by the row's maximum survives it: the minimum, the mean or the largest absolute value
    overflow or underflow there), float32 logits near 100, a batch whose rows need different
    shifts, and ``-inf`` masks. The answers come from :func:`softmax_lab.softmax`.

    Examples
    --------
    >>> import numpy as np
    >>> def naive(z):
    ...     return np.exp(z) / np.sum(np.exp(z), axis=-1, keepdims=True)
    >>> check_softmax(naive).hint.startswith("subtract the maximum before exp")
    ✘ check_softmax: case 5 of 14 failed (large logits: exp(1000) overflows)
      called:    naive(np.array([1000.,  999.]))
      expected:  np.array([0.731059, 0.268941])
      got:       np.array([nan, nan])
      numpy warned: invalid value encountered in divide; overflow encountered in exp
      hint: subtract the maximum before exp: softmax(z) equals softmax(z - max(z)), and exp of a number <= 0 is at most 1, so it can never overflow (and the largest term is exactly 1, so the sum can never underflow to 0).
    True
    """  # noqa: E501  (wrapping a line would change the docstring's text)
    return run_battery("check_softmax", fn, _softmax_cases(), _softmax_hint)


# --------------------------------------------------------------------------------------------
# Lessons 00 and 01: the answers to the "Predict first" prompts (revealed by predict(...))
# --------------------------------------------------------------------------------------------

_CAT = np.array([2.0, 1.0, 0.1])          # mat, floor, roof after "The cat sat on the"


def _larger_ratio(p, q):
    """'mat/floor' if p[0] / p[1] is the larger ratio, 'cat/dog' if q[0] / q[1] is, else 'equal'."""
    first, second = p[0] / p[1], q[0] / q[1]
    return "equal" if np.isclose(first, second) else "mat/floor" if first > second else "cat/dog"


register_prediction(
    "00.mat-above-half", question="is mat's probability above or below one half? ('above' or 'below')",
    kind="choice", choices=("above", "below"),
    answer=lambda: "above" if softmax(_CAT)[0] > 0.5 else "below",
    explain="mat gets 0.659: e^2 = 7.39 is more than the other two exponentials together (2.72 + 1.11).")
register_prediction(
    "00.level-words", question="roof raised to 2.0, level with mat: 'mat', 'roof' or 'tie'?",
    kind="choice", choices=("mat", "roof", "tie"),
    answer=lambda: "tie" if np.isclose(*softmax([2.0, 1.0, 2.0])[[0, 2]]) else "mat",
    explain="equal logits get equal probabilities: mat and roof both get 0.42, floor keeps 0.16.")
register_prediction(
    "00.all-equal", question="each word's probability when all three sliders are equal, to 2 decimals",
    kind="share", tol=0.01, answer=lambda: float(softmax([1.7, 1.7, 1.7])[0]),
    explain="equal logits share the total of 1 equally: 1/3 each, whatever the common value.")

register_prediction(
    "01.double", question="doubling every logit makes the distribution 'sharper', 'flatter' or 'unchanged'?",
    kind="choice", choices=("sharper", "flatter", "unchanged"),
    answer=lambda: "sharper" if softmax(2.0 * _CAT).max() > softmax(_CAT).max() else "flatter",
    explain="doubling doubles every difference between logits: mat rises from 0.659 to 0.864.")
register_prediction(
    "01.negate", question="multiplying every logit by -1: which word comes out on top, 'mat', 'floor' or 'roof'?",
    kind="choice", choices=("mat", "floor", "roof"),
    answer=lambda: ("mat", "floor", "roof")[int(np.argmax(softmax(-1.0 * _CAT)))],
    explain="a negative factor turns every difference around: roof, the lowest logit, becomes the highest.")
register_prediction(
    "01.ratio-elsewhere", question="the larger ratio: 'mat/floor' (logits 2.0 and 1.0, among 3 words), "
                                  "'cat/dog' (logits 7.0 and 6.0, among 52 words) or 'equal'?",
    kind="choice", choices=("mat/floor", "cat/dog", "equal"),
    answer=lambda: _larger_ratio(softmax(_CAT), softmax(np.r_[7.0, 6.0, np.linspace(-4.0, 4.0, 50)])),
    explain="both are e^(1.0) = 2.718: a ratio p_i / p_j = e^(z_i - z_j) depends only on the two logits' difference.")
register_prediction(
    "01.divide-by-sum", question="dividing the scores 2.0, 1.0, -1.5 by their sum: is the last word's share "
                                "'positive', 'zero' or 'negative'?",
    kind="choice", choices=("positive", "zero", "negative"),
    answer=lambda: {-1.0: "negative", 0.0: "zero", 1.0: "positive"}[float(np.sign(-1.5 / (2.0 + 1.0 - 1.5)))],
    explain="the scores add up to 1.5, so the last word gets -1.5 / 1.5 = -1: not a probability.")
register_prediction(
    "01.sofa-mat-half", question="with sofa added (logit 1.5), is mat still above one half? (yes or no)",
    kind="yesno", answer=lambda: bool(softmax([2.0, 1.0, 0.1, 1.5])[0] > 0.5),
    explain="sofa takes its share from every word: mat falls from 0.659 to 0.471.")
register_prediction(
    "01.sofa-losers", question="with sofa added, how many of mat, floor and roof lose probability? (0, 1, 2 or 3)",
    kind="count", answer=lambda: int(np.sum(softmax([2.0, 1.0, 0.1, 1.5])[:3] < softmax(_CAT))),
    explain="all three: the total stays 1, and each old word keeps the same fraction (0.714) of what it had.")
register_prediction(
    "01.underflow", question="in float64, the probability of a word 800 below the top: 'positive' or 'zero'?",
    kind="choice", choices=("positive", "zero"),
    answer=lambda: "zero" if softmax([0.0, -800.0])[1] == 0.0 else "positive",
    explain="e^(-800) is below 10^(-347), far below the smallest positive float64 (about 5e-324): it underflows to 0.")
register_prediction(
    "01.one-above", question="all three logits equal, then mat alone raised by 1: mat's share, to 2 decimals",
    kind="share", tol=0.01, answer=lambda: float(softmax([1.0, 0.0, 0.0])[0]),
    explain="mat is e = 2.72 times as probable as each of the other two: e / (e + 2) = 0.58, whatever the "
            "common value.")
register_prediction(
    "01.roof-up-loser", question="raising roof by 1: which word loses the most probability? ('mat' or 'floor')",
    kind="choice", choices=("mat", "floor"),
    answer=lambda: ("mat", "floor")[int(np.argmin((softmax([2.0, 1.0, 1.1]) - softmax(_CAT))[:2]))],
    explain="each word gives up probability in proportion to what it has, and mat has the most.")


# --------------------------------------------------------------------------------------------
# The typed questions of lessons 00 and 01 (check_answer("00.equal-logits", answer), ...)
# --------------------------------------------------------------------------------------------

register_answer(
    "00.equal-logits", name="equal logits", question="the probability of each of 4 words with equal logits",
    answer=0.25, tol=0.005, precision="a number to 2 decimals",
    mistakes=[(1 / 3 - 0.005, 1 / 3 + 0.005, "that is one third: here there are 4 words, not 3."),
              (0.995, 1.005, "the 4 probabilities add up to 1, so each one is less than 1.")],
    hint="Equal logits mean equal probabilities, and the probabilities of all 4 words add up to 1.")
register_answer(
    "01.probability-ratio", name="probability ratio",
    question="how many times more probable mat (logit 2.0) is than floor (logit 1.0)",
    answer=float(np.e), tol=0.01, precision="a number to 2 decimals (from rounded probabilities is fine)",
    mistakes=[(1.99, 2.01, "that is the ratio of the logits, 2.0 / 1.0; the ratio of the probabilities is "
                           "e^(2.0 - 1.0)."),
              (1 / np.e - 0.01, 1 / np.e + 0.01, "that is floor / mat; the question asks how many times MORE "
                                                 "probable mat is: mat / floor, above 1."),
              (np.exp(2.0) - 0.02, np.exp(2.0) + 0.02, "that is e^2; the ratio depends on the DIFFERENCE of the "
                                                       "logits, e^(2.0 - 1.0).")],
    hint="Ratios depend only on the difference of the two logits: p_i / p_j = e^(z_i - z_j). Not the ratio of the "
         "logits themselves, and mat is the more probable word, so the answer is above 1.")
