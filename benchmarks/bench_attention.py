"""Benchmark softmax_lab.attention: tiled against plain attention, online against two-pass LSE.

1. ``tiled_attention`` against ``scaled_dot_product_attention`` (the reference, 1.00x) for one
   head with n = 1,024 queries and keys, d = d_v = 64: float64, float64 with the causal mask,
   and float32, for key blocks of 64 and 256. Two ratios per row:

   * time: median over round-robin rounds (benchmarks/_timing.py);
   * peak memory: the largest amount of memory allocated during one call, measured with
     ``tracemalloc`` (numpy reports its array buffers to it), inputs excluded.

   The reference materialises the n x n scores and weights (8 MiB each in float64); the tiled
   version holds one n x block tile at a time. In numpy the tiled version is expected to be
   *slower* (more, smaller matrix products and the rescaling); what it saves is memory, which
   is what a fused GPU kernel turns into speed (no n x n round trip through main memory).

2. ``online_logsumexp`` against ``softmax_lab.logsumexp`` (1.00x) and against one
   ``np.exp(x, out=buf)`` pass (the floor for anything that exponentiates every entry), on
   (64, 32768) float64 and float32, for blocks of 1,024 and 8,192.

Usage: python benchmarks/bench_attention.py [--rounds 3]
"""

import argparse
import tracemalloc

import numpy as np
from _timing import print_row, round_robin

from softmax_lab import logsumexp
from softmax_lab.attention import causal_mask, online_logsumexp, scaled_dot_product_attention, tiled_attention

N, D = 1024, 64


def peak_bytes(fn):
    """Peak bytes allocated while ``fn()`` runs (tracemalloc; numpy arrays included)."""
    fn()                                         # warm-up, so lazy one-off allocations do not count
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def attention_methods(q, k, v, causal, blocks=(64, 256)):
    """The contenders, as zero-argument callables: the reference, then tiled per block size."""
    mask = causal_mask(len(q)) if causal else None
    methods = {"reference": lambda: scaled_dot_product_attention(q, k, v, mask=mask)}
    for block in blocks:
        methods[f"tiled{block}"] = lambda b=block: tiled_attention(q, k, v, block_size=b, causal=causal)
    return methods


def logsumexp_methods(x):
    buf = np.empty_like(x)
    return {
        "np.exp": lambda: np.exp(x, out=buf),
        "logsumexp": lambda: logsumexp(x),
        "online1024": lambda: online_logsumexp(x, block_size=1024),
        "online8192": lambda: online_logsumexp(x, block_size=8192),
    }


def attention_rows(rounds):
    rng = np.random.default_rng(0)
    for dtype, causal in ((np.float64, False), (np.float64, True), (np.float32, False)):
        q, k, v = (rng.standard_normal((N, D)).astype(dtype) for _ in range(3))
        methods = attention_methods(q, k, v, causal)
        ref = methods["reference"]()[0]
        worst = max(float(np.max(np.abs(fn() - ref))) for name, fn in methods.items() if name != "reference")
        medians = round_robin(methods, rounds=rounds, min_time=0.05)
        label = f"n={N} d={D} {np.dtype(dtype).name}{' causal' if causal else ''}"
        print_row(f"time   {label}", medians, "reference", unit="ms")
        peaks = {name: peak_bytes(fn) for name, fn in methods.items()}
        ratios = "  ".join(f"{name}={p / peaks['reference']:.2f}x" for name, p in peaks.items())
        print(f"{'peak   ' + label:<34} reference={peaks['reference'] / 2**20:7.1f}MiB  {ratios}", flush=True)
        print(f"{'':34} largest difference from the reference: {worst:.1e}", flush=True)


def logsumexp_rows(rounds):
    rng = np.random.default_rng(1)
    for dtype in (np.float64, np.float32):
        x = (rng.standard_normal((64, 32768)) * 3).astype(dtype)
        methods = logsumexp_methods(x)
        medians = round_robin(methods, rounds=rounds)
        print_row(f"(64, 32768) {np.dtype(dtype).name} vs np.exp", medians, "np.exp", unit="ms")
        ref = medians["logsumexp"]
        print(f"{'':34} vs logsumexp: " + "  ".join(
            f"{name}={medians[name] / ref:.2f}x" for name in ("online1024", "online8192")), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    attention_rows(args.rounds)
    logsumexp_rows(args.rounds)


if __name__ == "__main__":
    main()
