"""Tests for softmax_lab.attention (and the variants it re-exports).

References: scipy.special (softmax, logsumexp) and a plain numpy transcription of the formula.
Property tests (hypothesis) cover: online log-sum-exp == two-pass, tiled == reference attention
for random shapes and block sizes (causal or not), masked weights exactly 0 and rows summing to 1.
RuntimeWarnings are errors (pyproject), so every extreme-input test also checks "no warning".
"""

import math

import numpy as np
import pytest
from fast_loop import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special

from softmax_lab import logsumexp
from softmax_lab.attention import (
    attention_entropy,
    causal_mask,
    online_logsumexp,
    rms_normalize,
    scaled_dot_product_attention,
    soft_cap,
    softmax_one,
    tiled_attention,
    tiled_attention_steps,
)

FAST = settings(max_examples=examples(60), deadline=None)


def reference(q, k, v, mask=None, scale=None):
    """The formula, transcribed plainly (float64, scipy's softmax)."""
    d = q.shape[-1]
    s = (q @ np.swapaxes(k, -1, -2)) * (1 / math.sqrt(d) if scale is None else scale)
    if mask is not None:
        s = np.where(mask, s, -np.inf) if np.asarray(mask).dtype == bool else s + mask
    w = special.softmax(s, axis=-1)
    return w @ v, w


def qkv(seed=0, batch=(), n_q=5, n_k=7, d=4, d_v=3, sd=1.0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=batch + (n_q, d)) * sd, rng.normal(size=batch + (n_k, d)) * sd,
            rng.normal(size=batch + (n_k, d_v)))


# --- scaled_dot_product_attention ----------------------------------------------------------

def test_matches_the_formula_with_batch_and_heads():
    q, k, v = qkv(batch=(2, 3))
    out, w = scaled_dot_product_attention(q, k, v)
    ref_out, ref_w = reference(q, k, v)
    assert out.shape == (2, 3, 5, 3) and w.shape == (2, 3, 5, 7)
    np.testing.assert_allclose(w, ref_w, rtol=1e-13)
    np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-14)


def test_default_scale_is_one_over_sqrt_d():
    q, k, v = qkv(d=16)
    _, w = scaled_dot_product_attention(q, k, v)
    _, w_quarter = scaled_dot_product_attention(q, k, v, scale=0.25)
    _, w_one = scaled_dot_product_attention(q, k, v, scale=1.0)
    np.testing.assert_allclose(w, w_quarter, rtol=1e-14)
    assert not np.allclose(w, w_one)        # a missing scale changes the weights


def test_batch_dimensions_broadcast_keys_shared_by_heads():
    rng = np.random.default_rng(3)
    q = rng.normal(size=(4, 5, 8))          # 4 heads
    k, v = rng.normal(size=(6, 8)), rng.normal(size=(6, 2))
    out, w = scaled_dot_product_attention(q, k, v)
    for h in range(4):
        np.testing.assert_allclose(out[h], reference(q[h], k, v)[0], rtol=1e-12)


def test_weights_and_output_keep_the_dtype():
    q, k, v = qkv()
    for dt in (np.float16, np.float32, np.float64):
        out, w = scaled_dot_product_attention(q.astype(dt), k.astype(dt), v.astype(dt))
        assert out.dtype == dt and w.dtype == dt
    out, w = scaled_dot_product_attention(q.astype(np.float32), k, v)     # mixed: the wider one
    assert out.dtype == np.float64
    out, w = scaled_dot_product_attention([[1, 0]], [[1, 0], [0, 1]], [[1], [2]])   # integers
    assert out.dtype == np.float64


def test_boolean_and_additive_masks_agree_and_zero_the_masked_weights():
    q, k, v = qkv(n_q=4, n_k=4)
    allowed = np.tril(np.ones((4, 4), bool))
    out_b, w_b = scaled_dot_product_attention(q, k, v, mask=allowed)
    out_a, w_a = scaled_dot_product_attention(q, k, v, mask=causal_mask(4))
    np.testing.assert_array_equal(w_b, w_a)
    assert np.all(w_b[~allowed] == 0.0)
    np.testing.assert_allclose(w_b.sum(axis=-1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(out_b, reference(q, k, v, mask=allowed)[0], rtol=1e-12)


def test_mask_broadcasts_over_queries():
    q, k, v = qkv(batch=(2,))
    key_padding = np.array([True] * 5 + [False] * 2)     # the last two keys are padding
    _, w = scaled_dot_product_attention(q, k, v, mask=key_padding)
    assert np.all(w[..., 5:] == 0) and np.allclose(w.sum(-1), 1)


@st.composite
def attention_inputs(draw, causal=None, with_mask=False):
    batch = draw(st.sampled_from([(), (1,), (2,), (2, 3)]))
    n_k = draw(st.integers(1, 9))
    n_q = draw(st.integers(1, n_k))
    d, d_v = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    sd = draw(st.sampled_from([0.1, 1.0, 10.0, 100.0]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    q = rng.normal(size=batch + (n_q, d)) * sd
    k = rng.normal(size=batch + (n_k, d)) * sd
    v = rng.normal(size=batch + (n_k, d_v))
    mask = None
    if with_mask:
        mask = rng.random(batch + (n_q, n_k)) < 0.5
        mask[..., rng.integers(n_k)] = True          # every row keeps at least one key
    return q, k, v, mask


@FAST
@given(attention_inputs(with_mask=True))
def test_property_masked_weights_are_exactly_zero_and_rows_sum_to_one(inputs):
    q, k, v, mask = inputs
    out, w = scaled_dot_product_attention(q, k, v, mask=mask)
    assert np.all(w[~mask] == 0.0)
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=1e-14)
    assert np.all(np.isfinite(out))


def test_causal_weights_above_the_diagonal_are_exactly_zero():
    q, k, v = qkv(n_q=6, n_k=6, sd=30.0)
    _, w = scaled_dot_product_attention(q, k, v, mask=causal_mask(6))
    assert np.all(w[np.triu_indices(6, 1)] == 0.0)
    assert w[0, 0] == 1.0                    # the first token can only see itself
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-15)


def test_fully_masked_row_is_refused_naming_mask():
    q, k, v = qkv(n_q=2, n_k=3)
    mask = np.array([[True, False, False], [False, False, False]])
    with pytest.raises(ValueError, match=r"mask leaves query \(1,\)"):
        scaled_dot_product_attention(q, k, v, mask=mask)
    with pytest.raises(ValueError, match="mask leaves"):
        scaled_dot_product_attention(q, k, v, mask=np.full((2, 3), -np.inf))


@pytest.mark.parametrize("mask, match", [
    (np.array([0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]), "only 0"),
    (np.full((5, 7), np.nan), "only 0"),
    (np.ones((4, 7), bool), "does not broadcast"),
    (np.ones((2, 5, 7), bool), "does not broadcast"),      # would add a batch axis
    (np.array([["a"] * 7] * 5), "dtype"),
])
def test_bad_masks_are_refused(mask, match):
    q, k, v = qkv()
    with pytest.raises((ValueError, TypeError), match=match):
        scaled_dot_product_attention(q, k, v, mask=mask)


def test_masked_array_mask_is_refused():
    q, k, v = qkv()
    with pytest.raises(TypeError, match="mask is a numpy masked array"):
        scaled_dot_product_attention(q, k, v, mask=np.ma.masked_array(np.ones((5, 7), bool)))


@pytest.mark.parametrize("change, exc, match", [
    (dict(q=np.ones(4)), ValueError, r"q must have shape \(\.\.\., n_q, d\)"),
    (dict(k=np.ones((7, 5))), ValueError, "k must have the same feature size d as q"),
    (dict(v=np.ones((6, 3))), ValueError, "v must have one row per key"),
    (dict(k=np.ones((0, 4)), v=np.ones((0, 3))), ValueError, "k must hold at least one key"),
    (dict(q=np.ones((5, 0)), k=np.ones((7, 0))), ValueError, "q must have at least one feature"),
    (dict(q=np.ones((3, 5, 4)), k=np.ones((2, 7, 4))), ValueError, "batch dimensions"),
    (dict(q=np.full((5, 4), np.nan)), ValueError, "q must be finite"),
    (dict(k=np.full((7, 4), -np.inf)), ValueError, "k must be finite"),
    (dict(v=np.full((7, 3), np.inf)), ValueError, "v must be finite"),
    (dict(q=np.ones((5, 4), bool)), TypeError, "q must contain numbers"),
    (dict(v=np.ones((7, 3), complex)), TypeError, "v must contain real numbers"),
    (dict(q=[[1.0, 2.0], [3.0]]), ValueError, "q must be a rectangular array"),
    (dict(k=np.ma.masked_array(np.ones((7, 4)))), TypeError, "k must be a plain array"),
    (dict(scale=0.0), ValueError, "scale must be a finite number > 0"),
    (dict(scale=-1.0), ValueError, "scale must be"),
    (dict(scale=float("nan")), ValueError, "scale must be"),
    (dict(scale=10**400), ValueError, "scale must be"),
    (dict(scale=True), TypeError, "scale must be"),
    (dict(scale="1"), TypeError, "scale must be"),
])
def test_bad_inputs_are_refused_naming_the_argument(change, exc, match):
    q, k, v = qkv()
    args = dict(q=q, k=k, v=v)
    args.update(change)
    with pytest.raises(exc, match=match):
        scaled_dot_product_attention(**args)


@pytest.mark.parametrize("size", [1e20, 1e150, 1e200, 1e300])
def test_huge_scores_give_the_hard_maximum_without_nan(size):
    q, k, v = qkv(seed=5)
    out, w = scaled_dot_product_attention(q * size, k, v)
    s = q @ k.T                              # the ordering of the scores does not depend on size
    np.testing.assert_array_equal(w, np.eye(7)[np.argmax(s, axis=-1)])
    np.testing.assert_array_equal(out, v[np.argmax(s, axis=-1)])


def test_scores_beyond_the_float_range_are_refused_naming_q_k_and_scale():
    # q and k times 2**530: q @ k.T (about 1e313) overflows float64; the supported range ends
    # where max|q| * max|k| * d * scale passes half the largest float (module docstring)
    q, k, v = qkv(seed=2, sd=1e-3)
    big_q, big_k = np.ldexp(q, 530), np.ldexp(k, 530)
    for call in (scaled_dot_product_attention, tiled_attention, tiled_attention_steps):
        with pytest.raises(ValueError, match=r"^q, k and scale give scores too large for float64"):
            call(big_q, big_k, v)
        with pytest.raises(ValueError, match=r"^q, k and scale"):
            call(q * 1e3, k * 1e3, v, scale=1e308)          # scores up to about 4e308
    with pytest.raises(ValueError, match=r"^q, k and scale give scores too large for float32"):
        scaled_dot_product_attention(np.float32(q * 1e22), np.float32(k * 1e22), np.float32(v))


def test_scores_at_the_edge_of_the_range_are_exact():
    # just inside the bound: the plain path gives the weights of the small inputs, exactly
    # (a power of two moved from q and k to the scale changes no rounding)
    q, k, v = qkv(seed=2, sd=1e-3)
    _, w_small = scaled_dot_product_attention(q, k, v, scale=2.0**19)
    big_q, big_k = np.ldexp(q, 500), np.ldexp(k, 500)
    _, w_big = scaled_dot_product_attention(big_q, big_k, v, scale=2.0**(19 - 1000))
    np.testing.assert_array_equal(w_big, w_small)
    assert w_small.std() > 0.05                  # the case is not trivially uniform or one-hot


def test_huge_scale_and_tiny_scale():
    q, k, v = qkv(seed=4)
    _, w = scaled_dot_product_attention(q, k, v, scale=1e300)
    np.testing.assert_array_equal(w, np.eye(7)[np.argmax(q @ k.T, axis=-1)])
    _, w = scaled_dot_product_attention(q, k, v, scale=1e-300)
    np.testing.assert_allclose(w, 1 / 7, rtol=1e-15)          # infinite temperature: uniform


def test_float16_and_float32_extremes_give_no_nan():
    q, k, v = qkv(seed=6)
    big16 = (q / np.abs(q).max() * 60000).astype(np.float16)
    key16 = (k / np.abs(k).max() * 60000).astype(np.float16)
    out, w = scaled_dot_product_attention(big16, key16, v.astype(np.float16))
    assert w.dtype == np.float16 and np.all(np.isfinite(w)) and np.all(np.isfinite(out))
    out, w = scaled_dot_product_attention((q * 1e18).astype(np.float32), (k * 1e18).astype(np.float32),
                                          v.astype(np.float32))   # scores up to about 1e37
    assert w.dtype == np.float32 and np.all(np.isfinite(w)) and np.allclose(w.sum(-1), 1)
    np.testing.assert_array_equal(w, np.eye(7)[np.argmax(q @ k.T, axis=-1)])


def test_huge_values_average_without_overflow():
    q, k, v = qkv(seed=7)
    top = np.finfo(np.float64).max / 8              # max|v| * n_k = 7/8 of the largest float
    big = v / np.abs(v).max() * top
    out, w = scaled_dot_product_attention(q, k, big)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, w @ (v / np.abs(v).max()) * top, rtol=1e-12)
    np.testing.assert_allclose(tiled_attention(q, k, big, block_size=2), out, rtol=1e-12)


def test_values_beyond_the_range_are_refused_naming_v():
    q, k, v = qkv(seed=7)
    big = v / np.abs(v).max() * np.finfo(np.float64).max       # max|v| * 7 keys overflows
    for call in (scaled_dot_product_attention, tiled_attention):
        with pytest.raises(ValueError, match=r"^v is too large to average over 7 keys"):
            call(q, k, big)


def test_empty_query_batch():
    q, k, v = qkv(n_q=1)
    out, w = scaled_dot_product_attention(q[:0], k, v)
    assert out.shape == (0, 3) and w.shape == (0, 7)


# --- causal_mask -------------------------------------------------------------------------------

def test_causal_mask_square_and_cache_alignment():
    m = causal_mask(4)
    assert m.shape == (4, 4) and m.dtype == np.float64
    np.testing.assert_array_equal(np.isneginf(m), np.triu(np.ones((4, 4), bool), 1))
    assert set(np.unique(m)) == {0.0, -np.inf}
    m = causal_mask(2, 5)                    # the queries are the last 2 of 5 positions
    np.testing.assert_array_equal(np.isneginf(m), [[False] * 4 + [True], [False] * 5])
    np.testing.assert_array_equal(causal_mask(1, 3), [[0.0, 0.0, 0.0]])


@pytest.mark.parametrize("args, exc, match", [
    ((3, 2), ValueError, "n_q must be <= n_k"),
    ((0,), ValueError, "n_q must be an integer >= 1"),
    ((2.0,), TypeError, "n_q must be an integer >= 1"),
    ((True,), TypeError, "n_q"),
    ((2, -1), ValueError, "n_k must be an integer >= 1"),
])
def test_causal_mask_refuses_bad_sizes(args, exc, match):
    with pytest.raises(exc, match=match):
        causal_mask(*args)


def test_causal_mask_accepts_numpy_integers():
    assert causal_mask(np.int64(2), np.int32(3)).shape == (2, 3)


# --- attention_entropy -------------------------------------------------------------------------

def test_entropy_uniform_one_hot_and_base():
    w = np.array([[0.25] * 4, [1.0, 0, 0, 0], [0.5, 0.5, 0, 0]])
    np.testing.assert_allclose(attention_entropy(w), [2.0, 0.0, 1.0], atol=1e-15)
    np.testing.assert_allclose(attention_entropy(w, base=math.e), [math.log(4), 0.0, math.log(2)])
    assert attention_entropy(w.astype(np.float32)).dtype == np.float32


def test_entropy_of_attention_weights_matches_scipy():
    q, k, v = qkv(batch=(3,))
    _, w = scaled_dot_product_attention(q, k, v)
    h = attention_entropy(w)
    assert h.shape == (3, 5)
    np.testing.assert_allclose(h, special.entr(w).sum(-1) / math.log(2), rtol=1e-13)


@pytest.mark.parametrize("weights, base, exc, match", [
    ([0.5, 0.6], 2, ValueError, "weights must be rows of attention weights"),
    ([-0.5, 1.5], 2, ValueError, "weights"),
    ([0.5, np.nan], 2, ValueError, "weights"),
    (0.5, 2, ValueError, "weights must have at least one dimension"),
    ([[True, False]], 2, TypeError, "weights must contain numbers"),
    ([0.5, 0.5], 1, ValueError, "base must be"),
    ([0.5, 0.5], 0, ValueError, "base must be"),
    ([0.5, 0.5], "2", TypeError, "base must be"),
])
def test_entropy_refuses_bad_input(weights, base, exc, match):
    with pytest.raises(exc, match=match):
        attention_entropy(weights, base=base)


# --- online_logsumexp ------------------------------------------------------------------------

def ulps_apart(a, b, x):
    """|a - b| in units of the spacing at the size of the inputs (the attainable accuracy)."""
    size = np.maximum(np.abs(b), np.max(np.abs(np.where(np.isfinite(x), x, 0)), axis=-1))
    return np.abs(a - b) / np.spacing(np.maximum(size, np.finfo(a.dtype).tiny))


@FAST
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=40),
                  elements=st.floats(-1e3, 1e3) | st.just(-np.inf)),
       st.integers(1, 50))
def test_property_online_equals_two_pass(x, block_size):
    finite_rows = np.isfinite(x).any(axis=-1)
    x = np.where(finite_rows[..., None], x, 0.0)          # an all -inf row is an error (tested)
    got = online_logsumexp(x, block_size=block_size)
    assert np.all(ulps_apart(got, special.logsumexp(x, axis=-1), x) <= 4)
    assert np.all(ulps_apart(got, logsumexp(x), x) <= 4)


def test_online_rescales_when_the_maximum_grows_block_after_block():
    x = np.arange(0.0, 200.0, 10.0)             # every block of 1 brings a new maximum
    for b in (1, 2, 3, 7):
        np.testing.assert_allclose(online_logsumexp(x, block_size=b), special.logsumexp(x), rtol=1e-15)
    np.testing.assert_allclose(online_logsumexp(x[::-1], block_size=1), special.logsumexp(x), rtol=1e-15)


def test_online_axis_dtype_and_masks():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 50, 4)) * 20
    np.testing.assert_allclose(online_logsumexp(x, axis=1, block_size=8), special.logsumexp(x, axis=1), rtol=1e-14)
    x32 = x.astype(np.float32)
    got = online_logsumexp(x32, axis=0, block_size=1)
    assert got.dtype == np.float32 and got.shape == (50, 4)
    np.testing.assert_allclose(got, special.logsumexp(x.astype(np.float32).astype(np.float64), axis=0), rtol=1e-6)
    assert online_logsumexp(np.float16([60000.0, 60000.0])).dtype == np.float16
    masked = np.array([[-np.inf, -np.inf, 1.0], [2.0, -np.inf, -np.inf]])
    np.testing.assert_array_equal(online_logsumexp(masked, block_size=1), [1.0, 2.0])


def test_online_is_accurate_near_zero():
    # issue 7's example: true value -0.0246105613...; m + log(s) gave -0.024610639 (42 ulps
    # off); m + log1p(t) is as close as float32 inputs of size 0.7 allow, as scipy's is
    x = np.float32([-0.7, -0.75, -5.0])
    got = online_logsumexp(x, block_size=1)
    assert abs(float(got) - -0.0246105613) <= np.spacing(np.float32(0.7))
    assert abs(got - special.logsumexp(x)) <= np.spacing(np.float32(0.0246))


def test_online_huge_values():
    assert float(online_logsumexp([1e308, 1e308])) == 1e308
    assert float(online_logsumexp([-1e308, 0.0])) == 0.0


@pytest.mark.parametrize("x, kwargs, exc, match", [
    ([-np.inf, -np.inf], {}, ValueError, "every entry is -inf"),
    ([1.0, np.nan], {}, ValueError, "x contains NaN"),
    ([1.0, np.inf], {}, ValueError, r"x contains \+inf"),
    (np.zeros((2, 0)), {}, ValueError, "x has an empty axis"),
    (1.0, {}, ValueError, "x must have at least one dimension"),
    ([1.0], dict(axis=1), ValueError, "axis 1 is out of range"),
    ([1.0], dict(axis=0.0), TypeError, "axis must be an integer"),
    ([1.0], dict(block_size=0), ValueError, "block_size must be an integer >= 1"),
    ([1.0], dict(block_size=2.5), TypeError, "block_size"),
    (["a"], {}, TypeError, "x must contain real numbers"),
])
def test_online_refuses_bad_input(x, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        online_logsumexp(x, **kwargs)


# --- tiled_attention -------------------------------------------------------------------------

@FAST
@given(attention_inputs(), st.integers(1, 10), st.booleans())
def test_property_tiled_equals_the_reference(inputs, block_size, causal):
    q, k, v, _ = inputs
    mask = causal_mask(q.shape[-2], k.shape[-2]) if causal else None
    ref, _ = scaled_dot_product_attention(q, k, v, mask=mask)
    got = tiled_attention(q, k, v, block_size=block_size, causal=causal)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)


def test_tiled_large_and_float32():
    q, k, v = qkv(n_q=100, n_k=130, d=16, d_v=8, batch=(2,))
    ref, _ = scaled_dot_product_attention(q, k, v, mask=causal_mask(100, 130))
    np.testing.assert_allclose(tiled_attention(q, k, v, block_size=32, causal=True), ref, rtol=0, atol=1e-12)
    got32 = tiled_attention(q.astype(np.float32), k.astype(np.float32), v.astype(np.float32), block_size=17)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, scaled_dot_product_attention(q, k, v)[0], atol=1e-5)


def test_tiled_huge_scores_scale_and_values():
    q, k, v = qkv(seed=9)
    for args in [dict(q=q * 1e200), dict(scale=1e300), dict(v=v / np.abs(v).max() * 2e307)]:
        inputs = dict(q=q, k=k, v=v)
        inputs.update({key: val for key, val in args.items() if key != "scale"})
        scale = args.get("scale")
        ref, _ = scaled_dot_product_attention(**inputs, scale=scale, mask=causal_mask(5, 7))
        got = tiled_attention(**inputs, block_size=2, causal=True, scale=scale)
        assert np.all(np.isfinite(got))
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=0)


def test_tiled_steps_show_the_running_state():
    q, k, v = qkv(n_q=3, n_k=10)
    steps = list(tiled_attention_steps(q, k, v, block_size=4))
    assert [s.keys for s in steps] == [(0, 4), (4, 8), (8, 10)] and [s.block for s in steps] == [0, 1, 2]
    scores = q @ k.T / 2.0
    for s in steps:
        seen = scores[:, :s.keys[1]]
        np.testing.assert_allclose(s.m[:, 0], seen.max(-1), rtol=1e-15)            # running maximum
        np.testing.assert_allclose(s.ell[:, 0], np.exp(seen - seen.max(-1, keepdims=True)).sum(-1), rtol=1e-14)
        partial, _ = scaled_dot_product_attention(q, k[:s.keys[1]], v[:s.keys[1]])
        np.testing.assert_allclose(s.output, partial, atol=1e-14)                 # attention so far
    ref, _ = scaled_dot_product_attention(q, k, v)
    np.testing.assert_allclose(steps[-1].output, ref, atol=1e-14)


def test_tiled_steps_check_at_the_call():
    with pytest.raises(ValueError, match="block_size"):
        tiled_attention_steps(*qkv(), block_size=0)     # no need to iterate to see the error


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(block_size=0), ValueError, "block_size must be an integer >= 1"),
    (dict(block_size=1.5), TypeError, "block_size"),
    (dict(causal="yes"), TypeError, "causal must be True or False"),
    (dict(scale=-2.0), ValueError, "scale must be"),
])
def test_tiled_refuses_bad_options(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        tiled_attention(*qkv(), **kwargs)


def test_tiled_causal_needs_n_q_at_most_n_k():
    q, k, v = qkv(n_q=8, n_k=7)
    with pytest.raises(ValueError, match="n_q <= n_k"):
        tiled_attention(q, k, v, causal=True)


# --- soft_cap, rms_normalize, softmax_one ----------------------------------------------------

def test_soft_cap_bounds_keeps_small_scores_and_masks():
    s = np.array([-1e300, -100.0, -0.01, 0.0, 0.01, 100.0, 1e300, -np.inf])
    c = soft_cap(s, 30.0)
    assert np.all(np.abs(c[:-1]) <= 30.0) and np.isneginf(c[-1])
    np.testing.assert_allclose(c[2:5], s[2:5], rtol=1e-6)
    np.testing.assert_allclose(c[:-1], 30 * np.tanh(s[:-1] / 30))
    assert soft_cap(np.float16([60000.0]), 50.0).dtype == np.float16


@pytest.mark.parametrize("args, exc, match", [
    (([1.0], 0.0), ValueError, "cap must be"),
    (([1.0], float("inf")), ValueError, "cap must be"),
    (([np.nan], 1.0), ValueError, "scores contains NaN"),
    (([np.inf], 1.0), ValueError, r"scores contains \+inf"),
])
def test_soft_cap_refuses_bad_input(args, exc, match):
    with pytest.raises(exc, match=match):
        soft_cap(*args)


def test_rms_normalize_unit_rms_scale_invariance_and_zero():
    x = np.random.default_rng(0).normal(size=(5, 8))
    y = rms_normalize(x, eps=0.0)
    np.testing.assert_allclose(np.sqrt(np.mean(y**2, axis=-1)), 1.0, rtol=1e-14)
    np.testing.assert_allclose(rms_normalize(x * 1e250, eps=0.0), y, rtol=1e-14)
    np.testing.assert_array_equal(rms_normalize(np.zeros((2, 3))), 0.0)
    assert rms_normalize(np.float16([[60000.0, 60000.0]])).dtype == np.float16
    with pytest.raises(ValueError, match="eps must be"):
        rms_normalize(x, eps=-1.0)
    with pytest.raises(ValueError, match="x must be finite"):
        rms_normalize([[np.inf, 1.0]])


@FAST
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=6),
                  elements=st.floats(-700, 700)), st.floats(-50, 50))
def test_property_softmax_one_is_a_softmax_with_an_extra_key(scores, sink):
    got = softmax_one(scores, sink=sink)
    padded = np.concatenate([scores, np.full(scores.shape[:-1] + (1,), sink)], axis=-1)
    np.testing.assert_allclose(got, special.softmax(padded, axis=-1)[..., :-1], rtol=1e-12, atol=1e-300)
    assert np.all(got.sum(-1) < 1.0 + 1e-15)


def test_softmax_one_can_attend_to_nothing():
    np.testing.assert_array_equal(softmax_one([-np.inf, -np.inf]), [0.0, 0.0])
    assert softmax_one([-30.0, -30.0]).sum() < 1e-12
    np.testing.assert_allclose(softmax_one([0.0, 0.0]), [1 / 3, 1 / 3])
    np.testing.assert_allclose(softmax_one([[1e308, 0.0]]), [[1.0, 0.0]])
    assert softmax_one(np.float16([60000.0, 0.0])).dtype == np.float16
    with pytest.raises(ValueError, match="sink must be"):
        softmax_one([1.0], sink=float("inf"))
