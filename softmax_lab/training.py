r"""Training the tiny language model of :mod:`softmax_lab.lm`: mini-batch Adam, step by step.

:mod:`softmax_lab.lm` is the model (load, forward, the backward pass, generate); this module
is how its shipped checkpoints were made (``data/build.py``):

* :func:`build_vocab` and :func:`init_weights`: a vocabulary and random starting weights;
* :class:`Trainer`: the training loop as an object, driven one step (:meth:`Trainer.step`),
  one epoch (:meth:`Trainer.run_epoch`) or many steps (:meth:`Trainer.run`) at a time, with a
  callback after every step and a clean stop (the callback returns False, :meth:`Trainer.stop`,
  or Ctrl-C / a KeyboardInterrupt): what a live training dashboard needs;
* :func:`train`: the whole run in one call, returning a :class:`TrainResult`.

The same seed gives the same weights, whether the steps are run in one call or in pieces.

Supported range: ``contexts`` (N, n) and ``targets`` (N,) are integer word ids in
[0, ``vocab_size``), N >= 1; ``steps``, ``batch_size``, ``eval_every``, ``embed_dim`` and
``hidden_size`` are integers >= 1; ``learning_rate`` is finite and > 0; ``weight_decay`` is in
[0, 1 / ``learning_rate``) (each step scales the weights by 1 - learning_rate * weight_decay);
``label_smoothing`` is in [0, 1]; ``init`` holds the five weights as finite numbers (integers
become float64) with shapes that fit; ``validation`` is a (contexts, targets) pair like the
training data. Anything else is refused, naming the argument.

Examples
--------
>>> import numpy as np
>>> trainer = Trainer(np.array([[0, 0], [0, 2], [2, 3]]), np.array([2, 3, 1]), vocab_size=4,
...                   steps=40, batch_size=3, learning_rate=0.05, embed_dim=3, hidden_size=8)
>>> trainer.run(10).losses.shape                 # the first 10 steps
(10,)
>>> trainer.run_epoch().losses.shape             # one epoch: 3 examples / batches of 3 = 1 step
(11,)
>>> trainer.run(callback=lambda t: t.step < 20).losses.shape    # stopped by the callback
(20,)
>>> trainer.done, trainer.run().losses.shape     # the rest
(False, (40,))
"""

import math
import time
from dataclasses import dataclass, field

import numpy as np

from . import lm
from ._checks import finite_number, integer
from ._threads import one_blas_thread
from .losses import cross_entropy

__all__ = ["build_vocab", "init_weights", "TrainResult", "Trainer", "train"]


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
    min_count = integer(min_count, "min_count", 1)
    if isinstance(sentences, (str, bytes)) or not np.iterable(sentences) or not all(
            isinstance(x, (list, tuple)) and all(isinstance(w, str) for w in x) for x in sentences):
        raise TypeError("sentences must be a list of sentences, each a list of words (strings)")
    counts = {}
    for sentence in sentences:
        for word in sentence:
            counts[word] = counts.get(word, 0) + 1
    kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    rare = sum(c for c in counts.values() if c < min_count)
    return [lm.START, lm.UNK] + kept, [0, rare] + [counts[w] for w in kept]


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
    """  # noqa: E501  (wrapping a line would change the docstring's text)
    vocab_size, context_size = integer(vocab_size, "vocab_size"), integer(context_size, "context_size")
    embed_dim, hidden_size = integer(embed_dim, "embed_dim"), integer(hidden_size, "hidden_size")
    rng = np.random.default_rng(integer(seed, "seed", 0))
    n_in = context_size * embed_dim
    return {
        "embeddings": rng.normal(0.0, 0.1, (vocab_size, embed_dim)),
        "hidden_weight": rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_in, hidden_size)),
        "hidden_bias": np.zeros(hidden_size),
        "output_weight": rng.normal(0.0, 1.0 / np.sqrt(hidden_size), (hidden_size, vocab_size)),
        "output_bias": np.zeros(vocab_size),
    }


@dataclass
class TrainResult:
    """What :func:`train` (and :meth:`Trainer.run`) returns.

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


def _examples(contexts, targets, vocab_size, name):
    """Checked (N, n) integer contexts and (N,) targets, word ids in [0, vocab_size), N > 0."""
    c, t = np.asarray(contexts), np.asarray(targets)
    if c.dtype.kind not in "iu" or t.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integer word ids, got dtypes {c.dtype} and {t.dtype}")
    if c.ndim != 2 or c.shape[1] < 1 or t.shape != (len(c),) or len(t) == 0:
        raise ValueError(f"{name} must be contexts of shape (N, n) and targets of shape (N,) with N > 0, "
                         f"got {c.shape} and {t.shape}")
    low, high = min(c.min(), t.min()), max(c.max(), t.max())
    if low < 0 or high >= vocab_size:
        raise ValueError(f"{name} must be word ids in [0, {vocab_size}), got values from {low} to {high}")
    return c, t


def _initial_weights(init, vocab_size, context_size):
    """float64 copies of ``init`` (an integer array would silently truncate every update)."""
    if not isinstance(init, dict):
        raise TypeError(f"init must be a dict of weight arrays (as init_weights makes), got {type(init).__name__}")
    missing = [k for k in lm.WEIGHT_NAMES if k not in init]
    if missing:
        raise ValueError(f"init must hold {', '.join(lm.WEIGHT_NAMES)}; missing {', '.join(missing)}")
    weights = {}
    for k in lm.WEIGHT_NAMES:
        w = np.asarray(init[k])
        if w.dtype.kind not in "iuf" or not np.all(np.isfinite(w)):
            raise ValueError(f"init[{k!r}] must hold finite numbers, got dtype {w.dtype}")
        weights[k] = w.astype(np.float64)                # a copy: the caller's arrays stay as they are
    try:
        lm.check_shapes(weights, vocab_size, context_size)
    except ValueError as exc:
        raise ValueError(f"init does not fit vocab_size={vocab_size} and the contexts: {exc}") from None
    return weights


class Trainer:
    """The training loop of :func:`train`, as an object that runs a step at a time.

    Parameters
    ----------
    contexts, targets, vocab_size, steps, batch_size, learning_rate, lr_decay, weight_decay,
    embed_dim, hidden_size, seed, init, validation, eval_every, snapshot_steps, label_smoothing
        As for :func:`train`. ``steps`` is the length of the whole run (the step size of
        ``lr_decay`` falls towards 0 at that step).

    Attributes
    ----------
    step : int
        Steps done so far (0 before the first).
    weights : dict of ndarray
        The current weights (updated in place by every step).
    losses : ndarray
        The mini-batch loss of each step done so far.
    done : bool
        True once all ``steps`` steps are done.
    result : TrainResult
        The results so far, kept up to date by every step (what :meth:`run` returns is a copy).
    """

    BETA1, BETA2, EPS = 0.9, 0.999, 1e-8
    DECAYED = ("embeddings", "hidden_weight", "output_weight")   # the biases are not decayed

    def __init__(self, contexts, targets, vocab_size, *, steps=2000, batch_size=128, learning_rate=3e-3,
                 lr_decay=False, weight_decay=0.0, embed_dim=16, hidden_size=64, seed=0, init=None,
                 validation=None, eval_every=100, snapshot_steps=(), label_smoothing=0.0):
        vocab_size = integer(vocab_size, "vocab_size")
        self.contexts, self.targets = _examples(contexts, targets, vocab_size, "contexts and targets")
        self.steps, self.batch_size = integer(steps, "steps"), integer(batch_size, "batch_size")
        self.learning_rate = finite_number(learning_rate, "learning_rate", 0, inclusive=False)
        if not isinstance(lr_decay, (bool, np.bool_)):
            raise TypeError(f"lr_decay must be True or False, got {lr_decay!r}")
        self.lr_decay = bool(lr_decay)
        self.weight_decay = finite_number(weight_decay, "weight_decay", 0)
        if self.learning_rate * self.weight_decay >= 1:          # each step scales the weights by 1 - lr * wd
            raise ValueError(f"weight_decay must be below 1 / learning_rate = {1 / self.learning_rate:g} (each "
                             f"step multiplies the weights by 1 - learning_rate * weight_decay), got {weight_decay!r}")
        self.label_smoothing = finite_number(label_smoothing, "label_smoothing", 0)
        if self.label_smoothing > 1:
            raise ValueError(f"label_smoothing must be a number in [0, 1], got {label_smoothing!r}")
        self.eval_every = integer(eval_every, "eval_every")
        self.validation = None
        if validation is not None:
            if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
                raise TypeError("validation must be a pair (contexts, targets)")
            self.validation = _examples(*validation, vocab_size, "validation")
            if self.validation[0].shape[1] != self.contexts.shape[1]:
                raise ValueError(f"validation contexts must have {self.contexts.shape[1]} words each, "
                                 f"like the training contexts; got {self.validation[0].shape[1]}")
        try:
            self.snapshot_steps = {integer(s, "snapshot_steps", 1) for s in snapshot_steps}
        except TypeError as exc:
            raise TypeError(f"snapshot_steps must be step numbers (integers >= 1): {exc}") from None
        seed = integer(seed, "seed", 0)
        embed_dim, hidden_size = integer(embed_dim, "embed_dim"), integer(hidden_size, "hidden_size")
        self.rng = np.random.default_rng(seed)
        if init is None:
            self.weights = init_weights(vocab_size, self.contexts.shape[1], embed_dim, hidden_size, seed=seed)
        else:
            self.weights = _initial_weights(init, vocab_size, self.contexts.shape[1])
        self._m = {k: np.zeros_like(v) for k, v in self.weights.items()}
        self._v = {k: np.zeros_like(w) for k, w in self.weights.items()}
        self._losses = np.zeros(self.steps)
        self._best = np.inf
        self._stop = False
        self.step = 0
        self.result = TrainResult(weights=self.weights, losses=self._losses[:0])

    @property
    def done(self):
        return self.step >= self.steps

    @property
    def losses(self):
        return self._losses[:self.step]

    def stop(self):
        """Ask :meth:`run` to end after the current step (e.g. from a callback or a button)."""
        self._stop = True

    def _validation_loss(self, weights):
        return float(cross_entropy(lm.forward(weights, self.validation[0]), self.validation[1]))

    def train_step(self):
        """One Adam update on a random mini-batch; returns its loss (before the update).

        Everything, the validation loss included, is computed before anything is changed: a
        KeyboardInterrupt (Ctrl-C) during the step leaves the trainer exactly as it was, and the
        next call does the whole step again.
        """
        if self.done:
            raise RuntimeError(f"training is done: all {self.steps} steps have run")
        step = self.step + 1
        b1, b2 = self.BETA1, self.BETA2
        lr = self.learning_rate * (1 - (step - 1) / self.steps) if self.lr_decay else self.learning_rate
        rng_state = self.rng.bit_generator.state
        try:                             # compute everything first: an interrupt here changes nothing
            batch = self.rng.integers(0, len(self.targets), size=self.batch_size)
            loss, grads = lm.loss_and_grads(self.weights, self.contexts[batch], self.targets[batch],
                                             self.label_smoothing)
            new = {}
            for k, g in grads.items():
                m = b1 * self._m[k] + (1 - b1) * g
                v = b2 * self._v[k] + (1 - b2) * g**2
                m_hat = m / (1 - b1**step)
                v_hat = v / (1 - b2**step)
                update = m_hat / (np.sqrt(v_hat) + self.EPS)
                if self.weight_decay and k in self.DECAYED:
                    update = update + self.weight_decay * self.weights[k]
                new[k] = (m, v, self.weights[k] - lr * update)
            new_weights = {k: w for k, (_, _, w) in new.items()}
            evaluate = self.validation is not None and (step % self.eval_every == 0 or step == self.steps)
            val_loss = self._validation_loss(new_weights) if evaluate else None
        except KeyboardInterrupt:
            self.rng.bit_generator.state = rng_state
            raise
        for k, (m, v, w) in new.items():     # then commit the step
            self._m[k], self._v[k] = m, v
            self.weights[k][...] = w
        self._losses[step - 1] = loss
        self.step = step
        result = self.result
        result.losses = self.losses
        if step in self.snapshot_steps:
            result.snapshots[step] = _copy(self.weights)
        if val_loss is not None:
            since = result.eval_steps[-1] if result.eval_steps else 0
            result.eval_steps.append(step)
            result.val_losses.append(val_loss)
            result.train_losses.append(float(np.mean(self._losses[since:step])))
            if val_loss < self._best:
                self._best = val_loss
                result.best_weights, result.best_step = new_weights, step   # fresh arrays, never changed
        return loss

    def _snapshot(self):
        """A copy of the results so far, which later steps leave alone."""
        r = self.result
        return TrainResult(weights=_copy(self.weights), losses=self.losses.copy(), eval_steps=list(r.eval_steps),
                           val_losses=list(r.val_losses), train_losses=list(r.train_losses),
                           best_weights=r.best_weights, best_step=r.best_step, snapshots=dict(r.snapshots),
                           seconds=r.seconds)

    def run(self, n_steps=None, callback=None):
        """Run ``n_steps`` more steps (all the remaining ones by default) and return the result.

        ``callback(trainer)`` is called after every step; returning False (not None) or
        calling :meth:`stop` ends the run early, as does a KeyboardInterrupt (the step it
        interrupts is not counted). Another call carries on where this one stopped. The
        returned :class:`TrainResult` is a copy: later steps do not change it.
        """
        n_steps = self.steps - self.step if n_steps is None else integer(n_steps, "n_steps", 0)
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable, got {type(callback).__name__}")
        self._stop = False
        end = min(self.step + n_steps, self.steps)
        start = time.perf_counter()
        try:
            with one_blas_thread():          # small products: more threads only wait for each other
                while self.step < end and not self._stop:
                    self.train_step()
                    if callback is not None and callback(self) is False:
                        self._stop = True
        except KeyboardInterrupt:
            pass
        finally:
            self.result.seconds += time.perf_counter() - start
        return self._snapshot()

    def run_epoch(self, callback=None):
        """Run one epoch: as many steps as it takes to draw as many examples as there are."""
        return self.run(math.ceil(len(self.targets) / self.batch_size), callback)


def train(contexts, targets, vocab_size, *, steps=2000, batch_size=128, learning_rate=3e-3,
          lr_decay=False, weight_decay=0.0, embed_dim=16, hidden_size=64, seed=0, init=None,
          validation=None, eval_every=100, snapshot_steps=(), callback=None, label_smoothing=0.0):
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
        ``lr * weight_decay`` times themselves (lr: the current step size); at most
        ``1 / learning_rate``.
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
    label_smoothing : float, default 0.0
        Train against :math:`(1 - \epsilon)\,\mathrm{onehot} + \epsilon / V` instead of the
        one-hot targets (:func:`softmax_lab.cross_entropy`); the validation loss stays the plain
        cross-entropy.
    callback : callable, optional
        Called as ``callback(trainer)`` after every step (a :class:`Trainer`: its ``step``,
        ``losses`` and ``result`` show the progress); return False (or call
        ``trainer.stop()``) to end training early.

    Returns
    -------
    TrainResult
        After the last step, or after the step where the callback stopped the run or a
        KeyboardInterrupt arrived (the result then covers the steps done).

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

    The loop itself is :class:`Trainer`, which can also be driven step by step or one epoch at
    a time (a live dashboard does that); ``train`` runs it to the end.

    Examples
    --------
    >>> contexts = np.array([[0, 0], [0, 2], [2, 3]]); targets = np.array([2, 3, 1])
    >>> result = train(contexts, targets, vocab_size=4, steps=60, batch_size=3,
    ...                learning_rate=0.05, embed_dim=3, hidden_size=8)
    >>> bool(result.losses[-1] < result.losses[0] / 10)
    True
    """
    trainer = Trainer(contexts, targets, vocab_size, steps=steps, batch_size=batch_size,
                      learning_rate=learning_rate, lr_decay=lr_decay, weight_decay=weight_decay,
                      embed_dim=embed_dim, hidden_size=hidden_size, seed=seed, init=init,
                      validation=validation, eval_every=eval_every, snapshot_steps=snapshot_steps,
                      label_smoothing=label_smoothing)
    return trainer.run(callback=callback)
