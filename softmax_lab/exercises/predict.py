"""Predict, then reveal: the learner commits a guess before the answer is shown.

A lesson asks a question in a markdown cell marked ``**Predict first:**``. The next code cell
holds the learner's guess and one call::

    my_prediction = None   # your prediction: a number between 0 and 1, to 2 decimals
    predict("01.equal-logits", my_prediction)

While the guess is ``None``, :func:`predict` prints a nudge and hides the answer (Run All carries
on). Once a guess is entered, it prints the guess next to the answer, a one-line verdict and a
short explanation. The answers live in the topic modules of :mod:`softmax_lab.exercises`, which
register them with :func:`register_prediction`, so the notebook's cells never show them early.
A static rendering of a notebook (no kernel) still has each answer in a collapsed ``<details>``
block further down.
"""

from dataclasses import dataclass

import numpy as np

from ._machinery import as_number, safe_repr

KINDS = ("number", "share", "count", "choice", "yesno", "word")
_YES = {"yes", "y", "true"}
_NO = {"no", "n", "false"}


@dataclass(frozen=True)
class Prediction:
    """One registered question: what is asked, its kind, its answer and a one-line explanation."""

    key: str
    question: str
    kind: str
    answer: object
    tol: float = 0.0
    choices: tuple = ()
    explain: str = ""

    @property
    def lesson(self):
        return self.key.split(".", 1)[0]

    @property
    def is_count(self):
        """True for a whole-number answer: kind "count", or a "number" whose answer is whole and
        whose tolerance is 0 or from 0.25 to below 1 (a question asking for a whole number)."""
        if self.kind == "count":
            return True
        if self.kind != "number" or not (self.tol == 0 or 0.25 <= self.tol < 1):
            return False
        value = as_number(self.value())
        return value is not None and float(value).is_integer()

    def value(self):
        """The answer (computed now if it was registered as a function)."""
        return self.answer() if callable(self.answer) else self.answer


_REGISTRY: dict[str, Prediction] = {}


def register_prediction(key, question, kind, answer, tol=None, choices=None, explain=""):
    """Register the answer to a "Predict first" question (called by the topic modules).

    Parameters
    ----------
    key : str
        ``"<lesson>.<slug>"``, e.g. ``"01.equal-logits"``; the lesson is two digits.
    question : str
        The question in a few words (shown back to the learner).
    kind : {"number", "share", "count", "choice", "yesno", "word"}
        "share" is a number between 0 and 1 (a probability, a fraction of draws): a guess
        above 1 and at most 100 gets a hint about the scale (did you mean 0.38 for 38?) and the
        answer stays hidden. "count" is a whole number: only a whole-number guess is judged,
        and it is right only within ``tol`` (0 by default: the exact count).
    answer : object or callable
        The right answer, or a function of no arguments computing it from softmax_lab (so the
        answer stays true if the lesson's numbers change). For "word", a string or a tuple of
        accepted strings.
    tol : float, optional
        For "number" and "share" (required): the absolute tolerance of a right answer (a guess
        within 3 * tol is "close"). For "count": how many off still counts as right (default 0);
        one off is "close". A "number" whose answer is whole, with ``tol`` 0 or from 0.25 to
        below 1 ("to the nearest whole number"), is shown as a whole number and only that whole
        number is right.
    choices : sequence of str, optional
        For "choice": the allowed answers (the answer is one of them).
    explain : str
        One line shown with the answer.

    Returns
    -------
    Prediction
    """
    if not isinstance(key, str) or len(key) < 4 or not key[:2].isdigit() or key[2] != ".":
        raise ValueError(f"key must look like '01.some-name', got {key!r}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if kind in ("number", "share") and (tol is None or as_number(tol) is None or not tol >= 0):
        raise ValueError(f"tol must be a number >= 0 for a {kind!r} prediction, got {tol!r}")
    if kind == "count" and tol is not None and (as_number(tol) is None or not tol >= 0):
        raise ValueError(f"tol must be a whole number >= 0 for a 'count' prediction, got {tol!r}")
    if not callable(answer) and kind == "share" and not (as_number(answer) is not None and 0 <= answer <= 1):
        raise ValueError(f"answer must be between 0 and 1 for a 'share' prediction, got {answer!r}")
    if not callable(answer) and kind == "count" and not (as_number(answer) is not None
                                                         and float(answer).is_integer()):
        raise ValueError(f"answer must be a whole number for a 'count' prediction, got {answer!r}")
    if kind == "choice":
        if not choices or not all(isinstance(c, str) for c in choices):
            raise ValueError(f"choices must be a non-empty sequence of strings, got {choices!r}")
        if not callable(answer) and answer not in choices:
            raise ValueError(f"answer must be one of choices {tuple(choices)}, got {answer!r}")
    if key in _REGISTRY and _REGISTRY[key].question != question:
        raise ValueError(f"key {key!r} is already registered for another question")
    entry = Prediction(key, question, kind, answer, float(tol or 0.0), tuple(choices or ()), explain)
    _REGISTRY[key] = entry
    return entry


def registered_predictions(lesson=None):
    """Every registered prediction, or only those of one lesson (``"01"``), in key order."""
    return [p for k, p in sorted(_REGISTRY.items()) if lesson is None or p.lesson == lesson]


@dataclass
class PredictionResult:
    """What :func:`predict` printed: ``right`` is True, False, or None (no guess yet)."""

    key: str
    guess: object
    right: bool | None
    message: str

    def __bool__(self):
        return bool(self.right)

    def __str__(self):
        return self.message

    def __repr__(self):   # short: a cell ending with predict(...) shows the printed message, then this
        status = {True: "right", False: "not quite", None: "no prediction yet"}[self.right]
        return f"<PredictionResult {self.key}: {status}>"


def _word(text):
    return " ".join(str(text).strip().lower().split())


def _number_problem(guess):
    """Why ``guess`` is not a usable number (None when it is one)."""
    if isinstance(guess, str):
        try:
            float(guess)
            return "you typed the number as text: remove the quotes, e.g. 0.25, not '0.25'."
        except ValueError:
            return "this question asks for a number, e.g. 0.25."
    number = as_number(guess)
    if number is None or number != number or abs(number) == float("inf"):
        return f"this question asks for a (finite) number, got {safe_repr(guess, 60)}."
    return None


def _judge(entry, guess):
    """(verdict, problem): verdict is "right", "close" or "wrong"; problem explains an unusable guess."""
    answer = entry.value()
    if entry.kind in ("number", "share", "count"):
        problem = _number_problem(guess)
        if problem is not None:
            return None, problem
        number, answer = float(as_number(guess)), float(answer)
        if entry.is_count:             # only a whole number can be the right count
            if entry.kind == "count" and not number.is_integer():
                return None, f"this question asks for a count: a whole number, e.g. {max(0, round(number))}."
            error = abs(number - answer)
            right = number.is_integer() and error <= (entry.tol if entry.kind == "count" else 0)
            return ("right" if right else "close" if error <= max(1, 3 * entry.tol) else "wrong"), None
        # a share typed as a percentage (38 for 0.38): say so, keep the answer hidden. For a plain
        # number, only when the guess divided by 100 would be close (otherwise 1.5 is a real guess)
        if 0 <= answer <= 1 and 1 < number <= 100 and (
                entry.kind == "share" or abs(number / 100 - answer) <= 3 * entry.tol):
            return None, (f"this answer is a share between 0 and 1, and you typed {number:g}: if you mean "
                          f"{number:g}%, type {number / 100:g}.")
        error = abs(number - answer)
        return ("right" if error <= entry.tol else "close" if error <= 3 * entry.tol else "wrong"), None
    if entry.kind == "yesno":
        if isinstance(guess, (bool, np.bool_)):
            said = bool(guess)
        elif isinstance(guess, str) and _word(guess) in _YES | _NO:
            said = _word(guess) in _YES
        else:
            return None, f"answer yes or no (or True / False), got {safe_repr(guess, 60)}."
        return ("right" if said == bool(answer) else "wrong"), None
    if not isinstance(guess, str):
        example = entry.choices[0] if entry.choices else "cat"
        return None, f"this question asks for a word: put it in quotes, e.g. '{example}'."
    if entry.kind == "choice":
        allowed = {_word(c): c for c in entry.choices}
        if _word(guess) not in allowed:
            return None, "choose one of: " + ", ".join(repr(c) for c in entry.choices) + "."
        return ("right" if _word(guess) == _word(answer) else "wrong"), None
    accepted = (answer,) if isinstance(answer, str) else tuple(answer)
    return ("right" if _word(guess) in {_word(a) for a in accepted} else "wrong"), None


def shown_answer(entry):
    """The answer of ``entry`` as :func:`predict` prints it: a count as a whole number ("3"), a
    number to the decimals its tolerance needs (at least 2), a choice or word as written."""
    answer = entry.value()
    if entry.kind in ("number", "share", "count"):
        value = float(answer)
        if entry.is_count or (value.is_integer() and entry.tol >= 0.5):      # a count: 10, not 10.00
            return str(int(value))
        digits = 0
        while digits < 6 and entry.tol and 10 ** -digits > entry.tol:
            digits += 1
        return f"{value:.{max(digits, 2)}f}"
    if entry.kind == "yesno":
        return "yes" if answer else "no"
    if entry.kind == "word" and not isinstance(answer, str):
        return " / ".join(answer)
    return str(answer)


_VERDICTS = {"right": "✔ right!", "close": "≈ close", "wrong": "✘ not quite"}


def predict(key, guess):
    """Reveal the answer to a "Predict first" question, next to the learner's guess.

    Parameters
    ----------
    key : str
        The question's key, as written in the lesson (``"01.equal-logits"``).
    guess : object
        The learner's prediction; ``None`` while not made yet (the answer then stays hidden).

    Returns
    -------
    PredictionResult
        ``.right`` is True / False, or None while no (usable) guess was entered.
    """
    if not isinstance(key, str):
        raise TypeError(f"key must be the question's key as a string, e.g. '01.equal-logits', got "
                        f"{type(key).__name__} {safe_repr(key, 60)}")
    if key not in _REGISTRY:
        raise ValueError(f"key {key!r} is not a registered prediction; known keys start with the "
                         f"lesson number, e.g. {sorted(_REGISTRY)[:3]}")
    entry = _REGISTRY[key]
    if guess is None:
        result = PredictionResult(key, None, None, (
            f"… Predict first: write your prediction ({entry.question}) in place of None above, then "
            "run this cell again. The answer stays hidden until you do."))
        print(result.message)
        return result
    verdict, problem = _judge(entry, guess)
    if problem is not None:
        result = PredictionResult(key, guess, None, f"… {problem} The answer stays hidden until then.")
        print(result.message)
        return result
    lines = [
        f"your prediction: {safe_repr(guess, 80)}",
        f"the answer:      {shown_answer(entry)}",
        f"{_VERDICTS[verdict]}" + (f": {entry.explain}" if entry.explain else ""),
    ]
    result = PredictionResult(key, guess, verdict == "right", "\n".join(lines))
    print(result.message)
    from .progress import record_prediction  # here, not at the top: progress imports nothing of ours
    record_prediction(key, verdict == "right")
    return result
