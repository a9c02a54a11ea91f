"""Benchmark the softmax_lab math core: softmax, log_softmax, cross_entropy + its gradient.

Each is timed against
* scipy.special (softmax, log_softmax; for the loss: log_softmax + gather, and for the gradient
  softmax minus a one-hot, divided by N),
* torch on the CPU with one thread, when torch is importable (it is not a dependency),
* the floor: one ``np.exp(x, out=buf)`` pass over the same array into a reused buffer. No
  softmax can be cheaper than exponentiating every logit once.

Before timing, each row checks that softmax_lab agrees with scipy (it says so if not). Methods
run round-robin in one process (benchmarks/_timing.py) and the median of the rounds is
printed as a ratio to the floor; ``lab/scipy`` is softmax_lab's time divided by scipy's. Last,
``import softmax_lab`` is timed in fresh subprocesses against ``import numpy`` alone.

Usage: python benchmarks/bench_core.py [--rounds 7]
"""

import argparse
import statistics
import subprocess
import sys

import numpy as np
import scipy.special
from _timing import round_robin

import softmax_lab

try:
    import torch
except ImportError:
    torch = None

SHAPES = [(1, 50257), (32, 50257), (8, 128256), (1024, 10), (64, 1024)]
DTYPES = [np.float32, np.float64]
TARGETS = {  # (shape test, most lab/floor, most lab/scipy): the goals from the issue
    "softmax": [(lambda s: s[-1] >= 50000, 1.6, 0.8), (lambda s: s == (1024, 10), None, 0.5)],
    "log_softmax": [(lambda s: s[-1] >= 50000, 1.6, 0.8), (lambda s: s == (1024, 10), None, 0.5)],
}


def logits_like_a_language_model(shape, dtype, seed=0):
    """Seeded logits ~ N(0, 3^2): roughly the spread of a trained LM's last layer (max ~ 12-15)."""
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 3.0, size=shape).astype(dtype)


def scipy_cross_entropy_and_grad(x, targets):
    n = x.shape[0]
    logp = scipy.special.log_softmax(x, axis=-1)
    loss = -np.mean(np.take_along_axis(logp, targets[:, None], axis=-1))
    grad = scipy.special.softmax(x, axis=-1)
    grad[np.arange(n), targets] -= 1.0
    grad /= n
    return loss, grad


def lab_cross_entropy_and_grad(x, targets):
    return softmax_lab.cross_entropy(x, targets), softmax_lab.cross_entropy_grad(x, targets)


def agrees_with_scipy(op, x, targets):
    """Whether softmax_lab's result matches scipy's (a fast wrong answer would be worthless)."""
    tol = {"rtol": 1e-4, "atol": 1e-30} if x.dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-300}
    if op == "softmax":
        pairs = [(softmax_lab.softmax(x), scipy.special.softmax(x, axis=-1))]
    elif op == "log_softmax":
        pairs = [(softmax_lab.log_softmax(x), scipy.special.log_softmax(x, axis=-1))]
    else:
        pairs = zip(lab_cross_entropy_and_grad(x, targets), scipy_cross_entropy_and_grad(x, targets))
    return all(np.allclose(lab, ref, **tol) for lab, ref in pairs)


def methods_for(op, x, targets, floor_x):
    """The contenders for one operation on one array, the floor (exp of ``floor_x``) first."""
    buf = np.empty_like(floor_x)
    methods = {"floor": lambda: np.exp(floor_x, out=buf)}
    if op == "softmax":
        methods["lab"] = lambda: softmax_lab.softmax(x)
        methods["scipy"] = lambda: scipy.special.softmax(x, axis=-1)
    elif op == "log_softmax":
        methods["lab"] = lambda: softmax_lab.log_softmax(x)
        methods["scipy"] = lambda: scipy.special.log_softmax(x, axis=-1)
    else:
        methods["lab"] = lambda: lab_cross_entropy_and_grad(x, targets)
        methods["scipy"] = lambda: scipy_cross_entropy_and_grad(x, targets)
    if torch is not None:
        xt = torch.from_numpy(x)
        if op == "softmax":
            methods["torch"] = lambda: torch.softmax(xt, dim=-1)
        elif op == "log_softmax":
            methods["torch"] = lambda: torch.log_softmax(xt, dim=-1)
        else:
            tt = torch.from_numpy(targets.astype(np.int64))

            def torch_loss_and_grad():
                leaf = xt.detach().requires_grad_()
                loss = torch.nn.functional.cross_entropy(leaf, tt)
                return loss, torch.autograd.grad(loss, leaf)[0]

            methods["torch"] = torch_loss_and_grad
    return methods


def verdict(op, shape, lab_floor, lab_scipy):
    """'met' / 'MISSED' against the issue's targets for this row, '' where none applies."""
    notes = []
    for applies, most_floor, most_scipy in TARGETS.get(op, []):
        if not applies(shape):
            continue
        if most_floor is not None:
            notes.append(f"floor<={most_floor}: {'met' if lab_floor <= most_floor else 'MISSED'}")
        notes.append(f"scipy<={most_scipy}: {'met' if lab_scipy <= most_scipy else 'MISSED'}")
    return ", ".join(notes)


def print_header():
    torch_col = "torch" if torch is not None else ""
    print(f"{'op':<14}{'shape':<15}{'dtype':<9}{'floor':>10}  {'lab':>7}{'scipy':>8}{torch_col:>8}"
          f"{'lab/scipy':>11}  targets")


def bench_row(op, shape, dtype, rounds, label_extra="", offset=0.0):
    floor_x = logits_like_a_language_model(shape, dtype)
    x = floor_x if offset == 0 else floor_x + dtype(offset)
    targets = np.random.default_rng(1).integers(0, shape[-1], size=shape[0])
    if not agrees_with_scipy(op, x, targets):
        label_extra += "  RESULTS DIFFER FROM SCIPY"
    medians = round_robin(methods_for(op, x, targets, floor_x), rounds=rounds)
    floor = medians["floor"]
    lab, sci = medians["lab"] / floor, medians["scipy"] / floor
    lab_scipy = medians["lab"] / medians["scipy"]
    torch_txt = f"{medians['torch'] / floor:7.2f}x" if "torch" in medians else ""
    name = np.dtype(dtype).name
    print(f"{op:<14}{str(shape):<15}{name:<9}{floor * 1e6:8.1f}us  {lab:6.2f}x{sci:7.2f}x{torch_txt:>8}"
          f"{lab_scipy:10.2f}   {verdict(op, shape, lab, lab_scipy)}{label_extra}", flush=True)


def import_seconds(module, runs=7):
    """Median seconds for ``import module`` in fresh interpreters (nothing subtracted)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True).stdout) for _ in range(runs)]
    return statistics.median(times)


def bench_import(runs=7):
    numpy_times, lab_times = [], []
    for _ in range(runs):  # alternate, so a busy moment slows both
        numpy_times.append(import_seconds("numpy", runs=1))
        lab_times.append(import_seconds("softmax_lab", runs=1))
    t_np, t_lab = statistics.median(numpy_times), statistics.median(lab_times)
    heavy = subprocess.run(
        [sys.executable, "-c", "import sys, softmax_lab; print(' '.join(m for m in "
         "('scipy', 'matplotlib', 'ipywidgets', 'torch') if m in sys.modules) or 'none')"],
        capture_output=True, text=True, check=True).stdout.strip()
    print(f"import softmax_lab: {t_lab:.3f} s = {t_lab / t_np:.2f}x import numpy ({t_np:.3f} s); "
          f"target <= 0.15 s: {'met' if t_lab <= 0.15 else 'MISSED'}; heavy modules it loads: {heavy}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="round-robin rounds (median kept)")
    args = parser.parse_args()
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, "
          + (f"torch {torch.__version__} (1 thread)" if torch is not None
             else "torch not installed: its column is skipped"))
    if torch is not None:
        torch.set_num_threads(1)
    print("Ratios are median times over the floor (one np.exp pass into a reused buffer); "
          f"{args.rounds} round-robin rounds.")
    print_header()
    for op in ("softmax", "log_softmax", "xent+grad"):
        for shape in SHAPES:
            for dtype in DTYPES:
                bench_row(op, shape, dtype, args.rounds)
        # The same logits minus 100, all very negative like GPT-2's: exp of them (unshifted) would
        # underflow, and numpy's exp is many times slower on underflowing values. The floor of
        # this row is exp of the logits before the shift, so its ratios compare with the ordinary
        # (32, 50257) float32 row.
        bench_row(op, (32, 50257), np.float32, args.rounds, "  <- logits - 100", offset=-100.0)
    bench_import()


if __name__ == "__main__":
    main()
