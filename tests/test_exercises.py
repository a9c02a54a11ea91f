"""Tests for softmax_lab.exercises: right answers pass, typical mistakes fail at the case built
to expose them, and the machinery reports what the learner's code did.

Every "learner" below is a small function written the way a learner would write it: a correct
one, or one with a single typical mistake. (The corpus of wrong solutions of every check is
tests/test_exercises_mutants.py; hostile answers are one property in tests/test_exercises_hostile.py.)
"""

import warnings

import numpy as np
import pytest

from softmax_lab import cross_entropy_grad, logsumexp, softmax
from softmax_lab import exercises as ex
from softmax_lab.exercises import (
    OUTPUT_LAYER_QUESTIONS,
    CheckResult,
    basics,
    check_cross_entropy_grad,
    check_logsumexp,
    check_output_layer,
    check_softmax,
    check_temperature_answer,
    check_top_p,
    cross_entropy,
    sampling,
    stability,
    temperature,
)
from softmax_lab.sampling import filter_top_p

# --------------------------------------------------------------------------------------------
# Learners' functions: right ones, written independently of softmax_lab where it matters
# --------------------------------------------------------------------------------------------

def good_softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def naive_softmax(z):
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)


def axis0_softmax(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def global_sum_softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e)


def axis1_softmax(z):
    """Right for 1-D and 2-D input, wrong for 3-D: the class axis is hard-coded as 1."""
    if z.ndim == 1:
        return good_softmax(z)
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def global_max_softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e, axis=-1, keepdims=True)


def good_lse(z):
    m = np.max(z, axis=-1, keepdims=True)
    return (m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True)))[..., 0]


def good_ce_grad(z, t):
    g = good_softmax(z)
    g[np.arange(len(t)), t] -= 1.0
    return g / len(t)


def bisection_temperature(z, target):
    lo, hi = 1e-3, 1e3
    for _ in range(100):
        mid = np.sqrt(lo * hi)            # bisect on a log scale
        if np.max(softmax(z, temperature=mid)) > target:
            lo = mid                       # too sharp: the answer is a higher T
        else:
            hi = mid
    return mid


def make_top_p(rule="right", temperature_first=True, ties="index", p_one_keeps_all=True):
    """A learner's top-p filter with (at most) one deliberate mistake."""
    def top_p(z, p, temperature=1.0):
        z = np.asarray(z, dtype=float)
        tempered = z / temperature
        q = good_softmax(tempered if temperature_first else z)
        if ties == "index":
            order = np.argsort(-q, kind="stable")
        else:
            order = np.argsort(q, kind="stable")[::-1]
        cum = np.cumsum(q[order])
        ahead = cum - q[order]
        keep_sorted = {
            "right": ahead < p,
            "shift_right": ahead <= p,   # the classic "remove[1:] = remove[:-1]" with remove = cum > p
            "cum_lt": cum < p,
            "cum_le": cum <= p,
        }[rule]
        keep_sorted[0] = True
        if p_one_keeps_all and p >= 1:
            keep_sorted[:] = True
        keep = np.zeros(z.shape, dtype=bool)
        keep[order] = keep_sorted
        return np.where(keep & np.isfinite(z), tempered, -np.inf)
    return top_p


def unattempted(*args):
    raise NotImplementedError


def forgot_return(*args):
    args[0] * 2  # computes something, returns None


# --------------------------------------------------------------------------------------------
# Right answers pass
# --------------------------------------------------------------------------------------------

RIGHT = [
    (check_softmax, good_softmax),
    (check_softmax, softmax),
    (check_logsumexp, good_lse),
    (check_logsumexp, logsumexp),
    (check_cross_entropy_grad, good_ce_grad),
    (check_cross_entropy_grad, cross_entropy_grad),
    (check_temperature_answer, bisection_temperature),
    (check_top_p, make_top_p()),
]


@pytest.mark.parametrize("check, solution", RIGHT, ids=lambda x: getattr(x, "__name__", "?"))
def test_right_solutions_pass(check, solution, capsys):
    result = check(solution)
    printed = capsys.readouterr().out
    assert isinstance(result, CheckResult)
    assert result.passed and bool(result)
    assert result.hint == ""
    assert result.n_cases >= 5
    assert printed.strip() == str(result)
    assert "passed" in printed and "✘" not in printed
    assert repr(result) == f"<CheckResult {check.__name__}: passed>"


def test_the_library_top_p_filter_passes_without_the_temperature_cases(capsys):
    result = check_top_p(filter_top_p)        # takes (logits, p) only
    out = capsys.readouterr().out
    assert result.passed
    assert result.n_cases == len([c for c in sampling._top_p_cases() if len(c.args) == 2])
    assert "temperature cases were skipped" in out


# --------------------------------------------------------------------------------------------
# Not attempted, exceptions, odd return values: never raise
# --------------------------------------------------------------------------------------------

CHECKS_OF_FUNCTIONS = [check_softmax, check_logsumexp, check_cross_entropy_grad, check_temperature_answer, check_top_p]


@pytest.mark.parametrize("check", CHECKS_OF_FUNCTIONS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("learner", [unattempted, forgot_return], ids=["raises_NotImplementedError", "returns_None"])
def test_unattempted_exercise_gets_a_nudge_and_does_not_raise(check, learner, capsys):
    result = check(learner)
    out = capsys.readouterr().out
    assert result.passed is False
    assert result.attempted is False
    assert "not attempted yet" in out
    assert "raise NotImplementedError" in out
    assert "✘" not in out                       # a nudge, not a failure report
    assert repr(result).endswith("not attempted yet>")


def test_unattempted_number_and_quiz_get_a_nudge(capsys):
    r1 = check_temperature_answer(None, [2.0, 1.0, 0.1], 0.5)
    r2 = check_output_layer({key: None for key in OUTPUT_LAYER_QUESTIONS})
    out = capsys.readouterr().out
    assert not r1.passed and not r1.attempted
    assert not r2.passed and not r2.attempted
    assert out.count("not attempted yet") == 2


@pytest.mark.parametrize("check", CHECKS_OF_FUNCTIONS, ids=lambda c: c.__name__)
def test_a_learner_exception_is_reported_with_its_type_and_message(check, capsys):
    def broken(*args):
        return {}["missing key"]

    result = check(broken)
    out = capsys.readouterr().out
    assert not result.passed and result.attempted
    assert result.failed_case == 1
    assert "KeyError" in result.message and "missing key" in result.message
    assert "KeyError" in out
    assert "traceback" in result.hint          # tells the learner how to see it in full


def test_an_exception_on_a_later_case_names_that_case():
    def only_1d(z):
        if z.ndim > 1:
            raise ValueError("I only handle one row")
        return good_softmax(z)

    result = check_softmax(only_1d)
    assert result.failed_case == 3              # the first batch case
    assert "ValueError: I only handle one row" in result.message
    assert "batch" in result.message


def test_not_implemented_for_some_inputs_is_an_error_not_a_nudge():
    def partial(z):
        if z.ndim > 1:
            raise NotImplementedError("batches later")
        return good_softmax(z)

    result = check_softmax(partial)
    assert result.attempted and result.failed_case == 3
    assert "NotImplementedError" in result.message


def test_a_broadcasting_error_gets_the_keepdims_hint():
    def no_keepdims(z):
        e = np.exp(z - np.max(z, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1)

    result = check_softmax(no_keepdims)
    assert "broadcast" in result.message
    assert "keepdims=True" in result.hint


def test_a_wrong_signature_is_explained():
    result = check_cross_entropy_grad(lambda z: z)
    assert "TypeError" in result.message
    assert "signature" in result.hint


def test_a_complex_answer_is_refused_even_when_its_real_part_is_right():
    # np.asarray(..., float) would drop the imaginary part with a ComplexWarning and pass it.
    result = check_softmax(lambda z: softmax(z) + 0j)
    assert not result.passed and result.failed_case == 1
    assert "real numbers" in result.hint


@pytest.mark.parametrize("check", [c for c in CHECKS_OF_FUNCTIONS if c is not check_temperature_answer],
                         ids=lambda c: c.__name__)
def test_passing_the_result_instead_of_the_function(check):
    result = check(np.array([0.5, 0.5]))
    assert not result.passed
    assert "without calling it" in result.hint


def test_numpy_warnings_inside_the_learner_are_reported_not_raised():
    # pytest turns RuntimeWarnings into errors here (pyproject), as a strict notebook could:
    # the check must record them itself, and leave the warning filters as they were.
    result = check_softmax(naive_softmax)
    assert "overflow encountered in exp" in result.message
    with pytest.raises(RuntimeWarning):
        warnings.warn("still strict after the check", RuntimeWarning, stacklevel=2)


def test_an_input_modified_in_place_is_reported():
    def in_place(z):
        z -= np.max(z, axis=-1, keepdims=True)
        e = np.exp(z)
        return e / np.sum(e, axis=-1, keepdims=True)

    result = check_softmax(in_place)
    assert not result.passed and result.failed_case == 1
    assert "input array was modified" in result.message
    assert "in-place" in result.hint


# --------------------------------------------------------------------------------------------
# softmax: the typical mistakes
# --------------------------------------------------------------------------------------------

def _case_number(cases, tag):
    return next(i for i, c in enumerate(cases, start=1) if c.tag == tag)


def test_naive_softmax_fails_on_large_logits_with_the_max_shift_hint():
    result = check_softmax(naive_softmax)
    assert not result.passed
    assert result.failed_case == _case_number(basics._softmax_cases(), "overflow")
    assert "1000" in result.message and "nan" in result.message
    assert result.hint.startswith("subtract the maximum before exp")


@pytest.mark.parametrize("learner", [axis0_softmax, global_sum_softmax, axis1_softmax],
                         ids=["axis_0", "sum_of_everything", "axis_1_fails_in_3d"])
def test_the_wrong_axis_gets_the_axis_hint(learner):
    result = check_softmax(learner)
    assert not result.passed
    assert basics._softmax_cases()[result.failed_case - 1].tag == "batch"
    assert "axis=-1" in result.hint and "keepdims" in result.hint


def test_one_maximum_for_the_whole_batch_gets_the_row_maximum_hint():
    result = check_softmax(global_max_softmax)
    assert basics._softmax_cases()[result.failed_case - 1].tag == "row_max"
    assert "each row's own maximum" in result.hint


def test_forgetting_exp_or_the_normalisation():
    no_exp = check_softmax(lambda z: z / np.sum(z, axis=-1, keepdims=True))
    assert no_exp.hint.startswith("exponentiate first")
    unnormalised = check_softmax(lambda z: np.exp(z - np.max(z, axis=-1, keepdims=True)))
    assert "divide by the sum" in unnormalised.hint


# --------------------------------------------------------------------------------------------
# log-sum-exp and log-softmax
# --------------------------------------------------------------------------------------------

def test_naive_logsumexp_fails_on_large_values_with_the_shift_hint():
    result = check_logsumexp(lambda z: np.log(np.sum(np.exp(z), axis=-1)))
    assert stability._lse_cases()[result.failed_case - 1].tag == "overflow"
    assert "inf" in result.message
    assert "subtract the maximum" in result.hint and "add it back" in result.hint


def test_logsumexp_without_adding_the_maximum_back():
    def no_add_back(z):
        m = np.max(z, axis=-1, keepdims=True)
        return np.log(np.sum(np.exp(z - m), axis=-1))

    assert check_logsumexp(no_add_back).hint.startswith("add the maximum back")


def test_logsumexp_that_keeps_the_reduced_axis():
    def kept(z):
        m = np.max(z, axis=-1, keepdims=True)
        return m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))

    result = check_logsumexp(kept)
    assert result.failed_case == 1
    assert "kept the reduced axis" in result.hint


def test_logsumexp_with_a_maximum_that_broadcasts_the_wrong_way():
    def flat_max(z):
        m = np.max(z, axis=-1)
        return m + np.log(np.sum(np.exp(z - m), axis=-1))

    result = check_logsumexp(flat_max)
    # (2, 3) - (2,) raises; the square 2 x 2 case would silently broadcast: either way, keepdims.
    assert "keepdims=True" in result.hint


# --------------------------------------------------------------------------------------------
# the output-layer quiz
# --------------------------------------------------------------------------------------------

RIGHT_ANSWERS = {"next_token": "softmax", "photo_tags": "sigmoid", "review_sentiment": "softmax",
                 "comment_flags": "sigmoid", "spam_or_not": "sigmoid"}


def test_output_layer_quiz_right_answers_pass_and_either_is_fine_for_two_classes():
    assert check_output_layer(RIGHT_ANSWERS).passed
    assert check_output_layer(dict(RIGHT_ANSWERS, spam_or_not=" Softmax")).passed


def test_output_layer_quiz_explains_a_wrong_answer():
    result = check_output_layer(dict(RIGHT_ANSWERS, photo_tags="softmax"))
    assert not result.passed
    assert "photo_tags" in result.message
    assert "not exclusive" in result.hint


@pytest.mark.parametrize("answers, expected_hint", [
    (dict(RIGHT_ANSWERS, comment_flags="relu"), 'answer "softmax" or "sigmoid"'),
    (dict(RIGHT_ANSWERS, review_sentiment=None), 'answer "softmax" or "sigmoid"'),
    (dict(RIGHT_ANSWERS, colour="sigmoid"), "the questions are"),
    (["softmax"], "one entry per question"),
])
def test_output_layer_quiz_odd_answers(answers, expected_hint):
    result = check_output_layer(answers)
    assert not result.passed
    assert expected_hint in result.hint


# --------------------------------------------------------------------------------------------
# cross-entropy gradient
# --------------------------------------------------------------------------------------------

def test_forgetting_one_over_n_gets_the_n_hint():
    def no_mean(z, t):
        g = good_softmax(z)
        g[np.arange(len(t)), t] -= 1.0
        return g

    result = check_cross_entropy_grad(no_mean)
    assert result.failed_case == 2             # case 1 has N = 1, where 1/N changes nothing
    assert result.hint.startswith("divide by N, the number of predictions")


def test_dividing_by_the_number_of_classes_instead():
    def by_k(z, t):
        return good_ce_grad(z, t) * len(t) / z.shape[1]

    assert "not by K" in check_cross_entropy_grad(by_k).hint


def test_gradient_with_the_wrong_sign_or_without_the_target():
    assert check_cross_entropy_grad(lambda z, t: -good_ce_grad(z, t)).hint.startswith("mind the sign")
    assert "one-hot" in check_cross_entropy_grad(lambda z, t: good_softmax(z) / len(t)).hint


def test_gradient_with_a_naive_softmax_fails_on_large_logits():
    def naive(z, t):
        g = naive_softmax(z)
        g[np.arange(len(t)), t] -= 1.0
        return g / len(t)

    result = check_cross_entropy_grad(naive)
    assert cross_entropy._ce_cases()[result.failed_case - 1].tag == "overflow"
    assert result.hint.startswith("subtract the maximum before exp")


def test_gradient_summed_over_the_batch_gets_the_shape_hint():
    result = check_cross_entropy_grad(lambda z, t: good_ce_grad(z, t).sum(axis=0))
    assert "shape (N, K)" in result.hint


# --------------------------------------------------------------------------------------------
# temperature
# --------------------------------------------------------------------------------------------

def test_temperature_that_multiplies_instead_of_divides():
    result = check_temperature_answer(lambda z, target: 1.0 / bisection_temperature(z, target))
    assert result.failed_case == 1
    assert "divides" in result.hint and "1 / T" in result.hint


def test_temperature_search_with_an_overflowing_softmax_is_told_to_use_the_stable_one():
    def naive_search(z, target):
        lo, hi = 1e-3, 1e3
        for _ in range(60):
            mid = (lo + hi) / 2
            if np.max(naive_softmax(z / mid)) > target:
                lo = mid
            else:
                hi = mid
        return mid

    result = check_temperature_answer(naive_search)
    assert temperature._TEMPERATURE_CASES[result.failed_case - 1][3] == "overflow"
    assert "softmax_lab.softmax(z, temperature=T)" in result.hint


def test_temperature_numbers_from_a_slider():
    z = [2.0, 1.0, 0.1]
    T = bisection_temperature(np.array(z), 0.5)
    assert check_temperature_answer(T, z, 0.5).passed
    assert check_temperature_answer(round(T, 2), z, 0.5).passed          # slider precision is fine
    assert "too low" in check_temperature_answer(T / 2, z, 0.5).hint      # too sharp
    assert "too high" in check_temperature_answer(T * 2, z, 0.5).hint     # too flat
    assert "must be > 0" in check_temperature_answer(-1.0, z, 0.5).hint
    assert "no temperature can give 0.2" in check_temperature_answer(1.0, z, 0.2).hint
    assert "number" in check_temperature_answer("warm", z, 0.5).hint
    assert not check_temperature_answer(1.0, "not logits", 0.5).passed
    assert not check_temperature_answer(1.0).passed


# --------------------------------------------------------------------------------------------
# top-p
# --------------------------------------------------------------------------------------------

def test_forgetting_the_temperature_before_filtering():
    result = check_top_p(make_top_p(temperature_first=False))
    assert sampling._top_p_cases()[result.failed_case - 1].tag == "temperature"
    assert result.hint.startswith("apply the temperature first")


def test_off_by_one_at_exactly_p_keeps_one_token_too_many():
    result = check_top_p(make_top_p(rule="shift_right"))
    case = sampling._top_p_cases()[result.failed_case - 1]
    assert case.tag == "exact"
    assert "kept:      tokens [0, 1, 2]; expected tokens [0, 1]" in result.message
    assert result.hint.startswith("at exactly p, stop")


def test_off_by_one_that_drops_the_token_reaching_p():
    # cum < p also drops the crossing token, so the crossing case catches it first
    result = check_top_p(make_top_p(rule="cum_lt"))
    assert sampling._top_p_cases()[result.failed_case - 1].tag == "crossing"
    assert result.hint.startswith("keep the token that crosses p")


def test_off_by_one_that_drops_the_crossing_token():
    result = check_top_p(make_top_p(rule="cum_le"))
    assert sampling._top_p_cases()[result.failed_case - 1].tag == "crossing"
    assert result.hint.startswith("keep the token that crosses p")


def test_ties_in_the_wrong_order():
    result = check_top_p(make_top_p(ties="reverse"))
    assert result.hint.startswith("ties: order equal probabilities by index")


def test_p_equal_to_one_must_keep_everything():
    result = check_top_p(make_top_p(p_one_keeps_all=False))
    assert sampling._top_p_cases()[result.failed_case - 1].tag == "p_one"
    assert result.hint.startswith("p = 1 keeps every token")


def test_removed_tokens_set_to_zero_instead_of_minus_infinity():
    def zeros(z, p, temperature=1.0):
        out = make_top_p()(z, p, temperature)
        return np.where(np.isfinite(out), out, 0.0)

    assert "-inf" in check_top_p(zeros).hint


def test_top_p_returning_untempered_logits():
    def untempered(z, p, temperature=1.0):
        out = make_top_p()(z, p, temperature)
        return np.where(np.isfinite(out), z, -np.inf)

    result = check_top_p(untempered)
    assert sampling._top_p_cases()[result.failed_case - 1].tag == "temperature"
    assert "TEMPERED logits z / T" in result.hint


def test_the_mistake_models_use_the_library_rule():
    """The exercise's rule (``_nucleus(..., "reach")``) must agree with the sampler's filter_top_p."""
    rng = np.random.default_rng(6)   # fixed seed: the same 300 logit vectors every run
    for _ in range(300):
        V = int(rng.integers(2, 12))
        z = rng.integers(-3, 4, size=V).astype(float)        # small integers: many ties
        if rng.random() < 0.3:
            z[rng.integers(V)] = -np.inf
        if not np.isfinite(z).any():
            z[0] = 0.0
        p = float(rng.choice([0.1, 0.25, 0.5, 0.75, 0.9, 1.0, rng.uniform(0.05, 1.0)]))
        assert np.array_equal(sampling._nucleus(z, p), np.isfinite(filter_top_p(z, p))), (z, p)


def test_every_top_p_mistake_model_really_differs_from_the_rule_somewhere():
    """Each wrong rule is caught by at least one case of the battery (else its hint is dead)."""
    cases = sampling._top_p_cases()
    for rule in ("lt", "le", "before_le"):
        assert any(
            not np.array_equal(sampling._nucleus(np.asarray(c.args[0], float)
                                                 / (c.args[2] if len(c.args) == 3 else 1.0),
                                                 c.args[1], rule),
                               np.isfinite(c.expected))
            for c in cases
        ), rule


# --------------------------------------------------------------------------------------------
# The result object
# --------------------------------------------------------------------------------------------

def test_check_result_repr_and_str():
    failed = CheckResult("check_x", False, "✘ check_x: case 2 of 5 failed", hint="do y", failed_case=2, n_cases=5)
    assert repr(failed) == "<CheckResult check_x: failed at case 2 of 5>"
    assert str(failed) == "✘ check_x: case 2 of 5 failed\n  hint: do y"
    assert not failed
    nudge = CheckResult("check_x", False, "… not attempted", attempted=False)
    assert repr(nudge) == "<CheckResult check_x: not attempted yet>"


@pytest.mark.parametrize("topic", ["basics", "temperature", "sigmoid", "output_layer", "cross_entropy", "stability",
                                   "sampling", "calibration", "attention", "vocab", "applications", "audit"])
def test_every_check_of_a_topic_module_is_in_all(topic):
    import importlib

    module = importlib.import_module(f"softmax_lab.exercises.{topic}")
    checks = [name for name in vars(module) if name.startswith("check_")
              and getattr(module, name).__module__ == module.__name__]
    assert checks, topic
    assert not [name for name in checks if name not in ex.__all__]
    for name in ex.__all__:
        assert getattr(ex, name) is not None
