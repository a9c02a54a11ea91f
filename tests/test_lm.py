"""The tiny language model: shipped checkpoints, backprop, training, contexts, generation."""

import shutil

import numpy as np
import pytest

import softmax_lab
from softmax_lab import data, gradient_check, lm, log_softmax, softmax, training


@pytest.fixture(scope="module")
def models():
    return {name: lm.load(name) for name in lm.CHECKPOINTS}


@pytest.fixture(scope="module")
def best(models):
    return models["best"]


@pytest.fixture
def data_copy(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(data.data_dir(), folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def _ids(model, words):
    return [model.index[w] for w in words]


# ---------------------------------------------------------------------------------------------
# The shipped checkpoints

def test_checkpoints_load(models):
    for name, model in models.items():
        V = len(model.vocab)
        assert model.name == name and model.context_size == 3
        assert model.vocab[:2] == [lm.START, lm.UNK] and model.vocab == data.load_json("vocab.json")["words"]
        assert all(model.vocab[i] == w for w, i in model.index.items())
        assert model.weights["embeddings"].shape[0] == V and model.weights["output_bias"].shape == (V,)
        assert next_logits_shape(model) == (V,)


def next_logits_shape(model):
    return lm.next_token_logits(model, "the cat").shape


@pytest.mark.slow
def test_validation_perplexities_are_ordered_and_overtrained_is_overconfident(models):
    stats = {}
    for name, model in models.items():
        logits, targets = lm.split_logits(model, "validation")
        p = softmax(logits)
        stats[name] = dict(ppl=lm.perplexity(model, "validation"), confidence=p.max(axis=1).mean(),
                           accuracy=(p.argmax(axis=1) == targets).mean())
        print(f"{name:>12}: validation perplexity {stats[name]['ppl']:.2f}, mean max-probability "
              f"{stats[name]['confidence']:.3f}, accuracy {stats[name]['accuracy']:.3f}")
    early, best, over = stats["early"], stats["best"], stats["overtrained"]
    assert best["ppl"] < early["ppl"] and best["ppl"] < over["ppl"]
    assert best["ppl"] < 8 and over["ppl"] > 1.5 * best["ppl"]
    assert over["confidence"] > best["confidence"] + 0.05
    assert over["confidence"] - over["accuracy"] > 0.1            # clearly overconfident
    assert abs(best["confidence"] - best["accuracy"]) < 0.05      # best is roughly calibrated


@pytest.mark.slow
def test_perplexity_is_exp_of_mean_negative_log_probability(best):
    sentences = data.load_sentences("test")
    logp = np.concatenate([lm.sequence_log_probs(best, s) for s in sentences])
    assert np.isclose(np.exp(-logp.mean()), lm.perplexity(best, "test"), rtol=1e-9)


def test_best_model_says_mat_after_the_cat_sat_on_the(best):
    ranked = [w for w, _ in lm.top_words(best, "the cat sat on the", k=len(best.vocab))]
    print("top 10 after 'the cat sat on the':", lm.top_words(best, "the cat sat on the", k=10))
    assert ranked[0] == "mat"
    assert ranked.index("floor") < 3
    assert ranked.index("floor") < ranked.index("roof") < 30


def test_top_words_are_sorted_probabilities(best):
    top = lm.top_words(best, "the dog", k=5)
    probs = [p for _, p in top]
    assert len(top) == 5 and probs == sorted(probs, reverse=True)
    full = softmax(lm.next_token_logits(best, "the dog"))
    assert np.isclose(probs[0], full.max())


# ---------------------------------------------------------------------------------------------
# Training

def test_backprop_matches_finite_differences():
    weights = training.init_weights(7, context_size=2, embed_dim=3, hidden_size=5, seed=4)
    weights["output_bias"] = np.linspace(-1, 1, 7)
    contexts = np.array([[0, 1], [2, 2], [3, 0], [1, 6]])     # word 2 twice: rows must add up
    targets = np.array([4, 5, 6, 0])
    loss, grads = lm.loss_and_grads(weights, contexts, targets)
    assert np.isclose(loss, softmax_lab.cross_entropy(lm.forward(weights, contexts), targets))
    for key in lm.WEIGHT_NAMES:
        def loss_of(value, key=key):
            return lm.loss_and_grads({**weights, key: value}, contexts, targets)[0]
        assert gradient_check(loss_of, weights[key], grads[key]) < 1e-6, key


def test_training_uses_softmax_lab_cross_entropy(monkeypatch):
    calls = []

    def counting(*args, **kwargs):
        calls.append(1)
        return softmax_lab.cross_entropy(*args, **kwargs)

    monkeypatch.setattr(lm, "cross_entropy", counting)
    training.train(np.array([[0, 0, 0]]), np.array([2]), vocab_size=3, steps=3, batch_size=2, embed_dim=2,
                   hidden_size=2)
    assert len(calls) == 3


@pytest.mark.slow
def test_short_retraining_run_lowers_the_loss(best):
    # Small matrices on purpose: at (64 x 64) @ (64 x V) a multi-threaded BLAS on a busy
    # machine was 20 times slower than this (0.3 s).
    train = lm.make_examples(data.load_sentences("train")[:300], best.index)
    val = lm.make_examples(data.load_sentences("validation")[:200], best.index)
    shape = dict(embed_dim=16, hidden_size=32, batch_size=32, learning_rate=1e-2, seed=3)
    result = training.train(*train, len(best.vocab), steps=300, validation=val, eval_every=100,
                      snapshot_steps=[10], **shape)
    assert result.losses.shape == (300,)
    assert result.losses[-20:].mean() < 0.5 * result.losses[:20].mean()
    assert result.eval_steps == [100, 200, 300] and len(result.val_losses) == len(result.train_losses) == 3
    assert result.val_losses[-1] < np.log(len(best.vocab)) - 2          # far better than uniform
    assert result.best_step == result.eval_steps[int(np.argmin(result.val_losses))]
    assert set(result.snapshots) == {10} and result.seconds > 0
    best_loss = softmax_lab.cross_entropy(lm.forward(result.best_weights, val[0]), val[1])
    assert np.isclose(best_loss, min(result.val_losses))
    # deterministic given the seed
    again = training.train(*train, len(best.vocab), steps=30, **shape)
    assert np.array_equal(again.losses, result.losses[:30])


def test_weight_decay_shrinks_the_weights_but_not_the_biases():
    """One step: decay subtracts lr * wd * (the starting weights); biases are not decayed."""
    contexts, targets = np.array([[0, 1, 2]]), np.array([3])
    init = training.init_weights(4, embed_dim=2, hidden_size=3, seed=0)
    plain = training.train(contexts, targets, 4, steps=1, batch_size=1, init=init, learning_rate=0.01)
    decayed = training.train(contexts, targets, 4, steps=1, batch_size=1, init=init, learning_rate=0.01,
                       weight_decay=5.0)
    for key in ("embeddings", "hidden_weight", "output_weight"):
        assert np.allclose(decayed.weights[key], plain.weights[key] - 0.01 * 5.0 * init[key])
    for key in ("hidden_bias", "output_bias"):
        assert np.array_equal(decayed.weights[key], plain.weights[key])
    assert np.array_equal(init["output_bias"], np.zeros(4))      # init was copied, not changed


def test_no_validation_means_no_best_weights():
    result = training.train(np.array([[0, 0, 0]]), np.array([1]), vocab_size=2, steps=2, batch_size=1,
                      embed_dim=2, hidden_size=2)
    assert result.best_weights is None and result.eval_steps == []


# ---------------------------------------------------------------------------------------------
# Text, contexts and special tokens

def test_tokenize_and_build_vocab():
    assert lm.tokenize("The Cat sat.") == ["the", "cat", "sat", "."]
    words, counts = training.build_vocab([["b", "a", "b", "."], ["c", "."]], min_count=2)
    assert words == [lm.START, lm.UNK, ".", "b"] and counts == [0, 2, 2, 2]


def test_make_examples_pads_each_sentence_and_maps_unknown_words():
    index = {lm.START: 0, lm.UNK: 1, ".": 2, "cat": 3}
    contexts, targets = lm.make_examples([["cat", "."], ["dog", "."]], index, context_size=3)
    assert contexts.tolist() == [[0, 0, 0], [0, 0, 3], [0, 0, 0], [0, 0, 1]]
    assert targets.tolist() == [3, 2, 1, 2]


def test_unknown_words_map_to_unk(best):
    assert "zyzzyva" not in best.index
    logits = lm.next_token_logits(best, "the zyzzyva sat")
    expected = lm.forward(best.weights, [_ids(best, ["the", lm.UNK, "sat"])])[0]
    assert np.array_equal(logits, expected)
    lp = lm.sequence_log_probs(best, ["zyzzyva"], context="the cat sat on the")
    assert np.isclose(lp[0], log_softmax(lm.next_token_logits(best, "the cat sat on the"))[best.index[lm.UNK]])


def test_short_contexts_are_padded_with_the_start_token(best):
    def direct(words):
        return lm.forward(best.weights, [_ids(best, words)])[0]

    assert np.array_equal(lm.next_token_logits(best, ""), direct([lm.START] * 3))
    assert np.array_equal(lm.next_token_logits(best, "cat"), direct([lm.START, lm.START, "cat"]))
    assert np.array_equal(lm.next_token_logits(best, "the cat sat on the"), direct(["sat", "on", "the"]))
    # only the current sentence counts, and words are lower-cased
    assert np.array_equal(lm.next_token_logits(best, "the dog ran . The cat"), direct([lm.START, "the", "cat"]))
    assert np.array_equal(lm.next_token_logits(best, ["The", "dog", "."]), direct([lm.START] * 3))


# ---------------------------------------------------------------------------------------------
# Generation

def test_generate_is_reproducible_with_a_seed(best):
    first = lm.generate(best, "the dog", 25, rng=7)
    assert first == lm.generate(best, "the dog", 25, rng=7)
    assert first == lm.generate(best, "the dog", 25, rng=np.random.default_rng(7))
    assert first != lm.generate(best, "the dog", 25, rng=8)
    assert len(first) == 25 and all(w in best.index for w in first)
    # an int seed makes one Generator for the whole text, not a fresh one per word
    assert len(set(lm.generate(best, "", 40, rng=1))) > 5


def test_greedy_generation_follows_the_argmax(best):
    words = lm.generate(best, "the cat sat on the", 4, temperature=0)
    context = "the cat sat on the".split()
    for w in words:
        assert w == best.vocab[int(np.argmax(lm.next_token_logits(best, context)))]
        context.append(w)
    assert words[0] == "mat"


def test_generate_passes_sampling_settings_on(best, monkeypatch):
    seen = []
    import softmax_lab.sampling as sampling

    def recording(logits, **kwargs):
        seen.append(kwargs)
        return 0

    monkeypatch.setattr(sampling, "sample", recording)
    assert lm.generate(best, "the", 2, rng=1, top_k=5, top_p=0.9, min_p=0.1, temperature=0.7) == [lm.START] * 2
    assert all(k["top_k"] == 5 and k["top_p"] == 0.9 and k["min_p"] == 0.1 and k["temperature"] == 0.7
               for k in seen) and len(seen) == 2
    assert isinstance(seen[0]["rng"], np.random.Generator) and seen[0]["rng"] is seen[1]["rng"]


# ---------------------------------------------------------------------------------------------
# Loading errors

def test_load_rejects_a_corrupted_checkpoint(data_copy):
    path = data_copy / "lm_best.npz"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    assert lm.load("early", directory=data_copy).name == "early"       # the others still load
    with pytest.raises(data.DataIntegrityError, match=r"lm_best\.npz.*sha256.*make data"):
        lm.load("best", directory=data_copy)


def test_load_rejects_a_tampered_vocabulary(data_copy):
    path = data_copy / "vocab.json"
    path.write_text(path.read_text().replace('"mat"', '"hat"', 1))
    with pytest.raises(data.DataIntegrityError, match=r"vocab\.json"):
        lm.load("best", directory=data_copy)


def test_load_rejects_a_missing_checkpoint(data_copy):
    (data_copy / "lm_overtrained.npz").unlink()
    with pytest.raises(FileNotFoundError, match=r"lm_overtrained\.npz.*make data"):
        lm.load("overtrained", directory=data_copy)


def test_checkpoints_are_read_with_allow_pickle_false(monkeypatch):
    calls = []
    real_load = np.load

    def recording(*args, **kwargs):
        calls.append(kwargs.get("allow_pickle"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(np, "load", recording)
    lm.load("best")
    assert calls == [False]


# ---------------------------------------------------------------------------------------------
# The model object

def test_tiny_lm_checks_its_weights(best):
    w = best.weights
    # wrong types and shapes are tests/test_hostile_arguments.py's; here, values that do not fit together
    with pytest.raises(ValueError, match=r"embeddings'\] must have shape"):
        lm.TinyLM(best.vocab[:-1], w)
    with pytest.raises(ValueError, match="hidden_weight"):
        lm.TinyLM(best.vocab, w, context_size=2)
    with pytest.raises(ValueError, match="twice"):
        lm.TinyLM(best.vocab[:-1] + ["mat"], w)
    assert repr(lm.TinyLM(best.vocab, w)).startswith("<TinyLM: ")

def test_label_smoothing_trains_an_underconfident_model_and_changes_the_gradient():
    from softmax_lab.training import init_weights
    w = init_weights(6, context_size=2, embed_dim=3, hidden_size=4, seed=2)
    contexts, targets = np.array([[0, 1], [2, 3], [1, 1]]), np.array([4, 5, 4])
    plain, g0 = lm.loss_and_grads(w, contexts, targets)
    smooth, g1 = lm.loss_and_grads(w, contexts, targets, label_smoothing=0.1)
    assert smooth != plain and not np.allclose(g0["output_bias"], g1["output_bias"])

    def loss_of(output_weight):
        return lm.loss_and_grads({**w, "output_weight": output_weight}, contexts, targets, label_smoothing=0.1)[0]
    assert gradient_check(loss_of, w["output_weight"], g1["output_weight"]) < 1e-6


@pytest.mark.slow
def test_label_smoothed_checkpoint_is_less_confident_than_best(models):
    stats = {}
    for name in ("best", "label_smoothed"):
        logits, targets = lm.split_logits(models[name], "calibration")
        p = softmax(logits)
        stats[name] = (p.max(axis=1).mean(), (p.argmax(axis=1) == targets).mean())
    assert stats["label_smoothed"][0] < stats["best"][0] - 0.03           # smoothing lowers the confidence
    assert stats["label_smoothed"][0] < stats["label_smoothed"][1]        # below its accuracy: underconfident
    assert abs(stats["label_smoothed"][1] - stats["best"][1]) < 0.02      # about as accurate
