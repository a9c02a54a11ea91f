r"""Self-checks for lesson 09 (large vocabularies): an online log-sum-exp over vocabulary blocks,
the lesson's two typed questions, and the answers to its "Predict first" prompts.

The learner writes ``fn(blocks)``: ``blocks`` yields 1-D arrays, the logits of one token arriving
one vocabulary chunk at a time (as in chunked cross-entropy), and ``fn`` returns
:math:`\log \sum_j e^{z_j}` over all of them. The blocks come as a ONE-SHOT iterator, as from a
stream: each block can be read once, and only while it is the current one. So a second pass (first
the maximum of everything, then the sum) finds nothing left, and keeping every block to join
them (``list(blocks)``, ``np.concatenate``) is noticed and refused: the exercise is the one-pass
algorithm, whose memory does not grow with the vocabulary. The check runs a battery of cases
built to expose the typical mistakes of the online algorithm and names the one it recognises.

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
✔ check_online_logsumexp: all 13 cases passed. Well done!
True
"""

import functools
import weakref

import numpy as np

from ..factored import AdaptiveSoftmax
from ..functions import logsumexp, softmax
from ..vocab import chunked_cross_entropy, full_cross_entropy, measure, output_layer_cost, zipf_probabilities
from ._answers import register_answer
from ._machinery import Case, first_matching, guarded, label_of, nonfinite, quiet, run_battery, unknown
from .predict import register_prediction

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
KEPT_BLOCKS_HINT = (
    "the blocks were all kept in memory at once (list(blocks), np.concatenate, or a list of the blocks "
    "seen so far): the point of the online log-sum-exp is to hold ONE block at a time. Carry only two "
    "numbers from block to block, the running maximum m and the running sum s.")
SECOND_PASS_HINT = (
    "the blocks arrive one at a time and can be read only once (as from a stream), so a second loop over "
    "them finds nothing: compute the maximum and the sum in the SAME pass, rescaling the running sum "
    "whenever the maximum grows.")
ITERATOR_HINT = (
    "the blocks arrive one at a time, like a stream: they have no len(), no indexing and cannot be joined "
    "first. Loop over them once, `for block in blocks:`, keeping a running maximum and a running sum.")


def _blocks(*rows, dtype=np.float64):
    return [np.array(r, dtype=dtype) for r in rows]


@functools.lru_cache(maxsize=1)   # the cases never change: build them once
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
    raw += _random_online_inputs()
    cases = []
    for what, blocks, tag in raw:
        expected = float(logsumexp(np.concatenate(blocks).astype(np.float64)))
        tol = {"rtol": 1e-5, "atol": 1e-4} if blocks[0].dtype == f32 else {}
        cases.append(Case(what, (blocks,), expected, tag, **tol))
    return cases


def _random_online_inputs(seed=19):
    """Randomised cases (seeded): many blocks of random sizes whose values drift up and down by
    hundreds, with masked words scattered in (every block keeps one real word)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(8, 15))
    centres = np.cumsum(rng.normal(0.0, 250.0, size=n))
    blocks = [rng.normal(c, 3.0, size=int(rng.integers(1, 7))) for c in centres]
    for b in blocks[1::3]:
        b[rng.random(b.size) < 0.4] = _NEG_INF
        b[int(rng.integers(b.size))] = 0.0 if np.isneginf(b).all() else b[int(np.argmax(b))]
    return [(f"random: {n} blocks of 1 to 6 words whose values drift by hundreds, some words masked", blocks,
             "rescale")]


class OneShotBlocks:
    """The blocks as a stream: an iterator that yields a fresh copy of each block once.

    It notices when the learner keeps earlier blocks alive: when block i is requested, block i - 2
    must be gone (the loop variable may still hold block i - 1). ``kept`` then says so.
    """

    def __init__(self, blocks):
        self._blocks = list(blocks)
        self._refs = []
        self.kept = False
        self.exhausted_reads = 0

    def __iter__(self):
        return self

    def __next__(self):
        i = len(self._refs)
        if i >= len(self._blocks):
            self.exhausted_reads += 1
            raise StopIteration
        if any(ref() is not None for ref in self._refs[:max(i - 1, 0)]):
            self.kept = True
        block = np.array(self._blocks[i], copy=True)
        self._refs.append(weakref.ref(block))
        return block

    def __repr__(self):
        return "<a one-shot iterator over the blocks above>"


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
    if np.isneginf(got).all() and np.isfinite(expected):
        return SECOND_PASS_HINT          # log(0): a sum over blocks that had already been read
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
    return unknown("for each block: m_new = max(m, max(block)); s = s * exp(m - m_new) + sum(exp(block - m_new)); "
                   "m = m_new. At the end, return m + log(s).")


def _online_exception_hint(case, exc):
    text = str(exc)
    if isinstance(exc, TypeError) and any(w in text for w in ("len()", "subscriptable", "sequence", "iterable")):
        return ITERATOR_HINT
    if isinstance(exc, ValueError) and any(w in text for w in ("empty", "zero-size", "need at least one")):
        return SECOND_PASS_HINT
    return None


@guarded("check_online_logsumexp")
def check_online_logsumexp(fn):
    r"""Check a learner's online log-sum-exp: ``fn(blocks)`` over an iterator of 1-D blocks.

    Parameters
    ----------
    fn : callable
        Called as ``fn(blocks)``, where ``blocks`` is a one-shot iterator of 1-D numpy arrays (the
        logits of one token, one vocabulary block after another, as from a stream: each can be read
        once). Must return :math:`\log \sum_j e^{z_j}` over all the blocks, as a number, holding one
        block at a time.

    Returns
    -------
    CheckResult

    Notes
    -----
    With a running maximum m (starting at :math:`-\infty`) and a running sum s (starting at 0),
    for each block B:

    .. math:: m' = \max(m, \max_{j \in B} z_j), \qquad
              s \leftarrow s\, e^{m - m'} + \sum_{j \in B} e^{z_j - m'}, \qquad m \leftarrow m'

    and the answer is :math:`m + \log s` (Milakov and Gimelshein 2018). The blocks come as a
    one-shot iterator: a second pass over them finds nothing, and an answer that kept every block
    in memory (``list(blocks)``, ``np.concatenate``) is refused even when its number is right.
    """
    if not callable(fn):
        return run_battery("check_online_logsumexp", fn, [], None)
    learner, streams = fn, {}

    def streamed(blocks):                     # the learner's function, on a one-shot stream of the blocks
        streams["last"] = stream = OneShotBlocks(blocks)
        return learner(stream)

    streamed.__name__ = label_of(learner)     # the feedback names the learner's function

    def check(case, got):
        stream = streams.get("last")
        ok = got.shape == () and bool(np.isclose(got, case.expected, rtol=case.rtol, atol=case.atol))
        if stream is not None and stream.kept:
            return False, "\n  (every block was kept in memory at once)"
        return ok, ""

    def hint_for(case, got, outcome):
        stream = streams.get("last")
        if stream is not None and stream.kept:
            return KEPT_BLOCKS_HINT
        return _online_hint(case, got, outcome)

    return run_battery("check_online_logsumexp", streamed, _online_cases(), hint_for, check=check,
                       exception_hint=_online_exception_hint)


# --------------------------------------------------------------------------------------------
# The typed questions of lesson 09
# --------------------------------------------------------------------------------------------

_GB = 4 * 2048 * 128_256 * 4 / 1e9
register_answer(
    "09.llama3-logits", name="Llama 3 logits",
    question="the gigabytes (1e9 bytes) of the float32 logits of 4 sequences of 2,048 tokens over 128,256 words",
    answer=_GB, tol=0.05, precision="a number of GB (10^9 bytes), to one decimal",
    mistakes=[(_GB / 2 - 0.05, _GB / 2 + 0.05, "float32 numbers take 4 bytes each, not 2."),
              (_GB / 4 - 0.05, _GB / 4 + 0.05, "count the 4 sequences of the batch (and 4 bytes per float32 number)."),
              (_GB * 1e9 / 2**30 - 0.05, _GB * 1e9 / 2**30 + 0.05, "that is in GiB (2^30 bytes); the question "
                                                                  "asks for GB, 10^9 bytes.")],
    hint="tokens x V x bytes per number: 4 x 2,048 tokens, 128,256 words, 4 bytes each, then / 1e9.")
register_answer(
    "09.more-samples", name="more samples", kind="yesno", answer=False,
    question="without the log Q correction, do more samples remove the sampled softmax's bias?",
    hint="Look at section 5's table: does the uncorrected ratio move towards 1 as k grows?")


# --------------------------------------------------------------------------------------------
# The "Predict first" prompts of lesson 09, computed from softmax_lab with the lesson's sizes
# (memory is measured as the lesson measures it: the peak of new arrays, by tracemalloc)
# --------------------------------------------------------------------------------------------

SWEEP_TOKENS, SWEEP_DIM = 32, 64                 # section 1: a batch of 32 tokens, hidden size 64
CHUNK_TOKENS, CHUNK_WORDS, CHUNK_SIZE = 256, 16_384, 2_048      # section 3
ADAPTIVE_CUTOFFS = (4_000, 20_000, 80_000, 256_000)             # section 4: the head, then three clusters


@functools.lru_cache(maxsize=1)
def _softmax_memory_growth():
    """How many times more memory the softmax of (32, V) float32 logits needs at V = 256,000 than at 4,096."""
    def peak(n_words):
        logits = np.zeros((SWEEP_TOKENS, n_words), dtype=np.float32)   # the values do not change the sizes
        return measure(lambda: softmax(logits), repeat=1, min_time=0).peak_bytes
    return peak(256_000) / peak(4_096)


def _ops_ratio():
    cost = output_layer_cost(1, 256_000, SWEEP_DIM)
    return cost.projection_flops / cost.softmax_flops


def _gemma_logits_gb():
    return output_layer_cost(8 * 1024, 256_000, 1).logits_bytes / 1e9


@functools.lru_cache(maxsize=1)
def _chunked_peak_share():
    """Peak memory of the chunked cross-entropy as a share of the full one's, at section 3's sizes."""
    h = np.zeros((CHUNK_TOKENS, SWEEP_DIM), dtype=np.float32)
    w = np.zeros((CHUNK_WORDS, SWEEP_DIM), dtype=np.float32)
    t = np.zeros(CHUNK_TOKENS, dtype=np.int64)
    full = measure(lambda: full_cross_entropy(h, w, t), repeat=1, min_time=0).peak_bytes
    chunked = measure(lambda: chunked_cross_entropy(h, w, t, chunk_size=CHUNK_SIZE), repeat=1, min_time=0)
    return chunked.peak_bytes / full


@functools.lru_cache(maxsize=1)
def _adaptive_fewer_ops():
    """d x V over the adaptive softmax's expected multiply-adds per token, on Zipf word frequencies (the
    cost depends only on the shapes, so random weights of section 4's shapes give it)."""
    layer = AdaptiveSoftmax.random(ADAPTIVE_CUTOFFS, SWEEP_DIM, div_value=2.0, seed=0)
    return SWEEP_DIM * ADAPTIVE_CUTOFFS[-1] / layer.cost_per_token(zipf_probabilities(ADAPTIVE_CUTOFFS[-1]))


def _uncorrected_weighting(n_words=20_000, top=100):
    """Without the log Q correction a drawn word j adds e^{z_j} (times a constant), so in expectation
    word j counts Q(j) e^{z_j} instead of e^{z_j}. Compare the frequent words' share of both, for
    logits that follow the word frequencies (z = log Q): the constant cancels in a share."""
    log_q = np.log(zipf_probabilities(n_words))
    z = log_q
    share_of_z = np.exp(logsumexp(z[:top]) - logsumexp(z))
    share_of_uncorrected = np.exp(logsumexp(z[:top] + log_q[:top]) - logsumexp(z + log_q))
    if np.isclose(share_of_uncorrected, share_of_z):
        return "weighted fairly"
    return "over-weighted" if share_of_uncorrected > share_of_z else "under-weighted"


register_prediction(
    "09.memory-growth", question="how many times more memory the softmax of the batch needs at 256,000 words "
    "than at 4,096", kind="number", answer=_softmax_memory_growth, tol=6.0,
    explain="memory is proportional to V (62.5 times as many words); a few small arrays whose size does not "
            "depend on V keep the measured factor a little lower.")
register_prediction(
    "09.ops-ratio", question="per token, the operations of W h divided by those of the softmax, for d = 64",
    kind="number", answer=_ops_ratio, tol=3.0,
    explain="2dV against about 5V: the ratio 2d/5 does not depend on V at all, only on the hidden size d.")
register_prediction(
    "09.gemma-logits", question="the GB (10^9 bytes) of float32 logits for 8 x 1,024 tokens over 256,000 words",
    kind="number", answer=_gemma_logits_gb, tol=0.1,
    explain="8,192 tokens x 256,000 words x 4 bytes, divided by 10^9; the gradient takes as much again.")
register_prediction(
    "09.chunked-peak", question="the chunked cross-entropy's peak memory as a share of the full one's",
    kind="share", answer=_chunked_peak_share, tol=0.1,
    explain="the (256 x 16,384) logits and their gradient are gone; what is left is mostly the weight "
            "gradient plus a block or two of (256 x 2,048) logits.")
register_prediction(
    "09.unavoidable-array", question="the one large array the chunked version cannot avoid",
    kind="choice", choices=("logits", "probabilities", "gradient of W", "gradient of h"), answer="gradient of W",
    explain="the gradient with respect to W has V x d entries, and every method must return it; the "
            "gradient of h is only tokens x d.")
register_prediction(
    "09.adaptive-ops", question="how many times fewer multiply-adds per token the adaptive loss needs than d x V",
    kind="number", answer=_adaptive_fewer_ops, tol=5.0,
    explain="most tokens are head words and pay only for the head (4,003 logits); the rare ones pay for a "
            "cluster, in a dimension of 32, 16 or 8 instead of 64.")
register_prediction(
    "09.adaptive-loss-gap", question="how much higher the adaptive loss is than the full softmax's, on average "
    "over the words the full model writes", kind="choice",
    choices=("under 0.03 nats", "0.03 to 0.3 nats", "0.3 to 3 nats", "over 3 nats"),
    answer="0.03 to 0.3 nats",     # the lesson computes the expected gap exactly and asserts it, below the reveal
    explain="the average gap is the KL divergence from the full distribution to the adaptive one: the clusters' "
            "smaller dimensions blur the rare words' scores, while the frequent words, scored exactly in the "
            "head, carry most of the probability.")
register_prediction(
    "09.uncorrected-weighting", question="without the log Q correction, are frequent words over-weighted, "
    "under-weighted or weighted fairly in Z_hat, compared with rare ones", kind="choice",
    choices=("over-weighted", "under-weighted", "weighted fairly"), answer=_uncorrected_weighting,
    explain="a word drawn often is counted often: relative to the corrected estimate, word j is weighted by "
            "Q(j), whatever constant the estimate is scaled by.")
register_prediction(
    "09.tree-close", question="will the fitted tree's loss come within 0.1 nats of the full softmax's (yes/no)",
    kind="yesno", answer=False,             # the lesson asserts it on its own fit, below the reveal
    explain="no: each node splits its words with one linear boundary, and a tree built by word id groups "
            "unrelated words, so the fit levels off well above the best possible loss.")
