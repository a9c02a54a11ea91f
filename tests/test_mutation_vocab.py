"""Tests for what the mutation run of vocab.py found untested (`make mutation`, benchmarks/mutation.md).

Each test names the mutants (mutmut's names) it kills.
"""

import time
import tracemalloc

import numpy as np
import pytest

from softmax_lab.vocab import (
    chunked_cross_entropy,
    full_cross_entropy,
    measure,
    output_layer_cost,
    sampled_softmax,
    zipf_probabilities,
)


def test_measure_stops_at_a_thousand_timed_calls_then_traces_one_more():
    # x_measure__mutmut_27 (`calls <= 1000`) makes 1,001 timed calls. 1,000 empty calls take far less
    # than the 59 s asked for, so the cap is what stops the loop.
    calls = []
    measure(lambda: calls.append(1), repeat=1, min_time=59)
    assert len(calls) == 1000 + 1


def test_measure_by_default_stops_once_a_twentieth_of_a_second_has_passed():
    # x_measure__mutmut_2 (a default min_time of 1.05 s) keeps calling for a second. Three calls that
    # each sleep at least 20 ms have passed 0.05 s, so the default stops there: 3 timed + 1 traced.
    calls = []
    measure(lambda: (calls.append(1), time.sleep(0.02)))
    assert len(calls) == 3 + 1


def test_without_a_bias_there_is_no_bias_gradient():
    # x_full_cross_entropy__mutmut_72 returns the bias gradient even when the layer has no bias
    # (CrossEntropyResult documents grad_bias as None then).
    rng = np.random.default_rng(0)
    h, w, y = rng.normal(size=(4, 3)), rng.normal(size=(5, 3)), np.array([0, 4, 2, 2])
    for loss in (full_cross_entropy, chunked_cross_entropy):
        assert loss(h, w, y).grad_bias is None
        assert loss(h, w, y, bias=np.zeros(5)).grad_bias.shape == (5,)


def test_a_zero_proposal_is_refused_naming_the_word():
    # x_sampled_softmax__mutmut_68 and _69 name proposal[0] whatever word has Q = 0.
    h, w = np.ones((1, 2)), np.ones((4, 2))
    with pytest.raises(ValueError, match=r"proposal\[2\] = 0"):
        sampled_softmax(h, w, [0], proposal=[0.5, 0.25, 0.0, 0.25], num_samples=3, seed=0)


@pytest.mark.parametrize("loss", [chunked_cross_entropy, full_cross_entropy])
def test_logits_that_overflow_to_minus_inf_are_refused(loss):
    # A logit that overflowed to -inf was taken for a masked word (fixed in _chunk_logits).
    # Found through x_chunked_cross_entropy__mutmut_87 (the NaN half of the overflow check): finite
    # hidden and weight whose products overflow, 1e308 * 1e308 + 1e308 * -1e308, give the logit -inf
    # here (not NaN), and the loss comes out 0.0 (the exact logits are [0, 0]: log 2).
    with np.errstate(over="ignore"), pytest.raises(ValueError, match="hidden"):
        loss([[1e308, 1e308]], [[1e308, -1e308], [0.0, 0.0]], [1])


def test_measure_by_default_makes_three_timed_calls_then_traces_one():
    # x_measure__mutmut_1 (a default repeat of 4). With min_time=0 only repeat counts.
    calls = []
    measure(lambda: calls.append(1), min_time=0)
    assert len(calls) == 3 + 1


@pytest.mark.parametrize("min_time", [60, 60.5, -0.1])
def test_measure_refuses_a_minute_or_more_naming_min_time(min_time):
    # x_measure__mutmut_18 (`<= 60`) and _19 (`< 61`) accept 60 s, which the documented range [0, 60)
    # refuses.
    with pytest.raises(ValueError, match=r"^min_time must"):
        measure(lambda: None, min_time=min_time)


@pytest.mark.parametrize("call, name", [
    (lambda: measure(lambda: None, repeat=0), "repeat"),
    (lambda: output_layer_cost(-1, 10, 4), "n_tokens"),
    (lambda: output_layer_cost(1, 0, 4), "n_words"),
    (lambda: output_layer_cost(1, 10, 0), "dim"),
])
def test_a_bad_count_is_refused_naming_it_as_a_word(call, name):
    # x_measure__mutmut_10, x_output_layer_cost__mutmut_10, _18 and _24 name "XX<name>XX".
    with pytest.raises(ValueError, match=rf"^{name} must"):
        call()


def test_measure_best_time_is_within_the_time_the_whole_measurement_took():
    # x_measure__mutmut_35 records perf_counter() + start (twice the clock's reading) as a call's time.
    # Not a timing test: the best of several calls can never exceed the whole measurement's span.
    begin = time.perf_counter()
    m = measure(lambda: sum(range(100)), min_time=0)
    assert 0 <= m.seconds <= time.perf_counter() - begin


def test_measure_leaves_tracemalloc_as_it_found_it():
    # x_measure__mutmut_39 (was_tracing = None) stops a trace the caller had started; _47 (`if
    # was_tracing`) leaves tracing on when it was off, and stops it when it was on.
    assert not tracemalloc.is_tracing()
    measure(lambda: None, min_time=0)
    assert not tracemalloc.is_tracing()
    tracemalloc.start()
    try:
        measure(lambda: None, min_time=0)
        assert tracemalloc.is_tracing()
    finally:
        tracemalloc.stop()


def test_measure_counts_only_new_memory_when_the_caller_already_traces():
    # x_measure__mutmut_45 adds the memory traced before the call to the peak instead of subtracting
    # it: with 16 MB already traced by the caller, an 8 MB array would read as about 40 MB.
    tracemalloc.start()
    try:
        held = np.ones(2_000_000)                                  # 16 MB the caller holds
        m = measure(lambda: np.ones(1_000_000), repeat=1, min_time=0)    # 8 MB new
        assert 8_000_000 <= m.peak_bytes < 9_000_000 and held.size
    finally:
        tracemalloc.stop()


def _layer(dtype_h, dtype_w, dtype_b=None, seed=0):
    rng = np.random.default_rng(seed)
    h, w = rng.normal(size=(3, 4)).astype(dtype_h), rng.normal(size=(6, 4)).astype(dtype_w)
    return h, w, None if dtype_b is None else rng.normal(size=6).astype(dtype_b)


@pytest.mark.parametrize("dtypes, expected", [
    ((np.float32, np.float32, np.float64), np.float64),    # the bias's dtype counts
    ((np.float16, np.float64, None), np.float64),          # the weight's
    ((np.float64, np.float16, None), np.float64),          # the hidden states'
    ((np.float32, np.float32, np.float32), np.float32),    # and a float32 bias keeps float32 gradients
])
def test_results_come_in_the_common_dtype_of_every_input(dtypes, expected):
    # _result__mutmut_4, chunked_cross_entropy__mutmut_217, full_cross_entropy__mutmut_63 and _64,
    # sampled_softmax__mutmut_169, _output_dtype__mutmut_4, _5, _10, _12 leave an input out of the
    # output dtype; _result__mutmut_36 returns a float64 bias gradient. Documented: "in the inputs'
    # floating dtype", np.result_type of them all.
    h, w, b = _layer(*dtypes)
    for loss in (chunked_cross_entropy, full_cross_entropy):
        r = loss(h, w, [0, 5, 2], bias=b)
        assert r.loss.dtype == r.grad_hidden.dtype == r.grad_weight.dtype == expected
        assert b is None or r.grad_bias.dtype == expected
    s = sampled_softmax(h, w, [0, 5, 2], np.full(6, 1 / 6), 4, bias=b, seed=0)
    assert s.loss.dtype == s.log_partition.dtype == expected


@pytest.mark.parametrize("loss", [chunked_cross_entropy, full_cross_entropy])
def test_a_bias_that_overflows_the_logits_is_refused(loss):
    # chunked_cross_entropy__mutmut_86 and _89, full_cross_entropy__mutmut_27, _32 and _35 weaken the
    # check for a logit of +inf; _chunk_logits__mutmut_19 and _21 let the overflow of z + b warn.
    # Here h @ W.T = [1e308, 0] is finite and the bias 1e308 takes word 0 beyond float64.
    with pytest.raises(ValueError, match=r"overflows"):
        loss([[1.0]], [[1e308], [0.0]], [1], bias=[1e308, 0.0])


@pytest.mark.parametrize("loss", [chunked_cross_entropy, full_cross_entropy])
def test_a_product_that_overflows_is_refused_without_a_warning(loss):
    # _chunk_logits__mutmut_8 and _10 drop invalid="ignore": 1e308 * 1e308 + 1e308 * -1e308 is
    # inf - inf = NaN, which must be refused by name, not warned about (no errstate around the call).
    with pytest.raises(ValueError, match=r"hidden"):
        loss([[1e308, 1e308]], [[1e308, -1e308], [0.0, 0.0]], [1])


def test_a_nan_weight_row_is_named_by_its_row_in_the_whole_vocabulary():
    # chunked_cross_entropy__mutmut_60 names the row within its chunk (row 1 of the chunk [2, 4)).
    w = np.ones((6, 2))
    w[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"row 3\b"):
        chunked_cross_entropy(np.ones((2, 2)), w, [0, 1], chunk_size=2)


def test_no_tokens_still_checks_every_chunk_of_the_weight():
    # chunked_cross_entropy__mutmut_82 (`break` for `continue` when N = 0) stops checking after the
    # first chunk, so a NaN in a later chunk went through.
    w = np.ones((6, 2))
    w[5, 0] = np.nan
    with pytest.raises(ValueError, match=r"weight"):
        chunked_cross_entropy(np.zeros((0, 2)), w, np.zeros(0, int), chunk_size=2)


@pytest.mark.parametrize("V", [1, 3])
def test_no_tokens_give_a_zero_loss(V):
    # full_cross_entropy__mutmut_31 reads column 1 (none when V = 1); _49 and _50, sampled_softmax__
    # mutmut_164 and _165 give NaN or 1 for the loss of no tokens, which is 0 (an empty mean, by the
    # documented convention of these losses).
    for loss in (chunked_cross_entropy, full_cross_entropy):
        assert loss(np.zeros((0, 2)), np.ones((V, 2)), np.zeros(0, int)).loss == 0.0
    none = np.zeros(0, int)
    assert sampled_softmax(np.zeros((0, 2)), np.ones((V, 2)), none, np.full(V, 1 / V), 2, seed=0).loss == 0.0


@pytest.mark.parametrize("call, name, error", [
    (lambda: chunked_cross_entropy(np.ones((1, 2)), np.ones((3, 2)), [0], chunk_size=0), "chunk_size", ValueError),
    (lambda: sampled_softmax(np.ones((1, 2)), np.ones((3, 2)), [0], np.full(3, 1 / 3), 0), "num_samples", ValueError),
    (lambda: sampled_softmax(np.ones((1, 2)), np.ones((3, 2)), [0], np.full(3, 1 / 3), 2, seed="x"), "seed", TypeError),
    (lambda: sampled_softmax(np.ones((1, 2)), np.ones((3, 2)), [0], [[1 / 3] * 3], 2), "proposal", ValueError),
    (lambda: zipf_probabilities(0), "n_words", ValueError),
])
def test_vocab_names_a_bad_argument_as_a_word(call, name, error):
    # chunked_cross_entropy__mutmut_16, sampled_softmax__mutmut_45, _48, _49 (num_samples), _80, _82,
    # _83, _84 (seed), _16, _20, _22 (proposal of two dimensions), zipf_probabilities__mutmut_7.
    with pytest.raises(error, match=rf"^{name}\b"):
        call()


def test_zipf_default_exponent_is_one_and_1000_is_refused():
    # zipf_probabilities__mutmut_1 (a default exponent of 2); _15 and _16 accept 1000, outside the
    # documented [0, 1000). Reference: 1/k normalised by hand.
    np.testing.assert_allclose(zipf_probabilities(4), np.array([1, 1 / 2, 1 / 3, 1 / 4]) / (25 / 12), rtol=1e-15)
    with pytest.raises(ValueError, match=r"^exponent must"):
        zipf_probabilities(4, exponent=1000)


# ---- the survivors the full run left unclassified (classified in a later session) ----


def test_an_empty_sequence_axis_is_not_taken_for_zero_features():
    # _checked__mutmut_5 reads the width from axis +1: hidden (2, 0, 3) holds two empty sequences of
    # 3-feature states, which the mutant refuses as "no features". No tokens: loss 0, zero gradients.
    r = full_cross_entropy(np.zeros((2, 0, 3)), np.ones((5, 3)), np.zeros((2, 0), int))
    assert r.loss == 0.0 and r.grad_hidden.shape == (2, 0, 3) and not r.grad_weight.any()


@pytest.mark.parametrize("loss", [chunked_cross_entropy, full_cross_entropy])
def test_an_overflowing_product_of_a_strided_weight_is_refused_without_a_warning(loss):
    # _chunk_logits__mutmut_8 and _10 drop invalid="ignore". BLAS sums 1e308 * 1e308 + 1e308 * -1e308
    # to an infinity without raising the invalid flag, but a weight that is a strided view (every
    # other column) takes numpy's own matmul loop, where inf - inf = NaN flags "invalid": without the
    # guard that warning escapes (pytest makes it an error) instead of the ValueError naming hidden.
    weight = np.array([[1e308, 9.0, -1e308, 9.0], [0.0, 9.0, 0.0, 9.0]])[:, ::2]
    with pytest.raises(ValueError, match=r"hidden"):
        loss([[1e308, 1e308]], weight, [1])


def test_a_bias_that_overflows_a_later_word_is_refused():
    # full_cross_entropy__mutmut_27 looks for +inf in the first word's logits only; here word 1's
    # logit 1e308 + bias 1e308 overflows.
    with pytest.raises(ValueError, match=r"overflows"):
        full_cross_entropy([[1.0]], [[0.0], [1e308]], [0], bias=[0.0, 1e308])


def _float16_layer():
    # logits 300 * +-300 = +-90,000: fine in float32 (where float16 is computed), beyond float16's
    # largest number 65,504 once the loss or log Z is rounded back to float16.
    return np.array([[300.0]], np.float16), np.array([[300.0], [-300.0]], np.float16)


def test_a_float16_loss_beyond_float16_comes_back_as_inf_without_a_warning():
    # _result__mutmut_8 (errstate(over=None)) lets the cast of the float32 loss 180,000 to float16 warn.
    # Reference: the same loss in float64, by hand: log(e^90000 + e^-90000) - (-90000) = 180,000.
    h, w = _float16_layer()
    r = full_cross_entropy(h, w, [1])
    assert r.loss.dtype == np.float16 and r.loss == np.inf
    np.testing.assert_array_equal(r.grad_weight, [[300.0], [-300.0]])     # (p - y)^T h, p = [1, 0], y = [0, 1]


def test_a_float16_sampled_log_partition_beyond_float16_comes_back_as_inf_without_a_warning():
    # sampled_softmax__mutmut_173 (errstate(over=None)) lets the cast of log Z, about 90,000, warn.
    h, w = _float16_layer()
    s = sampled_softmax(h, w, [1], [0.5, 0.5], 4, seed=0)
    assert s.loss.dtype == np.float16 and s.loss == np.inf and s.log_partition[0] == np.inf


def test_sampled_softmax_estimate_is_the_formula_over_the_words_it_drew():
    # sampled_softmax__mutmut_111 and _130 add 1 to the sampled or the target logits when there is no
    # bias. Reference, written out from the docstring's formula over the returned samples:
    # log Z^ = log mean_i exp(z_{s_i} - log Q(s_i)), loss = mean_n (log Z^_n - z_{n, t_n}); and
    # without the correction log Z^ = log(V/k sum_i exp(z_{s_i})).
    rng = np.random.default_rng(3)
    h, w, t = rng.normal(size=(3, 4)), rng.normal(size=(7, 4)), np.array([0, 6, 2])
    q = zipf_probabilities(7)
    z = h @ w.T
    for correct in (True, False):
        s = sampled_softmax(h, w, t, q, 5, correct=correct, seed=1)
        zs = z[:, s.samples]
        if correct:
            log_z = np.log(np.mean(np.exp(zs - np.log(q[s.samples])), axis=1))
        else:
            log_z = np.log(7 / 5 * np.exp(zs).sum(axis=1))
        np.testing.assert_allclose(s.log_partition, log_z, rtol=1e-12)
        np.testing.assert_allclose(s.loss, np.mean(log_z - z[np.arange(3), t]), rtol=1e-12)


def test_sampled_softmax_keeps_the_batch_shape_of_hidden():
    # sampled_softmax__mutmut_184 (reshape(None): flat) and _187 (shape[:+1]) lose the (2, 3) batch
    # of a 3-D hidden; each token's log Z^ is the one of the same token given as a 2-D batch.
    rng = np.random.default_rng(0)
    h, w, t = rng.normal(size=(2, 3, 4)), rng.normal(size=(6, 4)), np.array([[0, 1, 2], [3, 4, 5]])
    s = sampled_softmax(h, w, t, np.full(6, 1 / 6), 5, seed=0)
    flat = sampled_softmax(h.reshape(6, 4), w, t.ravel(), np.full(6, 1 / 6), 5, seed=0)
    assert s.log_partition.shape == (2, 3)
    np.testing.assert_array_equal(s.log_partition.ravel(), flat.log_partition)


@pytest.mark.parametrize("proposal", [
    [-0.5, 1.0, 0.5],                             # a negative "probability", summing to 1
    [0.51, 0.25, 0.25],                           # float64 summing to 1.01
    np.array([0.75, 0.5, 0.25], np.float16),      # float16 summing to 1.5, beyond its 3e-2 allowance
])
def test_a_proposal_that_is_not_a_distribution_is_refused_by_name(proposal):
    # sampled_softmax__mutmut_28 drops the check q >= 0 (numpy's choice then refuses it, naming no
    # argument); _37 and _40 allow float64 a sum 3e-2 (or 1.000001) off; _38 allows float16 1.03 off;
    # _39 swaps the two allowances.
    with pytest.raises(ValueError, match=r"^proposal must"):
        sampled_softmax(np.ones((1, 2)), np.ones((3, 2)), [0], proposal, 4, seed=0)


def test_a_float16_proposal_is_allowed_its_rounding():
    # float16 cannot hold 1/3: three of them sum to 0.99976, 2.4e-4 off, which float16's allowance of
    # 3e-2 accepts. sampled_softmax__mutmut_36 and _39 hold it to float64's 1e-6; _85 draws with
    # p = q * sum(q) (not q / sum(q)), which numpy's choice refuses as not summing to 1.
    q = np.full(3, 1 / 3, np.float16)
    assert abs(q.astype(np.float64).sum() - 1) > 1e-4
    s = sampled_softmax(np.zeros((1, 2)), np.ones((3, 2)), [0], q, 4, seed=0)
    # every logit is 0 and each drawn word has Q = q[0] (float16's 1/3): log Z^ = -log q[0], z_t = 0
    assert s.loss == pytest.approx(-np.log(float(q[0])), rel=1e-12)


@pytest.mark.parametrize("weight", [[[np.nan, 0.0], [1.0, 1.0]], [[1.0, 1.0], [np.nan, 0.0]]])
def test_sampled_softmax_refuses_a_nan_in_the_target_row_or_a_drawn_row_naming_weight(weight):
    # sampled_softmax__mutmut_94 (`or`) needs only one of the two to be finite. Word 1 is the only one
    # drawn (Q = [0, 1], uncorrected); the target is word 0: first the target's row holds NaN, then
    # the drawn row. Either way the error names weight (the mutant let it reach the overflow check).
    with pytest.raises(ValueError, match=r"^weight must"):
        sampled_softmax(np.ones((1, 2)), weight, [0], [0.0, 1.0], 3, correct=False, seed=0)


def test_sampled_softmax_refuses_a_drawn_logit_that_overflows_without_a_warning():
    # sampled_softmax__mutmut_137 (`zs <= inf`) and _133 (`or`: a finite target logit is enough) let
    # the drawn word 0's logit 1e308 * 1e308 = inf through. With bias -inf on a drawn word whose
    # product overflows, inf - inf = NaN: _100 and _102 drop invalid="ignore" around that sum, so it warns.
    with pytest.raises(ValueError, match=r"overflows"):
        sampled_softmax([[1e308]], [[1e308], [1.0]], [1], [0.5, 0.5], 20, seed=0)
    with pytest.raises(ValueError, match=r"overflows"):
        sampled_softmax([[1e308]], [[1e308], [1.0], [1.0]], [1], [0.4, 0.3, 0.3], 20,
                        bias=[-np.inf, 0.0, 0.0], seed=0)


def test_sampled_softmax_refuses_a_target_at_a_masked_word():
    # sampled_softmax__mutmut_133 (`or`): the drawn logits are finite, so the target's -inf went through.
    with pytest.raises(ValueError, match=r"masked"):
        sampled_softmax([[1.0]], [[1.0], [1.0], [1.0]], [0], [0.4, 0.3, 0.3], 5,
                        bias=[-np.inf, 0.0, 0.0], seed=0)
