r"""The course's own corpus: simple English sentences made by a small, seeded grammar.

The tiny language model of :mod:`softmax_lab.lm` is trained on this text. Every sentence is
written by the templates below (nothing is copied from elsewhere), so we know exactly which
distribution the model is trying to learn. It is a development tool, not part of the installed
package: ``data/build.py`` (beside it) writes the shipped corpus with it, and the tests check that
the shipped files are what it generates.

Text conventions
----------------
* Lower-case words separated by single spaces.
* The only punctuation is the full stop, a token of its own: every sentence ends with ``"."``.
  There are no commas, capitals or quotes.
* One sentence per line in the shipped files (``data/corpus_*.txt``). Sentences are independent:
  the model reads each one from its start (see :mod:`softmax_lab.lm` for the start token).

What the grammar says
---------------------
Sixteen templates about animals, objects, places, people and the weather, chosen with the
weights in :data:`TEMPLATE_WEIGHTS`. Inside each word list the first word is the most common and
the others follow a Zipf law (the word of rank r has weight :math:`1 / r^{s}`), which gives the
corpus a long tail of rare words, as real text has.

The sentence the course keeps coming back to is "the cat sat on the ...". Its next word is drawn
from :data:`SURFACES`: **mat** most often (38%), **floor** less often (17%), then a tail of
plausible places to sit (sofa, bed, chair, rug, ...) and **roof** rarely (1.5%). The same
surface distribution follows "sat on the" whatever the animal is, so a model that sees only the
last three words ("sat on the") can learn it exactly.

Examples
--------
>>> sentences = generate_sentences(5, seed=1)
>>> len(sentences), all(s[-1] == "." for s in sentences)
(5, True)
>>> generate_sentences(3, seed=1) == generate_sentences(3, seed=1)     # seeded
True
>>> round(SURFACES["mat"] / sum(SURFACES.values()), 2)
0.38
"""

import numbers

import numpy as np

__all__ = [
    "SURFACES",
    "TEMPLATE_WEIGHTS",
    "generate_sentences",
    "split_sentences",
    "next_word_counts",
    "LONG_RANGE_VERBS",
    "generate_long_range_sentences",
    "long_range_position",
]

# ---------------------------------------------------------------------------------------------
# Word lists. Inside a list, earlier words are more frequent (Zipf weights, see _zipf).

#: Where an animal sits: "the cat sat on the <surface>". Weights in percent (they sum to 100).
SURFACES = {
    "mat": 38.0, "floor": 17.0, "sofa": 7.0, "bed": 6.0, "chair": 5.5, "rug": 5.0,
    "step": 3.5, "cushion": 3.0, "bench": 2.5, "box": 2.0, "table": 2.0, "blanket": 1.5,
    "wall": 1.5, "roof": 1.5, "fence": 1.0, "carpet": 1.0, "stool": 0.5, "windowsill": 0.5,
}

SITTERS = "cat dog kitten puppy rabbit mouse hamster lamb goat fox ferret".split()
LAND_ANIMALS = ("dog cat horse cow rabbit sheep pig fox mouse goat deer bear squirrel pony "
                "donkey lamb hedgehog wolf badger kitten puppy mole lion tiger elephant monkey "
                "camel zebra giraffe tortoise lizard hamster ferret rat llama panda "
                "kangaroo koala rhino hippo leopard cheetah gorilla moose buffalo yak raccoon "
                "skunk weasel stoat hare vole shrew gerbil chipmunk mongoose alpaca bison").split()
BIRDS = "bird duck owl hen crow robin goose swan parrot pigeon sparrow magpie eagle".split()
WATER_ANIMALS = "fish duck frog otter swan seal beaver crab whale dolphin penguin toad eel".split()
SMALL_ANIMALS = "bee ant snail spider butterfly beetle moth ladybird worm".split()

OUTDOOR_PLACES = ("park garden field farm forest river hill beach town village road meadow "
                  "wood yard lake street valley orchard bridge market harbour shore mountain "
                  "island cave station school city jungle desert pier lane square cliff marsh "
                  "playground campsite quarry vineyard riverbank heath moor").split()
ROOMS = "kitchen house hall bedroom shed barn garage attic cellar porch stable cottage".split()
WATERS = "river lake pond sea stream canal".split()
PERCHES = "tree roof fence branch wall hedge chimney gate post".split()
FURNITURE = "table shelf desk chair bed floor sofa windowsill cupboard drawer basket box".split()

OBJECTS = ("ball box cup book hat key bag shoe toy stick bone spoon bowl plate lamp clock "
           "pen coat sock bell rope basket bottle brush candle coin comb doll drum flag glove "
           "jar kite map mug pencil ribbon ring scarf shell stone teapot umbrella vase whistle "
           "feather pebble pillow button envelope ladder bucket puzzle kettle hammer saucepan "
           "trumpet lantern mitten parcel blanket compass marble thimble spade broom wheel "
           "paintbrush sponge torch necklace tray teacup crayon acorn pinecone balloon "
           "jigsaw rattle satchel trowel slipper postcard harmonica yoyo").split()
FOODS = ("grass bread seeds milk hay apples carrots cheese corn berries nuts fish worms "
         "oats lettuce cabbage honey turnips pears plums acorns clover beans").split()

COLOURS = "red blue green yellow black white brown grey orange pink purple".split()
SIZES = "big small little old new tiny long heavy round soft".split()
ANIMAL_ADJECTIVES = ("happy sleepy hungry lazy small big old young brave shy clever noisy "
                     "fluffy quiet tired playful grumpy curious gentle proud cheerful nervous "
                     "scruffy spotted striped muddy patient").split()
PLACE_ADJECTIVES = "quiet busy green wet muddy lovely empty warm cold dark peaceful crowded".split()

PEOPLE = ("boy girl man woman farmer child teacher baker doctor grandmother fisherman painter "
          "postman shepherd nurse sailor gardener vet").split()

WEATHER_ADJECTIVES = ("sunny cold rainy warm windy cloudy hot wet foggy snowy stormy dry "
                      "frosty misty chilly mild").split()
SKY_ADJECTIVES = "grey blue dark clear bright pale cloudy".split()
# Weather nouns with the verbs that go with them ("the rain fell on the town").
WEATHER_EVENTS = {
    "rain": "fell poured dripped".split(),
    "snow": "fell settled drifted".split(),
    "wind": "blew howled whistled".split(),
    "sun": "shone rose set".split(),
    "fog": "lay rolled".split(),
    "storm": "passed raged".split(),
    "frost": "settled".split(),
}
TIMES = [["today"], ["tonight"], ["this", "morning"], ["this", "evening"], ["all", "day"],
         ["all", "night"], ["yesterday"], ["in", "the", "morning"], ["at", "night"],
         ["in", "winter"], ["in", "summer"], ["in", "spring"], ["in", "autumn"]]

DETERMINERS = "the a my our".split()
MOVE_VERBS = "ran walked wandered hurried raced trotted crept strolled".split()
MOVE_PREPOSITIONS = "to into across through along around past near towards".split()
OBJECT_VERBS = [["chased"], ["found"], ["carried"], ["dropped"], ["played", "with"], ["hid"],
                ["lost"], ["pushed"], ["sniffed"], ["chewed"], ["buried"], ["licked"]]
PERSON_VERBS = "saw fed watched called found followed helped painted brushed counted".split()
LOCATION_PREPOSITIONS = [["on"], ["in"], ["under"], ["behind"], ["near"], ["beside"], ["next", "to"]]
SHELTERS = "house barn shed kitchen kennel stable burrow nest cave".split()
BIRD_VERBS = [["flew", "over"], ["landed", "on"], ["perched", "on"], ["sang", "in"],
              ["flew", "into"], ["waited", "on"]]


def _zipf(n, s=1.1):
    r"""Zipf weights for ranks 1..n: :math:`w_r \propto 1/r^s`, normalised to sum to 1."""
    w = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()


def _pick(rng, words, weights=None):
    """One item of ``words``; Zipf weights unless ``weights`` are given. Phrases stay lists."""
    p = _zipf(len(words)) if weights is None else np.asarray(weights, float) / np.sum(weights)
    item = words[rng.choice(len(words), p=p)]
    return list(item) if isinstance(item, list) else [item]


def _maybe(rng, probability):
    return rng.random() < probability


# ---------------------------------------------------------------------------------------------
# Templates: each returns a list of words without the final ".".

def _sat(rng):
    # "the cat sat on the mat": the sentence the whole course leans on.
    det = _pick(rng, DETERMINERS, [0.8, 0.1, 0.07, 0.03])
    adj = _pick(rng, ANIMAL_ADJECTIVES) if _maybe(rng, 0.15) else []
    words = det + adj + _pick(rng, SITTERS, _zipf(len(SITTERS), 1.6)) + ["sat", "on", "the"]
    words += _pick(rng, list(SURFACES), list(SURFACES.values()))
    if _maybe(rng, 0.2):
        words += _pick(rng, TIMES) if _maybe(rng, 0.5) else ["in", "the"] + _pick(rng, ROOMS)
    return words


def _move(rng):
    return (["the"] + _pick(rng, LAND_ANIMALS) + _pick(rng, MOVE_VERBS)
            + _pick(rng, MOVE_PREPOSITIONS) + ["the"] + _pick(rng, OUTDOOR_PLACES))


def _bird(rng):
    return ["the"] + _pick(rng, BIRDS) + _pick(rng, BIRD_VERBS) + ["the"] + _pick(rng, PERCHES)


def _swim(rng):
    return (["the"] + _pick(rng, WATER_ANIMALS) + ["swam"] + _pick(rng, "in across down".split())
            + ["the"] + _pick(rng, WATERS))


def _object(rng):
    det = _pick(rng, DETERMINERS, [0.7, 0.2, 0.07, 0.03])
    adj = _pick(rng, COLOURS + SIZES) if _maybe(rng, 0.5) else []
    return (["the"] + _pick(rng, LAND_ANIMALS + SMALL_ANIMALS) + _pick(rng, OBJECT_VERBS)
            + det + adj + _pick(rng, OBJECTS))


def _eat(rng):
    words = ["the"] + _pick(rng, LAND_ANIMALS + BIRDS) + ["ate", "the"] + _pick(rng, FOODS)
    if _maybe(rng, 0.3):
        words += ["in", "the"] + _pick(rng, OUTDOOR_PLACES + ROOMS)
    return words


def _location(rng):
    adj = _pick(rng, COLOURS + SIZES) if _maybe(rng, 0.5) else []
    return (["the"] + adj + _pick(rng, OBJECTS) + ["is"] + _pick(rng, LOCATION_PREPOSITIONS)
            + ["the"] + _pick(rng, FURNITURE))


def _there_is(rng):
    return (["there", "is", "a"] + _pick(rng, OBJECTS) + _pick(rng, LOCATION_PREPOSITIONS[:3])
            + ["the"] + _pick(rng, FURNITURE + ROOMS))


def _weather(rng):
    words = ["it", "is"] + _pick(rng, WEATHER_ADJECTIVES)
    if _maybe(rng, 0.6):
        words += _pick(rng, TIMES)
    elif _maybe(rng, 0.5):
        words += ["in", "the"] + _pick(rng, OUTDOOR_PLACES)
    return words


def _sky(rng):
    return ["the", "sky", "is"] + _pick(rng, SKY_ADJECTIVES) + (_pick(rng, TIMES) if _maybe(rng, 0.4) else [])


def _weather_event(rng):
    noun = _pick(rng, list(WEATHER_EVENTS))
    verb = _pick(rng, WEATHER_EVENTS[noun[0]])
    words = ["the"] + noun + verb
    if _maybe(rng, 0.7):
        words += _pick(rng, "over on across".split()) + ["the"] + _pick(rng, OUTDOOR_PLACES)
    return words


def _shelter(rng):
    when = _pick(rng, [["it", "rains"], ["it", "snows"], ["it", "is", "cold"], ["it", "is", "windy"],
                       ["the", "storm", "comes"], ["it", "is", "hot"]])
    return (["when"] + when + ["the"] + _pick(rng, LAND_ANIMALS + BIRDS)
            + _pick(rng, "stays sleeps hides waits".split()) + ["in", "the"] + _pick(rng, SHELTERS))


def _place(rng):
    if _maybe(rng, 0.5):
        return ["the"] + _pick(rng, OUTDOOR_PLACES) + ["is"] + _pick(rng, PLACE_ADJECTIVES)
    return (["the"] + _pick(rng, LAND_ANIMALS + WATER_ANIMALS + BIRDS) + ["lives"]
            + _pick(rng, "in near on by".split()) + ["the"] + _pick(rng, OUTDOOR_PLACES + WATERS))


def _person(rng):
    adj = _pick(rng, ANIMAL_ADJECTIVES) if _maybe(rng, 0.3) else []
    words = ["the"] + _pick(rng, PEOPLE) + _pick(rng, PERSON_VERBS) + ["the"] + adj + _pick(rng, LAND_ANIMALS + BIRDS)
    if _maybe(rng, 0.4):
        words += ["in", "the"] + _pick(rng, OUTDOOR_PLACES)
    return words


def _put(rng):
    return (["the"] + _pick(rng, PEOPLE) + ["put", "the"] + _pick(rng, OBJECTS)
            + _pick(rng, LOCATION_PREPOSITIONS[:3]) + ["the"] + _pick(rng, FURNITURE))


def _describe(rng):
    return ["the"] + _pick(rng, LAND_ANIMALS + BIRDS) + ["is"] + _pick(rng, ANIMAL_ADJECTIVES)


#: The templates and how often each is chosen (they sum to 1).
TEMPLATE_WEIGHTS = {
    _sat: 0.12, _move: 0.10, _bird: 0.06, _swim: 0.04, _object: 0.10, _eat: 0.05,
    _location: 0.09, _there_is: 0.04, _weather: 0.08, _sky: 0.03, _weather_event: 0.05,
    _shelter: 0.05, _place: 0.06, _person: 0.07, _put: 0.03, _describe: 0.03,
}


def _check_count(value, name, minimum=0):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def generate_sentences(n_sentences, seed=0):
    """Generate ``n_sentences`` sentences from the grammar.

    Parameters
    ----------
    n_sentences : int
        How many sentences (>= 0).
    seed : int, default 0
        Seed of the ``np.random.default_rng`` that makes every choice: the same seed gives the
        same corpus.

    Returns
    -------
    list of list of str
        Each sentence is a list of lower-case words ending with ``"."``.

    Examples
    --------
    >>> [" ".join(s) for s in generate_sentences(2, seed=3)]
    ['a cat sat on the floor .', 'the bird perched on the tree .']
    >>> all(w == w.lower() for s in generate_sentences(50) for w in s)
    True
    """
    n_sentences = _check_count(n_sentences, "n_sentences")
    rng = np.random.default_rng(seed)
    templates = list(TEMPLATE_WEIGHTS)
    p = np.array(list(TEMPLATE_WEIGHTS.values()))
    choices = rng.choice(len(templates), size=n_sentences, p=p / p.sum())
    return [templates[c](rng) + ["."] for c in choices]


def split_sentences(sentences, seed=0, fractions=(0.8, 0.1, 0.1)):
    """Split sentences into train, validation and test sets, at random but seeded.

    The sentence order is shuffled by ``np.random.default_rng(seed).permutation``; the first
    ``fractions[0]`` of the shuffled sentences are the training set, the next ``fractions[1]``
    the validation set and the rest the test set. Inside each split the original order is kept.
    A grammar repeats short sentences, so the same sentence can appear in two splits, as
    "it is sunny today ." would in real text too.

    Parameters
    ----------
    sentences : list of list of str
    seed : int, default 0
    fractions : tuple of three floats, default (0.8, 0.1, 0.1)
        Non-negative, summing to 1.

    Returns
    -------
    dict
        ``{"train": [...], "validation": [...], "test": [...]}``.

    Examples
    --------
    >>> parts = split_sentences(generate_sentences(100), seed=0)
    >>> [len(parts[k]) for k in ("train", "validation", "test")]
    [80, 10, 10]
    """
    f = np.asarray(fractions, dtype=float)
    if f.shape != (3,) or not np.all(f >= 0) or not np.isclose(f.sum(), 1.0):
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions!r}")
    n = len(sentences)
    order = np.random.default_rng(seed).permutation(n)
    n_train = int(round(f[0] * n))
    n_val = int(round(f[1] * n))
    cuts = {"train": order[:n_train], "validation": order[n_train:n_train + n_val],
            "test": order[n_train + n_val:]}
    return {name: [sentences[i] for i in np.sort(idx)] for name, idx in cuts.items()}


def next_word_counts(sentences, prefix):
    """Count the words that follow ``prefix`` (a string or list of words) in ``sentences``.

    This is the empirical next-word distribution the language model tries to learn.

    Examples
    --------
    >>> next_word_counts([["the", "cat", "sat", "."], ["the", "dog", "."]], "the")
    {'cat': 1, 'dog': 1}
    """
    prefix = prefix.split() if isinstance(prefix, str) else list(prefix)
    k = len(prefix)
    counts = {}
    for s in sentences:
        for i in range(len(s) - k):
            if s[i:i + k] == prefix:
                counts[s[i + k]] = counts.get(s[i + k], 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


# ---------------------------------------------------------------------------------------------
# A dependency longer than three words (the tiny transformer, lesson 12)
#
# Nothing in the sixteen templates above needs more than the last three words: the 3-word MLP
# of softmax_lab.lm can learn them all. This construction does: the verb agrees with the kind of
# animal that is the subject, and a place phrase of 3 to 8 words stands between them,
#
#     the owl near the old barn in the village  flew   over the tree .
#     the otter behind the shed                 swam   across the lake .
#     the fox by the busy market                ran    to the park .
#
# so the subject is 4 to 9 words before the verb, out of reach of a 3-word window. The place
# phrase is drawn independently of the animal, so the last three words say nothing about the
# verb. These sentences are generated separately (their own function and seeds) and shipped in
# their own files, so the original corpus keeps its bytes. Every word is in the shipped 445-word
# vocabulary (data/vocab.json), so both models read them without <unk>.

#: The verb each kind of subject takes, and the kinds' animals (no animal is in two kinds).
LONG_RANGE_VERBS = {
    "flew": "owl crow robin hen goose parrot pigeon sparrow magpie eagle".split(),
    "swam": "fish frog otter seal beaver crab whale dolphin toad".split(),
    "ran": "dog fox horse rabbit cow sheep pig goat deer bear squirrel pony donkey wolf badger".split(),
}
_LONG_RANGE_ENDINGS = {      # what follows the verb: (prepositions, places)
    "flew": (["over", "into"], PERCHES),
    "swam": (["across", "in", "down"], WATERS),
    "ran": (MOVE_PREPOSITIONS, OUTDOOR_PLACES[:20]),
}
_PHRASE_PREPOSITIONS = "near behind beside by".split()
_PHRASE_PLACES = ("barn shed house garden park field farm village town market bridge kitchen "
                  "stable cottage yard station school hill wood road").split()
_PHRASE_ADJECTIVES = "old big small quiet busy green muddy dark red empty".split()


def _place_phrase(rng):
    """A place phrase: "near the barn" (3 words) or "near the old barn" (4 words)."""
    adj = _pick(rng, _PHRASE_ADJECTIVES) if _maybe(rng, 0.5) else []
    return _pick(rng, _PHRASE_PREPOSITIONS) + ["the"] + adj + _pick(rng, _PHRASE_PLACES)


def generate_long_range_sentences(n_sentences, seed=0):
    """Sentences whose verb depends on a subject 4 to 9 words back (see :data:`LONG_RANGE_VERBS`).

    ``the <animal> <place phrase> <verb> <preposition> the <place> .``: the kind of animal (a
    third of the sentences each: birds fly, water animals swim, land animals run) fixes the
    verb, and one or two place phrases of 3 or 4 words each come between them.

    Parameters
    ----------
    n_sentences : int
        How many sentences (>= 0).
    seed : int, default 0
        Seed of the ``np.random.default_rng`` that makes every choice.

    Returns
    -------
    list of list of str

    Examples
    --------
    >>> for s in generate_long_range_sentences(2, seed=1):
    ...     print(" ".join(s))
    the fish near the station near the green house swam in the lake .
    the fish near the busy shed near the old farm swam across the canal .
    >>> sentence = generate_long_range_sentences(1, seed=4)[0]
    >>> subject, verb = long_range_position(sentence)
    >>> verb - subject >= 4
    True
    """
    n_sentences = _check_count(n_sentences, "n_sentences")
    rng = np.random.default_rng(seed)
    verbs = list(LONG_RANGE_VERBS)
    sentences = []
    for _ in range(n_sentences):
        verb = verbs[rng.integers(len(verbs))]
        phrase = _place_phrase(rng) + (_place_phrase(rng) if _maybe(rng, 0.4) else [])
        prepositions, places = _LONG_RANGE_ENDINGS[verb]
        sentences.append(["the"] + _pick(rng, LONG_RANGE_VERBS[verb]) + phrase + [verb]
                         + _pick(rng, prepositions) + ["the"] + _pick(rng, places) + ["."])
    return sentences


def long_range_position(sentence):
    """The positions of the subject and of its verb in a long-range sentence.

    Returns
    -------
    (int, int)
        ``(1, j)``: the subject is word 1 (after "the"), the verb is word j, the first word of
        the sentence that is one of :data:`LONG_RANGE_VERBS`.

    Examples
    --------
    >>> long_range_position("the owl near the old barn flew over the tree .".split())
    (1, 6)
    """
    for j, word in enumerate(sentence):
        if word in LONG_RANGE_VERBS:
            return 1, j
    raise ValueError(f"sentence has none of the verbs {', '.join(LONG_RANGE_VERBS)}: {' '.join(sentence)!r}")
