"""How long each notebook takes from "Run All" to its last output, in a fresh kernel.

What a learner waits for when they open a lesson and run it top to bottom. Each notebook
(every lesson, and the classroom app) is executed with nbclient in a fresh kernel, with the
default figure path (PNG images), ``--rounds`` times, round-robin; the median is kept.

The reference (``floor``) is a notebook of one cell that does what every lesson's Setup does
(``import softmax_lab.widgets`` and ``setup_figures()``): starting a kernel and importing
numpy, matplotlib and ipywidgets. A lesson's ratio to it says how much of the wait is the
lesson's own work; the aim (issue 18) is at most 3x for every lesson. Absolute seconds are
printed too, because "a notebook runs in seconds" is the goal; they depend on the machine, and
nothing here is pass/fail. The kernels get the environment ``softmax-lab`` (``make lab``) gives
them (:data:`softmax_lab.launch.KERNEL_ENVIRONMENT`); ``--numpy-hugepages`` leaves numpy's default.

    python benchmarks/bench_notebooks.py [--rounds 3] [--only 05 classroom]
"""

import argparse
import os
import pathlib
import statistics
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

from softmax_lab.launch import kernel_environment

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
FLOOR = "import numpy as np\nfrom softmax_lab.widgets import setup_figures\nsetup_figures()"


def run_once(nb):
    """Seconds to start a kernel and execute ``nb`` (a NotebookNode, executed in place)."""
    start = time.perf_counter()
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None, help="notebook name prefixes, e.g. 05 classroom")
    parser.add_argument("--numpy-hugepages", action="store_true",
                        help="leave numpy's huge-page request on (the launcher turns it off: softmax_lab.launch)")
    args = parser.parse_args()
    if not args.numpy_hugepages:       # the kernels' environment under `make lab` / `softmax-lab`
        os.environ.update(kernel_environment())
    os.environ.pop("SOFTMAX_LAB_FIGURES", None)               # the default figure path, in every kernel
    os.environ.setdefault("SOFTMAX_LAB_PROGRESS", str(pathlib.Path(tempfile.mkdtemp()) / "progress.json"))
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if args.only:
        paths = [p for p in paths if any(p.name.startswith(o) for o in args.only)]
    notebooks = {"floor": nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FLOOR)])}
    notebooks.update({p.stem: nbformat.read(p, as_version=4) for p in paths})
    samples = {name: [] for name in notebooks}
    for _ in range(max(1, args.rounds)):
        for name, nb in notebooks.items():
            samples[name].append(run_once(nbformat.from_dict(nb)))   # a fresh copy every time
    medians = {name: statistics.median(ts) for name, ts in samples.items()}
    floor = medians["floor"]
    print(f"NUMPY_MADVISE_HUGEPAGE={os.environ.get('NUMPY_MADVISE_HUGEPAGE', '(unset: numpy default)')}")
    print(f"median of {args.rounds} round(s), fresh kernel each, PNG figures; floor = kernel start + Setup "
          f"imports = {floor:.2f} s")
    print(f"{'notebook':<42} {'seconds':>8} {'x floor':>8}")
    for name, t in medians.items():
        if name != "floor":
            print(f"{name:<42} {t:>8.2f} {t / floor:>7.2f}x" + ("   over 3x" if t > 3 * floor else ""))
    lessons = [t for name, t in medians.items() if name[:2].isdigit()]
    if lessons:
        print(f"{'all lessons, top to bottom':<42} {sum(lessons):>8.2f}   (slowest {max(lessons):.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
