r"""Knowledge distillation: a student learns the teacher's whole softened distribution.

A large *teacher* model's softmax says more than its top answer: after "the cat sat on the" it
may give "mat" 0.6, "rug" 0.3 and "roof" 0.01, and the ranking of the wrong words (Hinton calls
it *dark knowledge*) tells a *student* which mistakes are nearly right. Hinton, Vinyals and Dean
(2015), "Distilling the knowledge in a neural network", train the student on the teacher's
probabilities at a raised temperature T, which brings the small ones up to where they count:

.. math:: p^{t} = \mathrm{softmax}(z^{t} / T), \qquad p^{s} = \mathrm{softmax}(z^{s} / T),
          \qquad L = \frac{T^2}{N} \sum_{n=1}^{N} \mathrm{KL}\big(p^{t}_n \,\|\, p^{s}_n\big)

The gradient of each KL term with respect to the student's logits is
:math:`(p^{s} - p^{t}) / T`, whose size falls like :math:`1/T^2` as T grows; the factor
:math:`T^2` undoes that, so the soft loss keeps the same weight beside a hard-label loss
whatever T is chosen. In practice the two are mixed:
``alpha * distillation_loss(...) + (1 - alpha) * cross_entropy(student, labels)``.

Supported range: logits of any float dtype, any shape ``(..., K)`` with the classes on the last
axis, every entry finite or ``-inf`` (a masked class), at least one finite entry per row; a
temperature that is a finite number > 0 with every ``(z_i - z_j) / T`` finite in float64 (else
a ValueError names the temperature). Everything is computed in float64 and rounded once to the
inputs' dtype; a loss too large for that dtype rounds to ``inf`` (float16 above 65504),
silently, as :func:`softmax_lab.cross_entropy` does. Far above the spread s of the logits the
KL is a small difference of nearly equal sums, and its relative error grows like
:math:`10^{-16} (T/s)^2`: about 1e-10 at T = 1000 s; a T above 1e4 s is refused (ValueError).

Examples
--------
>>> import numpy as np
>>> teacher = np.array([[4.0, 2.0, 0.0]])
>>> loss, grad = distillation_loss(teacher, teacher, temperature=2.0)   # student = teacher
>>> float(loss), grad.tolist()
(0.0, [[0.0, 0.0, 0.0]])
"""

import numpy as np

from ._checks import check_temperature, prepare_logits, row_max, to_dtype
from .functions import log_softmax, softmax

__all__ = ["distillation_loss"]


def _checked_logits(logits, name):
    z, dtype, _ = prepare_logits(logits, -1, name)   # float array, class axis last and non-empty
    row_max(z, -1, name)                               # refuses NaN, +inf and fully masked rows
    if z.size == 0:
        raise ValueError(f"{name} must hold at least one row, got shape {z.shape}")
    return z, dtype


def _spread(z):
    """The largest gap between two unmasked logits of one row (inf beyond the float range: no limit on T)."""
    finite = np.isfinite(z)
    high, low = np.max(np.where(finite, z, -np.inf), axis=-1), np.min(np.where(finite, z, np.inf), axis=-1)
    with np.errstate(over="ignore"):               # 1e308 - (-1e308) overflows to inf, which is right here
        return float(np.max(high - low))


def distillation_loss(student_logits, teacher_logits, temperature):
    r"""The T**2-scaled KL divergence from the teacher's softened softmax to the student's.

    Parameters
    ----------
    student_logits : array_like
        Shape (K,) for one prediction or (..., K) for N of them; the classes on the last axis.
        ``-inf`` masks a class.
    teacher_logits : array_like
        The teacher's logits, the same shape. A class the teacher masks gets probability 0 and
        adds nothing to the loss.
    temperature : float
        T > 0, used for both models. T = 1 is plain KL; Hinton et al. went up to T = 20.

    Returns
    -------
    loss : numpy scalar
        :math:`T^2` times the mean over the N rows of :math:`\mathrm{KL}(p^t \| p^s)`, in the
        floating dtype of the two logits (``np.result_type``).
    grad_student : ndarray
        :math:`\partial L / \partial z^s = T (p^s - p^t) / N`, the student logits' shape and the
        same dtype. (N = 1 for 1-D logits.)

    Raises
    ------
    ValueError
        Shapes that differ, NaN or ``+inf``, a fully masked row, an empty array, a temperature
        that is not a finite number > 0, so small that ``(z - max z) / T`` overflows or above
        1e4 times the spread of the logits, or a
        class the student masks (``-inf``) that the teacher gives probability to (the KL
        divergence would be infinite).
    TypeError
        Non-numeric logits or temperature.

    Notes
    -----
    .. math:: L = \frac{T^2}{N} \sum_n \sum_i p^{t}_{n,i}
              \big(\log p^{t}_{n,i} - \log p^{s}_{n,i}\big),
              \qquad \frac{\partial L}{\partial z^{s}_{n,i}} = \frac{T}{N}\,(p^{s}_{n,i} - p^{t}_{n,i})

    The computation runs in float64 for every input dtype (as :func:`softmax_lab.logsumexp`
    reduces float32 in float64): in float32 the KL's relative error would reach 1e-3 at T = 100
    already. Both log-probabilities come from :func:`softmax_lab.log_softmax`, so a student that gives a
    class ``exp(-1000)`` costs ``1000 p^t`` rather than ``log 0``. Terms with :math:`p^t = 0`
    are 0 (the convention :math:`0 \log 0 = 0`). The direction matters: KL(teacher || student)
    punishes the student for missing what the teacher thinks possible; the reverse would not.
    For large T the gradient tends to :math:`((z^s - \bar z^s) - (z^t - \bar z^t)) / (K N)`,
    matching centred logits (Hinton et al., section 2.1): that limit is only reached because
    of the :math:`T^2`.

    Examples
    --------
    >>> import numpy as np
    >>> teacher = np.array([3.0, 1.0, 0.0])
    >>> student = np.array([1.0, 1.0, 1.0])
    >>> loss, grad = distillation_loss(student, teacher, temperature=1.0)
    >>> round(float(loss), 4)
    0.5743
    >>> grad.round(4)                                    # p_student - p_teacher
    array([-0.5105,  0.2191,  0.2913])
    >>> loss4, grad4 = distillation_loss(student, teacher, temperature=4.0)
    >>> round(float(loss4) / 16, 4)                      # the KL at T = 4 is much smaller...
    0.0505
    >>> round(float(loss4), 4), grad4.round(4)           # ...times T**2: the gradient stays as large
    (0.8077, array([-0.5908,  0.1663,  0.4245]))
    >>> float(distillation_loss([[1000.0, 0.0]], [[0.0, 1000.0]], 1.0)[0])   # no overflow
    1000.0
    """
    zs, s_dtype = _checked_logits(student_logits, "student_logits")
    zt, t_dtype = _checked_logits(teacher_logits, "teacher_logits")
    if zs.shape != zt.shape:
        raise ValueError(f"student_logits and teacher_logits must have the same shape, got {zs.shape} and {zt.shape}")
    T = check_temperature(temperature)
    spread = max(_spread(zs), _spread(zt))
    if T > 1e4 * spread > 0:
        raise ValueError(f"temperature {T!r} is more than 1e4 times the spread of the logits ({spread:.3g}): "
                         "the KL would lose its digits to rounding (see the supported range)")
    out_dtype = np.result_type(s_dtype, t_dtype)
    zs, zt = zs.astype(np.float64), zt.astype(np.float64)     # reduced in float64 (see Notes)

    p_teacher = softmax(zt, temperature=T)
    if np.any(np.isneginf(zs) & (p_teacher > 0)):
        raise ValueError("student_logits masks (-inf) a class the teacher gives probability to, "
                         "so KL(teacher || student) would be infinite")
    log_pt = log_softmax(zt, temperature=T)
    log_ps = log_softmax(zs, temperature=T)
    gives = p_teacher > 0                                   # 0 log 0 = 0: the other terms (and their -inf) are 0
    log_ratio = np.where(gives, log_pt, 0.0) - np.where(gives, log_ps, 0.0)
    N = zs.size // zs.shape[-1]
    kl = np.sum(p_teacher * log_ratio / N)                  # mean KL over the rows (each row /N first: no overflow)
    if not np.isfinite(kl):
        raise ValueError(f"temperature {T!r} is too small for these logits: (student_logits - max) / temperature "
                         "overflows float64 (see the supported range in softmax_lab.distillation)")
    with np.errstate(over="ignore"):                        # a loss beyond float64 is inf (see the range)
        loss = max(T * (T * kl), 0.0)                       # T (T kl): T**2 alone may underflow to 0
    grad = T * (softmax(zs, temperature=T) - p_teacher) / N
    return to_dtype(np.asarray(loss), out_dtype)[()], to_dtype(grad, out_dtype)
