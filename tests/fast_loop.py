"""What `make check` (the loop while editing) leaves to `make test`, in two helpers.

`make test` (and CI) runs every test at full strength. `make check` must stay within about a minute
of CPU, so it deselects the tests marked ``slow`` and loads the hypothesis profile ``check``
(tests/conftest.py), which draws a tenth of the examples:

* :func:`examples` is the number of examples for a property that sets its own ``max_examples``:
  the full count under hypothesis's default profile, "ci" and "mutation" (100 examples each), a
  tenth (at least one) under "check";
* :func:`representatives` parametrizes a wide family (a test per dashboard, per claim, ...) so that
  `make check` runs a few representatives and `make test` every member (the others are marked slow).
"""

import pytest
from hypothesis import settings

#: hypothesis's default max_examples, which the profiles of make test, CI and make mutation keep.
FULL = 100


def examples(n):
    """``n`` examples at full strength; scaled by the loaded profile's max_examples (at least one)."""
    return max(1, round(n * settings.default.max_examples / FULL))


def representatives(values, keep, ids=None):
    """``values`` as pytest params, all but those in ``keep`` (by id) marked ``slow``.

    ``ids`` maps a value to its id (default: ``str``); every id in ``keep`` must be among the values,
    so a renamed representative cannot silently leave `make check` without one."""
    ids = ids or str
    params = [pytest.param(v, id=ids(v), marks=() if ids(v) in keep else pytest.mark.slow) for v in values]
    missing = set(keep) - {p.id for p in params}
    assert not missing, f"representatives for make check that are not among the values: {sorted(missing)}"
    return params
