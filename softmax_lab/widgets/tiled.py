"""Lesson 08: the tiled (FlashAttention-style) softmax, walked through one block of keys at a time."""

import math

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Rectangle

from .. import plots
from ..attention import causal_mask, scaled_dot_product_attention, tiled_attention_steps
from ._base import Dashboard
from .attention import SEED

# --------------------------------------------------------------------------------------------
# 4. Tiled attention, one block at a time
# --------------------------------------------------------------------------------------------

class TiledWalkthrough(Dashboard):
    """``tiled_attention_steps`` shown block by block: the tile read, the running maximum,
    the rescaled sum, and how far the partial output still is from the reference.

    Use :func:`tiled_walkthrough`. Attributes: ``blocks_read`` (IntSlider), ``causal``
    (Checkbox), ``q`` / ``k`` / ``v``, ``block_size``, ``steps`` (the TiledStep list),
    ``step`` (the current one), ``reference`` (scaled_dot_product_attention's output),
    ``distance`` (max |partial - reference| per query), ``unread`` (the grey rectangle),
    ``max_bars``, ``error_bars``, ``readout``.
    """

    def __init__(self, n_queries=6, n_keys=24, block_size=4, presentation=False):
        for name, value in (("n_queries", n_queries), ("n_keys", n_keys), ("block_size", block_size)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= 64:
                raise ValueError(f"{name} must be an integer from 1 to 64, got {value!r}")
        if n_queries > n_keys:
            raise ValueError(f"n_queries must be <= n_keys, got {n_queries} > {n_keys}")
        super().__init__(presentation)
        rng = np.random.default_rng(SEED)
        self.q = rng.standard_normal((n_queries, 8)) * 2
        self.k = rng.standard_normal((n_keys, 8))
        self.v = rng.standard_normal((n_keys, 4))
        self.block_size = int(block_size)
        n_blocks = -(-n_keys // self.block_size)
        self.blocks_read = widgets.IntSlider(value=1, min=1, max=n_blocks, step=1, description="blocks read",
                                             layout=self._slider_layout(),
                                             style=self._description_style(["blocks read"]))
        self.causal = widgets.Checkbox(value=False, description="causal", indent=False)
        self.readout = widgets.HTML()
        self._compute()
        self._build_figure()
        self.blocks_read.observe(self._guarded(self._update), names="value")
        self.causal.observe(self._guarded(self._on_causal), names="value")
        self._assemble(self.blocks_read, self.causal, self._make_view(self.figure), self.readout)
        self._update()

    def _compute(self):
        causal = bool(self.causal.value)
        self.steps = list(tiled_attention_steps(self.q, self.k, self.v, self.block_size, causal=causal))
        mask = causal_mask(len(self.q), len(self.k)) if causal else None
        self.reference, self.weights = scaled_dot_product_attention(self.q, self.k, self.v, mask=mask)
        scores = self.q @ self.k.T / math.sqrt(self.q.shape[-1])
        self.scores = np.where(mask == 0, scores, np.nan) if causal else scores

    @property
    def step(self):
        return self.steps[self.blocks_read.value - 1]

    @property
    def distance(self):
        """max |partial output - reference| per query, after the blocks read so far."""
        return np.max(np.abs(self.step.output - self.reference), axis=-1)

    def _build_figure(self):
        f = self.presentation
        n_q, n_k = self.scores.shape
        self.figure, axes = self._new_figure(mosaic=[["tiles", "tiles"], ["max", "error"]], size=(8.0, 5.6),
                                             height_ratios=(1.0, 1.0))
        ax = axes["tiles"]
        plots.label_axes(ax, "key", "query", title="scores q\u00b7k/\u221ad; grey = not read yet", presentation=f)
        limit = float(np.nanmax(np.abs(self.scores)))
        self.score_image = ax.imshow(self.scores, vmin=-limit, vmax=limit, cmap=plots.DIVERGING_CMAP, aspect="auto")
        for edge in range(self.block_size, n_k, self.block_size):
            ax.axvline(edge - 0.5, color="black", linewidth=1)
        self.unread = ax.add_patch(Rectangle((-0.5, -0.5), n_k, n_q, facecolor="0.75", edgecolor="none", alpha=0.9))
        queries = [f"q{i}" for i in range(n_q)]
        ax_m, ax_e = axes["max"], axes["error"]
        plots.label_axes(ax_m, "query", "score", title="running max m (black: true max)", presentation=f)
        self.max_bars = ax_m.bar(np.arange(n_q), np.zeros(n_q), color=plots.PALETTE[0], edgecolor="black")
        (self.true_max,) = ax_m.plot(np.arange(n_q), np.zeros(n_q), "_", color="black", markersize=22,
                                     markeredgewidth=3)
        ax_m.set_xticks(np.arange(n_q), queries)
        ax_m.set_ylim(min(0.0, float(np.nanmin(self.scores))) - 0.5, limit + 0.5)
        plots.label_axes(ax_e, "query", "max |partial \u2212 reference|", title="distance to the reference",
                         presentation=f)
        self.error_bars = ax_e.bar(np.arange(n_q), np.ones(n_q), color=plots.PALETTE[3], edgecolor="black")
        ax_e.set_yscale("log")
        ax_e.set_ylim(1e-17, 10)
        ax_e.axhline(1e-12, color="black", linestyle="--", linewidth=1)
        ax_e.set_xticks(np.arange(n_q), queries)
        self._title = ax.title
        plots.animate(self.figure, self.score_image, self.unread, self.max_bars, self.true_max, self.error_bars,
                      self._title)
        plots.relayout(self.figure)

    def _on_causal(self, change):
        self._compute()
        self.score_image.set_data(self.scores)
        # The masked scores become NaN (transparent pixels): on matplotlib 3.10 a partial repaint
        # of the image over the saved picture left stale pixels there, so the next draw is full.
        plots.invalidate(self.figure)
        self._update()

    def _show_state(self):
        step, n_k = self.step, self.k.shape[0]
        start, stop = step.keys
        self.unread.set_x(stop - 0.5)
        self.unread.set_width(n_k - stop)
        for bar, m in zip(self.max_bars, step.m[:, 0]):
            bar.set_height(float(m))
        self.true_max.set_ydata(np.nanmax(self.scores, axis=-1))
        err = self.distance
        for bar, e in zip(self.error_bars, err):
            bar.set_height(max(float(e), 1e-17))
        done = stop == n_k
        self._title.set_text(f"block {step.block + 1} of {len(self.steps)} (keys {start} to {stop - 1}) just read"
                             + (" (all)" if done else ""))
        self.readout.value = self._html_box([
            ("keys read", f"{stop} of {n_k}, in blocks of {self.block_size}"),
            ("running max m", ", ".join(f"{m:.2f}" for m in step.m[:, 0])),
            ("rescaled sum \u2113 = \u03a3 exp(s \u2212 m)", ", ".join(f"{x:.3f}" for x in step.ell[:, 0])),
            ("partial output O/\u2113 of q0", ", ".join(f"{x:+.4f}" for x in step.output[0])),
            ("reference output of q0", ", ".join(f"{x:+.4f}" for x in self.reference[0])),
            ("largest distance to the reference", f"{float(err.max()):.2e}"
             + (" : equal (within rounding)" if done else "")),
        ])


def tiled_walkthrough(n_queries=6, n_keys=24, block_size=4, presentation=False):
    r"""A dashboard: :func:`softmax_lab.attention.tiled_attention` one block of keys at a time.

    After each block every query keeps a running maximum :math:`m`, a rescaled running sum
    :math:`\ell` and a partial output :math:`O/\ell`: exact attention over the keys read so
    far. When the last block is in, the partial output equals the reference (the dashed line
    marks 1e-12).

    Examples
    --------
    >>> dash = tiled_walkthrough()
    >>> dash.blocks_read.value = dash.blocks_read.max
    >>> bool(dash.distance.max() < 1e-12)
    True
    """
    return TiledWalkthrough(n_queries=n_queries, n_keys=n_keys, block_size=block_size, presentation=presentation)
