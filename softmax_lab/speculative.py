r"""Speculative sampling: a cheap draft model proposes, the target model accepts or corrects.

Generating one token with a large *target* model costs one call of it, and the calls are
sequential. Leviathan, Kalman and Matias (2023), "Fast inference from transformers via
speculative decoding", and Chen et al. (2023), "Accelerating large language model decoding with
speculative sampling", let a small *draft* model guess the next gamma tokens, then score all
gamma + 1 positions with a single call of the target, and keep the longest prefix the target
agrees with. The rule that decides "agrees" makes the output distribution *exactly* the
target's, not an approximation of it:

1. draw :math:`x \sim q` (the draft's distribution);
2. accept x with probability :math:`\min(1, p(x) / q(x))` (p is the target's);
3. if x is rejected, draw instead from the *residual*
   :math:`r = \max(0, p - q) / \sum_y \max(0, p(y) - q(y))`.

Then :math:`\Pr(\text{token} = x) = \min(p(x), q(x)) + (1 - \alpha)\, r(x) = p(x)`, where
:math:`\alpha = \sum_y \min(p(y), q(y))` is the probability of accepting (the overlap of the
two distributions, :func:`acceptance_probability`). With an acceptance rate alpha at every
position, one draft-and-verify round (:func:`speculative_step`) yields on average

.. math:: \mathbb{E}[\text{tokens per target call}] = \sum_{i=0}^{\gamma} \alpha^i
          = \frac{1 - \alpha^{\gamma + 1}}{1 - \alpha}

(:func:`expected_tokens_per_call`; Leviathan et al. 2023): up to gamma + 1 tokens for one
target call, and never fewer than 1, so the target is never called more often than without a draft.

Supported range: probability vectors of any float dtype along the last axis, entries finite
and >= 0, each summing to 1 (within the tolerance of :func:`softmax_lab.entropy`); 0 is the mask
(a token the model rules out). They are used as given, in float64 (not renormalised: that
would make two equal entries of p and q differ by a rounding error). Logits are
turned into probabilities first, e.g. with :func:`softmax_lab.sampling.sampling_distribution`
(apply the same temperature and filters to both models).

Examples
--------
>>> p = [0.6, 0.3, 0.1]          # target
>>> q = [0.2, 0.3, 0.5]          # draft
>>> float(acceptance_probability(p, q))        # 0.2 + 0.3 + 0.1
0.6
>>> residual_distribution(p, q)                # where p exceeds q
array([1., 0., 0.])
>>> round(float(expected_tokens_per_call(0.6, 4)), 4)   # 1 + .6 + .36 + .216 + .1296
2.3056
"""

from dataclasses import dataclass

import numpy as np

from ._checks import as_float_array, as_generator, check_axis, check_probabilities, integer, to_dtype

__all__ = [
    "acceptance_probability",
    "residual_distribution",
    "speculative_sample",
    "SpeculativeStep",
    "speculative_step",
    "expected_tokens_per_call",
]


def _distribution(probs, name, ndim=None):
    """A checked probability array (tokens last) in float64, and its dtype."""
    p = as_float_array(probs, name)
    if ndim is not None and p.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D probability vector, got shape {p.shape}")
    check_axis(p, -1, name, what="token axis")
    check_probabilities(p, name, -1)
    return p.astype(np.float64), p.dtype


def _pair(target_probs, draft_probs, ndim=None):
    p, p_dtype = _distribution(target_probs, "target_probs", ndim)
    q, q_dtype = _distribution(draft_probs, "draft_probs", ndim)
    if p.shape != q.shape:
        raise ValueError(f"target_probs and draft_probs must have the same shape, got {p.shape} and {q.shape}")
    return p, q, np.result_type(p_dtype, q_dtype)


def _draw(probs, rng, size=None):
    """One index from a 1-D distribution: the first i whose cumulative sum exceeds u * total.

    With ``size``, an array of ``size`` independent indices (one uniform u each).
    """
    cumulative = np.cumsum(probs)
    i = np.searchsorted(cumulative, rng.random(size) * cumulative[-1], side="right")
    i = np.minimum(i, np.flatnonzero(probs)[-1])       # rounding at the very end: the last possible token
    return int(i) if size is None else i


def _residual(p, q):
    excess = np.maximum(p - q, 0.0)                   # clip first, then normalise
    total = np.sum(excess, axis=-1, keepdims=True)
    return np.where(total > 0, excess / np.where(total > 0, total, 1.0), p)


def _verify(token, p, q, rng):
    """Accept the drafted ``token`` with probability min(1, p/q), else draw from the residual."""
    if rng.random() * q[token] < p[token]:            # u < p/q without dividing; always when p >= q
        return token, True
    return _draw(_residual(p, q), rng), False


def acceptance_probability(target_probs, draft_probs):
    r"""The probability that a drafted token is accepted: the overlap of the two distributions.

    Parameters
    ----------
    target_probs, draft_probs : array_like
        p and q, probability vectors on the last axis, the same shape.

    Returns
    -------
    numpy scalar or ndarray
        :math:`\alpha = \sum_x \min(p(x), q(x)) = 1 - \mathrm{TV}(p, q)`, one per row.

    Notes
    -----
    .. math:: \alpha = \sum_x q(x) \min\Big(1, \frac{p(x)}{q(x)}\Big) = \sum_x \min(p(x), q(x))

    It is 1 when the draft equals the target and 0 when they share no token.

    Examples
    --------
    >>> float(acceptance_probability([0.5, 0.5, 0.0], [0.0, 0.5, 0.5]))
    0.5
    """
    p, q, dtype = _pair(target_probs, draft_probs)
    return to_dtype(np.sum(np.minimum(p, q), axis=-1), dtype)[()]


def residual_distribution(target_probs, draft_probs):
    r"""Where to draw from after a rejection: the target's mass that the draft under-covers.

    Parameters
    ----------
    target_probs, draft_probs : array_like
        p and q, probability vectors on the last axis, the same shape (one row or many).

    Returns
    -------
    ndarray
        :math:`r = \max(0, p - q) / \sum \max(0, p - q)`, the inputs' shape and dtype. Where
        p = q (nothing to correct, and a draft is then never rejected) the row returned is p.

    Notes
    -----
    .. math:: r(x) = \frac{\max(0,\, p(x) - q(x))}{\sum_y \max(0,\, p(y) - q(y))}

    Clip first, then normalise: normalising :math:`p - q` first would divide by
    :math:`\sum (p - q) = 0`. The normaliser equals :math:`1 - \alpha`, the rejection probability.

    Examples
    --------
    >>> residual_distribution([0.5, 0.3, 0.2], [0.25, 0.25, 0.5]).round(4)
    array([0.8333, 0.1667, 0.    ])
    """
    p, q, dtype = _pair(target_probs, draft_probs)
    return to_dtype(_residual(p, q), dtype)


def speculative_sample(target_probs, draft_probs, rng=None, size=None):
    r"""One token by speculative sampling: draft from q, accept or correct so that it follows p.

    Parameters
    ----------
    target_probs : array_like, shape (V,)
        p, the target model's next-token distribution.
    draft_probs : array_like, shape (V,)
        q, the draft model's distribution over the same V tokens.
    rng : numpy.random.Generator, int or None, default None
        The randomness: a Generator, an int seed, or None (a fresh unseeded generator).
    size : int or None, default None
        None draws one token. An integer n >= 1 draws n independent tokens at once, by the
        same rule applied to arrays (a different use of the random numbers than n calls).

    Returns
    -------
    token : int, or ndarray of int of shape (n,) with ``size``
        The token, distributed exactly as p.
    accepted : bool, or ndarray of bool of shape (n,) with ``size``
        True if the draft's token was kept (probability :func:`acceptance_probability`).

    Raises
    ------
    ValueError
        Inputs that are not 1-D probability vectors of one length (NaN, negative entries,
        sums other than 1), or a negative seed.
    TypeError
        Non-numeric probabilities, or an ``rng`` that is not a Generator, int or None.

    Notes
    -----
    .. math:: \Pr(x) = \underbrace{q(x) \min\Big(1, \frac{p(x)}{q(x)}\Big)}_{\text{drafted, kept}}
              + \underbrace{(1 - \alpha)\, r(x)}_{\text{rejected, redrawn}}
              = \min(p(x), q(x)) + \max(0, p(x) - q(x)) = p(x)

    Examples
    --------
    >>> speculative_sample([0.6, 0.3, 0.1], [0.6, 0.3, 0.1], rng=0)[1]   # q = p: always accepted
    True
    >>> speculative_sample([0.0, 1.0], [1.0, 0.0], rng=0)                 # no overlap: always corrected
    (1, False)
    >>> tokens, accepted = speculative_sample([0.6, 0.3, 0.1], [0.2, 0.3, 0.5], rng=0, size=4000)
    >>> tokens.shape, bool(abs(accepted.mean() - 0.6) < 0.03)             # accepted: sum min(p, q) = 0.6
    ((4000,), True)
    """
    p, q, _ = _pair(target_probs, draft_probs, ndim=1)
    generator = as_generator(rng)
    if size is None:
        return _verify(_draw(q, generator), p, q, generator)
    n = integer(size, "size")
    tokens = _draw(q, generator, n)                                # x ~ q, n times
    accepted = generator.random(n) * q[tokens] < p[tokens]          # u < p(x)/q(x), as for one token
    rejected = ~accepted
    tokens[rejected] = _draw(_residual(p, q), generator, int(np.count_nonzero(rejected)))
    return tokens, accepted


@dataclass(frozen=True)
class SpeculativeStep:
    """What one draft-and-verify round produced.

    Attributes
    ----------
    tokens : tuple of int
        The new tokens, 1 to gamma + 1 of them: the accepted drafts, then one token from the
        target (a correction after a rejection, or a bonus token when all gamma were accepted).
    n_accepted : int
        How many of the gamma drafted tokens were kept.
    gamma : int
        How many tokens were drafted (draft calls); the target was called once.
    """
    tokens: tuple
    n_accepted: int
    gamma: int


def _model_probs(fn, arg, name, ndim):
    """Call a model and check that it returned an ``ndim``-D array of probability rows."""
    try:
        return _distribution(fn(arg), f"{name}'s result", ndim=ndim)[0]
    except TypeError as exc:
        raise TypeError(f"{name} must return probabilities: {exc}") from None


def speculative_step(target_fn, draft_fn, context, gamma, rng=None):
    r"""Draft gamma tokens with the draft model, verify them all with one call of the target.

    Parameters
    ----------
    target_fn : callable
        ``target_fn(contexts) -> (len(contexts), V)`` array: the target's next-token
        probabilities after each of the given contexts (tuples of token ids), all in one call,
        as a transformer scores every position of a sequence in one forward pass.
    draft_fn : callable
        ``draft_fn(context) -> (V,)`` array: the draft's next-token probabilities.
    context : sequence of int
        The tokens so far.
    gamma : int
        How many tokens to draft, >= 0 (0 is plain sampling from the target).
    rng : numpy.random.Generator, int or None, default None

    Returns
    -------
    SpeculativeStep
        The new tokens (continue the context with them), and how many drafts were accepted.

    Notes
    -----
    Leviathan et al. (2023), algorithm 1. With :math:`x_1, \dots, x_\gamma` drafted one after
    another from :math:`q_i = q(\cdot \mid \text{context}, x_{<i})`, the target is called once on
    the :math:`\gamma + 1` prefixes, giving :math:`p_1, \dots, p_{\gamma+1}`. Each :math:`x_i` is
    verified in turn as in :func:`speculative_sample`; at the first rejection a token is drawn
    from the residual of :math:`p_i` and :math:`q_i` and the round ends; if all are accepted, one
    more token is drawn from :math:`p_{\gamma+1}`. Every token produced follows the target
    exactly, so the output of many rounds is distributed as sampling from the target alone.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([0.7, 0.2, 0.1])                    # a target that ignores the context
    >>> step = speculative_step(lambda cs: np.tile(p, (len(cs), 1)), lambda c: p, (), 4, rng=0)
    >>> step.n_accepted, len(step.tokens)                # q = p: every draft accepted, plus a bonus
    (4, 5)
    """
    if not callable(target_fn):
        raise TypeError(f"target_fn must be a callable contexts -> (n, V) probabilities, got {target_fn!r}")
    if not callable(draft_fn):
        raise TypeError(f"draft_fn must be a callable context -> (V,) probabilities, got {draft_fn!r}")
    try:
        context = tuple(integer(t, "context", low=0) for t in context)
    except TypeError as exc:
        raise TypeError(f"context must be a sequence of token ids: {exc}") from None
    gamma = integer(gamma, "gamma", low=0)
    generator = as_generator(rng)

    drafts, draft_dists = [], []
    for _ in range(gamma):                                           # gamma sequential draft calls
        q = _model_probs(draft_fn, context + tuple(drafts), "draft_fn", 1)
        draft_dists.append(q)
        drafts.append(_draw(q, generator))
    prefixes = [context + tuple(drafts[:i]) for i in range(gamma + 1)]
    p = _model_probs(target_fn, prefixes, "target_fn", 2)      # one target call
    if p.shape[0] != gamma + 1 or any(q.shape[0] != p.shape[1] for q in draft_dists):
        raise ValueError(f"target_fn must return ({gamma + 1}, V) for {gamma + 1} contexts, with the "
                         f"draft's V; got shape {p.shape}")

    tokens = []
    for i, x in enumerate(drafts):
        token, accepted = _verify(x, p[i], draft_dists[i], generator)
        tokens.append(token)
        if not accepted:
            return SpeculativeStep(tuple(tokens), i, gamma)
    tokens.append(_draw(p[gamma], generator))                       # all accepted: a bonus token
    return SpeculativeStep(tuple(tokens), gamma, gamma)


def expected_tokens_per_call(alpha, gamma):
    r"""Mean tokens produced per target call with gamma drafts and acceptance rate alpha.

    Parameters
    ----------
    alpha : float or array_like
        The acceptance rate, in [0, 1].
    gamma : int
        Tokens drafted per round, >= 0.

    Returns
    -------
    float or ndarray
        :math:`(1 - \alpha^{\gamma+1}) / (1 - \alpha)`, which is :math:`\gamma + 1` at
        :math:`\alpha = 1`; in alpha's floating dtype (float64 for a Python number).

    Notes
    -----
    The round stops at the first rejection, and each draft is accepted with probability alpha
    (independently, an idealisation), so it yields :math:`1 + \alpha + \dots + \alpha^\gamma`
    tokens on average. :math:`1 - \alpha^{\gamma+1}` is computed as
    :math:`-\mathrm{expm1}((\gamma + 1)\,\mathrm{log1p}(\alpha - 1))`, which stays accurate as
    alpha approaches 1, where the plain difference loses its digits to cancellation.

    Examples
    --------
    >>> float(expected_tokens_per_call(0.5, 1))
    1.5
    >>> float(expected_tokens_per_call(1.0, 4)), float(expected_tokens_per_call(0.0, 4))
    (5.0, 1.0)
    """
    a = as_float_array(alpha, "alpha")
    if not (np.all(np.isfinite(a)) and np.all((a >= 0) & (a <= 1))):
        raise ValueError(f"alpha must hold acceptance rates in [0, 1], got {alpha!r}")
    g = integer(gamma, "gamma", low=0)
    a64 = a.astype(np.float64)
    below_one = a64 < 1
    with np.errstate(divide="ignore"):                 # log1p(-1) = -inf at alpha = 0: expm1(-inf) = -1
        lost = -np.expm1((g + 1) * np.log1p(np.where(below_one, a64, 0.0) - 1.0))
    expected = np.where(below_one, lost / np.where(below_one, 1.0 - a64, 1.0), g + 1.0)
    return to_dtype(expected, a.dtype)[()]
