r"""Lesson 13's experiments: a distilled student, speculative decoding measured, a trained router.

Each function runs one small, seeded experiment of lesson 13 on the tiny word model of
:mod:`softmax_lab.lm`, using the loss functions of the lesson's modules
(:mod:`~softmax_lab.distillation`, :mod:`~softmax_lab.speculative`, :mod:`~softmax_lab.routing`):
they hold the formulas, this module only trains and measures. (The contrastive and preference
experiments are in :mod:`softmax_lab.llm_pairs`.)

- :func:`train_student`: a smaller word model trained on hard labels, or on a teacher's soft
  targets (the T**2-scaled distillation loss); :func:`student_metrics` measures it.
- :func:`model_probs` and :func:`measure_speculation`: the early checkpoint drafts for the best
  one; tokens per target call, measured.
- :func:`chi_square_test`: does a histogram of samples follow a distribution? (Pearson's test,
  with the chi-square tail computed here so that scipy is not needed.)
- :func:`train_router`: a router over the model's hidden states, trained on the load-balancing
  loss and the z-loss.
- :func:`distillation_comparison`, :func:`lesson_router`: the lesson's own runs, computed once.

Supported range: models are :class:`~softmax_lab.lm.TinyLM` (a draft shares its target's
vocabulary); contexts are integer word ids in [0, V) of the model's context size, targets word
ids in [0, V), one per context row; temperatures, learning rates and scales are finite numbers
> 0; alpha is in [0, 1]; counts are integers >= 1 (``n_experts`` >= 2, ``k`` <= ``n_experts``);
seeds are integers >= 0; hidden states are finite (N, H) arrays of moderate size (a trained
model's hidden states lie in [-1, 1]; up to about 1e2 is fine). Anything else is refused with a
ValueError or TypeError naming the argument.

Examples
--------
>>> from softmax_lab import lm
>>> best = lm.load("best")
>>> p = model_probs(best)([best.index["the"], best.index["cat"]])
>>> p.shape, bool(abs(p.sum() - 1) < 1e-12)
((1, 445), True)
"""

import dataclasses
import functools
import math
import numbers

import numpy as np

from . import data as _data
from . import lm
from ._checks import as_generator, check_probabilities, float_array
from ._llm_common import Adam, count, fraction, labels, nonnegative, positive, word_ids, words
from ._llm_common import seed as check_seed
from ._threads import one_blas_thread
from .distillation import distillation_loss
from .functions import softmax
from .losses import cross_entropy, cross_entropy_grad
from .routing import router_loss_grad
from .speculative import speculative_step
from .training import init_weights

__all__ = [
    "train_student",
    "student_metrics",
    "context_ids",
    "model_probs",
    "SpeculationResult",
    "measure_speculation",
    "chi_square_test",
    "train_router",
    "distillation_comparison",
    "lesson_router",
]


# ---------------------------------------------------------------------------------------------
# Distillation


def _tiny_model(model, name):
    if not isinstance(model, lm.TinyLM):
        raise TypeError(f"{name} must be a TinyLM (e.g. lm.load('best')), got {type(model).__name__}")
    return model


def _forward(weights, contexts):
    """:func:`lm.forward` with ``return_hidden=True`` for S word models at once, their weights
    stacked on a first axis (S, ...): logits (S, B, V), x (S, B, n d) and h (S, B, H)."""
    x = weights["embeddings"][:, contexts].reshape(len(weights["embeddings"]), len(contexts), -1)
    h = np.tanh(x @ weights["hidden_weight"] + weights["hidden_bias"][:, None, :])
    logits = h @ weights["output_weight"]
    logits += weights["output_bias"][:, None, :]
    return logits, x, h


def _backward(weights, contexts, x, h, d_logits):
    """The S stacked word models' gradients from the gradients of their logits (S, B, V), as in
    :func:`lm.loss_and_grads`."""
    d_pre = (d_logits @ np.swapaxes(weights["output_weight"], -1, -2)) * (1.0 - h**2)
    d_x = (d_pre @ np.swapaxes(weights["hidden_weight"], -1, -2)).reshape(len(d_pre), *contexts.shape, -1)
    d_embeddings = np.zeros_like(weights["embeddings"])
    np.add.at(d_embeddings, (np.arange(len(d_pre))[:, None, None], contexts), d_x)
    return {"embeddings": d_embeddings, "hidden_weight": np.swapaxes(x, -1, -2) @ d_pre,
            "hidden_bias": d_pre.sum(axis=1), "output_weight": np.swapaxes(h, -1, -2) @ d_logits,
            "output_bias": d_logits.sum(axis=1)}


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
        ``alpha * distillation_loss(student, teacher, T) + (1 - alpha) * cross_entropy``; at most
        1e4 times the spread of the logits (above it ``distillation_loss`` refuses T, by name).
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
    The student is trained in float32, which halves the memory every step reads and writes (its
    validation loss agrees with float64 training to about 1e-7 here), and returned in float64.

    Examples
    --------
    >>> from softmax_lab import data
    >>> best = lm.load("best")
    >>> c, t = lm.make_examples(data.load_sentences("train")[:50], best.index)
    >>> w = train_student(best, c, t, temperature=2.0, steps=5)
    >>> w["hidden_weight"].shape
    (24, 16)
    """
    V = len(_tiny_model(teacher, "teacher").vocab)
    contexts = word_ids(contexts, "contexts", V, teacher.context_size)
    if len(contexts) == 0:
        raise ValueError("contexts must hold at least one example, got none")
    targets = labels(targets, "targets", V, len(contexts))
    if temperature is not None:
        temperature = positive(temperature, "temperature")
    alpha = fraction(alpha, "alpha")
    steps, batch_size = count(steps, "steps"), count(batch_size, "batch_size")
    return _train_students(teacher, contexts, targets, [(temperature, alpha)], steps, batch_size,
                           positive(learning_rate, "learning_rate"), count(embed_dim, "embed_dim"),
                           count(hidden_size, "hidden_size"), check_seed(seed))[0]


def _train_students(teacher, contexts, targets, settings, steps, batch_size, learning_rate, embed_dim, hidden_size,
                    seed):
    """:func:`train_student` (checked arguments) for several ``(temperature, alpha)`` settings at once.

    Students with one seed start from the same weights and draw the same batches, whatever they
    are trained on: so they are trained side by side, their weights stacked (S, ...), one
    forward pass, backward pass and Adam step for all of them; only the gradient of the logits
    differs. Each student gets exactly the weights it would get trained alone. Returns a list
    of weight dicts.
    """
    init = init_weights(len(teacher.vocab), contexts.shape[1], embed_dim, hidden_size, seed=seed)
    weights = {k: np.stack([v] * len(settings)).astype(np.float32) for k, v in init.items()}   # float32: Notes
    adam = Adam(weights, learning_rate)
    rng = np.random.default_rng(seed)
    soft_targets = {}
    with one_blas_thread():                          # small products: see softmax_lab._threads
        for temperature in {T for T, _ in settings if T is not None}:   # the soft targets, once: (N, V)
            teacher_logits = lm.forward(teacher.weights, contexts)
            distillation_loss(lm.forward(init, contexts[:batch_size]), teacher_logits[:batch_size],
                              temperature)            # refuses a T outside its range, by name
            soft = softmax(teacher_logits.astype(np.float64, copy=False), temperature=temperature)
            soft_targets[temperature] = soft.astype(np.float32)
        for _ in range(steps):
            batch = rng.integers(0, len(targets), size=batch_size)
            logits, x, h = _forward(weights, contexts[batch])
            d_logits = np.empty_like(logits)
            for s, (temperature, alpha) in enumerate(settings):
                if temperature is None:
                    d_logits[s] = cross_entropy_grad(logits[s], targets[batch])
                    continue
                d_logits[s] = _soft_target_grad(logits[s], soft_targets[temperature][batch], temperature)
                if alpha < 1:                        # (at alpha = 1 the soft gradient alone: alpha * it is it)
                    d_logits[s] = alpha * d_logits[s] + (1 - alpha) * cross_entropy_grad(logits[s], targets[batch])
            adam.step(weights, _backward(weights, contexts[batch], x, h, d_logits))
    return [{k: v[s].astype(np.float64) for k, v in weights.items()} for s in range(len(settings))]


def _soft_target_grad(student_logits, soft_targets, temperature):
    """The gradient of :func:`~softmax_lab.distillation.distillation_loss` (its second value),
    T (p^s - p^t) / N, from the teacher's soft targets p^t computed once: training needs no loss value."""
    return temperature * (softmax(student_logits, temperature=temperature) - soft_targets) / len(student_logits)


# ---------------------------------------------------------------------------------------------
# Speculative decoding


def model_probs(model, temperature=1.0):
    """A function ``ids -> (1, V)`` or ``list of ids -> (n, V)``: the model's next-word probabilities.

    The contexts are tuples of word ids of the current text (as :func:`softmax_lab.speculative.
    speculative_step` passes them); the model reads the last ``context_size`` ids of the current
    sentence, padded with ``<s>``. ``temperature`` divides the logits.
    """
    temperature = positive(temperature, "temperature")
    model = _tiny_model(model, "model")
    n, start, end = model.context_size, model.index[lm.START], model.index.get(lm.END)

    def window(ids):
        ids = list(ids)
        if end is not None and end in ids:
            ids = ids[len(ids) - ids[::-1].index(end):]
        return ([start] * n + ids)[-n:]

    def probs(contexts):
        contexts = list(contexts)
        if not contexts or isinstance(contexts[0], numbers.Integral):
            contexts = [contexts]
        logits = lm.forward(model.weights, np.array([window(c) for c in contexts], dtype=np.intp))
        return softmax(logits, temperature=temperature)

    return probs


@dataclasses.dataclass(repr=False)
class SpeculationResult:
    """What :func:`measure_speculation` counted: rounds (= target calls), tokens, drafts accepted/verified."""

    gamma: int
    rounds: int
    tokens: int
    accepted: int
    verified: int

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
    prompt : str or list of str, default ""
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
    gamma, n_tokens = count(gamma, "gamma"), count(n_tokens, "n_tokens")
    target, draft = _tiny_model(target, "target"), _tiny_model(draft, "draft")
    if list(draft.vocab) != list(target.vocab):
        raise ValueError("draft must share the target's vocabulary (its word ids are the target's)")
    prompt = words(prompt, "prompt")
    rng = as_generator(rng)
    target_fn, draft_fn = model_probs(target, temperature), model_probs(draft, temperature)
    prompt = lm.tokenize(prompt) if isinstance(prompt, str) else [w.lower() for w in prompt]
    text = [target.index.get(w, target.index[lm.UNK]) for w in prompt]
    rounds = accepted = verified = 0
    produced = 0
    with one_blas_thread():                          # thousands of one-row products: see softmax_lab._threads
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
    counts = float_array(counts, "counts", ndim=1, finite=True).astype(np.float64)
    probs = float_array(probs, "probs", ndim=1, finite=True)
    min_expected = nonnegative(min_expected, "min_expected")
    if counts.shape != probs.shape or len(probs) == 0:
        raise ValueError(f"counts and probs must be 1-D of one length >= 1, got {counts.shape} and {probs.shape}")
    if np.any(counts < 0):
        raise ValueError("counts must be finite and >= 0")
    check_probabilities(probs, "probs", -1)          # >= 0, summing to 1 within the rounding of their dtype
    probs = probs.astype(np.float64)
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
    hidden = float_array(hidden, "hidden", ndim=2, finite=True).astype(np.float64)
    if 0 in hidden.shape:
        raise ValueError(f"hidden must be (N, H) with N, H >= 1, got shape {hidden.shape}")
    n_experts, k, steps = count(n_experts, "n_experts", 2), count(k, "k"), count(steps, "steps")
    if k > n_experts:
        raise ValueError(f"k must be at most n_experts = {n_experts}, got {k}")
    z_weight = nonnegative(z_weight, "z_weight")
    rng = np.random.default_rng(check_seed(seed))
    W0 = rng.normal(0.0, positive(init_scale, "init_scale") / np.sqrt(hidden.shape[1]), (hidden.shape[1], n_experts))
    params = {"W": W0.copy()}
    adam = Adam(params, positive(learning_rate, "learning_rate"))
    with one_blas_thread():                          # small products: see softmax_lab._threads
        for _ in range(steps):
            z = hidden @ params["W"]
            dz = router_loss_grad(z, k, z_weight)    # load_balancing_loss_grad(z, k) + z_weight * router_z_loss_grad(z)
            adam.step(params, {"W": hidden.T @ dz})
    return W0, params["W"]


# ---------------------------------------------------------------------------------------------


def context_ids(model, context):
    """The model's context window (word ids) for a text (or a list of words): the last words of its
    current sentence."""
    model, context = _tiny_model(model, "model"), words(context, "context")
    tokens = lm.tokenize(context) if isinstance(context, str) else [w.lower() for w in context]
    return _window(model, tokens)


def _window(model, tokens):
    n, start = model.context_size, model.index[lm.START]
    if lm.END in tokens:
        tokens = tokens[len(tokens) - tokens[::-1].index(lm.END):]
    unk = model.index[lm.UNK]
    return ([start] * n + [model.index.get(w, unk) for w in tokens])[-n:]


def student_metrics(weights, contexts, targets):
    """Mean cross-entropy and ECE (15 bins) of a word model's weights on examples."""
    from .calibration import expected_calibration_error
    logits = lm.forward(weights, contexts)                 # refuses bad weights and contexts by name
    if len(logits) == 0:
        raise ValueError("contexts must hold at least one example, got none")
    targets = labels(targets, "targets", logits.shape[1], len(logits))
    return float(cross_entropy(logits, targets)), float(expected_calibration_error(softmax(logits), targets))


# ---------------------------------------------------------------------------------------------
# The lesson's runs (seeded, computed once per session: the notebook and its registered answers share them)
def distillation_comparison(n_examples=3000, temperature=2.0, steps=600, seed=0):
    """Students (embed 8, hidden 16) trained on ``n_examples`` training examples, hard vs soft.

    Returns a dict: ``"hard"``, ``"soft"`` and ``"teacher"`` -> (validation loss, validation ECE),
    and ``"n_examples"``, ``"temperature"``. The teacher is the ``best`` checkpoint (hidden 64,
    trained on all the training text).
    """
    return _distillation_comparison(count(n_examples, "n_examples"), positive(temperature, "temperature"),
                                    count(steps, "steps"), check_seed(seed))


@functools.lru_cache(maxsize=None)
def _distillation_comparison(n_examples, temperature, steps, seed):
    teacher = lm.load("best")
    contexts, targets = lm.make_examples(_data.load_sentences("train"), teacher.index)
    if n_examples > len(targets):
        raise ValueError(f"n_examples must be at most {len(targets)} (the training examples), got {n_examples}")
    subset = np.random.default_rng(seed).choice(len(targets), size=n_examples, replace=False)
    val_c, val_t = lm.make_examples(_data.load_sentences("validation"), teacher.index)
    hard, soft = _train_students(teacher, contexts[subset], targets[subset], [(None, 1.0), (temperature, 1.0)],
                                 steps, 64, 0.01, 8, 16, seed)         # train_student's defaults, side by side
    return {"hard": student_metrics(hard, val_c, val_t), "soft": student_metrics(soft, val_c, val_t),
            "teacher": student_metrics(teacher.weights, val_c, val_t), "n_examples": n_examples,
            "temperature": temperature}


def lesson_router(n_tokens=2000, n_experts=8, k=2, seed=0):
    """The tiny model's hidden states for ``n_tokens`` validation words, a random router W0
    (init_scale 3) and the router W1 trained from it on the balancing and z losses.

    Returns ``(hidden, W0, W1)``; :func:`train_router` documents the training.
    """
    n_tokens, n_experts, k = count(n_tokens, "n_tokens"), count(n_experts, "n_experts", 2), count(k, "k")
    if k > n_experts:
        raise ValueError(f"k must be at most n_experts = {n_experts}, got {k}")
    return _lesson_router(n_tokens, n_experts, k, check_seed(seed))


@functools.lru_cache(maxsize=None)
def _lesson_router(n_tokens, n_experts, k, seed):
    model = lm.load("best")
    contexts, _ = lm.make_examples(_data.load_sentences("validation"), model.index)
    _, _, hidden = lm.forward(model.weights, contexts[:n_tokens], return_hidden=True)
    W0, W1 = train_router(hidden, n_experts, k=k, seed=seed)
    return hidden, W0, W1
