"""Lesson 13's self-checks against wrong solutions, and its registered predictions.

As in tests/test_exercises_mutants.py: a reference solution written here without softmax_lab
(it must pass), and mutants, each the reference with ONE typical mistake, that must be rejected
with a hint naming that mistake (``expect`` is a fragment of the hint) or an honest "does not
recognise" (UNKNOWN).
"""

import numpy as np
import pytest

from softmax_lab import exercises as ex
from softmax_lab.exercises.predict import registered_predictions

UNKNOWN = "this check does not recognise the mistake"


def registered_answer(key):
    (entry,) = [p for p in registered_predictions("13") if p.key == key]
    return entry.value()


def _log_softmax(z, axis=-1):
    m = np.max(z, axis=axis, keepdims=True)
    shifted = z - m
    with np.errstate(invalid="ignore"):
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _softmax(z, axis=-1):
    return np.exp(_log_softmax(z, axis))


def _kl_rows(lp, lq):
    p = np.exp(lp)
    with np.errstate(invalid="ignore"):
        terms = np.where(p > 0, p * (lp - lq), 0.0)
    return np.sum(terms, axis=-1)


# --- distillation ----------------------------------------------------------------------------

def distill_ref(s, t, T):
    return T**2 * np.mean(_kl_rows(_log_softmax(t / T), _log_softmax(s / T)))


DISTILLATION = [
    ("T instead of T**2", lambda s, t, T: distill_ref(s, t, T) / T, "not by T"),
    ("no T**2", lambda s, t, T: distill_ref(s, t, T) / T**2, "multiply the KL by T**2"),
    ("KL the wrong way round", lambda s, t, T: T**2 * np.mean(_kl_rows(_log_softmax(s / T), _log_softmax(t / T))),
     "wrong way round"),
    ("sum over rows", lambda s, t, T: distill_ref(s, t, T) * len(s), "MEAN of the KL"),
    ("no temperature in the softmax", lambda s, t, T: T**2 * np.mean(_kl_rows(_log_softmax(t), _log_softmax(s))),
     "divide both models' logits by T"),
    ("student not softened", lambda s, t, T: T**2 * np.mean(_kl_rows(_log_softmax(t / T), _log_softmax(s))),
     "STUDENT's logits"),
    ("cross-entropy instead of KL",
     lambda s, t, T: T**2 * np.mean(-np.sum(np.where(np.isfinite(s), np.exp(_log_softmax(t / T))
                                                     * np.where(np.isfinite(s), _log_softmax(s / T), 0), 0), axis=-1)),
     "cross-entropy"),
    ("plain log of softmax", lambda s, t, T: T**2 * np.mean(np.sum(
        _softmax(t / T) * (np.log(_softmax(t / T)) - np.log(_softmax(s / T))), axis=-1)), "log_softmax"),
    ("loss times 1.5", lambda s, t, T: 1.5 * distill_ref(s, t, T), UNKNOWN),
]

# --- speculative sampling ----------------------------------------------------------------------

def accept_ref(p, q):
    return np.minimum(1.0, p / q)


ACCEPTANCE = [
    ("p/q uncapped", lambda p, q: p / q, "cap it at 1"),
    ("q/p capped", lambda p, q: np.minimum(1.0, q / p), "the other way round"),
    ("q/p", lambda p, q: q / p, "target over draft"),
    ("min(p, q)", lambda p, q: np.minimum(p, q), "drafted AND accepted"),
    ("p - q clipped", lambda p, q: np.maximum(0.0, p - q), "residual's source"),
    ("one number", lambda p, q: float(np.sum(np.minimum(p, q))), "one value per entry"),
    ("squared", lambda p, q: np.minimum(1.0, p / q) ** 2, UNKNOWN),
]


def residual_ref(p, q):
    r = np.maximum(p - q, 0.0)
    return r / r.sum()


def _normalise_then_clip(p, q):
    r = p - q
    with np.errstate(all="ignore"):
        r = r / r.sum()
    return np.maximum(r, 0.0)


RESIDUAL = [
    ("normalised before clipping", _normalise_then_clip, "clip first, then normalise"),
    ("not clipped, normalised", lambda p, q: (p - q) / np.sum(p - q), "clip first"),
    ("not normalised", lambda p, q: np.maximum(p - q, 0.0), "normalise"),
    ("q - p", lambda p, q: residual_ref(q, p), "max(0, q - p)"),
    ("abs", lambda p, q: np.abs(p - q) / np.sum(np.abs(p - q)), "np.abs"),
    ("p itself", lambda p, q: p.copy(), "not from p itself"),
    ("divided by 1 + alpha", lambda p, q: np.maximum(p - q, 0.0) / (1 + np.sum(np.minimum(p, q))), UNKNOWN),
]

# --- top-k gating ------------------------------------------------------------------------------

def gating_ref(z, k):
    keep = np.argsort(-z, axis=1, kind="stable")[:, :k]
    masked = np.full_like(z, -np.inf)
    np.put_along_axis(masked, keep, np.take_along_axis(z, keep, axis=1), axis=1)
    return _softmax(masked)


def _top_k_after_softmax(z, k):
    p = _softmax(z)
    keep = np.argsort(-z, axis=1, kind="stable")[:, :k]
    out = np.zeros_like(p)
    np.put_along_axis(out, keep, np.take_along_axis(p, keep, axis=1), axis=1)
    return out


def _masked_with_zero(z, k):
    keep = np.argsort(-z, axis=1, kind="stable")[:, :k]
    masked = np.zeros_like(z)
    np.put_along_axis(masked, keep, np.take_along_axis(z, keep, axis=1), axis=1)
    return _softmax(masked)


def _one_hot_k(z, k):
    out = np.zeros_like(z)
    np.put_along_axis(out, np.argsort(-z, axis=1, kind="stable")[:, :k], 1.0, axis=1)
    return out


GATING = [
    ("top k after the softmax, not renormalised", _top_k_after_softmax, "AFTER the softmax"),
    ("full softmax", lambda z, k: _softmax(z), "top k experts"),
    ("masked with 0", _masked_with_zero, "with -inf"),
    ("ones", _one_hot_k, "not 1 for each"),
    ("bottom k", lambda z, k: gating_ref(-z, k), UNKNOWN),
    ("per row only the indices", lambda z, k: np.argsort(-z, axis=1)[:, :k].astype(float), "shape"),
    ("naive exp", lambda z, k: (lambda e: e / e.sum(axis=1, keepdims=True))(
        np.where(_one_hot_k(z, k) > 0, np.exp(np.clip(z, None, 700)), 0.0)), UNKNOWN),
]

# --- InfoNCE -----------------------------------------------------------------------------------

def info_nce_ref(a, b, T):
    logits = a @ b.T / T
    rows = -np.mean(np.diag(_log_softmax(logits, axis=1)))
    cols = -np.mean(np.diag(_log_softmax(logits, axis=0)))
    return (rows + cols) / 2


INFO_NCE = [
    ("one direction (rows)", lambda a, b, T: -np.mean(np.diag(_log_softmax(a @ b.T / T, axis=1))), "one direction"),
    ("one direction (columns)", lambda a, b, T: -np.mean(np.diag(_log_softmax(a @ b.T / T, axis=0))), "columns"),
    ("added", lambda a, b, T: 2 * info_nce_ref(a, b, T), "don't add them"),
    ("no temperature", lambda a, b, T: info_nce_ref(a, b, 1.0), "temperature"),
    ("sum over pairs", lambda a, b, T: len(a) * info_nce_ref(a, b, T), "MEAN over the N pairs"),
    ("normalised inside", lambda a, b, T: info_nce_ref(a / np.linalg.norm(a, axis=1, keepdims=True),
                                                     b / np.linalg.norm(b, axis=1, keepdims=True), T), UNKNOWN),
    ("a vector", lambda a, b, T: -np.diag(_log_softmax(a @ b.T / T, axis=1)), "one number"),
]

CORPUS = {
    "check_distillation_loss": (distill_ref, DISTILLATION),
    "check_acceptance": (accept_ref, ACCEPTANCE),
    "check_residual": (residual_ref, RESIDUAL),
    "check_top_k_gating": (gating_ref, GATING),
    "check_info_nce": (info_nce_ref, INFO_NCE),
}
MUTANTS = [(check, name, fn, expect) for check, (_, mutants) in CORPUS.items() for name, fn, expect in mutants]


@pytest.mark.parametrize("check", sorted(CORPUS))
def test_the_reference_passes(check, capsys):
    result = getattr(ex, check)(CORPUS[check][0])
    assert result.passed, str(result)


@pytest.mark.parametrize("check, name, fn, expect", MUTANTS, ids=[f"{c}-{n}" for c, n, _, _ in MUTANTS])
def test_each_mutant_is_rejected_with_its_own_hint(check, name, fn, expect, capsys):
    result = getattr(ex, check)(fn)
    assert not result.passed and result.attempted, f"{check} accepts the mutant {name!r}"
    assert expect in result.hint, f"{check}, mutant {name!r}: expected a hint with {expect!r}, got:\n{result}"
    if expect != UNKNOWN:
        assert not result.hint.startswith(UNKNOWN), result.hint


def test_the_corpus_covers_every_check_of_the_lesson():
    from softmax_lab.lessons import lesson

    function_checks = {name for name in lesson("13").checks if name.startswith("check_")}
    assert function_checks == set(CORPUS)
    assert all(len(m) >= 6 for _, m in CORPUS.values())


def test_the_cases_include_random_ones_that_differ_from_the_fixed_ones():
    from softmax_lab.exercises import llm

    for cases in (llm._distillation_cases(), llm._acceptance_cases(), llm._residual_cases(), llm._gating_cases(),
                  llm._info_nce_cases()):
        assert any(c.what.startswith("random") for c in cases)


@pytest.mark.slow
def test_the_lesson_s_predictions_are_computed():
    """The answers come from the lesson's own runs; these are what the lesson's prose relies on."""
    from softmax_lab.llm_experiments import distillation_comparison
    from softmax_lab.llm_pairs import contrastive_comparison, dpo_comparison

    assert registered_answer("13.ranking-under-temperature") is False
    assert registered_answer("13.load-under-scale") is False
    soft, hard = distillation_comparison()["soft"][0], distillation_comparison()["hard"][0]
    assert registered_answer("13.soft-targets-win") is (soft < hard)
    kl = {b: r.kl for b, r in dpo_comparison().items()}
    assert registered_answer("13.furthest-beta") == "smallest" and max(kl, key=kl.get) == min(kl)
    acc = {T: a for T, (a, _) in contrastive_comparison().items() if T is not None}
    assert registered_answer("13.best-contrastive-temperature") == f"{max(acc, key=acc.get):g}"
    from softmax_lab import lm

    def overlap(T, context="the cat sat on the"):
        p, q = (_softmax(lm.next_token_logits(lm.load(name), context) / T) for name in ("best", "early"))
        return np.sum(np.minimum(p, q))
    assert overlap(0.25) > overlap(1.0) and registered_answer("13.acceptance-colder") == "rises"
    assert overlap(0.25, "the dog") < overlap(1.0, "the dog")       # the lesson's counter-example
