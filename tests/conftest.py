"""Fixtures shared by the test modules."""

import os
import tempfile
import warnings

import pytest

# The self-checks record progress in a file (softmax_lab.exercises.progress). The tests, and the
# kernels and servers they start (which inherit this environment), write into a temporary file,
# never into the developer's own ~/.softmax_lab/progress.json.
# The dashboards' figure mode: the default (PNG images), whatever the developer's shell exports.
os.environ.pop("SOFTMAX_LAB_FIGURES", None)
os.environ.setdefault("SOFTMAX_LAB_PROGRESS", os.path.join(tempfile.mkdtemp(prefix="softmax-lab-progress-"),
                                                           "progress.json"))


@pytest.fixture
def no_warnings():
    """Turn every warning into an error (pyproject already does this for RuntimeWarning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
