"""Fixtures shared by the test modules."""

import os
import tempfile
import warnings

import pytest
from hypothesis import settings

# CI (.ci/run sets CI=true) draws the same examples on every run: a property that finds a new
# counterexample on a random draw must not turn one submission red and the next green. Locally
# (make test, make check) hypothesis draws new examples each run and keeps what it finds in its
# example database, which is where new defects are found.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    settings.load_profile("ci")

# The self-checks record progress in a file (softmax_lab.exercises.progress). The tests, and the
# kernels and servers they start (which inherit this environment), write into a temporary file,
# never into the developer's own ~/.softmax_lab/progress.json.
# The dashboards' figure mode: the default (PNG images), whatever the developer's shell exports.
os.environ.pop("SOFTMAX_LAB_FIGURES", None)
os.environ.setdefault("SOFTMAX_LAB_PROGRESS", os.path.join(tempfile.mkdtemp(prefix="softmax-lab-progress-"),
                                                           "progress.json"))

# `make mutation` (pyproject.toml, [tool.mutmut]) runs the tests once per mutant, at the lowest priority on
# a busy machine: the same examples in every run (a mutant is killed by a test, not by a lucky draw), no
# failing examples carried over from one mutant to the next, and no deadline (slow is not wrong).
settings.register_profile("mutation", derandomize=True, database=None, deadline=None)

# `make check` (the loop while editing: about a minute of CPU) passes --hypothesis-profile=check: a tenth of the
# examples, for the properties without a count of their own and, through fast_loop.examples(n), for those with
# one. make test, CI and make mutation keep hypothesis's default 100 and every property's own count.
settings.register_profile("check", max_examples=10)


@pytest.fixture
def no_warnings():
    """Turn every warning into an error (pyproject already does this for RuntimeWarning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def pytest_collection_modifyitems(items):
    """The dashboards' docstring examples (softmax_lab/widgets/) each build a dashboard, as the contract's first
    test (tests/test_widgets_contract.py) does for every dashboard in `make check` too: they are left to make test."""
    for item in items:
        # By class name: pytest.DoctestItem is public only from pytest 8, and the minimum is pytest 7.
        doctest = type(item).__name__ == "DoctestItem"
        if doctest and "widgets" in item.path.parts and "softmax_lab" in item.path.parts:
            item.add_marker(pytest.mark.slow)
