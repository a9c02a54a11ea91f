r"""Decoding whole sequences: greedy search, beam search and sampling, and how to compare them.

A language model (or a translation model, which is a language model that also reads the
source sentence) gives the probability of a whole sequence as a product of softmax outputs,
one per position:

.. math:: \log p(y_1, \dots, y_L) = \sum_{t=1}^{L} \log \mathrm{softmax}(z_t)_{y_t},
          \qquad z_t = f(y_{<t})

Finding the most probable sequence exactly means trying :math:`V^L` sequences. Decoders
approximate it:

* :func:`greedy_decode` takes the most probable word at each step (beam width 1);
* :func:`beam_search` keeps the ``beam_width`` best partial sequences at each step;
* :func:`sample_decode` draws each word from the (tempered, filtered) softmax instead.

Every function takes a *scorer*: any callable ``next_log_probs(tokens) -> (V,) array`` that
maps the tuple of token ids generated so far to the next token's logits or log-probabilities
(they are normalised here with a log-softmax, so either works). :class:`LMScorer` wraps the
course's tiny language model (:mod:`softmax_lab.lm`) that way. :func:`repetition` measures
how often a decoded text repeats itself.

Supported range: a scorer that returns a 1-D array of V >= 1 numbers for every prefix (``-inf``
forbids a token; NaN, ``+inf`` or only ``-inf`` are refused); ``beam_width`` and ``max_length``
integers >= 1; ``end`` None or a token id >= 0; ``length_penalty`` in [0, 10]; ``tokens`` token
ids >= 0 (:func:`repetition`: any iterable of hashable tokens). Anything else is refused, naming
the argument.

Examples
--------
>>> import numpy as np
>>> table = np.log([[0.5, 0.5], [0.9, 0.1], [0.1, 0.9]])   # toy model: next word depends on the last one
>>> scorer = lambda tokens: table[0] if not tokens else table[tokens[-1] + 1]
>>> [(h.tokens, round(h.log_prob, 3)) for h in beam_search(scorer, beam_width=2, max_length=3)]
[((0, 0, 0), -0.904), ((1, 1, 1), -0.904)]
>>> greedy_decode(scorer, max_length=3).tokens      # ties go to the lower id
(0, 0, 0)
"""

from dataclasses import dataclass

import numpy as np

from . import lm as _lm
from ._checks import as_generator, finite_number, integer
from .functions import log_softmax
from .sampling import sample

#: The largest length penalty beam_search accepts (common values are 0.6 to 2).
MAX_LENGTH_PENALTY = 10.0

__all__ = [
    "Hypothesis",
    "LMScorer",
    "beam_search",
    "greedy_decode",
    "sample_decode",
    "sequence_log_prob",
    "repetition",
]


@dataclass(frozen=True)
class Hypothesis:
    """A decoded sequence.

    Attributes
    ----------
    tokens : tuple of int
    log_prob : float
        :math:`\\sum_t \\log p(y_t \\mid y_{<t})` under the scorer (temperature 1).
    score : float
        What beam search ranks by: ``log_prob / len(tokens) ** length_penalty``.
    finished : bool
        True if the sequence ended with the end token (not cut at ``max_length``).
    """
    tokens: tuple
    log_prob: float
    score: float
    finished: bool


# ---------------------------------------------------------------------------------------------
# checks



def _scorer(next_log_probs):
    if not callable(next_log_probs):
        raise TypeError(f"next_log_probs must be a callable tokens -> (V,) array, got {next_log_probs!r}")
    return next_log_probs


def _log_probs(next_log_probs, tokens):
    """Call the scorer and return checked, normalised log-probabilities (V,)."""
    z = np.asarray(next_log_probs(tokens))
    if z.ndim != 1 or z.size == 0 or z.dtype.kind not in "fiu":
        raise ValueError(f"next_log_probs must return a non-empty 1-D array of numbers, "
                         f"got shape {z.shape} and dtype {z.dtype} for tokens {tokens}")
    if np.isnan(z).any() or np.isposinf(z).any() or np.isneginf(z).all():
        raise ValueError(f"next_log_probs returned NaN, +inf or only -inf for tokens {tokens}")
    return log_softmax(z.astype(np.float64))


def _end(end):
    if end is None:
        return None
    return integer(end, "end", 0)


def _score(log_prob, length, length_penalty):
    return log_prob / max(length, 1) ** length_penalty if length_penalty else log_prob


# ---------------------------------------------------------------------------------------------
# decoders

def beam_search(next_log_probs, beam_width=3, max_length=10, end=None, length_penalty=0.0):
    r"""Beam search: keep the ``beam_width`` most probable partial sequences at every step.

    Parameters
    ----------
    next_log_probs : callable
        ``tokens (tuple of int) -> (V,) logits or log-probabilities`` of the next token.
    beam_width : int, default 3
        B >= 1. B = 1 is greedy decoding; B >= V**max_length is an exhaustive search.
    max_length : int, default 10
        The longest sequence (>= 1). Sequences that reach it without ``end`` are returned
        as unfinished.
    end : int, optional
        The end-of-sequence token id: a sequence that emits it is finished and leaves the beam.
    length_penalty : float, default 0.0
        alpha in [0, 10]. Finished sequences are ranked by :math:`\log p / L^\alpha`. With 0 (raw
        log-probability) short sequences are favoured, since every word multiplies in a
        probability < 1; alpha = 1 ranks by the mean log-probability per word.

    Returns
    -------
    list of Hypothesis
        At most ``beam_width`` sequences, best score first (ties: lower token ids first).

    Notes
    -----
    At step t every hypothesis in the beam is extended by its ``beam_width`` most probable
    next tokens; of all these candidates (same length t, so ranked by log-probability) the
    best ``beam_width`` survive. Those that end with ``end`` move to the finished list, so the
    beam shrinks as sequences finish. With ``length_penalty = 0`` the search stops early once
    ``beam_width`` finished sequences score at least as well as the best live one (a live
    sequence can only lose probability). Cost: about ``beam_width * max_length`` calls of
    ``next_log_probs``.

    Examples
    --------
    >>> import numpy as np
    >>> lp = np.log([0.4, 0.35, 0.25])           # token 2 is the end token
    >>> first = lambda tokens: lp if not tokens else np.log([0.05, 0.05, 0.9])
    >>> [h.tokens for h in beam_search(first, beam_width=2, max_length=4, end=2)]
    [(0, 2), (1, 2)]
    """
    next_log_probs = _scorer(next_log_probs)
    B = integer(beam_width, "beam_width")
    L = integer(max_length, "max_length")
    end = _end(end)
    alpha = finite_number(length_penalty, "length_penalty", low=0)
    if alpha > MAX_LENGTH_PENALTY:                # L ** alpha would overflow, and rank nothing sensibly
        raise ValueError(f"length_penalty must be a number in [0, {MAX_LENGTH_PENALTY:g}], got {length_penalty!r}")

    live = [((), 0.0)]
    finished = []
    for _ in range(L):
        candidates = []
        for tokens, log_prob in live:
            lp = _log_probs(next_log_probs, tokens)
            best = np.argsort(-lp, kind="stable")[:B]           # this hypothesis's B best words
            candidates += [(log_prob + float(lp[v]), tokens + (int(v),)) for v in best if lp[v] > -np.inf]
        candidates.sort(key=lambda c: (-c[0], c[1]))
        live = []
        for log_prob, tokens in candidates[:B]:
            if end is not None and tokens[-1] == end:
                finished.append((tokens, log_prob))
            else:
                live.append((tokens, log_prob))
        if not live:
            break
        if alpha == 0 and len(finished) >= B:
            kth_best = sorted((lp for _, lp in finished), reverse=True)[B - 1]
            if live[0][1] <= kth_best:
                break
    results = [Hypothesis(t, lp, _score(lp, len(t), alpha), True) for t, lp in finished]
    results += [Hypothesis(t, lp, _score(lp, len(t), alpha), False) for t, lp in live]
    results.sort(key=lambda h: (-h.score, h.tokens))
    return results[:B]


def greedy_decode(next_log_probs, max_length=10, end=None):
    """The most probable token at every step: :func:`beam_search` with ``beam_width=1``.

    Examples
    --------
    >>> import numpy as np
    >>> greedy_decode(lambda tokens: np.log([0.6, 0.4]), max_length=3)
    Hypothesis(tokens=(0, 0, 0), log_prob=-1.532, score=-1.532, finished=False)
    """
    return beam_search(next_log_probs, beam_width=1, max_length=max_length, end=end)[0]


def sample_decode(next_log_probs, max_length=10, end=None, rng=None, temperature=1.0, top_k=None,
                  top_p=None, min_p=None):
    """Draw each token from the (tempered, filtered) softmax, as :func:`softmax_lab.lm.generate` does.

    Parameters
    ----------
    next_log_probs, max_length, end
        As for :func:`beam_search`.
    rng : numpy.random.Generator, int or None
        The same int seed gives the same sequence.
    temperature, top_k, top_p, min_p
        Passed to :func:`softmax_lab.sampling.sample` (``temperature=0`` is greedy).

    Returns
    -------
    Hypothesis
        Its ``log_prob`` (and score) is under the scorer at temperature 1, whatever
        ``temperature`` was used to draw it, so decoders can be compared on the same scale.

    Examples
    --------
    >>> import numpy as np
    >>> h = sample_decode(lambda tokens: np.log([0.6, 0.4]), max_length=5, rng=0)
    >>> len(h.tokens), h == sample_decode(lambda tokens: np.log([0.6, 0.4]), max_length=5, rng=0)
    (5, True)
    """
    next_log_probs = _scorer(next_log_probs)
    L = integer(max_length, "max_length")
    end = _end(end)
    rng = as_generator(rng)                     # one Generator for the whole sequence
    tokens, log_prob = (), 0.0
    for _ in range(L):
        lp = _log_probs(next_log_probs, tokens)
        v = int(sample(lp, temperature=temperature, top_k=top_k, top_p=top_p, min_p=min_p, rng=rng))
        tokens, log_prob = tokens + (v,), log_prob + float(lp[v])
        if end is not None and v == end:
            return Hypothesis(tokens, log_prob, log_prob, True)
    return Hypothesis(tokens, log_prob, log_prob, False)


def sequence_log_prob(next_log_probs, tokens):
    r"""The log-probability of ``tokens`` under the scorer: :math:`\sum_t \log p(y_t \mid y_{<t})`.

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.isclose(sequence_log_prob(lambda tokens: np.log([0.6, 0.4]), (0, 1)), np.log(0.6 * 0.4)))
    True
    """
    next_log_probs = _scorer(next_log_probs)
    if isinstance(tokens, (str, bytes)) or not np.iterable(tokens):
        raise TypeError(f"tokens must be a sequence of token ids, got {tokens!r}")
    tokens = tuple(integer(t, "tokens", 0) for t in tokens)
    total = 0.0
    for t in range(len(tokens)):
        lp = _log_probs(next_log_probs, tokens[:t])
        if tokens[t] >= lp.size:
            raise ValueError(f"tokens[{t}] = {tokens[t]} is not a token id below V = {lp.size}")
        total += float(lp[tokens[t]])
    return total


def repetition(tokens, n=2):
    """The fraction of the n-grams of ``tokens`` that already occurred earlier in it.

    0 means every n-gram is new; a text stuck in a loop approaches 1. (It is
    ``1 - distinct-n``, the share of distinct n-grams, a common measure of degenerate text.)

    Parameters
    ----------
    tokens : iterable
        Token ids or words (a list, a tuple, an array or a generator).
    n : int, default 2

    Returns
    -------
    float
        0.0 for a sequence shorter than n.

    Examples
    --------
    >>> repetition("the cat sat . the cat sat . the cat".split(), n=2)   # 5 of 9 bigrams repeat
    0.5555555555555556
    >>> repetition("a b c d".split(), n=1)
    0.0
    """
    n = integer(n, "n")
    if isinstance(tokens, (str, bytes)):
        raise TypeError("tokens must be a sequence of tokens; split a string into words first")
    try:
        tokens = list(tokens)                     # any iterable: a list, a tuple, an array, a generator
        set(tokens)                               # every token hashable, even when no n-gram fits
        grams = [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
        distinct = len(set(grams))
    except TypeError:
        raise TypeError("tokens must be an iterable of hashable tokens (ids or words)") from None
    return (1.0 - distinct / len(grams)) if grams else 0.0


# ---------------------------------------------------------------------------------------------
# the tiny language model as a scorer

class LMScorer:
    """The tiny language model as a scorer: ``scorer(tokens)`` gives the next word's log-probabilities.

    Parameters
    ----------
    model : softmax_lab.lm.TinyLM
    prompt : str or list of str, default ""
        Text the decoded tokens continue (not part of the decoded sequence).

    Attributes
    ----------
    vocab : list of str
    end : int or None
        The id of ``"."``, the end of a sentence (pass it as ``end=`` to stop after one sentence);
        None if the vocabulary has no ``"."``.
    calls : int
        How many distinct contexts were scored (results are cached).

    Examples
    --------
    >>> scorer = LMScorer(_lm.load("best"), "the cat sat on the")
    >>> scorer.words(greedy_decode(scorer, max_length=5, end=scorer.end).tokens)
    ['mat', '.']
    """

    def __init__(self, model, prompt=""):
        if not isinstance(model, _lm.TinyLM):
            raise TypeError(f"model must be a softmax_lab.lm.TinyLM, got {type(model).__name__}")
        if isinstance(prompt, str):
            prompt = _lm.tokenize(prompt)
        elif not (isinstance(prompt, (list, tuple)) and all(isinstance(w, str) for w in prompt)):
            raise TypeError(f"prompt must be a string or a list of words, got {prompt!r}")
        self.model = model
        self.prompt = [w.lower() for w in prompt]
        self.vocab = model.vocab
        self.end = model.index.get(_lm.END)      # None when the vocabulary has no "."
        self._cache = {}

    @property
    def calls(self):
        return len(self._cache)

    def _ids(self, tokens):
        if isinstance(tokens, (str, bytes)) or not np.iterable(tokens):
            raise TypeError(f"tokens must be a sequence of token ids, got {tokens!r}")
        ids = tuple(integer(t, "tokens", 0) for t in tokens)
        if any(t >= len(self.vocab) for t in ids):
            raise ValueError(f"tokens must be ids below the vocabulary size {len(self.vocab)}, got {ids}")
        return ids

    def words(self, tokens):
        """Token ids -> words."""
        return [self.vocab[t] for t in self._ids(tokens)]

    def __call__(self, tokens):
        tokens = self._ids(tokens)
        cached = self._cache.get(tokens)
        if cached is None:
            logits = _lm.next_token_logits(self.model, self.prompt + self.words(tokens))
            cached = self._cache[tokens] = log_softmax(logits)
        return cached.copy()                     # the caller may change its array; the cache stays
