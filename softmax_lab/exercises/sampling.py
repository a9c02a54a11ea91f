"""Lesson 06: checking a learner's top-p (nucleus) filter."""

import inspect

import numpy as np

from ..functions import softmax
from ..sampling import filter_top_p
from ._machinery import MAX_SHIFT_HINT, NEG_INF, Case, run_battery

# --------------------------------------------------------------------------------------------
# Lesson 06: top-p (nucleus) filtering
# --------------------------------------------------------------------------------------------

def _nucleus(z, p, rule="reach", ties="index"):
    """Which tokens a top-p rule keeps (a boolean mask), for recognising a learner's mistake.

    ``rule="reach"`` is the right rule (the same as :func:`softmax_lab.sampling.filter_top_p`;
    a test keeps the two in agreement): in order of decreasing probability, keep tokens up to and including the first
    one where the running sum reaches p. The others model typical mistakes: ``"lt"`` keeps
    while the running sum is < p (the token that brings it to exactly p is lost), ``"le"``
    keeps while it is <= p (the token that crosses p is lost), ``"before_le"`` keeps while the
    sum of the tokens BEFORE is <= p (one token too many when p is reached exactly).
    ``ties="reverse"`` puts the higher index first among equal probabilities.
    """
    probs = softmax(z)
    if ties == "index":
        order = np.argsort(-probs, kind="stable")
    else:
        order = np.argsort(probs, kind="stable")[::-1]
    cum = np.cumsum(probs[order])
    if rule == "reach":
        keep_sorted = (cum - probs[order] < p) | (p >= 1.0)
    elif rule == "lt":
        keep_sorted = cum < p
    elif rule == "le":
        keep_sorted = cum <= p
    else:
        keep_sorted = cum - probs[order] <= p
    keep_sorted[0] = True                    # every rule keeps the most probable token
    keep = np.empty_like(keep_sorted)
    keep[order] = keep_sorted
    return keep & np.isfinite(z)


def _top_p_cases():
    f32 = np.float32
    raw = [
        ("a clear favourite: p = 0.5", [3.0, 1.0, 0.5, 0.0], 0.5, 1.0, "basic"),
        ("the token that crosses p is kept", [2.0, 1.5, 1.0, 0.0], 0.6, 1.0, "crossing"),
        ("four equal tokens, p = 0.5: two of them reach 0.5 exactly", [0.0, 0.0, 0.0, 0.0], 0.5, 1.0, "exact"),
        ("four equal tokens, p = 0.75: three of them reach it exactly", [0.0, 0.0, 0.0, 0.0], 0.75, 1.0, "exact"),
        ("a tie at the boundary: lower index first", [0.0, 1.0, 0.0, 1.0, 0.0, 1.0], 0.3, 1.0, "ties"),
        ("temperature T = 0.5 sharpens the distribution BEFORE filtering", [2.0, 1.0, 0.0], 0.8, 0.5, "temperature"),
        ("temperature T = 3 flattens the distribution BEFORE filtering", [2.0, 1.0, 0.0], 0.6, 3.0, "temperature"),
        ("p = 1 keeps every token, even one whose probability rounds to 0",
         [0.0, -40.0, NEG_INF], 1.0, 1.0, "p_one"),
        ("large logits: exp(1000) overflows", [1000.0, 999.0, 998.0], 0.9, 1.0, "overflow"),
        ("float32 logits near 100", np.array([100.0, 99.0, 95.0], dtype=f32), 0.5, 1.0, "overflow"),
        ("masked tokens stay masked", [1.0, NEG_INF, 0.5, 2.0], 0.8, 1.0, "mask"),
    ]
    cases = []
    for what, z, p, T, tag in raw:
        z = z if isinstance(z, np.ndarray) else np.array(z)
        args = (z, p) if T == 1.0 else (z, p, T)
        tol = dict(rtol=1e-5, atol=1e-5) if z.dtype == f32 else {}
        cases.append(Case(what, args, filter_top_p(z / T, p), tag, **tol))
    return cases


def _top_p_parts(case):
    z, p = case.args[:2]
    T = case.args[2] if len(case.args) == 3 else 1.0
    return np.asarray(z, dtype=np.float64), p, T


def _top_p_check(case, got):
    """Right when the same tokens are kept and they hold the tempered logits z / T."""
    expected = np.asarray(case.expected, dtype=np.float64)
    if got.shape != expected.shape:
        return False, ""
    kept_got, kept_exp = np.isfinite(got), np.isfinite(expected)
    text = (f"\n  kept:      tokens {np.flatnonzero(kept_got).tolist()}; "
            f"expected tokens {np.flatnonzero(kept_exp).tolist()}")
    if np.isnan(got).any() or np.isposinf(got).any() or not np.array_equal(kept_got, kept_exp):
        return False, text
    return bool(np.allclose(got[kept_exp], expected[kept_exp], rtol=case.rtol, atol=case.atol)), text


def _top_p_hint(case, got, outcome):
    z, p, T = _top_p_parts(case)
    expected = np.asarray(case.expected, dtype=np.float64)
    if got.shape != expected.shape:
        return (f"return the whole logit vector, shape {expected.shape}, with the removed tokens set to "
                "-inf; don't drop them from the array.")
    if np.isnan(got).any() or outcome.warnings:
        return MAX_SHIFT_HINT
    removed = ~np.isfinite(expected) & np.isfinite(z)
    if removed.any() and not np.isneginf(got[np.isfinite(z)]).any():
        return ("set the removed tokens' logits to -inf (a logit of 0 still has a probability!), and "
                "return logits, not probabilities: the softmax of your result is what gets sampled.")
    kept = np.isfinite(got)
    if not np.array_equal(kept, np.isfinite(expected)):
        if case.tag == "p_one":
            return ("p = 1 keeps every token: rounding can make the running sum reach 1 before the "
                    "last token, so treat p >= 1 as 'keep everything that is not masked'.")
        zt = z / T
        wrong_masks = [
            (_nucleus(z, p),
             "apply the temperature first: the nucleus is chosen from softmax(z / T), the distribution "
             "you will actually sample from. Filtering first and dividing by T afterwards keeps the "
             "wrong tokens."),
            (_nucleus(zt, p, "le"),
             "keep the token that crosses p: the nucleus is the smallest set whose cumulative "
             "probability reaches p, so it includes the token that takes the sum from below p to above it."),
            (_nucleus(zt, p, "lt"),
             "at exactly p, stop: keep tokens until the running sum REACHES p (>= p). With "
             "cumsum < p, the token that brings the sum to exactly p is lost."),
            (_nucleus(zt, p, "before_le"),
             "at exactly p, stop: once the kept tokens add up to exactly p, the set is complete. "
             "Keeping the next token because the sum BEFORE it is <= p keeps one token too many "
             "(use < p there)."),
            (_nucleus(zt, p, ties="reverse"),
             "ties: order equal probabilities by index, lower index first (a stable sort of -probs: "
             "np.argsort(-probs, kind='stable')); reversing an ascending sort puts the higher index first."),
        ]
        for mask, hint in wrong_masks:
            if np.array_equal(kept, mask):
                return hint
        if case.tag == "ties":
            return ("ties: order equal probabilities by index, lower index first: use a stable sort, "
                    "np.argsort(-probs, kind='stable').")
        return ("sort the probabilities of z / T from high to low, add them up, and keep the tokens up to "
                "and including the first one where the running sum reaches p.")
    if T != 1.0 and np.allclose(got[kept], z[kept]):
        return ("the right tokens are kept, but return the TEMPERED logits z / T (with -inf for the removed "
                "ones), so that the softmax of your result is the distribution you sample from.")
    return "the right tokens are kept, but their values should be the tempered logits z / T, unchanged."


def _takes_temperature(fn):
    """Can ``fn`` be called as fn(logits, p, temperature)?"""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):   # some built-in callables have no signature: just try them
        return True
    try:
        signature.bind(None, None, None)
    except TypeError:                 # bind refuses a third argument: it takes (logits, p) only
        return False
    return True


def check_top_p(fn):
    r"""Check a learner's top-p (nucleus) filter.

    Parameters
    ----------
    fn : callable
        Called as ``fn(logits, p)``, and as ``fn(logits, p, temperature)`` for the temperature
        cases, with 1-D logits, ``0 < p <= 1`` and ``temperature > 0``. It returns the
        tempered logits ``z / T`` with every token outside the nucleus set to ``-inf``. A
        function that takes only ``(logits, p)`` is checked without the temperature cases.

    Returns
    -------
    CheckResult

    Notes
    -----
    With :math:`q = \mathrm{softmax}(z / T)` sorted from high to low (equal probabilities in
    index order, lower index first), keep the first n tokens, n the smallest number with

    .. math:: \sum_{r=1}^{n} q_{(r)} \ge p

    so the token that carries the sum across p is kept, and when the sum reaches p exactly the
    set stops there. ``p = 1`` keeps every token that is not masked already. The temperature
    comes first: the nucleus is chosen from the distribution that is sampled. The right answers
    come from :func:`softmax_lab.sampling.filter_top_p`.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_lab import softmax
    >>> def top_p(z, p, temperature=1.0):
    ...     z = np.asarray(z, dtype=float) / temperature
    ...     q = softmax(z)
    ...     order = np.argsort(-q, kind="stable")
    ...     ahead = np.cumsum(q[order]) - q[order]          # probability of the tokens before
    ...     keep = np.zeros(z.shape, dtype=bool)
    ...     keep[order] = (ahead < p) | (p >= 1)
    ...     return np.where(keep & np.isfinite(z), z, -np.inf)
    >>> check_top_p(top_p).passed
    ✔ check_top_p: all 11 cases passed. Well done!
    True
    """
    cases = _top_p_cases()
    if callable(fn) and not _takes_temperature(fn):
        cases = [c for c in cases if c.tag != "temperature"]
        result = run_battery("check_top_p", fn, cases, _top_p_hint, check=_top_p_check)
        if result.passed:
            print("  (the temperature cases were skipped: your function takes (logits, p) only. With a "
                  "temperature T, filter softmax(z / T): call it on z / T.)")
        return result
    return run_battery("check_top_p", fn, cases, _top_p_hint, check=_top_p_check)
