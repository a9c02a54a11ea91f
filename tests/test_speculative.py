"""Tests for softmax_lab.speculative: speculative sampling (Leviathan et al. 2023, Chen et al. 2023).

The claim under test is that the output follows the target distribution p *exactly*: checked
with scipy.stats.chisquare over many seeded draws, for single tokens and for whole 3-token
sequences produced by draft-and-verify rounds. The same statistic applied to a sampler with a
known defect (drawing from the draft, or resampling from p on rejection) must reject it, so the
test has the power to fail. Acceptance rates are compared with sum(min(p, q)) by a binomial
test, and tokens per target call with (1 - alpha**(gamma + 1)) / (1 - alpha). References are
plain-Python loops.
"""

import itertools
import math

import numpy as np
import pytest

from softmax_lab.speculative import (
    SpeculativeStep,
    acceptance_probability,
    expected_tokens_per_call,
    residual_distribution,
    speculative_sample,
    speculative_step,
)

P_VALUE = 1e-3          # seeded, so each test is deterministic; a correct sampler passes at this level
P = np.array([0.40, 0.25, 0.15, 0.0, 0.15, 0.05])     # target: token 3 impossible
Q = np.array([0.10, 0.45, 0.15, 0.20, 0.0, 0.10])     # draft: proposes 3, never proposes 4


def python_residual(p, q):
    excess = [max(0.0, a - b) for a, b in zip(p, q)]
    total = math.fsum(excess)
    return [e / total for e in excess]


def chi_square_p_value(tokens, probs):
    """p-value of observed token counts against ``probs``; zero-probability tokens must not occur."""
    from scipy.stats import chisquare
    counts = np.bincount(tokens, minlength=len(probs))
    assert not counts[np.asarray(probs) == 0].any(), "a token of probability 0 was produced"
    keep = np.asarray(probs) > 0
    return chisquare(counts[keep], len(tokens) * np.asarray(probs)[keep]).pvalue


# --------------------------------------------------------------------------------------------
# residual and acceptance probability
# --------------------------------------------------------------------------------------------

def test_residual_and_acceptance_against_loops():
    np.testing.assert_allclose(residual_distribution(P, Q), python_residual(P, Q), rtol=1e-15)
    assert float(acceptance_probability(P, Q)) == pytest.approx(math.fsum(min(a, b) for a, b in zip(P, Q)), rel=1e-15)
    # the overlap is 1 - total variation distance
    assert float(acceptance_probability(P, Q)) == pytest.approx(1 - 0.5 * np.abs(P - Q).sum(), rel=1e-14)


def test_residual_by_hand():
    # p - q = [0.3, -0.2, 0, -0.2, 0.15, -0.05]: clipped [0.3, 0, 0, 0, 0.15, 0] / 0.45
    np.testing.assert_allclose(residual_distribution(P, Q), [2 / 3, 0, 0, 0, 1 / 3, 0], rtol=1e-14)
    # the normaliser is the rejection probability 1 - alpha
    assert 1 - float(acceptance_probability(P, Q)) == pytest.approx(0.45, rel=1e-14)


def test_residual_of_many_rows_and_of_equal_distributions():
    rows_p = np.array([P, [0.5, 0.5, 0, 0, 0, 0]])
    rows_q = np.array([Q, [0.5, 0.5, 0, 0, 0, 0]])
    r = residual_distribution(rows_p, rows_q)
    np.testing.assert_allclose(r[0], python_residual(P, Q), rtol=1e-15)
    np.testing.assert_array_equal(r[1], rows_p[1])          # p = q: nothing to correct, p returned
    np.testing.assert_allclose(acceptance_probability(rows_p, rows_q), [0.55, 1.0], rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtype_is_kept(dtype):
    p, q = P.astype(dtype), Q.astype(dtype)
    assert residual_distribution(p, q).dtype == dtype
    assert acceptance_probability(p, q).dtype == dtype
    assert expected_tokens_per_call(np.array([0.5, 0.9], dtype=dtype), 3).dtype == dtype
    token, accepted = speculative_sample(p, q, rng=0)
    assert isinstance(token, int) and isinstance(accepted, bool)


# --------------------------------------------------------------------------------------------
# the output distribution is p, exactly
# --------------------------------------------------------------------------------------------

def draws(sampler, n, seed):
    rng = np.random.default_rng(seed)
    results = [sampler(rng) for _ in range(n)]
    return np.array([t for t, _ in results]), np.array([a for _, a in results])


@pytest.mark.slow
def test_speculative_samples_follow_the_target_exactly():
    tokens, accepted = draws(lambda rng: speculative_sample(P, Q, rng), 20000, seed=1)
    assert chi_square_p_value(tokens, P) > P_VALUE
    # and the test has the power to see a wrong distribution: the draft's own tokens fail it
    wrong = np.random.default_rng(1).choice(len(Q), size=20000, p=Q)
    wrong = wrong[P[wrong] > 0]                              # (drop the token p rules out)
    assert chi_square_p_value(wrong, P) < 1e-12


@pytest.mark.slow
def test_a_sampler_that_resamples_from_p_on_rejection_is_caught():
    # A classic mistake: after a rejection, draw from p instead of the residual. Its tokens follow
    # min(p, q) + (1 - alpha) p, not p, and the same chi-square test rejects it.
    def wrong(rng):
        x = rng.choice(len(Q), p=Q)
        if rng.random() < min(1.0, P[x] / Q[x]):
            return x, True
        return rng.choice(len(P), p=P), False
    tokens, _ = draws(wrong, 20000, seed=1)
    assert chi_square_p_value(tokens, P) < 1e-6


@pytest.mark.slow
def test_acceptance_rate_is_the_overlap():
    from scipy.stats import binomtest
    _, accepted = draws(lambda rng: speculative_sample(P, Q, rng), 20000, seed=2)
    alpha = float(acceptance_probability(P, Q))               # 0.55
    assert binomtest(int(accepted.sum()), accepted.size, alpha).pvalue > P_VALUE
    assert binomtest(int(accepted.sum()), accepted.size, alpha + 0.02).pvalue < P_VALUE   # power


def test_many_tokens_at_once_follow_the_target_and_accept_at_the_overlap():
    from scipy.stats import binomtest
    tokens, accepted = speculative_sample(P, Q, rng=7, size=20000)
    assert tokens.shape == accepted.shape == (20000,) and accepted.dtype == bool
    assert chi_square_p_value(tokens, P) > P_VALUE
    assert binomtest(int(accepted.sum()), accepted.size, float(acceptance_probability(P, Q))).pvalue > P_VALUE
    # every accepted token is the draft's own: the draft never proposes token 4, so it only comes from the residual
    assert not np.any(tokens[accepted] == 4) and np.any(tokens[~accepted] == 4)
    assert speculative_sample(P, P, rng=3, size=50)[1].all()                   # q = p: always accepted
    same = speculative_sample(P, Q, rng=5, size=10), speculative_sample(P, Q, rng=5, size=10)
    assert np.array_equal(same[0][0], same[1][0]) and np.array_equal(same[0][1], same[1][1])   # seeded


@pytest.mark.parametrize("size, error", [(0, ValueError), (-3, ValueError), (2.0, TypeError), (True, TypeError)])
def test_a_bad_size_is_refused_by_name(size, error):
    with pytest.raises(error, match="size"):
        speculative_sample(P, Q, rng=0, size=size)


def test_edge_cases_of_speculative_sample():
    assert speculative_sample(P, P, rng=3)[1] is True                        # q = p: always accepted
    assert all(speculative_sample([0, 1.0, 0], [1.0, 0, 0], rng=s) == (1, False) for s in range(20))
    assert speculative_sample(P, Q, rng=5) == speculative_sample(P, Q, rng=5)   # seeded
    assert speculative_sample([1.0], [1.0], rng=0) == (0, True)


# --------------------------------------------------------------------------------------------
# draft-and-verify rounds
# --------------------------------------------------------------------------------------------

# Two bigram models over 3 tokens: the next token depends on the last one (row 3: the start).
TARGET = np.array([[0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3], [0.5, 0.25, 0.25]])
DRAFT = np.array([[0.3, 0.4, 0.3], [0.2, 0.2, 0.6], [0.6, 0.2, 0.2], [0.2, 0.6, 0.2]])


class Bigram:
    def __init__(self, table):
        self.table, self.calls = table, 0

    def row(self, context):
        return self.table[context[-1] if context else 3]

    def target(self, contexts):                # one call scores every prefix
        self.calls += 1
        return np.array([self.row(c) for c in contexts])

    def draft(self, context):
        self.calls += 1
        return self.row(context)


def generate(gamma, length, rng):
    """Run rounds until ``length`` tokens exist; return them, the rounds and the target calls."""
    target, draft = Bigram(TARGET), Bigram(DRAFT)
    tokens, rounds = (), []
    while len(tokens) < length:
        step = speculative_step(target.target, draft.draft, tokens, gamma, rng)
        rounds.append(step)
        tokens += step.tokens
    return tokens[:length], rounds, target.calls


@pytest.mark.slow
def test_rounds_produce_sequences_with_the_targets_joint_distribution():
    rng = np.random.default_rng(4)
    sequences = [generate(2, 3, rng)[0] for _ in range(8000)]
    cells = list(itertools.product(range(3), repeat=3))
    index = {c: i for i, c in enumerate(cells)}
    exact = [TARGET[3][a] * TARGET[a][b] * TARGET[b][c] for a, b, c in cells]   # the chain rule
    assert math.isclose(sum(exact), 1.0)
    assert chi_square_p_value(np.array([index[s] for s in sequences]), exact) > P_VALUE
    # power: the draft's own joint distribution is far from it
    draft_joint = [DRAFT[3][a] * DRAFT[a][b] * DRAFT[b][c] for a, b, c in cells]
    wrong = np.random.default_rng(4).choice(len(cells), size=8000, p=draft_joint)
    assert chi_square_p_value(wrong, exact) < 1e-12


def test_one_target_call_per_round_and_gamma_draft_calls():
    target, draft = Bigram(TARGET), Bigram(DRAFT)
    step = speculative_step(target.target, draft.draft, (0, 2), 5, rng=0)
    assert isinstance(step, SpeculativeStep) and step.gamma == 5
    assert target.calls == 1 and draft.calls == 5
    assert len(step.tokens) == step.n_accepted + 1 and 0 <= step.n_accepted <= 5


def test_gamma_zero_is_plain_sampling_from_the_target():
    rng = np.random.default_rng(6)
    target, draft = Bigram(TARGET), Bigram(DRAFT)
    tokens = [speculative_step(target.target, draft.draft, (1,), 0, rng).tokens for _ in range(4000)]
    assert {len(t) for t in tokens} == {1} and draft.calls == 0 and target.calls == 4000
    assert chi_square_p_value(np.array([t[0] for t in tokens]), TARGET[1]) > P_VALUE


@pytest.mark.slow
@pytest.mark.parametrize("gamma", [1, 4])
def test_tokens_per_target_call_match_the_formula(gamma):
    # Models that ignore the context: every position has the same acceptance rate alpha.
    alpha = float(acceptance_probability(P, Q))
    rng = np.random.default_rng(gamma)
    steps = [speculative_step(lambda cs: np.tile(P, (len(cs), 1)), lambda c: Q, (), gamma, rng) for _ in range(6000)]
    per_call = np.array([len(s.tokens) for s in steps])
    stderr = per_call.std() / math.sqrt(per_call.size)
    assert abs(per_call.mean() - expected_tokens_per_call(alpha, gamma)) < 4 * stderr
    # the number of accepted drafts is a truncated geometric: alpha^i (1 - alpha), and alpha^gamma
    from scipy.stats import chisquare
    counts = np.bincount([s.n_accepted for s in steps], minlength=gamma + 1)
    law = [alpha**i * (1 - alpha) for i in range(gamma)] + [alpha**gamma]
    assert chisquare(counts, per_call.size * np.array(law)).pvalue > P_VALUE


def test_all_drafts_accepted_gives_a_bonus_token():
    target, draft = Bigram(TARGET), Bigram(TARGET)         # draft = target: nothing is rejected
    step = speculative_step(target.target, draft.draft, (), 3, rng=1)
    assert step.n_accepted == 3 and len(step.tokens) == 4


def test_expected_tokens_per_call_against_the_sum_of_powers():
    for gamma in (0, 1, 4, 8, 50):
        for alpha in (0.0, 0.1, 0.5, 0.9, 0.999, 1 - 1e-12, 1.0):
            reference = math.fsum(alpha**i for i in range(gamma + 1))
            assert float(expected_tokens_per_call(alpha, gamma)) == pytest.approx(reference, rel=1e-12)
    grid = expected_tokens_per_call(np.array([[0.0, 0.5], [0.8, 1.0]]), 4)
    assert grid.shape == (2, 2) and grid[1, 1] == 5.0 and grid[0, 0] == 1.0


# --------------------------------------------------------------------------------------------
# hostile input
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("p, q, name", [
    ([0.5, 0.6], [0.5, 0.5], "target_probs"),           # sums to 1.1
    ([0.5, 0.5], [1.5, -0.5], "draft_probs"),           # negative
    ([np.nan, 1.0], [0.5, 0.5], "target_probs"),
    ([0.5, 0.5], [np.inf, 0.0], "draft_probs"),
    ([2.0, -1.0], [0.5, 0.5], "target_probs"),
    ([0.5, 0.5], [1.0, 0.0, 0.0], "same shape"),
    ([[0.5, 0.5]], [[0.5, 0.5]], "target_probs"),       # speculative_sample takes 1-D only
    (0.5, 0.5, "target_probs"),
    ([], [], "target_probs"),
    (["a", "b"], [0.5, 0.5], "target_probs"),
    ([0.5, 0.5], [True, False], "draft_probs"),
])
def test_non_probabilities_are_refused_by_name(p, q, name):
    with pytest.raises((ValueError, TypeError), match=name):
        speculative_sample(p, q, rng=0)


@pytest.mark.parametrize("rng, error", [("seed", TypeError), (-1, ValueError), (1.5, TypeError)])
def test_bad_rng_is_refused(rng, error):
    with pytest.raises(error, match="rng"):
        speculative_sample(P, Q, rng)


@pytest.mark.parametrize("alpha, gamma, name", [
    (1.5, 2, "alpha"), (-0.1, 2, "alpha"), (np.nan, 2, "alpha"), ("0.5", 2, "alpha"),
    (0.5, -1, "gamma"), (0.5, 2.0, "gamma"), (0.5, True, "gamma"),
])
def test_expected_tokens_refuses_bad_arguments(alpha, gamma, name):
    with pytest.raises((ValueError, TypeError), match=name):
        expected_tokens_per_call(alpha, gamma)


def test_speculative_step_refuses_bad_arguments():
    model = Bigram(TARGET)
    with pytest.raises(TypeError, match="target_fn"):
        speculative_step(None, model.draft, (), 2)
    with pytest.raises(TypeError, match="draft_fn"):
        speculative_step(model.target, "draft", (), 2)
    for gamma, error in ((-1, ValueError), (1.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match="gamma"):
            speculative_step(model.target, model.draft, (), gamma)
    for context in ((-1,), (0.5,), 7):
        with pytest.raises((ValueError, TypeError), match="context"):
            speculative_step(model.target, model.draft, context, 2)
    with pytest.raises(ValueError, match="draft_fn"):
        speculative_step(model.target, lambda c: np.array([0.5, 0.6, 0.0]), (), 2, rng=0)
    with pytest.raises(ValueError, match="target_fn"):           # one row instead of gamma + 1
        speculative_step(lambda cs: TARGET[:1], model.draft, (), 2, rng=0)
    with pytest.raises(ValueError, match="target_fn"):           # another vocabulary size
        speculative_step(lambda cs: np.full((len(cs), 4), 0.25), model.draft, (), 2, rng=0)
    with pytest.raises(TypeError, match="target_fn"):
        speculative_step(lambda cs: [["x"] * 3] * len(cs), model.draft, (), 2, rng=0)


def test_inputs_are_not_modified():
    p, q = P.copy(), Q.copy()
    p.setflags(write=False)
    q.setflags(write=False)
    speculative_sample(p, q, rng=0)
    residual_distribution(p, q)
    acceptance_probability(p, q)
    np.testing.assert_array_equal(p, P)
    np.testing.assert_array_equal(q, Q)
