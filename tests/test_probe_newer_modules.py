"""Regression tests for the defects the adversarial probe of issue 17 found in the newer modules
(calibration, attention variants, alternatives, vocab, training, decoding, classify, bandits, data).

Each test is named for the defect it catches, and each failed on the code before its fix.
"""

import shutil
import warnings

import numpy as np
import pytest

from softmax_lab import data, lm, training
from softmax_lab.alternatives import entmax
from softmax_lab.attention_variants import soft_cap, softmax_one
from softmax_lab.bandits import annealed_temperature, epsilon_greedy_probabilities, run_bandit
from softmax_lab.calibration import (
    bootstrap_interval,
    classwise_calibration_error,
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    reliability_bins,
)
from softmax_lab.classify import accuracy, one_hot, words
from softmax_lab.decoding import LMScorer, beam_search, greedy_decode, repetition
from softmax_lab.factored import AdaptiveSoftmax, HierarchicalSoftmax
from softmax_lab.vocab import chunked_cross_entropy, full_cross_entropy, sampled_softmax

CONTEXTS = np.array([[0, 0], [0, 2], [2, 3], [3, 1], [1, 2]])
TARGETS = np.array([2, 3, 1, 2, 0])
VALIDATION = (CONTEXTS[:3], TARGETS[:3])      # 3 rows: told apart from the batches of 2 below
SMALL = dict(batch_size=2, learning_rate=0.05, embed_dim=3, hidden_size=4, seed=5)


# ---------------------------------------------------------------------------------------------
# Wrong numbers, lost or shared data

def test_classwise_error_keeps_the_first_bins_mass_when_no_probability_reaches_the_second_bin():
    # np.bincount over an empty index returned int64, which truncated the first bin's total
    # (classes 0 and 1: |1 - 0.1| / 2 each; the 18 that never occur: 0.05 each; mean over all 20)
    assert classwise_calibration_error(np.full((2, 20), 0.05), [0, 1]) == pytest.approx((2 * 0.45 + 18 * 0.05) / 20)
    assert classwise_calibration_error([[0.5, 0.3, 0.2]], [0], n_bins=1) == pytest.approx((0.5 + 0.3 + 0.2) / 3)


@pytest.mark.parametrize("z, alpha, exact", [
    ([0.0, -0.11], 10.0, [0.99888391929814255, 0.00111608070185745]),   # mpmath, 400 digits
    ([0.0, -0.01], 50.0, [0.98554729667170107, 0.01445270332829893]),
])
def test_entmax_is_exact_for_large_alpha(z, alpha, exact):
    assert np.allclose(entmax(z, alpha=alpha), exact, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_soft_cap_beyond_the_dtypes_range_is_the_identity_not_nan(dtype, no_warnings):
    out = soft_cap(np.array([5, -3], dtype=dtype), 1e39)
    assert out.dtype == dtype and np.array_equal(out, np.array([5, -3], dtype=dtype))


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_softmax_one_with_a_sink_beyond_the_dtypes_range_is_not_nan(dtype, no_warnings):
    scores = np.array([5, -3], dtype=dtype)
    assert np.array_equal(softmax_one(scores, sink=1e39), np.zeros(2, dtype))       # the sink takes all
    plain = np.exp([0.0, -8.0]) / np.exp([0.0, -8.0]).sum()
    assert np.allclose(softmax_one(scores, sink=-1e39), plain, rtol=1e-3)            # the sink takes nothing


def test_an_interrupted_validation_pass_is_not_lost(monkeypatch):
    trainer = training.Trainer(CONTEXTS, TARGETS, 4, steps=4, validation=VALIDATION, eval_every=4, **SMALL)
    real, interrupted = lm.forward, []

    def interrupt_the_first_validation(weights, contexts, *args, **kwargs):
        if len(contexts) == len(VALIDATION[0]) and not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt
        return real(weights, contexts, *args, **kwargs)

    monkeypatch.setattr(lm, "forward", interrupt_the_first_validation)
    trainer.run()
    assert interrupted
    result = trainer.run()                                  # resume: the evaluation is done now
    assert trainer.done and result.eval_steps == [4] and len(result.val_losses) == 1
    assert result.best_weights is not None and result.best_step == 4
    uninterrupted = training.train(CONTEXTS, TARGETS, 4, steps=4, validation=VALIDATION, eval_every=4, **SMALL)
    assert result.val_losses == uninterrupted.val_losses
    assert np.array_equal(result.losses, uninterrupted.losses)


def test_lm_scorer_does_not_hand_out_its_cache():
    scorer = LMScorer(lm.load("best"), "the cat sat on the")
    before = greedy_decode(scorer, max_length=3).tokens
    log_probs = scorer(())
    log_probs[:] = 0.0                                       # the caller's array, not the cache
    assert greedy_decode(scorer, max_length=3).tokens == before


def test_each_run_returns_its_own_result():
    trainer = training.Trainer(CONTEXTS, TARGETS, 4, steps=12, validation=VALIDATION, eval_every=2, **SMALL)
    first = trainer.run(3)
    losses, embeddings, evals = first.losses.copy(), first.weights["embeddings"].copy(), list(first.eval_steps)
    second = trainer.run(5)
    assert second is not first
    assert np.array_equal(first.losses, losses) and first.eval_steps == evals == [2]
    assert np.array_equal(first.weights["embeddings"], embeddings)
    assert second.losses.shape == (8,) and second.eval_steps == [2, 4, 6, 8]


@pytest.mark.parametrize("scores, labels, error, name", [
    ([[np.nan, 1.0]], [0], ValueError, "scores"),             # a NaN score counted as class 0
    ([["b", "a"]], [0], TypeError, "scores"),                  # a lexicographic argmax of strings
    ([[1.0, 0.0]], [5], ValueError, "labels"),                 # an impossible label scored 0
    ([[1.0, 0.0]], [-1], ValueError, "labels"),
])
def test_accuracy_refuses_nan_strings_and_out_of_range_labels(scores, labels, error, name):
    with pytest.raises(error, match=name):
        accuracy(scores, labels)


def test_negative_log_likelihood_refuses_probabilities_passed_as_logits():
    with pytest.raises(ValueError, match=r"logits.*softmax\(logits\)"):
        negative_log_likelihood([[0.7, 0.3], [0.1, 0.9]], [0, 1])
    assert negative_log_likelihood([[0.7, 0.4], [0.1, 0.9]], [0, 1]) > 0     # logits that merely look small


def test_negative_log_likelihood_near_the_float_limit_is_finite(no_warnings):
    """Found by the hostile-arguments property after the issue: two losses of 1.8e308 each overflowed
    their sum (an overflow warning, then inf) although their mean fits."""
    big = np.finfo(np.float64).max
    assert negative_log_likelihood([[-big, 0.0], [-big, 0.0]], [0, 0]) == pytest.approx(big)
    low, high = bootstrap_interval(negative_log_likelihood, [[-big, 0.0], [-big, 0.0]], [0, 0], n_boot=5, rng=0)
    assert low == high == pytest.approx(big)


@pytest.mark.parametrize("step", [-1, -2, -3, [0, -5]])
def test_annealed_temperature_refuses_a_negative_step(step):
    with pytest.raises(ValueError, match="step"):
        annealed_temperature(step, 1.0)


def test_corrected_sampled_softmax_refuses_a_proposal_that_never_draws_a_possible_word():
    rng = np.random.default_rng(0)
    h, W = rng.normal(size=(2, 3)), rng.normal(size=(4, 3))
    with pytest.raises(ValueError, match="proposal"):
        sampled_softmax(h, W, [0, 1], [0.5, 0.5, 0.0, 0.0], 3, seed=0)
    masked = [0.0, 0.0, -np.inf, -np.inf]                   # words 2 and 3 cannot occur: Q = 0 is fine there
    est = sampled_softmax(h, W, [0, 1], [0.5, 0.5, 0.0, 0.0], 3, bias=masked, seed=0)
    assert np.isfinite(est.loss)
    assert np.isfinite(sampled_softmax(h, W, [0, 1], [0.5, 0.5, 0.0, 0.0], 3, correct=False, seed=0).loss)


# ---------------------------------------------------------------------------------------------
# Unhelpful errors: each names the argument now

def _hierarchical():
    return HierarchicalSoftmax.random(3, 2, seed=0)


def _zero_width(f):
    return lambda: f(np.zeros((2, 0)), np.zeros((4, 0)), [0, 1], *([[0.25] * 4, 2] if f is sampled_softmax else []))


@pytest.mark.parametrize("call, name", [
    (lambda: epsilon_greedy_probabilities([1.0, 2.0], 10**400), "epsilon"),
    (lambda: run_bandit(epsilon=10**400, n_steps=5, n_runs=1), "epsilon"),
    (lambda: run_bandit([10**400, 1.0], n_steps=5, n_runs=1), "means"),
    (lambda: run_bandit([0.1, "a"], n_steps=5, n_runs=1), "means"),
    (lambda: beam_search(lambda t: np.zeros(2), length_penalty=10**400), "length_penalty"),
    (lambda: training.Trainer(CONTEXTS, TARGETS, 4, validation=VALIDATION, eval_every=0), "eval_every"),
    (lambda: training.Trainer(CONTEXTS, TARGETS, 4, batch_size=0), "batch_size"),
    (lambda: training.Trainer(CONTEXTS, TARGETS, 4, learning_rate=np.nan), "learning_rate"),
    (lambda: training.Trainer(CONTEXTS, TARGETS, 4, steps=-1), "steps"),
    (lambda: training.Trainer(CONTEXTS, TARGETS, 4, steps=10.0), "steps"),
    (_zero_width(chunked_cross_entropy), "hidden"),
    (_zero_width(full_cross_entropy), "hidden"),
    (_zero_width(sampled_softmax), "hidden"),
    (lambda: HierarchicalSoftmax.random(3, 2, scale=np.nan), "scale"),
    (lambda: _hierarchical().fit(np.zeros((1, 2)), [[0.2, 0.3, 0.5]], learning_rate="x"), "learning_rate"),
    (lambda: AdaptiveSoftmax((2, 5), np.zeros((3, 2)), np.zeros(3), [1]), "tails"),
    (lambda: AdaptiveSoftmax.random((2, 5), 4, seed=0).cost_per_token(np.zeros(5)), "word_probabilities"),
    (lambda: accuracy(np.zeros((2, 0)), [0, 0]), "scores"),
    (lambda: expected_calibration_error([[np.inf, -np.inf]], [0]), "probs"),
])
def test_bad_arguments_are_refused_by_name(call, name, no_warnings):
    with pytest.raises((ValueError, TypeError), match=name):
        call()


def test_an_integer_init_is_trained_not_truncated():
    init = {k: np.zeros(v.shape, dtype=np.int64) for k, v in training.init_weights(4, 2, 3, 4).items()}
    result = training.train(CONTEXTS, TARGETS, 4, steps=3, init=init, **SMALL)
    assert result.weights["output_bias"].dtype == np.float64
    assert np.abs(result.weights["output_bias"]).max() > 0.01
    assert np.all(init["output_bias"] == 0)                 # the caller's arrays are untouched


def test_sampled_softmax_with_every_sample_masked_does_not_blame_logits():
    rng = np.random.default_rng(0)
    h, W = rng.normal(size=(2, 3)), rng.normal(size=(4, 3))
    with pytest.raises(ValueError, match="masked") as error:
        sampled_softmax(h, W, [0, 1], [0, 0, 0.5, 0.5], 2, bias=[0, 0, -np.inf, -np.inf], correct=False, seed=0)
    assert "logits" not in str(error.value) and "bias" in str(error.value)


def test_repetition_accepts_a_generator():
    tokens = "a b a b c".split()
    assert repetition(t for t in tokens) == repetition(tokens) == 0.25


def test_one_hot_of_no_labels_is_an_empty_matrix():
    assert one_hot([], 3).shape == (0, 3)


@pytest.fixture
def data_copy(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(data.data_dir(), folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def test_a_binary_manifest_is_an_integrity_error_naming_the_file(data_copy):
    manifest = data_copy / data.MANIFEST_NAME
    manifest.write_bytes(b"\xff\xfe" + manifest.read_text().encode("utf-16-le"))
    with pytest.raises(data.DataIntegrityError, match="MANIFEST"):
        data.load_text("README.md", data_copy)


def test_a_manifest_with_a_trailing_blank_line_still_loads(data_copy):
    manifest = data_copy / data.MANIFEST_NAME
    manifest.write_text(manifest.read_text() + "\n\n")
    assert data.load_text("README.md", data_copy) == data.load_text("README.md")


def test_a_file_listed_twice_in_the_manifest_is_refused(data_copy):
    manifest = data_copy / data.MANIFEST_NAME
    manifest.write_text("0" * 64 + "  README.md\n" + manifest.read_text())
    with pytest.raises(data.DataIntegrityError, match="README.md.*twice"):
        data.load_text("README.md", data_copy)


# ---------------------------------------------------------------------------------------------
# Cosmetic

def test_fit_temperature_on_a_flat_nll_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fit_temperature(np.zeros((4, 3)), [0, 1, 2, 0]) == 1.0


def test_quantile_bins_keep_lower_below_upper_for_a_confidence_a_hair_above_one():
    p = np.array([[1.0004, 0.0], [0.6, 0.4], [0.5, 0.5]])
    bins = reliability_bins(p, [0, 0, 1], n_bins=3, strategy="quantile")
    assert np.all(bins.lower <= bins.upper) and bins.count.sum() == 3


def test_words_keep_accented_letters():
    assert words("Naïve café, déjà vu!") == ["naïve", "café", "déjà", "vu"]
    assert words("nai\u0308ve cafe\u0301") == ["naïve", "café"]          # decomposed accents too


def test_sampled_softmax_keeps_float16():
    rng = np.random.default_rng(0)
    h, W = rng.normal(size=(2, 3)).astype(np.float16), rng.normal(size=(4, 3)).astype(np.float16)
    est = sampled_softmax(h, W, [0, 1], [0.25] * 4, 3, seed=0)
    assert est.loss.dtype == np.float16 and est.log_partition.dtype == np.float16


@pytest.mark.parametrize("f", [chunked_cross_entropy, full_cross_entropy])
def test_a_nan_weight_is_reported_in_its_own_row(f):
    rng = np.random.default_rng(0)
    W = rng.normal(size=(20, 3))
    W[5, 0] = np.nan
    kwargs = {"chunk_size": 10} if f is chunked_cross_entropy else {}
    with pytest.raises(ValueError, match=r"weight.*row 5\b") as error:
        f(rng.normal(size=(2, 3)), W, [0, 1], **kwargs)
    assert "0..9" not in str(error.value)
