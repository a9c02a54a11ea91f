r"""Lesson 13's experiments on pairs: two views of a sentence (contrastive), two answers ranked (DPO).

- :func:`word_dropout`, :func:`train_dual_encoder`, :func:`retrieval_accuracy`: a contrastive
  dual encoder over two word-dropout views of each sentence, with a fixed temperature or CLIP's
  learned one (:data:`CLIP_INIT_TEMPERATURE`, clamped at :data:`CLIP_MAX_SCALE`), trained with
  :func:`softmax_lab.contrastive.info_nce`.
- :func:`dpo_tune`: DPO (:func:`softmax_lab.preference.dpo_loss`) on the tiny word model's output
  layer, against the frozen model as reference.
- :func:`contrastive_split`, :func:`contrastive_run`, :func:`contrastive_comparison`,
  :func:`dpo_comparison`: the lesson's own runs, computed once per session.

Supported range: sentences are lists of words (str), none empty; ``index`` maps words to the
rows 0..V-1 and holds ``<unk>``; temperatures, beta and learning rates are finite numbers > 0;
rates and dropouts are in [0, 1]; counts are integers >= 1; seeds are integers >= 0; a
preference pair's words are in the model's vocabulary. Anything else is refused with a
ValueError or TypeError naming the argument.

Examples
--------
>>> import numpy as np
>>> word_dropout("the cat sat on the mat .".split(), 0.3, np.random.default_rng(0))
['the', 'the', 'mat', '.']
"""

import dataclasses
import functools
import math
import numbers

import numpy as np

from . import data as _data
from . import lm
from ._llm_common import Adam, count, fraction, positive, positive_tuple, word_ids, words
from ._llm_common import seed as check_seed
from ._llm_common import sentences as check_sentences
from ._threads import one_blas_thread
from .contrastive import info_nce
from .functions import log_softmax
from .llm_experiments import context_ids
from .preference import dpo_loss, dpo_loss_grad

__all__ = [
    "CLIP_INIT_TEMPERATURE",
    "CLIP_MAX_SCALE",
    "word_dropout",
    "DualEncoder",
    "train_dual_encoder",
    "retrieval_accuracy",
    "DPOResult",
    "dpo_tune",
    "LESSON_PAIRS",
    "LESSON_BETAS",
    "LESSON_CONTRASTIVE_TEMPERATURES",
    "contrastive_split",
    "contrastive_run",
    "contrastive_comparison",
    "dpo_comparison",
]

#: CLIP's starting temperature and the largest logit scale 1/T it allows (Radford et al. 2021).
CLIP_INIT_TEMPERATURE = 0.07
CLIP_MAX_SCALE = 100.0

#: Lesson 13's preference pairs: after the context, the first word is preferred to the second.
LESSON_PAIRS = (("the cat sat on the", "mat", "roof"),
                ("the dog sat on the", "rug", "roof"),
                ("the bird flew over the", "park", "house"))
LESSON_BETAS = (0.1, 0.5, 2.0)
LESSON_CONTRASTIVE_TEMPERATURES = (0.02, 0.1, 1.0)


# ---------------------------------------------------------------------------------------------
# Contrastive learning


def word_dropout(sentence, rate, rng):
    """A view of ``sentence`` (a list of words): each word kept with probability 1 - rate (at least one)."""
    sentence = words(sentence, "sentence")
    if isinstance(sentence, str):
        raise TypeError(f"sentence must be a list of words, got a str {sentence!r:.40}")
    rate = fraction(rate, "rate")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return _dropout(sentence, rate, rng)


def _dropout(sentence, rate, rng):
    """:func:`word_dropout` without the argument checks (a list of words or of word ids)."""
    if not len(sentence):
        return []
    keep = rng.random(len(sentence)) >= rate
    if not keep.any():
        keep[rng.integers(len(sentence))] = True
    return [w for w, kept in zip(sentence, keep) if kept]


def _dropout_views(sentences, rate, rng):
    """``[_dropout(s, rate, rng) for s in sentences]`` for arrays of word ids, with the same draws.

    Returns ``(columns, lengths)``: the kept word ids of all the views one after another, and the
    length of each view. One call of ``rng.random`` covers the whole batch: it gives the same
    numbers as one call per sentence. Only when a sentence loses every word (then
    :func:`_dropout` draws again, for the word it keeps) is the generator rewound and the batch
    redone sentence by sentence.
    """
    state = rng.bit_generator.state
    lengths = np.array([len(s) for s in sentences])
    keep = rng.random(lengths.sum()) >= rate
    kept = np.add.reduceat(keep, np.cumsum(lengths) - lengths)
    if np.all(kept > 0):
        return np.concatenate(sentences)[keep], kept
    rng.bit_generator.state = state
    views = [_dropout(s, rate, rng) for s in sentences]
    return np.concatenate(views).astype(np.intp), np.array([len(v) for v in views])


def _averaging_matrix(columns, lengths, n_words):
    """The (N, V) matrix M with M[i, w] = (times word w occurs in view i) / (the view's length).

    ``columns`` holds the views' word ids one after another, ``lengths`` each view's length.
    """
    rows = np.repeat(np.arange(len(lengths)), lengths)
    M = np.bincount(rows * n_words + columns, weights=np.repeat(1.0 / np.maximum(lengths, 1), lengths),
                    minlength=len(lengths) * n_words)           # adds 1 / length once per occurrence
    return M.reshape(len(lengths), n_words)


class DualEncoder:
    """Two bag-of-words encoders (towers a and b): a sentence's embedding is the normalised mean of its word vectors.

    Attributes: ``a`` and ``b`` (V, d) word vectors, ``index`` (word -> row), ``log_scale`` (the
    logit scale's log, learned CLIP-style or fixed), ``history`` (loss per step), ``scales``.
    """

    def __init__(self, index, dim, seed):
        rng = np.random.default_rng(check_seed(seed))
        self.index = _check_index(index)
        dim = count(dim, "dim")
        self.a = rng.normal(0.0, 1.0, (len(index), dim))
        self.b = rng.normal(0.0, 1.0, (len(index), dim))
        self.log_scale = math.log(1 / CLIP_INIT_TEMPERATURE)
        self.history, self.scales = [], []

    @property
    def temperature(self):
        return math.exp(-self.log_scale)

    def _ids(self, sentences):
        unk = self.index[lm.UNK]
        return [[self.index.get(w, unk) for w in s] for s in sentences]

    def _pool(self, table, ids):
        """Mean word vector of each sentence, and the (N, V) averaging matrix that made it."""
        M = _ids_averaging_matrix(ids, len(table))
        return M @ table, M

    def encode(self, sentences, tower="a"):
        """Unit-length embeddings (N, d) of the sentences (lists of words) by tower "a" or "b"."""
        sentences = check_sentences(sentences, "sentences")
        if tower not in ("a", "b") or not isinstance(tower, str):
            raise ValueError(f"tower must be 'a' or 'b', got {tower!r}")
        raw, _ = self._pool(self.a if tower == "a" else self.b, self._ids(sentences))
        return _unit_rows(raw)


def _ids_averaging_matrix(ids, n_words):
    """:func:`_averaging_matrix` of views given as lists of word ids."""
    lengths = np.array([len(row) for row in ids], dtype=np.intp)
    columns = np.array([i for row in ids for i in row], dtype=np.intp)
    return _averaging_matrix(columns, lengths, n_words)


def _unit_rows(raw):
    """Each row divided by its length."""
    return raw / np.linalg.norm(raw, axis=1, keepdims=True)


def _check_index(index):
    """A word -> row dict over rows 0..V-1 that holds the unknown-word token."""
    if not isinstance(index, dict) or not all(isinstance(w, str) for w in index):
        raise TypeError(f"index must be a dict word -> row, got {index!r:.80}")
    rows = list(index.values())
    if (not all(isinstance(i, numbers.Integral) and not isinstance(i, (bool, np.bool_)) for i in rows)
            or sorted(rows) != list(range(len(rows))) or lm.UNK not in index):
        raise ValueError(f"index must map words to the rows 0..V-1 and hold {lm.UNK!r}, got {index!r:.80}")
    return index


def _normalised_backward(raw, grad_unit):
    """Gradient through u = raw / |raw|: (g - u (u . g)) / |raw|."""
    norm = np.linalg.norm(raw, axis=-1, keepdims=True)
    u = raw / norm
    return (grad_unit - u * np.sum(u * grad_unit, axis=-1, keepdims=True)) / norm


def _dual_loss_and_grads(params, Ma, Mb, learn):
    """InfoNCE of E dual encoders on one batch of paired views, and each one's gradient for its a, b and log_scale.

    ``params``: ``"a"`` and ``"b"`` (E, V, d), the E encoders' word vectors stacked, and
    ``"log_scale"`` (E,). ``Ma``, ``Mb``: the views' averaging matrices (:func:`_averaging_matrix`),
    one row per pair, the same for every encoder. ``learn`` (E bools): which encoders learn their
    scale (the others get a zero gradient for it). Returns the E losses (a list) and the gradients
    (the shapes of ``params``); encoder e's gradients are those it would get trained alone.
    """
    raw_a, raw_b = Ma @ params["a"], Mb @ params["b"]          # (E, N, d): each view's mean word vector
    u = raw_a / np.linalg.norm(raw_a, axis=-1, keepdims=True)
    v = raw_b / np.linalg.norm(raw_b, axis=-1, keepdims=True)
    s = np.array([math.exp(t) for t in params["log_scale"]], dtype=u.dtype)[:, None, None]   # s = e^theta
    losses, g_su, g_v = info_nce(s * u, v, 1.0)                    # one loss per encoder (a stack of batches)
    g_log_scale = np.array([float(s[e, 0, 0]) * float(np.sum(g_su[e] * u[e])) if learn[e] else 0.0
                            for e in range(len(s))])
    return [float(loss) for loss in losses], {"a": Ma.T @ _normalised_backward(raw_a, s * g_su),
                    "b": Mb.T @ _normalised_backward(raw_b, g_v),
                    "log_scale": g_log_scale}


def train_dual_encoder(sentences, temperature=None, steps=300, batch_size=32, dim=16, dropout=0.3,
                       learning_rate=0.05, index=None, seed=0):
    r"""Train a :class:`DualEncoder` with InfoNCE on two word-dropout views of each sentence.

    Parameters
    ----------
    sentences : list of list of str
        Distinct sentences (two views of one sentence are a pair; every other sentence of the
        batch is a negative, so duplicates would be false negatives).
    temperature : float or None, default None
        A fixed temperature, or None to learn it as CLIP does: the logit scale
        :math:`s = e^{\theta}` starts at 1/0.07 and is clamped at :data:`CLIP_MAX_SCALE`.
    steps, batch_size, dim, dropout, learning_rate, seed
        Adam steps on random batches of distinct sentences (seeded).
    index : dict, optional
        Word -> row; by default the tiny model's vocabulary.

    Returns
    -------
    DualEncoder

    Notes
    -----
    With unit embeddings u (tower a) and v (tower b), the loss is
    ``info_nce(s * u, v, 1.0)``, the same as ``info_nce(u, v, 1 / s)``. Its gradient with respect
    to :math:`\theta = \log s` is :math:`s \sum (\partial L / \partial (s u)) \odot u`.

    Examples
    --------
    >>> from softmax_lab import data
    >>> enc = train_dual_encoder(data.load_sentences("train")[:64], steps=3)
    >>> len(enc.history), round(enc.scales[0], 2)
    (3, 14.29)
    """
    if index is None:
        index = lm.load("best").index
    sentences = check_sentences(sentences, "sentences")
    steps, batch_size = count(steps, "steps"), count(batch_size, "batch_size", 2)
    dropout = fraction(dropout, "dropout")
    if len(sentences) < batch_size:
        raise ValueError(f"sentences must hold at least batch_size = {batch_size} sentences, got {len(sentences)}")
    if temperature is not None:
        temperature = positive(temperature, "temperature")
    return _train_side_by_side(sentences, [temperature], steps, batch_size, _check_index(index), count(dim, "dim"),
                               dropout, positive(learning_rate, "learning_rate"), check_seed(seed))[0]


def _train_side_by_side(sentences, temperatures, steps, batch_size, index, dim, dropout, learning_rate, seed):
    """:func:`train_dual_encoder` (checked arguments) for several temperatures at once: a list of encoders.

    Encoders that differ only in their temperature start from the same word vectors (one seed)
    and draw the same batches and views (their draws do not depend on the temperature). So
    they are trained side by side: each step draws its batch once, and the E encoders' word
    vectors are stacked (E, V, d), so that one product, one :func:`info_nce` or one Adam step
    serves them all. Each encoder gets exactly the word vectors and scales it would get trained
    alone (its reported losses agree to rounding: a stack's means are summed in another order).
    The word vectors are trained in
    float32 (half the memory traffic of float64; unit vectors compared by cosine need no more
    digits) and handed back in float64; the scale's logarithm stays float64.
    """
    rng = np.random.default_rng(seed)
    encoders = [DualEncoder(index, dim, seed) for _ in temperatures]
    for enc, T in zip(encoders, temperatures):
        if T is not None:
            enc.log_scale = math.log(1 / T)
    learn = [T is None for T in temperatures]
    params = {"a": np.stack([enc.a for enc in encoders]).astype(np.float32),
              "b": np.stack([enc.b for enc in encoders]).astype(np.float32),
              "log_scale": np.array([enc.log_scale for enc in encoders])}
    adam = Adam(params, learning_rate)
    V = len(index)
    ids = [np.array(row, dtype=np.intp) for row in encoders[0]._ids(sentences)]   # each sentence's word ids, once
    with one_blas_thread():                          # small products: see softmax_lab._threads
        for _ in range(steps):
            batch = rng.choice(len(sentences), size=batch_size, replace=False)
            views_a = _dropout_views([ids[i] for i in batch], dropout, rng)   # word_dropout of each sentence
            views_b = _dropout_views([ids[i] for i in batch], dropout, rng)
            scales = [math.exp(t) for t in params["log_scale"]]
            losses, grads = _dual_loss_and_grads(params, _averaging_matrix(*views_a, V).astype(np.float32),
                                                 _averaging_matrix(*views_b, V).astype(np.float32), learn)
            adam.step(params, grads)
            np.minimum(params["log_scale"], math.log(CLIP_MAX_SCALE), out=params["log_scale"])   # CLIP's clamp
            for enc, loss, s in zip(encoders, losses, scales):
                enc.history.append(loss)
                enc.scales.append(s)
    for e, enc in enumerate(encoders):
        enc.a, enc.b = params["a"][e].astype(np.float64), params["b"][e].astype(np.float64)
        enc.log_scale = float(params["log_scale"][e])
    return encoders


def retrieval_accuracy(encoder, sentences, dropout=0.3, seed=1):
    """Share of sentences whose tower-a view's nearest tower-b view (cosine) is its own other view.

    Examples
    --------
    >>> from softmax_lab import data
    >>> s = data.load_sentences("validation")[:20]
    >>> 0 <= retrieval_accuracy(train_dual_encoder(s, steps=2, batch_size=8), s) <= 1
    True
    """
    if not isinstance(encoder, DualEncoder):
        raise TypeError(f"encoder must be a DualEncoder (train_dual_encoder makes one), got {type(encoder).__name__}")
    sentences = check_sentences(sentences, "sentences", min_count=1)
    dropout = fraction(dropout, "dropout")
    return _retrieval_accuracies([encoder], sentences, dropout, check_seed(seed))[0]


def _retrieval_accuracies(encoders, sentences, dropout, seed):
    """:func:`retrieval_accuracy` (checked arguments) of encoders that share one vocabulary: the
    views are drawn once for all of them (each encoder's own call would draw the same ones)."""
    rng = np.random.default_rng(seed)
    views_a = [_dropout(s, dropout, rng) for s in sentences]      # word_dropout of each sentence
    views_b = [_dropout(s, dropout, rng) for s in sentences]
    V = len(encoders[0].index)
    Ma, Mb = _ids_averaging_matrix(encoders[0]._ids(views_a), V), _ids_averaging_matrix(encoders[0]._ids(views_b), V)
    accuracies = []
    for enc in encoders:                                           # encode(views_a, "a"), encode(views_b, "b")
        sims = _unit_rows(Ma @ enc.a) @ _unit_rows(Mb @ enc.b).T
        accuracies.append(float(np.mean(np.argmax(sims, axis=1) == np.arange(len(sentences)))))
    return accuracies


# ---------------------------------------------------------------------------------------------
# Preference tuning (DPO)


@dataclasses.dataclass(repr=False)
class DPOResult:
    """A DPO-tuned output layer and what it did: ``weights`` (the whole model's, output layer tuned),
    ``losses`` (per step), ``margin`` (mean over the pairs of (log pi_c - log ref_c) - (log pi_r - log ref_r)),
    ``chosen_gain`` (mean rise of log p(chosen)), ``kl`` (mean KL(pi || ref) over the KL contexts)."""

    weights: dict
    losses: list
    margin: float
    chosen_gain: float
    kl: float


def _check_pairs(pairs, index):
    """A non-empty list of (context, chosen, rejected), the two words in the vocabulary ``index``."""
    if isinstance(pairs, str) or not isinstance(pairs, (list, tuple)):
        raise TypeError(f"pairs must be a list of (context, chosen, rejected), got {pairs!r:.80}")
    if not pairs:
        raise ValueError("pairs must hold at least one (context, chosen, rejected)")
    for pair in pairs:
        if (not isinstance(pair, (list, tuple)) or len(pair) != 3 or not isinstance(pair[1], str)
                or not isinstance(pair[2], str)):
            raise TypeError(f"pairs must hold (context, chosen, rejected) triples, got {pair!r:.80}")
        words(pair[0], "pairs (a context)")
        if pair[1] not in index or pair[2] not in index:
            raise ValueError(f"pairs: the chosen and rejected words must be in the vocabulary, got {pair!r:.80}")
    return [tuple(pair) for pair in pairs]


def _dpo_loss_and_grads(h, W, b, chosen, rejected, ref_chosen, ref_rejected, betas):
    """DPO losses of S output layers side by side (logits h W_s + b_s) on the same pairs, one beta
    each, and each one's gradient for its W_s and b_s. ``W`` (S, H, V), ``b`` (S, V): a list of S
    losses, dW (S, H, V), db (S, V)."""
    rows = np.arange(len(chosen))
    logp = log_softmax(h @ W + b[:, None, :])            # (S, pairs, V)
    pc, pr = logp[:, rows, chosen], logp[:, rows, rejected]
    gc, gr = np.empty_like(pc), np.empty_like(pr)
    losses = []
    for s, beta in enumerate(betas):
        gc[s], gr[s] = dpo_loss_grad(pc[s], pr[s], ref_chosen, ref_rejected, beta)
        losses.append(float(dpo_loss(pc[s], pr[s], ref_chosen, ref_rejected, beta)))
    d_logits = -(gc + gr)[..., None] * np.exp(logp)       # d log p_w / dz = onehot(w) - p
    d_logits[:, rows, chosen] += gc
    d_logits[:, rows, rejected] += gr
    return losses, h.T @ d_logits, d_logits.sum(axis=1)


def dpo_tune(model, pairs, beta, steps=200, learning_rate=0.05, kl_contexts=None):
    r"""Tune the model's output layer with DPO on preference pairs; the frozen model is the reference.

    Parameters
    ----------
    model : TinyLM
        The reference and the starting point of the policy.
    pairs : list of (context, chosen, rejected)
        E.g. ``("the cat sat on the", "mat", "roof")``: after the context, the next word
        ``chosen`` is preferred to ``rejected``.
    beta : float
        DPO's inverse temperature, > 0.
    steps : int, default 200
        Plain gradient-descent steps with step size ``learning_rate / beta``: DPO's gradient carries
        a factor beta, so this gives every beta the same speed at the start.
    kl_contexts : ndarray of int, optional
        Context ids (N, n) on which to measure the drift :math:`\mathrm{KL}(\pi \| \pi_{ref})`;
        by default the pairs' own contexts.

    Returns
    -------
    DPOResult

    Notes
    -----
    With :math:`\ell_w = \log \pi(w \mid c)` and the reference's :math:`r_w`, the loss is
    ``dpo_loss(l_c, l_r, r_c, r_r, beta)`` and its gradient with respect to the logits z of a
    context is :math:`g_c (e_c - \pi) + g_r (e_r - \pi)` (:func:`dpo_loss_grad` gives
    :math:`g_c, g_r`); the logits are :math:`z = h W + b` with h fixed.

    Examples
    --------
    >>> best = lm.load("best")
    >>> r = dpo_tune(best, [("the cat sat on the", "mat", "floor")], beta=0.5, steps=20)
    >>> bool(r.margin > 0 and r.losses[-1] < r.losses[0])
    True
    """
    beta = positive(beta, "beta")
    steps = count(steps, "steps")
    if not isinstance(model, lm.TinyLM):
        raise TypeError(f"model must be a TinyLM (e.g. lm.load('best')), got {type(model).__name__}")
    pairs = _check_pairs(pairs, model.index)
    learning_rate = positive(learning_rate, "learning_rate")
    if kl_contexts is not None:
        kl_contexts = word_ids(kl_contexts, "kl_contexts", len(model.vocab), model.context_size)
        if len(kl_contexts) == 0:
            raise ValueError("kl_contexts must hold at least one context, got none")
    return _dpo_tunes(model, pairs, [beta], steps, learning_rate, kl_contexts)[0]


def _dpo_tunes(model, pairs, betas, steps, learning_rate, kl_contexts):
    """:func:`dpo_tune` (checked arguments) for several betas at once: a list of results.

    The tunings differ only in beta: the policies' output layers are stacked (S, H, V) and take
    their steps side by side (one product and one log-softmax for all), and the reference's
    log-probabilities on the KL contexts are computed once. Each result is exactly that of
    :func:`dpo_tune` with its beta alone.
    """
    ids = np.array([context_ids(model, c) for c, _, _ in pairs])
    chosen = np.array([model.index[w] for _, w, _ in pairs])
    rejected = np.array([model.index[w] for _, _, w in pairs])
    rows = np.arange(len(pairs))
    _, _, h = lm.forward(model.weights, ids, return_hidden=True)
    W0, b0 = model.weights["output_weight"], model.weights["output_bias"]
    ref_logp = log_softmax(h @ W0 + b0)
    rc, rr = ref_logp[rows, chosen], ref_logp[rows, rejected]
    W, b = np.stack([W0] * len(betas)), np.stack([b0] * len(betas))      # the policies start as the reference
    lr = np.array([learning_rate / beta for beta in betas])
    losses = []
    for _ in range(steps):
        step_losses, dW, db = _dpo_loss_and_grads(h, W, b, chosen, rejected, rc, rr, betas)
        losses.append(step_losses)
        W -= lr[:, None, None] * dW
        b -= lr[:, None] * db
    logp = log_softmax(h @ W + b[:, None, :])
    kl_ids = ids if kl_contexts is None else np.asarray(kl_contexts)
    lp_ref = log_softmax(lm.forward(model.weights, kl_ids))
    results = []
    for s in range(len(betas)):
        margin = float(np.mean((logp[s, rows, chosen] - rc) - (logp[s, rows, rejected] - rr)))
        gain = float(np.mean(logp[s, rows, chosen] - rc))
        tuned = {**model.weights, "output_weight": W[s], "output_bias": b[s]}
        lp_new = log_softmax(lm.forward(tuned, kl_ids))
        kl = float(np.mean(np.sum(np.exp(lp_new) * (lp_new - lp_ref), axis=1)))
        results.append(DPOResult(tuned, [step[s] for step in losses], margin, gain, kl))
    return results


def contrastive_split(n_train=2000, n_test=200, seed=0):
    """Distinct training sentences, shuffled (seeded): ``(train, test)``, disjoint lists of word lists."""
    return _contrastive_split(count(n_train, "n_train"), count(n_test, "n_test"), check_seed(seed))


@functools.lru_cache(maxsize=None)
def _contrastive_split(n_train, n_test, seed):
    sentences = sorted(set(map(tuple, _data.load_sentences("train"))))
    order = np.random.default_rng(seed).permutation(len(sentences))
    shuffled = [list(sentences[i]) for i in order]
    if n_train + n_test > len(shuffled):
        raise ValueError(f"n_train + n_test must be at most {len(shuffled)} (the distinct training sentences), "
                         f"got {n_train} + {n_test}")
    return shuffled[:n_train], shuffled[n_train:n_train + n_test]


#: The lesson's contrastive runs, trained once per session:
#: (temperature, n_train, n_test, steps, seed) -> (retrieval accuracy, DualEncoder).
_RUNS = {}


def contrastive_run(temperature, n_train=2000, n_test=200, steps=600, seed=0):
    """One dual encoder (dim 32) of :func:`contrastive_comparison`, trained once per session.

    ``temperature`` is a fixed temperature, or None for CLIP's learned one. Returns (retrieval
    accuracy on ``n_test`` held-out distinct sentences, the trained :class:`DualEncoder`); the
    same call returns the same objects (do not modify them). ``n_train`` must be at least 32
    (the batch size).
    """
    if temperature is not None:
        temperature = positive(temperature, "temperature")
    n_train = count(n_train, "n_train", low=32)
    return _contrastive_runs((temperature,), n_train, count(n_test, "n_test"), count(steps, "steps"),
                             check_seed(seed))[temperature]


def _contrastive_runs(temperatures, n_train, n_test, steps, seed):
    """{temperature: (accuracy, encoder)}: the runs not trained yet are trained side by side, then kept."""
    missing = [T for T in dict.fromkeys(temperatures) if (T, n_train, n_test, steps, seed) not in _RUNS]
    if missing:
        train, test = contrastive_split(n_train, n_test, seed)
        encoders = _train_side_by_side(train, missing, steps, 32, lm.load("best").index, 32, 0.3, 0.05, seed)
        for T, enc, accuracy in zip(missing, encoders, _retrieval_accuracies(encoders, test, 0.3, 1)):
            _RUNS[(T, n_train, n_test, steps, seed)] = (accuracy, enc)
    return {T: _RUNS[(T, n_train, n_test, steps, seed)] for T in temperatures}


def contrastive_comparison(temperatures=LESSON_CONTRASTIVE_TEMPERATURES, n_train=2000, n_test=200, steps=600,
                           seed=0):
    """Dual encoders (dim 32) trained at fixed temperatures and with CLIP's learned one.

    Returns a dict: each temperature, and ``None`` for the learned one, -> (retrieval accuracy
    on ``n_test`` held-out distinct sentences, the trained :class:`DualEncoder`), the same
    objects as :func:`contrastive_run` returns. ``n_train`` must be at least 32 (the batch size).
    """
    temperatures = positive_tuple(temperatures, "temperatures")
    n_train = count(n_train, "n_train", low=32)
    return _contrastive_runs((*temperatures, None), n_train, count(n_test, "n_test"), count(steps, "steps"),
                             check_seed(seed))


def dpo_comparison(betas=LESSON_BETAS, pairs=LESSON_PAIRS, steps=200, n_kl_contexts=1000):
    """:func:`dpo_tune` of the ``best`` checkpoint for each beta; the drift measured on validation contexts.

    Returns a dict beta -> :class:`DPOResult`.
    """
    betas = positive_tuple(betas, "betas")
    pairs = tuple(_check_pairs(pairs, lm.load("best").index))
    return _dpo_comparison(betas, pairs, count(steps, "steps"), count(n_kl_contexts, "n_kl_contexts"))


@functools.lru_cache(maxsize=None)
def _dpo_comparison(betas, pairs, steps, n_kl_contexts):
    model = lm.load("best")
    contexts, _ = lm.make_examples(_data.load_sentences("validation"), model.index)
    unique = list(dict.fromkeys(betas))
    return dict(zip(unique, _dpo_tunes(model, list(pairs), unique, steps, 0.05, contexts[:n_kl_contexts])))
