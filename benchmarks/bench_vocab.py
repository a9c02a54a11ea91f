"""Benchmark softmax_lab.vocab: the cost of a large vocabulary, and two ways to pay less.

1. Chunked against full cross-entropy, loss and all gradients, at N = 2,048 tokens, d = 256,
   V = 128,256 (Llama 3) in float32: the peak memory of each call, traced by ``tracemalloc``
   (numpy reports its array allocations to it), and the time of that same call. The issue's
   target is at most 0.1x the full computation's peak. Both outputs include the (V, d) weight
   gradient (131 MB here), which neither method can avoid; the peak without it is printed too.
   Each is run once: one full call takes about 10-25 s on this machine, so a median of several
   rounds would not fit in the time budget (the memory figure does not vary between runs).
2. Adaptive against full softmax at V = 256,000 (Gemma): the mean loss of N = 512 tokens
   whose words are drawn from a Zipf distribution, d = 256, float32, cutoffs (4,000, 20,000,
   80,000, 256,000): a head of 4,000 words in dimension 256 and clusters in dimensions 64, 16
   and 4 (div_value 4). With two clusters, (2,000, 20,000, 256,000), the big last cluster still
   computes about 46k logits per token on average, and the speed-up stays near 4x. Full means ``hidden @ W.T`` and
   ``cross_entropy``. Round-robin medians (benchmarks/_timing.py); target: at least 3x faster.

Usage: python benchmarks/bench_vocab.py [--rounds 3]
"""

import argparse
import time
import tracemalloc

import numpy as np
from _timing import round_robin

from softmax_lab import cross_entropy
from softmax_lab.vocab import (
    AdaptiveSoftmax,
    chunked_cross_entropy,
    full_cross_entropy,
    zipf_probabilities,
)


def traced(fn):
    """(result, peak bytes allocated during the call, seconds) of one call of ``fn``."""
    tracemalloc.start()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, peak, seconds


def bench_chunked(N=2048, d=256, V=128_256):
    rng = np.random.default_rng(0)
    h = rng.standard_normal((N, d), dtype=np.float32) / 4
    W = rng.standard_normal((V, d), dtype=np.float32) / 4
    t = rng.choice(V, size=N, p=zipf_probabilities(V))
    grad_w_bytes = V * d * 4
    chunked, peak_c, time_c = traced(lambda: chunked_cross_entropy(h, W, t))
    full, peak_f, time_f = traced(lambda: full_cross_entropy(h, W, t))
    same = abs(float(chunked.loss) - float(full.loss)) < 1e-4 * abs(float(full.loss)) and np.allclose(
        chunked.grad_weight, full.grad_weight, rtol=1e-3, atol=1e-9)
    print(f"chunked vs full cross-entropy + gradients, N={N:,} d={d} V={V:,} float32 "
          f"(chunk_size=4096 default; results {'agree' if same else 'DISAGREE'}):")
    print(f"  peak memory  full={peak_f / 1e6:8.0f} MB   chunked={peak_c / 1e6:6.0f} MB   "
          f"ratio={peak_c / peak_f:.3f}x  (target <= 0.1x)")
    print(f"  without the (V, d) weight gradient both must return: ratio="
          f"{(peak_c - grad_w_bytes) / (peak_f - grad_w_bytes):.3f}x")
    print(f"  time (one call each)  full={time_f:6.1f} s   chunked={time_c:6.1f} s   ratio={time_c / time_f:.2f}x "
          f"(chunked computes the logits twice, but never writes an (N, V) array)", flush=True)


def as_float32(a):
    return AdaptiveSoftmax(a.cutoffs, a.head_weight.astype(np.float32), a.head_bias.astype(np.float32),
                           [tuple(x.astype(np.float32) for x in tail) for tail in a.tails])


def bench_adaptive(rounds, N=512, d=256, V=256_000):
    rng = np.random.default_rng(1)
    p = zipf_probabilities(V)
    t = rng.choice(V, size=N, p=p)
    h = rng.standard_normal((N, d), dtype=np.float32)
    W = rng.standard_normal((V, d), dtype=np.float32) / 16
    adaptive = as_float32(AdaptiveSoftmax.random((4000, 20_000, 80_000, V), dim=d, seed=2))
    methods = {"full": lambda: cross_entropy(h @ W.T, t), "adaptive": lambda: adaptive.loss(h, t)}
    medians = round_robin(methods, rounds=rounds, min_time=1e-9)   # one call per round (after a warm-up)
    flops = d * V / adaptive.cost_per_token(p)
    print(f"adaptive vs full softmax loss, N={N} d={d} V={V:,} float32, Zipf targets "
          f"({np.mean(t < 4000):.0%} in the head):")
    print(f"  full={medians['full'] * 1e3:7.0f} ms   adaptive={medians['adaptive'] * 1e3:6.0f} ms   "
          f"speed-up={medians['full'] / medians['adaptive']:.1f}x (target >= 3x); "
          f"multiply-adds per token {flops:.0f}x fewer", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="round-robin rounds for the adaptive timing")
    parser.add_argument("--skip-chunked", action="store_true", help="only the adaptive softmax (a few seconds)")
    args = parser.parse_args()
    start = time.perf_counter()
    bench_adaptive(args.rounds)
    if not args.skip_chunked:
        bench_chunked()
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
