r"""Lesson 12: the predictions of the lesson, its typed question, checking a learner's attention
backward pass (dS from dW and W), and the capstone, a learner's functions running the transformer.

The backward pass of attention's softmax is lesson 04's Jacobian, row by row:

.. math:: dS = W \odot \big(dW - \mathrm{rowsum}(dW \odot W)\big)
"""

import functools
import warnings

import numpy as np

from .. import transformer as _t
from .. import transformer_functions as _fns
from .. import transformer_training as _tt
from ..functions import softmax
from ._answers import register_answer
from ._machinery import (
    Case,
    CheckResult,
    finish,
    first_matching,
    guarded,
    label_of,
    nonfinite,
    quiet,
    run_battery,
    safe_repr,
    shape_hint,
    unknown,
)
from .predict import register_prediction

# --------------------------------------------------------------------------------------------
# Lesson 12: the "Predict first" questions (the answers stay out of the notebook)
# --------------------------------------------------------------------------------------------

#: The sentence of the first prediction and of the head explorer's first view.
LOOK_SENTENCE = "the owl near the old barn in the village"
LOOK_HEAD = (1, 3)                       # layer 1, head 3
SINK_FACTOR = 2.0                        # a sink: a head puts more than twice the even share on <s>


@functools.lru_cache(maxsize=1)
def _model():
    return _t.load("tiny")


def head_looks_at(text=LOOK_SENTENCE, layer=LOOK_HEAD[0], head=LOOK_HEAD[1]):
    """The word that ``head`` of ``layer`` gives the most weight from the last word of ``text``."""
    model = _model()
    words = _t.tokens(model, text)
    return words[int(np.argmax(_t.attention_maps(model, text)[layer, head, -1]))]


@functools.lru_cache(maxsize=1)
def _roles():
    return _tt.head_roles(_model())


def has_sink():
    """Does any head put more than :data:`SINK_FACTOR` times the even-spread share on ``<s>``?"""
    roles = _roles()
    return bool(np.max(roles["first"]) > SINK_FACTOR * roles["uniform_first"])


def mlp_verb_accuracy():
    """How often the 3-word MLP, trained on the transformer's sentences, predicts the long-range verb."""
    return _tt.long_range_accuracy(_tt.load_same_data_mlp())["accuracy"]


def _ds_of_constant_row(c=3.0):
    weights = softmax(np.array([2.0, 0.5, -1.0, 1.0]))
    return float(np.max(np.abs(_fns.softmax_backward(np.full(4, c), weights))))


def head_looks_back(text=LOOK_SENTENCE, layer=LOOK_HEAD[0], head=LOOK_HEAD[1]):
    """How many words before the last word of ``text`` is the word that ``head`` of ``layer`` looks at most."""
    weights = _t.attention_maps(_model(), text)[layer, head, -1]
    return len(weights) - 1 - int(np.argmax(weights))


register_prediction(
    "12.head-look", question=f"how many words back from the last word of '{LOOK_SENTENCE}' is the word head "
                             f"{LOOK_HEAD[0]}.{LOOK_HEAD[1]} gives the most weight",
    kind="count", answer=head_looks_back,
    explain="it looks back past both place phrases to the animal, whose kind decides the verb that comes next.")
register_prediction(
    "12.sink", question="does any head of the tiny transformer park more than twice the even share of its "
                        "weight on <s> (an attention sink)",
    kind="yesno", answer=has_sink,
    explain="no head does here: every head's weight on <s> stays near what an even spread would give. Sinks "
            "are reported in large models trained on long texts; this one reads sentences of at most 15 words.")
register_prediction(
    "12.mlp-verb", question="the share of long-range sentences whose verb the 3-word MLP (trained on the same "
                            "sentences) predicts",
    kind="share", answer=mlp_verb_accuracy, tol=0.1,
    explain="the last three words are a place phrase that says nothing about the animal: the MLP can only "
            "guess the most common verb after such words.")
register_prediction(
    "12.ds-constant", question="the largest entry of |dS| when every entry of dW's row is the same number, 3",
    kind="number", answer=_ds_of_constant_row, tol=0.01,
    explain="dW - rowsum(dW * W) = 3 - 3 * 1 = 0 in every entry: adding a constant to every score changes no "
            "weight (lesson 05's shift), so its gradient is 0.")

register_answer(
    "12.ds-row-sum", name="dS row sums", question="what each row of dS sums to",
    answer=0.0, tol=1e-6, precision="one number, the same for every row",
    mistakes=[(1.0, 1.0, "1 is what each row of the WEIGHTS sums to; dS is a gradient: sum W * (dW - r) over "
                         "the row, with r = rowsum(dW * W)."),
              (-1.0, -1.0, "sum W_j * (dW_j - r) over j: the first part is r, the second is r times the sum of "
                           "the weights, 1.")],
    hint="sum W_j * (dW_j - r) over the row, with r = rowsum(dW * W): the first part gives r, the second r "
         "times sum_j W_j = 1.")

# --------------------------------------------------------------------------------------------
# Attention's backward pass: dS from dW and W
# --------------------------------------------------------------------------------------------

DS_RECIPE = "dS = W * (dW - np.sum(dW * W, axis=-1, keepdims=True)), one row per query."


def _weights(rng, shape, causal=False):
    scores = rng.normal(0.0, 1.5, size=shape)
    if causal:
        scores = np.where(np.tril(np.ones(shape[-2:], dtype=bool)), scores, -np.inf)
    return softmax(scores)


@functools.lru_cache(maxsize=1)   # the cases never change: build them once
def _backward_cases(seed=12):
    rng = np.random.default_rng(seed)
    raw = [
        ("one row of 3 weights", rng.normal(size=3), softmax(np.array([1.0, 2.0, 0.5])), "basic"),
        ("2 queries x 4 keys: the rows are the queries", rng.normal(size=(2, 4)), _weights(rng, (2, 4)), "rows"),
        ("a causal 4 x 4 map: zeros above the diagonal", rng.normal(size=(4, 4)), _weights(rng, (4, 4), True), "mask"),
        ("a batch of 2 x 3 heads, causal 5 x 5 maps", rng.normal(size=(2, 3, 5, 5)),
         _weights(rng, (2, 3, 5, 5), True), "batch"),
        ("float32, 3 x 3", rng.normal(size=(3, 3)).astype(np.float32),
         _weights(rng, (3, 3)).astype(np.float32), "float32"),
    ]
    # seeded random shapes, all axes of different lengths (a transpose or a wrong axis shows)
    n_q, n_k = int(rng.integers(3, 6)), int(rng.integers(6, 9))
    raw.append((f"random: {n_q} queries x {n_k} keys", rng.normal(size=(n_q, n_k)), _weights(rng, (n_q, n_k)), "rows"))
    B, T = int(rng.integers(2, 4)), int(rng.integers(4, 8))
    raw.append((f"random: {B} heads, causal {T} x {T}, large dW", rng.normal(0, 50, size=(B, T, T)),
                _weights(rng, (B, T, T), True), "mask"))
    cases = []
    for what, dw, w, tag in raw:
        dw = dw.astype(w.dtype)
        tol = dict(rtol=1e-4, atol=1e-5) if w.dtype == np.float32 else {}
        cases.append(Case(what, (dw, w), _fns.softmax_backward(dw, w), tag, **tol))
    return cases


def _backward_mistakes(dw, w):
    dw, w = np.asarray(dw, dtype=np.float64), np.asarray(w, dtype=np.float64)
    row = np.sum(dw * w, axis=-1, keepdims=True)
    mistakes = [
        (w * dw, "you kept only dW * W: subtract each row's weighted sum first, "
                 "W * (dW - rowsum(dW * W)). Without it, adding the same number to every score (which "
                 "changes no weight) would get a gradient."),
        (w * (dw - np.sum(dw, axis=-1, keepdims=True)), "the rowsum is of dW * W, not of dW alone: each dW_k "
                                                        "counts with its weight W_k."),
        (dw - row, "multiply by W: dS = W * (dW - rowsum(dW * W)). A key with weight 0 (a masked one) must get "
                   "exactly 0."),
        (w * (row - dw), "the sign is flipped: dS = W * (dW - rowsum(dW * W)), dW first."),
        (w * (1 - w) * dw, "that is only the diagonal of the Jacobian, W_j (1 - W_j): the off-diagonal terms "
                           "-W_j W_k add up to the rowsum term, W * (dW - rowsum(dW * W))."),
        (w * (dw - np.sum(dw * w)), "one sum for the whole array: sum each ROW separately, "
                                    "np.sum(dW * W, axis=-1, keepdims=True)."),
    ]
    if dw.ndim >= 2:
        mistakes.append((w * (dw - np.sum(dw * w, axis=-2, keepdims=True)),
                         "wrong axis: the rowsum runs along the LAST axis (the keys of one query), axis=-1."))
        if dw.shape[-1] == dw.shape[-2]:
            right = w * (dw - row)
            mistakes.append((np.swapaxes(right, -1, -2), "transposed: dS has the shape and the layout of W (row "
                                                         "i = query i); don't transpose the result."))
            wt = np.swapaxes(w, -1, -2)
            mistakes.append((wt * (dw - np.sum(dw * wt, axis=-1, keepdims=True)),
                             "transposed: use W as it is, not W.T (row i holds query i's weights)."))
    return mistakes


def _backward_hint(case, got, outcome):
    dw, w = case.args
    expected = np.asarray(case.expected)
    if got.shape != expected.shape:
        if got.shape == np.swapaxes(expected, -1, -2).shape and got.ndim >= 2:
            return "transposed: dS has the shape of W (queries x keys); don't transpose."
        return shape_hint(got, expected, "W")
    known = first_matching(got, quiet(_backward_mistakes, dw, w), expected)
    if known:
        return known
    if nonfinite(got, expected):
        return "no exp or log is needed here: W is already the softmax. " + DS_RECIPE
    return unknown(DS_RECIPE)


def _backward_exception_hint(case, exc):
    text = str(exc)
    if "axis -2" in text or "axis2" in text:
        return "wrong axis: the rowsum runs along the LAST axis (the keys of one query), axis=-1."
    if "broadcast" in text and case.args[1].ndim >= 2 and case.args[1].shape[-1] != case.args[1].shape[-2]:
        return "transposed: use W as it is, not W.T (row i holds query i's weights over the keys)."
    return None


@guarded("check_softmax_backward")
def check_softmax_backward(fn):
    r"""Check a learner's backward pass through attention's softmax: ``fn(d_weights, weights)`` -> dS.

    Parameters
    ----------
    fn : callable
        Called as ``fn(dW, W)`` with W the attention weights (each row a softmax: one query over
        the keys, zeros where masked) and dW the gradient of the loss with respect to them, both of
        shape (..., n_queries, n_keys); must return dS, the gradient with respect to the scores.

    Returns
    -------
    CheckResult

    Notes
    -----
    With :math:`J = \mathrm{diag}(w) - w w^\top` for one row (lesson 04), :math:`ds = J^\top dw`:

    .. math:: dS = W \odot \big(dW - \mathrm{rowsum}(dW \odot W)\big)

    The expected values come from :func:`softmax_lab.transformer_functions.softmax_backward`,
    which the tests compare with finite differences. Seeded random shapes, causal masks and a
    batch of heads join the fixed cases.

    Examples
    --------
    >>> def ds(d_weights, weights):
    ...     return weights * (d_weights - np.sum(d_weights * weights, axis=-1, keepdims=True))
    >>> check_softmax_backward(ds).passed
    ✔ check_softmax_backward: all 7 cases passed. Well done!
    True
    """
    return run_battery("check_softmax_backward", fn, _backward_cases(), _backward_hint,
                       exception_hint=_backward_exception_hint)


# --------------------------------------------------------------------------------------------
# The capstone: your functions run the model
# --------------------------------------------------------------------------------------------

def _lessons_text(names):
    return ", ".join(f"{name} (lesson {_fns.LESSON_FUNCTIONS[name][1]})" for name in names)


def _lesson_of_step(step):
    return next(f"{name} (lesson {lesson})" for name, (s, lesson) in _fns.LESSON_FUNCTIONS.items() if s == step)


@guarded("check_your_model")
def check_your_model(softmax=None, logsumexp=None, cross_entropy_grad=None, top_p=None, attention=None,
                     online_logsumexp=None, softmax_backward=None):
    """The capstone: the transformer trains and writes on the learner's own functions.

    Parameters
    ----------
    softmax, logsumexp, cross_entropy_grad, top_p, attention, online_logsumexp, softmax_backward : callable
        The functions of lessons 01, 05, 04, 06, 08, 09 and 12, called as those lessons call them
        (:data:`softmax_lab.transformer_functions.LESSON_FUNCTIONS`); every one is expected.

    Returns
    -------
    CheckResult
        Passed when all are written, the 30-step run follows the recorded loss curve within
        :data:`softmax_lab.transformer_training.CAPSTONE_TOLERANCE` nats at every step, and no
        plugged function ever disagreed with the package's on the model's live inputs. Otherwise
        the hint names the function that broke it, and its lesson. An exception raised inside the
        model (by a learner's function, or by numbers it broke) is reported, never raised.
    """
    name = "check_your_model"
    functions = dict(softmax=softmax, logsumexp=logsumexp, cross_entropy_grad=cross_entropy_grad, top_p=top_p,
                     attention=attention, online_logsumexp=online_logsumexp, softmax_backward=softmax_backward)
    missing = [n for n, f in functions.items() if f is None]
    if missing:
        return finish(CheckResult(name, False, f"✘ {name}: expected all seven functions; missing {', '.join(missing)}.",
                                  hint="pass each function by its name: check_your_model(softmax=my_softmax, "
                                       "logsumexp=my_logsumexp, ...)."))
    not_functions = [n for n, f in functions.items() if not callable(f)]
    if not_functions:
        return finish(CheckResult(name, False, f"✘ {name}: not a function: {', '.join(not_functions)}.",
                                  hint="pass the functions themselves, without calling them: softmax=my_softmax, "
                                       "not softmax=my_softmax(z)."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")              # a wrong function's warnings: its numbers show it
            steps, unwritten = _fns.lesson_functions(**functions)
            run = None if unwritten else _tt.capstone_run(_fns.checked_functions(**steps))
    except (Exception, SystemExit) as exc:   # raised inside the model on the learner's functions: report it
        return finish(CheckResult(
            name, False, f"✘ {name}: the model stopped on your functions: {label_of(exc)}: "
                         f"{safe_repr(_text_of(exc), 300)}",
            hint="one of your functions raised, or returned something that is not an array of numbers of the "
                 "right shape. Run each lesson's check on it again."))
    if unwritten:
        return finish(CheckResult(
            name, False, f"… {name}: not attempted yet: still stubs: {_lessons_text(unwritten)}. Paste "
                         "your solutions from those lessons (or write them again), run the cell, then this "
                         "check again.", attempted=False))
    return finish(_verdict(name, run, len(steps)))


def _text_of(exc):
    try:
        return str(exc)
    except Exception:  # a learner's exception whose __str__ raises
        return "(an exception whose text cannot be shown)"


def _verdict(name, run, n_functions):
    if not run.broken and run.follows_reference:
        return CheckResult(
            name, True, f"✔ {name}: all {n_functions} of your functions ran the model; the "
                        f"{len(run.losses)}-step run stayed within {_tt.CAPSTONE_TOLERANCE:g} nats of the "
                        "recorded curve. Your softmax runs a transformer!")
    rows = {row["function"]: row for row in run.report}
    lines = [f"✘ {name}: the model did not run right on your functions."]
    if run.error:
        lines.append(f"  the run {run.error}")
    lines.append(f"  largest gap to the recorded loss curve: {run.gap:.3g} nats")
    for step in run.broken:
        lines.append(f"  broken: {_lesson_of_step(step)}: {rows[step]['first_mismatch']}")
    if run.broken:
        hint = (f"fix {_lesson_of_step(run.broken[0])} first: its output differed from the package's on the "
                "model's own inputs. Run that lesson's check on it again.")
    elif run.error:
        hint = "one of your functions raised inside the model: the message above names it."
    else:
        hint = "every function agreed with the package's, yet the curve drifted: rerun the cell from the top."
    return CheckResult(name, False, "\n".join(lines), hint=hint)
