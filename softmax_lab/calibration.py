r"""Calibration: does a model's confidence match how often it is right?

A classifier (or a language model choosing the next word) is *calibrated* when, among all the
predictions it makes with top probability about 0.8, about 80% are right. This module measures
that, numpy only:

* :func:`reliability_bins`: confidence and accuracy per confidence bin (a reliability diagram);
* :func:`expected_calibration_error`: the count-weighted gap between the two (top-label ECE),
  and its maximum (MCE) and root-mean-square variants;
* :func:`classwise_calibration_error`: the same for every class's own probability;
* :func:`debiased_calibration_error`: an estimate of the squared gap with the sampling noise
  of each bin removed (Kumar, Liang and Ma 2019);
* :func:`negative_log_likelihood` and :func:`brier_score`: proper scoring rules;
* :func:`fit_temperature`: temperature scaling (Guo et al. 2017), one number T fitted by a
  bounded 1-D search;
* :func:`bootstrap_interval`: a seeded percentile interval for any of these.

Functions that score probabilities take ``probs`` of shape (N, K), each row a distribution
(``softmax(logits)``), and integer ``labels`` of shape (N,). The others take the logits.

Supported range: ``probs`` is an (N, K) array of float16/32/64 (integers become float64),
N, K >= 1, finite, >= 0, each row summing to 1 within 1e-3 (0.03 for float16); ``logits`` is
(N, K), finite or ``-inf`` (a masked class), and not probabilities (rows in [0, 1] that sum to 1
are refused: pass the logits); ``labels`` are N integers in [0, K); ``n_bins`` is an integer
>= 1; ``temperature`` and ``bounds`` are finite and > 0. The NLL is computed in float64, so any
logits that float64 holds work (an NLL beyond float64 is +inf). Anything else is refused with a
ValueError or TypeError that names the argument.

References
----------
C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger, "On Calibration of Modern Neural Networks",
ICML 2017. M. Kull, M. Perello-Nieto, M. Kängsepp, T. Silva Filho, H. Song and P. Flach,
"Beyond temperature scaling: Obtaining well-calibrated multiclass probabilities with Dirichlet
calibration", NeurIPS 2019. A. Kumar, P. Liang and T. Ma, "Verified Uncertainty Calibration",
NeurIPS 2019. G. W. Brier, "Verification of forecasts expressed in terms of probability",
Monthly Weather Review 78, 1950.
"""

import functools
import math
import numbers
import warnings
from collections import namedtuple

import numpy as np

from ._calibration_bins import (
    STRATEGIES,
    ReliabilityBins,
    bin_index,
    bin_statistics,
    binned_error,
    ece_of_resamples,
    logits_and_labels,
    probs_and_labels,
    top_label,
)
from ._checks import as_array, as_generator, check_choice, integer
from .losses import cross_entropy

NORMS = ("l1", "l2", "max")

__all__ = [
    "ReliabilityBins",
    "TemperatureFit",
    "Interval",
    "reliability_bins",
    "expected_calibration_error",
    "classwise_calibration_error",
    "debiased_calibration_error",
    "negative_log_likelihood",
    "brier_score",
    "fit_temperature",
    "bootstrap_interval",
]


# ---------------------------------------------------------------------------------------------
# Reliability bins and the top-label calibration errors

def reliability_bins(probs, labels, n_bins=15, strategy="uniform"):
    r"""Confidence and accuracy of the top-label predictions, per confidence bin.

    Parameters
    ----------
    probs : array_like, shape (N, K)
        Predicted probabilities, each row a distribution (``softmax(logits)``).
    labels : array_like of int, shape (N,)
        The true classes.
    n_bins : int, default 15
        Number of bins B (>= 1).
    strategy : {"uniform", "quantile"}, default "uniform"
        ``"uniform"``: B bins of equal width on [0, 1]. ``"quantile"``: the interior edges are
        order statistics of the confidences, so each bin holds about N / B predictions (ties
        go to the later bin, which may leave a bin empty).

    Returns
    -------
    ReliabilityBins

    Notes
    -----
    The confidence of prediction i is :math:`c_i = \max_k p_{ik}`, its prediction
    :math:`\hat y_i = \arg\max_k p_{ik}` (the first one on ties). For bin :math:`B_b`:

    .. math:: \mathrm{conf}(B_b) = \frac{1}{|B_b|} \sum_{i \in B_b} c_i, \qquad
              \mathrm{acc}(B_b) = \frac{1}{|B_b|} \sum_{i \in B_b} [\hat y_i = y_i]

    Bins are half-open, :math:`[\ell_b, u_b)`, except the last, which is closed: a confidence
    of 1.0 lands in the last bin and 0.0 in the first, never in an extra bin.

    Examples
    --------
    >>> p = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.5, 0.5]])
    >>> bins = reliability_bins(p, [0, 1, 1, 1], n_bins=2)
    >>> bins.count                       # every top probability is >= 0.5
    array([0, 4])
    >>> float(bins.accuracy[1])
    0.5
    >>> float(bins.confidence[1])
    0.725
    """
    p, y = probs_and_labels(probs, labels)
    return bin_statistics(*top_label(p, y), _check_bins(n_bins, strategy), strategy)


def _ece(conf, correct, n_bins, strategy, norm):
    return binned_error(bin_statistics(conf, correct, n_bins, strategy), norm)


def _check_bins(n_bins, strategy):
    n_bins = integer(n_bins, "n_bins", 1)
    check_choice(strategy, "strategy", STRATEGIES)
    return n_bins


def expected_calibration_error(probs, labels, n_bins=15, strategy="uniform", norm="l1"):
    r"""Top-label expected calibration error (ECE), or its max / root-mean-square variants.

    Parameters
    ----------
    probs, labels, n_bins, strategy
        As for :func:`reliability_bins`.
    norm : {"l1", "l2", "max"}, default "l1"
        ``"l1"``: the ECE; ``"l2"``: the root of the weighted mean squared gap; ``"max"``: the
        maximum calibration error (MCE) over non-empty bins.

    Returns
    -------
    float
        In [0, 1]; 0 when every bin's accuracy equals its mean confidence.

    Notes
    -----
    With N predictions in bins :math:`B_1 .. B_B` (see :func:`reliability_bins`):

    .. math:: \mathrm{ECE} = \sum_b \frac{|B_b|}{N}\,|\mathrm{acc}(B_b) - \mathrm{conf}(B_b)|,
              \quad \mathrm{ECE}_2 = \Big(\sum_b \frac{|B_b|}{N}\,(\mathrm{acc} - \mathrm{conf})^2\Big)^{1/2},
              \quad \mathrm{MCE} = \max_{b: |B_b| > 0} |\mathrm{acc}(B_b) - \mathrm{conf}(B_b)|

    so MCE >= ECE_2 >= ECE. The binned ECE is a biased estimate: with few predictions per bin,
    even a perfectly calibrated model shows a gap (see :func:`debiased_calibration_error`).

    Examples
    --------
    >>> p = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    >>> round(expected_calibration_error(p, [0, 0, 0, 1], n_bins=10), 3)   # bins 0.9 and 0.6
    0.1
    >>> round(expected_calibration_error(p, [0, 0, 0, 1], n_bins=10, norm="max"), 3)
    0.1
    """
    p, y = probs_and_labels(probs, labels)
    _check_bins(n_bins, strategy)
    check_choice(norm, "norm", NORMS)
    return _ece(*top_label(p, y), n_bins, strategy, norm)


def classwise_calibration_error(probs, labels, n_bins=15):
    r"""Classwise ECE (Kull et al. 2019): the calibration of every class's own probability.

    Parameters
    ----------
    probs, labels
        As for :func:`reliability_bins`.
    n_bins : int, default 15
        Equal-width bins on [0, 1] for each class.

    Returns
    -------
    float
        The mean, over all K classes, of each class's ECE (Kull et al.'s definition).

    Notes
    -----
    For class k, bin the probabilities :math:`p_{ik}` and compare each bin's mean
    :math:`p_{ik}` with the fraction of its rows whose label is k:

    .. math:: \mathrm{cwECE} = \frac{1}{K} \sum_{k=1}^{K} \sum_b \frac{|B_{kb}|}{N}
              \Big| \frac{1}{|B_{kb}|}\sum_{i \in B_{kb}} [y_i = k] - \frac{1}{|B_{kb}|}\sum_{i \in B_{kb}} p_{ik} \Big|

    Every class counts, as in Kull et al. (2019). A class that never occurs in ``labels`` has
    frequency 0 in every bin, so its error is the mean probability the model gives it,
    :math:`\frac{1}{N}\sum_i p_{ik}`: probability spent on something that never happened
    (a 445-word vocabulary has words that a split never contains). Top-label ECE looks only at
    the top class; the classwise error also sees the probabilities the model gives to every
    other class.

    Examples
    --------
    >>> p = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    >>> round(classwise_calibration_error(p, [0, 0, 0, 1], n_bins=10), 3)
    0.1
    """
    p, y = probs_and_labels(probs, labels)
    n_bins = integer(n_bins, "n_bins", 1)
    N, K = p.shape
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # Most probabilities of a wide vocabulary are tiny, in the first bin: only the others are
    # binned one by one, and the first bin's total is the column sum minus theirs.
    rows, cols = np.divmod(np.flatnonzero(p >= edges[1]), K)          # (faster than a 2-D np.nonzero)
    above = p[rows, cols].astype(np.float64)
    cell = bin_index(above, edges, "uniform") + n_bins * cols            # (class, bin) as one index
    # (float64 even when nothing is above the first edge: bincount of no values gives integers)
    total = np.bincount(cell, weights=above, minlength=K * n_bins).astype(np.float64).reshape(K, n_bins)
    total[:, 0] = p.sum(axis=0, dtype=np.float64) - total[:, 1:].sum(axis=1)
    label_p = p[np.arange(N), y].astype(np.float64)
    hits = np.bincount(bin_index(label_p, edges, "uniform") + n_bins * y, minlength=K * n_bins)
    total = total.ravel()
    # |B|/N * |hits/|B| - total/|B|| = |hits - total|/N: the bin count cancels
    per_class = np.abs(hits - total).reshape(K, n_bins).sum(axis=1) / N   # an absent class: its mean p
    return float(per_class.mean())


def _debiased(conf, correct, n_bins, strategy):
    bins = bin_statistics(conf, correct, n_bins, strategy)
    n = bins.count
    ok = n >= 2
    acc, gap = bins.accuracy[ok], bins.gap[ok]
    squared = np.dot(n[ok] / len(conf), gap**2 - acc * (1.0 - acc) / (n[ok] - 1))
    return float(np.sqrt(max(squared, 0.0)))


def debiased_calibration_error(probs, labels, n_bins=15, strategy="quantile"):
    r"""The debiased estimate of the top-label l2 calibration error (Kumar, Liang and Ma 2019).

    Parameters
    ----------
    probs, labels
        As for :func:`reliability_bins`.
    n_bins : int, default 15
    strategy : {"quantile", "uniform"}, default "quantile"
        Equal-mass bins by default, as Kumar et al. use: every bin then holds enough
        predictions for its noise to be estimated.

    Returns
    -------
    float
        :math:`\sqrt{\max(0, \hat D)}`, comparable with
        ``expected_calibration_error(..., norm="l2")``.

    Notes
    -----
    The plug-in estimate :math:`\sum_b \frac{n_b}{N} (\bar a_b - \bar c_b)^2` is biased upwards:
    even when the true accuracy equals the confidence, the observed accuracy :math:`\bar a_b` of
    :math:`n_b` predictions varies by about :math:`\bar a_b(1 - \bar a_b)/n_b`, and squaring turns
    that noise into a positive gap. Kumar, Liang and Ma ("Verified Uncertainty Calibration",
    NeurIPS 2019, section 5) subtract the unbiased estimate of that variance in each bin:

    .. math:: \hat D = \sum_b \frac{n_b}{N}\Big[(\bar a_b - \bar c_b)^2
              - \frac{\bar a_b (1 - \bar a_b)}{n_b - 1}\Big]

    Bins with fewer than two predictions are left out (their variance cannot be estimated).
    :math:`\hat D` can come out slightly below 0 for a well calibrated model; it is clipped at 0
    before the square root.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = rng.dirichlet(np.ones(3), size=200)                     # any predictor...
    >>> y = (rng.random(200)[:, None] > p.cumsum(axis=1)).sum(axis=1)  # ...labels drawn from it
    >>> expected_calibration_error(p, y) > debiased_calibration_error(p, y)
    True
    """
    p, y = probs_and_labels(probs, labels)
    _check_bins(n_bins, strategy)
    return _debiased(*top_label(p, y), n_bins, strategy)


# ---------------------------------------------------------------------------------------------
# Proper scores

def _nll_rows(z, y, temperature=1.0):
    # in float64: one row's loss can exceed float16's (or float32's) range, although every logit fits
    return cross_entropy(z.astype(np.float64, copy=False), y, temperature=temperature, reduction="none")


def negative_log_likelihood(logits, labels, temperature=1.0):
    r"""Mean negative log-likelihood of the labels under softmax(logits / T), in nats.

    Parameters
    ----------
    logits : array_like, shape (N, K)
        Raw scores (not probabilities). ``-inf`` masks a class.
    labels : array_like of int, shape (N,)
    temperature : float, default 1.0

    Returns
    -------
    float

    Notes
    -----
    .. math:: \mathrm{NLL} = -\frac{1}{N} \sum_i \log \mathrm{softmax}(z_i / T)_{y_i}

    computed in float64 by :func:`softmax_lab.cross_entropy` (log-sum-exp, never
    ``log(softmax)``). It is a proper scoring rule: it punishes overconfidence without
    binning, and its exponential is the perplexity.

    Examples
    --------
    >>> round(negative_log_likelihood([[2.0, 0.0], [0.0, 2.0]], [0, 0]), 4)
    1.1
    >>> round(negative_log_likelihood([[1000.0, 0.0]], [1]), 1)   # no overflow
    1000.0
    """
    z, y = logits_and_labels(logits, labels)
    return _mean_of(_nll_rows(z, y, temperature))


def _brier_rows(p, y, block=1024):
    """Each row's Brier score, in float64 a block of rows at a time (no float64 copy of all of p)."""
    out = np.empty(len(p))
    for i in range(0, len(p), block):
        b = p[i:i + block].astype(np.float64, copy=False)
        out[i:i + len(b)] = np.einsum("ij,ij->i", b, b) - 2.0 * b[np.arange(len(b)), y[i:i + block]] + 1.0
    return out


def brier_score(probs, labels):
    r"""The multiclass Brier score: squared error to the one-hot label, summed over classes.

    Parameters
    ----------
    probs, labels
        As for :func:`reliability_bins`.

    Returns
    -------
    float
        In [0, 2]; 0 for certain, correct predictions.

    Notes
    -----
    .. math:: \mathrm{BS} = \frac{1}{N} \sum_i \sum_k (p_{ik} - [y_i = k])^2
              = \frac{1}{N} \sum_i \Big(\sum_k p_{ik}^2 - 2 p_{i y_i} + 1\Big)

    (Brier 1950). Like the NLL it is a proper scoring rule, but bounded: one confident mistake
    costs at most 2.

    Examples
    --------
    >>> brier_score([[1.0, 0.0], [0.5, 0.5]], [0, 1])
    0.25
    """
    p, y = probs_and_labels(probs, labels)
    return float(np.mean(_brier_rows(p, y)))


# ---------------------------------------------------------------------------------------------
# Temperature scaling

TemperatureFit = namedtuple("TemperatureFit", "temperature nll n_evaluations on_bound")
TemperatureFit.__doc__ = """What ``fit_temperature(..., full_output=True)`` returns: the fitted T,
the NLL there, how many times the NLL was evaluated, and None, "lower" or "upper"."""

def _bounds(bounds):
    try:
        lo, hi = (float(t) for t in bounds)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"bounds must be two numbers (low, high), got {bounds!r}") from None
    if not (0 < lo < hi < math.inf):
        raise ValueError(f"bounds must satisfy 0 < low < high < inf, got {bounds!r}")
    return lo, hi


def fit_temperature(logits, labels, bounds=(0.05, 20.0), full_output=False):
    r"""The temperature T that minimises the NLL of softmax(logits / T) (temperature scaling).

    Parameters
    ----------
    logits : array_like, shape (N, K)
        Held-out logits (fit T on a validation split, not on the training data).
    labels : array_like of int, shape (N,)
    bounds : (float, float), default (0.05, 20.0)
        The search interval for T, with 0 < low < high.
    full_output : bool, default False
        Return a :class:`TemperatureFit` (T, NLL at T, number of NLL evaluations, bound hit)
        instead of T alone.

    Returns
    -------
    float or TemperatureFit

    Warns
    -----
    UserWarning
        When the optimum sits on a bound (the NLL still falls towards it): T is then that bound.

    Notes
    -----
    .. math:: T^\star = \arg\min_{T \in [T_{lo}, T_{hi}]}
              -\frac{1}{N}\sum_i \log \mathrm{softmax}(z_i / T)_{y_i}

    Guo et al. (2017) fit this single number on a validation set; dividing all logits by one
    T > 0 never changes their order, so the predictions and the accuracy stay exactly the same.
    The NLL is convex in :math:`\beta = 1/T`, so it has one minimum, found here by scipy's
    bounded 1-D search (``scipy.optimize.minimize_scalar(method="bounded")``: Brent's
    golden-section steps, sped up by parabolic ones) on :math:`u = \log T`. Searching in log T
    keeps T positive and finite whatever happens; gradient descent on T can step below zero or
    run away when its step size or its gradients are wrong. When the NLL does not depend on T
    at all (every row's logits equal), any T fits: T = 1 is returned (clipped into ``bounds``),
    without a warning.

    Examples
    --------
    >>> from softmax_lab import softmax
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(2000, 5)) * 2                         # a model's logits
    >>> y = (rng.random(2000)[:, None] > softmax(z).cumsum(axis=1)).sum(axis=1)
    >>> round(fit_temperature(z, y), 1)                             # calibrated: T near 1
    1.0
    >>> round(fit_temperature(3 * z, y), 1)                         # 3x overconfident: T near 3
    3.0
    """
    from scipy.optimize import minimize_scalar  # imported here: only fitting a temperature needs scipy

    z, y = logits_and_labels(logits, labels)
    z = z.astype(np.float64, copy=False)      # once, not at every evaluation
    lo, hi = _bounds(bounds)
    if not isinstance(full_output, (bool, np.bool_)):
        raise TypeError(f"full_output must be True or False, got {full_output!r}")

    def nll(u):
        return _mean_of(_nll_rows(z, y, math.exp(u)))

    a, b = math.log(lo), math.log(hi)
    # Where T is small and the logits huge the NLL is +inf (beyond float64): worse than anything, which
    # the search copes with (it drops a parabola through an infinite value for a golden-section step).
    with np.errstate(invalid="ignore", over="ignore"):
        fit = minimize_scalar(nll, bounds=(a, b), method="bounded", options={"xatol": 1e-6})
    u, f = float(fit.x), float(fit.fun)
    f_lo, f_hi = nll(a), nll(b)              # the search never evaluates the bounds themselves
    calls = int(fit.nfev) + 2
    if math.isclose(max(f_lo, f_hi), f, rel_tol=1e-12, abs_tol=1e-12):
        # flat: every T fits equally well (e.g. each row's logits are all equal); keep the logits as they are
        t, on_bound = min(max(1.0, lo), hi), None
        f, calls = nll(math.log(t)), calls + 1
    elif min(f_lo, f_hi) <= f:               # the NLL still falls towards a bound (convex in 1/T)
        on_bound = "lower" if f_lo <= f_hi else "upper"
        t, f = (lo, f_lo) if on_bound == "lower" else (hi, f_hi)
        warnings.warn(
            f"fit_temperature: the optimum sits on the {on_bound} bound T = {t:g} (the NLL still falls "
            f"towards it); widen bounds={bounds!r} if that is not expected", UserWarning, stacklevel=2)
    else:
        t, on_bound = math.exp(u), None
    return TemperatureFit(t, f, calls, on_bound) if full_output else t


# ---------------------------------------------------------------------------------------------
# Bootstrap

Interval = namedtuple("Interval", "low high")
Interval.__doc__ = "A percentile bootstrap interval (low, high)."


def _per_prediction_top_label(probs, labels):
    return top_label(*probs_and_labels(probs, labels))


def _per_prediction_brier(probs, labels):
    return (_brier_rows(*probs_and_labels(probs, labels)),)


def _per_prediction_nll(logits, labels):
    return (_nll_rows(*logits_and_labels(logits, labels)),)


# The two errors of (confidence, correctness) with their functions' default options
_debiased_of = functools.partial(_debiased, n_bins=15, strategy="quantile")
_ece_of = functools.partial(_ece, n_bins=15, strategy="uniform", norm="l1")


def _mean_of_resamples(rows, idx):
    """:func:`_mean_of` of every resample at once (scaled by the largest loss, as it is)."""
    rows = np.asarray(rows, dtype=np.float64)
    top = float(rows.max())
    if not 0 < top < np.inf:
        return rows[idx].mean(axis=1)
    return top * (rows / top)[idx].mean(axis=1)


def _mean_of(rows):
    """The mean of non-negative losses, without overflowing where their sum would (each near 1e308)."""
    rows = np.asarray(rows, dtype=np.float64)
    top = float(rows.max()) if rows.size else 0.0
    if not 0 < top < np.inf:                     # all zero, or a loss beyond float64 (inf)
        with np.errstate(over="ignore"):         # the mean is inf then, and so may the sum be on the way
            return float(np.mean(rows))
    return top * float(np.mean(rows / top))


def bootstrap_interval(metric, probs, labels, n_boot=1000, level=0.95, rng=None):
    r"""A percentile bootstrap interval for a metric of (probs, labels), seeded.

    Parameters
    ----------
    metric : callable
        ``metric(probs, labels) -> float``, e.g. :func:`expected_calibration_error` or
        ``functools.partial(expected_calibration_error, n_bins=30)``, or any function of the
        rows.
    probs : array_like
        What ``metric`` takes first (probabilities, or logits for
        :func:`negative_log_likelihood`); its rows are resampled.
    labels : array_like of int, shape (N,)
    n_boot : int, default 1000
        Number of resamples (>= 1).
    level : float, default 0.95
        The coverage, in (0, 1).
    rng : numpy.random.Generator, int or None
        The resampling's randomness: a Generator, an int seed (the same seed gives the same
        interval) or None (unseeded), as everywhere in softmax_lab.

    Returns
    -------
    Interval
        ``(low, high)``: the :math:`(1 - \text{level})/2` and :math:`(1 + \text{level})/2`
        quantiles of the metric over ``n_boot`` resamples of N rows drawn with replacement.

    Notes
    -----
    The percentile bootstrap (Efron 1979) treats the N predictions as a sample from the
    population of predictions: the spread of the metric over resamples estimates its sampling
    spread. Each resample draws N row indices with replacement and calls
    ``metric(probs[idx], labels[idx])``. This module's four metrics of a few numbers per
    prediction (:func:`expected_calibration_error`, :func:`debiased_calibration_error`,
    :func:`brier_score`, :func:`negative_log_likelihood`, with their default options) resample
    those numbers instead of the (N, K) rows, and all but the debiased error score a block of
    resamples at once (drawn in blocks, the indices are the same): the same interval, far faster.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = rng.dirichlet(np.ones(4), size=500)
    >>> y = rng.integers(0, 4, size=500)
    >>> low, high = bootstrap_interval(brier_score, p, y, n_boot=200)
    >>> bool(low < brier_score(p, y) < high)
    True
    """
    if not callable(metric):
        raise TypeError(f"metric must be a callable metric(probs, labels), got {metric!r}")
    n_boot = integer(n_boot, "n_boot", 1)
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise ValueError(f"level must be a number in (0, 1), got {level!r}")
    rng = as_generator(rng)
    data = as_array(probs, "probs")
    y = as_array(labels, "labels")
    if data.ndim == 0 or y.ndim != 1 or len(data) != len(y) or len(y) == 0:
        raise ValueError(f"probs and labels must have the same, non-zero number of rows, got "
                         f"shapes {data.shape} and {y.shape}")
    per_prediction, evaluate, batched = _SHORTCUTS.get(metric, (None, metric, None))
    rows = (data, y) if per_prediction is None else per_prediction(data, y)   # validates the data, once
    value = float(evaluate(*rows))           # the metric on the data itself (and the metric's own checks)
    if not math.isfinite(value):
        raise ValueError(f"metric returned {value} on the data itself; it must return a finite number")
    N = len(y)
    values = []
    if batched is not None:                  # blocks of resamples at once: the same indices, drawn row by row
        block = max(1, _BLOCK // N)
        for start in range(0, n_boot, block):
            values.extend(batched(*rows, rng.integers(0, N, size=(min(block, n_boot - start), N))).tolist())
    else:
        for _ in range(n_boot):
            idx = rng.integers(0, N, size=N)
            values.append(float(evaluate(*(r[idx] for r in rows))))
    alpha = (1.0 - float(level)) / 2.0
    low, high = np.quantile(np.asarray(values), [alpha, 1.0 - alpha])
    return Interval(float(low), float(high))


# metric -> (the per-prediction numbers it depends on, the metric computed from them, the metric of a
# block of resamples at once). Keyed by the function objects themselves: a partial or a wrapper takes
# the plain route. The debiased error's quantile bins move with every resample: no block route.
_SHORTCUTS = {
    expected_calibration_error: (_per_prediction_top_label, _ece_of, ece_of_resamples),
    debiased_calibration_error: (_per_prediction_top_label, _debiased_of, None),
    brier_score: (_per_prediction_brier, _mean_of, _mean_of_resamples),
    negative_log_likelihood: (_per_prediction_nll, _mean_of, _mean_of_resamples),
}
_BLOCK = 2**18      # indices drawn per block (2 MB: larger blocks were slower on a busy machine)
