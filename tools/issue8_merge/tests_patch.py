# ruff: noqa  (a temporary merge tool: long anchors are copied verbatim from the files it edits)
"""Append the issue-8 data tests (run from a tree root)."""
import sys
def append(path, text):
    s = open(path).read()
    if [l for l in text.splitlines() if l.startswith("def ")][0] in s:
        print(f"{path}: already there"); return
    open(path, "w").write(s.rstrip() + "\n\n" + text.lstrip("\n"))

append("tests/test_data.py", '''
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


@pytest.mark.slow
def test_rebuild_is_byte_identical(tmp_path):
    """`make data` twice gives the same bytes: rebuild into a temporary folder, compare MANIFESTs."""
    import subprocess
    out = tmp_path / "rebuilt"
    subprocess.run([sys.executable, str(REPO / "data" / "build.py"), "--out", str(out)], check=True,
                   capture_output=True, timeout=300)
    assert (out / "MANIFEST").read_text() == (REPO / "data" / "MANIFEST").read_text()
''')

append("tests/test_lm.py", '''
def test_label_smoothing_trains_an_underconfident_model_and_changes_the_gradient():
    from softmax_lab.training import init_weights
    w = init_weights(6, context_size=2, embed_dim=3, hidden_size=4, seed=2)
    contexts, targets = np.array([[0, 1], [2, 3], [1, 1]]), np.array([4, 5, 4])
    plain, g0 = lm.loss_and_grads(w, contexts, targets)
    smooth, g1 = lm.loss_and_grads(w, contexts, targets, label_smoothing=0.1)
    assert smooth != plain and not np.allclose(g0["output_bias"], g1["output_bias"])

    def loss_of(output_weight):
        return lm.loss_and_grads({**w, "output_weight": output_weight}, contexts, targets, label_smoothing=0.1)[0]
    assert gradient_check(loss_of, w["output_weight"], g1["output_weight"]) < 1e-6


def test_label_smoothed_checkpoint_is_less_confident_than_best(models):
    stats = {}
    for name in ("best", "label_smoothed"):
        logits, targets = lm.split_logits(models[name], "calibration")
        p = softmax(logits)
        stats[name] = (p.max(axis=1).mean(), (p.argmax(axis=1) == targets).mean())
    assert stats["label_smoothed"][0] < stats["best"][0] - 0.03           # smoothing lowers the confidence
    assert stats["label_smoothed"][0] < stats["label_smoothed"][1]        # below its accuracy: underconfident
    assert abs(stats["label_smoothed"][1] - stats["best"][1]) < 0.02      # about as accurate
''')
print("ok")
s = open("tests/test_data.py").read()
old = '''    with pytest.raises(data.DataIntegrityError, match="line 10"):'''
if old in s:
    s = s.replace(old, '''    n_lines = len((data_copy / "MANIFEST").read_text().splitlines())     # the bad line is the last one
    with pytest.raises(data.DataIntegrityError, match=f"line {n_lines}"):''')
    open("tests/test_data.py", "w").write(s)
print("ok3")
