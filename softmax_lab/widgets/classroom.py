"""The classroom dashboard: presets for a teacher, chosen from a menu or from the page's address,
and predict-then-reveal (the class guesses first, the answer stays hidden until Reveal).

The presets, and the parsing of the address and of the guess, live in :mod:`softmax_lab.classroom`
(plain data and functions, no widgets). :class:`Classroom` is the dashboard, built once: the
logits on the left, the probabilities on the right (hidden until Reveal), the guess next to the
answer after the reveal. The lesson 07 and 08 presets show the existing reliability and
attention dashboards instead.
"""

import html

import ipywidgets as widgets
import numpy as np

from .. import plots
from ..classroom import (
    DEFAULT_PRESET,
    MAX_SHOWN,
    PRESET_KEYS,
    PRESETS,
    SAMPLE_DRAWS,
    SAMPLE_SEED,
    get_preset,
    parse_guess,
    parse_preset,
    preset_answer,
    preset_logits,
    verdict,
)
from ..functions import softmax
from ._base import Dashboard, GridLogSlider, mpl_text

# --------------------------------------------------------------------------------------------
# The dashboard
# --------------------------------------------------------------------------------------------

class Classroom(Dashboard):
    """Presets, a guess, Reveal: see :func:`classroom`.

    Attributes for tests: ``menu`` (Dropdown of the presets), ``next_button``, ``guess`` (Text,
    sent on Enter), ``reveal_button``, ``hide_button``, ``temperature`` (log slider), ``preset``
    (the current :class:`Preset`), ``revealed``, ``guess_value`` (the parsed guess or None),
    ``logits``, ``labels``, ``probabilities``, ``answer`` (``(word, probability)`` or for the
    dashboard presets ``(None, number)``, fixed when the question is asked), ``premise``
    (the question's temperature, or the dashboard's setting), ``question``, ``readout``, ``logit_bars`` and
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
        self.premise = None           # what the question assumes: its T, or lesson 07/08's dashboard setting
        self._answer = None           # the answer, computed when the question is asked
        style = self._description_style(["temperature T", "preset"])
        self.menu = widgets.Dropdown(
            options=[(f"{i} \u00b7 {p.title}", p.key) for i, p in enumerate(PRESETS, start=1)],
            value=preset, description="preset", style=style, layout=widgets.Layout(width="auto", max_width="720px"))
        self.next_button = widgets.Button(description="Next preset", icon="forward", tooltip="the next preset")
        self.question = widgets.HTML()
        # wide enough for the whole placeholder beside its description, at any font size
        self.guess = widgets.Text(description="class guess", continuous_update=False,
                                  style=self._description_style(["class guess"]),
                                  layout=widgets.Layout(width="auto", min_width="26em", flex="0 1 auto"))
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

        # Projector sizes: the readout (the guess beside the answer and its verdict) right under the
        # guess, so that at 1280 x 800 it is on screen after Reveal without scrolling; then the
        # figure, narrow enough for a 1024-pixel-wide window; lesson 07/08's dashboard last.
        guess_row = widgets.HBox([self.guess, self.reveal_button, self.hide_button])
        self._assemble(widgets.HBox([self.menu, self.next_button]), self.question, guess_row,
                       self.readout, self._plot_box, self.stage)
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
        """The answer to the question as asked: ``(top word, its probability)`` at the question's
        temperature; for lesson 07/08 presets ``(None, the number)`` at the dashboard's setting
        when the question was asked. Moving the slider, or a control of lesson 07/08's dashboard,
        does not change it (the readout shows the new value beside it)."""
        return self._answer

    def _current(self):
        """The same number as :attr:`answer`, at the controls' present setting."""
        source = self.preset.source
        if source == "calibration":
            return None, float(self.extras["calibration"].accuracy)
        if source == "attention":
            return None, float(self.extras["attention"].weights.max(axis=1).mean())
        return preset_answer(self.logits, self.labels, float(self.temperature.value))

    def _setting(self):
        """The setting the answer depends on, as text (compared with the premise)."""
        source = self.preset.source
        if source == "attention":
            dash = self.extras["attention"]
            return (f"d = {dash.d_slider.value}, " + ("scale 1/\u221ad" if dash.standard_scale.value
                                                       else f"scale {dash.scale:.3g}")
                    + (", causal" if dash.causal.value else ""))
        if source == "calibration":
            return "the overtrained model"
        return f"T = {float(self.temperature.value):.3g}"

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
        # The question's premise and its answer are fixed now: the slider is locked until Reveal,
        # and what moves afterwards is shown beside the answer, never in its place.
        self.premise, self._answer = self._setting(), self._current()
        self.temperature.disabled = True
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
        self.temperature.disabled = False
        extra = self.extras.get(self.preset.source)
        if extra is not None:
            self.stage.children = (extra,)
        if self.preset.kind == "word" and self.logits is not None:
            self._set_categories()          # the words in the model's order, now that it may be seen
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
                for control in (dash.d_slider, dash.scale_slider, dash.standard_scale, dash.causal):
                    control.observe(self._guarded(self._on_extra), names="value")
            dash.d_slider.value, dash.causal.value = 1024, False
            dash.standard_scale.value = False
            dash.scale_slider.value = 1.0
            return dash
        return None

    def _hides_ranking(self):
        """True while a "which word wins" question waits for Reveal: no order, no logits shown."""
        return self.preset.kind == "word" and not self.revealed

    def _shown(self):
        """Indices of the words drawn as bars: the most probable first (at most MAX_SHOWN - 1
        when the rest are gathered in an "other words" bar); in alphabetical order while the
        question asks which word ranks first."""
        k = len(self.logits)
        n = k if k <= MAX_SHOWN else MAX_SHOWN - 1
        top = np.argsort(-self.logits, kind="stable")[:n]
        if self._hides_ranking():
            top = np.array(sorted(top, key=lambda i: self.labels[i]), dtype=int)
        return top

    # -- figure ------------------------------------------------------------------------------

    def _build_figure(self):
        f = self.presentation
        # 6.8 x 2.9 inches: 952 x 406 pixels in the presentation layout, inside a 1024-pixel window
        self.figure, (ax_z, ax_p) = self._new_figure(1, 2, size=(6.8, 2.9))
        self._axes = ax_z, ax_p
        slots = [""] * MAX_SHOWN
        plots.label_axes(ax_z, "word", "logit z", title="logits z (what the model outputs)", presentation=f)
        self.logit_bars = plots.probability_bars(ax_z, slots, color=plots.PALETTE[2], ylim=(-12.0, 11.0),
                                                 value_format="{:.2f}", presentation=f)
        ax_z.axhline(0.0, color="black", linewidth=0.8)
        plots.label_axes(ax_p, "word", "probability", title="softmax(z / T)", presentation=f)
        self.probability_bars = plots.probability_bars(ax_p, slots, value_format="{:.2f}", presentation=f)
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
        hidden = self._hides_ranking()                # the logits would show which word ranks first
        for j, (bar, text) in enumerate(zip(self.logit_bars.bars, self.logit_bars.texts)):
            bar.set_visible(j < len(shown) and not hidden)    # "other words" has no single logit: no bar
            text.set_visible(j < len(shown) and not hidden)
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
        self._axes[0].title.set_text("logits z: hidden until Reveal" if self._hides_ranking()
                                     else f"logits z, T = {t:.3g}")
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
            what = {"calibration": "the accuracy", "attention": "the mean of each word's largest weight"}
            if preset.kind == "word":
                shown = f"{html.escape(word)} (probability {value:.3f})"
                mark = verdict(guess, word, "word")
            else:
                shown = f"{value:.3f} ({html.escape(word) if word is not None else what[preset.source]})"
                mark = verdict(guess, value, "probability")
            rows.append(("answer", shown + (f" &nbsp;\u2192 {mark}" if mark else "")
                         + f" &nbsp;(as asked: {html.escape(self.premise)})"))
            setting = self._setting()
            if setting != self.premise:           # a control moved after the question: show, never replace
                now_word, now = self._current()
                now_text = f"{html.escape(now_word)} {now:.3f}" if preset.kind == "word" else f"{now:.3f}"
                rows.append((f"now, at {html.escape(setting)}", now_text))
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

    def _on_extra(self, change):
        if not self._holding and self.revealed and self.preset.source in ("calibration", "attention"):
            self._update()                # lesson 08's controls moved: the readout shows the new value

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
