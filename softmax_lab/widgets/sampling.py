"""Lesson 06: the sampler dashboard (greedy, temperature, top-k, top-p and min-p decoding)."""

import html
import math

import ipywidgets as widgets
import numpy as np

from .. import plots, sampling
from ..functions import softmax
from ._base import Dashboard, GridLogSlider, GridSlider, mpl_text

# --------------------------------------------------------------------------------------------
# 6. Sampling strategies (lesson 06)
# --------------------------------------------------------------------------------------------

SAMPLING_STRATEGIES = ("greedy", "temperature", "top-k", "top-p", "min-p")
#: The language models the sampler can switch between (lesson 12's transformer beside the MLP).
MODEL_CHOICES = ("MLP (3-word window)", "transformer")
MAX_PROMPT_LENGTH = 200
_PROBABILITY_FLOOR = 1e-7          # the bottom of the log-scale plot: smaller values are drawn there


class SamplerDashboard(Dashboard):
    """Decoding strategies on a whole vocabulary: what each keeps, what it drops, what it writes.

    Use :func:`sampler_dashboard`. Attributes: ``strategy`` (ToggleButtons), ``temperature``
    (FloatLogSlider), ``top_k`` (IntSlider), ``top_p`` and ``min_p`` (FloatSliders),
    ``prompt_text`` (Text, with a model), ``generate_button``, ``n_words`` (IntSlider),
    ``seed`` (IntText), ``model_choice`` (Dropdown: the MLP or lesson 12's transformer, with a
    model), ``output`` (HTML with the generated text), ``generated`` (list of the
    generated word lists, newest last); ``logits``, ``vocab``, ``model``, ``order`` (token
    indices sorted by logit), ``distribution`` (softmax at temperature T, before filtering),
    ``kept`` (boolean mask of the tokens the strategy keeps), ``probabilities`` (the
    renormalised distribution that is sampled from), ``dropped_mass``, ``sampling_kwargs``
    (what is passed to ``sample``/``generate``), ``all_stairs`` / ``kept_stairs`` (StepPatches),
    ``readout``.
    """

    T_MIN, T_MAX = 0.05, 5.0

    def __init__(self, logits=None, vocab=None, model=None, prompt="the cat sat on the", presentation=False):
        from .. import lm

        if logits is None and model is None:
            model = lm.load("best")
        self.model = model
        if logits is None:
            if not isinstance(prompt, str) or len(prompt) > MAX_PROMPT_LENGTH:
                raise ValueError(f"prompt must be a string of at most {MAX_PROMPT_LENGTH} characters")
            logits, vocab = _next_logits(model, prompt), (model.vocab if vocab is None else vocab)
        try:
            z = np.asarray(logits, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            raise TypeError(f"logits must be a flat array of numbers, got {logits!r:.80}") from None
        if z.ndim != 1 or z.size < 2 or not np.isfinite(z).all():
            raise ValueError(f"logits must be a flat array of at least 2 finite numbers, got shape {z.shape}")
        if vocab is None:
            vocab = [f"token {i}" for i in range(z.size)]
        if isinstance(vocab, str) or len(vocab) != z.size or not all(isinstance(w, str) for w in vocab):
            raise ValueError(f"vocab must be a list of {z.size} strings, one per logit")
        super().__init__(presentation)
        self.vocab = list(vocab)
        self.prompt = prompt if model is not None else None
        self.generated = []
        self._set_logits(z)

        v = z.size
        style = self._description_style(["temperature T", "strategy", "min-p", "words", "prompt"])
        layout = self._slider_layout()
        self.strategy = widgets.ToggleButtons(options=SAMPLING_STRATEGIES, value="top-p", description="strategy",
                                              style=style)
        self.temperature = GridLogSlider(
            # whole hundredths of the exponent (10**-1.3 = 0.0501 to 10**0.7 = 5.01): the grid holds T = 1
            value=1.0, base=10, min=round(math.log10(self.T_MIN), 2), max=round(math.log10(self.T_MAX), 2), step=0.01,
            description="temperature T", readout_format=".3g", layout=layout, style=style)
        self.top_k = widgets.IntSlider(value=min(10, v), min=1, max=min(v, 200), description="k",
                                       layout=layout, style=style)
        self.top_p = GridSlider(value=0.9, min=0.01, max=1.0, step=0.01, description="p",
                                         readout_format=".2f", layout=layout, style=style)
        self.min_p = GridSlider(value=0.1, min=0.0, max=1.0, step=0.01, description="min-p",
                                         readout_format=".2f", layout=layout, style=style)
        self.prompt_text = widgets.Text(value=prompt if model is not None else "", description="prompt",
                                        continuous_update=False, layout=layout, style=style,
                                        disabled=model is None)
        self.n_words = widgets.IntSlider(value=10, min=1, max=30, description="words", layout=layout, style=style)
        self._models = {_choice_of(model): model} if model is not None else {}
        self.model_choice = widgets.Dropdown(options=MODEL_CHOICES, value=_choice_of(model), description="model",
                                             style=style, disabled=model is None)
        self.seed = widgets.IntText(value=0, description="seed", style=style, layout=widgets.Layout(width="14em"))
        self.generate_button = widgets.Button(
            description="Generate" if model is not None else "Draw", icon="play", button_style="primary",
            tooltip="continue the prompt with the model" if model is not None else "draw next tokens",
            layout=widgets.Layout(width="9em", height="auto"))
        self.output = widgets.HTML()
        self.readout = widgets.HTML()
        self._seed_in_use = self.seed.value
        self._rng = np.random.default_rng(self._seed_in_use)
        self._build_figure()

        for control in (self.strategy, self.temperature, self.top_k, self.top_p, self.min_p):
            control.observe(self._guarded(self._update), names="value")
        self.prompt_text.observe(self._guarded(self._on_prompt), names="value")
        self.model_choice.observe(self._guarded(self._on_model), names="value")
        self.seed.observe(self._guarded(self._on_seed), names="value")
        self.generate_button.on_click(self._guarded(lambda _button: self.generate()))
        self._assemble(self.strategy, self.temperature, self.top_k, self.top_p, self.min_p, self.prompt_text,
                       *([self.model_choice] if model is not None else []), self._make_view(self.figure), self.readout,
                       widgets.HBox([self.generate_button, self.seed]), self.n_words, self.output)
        self._update()

    # -- state -------------------------------------------------------------------------------

    def _set_logits(self, z):
        self.logits = z
        self.order = np.argsort(-z, kind="stable")      # ties: the lower index first, as the filters do

    @property
    def sampling_kwargs(self):
        """The keyword arguments of ``sample`` / ``generate`` for the chosen strategy."""
        name = self.strategy.value
        if name == "greedy":
            return {"temperature": 0}
        kwargs = {"temperature": float(self.temperature.value)}
        if name == "top-k":
            kwargs["top_k"] = int(self.top_k.value)
        elif name == "top-p":
            kwargs["top_p"] = float(self.top_p.value)
        elif name == "min-p":
            kwargs["min_p"] = float(self.min_p.value)
        return kwargs

    @property
    def distribution(self):
        """``softmax(logits, temperature=T)``: the distribution before any token is dropped."""
        t = 1.0 if self.strategy.value == "greedy" else float(self.temperature.value)
        return softmax(self.logits, temperature=t)

    @property
    def kept(self):
        """Boolean mask of the tokens the strategy keeps: those :func:`softmax_lab.sampling.sample` can draw.

        Read from :func:`softmax_lab.sampling.sampling_distribution` (temperature, then the filters,
        exactly as ``sample`` applies them): a token is kept when its probability there is > 0.
        """
        return self.probabilities > 0

    @property
    def probabilities(self):
        """The distribution tokens are drawn from: the kept tokens, renormalised."""
        return sampling.sampling_distribution(self.logits, **self.sampling_kwargs)

    @property
    def dropped_mass(self):
        """The probability (at temperature T) of the tokens the strategy drops."""
        return float(np.sum(self.distribution[~self.kept]))

    # -- figure ----------------------------------------------------------------------------

    def _build_figure(self):
        f, v = self.presentation, len(self.vocab)
        self.figure, ax = self._new_figure(size=(8.0, 3.8))
        plots.label_axes(ax, "rank of the token (sorted by probability, log scale)",
                         "probability (log scale)", title="top-p: 1000 of 1000 tokens kept", presentation=f)
        floor = np.full(v, _PROBABILITY_FLOOR)
        self.kept_stairs = plots.vocabulary_stairs(ax, floor, start=1, color=plots.PALETTE[1], fill=True,
                                                   baseline=_PROBABILITY_FLOOR,
                                                   label="kept: the strategy samples from these")
        self.all_stairs = plots.vocabulary_stairs(ax, floor, start=1, color=plots.PALETTE[0],
                                                  baseline=_PROBABILITY_FLOOR, label="softmax(z / T), every token")
        ax.set_xscale("log")
        ax.set_yscale("log")
        plots.plain_tick_labels(ax.xaxis)
        ax.set_xlim(1, v + 1)
        ax.set_ylim(_PROBABILITY_FLOOR, 1.5)
        ax.legend(loc="upper right", fontsize=self._fonts.note, frameon=False)
        # the words of the 3 most probable tokens (fewer in a smaller vocabulary), next to their steps
        self._top_texts = [ax.text(1, 1, "", fontsize=self._fonts.note, rotation=0, ha="left", va="bottom")
                           for _ in range(min(3, v))]
        self._title_text = ax.title
        self._ax = ax
        plots.animate(self.figure, self.kept_stairs, self.all_stairs, self._top_texts, self._title_text)
        plots.relayout(self.figure)

    def _show_state(self):
        name = self.strategy.value
        self.temperature.disabled = name == "greedy"
        self.top_k.disabled = name != "top-k"
        self.top_p.disabled = name != "top-p"
        self.min_p.disabled = name != "min-p"

        q = self.distribution[self.order]
        kept = self.kept[self.order]
        shown = np.maximum(q, _PROBABILITY_FLOOR)
        self.all_stairs.set_data(shown)
        self.kept_stairs.set_data(np.where(kept, shown, _PROBABILITY_FLOOR))
        for rank, text in enumerate(self._top_texts):
            text.set_position((rank + 1.5, shown[rank] * 1.15))
            text.set_text(mpl_text(self.vocab[self.order[rank]]))
        n_kept, dropped = int(kept.sum()), self.dropped_mass
        self._title_text.set_text(f"{name}: {n_kept} of {len(q)} tokens kept, dropped probability {dropped:.3f}")
        pi = self.probabilities
        top = [(self.vocab[i], self.distribution[i], pi[i]) for i in self.order[:6]]
        rows = [("strategy", html.escape(f"{name}  (sample(..., {_kwargs_text(self.sampling_kwargs)}))")),
                ("tokens kept", f"{n_kept} of {len(q)}"),
                ("probability mass dropped", f"{dropped:.4f}"),
                ("most probable tokens", ", ".join(f"{html.escape(w)} {p:.3f}&rarr;{r:.3f}" for w, p, r in top))]
        self.readout.value = self._html_box(rows)

    # -- callbacks -----------------------------------------------------------------------

    def _on_prompt(self, change):
        text = change["new"]
        if len(text) > MAX_PROMPT_LENGTH:
            self._say(f"prompt not changed: at most {MAX_PROMPT_LENGTH} characters")
            return
        self._say("")
        self.prompt = text
        self._set_logits(_next_logits(self.model, text))
        self._update()

    def _on_model(self, change):
        """Switch the model that reads the prompt and writes the continuations."""
        from .. import lm, transformer

        choice = change["new"]
        if choice not in self._models:
            self._models[choice] = lm.load("best") if choice == MODEL_CHOICES[0] else transformer.load("tiny")
        self.model = self._models[choice]
        self._set_logits(_next_logits(self.model, self.prompt))
        self._update()

    def _on_seed(self, change):
        seed = change["new"]
        if seed == self._seed_in_use:
            return                        # the box was put back to the seed in use (below): nothing to do
        if not isinstance(seed, int) or seed < 0:
            self._say(f"seed not changed: use a whole number >= 0, got {seed}")
            self.seed.value = self._seed_in_use      # the box shows the seed the generator really uses
            return
        self._say("")
        self._seed_in_use = seed
        self._rng = np.random.default_rng(seed)

    def generate(self):
        """Continue the prompt with the model (or, without a model, draw next tokens) and show it."""
        if self.seed.value != self._seed_in_use:          # never draw from a generator the box does not show
            self._say(f"nothing drawn: the seed box shows {self.seed.value}, which is not a seed; "
                      f"use a whole number >= 0")
            return []
        n = int(self.n_words.value)
        if self.model is not None:
            from .. import lm, transformer

            write = transformer.generate if isinstance(self.model, transformer.TinyTransformer) else lm.generate
            words = write(self.model, self.prompt, n, rng=self._rng, **self.sampling_kwargs)
            head = html.escape(self.prompt)
        else:
            words = [self.vocab[int(sampling.sample(self.logits, rng=self._rng, **self.sampling_kwargs))]
                     for _ in range(n)]
            head = "draws:"
        self.generated.append(words)
        lines = [f"<div>{head} <b>{html.escape(' '.join(w))}</b></div>" for w in self.generated[-5:]]
        self.output.value = "".join(lines)
        return words


def _choice_of(model):
    from .. import transformer

    return MODEL_CHOICES[1] if isinstance(model, transformer.TinyTransformer) else MODEL_CHOICES[0]


def _next_logits(model, text):
    """The next-word logits of either language model (the MLP of lm, or the transformer)."""
    from .. import lm, transformer

    if isinstance(model, transformer.TinyTransformer):
        return transformer.next_token_logits(model, text)
    return lm.next_token_logits(model, text)


def _kwargs_text(kwargs):
    return ", ".join(f"{key}={value:.3g}" if isinstance(value, float) else f"{key}={value}"
                     for key, value in kwargs.items())


def sampler_dashboard(logits=None, vocab=None, model=None, prompt="the cat sat on the", presentation=False):
    r"""A dashboard of decoding strategies: greedy, temperature, top-k, top-p and min-p.

    The next-token distribution over the whole vocabulary, sorted from the most probable token
    down and drawn as stairs (log-log: the long tail stays visible); the tokens the chosen
    strategy keeps are shaded, and the probability mass it drops is printed. Controls: the
    strategy, the temperature T (every strategy but greedy), k, p and min-p. The filters are
    :func:`softmax_lab.sampling.filter_top_k`, ``filter_top_p`` and ``filter_min_p`` applied to
    the distribution at temperature T, as :func:`softmax_lab.sampling.sample` applies them; the
    Generate button continues the prompt with :func:`softmax_lab.lm.generate` using the same
    settings, from a seeded generator (the ``seed`` box restarts it).

    Parameters
    ----------
    logits : array_like, optional
        One logit per vocabulary entry. Default: the model's logits after ``prompt``.
    vocab : list of str, optional
        One word per logit. Default: ``model.vocab`` (or ``token 0``, ``token 1``, ...).
    model : softmax_lab.lm.TinyLM or softmax_lab.transformer.TinyTransformer, optional
        The language model that writes the continuations. Default, when ``logits`` is not
        given either: ``softmax_lab.lm.load("best")``. With ``logits`` and no model, the
        button draws next tokens from the logits instead. With a model, the ``model``
        dropdown switches between the MLP and lesson 12's transformer (the prompt's logits are
        recomputed by the chosen one).
    prompt : str, default "the cat sat on the"
        The text to continue (editable in the dashboard when there is a model).
    presentation : bool, default False
        Larger figure and fonts, for a projector.

    Returns
    -------
    SamplerDashboard

    Examples
    --------
    >>> dash = sampler_dashboard(logits=[3.0, 2.0, 1.0, 0.0], vocab=["mat", "rug", "bed", "roof"])
    >>> dash.strategy.value = "top-k"
    >>> dash.top_k.value = 2
    >>> dash.kept, round(dash.dropped_mass, 3)
    (array([ True,  True, False, False]), 0.119)
    >>> dash.probabilities.round(3)
    array([0.731, 0.269, 0.   , 0.   ])
    """
    return SamplerDashboard(logits, vocab, model, prompt, presentation=presentation)
