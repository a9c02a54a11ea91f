"""Tests for softmax_lab.sampling: the filters, the sampling distribution and the draw.

Expected distributions are written out by hand (or computed here from the textbook rules in
float64), never taken from softmax_lab.sampling itself, so a bug there cannot hide behind its
own output. The frequency tests draw 20 000 tokens with a fixed seed and compare the counts
with the expected ones by a chi-square statistic against a generous quantile (1 - 1e-6), so a
correct sampler fails about once in a million seeds, and a wrong one fails at once (the
power of the bound is checked too).
"""


import numpy as np
import pytest
from fast_loop import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from softmax_lab import sampling, softmax
from softmax_lab.sampling import filter_min_p, filter_top_k, filter_top_p, sample, sampling_distribution

N_DRAWS = 20_000
FLOATS = [np.float16, np.float32, np.float64]

# A small next-token distribution with distinct, hand-friendly probabilities.
P0 = np.array([0.35, 0.25, 0.15, 0.10, 0.08, 0.05, 0.02])
Z0 = np.log(P0) + 3.0  # logits: any shift gives the same softmax


def counts_of(indices, V):
    return np.bincount(np.ravel(indices), minlength=V)


def chi_square(counts, expected_probs):
    """(statistic, degrees of freedom) of observed counts against expected probabilities."""
    expected_probs = np.asarray(expected_probs, dtype=np.float64)
    n = counts.sum()
    support = expected_probs > 0
    expected = n * expected_probs[support]
    statistic = float(np.sum((counts[support] - expected) ** 2 / expected))
    return statistic, int(support.sum()) - 1


def assert_frequencies_match(indices, expected_probs):
    """Removed tokens are never drawn, and the counts pass a chi-square bound."""
    expected_probs = np.asarray(expected_probs, dtype=np.float64)
    counts = counts_of(indices, expected_probs.size)
    assert counts[expected_probs == 0].sum() == 0, f"a removed token was drawn: {counts}"
    statistic, dof = chi_square(counts, expected_probs)
    limit = stats.chi2.ppf(1 - 1e-6, dof)
    assert statistic < limit, f"chi-square {statistic:.1f} >= {limit:.1f} (dof {dof}); counts {counts}"


def draws(logits, n=N_DRAWS, seed=1234, **settings):
    """n draws from one row of logits, as one batched call on n identical rows."""
    batch = np.broadcast_to(np.asarray(logits), (n, np.size(logits)))
    return sample(batch, rng=seed, **settings)



# --------------------------------------------------------------------------------------------
# empirical frequencies match the filtered softmax
# --------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_frequencies_plain_softmax():
    assert_frequencies_match(draws(Z0), P0)


@pytest.mark.slow
def test_frequencies_with_temperature():
    expected = P0**2 / np.sum(P0**2)  # softmax(z / 0.5) is proportional to p ** 2
    assert_frequencies_match(draws(Z0, temperature=0.5), expected)


def test_frequencies_with_top_k():
    expected = np.r_[P0[:3], np.zeros(4)] / P0[:3].sum()
    assert_frequencies_match(draws(Z0, top_k=3), expected)


def test_frequencies_with_top_p():
    # cumulative 0.35, 0.60, 0.75, 0.85: p = 0.8 is crossed by the 4th token, which is kept
    expected = np.r_[P0[:4], np.zeros(3)] / P0[:4].sum()
    assert_frequencies_match(draws(Z0, top_p=0.8), expected)


def test_frequencies_with_min_p():
    # threshold 0.2 * 0.35 = 0.07: 0.08 stays, 0.05 and 0.02 go
    expected = np.r_[P0[:5], np.zeros(2)] / P0[:5].sum()
    assert_frequencies_match(draws(Z0, min_p=0.2), expected)


@pytest.mark.slow
def test_frequencies_of_one_dimensional_calls_with_one_generator():
    # The other path: one int per call, the Generator carried from call to call.
    rng = np.random.default_rng(99)
    indices = [sample(Z0, top_k=5, rng=rng) for _ in range(5000)]
    assert_frequencies_match(indices, np.r_[P0[:5], np.zeros(2)] / P0[:5].sum())


@pytest.mark.slow
def test_frequencies_on_a_long_row():
    # V = 1000, most mass on four tokens.
    z = np.full(1000, -10.0)
    z[[3, 500, 7, 999]] = np.log([0.4, 0.3, 0.2, 0.1]) + 10
    expected = np.zeros(1000)
    expected[[3, 500, 7]] = np.array([0.4, 0.3, 0.2]) / 0.9
    # the other 996 tokens carry about 996 * e^-20 = 2e-6 of the mass: far below p's reach
    indices = [sample(z, top_p=0.85, rng=seed) for seed in range(3000)]
    assert_frequencies_match(indices, expected)


@pytest.mark.slow
def test_the_chi_square_bound_has_power():
    # Draws at T = 0.5 must be rejected against the T = 0.6 distribution: a sampler that got
    # the temperature slightly wrong would not slip through the frequency tests above.
    wrong = P0 ** (1 / 0.6) / np.sum(P0 ** (1 / 0.6))
    statistic, dof = chi_square(counts_of(draws(Z0, temperature=0.5), 7), wrong)
    assert statistic > stats.chi2.ppf(1 - 1e-6, dof)


# --------------------------------------------------------------------------------------------
# the order of operations
# --------------------------------------------------------------------------------------------

def test_temperature_is_applied_before_top_p():
    # At T = 1 the nucleus for p = 0.6 is {0, 1} (0.5 < 0.6 <= 0.8). At T = 0.5 the
    # probabilities are [0.658, 0.237, 0.105]: token 0 alone reaches 0.6.
    z = np.log([0.5, 0.3, 0.2])
    np.testing.assert_array_equal(sampling_distribution(z, temperature=0.5, top_p=0.6), [1, 0, 0])
    assert set(np.unique(draws(z, n=2000, temperature=0.5, top_p=0.6))) == {0}
    # And a high temperature widens the nucleus: at T = 2, [0.415, 0.322, 0.263] needs all
    # three tokens to reach 0.75, where T = 1 needs two.
    assert np.count_nonzero(sampling_distribution(z, top_p=0.75)) == 2
    assert np.count_nonzero(sampling_distribution(z, temperature=2.0, top_p=0.75)) == 3


def test_temperature_is_applied_before_min_p():
    # min_p = 0.5: at T = 1 the ratios are [1, 0.6, 0.4] (keep 2); at T = 0.5 [1, 0.36, 0.16].
    z = np.log([0.5, 0.3, 0.2])
    assert np.count_nonzero(sampling_distribution(z, min_p=0.5)) == 2
    np.testing.assert_array_equal(sampling_distribution(z, temperature=0.5, min_p=0.5), [1, 0, 0])


def test_top_k_is_applied_before_top_p():
    # After top-k (k=2) the survivors are [0.571, 0.429]: the first alone reaches p = 0.5.
    # Top-p first would keep two (0.4 < 0.5 <= 0.7), and top-k would not remove either.
    z = np.log([0.4, 0.3, 0.2, 0.1])
    np.testing.assert_array_equal(sampling_distribution(z, top_k=2, top_p=0.5), [1, 0, 0, 0])


def test_top_p_is_applied_before_min_p():
    # top-p 0.75 on the full distribution keeps three (0.4, 0.7, 0.9); min-p 0.4 (threshold
    # 0.16) keeps the same three. The other order, min-p first, renormalises to
    # [0.444, 0.333, 0.222], and top-p would then keep only two.
    z = np.log([0.4, 0.3, 0.2, 0.1])
    np.testing.assert_allclose(
        sampling_distribution(z, top_p=0.75, min_p=0.4), [4 / 9, 3 / 9, 2 / 9, 0], rtol=1e-12
    )


def test_each_filter_sees_the_renormalised_survivors():
    # top-k(2) then top-p(0.55): survivors [0.5, 0.5] renormalised; 0.5 < 0.55 so both stay.
    z = np.log([0.3, 0.3, 0.2, 0.2])
    np.testing.assert_allclose(sampling_distribution(z, top_k=2, top_p=0.55), [0.5, 0.5, 0, 0])


# --------------------------------------------------------------------------------------------
# top-p: the exact rules
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
def test_top_p_stops_when_the_sum_reaches_p_exactly(dtype):
    # [0.25] * 4 and p = 0.5: two tokens reach 0.5 exactly; a third must NOT be added.
    out = filter_top_p(np.zeros(4, dtype=dtype), 0.5)
    np.testing.assert_array_equal(np.isfinite(out), [True, True, False, False])


@pytest.mark.parametrize(
    "probs",
    [
        [0.4, 0.3, 0.2, 0.1],
        [0.7, 0.1, 0.1, 0.1],
        [0.3, 0.3, 0.2, 0.1, 0.1],
        [0.45, 0.35, 0.15, 0.05],
        [0.6, 0.3, 0.07, 0.03],
    ],
)
def test_top_p_at_an_exact_prefix_sum_keeps_exactly_that_prefix(probs):
    # p equal to a prefix sum, written as decimals: log, softmax and the cumulative sum each
    # round, and without a tolerance some of these would pull in one token too many.
    probs = np.array(probs)
    z = np.log(probs)
    for n in range(1, len(probs)):
        p = float(np.round(probs[:n].sum(), 10))
        kept = np.flatnonzero(np.isfinite(filter_top_p(z, p)))
        np.testing.assert_array_equal(kept, np.arange(n), err_msg=f"p = {p}")
        # and a hair above the prefix sum, the next token is needed
        kept = np.flatnonzero(np.isfinite(filter_top_p(z, p + 1e-6)))
        np.testing.assert_array_equal(kept, np.arange(n + 1), err_msg=f"p = {p} + 1e-6")


def test_top_p_without_a_tolerance_would_add_a_token():
    # The reason for the tolerance, shown: rounding can leave a sum that should reach p one ulp
    # short of it (with numpy 2, softmax(log([0.5, 0.3, 0.2])) adds up to 0.7999999999999999,
    # not 0.8; with numpy 1.24 to exactly 0.8). Set p one ulp above whatever sum this machine
    # computes: without the tolerance, the third token would be added.
    z = np.log([0.5, 0.3, 0.2])
    p = np.nextafter(np.cumsum(softmax(z))[1], 1.0)
    np.testing.assert_array_equal(np.isfinite(filter_top_p(z, p)), [True, True, False])
    np.testing.assert_array_equal(np.isfinite(filter_top_p(z, 0.8)), [True, True, False])


def test_top_p_ties_at_the_boundary_go_to_the_lower_index():
    # Token 1 has 0.4; tokens 0, 2 and 3 tie at 0.2. p = 0.6 needs one of the tied three:
    # it must be token 0, the lowest index, on every call.
    z = np.log([0.2, 0.4, 0.2, 0.2])
    for _ in range(3):
        np.testing.assert_array_equal(np.isfinite(filter_top_p(z, 0.6)), [True, True, False, False])
    z = np.log([0.2, 0.2, 0.4, 0.2])  # the same, with the tied tokens elsewhere
    np.testing.assert_array_equal(np.isfinite(filter_top_p(z, 0.6)), [True, False, True, False])


def test_top_p_ties_on_a_long_row_go_to_the_lower_index():
    # V = 2000 (the partial-sort path): 300 tokens tie for the top, so the 128 candidates from
    # argpartition are an arbitrary subset of them unless ties are collected in index order.
    z = np.full(2000, -30.0)
    tied = np.arange(1700, 2000)  # the tied tokens sit at the end
    z[tied] = 0.0
    kept = np.flatnonzero(np.isfinite(filter_top_p(z, 0.5)))
    np.testing.assert_array_equal(kept, tied[:150])


@pytest.mark.parametrize("dtype", FLOATS)
def test_top_p_of_one_keeps_everything_even_negligible_tokens(dtype):
    z = np.array([0.0, -30.0, -60.0, -np.inf], dtype=dtype)  # the tail carries ~1e-13 of mass
    out = filter_top_p(z, 1.0)
    np.testing.assert_array_equal(out, z)
    assert out.dtype == dtype
    assert np.count_nonzero(sampling_distribution(z.astype(np.float64), top_p=1.0)) == 3


def test_top_p_keeps_at_least_one_token():
    np.testing.assert_array_equal(np.isfinite(filter_top_p([5.0, 0.0, 0.0], 1e-9)), [True, False, False])


def test_top_p_keeps_the_token_that_crosses_p():
    # 0.5 < 0.55: the second token crosses p and is kept, the third is not
    kept = np.isfinite(filter_top_p(np.log([0.5, 0.3, 0.2]), 0.55))
    np.testing.assert_array_equal(kept, [True, True, False])


logit_rows = st.lists(st.integers(-6, 6), min_size=260, max_size=700).map(lambda v: np.array(v, float) / 2)


def reference_top_p(z, p):
    """The textbook rule, written plainly: stable sort, accumulate, stop once p is reached."""
    q = np.exp(z - z.max())
    q /= q.sum()
    keep = np.zeros(len(z), bool)
    total = 0.0
    for i in sorted(range(len(z)), key=lambda i: (-z[i], i)):
        keep[i] = True
        total += q[i]
        if total >= p * (1 - 1e-12):
            break
    return keep


@settings(max_examples=examples(80), deadline=None)
@given(z=st.lists(st.integers(-4, 4), min_size=1, max_size=40).map(lambda v: np.array(v, float)),
       p=st.floats(0.01, 0.999))
def test_top_p_matches_the_textbook_rule(z, p):
    np.testing.assert_array_equal(np.isfinite(filter_top_p(z, p)), reference_top_p(z, p))


@settings(max_examples=examples(40), deadline=None)
@given(z=logit_rows, p=st.floats(0.01, 0.999))
def test_top_p_on_long_rows_with_many_ties_matches_the_textbook_rule(z, p):
    # Integer-valued logits make many ties; a batch of two rows is filtered row by row.
    np.testing.assert_array_equal(np.isfinite(filter_top_p(z, p)), reference_top_p(z, p))
    batch = np.stack([z, z[::-1]])
    np.testing.assert_array_equal(np.isfinite(filter_top_p(batch, p)),
                                  [reference_top_p(z, p), reference_top_p(z[::-1], p)])


# --------------------------------------------------------------------------------------------
# top-k and min-p rules
# --------------------------------------------------------------------------------------------

def test_top_k_ties_at_the_kth_place_go_to_the_lower_index():
    z = np.array([1.0, 3.0, 2.0, 2.0, 2.0])
    np.testing.assert_array_equal(np.isfinite(filter_top_k(z, 2)), [False, True, True, False, False])
    np.testing.assert_array_equal(np.isfinite(filter_top_k(z, 3)), [False, True, True, True, False])


@settings(max_examples=examples(80), deadline=None)
@given(z=st.lists(st.integers(-3, 3), min_size=1, max_size=30).map(lambda v: np.array(v, float)),
       k=st.integers(1, 35))
def test_top_k_matches_a_stable_sort(z, k):
    expected = np.zeros(len(z), bool)
    expected[np.argsort(-z, kind="stable")[:k]] = True
    np.testing.assert_array_equal(np.isfinite(filter_top_k(z, k)), expected)


@pytest.mark.parametrize("k", [4, 5, 100])
def test_top_k_at_or_above_the_vocabulary_keeps_everything(k):
    z = np.array([0.0, -40.0, 2.0, -np.inf])
    np.testing.assert_array_equal(filter_top_k(z, k), z)
    np.testing.assert_allclose(sampling_distribution(z, top_k=k), softmax(z))


def test_top_k_with_more_k_than_unmasked_tokens_keeps_the_unmasked_ones():
    z = np.array([-np.inf, 1.0, -np.inf, 0.0])
    np.testing.assert_array_equal(filter_top_k(z, 3), z)


@pytest.mark.parametrize("top, at, min_p", [(0.4, 0.2, 0.5), (0.6, 0.3, 0.5), (0.4, 0.16, 0.4), (0.5, 0.3, 0.6)])
def test_min_p_keeps_a_token_exactly_at_the_threshold(top, at, min_p):
    # `at` is exactly min_p * top; in floating point the ratio can come out a hair below
    # min_p (0.3 / 0.6 gives 0.49999999999999994), and the token must still be kept.
    rest = 1.0 - top - at
    z = np.log([top, at, rest * 0.5, rest * 0.5])
    z[2:] = np.log(min(rest * 0.5, top * min_p * 0.9))  # below the threshold: removed
    kept = np.isfinite(filter_min_p(z, min_p))
    np.testing.assert_array_equal(kept, [True, True, False, False])


def test_min_p_limits():
    z = np.array([1.0, 3.0, 3.0, -5.0])
    np.testing.assert_array_equal(filter_min_p(z, 0.0), z)  # 0 keeps everything
    np.testing.assert_array_equal(np.isfinite(filter_min_p(z, 1.0)), [False, True, True, False])


def test_min_p_adapts_to_confidence():
    # The same min_p keeps one token of a confident row and every token of a flat one.
    confident = np.array([10.0, 0.0, 0.0, 0.0])
    flat = np.array([0.1, 0.0, 0.0, 0.0])
    out = filter_min_p(np.stack([confident, flat]), 0.1)
    np.testing.assert_array_equal(np.isfinite(out).sum(axis=-1), [1, 4])


# --------------------------------------------------------------------------------------------
# greedy
# --------------------------------------------------------------------------------------------

def test_temperature_zero_is_the_argmax_for_every_row_and_seed():
    z = np.random.default_rng(0).normal(size=(500, 30))
    for seed in range(3):
        np.testing.assert_array_equal(sample(z, temperature=0, rng=seed), np.argmax(z, axis=-1))


def test_temperature_zero_breaks_ties_by_the_lowest_index():
    # A sampler that fakes greedy with a tiny temperature would pick among the tied at random.
    z = np.tile([1.0, 3.0, 0.0, 3.0, 3.0], (1000, 1))
    np.testing.assert_array_equal(sample(z, temperature=0, rng=0), np.full(1000, 1))
    np.testing.assert_array_equal(sampling_distribution(z[0], temperature=0), [0, 1, 0, 0, 0])


def test_top_k_of_one_equals_greedy_even_with_ties():
    z = np.random.default_rng(1).integers(-2, 3, size=(400, 8)).astype(float)  # many ties
    np.testing.assert_array_equal(sample(z, top_k=1, rng=5), sample(z, temperature=0))
    np.testing.assert_array_equal(sample(z, top_k=1, rng=5), np.argmax(z, axis=-1))


def test_greedy_ignores_filters_but_still_checks_them():
    z = np.array([0.0, 2.0, 1.0])
    assert sample(z, temperature=0, top_k=2, top_p=0.1, min_p=0.9) == 1
    with pytest.raises(ValueError, match="top_p"):
        sample(z, temperature=0, top_p=2.0)


def test_tiny_temperature_approaches_greedy_without_warnings(no_warnings):
    z = np.array([1.0, 1.0 + 1e-6, 0.0], dtype=np.float32)
    for t in [1e-3, 1e-30, 1e-300]:
        probs = sampling_distribution(z, temperature=t)
        assert np.isfinite(probs).all()
        assert probs[1] > 0.99 or t == 1e-3


# --------------------------------------------------------------------------------------------
# masks, shapes, dtypes, extremes
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "settings_",
    [{}, {"temperature": 3.0}, {"top_k": 3}, {"top_p": 0.9}, {"min_p": 0.01}, {"top_p": 1.0}],
)
def test_masked_tokens_are_never_drawn(settings_):
    z = np.array([-np.inf, 0.0, -np.inf, 0.5, 0.2, -np.inf])  # a mask at the very first index too
    indices = draws(z, n=5000, **settings_)
    assert set(np.unique(indices)) == {1, 3, 4}
    assert np.all(sampling_distribution(z, **settings_)[[0, 2, 5]] == 0)


def test_a_single_unmasked_token_is_always_drawn():
    z = np.array([-np.inf, -np.inf, 7.0, -np.inf])
    assert set(np.unique(draws(z, n=500, temperature=10.0))) == {2}


class FixedUniform:
    """Stands in for a Generator: ``random(n)`` returns the given numbers, one per row."""

    def __init__(self, *values):
        self.values = np.array(values, dtype=np.float64)

    def random(self, size):
        return np.broadcast_to(self.values, (size,)).copy()


def test_the_draw_never_steps_past_the_last_possible_token():
    # u * total can round up to the total: the count of cumulative values <= u would then be
    # past every token with probability; it must land on the last one that has probability.
    np.testing.assert_array_equal(sampling._draw(np.array([[0.5, 0.5, 0.0, 0.0]]), FixedUniform(1.0)), [1])
    probs = np.zeros((1, 700))
    probs[0, [10, 300]] = 0.5  # blocks 0 and 1 hold the mass, block 2 is empty
    np.testing.assert_array_equal(sampling._draw(probs, FixedUniform(1.0)), [300])


def test_the_draw_at_a_block_boundary():
    # Tokens 255 and 256 sit on either side of the first block boundary (blocks of 256).
    probs = np.zeros((1, 600))
    probs[0, [255, 256]] = 0.5
    assert sampling._draw(probs, FixedUniform(0.4999)).tolist() == [255]
    assert sampling._draw(probs, FixedUniform(0.5)).tolist() == [256]  # c_255 = 0.5 is not > u
    assert sampling._draw(probs, FixedUniform(0.0)).tolist() == [255]  # zeros before are skipped


def test_the_two_level_draw_equals_one_cumulative_sum():
    # The rule in one line: the first index whose cumulative probability exceeds u.
    rng = np.random.default_rng(11)
    probs = rng.random(1000) * (rng.random(1000) < 0.3)  # 70 % zeros, whole empty stretches
    probs[300:700] = 0.0
    probs /= probs.sum()
    u = rng.random(3000)
    expected = np.searchsorted(np.cumsum(probs), u, side="right")
    got = sampling._draw(np.broadcast_to(probs, (3000, 1000)), FixedUniform(*u))
    np.testing.assert_array_equal(got, expected)


def test_batched_shapes_and_return_types():
    z = np.random.default_rng(3).normal(size=(2, 3, 10))
    for settings_ in [{}, {"temperature": 0}, {"top_k": 4}, {"top_p": 0.7}, {"min_p": 0.2}]:
        out = sample(z, rng=0, **settings_)
        assert out.shape == (2, 3) and out.dtype.kind == "i"
        assert sampling_distribution(z, **settings_).shape == z.shape
    one = sample(z[0, 0], rng=0)
    assert type(one) is int and 0 <= one < 10


@pytest.mark.parametrize("name, fn, arg", [("top_k", filter_top_k, 3), ("top_p", filter_top_p, 0.6),
                                           ("min_p", filter_min_p, 0.3)])
def test_filters_on_a_batch_equal_filters_on_each_row(name, fn, arg):
    z = np.random.default_rng(4).normal(size=(3, 4, 300)) * 2  # 300 > 256: the per-row top-p path
    out = fn(z, arg)
    assert out.shape == z.shape
    for idx in np.ndindex(3, 4):
        np.testing.assert_array_equal(out[idx], fn(z[idx], arg), err_msg=name)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("fn, arg", [(filter_top_k, 2), (filter_top_p, 0.5), (filter_min_p, 0.5)])
def test_filters_keep_dtype_and_values_and_do_not_touch_the_input(dtype, fn, arg):
    z = np.array([[1.0, 3.0, 2.0, -np.inf], [0.5, 0.0, 4.0, 3.9]], dtype=dtype)
    before = z.copy()
    out = fn(z, arg)
    assert out.dtype == dtype and out.shape == z.shape
    assert out is not z
    np.testing.assert_array_equal(z, before)
    kept = np.isfinite(out)
    np.testing.assert_array_equal(out[kept], z[kept])  # survivors are unchanged
    assert np.all(np.isneginf(out[~kept]))


def test_filters_turn_integer_logits_into_float64():
    out = filter_top_k([3, 1, 2], 1)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [3.0, -np.inf, -np.inf])


@pytest.mark.parametrize("dtype", FLOATS)
def test_sampling_distribution_keeps_dtype_and_sums_to_one(dtype):
    z = np.random.default_rng(5).normal(size=(4, 50)).astype(dtype)
    for settings_ in [{}, {"temperature": 0.3, "top_p": 0.8}, {"top_k": 5, "min_p": 0.1}]:
        probs = sampling_distribution(z, **settings_)
        assert probs.dtype == dtype
        np.testing.assert_allclose(probs.astype(np.float64).sum(axis=-1), 1.0, rtol=2e-3)


@pytest.mark.parametrize("dtype", FLOATS)
def test_extreme_logits_give_no_nan_and_no_warning(dtype, no_warnings):
    big = float(np.finfo(dtype).max)
    z = np.array([big, -big, big / 2, 0.0, -np.inf], dtype=dtype)
    for settings_ in [{}, {"temperature": 1e-4}, {"temperature": 1e4}, {"top_p": 0.9},
                      {"min_p": 0.5, "top_k": 2}]:
        probs = sampling_distribution(z, **settings_)
        assert np.isfinite(probs).all()
        assert sample(z, rng=0, **settings_) == 0 or settings_.get("temperature") == 1e4
        assert np.isfinite(filter_top_p(z, 0.5)).sum() == 1


def test_huge_temperature_is_uniform_over_the_unmasked_tokens():
    z = np.array([5.0, -5.0, 0.0, -np.inf])
    np.testing.assert_allclose(sampling_distribution(z, temperature=1e300), [1 / 3, 1 / 3, 1 / 3, 0])


# --------------------------------------------------------------------------------------------
# reproducibility
# --------------------------------------------------------------------------------------------

def test_same_seed_same_draws_and_another_seed_other_draws():
    z = np.zeros((200, 10))  # uniform: two seeds agreeing by chance has probability 1e-200
    np.testing.assert_array_equal(sample(z, rng=7), sample(z, rng=7))
    np.testing.assert_array_equal(sample(z, rng=np.random.default_rng(7)), sample(z, rng=7))
    assert not np.array_equal(sample(z, rng=7), sample(z, rng=8))


def test_a_generator_advances_between_calls():
    rng = np.random.default_rng(0)
    z = np.zeros((200, 10))
    assert not np.array_equal(sample(z, rng=rng), sample(z, rng=rng))


def test_no_rng_gives_fresh_randomness():
    z = np.zeros((200, 10))
    assert not np.array_equal(sample(z), sample(z))


# --------------------------------------------------------------------------------------------
# invalid arguments: clear errors that name the argument
# --------------------------------------------------------------------------------------------

Z = np.array([1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        ({"top_k": 0}, ValueError, r"top_k must be an integer >= 1"),
        ({"top_k": -2}, ValueError, r"top_k must be an integer >= 1"),
        ({"top_k": 2.0}, TypeError, r"top_k must be an integer"),
        ({"top_k": 2.5}, TypeError, r"top_k must be an integer"),
        ({"top_k": True}, TypeError, r"top_k must be an integer"),
        ({"top_k": "3"}, TypeError, r"top_k must be an integer"),
        ({"top_p": 0.0}, ValueError, r"top_p must be a number in \(0, 1\], got 0.0"),
        ({"top_p": 1.5}, ValueError, r"top_p must be a number in \(0, 1\]"),
        ({"top_p": -0.1}, ValueError, r"top_p must be a number in \(0, 1\]"),
        ({"top_p": float("nan")}, ValueError, r"top_p must be a number in \(0, 1\]"),
        ({"top_p": "0.9"}, TypeError, r"top_p must be a number"),
        ({"min_p": -0.01}, ValueError, r"min_p must be a number in \[0, 1\]"),
        ({"min_p": 1.01}, ValueError, r"min_p must be a number in \[0, 1\]"),
        ({"min_p": float("nan")}, ValueError, r"min_p must be a number in \[0, 1\]"),
        ({"min_p": [0.1]}, TypeError, r"min_p must be a number"),
        ({"temperature": -0.5}, ValueError, r"temperature must be a finite number >= 0"),
        ({"temperature": float("inf")}, ValueError, r"temperature must be a finite number >= 0"),
        ({"temperature": float("nan")}, ValueError, r"temperature must be a finite number >= 0"),
        ({"temperature": None}, TypeError, r"temperature must be a finite number >= 0"),
        ({"temperature": "hot"}, TypeError, r"temperature must be a finite number >= 0"),
        ({"rng": "42"}, TypeError, r"rng must be a numpy.random.Generator, an int seed or None"),
        ({"rng": 4.2}, TypeError, r"rng must be a numpy.random.Generator"),
        ({"rng": np.random.RandomState(0)}, TypeError, r"rng must be a numpy.random.Generator.*RandomState"),
        ({"rng": -1}, ValueError, r"rng as an int seed must be >= 0"),
    ],
)
def test_sample_refuses_bad_arguments_by_name(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        sample(Z, **kwargs)
    if "rng" not in kwargs:
        with pytest.raises(error, match=pattern):
            sampling_distribution(Z, **kwargs)


@pytest.mark.parametrize(
    "logits, pattern",
    [
        ([1.0, np.nan, 0.0], "logits contains NaN"),
        ([1.0, np.inf, 0.0], r"logits contains \+inf"),
        ([[0.0, 1.0], [-np.inf, -np.inf]], "every entry is masked"),
        (np.zeros((2, 0)), "empty class axis"),
        (3.0, "at least one dimension"),
    ],
)
@pytest.mark.parametrize("call", [
    lambda z: sample(z, rng=0), sampling_distribution,
    lambda z: filter_top_k(z, 1), lambda z: filter_top_p(z, 0.5), lambda z: filter_min_p(z, 0.5),
])
def test_bad_logits_are_refused_everywhere(logits, pattern, call):
    with pytest.raises(ValueError, match=pattern):
        call(logits)


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (lambda: filter_top_k(Z, 0), ValueError, r"^k must be an integer >= 1"),
        (lambda: filter_top_k(Z, 1.0), TypeError, r"^k must be an integer"),
        (lambda: filter_top_p(Z, 0), ValueError, r"^p must be a number in \(0, 1\]"),
        (lambda: filter_top_p(Z, 2), ValueError, r"^p must be a number in \(0, 1\]"),
        (lambda: filter_min_p(Z, 2), ValueError, r"^min_p must be a number in \[0, 1\]"),
        (lambda: filter_min_p(Z, None), TypeError, r"^min_p must be a number"),
        (lambda: filter_top_k([True, False], 1), TypeError, "logits must contain numbers"),
    ],
)
def test_filters_refuse_bad_arguments_by_name(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_numpy_integer_arguments_are_accepted():
    assert sample(Z, top_k=np.int64(1), rng=np.int64(3)) == 2
    assert sample(Z, temperature=np.float32(0.0)) == 2
