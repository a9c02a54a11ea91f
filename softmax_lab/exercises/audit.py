r"""Lesson 11: checking a learner's sparsemax, a verdict quiz on four new statements, and the answers
to the lesson's predictions."""

import functools

import numpy as np

from ..alternatives import sparsemax
from ..audit import EXAMPLE_LOGITS, VERDICTS
from ..functions import naive_softmax, sigmoid, softmax
from ._answers import check_quiz
from ._machinery import (
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

# --------------------------------------------------------------------------------------------
# The predictions of lesson 11 (answers computed from softmax_lab, so they stay true)
# --------------------------------------------------------------------------------------------


def _mat_probability():
    from .. import lm

    model = lm.load("best")
    return float(softmax(lm.next_token_logits(model, "the cat sat on the"))[model.vocab.index("mat")])


def _greedy_repetition():
    from .. import lm
    from ..decoding import LMScorer, greedy_decode, repetition

    return repetition(greedy_decode(LMScorer(lm.load("best"), "the dog"), 20).tokens)


def _float16_break():
    """The first integer t at which the printed formula on (t, t - 1) in float16 no longer sums to 1."""
    for t in range(1, 100):
        p = naive_softmax(np.array([t, t - 1.0], dtype=np.float16))
        if not np.isclose(p.sum(dtype=np.float64), 1.0, atol=0.01):
            return t
    raise AssertionError("float16 never broke below 100")          # pragma: no cover


register_prediction(
    "11.hot-top-word", question="does 'mat' keep more than half of the probability at T = 5?", kind="yesno",
    answer=lambda: bool(softmax(np.array(EXAMPLE_LOGITS), temperature=5.0)[0] > 0.5),
    explain="dividing the logits by 5 shrinks their gaps five times: mat falls from 0.52 to 0.27.")
register_prediction(
    "11.sampled-mat", question="the share of 1000 sampled next words that are 'mat'", kind="share",
    answer=_mat_probability, tol=0.05,
    explain="a sample picks each word with its softmax probability: mat about 38% of the time, not always.")
register_prediction(
    "11.greedy-repetition", question="the share of repeated word pairs in 20 greedy words after 'the dog'",
    kind="share", answer=_greedy_repetition, tol=0.1,
    explain="always taking the top word locks the model into one sentence, again and again.")
register_prediction(
    "11.float16-break", question="the first t at which the printed formula on (t, t - 1) fails in float16",
    kind="count", answer=_float16_break,
    explain="e^11 still fits below 65,504, but e^11 + e^10 does not: the sum is infinite, both outputs 0.")
register_prediction(
    "11.sparsemax-zeros", question="how many of the five words sparsemax sets to exactly 0", kind="count",
    answer=lambda: int(np.sum(sparsemax(np.array(EXAMPLE_LOGITS)) == 0)),
    explain="sparsemax keeps only the words within about 1 of the top: mat and floor.")

# --------------------------------------------------------------------------------------------
# Exercise 1: sparsemax by sorting
# --------------------------------------------------------------------------------------------

FORMULA = ("sort z in decreasing order; k* = the largest k with 1 + k z_(k) > z_(1) + ... + z_(k); "
           "tau = (z_(1) + ... + z_(k*) - 1) / k*; return np.maximum(z - tau, 0)")

HINTS = {
    "softmax": ("that is the softmax: every entry is positive. Sparsemax has no exponential: it shifts the "
                "scores by a threshold tau and clips at 0, so low scores get exactly 0."),
    "no_support": ("the threshold must come from the top k* scores only, not from all of them: sort in "
                   "decreasing order, find k* with the cumulative-sum condition 1 + k z_(k) > z_(1) + ... + "
                   "z_(k), then tau = (sum of the top k* - 1) / k*."),
    "off_by_one": ("off by one in the support size: with k counted from 1, k* is the LARGEST k with "
                   "1 + k z_(k) > cumsum_k. With np.arange, use k = np.arange(1, K + 1), not np.arange(K)."),
    "no_minus_one": ("tau = (sum of the top k* scores - 1) / k*: without the -1 the weights sum to 0, not 1."),
    "no_clip": "clip at 0: return np.maximum(z - tau, 0). Without it low scores get negative weights.",
    "sorted_output": ("return the weights in the ORIGINAL order of z: compute tau from the sorted scores, then "
                      "apply np.maximum(z - tau, 0) to z itself, not to the sorted copy."),
    "row": ("each row is its own distribution: sort, cumsum and count along the last axis (axis=-1), and keep "
            "one tau per row (keepdims=True or tau[..., None])."),
    "mask_zero": ("a masked score must stay -inf: replaced by 0 it can enter the support (here every real score is "
                  "negative, so the 0 wins). Sorting puts -inf last, and the plain recipe handles it as it is."),
    "mask": ("a -inf score is a mask: it must get weight exactly 0 and take no part in the threshold. Sorting "
             "puts -inf last, and 1 + k * (-inf) > cumsum is False, so the plain recipe handles it; avoid "
             "arithmetic like 0 * -inf or -inf - -inf, which gives NaN."),
    "sum": "the weights of each row must sum to 1 (sparsemax is a probability distribution).",
}


def _last(fn):
    """Apply a 1-D formula to every row of the last axis."""
    def run(z):
        z = np.asarray(z, dtype=np.float64)
        return np.apply_along_axis(fn, -1, z)
    return run


def _tau(z, mode="right"):
    srt = np.sort(z)[::-1]
    k = np.arange(1, len(z) + 1)
    cum = np.cumsum(srt)
    if mode == "off_by_one":
        support = 1 + (k - 1) * srt > cum
    else:
        support = 1 + k * srt > cum
    ks = max(int(np.count_nonzero(support)), 1)
    minus = 0.0 if mode == "no_minus_one" else 1.0
    return (cum[ks - 1] - minus) / ks


def _wrong_variants(z):
    """Answers a typical mistake gives on ``z`` (NaN where the mistake breaks)."""
    z = np.asarray(z, dtype=np.float64)
    out = [
        (lambda: softmax(z), HINTS["softmax"]),
        (lambda: np.maximum(z - (np.sum(z, axis=-1, keepdims=True) - 1) / z.shape[-1], 0), HINTS["no_support"]),
        (lambda: _last(lambda r: np.maximum(r - _tau(r, "off_by_one"), 0))(z), HINTS["off_by_one"]),
        (lambda: _last(lambda r: np.maximum(r - _tau(r, "no_minus_one"), 0))(z), HINTS["no_minus_one"]),
        (lambda: _last(lambda r: r - _tau(r))(z), HINTS["no_clip"]),
        (lambda: _last(lambda r: np.maximum(np.sort(r)[::-1] - _tau(r), 0))(z), HINTS["sorted_output"]),
        (lambda: _last(lambda r: np.maximum(r - _tau(r), 0))(np.where(np.isneginf(z), 0.0, z)), HINTS["mask_zero"]),
    ]
    if z.ndim > 1:
        flat = z.reshape(-1)
        out.append((lambda: np.maximum(z - _tau(flat), 0), HINTS["row"]))
    answers = []
    for make, hint in out:
        try:
            answers.append((quiet(make), hint))
        except (ValueError, IndexError, TypeError):
            continue
    return answers


@functools.lru_cache(maxsize=1)   # the cases never change: build them once
def _sparsemax_cases():
    rng = np.random.default_rng(11)
    cases = []

    def add(what, z, tag, **tol):
        z = np.asarray(z)
        cases.append(Case(what, (z,), sparsemax(z), tag, **tol))

    add("three scores: one is far below the others", np.array([1.0, 0.5, -2.0]), "basic")
    add("close scores: all three stay in the support", np.array([0.1, 0.0, -0.1]), "basic")
    add("scores out of order: the top two are not first", np.array([-1.0, 0.3, 2.0, 1.7, 0.0]), "basic")
    add("four equal scores", np.zeros(4), "basic")
    add("a case where only the cumulative-sum condition finds the support", np.array([3.0, 2.5, 2.4, 0.0]), "support")
    add("a batch: each row is its own distribution", np.array([[2.0, 1.9, -1.0], [0.0, 5.0, 4.2]]), "batch")
    add("scores near 1000 (no exponential, so nothing overflows)", np.array([1000.0, 999.5, 998.0]), "large")
    add("-inf masks two entries", np.array([2.0, -np.inf, 1.5, -np.inf]), "mask")
    add("a batch of 2 x 3 rows of 6 random scores", rng.normal(0, 2, (2, 3, 6)), "batch")
    add("float32 scores", np.array([0.5, 0.2, -0.3, 0.45], dtype=np.float32), "float32", rtol=1e-5, atol=1e-6)
    K = int(rng.integers(8, 12))
    tied = rng.integers(-4, 5, size=(3, K)) * 0.25          # quarters: many ties
    tied[2] -= 2.0                                           # a row of negative scores only
    tied[:, :2] = [[1.0, 0.75], [1.0, 0.75], [-1.0, -1.25]]  # every row keeps two real scores
    tied[:, 2:][rng.random((3, K - 2)) < 0.3] = -np.inf
    add(f"random: 3 rows of {K} scores with ties and -inf masks, one row all negative", tied, "mask")
    return cases


def _sparsemax_hint(case, got, outcome):
    (z,) = case.args
    expected = np.asarray(case.expected)
    shaped = shape_hint(got, expected, "z")
    if shaped:
        return shaped
    known = first_matching(got, _wrong_variants(z), expected)
    if known:
        return known
    if nonfinite(got, expected):
        return HINTS["mask"] if case.tag == "mask" else "NaN or inf appeared where every weight is a finite number."
    if np.any(got < 0):
        return HINTS["no_clip"]
    if not np.allclose(np.sum(got, axis=-1), 1.0, atol=1e-6):
        return HINTS["row"] if case.tag == "batch" else HINTS["sum"]
    return unknown(f"sparsemax: {FORMULA}.")


@guarded("check_sparsemax")
def check_sparsemax(fn):
    r"""Check a learner's sparsemax ``fn(z)`` (along the last axis) against :func:`softmax_lab.alternatives.sparsemax`.

    Parameters
    ----------
    fn : callable
        Called as ``fn(z)`` with a float array of any shape; must return the sparsemax of each
        row (last axis), same shape.

    Returns
    -------
    CheckResult

    Notes
    -----
    .. math:: \mathrm{sparsemax}(z) = [z - \tau]_+, \quad
              \tau = \frac{\sum_{j \le k^\ast} z_{(j)} - 1}{k^\ast}, \quad
              k^\ast = \max\{k : 1 + k z_{(k)} > \textstyle\sum_{j \le k} z_{(j)}\}

    Typical mistakes get their own hint: the softmax instead, a threshold from all the scores
    (no support search), an off-by-one support, a missing -1 or a missing clip, an ascending
    sort, weights returned in sorted order, one threshold for a whole batch, NaN from -inf
    masks, and an input sorted in place.

    Examples
    --------
    >>> from softmax_lab.alternatives import sparsemax
    >>> check_sparsemax(sparsemax).passed
    ✔ check_sparsemax: all 11 cases passed. Well done!
    True
    """
    return run_battery("check_sparsemax", fn, _sparsemax_cases(), _sparsemax_hint)


# --------------------------------------------------------------------------------------------
# Exercise 2: verdicts on four statements the article does not make
# --------------------------------------------------------------------------------------------

def _underflow():
    return float(softmax([0.0, -800.0])[1])


#: The quiz: key -> (statement, right verdict, why). The "why" is computed from softmax_lab.
AUDIT_QUIZ = {
    "sparsemax_sums_to_one": (
        "sparsemax's outputs always sum to 1, like the softmax's",
        "holds",
        lambda: "sparsemax is a projection onto the probability simplex: sum "
                f"{float(sparsemax([3.0, 1.0, -2.0]).sum()):g} for [3, 1, -2], with two exact zeros.",
    ),
    "softmax_never_zero": (
        "computed in float64, the softmax of finite logits never gives a probability of exactly 0",
        "wrong",
        lambda: f"softmax([0, -800]) gives {_underflow():g} for the second word in float64: e^-800 is positive in "
                "exact arithmetic but far below the smallest float64, so it underflows to exactly 0 (lesson 01).",
    ),
    "temperature_changes_top": (
        "dividing the logits by a temperature can change which word is the most likely",
        "wrong",
        lambda: "T > 0 divides every logit by the same number, which keeps their order: argmax of "
                f"softmax(z / T) is {int(np.argmax(softmax(np.array([2.0, 1.0, 0.1]) / 7.0)))} for z = [2, 1, 0.1] "
                "and T = 7, as for T = 1.",
    ),
    "sigmoid_attention_sums_to_one": (
        "sigmoid attention weights sum to 1 over the keys, as softmax attention weights do",
        "wrong",
        lambda: "each key gets its own sigmoid, with no normalising sum: four keys with score 3 get "
                f"{float(np.sum(sigmoid(np.full(4, 3.0 - np.log(4))))):.2f} in total.",
    ),
}


@guarded("check_verdicts")
def check_verdicts(answers):
    """Check the verdict quiz: "holds", "oversimplified" or "wrong" for each statement of :data:`AUDIT_QUIZ`.

    Every wrong or missing answer is reported (not only the first), each with its reason.

    Parameters
    ----------
    answers : dict
        Keys from :data:`AUDIT_QUIZ`, values one of :data:`softmax_lab.audit.VERDICTS`
        (``None`` while unanswered).

    Returns
    -------
    CheckResult
        ``failed_case`` is the number of the first wrong answer; ``message`` lists them all.

    Examples
    --------
    >>> check_verdicts({key: None for key in AUDIT_QUIZ}).attempted
    … check_verdicts: not attempted yet: replace each None with "holds", "oversimplified" or "wrong", then run this check again.
    False
    """  # noqa: E501  (the doctest's output is one line)
    return check_quiz("check_verdicts", answers, AUDIT_QUIZ, VERDICTS, example='"sparsemax_sums_to_one": "holds"',
                      praise=" ".join(why() for _, _, why in AUDIT_QUIZ.values()))
