"""Widget-logic tests of lesson 04: the gradient stepper.

Everything runs with no front end (matplotlib's Agg renderer underneath); the figures are PNG
images shown in an Output widget. The expected numbers always come from softmax_lab's
math functions, computed here independently of the dashboard.
"""


import numpy as np
import pytest
from widget_helpers import (
    heights,
)

from softmax_lab import (
    cross_entropy,
    cross_entropy_grad,
    plots,
    softmax,
    softmax_jacobian,
)
from softmax_lab import widgets as W

# ---------------------------------------------------------------------------------------------
# Gradient stepper
# ---------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_gradient_stepper_shows_p_y_and_the_gradient():
    dash = W.gradient_stepper([0.1, 1.0, 2.0], target=0)
    p = softmax([0.1, 1.0, 2.0])
    np.testing.assert_allclose(heights(dash.probability_bars), p)
    np.testing.assert_array_equal(heights(dash.target_bars), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(heights(dash.gradient_bars), p - [1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(heights(dash.gradient_bars), cross_entropy_grad([0.1, 1.0, 2.0], 0))
    np.testing.assert_allclose(dash.jacobian_image.get_array(), softmax_jacobian([0.1, 1.0, 2.0]))
    assert dash.jacobian_image.get_clim() == (-0.25, 0.25)


@pytest.mark.slow
def test_step_applies_gradient_descent_and_the_loss_goes_down():
    dash = W.gradient_stepper([0.1, 1.0, 2.0], target=0, learning_rate=0.5)
    figure, image, line = dash.figure, dash.jacobian_image, dash.loss_line
    z = np.array([0.1, 1.0, 2.0])
    for _ in range(5):
        dash.step_button.click()
        z = z - 0.5 * cross_entropy_grad(z, 0)
    np.testing.assert_allclose(dash.logits, z, rtol=1e-12)
    losses = dash.loss_history
    assert len(losses) == 6
    assert losses[0] == pytest.approx(float(cross_entropy([0.1, 1.0, 2.0], 0)))
    assert losses[-1] == pytest.approx(float(cross_entropy(z, 0)))
    assert all(b < a for a, b in zip(losses, losses[1:]))
    np.testing.assert_allclose(dash.loss_line.get_ydata(), losses)
    np.testing.assert_array_equal(dash.loss_line.get_xdata(), np.arange(6))
    np.testing.assert_allclose(dash.jacobian_image.get_array(), softmax_jacobian(z))
    np.testing.assert_allclose(heights(dash.probability_bars), softmax(z))
    assert dash.figure is figure and dash.jacobian_image is image and dash.loss_line is line
    assert "after 5 step(s)" in dash.readout.value


@pytest.mark.slow
def test_learning_rate_slider_sets_the_step_size():
    dash = W.gradient_stepper([0.1, 1.0, 2.0], target=0)
    dash.learning_rate.value = 2.0
    assert "z \u2212 2.00(p \u2212 y)" in dash._gradient_title.get_text()    # the figure shows it
    step = -2.0 * cross_entropy_grad([0.1, 1.0, 2.0], 0)
    assert ", ".join(f"{v:+.3f}" for v in step) in dash.readout.value
    dash.step()
    np.testing.assert_allclose(dash.logits, np.array([0.1, 1.0, 2.0]) - 2.0 * cross_entropy_grad([0.1, 1.0, 2.0], 0))


@pytest.mark.slow
def test_reset_and_target_change():
    dash = W.gradient_stepper([0.1, 1.0, 2.0], target=0)
    dash.step(), dash.step()
    dash.reset_button.click()
    np.testing.assert_array_equal(dash.logits, [0.1, 1.0, 2.0])
    assert dash.loss_history == [pytest.approx(float(cross_entropy([0.1, 1.0, 2.0], 0)))]
    assert len(dash.loss_line.get_xdata()) == 1
    dash.step()
    z = dash.logits.copy()
    dash.target.value = 2
    np.testing.assert_array_equal(heights(dash.target_bars), [0.0, 0.0, 1.0])
    np.testing.assert_allclose(heights(dash.gradient_bars), softmax(z) - [0, 0, 1], atol=1e-12)
    assert dash.loss_history == [pytest.approx(float(cross_entropy(z, 2)))]


def test_gradient_stepper_checks_its_arguments():
    with pytest.raises(ValueError, match="target"):
        W.gradient_stepper(target=3)
    with pytest.raises(ValueError, match="target"):
        W.gradient_stepper(target=True)
    with pytest.raises(ValueError, match="learning_rate"):
        W.gradient_stepper(learning_rate=0)
    with pytest.raises(ValueError, match="learning_rate"):
        W.gradient_stepper(learning_rate=float("nan"))
    with pytest.raises(ValueError, match="logits"):
        W.gradient_stepper(logits=[1.0, float("inf")])


@pytest.mark.slow
def test_gradient_stepper_with_many_classes_has_no_cell_numbers():
    dash = W.gradient_stepper(np.linspace(-2, 2, 8), target=3)
    assert dash.jacobian_image.get_array().shape == (8, 8)
    assert dash._jacobian_texts == [] and dash.probability_bars.texts == [] and dash.gradient_bars.texts == []
    assert len(W.gradient_stepper()._jacobian_texts) == 3       # 3 classes: numbers in the cells
    assert dash.labels[3] == "word 4"
    dash.step()
    np.testing.assert_allclose(dash.jacobian_image.get_array(), softmax_jacobian(dash.logits))


# ---------------------------------------------------------------------------------------------
# plots helpers
# ---------------------------------------------------------------------------------------------

def test_vocabulary_stairs_update_in_place():
    fig, ax = plots.new_figure()
    patch = plots.vocabulary_stairs(ax, np.full(1000, 1e-3))
    new = softmax(np.linspace(0, 5, 1000))
    patch.set_data(new)
    np.testing.assert_allclose(patch.get_data().values, new)
    assert len(ax.patches) == 1
    plots.render_png(fig)


def test_set_heights_refuses_a_wrong_length():
    fig, ax = plots.new_figure()
    group = plots.probability_bars(ax, ["a", "b"])
    with pytest.raises(ValueError, match="2 bars"):
        plots.set_heights(group, [0.2, 0.3, 0.5])


def test_new_figure_refuses_an_unknown_mode():
    with pytest.raises(ValueError, match="mode"):
        plots.new_figure(mode="svg")
