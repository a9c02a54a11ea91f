"""Run every benchmarks/bench_*.py in turn, each in its own fresh interpreter (``make bench``).

Benchmarks print ratios and are never pass/fail tests; this script only fails (exit status 1)
if a benchmark script itself crashes, after running all the others. Its arguments are passed on
to every script (each takes ``--rounds N``): ``python benchmarks/run_all.py --rounds 3``.

bench_browser.py is one of them: it drives JupyterLab in a real Chromium for about 3 minutes
(it prints why and does nothing without Chromium or Playwright). ``make test`` never runs it:
pytest collects only ``test_*.py`` files. bench_contention.py starts busy-loop processes on
every core for its loaded runs (and stops them); it takes a minute or two.
"""

import pathlib
import subprocess
import sys
import time


def main():
    here = pathlib.Path(__file__).resolve().parent
    scripts = sorted(here.glob("bench_*.py"))
    crashed = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        start = time.perf_counter()
        result = subprocess.run([sys.executable, str(script), *sys.argv[1:]], cwd=here)
        print(f"=== {script.name}: {time.perf_counter() - start:.0f} s"
              + ("" if result.returncode == 0 else f", FAILED with exit status {result.returncode}"),
              flush=True)
        if result.returncode != 0:
            crashed.append(script.name)
    if crashed:
        print(f"\n{len(crashed)} benchmark script(s) crashed: {', '.join(crashed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
