# ruff: noqa  (a temporary merge tool: long anchors are copied verbatim from the files it edits)
"""Apply the issue-8 data changes to data/build.py (run from a tree root)."""
import sys
def sub(path, old, new, count=1):
    s = open(path).read()
    if old not in s:
        sys.exit(f"{path}: not found: {old[:90]!r}")
    s = s.replace(old, new, count)
    open(path, "w").write(s)

p = "data/build.py"
sub(p, '''"""Regenerate everything in data/: the corpus, the vocabulary, the tiny language model's three
checkpoints, the training curves, README.md and MANIFEST.''', '''"""Regenerate everything in data/: the corpus (with a held-out calibration split), the
vocabulary, the tiny language model's four checkpoints, the training curves, README.md and
MANIFEST.''')
sub(p, "from softmax_lab.data import SPLITS, write_manifest, write_npz  # noqa: E402",
       "from softmax_lab.data import CALIBRATION_SPLIT, SPLITS, write_manifest, write_npz  # noqa: E402")
sub(p, '''PROMPT = "the cat sat on the"
''', '''LABEL_SMOOTHING = 0.1       # the label-smoothed model: trained like "best", with smoothed targets
SMOOTHED_RUN = dict(MAIN_RUN, label_smoothing=LABEL_SMOOTHING)
CALIBRATION_SEED = 2025     # the calibration split: the same grammar, its own seed...
N_CALIBRATION_SENTENCES = 2900   # ...and about 20,000 next-word predictions (lesson 07)
PROMPT = "the cat sat on the"
''')
sub(p, '''    for split in SPLITS:
        write_text(out / f"corpus_{split}.txt", "".join(" ".join(s) + "\\n" for s in splits[split]))
''', '''    splits[CALIBRATION_SPLIT] = corpus.generate_sentences(N_CALIBRATION_SENTENCES, seed=CALIBRATION_SEED)
    all_splits = (*SPLITS, CALIBRATION_SPLIT)
    for split in all_splits:
        write_text(out / f"corpus_{split}.txt", "".join(" ".join(s) + "\\n" for s in splits[split]))
''')
sub(p, '''    # 3. Training examples and the two training runs.
    data = {split: lm.make_examples(splits[split], index, CONTEXT_SIZE) for split in SPLITS}''',
       '''    # 3. Training examples and the three training runs.
    data = {split: lm.make_examples(splits[split], index, CONTEXT_SIZE) for split in all_splits}''')
sub(p, '''    train_seconds = main_run.seconds + overfit_run.seconds
''', '''    smoothed_run = training.train(*data["train"], len(words), validation=data["validation"], **shape, **SMOOTHED_RUN)
    train_seconds = main_run.seconds + overfit_run.seconds + smoothed_run.seconds
''')
sub(p, '''        "overtrained": (overfit_run.weights, OVERFIT_RUN["steps"]),
    }''', '''        "overtrained": (overfit_run.weights, OVERFIT_RUN["steps"]),
        "label_smoothed": (smoothed_run.best_weights, smoothed_run.best_step),
    }''')
sub(p, '''                        "val_losses": [round(x, 6) for x in overfit_run.val_losses]},
    }''', '''                        "val_losses": [round(x, 6) for x in overfit_run.val_losses]},
        "label_smoothed": {"settings": SMOOTHED_RUN, "eval_steps": smoothed_run.eval_steps,
                           "train_losses": [round(x, 6) for x in smoothed_run.train_losses],
                           "val_losses": [round(x, 6) for x in smoothed_run.val_losses],
                           "best_step": smoothed_run.best_step},
    }''')
sub(p, '''                 main_run=main_run, overfit_run=overfit_run, top=top, ranked=ranked, small=small)''',
       '''                 main_run=main_run, overfit_run=overfit_run, smoothed_run=smoothed_run, top=top, ranked=ranked,
                 small=small)''')
sub(p, '''    shipped = [f"corpus_{s}.txt" for s in SPLITS] + ["vocab.json", "training_history.json", "README.md"]''',
       '''    shipped = [f"corpus_{s}.txt" for s in all_splits] + ["vocab.json", "training_history.json", "README.md"]''')
sub(p, '''    print(f"training: {train_seconds:.1f} s (main run {main_run.seconds:.1f} s, overtrained run "
          f"{overfit_run.seconds:.1f} s); everything: {total:.1f} s; shipped: {size / 1e6:.2f} MB")''',
       '''    print(f"training: {train_seconds:.1f} s (main run {main_run.seconds:.1f} s, overtrained run "
          f"{overfit_run.seconds:.1f} s, label-smoothed run {smoothed_run.seconds:.1f} s); everything: "
          f"{total:.1f} s; shipped: {size / 1e6:.2f} MB")''')
sub(p, '''        print(f"{name:>12}: validation perplexity {v['perplexity']:.2f}, mean max-probability "
              f"{v['mean_max_probability']:.3f}, accuracy {v['accuracy']:.3f}")''',
       '''        c = r[CALIBRATION_SPLIT]
        print(f"{name:>14}: validation perplexity {v['perplexity']:.2f}, mean max-probability "
              f"{v['mean_max_probability']:.3f}, accuracy {v['accuracy']:.3f}; calibration split: "
              f"{c['mean_max_probability']:.3f} / {c['accuracy']:.3f}")''')
# README
sub(p, '''    tokens = {s: sum(len(x) for x in splits[s]) for s in SPLITS}
    types = {s: len({w for x in splits[s] for w in x}) for s in SPLITS}''',
       '''    all_splits = (*SPLITS, CALIBRATION_SPLIT)
    tokens = {s: sum(len(x) for x in splits[s]) for s in all_splits}
    types = {s: len({w for x in splits[s] for w in x}) for s in all_splits}
    in_train = {tuple(x) for x in splits["train"]}
    seen = float(np.mean([tuple(x) in in_train for x in splits[CALIBRATION_SPLIT]]))''')
sub(p, '''        f"{100 * float(np.mean(data[s][1] == unk)):.2f}% |" for s in SPLITS)''',
       '''        f"{100 * float(np.mean(data[s][1] == unk)):.2f}% |" for s in all_splits)''')
sub(p, '''        for name, r in results.items())
    top_rows''', '''        for name, r in results.items())
    calibration_rows = "\\n".join(
        f"| {name} | {r[CALIBRATION_SPLIT]['perplexity']:.2f} | {r[CALIBRATION_SPLIT]['mean_max_probability']:.3f} | "
        f"{r[CALIBRATION_SPLIT]['accuracy']:.3f} | "
        f"{r[CALIBRATION_SPLIT]['mean_max_probability'] - r[CALIBRATION_SPLIT]['accuracy']:+.3f} |"
        for name, r in results.items())
    top_rows''')
sub(p, '''    main_run, overfit_run = f["main_run"], f["overfit_run"]''',
       '''    main_run, overfit_run, smoothed_run = f["main_run"], f["overfit_run"], f["smoothed_run"]''')
sub(p, '''| `corpus_train.txt`, `corpus_validation.txt`, `corpus_test.txt` | the corpus splits, one sentence per line |''',
       '''| `corpus_train.txt`, `corpus_validation.txt`, `corpus_test.txt` | the corpus splits, one sentence per line |
| `corpus_calibration.txt` | a held-out split for measuring calibration (lesson 07), one sentence per line |''')
sub(p, '''| `lm_early.npz`, `lm_best.npz`, `lm_overtrained.npz` | the three checkpoints (float32 weights, no pickled objects) |
| `training_history.json` | the training and validation loss curves of both training runs |''',
       '''| `lm_early.npz`, `lm_best.npz`, `lm_overtrained.npz`, `lm_label_smoothed.npz` | the four checkpoints (float32 weights, no pickled objects) |
| `training_history.json` | the settings and the training and validation loss curves of the three training runs |''')
sub(p, '''(`corpus.split_sentences`). A grammar repeats short sentences, so the same sentence can occur in
more than one split.
''', '''(`corpus.split_sentences`). A grammar repeats short sentences, so the same sentence can occur in
more than one split.

The **calibration split** is held out from all of that: {N_CALIBRATION_SENTENCES} more sentences
from the same grammar with their own seed ({CALIBRATION_SEED}), {len(data[CALIBRATION_SPLIT][1])}
next-word predictions, enough for a 95% interval of the expected calibration error a few points
wide. No model was trained or selected on it. As in the other splits, short sentences recur:
{100 * seen:.0f}% of its sentences also occur somewhere in the training split.
''')
sub(p, '''  * `lm_overtrained.npz`: the weights after the last step: it has memorised its few sentences
    and is **overconfident** on new text (its mean top probability is far above its accuracy),
    the starting point of the calibration lesson.
''', '''  * `lm_overtrained.npz`: the weights after the last step: it has memorised its few sentences
    and is **overconfident** on new text (its mean top probability is far above its accuracy),
    the starting point of the calibration lesson.
* **Label-smoothed run**: exactly the main run (same data, settings and seed), except that the
  training targets are smoothed with epsilon = {LABEL_SMOOTHING:g}: each target is
  {1 - LABEL_SMOOTHING:g} on the right word plus {LABEL_SMOOTHING:g} / {len(words)} on every word.
  The validation loss that picks the best step is the plain cross-entropy.
  * `lm_label_smoothed.npz`: the weights with the lowest validation loss, after step
    {smoothed_run.best_step}: lesson 07 compares label smoothing with temperature scaling.
''')
sub(p, '''The ten most probable words after''', '''On the calibration split (the numbers lesson 07 starts from):

| Checkpoint | Calibration PPL | Mean max-probability | Accuracy | Confidence - accuracy |
|---|---|---|---|---|
{calibration_rows}

The ten most probable words after''')
sub(p, '''Training both runs takes about 10-20 seconds on two (shared) cores; `make data` prints the time.''',
       '''Training the three runs takes about 15-30 seconds on two (shared) cores; `make data` prints the time.''')
print("ok")
sub(p, '''                 "corpus": {"n_sentences": N_SENTENCES, "seed": CORPUS_SEED, "split_seed": SPLIT_SEED},''',
       '''                 "corpus": {"n_sentences": N_SENTENCES, "seed": CORPUS_SEED, "split_seed": SPLIT_SEED,
                            "calibration_sentences": N_CALIBRATION_SENTENCES, "calibration_seed": CALIBRATION_SEED},''')
print("ok2")
