"""Widget-logic tests for lesson 10's dashboards (softmax_lab.widgets.applications): build each
one without a browser, move its controls, and check the artists and numbers against the maths
computed here from softmax_lab's functions."""

import numpy as np
import pytest
from widget_helpers import differing_pixels, png_outputs

from softmax_lab import bandits, cross_entropy, cross_entropy_grad, decoding, lm, softmax
from softmax_lab import widgets as W
from softmax_lab.widgets import applications as A
from softmax_lab.widgets import decoding as WD


def step(W_, b, X, y, learning_rate):
    g = cross_entropy_grad(X @ W_ + b, y)
    return W_ - learning_rate * X.T @ g, b - learning_rate * g.sum(axis=0)


def heights(group):
    return np.array([bar.get_height() for bar in group.bars])


# --------------------------------------------------------------------------------------------
# classifier trainer

@pytest.mark.slow
@pytest.mark.parametrize("task", A.TASKS)
def test_trainer_trains_with_the_learners_step_and_records_the_curves(task):
    dash = A.classifier_trainer(task, step, n_steps=100)
    h = dash.history
    assert h["step"] == list(range(0, 101, A.RECORD_EVERY))
    assert dash.initial_loss == pytest.approx(np.log(3)) and dash.log_k == pytest.approx(np.log(3))
    assert h["train_loss"][-1] < h["train_loss"][0]
    assert h["train_accuracy"][-1] > 0.6 and dash.progress.value == 100
    # the recorded weights are the learner's: replay the steps here
    Wt, bt = np.zeros_like(dash.snapshots[0][0]), np.zeros(3)
    for _ in range(100):
        Wt, bt = step(Wt, bt, dash.X_train, dash.y_train, dash.learning_rate.value)
    np.testing.assert_allclose(dash.snapshots[-1][0], Wt)
    assert h["test_loss"][-1] == pytest.approx(float(cross_entropy(dash.X_test @ Wt + bt, dash.y_test)))
    np.testing.assert_allclose(heights(dash.prediction_bars), softmax(dash.X_test[0] @ Wt + bt))
    assert not dash.errors


@pytest.mark.slow
def test_trainer_slider_scrubs_training():
    dash = A.classifier_trainer("shapes", step, n_steps=60)
    before = [img.get_array().copy() for img in dash.weight_images]
    text = dash.readout.value
    dash.snapshot.value = 20
    Ws, bs = dash.snapshots[2]
    np.testing.assert_allclose(dash.weight_images[0].get_array(), Ws[:, 0].reshape(12, 12))
    assert not np.allclose(before[0], dash.weight_images[0].get_array())
    np.testing.assert_allclose(dash.probabilities, softmax(dash.X_test[0] @ Ws + bs))
    assert dash.step_markers[0].get_xdata()[0] == 20 and dash.readout.value != text
    dash.snapshot.value = 0
    np.testing.assert_allclose(dash.probabilities, [1 / 3] * 3)        # zero weights: uniform


@pytest.mark.slow
def test_trainer_typed_text_and_examples():
    dash = A.classifier_trainer("sentiment", step)
    dash.text.value = "the soup was awful and dreadful"
    assert np.argmax(dash.probabilities) == 0 and dash.message.value == ""
    dash.text.value = "zebra quokka"
    assert "vocabulary" in dash.message.value
    W_, b_ = dash.weights
    np.testing.assert_allclose(dash.probabilities, softmax(b_))          # no known word: the bias alone
    dash.text.value = ""
    dash.example.value = 3
    np.testing.assert_allclose(dash.probabilities, softmax(dash.X_test[3] @ W_ + b_))
    rows = [dash.vocab.index(w) for w in dash.shown_words]
    np.testing.assert_allclose(dash.weight_image.get_array(), W_[rows].T)
    final = dash.snapshots[-1][0]
    relative = final - final.mean(axis=1, keepdims=True)
    for k in range(3):                    # the 4 words shown for class k favour class k most
        assert all(np.argmax(relative[dash.vocab.index(w)]) == k for w in dash.shown_words[4 * k: 4 * k + 4])


@pytest.mark.slow
def test_trainer_retrains_when_the_learning_rate_moves():
    dash = A.classifier_trainer("sentiment", step, n_steps=50)
    first = dash.history["train_loss"][-1]
    dash.learning_rate.value = 0.01
    assert dash.history["train_loss"][-1] > first and dash.snapshot.value == 50


@pytest.mark.slow
def test_trainer_reports_a_broken_step_in_the_dashboard():
    calls = []

    def flaky(W_, b, X, y, learning_rate):
        calls.append(1)
        if len(calls) > 60:
            return W_                              # forgot the bias
        return step(W_, b, X, y, learning_rate)
    dash = A.classifier_trainer("sentiment", flaky, n_steps=50)
    dash.train_button.click()
    assert dash.errors and "pair" in str(dash.errors[-1])
    with pytest.raises(ValueError, match="NaN"):
        A.classifier_trainer("sentiment", lambda W_, b, X, y, lr: (W_ * np.nan, b))


@pytest.mark.parametrize("kwargs, error, name", [
    (dict(task="images"), ValueError, "task"), (dict(step=None), TypeError, "step"),
    (dict(learning_rate=100.0), ValueError, "learning_rate"), (dict(n_steps=3), ValueError, "n_steps"),
])
def test_trainer_refuses_bad_arguments(kwargs, error, name):
    args = dict(task="sentiment", step=step)
    args.update(kwargs)
    with pytest.raises(error, match=name):
        A.classifier_trainer(**args)


# --------------------------------------------------------------------------------------------
# bandit explorer

@pytest.mark.slow
def test_bandit_explorer_follows_the_temperature():
    dash = A.bandit_explorer(n_steps=150, n_runs=5)
    np.testing.assert_allclose(heights(dash.policy_bars), softmax(np.array(bandits.DEFAULT_MEANS) / 0.1))
    text, line = dash.readout.value, dash.mean_lines["boltzmann"].get_ydata().copy()
    dash.temperature.value = 1.0
    np.testing.assert_allclose(heights(dash.policy_bars), softmax(np.array(bandits.DEFAULT_MEANS)))
    expected = bandits.run_bandit(bandits.DEFAULT_MEANS, "boltzmann", 150, 5, temperature=1.0, seed=0)
    np.testing.assert_allclose(dash.mean_lines["boltzmann"].get_ydata(), expected.mean_regret)
    worst = expected.regret[np.argmax(expected.final_regret)]
    np.testing.assert_allclose(dash.worst_lines["boltzmann"].get_ydata(), worst)
    assert not np.allclose(line, dash.mean_lines["boltzmann"].get_ydata()) and dash.readout.value != text
    assert dash.regret_table[0][2] == pytest.approx(expected.final_regret.mean())
    dash.epsilon.value = 0.3
    assert dash.regret_table[2][1] == "epsilon = 0.30"
    assert not dash.errors


def test_bandit_explorer_refuses_bad_arguments():
    with pytest.raises(ValueError, match="means"):
        A.bandit_explorer(means=[1.0])
    with pytest.raises(ValueError, match="n_runs"):
        A.bandit_explorer(n_runs=0)


# --------------------------------------------------------------------------------------------
# beam search explorer

@pytest.fixture(scope="module")
def model():
    return lm.load("best")


@pytest.mark.slow
def test_beam_explorer_shows_the_beams(model):
    dash = WD.beam_search_explorer(model, prompt="the cat", beam_width=2, max_length=8)
    scorer = decoding.LMScorer(model, "the cat")
    expected = decoding.beam_search(scorer, 2, 8)
    assert [h.tokens for h in dash.beams] == [h.tokens for h in expected]
    widths = [bar.get_width() for bar in dash.beam_bars]
    np.testing.assert_allclose(widths[:2], [-h.log_prob for h in expected])
    assert widths[2:] == [0] * (WD.MAX_BEAM - 2)
    text = dash.readout.value
    dash.beam_width.value = 5
    assert len(dash.beams) == 5 and dash.beam_bars[4].get_width() > 0 and dash.readout.value != text
    assert dash.greedy.tokens == decoding.greedy_decode(scorer, 8).tokens
    rep = dash.comparison["greedy"][1]
    assert heights(dash.repetition_bars)[0] == pytest.approx(rep)


@pytest.mark.slow
def test_beam_explorer_prompt_and_sentence_end(model):
    dash = WD.beam_search_explorer(model, beam_width=3)
    dash.stop_at_period.value = True
    assert all(h.finished for h in dash.beams)
    dash.prompt.value = "the cat sat on the"
    assert dash._scorer.words(dash.beams[0].tokens) == ["mat", "."]
    dash.prompt.value = "x" * (WD.MAX_TEXT_LENGTH + 1)
    assert "longer" in dash.message.value
    assert not dash.errors
    with pytest.raises(TypeError, match="model"):
        WD.beam_search_explorer(model="best")


def test_the_dashboards_are_exported_from_the_widgets_package():
    for module, names in [(A, ("classifier_trainer", "ClassifierTrainer", "bandit_explorer", "BanditExplorer")),
                          (WD, ("beam_search_explorer", "BeamSearchExplorer"))]:
        for name in names:
            assert getattr(W, name) is getattr(module, name) and name in W.__all__


# --------------------------------------------------------------------------------------------
# pictures kept per setting, static parts kept per axis range

def moves(name):
    """(control name, value) moves back and forth; with 600 steps and 5 runs the bandit's regret axis
    goes from 0 to 100 or 150, and each range comes back."""
    if name == "bandit_explorer":
        return [("temperature", T) for T in (0.1259, 0.1995, 0.631, 0.1, 0.1995, 0.631)] + \
               [("epsilon", 0.2), ("temperature", 0.1995), ("epsilon", 0.1), ("temperature", 0.1)]
    if name == "classifier_trainer":         # a new learning rate trains again: new curves at the same step
        return [("snapshot", v) for v in (290, 300, 290)] + [("learning_rate", 0.1)] + \
               [("snapshot", v) for v in (290, 300, 150, 290)]
    return [("beam_width", B) for B in (6, 10, 4, 3, 10, 6)] + [("max_length", 10), ("beam_width", 3)]


@pytest.mark.slow   # seconds of full draws: make test runs it, make check leaves it out
@pytest.mark.parametrize("name", ["bandit_explorer", "beam_search_explorer", "classifier_trainer"])
def test_kept_pictures_show_what_a_full_draw_shows(name, monkeypatch):
    """A setting shown before comes back from the dashboard's kept pictures (no drawing), an axis
    range seen before from its kept static picture (plots.set_static_key); either way the picture
    is, pixel for pixel, the one a freshly built dashboard draws in full for that setting."""
    kwargs = {"bandit_explorer": {"n_steps": 600, "n_runs": 5}, "beam_search_explorer": {"max_length": 12},
              "classifier_trainer": {"step": step}}[name]
    dash = getattr(W, name)(**kwargs)
    drawn = []
    real_redraw = A.plots.redraw
    monkeypatch.setattr(A.plots, "redraw", lambda fig: drawn.append(1) or real_redraw(fig))
    seen = []
    for control, value in moves(name):
        getattr(dash, control).value = value
        seen.append(dash._picture_key())
        drawn_before = len(drawn)
        dash.redraw()                                        # a second redraw of the same setting
        assert len(drawn) == drawn_before                    # ... is shown from the kept picture
        fresh = getattr(W, name)(**kwargs)                   # the same moves (the layout keeps room for the
        for c, v in moves(name)[:len(seen)]:                 # widest tick labels seen), drawn in full at the end
            getattr(fresh, c).value = v
        assert differing_pixels(png_outputs(dash), A.plots.render_png(fresh.figure)) == 0, (control, value)
    assert len(set(seen)) < len(seen)                        # some settings came back
    assert not dash.errors
