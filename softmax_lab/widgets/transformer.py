"""Lesson 12: inside a trained transformer.

* :func:`head_explorer`: the real attention heads of the tiny transformer
  (:mod:`softmax_lab.transformer`) on a sentence the learner types: layer and head selectors,
  the weights as a heatmap with the words on both axes, and the entropy of each row in bits.
* :func:`your_model_dashboard`: the capstone. One switch runs the model on the learner's own
  functions from the lessons (or on the package's): a short training run against the recorded
  loss curve, the text the trained model writes, and a table naming any function that broke it
  (:func:`softmax_lab.transformer_training.capstone_run`).
"""

import html
import math

import ipywidgets as widgets
import numpy as np

from .. import plots
from .. import transformer as _t
from .. import transformer_functions as _fns
from .. import transformer_training as _tt
from ..attention import attention_entropy
from ._base import Dashboard, mpl_text

MAX_TEXT_LENGTH = 200


def _check_model(model):
    if model is None:
        return _t.load("tiny")
    if not isinstance(model, _t.TinyTransformer):
        raise TypeError(f"model must be a TinyTransformer (softmax_lab.transformer.load()), got {type(model).__name__}")
    return model


# --------------------------------------------------------------------------------------------
# 1. The heads of a trained model
# --------------------------------------------------------------------------------------------

class HeadExplorer(Dashboard):
    """The attention weights of one head of the tiny transformer, for a typed sentence.

    Use :func:`head_explorer`. Attributes: ``layer`` and ``head`` (IntSliders), ``text``
    (Text), ``model``, ``words`` (the tokens, ``<s>`` first), ``maps`` (every head's weights,
    (n_layers, n_heads, T, T)), ``weights`` (the chosen head's T x T), ``entropies`` (bits per
    row), ``image``, ``entropy_bars``, ``readout``.
    """

    def __init__(self, text="the cat sat on the mat", layer=0, head=0, model=None, presentation=False):
        model = _check_model(model)
        if not isinstance(text, str) or len(text) > MAX_TEXT_LENGTH:
            raise ValueError(f"text must be a string of at most {MAX_TEXT_LENGTH} characters, got {text!r:.80}")
        for name, value, n in (("layer", layer, model.n_layers), ("head", head, model.n_heads)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < n:
                raise ValueError(f"{name} must be an integer from 0 to {n - 1}, got {value!r}")
        super().__init__(presentation)
        self.model = model
        self._set_text(text)              # raises ValueError naming text for a sentence the model cannot read
        style = self._description_style(["sentence", "layer", "head"])
        slider = dict(style=style, layout=widgets.Layout(width="100%", max_width="420px"))
        self.layer = widgets.IntSlider(value=int(layer), min=0, max=model.n_layers - 1, description="layer", **slider)
        self.head = widgets.IntSlider(value=int(head), min=0, max=model.n_heads - 1, description="head", **slider)
        self.text = widgets.Text(value=text, description="sentence", continuous_update=False,
                                 layout=self._slider_layout(), style=style)
        self.readout = widgets.HTML()
        self._build_figure()
        for control in (self.layer, self.head):
            control.observe(self._guarded(self._update), names="value")
        self.text.observe(self._guarded(self._on_text), names="value")
        self._assemble(self.text, self.layer, self.head, self._make_view(self.figure), self.readout)
        self._update()

    # -- state -------------------------------------------------------------------------------

    def _set_text(self, text):
        words = _t.tokens(self.model, text)
        if len(words) < 2:
            raise ValueError("text must hold at least one word")
        self.words, self.maps = words, _t.attention_maps(self.model, text)

    @property
    def weights(self):
        """The chosen head's weights, (T, T): row i is how token i spreads its attention."""
        return self.maps[self.layer.value, self.head.value]

    @property
    def entropies(self):
        """The entropy of each row of :attr:`weights`, in bits."""
        return attention_entropy(self.weights)

    # -- figure ----------------------------------------------------------------------------

    def _build_figure(self):
        f, n = self.presentation, self.model.max_len
        self.figure, (ax_w, ax_h) = self._new_figure(1, 2, size=(8.0, 4.4), width_ratios=(1.6, 1.0))
        plots.label_axes(ax_w, "key (the word looked at)", "query (the word looking)", presentation=f)
        self.image, _ = plots.heatmap(ax_w, np.zeros((2, 2)), vmin=0.0, vmax=1.0, cmap="viridis",
                                      colorbar_label="attention weight", presentation=f)
        ax_w.set_aspect("auto")           # fill the panel: a sentence of any length keeps the title inside
        plots.label_axes(ax_h, "row entropy (bits)", "", presentation=f)
        self.entropy_bars = ax_h.barh(np.arange(n), np.zeros(n), color=plots.PALETTE[1], edgecolor="black",
                                      linewidth=0.6)
        ax_h.set_xlim(0, math.log2(n) * 1.05)
        ax_h.set_xticks(np.arange(int(math.log2(n)) + 1))
        self._ax_w, self._ax_h = ax_w, ax_h
        self._title = ax_w.set_title("layer 0, head 0 (rows sum to 1)", fontsize=self._fonts.title)
        plots.animate(self.figure, self.image, self.entropy_bars, self._title)
        self._lay_out_words()

    def _lay_out_words(self):
        """Ticks and limits for the current sentence (a new number of words): then a new layout."""
        T, labels = len(self.words), [mpl_text(w) for w in self.words]
        ax_w, ax_h = self._ax_w, self._ax_h
        self.image.set_extent((-0.5, T - 0.5, T - 0.5, -0.5))
        ax_w.set_xlim(-0.5, T - 0.5)
        ax_w.set_ylim(T - 0.5, -0.5)
        ax_w.set_xticks(np.arange(T), labels, rotation=60 if T <= 10 else 90, fontsize=self._fonts.tick)
        ax_w.set_yticks(np.arange(T), labels, fontsize=self._fonts.tick)
        ax_h.set_ylim(T - 0.5, -0.5)                    # rows in the same order as the heatmap
        ax_h.set_yticks(np.arange(T), [""] * T)          # the heatmap's words name these rows
        plots.relayout(self.figure)

    def _show_state(self):
        w, h = self.weights, self.entropies
        self.image.set_data(w)
        for i, bar in enumerate(self.entropy_bars):
            bar.set_width(float(h[i]) if i < len(h) else 0.0)
        layer, head = self.layer.value, self.head.value
        self._title.set_text(f"layer {layer}, head {head} (rows sum to 1)")
        last = w[-1]
        top = int(np.argmax(last))
        self.readout.value = self._html_box([
            ("head", f"{layer}.{head}"),
            ("tokens", html.escape(" ".join(self.words))),
            (f"from the last word, \u201c{html.escape(self.words[-1])}\u201d, the most weight goes to",
             f"\u201c{html.escape(self.words[top])}\u201d ({last[top]:.2f})"),
            ("mean entropy of a row", f"{float(np.mean(h)):.2f} bits"),
        ])

    def _on_text(self, change):
        text = change["new"]
        if len(text) > MAX_TEXT_LENGTH:
            self._say(f"sentence not changed: at most {MAX_TEXT_LENGTH} characters")
            return
        try:
            self._set_text(text)
        except ValueError as exc:         # a sentence the model cannot read: say why, keep the last one
            self._say(f"sentence not changed: {exc}")
            return
        self._say("")
        self._lay_out_words()
        self._update()


def head_explorer(text="the cat sat on the mat", layer=0, head=0, model=None, presentation=False):
    r"""An explorer of the tiny transformer's attention heads on a sentence you type.

    The heatmap shows one head's weights :math:`W = \mathrm{softmax}(QK^\top/\sqrt{d_h})`
    (causal: exact zeros above the diagonal) with the words on both axes: row i is how word i
    spreads its attention over the words up to itself (``<s>`` is the start token). The bars
    give each row's entropy in bits: 0 when a row looks at one word, :math:`\log_2 (i+1)` when it
    spreads evenly.

    Parameters
    ----------
    text : str, default "the cat sat on the mat"
        One sentence (a ``"."`` only at its end), at most ``max_len - 1`` words; editable.
    layer, head : int, default 0
        The head shown first.
    model : TinyTransformer, optional
        Default :func:`softmax_lab.transformer.load`.
    presentation : bool, default False
        Larger figure and fonts, for a projector.

    Returns
    -------
    HeadExplorer

    Examples
    --------
    >>> dash = head_explorer("the owl near the barn", layer=1, head=2)
    >>> dash.words
    ['<s>', 'the', 'owl', 'near', 'the', 'barn']
    >>> bool(np.allclose(dash.weights.sum(axis=1), 1.0)), bool(np.all(np.triu(dash.weights, 1) == 0))
    (True, True)
    """
    return HeadExplorer(text, layer, head, model, presentation=presentation)


# --------------------------------------------------------------------------------------------
# 3. The capstone: your functions run the model
# --------------------------------------------------------------------------------------------

YOURS, PACKAGES = "yours", "the package's"
MAX_STEPS = 60                    # the steps slider's end: a run of at most a few seconds
_LOSS_LIMITS = (4.0, 6.5)         # the first 30 steps of the recorded run; a loss beyond is drawn at the edge


class YourModelDashboard(Dashboard):
    """The transformer trained and run on the learner's functions, or on the package's.

    Use :func:`your_model_dashboard`. Attributes: ``steps_slider`` (IntSlider, the training steps),
    ``switch`` (ToggleButtons: ``"yours"`` or ``"the package's"``), ``functions`` (the lesson
    functions given), ``steps``, ``unwritten``
    (the given functions still stubs: the package's run instead), ``run`` (the last
    :class:`~softmax_lab.transformer_training.CapstoneRun`), ``broken`` (the lesson functions
    that disagreed with the package's), ``run_line``, ``reference_line``, ``readout``, ``output``.
    """

    def __init__(self, functions=None, steps=30, presentation=False):
        functions = {} if functions is None else functions
        if not isinstance(functions, dict):
            raise TypeError(f"functions must be a dict of lesson functions, got {type(functions).__name__}")
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= MAX_STEPS:
            raise ValueError(f"steps must be an integer from 1 to {MAX_STEPS}, got {steps!r}")
        self._steps, self.unwritten = _fns.lesson_functions(**functions)   # TypeError names a wrong name
        super().__init__(presentation)
        self.functions = dict(functions)
        style = self._description_style(["training steps", "functions"])
        self.steps_slider = widgets.IntSlider(value=int(steps), min=1, max=MAX_STEPS, description="training steps",
                                              style=style, layout=self._slider_layout())
        self.switch = widgets.ToggleButtons(options=(YOURS, PACKAGES), value=YOURS if self._steps else PACKAGES,
                                            description="functions", style=style)
        self.readout, self.output = widgets.HTML(), widgets.HTML()
        # A run per (switch, steps) once made is kept; each switch's session trains on from its
        # last step, so one more step of the slider costs one training step, not a new run.
        self._runs, self._sessions = {}, {}
        self._build_figure()
        for control in (self.steps_slider, self.switch):
            control.observe(self._guarded(self._update), names="value")
        self._assemble(self.steps_slider, self.switch, self._make_view(self.figure), self.output, self.readout)
        self._update()

    @property
    def steps(self):
        """The number of training steps (the slider's value)."""
        return int(self.steps_slider.value)

    @property
    def broken(self):
        """The lesson functions (e.g. ``"softmax_backward"``) that disagreed with the package's."""
        return [name for name, (step, _) in _fns.LESSON_FUNCTIONS.items() if step in self.run.broken]

    def _build_figure(self):
        f = self.presentation
        self.figure, ax = self._new_figure(size=(7.0, 3.4))
        plots.label_axes(ax, "training step", "training loss (nats)", presentation=f)
        steps = np.arange(1, MAX_STEPS + 1)         # fixed x: a shorter run leaves the rest empty (NaN)
        self.reference_line, = ax.plot(steps, np.full(MAX_STEPS, np.nan), color="black", linestyle="--",
                                       linewidth=2, label="the recorded run (package's functions)")
        self.run_line, = ax.plot(steps, np.full(MAX_STEPS, np.nan), color=plots.PALETTE[1], linewidth=2,
                                 label="this run")
        ax.set_xlim(1, MAX_STEPS)
        ax.set_ylim(*_LOSS_LIMITS)
        ax.legend(loc="lower left", fontsize=self._fonts.note, frameon=False)
        self._title = ax.set_title("the package's functions: the loss leaves the recorded run",
                                   fontsize=self._fonts.title)        # the longest title: room for it
        plots.animate(self.figure, self.run_line, self.reference_line, self._title)
        plots.relayout(self.figure)

    def _show_state(self):
        yours = self.switch.value == YOURS
        self.run = run = self._capstone(yours)
        losses, reference = np.full(MAX_STEPS, np.nan), np.full(MAX_STEPS, np.nan)
        losses[:len(run.losses)] = run.losses
        reference[:len(run.reference)] = run.reference
        self.run_line.set_ydata(np.clip(losses, *_LOSS_LIMITS))
        self.reference_line.set_ydata(reference)
        verdict = "follows the recorded run" if run.follows_reference else "leaves the recorded run"
        whose = "your functions" if yours else "the package's functions"
        self._title.set_text(f"{whose}: the loss {verdict}")
        text = html.escape(" ".join(run.generated)) if run.generated else "(nothing: the run stopped)"
        lines = [f"<div><b>largest gap to the recorded curve</b>: {run.gap:.3g} nats "
                 f"(at most {_tt.CAPSTONE_TOLERANCE:g} counts as following it)</div>",
                 f"<div><b>the trained model writes</b>: the cat sat on the <b>{text}</b></div>"]
        if run.validation_loss is not None:
            perplexity = math.exp(run.validation_loss)
            lines.append(f"<div><b>validation perplexity</b> on these functions: {perplexity:.3f}</div>")
        if run.error:
            lines.append(f"<div style='color:#9E3A00'>&#9888; {html.escape(run.error)}</div>")
        self.output.value = "".join(lines)
        self.readout.value = self._report_table(yours)

    def _capstone(self, yours):
        """The run of the slider's steps on these functions: kept, or trained on, or started anew."""
        key = (yours, self.steps)
        if key not in self._runs:
            session = self._sessions.get(yours)
            if session is None or session.error is not None or session.trainer.step > self.steps:
                table = _fns.checked_functions(**self._steps) if yours else None   # fresh counts
                session = self._sessions[yours] = _tt.CapstoneSession(table)
            self._runs[key] = session.run(self.steps)
        return self._runs[key]

    def _report_table(self, yours):
        rows = {row["function"]: row for row in self.run.report}
        size = "18px" if self.presentation else "14px"
        cells = []
        for name, (step, lesson) in _fns.LESSON_FUNCTIONS.items():
            if not yours or name not in self.functions:
                status = "the package's"
            elif name in self.unwritten:
                status = "still a stub: the package's runs"
            elif rows[step]["mismatches"]:
                status = (f"<b style='color:#9E3A00'>&#10008; BROKEN</b>: {rows[step]['mismatches']} of "
                          f"{rows[step]['calls']} calls differ; {html.escape(rows[step]['first_mismatch'])}")
            elif rows[step]["calls"]:
                status = (f"&#10004; yours, {rows[step]['calls']} calls, largest difference "
                          f"{rows[step]['max_error']:.1e}")
            else:
                status = "yours (not called in this run)"
            cells.append(f"<tr><td style='padding-right:1em'>{name} (lesson {lesson})</td>"
                         f"<td style='padding-right:1em'><code>{step}</code></td><td>{status}</td></tr>")
        head = ("<tr><th align='left'>your function</th><th align='left'>model step</th>"
                "<th align='left'>on the live inputs</th></tr>")
        return f"<table style='font-size:{size}'>{head}{''.join(cells)}</table>"


def your_model_dashboard(functions=None, steps=30, presentation=False):
    """The capstone: the tiny transformer trained and run on your functions from the lessons.

    One switch chooses the functions the model runs on: yours or the package's. The model then
    trains for ``steps`` steps of the recorded short run (the loss curve beside the recorded one),
    the fully trained checkpoint writes a continuation of "the cat sat on the" and measures its
    validation perplexity on the same functions, and a table compares every function you gave
    with the package's on the model's own inputs, naming the one that broke it
    (:func:`softmax_lab.transformer_training.capstone_run`).

    Parameters
    ----------
    functions : dict, optional
        Your functions by the names of :data:`softmax_lab.transformer_functions.LESSON_FUNCTIONS`
        (``{"softmax": my_softmax, "logsumexp": my_logsumexp, ...}``); stubs that still raise
        ``NotImplementedError`` are left to the package's.
    steps : int, default 30
        Training steps at first (1 to 60). The slider changes them: a step up trains one more
        step (about a hundredth of a second on a quiet machine); a value seen before comes back at
        once; a step down below the steps trained starts a new run.
    presentation : bool, default False

    Returns
    -------
    YourModelDashboard

    Examples
    --------
    >>> def flat_backward(d_weights, weights):          # forgets the rowsum term
    ...     return weights * d_weights
    >>> dash = your_model_dashboard({"softmax_backward": flat_backward}, steps=3)
    >>> dash.broken
    ['softmax_backward']
    >>> dash.switch.value = "the package's"
    >>> dash.broken, dash.run.follows_reference
    ([], True)
    """
    return YourModelDashboard(functions, steps, presentation=presentation)
