r"""Lesson 03: checking a learner's log-sigmoid, and the answers to the lesson's predictions.

Lesson 03's exercise is :func:`check_log_sigmoid`: the naive forms of :math:`\log\sigma(x)` give a
wrong number (``-inf``), not only a warning, for large negative x, which is exactly where a binary
cross-entropy needs it (a confident wrong prediction).
"""

import functools

import numpy as np

from ..functions import log_sigmoid, sigmoid, softmax
from ._machinery import NEG_INF, Case, first_matching, guarded, matches, quiet, run_battery, shape_hint, unknown
from .predict import register_prediction

# --------------------------------------------------------------------------------------------
# Lesson 03's exercise: log sigmoid, the building block of binary cross-entropy
# --------------------------------------------------------------------------------------------

LOG_SIGMOID_FORM = "np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))"

NEGATIVE_SIDE_HINT = (
    "for large negative x the answer is a large negative number (log sigmoid(-1000) = -1000), but your "
    "code gives -inf: 1 / (1 + exp(-x)) needs exp(1000), which overflows, and log(1 / inf) = log(0) = "
    "-inf; -log(1 + exp(-x)) overflows the same way. For x < 0 use the other form, "
    "x - log(1 + exp(x)), whose exp(x) is at most 1. Both signs in one line: " + LOG_SIGMOID_FORM + "."
)
LOG_OF_SIGMOID_HINT = (
    "don't take the log of the sigmoid: sigmoid(-1000) = e^-1000 underflows to exactly 0 (the smallest "
    "float64 is about 5e-324, e^-745), and log(0) = -inf, although the answer is simply -1000. Stay in log "
    "space: log sigmoid(x) = -log(1 + e^-x) = x - log(1 + e^x); both signs in one line: " + LOG_SIGMOID_FORM + "."
)
POSITIVE_SIDE_HINT = (
    "x - log(1 + exp(x)) is safe for x < 0 only: for x = 1000, exp(x) overflows to inf and the answer "
    "becomes -inf instead of (almost) 0. For x >= 0 use -log(1 + exp(-x)). Both signs in one line: "
    + LOG_SIGMOID_FORM + "."
)
FLOOR_HINT = (
    "a floor (np.clip(p, 1e-12, 1), or p + 1e-7, before the log) hides the problem instead of solving it: "
    "log sigmoid(-1000) really is -1000, and a binary cross-entropy must charge that much for a confident "
    "wrong answer. Compute the log directly: " + LOG_SIGMOID_FORM + "."
)
WHERE_HINT = (
    "the values are right, but numpy warned: np.where(cond, a, b) computes BOTH a and b for every entry, so "
    "the unsafe form is still evaluated (and overflows) where it is not used. Build both forms from "
    "e = np.exp(-np.abs(x)), which is at most 1: " + LOG_SIGMOID_FORM + "."
)


@functools.lru_cache(maxsize=1)   # the cases never change: build them once
def _log_sigmoid_cases():
    f32 = np.float32
    raw = [
        ("three inputs", np.array([0.0, 2.0, -2.0]), "basic"),
        ("a 2-D array: log sigmoid works entry by entry", np.array([[0.5, -0.5], [3.0, -3.0]]), "basic"),
        ("integer inputs (the answer is a float array)", np.array([-3, 0, 3]), "int"),
        ("large negative inputs: sigmoid(-1000) underflows to 0, but log sigmoid(-1000) is -1000",
         np.array([-1000.0, -750.0, -40.0]), "negative"),
        ("large positive inputs: log sigmoid(1000) is (almost) 0", np.array([1000.0, 750.0, 40.0]), "positive"),
        ("both signs in one array", np.array([-800.0, -1.0, 0.0, 1.0, 800.0]), "both"),
        ("float32 inputs near 100: exp(100) overflows float32", np.array([-100.0, -50.0, 0.0, 50.0, 100.0],
                                                                         dtype=f32), "float32"),
        ("-inf gives -inf (a masked logit)", np.array([NEG_INF, 0.0]), "mask"),
    ]
    raw += _random_log_sigmoid_inputs()
    return [Case(what, (x,), log_sigmoid(x), tag, **(dict(rtol=1e-5, atol=1e-6) if x.dtype == f32 else {}))
            for what, x, tag in raw]


def _random_log_sigmoid_inputs(seed=3):
    """Randomised cases (seeded): a 3-D array of both signs with magnitudes from 0.01 to 900, and
    float32 inputs of both signs up to 200 (beyond float32's exp range)."""
    rng = np.random.default_rng(seed)
    shape = tuple(int(n) for n in rng.choice(np.arange(2, 6), size=3, replace=False))
    x = rng.choice([-1.0, 1.0], size=shape) * 10.0 ** rng.uniform(-2.0, np.log10(900.0), size=shape)
    x.flat[:4] = [-25.0, -12.5, 12.5, 25.0] * rng.uniform(0.8, 1.2, 4)   # where log sigmoid(x) is almost x, or 0
    x32 = (rng.choice([-1.0, 1.0], size=7) * rng.uniform(0.0, 200.0, size=7)).astype(np.float32)
    return [(f"random: a {shape} array of both signs, |x| from 0.01 to 900", x, "both"),
            ("random: float32 inputs of both signs up to 200", x32, "float32")]


def _log_sigmoid_mistakes(x):
    """Known wrong answers for log sigmoid(x) (float64, finite parts), each with its hint."""
    e = quiet(lambda a: np.exp(-np.abs(a)), x)
    stable = np.where(x >= 0, 1 / (1 + e), e / (1 + e))              # a right sigmoid
    right = quiet(lambda a: np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a))), x)
    return [
        (-right, "log sigmoid(x) is never positive: sigmoid(x) <= 1, so its log is <= 0. You computed "
                 "-log sigmoid(x) (the loss of a 'yes' label); drop the minus sign."),
        (quiet(lambda a: np.minimum(-a, 0) - np.log1p(np.exp(-np.abs(a))), x),
         "mind the sign: you computed log sigmoid(-x) = log(1 - sigmoid(x)). log sigmoid(x) is close to 0 "
         "for large positive x and close to x for large negative x."),
        (quiet(lambda a: np.maximum(a, 0) + np.log1p(np.exp(-np.abs(a))), x),
         "that is softplus(x) = log(1 + e^x), which is -log sigmoid(-x). log sigmoid(x) = -log(1 + e^-x): "
         "mind both signs, and note it is never positive."),
        (stable, "that is sigmoid(x) itself: the exercise asks for its logarithm (computed without forming "
                 "the sigmoid first)."),
        (quiet(lambda a: -np.log1p(np.exp(-np.abs(a))), x),
         "right for x >= 0, but for negative x you dropped a term: there log sigmoid(x) = x - log(1 + e^x). "
         "Both signs in one line: " + LOG_SIGMOID_FORM + "."),
        (quiet(lambda a: np.minimum(a, 0.0), x),
         "min(x, 0) is only where log sigmoid heads for large |x|; subtract the correction log(1 + e^-|x|) "
         "too (it is log 2 = 0.693 at x = 0): " + LOG_SIGMOID_FORM + "."),
        (quiet(np.log10, stable), "use the natural logarithm (np.log, np.log1p), not log10."),
        (quiet(np.log2, stable), "use the natural logarithm (np.log, np.log1p), not log2."),
    ]


_EPSILONS = (1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-12, 1e-15)


def _epsilon_before_log(got, x):
    """Is ``got`` log(sigmoid(x) + eps) for a usual eps? (Close to right on small x, so compared tightly.)"""
    e = quiet(lambda a: np.exp(-np.abs(a)), x)
    stable = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return got.shape == x.shape and any(
        np.allclose(got, quiet(np.log, stable + eps), rtol=1e-10, atol=0) for eps in _EPSILONS)


def _has_floor(got, expected):
    """Very negative answers replaced by one constant floor (a clip or an epsilon before the log)."""
    deep = expected < -50
    if got.shape != expected.shape or not deep.any() or not np.isfinite(got[deep]).all():
        return False
    return bool(np.ptp(got[deep]) < 1e-3 and got[deep].min() > expected[deep].max() + 1)


def _log_sigmoid_hint(case, got, outcome):
    x = np.asarray(case.args[0], dtype=np.float64)
    expected = np.asarray(case.expected, dtype=np.float64)
    shape = shape_hint(got, expected)
    if shape:
        return shape
    if case.tag == "int" and matches(got, np.trunc(expected)):
        return ("the decimals were cut off: for integer x, np.zeros_like(x) or np.empty_like(x) makes an "
                "INTEGER array, and storing floats in it truncates them. Convert first, "
                "x = np.asarray(x, dtype=float), or build the result with np.where instead.")
    known = first_matching(got, _log_sigmoid_mistakes(x), expected)
    if known:
        return known
    if _epsilon_before_log(got, x):
        return FLOOR_HINT
    if _has_floor(got, expected):
        return FLOOR_HINT
    bad = (~np.isfinite(got) | (np.abs(got) > 1e300)) & np.isfinite(expected)   # -inf, or -inf "fixed" to -1.8e308
    if bad.any() or np.isnan(got).any():
        overflowed = any("overflow" in w for w in outcome.warnings)
        if (bad & (x > 0)).any() and not (bad & (x < 0)).any():
            return POSITIVE_SIDE_HINT
        return NEGATIVE_SIDE_HINT if overflowed else LOG_OF_SIGMOID_HINT
    if (got > 1e-12).any():
        return "log sigmoid(x) is never positive: sigmoid(x) <= 1, so its log is <= 0."
    off = ~np.isclose(got, expected, rtol=1e-6, atol=1e-9)
    if off.any() and ((got[off] == x[off]) | (got[off] == 0)).all():
        return ("log sigmoid(x) is close to x for very negative x and close to 0 for large x, but only close: at "
                "x = -12 the difference is e^-12 = 6e-6. Compute it exactly everywhere: " + LOG_SIGMOID_FORM + ".")
    return unknown("log sigmoid(x) = -log(1 + e^-x), entry by entry, the same shape as x; computed safely "
                   "for both signs as " + LOG_SIGMOID_FORM + ".")


@guarded("check_log_sigmoid")
def check_log_sigmoid(fn):
    r"""Check a learner's log-sigmoid: ``fn(x)`` entry by entry, accurate for huge ``|x|``.

    Parameters
    ----------
    fn : callable
        Called as ``fn(x)`` with an array of any shape (float64, float32 or integers); must return
        :math:`\log\sigma(x)`, the same shape, without NaN, without ``-inf`` for finite x, and without
        numpy warnings.

    Returns
    -------
    CheckResult
        Also printed: all passed, or the first failing case with a hint.

    Notes
    -----
    .. math:: \log \sigma(x) = -\log(1 + e^{-x}) = x - \log(1 + e^{x})
              = \min(x, 0) - \log(1 + e^{-|x|})

    The last form only ever exponentiates numbers <= 0. The naive ``np.log(1 / (1 + np.exp(-x)))``
    and ``np.log(sigmoid(x))`` give ``-inf`` at x = -1000, where the answer is -1000: a wrong
    number, not only a warning. Binary cross-entropy from a logit z and a label y is
    :math:`-[y \log\sigma(z) + (1 - y)\log\sigma(-z)]`. The answers come from
    :func:`softmax_lab.log_sigmoid`.

    Examples
    --------
    >>> import numpy as np
    >>> def stable(x):
    ...     return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
    >>> check_log_sigmoid(stable).passed
    ✔ check_log_sigmoid: all 10 cases passed. Well done!
    True
    """
    return run_battery("check_log_sigmoid", fn, _log_sigmoid_cases(), _log_sigmoid_hint, warning_hint=WHERE_HINT)


# --------------------------------------------------------------------------------------------
# Lesson 03: the answers to the "Predict first" prompts (revealed by predict(...))
# --------------------------------------------------------------------------------------------

def _sig(x):
    return float(sigmoid(np.array([x], dtype=float))[0])


register_prediction(
    "03.sigmoid-2", question="sigmoid(2), to 2 decimals", kind="share", tol=0.01, answer=lambda: _sig(2.0),
    explain="1 / (1 + e^-2) = 1 / 1.135 = 0.88.")
register_prediction(
    "03.sigmoid-minus-2", question="sigmoid(-2), to 2 decimals", kind="share", tol=0.01, answer=lambda: _sig(-2.0),
    explain="by symmetry, sigmoid(-2) = 1 - sigmoid(2) = 0.12.")
register_prediction(
    "03.cat-dog-softmax", question="the cat's probability under a softmax over the four labels, to 2 decimals",
    kind="share", tol=0.01, answer=lambda: float(softmax([4.0, 1.0, 1.0, 4.0])[0]),
    explain="cat and dog tie at logit 4.0, so they split almost all of the one unit: 0.48 each.")
register_prediction(
    "03.cat-dog-sigmoid", question="the cat's probability under its own sigmoid, to 2 decimals",
    kind="share", tol=0.01, answer=lambda: _sig(4.0),
    explain="sigmoid(4) = 0.98, whatever the dog's logit is: each label is its own yes/no question.")
register_prediction(
    "03.pair-as-sigmoid", question="softmax([z0, z1])[1] is the sigmoid of 'z1', 'z1 - z0' or 'z0 + z1'?",
    kind="choice", choices=("z1", "z1 - z0", "z0 + z1"),
    answer=lambda: next(name for name, x in (("z1", 1.5), ("z1 - z0", 1.0), ("z0 + z1", 2.0))
                        if np.isclose(softmax([0.5, 1.5])[1], _sig(x))),
    explain="dividing the top and the bottom by e^z1 leaves 1 / (1 + e^(z0 - z1)) = sigmoid(z1 - z0).")
register_prediction(
    "03.none-sigmoid-sum", question="every label at -5: the sum of the four sigmoids, to 2 decimals",
    kind="number", tol=0.01, answer=lambda: 4 * _sig(-5.0),
    explain="4 x sigmoid(-5) = 4 x 0.0067 = 0.03: the sigmoids can all say no at once, the softmax cannot.")
register_prediction(
    "03.none-softmax", question="every label at -5: what does the softmax give each? ('near 0', '1/4' or 'near 1')",
    kind="choice", choices=("near 0", "1/4", "near 1"),
    answer=lambda: "1/4" if np.allclose(softmax([-5.0] * 4), 0.25) else "near 0",
    explain="equal logits, so a uniform 1/4 each: a softmax must hand out all of its probability, even when "
            "no label applies.")
