"""Tests for softmax_lab.exercises.attention: the right answers pass, and each typical wrong
answer fails with its own hint (lesson 08)."""

import math

import numpy as np
import pytest

from softmax_lab import softmax
from softmax_lab.exercises import check_attention, check_entropy_prediction
from softmax_lab.exercises._machinery import MAX_SHIFT_HINT, ROW_MAX_HINT
from softmax_lab.exercises.attention import HINTS, mean_row_entropy


def kt(k):
    return np.swapaxes(k, -1, -2)


def right(q, k, v, mask):
    scores = q @ kt(k) / np.sqrt(q.shape[-1])
    return softmax(np.where(mask, scores, -np.inf), axis=-1) @ v


def right_by_hand(q, k, v, mask):
    """Without softmax_lab: max shift per row, then normalise."""
    scores = np.matmul(q, kt(k)) / math.sqrt(k.shape[-1])
    scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)) @ v


def right_with_einsum(q, k, v, mask):
    scores = np.einsum("...id,...jd->...ij", q, k) * q.shape[-1] ** -0.5
    scores = scores + np.where(mask, 0.0, -np.inf)
    return np.einsum("...ij,...jd->...id", softmax(scores), v)


@pytest.mark.parametrize("fn", [right, right_by_hand, right_with_einsum])
def test_right_answers_pass(fn, capsys):
    result = check_attention(fn)
    assert result.passed, str(result)
    assert "cases passed" in capsys.readouterr().out


def _scores(q, k, scale=None):
    return q @ kt(k) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale)


def _finish(scores, v, mask, fill=-np.inf, axis=-1):
    return softmax(np.where(mask, scores, fill), axis=axis) @ v


def no_scale(q, k, v, mask):
    return _finish(_scores(q, k, 1.0), v, mask)


def scale_by_d(q, k, v, mask):
    return _finish(_scores(q, k, 1 / q.shape[-1]), v, mask)


def times_sqrt_d(q, k, v, mask):
    return _finish(_scores(q, k, np.sqrt(q.shape[-1])), v, mask)


def d_from_n_queries(q, k, v, mask):
    return _finish(_scores(q, k, 1 / np.sqrt(q.shape[-2])), v, mask)


def d_from_first_axis(q, k, v, mask):
    return _finish(_scores(q, k, 1 / np.sqrt(q.shape[0])), v, mask)


def mask_after_softmax(q, k, v, mask):
    return (softmax(_scores(q, k)) * mask) @ v


def mask_with_zero(q, k, v, mask):
    return _finish(_scores(q, k), v, mask, fill=0.0)


def mask_by_multiplying(q, k, v, mask):
    return softmax(_scores(q, k) * mask) @ v


def mask_with_minus_1e9(q, k, v, mask):
    return _finish(_scores(q, k), v, mask, fill=-1e9)


def mask_ignored(q, k, v, mask):
    return softmax(_scores(q, k)) @ v


def mask_inverted(q, k, v, mask):
    return softmax(np.where(mask, -np.inf, _scores(q, k))) @ v


def mask_added(q, k, v, mask):
    return softmax(_scores(q, k) + mask) @ v


def softmax_over_queries(q, k, v, mask):
    return _finish(_scores(q, k), v, mask, axis=-2)


def k_not_transposed(q, k, v, mask):
    return softmax(np.where(mask, q @ k / np.sqrt(q.shape[-1]), -np.inf)) @ v


def k_dot_T(q, k, v, mask):
    return softmax(np.where(mask, q @ k.T / np.sqrt(q.shape[-1]), -np.inf)) @ v


def returns_weights(q, k, v, mask):
    return softmax(np.where(mask, _scores(q, k), -np.inf))


def weights_transposed(q, k, v, mask):
    return kt(softmax(np.where(mask, _scores(q, k), -np.inf))) @ v


def no_max_shift(q, k, v, mask):
    e = np.exp(np.where(mask, _scores(q, k), -np.inf))
    return e / e.sum(axis=-1, keepdims=True) @ v


def global_max_shift(q, k, v, mask):
    s = np.where(mask, _scores(q, k), -np.inf)
    e = np.exp(s - s.max())
    return e / e.sum(axis=-1, keepdims=True) @ v


def softmax_without_keepdims_axis(q, k, v, mask):
    s = np.where(mask, _scores(q, k), -np.inf)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=0, keepdims=True)) @ v


def max_without_keepdims(q, k, v, mask):
    s = np.where(mask, _scores(q, k), -np.inf)
    e = np.exp(s - s.max(axis=-1))
    return e / e.sum(axis=-1, keepdims=True) @ v


def normalised_over_everything(q, k, v, mask):
    s = np.where(mask, _scores(q, k), -np.inf)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum() @ v


def mask_by_arithmetic(q, k, v, mask):
    s = _scores(q, k)
    return softmax_rows(mask * s + (1 - mask) * -np.inf) @ v


def softmax_rows(s):
    with np.errstate(invalid="ignore"):
        e = np.exp(s - np.max(s, axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)


def np_dot_for_batches(q, k, v, mask):
    s = np.where(mask, np.dot(q, kt(k)) / np.sqrt(q.shape[-1]), -np.inf) if q.ndim == 2 else np.dot(q, kt(k))
    return softmax(s) @ v if q.ndim == 2 else s


@pytest.mark.parametrize("fn, hint", [
    (no_scale, HINTS["no_scale"]),
    (scale_by_d, HINTS["scale_d"]),
    (times_sqrt_d, HINTS["scale_mul"]),
    (d_from_n_queries, HINTS["d_axis"]),
    (d_from_first_axis, HINTS["d_axis"]),
    (mask_after_softmax, HINTS["mask_after"]),
    (mask_with_zero, HINTS["mask_zero"]),
    (mask_by_multiplying, HINTS["mask_zero"]),
    (mask_with_minus_1e9, HINTS["mask_1e9"]),
    (mask_ignored, HINTS["mask_ignored"]),
    (mask_inverted, HINTS["mask_inverted"]),
    (mask_added, HINTS["mask_added"]),
    (softmax_over_queries, HINTS["wrong_axis"]),
    (softmax_without_keepdims_axis, HINTS["wrong_axis"]),
    (k_not_transposed, HINTS["k_not_transposed"]),
    (k_dot_T, HINTS["k_T_batch"]),
    (returns_weights, HINTS["no_v"]),
    (weights_transposed, HINTS["weights_T"]),
    (no_max_shift, MAX_SHIFT_HINT),
    (global_max_shift, ROW_MAX_HINT),
    (np_dot_for_batches, HINTS["dot_batch"]),
    (max_without_keepdims, HINTS["keepdims"]),
    (normalised_over_everything, HINTS["sum_all"]),
    (mask_by_arithmetic, HINTS["nan_mask"]),
])
def test_each_typical_mistake_gets_its_hint(fn, hint, no_warnings):
    result = check_attention(fn)
    assert not result.passed and result.attempted
    assert result.hint == hint, f"{fn.__name__}: {result}"


def test_stub_gets_a_nudge():
    def my_attention(q, k, v, mask):
        raise NotImplementedError  # replace this line with your code

    result = check_attention(my_attention)
    assert not result.attempted and not result.passed
    assert "not attempted yet" in result.message


def test_mutating_the_input_is_reported():
    def in_place(q, k, v, mask):
        q /= np.sqrt(q.shape[-1])
        return softmax(np.where(mask, q @ kt(k), -np.inf)) @ v

    result = check_attention(in_place)
    assert not result.passed and "modified" in result.message


# --- the entropy prediction --------------------------------------------------------------------

def test_mean_row_entropy_matches_real_vectors():
    # the chi-square shortcut against real random vectors, at d = 64
    rng = np.random.default_rng(1)
    q, k = rng.standard_normal((400, 1, 64)), rng.standard_normal((400, 16, 64))
    for scaled in (True, False):
        s = (q @ kt(k))[:, 0] / (8.0 if scaled else 1.0)
        p = softmax(s)
        h = -np.sum(np.where(p > 0, p * np.log2(np.where(p > 0, p, 1)), 0), axis=-1).mean()
        assert abs(h - mean_row_entropy(64, scaled=scaled)) < 0.1


def test_entropy_prediction_right_and_wrong(capsys):
    assert check_entropy_prediction(3.4).passed
    assert check_entropy_prediction(0.07, scaled=False).passed
    assert check_entropy_prediction(3.4, d=16).passed
    cases = {
        -1.0: "never negative",
        5.0: "at most log2(16)",
        0.07: "WITHOUT the 1/sqrt(d) scale",
        4.0: "equal weights need equal scores",
        2.0: "does not depend on d",
    }
    for answer, words in cases.items():
        result = check_entropy_prediction(answer)
        assert not result.passed and words in result.hint, (answer, result.hint)
        assert "3.4" not in result.message + result.hint          # the answer is never given away
    result = check_entropy_prediction(3.4, scaled=False)
    assert "WITH the 1/sqrt(d) scale" in result.hint


@pytest.mark.slow
def test_the_entropy_hint_points_at_16_keys_not_at_the_8_word_dashboard(capsys):
    # issue 16: the hint sent the learner to the dashboard of 8 words (at most 3 bits), whose row
    # entropies (about 2.5 bits) give this same wrong answer again
    for answer in (2.5, 2.9, 1.0):
        result = check_entropy_prediction(answer)
        assert "dashboard" not in result.hint and "16" in result.hint, result.hint
    assert "64" in check_entropy_prediction(2.5, n_keys=64).hint


def test_entropy_prediction_accepts_numpy_numbers():
    assert check_entropy_prediction(np.float32(3.4)).passed
    assert check_entropy_prediction(np.array(3.4)).passed
