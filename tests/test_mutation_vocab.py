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
