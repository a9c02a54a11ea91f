# ruff: noqa  (a temporary merge tool: long anchors are copied verbatim from the files it edits)
import sys
def sub(path, old, new, count=1):
    s = open(path).read()
    if old not in s:
        print(f"{path}: not found (already applied?): {old[:80]!r}"); return
    s = s.replace(old, new, count)
    open(path, "w").write(s)
sub("softmax_lab/lm.py", "ValueError: checkpoint must be one of 'early', 'best', 'overtrained', got 'latest'",
    "ValueError: checkpoint must be one of 'early', 'best', 'overtrained', 'label_smoothed', got 'latest'")
sub("softmax_lab/data.py", """>>> sorted(read_manifest())[:2]
['README.md', 'corpus_test.txt']""", """>>> sorted(read_manifest())[:2]
['README.md', 'corpus_calibration.txt']""")
sub("tests/test_data.py", '''    assert lm.load("label_smoothed").weights["output_weight"].dtype == np.float32''',
    '''    assert data.load_npz("lm_label_smoothed.npz")["output_weight"].dtype == np.float32''')
print("ok")
