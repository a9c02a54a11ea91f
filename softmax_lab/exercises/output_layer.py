"""Lesson 03: the output-layer quiz (softmax or sigmoid, task by task)."""

from ._machinery import CheckResult, finish, safe_repr

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
    name = "check_output_layer"
    n = len(OUTPUT_LAYER_QUESTIONS)
    if not isinstance(answers, dict):
        return finish(CheckResult(name, False, f"✘ {name}: expected a dict of answers, got {type(answers).__name__}.",
                                   hint='use answers = {"next_token": "softmax", ...}, one entry per question.'))
    if all(answers.get(key) is None for key in OUTPUT_LAYER_QUESTIONS):
        return finish(CheckResult(
            name, False,
            f'… {name}: not attempted yet: replace each None with "softmax" or "sigmoid", then run this check again.',
            attempted=False, n_cases=n,
        ))
    unknown = [key for key in answers if key not in OUTPUT_LAYER_QUESTIONS]
    if unknown:
        return finish(CheckResult(name, False, f"✘ {name}: unknown question(s) {safe_repr(unknown)}.",
                                   hint=f"the questions are {list(OUTPUT_LAYER_QUESTIONS)}.", n_cases=n))
    wrong, hints, first = [], [], None
    for i, (key, (task, right, why)) in enumerate(OUTPUT_LAYER_QUESTIONS.items(), start=1):
        given = answers.get(key)
        choice = " ".join(given.lower().split()) if isinstance(given, str) else None
        choice = _PLURALS.get(choice, choice)
        if given is None:
            wrong.append(f"{key!r} ({task}): not answered yet")
            hint = f'{key}: answer "softmax" or "sigmoid".'
        elif choice not in ("softmax", "sigmoid", "either", "both"):
            wrong.append(f"{key!r}: {safe_repr(given, 80)} is not one of the choices")
            hint = f'{key}: answer "softmax" or "sigmoid".'
        elif choice not in right:
            wrong.append(f"{key!r} ({task}): you said {choice}")
            hint = f"{key}: {why}"
        else:
            continue
        first = first or i
        hints.append(hint)
    if wrong:
        return finish(CheckResult(
            name, False,
            f"✘ {name}: {len(wrong)} of {n} answers are not right yet:\n" + "\n".join(f"  - {w}" for w in wrong),
            hint="\n  hint: ".join(hints), failed_case=first, n_cases=n))
    return finish(CheckResult(
        name, True, f"✔ {name}: all {n} answers are right. The rule: softmax when exactly one class is "
                    "true, one sigmoid per class when any number can be. (spam_or_not: "
                    f"{OUTPUT_LAYER_QUESTIONS['spam_or_not'][2]})", n_cases=n))
