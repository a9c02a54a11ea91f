"""Lesson 10: beam search over the tiny language model, against greedy decoding and sampling."""

import html

import ipywidgets as widgets
import numpy as np

from .. import decoding, lm, plots
from ._base import Dashboard, mpl_text

MAX_TEXT_LENGTH = 300


# --------------------------------------------------------------------------------------------
# Beam search over the tiny language model (lesson 10)
# --------------------------------------------------------------------------------------------

MAX_BEAM = 10
N_SAMPLES = 5


class BeamSearchExplorer(Dashboard):
    """Beam search over the tiny LM, against greedy decoding and sampling.

    Use :func:`beam_search_explorer`. Attributes: ``model``, ``beam_width`` (IntSlider),
    ``max_length`` (IntSlider), ``prompt`` (Text), ``stop_at_period`` (Checkbox), ``beams``
    (the current :class:`~softmax_lab.decoding.Hypothesis` list, best first), ``greedy``,
    ``samples`` (5 seeded samples at T = 1), ``comparison`` (dict decoder -> (log-probability
    per word, repetition)), ``beam_bars``, ``logp_bars``, ``repetition_bars``.
    """

    def __init__(self, model=None, prompt="the dog", beam_width=3, max_length=16, presentation=False):
        self.model = lm.load("best") if model is None else model
        if not isinstance(self.model, lm.TinyLM):
            raise TypeError(f"model must be a softmax_lab.lm.TinyLM, got {type(model).__name__}")
        if not isinstance(prompt, str) or len(prompt) > MAX_TEXT_LENGTH:
            raise ValueError(f"prompt must be a string of at most {MAX_TEXT_LENGTH} characters, got {prompt!r:.60}")
        super().__init__(presentation)
        style = self._description_style(["beam width", "max length", "prompt"])
        self.beam_width = widgets.IntSlider(value=beam_width, min=1, max=MAX_BEAM, description="beam width",
                                            layout=self._slider_layout(), style=style)
        self.max_length = widgets.IntSlider(value=max_length, min=2, max=30, description="max length",
                                            layout=self._slider_layout(), style=style)
        self.prompt = widgets.Text(value=prompt, description="prompt", style=style,
                                   layout=widgets.Layout(width="95%", max_width="620px"))
        self.stop_at_period = widgets.Checkbox(value=False, description="stop at the end of a sentence ('.')",
                                              indent=False, layout=widgets.Layout(width="auto"))
        self.readout = widgets.HTML()
        self._scorer = decoding.LMScorer(self.model, prompt)
        self._decoded = {}          # the decodings of the current prompt and length, per beam width
        self._tick_digits = 0       # of the beam axis' longest tick label, when the figure was laid out
        self._build_figure()
        for control in (self.beam_width, self.max_length, self.stop_at_period):
            control.observe(self._guarded(self._update), names="value")
        self.prompt.observe(self._guarded(self._on_prompt), names="value")
        self._assemble(self.beam_width, self.max_length, widgets.HBox([self.prompt]), self.stop_at_period,
                       self._make_view(self.figure), self.readout)
        self._update()

    def _on_prompt(self, change):
        text = self.prompt.value
        if len(text) > MAX_TEXT_LENGTH:
            self._say(f"the prompt is longer than {MAX_TEXT_LENGTH} characters; it was not used")
            return
        self._say("")
        self._scorer = decoding.LMScorer(self.model, text)
        self._update()

    def _decode(self):
        end = self._scorer.end if self.stop_at_period.value else None
        L, B = self.max_length.value, self.beam_width.value
        key = (self._scorer, L, end)        # greedy and the samples do not depend on the beam width
        if key not in self._decoded:
            self._decoded.clear()
            self._decoded[key] = {"greedy": decoding.greedy_decode(self._scorer, L, end=end),
                                  "samples": [decoding.sample_decode(self._scorer, L, end=end, rng=seed)
                                              for seed in range(N_SAMPLES)]}
        decoded = self._decoded[key]
        if B not in decoded:
            decoded[B] = decoding.beam_search(self._scorer, B, L, end=end)
        self.beams, self.greedy, self.samples = decoded[B], decoded["greedy"], decoded["samples"]

    @property
    def comparison(self):
        def per_word(h):
            return h.log_prob / len(h.tokens)
        return {"greedy": (per_word(self.greedy), decoding.repetition(self.greedy.tokens)),
                f"beam {self.beam_width.value}": (per_word(self.beams[0]), decoding.repetition(self.beams[0].tokens)),
                "sampling": (float(np.mean([per_word(s) for s in self.samples])),
                             float(np.mean([decoding.repetition(s.tokens) for s in self.samples])))}

    def _picture_key(self):
        return (tuple(self._scorer.prompt), self.max_length.value, self.stop_at_period.value, self.beam_width.value)

    def _build_figure(self):
        f = self.presentation
        self.figure, ax = self._new_figure(size=(8.0, 4.0), mosaic=[["beams", "beams"], ["logp", "rep"]],
                                           height_ratios=[1.3, 1])
        ax_b = ax["beams"]
        self.beam_bars = ax_b.barh(np.arange(MAX_BEAM), np.zeros(MAX_BEAM), color=plots.PALETTE[0], alpha=0.3,
                                   edgecolor="black")     # light bars: the text on them stays readable
        self.beam_texts = [ax_b.text(0, i, "", va="center", ha="left", fontsize=self._fonts.note)
                           for i in range(MAX_BEAM)]
        ax_b.set_ylim(MAX_BEAM - 0.5, -0.5)
        ax_b.set_yticks(np.arange(MAX_BEAM), [f"#{i + 1}" for i in range(MAX_BEAM)])
        ax_b.set_xlim(0, 1)
        plots.label_axes(ax_b, "-log p(sequence)  (shorter bar = more probable)", "beam",
                         title="continuations, best first", presentation=f)   # room for the title
        self._beam_ax = ax_b
        self._beam_title = ax_b.title
        names = ["greedy", "beam", "sampling"]
        self.logp_bars = plots.probability_bars(ax["logp"], names, ylim=None, value_format="{:.2f}",
                                                color=plots.PALETTE[2], presentation=f)
        plots.label_axes(ax["logp"], "decoder", "log p per word", title="higher = more probable", presentation=f)
        ax["logp"].set_ylim(-4.5, 0)
        self.repetition_bars = plots.probability_bars(ax["rep"], names, ylim=(0, 1), value_format="{:.2f}",
                                                      color=plots.PALETTE[4], presentation=f)
        plots.label_axes(ax["rep"], "decoder", "repeated bigrams", title="repetition (1 - distinct-2)", presentation=f)
        plots.animate(self.figure, self.beam_bars, self.beam_texts, self._beam_title, self.logp_bars.bars,
                      self.logp_bars.texts,
                      self.repetition_bars.bars, self.repetition_bars.texts)
        plots.relayout(self.figure)

    def _beam_label(self, i):
        words = " ".join(self._scorer.words(self.beams[i].tokens))
        return mpl_text(f"{words if len(words) <= 70 else words[:67] + '...'}   ({self.beams[i].log_prob:.2f})")

    def _show_state(self):
        self._decode()
        costs = [-h.log_prob for h in self.beams]
        prompt = " ".join(self._scorer.prompt)
        prompt = prompt if len(prompt) <= 40 else "..." + prompt[-37:]
        self._beam_title.set_text(mpl_text(f"continuations of '{prompt}': the {len(self.beams)} beam(s), best first"))
        right = max(10.0, 10.0 * np.ceil(max(costs) / 10.0))
        if right != self._beam_ax.get_xlim()[1]:
            self._beam_ax.set_xlim(0, right)
            digits = len(f"{right:.0f}")
            if digits > self._tick_digits:          # wider tick labels than the layout has room for
                self._tick_digits = digits
                plots.relayout(self.figure)
            plots.set_static_key(self.figure, right)    # one full draw per x-range, then kept
        for i, (bar, text) in enumerate(zip(self.beam_bars, self.beam_texts)):
            width, label = (costs[i], self._beam_label(i)) if i < len(self.beams) else (0, "")
            if bar.get_width() != width:        # touch only what changed: it is all drawn again
                bar.set_width(width)
            if text.get_position() != (0.01 * right, i):
                text.set_position((0.01 * right, i))
            text.set_text(label)
        values = list(self.comparison.values())
        plots.set_heights(self.logp_bars, [v[0] for v in values])
        plots.set_heights(self.repetition_bars, [v[1] for v in values])

        def line(name, h):
            words = html.escape(" ".join(self._scorer.words(h.tokens)))
            return (name, f"{words} <span style='font-weight:normal'>(log p = {h.log_prob:.2f}, "
                          f"repetition {decoding.repetition(h.tokens):.2f})</span>")
        self.readout.value = self._html_box([line(f"beam search, width {self.beam_width.value}", self.beams[0]),
                                             line("greedy", self.greedy), line("a sample (seed 0)", self.samples[0])])


def beam_search_explorer(model=None, prompt="the dog", beam_width=3, max_length=16, presentation=False):
    r"""A dashboard for beam search over the tiny language model, against greedy decoding and sampling.

    A sequence's probability is the product of the softmax probabilities of its words,
    :math:`\log p(y) = \sum_t \log \mathrm{softmax}(z_t)_{y_t}`. The beam-width slider sets how
    many partial sequences :func:`softmax_lab.decoding.beam_search` keeps; the bars show the
    beams it returns (their :math:`-\log p`). Below, greedy decoding (width 1), the best beam and
    5 seeded samples (temperature 1) are compared on log-probability per word and on repetition
    (the share of bigrams seen before). Tick "stop at the end of a sentence" to end at ".".

    Examples
    --------
    >>> dash = beam_search_explorer(beam_width=1)
    >>> dash.beams[0].tokens == dash.greedy.tokens
    True
    >>> dash.beam_width.value = 4
    >>> dash.beams[0].log_prob > dash.greedy.log_prob
    True
    """
    return BeamSearchExplorer(model, prompt, beam_width, max_length, presentation=presentation)
