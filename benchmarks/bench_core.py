"""Benchmark the softmax_lab math core against scipy.special, torch (if installed) and the floor.

For softmax, log_softmax, logsumexp, sigmoid, cross_entropy and cross_entropy_grad it times

* softmax_lab, the plain code a learner reads (shift by the max, exp, sum, divide);
* scipy.special (softmax, log_softmax, logsumexp, expit; for the loss, log_softmax and a
  gather; for its gradient, softmax minus a one-hot, divided by N);
* torch on the CPU with one thread, when torch is importable (it is not a dependency);
* the floor: one ``np.exp(x, out=buf)`` pass over the same array into a reused buffer. No
  softmax can be cheaper than exponentiating every logit once.

Before timing, each row checks that softmax_lab agrees with scipy (it says so if not). Methods
run round-robin in one process (benchmarks/_timing.py) and the median of the rounds is
printed as a ratio to the floor; ``lab/scipy`` is softmax_lab's time divided by scipy's. The
target of issue 18 is marked: softmax within 1.15x of scipy at (32, 50257) float32. Last,
``import softmax_lab`` is timed in fresh subprocesses against ``import numpy`` alone.
Timings on a shared machine are noisy: compare ratios from one run, never absolute times.

Usage: python benchmarks/bench_core.py [--rounds 7]
"""

import argparse
import statistics
import subprocess
import sys

import numpy as np
import scipy.special
from _timing import import_seconds, round_robin

import softmax_lab

try:
    import torch
except ImportError:
    torch = None

SHAPES = [(1, 50257), (32, 50257), (8, 128256), (1024, 10), (64, 1024)]
DTYPES = [np.float32, np.float64]
OPS = ["softmax", "log_softmax", "logsumexp", "sigmoid", "cross_entropy", "cross_entropy_grad"]
TARGETS = {  # op -> (shape, dtype, most lab/scipy): the goal of issue 18
    "softmax": ((32, 50257), np.float32, 1.15),
}


def logits_like_a_language_model(shape, dtype, seed=0):
    """Seeded logits ~ N(0, 3^2): roughly the spread of a trained LM's last layer (max ~ 12-15)."""
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 3.0, size=shape).astype(dtype)


def scipy_cross_entropy(x, targets):
    logp = scipy.special.log_softmax(x, axis=-1)
    return -np.mean(np.take_along_axis(logp, targets[:, None], axis=-1))


def scipy_cross_entropy_grad(x, targets):
    grad = scipy.special.softmax(x, axis=-1)
    grad[np.arange(x.shape[0]), targets] -= 1.0
    grad /= x.shape[0]
    return grad


def contenders(op, x, targets):
    """(softmax_lab, scipy, torch or None) for one operation: zero-argument callables."""
    lab = {
        "softmax": lambda: softmax_lab.softmax(x),
        "log_softmax": lambda: softmax_lab.log_softmax(x),
        "logsumexp": lambda: softmax_lab.logsumexp(x),
        "sigmoid": lambda: softmax_lab.sigmoid(x),
        "cross_entropy": lambda: softmax_lab.cross_entropy(x, targets),
        "cross_entropy_grad": lambda: softmax_lab.cross_entropy_grad(x, targets),
    }[op]
    ref = {
        "softmax": lambda: scipy.special.softmax(x, axis=-1),
        "log_softmax": lambda: scipy.special.log_softmax(x, axis=-1),
        "logsumexp": lambda: scipy.special.logsumexp(x, axis=-1),
        "sigmoid": lambda: scipy.special.expit(x),
        "cross_entropy": lambda: scipy_cross_entropy(x, targets),
        "cross_entropy_grad": lambda: scipy_cross_entropy_grad(x, targets),
    }[op]
    return lab, ref, (None if torch is None else torch_method(op, x, targets))


def torch_method(op, x, targets):
    xt, tt = torch.from_numpy(x), torch.from_numpy(targets.astype(np.int64))

    def loss_grad():
        leaf = xt.detach().requires_grad_()
        return torch.autograd.grad(torch.nn.functional.cross_entropy(leaf, tt), leaf)[0]

    return {
        "softmax": lambda: torch.softmax(xt, dim=-1),
        "log_softmax": lambda: torch.log_softmax(xt, dim=-1),
        "logsumexp": lambda: torch.logsumexp(xt, dim=-1),
        "sigmoid": lambda: torch.sigmoid(xt),
        "cross_entropy": lambda: torch.nn.functional.cross_entropy(xt, tt),
        "cross_entropy_grad": loss_grad,
    }[op]


def agrees_with_scipy(lab, ref, dtype):
    """Whether softmax_lab's result matches scipy's (a fast wrong answer would be worthless)."""
    tol = {"rtol": 1e-4, "atol": 1e-30} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-300}
    return np.allclose(np.asarray(lab(), dtype=np.float64), np.asarray(ref(), dtype=np.float64), **tol)


def verdict(op, shape, dtype, lab_scipy, offset):
    """'met' / 'MISSED' against the issue's target for this row, '' where none applies."""
    target = TARGETS.get(op)
    if target is None or target[:2] != (shape, dtype) or offset != 0:
        return ""
    return f"target lab/scipy <= {target[2]}: {'met' if lab_scipy <= target[2] else 'MISSED'}"


def print_header():
    torch_col = "torch" if torch is not None else ""
    print(f"{'op':<19}{'shape':<15}{'dtype':<9}{'floor':>10}  {'lab':>7}{'scipy':>8}{torch_col:>8}"
          f"{'lab/scipy':>11}  target")


def bench_row(op, shape, dtype, rounds, label_extra="", offset=0.0):
    floor_x = logits_like_a_language_model(shape, dtype)
    x = floor_x if offset == 0 else floor_x + dtype(offset)
    targets = np.random.default_rng(1).integers(0, shape[-1], size=shape[0])
    lab, ref, torch_fn = contenders(op, x, targets)
    if not agrees_with_scipy(lab, ref, dtype):
        label_extra += "  RESULTS DIFFER FROM SCIPY"
    buf = np.empty_like(floor_x)
    methods = {"floor": lambda: np.exp(floor_x, out=buf), "lab": lab, "scipy": ref}
    if torch_fn is not None:
        methods["torch"] = torch_fn
    medians = round_robin(methods, rounds=rounds)
    floor = medians["floor"]
    lab_scipy = medians["lab"] / medians["scipy"]
    torch_txt = f"{medians['torch'] / floor:7.2f}x" if "torch" in medians else ""
    mark = verdict(op, shape, dtype, lab_scipy, offset)
    print(f"{op:<19}{str(shape):<15}{np.dtype(dtype).name:<9}{floor * 1e6:8.1f}us  {medians['lab'] / floor:6.2f}x"
          f"{medians['scipy'] / floor:7.2f}x{torch_txt:>8}{lab_scipy:10.2f}   {mark}{label_extra}", flush=True)


def bench_import(runs=7):
    numpy_times, lab_times = [], []
    for _ in range(runs):  # alternate, so a busy moment slows both
        numpy_times.append(import_seconds("numpy"))
        lab_times.append(import_seconds("softmax_lab"))
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
    parser.add_argument("--ops", nargs="*", default=OPS, choices=OPS, help="the operations to time")
    args = parser.parse_args()
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, "
          + (f"torch {torch.__version__} (1 thread)" if torch is not None
             else "torch not installed: its column is skipped"))
    if torch is not None:
        torch.set_num_threads(1)
    print("Ratios are median times over the floor (one np.exp pass into a reused buffer); "
          f"{args.rounds} round-robin rounds.")
    print_header()
    for op in args.ops:
        for shape in SHAPES:
            for dtype in DTYPES:
                bench_row(op, shape, dtype, args.rounds)
        if op in ("softmax", "log_softmax"):
            # The same logits minus 100, all very negative like GPT-2's: numpy's exp is many times
            # slower on values whose exp underflows, and the max shift brings them back near 0,
            # so this row's ratios should match the ordinary (32, 50257) float32 row.
            bench_row(op, (32, 50257), np.float32, args.rounds, "  <- logits - 100", offset=-100.0)
    bench_import()


if __name__ == "__main__":
    main()
