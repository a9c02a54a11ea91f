"""Widget-logic tests for lesson 12's dashboards (the head explorer, the capstone's switch) and for
the model menu lesson 12 adds to lesson 06's sampler: build them without a browser, move their
controls, and compare the artists with numbers computed here from softmax_lab's math."""

import numpy as np
import pytest
from widget_helpers import message_text

from softmax_lab import lm, plots, transformer
from softmax_lab import transformer_functions as fns
from softmax_lab import widgets as W
from softmax_lab.attention import attention_entropy
from softmax_lab.transformer_training import CAPSTONE_TOLERANCE


@pytest.fixture(scope="module")
def model():
    return transformer.load("tiny")


def _ticks(ax):
    return [t.get_text() for t in ax.get_xticklabels()]


# --------------------------------------------------------------------------------------------
# The head explorer
# --------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_heatmap_and_the_bars_are_the_chosen_heads_weights(model):
    dash = W.head_explorer("the owl near the old barn in the village", layer=1, head=3, model=model)
    maps = transformer.attention_maps(model, "the owl near the old barn in the village")
    np.testing.assert_array_equal(dash.image.get_array(), maps[1, 3])
    T = maps.shape[-1]
    widths = [bar.get_width() for bar in dash.entropy_bars]
    np.testing.assert_allclose(widths[:T], attention_entropy(maps[1, 3]))
    assert not any(widths[T:])
    assert _ticks(dash._ax_w) == transformer.tokens(model, "the owl near the old barn in the village")
    assert "owl" in dash.readout.value and "1.3" in dash.readout.value

    before_png, before_text = plots.render_png(dash.figure), dash.readout.value
    dash.head.value = 0
    dash.layer.value = 0
    np.testing.assert_array_equal(dash.image.get_array(), maps[0, 0])
    assert plots.render_png(dash.figure) != before_png and dash.readout.value != before_text
    assert "layer 0, head 0" in dash._title.get_text()
    assert not dash.errors


@pytest.mark.slow
def test_a_typed_sentence_changes_the_words_and_the_size(model):
    dash = W.head_explorer(model=model)
    dash.text.value = "the dog by the river"
    assert dash.words == ["<s>", "the", "dog", "by", "the", "river"]
    assert _ticks(dash._ax_w) == dash.words and dash.image.get_array().shape == (6, 6)
    maps = transformer.attention_maps(model, "the dog by the river")
    np.testing.assert_array_equal(dash.image.get_array(), maps[0, 0])
    assert dash.image.get_extent() == [-0.5, 5.5, 5.5, -0.5]
    assert not dash.errors and message_text(dash) == ""


@pytest.mark.slow
@pytest.mark.parametrize("text, says", [("the cat . sat", "one sentence"),
                                         (" ".join(["cat"] * 20), "at most 15 words"),
                                         ("", "at least one word"),
                                         ("x" * 300, "at most 200 characters")])
def test_a_sentence_the_model_cannot_read_is_refused_and_the_view_kept(model, text, says):
    dash = W.head_explorer("the cat sat", model=model)
    before = dash.image.get_array().copy()
    dash.text.value = text
    assert says in message_text(dash)
    assert dash.words == ["<s>", "the", "cat", "sat"]
    np.testing.assert_array_equal(dash.image.get_array(), before)
    assert not dash.errors
    dash.text.value = "the cat"
    assert message_text(dash) == "" and dash.words == ["<s>", "the", "cat"]


@pytest.mark.parametrize("kwargs, name", [({"layer": 2}, "layer"), ({"head": -1}, "head"), ({"head": True}, "head"),
                                          ({"text": 3}, "text"), ({"text": "a . b"}, "text"),
                                          ({"model": "tiny"}, "model")])
def test_head_explorer_errors_name_the_argument(kwargs, name):
    with pytest.raises((ValueError, TypeError), match=name):
        W.head_explorer(**kwargs)


@pytest.mark.slow
def test_presentation_mode_is_larger(model):
    small, big = W.head_explorer(model=model), W.head_explorer(model=model, presentation=True)
    assert big.figure.get_size_inches()[0] > small.figure.get_size_inches()[0]
    assert "softmax-lab-presentation" in big._dom_classes


# --------------------------------------------------------------------------------------------
# The capstone's switch
# --------------------------------------------------------------------------------------------

def forgot_the_rowsum(d_weights, weights):
    return weights * d_weights


@pytest.mark.slow
def test_the_switch_names_a_broken_function_and_runs_the_package_s():
    dash = W.your_model_dashboard({"softmax_backward": forgot_the_rowsum}, steps=4)
    assert dash.switch.value == "yours"
    assert dash.broken == ["softmax_backward"] and not dash.run.follows_reference
    assert "BROKEN" in dash.readout.value and "leaves" in dash._title.get_text()
    np.testing.assert_allclose(dash.run_line.get_ydata()[:4], np.clip(dash.run.losses, 4.0, 6.5))
    np.testing.assert_allclose(dash.reference_line.get_ydata()[:4], dash.run.reference)
    assert np.isnan(dash.run_line.get_ydata()[4:]).all()
    before = plots.render_png(dash.figure)

    dash.switch.value = "the package's"
    assert dash.broken == [] and dash.run.follows_reference and dash.run.gap <= CAPSTONE_TOLERANCE
    assert "BROKEN" not in dash.readout.value and "follows" in dash._title.get_text()
    assert plots.render_png(dash.figure) != before
    assert "the cat sat on the" in dash.output.value and not dash.errors
    dash.steps_slider.value = 6                              # a longer run: the curve grows
    assert len(dash.run.losses) == 6 and np.isfinite(dash.run_line.get_ydata()[:6]).all()


@pytest.mark.slow
def test_one_more_step_of_the_slider_trains_one_more_step(monkeypatch):
    """The slider trains on from the last run (one step per step), keeps the runs it made, and
    shows what a new run of that many steps shows."""
    from softmax_lab import transformer_training as tt

    dash = W.your_model_dashboard({"softmax_backward": forgot_the_rowsum}, steps=3)
    trained = []
    monkeypatch.setattr(tt.Trainer, "train_step", lambda self, real=tt.Trainer.train_step: trained.append(1)
                        or real(self))
    dash.steps_slider.value = 4
    assert len(trained) == 1 and len(dash.run.losses) == 4
    fresh = tt.capstone_run(fns.checked_functions(**fns.lesson_functions(softmax_backward=forgot_the_rowsum)[0]),
                            steps=4)
    np.testing.assert_array_equal(dash.run.losses, fresh.losses)
    assert (dash.run.generated, dash.run.validation_loss) == (fresh.generated, fresh.validation_loss)
    assert [r["calls"] for r in dash.run.report] == [r["calls"] for r in fresh.report]
    assert dash.readout.value == dash._report_table(True) and "BROKEN" in dash.readout.value
    kept, trained[:] = dash.run, []                                      # (the fresh run trained too)
    dash.steps_slider.value = 3
    dash.steps_slider.value = 4
    assert dash.run is kept and trained == []                            # both values seen: nothing trained
    dash.steps_slider.value = 2                                          # below the steps trained: a new run
    assert len(trained) == 2 and len(dash.run.losses) == 2 and dash.broken == ["softmax_backward"]
    np.testing.assert_allclose(dash.run_line.get_ydata()[:2], np.clip(dash.run.losses, 4.0, 6.5))


@pytest.mark.slow
def test_stubs_are_left_to_the_package():
    def my_softmax(z):
        raise NotImplementedError

    dash = W.your_model_dashboard({"softmax": my_softmax}, steps=2)
    assert dash.unwritten == ["softmax"] and dash.switch.value == "the package's"
    assert "still a stub" not in dash.readout.value          # the package's switch: nothing of yours runs
    dash.switch.value = "yours"
    assert "still a stub" in dash.readout.value and dash.broken == []


@pytest.mark.parametrize("args, error, name", [(("softmax",), TypeError, "functions"),
                                               (({"sofmax": np.exp},), TypeError, "sofmax"),
                                               (({}, 0), ValueError, "steps"), (({}, 61), ValueError, "steps")])
def test_your_model_errors_name_the_argument(args, error, name):
    with pytest.raises(error, match=name):
        W.your_model_dashboard(*args)


# --------------------------------------------------------------------------------------------
# Lesson 06's sampler: the model menu
# --------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_sampler_switches_between_the_mlp_and_the_transformer(model):
    dash = W.sampler_dashboard(prompt="the owl near the old barn in the village")
    assert dash.model_choice.value == "MLP (3-word window)" and isinstance(dash.model, lm.TinyLM)
    np.testing.assert_array_equal(dash.logits, lm.next_token_logits(dash.model, dash.prompt))
    dash.model_choice.value = "transformer"
    assert isinstance(dash.model, transformer.TinyTransformer)
    np.testing.assert_allclose(dash.logits, transformer.next_token_logits(model, dash.prompt))
    assert dash.vocab[dash.order[0]] == "flew"
    dash.strategy.value = "greedy"
    assert dash.generate() == transformer.generate(model, dash.prompt, dash.n_words.value, temperature=0)
    dash.model_choice.value = "MLP (3-word window)"
    assert isinstance(dash.model, lm.TinyLM) and dash.vocab[dash.order[0]] != "flew"
    assert not dash.errors


@pytest.mark.slow
def test_the_sampler_without_a_model_has_no_menu():
    dash = W.sampler_dashboard(logits=[2.0, 1.0, 0.0], vocab=["a", "b", "c"])
    assert dash.model_choice.disabled and dash.model_choice not in dash.children
