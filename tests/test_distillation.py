"""Tests for softmax_lab.distillation: the T**2-scaled KL loss of Hinton, Vinyals and Dean (2015).

References: a plain-Python loop (math.exp and math.fsum, each probability written as
1 / sum_j exp((z_j - z_i) / T), with no max shift and no log-softmax), scipy.special's softmax
and rel_entr, and central finite differences for the gradient.
"""

import math

import numpy as np
import pytest

from softmax_lab import gradient_check
from softmax_lab.distillation import distillation_loss

FLOATS = [np.float16, np.float32, np.float64]


def python_probs(row, T):
    """softmax(row / T) by loops; -inf entries are 0."""
    out = []
    for a in row:
        if a == -math.inf:
            out.append(0.0)
        else:
            out.append(1.0 / math.fsum(math.exp((b - a) / T) for b in row if b != -math.inf))
    return out


def python_distillation(student, teacher, T):
    """T**2 * mean over rows of KL(p_teacher || p_student), looping over rows and classes."""
    K = np.shape(student)[-1]
    rows_s = np.asarray(student, dtype=np.float64).reshape(-1, K).tolist()
    rows_t = np.asarray(teacher, dtype=np.float64).reshape(-1, K).tolist()
    kls = []
    for zs, zt in zip(rows_s, rows_t):
        ps, pt = python_probs(zs, T), python_probs(zt, T)
        kls.append(math.fsum(t * math.log(t / s) for t, s in zip(pt, ps) if t > 0))
    return T * T * math.fsum(kls) / len(kls)


def scipy_distillation(student, teacher, T):
    from scipy.special import rel_entr, softmax
    pt = softmax(np.asarray(teacher, float) / T, axis=-1)
    ps = softmax(np.asarray(student, float) / T, axis=-1)
    N = pt.size // pt.shape[-1]
    return T**2 * rel_entr(pt, ps).sum() / N, T * (ps - pt) / N


@pytest.fixture
def logits():
    rng = np.random.default_rng(7)
    return rng.normal(scale=2.0, size=(4, 5)), rng.normal(scale=3.0, size=(4, 5))


# --------------------------------------------------------------------------------------------
# values and gradients against references
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("T", [0.5, 1.0, 2.0, 10.0])
def test_loss_matches_a_plain_python_loop(logits, T):
    student, teacher = logits
    loss, _ = distillation_loss(student, teacher, T)
    assert float(loss) == pytest.approx(python_distillation(student, teacher, T), rel=1e-12)


def test_one_row_and_many_axes_match_scipy(logits):
    student, teacher = logits
    loss, grad = distillation_loss(student[0], teacher[0], 3.0)           # N = 1
    ref_loss, ref_grad = scipy_distillation(student[0], teacher[0], 3.0)
    assert grad.shape == (5,) and np.ndim(loss) == 0
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-15)
    s3, t3 = student.reshape(2, 2, 5), teacher.reshape(2, 2, 5)           # (..., K): N = 4 rows
    loss, grad = distillation_loss(s3, t3, 3.0)
    ref_loss, ref_grad = scipy_distillation(s3, t3, 3.0)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("T", [0.7, 1.0, 4.0, 20.0])
@pytest.mark.parametrize("one_row", [False, True])
def test_gradient_matches_finite_differences(logits, T, one_row):
    student, teacher = logits
    if one_row:
        student, teacher = student[1], teacher[1]
    _, grad = distillation_loss(student, teacher, T)
    assert gradient_check(lambda z: distillation_loss(z, teacher, T)[0], student, grad) < 1e-6


def test_large_temperature_limit_needs_the_t_squared(logits):
    # T**2 keeps the gradient's size as T grows: T (p_s - p_t) tends to the difference of the
    # centred logits / (K N). Without the T**2 (loss T * KL, or plain KL) it would vanish like 1/T.
    student, teacher = logits
    N, K = student.shape
    _, grad = distillation_loss(student, teacher, 1e4)     # (the spread is about 8: T is allowed)
    centred = (student - student.mean(-1, keepdims=True)) - (teacher - teacher.mean(-1, keepdims=True))
    np.testing.assert_allclose(grad, centred / (K * N), rtol=1e-3, atol=1e-4)   # O(spread / T) off


def test_the_student_that_copies_the_teacher_has_zero_loss(logits):
    _, teacher = logits
    loss, grad = distillation_loss(teacher, teacher, 2.5)
    assert float(loss) == 0.0 and not grad.any()


def test_kl_runs_from_the_teacher_to_the_student():
    # KL(teacher || student) and KL(student || teacher) differ here; the loop reference is the first.
    student, teacher = np.array([0.0, 0.0, 0.0]), np.array([5.0, 0.0, -5.0])
    forward = python_distillation(student, teacher, 1.0)
    backward = python_distillation(teacher, student, 1.0)
    assert abs(forward - backward) > 0.1
    assert float(distillation_loss(student, teacher, 1.0)[0]) == pytest.approx(forward, rel=1e-12)


# --------------------------------------------------------------------------------------------
# masks, extremes, dtypes
# --------------------------------------------------------------------------------------------

def test_a_class_masked_in_both_is_the_same_as_no_such_class(logits):
    student, teacher = (x.copy() for x in logits)
    student[:, 2] = teacher[:, 2] = -np.inf
    keep = [0, 1, 3, 4]
    loss, grad = distillation_loss(student, teacher, 2.0)
    ref_loss, ref_grad = distillation_loss(student[:, keep], teacher[:, keep], 2.0)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-13)
    np.testing.assert_allclose(grad[:, keep], ref_grad, rtol=1e-12, atol=1e-16)
    assert not grad[:, 2].any()


def test_a_class_only_the_teacher_masks_adds_nothing_to_the_loss(logits):
    student, teacher = logits[0], logits[1].copy()
    teacher[:, 0] = -np.inf
    loss, grad = distillation_loss(student, teacher, 1.5)
    assert float(loss) == pytest.approx(python_distillation(student, teacher, 1.5), rel=1e-12)
    assert gradient_check(lambda z: distillation_loss(z, teacher, 1.5)[0], student, grad) < 1e-6


def test_a_class_the_student_masks_but_the_teacher_allows_is_refused(logits):
    student = logits[0].copy()
    student[1, 3] = -np.inf
    with pytest.raises(ValueError, match="student_logits"):
        distillation_loss(student, logits[1], 1.0)


@pytest.mark.parametrize("dtype", FLOATS)
def test_huge_logits_give_finite_numbers_without_warnings(dtype):
    student = np.array([[1e4, 0.0, -1e4], [0.0, 0.0, 0.0]], dtype=dtype)
    teacher = np.array([[-1e4, 0.0, 1e4], [1e4, -1e4, 0.0]], dtype=dtype)
    loss, grad = distillation_loss(student, teacher, 1.0)
    assert loss.dtype == dtype and grad.dtype == dtype
    assert np.isfinite(grad).all()
    # row 1: the teacher's top class has log p_s = -2e4; row 2: KL(one-hot || uniform) = log 3
    expected = (2e4 + math.log(3)) / 2
    assert float(loss) == pytest.approx(expected, rel=1e-3 if dtype == np.float16 else 1e-6)
    assert float(distillation_loss([[1000.0, 0.0]], [[0.0, 1000.0]], 1.0)[0]) == 1000.0


def decimal_distillation(student, teacher, T):
    """The loss with 60-digit decimals: exact enough to judge rounding at large T."""
    import decimal
    decimal.getcontext().prec = 60
    D = decimal.Decimal
    total = D(0)
    for zs, zt in zip(np.asarray(student, float).tolist(), np.asarray(teacher, float).tolist()):
        es, et = [(D(v) / D(T)).exp() for v in zs], [(D(v) / D(T)).exp() for v in zt]
        for a, b in zip(es, et):
            total += b / sum(et) * ((b / sum(et)) / (a / sum(es))).ln()
    return float(D(T) ** 2 * total / len(student))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("T, rtol", [(1.0, 1e-14), (100.0, 1e-11), (1000.0, 1e-9)])
def test_large_temperatures_stay_accurate_in_every_dtype(logits, dtype, T, rtol):
    # The KL far above the logits' spread is a difference of nearly equal sums: float32 arithmetic
    # would be 1e-3 off at T = 100 and 4% at T = 1000; computing in float64 keeps it exact.
    student, teacher = (x.astype(dtype) for x in logits)
    reference = decimal_distillation(student, teacher, T)
    if dtype == np.float32:
        rtol = max(rtol, 1e-7)                                           # the result's own rounding
    assert float(distillation_loss(student, teacher, T)[0]) == pytest.approx(reference, rel=rtol)


def test_tiny_temperatures():
    # T**2 KL -> T * (the logit gap) as T -> 0; T**2 alone would underflow to 0 at T = 1e-200.
    loss, grad = distillation_loss([1.0, 2.0], [2.0, 1.0], 1e-200)
    assert float(loss) == pytest.approx(1e-200, rel=1e-12, abs=0)
    np.testing.assert_allclose(grad, [-1e-200, 1e-200], rtol=1e-12)
    with pytest.raises(ValueError, match="temperature"):                # (z - max) / T overflows
        distillation_loss([0.0, 1e10], [1e10, 0.0], 1e-300)


def test_temperatures_far_above_the_spread_are_refused():
    # There the KL would round to 0 (at T = 1e300 every softmax is exactly uniform) although the
    # T**2-scaled loss tends to a positive limit.
    with pytest.raises(ValueError, match="temperature"):
        distillation_loss([1.0, 2.0], [2.0, 1.0], 1e300)
    with pytest.raises(ValueError, match="temperature"):
        distillation_loss([[1.0, 2.0, -np.inf]], [[2.0, 1.0, -np.inf]], 1.1e4)     # spread 1, masks ignored
    assert float(distillation_loss([1.0, 2.0], [2.0, 1.0], 1e4)[0]) > 0
    assert float(distillation_loss([1.0, 1.0], [1.0, 1.0], 1e300)[0]) == 0.0     # no spread: exactly 0


@pytest.mark.parametrize("dtype", FLOATS)
def test_dtype_is_kept(logits, dtype):
    student, teacher = (x.astype(dtype) for x in logits)
    loss, grad = distillation_loss(student, teacher, 2.0)
    assert loss.dtype == dtype and grad.dtype == dtype and grad.shape == student.shape
    ref_loss, ref_grad = scipy_distillation(student.astype(float), teacher.astype(float), 2.0)
    rtol = {np.float16: 5e-3, np.float32: 1e-5, np.float64: 1e-12}[dtype]
    np.testing.assert_allclose(float(loss), ref_loss, rtol=rtol)
    np.testing.assert_allclose(grad.astype(float), ref_grad, rtol=rtol, atol=rtol * np.abs(ref_grad).max())


def test_integers_lists_and_mixed_dtypes():
    loss, grad = distillation_loss([[1, 2, 3]], [[3, 2, 1]], 1)
    assert loss.dtype == np.float64 and grad.dtype == np.float64
    loss, grad = distillation_loss(np.zeros(3, np.float32), np.arange(3.0), 1.0)   # float32 + float64
    assert loss.dtype == np.float64


def test_inputs_are_not_modified(logits):
    student, teacher = (x.copy() for x in logits)
    student[0, 0] = teacher[0, 0] = -np.inf
    for x in (student, teacher):
        x.setflags(write=False)                      # any write would raise
    before = student.copy(), teacher.copy()
    distillation_loss(student, teacher, 2.0)
    np.testing.assert_array_equal(student, before[0])
    np.testing.assert_array_equal(teacher, before[1])


# --------------------------------------------------------------------------------------------
# hostile input: refused with the argument's name
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("which", [0, 1])
def test_nan_and_plus_inf_are_refused_by_name(logits, bad, which):
    args = [logits[0].copy(), logits[1].copy()]
    args[which][0, 0] = bad
    expected = ["student_logits", "teacher_logits"][which]
    with pytest.raises(ValueError, match=expected):
        distillation_loss(*args, 1.0)


@pytest.mark.parametrize("temperature, error", [
    (0.0, ValueError), (-1.0, ValueError), (np.nan, ValueError), (np.inf, ValueError),
    ("2", TypeError), (True, TypeError), (None, TypeError),
])
def test_bad_temperatures_are_refused(logits, temperature, error):
    with pytest.raises(error, match="temperature"):
        distillation_loss(*logits, temperature)


@pytest.mark.parametrize("student, teacher, name", [
    (np.zeros((2, 3)), np.zeros((2, 4)), "same shape"),
    (np.zeros((2, 3)), np.zeros(3), "same shape"),
    (1.0, 1.0, "student_logits"),                                # a scalar has no class axis
    (np.zeros((0, 3)), np.zeros((0, 3)), "student_logits"),      # no rows
    (np.zeros((2, 0)), np.zeros((2, 0)), "student_logits"),      # no classes
    ([[1.0, -np.inf]], [[-np.inf, -np.inf]], "teacher_logits"),  # a fully masked row
    (["a", "b"], [1.0, 2.0], "student_logits"),
    ([1.0, 2.0], [True, False], "teacher_logits"),
    ([[1.0], [1.0, 2.0]], [1.0, 2.0], "student_logits"),         # ragged
])
def test_bad_arrays_are_refused_by_name(student, teacher, name):
    with pytest.raises((ValueError, TypeError), match=name):
        distillation_loss(student, teacher, 1.0)
