"""The grammar of the course's small sentiment set (``data/sentiment.tsv``).

Short reviews of everyday things (films, meals, phones, hotels, trips...), each labelled
negative, neutral or positive. Every template and word list below was written for this
course; nothing is copied from any review site or data set. A seeded random choice of
templates and words makes the sentences, so the file is the same on every run.

The set is meant to be learnable by a bag-of-words classifier but not trivially: a few
templates use negation ("not bad at all", "not worth the money"), which a bag of words
cannot read in order, and some neutral sentences mention mild opinion words. The lesson
shows where the classifier goes wrong and why.

Run ``python data/sentiment_grammar.py`` to rewrite ``data/sentiment.tsv`` (``data/build.py``
does the same during ``make data``), then refresh its MANIFEST line.
"""

import sys
from pathlib import Path

import numpy as np

SEED = 2026
PER_CLASS = 130
LABELS = ("negative", "neutral", "positive")
FILE_NAME = "sentiment.tsv"

THINGS = [
    "the film", "this phone", "the pizza", "the hotel room", "the service", "the concert",
    "this book", "the bus ride", "the coffee", "the new sofa", "the museum", "the soup",
    "this laptop", "the train journey", "the hairdresser", "the garden centre", "the play",
    "the radio", "the bakery", "the swimming pool", "the course", "the campsite",
    "the restaurant", "this game", "the delivery", "the bike", "the cinema", "the tent",
]
STRONG_GOOD = ["wonderful", "excellent", "brilliant", "delightful", "fantastic", "superb", "lovely"]
MILD_GOOD = ["pleasant", "enjoyable", "charming", "comfortable", "friendly", "tasty", "reliable"]
STRONG_BAD = ["awful", "terrible", "dreadful", "horrible", "useless", "disappointing", "miserable"]
MILD_BAD = ["noisy", "dirty", "slow", "boring", "rude", "cold", "broken", "overpriced"]
PLAIN = ["new this year", "easy to find", "popular with students", "busy at weekends",
         "listed in the guide", "mentioned in the local paper", "run by a family",
         "part of a larger chain", "described on the website", "in the next town"]
VERB_GOOD = ["loved", "really enjoyed", "adored", "was impressed by", "was happy with"]
VERB_BAD = ["hated", "regretted", "was annoyed by", "was let down by", "could not stand"]
WHEN = ["last week", "on friday", "yesterday", "in the summer", "this morning", "last month"]
WHO = ["my sister", "a friend", "my neighbour", "my uncle", "a colleague", "my cousin"]
MEH = ["okay", "average", "ordinary", "fine", "standard", "acceptable"]
VERY = ["very", "really", "truly", "absolutely"]

TEMPLATES = {
    "positive": [
        "{thing} was {very} {strong_good} .",
        "i {verb_good} {thing} .",
        "{thing} was {mild_good} and {strong_good} .",
        "what a {strong_good} experience , {thing} was worth every penny .",
        "{who} {verb_good} {thing} and so did i .",
        "{thing} was not bad at all , {very} {mild_good} in fact .",
        "we will go back , {thing} was {strong_good} .",
        "i would recommend {thing} to anyone .",
        "{thing} made my day , {strong_good} !",
    ],
    "neutral": [
        "{thing} is {plain} .",
        "i tried {thing} {when} .",
        "{who} told me about {thing} {when} .",
        "{thing} was {meh} , nothing special .",
        "{thing} was neither good nor bad .",
        "we visited {thing} {when} with {who} .",
        "{thing} costs about the same as last year .",
        "i have no strong feelings about {thing} .",
        "{thing} was {meh} , about what i expected .",
    ],
    "negative": [
        "{thing} was {very} {strong_bad} .",
        "i {verb_bad} {thing} .",
        "{thing} was {mild_bad} and {strong_bad} .",
        "{thing} was not worth the money .",
        "{who} {verb_bad} {thing} and so did i .",
        "never again , {thing} was {strong_bad} .",
        "{thing} was {mild_bad} , i asked for a refund .",
        "i would not recommend {thing} to anyone .",
        "{thing} ruined my day , {mild_bad} and {strong_bad} !",
    ],
}

SLOTS = {
    "thing": THINGS, "strong_good": STRONG_GOOD, "mild_good": MILD_GOOD, "strong_bad": STRONG_BAD,
    "mild_bad": MILD_BAD, "plain": PLAIN, "verb_good": VERB_GOOD, "verb_bad": VERB_BAD,
    "when": WHEN, "who": WHO, "meh": MEH, "very": VERY,
}


def sentence(template, rng):
    """Fill every ``{slot}`` of ``template`` with a random word of its list."""
    fill = {slot: words[rng.integers(len(words))] for slot, words in SLOTS.items()}
    return template.format(**fill)


def generate(seed=SEED, per_class=PER_CLASS):
    """``per_class`` distinct sentences per label, as (label, sentence) pairs, shuffled."""
    rng = np.random.default_rng(seed)
    rows = []
    for label in LABELS:
        seen = set()
        templates = TEMPLATES[label]
        while len(seen) < per_class:
            text = sentence(templates[rng.integers(len(templates))], rng)
            if text not in seen:
                seen.add(text)
                rows.append((label, text))
    order = rng.permutation(len(rows))
    return [rows[i] for i in order]


def tsv(rows):
    """The file's text: a header line, then ``label<TAB>sentence`` per line."""
    return "label\tsentence\n" + "".join(f"{label}\t{text}\n" for label, text in rows)


def write(out_dir):
    """Write ``sentiment.tsv`` into ``out_dir`` and return its path."""
    path = Path(out_dir) / FILE_NAME
    path.write_text(tsv(generate()), encoding="utf-8", newline="\n")
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    print(write(target))
