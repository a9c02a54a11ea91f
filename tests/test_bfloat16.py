"""bfloat16 (lesson 05): softmax_lab refuses it with a TypeError that names the argument and says how
to convert, and the facts lesson 05 states about it hold.

Decision (issue 11): softmax_lab's functions do not accept bfloat16. A bfloat16 array is refused at
the door (``_checks.as_float_array``) with the conversion to float32 in the message, the same
thing frameworks do inside their softmax kernels. Accepting it everywhere (every function of
functions, losses, sampling, calibration, attention, vocab) would need an ml_dtypes-aware path in
each, for a dtype numpy itself does not know.
"""

import numpy as np
import pytest

from softmax_lab import (
    cross_entropy,
    cross_entropy_grad,
    entropy,
    kl_divergence,
    log_softmax,
    logsumexp,
    naive_softmax,
    sigmoid,
    softmax,
)
from softmax_lab.exercises import stability
from softmax_lab.sampling import filter_min_p, filter_top_k, filter_top_p, sample

ml_dtypes = pytest.importorskip("ml_dtypes")
BF16 = ml_dtypes.bfloat16

CALLS = {
    "softmax": (lambda x: softmax(x), "logits"),
    "log_softmax": (lambda x: log_softmax(x), "logits"),
    "logsumexp": (lambda x: logsumexp(x), "logits"),
    "naive_softmax": (lambda x: naive_softmax(x), "logits"),
    "cross_entropy": (lambda x: cross_entropy(x, 0), "logits"),
    "cross_entropy_grad": (lambda x: cross_entropy_grad(x, 0), "logits"),
    "sigmoid": (lambda x: sigmoid(x), "x"),
    "entropy": (lambda x: entropy(x), "probs"),
    "kl_divergence": (lambda x: kl_divergence(x, np.array([0.25, 0.25, 0.5])), "p"),
    "filter_top_k": (lambda x: filter_top_k(x, 2), "logits"),
    "filter_top_p": (lambda x: filter_top_p(x, 0.9), "logits"),
    "filter_min_p": (lambda x: filter_min_p(x, 0.1), "logits"),
    "sample": (lambda x: sample(x, rng=np.random.default_rng(0)), "logits"),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_bfloat16_input_is_refused_with_a_type_error_naming_the_argument_and_the_fix(name):
    call, argument = CALLS[name]
    x = np.array([0.25, 0.25, 0.5], dtype=BF16)
    with pytest.raises(TypeError) as info:
        call(x)
    message = str(info.value)
    assert message.startswith(f"{argument} has dtype bfloat16"), message
    assert "dtype=np.float32" in message


def test_the_suggested_conversion_works_without_warnings_or_nan():
    z = np.array([100.0, 99.0, -200.0], dtype=BF16)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = softmax(np.asarray(z, dtype=np.float32)).astype(BF16)
    assert p.dtype == BF16
    assert np.isfinite(p.astype(np.float32)).all()
    assert abs(float(p.astype(np.float32).sum()) - 1.0) < 1e-2


def test_lesson_05_facts_about_bfloat16():
    finfo = ml_dtypes.finfo(BF16)
    # float32's range: the same 8 exponent bits, so e^z overflows near 88.7 in both
    assert abs(stability.bfloat16_ceiling() - np.log(float(np.finfo(np.float32).max))) < 0.01
    assert round(stability.bfloat16_ceiling(), 1) == 88.7
    # 8 bits of significand (7 stored): eps = 2^-7, and 256 + 1 rounds back to 256
    assert float(finfo.eps) == 2.0 ** -7
    assert stability.bfloat16_running_sum(1000) == 256.0
    # logits near 100 are 0.5 apart in bfloat16
    assert float(np.array(100.3, dtype=BF16).astype(np.float32)) == 100.5
