r"""Self-checks for the notebook exercises: run a learner's function, explain what went wrong.

Each ``check_*`` function runs the learner's code on a battery of cases (small and ordinary
first, then batches, huge logits, ``-inf`` masks and float32), compares the answers with
``softmax_lab``'s own functions, and prints friendly feedback. At the FIRST failing case it
shows what was passed, what was expected, what came back, and a hint aimed at the likely
mistake. It returns a :class:`CheckResult` (``.passed``, ``.message``, ``.hint``).

A check never raises. That is the point of this module: an exception raised by the learner's
code is caught and reported (type, message and a hint), numpy's overflow warnings raised
inside the learner's code are recorded and reported, and an exercise that is not attempted
yet (its body still ``raise NotImplementedError``, or it returns ``None``) prints a nudge, so
that a notebook still runs from top to bottom. Nothing else anywhere in softmax_lab swallows
exceptions.

Examples
--------
>>> import numpy as np
>>> from softmax_lab import softmax
>>> def my_softmax(z):
...     raise NotImplementedError
>>> result = check_softmax(my_softmax)
… check_softmax: not attempted yet: replace `raise NotImplementedError` in my_softmax with your code, then run its cell and this check again.
>>> result.passed
False
>>> check_softmax(softmax).passed
✔ check_softmax: all 10 cases passed. Well done!
True
"""

import inspect
import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np

from .functions import log_softmax, logsumexp, naive_softmax, sigmoid, softmax
from .losses import cross_entropy_grad
from .sampling import filter_top_p

__all__ = [
    "CheckResult",
    "check_answer",
    "check_softmax",
    "check_log_softmax",
    "check_logsumexp",
    "check_temperature_answer",
    "check_sigmoid",
    "check_output_layer",
    "OUTPUT_LAYER_QUESTIONS",
    "check_cross_entropy_grad",
    "check_top_p",
]

# --------------------------------------------------------------------------------------------
# Hints used by several checks
# --------------------------------------------------------------------------------------------

MAX_SHIFT_HINT = (
    "subtract the maximum before exp: softmax(z) equals softmax(z - max(z)), and exp of a "
    "number <= 0 is at most 1, so it can never overflow (and the largest term is exactly 1, "
    "so the sum can never underflow to 0)."
)
AXIS_HINT = (
    "sum along the last axis, keepdims: np.sum(e, axis=-1, keepdims=True). Each row is one "
    "prediction and must sum to 1 on its own; axis=-1 works for any number of dimensions."
)
ROW_MAX_HINT = (
    "subtract each row's own maximum, np.max(z, axis=-1, keepdims=True). One maximum for the "
    "whole batch is far too large for a row of small logits, whose exponentials then all "
    "underflow to 0 (and 0 / 0 is NaN)."
)
WARNING_HINT = (
    "the numbers came out right, but numpy warned while computing them: some intermediate value "
    "overflowed or was invalid. Make every step safe: exp only ever sees numbers <= 0 (subtract "
    "the maximum first), and remember that np.where computes both of its branches."
)
MASK_HINT = (
    "a logit of -inf is a mask: exp(-inf) is 0, so that entry gets probability 0 without any "
    "special case. Subtract the maximum of the row (which is finite), not something that can "
    "be -inf or inf itself."
)


# --------------------------------------------------------------------------------------------
# The result object
# --------------------------------------------------------------------------------------------

@dataclass
class CheckResult:
    """The outcome of one check.

    Attributes
    ----------
    name : str
        The check that ran, e.g. ``"check_softmax"``.
    passed : bool
        True when every case passed. ``bool(result)`` is the same.
    message : str
        The full feedback (what was passed, expected and returned at the first failing case).
    hint : str
        A hint aimed at the likely mistake ("" when passed).
    attempted : bool
        False while the exercise still raises ``NotImplementedError`` or returns ``None``.
    failed_case : int or None
        The 1-based number of the first failing case.
    n_cases : int
        How many cases the battery has.
    """

    name: str
    passed: bool
    message: str
    hint: str = ""
    attempted: bool = True
    failed_case: int | None = None
    n_cases: int = 0

    def __bool__(self):
        return self.passed

    def __str__(self):
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"

    def __repr__(self):
        if self.passed:
            status = "passed"
        elif not self.attempted:
            status = "not attempted yet"
        elif self.failed_case is not None:
            status = f"failed at case {self.failed_case} of {self.n_cases}"
        else:
            status = "failed"
        return f"<CheckResult {self.name}: {status}>"


def _finish(result):
    """Print the feedback and hand the result back."""
    print(str(result))
    return result


def _nudge(name, label):
    return CheckResult(
        name, False,
        f"… {name}: not attempted yet: replace `raise NotImplementedError` in {label} with your "
        "code, then run its cell and this check again.",
        attempted=False,
    )


def _passed(name, n_cases):
    return CheckResult(name, True, f"✔ {name}: all {n_cases} cases passed. Well done!", n_cases=n_cases)


# --------------------------------------------------------------------------------------------
# A single answer: a number, a few numbers, a word
# --------------------------------------------------------------------------------------------

def _answers_match(answer, expected, tol):
    """Is ``answer`` right? Words ignore case and spaces; numbers and arrays allow ``tol``."""
    if isinstance(expected, str):
        return isinstance(answer, str) and answer.strip().lower() == expected.strip().lower()
    if isinstance(expected, (bool, np.bool_)):
        return isinstance(answer, (bool, np.bool_)) and bool(answer) == bool(expected)
    if isinstance(answer, (str, bool, np.bool_)):
        return False
    got = _to_float_array(answer)
    want = np.asarray(expected, dtype=np.float64)
    return got is not None and got.shape == want.shape and bool(
        np.allclose(got, want, rtol=tol, atol=tol, equal_nan=False))


def check_answer(answer, expected, name="your answer", hint="", tol=1e-3):
    """Check one answer to a question: a number, an array of numbers, a word, or True/False.

    Parameters
    ----------
    answer : object
        What the learner wrote; ``None`` while not attempted.
    expected : float, array_like, str or bool
        The right answer. Numbers match within ``tol`` (relative and absolute), so 1/3 may be
        written 0.333; words match ignoring case and surrounding spaces.
    name : str
        How the question is called in the feedback.
    hint : str
        Shown when the answer is wrong (the right answer itself is never printed).
    tol : float, default 1e-3

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> check_answer(0.25, expected=1 / 4, name="equal logits").passed
    ✔ equal logits: right!
    True
    >>> check_answer(0.3, expected=0.25, name="equal logits", hint="They add up to 1.").hint
    ✘ equal logits: 0.3 is not right yet.
      hint: They add up to 1.
    'They add up to 1.'
    >>> check_answer(None, expected=0.25, name="equal logits").attempted
    … equal logits: not attempted yet: replace None with your answer, then run this check again.
    False
    """
    if answer is None:
        return _finish(CheckResult(
            name, False, f"… {name}: not attempted yet: replace None with your answer, then run this check again.",
            attempted=False, n_cases=1))
    if _answers_match(answer, expected, tol):
        return _finish(CheckResult(name, True, f"✔ {name}: right!", n_cases=1))
    shown = _show(answer) if isinstance(answer, (np.ndarray, float)) else repr(answer)
    return _finish(CheckResult(
        name, False, f"✘ {name}: {shown:.200} is not right yet.",
        hint=hint or "look again at the question, and at what the cells above show.",
        failed_case=1, n_cases=1))


# --------------------------------------------------------------------------------------------
# Running the learner's code
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Case:
    """One test case: what it shows, the arguments, the right answer, and a tag for hints."""

    what: str
    args: tuple
    expected: object
    tag: str
    rtol: float = 1e-6
    atol: float = 1e-9
    shown: str | None = None      # how to show the expected answer, when it is not an array


@dataclass
class _Outcome:
    value: object = None
    error: BaseException | None = None
    warnings: list = field(default_factory=list)
    mutated: bool = False


def _call(fn, args):
    """Call the learner's ``fn(*args)`` on copies of the arguments, recording everything.

    numpy's floating-point problems (overflow, invalid, divide by zero) are turned into
    warnings and recorded, so the feedback is the same in a notebook and under pytest (where
    RuntimeWarnings are errors). Underflow is normal and is not reported.
    """
    copies = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    outcome = _Outcome()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
            try:
                outcome.value = fn(*copies)
            except Exception as exc:  # the learner's code failed: reporting it is our job
                outcome.error = exc
    outcome.warnings = sorted({str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)})
    outcome.mutated = any(
        isinstance(a, np.ndarray) and not np.array_equal(a, c, equal_nan=True) for a, c in zip(args, copies)
    )
    return outcome


def _label(fn):
    return getattr(fn, "__name__", None) or type(fn).__name__


def _show(x):
    """A value as the learner could type it back, e.g. ``np.array([1000., 999.])``.

    Arrays go on one line when that stays short, else one row per line.
    """
    if isinstance(x, np.ndarray) and x.ndim == 0:
        return _show(float(x)) if x.dtype.kind == "f" else repr(x.item())
    if isinstance(x, np.ndarray):
        with np.printoptions(precision=6, floatmode="maxprec", suppress=False, threshold=40):
            text = "np." + repr(x)
        text = text.replace("dtype=float32", "dtype=np.float32").replace("dtype=float16", "dtype=np.float16")
        lines = [line.rstrip() for line in text.splitlines() if line.strip()]
        one_line = " ".join(line.strip() for line in lines)
        if len(one_line) <= 90:
            return one_line
        return ("\n" + " " * 16).join(lines)       # rows aligned under "  expected:  np."
    if isinstance(x, float):
        return f"{x:.10g}"
    return repr(x)


def _show_args(args):
    return ", ".join(_show(a) for a in args)


def _to_float_array(value):
    """The learner's answer as a float array, or None if it is not an array of numbers."""
    try:
        a = np.asarray(value)
        if a.dtype.kind == "c":      # complex: a float cast would drop the imaginary part (with a warning)
            return None
        a = a.astype(np.float64, copy=False)
    except (TypeError, ValueError):  # the learner returned a string, a ragged list, ...
        return None
    return a


def _close(got, expected, rtol, atol):
    """Same shape, same non-finite entries (-inf masks), finite entries close."""
    if got.shape != expected.shape:
        return False
    if not np.array_equal(np.isnan(got), np.isnan(expected)):
        return False
    if not np.array_equal(np.isinf(got) & (got > 0), np.isposinf(expected)):
        return False
    if not np.array_equal(np.isneginf(got), np.isneginf(expected)):
        return False
    fin = np.isfinite(expected)
    return bool(np.allclose(got[fin], expected[fin], rtol=rtol, atol=atol))


def _matches(got, candidate):
    """Does the learner's answer equal a known wrong answer (NaN where it has NaN)?"""
    return candidate is not None and _close(got, np.asarray(candidate, dtype=np.float64), 1e-5, 1e-8)


def _exception_hint(exc, label):
    """A hint for an exception raised by the learner's code."""
    text = str(exc)
    if isinstance(exc, TypeError) and ("argument" in text or "positional" in text):
        return (f"check the signature of {label}: it is called with the arguments shown above "
                "(see the exercise's description).")
    if "broadcast" in text:
        return ("shapes did not line up: reduce with keepdims=True (e.g. np.max(z, axis=-1, "
                "keepdims=True)) so the result broadcasts back against each row.")
    if "axis" in text:
        return "the class axis is the LAST one: use axis=-1, which works for any number of dimensions."
    if isinstance(exc, (AttributeError, TypeError)) and "list" in text:
        return "turn the input into an array first: z = np.asarray(z, dtype=float)."
    return (f"call {label} on the input shown above in a cell of its own to see the full "
            "traceback, fix that line, then run the check again.")


def _run_battery(name, fn, cases, hint_for, check=None, warning_hint=None):
    """Run ``cases`` through ``fn`` and stop at the first failure.

    ``hint_for(case, got, outcome)`` returns the hint for a wrong answer. ``check(case, got)``
    (optional) replaces the default closeness test and returns (ok, extra text or "").
    ``warning_hint`` is the hint for a right answer reached through a numpy warning.
    """
    label = _label(fn)
    if not callable(fn):
        return _finish(CheckResult(
            name, False,
            f"✘ {name}: expected a function, got {type(fn).__name__} {fn!r:.60}.",
            hint="pass the function itself, without calling it: check(my_function), not check(my_function(z)).",
        ))
    n = len(cases)
    for i, case in enumerate(cases, start=1):
        outcome = _call(fn, case.args)
        untouched = isinstance(outcome.error, NotImplementedError) or (outcome.error is None and outcome.value is None)
        if untouched and i == 1:
            return _finish(_nudge(name, label))
        head = f"✘ {name}: case {i} of {n} failed ({case.what})\n  called:    {label}({_show_args(case.args)})"
        expected_text = f"\n  expected:  {case.shown or _show(np.asarray(case.expected))}"
        if outcome.error is not None:
            exc = outcome.error
            return _finish(CheckResult(
                name, False, f"{head}{expected_text}\n  raised:    {type(exc).__name__}: {exc}",
                hint=_exception_hint(exc, label), failed_case=i, n_cases=n,
            ))
        if outcome.value is None:
            return _finish(CheckResult(
                name, False, f"{head}{expected_text}\n  got:       None",
                hint=f"{label} returned None for this input: is there a path through it without a `return`?",
                failed_case=i, n_cases=n,
            ))
        got = _to_float_array(outcome.value)
        if got is None:
            return _finish(CheckResult(
                name, False, f"{head}{expected_text}\n  got:       {outcome.value!r:.200}",
                hint="return a numpy array of real numbers (or a number), e.g. the result of np.exp(...) / ...",
                failed_case=i, n_cases=n,
            ))
        if check is not None:
            ok, extra = check(case, got)
        else:
            ok, extra = _close(got, np.asarray(case.expected, dtype=np.float64), case.rtol, case.atol), ""
        warned = ""
        if outcome.warnings:
            warned = "\n  numpy warned: " + "; ".join(outcome.warnings)
        if ok and not outcome.warnings and not outcome.mutated:
            continue
        got_text = f"\n  got:       {_show(got)}{extra}{warned}"
        if not ok:
            hint = hint_for(case, got, outcome)
        elif outcome.warnings:
            hint = warning_hint or WARNING_HINT
        else:
            hint = (f"{label} changed the array it was given (an in-place update like z -= ...). "
                    "Work on a new array instead: z = z - np.max(z, axis=-1, keepdims=True).")
            got_text += "\n  (the answer is right, but the input array was modified)"
        return _finish(CheckResult(name, False, head + expected_text + got_text, hint=hint, failed_case=i, n_cases=n))
    return _finish(_passed(name, n))


def _quiet(fn, *args):
    """Evaluate one of our own deliberately naive formulas (used to recognise mistakes)."""
    with np.errstate(all="ignore"):
        return fn(*args)


def _first_matching(got, mistakes, expected):
    """The hint of the first known mistake whose answer equals ``got``, or None.

    A mistake that gives the right answer on this case (the naive softmax on small logits, say)
    says nothing about what went wrong, so it is skipped.
    """
    expected = np.asarray(expected, dtype=np.float64)
    for wrong, hint in mistakes:
        if _matches(got, wrong) and not _matches(expected, wrong):
            return hint
    return None


def _nonfinite(got, expected):
    """Does ``got`` hold NaN or inf where the right answer is finite?"""
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        return bool(np.isnan(got).any())
    return bool((~np.isfinite(got) & np.isfinite(expected)).any() or np.isnan(got).any())


def _shape_hint(got, expected, what="the input"):
    expected = np.asarray(expected)
    if got.shape == expected.shape:
        return None
    if got.ndim == 0 and expected.ndim > 0:
        return f"return one value per entry, an array of shape {expected.shape} like {what}, not a single number."
    if got.shape == expected.shape[:-1] or got.shape == expected.shape[:-1] + (1,):
        return (f"the answer has shape {got.shape} but should keep the shape {expected.shape}: "
                "you returned a reduction (a sum or a maximum per row) instead of using it on "
                "every entry of the row.")
    return f"the answer should have shape {expected.shape} (the shape of {what}), got {got.shape}."


# --------------------------------------------------------------------------------------------
# Lesson 01: softmax
# --------------------------------------------------------------------------------------------

_NEG_INF = -np.inf


def _softmax_cases():
    f32 = np.float32
    raw = [
        ("three logits", np.array([2.0, 1.0, 0.1]), "basic"),
        ("four logits", np.array([1.0, 2.0, 3.0, 4.0]), "basic"),
        ("a batch of 2 predictions (rows): each row sums to 1", np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]), "batch"),
        ("a 3-D batch (batch, sequence, vocabulary): the class axis is the last one",
         np.array([[[0.0, 1.0, 2.0], [3.0, 3.0, 0.0]], [[-1.0, 0.0, 1.0], [5.0, 2.0, 2.0]]]), "batch"),
        ("large logits: exp(1000) overflows", np.array([1000.0, 999.0]), "overflow"),
        ("very negative logits: exp(-1000) underflows to 0", np.array([-1000.0, -1001.0]), "overflow"),
        ("float32 logits near 100: exp(100) overflows float32", np.array([100.0, 99.5, 90.0], dtype=f32), "overflow"),
        ("a batch with one huge row and one very negative row",
         np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -1002.0]]), "row_max"),
        ("-inf masks a token (its probability is exactly 0)", np.array([1.0, 2.0, _NEG_INF]), "mask"),
        ("masked entries in a batch", np.array([[0.0, _NEG_INF, 1.0], [_NEG_INF, 5.0, 5.0]]), "mask"),
    ]
    cases = []
    for what, z, tag in raw:
        tol = dict(rtol=1e-4, atol=1e-6) if z.dtype == f32 else {}
        cases.append(_Case(what, (z,), softmax(z), tag, **tol))
    return cases


def _softmax_mistakes(z):
    """Known wrong answers for softmax(z), each with the hint it deserves."""
    z = np.asarray(z, dtype=np.float64)

    def global_max(z):
        e = np.exp(z - np.max(z))
        return e / np.sum(e, axis=-1, keepdims=True)

    def global_sum(z):
        e = np.exp(z - np.max(z, axis=-1, keepdims=True))
        return e / np.sum(e)

    def first_axis(z):
        e = np.exp(z - np.max(z, axis=0, keepdims=True))
        return e / np.sum(e, axis=0, keepdims=True)

    def no_exp(z):
        return z / np.sum(z, axis=-1, keepdims=True)

    def not_normalised(z):
        return np.exp(z - np.max(z, axis=-1, keepdims=True))

    mistakes = [
        (naive_softmax(z), MAX_SHIFT_HINT),                  # exp(z) / sum, no max shift
        (_quiet(global_sum, z), AXIS_HINT),
        (_quiet(global_max, z), ROW_MAX_HINT),
        (_quiet(no_exp, z), "exponentiate first: softmax is exp(z_i) / sum_j exp(z_j). Dividing the raw "
                            "scores by their sum fails as soon as one is negative."),
        (_quiet(not_normalised, z), "divide by the sum of the exponentials so that the probabilities add up to 1."),
        (_quiet(np.exp, z), "divide by the sum of the exponentials so that the probabilities add up to 1 "
                            "(and subtract the maximum first, for safety)."),
    ]
    if z.ndim > 1:
        mistakes.insert(2, (_quiet(first_axis, z), AXIS_HINT))
    return mistakes


def _softmax_hint(case, got, outcome):
    z = case.args[0]
    shape = _shape_hint(got, case.expected)
    if shape:
        return shape
    known = _first_matching(got, _softmax_mistakes(z), case.expected)
    if known:
        return known
    if _nonfinite(got, case.expected) or outcome.warnings:
        if case.tag == "mask":
            return MASK_HINT
        if case.tag == "row_max":
            return ROW_MAX_HINT
        return MAX_SHIFT_HINT
    if case.tag == "batch" and not np.allclose(np.sum(got, axis=-1), 1.0):
        return AXIS_HINT
    return ("check the two steps: exponentiate each logit (after subtracting the row's maximum), "
            "then divide by the sum of those exponentials along the last axis.")


def check_softmax(fn):
    r"""Check a learner's softmax: ``fn(z)`` with the classes on the last axis.

    Parameters
    ----------
    fn : callable
        The learner's function, called as ``fn(z)`` with a numpy array ``z`` of any shape
        (1-D, 2-D batch, 3-D batch); it must return the probabilities, same shape.

    Returns
    -------
    CheckResult
        Also printed: all passed, or the first failing case with a hint.

    Notes
    -----
    .. math:: \mathrm{softmax}(z)_i = \frac{e^{z_i - m}}{\sum_j e^{z_j - m}}, \qquad m = \max_j z_j

    The cases include logits of 1000 and -1000, float32 logits near 100, a batch whose rows
    need different shifts, and ``-inf`` masks. The answers come from :func:`softmax_lab.softmax`.

    Examples
    --------
    >>> import numpy as np
    >>> def naive(z):
    ...     return np.exp(z) / np.sum(np.exp(z), axis=-1, keepdims=True)
    >>> check_softmax(naive).hint.startswith("subtract the maximum before exp")
    ✘ check_softmax: case 5 of 10 failed (large logits: exp(1000) overflows)
      called:    naive(np.array([1000.,  999.]))
      expected:  np.array([0.731059, 0.268941])
      got:       np.array([nan, nan])
      numpy warned: invalid value encountered in divide; overflow encountered in exp
      hint: subtract the maximum before exp: softmax(z) equals softmax(z - max(z)), and exp of a number <= 0 is at most 1, so it can never overflow (and the largest term is exactly 1, so the sum can never underflow to 0).
    True
    """
    return _run_battery("check_softmax", fn, _softmax_cases(), _softmax_hint)


# --------------------------------------------------------------------------------------------
# Lesson 05: log-sum-exp and log-softmax
# --------------------------------------------------------------------------------------------

ADD_BACK_HINT = ("add the maximum back: log sum_j exp(z_j) = m + log sum_j exp(z_j - m). The shift "
                 "keeps exp safe, but it must be undone outside the log.")
LSE_SHIFT_HINT = ("subtract the maximum before exp and add it back after the log: log sum_j exp(z_j) = "
                  "m + log sum_j exp(z_j - m). Then exp only sees numbers <= 0 (no overflow), and the "
                  "largest term is exactly 1, so the sum is at least 1 and its log is never log(0).")
LOG_OF_SOFTMAX_HINT = ("don't take the log of a softmax: a probability that underflows to 0 becomes "
                       "log(0) = -inf. Compute z - m - log(sum(exp(z - m))) directly, with m the "
                       "row's maximum.")


def _lse_cases():
    f32 = np.float32
    raw = [
        ("three values", np.array([1.0, 2.0, 3.0]), "basic"),
        ("a batch of 2 rows: one result per row", np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]]), "batch"),
        ("a square 2 x 2 batch", np.array([[0.0, 10.0], [1.0, 2.0]]), "batch"),
        ("large values: exp(1000) overflows", np.array([1000.0, 1000.0]), "overflow"),
        ("very negative values: the sum of exp underflows to 0, and log(0) = -inf",
         np.array([-1000.0, -1000.0]), "overflow"),
        ("float32 values near 100", np.array([100.0, 100.0, 95.0], dtype=f32), "overflow"),
        ("-inf contributes nothing", np.array([0.0, _NEG_INF]), "mask"),
        ("a 3-D batch with huge and masked entries",
         np.array([[[1000.0, 0.0], [-1000.0, _NEG_INF]], [[3.0, 3.0], [-5.0, 5.0]]]), "row_max"),
    ]
    return [_Case(what, (z,), logsumexp(z), tag, **(dict(rtol=1e-5, atol=1e-4) if z.dtype == f32 else {}))
            for what, z, tag in raw]


def _lse_mistakes(z):
    z = np.asarray(z, dtype=np.float64)
    m_keep = np.max(z, axis=-1, keepdims=True)
    mistakes = [
        (_quiet(lambda a: np.log(np.sum(np.exp(a), axis=-1)), z), LSE_SHIFT_HINT),
        (_quiet(lambda a: np.log(np.sum(np.exp(a - m_keep), axis=-1)), z), ADD_BACK_HINT),
        (_quiet(lambda a: np.max(a) + np.log(np.sum(np.exp(a - np.max(a)), axis=-1)), z), ROW_MAX_HINT),
    ]
    if z.ndim >= 2 and z.shape[-1] == z.shape[-2]:
        m_flat = np.max(z, axis=-1)          # (..., K) without keepdims, broadcasts along the wrong axis
        mistakes.append((_quiet(lambda a: m_flat + np.log(np.sum(np.exp(a - m_flat), axis=-1)), z),
                         "keepdims=True on the maximum: without it, z - m broadcasts the row maxima "
                         "across the columns instead of down the rows."))
    return mistakes


def _lse_hint(case, got, outcome):
    expected = np.asarray(case.expected)
    if got.shape != expected.shape:
        if got.shape == expected.shape + (1,):
            return (f"return one number per row (shape {expected.shape}; a single number for a 1-D "
                    f"input), not shape {got.shape}: your answer kept the reduced axis. Squeeze it away, "
                    "or reduce without keepdims at the end.")
        if got.shape == np.shape(case.args[0]):
            return "log-sum-exp REDUCES the last axis to one number per row: sum the exponentials along axis=-1."
        return f"the answer should have shape {expected.shape}, got {got.shape}."
    known = _first_matching(got, _lse_mistakes(case.args[0]), expected)
    if known:
        return known
    if _nonfinite(got, expected) or outcome.warnings:
        return MASK_HINT if case.tag == "mask" else LSE_SHIFT_HINT
    return "log-sum-exp is m + log(sum(exp(z - m))) along the last axis, with m = max(z) per row."


def check_logsumexp(fn):
    r"""Check a learner's stable log-sum-exp: ``fn(z)`` reduces the last axis.

    Parameters
    ----------
    fn : callable
        Called as ``fn(z)``; must return ``log(sum(exp(z), axis=-1))`` computed safely, with
        the last axis reduced away (shape ``z.shape[:-1]``; a number for 1-D input).

    Returns
    -------
    CheckResult

    Notes
    -----
    .. math:: \mathrm{LSE}(z) = m + \log \sum_j e^{z_j - m}, \qquad m = \max_j z_j

    Examples
    --------
    >>> import numpy as np
    >>> def lse(z):
    ...     m = np.max(z, axis=-1, keepdims=True)
    ...     return (m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True)))[..., 0]
    >>> check_logsumexp(lse).passed
    ✔ check_logsumexp: all 8 cases passed. Well done!
    True
    """
    return _run_battery("check_logsumexp", fn, _lse_cases(), _lse_hint)


def _log_softmax_cases():
    f32 = np.float32
    raw = [
        ("three logits", np.array([2.0, 1.0, 0.1]), "basic"),
        ("a batch of 2 rows", np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]), "batch"),
        ("a large gap: softmax rounds the second probability to 0, whose log is -inf",
         np.array([1000.0, 0.0]), "overflow"),
        ("very negative logits", np.array([-1000.0, -1001.0, -1002.0]), "overflow"),
        ("float32 logits near 100", np.array([100.0, 99.0, 0.0], dtype=f32), "overflow"),
        ("a batch with one huge row and one very negative row",
         np.array([[1000.0, 999.0], [-1000.0, -1001.0]]), "row_max"),
        ("-inf masks a token (its log-probability is -inf)", np.array([0.0, _NEG_INF, 1.0]), "mask"),
    ]
    return [_Case(what, (z,), log_softmax(z), tag, **(dict(rtol=1e-5, atol=1e-4) if z.dtype == f32 else {}))
            for what, z, tag in raw]


def _log_softmax_hint(case, got, outcome):
    z = np.asarray(case.args[0], dtype=np.float64)
    shape = _shape_hint(got, case.expected)
    if shape:
        return shape
    naive_log = _quiet(np.log, naive_softmax(z))          # log of the unshifted softmax
    mistakes = [(_quiet(np.log, softmax(z)), LOG_OF_SOFTMAX_HINT), (naive_log, MAX_SHIFT_HINT)]
    known = _first_matching(got, mistakes + _lse_shaped_mistakes(z), case.expected)
    if known:
        return known
    if _nonfinite(got, case.expected) or outcome.warnings:
        if case.tag == "mask":
            return MASK_HINT
        return LOG_OF_SOFTMAX_HINT if np.isneginf(got).any() else MAX_SHIFT_HINT
    return "log_softmax(z) = z - logsumexp(z) along the last axis, with keepdims so it broadcasts per row."


def _lse_shaped_mistakes(z):
    """Wrong log-softmaxes built from wrong log-sum-exps (z - LSE with each known mistake)."""
    out = []
    for wrong, hint in _lse_mistakes(z):
        wrong = np.asarray(wrong)
        if wrong.shape == z.shape[:-1]:
            out.append((_quiet(lambda a, w=wrong: a - w[..., None], z), hint))
    m = np.max(z, axis=-1, keepdims=True)
    out.append((_quiet(lambda a: a - m - np.log(np.sum(np.exp(a - m))), z), AXIS_HINT))
    return out


def check_log_softmax(fn):
    r"""Check a learner's log-softmax: ``fn(z)`` with the classes on the last axis.

    Parameters
    ----------
    fn : callable
        Called as ``fn(z)``; must return ``log(softmax(z))`` computed without forming the
        softmax, same shape as ``z``.

    Returns
    -------
    CheckResult

    Notes
    -----
    .. math:: \log \mathrm{softmax}(z)_i = z_i - m - \log \sum_j e^{z_j - m}

    Examples
    --------
    >>> import numpy as np
    >>> def log_of_softmax(z):
    ...     m = np.max(z, axis=-1, keepdims=True)
    ...     e = np.exp(z - m)
    ...     return np.log(e / np.sum(e, axis=-1, keepdims=True))
    >>> check_log_softmax(log_of_softmax).hint.startswith("don't take the log of a softmax")
    ✘ check_log_softmax: case 3 of 7 failed (a large gap: softmax rounds the second probability to 0, whose log is -inf)
      called:    log_of_softmax(np.array([1000.,    0.]))
      expected:  np.array([    0., -1000.])
      got:       np.array([  0., -inf])
      numpy warned: divide by zero encountered in log
      hint: don't take the log of a softmax: a probability that underflows to 0 becomes log(0) = -inf. Compute z - m - log(sum(exp(z - m))) directly, with m the row's maximum.
    True
    """
    return _run_battery("check_log_softmax", fn, _log_softmax_cases(), _log_softmax_hint)


# --------------------------------------------------------------------------------------------
# Lesson 02: the temperature that gives a stated maximum probability
# --------------------------------------------------------------------------------------------

def _max_prob(logits, temperature):
    return float(np.max(softmax(logits, temperature=temperature)))


def _temperature_verdict(T, logits, target, tol):
    """Judge one temperature. Returns (ok, what it gives, hint)."""
    if isinstance(T, np.ndarray) and T.size == 1:
        T = T.item()
    if isinstance(T, bool) or not isinstance(T, numbers.Real):
        return False, f"{T!r:.80}", "the answer is a single positive number, the temperature T (e.g. 0.73)."
    T = float(T)
    if not np.isfinite(T):
        return False, f"T = {T}", ("the search produced a number that is not finite: if it calls a softmax "
                                   "that overflows, use softmax_lab.softmax(z, temperature=T), which is stable.")
    if T <= 0:
        return False, f"T = {T:.6g}", "a temperature must be > 0: softmax divides the logits by T."
    got = _max_prob(logits, T)
    text = f"T = {T:.6g} gives max probability {got:.6f}"
    if abs(got - target) <= tol:
        return True, text, ""
    with np.errstate(over="ignore"):
        multiplied = float(np.max(softmax(np.asarray(logits, dtype=np.float64) * T)))
    if abs(multiplied - target) <= tol:
        return False, text, ("that T would be right if softmax MULTIPLIED the logits by T, but it divides "
                             "them: softmax(z / T). Try 1 / T.")
    if got > target:
        return False, text, ("that T is too low: the distribution is still too sharp. Raising T flattens "
                             "it; the largest probability falls steadily as T grows, so bisection works: "
                             "if softmax(z, temperature=mid).max() is too high, the answer is above mid.")
    return False, text, ("that T is too high: the distribution is too flat. Lowering T sharpens it; the "
                         "largest probability rises steadily as T falls, so bisection works: if "
                         "softmax(z, temperature=mid).max() is too low, the answer is below mid.")


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
    ("a masked token never gets any probability", [4.0, 2.0, _NEG_INF], 0.75, "mask"),
]


def _check_temperature_function(fn, tol):
    """Run ``fn(logits, target) -> T`` on the battery of temperature cases."""
    cases = [_Case(what, (np.array(z), p), p, tag, shown=f"a T whose largest probability is {p}")
             for what, z, p, tag in _TEMPERATURE_CASES]

    def verdict(case, got):
        z, p = case.args
        return _temperature_verdict(got.item() if got.size == 1 else got, z, p, tol)

    def check(case, got):
        ok, text, _ = verdict(case, got)
        return ok, f"  ({text})" if got.size == 1 else ""

    def hint_for(case, got, outcome):
        if outcome.warnings:
            return ("the search ran into an overflow (numpy warned), so its comparisons were "
                    "meaningless: use softmax_lab.softmax(z, temperature=T), which subtracts the "
                    "maximum first, instead of computing exp(z / T) yourself.")
        return verdict(case, got)[2]

    return _run_battery("check_temperature_answer", fn, cases, hint_for, check=check)


def check_temperature_answer(answer, logits=None, target=None, tol=None):
    r"""Check a temperature that should give a stated maximum probability.

    Two ways to use it:

    * ``check_temperature_answer(T, logits, target)``: is the largest probability of
      ``softmax(logits, temperature=T)`` equal to ``target``, within ``tol`` (default 0.01,
      close enough for a value read off a slider)?
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
    if callable(answer):
        return _check_temperature_function(answer, 1e-3 if tol is None else float(tol))
    if answer is None:
        return _finish(CheckResult(
            name, False,
            f"… {name}: not attempted yet: put your temperature in place of None, then run this check again.",
            attempted=False,
        ))
    z = None if logits is None else _to_float_array(logits)
    usable = (z is not None and z.ndim == 1 and z.size > 0 and not np.isnan(z).any()
              and not np.isposinf(z).any() and np.isfinite(z).any())
    if not usable or isinstance(target, bool) or not isinstance(target, numbers.Real):
        return _finish(CheckResult(
            name, False, f"✘ {name}: to check a number, pass the logits (1-D, finite or -inf) and the target.",
            hint="call check_temperature_answer(T, logits, target), e.g. check_temperature_answer(0.8, [2.0, 1.0, 0.1], 0.7).",
        ))
    t = 0.01 if tol is None else float(tol)
    ok, text, hint = _temperature_verdict(answer, z, float(target), t)
    if ok:
        return _finish(CheckResult(name, True, f"✔ {name}: {text} (target {target}). Well done!"))
    low, high = _temperature_range(z)
    if not low < target < high:
        hint = (f"no temperature can give {target} here: the largest probability always lies between "
                f"{low:.4g} (T very large) and {high:.4g} (T close to 0).")
    return _finish(CheckResult(name, False, f"✘ {name}: {text}, but the target is {target} (± {t}).", hint=hint))


# --------------------------------------------------------------------------------------------
# Lesson 03: sigmoid and the choice of output layer
# --------------------------------------------------------------------------------------------

SIGMOID_OVERFLOW_HINT = (
    "exp overflowed: 1 / (1 + exp(-x)) computes exp(1000) when x = -1000, and exp(x) / (1 + exp(x)) "
    "does when x = 1000. Compute e = np.exp(-np.abs(x)) once (it is at most 1) and build both forms "
    "from it: np.where(x >= 0, 1 / (1 + e), e / (1 + e)). np.where computes BOTH branches for every "
    "entry, so each branch must be safe on its own."
)


def _sigmoid_cases():
    f32 = np.float32
    raw = [
        ("three inputs", np.array([0.0, 2.0, -2.0]), "basic"),
        ("a 2-D array: the sigmoid works entry by entry", np.array([[0.5, -0.5], [3.0, -3.0]]), "basic"),
        ("large positive and negative inputs", np.array([-1000.0, 1000.0]), "overflow"),
        ("float32 inputs near 100", np.array([-100.0, 100.0, 0.0], dtype=f32), "overflow"),
        ("-inf gives exactly 0", np.array([_NEG_INF, 0.0]), "mask"),
    ]
    return [_Case(what, (x,), sigmoid(x), tag, **(dict(rtol=1e-5, atol=1e-7) if x.dtype == f32 else {}))
            for what, x, tag in raw]


def _sigmoid_hint(case, got, outcome):
    x = np.asarray(case.args[0], dtype=np.float64)
    shape = _shape_hint(got, case.expected)
    if shape:
        return shape
    known = _first_matching(got, [
        (_quiet(lambda a: 1.0 / (1.0 + np.exp(a)), x), "mind the sign: sigmoid(x) = 1 / (1 + exp(-x)), which is above 0.5 for x > 0."),
        (softmax(x), "that is a softmax over the entries; the sigmoid treats every entry on its own: 1 / (1 + exp(-x))."),
    ], case.expected)
    if known:
        return known
    if _nonfinite(got, case.expected) or outcome.warnings:
        return SIGMOID_OVERFLOW_HINT
    return "sigmoid(x) = 1 / (1 + exp(-x)), entry by entry, the same shape as x."


def check_sigmoid(fn):
    r"""Check a learner's stable sigmoid: ``fn(x)`` entry by entry.

    Parameters
    ----------
    fn : callable
        Called as ``fn(x)`` with an array of any shape; must return :math:`1/(1+e^{-x})`
        without overflow warnings for x = +-1000 (float64) or +-100 (float32).

    Returns
    -------
    CheckResult

    Notes
    -----
    .. math:: \sigma(x) = \frac{1}{1 + e^{-x}} = \frac{e^{x}}{1 + e^{x}}

    Use the first form where x >= 0 and the second where x < 0: both only ever need
    :math:`e^{-|x|} \le 1`.

    Examples
    --------
    >>> import numpy as np
    >>> def stable(x):
    ...     e = np.exp(-np.abs(x))
    ...     return np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    >>> check_sigmoid(stable).passed
    ✔ check_sigmoid: all 5 cases passed. Well done!
    True
    """
    return _run_battery("check_sigmoid", fn, _sigmoid_cases(), _sigmoid_hint,
                        warning_hint="the values are right, but " + SIGMOID_OVERFLOW_HINT)


#: The questions of lesson 03's output-layer quiz: key -> (task, right answers, why).
OUTPUT_LAYER_QUESTIONS = {
    "next_token": (
        "predict the next token of a sentence, from a vocabulary of 50,000 tokens",
        ("softmax",),
        "exactly one token comes next, so the tokens compete for one unit of probability: softmax.",
    ),
    "photo_tags": (
        "tag a holiday photo with every label that applies: beach, sunset, people, dog",
        ("sigmoid",),
        "a photo can show a dog on a beach at sunset: the tags are not exclusive, so each one is "
        "its own yes/no question with its own sigmoid (the probabilities need not sum to 1).",
    ),
    "review_sentiment": (
        "rate a review as negative, neutral or positive",
        ("softmax",),
        "a review gets exactly one of the three ratings, which exclude each other: softmax.",
    ),
    "comment_flags": (
        "flag a comment for insult, threat and spam (any combination, or none)",
        ("sigmoid",),
        "a comment can be an insult AND spam, or nothing at all: independent yes/no flags, one "
        "sigmoid each.",
    ),
    "spam_or_not": (
        "decide whether an email is spam or not spam",
        ("sigmoid", "softmax", "either", "both"),
        "both work: a sigmoid on one logit z is exactly a softmax over the two logits [0, z]. "
        "One logit is the usual, leaner choice.",
    ),
}


def check_output_layer(answers):
    """Check the output-layer quiz: for each task, "softmax" or "sigmoid"?

    Parameters
    ----------
    answers : dict
        Keys from :data:`OUTPUT_LAYER_QUESTIONS`, values ``"softmax"`` or ``"sigmoid"``
        (``None`` while unanswered).

    Returns
    -------
    CheckResult
        The hint explains the first wrong answer.

    Notes
    -----
    The rule behind every answer: softmax when the classes exclude each other (exactly one is
    true), one sigmoid per class when any number of them can be true at once.

    Examples
    --------
    >>> check_output_layer({k: None for k in OUTPUT_LAYER_QUESTIONS}).attempted
    … check_output_layer: not attempted yet: replace each None with "softmax" or "sigmoid", then run this check again.
    False
    """
    name = "check_output_layer"
    n = len(OUTPUT_LAYER_QUESTIONS)
    if not isinstance(answers, dict):
        return _finish(CheckResult(name, False, f"✘ {name}: expected a dict of answers, got {type(answers).__name__}.",
                                   hint='use answers = {"next_token": "softmax", ...}, one entry per question.'))
    if all(answers.get(key) is None for key in OUTPUT_LAYER_QUESTIONS):
        return _finish(CheckResult(
            name, False,
            f'… {name}: not attempted yet: replace each None with "softmax" or "sigmoid", then run this check again.',
            attempted=False, n_cases=n,
        ))
    unknown = [key for key in answers if key not in OUTPUT_LAYER_QUESTIONS]
    if unknown:
        return _finish(CheckResult(name, False, f"✘ {name}: unknown question(s) {unknown}.",
                                   hint=f"the questions are {list(OUTPUT_LAYER_QUESTIONS)}.", n_cases=n))
    for i, (key, (task, right, why)) in enumerate(OUTPUT_LAYER_QUESTIONS.items(), start=1):
        given = answers.get(key)
        if given is None:
            return _finish(CheckResult(name, False, f"✘ {name}: question {key!r} ({task}) is not answered yet.",
                                       hint='answer "softmax" or "sigmoid".', failed_case=i, n_cases=n))
        choice = str(given).strip().lower()
        if choice not in ("softmax", "sigmoid", "either", "both"):
            return _finish(CheckResult(name, False, f"✘ {name}: {key!r}: {given!r} is not one of the choices.",
                                       hint='answer "softmax" or "sigmoid".', failed_case=i, n_cases=n))
        if choice not in right:
            return _finish(CheckResult(
                name, False, f"✘ {name}: {key!r} ({task}): you said {choice}.", hint=why, failed_case=i, n_cases=n))
    return _finish(CheckResult(
        name, True, f"✔ {name}: all {n} answers are right. The rule: softmax when exactly one class is "
                    "true, one sigmoid per class when any number can be. (spam_or_not: "
                    f"{OUTPUT_LAYER_QUESTIONS['spam_or_not'][2]})", n_cases=n))


# --------------------------------------------------------------------------------------------
# Lesson 04: the gradient of the cross-entropy
# --------------------------------------------------------------------------------------------

DIVIDE_BY_N_HINT = ("divide by N, the number of predictions (rows): the loss is the MEAN over the N "
                    "rows, so each row's gradient p - y carries a factor 1/N.")


def _ce_cases():
    f32 = np.float32
    raw = [
        ("one prediction", np.array([[2.0, 1.0, 0.1]]), np.array([0]), "basic"),
        ("a batch of N = 2 predictions over K = 3 classes",
         np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.0]]), np.array([0, 2]), "batch"),
        ("a batch of N = 4 predictions over K = 2 classes",
         np.array([[1.0, -1.0], [0.0, 0.0], [3.0, 1.0], [-2.0, 2.0]]), np.array([0, 1, 1, 1]), "batch"),
        ("large logits: exp(1000) overflows",
         np.array([[1000.0, 999.0, 0.0], [-1000.0, -1001.0, -1002.0]]), np.array([1, 0]), "overflow"),
        ("float32 logits near 100", np.array([[100.0, 99.0, 98.0]], dtype=f32), np.array([2]), "overflow"),
        ("a masked class (-inf) gets gradient 0", np.array([[1.0, 2.0, _NEG_INF]]), np.array([0]), "mask"),
    ]
    return [_Case(what, (z, t), cross_entropy_grad(z, t), tag,
                  **(dict(rtol=1e-4, atol=1e-6) if z.dtype == f32 else {}))
            for what, z, t, tag in raw]


def _ce_mistakes(z, t):
    z = np.asarray(z, dtype=np.float64)
    N, K = z.shape
    p = softmax(z)
    y = np.zeros_like(p)
    y[np.arange(N), t] = 1.0
    naive = naive_softmax(z)                 # exp(z) / sum, no max shift: NaN for huge logits
    return [
        ((p - y) / K if K != N else None, "divide by N, the number of predictions (rows), not by K, the number of classes."),
        (p - y, DIVIDE_BY_N_HINT),
        ((y - p) / N, "mind the sign: the gradient of -log p[target] is p - y (it pushes the target's logit UP "
                      "when you step against it)."),
        (p / N, "subtract the one-hot target: the gradient is (p - y) / N, where y is 1 at the target class."),
        ((naive - y) / N, MAX_SHIFT_HINT),
        (naive - y, MAX_SHIFT_HINT + " (Also divide by N, the number of predictions.)"),
        ((softmax(z, axis=0) - y) / N, "take the softmax of each row (axis=-1): each row is one prediction."),
    ]


def _ce_hint(case, got, outcome):
    z, t = case.args
    expected = np.asarray(case.expected)
    if got.shape != expected.shape:
        if got.shape == expected.shape[-1:]:
            return ("return one gradient per logit, shape (N, K) like the logits: don't sum over the "
                    "batch; the 1/N of the mean goes into every row.")
        return f"the gradient has the shape of the logits, {expected.shape}; got {got.shape}."
    known = _first_matching(got, _ce_mistakes(z, t), expected)
    if known:
        return known
    if _nonfinite(got, expected) or outcome.warnings:
        return MASK_HINT if case.tag == "mask" else MAX_SHIFT_HINT
    return "the gradient of the mean cross-entropy is (softmax(z) - one_hot(targets)) / N."


def check_cross_entropy_grad(fn):
    r"""Check a learner's gradient of the mean cross-entropy with respect to the logits.

    Parameters
    ----------
    fn : callable
        Called as ``fn(logits, targets)`` with logits of shape (N, K) and integer targets of
        shape (N,); must return the gradient of
        ``softmax_lab.cross_entropy(logits, targets)`` (the mean over the N rows), shape (N, K).

    Returns
    -------
    CheckResult

    Notes
    -----
    .. math:: \frac{\partial}{\partial z} \frac{1}{N} \sum_n -\log p_{n, t_n}
              = \frac{1}{N}(p - y), \qquad y = \mathrm{one\_hot}(t)

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_lab import softmax
    >>> def no_mean(z, t):
    ...     g = softmax(z)
    ...     g[np.arange(len(t)), t] -= 1
    ...     return g
    >>> check_cross_entropy_grad(no_mean).hint.startswith("divide by N")
    ✘ check_cross_entropy_grad: case 2 of 6 failed (a batch of N = 2 predictions over K = 3 classes)
      called:    no_mean(np.array([[2. , 1. , 0.1], [0.5, 2.5, 0. ]]), np.array([0, 2]))
      expected:  np.array([[-0.170499,  0.121216,  0.049283], [ 0.055583,  0.410705, -0.466287]])
      got:       np.array([[-0.340999,  0.242433,  0.098566], [ 0.111166,  0.821409, -0.932575]])
      hint: divide by N, the number of predictions (rows): the loss is the MEAN over the N rows, so each row's gradient p - y carries a factor 1/N.
    True
    """
    return _run_battery("check_cross_entropy_grad", fn, _ce_cases(), _ce_hint)


# --------------------------------------------------------------------------------------------
# Lesson 06: top-p (nucleus) filtering
# --------------------------------------------------------------------------------------------

def _nucleus(z, p, rule="reach", ties="index"):
    """Which tokens a top-p rule keeps (a boolean mask), for recognising a learner's mistake.

    ``rule="reach"`` is the right rule (the same as :func:`softmax_lab.sampling.filter_top_p`;
    a test keeps the two in agreement): in order of decreasing probability, keep tokens up to and including the first
    one where the running sum reaches p. The others model typical mistakes: ``"lt"`` keeps
    while the running sum is < p (the token that brings it to exactly p is lost), ``"le"``
    keeps while it is <= p (the token that crosses p is lost), ``"before_le"`` keeps while the
    sum of the tokens BEFORE is <= p (one token too many when p is reached exactly).
    ``ties="reverse"`` puts the higher index first among equal probabilities.
    """
    probs = softmax(z)
    if ties == "index":
        order = np.argsort(-probs, kind="stable")
    else:
        order = np.argsort(probs, kind="stable")[::-1]
    cum = np.cumsum(probs[order])
    if rule == "reach":
        keep_sorted = (cum - probs[order] < p) | (p >= 1.0)
    elif rule == "lt":
        keep_sorted = cum < p
    elif rule == "le":
        keep_sorted = cum <= p
    else:
        keep_sorted = cum - probs[order] <= p
    keep_sorted[0] = True                    # every rule keeps the most probable token
    keep = np.empty_like(keep_sorted)
    keep[order] = keep_sorted
    return keep & np.isfinite(z)


def _top_p_cases():
    f32 = np.float32
    raw = [
        ("a clear favourite: p = 0.5", [3.0, 1.0, 0.5, 0.0], 0.5, 1.0, "basic"),
        ("the token that crosses p is kept", [2.0, 1.5, 1.0, 0.0], 0.6, 1.0, "crossing"),
        ("four equal tokens, p = 0.5: two of them reach 0.5 exactly", [0.0, 0.0, 0.0, 0.0], 0.5, 1.0, "exact"),
        ("four equal tokens, p = 0.75: three of them reach it exactly", [0.0, 0.0, 0.0, 0.0], 0.75, 1.0, "exact"),
        ("a tie at the boundary: lower index first", [0.0, 1.0, 0.0, 1.0, 0.0, 1.0], 0.3, 1.0, "ties"),
        ("temperature T = 0.5 sharpens the distribution BEFORE filtering", [2.0, 1.0, 0.0], 0.8, 0.5, "temperature"),
        ("temperature T = 3 flattens the distribution BEFORE filtering", [2.0, 1.0, 0.0], 0.6, 3.0, "temperature"),
        ("p = 1 keeps every token, even one whose probability rounds to 0",
         [0.0, -40.0, _NEG_INF], 1.0, 1.0, "p_one"),
        ("large logits: exp(1000) overflows", [1000.0, 999.0, 998.0], 0.9, 1.0, "overflow"),
        ("float32 logits near 100", np.array([100.0, 99.0, 95.0], dtype=f32), 0.5, 1.0, "overflow"),
        ("masked tokens stay masked", [1.0, _NEG_INF, 0.5, 2.0], 0.8, 1.0, "mask"),
    ]
    cases = []
    for what, z, p, T, tag in raw:
        z = z if isinstance(z, np.ndarray) else np.array(z)
        args = (z, p) if T == 1.0 else (z, p, T)
        tol = dict(rtol=1e-5, atol=1e-5) if z.dtype == f32 else {}
        cases.append(_Case(what, args, filter_top_p(z / T, p), tag, **tol))
    return cases


def _top_p_parts(case):
    z, p = case.args[:2]
    T = case.args[2] if len(case.args) == 3 else 1.0
    return np.asarray(z, dtype=np.float64), p, T


def _top_p_check(case, got):
    """Right when the same tokens are kept and they hold the tempered logits z / T."""
    expected = np.asarray(case.expected, dtype=np.float64)
    if got.shape != expected.shape:
        return False, ""
    kept_got, kept_exp = np.isfinite(got), np.isfinite(expected)
    text = (f"\n  kept:      tokens {np.flatnonzero(kept_got).tolist()}; "
            f"expected tokens {np.flatnonzero(kept_exp).tolist()}")
    if np.isnan(got).any() or np.isposinf(got).any() or not np.array_equal(kept_got, kept_exp):
        return False, text
    return bool(np.allclose(got[kept_exp], expected[kept_exp], rtol=case.rtol, atol=case.atol)), text


def _top_p_hint(case, got, outcome):
    z, p, T = _top_p_parts(case)
    expected = np.asarray(case.expected, dtype=np.float64)
    if got.shape != expected.shape:
        return (f"return the whole logit vector, shape {expected.shape}, with the removed tokens set to "
                "-inf; don't drop them from the array.")
    if np.isnan(got).any() or outcome.warnings:
        return MAX_SHIFT_HINT
    removed = ~np.isfinite(expected) & np.isfinite(z)
    if removed.any() and not np.isneginf(got[np.isfinite(z)]).any():
        return ("set the removed tokens' logits to -inf (a logit of 0 still has a probability!), and "
                "return logits, not probabilities: the softmax of your result is what gets sampled.")
    kept = np.isfinite(got)
    if not np.array_equal(kept, np.isfinite(expected)):
        if case.tag == "p_one":
            return ("p = 1 keeps every token: rounding can make the running sum reach 1 before the "
                    "last token, so treat p >= 1 as 'keep everything that is not masked'.")
        zt = z / T
        wrong_masks = [
            (_nucleus(z, p),
             "apply the temperature first: the nucleus is chosen from softmax(z / T), the distribution "
             "you will actually sample from. Filtering first and dividing by T afterwards keeps the "
             "wrong tokens."),
            (_nucleus(zt, p, "le"),
             "keep the token that crosses p: the nucleus is the smallest set whose cumulative "
             "probability reaches p, so it includes the token that takes the sum from below p to above it."),
            (_nucleus(zt, p, "lt"),
             "at exactly p, stop: keep tokens until the running sum REACHES p (>= p). With "
             "cumsum < p, the token that brings the sum to exactly p is lost."),
            (_nucleus(zt, p, "before_le"),
             "at exactly p, stop: once the kept tokens add up to exactly p, the set is complete. "
             "Keeping the next token because the sum BEFORE it is <= p keeps one token too many "
             "(use < p there)."),
            (_nucleus(zt, p, ties="reverse"),
             "ties: order equal probabilities by index, lower index first (a stable sort of -probs: "
             "np.argsort(-probs, kind='stable')); reversing an ascending sort puts the higher index first."),
        ]
        for mask, hint in wrong_masks:
            if np.array_equal(kept, mask):
                return hint
        if case.tag == "ties":
            return ("ties: order equal probabilities by index, lower index first: use a stable sort, "
                    "np.argsort(-probs, kind='stable').")
        return ("sort the probabilities of z / T from high to low, add them up, and keep the tokens up to "
                "and including the first one where the running sum reaches p.")
    if T != 1.0 and np.allclose(got[kept], z[kept]):
        return ("the right tokens are kept, but return the TEMPERED logits z / T (with -inf for the removed "
                "ones), so that the softmax of your result is the distribution you sample from.")
    return "the right tokens are kept, but their values should be the tempered logits z / T, unchanged."


def _takes_temperature(fn):
    """Can ``fn`` be called as fn(logits, p, temperature)?"""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):   # some built-in callables have no signature: just try them
        return True
    try:
        signature.bind(None, None, None)
    except TypeError:                 # bind refuses a third argument: it takes (logits, p) only
        return False
    return True


def check_top_p(fn):
    r"""Check a learner's top-p (nucleus) filter.

    Parameters
    ----------
    fn : callable
        Called as ``fn(logits, p)``, and as ``fn(logits, p, temperature)`` for the temperature
        cases, with 1-D logits, ``0 < p <= 1`` and ``temperature > 0``. It returns the
        tempered logits ``z / T`` with every token outside the nucleus set to ``-inf``. A
        function that takes only ``(logits, p)`` is checked without the temperature cases.

    Returns
    -------
    CheckResult

    Notes
    -----
    With :math:`q = \mathrm{softmax}(z / T)` sorted from high to low (equal probabilities in
    index order, lower index first), keep the first n tokens, n the smallest number with

    .. math:: \sum_{r=1}^{n} q_{(r)} \ge p

    so the token that carries the sum across p is kept, and when the sum reaches p exactly the
    set stops there. ``p = 1`` keeps every token that is not masked already. The temperature
    comes first: the nucleus is chosen from the distribution that is sampled. The right answers
    come from :func:`softmax_lab.sampling.filter_top_p`.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_lab import softmax
    >>> def top_p(z, p, temperature=1.0):
    ...     z = np.asarray(z, dtype=float) / temperature
    ...     q = softmax(z)
    ...     order = np.argsort(-q, kind="stable")
    ...     ahead = np.cumsum(q[order]) - q[order]          # probability of the tokens before
    ...     keep = np.zeros(z.shape, dtype=bool)
    ...     keep[order] = (ahead < p) | (p >= 1)
    ...     return np.where(keep & np.isfinite(z), z, -np.inf)
    >>> check_top_p(top_p).passed
    ✔ check_top_p: all 11 cases passed. Well done!
    True
    """
    cases = _top_p_cases()
    if callable(fn) and not _takes_temperature(fn):
        cases = [c for c in cases if c.tag != "temperature"]
        result = _run_battery("check_top_p", fn, cases, _top_p_hint, check=_top_p_check)
        if result.passed:
            print("  (the temperature cases were skipped: your function takes (logits, p) only. With a "
                  "temperature T, filter softmax(z / T): call it on z / T.)")
        return result
    return _run_battery("check_top_p", fn, cases, _top_p_hint, check=_top_p_check)
