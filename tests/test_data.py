"""The shipped data and its loaders: checksums, clear errors, the corpus grammar, determinism."""

import hashlib
import io
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from softmax_lab import data, lm, training

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "data"))   # the corpus grammar is a build tool beside data/build.py
import corpus  # noqa: E402


@pytest.fixture
def data_copy(tmp_path):
    """A private copy of data/ that a test may damage."""
    folder = tmp_path / "data"
    shutil.copytree(data.data_dir(), folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


# ---------------------------------------------------------------------------------------------
# The shipped folder

def test_data_dir_is_the_repository_data_folder():
    assert data.data_dir() == REPO / "data"


def test_manifest_lists_every_shipped_file_and_every_checksum_matches():
    manifest = data.read_manifest()
    on_disk = {p.name for p in data.data_dir().iterdir() if p.is_file() and p.suffix != ".py"} - {"MANIFEST"}
    assert set(manifest) == on_disk
    for name, digest in manifest.items():
        assert hashlib.sha256((data.data_dir() / name).read_bytes()).hexdigest() == digest
        assert data.read_verified(name)          # and the loader agrees


def test_shipped_data_is_small():
    total = sum((data.data_dir() / name).stat().st_size for name in data.read_manifest())
    assert total < 1_500_000


def test_shipped_corpus_is_what_the_grammar_generates():
    """Catches a grammar change without `make data` (stale corpus files)."""
    settings = data.load_json("vocab.json")["corpus"]
    sentences = corpus.generate_sentences(settings["n_sentences"], seed=settings["seed"])
    splits = corpus.split_sentences(sentences, seed=settings["split_seed"])
    for split in data.SPLITS:
        assert data.load_sentences(split) == splits[split]


def test_shipped_vocabulary_is_built_from_the_training_split():
    vocab = data.load_json("vocab.json")
    words, counts = training.build_vocab(data.load_sentences("train"), min_count=vocab["min_count"])
    assert vocab["words"] == words and vocab["counts"] == counts
    assert 300 <= len(words) <= 2000
    assert words[:2] == [vocab["start_token"], vocab["unk_token"]] == [lm.START, lm.UNK]


def test_corpus_size_and_conventions():
    splits = {s: data.load_sentences(s) for s in data.SPLITS}
    tokens = sum(len(x) for sentences in splits.values() for x in sentences)
    assert 20_000 <= tokens <= 100_000
    assert len(splits["train"]) == 8 * len(splits["validation"]) == 8 * len(splits["test"])
    for sentences in splits.values():
        for s in sentences:
            assert s[-1] == "." and "." not in s[:-1]
            assert all(w == w.lower() and w.strip() == w for w in s)


# ---------------------------------------------------------------------------------------------
# Verification errors

def test_flipped_byte_is_rejected_with_both_checksums(data_copy):
    path = data_copy / "corpus_validation.txt"
    raw = bytearray(path.read_bytes())
    expected = hashlib.sha256(raw).hexdigest()
    raw[100] ^= 0x01
    path.write_bytes(bytes(raw))
    got = hashlib.sha256(raw).hexdigest()
    with pytest.raises(data.DataIntegrityError) as info:
        data.load_sentences("validation", directory=data_copy)
    message = str(info.value)
    assert "corpus_validation.txt" in message and expected in message and got in message
    assert "make data" in message


def test_missing_file_is_rejected(data_copy):
    (data_copy / "vocab.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"vocab\.json.*make data"):
        data.load_json("vocab.json", directory=data_copy)


def test_file_not_in_manifest_is_rejected(data_copy):
    (data_copy / "extra.txt").write_text("hello\n")
    with pytest.raises(data.DataIntegrityError, match=r"extra\.txt.*not listed.*make data"):
        data.load_text("extra.txt", directory=data_copy)


def test_missing_manifest_is_rejected(data_copy):
    (data_copy / "MANIFEST").unlink()
    with pytest.raises(FileNotFoundError, match="MANIFEST.*make data"):
        data.load_text("corpus_test.txt", directory=data_copy)


def test_malformed_manifest_line_is_rejected(data_copy):
    bad_line = len((data_copy / "MANIFEST").read_text().splitlines()) + 1
    with open(data_copy / "MANIFEST", "a") as f:
        f.write("not-a-checksum  vocab.json\n")
    with pytest.raises(data.DataIntegrityError, match=f"line {bad_line}"):
        data.read_manifest(data_copy)


@pytest.mark.parametrize("name, error", [("../pyproject.toml", ValueError), ("sub/x.txt", ValueError),
                                         ("..", ValueError), ("", TypeError), (3, TypeError)])
def test_names_must_be_plain_file_names(name, error):
    with pytest.raises(error, match="name"):
        data.read_verified(name)


def test_unknown_split_is_rejected():
    with pytest.raises(ValueError, match="split must be one of 'train', 'validation', 'test'"):
        data.load_sentences("dev")


def test_npz_is_read_without_pickle(data_copy):
    """An object array needs pickle to load: with allow_pickle=False it must be refused."""
    buffer = io.BytesIO()
    np.savez(buffer, words=np.array(["a", None], dtype=object))
    (data_copy / "pickled.npz").write_bytes(buffer.getvalue())
    names = [line.split("  ")[1] for line in (data_copy / "MANIFEST").read_text().splitlines()]
    data.write_manifest(data_copy, names + ["pickled.npz"])
    with pytest.raises(ValueError, match="allow_pickle=False"):
        data.load_npz("pickled.npz", directory=data_copy)


# ---------------------------------------------------------------------------------------------
# Writers (used by data/build.py)

def test_write_npz_is_byte_identical_and_loads_without_pickle(tmp_path):
    arrays = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "n": np.int64(3)}
    data.write_npz(tmp_path / "a.npz", arrays)
    data.write_npz(tmp_path / "b.npz", arrays)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.npz") as archive:    # no wall-clock time stamp inside
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    with np.load(tmp_path / "a.npz", allow_pickle=False) as loaded:
        assert np.array_equal(loaded["w"], arrays["w"]) and loaded["w"].dtype == np.float32
        assert int(loaded["n"]) == 3


def test_write_manifest_has_the_sha256sum_format(tmp_path):
    (tmp_path / "b.txt").write_bytes(b"bee\n")
    (tmp_path / "a.txt").write_bytes(b"")
    data.write_manifest(tmp_path, ["b.txt", "a.txt"])
    lines = (tmp_path / "MANIFEST").read_text().splitlines()
    assert lines == [f"{hashlib.sha256(b'').hexdigest()}  a.txt",
                     f"{hashlib.sha256(b'bee' + bytes([10])).hexdigest()}  b.txt"]
    assert data.read_manifest(tmp_path) == {"a.txt": hashlib.sha256(b"").hexdigest(),
                                            "b.txt": hashlib.sha256(b"bee\n").hexdigest()}


# ---------------------------------------------------------------------------------------------
# The grammar

def test_grammar_is_seeded():
    assert corpus.generate_sentences(200, seed=5) == corpus.generate_sentences(200, seed=5)
    assert corpus.generate_sentences(200, seed=5) != corpus.generate_sentences(200, seed=6)


def test_cat_sat_on_the_mat_most_often_floor_less_roof_rarely():
    counts = corpus.next_word_counts(corpus.generate_sentences(10000, seed=11), "sat on the")
    total = sum(counts.values())
    share = {w: c / total for w, c in counts.items()}
    assert list(counts)[:2] == ["mat", "floor"]
    assert 0.33 < share["mat"] < 0.43 and 0.13 < share["floor"] < 0.21
    assert 0.005 < share["roof"] < 0.03
    assert len(counts) >= 10                       # a tail of other plausible surfaces
    assert set(counts) <= set(corpus.SURFACES)


def test_template_weights_sum_to_one():
    assert np.isclose(sum(corpus.TEMPLATE_WEIGHTS.values()), 1.0)
    assert min(corpus.TEMPLATE_WEIGHTS.values()) > 0


def test_split_is_a_seeded_partition():
    sentences = [[str(i), "."] for i in range(1000)]
    parts = corpus.split_sentences(sentences, seed=3)
    ids = {k: [int(s[0]) for s in v] for k, v in parts.items()}
    assert [len(ids[k]) for k in data.SPLITS] == [800, 100, 100]
    assert sorted(ids["train"] + ids["validation"] + ids["test"]) == list(range(1000))
    assert all(v == sorted(v) for v in ids.values())          # original order kept
    assert ids["validation"] != list(range(800, 900))          # shuffled, not cut in order
    assert corpus.split_sentences(sentences, seed=3) == parts
    assert corpus.split_sentences(sentences, seed=4) != parts


@pytest.mark.parametrize("fractions", [(0.5, 0.5), (0.8, 0.3, -0.1), (0.5, 0.2, 0.2)])
def test_split_rejects_bad_fractions(fractions):
    with pytest.raises(ValueError, match="fractions"):
        corpus.split_sentences([["a", "."]] * 10, fractions=fractions)


@pytest.mark.parametrize("n", [-1, 2.5, True, "3"])
def test_generate_sentences_rejects_bad_counts(n):
    with pytest.raises(ValueError, match="n_sentences"):
        corpus.generate_sentences(n)


def test_next_word_counts_accepts_words_or_a_string():
    sentences = [["a", "b", "c", "."], ["a", "b", "d", "."], ["x", "a", "b", "c", "."]]
    assert corpus.next_word_counts(sentences, "a b") == {"c": 2, "d": 1}
    assert corpus.next_word_counts(sentences, ["b"]) == {"c": 2, "d": 1}
    assert list(corpus.next_word_counts(sentences, "a b")) == ["c", "d"]   # most frequent first

# ---------------------------------------------------------------------------------------------
# The calibration split and the fourth checkpoint (lesson 07)

def test_calibration_split_is_the_grammar_with_its_own_seed_and_about_20000_predictions():
    settings = data.load_json("vocab.json")["corpus"]
    assert settings["calibration_seed"] not in (settings["seed"], settings["split_seed"])
    sentences = data.load_sentences(data.CALIBRATION_SPLIT)
    assert sentences == corpus.generate_sentences(settings["calibration_sentences"], seed=settings["calibration_seed"])
    n_predictions = sum(len(s) for s in sentences)
    assert 18_000 <= n_predictions <= 25_000
    assert sentences != data.load_sentences("validation")[:len(sentences)]


def test_calibration_split_is_not_a_training_split():
    assert data.CALIBRATION_SPLIT not in data.SPLITS
    settings = data.load_json("training_history.json")
    assert all(run["settings"].get("train_sentences") is None for run in settings.values() if isinstance(run, dict)
               and "settings" in run)


def test_label_smoothed_run_is_the_main_run_with_smoothing():
    history = data.load_json("training_history.json")
    main, smoothed = history["main"]["settings"], history["label_smoothed"]["settings"]
    assert smoothed == {**main, "label_smoothing": 0.1}
    assert data.load_npz("lm_label_smoothed.npz")["output_weight"].dtype == np.float32


# ---------------------------------------------------------------------------------------------
# Lesson 12's files: new files only, the ones above keep their bytes

#: The files lessons 06, 07, 10, 11 and the classroom read their numbers from, as they were before
#: the transformer's files were added: `make data` must write exactly these bytes again.
PINNED = {
    "README.md": "ab0455e1cb92cc0fbd432456e511e570040f83358668bf5964223666b4e1f921",
    "corpus_calibration.txt": "d8cbec05363a26864bed7a789b28655b66512265c078b8278b00e0931a8b0f87",
    "corpus_test.txt": "9885dcfe4936a50a9383a9d404fb2a183dfd1eae35c215d947fab9b3dd4b6813",
    "corpus_train.txt": "98aff7a8015b53ca3323c603fb75138545316550b4aa4f96b7e93fae43b473b4",
    "corpus_validation.txt": "2550209ca8be51b0ac8862ffe8c7cc061d5824b3d6d23cbaeafbd61aaf359bdc",
    "lm_best.npz": "91cf1e25a30047662c2f22734f9309b43d9ce9ca3a0f6f15238a8484eef10146",
    "lm_early.npz": "6c8c291458486e9648861f4b9ec0f80bca0ef4db23a4d9f000c64912f909c1a6",
    "lm_label_smoothed.npz": "e4d4fdb3226a95f97f76ba894fa99debba6b2933b6e78ce38cbd8926754901f5",
    "lm_overtrained.npz": "0ac59a832c8eb68a42aa49c2b675a8a3d71a3008d7403a2cff041fd78575a302",
    "sentiment.tsv": "58acc3affd09ad7d0efbf47195139388b282e6bff349b396c091f43d65ff3c64",
    "training_history.json": "c61a03abd681813ced17fc57c06ac991ce96f549e4b1b5be34500257bf1da0bb",
    "vocab.json": "a47eab48c0a849dedfb71894335c930b2e92948748afa59e7d8cf398759b56d8",
}


def test_the_mlps_files_keep_their_bytes():
    manifest = data.read_manifest()
    for name, digest in PINNED.items():
        assert manifest[name] == digest, name
        assert hashlib.sha256((data.data_dir() / name).read_bytes()).hexdigest() == digest, name


def test_long_range_sentences_are_the_grammars_and_need_more_than_three_words():
    history = data.load_json("transformer_history.json")["long_range"]
    train = corpus.generate_long_range_sentences(history["train_sentences"], seed=history["train_seed"])
    assert _sentences("corpus_longrange_train.txt") == train
    held_out = [s for s in corpus.generate_long_range_sentences(200, seed=history["validation_seed"])
                if s not in train]
    assert _sentences("corpus_longrange_validation.txt") == held_out
    assert len(held_out) == history["validation_sentences"]
    vocabulary = set(data.load_json("vocab.json")["words"])
    verbs = {}
    for s in train + held_out:
        assert set(s) <= vocabulary                                 # no <unk>: both models read every word
        subject, verb = corpus.long_range_position(s)
        assert verb - subject >= 4                                  # out of a 3-word window
        assert s[subject] in corpus.LONG_RANGE_VERBS[s[verb]]       # the verb agrees with its subject
        verbs[s[verb]] = verbs.get(s[verb], 0) + 1
    assert sorted(verbs) == ["flew", "ran", "swam"] and min(verbs.values()) > 0.25 * len(train + held_out)


def test_the_place_phrase_says_nothing_about_the_verb():
    """The 3 words before the verb are drawn independently of the animal: no shortcut for a 3-word window."""
    sentences = corpus.generate_long_range_sentences(3000, seed=99)
    by_window = {}
    for s in sentences:
        verb = corpus.long_range_position(s)[1]
        by_window.setdefault(s[verb - 1], []).append(s[verb])      # the place noun just before the verb
    for verbs in by_window.values():
        if len(verbs) >= 100:
            shares = [verbs.count(v) / len(verbs) for v in corpus.LONG_RANGE_VERBS]
            assert max(shares) < 0.45


def _sentences(name):
    return [line.split() for line in data.load_text(name).splitlines()]


def test_transformer_history_records_the_runs():
    history = data.load_json("transformer_history.json")
    run, short = history["transformer"], history["short_run"]
    assert short["settings"] == {**run["settings"], "steps": 200, "eval_every": 50}
    assert len(short["losses"]) == 200 and run["best_step"] in run["eval_steps"]
    assert history["mlp_same_data"]["settings"]["steps"] == data.load_json("training_history.json")["main"][
        "settings"]["steps"]


@pytest.mark.slow
def test_rebuild_is_byte_identical(tmp_path):
    """`make data` twice gives the same bytes: rebuild into a temporary folder, compare MANIFESTs.

    The transformer's training takes most of the time (1 to 2 minutes on two busy cores)."""
    import subprocess
    out = tmp_path / "rebuilt"
    subprocess.run([sys.executable, str(REPO / "data" / "build.py"), "--out", str(out)], check=True,
                   capture_output=True, timeout=900)
    assert (out / "MANIFEST").read_text() == (REPO / "data" / "MANIFEST").read_text()
