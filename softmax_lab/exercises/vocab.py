r"""Self-checks for lesson 09 (large vocabularies): an online log-sum-exp over vocabulary blocks.

The learner writes ``fn(blocks)``: ``blocks`` is a list of 1-D arrays, the logits of one token
arriving one vocabulary chunk at a time (as in chunked cross-entropy), and ``fn`` returns
:math:`\log \sum_j e^{z_j}` over all of them. The check runs a battery of cases built to expose
the typical mistakes of the online algorithm and names the one it recognises. A two-pass
answer (first the maximum of everything, then the sum) is right too: the check accepts it.

Examples
--------
>>> import numpy as np
>>> def online_lse(blocks):
...     m, s = -np.inf, 0.0
...     for b in blocks:
...         m_new = max(m, np.max(b))
...         if m_new == -np.inf:
...             continue
...         s = s * np.exp(m - m_new) + np.sum(np.exp(b - m_new))
...         m = m_new
...     return m + np.log(s)
>>> check_online_logsumexp(online_lse).passed
✔ check_online_logsumexp: all 12 cases passed. Well done!
True
"""

import numpy as np

from ..functions import logsumexp
from ._machinery import Case, first_matching, label_of, nonfinite, quiet, run_battery

__all__ = ["check_online_logsumexp"]

_NEG_INF = -np.inf

NO_RESCALE_HINT = (
    "rescale the running sum when the maximum changes: the terms added so far are exp(z - m_old), "
    "so before adding the new block multiply s by exp(m_old - m_new). Without it, the old terms "
    "are counted as if the maximum had not moved.")
INVERTED_RESCALE_HINT = (
    "the rescale goes the other way: s * exp(m_old - m_new), a factor <= 1 because the new maximum "
    "is at least the old one.")
MAX_AT_ZERO_HINT = (
    "start the running maximum at -inf (or at the first block's maximum), not at 0: with every "
    "value far below 0, exp(z - 0) underflows to 0 and the log of the sum is log(0) = -inf.")
ADD_BACK_HINT = (
    "add the maximum back at the end: log sum_j exp(z_j) = m + log(s), where s is the sum of "
    "exp(z_j - m).")
RUNNING_MAX_HINT = (
    "keep a RUNNING maximum, m = max(m, max(block)), that never decreases: shifting by the current "
    "block's own maximum lets exp(m_old - m_new) overflow when a block is much smaller than an "
    "earlier one.")
SUM_OF_BLOCKS_HINT = (
    "log-sum-exps of blocks do not add up: log(a + b) is not log a + log b. Combine them inside the "
    "log: keep the maximum and the rescaled sum of exp running across the blocks.")
MAX_OF_BLOCKS_HINT = (
    "every block contributes: keeping only the largest block's log-sum-exp drops the others' terms. "
    "Add each block's exp(z - m) to a running sum.")
LAST_BLOCK_HINT = (
    "every block contributes, not only the last one: the running maximum and sum must carry over "
    "from one block to the next (initialise them before the loop, not inside it).")
SHIFT_HINT = (
    "subtract a maximum before exp: exp(1000) overflows to inf. Keep a running maximum m and sum "
    "exp(z - m) instead of exp(z).")
ALL_MASKED_HINT = (
    "a block where every value is -inf (all words masked) leaves the maximum at -inf, and then "
    "z - m = -inf - (-inf) = NaN. Skip such a block (or shift by 0 while m is -inf).")
MASK_HINT = (
    "-inf marks a masked word: exp(-inf - m) = 0, so it adds nothing. Shift by the maximum, which "
    "is finite as soon as one word is not masked.")


def _blocks(*rows, dtype=np.float64):
    return [np.array(r, dtype=dtype) for r in rows]


def _online_cases():
    f32 = np.float32
    rng = np.random.default_rng(9)
    singles = [np.array([v]) for v in rng.normal(0.0, 300.0, size=40)]
    raw = [
        ("one block: the whole vocabulary at once", _blocks([1.0, 2.0, 3.0]), "basic"),
        ("two blocks, the largest value in the first", _blocks([3.0, 1.0], [2.0, 0.5]), "basic"),
        ("two blocks, the largest value in the second: the running maximum moves",
         _blocks([1.0, 2.0], [3.0, 0.5]), "rescale"),
        ("the maximum grows in every block", _blocks([0.0], [5.0], [10.0, -1.0], [20.0]), "rescale"),
        ("blocks of different sizes", _blocks([0.5, -1.0, 2.0, 0.0], [4.0], [1.0, 3.5, -2.0]), "rescale"),
        ("huge values: exp(1000) overflows", _blocks([1000.0, 999.0], [1001.0]), "overflow"),
        ("very negative values: exp(-1000) underflows to 0", _blocks([-1000.0, -1001.0], [-1002.0, -999.0]),
         "overflow"),
        ("the maximum falls from 1000 to -1000", _blocks([1000.0], [-1000.0, -999.0]), "running"),
        ("float32 blocks near 100", _blocks([100.0, 95.0], [101.0, 99.0], dtype=f32), "overflow"),
        ("-inf entries are masked words", _blocks([_NEG_INF, 1.0], [2.0, _NEG_INF]), "mask"),
        ("a first block where every word is masked (-inf)", _blocks([_NEG_INF, _NEG_INF], [1.0, 2.0]),
         "all_masked"),
        ("40 blocks of one value each, spread over +-900", singles, "rescale"),
    ]
    cases = []
    for what, blocks, tag in raw:
        expected = float(logsumexp(np.concatenate(blocks).astype(np.float64)))
        tol = {"rtol": 1e-5, "atol": 1e-4} if blocks[0].dtype == f32 else {}
        cases.append(Case(what, (blocks,), expected, tag, **tol))
    return cases


def _online(blocks, start=-np.inf, rescale="right", running=True, add_back=True):
    """A reference online log-sum-exp, right by default, with one switch per typical mistake."""
    m, s = start, 0.0
    for b in blocks:
        b = np.asarray(b, dtype=np.float64)
        m_new = max(m, np.max(b)) if running else np.max(b)
        if m_new == -np.inf:          # every word so far masked: the reference skips the block
            continue
        factor = {"right": np.exp(m - m_new), "none": 1.0, "inverted": np.exp(m_new - m)}[rescale]
        s = s * factor + np.sum(np.exp(b - m_new))
        m = m_new
    return m + np.log(s) if add_back else np.log(s)


def _online_mistakes(blocks):
    lse = [float(quiet(np.logaddexp.reduce, np.asarray(b, dtype=np.float64))) for b in blocks]
    return [
        (quiet(_online, blocks, -np.inf, "none"), NO_RESCALE_HINT),
        (quiet(_online, blocks, -np.inf, "inverted"), INVERTED_RESCALE_HINT),
        (quiet(_online, blocks, 0.0), MAX_AT_ZERO_HINT),
        (quiet(_online, blocks, -np.inf, "right", True, False), ADD_BACK_HINT),
        (quiet(_online, blocks, -np.inf, "right", False), RUNNING_MAX_HINT),
        (sum(lse), SUM_OF_BLOCKS_HINT),
        (max(lse), MAX_OF_BLOCKS_HINT),
        (lse[-1], LAST_BLOCK_HINT),
    ]


def _online_hint(case, got, outcome):
    expected = np.asarray(case.expected)
    if got.shape != expected.shape:
        blocks = case.args[0]
        if got.shape == (len(blocks),):
            return ("return ONE number for the whole vocabulary, not one per block: combine the blocks "
                    "as you go (a running maximum and a running sum).")
        return f"return a single number (the log-sum-exp of all the blocks together), not shape {got.shape}."
    if case.tag == "all_masked" and np.isnan(got).any():
        return ALL_MASKED_HINT
    known = first_matching(got, _online_mistakes(case.args[0]), expected)
    if known:
        return known
    if nonfinite(got, expected) or outcome.warnings:
        if case.tag == "all_masked":
            return ALL_MASKED_HINT
        if case.tag == "mask":
            return MASK_HINT
        if case.tag == "running":
            return RUNNING_MAX_HINT
        if case.tag == "overflow" and np.all(np.concatenate(case.args[0]) < 0):
            return MAX_AT_ZERO_HINT
        return SHIFT_HINT
    return ("for each block: m_new = max(m, max(block)); s = s * exp(m - m_new) + sum(exp(block - m_new)); "
            "m = m_new. At the end, return m + log(s).")


def check_online_logsumexp(fn):
    r"""Check a learner's online log-sum-exp: ``fn(blocks)`` over a list of 1-D blocks.

    Parameters
    ----------
    fn : callable
        Called as ``fn(blocks)`` with a list of 1-D numpy arrays (the logits of one token, one
        vocabulary block after another). Must return :math:`\log \sum_j e^{z_j}` over all the
        blocks, as a number.

    Returns
    -------
    CheckResult

    Notes
    -----
    With a running maximum m (starting at :math:`-\infty`) and a running sum s (starting at 0),
    for each block B:

    .. math:: m' = \max(m, \max_{j \in B} z_j), \qquad
              s \leftarrow s\, e^{m - m'} + \sum_{j \in B} e^{z_j - m'}, \qquad m \leftarrow m'

    and the answer is :math:`m + \log s` (Milakov and Gimelshein 2018).
    """
    if callable(fn):
        learner = fn

        def fn(blocks):                       # the learner's function, on copies of the blocks
            return learner([np.array(b, copy=True) for b in blocks])

        fn.__name__ = label_of(learner)       # the feedback names the learner's function
    return run_battery("check_online_logsumexp", fn, _online_cases(), _online_hint)
