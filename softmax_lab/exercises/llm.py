"""Lesson 13: the predictions of the lesson, and checks of a learner's distillation loss, speculative
acceptance and residual, top-k gating and InfoNCE."""

import functools

import numpy as np

from ..contrastive import info_nce
from ..distillation import distillation_loss
from ..functions import log_softmax, softmax
from ..routing import top_k_gating
from ..speculative import residual_distribution
from ._machinery import NEG_INF, Case, first_matching, guarded, nonfinite, quiet, run_battery, shape_hint, unknown
from .predict import register_prediction

# --------------------------------------------------------------------------------------------
# Lesson 13: the "Predict first" questions (answers computed from softmax_lab, never typed)
# --------------------------------------------------------------------------------------------


def _ranking_changes(temperature=4.0, k=10):
    from .. import lm
    z = lm.next_token_logits(lm.load("best"), "the cat sat on the")
    top = np.argsort(-z, kind="stable")[:k]
    hot = softmax(z, temperature=temperature)
    return bool(np.any(np.argsort(-hot[top], kind="stable") != np.arange(k)))


def _soft_targets_win():
    from ..llm_experiments import distillation_comparison
    result = distillation_comparison()
    return bool(result["soft"][0] < result["hard"][0])


def _acceptance_when_colder(context="the cat sat on the", hot=1.0, cold=0.25):
    from .. import lm
    from ..speculative import acceptance_probability
    best, early = lm.load("best"), lm.load("early")

    def alpha(T):
        return float(acceptance_probability(softmax(lm.next_token_logits(best, context), temperature=T),
                                            softmax(lm.next_token_logits(early, context), temperature=T)))
    return "rises" if alpha(cold) > alpha(hot) else "falls"


def _load_changes_with_scale(factor=10.0):
    from ..llm_experiments import lesson_router
    hidden, W0, _ = lesson_router()
    z = hidden @ W0
    _, before = top_k_gating(z, 2)
    _, after = top_k_gating(factor * z, 2)
    count = functools.partial(np.bincount, minlength=W0.shape[1])
    return bool(np.any(count(before.ravel()) != count(after.ravel())))


def _best_contrastive_temperature():
    from ..llm_pairs import contrastive_comparison
    fixed = {T: acc for T, (acc, _) in contrastive_comparison().items() if T is not None}
    return f"{max(fixed, key=fixed.get):g}"


def _furthest_beta():
    from ..llm_pairs import dpo_comparison
    results = dpo_comparison()
    betas = sorted(results)
    furthest = max(betas, key=lambda b: results[b].kl)
    return {betas[0]: "smallest", betas[-1]: "largest"}.get(furthest, "middle")


register_prediction(
    "13.ranking-under-temperature", question="at T = 4, does the order of the teacher's ten top words change (yes/no)",
    kind="yesno", answer=lambda: _ranking_changes(),
    explain="no: dividing every logit by the same T > 0 keeps their order; only the gaps between the "
            "probabilities shrink.")
register_prediction(
    "13.soft-targets-win", question="does the student trained on soft targets reach a lower validation loss "
                                    "than the one trained on hard labels (yes/no)",
    kind="yesno", answer=lambda: _soft_targets_win(),
    explain="the soft targets tell the student, for every example, how plausible each other word is: far "
            "more information per example than one hard label, which matters most on a small training set.")
register_prediction(
    "13.acceptance-colder", question='for "the cat sat on the", does the acceptance rate rise or fall as T '
                                     "drops from 1 to 0.25",
    kind="choice", choices=("rises", "falls", "stays the same"), answer=lambda: _acceptance_when_colder(),
    explain="both distributions pile onto their top word as T drops; here both models' top word is mat, so "
            "their overlap grows. Where the two top words differ it shrinks (try \"the dog\").")
register_prediction(
    "13.load-under-scale", question="if every router logit is multiplied by 10, does the share of tokens each "
                                    "expert receives change (yes/no)",
    kind="yesno", answer=lambda: _load_changes_with_scale(),
    explain="no: multiplying the logits by a positive number keeps each token's ranking of the experts, so "
            "the top k are the same experts. The probabilities sharpen, and the z-loss grows with the square.")
register_prediction(
    "13.best-contrastive-temperature", question="which fixed temperature gives the best retrieval: 0.02, 0.1 or 1",
    kind="choice", choices=("0.02", "0.1", "1"), answer=lambda: _best_contrastive_temperature(),
    explain="T = 1 cannot make the right pair stand out (cosines lie in [-1, 1], so the logits too); "
            "T = 0.02 makes each batch's loss hinge on its hardest negative. The middle one trains best here.")
register_prediction(
    "13.furthest-beta", question="which of the three betas moves the tuned model furthest from the reference (KL)",
    kind="choice", choices=("smallest", "middle", "largest"), answer=lambda: _furthest_beta(),
    explain="the DPO loss stops pushing once beta times the margin is a few units; a small beta needs a larger "
            "margin for that, so the policy drifts further.")

# --------------------------------------------------------------------------------------------
# Exercise 1: the distillation loss
# --------------------------------------------------------------------------------------------

KL_DIRECTION_HINT = ("KL the wrong way round: distillation uses KL(teacher || student) = sum p_teacher * "
                     "(log p_teacher - log p_student), weighted by the TEACHER's probabilities.")


def _kl(p_log, q_log):
    """Mean over rows of KL(p || q) from log-probabilities (0 log 0 = 0)."""
    p = np.exp(p_log)
    return float(np.mean(np.sum(np.where(p > 0, p * (p_log - np.where(p > 0, q_log, 0.0)), 0.0), axis=-1)))


@functools.lru_cache(maxsize=1)
def _distillation_cases():
    rng = np.random.default_rng(13)
    raw = [
        ("one row, T = 2", np.array([[1.0, 1.0, 1.0]]), np.array([[3.0, 1.0, 0.0]]), 2.0, "basic"),
        ("two rows, T = 4", np.array([[0.5, 2.0, -1.0], [1.0, 0.0, 0.0]]),
         np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0]]), 4.0, "batch"),
        ("a teacher that is sure, T = 0.5", np.array([[0.0, 1.0, 2.0, 0.5]]), np.array([[6.0, 0.0, 1.0, 0.0]]),
         0.5, "basic"),
        ("large logits: exp(1000) overflows, T = 3", np.array([[1000.0, 998.0, 990.0]]),
         np.array([[996.0, 1000.0, 999.0]]), 3.0, "overflow"),
        ("a class both mask (-inf), T = 2", np.array([[1.0, NEG_INF, 0.0]]), np.array([[0.0, NEG_INF, 2.0]]),
         2.0, "mask"),
    ]
    n, k = int(rng.integers(3, 6)), int(rng.integers(5, 9))
    raw.append((f"random: {n} rows of {k} classes, T = 5", rng.normal(0, 2, (n, k)), rng.normal(0, 3, (n, k)),
                5.0, "batch"))
    return [Case(what, (s, t, T), float(distillation_loss(s, t, T)[0]), tag, rtol=1e-6, atol=1e-9)
            for what, s, t, T, tag in raw]


def _distillation_mistakes(s, t, T):
    ls, lt = log_softmax(s, temperature=T), log_softmax(t, temperature=T)
    kl = _kl(lt, ls)
    ls1 = log_softmax(s)
    lt1 = log_softmax(t)
    rows = s.shape[0]
    return [
        (T * kl, "the gradient of the KL shrinks like 1/T**2, so the loss is multiplied by T**2, not by T."),
        (kl, "multiply the KL by T**2 (Hinton et al.): without it the soft loss's gradient shrinks like 1/T**2."),
        (kl / T**2, "multiply the KL by T**2, don't divide by it."),
        (T**2 * _kl(ls, lt), KL_DIRECTION_HINT),
        (T * _kl(ls, lt), KL_DIRECTION_HINT + " (And the factor is T**2, not T.)"),
        (T**2 * kl * rows, "take the MEAN of the KL over the rows, not the sum."),
        (T**2 * _kl(lt1, ls1), "divide both models' logits by T before the softmax: the soft targets are "
                               "softmax(z / T)."),
        (T**2 * _kl(lt, ls1), "divide the STUDENT's logits by T too: both distributions are softened by the same T."),
        (T**2 * float(np.mean(np.sum(np.where(np.isfinite(ls), -np.exp(lt) * np.where(np.isfinite(ls), ls, 0), 0),
                                     axis=-1))),
         "that is the cross-entropy H(p_teacher, p_student); the KL subtracts the teacher's entropy from it "
         "(same gradient, but the loss should be 0 when the student equals the teacher)."),
    ]


def _distillation_hint(case, got, outcome):
    if got.shape != ():
        return "return one number: T**2 times the mean over the rows of KL(teacher || student)."
    known = first_matching(got, _distillation_mistakes(*case.args), case.expected)
    if known:
        return known
    if nonfinite(got, case.expected) or outcome.warnings:
        return ("use log_softmax (from softmax_lab) for the log-probabilities, and skip the classes the teacher "
                "gives probability 0: np.log(softmax(...)) overflows or gives 0 * -inf = nan.")
    return unknown("T**2 * mean over rows of sum p_t (log p_t - log p_s), with p = softmax(z / T) for both.")


@guarded("check_distillation_loss")
def check_distillation_loss(fn):
    r"""Check a learner's distillation loss ``fn(student_logits, teacher_logits, temperature)``.

    It must return :math:`T^2 \cdot \frac{1}{N}\sum_n \mathrm{KL}(p^t_n \| p^s_n)` with
    :math:`p = \mathrm{softmax}(z / T)` (as :func:`softmax_lab.distillation.distillation_loss`'s loss).

    Examples
    --------
    >>> from softmax_lab.distillation import distillation_loss
    >>> check_distillation_loss(lambda s, t, T: distillation_loss(s, t, T)[0]).passed
    ✔ check_distillation_loss: all 6 cases passed. Well done!
    True
    """
    return run_battery("check_distillation_loss", fn, _distillation_cases(), _distillation_hint)


# --------------------------------------------------------------------------------------------
# Exercise 2: speculative sampling's acceptance probability and residual
# --------------------------------------------------------------------------------------------


def _pq_pairs(seed):
    rng = np.random.default_rng(seed)
    pairs = [
        ("three words", np.array([0.6, 0.3, 0.1]), np.array([0.2, 0.3, 0.5]), "basic"),
        ("the draft is too sure of word 0", np.array([0.4, 0.35, 0.25]), np.array([0.9, 0.05, 0.05]), "basic"),
        ("p = q on one word", np.array([0.5, 0.25, 0.25]), np.array([0.25, 0.25, 0.5]), "basic"),
    ]
    for n in (int(rng.integers(5, 9)), int(rng.integers(10, 15))):
        p, q = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(n) * 0.5)
        q = (q + 1e-3) / (q + 1e-3).sum()                 # the draft never rules a token out
        pairs.append((f"random: {n} words", p, q, "random"))
    return pairs


@functools.lru_cache(maxsize=1)
def _acceptance_cases():
    return [Case(what, (p, q), np.minimum(1.0, p / q), tag) for what, p, q, tag in _pq_pairs(21)]


def _acceptance_hint(case, got, outcome):
    p, q = case.args
    hint = shape_hint(got, case.expected, "p")
    if hint:
        return hint
    known = first_matching(got, [
        (p / q, "cap it at 1: accept with probability min(1, p/q). Where the target likes a word more than the "
                "draft (p > q), p/q is above 1, and a probability cannot be."),
        (np.minimum(1.0, q / p), "the other way round: min(1, p/q), target over draft. A word the draft "
                                 "over-proposes (q > p) must be accepted LESS often."),
        (q / p, "min(1, p/q): target over draft, capped at 1."),
        (np.minimum(p, q), "min(p, q) is the chance the word is drafted AND accepted; the acceptance probability "
                           "of a word already drafted is min(p, q) / q = min(1, p/q)."),
        (np.maximum(0.0, p - q), "max(0, p - q) is the residual's source, not the acceptance probability min(1, p/q)."),
    ], case.expected)
    return known or unknown("accept a drafted word x with probability min(1, p(x) / q(x)).")


@guarded("check_acceptance")
def check_acceptance(fn):
    """Check ``fn(p, q)``: the probability of accepting each word if the draft proposes it, min(1, p/q).

    Examples
    --------
    >>> check_acceptance(lambda p, q: np.minimum(1, p / q)).passed
    ✔ check_acceptance: all 5 cases passed. Well done!
    True
    """
    return run_battery("check_acceptance", fn, _acceptance_cases(), _acceptance_hint)


@functools.lru_cache(maxsize=1)
def _residual_cases():
    return [Case(what, (p, q), residual_distribution(p, q), tag) for what, p, q, tag in _pq_pairs(22)]


NORMALISE_FIRST_HINT = ("clip first, then normalise: max(0, p - q) / sum(max(0, p - q)). The differences p - q "
                        "sum to 0, so normalising them before clipping divides by (almost) 0.")


def _residual_hint(case, got, outcome):
    p, q = case.args
    hint = shape_hint(got, case.expected, "p")
    if hint:
        return hint
    excess = np.maximum(0.0, p - q)
    known = first_matching(got, [
        (quiet(lambda: np.maximum(0.0, (p - q) / np.sum(p - q))), NORMALISE_FIRST_HINT),
        (quiet(lambda: (p - q) / np.sum(p - q)), NORMALISE_FIRST_HINT + " (And clip the negative entries to 0.)"),
        (excess, "normalise: divide max(0, p - q) by its sum (which is 1 - the acceptance rate), so the residual "
                 "sums to 1."),
        (np.maximum(0.0, q - p) / np.sum(np.maximum(0.0, q - p)),
         "the residual is where the TARGET has more than the draft: max(0, p - q), not max(0, q - p)."),
        (np.abs(p - q) / np.sum(np.abs(p - q)), "clip the negative differences to 0 (np.maximum(0, p - q)); "
                                               "np.abs keeps them as positive mass."),
        (p, "after a rejection, draw from the residual max(0, p - q) normalised, not from p itself: p would count "
            "the accepted mass twice."),
    ], case.expected)
    if known:
        return known
    if nonfinite(got, case.expected) or outcome.warnings:
        return NORMALISE_FIRST_HINT
    total = float(np.sum(got))
    return unknown("max(0, p - q) / sum(max(0, p - q))" + ("." if np.isclose(total, 1.0) else
                                                            f" (yours sums to {total:.4g}, not 1)."))


@guarded("check_residual")
def check_residual(fn):
    """Check ``fn(p, q)``: the residual distribution max(0, p - q) normalised.

    Examples
    --------
    >>> check_residual(lambda p, q: (p - q) / np.sum(p - q)).hint.startswith("clip first")
    ✘ check_residual: case 1 of 5 failed (three words)
      called:    <lambda>(np.array([0.6, 0.3, 0.1]), np.array([0.2, 0.3, 0.5]))
      expected:  np.array([1., 0., 0.])
      got:       np.array([-7.205759e+15, -0.000000e+00,  7.205759e+15])
      hint: clip first, then normalise: max(0, p - q) / sum(max(0, p - q)). The differences p - q sum to 0, so normalising them before clipping divides by (almost) 0. (And clip the negative entries to 0.)
    True
    """  # noqa: E501  (wrapping a line would change the docstring's text)
    return run_battery("check_residual", fn, _residual_cases(), _residual_hint)


# --------------------------------------------------------------------------------------------
# Exercise 3: top-k gating, renormalised
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _gating_cases():
    rng = np.random.default_rng(31)
    raw = [
        ("one token, 4 experts, k = 2", np.array([[2.0, 1.0, 0.5, -1.0]]), 2, "basic"),
        ("three tokens, 5 experts, k = 2", np.array([[0.0, 3.0, 1.0, 2.0, -1.0], [1.0, 1.5, 0.2, 0.1, 0.0],
                                                     [-2.0, 0.0, 0.5, 4.0, 3.5]]), 2, "batch"),
        ("k = 3 of 6", np.array([[0.3, -0.2, 1.2, 0.9, 0.0, 2.0]]), 3, "basic"),
        ("large logits: exp(1000) overflows, k = 2", np.array([[1000.0, 999.0, 0.0, 998.0]]), 2, "overflow"),
    ]
    n, e = int(rng.integers(4, 7)), int(rng.integers(6, 10))
    raw.append((f"random: {n} tokens, {e} experts, k = 3", rng.normal(0, 2, (n, e)), 3, "batch"))
    return [Case(what, (z, k), top_k_gating(z, k, renormalize=True)[0], tag) for what, z, k, tag in raw]


def _gating_hint(case, got, outcome):
    z, k = case.args
    hint = shape_hint(got, case.expected, "the router logits")
    if hint:
        return hint
    full = softmax(z)
    switch = top_k_gating(z, k, renormalize=False)[0]
    zeroed = np.where(case.expected > 0, z, 0.0)
    known = first_matching(got, [
        (switch, "you took the top k AFTER the softmax over all experts, so the k weights sum to less than 1 "
                 "(the Switch Transformer's way). Here the softmax runs over the k selected logits only "
                 "(top k BEFORE the softmax, as Mixtral does): the k weights sum to 1."),
        (full, "keep only each token's top k experts: the others get weight exactly 0."),
        (quiet(softmax, zeroed), "mask the unselected experts with -inf before the softmax, not with 0: a logit "
                                 "of 0 still gets probability."),
        ((case.expected > 0).astype(float), "the weights are the softmax over the k selected logits, not 1 for each "
                                            "selected expert."),
    ], case.expected)
    if known:
        return known
    if nonfinite(got, case.expected) or outcome.warnings:
        return "shift by each row's maximum before np.exp (or use softmax_lab.softmax with -inf masks)."
    return unknown("for each row: keep the k largest logits, softmax over them, 0 elsewhere.")


@guarded("check_top_k_gating")
def check_top_k_gating(fn):
    """Check ``fn(router_logits, k)`` -> dense (N, E) weights: softmax over each row's top k logits, 0 elsewhere.

    Examples
    --------
    >>> from softmax_lab.routing import top_k_gating
    >>> check_top_k_gating(lambda z, k: top_k_gating(z, k)[0]).passed
    ✔ check_top_k_gating: all 5 cases passed. Well done!
    True
    """
    return run_battery("check_top_k_gating", fn, _gating_cases(), _gating_hint)


# --------------------------------------------------------------------------------------------
# Exercise 4: the symmetric InfoNCE
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _info_nce_cases():
    rng = np.random.default_rng(41)
    raw = [("3 pairs in 2-D, T = 0.5", np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]),
            np.array([[0.8, 0.6], [0.0, 1.0], [1.0, 0.0]]), 0.5, "basic")]
    n, d = int(rng.integers(4, 7)), int(rng.integers(3, 6))
    raw.append((f"random: {n} pairs in {d}-D, T = 0.1", rng.normal(size=(n, d)), rng.normal(size=(n, d)), 0.1,
                "batch"))
    raw.append(("large logits: T = 0.001", rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), 0.001, "overflow"))
    return [Case(what, (a, b, T), float(info_nce(a, b, T)[0]), tag) for what, a, b, T, tag in raw]


def _info_nce_hint(case, got, outcome):
    a, b, T = case.args
    if got.shape != ():
        return "return one number: the mean of the row-wise and the column-wise cross-entropy."
    logits = a @ b.T / T
    n = len(a)
    rows = -float(np.mean(np.diag(log_softmax(logits, axis=1))))
    cols = -float(np.mean(np.diag(log_softmax(logits, axis=0))))
    plain = a @ b.T
    known = first_matching(got, [
        (rows, "that is only one direction (each a_i picks its b among all b). CLIP's loss is symmetric: the mean "
               "of that and the other direction (each b_i picks its a among all a: the softmax down the columns)."),
        (cols, "that is only one direction (the columns). Average it with the row-wise cross-entropy."),
        (rows + cols, "average the two directions ((rows + columns) / 2), don't add them."),
        ((-float(np.mean(np.diag(log_softmax(plain, axis=1)))) - float(np.mean(np.diag(log_softmax(plain, axis=0)))))
         / 2, "divide the similarities by the temperature T before the softmax."),
        ((rows + cols) / 2 * n, "take the MEAN over the N pairs, not the sum."),
    ], case.expected)
    if known:
        return known
    if nonfinite(got, case.expected) or outcome.warnings:
        return "use log_softmax (from softmax_lab): at small T the logits are huge and np.exp overflows."
    return unknown("logits = a @ b.T / T; loss = (CE of the rows + CE of the columns) / 2, target i for row i.")


@guarded("check_info_nce")
def check_info_nce(fn):
    """Check ``fn(a, b, temperature)`` -> CLIP's symmetric InfoNCE loss (rows of a and b used as given).

    Examples
    --------
    >>> from softmax_lab.contrastive import info_nce
    >>> check_info_nce(lambda a, b, T: info_nce(a, b, T)[0]).passed
    ✔ check_info_nce: all 3 cases passed. Well done!
    True
    """
    return run_battery("check_info_nce", fn, _info_nce_cases(), _info_nce_hint)
