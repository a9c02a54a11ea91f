"""Lesson 02: checking a temperature (or a function that finds one) for a stated maximum probability."""

import numbers

import numpy as np

from ..functions import entropy, softmax
from ._answers import Question, judge_answer, register_answer
from ._machinery import (
    NEG_INF,
    Case,
    CheckResult,
    as_number,
    finish,
    guarded,
    plain,
    run_battery,
    safe_repr,
    to_float_array,
)
from .predict import register_prediction

# --------------------------------------------------------------------------------------------
# Lesson 02: the temperature that gives a stated maximum probability
# --------------------------------------------------------------------------------------------

def _max_prob(logits, temperature):
    """The largest probability of softmax(logits / T), or None where softmax refuses (z / T overflows)."""
    try:
        with np.errstate(all="ignore"):
            return float(np.max(softmax(logits, temperature=temperature)))
    except (ValueError, OverflowError):
        return None


def _temperature_verdict(T, logits, target, tol, searching=False):
    """Judge one temperature. Returns (ok, what it gives, hint)."""
    if isinstance(T, np.ndarray) and T.size == 1:
        T = T.item()
    if isinstance(T, bool) or not isinstance(T, numbers.Real):
        return False, safe_repr(T, 80), "the answer is a single positive number, the temperature T (e.g. 0.73)."
    number = as_number(T)
    if number is None:
        return False, f"T = {safe_repr(T, 40)}", ("that number is too large for a float: the answer is a "
                                                  "temperature of ordinary size (e.g. 0.73).")
    T = number
    if not np.isfinite(T):
        return False, f"T = {T}", ("the search produced a number that is not finite: if it calls a softmax "
                                   "that overflows, use softmax_lab.softmax(z, temperature=T), which is stable.")
    if T <= 0:
        return False, f"T = {T:.6g}", "a temperature must be > 0: softmax divides the logits by T."
    got = _max_prob(logits, T)
    if got is None:
        return False, f"T = {T:.6g}", (f"T = {T:.3g} is so extreme that z / T does not fit in a float: the "
                                       "temperature that gives a stated probability is of ordinary size.")
    text = f"T = {T:.6g} gives max probability {got:.6f}"
    if abs(got - target) <= tol:
        return True, text, ""
    with np.errstate(all="ignore"):
        scaled = np.asarray(logits, dtype=np.float64) * T
    # only where z * T still fits (a huge T would overflow it: no "multiplied" mistake to recognise then)
    multiplied = _max_prob(scaled, 1.0) if not np.isposinf(scaled).any() and not np.isnan(scaled).any() else None
    if multiplied is not None and abs(multiplied - target) <= tol:
        return False, text, ("that T would be right if softmax MULTIPLIED the logits by T, but it divides "
                             "them: softmax(z / T). Try 1 / T.")
    if T == target:
        return False, text, ("that is the target probability itself: the answer is the TEMPERATURE T at "
                             "which the largest probability equals the target.")
    if searching and abs(got - target) <= 5 * tol:
        return False, text, (f"close, but not within {tol:g} of the target: the search stopped too early. "
                             "Each bisection step halves the bracket: run more steps (60 are plenty), and "
                             "return the middle of the final bracket.")
    if searching and _bracket_end(T) and (got > target) == (T > 1) and not (T <= 2e-3 or T >= 500):
        return False, text, (f"T = {T:.3g} looks like an end of your search bracket, and the answer lies beyond "
                             "it: start from a wider bracket (temperatures span powers of ten: lo, hi = 1e-3, 1e3), "
                             "and bisect on a log scale, mid = np.sqrt(lo * hi).")
    if searching and (T <= 2e-3 or T >= 500):
        return False, text, (f"T = {T:.3g} is at the very end of a usual search bracket: the search only ever "
                             "moved one way. Check the update: if softmax(z, temperature=mid).max() is ABOVE "
                             "the target, the distribution is too sharp and the answer is above mid (lo = mid); "
                             "otherwise it is below mid (hi = mid).")
    if got > target:
        return False, text, ("that T is too low: the distribution is still too sharp. Raising T flattens "
                             "it; the largest probability falls steadily as T grows, so bisection works: "
                             "if softmax(z, temperature=mid).max() is too high, the answer is above mid.")
    return False, text, ("that T is too high: the distribution is too flat. Lowering T sharpens it; the "
                         "largest probability rises steadily as T falls, so bisection works: if "
                         "softmax(z, temperature=mid).max() is too low, the answer is below mid.")


def _tolerance(tol, default):
    """``tol`` as a finite number >= 0 (``default`` for None), or None when it is not one."""
    if tol is None:
        return default
    value = None if isinstance(tol, (bool, np.bool_)) else as_number(tol)
    return value if value is not None and 0 <= value < float("inf") else None


def _temperature_range(z):
    """The largest probability over all T > 0 lies strictly between these two numbers.

    As T grows it falls towards 1 / (number of unmasked tokens); as T shrinks towards 0 it rises
    towards 1 / (number of tokens tied for the largest logit).
    """
    finite = z[np.isfinite(z)]
    return 1.0 / finite.size, 1.0 / np.count_nonzero(finite == finite.max())


_TEMPERATURE_CASES = [
    ("three logits, target 0.5", [2.0, 1.0, 0.1], 0.5, "basic"),
    ("a sharp target: 0.95 needs T < 1", [2.0, 1.0, 0.1], 0.95, "basic"),
    ("a flat target: 0.4 needs T > 1", [2.0, 1.0, 0.1], 0.4, "basic"),
    ("one clear favourite among four", [3.0, 0.0, 0.0, 0.0], 0.5, "basic"),
    ("large logits (a naive softmax overflows here)", [1000.0, 999.0, 998.0], 0.8, "overflow"),
    ("a masked token never gets any probability", [4.0, 2.0, NEG_INF], 0.75, "mask"),
]


def _random_temperature_cases(seed=2):
    """Randomised cases (seeded): targets whose temperature lies far from 1, at about 0.02 and about 100,
    outside the bracket a learner might guess (0.1 to 10)."""
    rng = np.random.default_rng(seed)
    out = []
    for T, K in ((float(np.exp(rng.uniform(np.log(0.015), np.log(0.04)))), int(rng.integers(4, 7))),
                 (float(np.exp(rng.uniform(np.log(60.0), np.log(150.0)))), int(rng.integers(5, 9)))):
        z = np.round(rng.normal(0.0, 2.0, size=K), 2)
        top = int(np.argmax(z))
        z[(top + 1) % K] = z[top] - 0.1                      # a close runner-up: even a low T leaves it a share
        z = np.round(z, 2)
        p = round(float(np.max(softmax(z, temperature=T))), 4)
        out.append((f"random: {K} logits, target {p} (a temperature far from 1)", [float(v) for v in z], p,
                    "random"))
    return out


def _bracket_end(T):
    """Is ``T`` a round number such as a search bracket ends on (0.1, 10, 1e3, 5, 0.05 ...)?"""
    if not T > 0:
        return False
    mantissa = T / 10.0 ** np.floor(np.log10(T))
    return any(abs(mantissa - m) < 1e-6 * m for m in (1.0, 2.0, 5.0, 10.0))


def _check_temperature_function(fn, tol):
    """Run ``fn(logits, target) -> T`` on the battery of temperature cases."""
    cases = [Case(what, (np.array(z), p), p, tag, shown=f"a T whose largest probability is {p}")
             for what, z, p, tag in _TEMPERATURE_CASES + _random_temperature_cases()]

    def verdict(case, got):
        z, p = case.args
        return _temperature_verdict(got.item() if got.size == 1 else got, z, p, tol, searching=True)

    def check(case, got):
        ok, text, _ = verdict(case, got)
        return ok, f"  ({text})" if got.size == 1 else ""

    def hint_for(case, got, outcome):
        if outcome.warnings:
            return ("the search ran into an overflow (numpy warned), so its comparisons were "
                    "meaningless: use softmax_lab.softmax(z, temperature=T), which subtracts the "
                    "maximum first, instead of computing exp(z / T) yourself.")
        return verdict(case, got)[2]

    return run_battery("check_temperature_answer", fn, cases, hint_for, check=check)


@guarded("check_temperature_answer")
def check_temperature_answer(answer, logits=None, target=None, tol=None):
    r"""Check a temperature that should give a stated maximum probability.

    Two ways to use it:

    * ``check_temperature_answer(T, logits, target)``: is the largest probability of
      ``softmax(logits, temperature=T)`` equal to ``target``, within ``tol`` (default 0.01,
      close enough for a value read off a slider)? Lesson 02's question (logits 2.0, 1.0, 0.1 and
      target 0.8) is also ``check_answer("02.temperature-for-0.8", T)``.
    * ``check_temperature_answer(find_temperature)``: runs the learner's function
      ``find_temperature(logits, target) -> T`` on a battery of cases (default ``tol`` 1e-3).

    Parameters
    ----------
    answer : float or callable
        The temperature (``None`` while not attempted), or a function that finds it.
    logits : array_like, optional
        1-D logits; needed with a number, ignored with a function.
    target : float, optional
        The stated maximum probability; needed with a number, ignored with a function.
    tol : float, optional
        Allowed error on the maximum probability.

    Returns
    -------
    CheckResult

    Notes
    -----
    The largest probability

    .. math:: \max_i \mathrm{softmax}(z / T)_i = \Big(\sum_j e^{-(z_{\max} - z_j)/T}\Big)^{-1}

    falls steadily from :math:`1/n_{\mathrm{tied}}` (as :math:`T \to 0`) to :math:`1/K` (as
    :math:`T \to \infty`), so exactly one T gives each target in between, and bisection finds it.

    Examples
    --------
    >>> check_temperature_answer(1.0, [2.0, 1.0, 0.1], 0.659).passed
    ✔ check_temperature_answer: T = 1 gives max probability 0.659001 (target 0.659). Well done!
    True
    >>> check_temperature_answer(None, [2.0, 1.0, 0.1], 0.5).attempted
    … check_temperature_answer: not attempted yet: put your temperature in place of None, then run this check again.
    False
    """
    name = "check_temperature_answer"
    answer, tol = plain(answer), plain(tol)
    t = _tolerance(tol, 1e-3 if callable(answer) else 0.01)
    if t is None:
        return finish(CheckResult(name, False,
                                  f"✘ {name}: tol must be a small positive number, got {safe_repr(tol, 60)}.",
                                  hint="leave tol out (the default is fine), or pass e.g. tol=0.01."))
    if callable(answer):
        return _check_temperature_function(answer, t)
    if answer is None:
        return finish(CheckResult(
            name, False,
            f"… {name}: not attempted yet: put your temperature in place of None, then run this check again.",
            attempted=False,
        ))
    logits, target = plain(logits), plain(target)
    z = None if logits is None or isinstance(logits, str) else to_float_array(logits)
    usable = (z is not None and z.ndim == 1 and z.size > 0 and not np.isnan(z).any()
              and not np.isposinf(z).any() and np.isfinite(z).any())
    goal = None if isinstance(target, (bool, np.bool_)) else as_number(target)
    if not usable or goal is None or not np.isfinite(goal):
        return finish(CheckResult(
            name, False, f"✘ {name}: to check a number, pass the logits (1-D, finite or -inf) and the target.",
            hint=("call check_temperature_answer(T, logits, target), "
                  "e.g. check_temperature_answer(0.8, [2.0, 1.0, 0.1], 0.7)."),
        ))
    return judge_answer(_temperature_question(None, name, z, goal, t), answer)


def _temperature_question(key, name, z, goal, t):
    """A typed temperature, judged by the largest probability it gives."""
    def judge(T):
        ok, text, hint = _temperature_verdict(T, z, goal, t)
        if ok:
            return True, f"{text} (target {goal:g})", ""
        low, high = _temperature_range(z)
        if not low < goal < high:
            hint = (f"no temperature can give {goal:g} here: the largest probability always lies between "
                    f"{low:.4g} (T very large) and {high:.4g} (T close to 0).")
        return False, f"{text}, but the target is {goal:g} (± {t:g})", hint

    return Question(key, name, f"the temperature whose largest probability is {goal:g}", "number", judge=judge,
                    precision=f"a temperature T > 0 whose largest probability is within {t:g} of {goal:g}")


def _register_questions():
    z, goal, t = np.array(_CAT), 0.8, 0.01
    q = _temperature_question("02.temperature-for-0.8", "check_temperature_answer", z, goal, t)
    register_answer(q.key, q.name, q.question, judge=q.judge, precision=q.precision)
    register_answer(
        "02.scaling-top-word", name="scaling and the top word", kind="yesno", answer=False,
        question="can multiplying all logits by 5 change which word is most likely?",
        hint="Multiplying by 5 multiplies every difference by 5: the largest logit stays the largest.")


# --------------------------------------------------------------------------------------------
# Lesson 02: the answers to the "Predict first" prompts (revealed by predict(...))
# --------------------------------------------------------------------------------------------

_CAT = np.array([2.0, 1.0, 0.1])          # mat, floor, roof


def _bisect_temperature(logits, target):
    lo, hi = 1e-3, 1e3
    for _ in range(80):
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if softmax(logits, temperature=mid).max() > target else (lo, mid)
    return float(mid)


def _mat_at(T):
    return float(softmax(_CAT, temperature=T)[0])


def _steepest_entropy_temperature():
    """The T at which the entropy of softmax(_CAT / T) changes fastest per step of log T."""
    log_T = np.linspace(np.log(0.01), np.log(100.0), 2001)
    H = np.array([entropy(softmax(_CAT, temperature=T)) for T in np.exp(log_T)])
    return float(np.exp(log_T[np.argmax(np.gradient(H, log_T))]))


def _range_of(T):
    return "below 0.1" if T < 0.1 else "from 0.1 to 1" if T < 1 else "from 1 to 10" if T < 10 else "above 10"


register_prediction(
    "02.mat-at-T4", question="mat's share at T = 4, to 2 decimals",
    kind="share", tol=0.01, answer=lambda: _mat_at(4.0),
    explain="0.42: T = 4 divides every difference by 4, so mat keeps the top place but loses its majority.")
register_prediction(
    "02.limit-small-T", question="as T shrinks towards 0: 'all on mat', 'one third each' or 'unchanged'?",
    kind="choice", choices=("all on mat", "one third each", "unchanged"),
    answer=lambda: "all on mat" if _mat_at(0.01) > 0.999 else "unchanged",
    explain="the differences (z_i - z_j) / T grow without bound: the top word takes everything (the argmax).")
register_prediction(
    "02.limit-large-T", question="as T grows without bound: 'all on mat', 'one third each' or 'unchanged'?",
    kind="choice", choices=("all on mat", "one third each", "unchanged"),
    answer=lambda: "one third each" if abs(_mat_at(1e4) - 1 / 3) < 1e-3 else "unchanged",
    explain="every z_i / T goes to 0: the distribution becomes uniform, 1/K for each of the K words.")
register_prediction(
    "02.half-T", question="the temperature at which mat drops to one half, to 1 decimal",
    kind="number", tol=0.1, answer=lambda: _bisect_temperature(_CAT, 0.5),
    explain="about T = 2.02: above 1, since the distribution must get flatter to bring mat down from 0.66.")
register_prediction(
    "02.entropy-T100", question="the entropy at T = 100, in nats, to 2 decimals",
    kind="number", tol=0.01, answer=lambda: float(entropy(softmax(_CAT, temperature=100.0))),
    explain="almost exactly log 3 = 1.0986, the largest entropy 3 words can have: at T = 100 they are nearly uniform.")
register_prediction(
    "02.first-below-1pct", question="lowering T from 1: which word is the first to fall below 1%? (mat, floor, roof)",
    kind="choice", choices=("mat", "floor", "roof"),
    answer=lambda: ("mat", "floor", "roof")[int(np.argmin(softmax(_CAT, temperature=0.42)))],
    explain="roof, the lowest logit, shrinks fastest: it falls below 1% at about T = 0.42.")
register_prediction(
    "02.entropy-steepest", question="where the entropy changes fastest along the log-scale slider: 'below 0.1', "
                                   "'from 0.1 to 1', 'from 1 to 10' or 'above 10'?",
    kind="choice", choices=("below 0.1", "from 0.1 to 1", "from 1 to 10", "above 10"),
    answer=lambda: _range_of(_steepest_entropy_temperature()),
    explain="near T = 0.5: far below the distribution is already one-hot, far above already nearly uniform.")
register_prediction(
    "02.B-accuracy", question="model B's accuracy compared with A's: 'higher', 'the same' or 'lower'?",
    kind="choice", choices=("higher", "the same", "lower"),
    answer=lambda: "the same" if (np.argmax(5.0 * _CAT) == np.argmax(_CAT)) else "lower",
    explain="multiplying by 5 keeps the order of the logits, so B picks the same answer as A for every question.")


_register_questions()
