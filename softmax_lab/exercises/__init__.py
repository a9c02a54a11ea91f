r"""Self-checks for the notebook exercises: run a learner's function, explain what went wrong.

Each ``check_*`` function runs the learner's code on a battery of cases (small and ordinary
first, then batches, huge logits, ``-inf`` masks and float32), compares the answers with
``softmax_lab``'s own functions, and prints friendly feedback. At the FIRST failing case it
shows what was passed, what was expected, what came back, and a hint aimed at the likely
mistake. It returns a :class:`CheckResult` (``.passed``, ``.message``, ``.hint``).

A check never raises, whatever it is given. That is the point of this package: an exception
raised by the learner's code (even ``SystemExit``; ``KeyboardInterrupt`` still stops the cell) is
caught and reported (type, message and a hint), numpy's overflow warnings raised inside the
learner's code are recorded and reported, an answer of the wrong kind (a string, a huge int, NaN,
an object whose ``__float__`` raises, a subclass of ``str`` or ``ndarray`` with broken methods,
...) is a failing result with a hint, and an exercise that is not attempted yet (its body still
``raise NotImplementedError``, or it returns ``None``) prints a nudge, so that a notebook still
runs from top to bottom. Nothing else anywhere in softmax_lab swallows exceptions.

Every battery mixes fixed cases, each built to expose one typical mistake, with seeded random
ones (axes of different lengths, batches missing a class, masks, a one-shot stream of blocks, no
confidence on a bin edge), so a solution that only works on the fixed cases fails. A hint names
the mistake the check recognises, or says plainly that it does not recognise it.

Layout
------
``_machinery``    :class:`CheckResult` and the battery runner with its helpers (``Case``,
                  ``run_battery``, ``first_matching``, ``plain``, ``guarded``, ...).
``_answers``      typed answers, asked one way: :func:`check_answer` with a key, the questions
                  registered by the topic modules (:func:`register_answer`), and quizzes.
``basics``        lessons 00-01: :func:`check_softmax` and the typed questions.
``temperature``   lesson 02: :func:`check_temperature_answer`.
``sigmoid``       lesson 03: :func:`check_log_sigmoid`.
``output_layer``  lesson 03: :func:`check_output_layer` and :data:`OUTPUT_LAYER_QUESTIONS`.
``cross_entropy`` lesson 04: :func:`check_cross_entropy_grad`, :func:`check_quarter_loss`.
``stability``     lesson 05: :func:`check_logsumexp`, :func:`check_float32_ceiling`, :func:`check_lse_1000`.
``sampling``      lesson 06: :func:`check_top_p`, :func:`check_top_p_words`.
``calibration``   lesson 07: :func:`check_ece`, :func:`check_temperature_by_hand`.
``attention``     lesson 08: :func:`check_attention`, :func:`check_entropy_prediction`.
``vocab``         lesson 09: :func:`check_online_logsumexp`.
``applications``  lesson 10: :func:`check_gradient_step`, :func:`check_exploration_temperature`.
``audit``         lesson 11: :func:`check_sparsemax`, :func:`check_verdicts` and :data:`AUDIT_QUIZ`.
``transformer``   lesson 12: :func:`check_softmax_backward`, :func:`check_your_model`.
``llm``           lesson 13: :func:`check_distillation_loss`, :func:`check_acceptance`, :func:`check_residual`,
                  :func:`check_top_k_gating`, :func:`check_info_nce`.

Writing a check for a new lesson
--------------------------------
Write ``softmax_lab/exercises/<topic>.py``, add ONE import line at the end of the imports below
and the check's name at the end of ``__all__``. A check of a learner's function is three parts:

1. The cases: a function returning a list of ``Case(what, args, expected, tag)``; ``what`` is
   shown to the learner, ``args`` are passed to the learner's function, ``expected`` comes from
   softmax_lab's own function, ``tag`` ("basic", "batch", "overflow", "mask", ...) says which
   kind of case it is (optional ``rtol``/``atol``, e.g. looser for float32).
   Add seeded random cases whose sizes all differ (and whatever else a fixed case could hide).
2. The hint: ``hint_for(case, got, outcome)`` returns the hint for a wrong answer ``got`` (a float
   array). Recognise typical mistakes by computing them (wrap deliberately naive maths in
   ``quiet(...)``) and ``first_matching(got, [(wrong_answer, hint), ...], case.expected)``; fall
   back on the case's tag (``shape_hint``, ``nonfinite``, the shared ``*_HINT`` texts), and end
   with ``unknown(recipe)``: a hint that does not know the mistake says so.
3. The check: ``return run_battery("check_x", fn, cases, hint_for)`` inside a function decorated
   with ``@guarded("check_x")``. ``run_battery`` calls the function on copies of the arguments,
   catches its exceptions and numpy warnings, prints the nudge for an untouched stub, and stops at
   the first failing case. Pass ``check=`` to replace the closeness test (e.g. compare which
   tokens are kept), ``exception_hint=`` to explain an exception this exercise knows.

A typed answer (a number, a word, True/False) is asked ONE way: register the question in the
topic module with :func:`register_answer` (key ``"NN.slug"``, right answer, ``tol`` or ``rtol``,
the precision in words, hints for typical wrong answers) and the notebook's check cell is
``check_answer("NN.slug", my_answer)``. A quiz answered as a dict (one choice per question) is one
``check_quiz`` call, which reports every wrong answer. Tests: ``tests/test_exercises_mutants.py``
(add the reference solution and its mutants: each must be rejected with its own hint),
``tests/test_exercises_hostile.py`` (finds every exported check by itself), and
``tests/test_exercises_<topic>.py`` for anything particular.

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
✔ check_softmax: all 14 cases passed. Well done!
True
"""  # noqa: E501  (wrapping a line would change the docstring's text)

from ._answers import check_answer, register_answer
from ._machinery import CheckResult
from .applications import check_exploration_temperature, check_gradient_step
from .attention import check_attention, check_entropy_prediction
from .audit import AUDIT_QUIZ, check_sparsemax, check_verdicts
from .basics import check_softmax
from .calibration import check_ece, check_temperature_by_hand
from .cross_entropy import check_cross_entropy_grad, check_quarter_loss
from .llm import check_acceptance, check_distillation_loss, check_info_nce, check_residual, check_top_k_gating
from .output_layer import OUTPUT_LAYER_QUESTIONS, check_output_layer
from .predict import predict, register_prediction
from .progress import progress_table, reset_progress
from .sampling import check_top_p, check_top_p_words
from .sigmoid import check_log_sigmoid
from .stability import check_float32_ceiling, check_logsumexp, check_lse_1000
from .temperature import check_temperature_answer
from .transformer import check_softmax_backward, check_your_model
from .vocab import check_online_logsumexp

__all__ = [
    "CheckResult",
    "check_answer",
    "register_answer",
    "check_softmax",
    "check_logsumexp",
    "check_temperature_answer",
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
    "check_softmax_backward",
    "check_your_model",
    "check_distillation_loss",
    "check_acceptance",
    "check_residual",
    "check_top_k_gating",
    "check_info_nce",
]
