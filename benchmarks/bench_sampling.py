"""Benchmark softmax_lab.sampling: one next-token draw, as a ratio to one full softmax.

For vocabularies of 50257 (GPT-2) and 128256 (Llama 3) float32 logits, one row, it times

* ``softmax``: ``softmax_lab.softmax`` of the logits, the reference (ratio 1.00x);
* ``sample``: plain sampling at T = 1 (softmax, cumulative sum, one draw);
* ``top_k50``: ``sample(top_k=50)``;
* ``top_p.9``: ``sample(top_p=0.9)``, whose top-p sorts each row once (a stable sort of the
  whole vocabulary, the textbook rule).

The logits look like a language model's: N(0, 1) * 3 for the vocabulary, plus five tokens at
17, 16, 15, 14 and 13 that hold most of the probability (how many tokens top-p keeps is printed).
Methods run round-robin in one process (benchmarks/_timing.py); medians are printed as ratios.
Timings on a shared machine are noisy: read them as orders of magnitude, never as a pass/fail.

Usage: python benchmarks/bench_sampling.py [--rounds 7]
"""

import argparse

import numpy as np
from _timing import print_row, round_robin

from softmax_lab import sampling, softmax

VOCABULARIES = [50257, 128256]


def logits_like_a_language_model(V, seed=0):
    """N(0, 1) * 3 float32 logits with five large ones: a peaked head and a long tail."""
    rng = np.random.default_rng(seed)
    z = (rng.standard_normal(V) * 3.0).astype(np.float32)
    z[rng.choice(V, size=5, replace=False)] = [17.0, 16.0, 15.0, 14.0, 13.0]
    return z


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    for V in VOCABULARIES:
        z = logits_like_a_language_model(V)
        rng = np.random.default_rng(1)
        kept = int(np.isfinite(sampling.filter_top_p(z, 0.9)).sum())
        methods = {
            "softmax": lambda: softmax(z),
            "sample": lambda: sampling.sample(z, rng=rng),
            "top_k50": lambda: sampling.sample(z, top_k=50, rng=rng),
            "top_p.9": lambda: sampling.sample(z, top_p=0.9, rng=rng),
        }
        medians = round_robin(methods, rounds=args.rounds)
        print_row(f"V={V} float32 (top-p keeps {kept})", medians, "softmax")


if __name__ == "__main__":
    main()
