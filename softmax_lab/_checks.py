"""Input checks shared by the math modules.

Every public function turns its arguments into clean numpy arrays here, so that bad input is
caught at the door with a message that names the argument, and the maths that follows can
assume finite-or-masked floating-point numbers.

Sections: arrays and axes; numbers and options; the max shift (lesson 05: validate each row and
subtract its maximum, shared by softmax, the losses and sampling); probabilities; random
generators; the large-vocabulary modules' arguments (``vocab``, ``factored``).
"""

import itertools
import math
import numbers

import numpy as np


def as_array(x, name):
    """``np.asarray(x)``, refusing ragged lists and masked arrays with a message naming the argument.

    A ``numpy.ma`` masked array is refused (TypeError) rather than silently unmasked: the maths
    here would read the hidden values as if they were data. The package's own mask is ``-inf``
    for logits (``np.ma.filled(x, -np.inf)`` converts one), and 0 for probabilities.
    """
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(f"{name} must be a plain array, got a numpy.ma masked array (its mask would be "
                        f"ignored); fill the masked entries first with np.ma.filled({name}, value): "
                        "-np.inf for logits, 0 for probabilities")
    try:
        return np.asarray(x)
    except (ValueError, TypeError) as exc:  # ragged lists, unconvertible objects
        raise ValueError(f"{name} must be a rectangular array of numbers ({exc})") from None


def as_float_array(x, name):
    """Return ``x`` as a floating-point ndarray.

    float16/float32/float64 (and longer) arrays keep their dtype; integers and lists of numbers
    become float64. Booleans, strings, objects and complex numbers are refused with a TypeError,
    and so are ml_dtypes' bfloat16 and float8 arrays, with the conversion to float32 to use instead
    (lesson 05: frameworks compute a softmax of bfloat16 logits in float32 as well).
    """
    a = as_array(x, name)
    kind = a.dtype.kind
    if kind == "f":
        return a
    if kind in "iu":
        return a.astype(np.float64)
    if kind == "b":
        raise TypeError(f"{name} must contain numbers, got booleans")
    if kind == "V" and a.dtype.names is None and "float" in a.dtype.name:   # ml_dtypes: bfloat16, float8_...
        raise TypeError(f"{name} has dtype {a.dtype}, which softmax_lab does not compute in: convert it first, "
                        f"np.asarray({name}, dtype=np.float32) (frameworks compute the softmax of {a.dtype} "
                        "logits in float32 too), and convert the result back if you need to")
    raise TypeError(f"{name} must contain real numbers, got an array of dtype {a.dtype}")


def float_array(x, name, ndim=None, finite=False):
    """:func:`as_float_array`, plus (optionally) an exact number of dimensions and finiteness.

    With ``ndim=None`` a scalar is refused (the callers need at least one axis).
    """
    a = as_float_array(x, name)
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {a.shape}")
    if ndim is None and a.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension, got a scalar")
    if finite and not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite (it holds NaN or inf)")
    return a


def compute_dtype(a):
    """The dtype the arithmetic runs in for an array (or a dtype) ``a``: float16 is widened to
    float32 for accuracy; other float dtypes are kept."""
    dtype = np.dtype(getattr(a, "dtype", a))
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def to_dtype(x, dtype):
    """Round back to the caller's dtype, silently (out-of-range values become +-inf or 0)."""
    x = np.asarray(x)
    if x.dtype == dtype:
        return x                                  # nothing to round
    with np.errstate(over="ignore", under="ignore"):
        return x.astype(dtype)


def check_axis(a, axis, name="logits", what="class axis"):
    """Normalise ``axis`` for array ``a`` and refuse an empty axis (``what`` names it in messages)."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an integer, got {axis!r}")
    if a.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension (a {what}), got a scalar")
    if not -a.ndim <= axis < a.ndim:
        raise ValueError(f"axis {axis} is out of range for {name} with {a.ndim} dimension(s)")
    axis = int(axis) % a.ndim
    if a.shape[axis] == 0:
        raise ValueError(f"{name} has an empty {what} (axis={axis}, shape {a.shape})")
    return axis


def prepare_logits(logits, axis, name="logits"):
    """Validate ``logits`` and return (array in its compute dtype, original dtype, axis)."""
    z = as_float_array(logits, name)
    axis = check_axis(z, axis, name)
    return z.astype(compute_dtype(z), copy=False), z.dtype, axis


def real_number(value, name, requirement):
    """``float(value)`` for a real number (not a bool), else a TypeError naming ``name``.

    A Python int too large for a float (``10**400``) gives a ValueError naming ``name``, not
    the bare OverflowError of ``float()``. ``requirement`` completes "``name`` must be ...".
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {requirement}, got {value!r}")
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"{name} must be {requirement}, got an integer too large for a float "
                         f"({len(str(abs(int(value))))} digits)") from None


def finite_number(value, name, low=None, inclusive=True):
    """A finite real number as a float; with ``low``, also ``>= low`` (or ``> low``)."""
    requirement = "a finite number" + ("" if low is None else f" {'>=' if inclusive else '>'} {low}")
    v = real_number(value, name, requirement)       # TypeError for a non-number, ValueError for 10**400
    in_range = low is None or (v >= low if inclusive else v > low)
    if not (math.isfinite(v) and in_range):
        raise ValueError(f"{name} must be {requirement}, got {value!r}")
    return v


def integer(value, name, low=1):
    """An integer ``>= low`` (numpy integers too) as an int; refuse bools, floats and the rest."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {low}, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def check_temperature(temperature):
    """Return the temperature as a float, or raise if it is not a finite number > 0."""
    t = real_number(temperature, "temperature", "a finite number > 0")
    if not (np.isfinite(t) and t > 0):
        raise ValueError(f"temperature must be a finite number > 0, got {temperature!r}")
    return t


def check_choice(value, name, choices):
    """Refuse a string option that is not one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def check_finite_or_masked(a, name):
    """Refuse NaN and +inf anywhere (``-inf`` is allowed: it masks an entry).

    One comparison finds both (``NaN < inf`` is False); only then is the culprit named.
    """
    if (a < np.inf).all():
        return
    if np.isnan(a).any():
        raise ValueError(f"{name} contains NaN")
    raise ValueError(f"{name} contains +inf; use -inf to mask an entry, and finite numbers otherwise")


def row_max(a, axis, name="logits"):
    """The maximum along ``axis`` (kept as a length-1 axis), which also validates every row.

    ``np.max`` propagates NaN and +inf, and is -inf only for a row that is entirely masked, so
    one reduction both finds the shift for a stable softmax and catches bad rows.
    """
    m = np.max(a, axis=axis, keepdims=True)
    if not np.isfinite(m).all():
        check_finite_or_masked(a, name)
        raise ValueError(
            f"{name} has a row where every entry is masked (-inf); at least one entry per row "
            "must be finite"
        )
    return m


def divide(a, divisor, out=None):
    """``a / divisor`` (into ``out``, a new array by default), rounded once to ``a``'s dtype;
    in float64 where that dtype cannot hold the divisor. Overflow gives +-inf and underflow 0,
    silently.

    The divisor is a temperature (or T times a batch size): a Python float that float32 may not
    hold. In float32, T = 1e-300 would round to 0 (then 0 / 0 = NaN at the row maximum) and
    T = 1e300 to inf (-inf / inf = NaN). In float64 the quotient is right, and rounding it to
    float32 once gives the nearest float32 number. A divisor the dtype holds exactly (T = 2,
    N = 32) gives that same nearest number in the dtype's own arithmetic, which is several times
    faster than converting every entry to float64 and back.
    """
    out = np.empty_like(a) if out is None else out
    with np.errstate(over="ignore", under="ignore"):
        exact = float(a.dtype.type(divisor)) == divisor
        return np.divide(a, divisor, out=out, dtype=None if exact else np.float64)


def shift_by_max(z, axis, temperature=1.0, name="logits"):
    r"""Lesson 05's shift, then the temperature: :math:`(z - m) / T` with :math:`m` each row's
    maximum along ``axis``, as a new array.

    Every entry is <= 0 and each row's maximum becomes exactly 0, so ``exp`` of the result
    cannot overflow and the sum of the exponentials lies between 1 and K. NaN, +inf and fully
    masked rows are refused (:func:`row_max`). Any finite T > 0 stays exact:

    * T is applied in float64 (:func:`divide`), which holds 1e-300 and 1e300.
    * ``z - m`` overflows to -inf where a row spans more than the float range
      (``-1e308 - 1e308``). With T <= 1 that is the right answer: the true ``(z - m) / T`` is
      below the range too, and its exponential is 0. With T > 1 it may not be, so there the
      temperature comes first, ``z / T - m / T``: dividing by T > 1 cannot overflow, the row
      maximum still becomes exactly 0, and the difference is the same number up to rounding.

    Examples
    --------
    >>> shift_by_max(np.array([[1.0, 3.0], [-np.inf, 5.0]]), axis=-1)
    array([[ -2.,   0.],
           [-inf,   0.]])
    >>> shift_by_max(np.array([1e308, -1e308]), axis=-1, temperature=1e308)
    array([ 0., -2.])
    """
    m = row_max(z, axis, name)
    with np.errstate(over="ignore"):              # beyond the float range: -inf, see above
        if temperature > 1.0:
            s = divide(z, temperature)             # z / T
            s -= divide(m, temperature)            # - m / T
        else:
            s = z - m                              # z - m
            if temperature < 1.0:
                divide(s, temperature, out=s)      # / T
    return s


def check_probabilities(p, name, axis):
    """Refuse arrays that are not probability distributions along ``axis``.

    Entries must be finite and >= 0, and each row must sum to 1 within ``sqrt(eps)`` of the
    coarsest float dtype that holds every entry exactly: about 0.03 for float16, 3e-4 for
    float32, 1.5e-8 for float64. So a distribution computed in float32 (or float16) and then
    stored as float64 is judged by float32's (float16's) rounding, which made it: it is valid
    in the dtype that produced it. Genuine float64 data (entries that float32 cannot hold) keep
    the strict float64 tolerance. The coarser dtypes are only tried when the strict test fails,
    so a valid float64 array costs nothing extra.
    """
    if not np.isfinite(p).all():
        raise ValueError(f"{name} must be finite probabilities, got NaN or inf")
    if (p < 0).any():
        raise ValueError(f"{name} must be probabilities >= 0, got {float(p.min()):g}")
    sums = np.sum(p, axis=axis, dtype=np.float64)
    worst = float(np.max(np.abs(sums - 1.0))) if sums.size else 0.0
    if worst > _sum_tolerance(p.dtype) and worst > _sum_tolerance(_coarsest_exact_dtype(p)):
        raise ValueError(
            f"{name} must sum to 1 along axis {axis} (each row is a distribution); "
            f"a row is off by {worst:.3g}"
        )


def _sum_tolerance(dtype):
    return float(np.sqrt(np.finfo(dtype).eps))


def _coarsest_exact_dtype(p):
    """The coarsest of float16, float32 and ``p.dtype`` that represents every entry of ``p``."""
    for dtype in (np.float16, np.float32):
        if np.finfo(dtype).eps <= np.finfo(p.dtype).eps:
            continue                              # not coarser than p's own dtype
        with np.errstate(over="ignore", under="ignore"):
            if np.array_equal(p.astype(dtype).astype(p.dtype), p):
                return np.dtype(dtype)
    return p.dtype


def as_generator(rng, name="rng"):
    """None -> a fresh default_rng(); an int -> default_rng(seed); a Generator -> itself."""
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, (bool, np.bool_)):
        if rng < 0:
            raise ValueError(f"{name} as an int seed must be >= 0, got {rng!r}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{name} must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}"
    )


# --------------------------------------------------------------------------------------------
# The large-vocabulary modules (vocab, factored)
# --------------------------------------------------------------------------------------------

def word_ids(targets, shape, n_words, name="targets"):
    """Integer word ids of the given shape, each in [0, n_words), flattened."""
    t = as_array(targets, name)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integer word ids, got dtype {t.dtype}")
    if t.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)} (hidden without its last axis), got {t.shape}")
    if t.size and (t.min() < 0 or t.max() >= n_words):
        raise ValueError(f"{name} must be word ids in [0, {n_words}), got values in [{t.min()}, {t.max()}]")
    return t.astype(np.intp).reshape(-1)


def hidden_and_weight(hidden, weight, bias, targets):
    """Checked (N, d) hidden, (V, d) weight, bias or None, flat targets, and the compute dtype."""
    h = float_array(hidden, "hidden", finite=True)
    w = float_array(weight, "weight", ndim=2)             # checked chunk by chunk by the callers
    if h.shape[-1] != w.shape[1]:
        raise ValueError(f"hidden's last axis ({h.shape[-1]}) must match weight's second axis ({w.shape[1]})")
    if w.shape[0] == 0:
        raise ValueError("weight must have at least one row (one word)")
    b = None
    if bias is not None:
        b = float_array(bias, "bias", ndim=1)
        if b.shape[0] != w.shape[0]:
            raise ValueError(f"bias must have one entry per word, {w.shape[0]}, got {b.shape[0]}")
        if np.any(np.isnan(b)) or np.any(b == np.inf):
            raise ValueError("bias must be finite or -inf (a masked word); it holds NaN or +inf")
    t = word_ids(targets, h.shape[:-1], w.shape[0])
    dtype = compute_dtype(np.result_type(h, w, *([] if b is None else [b])))
    return h.reshape(-1, h.shape[-1]).astype(dtype, copy=False), w, b, t, dtype


def check_cutoffs(cutoffs):
    """Adaptive softmax cluster boundaries: at least two increasing word counts."""
    try:
        c = [integer(x, "cutoffs") for x in cutoffs]
    except TypeError as exc:
        if "cutoffs" in str(exc):
            raise
        raise TypeError(f"cutoffs must be a sequence of integers, got {cutoffs!r}") from None
    if len(c) < 2 or any(a >= b for a, b in itertools.pairwise(c)):
        raise ValueError(f"cutoffs must be >= 2 increasing word counts ending at V, got {cutoffs!r}")
    return tuple(c)


def check_div(div_value):
    """The adaptive softmax's width divisor, a number in [1, 1e6)."""
    if isinstance(div_value, bool) or not isinstance(div_value, numbers.Real) or not 1 <= div_value < 1e6:
        raise ValueError(f"div_value must be a number in [1, 1e6), got {div_value!r}")
    return float(div_value)
