r"""Mixture-of-experts routing: a softmax decides which experts read each token.

A mixture-of-experts layer holds E expert networks but runs only k of them per token. A small
*router* gives each token one logit per expert; the token goes to its k highest-scoring experts,
and their outputs are mixed with weights from a softmax:

* **renormalised top-k** (GShard's top-2, Lepikhin et al. 2020; Mixtral, Jiang et al. 2024):
  the softmax over the k selected logits only, so the weights of each token sum to 1;
* **plain top-k of the softmax** (the Switch Transformer's top-1, Fedus, Zoph and Shazeer
  2021): the full softmax's values at the selected experts, which sum to less than 1 (the
  router's confidence scales the expert's output).

Two auxiliary losses keep the router healthy:

* the **load-balancing loss** (Fedus et al. 2021) is smallest when tokens spread evenly over
  the experts (otherwise a few experts get all the tokens and the rest never learn);
* the **router z-loss** (Zoph et al. 2022, ST-MoE) penalises large router logits, which make
  the softmax's ``exp`` overflow in low precision and the routing brittle.

:func:`load_balancing_loss_grad` and :func:`router_z_loss_grad` give the gradients with respect
to the router logits, for training a router.

Supported range: router logits of any float dtype, shape (E,) for one token or (..., E) for
many (the experts on the last axis, every other axis counts tokens), every entry finite or
``-inf`` (an expert this token may not use), at least k usable experts per token; k an integer
in [1, E]; for the z-loss, a mean squared log-sum-exp that is finite in the compute dtype
(about 1e154 for the log-sum-exp in float64, 1e19 in float32). float16 is computed in float32
and rounded back once: a z-loss above 65504 rounds to ``inf`` in float16.

Examples
--------
>>> import numpy as np
>>> logits = np.array([[2.0, 1.0, 0.0, -1.0]])
>>> weights, indices = top_k_gating(logits, k=2)
>>> indices, weights.round(3)
(array([[0, 1]]), array([[0.731, 0.269, 0.   , 0.   ]]))
"""

import numpy as np

from ._checks import finite_number, integer, prepare_logits, row_max, to_dtype
from .functions import logsumexp, softmax

__all__ = ["top_k_gating", "load_balancing_loss", "load_balancing_loss_grad", "router_z_loss", "router_z_loss_grad",
           "router_loss_grad"]


def _router_logits(router_logits):
    """Checked logits (..., E) in their compute dtype, flattened to (N, E), and the dtype."""
    z, dtype, _ = prepare_logits(router_logits, -1, "router_logits")
    row_max(z, -1, "router_logits")                     # refuses NaN, +inf and fully masked rows
    if z.size == 0:
        raise ValueError(f"router_logits must hold at least one token, got shape {z.shape}")
    return z.reshape(-1, z.shape[-1]), z.shape, dtype


def _top_k(z, k):
    """Indices (N, k) of each row's k largest logits, largest first (ties: lower index first)."""
    E = z.shape[-1]
    k = integer(k, "k", low=1)
    if k > E:
        raise ValueError(f"k must be at most the number of experts, {E}, got {k}")
    usable = E if np.isfinite(z).all() else int(np.min(np.sum(np.isfinite(z), axis=-1)))   # -inf: barred experts
    if k > usable:
        raise ValueError(f"k must be at most the number of unmasked experts of every token, {usable}, got {k}")
    return np.argsort(-z, axis=-1, kind="stable")[:, :k]


def top_k_gating(router_logits, k, renormalize=True):
    r"""Route each token to its k best experts and weight them with a softmax.

    Parameters
    ----------
    router_logits : array_like
        Shape (E,) or (..., E): one logit per expert for each token. ``-inf`` bars an expert.
    k : int
        Experts per token, 1 <= k <= E.
    renormalize : bool, default True
        True: the softmax over the k selected logits (GShard, Mixtral); False: the full
        softmax's values at the selected experts (Switch Transformer).

    Returns
    -------
    weights : ndarray
        ``router_logits``' shape and dtype: each token's weight for every expert, 0 outside its
        top k.
    indices : ndarray of int64
        Shape (..., k): the selected experts, in descending order of weight (ties: lower index
        first).

    Raises
    ------
    ValueError
        NaN or ``+inf`` logits, a fully masked token, an empty array, or k outside
        [1, number of unmasked experts].
    TypeError
        Non-numeric logits, a non-integer k, or a ``renormalize`` that is not a bool.

    Notes
    -----
    With :math:`S` the token's top-k set (the k largest logits; a softmax keeps their order):

    .. math:: w_e = \frac{e^{z_e}}{\sum_{j \in S} e^{z_j}} \ (\text{renormalised}), \qquad
              w_e = \frac{e^{z_e}}{\sum_{j=1}^{E} e^{z_j}} \ (\text{not}), \qquad e \in S

    and :math:`w_e = 0` for :math:`e \notin S`. Choosing the top k before or after the softmax
    selects the same experts; what differs is whether the unselected experts' share is given to
    the selected ones (renormalised) or dropped. With k = 1 renormalised, the weight is always 1.

    Examples
    --------
    >>> import numpy as np
    >>> z = [1.0, 3.0, 2.0, 0.0]
    >>> w, idx = top_k_gating(z, k=2)
    >>> idx.tolist(), w.round(4).tolist()
    ([1, 2], [0.0, 0.7311, 0.2689, 0.0])
    >>> w, idx = top_k_gating(z, k=2, renormalize=False)   # the full softmax's values
    >>> w.round(4).tolist()
    [0.0, 0.6439, 0.2369, 0.0]
    """
    z, shape, dtype = _router_logits(router_logits)
    if not isinstance(renormalize, (bool, np.bool_)):
        raise TypeError(f"renormalize must be True or False, got {renormalize!r}")
    indices = _top_k(z, k)
    if renormalize:
        selected = softmax(np.take_along_axis(z, indices, axis=-1))    # softmax over the k chosen
    else:
        selected = np.take_along_axis(softmax(z), indices, axis=-1)    # the full softmax's values
    weights = np.zeros_like(z)
    np.put_along_axis(weights, indices, selected, axis=-1)
    return to_dtype(weights.reshape(shape), dtype), indices.reshape(shape[:-1] + (indices.shape[-1],)).astype(np.int64)


def _balance_terms(router_logits, k):
    """f (E,), the share of the N k assignments per expert; probs (N, E); and checked values."""
    z, shape, dtype = _router_logits(router_logits)
    indices = _top_k(z, k)
    N, E = z.shape
    f = np.bincount(indices.ravel(), minlength=E) / indices.size
    return f.astype(z.dtype), softmax(z), N, E, shape, dtype, z


def _balance_grad(f, probs, N, E):
    return (E / N) * probs * (f - probs @ f[:, None])


def _z_grad(z, probs):
    lse = _z_loss(z)[0][:, None]
    return (2.0 / z.shape[0]) * lse * probs


def load_balancing_loss(router_logits, k):
    r"""The Switch Transformer's auxiliary loss: E times the dot product of load and probability.

    Parameters
    ----------
    router_logits : array_like
        Shape (..., E); every row one token.
    k : int
        Experts per token, as in :func:`top_k_gating`.

    Returns
    -------
    numpy scalar
        :math:`E \sum_e f_e P_e`, in ``router_logits``' dtype.

    Notes
    -----
    .. math:: L = E \sum_{e=1}^{E} f_e P_e, \qquad
              f_e = \frac{\#\{(n, s) : \text{slot } s \text{ of token } n \text{ goes to } e\}}{N k},
              \qquad P_e = \frac{1}{N} \sum_{n=1}^{N} \mathrm{softmax}(z_n)_e

    Both f and P sum to 1, so under perfectly uniform routing (:math:`f_e = P_e = 1/E`) the
    loss is 1, and when every token goes to one expert with all the probability it is E.
    f counts, so it has no gradient; the loss is trained through P, which it pushes down where
    the load f is high (Fedus et al. 2021, written there for k = 1 with a weight alpha = 0.01
    in front). Some libraries count f per token instead of per slot (f sums to
    k), and then report k, not 1, for uniform routing.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(load_balancing_loss(np.eye(4) * 5.0, k=1)), 6)   # token n to expert n
    1.0
    >>> round(float(load_balancing_loss(np.tile([9.0, 0.0, 0.0, 0.0], (4, 1)), k=1)), 4)   # collapsed: near E
    3.9985
    """
    f, probs, N, E, _, dtype, _ = _balance_terms(router_logits, k)
    return to_dtype(np.asarray(E * np.dot(f, np.mean(probs, axis=0))), dtype)[()]


def load_balancing_loss_grad(router_logits, k):
    r"""Gradient of :func:`load_balancing_loss` with respect to the router logits (f held fixed).

    Returns
    -------
    ndarray
        ``router_logits``' shape and dtype.

    Notes
    -----
    .. math:: \frac{\partial L}{\partial z_{n,j}} = \frac{E}{N}\, p_{n,j}
              \Big(f_j - \sum_e f_e\, p_{n,e}\Big)

    (the softmax Jacobian :math:`p_j(\delta_{ej} - p_e)` applied to the constant load f).

    Examples
    --------
    >>> import numpy as np
    >>> load_balancing_loss_grad(np.zeros((2, 2)), k=1).round(3)   # both tokens on expert 0
    array([[ 0.25, -0.25],
           [ 0.25, -0.25]])
    """
    f, probs, N, E, shape, dtype, _ = _balance_terms(router_logits, k)
    return to_dtype(_balance_grad(f, probs, N, E).reshape(shape), dtype)


def _z_loss(z):
    """Each token's log-sum-exp (N,) and their mean square, refusing a z-loss that overflows."""
    lse = logsumexp(z, axis=-1)
    with np.errstate(over="ignore"):
        loss = np.mean(lse**2)
    if not np.isfinite(loss):
        raise ValueError(f"router_logits are too large for the z-loss: the mean squared log-sum-exp "
                         f"overflows {z.dtype}")
    return lse, loss


def router_z_loss(router_logits):
    r"""ST-MoE's router z-loss: the mean squared log-sum-exp of the router logits.

    Parameters
    ----------
    router_logits : array_like
        Shape (..., E); every row one token.

    Returns
    -------
    numpy scalar
        In ``router_logits``' dtype.

    Notes
    -----
    .. math:: L_z = \frac{1}{N} \sum_{n=1}^{N} \Big(\log \sum_{e=1}^{E} e^{z_{n,e}}\Big)^2

    (Zoph et al. 2022, used there with a weight of 0.001.) The log-sum-exp is about
    the largest logit, so this keeps the logits near 0, where ``exp`` is accurate in bfloat16.
    It does not change which experts are chosen, only how large the logits may grow.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(router_z_loss(np.zeros((3, 4)))), 4)     # (log 4)^2
    1.9218
    >>> float(router_z_loss([[100.0, 100.0]])) > 1e4          # large logits are penalised
    True
    """
    z, _, dtype = _router_logits(router_logits)
    _, loss = _z_loss(z)
    return to_dtype(np.asarray(loss), dtype)[()]


def router_z_loss_grad(router_logits):
    r"""Gradient of :func:`router_z_loss` with respect to the router logits.

    Returns
    -------
    ndarray
        ``router_logits``' shape and dtype.

    Notes
    -----
    .. math:: \frac{\partial L_z}{\partial z_{n,e}} = \frac{2}{N}\, \mathrm{LSE}(z_n)\,
              \mathrm{softmax}(z_n)_e

    Examples
    --------
    >>> router_z_loss_grad([[0.0, 0.0]]).round(4)            # 2 log 2 * 0.5
    array([[0.6931, 0.6931]])
    """
    z, shape, dtype = _router_logits(router_logits)
    return to_dtype(_z_grad(z, softmax(z)).reshape(shape), dtype)


def router_loss_grad(router_logits, k, z_weight):
    r"""Gradient of a router's training loss, ``load_balancing_loss(z, k) + z_weight * router_z_loss(z)``.

    The same numbers as ``load_balancing_loss_grad(z, k) + z_weight * router_z_loss_grad(z)``,
    with the logits checked and their softmax computed once for both terms (a training loop
    calls this at every step).

    Parameters
    ----------
    router_logits : array_like
        Shape (..., E); every row one token.
    k : int
        Experts per token, as in :func:`top_k_gating`.
    z_weight : float
        The z-loss's weight, >= 0 (Zoph et al. 2022 used 0.001).

    Returns
    -------
    ndarray
        ``router_logits``' shape and dtype.

    Notes
    -----
    .. math:: \frac{\partial}{\partial z_{n,j}} \big(L + w L_z\big)
              = \frac{E}{N}\, p_{n,j} \Big(f_j - \sum_e f_e\, p_{n,e}\Big)
              + w\, \frac{2}{N}\, \mathrm{LSE}(z_n)\, p_{n,j}

    Examples
    --------
    >>> router_loss_grad([[0.0, 0.0], [0.0, 0.0]], k=1, z_weight=0.0).round(3)   # the balance term alone
    array([[ 0.25, -0.25],
           [ 0.25, -0.25]])
    """
    f, probs, N, E, shape, dtype, z = _balance_terms(router_logits, k)
    z_weight = finite_number(z_weight, "z_weight", low=0)
    grad = _balance_grad(f, probs, N, E) + z_weight * _z_grad(z, probs)
    return to_dtype(grad.reshape(shape), dtype)
