"""Lesson 12's files in data/: the tiny transformer, the MLP retrained on the same data, the
long-range sentences, the deduplicated validation split, their training history and README.

Called by ``build.py`` (``make data``) after the MLP's files, which it leaves exactly as they
were: everything here goes into new files. Seeded, one BLAS thread (set by build.py), so two
runs write the same bytes.
"""

import json
import time

import corpus  # the grammar beside this script (build.py puts data/ on the path)
import numpy as np

from softmax_lab import calibration, cross_entropy, lm, softmax, training
from softmax_lab import transformer as tf
from softmax_lab import transformer_training as tt
from softmax_lab.data import write_npz

LONG_RANGE_SEED = 2026              # the long-range sentences of the training set...
N_LONG_RANGE_TRAIN = 400            # ...about 7% of all the training sentences
LONG_RANGE_VALIDATION_SEED = 2027
N_LONG_RANGE_VALIDATION = 200
SHAPE = dict(n_layers=2, n_heads=4, d_model=32, d_mlp=128, max_len=16)
RUN = dict(steps=1500, batch_size=32, learning_rate=3e-3, warmup=100, weight_decay=0.01, seed=0, eval_every=100)
#: The capstone's reference (lesson 12): the first steps of a run, short enough for a notebook.
SHORT_RUN = dict(RUN, steps=200, eval_every=50)
PROMPT = "the cat sat on the"

FILES = {
    "corpus_longrange_train.txt": "the long-range sentences added to the training set",
    "corpus_longrange_validation.txt": "held-out long-range sentences (none of them is in the training set)",
    "corpus_validation_dedup.txt": "the validation sentences that occur nowhere in the training set",
    "transformer_tiny.npz": "the transformer checkpoint (float32 weights and its five sizes; no pickle)",
    "lm_same_data.npz": "the 3-word MLP retrained on the transformer's training data, for a fair comparison",
    "transformer_history.json": "settings and loss curves of the runs here",
    "transformer_README.md": "this file",
}


def write_text(path, text):
    path.write_text(text, encoding="utf-8", newline="\n")


def _write_sentences(path, sentences):
    write_text(path, "".join(" ".join(s) + "\n" for s in sentences))


def _scores(logits, targets):
    """Perplexity, ECE (15 equal-width bins, top label), mean top probability and accuracy."""
    p = softmax(logits)
    return {"perplexity": float(np.exp(cross_entropy(logits, targets))),
            "ece": float(calibration.expected_calibration_error(p, targets)),
            "confidence": float(p.max(axis=1).mean()), "accuracy": float((p.argmax(axis=1) == targets).mean())}


def build(out, splits, words, mlp_settings):
    """Write lesson 12's files into ``out``; return (their names, the lines to print, the transformer).

    ``mlp_settings``: how build.py trained ``lm_best.npz`` (``embed_dim``, ``hidden_size`` and
    the main run's settings), to retrain the MLP the same way on the transformer's data.
    """
    index = {w: i for i, w in enumerate(words)}
    in_train = {tuple(s) for s in splits["train"]}
    long_train = corpus.generate_long_range_sentences(N_LONG_RANGE_TRAIN, seed=LONG_RANGE_SEED)
    long_seen = {tuple(s) for s in long_train}
    long_validation = [s for s in corpus.generate_long_range_sentences(N_LONG_RANGE_VALIDATION,
                                                                       seed=LONG_RANGE_VALIDATION_SEED)
                       if tuple(s) not in long_seen]
    dedup = [s for s in splits["validation"] if tuple(s) not in in_train | long_seen]
    new_splits = {"longrange_train": long_train, "longrange_validation": long_validation, "validation_dedup": dedup}
    for name, sentences in new_splits.items():
        _write_sentences(out / f"corpus_{name}.txt", sentences)
    train_sentences = splits["train"] + long_train

    # The transformer, and its short reference run (lesson 12's capstone).
    wall, cpu = time.perf_counter(), time.process_time()
    run = tt.train(train_sentences, words, validation=splits["validation"], **SHAPE, **RUN)
    short = tt.train(train_sentences, words, validation=splits["validation"], **SHAPE, **SHORT_RUN)
    seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    arrays = {k: w.astype(np.float32) for k, w in run.best_weights.items()}
    sizes = {k: np.int64(v) for k, v in SHAPE.items()}
    write_npz(out / "transformer_tiny.npz", {**arrays, **sizes, "step": np.int64(run.best_step)})
    model = tf.TinyTransformer(words, arrays, name="tiny", **SHAPE)     # exactly what load() gives

    # The MLP retrained on the same sentences, with the main run's settings.
    mlp_data = lm.make_examples(train_sentences, index, 3)
    mlp_validation = lm.make_examples(splits["validation"], index, 3)
    mlp_run = training.train(*mlp_data, len(words), validation=mlp_validation, **mlp_settings)
    mlp_arrays = {k: mlp_run.best_weights[k].astype(np.float32) for k in lm.WEIGHT_NAMES}
    write_npz(out / "lm_same_data.npz",
              {**mlp_arrays, "context_size": np.int64(3), "step": np.int64(mlp_run.best_step)})
    models = {"transformer": model, "MLP best": lm.TinyLM(words, _npz_weights(out / "lm_best.npz"), 3),
              "MLP same data": lm.TinyLM(words, mlp_arrays, 3)}

    history = {
        "description": "Training curves of data/build_transformer.py (lesson 12). Losses are mean "
                       "cross-entropies in nats per word; train_losses average the mini-batch losses "
                       "since the previous evaluation; val_losses are on the whole validation split.",
        "long_range": {"train_seed": LONG_RANGE_SEED, "train_sentences": N_LONG_RANGE_TRAIN,
                       "validation_seed": LONG_RANGE_VALIDATION_SEED,
                       "validation_sentences": len(long_validation)},
        "transformer": {"shape": SHAPE, "settings": RUN, "eval_steps": run.eval_steps,
                        "train_losses": _rounded(run.train_losses), "val_losses": _rounded(run.val_losses),
                        "best_step": run.best_step},
        "short_run": {"shape": SHAPE, "settings": SHORT_RUN, "losses": _rounded(short.losses),
                      "eval_steps": short.eval_steps, "val_losses": _rounded(short.val_losses)},
        "mlp_same_data": {"settings": mlp_settings, "eval_steps": mlp_run.eval_steps,
                          "train_losses": _rounded(mlp_run.train_losses),
                          "val_losses": _rounded(mlp_run.val_losses), "best_step": mlp_run.best_step},
    }
    write_text(out / "transformer_history.json", json.dumps(history, indent=1) + "\n")

    # The measurements (transformer_README.md reports them).
    results = {}
    for label, m in models.items():
        results[label] = {}
        for split, sentences in (("validation", splits["validation"]), ("validation_dedup", dedup),
                                 ("calibration", splits["calibration"])):
            if isinstance(m, tf.TinyTransformer):
                logits, targets = tf.sentence_logits(m, sentences)
            else:
                contexts, targets = lm.make_examples(sentences, index, 3)
                logits = lm.forward(m.weights, contexts)
            results[label][split] = _scores(logits, targets)
    facts = dict(splits=splits, long_train=long_train, long_validation=long_validation, dedup=dedup,
                 run=run, mlp_run=mlp_run, model=model, models=models, results=results)
    write_text(out / "transformer_README.md", readme(out, facts))
    lines = [f"transformer: {seconds:.1f} s wall, {cpu_seconds:.1f} CPU-s for its two runs "
             f"({RUN['steps']} + {SHORT_RUN['steps']} steps); MLP on the same data {mlp_run.seconds:.1f} s"]
    for label, r in results.items():
        lines.append(f"{label:>14}: " + "; ".join(f"{s} PPL {v['perplexity']:.3f} ECE {v['ece']:.3f}"
                                                   for s, v in r.items()))
    return list(FILES), lines, model


def _rounded(values):
    return [round(float(x), 6) for x in values]


def _npz_weights(path):
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in lm.WEIGHT_NAMES}


def readme(out, f):
    splits, run, mlp_run, model, results = f["splits"], f["run"], f["mlp_run"], f["model"], f["results"]
    n_params = sum(w.size for w in model.weights.values())
    size = (out / "transformer_tiny.npz").stat().st_size
    long_range = {label: tt.long_range_accuracy(m, sentences=f["long_validation"]) for label, m in f["models"].items()}
    roles = tt.head_roles(model, sentences=splits["validation"])
    subject = tt.subject_attention(model, sentences=f["long_validation"])
    seen = len(splits["validation"]) - len(f["dedup"])
    example = corpus.generate_long_range_sentences(1, seed=4)[0]

    def score_rows(split):
        return "\n".join(f"| {label} | {r[split]['perplexity']:.3f} | {r[split]['ece']:.3f} | "
                         f"{r[split]['confidence']:.3f} | {r[split]['accuracy']:.3f} |" for label, r in results.items())

    long_rows = "\n".join(f"| {label} | {v['accuracy']:.3f} | {v['verb_probability']:.3f} |"
                          for label, v in long_range.items())
    role_rows = "\n".join(
        f"| {layer}.{head} | {roles['previous'][layer, head]:.3f} | {roles['first'][layer, head]:.3f} | "
        f"{roles['self'][layer, head]:.3f} | {roles['entropy'][layer, head]:.2f} | {subject[layer, head]:.3f} |"
        for layer in range(model.n_layers) for head in range(model.n_heads))
    file_rows = "\n".join(f"| `{name}` | {what} |" for name, what in FILES.items())
    top = ", ".join(f"{w} {p:.3f}" for w, p in _top_words(model, PROMPT, 5))
    s = SHAPE
    return f"""# data/: lesson 12's tiny transformer

Generated by `make data` (`data/build_transformer.py`, called by `build.py` after the MLP's files,
which stay exactly as they were). Seeded: a rebuild writes the same bytes. `MANIFEST` lists every
file with its SHA-256.

| File | What it is |
|---|---|
{file_rows}

## The long-range sentences

Nothing in the original corpus needs more than the last three words. `corpus.generate_long_range_sentences`
adds a construction that does: the verb depends on the kind of animal that is the subject (birds
fly, water animals swim, land animals run), and one or two place phrases stand between them, so the
subject is 4 to 9 words before the verb, e.g. "{' '.join(example)}". The place phrases do not depend
on the animal, so the last three words say nothing about the verb.
{N_LONG_RANGE_TRAIN} such sentences (seed {LONG_RANGE_SEED}) join the {len(splits['train'])} training
sentences; {len(f['long_validation'])} others (seed {LONG_RANGE_VALIDATION_SEED}, duplicates of training
sentences removed) are held out. Every word is in the shipped {len(model.vocab)}-word vocabulary.

**Deduplicated validation split**: {seen} of the {len(splits['validation'])} validation sentences
({100 * seen / len(splits['validation']):.0f}%) also occur in the training set, where memorising
them wins perplexity; `corpus_validation_dedup.txt` keeps the other {len(f['dedup'])}.

## The model

`softmax_lab.transformer`: token and position embeddings (d = {s['d_model']}), {s['n_layers']} layers of
causal self-attention with {s['n_heads']} heads of {s['d_model'] // s['n_heads']} dimensions and an MLP of
{s['d_mlp']} ReLU units, pre-norm (RMSNorm), residual connections, the unembedding tied to the token
embedding: {n_params} parameters, at most {s['max_len']} tokens (`<s>` and the words). Trained on the
{len(splits['train'])} + {N_LONG_RANGE_TRAIN} training sentences by `softmax_lab.transformer_training.train`: AdamW,
{RUN['steps']} steps of {RUN['batch_size']} sentences, learning rate {RUN['learning_rate']:g} after a warm-up of
{RUN['warmup']} steps, falling linearly to 0, weight decay {RUN['weight_decay']:g}, seed {RUN['seed']}; the
validation loss every {RUN['eval_every']} steps picked step {run.best_step}. Trained in float64; the checkpoint
(`transformer_tiny.npz`, {size / 1000:.0f} kB) stores float32.

**The MLP on the same data** (`lm_same_data.npz`): the 3-word MLP of `softmax_lab.lm`, trained like `lm_best.npz`
(same settings and seed) on the same {len(splits['train'])} + {N_LONG_RANGE_TRAIN} sentences; best step
{mlp_run.best_step}.

## Results

Perplexity, expected calibration error (top label, 15 equal-width bins), mean top probability and
top-1 accuracy, every word of each sentence predicted from the start of its sentence:

Validation split:

| Model | PPL | ECE | Mean max-probability | Accuracy |
|---|---|---|---|---|
{score_rows('validation')}

Deduplicated validation split:

| Model | PPL | ECE | Mean max-probability | Accuracy |
|---|---|---|---|---|
{score_rows('validation_dedup')}

Calibration split (lesson 07's):

| Model | PPL | ECE | Mean max-probability | Accuracy |
|---|---|---|---|---|
{score_rows('calibration')}

**The long-range verb** on the held-out long-range sentences: how often the most probable next
word after the place phrase is the right verb, and the mean probability of the right verb.

| Model | Accuracy | Probability of the verb |
|---|---|---|
{long_rows}

**Head roles** over the validation split (`transformer_training.head_roles`): the mean weight of a
query token on the token before it, on the first token (`<s>`) and on itself, and the mean entropy of
a row in bits; a head that spread its weight evenly would put {roles['uniform_first']:.3f} on the
previous token and on the first. The last column is the mean weight on the subject from the token
just before the verb, in the long-range sentences (`transformer_training.subject_attention`).

| Head | Previous | First (`<s>`) | Self | Entropy (bits) | Subject (long-range) |
|---|---|---|---|---|---|
{role_rows}

After "{PROMPT}": {top}.
"""  # noqa: E501  (wrapping would change the generated README)


def _top_words(model, text, k):
    p = softmax(tf.next_token_logits(model, text))
    order = np.argsort(-p, kind="stable")[:k]
    return [(model.vocab[i], float(p[i])) for i in order]
