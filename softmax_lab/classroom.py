"""The classroom's presets and the parsing of what a teacher types, without any widget.

* :data:`PRESETS`, a plain table: each preset's question, its logits (typed here, or the tiny
  language model's real logits) and temperature; :func:`preset_logits` computes what a preset
  shows, :func:`preset_answer` the answer, :func:`verdict` how close a guess came;
* :func:`parse_preset` and :func:`parse_guess`: reading the page's address (Voila passes its
  query string to the kernel as the environment variable ``QUERY_STRING``) and the class's
  guess, refusing anything odd with a message, never an exception.

The dashboard that shows them is :class:`softmax_lab.widgets.Classroom` (``notebooks/classroom.ipynb``).
"""

import functools
import math
import re
import urllib.parse
from dataclasses import dataclass

import numpy as np

from .exercises._answers import parse_number
from .functions import softmax

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
        What was typed. A probability may be written ``0.6``, ``.6``, ``0,6`` (a decimal comma)
        or ``60%``: read by :func:`softmax_lab.exercises._answers.parse_number`, the parser of the
        lessons' typed answers.
    kind : {"probability", "word"}
    words : sequence of str
        The words the model knows (for ``"word"``).

    Examples
    --------
    >>> parse_guess("60%", "probability")
    (0.6, '')
    >>> parse_guess("0,6", "probability")
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
    value, problem = parse_number(text)
    if value is None:
        return None, f"type a probability such as 0.6, 0,6 or 60%; got {_clean(text)!r}"
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        return None, f"a probability is between 0 and 1 (or 0% and 100%); got {_clean(text)}"
    return value, ""


@functools.lru_cache(maxsize=2)
def _model_logits(checkpoint="best", context=CAT_CONTEXT):
    from . import lm

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
