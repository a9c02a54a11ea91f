"""Widget-logic tests of lesson 05: the stability explorer.

Everything runs with no front end (matplotlib's Agg renderer underneath); the figures are PNG
images shown in an Output widget. The expected numbers always come from softmax_lab's
math functions, computed here independently of the dashboard.
"""

import warnings

import numpy as np
import pytest
from widget_helpers import (
    heights,
)

from softmax_lab import (
    naive_softmax,
    plots,
    softmax,
)
from softmax_lab import widgets as W

# ---------------------------------------------------------------------------------------------
# Stability explorer (lesson 05)
# ---------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_stability_explorer_agrees_with_the_maths_while_naive_works():
    dash = W.stability_explorer()
    figure = dash.figure
    dash.dtype.value = "float64"
    dash.scale.value = 3.0
    assert dash.scale.value == pytest.approx(3.0, rel=0.012)          # snapped to the slider's grid
    z = dash.scale.value * np.array([2.0, 1.0, 0.1])
    np.testing.assert_allclose(dash.logits, z)
    np.testing.assert_allclose(heights(dash.naive_bars), naive_softmax(z), rtol=1e-12)
    np.testing.assert_allclose(heights(dash.stable_bars), softmax(z), rtol=1e-12)
    assert not dash.naive_broken and [t.get_text() for t in dash.broken_marks] == ["", "", ""]
    assert "works" in dash._line_title.get_text()
    assert dash.zmax_marker.get_data()[0][0] == pytest.approx(z.max())
    assert dash.figure is figure


@pytest.mark.slow
@pytest.mark.parametrize("dtype, limit", [("float16", 11.09), ("float32", 88.72), ("float64", 709.78)])
def test_stability_explorer_shows_the_largest_safe_logit(dtype, limit):
    dash = W.stability_explorer()
    dash.dtype.value = dtype
    assert dash.largest_safe_logit == pytest.approx(float(np.log(float(np.finfo(dtype).max))))
    assert f"{limit:.2f}" in dash.readout.value
    notes = " ".join(t.get_text() for t in dash._line_ax.texts)
    assert f"above {limit:.2f}" in notes
    assert dash.logits.dtype == np.dtype(dtype) and dash.probabilities.dtype == np.dtype(dtype)


@pytest.mark.slow
def test_stability_explorer_marks_where_naive_breaks():
    dash = W.stability_explorer()
    dash.dtype.value = "float16"
    dash.scale.value = 10.0                              # logits 20, 10, 1: exp(20) > 65504
    assert dash.naive_broken
    assert np.isnan(dash.naive[0])
    assert dash.broken_marks[0].get_text() == "NaN" and dash.naive_bars.texts[0].get_text() == ""
    assert heights(dash.naive_bars)[0] == 0.0
    np.testing.assert_allclose(heights(dash.stable_bars), softmax(np.array([20, 10, 1], dtype=np.float16)))
    assert "BREAKS" in dash._line_title.get_text()
    assert "overflows to inf" in dash.readout.value
    dash.dtype.value = "float32"                         # the same logits are fine in float32
    assert not dash.naive_broken and dash.broken_marks[0].get_text() == ""


@pytest.mark.slow
def test_stability_explorer_flags_silently_wrong_results():
    """float16, logits shifted by -19: no NaN, yet naive gives [1, 0, 0] where softmax gives [0.66, 0.24, 0.10]."""
    dash = W.stability_explorer()
    dash.dtype.value = "float16"
    dash.shift.value = -19.0
    assert np.isfinite(dash.naive).all() and dash.naive.astype(float).sum() == pytest.approx(1.0)
    assert abs(float(dash.naive[0]) - float(dash.probabilities[0])) > 0.1
    assert dash.naive_broken and "wrong probabilities" in dash.readout.value
    assert "BREAKS" in dash._line_title.get_text()
    dash.dtype.value = "float64"                         # float64 has the range for it
    assert not dash.naive_broken and "works here" in dash.readout.value


# make check: this file's one representative (the contract builds the dashboard too)
def test_stability_explorer_shows_underflow_too():
    dash = W.stability_explorer()
    dash.dtype.value = "float32"
    dash.shift.value = -1000.0                           # every exp(z) underflows to 0
    assert dash.naive_broken and "underflows to 0" in dash.readout.value
    assert all(t.get_text() == "NaN" for t in dash.broken_marks)
    np.testing.assert_allclose(dash.probabilities, softmax([2.0, 1.0, 0.1]), atol=1e-4)  # float32 at 1000


@pytest.mark.slow
@pytest.mark.parametrize("dtype", W.stability.STABILITY_DTYPES)
def test_stability_explorer_never_leaks_a_warning(dtype):
    dash = W.stability_explorer()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dash.dtype.value = dtype
        for scale in (1.0, 30.0, 1000.0):
            for shift in (-1000.0, 0.0, 1000.0):
                dash.scale.value, dash.shift.value = scale, shift
                assert np.isfinite(heights(dash.stable_bars)).all()
                assert np.isfinite(heights(dash.naive_bars)).all()
                assert float(dash.probabilities.astype(np.float64).sum()) == pytest.approx(1.0, abs=1e-3)
        plots.render_png(dash.figure)
    assert dash.errors == []
