"""Lesson 05: the stability explorer (the textbook softmax formula against the shifted one)."""


import ipywidgets as widgets
import numpy as np

from .. import plots
from ..functions import naive_softmax, softmax
from ._base import Dashboard, GridLogSlider, GridSlider, mpl_text
from .parsing import CAT_EXAMPLE_LABELS

# --------------------------------------------------------------------------------------------
# 5. Numerical stability (lesson 05)
# --------------------------------------------------------------------------------------------

STABILITY_BASE_LOGITS = (2.0, 1.0, 0.1)
STABILITY_DTYPES = ("float16", "float32", "float64")


def _exp_limits(dtype):
    """(largest safe logit, smallest logit whose exp is not 0) for ``dtype``: log(max), log(tiniest)."""
    info = np.finfo(dtype)
    return float(np.log(np.float64(info.max))), float(np.log(np.float64(info.smallest_subnormal)))


class StabilityExplorer(Dashboard):
    """The textbook softmax formula next to the stable one, as the logits grow, in three dtypes.

    Use :func:`stability_explorer`. Attributes: ``dtype`` (ToggleButtons), ``scale`` (a
    FloatLogSlider multiplying the base logits), ``shift`` (adds c to every logit), ``logits``
    (in the chosen dtype), ``naive`` (``naive_softmax`` of them: may hold inf/NaN),
    ``probabilities`` (``softmax`` of them), ``naive_broken`` (True when the naive result is
    not a distribution), ``largest_safe_logit`` (``log(finfo(dtype).max)``),
    ``naive_bars`` / ``stable_bars``, ``broken_marks`` (the "NaN"/"inf" labels), ``zmax_marker``,
    ``readout``.
    """

    def __init__(self, presentation=False):
        super().__init__(presentation)
        self.base_logits = np.array(STABILITY_BASE_LOGITS)
        self.labels = list(CAT_EXAMPLE_LABELS)
        style = self._description_style(["logit scale", "shift by c", "dtype"])
        self.dtype = widgets.ToggleButtons(options=STABILITY_DTYPES, value="float32", description="dtype",
                                           style=style)
        # step 0.004 on the exponent (0.9% per step): fine enough that the scales lesson 05 quotes on
        # either side of each dtype's limit (5 / 6, 44 / 45, 354 / 356) stay on their side once snapped
        self.scale = GridLogSlider(value=1.0, base=10, min=0, max=3, step=0.004, description="logit scale",
                                            readout_format=".4g", layout=self._slider_layout(), style=style)
        self.shift = GridSlider(value=0.0, min=-1000.0, max=1000.0, step=1.0, description="shift by c",
                                         readout_format=".0f", layout=self._slider_layout(), style=style)
        self.readout = widgets.HTML()
        self._build_figure()
        self.scale.observe(self._guarded(self._update), names="value")
        self.shift.observe(self._guarded(self._update), names="value")
        self.dtype.observe(self._guarded(self._on_dtype), names="value")
        explain = widgets.HTML("logits = scale &times; (2.0, 1.0, 0.1) + c, stored in the chosen dtype")
        self._assemble(self.dtype, self.scale, self.shift, explain, self._make_view(self.figure), self.readout)
        self._update()

    # -- state -------------------------------------------------------------------------------

    @property
    def logits(self):
        """``scale * base + c``, rounded to the chosen dtype (too large for float16 -> inf)."""
        z = self.scale.value * self.base_logits + self.shift.value
        with np.errstate(over="ignore"):          # |z| <= 3000 here, but keep a cast silent anyway
            return z.astype(self.dtype.value)

    @property
    def naive(self):
        """``naive_softmax(logits)``: the unshifted formula, NaN/inf when it breaks."""
        return naive_softmax(self.logits)

    @property
    def probabilities(self):
        """``softmax(logits)``: shifted by the maximum, never breaks."""
        return softmax(self.logits)

    @property
    def naive_broken(self):
        """True when the naive result is not a probability distribution (NaN, inf, or sum != 1),
        or is one but a wrong one: more than 0.01 away from the shifted softmax somewhere (in
        float16, exps of the smaller logits can underflow silently and take their share with them).
        """
        return self._naive_problem() is not None

    def _naive_problem(self):
        """None when the naive formula works; else "nan" (not a distribution) or "wrong"."""
        q = self.naive.astype(np.float64)
        if not np.isfinite(q).all() or abs(q.sum() - 1.0) > 1e-2:
            return "nan"
        if np.max(np.abs(q - self.probabilities.astype(np.float64))) > 1e-2:
            return "wrong"
        return None

    @property
    def largest_safe_logit(self):
        """``log(finfo(dtype).max)``: above it, ``exp`` overflows to inf."""
        return _exp_limits(self.dtype.value)[0]

    # -- figure ----------------------------------------------------------------------------

    def _build_figure(self):
        f = self.presentation
        self.figure, (ax_bars, ax_line) = self._new_figure(1, 2, size=(8.0, 3.8), width_ratios=(1.0, 1.1))
        plots.label_axes(ax_bars, "category", "probability", title="naive formula vs shifted softmax",
                         presentation=f)
        labels = [mpl_text(lab) for lab in self.labels]
        self.naive_bars = plots.probability_bars(ax_bars, labels, offset=-0.2, width=0.4, color=plots.PALETTE[3],
                                                 label="naive exp(z)/sum exp(z)", presentation=f, value_format="{:.2f}")
        self.stable_bars = plots.probability_bars(ax_bars, labels, offset=0.2, width=0.4, color=plots.PALETTE[0],
                                                  label="softmax (shifted by max)", presentation=f,
                                                  value_format="{:.2f}")
        ax_bars.set_ylim(0, 1.3)
        ax_bars.legend(loc="upper right", fontsize=self._fonts.note, frameon=False)
        # Where the naive formula gives no number, a bold label says what it gave instead.
        self.broken_marks = [ax_bars.text(i - 0.2, 0.5, "", ha="center", va="center", rotation=90,
                                          fontsize=self._fonts.value + 2, fontweight="bold",
                                          color=plots.OKABE_ITO["vermillion"]) for i in range(len(labels))]

        plots.label_axes(ax_line, "largest logit z_max (symmetric log scale)", "", presentation=f)
        ax_line.set_yticks([])
        ax_line.set_ylabel("the dtype's range")
        ax_line.set_xscale("symlog", linthresh=10)
        ax_line.set_xlim(-5000, 5000)
        ax_line.set_ylim(0, 1)
        self._line_ax = ax_line
        self._safe_span = None
        self._limit_texts = []
        (self.zmax_marker,) = ax_line.plot([0.0], [0.5], "v", color=plots.OKABE_ITO["black"], markersize=14)
        self._line_title = ax_line.title
        self._draw_limits()
        plots.animate(self.figure, self.naive_bars.bars, self.naive_bars.texts, self.stable_bars.bars,
                      self.stable_bars.texts, self.broken_marks, self.zmax_marker, self._line_title)
        plots.relayout(self.figure)

    def _draw_limits(self):
        """The safe zone of the chosen dtype on the number line (static: redrawn on a dtype change)."""
        ax = self._line_ax
        if self._safe_span is not None:
            self._safe_span.remove()
            for artist in self._limit_texts:
                artist.remove()
        high, low = _exp_limits(self.dtype.value)
        self._safe_span = ax.axvspan(low, high, color=plots.OKABE_ITO["bluish green"], alpha=0.25)
        size = self._fonts.note
        self._limit_texts = [
            ax.axvline(high, color=plots.OKABE_ITO["vermillion"], linewidth=2),
            ax.axvline(low, color=plots.OKABE_ITO["blue"], linewidth=2),
            # outside the safe zone where there is room, inside it near the ends of the axis (float64)
            ax.text(high, 0.93, f" exp overflows \n above {high:.2f} ", va="top", ha="left" if high < 300 else "right",
                    fontsize=size),
            ax.text(low, 0.93, f" exp(z_max) = 0 \n below {low:.1f} ", va="top", ha="right" if low > -300 else "left",
                    fontsize=size),
            ax.text(0.0, 0.08, f"naive is safe\n({self.dtype.value})", ha="center", va="bottom", fontsize=size),
        ]

    def _on_dtype(self, change):
        self._draw_limits()
        plots.invalidate(self.figure)          # the static part changed
        self._update()

    def _show_state(self):
        z, q, p = self.logits, self.naive, self.probabilities
        shown = np.where(np.isfinite(q), q, 0.0)
        plots.set_heights(self.naive_bars, shown)
        plots.set_heights(self.stable_bars, p)
        for text, value, bar_text in zip(self.broken_marks, q, self.naive_bars.texts):
            bad = not np.isfinite(value)
            text.set_text(("NaN" if np.isnan(value) else "inf") if bad else "")
            if bad:
                bar_text.set_text("")
        zmax = float(np.max(z.astype(np.float64)))
        plots.move_marker(self.zmax_marker, zmax, 0.5)
        broken = self.naive_broken
        self._line_title.set_text(f"z_max = {zmax:.4g}: naive " + ("BREAKS" if broken else "works"))
        high, low = _exp_limits(self.dtype.value)
        self.readout.value = self._html_box([
            ("logits z", ", ".join(f"{v:.4g}" for v in z.astype(np.float64))),
            ("naive exp(z) / sum exp(z)", ", ".join(f"{v:.4f}" for v in q.astype(np.float64))),
            ("softmax (shifted by max)", ", ".join(f"{v:.4f}" for v in p.astype(np.float64))),
            (f"largest safe logit in {self.dtype.value}", f"log(finfo.max) = {high:.2f}"),
            ("naive formula", "breaks: " + _why_naive_breaks(zmax, high, low, self._naive_problem())
             if broken else "works here"),
        ])


def _why_naive_breaks(zmax, high, low, problem="nan"):
    if problem == "wrong":
        return ("no NaN, but wrong probabilities: the exps of the smaller logits underflow (to 0, "
                "or to tiny numbers with few digits left)")
    if zmax > high:
        return "exp of the largest logit overflows to inf (inf / inf = NaN)"
    if zmax < low:
        return "every exp underflows to 0 (0 / 0 = NaN)"
    return "the sum of the exps overflows (each term fits, their sum does not)"


def stability_explorer(presentation=False):
    r"""A dashboard: where the textbook softmax formula breaks, and why the shifted one does not.

    The logits are ``scale * (2.0, 1.0, 0.1) + c``, stored in the chosen dtype (float16,
    float32 or float64). Bars compare :func:`softmax_lab.naive_softmax` (the formula
    :math:`e^{z_i} / \sum_j e^{z_j}` as written) with :func:`softmax_lab.softmax`, which first
    subtracts :math:`\max_j z_j`. A number line shows the largest logit against the dtype's
    safe zone: :math:`e^{z}` overflows above :math:`\log(\text{finfo.max})` (11.09 in float16,
    88.72 in float32, 709.78 in float64) and every term underflows to 0 when the largest logit
    is below the log of the smallest subnormal number. Where the naive result is NaN or inf,
    the bar is replaced by a bold "NaN"/"inf" mark. No RuntimeWarning is ever printed.

    Parameters
    ----------
    presentation : bool, default False
        Larger figure and fonts, for a projector.

    Returns
    -------
    StabilityExplorer

    Examples
    --------
    >>> dash = stability_explorer()
    >>> dash.dtype.value = "float16"
    >>> dash.scale.value = 10.0                    # logits 20, 10, 1: exp(20) > 65504
    >>> dash.naive_broken, dash.probabilities.round(3)
    (True, array([1., 0., 0.], dtype=float16))
    >>> round(dash.largest_safe_logit, 2)
    11.09
    """
    return StabilityExplorer(presentation=presentation)
