"""The classroom dashboard: presets for a teacher, chosen from a menu or from the page's address,
and predict-then-reveal (the class guesses first, the answer stays hidden until Reveal).

Three parts:

* :data:`PRESETS`, a plain table (no widgets): each preset's question, its logits (typed here,
  or the tiny language model's real logits) and temperature; :func:`preset_logits` computes
  what a preset shows, :func:`preset_answer` the answer;
* :func:`parse_preset` and :func:`parse_guess`: reading the address (Voila passes its query
  string to the kernel as the environment variable ``QUERY_STRING``) and the class's guess,
  refusing anything odd with a message, never an exception;
* :class:`Classroom`, the dashboard, built once: the logits on the left, the probabilities on
  the right (hidden until Reveal), the guess next to the answer after the reveal. The lesson 07
  and 08 presets show the existing reliability and attention dashboards instead.
"""

import functools
import html
import math
import re
import urllib.parse
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from .. import plots
from ..functions import softmax
from ._base import Dashboard, GridLogSlider, mpl_text

#: The name of the query-string parameter: ``.../voila/render/classroom.ipynb?preset=tie``.
QUERY_KEY = "preset"
#: Longer query strings are not parsed at all (an address is a few dozen characters).
MAX_QUERY_LENGTH = 2000
#: The most bars the figure shows: the words with the highest probability, then "other words".
MAX_SHOWN = 7
CAT_CONTEXT = "the cat sat on the"
SAMPLE_DRAWS, SAMPLE_SEED = 20, 0
KINDS = ("probability", "word")


@dataclass(frozen=True)
class Preset:
    """One question for the class.

    ``source`` says where the logits come from: ``"logits"`` (``logits`` and ``labels`` below),
    ``"model"`` (the tiny model's logits after :data:`CAT_CONTEXT`, multiplied by ``scale``
    after subtracting their maximum when ``scale != 1``), ``"calibration"`` (lesson 07's
    reliability dashboard) or ``"attention"`` (lesson 08's attention explorer). ``kind`` is what
    the class guesses: ``"probability"`` (of the top word) or ``"word"`` (the winner).
    ``question`` may hold ``{mean_confidence}`` (filled in by the dashboard).
    """

    key: str
    title: str
    question: str
    kind: str = "probability"
    source: str = "logits"
    logits: tuple = ()
    labels: tuple = ()
    temperature: float = 1.0
    scale: float = 1.0
    note: str = ""


PRESETS = (
    Preset("sharp", "Sharp: one logit far ahead",
           "The logits are 5, 1, 0.5 and 0. What probability does softmax give the top word, mat?",
           logits=(5.0, 1.0, 0.5, 0.0), labels=("mat", "floor", "roof", "bed"),
           note="A gap of 4 in logits is odds of e^4 = 55 to 1: softmax is sharp."),
    Preset("flat", "Flat: logits close together",
           "The logits are 1.0, 0.9, 0.8 and 0.7. What probability does the top word, mat, get?",
           logits=(1.0, 0.9, 0.8, 0.7), labels=("mat", "floor", "roof", "bed"),
           note="Small gaps give a flat distribution: close to 1/4 each."),
    Preset("tie", "A tie at the top",
           "mat and floor both have logit 3, roof has 1. What probability does mat get?",
           logits=(3.0, 3.0, 1.0), labels=("mat", "floor", "roof"),
           note="Equal logits, equal probabilities: the tie shares the mass."),
    Preset("cat", "The cat sat on the ___ (the tiny model)",
           "The course's tiny language model reads \u201cthe cat sat on the\u201d. Which word does it rank first?",
           kind="word", source="model",
           note="The model spreads its bet: its top word gets well under half of the probability."),
    Preset("overconfident", "An overconfident model",
           "The same words, but a model whose logits are 4 times larger (it learned to shout). "
           "What probability does its top word get?",
           source="model", scale=4.0,
           note="The same ranking, a far surer distribution: larger logits, more confidence, no more knowledge."),
    Preset("cold", "Temperature T \u2192 0 (T = 0.1)",
           "The tiny model after \u201cthe cat sat on the\u201d, at temperature T = 0.1. "
           "What probability does its top word get?",
           source="model", temperature=0.1,
           note="As T \u2192 0 the softmax becomes the argmax: all the mass on the top word."),
    Preset("hot", "Temperature T large (T = 10)",
           "The tiny model after \u201cthe cat sat on the\u201d, at temperature T = 10. "
           "What probability does its top word get?",
           source="model", temperature=10.0,
           note="As T grows the softmax becomes uniform over the WHOLE vocabulary, not just the words shown."),
    Preset("greedy", "Greedy against sampling",
           "Greedy decoding always writes the top word. Sampling at T = 1 draws 20 words. "
           "What fraction of the draws will be the top word?",
           source="model",
           note="Greedy never varies; sampling writes the top word only about as often as its probability."),
    Preset("calibration", "Reliability of the overtrained model (lesson 07)",
           "The overtrained model's average confidence on new sentences is {mean_confidence}. "
           "How often is its top word right?",
           source="calibration",
           note="Confidence above accuracy: overconfident. Press \u201cuse the fitted T\u201d: temperature scaling "
                "shrinks the gap."),
    Preset("attention", "Attention at d = 1024, unscaled (lesson 08)",
           "Queries and keys of length d = 1024, scores NOT divided by \u221ad. On average, how much "
           "attention weight does a word give to the key it attends to most?",
           source="attention",
           note="Unscaled scores grow like \u221ad: the softmax saturates. "
                "Tick the standard scale 1/\u221ad to compare."),
)
PRESET_KEYS = tuple(p.key for p in PRESETS)
DEFAULT_PRESET = PRESETS[0].key
_BY_KEY = {p.key: p for p in PRESETS}


def get_preset(key):
    """The :class:`Preset` named ``key`` (a ValueError names the known ones otherwise)."""
    if not isinstance(key, str):
        raise TypeError(f"key must be a preset name (str), got {type(key).__name__}")
    if key not in _BY_KEY:
        raise ValueError(f"key must be one of {', '.join(PRESET_KEYS)}; got {key!r:.60}")
    return _BY_KEY[key]


# --------------------------------------------------------------------------------------------
# Pure functions: the address, the guess, a preset's numbers (no widgets)
# --------------------------------------------------------------------------------------------

def _clean(text, limit=40):
    """A short, printable rendering of untrusted text for a message."""
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[:limit] + "\u2026"


def _normalise(value):
    return value.strip().lower().replace("_", "-").replace(" ", "-")


def parse_preset(query_string):
    """The preset a page's address asks for, and a message for the teacher (``""`` if none).

    Parameters
    ----------
    query_string : str or None
        The part of the address after ``?``, as Voila passes it to the kernel in the environment
        variable ``QUERY_STRING`` (still percent-encoded). None (plain JupyterLab, nbval) or
        ``""`` gives the default preset.

    Returns
    -------
    key : str
        One of :data:`PRESET_KEYS`; :data:`DEFAULT_PRESET` whenever the address does not name a
        known preset.
    message : str
        Why the address was not followed, or ``""``. Never an exception for any string: an
        unknown name, junk, a repeated key or an over-long address all give the default preset
        and a message. ``preset=3`` means the third preset of the menu. Other parameters
        (Voila's own ``theme``, ``template``) are ignored.

    Examples
    --------
    >>> parse_preset("preset=tie")
    ('tie', '')
    >>> parse_preset(None)
    ('sharp', '')
    >>> parse_preset("preset=%3Cscript%3E")
    ('sharp', "unknown preset '<script>': choose one from the menu")
    """
    if query_string is None:
        return DEFAULT_PRESET, ""
    if not isinstance(query_string, str):
        raise TypeError(f"query_string must be a str or None, got {type(query_string).__name__}")
    if len(query_string) > MAX_QUERY_LENGTH:
        return DEFAULT_PRESET, (f"the address is too long ({len(query_string)} characters after '?'): "
                                "choose a preset from the menu")
    try:
        pairs = urllib.parse.parse_qsl(query_string, keep_blank_values=True, errors="replace",
                                       max_num_fields=100)
    except ValueError:
        return DEFAULT_PRESET, "the address has too many parameters: choose a preset from the menu"
    values = [v for k, v in pairs if _normalise(k) == QUERY_KEY]
    if not values:
        return DEFAULT_PRESET, ""
    wanted = {}                                  # normalised name -> as typed (first spelling)
    for value in values:
        name = _normalise(value)
        if re.fullmatch(r"[0-9]{1,3}", name) and 1 <= int(name) <= len(PRESETS):   # ASCII digits only
            name = PRESET_KEYS[int(name) - 1]
        wanted.setdefault(name, value)
    first = next(iter(wanted))
    if first not in _BY_KEY:
        return DEFAULT_PRESET, f"unknown preset {_clean(wanted[first])!r}: choose one from the menu"
    if len(wanted) > 1:
        return first, f"the address names {len(wanted)} presets; showing the first, {first!r}"
    return first, ""


def parse_guess(text, kind, words=()):
    """Read the class's guess: ``(value, "")``, or ``(None, message)`` when it cannot be used.

    Parameters
    ----------
    text : str
        What was typed. A probability may be written ``0.6``, ``.6`` or ``60%``.
    kind : {"probability", "word"}
    words : sequence of str
        The words the model knows (for ``"word"``).

    Examples
    --------
    >>> parse_guess("60%", "probability")
    (0.6, '')
    >>> parse_guess("1.5", "probability")
    (None, 'a probability is between 0 and 1 (or 0% and 100%); got 1.5')
    >>> parse_guess(" Mat ", "word", ["mat", "floor"])
    ('mat', '')
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    text = text.strip()
    if not text:
        return None, ""
    if len(text) > 40:
        return None, "the guess is too long: type a short answer"
    if kind == "word":
        word = text.lower()
        if word not in words:
            return None, f"{_clean(text)!r} is not one of the words the model knows"
        return word, ""
    percent = text.endswith("%")
    try:
        value = float(text[:-1] if percent else text)
    except ValueError:
        return None, f"type a probability such as 0.6 or 60%; got {_clean(text)!r}"
    value = value / 100 if percent else value
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        return None, f"a probability is between 0 and 1 (or 0% and 100%); got {_clean(text)}"
    return value, ""


@functools.lru_cache(maxsize=2)
def _model_logits(checkpoint="best", context=CAT_CONTEXT):
    from .. import lm

    model = lm.load(checkpoint)
    logits = lm.next_token_logits(model, context)
    logits.setflags(write=False)
    return logits, tuple(model.vocab)


def preset_logits(preset):
    """``(logits, labels, temperature)`` of a ``"logits"`` or ``"model"`` preset (a key or a Preset).

    For ``"model"`` presets the logits cover the tiny model's whole vocabulary.

    Examples
    --------
    >>> z, labels, t = preset_logits("tie")
    >>> z.tolist(), labels, t
    ([3.0, 3.0, 1.0], ('mat', 'floor', 'roof'), 1.0)
    """
    preset = get_preset(preset) if isinstance(preset, str) else preset
    if preset.source == "logits":
        return np.array(preset.logits, dtype=float), tuple(preset.labels), preset.temperature
    if preset.source != "model":
        raise ValueError(f"preset {preset.key!r} shows a dashboard, not logits")
    z, vocab = _model_logits()
    z = np.array(z, dtype=float)
    if preset.scale != 1.0:
        z = preset.scale * (z - z.max())
    return z, vocab, preset.temperature


def preset_answer(logits, labels, temperature=1.0):
    """The answer to a logits preset: ``(top word, its probability)`` under ``softmax(z / T)``.

    Examples
    --------
    >>> preset_answer([3.0, 3.0, 1.0], ["mat", "floor", "roof"])
    ('mat', 0.4683105308334812)
    """
    p = softmax(np.asarray(logits, dtype=float), temperature=temperature)
    top = int(np.argmax(p))
    return labels[top], float(p[top])


def verdict(guess, answer, kind):
    """One word for a guess next to the answer: "right", "close" or "not quite" (or "" if no guess).

    A probability is right within 0.05 and close within 0.15; a word is right or not.
    """
    if guess is None:
        return ""
    if kind == "word":
        return "right" if guess == answer else "not quite"
    gap = abs(guess - answer)
    return "right" if gap <= 0.05 else "close" if gap <= 0.15 else "not quite"


# --------------------------------------------------------------------------------------------
# The dashboard
# --------------------------------------------------------------------------------------------

class Classroom(Dashboard):
    """Presets, a guess, Reveal: see :func:`classroom`.

    Attributes for tests: ``menu`` (Dropdown of the presets), ``next_button``, ``guess`` (Text,
    sent on Enter), ``reveal_button``, ``hide_button``, ``temperature`` (log slider), ``preset``
    (the current :class:`Preset`), ``revealed``, ``guess_value`` (the parsed guess or None),
    ``logits``, ``labels``, ``probabilities``, ``answer`` (``(word, probability)`` or for the
    dashboard presets ``(None, number)``), ``question``, ``readout``, ``logit_bars`` and
    ``probability_bars`` (bar groups of :mod:`softmax_lab.plots`), ``hidden_mark`` (the "?"
    shown before the reveal), ``guess_line``, ``stage`` (holds lesson 07/08's dashboard after a
    reveal), ``extras`` (those dashboards, built the first time they are needed), ``draws``.
    """

    def __init__(self, preset=DEFAULT_PRESET, message="", presentation=True):
        get_preset(preset)
        super().__init__(presentation)
        self.extras = {}
        self._holding = False         # True while a preset sets several controls: one update at the end
        self._names = []
        self.revealed = False
        self.guess_value = None
        self.draws = None
        style = self._description_style(["temperature T", "preset"])
        self.menu = widgets.Dropdown(
            options=[(f"{i} \u00b7 {p.title}", p.key) for i, p in enumerate(PRESETS, start=1)],
            value=preset, description="preset", style=style, layout=widgets.Layout(width="auto", max_width="720px"))
        self.next_button = widgets.Button(description="Next preset", icon="forward", tooltip="the next preset")
        self.question = widgets.HTML()
        self.guess = widgets.Text(description="class guess", continuous_update=False,
                                  style=self._description_style(["class guess"]),
                                  layout=widgets.Layout(width="22em"))
        self.reveal_button = widgets.Button(description="Reveal", icon="eye", button_style="primary",
                                            tooltip="show the distribution and the answer")
        self.hide_button = widgets.Button(description="Hide", icon="eye-slash",
                                          tooltip="hide the answer and start this question again")
        self.temperature = GridLogSlider(value=1.0, base=10, min=-2.0, max=2.0, step=0.01,
                                         description="temperature T", readout_format=".3g",
                                         layout=self._slider_layout(), style=style)
        self.readout = widgets.HTML()
        self.stage = widgets.VBox()
        self._build_figure()
        self._plot_box = widgets.VBox([self.temperature, self._make_view(self.figure)])

        self.menu.observe(self._guarded(lambda change: self.apply(change["new"])), names="value")
        self.next_button.on_click(self._guarded(lambda _b: self.next_preset()))
        self.guess.observe(self._guarded(self._on_guess), names="value")
        self.reveal_button.on_click(self._guarded(lambda _b: self.reveal()))
        self.hide_button.on_click(self._guarded(lambda _b: self.hide()))
        self.temperature.observe(self._guarded(self._on_temperature), names="value")

        # The figure right under the guess (it fits a 1280 x 900 screen); the readout, with the
        # guess beside the answer, under the figure; lesson 07/08's dashboard last.
        guess_row = widgets.HBox([self.guess, self.reveal_button, self.hide_button])
        self._assemble(widgets.HBox([self.menu, self.next_button]), self.question, guess_row,
                       self._plot_box, self.readout, self.stage)
        children = [c for c in self.children if c is not self.message]     # notes right under the guess
        children.insert(children.index(guess_row) + 1, self.message)
        self.children = children
        self.apply(preset)
        if message:
            self._say(message)

    # -- state -------------------------------------------------------------------------------

    @property
    def preset(self):
        return get_preset(self.menu.value)

    @property
    def probabilities(self):
        """``softmax(logits / T)`` at the slider's T (None for the dashboard presets)."""
        if self.logits is None:
            return None
        return softmax(self.logits, temperature=float(self.temperature.value))

    @property
    def answer(self):
        """``(top word, its probability)`` now; for lesson 07/08 presets ``(None, the number)``."""
        source = self.preset.source
        if source == "calibration":
            return None, self.extras["calibration"].accuracy
        if source == "attention":
            return None, float(self.extras["attention"].weights.max(axis=1).mean())
        return preset_answer(self.logits, self.labels, float(self.temperature.value))

    # -- actions (what the buttons do) -----------------------------------------------------

    def apply(self, key):
        """Show preset ``key`` with its answer hidden and no guess (the menu follows)."""
        preset = get_preset(key)
        if self.menu.value != key:
            self.menu.value = key            # its observer calls apply() again: nothing left to do
            return
        self._holding = True
        try:
            self._set_preset(preset)
        finally:
            self._holding = False
        self._update()

    def _set_preset(self, preset):
        self.revealed = False
        self.guess_value = None
        self.guess.value = ""
        self.guess.placeholder = "0.6 or 60%" if preset.kind == "probability" else "a word, e.g. rug"
        self._say("")
        self.stage.children = ()
        extra = self._prepare_extra(preset)
        if extra is None:
            self.logits, self.labels, t = preset_logits(preset)
            self.temperature.value = t
            self._set_categories()
            self._plot_box.layout.display = None
            text = preset.question
        else:
            self.logits, self.labels = None, ()
            self._plot_box.layout.display = "none"
            text = preset.question.format(mean_confidence=f"{100 * getattr(extra, 'mean_confidence', 0.0):.1f}%")
        self.question.value = (f"<div style='font-size:{'22px' if self.presentation else '15px'}; margin:0.4em 0'>"
                               f"<b>Predict first:</b> {html.escape(text)}</div>")

    def next_preset(self):
        """Move the menu to the next preset (after the last: the first)."""
        i = PRESET_KEYS.index(self.menu.value)
        self.menu.value = PRESET_KEYS[(i + 1) % len(PRESET_KEYS)]

    def reveal(self):
        """Show the distribution (or lesson 07/08's dashboard), the answer and the guess beside it."""
        if self.guess.value.strip() and self.guess_value is None:
            self._read_guess(self.guess.value)
        self.revealed = True
        extra = self.extras.get(self.preset.source)
        if extra is not None:
            self.stage.children = (extra,)
        self._update()

    def hide(self):
        """Hide the answer again and clear the guess: the same question, from the start."""
        self.apply(self.menu.value)

    # -- preparing a preset ----------------------------------------------------------------

    def _prepare_extra(self, preset):
        """Lesson 07/08's dashboard for those presets, set to the question's state; else None."""
        if preset.source == "calibration":
            dash = self.extras.get("calibration")
            if dash is None:
                from .calibration import ReliabilityDashboard, shipped_predictions

                predictions, temperatures = shipped_predictions(checkpoints=("overtrained",))
                dash = self.extras["calibration"] = ReliabilityDashboard(predictions, temperatures,
                                                                         presentation=self.presentation)
            dash.temperature.value = 1.0
            dash.n_bins.value, dash.strategy.value = 15, "uniform"
            return dash
        if preset.source == "attention":
            dash = self.extras.get("attention")
            if dash is None:
                from .attention import AttentionExplorer

                dash = self.extras["attention"] = AttentionExplorer(d=1024, presentation=self.presentation)
            dash.d_slider.value, dash.causal.value = 1024, False
            dash.standard_scale.value = False
            dash.scale_slider.value = 1.0
            return dash
        return None

    def _shown(self):
        """Indices of the words drawn as bars: the most probable first (at most MAX_SHOWN - 1
        when the rest are gathered in an "other words" bar)."""
        k = len(self.logits)
        n = k if k <= MAX_SHOWN else MAX_SHOWN - 1
        return np.argsort(-self.logits, kind="stable")[:n]

    # -- figure ------------------------------------------------------------------------------

    def _build_figure(self):
        f = self.presentation
        self.figure, (ax_z, ax_p) = self._new_figure(1, 2, size=(8.0, 3.2))
        self._axes = ax_z, ax_p
        slots = [""] * MAX_SHOWN
        plots.label_axes(ax_z, "word", "logit z", title="logits z (what the model outputs)", presentation=f)
        self.logit_bars = plots.probability_bars(ax_z, slots, color=plots.PALETTE[2], ylim=(-12.0, 11.0),
                                                 value_format="{:.2f}", presentation=f)
        ax_z.axhline(0.0, color="black", linewidth=0.8)
        plots.label_axes(ax_p, "word", "probability", title="softmax(z / T)", presentation=f)
        self.probability_bars = plots.probability_bars(ax_p, slots, presentation=f)
        self.hidden_mark = ax_p.text(0.5, 0.5, "?", transform=ax_p.transAxes, ha="center", va="center",
                                     fontsize=4 * self._fonts.title, color=plots.OKABE_ITO["black"])
        self.guess_line = ax_p.axhline(0.5, color=plots.OKABE_ITO["vermillion"], linestyle="--", linewidth=2)
        self._guess_text = ax_p.text(1.0, 0.5, "", transform=ax_p.get_yaxis_transform(), ha="right",
                                     va="bottom", fontsize=self._fonts.note, color=plots.OKABE_ITO["vermillion"])
        self._p_title = ax_p.title
        plots.animate(self.figure, self.logit_bars.bars, self.logit_bars.texts, self.probability_bars.bars,
                      self.probability_bars.texts, self.hidden_mark, self.guess_line, self._guess_text,
                      self._p_title, ax_z.title)

    def _set_categories(self):
        """Point the fixed bar slots at the current preset's words (tick labels: one full draw)."""
        shown = self._shown()
        names = [mpl_text(self.labels[i]) for i in shown]
        rest = len(self.logits) - len(shown)
        if rest:
            names.append(f"{rest} other\nwords")
        self._names = names
        for ax in self._axes:
            ax.set_xticks(np.arange(MAX_SHOWN), names + [""] * (MAX_SHOWN - len(names)))
            ax.set_xlim(-0.6, len(names) - 0.4)
            ax.tick_params(axis="x", labelrotation=30 if len(names) > 4 else 0)
        for j, (bar, text) in enumerate(zip(self.logit_bars.bars, self.logit_bars.texts)):
            bar.set_visible(j < len(shown))           # "other words" has no single logit: no bar
            text.set_visible(j < len(shown))
        plots.relayout(self.figure)

    def _show_state(self):
        preset = self.preset
        self.draws = None
        if self.logits is None:
            self._show_readout(preset, None)
            return
        t = float(self.temperature.value)
        shown = self._shown()
        p = self.probabilities
        z_shown = list(self.logits[shown]) + [0.0] * (MAX_SHOWN - len(shown))
        p_shown = list(p[shown])
        if len(self._names) > len(shown):
            p_shown.append(max(0.0, 1.0 - float(np.sum(p[shown]))))
        p_shown += [0.0] * (MAX_SHOWN - len(p_shown))
        plots.set_heights(self.logit_bars, z_shown)
        plots.set_heights(self.probability_bars, p_shown)
        plots.highlight(self.probability_bars, [j < len(shown) and p[shown[j]] == p.max() for j in range(MAX_SHOWN)])
        self._axes[0].title.set_text(f"logits z, T = {t:.3g}")
        visible = self.revealed
        for j, (bar, text) in enumerate(zip(self.probability_bars.bars, self.probability_bars.texts)):
            on = visible and j < len(self._names)
            bar.set_visible(on)
            text.set_visible(on)
        self.hidden_mark.set_visible(not visible)
        self._p_title.set_text(f"softmax(z / T) at T = {t:.3g}" if visible else "softmax(z / T): predict first")
        show_line = visible and preset.kind == "probability" and self.guess_value is not None
        self.guess_line.set_visible(show_line)
        self._guess_text.set_visible(show_line)
        if show_line:
            self.guess_line.set_ydata([self.guess_value] * 2)
            self._guess_text.set_position((1.0, self.guess_value))
            self._guess_text.set_text(f"class guess {self.guess_value:.2f} ")
        if preset.key == "greedy":
            rng = np.random.default_rng(SAMPLE_SEED)          # the same 20 draws every time
            from ..sampling import sample

            self.draws = sample(np.tile(self.logits, (SAMPLE_DRAWS, 1)), temperature=t, rng=rng)
        self._show_readout(preset, p)

    def _show_readout(self, preset, p):
        rows = [("temperature", f"{float(self.temperature.value):.3g}")] if p is not None else []
        guess = self.guess_value
        guess_text = ("\u2014" if guess is None else html.escape(guess) if isinstance(guess, str)
                      else f"{guess:.2f}")
        rows.append(("class guess", guess_text))
        if not self.revealed:
            rows.append(("answer", "hidden: press Reveal"))
        else:
            word, value = self.answer
            if preset.kind == "word":
                shown = f"{html.escape(word)} (probability {value:.3f})"
                mark = verdict(guess, word, "word")
            else:
                what = {"calibration": "the accuracy", "attention": "the mean of each word's largest weight"}
                shown = f"{value:.3f} ({html.escape(word) if word is not None else what[preset.source]})"
                mark = verdict(guess, value, "probability")
            rows.append(("answer", shown + (f" &nbsp;\u2192 {mark}" if mark else "")))
            if self.draws is not None:
                top = int(np.argmax(p))
                words = " ".join(html.escape(self.labels[i]) for i in self.draws)
                rows.append(("greedy (T \u2192 0) writes", f"{html.escape(self.labels[top])}, every time"))
                rows.append((f"{SAMPLE_DRAWS} samples (seed {SAMPLE_SEED})",
                             f"{words} &nbsp;({int(np.sum(self.draws == top))} of {SAMPLE_DRAWS} are "
                             f"{html.escape(self.labels[top])})"))
            if preset.key == "hot" and p is not None:
                rows.append(("uniform limit", f"1/{len(p)} = {1 / len(p):.4f} for every word"))
            rows.append(("why", html.escape(preset.note)))
        self.readout.value = self._html_box(rows)

    # -- callbacks ---------------------------------------------------------------------------

    def _read_guess(self, text):
        words = self.labels if self.preset.kind == "word" else ()
        value, message = parse_guess(text, self.preset.kind, words)
        self._say(f"guess not taken: {message}" if message else "")
        self.guess_value = value
        return value

    def _on_temperature(self, change):
        if not self._holding:
            self._update()

    def _on_guess(self, change):
        if self._holding:
            return
        self._read_guess(change["new"])
        self._update()


def classroom(query_string=None, preset=None, presentation=True):
    r"""The classroom dashboard: a menu of presets, the class's guess, then Reveal.

    Each preset asks one question (the probability of the top word, or which word wins) about
    a distribution that stays hidden: the logits are on the left, the probabilities on the
    right appear only when the teacher presses Reveal; the readout then shows the class's guess
    next to the answer. Hide (or the next preset) starts a question afresh. The lesson 07 and 08
    presets show the reliability diagram and the attention explorer after the reveal.

    Parameters
    ----------
    query_string : str, optional
        The page address' query string (Voila: ``os.environ.get("QUERY_STRING")``), read by
        :func:`parse_preset`: ``preset=tie``. An unknown preset shows the default one and a
        message.
    preset : str, optional
        A key of :data:`PRESET_KEYS`; wins over ``query_string``.
    presentation : bool, default True
        The large classroom layout.

    Returns
    -------
    Classroom

    Examples
    --------
    >>> dash = classroom("preset=tie", presentation=False)
    >>> dash.preset.key, dash.revealed
    ('tie', False)
    >>> dash.guess.value = "0.5"
    >>> dash.reveal()
    >>> dash.guess_value, round(dash.answer[1], 3)
    (0.5, 0.468)
    """
    key, message = parse_preset(query_string)
    if preset is not None:
        key, message = get_preset(preset).key, ""
    return Classroom(key, message, presentation=presentation)
