"""Lesson 03: the output-layer quiz (softmax or sigmoid, task by task)."""

from ._answers import check_quiz
from ._machinery import guarded

#: The questions of lesson 03's output-layer quiz: key -> (task, right answers, why).
OUTPUT_LAYER_QUESTIONS = {
    "next_token": (
        "predict the next token of a sentence, from a vocabulary of 50,000 tokens",
        ("softmax",),
        "exactly one token comes next, so the tokens compete for one unit of probability: softmax.",
    ),
    "photo_tags": (
        "tag a holiday photo with every label that applies: beach, sunset, people, dog",
        ("sigmoid",),
        "a photo can show a dog on a beach at sunset: the tags are not exclusive, so each one is "
        "its own yes/no question with its own sigmoid (the probabilities need not sum to 1).",
    ),
    "review_sentiment": (
        "rate a review as negative, neutral or positive",
        ("softmax",),
        "a review gets exactly one of the three ratings, which exclude each other: softmax.",
    ),
    "comment_flags": (
        "flag a comment for insult, threat and spam (any combination, or none)",
        ("sigmoid",),
        "a comment can be an insult AND spam, or nothing at all: independent yes/no flags, one "
        "sigmoid each.",
    ),
    "spam_or_not": (
        "decide whether an email is spam or not spam",
        ("sigmoid", "softmax", "either", "both"),
        "both work: a sigmoid on one logit z is exactly a softmax over the two logits [0, z]. "
        "One logit is the usual, leaner choice.",
    ),
}


_PLURALS = {"sigmoids": "sigmoid", "softmaxes": "softmax", "one sigmoid per label": "sigmoid",
            "a sigmoid": "sigmoid", "a softmax": "softmax"}


@guarded("check_output_layer")
def check_output_layer(answers):
    """Check the output-layer quiz: for each task, "softmax" or "sigmoid"?

    Parameters
    ----------
    answers : dict
        Keys from :data:`OUTPUT_LAYER_QUESTIONS`, values ``"softmax"`` or ``"sigmoid"``
        (``None`` while unanswered).

    Returns
    -------
    CheckResult
        The message lists EVERY wrong (or missing) answer, and the hint explains each of them.

    Notes
    -----
    The rule behind every answer: softmax when the classes exclude each other (exactly one is
    true), one sigmoid per class when any number of them can be true at once.

    Examples
    --------
    >>> check_output_layer({k: None for k in OUTPUT_LAYER_QUESTIONS}).attempted
    … check_output_layer: not attempted yet: replace each None with "softmax" or "sigmoid", then run this check again.
    False
    """
    rule = ("The rule: softmax when exactly one class is true, one sigmoid per class when any number can "
            f"be. (spam_or_not: {OUTPUT_LAYER_QUESTIONS['spam_or_not'][2]})")
    return check_quiz("check_output_layer", answers, OUTPUT_LAYER_QUESTIONS, ("softmax", "sigmoid"),
                      aliases=_PLURALS, example='"next_token": "softmax"', praise=rule)
