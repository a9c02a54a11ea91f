"""Lesson 07: the reliability-diagram dashboard (confidence against accuracy, live temperature)."""

import html
import math

import ipywidgets as widgets
import numpy as np

from .. import plots
from .._calibration_bins import STRATEGIES, bin_statistics, binned_error
from ..calibration import fit_temperature
from ..functions import softmax
from ._base import Dashboard, GridLogSlider
from ._ticks import label_width, pad_integer_labels

CALIBRATION_CHECKPOINTS = ("early", "best", "overtrained", "label_smoothed")
_DENSITY_STEPS = (2, 5, 10, 20, 50, 100, 200, 500, 1000)   # y-limits of the histogram (rarely change)


def _checked_predictions(predictions):
    """``{name: (logits float32 (N, K), labels (N,))}``, refusing anything else by name."""
    if not isinstance(predictions, dict) or not predictions:
        raise TypeError("predictions must be a non-empty dict {name: (logits, labels)}")
    out = {}
    for name, pair in predictions.items():
        if not isinstance(name, str) or not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"predictions must map names (str) to (logits, labels) pairs; got {name!r}")
        z = np.asarray(pair[0], dtype=np.float32)
        y = np.asarray(pair[1])
        if z.ndim != 2 or y.shape != (len(z),) or len(z) == 0 or y.dtype.kind not in "iu":
            raise ValueError(f"predictions[{name!r}] must be logits of shape (N, K) and integer labels of "
                             f"shape (N,), got {z.shape} and {y.shape}")
        if y.min() < 0 or y.max() >= z.shape[1]:
            raise ValueError(f"predictions[{name!r}]: labels must be class indices in [0, {z.shape[1]})")
        if not np.isfinite(z).all():
            raise ValueError(f"predictions[{name!r}]: logits must be finite")
        out[name] = (z, y.astype(np.intp))
    return out


def shipped_predictions(split="calibration", fit_split="validation", checkpoints=CALIBRATION_CHECKPOINTS):
    """The shipped checkpoints' logits on ``split`` and their temperatures fitted on ``fit_split``.

    Returns
    -------
    predictions : dict
        ``{checkpoint: (logits float32 (N, V), labels (N,))}``, the logits of
        :func:`softmax_lab.lm.split_logits`.
    temperatures : dict
        ``{checkpoint: T}``: the temperature with the lowest NLL on ``fit_split``, the one
        :func:`softmax_lab.calibration.fit_temperature` finds (:meth:`TemperatureScores.fit`).
    """
    from .. import data, lm

    examples = {}
    predictions, temperatures = {}, {}
    for name in checkpoints:
        model = lm.load(name)
        for which in (split, fit_split):
            if which not in examples:     # the contexts, and each distinct context once
                contexts, targets = lm.make_examples(data.load_sentences(which), model.index, model.context_size)
                distinct, row_of = np.unique(contexts, axis=0, return_inverse=True)
                examples[which] = distinct, row_of.ravel(), targets
        # Many words share a context (the model reads the last three words): run the network once
        # per distinct context. The split the lesson shows gets its logits copied to every word; the
        # temperature is fitted on the distinct rows themselves, without copying them.
        (distinct, row_of, labels), (fit_distinct, fit_row_of, fit_labels) = examples[split], examples[fit_split]
        predictions[name] = (lm.forward(model.weights, distinct).astype(np.float32)[row_of], labels)
        fit_scores = TemperatureScores(lm.forward(model.weights, fit_distinct), fit_labels, row_of=fit_row_of)
        temperatures[name] = fit_scores.fit()
    return predictions, temperatures


def transformer_predictions(split="calibration", fit_split="validation"):
    """The tiny transformer's logits on ``split`` and its temperature fitted on ``fit_split``.

    The same predictions as :func:`shipped_predictions` (every word of the split, the same
    labels in the same order), made by :mod:`softmax_lab.transformer`, which reads the whole
    sentence so far instead of the last three words.

    Returns
    -------
    predictions : dict
        ``{"transformer": (logits float32 (N, V), labels (N,))}``
    temperatures : dict
        ``{"transformer": T}``, fitted as :func:`shipped_predictions` fits it.
    """
    from .. import transformer

    model = transformer.load("tiny")
    temperature = TemperatureScores(*_each_sentence_once(model, transformer.load_sentences(fit_split))).fit()
    logits, labels = _each_sentence_once(model, transformer.load_sentences(split))   # after the fit: one
    return {"transformer": (logits.astype(np.float32), labels)}, {"transformer": temperature}   # split at a time


def _each_sentence_once(model, sentences):
    """:func:`softmax_lab.transformer.sentence_logits` of ``sentences``, each distinct sentence run once,
    shortest first (less padding). A word's logits depend on its own sentence alone (causal attention):
    the same logits as for the whole split, to float64 rounding (a batch's attention is scaled by its
    largest score). The calibration split has 2 222 distinct sentences among 2 900: half the work."""
    from .. import transformer

    sentences = [tuple(s) for s in sentences]
    distinct = sorted(dict.fromkeys(sentences), key=len)     # first-seen order, then by length: deterministic
    logits, labels = transformer.sentence_logits(model, [list(s) for s in distinct])
    lengths = np.array([len(s) for s in distinct])
    begin = dict(zip(distinct, np.cumsum(lengths) - lengths))          # each sentence's first row
    n, first = np.array([(len(s), begin[s]) for s in sentences]).T
    rows = np.repeat(first - (np.cumsum(n) - n), n) + np.arange(n.sum())    # word j of sentence s: row begin[s] + j
    return logits[rows], labels[rows]


_BLOCK_ROWS = 128      # TemperatureScores works on this many distinct rows at a time (in the cache)


def _row_hashes(z):
    """One float64 number per row of ``z``: its dot product with fixed random weights in [1, 2)."""
    return np.einsum("ij,j->i", z, np.random.default_rng(0).uniform(1.0, 2.0, size=z.shape[1]))


def _distinct_rows(z):
    """The distinct rows of ``z`` (N, K) and, for each row, the index of its own among them.

    The rows are grouped by a hash first, one number per row (:func:`_row_hashes`), so the sort
    sorts N numbers, not N rows of K; then every row is compared with its group's first row.
    Should two different rows ever share a hash, the exact (slower) ``np.unique`` of the rows'
    bytes decides instead.
    """
    z = np.ascontiguousarray(z)
    with np.errstate(all="ignore"):
        _, first, row_of = np.unique(_row_hashes(z), return_index=True, return_inverse=True)
    distinct, row_of = z[first], row_of.ravel()
    if all(np.array_equal(z[i:i + _BLOCK_ROWS], distinct[row_of[i:i + _BLOCK_ROWS]])
           for i in range(0, len(z), _BLOCK_ROWS)):
        return distinct, row_of
    rows = z.view(np.dtype((np.void, z.dtype.itemsize * z.shape[1]))).ravel()   # one value per row
    _, first, row_of = np.unique(rows, return_index=True, return_inverse=True)
    return z[first], row_of.ravel()


class TemperatureScores:
    r"""The top probability and the NLL of a set of predictions at any temperature, computed once
    per distinct row of logits.

    For each prediction with logits z and label y, at temperature T:

    .. math:: \text{confidence} = \max_j \mathrm{softmax}(z/T)_j
              = \Big(\sum_j e^{(z_j - \max z)/T}\Big)^{-1}, \qquad
              -\log p_y = \log \sum_j e^{(z_j - \max z)/T} - (z_y - \max z)/T

    Many predictions share a row of logits: the tiny language model reads the last three
    words, and the 20 530 predictions of the calibration split have 3 782 distinct contexts.
    The sums are computed once per distinct row (in float64) and shared, which gives the same
    numbers about five times faster: what the temperature slider needs. A caller that already
    knows the distinct rows passes them as ``logits`` with ``row_of`` (prediction i has the
    logits ``logits[row_of[i]]``), and the (N, K) array is never formed.

    Attributes: ``labels``, ``correct`` (whether the top word is the label: the same at every T).

    Examples
    --------
    >>> z = np.array([[2.0, 1.0, 0.1], [2.0, 1.0, 0.1], [0.0, 3.0, 0.0]], dtype=np.float32)
    >>> scores = TemperatureScores(z, np.array([0, 1, 1]))
    >>> confidence, nll = scores.at(1.0)
    >>> confidence.round(3), scores.correct
    (array([0.659, 0.659, 0.909]), array([ True, False,  True]))
    """

    def __init__(self, logits, labels, row_of=None):
        if row_of is None:          # find the distinct rows
            distinct, row_of = _distinct_rows(np.asarray(logits))
        else:                       # given: ``logits`` are the distinct rows, prediction i has row row_of[i]
            distinct = np.asarray(logits)
        self._distinct = distinct
        self._row_of = np.asarray(row_of).ravel()
        self.labels = labels = np.asarray(labels)
        gaps = distinct.astype(np.float64)                                            # a copy, shifted in place
        top = gaps.max(axis=1, keepdims=True)
        self.correct = gaps.argmax(axis=1)[self._row_of] == labels
        self._label_gaps = gaps[self._row_of, labels] - top[self._row_of, 0]          # z_y - max z
        gaps -= top
        self._gaps = gaps                                                             # z - max z <= 0
        self._buffer = np.empty((min(len(gaps), _BLOCK_ROWS), gaps.shape[1]))

    def _sums(self, beta, moments=1):
        r"""Per distinct row, :math:`\sum_j e^{\beta g_j} g_j^m` for m = 0, ..., moments - 1 (g = z - max z),
        a block of rows at a time into one buffer (no second array of all the rows)."""
        out = np.empty((moments, len(self._gaps)))
        for start in range(0, len(self._gaps), _BLOCK_ROWS):
            g = self._gaps[start:start + _BLOCK_ROWS]
            w = self._buffer[:len(g)]
            np.exp(np.multiply(g, beta, out=w), out=w)
            for m in range(moments):
                if m:
                    w *= g                                  # e^{beta g} g^m, in place
                out[m, start:start + len(g)] = w.sum(axis=1)
        return out

    def probabilities(self, t):
        """softmax(logits / t) of every prediction, (N, K), computed once per distinct row: the same
        numbers as ``softmax(logits, temperature=t)`` of all the rows (each row's softmax is its own)."""
        return softmax(self._distinct, temperature=t)[self._row_of]

    def at(self, t):
        """(confidences (N,), mean NLL) at temperature ``t`` > 0."""
        log_sums = np.log(self._sums(1.0 / t)[0])[self._row_of]
        return np.exp(-log_sums), float(np.mean(log_sums - self._label_gaps / t))

    def fit(self, bounds=(0.05, 20.0)):
        r"""The temperature with the lowest mean NLL, the T :func:`softmax_lab.calibration.fit_temperature`
        finds (to about 1e-6), computed on the distinct rows.

        In :math:`\beta = 1/T` the NLL is convex, with slope and curvature

        .. math:: \frac{d\,\mathrm{NLL}}{d\beta} = \frac{1}{N}\sum_i \Big(\sum_j p_{ij} z_{ij} - z_{iy_i}\Big),
                  \qquad \frac{d^2\mathrm{NLL}}{d\beta^2} = \frac{1}{N}\sum_i \mathrm{Var}_{p_i}(z_i) \ge 0

        (the model's expected logit against the right word's logit), so Newton's method finds its
        minimum in a few steps, each step halved until the NLL falls. One pass over the rows gives
        the NLL at a step's end and the slope and curvature for the next step. Without scipy's
        search, it spares a lesson the import of ``scipy.optimize``. When the minimum is not inside
        ``bounds`` (or the steps do not settle), ``fit_temperature`` itself decides, and warns.
        """
        beta_low, beta_high = 1.0 / bounds[1], 1.0 / bounds[0]
        beta, moments = 1.0, self._sums(1.0, moments=3)
        nll = self._nll(beta, moments[0])
        for _ in range(50):
            totals, first, second = moments
            expected = first / totals                              # sum_j p_j z_j, per row
            variance = second / totals - expected**2
            slope = float(np.mean(expected[self._row_of] - self._label_gaps))
            curvature = float(np.mean(variance[self._row_of]))
            if curvature <= 0:
                break
            step = slope / curvature
            if abs(step) <= 1e-12 * beta and beta_low < beta < beta_high:     # settled inside the bounds
                return 1.0 / beta
            for _ in range(30):                                  # halve the step until the NLL falls
                trial = min(max(beta - step, beta_low), beta_high)
                moments = self._sums(trial, moments=3)           # the NLL there, and the next step's slope
                trial_nll = self._nll(trial, moments[0])
                if trial_nll <= nll:
                    break
                step /= 2
            if trial_nll > nll or trial == beta:                 # no step lowers the NLL, or stuck on a bound
                break
            beta, nll = trial, trial_nll
        return fit_temperature(self._gaps[self._row_of], self.labels, bounds=bounds)

    def _nll(self, beta, totals):
        """The mean NLL at inverse temperature ``beta``, from the rows' sums of e^(beta g)."""
        return float(np.mean(np.log(totals)[self._row_of] - beta * self._label_gaps))


class ReliabilityDashboard(Dashboard):
    """A reliability diagram with a live temperature: are the model's probabilities honest?

    Use :func:`reliability_dashboard`. Attributes: ``temperature`` (log slider), ``n_bins``
    (IntSlider, 5 to 100), ``strategy`` (ToggleButtons uniform / quantile), ``checkpoint``
    (ToggleButtons; choosing another one sets T back to 1), ``model`` (Dropdown: the given
    predictions, or another model's, loaded when first chosen), ``reveal_button`` (shows the
    fitted temperature), ``fit_button`` (sets T to it; shown once the fitted T is);
    ``fitted_shown`` (whether the fitted T is shown), ``predictions`` (the logits and labels of
    every checkpoint loaded), ``scores(name)`` (a checkpoint's :class:`TemperatureScores`),
    ``temperatures`` (the fitted T of each checkpoint),
    ``fitted_temperature`` (of the current one), ``confidences`` (the top probability of every
    prediction at T), ``correct`` (whether the top word is the target),
    ``bins`` (:class:`~softmax_lab.calibration.ReliabilityBins`), ``ece``, ``nll``,
    ``accuracy``, ``mean_confidence``; the artists ``accuracy_stairs``, ``gap_stairs``,
    ``histogram``, ``temperature_line`` and ``fitted_line``; ``readout``.
    """

    T_MIN, T_MAX = 0.2, 5.0

    def __init__(self, predictions=None, temperatures=None, checkpoint=None, n_bins=15, strategy="uniform",
                 presentation=False, show_fitted=False, model="MLP", other_models=None):
        if predictions is None:
            predictions, shipped_t = shipped_predictions()
            temperatures = shipped_t if temperatures is None else temperatures
        self._data = _checked_predictions(predictions)
        names = list(self._data)
        self.temperatures = {}
        self._add_temperatures(temperatures, names)
        checkpoint = ("overtrained" if "overtrained" in names else names[0]) if checkpoint is None else checkpoint
        if checkpoint not in names:
            raise ValueError(f"checkpoint must be one of {names}, got {checkpoint!r}")
        if isinstance(n_bins, bool) or not isinstance(n_bins, int) or not 5 <= n_bins <= 100:
            raise ValueError(f"n_bins must be an integer from 5 to 100, got {n_bins!r}")
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
        if not isinstance(model, str) or not model:
            raise TypeError(f"model must be a non-empty str (the name of the given predictions' model), got {model!r}")
        other_models = {} if other_models is None else other_models
        if not isinstance(other_models, dict) or not all(
                isinstance(k, str) and k != model and callable(v) for k, v in other_models.items()):
            raise TypeError("other_models must be a dict {model name: a function returning (predictions, "
                            f"temperatures)}}, its names other than {model!r}")
        super().__init__(presentation)
        self._scorers, self._cache, self._bins = {}, {}, {}
        self._loaders = dict(other_models)
        self._checkpoints_of = {model: names}       # each model's checkpoints, once loaded
        self._holding = False
        self.fitted_shown = bool(show_fitted)

        style = self._description_style(["temperature T", "checkpoint", "strategy", "bins", "model"])
        layout = self._slider_layout()
        self.temperature = GridLogSlider(
            value=1.0, base=10, min=round(math.log10(self.T_MIN), 2), max=round(math.log10(self.T_MAX), 2),
            step=0.01, description="temperature T", readout_format=".3g", layout=layout, style=style)
        self.n_bins = widgets.IntSlider(value=n_bins, min=5, max=100, description="bins", layout=layout, style=style)
        self.strategy = widgets.ToggleButtons(options=STRATEGIES, value=strategy, description="strategy", style=style)
        self.model = widgets.Dropdown(options=[model, *other_models], value=model, description="model", style=style)
        self.checkpoint = widgets.ToggleButtons(options=names, value=checkpoint, description="checkpoint", style=style)
        self.reveal_button = widgets.Button(description="show the fitted T", tooltip="fit_temperature's T")
        self.fit_button = widgets.Button(description="use the fitted T", tooltip="fit_temperature's T")
        self.readout = widgets.HTML()

        self._build_figure()
        for control in (self.temperature, self.n_bins, self.strategy):
            control.observe(self._guarded(self._update), names="value")
        self.checkpoint.observe(self._guarded(self._on_checkpoint), names="value")
        self.model.observe(self._guarded(self._on_model), names="value")
        self.reveal_button.on_click(self._guarded(lambda _: self.show_fitted()))
        self.fit_button.on_click(self._guarded(lambda _: self.use_fitted_temperature()))
        models = [self.model] if other_models else []
        self._assemble(self.temperature, self.n_bins, widgets.HBox([self.strategy]), *models, self.checkpoint,
                       widgets.HBox([self.reveal_button, self.fit_button]), self._make_view(self.figure), self.readout)
        self._show_buttons()
        self._update()

    def _add_temperatures(self, temperatures, names):
        if temperatures is None:
            temperatures = {name: fit_temperature(*self._data[name]) for name in names}
        if not isinstance(temperatures, dict) or set(temperatures) != set(names):
            raise ValueError(f"temperatures must give a fitted T for each of {names}")
        self.temperatures.update({name: float(t) for name, t in temperatures.items()})

    # -- state ---------------------------------------------------------------------------

    @property
    def predictions(self):
        """``{checkpoint: (logits, labels)}`` of every model loaded so far (another model's once chosen)."""
        return dict(self._data)

    @property
    def fitted_temperature(self):
        """The temperature fitted for the current checkpoint."""
        return self.temperatures[self.checkpoint.value]

    def show_fitted(self):
        """Show the fitted temperature (its mark on the strip and in the readout) and the button that uses it."""
        self.fitted_shown = True
        self._show_buttons()
        self._update()

    def use_fitted_temperature(self):
        """Move the slider to the fitted temperature (on the slider's grid); shows the fitted T too."""
        if not self.fitted_shown:
            self.fitted_shown = True
            self._show_buttons()
        self.temperature.value = min(max(self.fitted_temperature, self.T_MIN), self.T_MAX)

    def _show_buttons(self):
        self.reveal_button.layout.display = "none" if self.fitted_shown else None
        self.fit_button.layout.display = None if self.fitted_shown else "none"

    def _on_checkpoint(self, change=None):
        """Another checkpoint: start it at T = 1 (another model's fitted T would mean nothing here)."""
        if self._holding:
            return
        self._holding = True
        try:
            self.temperature.value = 1.0
        finally:
            self._holding = False
        self._update()

    def _on_model(self, change=None):
        """Another model: load its predictions the first time, show its checkpoints, T back to 1."""
        name = self.model.value
        if name not in self._checkpoints_of:
            predictions, temperatures = self._loaders[name]()
            data = _checked_predictions(predictions)
            clash = set(data) & set(self._data)
            if clash:
                raise ValueError(f"other_models[{name!r}] has checkpoints named like ones shown already: "
                                 f"{sorted(clash)}")
            self._data.update(data)
            self._add_temperatures(temperatures, list(data))
            self._checkpoints_of[name] = list(data)
        self._holding = True
        try:
            self.checkpoint.options = self._checkpoints_of[name]
            self.checkpoint.value = self._checkpoints_of[name][0]
            self.temperature.value = 1.0
        finally:
            self._holding = False
        self._update()

    def _update(self, change=None):
        if not self._holding:
            super()._update(change)

    def scores(self, name):
        """The :class:`TemperatureScores` of checkpoint ``name`` (any model loaded), made once: what the
        readout shows at every T, for a notebook to reuse instead of making its own."""
        if name not in self._scorers:
            self._scorers[name] = TemperatureScores(*self._data[name])
        return self._scorers[name]

    def _scores(self, name, t):
        """(confidences, NLL) of checkpoint ``name`` at temperature ``t``, cached per slider value."""
        key = (name, t)
        if key not in self._cache:
            if len(self._cache) >= 64:            # 64 temperatures of 20 530 confidences: about 10 MB
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = self.scores(name).at(t)
        return self._cache[key]

    def _binned(self, name, t):
        """(bins, ECE) of checkpoint ``name`` at temperature ``t`` with the current bins, cached."""
        key = (name, t, int(self.n_bins.value), self.strategy.value)
        if key not in self._bins:
            confidences, _ = self._scores(name, t)
            bins = bin_statistics(confidences, self._scorers[name].correct, key[2], key[3])
            if len(self._bins) >= 256:
                self._bins.pop(next(iter(self._bins)))
            self._bins[key] = bins, binned_error(bins)
        return self._bins[key]

    def _compute(self):
        name, t = self.checkpoint.value, float(self.temperature.value)
        self.confidences, self.nll = self._scores(name, t)
        self.correct = self._scorers[name].correct        # dividing by T > 0 never changes the argmax
        self.bins, self.ece = self._binned(name, t)
        self.accuracy = float(np.mean(self.correct))
        self.mean_confidence = float(np.mean(self.confidences))
        self.nll_at_1 = self._scores(name, 1.0)[1]
        self.ece_at_1 = self._binned(name, 1.0)[1]

    # -- figure ----------------------------------------------------------------------------

    def _build_figure(self):
        f = self.presentation
        fs = self._fonts
        self.figure, axes = self._new_figure(size=(7.6, 6.4), mosaic=[["diagram"], ["histogram"], ["temperature"]],
                                             height_ratios=[3.2, 1.4, 0.55])
        ax, hx, tx = axes["diagram"], axes["histogram"], axes["temperature"]
        self._axes = axes
        plots.label_axes(ax, "", "accuracy in the bin", presentation=f)
        ax.plot([0, 1], [0, 1], linestyle="--", color=plots.OKABE_ITO["black"], linewidth=1,
                label="perfect calibration")
        edges = np.linspace(0, 1, 16)
        zeros = np.zeros(15)
        self.accuracy_stairs = ax.stairs(zeros, edges, fill=True, color=plots.PALETTE[0], alpha=0.85,
                                         label="accuracy")
        self.gap_stairs = ax.stairs(zeros, edges, baseline=zeros, fill=True, facecolor="none",
                                    edgecolor=plots.OKABE_ITO["vermillion"], hatch="///", linewidth=0.8,
                                    label="gap to the mean confidence")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("auto")
        ax.legend(loc="upper left", fontsize=fs.note, frameon=False)
        self._title = ax.set_title("overtrained at T = 1.00: ECE 10.0% (15 uniform bins)", fontsize=fs.title)
        ax.tick_params(labelbottom=False)

        plots.label_axes(hx, "confidence (top probability)", "density", presentation=f)
        self.histogram = hx.stairs(zeros, edges, fill=True, color=plots.OKABE_ITO["sky blue"])
        self.mean_confidence_line = hx.axvline(0.5, color=plots.OKABE_ITO["vermillion"], linestyle="--",
                                               linewidth=1.5, label="mean confidence")
        self.accuracy_line = hx.axvline(0.5, color=plots.PALETTE[0], linewidth=1.5, label="accuracy")
        hx.set_xlim(0, 1)
        hx.tick_params(axis="x", pad=7)       # the x and y "0.0" at the corner stay apart at large fonts
        hx.legend(loc="upper right", fontsize=fs.note, frameon=False)
        self._density_top = _DENSITY_STEPS[0]
        hx.set_ylim(0, self._density_top)
        self._label_width = 2
        pad_integer_labels(hx.yaxis, lambda: self._label_width)

        tx.set_xscale("log")
        tx.set_xlim(self.T_MIN, self.T_MAX)
        tx.set_yticks([])
        tx.set_ylim(0, 1)
        tx.set_xticks([0.2, 0.5, 1, 2, 5], ["0.2", "0.5", "1", "2", "5"])
        tx.set_xticks([], minor=True)
        tx.tick_params(labelsize=fs.tick)
        tx.set_xlabel("temperature T (log scale)", fontsize=fs.label)
        self.fitted_line = tx.axvline(1.0, color=plots.OKABE_ITO["orange"], linewidth=3, visible=False)
        self.fitted_text = tx.text(1.0, 0.5, "", fontsize=fs.note, va="center", ha="left")
        self.temperature_line = tx.axvline(1.0, color=plots.OKABE_ITO["black"], linewidth=1.5)
        self._fitted_shown = None
        # The fitted temperature's mark changes with the checkpoint and the reveal: drawn over the rest too.
        plots.animate(self.figure, self.accuracy_stairs, self.gap_stairs, self.histogram, self.mean_confidence_line,
                      self.accuracy_line, self._title, self.fitted_line, self.fitted_text, self.temperature_line)
        plots.relayout(self.figure)

    def _show_state(self):
        self._compute()
        bins, t, fitted = self.bins, float(self.temperature.value), self.fitted_temperature
        edges = np.append(bins.lower, bins.upper[-1])
        if bins.strategy == "quantile":      # draw the outer bins from the smallest to the largest confidence
            edges[0], edges[-1] = self.confidences.min(), self.confidences.max()
        acc = np.where(bins.count > 0, bins.accuracy, 0.0)
        conf = np.where(bins.count > 0, bins.confidence, 0.0)
        self.accuracy_stairs.set_data(acc, edges)
        self.gap_stairs.set_data(conf, edges, baseline=acc)
        density = bins.count / bins.count.sum() / np.maximum(bins.upper - bins.lower, 1e-12)
        self.histogram.set_data(density, edges)
        top = next((s for s in _DENSITY_STEPS if s >= 1.05 * density.max()), _DENSITY_STEPS[-1])
        if top != self._density_top:
            self._density_top = top
            self._axes["histogram"].set_ylim(0, top)
            width = label_width(self._axes["histogram"].yaxis)
            if width != self._label_width:              # wider tick labels: lay out again
                self._label_width = width
                plots.relayout(self.figure)
        plots.set_static_key(self.figure, top)          # a picture kept for each of the few y-limits
        self.mean_confidence_line.set_xdata([self.mean_confidence] * 2)
        self.accuracy_line.set_xdata([self.accuracy] * 2)
        name = self.checkpoint.value
        self._title.set_text(f"{name} at T = {t:.3g}: ECE {100 * self.ece:.1f}% "
                             f"({bins.n_bins} {bins.strategy} bins)")
        shown = min(max(fitted, self.T_MIN), self.T_MAX)
        if self._fitted_shown != (fitted, self.fitted_shown):
            self._fitted_shown = (fitted, self.fitted_shown)
            self.fitted_line.set_xdata([shown, shown])
            self.fitted_line.set_visible(self.fitted_shown)
            self.fitted_text.set_position((shown * 1.04, 0.5))
            self.fitted_text.set_text(f"fitted T = {fitted:.3g}" if self.fitted_shown else "")
        self.temperature_line.set_xdata([t, t])
        gap = self.mean_confidence - self.accuracy
        verdict = "overconfident" if gap > 0.01 else "underconfident" if gap < -0.01 else "about right on average"
        self.readout.value = self._html_box([
            ("checkpoint", html.escape(name)),
            ("temperature", f"{t:.3g}" + (f" (fitted: {fitted:.3g})" if self.fitted_shown else "")),
            ("ECE", f"{100 * self.ece:.2f}% (at T = 1: {100 * self.ece_at_1:.2f}%)"),
            ("NLL", f"{self.nll:.4f} nats (at T = 1: {self.nll_at_1:.4f})"),
            ("accuracy", f"{100 * self.accuracy:.2f}%"),
            ("mean confidence", f"{100 * self.mean_confidence:.2f}%: {verdict}"),
            ("predictions", f"{len(self.correct):,}"),
        ])


def reliability_dashboard(predictions=None, temperatures=None, checkpoint=None, n_bins=15, strategy="uniform",
                          presentation=False, show_fitted=False, model="MLP", other_models=None):
    r"""A reliability diagram of the tiny language model's next-word predictions, with a temperature.

    Bars of accuracy per confidence bin against the diagonal (perfect calibration), the hatched
    gap to each bin's mean confidence, and the confidence histogram below, with the mean
    confidence and the accuracy marked. A temperature slider rescales the logits,
    :math:`\mathrm{softmax}(z / T)`, and redraws the diagram, the ECE and the NLL. The bins (5
    to 100, equal width or equal mass) and the checkpoint are controls too; choosing another
    checkpoint starts it at T = 1. The fitted temperature stays hidden until **show the fitted
    T** is pressed (a lesson asks the learner to find it first); then the strip at the bottom
    marks it and **use the fitted T** moves the slider there. A drop-down switches to other
    models' predictions (the tiny transformer's, say), loaded when first chosen.

    Parameters
    ----------
    predictions : dict, optional
        ``{name: (logits (N, K), labels (N,))}``. Default: the four shipped checkpoints (early,
        best, overtrained, label_smoothed) on the calibration split.
    temperatures : dict, optional
        ``{name: fitted T}``. Default: fitted on the validation split for the shipped
        checkpoints, else on the given predictions.
    checkpoint : str, optional
        The one shown first (default "overtrained" when present).
    n_bins : int, default 15
    strategy : {"uniform", "quantile"}, default "uniform"
    presentation : bool, default False
        Larger figure and fonts, for a projector.
    show_fitted : bool, default False
        Show the fitted temperature from the start.
    model : str, default "MLP"
        The name of the model that made ``predictions`` (in the drop-down).
    other_models : dict, optional
        ``{model name: loader}``, each loader a function of no arguments returning
        ``(predictions, temperatures)`` like :func:`transformer_predictions`; its checkpoint
        names must differ from those of ``predictions``. Default: the tiny transformer when
        ``predictions`` is not given, else none (and no drop-down).

    Returns
    -------
    ReliabilityDashboard

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(500, 5)) * 3
    >>> y = np.where(rng.random(500) < 0.5, z.argmax(axis=1), rng.integers(0, 5, size=500))
    >>> dash = reliability_dashboard({"half right": (z, y)})
    >>> dash.temperature.value = 4.0
    >>> bool(dash.mean_confidence < 0.5) and dash.accuracy == float(np.mean(z.argmax(1) == y))
    True
    """
    if predictions is None and other_models is None:
        other_models = {"transformer": transformer_predictions}
    return ReliabilityDashboard(predictions, temperatures, checkpoint, n_bins, strategy, presentation,
                                show_fitted, model, other_models)
