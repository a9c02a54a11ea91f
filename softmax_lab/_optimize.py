"""A bounded 1-D minimiser (Brent's method), shared by the modules that fit one number.

numpy-free on purpose: it calls ``f`` on Python floats. :func:`softmax_lab.calibration.fit_temperature`
uses it on log T.

Examples
--------
>>> x, fx, calls = minimize_bounded(lambda x: (x - 2.0) ** 2, 0.0, 5.0, xtol=1e-8)
>>> round(x, 6), calls < 10
(2.0, True)
"""

import math

__all__ = ["minimize_bounded"]

_GOLDEN = 0.5 * (3.0 - math.sqrt(5.0))   # 0.382: the golden-section step


def minimize_bounded(f, a, b, xtol):
    """Brent's method (1973) on [a, b]: golden-section steps, sped up by parabolic ones.

    Keeps three points: x (the best so far), w (the second best) and v (the previous w). When
    the parabola through them has its vertex inside the bracket, and the step is shorter than
    half the step before last, it jumps there; otherwise it takes a golden-section step into
    the larger part of the bracket. It never evaluates f at a or b. Returns (x, f(x), calls).
    """
    x = w = v = a + _GOLDEN * (b - a)
    fx = fw = fv = f(x)
    calls, d, e = 1, 0.0, 0.0
    while True:
        mid = 0.5 * (a + b)
        tol = 1.5e-8 * abs(x) + xtol / 3.0
        if abs(x - mid) <= 2.0 * tol - 0.5 * (b - a):
            return x, fx, calls
        golden = True
        if abs(e) > tol:
            r = (x - w) * (fx - fv)
            q = (x - v) * (fx - fw)
            p = (x - v) * q - (x - w) * r
            q = 2.0 * (q - r)
            p = -p if q > 0 else p
            q = abs(q)
            e_old, e = e, d
            if abs(p) < abs(0.5 * q * e_old) and q * (a - x) < p < q * (b - x):
                d = p / q                                   # the parabola's vertex
                golden = False
                if (x + d) - a < 2.0 * tol or b - (x + d) < 2.0 * tol:
                    d = tol if x < mid else -tol
        if golden:
            e = (b - x) if x < mid else (a - x)
            d = _GOLDEN * e
        u = x + (d if abs(d) >= tol else math.copysign(tol, d))
        fu = f(u)
        calls += 1
        if fu <= fx:
            if u < x:
                b = x
            else:
                a = x
            v, fv, w, fw, x, fx = w, fw, x, fx, u, fu
        else:
            if u < x:
                a = u
            else:
                b = u
            if fu <= fw or w == x:
                v, fv, w, fw = w, fw, u, fu
            elif fu <= fv or v == x or v == w:
                v, fv = u, fu
