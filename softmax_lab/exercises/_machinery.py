"""The checking machinery every exercise shares: :class:`CheckResult`, running a battery of cases
through the learner's code, hints, nudges, and a quiz answered as a dict. (A single typed answer
is checked by :mod:`._answers`.)

This module's name starts with ``_``: the topic modules of :mod:`softmax_lab.exercises` import
its public names (``Case``, ``run_battery``, ``finish``, ``first_matching``, ...). How to write a
new check with them is explained in the package's docstring.

A check never raises: an exception raised by the learner's code (even ``SystemExit``; only
``KeyboardInterrupt`` gets through, so Ctrl-C still stops a cell) is caught and reported (type,
message and a hint), numpy's overflow warnings raised inside the learner's code are recorded and
reported, a learner's subclass of ``str``, ``float``, ``ndarray``, ... is read through its base
class (:func:`plain`), so none of its methods run, and an exercise that is not attempted yet
prints a nudge. Every public check is wrapped in :func:`guarded`, which turns a failure of the
check's OWN code into a visible report instead of a traceback; the tests feed every check hostile
answers and require that this never happens.
"""

import functools
import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np

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
UNKNOWN_MISTAKE = "this check does not recognise the mistake"
"""The start of every hint that does not name a mistake (the check then says so, and gives the recipe)."""


def unknown(recipe):
    """The hint for a wrong answer the check cannot explain: it says so, then gives ``recipe``."""
    return f"{UNKNOWN_MISTAKE}. The recipe, once more: {recipe}"


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


def finish(result):
    """Print the feedback, record an attempted check in the progress file, hand the result back."""
    print(str(result))
    if result.attempted:
        from .progress import record_check  # progress.py imports nothing of ours: no cycle

        record_check(result.name, result.passed)
    return result


INTERNAL_ERROR = "the check itself failed on this answer"
"""The start of the message :func:`guarded` prints; the tests require that no answer ever produces it."""


def guarded(name):
    """Wrap a public check so that an error in the CHECK's own code is reported, never raised.

    The learner's exceptions are handled where the learner's code runs (:func:`run_battery`); this
    is the last line of defence for a path nobody foresaw (an answer so strange that judging it
    fails). The report names the error, so it can be fixed; ``KeyboardInterrupt`` still stops the
    cell. The hostile-answer tests run every check and require that this report never appears.
    """
    def wrap(check):
        @functools.wraps(check)
        def guarded_check(*args, **kwargs):
            try:
                return check(*args, **kwargs)
            except (Exception, SystemExit) as exc:   # a bug of ours: report it, keep the notebook running
                result = CheckResult(
                    name, False,
                    f"✘ {name}: {INTERNAL_ERROR} ({type(exc).__name__}: {safe_repr(str(exc), 120)}).",
                    hint="this is a bug in softmax_lab, not in your answer: please report it with the "
                         "answer you gave. Meanwhile, try writing the answer more plainly.")
                print(str(result))               # not recorded: the progress file may be what failed
                return result
        return guarded_check
    return wrap


def nudge(name, label):
    return CheckResult(
        name, False,
        f"… {name}: not attempted yet: replace `raise NotImplementedError` in {label} with your "
        "code, then run its cell and this check again.",
        attempted=False,
    )


def all_passed(name, n_cases):
    return CheckResult(name, True, f"✔ {name}: all {n_cases} cases passed. Well done!", n_cases=n_cases)


# --------------------------------------------------------------------------------------------
# Running the learner's code
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
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
    RuntimeWarnings are errors). Underflow is normal and is not reported. ``SystemExit`` (a
    ``sys.exit()`` or ``exit()`` in the learner's code) is reported like any other exception;
    ``KeyboardInterrupt`` is not caught, so Ctrl-C still stops the cell.
    """
    copies = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    outcome = _Outcome()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
            try:
                outcome.value = plain(fn(*copies))
            except (Exception, SystemExit) as exc:  # the learner's code failed: reporting it is our job
                outcome.error = exc
    outcome.warnings = sorted({_warning_text(w.message) for w in caught if issubclass(w.category, RuntimeWarning)})
    outcome.mutated = any(
        isinstance(a, np.ndarray) and not np.array_equal(a, c, equal_nan=True) for a, c in zip(args, copies)
    )
    return outcome


def _warning_text(message):
    try:
        return str(message)
    except Exception:  # a learner's warning object whose __str__ raises
        return "a warning whose text cannot be shown"


def label_of(fn):
    try:
        name = getattr(fn, "__name__", None)
    except Exception:  # a learner's object with a broken __getattr__
        name = None
    return name if isinstance(name, str) and name else type(fn).__name__


def safe_repr(x, limit=200):
    """``repr(x)`` cut to ``limit`` characters; never raises (a learner's object may break repr)."""
    try:
        text = repr(x)
        if not isinstance(text, str):
            raise TypeError("__repr__ returned a non-string")
    except Exception:  # a broken __repr__ (or a number too long to print) is the learner's
        text = f"<{_type_name(x)} object>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _type_name(x):
    name = getattr(type(x), "__name__", None)     # type attributes: a learner's __getattr__ is not asked
    return name if isinstance(name, str) else "unknown"


class Unreadable:
    """Stands for a learner's value that could not even be read (its own methods fail)."""

    def __init__(self, type_name):
        self.type_name = type_name

    def __repr__(self):
        return f"<{self.type_name} object that cannot be read>"


_EXACT = (type(None), bool, int, float, complex, str, bytes, np.bool_)
_DEPTH = 8


def plain(value, depth=0):
    """``value`` without a learner's subclass: the same data as a plain ``str``, ``float``, ``list``, ...

    A learner (or a library) can hand a check an object of a subclass of ``str``, ``float``,
    ``ndarray``, ``list`` or ``dict`` whose methods (``strip``, ``__float__``, ``__eq__``,
    ``__array__``, ...) are broken. The base class's own methods read the data without calling the
    subclass's overrides, so the check never runs them. Containers are converted a few levels
    deep. What cannot be read at all becomes an :class:`Unreadable`; this never raises.
    """
    kind = type(value)
    if kind in _EXACT or kind is np.ndarray:
        return value
    try:
        if isinstance(value, np.ndarray):
            return np.ndarray.view(value, np.ndarray)
        if isinstance(value, str):
            return str.__str__(value)
        if isinstance(value, bytes):
            return bytes(memoryview(value))
        if isinstance(value, float):                  # np.float64 included (a float subclass)
            return float.__float__(value)
        if isinstance(value, int):                    # bool cannot be subclassed; this is int's
            return int.__index__(value)
        if isinstance(value, complex):
            return complex.__complex__(value) if hasattr(complex, "__complex__") else Unreadable(_type_name(value))
        if isinstance(value, np.generic):
            if kind.__module__ == "numpy":
                return value
            return np.ndarray.view(np.array(value, dtype=value.dtype), np.ndarray)[()]
        if depth >= _DEPTH:
            return value if kind in (list, tuple, dict) else Unreadable(_type_name(value))
        if isinstance(value, list):
            return [plain(v, depth + 1) for v in list.__iter__(value)]
        if isinstance(value, tuple):
            return tuple(plain(v, depth + 1) for v in tuple.__iter__(value))
        if isinstance(value, dict):
            return {plain(k, depth + 1): plain(v, depth + 1) for k, v in dict.items(value)}
    except Exception:  # the data cannot be read without the learner's broken methods
        return Unreadable(_type_name(value))
    return value


def as_number(value):
    """``value`` as a float, or None when it is not a real number that fits in a float.

    Refuses bools, strings, complex numbers and objects whose ``__float__`` fails or overflows
    (``10**400``); NaN and infinities are returned as they are.
    """
    if isinstance(value, np.ndarray) and value.size == 1 and value.ndim <= 1:
        value = value.reshape(()).item() if value.dtype.kind in "fiu" else None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(value)
    except Exception:  # OverflowError for 10**400, or whatever a strange Real raises
        return None


def show(x):
    """A value as the learner could type it back, e.g. ``np.array([1000., 999.])``.

    Arrays go on one line when that stays short, else one row per line.
    """
    if isinstance(x, np.ndarray) and x.ndim == 0:
        return show(float(x)) if x.dtype.kind == "f" else repr(x.item())
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
    return safe_repr(x)


def _show_args(args):
    return ", ".join(show(a) for a in args)


def to_float_array(value):
    """The learner's answer as a float array, or None if it is not an array of numbers."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # e.g. a float128 too large for float64
            with np.errstate(all="ignore"):
                a = np.asarray(value)
                if a.dtype.kind not in "biuf":       # complex, strings, objects (10**400, generators)
                    return None
                a = a.astype(np.float64, copy=False)
    except Exception:  # a string, a ragged list, an object whose __array__ or __float__ raises, ...
        return None
    return a


def all_close(got, expected, rtol, atol):
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


def matches(got, candidate):
    """Does the learner's answer equal a known wrong answer (NaN where it has NaN)?"""
    return candidate is not None and all_close(got, np.asarray(candidate, dtype=np.float64), 1e-5, 1e-8)


def _is_axis_error(exc):
    axis_error = getattr(getattr(np, "exceptions", np), "AxisError", None)
    return axis_error is not None and isinstance(exc, axis_error)


def _exception_hint(exc, label):
    """A hint for an exception raised by the learner's code (only what its type and text show)."""
    text = _warning_text(exc)
    if isinstance(exc, SystemExit):
        return (f"{label} called sys.exit() (or exit(), quit()), which stops a script: a function returns "
                "its answer with `return` instead.")
    if isinstance(exc, TypeError) and ("argument" in text or "positional" in text):
        return (f"check the signature of {label}: it is called with the arguments shown above "
                "(see the exercise's description).")
    if "broadcast" in text:
        return ("shapes did not line up: reduce with keepdims=True (e.g. np.max(z, axis=-1, "
                "keepdims=True)) so the result broadcasts back against each row.")
    if _is_axis_error(exc):
        return "the class axis is the LAST one: use axis=-1, which works for any number of dimensions."
    if isinstance(exc, (AttributeError, TypeError)) and "list" in text:
        return "turn the input into an array first: z = np.asarray(z, dtype=float)."
    if isinstance(exc, RecursionError):
        return f"{label} calls itself without end: look for a call of {label} inside its own body."
    return (f"{UNKNOWN_MISTAKE}. Call {label} on the input shown above in a cell of its own to see the full "
            "traceback, fix that line, then run the check again.")


def run_battery(name, fn, cases, hint_for, check=None, warning_hint=None, exception_hint=None, warnings_ok=False):
    """Run ``cases`` through ``fn`` and stop at the first failure.

    ``hint_for(case, got, outcome)`` returns the hint for a wrong answer. ``check(case, got)``
    (optional) replaces the default closeness test and returns (ok, extra text or "").
    ``warning_hint`` is the hint for a right answer reached through a numpy warning;
    ``warnings_ok=True`` accepts such an answer instead (where a warning says nothing about the
    method: a mean over an empty bin, for instance). ``exception_hint(case, exc)`` (optional)
    recognises an exception of the learner's code that this exercise explains better than the
    generic hints; it returns a hint or None.
    """
    label = label_of(fn)
    if not callable(fn):
        return finish(CheckResult(
            name, False,
            f"✘ {name}: expected a function, got {_type_name(fn)} {safe_repr(fn, 60)}.",
            hint="pass the function itself, without calling it: check(my_function), not check(my_function(z)).",
        ))
    n = len(cases)
    for i, case in enumerate(cases, start=1):
        outcome = _call(fn, case.args)
        untouched = isinstance(outcome.error, NotImplementedError) or (outcome.error is None and outcome.value is None)
        if untouched and i == 1:
            return finish(nudge(name, label))
        head = f"✘ {name}: case {i} of {n} failed ({case.what})\n  called:    {label}({_show_args(case.args)})"
        expected_text = f"\n  expected:  {case.shown or show(np.asarray(case.expected))}"
        if outcome.error is not None:
            exc = outcome.error
            hint = _own_exception_hint(exception_hint, case, exc) or _exception_hint(exc, label)
            return finish(CheckResult(
                name, False, f"{head}{expected_text}\n  raised:    {type(exc).__name__}: {_warning_text(exc)}",
                hint=hint, failed_case=i, n_cases=n,
            ))
        if outcome.value is None:
            return finish(CheckResult(
                name, False, f"{head}{expected_text}\n  got:       None",
                hint=f"{label} returned None for this input: is there a path through it without a `return`?",
                failed_case=i, n_cases=n,
            ))
        got = to_float_array(outcome.value)
        if got is None:
            return finish(CheckResult(
                name, False, f"{head}{expected_text}\n  got:       {safe_repr(outcome.value)}",
                hint="return a numpy array of real numbers (or a number), e.g. the result of np.exp(...) / ...",
                failed_case=i, n_cases=n,
            ))
        if check is not None:
            ok, extra = _judged(check, case, got)
        else:
            ok, extra = all_close(got, np.asarray(case.expected, dtype=np.float64), case.rtol, case.atol), ""
        warned = ""
        if outcome.warnings:
            warned = "\n  numpy warned: " + "; ".join(outcome.warnings)
        if ok and (warnings_ok or not outcome.warnings) and not outcome.mutated:
            continue
        got_text = f"\n  got:       {show(got)}{extra}{warned}"
        if not ok:
            hint = _hint_or_fallback(hint_for, case, got, outcome)
        elif outcome.warnings and not warnings_ok:
            hint = warning_hint or WARNING_HINT
        else:
            hint = (f"{label} changed the array it was given (an in-place update like z -= ...). "
                    "Work on a new array instead: z = z - np.max(z, axis=-1, keepdims=True).")
            got_text += "\n  (the answer is right, but the input array was modified)"
        return finish(CheckResult(name, False, head + expected_text + got_text, hint=hint, failed_case=i, n_cases=n))
    return finish(all_passed(name, n))


def _own_exception_hint(exception_hint, case, exc):
    if exception_hint is None:
        return None
    try:
        return exception_hint(case, exc)
    except Exception:  # recognising the exception is a courtesy: fall back on the generic hints
        return None


def _judged(check, case, got):
    """A custom closeness test; an answer it cannot even judge (it raised) is wrong."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                return check(case, got)
    except Exception:  # the learner's answer is too strange to judge: it is not the right one
        return False, ""


def _hint_or_fallback(hint_for, case, got, outcome):
    """The check's own hint; a generic one if recognising the mistake failed on a strange answer."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                return hint_for(case, got, outcome)
    except Exception:  # a hint is a courtesy: a strange answer still gets a (generic) one
        return (f"{UNKNOWN_MISTAKE}. Compare your answer with the expected one above (same shape, same values), "
                "and run your function on that input in a cell of its own to see what it does.")


def quiet(fn, *args):
    """Evaluate one of our own deliberately naive formulas (used to recognise mistakes)."""
    with np.errstate(all="ignore"):
        return fn(*args)


def first_matching(got, mistakes, expected):
    """The hint of the first known mistake whose answer equals ``got``, or None.

    A mistake that gives the right answer on this case (the naive softmax on small logits, say)
    says nothing about what went wrong, so it is skipped. (Where two mistakes give the same wrong
    answer on a case, list the pair first, with a hint that names both.)
    """
    expected = np.asarray(expected, dtype=np.float64)
    for wrong, hint in mistakes:
        if matches(got, wrong) and not matches(expected, wrong):
            return hint
    return None


def nonfinite(got, expected):
    """Does ``got`` hold NaN or inf where the right answer is finite?"""
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        return bool(np.isnan(got).any())
    return bool((~np.isfinite(got) & np.isfinite(expected)).any() or np.isnan(got).any())


def shape_hint(got, expected, what="the input"):
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


NEG_INF = -np.inf
