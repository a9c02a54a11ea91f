"""Lessons 01-03: the logit explorer, the temperature explorer, and sigmoid versus softmax."""

import contextlib
import html
import math

import ipywidgets as widgets
import numpy as np

from .. import plots
from .._checks import check_temperature
from ..functions import entropy, sigmoid, softmax
from ._base import Dashboard, GridLogSlider, GridSlider, mpl_text
from .parsing import (
    CAT_EXAMPLE_CONTEXT,
    CAT_EXAMPLE_LABELS,
    LOGIT_LIMIT,
    categories,
    default_labels,
    parse_labels,
    parse_logits,
)

# --------------------------------------------------------------------------------------------
# 1. Logit explorer
# --------------------------------------------------------------------------------------------

class LogitExplorer(Dashboard):
    """One slider per logit, the softmax as bars, readouts, a shift control and text boxes.

    Use :func:`logit_explorer` to build one. Attributes for tests and sanity checks:
    ``sliders`` (one FloatSlider per category), ``shift`` (adds c to every logit),
    ``logits_text`` and ``labels_text`` (Text boxes), ``labels``, ``logits`` (slider values
    plus c), ``probabilities``, ``readout`` (HTML), ``bars`` (bar artists and value labels),
    ``figure``, ``figure_mode``, ``message``, ``error``.
    """

    def __init__(self, logits=None, labels=None, temperature=1.0, presentation=False):
        self._is_cat_example = logits is None and labels is None
        z, labels = categories(logits, labels)
        self.temperature = check_temperature(temperature)
        super().__init__(presentation)
        self._holding = False

        self.shift = GridSlider(
            value=0.0, min=-LOGIT_LIMIT, max=LOGIT_LIMIT, step=0.1, description="shift all by c",
            readout_format=".1f", layout=self._slider_layout(), style=self._description_style(["shift all by c"]))
        self.logits_text = widgets.Text(
            description="logits", placeholder="e.g. 2.0, 1.0, 0.1", continuous_update=False,
            layout=self._slider_layout(), style=self._description_style(["shift all by c"]))
        self.labels_text = widgets.Text(
            description="labels", placeholder="e.g. mat, floor, roof", continuous_update=False,
            layout=self._slider_layout(), style=self._description_style(["shift all by c"]))
        self.readout = widgets.HTML()
        self.labels = list(labels)
        self.sliders = self._make_sliders(z, labels)
        self._slider_box = widgets.VBox(self.sliders)
        self._build_figure()
        self._show_text_state()

        self.shift.observe(self._guarded(self._on_change), names="value")
        self.logits_text.observe(self._guarded(self._on_logits_text), names="value")
        self.labels_text.observe(self._guarded(self._on_labels_text), names="value")

        help_text = widgets.HTML(
            "Type logits or labels and press Enter. The shift slider adds the same c to every logit.")
        self._assemble(self._slider_box, self.shift, self._make_view(self.figure), self.readout,
                       self.logits_text, self.labels_text, help_text)
        self._update()

    # -- state -------------------------------------------------------------------------------

    @property
    def logits(self):
        """The logits in use: each slider's value plus the shift c."""
        return np.array([s.value for s in self.sliders]) + self.shift.value

    @property
    def probabilities(self):
        """``softmax(logits, temperature=T)``."""
        return softmax(self.logits, temperature=self.temperature)

    # -- building ------------------------------------------------------------------------

    def _build_figure(self):
        self.figure, self._ax = self._new_figure(size=(7.0, 3.6))
        plots.label_axes(self._ax, "category (next word)", "probability", title=self._title(),
                         presentation=self.presentation)
        self.bars = plots.probability_bars(self._ax, [mpl_text(lab) for lab in self.labels],
                                           presentation=self.presentation)
        plots.animate(self.figure, self.bars.bars, self.bars.texts)     # what changes on an update
        plots.relayout(self.figure)

    def _title(self):
        title = f"P(next word | \u201c{CAT_EXAMPLE_CONTEXT}\u201d)" if self._is_cat_example else "softmax of the logits"
        return title + (f",  T = {self.temperature:g}" if self.temperature != 1.0 else "")

    def _make_sliders(self, z, labels):
        style = self._description_style(labels + ["shift all by c"])
        sliders = [GridSlider(value=float(v), min=-LOGIT_LIMIT, max=LOGIT_LIMIT, step=0.1,
                                       description=lab, readout_format=".2f",
                                       layout=self._slider_layout(), style=style)
                   for v, lab in zip(z, labels)]
        for s in sliders:
            s.observe(self._guarded(self._on_change), names="value")
        return sliders

    def _set_categories(self, z, labels):
        """Show ``labels`` with slider values ``z``; rebuild sliders and bars only if the count changes."""
        if len(labels) != len(self.sliders):
            for s in self.sliders:
                s.close()
            self.sliders = self._make_sliders(z, labels)
            self._slider_box.children = self.sliders
            plots.remove_bars(self.bars)           # new bars in the same axes of the same figure
            self.bars = plots.probability_bars(self._ax, [mpl_text(lab) for lab in labels],
                                               presentation=self.presentation)
            plots.animate(self.figure, self.bars.bars, self.bars.texts)
            plots.relayout(self.figure)
        else:
            style = self._description_style(labels + ["shift all by c"])
            with self._hold():
                for s, v, lab in zip(self.sliders, z, labels):
                    s.value = float(v)
                    s.description = lab
                    s.style.description_width = style["description_width"]
            if labels != self.labels:
                self._ax.set_xticks(np.arange(len(labels)), [mpl_text(lab) for lab in labels])
                plots.relayout(self.figure)
        if self._is_cat_example and labels[:3] != list(CAT_EXAMPLE_LABELS):
            self._is_cat_example = False       # the "cat sat on the" title no longer fits
            self._ax.title.set_text(self._title())
            plots.invalidate(self.figure)
        self.labels = list(labels)
        self._show_text_state()

    @contextlib.contextmanager
    def _hold(self):
        """Change several controls without reacting to each change (one update afterwards)."""
        self._holding = True
        try:
            yield
        finally:
            self._holding = False

    def _show_text_state(self):
        """Write the current logits and labels into the text boxes (without re-parsing them)."""
        with self._hold():
            self.logits_text.value = ", ".join(f"{s.value:g}" for s in self.sliders)
            self.labels_text.value = ", ".join(self.labels)

    # -- callbacks -----------------------------------------------------------------------

    def _on_change(self, change=None):
        if self._holding:
            return
        self._show_text_state()
        self._update()

    def _on_logits_text(self, change):
        if self._holding:
            return
        try:
            z = parse_logits(change["new"])
        except ValueError as exc:
            self._say(f"logits not changed: {exc}")
            return
        labels = default_labels(len(z), known=self.labels)
        self._say("")
        self._set_categories(z, labels)
        self._update()

    def _on_labels_text(self, change):
        if self._holding:
            return
        try:
            labels = parse_labels(change["new"])
        except ValueError as exc:
            self._say(f"labels not changed: {exc}")
            return
        current = [s.value for s in self.sliders]
        z = (current + [0.0] * len(labels))[:len(labels)]
        self._say("")
        self._set_categories(np.array(z), labels)
        self._update()

    def _show_state(self):
        z = self.logits
        p = self.probabilities
        plots.set_heights(self.bars, p)
        top = p == p.max()
        plots.highlight(self.bars, top)
        h = float(entropy(p))
        winners = ", ".join(html.escape(lab) for lab, t in zip(self.labels, top) if t)
        c = self.shift.value
        rows = [
            ("logits z + c" if c else "logits z", ", ".join(f"{v:.2f}" for v in z)),
            ("entropy", f"{h:.4f} nats = {h / math.log(2):.4f} bits"),
            ("maximum probability", f"{p.max():.4f} ({winners})"),
            ("sum of probabilities", f"{p.sum():.6f}"),
        ]
        if c:
            rows.append(("shift c", f"{c:+.1f}: every logit moved, the probabilities did not"))
        self.readout.value = self._html_box(rows)


def logit_explorer(logits=None, labels=None, temperature=1.0, presentation=False):
    r"""A dashboard to move logits and watch the softmax probabilities respond.

    One slider per logit (range -10..10), bars of :math:`\mathrm{softmax}(z / T)` with their
    values, readouts of the entropy (nats and bits), the largest probability and the sum of
    the probabilities, a slider that adds the same constant c to every logit (the bars do not
    move: softmax is shift invariant), and two text boxes where a learner types logits
    (``2.0, 1.0, 0.1``) and labels (``mat, floor, roof``).

    Typed input is parsed with :func:`parse_logits` / :func:`parse_labels` (never evaluated).
    Bad input leaves the dashboard as it was and explains why under the figure. The number
    of categories follows what is typed, up to :data:`MAX_CATEGORIES` (12); logits must lie in
    [-10, 10]. The figure is built once; a new count replaces only the bars.

    Parameters
    ----------
    logits : sequence of float, optional
        2 to 12 starting logits in [-10, 10]. Default: the "The cat sat on the ___" example,
        ``mat, floor, roof`` with logits ``2.0, 1.0, 0.1``.
    labels : sequence of str, optional
        One label per logit (default ``word 1``, ``word 2``, ...).
    temperature : float, default 1.0
        The logits are divided by T > 0 before the softmax.
    presentation : bool, default False
        Larger figure and fonts, for a projector.

    Returns
    -------
    LogitExplorer
        An ipywidgets VBox; make it the last expression of a cell to show it.

    Examples
    --------
    >>> dash = logit_explorer()
    >>> dash.probabilities.round(3)
    array([0.659, 0.242, 0.099])
    >>> dash.shift.value = 5.0              # add 5 to every logit
    >>> dash.probabilities.round(3)
    array([0.659, 0.242, 0.099])
    >>> dash.logits_text.value = "1, 1, 1, 1"
    >>> dash.labels, dash.probabilities
    (['mat', 'floor', 'roof', 'word 4'], array([0.25, 0.25, 0.25, 0.25]))
    """
    return LogitExplorer(logits, labels, temperature, presentation=presentation)


# --------------------------------------------------------------------------------------------
# 2. Temperature explorer
# --------------------------------------------------------------------------------------------

class TemperatureExplorer(Dashboard):
    """A log-scale temperature slider, the softmax bars, and entropy / max-probability curves.

    Use :func:`temperature_explorer`. Attributes: ``temperature`` (the FloatLogSlider),
    ``logits``, ``labels``, ``probabilities``, ``bars``, ``grid`` (the temperatures of the
    curves), ``entropy_curve`` and ``max_probability_curve`` (precomputed once),
    ``entropy_marker`` and ``max_probability_marker`` (the moving points), ``readout``.
    """

    T_MIN, T_MAX = 0.01, 100.0

    def __init__(self, logits=None, labels=None, presentation=False):
        z, labels = categories(logits, labels)
        super().__init__(presentation)
        self.logits, self.labels = z, labels

        self.temperature = GridLogSlider(
            value=1.0, base=10, min=math.log10(self.T_MIN), max=math.log10(self.T_MAX), step=0.01,
            description="temperature T", readout_format=".3g", layout=self._slider_layout(),
            style=self._description_style(["temperature T"]))
        self.readout = widgets.HTML()

        # The curves are computed once, over a log grid; only the markers move afterwards.
        self.grid = np.geomspace(self.T_MIN, self.T_MAX, 241)
        dists = np.array([softmax(z, temperature=t) for t in self.grid])
        self.entropy_curve = entropy(dists)
        self.max_probability_curve = dists.max(axis=1)

        self._build_figure()
        self.temperature.observe(self._guarded(self._update), names="value")
        self._assemble(self.temperature, self._make_view(self.figure), self.readout)
        self._update()

    def _build_figure(self):
        z, k, f = self.logits, len(self.logits), self.presentation
        self.figure, axes = self._new_figure(size=(8.0, 5.6), mosaic=[["bars", "bars"], ["entropy", "pmax"]])
        self._bar_ax, self._h_ax, self._p_ax = axes["bars"], axes["entropy"], axes["pmax"]
        plots.label_axes(self._bar_ax, "category", "probability", title="softmax(z / T) at T = 1", presentation=f)
        # Values written on the bars while they fit, as in the gradient stepper: beyond 6 bars the
        # labels crowd each other, and redrawing 10 of them was half the cost of an update.
        self.bars = plots.probability_bars(self._bar_ax, [mpl_text(lab) for lab in self.labels], presentation=f,
                                           value_format="{:.3f}" if k <= 6 else None)
        self._bar_title = self._bar_ax.title

        n_top = int(np.sum(z == z.max()))          # ties at the top share the T -> 0 limit
        log_k = math.log(k)
        plots.label_axes(self._h_ax, "temperature T (log scale)", "entropy (nats)", presentation=f)
        _, self.entropy_marker = plots.curve_with_marker(self._h_ax, self.grid, self.entropy_curve, logx=True)
        plots.reference_line(self._h_ax, log_k, f"uniform (T\u2192\u221e): log K = {log_k:.3f}",
                             presentation=f, va="top")
        plots.reference_line(self._h_ax, math.log(n_top), "argmax (T\u21920): "
                             + ("0" if n_top == 1 else f"log {n_top}"), presentation=f, x_text=0.52)
        self._h_ax.set_ylim(-0.08 * log_k, 1.15 * log_k)

        plots.label_axes(self._p_ax, "temperature T (log scale)", "largest probability", presentation=f)
        _, self.max_probability_marker = plots.curve_with_marker(
            self._p_ax, self.grid, self.max_probability_curve, logx=True)
        plots.reference_line(self._p_ax, 1 / k, f"uniform (T\u2192\u221e): 1/K = {1 / k:.3f}",
                             presentation=f)
        plots.reference_line(self._p_ax, 1 / n_top, "argmax (T\u21920): "
                             + ("1" if n_top == 1 else f"1/{n_top}"), presentation=f, x_text=0.52, va="top")
        self._p_ax.set_ylim(0, 1.1)
        self._t_lines = [ax.axvline(1.0, color=plots.OKABE_ITO["black"], linewidth=0.8, alpha=0.5)
                         for ax in (self._h_ax, self._p_ax)]
        plots.animate(self.figure, self.bars.bars, self.bars.texts, self._bar_title, self._t_lines,
                      self.entropy_marker, self.max_probability_marker)
        plots.relayout(self.figure)

    @property
    def probabilities(self):
        """``softmax(logits, temperature=T)`` at the slider's T."""
        return softmax(self.logits, temperature=self.temperature.value)

    def _show_state(self):
        t = float(self.temperature.value)
        p = self.probabilities
        h = float(entropy(p))
        plots.set_heights(self.bars, p)
        plots.highlight(self.bars, p == p.max())
        plots.move_marker(self.entropy_marker, t, h)
        plots.move_marker(self.max_probability_marker, t, p.max())
        for line in self._t_lines:
            line.set_xdata([t, t])
        self._bar_title.set_text(f"softmax(z / T) at T = {t:.3g}")
        top = self.labels[int(np.argmax(p))]
        self.readout.value = self._html_box([
            ("temperature", f"{t:.3g}"),
            ("entropy", f"{h:.4f} nats (uniform: {math.log(len(p)):.4f})"),
            ("largest probability", f"{p.max():.4f} ({html.escape(top)})"),
        ])


def temperature_explorer(logits=None, labels=None, presentation=False):
    r"""A dashboard for the softmax temperature: :math:`p = \mathrm{softmax}(z / T)`.

    A temperature slider on a log scale from 0.01 to 100, the probabilities as bars, and two
    curves computed once over a log grid of T: the entropy, and the largest probability, each
    with a marker at the current T. Dashed lines mark the two limits: T -> 0 gives the argmax
    (a one-hot, entropy 0; ties share the mass), T -> infinity the uniform distribution
    (entropy log K, every probability 1/K). Stable down to T = 0.01: no NaN, no warning.

    Parameters
    ----------
    logits : sequence of float, optional
        2 to 12 logits in [-10, 10]; default the "cat sat on the" example (2.0, 1.0, 0.1).
    labels : sequence of str, optional
        One label per logit.
    presentation : bool, default False
        Larger figure and fonts, for a projector.

    Returns
    -------
    TemperatureExplorer

    Examples
    --------
    >>> dash = temperature_explorer()
    >>> dash.temperature.value = 0.01
    >>> dash.probabilities.round(3)
    array([1., 0., 0.])
    >>> dash.temperature.value = 100
    >>> dash.probabilities.round(2)
    array([0.34, 0.33, 0.33])
    """
    return TemperatureExplorer(logits, labels, presentation=presentation)


# --------------------------------------------------------------------------------------------
# 3. Sigmoid versus softmax
# --------------------------------------------------------------------------------------------

MULTI_LABELS = ("cat", "indoors", "sofa", "dog")
MULTI_LOGITS = (2.0, 1.5, 1.0, -2.0)


class SigmoidVsSoftmax(Dashboard):
    """Two panels: softmax of two logits equals a sigmoid; multi-label sigmoids against a softmax.

    Use :func:`sigmoid_vs_softmax`. Attributes: ``z0``, ``z1`` (sliders of the two-logit panel),
    ``pair_softmax`` (``softmax([z0, z1])[1]``), ``pair_sigmoid`` (``sigmoid(z1 - z0)``),
    ``label_sliders`` (one per label of the multi-label panel), ``labels``, ``logits``,
    ``sigmoids`` (independent probabilities), ``probabilities`` (the softmax of the same
    logits), ``pair_bars`` and ``multi_sigmoid_bars`` / ``multi_softmax_bars``, ``readout``.
    """

    def __init__(self, presentation=False):
        super().__init__(presentation)
        self.labels = list(MULTI_LABELS)
        descriptions = ["z0", "z1", *self.labels]
        style = self._description_style(descriptions)

        def slider(description, value):
            return GridSlider(value=value, min=-LOGIT_LIMIT, max=LOGIT_LIMIT, step=0.1,
                                       description=description, readout_format=".2f",
                                       layout=self._slider_layout(), style=style)

        self.z0 = slider("z0", 0.5)
        self.z1 = slider("z1", 1.5)
        self.label_sliders = [slider(lab, v) for lab, v in zip(self.labels, MULTI_LOGITS)]
        self.readout = widgets.HTML()
        self._build_figure()

        for s in (self.z0, self.z1, *self.label_sliders):
            s.observe(self._guarded(self._update), names="value")
        pair_head = widgets.HTML("<b>Two classes</b>: softmax of two logits and a sigmoid of their difference")
        multi_head = widgets.HTML("<b>Several labels at once</b> (multi-label): one sigmoid per label, "
                                  "or one softmax over all of them")
        self._assemble(pair_head, self.z0, self.z1, multi_head, *self.label_sliders,
                       self._make_view(self.figure), self.readout)
        self._update()

    def _build_figure(self):
        f = self.presentation
        self.figure, (self._pair_ax, self._multi_ax) = self._new_figure(1, 2, size=(8.0, 3.8),
                                                                         width_ratios=(0.75, 1.25))
        plots.label_axes(self._pair_ax, "two ways to compute it", "probability of class 1",
                         title="two classes: the same number", presentation=f)
        self.pair_bars = plots.probability_bars(
            self._pair_ax, ["softmax([z0, z1])\nentry 1", "sigmoid\n(z1 \u2212 z0)"], presentation=f, ylim=(0, 1.12))
        for bar, color in zip(self.pair_bars.bars, plots.PALETTE[:2]):
            bar.set_facecolor(color)

        plots.label_axes(self._multi_ax, "label", "probability", title="sums", presentation=f)
        self.multi_sigmoid_bars = plots.probability_bars(
            self._multi_ax, self.labels, offset=-0.2, width=0.4, color=plots.PALETTE[2],
            presentation=f, label="independent sigmoids", value_format="{:.2f}")
        self.multi_softmax_bars = plots.probability_bars(
            self._multi_ax, self.labels, offset=0.2, width=0.4, color=plots.PALETTE[1],
            presentation=f, label="softmax", value_format="{:.2f}")
        self._multi_ax.legend(loc="upper right", fontsize=self._fonts.note, frameon=False)
        self._multi_ax.set_ylim(0, 1.25)
        self._multi_title = self._multi_ax.title
        plots.animate(self.figure, self.pair_bars.bars, self.pair_bars.texts, self._multi_title,
                      self.multi_sigmoid_bars.bars, self.multi_sigmoid_bars.texts,
                      self.multi_softmax_bars.bars, self.multi_softmax_bars.texts)
        plots.relayout(self.figure)

    @property
    def pair_softmax(self):
        """``softmax([z0, z1])[1]``."""
        return float(softmax([self.z0.value, self.z1.value])[1])

    @property
    def pair_sigmoid(self):
        """``sigmoid(z1 - z0)``."""
        return float(sigmoid(self.z1.value - self.z0.value))

    @property
    def logits(self):
        """The multi-label logits."""
        return np.array([s.value for s in self.label_sliders])

    @property
    def sigmoids(self):
        """Independent probabilities: ``sigmoid`` of each logit; their sum is free."""
        return sigmoid(self.logits)

    @property
    def probabilities(self):
        """The softmax over the multi-label logits; sums to 1."""
        return softmax(self.logits)

    def _show_state(self):
        ps, pg = self.pair_softmax, self.pair_sigmoid
        plots.set_heights(self.pair_bars, [ps, pg])
        s, p = self.sigmoids, self.probabilities
        plots.set_heights(self.multi_sigmoid_bars, s)
        plots.set_heights(self.multi_softmax_bars, p)
        self._multi_title.set_text(f"sums: sigmoids {s.sum():.2f}, softmax {p.sum():.2f}")
        self.readout.value = self._html_box([
            ("softmax([z0, z1])[1]", f"{ps:.6f}"),
            ("sigmoid(z1 \u2212 z0)", f"{pg:.6f}"),
            ("difference", f"{abs(ps - pg):.1e}"),
            ("sum of the independent sigmoids", f"{s.sum():.4f} (free: anywhere from 0 to {len(s)})"),
            ("sum of the softmax", f"{p.sum():.4f} (always 1)"),
        ])


def sigmoid_vs_softmax(presentation=False):
    r"""A dashboard: the sigmoid is the two-class softmax; multi-label sigmoids are not a softmax.

    Left panel: two logits z0, z1 and two bars,
    :math:`\mathrm{softmax}([z_0, z_1])_1` and :math:`\sigma(z_1 - z_0)`, which are always
    equal. Right panel: four labels of a photo ("cat", "indoors", "sofa", "dog") with one logit
    each; independent sigmoids (each label yes/no on its own, so their sum can exceed 1) next
    to a softmax over the same logits (the labels compete, the sum is 1). Both sums are shown.

    Parameters
    ----------
    presentation : bool, default False
        Larger figure and fonts, for a projector.

    Returns
    -------
    SigmoidVsSoftmax

    Examples
    --------
    >>> dash = sigmoid_vs_softmax()
    >>> dash.z0.value, dash.z1.value = -1.0, 2.0
    >>> abs(dash.pair_softmax - dash.pair_sigmoid) < 1e-12
    True
    >>> bool(dash.sigmoids.sum() > 1), round(float(dash.probabilities.sum()), 6)
    (True, 1.0)
    """
    return SigmoidVsSoftmax(presentation=presentation)
