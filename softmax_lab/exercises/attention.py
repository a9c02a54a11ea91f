r"""Lesson 08: the predictions of the lesson, checking a learner's masked scaled dot-product attention,
and the entropy question."""

import functools
import math

import numpy as np

from ..attention import attention_entropy, causal_mask, scaled_dot_product_attention, softmax_one, tiled_attention_steps
from ..functions import softmax
from ._answers import Question, judge_answer, register_answer
from ._machinery import (
    MAX_SHIFT_HINT,
    ROW_MAX_HINT,
    Case,
    CheckResult,
    as_number,
    finish,
    first_matching,
    guarded,
    nonfinite,
    plain,
    quiet,
    run_battery,
    unknown,
)
from .predict import register_prediction

# --------------------------------------------------------------------------------------------
# Lesson 08: the "Predict first" questions, computed from the lesson's own sentence and functions
# --------------------------------------------------------------------------------------------


def _sentence(d, weight_scale=1.0):
    """The queries and keys of the lesson's sentence, as its dashboards compute them."""
    from ..widgets.attention import SENTENCE, sentence_queries_keys  # the dashboards' own (imports ipywidgets)

    return sentence_queries_keys(SENTENCE, d, weight_scale)


def _collapse(weight_scale, **options):
    """(weights, mean entropy, gradient size) of the entropy-collapse dashboard."""
    from ..widgets.attention import collapse_stats  # imported when an answer is revealed, not with the package

    return collapse_stats(weight_scale, **options)


def _sentence_weights(d, scale):
    """The sentence's attention weights at query/key length ``d``, scores multiplied by ``scale``."""
    q, k = _sentence(d)
    return softmax(q @ k.T * scale)


def _falls_at_every_step(dims=(16, 64, 256, 1024), scale=1.0):
    means = [float(np.mean(attention_entropy(_sentence_weights(d, scale)))) for d in dims]
    return bool(np.all(np.diff(means) < 0))


def _one_hot_rows(d=1024, scale=1.0, share=0.99):
    return int(np.sum(_sentence_weights(d, scale).max(axis=-1) > share))


def _causal_weights():
    q, k = _sentence(16)
    return scaled_dot_product_attention(q, k, np.eye(len(q)), mask=causal_mask(len(q)))[1]


def _trend(before, after, rel=0.1):
    """'grow', 'stay about the same' or 'shrink': how ``after`` compares with ``before``."""
    if abs(after - before) <= rel * abs(before):
        return "stay about the same"
    return "grow" if after > before else "shrink"


def _ell_drop_block():
    """The block (1, 2, ...) after which the running sum l of the query of 'sat' falls (section 7)."""
    q, k = _sentence(16)
    ells = [float(step.ell[0, 0]) for step in tiled_attention_steps(q[[3]], k, np.eye(len(k)), block_size=2)]
    drops = [i + 1 for i in range(1, len(ells)) if ells[i] < ells[i - 1]]
    return drops[0] if drops else 0


def _walk_distances(n_queries=6, n_keys=24, block_size=4, seed=8):
    """max |partial output - reference| after each block of a tiled walk shaped like the lesson's."""
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((n_queries, 8)) * 2
    k, v = rng.standard_normal((n_keys, 8)), rng.standard_normal((n_keys, 4))
    reference, _ = scaled_dot_product_attention(q, k, v)
    return [float(np.abs(step.output - reference).max()) for step in tiled_attention_steps(q, k, v, block_size)]


def _blocks_until_exact():
    return next((i for i, gap in enumerate(_walk_distances(), start=1) if gap < 1e-12), 0)


LARGEST_G = 10 ** 1.5       # the right end of the entropy-collapse dashboard's slider

register_prediction(
    "08.spread-growth", question="how many times larger the spread of q.k is at d = 1024 than at d = 16 "
                                 "(to the nearest whole number)",
    kind="number", answer=lambda: math.sqrt(1024) / math.sqrt(16), tol=0.5,
    explain="the variances of d independent products add up: the spread is sqrt(d), and sqrt(1024) / sqrt(16) = 8.")
register_prediction(
    "08.scaled-spread", question="the spread of q.k / sqrt(d) at d = 1024, to 1 decimal",
    kind="number", answer=1.0, tol=0.1,
    explain="a spread of sqrt(d) divided by sqrt(d) is 1, at every d.")
register_prediction(
    "08.scale-one-every-step", question="with scale factor 1, does the mean entropy fall at every step "
                                        "d = 16, 64, 256, 1024 (yes/no)",
    kind="yesno", answer=_falls_at_every_step,
    explain="no: the trend is down, but one sentence of 8 rows is one draw, and a wider d can flatten a row too.")
register_prediction(
    "08.one-hot-rows", question="at d = 1024 with scale factor 1, how many of the 8 rows put more than 99% "
                                "of their weight on one key (a whole number)",
    kind="count", answer=_one_hot_rows,
    explain="most, not all: a row whose two best scores happen to be close still shares its weight.")
register_prediction(
    "08.above-diagonal", question="the weights above the diagonal: 'small' or 'exactly 0'",
    kind="choice", choices=("small", "exactly 0"),
    answer=lambda: "exactly 0" if np.all(np.triu(_causal_weights(), 1) == 0) else "small",
    explain="exp(-inf) is exactly 0 in floating point, whatever the other scores are.")
register_prediction(
    "08.causal-row-sum", question="what each row of the masked weights sums to (between 0 and 1, to 2 decimals)",
    kind="share", answer=lambda: float(_causal_weights().sum(axis=-1).min()), tol=0.01,
    explain="1: the mask does not remove weight, it moves it to the keys a query may see.")
register_prediction(
    "08.first-word-weight", question="the weight the first word gives to itself (between 0 and 1, to 2 decimals)",
    kind="share", answer=lambda: float(_causal_weights()[0, 0]), tol=0.01,
    explain="1: the first word may see only itself, so all of its weight lands there.")
register_prediction(
    "08.collapse-entropy", question="as g goes from 0.3 to 30, does the mean entropy 'grow', 'stay about the same' "
                                    "or 'shrink'",
    kind="choice", choices=("grow", "stay about the same", "shrink"),
    answer=lambda: _trend(_collapse(0.3)[1], _collapse(30.0)[1]),
    explain="it shrinks towards 0: scores that grow like g^2 are a temperature falling towards 0.")
register_prediction(
    "08.collapse-jacobian", question="as g goes from 0.3 to 30, does the size of the Jacobian 'grow', "
                                     "'stay about the same' or 'shrink'",
    kind="choice", choices=("grow", "stay about the same", "shrink"),
    answer=lambda: _trend(_collapse(0.3)[2], _collapse(30.0)[2]),
    explain="it shrinks: a row that is nearly one-hot barely moves when its scores move.")
register_prediction(
    "08.qk-norm-curve", question="with QK-norm, is the entropy curve 'flat', 'still falling' or 'rising'",
    kind="choice", choices=("flat", "still falling", "rising"),
    answer=lambda: "flat" if abs(_collapse(0.1, qk_norm=True)[1] - _collapse(LARGEST_G, qk_norm=True)[1]) < 1e-3
    else "still falling",
    explain="flat: after normalising, q and k have the same size whatever g is, so the scores cannot grow.")
register_prediction(
    "08.cap-largest-weight", question="the largest weight one key can get in a row of 8 when every score lies "
                                      "between -5 and 5 (between 0 and 1, to 4 decimals)",
    kind="share", answer=lambda: float(softmax(np.array([5.0] + [-5.0] * 7))[0]), tol=0.0005,
    explain="e^10 / (e^10 + 7) = 0.9997: a gap of 10 is as good as one-hot.")
register_prediction(
    "08.cap-entropy-stays", question="with a cap of 5 at the largest g, is the mean entropy still above 1 bit "
                                     "(yes/no)",
    kind="yesno", answer=lambda: _collapse(LARGEST_G, cap=5.0)[1] > 1.0,
    explain="yes, but not because the cap stops collapse: many scores saturate at the cap and tie.")
register_prediction(
    "08.cap-gradient-stays", question="with a cap of 5 at the largest g, is the gradient size still above 0.05 "
                                      "(yes/no)",
    kind="yesno", answer=lambda: _collapse(LARGEST_G, cap=5.0)[2] > 0.05,
    explain="no: tanh is flat where it saturates, so the capped scores no longer move at all.")
register_prediction(
    "08.plain-bars", question="as c falls, do the plain softmax's bars 'shrink', 'stay the same' or 'grow'",
    kind="choice", choices=("shrink", "stay the same", "grow"),
    answer=lambda: "stay the same" if np.allclose(softmax(np.arange(8.0) - 8.0), softmax(np.arange(8.0)))
    else "shrink",
    explain="adding the same number to every score changes no difference between them (lesson 01).")
register_prediction(
    "08.sink-weight", question="where the second version's weight goes as c falls: 'onto <s>', "
                               "'evenly over the keys' or 'nowhere'",
    kind="choice", choices=("onto <s>", "evenly over the keys", "nowhere"),
    answer=lambda: "onto <s>" if softmax(np.array([2.0] + [-8.0] * 7))[0] > 0.99 else "evenly over the keys",
    explain="onto <s>: its score stays at 2 while every other score falls, so the weight drains onto it.")
register_prediction(
    "08.softmax-one-total", question="the total weight of softmax_one as c falls: 'stay 1', 'fall towards 0' "
                                     "or 'grow'",
    kind="choice", choices=("stay 1", "fall towards 0", "grow"),
    answer=lambda: "fall towards 0" if softmax_one(np.zeros(8) - 8.0).sum() < 0.01 else "stay 1",
    explain="the invisible extra key keeps its score 0: as the real scores fall, it takes almost everything.")
register_prediction(
    "08.ell-drop-block", question="the block (1 to 4) after which l is smaller than before (a whole number)",
    kind="count", answer=_ell_drop_block,
    explain="the block with a new, much larger maximum: every old term is multiplied by exp(m - m') < 1.")
register_prediction(
    "08.first-block-close", question="after the first block, is the partial output close to the final one (yes/no)",
    kind="yesno", answer=lambda: _walk_distances()[0] < 0.1,
    explain="no: it is exact attention, but over the first 4 of the 24 keys only.")
register_prediction(
    "08.exact-after-blocks", question="after how many of the 6 blocks the output equals the reference, to "
                                      "rounding (a whole number)",
    kind="count", answer=_blocks_until_exact,
    explain="6: every key carries some weight, so the output is exact only when the last block is in.")

# --------------------------------------------------------------------------------------------
# Exercise 1: masked scaled dot-product attention
# --------------------------------------------------------------------------------------------

FORMULA = "softmax(np.where(mask, q @ k^T / sqrt(d), -np.inf), axis=-1) @ v, with d = q.shape[-1]"

HINTS = {
    "no_scale": ("divide the scores by sqrt(d), where d = q.shape[-1] is the length of each query: "
                 "q @ k^T / np.sqrt(d). Without it the scores spread out as d grows and the softmax "
                 "saturates onto one key."),
    "scale_d": "divide by the SQUARE ROOT of d, not by d itself: np.sqrt(q.shape[-1]).",
    "scale_mul": "divide the scores by sqrt(d); multiplying by it sharpens the softmax instead of calming it.",
    "d_axis": ("d is the length of each query and key vector, the LAST axis of q: q.shape[-1], not the "
               "number of queries or keys (k.shape[1] is the number of keys when k has a leading axis of heads)."),
    "d_heads": ("d is the length of each query and key vector, the LAST axis: q.shape[-1]. With a leading axis "
                "of heads, q.shape[0] and k.shape[0] count the heads."),
    "d_values": ("d is the length of the queries and keys, q.shape[-1], not of the values (v.shape[-1] = d_v "
                 "sets only the width of the output)."),
    "mask_index": ("the mask only BROADCASTS to the scores' shape (a padding mask has shape (n_k,), one mask can "
                   "serve every head), so scores[~mask] = -np.inf fails or picks the wrong entries: use "
                   "np.where(mask, scores, -np.inf), which broadcasts."),
    "mask_after": ("mask the scores BEFORE the softmax: np.where(mask, scores, -np.inf), then softmax. "
                   "Zeroing weights after the softmax leaves rows that no longer sum to 1."),
    "mask_1e9": ("use -np.inf for a masked score, not a large negative number such as -1e9: here the real "
                 "scores are below -1e9, so the 'masked' key wins. -inf is below every number, and "
                 "exp(-inf) is exactly 0."),
    "mask_zero": ("a masked score must become -inf, not 0: exp(0) = 1 still gives the key some weight, "
                  "exp(-inf) = 0 gives it none."),
    "mask_ignored": ("apply the mask: where mask is False the query may not look at that key, so set "
                     "those scores to -np.inf before the softmax."),
    "mask_inverted": ("True in the mask means the query MAY attend to the key: keep the scores where mask "
                      "is True and put -np.inf where it is False."),
    "mask_added": ("the mask is boolean, not additive: scores + mask adds 1 or 0 to the scores. Use "
                   "np.where(mask, scores, -np.inf)."),
    "wrong_axis": ("the softmax runs over the KEYS, the last axis of the scores (axis=-1): each query's "
                   "weights must sum to 1, not each key's."),
    "k_not_transposed": ("the scores are q @ k^T: transpose k so that every query meets every key "
                         "(np.swapaxes(k, -1, -2), or k.T for a single head)."),
    "k_T_batch": ("for a batch of heads, transpose only the last two axes of k: np.swapaxes(k, -1, -2). "
                  "k.T reverses ALL the axes, mixing up the heads."),
    "weights_T": "the output is weights @ v, with weights of shape (n_q, n_k); not weights.T @ v.",
    "no_v": "that looks like the attention weights: the output is weights @ v, a weighted average of the values.",
    "keepdims": ("keepdims=True on the row maximum: np.max(scores, axis=-1, keepdims=True). Without it the "
                 "maxima broadcast across the columns, and each row is shifted by other rows' maxima."),
    "sum_all": ("normalise each row on its own: np.sum(e, axis=-1, keepdims=True). A sum over the whole "
                "array makes all the weights together sum to 1, instead of each query's."),
    "nan_mask": ("NaN appeared where the answer is a number. A common cause: combining the mask by arithmetic, "
                 "as in mask * scores + (1 - mask) * -np.inf, where 0 * -inf is NaN. Use "
                 "np.where(mask, scores, -np.inf). (The other one: exp overflowing, if the row maximum is "
                 "not subtracted.)"),
    "dot_batch": ("np.dot on batches pairs up the wrong axes; use the matrix product q @ np.swapaxes(k, -1, -2), "
                  "which treats the leading axes as a batch."),
}


def _softmax(s, axis=-1):
    """A plain stable softmax for the wrong variants (masked entries -inf; NaN where all are)."""
    m = np.max(s, axis=axis, keepdims=True)
    e = np.exp(s - np.where(np.isfinite(m), m, 0))
    return e / np.sum(e, axis=axis, keepdims=True)


def _attention(q, k, v, mask, *, scale=None, kt=None, fill=-np.inf, how="where", axis=-1, after=False,
               weights_t=False, shift="row"):
    """Attention with one thing changed, to recognise a typical mistake."""
    d = q.shape[-1]
    kt = np.swapaxes(k, -1, -2) if kt is None else kt
    s = (q @ kt) * (1 / math.sqrt(d) if scale is None else scale)
    if how == "where" and not after:
        s = np.where(mask, s, fill)
    elif how == "inverted":
        s = np.where(mask, fill, s)
    elif how == "added":
        s = s + mask
    if shift == "no_keepdims":               # the row maxima broadcast along the wrong axis
        e = np.exp(s - np.max(s, axis=-1))
        w = e / np.sum(e, axis=-1, keepdims=True)
    elif shift == "sum_all":
        e = np.exp(s - np.max(s, axis=-1, keepdims=True))
        w = e / np.sum(e, axis=(-2, -1), keepdims=True)
    elif shift == "row_then_axis":              # shifted by each row's maximum, summed down the columns
        e = np.exp(s - np.max(s, axis=-1, keepdims=True))
        w = e / np.sum(e, axis=-2, keepdims=True)
    elif shift == "none":
        e = np.exp(s)
        w = e / np.sum(e, axis=axis, keepdims=True)
    elif shift == "global":
        e = np.exp(s - np.max(s))
        w = e / np.sum(e, axis=axis, keepdims=True)
    else:
        w = _softmax(s, axis=axis)
    if after:
        w = w * mask
    if weights_t:
        w = np.swapaxes(w, -1, -2)
    return w @ v


def _mistakes(q, k, v, mask):
    d, n_q, n_k = q.shape[-1], q.shape[-2], k.shape[-2]
    wrong = [
        (lambda: _attention(q, k, v, mask, scale=1.0), "no_scale"),
        (lambda: _attention(q, k, v, mask, scale=1.0 / d), "scale_d"),
        (lambda: _attention(q, k, v, mask, scale=math.sqrt(d)), "scale_mul"),
        (lambda: _attention(q, k, v, mask, scale=1 / math.sqrt(n_q)), "d_axis"),
        (lambda: _attention(q, k, v, mask, scale=1 / math.sqrt(n_k)), "d_axis"),
        (lambda: _attention(q, k, v, mask, scale=1 / math.sqrt(k.shape[0])), "d_heads" if k.ndim > 2 else "d_axis"),
        (lambda: _attention(q, k, v, mask, scale=1 / math.sqrt(v.shape[-1])), "d_values"),
        (lambda: _attention(q, k, v, mask, after=True), "mask_after"),
        (lambda: _attention(q, k, v, mask, fill=-1e9), "mask_1e9"),
        (lambda: _attention(q, k, v, mask, fill=0.0), "mask_zero"),
        (lambda: _attention(q, k, v, mask, how="none"), "mask_ignored"),
        (lambda: _attention(q, k, v, mask, how="inverted"), "mask_inverted"),
        (lambda: _attention(q, k, v, mask, how="added"), "mask_added"),
        (lambda: _attention(q, k, v, mask, axis=-2), "wrong_axis"),
        (lambda: _attention(q, k, v, mask, shift="row_then_axis"), "wrong_axis"),
        (lambda: _attention(q, k, v, mask, shift="sum_all"), "sum_all"),
        (lambda: _attention(q, k, v, mask, shift="no_keepdims"), "keepdims"),
        (lambda: _attention(q, k, v, mask, kt=k), "k_not_transposed"),
        (lambda: _attention(q, k, v, mask, kt=k.T), "k_T_batch"),
        (lambda: _attention(q, k, v, mask, weights_t=True), "weights_t"),
        (lambda: _attention(q, k, v, mask, shift="none"), "no_shift"),
        (lambda: _attention(q, k, v, mask, shift="global"), "global_max"),
    ]
    out = []
    for make, key in wrong:
        try:
            answer = quiet(make)
        except (ValueError, IndexError):     # shapes that do not fit for this variant
            continue
        if np.isnan(answer).all():          # says nothing (e.g. an inverted mask that hides every key)
            continue
        hint = {"no_shift": MAX_SHIFT_HINT, "global_max": ROW_MAX_HINT, "weights_t": HINTS["weights_T"]}.get(
            key, HINTS.get(key))
        out.append((answer, hint))
    return out


@functools.lru_cache(maxsize=1)   # the cases never change: build them once
def _attention_cases():
    rng = np.random.default_rng(8)
    normal = rng.standard_normal
    tril = causal_mask(4) == 0
    cases = []

    def add(what, q, k, v, mask, tag, **tol):
        expected, _ = scaled_dot_product_attention(q, k, v, mask=mask)
        cases.append(Case(what, (q, k, v, mask), expected, tag, **tol))

    add("three queries, three keys, d = 3; each query may see two of the keys",
        np.array([[1.0, 0.0, 1.0], [0.0, 2.0, 0.0], [1.0, -1.0, 0.0]]),
        np.array([[1.0, 1.0, 0.0], [2.0, -1.0, 1.0], [0.0, 1.0, 3.0]]),
        np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
        np.array([[True, True, False], [False, True, True], [True, False, True]]), "mask")
    add("a causal mask: each of 4 tokens sees itself and the past (d = 4)",
        normal((4, 4)), normal((4, 4)), normal((4, 2)), tril, "mask")
    random_mask = rng.random((3, 5)) < 0.5
    random_mask[:, 0] = True
    add("3 queries, 5 keys, d = 4, some keys masked per query",
        normal((3, 4)), normal((5, 4)), normal((5, 2)), random_mask, "mask")
    add("a padding mask of shape (n_k,): the last 2 of 6 keys are padding, for every query",
        normal((3, 8)), normal((6, 8)), normal((6, 3)), np.array([True] * 4 + [False] * 2), "mask")
    add("4 heads at once: q (4, 3, 4), k (4, 4, 4), v (4, 4, 2), one causal mask (3, 4) for all heads",
        normal((4, 3, 4)), normal((4, 4, 4)), normal((4, 4, 2)), causal_mask(3, 4) == 0, "batch")
    add("large scores (about 1800): exp of them overflows",
        np.full((2, 4), 30.0), np.array([[30.0] * 4, [29.0] * 4, [-30.0] * 4]), normal((3, 2)),
        np.ones((2, 3), bool), "overflow")
    add("one query with scores near +1000, another near -1000",
        np.array([[40.0, 40.0], [-40.0, -40.0]]), np.array([[18.0, 18.0], [17.0, 17.0]]),
        np.array([[1.0, 0.0], [0.0, 1.0]]), np.ones((2, 2), bool), "row_max")
    add("scores far below -1e9, and the masked key has the highest score",
        np.array([[1e5]]), np.array([[-1e5], [-2e5], [1e5]]), np.array([[1.0], [2.0], [3.0]]),
        np.array([[True, True, False]]), "mask")
    wide = rng.random((2, 64)) < 0.3
    wide[:, 5] = True
    add("a wide row: 2 queries, 64 keys, d = 8, random mask",
        normal((2, 8)), normal((64, 8)), normal((64, 4)), wide, "mask")
    f32 = np.float32
    add("float32 inputs, causal mask",
        normal((4, 4)).astype(f32), normal((4, 4)).astype(f32), normal((4, 2)).astype(f32), tril, "float32",
        rtol=1e-4, atol=1e-5)
    for what, q, k, v, mask in _random_attention_inputs():
        add(what, q, k, v, mask, "batch")
    return cases


def _random_attention_inputs(seed=18):
    """Randomised cases (seeded): heads, queries, keys, d and d_v all of different sizes (so d is
    found only on the LAST axis), a causal mask shared by every head, and a padding mask (n_k,)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(2):
        h, n_q, n_k, d, d_v = (int(n) for n in rng.choice(np.arange(2, 8), size=5, replace=False))
        n_q, n_k = min(n_q, n_k), max(n_q, n_k)          # the queries are the last n_q of the n_k positions
        q, k, v = rng.normal(size=(h, n_q, d)), rng.normal(size=(h, n_k, d)), rng.normal(size=(h, n_k, d_v))
        out.append((f"random: {h} heads, {n_q} queries, {n_k} keys, d = {d}, d_v = {d_v}, a causal mask for all "
                    "heads", q, k, v, causal_mask(n_q, n_k) == 0))
        pad = np.arange(n_k) < max(1, n_k - int(rng.integers(1, n_k)))
        out.append((f"random: {h} heads, {n_q} queries, {n_k} keys, d = {d}, a padding mask of shape ({n_k},)",
                    q, k, v, pad))
    return out


def _attention_exception_hint(case, exc):
    if isinstance(exc, IndexError) and "boolean" in str(exc):
        return HINTS["mask_index"]
    return None


def _attention_hint(case, got, outcome):
    q, k, v, mask = case.args
    expected = np.asarray(case.expected)
    if got.shape != expected.shape:
        weights_shape = expected.shape[:-1] + (k.shape[-2],)
        if got.shape == weights_shape:
            return HINTS["no_v"]
        if got.ndim > expected.ndim:
            return HINTS["dot_batch"]
        if got.shape[-2:] == (k.shape[-2], v.shape[-1]):
            return HINTS["weights_T"]
        return (f"the output should have shape {expected.shape}: (..., n_q, d_v), one row of length "
                f"d_v = v.shape[-1] per query. Got {got.shape}.")
    known = first_matching(got, _mistakes(q.astype(np.float64), k.astype(np.float64), v.astype(np.float64),
                                          mask), expected)
    if known:
        return known
    if nonfinite(got, expected):
        if case.tag in ("row_max", "overflow"):
            return ROW_MAX_HINT if case.tag == "row_max" else MAX_SHIFT_HINT
        return HINTS["nan_mask"]
    return unknown(f"masked scaled dot-product attention is {FORMULA}.")


@guarded("check_attention")
def check_attention(fn):
    r"""Check a learner's masked scaled dot-product attention ``fn(q, k, v, mask)``.

    Parameters
    ----------
    fn : callable
        Called as ``fn(q, k, v, mask)`` with ``q`` of shape (..., n_q, d), ``k`` (..., n_k, d),
        ``v`` (..., n_k, d_v) and a boolean ``mask`` that broadcasts to (..., n_q, n_k)
        (True = the query may attend to the key). Must return the output, shape (..., n_q, d_v).

    Returns
    -------
    CheckResult

    Notes
    -----
    .. math:: O = \mathrm{softmax}\!\left(\frac{Q K^\top}{\sqrt{d}} \text{ with masked scores }
              -\infty\right) V

    The battery has a causal mask, a padding mask, several heads at once, huge scores, scores
    below -1e9 and float32, then seeded random cases in which the numbers of heads, queries and
    keys and the lengths d and d_v all differ (so only ``q.shape[-1]`` gives d). Typical mistakes
    get their own hint: a missing scale, dividing by d, a mask applied after the softmax or with 0
    or -1e9 instead of -inf, the softmax over the wrong axis, k not transposed (or ``k.T`` on a
    batch), no max shift, and more.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_lab import softmax
    >>> def attention(q, k, v, mask):
    ...     scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    ...     return softmax(np.where(mask, scores, -np.inf), axis=-1) @ v
    >>> check_attention(attention).passed
    ✔ check_attention: all 14 cases passed. Well done!
    True
    """
    return run_battery("check_attention", fn, _attention_cases(), _attention_hint,
                       exception_hint=_attention_exception_hint)


# --------------------------------------------------------------------------------------------
# Exercise 2: predict the entropy of a row
# --------------------------------------------------------------------------------------------

def mean_row_entropy(d, n_keys=16, scaled=True, rows=20000, seed=0):
    r"""The average entropy, in bits, of one query's attention weights over ``n_keys`` random keys.

    Queries and keys have ``d`` independent N(0, 1) entries; the scores are :math:`q \cdot k`,
    divided by :math:`\sqrt{d}` if ``scaled``. Given q, each score is normal with variance
    :math:`|q|^2` (unscaled), so a row of scores is drawn exactly as
    :math:`|q| \cdot N(0, 1)` with :math:`|q|^2 \sim \chi^2_d`: cheap even for large d.

    Examples
    --------
    >>> round(mean_row_entropy(64), 1), round(mean_row_entropy(4096), 1)     # scaled: about the same
    (3.4, 3.4)
    >>> round(mean_row_entropy(4096, scaled=False), 2)                        # unscaled: collapsed
    0.07
    """
    rng = np.random.default_rng(seed)
    norm = np.sqrt(rng.chisquare(d, rows))[:, None]
    scores = norm * rng.standard_normal((rows, n_keys))
    if scaled:
        scores /= math.sqrt(d)
    return float(np.mean(attention_entropy(softmax(scores))))


@functools.lru_cache(maxsize=16)
def _entropy(d, n_keys, scaled):
    return mean_row_entropy(d, n_keys, scaled)


def _entropy_question(key, d, n_keys, scaled, tol):
    """A predicted mean row entropy, in bits, judged against :func:`mean_row_entropy`."""
    top = math.log2(n_keys)

    def judge(value):
        truth = _entropy(d, n_keys, scaled)
        if abs(value - truth) <= tol:
            return True, f"right! The measured average is {truth:.2f} bits (at most log2({n_keys}) = {top:.3g})", ""
        other = _entropy(d, n_keys, not scaled)
        if value < 0:
            hint = "an entropy is never negative: 0 bits is all the weight on one key."
        elif value > top + 1e-9:
            hint = (f"{n_keys} keys can hold at most log2({n_keys}) = {top:.3g} bits, when every key gets the "
                    "same weight.")
        elif abs(value - other) <= tol:
            hint = (("that is the entropy WITHOUT the 1/sqrt(d) scale. With it, the scores have a spread "
                     "of about 1 whatever d is.") if scaled else
                    "that is the entropy WITH the 1/sqrt(d) scale; without it the scores spread like sqrt(d).")
        elif abs(value - top) <= tol:
            hint = ("equal weights need equal scores, but the scores are random with a spread of about "
                    + ("1: some keys get clearly more weight than others." if scaled else "sqrt(d)."))
        elif scaled:
            where = ("section 2's table of entropies measures exactly this, rows of 16 keys, for several d" if
                     n_keys == 16 else f"measure it at a small d, over {n_keys} keys as here")
            hint = ("after dividing by sqrt(d) the scores have a standard deviation of about 1 for every d, so "
                    f"the entropy of a row of {n_keys} keys does not depend on d ({where}).")
        else:
            hint = ("without the scale, the scores have a standard deviation of sqrt(d) = "
                    f"{math.sqrt(d):.0f}: the largest score beats the next one by a wide margin.")
        return False, f"{value:.4g} bits is not right yet", hint

    return Question(key, "check_entropy_prediction", f"the mean entropy of a row at d = {d}", "number",
                    judge=judge, precision=f"a number of bits, within {tol:g} of the measured average")


_q = _entropy_question("08.entropy-at-4096", 4096, 16, True, 0.2)
register_answer(_q.key, _q.name, _q.question, judge=_q.judge, precision=_q.precision)


@guarded("check_entropy_prediction")
def check_entropy_prediction(answer, d=4096, n_keys=16, scaled=True, tol=0.2):
    r"""Check a predicted average entropy (in bits) of one query's attention over random keys.

    Lesson 08's exercise (d = 4096, 16 keys, scaled) is also ``check_answer("08.entropy-at-4096", x)``.

    Parameters
    ----------
    answer : float or None
        The learner's prediction in bits (``None`` while not attempted).
    d : int, default 4096
        The length of the query and key vectors (entries N(0, 1)).
    n_keys : int, default 16
        How many keys each query attends over.
    scaled : bool, default True
        Whether the scores are divided by :math:`\sqrt{d}`.
    tol : float, default 0.2
        How close (in bits) the prediction must be to the measured value.

    Returns
    -------
    CheckResult
        The true value is never printed; the hint says which way to think.

    Examples
    --------
    >>> check_entropy_prediction(None).attempted
    … check_entropy_prediction: not attempted yet: replace None with your answer, then run this check again.
    False
    >>> check_entropy_prediction(3.4).passed
    ✔ check_entropy_prediction: right! The measured average is 3.40 bits (at most log2(16) = 4). Well done!
    True
    """
    d, n_keys, scaled, tol = plain(d), plain(n_keys), plain(scaled), as_number(plain(tol))
    if not (type(d) is int and 1 <= d <= 10**6 and type(n_keys) is int and 2 <= n_keys <= 10**4
            and tol is not None and 0 < tol < math.inf and isinstance(scaled, bool)):
        return finish(CheckResult("check_entropy_prediction", False, "✘ check_entropy_prediction: d and n_keys "
                                  "must be whole numbers (n_keys >= 2), tol a number > 0, scaled True or False.",
                                  hint="leave them out: check_entropy_prediction(my_prediction, d=4096)."))
    return judge_answer(_entropy_question(None, d, n_keys, bool(scaled), float(tol)), answer)
