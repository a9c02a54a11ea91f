"""softmax_lab: the helper package of the softmax-lab course.

The math core (numpy only) is importable from the top level::

    from softmax_lab import softmax, log_softmax, cross_entropy

The other math modules are imported by name, e.g. ``from softmax_lab import sampling``; among
them, softmax elsewhere in a modern LLM: ``distillation``, ``speculative``, ``routing``,
``contrastive`` and ``preference``.

Plots and dashboards live in ``softmax_lab.plots`` and ``softmax_lab.widgets``; they import
matplotlib and ipywidgets only when used, so ``import softmax_lab`` stays light.
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
