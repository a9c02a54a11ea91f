"""Tests for softmax_lab.classify: the sentiment set, bag of words, the shape images, and the
claim the lesson makes: a few lines of gradient descent written from cross_entropy_grad train a
softmax regression that beats chance by far on both problems."""

import shutil

import numpy as np
import pytest

from softmax_lab import cross_entropy, cross_entropy_grad, data, softmax
from softmax_lab.classify import (
    SENTIMENT_LABELS,
    SHAPE_NAMES,
    accuracy,
    bag_of_words,
    build_vocabulary,
    load_sentiment,
    make_shapes,
    one_hot,
    train_test_split,
    words,
)


def train(X, y, steps, learning_rate):
    """The learner's loop, as the lesson writes it."""
    W, b = np.zeros((X.shape[1], int(y.max()) + 1)), np.zeros(int(y.max()) + 1)
    for _ in range(steps):
        g = cross_entropy_grad(X @ W + b, y)
        W, b = W - learning_rate * X.T @ g, b - learning_rate * g.sum(axis=0)
    return W, b


def test_sentiment_set_is_balanced_distinct_and_readable():
    texts, labels = load_sentiment()
    assert len(texts) == len(set(texts)) == 390
    assert np.bincount(labels).tolist() == [130, 130, 130]
    assert SENTIMENT_LABELS == ("negative", "neutral", "positive")
    assert all(t.endswith((".", "!")) and 3 <= len(t.split()) <= 16 for t in texts)
    assert " was " in " ".join(texts) and " were " not in " ".join(texts)


def test_sentiment_file_is_verified_against_the_manifest(tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(data.data_dir(), copy)
    with open(copy / "sentiment.tsv", "a", encoding="utf-8") as f:
        f.write("positive\tan extra line .\n")
    with pytest.raises(data.DataIntegrityError, match="sentiment.tsv"):
        load_sentiment(copy)


def test_sentiment_file_is_what_the_grammar_writes(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location("sentiment_grammar", data.data_dir() / "sentiment_grammar.py")
    grammar = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(grammar)
    assert grammar.write(tmp_path).read_bytes() == (data.data_dir() / "sentiment.tsv").read_bytes()


def test_words_and_vocabulary():
    assert words("It's NOT bad, at all!") == ["it's", "not", "bad", "at", "all"]
    assert build_vocabulary(["b a", "a c"]) == ["a", "b", "c"]
    assert build_vocabulary(["b a", "a c"], min_count=2) == ["a"]


def test_bag_of_words_counts_and_ignores_unknown_words():
    X = bag_of_words(["good good film", "bad film zebra", ""], ["good", "bad", "film"])
    np.testing.assert_array_equal(X, [[2, 0, 1], [0, 1, 1], [0, 0, 0]])
    np.testing.assert_array_equal(bag_of_words(["good good"], ["good"], binary=True), [[1.0]])
    # order is lost: the reason negation is hard for this model
    np.testing.assert_array_equal(bag_of_words(["not good, bad"], ["not", "good", "bad"]),
                                  bag_of_words(["bad, not good"], ["not", "good", "bad"]))


def test_make_shapes_is_seeded_balanced_and_distinguishes_the_shapes():
    a, la = make_shapes(n_per_class=20, seed=3)
    b, lb = make_shapes(n_per_class=20, seed=3)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    assert a.shape == (60, 12, 12) and np.bincount(la).tolist() == [20, 20, 20]
    assert not np.array_equal(a, make_shapes(n_per_class=20, seed=4)[0])
    clean, labels = make_shapes(n_per_class=30, noise=0.0, jitter=0.0, seed=0)
    areas = clean.sum(axis=(1, 2))
    assert np.all(areas > 15) and np.all(areas < 100)      # a visible shape, not the whole image
    mean_images = [clean[labels == k].mean(axis=0) for k in range(3)]
    assert min(np.abs(mean_images[i] - mean_images[j]).sum() for i in range(3) for j in range(i)) > 3
    assert SHAPE_NAMES == ("circle", "square", "triangle")


def test_split_one_hot_and_accuracy():
    X, y = np.arange(20).reshape(10, 2), np.arange(10) % 3
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_fraction=0.3, seed=1)
    assert len(Xte) == 3 and len(Xtr) == 7
    assert sorted(np.concatenate([Xtr[:, 0], Xte[:, 0]]).tolist()) == X[:, 0].tolist()
    np.testing.assert_array_equal(Xtr[:, 0] // 2 % 3, ytr)   # rows and labels stay paired
    np.testing.assert_array_equal(one_hot([1, 0], 2), [[0, 1], [1, 0]])
    assert accuracy(np.eye(3), [0, 1, 2]) == 1.0
    assert accuracy(np.eye(3), [1, 1, 1]) == pytest.approx(1 / 3)


def test_initial_loss_is_log_k_with_zero_weights():
    texts, y = load_sentiment()
    X = bag_of_words(texts, build_vocabulary(texts))
    assert float(cross_entropy(X @ np.zeros((X.shape[1], 3)), y)) == pytest.approx(np.log(3))


def test_softmax_regression_learns_sentiment():
    texts, y = load_sentiment()
    X_train, X_test, y_train, y_test = train_test_split(texts, y, seed=0)
    vocab = build_vocabulary(list(X_train))
    W, b = train(bag_of_words(list(X_train), vocab), y_train, steps=300, learning_rate=1.0)
    assert accuracy(bag_of_words(list(X_test), vocab) @ W + b, y_test) > 0.85
    # the learned weights read sensibly: "awful" pushes towards negative, "wonderful" positive
    assert np.argmax(W[vocab.index("awful")]) == 0 and np.argmax(W[vocab.index("wonderful")]) == 2
    p = softmax(bag_of_words(["the soup was terrible ."], vocab) @ W + b)
    assert np.argmax(p) == 0


def test_softmax_regression_learns_shapes_better_than_chance():
    images, labels = make_shapes(seed=0)
    X = images.reshape(len(images), -1)
    X_train, X_test, y_train, y_test = train_test_split(X, labels, seed=0)
    W, b = train(X_train, y_train, steps=300, learning_rate=0.05)
    assert accuracy(X_test @ W + b, y_test) > 0.7

