"""Shared by lesson 13's experiment modules: argument checks and a small Adam optimiser.

Each check returns the argument in a clean form or raises a ValueError/TypeError whose message
starts with the argument's name.
"""

import math
import numbers

import numpy as np


def count(value, name, low=1):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _real(value, name, requirement):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {requirement}, got {value!r}")
    try:
        return float(value)
    except OverflowError:                          # an int too large for a float (10**400)
        raise ValueError(f"{name} must be {requirement}, got an integer too large for a float") from None


def positive(value, name):
    v = _real(value, name, "a finite number > 0")
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def nonnegative(value, name):
    v = _real(value, name, "a finite number >= 0")
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def fraction(value, name):
    v = _real(value, name, "a number in [0, 1]")
    if not 0 <= v <= 1:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return v


def seed(value, name="seed"):
    """An int seed >= 0 (what numpy's default_rng takes)."""
    return count(value, name, low=0)


def _int_array(value, name, ndim, what):
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(f"{name} must be a plain array of word ids, got a masked array")
    try:
        ids = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} must be a rectangular array of word ids ({exc})") from None
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integer word ids, got dtype {ids.dtype}")
    if ids.ndim != ndim:
        raise ValueError(f"{name} must have shape {what}, got {ids.shape}")
    return ids


def word_ids(value, name, n_words, width=None):
    """A 2-D integer array of word ids in [0, n_words) (``width`` ids per row, if given)."""
    ids = _int_array(value, name, 2, f"(N, {width or 'n'})")
    if width is not None and ids.shape[1] != width:
        raise ValueError(f"{name} must have shape (N, {width}), got {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= n_words):
        raise ValueError(f"{name} must be word ids in [0, {n_words}), got values from {ids.min()} to {ids.max()}")
    return ids.astype(np.intp)


def labels(value, name, n_words, length):
    """A 1-D integer array of ``length`` word ids in [0, n_words)."""
    ids = _int_array(value, name, 1, f"({length},)")
    if len(ids) != length:
        raise ValueError(f"{name} must have shape ({length},), got {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= n_words):
        raise ValueError(f"{name} must be word ids in [0, {n_words}), got values from {ids.min()} to {ids.max()}")
    return ids.astype(np.intp)


def words(value, name):
    """A text (str) or a list of words (str), returned as it is (str) or as a list; the rest refused."""
    if isinstance(value, str):
        return value
    if not isinstance(value, (list, tuple)) or not all(isinstance(w, str) for w in value):
        raise TypeError(f"{name} must be a text or a list of words (strings), got {value!r:.80}")
    return list(value)


def sentences(value, name, min_count=0):
    """A list of sentences, each a non-empty list of words (str); at least ``min_count`` of them."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise TypeError(f"{name} must be a list of sentences (lists of words), got {value!r:.80}")
    out = []
    for s in value:
        if isinstance(s, str) or not isinstance(s, (list, tuple)) or not all(isinstance(w, str) for w in s):
            raise TypeError(f"{name} must be a list of sentences (lists of words), got an entry {s!r:.80}")
        if not s:
            raise ValueError(f"{name} must not hold an empty sentence")
        out.append(list(s))
    if len(out) < min_count:
        raise ValueError(f"{name} must hold at least {min_count} sentence(s), got {len(out)}")
    return out


def positive_tuple(value, name, allow_none=False):
    """A non-empty list or tuple of finite numbers > 0 (and None where allowed), as a tuple."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value:
        raise TypeError(f"{name} must be a non-empty tuple of numbers > 0, got {value!r:.80}")
    return tuple(None if (v is None and allow_none) else positive(v, name) for v in value)


class Adam:
    """Adam (Kingma and Ba 2015) over a dict of arrays, updated in place.

    With the gradient g at step t, for every array: m = 0.9 m + 0.1 g, v = 0.999 v + 0.001 g**2,
    param -= lr (m / (1 - 0.9**t)) / (sqrt(v / (1 - 0.999**t)) + 1e-8). The intermediate
    results go into two scratch arrays per parameter, kept between steps: the same numbers as the
    formula written out, without allocating (and page-faulting) new arrays at every step.
    """

    def __init__(self, params, learning_rate):
        self.lr, self.t = learning_rate, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self._scratch = {k: (np.empty_like(v), np.empty_like(v)) for k, v in params.items()}

    def step(self, params, grads):
        self.t += 1
        for k, g in grads.items():
            m, v, (x, y) = self.m[k], self.v[k], self._scratch[k]
            m *= 0.9
            m += np.multiply(0.1, g, out=x)                          # m = 0.9 m + 0.1 g
            v *= 0.999
            v += np.multiply(0.001, np.square(g, out=y), out=y)      # v = 0.999 v + 0.001 g**2
            np.sqrt(np.divide(v, 1 - 0.999**self.t, out=y), out=y)   # sqrt(v_hat)
            y += 1e-8
            np.divide(m, 1 - 0.9**self.t, out=x)                     # m_hat
            x *= self.lr
            params[k] -= np.divide(x, y, out=x)                      # lr m_hat / (sqrt(v_hat) + 1e-8)
