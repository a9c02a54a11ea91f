"""Lesson 11: the article audited. A claim stepper for a teacher, and the alternatives to softmax
side by side on the same logits."""

import html

import ipywidgets as widgets
import numpy as np

from .. import audit, plots
from ..alternatives import entmax, gumbel_softmax, sigmoid_attention_weights, sparsemax
from ..functions import softmax
from ._base import Dashboard, GridLogSlider, GridSlider, mpl_text

#: Verdict -> (badge colour, text colour, symbol): the Okabe-Ito hue for the badge, a darker shade of
#: it for text on white, and a sign, so that the verdict never rests on colour alone.
VERDICT_STYLE = {
    "holds": (plots.OKABE_ITO["bluish green"], "#00664F", "\u2714"),
    "oversimplified": (plots.OKABE_ITO["orange"], "#8A5C00", "\u2248"),
    "wrong": (plots.OKABE_ITO["vermillion"], "#A33F00", "\u2718"),
}
MAX_BARS = 6        # labels on a bar figure of audit.claim_figure
MAX_SERIES = 3      # bar series of a figure
MAX_LINES = 2       # line series of a figure


def _lesson_text(notebook, heading):
    """'lesson 03, section 2. Two classes: the softmax is a sigmoid' (markup removed)."""
    plain = audit.heading_anchor(heading).replace("-", " ")
    return f"lesson {notebook[:2]}, section {plain}"


# --------------------------------------------------------------------------------------------
# 1. The claim stepper
# --------------------------------------------------------------------------------------------

class ClaimStepper(Dashboard):
    """Step through the audited claims: claim first; verdict, reason and a small live figure on Reveal.

    Use :func:`claim_stepper`. Attributes: ``claims`` (the :class:`softmax_lab.audit.Claim` list),
    ``number`` (IntSlider, 1-based), ``previous`` and ``next`` (Buttons), ``reveal_button``,
    ``revealed`` (False after every change of claim), ``claim`` (the claim shown), ``spec`` (its
    :class:`softmax_lab.audit.Figure`, or None), ``card`` (HTML: claim, then verdict, reason,
    evidence), ``bars`` (``MAX_SERIES`` lists of ``MAX_BARS`` rectangles), ``lines``,
    ``placeholder`` (the text shown when a claim has no figure, or before the reveal), ``badge``
    and ``note`` (texts in the figure).
    """

    def __init__(self, claims=None, start=1, presentation=False):
        claims = audit.CLAIMS if claims is None else tuple(claims)
        if not claims or not all(isinstance(c, audit.Claim) for c in claims):
            raise TypeError("claims must be a non-empty sequence of softmax_lab.audit.Claim")
        if isinstance(start, bool) or not isinstance(start, (int, np.integer)) or not 1 <= start <= len(claims):
            raise ValueError(f"start must be an integer from 1 to {len(claims)}, got {start!r}")
        super().__init__(presentation)
        self.claims = claims
        self.number = widgets.IntSlider(value=int(start), min=1, max=len(claims), step=1, description="claim",
                                        layout=self._slider_layout(), style=self._description_style(["claim"]))
        self.previous = widgets.Button(description="Previous", icon="arrow-left")
        self.next = widgets.Button(description="Next", icon="arrow-right")
        self.reveal_button = widgets.Button(description="Reveal", icon="eye", button_style="primary",
                                            tooltip="show the verdict, its reason and the evidence")
        self.revealed = False        # each claim is asked first: verdict, note and figure wait for Reveal
        self.card = widgets.HTML()
        self._pictures = {}
        self._build_figure()
        self.number.observe(self._guarded(self._on_number), names="value")
        self.previous.on_click(self._guarded(lambda button: self.step(-1)))
        self.next.on_click(self._guarded(lambda button: self.step(+1)))
        self.reveal_button.on_click(self._guarded(lambda button: self.reveal()))
        self._assemble(self.number, widgets.HBox([self.previous, self.next, self.reveal_button]), self.card,
                       self._make_view(self.figure))
        self._update()

    @property
    def claim(self):
        return self.claims[self.number.value - 1]

    @property
    def spec(self):
        return audit.claim_figure(self.claim.id) if self.claim in audit.CLAIMS else None

    def step(self, delta):
        """Go ``delta`` claims forward (backward if negative), stopping at the ends."""
        self.number.value = min(max(self.number.value + delta, 1), len(self.claims))

    def redraw(self):
        """Each claim's picture is drawn once (its labels and scales change: a full draw), then
        shown again from a cache when a teacher steps back to it."""
        if self.figure_mode != "png":
            return super().redraw()
        key = (self.number.value, self.revealed)     # hidden and revealed pictures differ
        if key not in self._pictures:
            self._pictures[key] = plots.render_png(self.figure)
        self._show_png(self._pictures[key])

    def reveal(self):
        """Show the verdict, its reason, the figure and its note for the current claim."""
        self.revealed = True
        self._update()

    def _on_number(self, change):
        self.revealed = False        # a new claim: ask for a verdict first
        self._update()

    # -- figure ----------------------------------------------------------------------------

    def _build_figure(self):
        f = self.presentation
        self.figure, ax = self._new_figure(size=(7.0, 3.8))
        self._ax = ax
        plots.label_axes(ax, "", "", presentation=f)
        self.bars = []
        for j in range(MAX_SERIES):
            container = ax.bar(np.arange(MAX_BARS), np.zeros(MAX_BARS), color=plots.PALETTE[j], edgecolor="black",
                               linewidth=0.6)
            self.bars.append(list(container))
        self.values = [ax.text(0, 0, "", ha="center", va="bottom", fontsize=self._fonts.value) for _ in range(MAX_BARS)]
        self.lines = [ax.plot([], [], color=plots.PALETTE[j], lw=2.4 - j, ls=("-", "--")[j])[0]
                      for j in range(MAX_LINES)]
        self.placeholder = ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center", wrap=True,
                                   fontsize=self._fonts.label)
        self.badge = self.figure.suptitle("", fontsize=self._fonts.title, fontweight="bold")
        self.note = ax.text(0.5, 1.02, "", transform=ax.transAxes, ha="center", va="bottom",
                            fontsize=self._fonts.note, style="italic")

    def _hide_all(self):
        for row in self.bars:
            for rect in row:
                rect.set_visible(False)
        for text in self.values:
            text.set_text("")
        for line in self.lines:
            line.set_visible(False)
            line.set_label("_hidden")
        self.placeholder.set_text("")

    def _show_bars(self, spec):
        ax, k, s = self._ax, len(spec.labels), len(spec.series)
        width = 0.8 / s
        top = max(max(values) for _, values in spec.series)
        for j, (name, values) in enumerate(spec.series):
            for i, rect in enumerate(self.bars[j]):
                if i < k:
                    rect.set_x(i - 0.4 + j * width)
                    rect.set_width(width)
                    rect.set_height(values[i])
                    rect.set_visible(True)
            self.bars[j][0].set_label(name)
        for i in range(k):
            if s == 1:
                v = spec.series[0][1][i]
                self.values[i].set_position((i, v))
                self.values[i].set_text(f"{v:.2f}")
        ax.set_xticks(np.arange(k), [mpl_text(str(label)) for label in spec.labels])
        ax.set_xlim(-0.6, k - 0.4)
        ax.set_ylim(0.0, 1.15 * top if top > 0 else 1.0)
        return [self.bars[j][0] for j in range(s)]

    def _show_lines(self, spec):
        ax = self._ax
        for line, (name, values) in zip(self.lines, spec.series):
            line.set_data(spec.x, values)
            line.set_visible(True)
            line.set_label(name)
        ys = np.array([v for _, values in spec.series for v in values], dtype=float)
        ys = ys[np.isfinite(ys)]
        low, high = float(ys.min()), float(ys.max())
        if spec.logy:
            ylim = (low / 2, high * 2)
        else:
            span = high - low if high - low > 1e-6 * max(1.0, abs(high)) else max(abs(high), 1.0)
            ylim = (min(0.0, low - 0.08 * span), high + 0.08 * span)
        xlim = (min(spec.x), max(spec.x))
        ax.set_xlim(*xlim)                 # limits first: a log scale refuses the bar figure's limits
        ax.set_ylim(*ylim)
        ax.set_xscale("log" if spec.logx else "linear")
        ax.set_yscale("log" if spec.logy else "linear")
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        return self.lines[:len(spec.series)]

    def _show_state(self):
        claim, spec, ax = self.claim, self.spec, self._ax
        color, text_color, sign = VERDICT_STYLE[claim.verdict]
        self._hide_all()
        ax.set_xscale("linear")
        ax.set_yscale("linear")
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        if not self.revealed:
            self.badge.set_text(mpl_text(f"C{claim.number}. {claim.topic} \u2014 your verdict?"))
            self.badge.set_color("black")
        else:
            self.badge.set_text(mpl_text(f"C{claim.number}. {claim.topic} \u2014 {sign} {claim.verdict}"))
            self.badge.set_color(text_color)
        if not self.revealed or spec is None:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel("")
            ax.set_ylabel("")
            self.note.set_text("")
            ax.set_title("")
            self.placeholder.set_text(
                "holds, oversimplified or wrong?\nPress Reveal for the verdict and the evidence"
                if not self.revealed else "no small figure for this claim:\nits evidence trains or searches,\n"
                                          "see the evidence cell and lesson linked above")
        else:
            handles = self._show_bars(spec) if spec.kind == "bars" else self._show_lines(spec)
            ax.set_xlabel(mpl_text(spec.xlabel), fontsize=self._fonts.label)
            ax.set_ylabel(mpl_text(spec.ylabel), fontsize=self._fonts.label)
            ax.set_title(mpl_text(spec.title), fontsize=self._fonts.title, y=1.09)
            self.note.set_text(mpl_text(spec.note))
            if len(handles) > 1:
                ax.legend(handles=handles, fontsize=self._fonts.note, frameon=False, loc="best")
        plots.relayout(self.figure)        # new labels and ticks: lay out at the next draw, then keep it
        size = "18px" if self.presentation else "14px"
        links = "".join(f"<li>{html.escape(_lesson_text(nb, h))}</li>" for nb, h in claim.lessons)
        if self.revealed:
            verdict = (f"<span style='background:{color}; color:black; padding:0 0.4em; border-radius:3px'>"
                       f"<b>{sign} {claim.verdict}</b></span> {html.escape(claim.reason)}<br>"
                       f"<i>Evidence:</i> the section {html.escape(claim.heading)} below"
                       + (f", and<ul style='margin:0'>{links}</ul>" if links else ""))
        else:
            verdict = "<i>Your verdict:</i> holds, oversimplified or wrong? Then press <b>Reveal</b>."
        self.card.value = (
            f"<div style='font-size:{size}; max-width:820px'>"
            f"<b>C{claim.number} of {len(self.claims)}. {html.escape(claim.topic)}</b><br>"
            f"<i>The article:</i> {html.escape(claim.claim)}<br>{verdict}</div>")
        self.previous.disabled = self.number.value == 1
        self.next.disabled = self.number.value == len(self.claims)
        self.reveal_button.disabled = self.revealed


def claim_stepper(start=1, presentation=False):
    """A dashboard that steps through the article's claims, one by one (for a teacher).

    The slider and the Previous / Next buttons choose a claim; the claim (paraphrased) is shown
    first, so that the class can give its verdict. **Reveal** then shows the verdict (holds,
    oversimplified or wrong) with its reason, where the evidence is, and a small live figure
    computed by :func:`softmax_lab.audit.claim_figure` where the claim has one (its note and bars
    would give away the lesson's predictions, so they wait too).

    Examples
    --------
    >>> dash = claim_stepper()
    >>> dash.claim.id, dash.previous.disabled, dash.revealed
    ('formula', True, False)
    >>> dash.next.click()
    >>> dash.claim.id, dash.badge.get_text()
    ('highlights', 'C2. Does softmax highlight the likely outcomes? \u2014 your verdict?')
    >>> dash.reveal_button.click()
    >>> dash.badge.get_text()
    'C2. Does softmax highlight the likely outcomes? \u2014 \u2248 oversimplified'
    """
    return ClaimStepper(start=start, presentation=presentation)


# --------------------------------------------------------------------------------------------
# 2. The alternatives, on the same logits
# --------------------------------------------------------------------------------------------

METHODS = ("softmax", "sparsemax", "entmax", "gumbel", "sigmoid")


class AlternativesExplorer(Dashboard):
    """Softmax, sparsemax, alpha-entmax, a Gumbel-softmax sample and sigmoid weights, on one set of logits.

    Use :func:`alternatives_explorer`. Attributes: ``words``, ``sliders`` (one per word's logit),
    ``alpha`` (entmax's alpha), ``tau`` (the Gumbel-softmax temperature, log slider), ``seed``
    (IntSlider: the Gumbel noise), ``logits``, ``weights`` (dict method -> array, methods in
    :data:`METHODS`), ``groups`` (dict method -> bar group), ``readout``.
    """

    def __init__(self, logits=audit.EXAMPLE_LOGITS, words=audit.EXAMPLE_WORDS, alpha=1.5, tau=1.0, seed=0,
                 presentation=False):
        if isinstance(words, str) or not isinstance(words, (list, tuple)) or not 2 <= len(words) <= 8 \
                or not all(isinstance(w, str) and w.strip() for w in words):
            raise ValueError(f"words must be a list of 2 to 8 non-empty strings, got {words!r}")
        words = tuple(words)
        try:
            z = np.asarray(logits, dtype=float)
        except (TypeError, ValueError, OverflowError):
            z = None
        if z is None or z.shape != (len(words),) or not np.all(np.abs(z) <= 4.0):
            raise ValueError(f"logits must be {len(words)} numbers from -4 to 4 (one per word), got {logits!r}")
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 1.0 <= alpha <= 2.0:
            raise ValueError(f"alpha must be a number from 1 to 2, got {alpha!r}")
        if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not 0.05 <= tau <= 10:
            raise ValueError(f"tau must be a number from 0.05 to 10, got {tau!r}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= 99:
            raise ValueError(f"seed must be an integer from 0 to 99, got {seed!r}")
        super().__init__(presentation)
        self.words = words
        style = self._description_style([f"logit '{w}'" for w in words] + ["entmax \u03b1", "Gumbel \u03c4"])
        self.sliders = [GridSlider(value=float(v), min=-4.0, max=4.0, step=0.1, description=f"logit '{w}'",
                                   layout=self._slider_layout(), style=style) for w, v in zip(words, z)]
        self.alpha = GridSlider(value=float(alpha), min=1.0, max=2.0, step=0.05, description="entmax \u03b1",
                                layout=self._slider_layout(), style=style)
        self.tau = GridLogSlider(value=float(tau), min=-1.3, max=1.0, step=0.1, base=10, description="Gumbel \u03c4",
                                 readout_format=".3g", layout=self._slider_layout(), style=style)
        self.seed = widgets.IntSlider(value=int(seed), min=0, max=99, description="seed", style=style,
                                      layout=self._slider_layout())
        self.readout = widgets.HTML()
        self._build_figure()
        for control in (*self.sliders, self.alpha, self.tau, self.seed):
            control.observe(self._guarded(self._update), names="value")
        self._assemble(*self.sliders, self.alpha, self.tau, self.seed, self._make_view(self.figure), self.readout)
        self._update()

    @property
    def logits(self):
        return np.array([s.value for s in self.sliders], dtype=float)

    @property
    def weights(self):
        z = self.logits
        return {
            "softmax": softmax(z),
            "sparsemax": sparsemax(z),
            "entmax": entmax(z, alpha=float(self.alpha.value)),
            "gumbel": gumbel_softmax(z, temperature=float(self.tau.value), rng=int(self.seed.value)),
            "sigmoid": sigmoid_attention_weights(z),
        }

    def _names(self):
        return {"softmax": "softmax", "sparsemax": "sparsemax", "entmax": f"entmax \u03b1 = {self.alpha.value:.2f}",
                "gumbel": f"Gumbel-softmax \u03c4 = {self.tau.value:.3g}, seed {self.seed.value}",
                "sigmoid": "sigmoid, bias \u2212log n"}

    def _build_figure(self):
        f = self.presentation
        self.figure, ax = self._new_figure(size=(8.0, 3.8))
        labels = [mpl_text(w) for w in self.words]
        width = 0.8 / len(METHODS)
        self.groups = {}
        for j, method in enumerate(METHODS):
            self.groups[method] = plots.probability_bars(
                ax, labels, color=plots.PALETTE[j], offset=-0.4 + width * (j + 0.5), width=width, ylim=(0.0, 1.05),
                value_format=None, presentation=f, label=method)
        plots.label_axes(ax, "word", "weight", title="the same logits, five ways to weigh the words", presentation=f)
        self._legend = ax.legend(fontsize=self._fonts.note, frameon=False, loc="upper right")
        # The legend is not animated: it is laid out from its texts' widths (alpha, tau, seed), so a
        # new text needs a full draw.
        plots.animate(self.figure, *(g.bars for g in self.groups.values()))
        plots.relayout(self.figure)

    def _show_state(self):
        weights, names = self.weights, self._names()
        for method, text in zip(METHODS, self._legend.get_texts()):
            plots.set_heights(self.groups[method], weights[method])
            if text.get_text() != mpl_text(names[method]):
                text.set_text(mpl_text(names[method]))
                plots.invalidate(self.figure)
        rows = []
        for method in METHODS:
            w = weights[method]
            rows.append((html.escape(names[method]), f"{', '.join(f'{v:.3f}' for v in w)} &nbsp; (sum "
                         f"{w.sum():.3f}, exact zeros: {int(np.sum(w == 0))})"))
        self.readout.value = self._html_box(rows)


def alternatives_explorer(logits=audit.EXAMPLE_LOGITS, words=audit.EXAMPLE_WORDS, alpha=1.5, tau=1.0, seed=0,
                          presentation=False):
    r"""A dashboard: five ways to turn the same logits into weights, side by side.

    * softmax: every word keeps some weight;
    * sparsemax: exact zeros for words more than about 1 below the top;
    * alpha-entmax: softmax at alpha = 1, sparsemax at alpha = 2, in between for 1 < alpha < 2;
    * a Gumbel-softmax sample at temperature tau (seeded): a differentiable, random stand-in
      for drawing one word; a small tau makes it nearly one-hot;
    * sigmoid attention weights with bias :math:`-\log n`: each word judged alone, the sum is
      not 1.

    The readout lists each method's weights, their sum and the number of exact zeros.

    Examples
    --------
    >>> dash = alternatives_explorer()
    >>> {m: int((w == 0).sum()) for m, w in dash.weights.items()}
    {'softmax': 0, 'sparsemax': 3, 'entmax': 2, 'gumbel': 0, 'sigmoid': 0}
    >>> round(float(dash.weights["sigmoid"].sum()), 3)
    1.468
    """
    return AlternativesExplorer(logits, words, alpha, tau, seed, presentation=presentation)
