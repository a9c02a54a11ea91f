"""Benchmark lesson 10/11's helpers, as ratios: softmax's alternatives, decoders and the bandit.

* Alternatives, on float32 rows like a language model's logits, each as a ratio to
  ``softmax_lab.softmax`` of the same rows: ``sparsemax`` (one sort per row), ``entmax``
  with alpha = 1.5 (60 bisection steps), ``gumbel_softmax`` (one Gumbel draw per entry, then a
  softmax) and ``sigmoid_attention_weights`` (element-wise).
* Decoding with the tiny language model (445 words, 20 words per text, a fresh scorer each time
  so that no cached context helps): ``beam_search`` with widths 2, 4 and 8 against greedy
  decoding (width 1), and one seeded sample.
* The bandit: 20 runs played side by side (vectorised over runs) against one run, 1000 pulls.

Methods run round-robin in one process (benchmarks/_timing.py); medians are printed as ratios.
Timings on a shared machine are noisy: read them as orders of magnitude, never as a pass/fail.

Usage: python benchmarks/bench_applications.py [--rounds 5]
"""

import argparse

import numpy as np
from _timing import print_row, round_robin

from softmax_lab import lm, softmax
from softmax_lab.alternatives import entmax, gumbel_softmax, sigmoid_attention_weights, sparsemax
from softmax_lab.bandits import run_bandit
from softmax_lab.decoding import LMScorer, beam_search, greedy_decode, sample_decode


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    for shape in [(64, 1000), (1, 50257)]:
        z = (rng.standard_normal(shape) * 3.0).astype(np.float32)
        methods = {
            "softmax": lambda z=z: softmax(z),
            "sparsemax": lambda z=z: sparsemax(z),
            "entmax1.5": lambda z=z: entmax(z, alpha=1.5),
            "gumbel_softmax": lambda z=z: gumbel_softmax(z, rng=rng),
            "sigmoid_attn": lambda z=z: sigmoid_attention_weights(z),
        }
        medians = round_robin(methods, rounds=args.rounds)
        print_row(f"alternatives, float32 {shape}", medians, "softmax")

    model = lm.load("best")
    methods = {
        "greedy": lambda: greedy_decode(LMScorer(model, "the dog"), 20),
        "beam2": lambda: beam_search(LMScorer(model, "the dog"), 2, 20),
        "beam4": lambda: beam_search(LMScorer(model, "the dog"), 4, 20),
        "beam8": lambda: beam_search(LMScorer(model, "the dog"), 8, 20),
        "sample": lambda: sample_decode(LMScorer(model, "the dog"), 20, rng=0),
    }
    medians = round_robin(methods, rounds=args.rounds, min_time=0.05)
    print_row("decoding 20 words, tiny LM", medians, "greedy", unit="ms")

    methods = {
        "1 run": lambda: run_bandit(n_steps=1000, n_runs=1),
        "20 runs": lambda: run_bandit(n_steps=1000, n_runs=20),
    }
    medians = round_robin(methods, rounds=args.rounds, min_time=0.1)
    print_row("bandit, 1000 pulls", medians, "1 run", unit="ms")
    print(f"{'':34} 20 runs side by side cost {medians['20 runs'] / medians['1 run']:.1f}x one run "
          "(20x if played one after the other)", flush=True)


if __name__ == "__main__":
    main()
