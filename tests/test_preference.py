"""Tests for softmax_lab.preference: the DPO loss (Rafailov et al. 2023) and its gradient.

References: math.log(1 + math.exp(-m)) for moderate margins, scipy.special.log_expit for
extreme ones, the two-way softmax cross-entropy of softmax_lab.losses, and finite differences.
Margins of +-1000 must give 0 and 1000 * beta, with no warning (pytest turns RuntimeWarning
into an error in this project).
"""

import math

import numpy as np
import pytest

from softmax_lab import cross_entropy, gradient_check, log_softmax
from softmax_lab.preference import dpo_loss, dpo_loss_grad

FLOATS = [np.float16, np.float32, np.float64]


@pytest.fixture
def batch():
    rng = np.random.default_rng(5)
    return tuple(-rng.uniform(1.0, 30.0, size=6) for _ in range(4))    # pc, pr, rc, rr


def python_dpo(pc, pr, rc, rr, beta):
    total = []
    for a, b, c, d in zip(pc, pr, rc, rr):
        m = beta * ((a - c) - (b - d))
        total.append(math.log(1.0 + math.exp(-m)))       # -log sigmoid(m), fine for |m| < 700
    return math.fsum(total) / len(total)


@pytest.mark.parametrize("beta", [0.05, 0.1, 0.5, 2.0])
def test_loss_matches_a_plain_python_loop(batch, beta):
    assert float(dpo_loss(*batch, beta)) == pytest.approx(python_dpo(*batch, beta), rel=1e-13)


def test_loss_is_a_two_way_softmax_cross_entropy(batch):
    pc, pr, rc, rr = batch
    beta = 0.3
    rewards = np.stack([beta * (pc - rc), beta * (pr - rr)], axis=-1)   # (N, 2): chosen, rejected
    expected = cross_entropy(rewards, np.zeros(len(pc), dtype=int))
    assert float(dpo_loss(*batch, beta)) == pytest.approx(float(expected), rel=1e-13)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("beta", [0.1, 1.0])
def test_margins_of_plus_and_minus_1000(dtype, beta):
    zero = np.zeros(1, dtype)
    far = np.full(1, -1000.0 / beta, dtype)
    assert float(dpo_loss(zero, far, zero, zero, beta)) == 0.0                       # m = +1000
    loss = dpo_loss(far, zero, zero, zero, beta)                                     # m = -1000
    assert loss.dtype == dtype and np.isfinite(loss)
    assert float(loss) == pytest.approx(1000.0, rel=1e-3 if dtype == np.float16 else 1e-7)
    g_w, g_l = dpo_loss_grad(far, zero, zero, zero, beta)
    assert float(g_w[0]) == pytest.approx(-beta, rel=1e-3) and float(g_l[0]) == pytest.approx(beta, rel=1e-3)


def test_margins_of_plus_and_minus_1000_times_beta():
    # A log-probability margin of +-1000 gives log(1 + e^(-1000 beta)), about 0, and about 1000 beta
    # (exactly 0 and 1000 beta once e^(-1000 beta) is below the rounding of the result).
    for beta in (0.25, 0.1, 1.0):
        assert float(dpo_loss(0.0, -1000.0, 0.0, 0.0, beta)) == pytest.approx(math.exp(-1000 * beta), rel=1e-14, abs=0)
        assert float(dpo_loss(-1000.0, 0.0, 0.0, 0.0, beta)) == pytest.approx(1000 * beta, rel=1e-15)


def test_extreme_margins_against_scipy():
    from scipy.special import log_expit
    m = np.array([-5000.0, -700.0, -30.0, -1e-8, 0.0, 1e-8, 30.0, 700.0, 5000.0])
    for margin in m:
        pc = np.array([min(margin, 0.0)])
        pr = np.array([min(-margin, 0.0)])
        expected = -log_expit(margin)
        assert float(dpo_loss(pc, pr, [0.0], [0.0], 1.0)) == pytest.approx(float(expected), rel=1e-14, abs=0)


def test_policy_equal_to_reference_gives_log_two(batch):
    pc, pr, _, _ = batch
    assert float(dpo_loss(pc, pr, pc, pr, 0.7)) == pytest.approx(math.log(2), rel=1e-15)


@pytest.mark.parametrize("beta", [0.1, 1.0])
def test_gradient_matches_finite_differences(batch, beta):
    pc, pr, rc, rr = batch
    g_w, g_l = dpo_loss_grad(pc, pr, rc, rr, beta)
    assert gradient_check(lambda x: dpo_loss(x, pr, rc, rr, beta), pc, g_w) < 1e-6
    assert gradient_check(lambda x: dpo_loss(pc, x, rc, rr, beta), pr, g_l) < 1e-6
    np.testing.assert_array_equal(g_l, -g_w)


def test_scalars_are_one_pair():
    loss = dpo_loss(-10.0, -12.0, -11.0, -11.0, 0.1)               # m = 0.1 * ((1) - (-1)) = 0.2
    assert np.ndim(loss) == 0 and float(loss) == pytest.approx(math.log1p(math.exp(-0.2)), rel=1e-14)
    g_w, g_l = dpo_loss_grad(-10.0, -12.0, -11.0, -11.0, 0.1)
    assert g_w.shape == () and float(g_w) == pytest.approx(-0.1 / (1 + math.exp(0.2)), rel=1e-14)


def test_the_gradient_really_tunes_a_policy():
    # A policy over three answers, softmax(theta); the reference is the starting policy. Gradient
    # descent with dpo_loss_grad (chained through the log-softmax) must make answer 0 preferred
    # to answer 1, and lower the loss, while answer 2 (in no pair) moves only through the softmax.
    theta = np.array([0.0, 1.0, 0.5])
    ref = log_softmax(theta)
    losses = []
    for _ in range(200):
        logp = log_softmax(theta)
        losses.append(float(dpo_loss(logp[0], logp[1], ref[0], ref[1], beta=0.5)))
        g_w, g_l = dpo_loss_grad(logp[0], logp[1], ref[0], ref[1], beta=0.5)
        p = np.exp(logp)
        dtheta = g_w * (np.eye(3)[0] - p) + g_l * (np.eye(3)[1] - p)     # d log p_i / d theta = e_i - p
        theta = theta - 1.0 * dtheta
    logp = log_softmax(theta)
    assert logp[0] > logp[1]
    assert losses[0] == pytest.approx(math.log(2)) and losses[-1] < 0.2


@pytest.mark.parametrize("dtype", FLOATS)
def test_dtype_is_kept(batch, dtype):
    args = [x.astype(dtype) for x in batch]
    loss = dpo_loss(*args, 0.2)
    g_w, g_l = dpo_loss_grad(*args, 0.2)
    assert loss.dtype == dtype and g_w.dtype == dtype and g_l.dtype == dtype
    rtol = {np.float16: 5e-3, np.float32: 1e-5, np.float64: 1e-13}[dtype]
    assert float(loss) == pytest.approx(python_dpo(*[x.astype(float) for x in args], 0.2), rel=rtol)
    assert dpo_loss([-1, -2], [-3, -1], [-2, -2], [-2, -2], 1).dtype == np.float64       # integers


def test_inputs_are_not_modified(batch):
    copies = [x.copy() for x in batch]
    for x in copies:
        x.setflags(write=False)
    dpo_loss(*copies, 0.1)
    dpo_loss_grad(*copies, 0.1)
    for x, original in zip(copies, batch):
        np.testing.assert_array_equal(x, original)


# --------------------------------------------------------------------------------------------
# hostile input
# --------------------------------------------------------------------------------------------

NAMES = ["policy_chosen_logp", "policy_rejected_logp", "ref_chosen_logp", "ref_rejected_logp"]


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 0.5])
@pytest.mark.parametrize("which", range(4))
def test_bad_log_probabilities_are_refused_by_name(batch, bad, which):
    args = [x.copy() for x in batch]
    args[which][2] = bad
    for f in (dpo_loss, dpo_loss_grad):
        with pytest.raises(ValueError, match=NAMES[which]):
            f(*args, 0.1)


@pytest.mark.parametrize("which", range(1, 4))
def test_shapes_must_match(batch, which):
    args = list(batch)
    args[which] = args[which][:3]
    with pytest.raises(ValueError, match=NAMES[which]):
        dpo_loss(*args, 0.1)


@pytest.mark.parametrize("value, error", [("a", TypeError), ([True], TypeError), ([[-1.0], [-1.0, -2.0]], ValueError)])
def test_non_numbers_are_refused_by_name(batch, value, error):
    with pytest.raises(error, match="ref_rejected_logp"):
        dpo_loss(*batch[:3], value, 0.1)


@pytest.mark.parametrize("beta, error", [(0.0, ValueError), (-0.1, ValueError), (np.nan, ValueError),
                                         (np.inf, ValueError), ("0.1", TypeError), (True, TypeError)])
def test_bad_beta_is_refused(batch, beta, error):
    with pytest.raises(error, match="beta"):
        dpo_loss(*batch, beta)


def test_empty_batch_and_overflowing_margin_are_refused():
    with pytest.raises(ValueError, match="policy_chosen_logp"):
        dpo_loss([], [], [], [], 0.1)
    with pytest.raises(ValueError, match="beta"):
        dpo_loss([0.0], [-10.0], [0.0], [0.0], 1e308)
