"""The contract every dashboard keeps, checked on every factory of ``softmax_lab.widgets.__all__``.

The factories are found, not listed (widget_helpers.dashboard_factories): a new dashboard class in
``__all__`` with its snake-case factory is covered by every test here with no new table; a factory
that needs arguments gets them from widget_helpers.FACTORY_ARGUMENTS. Each dashboard

* builds, and shows its figure at once, as a PNG of the figure's size, identical to a full draw;
  every axis that shows tick labels has a label;
* lets every control move (sliders, toggles, drop-downs, check boxes) without an error, and after
  each move still shows exactly what a full draw shows (the partial redraws miss nothing);
* changes its figure when its first control moves;
* shows an error raised while it reacts inside itself (banner and traceback), never raises it;
* has larger figure and fonts in presentation mode, and room for its slider descriptions;
* keeps every text it draws (tick labels, axis labels, titles, annotations, legends, value
  labels) inside its figure, and no two of its texts over each other (a rotated label counts by
  its own turned rectangle), at the default and the presentation size, and after every move;
* stays readable at the projector sizes of issue 19 (browser windows of 1280 x 800 and
  1024 x 768): with its picture scaled down to the width JupyterLab gives an output there
  (widget_helpers.PROJECTOR_OUTPUT_WIDTHS, measured by tests/browser/test_projector.py), its
  smallest text is at least 14 CSS pixels in presentation mode and 11 at the default size.

The last tests plant a defect in a dashboard and show that these checks catch it.
"""

import html

import ipywidgets
import numpy as np
import pytest
from fast_loop import representatives
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from widget_helpers import (
    FACTORIES,
    FACTORY_ARGUMENTS,
    PROJECTOR_OUTPUT_WIDTHS,
    SMALLEST_TEXT_PX,
    all_widgets,
    build,
    controls,
    dashboard_classes,
    differing_pixels,
    draw_and_measure,
    draw_and_measure_texts,
    drawn_texts,
    moved_value,
    overlapping_texts,
    png_outputs,
    projected_text_sizes,
    snake_case,
    texts_outside,
)

from softmax_lab import plots
from softmax_lab import widgets as W

NAMES = sorted(FACTORIES)
#: `make check` builds every dashboard (the first test below) and runs the other checks on this one;
#: `make test` runs every check on every dashboard (fast_loop.representatives).
CHECK_ON = {"logit_explorer"}


# ---------------------------------------------------------------------------------------------
# The checks (functions, so that the planted defects below can show each one failing)
# ---------------------------------------------------------------------------------------------

def check_builds_and_shows_its_figure(dash):
    """Built: the figure is in the layout and shown at once, exactly, with every text inside it.
    Returns the texts of that full draw (for check_readable_at_projector_sizes)."""
    assert isinstance(dash, W.Dashboard) and isinstance(dash, ipywidgets.VBox)
    assert dash.figure_mode == "png" and isinstance(dash.figure_view, ipywidgets.Output)
    assert dash.figure_view in list(all_widgets(dash)), "the figure is not in the layout"
    png = png_outputs(dash)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # Agg truncates the figure's size in pixels, some matplotlib releases round it (2.9 in x 140 dpi
    # = 405.99999...: 405 or 406): either is the figure's size
    for pixels, inches in zip((int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")),
                              dash.figure.bbox.size):
        assert pixels in (int(inches), int(round(inches))), (pixels, inches)
    full, outside, overlapping, drawn = draw_and_measure_texts(dash.figure)
    assert differing_pixels(png, full) == 0, "the picture shown is not the figure"
    assert outside == [], f"texts cut off at the edge of the figure: {outside}"
    assert overlapping == [], f"texts drawn over each other: {overlapping}"
    assert dash.errors == []
    return drawn


def check_readable_at_projector_sizes(dash, drawn=None):
    """At each projector size the picture is scaled to the output's width; every text stays large enough.
    ``drawn``: the texts of a full draw of the figure as it is now (drawn_texts), or None to draw it."""
    if drawn is None:
        _, drawn = drawn_texts(dash.figure)
    smallest = SMALLEST_TEXT_PX[dash.presentation]
    for size, width in PROJECTOR_OUTPUT_WIDTHS.items():
        small = sorted({(text, round(float(px), 1)) for text, px in projected_text_sizes(dash.figure, drawn, width)
                        if px < smallest - 1e-9}, key=lambda item: item[1])
        assert not small, f"at {size} ({width} px wide output) texts below {smallest} px: {small[:6]}"


def check_first_control_changes_the_figure(dash):
    control = controls(dash)[0]
    before = png_outputs(dash)
    control.value = moved_value(control)
    assert dash.errors == []
    assert png_outputs(dash) != before, f"moving {control.description!r} did not change the figure"


def check_controls_move(dash):
    """Move every control once; after each move the picture shown is the figure drawn in full, and
    every text is inside it."""
    moved = controls(dash)
    assert moved, "a dashboard without controls"
    for control in moved:
        if control.disabled:          # an earlier move may have disabled it (a strategy without it)
            continue
        control.value = moved_value(control)
        assert dash.errors == [], (control.description, dash.errors)
        full, outside, overlapping = draw_and_measure(dash.figure)
        assert differing_pixels(png_outputs(dash), full) == 0, \
            f"after moving {control.description!r} the picture shown differs from the figure"
        assert outside == [], f"after moving {control.description!r}, texts cut off: {outside}"
        assert overlapping == [], f"after moving {control.description!r}, texts drawn over each other: {overlapping}"


def check_errors_are_shown_inside(dash, monkeypatch):
    def broken(*args, **kwargs):
        raise ArithmeticError("simulated failure in the maths")

    monkeypatch.setattr(dash, "_show_state", broken)
    control = controls(dash)[0]
    control.value = moved_value(control)          # must not raise: the error goes to the dashboard
    assert "simulated failure in the maths" in html.unescape(dash.error.value)
    assert "ArithmeticError" in dash.error.value and isinstance(dash.errors[-1], ArithmeticError)
    details = "".join(o.get("text", "") for o in dash.error_details.outputs)
    assert "Traceback" in details and "simulated failure" in details
    assert dash.error_details.layout.display is None             # visible
    monkeypatch.undo()                                             # the maths works again
    control.value = moved_value(control, 2)
    assert dash.error.value == ""


def check_every_axis_with_tick_labels_is_labelled(dash, drawn=False):
    """An axis that shows tick labels says what they are (a colour bar's label counts for both).
    Tick labels are made at draw time: ``drawn=True`` when the figure was just drawn in full."""
    if not drawn:
        plots.render_png(dash.figure)
    for ax in dash.figure.axes:
        if not ax.get_visible():
            continue
        for axis, label in ((ax.xaxis, ax.get_xlabel()), (ax.yaxis, ax.get_ylabel())):
            shown = axis.get_visible() and any(t.get_visible() and t.get_text() for t in axis.get_ticklabels())
            colorbar = ax.get_label() == "<colorbar>" and (ax.get_xlabel() or ax.get_ylabel())
            assert label or not shown or colorbar, f"an unlabelled {axis.axis_name} axis: {ax.get_title()!r}"


def check_slider_descriptions_have_room(dash):
    for control in controls(dash):
        if control.description and not isinstance(control, ipywidgets.Checkbox):
            width = control.style.description_width
            assert width.endswith("ch") and int(width[:-2]) >= len(control.description), \
                (control.description, width)


# ---------------------------------------------------------------------------------------------
# Every factory is found
# ---------------------------------------------------------------------------------------------

def test_every_dashboard_class_has_its_factory_in_all():
    missing = [name for name in dashboard_classes() if snake_case(name) not in W.__all__]
    assert not missing, f"dashboard classes without a factory named after them in __all__: {missing}"
    assert len(FACTORIES) >= 19
    assert set(FACTORY_ARGUMENTS) <= set(FACTORIES), "FACTORY_ARGUMENTS names a factory that is not there"


# ---------------------------------------------------------------------------------------------
# The contract, on every factory
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_builds_shows_its_figure_and_every_text_fits(name):
    dash = build(name)
    drawn = check_builds_and_shows_its_figure(dash)              # draws the figure in full, once
    check_every_axis_with_tick_labels_is_labelled(dash, drawn=True)
    check_slider_descriptions_have_room(dash)
    check_readable_at_projector_sizes(dash, drawn)


@pytest.mark.parametrize("name", representatives(NAMES, CHECK_ON))
def test_presentation_is_larger_and_every_text_still_fits(name):
    normal, big = build(name, presentation=False), build(name, presentation=True)
    check_readable_at_projector_sizes(big, check_builds_and_shows_its_figure(big))
    assert big.figure.get_figwidth() > normal.figure.get_figwidth()

    def largest_font(dash):
        return max(text.get_fontsize() for text in dash.figure.findobj(Text))

    assert largest_font(big) > largest_font(normal)
    assert "softmax-lab-presentation" in big._dom_classes
    assert "softmax-lab-presentation" not in normal._dom_classes


@pytest.mark.parametrize("name", representatives(NAMES, CHECK_ON))
def test_controls_move_the_figure_and_the_picture_stays_exact(name):
    dash = build(name)
    check_first_control_changes_the_figure(dash)
    check_controls_move(dash)


@pytest.mark.parametrize("name", representatives(NAMES, CHECK_ON))
def test_errors_are_shown_inside_the_dashboard(name, monkeypatch):
    check_errors_are_shown_inside(build(name), monkeypatch)


@pytest.mark.slow
def test_the_classroom_switch_turns_presentation_on(monkeypatch):
    """`make demo` sets SOFTMAX_LAB_PRESENTATION=1: every dashboard then projects large."""
    monkeypatch.setenv("SOFTMAX_LAB_PRESENTATION", "1")
    for name in ("logit_explorer", "attention_sink", "claim_stepper"):
        assert build(name).presentation, name
    monkeypatch.setenv("SOFTMAX_LAB_PRESENTATION", "0")
    assert not build("logit_explorer").presentation


# ---------------------------------------------------------------------------------------------
# Planted defects: each check above fails on the defect it is there for
# (those that build a second dashboard or a presentation-size one are left to make test)
# ---------------------------------------------------------------------------------------------

def test_a_slider_that_no_longer_updates_the_figure_is_caught(monkeypatch):
    monkeypatch.setattr(W.LogitExplorer, "_show_state", lambda self: None)
    dash = W.logit_explorer()
    with pytest.raises(AssertionError, match="did not change the figure"):
        check_first_control_changes_the_figure(dash)


@pytest.mark.slow
def test_a_partial_redraw_that_misses_an_artist_is_caught(monkeypatch):
    """A changed artist that is not registered with plots.animate (nor followed by invalidate)."""
    dash = W.temperature_explorer()
    original = W.TemperatureExplorer._show_state

    def also_static(self):
        original(self)
        self._h_ax.set_facecolor((0.9, 0.9, 1.0, 1.0) if self._h_ax.get_facecolor()[0] == 1 else "white")

    monkeypatch.setattr(W.TemperatureExplorer, "_show_state", also_static)
    with pytest.raises(AssertionError, match="differs from the figure"):
        check_controls_move(dash)


def test_an_error_that_escapes_the_dashboard_is_caught(monkeypatch):
    monkeypatch.setattr(W.Dashboard, "_guarded", lambda self, callback: callback)    # no guard
    dash = W.logit_explorer()
    with pytest.raises(ArithmeticError):
        check_errors_are_shown_inside(dash, pytest.MonkeyPatch())


def test_a_cut_off_text_is_caught_in_a_dashboard(monkeypatch):
    original = W.AttentionSink._build_figure

    def with_a_note_too_far_right(self):
        original(self)
        note = self.figure.axes[-1].annotate("a note that runs off the figure", (1.0, 0.5), xycoords="axes fraction")
        note.set_in_layout(False)            # the layout makes no room for it

    monkeypatch.setattr(W.AttentionSink, "_build_figure", with_a_note_too_far_right)
    with pytest.raises(AssertionError, match="cut off"):
        check_builds_and_shows_its_figure(W.attention_sink())


def test_a_cut_off_text_is_caught():
    fig, ax = plots.new_figure()
    fig.set_layout_engine("none")                    # as the dashboards freeze it
    ax.set_title("a title")
    assert texts_outside(fig) == []
    ax.text(0.99, 0.5, "cut off at the right edge", transform=fig.transFigure)
    ax.set_ylabel("a y label", labelpad=60)          # pushed out on the left
    assert sorted(text for text, _ in texts_outside(fig)) == ["a y label", "cut off at the right edge"]


def test_a_cut_off_tick_label_is_caught():
    """The training dashboard's defect of issue 19: axis limits changed after the layout was frozen."""
    fig = Figure(figsize=(4, 2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.1, 0.2, 0.86, 0.7))
    ax.set_xlim(0, 2000)
    ax.set_xticks([0, 1000, 2000], ["0", "1000", "2000"])
    assert [text for text, _ in texts_outside(fig)] == ["2000"]


@pytest.mark.slow
def test_texts_over_each_other_are_caught_in_a_dashboard(monkeypatch):
    """The classifier trainer's defect found by this check: upright class names in a narrow axis."""
    original = W.ClassifierTrainer._build_figure

    def with_upright_class_names(self):
        original(self)
        ax = self._pred_title.axes
        ax.set_xticks(ax.get_xticks(), [t.get_text() for t in ax.get_xticklabels()], rotation=0, ha="center")
        plots.relayout(self.figure)

    monkeypatch.setattr(W.ClassifierTrainer, "_build_figure", with_upright_class_names)
    with pytest.raises(AssertionError, match="over each other.*'negative', 'neutral'"):
        check_builds_and_shows_its_figure(build("classifier_trainer"))


def test_turned_labels_count_by_their_own_rectangle():
    """Two labels turned 45 degrees side by side: their upright boxes overlap, the labels do not;
    turned towards each other, they cross, and that is caught."""
    fig = Figure(figsize=(4, 3), dpi=100)
    FigureCanvasAgg(fig)
    fig.text(0.3, 0.5, "a long turned label", rotation=45, ha="center", va="center")
    fig.text(0.42, 0.5, "another turned one", rotation=45, ha="center", va="center")
    assert overlapping_texts(fig) == []
    fig.texts[1].set_rotation(-45)
    assert [pair[:2] for pair in overlapping_texts(fig)] == [("a long turned label", "another turned one")]


@pytest.mark.slow
def test_text_too_small_for_a_projector_is_caught(monkeypatch):
    """A dashboard that forgets to enlarge one text in presentation mode (the entropy-collapse
    dashboard's right axis did), and one whose figure is so wide that scaling shrinks its text."""
    original = W.EntropyCollapse._build_figure

    def right_ticks_left_small(self):
        original(self)
        self.figure.axes[-1].tick_params(labelsize=10)

    monkeypatch.setattr(W.EntropyCollapse, "_build_figure", right_ticks_left_small)
    with pytest.raises(AssertionError, match="at 1280x800 .*texts below 14"):
        check_readable_at_projector_sizes(W.entropy_collapse(presentation=True))
    monkeypatch.undo()
    dash = W.logit_explorer(presentation=True)
    check_readable_at_projector_sizes(dash)
    dash.figure.set_size_inches(24, 6)              # 2400 px wide: scaled to less than half
    with pytest.raises(AssertionError, match="texts below 14"):
        check_readable_at_projector_sizes(dash)


def test_the_checks_pass_on_a_sound_dashboard():
    dash = W.logit_explorer()
    check_builds_and_shows_its_figure(dash)
    check_first_control_changes_the_figure(dash)
    assert np.isclose(dash.probabilities.sum(), 1.0)
