"""Benchmark the dashboards: the time per update, against re-creating the figure every time.

Each dashboard is built once, then one of its controls is set programmatically, as a learner's
slider move would set it. Three ways of reacting are timed, in both figure modes:

``update``
    what the dashboards do: change the animated artists in place and draw only them over the
    saved picture of the rest of the figure (plots.redraw).
    * "png" mode: this includes encoding the PNG and handing it to the Output widget.
    * "canvas" mode: ipympl is put in its "browser connected" state and has drawn one full
      frame (as the browser asks when the figure first appears); an update then blits, and
      ipympl PNG-encodes the changed pixels and sends them (to nobody here), all inside the
      timed call.
``full draw``
    the same figure, updated in place, but drawn in full each time (ticks, labels and all):
    what a plain ``draw_idle()`` ends up costing when the browser asks for the new image.
``recreate``
    the reference: a new figure with new axes and artists, the same state drawn into it, then
    rendered the same way (what a callback that calls ``plt.subplots`` every time would cost).

Numbers are medians of round-robin rounds (benchmarks/_timing.py), printed in ms and as ratios to
``recreate``. The targets from the issue: at most 20 ms per update with the live canvas and at
most 50 ms with the PNG fallback, for 10 categories. Benchmarks are never pass/fail tests: the
last column only says whether this run met the target on this (shared, noisy) machine.

Usage: python benchmarks/bench_widgets.py [--rounds 5]
"""

import argparse
import itertools
import os

import numpy as np
from _timing import print_row, round_robin

os.environ.pop("SOFTMAX_LAB_FIGURES", None)

from softmax_lab import plots, widgets  # noqa: E402

TEN = np.round(np.linspace(-3.0, 3.0, 10), 2)
TARGET_MS = {"canvas": 20.0, "png": 50.0}


def _cycle(values):
    """A function returning the next value of ``values`` on each call (every call is a change)."""
    it = itertools.cycle(values)
    return lambda: next(it)


SLIDER_VALUES = np.round(np.linspace(-4.0, 4.0, 17), 2)
TEMPERATURES = np.round(np.geomspace(0.05, 20.0, 17), 3)

# name -> (build the dashboard, change one control, counts toward the 10-category target?)
CASES = {
    "logit_explorer, 3 categories": (lambda: widgets.logit_explorer(), "slider", False),
    "logit_explorer, 10 categories": (lambda: widgets.logit_explorer(TEN), "slider", True),
    "temperature_explorer, 10": (lambda: widgets.temperature_explorer(TEN), "temperature", True),
    "sigmoid_vs_softmax, 2 + 4": (lambda: widgets.sigmoid_vs_softmax(), "z0", False),
    "gradient_stepper, 10": (lambda: widgets.gradient_stepper(TEN, target=2), "step", True),
    "stability_explorer, 3": (lambda: widgets.stability_explorer(), "scale", False),
    "sampler_dashboard, 445 (stairs)": (lambda: widgets.sampler_dashboard(), "temperature", False),
}


def mover(dash, control):
    """A zero-argument function that makes one change to ``dash``, as a learner would."""
    if control == "slider":
        nxt = _cycle(SLIDER_VALUES)
        return lambda: setattr(dash.sliders[0], "value", nxt())
    if control == "temperature":
        nxt = _cycle(TEMPERATURES)
        return lambda: setattr(dash.temperature, "value", nxt())
    if control == "z0":
        nxt = _cycle(SLIDER_VALUES)
        return lambda: setattr(dash.z0, "value", nxt())
    if control == "scale":
        nxt = _cycle(np.round(np.geomspace(1.0, 1000.0, 17), 2))
        return lambda: setattr(dash.scale, "value", nxt())
    return dash.step


def render(fig, mode):
    """What a change costs to show: the PNG in "png" mode, the repaint ipympl sends otherwise."""
    if mode == "png":
        plots.render_png(fig)
    else:
        fig.canvas.draw()


def methods_for(build, control, mode):
    dash = build()
    change = mover(dash, control)
    if mode == "canvas":
        # As after the browser's "initialized" message: ipympl then sends PNG diffs of the
        # changed pixels, instead of a full data URL of the figure on every draw.
        dash.figure.canvas.syncing_data_url = False
        # A browser that asks for the new image at once whenever draw_idle() is called (the
        # gradient stepper's loss axis grows every 10 steps: then the whole figure is drawn).
        dash.figure.canvas.draw_idle = dash.figure.canvas.draw
        dash.figure.canvas.draw()              # the browser's first request: one full frame

    def full_draw():
        plots.invalidate(dash.figure)          # no saved background: draw everything
        change()

    reference = build()
    change_reference = mover(reference, control)

    def recreate():
        old = reference.figure
        change_reference()          # the state changes (this also redraws the old figure ...)
        reference._build_figure()   # ... but the reference then builds a new figure from scratch
        reference._show_state()
        if mode == "canvas":
            reference.figure.canvas.syncing_data_url = False
        render(reference.figure, mode)
        if mode == "canvas":
            old.canvas.close()      # free the old canvas widget

    methods = {"update": change, "full draw": full_draw, "recreate": recreate}
    return methods, dash


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    print("median time per update (ms), and ratios to re-creating the figure (recreate=1.00x)")
    for mode in ("canvas", "png"):
        widgets.setup_figures(mode)
        print(f"\n--- figure mode: {mode} (target: update <= {TARGET_MS[mode]:.0f} ms for 10 categories)")
        for name, (build, control, counts) in CASES.items():
            methods, dash = methods_for(build, control, mode)
            medians = round_robin(methods, rounds=args.rounds, min_time=0.1)
            assert dash.errors == [], dash.errors     # a benchmark of a broken dashboard is no benchmark
            print_row(name, medians, reference="recreate", unit="ms")
            update_ms, full_ms = medians["update"] * 1e3, medians["full draw"] * 1e3
            line = f"{'':<34} update {update_ms:.1f} ms, full draw {full_ms:.1f} ms"
            if counts:
                verdict = "meets" if update_ms <= TARGET_MS[mode] else "misses"
                line += f": update {verdict} the {TARGET_MS[mode]:.0f} ms target"
            print(line, flush=True)


if __name__ == "__main__":
    main()
