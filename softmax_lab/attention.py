r"""Softmax inside attention: scaled dot-product attention, masks, and the online and tiled softmax.

Every attention head turns the similarity of a query with each key into weights with a softmax,
then averages the values with those weights:

.. math:: \mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{Q K^\top}{\sqrt{d}} + M\right) V

Shapes follow the usual convention: ``q`` is ``(..., n_q, d)``, ``k`` is ``(..., n_k, d)`` and
``v`` is ``(..., n_k, d_v)``; the leading ``...`` (batch, heads) broadcast. The softmax runs over
the keys, the last axis of the ``(..., n_q, n_k)`` weights.

What is here:

* :func:`scaled_dot_product_attention`, the reference, and :func:`causal_mask`;
* :func:`attention_entropy`, how spread out each query's attention is, in bits;
* :func:`online_logsumexp`, one pass over blocks with a running maximum and a rescaled running
  sum (Milakov and Gimelshein 2018), and :func:`tiled_attention` / :func:`tiled_attention_steps`,
  FlashAttention's running ``(m, l, O)`` (Dao et al. 2022), which never holds the
  ``n_q x n_k`` weights;
* the pieces the lesson uses to tame or change the softmax: :func:`soft_cap` (tanh soft-capping,
  as in Gemma 2), :func:`rms_normalize` (QK normalisation) and :func:`softmax_one` (a softmax
  with +1 in the denominator, which may attend to nothing).

Conventions as in the rest of the package: float16/float32/float64 keep their dtype (float16 is
computed in float32), integers become float64, errors name the argument, and extreme inputs
inside the supported range (large scores, float16, -inf masks) give neither NaN nor a warning.

Supported range
---------------
* ``q``, ``k``, ``v``: finite numbers (float16, float32, float64; integers become float64) with
  the shapes above. The scores must stay inside the float range with room to subtract two of
  them: ``max|q| * max|k| * d * scale`` at most half the largest number of the compute dtype
  (float64: 9e307; float32, and float16 computed in float32: 1.7e38). So ``q = 1e200`` with
  ordinary keys is fine, ``q = k = 1e200`` is not. The values must allow a sum over the keys:
  ``max|v| * n_k`` below the largest number. Weights and outputs are then exact to rounding,
  with no NaN and no warning, whatever the scale (1e-300 gives uniform weights, 1e300 one-hot).
* ``mask``: boolean (True = may attend) or additive 0/``-inf``, broadcasting to the scores,
  leaving every query at least one key. ``scale``: a finite number > 0.
* ``x`` (online_logsumexp): as ``logits`` in :func:`softmax_lab.logsumexp`. ``weights``
  (attention_entropy): rows of probabilities; ``base``: a finite number > 0 other than 1.
* Refused, with an error naming the argument: NaN or inf in ``q``, ``k`` or ``v``, scores or
  values beyond the range above (the message names ``q``, ``k`` and ``scale``, or ``v``), shapes
  that do not fit, a mask with other values or a fully masked row, a bad ``scale``,
  ``block_size``, ``causal`` or ``base``.
"""

import math
from typing import NamedTuple

import numpy as np

from ._checks import as_float_array, check_axis, check_finite_or_masked, compute_dtype, finite_number, integer, to_dtype
from .attention_variants import rms_normalize, soft_cap, softmax_one
from .functions import entropy, softmax

__all__ = [
    "TiledStep",
    "attention_entropy",
    "causal_mask",
    "online_logsumexp",
    "rms_normalize",
    "scaled_dot_product_attention",
    "soft_cap",
    "softmax_one",
    "tiled_attention",
    "tiled_attention_steps",
]


def _prepare_qkv(q, k, v):
    """Validate the three arrays; return them in the compute dtype, and the output dtype."""
    arrays = {"q": q, "k": k, "v": v}
    for name, x in arrays.items():
        a = as_float_array(x, name)
        if a.ndim < 2:
            letter = "n_q, d" if name == "q" else ("n_k, d" if name == "k" else "n_k, d_v")
            raise ValueError(f"{name} must have shape (..., {letter}), got shape {a.shape}")
        if not np.isfinite(a).all():
            raise ValueError(f"{name} must be finite (no NaN or inf); to hide keys, pass a mask")
        arrays[name] = a
    q, k, v = arrays["q"], arrays["k"], arrays["v"]
    if q.shape[-1] < 1:
        raise ValueError(f"q must have at least one feature (d >= 1), got shape {q.shape}")
    if k.shape[-1] != q.shape[-1]:
        raise ValueError(f"k must have the same feature size d as q: q has d={q.shape[-1]}, "
                         f"k has {k.shape[-1]}")
    if v.shape[-2] != k.shape[-2]:
        raise ValueError(f"v must have one row per key: k has n_k={k.shape[-2]}, v has {v.shape[-2]}")
    if k.shape[-2] < 1:
        raise ValueError("k must hold at least one key (n_k >= 1)")
    try:
        np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(f"the batch dimensions of q {q.shape}, k {k.shape} and v {v.shape} "
                         "do not broadcast") from None
    dtype = np.result_type(q.dtype, k.dtype, v.dtype)
    ct = compute_dtype(dtype)
    return q.astype(ct, copy=False), k.astype(ct, copy=False), v.astype(ct, copy=False), dtype


def _scale(scale, d):
    return 1.0 / math.sqrt(d) if scale is None else finite_number(scale, "scale", low=0, inclusive=False)


def _abs_max(a):
    return float(np.max(np.abs(a))) if a.size else 0.0


def _check_range(q, k, v, scale):
    """Refuse scores or values beyond the supported range (see the module docstring).

    Each score is a sum of d products, so ``|score| <= max|q| * max|k| * d * scale``. Below half
    the largest float the scores, and the differences the softmax takes between them, are
    finite; below the largest float, ``n_k`` values can be added up. (Python floats: an
    overflow of the bound itself gives inf, which is refused too.)
    """
    largest = float(np.finfo(q.dtype).max)
    bound = _abs_max(q) * _abs_max(k) * q.shape[-1] * scale
    if not bound <= largest / 2:
        raise ValueError(f"q, k and scale give scores too large for {q.dtype}: max|q| * max|k| * d * scale = "
                         f"{bound:.3g}, above {largest / 2:.3g} (half the largest {q.dtype} number); scale q or k "
                         "down" + ("" if q.dtype == np.float64 else ", or pass float64 arrays"))
    if not _abs_max(v) * v.shape[-2] < largest:
        raise ValueError(f"v is too large to average over {v.shape[-2]} keys in {v.dtype}: max|v| * n_k must stay "
                         f"below {largest:.3g}, got max|v| = {_abs_max(v):.3g}")


def _scores(q, k, scale):
    """``q k^T * scale``, the scale applied in float64 and rounded once to the arrays' dtype
    (float32 arithmetic would round a scale of 1e-300 to 0, and 1e300 to inf)."""
    s = np.matmul(q, np.swapaxes(k, -1, -2))
    return np.multiply(s, scale, out=s, dtype=np.float64)


def _allowed(mask, shape):
    """The mask as booleans (True = may attend), checked against the scores' ``shape``."""
    if isinstance(mask, np.ma.MaskedArray):
        raise TypeError("mask is a numpy masked array; pass a plain boolean or 0/-inf array")
    try:
        m = np.asarray(mask)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"mask must be a rectangular array ({exc})") from None
    if m.dtype.kind == "b":
        allowed = m
    elif m.dtype.kind in "fiu":
        allowed = m == 0
        bad = ~(allowed | (m == -np.inf))
        if bad.any():
            raise ValueError("mask must be boolean (True = may attend) or additive with only 0 "
                             f"(attend) and -inf (masked), got the value {m[bad].flat[0]!r}")
    else:
        raise TypeError(f"mask must be boolean or an additive 0/-inf array, got dtype {m.dtype}")
    try:
        fits = np.broadcast_shapes(m.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"mask of shape {m.shape} does not broadcast to the scores' shape {shape} "
                         "(..., n_q, n_k)")
    rows = np.broadcast_to(allowed, shape).any(axis=-1)
    if not rows.all():
        where = tuple(int(i) for i in np.argwhere(~rows)[0])
        raise ValueError(f"mask leaves query {where} with no key to attend to (its whole row is "
                         "masked); a softmax needs at least one key per row (softmax_one does not)")
    return allowed


# --- the reference -----------------------------------------------------------------------------

def scaled_dot_product_attention(q, k, v, mask=None, scale=None):
    r"""Scaled dot-product attention: softmax of the query-key scores, then a weighted average.

    Parameters
    ----------
    q : array_like, shape (..., n_q, d)
        Queries.
    k : array_like, shape (..., n_k, d)
        Keys.
    v : array_like, shape (..., n_k, d_v)
        Values, one row per key.
    mask : array_like, optional
        Broadcasts to ``(..., n_q, n_k)``. Either boolean (True = the query may attend to the
        key) or additive with entries 0 (attend) and ``-inf`` (masked), as :func:`causal_mask`
        returns. Every query must keep at least one key.
    scale : float, optional
        Multiplies the scores; default :math:`1/\sqrt{d}`. It acts as an inverse temperature.

    Returns
    -------
    output : ndarray, shape (..., n_q, d_v)
    weights : ndarray, shape (..., n_q, n_k)
        Each row is a probability distribution over the keys; masked keys get exactly 0.
        Both in the floating dtype of the inputs (float16 is computed in float32).

    Raises
    ------
    ValueError
        Shapes that do not fit, NaN or inf in q, k or v, a mask with values other than 0/-inf,
        a row with every key masked, or a scale that is not a finite number > 0.
    TypeError
        Non-numeric inputs.

    Notes
    -----
    .. math:: S = \frac{Q K^\top}{\sqrt{d}} + M, \qquad
              W = \mathrm{softmax}(S) \text{ (along the keys)}, \qquad O = W V

    For random q and k with unit-variance entries, :math:`q \cdot k` has standard deviation
    :math:`\sqrt{d}`; dividing by :math:`\sqrt{d}` brings it back to 1 whatever the width, so
    the softmax neither saturates (one key takes everything, gradients vanish) nor flattens.
    The softmax shifts each row by its maximum, so even scores of 1e200 give exact one-hot
    weights, not NaN; scores beyond the float range are refused (module docstring, "Supported
    range").

    Examples
    --------
    >>> import numpy as np
    >>> q = np.array([[1.0, 0.0]])
    >>> k = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> v = np.array([[10.0], [20.0]])
    >>> out, w = scaled_dot_product_attention(q, k, v)
    >>> w.round(3)                                  # softmax([1, 0] / sqrt(2))
    array([[0.67, 0.33]])
    >>> out.round(2)
    array([[13.3]])
    >>> _, w = scaled_dot_product_attention(q, k, v, mask=[[False, True]])
    >>> w
    array([[0., 1.]])
    >>> _, w = scaled_dot_product_attention(q * 1e200, k, v)   # scores of 7e199: no overflow
    >>> w
    array([[1., 0.]])
    """
    q, k, v, dtype = _prepare_qkv(q, k, v)
    scale = _scale(scale, q.shape[-1])
    _check_range(q, k, v, scale)
    shape = np.broadcast_shapes(q.shape[:-2], k.shape[:-2]) + (q.shape[-2], k.shape[-2])
    allowed = None if mask is None else _allowed(mask, shape)
    scores = _scores(q, k, scale)                                 # S = Q K^T / sqrt(d)
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)               # + M: masked keys get -inf
    weights = softmax(scores, axis=-1)                            # W = softmax(S), along the keys
    output = np.matmul(weights, v)                                # O = W V
    return to_dtype(output, dtype), to_dtype(weights, dtype)


def causal_mask(n_q, n_k=None):
    r"""The additive causal mask: 0 where a query may look, ``-inf`` at keys in its future.

    Parameters
    ----------
    n_q : int
        Number of queries.
    n_k : int, optional
        Number of keys (default ``n_q``); must be at least ``n_q``.

    Returns
    -------
    ndarray, shape (n_q, n_k), float64
        ``M[i, j] = -inf`` if ``j > i + (n_k - n_q)``, else 0.

    Notes
    -----
    The queries are the **last** ``n_q`` of the ``n_k`` positions, as when a model decodes
    with a key-value cache: query ``i`` sits at position :math:`n_k - n_q + i` and sees every
    key up to and including its own position. With ``n_q == n_k`` this is the familiar
    triangle (each token sees itself and the past). ``n_q > n_k`` would leave the first queries
    with nothing to attend to, so it is refused.

    .. math:: M_{ij} = \begin{cases} 0 & j \le i + n_k - n_q \\ -\infty & \text{otherwise} \end{cases}

    Examples
    --------
    >>> causal_mask(3)
    array([[  0., -inf, -inf],
           [  0.,   0., -inf],
           [  0.,   0.,   0.]])
    >>> causal_mask(1, 4)                  # one new token decoding after three cached ones
    array([[0., 0., 0., 0.]])
    """
    n_q = integer(n_q, "n_q")
    n_k = n_q if n_k is None else integer(n_k, "n_k")
    if n_q > n_k:
        raise ValueError(f"n_q must be <= n_k (the queries are the last n_q of the n_k positions), "
                         f"got n_q={n_q}, n_k={n_k}")
    i = np.arange(n_q)[:, None] + (n_k - n_q)
    return np.where(np.arange(n_k)[None, :] > i, -np.inf, 0.0)


def attention_entropy(weights, base=2):
    r"""The entropy of each query's attention weights: how many keys it spreads over.

    Parameters
    ----------
    weights : array_like, shape (..., n_k)
        Rows of attention weights (>= 0, each summing to 1).
    base : float, default 2
        Base of the logarithm: 2 gives bits, ``math.e`` nats.

    Returns
    -------
    ndarray, shape (...)
        One entropy per row, in the floating dtype of ``weights``.

    Notes
    -----
    .. math:: H(w) = -\sum_j w_j \log_b w_j, \qquad 0 \le H \le \log_b n_k

    0 bits: all attention on one key. :math:`\log_2 n_k` bits: uniform over the keys.
    :math:`2^H` reads as "the number of keys attended to".

    Examples
    --------
    >>> attention_entropy([[0.25, 0.25, 0.25, 0.25], [1.0, 0.0, 0.0, 0.0]])
    array([2., 0.])
    """
    w = as_float_array(weights, "weights")
    if w.ndim < 1:
        raise ValueError("weights must have at least one dimension (the keys), got a scalar")
    b = finite_number(base, "base", low=0, inclusive=False)
    if b == 1.0:
        raise ValueError("base must be a finite number > 0 other than 1, got 1")
    try:
        h = entropy(w, axis=-1)
    except ValueError as exc:
        raise ValueError(f"weights must be rows of attention weights: {exc}") from None
    return to_dtype(h / np.asarray(math.log(b), dtype=compute_dtype(w.dtype)), w.dtype)   # inf if too large


# --- online and tiled --------------------------------------------------------------------------

def online_logsumexp(x, axis=-1, block_size=256):
    r"""Log-sum-exp in one pass over blocks, with a running maximum and a rescaled running sum.

    Parameters
    ----------
    x : array_like
        Values; ``-inf`` entries contribute nothing.
    axis : int, default -1
        The axis to reduce.
    block_size : int, default 256
        How many entries of each row are read at a time.

    Returns
    -------
    ndarray
        ``x`` reduced along ``axis``, in its floating dtype (a 0-d array for 1-D input).

    Raises
    ------
    ValueError
        NaN or ``+inf``, an empty axis, a row where every entry is ``-inf``, a bad block size.

    Notes
    -----
    The two-pass recipe first finds :math:`m = \max_j x_j`, then sums :math:`e^{x_j - m}`. The
    online version (Milakov and Gimelshein 2018) keeps, for the entries seen so far, their
    maximum :math:`m` and the sum :math:`s = \sum_j e^{x_j - m}`. When a block with maximum
    :math:`m_b` and sum :math:`s_b = \sum_{j \in b} e^{x_j - m_b}` arrives,

    .. math:: m' = \max(m, m_b), \qquad s' = s\, e^{m - m'} + s_b\, e^{m_b - m'}

    (the old sum is rescaled to the new maximum), and at the end
    :math:`\mathrm{LSE}(x) = m + \log s`. Every exponent is :math:`\le 0`, so nothing overflows,
    and the data are read once: this is what lets a GPU kernel compute a softmax in tiles.

    Here :math:`s` is kept as :math:`1 + t` (the maximum's own term is exactly 1), and the end
    is :math:`m + \mathrm{log1p}(t)`, which stays accurate when the result is near 0.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 3.0, 2.0, 1000.0, -np.inf])
    >>> float(online_logsumexp(x, block_size=2))
    1000.0
    >>> from softmax_lab import logsumexp
    >>> y = np.random.default_rng(0).normal(size=1000)
    >>> bool(abs(online_logsumexp(y, block_size=64) - logsumexp(y)) < 1e-13)
    True
    """
    a = as_float_array(x, "x")
    axis = check_axis(a, axis, "x", what="axis")
    block = integer(block_size, "block_size")
    check_finite_or_masked(a, "x")
    z = np.moveaxis(a, axis, -1).astype(compute_dtype(a.dtype), copy=False)
    m = np.full(z.shape[:-1], -np.inf, dtype=z.dtype)    # running maximum
    t = np.zeros(z.shape[:-1], dtype=z.dtype)             # running sum, minus the maximum's 1
    for start in range(0, z.shape[-1], block):
        chunk = z[..., start:start + block]
        m_b = np.max(chunk, axis=-1)
        with np.errstate(over="ignore"):                  # a difference beyond the float range is -inf: exp 0
            e = np.exp(chunk - np.where(np.isfinite(m_b), m_b, 0)[..., None])
        np.put_along_axis(e, np.argmax(chunk, axis=-1)[..., None], 0.0, axis=-1)
        t_b = np.sum(e, axis=-1)                          # the block's sum, minus its maximum's 1
        new = m_b > m                                     # the block brings a new maximum
        hi, lo = np.where(new, m_b, m), np.where(new, m, m_b)
        with np.errstate(over="ignore"):
            rescale = np.exp(lo - np.where(np.isfinite(hi), hi, 0))   # e^{lo - hi}; 0 if lo is -inf
        t = np.where(new, t_b, t) + rescale * (1 + np.where(new, t, t_b))
        m = hi
    if np.isneginf(m).any():
        raise ValueError("x has a row where every entry is -inf; its log-sum-exp would be -inf")
    return to_dtype(np.asarray(m + np.log1p(t)), a.dtype)


class TiledStep(NamedTuple):
    """The running state of :func:`tiled_attention_steps` after one block of keys."""

    block: int          #: index of the key block just read
    keys: tuple         #: (start, stop) of its keys
    m: np.ndarray       #: running maximum score per query, shape (..., n_q, 1)
    ell: np.ndarray     #: running sum of exp(score - m) per query (the paper's l), shape (..., n_q, 1)
    output: np.ndarray  #: attention over the keys read so far, O / ell, shape (..., n_q, d_v)


def tiled_attention_steps(q, k, v, block_size=64, causal=False, scale=None):
    r"""Walk :func:`tiled_attention` one block of keys at a time; yields a :class:`TiledStep`.

    Parameters are those of :func:`tiled_attention`. The inputs are checked at the call; the
    blocks are computed as the returned iterator is consumed. After the last block, ``output``
    equals :func:`scaled_dot_product_attention` (within rounding).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> q, k, v = rng.normal(size=(2, 3)), rng.normal(size=(5, 3)), rng.normal(size=(5, 1))
    >>> steps = list(tiled_attention_steps(q, k, v, block_size=2))
    >>> [s.keys for s in steps]
    [(0, 2), (2, 4), (4, 5)]
    >>> reference, _ = scaled_dot_product_attention(q, k, v)
    >>> bool(np.allclose(steps[-1].output, reference, rtol=0, atol=1e-14))
    True
    """
    return _tiled(*_tiled_inputs(q, k, v, block_size, causal, scale), every_block=True)


def _tiled_inputs(q, k, v, block_size, causal, scale):
    q, k, v, dtype = _prepare_qkv(q, k, v)
    block = integer(block_size, "block_size")
    if not isinstance(causal, (bool, np.bool_)):
        raise TypeError(f"causal must be True or False, got {causal!r}")
    scale = _scale(scale, q.shape[-1])
    _check_range(q, k, v, scale)
    n_q, n_k = q.shape[-2], k.shape[-2]
    if causal and n_q > n_k:
        raise ValueError(f"causal attention needs n_q <= n_k (queries are the last n_q positions), "
                         f"got n_q={n_q}, n_k={n_k}")
    return q, k, v, dtype, block, bool(causal), scale


def _tiled(q, k, v, dtype, block, causal, scale, every_block):
    n_q, n_k = q.shape[-2], k.shape[-2]
    shape = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2]) + (n_q,)
    m = np.full(shape + (1,), -np.inf, dtype=q.dtype)   # running maximum of the scores
    ell = np.zeros(shape + (1,), dtype=q.dtype)         # running sum of exp(score - m)
    o = np.zeros(shape + (v.shape[-1],), dtype=q.dtype)  # running sum of exp(score - m) * v
    position = np.arange(n_q)[:, None] + (n_k - n_q)    # each query's position (see causal_mask)
    for index, start in enumerate(range(0, n_k, block)):
        stop = min(start + block, n_k)
        s = _scores(q, k[..., start:stop, :], scale)    # this block's scores
        if causal:
            s = np.where(np.arange(start, stop)[None, :] > position, -np.inf, s)
        m_new = np.maximum(m, np.max(s, axis=-1, keepdims=True))
        shift = np.where(np.isfinite(m_new), m_new, 0)  # a row with only masked keys so far
        alpha = np.exp(m - shift)                       # rescales what was summed under the old m
        p = np.exp(s - shift)
        ell = alpha * ell + np.sum(p, axis=-1, keepdims=True)
        o = alpha * o + np.matmul(p, v[..., start:stop, :])
        m = m_new
        if every_block or stop == n_k:
            output = o / np.where(ell > 0, ell, 1)
            yield TiledStep(index, (start, stop), to_dtype(m, dtype), to_dtype(ell, dtype), to_dtype(output, dtype))


def tiled_attention(q, k, v, block_size=64, causal=False, scale=None):
    r"""Attention computed over blocks of keys, FlashAttention style, never storing the weights.

    Parameters
    ----------
    q, k, v : array_like
        As in :func:`scaled_dot_product_attention`.
    block_size : int, default 64
        Keys per block.
    causal : bool, default False
        Apply :func:`causal_mask` (queries are the last n_q positions).
    scale : float, optional
        Default :math:`1/\sqrt{d}`.

    Returns
    -------
    ndarray, shape (..., n_q, d_v)
        The attention output, equal to :func:`scaled_dot_product_attention`'s within rounding
        (about 1e-15 relative in float64).

    Notes
    -----
    Each query keeps a running maximum :math:`m`, a running sum :math:`\ell` and an
    unnormalised output :math:`O`. For a block of keys with scores :math:`S_b`:

    .. math::
        m' = \max(m, \max_j S_{b,j}), \qquad \alpha = e^{m - m'}, \qquad
        P = e^{S_b - m'}

        \ell' = \alpha \ell + \textstyle\sum_j P_j, \qquad O' = \alpha O + P V_b

    and at the end the output is :math:`O / \ell` (Dao et al. 2022, FlashAttention). Only an
    ``n_q x block_size`` tile of scores exists at any time. In numpy this is *slower* than the
    reference (more Python-level steps, the same arithmetic plus the rescaling); on a GPU the
    same recurrence lets one fused kernel keep each tile in fast on-chip memory, so the
    ``n x n`` matrix is never written to or read back from the slow main memory.
    (A GPU kernel also tiles the queries, and then skips tiles entirely above the diagonal.)

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> q, k, v = (rng.normal(size=(6, 4)) for _ in range(3))
    >>> out = tiled_attention(q, k, v, block_size=4, causal=True)
    >>> ref, _ = scaled_dot_product_attention(q, k, v, mask=causal_mask(6))
    >>> bool(np.allclose(out, ref, rtol=0, atol=1e-14))
    True
    """
    steps = _tiled(*_tiled_inputs(q, k, v, block_size, causal, scale), every_block=False)
    return next(steps).output      # the only step yielded: the last one
