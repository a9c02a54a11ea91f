"""Widget-logic tests for lesson 11's dashboards: build them without a browser, press their buttons,
move their sliders, and compare the artists and readouts with numbers computed here."""

import html

import numpy as np
import pytest
from fast_loop import representatives
from widget_helpers import (
    png_outputs,
)

from softmax_lab import audit, plots, softmax
from softmax_lab import widgets as W
from softmax_lab.alternatives import entmax, gumbel_softmax, sigmoid_attention_weights, sparsemax


def first_slider(dash):
    return next(c for c in dash.children if hasattr(c, "min") and hasattr(c, "max") and hasattr(c, "step"))


def visible_heights(rects):
    return [r.get_height() for r in rects if r.get_visible()]


# --------------------------------------------------------------------------------------------
# The claim stepper
# --------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_stepper_first_slider_is_the_claim_number_and_changes_the_figure():
    dash = W.claim_stepper()
    assert dash.figure_mode == "png"
    assert first_slider(dash) is dash.number                # the browser tests move the first slider
    before_png, before_card = plots.render_png(dash.figure), dash.card.value
    dash.number.value = 4
    assert plots.render_png(dash.figure) != before_png
    assert dash.card.value != before_card and not dash.errors


@pytest.mark.slow
def test_next_and_previous_step_through_every_claim_and_stop_at_the_ends():
    dash = W.claim_stepper()
    assert dash.previous.disabled and not dash.next.disabled
    seen = [dash.claim.id]
    for _ in range(len(audit.CLAIMS) + 2):              # two presses too many: it stays at the last
        dash.next.click()
        seen.append(dash.claim.id)
    assert seen[:len(audit.CLAIMS)] == [c.id for c in audit.CLAIMS]
    assert seen[-1] == audit.CLAIMS[-1].id and dash.next.disabled
    dash.previous.click()
    assert dash.claim is audit.CLAIMS[-2] and not dash.next.disabled
    assert not dash.errors


@pytest.mark.parametrize("claim", representatives(audit.CLAIMS, {audit.CLAIMS[0].id}, ids=lambda c: c.id))
def test_each_claim_shows_its_verdict_reason_and_figure(claim):
    dash = W.claim_stepper(start=claim.number)
    assert not dash.revealed
    dash.reveal_button.click()
    assert dash.revealed and dash.reveal_button.disabled
    card = html.unescape(dash.card.value)
    assert claim.claim in card and claim.reason in card and claim.verdict in card
    assert claim.heading in card
    assert dash.badge.get_text().endswith(claim.verdict) and f"C{claim.number}." in dash.badge.get_text()
    assert dash.badge.get_color() == W.audit.VERDICT_STYLE[claim.verdict][1]
    spec = audit.claim_figure(claim.id)
    if spec is None:
        assert dash.placeholder.get_text() and not any(r.get_visible() for row in dash.bars for r in row)
        assert not any(line.get_visible() for line in dash.lines)
    elif spec.kind == "bars":
        for row, (_, values) in zip(dash.bars, spec.series):
            assert np.allclose(visible_heights(row), values)
        assert [t.get_text() for t in dash._ax.get_xticklabels()] == list(spec.labels)
        assert not any(line.get_visible() for line in dash.lines)
    else:
        for line, (_, values) in zip(dash.lines, spec.series):
            assert line.get_visible() and np.allclose(line.get_ydata(), values, equal_nan=True)
        assert not any(r.get_visible() for row in dash.bars for r in row)
        assert dash._ax.get_xscale() == ("log" if spec.logx else "linear")
    if spec is not None:
        assert dash.note.get_text() == spec.note and dash._ax.get_xlabel() == spec.xlabel
    for lesson, _ in claim.lessons:
        assert f"lesson {lesson[:2]}" in card
    assert png_outputs(dash)[:4] == b"\x89PNG"


def _figure_texts(dash):
    fig = dash.figure
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text") and a.get_visible())
            if t.get_text()]


@pytest.mark.parametrize("claim", representatives(audit.CLAIMS, {audit.CLAIMS[0].id}, ids=lambda c: c.id))
def test_each_claim_is_asked_before_its_verdict_note_and_figure_are_shown(claim):
    """Before Reveal: the claim only. Not the verdict, not its reason, not the figure's note or bars
    (the notes hold four of lesson 11's prediction answers: 0.27 at T = 5, 38%, 63%, 3 exact zeros)."""
    dash = W.claim_stepper(start=claim.number)
    card = html.unescape(dash.card.value)
    assert claim.claim in card and not dash.revealed and not dash.reveal_button.disabled
    assert claim.reason not in card and f"<b>{claim.verdict}" not in card
    assert not any(v in dash.badge.get_text() for v in audit.VERDICTS)
    assert dash.note.get_text() == "" and dash._ax.get_title() == ""
    assert not any(r.get_visible() for row in dash.bars for r in row)
    assert not any(line.get_visible() for line in dash.lines)
    texts = " ".join(_figure_texts(dash))
    assert "Reveal" in texts
    for answer in ("0.27", "27%", "38%", "0.38", "63%", "0.63", "exactly 0"):
        assert answer not in texts and answer not in card, answer


@pytest.mark.slow
def test_a_new_claim_is_asked_again_after_a_reveal():
    dash = W.claim_stepper(start=2)
    dash.reveal()
    assert "oversimplified" in dash.badge.get_text() and dash.note.get_text()
    dash.next.click()
    assert not dash.revealed and not dash.reveal_button.disabled
    assert not any(v in dash.badge.get_text() for v in audit.VERDICTS) and dash.note.get_text() == ""
    dash.previous.click()
    assert not dash.revealed and "oversimplified" not in dash.badge.get_text()


@pytest.mark.slow
def test_going_back_from_lines_to_bars_restores_a_bar_figure():
    dash = W.claim_stepper(start=audit.get_claim("robustness").number)
    dash.reveal()
    assert dash._ax.get_xlim() == (0.0, 800.0)
    dash.number.value = audit.get_claim("formula").number
    dash.reveal()
    assert dash._ax.get_xlim() == (-0.6, 4.6)
    assert np.allclose(visible_heights(dash.bars[0]), softmax(audit.EXAMPLE_LOGITS))
    assert [t.get_text() for t in dash.values[:5]] == [f"{v:.2f}" for v in softmax(audit.EXAMPLE_LOGITS)]
    assert dash._ax.get_legend() is None


def test_stepper_refuses_bad_arguments():
    with pytest.raises(ValueError, match="start"):
        W.claim_stepper(start=0)
    with pytest.raises(ValueError, match="start"):
        W.claim_stepper(start=len(audit.CLAIMS) + 1)
    with pytest.raises(TypeError, match="claims"):
        W.audit.ClaimStepper(claims=["formula"])


# --------------------------------------------------------------------------------------------
# The alternatives explorer
# --------------------------------------------------------------------------------------------

def _expected(z, alpha=1.5, tau=1.0, seed=0):
    return {"softmax": softmax(z), "sparsemax": sparsemax(z), "entmax": entmax(z, alpha=alpha),
            "gumbel": gumbel_softmax(z, temperature=tau, rng=seed), "sigmoid": sigmoid_attention_weights(z)}


@pytest.mark.slow
def test_explorer_bars_show_the_five_methods_on_the_same_logits():
    dash = W.alternatives_explorer()
    z = np.array(audit.EXAMPLE_LOGITS)
    for method, expected in _expected(z).items():
        assert np.allclose([b.get_height() for b in dash.groups[method].bars], expected), method
    assert first_slider(dash) is dash.sliders[0]
    before = plots.render_png(dash.figure)
    dash.sliders[0].value = 0.5                               # mat drops to 0.5
    z[0] = 0.5
    for method, expected in _expected(z).items():
        assert np.allclose([b.get_height() for b in dash.groups[method].bars], expected), method
    assert plots.render_png(dash.figure) != before and not dash.errors


@pytest.mark.slow
def test_explorer_alpha_tau_and_seed():
    dash = W.alternatives_explorer()
    z = dash.logits
    dash.alpha.value = 1.0
    assert np.allclose(dash.weights["entmax"], softmax(z))
    dash.alpha.value = 2.0
    assert np.allclose(dash.weights["entmax"], sparsemax(z))
    dash.tau.value = 10 ** -1.3
    dash.seed.value = 7
    assert np.allclose(dash.weights["gumbel"], gumbel_softmax(z, temperature=10 ** -1.3, rng=7))
    heights = [b.get_height() for b in dash.groups["gumbel"].bars]
    assert np.allclose(heights, dash.weights["gumbel"])
    labels = [t.get_text() for t in dash._legend.get_texts()]
    assert "seed 7" in labels[3] and "0.0501" in labels[3] and "2.00" in labels[2]


@pytest.mark.slow
def test_explorer_readout_lists_sums_and_exact_zeros():
    dash = W.alternatives_explorer()
    text = html.unescape(dash.readout.value)
    assert "exact zeros: 3" in text                           # sparsemax
    assert f"sum {sigmoid_attention_weights(dash.logits).sum():.3f}" in text
    assert text.count("sum 1.000") == 4                      # all but the sigmoid weights


@pytest.mark.parametrize("kwargs, match", [
    (dict(logits=[1.0, 2.0]), "logits"),
    (dict(logits=[9.0, 0, 0, 0, 0]), "logits"),
    (dict(words=["a"], logits=[0.0]), "words"),
    (dict(alpha=0.5), "alpha"),
    (dict(alpha=True), "alpha"),
    (dict(tau=0.0), "tau"),
    (dict(seed=-1), "seed"),
    (dict(seed=1.5), "seed"),
    (dict(logits=["a", "b", "c", "d", "e"]), "logits"),
    (dict(logits=[np.nan, 0, 0, 0, 0]), "logits"),
    (dict(logits=[10**400, 0, 0, 0, 0]), "logits"),
    (dict(words="mat"), "words"),
    (dict(words=None), "words"),
    (dict(words=["a", " ", "c", "d", "e"]), "words"),
])
def test_explorer_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        W.alternatives_explorer(**kwargs)


@pytest.mark.slow
def test_stepping_through_every_claim_keeps_one_figure_and_its_artists():
    """Built once, updated in place: no new figure, axes, bars, lines or texts as the claims change."""
    dash = W.claim_stepper()
    figure, ax = dash.figure, dash._ax
    counts = (len(figure.axes), len(ax.patches), len(ax.lines), len(ax.texts))
    for number in list(range(1, len(audit.CLAIMS) + 1)) + [1]:
        dash.number.value = number
    assert dash.figure is figure and (len(figure.axes), len(ax.patches), len(ax.lines), len(ax.texts)) == counts
    assert not dash.errors


@pytest.mark.slow
def test_a_claim_shown_again_shows_the_picture_of_its_hidden_or_revealed_state():
    """The stepper caches each claim's picture; a cache keyed by the claim alone would show the
    revealed figure to the next class that steps back to the claim before pressing Reveal."""
    dash = W.claim_stepper()
    dash.number.value = 4
    hidden = png_outputs(dash)
    dash.reveal()
    revealed = png_outputs(dash)
    assert revealed != hidden
    dash.step(+1)
    dash.step(-1)                                  # back to claim 4: asked again, not revealed
    assert not dash.revealed
    assert png_outputs(dash) == hidden
    dash.reveal()
    assert png_outputs(dash) == revealed
