"""Benchmark softmax_lab.calibration: ECE and reliability bins, and fitting a temperature.

1. Over 1,000,000 predictions (K = 2 and K = 10 classes), the time of
   ``expected_calibration_error`` and of ``reliability_bins``, with uniform and with quantile
   bins (15), as a ratio to one ``np.sort`` of the 1,000,000 confidences (target: at most 3x).
   Both functions check every row is a distribution and find each row's top class, so they
   read all N x K probabilities; the reference only sorts N numbers. ``max_pass`` (one
   ``probs.max(axis=1)``) shows what reading the rows alone costs.
2. ``fit_temperature`` on 100,000 x 445 float32 logits (the course model's vocabulary size):
   the number of NLL evaluations, and its time as a ratio to one ``log_softmax`` pass over the
   logits (target: at most 25x).

Methods run round-robin in one process (benchmarks/_timing.py); medians are printed as ratios.
Timings on a shared machine are noisy: read them as orders of magnitude, never as a pass/fail.

Usage: python benchmarks/bench_calibration.py [--rounds 7]
"""

import argparse
import time

import numpy as np
from _timing import print_row, round_robin

from softmax_lab import log_softmax, softmax
from softmax_lab.calibration import expected_calibration_error, fit_temperature, reliability_bins

N_PREDICTIONS = 1_000_000
FIT_SHAPE = (100_000, 445)


def drawn_labels(p, rng):
    """Labels drawn from the rows of ``p`` (so the predictions are calibrated)."""
    return (rng.random(len(p))[:, None] > np.cumsum(p, axis=1)).sum(axis=1).clip(0, p.shape[1] - 1)


def bench_ece(K, rounds):
    rng = np.random.default_rng(K)
    p = softmax(rng.normal(size=(N_PREDICTIONS, K)) * 2.0)
    y = drawn_labels(p, rng)
    conf = p.max(axis=1)
    methods = {
        "sort": lambda: np.sort(conf),
        "max_pass": lambda: p.max(axis=1),
        "ece_uniform": lambda: expected_calibration_error(p, y),
        "bins_uniform": lambda: reliability_bins(p, y),
        "ece_quantile": lambda: expected_calibration_error(p, y, strategy="quantile"),
        "bins_quantile": lambda: reliability_bins(p, y, strategy="quantile"),
    }
    print_row(f"ECE, N = {N_PREDICTIONS:,}, K = {K}", round_robin(methods, rounds), "sort", unit="ms")


def bench_fit(rounds):
    rng = np.random.default_rng(0)
    N, V = FIT_SHAPE
    z = (rng.standard_normal(FIT_SHAPE) * 3.0).astype(np.float32)
    y = drawn_labels(softmax(z / 2.0), rng)          # the truth is twice as unsure: T* near 2
    fit = fit_temperature(z, y, full_output=True)
    one_pass = round_robin({"log_softmax": lambda: log_softmax(z)}, rounds=rounds, min_time=0.2)["log_softmax"]
    times = []
    for _ in range(max(1, rounds // 2)):
        start = time.perf_counter()
        fit_temperature(z, y)
        times.append(time.perf_counter() - start)
    t_fit = float(np.median(times))
    print(f"fit_temperature on {N:,} x {V} float32 logits: T = {fit.temperature:.4f}, "
          f"{fit.n_evaluations} NLL evaluations; log_softmax={one_pass * 1e3:.1f}ms   "
          f"fit={t_fit / one_pass:.2f}x   per evaluation={t_fit / fit.n_evaluations / one_pass:.2f}x",
          flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    for K in (2, 10):
        bench_ece(K, args.rounds)
    bench_fit(args.rounds)


if __name__ == "__main__":
    main()
