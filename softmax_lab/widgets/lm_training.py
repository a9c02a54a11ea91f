"""Lesson 07: train the tiny language model live, and watch overconfidence appear."""

import asyncio
import html
import math
import time

import ipywidgets as widgets
import numpy as np

from .. import data, lm, plots, training
from ..functions import log_softmax
from ._base import Dashboard, GridLogSlider, GridSlider
from ._ticks import label_width, pad_integer_labels

RECIPES = ("best", "overtrained", "label_smoothed")
_HISTORY_KEY = {"best": "main", "overtrained": "overtrained", "label_smoothed": "label_smoothed"}
#: How close a retrained model must come to the shipped checkpoint's validation figures: the
#: weights are trained in float64 and shipped in float32, and BLAS may add in another order.
TOLERANCE = {"perplexity": 0.01, "confidence": 0.005, "accuracy": 0.005}
_CHUNK_SECONDS = 0.08          # train this long between two looks at the buttons
#: The learning rates offered: exact values (the shipped recipes use 5e-3 and 1e-2), 1-2-5 steps.
LEARNING_RATES = (1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 1e-1)


def shipped_recipe(name):
    """The settings that made a shipped checkpoint, read from ``data/training_history.json``.

    Returns a dict with the :class:`softmax_lab.training.Trainer` settings, plus
    ``train_sentences`` (None: all of them).
    """
    if name not in RECIPES:
        raise ValueError(f"recipe must be one of {', '.join(map(repr, RECIPES))}, got {name!r}")
    run = data.load_json("training_history.json")[_HISTORY_KEY[name]]
    recipe = dict(run["settings"])
    recipe.setdefault("label_smoothing", 0.0)
    recipe["train_sentences"] = run.get("train_sentences")
    return recipe


def validation_figures(weights, contexts, targets):
    """Perplexity, mean top probability and accuracy of ``weights`` on the given examples.

    Many examples share a context (the model reads the last three words): the network runs once
    per distinct context, and each example takes its context's prediction.
    """
    distinct, row_of = np.unique(contexts, axis=0, return_inverse=True)
    row_of = row_of.ravel()
    log_p = log_softmax(lm.forward(weights, distinct))
    return {"perplexity": float(np.exp(-np.mean(log_p[row_of, targets]))),
            "confidence": float(np.exp(log_p.max(axis=1))[row_of].mean()),
            "accuracy": float(np.mean(log_p.argmax(axis=1)[row_of] == targets))}


class TrainingDashboard(Dashboard):
    """Retrain the tiny language model in the notebook, with its loss, confidence and accuracy.

    Use :func:`training_dashboard`. Controls: ``init_scale`` (the last layer's starting weights
    are multiplied by it: above 1 is an overconfident start), ``learning_rate``, ``steps``,
    ``subset`` (training sentences), ``label_smoothing``, ``recipe`` (the shipped settings),
    ``train_button`` / ``stop_button`` / ``reset_button``, ``progress``. State: ``trainer``
    (:class:`softmax_lab.training.Trainer`), ``history`` (step, train and validation loss,
    validation confidence and accuracy at each evaluation), ``initial_loss``, ``log_v``,
    ``reproduction`` (the comparison with the shipped checkpoint, once a shipped recipe ran to
    the end), ``running``; the artists ``train_line``, ``val_line``, ``confidence_line``,
    ``accuracy_line``; ``readout``.
    """

    def __init__(self, recipe="best", presentation=False):
        settings = shipped_recipe(recipe)
        super().__init__(presentation)
        vocab = data.load_json("vocab.json")["words"]
        self.index = {w: i for i, w in enumerate(vocab)}
        self.vocab_size = len(vocab)
        self.log_v = math.log(self.vocab_size)
        self._sentences = data.load_sentences("train")
        self.validation = lm.make_examples(data.load_sentences("validation"), self.index, 3)
        self._task = None
        self._example_cache = {}
        self._quiet = False
        self.seconds = 0.0
        self.running = False
        self.reproduction = None

        style = self._description_style(["init scale", "learning rate", "label smoothing", "steps", "sentences"])
        layout = self._slider_layout()
        self.init_scale = GridLogSlider(value=1.0, base=10, min=-1, max=2, step=0.05, description="init scale",
                                        readout_format=".3g", layout=layout, style=style)
        self.learning_rate = widgets.SelectionSlider(options=[(f"{lr:g}", lr) for lr in LEARNING_RATES], value=1e-3,
                                                     description="learning rate", layout=layout, style=style)
        self.steps = widgets.IntSlider(value=2000, min=100, max=4000, step=100, description="steps",
                                       layout=layout, style=style)
        self.subset = widgets.IntSlider(value=len(self._sentences), min=100, max=len(self._sentences), step=100,
                                        description="sentences", layout=layout, style=style)
        self.label_smoothing = GridSlider(value=0.0, min=0.0, max=0.3, step=0.01, description="label smoothing",
                                          readout_format=".2f", layout=layout, style=style)
        self.recipe = widgets.ToggleButtons(options=RECIPES, value=recipe, description="recipe", style=style)
        self.train_button = widgets.Button(description="Train", button_style="success", icon="play")
        self.stop_button = widgets.Button(description="Stop", icon="stop")
        self.reset_button = widgets.Button(description="Reset", icon="refresh")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="step 0")
        self.readout = widgets.HTML()

        self._build_figure()
        buttons = widgets.HBox([self.train_button, self.stop_button, self.reset_button, self.progress])
        self._assemble(self.init_scale, self.learning_rate, self.steps, self.subset, self.label_smoothing,
                       self.recipe, buttons, self._make_view(self.figure), self.readout)
        self._apply_recipe(settings)          # starts the trainer and draws the figure once
        for control in (self.init_scale, self.learning_rate, self.steps, self.subset, self.label_smoothing):
            control.observe(self._guarded(self._on_setting), names="value")
        self.recipe.observe(self._guarded(lambda change: self._apply_recipe(shipped_recipe(change["new"]))),
                            names="value")
        self.train_button.on_click(self._guarded(lambda _: self.start()))
        self.stop_button.on_click(self._guarded(lambda _: self.stop()))
        self.reset_button.on_click(self._guarded(lambda _: self.reset()))

    # -- settings ----------------------------------------------------------------------------

    def _apply_recipe(self, settings):
        self._recipe_settings = settings
        self._quiet = True                     # one reset for the whole recipe, not one per control
        try:
            self.learning_rate.value = settings["learning_rate"]
            self.steps.value = settings["steps"]
            self.subset.value = settings["train_sentences"] or len(self._sentences)
            self.label_smoothing.value = settings["label_smoothing"]
            self.init_scale.value = 1.0
        finally:
            self._quiet = False
        self.reset()

    def _on_setting(self, change=None):
        if not self._quiet:
            self.reset()

    @property
    def settings(self):
        """The Trainer settings the controls describe (plus the recipe's fixed ones)."""
        fixed = self._recipe_settings
        smoothing = float(self.label_smoothing.value)
        if math.isclose(smoothing, fixed["label_smoothing"], abs_tol=1e-9):
            smoothing = fixed["label_smoothing"]          # the recipe's exact number, not the grid's
        return dict(steps=int(self.steps.value), batch_size=fixed["batch_size"],
                    learning_rate=float(self.learning_rate.value), lr_decay=fixed["lr_decay"],
                    weight_decay=fixed["weight_decay"], seed=fixed["seed"], eval_every=fixed["eval_every"],
                    label_smoothing=smoothing)

    def _is_shipped_recipe(self):
        fixed = self._recipe_settings
        sentences = fixed["train_sentences"] or len(self._sentences)
        same = all(math.isclose(self.settings[k], fixed[k]) for k in ("steps", "learning_rate", "label_smoothing"))
        return same and self.init_scale.value == 1.0 and int(self.subset.value) == sentences

    # -- training ------------------------------------------------------------------------------

    def reset(self):
        """Stop, and start over from fresh weights with the current settings."""
        self.stop()
        settings = self.settings
        contexts, targets = self._examples(int(self.subset.value))
        init = training.init_weights(self.vocab_size, 3, seed=settings["seed"])
        init["output_weight"] = init["output_weight"] * float(self.init_scale.value)
        self.trainer = training.Trainer(contexts, targets, self.vocab_size, init=init,
                                        validation=self.validation, **settings)
        self.history = {"step": [], "train_loss": [], "val_loss": [], "confidence": [], "accuracy": []}
        self.reproduction = None
        self._record(initial=True)
        self.initial_loss = self.history["val_loss"][0]
        self.progress.max = settings["steps"]
        self._update()

    def _examples(self, n_sentences):
        """The training examples of the first ``n_sentences`` sentences (cached: the slider's values)."""
        if n_sentences not in self._example_cache:
            self._example_cache[n_sentences] = lm.make_examples(self._sentences[:n_sentences], self.index, 3)
        return self._example_cache[n_sentences]

    def _record(self, initial=False):
        """Measure the validation confidence and accuracy now (the loss comes from the Trainer)."""
        figures = validation_figures(self.trainer.weights, *self.validation)
        result = self.trainer.result
        h = self.history
        h["step"].append(self.trainer.step)
        measured = math.log(figures["perplexity"])       # the validation loss, measured here
        h["val_loss"].append(result.val_losses[-1] if result.val_losses and not initial else measured)
        h["train_loss"].append(result.train_losses[-1] if result.train_losses and not initial else np.nan)
        h["confidence"].append(figures["confidence"])
        h["accuracy"].append(figures["accuracy"])

    def _after_step(self, trainer):
        result = trainer.result
        if result.eval_steps and result.eval_steps[-1] == trainer.step:
            self._record()

    def run(self, n_steps=None):
        """Train ``n_steps`` more steps now (all that remain by default), then redraw."""
        self.trainer.run(n_steps, callback=self._after_step)
        self._finish_if_done()
        self._update()
        return self

    def _finish_if_done(self):
        if self.trainer.done and self._is_shipped_recipe():
            name = self.recipe.value
            weights = self.trainer.result.best_weights if name != "overtrained" else self.trainer.weights
            if weights is None:     # no evaluation was recorded (e.g. an interrupted one): nothing to compare
                return
            weights = {k: v.astype(np.float32) for k, v in weights.items()}      # as shipped
            shipped = lm.load(name).weights
            self.reproduction = {"name": name, "yours": validation_figures(weights, *self.validation),
                                 "shipped": validation_figures(shipped, *self.validation)}
            self.reproduction["within_tolerance"] = all(
                abs(self.reproduction["yours"][k] - self.reproduction["shipped"][k])
                <= TOLERANCE[k] * (self.reproduction["shipped"][k] if k == "perplexity" else 1.0)
                for k in TOLERANCE)

    def start(self):
        """Train in the background, a few steps at a time, so that Stop stays responsive."""
        if self.running or self.trainer.done:
            return
        try:
            loop = asyncio.get_running_loop()     # in a kernel: its event loop, which also handles the clicks
        except RuntimeError:                      # no event loop (a plain script): train to the end now
            self.run()
            return
        self.running = True
        self._task = loop.create_task(self._train_in_background())

    def stop(self):
        """Stop after the current few steps (the weights trained so far are kept)."""
        self.running = False

    async def _train_in_background(self):
        chunk = 10
        started = time.perf_counter()
        try:
            while self.running and not self.trainer.done:
                t0 = time.perf_counter()
                self.trainer.run(chunk, callback=self._after_step)
                elapsed = time.perf_counter() - t0
                chunk = max(1, min(200, int(chunk * _CHUNK_SECONDS / max(elapsed, 1e-3))))
                self._finish_if_done()
                self._update()
                await asyncio.sleep(0)           # let the kernel handle a click on Stop
        except Exception as exc:  # shown in the dashboard, like any callback error
            self._show_error(exc)
        finally:
            self.running = False
            self.seconds = time.perf_counter() - started
            self._update()

    # -- figure ----------------------------------------------------------------------------------

    def _build_figure(self):
        f = self.presentation
        fs = self._fonts
        self.figure, (lx, cx) = self._new_figure(1, 2, size=(7.8, 3.5))
        plots.label_axes(lx, "training step", "loss (nats per word)", presentation=f)
        self.train_line, = lx.plot([], [], color=plots.PALETTE[1], label="train (mini-batches)")
        self.val_line, = lx.plot([], [], color=plots.PALETTE[0], marker="o", markersize=3, label="validation")
        lx.axhline(self.log_v, color=plots.OKABE_ITO["black"], linestyle=":", linewidth=1)
        lx.text(0.98, self.log_v, f"log V = {self.log_v:.2f}", transform=lx.get_yaxis_transform(),
                ha="right", va="bottom", fontsize=fs.note)
        lx.set_ylim(0, 8)
        pad_integer_labels(lx.yaxis, lambda: self._label_width)
        lx.legend(loc="upper right", fontsize=fs.note, frameon=False)
        self.start_text = lx.text(0.03, 0.04, "", transform=lx.transAxes, fontsize=fs.note, ha="left", va="bottom")
        plots.label_axes(cx, "training step", "on validation", presentation=f)
        self.confidence_line, = cx.plot([], [], color=plots.OKABE_ITO["vermillion"], marker="o", markersize=3,
                                        label="mean confidence")
        self.accuracy_line, = cx.plot([], [], color=plots.PALETTE[2], marker="s", markersize=3, label="accuracy")
        cx.set_ylim(0, 1)
        cx.legend(loc="lower right", fontsize=fs.note, frameon=False)
        self._axes = (lx, cx)
        self._title = self.figure.suptitle("step 2000 of 2000 (epoch 100.0): validation loss 1.000", fontsize=fs.title)
        plots.animate(self.figure, self.train_line, self.val_line, self.confidence_line, self.accuracy_line,
                      self._title, self.start_text)
        plots.relayout(self.figure)
        self._xmax = None
        self._ytop = 8
        self._label_width = 2

    def _show_state(self):
        h = self.history
        steps = np.array(h["step"])
        if self._xmax != self.trainer.steps:
            self._xmax = self.trainer.steps
            for ax in self._axes:
                ax.set_xlim(0, self._xmax)
            plots.relayout(self.figure)             # new ticks: lay the figure out again
        top = max(8.0, 1.1 * np.nanmax(h["val_loss"]))
        if top > self._ytop or (top == 8.0 and self._ytop != 8.0):
            self._ytop = top
            self._axes[0].set_ylim(0, top)
            width = label_width(self._axes[0].yaxis)
            if width != self._label_width:          # wider tick labels: lay out again
                self._label_width = width
                plots.relayout(self.figure)
        # The loss axis's labels are all as wide (at least two digits): its limits change the picture,
        # not the layout. A picture is kept for each, so going back to 0-8 (a reset) draws little.
        plots.set_static_key(self.figure, (self._xmax, self._ytop))
        self.train_line.set_data(steps[1:], h["train_loss"][1:])
        self.val_line.set_data(steps, h["val_loss"])
        self.confidence_line.set_data(steps, h["confidence"])
        self.accuracy_line.set_data(steps, h["accuracy"])
        self.start_text.set_text(f"at the start: loss {self.initial_loss:.3f}, confidence {h['confidence'][0]:.3f}")
        step = self.trainer.step
        self.progress.value = step
        self.progress.description = f"step {step}"
        epochs = step * self.trainer.batch_size / len(self.trainer.targets)      # passes over the training set
        self._title.set_text(f"step {step} of {self.trainer.steps} (epoch {epochs:.1f})"
                             + (f": validation loss {h['val_loss'][-1]:.3f}" if len(steps) > 1 else ""))
        rows = [("before training", f"validation loss {self.initial_loss:.3f} nats (a uniform guess: "
                                    f"log V = log {self.vocab_size} = {self.log_v:.3f}); confidence "
                                    f"{h['confidence'][0]:.3f}, accuracy {h['accuracy'][0]:.3f}"),
                ("now", f"step {step}: loss {h['val_loss'][-1]:.3f}, confidence {h['confidence'][-1]:.3f}, "
                        f"accuracy {h['accuracy'][-1]:.3f}" + (" (training...)" if self.running else ""))]
        if self.reproduction is not None:
            r = self.reproduction
            verdict = "reproduced" if r["within_tolerance"] else "NOT reproduced"
            rows.append((f"shipped '{html.escape(r['name'])}'",
                         f"{verdict}: perplexity {r['yours']['perplexity']:.3f} (shipped "
                         f"{r['shipped']['perplexity']:.3f}), confidence {r['yours']['confidence']:.3f} "
                         f"({r['shipped']['confidence']:.3f}), accuracy {r['yours']['accuracy']:.3f} "
                         f"({r['shipped']['accuracy']:.3f})"))
        self.readout.value = self._html_box(rows)


def training_dashboard(recipe="best", presentation=False):
    r"""Train the tiny language model live: loss, confidence and accuracy on validation as it learns.

    Train runs in the background a few steps at a time (the kernel stays free: Stop works while
    it trains); Reset, or any change of a setting, starts over from fresh weights. Before any
    training the readout shows the starting validation loss, about :math:`\log V` (every word
    nearly equally likely), and what an overconfident start does to it (``init scale`` above
    1 multiplies the last layer's weights). With a shipped recipe and unchanged settings, the
    run ends by comparing its validation perplexity, mean confidence and accuracy with the
    shipped checkpoint's (within :data:`TOLERANCE`).

    Parameters
    ----------
    recipe : {"best", "overtrained", "label_smoothed"}, default "best"
        The shipped settings to start from (``data/training_history.json``).
    presentation : bool, default False

    Returns
    -------
    TrainingDashboard

    Examples
    --------
    >>> dash = training_dashboard("overtrained")
    >>> abs(dash.initial_loss - dash.log_v) < 0.1                  # about log V before training
    True
    >>> dash.init_scale.value = 100.0                               # an overconfident start
    >>> dash.initial_loss > dash.log_v + 5
    True
    >>> dash.run(50).trainer.step
    50
    """
    return TrainingDashboard(recipe, presentation)
