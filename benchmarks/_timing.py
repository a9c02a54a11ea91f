"""Shared timing helpers for the benchmarks: round-robin medians, printed as ratios.

Machines are shared and noisy, so nothing here is a pass/fail test. Methods are run in turn
(round-robin) inside one process so that a slow moment hurts them all alike, and the median
over the rounds is reported, as a ratio to a reference method. :func:`import_seconds` times an
import in a fresh interpreter (the only honest way: a second import in one process is free).
"""

import statistics
import subprocess
import sys
import time


def time_call(fn, min_time=0.02):
    """Seconds per call of ``fn``: repeat it until at least ``min_time`` has passed."""
    fn()  # warm-up: first-touch memory, caches, lazy imports
    n, elapsed = 0, 0.0
    start = time.perf_counter()
    while elapsed < min_time:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
    return elapsed / n


def round_robin(methods, rounds=7, min_time=0.02):
    """Median seconds per call for each of ``methods`` (a dict name -> zero-argument callable).

    Every round times each method once, in turn; the median over ``rounds`` rounds is kept.
    """
    samples = {name: [] for name in methods}
    for _ in range(rounds):
        for name, fn in methods.items():
            samples[name].append(time_call(fn, min_time))
    return {name: statistics.median(ts) for name, ts in samples.items()}


def format_ratios(medians, reference):
    """'name=1.23x' for each method, relative to ``medians[reference]``."""
    ref = medians[reference]
    return "  ".join(f"{name}={t / ref:.2f}x" for name, t in medians.items())


def print_row(label, medians, reference, unit="us"):
    """One line: the label, the reference's absolute time, then every ratio to it."""
    scale = {"s": 1.0, "ms": 1e3, "us": 1e6}[unit]
    print(f"{label:<34} {reference}={medians[reference] * scale:9.1f}{unit}   {format_ratios(medians, reference)}",
          flush=True)


def import_seconds(module, runs=1):
    """Median seconds for ``import module`` in ``runs`` fresh interpreters (nothing subtracted)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True).stdout) for _ in range(runs)]
    return statistics.median(times)
