"""Tests for softmax_lab.exercises.applications (lesson 10): the softmax-regression gradient step
and the exploration temperature. Right answers pass; every typical wrong answer fails with its
own hint, at the case built to expose it."""

import numpy as np
import pytest

from softmax_lab import cross_entropy_grad
from softmax_lab.exercises import applications as app
from softmax_lab.exercises.applications import check_exploration_temperature, check_gradient_step


def softmax_rows(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def make_step(mistake=None):
    """A learner's gradient step, written from scratch, with (at most) one deliberate mistake."""
    def gradient_step(W, b, X, y, learning_rate):
        N, K = X.shape[0], W.shape[1]
        Z = X @ W + b
        if mistake == "naive":
            P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
        elif mistake == "axis0":
            e = np.exp(Z - Z.max(axis=0, keepdims=True))
            P = e / e.sum(axis=0, keepdims=True)
        elif mistake == "logits":
            P = Z
        else:
            P = softmax_rows(Z)
        Y = np.eye(K)[y]
        if mistake == "no_onehot":
            Y = np.zeros_like(P)
        if mistake == "labels":
            Y = y[:, None]
        D = P - Y if mistake != "y_minus_p" else Y - P
        G = {"no_mean": D, "by_k": D / K, "twice": D / N / N}.get(mistake, D / N)
        rate = 1.0 if mistake == "no_lr" else learning_rate
        gW = G.T @ X if mistake == "transposed" else X.T @ G
        gb = G.mean(axis=0) if mistake == "bias_mean" else G.sum(axis=0)
        if mistake == "plus":
            return W + rate * gW, b + rate * gb
        new_W = W - rate * gW
        new_b = b if mistake == "no_bias" else b - rate * gb
        if mistake == "swapped":
            return new_b, new_W
        if mistake == "only_W":
            return new_W
        if mistake == "list":
            return [new_W.tolist(), new_b.tolist()]
        return new_W, new_b
    return gradient_step


def with_cross_entropy_grad(W, b, X, y, learning_rate):
    g = cross_entropy_grad(X @ W + b, y)
    return W - learning_rate * X.T @ g, b - learning_rate * g.sum(axis=0)


def in_place(W, b, X, y, learning_rate):
    g = cross_entropy_grad(X @ W + b, y)
    W -= learning_rate * X.T @ g
    b -= learning_rate * g.sum(axis=0)
    return W, b


@pytest.mark.parametrize("fn", [make_step(), with_cross_entropy_grad, in_place, make_step("list")])
def test_right_steps_pass(fn, capsys):
    result = check_gradient_step(fn)
    assert result.passed, result.message
    assert "cases passed" in capsys.readouterr().out


@pytest.mark.parametrize("mistake, case, words", [
    ("no_mean", 2, "divide by N: the loss is the MEAN"),
    ("transposed", 1, "X.T @ (p - Y) / N, of shape (D, K)"),
    ("y_minus_p", 1, "mind the sign"),
    ("plus", 1, "mind the sign"),
    ("no_bias", 1, "update the bias too"),
    ("bias_mean", 2, "a mean divides by N a second time"),
    ("twice", 2, "divide by N once"),
    ("no_lr", 1, "multiply the gradient by the learning rate"),
    ("logits", 1, "use the probabilities"),
    ("no_onehot", 1, "subtract the one-hot targets"),
    ("labels", 1, "not the label numbers"),
    ("axis0", 1, "softmax of each ROW"),
    ("naive", 5, "maximum"),
    ("by_k", 1, "not by K"),
])
def test_each_typical_mistake_gets_its_own_hint(mistake, case, words, capsys):
    result = check_gradient_step(make_step(mistake))
    assert not result.passed and result.attempted
    assert result.failed_case == case, result.message
    assert words in result.hint, result.hint
    assert "✘ check_gradient_step" in capsys.readouterr().out


def test_a_transposed_update_that_cannot_broadcast_is_explained():
    def transposed_everywhere(W, b, X, y, learning_rate):
        g = cross_entropy_grad(X @ W + b, y)
        return (W - learning_rate * X.T @ g).T, b - learning_rate * g.sum(axis=0)
    result = check_gradient_step(transposed_everywhere)
    assert result.failed_case == 1 and "shape (D, K)" in result.hint     # on a square W: the same numbers

    def matmul_error(W, b, X, y, learning_rate):
        g = cross_entropy_grad(X @ W + b, y)
        return W - learning_rate * X @ g, b - learning_rate * g.sum(axis=0)
    result = check_gradient_step(matmul_error)
    assert result.failed_case == 1 and "W is (3, 3), X is (1, 3)" in result.hint


@pytest.mark.parametrize("mistake, words", [("swapped", "shape"), ("only_W", "two arrays")])
def test_wrong_return_values_are_explained(mistake, words):
    result = check_gradient_step(make_step(mistake))
    assert not result.passed and result.failed_case == 1
    assert words in result.message + result.hint


def test_unattempted_and_odd_answers_do_not_raise(capsys):
    def stub(W, b, X, y, learning_rate):
        raise NotImplementedError
    assert not check_gradient_step(stub).attempted
    assert not check_gradient_step(lambda *args: None).attempted
    assert "not attempted yet" in capsys.readouterr().out
    for returned in ("a string", (10**400, 1), (iter([1]), np.zeros(3)), ("a", "b"), 3.0, (np.zeros((2, 3)),)):
        result = check_gradient_step(lambda *args, r=returned: r)
        assert not result.passed and result.attempted
    assert not check_gradient_step(check_gradient_step(make_step())).passed    # passed a result, not a function
    assert not check_gradient_step(lambda W, b: (W, b)).passed                 # wrong signature


def test_the_expected_answer_is_the_textbook_step():
    for case in app._step_cases():
        W, b, X, y, lr = case.args
        new_W, new_b = with_cross_entropy_grad(W, b, X, y, lr)
        np.testing.assert_allclose(case.expected, np.concatenate([new_W.ravel(), new_b]), rtol=1e-12, atol=1e-12)
    assert any(c.args[0].shape[0] == c.args[0].shape[1] for c in app._step_cases())   # a square W
    assert any(np.abs(c.args[2] @ c.args[0]).max() > 500 for c in app._step_cases())    # exp would overflow


# --------------------------------------------------------------------------------------------
# The exploration temperature
# --------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_best_temperature_passes_and_neighbours_within_the_slack_too(capsys):
    assert check_exploration_temperature(0.1).passed
    assert check_exploration_temperature(np.float32(0.07)).passed
    assert check_exploration_temperature(np.array(0.1)).passed
    assert check_exploration_temperature("0,1").passed                   # a decimal comma, as text
    assert "ONE number" in check_exploration_temperature(np.array([0.1])).hint
    assert "Well done" in capsys.readouterr().out


@pytest.mark.parametrize("T, words", [(0.005, "too cold"), (0.03, "too cold"), (0.3, "too hot"), (3.0, "too hot")])
def test_too_cold_and_too_hot_get_their_hint(T, words):
    result = check_exploration_temperature(T)
    assert not result.passed and result.hint.startswith(words)


@pytest.mark.parametrize("answer", [0, -0.1, np.nan, np.inf, "warm", True, 10**400, [0.1, 0.2], object()])
def test_odd_temperatures_fail_politely(answer):
    result = check_exploration_temperature(answer)
    assert not result.passed and result.attempted and "number" in result.message + result.hint


def test_an_unattempted_temperature_gets_a_nudge(capsys):
    result = check_exploration_temperature(None)
    assert not result.attempted and "not attempted yet" in capsys.readouterr().out
