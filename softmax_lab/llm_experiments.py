r"""Lesson 13's experiments: the course's tiny models put through five more softmaxes.

Each function runs one small, seeded experiment of lesson 13 on the tiny word model of
:mod:`softmax_lab.lm`, using the loss functions of the lesson's modules
(:mod:`~softmax_lab.distillation`, :mod:`~softmax_lab.speculative`, :mod:`~softmax_lab.routing`,
:mod:`~softmax_lab.contrastive`, :mod:`~softmax_lab.preference`): they hold the formulas, this
module only trains and measures.

- :func:`train_student`: a smaller word model trained on hard labels, or on a teacher's soft
  targets (the T**2-scaled distillation loss).
- :func:`model_probs` and :func:`measure_speculation`: the early checkpoint drafts for the best
  one; tokens per target call, measured.
- :func:`chi_square_test`: does a histogram of samples follow a distribution? (Pearson's test,
  with the chi-square tail computed here so that scipy is not needed.)
- :func:`train_router`: a router over the model's hidden states, trained on the load-balancing
  loss and the z-loss.
- :func:`word_dropout`, :func:`train_dual_encoder`, :func:`retrieval_accuracy`: a contrastive
  dual encoder over two views of each sentence, with a fixed or a learned (CLIP) temperature.
- :func:`dpo_tune`: DPO on the output layer, against the frozen model as reference.

Examples
--------
>>> from softmax_lab import lm
>>> best = lm.load("best")
>>> p = model_probs(best)([best.index["the"], best.index["cat"]])
>>> p.shape, bool(abs(p.sum() - 1) < 1e-12)
((1, 445), True)
"""

import functools
import math
import numbers

import numpy as np

from . import data as _data
from . import lm
from .contrastive import info_nce
from .distillation import distillation_loss
from .functions import log_softmax, softmax
from .losses import cross_entropy, cross_entropy_grad
from .preference import dpo_loss, dpo_loss_grad
from .routing import load_balancing_loss_grad, router_z_loss_grad
from .speculative import speculative_step
from .training import init_weights

__all__ = [
    "train_student",
    "model_probs",
    "SpeculationResult",
    "measure_speculation",
    "chi_square_test",
    "train_router",
    "word_dropout",
    "DualEncoder",
    "train_dual_encoder",
    "retrieval_accuracy",
    "CLIP_INIT_TEMPERATURE",
    "CLIP_MAX_SCALE",
    "DPOResult",
    "dpo_tune",
    "student_metrics",
    "context_ids",
    "LESSON_PAIRS",
    "LESSON_BETAS",
    "LESSON_CONTRASTIVE_TEMPERATURES",
    "distillation_comparison",
    "lesson_router",
    "contrastive_comparison",
    "dpo_comparison",
]

#: CLIP's starting temperature and the largest logit scale 1/T it allows (Radford et al. 2021).
CLIP_INIT_TEMPERATURE = 0.07
CLIP_MAX_SCALE = 100.0


def _count(value, name, low=1):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _positive(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


class _Adam:
    """Adam (Kingma and Ba 2015) over a dict of arrays, updated in place."""

    def __init__(self, params, learning_rate):
        self.lr, self.t = learning_rate, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, params, grads):
        self.t += 1
        for k, g in grads.items():
            self.m[k] = 0.9 * self.m[k] + 0.1 * g
            self.v[k] = 0.999 * self.v[k] + 0.001 * g**2
            m_hat = self.m[k] / (1 - 0.9**self.t)
            v_hat = self.v[k] / (1 - 0.999**self.t)
            params[k] -= self.lr * m_hat / (np.sqrt(v_hat) + 1e-8)


# ---------------------------------------------------------------------------------------------
# Distillation


def _backward(weights, contexts, x, h, d_logits):
    """The word model's gradients from the gradient of its logits (as in :func:`lm.loss_and_grads`)."""
    d_pre = (d_logits @ weights["output_weight"].T) * (1.0 - h**2)
    d_x = (d_pre @ weights["hidden_weight"].T).reshape(*contexts.shape, -1)
    d_embeddings = np.zeros_like(weights["embeddings"])
    np.add.at(d_embeddings, contexts, d_x)
    return {"embeddings": d_embeddings, "hidden_weight": x.T @ d_pre, "hidden_bias": d_pre.sum(axis=0),
            "output_weight": h.T @ d_logits, "output_bias": d_logits.sum(axis=0)}


def train_student(teacher, contexts, targets, temperature=None, alpha=1.0, steps=600, batch_size=64,
                  learning_rate=0.01, embed_dim=8, hidden_size=16, seed=0):
    r"""Train a small word model on hard labels, or on the teacher's soft targets.

    Parameters
    ----------
    teacher : TinyLM
        The model whose softened distribution the student copies (ignored for hard labels).
    contexts, targets : ndarray
        Training examples, as made by :func:`softmax_lab.lm.make_examples` (a few thousand: the
        teacher's logits for all of them are computed once and kept, N x V numbers).
    temperature : float or None, default None
        None trains on the hard labels (cross-entropy). A number T trains on
        ``alpha * distillation_loss(student, teacher, T) + (1 - alpha) * cross_entropy``.
    alpha : float in [0, 1], default 1.0
        The weight of the soft targets.
    steps, batch_size, learning_rate, embed_dim, hidden_size, seed
        Adam steps on random mini-batches (seeded: the same seed gives the same student).

    Returns
    -------
    dict of ndarray
        The student's weights (use with :func:`softmax_lab.lm.forward`).

    Notes
    -----
    The gradient of the mixed loss with respect to the student's logits is
    :math:`\alpha\, T (p^s_T - p^t_T) / B + (1 - \alpha)(p^s - y) / B` (the first term from
    :func:`~softmax_lab.distillation.distillation_loss`); the rest is the model's backward pass.

    Examples
    --------
    >>> from softmax_lab import data
    >>> best = lm.load("best")
    >>> c, t = lm.make_examples(data.load_sentences("train")[:50], best.index)
    >>> w = train_student(best, c, t, temperature=2.0, steps=5)
    >>> w["hidden_weight"].shape
    (24, 16)
    """
    contexts, targets = np.asarray(contexts), np.asarray(targets)
    if contexts.ndim != 2 or len(contexts) != len(targets) or len(targets) == 0:
        raise ValueError(f"contexts must be (N, n) and targets (N,) with N > 0, got {contexts.shape} "
                         f"and {targets.shape}")
    if temperature is not None:
        temperature = _positive(temperature, "temperature")
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be a number in [0, 1], got {alpha!r}")
    steps, batch_size = _count(steps, "steps"), _count(batch_size, "batch_size")
    V = len(teacher.vocab)
    weights = init_weights(V, contexts.shape[1], _count(embed_dim, "embed_dim"), _count(hidden_size, "hidden_size"),
                           seed=seed)
    adam = _Adam(weights, _positive(learning_rate, "learning_rate"))
    rng = np.random.default_rng(seed)
    teacher_logits = None if temperature is None else lm.forward(teacher.weights, contexts)   # once: (N, V)
    for _ in range(steps):
        batch = rng.integers(0, len(targets), size=batch_size)
        logits, x, h = lm.forward(weights, contexts[batch], return_hidden=True)
        if temperature is None:
            d_logits = cross_entropy_grad(logits, targets[batch])
        else:
            d_logits = alpha * distillation_loss(logits, teacher_logits[batch], temperature)[1]
            if alpha < 1:
                d_logits = d_logits + (1 - alpha) * cross_entropy_grad(logits, targets[batch])
        adam.step(weights, _backward(weights, contexts[batch], x, h, d_logits))
    return weights


# ---------------------------------------------------------------------------------------------
# Speculative decoding


def model_probs(model, temperature=1.0):
    """A function ``ids -> (1, V)`` or ``list of ids -> (n, V)``: the model's next-word probabilities.

    The contexts are tuples of word ids of the current text (as :func:`softmax_lab.speculative.
    speculative_step` passes them); the model reads the last ``context_size`` ids of the current
    sentence, padded with ``<s>``. ``temperature`` divides the logits.
    """
    temperature = _positive(temperature, "temperature")
    n, start, end = model.context_size, model.index[lm.START], model.index[lm.END]

    def window(ids):
        ids = list(ids)
        if end in ids:
            ids = ids[len(ids) - ids[::-1].index(end):]
        return ([start] * n + ids)[-n:]

    def probs(contexts):
        contexts = list(contexts)
        if not contexts or isinstance(contexts[0], numbers.Integral):
            contexts = [contexts]
        logits = lm.forward(model.weights, np.array([window(c) for c in contexts], dtype=np.intp))
        return softmax(logits, temperature=temperature)

    return probs


class SpeculationResult:
    """What :func:`measure_speculation` counted: rounds (= target calls), tokens, drafts accepted/verified."""

    def __init__(self, gamma, rounds, tokens, accepted, verified):
        self.gamma, self.rounds, self.tokens, self.accepted, self.verified = gamma, rounds, tokens, accepted, verified

    @property
    def acceptance_rate(self):
        """Accepted drafts over drafts verified (a round stops verifying at the first rejection)."""
        return self.accepted / self.verified if self.verified else float("nan")

    @property
    def calls_per_token(self):
        """Target calls per generated token: rounds / tokens (1 without a draft)."""
        return self.rounds / self.tokens

    def __repr__(self):
        return (f"SpeculationResult(gamma={self.gamma}, rounds={self.rounds}, tokens={self.tokens}, "
                f"acceptance_rate={self.acceptance_rate:.3f}, calls_per_token={self.calls_per_token:.3f})")


def measure_speculation(target, draft, gamma, n_tokens=600, temperature=1.0, prompt="", rng=None):
    """Generate at least ``n_tokens`` words by speculative decoding and count the target calls.

    Parameters
    ----------
    target, draft : TinyLM
    gamma : int
        Tokens drafted per round (>= 1).
    n_tokens : int, default 600
    temperature : float, default 1.0
        Applied to both models.
    prompt : str, default ""
    rng : numpy.random.Generator, int or None

    Returns
    -------
    SpeculationResult

    Examples
    --------
    >>> best = lm.load("best")
    >>> r = measure_speculation(best, best, gamma=3, n_tokens=40, rng=0)   # a perfect draft
    >>> r.acceptance_rate, r.calls_per_token
    (1.0, 0.25)
    """
    gamma, n_tokens = _count(gamma, "gamma"), _count(n_tokens, "n_tokens")
    rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    target_fn, draft_fn = model_probs(target, temperature), model_probs(draft, temperature)
    text = [target.index.get(w, target.index[lm.UNK]) for w in lm.tokenize(prompt)]
    rounds = accepted = verified = 0
    produced = 0
    while produced < n_tokens:
        step = speculative_step(target_fn, lambda c: draft_fn(c)[0], tuple(text[-target.context_size - 1:]),
                                gamma, rng=rng)
        text.extend(step.tokens)
        rounds += 1
        produced += len(step.tokens)
        accepted += step.n_accepted
        verified += min(step.n_accepted + 1, gamma)
    return SpeculationResult(gamma, rounds, produced, accepted, verified)


def _upper_gamma_regularized(a, x):
    """Q(a, x) = Gamma(a, x) / Gamma(a): a series below a + 1, a continued fraction above."""
    if x <= 0:
        return 1.0
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:                                  # P(a, x) by its series, then Q = 1 - P
        term = total = 1.0 / a
        ap = a
        for _ in range(10_000):
            ap += 1
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_front))
    b, c, d = x + 1 - a, 1e300, 1.0 / (x + 1 - a)  # Lentz's continued fraction for Q
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = 1e-300 if abs(d) < 1e-300 else d
        c = b + an / c
        c = 1e-300 if abs(c) < 1e-300 else c
        d = 1.0 / d
        h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return math.exp(log_front) * h


def chi_square_test(counts, probs, min_expected=5.0):
    r"""Pearson's chi-square test: could ``counts`` have been drawn from ``probs``?

    Categories expected fewer than ``min_expected`` times are pooled into one (the test's
    approximation needs about 5 per category).

    Returns
    -------
    statistic : float
        :math:`\chi^2 = \sum_i (O_i - E_i)^2 / E_i` with :math:`E_i = n p_i`.
    p_value : float
        :math:`\Pr(\chi^2_{k-1} \ge \text{statistic})` for k categories after pooling: small
        (below 0.01, say) means the samples do not follow ``probs``.

    Examples
    --------
    >>> stat, p = chi_square_test([25, 25, 50], [0.25, 0.25, 0.5])
    >>> stat, p
    (0.0, 1.0)
    >>> chi_square_test([50, 0, 50], [0.25, 0.25, 0.5])[1] < 1e-6
    True
    """
    counts, probs = np.asarray(counts, dtype=np.float64), np.asarray(probs, dtype=np.float64)
    if counts.shape != probs.shape or counts.ndim != 1:
        raise ValueError(f"counts and probs must be 1-D of one length, got {counts.shape} and {probs.shape}")
    if np.any(counts < 0) or not np.all(np.isfinite(counts)):
        raise ValueError("counts must be finite and >= 0")
    if np.any(probs < 0) or not np.isclose(probs.sum(), 1.0):
        raise ValueError("probs must be >= 0 and sum to 1")
    n = counts.sum()
    expected = n * probs
    big = expected >= min_expected
    observed = np.append(counts[big], counts[~big].sum())
    expected = np.append(expected[big], expected[~big].sum())
    keep = expected > 0
    observed, expected = observed[keep], expected[keep]
    if np.any(counts[probs == 0] > 0):
        return float("inf"), 0.0
    statistic = float(np.sum((observed - expected) ** 2 / expected))
    dof = len(observed) - 1
    if dof < 1:
        return statistic, 1.0
    return statistic, float(_upper_gamma_regularized(dof / 2, statistic / 2))


# ---------------------------------------------------------------------------------------------
# Mixture-of-experts routing


def train_router(hidden, n_experts, k=1, steps=200, learning_rate=0.05, z_weight=1e-3, init_scale=3.0, seed=0):
    r"""A linear router over hidden states, trained on the load-balancing loss plus the z-loss.

    The router's logits are :math:`z = h W`; it starts from
    :math:`W \sim N(0, (\text{init\_scale})^2 / H)`, so at init_scale 3 its logits are several
    units apart and the load is uneven, and takes ``steps`` Adam steps on
    ``load_balancing_loss(z, k) + z_weight * router_z_loss(z)``.

    Returns
    -------
    W_initial, W_trained : ndarray, shape (H, n_experts)

    Examples
    --------
    >>> from softmax_lab.routing import load_balancing_loss
    >>> h = np.random.default_rng(0).normal(size=(200, 8))
    >>> W0, W1 = train_router(h, 4, steps=100)
    >>> bool(load_balancing_loss(h @ W1, 1) < load_balancing_loss(h @ W0, 1))
    True
    """
    hidden = np.asarray(hidden, dtype=np.float64)
    if hidden.ndim != 2:
        raise ValueError(f"hidden must be (N, H), got shape {hidden.shape}")
    n_experts, k, steps = _count(n_experts, "n_experts", 2), _count(k, "k"), _count(steps, "steps")
    rng = np.random.default_rng(seed)
    W0 = rng.normal(0.0, _positive(init_scale, "init_scale") / np.sqrt(hidden.shape[1]), (hidden.shape[1], n_experts))
    params = {"W": W0.copy()}
    adam = _Adam(params, _positive(learning_rate, "learning_rate"))
    for _ in range(steps):
        z = hidden @ params["W"]
        dz = load_balancing_loss_grad(z, k) + z_weight * router_z_loss_grad(z)
        adam.step(params, {"W": hidden.T @ dz})
    return W0, params["W"]


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
    steps, batch_size = _count(steps, "steps"), _count(batch_size, "batch_size", 2)
    if len(sentences) < batch_size:
        raise ValueError(f"sentences must hold at least batch_size = {batch_size} sentences, got {len(sentences)}")
    learn = temperature is None
    enc = DualEncoder(index, _count(dim, "dim"), seed)
    if not learn:
        enc.log_scale = math.log(1 / _positive(temperature, "temperature"))
    params = {"a": enc.a, "b": enc.b, "log_scale": np.array([enc.log_scale])}
    adam = _Adam(params, _positive(learning_rate, "learning_rate"))
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
    beta = _positive(beta, "beta")
    steps = _count(steps, "steps")
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
    lr = _positive(learning_rate, "learning_rate") / beta
    for _ in range(steps):
        logp = log_softmax(h @ W + b)
        pc, pr = logp[rows, chosen], logp[rows, rejected]
        losses.append(float(dpo_loss(pc, pr, rc, rr, beta)))
        gc, gr = dpo_loss_grad(pc, pr, rc, rr, beta)
        p = np.exp(logp)
        d_logits = -(gc + gr)[:, None] * p
        d_logits[rows, chosen] += gc
        d_logits[rows, rejected] += gr
        W -= lr * (h.T @ d_logits)
        b -= lr * d_logits.sum(axis=0)
    logp = log_softmax(h @ W + b)
    margin = float(np.mean((logp[rows, chosen] - rc) - (logp[rows, rejected] - rr)))
    gain = float(np.mean(logp[rows, chosen] - rc))
    tuned = {**model.weights, "output_weight": W, "output_bias": b}
    kl_ids = ids if kl_contexts is None else np.asarray(kl_contexts)
    lp_new = log_softmax(lm.forward(tuned, kl_ids))
    lp_ref = log_softmax(lm.forward(model.weights, kl_ids))
    kl = float(np.mean(np.sum(np.exp(lp_new) * (lp_new - lp_ref), axis=1)))
    return DPOResult(tuned, losses, margin, gain, kl)


def context_ids(model, context):
    """The model's context window (word ids) for a text: the last words of its current sentence."""
    words = lm.tokenize(context) if isinstance(context, str) else [w.lower() for w in context]
    n, start = model.context_size, model.index[lm.START]
    if lm.END in words:
        words = words[len(words) - words[::-1].index(lm.END):]
    unk = model.index[lm.UNK]
    return ([start] * n + [model.index.get(w, unk) for w in words])[-n:]


def student_metrics(weights, contexts, targets):
    """Mean cross-entropy and ECE (15 bins) of a word model's weights on examples."""
    from .calibration import expected_calibration_error
    logits = lm.forward(weights, contexts)
    return float(cross_entropy(logits, targets)), float(expected_calibration_error(softmax(logits), targets))


# ---------------------------------------------------------------------------------------------
# The lesson's runs (seeded, computed once per session: the notebook and its registered answers share them)

#: Lesson 13's preference pairs: after the context, the first word is preferred to the second.
LESSON_PAIRS = (("the cat sat on the", "mat", "roof"),
                ("the dog sat on the", "rug", "roof"),
                ("the bird flew over the", "park", "house"))
LESSON_BETAS = (0.1, 0.5, 2.0)
LESSON_CONTRASTIVE_TEMPERATURES = (0.02, 0.1, 1.0)


@functools.lru_cache(maxsize=None)
def distillation_comparison(n_examples=3000, temperature=2.0, steps=600, seed=0):
    """Students (embed 8, hidden 16) trained on ``n_examples`` training examples, hard vs soft.

    Returns a dict: ``"hard"``, ``"soft"`` and ``"teacher"`` -> (validation loss, validation ECE),
    and ``"n_examples"``, ``"temperature"``. The teacher is the ``best`` checkpoint (hidden 64,
    trained on all the training text).
    """
    teacher = lm.load("best")
    contexts, targets = lm.make_examples(_data.load_sentences("train"), teacher.index)
    subset = np.random.default_rng(seed).choice(len(targets), size=n_examples, replace=False)
    val_c, val_t = lm.make_examples(_data.load_sentences("validation"), teacher.index)
    hard = train_student(teacher, contexts[subset], targets[subset], None, steps=steps, seed=seed)
    soft = train_student(teacher, contexts[subset], targets[subset], temperature, steps=steps, seed=seed)
    return {"hard": student_metrics(hard, val_c, val_t), "soft": student_metrics(soft, val_c, val_t),
            "teacher": student_metrics(teacher.weights, val_c, val_t), "n_examples": n_examples,
            "temperature": temperature}


@functools.lru_cache(maxsize=None)
def lesson_router(n_tokens=2000, n_experts=8, k=2, seed=0):
    """The tiny model's hidden states for ``n_tokens`` validation words, a random router W0
    (init_scale 3) and the router W1 trained from it on the balancing and z losses.

    Returns ``(hidden, W0, W1)``; :func:`train_router` documents the training.
    """
    model = lm.load("best")
    contexts, _ = lm.make_examples(_data.load_sentences("validation"), model.index)
    _, _, hidden = lm.forward(model.weights, contexts[:n_tokens], return_hidden=True)
    W0, W1 = train_router(hidden, n_experts, k=k, seed=seed)
    return hidden, W0, W1


def _distinct_sentences(seed):
    sentences = sorted(set(map(tuple, _data.load_sentences("train"))))
    order = np.random.default_rng(seed).permutation(len(sentences))
    return [list(sentences[i]) for i in order]


@functools.lru_cache(maxsize=None)
def contrastive_comparison(temperatures=LESSON_CONTRASTIVE_TEMPERATURES, n_train=2000, n_test=200, steps=600,
                           seed=0):
    """Dual encoders (dim 32) trained at fixed temperatures and with CLIP's learned one.

    Returns a dict: each temperature, and ``None`` for the learned one, -> (retrieval accuracy
    on ``n_test`` held-out distinct sentences, the trained :class:`DualEncoder`).
    """
    sentences = _distinct_sentences(seed)
    train, test = sentences[:n_train], sentences[n_train:n_train + n_test]
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
