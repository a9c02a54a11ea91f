"""Lesson 06: the predictions of the lesson, question 1, and checking a learner's top-p (nucleus)
filter."""

import functools
import inspect

import numpy as np

from ..functions import log_softmax, softmax
from ..sampling import filter_top_p
from ._answers import around, check_registered, register_answer
from ._machinery import MAX_SHIFT_HINT, NEG_INF, Case, guarded, run_battery, unknown
from .predict import register_prediction

# --------------------------------------------------------------------------------------------
# Lesson 06: the "Predict first" questions, computed from the tiny language model
# --------------------------------------------------------------------------------------------

PROMPT = "the cat sat on the"


@functools.lru_cache(maxsize=1)
def _next_word_logits():
    from .. import lm  # imported when a lesson 06 answer is revealed, not with the package

    model = lm.load("best")
    return model, lm.next_token_logits(model, PROMPT)


def _probs():
    return softmax(_next_word_logits()[1])


def _tail_outside_top(n=10):
    probs = _probs()
    return float(np.sort(probs)[::-1][n:].sum())


def _count_kept(**settings):
    from ..sampling import sampling_distribution

    return int(np.count_nonzero(sampling_distribution(_next_word_logits()[1], **settings)))


def _top_word_share():
    return float(_probs().max())


register_prediction(
    "06.tail", question="the probability (between 0 and 1, to two decimals) of all words outside the top 10",
    kind="share", answer=_tail_outside_top, tol=0.02,
    explain="about 0.09: hundreds of unlikely words add up to almost one draw in ten.")
register_prediction(
    "06.greedy-repeats", question="will greedy decoding's 24 words repeat themselves (yes/no)",
    kind="yesno", answer=True,
    explain="yes: the model reads three words, so once a context comes back, everything after it does too.")
register_prediction(
    "06.mat-draws", question="how many of 2000 draws are mat (a whole number; the expected count)",
    kind="count", answer=lambda: round(2000 * _top_word_share()), tol=20,   # 2000 x 0.38 to 2000 x 0.39
    explain="2000 x p(mat) = 2000 x 0.384 = about 770 draws, give or take the luck of the draw.")
register_prediction(
    "06.tail-draws", question="how many of 2000 draws fall outside the top 10 (a whole number; the expected count)",
    kind="count", answer=lambda: round(2000 * _tail_outside_top()), tol=10,  # 2000 x 0.085 to 2000 x 0.095
    explain="2000 x 0.09 = about 180 draws land in the long tail.")
register_prediction(
    "06.top-p-0.9-words", question="how many words top-p = 0.9 keeps (a whole number)",
    kind="count", answer=lambda: _count_kept(top_p=0.9),
    explain="the top 9 words add up to 0.896, short of 0.9; the 10th, bench, carries the sum across.")
register_prediction(
    "06.min-p-0.1-words", question="how many words min-p = 0.1 keeps (a whole number)",
    kind="count", answer=lambda: _count_kept(min_p=0.1),
    explain="the threshold is 0.1 x 0.384 = 0.038: mat, floor, sofa, bed and chair pass it.")
register_prediction(
    "06.top-p-0.6-words", question="how many words top-p = 0.6 keeps at T = 1 (a whole number)",
    kind="count", answer=lambda: _count_kept(top_p=0.6),
    explain="mat (0.384) and floor (0.177) reach only 0.561; sofa (0.087) carries the sum past 0.6.")
register_prediction(
    "06.top-p-cold-words", question="how many words top-p = 0.9 keeps at T = 0.3 (a whole number)",
    kind="count", answer=lambda: _count_kept(temperature=0.3, top_p=0.9),
    explain="at T = 0.3 mat alone holds more than 0.9 of the probability: sampling has become greedy.")
register_prediction(
    "06.diversity-with-T", question="as T rises from 0.5 to 1.5, does distinct-2 go 'up' or 'down'",
    kind="choice", choices=("up", "down"), answer="up",
    explain="a flatter distribution draws more different words, so fewer word pairs repeat.")
register_prediction(
    "06.log-prob-with-T", question="as T rises from 0.5 to 1.5, does the mean log-probability go 'up' or 'down'",
    kind="choice", choices=("up", "down"), answer="down",
    explain="more of the draws are words the model itself finds unlikely, so their log-probability is lower.")

# --------------------------------------------------------------------------------------------
# Lesson 06, question 1: how many words does top-p = 0.5 keep?
# --------------------------------------------------------------------------------------------


def _top_p_words_mistakes():
    n = _count_kept(top_p=0.5)
    return [
        (*around(n - 1, 0), "keep the word that crosses p: top-p keeps the smallest set whose probability "
                            "REACHES p, so the word that takes the running sum past 0.5 is in it."),
        (*around(n + 1, 0), "one word too many: once the running sum has reached 0.5, the set is complete."),
        (*around(_count_kept(top_p=0.9), 0), "that is top-p = 0.9 (section 4); this question is about 0.5."),
        (*around(n + 0.5, 0.49), "a number of words is a whole number."),
    ]


register_answer(
    "06.top-p-words", name="check_top_p_words",
    question='how many words top-p = 0.5 keeps after "the cat sat on the" (at T = 1)',
    right=lambda: around(_count_kept(top_p=0.5), 0), precision="a whole number", mistakes=_top_p_words_mistakes,
    hint="add up the probabilities of section 1 from the top until the sum reaches 0.5, and count the word that "
         "takes it there.")
register_answer(
    "06.greedy-top-p", name="greedy and top-p", kind="yesno", answer=False,
    question="can a top-k, top-p or min-p filter change what greedy decoding picks?",
    hint="Every filter keeps the most probable word, and greedy takes exactly that word.")


@guarded("check_top_p_words")
def check_top_p_words(answer):
    """Question 1: how many words top-p = 0.5 keeps after "the cat sat on the" (at T = 1).

    The same as ``check_answer("06.top-p-words", answer)``.
    """
    return check_registered("06.top-p-words", answer)


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


def _other_masks(z, p, T):
    """Which tokens some other typical mistakes keep: (mask, hint) pairs."""
    zt = z / T
    q = softmax(zt)
    finite = np.isfinite(z)
    out = []

    def keep_in(order, weights):
        ahead = np.cumsum(weights[order]) - weights[order]
        keep = np.zeros(z.shape, dtype=bool)
        keep[order] = ahead < p
        keep[order[0]] = True
        return keep & finite

    desc = np.argsort(-q, kind="stable")
    with np.errstate(all="ignore"):
        finite_logits = np.where(finite, zt, 0.0)
        out.append((keep_in(desc, np.where(finite, zt, 0.0)),
                    "add up PROBABILITIES, softmax(z / T), not logits: p is a share of the probability mass."))
        out.append((keep_in(desc, np.where(finite, np.exp(finite_logits - np.max(finite_logits)), 0.0)),
                    "normalise before adding up: the running sum must be of probabilities, which add up to 1 "
                    "(exp(z - max) alone does not)."))
    out.append((keep_in(np.argsort(q, kind="stable"), q),
                "sort from the MOST probable to the least: np.argsort(-q, kind='stable'). Sorted ascending, the "
                "running sum collects the least likely tokens first."))
    out.append((keep_in(np.arange(len(z)), q),
                "sort the probabilities before the running sum: the nucleus is made of the MOST probable tokens, "
                "not of the first tokens in vocabulary order."))
    out.append(((q >= p) | (np.arange(len(z)) == desc[0]),
                "p is a threshold on the RUNNING SUM of the sorted probabilities, not on each token's own "
                "probability (a per-token threshold is closer to min-p)."))
    unmasked = _nucleus(np.where(finite, z, 0.0), p) if T == 1.0 else None
    if unmasked is not None:
        out.append((unmasked & finite,
                    "keep -inf as it is when you compute the probabilities: a masked token has probability 0 and "
                    "takes no share of p. Replacing -inf by 0 gives it probability and changes the nucleus."))
    out.append((_nucleus(z * T, p),
                "DIVIDE the logits by the temperature, z / T: multiplying by T sharpens where it should flatten."))
    return out


@functools.lru_cache(maxsize=1)   # the cases never change: build them once
def _top_p_cases():
    f32 = np.float32
    raw = [
        ("a clear favourite: p = 0.5", [3.0, 1.0, 0.5, 0.0], 0.5, 1.0, "basic"),
        ("two strong tokens, p = 0.4: the first one alone reaches it", [0.2, 0.0, -3.0], 0.4, 1.0, "basic"),
        ("a clear favourite among negative logits: p = 0.5", [-1.0, -3.0, -3.5, -4.0], 0.5, 1.0, "basic"),
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
    raw += _random_top_p_inputs()
    cases = []
    for what, z, p, T, tag in raw:
        z = z if isinstance(z, np.ndarray) else np.array(z)
        args = (z, p) if T == 1.0 else (z, p, T)
        tol = dict(rtol=1e-5, atol=1e-5) if z.dtype == f32 else {}
        cases.append(Case(what, args, filter_top_p(z / T, p), tag, **tol))
    return cases


def _random_top_p_inputs(seed=6):
    """Randomised cases (seeded), p kept away from every running sum (where rounding would decide):
    a short vocabulary with ties and a mask, and one of 20 to 27 tokens with a temperature, where the
    nucleus ends INSIDE a group of tied tokens (only the index order decides which of them stay; numpy's
    default sort is not stable beyond 16 entries)."""
    rng = np.random.default_rng(seed)
    V = int(rng.integers(7, 12))
    z = rng.integers(-4, 5, size=V) * round(float(rng.uniform(0.5, 1.5)), 2)      # integers: many ties
    z[int(rng.integers(V))] = NEG_INF
    cum = np.cumsum(np.sort(softmax(z))[::-1])
    p = round(float(rng.uniform(0.6, 0.95)), 3)
    while np.min(np.abs(cum - p)) < 1e-3:
        p = round(float(rng.uniform(0.6, 0.95)), 3)
    out = [(f"random: {V} tokens with ties and a mask, p = {p}", z, p, 1.0, "ties")]
    V, T = int(rng.integers(20, 28)), round(float(rng.uniform(0.5, 2.5)), 2)
    z = rng.integers(-2, 3, size=V).astype(float)                                   # five values: big tie groups
    q = np.sort(softmax(z / T))[::-1]
    cum = np.cumsum(q)
    j = next(j for j in range(1, V - 1) if q[j] == q[j + 1] and cum[j] - cum[j - 1] > 4e-3)
    p = round(float((cum[j - 1] + cum[j]) / 2), 3)          # the cut falls between two tied tokens
    out.append((f"random: {V} tokens in tied groups, p = {p}, T = {T}: the nucleus ends inside a tie", z, p, T,
                "temperature"))
    return out


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
    holds_its_logit = np.isclose(got[removed], (z / T)[removed]).all()   # kept, rather than set to 0
    if removed.any() and not np.isneginf(got[np.isfinite(z)]).any() and not holds_its_logit:
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
        found = []
        for mask, hint in wrong_masks + _other_masks(z, p, T):
            if np.array_equal(kept, mask) and not np.array_equal(mask, np.isfinite(expected)) and hint not in found:
                found.append(hint)
        if wrong_masks[1][1] in found and wrong_masks[2][1] in found:
            found.remove(wrong_masks[2][1])     # "< p" and "<= p" drop the crossing token alike: one hint
        if found:   # on this case several mistakes keep the same tokens: name the likeliest first
            return " Or, if that is not it: ".join(found[:3])
        if case.tag in ("ties", "temperature") and kept.sum() == np.isfinite(expected).sum():
            q = softmax(z / T)
            swapped = kept != np.isfinite(expected)
            if np.allclose(q[swapped], q[swapped][0]):       # the same number of tokens, swapped within a tie
                return ("ties: order equal probabilities by index, lower index first: use a stable sort, "
                        "np.argsort(-probs, kind='stable'); numpy's default sort may put equal values in any "
                        "order (it does for more than 16 entries).")
        return unknown("sort the probabilities of z / T from high to low, add them up, and keep the tokens up "
                       "to and including the first one where the running sum reaches p.")
    zt = z / T
    nucleus = np.where(kept, zt, NEG_INF)             # the kept tokens' tempered logits
    if np.allclose(got[kept], softmax(zt)[kept]) or np.allclose(got[kept], softmax(nucleus)[kept]):
        return ("return logits, not probabilities: keep z / T for the kept tokens (and -inf for the others); "
                "the softmax of your result is what gets sampled.")
    if T != 1.0 and np.allclose(got[kept], z[kept]):
        return ("the right tokens are kept, but return the TEMPERED logits z / T (with -inf for the removed "
                "ones), so that the softmax of your result is the distribution you sample from.")
    if np.allclose(got[kept], log_softmax(nucleus)[kept]) or np.allclose(got[kept], log_softmax(zt)[kept]):
        return ("the right tokens are kept, but their values are shifted by the same constant: you returned "
                "log-probabilities. Return the tempered logits z / T unchanged; the softmax that follows "
                "normalises by itself.")
    return unknown("the right tokens are kept, but their values should be the tempered logits z / T, unchanged.")


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


@guarded("check_top_p")
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
    ✔ check_top_p: all 15 cases passed. Well done!
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
