"""Lesson 13's experiment modules (softmax_lab.llm_experiments, softmax_lab.llm_pairs).

The gradients of the training loops are checked by finite differences; the chi-square test
against scipy (an independent implementation); the measured speculation against the cases where
the answer is known exactly; the lesson's own runs for the claims the lesson's prose makes.
"""

import math

import numpy as np
import pytest

from softmax_lab import data, gradient_check, lm
from softmax_lab._llm_common import Adam
from softmax_lab.distillation import distillation_loss
from softmax_lab.llm_experiments import (
    _backward,
    _forward,
    _soft_target_grad,
    _train_students,
    _upper_gamma_regularized,
    chi_square_test,
    context_ids,
    measure_speculation,
    model_probs,
    train_router,
    train_student,
)
from softmax_lab.llm_pairs import (
    CLIP_MAX_SCALE,
    DualEncoder,
    _averaging_matrix,
    _dpo_loss_and_grads,
    _dpo_tunes,
    _dropout_views,
    _dual_loss_and_grads,
    _retrieval_accuracies,
    _train_side_by_side,
    contrastive_comparison,
    contrastive_run,
    contrastive_split,
    dpo_tune,
    retrieval_accuracy,
    train_dual_encoder,
    word_dropout,
)
from softmax_lab.routing import load_balancing_loss
from softmax_lab.training import init_weights

scipy_stats = pytest.importorskip("scipy.stats")
scipy_special = pytest.importorskip("scipy.special")


@pytest.fixture(scope="module")
def best():
    return lm.load("best")


# --- chi-square --------------------------------------------------------------------------------

@pytest.mark.parametrize("a", [0.5, 1.0, 3.5, 10.0, 60.0])
@pytest.mark.parametrize("x", [0.01, 0.7, 2.0, 9.0, 40.0, 200.0])
def test_the_chi_square_tail_matches_scipy(a, x):
    assert _upper_gamma_regularized(a, x) == pytest.approx(scipy_special.gammaincc(a, x), rel=1e-9, abs=1e-300)


def test_chi_square_test_matches_scipy_after_pooling():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(30) * 0.3)
    counts = np.bincount(rng.choice(30, size=2000, p=probs), minlength=30)
    stat, p = chi_square_test(counts, probs)
    big = 2000 * probs >= 5
    obs = np.append(counts[big], counts[~big].sum())
    exp = np.append(2000 * probs[big], 2000 * probs[~big].sum())
    ref = scipy_stats.chisquare(obs, exp)
    assert stat == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue, rel=1e-8)


def test_chi_square_test_rejects_samples_from_another_distribution():
    rng = np.random.default_rng(1)
    counts = np.bincount(rng.choice(4, size=3000, p=[0.4, 0.3, 0.2, 0.1]), minlength=4)
    assert chi_square_test(counts, [0.25, 0.25, 0.25, 0.25])[1] < 1e-10
    assert chi_square_test(counts, [0.4, 0.3, 0.2, 0.1])[1] > 0.001
    assert chi_square_test([5, 1], [1.0, 0.0]) == (math.inf, 0.0)     # a sample where p = 0


@pytest.mark.parametrize("counts, probs, name", [([1, 2], [0.5], "counts"), ([1, -1], [0.5, 0.5], "counts"),
                                                  ([1, 1], [0.7, 0.7], "probs")])
def test_chi_square_test_names_its_bad_argument(counts, probs, name):
    with pytest.raises(ValueError, match=name):
        chi_square_test(counts, probs)


# --- distillation ------------------------------------------------------------------------------

def test_the_students_forward_and_backward_passes_match_lm_and_finite_differences():
    # two students stacked: each one's logits are lm.forward's, each one's gradients its own loss's
    rng = np.random.default_rng(2)
    ws = [init_weights(7, context_size=2, embed_dim=3, hidden_size=4, seed=seed) for seed in (3, 4)]
    for w in ws:                                                   # biases that differ (init_weights gives 0)
        w["hidden_bias"], w["output_bias"] = rng.normal(size=4), rng.normal(size=7)
    stacked = {k: np.stack([w[k] for w in ws]) for k in ws[0]}
    contexts, teacher = rng.integers(0, 7, size=(5, 2)), rng.normal(size=(5, 7))
    logits, x, h = _forward(stacked, contexts)
    for s, w in enumerate(ws):
        np.testing.assert_allclose(logits[s], lm.forward(w, contexts), rtol=1e-13, atol=1e-15)
    d_logits = np.stack([distillation_loss(logits[s], teacher, 2.0)[1] for s in range(2)])
    grads = _backward(stacked, contexts, x, h, d_logits)
    for s, w in enumerate(ws):
        for name in w:
            def f(value, name=name, w=w):
                return float(distillation_loss(lm.forward({**w, name: value}, contexts), teacher, 2.0)[0])
            assert gradient_check(f, w[name], grads[name][s]) < 1e-6, (s, name)


def test_students_trained_side_by_side_are_the_students_trained_alone(best):
    c, t = lm.make_examples(data.load_sentences("train")[:40], best.index)
    settings = [(None, 1.0), (2.0, 1.0), (3.0, 0.5)]
    together = _train_students(best, c, t, settings, 15, 16, 0.01, 4, 5, 7)
    for (T, alpha), weights in zip(settings, together):
        alone = train_student(best, c, t, temperature=T, alpha=alpha, steps=15, batch_size=16, embed_dim=4,
                              hidden_size=5, seed=7)
        for name in alone:
            np.testing.assert_array_equal(weights[name], alone[name])
            assert weights[name].dtype == np.float64


def test_the_soft_target_shortcut_is_distillation_loss_s_gradient():
    rng = np.random.default_rng(8)
    student, teacher = rng.normal(0, 3, (6, 9)), rng.normal(0, 3, (6, 9))
    for T in (0.5, 2.0, 7.0):
        from softmax_lab import softmax
        shortcut = _soft_target_grad(student, softmax(teacher, temperature=T), T)
        np.testing.assert_array_equal(shortcut, distillation_loss(student, teacher, T)[1])


@pytest.mark.slow
def test_a_student_learns_and_the_seed_fixes_it(best):
    c, t = lm.make_examples(data.load_sentences("train")[:200], best.index)
    before = float(lm.cross_entropy(lm.forward(init_weights(len(best.vocab), 3, 8, 16, seed=0), c), t))
    w1 = train_student(best, c, t, temperature=2.0, steps=80)
    w2 = train_student(best, c, t, temperature=2.0, steps=80)
    assert all(np.array_equal(w1[k], w2[k]) for k in w1)
    assert float(lm.cross_entropy(lm.forward(w1, c), t)) < before - 1.0


@pytest.mark.parametrize("kwargs, name", [({"temperature": 0.0}, "temperature"), ({"alpha": 1.5}, "alpha"),
                                          ({"steps": 0}, "steps"), ({"hidden_size": 2.5}, "hidden_size")])
def test_train_student_names_its_bad_argument(best, kwargs, name):
    c, t = lm.make_examples(data.load_sentences("train")[:5], best.index)
    with pytest.raises(ValueError, match=name):
        train_student(best, c, t, **kwargs)


# --- speculative decoding ----------------------------------------------------------------------

def test_model_probs_reads_the_current_sentence_like_next_token_logits(best):
    probs = model_probs(best, temperature=0.5)
    text = "the dog ran . the cat sat on the"
    ids = [best.index[w] for w in text.split()]
    expected = np.exp(lm.log_softmax(lm.next_token_logits(best, text) / 0.5))
    assert np.allclose(probs(ids)[0], expected)
    assert context_ids(best, text) == ids[-3:]


def test_a_perfect_draft_is_always_accepted(best):
    run = measure_speculation(best, best, gamma=4, n_tokens=100, rng=0)
    assert run.acceptance_rate == 1.0 and run.calls_per_token == pytest.approx(1 / 5, abs=0.01)


@pytest.mark.slow
def test_the_measured_calls_per_token_follow_the_formula(best):
    from softmax_lab.speculative import expected_tokens_per_call

    run = measure_speculation(best, lm.load("early"), gamma=3, n_tokens=1500, rng=5)
    assert 0.2 < run.acceptance_rate < 0.9
    assert run.calls_per_token == pytest.approx(1 / float(expected_tokens_per_call(run.acceptance_rate, 3)), abs=0.03)


def test_measure_speculation_names_its_bad_argument(best):
    with pytest.raises(ValueError, match="gamma"):
        measure_speculation(best, best, gamma=0)


# --- routing -----------------------------------------------------------------------------------

def test_the_trained_router_balances():
    h = np.random.default_rng(3).normal(size=(500, 12))
    W0, W1 = train_router(h, 6, k=2)
    before, after = load_balancing_loss(h @ W0, 2), load_balancing_loss(h @ W1, 2)
    assert after < before - 0.02 and after < 1.01


# --- contrastive -------------------------------------------------------------------------------

def test_the_dual_encoder_s_gradients_match_finite_differences(best):
    # two encoders side by side (the second learns its scale): each one's gradient is its own loss's
    rng = np.random.default_rng(4)
    encs = [DualEncoder(best.index, 3, seed=0), DualEncoder(best.index, 3, seed=1)]
    sentences = data.load_sentences("train")[:4]
    ids_a = encs[0]._ids([word_dropout(s, 0.3, rng) for s in sentences])
    ids_b = encs[0]._ids([word_dropout(s, 0.3, rng) for s in sentences])
    params = {"a": np.stack([e.a for e in encs]), "b": np.stack([e.b for e in encs]),
              "log_scale": np.array([1.3, 2.1])}
    learn = [False, True]
    Ma, Mb = encs[0]._pool(encs[0].a, ids_a)[1], encs[0]._pool(encs[0].b, ids_b)[1]
    _, grads = _dual_loss_and_grads(params, Ma, Mb, learn)
    assert grads["log_scale"][0] == 0.0                                   # a fixed scale does not move
    for e in (0, 1):
        for name in ("a", "b", "log_scale"):
            if name == "log_scale" and not learn[e]:
                continue
            used = np.unique(np.concatenate(ids_a if name == "a" else ids_b)) if name != "log_scale" else [e]

            def f(value, name=name, used=used, e=e):
                full = params[name].copy()
                (full[e] if name != "log_scale" else full)[used] = value
                return _dual_loss_and_grads({**params, name: full}, Ma, Mb, learn)[0][e]
            own = params[name][e][used] if name != "log_scale" else params[name][used]
            grad = grads[name][e][used] if name != "log_scale" else grads[name][used]
            assert gradient_check(f, own, grad) < 1e-6, (e, name)
    # encoder 0's loss does not depend on encoder 1's word vectors
    moved = {**params, "a": params["a"] + np.array([0.0, 1.0])[:, None, None]}
    assert _dual_loss_and_grads(moved, Ma, Mb, learn)[0][0] == _dual_loss_and_grads(params, Ma, Mb, learn)[0][0]


def test_encoders_trained_side_by_side_are_the_encoders_trained_alone(best):
    sentences = contrastive_split(64, 20)[0]
    temperatures = [0.05, None, 1.0]
    together = _train_side_by_side(sentences, temperatures, 12, 16, best.index, 4, 0.3, 0.05, 3)
    for T, enc in zip(temperatures, together):
        alone = train_dual_encoder(sentences, temperature=T, steps=12, batch_size=16, dim=4, seed=3)
        np.testing.assert_array_equal(enc.a, alone.a)
        np.testing.assert_array_equal(enc.b, alone.b)
        assert enc.scales == alone.scales and enc.log_scale == alone.log_scale
        # the losses (reported, not differentiated) are means summed in another order in a stack
        assert enc.history == pytest.approx(alone.history, rel=1e-6)
    test = contrastive_split(64, 20)[1]
    expected = []
    for enc in together:                            # retrieval as its docstring says, from the public pieces
        rng = np.random.default_rng(1)
        views_a = [word_dropout(s, 0.3, rng) for s in test]
        views_b = [word_dropout(s, 0.3, rng) for s in test]
        sims = enc.encode(views_a, "a") @ enc.encode(views_b, "b").T
        expected.append(float(np.mean(np.argmax(sims, axis=1) == np.arange(len(test)))))
    assert _retrieval_accuracies(together, test, 0.3, 1) == expected
    assert [retrieval_accuracy(enc, test) for enc in together] == expected


def test_adam_takes_the_steps_of_its_formula():
    rng = np.random.default_rng(5)
    params = {"w": rng.normal(size=(6, 3)), "s": rng.normal(size=2).astype(np.float32)}
    grads = [{k: rng.normal(size=v.shape).astype(v.dtype) for k, v in params.items()} for _ in range(4)]
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(x) for k, x in params.items()}
    expected = {k: x.copy() for k, x in params.items()}
    adam = Adam(params, 0.05)
    for t, g in enumerate(grads, start=1):
        adam.step(params, g)
        for k in expected:                                      # the formula, written out
            m[k] = 0.9 * m[k] + 0.1 * g[k]
            v[k] = 0.999 * v[k] + 0.001 * g[k] ** 2
            expected[k] -= 0.05 * (m[k] / (1 - 0.9**t)) / (np.sqrt(v[k] / (1 - 0.999**t)) + 1e-8)
            np.testing.assert_array_equal(params[k], expected[k])
            assert params[k].dtype == expected[k].dtype


@pytest.mark.slow
def test_contrastive_training_beats_chance_and_clamps_the_scale():
    sentences = sorted(set(map(tuple, data.load_sentences("train"))))[:400]
    sentences = [list(s) for s in sentences]
    enc = train_dual_encoder(sentences[:300], steps=150)
    untrained = train_dual_encoder(sentences[:300], steps=1)
    accuracy = retrieval_accuracy(enc, sentences[300:])                      # chance: 1 in 100
    assert accuracy > 0.08 and accuracy > 2 * retrieval_accuracy(untrained, sentences[300:])
    # identical views of 16 distinct sentences: every pair is ranked right, so the loss keeps pushing the scale up
    easy = [list(x) for x in sorted(set(map(tuple, data.load_sentences("train"))))][::50][:16]
    wild = train_dual_encoder(easy, steps=200, batch_size=16, dropout=0.0, learning_rate=0.5)
    assert math.exp(wild.log_scale) <= CLIP_MAX_SCALE * (1 + 1e-12)
    assert max(wild.scales) <= CLIP_MAX_SCALE * (1 + 1e-12)
    assert max(wild.scales) == pytest.approx(CLIP_MAX_SCALE)


def _views_one_by_one(sentences, rate, rng):
    return [word_dropout(list(map(str, s)), rate, rng) for s in sentences]


@pytest.mark.parametrize("rate", [0.0, 0.3, 0.9])
def test_batched_dropout_draws_what_word_dropout_draws_one_by_one(rate):
    # rate 0.9 empties many sentences: the rewind-and-redo path; 0.3 mostly the one-call path
    sentences = [np.arange(n) + 10 * n for n in (1, 2, 3, 5, 8, 2, 1, 4) * 3]
    for seed in range(20):
        columns, lengths = _dropout_views(sentences, rate, np.random.default_rng(seed))
        expected = _views_one_by_one(sentences, rate, np.random.default_rng(seed))
        assert lengths.tolist() == [len(v) for v in expected]
        assert columns.tolist() == [int(w) for v in expected for w in v]
        rng_a, rng_b = np.random.default_rng(seed), np.random.default_rng(seed)   # and the stream goes on alike
        _dropout_views(sentences, rate, rng_a), _views_one_by_one(sentences, rate, rng_b)
        assert rng_a.random() == rng_b.random()


def test_the_averaging_matrix_averages_each_view_s_word_vectors():
    views = [[3, 1, 3], [0], [2, 2, 2, 4]]
    M = _averaging_matrix(np.array([w for v in views for w in v]), np.array([len(v) for v in views]), 5)
    expected = np.zeros((3, 5))
    for i, v in enumerate(views):
        for w in v:
            expected[i, w] += 1 / len(v)
    np.testing.assert_array_equal(M, expected)


@pytest.mark.slow
def test_contrastive_run_is_the_comparison_s_run_trained_once():
    a = contrastive_run(0.5, n_train=64, n_test=20, steps=5)
    assert contrastive_run(0.5, n_train=64, n_test=20, steps=5) is a                  # remembered
    assert contrastive_comparison((0.5,), n_train=64, n_test=20, steps=5)[0.5] is a
    fresh = train_dual_encoder(contrastive_split(64, 20)[0], temperature=0.5, steps=5, dim=32)
    np.testing.assert_array_equal(fresh.a, a[1].a)


def test_train_dual_encoder_names_its_bad_argument():
    with pytest.raises(ValueError, match="batch_size"):
        train_dual_encoder([["a", "b"]] * 3, batch_size=8)


# --- DPO ---------------------------------------------------------------------------------------

def test_the_dpo_gradient_matches_finite_differences():
    # two output layers side by side, one beta each: each one's gradient is its own loss's
    rng = np.random.default_rng(6)
    h, W, b = rng.normal(size=(3, 4)), rng.normal(size=(2, 4, 5)), rng.normal(size=(2, 5))
    chosen, rejected = np.array([0, 2, 4]), np.array([1, 1, 3])
    rc, rr = rng.normal(-1.5, 0.3, 3), rng.normal(-1.5, 0.3, 3)
    betas = [0.7, 2.0]
    _, dW, db = _dpo_loss_and_grads(h, W, b, chosen, rejected, rc, rr, betas)
    for s in range(2):
        def loss_w(w, s=s):
            return _dpo_loss_and_grads(h, np.stack([w if i == s else W[i] for i in range(2)]), b, chosen, rejected,
                                       rc, rr, betas)[0][s]

        def loss_b(c, s=s):
            return _dpo_loss_and_grads(h, W, np.stack([c if i == s else b[i] for i in range(2)]), chosen, rejected,
                                       rc, rr, betas)[0][s]
        assert gradient_check(loss_w, W[s], dW[s]) < 1e-6 and gradient_check(loss_b, b[s], db[s]) < 1e-6


def test_dpo_tunings_side_by_side_are_the_tunings_alone(best):
    pairs = [("the cat sat on the", "mat", "floor"), ("the dog", "sat", "ran")]
    kl_contexts = lm.make_examples(data.load_sentences("validation")[:30], best.index)[0]
    together = _dpo_tunes(best, pairs, [0.3, 1.5], 25, 0.05, kl_contexts)
    for beta, result in zip([0.3, 1.5], together):
        alone = dpo_tune(best, pairs, beta, steps=25, kl_contexts=kl_contexts)
        for name in ("output_weight", "output_bias"):
            np.testing.assert_array_equal(result.weights[name], alone.weights[name])
        assert (result.losses, result.margin, result.chosen_gain, result.kl) == \
               (alone.losses, alone.margin, alone.chosen_gain, alone.kl)


def test_dpo_moves_the_model_toward_the_chosen_word_and_a_smaller_beta_further(best):
    pairs = [("the cat sat on the", "mat", "roof")]
    small, large = dpo_tune(best, pairs, 0.1, steps=50), dpo_tune(best, pairs, 2.0, steps=50)
    for r in (small, large):
        assert r.margin > 0 and r.chosen_gain > 0 and r.losses[-1] < r.losses[0] and r.kl > 0
    assert small.kl > large.kl and small.margin > large.margin
    untouched = dpo_tune(best, pairs, 1.0, steps=1, learning_rate=1e-12)
    assert untouched.kl == pytest.approx(0.0, abs=1e-12)


def test_dpo_tune_names_its_bad_argument(best):
    with pytest.raises(ValueError, match="beta"):
        dpo_tune(best, [("the cat", "sat", "ran")], 0.0)
    with pytest.raises(ValueError, match="pairs"):
        dpo_tune(best, [], 1.0)


# --- the lesson's runs -------------------------------------------------------------------------

@pytest.mark.slow
def test_the_lesson_s_runs_say_what_its_prose_says():
    from softmax_lab.llm_experiments import distillation_comparison, lesson_router
    from softmax_lab.llm_pairs import contrastive_comparison, dpo_comparison

    d = distillation_comparison()
    assert d["soft"][0] < d["hard"][0] and d["soft"][1] < d["hard"][1]
    hidden, W0, W1 = lesson_router()
    assert load_balancing_loss(hidden @ W1, 2) < load_balancing_loss(hidden @ W0, 2)
    acc = {T: a for T, (a, _) in contrastive_comparison().items()}
    assert acc[0.1] > max(acc[0.02], acc[1.0]) and min(acc.values()) > 0.1
    kl = [r.kl for _, r in sorted(dpo_comparison().items())]
    assert kl == sorted(kl, reverse=True)
