"""Tick labels of one width, so that a dashboard can change an axis's limits without a new layout.

Laying a figure out again (:func:`softmax_lab.plots.relayout`) costs more than half of a full
draw. When an axis's limits change, the layout only has to change if its tick labels got wider:
integer labels padded to a common width with figure spaces (as wide as a digit) keep the same
width for every limit up to that many digits. A dashboard lays out again only when a label
needs more digits, and otherwise names the new look with :func:`softmax_lab.plots.set_static_key`.
"""

FIGURE_SPACE = "\u2007"           # as wide as a digit in the figure fonts


def pad_integer_labels(axis, width):
    """Integer ticks on ``axis`` (e.g. ``ax.yaxis``), labelled right-aligned in ``width()`` characters."""
    axis.axes.locator_params(axis=axis.axis_name, integer=True)
    axis.set_major_formatter(lambda value, pos: f"{value:.0f}".rjust(width(), FIGURE_SPACE))


def label_width(axis, least=2):
    """Characters in the widest integer tick label within ``axis``'s limits (at least ``least``)."""
    low, high = sorted(axis.get_view_interval())
    return max([least] + [len(f"{tick:.0f}") for tick in axis.get_majorticklocs() if low <= tick <= high])
