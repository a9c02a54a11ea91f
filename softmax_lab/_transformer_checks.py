"""Argument checks shared by the tiny transformer's modules (``transformer``,
``transformer_functions``, ``transformer_training``).

Each check returns its argument in a clean form, or raises a ValueError or TypeError whose message
names the argument. The general checks (numbers, arrays, probabilities) come from ``_checks``;
these are the ones that know the transformer: its model object, sizes, weights, text, token ids
and the function table it runs on.
"""

from pathlib import Path

import numpy as np

from . import lm as _lm
from ._checks import as_array, finite_number, float_array, integer
from ._llm_common import sentences as _sentences

CACHE_KEYS = ("ids", "mask", "layers", "hf", "normf")


def model(value, name="model"):
    """A :class:`softmax_lab.transformer.TinyTransformer`, else a TypeError naming ``name``."""
    from .transformer import TinyTransformer  # here: that module imports this one

    if not isinstance(value, TinyTransformer):
        raise TypeError(f"{name} must be a TinyTransformer (softmax_lab.transformer.load()), "
                        f"got {type(value).__name__}")
    return value


def sizes(n_layers, n_heads, d_model, d_mlp, max_len):
    """The five sizes as a dict of ints >= 1, with ``d_model`` divisible by ``n_heads``."""
    settings = {key: integer(value, key) for key, value in
                dict(n_layers=n_layers, n_heads=n_heads, d_model=d_model, d_mlp=d_mlp, max_len=max_len).items()}
    if settings["d_model"] % settings["n_heads"]:
        raise ValueError(f"d_model must be divisible by n_heads, got d_model={d_model}, n_heads={n_heads}")
    return settings


def vocab(value, name="vocab"):
    """A list of distinct words (str) that holds ``<s>`` and ``<unk>``."""
    if not (isinstance(value, (list, tuple)) and all(isinstance(w, str) for w in value)):
        raise TypeError(f"{name} must be a list of words (strings), got {value!r:.80}")
    if len(set(value)) != len(value):
        raise ValueError(f"{name} must not contain a word twice")
    for special in (_lm.START, _lm.UNK):
        if special not in value:
            raise ValueError(f"{name} must contain the special token {special!r}")
    return list(value)


def weights(value, shapes, name="weights"):
    """A dict of finite float64 arrays with the given ``shapes`` (name -> shape); arrays already
    float64 are kept, not copied (a trainer updates them in place)."""
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict of arrays (the names of weight_shapes), got {type(value).__name__}")
    missing = [key for key in shapes if key not in value]
    if missing:
        raise ValueError(f"{name} lacks {', '.join(missing)}")
    arrays = {}
    for key, shape in shapes.items():
        a = float_array(value[key], f"{name}[{key!r}]", ndim=len(shape), finite=True)
        if a.shape != shape:
            raise ValueError(f"{name}[{key!r}] must have shape {shape}, got {a.shape}")
        arrays[key] = np.asarray(a, dtype=np.float64)
    return arrays


def function_table(value, name="functions"):
    """A dict mapping each of ``FUNCTION_NAMES`` to a callable (None is the caller's business)."""
    from .transformer_functions import FUNCTION_NAMES  # here: that module imports this one

    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict of functions (transformer_functions.package_functions() or "
                        f"checked_functions(...)), got {type(value).__name__}")
    if sorted(value) != sorted(FUNCTION_NAMES):
        raise ValueError(f"{name} must map each of {', '.join(FUNCTION_NAMES)} to a function, got {sorted(value)}")
    for key, function in value.items():
        if not callable(function):
            raise TypeError(f"{name}[{key!r}] must be a function, got {type(function).__name__}")
    return dict(value)


def flag(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


# ---------------------------------------------------------------------------------------------
# Text, sentences, corpus files

def words(text, name):
    """A text (split by :func:`softmax_lab.lm.tokenize`) or a list of words, as a list of lower-case words."""
    if isinstance(text, str):
        return _lm.tokenize(text)
    if isinstance(text, (list, tuple)) and all(isinstance(w, str) for w in text):
        return [w.lower() for w in text]
    raise TypeError(f"{name} must be a string or a list of words (strings), got {text!r:.80}")


def one_sentence(text, max_len):
    """The words of one sentence (a ``"."`` only at its end) that fits ``max_len`` tokens with ``<s>``."""
    words_ = words(text, "text")
    if _lm.END in words_[:-1]:
        raise ValueError(f"text must be one sentence (a '.' only at its end), got {' '.join(words_)!r}")
    if len(words_) + 1 > max_len:
        raise ValueError(f"text must have at most {max_len - 1} words (the model's max_len is {max_len} tokens "
                         f"with <s>), got {len(words_)}")
    return words_


def sentences(value, name="sentences", max_words=None, min_count=1):
    """At least ``min_count`` sentences, each a non-empty list of words; with ``max_words``, none longer."""
    value = _sentences(value, name, min_count=min_count)
    longest = max((len(s) for s in value), default=0)
    if max_words is not None and longest > max_words:
        raise ValueError(f"{name} must have at most {max_words} words each (to fit the model's max_len), "
                         f"got one of {longest}")
    return value


def corpus(split, directory, splits):
    """A split name from ``splits`` and a data folder (None, a str or a Path); checked even when
    the caller reads given sentences instead, so that a mistyped one is never silently ignored."""
    if not isinstance(split, str) or split not in splits:
        raise ValueError(f"split must be one of {', '.join(map(repr, splits))}, got {split!r}")
    if directory is not None and not (isinstance(directory, (str, Path)) and str(directory)):
        raise TypeError(f"directory must be a folder (a str or a pathlib.Path), or None, got {directory!r}")


# ---------------------------------------------------------------------------------------------
# Token ids and the backward pass's inputs

def ids(model, value, name="ids"):
    """Token ids of shape (B, T), 1 <= T <= ``model.max_len``, each in [0, V)."""
    a = as_array(value, name)
    if a.ndim != 2 or a.shape[1] < 1:
        raise ValueError(f"{name} must have shape (batch, T) with T >= 1, got {a.shape}")
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integer token ids, got dtype {a.dtype}")
    if a.shape[1] > model.max_len:
        raise ValueError(f"{name} must hold at most max_len = {model.max_len} tokens per row, got {a.shape[1]}")
    if a.size and (a.min() < 0 or a.max() >= len(model.vocab)):
        raise ValueError(f"{name} must be token ids in [0, {len(model.vocab)}), got {a.min()} to {a.max()}")
    return a


def targets(value, shape, vocab_size):
    """Integer next-word ids of the given shape, each in [0, V) or -1 (padding), at least one real."""
    t = as_array(value, "targets")
    if t.dtype.kind not in "iu":
        raise TypeError(f"targets must be integer word ids (-1 marks padding), got dtype {t.dtype}")
    if t.shape != shape:
        raise ValueError(f"targets must have the shape of ids, {shape}, got {t.shape}")
    if t.size and (t.min() < -1 or t.max() >= vocab_size):
        raise ValueError(f"targets must be word ids in [0, {vocab_size}) or -1 (padding), got {t.min()} to {t.max()}")
    if not (t >= 0).any():
        raise ValueError("targets must hold at least one real target (>= 0); -1 marks padding")
    return t


def cache(value, model):
    """What ``forward(model, ids, return_cache=True)`` returned, for this model."""
    if not (isinstance(value, dict) and all(key in value for key in CACHE_KEYS)
            and len(value["layers"]) == model.n_layers
            and np.shape(value["hf"]) == (*np.shape(value["ids"]), model.d_model)):
        raise TypeError("cache must be the dict that forward(model, ids, return_cache=True) returned for this "
                        f"model, got {value!r:.80}")
    return value


def d_logits(value, shape):
    """A finite float array of the logits' shape, (B, T, V)."""
    d = float_array(value, "d_logits", finite=True)
    if d.shape != shape:
        raise ValueError(f"d_logits must have the shape of the logits, {shape}, got {d.shape}")
    return d


# ---------------------------------------------------------------------------------------------
# Sampling settings (as softmax_lab.sampling.sample takes them)

def sampling(temperature=1.0, top_k=None, top_p=None, min_p=None):
    """``temperature`` >= 0 (0: greedy); ``top_k`` None or an int >= 1; ``top_p`` None or in (0, 1];
    ``min_p`` None or in [0, 1]. Returns them cleaned, in that order."""
    temperature = finite_number(temperature, "temperature", 0)
    top_k = None if top_k is None else integer(top_k, "top_k")
    if top_p is not None:
        top_p = finite_number(top_p, "top_p", 0, inclusive=False)
        if top_p > 1:
            raise ValueError(f"top_p must be a number in (0, 1], got {top_p!r}")
    if min_p is not None:
        min_p = finite_number(min_p, "min_p", 0)
        if min_p > 1:
            raise ValueError(f"min_p must be a number in [0, 1], got {min_p!r}")
    return temperature, top_k, top_p, min_p
