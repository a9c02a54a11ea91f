r"""The course's tiny word-level language model, in numpy.

The model reads the previous ``n = 3`` words and scores every word of the vocabulary:

.. math::

    x &= [\,e_{w_{t-3}};\ e_{w_{t-2}};\ e_{w_{t-1}}\,] \qquad &\text{(three embeddings, side by side)}

    h &= \tanh(x W_1 + b_1) \qquad &\text{(the hidden layer)}

    z &= h W_2 + b_2 \qquad &\text{(one logit per vocabulary word)}

    p &= \mathrm{softmax}(z) \qquad &\text{(the next-word distribution)}

It is a small version of the neural language model of Bengio et al. (2003). It is trained by
minimising the cross-entropy :math:`-\log p_{w_t}` (:func:`softmax_lab.cross_entropy`), whose
gradient with respect to the logits is ``p - onehot(w_t)`` (:func:`softmax_lab.cross_entropy_grad`);
:func:`loss_and_grads` carries that gradient back by hand through both layers and into the
embeddings.

Special tokens
--------------
``"<s>"`` (:data:`START`)
    Pads the context at the start of a sentence: the first word of a sentence is predicted
    from ``<s> <s> <s>``, the second from ``<s> <s> w1``. The model reads one sentence at a
    time: the context is cut after the last ``"."``. ``<s>`` is never a target, so the model
    learns to give it almost no probability.
``"<unk>"`` (:data:`UNK`)
    Stands for every word that is not in the vocabulary. The vocabulary keeps the training
    words seen at least ``min_count = 3`` times; rarer training words were replaced by
    ``<unk>``, so the model has learned where unknown words tend to appear.
``"."``
    An ordinary word: the end of a sentence.

The shipped checkpoints (see ``data/README.md``): ``"early"`` (underfit), ``"best"`` (the
lowest validation loss), ``"overtrained"`` (trained far too long on a small subset:
worse on new text and overconfident) and ``"label_smoothed"`` (trained like "best" with label
smoothing 0.1, for the calibration lesson).

Supported range: ``model`` is a :class:`TinyLM`; ``weights`` a dict of the five finite arrays
with shapes that fit each other; ``contexts`` (B, n) integer ids in [0, V); text (``context``,
``prompt``, ``words``) a string or a list of words (words outside the vocabulary become
:data:`UNK`); ``split`` one of ``data.SPLITS`` or ``"calibration"``. Anything else is refused,
naming the argument.

Examples
--------
>>> model = load("best")
>>> model.context_size
3
>>> [word for word, p in top_words(model, "the cat sat on the", k=2)]
['mat', 'floor']
"""

import numbers

import numpy as np

from . import data as _data
from ._checks import as_generator
from ._threads import one_blas_thread
from .functions import log_softmax, softmax
from .losses import cross_entropy, cross_entropy_grad

__all__ = [
    "START", "UNK", "END", "CHECKPOINTS", "TinyLM", "load", "tokenize", "make_examples", "forward",
    "loss_and_grads", "next_token_logits", "top_words", "generate", "sequence_log_probs", "split_logits",
    "perplexity",
]

START = "<s>"
UNK = "<unk>"
END = "."
CHECKPOINTS = ("early", "best", "overtrained", "label_smoothed")
WEIGHT_NAMES = ("embeddings", "hidden_weight", "hidden_bias", "output_weight", "output_bias")
VOCAB_FILE = "vocab.json"

class TinyLM:
    """A trained tiny language model: its vocabulary, its weights and its context size.

    Parameters
    ----------
    vocab : list of str
        The words; ``vocab[i]`` is the word of logit ``i``. Must contain :data:`START` and
        :data:`UNK`.
    weights : dict of array_like
        ``embeddings`` (V, d), ``hidden_weight`` (n d, H), ``hidden_bias`` (H,),
        ``output_weight`` (H, V), ``output_bias`` (V,). Stored here as float64.
    context_size : int, default 3
        n, the number of previous words the model reads.
    name : str, optional
        A label, e.g. the checkpoint name.

    Attributes
    ----------
    vocab : list of str
    index : dict
        Word -> position in ``vocab``.
    weights : dict of ndarray
    context_size : int
    """

    def __init__(self, vocab, weights, context_size=3, name=None):
        if not (isinstance(vocab, (list, tuple)) and all(isinstance(w, str) for w in vocab)):
            raise TypeError(f"vocab must be a list of words (strings), got {vocab!r:.80}")
        if not isinstance(weights, dict):
            raise TypeError(f"weights must be a dict of arrays ({', '.join(WEIGHT_NAMES)}), "
                            f"got {type(weights).__name__}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a str or None, got {name!r}")
        self.vocab = list(vocab)
        self.index = {word: i for i, word in enumerate(self.vocab)}
        if len(self.index) != len(self.vocab):
            raise ValueError("vocab must not contain a word twice")
        for special in (START, UNK):
            if special not in self.index:
                raise ValueError(f"vocab must contain the special token {special!r}")
        if isinstance(context_size, bool) or not isinstance(context_size, numbers.Integral) or context_size < 1:
            raise ValueError(f"context_size must be an integer >= 1, got {context_size!r}")
        self.context_size = int(context_size)
        missing = [key for key in WEIGHT_NAMES if key not in weights]
        if missing:
            raise ValueError(f"weights must hold {', '.join(WEIGHT_NAMES)}; missing {', '.join(missing)}")
        self.weights = {key: np.asarray(weights[key], dtype=np.float64) for key in WEIGHT_NAMES}
        check_shapes(self.weights, len(self.vocab), self.context_size)
        self.name = name

    def __repr__(self):
        d = self.weights["embeddings"].shape[1]
        H = self.weights["hidden_bias"].shape[0]
        label = f" {self.name!r}" if self.name else ""
        return (f"<TinyLM{label}: {len(self.vocab)} words, context {self.context_size}, "
                f"embeddings {d}, hidden {H}>")


def check_shapes(weights, V, n):
    """Refuse weights whose shapes do not fit a vocabulary of V words and contexts of n words."""
    E = weights["embeddings"]
    if E.ndim != 2 or E.shape[0] != V:
        raise ValueError(f"weights['embeddings'] must have shape ({V}, d) for a vocabulary of {V} words, got {E.shape}")
    d = E.shape[1]
    H = weights["hidden_bias"].shape[0] if weights["hidden_bias"].ndim == 1 else -1
    expected = {"hidden_weight": (n * d, H), "hidden_bias": (H,), "output_weight": (H, V), "output_bias": (V,)}
    for key, shape in expected.items():
        if weights[key].shape != shape:
            raise ValueError(f"weights[{key!r}] must have shape {shape}, got {weights[key].shape}")


def _checked_weights(weights):
    """The network's five weights as arrays of finite numbers."""
    if not isinstance(weights, dict) or any(k not in weights for k in WEIGHT_NAMES):
        raise TypeError(f"weights must be a dict holding {', '.join(WEIGHT_NAMES)} (as init_weights makes)")
    arrays = {k: np.asarray(weights[k]) for k in WEIGHT_NAMES}
    bad = [k for k, a in arrays.items() if a.dtype.kind not in "fiu" or not np.isfinite(a).all()]
    if bad:
        raise ValueError(f"weights[{bad[0]!r}] must hold finite numbers")
    return arrays


def _model(model):
    if not isinstance(model, TinyLM):
        raise TypeError(f"model must be a softmax_lab.lm.TinyLM (from lm.load), got {type(model).__name__}")
    return model


# ---------------------------------------------------------------------------------------------
# Loading

def load(checkpoint="best", directory=None):
    """Load a shipped checkpoint, after checking every file against ``data/MANIFEST``.

    Parameters
    ----------
    checkpoint : {"early", "best", "overtrained"}, default "best"
        "early": after a few dozen training steps (underfit). "best": the weights with the
        lowest validation loss. "overtrained": trained far past its best validation loss on
        a small subset, with no weight decay (overconfident).
    directory : str or Path, optional
        The data folder; ``<repository>/data`` by default.

    Returns
    -------
    TinyLM

    Raises
    ------
    ValueError
        An unknown checkpoint name (the message lists the valid ones), or a checkpoint file
        that lacks ``context_size`` or a weight.
    FileNotFoundError
        ``vocab.json``, the weights file or the MANIFEST is missing.
    softmax_lab.data.DataIntegrityError
        A file's checksum does not match the MANIFEST, or the MANIFEST does not list it.

    Examples
    --------
    >>> model = load("early")
    >>> model.name, model.context_size, model.vocab[:2]
    ('early', 3, ['<s>', '<unk>'])
    >>> load("latest")
    Traceback (most recent call last):
    ...
    ValueError: checkpoint must be one of 'early', 'best', 'overtrained', 'label_smoothed', got 'latest'
    """
    if not isinstance(checkpoint, str) or checkpoint not in CHECKPOINTS:
        raise ValueError(f"checkpoint must be one of {', '.join(map(repr, CHECKPOINTS))}, got {checkpoint!r}")
    vocab = _data.load_json(VOCAB_FILE, directory)["words"]
    name = f"lm_{checkpoint}.npz"
    arrays = _data.load_npz(name, directory)
    missing = [key for key in ("context_size",) + WEIGHT_NAMES if key not in arrays]
    if missing:
        raise ValueError(f"checkpoint {checkpoint!r} ({name}) lacks the key(s) {', '.join(missing)}; "
                         "rebuild the data with `make data`")
    return TinyLM(vocab, arrays, context_size=int(arrays["context_size"]), name=checkpoint)


# ---------------------------------------------------------------------------------------------
# Text -> training examples

def tokenize(text):
    """Split text into the corpus's words: lower case, with ``"."`` as a word of its own.

    Examples
    --------
    >>> tokenize("The cat sat on the mat. It slept.")
    ['the', 'cat', 'sat', 'on', 'the', 'mat', '.', 'it', 'slept', '.']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    return text.lower().replace(".", " . ").split()


def _ids(words, index):
    unk = index[UNK]
    return [index.get(w, unk) for w in words]


def make_examples(sentences, index, context_size=3):
    """Turn sentences into (context, target) pairs of word indices.

    Each sentence is padded on the left with ``context_size`` copies of :data:`START`; every
    word (including the final ``"."``) becomes one target, predicted from the ``context_size``
    words before it. Unknown words become :data:`UNK`.

    Returns
    -------
    contexts : ndarray of int, shape (N, context_size)
    targets : ndarray of int, shape (N,)

    Examples
    --------
    >>> index = {"<s>": 0, "<unk>": 1, ".": 2, "a": 3, "cat": 4}
    >>> contexts, targets = make_examples([["a", "cat", "."]], index, context_size=2)
    >>> contexts.tolist(), targets.tolist()
    ([[0, 0], [0, 3], [3, 4]], [3, 4, 2])
    """
    if isinstance(sentences, (str, bytes)) or not np.iterable(sentences) or not all(
            isinstance(s, (list, tuple)) and all(isinstance(w, str) for w in s) for s in sentences):
        raise TypeError("sentences must be a list of sentences, each a list of words (strings)")
    if not isinstance(index, dict) or START not in index or UNK not in index or not all(
            isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in index.values()):
        raise TypeError(f"index must be a dict from word to id that holds {START!r} and {UNK!r}")
    if isinstance(context_size, bool) or not isinstance(context_size, numbers.Integral) or context_size < 1:
        raise ValueError(f"context_size must be an integer >= 1, got {context_size!r}")
    pad = [index[START]] * context_size
    contexts, targets = [], []
    for sentence in sentences:
        ids = pad + _ids(sentence, index)
        for t in range(context_size, len(ids)):
            contexts.append(ids[t - context_size:t])
            targets.append(ids[t])
    return (np.array(contexts, dtype=np.int64).reshape(-1, context_size),
            np.array(targets, dtype=np.int64))


# ---------------------------------------------------------------------------------------------
# The network

def forward(weights, contexts, return_hidden=False):
    """Logits for a batch of contexts (word indices), shape (B, V).

    Parameters
    ----------
    weights : dict of ndarray
        As made by :func:`softmax_lab.training.init_weights` (or ``TinyLM.weights``).
    contexts : array_like of int, shape (B, n)
    return_hidden : bool, default False
        Also return the concatenated embeddings x (B, n d) and the hidden layer h (B, H), which
        the backward pass needs.

    Examples
    --------
    >>> from softmax_lab.training import init_weights
    >>> w = init_weights(10, context_size=3, embed_dim=4, hidden_size=5)
    >>> forward(w, [[0, 0, 1], [2, 3, 4]]).shape
    (2, 10)
    """
    weights = _checked_weights(weights)
    if not isinstance(return_hidden, (bool, np.bool_)):
        raise TypeError(f"return_hidden must be True or False, got {return_hidden!r}")
    contexts = _check_ids(contexts, len(weights["embeddings"]))
    check_shapes(weights, len(weights["embeddings"]), contexts.shape[1])
    with one_blas_thread():                  # small products: more BLAS threads only wait for each other
        x = weights["embeddings"][contexts].reshape(len(contexts), -1)   # (B, n d)
        h = np.tanh(x @ weights["hidden_weight"] + weights["hidden_bias"])  # (B, H)
        logits = h @ weights["output_weight"] + weights["output_bias"]   # (B, V)
    return (logits, x, h) if return_hidden else logits


def _check_ids(contexts, V):
    """``contexts`` as an integer array of word ids in [0, V); refuses anything else by name.

    (numpy would read a negative id as counting from the end of the vocabulary: -1 would
    silently be the last word.)
    """
    ids = np.asarray(contexts)
    if ids.ndim != 2:
        raise ValueError(f"contexts must have shape (B, n): n word ids per row, got shape {ids.shape}")
    if ids.size == 0:
        return ids.astype(np.intp)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"contexts must be integer word ids, got dtype {ids.dtype}")
    low, high = ids.min(), ids.max()
    if low < 0 or high >= V:
        raise ValueError(f"contexts must be word ids in [0, {V}), got values from {low} to {high}")
    return ids


def loss_and_grads(weights, contexts, targets, label_smoothing=0.0):
    r"""The mean cross-entropy of a batch and its gradient for every weight (backprop by hand).

    Notes
    -----
    With B examples, one-hot targets Y and :math:`P = \mathrm{softmax}(Z)`:

    .. math::

        \partial Z &= (P - Y) / B   \qquad \text{(softmax\_lab.cross\_entropy\_grad)}

        \partial W_2 &= h^\top \partial Z, \quad \partial b_2 = \textstyle\sum_{rows} \partial Z

        \partial A &= (\partial Z\, W_2^\top) \odot (1 - h^2) \qquad (\tanh' = 1 - \tanh^2)

        \partial W_1 &= x^\top \partial A, \quad \partial b_1 = \textstyle\sum_{rows} \partial A

        \partial x &= \partial A\, W_1^\top

    and each context word's embedding row receives its slice of :math:`\partial x` (added up
    when a word appears several times in the batch). With ``label_smoothing`` :math:`\epsilon`,
    Y is :math:`(1 - \epsilon)\,\mathrm{onehot} + \epsilon / V` in both the loss and :math:`\partial Z`.

    Returns
    -------
    loss : float
    grads : dict of ndarray
        Same keys and shapes as ``weights``.

    Examples
    --------
    >>> from softmax_lab import gradient_check
    >>> from softmax_lab.training import init_weights
    >>> w = init_weights(6, context_size=2, embed_dim=3, hidden_size=4, seed=1)
    >>> contexts, targets = np.array([[0, 1], [2, 3]]), np.array([4, 5])
    >>> loss, grads = loss_and_grads(w, contexts, targets)
    >>> def loss_of(hidden_weight):
    ...     return loss_and_grads({**w, "hidden_weight": hidden_weight}, contexts, targets)[0]
    >>> gradient_check(loss_of, w["hidden_weight"], grads["hidden_weight"]) < 1e-6
    True
    """
    contexts = np.asarray(contexts)
    logits, x, h = forward(weights, contexts, return_hidden=True)
    loss = float(cross_entropy(logits, targets, label_smoothing=label_smoothing))
    d_logits = cross_entropy_grad(logits, targets, label_smoothing=label_smoothing)   # (P - Y) / B
    with one_blas_thread():
        d_pre = (d_logits @ weights["output_weight"].T) * (1.0 - h**2)      # back through tanh
        d_x = (d_pre @ weights["hidden_weight"].T).reshape(*contexts.shape, -1)
        d_embeddings = np.zeros_like(weights["embeddings"])
        np.add.at(d_embeddings, contexts, d_x)                             # rows used twice add up
        grads = {
            "embeddings": d_embeddings,
            "hidden_weight": x.T @ d_pre,
            "hidden_bias": d_pre.sum(axis=0),
            "output_weight": h.T @ d_logits,
            "output_bias": d_logits.sum(axis=0),
        }
    return loss, grads


# ---------------------------------------------------------------------------------------------
# Using a trained model

def _words(words, name):
    if isinstance(words, str):
        return tokenize(words)
    if isinstance(words, (list, tuple)) and all(isinstance(w, str) for w in words):
        return [w.lower() for w in words]
    raise TypeError(f"{name} must be a string or a list of words (strings), got {words!r}")


def _context_ids(model, words):
    """The model's view of ``words``: the current sentence's last n words, padded with START."""
    n = model.context_size
    if END in words:
        words = words[len(words) - words[::-1].index(END):]   # only after the last "."
    return ([model.index[START]] * n + _ids(words, model.index))[-n:]


def next_token_logits(model, context):
    """The logits of the word that follows ``context``, one per vocabulary word.

    Parameters
    ----------
    model : TinyLM
    context : str or list of str
        ``"the cat sat on the"`` or ``["the", "cat", "sat", "on", "the"]``. Only the words
        after the last ``"."`` (the current sentence) count, and of those only the last
        ``model.context_size``; a shorter context is padded on the left with :data:`START`
        (an empty context asks for the first word of a sentence). Words are lower-cased;
        words not in the vocabulary become :data:`UNK`.

    Returns
    -------
    ndarray, shape (len(model.vocab),)
        float64 logits; ``softmax`` of them is the next-word distribution.

    Examples
    --------
    >>> model = load("best")
    >>> logits = next_token_logits(model, "the cat sat on the")
    >>> logits.shape == (len(model.vocab),)
    True
    >>> model.vocab[int(np.argmax(logits))]
    'mat'
    >>> bool(np.all(logits == next_token_logits(model, "A platypus sat on the")))  # last 3 words
    True
    """
    ids = _context_ids(_model(model), _words(context, "context"))
    return forward(model.weights, np.array([ids]))[0]


def top_words(model, context, k=10):
    """The ``k`` most probable next words after ``context``, as (word, probability) pairs.

    Parameters
    ----------
    model : TinyLM
    context : str or list of str
        As for :func:`next_token_logits`.
    k : int, default 10
        How many words (>= 1); more than the vocabulary gives every word.

    Returns
    -------
    list of (str, float)
        Most probable first; equal probabilities in vocabulary order.

    Examples
    --------
    >>> [(w, round(p, 1)) for w, p in top_words(load("best"), "the cat sat on the", k=1)]
    [('mat', 0.4)]
    """
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")   # k = -1 would drop the last word
    p = softmax(next_token_logits(_model(model), context))
    order = np.argsort(-p, kind="stable")[:k]
    return [(model.vocab[i], float(p[i])) for i in order]


def generate(model, prompt, n_tokens, rng=None, **sampling):
    """Continue ``prompt`` with ``n_tokens`` sampled words.

    Parameters
    ----------
    model : TinyLM
    prompt : str or list of str
        The text to continue (it may be empty: then a new sentence starts).
    n_tokens : int
        How many words to generate (>= 0). After a ``"."`` the model starts a new sentence.
    rng : numpy.random.Generator, int or None
        A Generator, or an int seed (the same seed gives the same text), or None (unseeded).
    **sampling
        ``temperature``, ``top_k``, ``top_p``, ``min_p``: passed to
        :func:`softmax_lab.sampling.sample` (``temperature=0`` is greedy decoding).

    Returns
    -------
    list of str
        The generated words only (not the prompt).

    Examples
    --------
    >>> model = load("best")
    >>> generate(model, "the cat sat on the", 1, temperature=0)
    ['mat']
    >>> generate(model, "the dog", 6, rng=1) == generate(model, "the dog", 6, rng=1)
    True
    """
    from .sampling import sample  # imported here: only needed to generate

    _model(model)
    if isinstance(n_tokens, bool) or not isinstance(n_tokens, numbers.Integral) or n_tokens < 0:
        raise ValueError(f"n_tokens must be an integer >= 0, got {n_tokens!r}")
    rng = as_generator(rng)        # one Generator for the whole text, not one per word
    words = _words(prompt, "prompt")
    out = []
    for _ in range(n_tokens):
        index = int(sample(next_token_logits(model, words + out), rng=rng, **sampling))
        out.append(model.vocab[index])
    return out


def sequence_log_probs(model, words, context=()):
    r"""The log-probability the model gives each word of ``words``, one after the other.

    Word t is scored given ``context`` followed by ``words[:t]`` (as :func:`next_token_logits`
    would see them):

    .. math:: \log p(w_t \mid w_{<t}) = \mathrm{log\_softmax}(z_t)_{w_t}

    Their mean is the average log-probability per word; :math:`\exp(-\text{mean})` is the
    perplexity of the text. Unknown words are scored as :data:`UNK`.

    Parameters
    ----------
    model : TinyLM
    words : str or list of str
        The text to score.
    context : str or list of str, default ()
        Text before ``words`` (e.g. the prompt of a generated continuation), not scored.

    Returns
    -------
    ndarray of float64, shape (len(words),)

    Examples
    --------
    >>> model = load("best")
    >>> lp = sequence_log_probs(model, "mat", context="the cat sat on the")
    >>> bool(np.isclose(np.exp(lp[0]), top_words(model, "the cat sat on the", k=1)[0][1]))
    True
    >>> sequence_log_probs(model, "the cat sat on the mat .").shape
    (7,)
    """
    _model(model)
    words = _words(words, "words")
    before = _words(context, "context")
    if not words:
        return np.zeros(0)
    contexts = np.array([_context_ids(model, before + words[:t]) for t in range(len(words))])
    targets = np.array(_ids(words, model.index))
    logp = log_softmax(forward(model.weights, contexts))
    return logp[np.arange(len(words)), targets]


def split_logits(model, split="validation", directory=None):
    """The model's logits for every word of a corpus split, and the true next words.

    Returns
    -------
    logits : ndarray, shape (N, V)
    targets : ndarray of int, shape (N,)

    Examples
    --------
    >>> logits, targets = split_logits(load("best"))
    >>> logits.shape[0] == targets.shape[0]
    True
    """
    _model(model)
    contexts, targets = make_examples(_data.load_sentences(split, directory), model.index, model.context_size)
    return forward(model.weights, contexts), targets


def perplexity(model, split="validation", directory=None):
    r"""The perplexity of the model on a corpus split.

    .. math:: \mathrm{PPL} = \exp\Big(-\frac{1}{N} \sum_{t=1}^{N} \log p(w_t \mid \text{context}_t)\Big)

    the exponential of the mean cross-entropy: a model as unsure as a fair choice among k
    words has perplexity k.

    Examples
    --------
    >>> ppl = perplexity(load("best"), "validation")
    >>> 1 < ppl < 50
    True
    """
    logits, targets = split_logits(model, split, directory)
    return float(np.exp(cross_entropy(logits, targets)))
