"""softmax_lab against scipy.special, an independent and well-tested implementation.

scipy is a test dependency only: the last test checks that ``import softmax_lab`` does not
pull it in (nor matplotlib or ipywidgets).

The references are computed from the input converted to float64, so a float16/float32 result
is compared with the exact answer at that dtype's precision.
"""

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

special = pytest.importorskip("scipy.special")

from softmax_lab import log_sigmoid, log_softmax, logsumexp, sigmoid, softmax  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHAPES = [(7,), (3, 5), (2, 3, 4), (1, 1), (4, 1, 6)]
# relative / absolute tolerances per dtype (float16 is computed in float32, then rounded)
TOL = {np.float16: (1e-3, 1e-4), np.float32: (3e-6, 1e-7), np.float64: (1e-13, 1e-300)}


def reference(f, x, **kwargs):
    """scipy's answer for float64(x), computed with its own warnings (if any) silenced."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return f(np.asarray(x, dtype=np.float64), **kwargs)


def close(actual, expected, dtype):
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), expected, rtol=rtol, atol=atol)


def _cases():
    """(array, axis) for several shapes, every axis, three dtypes and three scales of logits."""
    rng = np.random.default_rng(20240611)
    for dtype in (np.float16, np.float32, np.float64):
        for shape in SHAPES:
            for scale in (1.0, 30.0, 1e4 if dtype == np.float16 else 1e30):
                x = (rng.standard_normal(shape) * scale).astype(dtype)
                for axis in range(-len(shape), len(shape)):
                    yield pytest.param(x, axis, id=f"{np.dtype(dtype).name}-{shape}-x{scale:g}-axis{axis}")


CASES = list(_cases())


@pytest.mark.parametrize("x, axis", CASES)
def test_softmax_and_log_softmax_match_scipy(x, axis):
    p = softmax(x, axis=axis)
    assert p.dtype == x.dtype
    close(p, reference(special.softmax, x, axis=axis), x.dtype.type)
    lp = log_softmax(x, axis=axis)
    assert lp.dtype == x.dtype
    expected = reference(special.log_softmax, x, axis=axis)
    finite = np.isfinite(lp)               # a log-probability below the dtype's range is -inf
    np.testing.assert_array_equal(np.isfinite(expected) | ~finite, True)
    close(lp[finite], expected[finite], x.dtype.type)


@pytest.mark.parametrize("x, axis", CASES)
def test_logsumexp_matches_scipy(x, axis):
    for keepdims in (False, True):
        out = logsumexp(x, axis=axis, keepdims=keepdims)
        expected = reference(special.logsumexp, x, axis=axis, keepdims=keepdims)
        assert out.shape == expected.shape and out.dtype == x.dtype
        close(out, expected, x.dtype.type)


@pytest.mark.parametrize("T", [0.01, 0.3, 5.0])
def test_temperature_matches_scipy_on_scaled_logits(T):
    x = np.random.default_rng(7).normal(size=(4, 6))
    close(softmax(x, temperature=T), reference(special.softmax, x / T, axis=-1), np.float64)
    close(log_softmax(x, axis=0, temperature=T), reference(special.log_softmax, x / T, axis=0), np.float64)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_sigmoid_and_log_sigmoid_match_expit_and_log_expit(dtype):
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(size=50), rng.normal(scale=40.0, size=50), [0.0, -1e4, 1e4]]).astype(dtype)
    s = sigmoid(x)
    assert s.dtype == dtype
    close(s, reference(special.expit, x), dtype)
    ls = log_sigmoid(x)
    assert ls.dtype == dtype
    close(ls, reference(special.log_expit, x), dtype)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_extreme_values_match_scipy(dtype):
    big = float(np.finfo(dtype).max)
    rows = np.array([
        [big, -big, 0.0, 1.0],
        [big, big, big, big],
        [-big, -big, -big, -big],
        [-np.inf, 0.0, -np.inf, 1.0],           # masks
        [big, -np.inf, big / 2, -big / 2],
    ], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # ours never warns, even where scipy might
        p, lse = softmax(rows), logsumexp(rows)
        lp = log_softmax(rows)
        s, ls = sigmoid(rows), log_sigmoid(rows)
    close(p, reference(special.softmax, rows, axis=-1), dtype)
    close(lse, reference(special.logsumexp, rows, axis=-1), dtype)
    expected = reference(special.log_softmax, rows, axis=-1)
    in_range = np.abs(expected) <= big           # beyond it, ours rounds to -inf (documented)
    close(lp[in_range], expected[in_range], dtype)
    assert (lp[~in_range] == -np.inf).all()
    close(s, reference(special.expit, rows), dtype)
    close(ls, reference(special.log_expit, rows), dtype)


def test_importing_softmax_lab_does_not_import_scipy_matplotlib_or_ipywidgets():
    code = (
        "import json, sys\n"
        "import softmax_lab\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('scipy', 'matplotlib', 'ipywidgets', 'numpy'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True)
    loaded = {m.split(".")[0] for m in json.loads(out.stdout.strip().splitlines()[-1])}
    assert "numpy" in loaded          # the check sees the modules a real import brings in
    assert loaded.isdisjoint({"scipy", "matplotlib", "ipywidgets"}), loaded
