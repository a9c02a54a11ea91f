"""Tests for softmax_lab.bandits: the policies as distributions, and the bandit runs.

With noise = 0 every estimate equals the true mean after the first K pulls, so the actions of
a Boltzmann player are independent draws from softmax(means / T): their frequencies are
compared with that distribution by a chi-square test (the expectation is computed here, with
scipy, not by the module). Regret is recomputed from the actions.
"""

import numpy as np
import pytest
from scipy import special, stats

from softmax_lab.bandits import (
    DEFAULT_MEANS,
    POLICIES,
    annealed_temperature,
    boltzmann_probabilities,
    epsilon_greedy_probabilities,
    regret_by_temperature,
    run_bandit,
    runs_by_temperature,
)

MEANS = np.array([0.1, 0.5, 0.3, 0.9])


def test_boltzmann_probabilities_are_the_tempered_softmax_and_its_limits():
    q = np.array([0.2, 0.5, 0.8])
    np.testing.assert_allclose(boltzmann_probabilities(q, 0.3), special.softmax(q / 0.3))
    np.testing.assert_allclose(boltzmann_probabilities(q, 1e-4), [0, 0, 1], atol=1e-12)
    np.testing.assert_allclose(boltzmann_probabilities(q, 1e6), [1 / 3] * 3, atol=1e-6)


def test_epsilon_greedy_probabilities_split_ties_and_sum_to_one():
    np.testing.assert_allclose(epsilon_greedy_probabilities([1.0, 3.0, 3.0, 0.0], 0.2),
                               [0.05, 0.45, 0.45, 0.05])
    np.testing.assert_allclose(epsilon_greedy_probabilities([[1.0, 2.0]], 0.0), [[0.0, 1.0]])
    np.testing.assert_allclose(epsilon_greedy_probabilities([1.0, 2.0, 5.0], 1.0), [1 / 3] * 3)


def test_annealed_temperature_decreases_from_t_over_log_2():
    T = annealed_temperature(np.arange(100), 2.0)
    assert T[0] == pytest.approx(2.0 / np.log(2.0))
    assert np.all(np.diff(T) < 0) and T[-1] > 0


@pytest.mark.parametrize("policy", POLICIES)
def test_runs_are_seeded_start_with_every_arm_and_regret_is_consistent(policy):
    a = run_bandit(MEANS, policy, n_steps=60, n_runs=7, seed=4)
    b = run_bandit(MEANS, policy, n_steps=60, n_runs=7, seed=4)
    np.testing.assert_array_equal(a.actions, b.actions)
    np.testing.assert_array_equal(a.actions[:, :4], np.tile(np.arange(4), (7, 1)))
    np.testing.assert_allclose(a.regret, np.cumsum(0.9 - MEANS[a.actions], axis=1))
    assert np.all(np.diff(a.regret, axis=1) >= 0)
    assert a.regret.shape == a.rewards.shape == (7, 60)
    assert a.mean_regret.shape == (60,) and a.final_regret.shape == (7,)
    c = run_bandit(MEANS, policy, n_steps=60, n_runs=7, seed=5)
    assert not np.array_equal(a.rewards, c.rewards)


def test_policies_share_the_reward_noise():
    """Common random numbers: the noise of run r at step t is the same for every policy."""
    noises = [r.rewards - MEANS[r.actions] for r in
              (run_bandit(MEANS, p, n_steps=50, n_runs=3, seed=1) for p in POLICIES)]
    for other in noises[1:]:
        np.testing.assert_allclose(other, noises[0])


def test_boltzmann_actions_are_draws_from_softmax_of_the_means_when_estimates_are_exact():
    T = 0.25
    result = run_bandit(MEANS, "boltzmann", n_steps=2004, n_runs=10, temperature=T, noise=0.0, seed=2)
    counts = np.bincount(result.actions[:, 4:].ravel(), minlength=4)
    expected = counts.sum() * special.softmax(MEANS / T)
    assert stats.chisquare(counts, expected).pvalue > 1e-6
    assert stats.chisquare(counts, counts.sum() * special.softmax(MEANS / (2 * T))).pvalue < 1e-6


def test_temperature_trades_exploration_against_exploitation():
    hot = run_bandit(MEANS, "boltzmann", n_steps=400, temperature=100.0, noise=0.0)
    cold = run_bandit(MEANS, "boltzmann", n_steps=400, temperature=0.01, noise=0.0)
    # hot: nearly uniform, so regret grows by the mean gap per step
    gap = 0.9 - MEANS.mean()
    assert hot.final_regret.mean() == pytest.approx(1.5 + gap * 396, rel=0.1)
    # cold with exact estimates: only the first K pulls cost anything
    np.testing.assert_allclose(cold.final_regret, 0.8 + 0.4 + 0.6)
    assert cold.best_arm_fraction > 0.98


def test_greedy_can_lock_onto_a_bad_arm_and_exploration_rescues_it():
    """With noisy first rewards, epsilon = 0 sticks with whichever arm looked best: linear regret
    in some runs. epsilon = 0.1 keeps sampling every arm and recovers."""
    greedy = run_bandit(DEFAULT_MEANS, "epsilon_greedy", n_steps=1000, n_runs=20, epsilon=0.0, seed=0)
    explore = run_bandit(DEFAULT_MEANS, "epsilon_greedy", n_steps=1000, n_runs=20, epsilon=0.1, seed=0)
    stuck = greedy.final_regret > 0.09 * 1000          # a run stuck on a suboptimal arm
    assert stuck.sum() >= 2
    assert explore.final_regret.max() < greedy.final_regret.max()
    exact = run_bandit(MEANS, "epsilon_greedy", n_steps=300, n_runs=3, epsilon=0.0, noise=0.0)
    assert np.all(exact.actions[:, 4:] == 3)


def test_boltzmann_gumbel_with_zero_scale_is_greedy_and_with_scale_explores_less_over_time():
    exact = run_bandit(MEANS, "boltzmann_gumbel", n_steps=100, n_runs=3, scale=0.0, noise=0.0)
    assert np.all(exact.actions[:, 4:] == 3)
    r = run_bandit(DEFAULT_MEANS, "boltzmann_gumbel", n_steps=2000, n_runs=20, seed=0)
    first, last = (np.mean(r.actions[:, s] == 4) for s in (slice(5, 200), slice(1800, 2000)))
    assert last > first


def test_annealed_records_its_decreasing_temperatures():
    r = run_bandit(MEANS, "annealed", n_steps=50, n_runs=2, temperature=1.0)
    T = r.temperatures[4:]
    np.testing.assert_allclose(T, 1.0 / np.log(np.arange(46) + 2.0))
    assert np.all(np.isnan(r.temperatures[:4]))
    assert run_bandit(MEANS, "epsilon_greedy", n_steps=10, n_runs=1).temperatures is None


def test_regret_by_temperature_has_an_interior_minimum():
    r = regret_by_temperature([0.001, 0.1, 10.0], n_steps=600)
    assert r.shape == (3,) and np.argmin(r) == 1
    assert r[1] == pytest.approx(run_bandit(temperature=0.1, n_steps=600).final_regret.mean())


def test_extreme_temperatures_give_no_warnings(no_warnings):
    for T in (1e-300, 1e300, 1e308, np.finfo(float).max):
        r = run_bandit(MEANS, "boltzmann", n_steps=30, n_runs=2, temperature=T)
        assert np.isfinite(r.regret).all()


def plain_loop(means, policy, n_steps, n_runs, temperature, seed, noise):
    """The bandit loop written the plain way, one run-set and one step at a time, with the module's
    public policies: the reference for the batched loop."""
    mu, K = np.asarray(means, float), len(means)
    rng = np.random.default_rng(seed)
    sums, counts = np.zeros((n_runs, K)), np.zeros((n_runs, K))
    actions = np.empty((n_runs, n_steps), dtype=int)
    for t in range(n_steps):
        u, _, eps = rng.random(n_runs), rng.gumbel(size=(n_runs, K)), rng.standard_normal(n_runs)
        if t < K:
            a = np.full(n_runs, t)
        elif policy == "epsilon_greedy":
            p = epsilon_greedy_probabilities(sums / counts, temperature)      # here "temperature" is epsilon
        else:
            T = temperature if policy == "boltzmann" else float(annealed_temperature(t - K, temperature))
            p = boltzmann_probabilities(sums / counts, T)
        if t >= K:
            a = np.minimum((np.cumsum(p, axis=1) <= u[:, None]).sum(axis=1), K - 1)
        sums[np.arange(n_runs), a] += mu[a] + noise * eps
        counts[np.arange(n_runs), a] += 1
        actions[:, t] = a
    return actions


@pytest.mark.parametrize("policy", ["boltzmann", "annealed"])
def test_runs_by_temperature_are_the_plain_runs_played_side_by_side(policy):
    """All temperatures in one batched loop (the bandit dashboard's way) give, for each, the very
    actions of the plain step-by-step loop and of run_bandit: T <= 1 and T > 1 (softmax divides
    in another order there), common random numbers shared by all settings."""
    temperatures = [0.02, 0.3, 1.0, 4.0]
    runs = runs_by_temperature(temperatures, MEANS, n_steps=150, n_runs=6, policy=policy, seed=3, noise=0.4)
    assert len(runs) == len(temperatures)
    for T, batched in zip(temperatures, runs):
        single = run_bandit(MEANS, policy, n_steps=150, n_runs=6, temperature=T, seed=3, noise=0.4)
        np.testing.assert_array_equal(batched.actions, plain_loop(MEANS, policy, 150, 6, T, 3, 0.4))
        np.testing.assert_array_equal(batched.actions, single.actions)
        np.testing.assert_array_equal(batched.rewards, single.rewards)
        np.testing.assert_array_equal(batched.temperatures, single.temperatures)
    assert len({r.final_regret.mean() for r in runs}) == len(temperatures)     # the settings really differ


@pytest.mark.parametrize("epsilon", [0.0, 0.1, 1.0])
def test_epsilon_greedy_runs_are_the_plain_loop(epsilon):
    """The batched loop's epsilon-greedy step (over the arms axis, without re-checking the
    estimates) picks the very actions of the plain loop with the public policy."""
    run = run_bandit(MEANS, "epsilon_greedy", n_steps=150, n_runs=6, epsilon=epsilon, seed=3, noise=0.4)
    np.testing.assert_array_equal(run.actions, plain_loop(MEANS, "epsilon_greedy", 150, 6, epsilon, 3, 0.4))
