"""Benchmark the dashboards in the kernel: the time per update, against re-creating the figure.

Every dashboard factory of ``softmax_lab.widgets.__all__`` is built (found and given arguments as
the contract tests do, tests/widget_helpers.py), then its first slider, the one
benchmarks/bench_browser.py presses, is stepped through its values as a learner's key presses
would. Three ways of reacting are timed:

``update``
    what the dashboards do: the maths, the animated artists changed in place and drawn again
    over the saved picture of the rest (plots.redraw), the PNG encoded and handed to the
    ``Output`` widget. The kernel's share of a key press in the browser.
``full draw``
    the same, but the whole figure drawn each time (ticks, labels and all): what every update
    would cost without the partial redraws.
``recreate``
    the reference: a new figure with new axes and artists, the same state drawn into it, then
    rendered the same way (what a callback that calls ``plt.subplots`` every time would cost).

Numbers are medians of round-robin rounds (benchmarks/_timing.py), printed in ms and as ratios to
``recreate``. The last column is the update's share of the 50 ms key-to-pixels budget of issue
18 (the browser adds the round trip and the image decoding: see bench_browser.py). Benchmarks are
never pass/fail: the machine is shared and noisy.

``--presses``: the browser's path instead
    each dashboard built fresh, then the 15 key presses bench_browser.py makes (one step right,
    one step left at the maximum: a slider that starts at its maximum goes back and forth
    between two values), timed one by one in CPU time (``time.process_time``: less sensitive
    to other processes than the wall clock). Printed: median, 90th percentile and maximum ms
    per press, and the share of the presses' time spent in ``_show_state`` (the maths and
    setting the artists); the rest is drawing, PNG encoding, and whatever the control's own
    callback does before (the training dashboard's reset builds a new trainer there). First
    visits of a value and values shown before are mixed as in the browser.

Usage: python benchmarks/bench_widgets.py [--rounds 5] [--presses] [names...]
"""

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

import ipywidgets
import numpy as np
from _timing import print_row, round_robin

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
os.environ.pop("SOFTMAX_LAB_FIGURES", None)

from widget_helpers import FACTORIES, build, first_slider  # noqa: E402

from softmax_lab import plots  # noqa: E402

BUDGET_MS = 50.0


def slider_values(slider):
    """Eight values of ``slider`` one step apart, there and back: every call is a change."""
    if isinstance(slider, ipywidgets.SelectionSlider):
        values = [o[1] if isinstance(o, tuple) else o for o in slider.options]
        i = values.index(slider.value)
        forth = values[i:i + 5] if i + 5 <= len(values) else values[-5:]
    elif isinstance(slider, ipywidgets.FloatLogSlider):
        e0 = np.log(slider.value) / np.log(slider.base)
        e0 = min(e0, slider.max - 4 * slider.step)
        forth = [slider.base ** (e0 + k * slider.step) for k in range(5)]
    else:
        v0 = min(slider.value, slider.max - 4 * slider.step)
        forth = [v0 + k * slider.step for k in range(5)]
    return forth + forth[-2:0:-1]


def mover(dash):
    slider = first_slider(dash)
    values = itertools.cycle(slider_values(slider))
    return lambda: setattr(slider, "value", next(values))


def methods_for(name):
    dash = build(name)
    change = mover(dash)

    def full_draw():
        plots.invalidate(dash.figure)          # no saved picture: draw everything
        change()

    reference = build(name)
    change_reference = mover(reference)

    def recreate():
        change_reference()          # the state changes (this also redraws the old figure ...)
        reference._build_figure()   # ... but the reference then builds a new figure from scratch
        reference._show_state()
        plots.render_png(reference.figure)

    return {"update": change, "full draw": full_draw, "recreate": recreate}, dash


def browser_presses(slider, n=15):
    """Set ``slider`` as n ArrowRight presses would (ArrowLeft when it sits at its maximum), one by one."""
    if isinstance(slider, ipywidgets.SelectionSlider):
        values = [o[1] if isinstance(o, tuple) else o for o in slider.options]
        for _ in range(n):
            i = values.index(slider.value)
            yield values[i + 1] if i + 1 < len(values) else values[i - 1]
    elif isinstance(slider, ipywidgets.FloatLogSlider):
        for _ in range(n):
            e = np.log(slider.value) / np.log(slider.base)
            yield slider.base ** (e + slider.step if e + slider.step <= slider.max + 1e-9 else e - slider.step)
    else:
        for _ in range(n):
            v = slider.value
            yield v + slider.step if v + slider.step <= slider.max + 1e-9 else v - slider.step


def press_path(name):
    """CPU ms per press along the browser's path, and the part spent in _show_state."""
    dash = build(name)
    try:
        slider = first_slider(dash)
    except StopIteration:
        return None
    in_state = []
    show_state = dash._show_state

    def timed_show_state():
        start = time.process_time()
        show_state()
        in_state.append(time.process_time() - start)

    dash._show_state = timed_show_state           # this instance only
    per_press = []
    for value in browser_presses(slider):
        start = time.process_time()
        slider.value = value
        per_press.append(time.process_time() - start)
    assert dash.errors == [], dash.errors
    return np.array(per_press) * 1e3, 1e3 * sum(in_state), slider.description


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--presses", action="store_true", help="CPU time per press along bench_browser's path")
    parser.add_argument("names", nargs="*", help="factory names (default: all)")
    args = parser.parse_args()

    if args.presses:
        print("CPU ms per key press along bench_browser.py's path (15 presses, fresh dashboard); state = share "
              "in _show_state (maths, artists); the rest: drawing, PNG, the control's own callback")
        print(f"{'dashboard (first slider)':<44} {'median':>7} {'p90':>7} {'max':>7} {'state':>6}")
        for name in args.names or sorted(FACTORIES):
            result = press_path(name)
            if result is None:
                print(f"{name:<44} (no slider)")
                continue
            ms, state_ms, description = result
            print(f"{name + ' (' + description + ')':<44} {np.median(ms):7.1f} {np.percentile(ms, 90):7.1f} "
                  f"{ms.max():7.1f} {state_ms / ms.sum():6.0%}", flush=True)
        return

    print("median time per update of the first slider (ms), and ratios to re-creating the figure (recreate=1.00x)")
    for name in args.names or sorted(FACTORIES):
        methods, dash = methods_for(name)
        medians = round_robin(methods, rounds=args.rounds, min_time=0.1)
        assert dash.errors == [], dash.errors     # a benchmark of a broken dashboard is no benchmark
        print_row(f"{name} ({first_slider(dash).description})", medians, reference="recreate", unit="ms")
        update_ms, full_ms = medians["update"] * 1e3, medians["full draw"] * 1e3
        print(f"{'':<34} update {update_ms:.1f} ms ({update_ms / BUDGET_MS:.0%} of the {BUDGET_MS:.0f} ms budget), "
              f"full draw {full_ms:.1f} ms", flush=True)


if __name__ == "__main__":
    main()
