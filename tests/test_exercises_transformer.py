"""Lesson 12's self-checks: attention's backward pass (check_softmax_backward), the capstone
(check_your_model: the transformer run on a learner's functions), and the lesson's registered
predictions and typed answer."""

import numpy as np
import pytest

from softmax_lab import exercises as ex
from softmax_lab import transformer, transformer_training
from softmax_lab.exercises import transformer as lesson
from softmax_lab.exercises.predict import registered_predictions
from softmax_lab.sampling import filter_top_p


def ds_ref(d_weights, weights):
    return weights * (d_weights - np.sum(d_weights * weights, axis=-1, keepdims=True))


def ds_by_jacobian(d_weights, weights):
    """Row by row with lesson 04's Jacobian, J = diag(w) - w w^T: a valid, slower solution."""
    w2, d2 = weights.reshape(-1, weights.shape[-1]), d_weights.reshape(-1, weights.shape[-1])
    rows = [(np.diag(w) - np.outer(w, w)).T @ d for w, d in zip(w2, d2)]
    return np.array(rows).reshape(weights.shape)


def ds_einsum(d_weights, weights):
    return weights * d_weights - weights * np.einsum("...k,...k->...", d_weights, weights)[..., None]


@pytest.mark.parametrize("fn", [ds_ref, ds_by_jacobian, ds_einsum])
def test_right_solutions_pass(fn, capsys):
    result = ex.check_softmax_backward(fn)
    assert result.passed, str(result)


WRONG_BACKWARD = [
    ("missing the rowsum: dW * W only", lambda dw, w: dw * w, "subtract each row's weighted sum"),
    ("rowsum of dW, not of dW * W", lambda dw, w: w * (dw - dw.sum(-1, keepdims=True)), "not of dW alone"),
    ("rowsum on the wrong axis", lambda dw, w: w * (dw - np.sum(dw * w, axis=0, keepdims=True)), "LAST axis"),
    ("one sum for the whole array", lambda dw, w: w * (dw - np.sum(dw * w)), "each ROW separately"),
    ("transposed result", lambda dw, w: ds_ref(dw, w).T, "transposed"),
    ("W transposed", lambda dw, w: ds_ref(dw, w.T), "transposed"),
    ("not multiplied by W", lambda dw, w: dw - np.sum(dw * w, -1, keepdims=True), "multiply by W"),
    ("sign flipped", lambda dw, w: -ds_ref(dw, w), "sign is flipped"),
    ("diagonal of the Jacobian only", lambda dw, w: w * (1 - w) * dw, "only the diagonal"),
]


@pytest.mark.parametrize("name, fn, expect", WRONG_BACKWARD, ids=[w[0] for w in WRONG_BACKWARD])
def test_each_wrong_backward_is_rejected_with_a_hint_naming_it(name, fn, expect, capsys):
    result = ex.check_softmax_backward(fn)
    assert not result.passed and result.attempted, name
    assert expect in result.hint, f"{name}: {result}"


def test_the_cases_include_random_shapes_a_transpose_cannot_pass():
    cases = lesson._backward_cases()
    shapes = [c.args[1].shape for c in cases]
    assert any(len(s) >= 2 and s[-1] != s[-2] for s in shapes)              # non-square: a transpose shows
    assert any(len(s) == 4 for s in shapes) and any(c.args[1].dtype == np.float32 for c in cases)
    assert any(c.what.startswith("random") for c in cases)
    masked = [c for c in cases if c.tag == "mask"]
    assert masked and all(np.all(np.triu(c.args[1], 1) == 0) for c in masked)   # causal maps: zeros above
    for c in cases:                                        # the expected values are lesson 04's Jacobian
        assert np.allclose(c.expected, ds_by_jacobian(*[np.asarray(a, float) for a in c.args]), atol=1e-5)


def test_an_untouched_stub_gets_a_nudge(capsys):
    def my_softmax_backward(d_weights, weights):
        raise NotImplementedError

    result = ex.check_softmax_backward(my_softmax_backward)
    assert not result.passed and not result.attempted


# --------------------------------------------------------------------------------------------
# The capstone
# --------------------------------------------------------------------------------------------

def my_softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def my_logsumexp(z):
    m = np.max(z, axis=-1, keepdims=True)
    return (m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True)))[..., 0]


def my_cross_entropy_grad(logits, targets):
    g = my_softmax(logits)
    g[np.arange(len(targets)), targets] -= 1.0
    return g / len(targets)


def my_top_p(z, p, temperature=1.0):
    return filter_top_p(np.asarray(z, float) / temperature, p)


def my_attention(q, k, v, mask):
    scores = np.where(mask, q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]), -np.inf)
    return my_softmax(scores) @ v


def my_online_logsumexp(blocks):
    m, s = -np.inf, 0.0
    for block in blocks:
        m_new = max(m, np.max(block))
        s = s * np.exp(m - m_new) + np.sum(np.exp(block - m_new))
        m = m_new
    return m + np.log(s)


RIGHT = dict(softmax=my_softmax, logsumexp=my_logsumexp, cross_entropy_grad=my_cross_entropy_grad, top_p=my_top_p,
             attention=my_attention, online_logsumexp=my_online_logsumexp, softmax_backward=ds_ref)

WRONG_LESSON_FUNCTIONS = [
    ("softmax", lambda z: np.exp(z) / np.sum(np.exp(z)), "softmax (lesson 01)"),             # one sum for all
    ("logsumexp", lambda z: np.max(z, axis=-1), "logsumexp (lesson 05)"),                    # only the maximum
    ("cross_entropy_grad", lambda z, t: my_cross_entropy_grad(z, t) * len(t), "cross_entropy_grad (lesson 04)"),
    ("top_p", lambda z, p, temperature=1.0: my_top_p(z, min(1.0, p + 0.05)), "top_p (lesson 06)"),
    ("attention", lambda q, k, v, mask: my_softmax(np.where(mask, q @ np.swapaxes(k, -1, -2), -np.inf)) @ v,
     "attention (lesson 08)"),                                                               # no 1/sqrt(d)
    ("online_logsumexp", lambda blocks: max(np.max(b) for b in blocks), "online_logsumexp (lesson 09)"),
    ("softmax_backward", lambda dw, w: w * dw, "softmax_backward (lesson 12)"),
]


@pytest.mark.slow
def test_right_functions_run_the_model_along_the_recorded_curve(capsys):
    result = ex.check_your_model(**RIGHT)
    assert result.passed, str(result)
    assert "Your softmax runs a transformer" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize("name, wrong, named", [pytest.param(*w, marks=() if w[0] in ("softmax_backward", "logsumexp")
                                                             else pytest.mark.slow) for w in WRONG_LESSON_FUNCTIONS],
                         ids=[w[0] for w in WRONG_LESSON_FUNCTIONS])
def test_a_wrong_function_is_named_by_the_capstone(name, wrong, named, capsys):
    result = ex.check_your_model(**{**RIGHT, name: wrong})
    assert not result.passed and result.attempted
    assert f"broken: {named}" in result.message and named in result.hint, str(result)
    assert sum("broken:" in line for line in result.message.splitlines()) == 1     # only the wrong one is blamed


@pytest.mark.slow
def test_stubs_missing_functions_and_a_raising_function(capsys):
    def stub(*args):
        raise NotImplementedError

    result = ex.check_your_model(**{**RIGHT, "softmax": stub, "top_p": stub})
    assert not result.attempted and "softmax (lesson 01)" in result.message and "top_p (lesson 06)" in result.message
    result = ex.check_your_model(softmax=my_softmax)
    assert not result.passed and "missing logsumexp" in result.message
    result = ex.check_your_model(**{**RIGHT, "attention": 3})
    assert not result.passed and "attention" in result.message

    def boom(q, k, v, mask):
        if q.shape[0] > 1:                  # passes the small probe, fails inside the model
            raise ZeroDivisionError("on purpose")
        return my_attention(q, k, v, mask)

    result = ex.check_your_model(**{**RIGHT, "attention": boom})
    assert not result.passed and "'attention' raised ZeroDivisionError" in result.message


# --------------------------------------------------------------------------------------------
# The lesson's predictions and typed answer
# --------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_predictions_are_computed_from_the_model():
    entries = {e.key: e for e in registered_predictions("12")}
    assert set(entries) == {"12.head-look", "12.sink", "12.mlp-verb", "12.ds-constant"}
    model = transformer.load("tiny")
    maps = transformer.attention_maps(model, lesson.LOOK_SENTENCE)
    words = transformer.tokens(model, lesson.LOOK_SENTENCE)
    assert words[int(np.argmax(maps[1, 3, -1]))] == "owl" == lesson.head_looks_at()
    assert entries["12.head-look"].value() == len(words) - 1 - words.index("owl") == 7
    roles = transformer_training.head_roles(model)
    assert entries["12.sink"].value() is bool(roles["first"].max() > 2 * roles["uniform_first"]) is False
    mlp = transformer_training.load_same_data_mlp()
    assert entries["12.mlp-verb"].value() == transformer_training.long_range_accuracy(mlp)["accuracy"]
    assert abs(entries["12.ds-constant"].value()) < 1e-12


def test_the_row_sum_question(capsys):
    assert ex.check_answer("12.ds-row-sum", 0).passed
    wrong = ex.check_answer("12.ds-row-sum", 1)
    assert not wrong.passed and "WEIGHTS" in wrong.hint
