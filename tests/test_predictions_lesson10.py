"""Lesson 10's registered predictions answer what the lesson's dashboards show.

The answers are computed by ``softmax_lab.exercises.applications`` with copies of the lesson's
settings (the dashboards' defaults, the ends of the temperature slider, the training steps). If a
dashboard's default changes, the revealed answer would silently stop matching what the learner
sees on the page; these tests compare the two.
"""

import numpy as np
import pytest

from softmax_lab import cross_entropy_grad
from softmax_lab.exercises import applications
from softmax_lab.exercises.predict import registered_predictions

pytest.importorskip("ipywidgets")
from softmax_lab.widgets import bandit_explorer, beam_search_explorer, classifier_trainer  # noqa: E402

pytestmark = pytest.mark.slow      # the answers train classifiers and play bandits: a few seconds each


@pytest.fixture(scope="module")
def answers():
    return {p.key: p.value() for p in registered_predictions("10")}


def _step(W, b, X, y, learning_rate):
    g = cross_entropy_grad(X @ W + b, y)
    return W - learning_rate * X.T @ g, b - learning_rate * g.sum(axis=0)


def test_every_lesson_10_prediction_is_tested_here(answers):
    assert set(answers) == {
        "10.zero-weights-p", "10.zero-weights-loss", "10.not-good", "10.not-bad-at-all", "10.circle-template",
        "10.cold-runs-on-best-arm", "10.hot-regret-per-pull", "10.annealed-best-median", "10.annealed-best-worst",
        "10.wider-beam", "10.least-repetitive"}


def test_zero_weights_answers_are_the_trainers_first_step(answers):
    trainer = classifier_trainer("sentiment", _step, n_steps=10)
    assert np.isclose(answers["10.zero-weights-loss"], trainer.initial_loss)
    trainer.snapshot.value = 0
    assert np.allclose(trainer.probabilities, answers["10.zero-weights-p"])


def test_sentiment_answers_are_what_the_trained_dashboard_says(answers):
    trainer = classifier_trainer("sentiment", _step)
    for key, text in (("10.not-good", "the film was not good"), ("10.not-bad-at-all", "the soup was not bad at all")):
        trainer.text.value = text
        assert trainer.classes[int(np.argmax(trainer.probabilities))] == answers[key]


def test_circle_template_answer_uses_the_dashboards_weights(answers):
    trainer = classifier_trainer("shapes", _step)
    W = trainer.snapshots[-1][0]
    X, y = trainer.X_train, trainer.y_train
    means = np.array([X[y == k].mean(axis=0) for k in range(3)])
    k = trainer.classes.index("circle")
    picture = np.corrcoef(W[:, k], means[k])[0, 1]
    difference = np.corrcoef(W[:, k], means[k] - np.delete(means, k, axis=0).mean(axis=0))[0, 1]
    assert answers["10.circle-template"] == ("difference" if difference > picture else "picture")


def test_bandit_answers_are_read_at_the_ends_of_the_dashboards_slider(answers):
    dash = bandit_explorer()
    slider = dash.temperature
    assert (dash.n_steps, dash.n_runs) == (applications.BANDIT_DASHBOARD["n_steps"],
                                          applications.BANDIT_DASHBOARD["n_runs"])
    slider.value = slider.base ** slider.min
    assert np.isclose(slider.value, applications.COLDEST_T)
    cold = dash.results["boltzmann"]
    assert answers["10.cold-runs-on-best-arm"] == int(np.sum(cold.actions[:, -1] == np.argmax(dash.means)))
    slider.value = slider.base ** slider.max
    assert np.isclose(slider.value, applications.HOTTEST_T)
    hot = dash.results["boltzmann"]
    per_pull = (hot.regret[:, -1] - hot.regret[:, -501]) / 500          # what the lesson prints
    assert abs(per_pull.mean() - answers["10.hot-regret-per-pull"]) < 0.01


def test_table_answers_follow_the_annealed_rows(answers):
    finals = applications._annealed_final_regrets()
    medians = {name: np.median(f) for name, f in finals.items()}
    worsts = {name: f.max() for name, f in finals.items()}
    assert answers["10.annealed-best-median"] == min(medians, key=medians.get) == "coldest"
    assert answers["10.annealed-best-worst"] == min(worsts, key=worsts.get) == "hottest"


def test_beam_answers_are_what_the_decoding_dashboard_shows(answers):
    dash = beam_search_explorer()
    assert (dash.prompt.value, dash.max_length.value) == (applications.BEAM_PROMPT, applications.BEAM_LENGTH)
    best = []
    for width in applications.BEAM_WIDTHS:
        dash.beam_width.value = width
        best.append(dash.beams[0].log_prob)
    assert answers["10.wider-beam"] == bool(np.all(np.diff(best) > 0))
    dash.beam_width.value = 3
    names = {"greedy": "greedy", "beam 3": "beam search", "sampling": "sampling"}
    repetition = {names[name]: rep for name, (_, rep) in dash.comparison.items()}
    assert answers["10.least-repetitive"] == min(repetition, key=repetition.get)
