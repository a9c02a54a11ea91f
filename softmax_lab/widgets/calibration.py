"""Lesson 07: the reliability-diagram dashboard (confidence against accuracy, live temperature)."""

import html
import math

import ipywidgets as widgets
import numpy as np

from .. import plots
from .._calibration_bins import STRATEGIES, bin_statistics, binned_error
from ..calibration import fit_temperature
from ._base import Dashboard, GridLogSlider

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
        ``{checkpoint: T}`` from :func:`softmax_lab.calibration.fit_temperature` on ``fit_split``.
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
        # per distinct context and copy its logits to every word that has it.
        (distinct, row_of, labels), (fit_distinct, fit_row_of, fit_labels) = examples[split], examples[fit_split]
        predictions[name] = (lm.forward(model.weights, distinct).astype(np.float32)[row_of], labels)
        temperatures[name] = fit_temperature(lm.forward(model.weights, fit_distinct)[fit_row_of], fit_labels)
    return predictions, temperatures


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
    numbers about five times faster: what the temperature slider needs.

    Attributes: ``correct`` (whether the top word is the label: the same at every T).

    Examples
    --------
    >>> z = np.array([[2.0, 1.0, 0.1], [2.0, 1.0, 0.1], [0.0, 3.0, 0.0]], dtype=np.float32)
    >>> scores = TemperatureScores(z, np.array([0, 1, 1]))
    >>> confidence, nll = scores.at(1.0)
    >>> confidence.round(3), scores.correct
    (array([0.659, 0.659, 0.909]), array([ True, False,  True]))
    """

    def __init__(self, logits, labels):
        z = np.ascontiguousarray(logits)
        rows = z.view(np.dtype((np.void, z.dtype.itemsize * z.shape[1]))).ravel()   # one value per row
        _, first, self._row_of = np.unique(rows, return_index=True, return_inverse=True)
        self._row_of = self._row_of.ravel()
        distinct = z[first].astype(np.float64)
        self._gaps = distinct - distinct.max(axis=1, keepdims=True)                  # z - max z <= 0
        top = z.max(axis=1).astype(np.float64)
        self._label_gaps = z[np.arange(len(z)), labels].astype(np.float64) - top     # z_y - max z
        self.correct = z.argmax(axis=1) == labels

    def at(self, t):
        """(confidences (N,), mean NLL) at temperature ``t`` > 0."""
        log_sums = np.log(np.exp(self._gaps / t).sum(axis=1))[self._row_of]
        return np.exp(-log_sums), float(np.mean(log_sums - self._label_gaps / t))


class ReliabilityDashboard(Dashboard):
    """A reliability diagram with a live temperature: are the model's probabilities honest?

    Use :func:`reliability_dashboard`. Attributes: ``temperature`` (log slider), ``n_bins``
    (IntSlider, 5 to 100), ``strategy`` (ToggleButtons uniform / quantile), ``checkpoint``
    (ToggleButtons), ``fit_button`` (sets T to the fitted temperature); ``temperatures`` (the
    fitted T of each checkpoint), ``fitted_temperature`` (of the current one), ``confidences``
    (the top probability of every prediction at T), ``correct`` (whether the top word is the
    target: the same at every T), ``bins`` (:class:`~softmax_lab.calibration.ReliabilityBins`),
    ``ece``, ``nll``, ``accuracy``, ``mean_confidence``; the artists ``accuracy_stairs``,
    ``gap_stairs``, ``histogram``, ``temperature_line`` and ``fitted_line``; ``readout``.
    """

    T_MIN, T_MAX = 0.2, 5.0

    def __init__(self, predictions=None, temperatures=None, checkpoint=None, n_bins=15, strategy="uniform",
                 presentation=False):
        if predictions is None:
            predictions, shipped_t = shipped_predictions()
            temperatures = shipped_t if temperatures is None else temperatures
        self._data = _checked_predictions(predictions)
        names = list(self._data)
        if temperatures is None:
            temperatures = {name: fit_temperature(*self._data[name]) for name in names}
        if not isinstance(temperatures, dict) or set(temperatures) != set(names):
            raise ValueError(f"temperatures must give a fitted T for each of {names}")
        self.temperatures = {name: float(t) for name, t in temperatures.items()}
        checkpoint = ("overtrained" if "overtrained" in names else names[0]) if checkpoint is None else checkpoint
        if checkpoint not in names:
            raise ValueError(f"checkpoint must be one of {names}, got {checkpoint!r}")
        if isinstance(n_bins, bool) or not isinstance(n_bins, int) or not 5 <= n_bins <= 100:
            raise ValueError(f"n_bins must be an integer from 5 to 100, got {n_bins!r}")
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
        super().__init__(presentation)
        self._scorers, self._cache, self._bins = {}, {}, {}

        style = self._description_style(["temperature T", "checkpoint", "strategy", "bins"])
        layout = self._slider_layout()
        self.temperature = GridLogSlider(
            value=1.0, base=10, min=round(math.log10(self.T_MIN), 2), max=round(math.log10(self.T_MAX), 2),
            step=0.01, description="temperature T", readout_format=".3g", layout=layout, style=style)
        self.n_bins = widgets.IntSlider(value=n_bins, min=5, max=100, description="bins", layout=layout, style=style)
        self.strategy = widgets.ToggleButtons(options=STRATEGIES, value=strategy, description="strategy", style=style)
        self.checkpoint = widgets.ToggleButtons(options=names, value=checkpoint, description="checkpoint", style=style)
        self.fit_button = widgets.Button(description="use the fitted T", tooltip="fit_temperature's T")
        self.readout = widgets.HTML()

        self._build_figure()
        for control in (self.temperature, self.n_bins, self.strategy, self.checkpoint):
            control.observe(self._guarded(self._update), names="value")
        self.fit_button.on_click(self._guarded(lambda _: self.use_fitted_temperature()))
        self._assemble(self.temperature, self.n_bins, widgets.HBox([self.strategy]), self.checkpoint,
                       self.fit_button, self._make_view(self.figure), self.readout)
        self._update()

    # -- state ---------------------------------------------------------------------------

    @property
    def fitted_temperature(self):
        """The temperature fitted for the current checkpoint."""
        return self.temperatures[self.checkpoint.value]

    def use_fitted_temperature(self):
        """Move the slider to the fitted temperature (on the slider's grid)."""
        self.temperature.value = min(max(self.fitted_temperature, self.T_MIN), self.T_MAX)

    def _scores(self, name, t):
        """(confidences, NLL) of checkpoint ``name`` at temperature ``t``, cached per slider value."""
        key = (name, t)
        if key not in self._cache:
            if name not in self._scorers:
                self._scorers[name] = TemperatureScores(*self._data[name])
            if len(self._cache) >= 64:            # 64 temperatures of 20 530 confidences: about 10 MB
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = self._scorers[name].at(t)
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

        tx.set_xscale("log")
        tx.set_xlim(self.T_MIN, self.T_MAX)
        tx.set_yticks([])
        tx.set_ylim(0, 1)
        tx.set_xticks([0.2, 0.5, 1, 2, 5], ["0.2", "0.5", "1", "2", "5"])
        tx.set_xticks([], minor=True)
        tx.tick_params(labelsize=fs.tick)
        tx.set_xlabel("temperature T (log scale)", fontsize=fs.label)
        self.fitted_line = tx.axvline(1.0, color=plots.OKABE_ITO["orange"], linewidth=3)
        self.fitted_text = tx.text(1.0, 0.5, "", fontsize=fs.note, va="center", ha="left")
        self.temperature_line = tx.axvline(1.0, color=plots.OKABE_ITO["black"], linewidth=1.5)
        self._fitted_shown = None
        # The fitted temperature changes only with the checkpoint (then the whole figure is drawn).
        plots.animate(self.figure, self.accuracy_stairs, self.gap_stairs, self.histogram, self.mean_confidence_line,
                      self.accuracy_line, self._title, self.temperature_line)
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
            plots.relayout(self.figure)                 # the y ticks changed: lay out again
        self.mean_confidence_line.set_xdata([self.mean_confidence] * 2)
        self.accuracy_line.set_xdata([self.accuracy] * 2)
        name = self.checkpoint.value
        self._title.set_text(f"{name} at T = {t:.3g}: ECE {100 * self.ece:.1f}% "
                             f"({bins.n_bins} {bins.strategy} bins)")
        shown = min(max(fitted, self.T_MIN), self.T_MAX)
        if self._fitted_shown != fitted:
            self._fitted_shown = fitted
            self.fitted_line.set_xdata([shown, shown])
            self.fitted_text.set_position((shown * 1.04, 0.5))
            self.fitted_text.set_text(f"fitted T = {fitted:.3g}")
            plots.invalidate(self.figure)
        self.temperature_line.set_xdata([t, t])
        gap = self.mean_confidence - self.accuracy
        verdict = "overconfident" if gap > 0.01 else "underconfident" if gap < -0.01 else "about right on average"
        self.readout.value = self._html_box([
            ("checkpoint", html.escape(name)),
            ("temperature", f"{t:.3g} (fitted: {fitted:.3g})"),
            ("ECE", f"{100 * self.ece:.2f}% (at T = 1: {100 * self.ece_at_1:.2f}%)"),
            ("NLL", f"{self.nll:.4f} nats (at T = 1: {self.nll_at_1:.4f})"),
            ("accuracy", f"{100 * self.accuracy:.2f}% (the same at every T)"),
            ("mean confidence", f"{100 * self.mean_confidence:.2f}%: {verdict}"),
            ("predictions", f"{len(self.correct):,}"),
        ])


def reliability_dashboard(predictions=None, temperatures=None, checkpoint=None, n_bins=15, strategy="uniform",
                          presentation=False):
    r"""A reliability diagram of the tiny language model's next-word predictions, with a temperature.

    Bars of accuracy per confidence bin against the diagonal (perfect calibration), the hatched
    gap to each bin's mean confidence, and the confidence histogram below, with the mean
    confidence and the accuracy marked. A temperature slider rescales the logits,
    :math:`\mathrm{softmax}(z / T)`, and redraws the diagram, the ECE and the NLL; the strip at
    the bottom marks the fitted temperature. The bins (5 to 100, equal width or equal mass) and
    the checkpoint are controls too. Accuracy never changes with T: dividing by T > 0 keeps the
    order of the logits.

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
    return ReliabilityDashboard(predictions, temperatures, checkpoint, n_bins, strategy, presentation)
