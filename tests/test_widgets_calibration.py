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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_the_fitted_temperature_lowers_the_nll_and_keeps_accuracy(predictions):
    dash = reliability_dashboard(predictions, checkpoint="sure")
    nll_1, acc_1 = dash.nll, dash.accuracy
    dash.reveal_button.click()
    dash.fit_button.click()
    assert dash.temperature.value == pytest.approx(dash.fitted_temperature, rel=0.03)
    assert dash.nll < nll_1 and dash.accuracy == acc_1
    assert dash.mean_confidence == pytest.approx(dash.accuracy, abs=0.03)     # calibrated on average


@pytest.mark.slow
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


@pytest.mark.slow
def test_shipped_checkpoints_load_with_validation_temperatures():
    from softmax_lab.widgets.calibration import shipped_predictions
    preds, temps = shipped_predictions(checkpoints=("overtrained",))
    z, y = preds["overtrained"]
    assert z.dtype == np.float32 and len(y) > 15000
    assert temps["overtrained"] > 1.2                # overconfident: it needs softening


@pytest.mark.slow
def test_each_temperature_is_scored_and_binned_once(predictions, monkeypatch):
    """Issue 18: the binning is cached per slider value; going back to a temperature costs nothing."""
    from softmax_lab.widgets import calibration as C

    dash = reliability_dashboard(predictions, checkpoint="sure")
    scored, binned = [], []
    at, bins = C.TemperatureScores.at, C.bin_statistics
    monkeypatch.setattr(C.TemperatureScores, "at", lambda self, t: (scored.append(t), at(self, t))[1])
    monkeypatch.setattr(C, "bin_statistics", lambda *a: (binned.append(a[2:]), bins(*a))[1])
    for t in (2.0, 2.5, 2.0, 2.5, 2.0):
        dash.temperature.value = t
    assert len(scored) == 2 and len(binned) == 2
    ece = dash.ece
    dash.n_bins.value = 30                      # new bins: binned again (here and at T = 1), not scored
    assert len(scored) == 2 and binned[2:] == [(30, "uniform")] * 2
    dash.n_bins.value = 15
    assert dash.ece == ece and len(binned) == 4


def test_temperature_scores_agree_with_the_calibration_module(predictions):
    from softmax_lab.widgets.calibration import TemperatureScores

    z, y = predictions["sure"]
    z = np.concatenate([z, z[:500]]).astype(np.float32)             # rows that repeat, as in the tiny LM's
    y = np.concatenate([y, y[:500]])
    for t in (0.3, 1.0, 3.7):
        confidence, nll = TemperatureScores(z, y).at(t)
        p = softmax(z.astype(np.float64), temperature=t)
        np.testing.assert_allclose(confidence, p.max(axis=1), rtol=1e-12)
        assert nll == pytest.approx(negative_log_likelihood(z.astype(np.float64), y, temperature=t), rel=1e-12)


def test_distinct_rows_are_found_by_hash_and_checked(monkeypatch):
    """Issue 18: rows are grouped by a hash of each row, then compared with their group's first row;
    should different rows share a hash (planted: every row hashes to 0), the exact grouping decides."""
    from softmax_lab.widgets import calibration as C

    rng = np.random.default_rng(3)
    z = rng.normal(size=(40, 6)).astype(np.float32)[rng.integers(0, 40, size=300)]   # repeated rows
    y = rng.integers(0, 6, size=300)
    n_distinct = len(np.unique(z, axis=0))
    expected = C.TemperatureScores(z, y)
    for hashes in (C._row_hashes, lambda a: np.zeros(len(a))):
        monkeypatch.setattr(C, "_row_hashes", hashes)
        found, row_of = C._distinct_rows(z)
        assert len(found) == n_distinct and np.array_equal(found[row_of], z)
        got = C.TemperatureScores(z, y)
        for t in (0.4, 1.0, 2.5):
            assert np.array_equal(got.at(t)[0], expected.at(t)[0]) and got.at(t)[1] == expected.at(t)[1]


def test_temperature_scores_in_blocks_of_rows_are_the_same_numbers(predictions, monkeypatch):
    """Issue 18: the exponentials of a block of distinct rows at a time (a few MB, not a second array of
    every row) give the numbers of one block holding them all, bit for bit, and the same fitted T."""
    from softmax_lab.widgets import calibration as C

    z, y = predictions["sure"]
    monkeypatch.setattr(C, "_BLOCK_ROWS", len(z))
    whole = C.TemperatureScores(z, y)
    monkeypatch.setattr(C, "_BLOCK_ROWS", 7)                            # 429 blocks, the last of 4 rows
    blocks = C.TemperatureScores(z, y)
    for t in (0.3, 1.0, 3.7):
        assert np.array_equal(blocks.at(t)[0], whole.at(t)[0]) and blocks.at(t)[1] == whole.at(t)[1]
    assert blocks.fit() == whole.fit()


def test_the_dashboard_shares_its_scores(predictions):
    """A notebook reuses the dashboard's TemperatureScores (made once per checkpoint) for its own tables."""
    dash = reliability_dashboard(predictions, checkpoint="sure")
    scores = dash.scores("sure")
    assert dash.scores("sure") is scores
    dash.temperature.value = 2.0
    t = float(dash.temperature.value)                                  # the slider's step nearest 2
    assert scores.at(t)[1] == dash.nll and np.array_equal(scores.at(t)[0], dash.confidences)
    z, y = predictions["shy"]                                          # the dashboard keeps float32 logits
    assert dash.scores("shy").at(1.0)[1] == pytest.approx(negative_log_likelihood(z.astype(np.float32), y), rel=1e-12)


@pytest.mark.slow
def test_shipped_predictions_are_the_models_split_logits():
    """The network runs once per distinct context; the logits are exactly lm.split_logits'."""
    from softmax_lab import lm
    from softmax_lab.widgets.calibration import shipped_predictions

    preds, temps = shipped_predictions(checkpoints=("early",))
    z, y = lm.split_logits(lm.load("early"), "calibration")
    np.testing.assert_array_equal(preds["early"][0], z.astype(np.float32))
    np.testing.assert_array_equal(preds["early"][1], y)
    # fitted on the distinct contexts: the T that fit_temperature finds on every row
    assert temps["early"] == pytest.approx(fit_temperature(*lm.split_logits(lm.load("early"), "validation")),
                                           rel=1e-5)


def test_the_fit_on_distinct_rows_is_fit_temperatures(predictions):
    """TemperatureScores.fit searches the same NLL on the distinct rows: the same T, given rows or not."""
    from softmax_lab.widgets.calibration import TemperatureScores

    for z, y in predictions.values():
        z = np.concatenate([z, z[:700]])                                    # repeated rows
        y = np.concatenate([y, np.roll(y[:700], 1)])                        # with other labels
        distinct, row_of = np.unique(z, axis=0, return_inverse=True)
        expected = fit_temperature(z, y)
        assert TemperatureScores(z, y).fit() == pytest.approx(expected, rel=1e-5)
        assert TemperatureScores(distinct, y, row_of=row_of.ravel()).fit() == pytest.approx(expected, rel=1e-5)


@pytest.mark.slow
def test_a_new_checkpoint_starts_at_t_1(predictions):
    """Issue 16: the temperature carried over (overtrained's T = 1.78 applied to label_smoothed)."""
    dash = reliability_dashboard(predictions, checkpoint="sure")
    ece_shy = reliability_dashboard(predictions, checkpoint="shy").ece
    dash.temperature.value = 2.0
    dash.checkpoint.value = "shy"
    assert dash.temperature.value == 1.0 and dash.temperature_line.get_xdata()[0] == 1.0
    assert dash.ece == ece_shy and "at T = 1:" in dash._title.get_text()
    assert dash.errors == []


@pytest.mark.slow
def test_the_fitted_temperature_is_hidden_until_asked(predictions):
    """A lesson asks the learner to find the T with the lowest NLL: nothing shows it before the reveal."""
    dash = reliability_dashboard(predictions, checkpoint="sure", temperatures={"sure": 1.83, "shy": 0.7})
    hidden = (dash.readout.value, dash.fitted_text.get_text())
    assert "1.83" not in hidden[0] and "fitted" not in hidden[0] and hidden[1] == ""
    assert not dash.fitted_line.get_visible()
    assert dash.fit_button.layout.display == "none" and dash.reveal_button.layout.display != "none"
    assert "every T" not in dash.readout.value                 # the accuracy question is the learner's too
    dash.reveal_button.click()
    assert "fitted: 1.83" in dash.readout.value and dash.fitted_text.get_text() == "fitted T = 1.83"
    assert dash.fitted_line.get_visible() and dash.fitted_line.get_xdata()[0] == pytest.approx(1.83)
    assert dash.fit_button.layout.display != "none" and dash.reveal_button.layout.display == "none"
    assert dash.temperature.value == 1.0                       # shown, not used
    shown = reliability_dashboard(predictions, checkpoint="sure", show_fitted=True)
    assert "fitted:" in shown.readout.value


@pytest.mark.slow
def test_the_model_drop_down_loads_another_model_once(predictions):
    """Issue 20: the transformer's calibration beside the MLP's; loaded when first chosen."""
    calls = []
    z, y = predictions["sure"]

    def other():
        calls.append(1)
        return {"wide": (z / 3, y)}, {"wide": 0.9}

    dash = reliability_dashboard(predictions, checkpoint="sure", other_models={"wider": other})
    assert dash.model.options == ("MLP", "wider") and dash.model in list(dash.children)
    assert calls == []
    dash.temperature.value = 2.0
    dash.model.value = "wider"
    assert calls == [1] and dash.checkpoint.options == ("wide",) and dash.checkpoint.value == "wide"
    assert dash.temperature.value == 1.0 and dash.fitted_temperature == 0.9
    p = softmax(z.astype(np.float32) / 3).astype(np.float64)
    assert dash.ece == pytest.approx(expected_calibration_error(p / p.sum(axis=1, keepdims=True), y), abs=1e-5)
    dash.model.value = "MLP"
    assert dash.checkpoint.options == ("sure", "shy") and dash.checkpoint.value == "sure"
    dash.model.value = "wider"
    assert calls == [1] and dash.errors == []
    plain = reliability_dashboard(predictions)
    assert plain.model not in list(plain.children)             # one model: no drop-down


@pytest.mark.slow
def test_other_models_are_checked(predictions):
    with pytest.raises(TypeError, match="other_models"):
        reliability_dashboard(predictions, other_models={"MLP": lambda: None})
    dash = reliability_dashboard(predictions, other_models={"same names": lambda: (predictions, None)})
    dash.model.value = "same names"                            # a clash is shown in the dashboard, not raised
    assert len(dash.errors) == 1 and "other_models" in str(dash.errors[0])


@pytest.mark.slow
def test_the_transformer_predictions_are_the_same_words():
    from softmax_lab import lm
    from softmax_lab.widgets.calibration import transformer_predictions

    preds, temps = transformer_predictions()
    z, y = preds["transformer"]
    assert z.shape == (len(y), 445) and z.dtype == np.float32
    np.testing.assert_array_equal(y, lm.split_logits(lm.load("best"), "calibration")[1])
    assert 0.5 < temps["transformer"] < 2


def test_each_sentence_is_run_once_and_every_word_gets_its_own_row():
    """The transformer runs each distinct sentence once, shortest first: every word still gets the
    logits of its own sentence, in reading order (to float64 rounding)."""
    from softmax_lab import transformer
    from softmax_lab.widgets.calibration import _each_sentence_once

    model = transformer.load("tiny")
    sentences = transformer.load_sentences("validation")[:120]
    sentences = sentences + sentences[5:40] + [sentences[7]]              # repeats, a new order of lengths
    z, y = _each_sentence_once(model, sentences)
    z0, y0 = transformer.sentence_logits(model, sentences)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_allclose(z, z0, rtol=1e-12, atol=1e-12)


def test_probabilities_at_any_t_are_the_softmax_of_every_row(predictions):
    """TemperatureScores.probabilities computes each distinct row once: bit for bit softmax(z / T)."""
    from softmax_lab.widgets.calibration import TemperatureScores

    z, y = predictions["sure"]
    z = np.concatenate([z, z[:900], z[50:60]]).astype(np.float32)         # repeated rows
    y = np.concatenate([y, y[:900], y[50:60]])
    scores = TemperatureScores(z, y)
    for t in (1.0, 0.37, 1.7766):
        np.testing.assert_array_equal(scores.probabilities(t), softmax(z, temperature=t))


def test_new_histogram_limits_keep_the_layout_and_kept_pictures_are_the_figure_afresh(predictions):
    """The histogram's y-limits follow the confidences; a new limit changes the picture, not the
    layout, and a limit shown before comes back from a kept picture: each time, exactly what
    drawing the whole figure again gives, with every label inside the figure."""
    dash = reliability_dashboard(predictions, checkpoint="sure")
    assert dash._density_top < 10                              # laid out with one-digit labels
    positions = {name: ax.get_position().bounds for name, ax in dash._axes.items()}
    tops = []
    steps = [("temperature", t) for t in (1.0, 0.2, 5.0, 1.0, 0.2, 1.0, 2.0)]
    steps += [("reveal", None), ("checkpoint", "shy"), ("temperature", 0.5), ("checkpoint", "sure")]
    for what, value in steps:                                  # the fitted T's mark is painted over, too
        if what == "reveal":
            dash.show_fitted()
        else:
            getattr(dash, what).value = value
        tops.append(dash._density_top)
        shown = np.asarray(dash.figure.canvas.buffer_rgba()).copy()
        dash.figure.canvas.draw()                              # the whole figure, afresh
        assert np.array_equal(np.asarray(dash.figure.canvas.buffer_rgba()), shown), (what, value)
        assert {name: ax.get_position().bounds for name, ax in dash._axes.items()} == positions
        renderer = dash.figure.canvas.get_renderer()
        axis = dash._axes["histogram"].yaxis
        ticks = [tick.get_window_extent(renderer) for tick in axis.get_ticklabels() if tick.get_text()]
        assert axis.label.get_window_extent(renderer).x0 >= 0
        assert axis.label.get_window_extent(renderer).x1 <= min(tick.x0 for tick in ticks)
    assert len(set(tops)) >= 2 and any(top >= 10 for top in tops) and any(top < 10 for top in tops)


def test_a_fit_against_a_bound_is_left_to_fit_temperature(predictions):
    """When the NLL still falls at a bound, TemperatureScores.fit stops there and fit_temperature
    decides, with its warning, as it does for the logits themselves."""
    from softmax_lab.widgets.calibration import TemperatureScores

    z, y = predictions["sure"]
    with pytest.warns(UserWarning, match="upper bound"):
        expected = fit_temperature(z, y, bounds=(0.1, 1.2))
    with pytest.warns(UserWarning, match="upper bound"):
        assert TemperatureScores(z, y).fit(bounds=(0.1, 1.2)) == pytest.approx(expected) == 1.2
