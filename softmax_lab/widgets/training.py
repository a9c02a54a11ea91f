"""Lesson 04: the gradient stepper (gradient descent on the cross-entropy, one click at a time)."""

import math
import numbers

import ipywidgets as widgets
import numpy as np

from .. import plots
from ..functions import softmax
from ..losses import cross_entropy, cross_entropy_grad, softmax_jacobian
from ._base import Dashboard, GridSlider, mpl_text
from .parsing import CAT_EXAMPLE_LABELS, categories

# --------------------------------------------------------------------------------------------
# 4. Gradient stepper
# --------------------------------------------------------------------------------------------

class GradientStepper(Dashboard):
    """Gradient descent on the cross-entropy of one prediction, one click at a time.

    Use :func:`gradient_stepper`. Attributes: ``logits`` (current, an array),
    ``initial_logits``, ``labels``, ``target`` (Dropdown of class indices), ``learning_rate``
    (FloatSlider), ``step_button``, ``reset_button``, ``loss_history`` (list, one loss per
    step, starting with the loss before any step), ``probabilities``, ``one_hot``,
    ``gradient``, ``jacobian``, ``probability_bars`` / ``target_bars`` / ``gradient_bars``,
    ``loss_line``, ``jacobian_image`` (imshow artist), ``readout``; methods ``step()`` and
    ``reset()``.
    """

    LR_MIN, LR_MAX = 0.05, 5.0

    def __init__(self, logits=None, target=0, learning_rate=0.5, labels=None, presentation=False):
        if logits is None and labels is None:
            # An untrained model that prefers "roof" where the data says "mat".
            logits, labels = (0.1, 1.0, 2.0), CAT_EXAMPLE_LABELS
        z, labels = categories(logits, labels)
        k = len(z)
        if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or not 0 <= target < k:
            raise ValueError(f"target must be a class index from 0 to {k - 1}, got {target!r}")
        # any real number: Python's int and float, numpy's float32, int64, ... (not a bool)
        if (isinstance(learning_rate, (bool, np.bool_)) or not isinstance(learning_rate, numbers.Real)
                or not self.LR_MIN <= learning_rate <= self.LR_MAX):
            raise ValueError(f"learning_rate must be a number from {self.LR_MIN} to {self.LR_MAX}, "
                             f"got {learning_rate!r}")
        super().__init__(presentation)
        self.initial_logits = z.copy()
        self.logits = z.copy()
        self.labels = labels
        self.steps = 0

        style = self._description_style(["learning rate", "target"])
        self.target = widgets.Dropdown(options=[(lab, i) for i, lab in enumerate(labels)], value=int(target),
                                       description="target", style=style)
        self.learning_rate = GridSlider(
            value=float(learning_rate), min=self.LR_MIN, max=self.LR_MAX, step=0.05, description="learning rate",
            readout_format=".2f", layout=self._slider_layout(), style=style)
        button_layout = widgets.Layout(width="9em", height="auto")
        self.step_button = widgets.Button(description="Step", button_style="primary", icon="forward",
                                          tooltip="one gradient-descent step", layout=button_layout)
        self.reset_button = widgets.Button(description="Reset", icon="undo", tooltip="back to the first logits",
                                           layout=button_layout)
        self.readout = widgets.HTML()
        self.loss_history = [self._loss()]
        self._build_figure()

        self.step_button.on_click(self._guarded(lambda _button: self.step()))
        self.reset_button.on_click(self._guarded(lambda _button: self.reset()))
        self.target.observe(self._guarded(self._on_target), names="value")
        self.learning_rate.observe(self._guarded(self._update), names="value")
        self._assemble(widgets.HBox([self.step_button, self.reset_button, self.target]), self.learning_rate,
                       self._make_view(self.figure), self.readout)
        self._update()

    def _build_figure(self):
        f, k = self.presentation, len(self.logits)
        mpl_labels = [mpl_text(lab) for lab in self.labels]
        self.figure, axes = self._new_figure(2, 2, size=(8.0, 6.0))
        (ax_p, ax_g), (ax_loss, ax_j) = axes
        plots.label_axes(ax_p, "category", "probability", title="prediction p and target y", presentation=f)
        numbers = k <= 6            # values written on the bars while they fit (and on the Jacobian's cells)
        self.probability_bars = plots.probability_bars(ax_p, mpl_labels, offset=-0.2, width=0.4,
                                                       label="p = softmax(z)", presentation=f,
                                                       value_format="{:.2f}" if numbers else None)
        self.target_bars = plots.probability_bars(ax_p, mpl_labels, offset=0.2, width=0.4, color=plots.PALETTE[1],
                                                  label="y (one-hot target)", presentation=f, value_format=None)
        ax_p.legend(loc="upper left", fontsize=self._fonts.note, frameon=False)
        ax_p.set_ylim(0, 1.3)

        plots.label_axes(ax_g, "category", "\u2202loss/\u2202z", title="gradient p \u2212 y", presentation=f)
        self._gradient_title = ax_g.title
        self.gradient_bars = plots.probability_bars(ax_g, mpl_labels, color=plots.PALETTE[3], ylim=(-1.25, 1.25),
                                                    presentation=f, value_format="{:+.2f}" if numbers else None)
        ax_g.axhline(0, color="black", linewidth=0.8)

        plots.label_axes(ax_loss, "step", "cross-entropy loss (nats)", title="loss history", presentation=f)
        (self.loss_line,) = ax_loss.plot([], [], "-o", color=plots.PALETTE[0], markersize=4)
        self._loss_ax = ax_loss

        plots.label_axes(ax_j, "logit z_j", "probability p_i", title="softmax Jacobian \u2202p_i/\u2202z_j",
                         presentation=f)
        self.jacobian_image, _ = plots.heatmap(ax_j, np.zeros((k, k)), vmin=-0.25, vmax=0.25, labels=mpl_labels,
                                               colorbar_label="\u2202p_i/\u2202z_j", presentation=f)
        self._jacobian_texts = ([[ax_j.text(j, i, "", ha="center", va="center", fontsize=self._fonts.note)
                                  for j in range(k)] for i in range(k)] if numbers else [])
        plots.animate(self.figure, self.probability_bars.bars, self.probability_bars.texts, self.target_bars.bars,
                      self.gradient_bars.bars, self.gradient_bars.texts, self._gradient_title, self.loss_line,
                      self.jacobian_image, [text for row in self._jacobian_texts for text in row])
        plots.relayout(self.figure)

    # -- state -------------------------------------------------------------------------------

    @property
    def probabilities(self):
        """``softmax(logits)``."""
        return softmax(self.logits)

    @property
    def one_hot(self):
        """The target as a one-hot vector y."""
        return np.eye(len(self.logits))[self.target.value]

    @property
    def gradient(self):
        """``cross_entropy_grad(logits, target)``, which equals ``p - y``."""
        return cross_entropy_grad(self.logits, self.target.value)

    @property
    def jacobian(self):
        """``softmax_jacobian(logits)``."""
        return softmax_jacobian(self.logits)

    def _loss(self):
        return float(cross_entropy(self.logits, self.target.value))

    # -- actions -------------------------------------------------------------------------

    def step(self):
        """One step of gradient descent: ``z <- z - learning_rate * (p - y)``."""
        self.logits = self.logits - self.learning_rate.value * self.gradient
        self.steps += 1
        self.loss_history.append(self._loss())
        self._update()

    def reset(self):
        """Back to the initial logits; the loss history starts again."""
        self.logits = self.initial_logits.copy()
        self.steps = 0
        self.loss_history = [self._loss()]
        self._update()

    def _on_target(self, change):
        # A new target is a new loss: its history starts again from the current logits.
        self.loss_history = [self._loss()]
        self.steps = 0
        self._update()

    def _show_state(self):
        p, y, g, J = self.probabilities, self.one_hot, self.gradient, self.jacobian
        plots.set_heights(self.probability_bars, p)
        plots.set_heights(self.target_bars, y)
        plots.set_heights(self.gradient_bars, g)
        self._gradient_title.set_text(f"gradient p \u2212 y;  Step: z \u2190 z \u2212 "
                                      f"{self.learning_rate.value:.2f}(p \u2212 y)")
        if not np.array_equal(J, self.jacobian_image.get_array()):   # a learning rate alone leaves it as it is
            self.jacobian_image.set_data(J)                             # (an artist touched is drawn again)
            for i, row in enumerate(self._jacobian_texts):
                for j, text in enumerate(row):
                    text.set_text(f"{J[i, j]:+.2f}")
                    text.set_color("white" if abs(J[i, j]) > 0.15 else "black")   # legible on dark cells
        n = len(self.loss_history)
        self.loss_line.set_data(np.arange(n), self.loss_history)
        # The x range doubles when the line reaches its end (10, 20, 40, ... steps), so the axes
        # rarely change and usually only the line has to be drawn again.
        xlim = (-0.5, 10 * 2 ** max(0, math.ceil(math.log2(max(n - 1, 1) / 10))) + 0.5)
        ylim = (0.0, 1.15 * max(max(self.loss_history), 0.1))
        if xlim != self._loss_ax.get_xlim() or ylim != self._loss_ax.get_ylim():
            self._loss_ax.set_xlim(*xlim)
            self._loss_ax.set_ylim(*ylim)
            plots.relayout(self.figure)              # new ticks: lay the figure out again
        self.readout.value = self._html_box([
            ("logits z", ", ".join(f"{v:.3f}" for v in self.logits)),
            ("p = softmax(z)", ", ".join(f"{v:.3f}" for v in p)),
            ("gradient p \u2212 y", ", ".join(f"{v:+.3f}" for v in g)),
            ("the next Step adds", ", ".join(f"{v:+.3f}" for v in -self.learning_rate.value * g)),
            ("loss", f"{self.loss_history[-1]:.4f} nats after {self.steps} step(s)"),
        ])


def gradient_stepper(logits=None, target=0, learning_rate=0.5, labels=None, presentation=False):
    r"""A dashboard that trains one prediction by gradient descent, one Step click at a time.

    Shows the prediction :math:`p = \mathrm{softmax}(z)`, the one-hot target y and the
    gradient of the cross-entropy, :math:`\partial \ell / \partial z = p - y`, as bars; a Step
    button applies :math:`z \leftarrow z - \eta\,(p - y)` (with
    :func:`softmax_lab.cross_entropy_grad`), Reset goes back to the first logits. A curve shows
    the loss after each step and a heatmap the softmax Jacobian
    :math:`J_{ij} = p_i(\delta_{ij} - p_j)` at the current logits (fixed colour limits
    +-0.25, the largest possible magnitude). With up to 6 classes the values are written on
    the bars and in the Jacobian's cells; beyond that they would not fit. The target is chosen in a dropdown (a new target
    restarts the loss history), the learning rate with a slider (0.05 to 5).

    Parameters
    ----------
    logits : sequence of float, optional
        Starting logits; default ``0.1, 1.0, 2.0`` for ``mat, floor, roof``: a model that
        prefers "roof" where the data says "mat".
    target : int, default 0
        Index of the correct class.
    learning_rate : float, default 0.5
    labels : sequence of str, optional
        One label per logit.
    presentation : bool, default False
        Larger figure and fonts, for a projector.

    Returns
    -------
    GradientStepper

    Examples
    --------
    >>> dash = gradient_stepper()
    >>> dash.gradient.round(3)                       # p - y: push "mat" up, the others down
    array([-0.901,  0.242,  0.659])
    >>> for _ in range(3):
    ...     dash.step_button.click()
    >>> [round(loss, 3) for loss in dash.loss_history]
    [2.317, 1.696, 1.209, 0.862]
    """  # noqa: E501  (wrapping a line would change the docstring's text)
    return GradientStepper(logits, target, learning_rate, labels=labels, presentation=presentation)
