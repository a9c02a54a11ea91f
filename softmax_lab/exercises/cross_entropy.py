"""Lesson 04: the predictions of the lesson, the loss question, and checking a learner's gradient
of the cross-entropy."""

import functools
import re

import numpy as np

from ..functions import log_softmax, naive_softmax, softmax
from ..losses import cross_entropy, cross_entropy_grad
from ._answers import around, check_registered, register_answer
from ._machinery import (
    AXIS_HINT,
    MASK_HINT,
    MAX_SHIFT_HINT,
    NEG_INF,
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
# Lesson 04: the "Predict first" questions (the answers stay out of the notebook)
# --------------------------------------------------------------------------------------------

STEPPER_LOGITS = (0.1, 1.0, 2.0)     # the gradient stepper's start: it prefers roof, the target is mat
STEPPER_LEARNING_RATE = 0.5


def steps_until_mat_passes_half(logits=STEPPER_LOGITS, learning_rate=STEPPER_LEARNING_RATE, target=0):
    """How many gradient steps z <- z - lr (p - y) it takes until p(target) is above 0.5."""
    z = np.array(logits, dtype=np.float64)
    steps = 0
    while softmax(z)[target] <= 0.5:
        z = z - learning_rate * cross_entropy_grad(z, target)
        steps += 1
    return steps


def _roof_vs_mat():
    """Compare the stepper's start with target roof against section 1's logits (2.0, 1.0, 0.1) with mat."""
    roof = float(cross_entropy(np.array(STEPPER_LOGITS), 2))
    mat = float(cross_entropy(np.array(STEPPER_LOGITS[::-1]), 0))
    return "the same" if np.isclose(roof, mat) else "smaller" if roof < mat else "larger"


register_prediction(
    "04.loss-at-half", question="the loss, in nats to two decimals, when the target has probability 0.5",
    kind="number", answer=lambda: float(-np.log(0.5)), tol=0.01,
    explain="-log 0.5 = log 2 = 0.69 nats: each halving of the target's probability adds log 2.")
register_prediction(
    "04.loss-at-hundredth", question="the loss, in nats to two decimals, when the target has probability 0.01",
    kind="number", answer=lambda: float(-np.log(0.01)), tol=0.01,
    explain="-log 0.01 = log 100 = 4.61 nats: a hundred times less likely costs log 100.")
register_prediction(
    "04.negative-gradient", question="which entries of the gradient are negative for target mat",
    kind="choice", choices=("mat", "floor and roof", "all three", "none"), answer="mat",
    explain="the gradient is p - y: only the target's entry has y = 1 > p, so only mat's is negative.")
register_prediction(
    "04.equal-steps", question="does the loss fall by the same amount at each of the first five steps (yes/no)",
    kind="yesno", answer=False,
    explain="no: p - y shrinks as the prediction improves, so each step lowers the loss by less.")
register_prediction(
    "04.mat-passes-half", question="after how many steps (a whole number) p(mat) is above 0.5",
    kind="count", answer=lambda: steps_until_mat_passes_half(),
    explain="p(mat) goes 0.10, 0.18, 0.30, 0.42, then 0.53 after the fourth step.")
register_prediction(
    "04.roof-loss-vs-mat", question="is the stepper's loss for target roof smaller, the same or larger, "
                                   "compared with section 1's loss for mat",
    kind="choice", choices=("smaller", "the same", "larger"), answer=lambda: _roof_vs_mat(),
    explain="the stepper's logits are section 1's in reverse, so roof here has mat's p = 0.66 there: "
            "-log 0.66 = 0.42 nats both times.")
register_prediction(
    "04.double-softmax-loss", question="is the double-softmax loss larger, smaller or the same as the correct one",
    kind="choice", choices=("larger", "smaller", "the same"), answer="larger",
    explain="the second softmax flattens p towards uniform, so the target gets less probability: 0.80 against 0.42.")

# --------------------------------------------------------------------------------------------
# Lesson 04, question 1: the loss at p = 0.25
# --------------------------------------------------------------------------------------------

_QUARTER_LOSS = float(np.log(4.0))
register_answer(
    "04.quarter-loss", name="check_quarter_loss",
    question="the loss, in nats, when the target has probability 0.25",
    # 1.38 to 1.39 are all right: 1.39 is the rounded value, 1.38 the truncated one
    right=around(_QUARTER_LOSS, 0.0065), precision="a number in nats, to two decimals",
    mistakes=[
        (*around(-_QUARTER_LOSS, 0.0065), "mind the sign: the loss is -log p, and log 0.25 is negative, so the loss "
                                          "is positive."),
        (*around(np.log10(4.0), 0.0065), "that is log base 10. Nats use the natural logarithm, np.log."),
        (*around(2.0, 0.0065), "that is the loss in bits (log base 2). Nats use the natural logarithm, np.log."),
        (*around(0.25, 0.0015), "that is the probability itself. The loss is -log p(target)."),
        (*around(0.75, 0.0015), "1 - p is not the loss. The loss is -log p(target)."),
        (*around(_QUARTER_LOSS, 0.05), "close, but give two decimals: the loss is -log 0.25."),
    ],
    hint="the loss is -log p(target) with the natural logarithm: np.log.")


@guarded("check_quarter_loss")
def check_quarter_loss(answer):
    """Question 1: the loss, in nats to two decimals, when the target has probability 0.25.

    The same as ``check_answer("04.quarter-loss", answer)`` (kept for the lesson's current cell).
    Right: log 4 = 1.386..., to two decimals (1.38 to 1.39 are all right: 1.39 is the rounded
    value, 1.38 the truncated one). Typical wrong answers get their own hint.
    """
    return check_registered("04.quarter-loss", answer)


# --------------------------------------------------------------------------------------------
# Lesson 04: the gradient of the cross-entropy
# --------------------------------------------------------------------------------------------

PRECISION_HINT = ("the numbers are right to about 7 digits only: compute in the precision of the input (float64 "
                  "here), e.g. don't convert the logits to np.float32 first.")
DIVIDE_BY_N_HINT = ("divide by N, the number of predictions (rows): the loss is the MEAN over the N "
                    "rows, so each row's gradient p - y carries a factor 1/N.")


@functools.lru_cache(maxsize=1)   # the cases never change: build them once
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
    raw += _random_ce_inputs()
    return [Case(what, (z, t), cross_entropy_grad(z, t), tag,
                  **(dict(rtol=1e-4, atol=1e-6) if z.dtype == f32 else {}))
            for what, z, t, tag in raw]


def _random_ce_inputs(seed=4):
    """Randomised cases (seeded): N != K, a batch whose targets miss some classes (the one-hot must
    still have K columns), and rows of very different sizes."""
    rng = np.random.default_rng(seed)
    N, K = int(rng.integers(5, 8)), int(rng.integers(3, 5))
    z = rng.normal(0.0, 2.0, size=(N, K))
    t = rng.integers(0, K - 1, size=N)                  # the last class never occurs
    N2, K2 = int(rng.integers(2, 4)), int(rng.integers(6, 9))
    z2 = rng.normal(0.0, 3.0, size=(N2, K2)) + rng.uniform(-900.0, 900.0, size=(N2, 1))
    t2 = rng.integers(0, K2, size=N2)
    return [
        (f"random: N = {N} predictions over K = {K} classes; no target is class {K - 1}", z, t, "batch"),
        (f"random: N = {N2} predictions over K = {K2} classes, each row hundreds away from the next",
         z2, t2, "overflow"),
    ]


ONE_HOT_SIZE_HINT = ("the one-hot matrix needs one column per CLASS, K = logits.shape[-1] (np.eye(K)[targets]); "
                     "not N, the number of predictions, and not targets.max() + 1: a batch need not contain every "
                     "class.")


def _ce_exception_hint(case, exc):
    """An IndexError or a shape clash that a one-hot of the wrong size explains."""
    z, t = case.args
    N, K = z.shape
    text = str(exc)
    if isinstance(exc, IndexError) and "out of bounds" in text:
        return ONE_HOT_SIZE_HINT
    if "broadcast" in text:
        shapes = {(int(a), int(b)) for a, b in re.findall(r"\((\d+),\s*(\d+)\)", text)}
        if ({(N, N), (N, int(np.max(t)) + 1)} - {(N, K)}) & shapes:
            return ONE_HOT_SIZE_HINT
    return None


def _one_hot_columns(t, N, K):
    """The one-hot built as y[:, targets] = 1: every row gets a 1 at every target's column."""
    y = np.zeros((N, K))
    y[:, t] = 1.0
    return y


def _one_hot_rows(t, N, K):
    """The one-hot built as y[targets] = 1: whole rows, numbered by the targets, become 1."""
    if np.max(t) >= N:
        return None                          # the learner's code raises an IndexError instead
    y = np.zeros((N, K))
    y[t] = 1.0
    return y


def _ce_mistakes(z, t):
    z = np.asarray(z, dtype=np.float64)
    N, K = z.shape
    p = softmax(z)
    y = np.zeros_like(p)
    y[np.arange(N), t] = 1.0
    naive = naive_softmax(z)                 # exp(z) / sum, no max shift: NaN for huge logits
    rows = _one_hot_rows(t, N, K)
    unmasked = quiet(lambda a: softmax(np.where(np.isneginf(a), 0.0, a)), z)
    argmax_y = np.eye(K)[np.argmax(p, axis=-1)]
    global_p = quiet(lambda a: np.exp(a - np.max(a, axis=-1, keepdims=True))
                     / np.sum(np.exp(a - np.max(a, axis=-1, keepdims=True))), z)
    narrow = int(np.max(t)) + 1                    # a one-hot with too few columns broadcasts if it has one
    rows_hint = ("index both axes: g[np.arange(N), targets] -= 1. Writing g[targets] -= 1 subtracts 1 from whole "
                 "ROWS (the rows numbered by the targets) instead of one entry per row.")
    return [
        # on one prediction of target 0 the two give the same numbers: name both
        ((p - rows) / N if narrow == 1 and K > 1 and rows is not None else None,
         f"{ONE_HOT_SIZE_HINT} Or, if that is not it: {rows_hint}"),
        ((p - y) / (N * K) if N > 1 else None,
         "divide by N, the number of predictions, not by N * K: np.mean over the whole (N, K) array "
         "divides by every entry. The loss averages over the N predictions only."),
        ((p - y) / K if K != N else None,
         "divide by N, the number of predictions (rows), not by K, the number of classes (nor by N * K, "
         "the number of entries, which np.mean or g.size would use)."),
        (p - y, DIVIDE_BY_N_HINT),
        (p - y / N, "the 1/N applies to the whole gradient, p included: (p - y) / N, not p - y / N."),
        ((p - _one_hot_columns(t, N, K)) / N,
         "build the one-hot target row by row: y[np.arange(N), targets] = 1. Writing y[:, targets] = 1 "
         "puts a 1 in EVERY row at every target's column."),
        ((p - rows) / N if rows is not None else None, rows_hint),
        ((p - argmax_y) / N,
         "y is one-hot at the TARGET class, targets[n], the word that really came next, not at the class "
         "the model currently prefers (its argmax)."),
        (quiet(lambda a: (a - y) / N, z),
         "the inputs are logits, not probabilities: apply softmax first. The gradient is softmax(z) - y, "
         "not z - y."),
        ((softmax(p) - y) / N,
         "apply softmax once: softmax(softmax(z)) is the double-softmax bug of section 5."),
        (quiet(lambda a: (log_softmax(a) - y) / N, z),
         "use the probabilities p = softmax(z), not the log-probabilities: the gradient is p - y."),
        ((unmasked - y) / N,
         "keep -inf as it is: exp(-inf) = 0 gives a masked class probability 0 and gradient 0. Replacing "
         "-inf by 0 (or by any finite number) gives it probability."),
        ((global_p - y) / N, AXIS_HINT),
        ((y - p) / N, "mind the sign: the gradient of -log p[target] is p - y (it pushes the target's logit UP "
                      "when you step against it)."),
        (p / N, "subtract the one-hot target: the gradient is (p - y) / N, where y is 1 at the target class."),
        ((naive - y) / N, MAX_SHIFT_HINT),
        (naive - y, MAX_SHIFT_HINT + " (Also divide by N, the number of predictions.)"),
        (_or_none(lambda: (softmax(z, axis=0) - y) / N),
         "take the softmax of each row (axis=-1): each row is one prediction."),
    ]


def _or_none(compute):
    """A mistake's answer, or None where the mistake cannot even be computed (softmax over a column
    of -inf is an error in softmax_lab; the learner's code would give NaN there)."""
    try:
        return compute()
    except ValueError:
        return None


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
    if np.allclose(got, expected, rtol=1e-4, atol=1e-6):
        return PRECISION_HINT
    return unknown("the gradient of the mean cross-entropy is (softmax(z) - one_hot(targets)) / N.")


@guarded("check_cross_entropy_grad")
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
    ✘ check_cross_entropy_grad: case 2 of 8 failed (a batch of N = 2 predictions over K = 3 classes)
      called:    no_mean(np.array([[2. , 1. , 0.1], [0.5, 2.5, 0. ]]), np.array([0, 2]))
      expected:  np.array([[-0.170499,  0.121216,  0.049283], [ 0.055583,  0.410705, -0.466287]])
      got:       np.array([[-0.340999,  0.242433,  0.098566], [ 0.111166,  0.821409, -0.932575]])
      hint: divide by N, the number of predictions (rows): the loss is the MEAN over the N rows, so each row's gradient p - y carries a factor 1/N.
    True
    """  # noqa: E501  (wrapping a line would change the docstring's text)
    return run_battery("check_cross_entropy_grad", fn, _ce_cases(), _ce_hint, exception_hint=_ce_exception_hint)
