"""Reading what learners type into the dashboards' text boxes, and checking constructor arguments.

Text is never evaluated: it is split and each piece read with ``float()``. The limits below are
shared by every dashboard with one slider per logit: at most :data:`MAX_CATEGORIES` (12)
categories, every logit between ``-LOGIT_LIMIT`` and ``+LOGIT_LIMIT`` (-10 and 10, the range of
the sliders).
"""

import math
import re
import unicodedata

import numpy as np

#: The most categories a dashboard with one slider per logit shows: 12 sliders still fit on a
#: projected screen, and 12 bars stay readable.
MAX_CATEGORIES = 12
#: Logits are kept between -LOGIT_LIMIT and +LOGIT_LIMIT (the slider range). A gap of 10
#: between two logits already gives odds of e^10, about 22 000 to 1.
LOGIT_LIMIT = 10.0
#: Longest label accepted from the labels text box (longer ones crowd the axis).
MAX_LABEL_LENGTH = 16
#: Longest text accepted in a text box, before any parsing.
MAX_TEXT_LENGTH = 400

CAT_EXAMPLE_LABELS = ("mat", "floor", "roof")
CAT_EXAMPLE_LOGITS = (2.0, 1.0, 0.1)
CAT_EXAMPLE_CONTEXT = "The cat sat on the ___"


# --------------------------------------------------------------------------------------------
# Parsing what learners type (never eval)
# --------------------------------------------------------------------------------------------

def parse_logits(text, max_count=MAX_CATEGORIES, limit=LOGIT_LIMIT):
    """Read logits typed by a learner, such as ``"2.0, 1.0, 0.1"``, without ever evaluating code.

    The text is split on commas, semicolons and white space; each piece must be a plain number
    (``float()`` reads it).

    Parameters
    ----------
    text : str
    max_count : int, default MAX_CATEGORIES (12)
    limit : float, default LOGIT_LIMIT (10)
        Every logit must lie in ``[-limit, limit]``.

    Returns
    -------
    ndarray of float64
        Between 2 and ``max_count`` finite values.

    Raises
    ------
    ValueError
        With a message meant for the learner: no numbers, a piece that is not a number, NaN or
        infinity, a value out of range, fewer than 2 or more than ``max_count`` values.
    TypeError
        ``text`` is not a string.

    Examples
    --------
    >>> parse_logits("2.0, 1.0, 0.1")
    array([2. , 1. , 0.1])
    >>> parse_logits("3 -1.5")
    array([ 3. , -1.5])
    >>> parse_logits("2, nan")
    Traceback (most recent call last):
    ...
    ValueError: 'nan' is not a finite number; use values between -10 and 10
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"that is {len(text)} characters; type at most {max_count} numbers")
    pieces = [p for p in re.split(r"[\s,;]+", text.strip()) if p]
    if not pieces:
        raise ValueError("type at least 2 logits separated by commas, e.g. 2.0, 1.0, 0.1")
    if len(pieces) > max_count:
        raise ValueError(f"at most {max_count} logits, got {len(pieces)}")
    values = []
    for piece in pieces:
        try:
            value = float(piece)
        except ValueError:
            raise ValueError(f"{piece!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"{piece!r} is not a finite number; use values between {-limit:g} and {limit:g}")
        if abs(value) > limit:
            raise ValueError(f"{piece} is outside the range {-limit:g} to {limit:g}")
        values.append(value)
    if len(values) < 2:
        raise ValueError("type at least 2 logits: with one category, softmax is always 1")
    return np.array(values, dtype=np.float64)


def parse_labels(text, max_count=MAX_CATEGORIES, max_length=MAX_LABEL_LENGTH):
    """Read category labels typed by a learner, such as ``"mat, floor, roof"``.

    Labels are split on commas (or semicolons); without any comma, on white space.

    Returns
    -------
    list of str
        Between 2 and ``max_count`` different, non-empty labels of at most ``max_length``
        characters each.

    Raises
    ------
    ValueError
        With a message meant for the learner.

    Examples
    --------
    >>> parse_labels("mat, floor, roof")
    ['mat', 'floor', 'roof']
    >>> parse_labels("New York; Paris")
    ['New York', 'Paris']
    >>> parse_labels("cat dog")
    ['cat', 'dog']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"that is {len(text)} characters; type at most {max_count} short labels")
    pieces = re.split(r"[,;]", text) if re.search(r"[,;]", text) else text.split()
    labels = [p.strip() for p in pieces if p.strip()]
    if len(labels) < 2:
        raise ValueError("type at least 2 labels separated by commas, e.g. mat, floor, roof")
    if len(labels) > max_count:
        raise ValueError(f"at most {max_count} labels, got {len(labels)}")
    for label in labels:
        if len(label) > max_length:
            raise ValueError(f"{label[:max_length]!r}... is longer than {max_length} characters")
    _refuse_unprintable(labels, "the label")
    _refuse_duplicates(labels, "the label")
    return labels


def check_logits(logits, name="logits", limit=LOGIT_LIMIT, max_count=MAX_CATEGORIES):
    """Validate constructor logits: 1-D, 2..max_count finite numbers within [-limit, limit]."""
    try:
        z = np.asarray(logits, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers, got {logits!r}") from None
    if z.ndim != 1 or not 2 <= z.size <= max_count:
        raise ValueError(f"{name} must be a flat list of 2 to {max_count} numbers, got shape {z.shape}")
    if not np.isfinite(z).all():
        raise ValueError(f"{name} must be finite numbers, got {z.tolist()}")
    if np.abs(z).max() > limit:
        raise ValueError(f"{name} must lie between {-limit:g} and {limit:g} (the slider range), got {z.tolist()}")
    return z


def _refuse_unprintable(labels, what):
    """Control characters (tab, newline, NUL, ...), invisible format characters and line separators
    would garble the axis, the readout and the text box."""
    for label in labels:
        bad = [c for c in label if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")]
        if bad:
            raise ValueError(f"{what} {label!r} contains the control character {bad[0]!r}; use visible characters")


def _refuse_duplicates(labels, what):
    seen = set()
    for label in labels:
        if label in seen:
            raise ValueError(f"{what} {label!r} appears twice; labels must be different")
        seen.add(label)


def check_labels(labels, count, name="labels"):
    """Validate constructor labels: ``count`` different strings without control characters."""
    if isinstance(labels, str) or not all(isinstance(lab, str) for lab in labels):
        raise TypeError(f"{name} must be a list of strings, got {labels!r}")
    labels = list(labels)
    if len(labels) != count:
        raise ValueError(f"{name} has {len(labels)} entries for {count} logits")
    _refuse_unprintable(labels, f"{name}: the label")
    _refuse_duplicates(labels, f"{name}: the label")
    return labels


def categories(logits, labels):
    """The (logits, labels) a dashboard starts from; the cat example when both are None."""
    if logits is None and labels is None:
        return np.array(CAT_EXAMPLE_LOGITS), list(CAT_EXAMPLE_LABELS)
    if logits is None:
        logits = np.zeros(len(labels))
    z = check_logits(logits)
    labels = default_labels(len(z)) if labels is None else check_labels(labels, len(z))
    return z, labels


def default_labels(count, known=()):
    """``known`` labels first, then "word i" names, ``count`` in all."""
    names = list(known)[:count]
    return names + [f"word {i + 1}" for i in range(len(names), count)]
