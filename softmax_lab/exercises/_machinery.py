"""The checking machinery every exercise shares: :class:`CheckResult`, running a battery of cases
through the learner's code, hints, nudges, and :func:`check_answer` for a single typed answer.

This module's name starts with ``_``: the topic modules of :mod:`softmax_lab.exercises` import
its public names (``Case``, ``run_battery``, ``finish``, ``first_matching``, ...). How to write a
new check with them is explained in the package's docstring.

A check never raises: an exception raised by the learner's code is caught and reported (type,
message and a hint), numpy's overflow warnings raised inside the learner's code are recorded and
reported, and an exercise that is not attempted yet prints a nudge.
"""

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
    if isinstance(answer, numbers.Integral) and isinstance(expected, numbers.Integral):
        return int(answer) == int(expected)          # exact, even for ints too large for a float
    got, want = to_float_array(answer), to_float_array(expected)
    return got is not None and want is not None and got.shape == want.shape and bool(
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
        return finish(CheckResult(
            name, False, f"… {name}: not attempted yet: replace None with your answer, then run this check again.",
            attempted=False, n_cases=1))
    if _answers_match(answer, expected, tol):
        return finish(CheckResult(name, True, f"✔ {name}: right!", n_cases=1))
    shown = show(answer) if isinstance(answer, (np.ndarray, float)) else safe_repr(answer)
    kind_hint = _kind_hint(answer, expected)
    if kind_hint:   # the wrong KIND of answer: say so, not the conceptual hint
        return finish(CheckResult(
            name, False, f"✘ {name}: {shown:.200} is not the kind of answer asked for.",
            hint=kind_hint, failed_case=1, n_cases=1))
    return finish(CheckResult(
        name, False, f"✘ {name}: {shown:.200} is not right yet.",
        hint=hint or "look again at the question, and at what the cells above show.",
        failed_case=1, n_cases=1))


def _kind_hint(answer, expected):
    """A hint when the answer is of the wrong kind (a quoted number, a number for True/False...)."""
    if isinstance(expected, str):
        return "" if isinstance(answer, str) else "this answer is a word: put it in quotes, e.g. 'cat'."
    if isinstance(expected, (bool, np.bool_)):
        if isinstance(answer, (bool, np.bool_)):
            return ""
        if isinstance(answer, str) and answer.strip().lower() in ("true", "false", "yes", "no"):
            return f"write True or False without quotes (a bool), not the text {answer!r}."
        return "this answer is True or False (without quotes)."
    if isinstance(answer, str):
        try:
            float(answer.strip())
        except ValueError:
            return "this answer is a number: write it without quotes, e.g. 0.25."
        return f"remove the quotes: write {answer.strip()} (a number), not '{answer}' (text)."
    if isinstance(answer, (bool, np.bool_)):
        return "this answer is a number, not True/False."
    if to_float_array(answer) is None:
        return "write your answer as a plain number (or a list of numbers), e.g. 0.25."
    return ""


# --------------------------------------------------------------------------------------------
# A quiz: several questions answered in one dict
# --------------------------------------------------------------------------------------------

def _or_list(words):
    quoted = [f'"{w}"' for w in words]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def check_quiz(name, answers, questions, choices, aliases=None, example="", praise=""):
    """Check a quiz answered as a dict ``{key: choice}``, reporting EVERY wrong or missing answer.

    Parameters
    ----------
    name : str
        The check's name in the feedback (and in the progress file).
    answers : object
        The learner's dict; each value ``None`` while not answered.
    questions : dict
        ``key -> (question, right, why)``: ``right`` is the right choice or a tuple of accepted
        ones; ``why`` (a string, or a function of no arguments computing it) explains the answer.
    choices : sequence of str
        The choices the learner is offered (every right answer is accepted as well).
    aliases : dict, optional
        Other spellings of a choice (``"sigmoids" -> "sigmoid"``). Case and spaces never matter.
    example : str
        One example entry, shown when ``answers`` is not a dict.
    praise : str
        Appended to the message when every answer is right.

    Returns
    -------
    CheckResult
        The message lists every wrong answer; the hint explains each of them, one line each.
    """
    n, listed, aliases = len(questions), _or_list(choices), dict(aliases or {})
    rights = {key: (right,) if isinstance(right, str) else tuple(right) for key, (_, right, _) in questions.items()}
    valid = set(choices) | set(aliases.values()) | {r for rs in rights.values() for r in rs}
    if not isinstance(answers, dict):
        return finish(CheckResult(
            name, False, f"✘ {name}: expected a dict of answers, got {type(answers).__name__}.",
            hint=f"use answers = {{{example}, ...}}, one entry per question, each {listed}.", n_cases=n))
    try:
        blank = all(answers.get(key) is None for key in questions)
        unknown = [key for key in answers if key not in questions]
    except Exception:  # a dict subclass whose get or iteration breaks: not a usable answer
        return finish(CheckResult(name, False, f"✘ {name}: could not read the answers.",
                                  hint="use a plain dict, as in the cell above.", n_cases=n))
    if blank and not unknown:
        return finish(CheckResult(name, False, f"… {name}: not attempted yet: replace each None with {listed}, "
                                  "then run this check again.", attempted=False, n_cases=n))
    if unknown:
        return finish(CheckResult(name, False, f"✘ {name}: unknown question(s) {safe_repr(unknown)}.",
                                  hint=f"the questions are {list(questions)}.", n_cases=n))
    wrong, hints, first = [], [], None
    for i, (key, (question, _, why)) in enumerate(questions.items(), start=1):
        given = answers.get(key)
        choice = " ".join(given.lower().split()) if isinstance(given, str) else None
        choice = aliases.get(choice, choice)
        if given is None:
            wrong.append(f"{key!r} ({question}): not answered yet")
            hints.append(f"{key}: answer {listed}.")
        elif choice not in valid:
            wrong.append(f"{key!r}: {safe_repr(given, 80)} is not one of the choices")
            hints.append(f"{key}: answer {listed}.")
        elif choice not in rights[key]:
            wrong.append(f"{key!r} ({question}): you said {choice}")
            hints.append(f"{key}: {why() if callable(why) else why}")
        else:
            continue
        first = first or i
    if wrong:
        return finish(CheckResult(
            name, False,
            f"✘ {name}: {len(wrong)} of {n} answers are not right yet:\n" + "\n".join(f"  - {w}" for w in wrong),
            hint="\n  hint: ".join(hints), failed_case=first, n_cases=n))
    return finish(CheckResult(name, True, f"✔ {name}: all {n} answers are right." + (f" {praise}" if praise else ""),
                              n_cases=n))


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
    except Exception:  # a broken __repr__ is the learner's; the check must still answer
        text = f"<{type(x).__name__} object>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


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


def run_battery(name, fn, cases, hint_for, check=None, warning_hint=None):
    """Run ``cases`` through ``fn`` and stop at the first failure.

    ``hint_for(case, got, outcome)`` returns the hint for a wrong answer. ``check(case, got)``
    (optional) replaces the default closeness test and returns (ok, extra text or "").
    ``warning_hint`` is the hint for a right answer reached through a numpy warning.
    """
    label = label_of(fn)
    if not callable(fn):
        return finish(CheckResult(
            name, False,
            f"✘ {name}: expected a function, got {type(fn).__name__} {safe_repr(fn, 60)}.",
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
            return finish(CheckResult(
                name, False, f"{head}{expected_text}\n  raised:    {type(exc).__name__}: {exc}",
                hint=_exception_hint(exc, label), failed_case=i, n_cases=n,
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
        if ok and not outcome.warnings and not outcome.mutated:
            continue
        got_text = f"\n  got:       {show(got)}{extra}{warned}"
        if not ok:
            hint = _hint_or_fallback(hint_for, case, got, outcome)
        elif outcome.warnings:
            hint = warning_hint or WARNING_HINT
        else:
            hint = (f"{label} changed the array it was given (an in-place update like z -= ...). "
                    "Work on a new array instead: z = z - np.max(z, axis=-1, keepdims=True).")
            got_text += "\n  (the answer is right, but the input array was modified)"
        return finish(CheckResult(name, False, head + expected_text + got_text, hint=hint, failed_case=i, n_cases=n))
    return finish(all_passed(name, n))


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
        return ("compare your answer with the expected one above: same shape, same values. Run your "
                "function on that input in a cell of its own to see what it does.")


def quiet(fn, *args):
    """Evaluate one of our own deliberately naive formulas (used to recognise mistakes)."""
    with np.errstate(all="ignore"):
        return fn(*args)


def first_matching(got, mistakes, expected):
    """The hint of the first known mistake whose answer equals ``got``, or None.

    A mistake that gives the right answer on this case (the naive softmax on small logits, say)
    says nothing about what went wrong, so it is skipped.
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
