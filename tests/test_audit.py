"""Tests for softmax_lab.audit and lesson 11: the claims, the summary table (in the package and in the
notebook), every link in lesson 11 (to an existing notebook and heading, with JupyterLab's anchors),
each claim's section and evidence cell, and the numbers of the stepper's figures."""

import json
import math
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

from softmax_lab import audit, sigmoid, softmax

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
LESSON = NOTEBOOKS / audit.LESSON
LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.M)


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell):
    return "".join(cell["source"])


def heading_texts(path):
    """Every markdown heading of a notebook, as written after its #s (code fences skipped)."""
    found = []
    for cell in cells(path):
        if cell["cell_type"] != "markdown":
            continue
        text = re.sub(r"^```.*?^```", "", source(cell), flags=re.S | re.M)
        found += [m.group(2) for m in HEADING.finditer(text)]
    return found


def anchors(path):
    return {audit.heading_anchor(h) for h in heading_texts(path) if "$" not in h}


# --------------------------------------------------------------------------------------------
# JupyterLab's anchors
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("heading, anchor", [
    # JupyterLab 4 (@jupyterlab/rendermime, renderers.ts): id = header.textContent.replace(/ /g, '-')
    ("2. Two classes: the softmax *is* a sigmoid", "2.-Two-classes:-the-softmax-is-a-sigmoid"),
    ("6. `log(softmax(z))` underflows; `log_softmax(z)` does not",
     "6.-log(softmax(z))-underflows;-log_softmax(z)-does-not"),
    ("1. Softmax regression is an LLM's output layer", "1.-Softmax-regression-is-an-LLM's-output-layer"),
    ("C12. Efficient with large vocabularies", "C12.-Efficient-with-large-vocabularies"),
    ("A **bold** [link](x.ipynb) &amp; more", "A-bold-link-&-more"),
    ("Case Stays,  Punctuation Too!", "Case-Stays,--Punctuation-Too!"),
])
def test_heading_anchor_is_jupyterlabs(heading, anchor):
    assert audit.heading_anchor(heading) == anchor


def test_heading_anchor_refuses_math_and_non_strings():
    with pytest.raises(ValueError, match="math"):
        audit.heading_anchor("2. Why divide by $\\sqrt{d}$?")
    with pytest.raises(TypeError, match="heading"):
        audit.heading_anchor(3)


# --------------------------------------------------------------------------------------------
# The claims as data
# --------------------------------------------------------------------------------------------

REQUIRED = {"formula", "highlights", "interpretability", "gradient", "robustness", "flexibility", "scalability",
            "cost", "overconfidence", "greedy", "coherence", "sentiment", "image", "rl", "translation", "sigmoid",
            "preferred"}


def test_claims_are_complete_numbered_and_have_valid_verdicts():
    ids = [c.id for c in audit.CLAIMS]
    assert REQUIRED <= set(ids) and len(ids) == len(set(ids))
    assert [c.number for c in audit.CLAIMS] == list(range(1, len(ids) + 1))
    for c in audit.CLAIMS:
        assert c.verdict in audit.VERDICTS
        assert c.claim and c.reason and c.topic
        assert c.reason.count(". ") <= 1, f"{c.id}: the reason should be one sentence"
    assert {c.verdict for c in audit.CLAIMS} == set(audit.VERDICTS)


def test_required_verdicts():
    assert audit.get_claim("formula").verdict == "holds"
    assert audit.get_claim("robustness").verdict == "oversimplified"     # only with the max shift
    assert audit.get_claim("coherence").verdict == "wrong"


def test_get_claim_by_id_or_number_and_errors():
    assert audit.get_claim(3) is audit.CLAIMS[2] and audit.get_claim(np.int64(3)) is audit.CLAIMS[2]
    assert audit.get_claim("rl").number == audit.CLAIMS[[c.id for c in audit.CLAIMS].index("rl")].number
    for bad in ("nope", 0, len(audit.CLAIMS) + 1, True, None, 3.0, [1]):
        with pytest.raises(KeyError, match="no claim"):
            audit.get_claim(bad)


def _article_words():
    path = pathlib.Path("/work/shared/seed-article.txt")
    if not path.exists():
        pytest.skip("the seed article is not on this machine")
    return re.findall(r"[a-z']+", path.read_text(encoding="utf-8").lower())


def test_claims_paraphrase_the_article_quoting_at_most_a_few_words():
    words = _article_words()
    windows = {" ".join(words[i:i + 7]) for i in range(len(words) - 6)}
    texts = [c.claim for c in audit.CLAIMS] + [c.reason for c in audit.CLAIMS]
    texts += [source(c) for c in cells(LESSON) if c["cell_type"] == "markdown"]
    for text in texts:
        mine = re.findall(r"[a-z']+", text.lower())
        copied = [" ".join(mine[i:i + 7]) for i in range(len(mine) - 6) if " ".join(mine[i:i + 7]) in windows]
        assert not copied, f"seven words in a row copied from the article: {copied[0]!r}"


# --------------------------------------------------------------------------------------------
# The summary table, in the package and in the notebook
# --------------------------------------------------------------------------------------------

def _table_cell():
    found = [source(c) for c in cells(LESSON) if c["cell_type"] == "markdown" and "| # |" in source(c)]
    assert len(found) == 1, "lesson 11 must have exactly one summary table"
    return found[0]


def test_notebook_table_equals_the_generated_one():
    assert audit.summary_table() in _table_cell(), (
        "the table in lesson 11 differs from softmax_lab.audit.summary_table(): paste the new one in")


def test_table_lists_every_claim_with_its_verdict_once():
    rows = [line for line in _table_cell().splitlines() if line.startswith("| C")]
    assert len(rows) == len(audit.CLAIMS)
    for row, claim in zip(rows, audit.CLAIMS):
        assert row.startswith(f"| C{claim.number} | {claim.claim} | **{claim.verdict}** |")
        assert f"#{audit.heading_anchor(claim.heading)}" in row


def test_the_table_comes_before_setup():
    texts = [source(c) for c in cells(LESSON)]
    table = next(i for i, t in enumerate(texts) if "| # |" in t)
    setup = next(i for i, t in enumerate(texts) if t.startswith("## Setup"))
    assert table < setup


def _resolve(target):
    """(notebook path, anchor) of a link written in lesson 11."""
    name, _, anchor = target.partition("#")
    return (NOTEBOOKS / name if name else LESSON), anchor


def _links(cell):
    return [m.group(2) for m in LINK.finditer(source(cell))] if cell["cell_type"] == "markdown" else []


def test_every_link_in_lesson_11_resolves_to_a_notebook_and_heading():
    links = [target for c in cells(LESSON) for target in _links(c)]
    assert len(links) >= 2 * len(audit.CLAIMS)
    for target in links:
        assert not target.startswith(("http:", "https:", "/")), f"{target}: links stay inside the course"
        path, anchor = _resolve(target)
        assert path.exists(), f"{target}: no notebook {path.name}"
        if anchor:
            assert anchor in anchors(path), f"{target}: {path.name} has no heading with the anchor {anchor!r}"


def test_the_table_links_the_lessons_after_the_audit():
    """Issues 20 and 21: the table sends a reader on to lesson 12 (a trained model's attention heads)
    and lesson 13 (the other jobs softmax does in an LLM)."""
    table = _table_cell()
    assert "(12_inside_a_trained_transformer.ipynb#" in table
    assert "(13_softmax_everywhere_else.ipynb#" in table


def test_every_claim_link_resolves():
    for claim in audit.CLAIMS:
        for target in claim.evidence_links:
            path, anchor = _resolve(target)
            assert path.exists() and anchor in anchors(path), target


def test_a_broken_link_would_be_caught():
    """The resolver is able to fail: a renamed heading or a missing notebook is not found."""
    assert "2.-Two-classes:-the-softmax-is-a-sigmoid" in anchors(NOTEBOOKS / "03_softmax_vs_sigmoid.ipynb")
    assert "2.-Two-classes:-the-softmax-*is*-a-sigmoid" not in anchors(NOTEBOOKS / "03_softmax_vs_sigmoid.ipynb")
    assert not (NOTEBOOKS / "99_missing.ipynb").exists()


# --------------------------------------------------------------------------------------------
# Each claim's section in lesson 11
# --------------------------------------------------------------------------------------------

def _sections():
    """claim id -> the cells from its ### heading to the next heading."""
    out, current = {}, None
    for cell in cells(LESSON):
        text = source(cell)
        if cell["cell_type"] == "markdown" and re.match(r"#{1,3} ", text):
            current = None
            for claim in audit.CLAIMS:
                if text.startswith(f"### {claim.heading}\n"):
                    current = claim.id
                    out[current] = []
        if current:
            out[current].append(cell)
    return out


def test_every_claim_has_a_section_with_its_verdict_and_a_live_evidence_cell():
    sections = _sections()
    assert set(sections) == {c.id for c in audit.CLAIMS}
    for claim in audit.CLAIMS:
        section = sections[claim.id]
        assert f"**Verdict: {claim.verdict}.**" in source(section[0])
        evidence = [c for c in section if c["cell_type"] == "code" and c.get("id") == f"evidence-{claim.id}"]
        assert len(evidence) == 1, f"{claim.id}: no code cell with id evidence-{claim.id}"
        assert "assert " in source(evidence[0]), f"{claim.id}: the evidence cell must assert what it shows"


def test_predictions_are_answered_later_and_never_in_their_own_cell():
    texts = [source(c) for c in cells(LESSON)]
    prompts = [i for i, t in enumerate(texts) if "**Predict first:**" in t]
    assert len(prompts) >= 3
    for i, end in zip(prompts, prompts[1:] + [len(texts)]):
        assert "<details>" not in texts[i]
        assert any(t.startswith("<details><summary>What you should have seen</summary>") for t in texts[i + 1:end])
        assert any(re.search(r'^predict\("11\.', t, re.M) for t in texts[i + 1:end])


def test_lesson_11_is_listed_in_the_course():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import course
    finally:
        sys.path.pop(0)
    assert audit.LESSON in [name for name, *_ in course.LESSONS]


# --------------------------------------------------------------------------------------------
# The stepper's figures: the numbers they show
# --------------------------------------------------------------------------------------------

def test_every_figure_is_well_formed():
    for claim in audit.CLAIMS:
        fig = audit.claim_figure(claim.id)
        if fig is None:
            continue
        assert fig.kind in ("bars", "lines") and fig.title and fig.xlabel and fig.ylabel and fig.note
        assert 1 <= len(fig.series) <= 3
        for name, values in fig.series:
            assert len(values) == (len(fig.labels) if fig.kind == "bars" else len(fig.x)), (claim.id, name)
        if fig.kind == "bars":
            assert len(fig.labels) <= 6


def test_figures_without_one_are_the_slow_claims():
    assert {c.id for c in audit.CLAIMS if audit.claim_figure(c.id) is None} == {
        "translation", "sentiment", "image", "flexibility"}


def test_figure_numbers():
    p = audit.claim_figure("formula").series[0][1]
    assert math.isclose(sum(p), 1.0) and np.allclose(p, softmax(audit.EXAMPLE_LOGITS))
    high_t = dict(audit.claim_figure("highlights").series)["T = 5"]
    assert max(high_t) < 0.5 and min(high_t) > 0
    naive, shifted = (np.array(v) for _, v in audit.claim_figure("robustness").series)
    x = np.array(audit.claim_figure("robustness").x)
    assert np.isnan(naive[x >= 710]).all() and not np.isnan(naive[x < 709]).any()
    assert not np.isnan(shifted).any()
    two, sig = (np.array(v) for _, v in audit.claim_figure("sigmoid").series)
    assert np.allclose(two, sigmoid(np.array(audit.claim_figure("sigmoid").x)))
    ce, mse = (np.array(v) for _, v in audit.claim_figure("gradient").series)
    assert ce[-1] > 0.99 and mse[-1] < 1e-4
    projection, soft = (np.array(v) for _, v in audit.claim_figure("cost").series)
    assert np.allclose(projection / soft, 2 * 2048 / 5)
    series = dict(audit.claim_figure("preferred").series)
    assert sum(v == 0 for v in series["sparsemax"]) == 3 and sum(v == 0 for v in series["softmax"]) == 0
    greedy = audit.claim_figure("greedy")
    assert greedy.labels[0] == "mat" and 0.3 < greedy.series[0][1][0] < 0.46


def test_import_softmax_lab_audit_stays_light():
    code = ("import sys, softmax_lab.audit; "
            "print(any(m in sys.modules for m in ('matplotlib', 'ipywidgets')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------------
# What lesson 11's prose says, against what the package computes
# --------------------------------------------------------------------------------------------

def _cell(cell_id):
    return source(next(c for c in cells(LESSON) if c.get("id") == cell_id))


def test_c5_states_the_share_of_the_seeded_draws_the_cell_prints():
    """The seeded draws (rng = default_rng(11), first used by the C5 cell) give mat 41%, not the
    38% of its probability: the reveal must quote the draws' share where it speaks of draws."""
    from softmax_lab import lm
    from softmax_lab.sampling import sample

    setup = next(source(c) for c in cells(LESSON) if "default_rng(" in source(c))
    assert "np.random.default_rng(11)" in setup
    code = [source(c) for c in cells(LESSON) if c["cell_type"] == "code"]
    first = next(i for i, text in enumerate(code) if re.search(r"\brng=rng\b|rng\.", text))
    assert 'sample(np.tile(logits, (1000, 1)), rng=rng)' in code[first], "the draws must use the rng first"
    model = lm.load("best")
    logits = lm.next_token_logits(model, "the cat sat on the")
    draws = sample(np.tile(logits, (1000, 1)), rng=np.random.default_rng(11))
    share = np.mean(draws == model.vocab.index("mat"))
    text = " ".join(_cell("f3f13ce3").split())
    stated = re.findall(r"(\d+)% of the seeded 1,000 draws", text)
    assert stated == [f"{100 * share:.0f}"], f"the reveal says {stated}% of the draws; they give {share:.1%}"
    rest = re.findall(r"other (\d+)% are", text)
    assert rest == [f"{100 * (1 - share):.0f}"]


def test_c14_states_the_true_overflow_limits_and_keeps_the_float16_answer_for_later():
    reason = audit.get_claim("robustness").reason
    for dtype in (np.float64, np.float32):
        assert f"{np.log(float(np.finfo(dtype).max)):.2f}" in reason, dtype
    assert "above about 710" not in reason and "can produce" not in reason
    assert "11.09" not in reason and "11" not in re.findall(r"\d+", reason)     # the float16 prediction's answer


NEVER_ZERO = re.compile(r"\b(never|nothing|no \w+)\b[^.;:]*\b(exactly 0|to 0)\b", re.I)


def test_no_sentence_says_softmax_never_gives_exactly_0_without_underflow():
    """Lesson 01 shows a probability underflowing to exactly 0: lesson 11 may say softmax gives no
    zeros at moderate gaps, never that it cannot give one at all."""
    texts = [source(c) for c in cells(LESSON) if c["cell_type"] == "markdown"]
    texts += [c.reason for c in audit.CLAIMS]
    texts += [audit.claim_figure(c.id).note for c in audit.CLAIMS if audit.claim_figure(c.id) is not None]
    for text in texts:
        for sentence in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
            if NEVER_ZERO.search(sentence) and re.search(r"\bsoftmax\b", sentence, re.I):
                assert re.search(r"underflow|at these gaps|on its own|sparsemax", sentence, re.I), sentence
