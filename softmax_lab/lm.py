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
lowest validation loss) and ``"overtrained"`` (trained far too long on a small subset:
worse on new text and overconfident).

Examples
--------
>>> model = load("best")
>>> model.context_size
3
>>> [word for word, p in top_words(model, "the cat sat on the", k=2)]
['mat', 'floor']
"""

import numbers
import time
from dataclasses import dataclass, field

import numpy as np

from . import data as _data
from .functions import log_softmax, softmax
from .losses import cross_entropy, cross_entropy_grad

__all__ = [
    "START",
    "UNK",
    "END",
    "CHECKPOINTS",
    "TinyLM",
    "TrainResult",
    "load",
    "tokenize",
    "build_vocab",
    "make_examples",
    "init_weights",
    "forward",
    "loss_and_grads",
    "train",
    "next_token_logits",
    "top_words",
    "generate",
    "sequence_log_probs",
    "split_logits",
    "perplexity",
]

START = "<s>"
UNK = "<unk>"
END = "."
CHECKPOINTS = ("early", "best", "overtrained")
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
        _check_shapes(self.weights, len(self.vocab), self.context_size)
        self.name = name

    def __repr__(self):
        d = self.weights["embeddings"].shape[1]
        H = self.weights["hidden_bias"].shape[0]
        label = f" {self.name!r}" if self.name else ""
        return (f"<TinyLM{label}: {len(self.vocab)} words, context {self.context_size}, "
                f"embeddings {d}, hidden {H}>")


def _check_shapes(weights, V, n):
    E = weights["embeddings"]
    if E.ndim != 2 or E.shape[0] != V:
        raise ValueError(f"embeddings must have shape ({V}, d) for a vocabulary of {V} words, got {E.shape}")
    d = E.shape[1]
    H = weights["hidden_bias"].shape[0] if weights["hidden_bias"].ndim == 1 else -1
    expected = {"hidden_weight": (n * d, H), "hidden_bias": (H,), "output_weight": (H, V), "output_bias": (V,)}
    for key, shape in expected.items():
        if weights[key].shape != shape:
            raise ValueError(f"{key} must have shape {shape}, got {weights[key].shape}")


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
        An unknown checkpoint name (the message lists the valid ones).
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
    ValueError: checkpoint must be one of 'early', 'best', 'overtrained', got 'latest'
    """
    if not isinstance(checkpoint, str) or checkpoint not in CHECKPOINTS:
        raise ValueError(f"checkpoint must be one of {', '.join(map(repr, CHECKPOINTS))}, got {checkpoint!r}")
    vocab = _data.load_json(VOCAB_FILE, directory)["words"]
    arrays = _data.load_npz(f"lm_{checkpoint}.npz", directory)
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


def build_vocab(sentences, min_count=2):
    """The vocabulary of a training set: special tokens first, then words by frequency.

    Words seen fewer than ``min_count`` times are left out; in the training data they count as
    :data:`UNK`, which is how the model learns to handle words it does not know.

    Parameters
    ----------
    sentences : list of list of str
    min_count : int, default 2

    Returns
    -------
    words : list of str
        ``[START, UNK, <words by decreasing count, ties alphabetical>]``.
    counts : list of int
        How often each entry occurs in ``sentences`` (``UNK``: all the rare words together;
        ``START``: 0, it is never a word of the text).

    Examples
    --------
    >>> build_vocab([["a", "cat", "."], ["a", "dog", "."]], min_count=2)
    (['<s>', '<unk>', '.', 'a'], [0, 2, 2, 2])
    """
    counts = {}
    for sentence in sentences:
        for word in sentence:
            counts[word] = counts.get(word, 0) + 1
    kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    rare = sum(c for c in counts.values() if c < min_count)
    return [START, UNK] + kept, [0, rare] + [counts[w] for w in kept]


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

def init_weights(vocab_size, context_size=3, embed_dim=16, hidden_size=64, seed=0):
    r"""Random starting weights (float64), seeded.

    Embeddings are drawn from N(0, 0.1²); each weight matrix from
    :math:`N(0, 1/\text{fan-in})`, which keeps the tanh inputs and the logits of order 1;
    biases start at 0.

    Examples
    --------
    >>> w = init_weights(10, context_size=3, embed_dim=4, hidden_size=5)
    >>> {k: v.shape for k, v in w.items()}
    {'embeddings': (10, 4), 'hidden_weight': (12, 5), 'hidden_bias': (5,), 'output_weight': (5, 10), 'output_bias': (10,)}
    """
    rng = np.random.default_rng(seed)
    n_in = context_size * embed_dim
    return {
        "embeddings": rng.normal(0.0, 0.1, (vocab_size, embed_dim)),
        "hidden_weight": rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_in, hidden_size)),
        "hidden_bias": np.zeros(hidden_size),
        "output_weight": rng.normal(0.0, 1.0 / np.sqrt(hidden_size), (hidden_size, vocab_size)),
        "output_bias": np.zeros(vocab_size),
    }


def forward(weights, contexts, return_hidden=False):
    """Logits for a batch of contexts (word indices), shape (B, V).

    Parameters
    ----------
    weights : dict of ndarray
        As made by :func:`init_weights` (or ``TinyLM.weights``).
    contexts : array_like of int, shape (B, n)
    return_hidden : bool, default False
        Also return the concatenated embeddings x (B, n d) and the hidden layer h (B, H), which
        the backward pass needs.

    Examples
    --------
    >>> w = init_weights(10, context_size=3, embed_dim=4, hidden_size=5)
    >>> forward(w, [[0, 0, 1], [2, 3, 4]]).shape
    (2, 10)
    """
    contexts = np.asarray(contexts)
    x = weights["embeddings"][contexts].reshape(len(contexts), -1)   # (B, n d)
    h = np.tanh(x @ weights["hidden_weight"] + weights["hidden_bias"])  # (B, H)
    logits = h @ weights["output_weight"] + weights["output_bias"]   # (B, V)
    return (logits, x, h) if return_hidden else logits


def loss_and_grads(weights, contexts, targets):
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
    when a word appears several times in the batch).

    Returns
    -------
    loss : float
    grads : dict of ndarray
        Same keys and shapes as ``weights``.

    Examples
    --------
    >>> from softmax_lab import gradient_check
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
    loss = float(cross_entropy(logits, targets))
    d_logits = cross_entropy_grad(logits, targets)                     # (P - Y) / B
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


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    weights : dict of ndarray
        The weights after the last step.
    losses : ndarray
        The mini-batch training loss of every step.
    eval_steps : list of int
        The steps after which the validation loss was measured.
    val_losses : list of float
        The validation loss (mean cross-entropy, nats per word) at those steps.
    train_losses : list of float
        The mean mini-batch loss over the steps since the previous evaluation.
    best_weights : dict of ndarray or None
        The weights with the lowest validation loss (None without validation data).
    best_step : int or None
    snapshots : dict
        Step -> weights after that step, for the steps asked for in ``snapshot_steps``.
    seconds : float
        Wall-clock training time.
    """

    weights: dict
    losses: np.ndarray
    eval_steps: list = field(default_factory=list)
    val_losses: list = field(default_factory=list)
    train_losses: list = field(default_factory=list)
    best_weights: dict = None
    best_step: int = None
    snapshots: dict = field(default_factory=dict)
    seconds: float = 0.0


def _copy(weights):
    return {k: v.copy() for k, v in weights.items()}


def train(contexts, targets, vocab_size, *, steps=2000, batch_size=128, learning_rate=3e-3,
          lr_decay=False, weight_decay=0.0, embed_dim=16, hidden_size=64, seed=0, init=None,
          validation=None, eval_every=100, snapshot_steps=()):
    r"""Train the model with mini-batch Adam (decoupled weight decay, as in AdamW).

    Parameters
    ----------
    contexts, targets : ndarray of int
        Training examples, from :func:`make_examples`.
    vocab_size : int
    steps : int, default 2000
        Number of updates.
    batch_size : int, default 128
        Examples per update, drawn uniformly at random (with replacement) from the training set.
    learning_rate : float, default 3e-3
        Adam's step size.
    lr_decay : bool, default False
        If True, the step size falls linearly from ``learning_rate`` (step 1) towards 0 (after
        the last step). Small final steps let the weights settle instead of jittering with
        each mini-batch.
    weight_decay : float, default 0.0
        Each step also shrinks the weight matrices and embeddings (not the biases) by
        ``lr * weight_decay`` times themselves (lr: the current step size).
    embed_dim, hidden_size : int
        d and H (used only when ``init`` is None).
    seed : int, default 0
        Seeds both the initial weights and the order of the mini-batches.
    init : dict of ndarray, optional
        Starting weights (copied) instead of :func:`init_weights`.
    validation : tuple (contexts, targets), optional
        Measured every ``eval_every`` steps (and after the last step); the best weights are kept.
    eval_every : int, default 100
    snapshot_steps : iterable of int
        Keep a copy of the weights after these steps.

    Returns
    -------
    TrainResult

    Notes
    -----
    Adam (Kingma and Ba, 2015) keeps running means of each gradient g and of its square and
    steps by their ratio, with :math:`\beta_1 = 0.9, \beta_2 = 0.999, \epsilon = 10^{-8}`:

    .. math::

        m \leftarrow \beta_1 m + (1-\beta_1) g, \quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2, \quad
        w \leftarrow w - \eta \left( \frac{m / (1-\beta_1^t)}{\sqrt{v / (1-\beta_2^t)} + \epsilon}
                                     + \lambda w \right)

    where :math:`\lambda` is ``weight_decay`` (0 for the biases) and :math:`\eta` the step size:
    ``learning_rate``, or with ``lr_decay`` :math:`\eta_t = \eta\,(1 - (t-1)/\text{steps})`.

    Examples
    --------
    >>> contexts = np.array([[0, 0], [0, 2], [2, 3]]); targets = np.array([2, 3, 1])
    >>> result = train(contexts, targets, vocab_size=4, steps=60, batch_size=3,
    ...                learning_rate=0.05, embed_dim=3, hidden_size=8)
    >>> bool(result.losses[-1] < result.losses[0] / 10)
    True
    """
    contexts = np.asarray(contexts)
    targets = np.asarray(targets)
    if contexts.ndim != 2 or len(contexts) != len(targets) or len(targets) == 0:
        raise ValueError(f"contexts must have shape (N, n) and targets shape (N,) with N > 0, "
                         f"got {contexts.shape} and {targets.shape}")
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    weights = _copy(init) if init is not None else init_weights(
        vocab_size, contexts.shape[1], embed_dim, hidden_size, seed=seed)
    m = {k: np.zeros_like(v) for k, v in weights.items()}
    v = {k: np.zeros_like(w) for k, w in weights.items()}
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    decayed = ("embeddings", "hidden_weight", "output_weight")
    result = TrainResult(weights=weights, losses=np.zeros(steps))
    best = np.inf
    snapshot_steps = set(snapshot_steps)

    for step in range(1, steps + 1):
        lr = learning_rate * (1 - (step - 1) / steps) if lr_decay else learning_rate
        batch = rng.integers(0, len(targets), size=batch_size)
        loss, grads = loss_and_grads(weights, contexts[batch], targets[batch])
        result.losses[step - 1] = loss
        for k, g in grads.items():
            m[k] = beta1 * m[k] + (1 - beta1) * g
            v[k] = beta2 * v[k] + (1 - beta2) * g**2
            m_hat = m[k] / (1 - beta1**step)
            v_hat = v[k] / (1 - beta2**step)
            update = m_hat / (np.sqrt(v_hat) + eps)
            if weight_decay and k in decayed:
                update = update + weight_decay * weights[k]
            weights[k] -= lr * update
        if step in snapshot_steps:
            result.snapshots[step] = _copy(weights)
        if validation is not None and (step % eval_every == 0 or step == steps):
            val_loss = float(cross_entropy(forward(weights, validation[0]), validation[1]))
            since = result.eval_steps[-1] if result.eval_steps else 0
            result.eval_steps.append(step)
            result.val_losses.append(val_loss)
            result.train_losses.append(float(np.mean(result.losses[since:step])))
            if val_loss < best:
                best = val_loss
                result.best_weights, result.best_step = _copy(weights), step
    result.seconds = time.perf_counter() - start
    return result


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
    ids = _context_ids(model, _words(context, "context"))
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
    p = softmax(next_token_logits(model, context))
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
    from .sampling import _as_generator, sample   # imported here: only needed to generate

    if isinstance(n_tokens, bool) or not isinstance(n_tokens, numbers.Integral) or n_tokens < 0:
        raise ValueError(f"n_tokens must be an integer >= 0, got {n_tokens!r}")
    rng = _as_generator(rng)       # one Generator for the whole text, not one per word
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
