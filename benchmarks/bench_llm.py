"""Benchmark the LLM modules of lesson 13 (distillation, speculative, routing, contrastive, preference).

Each row times one function against the plain softmax work it is built on, so the ratio says
what the extra step costs:

* ``distillation_loss`` (loss and gradient) on (32, 8192) float32 logits, against two
  ``softmax`` calls of the same logits (the least it could do: both distributions);
* ``info_nce`` (loss and both gradients) on N = 512 pairs of d = 64 float32 embeddings, against one
  ``cross_entropy`` of the (512, 512) logits ``a @ b.T / T`` (the one-directional loss without
  gradients), and against that matrix product alone;
* ``top_k_gating`` (k = 2, renormalised) and ``load_balancing_loss`` on 4096 tokens x 8 experts,
  against one ``softmax`` of the router logits;
* ``dpo_loss`` on a batch of 4096 pairs, against one ``log_sigmoid`` of the margins.

Then speculative decoding with the course's tiny language model: the ``best`` checkpoint is the
target and the ``early`` checkpoint drafts for it, both sampled at T = 1. For gamma = 1, 2, 4
and 8 it runs draft-and-verify rounds from a few prompts and prints the acceptance rate, the
tokens per target call measured against (1 - alpha**(gamma+1)) / (1 - alpha), and the wall time
per token as a ratio to plain sampling from the target (one target call per token). The draft
here is the *same size* as the target, so the wall time cannot improve: the speed-up of real
speculative decoding comes from a draft many times cheaper than the target and from a target
call on gamma + 1 positions costing about what a call on one costs (a GPU is bound by reading
the weights). Target calls per token is the number that carries over.

Methods run round-robin in one process (benchmarks/_timing.py); medians are printed as ratios.
Timings on a shared machine are noisy: read them as orders of magnitude, never as a pass/fail.

Usage: python benchmarks/bench_llm.py [--rounds 7] [--tokens 400]
"""

import argparse

import numpy as np
from _timing import print_row, round_robin

from softmax_lab import cross_entropy, lm, log_sigmoid, softmax
from softmax_lab.contrastive import info_nce
from softmax_lab.distillation import distillation_loss
from softmax_lab.preference import dpo_loss
from softmax_lab.routing import load_balancing_loss, top_k_gating
from softmax_lab.speculative import expected_tokens_per_call, speculative_step

PROMPTS = ["the cat sat on the", "a dog", "the old man saw", ""]


def bench_losses(rounds):
    rng = np.random.default_rng(0)
    student = (rng.standard_normal((32, 8192)) * 3).astype(np.float32)
    teacher = (rng.standard_normal((32, 8192)) * 3).astype(np.float32)
    medians = round_robin({
        "two_softmaxes": lambda: (softmax(student, temperature=2.0), softmax(teacher, temperature=2.0)),
        "distillation": lambda: distillation_loss(student, teacher, 2.0),
    }, rounds=rounds)
    print_row("distillation (32, 8192) f32", medians, "two_softmaxes")

    a = rng.standard_normal((512, 64)).astype(np.float32)
    b = (a + 0.5 * rng.standard_normal((512, 64))).astype(np.float32)
    targets = np.arange(512)
    medians = round_robin({
        "cross_entropy": lambda: cross_entropy(a @ b.T, targets, temperature=0.07),
        "matmul": lambda: a @ b.T,
        "info_nce": lambda: info_nce(a, b, 0.07),
    }, rounds=rounds)
    print_row("info_nce N=512 d=64 f32", medians, "cross_entropy")

    router = rng.standard_normal((4096, 8)).astype(np.float32)
    medians = round_robin({
        "softmax": lambda: softmax(router),
        "top_k_gating": lambda: top_k_gating(router, 2),
        "load_balancing": lambda: load_balancing_loss(router, 2),
    }, rounds=rounds)
    print_row("routing 4096 tokens x 8 experts", medians, "softmax")

    logps = [-rng.uniform(1, 50, 4096) for _ in range(4)]
    margins = 0.1 * ((logps[0] - logps[2]) - (logps[1] - logps[3]))
    medians = round_robin({
        "log_sigmoid": lambda: log_sigmoid(margins),
        "dpo_loss": lambda: dpo_loss(*logps, 0.1),
    }, rounds=rounds)
    print_row("dpo_loss 4096 pairs", medians, "log_sigmoid")


class Model:
    """A checkpoint as next-token probability functions over token ids, counting its calls."""

    def __init__(self, name):
        self.model = lm.load(name)
        self.start = self.model.index[lm.START]
        self.calls = 0

    def _ids(self, context):
        n = self.model.context_size
        return ([self.start] * n + list(context))[-n:]

    def batch(self, contexts):                                 # one call, many contexts
        self.calls += 1
        return softmax(lm.forward(self.model.weights, np.array([self._ids(c) for c in contexts])))

    def one(self, context):
        return self.batch([context])[0]


def prompt_ids(model, text):
    return tuple(model.model.index.get(w, model.model.index[lm.UNK]) for w in lm.tokenize(text))


def bench_speculative(rounds, n_tokens):
    target, draft = Model("best"), Model("early")
    prompts = [prompt_ids(target, p) for p in PROMPTS]

    def plain():
        rng = np.random.default_rng(0)
        for context in prompts:
            tokens = context
            for _ in range(n_tokens // len(prompts)):
                p = target.one(tokens)
                tokens += (int(rng.choice(len(p), p=p)),)

    def speculative(gamma, stats=None):
        rng = np.random.default_rng(0)
        for context in prompts:
            tokens, made = context, 0
            while made < n_tokens // len(prompts):
                step = speculative_step(target.batch, draft.one, tokens, gamma, rng)
                tokens += step.tokens
                made += len(step.tokens)
                if stats is not None:
                    stats.append(step)

    gammas = [1, 2, 4, 8]
    medians = round_robin({"plain": plain, **{f"gamma={g}": (lambda g=g: speculative(g)) for g in gammas}},
                          rounds=rounds, min_time=1e-9)   # one run each per round
    print_row(f"speculative, {n_tokens} tokens (time)", medians, "plain", unit="ms")
    for g in gammas:
        steps = []
        speculative(g, steps)
        verified = sum(s.n_accepted + (s.n_accepted < s.gamma) for s in steps)   # drafts up to the first rejection
        accepted = sum(s.n_accepted for s in steps) / verified
        per_call = np.mean([len(s.tokens) for s in steps])
        print(f"{'':34} gamma={g}: acceptance {accepted:.3f}, tokens per target call {per_call:.2f} "
              f"(formula at that acceptance: {float(expected_tokens_per_call(accepted, g)):.2f}), "
              f"target calls per token {1 / per_call:.2f}x plain's, draft calls per token {g / per_call:.2f}",
              flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--tokens", type=int, default=400)
    args = parser.parse_args()
    bench_losses(args.rounds)
    bench_speculative(max(3, args.rounds // 2), args.tokens)


if __name__ == "__main__":
    main()
