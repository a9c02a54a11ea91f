"""Lesson 08: softmax inside attention.

* :func:`attention_explorer`: 1/sqrt(d) as a temperature (sliders for d and the scale, a
  standard-scale toggle, a causal-mask toggle); the weights of a short sentence as a heatmap and
  the entropy of each row in bits.
* :func:`entropy_collapse`: the query and key weights grow, attention collapses onto one key and
  the softmax's Jacobian (its gradient) vanishes; toggles for QK-norm and tanh soft-capping.
* :func:`attention_sink`: softmax must give all its weight to something; a sink token and a
  softmax with +1 in the denominator.
* :func:`tiled_walkthrough` (in :mod:`softmax_lab.widgets.tiled`): ``tiled_attention`` one
  block of keys at a time.

The sentence's words come from the tiny model's vocabulary (``data/vocab.json``); their
embeddings, and the query and key projections, are seeded random matrices
(:func:`sentence_queries_keys`), so every learner sees the same picture.
"""

import functools
import math

import ipywidgets as widgets
import numpy as np

from .. import data, plots
from ..attention import (
    attention_entropy,
    causal_mask,
    rms_normalize,
    scaled_dot_product_attention,
    soft_cap,
    softmax_one,
)
from ..functions import softmax
from ..losses import softmax_jacobian
from ._base import Dashboard, GridLogSlider, GridSlider, mpl_text

SENTENCE = ("<s>", "the", "cat", "sat", "on", "the", "mat", ".")
D_MODEL = 32          # width of the seeded word embeddings
D_MAX = 1024          # widest query/key projection
SEED = 8              # lesson 08


@functools.lru_cache(maxsize=1)
def _vocabulary():
    return tuple(data.load_json("vocab.json")["words"])


@functools.lru_cache(maxsize=4)
def _projections(seed):
    """Seeded word embeddings (V x D_MODEL) and query/key projections (D_MODEL x D_MAX)."""
    rng = np.random.default_rng(seed)
    embeddings = rng.standard_normal((len(_vocabulary()), D_MODEL))
    w_q = rng.standard_normal((D_MODEL, D_MAX)) / math.sqrt(D_MODEL)
    w_k = rng.standard_normal((D_MODEL, D_MAX)) / math.sqrt(D_MODEL)
    return embeddings, w_q, w_k


def sentence_queries_keys(words=SENTENCE, d=64, weight_scale=1.0, seed=SEED):
    r"""Queries and keys for ``words``: seeded embeddings times seeded projections.

    Each word of the tiny model's vocabulary gets a fixed random embedding :math:`x` (32 numbers,
    N(0, 1)); :math:`q = g\, x W_Q` and :math:`k = g\, x W_K` with N(0, 1/32) projections, so the
    entries of q and k have variance about :math:`g^2` (``weight_scale``). A larger d uses more
    columns of the same projections, so growing d keeps the first columns.

    Returns
    -------
    q, k : ndarray, shape (len(words), d)

    Examples
    --------
    >>> q, k = sentence_queries_keys(d=16)
    >>> q.shape, bool(0.8 < q.std() < 1.3)
    ((8, 16), True)
    """
    vocab = _vocabulary()
    unknown = [w for w in words if w not in vocab]
    if unknown:
        raise ValueError(f"words must come from the tiny model's vocabulary; not in it: {unknown}")
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or not 1 <= d <= D_MAX:
        raise ValueError(f"d must be an integer from 1 to {D_MAX}, got {d!r}")
    embeddings, w_q, w_k = _projections(seed)
    x = embeddings[[vocab.index(w) for w in words]]
    return weight_scale * (x @ w_q[:, :d]), weight_scale * (x @ w_k[:, :d])


def _labels(words):
    return [mpl_text(w) for w in words]


def _weights_heatmap(dash, ax, words, title):
    n = len(words)
    plots.label_axes(ax, "key (attended to)", "query", title=title, presentation=dash.presentation)
    image, _ = plots.heatmap(ax, np.zeros((n, n)), vmin=0.0, vmax=1.0, labels=_labels(words), cmap="viridis",
                             colorbar_label="attention weight", presentation=dash.presentation)
    ax.tick_params(axis="x", labelrotation=60)
    return image


# --------------------------------------------------------------------------------------------
# 1. The scale as a temperature
# --------------------------------------------------------------------------------------------

class AttentionExplorer(Dashboard):
    """Attention weights of a short sentence as d and the score scale change.

    Use :func:`attention_explorer`. Attributes: ``d_slider`` (IntSlider), ``scale_slider``
    (log slider, used when the standard scale is off), ``standard_scale`` and ``causal``
    (Checkboxes), ``words``, ``q`` / ``k`` (current queries and keys), ``scale`` (the factor in
    use), ``scores``, ``weights``, ``entropies`` (bits per query), ``image``,
    ``entropy_bars``, ``readout``.
    """

    def __init__(self, d=64, presentation=False):
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or not 1 <= d <= D_MAX:
            raise ValueError(f"d must be an integer from 1 to {D_MAX}, got {d!r}")
        super().__init__(presentation)
        self.words = list(SENTENCE)
        style = self._description_style(["scale factor", "d"])
        self.d_slider = widgets.IntSlider(value=int(d), min=1, max=D_MAX, step=1, description="d",
                                          layout=self._slider_layout(), style=style)
        self.scale_slider = GridLogSlider(value=10 ** -0.9, base=10, min=-2.0, max=0.5, step=0.05,
                                          description="scale factor", readout_format=".3g",
                                          layout=self._slider_layout(), style=style, disabled=True)
        self.standard_scale = widgets.Checkbox(value=True, description="standard scale 1/\u221ad", indent=False)
        self.causal = widgets.Checkbox(value=False, description="causal mask", indent=False)
        self.readout = widgets.HTML()
        self._build_figure()
        for control in (self.d_slider, self.scale_slider, self.causal):
            control.observe(self._guarded(self._update), names="value")
        self.standard_scale.observe(self._guarded(self._on_standard), names="value")
        self._assemble(self.d_slider, self.scale_slider, widgets.HBox([self.standard_scale, self.causal]),
                       self._make_view(self.figure), self.readout)
        self._update()

    # -- state -------------------------------------------------------------------------------

    @property
    def scale(self):
        """1/sqrt(d) with the standard scale, else the slider's value."""
        return 1 / math.sqrt(self.d_slider.value) if self.standard_scale.value else float(self.scale_slider.value)

    @property
    def q(self):
        return sentence_queries_keys(self.words, self.d_slider.value)[0]

    @property
    def k(self):
        return sentence_queries_keys(self.words, self.d_slider.value)[1]

    @property
    def scores(self):
        """``q k^T * scale`` (before any mask)."""
        return self.q @ self.k.T * self.scale

    @property
    def weights(self):
        q, k = sentence_queries_keys(self.words, self.d_slider.value)
        mask = causal_mask(len(self.words)) if self.causal.value else None
        return scaled_dot_product_attention(q, k, np.eye(len(self.words)), mask=mask, scale=self.scale)[1]

    @property
    def entropies(self):
        """The entropy of each query's weights, in bits."""
        return attention_entropy(self.weights)

    # -- figure ----------------------------------------------------------------------------

    def _build_figure(self):
        f, n = self.presentation, len(self.words)
        self.figure, (ax_w, ax_h) = self._new_figure(1, 2, size=(8.0, 4.0), width_ratios=(1.35, 1.0))
        self.image = _weights_heatmap(self, ax_w, self.words, "attention weights (rows sum to 1)")
        plots.label_axes(ax_h, "entropy (bits)", "query", title=f"entropy of each row\n(at most log2 {n} = "
                         f"{math.log2(n):.0f})", presentation=f)
        self.entropy_bars = ax_h.barh(np.arange(n), np.zeros(n), color=plots.PALETTE[1], edgecolor="black",
                                      linewidth=0.6)
        ax_h.set_yticks(np.arange(n), _labels(self.words))
        ax_h.invert_yaxis()                       # rows in the same order as the heatmap
        ax_h.set_xlim(0, math.log2(n) * 1.05)
        ax_h.axvline(math.log2(n), color="black", linestyle="--", linewidth=1)
        self._title = ax_w.title
        plots.animate(self.figure, self.image, self.entropy_bars, self._title)
        plots.relayout(self.figure)

    def _on_standard(self, change):
        self.scale_slider.disabled = bool(self.standard_scale.value)
        self._update()

    def _show_state(self):
        w, h, s = self.weights, self.entropies, self.scores
        self.image.set_data(w)
        for bar, value in zip(self.entropy_bars, h):
            bar.set_width(float(value))
        d = self.d_slider.value
        self._title.set_text(f"attention weights, d = {d}, scale = {self.scale:.3g}")
        self.readout.value = self._html_box([
            ("d (length of q and k)", f"{d}"),
            ("scale used", f"{self.scale:.4g}" + (" = 1/\u221ad" if self.standard_scale.value else "")),
            ("spread of the scores (std)", f"{float(np.std(s)):.3g}"),
            ("mean entropy of a row", f"{float(np.mean(h)):.2f} bits (of at most {math.log2(len(h)):.0f})"),
        ])


def attention_explorer(d=64, presentation=False):
    r"""A dashboard: the scale 1/sqrt(d) acts as an inverse temperature on the attention scores.

    Eight words of the tiny model ("<s> the cat sat on the mat .") get seeded queries and keys
    of length d (:func:`sentence_queries_keys`). The heatmap shows
    :math:`\mathrm{softmax}(q k^\top \cdot \mathrm{scale})`, the bars the entropy of each row in
    bits. With the standard scale, moving d changes little; switch it off and a fixed scale
    factor lets the scores' spread grow like :math:`\sqrt{d}`.

    Parameters
    ----------
    d : int, default 64
        Starting length of the queries and keys (1 to 1024).
    presentation : bool, default False

    Returns
    -------
    AttentionExplorer

    Examples
    --------
    >>> dash = attention_explorer()
    >>> bool(np.allclose(dash.weights.sum(axis=-1), 1.0))
    True
    >>> dash.causal.value = True
    >>> float(dash.weights[0, 1])               # the first word cannot see the second
    0.0
    """
    return AttentionExplorer(d=d, presentation=presentation)


# --------------------------------------------------------------------------------------------
# 2. Entropy collapse, and two remedies
# --------------------------------------------------------------------------------------------

COLLAPSE_D = 64
COLLAPSE_GRID = 10 ** np.linspace(-1.0, 1.5, 41)


def collapse_stats(weight_scale, qk_norm=False, cap=None, d=COLLAPSE_D, words=SENTENCE):
    r"""Weights, mean entropy (bits) and mean gradient size when q and k are scaled by ``weight_scale``.

    The gradient size is the Frobenius norm of each row's Jacobian of the weights with respect
    to the scores :math:`q \cdot k / \sqrt{d}` (:func:`softmax_lab.softmax_jacobian`, times
    the slope of the tanh when the scores are soft-capped), averaged over the rows: how much
    the weights can still move when the scores move. It is 0 for one-hot weights.

    Returns
    -------
    weights : ndarray (n, n)
    entropy : float
    gradient : float

    Examples
    --------
    >>> _, h_small, g_small = collapse_stats(0.5)
    >>> _, h_big, g_big = collapse_stats(10.0)
    >>> h_big < h_small and g_big < g_small
    True
    """
    q, k = sentence_queries_keys(words, d, weight_scale)
    if qk_norm:
        q, k = rms_normalize(q), rms_normalize(k)
    scores = q @ k.T / math.sqrt(d)
    jacobian_factor = 1.0
    if cap is not None:
        capped = soft_cap(scores, cap)
        jacobian_factor = (1.0 - (capped / cap) ** 2)[:, None, :]   # d cap*tanh(s/cap) / ds, per key
        scores = capped
    weights = softmax(scores)
    jacobian = softmax_jacobian(scores) * jacobian_factor
    gradient = float(np.mean(np.sqrt(np.sum(jacobian**2, axis=(-2, -1)))))
    return weights, float(np.mean(attention_entropy(weights))), gradient


class EntropyCollapse(Dashboard):
    """Attention entropy and the softmax's gradient as the query/key weights grow.

    Use :func:`entropy_collapse`. Attributes: ``weight_scale`` (log slider g: q and k are
    multiplied by g, the scores by g**2), ``qk_norm`` and ``soft_capping`` (Checkboxes),
    ``cap`` (slider), ``weights``, ``entropy`` (mean, bits), ``gradient`` (mean Jacobian norm),
    ``image``, ``entropy_line`` / ``gradient_line`` and their markers, ``readout``.
    """

    def __init__(self, presentation=False):
        super().__init__(presentation)
        self.words = list(SENTENCE)
        style = self._description_style(["weight size g", "cap"])
        self.weight_scale = GridLogSlider(value=1.0, base=10, min=-1.0, max=1.5, step=0.05,
                                          description="weight size g", readout_format=".3g",
                                          layout=self._slider_layout(), style=style)
        self.qk_norm = widgets.Checkbox(value=False, description="QK-norm", indent=False)
        self.soft_capping = widgets.Checkbox(value=False, description="tanh soft-capping", indent=False)
        self.cap = GridSlider(value=5.0, min=1.0, max=50.0, step=1.0, description="cap",
                              readout_format=".0f", layout=self._slider_layout(), style=style)
        self.readout = widgets.HTML()
        self._build_figure()
        for control in (self.weight_scale, self.qk_norm, self.soft_capping, self.cap):
            control.observe(self._guarded(self._update), names="value")
        self._assemble(self.weight_scale, widgets.HBox([self.qk_norm, self.soft_capping]), self.cap,
                       self._make_view(self.figure), self.readout)
        self._update()

    def _options(self):
        return {"qk_norm": bool(self.qk_norm.value),
                "cap": float(self.cap.value) if self.soft_capping.value else None}

    @property
    def stats(self):
        """``collapse_stats`` at the current settings: (weights, entropy, gradient)."""
        return collapse_stats(float(self.weight_scale.value), **self._options())

    @property
    def weights(self):
        return self.stats[0]

    @property
    def entropy(self):
        return self.stats[1]

    @property
    def gradient(self):
        return self.stats[2]

    def _build_figure(self):
        f = self.presentation
        self.figure, (ax_w, ax_c) = self._new_figure(1, 2, size=(8.0, 4.0), width_ratios=(1.2, 1.0))
        self.image = _weights_heatmap(self, ax_w, self.words, "attention weights")
        plots.label_axes(ax_c, "weight size g (scores grow like g\u00b2)", "mean entropy (bits)",
                         title="collapse as the weights grow", presentation=f)
        zeros = np.zeros_like(COLLAPSE_GRID)
        self.entropy_line, self.entropy_marker = plots.curve_with_marker(ax_c, COLLAPSE_GRID, zeros, logx=True,
                                                                         label="entropy")
        ax_c.set_ylim(0, math.log2(len(self.words)) * 1.05)
        ax_g = ax_c.twinx()
        ax_g.set_ylabel("gradient size \u2016J\u2016", fontsize=self._fonts.label)
        ax_g.tick_params(labelsize=self._fonts.tick)
        self.gradient_line, self.gradient_marker = plots.curve_with_marker(
            ax_g, COLLAPSE_GRID, zeros, color=plots.PALETTE[1], marker_color=plots.PALETTE[1], label="gradient")
        ax_g.set_ylim(0, 0.75)
        ax_c.legend([self.entropy_line, self.gradient_line], ["entropy (left)", "gradient size (right)"],
                    loc="lower left", fontsize=self._fonts.note, frameon=False)
        plots.animate(self.figure, self.image, self.entropy_line, self.entropy_marker, self.gradient_line,
                      self.gradient_marker)
        plots.relayout(self.figure)

    def _show_state(self):
        options = self._options()
        self.cap.disabled = options["cap"] is None
        curves = np.array([collapse_stats(g, **options)[1:] for g in COLLAPSE_GRID])
        self.entropy_line.set_ydata(curves[:, 0])
        self.gradient_line.set_ydata(curves[:, 1])
        weights, entropy, gradient = self.stats
        g = float(self.weight_scale.value)
        plots.move_marker(self.entropy_marker, g, entropy)
        plots.move_marker(self.gradient_marker, g, gradient)
        self.image.set_data(weights)
        remedy = [name for name, on in (("QK-norm", options["qk_norm"]),
                                        (f"soft-cap {options['cap']:.0f}" if options["cap"] else "", options["cap"]))
                  if on]
        self.readout.value = self._html_box([
            ("weight size g", f"{g:.3g} (scores \u00d7 {g * g:.3g})"),
            ("remedy", ", ".join(remedy) or "none"),
            ("mean entropy", f"{entropy:.2f} bits"),
            ("gradient size \u2016J\u2016 (mean over rows)", f"{gradient:.3g}"),
            ("largest weight", f"{float(weights.max()):.3f}"),
        ])


def entropy_collapse(presentation=False):
    r"""A dashboard: attention entropy collapse, vanishing gradients, QK-norm and soft-capping.

    The queries and keys of :func:`attention_explorer`'s sentence (d = 64) are multiplied by a
    weight size g, so the scores grow like :math:`g^2`: the weights become one-hot, their
    entropy falls towards 0 and the softmax Jacobian :math:`\mathrm{diag}(p) - p p^\top`
    vanishes. QK-norm (RMS-normalising q and k) stops the growth; tanh soft-capping bounds
    every score by the cap.

    Examples
    --------
    >>> dash = entropy_collapse()
    >>> dash.weight_scale.value = 10 ** 1.5
    >>> dash.entropy < 0.3             # the two "the" rows split their weight: 1 bit each
    True
    >>> dash.qk_norm.value = True
    >>> dash.entropy > 2.0
    True
    """
    return EntropyCollapse(presentation=presentation)


# --------------------------------------------------------------------------------------------
# 3. Softmax must give all its weight to something
# --------------------------------------------------------------------------------------------

SINK_SCORE = 2.0


class AttentionSink(Dashboard):
    """One query's weights when no key is relevant: plain softmax, a sink token, softmax with +1.

    Use :func:`attention_sink`. Attributes: ``relevance`` (slider c added to every score but
    the sink's), ``scores``, ``plain`` (softmax of the scores), ``with_sink`` (softmax where
    the first token keeps its score 2), ``quiet`` (:func:`softmax_one`), the three bar groups,
    ``readout``.
    """

    def __init__(self, presentation=False):
        super().__init__(presentation)
        self.words = list(SENTENCE)
        rng = np.random.default_rng(SEED)
        self.base_scores = np.round(rng.normal(0.0, 0.7, len(self.words)), 2)
        self.relevance = GridSlider(value=0.0, min=-8.0, max=4.0, step=0.5, description="relevance c",
                                    readout_format=".1f", layout=self._slider_layout(),
                                    style=self._description_style(["relevance c"]))
        self.readout = widgets.HTML()
        self._build_figure()
        self.relevance.observe(self._guarded(self._update), names="value")
        self._assemble(self.relevance, self._make_view(self.figure), self.readout)
        self._update()

    @property
    def scores(self):
        """Every score shifted by c (the sink's score is used only in ``with_sink``)."""
        return self.base_scores + self.relevance.value

    @property
    def plain(self):
        return softmax(self.scores)

    @property
    def with_sink(self):
        s = self.scores.copy()
        s[0] = SINK_SCORE
        return softmax(s)

    @property
    def quiet(self):
        return softmax_one(self.scores)

    def _build_figure(self):
        f = self.presentation
        labels = _labels(self.words)
        self.figure, ax = self._new_figure(size=(8.0, 3.8))
        plots.label_axes(ax, "key", "attention weight", title="one query with nothing relevant to read",
                         presentation=f)
        groups = (("softmax", -0.27, plots.PALETTE[0]), (f"softmax, '<s>' keeps score {SINK_SCORE:g} (a sink)", 0.0,
                                                        plots.PALETTE[1]),
                  ("softmax_one (+1 in the denominator)", 0.27, plots.PALETTE[2]))
        self.bar_groups = [plots.probability_bars(ax, labels, offset=off, width=0.27, color=color, label=name,
                                                  presentation=f, value_format=None, ylim=(0, 1.05))
                           for name, off, color in groups]
        ax.legend(loc="upper right", fontsize=self._fonts.note, frameon=False)
        plots.animate(self.figure, *[g.bars for g in self.bar_groups])
        plots.relayout(self.figure)

    def _show_state(self):
        for group, values in zip(self.bar_groups, (self.plain, self.with_sink, self.quiet)):
            plots.set_heights(group, values)
        self.readout.value = self._html_box([
            ("scores", f"base + c, c = {self.relevance.value:+.1f}"),
            ("softmax: total weight", f"{self.plain.sum():.3f} (always 1; c changes nothing)"),
            ("with a sink: weight on '<s>'", f"{self.with_sink[0]:.3f}"),
            ("softmax_one: total weight", f"{self.quiet.sum():.3f} (the rest goes nowhere)"),
        ])


def attention_sink(presentation=False):
    r"""A dashboard: a softmax must spend all its weight; a sink token or a +1 lets it abstain.

    One query's scores over the sentence are shifted by a "relevance" c. The plain softmax
    does not change at all (it is shift invariant). If the first token keeps a fixed score,
    the weight drains onto it as c falls, as trained models park attention on their first
    token (Xiao et al. 2023). :func:`softmax_lab.attention.softmax_one` adds 1 to the
    denominator: its weights shrink towards 0 and the head outputs (almost) nothing.

    Examples
    --------
    >>> dash = attention_sink()
    >>> dash.relevance.value = -8.0
    >>> round(float(dash.plain.sum()), 6), bool(dash.with_sink[0] > 0.99), bool(dash.quiet.sum() < 0.01)
    (1.0, True, True)
    """
    return AttentionSink(presentation=presentation)
