"""Calibration binning internals: the input checks, per-prediction summaries and bins behind
:mod:`softmax_lab.calibration`.

The calibration metrics score pairs of predictions and labels: ``probs`` or ``logits`` of shape
(N, K) and integer ``labels`` of shape (N,). This module holds what every one of them needs: the
input checks (errors that name the argument, with the "pass softmax(logits), not logits" hint and
its reverse), the top-label summary of each prediction, and the binning. The calibration
dashboard and exercise checks use the same pieces, so a learner's numbers and the package's are
binned identically.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["ReliabilityBins", "STRATEGIES", "LOGITS_HINT", "PROBS_HINT", "as_matrix",
           "check_labels", "check_distributions", "probs_and_labels", "logits_and_labels", "bin_edges",
           "bin_index", "top_label", "bin_statistics", "binned_error", "ece_of_resamples"]

STRATEGIES = ("uniform", "quantile")
LOGITS_HINT = "pass softmax(logits), not logits"
PROBS_HINT = "pass logits, not softmax(logits)"


def as_matrix(x, name):
    """A 2-D floating array (N, K) with N >= 1 and K >= 1."""
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(f"{name} must be a plain array, not a masked array")
    try:
        a = np.asarray(x)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} must be a rectangular array of numbers ({exc})") from None
    if a.dtype.kind in "iu":
        a = a.astype(np.float64)
    elif a.dtype.kind == "b":
        raise TypeError(f"{name} must contain numbers, got booleans")
    elif a.dtype.kind != "f":
        raise TypeError(f"{name} must contain real numbers, got an array of dtype {a.dtype}")
    if a.ndim != 2:
        raise ValueError(f"{name} must have shape (N, K): one row per prediction, got shape {a.shape}")
    if a.shape[0] == 0:
        raise ValueError(f"{name} is empty: there are no predictions to score")
    if a.shape[1] == 0:
        raise ValueError(f"{name} has no classes (shape {a.shape})")
    return a


def check_labels(labels, N, K, rows="probs"):
    try:
        y = np.asarray(labels)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"labels must be a 1-D array of class indices ({exc})") from None
    if y.dtype.kind == "b" or y.dtype.kind not in "iu":
        raise TypeError(f"labels must be integer class indices, got dtype {y.dtype}")
    if y.ndim != 1:
        raise ValueError(f"labels must have shape (N,), got shape {y.shape}")
    if len(y) != N:
        raise ValueError(f"labels has {len(y)} entries but {rows} has {N} rows (predictions); "
                         "the lengths must match")
    if y.min() < 0 or y.max() >= K:
        raise ValueError(f"labels must be class indices in [0, {K}), got values from "
                         f"{y.min()} to {y.max()}")
    return y.astype(np.intp, copy=False)


def check_distributions(p):
    """Refuse rows that are not distributions, with the logits hint.

    The tolerance on the row sums, 1e-3 (0.03 for float16), accepts probabilities that were
    computed in float32 or float16 and stored in a wider dtype, and refuses logits.

    First a quick look, in the array's own precision (float32 for float16): the smallest entry
    and every row's sum. When all is finite, nothing is negative and every row sum is within the
    tolerance by more than the rounding of a sum of K terms can move it (K times the machine
    epsilon), the float64 check below would accept too. Anything else takes the float64 check,
    which decides (and words the error).
    """
    smallest = p.min()                              # NaN propagates
    tol = 3e-2 if p.dtype == np.float16 else 1e-3
    with np.errstate(invalid="ignore", over="ignore"):     # inf - inf, or a sum past the dtype: decided below
        rough = p.sum(axis=1, dtype=np.float32 if p.dtype == np.float16 else None)
    margin = p.shape[1] * np.finfo(rough.dtype).eps
    if np.isfinite(smallest) and smallest >= 0 and np.all(np.abs(rough - 1.0) < tol - margin):
        return
    smallest, largest = p.min(), p.max()           # no (N, K) temporary array is needed
    if not (np.isfinite(smallest) and np.isfinite(largest)):
        raise ValueError("probs must be finite probabilities; it holds NaN or inf")
    if smallest < 0:
        raise ValueError(f"probs must be probabilities >= 0, but one is {float(smallest):.4g}: {LOGITS_HINT}")
    sums = p.sum(axis=1, dtype=np.float64)
    off = np.abs(sums - 1.0) > tol
    if off.any():
        row = int(np.argmax(off))
        raise ValueError(f"probs must be distributions (each row sums to 1), but row {row} sums to "
                         f"{float(sums[row]):.4g}: {LOGITS_HINT}")


def probs_and_labels(probs, labels):
    p = as_matrix(probs, "probs")
    check_distributions(p)
    return p, check_labels(labels, *p.shape)


def bin_edges(conf, n_bins, strategy):
    """B + 1 bin edges from 0 to 1: equal width, or interior edges at the confidence quantiles."""
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)
    c = np.sort(conf)
    inner = c[(np.arange(1, n_bins) * len(c)) // n_bins]   # bin b starts at rank floor(b N / B)
    # a confidence a hair above 1 (rows may sum to 1 + 1e-3) must not push an edge past 1
    return np.concatenate([[0.0], np.minimum(inner, 1.0), [1.0]])


@dataclass(frozen=True)
class ReliabilityBins:
    """Per-bin statistics of a reliability diagram (all arrays have length ``n_bins``).

    Attributes
    ----------
    lower, upper : ndarray
        The bin edges. Bin b holds the confidences c with ``lower[b] <= c < upper[b]``; the last
        bin also holds c = 1.0.
    count : ndarray of int
        Predictions in each bin.
    confidence : ndarray
        Mean top probability in each bin (NaN for an empty bin).
    accuracy : ndarray
        Fraction of the bin's predictions whose top class is the label (NaN for an empty bin).
    n_bins : int
    strategy : str
        ``"uniform"`` or ``"quantile"``.
    """

    lower: np.ndarray
    upper: np.ndarray
    count: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    n_bins: int
    strategy: str

    @property
    def gap(self):
        """``accuracy - confidence`` per bin (below 0: overconfident)."""
        return self.accuracy - self.confidence


def top_label(p, y):
    """The top probability (float64) and whether the top class (the first on ties) is the label.

    For up to four classes a few whole-column passes beat ``argmax``, which pays a fixed cost
    per row; the result is the same (a strict ``>`` keeps the first maximum).
    """
    K = p.shape[1]
    if K == 2:
        second = p[:, 1] > p[:, 0]
        return np.maximum(p[:, 0], p[:, 1]).astype(np.float64, copy=False), second == (y == 1)
    if K <= 4:
        conf = p[:, 0].copy()
        top = np.zeros(len(p), np.intp)
        for k in range(1, K):
            np.copyto(top, k, where=p[:, k] > conf)
            np.maximum(conf, p[:, k], out=conf)
    else:
        top = p.argmax(axis=1)
        conf = np.take_along_axis(p, top[:, None], axis=1)[:, 0]
    return conf.astype(np.float64, copy=False), top == y


def bin_index(conf, edges, strategy):
    """The bin of each confidence: b with ``edges[b] <= c < edges[b + 1]`` (the last bin closed).

    Equal-width bins: ``floor(c * B)``, then moved by one where rounding put c on the wrong
    side of an edge (29/50 * 50 is 28.999... in floating point), so the result is exactly what
    ``np.searchsorted`` against the edges gives, at about a third of its cost. Quantile edges:
    the number of edges at or below c.
    """
    inner = edges[1:-1]
    if strategy != "uniform":
        if len(inner) > 32:
            return np.searchsorted(inner, conf, side="right")
        b = np.zeros(len(conf), np.int8)          # few edges: counting the edges passed is
        for edge in inner:                        # faster than a binary search per value
            b += conf >= edge
        return b.astype(np.intp)
    B = len(edges) - 1
    b = (conf * B).astype(np.intp)
    np.minimum(b, B - 1, out=b)
    b -= conf < edges[b]
    b += conf >= np.append(inner, np.inf)[b]
    return b


def bin_statistics(conf, correct, n_bins, strategy):
    edges = bin_edges(conf, n_bins, strategy)
    b = bin_index(conf, edges, strategy)          # 0.0 -> the first bin, 1.0 -> the last
    split = np.bincount(2 * b + correct, minlength=2 * n_bins).reshape(n_bins, 2)
    count = split.sum(axis=1)
    total = np.bincount(b, weights=conf, minlength=n_bins)
    full = count > 0
    mean_conf = np.full(n_bins, np.nan)
    acc = np.full(n_bins, np.nan)
    mean_conf[full] = total[full] / count[full]
    acc[full] = split[full, 1] / count[full]
    return ReliabilityBins(edges[:-1], edges[1:], count, mean_conf, acc, n_bins, strategy)


def logits_and_labels(logits, labels):
    """Checked logits (N, K) and labels; probabilities passed as logits are refused.

    Rows that all sum to 1 with every entry in [0, 1], some strictly between, are almost surely
    ``softmax(logits)``: their NLL would be computed from a second softmax, silently wrong.
    (One-hot rows are left alone: [1, 0, 0] is a fine set of logits too.)
    """
    z = as_matrix(logits, "logits")
    if z.shape[1] >= 2 and np.all((z >= 0) & (z <= 1)) and np.any((z > 0) & (z < 1)):
        sums = z.sum(axis=1, dtype=np.float64)
        if np.all(np.abs(sums - 1.0) <= (3e-2 if z.dtype == np.float16 else 1e-3)):
            raise ValueError(f"logits look like probabilities (every row is in [0, 1] and sums to 1): {PROBS_HINT}")
    return z, check_labels(labels, *z.shape, rows="logits")


def binned_error(bins, norm="l1"):
    """The calibration error of :class:`ReliabilityBins`: count-weighted mean ("l1"), root mean
    square ("l2") or maximum ("max") of the gaps of the non-empty bins."""
    full = bins.count > 0
    w = bins.count[full] / bins.count.sum()
    gap = np.abs(bins.accuracy[full] - bins.confidence[full])
    if norm == "l1":
        return float(np.dot(w, gap))
    if norm == "l2":
        return float(np.sqrt(np.dot(w, gap**2)))
    return float(gap.max())


def ece_of_resamples(conf, correct, idx):
    r"""The 15-bin ECE (equal width) of every resample, one row of ``idx`` each (for
    :func:`softmax_lab.calibration.bootstrap_interval`).

    With equal-width bins a confidence's bin does not depend on the resample, and a bin's
    weighted gap is :math:`\frac{|B|}{N}|\mathrm{acc} - \mathrm{conf}| = \frac{1}{N}\big|\sum_{i \in B}
    ([\hat y_i = y_i] - c_i)\big|`: one bincount per resample scores it (a row of N indices
    stays in the cache, where one bincount over a whole block of resamples would not).
    """
    n_bins = 15
    which = bin_index(conf, np.linspace(0.0, 1.0, n_bins + 1), "uniform")
    weight = correct - conf
    gaps = np.array([np.bincount(which[row], weights=weight[row], minlength=n_bins) for row in idx])
    return np.abs(gaps).sum(axis=1) / idx.shape[1]
