"""Checking one typed number against an interval, with a hint for each known wrong answer.

:func:`softmax_lab.exercises.check_answer` accepts an answer within a tolerance of the expected
value. Some questions need more: an answer that must stay *below* a limit (the largest logit that
still works), an answer given to a stated precision and derived from rounded printed values, or
a wrong answer that deserves its own explanation (``log10`` instead of ``log``, the probability
instead of the loss, ...). :func:`check_number` does that for the lesson modules (cross_entropy,
stability, sampling); everything else (a nudge for ``None``, feedback for a quoted number or a
bool) comes from :func:`check_answer` and the shared machinery.
"""

import numpy as np

from ._machinery import CheckResult, as_number, check_answer, finish


def check_number(answer, name, right, precision, mistakes=(), hint=""):
    """Check a typed number: right inside the interval ``right``, else the first matching mistake.

    Parameters
    ----------
    answer : object
        The learner's answer (``None`` while not attempted).
    name : str
        The question's name in the feedback (and in the progress file).
    right : (float, float)
        The closed interval of right answers.
    precision : str
        What is asked, in words ("a number to two decimals"); it is repeated in the
        feedback so that a learner who rounded differently knows what is asked.
    mistakes : sequence of (float, float, str)
        Intervals of typical wrong answers, each with the hint it gets (first match wins).
    hint : str
        The hint for any other wrong answer.

    Returns
    -------
    CheckResult
    """
    number = as_number(answer)
    if answer is None or number is None:
        # a nudge, or feedback on the kind of answer (a string, a bool, a list ...): never right
        return check_answer(answer, expected=np.nan, name=name,
                            hint=f"the question asks for {precision}, written as a plain number (no quotes).")
    low, high = right
    if np.isfinite(number) and low <= number <= high:
        return finish(CheckResult(name, True, f"✔ {name}: right!", n_cases=1))
    text = f"✘ {name}: {number:.10g} is not right yet (the question asks for {precision})."
    for m_low, m_high, m_hint in mistakes:
        if np.isfinite(number) and m_low <= number <= m_high:
            return finish(CheckResult(name, False, text, hint=m_hint, failed_case=1, n_cases=1))
    return finish(CheckResult(name, False, text, hint=hint or "look again at the question, and at what "
                              "the cells above show.", failed_case=1, n_cases=1))


def around(value, tol):
    """The interval ``[value - tol, value + tol]``."""
    return (float(value) - tol, float(value) + tol)
