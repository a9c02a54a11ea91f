"""Input checks and dtype rules shared by ``attention.py`` and ``attention_variants.py``.

Kept apart from ``_checks.py`` on purpose (that module serves the softmax family); the rules are
the package's: float dtypes are kept (float16 computed in float32), integers become float64,
and every error names the argument.
"""

import math
import numbers

import numpy as np


def float_array(x, name):
    """``x`` as a floating ndarray (float kinds kept, integers to float64); refuse the rest."""
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(f"{name} is a numpy masked array; pass a plain array (and use the mask "
                        "argument to hide keys)")
    try:
        a = np.asarray(x)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} must be a rectangular array of numbers ({exc})") from None
    if a.dtype.kind == "f":
        return a
    if a.dtype.kind in "iu":
        return a.astype(np.float64)
    if a.dtype.kind == "b":
        raise TypeError(f"{name} must contain numbers, got booleans")
    raise TypeError(f"{name} must contain real numbers, got an array of dtype {a.dtype}")


def compute_dtype(dtype):
    """float16 is computed in float32 (and rounded back at the end)."""
    return np.dtype(np.float32) if dtype == np.float16 else np.dtype(dtype)


def real_number(value, name, positive=False):
    """A finite real number as a float (> 0 if ``positive``); the message names ``name``."""
    what = "a finite number" + (" > 0" if positive else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {what}, got {value!r}")
    try:
        f = float(value)
    except OverflowError:                      # a Python int beyond the float range
        raise ValueError(f"{name} must be {what}, got a number too large for a float") from None
    if not math.isfinite(f) or (positive and f <= 0):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return f


def positive_int(value, name):
    """An integer >= 1 (numpy integers too); refuse bools, floats and the rest."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def axis_index(a, axis, name):
    """Normalise ``axis`` for ``a``; refuse a scalar, an out-of-range axis and an empty axis."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an integer, got {axis!r}")
    if a.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension, got a scalar")
    if not -a.ndim <= axis < a.ndim:
        raise ValueError(f"axis {axis} is out of range for {name} with {a.ndim} dimension(s)")
    axis = int(axis) % a.ndim
    if a.shape[axis] == 0:
        raise ValueError(f"{name} has an empty axis {axis} (shape {a.shape})")
    return axis


def finite_or_masked(a, name):
    """Refuse NaN and +inf (``-inf`` masks an entry)."""
    if np.isnan(a).any():
        raise ValueError(f"{name} contains NaN")
    if np.isposinf(a).any():
        raise ValueError(f"{name} contains +inf; use -inf to mask an entry, finite numbers otherwise")


def to_dtype(x, dtype):
    """Round back to the caller's dtype, silently (out-of-range values become +-inf or 0)."""
    with np.errstate(over="ignore", under="ignore"):
        return np.asarray(x).astype(dtype, copy=False)
