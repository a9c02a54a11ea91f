r"""Softmax in reinforcement learning: Boltzmann exploration on a multi-armed bandit.

A bandit has K arms; pulling arm a gives a noisy reward with unknown mean :math:`\mu_a`. A
player keeps an estimate :math:`Q_a` (the mean reward seen so far) and must trade *exploiting*
the arm that looks best against *exploring* the others, whose estimates may be wrong.

Boltzmann (softmax) exploration pulls arm a with probability

.. math:: \pi(a) = \mathrm{softmax}(Q / T)_a = \frac{e^{Q_a / T}}{\sum_b e^{Q_b / T}}

the same function an LLM samples its next word with: a high temperature T explores (nearly
uniform), T -> 0 exploits (always the current best). The price of a policy is its *regret*,
the reward lost against always pulling the best arm:

.. math:: R_t = \sum_{s \le t} (\mu^\ast - \mu_{a_s})

Policies here (:data:`POLICIES`), all seeded and run for many independent runs at once:

``"boltzmann"``
    softmax(Q / T) with a fixed temperature T.
``"annealed"``
    softmax(Q / T_t) with the cooling schedule :math:`T_t = T / \log(t + 2)`.
``"epsilon_greedy"``
    the best-looking arm with probability 1 - epsilon, a uniformly random arm otherwise.
``"boltzmann_gumbel"``
    Cesa-Bianchi, Gentile, Lugosi and Neu (2017), "Boltzmann exploration done right": pull
    :math:`\arg\max_a (Q_a + \beta_a G_a)` with Gumbel noise :math:`G_a` and a per-arm scale
    :math:`\beta_a = C / \sqrt{N_a}` that shrinks as the arm is pulled :math:`N_a` times. They
    prove that plain Boltzmann exploration with *any* monotone temperature schedule can have
    poor regret on some bandits, because one temperature for all arms ignores how sure each
    estimate is; the per-arm scale fixes that.

Every policy first pulls each arm once, so that every estimate starts from a real reward.

In policy-gradient methods (REINFORCE, PPO) the policy is this same softmax, over action
*logits* learned by gradient ascent instead of reward estimates: the gradient of
:math:`\log \pi(a)` is ``onehot(a) - pi``, the cross-entropy gradient with the sign flipped.

Supported range: ``means`` are 2 or more finite numbers in [-1e6, 1e6]; ``temperature`` is
finite and > 0; ``epsilon`` in [0, 1]; ``scale`` and ``noise`` in [0, 1e6]; ``n_steps`` at least
the number of arms; ``step`` >= 0; seeds integers >= 0. Anything else is refused, naming the
argument.

Examples
--------
>>> result = run_bandit([0.2, 0.5, 0.8], "boltzmann", n_steps=500, n_runs=20, temperature=0.1, seed=0)
>>> result.regret.shape
(20, 500)
>>> round(result.best_arm_fraction, 2)           # of all 20 x 500 pulls
0.91
"""

import math
from dataclasses import dataclass

import numpy as np

from ._checks import finite_number, float_array, integer, real_number
from .functions import softmax

__all__ = [
    "POLICIES",
    "DEFAULT_MEANS",
    "BanditResult",
    "boltzmann_probabilities",
    "epsilon_greedy_probabilities",
    "annealed_temperature",
    "run_bandit",
    "runs_by_temperature",
    "regret_by_temperature",
]

POLICIES = ("boltzmann", "annealed", "epsilon_greedy", "boltzmann_gumbel")
DEFAULT_MEANS = (0.2, 0.4, 0.5, 0.6, 0.7)
#: The largest magnitude accepted for the arm means, the reward noise and the Gumbel scale.
LARGEST = 1e6


def _means(means):
    """The arm means as a float64 array: at least 2 real numbers in [-LARGEST, LARGEST]."""
    if isinstance(means, (str, bytes)) or not np.iterable(means):
        raise TypeError(f"means must be a list of at least 2 arm means (numbers), got {means!r}")
    values = list(means)
    if len(values) < 2:
        raise ValueError(f"means must be a list of at least 2 arm means, got {means!r}")
    mu = np.array([real_number(v, "means", "a list of finite numbers") for v in values])
    if not (np.isfinite(mu).all() and np.abs(mu).max() <= LARGEST):
        raise ValueError(f"means must be finite numbers in [-{LARGEST:g}, {LARGEST:g}], got {means!r}")
    return mu


def _epsilon(epsilon):
    e = real_number(epsilon, "epsilon", "a number in [0, 1]")
    if not 0 <= e <= 1:
        raise ValueError(f"epsilon must be a number in [0, 1], got {epsilon!r}")
    return e


def boltzmann_probabilities(estimates, temperature):
    r"""The Boltzmann (softmax) exploration policy: ``softmax(estimates / temperature)``.

    Parameters
    ----------
    estimates : array_like, shape (..., K)
        The current reward estimates Q.
    temperature : float
        T > 0.

    Returns
    -------
    ndarray
        Probabilities of pulling each arm (last axis sums to 1).

    Examples
    --------
    >>> boltzmann_probabilities([0.2, 0.5, 0.8], 0.1).round(3)
    array([0.002, 0.047, 0.95 ])
    >>> boltzmann_probabilities([0.2, 0.5, 0.8], 100.0).round(3)
    array([0.332, 0.333, 0.334])
    """
    q = float_array(estimates, "estimates")
    if not np.isfinite(q).all() or q.shape[-1] == 0:
        raise ValueError("estimates must be finite numbers with a non-empty last axis")
    return softmax(q, temperature=temperature)


def epsilon_greedy_probabilities(estimates, epsilon):
    r"""The epsilon-greedy policy as a distribution: ties for the best share 1 - epsilon.

    .. math:: \pi(a) = \frac{\epsilon}{K} + (1 - \epsilon)\,\frac{[a \in \arg\max Q]}{|\arg\max Q|}

    Examples
    --------
    >>> epsilon_greedy_probabilities([0.2, 0.5, 0.8], 0.3).round(3)
    array([0.1, 0.1, 0.8])
    """
    epsilon = _epsilon(epsilon)
    q = float_array(estimates, "estimates").astype(np.float64)
    if q.ndim == 0 or q.shape[-1] == 0 or not np.isfinite(q).all():
        raise ValueError("estimates must be finite numbers with a non-empty last axis")
    return _epsilon_greedy_rows(q, epsilon, axis=-1)


def _epsilon_greedy_rows(q, epsilon, axis):
    """:func:`epsilon_greedy_probabilities` of checked estimates, over ``axis``."""
    best = q == q.max(axis=axis, keepdims=True)
    K = q.shape[axis]
    return epsilon / K + (1.0 - epsilon) * best / best.sum(axis=axis, keepdims=True)


def annealed_temperature(step, temperature):
    r"""The logarithmic cooling schedule :math:`T_t = T / \log(t + 2)` (t = 0, 1, ...).

    It decreases slowly and never reaches 0: at t = 0 it is :math:`T / \log 2 \approx 1.44\,T`,
    at t = 1000 about :math:`0.14\,T`.

    Examples
    --------
    >>> annealed_temperature(np.array([0, 1000]), 1.0).round(3)
    array([1.443, 0.145])
    """
    t0 = finite_number(temperature, "temperature", low=0, inclusive=False)
    t = np.asarray(step)
    if t.dtype.kind not in "iuf":
        raise TypeError(f"step must be a step number t >= 0 (or an array of them), got {step!r}")
    t = t.astype(np.float64)
    if not (np.isfinite(t).all() and (t >= 0).all()):
        raise ValueError(f"step must be a finite number t >= 0 (the schedule starts at t = 0), got {step!r}")
    return t0 / np.log(t + 2.0)


@dataclass
class BanditResult:
    """What :func:`run_bandit` returns; every array has one row per run.

    Attributes
    ----------
    means : ndarray (K,)
    policy : str
    actions : ndarray of int, (runs, steps)
    rewards : ndarray, (runs, steps)
    regret : ndarray, (runs, steps)
        Cumulative pseudo-regret :math:`\\sum_{s \\le t} (\\mu^* - \\mu_{a_s})` (expected
        rewards, so the reward noise does not blur it).
    temperatures : ndarray (steps,) or None
        The temperature at each step (Boltzmann policies).
    """
    means: np.ndarray
    policy: str
    actions: np.ndarray
    rewards: np.ndarray
    regret: np.ndarray
    temperatures: np.ndarray = None

    @property
    def final_regret(self):
        """The regret after the last step, one value per run."""
        return self.regret[:, -1]

    @property
    def mean_regret(self):
        """The regret curve averaged over the runs, shape (steps,)."""
        return self.regret.mean(axis=0)

    @property
    def best_arm_fraction(self):
        """The fraction of all pulls (runs and steps) that went to the best arm."""
        return float(np.mean(self.actions == np.argmax(self.means)))


def run_bandit(means=DEFAULT_MEANS, policy="boltzmann", n_steps=1000, n_runs=20, *, temperature=0.1,
               epsilon=0.1, scale=0.3, noise=0.5, seed=0):
    r"""Play a Gaussian bandit ``n_runs`` times, independently, with one policy.

    Parameters
    ----------
    means : array_like, shape (K,)
        The arms' true mean rewards (K >= 2). The rewards are :math:`\mu_a + \text{noise}\,\varepsilon`
        with :math:`\varepsilon \sim N(0, 1)`.
    policy : {"boltzmann", "annealed", "epsilon_greedy", "boltzmann_gumbel"}
        See the module docstring.
    n_steps : int, default 1000
        Pulls per run (>= K; the first K pull each arm once).
    n_runs : int, default 20
        Independent runs (seeds), played side by side.
    temperature : float, default 0.1
        T > 0 for "boltzmann", the starting scale of "annealed".
    epsilon : float, default 0.1
        For "epsilon_greedy", in [0, 1].
    scale : float, default 0.3
        C >= 0 for "boltzmann_gumbel" (the noise scale of an arm pulled once).
    noise : float, default 0.5
        The reward noise's standard deviation (>= 0).
    seed : int, default 0
        The same seed gives the same runs. All policies draw the same random numbers at each
        step (common random numbers), so differences between policies are not luck of the draw.

    Returns
    -------
    BanditResult

    Examples
    --------
    >>> hot = run_bandit([0.0, 1.0], "boltzmann", n_steps=200, temperature=100.0)
    >>> cold = run_bandit([0.0, 1.0], "boltzmann", n_steps=200, temperature=0.1)
    >>> bool(hot.final_regret.mean() > 5 * cold.final_regret.mean())   # hot explores forever
    True
    """
    mu, n_steps, n_runs, T, epsilon, C, sigma, seed = _checked(means, policy, n_steps, n_runs, temperature,
                                                              epsilon, scale, noise, seed)
    return _play(mu, policy, n_steps, n_runs, [T], epsilon, C, sigma, seed)[0]


def regret_by_temperature(temperatures, means=DEFAULT_MEANS, n_steps=1000, n_runs=20, policy="boltzmann",
                          seed=0, noise=0.5):
    """Mean final regret of Boltzmann exploration for each temperature in ``temperatures``.

    Parameters
    ----------
    temperatures : array_like of float
    means, n_steps, n_runs, seed, noise
        As for :func:`run_bandit`.
    policy : {"boltzmann", "annealed"}

    Returns
    -------
    ndarray, shape (len(temperatures),)

    Examples
    --------
    >>> r = regret_by_temperature([0.001, 0.1, 10.0], n_steps=300)
    >>> int(np.argmin(r))            # too cold gets stuck, too hot never settles
    1
    """
    return np.array([r.final_regret.mean() for r in runs_by_temperature(temperatures, means, n_steps, n_runs,
                                                                       policy, seed, noise)])


def runs_by_temperature(temperatures, means=DEFAULT_MEANS, n_steps=1000, n_runs=20, policy="boltzmann", seed=0,
                        noise=0.5):
    """:func:`run_bandit` for each temperature in ``temperatures``, all played side by side.

    The result for a temperature T is exactly ``run_bandit(means, policy, n_steps, n_runs,
    temperature=T, seed=seed, noise=noise)``: the runs share each step's random numbers, as
    every policy does. Playing them together costs little more than one run, because the work
    of a step is a few small array operations whatever their size (the bandit dashboard of
    lesson 10 computes every temperature of its slider this way).

    Parameters
    ----------
    temperatures : array_like of float
        Finite numbers > 0.
    means, n_steps, n_runs, seed, noise
        As for :func:`run_bandit`.
    policy : {"boltzmann", "annealed"}

    Returns
    -------
    list of BanditResult
        One per temperature, in order.

    Examples
    --------
    >>> cold, hot = runs_by_temperature([0.01, 10.0], n_steps=300)
    >>> bool((cold.actions == run_bandit(n_steps=300, temperature=0.01).actions).all())
    True
    >>> bool(hot.final_regret.mean() > cold.final_regret.mean())
    True
    """
    if policy not in ("boltzmann", "annealed"):
        raise ValueError(f"policy must be 'boltzmann' or 'annealed', got {policy!r}")
    if isinstance(temperatures, (str, bytes)) or not np.iterable(temperatures):
        raise TypeError(f"temperatures must be a list of temperatures > 0, got {temperatures!r}")
    ts = [real_number(t, "temperatures", "a list of finite numbers > 0") for t in temperatures]
    if not ts or not all(math.isfinite(t) and t > 0 for t in ts):
        raise ValueError(f"temperatures must be a non-empty list of finite numbers > 0, got {temperatures!r}")
    mu, n_steps, n_runs, _, epsilon, C, sigma, seed = _checked(means, policy, n_steps, n_runs, ts[0], 0.1, 0.3,
                                                               noise, seed)
    return _play(mu, policy, n_steps, n_runs, ts, epsilon, C, sigma, seed)


def _boltzmann_rows(q, T):
    """softmax(q / T) over the arms, axis 0 of ``q`` (K, S, runs), with a temperature per setting.

    The operations are those of :func:`softmax_lab.softmax`, in its order (shift by the
    maximum, then divide by T; for T > 1 divide first: z/T - m/T), so that each setting's
    probabilities are exactly ``boltzmann_probabilities`` of its estimates. Only the branch that T
    selects is kept: the other may overflow for extreme T, harmlessly.
    """
    m = q.max(axis=0)
    hot = T > 1.0
    if not hot.any():
        s = (q - m) / T
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            s = np.where(hot, q / T - m / T, (q - m) / T)
    e = np.exp(s)
    return e / e.sum(axis=0)


def _play(mu, policy, n_steps, n_runs, temperatures, epsilon, C, sigma, seed):
    """The bandit loop of :func:`run_bandit`, for S temperatures side by side (checked arguments).

    The state arrays are (K, S, runs): arms first, so that a sum or a maximum over the arms adds
    K whole slices (fast), instead of reducing many rows of K numbers (slow in numpy). The random
    numbers of each step are drawn once and shared by all settings (and all policies), so each
    setting's runs are exactly those of ``run_bandit`` with its temperature. Returns a list of S
    :class:`BanditResult`.
    """
    K = mu.size
    T = np.asarray(temperatures, dtype=np.float64)[:, None]      # (S, 1): one per setting
    S = T.shape[0]
    rng = np.random.default_rng(seed)
    sums = np.zeros((K, S, n_runs))
    counts = np.zeros((K, S, n_runs))
    actions = np.empty((S, n_runs, n_steps), dtype=np.int64)
    rewards = np.empty((S, n_runs, n_steps))
    temperatures = np.full((S, n_steps), np.nan) if policy in ("boltzmann", "annealed") else None
    # the flat position of (arm a, setting, run) in sums and counts: one entry per run
    cell = np.arange(S * n_runs).reshape(S, n_runs)
    for t in range(n_steps):
        u = rng.random(n_runs)                    # drawn every step, whatever the policy
        gumbel = rng.gumbel(size=(n_runs, K)).T[:, None, :]
        eps_noise = rng.standard_normal(n_runs)
        if t < K:
            a = np.full((S, n_runs), t)           # pull every arm once
        else:
            q = sums / counts
            if policy == "boltzmann_gumbel":
                a = np.argmax(q + C / np.sqrt(counts) * gumbel, axis=0)
            else:
                if policy == "epsilon_greedy":
                    p = _epsilon_greedy_rows(q, epsilon, axis=0)     # epsilon_greedy_probabilities over the arms
                else:
                    # annealed: annealed_temperature(t - K, T) for every setting at once
                    T_t = T if policy == "boltzmann" else T / np.log(float(t - K) + 2.0)
                    temperatures[:, t] = T_t[:, 0]
                    p = _boltzmann_rows(q, T_t)   # boltzmann_probabilities(q, T_t), per setting
                a = np.minimum((p.cumsum(axis=0) <= u).sum(axis=0), K - 1)    # inverse-CDF sampling
        r = mu[a] + sigma * eps_noise
        flat = a * (S * n_runs) + cell
        sums.reshape(-1)[flat] += r
        counts.reshape(-1)[flat] += 1
        actions[:, :, t] = a
        rewards[:, :, t] = r
    regret = np.cumsum(mu.max() - mu[actions], axis=-1)
    return [BanditResult(mu, policy, actions[i], rewards[i], regret[i],
                         None if temperatures is None else temperatures[i]) for i in range(S)]


def _checked(means, policy, n_steps, n_runs, temperature, epsilon, scale, noise, seed):
    """The arguments of :func:`run_bandit`, checked: (mu, n_steps, n_runs, T, epsilon, C, sigma, seed)."""
    mu = _means(means)
    K = mu.size
    if not isinstance(policy, str) or policy not in POLICIES:
        raise ValueError(f"policy must be one of {', '.join(map(repr, POLICIES))}, got {policy!r}")
    n_steps = integer(n_steps, "n_steps", K)
    n_runs = integer(n_runs, "n_runs", 1)
    T = finite_number(temperature, "temperature", low=0, inclusive=False)
    epsilon = _epsilon(epsilon)
    C = finite_number(scale, "scale", low=0)
    sigma = finite_number(noise, "noise", low=0)
    if C > LARGEST or sigma > LARGEST:
        raise ValueError(f"{'scale' if C > LARGEST else 'noise'} must be at most {LARGEST:g}")
    return mu, n_steps, n_runs, T, epsilon, C, sigma, integer(seed, "seed", 0)
