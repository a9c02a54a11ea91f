"""Summarise a mutation run (`make mutation`): per module, how many mutants the tests killed.

mutmut (configured in pyproject.toml, [tool.mutmut]) writes one result file per mutated module,
``mutants/softmax_lab/<module>.py.meta``, holding an exit code per mutant. This script turns them
into the table of benchmarks/mutation.md and lists every surviving mutant that is not yet
classified.

A survivor is classified in one of two ways:

* a test that kills it, in tests/test_mutation_<module>.py (the next run counts it as killed), or
* a line in tools/mutation_equivalent.txt (also for a mutant that no test calls, mutmut's "no tests":
  a function never called is dead code): the mutant's name, the changed line as mutmut shows it,
  and why no input can tell the mutant from the original (or, for a reason starting "bug:", the
  real defect in the module that keeps a test from killing it: an xfail test records it). The changed
  line is compared with the current mutant, so an entry goes stale (and is reported) when mutmut
  renumbers the mutants.

Usage::

    python tools/mutation_report.py                   # all five modules
    python tools/mutation_report.py attention vocab   # some of them
    python tools/mutation_report.py --diffs attention # and the diff of each unclassified survivor
    python tools/mutation_report.py --retest vocab    # rerun vocab's survivors against tests/test_mutation_vocab.py
    python tools/mutation_report.py --sample names.txt vocab   # only the mutants named in names.txt

Run it from the repository root, after ``mutmut run``. ``--retest`` is the quick second pass after
writing tests for survivors: the mutants the first run killed stay killed (tests were only added),
so only the survivors run again, each against the module's new test file, and the ones it kills
are recorded as killed in mutmut's result file (a full ``make mutation`` gives the same verdicts).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ["attention", "calibration", "attention_variants", "alternatives", "vocab"]
EQUIVALENT_FILE = ROOT / "tools" / "mutation_equivalent.txt"

# mutmut's exit codes (mutmut/stats.py): 1 and 3 are kills, 0 a survivor; the rest are counted apart.
KILLED, SURVIVED, TIMEOUT, NO_TESTS, NOT_CHECKED = {1, 3}, {0}, {24, -24, 36, 152, 255}, {5, 33}, {None}


def read_equivalent(path=EQUIVALENT_FILE):
    """``{mutant name: (changed line, reason)}`` from the classification file ('#' starts a comment)."""
    table = {}
    if not path.exists():
        return table
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split(" | ")]
        if len(parts) != 3 or not all(parts):
            sys.exit(f"{path.name}, line {number}: expected 'name | changed line | reason', got {line!r}")
        table[parts[0]] = (parts[1], parts[2])
    return table


def changed_lines(name):
    """The added lines of the mutant's diff (``mutmut show``), stripped."""
    out = subprocess.run([sys.executable, "-m", "mutmut", "show", name], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return out, [line[1:].strip() for line in out.splitlines() if line.startswith("+") and not line.startswith("+++")]


def retest(module, sample=None):
    """Run each survivor of ``module`` against tests/test_mutation_<module>.py; record the kills."""
    meta = ROOT / "mutants" / "softmax_lab" / f"{module}.py.meta"
    tests = ROOT / "tests" / f"test_mutation_{module}.py"
    data = json.loads(meta.read_text(encoding="utf-8"))
    shutil.copy(tests, ROOT / "mutants" / "tests" / tests.name)     # the copy mutmut made may predate it
    for name, code in sorted(data["exit_code_by_key"].items()):
        if code not in SURVIVED | NO_TESTS or (sample is not None and name not in sample):
            continue
        # mutants/ first on the path: the mutated copy of the package, not the editable install
        env = dict(os.environ, MUTANT_UNDER_TEST=name, PYTHONPATH=str(ROOT / "mutants"), OPENBLAS_NUM_THREADS="1")
        run = subprocess.run(["nice", "-n", "19", sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                              "--hypothesis-profile=mutation", f"tests/{tests.name}"],
                             cwd=ROOT / "mutants", env=env, capture_output=True, text=True)
        if run.returncode not in (0, 1):
            sys.exit(f"{name}: pytest exited with {run.returncode}\n{run.stdout[-2000:]}")
        if run.returncode == 1:
            data["exit_code_by_key"][name] = 1
            print(f"killed by {tests.name}: {name}")
    meta.write_text(json.dumps(data, indent=4), encoding="utf-8")


def summarise(module, equivalent, show_diffs=False, sample=None):
    """One row of the table for ``module``, printing unclassified survivors as it goes."""
    meta = ROOT / "mutants" / "softmax_lab" / f"{module}.py.meta"
    if not meta.exists():
        return None
    every = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    codes = every if sample is None else {name: code for name, code in every.items() if name in sample}
    row = {"module": module, "mutants": len(codes), "killed": 0, "timeout": 0, "survived": 0, "equivalent": 0,
           "bug": 0, "unclassified": 0, "other": 0}
    for name in sorted(set(equivalent) - set(every)):
        if name.startswith(f"softmax_lab.{module}.x"):
            print(f"entry for a mutant that no longer exists (renumbered?): {name}")
    for name, code in sorted(codes.items()):
        if code in KILLED:
            row["killed"] += 1
        elif code in TIMEOUT:
            row["timeout"] += 1
        elif code in SURVIVED or code in NO_TESTS:
            # no test calls the mutated function (dead code, or a test missing): classified like a survivor
            row["survived"] += 1
            diff, added = changed_lines(name)
            entry = equivalent.get(name)
            if entry is not None and entry[0] in added:
                row["bug" if entry[1].startswith("bug:") else "equivalent"] += 1
                continue
            row["unclassified"] += 1
            state = "stale entry (the mutant changed)" if entry else "unclassified"
            state += ", no test calls it" if code in NO_TESTS else ""
            print(f"survivor, {state}: {name}  {' / '.join(added) or '(a line removed)'}")
            if show_diffs:
                print(diff)
        else:                      # not checked, suspicious, segfault: listed, never counted as killed
            row["other"] += 1
            print(f"not decided (exit code {code}): {name}")
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", default=MODULES, choices=MODULES, metavar="module")
    parser.add_argument("--diffs", action="store_true", help="print the diff of each unclassified survivor")
    parser.add_argument("--sample", type=Path, help="a file naming the mutants run (one per line): count only them")
    parser.add_argument("--retest", action="store_true",
                        help="first rerun the survivors against tests/test_mutation_<module>.py")
    args = parser.parse_args(argv)
    sample = set(args.sample.read_text(encoding="utf-8").split()) if args.sample else None
    if args.retest:
        for module in args.modules:
            retest(module, sample)
    equivalent = read_equivalent()
    rows = [row for row in (summarise(m, equivalent, args.diffs, sample) for m in args.modules) if row]
    if not rows:
        sys.exit("no results in mutants/: run `make mutation` (or `mutmut run`) first")
    print("\n| module | mutants | killed (timeouts) | survived: equivalent / bug / unclassified | not decided "
          "| killed % |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        share = 100 * (r["killed"] + r["timeout"]) / r["mutants"] if r["mutants"] else 0.0
        print(f"| {r['module']}.py | {r['mutants']} | {r['killed'] + r['timeout']} ({r['timeout']}) | "
              f"{r['survived']}: {r['equivalent']} / {r['bug']} / {r['unclassified']} | {r['other']} | {share:.1f} |")


if __name__ == "__main__":
    main()
