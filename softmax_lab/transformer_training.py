r"""Training the tiny transformer of :mod:`softmax_lab.transformer`, and measuring what it learned.

* :class:`Trainer` and :func:`train`: mini-batch AdamW over whole sentences, with a warm-up and
  a linear decay of the step size, seeded; the loop runs on the model's function table, so a
  learner's plugged functions (:func:`softmax_lab.transformer.plug`) train the model too;
* :func:`head_roles`: where each head looks, averaged over a split (the previous token? the
  first token, ``<s>``, as an "attention sink"? itself?);
* :func:`long_range_accuracy` and :func:`subject_attention`: the sentences whose verb depends on
  a subject 4 to 9 words back (``data/corpus.py``): how often a model predicts the verb, and
  which heads look at the subject when it does.

``data/build.py`` trains the shipped checkpoint with :func:`train`.

Examples
--------
>>> from softmax_lab import transformer
>>> vocab = ["<s>", "<unk>", ".", "a", "cat", "dog", "sat"]
>>> sentences = [["a", "cat", "sat", "."], ["a", "dog", "sat", "."]]
>>> trainer = Trainer(sentences, vocab, steps=60, batch_size=2, learning_rate=0.02, warmup=5,
...                   d_model=8, d_mlp=16, n_heads=2, max_len=5)
>>> result = trainer.run()
>>> bool(result.losses[-1] < result.losses[0] / 2)
True
"""

import time
from dataclasses import dataclass, field

import numpy as np

from . import _transformer_checks as check
from . import data as _data
from . import lm as _lm
from . import transformer as _t
from ._checks import finite_number, integer
from ._threads import one_blas_thread

__all__ = ["TrainResult", "Trainer", "train", "learning_rate_at", "head_roles", "long_range_accuracy",
           "subject_attention", "load_same_data_mlp", "LONG_RANGE_VERBS", "split_perplexity", "CapstoneRun",
           "capstone_run", "CapstoneSession", "CAPSTONE_TOLERANCE"]

#: The verbs of the long-range sentences (``data/corpus.py``): birds fly, water animals swim,
#: land animals run; the verb depends on the subject, 4 to 9 words back.
LONG_RANGE_VERBS = ("flew", "swam", "ran")


def learning_rate_at(step, steps, learning_rate, warmup):
    r"""The step size of step ``step`` (1-based): a linear warm-up, then a linear decay to 0.

    .. math:: \eta_t = \eta \min\Big(\frac{t}{w}, \frac{S - t + 1}{S - w + 1}\Big)

    for the steps :math:`1 \le t \le S` (``steps``), with ``learning_rate`` :math:`\eta > 0`; a ``warmup``
    w of 0 skips the warm-up, and one longer than the run never reaches the peak :math:`\eta`.

    Examples
    --------
    >>> [round(learning_rate_at(t, 10, 1.0, 2), 3) for t in (1, 2, 3, 10)]
    [0.5, 1.0, 0.889, 0.111]
    """
    steps, step, warmup = integer(steps, "steps"), integer(step, "step"), integer(warmup, "warmup", 0)
    if step > steps:
        raise ValueError(f"step must be at most steps = {steps}, got {step}")
    learning_rate = finite_number(learning_rate, "learning_rate", 0, inclusive=False)
    if step <= warmup:
        return learning_rate * step / warmup
    return learning_rate * (steps - step + 1) / (steps - warmup + 1)


@dataclass
class TrainResult:
    """What :meth:`Trainer.run` returns.

    Attributes
    ----------
    model : TinyTransformer
        The model after the last step (its weights are the trainer's, updated in place).
    losses : ndarray
        The mini-batch training loss of every step (from the model's ``log_softmax``).
    eval_steps, val_losses, train_losses : list
        The steps after which the validation loss was measured (mean cross-entropy in nats,
        from the model's ``online_logsumexp``), and the mean training loss since the previous one.
    best_weights : dict or None
        A copy of the weights with the lowest validation loss; ``best_step`` its step.
    seconds, cpu_seconds : float
        Wall-clock and CPU time (this process) spent in :meth:`Trainer.run`.
    """

    model: object
    losses: np.ndarray
    eval_steps: list = field(default_factory=list)
    val_losses: list = field(default_factory=list)
    train_losses: list = field(default_factory=list)
    best_weights: dict = None
    best_step: int = None
    seconds: float = 0.0
    cpu_seconds: float = 0.0


class Trainer:
    """Mini-batch AdamW on whole sentences, a step at a time (see :func:`train` for the arguments).

    Attributes
    ----------
    model : TinyTransformer
        The model being trained (its function table is ``functions``).
    step : int
        Steps done so far.
    result : TrainResult
    """

    BETA1, BETA2, EPS = 0.9, 0.999, 1e-8

    def __init__(self, sentences, vocab, *, steps=3000, batch_size=32, learning_rate=3e-3, warmup=100,
                 weight_decay=0.01, seed=0, functions=None, validation=None, eval_every=100, init=None,
                 n_layers=2, n_heads=4, d_model=32, d_mlp=128, max_len=16):
        self.steps, self.batch_size = integer(steps, "steps"), integer(batch_size, "batch_size")
        self.warmup, self.eval_every = integer(warmup, "warmup", 0), integer(eval_every, "eval_every")
        self.learning_rate = finite_number(learning_rate, "learning_rate", 0, inclusive=False)
        self.weight_decay = finite_number(weight_decay, "weight_decay", 0)
        if self.learning_rate * self.weight_decay >= 1:          # each step scales the weights by 1 - lr * wd
            raise ValueError(f"weight_decay must be below 1 / learning_rate = {1 / self.learning_rate:g} (each "
                             f"step multiplies the weights by 1 - learning_rate * weight_decay), got {weight_decay!r}")
        seed, vocab = integer(seed, "seed", 0), check.vocab(vocab)
        sizes = check.sizes(n_layers, n_heads, d_model, d_mlp, max_len)
        if functions is not None:
            functions = check.function_table(functions)
        if init is None:
            weights = _t.init_weights(len(vocab), seed=seed, **sizes)
        else:                                                     # a copy: training changes it in place
            shapes = _t.weight_shapes(len(vocab), **sizes)
            weights = {k: w.copy() for k, w in check.weights(init, shapes, "init").items()}
        self.model = _t.TinyTransformer(vocab, weights, functions=functions, **sizes)
        sentences = check.sentences(sentences, max_words=sizes["max_len"])
        self.ids, self.targets = _t.make_batch(self.model, sentences)    # every sentence, padded
        self.lengths = (self.targets >= 0).sum(axis=1)
        self.validation = None if validation is None else \
            check.sentences(validation, "validation", max_words=sizes["max_len"])
        self.rng = np.random.default_rng([seed, 1])                      # the order of the batches
        self._m = {k: np.zeros_like(w) for k, w in self.model.weights.items()}
        self._v = {k: np.zeros_like(w) for k, w in self.model.weights.items()}
        self._losses = np.zeros(self.steps)
        self._best = np.inf
        self.step = 0
        self.result = TrainResult(self.model, self._losses[:0])

    @property
    def done(self):
        return self.step >= self.steps

    def train_step(self):
        """One AdamW step on a batch of ``batch_size`` sentences drawn at random; returns its loss."""
        if self.done:
            raise RuntimeError(f"training is done: all {self.steps} steps have run")
        rows = self.rng.integers(0, len(self.ids), self.batch_size)
        T = int(self.lengths[rows].max())
        with one_blas_thread():              # small products: more BLAS threads only wait for each other
            loss, grads = _t.loss_and_grads(self.model, self.ids[rows, :T], self.targets[rows, :T])
        step = self.step + 1
        lr = learning_rate_at(step, self.steps, self.learning_rate, self.warmup)
        b1, b2 = self.BETA1, self.BETA2
        for k, g in grads.items():
            w = self.model.weights[k]
            self._m[k] = b1 * self._m[k] + (1 - b1) * g
            self._v[k] = b2 * self._v[k] + (1 - b2) * g**2
            update = (self._m[k] / (1 - b1**step)) / (np.sqrt(self._v[k] / (1 - b2**step)) + self.EPS)
            if self.weight_decay and w.ndim == 2:          # matrices and embeddings, not gains or biases
                update = update + self.weight_decay * w
            w -= lr * update
        self._losses[step - 1] = loss
        self.step = step
        self.result.losses = self._losses[:step]
        if self.validation is not None and (step % self.eval_every == 0 or step == self.steps):
            self._evaluate(step)
        return loss

    def _evaluate(self, step):
        result = self.result
        val_loss = _t.mean_cross_entropy(self.model, self.validation)
        since = result.eval_steps[-1] if result.eval_steps else 0
        result.eval_steps.append(step)
        result.val_losses.append(val_loss)
        result.train_losses.append(float(np.mean(self._losses[since:step])))
        if val_loss < self._best:
            self._best = val_loss
            result.best_weights = {k: w.copy() for k, w in self.model.weights.items()}
            result.best_step = step

    def run(self, n_steps=None, callback=None):
        """Run ``n_steps`` more steps (all that remain by default); ``callback(trainer)`` after each
        step may return False to stop. Returns :attr:`result`."""
        n = self.steps - self.step if n_steps is None else integer(n_steps, "n_steps", 0)
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable, got {type(callback).__name__}")
        end = min(self.step + n, self.steps)
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            while self.step < end:
                self.train_step()
                if callback is not None and callback(self) is False:
                    break
        finally:
            self.result.seconds += time.perf_counter() - wall
            self.result.cpu_seconds += time.process_time() - cpu
        return self.result


def train(sentences, vocab, **settings):
    r"""Train a transformer on ``sentences``; returns a :class:`TrainResult`.

    Parameters
    ----------
    sentences : list of list of str
        Training sentences (each ending with ``"."``), read one at a time from ``<s>``.
    vocab : list of str
        The vocabulary (unknown words become ``<unk>``).
    steps : int, default 3000
    batch_size : int, default 32
        Sentences per step, drawn uniformly at random with replacement.
    learning_rate : float, default 3e-3
        AdamW's peak step size (> 0), reached after ``warmup`` steps, then falling linearly to 0
        (:func:`learning_rate_at`).
    warmup : int, default 100
    weight_decay : float, default 0.01
        Decoupled, on the matrices and embeddings only; below ``1 / learning_rate`` (each step
        multiplies those weights by at least ``1 - learning_rate * weight_decay``).
    seed : int, default 0
        Seeds the starting weights and the batches.
    functions : dict, optional
        The function table (the package's by default); a plugged model's ``.functions``
        trains on the learner's functions.
    validation : list of sentences, optional
        Measured every ``eval_every`` steps and after the last; the best weights are kept.
    eval_every : int, default 100
    init : dict, optional
        Starting weights instead of :func:`softmax_lab.transformer.init_weights`.
    n_layers, n_heads, d_model, d_mlp, max_len : int
        The model's sizes (2, 4, 32, 128, 16).

    Notes
    -----
    AdamW as in :func:`softmax_lab.training.train`: running means of each gradient and of its
    square, bias-corrected, :math:`w \leftarrow w - \eta_t (\hat m / (\sqrt{\hat v} + \epsilon) + \lambda w)`.
    """
    return Trainer(sentences, vocab, **settings).run()


# ---------------------------------------------------------------------------------------------
# What the heads do

def head_roles(model, split="validation", directory=None, sentences=None):
    r"""Where each head looks, averaged over the queries of a split's sentences.

    Each sentence is read as ``<s> w1 ... wn`` (``"."`` included); every query token i >= 1 is
    counted (token 0 can only look at itself).

    Returns
    -------
    dict of ndarray
        ``"previous"``, ``"first"``, ``"self"``: arrays (n_layers, n_heads) of the mean weight
        on token i-1, on token 0 (``<s>``) and on token i itself; ``"entropy"``: the mean
        entropy of a row in bits; ``"uniform_first"`` and ``"uniform_previous"``: the same
        shares for a head that spread its weight evenly over tokens 0..i (a float each), the
        baseline to compare with. A first-token share far above ``uniform_first`` is an
        "attention sink": a head that parks its weight on ``<s>`` when nothing else is useful.

    Examples
    --------
    >>> from softmax_lab import transformer
    >>> roles = head_roles(transformer.load("tiny"))
    >>> roles["previous"].shape
    (2, 4)
    >>> bool(np.all((roles["first"] >= 0) & (roles["first"] <= 1)))
    True
    """
    check.model(model)
    sentences = _sentences_or_split(sentences, split, directory, max_words=model.max_len - 1)
    L, H = model.n_layers, model.n_heads
    sums = {key: np.zeros((L, H)) for key in ("previous", "first", "self", "entropy")}
    uniform_first, count = 0.0, 0
    for sentence in sentences:
        maps = _t.attention_maps(model, sentence)
        T = maps.shape[-1]
        i = np.arange(1, T)
        sums["previous"] += maps[..., i, i - 1].sum(axis=-1)
        sums["first"] += maps[..., i, 0].sum(axis=-1)
        sums["self"] += maps[..., i, i].sum(axis=-1)
        with np.errstate(divide="ignore"):
            logs = np.where(maps[..., i, :] > 0, np.log2(np.where(maps[..., i, :] > 0, maps[..., i, :], 1)), 0)
        sums["entropy"] -= (maps[..., i, :] * logs).sum(axis=(-1, -2))
        uniform_first += float(np.sum(1.0 / (i + 1)))
        count += T - 1
    roles = {key: value / count for key, value in sums.items()}
    roles["uniform_first"] = roles["uniform_previous"] = uniform_first / count
    return roles


def _sentences_or_split(sentences, split, directory, max_words):
    """The given sentences (checked), or else the split's; the split and directory are checked either way."""
    check.corpus(split, directory, _t.SPLITS)
    if sentences is None:
        return _t.load_sentences(split, directory)
    return check.sentences(sentences, max_words=max_words)


def _verb_position(sentence):
    """Where the long-range verb is: after the subject (``the owl``), at position 2 or later."""
    for j, word in enumerate(sentence[2:], start=2):
        if word in LONG_RANGE_VERBS:
            return j
    raise ValueError(f"sentences must each have one of the verbs {', '.join(LONG_RANGE_VERBS)} after the "
                     f"subject, got {' '.join(sentence)!r}")


def load_same_data_mlp(directory=None):
    """The 3-word MLP retrained on the transformer's training sentences (``lm_same_data.npz``).

    Trained like :func:`softmax_lab.lm.load`'s ``"best"`` (same settings and seed) on the same
    sentences as the transformer, the long-range ones included: the fair comparison for
    :func:`long_range_accuracy`. Checked against ``data/MANIFEST`` like every shipped file.

    Examples
    --------
    >>> load_same_data_mlp()
    <TinyLM 'same_data': 445 words, context 3, embeddings 16, hidden 64>
    """
    vocab = _data.load_json(_lm.VOCAB_FILE, directory)["words"]
    arrays = _data.load_npz("lm_same_data.npz", directory)
    return _lm.TinyLM(vocab, arrays, context_size=int(arrays["context_size"]), name="same_data")


def split_perplexity(model, split="validation", directory=None):
    """The perplexity of either kind of model on any split of :data:`softmax_lab.transformer.SPLITS`.

    The transformer reads each sentence from ``<s>`` (:func:`softmax_lab.transformer.perplexity`);
    the MLP predicts the same words from its 3-word windows (:func:`softmax_lab.lm.make_examples`).

    Examples
    --------
    >>> from softmax_lab import lm, transformer
    >>> round(split_perplexity(transformer.load("tiny"), "validation_dedup"), 3)
    5.691
    >>> round(split_perplexity(lm.load("best"), "validation_dedup"), 3)
    5.913
    """
    from .losses import cross_entropy

    if not isinstance(model, (_t.TinyTransformer, _lm.TinyLM)):
        raise TypeError(f"model must be a TinyTransformer or a TinyLM, got {type(model).__name__}")
    if model.vocab != _data.load_json(_lm.VOCAB_FILE, directory)["words"]:
        raise ValueError(f"model must read the course's vocabulary ({_lm.VOCAB_FILE}), the words of the splits; "
                         f"got a model of {len(model.vocab)} words")
    if isinstance(model, _t.TinyTransformer):
        return _t.perplexity(model, split, directory)
    contexts, targets = _lm.make_examples(_t.load_sentences(split, directory), model.index, model.context_size)
    return float(np.exp(cross_entropy(_lm.forward(model.weights, contexts), targets)))


def long_range_accuracy(model, split="longrange_validation", directory=None, sentences=None):
    """How often a model's most probable next word is the right verb of a long-range sentence.

    In ``the owl near the old barn _`` the verb (flew, swam or ran) depends on the animal, 4 to 9
    words back: out of reach of the MLP's 3-word window, within reach of attention.

    Parameters
    ----------
    model : TinyTransformer or softmax_lab.lm.TinyLM
        Either kind of model: each is asked for the word after the words before the verb.
    split, directory
        The shipped sentences to use, unless ``sentences`` (lists of words) are given.

    Returns
    -------
    dict
        ``accuracy`` (top-1 is the right verb), ``verb_probability`` (the mean probability of
        the right verb) and ``n`` (the number of sentences).

    Examples
    --------
    >>> from softmax_lab import transformer
    >>> long_range_accuracy(transformer.load("tiny"))["accuracy"] > 0.9
    True
    """
    from .functions import softmax

    if isinstance(model, _t.TinyTransformer):
        next_logits = _t.next_token_logits
    elif isinstance(model, _lm.TinyLM):
        next_logits = _lm.next_token_logits
    else:
        raise TypeError(f"model must be a TinyTransformer or a TinyLM, got {type(model).__name__}")
    sentences = _sentences_or_split(sentences, split, directory, max_words=None)   # the window slides
    right, probability = [], []
    for s in sentences:
        j = _verb_position(s)
        if s[j] not in model.index:
            raise ValueError(f"model must know the verb {s[j]!r} (its vocabulary has {len(model.vocab)} words)")
        p = softmax(next_logits(model, s[:j]))
        right.append(int(np.argmax(p)) == model.index[s[j]])
        probability.append(float(p[model.index[s[j]]]))
    return {"accuracy": float(np.mean(right)), "verb_probability": float(np.mean(probability)),
            "n": len(sentences)}


def subject_attention(model, split="longrange_validation", directory=None, sentences=None):
    """Each head's mean weight on the subject, from the token just before the verb: (L, H).

    The query is the last word of the place phrase (whose output predicts the verb); the
    subject is token 2 (``<s> the owl ...``). A head with a large share here is the one that
    carries the long-range dependency.
    """
    check.model(model)
    sentences = _sentences_or_split(sentences, split, directory, max_words=None)
    total = np.zeros((model.n_layers, model.n_heads))
    for s in sentences:
        j = _verb_position(s)
        if j >= model.max_len:
            raise ValueError(f"sentences must have the verb within the model's max_len, got {' '.join(s)!r}")
        maps = _t.attention_maps(model, s[:j])         # tokens <s> w0 .. w_{j-1}; query j = last word
        total += maps[:, :, j, 2]
    return total / len(sentences)


# ---------------------------------------------------------------------------------------------
# Lesson 12's capstone: the first steps of the recorded short run, on a learner's functions

#: How far (nats, at any step) a run on a learner's functions may drift from the recorded curve.
CAPSTONE_TOLERANCE = 1e-3


@dataclass
class CapstoneRun:
    """What :func:`capstone_run` returns.

    Attributes
    ----------
    losses, reference : ndarray
        The training loss of each step, and the recorded one (``transformer_history.json``).
    gap : float
        The largest ``|losses - reference|`` (inf when the run stopped early or went NaN).
    validation_loss : float or None
        The mean cross-entropy (nats) of the shipped checkpoint, run on the same functions, on
        the first ``n_validation`` validation sentences (through ``online_logsumexp``).
    generated : list of str
        The words the shipped checkpoint, run on the same functions, wrote after the prompt
        (top-p 0.9, seeded).
    report : list of dict
        :func:`softmax_lab.transformer_functions.plug_report` of the run's function table.
    broken : list of str
        The plugged functions that disagreed with the package's.
    error : str or None
        Why the run stopped early (a learner's function raised, or the numbers broke).
    model : TinyTransformer
        The model the short run trained.
    """

    losses: np.ndarray
    reference: np.ndarray
    gap: float
    validation_loss: object
    generated: list
    report: list
    broken: list
    error: object
    model: object

    @property
    def follows_reference(self):
        """Every step within :data:`CAPSTONE_TOLERANCE` of the recorded curve."""
        return self.error is None and self.gap <= CAPSTONE_TOLERANCE


def capstone_run(functions=None, steps=30, prompt="the cat sat on the", n_words=8, seed=0, n_validation=600,
                 directory=None):
    """Train the first ``steps`` steps of the recorded short run on a function table, then use it.

    The run repeats ``data/transformer_history.json``'s ``"short_run"`` (the same settings, seed
    and batches), so with right functions its losses follow the recorded ones to rounding. A few
    steps teach the model little, so the shipped checkpoint (the full training), run on the same
    functions, then writes ``n_words`` words after ``prompt`` and measures its loss on the first
    ``n_validation`` validation sentences. Lesson 12's capstone runs it on a learner's functions.

    Parameters
    ----------
    functions : dict, optional
        A function table (:func:`softmax_lab.transformer_functions.checked_functions`); the
        package's by default.
    steps : int, default 30
        At most the recorded run's length.
    prompt : str or list of str, default "the cat sat on the"
    n_words : int, default 8
        At least 1.
    seed : int, numpy.random.Generator or None, default 0
        Seeds the words drawn.
    n_validation : int, default 600
        How many validation sentences (from the first) measure the loss.
    directory : str or Path, optional
        The data folder.

    Returns
    -------
    CapstoneRun
        A learner's function that raises, or numbers that break (NaN reaching the package's
        checked functions), stop the run early: ``error`` says why, ``gap`` is inf.

    Examples
    --------
    >>> run = capstone_run(steps=3, n_words=2, n_validation=5)
    >>> run.follows_reference, run.broken, len(run.generated)
    (True, [], 2)
    """
    return CapstoneSession(functions, prompt, n_words, seed, n_validation, directory).run(steps)


class CapstoneSession:
    """A :func:`capstone_run` that can be made longer: :meth:`run` trains on from the last step.

    ``CapstoneSession(functions, ...).run(steps)`` is ``capstone_run(functions, steps, ...)``
    (the parameters are the same). A later ``run(more)`` trains only the steps from the last
    ``steps`` to ``more``: the batches and the step size depend on the step number, not on the
    call, so the losses are those of one run of ``more`` steps. The words written and the
    validation loss depend on the functions alone and are computed once, by the first run. So
    lesson 12's dashboard answers one more step of its slider with one training step. The
    function table's counts then cover every step and that one pass of writing and validation,
    as one ``capstone_run(more)`` does; a mismatch that first appears in a later step is numbered
    after that pass's calls. After an error the session stays where it stopped.

    Attributes: ``trainer`` (the :class:`Trainer`, ``trainer.step`` the steps done), ``error``.

    Examples
    --------
    >>> session = CapstoneSession(n_words=2, n_validation=5)
    >>> first, longer = session.run(2), session.run(3)
    >>> once = capstone_run(steps=3, n_words=2, n_validation=5)
    >>> session.trainer.step, bool(np.array_equal(longer.losses, once.losses)), len(first.losses)
    (3, True, 2)
    """

    def __init__(self, functions=None, prompt="the cat sat on the", n_words=8, seed=0, n_validation=600,
                 directory=None):
        from . import transformer_functions as _fns

        if functions is not None:
            functions = check.function_table(functions)
        words = isinstance(prompt, (list, tuple)) and all(isinstance(w, str) for w in prompt)
        if not (isinstance(prompt, str) or words):
            raise TypeError(f"prompt must be a string or a list of words, got {type(prompt).__name__}")
        self._n_words, self._n_validation = integer(n_words, "n_words"), integer(n_validation, "n_validation")
        if not (seed is None or isinstance(seed, np.random.Generator) or (
                isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0)):
            raise ValueError(f"seed must be None, a whole number >= 0 or a numpy Generator, got {seed!r}")
        self._prompt, self._seed, self._directory = prompt, seed, directory
        history = _data.load_json("transformer_history.json", directory)["short_run"]
        self._recorded = np.array(history["losses"])
        sentences = _data.load_sentences("train", directory) + _t.load_sentences("longrange_train", directory)
        vocab = _data.load_json(_lm.VOCAB_FILE, directory)["words"]
        self._table = _fns.package_functions() if functions is None else functions
        self.trainer = Trainer(sentences, vocab, functions=self._table, **history["shape"], **history["settings"])
        trained = _t.load("tiny", directory)
        self._shipped = _t.TinyTransformer(trained.vocab, trained.weights, functions=self._table, name="tiny",
                                           **trained.settings)
        self.error, self._generated, self._validation_loss, self._used = None, [], None, False

    def run(self, steps=30):
        """Train on to ``steps`` steps (at least the steps done, at most the recorded run's);
        returns a :class:`CapstoneRun`."""
        from . import transformer_functions as _fns

        steps = integer(steps, "steps")
        if steps > len(self._recorded):
            raise ValueError(f"steps must be at most {len(self._recorded)} (the recorded run), got {steps}")
        if steps < self.trainer.step:
            raise ValueError(f"steps must be at least the {self.trainer.step} steps this session has trained, "
                             f"got {steps}")
        if self.error is None:
            try:
                with np.errstate(all="ignore"):           # a wrong function may overflow: its numbers show it
                    self.trainer.run(steps - self.trainer.step)
                    if not self._used:
                        self._used = True
                        self._generated = _t.generate(self._shipped, self._prompt, self._n_words, rng=self._seed,
                                                      top_p=0.9)
                        validation = _t.load_sentences("validation", self._directory)[:self._n_validation]
                        self._validation_loss = _t.mean_cross_entropy(self._shipped, validation)
            except (RuntimeError, ValueError, FloatingPointError, IndexError) as exc:   # shown to the learner
                self.error = f"stopped after step {self.trainer.step}: {type(exc).__name__}: {exc}"
        losses, reference = self.trainer.result.losses.copy(), self._recorded[:steps].copy()
        if len(losses) == steps and np.isfinite(losses).all():
            gap = float(np.max(np.abs(losses - reference)))
        else:
            gap = float("inf")
        report = _fns.plug_report(self._table)
        return CapstoneRun(losses, reference, gap, self._validation_loss, list(self._generated), report,
                           [row["function"] for row in report if row["mismatches"]], self.error, self.trainer.model)
