"""The tiny transformer: backward vs finite differences, forward vs a loop, the shipped checkpoint,
its measured advantages over the MLP, the plugged-function checks, training."""

import hashlib
import math
import shutil

import numpy as np
import pytest

from softmax_lab import data, gradient_check, lm, softmax, softmax_jacobian
from softmax_lab import transformer as tf
from softmax_lab import transformer_functions as fns
from softmax_lab import transformer_training as tt
from softmax_lab.attention import causal_mask, scaled_dot_product_attention
from softmax_lab.sampling import filter_top_p

TINY = dict(n_layers=2, n_heads=2, d_model=8, d_mlp=12, max_len=6)
TINY_VOCAB = ["<s>", "<unk>", ".", "a", "cat", "dog", "sat", "ran"]
TINY_SENTENCES = [["a", "cat", "sat", "."], ["a", "dog", "ran", "."], ["a", "cat", "ran", "."]]


@pytest.fixture(scope="module")
def model():
    return tf.load("tiny")


@pytest.fixture(scope="module")
def mlp_best():
    return lm.load("best")


@pytest.fixture
def data_copy(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(data.data_dir(), folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def tiny_model(seed=3, noise=0.3):
    """A small random model, its weights nudged away from the initial values (gains, biases too)."""
    weights = tf.init_weights(len(TINY_VOCAB), seed=seed, **TINY)
    rng = np.random.default_rng(seed)
    weights = {k: w + rng.normal(0, noise, w.shape) for k, w in weights.items()}
    return tf.TinyTransformer(TINY_VOCAB, weights, **TINY)


# ---------------------------------------------------------------------------------------------
# The backward pass

@pytest.mark.slow
def test_every_gradient_matches_finite_differences():
    m = tiny_model()
    ids = np.array([[0, 3, 4, 6, 2], [0, 5, 5, 2, 0]])
    targets = np.array([[3, 4, 6, 2, 2], [5, 5, 2, -1, -1]])        # -1: padding
    _, grads = tf.loss_and_grads(m, ids, targets)
    assert set(grads) == set(m.weights)
    for key, original in m.weights.items():
        def loss_of(w, key=key):
            m.weights[key] = w
            return tf.loss_and_grads(m, ids, targets)[0]
        error = gradient_check(loss_of, original.copy(), grads[key])
        m.weights[key] = original
        assert error < 1e-6, key


def test_padding_gets_no_gradient_and_no_loss():
    m = tiny_model()
    short = tf.loss_and_grads(m, [[0, 3, 4]], [[3, 4, 2]])
    padded = tf.loss_and_grads(m, [[0, 3, 4, 7, 7]], [[3, 4, 2, -1, -1]])
    assert np.isclose(short[0], padded[0], rtol=1e-13)
    for key in short[1]:
        if key != "position_embedding":
            assert np.allclose(short[1][key], padded[1][key], rtol=1e-10, atol=1e-14), key
    assert np.all(padded[1]["position_embedding"][3:] == 0)


def test_softmax_backward_is_the_jacobian_of_lesson_04():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(3, 5))
    scores[0, 3:] = -np.inf                                   # masked keys
    d_weights = rng.normal(size=(3, 5))
    got = fns.softmax_backward(d_weights, softmax(scores))
    with np.errstate(invalid="ignore"):
        jac = softmax_jacobian(np.where(np.isfinite(scores), scores, -1e300))
    expected = np.einsum("rij,ri->rj", jac, d_weights)       # J^T dW, row by row
    assert np.allclose(got, expected, atol=1e-14)
    assert np.all(got[0, 3:] == 0)                             # no gradient into masked keys


# ---------------------------------------------------------------------------------------------
# The forward pass, against an independent loop and against the package's attention

def loop_forward(model, ids):
    """One token and one head at a time, plain Python sums: logits (T, V) and weights (L, H, T, T)."""
    W, H, L = model.weights, model.n_heads, model.n_layers
    dh = model.d_model // H
    T = len(ids)

    def rms(x, gain):
        return x / math.sqrt(sum(float(v) ** 2 for v in x) / len(x) + 1e-6) * gain

    xs = [W["token_embedding"][t] + W["position_embedding"][i] for i, t in enumerate(ids)]
    maps = np.zeros((L, H, T, T))
    for layer in range(L):
        p = f"layer{layer}_"
        hs = [rms(x, W[p + "attention_norm"]) for x in xs]
        new = []
        for i in range(T):
            out = np.zeros(model.d_model)
            for head in range(H):
                cut = slice(head * dh, (head + 1) * dh)
                q = (hs[i] @ W[p + "query"])[cut]
                scores = [float(q @ (hs[j] @ W[p + "key"])[cut]) / math.sqrt(dh) for j in range(i + 1)]
                top = max(scores)
                e = [math.exp(s - top) for s in scores]
                for j in range(i + 1):
                    maps[layer, head, i, j] = e[j] / sum(e)
                    out[cut] += maps[layer, head, i, j] * (hs[j] @ W[p + "value"])[cut]
            new.append(xs[i] + out @ W[p + "attention_output"])
        xs = [x + np.maximum(rms(x, W[p + "mlp_norm"]) @ W[p + "mlp_in"] + W[p + "mlp_in_bias"], 0)
              @ W[p + "mlp_out"] + W[p + "mlp_out_bias"] for x in new]
    logits = np.array([rms(x, W["final_norm"]) @ W["token_embedding"].T + W["output_bias"] for x in xs])
    return logits, maps


@pytest.mark.parametrize("text", ["the cat sat on the mat .", "the owl near the old barn flew over the tree ."])
def test_forward_matches_a_loop_implementation(model, text):
    ids = tf.encode(model, text.split())
    logits, maps = loop_forward(model, ids)
    assert np.allclose(tf.forward(model, np.array([ids]))[0], logits, rtol=1e-10, atol=1e-10)
    assert np.allclose(tf.attention_maps(model, text), maps, rtol=1e-10, atol=1e-13)
    assert np.allclose(tf.next_token_logits(model, text.split()[:-1]), logits[-2], rtol=1e-10, atol=1e-10)


def test_attention_maps_are_scaled_dot_product_attention_with_the_causal_mask(model):
    ids = np.array([tf.encode(model, "the dog ran to the park .".split())])
    _, cache = tf.forward(model, ids, return_cache=True)
    maps = tf.attention_maps(model, "the dog ran to the park .")
    T = ids.shape[1]
    for layer, c in enumerate(cache["layers"]):
        out, weights = scaled_dot_product_attention(c["q"], c["k"], c["v"], mask=causal_mask(T))
        assert np.allclose(maps[layer], weights[0], rtol=1e-12, atol=1e-15)
        merged = out.transpose(0, 2, 1, 3).reshape(1, T, -1)
        assert np.allclose(merged, c["a"], rtol=1e-12, atol=1e-15)   # what the forward pass used


@pytest.mark.parametrize("text", ["the", "the cat sat on the mat", " ".join(["the"] * 15)])
def test_attention_rows_sum_to_one_with_exact_zeros_above_the_diagonal(model, text):
    maps = tf.attention_maps(model, text)
    T = len(text.split()) + 1
    assert maps.shape == (model.n_layers, model.n_heads, T, T)
    assert tf.tokens(model, text) == ["<s>"] + text.split()
    assert np.allclose(maps.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    assert np.all(maps[..., np.triu_indices(T, 1)[0], np.triu_indices(T, 1)[1]] == 0.0)
    assert np.all(maps[..., 0, 0] == 1.0)                     # <s> can only look at itself


def test_padding_on_the_right_does_not_change_the_real_positions(model):
    ids = tf.encode(model, "the cat sat".split())
    alone = tf.forward(model, np.array([ids]))[0]
    padded = tf.forward(model, np.array([ids + [5, 9, 9]]))[0, :len(ids)]
    assert np.allclose(alone, padded, rtol=1e-12, atol=1e-12)


def test_next_token_logits_reads_only_the_current_sentence_from_its_start(model):
    a = tf.next_token_logits(model, "it is sunny today . the cat sat on the")
    b = tf.next_token_logits(model, "the cat sat on the")
    assert np.array_equal(a, b) and a.shape == (len(model.vocab),)
    assert model.vocab[int(np.argmax(b))] == "mat"
    long = " ".join(["the"] * 40)                              # longer than max_len: a sliding window
    assert np.array_equal(tf.next_token_logits(model, long), tf.next_token_logits(model, " ".join(["the"] * 15)))


# ---------------------------------------------------------------------------------------------
# The shipped checkpoint and the data

def test_load_gives_the_mlps_vocabulary_and_the_settings(model):
    assert model.vocab == lm.load("best").vocab and len(model.vocab) == 445
    assert model.settings == {"n_layers": 2, "n_heads": 4, "d_model": 32, "d_mlp": 128, "max_len": 16}
    assert all(w.dtype == np.float64 for w in model.weights.values())
    raw = data.load_npz("transformer_tiny.npz")
    assert all(raw[k].dtype == np.float32 for k in model.weights)
    assert "TinyTransformer 'tiny'" in repr(model)


def test_load_refuses_a_corrupted_checkpoint(data_copy):
    path = data_copy / "transformer_tiny.npz"
    raw = bytearray(path.read_bytes())
    expected = hashlib.sha256(raw).hexdigest()
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(data.DataIntegrityError) as info:
        tf.load("tiny", directory=data_copy)
    assert "transformer_tiny.npz" in str(info.value) and expected in str(info.value)
    assert hashlib.sha256(raw).hexdigest() in str(info.value)


def test_load_refuses_a_checkpoint_without_its_settings(data_copy):
    arrays = data.load_npz("transformer_tiny.npz")
    del arrays["n_heads"]
    data.write_npz(data_copy / "transformer_tiny.npz", arrays)
    data.write_manifest(data_copy, list(data.read_manifest(data_copy)))
    with pytest.raises(ValueError, match="n_heads"):
        tf.load("tiny", directory=data_copy)


@pytest.mark.slow
def test_perplexity_is_at_most_the_mlps_on_the_same_splits(model, mlp_best):
    """The transformer earns its place: on the validation split, and on its sentences not seen in training."""
    assert tf.perplexity(model) <= lm.perplexity(mlp_best)
    sentences = tf.load_sentences("validation_dedup")
    contexts, targets = lm.make_examples(sentences, mlp_best.index, 3)
    mlp_dedup = float(np.exp(np.mean(-np.log(softmax(lm.forward(mlp_best.weights, contexts))[np.arange(len(targets)),
                                                                                               targets]))))
    assert tf.perplexity(model, "validation_dedup") <= mlp_dedup
    logits, targets = tf.split_logits(model)
    mlp_logits, mlp_targets = lm.split_logits(mlp_best)
    assert np.array_equal(targets, mlp_targets)                # the same predictions, in the same order
    assert np.isclose(tf.perplexity(model), np.exp(np.mean(-np.log(softmax(logits)[np.arange(len(targets)), targets]))))


def test_dedup_split_holds_exactly_the_validation_sentences_not_seen_in_training():
    seen = {tuple(s) for s in data.load_sentences("train") + tf.load_sentences("longrange_train")}
    expected = [s for s in data.load_sentences("validation") if tuple(s) not in seen]
    assert tf.load_sentences("validation_dedup") == expected and 300 < len(expected) < 600


def test_the_long_range_verb_is_predicted_by_the_transformer_and_not_by_a_3_word_window(model):
    fair = tt.load_same_data_mlp()          # the MLP trained on exactly the transformer's sentences
    ours, theirs = tt.long_range_accuracy(model), tt.long_range_accuracy(fair)
    print(f"long-range verb accuracy: transformer {ours['accuracy']:.3f}, "
          f"MLP on the same data {theirs['accuracy']:.3f}")
    assert ours["n"] == theirs["n"] >= 150
    assert ours["accuracy"] >= 0.9 and theirs["accuracy"] <= 0.5
    assert ours["accuracy"] - theirs["accuracy"] >= 0.5
    assert ours["verb_probability"] > 2 * theirs["verb_probability"]


def test_a_head_looks_back_at_the_subject(model):
    share = tt.subject_attention(model)
    assert share.shape == (model.n_layers, model.n_heads)
    assert share.max() > 0.4                                   # some head carries the subject to the verb


def test_head_roles_shapes_and_the_uniform_baseline():
    m = tiny_model()
    for layer in range(m.n_layers):                            # queries 0: every head spreads evenly
        m.weights[f"layer{layer}_query"][:] = 0
    roles = tt.head_roles(m, sentences=TINY_SENTENCES)
    for key in ("previous", "first", "self"):
        assert roles[key].shape == (2, 2)
        assert np.allclose(roles[key], roles["uniform_first"])
    expected = np.mean([1 / 2, 1 / 3, 1 / 4, 1 / 5])          # queries 1..4 of "<s> a cat sat ."
    assert np.isclose(roles["uniform_first"], expected)
    assert np.allclose(roles["entropy"], np.mean(np.log2([2, 3, 4, 5])))


@pytest.mark.slow
def test_shipped_head_roles_are_shares(model):
    roles = tt.head_roles(model)
    for key in ("previous", "first", "self"):
        assert roles[key].shape == (2, 4) and np.all((roles[key] >= 0) & (roles[key] <= 1))
    assert np.all((roles["entropy"] >= 0) & (roles["entropy"] <= np.log2(model.max_len)))
    assert 0 < roles["uniform_first"] < 1


# ---------------------------------------------------------------------------------------------
# Generation

def test_generate_is_seeded_greedy_and_takes_the_samplers_settings(model):
    assert tf.generate(model, "the cat sat on the", 1, temperature=0) == ["mat"]
    assert tf.generate(model, "the dog", 8, rng=3) == tf.generate(model, "the dog", 8, rng=3)
    assert tf.generate(model, "the dog", 0) == []
    assert tf.generate(model, "the cat sat on the", 1, top_k=1, rng=0) == ["mat"]
    text = tf.generate(model, "", 30, rng=0, top_p=0.9, min_p=0.05)
    assert "." in text and all(w in model.index for w in text)


def test_generate_with_a_tiny_or_huge_temperature_stays_finite(model, no_warnings):
    assert tf.generate(model, "the cat sat on the", 2, temperature=1e-300, rng=0) == ["mat", "."]
    assert len(tf.generate(model, "the cat", 3, temperature=1e300, rng=0)) == 3


# ---------------------------------------------------------------------------------------------
# Errors name the argument

@pytest.mark.parametrize("call, error, name", [
    (lambda m: tf.next_token_logits(m, 3), TypeError, "text"),
    (lambda m: tf.attention_maps(m, "the cat . the dog"), ValueError, "text"),
    (lambda m: tf.attention_maps(m, " ".join(["a"] * 16)), ValueError, "text"),
    (lambda m: tf.generate(m, "the", -1), ValueError, "n_tokens"),
    (lambda m: tf.generate(m, 5, 1), TypeError, "prompt"),
    (lambda m: tf.generate(m, "the", 1, temperature=-1), ValueError, "temperature"),
    (lambda m: tf.generate(m, "the", 1, top_q=0.5), TypeError, "top_q"),
    (lambda m: tf.generate(m, "the", 1, top_k=0), ValueError, "k"),
    (lambda m: tf.forward(m, [[0.0, 1.0]]), TypeError, "ids"),
    (lambda m: tf.forward(m, [0, 1]), ValueError, "ids"),
    (lambda m: tf.forward(m, [[0, 445]]), ValueError, "ids"),
    (lambda m: tf.forward(m, [[0] * 17]), ValueError, "max_len"),
    (lambda m: tf.loss_and_grads(m, [[0, 2]], [[2]]), ValueError, "targets"),
    (lambda m: tf.loss_and_grads(m, [[0, 2]], [[-1, -1]]), ValueError, "targets"),
    (lambda m: tf.perplexity(m, "dev"), ValueError, "split"),
    (lambda m: tf.load("huge"), ValueError, "checkpoint"),
    (lambda m: tf.plug(m, sofmax=np.exp), TypeError, "sofmax"),
    (lambda m: tf.plug(m, softmax=3), TypeError, "softmax"),
    (lambda m: tf.plug("model", softmax=np.exp), TypeError, "model"),
    (lambda m: tf.make_batch(m, []), ValueError, "sentences"),
    (lambda m: tf.TinyTransformer(m.vocab, m.weights, d_model=32, n_heads=3), ValueError, "d_model"),
    (lambda m: tf.TinyTransformer(m.vocab, m.weights, max_len=0), ValueError, "max_len"),
    (lambda m: tf.TinyTransformer(m.vocab, {}), ValueError, "weights"),
    (lambda m: tf.TinyTransformer(m.vocab, m.weights, functions={"softmax": softmax}), ValueError, "functions"),
    (lambda m: tt.Trainer(TINY_SENTENCES, TINY_VOCAB, steps=0), ValueError, "steps"),
    (lambda m: tt.Trainer(TINY_SENTENCES, TINY_VOCAB, learning_rate=-1.0), ValueError, "learning_rate"),
    (lambda m: tt.Trainer([], TINY_VOCAB), ValueError, "sentences"),
    (lambda m: tt.long_range_accuracy("mlp"), TypeError, "model"),
    (lambda m: tt.long_range_accuracy(m, sentences=[["the", "cat", "."]]), ValueError, "sentence"),
    (lambda m: tf.TinyTransformer(["<s>", "<s>", "<unk>"], {}), ValueError, "vocab"),
    (lambda m: tf.TinyTransformer(["a", "b"], {}), ValueError, "vocab"),
    (lambda m: tf.TinyTransformer(m.vocab, {**m.weights, "output_bias": np.zeros(3)}), ValueError, "output_bias"),
    (lambda m: fns.per_token(3), TypeError, "function"),
    (lambda m: fns.plug_report(3), TypeError, "model"),
    (lambda m: tt.Trainer(TINY_SENTENCES, TINY_VOCAB, **TINY).run(callback=3), TypeError, "callback"),
    (lambda m: tt.Trainer(TINY_SENTENCES, TINY_VOCAB, **TINY).run(-1), ValueError, "n_steps"),
    # checks the hostile-argument property cannot reach by drawing one argument at a time
    (lambda m: tf.generate(m, "the", 0, temperature=-1), ValueError, "temperature"),      # no word drawn
    (lambda m: tf.generate(m, "the", 0, top_q=0.5), TypeError, "top_q"),
    (lambda m: tt.Trainer(TINY_SENTENCES, TINY_VOCAB, learning_rate=1.0, weight_decay=1.0), ValueError, "weight_decay"),
    (lambda m: tt.Trainer(TINY_SENTENCES, TINY_VOCAB, validation=[["a"] * 7], **TINY), ValueError, "validation"),
    (lambda m: tt.Trainer(TINY_SENTENCES, TINY_VOCAB, init=tiny_model().weights), ValueError, "init"),  # other sizes
    (lambda m: tt.learning_rate_at(11, 10, 1.0, 2), ValueError, "step"),
    (lambda m: tt.head_roles(m, split="dev", sentences=TINY_SENTENCES), ValueError, "split"),
    (lambda m: tt.subject_attention(m, sentences=[["the", "owl"] + ["x"] * 20 + ["flew"]]), ValueError, "sentences"),
    (lambda m: fns.softmax_backward([[1.0, 2.0]], [[0.5, 0.6]]), ValueError, "weights"),
    (lambda m: fns.softmax_backward([1.0, 2.0], [[0.5, 0.5]]), ValueError, "d_weights"),
])
def test_errors_name_the_argument(model, call, error, name):
    with pytest.raises(error, match=name):
        call(model)


# ---------------------------------------------------------------------------------------------
# Plugging in a learner's functions (lesson 12's capstone)

def my_softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def my_log_softmax(z):
    m = np.max(z, axis=-1, keepdims=True)
    return z - m - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))


def my_cross_entropy_grad(z, t):
    g = my_softmax(z)
    g[np.arange(len(t)), t] -= 1
    return g / len(t)


def my_attention(q, k, v, mask):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    return my_softmax(np.where(mask, scores, -np.inf)) @ v


def my_attention_backward(d_weights, weights):
    return weights * (d_weights - np.sum(d_weights * weights, axis=-1, keepdims=True))


def my_online_lse(blocks):                       # lesson 09's call: one token, block after block
    m, s = -np.inf, 0.0
    for b in blocks:
        m_new = max(m, float(np.max(b)))
        s = s * math.exp(m - m_new) + float(np.sum(np.exp(b - m_new)))
        m = m_new
    return m + math.log(s)


def my_top_k(z, k):
    keep = np.argsort(-z, kind="stable")[:k]
    out = np.full_like(z, -np.inf)
    out[keep] = z[keep]
    return out


CORRECT = dict(softmax=my_softmax, log_softmax=my_log_softmax, cross_entropy_grad=my_cross_entropy_grad,
               attention=my_attention, attention_backward=my_attention_backward,
               online_logsumexp=fns.per_token(my_online_lse), filter_top_k=my_top_k)

WRONG = {
    "softmax": lambda z: np.exp(z) / np.sum(np.exp(z)),                          # sums the whole array
    "log_softmax": lambda z: z - np.max(z, axis=-1, keepdims=True),             # forgets the log-sum-exp
    "cross_entropy_grad": lambda z, t: my_cross_entropy_grad(z, t) * len(t),    # forgets the mean
    "attention": lambda q, k, v, mask: my_softmax(np.where(mask, q @ np.swapaxes(k, -1, -2), -np.inf)) @ v,  # no scale
    "attention_backward": lambda d_weights, weights: weights * d_weights,      # forgets the rowsum term
    "online_logsumexp": fns.per_token(lambda blocks: max(float(np.max(b)) for b in blocks)),   # max, not LSE
    "filter_top_k": lambda z, k: my_top_k(z, k + 1),                           # keeps one too many
}


def short_trainer(functions=None, steps=6):
    return tt.Trainer(TINY_SENTENCES, TINY_VOCAB, steps=steps, batch_size=3, learning_rate=0.01, warmup=2,
                      seed=1, functions=functions, validation=TINY_SENTENCES, eval_every=3, **TINY)


def test_correct_plugged_functions_train_exactly_like_the_package():
    reference = short_trainer().run()
    table = fns.checked_functions(**CORRECT)
    plugged = short_trainer(table).run()
    assert np.allclose(plugged.losses, reference.losses, rtol=1e-10)
    assert np.allclose(plugged.val_losses, reference.val_losses, rtol=1e-10)
    rows = {row["function"]: row for row in fns.plug_report(table)}
    assert fns.broken_functions(table) == []
    for name in ("softmax", "log_softmax", "cross_entropy_grad", "attention", "attention_backward",
                 "online_logsumexp"):
        assert rows[name]["calls"] > 0 and rows[name]["mismatches"] == 0, name
        assert rows[name]["max_error"] < 1e-9 and rows[name]["first_mismatch"] is None, name


@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_wrong_plugged_function_is_named(model, name):
    plugged = tf.plug(model, **{name: WRONG[name]})
    if name == "filter_top_k":
        tf.generate(plugged, "the cat sat on the", 3, rng=0, top_k=3)
    elif name == "online_logsumexp":
        tf.mean_cross_entropy(plugged, TINY_SENTENCES)
    else:
        short = tf.plug(tiny_model(), **{name: WRONG[name]})
        short_trainer(short.functions, steps=2).run()
        plugged = short
    assert tf.broken_functions(plugged) == [name]
    row = tf.plug_report(plugged)[0]
    assert row["mismatches"] >= 1 and row["first_mismatch"].startswith("call ") and row["max_error"] > 1e-6


@pytest.mark.slow
def test_a_wrong_function_visibly_breaks_the_model(model):
    flat = tf.plug(model, softmax=lambda z: my_softmax(z / 5))         # a stray temperature
    text = tf.generate(flat, "the cat sat on the", 12, rng=0)
    assert text != tf.generate(model, "the cat sat on the", 12, rng=0)
    assert tf.broken_functions(flat) == ["softmax"]
    wrong = tf.plug(model, online_logsumexp=WRONG["online_logsumexp"])
    assert tf.perplexity(wrong) < 0.8 * tf.perplexity(model)   # a max for a log-sum-exp: too good to be true
    reference = short_trainer(steps=30).run()
    broken = short_trainer(fns.checked_functions(cross_entropy_grad=lambda z, t: -my_cross_entropy_grad(z, t)),
                           steps=30).run()                  # gradient ascent: the loss climbs
    assert broken.losses[-5:].mean() > reference.losses[0] > reference.losses[-5:].mean()


def test_a_learner_function_that_raises_is_named_and_inputs_are_copies(model):
    def boom(z):
        raise ZeroDivisionError("oops")

    with pytest.raises(RuntimeError, match="'softmax' raised ZeroDivisionError"):
        tf.generate(tf.plug(model, softmax=boom), "the cat", 1, rng=0)

    def in_place(z):                                          # changes its input: the model must not care
        z -= np.max(z, axis=-1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=-1, keepdims=True)
        return z

    plugged = tf.plug(model, softmax=in_place)
    assert tf.generate(plugged, "the dog", 5, rng=2) == tf.generate(model, "the dog", 5, rng=2)
    assert tf.broken_functions(plugged) == []


@pytest.mark.parametrize("returned, described", [
    (lambda z: my_softmax(z)[..., :-1], "shape"),
    (lambda z: "probabilities", "not numbers"),
    (lambda z: np.full_like(z, np.nan), "NaN"),
])
def test_the_report_says_how_a_function_disagreed(model, returned, described):
    plugged = tf.plug(model, softmax=returned)
    plugged.functions["softmax"](np.array([[1.0, 2.0, 3.0]]))    # what the model calls
    row = tf.plug_report(plugged)[0]
    assert row["function"] == "softmax" and row["mismatches"] == 1 and described in row["first_mismatch"]
    assert row["max_error"] == np.inf


def test_only_the_function_that_broke_the_numbers_is_blamed():
    """A NaN from a wrong attention reaches the learner's (right) log_softmax: only attention is named."""
    m = tf.plug(tiny_model(), attention=lambda q, k, v, mask: np.full_like(q, np.nan), log_softmax=my_log_softmax)
    with pytest.raises(ValueError, match="logits"):          # the package's gradient refuses NaN logits
        tf.loss_and_grads(m, [[0, 3, 4]], [[3, 4, 2]])
    assert tf.broken_functions(m) == ["attention"]
    assert {row["function"]: row["calls"] for row in tf.plug_report(m)} == {"log_softmax": 1, "attention": 2}


def test_plug_copies_the_weights(model):
    plugged = tf.plug(model, softmax=my_softmax)
    plugged.weights["output_bias"][:] = 0
    assert not np.all(model.weights["output_bias"] == 0)


# ---------------------------------------------------------------------------------------------
# Training

def test_a_few_steps_make_the_loss_fall():
    result = tt.Trainer(TINY_SENTENCES, TINY_VOCAB, steps=40, batch_size=3, learning_rate=0.02, warmup=4,
                        seed=0, **TINY).run()
    assert result.losses.shape == (40,)
    assert result.losses[-5:].mean() < 0.5 * result.losses[:5].mean()
    assert result.seconds > 0 and result.cpu_seconds >= 0


def test_train_runs_to_the_end_and_then_stops():
    result = tt.train(TINY_SENTENCES, TINY_VOCAB, steps=3, batch_size=2, **TINY)
    assert result.losses.shape == (3,) and result.model.n_heads == 2
    trainer = tt.Trainer(TINY_SENTENCES, TINY_VOCAB, steps=1, **TINY)
    trainer.run()
    assert trainer.done
    with pytest.raises(RuntimeError, match="done"):
        trainer.train_step()


def test_training_is_seeded_and_resumable():
    one = tt.Trainer(TINY_SENTENCES, TINY_VOCAB, steps=10, batch_size=2, seed=4, **TINY)
    one.run()
    two = tt.Trainer(TINY_SENTENCES, TINY_VOCAB, steps=10, batch_size=2, seed=4, **TINY)
    two.run(4)
    two.run(callback=lambda trainer: trainer.step < 7)
    assert two.step == 7 and not two.done
    two.run()
    assert two.done and np.array_equal(one.result.losses, two.result.losses)
    assert all(np.array_equal(one.model.weights[k], two.model.weights[k]) for k in one.model.weights)


def test_the_recorded_short_run_is_what_the_code_trains():
    """The capstone's reference curve (transformer_history.json) matches a rerun of its first steps."""
    history = data.load_json("transformer_history.json")["short_run"]
    sentences = data.load_sentences("train") + tf.load_sentences("longrange_train")
    vocab = data.load_json("vocab.json")["words"]
    trainer = tt.Trainer(sentences, vocab, **history["shape"], **history["settings"])
    trainer.run(5)
    assert np.allclose(trainer.result.losses, history["losses"][:5], rtol=0, atol=2e-6)


def test_the_learning_rate_warms_up_then_decays_to_zero():
    rates = [tt.learning_rate_at(t, 100, 1.0, 10) for t in range(1, 101)]
    assert rates[9] == 1.0 and np.all(np.diff(rates[:10]) > 0) and np.all(np.diff(rates[10:]) < 0)
    assert 0 < rates[-1] <= 1 / 90


# ---------------------------------------------------------------------------------------------
# Lesson 12's capstone: the lessons' own functions, as the model calls them

LESSON_RIGHT = dict(softmax=my_softmax, logsumexp=lambda z: np.log(np.sum(np.exp(z - z.max(-1, keepdims=True)), -1))
                    + z.max(-1), cross_entropy_grad=my_cross_entropy_grad,
                    top_p=lambda z, p, temperature=1.0: filter_top_p(z / temperature, p), attention=my_attention,
                    online_logsumexp=my_online_lse, softmax_backward=my_attention_backward)

LESSON_WRONG = {      # a lesson function -> (a typical mistake, the model step it breaks)
    "logsumexp": (lambda z: np.log(np.sum(np.exp(z - z.max(-1, keepdims=True)), -1)), "log_softmax"),  # no add-back
    "top_p": (lambda z, p, temperature=1.0: filter_top_p(z, min(1.0, p + 0.05)), "filter_top_p"),
    "online_logsumexp": (lambda blocks: math.log(sum(float(np.sum(np.exp(b))) for b in blocks)) + 1.0,
                         "online_logsumexp"),
    "softmax_backward": (lambda d_weights, weights: np.swapaxes(my_attention_backward(d_weights, weights), -1, -2),
                         "attention_backward"),                                                  # transposed
    "cross_entropy_grad": (lambda z, t: -my_cross_entropy_grad(z, t), "cross_entropy_grad"),       # sign
}


def test_lesson_functions_become_the_model_s_steps():
    steps, unwritten = fns.lesson_functions(**LESSON_RIGHT)
    assert unwritten == [] and sorted(steps) == sorted(step for step, _ in fns.LESSON_FUNCTIONS.values())
    z = np.array([[1.0, 2.0, 1000.0], [0.0, -np.inf, 3.0]])
    np.testing.assert_allclose(steps["log_softmax"](z), fns.package_functions()["log_softmax"](z))
    blocks = np.split(np.arange(12.0).reshape(2, 6), [4], axis=1)
    np.testing.assert_allclose(steps["online_logsumexp"](blocks), fns.blocked_logsumexp(blocks))
    with pytest.raises(TypeError, match="sofmax"):
        fns.lesson_functions(sofmax=my_softmax)
    with pytest.raises(TypeError, match="top_p"):
        fns.lesson_functions(top_p=3)


@pytest.mark.slow
def test_the_capstone_with_right_lesson_functions_follows_the_recorded_run():
    run = tt.capstone_run(fns.checked_functions(**fns.lesson_functions(**LESSON_RIGHT)[0]), steps=5, n_validation=20)
    assert run.follows_reference and run.gap <= tt.CAPSTONE_TOLERANCE and run.broken == [] and run.error is None
    reference = tt.capstone_run(steps=5, n_validation=20)
    assert run.generated == reference.generated and math.isclose(run.validation_loss, reference.validation_loss)
    assert all(row["calls"] > 0 for row in run.report)           # every function ran on the model's inputs


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(LESSON_WRONG))
def test_the_capstone_names_each_wrong_lesson_function(name):
    wrong, step = LESSON_WRONG[name]
    steps = fns.lesson_functions(**{**LESSON_RIGHT, name: wrong})[0]
    run = tt.capstone_run(fns.checked_functions(**steps), steps=5, n_validation=20)
    assert run.broken == [step], (name, run.broken, run.error)
    if step in ("log_softmax", "cross_entropy_grad", "attention_backward"):    # the training itself goes wrong
        assert not run.follows_reference


def test_the_capstone_reports_a_raising_function_and_refuses_a_run_longer_than_the_record():
    def boom(d_weights, weights):
        raise ZeroDivisionError("on purpose")

    run = tt.capstone_run(fns.checked_functions(attention_backward=boom), steps=3, n_validation=5)
    assert "attention_backward" in run.error and "step 0" in run.error and run.gap == np.inf
    assert not run.follows_reference and run.generated == []
    with pytest.raises(ValueError, match="steps"):
        tt.capstone_run(steps=201)


def _same_run(a, b):
    """Two CapstoneRuns agree on everything a learner sees (losses bit for bit, counts, words)."""
    np.testing.assert_array_equal(a.losses, b.losses)
    assert (a.gap, a.validation_loss, a.generated, a.broken, a.error) == (b.gap, b.validation_loss, b.generated,
                                                                         b.broken, b.error)
    assert [(r["function"], r["calls"], r["mismatches"]) for r in a.report] == \
        [(r["function"], r["calls"], r["mismatches"]) for r in b.report]


@pytest.mark.slow
@pytest.mark.parametrize("wrong", [None, "cross_entropy_grad"])
def test_a_capstone_session_trained_on_is_one_longer_run(wrong):
    """run(2) then run(4) on one session gives capstone_run(4): the same losses, calls and words."""
    lesson = {**LESSON_RIGHT, **({wrong: LESSON_WRONG[wrong][0]} if wrong else {})}
    table = lambda: fns.checked_functions(**fns.lesson_functions(**lesson)[0])   # noqa: E731 (fresh counts)
    session = tt.CapstoneSession(table(), n_validation=20)
    shorter = session.run(2)
    _same_run(shorter, tt.capstone_run(table(), steps=2, n_validation=20))
    _same_run(session.run(4), tt.capstone_run(table(), steps=4, n_validation=20))
    assert session.trainer.step == 4 and len(shorter.losses) == 2        # a run already returned stays as it was
    _same_run(session.run(4), tt.capstone_run(table(), steps=4, n_validation=20))   # nothing more to train
    with pytest.raises(ValueError, match="steps"):
        session.run(3)                                                   # fewer steps than trained: a new session


def test_a_capstone_session_stays_stopped_after_an_error():
    def boom(d_weights, weights):
        raise ZeroDivisionError("on purpose")

    session = tt.CapstoneSession(fns.checked_functions(attention_backward=boom), n_validation=5)
    first, again = session.run(3), session.run(5)
    assert first.error == again.error and "step 0" in again.error and session.trainer.step == 0
    assert again.gap == np.inf and again.generated == [] and again.validation_loss is None


def test_a_training_step_runs_on_one_blas_thread_and_restores_the_library(monkeypatch):
    """The transformer's products are small (a batch of 32 x 14 tokens by 32-128 columns): on a
    busy 2-core machine a second BLAS thread only waits (lesson 12 took 9.7 s instead of 5.6 s
    with two other processes running). softmax_lab._threads limits the step, then restores."""
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads():
        return {lib["filepath"]: lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}

    inside, real = [], tf.loss_and_grads

    def watched(*args):
        inside.append(blas_threads())
        return real(*args)

    monkeypatch.setattr(tf, "loss_and_grads", watched)
    trainer = tt.Trainer(TINY_SENTENCES, TINY_VOCAB, steps=2, batch_size=4)
    with threadpool_limits(2, user_api="blas"):          # as on a learner's machine (make test pins 1)
        before = blas_threads()
        assert set(before.values()) == {2}
        trainer.run()
        after = blas_threads()
    assert len(inside) == 2 and all(set(threads.values()) == {1} for threads in inside)
    assert after == before
