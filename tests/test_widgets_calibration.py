"""The reliability dashboard (lesson 07): move its controls, read its numbers and its artists.

The expected numbers come from softmax_lab.calibration, computed here from the same logits.
"""

import numpy as np
import pytest

from softmax_lab import softmax
from softmax_lab.calibration import (
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    reliability_bins,
)
from softmax_lab.widgets.calibration import ReliabilityDashboard, reliability_dashboard


@pytest.fixture(scope="module")
def predictions():
    rng = np.random.default_rng(5)
    z = rng.normal(size=(3000, 12)) * 3
    y = (rng.random(3000)[:, None] > softmax(z / 2).cumsum(axis=1)).sum(axis=1).clip(0, 11)   # overconfident
    return {"sure": (z, y), "shy": (z / 4, y)}


def test_numbers_match_the_calibration_module(predictions):
    dash = reliability_dashboard(predictions, checkpoint="sure")
    z, y = predictions["sure"]
    z32 = z.astype(np.float32)
    for t in (1.0, 2.0, 0.5):
        dash.temperature.value = t
        t = dash.temperature.value                     # on the slider's grid
        p = softmax(z32, temperature=t).astype(np.float64)
        p /= p.sum(axis=1, keepdims=True)
        assert dash.ece == pytest.approx(expected_calibration_error(p, y), abs=1e-5)
        assert dash.nll == pytest.approx(negative_log_likelihood(z32, y, temperature=t), rel=1e-5)
        assert dash.accuracy == float(np.mean(z.argmax(1) == y))
        ref = reliability_bins(p, y)
        np.testing.assert_array_equal(dash.bins.count, ref.count)
    assert dash.errors == []


def test_controls_change_the_artists_and_the_readout(predictions):
    dash = reliability_dashboard(predictions, checkpoint="sure")
    before = (dash.accuracy_stairs.get_data().values.copy(), dash.readout.value, dash._title.get_text())
    dash.temperature.value = 2.5
    assert not np.array_equal(dash.accuracy_stairs.get_data().values, before[0])
    assert dash.readout.value != before[1] and "2.5" in dash._title.get_text()
    assert dash.temperature_line.get_xdata()[0] == pytest.approx(dash.temperature.value)
    dash.n_bins.value = 40
    assert len(dash.accuracy_stairs.get_data().values) == 40 and dash.bins.n_bins == 40
    dash.strategy.value = "quantile"
    assert dash.bins.strategy == "quantile"
    counts = dash.bins.count
    assert counts.max() - counts.min() <= 1                         # equal mass
    dash.checkpoint.value = "shy"
    assert dash.fitted_temperature == pytest.approx(fit_temperature(*predictions["shy"]), rel=1e-3)
    assert dash.fitted_line.get_xdata()[0] == pytest.approx(max(dash.fitted_temperature, dash.T_MIN))
    assert dash.errors == []


def test_the_fitted_temperature_lowers_the_nll_and_keeps_accuracy(predictions):
    dash = reliability_dashboard(predictions, checkpoint="sure")
    nll_1, acc_1 = dash.nll, dash.accuracy
    dash.fit_button.click()
    assert dash.temperature.value == pytest.approx(dash.fitted_temperature, rel=0.03)
    assert dash.nll < nll_1 and dash.accuracy == acc_1
    assert dash.mean_confidence == pytest.approx(dash.accuracy, abs=0.03)     # calibrated on average


def test_given_temperatures_are_used_and_checked(predictions):
    dash = reliability_dashboard(predictions, temperatures={"sure": 1.5, "shy": 0.7})
    assert dash.checkpoint.value == "sure" and dash.fitted_temperature == 1.5
    with pytest.raises(ValueError, match="temperatures must give a fitted T"):
        reliability_dashboard(predictions, temperatures={"sure": 1.5})


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(predictions={}), TypeError, "predictions must be a non-empty dict"),
    (dict(predictions={"a": np.zeros((3, 2))}), TypeError, r"\(logits, labels\) pairs"),
    (dict(predictions={"a": (np.zeros((3, 2)), [0, 1])}), ValueError, "integer labels of shape"),
    (dict(predictions={"a": (np.zeros((2, 2)), [0, 2])}), ValueError, "class indices"),
    (dict(predictions={"a": (np.array([[np.nan, 0.0]]), [0])}), ValueError, "finite"),
    (dict(checkpoint="nope"), ValueError, "checkpoint must be one of"),
    (dict(n_bins=3), ValueError, "n_bins must be an integer from 5 to 100"),
    (dict(strategy="equal"), ValueError, "strategy must be one of"),
])
def test_bad_arguments_name_themselves(predictions, kwargs, exc, match):
    args = dict(predictions=predictions)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        ReliabilityDashboard(**args)


def test_shipped_checkpoints_load_with_validation_temperatures():
    from softmax_lab.widgets.calibration import shipped_predictions
    preds, temps = shipped_predictions(checkpoints=("overtrained",))
    z, y = preds["overtrained"]
    assert z.dtype == np.float32 and len(y) > 15000
    assert temps["overtrained"] > 1.2                # overconfident: it needs softening
