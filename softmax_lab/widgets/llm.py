"""Lesson 13's dashboards: soft targets, speculative sampling, a mixture-of-experts router, a contrastive trainer.

:func:`soft_targets_explorer` shows a teacher's next-word distribution softened by a temperature
(the soft targets of distillation). :func:`speculative_explorer` puts the target's p and the
draft's q side by side with min(p, q) and the residual, for one context and a temperature
applied to both, and samples tokens by speculative sampling. :func:`router_explorer` routes the
tiny model's hidden states to experts through a softmax router: load per expert, the
load-balancing loss and the z-loss as the router's logits grow. :func:`contrastive_trainer`
trains a dual encoder at a chosen temperature (or CLIP's learned one). The maths lives in
:mod:`softmax_lab.distillation`, :mod:`softmax_lab.speculative` and :mod:`softmax_lab.routing`.
"""

import numbers

import ipywidgets as widgets
import matplotlib.ticker
import numpy as np

from .. import lm, plots
from ..functions import entropy, softmax
from ..llm_experiments import lesson_router
from ..llm_pairs import contrastive_run, contrastive_split
from ..routing import load_balancing_loss, router_z_loss, top_k_gating
from ..speculative import acceptance_probability, expected_tokens_per_call, residual_distribution, speculative_sample
from ._base import Dashboard, GridLogSlider

__all__ = ["SoftTargetsExplorer", "soft_targets_explorer", "SpeculativeExplorer", "speculative_explorer",
           "RouterExplorer", "router_explorer", "ContrastiveTrainer", "contrastive_trainer"]

SPECULATIVE_CONTEXTS = ("the cat sat on the", "the dog", "she walked to the", "")


def _model(model, name):
    if isinstance(model, str):
        return lm.load(model)
    if not isinstance(model, lm.TinyLM):
        raise TypeError(f"{name} must be a checkpoint name or a TinyLM, got {type(model).__name__}")
    return model


def _temperature(value, low, high):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not low <= value <= high:
        raise ValueError(f"temperature must be a number in [{low}, {high}], got {value!r}")
    return float(value)


def _word_count(k, name, high):
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 2 <= k <= high:
        raise ValueError(f"{name} must be an integer in [2, {high}], got {k!r}")
    return int(k)


class SoftTargetsExplorer(Dashboard):
    """A teacher's soft targets softmax(z / T) for one context, the top words in a fixed order.

    Use :func:`soft_targets_explorer`. Attributes: ``temperature`` (the slider), ``words`` (the
    k words shown, the teacher's ranking at T = 1), ``probabilities`` (the whole soft
    distribution), ``shown`` (the k words' values, then all other words together: the bars, on a
    log scale), ``figure``, ``bars``, ``readout``.
    """

    def __init__(self, model="best", context="the cat sat on the", temperature=1.0, k=10, presentation=False):
        super().__init__(presentation)
        self.model = _model(model, "model")
        temperature = _temperature(temperature, 0.25, 16.0)
        k = _word_count(k, "k", 20)
        self.context = context
        self.logits = lm.next_token_logits(self.model, context)
        self.order = np.argsort(-self.logits, kind="stable")[:k]
        self.words = [self.model.vocab[i] for i in self.order]
        self.temperature = GridLogSlider(value=temperature, base=2, min=-2, max=4, step=0.25, description="T",
                                         readout_format=".2f", layout=self._slider_layout(),
                                         style=self._description_style(["T"]))
        self.readout = widgets.HTML()
        self._build_figure()
        self.temperature.observe(self._guarded(self._update), names="value")
        self._assemble(self.temperature, self._make_view(self.figure), self.readout)
        self._update()

    @property
    def probabilities(self):
        return softmax(self.logits, temperature=self.temperature.value)

    @property
    def shown(self):
        """The k words' soft targets, then the mass of all the other words together."""
        p = self.probabilities
        return np.append(p[self.order], 1.0 - p[self.order].sum())

    def _picture_key(self):
        return self.temperature.value         # the only control: a temperature shown before is kept

    def _build_figure(self):
        self.figure, ax = self._new_figure(size=(7.5, 3.4))
        labels = [*self.words, f"other {len(self.logits) - len(self.words)}"]
        self.bars = plots.probability_bars(ax, labels, ylim=None, value_format="{:.3f}",
                                           presentation=self.presentation)
        self.bars.bars[-1].set_color(plots.PALETTE[1])
        ax.set_ylim(1e-4, 3.0)                             # fixed limits first: no autoscaling on the zeros
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())   # decades only: 50 minor ticks cost a lot
        ax.yaxis.set_major_locator(matplotlib.ticker.FixedLocator([1e-4, 1e-3, 1e-2, 1e-1, 1.0]))
        ax.yaxis.set_major_formatter(matplotlib.ticker.FixedFormatter(["0.0001", "0.001", "0.01", "0.1", "1"]))
        ax.tick_params(axis="x", labelrotation=30, labelsize=self._fonts.tick)
        plots.label_axes(ax, f'next word after "{self.context}"', "soft target (log scale)",
                         presentation=self.presentation)
        self._title = ax.set_title(" ", fontsize=self._fonts.title)
        plots.animate(self.figure, *self.bars.bars, *self.bars.texts, self._title)
        plots.relayout(self.figure)

    def _show_state(self):
        p = self.probabilities
        shown = self.shown
        heights = np.maximum(shown, 1e-4)                 # below the axis: drawn at its floor
        for bar, text, v, h in zip(self.bars.bars, self.bars.texts, shown, heights):
            bar.set_height(h)
            text.set_position((bar.get_x() + bar.get_width() / 2, h * 1.15))
            text.set_text(f"{v:.3f}" if v >= 1e-3 else f"{v:.0e}")
        T = self.temperature.value
        self._title.set_text(f"the teacher's soft targets at T = {T:.2f}")
        self.readout.value = self._html_box([
            ("mass on the top word", f"{p[self.order[0]]:.3f}"),
            (f"mass on the other {len(self.order) - 1} words shown", f"{p[self.order[1:]].sum():.3f}"),
            ("entropy (nats)", f"{float(entropy(p)):.2f} of at most {np.log(len(p)):.2f}"),
        ])


def soft_targets_explorer(model="best", context="the cat sat on the", temperature=1.0, k=10, presentation=False):
    """A dashboard: the teacher's soft targets softmax(z / T) for one context, with a T slider.

    Parameters
    ----------
    model : str or TinyLM, default "best"
        The teacher.
    context : str, default "the cat sat on the"
    temperature : float in [0.25, 16], default 1.0
    k : int in [2, 20], default 10
        How many words to show (the teacher's top k at T = 1, in that order).
    presentation : bool, default False

    Returns
    -------
    SoftTargetsExplorer

    Examples
    --------
    >>> dash = soft_targets_explorer()
    >>> dash.words[0]
    'mat'
    >>> dash.temperature.value = 4.0
    >>> bool(dash.shown[0] < softmax(dash.logits)[dash.order[0]])
    True
    """
    return SoftTargetsExplorer(model, context, temperature, k, presentation)


class SpeculativeExplorer(Dashboard):
    """p (target), q (draft), min(p, q) and the residual for one context; samples against p.

    Use :func:`speculative_explorer`. Attributes: ``temperature`` (slider, applied to both
    models), ``context`` (Dropdown), ``p``, ``q``, ``alpha`` (sum of min(p, q)), ``residual``,
    ``words`` (the k words shown: the largest of max(p, q)), ``counts`` (the last samples' tokens
    counted), ``measured_acceptance``, ``figure``, ``bars`` (dict of bar groups), ``readout``.
    """

    def __init__(self, target="best", draft="early", context="the cat sat on the", temperature=1.0, k=8,
                 n_samples=2000, seed=0, presentation=False):
        super().__init__(presentation)
        self.target, self.draft = _model(target, "target"), _model(draft, "draft")
        if self.target.vocab != self.draft.vocab:
            raise ValueError("target and draft must share one vocabulary")
        temperature = _temperature(temperature, 0.25, 4.0)
        self.k = _word_count(k, "k", 12)
        if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral) or not 100 <= n_samples <= 20000:
            raise ValueError(f"n_samples must be an integer in [100, 20000], got {n_samples!r}")
        self.n_samples, self.seed = int(n_samples), seed
        self._computed = {}         # (context, T) -> what _compute found
        options = list(dict.fromkeys([context, *SPECULATIVE_CONTEXTS]))
        style = self._description_style(["context", "T (both)"])
        self.context = widgets.Dropdown(options=[(c or "(start of a sentence)", c) for c in options], value=context,
                                        description="context", style=style)
        self.temperature = GridLogSlider(value=temperature, base=2, min=-2, max=2, step=0.25, description="T (both)",
                                         readout_format=".2f", layout=self._slider_layout(), style=style)
        self.readout = widgets.HTML()
        self._build_figure()
        for control in (self.context, self.temperature):
            control.observe(self._guarded(self._update), names="value")
        self._assemble(self.context, self.temperature, self._make_view(self.figure), self.readout)
        self._update()

    def _picture_key(self):
        return (self.context.value, self.temperature.value)

    def _compute(self):
        key = self._picture_key()               # the samples take most of the time: kept per setting
        if key in self._computed:
            (self.p, self.q, self.alpha, self.residual, self.order, self.words, self.counts,
             self.measured_acceptance) = self._computed[key]
            return
        T = self.temperature.value
        self.p = softmax(lm.next_token_logits(self.target, self.context.value), temperature=T)
        self.q = softmax(lm.next_token_logits(self.draft, self.context.value), temperature=T)
        self.alpha = float(acceptance_probability(self.p, self.q))
        self.residual = residual_distribution(self.p, self.q)
        self.order = np.argsort(-np.maximum(self.p, self.q), kind="stable")[:self.k]
        self.words = [self.target.vocab[i] for i in self.order]
        tokens, accepted = speculative_sample(self.p, self.q, np.random.default_rng(self.seed), size=self.n_samples)
        self.counts = np.bincount(tokens, minlength=len(self.p))
        self.measured_acceptance = float(np.mean(accepted))
        self._computed[key] = (self.p, self.q, self.alpha, self.residual, self.order, self.words, self.counts,
                               self.measured_acceptance)

    def _build_figure(self):
        self.figure, (top, bottom) = self._new_figure(2, 1, size=(7.5, 5.0))
        labels = [" "] * self.k
        w = 0.27
        self.bars = {
            "p": plots.probability_bars(top, labels, color=plots.PALETTE[0], offset=-w, width=w, ylim=(0, 1.05),
                                        value_format=None, label="target p"),
            "q": plots.probability_bars(top, labels, color=plots.PALETTE[1], offset=0.0, width=w, ylim=None,
                                        value_format=None, label="draft q"),
            "min": plots.probability_bars(top, labels, color=plots.PALETTE[2], offset=w, width=w, ylim=None,
                                          value_format=None, label="min(p, q): accepted"),
        }
        self.residual_marks, = top.plot(np.arange(self.k), np.zeros(self.k), "D", color=plots.OKABE_ITO["black"],
                                        label="residual (if rejected)")
        top.legend(loc="upper right", fontsize=self._fonts.note, ncols=2)
        plots.label_axes(top, "word (the largest of p and q)", "probability", presentation=self.presentation)
        self.hist = {
            "samples": plots.probability_bars(bottom, labels, color=plots.PALETTE[3], offset=-0.2, width=0.4,
                                              ylim=(0, 1.05), value_format=None, label="speculative samples"),
            "p": plots.probability_bars(bottom, labels, color=plots.PALETTE[0], offset=0.2, width=0.4, ylim=None,
                                        value_format=None, label="target p"),
        }
        bottom.legend(loc="upper right", fontsize=self._fonts.note)
        plots.label_axes(bottom, "next word", "share", presentation=self.presentation)
        self._axes = (top, bottom)
        self._title = top.set_title(" ", fontsize=self._fonts.title)
        self._hist_title = bottom.set_title(" ", fontsize=self._fonts.title)
        artists = [b for g in (*self.bars.values(), *self.hist.values()) for b in g.bars]
        plots.animate(self.figure, *artists, self.residual_marks, self._title, self._hist_title)
        plots.relayout(self.figure)

    def _show_state(self):
        self._compute()
        o = self.order
        for name, values in (("p", self.p), ("q", self.q), ("min", np.minimum(self.p, self.q))):
            plots.set_heights(self.bars[name], values[o])
        self.residual_marks.set_ydata(self.residual[o])
        plots.set_heights(self.hist["samples"], self.counts[o] / self.n_samples)
        plots.set_heights(self.hist["p"], self.p[o])
        if [t.get_text() for t in self._axes[0].get_xticklabels()] != self.words:
            for ax in self._axes:
                ax.set_xticks(np.arange(self.k), self.words, fontsize=self._fonts.tick)
            plots.invalidate(self.figure)              # the tick labels are part of the static picture
        context = self.context.value or "(start)"
        self._title.set_text(f'"{context}" at T = {self.temperature.value:.2f}')
        self._hist_title.set_text(f"{self.n_samples} speculative samples against p")
        self.readout.value = self._html_box([
            ("sum of min(p, q)", f"{self.alpha:.3f}"),
            (f"drafts accepted in {self.n_samples} samples", f"{self.measured_acceptance:.3f}"),
            ("mass of the residual's source, 1 - sum min(p, q)", f"{1 - self.alpha:.3f}"),
            ("tokens per target call at gamma = 4 (formula)", f"{float(expected_tokens_per_call(self.alpha, 4)):.2f}"),
        ])


def speculative_explorer(target="best", draft="early", context="the cat sat on the", temperature=1.0, k=8,
                         n_samples=2000, seed=0, presentation=False):
    """A dashboard: speculative sampling for one context, the draft's q against the target's p.

    Parameters
    ----------
    target, draft : str or TinyLM, default "best" and "early"
    context : str, default "the cat sat on the"
        The first entry of the context menu (a few more are offered).
    temperature : float in [0.25, 4], default 1.0
        Divides both models' logits.
    k : int in [2, 12], default 8
        Words shown: the largest of max(p, q).
    n_samples : int in [100, 20000], default 2000
        Speculative samples drawn (seeded) after every change.
    seed : int, default 0
    presentation : bool, default False

    Returns
    -------
    SpeculativeExplorer

    Examples
    --------
    >>> dash = speculative_explorer(n_samples=200)
    >>> bool(abs(dash.alpha - np.minimum(dash.p, dash.q).sum()) < 1e-12)
    True
    """
    return SpeculativeExplorer(target, draft, context, temperature, k, n_samples, seed, presentation)


class RouterExplorer(Dashboard):
    """A softmax router over hidden states: each expert's load and mean probability, and the losses.

    Use :func:`router_explorer`. Attributes: ``scale`` (slider multiplying the router's logits,
    i.e. 1 / router temperature), ``k`` (IntSlider), ``renormalize`` (Checkbox), ``logits``,
    ``weights`` (top_k_gating's dense weights), ``load`` (share of the N * k assignments per
    expert), ``mean_probability`` (P_e), ``balance_loss``, ``z_loss``, ``figure``, ``bars``, ``readout``.
    """

    def __init__(self, hidden=None, router_weight=None, scale=1.0, k=2, renormalize=True, presentation=False):
        super().__init__(presentation)
        if hidden is None and router_weight is None:
            hidden, router_weight, _ = lesson_router()
        elif hidden is None or router_weight is None:
            raise ValueError("hidden and router_weight must be given together (or neither: the lesson's router)")
        hidden, router_weight = np.asarray(hidden, dtype=np.float64), np.asarray(router_weight, dtype=np.float64)
        if hidden.ndim != 2 or router_weight.ndim != 2 or hidden.shape[1] != router_weight.shape[0]:
            raise ValueError(f"hidden (N, H) and router_weight (H, E) must match, got {hidden.shape} and "
                             f"{router_weight.shape}")
        self.base_logits = hidden @ router_weight
        self.n_experts = router_weight.shape[1]
        if not (isinstance(scale, numbers.Real) and 0.125 <= scale <= 16):
            raise ValueError(f"scale must be a number in [0.125, 16], got {scale!r}")
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k < self.n_experts:
            raise ValueError(f"k must be an integer in [1, {self.n_experts - 1}], got {k!r}")
        style = self._description_style(["logit scale", "top k"])
        self.scale = GridLogSlider(value=scale, base=2, min=-3, max=4, step=0.5, description="logit scale",
                                   readout_format=".2f", layout=self._slider_layout(), style=style)
        self.k = widgets.IntSlider(value=k, min=1, max=self.n_experts - 1, description="top k", style=style)
        self.renormalize = widgets.Checkbox(value=bool(renormalize), description="renormalise the k weights")
        self.readout = widgets.HTML()
        self._build_figure()
        for control in (self.scale, self.k, self.renormalize):
            control.observe(self._guarded(self._update), names="value")
        self._assemble(self.scale, self.k, self.renormalize, self._make_view(self.figure), self.readout)
        self._update()

    @property
    def logits(self):
        return self.scale.value * self.base_logits

    def _compute(self):
        z, k = self.logits, self.k.value
        self.weights, indices = top_k_gating(z, k, renormalize=self.renormalize.value)
        self.load = np.bincount(indices.ravel(), minlength=self.n_experts) / indices.size
        self.mean_probability = softmax(z).mean(axis=0)
        self.balance_loss = float(load_balancing_loss(z, k))
        self.z_loss = float(router_z_loss(z))

    def _build_figure(self):
        self.figure, ax = self._new_figure(size=(7.5, 3.2))
        labels = [f"e{e}" for e in range(self.n_experts)]
        self.bars = {
            "load": plots.probability_bars(ax, labels, color=plots.PALETTE[0], offset=-0.2, width=0.4, ylim=(0, 1.05),
                                           value_format=None, label="load f (share of assignments)"),
            "P": plots.probability_bars(ax, labels, color=plots.PALETTE[1], offset=0.2, width=0.4, ylim=None,
                                        value_format=None, label="mean router probability P"),
        }
        ax.axhline(1 / self.n_experts, color=plots.OKABE_ITO["black"], linestyle="--", linewidth=1)
        ax.legend(loc="upper right", fontsize=self._fonts.note)
        plots.label_axes(ax, "expert", "share", presentation=self.presentation)
        self._title = ax.set_title(" ", fontsize=self._fonts.title)
        plots.animate(self.figure, *self.bars["load"].bars, *self.bars["P"].bars, self._title)
        plots.relayout(self.figure)

    def _show_state(self):
        self._compute()
        plots.set_heights(self.bars["load"], self.load)
        plots.set_heights(self.bars["P"], self.mean_probability)
        mode = "renormalised" if self.renormalize.value else "full-softmax values"
        self._title.set_text(f"{len(self.base_logits)} tokens, {self.n_experts} experts, top {self.k.value} ({mode})")
        top = np.sort(self.weights, axis=1)[:, ::-1]
        self.readout.value = self._html_box([
            ("load-balancing loss E * sum f P (1 = balanced)", f"{self.balance_loss:.3f}"),
            ("router z-loss, mean logsumexp(z)^2", f"{self.z_loss:.3g}"),
            ("mean weight of each token's first expert", f"{top[:, 0].mean():.3f}"),
            ("mean total weight of the k experts", f"{top[:, :self.k.value].sum(axis=1).mean():.3f}"),
        ])


def router_explorer(hidden=None, router_weight=None, scale=1.0, k=2, renormalize=True, presentation=False):
    """A dashboard: a softmax router sends N hidden states to E experts; load and losses live.

    Parameters
    ----------
    hidden : array_like, shape (N, H), optional
        The tokens' hidden states (e.g. the tiny model's hidden layer).
    router_weight : array_like, shape (H, E), optional
        The router: logits = hidden @ router_weight. Give both or neither: by default, lesson
        13's random router over the tiny model's hidden states
        (:func:`softmax_lab.llm_experiments.lesson_router`).
    scale : float in [0.125, 16], default 1.0
        Multiplies the logits (1 / the router's temperature).
    k : int, default 2
    renormalize : bool, default True
    presentation : bool, default False

    Returns
    -------
    RouterExplorer

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> dash = router_explorer(rng.normal(size=(100, 4)), rng.normal(size=(4, 6)))
    >>> round(float(dash.load.sum()), 6), dash.weights.shape
    (1.0, (100, 6))
    """
    return RouterExplorer(hidden, router_weight, scale, k, renormalize, presentation)


class ContrastiveTrainer(Dashboard):
    """Train the dual encoder of lesson 13 at the chosen temperature: loss curve and retrieval.

    Use :func:`contrastive_trainer`. Attributes: ``temperature`` (slider), ``learn`` (Checkbox:
    CLIP's learned temperature instead), ``encoder`` (the last trained
    :class:`~softmax_lab.llm_pairs.DualEncoder`), ``accuracy`` (its held-out retrieval),
    ``figure``, ``curve``, ``readout``. Each setting is trained once and remembered.
    """

    def __init__(self, temperature=0.1, steps=600, n_train=2000, n_test=200, presentation=False):
        super().__init__(presentation)
        if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or not 10 <= steps <= 2000:
            raise ValueError(f"steps must be an integer in [10, 2000], got {steps!r}")
        temperature = _temperature(temperature, 0.01, 1.0)
        self.steps = int(steps)
        self.train_sentences, self.test_sentences = contrastive_split(n_train, n_test)
        self._n_train, self._n_test = n_train, n_test
        self._trained = {}
        style = self._description_style(["temperature"])
        self.temperature = GridLogSlider(value=temperature, base=10, min=-2, max=0, step=0.25,
                                         description="temperature", readout_format=".3f",
                                         layout=self._slider_layout(), style=style)
        self.learn = widgets.Checkbox(value=False, description="learn it (CLIP: from 0.07, scale clamped at 100)")
        self.readout = widgets.HTML()
        self._build_figure()
        for control in (self.temperature, self.learn):
            control.observe(self._guarded(self._update), names="value")
        self._assemble(self.temperature, self.learn, self._make_view(self.figure), self.readout)
        self._update()

    def _train(self):
        key = None if self.learn.value else round(self.temperature.value, 6)
        if key not in self._trained:     # the lesson's table trained some settings already: contrastive_run keeps them
            accuracy, encoder = contrastive_run(key, self._n_train, self._n_test, self.steps)
            self._trained[key] = (encoder, accuracy)
        self.encoder, self.accuracy = self._trained[key]

    def _build_figure(self):
        self.figure, ax = self._new_figure(size=(7.5, 3.0))
        self.curve, = ax.plot(np.arange(1, self.steps + 1), np.zeros(self.steps), color=plots.PALETTE[0])
        ax.axhline(np.log(32), color=plots.OKABE_ITO["black"], linestyle="--", linewidth=1)
        ax.text(self.steps, np.log(32), "log 32: no better than chance", ha="right", va="bottom",
                fontsize=self._fonts.note)
        ax.set_xlim(1, self.steps)
        ax.set_ylim(0, 4.5)
        plots.label_axes(ax, "training step (batches of 32 pairs)", "InfoNCE loss", presentation=self.presentation)
        self._title = ax.set_title(" ", fontsize=self._fonts.title)
        plots.animate(self.figure, self.curve, self._title)
        plots.relayout(self.figure)

    def _show_state(self):
        self._train()
        self.curve.set_ydata(np.clip(self.encoder.history, 0, 4.5))
        which = "learned" if self.learn.value else "fixed"
        self._title.set_text(f"{which} temperature, now {self.encoder.temperature:.3f}")
        self.readout.value = self._html_box([
            (f"retrieval on {len(self.test_sentences)} held-out sentences", f"{self.accuracy:.3f}"),
            ("last training loss", f"{self.encoder.history[-1]:.3f}"),
            ("temperature at the end", f"{self.encoder.temperature:.3f}"),
        ])


def contrastive_trainer(temperature=0.1, steps=600, n_train=2000, n_test=200, presentation=False):
    """A dashboard: train lesson 13's dual encoder at a temperature, see its loss and retrieval.

    Parameters
    ----------
    temperature : float in [0.01, 1], default 0.1
        The fixed temperature (a slider on a log grid).
    steps : int in [10, 2000], default 600
        Adam steps per training run (each setting trains once, then is remembered, by
        :func:`softmax_lab.llm_pairs.contrastive_run`: with the defaults, a setting the lesson's
        table trained is shown at once).
    n_train, n_test : int, default 2000 and 200
        Distinct training sentences, and held-out ones for retrieval.
    presentation : bool, default False

    Returns
    -------
    ContrastiveTrainer

    Examples
    --------
    >>> dash = contrastive_trainer(steps=20, n_train=100, n_test=50)
    >>> len(dash.encoder.history), 0 <= dash.accuracy <= 1
    (20, True)
    """
    return ContrastiveTrainer(temperature, steps, n_train, n_test, presentation)
