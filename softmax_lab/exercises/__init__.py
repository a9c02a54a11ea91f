r"""Self-checks for the notebook exercises: run a learner's function, explain what went wrong.

Each ``check_*`` function runs the learner's code on a battery of cases (small and ordinary
first, then batches, huge logits, ``-inf`` masks and float32), compares the answers with
``softmax_lab``'s own functions, and prints friendly feedback. At the FIRST failing case it
shows what was passed, what was expected, what came back, and a hint aimed at the likely
mistake. It returns a :class:`CheckResult` (``.passed``, ``.message``, ``.hint``).

A check never raises, whatever it is given. That is the point of this package: an exception
raised by the learner's code is caught and reported (type, message and a hint), numpy's overflow
warnings raised inside the learner's code are recorded and reported, an answer of the wrong kind
(a string, a huge int, NaN, an object whose ``__float__`` raises, ...) is a failing result with a
hint, and an exercise that is not attempted yet (its body still ``raise NotImplementedError``, or
it returns ``None``) prints a nudge, so that a notebook still runs from top to bottom. Nothing
else anywhere in softmax_lab swallows exceptions.

Layout
------
``_machinery``    :class:`CheckResult`, :func:`check_answer` (one typed answer), and the battery
                  runner with its helpers (``Case``, ``run_battery``, ``first_matching``, ...).
``basics``        lesson 01: :func:`check_softmax`.
``temperature``   lesson 02: :func:`check_temperature_answer`.
``sigmoid``       lesson 03: :func:`check_log_sigmoid` (and :func:`check_sigmoid`, kept for scripts).
``output_layer``  lesson 03: :func:`check_output_layer` and :data:`OUTPUT_LAYER_QUESTIONS`.
``cross_entropy`` lesson 04: :func:`check_cross_entropy_grad`.
``stability``     lesson 05: :func:`check_logsumexp`, :func:`check_log_softmax`.
``sampling``      lesson 06: :func:`check_top_p`.
``audit``         lesson 11: :func:`check_sparsemax`, :func:`check_verdicts` and :data:`AUDIT_QUIZ`.

Writing a check for a new lesson
--------------------------------
Write ``softmax_lab/exercises/<topic>.py``, add ONE import line at the end of the imports below
and the check's name at the end of ``__all__``. A check of a learner's function is three parts:

1. The cases: a function returning a list of ``Case(what, args, expected, tag)``; ``what`` is
   shown to the learner, ``args`` are passed to the learner's function, ``expected`` comes from
   softmax_lab's own function, ``tag`` ("basic", "batch", "overflow", "mask", ...) says which
   kind of case it is (optional ``rtol``/``atol``, e.g. looser for float32).
2. The hint: ``hint_for(case, got, outcome)`` returns the hint for a wrong answer ``got`` (a float
   array). Recognise typical mistakes by computing them (wrap deliberately naive maths in
   ``quiet(...)``) and ``first_matching(got, [(wrong_answer, hint), ...], case.expected)``; fall
   back on the case's tag (``shape_hint``, ``nonfinite``, the shared ``*_HINT`` texts).
3. The check: ``return run_battery("check_x", fn, cases, hint_for)``. ``run_battery`` calls the
   function on copies of the arguments, catches its exceptions and numpy warnings, prints the
   nudge for an untouched stub, and stops at the first failing case. Pass ``check=`` to replace
   the closeness test (e.g. compare which tokens are kept).

A check of a typed answer (a number, a word) is usually one :func:`check_answer` call in the
notebook; a quiz answered as a dict (one choice per question) is one ``check_quiz`` call, which
reports every wrong answer. Test every check in ``tests/test_exercises_<topic>.py``: the right answer passes, each
typical wrong answer gets its own hint, and ``tests/test_exercises.py``'s zoo of hostile answers
(huge ints, NaN, strings, generators, ...) never makes it raise.

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
"""  # noqa: E501  (wrapping a line would change the docstring's text)

from ._machinery import CheckResult, check_answer
from .applications import check_exploration_temperature, check_gradient_step
from .attention import check_attention, check_entropy_prediction
from .audit import AUDIT_QUIZ, check_sparsemax, check_verdicts
from .basics import check_softmax
from .calibration import check_ece, check_temperature_by_hand
from .cross_entropy import check_cross_entropy_grad, check_quarter_loss
from .output_layer import OUTPUT_LAYER_QUESTIONS, check_output_layer
from .predict import predict, register_prediction
from .progress import progress_table, reset_progress
from .sampling import check_top_p, check_top_p_words
from .sigmoid import check_log_sigmoid, check_sigmoid
from .stability import check_float32_ceiling, check_log_softmax, check_logsumexp, check_lse_1000
from .temperature import check_temperature_answer
from .vocab import check_online_logsumexp

__all__ = [
    "CheckResult",
    "check_answer",
    "check_softmax",
    "check_log_softmax",
    "check_logsumexp",
    "check_temperature_answer",
    "check_sigmoid",
    "check_log_sigmoid",
    "check_output_layer",
    "OUTPUT_LAYER_QUESTIONS",
    "check_cross_entropy_grad",
    "check_top_p",
    "check_ece",
    "check_temperature_by_hand",
    "check_gradient_step",
    "check_exploration_temperature",
    "check_attention",
    "check_entropy_prediction",
    "check_online_logsumexp",
    "check_quarter_loss",
    "check_float32_ceiling",
    "check_lse_1000",
    "check_top_p_words",
    "predict",
    "register_prediction",
    "progress_table",
    "reset_progress",
    "check_sparsemax",
    "check_verdicts",
    "AUDIT_QUIZ",
]
