# ruff: noqa  (a temporary merge tool: long anchors are copied verbatim from the files it edits)
"""Apply the issue-8 changes to lm.py, training.py and data.py (run from a tree root)."""
import re, sys
def sub(path, old, new, count=1):
    s = open(path).read()
    if old not in s:
        sys.exit(f"{path}: not found: {old[:80]!r}")
    s = s.replace(old, new, count)
    open(path, "w").write(s)

# lm.py: the fourth checkpoint, and label smoothing in the loss
sub("softmax_lab/lm.py", 'CHECKPOINTS = ("early", "best", "overtrained")', 'CHECKPOINTS = ("early", "best", "overtrained", "label_smoothed")')
sub("softmax_lab/lm.py", '''The shipped checkpoints (see ``data/README.md``): ``"early"`` (underfit), ``"best"`` (the
lowest validation loss) and ``"overtrained"`` (trained far too long on a small subset:
worse on new text and overconfident).''', '''The shipped checkpoints (see ``data/README.md``): ``"early"`` (underfit), ``"best"`` (the
lowest validation loss), ``"overtrained"`` (trained far too long on a small subset:
worse on new text and overconfident) and ``"label_smoothed"`` (trained like "best" with label
smoothing 0.1, for the calibration lesson).''')
sub("softmax_lab/lm.py", "def loss_and_grads(weights, contexts, targets):", "def loss_and_grads(weights, contexts, targets, label_smoothing=0.0):")
sub("softmax_lab/lm.py", '''    when a word appears several times in the batch).
''', '''    when a word appears several times in the batch). With ``label_smoothing`` :math:`\\epsilon`,
    Y is :math:`(1 - \\epsilon)\\,\\mathrm{onehot} + \\epsilon / V` in both the loss and :math:`\\partial Z`.
''')
sub("softmax_lab/lm.py", "    loss = float(cross_entropy(logits, targets))\n", "    loss = float(cross_entropy(logits, targets, label_smoothing=label_smoothing))\n")
sub("softmax_lab/lm.py", "    d_logits = cross_entropy_grad(logits, targets)", "    d_logits = cross_entropy_grad(logits, targets, label_smoothing=label_smoothing)")

# data.py: the calibration split
sub("softmax_lab/data.py", 'SPLITS = ("train", "validation", "test")\n', 'SPLITS = ("train", "validation", "test")\n#: Held out from training, made by the same grammar with its own seed (lesson 07 measures calibration on it).\nCALIBRATION_SPLIT = "calibration"\n')
sub("softmax_lab/data.py", '    "SPLITS",\n', '    "SPLITS",\n    "CALIBRATION_SPLIT",\n')
sub("softmax_lab/data.py", '''    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(map(repr, SPLITS))}, got {split!r}")''', '''    if split not in (*SPLITS, CALIBRATION_SPLIT):
        raise ValueError(f"split must be one of {', '.join(map(repr, (*SPLITS, CALIBRATION_SPLIT)))}, got {split!r}")''')
sub("softmax_lab/data.py", '''    """One corpus split (``"train"``, ``"validation"`` or ``"test"``) as lists of words.''',
    '''    """One corpus split (``"train"``, ``"validation"``, ``"test"`` or ``"calibration"``) as lists of words.''')

# training.py: label smoothing through Trainer and train
p = "softmax_lab/training.py"
sub(p, "                 validation=None, eval_every=100, snapshot_steps=()):\n", "                 validation=None, eval_every=100, snapshot_steps=(), label_smoothing=0.0):\n")
sub(p, "        self.validation, self.eval_every = validation, eval_every\n",
       "        self.validation, self.eval_every = validation, eval_every\n        self.label_smoothing = label_smoothing\n")
sub(p, "lm.loss_and_grads(self.weights, self.contexts[batch], self.targets[batch])",
       "lm.loss_and_grads(self.weights, self.contexts[batch], self.targets[batch],\n                                             self.label_smoothing)")
sub(p, "          validation=None, eval_every=100, snapshot_steps=(), callback=None):",
       "          validation=None, eval_every=100, snapshot_steps=(), callback=None, label_smoothing=0.0):")
sub(p, "                      validation=validation, eval_every=eval_every, snapshot_steps=snapshot_steps)",
       "                      validation=validation, eval_every=eval_every, snapshot_steps=snapshot_steps,\n                      label_smoothing=label_smoothing)")
sub(p, '''    callback : callable, optional
        Called as ``callback(trainer)``''', '''    label_smoothing : float, default 0.0
        Train against :math:`(1 - \\epsilon)\\,\\mathrm{onehot} + \\epsilon / V` instead of the
        one-hot targets (:func:`softmax_lab.cross_entropy`); the validation loss stays the plain
        cross-entropy.
    callback : callable, optional
        Called as ``callback(trainer)``''')
print("ok")
