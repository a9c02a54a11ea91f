"""Benchmark the tiny model's training on a busy machine: lesson 07's run, with and without load.

Lesson 07's training dashboard retrains the tiny language model with the recipe of the
"overtrained" checkpoint (``data/training_history.json``: 2,000 Adam steps of 128 examples,
300 training sentences, the validation loss, confidence and accuracy measured every 50 steps).
This script runs that training loop (``softmax_lab.training.Trainer`` with the dashboard's
per-evaluation work as its callback), without the dashboard's drawing, in four settings:

* ``quiet``: nothing else running;
* ``loaded``: while ``--busy`` other processes (default: one per core) spin in a busy loop, the
  situation of a 2-vCPU Binder or JupyterHub server shared by several kernels;
* both with softmax_lab's BLAS limit (one thread inside the tiny model's products, by
  threadpoolctl) and, with ``--default-threads``, also with the BLAS library's own number of
  threads (``_threads.ENABLED = False``) for comparison (slow: up to ten times longer here).

It prints, per setting, the median wall-clock seconds and CPU-seconds of the training process
over ``--rounds`` interleaved rounds, and the ratio loaded / quiet (target: at most 2x with
the limit). The CPU-seconds show the work itself: threads spinning while they wait for each
other cost CPU without progress. Timings on a shared machine are noisy; compare the ratios of
one run, never as a pass/fail test.

Usage: python benchmarks/bench_contention.py [--rounds 3] [--steps 2000] [--busy N] [--default-threads]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

from softmax_lab import _threads, data, lm, training
from softmax_lab.functions import softmax

BUSY_LOOP = "while True: pass"


def lesson_07_run(steps):
    """A zero-argument callable: one run of lesson 07's "overtrained" training, as the dashboard makes it."""
    recipe = dict(data.load_json("training_history.json")["overtrained"]["settings"])
    sentences = data.load_json("training_history.json")["overtrained"].get("train_sentences")
    vocab = data.load_json("vocab.json")["words"]
    index = {w: i for i, w in enumerate(vocab)}
    contexts, targets = lm.make_examples(data.load_sentences("train")[:sentences], index, 3)
    validation = lm.make_examples(data.load_sentences("validation"), index, 3)
    recipe["steps"] = steps

    def figures(trainer):                     # what the dashboard measures after every evaluation
        if trainer.result.eval_steps and trainer.result.eval_steps[-1] == trainer.step:
            p = softmax(lm.forward(trainer.weights, validation[0]))
            p.max(axis=1).mean(), np.mean(p.argmax(axis=1) == validation[1])

    def run():
        init = training.init_weights(len(vocab), 3, seed=recipe["seed"])
        trainer = training.Trainer(contexts, targets, len(vocab), init=init, validation=validation, **recipe)
        trainer.run(callback=figures)
        return trainer
    return run


def timed(run):
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def with_load(n_busy, fn):
    """Run ``fn()`` while ``n_busy`` processes spin; stop exactly those processes afterwards."""
    busy = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(n_busy)]
    try:
        time.sleep(0.3)                        # let them start spinning
        return fn()
    finally:
        for p in busy:
            p.kill()
        for p in busy:
            p.wait()


def blas_threads():
    from threadpoolctl import threadpool_info
    return [(lib["internal_api"], lib["num_threads"]) for lib in threadpool_info() if lib["user_api"] == "blas"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--busy", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--default-threads", action="store_true",
                        help="also time the run with the BLAS library's own number of threads")
    args = parser.parse_args()
    run = lesson_07_run(args.steps)
    run()                                      # warm-up: imports, caches, the thread pool
    print(f"lesson 07 'overtrained' training, {args.steps} steps; {os.cpu_count()} cores; busy processes "
          f"when loaded: {args.busy}; BLAS libraries and their threads: {blas_threads()}; "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}", flush=True)
    settings = [("one BLAS thread (softmax_lab)", True)] + [("BLAS's own threads", False)] * args.default_threads
    samples = {(label, load): [] for label, _ in settings for load in ("quiet", "loaded")}
    for _ in range(args.rounds):
        for label, limit in settings:
            _threads.ENABLED = limit
            samples[label, "quiet"].append(timed(run))
            samples[label, "loaded"].append(with_load(args.busy, lambda: timed(run)))
    _threads.ENABLED = True
    print(f"{'setting':<32} {'quiet s':>8} {'cpu s':>7} {'loaded s':>9} {'cpu s':>7} {'loaded/quiet':>13}")
    for label, _ in settings:
        quiet = [statistics.median(x) for x in zip(*samples[label, "quiet"])]
        loaded = [statistics.median(x) for x in zip(*samples[label, "loaded"])]
        print(f"{label:<32} {quiet[0]:8.2f} {quiet[1]:7.2f} {loaded[0]:9.2f} {loaded[1]:7.2f} "
              f"{loaded[0] / quiet[0]:12.2f}x", flush=True)
    if args.default_threads:
        limited = [statistics.median(x) for x in zip(*samples[settings[0][0], "loaded"])]
        default = [statistics.median(x) for x in zip(*samples[settings[1][0], "loaded"])]
        print(f"loaded: one thread / BLAS's own threads = {limited[0] / default[0]:.2f}x wall, "
              f"{limited[1] / default[1]:.2f}x CPU-seconds")
    print("target: loaded/quiet at most 2x with one thread (the wall-clock ratio also moves with whatever "
          "else this machine runs)")


if __name__ == "__main__":
    main()
