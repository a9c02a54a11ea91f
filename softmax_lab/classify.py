r"""Data and features for softmax regression: sentiment sentences and synthetic shape images.

Softmax regression is the output layer of a language model with the hidden state replaced by
features made by hand:

.. math::

    z = x W + b, \qquad p = \mathrm{softmax}(z), \qquad
    \ell = \frac{1}{N} \sum_n -\log p_{n, y_n}

An LLM computes ``x`` with many layers (the hidden state) and has one column of ``W`` per
vocabulary word; here ``x`` is a bag of words or the pixels of an image, and there is one
column per class. The gradient is the one every LLM uses for its output layer:

.. math:: \frac{\partial \ell}{\partial W} = x^\top (p - Y) / N, \qquad
          \frac{\partial \ell}{\partial b} = \textstyle\sum_n (p_n - Y_n) / N

with ``Y`` the one-hot targets. This module deliberately has **no trainer**: the learner
writes the few lines of a gradient step from :func:`softmax_lab.cross_entropy_grad` (which
returns ``(p - Y) / N``). It provides the data, the features and the bookkeeping:

* :func:`load_sentiment`: the course's small labelled set (``data/sentiment.tsv``, read with
  checksum verification); :func:`words`, :func:`build_vocabulary`, :func:`bag_of_words`;
* :func:`make_shapes`: seeded images of circles, squares and triangles with jitter and noise;
* :func:`train_test_split`, :func:`one_hot`, :func:`accuracy`.

Supported range: texts are lists of strings (any alphabet; a word is letters and apostrophes);
``scores`` (N, K) real numbers with N, K >= 1 (``-inf`` a masked class; NaN, ``+inf`` and
strings refused); ``labels`` integers in [0, K); :func:`make_shapes`: ``size`` >= 6, ``noise``
in [0, 2], ``jitter`` in [0, size / 4]; fractions in [0, 1]; seeds integers >= 0. Anything else
is refused, naming the argument.

Examples
--------
>>> import numpy as np
>>> from softmax_lab import cross_entropy, cross_entropy_grad
>>> texts, y = load_sentiment()
>>> vocab = build_vocabulary(texts)
>>> X = bag_of_words(texts, vocab)
>>> W, b = np.zeros((X.shape[1], 3)), np.zeros(3)
>>> round(float(cross_entropy(X @ W + b, y)), 4)        # log 3 before training
1.0986
>>> for _ in range(100):                                # the whole training loop
...     g = cross_entropy_grad(X @ W + b, y)            # (p - Y) / N
...     W, b = W - 0.5 * X.T @ g, b - 0.5 * g.sum(axis=0)
>>> accuracy(X @ W + b, y) > 0.9
True
"""

import numbers
import re
import unicodedata
from collections import Counter

import numpy as np

from . import data as _data
from ._checks import float_array, integer, row_max

__all__ = [
    "SENTIMENT_LABELS",
    "SHAPE_NAMES",
    "SENTIMENT_FILE",
    "load_sentiment",
    "words",
    "build_vocabulary",
    "bag_of_words",
    "make_shapes",
    "train_test_split",
    "one_hot",
    "accuracy",
]

SENTIMENT_LABELS = ("negative", "neutral", "positive")
SHAPE_NAMES = ("circle", "square", "triangle")
SENTIMENT_FILE = "sentiment.tsv"
_WORD = re.compile(r"(?:[^\W\d_]|')+")     # letters of any alphabet (not digits or _), and apostrophes




def _fraction(value, name, low, high):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    if not low <= value <= high:          # also refuses NaN (and compares huge ints exactly)
        raise ValueError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    return float(value)


def _texts(texts, name="texts"):
    if isinstance(texts, str):
        raise TypeError(f"{name} must be a list of strings, not one string (wrap it: [text])")
    if not np.iterable(texts):
        raise TypeError(f"{name} must be a list of strings, got {texts!r}")
    texts = list(texts)
    for t in texts:
        if not isinstance(t, str):
            raise TypeError(f"{name} must contain only strings, got {t!r}")
    return texts


# ---------------------------------------------------------------------------------------------
# sentiment: data and bag-of-words features

def load_sentiment(directory=None):
    """The course's sentiment set: short reviews labelled negative, neutral or positive.

    Written for this course by a seeded template grammar (``data/sentiment_grammar.py``);
    the file is checked against ``data/MANIFEST`` before it is parsed.

    Parameters
    ----------
    directory : str or Path, optional
        The data folder (default: the repository's ``data/``).

    Returns
    -------
    texts : list of str
    labels : ndarray of int64
        Indices into :data:`SENTIMENT_LABELS` (0 negative, 1 neutral, 2 positive).

    Examples
    --------
    >>> texts, labels = load_sentiment()
    >>> len(texts), np.bincount(labels).tolist()
    (390, [130, 130, 130])
    """
    lines = _data.load_text(SENTIMENT_FILE, directory).splitlines()
    if not lines or lines[0] != "label\tsentence":
        raise _data.DataIntegrityError(f"{SENTIMENT_FILE} must start with the header 'label<TAB>sentence'")
    texts, labels = [], []
    for number, line in enumerate(lines[1:], start=2):
        label, sep, text = line.partition("\t")
        if not sep or label not in SENTIMENT_LABELS or not text:
            raise _data.DataIntegrityError(f"{SENTIMENT_FILE}, line {number}: expected '<label>\\t<sentence>'")
        texts.append(text)
        labels.append(SENTIMENT_LABELS.index(label))
    return texts, np.array(labels, dtype=np.int64)


def words(text):
    """The words of ``text``: lower case, letters and apostrophes only (punctuation dropped).

    Letters of any alphabet count (accents too, typed either as one character or as a letter
    followed by a combining accent); digits do not.

    Examples
    --------
    >>> words("Not bad at all, REALLY lovely!")
    ['not', 'bad', 'at', 'all', 'really', 'lovely']
    >>> words("A naïve café")
    ['a', 'naïve', 'café']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    return _WORD.findall(unicodedata.normalize("NFC", text).lower())


def build_vocabulary(texts, min_count=1):
    """The words seen at least ``min_count`` times in ``texts``, most frequent first.

    Parameters
    ----------
    texts : list of str
    min_count : int, default 1

    Returns
    -------
    list of str
        Ties in frequency are in alphabetical order, so the result never depends on the order
        of ``texts``.

    Examples
    --------
    >>> build_vocabulary(["the film was good", "the soup was cold", "good"])
    ['good', 'the', 'was', 'cold', 'film', 'soup']
    """
    min_count = integer(min_count, "min_count", 1)
    counts = Counter(w for t in _texts(texts) for w in words(t))
    kept = [w for w, c in counts.items() if c >= min_count]
    return sorted(kept, key=lambda w: (-counts[w], w))


def bag_of_words(texts, vocabulary, binary=False):
    r"""Count vectors: entry ``[n, j]`` is how often word ``vocabulary[j]`` occurs in ``texts[n]``.

    Parameters
    ----------
    texts : list of str
        Sentences (a single sentence must be wrapped in a list).
    vocabulary : list of str
        The feature words; words not in it are ignored.
    binary : bool, default False
        If True, 1 for "occurs" instead of the count.

    Returns
    -------
    ndarray of float64, shape (len(texts), len(vocabulary))

    Notes
    -----
    The order of words is lost: "not good, bad" and "not bad, good" get the same vector. This
    is the "hand-made feature" that stands in for an LLM's hidden state, which does read order.

    Examples
    --------
    >>> bag_of_words(["good good film", "bad film"], ["good", "bad", "film"])
    array([[2., 0., 1.],
           [0., 1., 1.]])
    """
    texts = _texts(texts)
    vocabulary = _texts(vocabulary, "vocabulary")
    if not isinstance(binary, (bool, np.bool_)):
        raise TypeError(f"binary must be True or False, got {binary!r}")
    index = {w: j for j, w in enumerate(vocabulary)}
    if len(index) != len(vocabulary):
        raise ValueError("vocabulary must not contain a word twice")
    X = np.zeros((len(texts), len(vocabulary)))
    for n, text in enumerate(texts):
        for w in words(text):
            j = index.get(w)
            if j is not None:
                X[n, j] += 1.0
    return np.minimum(X, 1.0) if binary else X


# ---------------------------------------------------------------------------------------------
# synthetic images

def _shape_mask(kind, size, cx, cy, r, angle):
    """Boolean image of one filled shape with centre (cx, cy) and "radius" r."""
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    dx, dy = xx - cx, yy - cy
    if kind == 0:                                            # circle
        return dx ** 2 + dy ** 2 <= r ** 2
    c, s = np.cos(angle), np.sin(angle)
    u, v = c * dx + s * dy, -s * dx + c * dy                 # rotated coordinates
    if kind == 1:                                            # square, half side r * 0.85
        return np.maximum(np.abs(u), np.abs(v)) <= 0.85 * r
    # triangle pointing up (in rotated coordinates): three half-planes
    inside = v <= 0.6 * r                                    # inradius 0.6 r: about the same area
    for theta in (np.pi / 6, 5 * np.pi / 6):
        inside &= (np.cos(theta) * u - np.sin(theta) * v) <= 0.6 * r
    return inside


def make_shapes(n_per_class=200, size=12, noise=0.3, jitter=1.0, seed=0):
    r"""Seeded small grey images of circles, squares and triangles, shuffled.

    Parameters
    ----------
    n_per_class : int, default 200
    size : int, default 12
        Images are ``size x size`` pixels (>= 6).
    noise : float, default 0.3
        Standard deviation of the Gaussian pixel noise, in [0, 2].
    jitter : float, default 1.0
        How far (pixels) the centre may move in each direction, in [0, size / 4]. The size
        varies by +-20% and squares and triangles are rotated by up to +-15 degrees too.
    seed : int, default 0
        The same seed gives the same images.

    Returns
    -------
    images : ndarray of float64, shape (3 * n_per_class, size, size)
        1 inside the shape, 0 outside, plus noise.
    labels : ndarray of int64
        Indices into :data:`SHAPE_NAMES`.

    Notes
    -----
    For softmax regression each image is flattened into a vector of ``size**2`` pixels, so
    the class weights ``W[:, k]`` can be shown as an image: a template that the input is
    matched against with a dot product.

    Examples
    --------
    >>> images, labels = make_shapes(n_per_class=2, size=8, noise=0.0, seed=1)
    >>> images.shape, labels.tolist()
    ((6, 8, 8), [0, 1, 0, 2, 2, 1])
    >>> bool(np.all((images == 0) | (images == 1)))
    True
    """
    n = integer(n_per_class, "n_per_class", 1)
    size = integer(size, "size", 6)
    noise = _fraction(noise, "noise", 0.0, 2.0)
    jitter = _fraction(jitter, "jitter", 0.0, size / 4)
    seed = integer(seed, "seed", 0)
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(3), n)
    images = np.empty((3 * n, size, size))
    for i, kind in enumerate(labels):
        cx, cy = size / 2 + rng.uniform(-jitter, jitter, size=2)
        r = size * 0.3 * rng.uniform(0.8, 1.2)
        angle = rng.uniform(-np.pi / 12, np.pi / 12)
        images[i] = _shape_mask(kind, size, cx, cy, r, angle)
    images += noise * rng.standard_normal(images.shape)
    order = rng.permutation(3 * n)
    return images[order], labels[order]


# ---------------------------------------------------------------------------------------------
# bookkeeping

def train_test_split(X, y, test_fraction=0.25, seed=0):
    """Shuffle the examples with ``seed`` and hold out ``test_fraction`` of them.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray

    Examples
    --------
    >>> X_train, X_test, y_train, y_test = train_test_split(np.arange(8)[:, None], np.arange(8) % 2)
    >>> X_train.shape, X_test.shape
    ((6, 1), (2, 1))
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(f"X and y must have the same number of examples (rows), got shapes {X.shape} and {y.shape}")
    frac = _fraction(test_fraction, "test_fraction", 0.0, 1.0)
    order = np.random.default_rng(integer(seed, "seed", 0)).permutation(len(y))
    n_test = int(round(frac * len(y)))
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


def one_hot(labels, n_classes):
    """The one-hot matrix ``Y`` with ``Y[n, labels[n]] = 1``.

    Examples
    --------
    >>> one_hot([2, 0], 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    K = integer(n_classes, "n_classes", 1)
    y = _labels(labels, K)
    Y = np.zeros((y.size, K))
    Y[np.arange(y.size), y] = 1.0
    return Y


def _labels(labels, K):
    """1-D integer class indices in [0, K) (an empty list is no labels, not a float array)."""
    try:
        y = np.asarray(labels)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"labels must be a 1-D array of class indices ({exc})") from None
    if y.size == 0 and y.ndim == 1:
        return y.astype(np.intp)
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise TypeError(f"labels must be a 1-D array of class indices, got {y.dtype} with shape {y.shape}")
    if y.min() < 0 or y.max() >= K:
        raise ValueError(f"labels must be class indices in [0, {K}), got values from {y.min()} to {y.max()}")
    return y


def accuracy(scores, labels):
    """The fraction of rows whose highest score (logit or probability) is the label.

    ``scores`` has shape (N, K) with N, K >= 1: real numbers, ``-inf`` allowed (a masked class),
    NaN and ``+inf`` refused; ``labels`` are N class indices in [0, K). Ties go to the first class.

    Examples
    --------
    >>> accuracy([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]], [0, 1, 1])
    0.6666666666666666
    """
    s = float_array(scores, "scores", ndim=2)
    if s.shape[0] == 0 or s.shape[1] == 0:
        raise ValueError(f"scores must have shape (N, K) with N, K >= 1, got {s.shape}")
    row_max(s, 1, "scores")                   # refuses NaN, +inf and rows where every class is masked
    y = _labels(labels, s.shape[1])
    if y.shape != (s.shape[0],):
        raise ValueError(f"labels must have one entry per row of scores, {s.shape[0]}, got shape {y.shape}")
    return float(np.mean(np.argmax(s, axis=1) == y))
