"""Lesson 09's dashboard: how much memory the logits of a large vocabulary take.

:func:`vocab_memory_calculator` shows the bytes of the output layer's logits and of their
gradient for a batch of token sequences, a vocabulary size (with the presets GPT-2, Llama 3 and
Gemma) and a storage dtype. The arithmetic lives in :func:`softmax_lab.vocab.output_layer_cost`.
"""

import numbers

import ipywidgets as widgets
import numpy as np

from .. import plots
from ..vocab import BYTES_PER_NUMBER, output_layer_cost
from ._base import Dashboard

__all__ = ["VOCAB_PRESETS", "VocabMemoryCalculator", "vocab_memory_calculator"]

#: Vocabulary sizes of three model families (tokenizer vocabularies as published).
VOCAB_PRESETS = {"GPT-2": 50_257, "Llama 3": 128_256, "Gemma": 256_000}
SEQUENCE_LENGTHS = tuple(2 ** k for k in range(7, 16))          # 128 ... 32,768
GPU_MEMORY = (("24 GB", 24e9), ("80 GB", 80e9))                  # a consumer card, a data-centre accelerator
_X_RANGE = (1e6, 1e13)                                           # 1 MB ... 10 TB, fixed: no rescaling per move


def _bytes(n):
    """Bytes with a decimal unit: 8,388,608,000 -> '8.39 GB'."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"


class VocabMemoryCalculator(Dashboard):
    """Bytes of the logits and of their gradient: batch x sequence length x V x bytes per number.

    Use :func:`vocab_memory_calculator`. Attributes: ``batch`` (IntSlider, the first control),
    ``seq_len`` (SelectionSlider), ``preset`` (ToggleButtons: GPT-2, Llama 3, Gemma, or custom),
    ``n_words`` (IntSlider, V), ``dtype`` (ToggleButtons), ``tokens``, ``cost`` (an
    :class:`~softmax_lab.vocab.OutputLayerCost`), ``logits_bytes``, ``grad_bytes``, ``figure``,
    ``bars``, ``values`` (their labels), ``readout``.
    """

    def __init__(self, batch=8, seq_len=1024, n_words=256_000, dtype="float32", presentation=False):
        super().__init__(presentation)
        if seq_len not in SEQUENCE_LENGTHS:
            raise ValueError(f"seq_len must be one of {SEQUENCE_LENGTHS}, got {seq_len!r}")
        if dtype not in BYTES_PER_NUMBER:
            raise ValueError(f"dtype must be one of {tuple(BYTES_PER_NUMBER)}, got {dtype!r}")
        for name, value, low, high in (("batch", batch, 1, 64), ("n_words", n_words, 1000, 300_000)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
            if not low <= value <= high:
                raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value}")
        style = self._description_style(["sequence length", "vocabulary V", "batch"])
        layout = self._slider_layout()
        self.batch = widgets.IntSlider(value=batch, min=1, max=64, description="batch", layout=layout, style=style)
        self.seq_len = widgets.SelectionSlider(options=[(f"{n:,}", n) for n in SEQUENCE_LENGTHS], value=seq_len,
                                               description="sequence length", layout=layout, style=style)
        self.n_words = widgets.IntSlider(value=n_words, min=1000, max=300_000, step=1, description="vocabulary V",
                                         layout=layout, style=style)
        names = {v: k for k, v in VOCAB_PRESETS.items()}
        self.preset = widgets.ToggleButtons(options=[*VOCAB_PRESETS, "custom"], value=names.get(n_words, "custom"),
                                            description="preset", style=style)
        self.dtype = widgets.ToggleButtons(options=list(BYTES_PER_NUMBER), value=dtype, description="dtype",
                                           style=style)
        self.readout = widgets.HTML()
        self._build_figure()
        for control in (self.batch, self.seq_len, self.n_words, self.dtype):
            control.observe(self._guarded(self._update), names="value")
        self.preset.observe(self._guarded(self._on_preset), names="value")
        self.n_words.observe(self._guarded(self._sync_preset), names="value")
        self._assemble(self.batch, self.seq_len, self.preset, self.n_words, self.dtype,
                       self._make_view(self.figure), self.readout)
        self._update()

    # -- state -------------------------------------------------------------------------------

    @property
    def tokens(self):
        """Tokens scored at once: batch x sequence length."""
        return self.batch.value * self.seq_len.value

    @property
    def cost(self):
        """:func:`~softmax_lab.vocab.output_layer_cost` for the current settings (hidden size 1:
        only the logit sizes are used here)."""
        return output_layer_cost(self.tokens, self.n_words.value, 1, self.dtype.value)

    @property
    def logits_bytes(self):
        return self.cost.logits_bytes

    @property
    def grad_bytes(self):
        return self.cost.grad_bytes

    def _on_preset(self, change):
        if change["new"] in VOCAB_PRESETS:
            self.n_words.value = VOCAB_PRESETS[change["new"]]        # an integer: on the slider's grid

    def _sync_preset(self, change):
        names = {v: k for k, v in VOCAB_PRESETS.items()}
        self.preset.value = names.get(change["new"], "custom")

    # -- figure ------------------------------------------------------------------------------

    def _build_figure(self):
        f = self.presentation
        self.figure, ax = self._new_figure(size=(7.5, 2.9))
        rows = ["logits", "their gradient", "both"]
        self.bars = ax.barh(range(3), [1.0] * 3, color=[plots.PALETTE[0], plots.PALETTE[1], plots.PALETTE[3]],
                            height=0.6)
        self.values = [ax.text(_X_RANGE[0] * 1.3, i, "", va="center", ha="left", color="white", fontweight="bold",
                               fontsize=self._fonts.value) for i in range(3)]
        ax.set_yticks(range(3), rows)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlim(*_X_RANGE)
        for label, size in GPU_MEMORY:
            ax.axvline(size, color=plots.OKABE_ITO["black"], linestyle="--", linewidth=1.2)
            ax.text(size * 1.15, 1.0, f"{label} of accelerator memory", ha="left", va="center", rotation=90,
                    fontsize=self._fonts.note)
        plots.label_axes(ax, "bytes (log scale)", "array", presentation=f)
        self._title = ax.set_title(" ", fontsize=self._fonts.title)
        plots.animate(self.figure, *self.bars, *self.values, self._title)
        plots.relayout(self.figure)

    def _show_state(self):
        c = self.cost
        sizes = [c.logits_bytes, c.grad_bytes, c.logits_bytes + c.grad_bytes]
        for bar, text, n in zip(self.bars, self.values, sizes):
            bar.set_width(float(np.clip(n, *_X_RANGE)))
            text.set_text(_bytes(n))
        self._title.set_text(f"{self.tokens:,} tokens x {self.n_words.value:,} words x "
                             f"{BYTES_PER_NUMBER[self.dtype.value]} bytes ({self.dtype.value})")
        self.readout.value = self._html_box([
            ("tokens (batch x sequence length)", f"{self.batch.value} x {self.seq_len.value:,} = {self.tokens:,}"),
            ("logits: tokens x V x bytes", _bytes(c.logits_bytes)),
            ("their gradient (same shape)", _bytes(c.grad_bytes)),
            ("together", _bytes(c.logits_bytes + c.grad_bytes)),
        ])


def vocab_memory_calculator(batch=8, seq_len=1024, n_words=256_000, dtype="float32", presentation=False):
    r"""A dashboard: the memory of the logits of a large vocabulary, and of their gradient.

    The output layer produces one logit per token and vocabulary word, so the logits take
    :math:`B \times L \times V \times \text{bytes}` (batch, sequence length, vocabulary size,
    bytes per number), and their gradient as much again. Sliders set the batch (the first
    control), the sequence length and V (presets: GPT-2 50,257, Llama 3 128,256, Gemma 256,000),
    toggles the dtype. Bars on a log scale compare the result with 24 GB and 80 GB of
    accelerator memory.

    Parameters
    ----------
    batch : int, default 8
        Sequences per batch, 1-64.
    seq_len : int, default 1024
        Tokens per sequence, a power of two from 128 to 32,768.
    n_words : int, default 256,000
        V, 1,000-300,000.
    dtype : {"float64", "float32", "bfloat16", "float16"}, default "float32"
    presentation : bool, default False
        Larger figure and fonts, for a projector.

    Returns
    -------
    VocabMemoryCalculator

    Examples
    --------
    >>> calc = vocab_memory_calculator()               # 8 x 1,024 tokens, Gemma's V, float32
    >>> calc.tokens, round(calc.logits_bytes / 1e9, 2)
    (8192, 8.39)
    >>> calc.preset.value = "GPT-2"
    >>> calc.n_words.value, round(calc.grad_bytes / 1e9, 2)
    (50257, 1.65)
    """
    return VocabMemoryCalculator(batch, seq_len, n_words, dtype, presentation)
