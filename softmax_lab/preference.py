r"""Preference tuning with DPO: a two-way softmax between the chosen and the rejected answer.

People compare two answers y_w (chosen) and y_l (rejected) to the same prompt. Direct
Preference Optimization (Rafailov et al. 2023, "Direct preference optimization: your language
model is secretly a reward model") tunes a policy :math:`\pi` on such pairs without training a
separate reward model. The *implicit reward* of an answer is how much more likely the policy
makes it than a frozen reference model :math:`\pi_{\mathrm{ref}}` (the model before tuning):
:math:`r(y) = \beta\,(\log \pi(y) - \log \pi_{\mathrm{ref}}(y))`, and the loss is the
cross-entropy of a two-way softmax over the two rewards, with the chosen answer as the target:

.. math:: L = -\log \frac{e^{r(y_w)}}{e^{r(y_w)} + e^{r(y_l)}} = -\log \sigma(m),
          \qquad m = r(y_w) - r(y_l)

beta is an inverse temperature: a large beta makes the softmax sharp, so small log-probability
changes already settle the preference, and the policy stays close to the reference; a small
beta lets it drift further for the same margin (the loss is the Bradley-Terry likelihood of a
KL-regularised reward model, with beta the weight of the KL term).

:func:`dpo_loss_grad` gives the gradient with respect to the policy's two log-probabilities;
the chain rule through the model's log-softmax (``log_softmax`` of its logits, summed over the
answer's tokens) carries it on to the weights.

Supported range: log-probabilities of any float dtype, finite and <= 0 (sums of
``log_softmax`` values), four arrays of one shape (a scalar is one pair); beta a finite number
> 0; the margin m finite in the dtype. Any margin in that range gives a finite loss: m = 1000
gives 0 and m = -1000 gives 1000, never ``inf`` or an overflow warning, because the loss is
computed with :func:`softmax_lab.log_sigmoid`, never as ``log(sigmoid(m))``.

Examples
--------
>>> round(float(dpo_loss(-10.0, -12.0, -11.0, -11.0, beta=0.1)), 4)   # policy already prefers y_w
0.5981
"""

import numpy as np

from ._checks import as_float_array, check_finite_or_masked, compute_dtype, finite_number, to_dtype
from .functions import log_sigmoid, sigmoid

__all__ = ["dpo_loss", "dpo_loss_grad"]

_NAMES = ("policy_chosen_logp", "policy_rejected_logp", "ref_chosen_logp", "ref_rejected_logp")


def _margins(policy_chosen_logp, policy_rejected_logp, ref_chosen_logp, ref_rejected_logp, beta):
    """Checked inputs -> (margins m in the compute dtype, beta, the output dtype)."""
    arrays = []
    for name, value in zip(_NAMES, (policy_chosen_logp, policy_rejected_logp, ref_chosen_logp, ref_rejected_logp)):
        x = as_float_array(value, name)                  # a scalar is one pair
        check_finite_or_masked(x, name)                  # NaN, +inf
        if np.isneginf(x).any():
            raise ValueError(f"{name} must be finite log-probabilities, got -inf (an impossible answer)")
        if (x > 0).any():
            raise ValueError(f"{name} must be log-probabilities (<= 0), got {float(x.max()):g}")
        if arrays and x.shape != arrays[0].shape:
            raise ValueError(f"{name} must have the shape of policy_chosen_logp, {arrays[0].shape}, got {x.shape}")
        arrays.append(x)
    if arrays[0].size == 0:
        raise ValueError("policy_chosen_logp must hold at least one preference pair, got an empty array")
    b = finite_number(beta, "beta", low=0.0, inclusive=False)
    dtype = np.result_type(*arrays)
    pc, pr, rc, rr = (x.astype(compute_dtype(dtype), copy=False) for x in arrays)
    with np.errstate(over="ignore", invalid="ignore"):
        m = b * ((pc - rc) - (pr - rr))
    if not np.isfinite(m).all():
        raise ValueError("the margin beta * ((chosen - ref) - (rejected - ref)) overflows the dtype: "
                         "beta or the log-probabilities are too large")
    return m, b, dtype


def dpo_loss(policy_chosen_logp, policy_rejected_logp, ref_chosen_logp, ref_rejected_logp, beta):
    r"""The DPO loss of a batch of preference pairs, averaged over the batch.

    Parameters
    ----------
    policy_chosen_logp, policy_rejected_logp : array_like
        :math:`\log \pi(y_w \mid x)` and :math:`\log \pi(y_l \mid x)` under the policy being
        tuned: each answer's summed token log-probabilities, shape (N,) (or a scalar).
    ref_chosen_logp, ref_rejected_logp : array_like
        The same under the frozen reference model.
    beta : float
        > 0, the inverse temperature of the two-way softmax (0.1 is a common choice).

    Returns
    -------
    numpy scalar
        :math:`\frac{1}{N} \sum_n -\log \sigma(m_n)`, in the inputs' floating dtype: log 2 when
        the policy equals the reference, towards 0 as it prefers the chosen answers.

    Raises
    ------
    ValueError
        Shapes that differ, NaN, infinite or positive log-probabilities, an empty batch, a beta
        that is not a finite number > 0, or a margin that overflows.
    TypeError
        Non-numeric inputs or beta.

    Notes
    -----
    .. math:: L = -\frac{1}{N} \sum_{n=1}^{N} \log \sigma\Big(\beta \Big[
              \big(\log \pi(y_w) - \log \pi_{\mathrm{ref}}(y_w)\big)
              - \big(\log \pi(y_l) - \log \pi_{\mathrm{ref}}(y_l)\big)\Big]\Big)

    :math:`-\log \sigma(m) = \log(1 + e^{-m})` is the cross-entropy of
    ``softmax([r_w, r_l])`` with target 0, so ``cross_entropy([r_w, r_l], 0)`` gives the same
    number (the sigmoid is a two-way softmax).

    Examples
    --------
    >>> import numpy as np
    >>> float(dpo_loss(-5.0, -5.0, -5.0, -5.0, beta=0.1)) == float(np.log(2))   # policy = reference
    True
    >>> float(dpo_loss([0.0], [-1000.0], [0.0], [0.0], beta=1.0))     # margin +1000: nothing to learn
    0.0
    >>> float(dpo_loss([-1000.0], [0.0], [0.0], [0.0], beta=0.5))     # margin -1000 * 0.5: finite
    500.0
    """
    m, _, dtype = _margins(policy_chosen_logp, policy_rejected_logp, ref_chosen_logp, ref_rejected_logp, beta)
    loss = -np.mean(log_sigmoid(m))
    return to_dtype(np.asarray(loss + 0.0), dtype)[()]          # + 0.0 turns -0.0 into 0.0


def dpo_loss_grad(policy_chosen_logp, policy_rejected_logp, ref_chosen_logp, ref_rejected_logp, beta):
    r"""Gradient of :func:`dpo_loss` with respect to the policy's two log-probabilities.

    Parameters
    ----------
    policy_chosen_logp, policy_rejected_logp, ref_chosen_logp, ref_rejected_logp, beta
        As for :func:`dpo_loss`. The reference is frozen: it gets no gradient.

    Returns
    -------
    grad_chosen, grad_rejected : ndarray
        :math:`\partial L / \partial \log \pi(y_w)` and :math:`\partial L / \partial \log
        \pi(y_l)`, each the inputs' shape and dtype; ``grad_rejected = -grad_chosen``.

    Notes
    -----
    .. math:: \frac{\partial L}{\partial \log \pi(y_w)} = -\frac{\beta}{N}\, \sigma(-m), \qquad
              \frac{\partial L}{\partial \log \pi(y_l)} = +\frac{\beta}{N}\, \sigma(-m)

    Gradient descent raises the chosen answer's log-probability and lowers the rejected one's,
    weighted by :math:`\sigma(-m)`: pairs the policy already ranks right (large m) barely move,
    pairs it ranks wrong move at up to beta / N.

    Examples
    --------
    >>> g_w, g_l = dpo_loss_grad([-5.0, -5.0], [-5.0, -5.0], [-5.0, -5.0], [-5.0, -5.0], beta=0.1)
    >>> g_w.tolist(), g_l.tolist()                 # sigma(0) = 1/2; times beta / N = 0.05
    ([-0.025, -0.025], [0.025, 0.025])
    """
    m, b, dtype = _margins(policy_chosen_logp, policy_rejected_logp, ref_chosen_logp, ref_rejected_logp, beta)
    push = (b / m.size) * sigmoid(-m)
    return to_dtype(-push, dtype), to_dtype(push, dtype)
