"""Regression tests for the math-core defects found by the adversarial probe of issue 7.

Each test is named for the defect it catches; each failed before its fix.
"""

import ast
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.special
from fast_loop import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import softmax_lab
from softmax_lab import (
    cross_entropy,
    cross_entropy_grad,
    data,
    entropy,
    gradient_check,
    kl_divergence,
    lm,
    log_softmax,
    logsumexp,
    softmax,
    training,
)
from softmax_lab.sampling import (
    filter_min_p,
    filter_top_k,
    filter_top_p,
    sample,
    sampling_distribution,
)

PACKAGE = Path(softmax_lab.__file__).resolve().parent


def reference_softmax(z, T):
    """softmax(z / T), dividing first (fine for these inputs, which are far from overflow)."""
    s = np.asarray(z, dtype=np.float64) / T
    e = np.exp(s - s.max())
    return e / e.sum()


# ---------------------------------------------------------------------------------------------
# 1. A huge temperature: z - max overflowed before the division by T

HUGE_T = [([1e308, -1e308, 0.0], 1e308), ([1e308, -1e308], 2.0), ([-1e308, 1.7e308, 5.0], 1e10)]


@pytest.mark.parametrize("z, T", HUGE_T)
def test_huge_temperature_softmax_is_softmax_of_z_over_t(z, T):
    expected = reference_softmax(z, T)
    np.testing.assert_allclose(softmax(z, temperature=T), expected, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(sampling_distribution(z, temperature=T), expected, rtol=1e-12, atol=1e-300)
    s = np.asarray(z) / T
    np.testing.assert_allclose(log_softmax(z, temperature=T), s - scipy.special.logsumexp(s), rtol=1e-12)


def test_huge_temperature_issue_example():
    np.testing.assert_allclose(softmax([1e308, -1e308, 0.0], temperature=1e308), [0.665, 0.090, 0.245], atol=1e-3)


def test_huge_temperature_float32():
    z = np.float32([2e38, -2e38])
    p = softmax(z, temperature=1e37)
    assert p.dtype == np.float32
    np.testing.assert_allclose(p, [1.0, np.exp(-40.0)], rtol=1e-5)
    np.testing.assert_allclose(log_softmax(z, temperature=1e37), [0.0, -40.0], atol=1e-5)
    np.testing.assert_allclose(log_softmax(z[None, :].repeat(3, 0), temperature=1e37)[:, 1], -40.0, rtol=1e-6)
    np.testing.assert_allclose(sampling_distribution(z, temperature=1e37), [1.0, np.exp(-40.0)], rtol=1e-5)


@pytest.mark.parametrize("targets", [1, [0.0, 1.0, 0.0]])
def test_huge_temperature_cross_entropy_is_finite(targets):
    z, T = [1e308, -1e308, 0.0], 1e308
    expected = -np.log(reference_softmax(z, T)[1])           # about 2.41, not inf
    assert np.isclose(cross_entropy(z, targets, temperature=T), expected, rtol=1e-12)
    assert np.isclose(cross_entropy([z, z], [targets, targets], temperature=T), expected, rtol=1e-12)
    g = cross_entropy_grad(z, targets, temperature=T)
    np.testing.assert_allclose(g * T, reference_softmax(z, T) - np.eye(3)[1], rtol=1e-9)


# ---------------------------------------------------------------------------------------------
# 2. Empty batches in sampling

@pytest.mark.parametrize("V", [3, 300])
def test_empty_batch_filters_and_sample(V):
    empty = np.zeros((0, V))
    assert filter_top_p(empty, 0.5).shape == (0, V)
    assert filter_top_k(empty, 2).shape == (0, V)
    assert filter_min_p(empty, 0.1).shape == (0, V)
    assert filter_top_p(np.zeros((2, 0, V)), 0.5).shape == (2, 0, V)
    for kwargs in [{}, {"top_p": 0.5}, {"top_k": 2, "top_p": 0.9, "min_p": 0.1, "temperature": 0.7},
                   {"temperature": 0}]:
        assert sampling_distribution(empty, **kwargs).shape == (0, V)
        assert sample(empty, rng=0, **kwargs).shape == (0,)


# ---------------------------------------------------------------------------------------------
# 5. gradient_check: f returning a view of x, and bad values from f or grad

def test_gradient_check_with_f_returning_a_view_of_x():
    assert gradient_check(lambda w: np.squeeze(w), np.array([3.0]), np.array([1.0])) < 1e-8
    assert gradient_check(lambda w: w[0, 1], np.ones((2, 2)), np.array([[0.0, 1.0], [0.0, 0.0]])) < 1e-8


@pytest.mark.parametrize("f, exc", [
    (lambda w: None, TypeError),
    (lambda w: 1j * np.sum(w), TypeError),
    (lambda w: np.nan, ValueError),
    (lambda w: np.inf * np.sum(w), ValueError),
    (lambda w: "a", TypeError),
    (lambda w: w, ValueError),
])
def test_gradient_check_names_f_for_a_bad_result(f, exc):
    with pytest.raises(exc, match=r"\bf must"):
        gradient_check(f, np.array([1.0, 2.0]), np.array([1.0, 1.0]))


def test_gradient_check_names_grad_when_it_holds_nan():
    with pytest.raises(ValueError, match="grad must be finite"):
        gradient_check(np.sum, np.array([1.0, 2.0]), np.array([1.0, np.nan]))


# ---------------------------------------------------------------------------------------------
# 6. logsumexp near 0: as accurate as scipy (log1p around the maximum term)

def ulps_apart(a, b, dtype):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.spacing(np.abs(b).astype(dtype)).astype(np.float64)


def test_logsumexp_issue_example():
    z = np.float32([-0.7, -0.75, -5.0])
    out = logsumexp(z)
    exact = scipy.special.logsumexp(z.astype(np.float64))     # -0.02461056127 (the float32 inputs)
    assert out.dtype == np.float32
    assert ulps_apart(out, exact, np.float32) <= 0.5           # was 42 ulps (-0.024610639)
    assert abs(out - exact) <= abs(scipy.special.logsumexp(z) - exact)   # scipy: 10 ulps off


def reference_lse(z):
    """scipy.special.logsumexp as the reference, in float64."""
    return scipy.special.logsumexp(z.astype(np.float64), axis=-1)


def check_lse_ulps(z, dtype):
    """float32: the float64 reference is exact as far as float32 can tell, and logsumexp rounds
    once, so within half an ulp of the result. float64: scipy's float64 arithmetic is no
    better than ours, and near 0 the sum m + log1p(rest) cancels for both (the error is an
    ulp of m, not of the result), so: within 4 ulps of max(|result|, |m|)."""
    ours, ref = logsumexp(z), reference_lse(z)
    if dtype == np.float32:
        assert np.all(ulps_apart(ours, ref, dtype) <= 0.5), (z, ours, ref)
    else:
        scale = np.maximum(np.abs(ref), np.abs(z.max(axis=-1)))
        assert np.all(np.abs(ours - ref) <= 4 * np.spacing(scale)), (z, ours, ref)


@settings(max_examples=examples(300), deadline=None)
@given(dtype=st.sampled_from([np.float32, np.float64]), data=st.data())
def test_logsumexp_within_a_few_ulps_of_scipy(dtype, data):
    z = data.draw(hnp.arrays(dtype, st.integers(1, 12),
                             elements=st.floats(-8, 0, width=np.finfo(dtype).bits, allow_subnormal=False)))
    check_lse_ulps(z, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logsumexp_ulps_over_random_rows_with_negative_max(dtype):
    rng = np.random.default_rng(6)
    z = (rng.normal(-0.8, 0.6, size=(20000, 3)) - 0.1).astype(dtype)
    z[::3, 1] = z[::3].max(axis=1)                       # ties at the maximum, too
    check_lse_ulps(z[z.max(axis=1) < 0], dtype)


def test_logsumexp_ties_and_masks():
    assert logsumexp([0.0, 0.0]) == np.log(2.0)
    assert logsumexp([1.0, -np.inf]) == 1.0
    np.testing.assert_allclose(logsumexp([[3.0, 3.0, 3.0], [0.0, -np.inf, -1.0]]),
                               [3.0 + np.log(3.0), np.log1p(np.exp(-1.0))], rtol=1e-15)


# ---------------------------------------------------------------------------------------------
# 7. Probability targets from float32 data stored as float64

def test_probabilities_from_float32_stored_as_float64_are_accepted():
    z = np.random.default_rng(0).normal(size=(64, 1000))
    p32 = softmax(z.astype(np.float32))
    assert np.abs(p32.astype(np.float64).sum(axis=-1) - 1).max() > np.sqrt(np.finfo(np.float64).eps)
    p = p32.astype(np.float64)
    assert np.isfinite(cross_entropy(z, p))
    assert np.all(np.isfinite(entropy(p)))
    assert np.all(np.isfinite(kl_divergence(p, p)))
    p16 = softmax(z[:, :50].astype(np.float16)).astype(np.float64)       # float16 data, too
    assert np.isfinite(cross_entropy(z[:, :50], p16))


def test_genuine_float64_probabilities_keep_the_strict_tolerance():
    p = np.array([0.5, 0.5 - 1e-6 + 1e-17])      # not exact in float32, off by 1e-6
    with pytest.raises(ValueError, match="off by"):
        entropy(p)


# ---------------------------------------------------------------------------------------------
# 8. A huge Python int as a scalar option

@pytest.mark.parametrize("call, name", [
    (lambda: softmax([1.0, 2.0], temperature=10**400), "temperature"),
    (lambda: log_softmax([1.0, 2.0], temperature=10**400), "temperature"),
    (lambda: cross_entropy([1.0, 2.0], 0, label_smoothing=10**400), "label_smoothing"),
    (lambda: cross_entropy([1.0, 2.0], 0, temperature=-10**400), "temperature"),
    (lambda: filter_top_p([1.0, 2.0], 10**400), "p"),
    (lambda: sample([1.0, 2.0], top_p=10**400, rng=0), "top_p"),
    (lambda: filter_min_p([1.0, 2.0], 10**400), "min_p"),
    (lambda: sample([1.0, 2.0], min_p=10**400, rng=0), "min_p"),
    (lambda: sample([1.0, 2.0], temperature=10**400, rng=0), "temperature"),
    (lambda: gradient_check(np.sum, np.ones(2), np.ones(2), eps=10**400), "eps"),
])
def test_huge_int_option_names_the_argument(call, name):
    with pytest.raises((ValueError, TypeError), match=rf"^{name} must"):
        call()


# ---------------------------------------------------------------------------------------------
# 11. Smaller ones

@pytest.mark.parametrize("call, name", [
    (lambda m: softmax(m), "logits"),
    (lambda m: logsumexp(m), "logits"),
    (lambda m: entropy(m), "probs"),
    (lambda m: kl_divergence(m, [0.5, 0.5]), "p"),
    (lambda m: cross_entropy(m, 0), "logits"),
    (lambda m: cross_entropy([1.0, 2.0], m), "targets"),
    (lambda m: sample(m, rng=0), "logits"),
])
def test_masked_arrays_are_refused_by_name(call, name):
    masked = np.ma.array([0.5, 0.5], mask=[False, True])
    with pytest.raises(TypeError, match=rf"^{name} must be a plain array"):
        call(masked)


def test_reductions_of_1d_input_are_numpy_scalars_of_the_dtype():
    for dtype in (np.float32, np.float64):
        p = np.array([0.25, 0.75], dtype=dtype)
        results = [logsumexp(p), entropy(p), kl_divergence(p, p[::-1]), cross_entropy(p, 1),
                   cross_entropy(p, p)]
        for r in results:
            assert isinstance(r, np.floating) and not isinstance(r, np.ndarray)
            assert r.dtype == dtype and r.shape == ()


def test_forward_refuses_word_ids_outside_the_vocabulary():
    weights = training.init_weights(5, context_size=2, embed_dim=2, hidden_size=3)
    with pytest.raises(ValueError, match=r"contexts must be word ids in \[0, 5\)"):
        lm.forward(weights, [[0, -1]])
    with pytest.raises(ValueError, match="contexts must be word ids"):
        lm.forward(weights, [[0, 5]])
    with pytest.raises(TypeError, match="contexts must be integer word ids"):
        lm.forward(weights, [[0.0, 1.0]])


def test_checkpoint_without_context_size_is_a_clear_error(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(data.data_dir(), folder, ignore=shutil.ignore_patterns("__pycache__"))
    arrays = data.load_npz("lm_best.npz", folder)
    del arrays["context_size"]
    data.write_npz(folder / "lm_best.npz", arrays)
    data.write_manifest(folder, list(data.read_manifest(folder)))
    with pytest.raises(ValueError, match=r"checkpoint 'best' \(lm_best.npz\) lacks the key\(s\) context_size"):
        lm.load("best", directory=folder)


# ---------------------------------------------------------------------------------------------
# The layout: no module imports another module's private names

MATH_MODULES = ["_checks", "functions", "losses", "sampling", "attention", "lm", "training"]


def test_no_math_module_imports_a_private_name_of_another_module():
    """The only private module the math core shares is _checks (input checks and the max shift);
    no private fast module sits on the path the learner reads (issue 18: _kernels.py went)."""
    offenders = []
    for path in [PACKAGE / f"{name}.py" for name in MATH_MODULES]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level >= 1:
                modules = [node.module] if node.module else [a.name for a in node.names]
                offenders += [f"{path.name}: {m}" for m in modules      # _threads: issue 17's BLAS limit
                              if m.startswith("_") and m not in ("_checks", "_threads")]
                if node.module != "_checks":
                    offenders += [f"{path.name}: {node.module}.{a.name}" for a in node.names
                                  if a.name.startswith("_") and a.name != "_checks"]
    assert offenders == []
