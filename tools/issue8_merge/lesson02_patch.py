# ruff: noqa  (a temporary merge tool: long anchors are copied verbatim from the files it edits)
"""Lesson 02: link to lesson 07 for reliability diagrams; soften 'no tendency of its own'. Register lesson 07."""
import json, sys
p = "notebooks/02_temperature_and_overconfidence.ipynb"
nb = json.load(open(p))
done = 0
for cell in nb["cells"]:
    src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    new = src
    new = new.replace(
        "was not trained on, and the result is checked with reliability diagrams (confidence against\naccuracy, bin by bin).",
        "was not trained on, and the result is checked with reliability diagrams (confidence against\naccuracy, bin by bin): "
        "[lesson 07](07_calibration_and_overconfidence.ipynb) draws them for the course's own\nlanguage model.")
    new = new.replace(
        "- **Overconfidence is blamed on softmax itself.** Softmax has no tendency of its own: on small\n"
        "  logits it is very unconfident. Confidence comes from the scale of the logits that a trained\n"
        "  network produces, and that scale is learned. The fix is not to replace softmax.",
        "- **Overconfidence is blamed on softmax itself.** On small logits softmax is very unconfident:\n"
        "  confidence comes mostly from the scale of the logits that a trained network produces, and\n"
        "  that scale is learned. But softmax is not neutral either. With cross-entropy, an example the\n"
        "  model already gets right still has a positive loss until its probability is exactly 1, which\n"
        "  no finite logits reach, so training keeps growing the logits; and softmax always hands out\n"
        "  all the probability among the known classes, so it cannot say \"none of these\".\n"
        "  [Lesson 07](07_calibration_and_overconfidence.ipynb) measures the result on a trained model.")
    if new != src:
        done += 1
        cell["source"] = new
if done != 2:
    sys.exit(f"lesson 02: expected 2 edits, made {done}")
with open(p, "w", encoding="utf-8") as f:
    json.dump(nb, f, indent=1, ensure_ascii=False)
    f.write("\n")

p = "tools/course.py"
s = open(p).read()
if "07_calibration_and_overconfidence" not in s:
    old = '''     "Text comes from sampling the softmax (temperature, top-k, top-p, min-p), not always the top word", 30),
'''
    assert old in s
    s = s.replace(old, old + '''    ("07_calibration_and_overconfidence.ipynb", "Calibration and overconfidence",
     "Softmax probabilities are not automatically honest: measure calibration, then repair it", 40),
''')
    open(p, "w").write(s)
print("ok")
