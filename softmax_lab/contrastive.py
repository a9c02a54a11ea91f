r"""Contrastive training: a softmax over a batch picks each example's partner.

Two encoders map N paired examples (an image and its caption, or two views of one sentence)
to embeddings :math:`a_i` and :math:`b_i`. The loss asks each :math:`a_i` to pick its own
:math:`b_i` among the N candidates of the batch, a classification with N classes whose logits
are dot products; the other N - 1 examples are the *negatives*. This is InfoNCE (van den Oord,
Li and Vinyals 2018, "Representation learning with contrastive predictive coding"). CLIP
(Radford et al. 2021, "Learning transferable visual models from natural language supervision")
makes it symmetric: the rows pick columns (each a its b) and the columns pick rows (each b its
a), and the two cross-entropies are averaged.

The temperature sets how sharply the softmax separates the partner from the negatives. CLIP
learns it: a *logit scale* :math:`1/T` initialised at :math:`1/0.07` and clipped at 100, over
embeddings normalised to length 1 (so the dot products are cosines in [-1, 1]). Here the rows
are used as given; normalise them yourself, ``a / np.linalg.norm(a, axis=1, keepdims=True)``,
to follow CLIP. A batch must not hold two examples that are really the same pair: the loss would
push apart two things that belong together (a *false negative*).

Supported range: a and b of any float dtype, shape (N, d) with N >= 1 and d >= 1 (or a stack of
such batches, (..., N, d)), finite, and ``a @ b.T / temperature`` finite in the dtype (in float32
for float16 input: float16 is computed in float32 and rounded back once); temperature a finite
number > 0.

Examples
--------
>>> import numpy as np
>>> a = np.eye(3)                                  # three orthogonal embeddings
>>> loss, grad_a, grad_b = info_nce(a, a, temperature=0.1)
>>> round(float(loss), 6)                          # each row picks its partner with p = 0.9999
9.1e-05
"""

import numpy as np

from ._checks import check_temperature, compute_dtype, divide, float_array, to_dtype
from .functions import log_softmax

__all__ = ["info_nce"]


def info_nce(a, b, temperature):
    r"""CLIP's symmetric InfoNCE loss of N paired embeddings, and its gradients.

    Parameters
    ----------
    a, b : array_like
        Shape (N, d): row i of ``a`` and row i of ``b`` are a pair; every other row of the batch
        is a negative. Used as given (not normalised). A stack of batches, shape (..., N, d),
        gives one loss per batch (each batch on its own: the gradients are those of the batch
        passed alone; the loss agrees to rounding, its mean summed in another order).
    temperature : float
        T > 0: the logits are :math:`a_i \cdot b_j / T`.

    Returns
    -------
    loss : numpy scalar
        The mean of the row-wise and the column-wise cross-entropy, in the inputs' floating dtype
        (``np.result_type``). At least 0; :math:`\log N` when every logit is equal. For a stack,
        an array of shape (...): one loss per batch.
    grad_a, grad_b : ndarray
        :math:`\partial L / \partial a` and :math:`\partial L / \partial b`, the shape of a.

    Raises
    ------
    ValueError
        Shapes other than two equal (N, d) (or (..., N, d)), NaN or inf, a temperature that is not a finite
        number > 0, or logits that overflow the dtype.
    TypeError
        Non-numeric embeddings or temperature.

    Notes
    -----
    With :math:`S_{ij} = a_i \cdot b_j / T`,

    .. math:: L = \frac{1}{2N} \sum_{i=1}^{N} \Big(
              -\log \frac{e^{S_{ii}}}{\sum_j e^{S_{ij}}}
              -\log \frac{e^{S_{ii}}}{\sum_j e^{S_{ji}}} \Big)

    and, with :math:`P = \mathrm{softmax}(S)` along rows, :math:`Q` along columns and
    :math:`G = (P + Q - 2I) / (2N)`, the gradient with respect to :math:`S`:

    .. math:: \frac{\partial L}{\partial a} = \frac{G\, b}{T}, \qquad
              \frac{\partial L}{\partial b} = \frac{G^\top a}{T}

    Only the row-wise half (:math:`a \to b`) is the one-directional InfoNCE of van den Oord et
    al.; it trains ``a`` to find its ``b`` but not the other way round.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> b = np.array([[0.9, 0.1], [0.2, 0.8]])
    >>> loss, grad_a, grad_b = info_nce(a, b, temperature=0.5)
    >>> round(float(loss), 4)
    0.222
    >>> grad_a.round(4)
    array([[-0.1217,  0.1534],
           [ 0.1217, -0.1534]])
    >>> round(float(info_nce(np.zeros((4, 2)), np.zeros((4, 2)), 1.0)[0]), 4)   # log 4: no signal
    1.3863
    """
    A = float_array(a, "a", finite=True)
    B = float_array(b, "b", finite=True)
    for name, x in (("a", A), ("b", B)):
        if x.ndim < 2:
            raise ValueError(f"{name} must have shape (N, d) (or a stack of them, (..., N, d)), got shape {x.shape}")
    if A.shape != B.shape:
        raise ValueError(f"a and b must have the same shape (N pairs of d-dimensional embeddings), "
                         f"got {A.shape} and {B.shape}")
    if 0 in A.shape:
        raise ValueError(f"a and b must hold at least one pair of at least one dimension, got shape {A.shape}")
    T = check_temperature(temperature)
    dtype = np.result_type(A, B)
    work = compute_dtype(dtype)
    A, B = A.astype(work, copy=False), B.astype(work, copy=False)
    with np.errstate(over="ignore", invalid="ignore"):
        dots = A @ np.swapaxes(B, -1, -2)                # (N, N): pair i with candidate j (b transposed)
        finite = np.isfinite(dots / T).all()
    if not finite:
        raise ValueError(f"a @ b.T / temperature overflows {work} (the logits must be finite): "
                         "scale the embeddings down or raise the temperature")
    N, pairs = A.shape[-2], np.arange(A.shape[-2])      # the partner of row i is column i
    log_p = log_softmax(dots, axis=-1, temperature=T)    # row i: which b is a_i's partner? (P along rows)
    log_q = log_softmax(dots, axis=-2, temperature=T)    # column j: which a is b_j's partner? (Q along columns)
    loss = -0.5 * (np.mean(log_p[..., pairs, pairs], axis=-1)            # the two cross-entropies
                   + np.mean(log_q[..., pairs, pairs], axis=-1))
    G = np.exp(log_p) + np.exp(log_q)
    G[..., pairs, pairs] -= 2.0
    G = divide(G, 2 * N * T)                             # (P + Q - 2I) / (2 N T): d loss / d dots
    grad_a, grad_b = G @ B, np.swapaxes(G, -1, -2) @ A   # G b and G^T a
    return to_dtype(np.asarray(loss), dtype)[()], to_dtype(grad_a, dtype), to_dtype(grad_b, dtype)
