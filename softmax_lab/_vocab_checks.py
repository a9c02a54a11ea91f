"""Input checks shared by the large-vocabulary modules (``vocab``, ``factored``).

Each error names the argument. Kept apart from ``_checks`` so the two can evolve separately;
they may be merged later.
"""

import itertools
import numbers

import numpy as np


def floats(x, name, ndim=None, finite=True):
    """``x`` as a floating ndarray (integers become float64), refusing what cannot be one."""
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(f"{name} must be a plain array, not a masked array (use -inf in bias to mask words)")
    try:
        a = np.asarray(x)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} must be a rectangular array of numbers ({exc})") from None
    if a.dtype.kind in "iu":
        a = a.astype(np.float64)
    elif a.dtype.kind != "f":
        raise TypeError(f"{name} must contain real numbers, got dtype {a.dtype}")
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {a.shape}")
    if ndim is None and a.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension, got a scalar")
    if finite and not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite (it holds NaN or inf)")
    return a


def positive_int(x, name, low=1):
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {low}, got {x!r}")
    if x < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {x}")
    return int(x)


def word_ids(targets, shape, n_words, name="targets"):
    """Integer word ids of the given shape, each in [0, n_words)."""
    try:
        t = np.asarray(targets)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} must be a rectangular array of word ids ({exc})") from None
    if t.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integer word ids, got dtype {t.dtype}")
    if t.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)} (hidden without its last axis), got {t.shape}")
    if t.size and (t.min() < 0 or t.max() >= n_words):
        raise ValueError(f"{name} must be word ids in [0, {n_words}), got values in [{t.min()}, {t.max()}]")
    return t.astype(np.intp).reshape(-1)


def hidden_and_weight(hidden, weight, bias, targets):
    """Checked (N, d) hidden, (V, d) weight, bias or None, flat targets, compute dtype."""
    h = floats(hidden, "hidden")
    w = floats(weight, "weight", ndim=2, finite=False)   # checked chunk by chunk by the callers
    if h.shape[-1] != w.shape[1]:
        raise ValueError(f"hidden's last axis ({h.shape[-1]}) must match weight's second axis ({w.shape[1]})")
    if w.shape[0] == 0:
        raise ValueError("weight must have at least one row (one word)")
    b = None
    if bias is not None:
        b = floats(bias, "bias", ndim=1, finite=False)
        if b.shape[0] != w.shape[0]:
            raise ValueError(f"bias must have one entry per word, {w.shape[0]}, got {b.shape[0]}")
        if np.any(np.isnan(b)) or np.any(b == np.inf):
            raise ValueError("bias must be finite or -inf (a masked word); it holds NaN or +inf")
    t = word_ids(targets, h.shape[:-1], w.shape[0])
    dtype = np.result_type(h, w, *([] if b is None else [b]))
    dtype = np.float32 if dtype == np.float16 else dtype
    return h.reshape(-1, h.shape[-1]).astype(dtype, copy=False), w, b, t, dtype


def generator(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
        raise ValueError(f"seed must be None, an integer >= 0 or a numpy Generator, got {seed!r}")
    return np.random.default_rng(seed)


def check_cutoffs(cutoffs):
    try:
        c = [positive_int(x, "cutoffs") for x in cutoffs]
    except TypeError as exc:
        if "cutoffs" in str(exc):
            raise
        raise TypeError(f"cutoffs must be a sequence of integers, got {cutoffs!r}") from None
    if len(c) < 2 or any(a >= b for a, b in itertools.pairwise(c)):
        raise ValueError(f"cutoffs must be >= 2 increasing word counts ending at V, got {cutoffs!r}")
    return tuple(c)


def check_div(div_value):
    if isinstance(div_value, bool) or not isinstance(div_value, numbers.Real) or not 1 <= div_value < 1e6:
        raise ValueError(f"div_value must be a number in [1, 1e6), got {div_value!r}")
    return float(div_value)
