"""Tests for softmax_lab.decoding: beam search against brute force, greedy against a hand loop
and against lm.generate, sampling frequencies, and the repetition measure.

The brute-force references enumerate every sequence of a tiny random model (V = 3 tokens whose
next-token distribution depends on the last two tokens), so "the best sequence" is known exactly.
"""

import itertools

import numpy as np
import pytest
from scipy import special, stats

from softmax_lab import lm
from softmax_lab.decoding import (
    Hypothesis,
    LMScorer,
    beam_search,
    greedy_decode,
    repetition,
    sample_decode,
    sequence_log_prob,
)


def tiny_model(seed, V=3):
    """A random model whose next token depends on the last two tokens: returns (scorer, table)."""
    rng = np.random.default_rng(seed)
    table = np.log(rng.dirichlet(np.full(V, 0.7), size=(V + 1, V + 1)))   # index V = "none yet"

    def scorer(tokens):
        a = tokens[-2] if len(tokens) >= 2 else V
        b = tokens[-1] if tokens else V
        return table[a, b]
    return scorer


def brute_force(scorer, V, L, end=None, length_penalty=0.0):
    """Every complete sequence with its log-probability, best first (same ranking rule)."""
    out = []
    for length in range(1, L + 1):
        for seq in itertools.product(range(V), repeat=length):
            if end is not None and end in seq[:-1]:
                continue                         # nothing follows the end token
            done = end is not None and seq[-1] == end
            if not done and length < L:
                continue                         # unfinished sequences only at the length limit
            lp = sum(scorer(seq[:t])[seq[t]] for t in range(length))
            score = lp / length ** length_penalty if length_penalty else lp
            out.append((score, seq, lp))
    out.sort(key=lambda x: (-x[0], x[1]))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_exhaustive_beam_finds_the_exact_best_sequence(seed):
    scorer, V, L = tiny_model(seed), 3, 4
    best = brute_force(scorer, V, L)
    found = beam_search(scorer, beam_width=V ** L, max_length=L)
    assert len(found) == V ** L
    assert [h.tokens for h in found[:10]] == [s for _, s, _ in best[:10]]
    assert found[0].log_prob == pytest.approx(best[0][2])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("length_penalty", [0.0, 1.0])
def test_exhaustive_beam_with_an_end_token(seed, length_penalty):
    scorer, V, L = tiny_model(seed), 3, 4
    best = brute_force(scorer, V, L, end=2, length_penalty=length_penalty)
    found = beam_search(scorer, beam_width=V ** L, max_length=L, end=2, length_penalty=length_penalty)
    assert [h.tokens for h in found[:5]] == [s for _, s, _ in best[:5]]
    assert found[0].score == pytest.approx(best[0][0])
    assert all(h.finished == (h.tokens[-1] == 2) for h in found)


def test_narrow_beams_are_never_better_than_the_exact_best():
    for seed in range(10):
        scorer = tiny_model(seed)
        exact = brute_force(scorer, 3, 5)[0][2]
        for B in (1, 2, 3, 5):
            assert beam_search(scorer, B, 5)[0].log_prob <= exact + 1e-12


def test_greedy_is_the_argmax_loop():
    for seed in range(5):
        scorer = tiny_model(seed)
        tokens, total = (), 0.0
        for _ in range(6):
            lp = special.log_softmax(scorer(tokens))
            tokens, total = tokens + (int(np.argmax(lp)),), total + lp.max()
        h = greedy_decode(scorer, max_length=6)
        assert h.tokens == tokens and h.log_prob == pytest.approx(total) and not h.finished


def test_beam_stops_when_finished_sequences_cannot_be_beaten():
    calls = []
    lp = np.log([0.5, 0.3, 0.2])

    def scorer(tokens):
        calls.append(tokens)
        return np.log([0.02, 0.02, 0.96]) if tokens else lp
    found = beam_search(scorer, beam_width=2, max_length=50, end=2)
    assert [h.tokens for h in found] == [(0, 2), (1, 2)]
    assert len(calls) <= 5              # not 50 steps


def test_scores_are_normalised_so_logits_work_too():
    logits = np.array([3.0, 1.0, 0.5])
    a = beam_search(lambda t: logits, 2, 3)
    b = beam_search(lambda t: special.log_softmax(logits), 2, 3)
    assert [h.tokens for h in a] == [h.tokens for h in b]
    assert a[0].log_prob == pytest.approx(b[0].log_prob)
    masked = beam_search(lambda t: np.array([0.0, -np.inf, 0.0]), 9, 2)
    assert all(1 not in h.tokens for h in masked) and len(masked) == 4


def test_sequence_log_prob_and_sampling_agree():
    scorer = tiny_model(1)
    h = sample_decode(scorer, max_length=8, rng=3)
    assert h.log_prob == pytest.approx(sequence_log_prob(scorer, h.tokens))
    assert h == sample_decode(scorer, max_length=8, rng=3)
    assert sample_decode(scorer, 8, rng=np.random.default_rng(3)) == h
    assert sample_decode(scorer, 8, temperature=0).tokens == greedy_decode(scorer, 8).tokens


@pytest.mark.slow
def test_sampled_first_tokens_follow_the_tempered_softmax():
    logits = np.array([1.0, 0.0, -1.0])
    rng = np.random.default_rng(0)
    for T in (1.0, 2.0):
        first = [sample_decode(lambda t: logits, 1, rng=rng, temperature=T).tokens[0] for _ in range(3000)]
        counts = np.bincount(first, minlength=3)
        assert stats.chisquare(counts, 3000 * special.softmax(logits / T)).pvalue > 1e-6
    assert stats.chisquare(counts, 3000 * special.softmax(logits)).pvalue < 1e-6


def test_repetition():
    assert repetition([1, 2, 3, 4], n=1) == 0.0
    assert repetition([1, 1, 1, 1], n=1) == 0.75
    assert repetition("a b a b a b".split(), n=2) == pytest.approx(3 / 5)
    assert repetition([1], n=2) == 0.0


@pytest.mark.parametrize("output", [np.array([np.nan, 0.0]), np.zeros((2, 2)), np.array([]),
                                    np.array([np.inf, 0.0]), np.array([-np.inf, -np.inf]), np.array(["a"])])
def test_bad_scorer_output_is_refused_naming_the_scorer(output):
    with pytest.raises(ValueError, match="next_log_probs"):
        beam_search(lambda t: output, 2, 2)


def test_extreme_scores_give_no_warnings(no_warnings):
    h = beam_search(lambda t: np.array([1e308, -1e308, -np.inf]), 3, 3)
    assert h[0].tokens == (0, 0, 0) and np.isfinite(h[0].log_prob)


# ---------------------------------------------------------------------------------------------
# with the tiny language model

@pytest.fixture(scope="module")
def model():
    return lm.load("best")


def test_lm_greedy_matches_generate_at_temperature_zero(model):
    for prompt in ("the cat sat on the", "the dog", ""):
        scorer = LMScorer(model, prompt)
        greedy = scorer.words(greedy_decode(scorer, max_length=12).tokens)
        assert greedy == lm.generate(model, prompt, 12, temperature=0)


def test_lm_log_probs_match_sequence_log_probs(model):
    scorer = LMScorer(model, "the dog")
    h = beam_search(scorer, beam_width=3, max_length=8, end=scorer.end)[0]
    np.testing.assert_allclose(h.log_prob, lm.sequence_log_probs(model, scorer.words(h.tokens), "the dog").sum())
    assert h.finished and scorer.words(h.tokens)[-1] == "."


def test_lm_beam_beats_greedy_on_log_probability_and_greedy_repeats(model):
    scorer = LMScorer(model, "the cat sat on the")
    greedy = greedy_decode(scorer, max_length=30)
    beam = beam_search(scorer, beam_width=4, max_length=30)[0]
    sampled = [sample_decode(scorer, 30, rng=s) for s in range(5)]
    assert beam.log_prob > greedy.log_prob
    assert all(s.log_prob < greedy.log_prob for s in sampled)
    assert repetition(greedy.tokens) > 0.5 > max(repetition(s.tokens) for s in sampled)


def test_lm_scorer_caches_and_checks(model):
    scorer = LMScorer(model, ["The", "cat"])
    for tokens in ((), (), (1,)):
        scorer(tokens)
    assert scorer.calls == 2 and scorer.prompt == ["the", "cat"]
    assert isinstance(greedy_decode(scorer, 1), Hypothesis)
