r"""Lesson 10: the softmax-regression gradient step, and the exploration temperature of a bandit."""

import functools
import re

import numpy as np

from ..bandits import regret_by_temperature
from ..functions import naive_softmax, softmax
from ._answers import check_registered, register_answer
from ._machinery import (
    MAX_SHIFT_HINT,
    Case,
    first_matching,
    guarded,
    label_of,
    nonfinite,
    plain,
    quiet,
    run_battery,
    show,
    to_float_array,
    unknown,
)

# --------------------------------------------------------------------------------------------
# The gradient step of softmax regression
# --------------------------------------------------------------------------------------------

STEP_SIGNATURE = "gradient_step(W, b, X, y, learning_rate) -> (new_W, new_b)"
SHAPES_HINT = ("new_W must have W's shape (D, K) and new_b b's shape (K,). The weight gradient "
               "X.T @ (p - Y) / N has shape (D, K); the bias gradient sums (p - Y) / N over the N rows.")
ONE_HOT_SIZE_HINT = ("the one-hot matrix Y needs one column per CLASS, K = W.shape[1] (np.eye(K)[y]): not "
                     "y.max() + 1 or the number of distinct labels (a batch need not contain every class), and "
                     "not N, the number of examples.")


def _reference_step(W, b, X, y, learning_rate):
    """The textbook step, written out (the check's expected answer)."""
    N, K = X.shape[0], W.shape[1]
    P = softmax(X @ W + b)
    Y = np.eye(K)[y]
    G = (P - Y) / N
    return W - learning_rate * X.T @ G, b - learning_rate * G.sum(axis=0)


def _pack(W, b):
    return np.concatenate([np.ravel(W), np.ravel(b)])


@functools.lru_cache(maxsize=1)   # the cases never change: build them once
def _step_cases():
    rng = np.random.default_rng(10)

    def case(what, N, D, K, scale=1.0, learning_rate=0.5, zero=False, missing=0):
        W = np.zeros((D, K)) if zero else np.round(rng.normal(size=(D, K)), 2)
        b = np.zeros(K) if zero else np.round(rng.normal(size=K), 2)
        X = np.round(rng.normal(scale=scale, size=(N, D)), 2)
        y = rng.integers(K - missing, size=N)
        if not missing:
            y[:K] = K - 1 - np.arange(min(K, N))  # every class appears when N >= K; case 1's label is K - 1
        expected = _pack(*_reference_step(W, b, X, y, learning_rate))
        return Case(what, (W, b, X, y, learning_rate), expected, "basic" if not missing else "missing",
                    shown=f"{show(expected)}  (new_W row by row, then new_b)")
    cases = [
        case("one example: N = 1, D = 3 features, K = 3 classes, zero weights", 1, 3, 3, zero=True),
        case("a batch: N = 4 examples, D = 3 features, K = 3 classes", 4, 3, 3, learning_rate=0.1),
        case("N = 5 examples, D = 4 features, K = 2 classes", 5, 4, 2, learning_rate=0.3),
        case("N = 6, D = 2, K = 4, a small learning rate", 6, 2, 4, learning_rate=0.01),
        case("large features: scores x W + b near 1000 (exp overflows)", 3, 2, 3, scale=600.0, learning_rate=0.2),
    ]
    # Randomised (seeded): N, D and K all different, and batches in which some classes never occur
    N, D, K = (int(n) for n in rng.choice(np.arange(2, 6), size=3, replace=False))
    cases.append(case(f"random: N = {N}, D = {D}, K = {K}; no example of the last class", N, D, K,
                      learning_rate=round(float(rng.uniform(0.05, 1.0)), 2), missing=1))
    K = int(rng.integers(6, 9))
    cases.append(case(f"random: N = 3 examples of K = {K} classes (most classes absent), D = 2", 3, 2, K,
                      learning_rate=round(float(rng.uniform(0.05, 1.0)), 2), missing=K - 3))
    return cases


def _step_mistakes(W, b, X, y, lr):
    N, K = X.shape[0], W.shape[1]
    Z = X @ W + b
    P = softmax(Z)
    Y = np.eye(K)[y]
    G = (P - Y) / N

    def update(gW, gb, rate=lr):
        return _pack(W - rate * gW, b - rate * gb)

    naive = quiet(naive_softmax, Z)
    return [
        (update(X.T @ (P - Y), (P - Y).sum(axis=0)),
         "divide by N: the loss is the MEAN over the N examples, so the gradient is X.T @ (p - Y) / N "
         "(softmax_lab.cross_entropy_grad includes that 1/N for you)."),
        (update(X.T @ (P - Y) / K, (P - Y).sum(axis=0) / K) if K != N else None,
         "divide by N, the number of examples (rows of X), not by K, the number of classes."),
        (update(G.T @ X, G.sum(axis=0)) if W.shape[0] == K else None,
         "the weight gradient is X.T @ (p - Y) / N, of shape (D, K) like W; (p - Y).T @ X is its transpose."),
        (update(-(X.T @ G), -G.sum(axis=0)),
         "mind the sign: the gradient is (p - Y), prediction minus target; step AGAINST it: W - lr * gradient "
         "(with Y - p you must add, not subtract)."),
        (_pack(W - lr * X.T @ G, b),
         "update the bias too: b - lr * (p - Y).sum(axis=0) / N (a bias is a weight on a feature that is always 1)."),
        (update(X.T @ G, G.mean(axis=0)),
         "the bias gradient SUMS (p - Y) / N over the examples; a mean divides by N a second time."),
        (update(X.T @ G / N, G.sum(axis=0) / N), "divide by N once, not twice."),
        (update(X.T @ G, G.sum(axis=0), rate=1.0) if lr != 1 else None,
         "multiply the gradient by the learning rate before subtracting it."),
        (update(X.T @ (Z - Y) / N, (Z - Y).sum(axis=0) / N),
         "use the probabilities p = softmax(X @ W + b), not the scores X @ W + b, in p - Y."),
        (update(X.T @ P / N, P.sum(axis=0) / N),
         "subtract the one-hot targets: the gradient is X.T @ (p - Y) / N with Y[n, y[n]] = 1."),
        (update(X.T @ (P - y[:, None]) / N, (P - y[:, None]).sum(axis=0) / N),
         "Y is the one-hot matrix of the labels (np.eye(K)[y]), not the label numbers themselves."),
        (update(X.T @ (softmax(Z, axis=0) - Y) / N, (softmax(Z, axis=0) - Y).sum(axis=0) / N),
         "take the softmax of each ROW (axis=-1): each row of X @ W + b is one example's scores."),
        (update(X.T @ (naive - Y) / N, (naive - Y).sum(axis=0) / N), MAX_SHIFT_HINT),
    ]


def _step_hint(shapes):
    def hint_for(case, got, outcome):
        W, b = case.args[0], case.args[1]
        if shapes.get("W") not in (None, W.shape) or shapes.get("b") not in (None, b.shape):
            if shapes.get("W") == W.shape[::-1]:
                return ("new_W is transposed: the weight gradient X.T @ (p - Y) / N has shape (D, K) = "
                        f"{W.shape}, like W.")
            return (SHAPES_HINT + f" Here W is {W.shape} and b is {b.shape}; "
                    f"you returned {shapes['W']} and {shapes['b']}.")
        known = first_matching(got, _step_mistakes(*case.args), case.expected)
        if known:
            return known
        if nonfinite(got, case.expected) or outcome.warnings:
            return MAX_SHIFT_HINT
        return unknown("one step is: p = softmax(X @ W + b); G = (p - Y) / N; new_W = W - lr * X.T @ G; "
                       "new_b = b - lr * G.sum(axis=0).")
    return hint_for


@guarded("check_gradient_step")
def check_gradient_step(fn):
    r"""Check a learner's full-batch gradient-descent step for softmax regression.

    Parameters
    ----------
    fn : callable
        ``fn(W, b, X, y, learning_rate) -> (new_W, new_b)`` with W (D, K), b (K,), X (N, D),
        integer labels y (N,). Updating W and b in place and returning them is fine.

    Returns
    -------
    CheckResult

    Notes
    -----
    With :math:`P = \mathrm{softmax}(XW + b)` (row by row) and one-hot targets Y, the mean
    cross-entropy has gradients

    .. math:: \nabla_W = X^\top (P - Y) / N, \qquad \nabla_b = \textstyle\sum_n (P_n - Y_n) / N

    and one step is :math:`W \leftarrow W - \eta \nabla_W`, :math:`b \leftarrow b - \eta \nabla_b`.
    The first cases have a square W (D = K), so a transposed update gives wrong numbers
    (recognised, with a hint) rather than an error, and scores near 1000, where ``exp`` without the max shift overflows.

    Examples
    --------
    >>> from softmax_lab import cross_entropy_grad
    >>> def gradient_step(W, b, X, y, learning_rate):
    ...     g = cross_entropy_grad(X @ W + b, y)
    ...     return W - learning_rate * X.T @ g, b - learning_rate * g.sum(axis=0)
    >>> check_gradient_step(gradient_step).passed
    ✔ check_gradient_step: all 7 cases passed. Well done!
    True
    """
    if not callable(fn):
        return run_battery("check_gradient_step", fn, [], None)
    shapes = {}
    label = label_of(fn)

    def packed(W, b, X, y, learning_rate):
        shapes.clear()
        out = plain(fn(W.copy(), b.copy(), X, y, learning_rate))   # in-place updates of W and b are fine
        if out is None:
            return None
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError(f"{label} must return two arrays, (new_W, new_b); got {type(out).__name__} "
                            f"{show(out) if isinstance(out, np.ndarray) else ''}".rstrip())
        new_W, new_b = (to_float_array(a) for a in out)
        if new_W is None or new_b is None:
            raise TypeError(f"{label} must return two arrays of numbers, (new_W, new_b)")
        shapes.update(W=new_W.shape, b=new_b.shape)
        return _pack(new_W, new_b)

    packed.__name__ = label
    return run_battery("check_gradient_step", packed, _step_cases(), _step_hint(shapes),
                       exception_hint=_step_exception_hint)


def _step_exception_hint(case, exc):
    """Shapes that do not fit: a one-hot of the wrong size, or a gradient of the wrong shape."""
    W, b, X, y, _ = case.args
    N, K = X.shape[0], W.shape[1]
    text = str(exc)
    if isinstance(exc, IndexError) and "out of bounds" in text:
        return ONE_HOT_SIZE_HINT
    if isinstance(exc, TypeError) and "must return two arrays" in text:
        return "return the two new arrays as a pair: return new_W, new_b."
    if "broadcast" in text or "mismatch" in text:
        shapes = {(int(a), int(c)) for a, c in re.findall(r"\((\d+),\s*(\d+)\)", text)}
        if ({(N, int(np.max(y)) + 1), (N, len(np.unique(y))), (N, N)} - {(N, K)}) & shapes:
            return ONE_HOT_SIZE_HINT
        return (f"the shapes did not fit together: W is {W.shape}, X is {X.shape}, b is {b.shape}. "
                "The weight gradient X.T @ (p - Y) / N has W's shape (D, K).")
    return None


# --------------------------------------------------------------------------------------------
# The exploration temperature of a bandit
# --------------------------------------------------------------------------------------------

# 200 runs: with 20 the mean regret jumps by +-30% between neighbouring temperatures (one run stuck on
# a bad arm costs 500 x 0.3 / 20 = 7.5), too noisy to say which temperature is best.
EXPLORATION_BANDIT = dict(means=(0.0, 0.2, 0.5, 0.8), n_steps=500, n_runs=200, seed=1)
TEMPERATURE_GRID = tuple(float(t) for t in np.logspace(-2, 0, 13))
TEMPERATURE_SLACK = 1.25          # within 25% of the best regret on the grid


@functools.lru_cache(maxsize=1)
def _grid_regrets():
    return regret_by_temperature(np.array(TEMPERATURE_GRID), **EXPLORATION_BANDIT)


def _exploration_judge(T):
    if T <= 0:
        return False, f"T = {T:.3g} is not a temperature", "a temperature is a number > 0."
    grid, regrets = np.array(TEMPERATURE_GRID), _grid_regrets()
    best = int(np.argmin(regrets))
    # Beyond [1e-4, 1e4] the policy is greedy or uniform: the regret no longer changes.
    mine = float(regret_by_temperature([min(max(T, 1e-4), 1e4)], **EXPLORATION_BANDIT)[0])
    bound = TEMPERATURE_SLACK * float(regrets[best])
    if mine <= bound:
        return True, f"T = {T:.3g}, mean regret {mine:.1f} (the best on the grid: {regrets[best]:.1f})", ""
    if T < grid[best]:
        hint = ("too cold: with a low T the player soon pulls only the arm that looked best after a few noisy "
                "rewards, and in some runs that is the wrong arm forever (look at the worst run). Try a higher T.")
    else:
        hint = ("too hot: with a high T the policy stays close to uniform and keeps pulling bad arms, so the "
                "regret grows linearly in every run. Try a lower T.")
    runs = EXPLORATION_BANDIT["n_runs"]
    text = f"T = {T:.3g}, mean regret {mine:.1f} over {runs} runs; a better temperature gets below {bound:.1f}"
    return False, text, hint


register_answer(
    "10.exploration-temperature", name="check_exploration_temperature",
    question="a temperature for Boltzmann exploration on EXPLORATION_BANDIT", judge=_exploration_judge,
    precision="a temperature T > 0 whose mean regret is within 25% of the best on the grid")
register_answer(
    "10.first-loss", name="first loss with K = 10", question="the first loss of a zero-initialised classifier, K = 10",
    answer=float(np.log(10.0)), tol=0.005, precision="a number in nats, to two decimals",
    mistakes=[(-np.log(10.0) - 0.005, -np.log(10.0) + 0.005, "mind the sign: the loss is -log p, positive."),
              (np.log2(10.0) - 0.005, np.log2(10.0) + 0.005, "that is in bits (log base 2); nats use np.log."),
              (0.995, 1.005, "that is log base 10 of 10; nats use the natural logarithm, np.log."),
              (0.095, 0.105, "that is the probability of the target, 1/K; the loss is -log of it.")],
    hint="Zero weights give every class the same logit, so p = 1/K for the target too.")


@guarded("check_exploration_temperature")
def check_exploration_temperature(answer):
    r"""Check a temperature for Boltzmann exploration on :data:`EXPLORATION_BANDIT`.

    The same as ``check_answer("10.exploration-temperature", answer)``. The answer passes when
    its mean final regret (200 seeded runs of 500 steps,
    :func:`softmax_lab.bandits.regret_by_temperature`) is within 25% of the best regret over a
    grid of 13 temperatures from 0.01 to 1. The hint says whether the answer is too
    cold (it locks onto a bad arm in some runs) or too hot (it keeps exploring bad arms).

    Parameters
    ----------
    answer : float
        The temperature T > 0; ``None`` while not attempted.

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> check_exploration_temperature(0.1).passed
    ✔ check_exploration_temperature: T = 0.1, mean regret 17.4 (the best on the grid: 17.4). Well done!
    True
    """
    return check_registered("10.exploration-temperature", answer)
