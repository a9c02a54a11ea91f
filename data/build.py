"""Regenerate everything in data/: the corpus (with a held-out calibration split), the
vocabulary, the tiny language model's four checkpoints, the training curves, README.md,
lesson 12's transformer files (build_transformer.py) and MANIFEST.

Run it with ``make data`` (or ``.venv/bin/python data/build.py``). Everything is seeded, so two
runs on the same machine write byte-identical files (compare the MANIFEST). It takes one to two
minutes on two cores (most of it the transformer).

    .venv/bin/python data/build.py [--out DIR]     # DIR defaults to this folder
"""

import os

# One BLAS thread: the matrices are small (threads gain little), the machine is shared, and a
# fixed thread count keeps the floating-point sums, hence the weights, the same on every run.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))   # softmax_lab works without installing
sys.path.insert(0, str(HERE))          # the grammar, data/corpus.py, sits beside this script

import build_transformer  # noqa: E402  (lesson 12's transformer, beside this script)
import corpus  # noqa: E402
import sentiment_grammar  # noqa: E402  (lesson 10's sentiment set, beside this script)

from softmax_lab import cross_entropy, lm, softmax, training, transformer  # noqa: E402
from softmax_lab.data import CALIBRATION_SPLIT, SPLITS, write_manifest, write_npz  # noqa: E402

# ---- every setting in one place (data/README.md reports them) ----
CORPUS_SEED = 2024        # the grammar's random choices
N_SENTENCES = 6000
SPLIT_SEED = 7            # the shuffle that splits sentences 80/10/10
MIN_COUNT = 3             # rarer training words become <unk>
CONTEXT_SIZE = 3
EMBED_DIM = 16
HIDDEN_SIZE = 64
MAIN_RUN = dict(steps=2000, batch_size=128, learning_rate=5e-3, lr_decay=True, weight_decay=0.1, seed=0,
                eval_every=100)
EARLY_STEP = 50
OVERFIT_SENTENCES = 300   # the overtrained model sees only the first 300 training sentences
OVERFIT_RUN = dict(steps=2000, batch_size=128, learning_rate=1e-2, lr_decay=False, weight_decay=0.0, seed=1,
                   eval_every=50)
LABEL_SMOOTHING = 0.1       # the label-smoothed model: trained like "best", with smoothed targets
SMOOTHED_RUN = dict(MAIN_RUN, label_smoothing=LABEL_SMOOTHING)
CALIBRATION_SEED = 2025     # the calibration split: the same grammar, its own seed...
N_CALIBRATION_SENTENCES = 2900   # ...and about 20,000 next-word predictions (lesson 07)
PROMPT = "the cat sat on the"


def write_text(path, text):
    path.write_text(text, encoding="utf-8", newline="\n")


def summary(model, split_data):
    """Perplexity, mean top probability and top-1 accuracy of a model on each split."""
    out = {}
    for split, (contexts, targets) in split_data.items():
        logits = lm.forward(model.weights, contexts)
        p = softmax(logits)
        out[split] = {
            "perplexity": float(np.exp(cross_entropy(logits, targets))),
            "mean_max_probability": float(p.max(axis=1).mean()),
            "accuracy": float((p.argmax(axis=1) == targets).mean()),
        }
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    out = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    # 1. The corpus, split by sentence.
    sentences = corpus.generate_sentences(N_SENTENCES, seed=CORPUS_SEED)
    splits = corpus.split_sentences(sentences, seed=SPLIT_SEED)
    splits[CALIBRATION_SPLIT] = corpus.generate_sentences(N_CALIBRATION_SENTENCES, seed=CALIBRATION_SEED)
    all_splits = (*SPLITS, CALIBRATION_SPLIT)
    for split in all_splits:
        write_text(out / f"corpus_{split}.txt", "".join(" ".join(s) + "\n" for s in splits[split]))

    # 2. The vocabulary, from the training split only.
    words, counts = training.build_vocab(splits["train"], min_count=MIN_COUNT)
    index = {w: i for i, w in enumerate(words)}
    vocab_doc = {"description": "softmax-lab tiny LM vocabulary: words[i] is the word of logit i; "
                                "counts[i] is its number of occurrences in corpus_train.txt",
                 "corpus": {"n_sentences": N_SENTENCES, "seed": CORPUS_SEED, "split_seed": SPLIT_SEED,
                            "calibration_sentences": N_CALIBRATION_SENTENCES, "calibration_seed": CALIBRATION_SEED},
                 "start_token": lm.START, "unk_token": lm.UNK, "min_count": MIN_COUNT,
                 "words": words, "counts": counts}
    write_text(out / "vocab.json", json.dumps(vocab_doc, indent=1) + "\n")

    # 3. Training examples and the three training runs.
    data = {split: lm.make_examples(splits[split], index, CONTEXT_SIZE) for split in all_splits}
    shape = dict(embed_dim=EMBED_DIM, hidden_size=HIDDEN_SIZE)
    main_run = training.train(*data["train"], len(words), validation=data["validation"],
                        snapshot_steps=[EARLY_STEP], **shape, **MAIN_RUN)
    small = lm.make_examples(splits["train"][:OVERFIT_SENTENCES], index, CONTEXT_SIZE)
    overfit_run = training.train(*small, len(words), validation=data["validation"], **shape, **OVERFIT_RUN)
    smoothed_run = training.train(*data["train"], len(words), validation=data["validation"], **shape, **SMOOTHED_RUN)
    train_seconds = main_run.seconds + overfit_run.seconds + smoothed_run.seconds

    # 4. The checkpoints, as float32.
    checkpoints = {
        "early": (main_run.snapshots[EARLY_STEP], EARLY_STEP),
        "best": (main_run.best_weights, main_run.best_step),
        "overtrained": (overfit_run.weights, OVERFIT_RUN["steps"]),
        "label_smoothed": (smoothed_run.best_weights, smoothed_run.best_step),
    }
    models, results = {}, {}
    for name, (weights, step) in checkpoints.items():
        arrays = {k: weights[k].astype(np.float32) for k in lm.WEIGHT_NAMES}
        write_npz(out / f"lm_{name}.npz", {**arrays, "context_size": np.int64(CONTEXT_SIZE), "step": np.int64(step)})
        models[name] = lm.TinyLM(words, arrays, CONTEXT_SIZE, name=name)   # exactly what load() gives
        results[name] = summary(models[name], data)

    history = {
        "description": "Training curves of data/build.py. Losses are mean cross-entropies in nats "
                       "per word; train_losses average the mini-batch losses since the previous "
                       "evaluation; val_losses are on the whole validation split.",
        "main": {"settings": MAIN_RUN, "eval_steps": main_run.eval_steps,
                 "train_losses": [round(x, 6) for x in main_run.train_losses],
                 "val_losses": [round(x, 6) for x in main_run.val_losses],
                 "early_step": EARLY_STEP, "best_step": main_run.best_step},
        "overtrained": {"settings": OVERFIT_RUN, "train_sentences": OVERFIT_SENTENCES,
                        "eval_steps": overfit_run.eval_steps,
                        "train_losses": [round(x, 6) for x in overfit_run.train_losses],
                        "val_losses": [round(x, 6) for x in overfit_run.val_losses]},
        "label_smoothed": {"settings": SMOOTHED_RUN, "eval_steps": smoothed_run.eval_steps,
                           "train_losses": [round(x, 6) for x in smoothed_run.train_losses],
                           "val_losses": [round(x, 6) for x in smoothed_run.val_losses],
                           "best_step": smoothed_run.best_step},
    }
    write_text(out / "training_history.json", json.dumps(history, indent=1) + "\n")

    # 5. README (every number in it comes from this run) and MANIFEST.
    ranked = lm.top_words(models["best"], PROMPT, k=len(words))
    top = ranked[:10]
    facts = dict(splits=splits, words=words, counts=counts, data=data, results=results,
                 main_run=main_run, overfit_run=overfit_run, smoothed_run=smoothed_run, top=top, ranked=ranked,
                 small=small)
    write_text(out / "README.md", readme(facts))
    shipped = [f"corpus_{s}.txt" for s in all_splits] + ["vocab.json", "training_history.json", "README.md"]
    shipped += [f"lm_{name}.npz" for name in checkpoints]
    shipped += [sentiment_grammar.write(out).name]     # lesson 10's sentiment set
    mlp_settings = dict(embed_dim=EMBED_DIM, hidden_size=HIDDEN_SIZE, **MAIN_RUN)
    transformer_files, transformer_lines, tiny = build_transformer.build(out, splits, words, mlp_settings)
    shipped += transformer_files                       # lesson 12: new files only, the ones above unchanged
    write_manifest(out, shipped)

    # 6. Check that what was written loads back (through the checksums) and is what we trained.
    for name in checkpoints:
        loaded = lm.load(name, directory=out)
        assert all(np.array_equal(loaded.weights[k], models[name].weights[k]) for k in lm.WEIGHT_NAMES)
    loaded = transformer.load("tiny", directory=out)
    assert all(np.array_equal(w, tiny.weights[k]) for k, w in loaded.weights.items())

    total = time.perf_counter() - start
    size = sum((out / f).stat().st_size for f in shipped)
    print(f"corpus: {sum(len(s) for s in sentences)} tokens, {len(sentences)} sentences; vocabulary {len(words)}")
    print(f"training: {train_seconds:.1f} s (main run {main_run.seconds:.1f} s, overtrained run "
          f"{overfit_run.seconds:.1f} s, label-smoothed run {smoothed_run.seconds:.1f} s); everything: "
          f"{total:.1f} s; shipped: {size / 1e6:.2f} MB")
    for name, r in results.items():
        v = r["validation"]
        c = r[CALIBRATION_SPLIT]
        print(f"{name:>14}: validation perplexity {v['perplexity']:.2f}, mean max-probability "
              f"{v['mean_max_probability']:.3f}, accuracy {v['accuracy']:.3f}; calibration split: "
              f"{c['mean_max_probability']:.3f} / {c['accuracy']:.3f}")
    print(f"best model after {PROMPT!r}: " + ", ".join(f"{w} {p:.3f}" for w, p in top))
    print("\n".join(transformer_lines))


def readme(f):
    splits, words, counts, data, results = f["splits"], f["words"], f["counts"], f["data"], f["results"]
    all_splits = (*SPLITS, CALIBRATION_SPLIT)
    tokens = {s: sum(len(x) for x in splits[s]) for s in all_splits}
    types = {s: len({w for x in splits[s] for w in x}) for s in all_splits}
    in_train = {tuple(x) for x in splits["train"]}
    seen = float(np.mean([tuple(x) in in_train for x in splits[CALIBRATION_SPLIT]]))
    unk = words.index(lm.UNK)
    n_params = sum(v.size for v in f["main_run"].weights.values())
    sat = corpus.next_word_counts(splits["train"], "sat on the")
    sat_total = sum(sat.values())
    cat = corpus.next_word_counts(splits["train"], PROMPT)

    split_rows = "\n".join(
        f"| `corpus_{s}.txt` | {len(splits[s])} | {tokens[s]} | {types[s]} | "
        f"{100 * float(np.mean(data[s][1] == unk)):.2f}% |" for s in all_splits)
    result_rows = "\n".join(
        f"| {name} | {r['train']['perplexity']:.2f} | {r['validation']['perplexity']:.2f} | "
        f"{r['test']['perplexity']:.2f} | {r['validation']['mean_max_probability']:.3f} | "
        f"{r['validation']['accuracy']:.3f} | "
        f"{r['validation']['mean_max_probability'] - r['validation']['accuracy']:+.3f} |"
        for name, r in results.items())
    calibration_rows = "\n".join(
        f"| {name} | {r[CALIBRATION_SPLIT]['perplexity']:.2f} | {r[CALIBRATION_SPLIT]['mean_max_probability']:.3f} | "
        f"{r[CALIBRATION_SPLIT]['accuracy']:.3f} | "
        f"{r[CALIBRATION_SPLIT]['mean_max_probability'] - r[CALIBRATION_SPLIT]['accuracy']:+.3f} |"
        for name, r in results.items())
    top_rows = "\n".join(
        f"| {i} | {w} | {p:.3f} | {100 * sat.get(w, 0) / sat_total:.1f}% |"
        for i, (w, p) in enumerate(f["top"], start=1))
    weights = ", ".join(f"{w} {v:g}%" for w, v in corpus.SURFACES.items())
    main_run, overfit_run, smoothed_run = f["main_run"], f["overfit_run"], f["smoothed_run"]
    m, o = MAIN_RUN, OVERFIT_RUN
    last_note = (" (the last one: with the learning rate decaying to 0, the validation loss was "
                 "still falling)" if main_run.best_step == m["steps"] else "")
    ranked = f["ranked"]
    roof_rank = [w for w, _ in ranked].index("roof") + 1
    roof_p = dict(ranked)["roof"]

    return f"""# data/: the tiny language model's corpus and weights

Everything in this folder except `build.py`, `corpus.py` and `sentiment_grammar.py` is generated
by `make data` (`.venv/bin/python data/build.py`) and must not be edited by hand: change
`build.py` or a grammar (`corpus.py`, `sentiment_grammar.py`) and run `make data` again. The run is seeded and writes byte-identical
files on the same machine; `MANIFEST` holds the SHA-256 of every file
(check it with `cd data && sha256sum -c MANIFEST`). `softmax_lab.data` refuses to load a file
that is missing, unlisted, or whose checksum differs.

| File | What it is |
|---|---|
| `corpus_train.txt`, `corpus_validation.txt`, `corpus_test.txt` | the corpus splits, one sentence per line |
| `corpus_calibration.txt` | a held-out split for measuring calibration (lesson 07), one sentence per line |
| `vocab.json` | the vocabulary: `words[i]` is the word of logit i, `counts[i]` its count in the training split |
| `lm_early.npz`, `lm_best.npz`, `lm_overtrained.npz`, `lm_label_smoothed.npz` | the four checkpoints (float32 weights, no pickled objects) |
| `training_history.json` | the settings and the training and validation loss curves of the three training runs |
| `sentiment.tsv` | lesson 10's 390 reviews, 130 per class, `label<TAB>sentence`, from `sentiment_grammar.py` |
| `README.md` | this file |
| `MANIFEST` | `<sha256>  <file name>` for each file above |

## The corpus

Written by the grammar in `data/corpus.py` (simple English about animals, objects,
places, people and the weather; nothing is copied from other text): {N_SENTENCES} sentences with
seed {CORPUS_SEED}, {sum(tokens.values())} tokens in all. Words are lower case; the only
punctuation is `.`, a token of its own that ends every sentence. Sentences are independent.

The sentences were shuffled with seed {SPLIT_SEED} and split 80% / 10% / 10%
(`corpus.split_sentences`). A grammar repeats short sentences, so the same sentence can occur in
more than one split.

The **calibration split** is held out from all of that: {N_CALIBRATION_SENTENCES} more sentences
from the same grammar with their own seed ({CALIBRATION_SEED}), {len(data[CALIBRATION_SPLIT][1])}
next-word predictions, enough for a 95% interval of the expected calibration error a few points
wide. No model was trained or selected on it. As in the other splits, short sentences recur:
{100 * seen:.0f}% of its sentences also occur somewhere in the training split.

| File | Sentences | Tokens | Distinct words | `<unk>` targets |
|---|---|---|---|---|
{split_rows}

The vocabulary ({len(words)} entries) holds `<s>`, `<unk>` and the {len(words) - 2} words seen at
least {MIN_COUNT} times in the training split. The {counts[unk]} training tokens of rarer words
count as `<unk>`, which is how the model learns what to do with a word it does not know; in the
validation and test splits every word outside the vocabulary becomes `<unk>` too (the last
column above). `<s>` pads the context at the start of a sentence (the first word is predicted
from `<s> <s> <s>`); it is never a target.

**"The cat sat on the ..."** The grammar picks the surface of "... sat on the ___" with these
weights, whatever the animal: {weights}. So "mat" is the most common next word, "floor" the
second and "roof" rare. In the training split "sat on the" occurs {sat_total} times
(after "the cat sat on the": {sum(cat.values())} times, {cat.get("mat", 0)} of them "mat",
{cat.get("floor", 0)} "floor", {cat.get("roof", 0)} "roof"). The model reads only the last
{CONTEXT_SIZE} words, "sat on the", so it cannot tell the cat from the dog; by design, the
surface does not depend on the animal.

## The model

`softmax_lab.lm`: the previous {CONTEXT_SIZE} words -> embeddings ({EMBED_DIM} numbers each) ->
a tanh hidden layer of {HIDDEN_SIZE} units -> one logit per vocabulary word ({n_params} parameters).
Trained in numpy with mini-batch Adam (decoupled weight decay on the embeddings and the weight
matrices, not the biases), the loss from `softmax_lab.cross_entropy`, its gradient from
`softmax_lab.cross_entropy_grad`, and backpropagation written by hand (`lm.loss_and_grads`).
Training was done in float64; the checkpoints store float32.

* **Main run**: all {len(data['train'][1])} training examples, {m['steps']} steps, batches of
  {m['batch_size']}, learning rate {m['learning_rate']:g} falling linearly towards 0 over the run,
  weight decay {m['weight_decay']:g},
  seed {m['seed']}, validation loss measured every {m['eval_every']} steps.
  * `lm_early.npz`: the weights after {EARLY_STEP} steps: underfit.
  * `lm_best.npz`: the weights with the lowest validation loss, after step {main_run.best_step}{last_note}.
* **Overtraining run**: only the first {OVERFIT_SENTENCES} training sentences
  ({len(f['small'][1])} examples), {o['steps']} steps, batches of {o['batch_size']}, a larger and
  constant learning rate {o['learning_rate']:g}, no weight decay, seed {o['seed']}, validation loss
  measured every {o['eval_every']} steps. Its validation perplexity was lowest
  ({np.exp(min(overfit_run.val_losses)):.2f}) at step
  {overfit_run.eval_steps[int(np.argmin(overfit_run.val_losses))]} and climbed to
  {np.exp(overfit_run.val_losses[-1]):.2f} by step {o['steps']}, while its training perplexity fell to
  {np.exp(overfit_run.train_losses[-1]):.2f}.
  * `lm_overtrained.npz`: the weights after the last step: it has memorised its few sentences
    and is **overconfident** on new text (its mean top probability is far above its accuracy),
    the starting point of the calibration lesson.
* **Label-smoothed run**: exactly the main run (same data, settings and seed), except that the
  training targets are smoothed with epsilon = {LABEL_SMOOTHING:g}: each target is
  {1 - LABEL_SMOOTHING:g} on the right word plus {LABEL_SMOOTHING:g} / {len(words)} on every word.
  The validation loss that picks the best step is the plain cross-entropy.
  * `lm_label_smoothed.npz`: the weights with the lowest validation loss, after step
    {smoothed_run.best_step}: lesson 07 compares label smoothing with temperature scaling.

## Results

Perplexity (exp of the mean cross-entropy per word, `.` included) on each split; then, on the
validation split, the mean probability of the model's top word ("confidence"), how often that
top word is right (top-1 accuracy), and confidence minus accuracy (above 0: overconfident,
below 0: underconfident).

| Checkpoint | Train PPL | Validation PPL | Test PPL | Mean max-probability | Accuracy | Confidence - accuracy |
|---|---|---|---|---|---|---|
{result_rows}

"Train PPL" is on the whole training split; the overtrained model saw only its first
{OVERFIT_SENTENCES} sentences, where its perplexity is {np.exp(overfit_run.train_losses[-1]):.2f}.

On the calibration split (the numbers lesson 07 starts from):

| Checkpoint | Calibration PPL | Mean max-probability | Accuracy | Confidence - accuracy |
|---|---|---|---|---|
{calibration_rows}

The ten most probable words after "{PROMPT}" under `lm_best.npz`, next to the share of each
after "sat on the" in the training split:

| Rank | Word | Model probability | Training share |
|---|---|---|---|
{top_rows}

"roof" is at rank {roof_rank}, with probability {roof_p:.3f} (training share
{100 * sat.get("roof", 0) / sat_total:.1f}%).

Training the three runs takes about 15-30 seconds on two (shared) cores; `make data` prints the time.
"""  # noqa: E501  (wrapping would change the generated README)


if __name__ == "__main__":
    main()
