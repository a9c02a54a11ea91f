"""Dashboards for the lessons: sliders and text boxes wired to figures that update in place.

Every dashboard is an ipywidgets container that is *returned*, never displayed: the last line
of a notebook cell shows it. Each one keeps its state in plain attributes, so that tests and
sanity-check cells can move a control and read the result::

    dash = logit_explorer()
    dash.sliders[0].value = 5.0          # as if a learner had dragged the "mat" slider
    dash.probabilities                   # softmax of the current logits
    dash.figure                          # the one matplotlib Figure, updated in place

The maths comes from :mod:`softmax_lab` (softmax, entropy, cross_entropy, ...); the drawing
from :mod:`softmax_lab.plots`; this package only wires them together. Figures are PNG images
re-rendered after each change; :func:`setup_figures` (called once in a notebook's Setup cell)
can switch to the live ipympl canvas instead (``"canvas"``, see ``_base``).

Layout
------
``_base``       the shared machinery: figure mode (:func:`setup_figures`,
                :func:`current_figure_mode`), the :class:`Dashboard` base class, presentation
                mode, messages, callbacks whose errors are shown in the dashboard, and the
                sliders that keep their value on their grid (``GridSlider``,
                ``GridLogSlider``, :func:`snap_to_grid`).
``parsing``     reading typed text (:func:`parse_logits`, :func:`parse_labels`) and checking
                constructor arguments (``check_logits``, ``check_labels``, ``categories``),
                with their limits (:data:`MAX_CATEGORIES`, :data:`LOGIT_LIMIT`, ...).
``basics``      lessons 01-03: logit explorer, temperature explorer, sigmoid versus softmax.
``training``    lesson 04: the gradient stepper.
``stability``   lesson 05: the stability explorer.
``sampling``    lesson 06: the sampler dashboard.
``calibration`` lesson 07: the reliability dashboard.
``lm_training`` lesson 07: the training dashboard (the tiny language model, trained live).
``attention``   lesson 08: the attention explorer, entropy collapse, the attention sink.
``tiled``       lesson 08: the tiled (FlashAttention-style) softmax walkthrough.
``vocab``       lesson 09: the vocabulary memory calculator.
``applications`` lesson 10: the classifier trainer and the bandit explorer.
``decoding``    lesson 10: the beam search explorer.
``audit``       lesson 11: the claim stepper and the alternatives explorer.
``transformer`` lesson 12: the head explorer and the capstone (your functions run the model).
``llm``         lesson 13: soft targets, speculative sampling, a router, a contrastive trainer.
``classroom``   the classroom app: presets for a teacher, guess then reveal.

Adding a dashboard for a new lesson
-----------------------------------
Write one module, ``softmax_lab/widgets/<topic>.py``, then add ONE import line at the end of
the imports below and its names at the end of ``__all__``. In the module:

1. Subclass :class:`Dashboard` (``from ._base import Dashboard, mpl_text``); validate the
   arguments first (errors name the argument), then call ``super().__init__(presentation)``.
2. Keep the state in plain attributes and properties (``.probabilities``, the sliders, ...):
   tests and sanity-check cells read them.
3. Build the figure ONCE in ``_build_figure`` (``self.figure, ax = self._new_figure(...)``),
   keep the artists that change, and register them with ``plots.animate``.
4. ``_show_state`` only mutates those artists and the readouts (``set_height``, ``set_data``,
   ``set_text``): never a new figure, never ``ax.clear()``; leave alone what did not change
   (an artist you touch is drawn again). ``_update`` (the default callback) calls
   ``_show_state`` then ``redraw()``, which re-renders the PNG.
5. Wire each control with ``control.observe(self._guarded(self._update), names="value")``:
   ``_guarded`` shows an error under the figure instead of losing it. Refuse bad typed text
   inline with ``self._say(...)``. Use ``GridSlider`` / ``GridLogSlider`` from ``_base``
   instead of ipywidgets' FloatSlider / FloatLogSlider: they keep every value on the slider's
   grid, so a value set from code is never snapped and sent back late by the browser.
6. End with ``self._assemble(controls..., self._make_view(self.figure), self.readout)`` and
   ``self._update()``; add a factory function ``my_dashboard(..., presentation=False)`` with a
   numpydoc docstring and a doctest, and a test in ``tests/test_widgets_<topic>.py``. The
   shared contract tests (tests/test_widgets_contract.py) find the factory in ``__all__`` by
   itself; if it needs arguments, add them to ``FACTORY_ARGUMENTS`` in tests/widget_helpers.py.
   They hold every figure to this, at the default and the presentation size: each text inside the
   figure, no two texts over each other, and every text set with ``self._fonts`` (a projector
   shows a presentation figure scaled to about 830 px at 1024 x 768; 10-point text is then too
   small to read).
"""

from ._base import Dashboard, current_figure_mode, setup_figures, snap_to_grid
from .applications import BanditExplorer, ClassifierTrainer, bandit_explorer, classifier_trainer
from .attention import (
                     AttentionExplorer,
                     AttentionSink,
                     EntropyCollapse,
                     attention_explorer,
                     attention_sink,
                     entropy_collapse,
)
from .audit import AlternativesExplorer, ClaimStepper, alternatives_explorer, claim_stepper
from .basics import (
                     LogitExplorer,
                     SigmoidVsSoftmax,
                     TemperatureExplorer,
                     logit_explorer,
                     sigmoid_vs_softmax,
                     temperature_explorer,
)
from .calibration import ReliabilityDashboard, reliability_dashboard
from .classroom import Classroom, classroom
from .decoding import BeamSearchExplorer, beam_search_explorer
from .llm import (
                     ContrastiveTrainer,
                     RouterExplorer,
                     SoftTargetsExplorer,
                     SpeculativeExplorer,
                     contrastive_trainer,
                     router_explorer,
                     soft_targets_explorer,
                     speculative_explorer,
)
from .lm_training import TrainingDashboard, training_dashboard
from .parsing import LOGIT_LIMIT, MAX_CATEGORIES, parse_labels, parse_logits
from .sampling import SamplerDashboard, sampler_dashboard
from .stability import StabilityExplorer, stability_explorer
from .tiled import TiledWalkthrough, tiled_walkthrough
from .training import GradientStepper, gradient_stepper
from .transformer import HeadExplorer, YourModelDashboard, head_explorer, your_model_dashboard
from .vocab import VocabMemoryCalculator, vocab_memory_calculator

__all__ = [
    "setup_figures",
    "current_figure_mode",
    "parse_logits",
    "parse_labels",
    "logit_explorer",
    "temperature_explorer",
    "sigmoid_vs_softmax",
    "gradient_stepper",
    "LogitExplorer",
    "TemperatureExplorer",
    "SigmoidVsSoftmax",
    "GradientStepper",
    "MAX_CATEGORIES",
    "LOGIT_LIMIT",
    "stability_explorer",
    "StabilityExplorer",
    "sampler_dashboard",
    "SamplerDashboard",
    "Dashboard",
    "snap_to_grid",
    "reliability_dashboard",
    "ReliabilityDashboard",
    "training_dashboard",
    "TrainingDashboard",
    "classifier_trainer",
    "ClassifierTrainer",
    "bandit_explorer",
    "BanditExplorer",
    "beam_search_explorer",
    "BeamSearchExplorer",
    "attention_explorer",
    "AttentionExplorer",
    "entropy_collapse",
    "EntropyCollapse",
    "attention_sink",
    "AttentionSink",
    "tiled_walkthrough",
    "TiledWalkthrough",
    "vocab_memory_calculator",
    "VocabMemoryCalculator",
    "classroom",
    "Classroom",
    "claim_stepper",
    "ClaimStepper",
    "alternatives_explorer",
    "AlternativesExplorer",
    "head_explorer",
    "HeadExplorer",
    "your_model_dashboard",
    "YourModelDashboard",
    "soft_targets_explorer",
    "SoftTargetsExplorer",
    "speculative_explorer",
    "SpeculativeExplorer",
    "router_explorer",
    "RouterExplorer",
    "contrastive_trainer",
    "ContrastiveTrainer",
]
