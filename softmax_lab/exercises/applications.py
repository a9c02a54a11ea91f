r"""Lesson 10: the softmax-regression gradient step, and the exploration temperature of a bandit."""

import functools
import re

import numpy as np

from ..bandits import DEFAULT_MEANS, regret_by_temperature, run_bandit
from ..functions import naive_softmax, softmax
from ..losses import cross_entropy, cross_entropy_grad
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
from .predict import register_prediction

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


# --------------------------------------------------------------------------------------------
# Lesson 10: the answers to the "Predict first" prompts (revealed by predict(...))
# --------------------------------------------------------------------------------------------
# Each answer is computed with the lesson's own settings, so it stays true if the data or the
# package change. The lesson's sanity-check cells assert the same facts on what the page shows.

SENTIMENT_TRAINING = dict(learning_rate=1.0, n_steps=300)   # the lesson's loop; classifier_trainer's defaults
SHAPES_TRAINING = dict(learning_rate=0.1, n_steps=300)
BANDIT_DASHBOARD = dict(n_steps=1000, n_runs=20, seed=0)     # bandit_explorer's defaults
COLDEST_T, HOTTEST_T = 10 ** -2.5, 10 ** 0.5                 # the ends of bandit_explorer's temperature slider
REGRET_TABLE = dict(n_steps=2000, n_runs=20, seed=0)         # the lesson's table of schedules
ANNEALED_STARTS = {"coldest": 0.1, "middle": 0.3, "hottest": 1.0}
BEAM_PROMPT, BEAM_LENGTH, BEAM_WIDTHS = "the dog", 16, (1, 2, 3, 4)


def _train_softmax_regression(X, y, n_classes, learning_rate, n_steps):
    """Full-batch gradient descent from zero weights: the lesson's three-line step, n_steps times."""
    W, b = np.zeros((X.shape[1], n_classes)), np.zeros(n_classes)
    for _ in range(n_steps):
        g = cross_entropy_grad(X @ W + b, y)
        W, b = W - learning_rate * X.T @ g, b - learning_rate * g.sum(axis=0)
    return W, b


@functools.lru_cache(maxsize=1)
def _sentiment_model():
    from .. import classify
    texts, labels = classify.load_sentiment()
    train_texts, _, y_train, _ = classify.train_test_split(np.array(texts), labels, seed=0)
    vocab = classify.build_vocabulary(list(train_texts))
    X = classify.bag_of_words(list(train_texts), vocab)
    return vocab, _train_softmax_regression(X, y_train, len(classify.SENTIMENT_LABELS), **SENTIMENT_TRAINING)


def _sentiment_of(text):
    from .. import classify
    vocab, (W, b) = _sentiment_model()
    return classify.SENTIMENT_LABELS[int(np.argmax(classify.bag_of_words([text], vocab)[0] @ W + b))]


@functools.lru_cache(maxsize=1)
def _circle_template_looks_like():
    """'difference' if the trained circle weights correlate more with (circle's average picture - the
    others' average) than with the circle's average picture, else 'picture'."""
    from .. import classify
    images, labels = classify.make_shapes(seed=0)
    X, _, y, _ = classify.train_test_split(images.reshape(len(images), -1), labels, seed=0)
    K = len(classify.SHAPE_NAMES)
    W, _ = _train_softmax_regression(X, y, K, **SHAPES_TRAINING)
    means = np.array([X[y == k].mean(axis=0) for k in range(K)])
    k = classify.SHAPE_NAMES.index("circle")
    picture = np.corrcoef(W[:, k], means[k])[0, 1]
    difference = np.corrcoef(W[:, k], means[k] - np.delete(means, k, axis=0).mean(axis=0))[0, 1]
    return "difference" if difference > picture else "picture"


def _cold_runs_on_best_arm():
    """In how many of the dashboard's runs the coldest fixed temperature's last pull is the best arm."""
    result = run_bandit(DEFAULT_MEANS, "boltzmann", temperature=COLDEST_T, **BANDIT_DASHBOARD)
    return int(np.sum(result.actions[:, -1] == np.argmax(result.means)))


def _hot_regret_per_pull():
    """The regret per pull of softmax(means / T) at the hottest temperature (the policy with exact estimates)."""
    mu = np.array(DEFAULT_MEANS)
    return float(mu.max() - softmax(mu, temperature=HOTTEST_T) @ mu)


@functools.lru_cache(maxsize=1)
def _annealed_final_regrets():
    return {name: run_bandit(DEFAULT_MEANS, "annealed", temperature=T, **REGRET_TABLE).final_regret
            for name, T in ANNEALED_STARTS.items()}


def _best_annealed(statistic):
    finals = _annealed_final_regrets()
    return min(finals, key=lambda name: statistic(finals[name]))


@functools.lru_cache(maxsize=1)
def _beam_log_probs():
    from .. import lm
    from ..decoding import LMScorer, beam_search
    scorer = LMScorer(lm.load("best"), BEAM_PROMPT)
    return [beam_search(scorer, width, BEAM_LENGTH)[0].log_prob for width in BEAM_WIDTHS]


def _least_repetitive():
    from .. import lm
    from ..decoding import LMScorer, beam_search, greedy_decode, repetition, sample_decode
    scorer = LMScorer(lm.load("best"), BEAM_PROMPT)
    shares = {"greedy": repetition(greedy_decode(scorer, BEAM_LENGTH).tokens),
              "beam search": repetition(beam_search(scorer, 3, BEAM_LENGTH)[0].tokens),   # the dashboard's width
              "sampling": np.mean([repetition(sample_decode(scorer, BEAM_LENGTH, rng=seed).tokens)
                                   for seed in range(5)])}
    return min(shares, key=shares.get)


register_prediction(
    "10.zero-weights-p", question="each class's probability with zero weights, to 2 decimals",
    kind="share", tol=0.01, answer=lambda: float(softmax(np.zeros(3))[0]),
    explain="zero weights give every class the logit 0, and equal logits share the probability equally: 1/3 each.")
register_prediction(
    "10.zero-weights-loss", question="the training loss with zero weights, in nats to 2 decimals",
    kind="number", tol=0.01, answer=lambda: float(cross_entropy(np.zeros((1, 3)), [0])),
    explain="every target gets p = 1/3, so every example costs -log(1/3) = log 3 = 1.10 nats.")
register_prediction(
    "10.not-good", question="the class the trained model gives 'the film was not good'",
    kind="choice", choices=("negative", "neutral", "positive"), answer=lambda: _sentiment_of("the film was not good"),
    explain="'not' is the most negative word of the training sentences ('would not recommend'), and 'good' "
            "occurs there only in neutral ones ('neither good nor bad').")
register_prediction(
    "10.not-bad-at-all", question="the class the trained model gives 'the soup was not bad at all'",
    kind="choice", choices=("negative", "neutral", "positive"),
    answer=lambda: _sentiment_of("the soup was not bad at all"),
    explain="'at' and 'all' occur in the training sentences almost only in the positive phrase 'not bad at all', "
            "and together they outvote 'not': the model learned a phrase, not a negation.")
register_prediction(
    "10.circle-template", question="the circle's weights look like 'picture' (of a circle) or 'difference' "
                                   "(between the circle and the other shapes)?",
    kind="choice", choices=("picture", "difference"), answer=_circle_template_looks_like,
    explain="a weight only matters where the classes differ: a pixel every shape covers cannot tell them apart.")
register_prediction(
    "10.cold-runs-on-best-arm", question="at the coldest T, in how many of the 20 runs the last pull is the best arm",
    kind="count", tol=2, answer=_cold_runs_on_best_arm,
    explain="the player is greedy: each run locks onto whichever arm looked best after a few noisy pulls, and in "
            "most runs that is not the best one.")
register_prediction(
    "10.hot-regret-per-pull", question="at the hottest T, the regret added per pull, to 2 decimals",
    kind="number", tol=0.02, answer=_hot_regret_per_pull,
    explain="softmax(payouts / T) is nearly uniform there, so the average pull pays about the mean of the "
            "payouts, far below the best arm's.")
register_prediction(
    "10.annealed-best-median", question="which annealed start has the best median run: 'coldest', 'middle' or "
                                        "'hottest'?",
    kind="choice", choices=tuple(ANNEALED_STARTS), answer=lambda: _best_annealed(np.median),
    explain="cooling early pays off in a typical run: it stops exploring soon, and usually on the right arm.")
register_prediction(
    "10.annealed-best-worst", question="which annealed start has the best worst run: 'coldest', 'middle' or "
                                       "'hottest'?",
    kind="choice", choices=tuple(ANNEALED_STARTS), answer=lambda: _best_annealed(np.max),
    explain="only the slow cooling keeps exploring long enough to rescue an unlucky start.")
register_prediction(
    "10.wider-beam", question="from width 1 to 2, 3 and 4, does each wider beam find a more probable "
                              "continuation of 'the dog'? (yes or no)",
    kind="yesno", answer=lambda: bool(np.all(np.diff(_beam_log_probs()) > 0)),
    explain="here each width finds a more probable 16 words; beam search does not guarantee it in general.")
register_prediction(
    "10.least-repetitive", question="which decoder repeats itself least: 'greedy', 'beam search' or 'sampling'?",
    kind="choice", choices=("greedy", "beam search", "sampling"), answer=_least_repetitive,
    explain="the most probable text under this model is one short sentence again and again; samples wander off it.")
