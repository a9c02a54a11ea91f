"""Lesson 07's checks: check_ece passes a right ECE and names each typical wrong one;
check_temperature_by_hand judges a temperature read off the slider."""

import numpy as np
import pytest

from softmax_lab import softmax
from softmax_lab.calibration import fit_temperature
from softmax_lab.exercises.calibration import check_ece, check_temperature_by_hand


def _top(probs, labels):
    probs = np.asarray(probs, dtype=float)
    return probs.max(axis=1), (probs.argmax(axis=1) == labels)


def _binned(conf, correct, b, n_groups, total=None, weighted=True, norm="l1"):
    total = len(conf) if total is None else total
    out, gaps = 0.0, []
    for k in range(n_groups):
        inside = b == k
        if inside.any():
            gap = abs(correct[inside].mean() - conf[inside].mean())
            gaps.append(gap)
            out += (inside.sum() / total) * (gap if norm == "l1" else gap**2)
    if not weighted:
        return float(np.mean(gaps))
    return float(np.sqrt(out)) if norm == "l2" else float(out)


def _bins(conf, n_bins):
    return np.minimum((conf * n_bins).astype(int), n_bins - 1)


def right(probs, labels, n_bins=15):
    conf, correct = _top(probs, labels)
    return _binned(conf, correct, _bins(conf, n_bins), n_bins)


def by_correctness(probs, labels, n_bins=15):
    conf, correct = _top(probs, labels)
    return _binned(conf, correct, correct.astype(int), 2)


def unweighted(probs, labels, n_bins=15):
    conf, correct = _top(probs, labels)
    return _binned(conf, correct, _bins(conf, n_bins), n_bins, weighted=False)


def divided_by_bins(probs, labels, n_bins=15):
    conf, correct = _top(probs, labels)
    b = _bins(conf, n_bins)
    return sum(abs(correct[b == k].mean() - conf[b == k].mean()) for k in range(n_bins) if (b == k).any()) / n_bins


def drops_one(probs, labels, n_bins=15):
    conf, correct = _top(probs, labels)
    b = (conf * n_bins).astype(int)                  # 1.0 -> n_bins, never looked at
    return _binned(conf, correct, b, n_bins)


def drops_one_renormalised(probs, labels, n_bins=15):
    conf, correct = _top(probs, labels)
    keep = conf < 1.0
    return _binned(conf[keep], correct[keep], _bins(conf[keep], n_bins), n_bins)


def extra_bin(probs, labels, n_bins=15):
    conf, correct = _top(probs, labels)
    return _binned(conf, correct, (conf * n_bins).astype(int), n_bins + 1)


def p_target(probs, labels, n_bins=15):
    probs = np.asarray(probs, dtype=float)
    _, correct = _top(probs, labels)
    conf = probs[np.arange(len(labels)), labels]
    return _binned(conf, correct, _bins(conf, n_bins), n_bins)


def signed(probs, labels, n_bins=15):
    conf, correct = _top(probs, labels)
    b = _bins(conf, n_bins)
    return abs(sum((b == k).mean() * (correct[b == k].mean() - conf[b == k].mean())
                   for k in range(n_bins) if (b == k).any()))


def per_example(probs, labels, n_bins=15):
    conf, correct = _top(probs, labels)
    return float(np.mean(np.abs(correct - conf)))


def percent(probs, labels, n_bins=15):
    return 100 * right(probs, labels, n_bins)


def l2(probs, labels, n_bins=15):
    conf, correct = _top(probs, labels)
    return _binned(conf, correct, _bins(conf, n_bins), n_bins, norm="l2")


def squared(probs, labels, n_bins=15):
    conf, correct = _top(probs, labels)
    return _binned(conf, correct, _bins(conf, n_bins), n_bins, norm="l2") ** 2


def maximum(probs, labels, n_bins=15):
    conf, correct = _top(probs, labels)
    b = _bins(conf, n_bins)
    return max(abs(correct[b == k].mean() - conf[b == k].mean()) for k in range(n_bins) if (b == k).any())


def one_bin_too_few(probs, labels, n_bins=15):
    return right(probs, labels, max(n_bins - 1, 1)) if n_bins > 1 else right(probs, labels, 2)


def one_bin_too_many(probs, labels, n_bins=15):
    return right(probs, labels, n_bins + 1)


def label_among_top(probs, labels, n_bins=15):
    probs = np.asarray(probs, dtype=float)
    conf = probs.max(axis=1)
    correct = probs[np.arange(len(labels)), labels] == conf
    return _binned(conf, correct, _bins(conf, n_bins), n_bins)


def nan_for_empty_bins(probs, labels, n_bins=15):
    conf, correct = _top(probs, labels)
    b = _bins(conf, n_bins)
    with np.errstate(invalid="ignore"):
        return sum((b == k).mean() * abs(np.mean(correct[b == k]) - np.mean(conf[b == k])) if (b == k).any()
                   else np.nan for k in range(n_bins))


def test_no_case_has_a_confidence_on_an_inner_bin_edge():
    # the docstring promises it (where [lo, hi) and (lo, hi] differ); three cases broke it before
    from softmax_lab.exercises.calibration import _ece_cases, on_an_edge

    for case in _ece_cases():
        probs, _, n_bins = case.args
        assert not on_an_edge(probs, n_bins), case.what
    assert on_an_edge([[0.4, 0.6]], 5) and on_an_edge([[0.3, 0.3, 0.4]], 10) and not on_an_edge([[1.0, 0.0]], 4)


def test_a_right_ece_passes_every_case():
    result = check_ece(right)
    assert result.passed and result.n_cases >= 10


def test_the_package_function_passes():
    from softmax_lab.calibration import expected_calibration_error
    assert check_ece(lambda p, y, n_bins: expected_calibration_error(p, y, n_bins)).passed


@pytest.mark.parametrize("wrong, words", [
    (by_correctness, "grouped the predictions by whether they are right"),
    (per_example, "averaged |correct - confidence|"),
    (unweighted, "every bin counted the same"),
    (divided_by_bins, "divided the sum of the gaps by the number of bins"),
    (drops_one, "confidence exactly 1.0 were lost at the last edge"),
    (drops_one_renormalised, "confidence exactly 1.0 were dropped"),
    (extra_bin, "got a bin of its own"),
    (p_target, "probability of the TRUE class"),
    (signed, "added with their signs"),
    (percent, "percentage"),
    (l2, "root-mean-square"),
    (squared, "squared the gaps"),
    (maximum, "largest gap"),
    (one_bin_too_few, "that is the ECE with"),
    (one_bin_too_many, "that is the ECE with"),
    (label_among_top, "equal top probabilities"),
    (nan_for_empty_bins, "empty bin"),
])
def test_each_typical_mistake_fails_with_its_own_hint(wrong, words):
    result = check_ece(wrong)
    assert not result.passed and result.attempted
    assert words in result.hint, result.hint


def test_unattempted_and_broken_answers_never_raise():
    def stub(probs, labels, n_bins=15):
        raise NotImplementedError
    assert not check_ece(stub).attempted
    assert not check_ece(lambda p, y, n_bins: None).attempted
    assert "ONE number" in check_ece(lambda p, y, n_bins: np.zeros(len(y))).hint
    crashed = check_ece(lambda p, y, n_bins: 1 / 0)
    assert not crashed.passed and "ZeroDivisionError" in crashed.message
    assert not check_ece("my_ece").passed
    assert not check_ece(lambda p, y, n_bins: "0.1").passed


def test_an_unknown_mistake_gets_the_recipe():
    result = check_ece(lambda p, y, n_bins: right(p, y, n_bins) + 0.0123)
    assert not result.passed and "np.minimum(floor" not in result.hint and "last bin" in result.hint


# ---------------------------------------------------------------------------------------------
# check_temperature_by_hand

@pytest.fixture(scope="module")
def overconfident():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(3000, 6)) * 3
    y = (rng.random(3000)[:, None] > softmax(z / 1.8).cumsum(axis=1)).sum(axis=1).clip(0, 5)
    return z, y, fit_temperature(z, y)


def test_a_temperature_near_the_fit_passes(overconfident):
    z, y, best = overconfident
    assert 1.6 < best < 2.0
    assert check_temperature_by_hand(best * 1.08, z, y).passed
    assert check_temperature_by_hand(np.float32(best), z, y).passed
    assert check_temperature_by_hand(f"{best:.2f}".replace(".", ","), z, y).passed      # a decimal comma, as text
    assert not check_temperature_by_hand(best * 1.2, z, y).passed


@pytest.mark.parametrize("answer, words", [
    (1.0, "where the slider starts"),
    (0.6, "overconfident: it needs T > 1"),
    (3.5, "too far"),
    (1.2, "not far enough"),
    ("1.8x", "number"),
    (-1.0, "a temperature is a number > 0"),
    (float("nan"), "finite number"),
    (10**400, "too large for a float"),
])
def test_wrong_temperatures_get_hints(overconfident, answer, words):
    z, y, _ = overconfident
    result = check_temperature_by_hand(answer, z, y)
    assert not result.passed and words in result.hint


def test_an_underconfident_model_needs_t_below_one(overconfident):
    z, y, _ = overconfident
    result = check_temperature_by_hand(2.0, z / 4, y)       # logits shrunk: the fit is below 1
    assert "underconfident: it needs T < 1" in result.hint


def test_temperature_check_never_raises():
    assert not check_temperature_by_hand(None, np.zeros((2, 2)), [0, 1]).attempted
    result = check_temperature_by_hand(1.5, [[np.nan, 0.0]], [0])
    assert not result.passed and "cannot be scored" in result.message


# --------------------------------------------------------------------------------------------
# Lesson 07's text about the checks, and its predictions
# --------------------------------------------------------------------------------------------

LESSON = "notebooks/07_calibration_and_overconfidence.ipynb"


def _lesson_markdown(path=LESSON):
    import json
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent
    cells = json.loads((root / path).read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def test_the_lesson_counts_check_ece_s_cases_right():
    """Issue 16: the lesson said 'eleven cases' while check_ece ran 13; the number is read from the cases."""
    import re

    from softmax_lab.exercises.calibration import _ece_cases

    stated = re.findall(r"The check runs it on (\d+) cases", _lesson_markdown())
    assert stated == [str(len(_ece_cases()))]


def test_the_lesson_s_predictions_come_from_the_shipped_models():
    """Cheap ones here (the rest need the checkpoints' logits: the lesson's trust scan reveals those)."""
    from softmax_lab.exercises.predict import registered_predictions

    found = {p.key: p for p in registered_predictions() if p.lesson == "07"}
    assert found["07.calibrated-ece"].value() == pytest.approx(0.08, abs=0.01)       # sampling noise alone
    assert found["07.initial-loss"].value() == pytest.approx(np.log(445))
    assert found["07.side-best"].choices == ("overconfident", "underconfident", "about equal")
    assert len(found) == 12
