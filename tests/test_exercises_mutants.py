"""Every self-check against a corpus of WRONG solutions made by mutating its reference solution.

For each check of a learner's function there is a reference solution, written here independently
of softmax_lab (it must pass), a few valid variants (they must pass too), and mutants: the
reference with ONE thing changed, the way a learner gets it wrong (an off-by-one, the wrong axis,
a missing shift, a transposed product, the wrong normaliser, ``K = y.max() + 1``, ``d =
k.shape[1]``, joining all the blocks, ...). Every mutant must be rejected, and its hint must name
its mistake (``expect`` is a fragment of that hint) or say plainly that the check does not know
what went wrong (``UNKNOWN``): a hint about something else is a failure of the check.

The corpus is plain data (``CORPUS``, ``VALID``) so that ``tools``-free scripts can run it against
another version of the package (the report of this change ran it against the previous checks).
"""

import math

import numpy as np
import pytest

from softmax_lab import exercises as ex

UNKNOWN = "this check does not recognise the mistake"   # the start of every hint that names no mistake
NEG_INF = -np.inf


def _stable(z, axis=-1):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _quiet(fn):
    """The learner silenced numpy's warnings (the answer is still wrong)."""
    def learner(*args):
        with np.errstate(all="ignore"):
            return fn(*args)
    learner.__name__ = getattr(fn, "__name__", "learner")
    return learner


# --------------------------------------------------------------------------------------------
# Lesson 01: softmax
# --------------------------------------------------------------------------------------------

def softmax_ref(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _shifted(reduce):
    def learner(z):
        finite = np.where(np.isfinite(z), z, np.nan)
        e = np.exp(z - reduce(finite, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)
    return learner


def softmax_axis1(z):
    if z.ndim == 1:
        return softmax_ref(z)
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def softmax_in_place(z):
    z -= np.max(z, axis=-1, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)


SOFTMAX = [
    ("no max shift", lambda z: np.exp(z) / np.sum(np.exp(z), axis=-1, keepdims=True), "subtract the maximum before"),
    ("one maximum for the whole batch", lambda z: np.exp(z - np.max(z)) / np.sum(np.exp(z - np.max(z)), axis=-1,
                                                                                   keepdims=True), "own maximum"),
    ("shift by the minimum", _shifted(np.nanmin), "not the minimum"),
    ("shift by the mean", _shifted(np.nanmean), "not its mean"),
    ("shift by the largest |z|", lambda z: _shifted(lambda a, **k: np.nanmax(np.abs(a), **k))(z), "absolute value"),
    ("softmax over axis 0", lambda z: _stable(z, axis=0), "sum along the last axis"),
    ("axis 1 hard-coded", softmax_axis1, "sum along the last axis"),
    ("one sum for the whole batch", lambda z: np.exp(z - np.max(z, -1, keepdims=True))
     / np.sum(np.exp(z - np.max(z, -1, keepdims=True))), "sum along the last axis"),
    ("transposed", lambda z: softmax_ref(z.T).T, "sum along the last axis"),
    ("maximum without keepdims", lambda z: softmax_ref(z) if z.ndim == 1 else
     np.exp(z - np.max(z, -1)) / np.sum(np.exp(z - np.max(z, -1)), -1, keepdims=True), "keepdims=True"),
    ("sum without keepdims", lambda z: np.exp(z - np.max(z, -1, keepdims=True))
     / np.sum(np.exp(z - np.max(z, -1, keepdims=True)), axis=-1), "keepdims=True"),
    ("no exp", lambda z: z / np.sum(z, axis=-1, keepdims=True), "exponentiate first"),
    ("not normalised", lambda z: np.exp(z - np.max(z, -1, keepdims=True)), "divide by the sum"),
    ("divided by the maximum", lambda z: (lambda e: e / np.max(e, -1, keepdims=True))(
        np.exp(z - np.max(z, -1, keepdims=True))), "divide by the sum"),
    ("shift on top only", lambda z: np.exp(z - np.max(z, -1, keepdims=True)) / np.sum(np.exp(z), -1, keepdims=True),
     "in the denominator too"),
    ("clipped logits", lambda z: softmax_ref(np.clip(z, -500, 500)), "clipping the logits"),
    ("log-softmax returned", lambda z: np.log(softmax_ref(z)), "log of the softmax"),
    ("mask replaced by 0", lambda z: softmax_ref(np.where(np.isneginf(z), 0.0, z)), "-inf is a mask"),
    ("off by one in the denominator", lambda z: (lambda e: e / (np.sum(e, -1, keepdims=True) + 1))(
        np.exp(z - np.max(z, -1, keepdims=True))), UNKNOWN),
    ("NaN patched afterwards", _quiet(lambda z: np.nan_to_num(np.exp(z) / np.sum(np.exp(z), -1, keepdims=True))),
     "do not sum to 1"),
    ("input changed in place", softmax_in_place, "changed the array"),
    ("first row only", lambda z: softmax_ref(z if z.ndim == 1 else z.reshape(-1, z.shape[-1])[0]), "shape"),
    ("three classes hard-coded", lambda z: softmax_ref(z.reshape(-1, 3)).reshape(z.shape), UNKNOWN),
    ("np.zeros_like for the result", lambda z: (lambda out: (out.__setitem__(Ellipsis, softmax_ref(z)), out)[1])(
        np.zeros_like(z)), "INTEGER array"),
]

# --------------------------------------------------------------------------------------------
# Lesson 02: a function that finds the temperature
# --------------------------------------------------------------------------------------------

def _search(steps=60, swapped=False, returns="mid", multiply=False, naive=False, linear=False):
    def find_temperature(logits, target):
        lo, hi = 1e-3, 1e3
        for _ in range(steps):
            mid = (lo + hi) / 2 if linear else math.sqrt(lo * hi)
            z = np.asarray(logits, dtype=float)
            if naive:
                p = np.exp(z / mid) / np.sum(np.exp(z / mid))
            else:
                p = softmax_ref(z * mid if multiply else z / mid)
            if (np.max(p) > target) != (swapped != multiply):
                lo = mid
            else:
                hi = mid
        return mid if returns == "mid" else target
    return find_temperature


TEMPERATURE = [
    ("multiplies by T", _search(multiply=True), "MULTIPLIED"),
    ("too few steps", _search(steps=8), "stopped too early"),
    ("update the wrong way round", _search(swapped=True), "only ever moved one way"),
    ("returns the target", _search(returns="target"), "target probability itself"),
    ("naive softmax inside the search", _search(naive=True), "softmax_lab.softmax(z, temperature=T)"),
    ("a fixed temperature", lambda logits, target: 1.0, "T is too"),
    ("a bracket from 0.1 to 10", lambda logits, target: _narrow(logits, target), "end of your search bracket"),
]


def _narrow(logits, target, lo=0.1, hi=10.0):
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if np.max(softmax_ref(np.asarray(logits, float) / mid)) > target else (lo, mid)
    return mid
TEMPERATURE_VALID = [("bisection on a linear scale", _search(linear=True, steps=100))]

# --------------------------------------------------------------------------------------------
# Lesson 03: log sigmoid
# --------------------------------------------------------------------------------------------

def log_sigmoid_ref(x):
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _zeros_like_learner(x):
    out = np.zeros_like(x)                       # an integer array for integer x
    pos = x >= 0
    out[pos] = -np.log1p(np.exp(-x[pos]))
    out[~pos] = x[~pos] - np.log1p(np.exp(x[~pos]))
    return out


LOG_SIGMOID = [
    ("textbook log(1 / (1 + exp(-x)))", lambda x: np.log(1 / (1 + np.exp(-x))), "exp(1000)"),
    ("textbook, warnings silenced", _quiet(lambda x: np.log(1 / (1 + np.exp(-x)))), "-inf"),
    ("log of a stable sigmoid", lambda x: np.log(_sigmoid(x)), "don't take the log of the sigmoid"),
    ("-log1p(exp(-x)) only", lambda x: -np.log1p(np.exp(-x)), "x - log(1 + exp(x))"),
    ("x - log1p(exp(x)) only", lambda x: x - np.log1p(np.exp(x)), "safe for x < 0 only"),
    ("np.where over two unsafe branches", lambda x: np.where(x >= 0, -np.log1p(np.exp(-x)),
                                                             x - np.log1p(np.exp(x))), "BOTH a and b"),
    ("clip before the log", lambda x: np.log(np.clip(_sigmoid(x), 1e-12, 1.0)), "floor"),
    ("epsilon before the log", lambda x: np.log(_sigmoid(x) + 1e-7), "floor"),
    ("the minus sign dropped", lambda x: -log_sigmoid_ref(x), "never positive"),
    ("log sigmoid(-x)", lambda x: log_sigmoid_ref(-np.asarray(x, dtype=float)), "mind the sign"),
    ("softplus(x)", lambda x: np.logaddexp(0, x), "softplus"),
    ("the sigmoid, no log", _sigmoid, "sigmoid(x) itself"),
    ("min(x, 0) forgotten", lambda x: -np.log1p(np.exp(-np.abs(x))), "dropped a term"),
    ("only min(x, 0)", lambda x: np.minimum(x, 0.0), "correction"),
    ("log10", lambda x: np.log10(_sigmoid(x)), "natural logarithm"),
    ("np.zeros_like on integer input", _zeros_like_learner, "INTEGER array"),
    ("a sum instead of one value per entry", lambda x: np.sum(log_sigmoid_ref(x)), "one value per entry"),
    ("log1p replaced by log(1 + tiny)", lambda x: np.minimum(x, 0) - np.log(1 + np.exp(-np.abs(x)) * 1.001), UNKNOWN),
    ("x below -10, 0 above 10", lambda x: np.where(x < -10, x, np.where(x > 10, 0.0, log_sigmoid_ref(x))),
     "only close"),
]

# --------------------------------------------------------------------------------------------
# Lesson 04: the gradient of the cross-entropy
# --------------------------------------------------------------------------------------------

def _one_hot(t, K):
    return np.eye(K)[t]


def ce_ref(z, t):
    return (_stable(z) - _one_hot(t, z.shape[-1])) / len(t)


def _ce_columns(z, t):
    y = np.zeros_like(z)
    y[:, t] = 1.0
    return (_stable(z) - y) / len(t)


def _ce_rows(z, t):
    g = _stable(z)
    g[t] -= 1.0
    return g / len(t)


CROSS_ENTROPY = [
    ("no 1/N", lambda z, t: _stable(z) - _one_hot(t, z.shape[-1]), "divide by N"),
    ("divided by K", lambda z, t: (_stable(z) - _one_hot(t, z.shape[-1])) / z.shape[-1], "not by K"),
    ("divided by N * K", lambda z, t: (_stable(z) - _one_hot(t, z.shape[-1])) / z.size, "N * K"),
    ("1/N on y only", lambda z, t: _stable(z) - _one_hot(t, z.shape[-1]) / len(t), "applies to the whole gradient"),
    ("one-hot by columns", _ce_columns, "row by row"),
    ("one-hot by rows", _ce_rows, "index both axes"),
    ("argmax as the target", lambda z, t: (_stable(z) - _one_hot(np.argmax(z, -1), z.shape[-1])) / len(t),
     "TARGET class"),
    ("logits instead of probabilities", lambda z, t: (z - _one_hot(t, z.shape[-1])) / len(t), "inputs are logits"),
    ("double softmax", lambda z, t: (_stable(_stable(z)) - _one_hot(t, z.shape[-1])) / len(t), "softmax once"),
    ("log-probabilities", lambda z, t: ((z - np.max(z, -1, keepdims=True)) - np.log(np.sum(np.exp(
        z - np.max(z, -1, keepdims=True)), -1, keepdims=True)) - _one_hot(t, z.shape[-1])) / len(t),
     "not the log-probabilities"),
    ("mask replaced by 0", lambda z, t: ce_ref(np.where(np.isneginf(z), 0.0, z), t), "keep -inf as it is"),
    ("one sum for the batch", lambda z, t: (np.exp(z - np.max(z, -1, keepdims=True))
                                            / np.sum(np.exp(z - np.max(z, -1, keepdims=True)))
                                            - _one_hot(t, z.shape[-1])) / len(t), "sum along the last axis"),
    ("computed in float32", lambda z, t: ce_ref(np.asarray(z, dtype=np.float32), t), "7 digits"),
    ("no max shift", lambda z, t: (np.exp(z) / np.sum(np.exp(z), -1, keepdims=True)
                                   - _one_hot(t, z.shape[-1])) / len(t), "subtract the maximum"),
    ("wrong sign", lambda z, t: -ce_ref(z, t), "mind the sign"),
    ("no target subtracted", lambda z, t: _stable(z) / len(t), "one-hot"),
    ("K = targets.max() + 1", lambda z, t: (_stable(z) - _one_hot(t, int(np.max(t)) + 1)) / len(t),
     "one column per CLASS"),
    ("np.eye(N)[targets]", lambda z, t: (_stable(z) - np.eye(len(t))[t]) / len(t), "one column per CLASS"),
    ("summed over the batch", lambda z, t: ce_ref(z, t).sum(axis=0), "shape (N, K)"),
]

# --------------------------------------------------------------------------------------------
# Lesson 05: log-sum-exp
# --------------------------------------------------------------------------------------------

def lse_ref(z):
    m = np.max(z, axis=-1, keepdims=True)
    return (m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True)))[..., 0]


def _lse_with(reduce_max=np.max, total=np.sum, log=np.log, add_back=True):
    def learner(z):
        m = reduce_max(z, axis=-1, keepdims=True)
        s = log(total(np.exp(z - m), axis=-1, keepdims=True))
        return ((m + s) if add_back else s)[..., 0]
    return learner


LOGSUMEXP = [
    ("no shift", lambda z: np.log(np.sum(np.exp(z), axis=-1)), "subtract the maximum"),
    ("maximum not added back", _lse_with(add_back=False), "add the maximum back"),
    ("one maximum for the batch", lambda z: np.max(z) + np.log(np.sum(np.exp(z - np.max(z)), axis=-1)),
     "own maximum"),
    ("shift by the minimum", _lse_with(reduce_max=np.min), "not the minimum"),
    ("mean instead of sum", _lse_with(total=np.mean), "don't average"),
    ("only the maximum", lambda z: np.max(z, axis=-1), "only the maximum"),
    ("log10", _lse_with(log=np.log10), "np.log10"),
    ("log2", _lse_with(log=np.log2), "np.log2"),
    ("mask replaced by 0", lambda z: lse_ref(np.where(np.isneginf(z), 0.0, z)), "keep -inf as it is"),
    ("the whole batch at once", lambda z: lse_ref(z.reshape(-1)), "one number per ROW"),
    ("reduced axis kept", lambda z: lse_ref(z)[..., None], "kept the reduced axis"),
    ("maximum without keepdims", lambda z: (lambda m: m + np.log(np.sum(np.exp(z - m), axis=-1)))(np.max(z, -1)),
     "keepdims=True"),
    ("no reduction", lambda z: z - np.max(z, -1, keepdims=True), "REDUCES the last axis"),
    ("plus log K", lambda z: lse_ref(z) + np.log(z.shape[-1]), UNKNOWN),
    ("squeeze() for the reduced axis", lambda z: (lambda m: np.squeeze(m + np.log(np.sum(np.exp(z - m), -1,
                                                                                        keepdims=True))))(
        np.max(z, -1, keepdims=True)), "squeeze() removed every axis of length 1"),
]

# --------------------------------------------------------------------------------------------
# Lesson 06: top-p
# --------------------------------------------------------------------------------------------

def make_top_p(rule="right", temperature_first=True, ties="index", p_one_keeps_all=True, tempered=True):
    def top_p(z, p, temperature=1.0):
        z = np.asarray(z, dtype=float)
        zt = z / temperature
        q = _stable(zt if temperature_first else z)
        order = {"index": lambda: np.argsort(-q, kind="stable"), "reverse": lambda: np.argsort(q, kind="stable")[::-1],
                 "default": lambda: np.argsort(-q)}[ties]()
        cum = np.cumsum(q[order])
        ahead = cum - q[order]
        keep_sorted = {"right": ahead < p, "shift_right": ahead <= p, "cum_lt": cum < p, "cum_le": cum <= p}[rule]
        keep_sorted[0] = True
        if p_one_keeps_all and p >= 1:
            keep_sorted[:] = True
        keep = np.zeros(z.shape, dtype=bool)
        keep[order] = keep_sorted
        return np.where(keep & np.isfinite(z), zt if tempered else z, -np.inf)
    return top_p


def _top_p_zeros(z, p, temperature=1.0):
    out = make_top_p()(z, p, temperature)
    return np.where(np.isfinite(out), out, 0.0)


TOP_P = [
    ("temperature after filtering", make_top_p(temperature_first=False), "apply the temperature first"),
    ("keeps one more at exactly p", make_top_p(rule="shift_right"), "at exactly p, stop"),
    ("cum < p", make_top_p(rule="cum_lt"), "crosses p"),
    ("cum <= p", make_top_p(rule="cum_le"), "crosses p"),
    ("ties in reverse order", make_top_p(ties="reverse"), "ties"),
    ("numpy's default sort (not stable)", make_top_p(ties="default"), "stable sort"),
    ("p = 1 not special", make_top_p(p_one_keeps_all=False), "p = 1 keeps every token"),
    ("removed tokens set to 0", _top_p_zeros, "-inf"),
    ("untempered logits returned", make_top_p(tempered=False), "TEMPERED logits"),
    ("probabilities returned", lambda z, p, T=1.0: np.where(np.isfinite(make_top_p()(z, p, T)),
                                                           _stable(np.asarray(z, float) / T), -np.inf),
     "return logits, not probabilities"),
    ("per-token threshold", lambda z, p, T=1.0: np.where(
        (_stable(np.asarray(z, float) / T) >= p) | (np.arange(len(z)) == np.argmax(z)), np.asarray(z, float) / T,
        -np.inf), "not on each token's own"),
]

# --------------------------------------------------------------------------------------------
# Lesson 07: top-label ECE
# --------------------------------------------------------------------------------------------

def _top(probs, labels):
    probs = np.asarray(probs, dtype=float)
    return probs.max(axis=1), probs.argmax(axis=1) == labels


def _bins(conf, n_bins):
    return np.minimum((conf * n_bins).astype(int), n_bins - 1)


def _binned(conf, correct, b, n_groups, total=None, weighted=True, norm="l1"):
    total = len(conf) if total is None else total
    out, gaps = 0.0, []
    for k in range(n_groups):
        inside = b == k
        if inside.any():
            gap = abs(correct[inside].mean() - conf[inside].mean())
            gaps.append(gap)
            out += (inside.sum() / total) * (gap if norm == "l1" else gap**2)
    if not weighted:
        return float(np.mean(gaps))
    return float(np.sqrt(out)) if norm == "l2" else float(out)


def ece_ref(probs, labels, n_bins=15):
    conf, correct = _top(probs, labels)
    return _binned(conf, correct, _bins(conf, n_bins), n_bins)


def ece_nansum(probs, labels, n_bins=15):
    """Valid: per-bin means with np.mean over empty bins (NaN, with a warning), skipped by nansum."""
    conf, correct = _top(probs, labels)
    b = _bins(conf, n_bins)
    gaps = [np.abs(np.mean(correct[b == k]) - np.mean(conf[b == k])) * np.mean(b == k) for k in range(n_bins)]
    return float(np.nansum(gaps))


def ece_right_closed(probs, labels, n_bins=15):
    """Valid: bins (lo, hi], the other convention; the first bin also holds 0."""
    conf, correct = _top(probs, labels)
    b = np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)
    return _binned(conf, correct, b, n_bins)


def _ece(f):
    """A mutant of the reference ECE: f(conf, correct, n_bins, probs, labels) -> number."""
    def learner(probs, labels, n_bins=15):
        conf, correct = _top(probs, labels)
        return f(conf, correct, n_bins, np.asarray(probs, float), labels)
    return learner


ECE = [
    ("grouped by correctness", _ece(lambda c, r, n, p, y: _binned(c, r, r.astype(int), 2)),
     "grouped the predictions by whether they are right"),
    ("mean over predictions", _ece(lambda c, r, n, p, y: float(np.mean(np.abs(r - c)))),
     "averaged |correct - confidence|"),
    ("bins not weighted", _ece(lambda c, r, n, p, y: _binned(c, r, _bins(c, n), n, weighted=False)),
     "every bin counted the same"),
    ("divided by the number of bins", _ece(lambda c, r, n, p, y: sum(
        abs(r[_bins(c, n) == k].mean() - c[_bins(c, n) == k].mean()) for k in range(n) if (_bins(c, n) == k).any())
        / n), "divided the sum of the gaps"),
    ("1.0 lost at the last edge", _ece(lambda c, r, n, p, y: _binned(c, r, (c * n).astype(int), n)),
     "lost at the last edge"),
    ("1.0 dropped", _ece(lambda c, r, n, p, y: _binned(c[c < 1], r[c < 1], _bins(c[c < 1], n), n)),
     "were dropped"),
    ("a bin of its own for 1.0", _ece(lambda c, r, n, p, y: _binned(c, r, (c * n).astype(int), n + 1)),
     "a bin of its own"),
    ("p(target) as the confidence", _ece(lambda c, r, n, p, y: _binned(
        p[np.arange(len(y)), y], r, _bins(p[np.arange(len(y)), y], n), n)), "TRUE class"),
    ("signed gaps", _ece(lambda c, r, n, p, y: abs(sum(
        (_bins(c, n) == k).mean() * (r[_bins(c, n) == k].mean() - c[_bins(c, n) == k].mean())
        for k in range(n) if (_bins(c, n) == k).any()))), "added with their signs"),
    ("a percentage", lambda p, y, n_bins=15: 100 * ece_ref(p, y, n_bins), "percentage"),
    ("l2 norm", _ece(lambda c, r, n, p, y: _binned(c, r, _bins(c, n), n, norm="l2")), "root-mean-square"),
    ("squared gaps", _ece(lambda c, r, n, p, y: _binned(c, r, _bins(c, n), n, norm="l2") ** 2), "squared the gaps"),
    ("maximum gap", _ece(lambda c, r, n, p, y: max(abs(r[_bins(c, n) == k].mean() - c[_bins(c, n) == k].mean())
                                                   for k in range(n) if (_bins(c, n) == k).any())), "largest gap"),
    ("one bin too few", lambda p, y, n_bins=15: ece_ref(p, y, n_bins - 1) if n_bins > 1 else ece_ref(p, y, 2),
     "that is the ECE with"),
    ("one bin too many", lambda p, y, n_bins=15: ece_ref(p, y, n_bins + 1), "that is the ECE with"),
    ("n_bins ignored (always 15)", lambda p, y, n_bins=15: ece_ref(p, y, 15), "whatever n_bins is"),
    ("label among the tied top", _ece(lambda c, r, n, p, y: _binned(
        c, p[np.arange(len(y)), y] == c, _bins(c, n), n)), "equal top probabilities"),
    ("NaN for empty bins", _quiet(_ece(lambda c, r, n, p, y: sum(
        (_bins(c, n) == k).mean() * abs(np.mean(r[_bins(c, n) == k]) - np.mean(c[_bins(c, n) == k]))
        if (_bins(c, n) == k).any() else np.nan for k in range(n)))), "empty bin"),
    ("one ECE per prediction", lambda p, y, n_bins=15: np.full(len(y), ece_ref(p, y, n_bins)), "ONE number"),
    ("off by a constant", lambda p, y, n_bins=15: ece_ref(p, y, n_bins) + 0.0123, UNKNOWN),
]
ECE_VALID = [("np.nansum over empty bins", ece_nansum), ("(lo, hi] bins", ece_right_closed)]

# --------------------------------------------------------------------------------------------
# Lesson 08: masked scaled dot-product attention
# --------------------------------------------------------------------------------------------

def _kt(k):
    return np.swapaxes(k, -1, -2)


def attention_ref(q, k, v, mask):
    s = q @ _kt(k) / math.sqrt(q.shape[-1])
    return _stable(np.where(mask, s, NEG_INF)) @ v


def _att(scale=None, kt=None, fill=NEG_INF, axis=-1, mask="where"):
    """The reference with one thing changed."""
    def learner(q, k, v, m):
        d = q.shape[-1] if scale is None else scale(q, k, v)
        s = q @ (_kt(k) if kt is None else kt(k)) / math.sqrt(d)
        if mask == "where":
            s = np.where(m, s, fill)
        elif mask == "inverted":
            s = np.where(m, fill, s)
        elif mask == "added":
            s = s + m
        elif mask == "index":
            s = s.copy()
            s[~m] = NEG_INF
        return _stable(s, axis=axis) @ v
    return learner


def _att_mask_after(q, k, v, m):
    return (_stable(q @ _kt(k) / math.sqrt(q.shape[-1])) * m) @ v


def _att_keepdims(q, k, v, m):
    s = np.where(m, q @ _kt(k) / math.sqrt(q.shape[-1]), NEG_INF)
    e = np.exp(s - s.max(axis=-1))
    return e / e.sum(axis=-1, keepdims=True) @ v


def _att_sum_all(q, k, v, m):
    s = np.where(m, q @ _kt(k) / math.sqrt(q.shape[-1]), NEG_INF)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum() @ v


def _att_no_shift(q, k, v, m):
    e = np.exp(np.where(m, q @ _kt(k) / math.sqrt(q.shape[-1]), NEG_INF))
    return e / e.sum(axis=-1, keepdims=True) @ v


def _att_global_max(q, k, v, m):
    s = np.where(m, q @ _kt(k) / math.sqrt(q.shape[-1]), NEG_INF)
    e = np.exp(s - s.max())
    return e / e.sum(axis=-1, keepdims=True) @ v


def _att_arithmetic_mask(q, k, v, m):
    with np.errstate(invalid="ignore"):
        s = q @ _kt(k) / math.sqrt(q.shape[-1])
        return _stable(m * s + (1 - m) * NEG_INF) @ v


ATTENTION = [
    ("no scale", _att(scale=lambda q, k, v: 1.0), "divide the scores by sqrt(d)"),
    ("divided by d", _att(scale=lambda q, k, v: q.shape[-1] ** 2), "SQUARE ROOT"),
    ("multiplied by sqrt(d)", _att(scale=lambda q, k, v: 1 / q.shape[-1]), "multiplying by it"),
    ("d = number of queries", _att(scale=lambda q, k, v: q.shape[-2]), "LAST axis of q"),
    ("d = q.shape[0]", _att(scale=lambda q, k, v: q.shape[0]), "LAST axis"),
    ("d = k.shape[1]", _att(scale=lambda q, k, v: k.shape[1]), "LAST axis"),
    ("d = v.shape[-1]", _att(scale=lambda q, k, v: v.shape[-1]), "not of the values"),
    ("mask after the softmax", _att_mask_after, "BEFORE the softmax"),
    ("mask with 0", _att(fill=0.0), "not 0"),
    ("mask with -1e9", _att(fill=-1e9), "not a large negative number"),
    ("mask ignored", _att(mask="none"), "apply the mask"),
    ("mask inverted", _att(mask="inverted"), "MAY attend"),
    ("mask added", _att(mask="added"), "not additive"),
    ("mask by boolean indexing", _att(mask="index"), "BROADCASTS"),
    ("softmax over the queries", _att(axis=-2), "over the KEYS"),
    ("k not transposed", _att(kt=lambda k: k), "transpose k"),
    ("k.T on a batch", _att(kt=lambda k: k.T), "last two axes of k"),
    ("weights returned", lambda q, k, v, m: _stable(np.where(m, q @ _kt(k) / math.sqrt(q.shape[-1]), NEG_INF)),
     "weights @ v"),
    ("weights transposed", lambda q, k, v, m: _kt(_stable(np.where(m, q @ _kt(k) / math.sqrt(q.shape[-1]),
                                                                   NEG_INF))) @ v, "not weights.T @ v"),
    ("maximum without keepdims", _att_keepdims, "keepdims=True on the row maximum"),
    ("one sum for everything", _att_sum_all, "normalise each row on its own"),
    ("no max shift", _att_no_shift, "subtract the maximum before"),
    ("one maximum for everything", _att_global_max, "own maximum"),
    ("mask by arithmetic", _att_arithmetic_mask, "NaN appeared"),
    ("output halved", lambda q, k, v, m: attention_ref(q, k, v, m) / 2, UNKNOWN),
]

# --------------------------------------------------------------------------------------------
# Lesson 09: an online log-sum-exp over blocks
# --------------------------------------------------------------------------------------------

def online_ref(blocks):
    m, s = NEG_INF, 0.0
    for b in blocks:
        m_new = max(m, np.max(b))
        if m_new == NEG_INF:
            continue
        s = s * np.exp(m - m_new) + np.sum(np.exp(b - m_new))
        m = m_new
    return m + np.log(s)


def _online(rescale="right", start=NEG_INF, running=True, add_back=True, guard=True, reset=False):
    def learner(blocks):
        m, s = start, 0.0
        for b in blocks:
            if reset:
                m, s = NEG_INF, 0.0
            m_new = max(m, np.max(b)) if running else np.max(b)
            if guard and m_new == NEG_INF:
                continue
            factor = {"right": lambda: np.exp(m - m_new), "none": lambda: 1.0,
                      "inverted": lambda: np.exp(m_new - m)}[rescale]()
            s = s * factor + np.sum(np.exp(b - m_new))
            m = m_new
        return m + np.log(s) if add_back else np.log(s)
    return learner


def online_two_pass(blocks):
    m = max(np.max(b) for b in blocks)
    return m + np.log(sum(np.sum(np.exp(b - m)) for b in blocks))


def online_keeps_blocks(blocks):
    seen = []
    for b in blocks:
        seen.append(b)
    z = np.concatenate(seen)
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m)))


def online_indexing(blocks):
    m, s = NEG_INF, 0.0
    for i in range(len(blocks)):
        m_new = max(m, np.max(blocks[i]))
        if m_new == NEG_INF:
            continue
        s = s * np.exp(m - m_new) + np.sum(np.exp(blocks[i] - m_new))
        m = m_new
    return m + np.log(s)


ONLINE = [
    ("no rescale", _online(rescale="none"), "rescale the running sum"),
    ("inverted rescale", _online(rescale="inverted"), "the other way"),
    ("maximum starts at 0", _online(start=0.0), "start the running maximum at -inf"),
    ("maximum not added back", _online(add_back=False), "add the maximum back"),
    ("block maximum, not running", _online(running=False), "RUNNING maximum"),
    ("no guard for an all-masked block", _quiet(_online(guard=False)), "every value is -inf"),
    ("state reset in every block", _online(reset=True), "not only the last one"),
    ("sum of the blocks' log-sum-exps", lambda blocks: sum(lse_ref(b) for b in blocks), "do not add up"),
    ("largest block's log-sum-exp", lambda blocks: max(lse_ref(b) for b in blocks), "every block contributes"),
    ("naive", lambda blocks: np.log(sum(np.sum(np.exp(b)) for b in blocks)), "subtract a maximum"),
    ("one number per block", lambda blocks: np.array([lse_ref(b) for b in blocks]), "ONE number"),
    ("all blocks joined first", lambda blocks: lse_ref(np.concatenate(blocks)), "like a stream"),
    ("all blocks listed, then joined", lambda blocks: lse_ref(np.concatenate(list(blocks))), "kept in memory"),
    ("blocks kept while looping", online_keeps_blocks, "kept in memory"),
    ("two passes over the blocks", online_two_pass, "read only once"),
    ("blocks indexed like a list", online_indexing, "like a stream"),
    ("log base 2 at the end", lambda blocks: (lambda r: r)(online_ref(blocks) / np.log(2)), UNKNOWN),
]

# --------------------------------------------------------------------------------------------
# Lesson 10: a gradient step of softmax regression
# --------------------------------------------------------------------------------------------

def step_ref(W, b, X, y, learning_rate):
    N, K = X.shape[0], W.shape[1]
    G = (_stable(X @ W + b) - np.eye(K)[y]) / N
    return W - learning_rate * X.T @ G, b - learning_rate * G.sum(axis=0)


def make_step(mistake):
    def gradient_step(W, b, X, y, learning_rate):
        N, K = X.shape[0], W.shape[1]
        Z = X @ W + b
        P = {"naive": lambda: np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True), "axis0": lambda: _stable(Z, axis=0),
             "logits": lambda: Z}.get(mistake, lambda: _stable(Z))()
        K_y = {"K_from_labels": int(np.max(y)) + 1, "K_unique": len(np.unique(y)), "K_is_N": N}.get(mistake, K)
        Y = {"no_onehot": np.zeros_like(P), "labels": y[:, None]}.get(mistake, np.eye(K_y)[y])
        D = Y - P if mistake == "y_minus_p" else P - Y
        G = {"no_mean": D, "by_k": D / K, "twice": D / N / N}.get(mistake, D / N)
        rate = 1.0 if mistake == "no_lr" else learning_rate
        gW = G.T @ X if mistake == "transposed" else X.T @ G
        gb = G.mean(axis=0) if mistake == "bias_mean" else G.sum(axis=0)
        new_W, new_b = W - rate * gW, b if mistake == "no_bias" else b - rate * gb
        return {"swapped": (new_b, new_W), "only_W": new_W, "plus": (W + rate * gW, b + rate * gb)}.get(
            mistake, (new_W, new_b))
    gradient_step.__name__ = f"gradient_step_{mistake}"
    return gradient_step


STEP = [
    ("no 1/N", make_step("no_mean"), "divide by N"),
    ("transposed gradient", make_step("transposed"), "X.T @ (p - Y) / N"),
    ("Y - p", make_step("y_minus_p"), "mind the sign"),
    ("step uphill", make_step("plus"), "mind the sign"),
    ("bias not updated", make_step("no_bias"), "update the bias too"),
    ("bias gradient averaged", make_step("bias_mean"), "a mean divides by N a second time"),
    ("divided by N twice", make_step("twice"), "divide by N once"),
    ("no learning rate", make_step("no_lr"), "learning rate"),
    ("scores instead of probabilities", make_step("logits"), "use the probabilities"),
    ("no one-hot subtracted", make_step("no_onehot"), "subtract the one-hot targets"),
    ("label numbers as Y", make_step("labels"), "not the label numbers"),
    ("softmax over the batch", make_step("axis0"), "softmax of each ROW"),
    ("no max shift", make_step("naive"), "maximum"),
    ("divided by K", make_step("by_k"), "not by K"),
    ("K = y.max() + 1", make_step("K_from_labels"), "one column per CLASS"),
    ("K = number of distinct labels", make_step("K_unique"), "one column per CLASS"),
    ("np.eye(N)[y]", make_step("K_is_N"), "one column per CLASS"),
    ("(new_b, new_W) swapped", make_step("swapped"), "shape"),
    ("only new_W returned", make_step("only_W"), "two new arrays"),
    ("learning rate halved", lambda W, b, X, y, lr: step_ref(W, b, X, y, lr / 2), UNKNOWN),
]

# --------------------------------------------------------------------------------------------
# Lesson 11: sparsemax
# --------------------------------------------------------------------------------------------

def _tau(z, condition="right", minus=1.0):
    srt = -np.sort(-z, axis=-1)
    k = np.arange(1, z.shape[-1] + 1)
    cumulative = np.cumsum(srt, axis=-1)
    with np.errstate(invalid="ignore"):
        support = (1 + k * srt > cumulative) if condition == "right" else (1 + (k - 1) * srt > cumulative)
    size = np.maximum(np.count_nonzero(support, axis=-1), 1)[..., None]
    return (np.take_along_axis(cumulative, size - 1, axis=-1) - minus) / size


def sparsemax_ref(z):
    z = np.asarray(z, dtype=float)
    return np.maximum(z - _tau(z), 0)


def _sparsemax_nan_on_masks(z):
    z = np.asarray(z, dtype=float)
    with np.errstate(invalid="ignore"):
        srt = -np.sort(-z, axis=-1)
        gap = np.cumsum(srt, axis=-1) - np.arange(1, z.shape[-1] + 1) * srt   # -inf - -inf = NaN
        return np.where(np.isfinite(gap).all(axis=-1, keepdims=True), sparsemax_ref(z), np.nan)


def _sparsemax_sorts_in_place(z):
    z.sort(axis=-1)
    return sparsemax_ref(z[..., ::-1])


SPARSEMAX = [
    ("softmax instead", _stable, "that is the softmax"),
    ("threshold from all scores", lambda z: np.maximum(z - (np.sum(z, -1, keepdims=True) - 1) / z.shape[-1], 0),
     "top k* scores only"),
    ("support off by one", lambda z: np.maximum(z - _tau(np.asarray(z, float), "off_by_one"), 0), "off by one"),
    ("no -1", lambda z: np.maximum(z - _tau(np.asarray(z, float), minus=0.0), 0), "without the -1"),
    ("no clip", lambda z: z - _tau(np.asarray(z, float)), "clip at 0"),
    ("sorted order returned", lambda z: np.maximum(-np.sort(-z, -1) - _tau(np.asarray(z, float)), 0), "ORIGINAL order"),
    ("one threshold for the batch", lambda z: np.maximum(z - _tau(np.asarray(z, float).reshape(1, -1))[0, 0], 0),
     "each row is its own"),
    ("NaN on masks", _sparsemax_nan_on_masks, "a -inf score is a mask"),
    ("input sorted in place", _sparsemax_sorts_in_place, "changed the array"),
    ("weights doubled", lambda z: 2 * sparsemax_ref(z), "sum to 1"),
    ("shifted by 0.001", lambda z: np.maximum(z - _tau(np.asarray(z, float)) - 1e-3, 0), "sum to 1"),
    ("a softmax of the sparsemax", lambda z: _stable(sparsemax_ref(z)), UNKNOWN),
    ("-inf replaced by 0", lambda z: sparsemax_ref(np.where(np.isneginf(z), 0.0, z)), "must stay -inf"),
]

# --------------------------------------------------------------------------------------------
# Lesson 12: attention's backward pass, dS = W * (dW - rowsum(dW * W))
# --------------------------------------------------------------------------------------------

def backward_ref(d_weights, weights):
    return weights * (d_weights - np.sum(d_weights * weights, axis=-1, keepdims=True))


def _backward(rowsum="right", axis=-1, times_w=True, transpose=None):
    def learner(dw, w):
        w_used = w.T if transpose == "weights" else w
        if rowsum == "right":
            r = np.sum(dw * w_used, axis=axis, keepdims=True)
        elif rowsum == "of dW":
            r = np.sum(dw, axis=axis, keepdims=True)
        elif rowsum == "whole array":
            r = np.sum(dw * w_used)
        else:
            r = 0.0
        out = w_used * (dw - r) if times_w else dw - r
        return out.T if transpose == "result" else out
    return learner


BACKWARD = [
    ("missing the rowsum (dW * W only)", _backward(rowsum="none"), "subtract each row's weighted sum"),
    ("rowsum of dW alone", _backward(rowsum="of dW"), "not of dW alone"),
    ("rowsum along axis 0", _backward(axis=0), "LAST axis"),
    ("one sum for the whole array", _backward(rowsum="whole array"), "each ROW separately"),
    ("result transposed", _backward(transpose="result"), "transposed"),
    ("weights transposed", _backward(transpose="weights"), "transposed"),
    ("not multiplied by W", _backward(times_w=False), "multiply by W"),
    ("sign flipped", lambda dw, w: -backward_ref(dw, w), "sign is flipped"),
    ("diagonal of the Jacobian only", lambda dw, w: w * (1 - w) * dw, "only the diagonal"),
    ("halved", lambda dw, w: backward_ref(dw, w) / 2, UNKNOWN),
]

# --------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------

CORPUS = {
    "check_softmax": (softmax_ref, SOFTMAX),
    "check_temperature_answer": (_search(), TEMPERATURE),
    "check_log_sigmoid": (log_sigmoid_ref, LOG_SIGMOID),
    "check_cross_entropy_grad": (ce_ref, CROSS_ENTROPY),
    "check_logsumexp": (lse_ref, LOGSUMEXP),
    "check_top_p": (make_top_p(), TOP_P),
    "check_ece": (ece_ref, ECE),
    "check_attention": (attention_ref, ATTENTION),
    "check_online_logsumexp": (online_ref, ONLINE),
    "check_gradient_step": (step_ref, STEP),
    "check_sparsemax": (sparsemax_ref, SPARSEMAX),
    "check_softmax_backward": (backward_ref, BACKWARD),
}
VALID = {"check_temperature_answer": TEMPERATURE_VALID, "check_ece": ECE_VALID}

MUTANTS = [(check, name, fn, expect) for check, (_, mutants) in CORPUS.items() for name, fn, expect in mutants]


def test_the_unknown_phrase_is_the_package_s():
    from softmax_lab.exercises._machinery import UNKNOWN_MISTAKE

    assert UNKNOWN == UNKNOWN_MISTAKE


@pytest.mark.parametrize("check", sorted(CORPUS))
def test_the_reference_and_its_valid_variants_pass(check, capsys):
    reference, _ = CORPUS[check]
    for name, fn in [("reference", reference), *VALID.get(check, [])]:
        result = getattr(ex, check)(fn)
        assert result.passed, f"{check} rejects the valid {name}:\n{result}"


@pytest.mark.parametrize("check, name, fn, expect", MUTANTS, ids=[f"{c}-{n}" for c, n, _, _ in MUTANTS])
def test_each_mutant_is_rejected_with_its_own_hint_or_an_honest_i_do_not_know(check, name, fn, expect, capsys):
    result = getattr(ex, check)(fn)
    assert not result.passed and result.attempted, f"{check} accepts the mutant {name!r}"
    assert expect in result.hint, f"{check}, mutant {name!r}: expected a hint with {expect!r}, got:\n{result}"
    if expect != UNKNOWN:
        assert not result.hint.startswith(UNKNOWN), result.hint


def test_the_corpus_covers_every_check_of_a_function():
    functions = {"check_softmax", "check_temperature_answer", "check_log_sigmoid", "check_cross_entropy_grad",
                 "check_logsumexp", "check_top_p", "check_ece", "check_attention", "check_online_logsumexp",
                 "check_gradient_step", "check_sparsemax", "check_softmax_backward"}
    assert set(CORPUS) == functions
    assert all(len(m) >= 6 for _, m in CORPUS.values())
