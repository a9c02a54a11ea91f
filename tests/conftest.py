"""Fixtures shared by the test modules."""

import warnings

import pytest


@pytest.fixture
def no_warnings():
    """Turn every warning into an error (pyproject already does this for RuntimeWarning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
