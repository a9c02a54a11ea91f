r"""Lesson 07: calibration. :func:`check_ece` (implement top-label ECE),
:func:`check_temperature_by_hand` (a temperature read off the reliability dashboard), and the
lesson's "Predict first" answers, computed from the shipped models.

The right answers come from :mod:`softmax_lab.calibration`. The ECE check knows the usual ways
to get the ECE wrong and names the one a learner's number matches: binning by correctness
instead of confidence, bins not weighted by their count, a confidence of exactly 1.0 lost at the
last edge (or put in a bin of its own), p(target) used as the confidence, signed gaps that
cancel, a mean over examples instead of over bins, a percentage, the wrong number of bins, the
l2 or max norm instead of the mean.
"""

import functools
import math
import warnings

import numpy as np

from ..calibration import expected_calibration_error, fit_temperature, negative_log_likelihood
from ._answers import Question, judge_answer, register_answer
from ._machinery import (
    Case,
    CheckResult,
    as_number,
    finish,
    first_matching,
    guarded,
    plain,
    run_battery,
    safe_repr,
    unknown,
)
from .predict import register_prediction

__all__ = ["check_ece", "check_temperature_by_hand"]


# --------------------------------------------------------------------------------------------
# Implement top-label ECE
# --------------------------------------------------------------------------------------------

ECE_RECIPE = (
    "for each prediction take the confidence c = probs.max() of its row and whether "
    "probs.argmax() == label; put c in bin min(floor(c * n_bins), n_bins - 1) (so 1.0 goes in the "
    "last bin); for each non-empty bin take |mean correct - mean c|, and add these up weighted by "
    "(count in the bin) / N."
)


def _top(p, y):
    return p.max(axis=1), (p.argmax(axis=1) == y).astype(float)


def _groups_error(conf, correct, group, n_groups, weight_by_count=True, total=None, norm="l1"):
    """Binned error with bins given by ``group``; weights |B| / total (or 1 / non-empty bins)."""
    count = np.bincount(group, minlength=n_groups)
    full = count > 0
    c = np.bincount(group, weights=conf, minlength=n_groups)[full] / count[full]
    a = np.bincount(group, weights=correct, minlength=n_groups)[full] / count[full]
    gap = np.abs(a - c)
    if not weight_by_count:
        return float(gap.mean())
    w = count[full] / (len(conf) if total is None else total)
    if norm == "l2":
        return float(np.sqrt(np.dot(w, gap**2)))
    if norm == "squared":
        return float(np.dot(w, gap**2))
    if norm == "max":
        return float(gap.max())
    return float(np.dot(w, gap))


def _uniform_bins(conf, n_bins):
    """Bin b holds b / n_bins <= c < (b + 1) / n_bins; the last bin also holds c = 1.0."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return np.clip(np.searchsorted(edges, conf, side="right") - 1, 0, n_bins - 1)


def on_an_edge(probs, n_bins, gap=1e-6):
    """Whether a confidence lies within ``gap`` of an inner bin edge (where [lo, hi) and (lo, hi] differ)."""
    conf = np.asarray(probs, dtype=np.float64).max(axis=1)
    inner = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    return bool(inner.size and (np.abs(conf[:, None] - inner[None, :]) < gap).any())


def _ece_mistakes(p, y, n_bins):
    """(value, hint) for every typical wrong way to compute the top-label ECE."""
    p = np.asarray(p, dtype=np.float64)
    y = np.asarray(y)
    conf, correct = _top(p, y)
    b = _uniform_bins(conf, n_bins)
    N = len(y)
    signed_gap = abs(float(np.mean(correct) - np.mean(conf)))
    below_one = conf < 1.0
    mistakes = [
        (_groups_error(conf, correct, correct.astype(int), 2),
         "you grouped the predictions by whether they are right, or averaged |correct - confidence| "
         "over single predictions (the two give the same number). Either way a calibrated model "
         "looks bad: a 0.7 sure prediction is always 0.3 or 0.7 away from 0 or 1. Group the "
         "predictions by CONFIDENCE (the top probability) into bins, then compare each bin's "
         "accuracy (a fraction) with its mean confidence."),
        (_groups_error(conf, correct, b, n_bins, weight_by_count=False),
         "every bin counted the same. Weight each bin by its share of the predictions, "
         "(count in the bin) / N: a bin with 3 predictions must not weigh as much as one with 3000."),
        (_groups_error(conf, correct, b, n_bins, weight_by_count=False) * np.count_nonzero(
            np.bincount(b, minlength=n_bins)) / n_bins,
         "you divided the sum of the gaps by the number of bins. Weight each bin by its share of the "
         "predictions, (count in the bin) / N, instead."),
        (_groups_error(conf, correct, np.minimum((conf * n_bins).astype(int), n_bins), n_bins + 1),
         "a confidence of exactly 1.0 got a bin of its own: floor(1.0 * n_bins) = n_bins is one past "
         "the last bin. Put it in the last bin, e.g. with np.minimum(..., n_bins - 1)."),
        (_groups_error(conf[below_one], correct[below_one], b[below_one], n_bins, total=N)
         if below_one.any() else None,
         "the predictions with confidence exactly 1.0 were lost at the last edge. The last bin is "
         "closed, [lower, 1.0]: clip the bin index with np.minimum(..., n_bins - 1)."),
        (_groups_error(conf[below_one], correct[below_one], b[below_one], n_bins)
         if below_one.any() else None,
         "the predictions with confidence exactly 1.0 were dropped (they are often the most "
         "overconfident ones). The last bin is closed, [lower, 1.0]: clip the bin index with "
         "np.minimum(..., n_bins - 1)."),
        (_groups_error(p[np.arange(N), y], correct, _uniform_bins(p[np.arange(N), y], n_bins), n_bins),
         "you used the probability of the TRUE class as the confidence. Top-label ECE asks how often "
         "the model's top answer is right when it is c sure: the confidence is the largest "
         "probability of the row, probs.max(axis=1), whatever the label."),
        (signed_gap,
         "the gaps were added with their signs, so overconfident and underconfident bins cancelled "
         "(what is left is |overall accuracy - overall mean confidence|). Take the absolute value of "
         "each bin's gap, |accuracy - confidence|, before adding them up."),
        (_groups_error(conf, correct, b, n_bins, norm="l2"),
         "that is the root-mean-square gap (the l2 norm). The ECE is the count-weighted MEAN of the "
         "absolute gaps."),
        (_groups_error(conf, correct, b, n_bins, norm="squared"),
         "you squared the gaps. The ECE is the count-weighted mean of |accuracy - confidence|."),
        (_groups_error(conf, correct, b, n_bins, norm="max"),
         "that is the largest gap of any bin (the maximum calibration error). The ECE is the "
         "count-weighted mean of the gaps."),
    ]
    for default in (15, 10):
        if default != n_bins:
            mistakes.append((_groups_error(conf, correct, _uniform_bins(conf, default), default),
                             f"that is the ECE with {default} bins, whatever n_bins is: use the n_bins the "
                             f"function is given (here {n_bins}), not a number of your own or the default."))
    for other in (n_bins - 1, n_bins + 1):
        if other >= 1:
            mistakes.append((_groups_error(conf, correct, _uniform_bins(conf, other), other),
                             f"that is the ECE with {other} bins, not n_bins = {n_bins}: the edges are "
                             "np.linspace(0, 1, n_bins + 1), which makes n_bins bins."))
    ties = p == p.max(axis=1, keepdims=True)
    if (ties.sum(axis=1) > 1).any():
        lucky = ties[np.arange(N), y].astype(float)          # "right" whenever the label is among the top
        mistakes.append((_groups_error(conf, lucky, b, n_bins),
                         "with equal top probabilities the prediction is ONE class, the first "
                         "(np.argmax); a prediction is right when that class is the label, not when "
                         "the label merely shares the top probability."))
    return mistakes


@functools.lru_cache(maxsize=1)   # the cases never change: build them once
def _ece_cases():
    rng = np.random.default_rng(7)
    cases = []

    def add(what, p, y, n_bins, tag):
        p = np.asarray(p)
        y = np.asarray(y)
        expected = expected_calibration_error(p, y, n_bins=n_bins)
        rtol = 1e-5 if p.dtype == np.float32 else 1e-7
        cases.append(Case(what, (p, y, n_bins), expected, tag, rtol=rtol, atol=1e-9, shown=f"{expected:.6g}"))

    # Every confidence lies away from the inner bin edges (a test keeps it so), where the conventions
    # [lo, hi) and (lo, hi] differ and both are in use; exactly 1.0, the closed end, is tested.
    add("six predictions over three classes, 5 bins",
        [[0.7, 0.2, 0.1], [0.45, 0.35, 0.2], [0.1, 0.85, 0.05], [0.27, 0.31, 0.42], [0.62, 0.28, 0.1],
         [0.05, 0.05, 0.9]], [0, 1, 1, 2, 1, 2], 5, "basic")

    # the 1.0 predictions are overconfident, the others of the last bin underconfident: merging
    # them or not changes the ECE (gaps of the same sign would add up the same either way)
    sure = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0],
                     [0.93, 0.04, 0.03], [0.97, 0.02, 0.01], [0.91, 0.05, 0.04], [0.55, 0.4, 0.05],
                     [0.58, 0.3, 0.12], [0.25, 0.33, 0.42]])
    add("four predictions with confidence exactly 1.0, two of them wrong", sure, [0, 1, 0, 2, 0, 0, 0, 1, 0, 2], 10,
        "edge")

    p = np.array([[0.95, 0.05]] * 6 + [[0.65, 0.35]] * 6)
    y = np.array([0, 0, 0, 1, 1, 0] + [0] * 6)               # 0.95 sure, 67% right; 0.65 sure, all right
    add("an overconfident bin and an underconfident one", p, y, 10, "sign")

    z = rng.normal(size=(500, 10)) * 2.5
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    y = np.where(rng.random(500) < 0.6, p.argmax(1), rng.integers(0, 10, 500))
    add("500 predictions over 10 classes, 15 bins", p, y, 15, "basic")
    add("the same predictions in a single bin (n_bins = 1)", p, y, 1, "bins")
    add("the same predictions in 100 bins (many are empty)", p, y, 100, "bins")
    add("the same predictions as float32", p.astype(np.float32), y, 15, "dtype")

    q = rng.dirichlet(np.ones(2) * 0.5, size=300)
    add("two classes, 300 predictions, 8 bins", q, rng.integers(0, 2, 300), 8, "basic")

    w = rng.dirichlet(np.ones(445) * 0.02, size=400)          # peaked rows over a vocabulary
    add("445 classes, like the tiny language model: 400 predictions", w, rng.integers(0, 445, 400), 15, "wide")

    tied = np.array([[0.45, 0.45, 0.1], [0.4, 0.4, 0.2], [0.2, 0.6, 0.2], [0.3, 0.3, 0.4]])
    add("equal top probabilities: the prediction is the first of them", tied, [1, 1, 1, 2], 4, "ties")

    add("a single prediction", [[0.22, 0.78]], [0], 15, "basic")
    for what, p, y, n_bins in _random_ece_inputs():
        add(what, p, y, n_bins, "random")
    return cases


def _random_ece_inputs(seed=17):
    """Randomised cases (seeded): a random number of bins (neither 15 nor 10, the usual defaults),
    labels that miss some classes, confidences of exactly 1.0, and no confidence on an inner edge."""
    rng = np.random.default_rng(seed)
    out = []
    for N, K, n_bins in ((int(rng.integers(40, 90)), int(rng.integers(4, 9)), int(rng.integers(3, 8))),
                         (int(rng.integers(150, 260)), int(rng.integers(12, 30)), int(rng.integers(20, 40)))):
        p = rng.dirichlet(np.full(K, 0.3), size=N)
        p[: N // 10] = np.eye(K)[rng.integers(0, K, N // 10)]          # some confidences of exactly 1.0
        inner = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
        while (bad := (np.abs(p.max(axis=1)[:, None] - inner) < 1e-6).any(axis=1)).any():
            p[bad] = rng.dirichlet(np.full(K, 0.3), size=int(bad.sum()))          # redraw the rows on an edge
        y = np.where(rng.random(N) < 0.7, p.argmax(axis=1), rng.integers(0, K // 2, N))   # classes >= K/2 rarer
        out.append((f"random: {N} predictions over {K} classes, {n_bins} bins", p, y, n_bins))
    return out


def _ece_hint(case, got, outcome):
    p, y, n_bins = case.args
    if got.size != 1:
        return (f"return ONE number, the ECE of all the predictions together (a float); got an array "
                f"of shape {got.shape}.")
    if np.isnan(got).any():
        return ("the result is NaN: an empty bin has no mean (0 / 0). Skip the empty bins, "
                "they have weight 0 anyway.")
    known = first_matching(got.reshape(()), _ece_mistakes(p, y, n_bins), case.expected)
    if known:
        return known
    if math.isclose(float(got), 100 * float(case.expected), rel_tol=1e-6):
        return "that is a percentage; return the ECE as a fraction between 0 and 1."
    return unknown(ECE_RECIPE)


@guarded("check_ece")
def check_ece(fn):
    r"""Check a learner's top-label expected calibration error, ``fn(probs, labels, n_bins)``.

    Parameters
    ----------
    fn : callable
        Called with ``probs`` (an (N, K) array whose rows are distributions), integer
        ``labels`` of shape (N,) and ``n_bins`` (an int); returns the ECE with ``n_bins``
        equal-width bins on [0, 1], as a float.

    Returns
    -------
    CheckResult

    Notes
    -----
    The right answer is :func:`softmax_lab.calibration.expected_calibration_error`:

    .. math:: \mathrm{ECE} = \sum_b \frac{|B_b|}{N}\,|\mathrm{acc}(B_b) - \mathrm{conf}(B_b)|

    with the confidence :math:`\max_k p_{ik}`, the prediction :math:`\arg\max_k p_{ik}` (the first
    on ties), bins :math:`[b/B, (b+1)/B)` and the last one closed. The cases avoid confidences
    that sit on an inner bin edge, where the conventions :math:`[\ell, u)` and
    :math:`(\ell, u]` differ and both are in use; a confidence of exactly 1.0 is tested. A right
    answer computed with a numpy warning passes (a mean over an empty bin warns, and
    ``np.nansum`` then skips it): the warning says nothing wrong about the method here.

    Examples
    --------
    >>> import numpy as np
    >>> def ece(probs, labels, n_bins=15):
    ...     conf = probs.max(axis=1)
    ...     correct = probs.argmax(axis=1) == labels
    ...     b = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    ...     total = 0.0
    ...     for k in range(n_bins):
    ...         inside = b == k
    ...         if inside.any():
    ...             total += inside.mean() * abs(correct[inside].mean() - conf[inside].mean())
    ...     return total
    >>> check_ece(ece).passed
    ✔ check_ece: all 13 cases passed. Well done!
    True
    """
    return run_battery("check_ece", fn, _ece_cases(), _ece_hint, warnings_ok=True)


# --------------------------------------------------------------------------------------------
# A temperature found by hand
# --------------------------------------------------------------------------------------------

def _fail(name, text, hint):
    return finish(CheckResult(name, False, f"✘ {name}: {text}", hint=hint, failed_case=1, n_cases=1))


@guarded("check_temperature_by_hand")
def check_temperature_by_hand(answer, logits, labels, tol=0.1):
    r"""Check a temperature found by hand (with the slider) against :func:`fit_temperature`.

    Parameters
    ----------
    answer : float
        The temperature the learner found; ``None`` while not attempted.
    logits : array_like, shape (N, K)
        The logits the learner looked at (for example the calibration split's).
    labels : array_like of int, shape (N,)
    tol : float, default 0.1
        Allowed relative distance from the fitted T (0.1: within 10%). Near its minimum the NLL is
        flat, so a T read off a slider is rarely exact, and need not be.

    Returns
    -------
    CheckResult

    Notes
    -----
    Lesson 07's exercise (the overtrained checkpoint's calibration split) is also
    ``check_answer("07.temperature-by-hand", T)``.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_lab import softmax
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(3000, 4)) * 3                       # logits twice too large:
    >>> y = (rng.random(3000)[:, None] > softmax(z / 2).cumsum(axis=1)).sum(axis=1)
    >>> check_temperature_by_hand(2.0, z, y).passed              # doctest: +ELLIPSIS
    ✔ check_temperature_by_hand: T = 2 is within 10% of fit_temperature's T = ...
    True
    """
    tol = as_number(plain(tol))
    if tol is None or not 0 < tol < 10:
        return _fail("check_temperature_by_hand", f"tol must be a number between 0 and 10, got {safe_repr(tol, 60)}.",
                     "leave tol out (10%), or give a fraction such as 0.05.")
    return judge_answer(_by_hand_question(None, lambda: (logits, labels), tol), answer)


def _by_hand_question(key, data, tol):
    """A temperature read off the slider, judged against :func:`fit_temperature` on ``data()``."""
    @functools.lru_cache(maxsize=1)
    def fitted():
        logits, labels = data()
        best = fit_temperature(logits, labels)
        return logits, labels, best, negative_log_likelihood(logits, labels, temperature=best)

    def judge(t):
        if t <= 0:
            return False, f"T = {t:g} is not a temperature", ("a temperature is a number > 0: the logits are "
                                                              "divided by it.")
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")           # a fit on a bound warns; the comparison still holds
            try:
                logits, labels, best, nll_best = fitted()
            except Exception as exc:  # whatever was passed as logits/labels: a check never raises
                return False, (f"the logits and labels given to the check cannot be scored "
                               f"({type(exc).__name__}: {safe_repr(str(exc), 120)})"), (
                    "pass the logits and labels you looked at, e.g. check_temperature_by_hand(T, logits, labels).")
            try:
                nll_yours = negative_log_likelihood(logits, labels, temperature=t)
            except Exception:  # a temperature so extreme that the logits overflow: as bad as it gets
                nll_yours = math.inf
        facts = f"NLL {nll_yours:.4f} at your T, {nll_best:.4f} at the best T"
        if abs(math.log(t / best)) <= math.log1p(tol):
            return True, f"T = {t:.3g} is within {tol:.0%} of fit_temperature's T = {best:.4g} ({facts})", ""
        if t == 1.0:
            hint = ("1.0 is where the slider starts, where nothing is rescaled. Move it and watch the NLL "
                    "in the readout: it falls, reaches a lowest point, then rises again.")
        elif (t - 1.0) * (best - 1.0) < 0:
            hint = (("this model is overconfident: it needs T > 1, which softens its probabilities; T < 1 "
                     "makes it even surer.") if best > 1 else
                    ("this model is underconfident: it needs T < 1, which sharpens its probabilities; T > 1 "
                     "makes it even less sure."))
        else:
            how_far = "too far" if abs(math.log(t)) > abs(math.log(best)) else "not far enough"
            hint = (f"you are on the right side of 1, but {how_far}: move the slider slowly and stop where "
                    "the NLL in the readout is lowest.")
        return False, f"T = {t:.3g}: {facts}", hint

    return Question(key, "check_temperature_by_hand", "the temperature with the lowest NLL, read off the slider",
                    "number", judge=judge,
                    precision=f"a temperature within {tol:.0%} of the one where the NLL is lowest")


# --------------------------------------------------------------------------------------------
# The typed questions of lesson 07
# --------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def overtrained_predictions():
    """The overtrained checkpoint's logits (float32) and labels on the calibration split, as lesson 07 shows them."""
    from .. import lm  # imported when the question is checked, not with the package

    z, y = lm.split_logits(lm.load("overtrained"), "calibration")
    return z.astype(np.float32), y


_by_hand = _by_hand_question("07.temperature-by-hand", overtrained_predictions, 0.1)
register_answer(_by_hand.key, _by_hand.name, _by_hand.question, judge=_by_hand.judge, precision=_by_hand.precision)

CHECKPOINTS = ("early", "best", "overtrained", "label_smoothed")
MOST_HELPED = "overtrained"   # a slow test recomputes it from the shipped checkpoints (about 8 s)
register_answer(
    "07.most-helped", name="the checkpoint temperature scaling helped most", kind="word", answer=MOST_HELPED,
    choices=CHECKPOINTS, question="which checkpoint's ECE temperature scaling reduced the most",
    hint="Subtract each checkpoint's ECE after from its ECE before, in the table of section 4.")


# --------------------------------------------------------------------------------------------
# Lesson 07: the "Predict first" questions, computed from the shipped models
# --------------------------------------------------------------------------------------------

SIDES = ("overconfident", "underconfident", "about equal")


def _logits(name, split="calibration"):
    """A shipped model's logits and labels on a split: an MLP checkpoint, or ``"transformer"``."""
    from .. import lm, transformer  # imported when an answer is revealed, not with the package

    if name == "transformer":
        return transformer.split_logits(transformer.load("tiny"), split)
    return lm.split_logits(lm.load(name), split)


@functools.lru_cache(maxsize=None)
def _numbers(name):
    """What lesson 07 measures of one model on the calibration split, T fitted on validation."""
    from ..functions import softmax

    t = fit_temperature(*_logits(name, "validation"))
    z, y = _logits(name)
    p = softmax(z)
    return {"confidence": float(p.max(axis=1).mean()), "accuracy": float(np.mean(p.argmax(axis=1) == y)),
            "T": t, "nll": negative_log_likelihood(z, y), "ece": expected_calibration_error(p, y),
            "ece_at_T": expected_calibration_error(softmax(z, temperature=t), y),
            "same_argmax_at_3": bool(np.array_equal(softmax(z, temperature=3.0).argmax(axis=1), p.argmax(axis=1)))}


def _side(name):
    """The readout's verdict: mean confidence more than a point above (or below) the accuracy."""
    gap = _numbers(name)["confidence"] - _numbers(name)["accuracy"]
    return SIDES[0] if gap > 0.01 else SIDES[1] if gap < -0.01 else SIDES[2]


def _compared(what, name, other="best"):
    return "lower" if _numbers(name)[what] < _numbers(other)[what] else "higher"


def _calibrated_predictor_ece(n_sets=100, seed=0):
    """Lesson 07, 5b: the mean binned ECE (15 bins) of a predictor calibrated by construction."""
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_sets):
        p = rng.dirichlet(np.full(10, 0.3), size=200)
        y = (rng.random(200)[:, None] > p.cumsum(axis=1)).sum(axis=1).clip(0, 9)   # drawn from p itself
        values.append(expected_calibration_error(p, y))
    return float(np.mean(values))


def _transformer_against_mlp():
    """Better, worse or as well calibrated: the 95% bootstrap intervals of the two ECEs, apart or not."""
    from ..calibration import bootstrap_interval
    from ..functions import softmax

    (t_low, t_high), (m_low, m_high) = (
        bootstrap_interval(expected_calibration_error, softmax(z), y, n_boot=300, rng=0)
        for z, y in (_logits("transformer"), _logits("best")))
    if t_high < m_low:
        return "better calibrated"
    return "worse calibrated" if m_high < t_low else "about as well calibrated"


def _initial_loss():
    """The loss of a model whose logits are all equal: log V nats."""
    from .. import lm

    return math.log(len(lm.load("overtrained").vocab))


for _name in CHECKPOINTS:
    register_prediction(
        f"07.side-{_name.replace('_', '-')}", question=f"is {_name}'s mean confidence above its accuracy "
        "(overconfident), below it (underconfident) or about equal", kind="choice", choices=SIDES,
        answer=functools.partial(_side, _name),
        explain={"early": "underfit: it has not yet learned how sure it may be.",
                 "best": "stopped at the lowest validation loss, it keeps its promise on average.",
                 "overtrained": "it memorised 300 sentences and keeps that certainty on new text.",
                 "label_smoothed": "trained towards targets of 0.9, never 1: it stops short on purpose."}[_name])
register_prediction(
    "07.fitted-side", question="will the overtrained checkpoint's fitted temperature be above 1 or below 1",
    kind="choice", choices=("above 1", "below 1"),
    answer=lambda: "above 1" if _numbers("overtrained")["T"] > 1 else "below 1",
    explain="an overconfident model needs its logits divided by T > 1, which softens its probabilities.")
register_prediction(
    "07.accuracy-with-T", question="as T moves, does the accuracy in the readout go up, go down or stay the same",
    kind="choice", choices=("goes up", "goes down", "stays the same"),
    answer=lambda: "stays the same" if _numbers("overtrained")["same_argmax_at_3"] else "goes down",
    explain="dividing every logit by the same T > 0 keeps their order: the top word stays the top word.")
register_prediction(
    "07.best-ece-falls", question="will temperature scaling lower the best checkpoint's ECE (yes/no)",
    kind="yesno", answer=lambda: _numbers("best")["ece_at_T"] < _numbers("best")["ece"],
    explain="no: T minimises the NLL, not the ECE, and a model that is already calibrated on average can "
            "come out slightly worse by the ECE.")
register_prediction(
    "07.calibrated-ece", question="the mean ECE (15 bins, as defined in section 2) of a perfectly calibrated "
    "predictor making 200 predictions over 10 classes", kind="number", answer=_calibrated_predictor_ece,
    tol=0.025,
    explain="about 0.08, all of it sampling noise: about 13 predictions per bin cannot pin an accuracy down.")
register_prediction(
    "07.smoothing-nll", question="compared with best, is the label-smoothed model's NLL lower or higher",
    kind="choice", choices=("lower", "higher"), answer=functools.partial(_compared, "nll", "label_smoothed"),
    explain="higher: the model was trained towards 0.9, so it gives the right word less probability than it could.")
register_prediction(
    "07.smoothing-ece", question="compared with best, is the label-smoothed model's ECE lower or higher",
    kind="choice", choices=("lower", "higher"), answer=functools.partial(_compared, "ece", "label_smoothed"),
    explain="higher: best was already calibrated, and smoothing made it underconfident.")
register_prediction(
    "07.initial-loss", question="the validation loss of the untrained model, in nats per word", kind="number",
    answer=_initial_loss, tol=0.15,
    explain="about log 445 = 6.1: small random weights give almost equal logits, so every word gets about 1/445.")
register_prediction(
    "07.transformer-calibration", question="is the transformer, which reads the whole sentence, better "
    "calibrated than the MLP best, worse, or about as well calibrated (at T = 1)", kind="choice",
    choices=("better calibrated", "about as well calibrated", "worse calibrated"), answer=_transformer_against_mlp,
    explain="about as well: its ECE's 95% interval overlaps the MLP's. Reading more words makes it a better "
            "predictor (lower NLL), not a better judge of its own certainty.")
