"""Lesson 10: softmax beyond language. A classifier the learner trains, and Boltzmann exploration on
a bandit. (The lesson's third dashboard, beam search over the tiny language model, is in
:mod:`softmax_lab.widgets.decoding`.)"""

import html
import time

import ipywidgets as widgets
import numpy as np

from .. import bandits, classify, plots
from ..functions import softmax
from ..losses import cross_entropy
from ._base import Dashboard, GridLogSlider, GridSlider, mpl_text, snap_to_grid

TASKS = ("sentiment", "shapes")
_TASK_DEFAULTS = {"sentiment": dict(learning_rate=1.0, n_steps=300), "shapes": dict(learning_rate=0.1, n_steps=300)}
RECORD_EVERY = 10          # the dashboard keeps the weights and the curves every 10 steps
MAX_TEXT_LENGTH = 300


def _check_step(step):
    if not callable(step):
        raise TypeError("step must be your gradient-step function step(W, b, X, y, learning_rate) -> (W, b), "
                        f"got {step!r}")
    return step


# --------------------------------------------------------------------------------------------
# 1. Softmax regression, trained by the learner's own step
# --------------------------------------------------------------------------------------------

class ClassifierTrainer(Dashboard):
    """Train softmax regression with the learner's gradient step, then scrub through training.

    Use :func:`classifier_trainer`. Attributes: ``task``, ``classes``, ``X_train``, ``X_test``,
    ``y_train``, ``y_test``, ``vocab`` (sentiment), ``history`` (dict of lists: ``step``,
    ``train_loss``, ``test_loss``, ``train_accuracy``, ``test_accuracy``), ``snapshots`` (the
    (W, b) at each recorded step), ``training_time`` (seconds spent in the learner's step),
    the controls ``snapshot`` (IntSlider: which recorded step is shown), ``learning_rate``
    (log slider; a change trains again), ``train_button``, ``progress`` (IntProgress),
    ``example`` (Dropdown of test examples), ``text`` (Text, sentiment only); ``probabilities``
    (the predicted distribution shown), ``initial_loss`` and ``log_k``.
    """

    def __init__(self, task="sentiment", step=None, learning_rate=None, n_steps=None, presentation=False):
        if task not in TASKS:
            raise ValueError(f"task must be one of {', '.join(map(repr, TASKS))}, got {task!r}")
        self.step_function = _check_step(step)
        defaults = _TASK_DEFAULTS[task]
        lr = defaults["learning_rate"] if learning_rate is None else learning_rate
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 1e-3 <= lr <= 10:
            raise ValueError(f"learning_rate must be a number from 0.001 to 10, got {learning_rate!r}")
        n_steps = defaults["n_steps"] if n_steps is None else n_steps
        if isinstance(n_steps, bool) or not isinstance(n_steps, int) or not RECORD_EVERY <= n_steps <= 5000:
            raise ValueError(f"n_steps must be an integer from {RECORD_EVERY} to 5000, got {n_steps!r}")
        super().__init__(presentation)
        self.task, self.n_steps = task, n_steps
        self._load_data()
        self.log_k = float(np.log(len(self.classes)))

        style = self._description_style(["after step", "learning rate", "example"])
        self.snapshot = widgets.IntSlider(value=n_steps, min=0, max=n_steps, step=RECORD_EVERY,
                                          description="after step", layout=self._slider_layout(), style=style)
        self.learning_rate = GridLogSlider(value=lr, min=-3, max=1, step=0.1, base=10, description="learning rate",
                                           readout_format=".3g", layout=self._slider_layout(), style=style)
        self.train_button = widgets.Button(description="Train again", icon="play", button_style="primary")
        self.progress = widgets.IntProgress(value=0, min=0, max=n_steps, description="training",
                                            bar_style="info", style=style)
        self.example = widgets.Dropdown(options=self._example_options(), value=0, description="example",
                                        style=style, layout=widgets.Layout(width="95%", max_width="620px"))
        self.text = widgets.Text(value="", placeholder="or type a review, e.g.: the soup was cold and awful",
                                 description="your text", style=style,
                                 layout=widgets.Layout(width="95%", max_width="620px"))
        self.readout = widgets.HTML()
        self._fit()
        if task == "sentiment":
            self.shown_words = self._top_words(self.snapshots[-1][0])
        self._build_figure()
        self._show_trained()

        self.snapshot.observe(self._guarded(self._update), names="value")
        self.example.observe(self._guarded(self._update), names="value")
        self.text.observe(self._guarded(self._on_text), names="value")
        self.learning_rate.observe(self._guarded(lambda change: self.train()), names="value")
        self.train_button.on_click(self._guarded(lambda button: self.train()))
        inputs = [self.example] + ([self.text] if task == "sentiment" else [])
        self._assemble(self.snapshot, widgets.HBox([self.train_button, self.progress]), self.learning_rate,
                       *inputs, self._make_view(self.figure), self.readout)
        self._update()

    # -- data ------------------------------------------------------------------------------

    def _load_data(self):
        if self.task == "sentiment":
            texts, labels = classify.load_sentiment()
            t_train, t_test, self.y_train, self.y_test = classify.train_test_split(np.array(texts), labels, seed=0)
            self.texts_train, self.texts_test = list(t_train), list(t_test)
            self.vocab = classify.build_vocabulary(self.texts_train)
            self.X_train = classify.bag_of_words(self.texts_train, self.vocab)
            self.X_test = classify.bag_of_words(self.texts_test, self.vocab)
            self.classes = classify.SENTIMENT_LABELS
        else:
            images, labels = classify.make_shapes(seed=0)
            self.image_size = images.shape[1]
            X = images.reshape(len(images), -1)
            self.X_train, self.X_test, self.y_train, self.y_test = classify.train_test_split(X, labels, seed=0)
            self.classes = classify.SHAPE_NAMES
            self.vocab = None

    def _example_options(self):
        names = self.classes
        if self.task == "sentiment":
            return [(f"{t}  [{names[y]}]", i) for i, (t, y) in enumerate(zip(self.texts_test[:40], self.y_test))]
        return [(f"test image {i}  [{names[y]}]", i) for i, y in enumerate(self.y_test[:40])]

    # -- training ------------------------------------------------------------------------

    def _checked_step(self, W, b):
        out = self.step_function(W.copy(), b.copy(), self.X_train, self.y_train, float(self.learning_rate.value))
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"step must return a pair (W, b), got {type(out).__name__}")
        W2, b2 = (np.asarray(a, dtype=np.float64) for a in out)
        if W2.shape != W.shape or b2.shape != b.shape:
            raise ValueError(f"step must return W of shape {W.shape} and b of shape {b.shape}, "
                             f"got {W2.shape} and {b2.shape}")
        if not (np.isfinite(W2).all() and np.isfinite(b2).all()):
            raise ValueError("step returned NaN or inf weights: is the learning rate too large?")
        return W2, b2

    def _record(self, step, W, b):
        h = self.history
        h["step"].append(step)
        for part, X, y in (("train", self.X_train, self.y_train), ("test", self.X_test, self.y_test)):
            z = X @ W + b
            h[f"{part}_loss"].append(float(cross_entropy(z, y)))
            h[f"{part}_accuracy"].append(classify.accuracy(z, y))
        self.snapshots.append((W.copy(), b.copy()))

    def train(self):
        """Train from zero weights with the learner's step; the curves and progress bar follow live."""
        self._fit()
        self._show_trained()

    def _top_words(self, W, per_class=4):
        """The words whose weight favours each class most (over the mean of the classes), in class order."""
        relative = W - W.mean(axis=1, keepdims=True)
        chosen = []
        for k in range(W.shape[1]):
            chosen += [self.vocab[j] for j in np.argsort(-relative[:, k], kind="stable")
                       if self.vocab[j] not in chosen][:per_class]
        return chosen

    def _fit(self):
        D, K = self.X_train.shape[1], len(self.classes)
        W, b = np.zeros((D, K)), np.zeros(K)
        self.history = {key: [] for key in ("step", "train_loss", "test_loss", "train_accuracy", "test_accuracy")}
        self.snapshots = []
        self._trainings = getattr(self, "_trainings", 0) + 1      # names this training's pictures
        self.training_time = 0.0
        self.progress.value, self.progress.bar_style = 0, "info"
        live = hasattr(self, "figure_view")          # shown already (a retrain), not while building
        self._record(0, W, b)
        for s in range(1, self.n_steps + 1):
            start = time.perf_counter()
            W, b = self._checked_step(W, b)
            self.training_time += time.perf_counter() - start
            if s % RECORD_EVERY == 0:
                self._record(s, W, b)
                self.progress.value = s
                if live and s % (10 * RECORD_EVERY) == 0 and s < self.n_steps:
                    self._show_curves(s)
                    self.redraw()
        self.progress.bar_style = "success"

    def _show_trained(self):
        self._set_weight_scale()
        if self.snapshot.value != self.n_steps:
            self.snapshot.value = self.n_steps       # observed: updates the view
        else:
            self._update()

    def _picture_key(self):
        if self.progress.value != self.n_steps:         # drawn while training: not kept
            return None
        return (self._trainings, self.snapshot.value, self.example.value, self.text.value)

    @property
    def initial_loss(self):
        """The training loss before any step (zero weights: every class 1/K, so log K)."""
        return self.history["train_loss"][0]

    @property
    def weights(self):
        """The (W, b) recorded at the step the slider shows."""
        return self.snapshots[self.snapshot.value // RECORD_EVERY]

    def features(self, text):
        """The bag-of-words vector of ``text`` (sentiment)."""
        return classify.bag_of_words([text], self.vocab)[0]

    @property
    def shown_input(self):
        """(feature vector, true class or None, title) of the input whose prediction is shown."""
        text = self.text.value[:MAX_TEXT_LENGTH].strip()
        if self.task == "sentiment" and text:
            return self.features(text), None, text
        i = self.example.value
        return self.X_test[i], int(self.y_test[i]), self.example.label.split("  [")[0]

    @property
    def probabilities(self):
        """softmax(x W + b) for the shown input, with the weights at the slider's step."""
        W, b = self.weights
        return softmax(self.shown_input[0] @ W + b)

    # -- figure ----------------------------------------------------------------------------

    def _build_figure(self):
        f, K = self.presentation, len(self.classes)
        mosaic = [["loss", "acc", "pred"], ["w0", "w1", "w2"]] if self.task == "shapes" else \
                 [["loss", "acc", "pred"], ["words", "words", "words"]]
        self.figure, ax = self._new_figure(size=(8.0, 5.6), mosaic=mosaic)
        plots.label_axes(ax["loss"], "step", "cross-entropy (nats)", title="loss", presentation=f)
        plots.label_axes(ax["acc"], "step", "accuracy", title="accuracy", presentation=f)
        colors = plots.PALETTE
        self.loss_lines = {p: ax["loss"].plot([], [], color=c, lw=2, label=p)[0]
                           for p, c in (("train", colors[0]), ("test", colors[1]))}
        self.accuracy_lines = {p: ax["acc"].plot([], [], color=c, lw=2, label=p)[0]
                               for p, c in (("train", colors[0]), ("test", colors[1]))}
        plots.reference_line(ax["loss"], self.log_k, f"log K = {self.log_k:.2f}", presentation=f, va="top",
                             x_text=0.35)
        ax["acc"].axhline(1 / K, color="grey", ls=":", lw=1)
        for a in (ax["loss"], ax["acc"]):
            a.set_xlim(0, self.n_steps)
            a.legend(fontsize=self._fonts.note, frameon=False, loc="center right")
        ax["loss"].set_ylim(0, 1.25 * self.log_k)
        ax["acc"].set_ylim(0, 1.02)
        self.step_markers = [a.axvline(0, color="black", lw=1, ls="--") for a in (ax["loss"], ax["acc"])]
        self._loss_ax = ax["loss"]
        labels = [mpl_text(c) for c in self.classes]
        self.prediction_bars = plots.probability_bars(ax["pred"], labels, presentation=f, value_format="{:.2f}")
        plots.label_axes(ax["pred"], "class", "probability", title="prediction", presentation=f)
        # the class names turned, so that long ones do not run into each other in the narrow axis
        ax["pred"].set_xticks(np.arange(K), labels, rotation=25, ha="right", rotation_mode="anchor",
                              fontsize=self._fonts.note)
        self._pred_title = ax["pred"].title
        if self.task == "shapes":
            n = self.image_size
            self.weight_images = []
            for k in range(K):
                a = ax[f"w{k}"]
                self.weight_images.append(a.imshow(np.zeros((n, n)), cmap=plots.DIVERGING_CMAP, vmin=-1, vmax=1))
                a.set_title(f"weights of '{self.classes[k]}'", fontsize=self._fonts.note)
                a.set_xticks([])
                a.set_yticks([])
                a.set_xlabel("red: pixel votes for; blue: against", fontsize=self._fonts.note - 1)
            animated = self.weight_images
        else:
            words = self.shown_words
            self.weight_image, _ = plots.heatmap(ax["words"], np.zeros((K, len(words))), vmin=-2, vmax=2,
                                                 colorbar_label="weight", presentation=f)
            ax["words"].set_xticks(np.arange(len(words)), [mpl_text(w) for w in words], rotation=35, ha="right",
                                   fontsize=self._fonts.tick)
            ax["words"].set_yticks(np.arange(K), labels, fontsize=self._fonts.tick)
            ax["words"].set_xlabel("word", fontsize=self._fonts.label)
            ax["words"].set_ylabel("class", fontsize=self._fonts.label)
            ax["words"].set_title("weights W[word, class] of the words each class relies on most",
                                  fontsize=self._fonts.title)
            animated = [self.weight_image]
        plots.animate(self.figure, *self.loss_lines.values(), *self.accuracy_lines.values(), *self.step_markers,
                      self.prediction_bars.bars, self.prediction_bars.texts, self._pred_title, *animated)
        plots.relayout(self.figure)

    def _set_weight_scale(self):
        W = self.snapshots[-1][0]
        limit = float(np.max(np.abs(W))) or 1.0
        images = self.weight_images if self.task == "shapes" else [self.weight_image]
        for image in images:
            image.set_clim(-limit, limit)
        plots.relayout(self.figure)         # the colour bar's ticks changed: lay the figure out again

    def _show_curves(self, upto):
        h = self.history
        n = min(len(h["step"]), upto // RECORD_EVERY + 1)
        for part in ("train", "test"):
            self.loss_lines[part].set_data(h["step"][:n], h[f"{part}_loss"][:n])
            self.accuracy_lines[part].set_data(h["step"][:n], h[f"{part}_accuracy"][:n])

    def _on_text(self, change):
        if len(self.text.value) > MAX_TEXT_LENGTH:
            self._say(f"the text is longer than {MAX_TEXT_LENGTH} characters; only its start is used")
        elif self.text.value.strip() and not self.features(self.text.value[:MAX_TEXT_LENGTH]).any():
            self._say("none of these words is in the vocabulary: the prediction is the bias alone")
        else:
            self._say("")
        self._update()

    def _show_state(self):
        h, i = self.history, self.snapshot.value // RECORD_EVERY
        self._show_curves(self.n_steps)
        for marker in self.step_markers:
            marker.set_xdata([self.snapshot.value] * 2)
        W, b = self.weights
        if self.task == "shapes":
            for k, image in enumerate(self.weight_images):
                image.set_data(W[:, k].reshape(self.image_size, self.image_size))
        else:
            rows = [self.vocab.index(w) for w in self.shown_words]
            self.weight_image.set_data(W[rows].T)
        p = self.probabilities
        _, truth, title = self.shown_input
        plots.set_heights(self.prediction_bars, p)
        plots.highlight(self.prediction_bars, np.arange(len(p)) == (np.argmax(p) if truth is None else truth))
        short = title if len(title) <= 28 else title[:26] + "..."
        self._pred_title.set_text(mpl_text(short))
        self.readout.value = self._html_box([
            ("after step", f"{self.snapshot.value} of {self.n_steps} (learning rate {self.learning_rate.value:.3g})"),
            ("loss train / test", f"{h['train_loss'][i]:.3f} / {h['test_loss'][i]:.3f} nats "
                                  f"(at step 0: {self.initial_loss:.4f} = log {len(self.classes)})"),
            ("accuracy train / test", f"{h['train_accuracy'][i]:.1%} / {h['test_accuracy'][i]:.1%}"),
            ("prediction", ", ".join(f"{c} {v:.2f}" for c, v in zip(self.classes, p))),
            ("time in your step", f"{self.training_time * 1000:.0f} ms for {self.n_steps} steps"),
        ])


def classifier_trainer(task="sentiment", step=None, learning_rate=None, n_steps=None, presentation=False):
    r"""A dashboard that trains softmax regression with YOUR gradient step, and shows the training.

    The model is an LLM's output layer on hand-made features: :math:`p = \mathrm{softmax}(xW + b)`,
    with ``x`` a bag of words (``task="sentiment"``: negative, neutral, positive) or the pixels of
    a 12 x 12 image (``task="shapes"``: circle, square, triangle). Training starts from zero
    weights (so the first loss is :math:`\log K`) and calls ``step`` ``n_steps`` times; a
    progress bar and the loss and accuracy curves (train and test) follow. The slider "after
    step" scrubs through training: the weights per class (as images, or for the 4 words each
    class relies on most after training) and the predicted distribution for a chosen test
    example (or a typed sentence) are shown as they were at that step. A new learning rate
    trains again.

    Parameters
    ----------
    task : {"sentiment", "shapes"}
    step : callable
        ``step(W, b, X, y, learning_rate) -> (W, b)``: one full-batch gradient-descent step
        (X of shape (N, D), integer labels y of shape (N,), W (D, K), b (K,)).
    learning_rate : float, optional
        Default 1.0 for sentiment, 0.1 for shapes (both on the slider's grid).
    n_steps : int, optional
        Default 300.
    presentation : bool, default False

    Returns
    -------
    ClassifierTrainer

    Examples
    --------
    >>> from softmax_lab import cross_entropy_grad
    >>> def step(W, b, X, y, learning_rate):
    ...     g = cross_entropy_grad(X @ W + b, y)
    ...     return W - learning_rate * X.T @ g, b - learning_rate * g.sum(axis=0)
    >>> dash = classifier_trainer("sentiment", step)
    >>> round(dash.initial_loss, 4), dash.history["test_accuracy"][-1] > 0.9
    (1.0986, True)
    """
    return ClassifierTrainer(task, step, learning_rate, n_steps, presentation=presentation)


# --------------------------------------------------------------------------------------------
# 2. Boltzmann exploration on a bandit
# --------------------------------------------------------------------------------------------

_POLICY_NAMES = {"boltzmann": "Boltzmann, fixed T", "annealed": "Boltzmann, T/log(t+2)",
                 "epsilon_greedy": "epsilon-greedy", "boltzmann_gumbel": "Boltzmann-Gumbel (C = 0.3)"}


class BanditExplorer(Dashboard):
    """Boltzmann exploration against annealing, epsilon-greedy and Boltzmann-Gumbel, over many runs.

    Use :func:`bandit_explorer`. Attributes: ``means``, ``n_steps``, ``n_runs``, ``temperature``
    (log slider), ``epsilon`` (slider), ``results`` (dict policy -> :class:`~softmax_lab.bandits.BanditResult`
    for the current settings), ``probabilities`` (softmax(means / T): what the policy would do
    with exact estimates), ``regret_table`` (rows of policy, setting, mean and worst final
    regret, best-arm share), ``policy_bars``, ``mean_lines`` and ``worst_lines``.
    """

    def __init__(self, means=bandits.DEFAULT_MEANS, n_steps=1000, n_runs=20, temperature=0.1, epsilon=0.1,
                 presentation=False):
        bandits.run_bandit(means, "boltzmann", n_steps=max(len(means), 2), n_runs=1)   # validates means
        if isinstance(n_steps, bool) or not isinstance(n_steps, int) or not 10 <= n_steps <= 5000:
            raise ValueError(f"n_steps must be an integer from 10 to 5000, got {n_steps!r}")
        if isinstance(n_runs, bool) or not isinstance(n_runs, int) or not 1 <= n_runs <= 100:
            raise ValueError(f"n_runs must be an integer from 1 to 100, got {n_runs!r}")
        super().__init__(presentation)
        self.means = np.asarray(means, dtype=float)
        self.n_steps, self.n_runs = n_steps, n_runs
        self._cache = {}
        self._tick_digits = 0       # of the regret axis' longest tick label, when the figure was laid out
        style = self._description_style(["temperature T", "epsilon"])
        self.temperature = GridLogSlider(value=temperature, min=-2.5, max=0.5, step=0.1, base=10,
                                         description="temperature T", readout_format=".3g",
                                         layout=self._slider_layout(), style=style)
        self.epsilon = GridSlider(value=epsilon, min=0.0, max=0.5, step=0.01, description="epsilon",
                                           layout=self._slider_layout(), style=style)
        self.readout = widgets.HTML()
        self._build_figure()
        for control in (self.temperature, self.epsilon):
            control.observe(self._guarded(self._update), names="value")
        self._assemble(self.temperature, self.epsilon, self._make_view(self.figure), self.readout)
        self._update()

    def _run(self, policy, **setting):
        key = (policy, tuple(sorted(setting.items())))
        if key not in self._cache:
            if "temperature" in setting:
                # Every temperature of the slider at once, played side by side: about the cost of a
                # few single runs, and then every move of the temperature slider is only a redraw.
                temperatures = sorted(set(self._temperature_grid()) | {setting["temperature"]})
                runs = bandits.runs_by_temperature(temperatures, self.means, self.n_steps, self.n_runs, policy, seed=0)
                self._cache.update({(policy, (("temperature", T),)): r for T, r in zip(temperatures, runs)})
            else:
                self._cache[key] = bandits.run_bandit(self.means, policy, self.n_steps, self.n_runs, seed=0, **setting)
        return self._cache[key]

    def _temperature_grid(self):
        """The values the temperature slider can take (the exact numbers it holds)."""
        s = self.temperature
        n = round((s.max - s.min) / s.step)
        return [float(s.base) ** snap_to_grid(s.min + k * s.step, s.min, s.max, s.step) for k in range(n + 1)]

    @property
    def results(self):
        T, eps = float(self.temperature.value), float(self.epsilon.value)
        return {"boltzmann": self._run("boltzmann", temperature=T),
                "annealed": self._run("annealed", temperature=T),
                "epsilon_greedy": self._run("epsilon_greedy", epsilon=eps),
                "boltzmann_gumbel": self._run("boltzmann_gumbel", scale=0.3)}

    def _picture_key(self):
        return (self.temperature.value, self.epsilon.value)

    @property
    def probabilities(self):
        return bandits.boltzmann_probabilities(self.means, float(self.temperature.value))

    @property
    def regret_table(self):
        settings = {"boltzmann": f"T = {self.temperature.value:.3g}",
                    "annealed": f"T0 = {self.temperature.value:.3g}",
                    "epsilon_greedy": f"epsilon = {self.epsilon.value:.2f}", "boltzmann_gumbel": "C = 0.3"}
        return [(name, settings[name], float(r.final_regret.mean()), float(r.final_regret.max()), r.best_arm_fraction)
                for name, r in self.results.items()]

    def _build_figure(self):
        f = self.presentation
        self.figure, (ax_p, ax_r) = self._new_figure(1, 2, size=(8.0, 3.8), width_ratios=[1, 1.6])
        labels = [f"{m:g}" for m in self.means]
        self.policy_bars = plots.probability_bars(ax_p, labels, presentation=f, value_format="{:.2f}")
        plots.label_axes(ax_p, "arm (its mean reward)", "P(pull arm)", title="softmax(means / T)", presentation=f)
        plots.label_axes(ax_r, "step t", "regret", title=f"regret over {self.n_runs} runs", presentation=f)
        t = np.arange(1, self.n_steps + 1)
        self.mean_lines, self.worst_lines = {}, {}
        for color, name in zip(plots.PALETTE, _POLICY_NAMES):
            self.mean_lines[name] = ax_r.plot(t, np.zeros_like(t), color=color, lw=2.2, label=_POLICY_NAMES[name])[0]
            self.worst_lines[name] = ax_r.plot(t, np.zeros_like(t), color=color, lw=1, ls=":")[0]
        ax_r.set_xlim(0, self.n_steps)
        ax_r.legend(fontsize=self._fonts.note, frameon=False, loc="upper left", title="solid: mean, dotted: worst run",
                    title_fontsize=self._fonts.note)
        self._regret_ax = ax_r
        plots.animate(self.figure, self.policy_bars.bars, self.policy_bars.texts, *self.mean_lines.values(),
                      *self.worst_lines.values())
        plots.relayout(self.figure)

    def _show_state(self):
        plots.set_heights(self.policy_bars, self.probabilities)
        plots.highlight(self.policy_bars, self.means == self.means.max())
        top = 0.0
        for name, r in self.results.items():
            self.mean_lines[name].set_ydata(r.mean_regret)
            self.worst_lines[name].set_ydata(r.regret[np.argmax(r.final_regret)])
            top = max(top, float(r.regret.max()))
        ylim = (0.0, 50.0 * np.ceil(1.05 * top / 50.0))
        if ylim != self._regret_ax.get_ylim():
            self._regret_ax.set_ylim(*ylim)
            digits = len(f"{ylim[1]:.0f}")
            if digits > self._tick_digits:          # wider tick labels than the layout has room for
                self._tick_digits = digits
                plots.relayout(self.figure)
            plots.set_static_key(self.figure, ylim)     # one full draw per y-range, then kept
        rows = "".join(f"<tr><td>{html.escape(_POLICY_NAMES[n])}</td><td>{s}</td><td>{m:.1f}</td><td>{w:.1f}</td>"
                       f"<td>{b:.0%}</td></tr>" for n, s, m, w, b in self.regret_table)
        size = "18px" if self.presentation else "14px"
        self.readout.value = (f"<table style='font-size:{size}; font-variant-numeric: tabular-nums'>"
                              "<tr><th align=left>policy</th><th align=left>setting</th><th>mean regret</th>"
                              f"<th>worst run</th><th>best arm pulled</th></tr>{rows}</table>"
                              f"<small>after {self.n_steps} steps, {self.n_runs} runs (seeds) each</small>")


def bandit_explorer(means=bandits.DEFAULT_MEANS, n_steps=1000, n_runs=20, temperature=0.1, epsilon=0.1,
                    presentation=False):
    r"""A dashboard for Boltzmann (softmax) exploration on a Gaussian multi-armed bandit.

    The temperature slider sets T for Boltzmann exploration, :math:`\pi = \mathrm{softmax}(Q/T)`,
    and the starting temperature of the annealed schedule :math:`T_t = T/\log(t+2)`; the
    epsilon slider sets epsilon-greedy. Left: the policy the temperature gives with exact
    estimates (softmax of the true means). Right: the regret over ``n_steps`` steps, the mean
    over ``n_runs`` runs (solid) and the worst run (dotted), for the four policies of
    :mod:`softmax_lab.bandits` (Boltzmann-Gumbel with C = 0.3 for reference). A table gives
    the final regrets. Results are cached, so returning to a setting is instant.

    Examples
    --------
    >>> dash = bandit_explorer(n_steps=200, n_runs=5)
    >>> dash.probabilities.round(2)
    array([0.  , 0.03, 0.09, 0.24, 0.64])
    >>> [row[0] for row in dash.regret_table]
    ['boltzmann', 'annealed', 'epsilon_greedy', 'boltzmann_gumbel']
    """
    return BanditExplorer(means, n_steps, n_runs, temperature, epsilon, presentation=presentation)
