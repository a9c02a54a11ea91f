"""The registry of the hostile-arguments property (tests/test_hostile_arguments.py): kinds of
argument and which parameter is which kind.

A *kind* is two hypothesis strategies built from a drawn *world* (sizes and small objects that the
arguments of one call agree on): values inside the supported range (the "Supported range"
paragraph of each module's docstring) and values outside it, which must be refused with an error
naming the parameter. :data:`PARAMETERS` maps a parameter name, or ``"function.parameter"``
(``"module:function.parameter"`` where two modules use one name differently), to its kind: a new
public function is covered by adding its parameters here.
"""

import dataclasses
import math
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.special import logsumexp as scipy_logsumexp

import softmax_lab
from softmax_lab import audit, data, lm, training, transformer, transformer_functions, transformer_training
from softmax_lab.decoding import LMScorer
from softmax_lab.factored import AdaptiveSoftmax, HierarchicalSoftmax
from softmax_lab.llm_pairs import LESSON_PAIRS, DualEncoder

# ---------------------------------------------------------------------------------------------
# The world: sizes and shared objects that the arguments of one call agree on

CONTEXT = 3                                     # context size of the tiny models drawn here (the default)
SCRATCH = Path(tempfile.mkdtemp(prefix="softmax-lab-hostile-"))
data.write_npz(SCRATCH / "out.npz", {"a": np.ones(2)})              # write_manifest's file
DATA_FILES = sorted(data.read_manifest())


@st.composite
def worlds(draw):
    K = draw(st.integers(2, 5))
    w = {"N": draw(st.integers(1, 4)), "K": K, "d": draw(st.integers(1, 3)),
         "dtype": draw(st.sampled_from([np.float16, np.float32, np.float64])),
         "vocab": [lm.START, lm.UNK, lm.END, "cat", "sat"][:K]}
    w["seed"] = draw(st.integers(0, 2**16))
    return w


def _rng(world):
    return np.random.default_rng(world["seed"])


# ---------------------------------------------------------------------------------------------
# Building blocks of the strategies

def floats_of(dtype, low, high):
    width = {np.float16: 16, np.float32: 32, np.float64: 64}[dtype]
    return st.floats(low, high, allow_nan=False, allow_infinity=False, width=width)


def real_values(dtype):
    """Moderate numbers, and now and then the extremes of the dtype."""
    big = float(np.finfo(dtype).max)
    return st.one_of(floats_of(dtype, -30, 30), st.sampled_from([big, -big, big / 3, -big / 3, 0.0]))


def float_array(world, shape, low=None, high=None, dtype=None):
    dtype = dtype or world["dtype"]
    elements = real_values(dtype) if low is None else floats_of(dtype, low, high)
    return hnp.arrays(dtype, shape, elements=elements)


@st.composite
def masked_scores(draw, world, shape):
    """Real scores with -inf (a mask) here and there, never a whole row."""
    z = draw(float_array(world, shape))
    mask = draw(hnp.arrays(bool, shape))
    mask[..., 0] = False
    if z.ndim and draw(st.booleans()):
        z = np.where(mask, -np.inf, z).astype(z.dtype)
    return z


def product_safe(world, shape, divisor=1.0):
    """Entries small enough that a dot product of d of them (divided by up to ``divisor``: the
    smallest temperature drawn, 1e-3, where a product is divided by one) fits the dtype."""
    bound = float(np.sqrt(np.finfo(world["dtype"]).max / (4 * world["d"] * divisor)))
    return hnp.arrays(world["dtype"], shape, elements=st.one_of(
        floats_of(world["dtype"], -30, 30), st.sampled_from([bound, -bound, bound / 7, 0.0])))


def exp_safe(world, shape):
    """Entries whose exponential neither overflows nor vanishes (what the textbook formula needs)."""
    bound = float(np.log(np.finfo(world["dtype"]).max)) / 4
    return hnp.arrays(world["dtype"], shape, elements=floats_of(world["dtype"], -bound, bound))


def score_shape(world):
    N, K = world["N"], world["K"]
    return st.sampled_from([(K,), (N, K), (2, N, K)])


@st.composite
def distributions(draw, world, shape):
    z = draw(hnp.arrays(np.float64, shape, elements=st.floats(-5, 5)))
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    if draw(st.booleans()):
        p[..., -1] = 0.0                             # an exact zero is a probability too
        p /= p.sum(axis=-1, keepdims=True)
    return p.astype(draw(st.sampled_from([np.float32, np.float64, world["dtype"]])))


def nan_in(a):
    a = np.array(a, dtype=float)
    a.flat[0] = np.nan
    return a


def with_inf(a, sign=1):
    a = np.array(a, dtype=float)
    a.flat[-1] = sign * np.inf
    return a


def bad_arrays(example):
    """Arrays that no numeric argument accepts: built around ``example`` (a valid array)."""
    e = np.asarray(example, dtype=float)
    return st.sampled_from([
        nan_in(e),
        np.full(e.shape, "a"),
        np.ones(e.shape, dtype=bool),
        e.astype(complex) + 1j,
        np.ma.masked_array(e, mask=np.zeros(e.shape, bool)),
        [[0.5, 0.5], [1.0]],                           # ragged
        np.array([object()] * max(e.size, 1)),
        "abc",
        None,
    ])


def bad_reals():
    """Never a real number: a string, a bool, a list, None, a complex or an integer too large for a float."""
    return st.sampled_from(["1", True, [1.0], None, 1j, 10**400])


def bad_counts():
    return st.sampled_from([0, -1, 1.5, "3", True, None, np.float64(2.0)])


def bad_flags():
    return st.sampled_from(["yes", 2, None, [True]])


def bad_callables():
    return st.sampled_from([5, "f", None, [len]])


def bad_texts():
    return st.sampled_from([5, None, b"bytes", 1.5, [object()]])


def bad_choice():
    return st.sampled_from(["no-such-option", 5, None, True])


def bad_generators():
    return st.sampled_from([-1, 1.5, "seed", True, [1, 2], np.random.RandomState(0)])


# ---------------------------------------------------------------------------------------------
# The kinds: (inside the supported range, outside it)

@dataclasses.dataclass
class Kind:
    valid: object            # world -> strategy of values inside the supported range
    invalid: object          # world -> strategy of values that must be refused by name (None: none is)
    errors: tuple = (ValueError, TypeError)     # what a refusal raises
    word: str = None         # what its message must name (default: the parameter's name)


def positive(low, high, extra_bad=()):
    """A real number in [low, high] (low > 0); 0, negatives, NaN, inf and non-numbers are refused."""
    return Kind(lambda w: st.floats(low, high),
                lambda w: st.one_of(st.sampled_from([0.0, -1.0, np.nan, np.inf, -np.inf, *extra_bad]), bad_reals()))


def in_interval(low, high, open_low=False, open_high=False, optional=False):
    """A real number in an interval; outside it (and NaN, non-numbers) refused."""
    eps = 1e-9
    valid = st.floats(low + (eps if open_low else 0), high - (eps if open_high else 0))
    outside = [low - 1.0, high + 1.0, np.nan, np.inf] + ([low] if open_low else []) + ([high] if open_high else [])
    invalid = st.one_of(st.sampled_from(outside), bad_reals().filter(lambda v: not (optional and v is None)))
    return Kind(lambda w: st.one_of(st.none(), valid) if optional else valid, lambda w: invalid)


def at_least(low, typical_high=1e3):
    """Any finite real number >= low (nothing above is refused)."""
    return Kind(lambda w: st.floats(low, typical_high),
                lambda w: st.one_of(st.sampled_from([low - 1.0, np.nan, np.inf, -np.inf]), bad_reals()))


def count(low=1, high=4, optional=False):
    bad = bad_counts().filter(lambda v: not (isinstance(v, int) and not isinstance(v, bool) and v >= low))
    bad = bad.filter(lambda v: not (optional and v is None))
    valid = st.integers(low, high)
    return Kind(lambda w: st.one_of(st.none(), valid) if optional else valid,
                lambda w: st.one_of(bad, st.just(low - 1)))


def choice(*options):
    return Kind(lambda w: st.sampled_from(options), lambda w: bad_choice())


def flag():
    return Kind(lambda w: st.booleans(), lambda w: bad_flags())


def anything_valid(strategy):
    """Every value is fine (nothing to refuse)."""
    return Kind(lambda w: strategy(w), None)


def scores_kind(all_masked_row=True, empty_axis=True, scalar=True):
    """Scores with a class axis (-inf masks an entry); outside: NaN, +inf, non-numbers and, where the
    function needs a class axis, a row with every entry masked, an empty axis or a scalar."""
    @st.composite
    def invalid(draw, w):
        good = draw(float_array(w, (w["N"], w["K"])))
        shapes = ([np.full((w["N"], w["K"]), -np.inf)] * all_masked_row + [np.zeros((w["N"], 0))] * empty_axis
                  + [np.float64(1.0)] * scalar)
        return draw(st.one_of(bad_arrays(good), st.sampled_from([with_inf(good), *shapes])))
    return Kind(lambda w: score_shape(w).flatmap(lambda s: masked_scores(w, s)), invalid)


def matrix_kind(rows, cols, low=None, high=None, wrong=((1, 0), (0, 1), None)):
    """A float array of shape (rows(w), cols(w)); NaN, inf, non-numbers and wrong shapes refused.

    ``wrong``: the shapes the function must refuse, as (extra rows, extra columns), or None for 1-D.
    """
    @st.composite
    def invalid(draw, w):
        good = np.ones((rows(w), cols(w)))
        shapes = [np.ones(cols(w) + 1) if s is None else np.ones(s(w)) if callable(s)
                  else np.ones((rows(w) + s[0], cols(w) + s[1])) for s in wrong]
        return draw(st.one_of(bad_arrays(good), st.sampled_from([with_inf(good), *shapes])))
    return Kind(lambda w: float_array(w, (rows(w), cols(w)), low, high), invalid)


def probs_kind():
    @st.composite
    def invalid(draw, w):
        good = np.full((w["N"], w["K"]), 1.0 / w["K"])
        logits = good * 3.0
        negative = good.copy()
        negative[0, :2] = [-0.5, 1.5 + negative[0, 0]]
        return draw(st.one_of(bad_arrays(good), st.sampled_from([
            logits, negative, with_inf(good), good[0], np.zeros((0, w["K"])), good[:, :1] * 0.5])))
    return Kind(lambda w: distributions(w, (w["N"], w["K"])), invalid)


def labels_kind(n=lambda w: w["N"], k=lambda w: w["K"], length_matters=True):
    @st.composite
    def invalid(draw, w):
        return draw(st.sampled_from([
            np.full(n(w), k(w)), np.full(n(w), -1), np.zeros(n(w)) + 0.5, np.ones(n(w), bool),
            np.zeros((n(w), 2), int), np.full(n(w), "a"), None, "0", [[0, 1], [1]]]
            + [np.zeros(n(w) + 1, int)] * length_matters))
    return Kind(lambda w: hnp.arrays(np.int64, n(w), elements=st.integers(0, k(w) - 1)), invalid)


def rng_kind():
    return Kind(lambda w: st.one_of(st.none(), st.integers(0, 2**32),
                                    st.builds(np.random.default_rng, st.integers(0, 9))),
                lambda w: bad_generators())


def int_seed_kind():
    return Kind(lambda w: st.integers(0, 1000), lambda w: st.sampled_from([-1, 1.5, "0", None, True]))


def text_kind():
    return Kind(lambda w: st.text(max_size=20), lambda w: bad_texts())


def words_kind():
    """A string or a list of words (the lm and decoding functions take either)."""
    words = lambda w: st.lists(st.sampled_from(w["vocab"] + ["cat", "."]), max_size=5)   # noqa: E731
    return Kind(lambda w: st.one_of(st.text(alphabet="abc .", max_size=12), words(w)),
                lambda w: st.sampled_from([5, None, [1, 2], b"a b", [["a"]]]))


def callable_kind(valid):
    return Kind(lambda w: st.just(valid(w)), lambda w: bad_callables())


# ---------------------------------------------------------------------------------------------
# Objects a world provides (the tiny models and their pieces)

def tiny_weights(w, seed=0):
    return training.init_weights(w["K"], CONTEXT, embed_dim=2, hidden_size=3, seed=seed)


def tiny_model(w):
    return lm.TinyLM(w["vocab"], tiny_weights(w), context_size=CONTEXT, name="tiny")


def tiny_examples(w):
    r = _rng(w)
    return r.integers(0, w["K"], size=(w["N"], CONTEXT)), r.integers(0, w["K"], size=w["N"])


def adaptive(w):
    return AdaptiveSoftmax.random((1, w["K"]), dim=w["d"], seed=w["seed"])


def hierarchical(w):
    return HierarchicalSoftmax.random(w["K"], dim=w["d"], seed=w["seed"])


def trainer(w):
    c, t = tiny_examples(w)
    return training.Trainer(c, t, w["K"], steps=3, batch_size=2, embed_dim=2, hidden_size=3,
                            validation=(c, t), eval_every=2)


def table_scorer(w):
    table = np.log(np.random.default_rng(w["seed"]).dirichlet(np.ones(w["K"]), size=w["K"] + 1))
    return lambda tokens: table[tokens[-1] + 1 if tokens else 0]


# ---------------------------------------------------------------------------------------------
# The transformer (lesson 12) and lesson 13's modules

TF_T = 3                                         # tokens per row of the transformer's ids


def tf_model(w):
    return transformer.load()                   # a fresh copy each time: plug() changes a model


def tf_ids(w):
    return np.random.default_rng(w["seed"]).integers(0, 445, size=(w["N"], TF_T))


def tf_cache(w):
    return transformer.forward(tf_model(w), tf_ids(w), return_cache=True)[1]


def tf_sentences(w):
    return st.lists(st.lists(st.sampled_from(["the", "cat", "sat", "on", "mat", "dog", "zebra"]),
                             min_size=1, max_size=5), min_size=1, max_size=3)


def tf_text_words(w):
    return st.lists(st.sampled_from(["the", "cat", "sat", "on", "zebra"]), max_size=5).map(" ".join)


def tf_trainer(w):
    return transformer_training.Trainer([["the", "cat", "sat", "."]] * 3, transformer.load().vocab, steps=3,
                                        batch_size=2, n_layers=1, n_heads=1, d_model=4, d_mlp=4, max_len=6)


def tf_capstone_session(w):
    return transformer_training.CapstoneSession(n_words=1, n_validation=1)


def distillation_logits(w):
    """Logits inside distillation_loss's documented range for every temperature drawn (1e-3 to 1e3):
    each row's spread is 0 or at least 1 (T at most 1e4 x the spread), and |z| stays below 8e304, so
    that (z_i - z_j) / T is finite in float64. The extremes of float16 and float32 are drawn as usual."""
    def fit(z):
        if z.dtype == np.float64:
            z = np.clip(z, -8e304, 8e304)
        wide = z.astype(np.float64)
        spread = wide.max(axis=-1) - wide.min(axis=-1)
        z[..., 0] = np.where((spread > 0) & (spread < 1), wide.max(axis=-1) + 1, wide[..., 0])
        return z
    return float_array(w, (w["N"], w["K"])).map(fit)


def speculative_tables(w):
    return np.random.default_rng(w["seed"]).dirichlet(np.ones(w["K"]), size=2)


def world_index(w):
    return {word: i for i, word in enumerate(w["vocab"])}


def dual_encoder(w):
    return DualEncoder(world_index(w), 2, w["seed"])


@st.composite
def preference_pairs(draw, w):
    """(context, chosen, rejected) triples: a text, and two words of the world's vocabulary."""
    word = st.sampled_from(w["vocab"])
    context = st.lists(st.sampled_from(w["vocab"] + ["cat", "mat"]), max_size=4).map(" ".join)
    return draw(st.lists(st.tuples(context, word, word), min_size=1, max_size=2))


def sentences_kind(min_size):
    """At least ``min_size`` sentences, none of them empty."""
    bad = ["a b", [["a", 1]], [5], None, 5, [["cat"], []]] + [[]] * (min_size > 0)
    return Kind(lambda w: st.lists(st.lists(st.sampled_from(w["vocab"] + ["x", "."]), min_size=1, max_size=4),
                                   min_size=min_size, max_size=3),
                lambda w: st.sampled_from(bad))


INSTANCES = {
    "softmax_lab.llm_pairs.DualEncoder": dual_encoder,
    "softmax_lab.factored.AdaptiveSoftmax": adaptive,
    "softmax_lab.factored.HierarchicalSoftmax": hierarchical,
    "softmax_lab.training.Trainer": trainer,
    "softmax_lab.lm.TinyLM": tiny_model,
    "softmax_lab.decoding.LMScorer": lambda w: LMScorer(tiny_model(w), "the cat"),
    "softmax_lab.transformer.TinyTransformer": tf_model,
    "softmax_lab.transformer_training.Trainer": tf_trainer,
    "softmax_lab.transformer_training.CapstoneSession": tf_capstone_session,
}


def weights_kind():
    @st.composite
    def invalid(draw, w):
        good = tiny_weights(w)
        missing = {k: v for k, v in good.items() if k != "output_bias"}
        wrong = {**good, "hidden_weight": good["hidden_weight"][:, :1]}
        return draw(st.sampled_from([missing, wrong, None, "weights", [1, 2]]))
    return Kind(lambda w: st.just(tiny_weights(w)), invalid)


def contexts_kind():
    return Kind(lambda w: st.just(tiny_examples(w)[0]),
                lambda w: st.sampled_from([np.full((w["N"], CONTEXT), w["K"]), np.full((w["N"], CONTEXT), -1),
                                           np.zeros((w["N"], CONTEXT)) + 0.5, "a b", None]))


def adaptive_parts(w):
    a = adaptive(w)
    return st.just({"cutoffs": a.cutoffs, "head_weight": a.head_weight, "head_bias": a.head_bias, "tails": a.tails})


def part_kind(name, bad):
    return Kind(lambda w: adaptive_parts(w).map(lambda parts: parts[name]), lambda w: st.sampled_from(bad(w)))


def product_kind(rows, cols, wrong=((0, 1), None, lambda w: ())):
    """A float (rows, cols) array for a matrix product: entries within product_safe's bound."""
    kind = matrix_kind(rows, cols, wrong=wrong)
    return Kind(lambda w: product_safe(w, (rows(w), cols(w))), kind.invalid)


def hidden_kind():
    return product_kind(lambda w: w["N"], lambda w: w["d"])


def moderate_hidden_kind():
    """Hidden states of order 1 to 30: gradient descent with a step of up to 1e3 stays finite."""
    return Kind(lambda w: float_array(w, (w["N"], w["d"]), -30, 30), hidden_kind().invalid)


def data_file_kind(suffixes):
    names = [n for n in DATA_FILES if n.endswith(suffixes)]
    return Kind(lambda w: st.sampled_from(names),
                lambda w: st.sampled_from(["", "../MANIFEST", "sub/vocab.json", 5, None, b"vocab.json"]))


def directory_kind():
    return Kind(lambda w: st.just(None), lambda w: st.sampled_from([5, b"data", 1.5, ["data"], ""]))


# ---------------------------------------------------------------------------------------------
# The registry: parameter name (or "function.parameter") -> kind

KINDS = {
    "scores": scores_kind(),
    "elementwise_scores": scores_kind(all_masked_row=False, empty_axis=False, scalar=False),
    "sink_scores": scores_kind(all_masked_row=False),
    "score_matrix": Kind(                       # logits that do not look like probabilities (those are refused)
        lambda w: float_array(w, (w["N"], w["K"])).map(lambda z: z + 2 if np.all((z >= 0) & (z <= 1)) else z),
        matrix_kind(lambda w: w["N"], lambda w: w["K"], wrong=((1, 0), None)).invalid),
    "exp_safe_scores": Kind(lambda w: exp_safe(w, (w["N"], w["K"])),       # the textbook formula: no checks of values
                            lambda w: st.sampled_from([np.full((2, 2), "a"), np.ones((2, 2), bool), np.ones(2) + 1j,
                                                       [[0.5], [0.5, 1.0]], np.float64(1.0), None])),
    "probs": probs_kind(),
    "labels": labels_kind(),
    "class_ids": labels_kind(length_matters=False),
    "axis": Kind(lambda w: st.just(-1), lambda w: st.sampled_from([7, -9, 1.5, "1", True])),
    "temperature": positive(1e-3, 1e3),
    "temperature_or_zero": Kind(lambda w: st.one_of(st.just(0.0), st.floats(1e-3, 1e3)),
                                lambda w: st.one_of(st.sampled_from([-1.0, np.nan, np.inf]), bad_reals())),
    "label_smoothing": in_interval(0, 1),
    "fraction": in_interval(0, 1),
    "top_p": in_interval(0, 1, open_low=True),
    "open_fraction": in_interval(0, 1, open_low=True, open_high=True),
    "optional_top_p": in_interval(0, 1, open_low=True, optional=True),
    "optional_min_p": in_interval(0, 1, optional=True),
    "optional_top_k": count(1, 6, optional=True),
    "optional_count": count(1, 6, optional=True),
    "count": count(1, 4),
    "count_or_zero": count(0, 4),
    "n_bins": count(1, 20),
    "strategy": choice("uniform", "quantile"),
    "norm": choice("l1", "l2", "max"),
    "reduction": choice("mean", "sum", "none"),
    "flag": flag(),
    "rng": rng_kind(),
    "int_seed": int_seed_kind(),
    "text": text_kind(),
    "words": words_kind(),
    "nonnegative": at_least(0.0),
    "positive": positive(1e-3, 1e3),
    "alpha": Kind(lambda w: st.one_of(st.floats(1, 60), st.sampled_from([1.0, 2.0, 1e6])),
                  lambda w: st.one_of(st.sampled_from([0.5, -1.0, np.nan, np.inf]), bad_reals())),
    "any_positive": Kind(lambda w: st.one_of(st.floats(1e-3, 1e3), st.sampled_from([1e-300, 3.5e38, 7e4, 1e39,
                                                                                   float(np.finfo(float).max)])),
                         positive(1, 2).invalid),                 # any finite number > 0 (beyond float32 too)
    "any_real": Kind(lambda w: st.one_of(st.floats(-1e3, 1e3), st.sampled_from([-1e39, 1e39, 7e4, -1e300, 1e300])),
                     lambda w: st.one_of(st.sampled_from([np.nan, np.inf]), bad_reals())),
    "real": Kind(lambda w: st.floats(-1e3, 1e3), lambda w: st.one_of(st.sampled_from([np.nan, np.inf]), bad_reals())),
    "optional_real": Kind(lambda w: st.one_of(st.none(), st.floats(-1e3, 1e3)),
                          lambda w: st.one_of(st.sampled_from([np.nan, np.inf]),
                                              bad_reals().filter(lambda v: v is not None))),
    "optional_positive": Kind(lambda w: st.one_of(st.none(), st.floats(1e-3, 1e3)),
                              lambda w: st.sampled_from([0.0, -1.0, np.nan, np.inf, "1", True])),
    "bounds": Kind(lambda w: st.tuples(st.floats(0.01, 0.5), st.floats(2.0, 50.0)),
                   lambda w: st.sampled_from([(0.0, 1.0), (2.0, 1.0), (1.0, np.inf), (1.0,), "ab", None, (-1, 2)])),
    "metric": callable_kind(lambda w: softmax_lab.calibration.brier_score),
    # the large-vocabulary modules
    "hidden": hidden_kind(),
    "moderate_hidden": moderate_hidden_kind(),
    "weight": product_kind(lambda w: w["K"], lambda w: w["d"]),
    "sampled_weight": Kind(                     # only the drawn and target rows are read (vocab's docstring)
        lambda w: product_safe(w, (w["K"], w["d"])),
        lambda w: st.sampled_from([np.full((w["K"], w["d"]), np.nan), np.full((w["K"], w["d"]), np.inf),
                                   np.ones((w["K"], w["d"] + 1)), np.ones(w["d"]), np.full((w["K"], w["d"]), "a"),
                                   np.ones((w["K"], w["d"]), bool), np.ma.masked_array(np.ones((w["K"], w["d"]))),
                                   [[0.5, 0.5], [1.0]], None])),
    "bias": Kind(lambda w: st.one_of(st.none(), float_array(w, w["K"], -5, 5, np.float64)),
                 lambda w: st.sampled_from([np.full(w["K"], np.nan), np.ones(w["K"] + 1), np.full(w["K"], "a"), 5])),
    "word_ids": labels_kind(),
    "proposal": Kind(lambda w: distributions(w, (w["K"],)).map(                  # every word possible
                         lambda p: (lambda q: q / q.sum())(0.5 / len(p) + 0.5 * p.astype(np.float64))),
                     lambda w: st.sampled_from([np.ones(w["K"]), -np.ones(w["K"]) / w["K"],
                                                np.ones(w["K"] + 1) / (w["K"] + 1),
                                                nan_in(np.ones(w["K"]) / w["K"]), "q", None])),
    "cutoffs": part_kind("cutoffs", lambda w: [(3, 2), (1,), "ab", (1.5, w["K"]), None, (0, w["K"]), 5]),
    "head_weight": part_kind("head_weight", lambda w: [np.ones((7, 1)), nan_in(np.ones((2, w["d"]))), "w", None]),
    "head_bias": part_kind("head_bias", lambda w: [np.ones(7), nan_in(np.ones(2)), "b", None]),
    "tails": part_kind("tails", lambda w: [[1], "tails", None, [(1, 2)], [], 5,
                                           [(np.ones((1, 9)), np.ones((1, 1)), np.ones(1))]]),
    "div_value": Kind(lambda w: st.floats(1, 10), lambda w: st.sampled_from([0.5, np.nan, "4", True, 1e7])),
    "node_weight": product_kind(lambda w: w["K"] - 1, lambda w: w["d"], wrong=(None,)),
    "node_bias": Kind(lambda w: st.one_of(st.none(), float_array(w, w["K"] - 1, -3, 3, np.float64)),
                      lambda w: st.sampled_from([np.ones(w["K"]), nan_in(np.ones(w["K"] - 1)), "b"])),
    "word": Kind(lambda w: st.integers(0, w["K"] - 1), lambda w: st.sampled_from([w["K"], -1, 1.5, "0", None])),
    "word_probabilities": Kind(lambda w: distributions(w, (w["K"],)),
                               lambda w: st.sampled_from([np.zeros(w["K"]), -np.ones(w["K"]), np.ones(w["K"] + 1),
                                                          nan_in(np.ones(w["K"])), "p"])),
    "target_probabilities": probs_kind(),
    "cost_dtype": choice("float64", "float32", "bfloat16", "float16"),
    "exponent": Kind(lambda w: st.floats(0, 5), lambda w: st.sampled_from([-1.0, np.nan, 1e4, "1", True])),
    "fn": callable_kind(lambda w: (lambda: 1.0)),
    "min_time": Kind(lambda w: st.floats(0, 0.001), lambda w: st.sampled_from([-1.0, np.nan, 100.0, "0", True])),
    # the tiny language model
    "model": Kind(lambda w: st.just(tiny_model(w)), lambda w: st.sampled_from([None, "best", 5, tiny_weights(w)])),
    "weights": weights_kind(),
    "contexts": contexts_kind(),
    "targets_for_contexts": Kind(lambda w: st.just(tiny_examples(w)[1]),
                                 lambda w: st.sampled_from([np.full(w["N"], w["K"]), np.zeros(w["N"] + 1, int),
                                                            np.zeros(w["N"]) + 0.5, None])),
    "weight_decay": Kind(lambda w: st.floats(0, 5e-4),                  # learning_rate * weight_decay < 1
                         lambda w: st.one_of(st.sampled_from([-1.0, np.nan, np.inf, 1e4]), bad_reals())),
    "tree_size": Kind(lambda w: st.just(w["K"]), lambda w: st.sampled_from([1, 0, 1.5, "5", None, True])),
    "vocab_size": Kind(lambda w: st.just(w["K"]), lambda w: st.sampled_from([0, 1.5, "5", None, True])),
    "init": Kind(lambda w: st.one_of(st.none(), st.just(tiny_weights(w, seed=1))),
                 lambda w: st.sampled_from([{"embeddings": 1}, "init", 5,
                                            {**tiny_weights(w), "output_bias": np.full(w["K"], np.nan)}])),
    "validation": Kind(lambda w: st.one_of(st.none(), st.just(tiny_examples(w))),
                       lambda w: st.sampled_from([(np.zeros((1, CONTEXT + 1), int), np.zeros(1, int)),
                                                  (np.full((1, CONTEXT), w["K"]), np.zeros(1, int)), "v", 5, (1,)])),
    "snapshot_steps": Kind(lambda w: st.lists(st.integers(1, 3), max_size=2),
                           lambda w: st.sampled_from([[0], [1.5], ["a"], 5, None])),
    "callback": Kind(lambda w: st.sampled_from([None, lambda t: None]), lambda w: bad_callables().filter(bool)),
    "sentences": Kind(lambda w: st.lists(st.lists(st.sampled_from(w["vocab"] + ["x", "."]), max_size=4), max_size=3),
                      lambda w: st.sampled_from(["a b", [["a", 1]], [5], None, 5])),
    "index": Kind(lambda w: st.just({word: i for i, word in enumerate(w["vocab"])}),
                  lambda w: st.sampled_from([{"a": 0}, None, ["<s>"], {lm.START: "0", lm.UNK: 1}])),
    "vocab": Kind(lambda w: st.just(w["vocab"]), lambda w: st.sampled_from([["a", "b"], "words", None, [1, 2]])),
    "checkpoint": choice(*lm.CHECKPOINTS),
    "split": choice(*data.SPLITS, data.CALIBRATION_SPLIT),
    "context_size": Kind(lambda w: st.just(CONTEXT), lambda w: bad_counts()),
    "name_label": Kind(lambda w: st.one_of(st.none(), st.text(max_size=5)), lambda w: st.sampled_from([5, b"x"])),
    # decoding
    "scorer": callable_kind(table_scorer),
    "token_ids": Kind(lambda w: st.lists(st.integers(0, w["K"] - 1), max_size=4).map(tuple),
                      lambda w: st.sampled_from([(w["K"],), (-1,), (0.5,), "ab", 5, None])),
    "length_penalty": in_interval(0, 10),
    "optional_token": Kind(lambda w: st.one_of(st.none(), st.integers(0, w["K"] - 1)),
                           lambda w: st.sampled_from([-1, 1.5, "0", True])),
    "tokens_any": Kind(lambda w: st.one_of(st.lists(st.integers(0, 3), max_size=6),
                                           st.lists(st.text(max_size=2), max_size=6)),
                       lambda w: st.sampled_from(["a b a", 5, None, [[1], [2]]])),
    # classify
    "texts": Kind(lambda w: st.lists(st.text(max_size=12), max_size=3),
                  lambda w: st.sampled_from(["a text", [1], None, 5])),
    "vocabulary": Kind(lambda w: st.lists(st.text(alphabet="abc", min_size=1, max_size=3), max_size=3, unique=True),
                       lambda w: st.sampled_from(["abc", [1], ["a", "a"], None])),
    "X": Kind(lambda w: float_array(w, (w["N"], 2), -5, 5, np.float64),
              lambda w: st.sampled_from([np.float64(1.0), None])),
    "y_any": Kind(lambda w: hnp.arrays(np.int64, w["N"], elements=st.integers(0, 3)),
                  lambda w: st.sampled_from([np.zeros(w["N"] + 1), np.zeros((w["N"], 2)), None])),
    "n_classes": Kind(lambda w: st.just(w["K"]), lambda w: st.sampled_from([0, 1.5, "3", None])),
    "image_size": count(6, 8),
    "noise_level": in_interval(0, 2),
    "jitter": Kind(lambda w: st.floats(0, 1.5),                        # at most size / 4, and size >= 6
                   lambda w: st.one_of(st.sampled_from([-1.0, np.nan, np.inf, 100.0]), bad_reals())),
    # bandits
    "estimates": Kind(lambda w: score_shape(w).flatmap(lambda s: float_array(w, s, -10, 10, np.float64)),
                      lambda w: st.sampled_from([nan_in(np.ones(w["K"])), np.zeros(0), "q", None, np.float64(1.0)])),
    "means": Kind(lambda w: st.lists(st.floats(-10, 10), min_size=w["K"], max_size=w["K"]),
                  lambda w: st.sampled_from([[0.1, "a"], [10**400, 1.0], [0.5], [np.nan, 1.0], "ab", None,
                                             [1e7, 0.0]])),
    "policy": choice("boltzmann", "annealed", "epsilon_greedy", "boltzmann_gumbel"),
    "boltzmann_policy": choice("boltzmann", "annealed"),
    "n_steps_bandit": Kind(lambda w: st.integers(5, 8),               # >= K arms, and the default 5
                           lambda w: st.sampled_from([1, 0, 2.5, "9", None])),
    "step": Kind(lambda w: st.one_of(st.integers(0, 10**6), hnp.arrays(np.int64, 3, elements=st.integers(0, 100))),
                 lambda w: st.sampled_from([-1, [0, -2], np.nan, "3", None, True])),
    "temperatures": Kind(lambda w: st.lists(st.floats(1e-3, 1e2), min_size=1, max_size=2),
                         lambda w: st.sampled_from([[0.0], [-1.0], [np.nan], "t", None])),
    "gumbel_scale": in_interval(0, 1e6),
    "bandit_noise": in_interval(0, 1e6),
    # data
    "any_data_file": data_file_kind(("",)),
    "text_data_file": data_file_kind((".md", ".txt", ".json", ".tsv", ".py")),
    "json_data_file": data_file_kind((".json",)),
    "npz_data_file": data_file_kind((".npz",)),
    "directory": directory_kind(),
    "bytes": Kind(lambda w: st.binary(max_size=20), lambda w: st.sampled_from(["text", 5, None])),
    "npz_path": Kind(lambda w: st.just(SCRATCH / "out.npz"), lambda w: st.sampled_from([5, None, 1.5])),
    "npz_arrays": Kind(lambda w: st.dictionaries(st.sampled_from(["a", "b"]), hnp.arrays(np.float64, 2), max_size=2),
                       lambda w: st.sampled_from([5, "a", {1: np.ones(2)}, {"a": np.array([object()])}, None])),
    "scratch_directory": Kind(lambda w: st.just(SCRATCH), lambda w: st.sampled_from([5, 1.5, b"x"])),   # never None:
                                                                              # that is the real data folder
    "scratch_names": Kind(lambda w: st.just(["out.npz"]), lambda w: st.sampled_from(["out.npz", [5], ["../x"], None])),
    # the core's other arrays
    "distribution": Kind(lambda w: distributions(w, (w["N"], w["K"])),
                         lambda w: st.sampled_from([np.full((w["N"], w["K"]), 3.0 / w["K"]), -np.eye(w["N"], w["K"]),
                                                    nan_in(np.ones((w["N"], w["K"])) / w["K"]), np.zeros((w["N"], 0)),
                                                    np.full((w["N"], w["K"]), "a"), None])),
    "binary_targets": Kind(lambda w: float_array(w, (w["N"], w["K"]), 0, 1, np.float64),
                           lambda w: st.sampled_from([np.full((w["N"], w["K"]), 2.0), np.full((w["N"], w["K"]), -1.0),
                                                      nan_in(np.zeros((w["N"], w["K"]))), np.zeros(w["K"] + 1), "t"])),
    "vectors": matrix_kind(lambda w: w["N"], lambda w: w["d"], wrong=(lambda w: (w["N"], 0),)),   # (..., d), d >= 1
    "queries": matrix_kind(lambda w: min(w["N"], w["K"]), lambda w: w["d"], -30, 30, wrong=((0, 1), None)),
    "keys": matrix_kind(lambda w: w["K"], lambda w: w["d"], -30, 30, wrong=((0, 1), (1, 0), None)),
    "values": matrix_kind(lambda w: w["K"], lambda w: w["d"] + 1, -30, 30, wrong=((1, 0), None)),
    "attention_mask": Kind(lambda w: st.one_of(st.none(), hnp.arrays(bool, (min(w["N"], w["K"]), w["K"])).map(
                               lambda m: np.concatenate([np.ones((len(m), 1), bool), m[:, 1:]], axis=1))),
                           lambda w: st.sampled_from([np.zeros((min(w["N"], w["K"]), w["K"]), bool),
                                                      np.ones((7, 7), bool),
                                                      np.full((1, w["K"]), 0.5), np.full((1, w["K"]), "a")])),
    "boolean_mask": Kind(lambda w: hnp.arrays(bool, (min(w["N"], w["K"]), w["K"])).map(
                             lambda m: np.concatenate([np.ones((len(m), 1), bool), m[:, 1:]], axis=1)),
                         lambda w: st.sampled_from([np.zeros((min(w["N"], w["K"]), w["K"]), bool),
                                                    np.ones((7, 7), bool), "m", None])),
    "n_k": Kind(lambda w: st.one_of(st.none(), st.integers(4, 6)), lambda w: st.sampled_from([0, 1.5, "5", True])),
    "base": Kind(lambda w: st.one_of(st.floats(1.1, 10), st.sampled_from([2, math.e])),
                 lambda w: st.one_of(st.sampled_from([1.0, 0.0, -2.0, np.nan, np.inf]), bad_reals())),
    "square_sum": callable_kind(lambda w: (lambda z: float(np.sum(np.asarray(z) ** 2)))),
    "point": Kind(lambda w: float_array(w, (w["K"],), -10, 10, np.float64),
                  lambda w: st.sampled_from([nan_in(np.ones(w["K"])), "x", None, np.array([object()])])),
    "gradient": Kind(lambda w: float_array(w, (w["K"],), -10, 10, np.float64),
                     lambda w: st.sampled_from([np.ones(w["K"] + 1), nan_in(np.ones(w["K"])), "g", None])),
    "step_size": Kind(lambda w: st.floats(1e-7, 1e-3), lambda w: st.sampled_from([0.0, -1e-6, np.nan, "1e-6", True])),
    # lesson 13: distillation, speculative decoding, routing, contrastive, preference
    "prob_vector": Kind(lambda w: distributions(w, (w["K"],)),
                        lambda w: st.sampled_from([np.ones(w["K"]), -np.eye(1, w["K"])[0],
                                                   np.ones(w["K"] + 1) / (w["K"] + 1),
                                                   nan_in(np.ones(w["K"]) / w["K"]), "p", None])),
    "target_fn": callable_kind(lambda w: (lambda contexts: np.tile(speculative_tables(w)[0], (len(contexts), 1)))),
    "draft_fn": callable_kind(lambda w: (lambda context: speculative_tables(w)[1])),
    "token_context": Kind(lambda w: st.lists(st.integers(0, w["K"] - 1), max_size=3).map(tuple),
                          lambda w: st.sampled_from(["ab", 5, (-1,), (0.5,), None])),
    "expert_k": Kind(lambda w: st.integers(1, w["K"]),
                     lambda w: st.sampled_from([0, w["K"] + 1, 1.5, "2", None, True])),
    "pair_rows": Kind(lambda w: product_safe(w, (w["N"], w["d"]), divisor=1e3),        # a @ b.T / temperature
                      product_kind(lambda w: w["N"], lambda w: w["d"], wrong=((1, 0), (0, 1), None)).invalid),
    "log_prob": Kind(lambda w: hnp.arrays(np.float64, w["N"], elements=st.floats(-100, 0)),
                     lambda w: st.sampled_from([nan_in(np.zeros(w["N"])), np.zeros(w["N"] + 1), np.full(w["N"], "a"),
                                                None, np.full(w["N"], np.inf)])),
    # lesson 13's experiment runners (llm_experiments, llm_pairs)
    "optional_contexts": Kind(lambda w: st.one_of(st.none(), st.just(tiny_examples(w)[0])),
                              lambda w: contexts_kind().invalid(w).filter(lambda v: v is not None)),
    "histogram": Kind(lambda w: hnp.arrays(np.int64, w["K"], elements=st.integers(0, 1000)),
                      lambda w: st.sampled_from([-np.ones(w["K"]), nan_in(np.ones(w["K"])), np.ones(w["K"] + 1),
                                                 np.ones((2, w["K"])), np.full(w["K"], "a"), np.float64(3.0), None])),
    "router_hidden": Kind(lambda w: float_array(w, (w["N"], w["d"]), -30, 30),      # any (N, H), entries moderate
                          lambda w: st.one_of(bad_arrays(np.ones((w["N"], w["d"]))),
                                              st.sampled_from([with_inf(np.ones((w["N"], w["d"]))), np.ones(w["d"]),
                                                               np.zeros((0, w["d"])), np.float64(1.0)]))),
    "distill_logits": Kind(distillation_logits, lambda w: KINDS["score_matrix"].invalid(w)),
    "distill_temperature": Kind(      # distillation_loss refuses T above 1e4 x the logits' spread (the tiny
                                      # model's spread is 5e-3 or more): None (hard labels) or up to 50
        lambda w: st.one_of(st.none(), st.floats(1e-3, 50)),
        lambda w: st.sampled_from([0.0, -1.0, np.nan, np.inf, "1", True])),
    "n_experts": count(2, 4),
    "small_k": count(1, 2),
    "batch_of_two": count(2, 3),
    "batch_sized_count": count(32, 33),
    "tower": choice("a", "b"),
    "word_list": Kind(lambda w: st.lists(st.sampled_from(w["vocab"] + ["x", "."]), max_size=5),
                      lambda w: st.sampled_from(["a b", 5, None, [1, 2], [["a"]]])),
    "nonempty_sentences": sentences_kind(min_size=1),
    "sentence_batch": sentences_kind(min_size=0),            # no sentence at all: an empty (0, d) batch
    "dual_sentences": Kind(                    # more sentences than the batch (2 or 3) holds
        lambda w: st.lists(st.lists(st.sampled_from(w["vocab"] + ["x", "."]), min_size=1, max_size=4),
                           min_size=3, max_size=5),
        lambda w: st.sampled_from(["a b", [["a", 1]] * 3, [5] * 3, None, [["cat"], [], ["sat"]], [["cat"]]])),
    "optional_index": Kind(lambda w: st.one_of(st.none(), st.just(world_index(w))),
                           lambda w: st.sampled_from([{"a": 0}, ["<s>"], {lm.START: "0", lm.UNK: 1}, 5])),
    "dual_encoder": Kind(lambda w: st.just(dual_encoder(w)),
                         lambda w: st.sampled_from([None, "encoder", 5, tiny_model(w)])),
    "preference_pairs": Kind(lambda w: preference_pairs(w),
                             lambda w: st.sampled_from([[], "pairs", [("the", "cat")], None, 5,
                                                        [("the", "no-such-word", w["vocab"][0])],
                                                        [(5, w["vocab"][0], w["vocab"][1])]])),
    "lesson_pairs": Kind(lambda w: st.lists(st.sampled_from(LESSON_PAIRS), min_size=1, max_size=2, unique=True),
                         lambda w: st.sampled_from([[], "pairs", [("the", "cat")], None,
                                                    [("the cat", "no-such-word", "mat")]])),
    # the transformer
    "tf_model": Kind(lambda w: st.just(tf_model(w)), lambda w: st.sampled_from([None, "tiny", 5, tiny_model(w)])),
    "tf_vocab": Kind(lambda w: st.just(transformer.load().vocab),
                     lambda w: st.sampled_from([["a", "b"], "words", None])),
    "tf_weights": Kind(lambda w: st.just(transformer.load().weights),
                       lambda w: st.sampled_from([{"embedding": 1}, "w", None, 5])),
    **{f"tf_shipped_{name}": Kind(lambda w, name=name: st.just(getattr(transformer.load(), name)),
                                  lambda w: st.sampled_from([0, 1.5, "2", True]))
       for name in ("n_layers", "n_heads", "d_model", "d_mlp", "max_len")},
    "tf_layers": count(1, 2),
    "tf_heads": Kind(lambda w: st.sampled_from([1, 2, 4]), lambda w: bad_counts()),
    "tf_d_model": Kind(lambda w: st.sampled_from([4, 8]), lambda w: bad_counts()),     # divisible by every n_heads
    "tf_max_len": count(4, 8),
    "tf_functions": Kind(lambda w: st.one_of(st.none(), st.just(transformer_functions.package_functions())),
                         lambda w: st.sampled_from([{"softmax": 5}, "f", 5])),
    "tf_checkpoint": choice(*transformer.CHECKPOINTS),
    "tf_split": choice(*transformer.SPLITS),
    "tf_text": Kind(tf_text_words,
                    lambda w: st.sampled_from([5, None, b"the cat", "the cat . the dog", " ".join(["cat"] * 40)])),
    "tf_context": Kind(            # what came before the next word: any text; the model reads its current
                                   # sentence, its last max_len - 1 words (next_token_logits' docstring)
        lambda w: st.one_of(tf_text_words(w), st.just("the cat . the dog"), st.just(" ".join(["cat"] * 40))),
        lambda w: st.sampled_from([5, None, b"the cat", ["the", 5]])),
    "tf_ids": Kind(lambda w: st.just(tf_ids(w)),
                   lambda w: st.sampled_from([np.full((w["N"], TF_T), 445), np.full((w["N"], TF_T), -1),
                                              np.zeros((w["N"], TF_T)) + 0.5, np.zeros((1, 40), int), np.zeros(3, int),
                                              "ids", None])),
    "tf_targets": Kind(lambda w: st.just(np.random.default_rng(w["seed"] + 1).integers(0, 445, size=(w["N"], TF_T))),
                       lambda w: st.sampled_from([np.full((w["N"], TF_T), 445), np.zeros((w["N"], TF_T + 1), int),
                                                  np.full((w["N"], TF_T), -1), np.zeros((w["N"], TF_T)) + 0.5, None])),
    "tf_cache": Kind(lambda w: st.just(tf_cache(w)), lambda w: st.sampled_from([{}, None, "cache", 5])),
    "tf_d_logits": Kind(lambda w: hnp.arrays(np.float64, (w["N"], TF_T, 445), elements=st.floats(-1, 1)),
                        lambda w: st.sampled_from([np.zeros((w["N"], TF_T, 7)), nan_in(np.zeros((w["N"], TF_T, 445))),
                                                   "d", None])),
    "tf_sentences": Kind(tf_sentences, lambda w: st.sampled_from([[], [[]], "the cat", [["cat"] * 40], [5], None])),
    "tf_optional_sentences": Kind(lambda w: tf_sentences(w), lambda w: st.sampled_from([[[]], "the cat", [5]])),
    "tf_train_sentences": Kind(lambda w: st.just([["the", "cat", "sat", "."]] * 3),
                               lambda w: st.sampled_from([[], "the cat", [5], None, [[]]])),
    "tf_validation": Kind(lambda w: st.one_of(st.none(), st.just([["the", "dog", "."]] * 2)),
                          lambda w: st.sampled_from(["v", 5, [[]], [5]])),
    "tf_function_table": Kind(lambda w: st.just(transformer_functions.package_functions()),
                              lambda w: st.sampled_from([{"softmax": 5}, "f", None])),
    "tf_long_range": Kind(lambda w: st.just([s for s in transformer.load_sentences("longrange_validation")
                                             if set(s) & set(transformer_training.LONG_RANGE_VERBS)][:3]),
                          lambda w: st.sampled_from([[[]], "the cat", [5]])),
    "router_logits": Kind(lambda w: st.sampled_from([(w["K"],), (w["N"], w["K"])]).flatmap(lambda s: product_safe(w,
                                                     s)),
                          lambda w: st.sampled_from([nan_in(np.ones(w["K"])), with_inf(np.ones(w["K"])),
                                                     np.zeros((w["N"], 0)), np.full(w["K"], "a"), None])),
    "moderate_matrix": product_kind(lambda w: w["N"], lambda w: w["K"], wrong=((0, 1), None)),
    "tf_init": Kind(lambda w: st.none(), lambda w: st.sampled_from([{"x": 1}, "init", 5])),
    "tf_warmup": count(0, 5),
    "tf_learning_rate": positive(1e-3, 10),     # learning_rate * weight_decay < 1 at the default weight_decay, 0.01
    "tf_long_range_split": choice("longrange_train", "longrange_validation"),
    "optional_count_or_zero": count(0, 4, optional=True),
    # learning_rate_at: 1 <= step <= steps, tied through the world's K (step <= K <= steps)
    "tf_step": Kind(lambda w: st.integers(1, w["K"]),
                    lambda w: st.one_of(count(1).invalid(w), st.just(10**6))),      # 10**6: past every run drawn
    "tf_steps": Kind(lambda w: st.integers(w["K"], 8), count(1).invalid),
    "tf_logits": Kind(lambda w: hnp.arrays(np.float64, w["K"], elements=st.floats(-20, 20)),
                      lambda w: st.sampled_from([nan_in(np.zeros(w["K"])), np.full(w["K"], -np.inf), "z", None])),
    "tf_blocks": Kind(lambda w: st.just([np.zeros((w["N"], 2)), np.ones((w["N"], 3))]),
                      lambda w: st.sampled_from([5, None, [np.zeros((2, 2)), np.zeros((3, 2))], [nan_in(np.zeros((2,
                                                 2)))]])),
    "tf_token_function": callable_kind(lambda w: (lambda blocks: float(scipy_logsumexp(np.concatenate(blocks))))),
    "rate": Kind(lambda w: st.one_of(st.floats(0, 1), hnp.arrays(np.float64, 2, elements=st.floats(0, 1))),
                 lambda w: st.sampled_from([-0.5, 1.5, np.nan, "a", None, [2.0]])),
    "generator_object": Kind(lambda w: st.builds(np.random.default_rng, st.integers(0, 9)),
                             lambda w: st.sampled_from([None, 5, "seed"])),
    "tolerance": Kind(lambda w: st.floats(0, 1e-3), lambda w: st.sampled_from([-1.0, np.nan, "1e-6", None])),
    # audit
    "claim_key": Kind(lambda w: st.sampled_from([c.id for c in audit.CLAIMS]),
                      lambda w: st.sampled_from(["nope", 0, None]),
                      errors=(KeyError,), word="claim"),                    # get_claim documents its KeyError
    "heading": Kind(lambda w: st.text(alphabet=st.characters(blacklist_characters="$"), max_size=20),
                    lambda w: st.sampled_from(["$x$", 5, None, b"h"])),
    "notebook": Kind(lambda w: st.sampled_from(["01_softmax_basics.ipynb"]),
                     lambda w: st.sampled_from([5, None, "x/../y"])),
    "claims": Kind(lambda w: st.just(audit.CLAIMS[:2]), lambda w: st.sampled_from([5, "claims", [1, 2], None])),
}

PARAMETERS = {
    # the core (functions, losses, sampling, attention)
    "logits": "scores", "axis": "axis", "temperature": "temperature", "keepdims": "flag",
    "x": "scores", "probs": "probs",
    "targets": "word_ids", "label_smoothing": "label_smoothing", "reduction": "reduction",
    "k": "optional_top_k", "min_p": "optional_min_p", "top_k": "optional_top_k", "top_p": "optional_top_p",
    "rng": "rng", "scores": "scores", "cap": "any_positive", "sink": "any_real", "eps": "nonnegative",
    # calibration
    "labels": "labels", "n_bins": "n_bins", "strategy": "strategy", "norm": "norm", "bounds": "bounds",
    "full_output": "flag", "metric": "metric", "n_boot": "count", "level": "open_fraction",
    # alternatives
    "alpha": "alpha", "n_iter": "count", "hard": "flag",
    # vocab, factored
    "hidden": "hidden", "weight": "weight", "chunk_size": "count", "bias": "bias", "proposal": "proposal",
    "num_samples": "count", "correct": "flag", "seed": "rng", "n_words": "count", "exponent": "exponent",
    "fn": "fn", "repeat": "count", "min_time": "min_time", "keep_result": "flag",
    "n_tokens": "count_or_zero", "dim": "count",
    "dtype": "cost_dtype", "cutoffs": "cutoffs", "head_weight": "head_weight", "head_bias": "head_bias",
    "tails": "tails", "div_value": "div_value", "node_weight": "node_weight", "node_bias": "node_bias",
    "word": "word", "word_probabilities": "word_probabilities", "probabilities": "target_probabilities",
    "steps": "count", "learning_rate": "positive", "scale": "positive",
    # training, lm
    "sentences": "sentences", "min_count": "count", "vocab_size": "vocab_size", "context_size": "context_size",
    "embed_dim": "count", "hidden_size": "count", "batch_size": "count", "lr_decay": "flag",
    "weight_decay": "weight_decay", "init": "init", "validation": "validation", "eval_every": "count",
    "snapshot_steps": "snapshot_steps", "callback": "callback", "n_steps": "count_or_zero",
    "vocab": "vocab", "weights": "weights", "name": "name_label", "checkpoint": "checkpoint",
    "directory": "directory", "text": "text", "index": "index", "contexts": "contexts",
    "return_hidden": "flag", "model": "model", "context": "words", "prompt": "words", "words": "words",
    "split": "split",
    # decoding
    "next_log_probs": "scorer", "beam_width": "count", "max_length": "count", "end": "optional_token",
    "length_penalty": "length_penalty", "tokens": "token_ids", "n": "count",
    # classify
    "texts": "texts", "vocabulary": "vocabulary", "binary": "flag", "n_per_class": "count",
    "size": "image_size", "noise": "noise_level", "jitter": "jitter", "X": "X", "y": "y_any",
    "test_fraction": "fraction", "n_classes": "n_classes",
    # bandits
    "estimates": "estimates", "epsilon": "fraction", "step": "step", "means": "means", "policy": "policy",
    "n_runs": "count", "temperatures": "temperatures",
    # data
    "data": "bytes", "path": "npz_path", "arrays": "npz_arrays", "names": "scratch_names",
    # audit
    "key": "claim_key", "heading": "heading", "notebook": "notebook", "claims": "claims",
    # one name, another meaning in these functions
    "naive_softmax.logits": "exp_safe_scores",
    "negative_log_likelihood.logits": "score_matrix", "fit_temperature.logits": "score_matrix",
    "bootstrap_interval.rng": "rng", "gumbel_softmax.rng": "rng",
    "sigmoid_attention_weights.bias": "optional_real",
    "sample.temperature": "temperature_or_zero", "sample_decode.temperature": "temperature_or_zero",
    "sampling_distribution.temperature": "temperature_or_zero",
    "filter_top_k.k": "count", "filter_top_p.p": "top_p", "filter_min_p.min_p": "fraction",
    "sigmoid_attention_weights.scores": "sink_scores",
    "top_words.k": "count", "generate.n_tokens": "count_or_zero",
    "HierarchicalSoftmax.random.n_words": "tree_size", "HierarchicalSoftmax.random.scale": "nonnegative",
    "sampled_softmax.weight": "sampled_weight",
    "HierarchicalSoftmax.random.seed": "rng",
    "AdaptiveSoftmax.random.seed": "rng", "AdaptiveSoftmax.random.dim": "count",
    "AdaptiveSoftmax.loss.targets": "word_ids", "HierarchicalSoftmax.loss.targets": "word_ids",
    "HierarchicalSoftmax.fit.steps": "count_or_zero", "fit.hidden": "moderate_hidden",
    "init_weights.seed": "int_seed", "Trainer.seed": "int_seed", "train.seed": "int_seed",
    "init_weights.vocab_size": "count",
    "Trainer.targets": "targets_for_contexts", "train.targets": "targets_for_contexts",
    "loss_and_grads.targets": "targets_for_contexts",
    "Trainer.contexts": "contexts", "train.contexts": "contexts",
    "TinyLM.name": "name_label", "load.name": "name_label",
    "make_shapes.seed": "int_seed", "train_test_split.seed": "int_seed",
    "run_bandit.seed": "int_seed", "regret_by_temperature.seed": "int_seed",
    "run_bandit.n_steps": "n_steps_bandit", "regret_by_temperature.n_steps": "n_steps_bandit",
    "run_bandit.scale": "gumbel_scale", "run_bandit.noise": "bandit_noise",
    "regret_by_temperature.noise": "bandit_noise",
    "regret_by_temperature.policy": "boltzmann_policy",
    "runs_by_temperature.seed": "int_seed", "runs_by_temperature.n_steps": "n_steps_bandit",
    "runs_by_temperature.noise": "bandit_noise", "runs_by_temperature.policy": "boltzmann_policy",
    "repetition.tokens": "tokens_any", "one_hot.labels": "class_ids", "accuracy.scores": "score_matrix",
    "read_verified.name": "any_data_file", "load_text.name": "text_data_file", "load_json.name": "json_data_file",
    "load_npz.name": "npz_data_file", "write_manifest.directory": "scratch_directory",
    "LMScorer.__call__.tokens": "token_ids", "LMScorer.words.tokens": "token_ids",
    "scaled_dot_product_attention.scale": "optional_positive", "tiled_attention.scale": "optional_positive",
    "tiled_attention_steps.scale": "optional_positive",
    "p": "distribution", "q": "distribution", "entropy.probs": "distribution",
    "attention_entropy.weights": "distribution",
    "cross_entropy.logits": "score_matrix", "cross_entropy_grad.logits": "score_matrix",
    "binary_cross_entropy.logits": "score_matrix", "binary_cross_entropy_grad.logits": "score_matrix",
    "binary_cross_entropy.targets": "binary_targets", "binary_cross_entropy_grad.targets": "binary_targets",
    "rms_normalize.x": "vectors", "soft_cap.scores": "elementwise_scores", "sigmoid.x": "elementwise_scores",
    "log_sigmoid.x": "elementwise_scores", "softmax_one.scores": "sink_scores",
    "scaled_dot_product_attention.q": "queries", "tiled_attention.q": "queries", "tiled_attention_steps.q": "queries",
    "scaled_dot_product_attention.k": "keys", "tiled_attention.k": "keys", "tiled_attention_steps.k": "keys",
    "v": "values", "mask": "attention_mask", "block_size": "count", "causal": "flag", "n_q": "count", "n_k": "n_k",
    "base": "base", "gradient_check.f": "square_sum", "gradient_check.x": "point", "grad": "gradient",
    "gradient_check.eps": "step_size",
    # lesson 13
    "student_logits": "distill_logits", "teacher_logits": "distill_logits", "target_probs": "distribution",
    "draft_probs": "distribution", "speculative_sample.target_probs": "prob_vector",
    "speculative_sample.draft_probs": "prob_vector", "speculative_sample.size": "optional_count",
    "target_fn": "target_fn", "draft_fn": "draft_fn",
    "speculative:context": "token_context", "gamma": "count_or_zero", "alpha_rate": "fraction",
    "speculative:expected_tokens_per_call.alpha": "rate", "draw_next.rng": "generator_object",
    "router_logits": "router_logits", "draw_next.functions": "tf_function_table",
    "softmax_backward.d_weights": "moderate_matrix", "long_range_accuracy.sentences": "tf_long_range",
    "subject_attention.sentences": "tf_long_range", "routing:k": "expert_k", "renormalize": "flag",
    "info_nce.a": "pair_rows", "info_nce.b": "pair_rows", "beta": "positive",
    "policy_chosen_logp": "log_prob", "policy_rejected_logp": "log_prob", "ref_chosen_logp": "log_prob",
    "ref_rejected_logp": "log_prob",
    # lesson 13's experiment runners
    "teacher": "model", "measure_speculation.target": "model", "draft": "model",
    "train_student.temperature": "distill_temperature", "train_student.alpha": "fraction",
    "llm_experiments:targets": "targets_for_contexts", "llm_experiments:seed": "int_seed",
    "llm_experiments:gamma": "count", "llm_experiments:n_tokens": "count", "counts": "histogram",
    "chi_square_test.probs": "prob_vector", "min_expected": "nonnegative", "train_router.hidden": "router_hidden",
    "n_experts": "n_experts", "llm_experiments:k": "small_k", "z_weight": "nonnegative", "init_scale": "positive",
    "n_examples": "count", "llm_pairs:seed": "int_seed", "sentence": "word_list", "word_dropout.rate": "fraction",
    "word_dropout.rng": "generator_object", "tower": "tower", "llm_pairs:sentences": "nonempty_sentences",
    "DualEncoder.encode.sentences": "sentence_batch",
    "train_dual_encoder.sentences": "dual_sentences", "train_dual_encoder.temperature": "optional_positive",
    "train_dual_encoder.batch_size": "batch_of_two", "dropout": "fraction",
    "train_dual_encoder.index": "optional_index",
    "encoder": "dual_encoder", "dpo_tune.pairs": "preference_pairs", "kl_contexts": "optional_contexts",
    "n_train": "count", "contrastive_comparison.n_train": "batch_sized_count", "n_test": "count",
    "contrastive_run.n_train": "batch_sized_count", "contrastive_run.temperature": "optional_positive",
    "betas": "temperatures", "dpo_comparison.pairs": "lesson_pairs", "n_kl_contexts": "count",
    # the transformer
    "transformer:model": "tf_model", "transformer_functions:model": "tf_model",
    "transformer_training:model": "tf_model",
    "transformer:TinyTransformer.vocab": "tf_vocab", "transformer:TinyTransformer.weights": "tf_weights",
    "transformer:TinyTransformer.n_layers": "tf_shipped_n_layers",
    "transformer:TinyTransformer.n_heads": "tf_shipped_n_heads",
    "transformer:TinyTransformer.d_model": "tf_shipped_d_model",
    "transformer:TinyTransformer.d_mlp": "tf_shipped_d_mlp",
    "transformer:TinyTransformer.max_len": "tf_shipped_max_len", "functions": "tf_functions",
    "n_layers": "tf_layers", "n_heads": "tf_heads", "d_model": "tf_d_model", "d_mlp": "count", "max_len": "tf_max_len",
    "transformer:max_len": "count",           # weight_shapes, init_weights: any max_len >= 1 (Trainer: the sentences')
    "transformer:vocab_size": "count", "transformer:load.checkpoint": "tf_checkpoint", "transformer:split": "tf_split",
    "transformer_training:split": "tf_split", "transformer:words": "words", "transformer:text": "tf_text",
    "transformer:prompt": "tf_context", "transformer:next_token_logits.text": "tf_context",
    "transformer:ids": "tf_ids", "transformer:loss_and_grads.targets": "tf_targets",
    "transformer:return_cache": "flag", "cache": "tf_cache", "d_logits": "tf_d_logits",
    "transformer:sentences": "tf_sentences", "transformer:batch_size": "count",
    "transformer_training:sentences": "tf_optional_sentences",
    "transformer_training:Trainer.sentences": "tf_train_sentences",
    "transformer_training:train.sentences": "tf_train_sentences", "transformer_training:vocab": "tf_vocab",
    "transformer_training:validation": "tf_validation", "transformer_training:init": "tf_init",
    "transformer_training:Trainer.seed": "int_seed", "warmup": "tf_warmup",
    "transformer_training:weight_decay": "weight_decay", "transformer_training:learning_rate": "tf_learning_rate",
    "transformer_training:learning_rate_at.step": "tf_step", "transformer_training:learning_rate_at.steps": "tf_steps",
    "Trainer.run.n_steps": "optional_count_or_zero",
    "long_range_accuracy.split": "tf_long_range_split", "subject_attention.split": "tf_long_range_split",
    "capstone_run.n_validation": "count", "CapstoneSession.n_validation": "count",
    "transformer_functions:logits": "tf_logits", "transformer_functions:rng": "rng", "blocks": "tf_blocks",
    "function": "tf_token_function", "rtol": "tolerance", "atol": "tolerance",
    "masked_attention.q": "queries", "masked_attention.k": "keys", "masked_attention.mask": "boolean_mask",
    "softmax_backward.weights": "distribution", "d_weights": "score_matrix",
    "transformer_functions:temperature": "temperature_or_zero",
}

#: Results that hold NaN on purpose (documented), and warnings a valid call may give.
NAN_BY_DESIGN = {
    "reliability_bins": "an empty bin's confidence and accuracy are NaN",
    "run_bandit": "temperatures is NaN where no temperature was used (the first K pulls)",
    "runs_by_temperature": "temperatures is NaN where no temperature was used (the first K pulls)",
    "claim_figure": "the robustness claim's figure plots the NaN of the textbook formula",
}
WARNS_BY_DESIGN = {
    "fit_temperature": (UserWarning, ".*the optimum sits on the"),
}
# ---------------------------------------------------------------------------------------------
# Defects the properties found and that are not fixed yet (none today: the 87 found in lesson 12's
# transformer modules, losses.gradient_check and distillation_loss were fixed). Each is left out of
# the properties and run by test_a_registered_defect_is_still_there as a strict expected failure:
# ("inside", target) runs that target's inside property, ("outside", target, parameter) the outside
# property for that parameter alone. Once fixed, that test fails until the entry goes. An entry is
# ("outside", "softmax_lab.module.function", "parameter"): "what goes wrong".

KNOWN_DEFECTS = {}
