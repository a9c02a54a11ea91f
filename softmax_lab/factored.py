r"""Factored softmaxes for large vocabularies: adaptive (head and clusters) and hierarchical (a tree).

Both write p(w | h) as a product of smaller distributions, so that a token pays only for the
pieces on its own word's route, and both still give an exact distribution over all V words:

* :class:`AdaptiveSoftmax` (Grave et al. 2017): p(w) = p(cluster) p(w | cluster), with the
  frequent words alone in the head;
* :class:`HierarchicalSoftmax` (Morin and Bengio 2005): p(w) is a product of about log2 V
  binary decisions down a tree.

Word ids are sorted by frequency (0 is the most frequent). Numpy only; see also
:mod:`softmax_lab.vocab`, which re-exports both classes.

Supported range: as in :mod:`softmax_lab.vocab`: finite float arrays whose shapes fit each
other, ``cutoffs`` increasing word counts ending at V, integer word ids in [0, V), ``div_value``
in [1, 1e6), ``scale`` finite >= 0. :meth:`HierarchicalSoftmax.fit` takes ``learning_rate`` > 0;
a descent that diverges (steps too large for the hidden states' scale) is undone and refused,
naming ``learning_rate``.
"""

import itertools

import numpy as np

from ._checks import as_generator, check_cutoffs, check_div, finite_number, float_array, integer, word_ids
from .functions import log_sigmoid, log_softmax, logsumexp

__all__ = ["AdaptiveSoftmax", "HierarchicalSoftmax"]

# ------------------------------------------------------------------------------------------
# Adaptive softmax
# ------------------------------------------------------------------------------------------


class AdaptiveSoftmax:
    r"""An adaptive softmax (Grave et al. 2017): a head for frequent words, clusters for rare ones.

    The words ``[0, cutoffs[0])`` (the most frequent) get their own logits in the *head*,
    together with one logit per cluster. Cluster i holds the words
    ``[cutoffs[i], cutoffs[i+1])``; its words are scored only when needed, through a smaller
    dimension :math:`d_i` (a projection :math:`P_i`, shape (d_i, d), then weights :math:`W_i`).
    Most tokens are frequent words, so most tokens only pay for the head.

    Parameters
    ----------
    cutoffs : sequence of int
        Increasing boundaries ending at V, e.g. ``(2000, 20000, 256000)``: a head of 2,000
        words and two clusters.
    head_weight, head_bias : array_like, shapes (cutoffs[0] + n_clusters, d) and (same,)
        The head's output layer: one row per frequent word, then one per cluster.
    tails : sequence of (projection, weight, bias)
        One triple per cluster, shapes (d_i, d), (cluster size, d_i), (cluster size,).

    Notes
    -----
    With :math:`q = \mathrm{softmax}(W_h h + b_h)` over the head:

    .. math:: p(w) = q_w \ \text{(head word)}, \qquad
              p(w) = q_{c(w)}\, \mathrm{softmax}(W_i P_i h + b_i)_w \ \text{(word of cluster } i)

    Both factors are distributions, so :math:`\sum_w p(w) = 1` over all V words exactly. Use
    :meth:`random` or :meth:`from_full` to build one.

    Examples
    --------
    >>> import numpy as np
    >>> a = AdaptiveSoftmax.random((4, 10, 50), dim=8, seed=0)
    >>> h = np.random.default_rng(1).normal(size=(3, 8))
    >>> a.log_probs(h).shape, np.exp(a.log_probs(h)).sum(axis=-1).round(12)
    ((3, 50), array([1., 1., 1.]))
    >>> bool(np.isclose(a.loss(h, [0, 7, 42]), -np.mean(a.log_probs(h)[[0, 1, 2], [0, 7, 42]])))
    True
    """

    def __init__(self, cutoffs, head_weight, head_bias, tails):
        self.cutoffs = check_cutoffs(cutoffs)
        self.head_weight = float_array(head_weight, "head_weight", ndim=2, finite=True)
        self.head_bias = float_array(head_bias, "head_bias", ndim=1, finite=True)
        n_head = self.cutoffs[0] + len(self.cutoffs) - 1
        if self.head_weight.shape[0] != n_head or self.head_bias.shape != (n_head,):
            raise ValueError(f"head_weight and head_bias must have {n_head} rows (cutoffs[0] words + "
                             f"{len(self.cutoffs) - 1} clusters), got {self.head_weight.shape}, {self.head_bias.shape}")
        self.dim = self.head_weight.shape[1]
        if isinstance(tails, (str, bytes)) or not hasattr(tails, "__len__"):
            raise TypeError(f"tails must be a list of (projection, weight, bias) triples, got {tails!r}")
        if len(tails) != len(self.cutoffs) - 1:
            raise ValueError(f"tails must hold one (projection, weight, bias) per cluster, {len(self.cutoffs) - 1}")
        self.tails = []
        for i, triple in enumerate(tails):
            if not (isinstance(triple, (tuple, list)) and len(triple) == 3):
                raise TypeError(f"tails[{i}] must be a (projection, weight, bias) triple, got {triple!r}")
            proj, w, b = triple
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            proj = float_array(proj, f"tails[{i}] projection", ndim=2, finite=True)
            w = float_array(w, f"tails[{i}] weight", ndim=2, finite=True)
            b = float_array(b, f"tails[{i}] bias", ndim=1, finite=True)
            if proj.shape[1] != self.dim or w.shape != (size, proj.shape[0]) or b.shape != (size,):
                raise ValueError(f"tails[{i}] must have shapes (d_i, {self.dim}), ({size}, d_i), ({size},); "
                                 f"got {proj.shape}, {w.shape}, {b.shape}")
            self.tails.append((proj, w, b))

    @property
    def n_words(self):
        """V, the size of the whole vocabulary."""
        return self.cutoffs[-1]

    @classmethod
    def random(cls, cutoffs, dim, div_value=4.0, seed=None):
        """Random weights (N(0, 1/fan-in)), cluster i of dimension ``max(1, dim // div_value**(i+1))``."""
        cutoffs, dim, rng = check_cutoffs(cutoffs), integer(dim, "dim"), as_generator(seed, "seed")
        n_head = cutoffs[0] + len(cutoffs) - 1
        tails = []
        for i, (lo, hi) in enumerate(itertools.pairwise(cutoffs)):
            d_i = max(1, int(dim // check_div(div_value) ** (i + 1)))
            tails.append((rng.normal(0, dim ** -0.5, (d_i, dim)), rng.normal(0, d_i ** -0.5, (hi - lo, d_i)),
                          np.zeros(hi - lo)))
        return cls(cutoffs, rng.normal(0, dim ** -0.5, (n_head, dim)), np.zeros(n_head), tails)

    @classmethod
    def from_full(cls, weight, bias, cutoffs, hidden, div_value=4.0):
        r"""Approximate a full softmax layer (weight (V, d), bias (V,)) by an adaptive one, without training.

        The head keeps the frequent words' rows. Cluster i keeps the top :math:`d_i` directions of
        its words' vectors (the best rank-:math:`d_i` fit, from an eigendecomposition), and its
        head logit is the least-squares linear fit, over the sample ``hidden`` (n, d), of the
        cluster's log-sum-exp. Grave et al. train all the parts jointly instead; this shows
        what the reduced dimensions alone cost. Computed in float64, whatever the inputs' dtype.
        """
        cutoffs = check_cutoffs(cutoffs)
        w = float_array(weight, "weight", ndim=2, finite=True)      # converted slice by slice below
        b = np.zeros(w.shape[0]) if bias is None else float_array(bias, "bias", ndim=1, finite=True)
        h = float_array(hidden, "hidden", ndim=2, finite=True).astype(np.float64)
        V, d = w.shape
        if cutoffs[-1] != V:
            raise ValueError(f"cutoffs must end at V = {V}, the number of rows of weight; got {cutoffs!r}")
        if b.shape != (V,):
            raise ValueError(f"bias must have one entry per row of weight, {V}, got shape {b.shape}")
        if h.shape[1] != d:
            raise ValueError(f"hidden must have as many columns as weight, {d}, got shape {h.shape}")

        def slices(lo, hi):                     # float64 (numpy's linalg: no float16), 8,192 rows at a time
            for a in range(lo, hi, 8192):
                yield a, min(a + 8192, hi), w[a:min(a + 8192, hi)].astype(np.float64)

        rows, biases, tails = [w[:cutoffs[0]].astype(np.float64)], [b[:cutoffs[0]]], []
        design = np.column_stack([h, np.ones(len(h))])
        for i, (lo, hi) in enumerate(itertools.pairwise(cutoffs)):
            lse, gram = np.full(len(h), -np.inf), np.zeros((d, d))
            for a, z, wa in slices(lo, hi):     # the cluster's log-sum-exp and W^T W, one slice at a time
                lse = np.logaddexp(lse, logsumexp(h @ wa.T + b[a:z]))
                gram += wa.T @ wa
            coef = np.linalg.lstsq(design, lse, rcond=None)[0]
            rows.append(coef[None, :-1])
            biases.append(coef[-1:])
            d_i = max(1, int(d // check_div(div_value) ** (i + 1)))
            _, vectors = np.linalg.eigh(gram)
            proj = vectors[:, ::-1][:, :d_i].T                     # (d_i, d): the top directions
            tails.append((proj, np.concatenate([wa @ proj.T for _, _, wa in slices(lo, hi)]), b[lo:hi]))
        return cls(cutoffs, np.concatenate(rows), np.concatenate(biases), tails)

    def _hidden(self, hidden):
        h = float_array(hidden, "hidden", finite=True)
        if h.shape[-1] != self.dim:
            raise ValueError(f"hidden's last axis must be d = {self.dim}, got shape {h.shape}")
        return h.reshape(-1, self.dim)

    def _tail_logits(self, i, h):
        proj, w, b = self.tails[i]
        z = (h @ proj.T) @ w.T
        z += b
        return z

    def log_probs(self, hidden):
        """log p(w | h) for every word: shape (..., V). Costs the full d x V; use :meth:`loss` to train."""
        h = self._hidden(hidden)
        head = log_softmax(h @ self.head_weight.T + self.head_bias)
        c0 = self.cutoffs[0]
        out = np.empty((h.shape[0], self.n_words), dtype=head.dtype)
        out[:, :c0] = head[:, :c0]
        for i, (lo, hi) in enumerate(zip(self.cutoffs, self.cutoffs[1:])):
            out[:, lo:hi] = head[:, c0 + i, None] + log_softmax(self._tail_logits(i, h))
        return out.reshape(np.shape(hidden)[:-1] + (self.n_words,))

    def loss(self, hidden, targets):
        """Mean negative log-likelihood of ``targets``; each cluster is scored only for its own tokens."""
        h = self._hidden(hidden)
        t = word_ids(targets, np.shape(hidden)[:-1], self.n_words)
        head = log_softmax(h @ self.head_weight.T + self.head_bias)
        c0 = self.cutoffs[0]
        nll = np.empty(len(t), dtype=head.dtype)
        rows = np.flatnonzero(t < c0)
        nll[rows] = -head[rows, t[rows]]
        for i, (lo, hi) in enumerate(zip(self.cutoffs, self.cutoffs[1:])):
            rows = np.flatnonzero((t >= lo) & (t < hi))
            if rows.size:                    # -log p = -log q_cluster + LSE(tail) - tail[target]
                tail = self._tail_logits(i, h[rows])
                nll[rows] = logsumexp(tail) - tail[np.arange(rows.size), t[rows] - lo] - head[rows, c0 + i]
        return np.mean(nll) if len(t) else head.dtype.type(0.0)

    def cost_per_token(self, word_probabilities):
        """Expected multiply-adds per token of :meth:`loss` when words occur with these probabilities.

        The full softmax costs d x V. Here a token pays for the head, plus, when its word is in
        cluster i, the projection (d x d_i) and the cluster's logits (d_i x cluster size).
        """
        p = float_array(word_probabilities, "word_probabilities", ndim=1, finite=True)
        if p.shape != (self.n_words,):
            raise ValueError(f"word_probabilities must have V = {self.n_words} entries, got {p.shape}")
        if np.any(p < 0) or not p.sum() > 0:
            raise ValueError("word_probabilities must be >= 0 with a positive sum (they are normalised here)")
        cost = self.dim * self.head_weight.shape[0]
        for (lo, hi), (proj, w, _) in zip(zip(self.cutoffs, self.cutoffs[1:]), self.tails):
            cost += p[lo:hi].sum() / p.sum() * (proj.size + w.size)
        return float(cost)




# ------------------------------------------------------------------------------------------
# Hierarchical softmax
# ------------------------------------------------------------------------------------------


def _tree_paths(n_words, words):
    """The routes of ``words`` (word ids) to the root of the heap-ordered tree of ``n_words`` leaves:
    node rows and +1 (left) / -1 (right) / 0 (padding), each of shape ``words.shape + (depth,)``."""
    node = n_words + np.asarray(words, dtype=np.intp)   # heap index of word w's leaf is V + w
    depth = (2 * n_words - 1).bit_length() - 1
    rows = np.zeros(node.shape + (depth,), dtype=np.intp)
    signs = np.zeros(node.shape + (depth,))
    for j in range(depth):
        active = node > 1
        rows[..., j] = np.where(active, node // 2 - 1, 0)            # inner node i is row i - 1
        signs[..., j] = np.where(active, np.where(node % 2 == 0, 1.0, -1.0), 0.0)
        node = np.where(active, node // 2, node)
    return rows, signs


def _levels(n_words):
    """Inner nodes level by level from the root, as (first, stop) heap-index ranges."""
    out, i = [], 1
    while i < n_words:
        out.append((i, min(2 * i, n_words)))
        i *= 2
    return out


class HierarchicalSoftmax:
    r"""A hierarchical softmax (Morin and Bengio 2005): every word is a leaf of a binary tree.

    The V words are the leaves of a complete binary tree with V - 1 inner nodes, in heap order:
    the root is node 1, node i has children 2i and 2i + 1, and leaf V + w is word w. At inner
    node i the walk goes left with probability :math:`\sigma(s_i)` and right with
    :math:`\sigma(-s_i)`, where :math:`s_i = u_i \cdot h + c_i`. A word's probability is the
    product along its path, so it costs about :math:`d \log_2 V` multiply-adds instead of
    :math:`d V`.

    The tree here is fixed by word id; Morin and Bengio built theirs from WordNet, and word2vec
    uses a Huffman tree, which puts frequent words near the root.

    Parameters
    ----------
    node_weight : array_like, shape (V - 1, d)
        :math:`u_i`, one row per inner node (row i - 1 for heap node i). V >= 2.
    node_bias : array_like, shape (V - 1,), optional
        :math:`c_i` (zeros by default).

    Notes
    -----
    .. math:: p(w \mid h) = \prod_{(i, \pm) \in \mathrm{path}(w)} \sigma(\pm s_i)

    Because :math:`\sigma(s) + \sigma(-s) = 1` at every node, the leaves' probabilities sum to 1.
    Paths have :math:`\lfloor \log_2 V \rfloor` or :math:`\lceil \log_2 V \rceil` nodes.

    Examples
    --------
    >>> import numpy as np
    >>> tree = HierarchicalSoftmax.random(445, dim=8, seed=0)
    >>> h = np.random.default_rng(1).normal(size=(2, 8))
    >>> np.exp(tree.log_probs(h)).sum(axis=-1).round(12), tree.depth
    (array([1., 1.]), 9)
    >>> tree.path(0)[:3]                            # word 0 is leaf 445: root 1, then 3, 6, ...
    [(1, 'right'), (3, 'left'), (6, 'right')]
    >>> len(tree.path(0)), len(tree.path(444))      # floor and ceil of log2(445) = 8.8
    (8, 9)
    """

    def __init__(self, node_weight, node_bias=None):
        self.node_weight = float_array(node_weight, "node_weight", ndim=2, finite=True)
        if self.node_weight.shape[0] < 1:
            raise ValueError("node_weight must have at least one row (V - 1 inner nodes, V >= 2)")
        n_nodes, self.dim = self.node_weight.shape
        self.node_bias = (np.zeros(n_nodes) if node_bias is None
                          else float_array(node_bias, "node_bias", ndim=1, finite=True))
        if self.node_bias.shape != (n_nodes,):
            raise ValueError(f"node_bias must have one entry per inner node, {n_nodes}, got {self.node_bias.shape}")
        self.n_words = n_nodes + 1          # the paths are computed when needed, for the words asked about

    @classmethod
    def random(cls, n_words, dim, scale=1.0, seed=None):
        """Random node vectors, N(0, scale^2 / dim), and zero biases, for V = ``n_words`` >= 2."""
        n_words, dim = integer(n_words, "n_words", low=2), integer(dim, "dim")
        scale = finite_number(scale, "scale", low=0)
        return cls(as_generator(seed, "seed").normal(0.0, scale / np.sqrt(dim), (n_words - 1, dim)))

    @property
    def depth(self):
        """The longest path, :math:`\\lceil \\log_2 V \\rceil` nodes."""
        return (2 * self.n_words - 1).bit_length() - 1

    def path(self, word):
        """Word ``word``'s route from the root: a list of (heap node, 'left' or 'right')."""
        w = integer(word, "word", low=0)
        if w >= self.n_words:
            raise ValueError(f"word must be in [0, {self.n_words}), got {w}")
        rows, signs = _tree_paths(self.n_words, w)
        steps = [(int(r) + 1, "left" if s > 0 else "right") for r, s in zip(rows, signs) if s]
        return steps[::-1]

    def _hidden(self, hidden):
        h = float_array(hidden, "hidden", finite=True)
        if h.shape[-1] != self.dim:
            raise ValueError(f"hidden's last axis must be d = {self.dim}, got shape {h.shape}")
        return h.reshape(-1, self.dim)

    def log_probs(self, hidden):
        """log p(w | h) for all V words, shape (..., V), going down the tree level by level."""
        h = self._hidden(hidden)
        s = h @ self.node_weight.T + self.node_bias
        left, right = log_sigmoid(s), log_sigmoid(-s)
        logp = np.zeros((h.shape[0], 2 * self.n_words), dtype=left.dtype)   # by heap index
        for i, j in _levels(self.n_words):
            logp[:, 2 * i:2 * j:2] = logp[:, i:j] + left[:, i - 1:j - 1]
            logp[:, 2 * i + 1:2 * j:2] = logp[:, i:j] + right[:, i - 1:j - 1]
        return logp[:, self.n_words:].reshape(np.shape(hidden)[:-1] + (self.n_words,))

    def loss(self, hidden, targets):
        """Mean negative log-likelihood of ``targets``: only the ~log2 V nodes on each path are scored."""
        h = self._hidden(hidden)
        t = word_ids(targets, np.shape(hidden)[:-1], self.n_words)
        rows, signs = _tree_paths(self.n_words, t)                           # (N, depth)
        s = np.einsum("nd,nkd->nk", h, self.node_weight[rows]) + self.node_bias[rows]
        ll = log_sigmoid(signs * s) * (signs != 0)
        return -np.mean(ll.sum(axis=1)) if len(t) else 0.0

    def fit(self, hidden, probabilities, steps=200, learning_rate=1.0):
        r"""Fit the node vectors to target distributions by gradient descent (in place).

        Minimises the cross-entropy :math:`-\frac1N \sum_n \sum_w P_n(w) \log p(w \mid h_n)`. It
        splits into one weighted logistic regression per node: at node i the weight is the
        target mass of its subtree and the label the share of that mass on the left. Each
        node's step is ``learning_rate`` divided by its mean mass (its curvature scale), so
        deep nodes, which see little mass, learn as fast as the root.

        Parameters
        ----------
        hidden : array_like, shape (N, d)
        probabilities : array_like, shape (N, V)
            Target distributions (rows sum to 1), e.g. a full softmax's.
        steps : int, default 200
        learning_rate : float, default 1.0

        Returns
        -------
        list of float
            The cross-entropy before each step.
        """
        steps = integer(steps, "steps", low=0)
        lr = finite_number(learning_rate, "learning_rate", low=0, inclusive=False)
        h = float_array(hidden, "hidden", ndim=2, finite=True)
        P = float_array(probabilities, "probabilities", ndim=2, finite=True)
        if h.shape[1] != self.dim or P.shape != (h.shape[0], self.n_words):
            raise ValueError(f"hidden must be (N, {self.dim}) and probabilities (N, {self.n_words}); "
                             f"got {h.shape} and {P.shape}")
        # rows sum to 1 up to the rounding of their dtype (a float16 softmax sums to 1 within ~1e-3)
        tolerance = max(1e-6, 4 * P.shape[1] * float(np.finfo(P.dtype).eps))
        if np.any(P < 0) or not np.allclose(P.sum(axis=1, dtype=np.float64), 1.0, atol=tolerance):
            raise ValueError("probabilities must be non-negative rows that sum to 1")
        mass = np.zeros((h.shape[0], 2 * self.n_words))
        mass[:, self.n_words:] = P
        for i, j in reversed(_levels(self.n_words)):                      # subtree masses, bottom up
            mass[:, i:j] = mass[:, 2 * i:2 * j:2] + mass[:, 2 * i + 1:2 * j:2]
        reach, left = mass[:, 1:self.n_words], mass[:, 2:2 * self.n_words:2]
        right = np.maximum(reach - left, 0.0)
        step = lr / np.maximum(reach.mean(axis=0), 1e-12)   # a deep node sees little mass: a larger step
        start = self.node_weight.copy(), self.node_bias.copy()
        history = []
        for _ in range(steps + 1):
            with np.errstate(over="ignore", invalid="ignore"):
                s = h @ self.node_weight.T + self.node_bias
            if not np.isfinite(s).all():            # the descent diverged: undo it, and say which knob to turn
                self.node_weight, self.node_bias = start
                raise ValueError(f"the descent diverged after {len(history)} steps: lower learning_rate (the "
                                 f"hidden states, up to {np.abs(h).max():.3g} in size, need smaller steps)")
            log_left = log_sigmoid(s)                     # log sigma(s); log sigma(-s) = log sigma(s) - s
            history.append(float(-np.mean(np.sum(left * log_left + right * (log_left - s), axis=1))))
            if len(history) > steps:
                break
            g = reach * np.exp(log_left) - left           # d(loss)/ds = reach sigma(s) - left, per row and node
            self.node_weight -= step[:, None] * (g.T @ h) / h.shape[0]
            self.node_bias -= step * g.mean(axis=0)
        return history
