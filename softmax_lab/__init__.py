"""softmax_lab: the helper package of the softmax-lab course.

The math core (numpy only) is importable from the top level::

    from softmax_lab import softmax, log_softmax, cross_entropy

The other math modules are imported by name, e.g. ``from softmax_lab import sampling``; among
them, softmax elsewhere in a modern LLM: ``distillation``, ``speculative``, ``routing``,
``contrastive`` and ``preference``; and a tiny transformer whose softmax a learner can replace,
``transformer`` (with ``transformer_functions`` and ``transformer_training``).

Plots and dashboards live in ``softmax_lab.plots`` and ``softmax_lab.widgets``; they import
matplotlib and ipywidgets only when used, so ``import softmax_lab`` stays light.

Supported input range of the core (details: each module's "Supported range" section; outside
it, a ValueError or TypeError whose message names the argument):

=====================  ==============================================================================
functions              logits / x: any finite float16/32/64 up to +-finfo.max, -inf = mask; T: finite > 0
losses                 logits as functions; targets: indices in [0, K) or probability rows; eps in [0, 1]
sampling               logits as functions; T finite >= 0; top_k int >= 1; top_p in (0, 1]; min_p in [0, 1]
attention              q, k, v finite; max|q| max|k| d scale <= finfo.max / 2; max|v| n_k < finfo.max
all of them            float16/32/64 kept (float16 computed in float32), ints and lists -> float64;
                       no NaN and no warning inside the range; NaN, +inf, fully masked rows refused
=====================  ==============================================================================
"""

from .functions import entropy, kl_divergence, log_sigmoid, log_softmax, logsumexp, naive_softmax, sigmoid, softmax
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    cross_entropy,
    cross_entropy_grad,
    gradient_check,
    softmax_jacobian,
)

__version__ = "0.1.0"

__all__ = [
    "naive_softmax",
    "softmax",
    "log_softmax",
    "logsumexp",
    "sigmoid",
    "log_sigmoid",
    "entropy",
    "kl_divergence",
    "cross_entropy",
    "cross_entropy_grad",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "softmax_jacobian",
    "gradient_check",
]
