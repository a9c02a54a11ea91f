"""Benchmark the tiny transformer (softmax_lab.transformer): what a training step and the
capstone's checks cost, as ratios.

1. One training step (forward, backward by hand, AdamW) on a batch of 32 training sentences, with
   the shipped model's sizes: with the package's functions (the reference, 1.00x); with every
   pluggable function replaced by a correct plain-numpy one and checked against the package's
   on every call (what lesson 12's capstone runs); and one step of the 3-word MLP (softmax_lab.lm,
   a batch of 128 words, as build.py trains it) for scale.
2. The validation loss (4,205 words): the package's online log-sum-exp over the whole batch of
   logits (1.00x), against a one-token function lifted by ``per_token`` (lesson 09's call).

Usage: python benchmarks/bench_transformer.py [--rounds 3]
"""

import argparse
import math
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")     # small matrices: one BLAS thread (see RECIPES)

import numpy as np  # noqa: E402
from _timing import print_row, round_robin  # noqa: E402

from softmax_lab import data, lm, training  # noqa: E402
from softmax_lab import transformer as tf  # noqa: E402
from softmax_lab import transformer_functions as fns  # noqa: E402
from softmax_lab import transformer_training as tt  # noqa: E402


def plain_functions():
    """Correct functions written the way a learner would, in plain numpy."""
    def softmax(z):
        e = np.exp(z - np.max(z, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)

    def log_softmax(z):
        m = np.max(z, axis=-1, keepdims=True)
        return z - m - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))

    def cross_entropy_grad(z, t):
        g = softmax(z)
        g[np.arange(len(t)), t] -= 1
        return g / len(t)

    def attention(q, k, v, mask):
        return softmax(np.where(mask, q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]), -np.inf)) @ v

    def attention_backward(d_weights, weights):
        return weights * (d_weights - np.sum(d_weights * weights, axis=-1, keepdims=True))

    def online_lse(blocks):
        m, s = -math.inf, 0.0
        for b in blocks:
            m_new = max(m, float(np.max(b)))
            s = s * math.exp(m - m_new) + float(np.sum(np.exp(b - m_new)))
            m = m_new
        return m + math.log(s)

    return dict(softmax=softmax, log_softmax=log_softmax, cross_entropy_grad=cross_entropy_grad,
                attention=attention, attention_backward=attention_backward,
                online_logsumexp=fns.per_token(online_lse))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    model = tf.load("tiny")
    sentences = data.load_sentences("train")
    # Enough steps that the timing loop never reaches the end (each trainer keeps a loss per step).
    settings = dict(steps=10**5, batch_size=32, warmup=100, **model.settings)
    package = tt.Trainer(sentences, model.vocab, init=model.weights, **settings)
    checked = tt.Trainer(sentences, model.vocab, init=model.weights,
                         functions=fns.checked_functions(**plain_functions()), **settings)
    contexts, targets = lm.make_examples(sentences, lm.load("best").index, 3)
    mlp = training.Trainer(contexts, targets, len(model.vocab), steps=10**5, batch_size=128)
    print("1. one training step (ratios to the transformer with the package's functions)")
    print_row("training step", round_robin({"package": package.train_step, "checked plugs": checked.train_step,
                                            "MLP step": mlp.train_step}, rounds), "package", unit="ms")

    validation = data.load_sentences("validation")
    lifted = tf.plug(model, online_logsumexp=plain_functions()["online_logsumexp"])
    print("2. the validation loss (ratio to the package's online log-sum-exp over the whole batch)")
    print_row("validation loss", round_robin({"package": lambda: tf.mean_cross_entropy(model, validation),
                                              "per_token": lambda: tf.mean_cross_entropy(lifted, validation)},
                                             rounds, min_time=0.01), "package", unit="ms")


if __name__ == "__main__":
    main()
