r"""Lesson 13's experiments on pairs: two views of a sentence (contrastive), two answers ranked (DPO).

- :func:`word_dropout`, :func:`train_dual_encoder`, :func:`retrieval_accuracy`: a contrastive
  dual encoder over two word-dropout views of each sentence, with a fixed temperature or CLIP's
  learned one (:data:`CLIP_INIT_TEMPERATURE`, clamped at :data:`CLIP_MAX_SCALE`), trained with
  :func:`softmax_lab.contrastive.info_nce`.
- :func:`dpo_tune`: DPO (:func:`softmax_lab.preference.dpo_loss`) on the tiny word model's output
  layer, against the frozen model as reference.
- :func:`contrastive_split`, :func:`contrastive_comparison`, :func:`dpo_comparison`: the
  lesson's own runs, computed once per session.

Examples
--------
>>> import numpy as np
>>> word_dropout("the cat sat on the mat .".split(), 0.3, np.random.default_rng(0))
['the', 'the', 'mat', '.']
"""

import functools
import math

import numpy as np

from . import data as _data
from . import lm
from ._llm_common import Adam, count, positive
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
    keep = rng.random(len(sentence)) >= rate
    if not keep.any():
        keep[rng.integers(len(sentence))] = True
    return [w for w, kept in zip(sentence, keep) if kept]


class DualEncoder:
    """Two bag-of-words encoders (towers a and b): a sentence's embedding is the normalised mean of its word vectors.

    Attributes: ``a`` and ``b`` (V, d) word vectors, ``index`` (word -> row), ``log_scale`` (the
    logit scale's log, learned CLIP-style or fixed), ``history`` (loss per step), ``scales``.
    """

    def __init__(self, index, dim, seed):
        rng = np.random.default_rng(seed)
        self.index = index
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
        M = np.zeros((len(ids), len(table)))
        for i, row in enumerate(ids):
            np.add.at(M[i], row, 1.0 / len(row))
        return M @ table, M

    def encode(self, sentences, tower="a"):
        """Unit-length embeddings (N, d) of the sentences (lists of words) by tower "a" or "b"."""
        raw, _ = self._pool(self.a if tower == "a" else self.b, self._ids(sentences))
        return raw / np.linalg.norm(raw, axis=1, keepdims=True)


def _normalised_backward(raw, grad_unit):
    """Gradient through u = raw / |raw|: (g - u (u . g)) / |raw|."""
    norm = np.linalg.norm(raw, axis=1, keepdims=True)
    u = raw / norm
    return (grad_unit - u * np.sum(u * grad_unit, axis=1, keepdims=True)) / norm


def _dual_loss_and_grads(enc, params, ids_a, ids_b):
    """InfoNCE of the two towers on a batch of paired views, and its gradient for a, b and log_scale."""
    raw_a, Ma = enc._pool(params["a"], ids_a)
    raw_b, Mb = enc._pool(params["b"], ids_b)
    u = raw_a / np.linalg.norm(raw_a, axis=1, keepdims=True)
    v = raw_b / np.linalg.norm(raw_b, axis=1, keepdims=True)
    s = math.exp(params["log_scale"][0])
    loss, g_su, g_v = info_nce(s * u, v, 1.0)
    return float(loss), {"a": Ma.T @ _normalised_backward(raw_a, s * g_su),
                         "b": Mb.T @ _normalised_backward(raw_b, g_v),
                         "log_scale": np.array([s * np.sum(g_su * u)])}


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
    rng = np.random.default_rng(seed)
    if index is None:
        index = lm.load("best").index
    sentences = [list(s) for s in sentences]
    steps, batch_size = count(steps, "steps"), count(batch_size, "batch_size", 2)
    if len(sentences) < batch_size:
        raise ValueError(f"sentences must hold at least batch_size = {batch_size} sentences, got {len(sentences)}")
    learn = temperature is None
    enc = DualEncoder(index, count(dim, "dim"), seed)
    if not learn:
        enc.log_scale = math.log(1 / positive(temperature, "temperature"))
    params = {"a": enc.a, "b": enc.b, "log_scale": np.array([enc.log_scale])}
    adam = Adam(params, positive(learning_rate, "learning_rate"))
    for _ in range(steps):
        batch = rng.choice(len(sentences), size=batch_size, replace=False)
        ids_a = enc._ids([word_dropout(sentences[i], dropout, rng) for i in batch])
        ids_b = enc._ids([word_dropout(sentences[i], dropout, rng) for i in batch])
        s = math.exp(params["log_scale"][0])
        loss, grads = _dual_loss_and_grads(enc, params, ids_a, ids_b)
        if not learn:
            grads["log_scale"] = np.zeros(1)
        adam.step(params, grads)
        params["log_scale"][0] = min(params["log_scale"][0], math.log(CLIP_MAX_SCALE))   # CLIP's clamp
        enc.history.append(float(loss))
        enc.scales.append(s)
    enc.a, enc.b, enc.log_scale = params["a"], params["b"], float(params["log_scale"][0])
    return enc


def retrieval_accuracy(encoder, sentences, dropout=0.3, seed=1):
    """Share of sentences whose tower-a view's nearest tower-b view (cosine) is its own other view.

    Examples
    --------
    >>> from softmax_lab import data
    >>> s = data.load_sentences("validation")[:20]
    >>> 0 <= retrieval_accuracy(train_dual_encoder(s, steps=2, batch_size=8), s) <= 1
    True
    """
    rng = np.random.default_rng(seed)
    views_a = [word_dropout(s, dropout, rng) for s in sentences]
    views_b = [word_dropout(s, dropout, rng) for s in sentences]
    sims = encoder.encode(views_a, "a") @ encoder.encode(views_b, "b").T
    return float(np.mean(np.argmax(sims, axis=1) == np.arange(len(sentences))))


# ---------------------------------------------------------------------------------------------
# Preference tuning (DPO)


class DPOResult:
    """A DPO-tuned output layer and what it did: ``weights`` (the whole model's, output layer tuned),
    ``losses`` (per step), ``margin`` (mean over the pairs of (log pi_c - log ref_c) - (log pi_r - log ref_r)),
    ``chosen_gain`` (mean rise of log p(chosen)), ``kl`` (mean KL(pi || ref) over the KL contexts)."""

    def __init__(self, weights, losses, margin, chosen_gain, kl):
        self.weights, self.losses, self.margin, self.chosen_gain, self.kl = weights, losses, margin, chosen_gain, kl


def _dpo_loss_and_grads(h, W, b, chosen, rejected, ref_chosen, ref_rejected, beta):
    """DPO loss of an output layer (logits h W + b) on pairs, and its gradient for W and b."""
    rows = np.arange(len(chosen))
    logp = log_softmax(h @ W + b)
    pc, pr = logp[rows, chosen], logp[rows, rejected]
    gc, gr = dpo_loss_grad(pc, pr, ref_chosen, ref_rejected, beta)
    d_logits = -(gc + gr)[:, None] * np.exp(logp)        # d log p_w / dz = onehot(w) - p
    d_logits[rows, chosen] += gc
    d_logits[rows, rejected] += gr
    return float(dpo_loss(pc, pr, ref_chosen, ref_rejected, beta)), h.T @ d_logits, d_logits.sum(axis=0)


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
    if not pairs:
        raise ValueError("pairs must hold at least one (context, chosen, rejected)")
    ids = np.array([context_ids(model, c) for c, _, _ in pairs])
    chosen = np.array([model.index[w] for _, w, _ in pairs])
    rejected = np.array([model.index[w] for _, _, w in pairs])
    rows = np.arange(len(pairs))
    _, _, h = lm.forward(model.weights, ids, return_hidden=True)
    W, b = model.weights["output_weight"].copy(), model.weights["output_bias"].copy()
    ref_logp = log_softmax(h @ W + b)
    rc, rr = ref_logp[rows, chosen], ref_logp[rows, rejected]
    losses = []
    lr = positive(learning_rate, "learning_rate") / beta
    for _ in range(steps):
        loss, dW, db = _dpo_loss_and_grads(h, W, b, chosen, rejected, rc, rr, beta)
        losses.append(loss)
        W -= lr * dW
        b -= lr * db
    logp = log_softmax(h @ W + b)
    margin = float(np.mean((logp[rows, chosen] - rc) - (logp[rows, rejected] - rr)))
    gain = float(np.mean(logp[rows, chosen] - rc))
    tuned = {**model.weights, "output_weight": W, "output_bias": b}
    kl_ids = ids if kl_contexts is None else np.asarray(kl_contexts)
    lp_new = log_softmax(lm.forward(tuned, kl_ids))
    lp_ref = log_softmax(lm.forward(model.weights, kl_ids))
    kl = float(np.mean(np.sum(np.exp(lp_new) * (lp_new - lp_ref), axis=1)))
    return DPOResult(tuned, losses, margin, gain, kl)


@functools.lru_cache(maxsize=None)
def contrastive_split(n_train=2000, n_test=200, seed=0):
    """Distinct training sentences, shuffled (seeded): ``(train, test)``, disjoint lists of word lists."""
    sentences = sorted(set(map(tuple, _data.load_sentences("train"))))
    order = np.random.default_rng(seed).permutation(len(sentences))
    shuffled = [list(sentences[i]) for i in order]
    return shuffled[:n_train], shuffled[n_train:n_train + n_test]


@functools.lru_cache(maxsize=None)
def contrastive_comparison(temperatures=LESSON_CONTRASTIVE_TEMPERATURES, n_train=2000, n_test=200, steps=600,
                           seed=0):
    """Dual encoders (dim 32) trained at fixed temperatures and with CLIP's learned one.

    Returns a dict: each temperature, and ``None`` for the learned one, -> (retrieval accuracy
    on ``n_test`` held-out distinct sentences, the trained :class:`DualEncoder`).
    """
    train, test = contrastive_split(n_train, n_test, seed)
    index = lm.load("best").index
    out = {}
    for T in (*temperatures, None):
        enc = train_dual_encoder(train, temperature=T, steps=steps, dim=32, index=index, seed=seed)
        out[T] = (retrieval_accuracy(enc, test), enc)
    return out


@functools.lru_cache(maxsize=None)
def dpo_comparison(betas=LESSON_BETAS, pairs=LESSON_PAIRS, steps=200, n_kl_contexts=1000):
    """:func:`dpo_tune` of the ``best`` checkpoint for each beta; the drift measured on validation contexts.

    Returns a dict beta -> :class:`DPOResult`.
    """
    model = lm.load("best")
    contexts, _ = lm.make_examples(_data.load_sentences("validation"), model.index)
    return {beta: dpo_tune(model, list(pairs), beta, steps=steps, kl_contexts=contexts[:n_kl_contexts])
            for beta in betas}
