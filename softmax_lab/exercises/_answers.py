r"""Typed answers, asked one way across the course: a key, the learner's answer, one call.

A lesson asks a question in markdown; the learner replaces ``None`` and runs ONE kind of cell::

    loss_answer = None  # a number, in nats to two decimals
    check_answer("04.quarter-loss", loss_answer)

The question (its right answer, the precision asked for, the hints for typical wrong answers) is
registered by the lesson's topic module with :func:`register_answer`, as the predictions of
:func:`~softmax_lab.exercises.predict` are, so the notebook never shows the answer. The same
rules hold for every question:

* ``None`` is "not attempted yet" (a nudge, nothing recorded);
* a number may be typed as text, with a decimal point or a decimal comma (``"0,6"``), or as a
  percentage (``"38%"``); ``0,6`` without quotes is Python's pair ``(0, 6)`` and is explained;
* a number is right within an ABSOLUTE tolerance (``tol``: "to 2 decimals" is ``tol=0.005``) or a
  RELATIVE one (``rtol``: "within 1%"), never both, and every message states the precision asked
  for; a question can instead give the interval of right answers, or a ``judge`` that computes
  the verdict (a temperature judged by the NLL it gives, say);
* a wrong number gets the hint of the first typical mistake it matches, else a scale hint when it
  is the right number times a power of ten (38 where 0.38 is meant), else the question's hint;
* the answer itself is never printed.

The older spellings still work and go through the same code: ``check_answer(x, expected=...,
name=..., tol=...)`` (``tol`` is RELATIVE there, absolute only where the expected value is 0) and
the lesson modules' ``check_quarter_loss(x)``, ``check_float32_ceiling(x)``, ...

A quiz answered as a dict (one choice per question) is one :func:`check_quiz` call, which reports
every wrong answer at once.
"""

import math
import numbers
import re
from dataclasses import dataclass

import numpy as np

from ._machinery import CheckResult, Unreadable, finish, guarded, plain, safe_repr, to_float_array

KINDS = ("number", "word", "yesno")
KEY = re.compile(r"\d\d\.[A-Za-z0-9][A-Za-z0-9._-]*")
_YES, _NO = {"yes", "y", "true"}, {"no", "n", "false"}
_MISSING = object()


@dataclass(frozen=True)
class Question:
    """One typed question: what is asked, its right answer, and how answers are judged."""

    key: str
    name: str
    question: str
    kind: str
    answer: object = None
    tol: float | None = None
    rtol: float | None = None
    right: tuple | None = None
    precision: str = ""
    mistakes: tuple = ()
    hint: str = ""
    judge: object = None
    choices: tuple = ()

    def value(self):
        """The right answer (computed now if it was registered as a function)."""
        return self.answer() if callable(self.answer) else self.answer

    def interval(self):
        """The closed interval of right numbers."""
        if self.right is not None:
            return tuple(float(v) for v in (self.right() if callable(self.right) else self.right))
        a = float(self.value())
        spread = self.tol if self.tol is not None else abs(a) * self.rtol if self.rtol is not None else 0.0
        return a - spread, a + spread


_REGISTRY: dict[str, Question] = {}


def register_answer(key, name, question, answer=None, *, kind="number", tol=None, rtol=None, right=None,
                    precision="", mistakes=(), hint="", judge=None, choices=()):
    """Register a typed question of a lesson (called by the topic modules, once per question).

    Parameters
    ----------
    key : str
        ``"<lesson>.<slug>"``, e.g. ``"04.quarter-loss"``: what the notebook passes to
        :func:`check_answer`.
    name : str
        The question's name in the feedback and in the progress file.
    question : str
        The question in a few words.
    answer : object or callable
        The right answer, or a function of no arguments computing it from softmax_lab. For
        ``"word"``, a string or a tuple of accepted strings; for ``"yesno"``, a bool.
    kind : {"number", "word", "yesno"}
    tol, rtol : float, optional
        For a number: an absolute or a relative tolerance (one of them, or ``right``, or
        ``judge``).
    right : (float, float) or callable, optional
        The closed interval of right numbers, when it is not symmetric (an answer that must stay
        below a limit); or a function of no arguments computing it.
    precision : str
        What is asked, in words ("a number in nats, to two decimals"); repeated in the feedback.
    mistakes : sequence or callable
        For a number, ``(low, high, hint)``: a typical wrong answer's interval and its hint (or a
        function of no arguments returning that list); for a word, ``(word, hint)``.
    hint : str
        The hint for any other wrong answer.
    judge : callable, optional
        ``judge(number) -> (ok, text, hint)`` for a number judged by computation: ``text`` says
        what the number gives ("T = 2 gives max probability 0.502"), ``hint`` explains a wrong one.
    choices : sequence of str, optional
        For a word: the answers the learner is offered.

    Returns
    -------
    Question
    """
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise ValueError(f"key must look like '04.some-name', got {key!r}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    if kind == "number":
        given = [n for n, v in (("tol", tol), ("rtol", rtol), ("right", right), ("judge", judge)) if v is not None]
        if len(given) != 1:
            raise ValueError(f"a number question needs exactly one of tol, rtol, right or judge; got {given or 'none'}")
        for label, v in (("tol", tol), ("rtol", rtol)):
            if v is not None and not (isinstance(v, numbers.Real) and math.isfinite(v) and v >= 0):
                raise ValueError(f"{label} must be a finite number >= 0, got {v!r}")
        if not precision:
            raise ValueError("precision must say what is asked, e.g. 'a number to two decimals'")
    elif answer is None:
        raise ValueError(f"answer is required for a {kind!r} question")
    if key in _REGISTRY and _REGISTRY[key].question != question:
        raise ValueError(f"key {key!r} is already registered for another question")
    entry = Question(key, name, question, kind, answer, tol, rtol, right, precision,
                     mistakes if callable(mistakes) else tuple(mistakes), hint, judge, tuple(choices))
    _REGISTRY[key] = entry
    return entry


def registered_answers(lesson=None):
    """Every registered question, or only those of one lesson (``"04"``), in key order."""
    return [q for k, q in sorted(_REGISTRY.items()) if lesson is None or k[:2] == lesson]


# --------------------------------------------------------------------------------------------
# Reading a typed number
# --------------------------------------------------------------------------------------------

_THOUSANDS = re.compile(r"[+-]?\d{1,3},\d{3}")


def parse_number(text):
    """A number typed as text: ``"0.6"``, ``"0,6"`` (decimal comma), ``"38%"``, ``"1,000.5"``.

    Returns ``(value, problem)``: the float, or None and a sentence saying what is unclear.

    Examples
    --------
    >>> parse_number("0,6"), parse_number(" 38% "), parse_number("1.000,5")
    ((0.6, None), (0.38, None), (1000.5, None))
    >>> parse_number("1,000")[1]
    "'1,000' could be 1.0 (a decimal comma) or 1000 (a thousands separator): write 1.0 or 1000."
    """
    t = text.strip().replace("\u2212", "-").replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    percent = t.endswith("%")
    t = t[:-1] if percent else t
    if "," in t and "." in t:                     # the later one is the decimal separator
        t = t.replace(".", "").replace(",", ".") if t.rfind(",") > t.rfind(".") else t.replace(",", "")
    elif t.count(",") == 1:
        if _THOUSANDS.fullmatch(t):
            a, b = t.split(",")
            return None, (f"'{text.strip()}' could be {a}.{b.rstrip('0') or '0'} (a decimal comma) or {a}{b} "
                          f"(a thousands separator): write {a}.{b.rstrip('0') or '0'} or {a}{b}.")
        t = t.replace(",", ".")
    elif t.count(",") > 1:
        t = t.replace(",", "")
    try:
        value = float(t)
    except ValueError:
        return None, "this answer is a number: write the number alone, without units, e.g. 0.25."
    return (value / 100 if percent else value), None


def _number(answer):
    """``(value, problem)`` for a single typed number; ``problem`` is a hint about its KIND."""
    if isinstance(answer, Unreadable):
        return None, "this answer cannot be read: write a plain number, e.g. 0.25."
    if isinstance(answer, (bool, np.bool_)):
        return None, "this answer is a number, not True/False."
    if isinstance(answer, str):
        value, problem = parse_number(answer)
    elif isinstance(answer, tuple) and len(answer) == 2 and all(type(v) is int for v in answer) and answer[1] >= 0:
        a, b = answer
        return None, (f"{a},{b} is Python's pair of numbers ({a}, {b}): write the decimal point, {a}.{b} "
                      f"(or the text '{a},{b}').")
    elif isinstance(answer, np.ndarray) and answer.ndim == 0:
        return _number(answer.item() if answer.dtype.kind in "biuf" else Unreadable("array"))
    elif isinstance(answer, (list, tuple, np.ndarray)):
        size = len(answer) if not isinstance(answer, np.ndarray) else answer.size
        kind = "an array" if isinstance(answer, np.ndarray) else f"a {type(answer).__name__}"
        return None, f"the answer is ONE number, not {kind} of {size}: write the number itself."
    elif isinstance(answer, numbers.Complex) and not isinstance(answer, numbers.Real):
        return None, "the answer is a real number (no imaginary part)."
    elif isinstance(answer, numbers.Real):
        try:
            value, problem = float(answer), None
        except (OverflowError, ValueError, TypeError):   # 10**400, or a strange Real
            return None, "that number is too large for a float: the answer is a number of ordinary size."
    else:
        return None, "write your answer as a plain number, e.g. 0.25."
    if problem is None and not math.isfinite(value):
        return None, "the answer is a finite number (not NaN or infinity)."
    return value, problem


# --------------------------------------------------------------------------------------------
# Judging an answer
# --------------------------------------------------------------------------------------------

def _fail(q, text, hint):
    return finish(CheckResult(q.name, False, f"✘ {q.name}: {text}", hint=hint, failed_case=1, n_cases=1))


def _scale_hint(x, low, high, precision):
    """A hint when ``x`` is a right answer times a power of ten (38 for 0.38, MB for GB)."""
    if low <= 0 <= high or x == 0:
        return None
    for power in (2, 3, 6, 9, 1, -1, -2, -3, -6, -9):
        factor = 10.0**power
        if low * factor <= x <= high * factor if factor * low <= factor * high else False:
            if power == 2 and 0 < high <= 1:
                return (f"your number is 100 times the size asked for: is it a percentage? A share is a "
                        f"fraction between 0 and 1 ({x:g}% is {x / 100:g}).")
            size = f"{factor:g} times too large" if power > 0 else f"{1 / factor:g} times too small"
            return f"your number is {size}: check the units and the decimal point (the question asks for {precision})."
    return None


def _judge_number(q, number):
    """``(ok, facts, hint)`` for a number."""
    if q.judge is not None:
        return q.judge(number)
    low, high = q.interval()
    shown = f"{number:.10g} is not right yet"
    if low <= number <= high:
        return True, "", ""
    for m_low, m_high, m_hint in (q.mistakes() if callable(q.mistakes) else q.mistakes):
        if m_low <= number <= m_high:
            return False, shown, m_hint
    scale = _scale_hint(number, low, high, q.precision)
    if scale:
        return False, shown, scale
    return False, shown, q.hint or "look again at the question, and at what the cells above show."


def _word(text):
    return " ".join(text.strip().lower().split())


def judge_answer(q, answer):
    """Check one answer to ``q`` and print the feedback."""
    answer = plain(answer)
    if answer is None:
        return finish(CheckResult(q.name, False, f"… {q.name}: not attempted yet: replace None with your answer, "
                                  "then run this check again.", attempted=False, n_cases=1))
    if q.kind == "yesno":
        said = (bool(answer) if isinstance(answer, (bool, np.bool_)) else
                _word(answer) in _YES if isinstance(answer, str) and _word(answer) in _YES | _NO else None)
        if said is None:
            return _fail(q, f"{safe_repr(answer, 60)} is not the kind of answer asked for.",
                         "this answer is True or False (yes or no).")
        if said == bool(q.value()):
            return finish(CheckResult(q.name, True, f"✔ {q.name}: right!", n_cases=1))
        return _fail(q, f"{said} is not right yet.", q.hint or "look again at the question.")
    if q.kind == "word":
        if not isinstance(answer, str):
            return _fail(q, f"{safe_repr(answer, 60)} is not the kind of answer asked for.",
                         "this answer is a word: put it in quotes, e.g. " + repr((q.choices or ("cat",))[0]) + ".")
        right = q.value()
        accepted = {_word(w) for w in ((right,) if isinstance(right, str) else right)}
        if _word(answer) in accepted:
            return finish(CheckResult(q.name, True, f"✔ {q.name}: right!", n_cases=1))
        if q.choices and _word(answer) not in {_word(c) for c in q.choices}:
            return _fail(q, f"{safe_repr(answer, 60)} is not one of the choices.",
                         "answer one of: " + ", ".join(repr(c) for c in q.choices) + ".")
        hints = dict((_word(w), h) for w, h in q.mistakes)
        return _fail(q, f"{safe_repr(answer, 60)} is not right yet.",
                     hints.get(_word(answer)) or q.hint or "look again at the question.")
    number, problem = _number(answer)
    asked = f"the question asks for {q.precision}"
    if problem is not None:
        return _fail(q, f"{safe_repr(answer, 60)} is not the kind of answer asked for ({asked}).", problem)
    ok, facts, hint = _judge_number(q, number)
    if ok:
        return finish(CheckResult(q.name, True, f"✔ {q.name}: " + (f"{facts}. Well done!" if facts else "right!"),
                                  n_cases=1))
    return _fail(q, f"{facts} ({asked}).", hint)


def check_registered(key, answer):
    """Check ``answer`` to the registered question ``key`` (what :func:`check_answer` does with a key)."""
    q = _REGISTRY.get(key)
    if q is None:
        lesson = [k for k in sorted(_REGISTRY) if k[:2] == key[:2]]
        return finish(CheckResult(
            "check_answer", False, f"✘ check_answer: no question is registered under the key {key!r}.",
            hint=f"copy the key from the lesson's cell; this lesson's keys are {lesson}." if lesson else
            "copy the key from the lesson's cell, e.g. '04.quarter-loss'.", attempted=False))
    return judge_answer(q, answer)


@guarded("check_answer")
def check_answer(key, answer=_MISSING, *, expected=_MISSING, name="your answer", hint="", tol=1e-3):
    """Check a typed answer: ``check_answer("04.quarter-loss", my_answer)``.

    Parameters
    ----------
    key : str
        The question's key, as the lesson's cell gives it (registered with :func:`register_answer`).
    answer : object
        The learner's answer: a number (or a number typed as text, decimal comma allowed), a word,
        True/False; ``None`` while not attempted.
    expected, name, hint, tol
        The older spelling, ``check_answer(answer, expected=..., name=..., hint=..., tol=...)``,
        still works: ``answer`` then comes first, ``expected`` is the right answer (a number, an
        array of numbers, a word or a bool), and ``tol`` is a RELATIVE tolerance (absolute where
        the expected value is 0). It is checked by the same rules as a registered question.

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> check_answer("04.quarter-loss", "1,39").passed
    ✔ check_quarter_loss: right!
    True
    >>> check_answer("04.quarter-loss", 139).hint
    ✘ check_quarter_loss: 139 is not right yet (the question asks for a number in nats, to two decimals).
      hint: your number is 100 times too large: check the units and the decimal point (the question asks for a number in nats, to two decimals).
    'your number is 100 times too large: check the units and the decimal point (the question asks for a number in nats, to two decimals).'
    >>> check_answer(0.25, expected=1 / 4, name="equal logits").passed
    ✔ equal logits: right!
    True
    >>> check_answer(None, expected=0.25, name="equal logits").attempted
    … equal logits: not attempted yet: replace None with your answer, then run this check again.
    False
    """  # noqa: E501  (a doctest's output is one line)
    if expected is not _MISSING:
        return _legacy(key, expected, name, hint, tol)
    if type(key) is str and KEY.fullmatch(key):
        return check_registered(key, None if answer is _MISSING else answer)
    if answer is not _MISSING:
        return _legacy(key, answer, name, hint, tol)
    return finish(CheckResult("check_answer", False, "✘ check_answer: give the question's key and your answer, "
                              "e.g. check_answer('04.quarter-loss', my_answer).",
                              hint="copy the check cell of the lesson as it is.", attempted=False))


# --------------------------------------------------------------------------------------------
# The older spelling: check_answer(answer, expected=..., name=..., tol=...)
# --------------------------------------------------------------------------------------------

def _relative(tol):
    return f"a number (right within {tol:.2g} of the answer, relatively)" if tol else "the exact number"


def _legacy(answer, expected, name, hint, tol):
    """``check_answer(answer, expected=...)``: an ad-hoc question, judged by the same rules."""
    name = name if isinstance(name, str) and name else "your answer"
    hint = hint if isinstance(hint, str) else ""
    rel = float(tol) if isinstance(tol, numbers.Real) and math.isfinite(tol) and tol >= 0 else 1e-3
    if isinstance(expected, str):
        return judge_answer(Question(None, name, "", "word", expected, hint=hint), answer)
    if isinstance(expected, (bool, np.bool_)):
        return judge_answer(Question(None, name, "", "yesno", bool(expected), hint=hint), answer)
    want = to_float_array(expected)
    if want is not None and want.ndim > 0:
        return _legacy_array(plain(answer), want, name, hint, rel)
    q = Question(None, name, "", "number", judge=lambda x: _legacy_verdict(x, expected, rel, hint),
                 precision=_relative(rel))
    return judge_answer(q, answer)


def _legacy_verdict(x, expected, rel, hint):
    want = float(expected)
    spread = rel * (abs(want) if want != 0 else 1.0)
    if abs(x - want) <= spread:
        return True, "", ""
    scale = _scale_hint(x, want - spread, want + spread, _relative(rel))
    return False, f"{x:.10g} is not right yet", scale or hint or (
        "look again at the question, and at what the cells above show.")


def _legacy_array(answer, want, name, hint, rel):
    q = Question(None, name, "", "number", right=(0, 0), precision=f"{want.size} numbers")
    if answer is None:
        return judge_answer(q, None)
    got = None if isinstance(answer, (str, bool, np.bool_, Unreadable)) else to_float_array(answer)
    if got is None:
        return _fail(q, f"{safe_repr(answer, 60)} is not the kind of answer asked for.",
                     f"write your answer as a list of {want.size} numbers.")
    if got.shape != want.shape:
        return _fail(q, f"{safe_repr(answer, 60)} has shape {got.shape}, not {want.shape}.",
                     f"the answer is {want.size} numbers, shape {want.shape}.")
    spread = rel * np.where(want == 0, 1.0, np.abs(want))
    if np.all(np.isfinite(got)) and np.all(np.abs(got - want) <= spread):
        return finish(CheckResult(name, True, f"✔ {name}: right!", n_cases=1))
    return _fail(q, f"{safe_repr(answer, 60)} is not right yet.",
                 hint or "look again at the question, and at what the cells above show.")


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
    answers = plain(answers)          # a learner's dict subclass is read as a plain dict
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


def around(value, tol):
    """The interval ``[value - tol, value + tol]``."""
    return (float(value) - tol, float(value) + tol)
