r"""Measured speed paths shared by the math modules (private: learners read ``functions.py``).

The public functions in :mod:`softmax_lab.functions` and :mod:`softmax_lab.losses` show their
formulas plainly (max with keepdims, exp of the shifted logits, divide by the sum) and call the
helpers here for the steps where a faster route pays. Every helper computes the numbers of the
plain formula; its docstring says what it saves, why the result is unchanged, and how much it
buys (``benchmarks/bench_core.py`` measures the public functions against scipy and against one
``np.exp`` pass over the same array).

What lives here:

* :func:`row_max`, :func:`row_sum`: reductions that are fast on many short rows;
* :func:`shifted`: ``(z - m) / T``, safe for any temperature, with the division done as if in
  float64 (and fast when the divisor is exact in the array's dtype, see :func:`divide`);
* :func:`exp_rows`: ``exp`` of the shifted logits, skipping the shift where it is not needed;
* :func:`log_sum_exp`: the row maximum and ``log sum exp``, one cache-sized block at a time;
* :func:`to_dtype`: rounding back to the caller's dtype without warnings.
"""

import math

import numpy as np

from ._checks import row_max as _checked_row_max

SHORT_ROW = 16   # rows with at most this many classes are "short"
BLOCK = 1 << 17  # elements in a block of rows: 512 KiB of float32, so a block and its scratch stay
                 # in a core's L2 cache (2 MiB here); 2^16 to 2^18 measured about the same


def to_dtype(x, dtype):
    """Round back to the caller's dtype (silently: out-of-range values become +-inf or 0)."""
    if x.dtype == dtype:
        return x                                 # nothing to round (and no errstate to pay for)
    with np.errstate(over="ignore", under="ignore"):
        return x.astype(dtype, copy=False)


def divide(a, divisor):
    """``a /= divisor`` (in place for an array) rounded as if in float64, and return ``a``.
    Overflow gives +-inf silently.

    Not simply ``a /= divisor``: NumPy 2 casts a Python float to float32 first, so T = 1e-300
    would become 0 (0/0 = NaN) and T = 1e300 inf (-inf/inf = NaN). A float64 divisor avoids that,
    but a float32 array divided by a float64 number runs a mixed-type loop about four times slower
    than the division itself. So: when the divisor is exact in the array's dtype (N = 32, T = 2),
    divide in that dtype, which gives the very same correctly rounded result; else in float64.
    """
    with np.errstate(over="ignore"):
        same = a.dtype.type(divisor)
        a /= same if float(same) == divisor else np.float64(divisor)   # float(): compare in float64
    return a


def class_major(a, axis):
    """A contiguous copy of ``a`` with the class axis first: row j holds class j of every row.

    (Axes 0 and ``axis`` are swapped; swapping them back puts a reduced result in place.)
    """
    return np.ascontiguousarray(a.swapaxes(axis, 0))


def row_max(z, axis, name="logits", whole=None):
    """The maximum along ``axis``, kept as a length-1 axis; raises as ``_checks.row_max`` does for
    NaN, +inf and fully masked rows (diagnosing ``whole``, when ``z`` is a block of its rows).

    Fast path for short rows: ``np.max`` along an axis of a few classes pays a fixed cost per
    row (for 1024 rows of 10 classes, about 13 times the cost of exponentiating the whole
    array). Copying the classes to the front first costs one pass, after which the maximum is
    K - 1 vectorised comparisons of whole rows. The result is the same: a maximum involves no
    rounding, and NaN propagates as before.
    """
    if z.shape[axis] > SHORT_ROW or z.ndim == 1:
        m = z.max(axis=axis, keepdims=True)
    else:
        m = class_major(z, axis).max(axis=0, keepdims=True).swapaxes(0, axis)
    if not np.isfinite(m).all():                 # raise the precise error (NaN, +inf, all masked)
        _checked_row_max(z if whole is None else whole, axis, name)
    return m


def row_sum(a, axis):
    """The sum along ``axis``, kept as a length-1 axis.

    Fast path for short rows, as for :func:`row_max`. It adds the classes in order; for fewer
    than 8 classes that is the very order ``np.sum`` uses, and up to 16 it can differ by an ulp.
    """
    if a.shape[axis] > SHORT_ROW or a.ndim == 1:
        return a.sum(axis=axis, keepdims=True)
    return class_major(a, axis).sum(axis=0, keepdims=True).swapaxes(0, axis)


def shifted(z, axis, temperature, name="logits", m=None, out=None):
    """Return ``(z - m) / T`` as a new array (or in ``out``): every entry <= 0, the row maximum
    exactly 0. ``m`` is the row maximum (or another per-row shift); found here when None.

    Subtracting the row maximum changes nothing mathematically (softmax is shift invariant), but
    it makes ``exp`` safe: the largest term becomes ``exp(0) = 1`` and no term can overflow.

    ``z - m`` can overflow when the logits span more than the float range (``1e308 - (-1e308)``).
    With T = 1 (or T < 1) the true value is below the float range too, so ``-inf`` (whose exp
    is 0) is the right answer and that overflow is silenced on purpose. With T > 1 it is not:
    ``(z - m) / T`` may well be representable. The overflow is detected from the floating-point
    status flag (``errstate(over="raise")``: free, no extra pass), and only then the difference
    is recomputed as ``(z/2 - m/2) / (T/2)``, which cannot overflow and rounds the same way
    (halving is exact for every normal number).
    """
    if m is None:
        m = row_max(z, axis, name)
    if temperature <= 1.0:
        with np.errstate(over="ignore"):
            s = np.subtract(z, m, out=out)
        return s if temperature == 1.0 else divide(s, temperature)
    try:
        with np.errstate(over="raise"):
            s = np.subtract(z, m, out=out)
    except FloatingPointError:                   # the logits span more than the float range
        with np.errstate(under="ignore"):
            s = np.subtract(z * 0.5, m * 0.5, out=out)
        return divide(s, temperature / 2)
    return divide(s, temperature)


def exp_rows(z, axis, temperature, m):
    r"""``exp((z - c) / T)`` as a new array, with a per-row shift c; ``m`` is the row maximum.

    c is the row maximum ``m`` (the textbook shift), except in rows where c = 0 is just as safe.
    Either way the softmax is the same, since the factor :math:`e^{-c/T}` cancels when a row
    is normalised. Skipping the shift saves a full pass over the array (``z - m``), about a
    quarter of the work of a softmax.

    c = 0 is safe in a row whose maximum has 0 <= m <= log(max float)/2 (about 44 in float32,
    354 in float64; a trained language model's logits usually qualify): no term exceeds
    sqrt(max float), so even a sum over billions of classes cannot overflow; and the sum is
    >= 1 (its largest term is :math:`e^m \ge 1`), so a term that underflows could only have
    given a subnormal probability anyway, exactly as with the shift. It is even a little more
    accurate: ``exp`` gets the exact logits, not the rounded differences ``z - m``. Each row
    decides for itself, so a row's result does not depend on the other rows in the batch.

    With a temperature, the rows are always shifted: ``z / T`` is rounded, and exp turns an
    error in its argument into a relative error as large as the argument, so the big terms
    would lose digits; after the shift the largest term is exactly ``exp(0) = 1``.
    """
    if temperature != 1.0:
        e = shifted(z, axis, temperature, m=m)   # see the last paragraph above
    else:
        limit = 0.5 * math.log(2.0) * np.finfo(z.dtype).maxexp   # log(sqrt(max float))
        safe = (m >= 0) & (m <= limit)
        if safe.all():
            return np.exp(z)                      # no row needs the shift: one pass
        e = shifted(z, axis, 1.0, m=np.where(safe, 0, m))   # c = 0 in the safe rows, m elsewhere
    return np.exp(e, out=e)


def log_sum_exp(z, axis, temperature, shifted_out=None):
    r"""Per row, the maximum m and :math:`\log \sum_j e^{(z_j - m)/T}`, both kept as an axis.

    With ``shifted_out`` (``np.empty_like(z)``), the shifted logits (z - m)/T are left in it
    too: log_softmax is ``shifted_out - log_sum``.

    Fast path for classes on the last axis of a C-contiguous array (the usual layout): one block
    of rows at a time. The exponentials are only summed, so instead of a full-size array (fresh
    memory is slow the first time it is touched, and a large array falls out of the cache
    between passes) they go to one small scratch buffer, reused by every block and kept in the
    cache. Row by row, the arithmetic is exactly that of the plain code below.
    """
    if axis != z.ndim - 1 or not z.flags.c_contiguous:   # any other layout: the plain code
        m = row_max(z, axis)
        s = shifted(z, axis, temperature, m=m, out=shifted_out)
        e = np.exp(s) if shifted_out is not None else np.exp(s, out=s)   # keep s if asked
        return m, np.log(row_sum(e, axis))
    K = z.shape[-1]
    rows = z.reshape(-1, K)
    shifted_rows = None if shifted_out is None else shifted_out.reshape(-1, K)
    step = max(1, BLOCK // K)
    scratch = np.empty((min(step, len(rows)), K), z.dtype)
    m = np.empty((len(rows), 1), z.dtype)
    log_sum = np.empty_like(m)
    for start in range(0, len(rows), step):
        block = slice(start, start + step)
        z_block = rows[block]
        e = scratch[:len(z_block)]
        m[block] = row_max(z_block, -1, whole=z)
        s = shifted(z_block, -1, temperature, m=m[block], out=e if shifted_out is None else shifted_rows[block])
        np.exp(s, out=e)
        log_sum[block] = np.log(row_sum(e, -1))
    kept = z.shape[:-1] + (1,)
    return m.reshape(kept), log_sum.reshape(kept)
