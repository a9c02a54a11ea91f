r"""Lesson 11: the seed article's claims about softmax, each with a verdict and its evidence.

The claims are plain data (:data:`CLAIMS`): a short paraphrase (never the article's sentence),
a verdict (``"holds"``, ``"oversimplified"`` or ``"wrong"``), a one-sentence reason, the
section of lesson 11 whose live cell shows the evidence, and the sections of earlier lessons
that show it at length. :func:`summary_table` turns them into the markdown table at the top of
lesson 11 (a test keeps the notebook's copy equal to it and checks that every link leads to an
existing notebook and heading), and :func:`claim_figure` gives, for the claims that have one,
the numbers of a small figure (the claim stepper in :mod:`softmax_lab.widgets` draws them).

Links to a heading use the anchor JupyterLab gives it (:func:`heading_anchor`): the heading's
rendered text with every space replaced by ``-`` (``createHeaderId`` in
``@jupyterlab/rendermime``'s ``renderers.ts``; JupyterLab 4).

This module imports only numpy and softmax_lab's math modules: ``import softmax_lab`` stays light.

Examples
--------
>>> claim = get_claim("coherence")
>>> claim.verdict
'wrong'
>>> heading_anchor("2. Two classes: the softmax *is* a sigmoid")
'2.-Two-classes:-the-softmax-is-a-sigmoid'
>>> summary_table().splitlines()[0]
'| # | The article claims (paraphrased) | Verdict | Evidence |'
"""

import functools
import html
import numbers
import re
from dataclasses import dataclass

import numpy as np

from .alternatives import entmax, sparsemax
from .functions import naive_softmax, sigmoid, softmax
from .losses import cross_entropy_grad, softmax_jacobian
from .vocab import output_layer_cost

__all__ = ["VERDICTS", "LESSON", "Claim", "CLAIMS", "get_claim", "heading_anchor", "link", "summary_table",
           "claim_figure", "EXAMPLE_WORDS", "EXAMPLE_LOGITS"]

VERDICTS = ("holds", "oversimplified", "wrong")
LESSON = "11_the_article_audited.ipynb"

#: The running example of the figures: five next words after "the cat sat on the".
EXAMPLE_WORDS = ("mat", "floor", "sofa", "roof", "moon")
EXAMPLE_LOGITS = (2.0, 1.4, 0.6, -0.4, -1.6)


@dataclass(frozen=True)
class Claim:
    """One claim of the article, audited.

    Attributes
    ----------
    id : str
        A short slug, e.g. ``"robustness"``.
    number : int
        1, 2, ...: the order in lesson 11 and in its table.
    topic : str
        A few words; the heading of the claim's section in lesson 11 is ``"C<number>. <topic>"``.
    claim : str
        What the article says, paraphrased.
    verdict : str
        One of :data:`VERDICTS`.
    reason : str
        One sentence: why.
    lessons : tuple of (str, str)
        (notebook file, heading text as written after the ``#``s) of earlier lessons that show
        the evidence at length.
    """

    id: str
    number: int
    topic: str
    claim: str
    verdict: str
    reason: str
    lessons: tuple = ()

    @property
    def heading(self):
        """The heading of this claim's section in lesson 11 (without the ``###``)."""
        return f"C{self.number}. {self.topic}"

    @property
    def evidence_links(self):
        """Every link to its evidence: lesson 11's section first, then the earlier lessons'."""
        return (link(LESSON, self.heading),) + tuple(link(nb, heading) for nb, heading in self.lessons)


L01, L02, L03, L04 = ("01_softmax_basics.ipynb", "02_temperature_and_overconfidence.ipynb",
                      "03_softmax_vs_sigmoid.ipynb", "04_cross_entropy_and_gradients.ipynb")
L05, L06 = "05_numerical_stability.ipynb", "06_next_token_sampling.ipynb"
L07 = "07_calibration_and_overconfidence.ipynb"
L08, L09, L10 = "08_softmax_in_attention.ipynb", "09_large_vocabularies.ipynb", "10_softmax_beyond_language.ipynb"
L12, L13 = "12_inside_a_trained_transformer.ipynb", "13_softmax_everywhere_else.ipynb"

_DATA = [
    ("formula", "The formula and the sum to 1",
     "Softmax exponentiates each score and divides by the sum of the exponentials, so the outputs form a "
     "probability distribution.",
     "holds", "That is the definition: every output is positive and the outputs add up to 1 (up to rounding).",
     ((L01, "2. Step by step: exponentiate, then normalise"),)),
    ("highlights", "Does softmax highlight the likely outcomes?",
     "Softmax brings out the most likely outcomes and suppresses the unlikely ones.",
     "oversimplified", "How much it sharpens depends on the scale of the logits (a temperature): small gaps give an "
     "almost flat distribution, and an unlikely outcome reaches exactly 0 only when its probability underflows in "
     "floating point (lesson 01), never because softmax suppresses it.",
     ((L02, "1. One knob: divide the logits by T"), (L02, "3. The two limits"))),
    ("interpretability", "Interpretability",
     "The probabilities make it easy to read which word the model considers most likely.",
     "oversimplified", "The ranking is readable, but a probability is the model's bet, not a measured frequency "
     "(it must be checked against accuracy), and the logits only mean something relative to each other.",
     ((L01, "5. What the probabilities mean, and what they do not"), (L07, "1. Confidence against accuracy"))),
    ("gradient", "A clear gradient for training?",
     "Softmax helps backpropagation by giving a clear gradient.",
     "oversimplified", "The clean gradient p - y belongs to softmax paired with cross-entropy computed from the "
     "logits; the softmax alone saturates, and its Jacobian vanishes when one probability nears 1.",
     ((L04, "2. Which way does the gradient push each logit?"),
      (L04, "3. The softmax Jacobian, and why the log matters"))),
    ("greedy", "Always the most probable word?",
     "A language model writes by taking the word with the highest probability.",
     "oversimplified", "That is greedy decoding, one strategy among several: chat models usually sample (with a "
     "temperature and top-p), and greedy text tends to repeat itself.",
     ((L06, "2. Greedy decoding: always take the top word"), (L06, "3. Sampling: draw the next word at random"))),
    ("coherence", "Does softmax make text coherent?",
     "Softmax makes generated text read more smoothly and coherently, because it lets the model take the "
     "likeliest word.",
     "wrong", "Softmax keeps the order of the logits, so it never changes which word is most likely: coherence "
     "comes from the model's logits, and always taking the most likely word makes text loop.",
     ((L10, "5. Translation and decoding: scoring whole sequences"),)),
    ("translation", "Machine translation",
     "Machine translation relies on softmax to write the sentence in the target language, predicting its words "
     "in sequence.",
     "oversimplified", "Softmax scores one word at a time; the translation is found by a search over whole "
     "sequences (beam search) whose score is a sum of log-softmax terms.",
     ((L10, "5. Translation and decoding: scoring whole sequences"),)),
    ("sentiment", "Sentiment analysis",
     "Sentiment analysis classifies text (positive, negative, ...) by the probability of each class.",
     "holds", "A softmax over three classes on bag-of-words features classifies the course's test sentences "
     "almost perfectly; what limits it is the features, not the softmax.",
     ((L10, "2. Training in three lines"),)),
    ("image", "Image classification",
     "Beyond language, softmax is used for image classification.",
     "holds", "It is the usual last layer of an image classifier: the same three training lines classify small "
     "pictures of shapes well above chance, limited by pixel features.",
     ((L10, "2. Training in three lines"),)),
    ("rl", "Reinforcement learning",
     "Softmax is used in reinforcement learning, where turning scores into probabilities supports decisions.",
     "holds", "Boltzmann exploration and policy gradients draw actions from a softmax; it serves to explore, "
     "not to pick the best, and its temperature must be tuned.",
     ((L10, "4. Reinforcement learning: exploring with a softmax"),)),
    ("flexibility", "Flexibility",
     "One softmax serves many jobs: classifying inputs as well as generating sequences.",
     "holds", "The same function is a classifier's output, a language model's next-word distribution, every "
     "attention head's weights and a policy in reinforcement learning.",
     ((L10, "1. Softmax regression is an LLM's output layer"), (L08, "1. Where the softmax sits in attention"),
      (L12, "1. The heads of a trained model"),
      (L13, "1. Distillation: learning from the teacher's whole distribution"),
      (L13, "3. Mixture of experts: a softmax router"))),
    ("scalability", "Efficient with large vocabularies?",
     "Softmax scales well: it handles large vocabularies efficiently, by normalising the logits.",
     "oversimplified", "The softmax itself is linear in V and cheap, but the output layer around it (a V x d "
     "product and tokens x V logits in memory) grows costly, and large vocabularies need chunking or "
     "approximations.",
     ((L09, "1. The cost grows with V"), (L09, "7. Verdict on the article"))),
    ("cost", "Computational cost",
     "A limitation: exponentiation and normalisation are expensive with large vocabularies.",
     "oversimplified", "The exponentials cost about 5 operations per word, while the product that makes the "
     "logits costs 2d per word (hundreds of times more); memory for the logits is the real bottleneck.",
     ((L09, "1. The cost grows with V"), (L09, "3. Chunked cross-entropy: never hold all the logits"))),
    ("robustness", "Robust with high-dimensional data?",
     "Softmax is robust: its probabilities stay well behaved however many dimensions the data has.",
     "oversimplified", "Only when computed with the max shift: the formula as printed overflows once a logit "
     "passes the log of the largest float, about 709.78 in float64 and 88.72 in float32 (sooner still in float16); "
     "trained models' logits sit far below the float64 limit (the course's tiny model's stay under 10), so the "
     "risk lies in low precision.",
     ((L05, "2. Find where the textbook formula breaks"), (L05, "3. The fix: subtract the largest logit first"))),
    ("overconfidence", "Overconfidence",
     "A limitation: softmax tends to produce overconfident probabilities.",
     "oversimplified", "The confidence is set by the scale of the logits training produces, not by softmax: "
     "the same logits divided by a fitted temperature can be calibrated, and models can be underconfident.",
     ((L07, "4. Temperature scaling, checkpoint by checkpoint"),
      (L02, "5. Bigger logits: more confident, not more knowledgeable"))),
    ("sigmoid", "Softmax against sigmoid",
     "Softmax is for multi-class classification, the sigmoid for binary classification.",
     "oversimplified", "With two classes softmax is exactly a sigmoid of the logit difference, and sigmoids also "
     "serve multi-label tasks (several yes/no answers at once), where softmax would be wrong.",
     ((L03, "2. Two classes: the softmax *is* a sigmoid"), (L03, "5. Choosing the output layer"))),
    ("preferred", "Preferred over other functions?",
     "LLMs favour softmax over other activation functions since it yields a distribution over many outcomes.",
     "oversimplified", "It is the default, but not the only function that gives a distribution: sparsemax and "
     "entmax do too (with exact zeros), Gumbel-softmax makes sampling differentiable, and sigmoid attention "
     "trains as well in attention; each trades something.",
     ((L08, "6. A softmax must put its weight somewhere"), (L12, "1. The heads of a trained model"))),
]

#: The audited claims, in the order of lesson 11.
CLAIMS = tuple(Claim(cid, i, topic, claim, verdict, reason, lessons)
               for i, (cid, topic, claim, verdict, reason, lessons) in enumerate(_DATA, start=1))


def get_claim(key):
    """The claim with id ``key`` (a str) or number ``key`` (an int, from 1).

    Raises
    ------
    KeyError
        No such claim (the message lists the ids).
    """
    for claim in CLAIMS:
        if (isinstance(key, str) and key == claim.id) or (
                isinstance(key, numbers.Integral) and not isinstance(key, (bool, np.bool_)) and key == claim.number):
            return claim
    raise KeyError(f"no claim {key!r}; the claims are {', '.join(c.id for c in CLAIMS)} (or 1 to {len(CLAIMS)})")


# --------------------------------------------------------------------------------------------
# Links and the summary table
# --------------------------------------------------------------------------------------------

_INLINE = [
    (re.compile(r"`([^`]*)`"), r"\1"),                       # code
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),           # [text](url)
    (re.compile(r"\*\*([^*]+)\*\*|__([^_]+)__"), r"\1\2"),   # strong
    (re.compile(r"\*([^*]+)\*"), r"\1"),                     # emphasis
    (re.compile(r"(?<![\w])_([^_]+)_(?![\w])"), r"\1"),
    (re.compile(r"<[^>]+>"), ""),                            # inline HTML tags
]


def heading_anchor(heading):
    """The anchor JupyterLab 4 gives a markdown heading: its rendered text, spaces replaced by ``-``.

    JupyterLab sets ``id = header.textContent.replace(/ /g, '-')`` on each rendered heading
    (``createHeaderId`` in ``@jupyterlab/rendermime``), so the anchor keeps punctuation and case;
    only the markdown markup disappears (``*is*`` renders as "is"). Headings with ``$`` math are
    refused: their rendered text depends on MathJax.

    Examples
    --------
    >>> heading_anchor("6. `log(softmax(z))` underflows; `log_softmax(z)` does not")
    '6.-log(softmax(z))-underflows;-log_softmax(z)-does-not'
    """
    if not isinstance(heading, str):
        raise TypeError(f"heading must be a str, got {type(heading).__name__}")
    if "$" in heading:
        raise ValueError(f"heading {heading!r} holds $ math: its anchor depends on MathJax; link another heading")
    text = heading.strip().lstrip("#").strip()
    for pattern, repl in _INLINE:
        text = pattern.sub(repl, text)
    return html.unescape(text).replace(" ", "-")


def link(notebook, heading):
    """``"notebook#anchor"`` for a heading of a notebook."""
    if not isinstance(notebook, str) or not notebook.endswith(".ipynb"):
        raise TypeError(f"notebook must be a notebook's file name (a str ending in .ipynb), got {notebook!r}")
    return f"{notebook}#{heading_anchor(heading)}"


def _link_text(notebook, heading):
    number = heading.split(".")[0]
    where = f"§{number}" if number.isdigit() else heading
    return f"{notebook[:2]} {where}"


def summary_table(claims=CLAIMS):
    """The markdown table of lesson 11: one row per claim, with its verdict and evidence links.

    Links to lesson 11's own sections are written ``#anchor`` (a jump inside the notebook);
    links to other lessons ``NN_name.ipynb#anchor``.
    """
    if isinstance(claims, (str, bytes)) or not np.iterable(claims) or not all(isinstance(c, Claim) for c in claims):
        raise TypeError(f"claims must be a sequence of Claim records (as in CLAIMS), got {claims!r:.80}")
    rows = ["| # | The article claims (paraphrased) | Verdict | Evidence |", "|---|---|---|---|"]
    for c in claims:
        links = [f"[{c.heading.split('. ')[0]} below](#{heading_anchor(c.heading)})"]
        links += [f"[{_link_text(nb, h)}]({link(nb, h)})" for nb, h in c.lessons]
        rows.append(f"| C{c.number} | {c.claim} | **{c.verdict}** | {', '.join(links)} |")
    return "\n".join(rows)


# --------------------------------------------------------------------------------------------
# The figures of the claim stepper (plain numbers; softmax_lab.widgets draws them)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Figure:
    """The numbers of one small figure.

    ``kind`` is ``"bars"`` (``labels`` on the x axis, one bar per label and series) or
    ``"lines"`` (``x`` values, one line per series). ``series`` is a tuple of (name, values);
    ``note`` is one line under the title, with the number that matters.
    """

    kind: str
    title: str
    xlabel: str
    ylabel: str
    series: tuple
    labels: tuple = ()
    x: tuple = ()
    logx: bool = False
    logy: bool = False
    note: str = ""


def _bars(title, ylabel, series, labels=EXAMPLE_WORDS, xlabel="next word", note=""):
    series = tuple((name, tuple(float(v) for v in np.asarray(values, float))) for name, values in series)
    return Figure("bars", title, xlabel, ylabel, series, labels=tuple(labels), note=note)


def _lines(title, xlabel, ylabel, x, series, logx=False, logy=False, note=""):
    series = tuple((name, tuple(float(v) for v in np.asarray(values, float))) for name, values in series)
    return Figure("lines", title, xlabel, ylabel, series, x=tuple(float(v) for v in x), logx=logx, logy=logy,
                  note=note)


def _fig_formula():
    p = softmax(EXAMPLE_LOGITS)
    return _bars("softmax of the example logits", "probability", [("softmax(z)", p)],
                 note=f"sum of the probabilities = {p.sum():.6f}")


def _fig_highlights():
    z = np.asarray(EXAMPLE_LOGITS)
    series = [(f"T = {t:g}", softmax(z, temperature=t)) for t in (0.5, 1.0, 5.0)]
    top = series[-1][1][0]
    return _bars("the same logits at three temperatures", "probability", series,
                 note=f"at T = 5 the top word gets only {top:.2f}; at these gaps no word gets exactly 0")


def _fig_interpretability():
    z = np.asarray(EXAMPLE_LOGITS)
    series = [("z", softmax(z)), ("z + 100", softmax(z + 100)), ("3 z", softmax(3 * z))]
    return _bars("shift the logits: nothing changes; scale them: confidence changes", "probability", series,
                 note=f"top word: {softmax(z)[0]:.2f} for z and z + 100, {softmax(3 * z)[0]:.2f} for 3 z "
                      "(same ranking)")


def _fig_gradient():
    margin = np.linspace(0.0, 12.0, 49)
    ce, mse = [], []
    for m in margin:                       # a wrong prediction: the target (class 1) is m below class 0
        z = np.array([m, 0.0, 0.0])
        ce.append(np.abs(cross_entropy_grad(z, 1)).max())
        p = softmax(z)
        grad_mse = softmax_jacobian(z) @ (2 * (p - np.eye(3)[1]))   # squared error through the softmax
        mse.append(np.abs(grad_mse).max())
    return _lines("gradient size on a confidently wrong prediction", "how far the wrong class leads (logits)",
                  "largest |gradient|", margin, [("cross-entropy: p - y", ce), ("squared error through softmax", mse)],
                  note=f"at a lead of 12: {ce[-1]:.2f} with cross-entropy, {mse[-1]:.1e} through the saturated softmax")


@functools.lru_cache(maxsize=1)
def _lm_example():
    from . import lm
    from .decoding import LMScorer, greedy_decode, repetition, sample_decode

    model = lm.load("best")
    top = lm.top_words(model, "the cat sat on the", k=5)
    scorer = LMScorer(model, "the dog")
    greedy = repetition(greedy_decode(scorer, 20).tokens)
    sampled = float(np.mean([repetition(sample_decode(scorer, 20, rng=seed).tokens) for seed in range(5)]))
    return top, greedy, sampled


def _fig_greedy():
    top, _, _ = _lm_example()
    words, probs = zip(*top)
    return _bars("the tiny model after 'the cat sat on the'", "probability", [("softmax", probs)], labels=words,
                 note=f"greedy always writes '{words[0]}'; sampling picks it only {probs[0]:.0%} of the time")


def _fig_coherence():
    _, greedy, sampled = _lm_example()
    return _bars("repeated word pairs in 20 words after 'the dog'", "share of repeated bigrams",
                 [("repetition", (greedy, sampled))], labels=("greedy", "sampling (5 seeds)"), xlabel="decoder",
                 note=f"greedy text repeats {greedy:.0%} of its word pairs; samples {sampled:.0%}")


def _fig_rl():
    means = np.array([0.2, 0.4, 0.5, 0.6, 0.7])
    series = [(f"T = {t:g}", softmax(means / t)) for t in (0.03, 0.1, 1.0)]
    return _bars("Boltzmann exploration: P(pull arm) = softmax(means / T)", "probability", series,
                 labels=[f"{m:g}" for m in means], xlabel="arm (its mean payout)",
                 note="a high T explores every arm, a low T exploits the best one")


def _fig_cost():
    V = np.array([445, 4096, 32768, 128256, 256000])
    costs = [output_layer_cost(1, int(v), 2048) for v in V]
    ratio = costs[-1].projection_flops / costs[-1].softmax_flops
    return _lines("operations per token of the output layer (d = 2048)", "vocabulary size V", "operations",
                  V, [("projection h W (2 d V)", [c.projection_flops for c in costs]),
                      ("softmax (about 5 V)", [c.softmax_flops for c in costs])], logx=True, logy=True,
                  note=f"the projection costs {ratio:.0f} times the softmax, at every V")


def _fig_scalability():
    V = np.array([445, 4096, 32768, 128256, 256000])
    gb = [output_layer_cost(8192, int(v), 2048).logits_bytes / 1e9 for v in V]
    return _lines("memory of the logits for 8,192 tokens (float32)", "vocabulary size V", "GB",
                  V, [("logits", gb), ("their gradient", gb)], logx=True,
                  note=f"{gb[-1]:.1f} GB of logits (and as much gradient) at V = 256,000")


def _fig_robustness():
    top = np.linspace(0.0, 800.0, 161)
    with np.errstate(all="ignore"):                   # the textbook formula's NaN is the point here
        naive = [naive_softmax(np.array([t, t - 1.0, t - 2.0]))[0] for t in top]
    shifted = [softmax(np.array([t, t - 1.0, t - 2.0]))[0] for t in top]
    broken = top[np.isnan(naive)]
    return _lines("p(top word) for logits (t, t - 1, t - 2), float64", "largest logit t", "probability",
                  top, [("exp(z) / sum exp(z)", naive), ("softmax with the max shift", shifted)],
                  note=f"the printed formula gives NaN from t = {broken[0]:g}; the shifted one never does")


def _fig_overconfidence():
    scale = np.linspace(0.0, 5.0, 51)
    z = np.asarray(EXAMPLE_LOGITS)
    conf = [softmax(s * z).max() for s in scale]
    return _lines("confidence grows with the scale of the logits", "scale s of the logits (s z)",
                  "top probability", scale, [("max softmax(s z)", conf)],
                  note="the ranking (and so the accuracy) is the same at every scale > 0")


def _fig_sigmoid():
    z = np.linspace(-6.0, 6.0, 49)
    two_class = softmax(np.stack([np.zeros_like(z), z], axis=-1))[:, 1]
    return _lines("two classes: softmax([0, z])[1] against sigmoid(z)", "logit z", "probability", z,
                  [("softmax([0, z])[1]", two_class), ("sigmoid(z)", sigmoid(z))],
                  note=f"largest difference: {np.abs(two_class - sigmoid(z)).max():.1e}")


def _fig_preferred():
    z = np.asarray(EXAMPLE_LOGITS)
    series = [("softmax", softmax(z)), ("sparsemax", sparsemax(z)), ("entmax 1.5", entmax(z, 1.5))]
    zeros = int(np.sum(sparsemax(z) == 0))
    return _bars("the same logits, three ways to a distribution", "weight", series,
                 note=f"sparsemax gives {zeros} words exactly 0; softmax gives none")


_FIGURES = {
    "formula": _fig_formula, "highlights": _fig_highlights, "interpretability": _fig_interpretability,
    "gradient": _fig_gradient, "greedy": _fig_greedy, "coherence": _fig_coherence, "rl": _fig_rl,
    "scalability": _fig_scalability, "cost": _fig_cost, "robustness": _fig_robustness,
    "overconfidence": _fig_overconfidence, "sigmoid": _fig_sigmoid, "preferred": _fig_preferred,
}


@functools.lru_cache(maxsize=None)
def claim_figure(key):
    """The numbers of the small figure for claim ``key`` (id or number), or None if it has none.

    The claims without a figure (translation, sentiment, image, flexibility) are shown by their
    lessons' dashboards, which train or search for seconds.

    Examples
    --------
    >>> fig = claim_figure("formula")
    >>> fig.kind, round(sum(fig.series[0][1]), 6)
    ('bars', 1.0)
    >>> claim_figure("translation") is None
    True
    """
    make = _FIGURES.get(get_claim(key).id)
    return None if make is None else make()
