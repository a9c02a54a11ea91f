r"""A tiny transformer language model in numpy: the softmax in every head, forward and backward.

It reads a sentence from the start token ``<s>`` and predicts each next word, over the same
445-word vocabulary as the 3-word MLP of :mod:`softmax_lab.lm`, but it sees the whole sentence so
far. For the tokens :math:`t_0 = \text{<s>}, t_1, \dots, t_{T-1}`:

.. math::

    x &= E[t_i] + P_i \qquad &\text{(token and position embeddings, one row per token)}

    x &\leftarrow x + \mathrm{Attention}(\mathrm{norm}(x)) \qquad &\text{(causal, 4 heads)}

    x &\leftarrow x + W_2\, \mathrm{relu}(W_1\, \mathrm{norm}(x) + b_1) + b_2 \qquad &\text{(the MLP)}

    z &= \mathrm{norm}(x)\, E^\top + c, \qquad p = \mathrm{softmax}(z) &\text{(one logit per word)}

with the middle two lines repeated for each of the 2 layers: a GPT-style decoder, small enough to
read in one sitting. The unembedding is the token embedding E, transposed (tied, as in GPT-2): a
word's logit is the dot product of the final state with the word's own embedding (on this small
corpus, tying also overfits less than a separate matrix). ``norm`` is RMSNorm,
:math:`x / \sqrt{\mathrm{mean}(x^2) + \epsilon} \odot g`, applied before each block
("pre-norm"); the blocks add to the residual stream x. Each head projects the normalised x to
queries, keys and values and computes

.. math:: S = \frac{Q K^\top}{\sqrt{d_h}}, \qquad W = \mathrm{softmax}(S \text{ with } -\infty
          \text{ above the diagonal}), \qquad O = W V

(:func:`softmax_lab.attention.scaled_dot_product_attention` with a causal mask, the boolean form
of :func:`softmax_lab.attention.causal_mask`): token i can only look at tokens 0..i, so the
weights are exactly 0 above the diagonal.

The backward pass is written out by hand (:func:`loss_and_grads`). Inside attention it carries
the gradient through the softmax with lesson 04's Jacobian :math:`J = \mathrm{diag}(p) - p p^\top`,
which for a row of weights w and its gradient dw collapses to

.. math:: dS = W \odot \big(dW - \mathrm{rowsum}(dW \odot W)\big)

(:func:`softmax_lab.transformer_functions.softmax_backward`; the step is marked in
:func:`_attention_backward`).

Every softmax-related step calls a function from the model's table (:data:`FUNCTION_NAMES`);
:func:`plug` swaps in a learner's own and names a wrong one (:mod:`softmax_lab.transformer_functions`).
:mod:`softmax_lab.transformer_training` trains the model (``data/build.py`` trained ``"tiny"``).

Examples
--------
>>> model = load("tiny")
>>> len(model.vocab), model.n_layers, model.n_heads
(445, 2, 4)
>>> generate(model, "the cat sat on the", 1, temperature=0)
['mat']
>>> attention_maps(model, "the cat sat").shape          # (layers, heads, T, T), T = <s> + 3 words
(2, 4, 4, 4)
"""

import numpy as np

from . import _transformer_checks as check
from . import data as _data
from . import lm as _lm
from ._checks import as_generator, integer
from .transformer_functions import FUNCTION_NAMES, broken_functions, draw_next, package_functions, plug, plug_report

__all__ = [
    "CHECKPOINTS", "FUNCTION_NAMES", "SPLITS", "TinyTransformer", "weight_shapes", "init_weights", "load",
    "plug", "plug_report", "broken_functions", "encode", "tokens", "forward", "backward", "loss_and_grads",
    "next_token_logits", "attention_maps", "load_sentences", "make_batch", "sentence_logits", "split_logits",
    "mean_cross_entropy", "perplexity", "generate",
]

CHECKPOINTS = ("tiny",)
#: The corpus splits the module can read: lm's four, the new sentences with a dependency longer
#: than three words (``longrange_*``), and the validation sentences not seen in training.
SPLITS = ("train", "validation", "test", "calibration", "longrange_train", "longrange_validation",
          "validation_dedup")
SETTING_NAMES = ("n_layers", "n_heads", "d_model", "d_mlp", "max_len")
RMS_EPS = 1e-6
VOCAB_BLOCK = 64          # the vocabulary is read in blocks of 64 logits by the online log-sum-exp


# ---------------------------------------------------------------------------------------------
# The model object, its weights, loading

def weight_shapes(vocab_size, n_layers=2, n_heads=4, d_model=32, d_mlp=128, max_len=16):
    """The name and shape of every weight, in order (the checkpoint's keys).

    Examples
    --------
    >>> shapes = weight_shapes(445)
    >>> shapes["token_embedding"], shapes["layer0_query"], shapes["output_bias"]
    ((445, 32), (32, 32), (445,))
    >>> sum(int(np.prod(s)) for s in shapes.values())
    40253
    """
    V = integer(vocab_size, "vocab_size")
    sizes = check.sizes(n_layers, n_heads, d_model, d_mlp, max_len)
    d, m = sizes["d_model"], sizes["d_mlp"]
    shapes = {"token_embedding": (V, d), "position_embedding": (sizes["max_len"], d)}
    for layer in range(sizes["n_layers"]):
        p = f"layer{layer}_"
        shapes.update({p + "attention_norm": (d,), p + "query": (d, d), p + "key": (d, d),
                       p + "value": (d, d), p + "attention_output": (d, d), p + "mlp_norm": (d,),
                       p + "mlp_in": (d, m), p + "mlp_in_bias": (m,), p + "mlp_out": (m, d),
                       p + "mlp_out_bias": (d,)})
    shapes.update({"final_norm": (d,), "output_bias": (V,)})
    return shapes


def init_weights(vocab_size, n_layers=2, n_heads=4, d_model=32, d_mlp=128, max_len=16, seed=0):
    r"""Random starting weights (float64), seeded.

    Embeddings from N(0, 0.1²); each matrix from :math:`N(0, 1/\text{fan-in})`, the two that
    write into the residual stream (``attention_output``, ``mlp_out``) shrunk by
    :math:`1/\sqrt{2 L}` so the stream does not grow with depth; norm gains 1, biases 0.
    """
    shapes = weight_shapes(vocab_size, n_layers, n_heads, d_model, d_mlp, max_len)    # checks the sizes
    rng = np.random.default_rng(integer(seed, "seed", 0))
    weights = {}
    for name, shape in shapes.items():
        if name.endswith("norm"):
            weights[name] = np.ones(shape)
        elif name.endswith("bias"):
            weights[name] = np.zeros(shape)
        elif name.endswith("embedding"):
            weights[name] = rng.normal(0.0, 0.1, shape)
        else:
            std = 1.0 / np.sqrt(shape[0])
            if name.endswith(("attention_output", "mlp_out")):
                std /= np.sqrt(2 * n_layers)
            weights[name] = rng.normal(0.0, std, shape)
    return weights


class TinyTransformer:
    """A transformer language model: vocabulary, settings, weights, and the functions it runs on.

    Parameters
    ----------
    vocab : list of str
        ``vocab[i]`` is the word of logit i; must contain ``"<s>"`` and ``"<unk>"``.
    weights : dict of array_like
        The arrays named by :func:`weight_shapes` (stored as float64).
    n_layers, n_heads, d_model, d_mlp, max_len : int
        Layers, heads per layer, width of the residual stream (divisible by ``n_heads``), width
        of the MLP, and the most tokens (``<s>`` included) the position embeddings cover.
    name : str, optional
    functions : dict, optional
        Name -> function for each of :data:`FUNCTION_NAMES` (the package's by default,
        :func:`softmax_lab.transformer_functions.package_functions`; :func:`plug` makes others).

    Attributes
    ----------
    vocab, index, weights, settings (a dict of the five sizes), n_layers, n_heads, d_model,
    d_mlp, max_len, name, functions
    """

    def __init__(self, vocab, weights, n_layers=2, n_heads=4, d_model=32, d_mlp=128, max_len=16, name=None,
                 functions=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a str or None, got {name!r}")
        self.vocab, self.name = check.vocab(vocab), name
        self.index = {word: i for i, word in enumerate(self.vocab)}
        self.settings = check.sizes(n_layers, n_heads, d_model, d_mlp, max_len)
        for key, value in self.settings.items():
            setattr(self, key, value)
        self.weights = check.weights(weights, weight_shapes(len(self.vocab), **self.settings))
        self.functions = package_functions() if functions is None else check.function_table(functions)

    def __repr__(self):
        label = f" {self.name!r}" if self.name else ""
        n = sum(w.size for w in self.weights.values())
        return (f"<TinyTransformer{label}: {len(self.vocab)} words, {self.n_layers} layers x {self.n_heads} heads, "
                f"d_model {self.d_model}, {n} parameters>")


def load(checkpoint="tiny", directory=None):
    """Load a shipped transformer checkpoint, after checking its files against ``data/MANIFEST``.

    Parameters
    ----------
    checkpoint : {"tiny"}, default "tiny"
    directory : str or Path, optional
        The data folder; ``<repository>/data`` by default.

    Returns
    -------
    TinyTransformer
        With ``.vocab`` the MLP's word list (``data/vocab.json``) and ``.settings``.

    Raises
    ------
    ValueError
        An unknown checkpoint name, or a file that lacks a setting or a weight.
    FileNotFoundError, softmax_lab.data.DataIntegrityError
        A missing file, or one whose sha256 differs from the MANIFEST's.

    Examples
    --------
    >>> load("tiny").settings
    {'n_layers': 2, 'n_heads': 4, 'd_model': 32, 'd_mlp': 128, 'max_len': 16}
    >>> load("large")
    Traceback (most recent call last):
    ...
    ValueError: checkpoint must be one of 'tiny', got 'large'
    """
    if not isinstance(checkpoint, str) or checkpoint not in CHECKPOINTS:
        raise ValueError(f"checkpoint must be one of {', '.join(map(repr, CHECKPOINTS))}, got {checkpoint!r}")
    vocab = _data.load_json(_lm.VOCAB_FILE, directory)["words"]
    name = f"transformer_{checkpoint}.npz"
    arrays = _data.load_npz(name, directory)
    missing = [key for key in SETTING_NAMES if key not in arrays]
    if missing:
        raise ValueError(f"checkpoint {checkpoint!r} ({name}) lacks the setting(s) {', '.join(missing)}; "
                         "rebuild the data with `make data`")
    settings = {key: int(arrays[key]) for key in SETTING_NAMES}
    return TinyTransformer(vocab, arrays, name=checkpoint, **settings)


# ---------------------------------------------------------------------------------------------
# Text -> token ids

def encode(model, words):
    """``<s>`` followed by the ids of ``words`` (a text or a list of words; unknown words become
    ``<unk>``), a list of ints."""
    unk = check.model(model).index[_lm.UNK]
    return [model.index[_lm.START]] + [model.index.get(w, unk) for w in check.words(words, "words")]


def tokens(model, text):
    """The tokens :func:`attention_maps` shows for ``text``: ``<s>`` and the sentence's words.

    Examples
    --------
    >>> tokens(load("tiny"), "The cat sat")
    ['<s>', 'the', 'cat', 'sat']
    """
    return [model.vocab[i] for i in _sentence_ids(check.model(model), text)]


def _sentence_ids(model, text):
    return encode(model, check.one_sentence(text, model.max_len))


# ---------------------------------------------------------------------------------------------
# Forward

def _rms_norm(x, gain):
    r"""RMSNorm: :math:`\hat x = x / \sqrt{\mathrm{mean}(x^2) + \epsilon}`, then times the gain."""
    r = 1.0 / np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + RMS_EPS)
    return x * r * gain, (x * r, r)


def _split_heads(x, n_heads):
    """(B, T, d) -> (B, H, T, d / H): each head gets its own slice of the features."""
    B, T, d = x.shape
    return x.reshape(B, T, n_heads, d // n_heads).transpose(0, 2, 1, 3)


def _merge_heads(x):
    """(B, H, T, d_h) -> (B, T, H d_h): the heads' outputs side by side."""
    B, H, T, dh = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, T, H * dh)


def forward(model, ids, return_cache=False):
    """The logits after every position of a batch of token sequences.

    Parameters
    ----------
    model : TinyTransformer
    ids : array_like of int, shape (B, T)
        Token ids, each row starting with ``<s>``; T <= ``model.max_len``. Rows of different
        lengths may be padded on the right with any id: causal attention never lets an earlier
        position see the padding.
    return_cache : bool, default False
        Also return what :func:`loss_and_grads`'s backward pass needs (a dict).

    Returns
    -------
    ndarray, shape (B, T, V)
        ``logits[b, i]`` scores the word after token i of row b.
    """
    ids = check.ids(check.model(model), ids)
    return_cache = check.flag(return_cache, "return_cache")
    W, f, H = model.weights, model.functions, model.n_heads
    T = ids.shape[1]
    mask = np.tril(np.ones((T, T), dtype=bool))              # True: token i may look at token j <= i
    x = W["token_embedding"][ids] + W["position_embedding"][:T]
    layers = []
    for layer in range(model.n_layers):
        p = f"layer{layer}_"
        h, norm1 = _rms_norm(x, W[p + "attention_norm"])
        q, k, v = (_split_heads(h @ W[p + name], H) for name in ("query", "key", "value"))
        heads = f["attention"](q, k, v, mask)                 # softmax(q k^T / sqrt(d_h), masked) v
        a = _merge_heads(heads)
        x = x + a @ W[p + "attention_output"]
        h2, norm2 = _rms_norm(x, W[p + "mlp_norm"])
        u = h2 @ W[p + "mlp_in"] + W[p + "mlp_in_bias"]
        r = np.maximum(u, 0.0)
        x = x + r @ W[p + "mlp_out"] + W[p + "mlp_out_bias"]
        layers.append(dict(h=h, norm1=norm1, q=q, k=k, v=v, a=a, h2=h2, norm2=norm2, u=u, r=r))
    hf, normf = _rms_norm(x, W["final_norm"])
    logits = hf @ W["token_embedding"].T + W["output_bias"]
    if return_cache:
        return logits, dict(ids=ids, mask=mask, layers=layers, hf=hf, normf=normf)
    return logits


def _attention_weights(q, k, mask, softmax_fn):
    """softmax(q k^T / sqrt(d_h)) with -inf where ``mask`` is False: (B, H, T, T)."""
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    return softmax_fn(np.where(mask, scores, -np.inf))


# ---------------------------------------------------------------------------------------------
# Backward

def _rms_norm_backward(dy, gain, cache):
    r"""Through :math:`y = g \odot \hat x`, :math:`\hat x = x r`, :math:`r = (\mathrm{mean}(x^2) + \epsilon)^{-1/2}`:

    .. math:: dg = \textstyle\sum \hat x \odot dy, \qquad
              dx = r \big(d\hat x - \hat x\, \mathrm{mean}(d\hat x \odot \hat x)\big), \quad d\hat x = g \odot dy
    """
    xhat, r = cache
    d_gain = np.sum(dy * xhat, axis=(0, 1))
    dxhat = dy * gain
    return r * (dxhat - xhat * np.mean(dxhat * xhat, axis=-1, keepdims=True)), d_gain


def _attention_backward(q, k, v, mask, d_out, functions):
    r"""Gradients of the attention inputs q, k, v from that of its output O = W V.

    The weights W are recomputed from q and k instead of being kept from the forward pass (as
    FlashAttention's backward pass does). Then, with :math:`S = Q K^\top / \sqrt{d_h}`:

    .. math::

        dV = W^\top dO, \qquad dW = dO\, V^\top

        dS = W \odot \big(dW - \mathrm{rowsum}(dW \odot W)\big)
        \qquad \text{(the softmax Jacobian of lesson 04, } J = \mathrm{diag}(w) - w w^\top)

        dQ = dS\, K / \sqrt{d_h}, \qquad dK = dS^\top Q / \sqrt{d_h}

    Masked keys have weight exactly 0, so their dS is exactly 0: no gradient flows to the future.
    """
    weights = _attention_weights(q, k, mask, functions["softmax"])
    dv = np.swapaxes(weights, -1, -2) @ d_out
    d_weights = d_out @ np.swapaxes(v, -1, -2)
    d_scores = functions["attention_backward"](d_weights, weights)     # <- lesson 04's softmax Jacobian
    scale = 1.0 / np.sqrt(q.shape[-1])
    dq = d_scores @ k * scale
    dk = np.swapaxes(d_scores, -1, -2) @ q * scale
    return dq, dk, dv


def _flat(x):
    return x.reshape(-1, x.shape[-1])


def backward(model, cache, d_logits):
    """Gradients of every weight, from the gradient of the logits (B, T, V), by the chain rule."""
    cache = check.cache(cache, check.model(model))
    d_logits = check.d_logits(d_logits, (*cache["ids"].shape, len(model.vocab)))
    W, grads = model.weights, {}
    ids, mask, layers = cache["ids"], cache["mask"], cache["layers"]
    d_unembedding = _flat(d_logits).T @ _flat(cache["hf"])         # (V, d): the embedding's second use
    grads["output_bias"] = d_logits.sum(axis=(0, 1))
    dx, grads["final_norm"] = _rms_norm_backward(d_logits @ W["token_embedding"], W["final_norm"], cache["normf"])
    for layer in reversed(range(model.n_layers)):
        p, c = f"layer{layer}_", layers[layer]
        # MLP block: x <- x + relu(h2 W1 + b1) W2 + b2
        grads[p + "mlp_out"] = _flat(c["r"]).T @ _flat(dx)
        grads[p + "mlp_out_bias"] = dx.sum(axis=(0, 1))
        du = (dx @ W[p + "mlp_out"].T) * (c["u"] > 0)             # relu' = 1 where u > 0
        grads[p + "mlp_in"] = _flat(c["h2"]).T @ _flat(du)
        grads[p + "mlp_in_bias"] = du.sum(axis=(0, 1))
        d_norm, grads[p + "mlp_norm"] = _rms_norm_backward(du @ W[p + "mlp_in"].T, W[p + "mlp_norm"], c["norm2"])
        dx = dx + d_norm                                           # the residual adds both paths
        # attention block: x <- x + merge(heads) W_o
        grads[p + "attention_output"] = _flat(c["a"]).T @ _flat(dx)
        d_heads = _split_heads(dx @ W[p + "attention_output"].T, model.n_heads)
        dq, dk, dv = _attention_backward(c["q"], c["k"], c["v"], mask, d_heads, model.functions)
        dh = 0.0
        for name, d in (("query", dq), ("key", dk), ("value", dv)):
            d = _merge_heads(d)
            grads[p + name] = _flat(c["h"]).T @ _flat(d)
            dh = dh + d @ W[p + name].T
        d_norm, grads[p + "attention_norm"] = _rms_norm_backward(dh, W[p + "attention_norm"], c["norm1"])
        dx = dx + d_norm
    grads["token_embedding"] = d_unembedding
    np.add.at(grads["token_embedding"], ids, dx)                  # a token used twice adds up
    grads["position_embedding"] = np.zeros_like(W["position_embedding"])
    grads["position_embedding"][:ids.shape[1]] = dx.sum(axis=0)
    return {key: grads[key] for key in W}


def loss_and_grads(model, ids, targets):
    r"""The mean cross-entropy of a batch and the gradient of every weight (backprop by hand).

    Parameters
    ----------
    model : TinyTransformer
    ids : array_like of int, shape (B, T)
        Inputs, as for :func:`forward`.
    targets : array_like of int, shape (B, T)
        The word after each input token; ``-1`` marks padding (no loss there).

    Returns
    -------
    loss : float
        :math:`-\frac{1}{N}\sum \log p(\text{target})` over the N real targets, from the model's
        ``log_softmax``.
    grads : dict of ndarray
        Same keys and shapes as ``model.weights``.

    Notes
    -----
    The chain starts at :math:`\partial z = (p - y) / N` (``cross_entropy_grad``) and runs back
    through the unembedding (the token embedding's second use), the final norm, and each
    layer's MLP and attention blocks (:func:`_attention_backward`, where the softmax Jacobian
    sits); each residual connection adds its block's gradient to the one passing straight through.

    Examples
    --------
    >>> from softmax_lab import gradient_check
    >>> model = TinyTransformer(["<s>", "<unk>", ".", "a", "b"], init_weights(5, d_model=8, d_mlp=8, max_len=4),
    ...                         d_model=8, d_mlp=8, max_len=4, n_heads=2)
    >>> ids, targets = np.array([[0, 3, 4]]), np.array([[3, 4, 2]])
    >>> loss, grads = loss_and_grads(model, ids, targets)
    >>> def loss_of(w):
    ...     model.weights["layer0_key"] = w
    ...     return loss_and_grads(model, ids, targets)[0]
    >>> gradient_check(loss_of, model.weights["layer0_key"].copy(), grads["layer0_key"]) < 1e-6
    True
    """
    ids = check.ids(check.model(model), ids)
    targets = check.targets(targets, ids.shape, len(model.vocab))
    logits, cache = forward(model, ids, return_cache=True)
    real = targets >= 0
    z, t = logits[real], targets[real]
    f = model.functions
    loss = -float(np.mean(f["log_softmax"](z)[np.arange(len(t)), t]))
    d_logits = np.zeros_like(logits)
    d_logits[real] = f["cross_entropy_grad"](z, t)                # (p - y) / N
    return loss, backward(model, cache, d_logits)


# ---------------------------------------------------------------------------------------------
# Using a trained model

def next_token_logits(model, text):
    """The logits of the word that follows ``text``, shape (V,).

    Only the words after the last ``"."`` count (the current sentence), read from ``<s>``; a
    sentence longer than ``max_len - 1`` words keeps ``<s>`` and its last ``max_len - 1`` words.

    Examples
    --------
    >>> model = load("tiny")
    >>> logits = next_token_logits(model, "the cat sat on the")
    >>> logits.shape, model.vocab[int(np.argmax(logits))]
    ((445,), 'mat')
    """
    words = check.words(text, "text")
    if _lm.END in words:                                       # the current sentence: after the last "."
        words = words[len(words) - words[::-1].index(_lm.END):]
    words = words[max(0, len(words) - check.model(model).max_len + 1):]    # <s> + the last max_len - 1
    return forward(model, np.array([encode(model, words)]))[0, -1]


def attention_maps(model, text):
    """Every head's attention weights for one sentence: shape (n_layers, n_heads, T, T).

    ``T`` counts the tokens the model reads, ``<s>`` and then the words (:func:`tokens` gives
    them). Row i is how token i spreads its attention over tokens 0..i: each row sums to 1,
    and everything above the diagonal is exactly 0.

    Examples
    --------
    >>> maps = attention_maps(load("tiny"), "the cat sat on the mat")
    >>> maps.shape
    (2, 4, 7, 7)
    >>> bool(np.allclose(maps.sum(axis=-1), 1)), bool(np.all(np.triu(maps, 1) == 0))
    (True, True)
    """
    ids = np.array([_sentence_ids(check.model(model), text)])
    _, cache = forward(model, ids, return_cache=True)
    return np.stack([_attention_weights(c["q"], c["k"], cache["mask"], model.functions["softmax"])[0]
                     for c in cache["layers"]])


def load_sentences(split, directory=None):
    """A corpus split as lists of words (checked against the MANIFEST); see :data:`SPLITS`."""
    check.corpus(split, directory, SPLITS)
    text = _data.load_text(f"corpus_{split}.txt", directory)
    return [line.split() for line in text.splitlines() if line.strip()]


def make_batch(model, sentences):
    """Whole sentences as one right-padded batch: ``ids`` (B, T) and ``targets`` (B, T), -1 at padding.

    Row b is ``<s> w1 ... w_{n-1}`` with targets ``w1 ... w_n``: every word, ``"."`` included, is
    predicted from ``<s>`` and the words before it (the same N predictions as the MLP's).

    Examples
    --------
    >>> ids, targets = make_batch(load("tiny"), [["the", "cat", "."], ["it", "."]])
    >>> targets.tolist() == [[2, 10, 3], [8, 3, -1]]
    True
    """
    sentences = check.sentences(sentences, max_words=check.model(model).max_len)
    rows = [encode(model, s) for s in sentences]
    T = max(len(r) for r in rows) - 1
    ids = np.full((len(rows), T), model.index[_lm.START], dtype=np.int64)
    targets = np.full((len(rows), T), -1, dtype=np.int64)
    for b, r in enumerate(rows):
        ids[b, :len(r) - 1], targets[b, :len(r) - 1] = r[:-1], r[1:]
    return ids, targets


def sentence_logits(model, sentences, batch_size=256):
    """The logits for every word of ``sentences`` (N, V) and the true words (N,), in reading order."""
    sentences = check.sentences(sentences, max_words=check.model(model).max_len)
    step = integer(batch_size, "batch_size")
    batches = [make_batch(model, sentences[i:i + step]) for i in range(0, len(sentences), step)]
    targets = np.concatenate([t[t >= 0] for _, t in batches])
    logits, start = None, 0
    for ids, batch_targets in batches:       # into one array: no list of blocks to concatenate (half the memory)
        block = forward(model, ids)[batch_targets >= 0]
        logits = np.empty((len(targets), block.shape[1]), block.dtype) if logits is None else logits
        logits[start:start + len(block)] = block
        start += len(block)
    return logits, targets


def split_logits(model, split="validation", directory=None):
    """:func:`sentence_logits` of a corpus split (as :func:`softmax_lab.lm.split_logits`)."""
    return sentence_logits(check.model(model), load_sentences(split, directory))


def mean_cross_entropy(model, sentences):
    r"""The mean of :math:`-\log p(w_t \mid \text{<s>}\, w_{<t})` over the words of ``sentences`` (nats).

    Each word's :math:`-\log p = \mathrm{LSE}(z) - z_{target}`, the log-sum-exp taken one block of
    64 vocabulary entries at a time by the model's ``online_logsumexp`` (as a model whose
    vocabulary does not fit in memory at once would).
    """
    logits, targets = sentence_logits(model, sentences)
    blocks = np.split(logits, range(VOCAB_BLOCK, logits.shape[1], VOCAB_BLOCK), axis=1)
    lse = model.functions["online_logsumexp"](blocks)                       # (N,)
    return float(np.mean(lse - logits[np.arange(len(targets)), targets]))


def perplexity(model, split="validation", directory=None):
    r"""The perplexity on a corpus split, :math:`\exp` of :func:`mean_cross_entropy` (as ``lm.perplexity``).

    Examples
    --------
    >>> from softmax_lab import lm
    >>> bool(perplexity(load("tiny")) <= lm.perplexity(lm.load("best")))
    True
    """
    return float(np.exp(mean_cross_entropy(check.model(model), load_sentences(split, directory))))


def generate(model, prompt, n_tokens, rng=None, **sampling):
    """Continue ``prompt`` with ``n_tokens`` sampled words (as :func:`softmax_lab.lm.generate`).

    Parameters
    ----------
    model : TinyTransformer
    prompt : str or list of str
    n_tokens : int
        How many words (>= 0); after a ``"."`` a new sentence starts.
    rng : numpy.random.Generator, int or None
    **sampling
        ``temperature`` (0 = greedy), ``top_k``, ``top_p``, ``min_p``, applied by the model's
        functions (:func:`softmax_lab.transformer_functions.draw_next`).

    Returns
    -------
    list of str
        The generated words only.

    Examples
    --------
    >>> model = load("tiny")
    >>> generate(model, "the dog", 6, rng=1) == generate(model, "the dog", 6, rng=1)
    True
    """
    check.model(model)
    n_tokens, words = integer(n_tokens, "n_tokens", 0), check.words(prompt, "prompt")
    check.sampling(**sampling)                # refused now, even when no word is drawn
    rng = as_generator(rng)                   # one Generator for the whole text
    out = []
    for _ in range(n_tokens):
        index = draw_next(model.functions, next_token_logits(model, words + out), rng, **sampling)
        out.append(model.vocab[index])
    return out
