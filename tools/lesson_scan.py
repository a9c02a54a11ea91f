"""Two checks of an executed lesson: every number the prose states is one the page computed, and no
prediction is answered before it is asked.

Run a lesson once with ``tools/lesson_run.py`` (what the learner sees after each cell), then:

**Numbers in prose are bound to computation** (:func:`number_findings`). A number in a markdown cell
is *checked* when it has 3 or more significant digits (0.107, 62.5, 8,192; trailing zeros of a whole
number do not count: 256,000 has 3, 2,000 has 1), when it is a percentage with 2 or more (41%,
16.53%; not 5% or 90%), or when it is a count measured against a total ("5 of the 10 seeds"). Not
checked: years, version numbers, references ("lesson 07", "section 3"), digits inside names
(float16, GPT-2, ResNet-110), exponents ($e^{10}$), and anything in code spans, code blocks, links
and the generated lines (navigation, time line, lesson table). A checked number is *bound* when it
is shown by

* an output printed above the sentence (text output, a dashboard's readout, a figure's text; not a
  cell marked ``NBVAL_IGNORE_OUTPUT``, whose output differs between machines),
* a number literal in the code above it (an input the lesson chose: ``V = 256_000``),
* a number literal in an ``assert`` in the code cells right after it (until the next markdown cell),
* or the allowlist: :data:`CONSTANTS` here, and a lesson's ``allow`` lines (each with its reason).

It matches when the prose is that value rounded to the digits the prose wrote: "0.107" matches a
printed 0.10713 (not 0.1079, nor 0.11), "41%" matches 0.41, 0.412, 41.2% and 0.4149 (not 0.404).
A checked number that nothing binds is a finding of kind ``unbound``.

**No answer before its prediction** (:func:`leak_findings`). For every ``predict("NN.key", ...)``
cell, the registered answer must not be visible anywhere above it: in markdown (objectives and
headings too), in the code (comments, strings, ``expected=`` arguments, literals in asserts), in
text outputs, in dashboard readouts, or in a figure's texts. A number answer is found as any number
shown with 2 or more significant digits that equals the answer at the precision shown ("0.38",
"0.384", "38%", "38.4%" all show 0.3841); a count (a whole-number answer) with 2 or more digits as
that whole number. A number that is one of the lesson's own inputs (a literal in the code above,
e.g. the logit 2.0) is not an answer. A choice or a word is looked for where it is distinctive: a
phrase of two content words ("all on mat"), or one with digits or signs ("-inf", "1/4", "NaN"); a
text that names two or more of the choices is the question's list of options, not an answer. A
finding is of kind ``leak``, with where it was seen (``markdown``, ``code``, ``output``, ``widget``,
``figure``). An answer recalled on purpose goes on the lesson's ``recall`` lines, with the reason.

A **"Predict first"** prompt without a ``predict()`` call before the next prompt is a finding of kind
``no-predict``.

The per-lesson files ``tests/trust/NN.txt`` hold the ratchet: the floors (bound numbers, prompts)
that may rise and never fall, the allowlist and recall lines, and the findings accepted for now
(``known``), which only shrink. ``python tools/lesson_scan.py 07`` prints lesson 07's findings, new
and known, and its counts; ``--baseline`` prints them in the file's format.
"""

import ast
import io
import math
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRUST_DIR = ROOT / "tests" / "trust"
PROMPT = "**Predict first:**"
NAV_TAG = "navigation"

# Constants stated on purpose: facts from elsewhere, not computed by a lesson. Each binds a stated
# number that rounds to it, in every lesson. Keep it short; a lesson's own facts go on its `allow`
# lines in tests/trust/NN.txt.
CONSTANTS = {
    "50,257": "GPT-2's vocabulary (Radford et al. 2019)",
    "128,256": "Llama 3's vocabulary (Meta 2024)",
    "256,000": "Gemma's vocabulary (Gemma Team 2024)",
    "65,504": "the largest float16 number (IEEE 754 half precision)",
    "16.53%": "Guo et al. 2017, table 1: ResNet-110 on CIFAR-100, ECE (15 bins) before temperature scaling",
    "1.26%": "Guo et al. 2017, table 1: the same after temperature scaling",
    f"{math.e:.12f}": "e, the base of the natural logarithm",
    f"{math.log(2):.12f}": "log 2, in nats",
    f"{math.log(3):.12f}": "log 3, the entropy of three equally likely words, in nats",
    f"{math.log(10):.12f}": "log 10, the first loss of a 10-class model, in nats",
}

# --------------------------------------------------------------------------------------------
# Numbers as written
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Num:
    """A number as written: its text, absolute value, decimals written, percent sign, significant digits."""

    text: str
    value: float
    decimals: int
    percent: bool
    sig: int
    exponent: int = 0          # for 3.4e38: 38 (the written mantissa's decimals count from there)
    trailing: int = 0          # zeros ending a whole number (256,000: 3)

    @property
    def half_unit(self):
        """Half of the last written digit's unit: the rounding a reader assumes."""
        if self.decimals:
            return 0.5 * 10.0 ** (self.exponent - self.decimals)
        return 0.5 * 10.0 ** (self.exponent + self.trailing)

    def as_share(self):
        """The value as a fraction of 1 (41% -> 0.41)."""
        return self.value / 100 if self.percent else self.value


_NUMBER = re.compile(
    r"(?<![\w.^{\\])(?<![A-Za-z]-)"                        # not inside a name (float16, GPT-2) or exponent
    r"(\d{1,3}(?:(?:,|\u202f|\u2009| (?=\d{3}(?!\d)))\d{3})+(?!\d)|\d+)"   # 8,192 / 50 257 / 445
    r"(\.\d+)?"                                             # decimals
    r"(?:[eE]([+-]?\d+))?"                                  # 3.4e38
    r"(?![\d.]\d|\d)(?![A-Za-wyzA-Z_]|x[A-Za-z])"           # not a version (8.1.9), not 128k; 0.51x is fine
    r"(\s?%)?")
_REFERENCE = re.compile(r"(?:lessons?|sections?|§|questions?|exercises?|steps?|cells?|figures?|fig\.|tables?|"
                        r"chapters?|parts?|items?|claims?|rows?|columns?|version|python|numpy|C|stage|level)"
                        r"\s*$", re.I)


def numbers_at(text, skip_references=True):
    """Every number written in ``text``, as (position, Num) pairs."""
    found = []
    for m in _NUMBER.finditer(text):
        whole, decimals, exponent, percent = m.group(1), m.group(2) or "", m.group(3), m.group(4)
        if skip_references and _REFERENCE.search(text[max(0, m.start() - 12):m.start()]):
            continue
        digits = re.sub(r"\D", "", whole)
        value = float(digits + decimals) * (10.0 ** int(exponent) if exponent else 1.0)
        significant = (digits + decimals[1:]).lstrip("0")
        trailing = 0
        if not decimals:
            trailing = len(significant) - len(significant.rstrip("0")) if significant else 0
            significant = significant.rstrip("0")
        found.append((m.start(), Num(m.group(0).strip(), value, len(decimals) - 1 if decimals else 0,
                                     bool(percent), len(significant), int(exponent) if exponent else 0, trailing)))
    return found


def numbers_in(text, skip_references=True):
    """Every number written in ``text`` (plain text: outputs, comments, cleaned prose)."""
    return [num for _, num in numbers_at(text, skip_references)]


def _is_year(num):
    return not num.decimals and not num.percent and "," not in num.text and 1900 <= num.value <= 2099


def prose_text(markdown):
    """The prose of a markdown cell as a reader sees its numbers: no code, links, tags, exponents."""
    text = re.sub(r"<!-- lessons:start -->.*?<!-- lessons:end -->", " ", markdown, flags=re.S)
    text = re.sub(r"\*\*Time to complete:\*\*[^\n]*", " ", text)
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", " ", text)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"\]\([^)]*\)", "]", text)                      # a link's address
    text = re.sub(r"https?://\S+|arXiv:\S+|doi:\S+", " ", text)
    text = re.sub(r"</?[A-Za-z][^<>]*>", " ", text)                 # HTML tags (details, img); not "$T < 1$ ... >"
    text = text.replace("{,}", ",").replace("\\,", "").replace("\\!", "")
    # 3.4 \times 10^{38} is one number; every other exponent or index is not a number of its own
    text = re.sub(r"(\d+(?:\.\d+)?)\s*(?:\\times|×|\\cdot)\s*10\^\{?([+-]?\d+)\}?", r"\1e\2", text)
    text = re.sub(r"[\^_]\{[^}]*\}|[\^_][+-]?\d+(?:\.\d+)?", " ", text)
    return text


_COUNT = re.compile(r"(?<![\w.])(\d+) (?:of|out of) (?:the |its |all )?(\d[\d,]*)(?![\d.])")


def prose_claims(markdown):
    """The checked numbers of a markdown cell: (Num, total) pairs; total is M for a count "N of M"."""
    text = prose_text(markdown)
    counts = {m.start(1): int(m.group(2).replace(",", "")) for m in _COUNT.finditer(text)}
    claims, seen = [], set()
    for start, num in numbers_at(text):
        total = counts.get(start)
        if total is not None and (num.decimals or num.value >= total):
            total = None
        if _is_year(num) or num.text in seen:
            continue
        if num.sig >= 3 or (num.percent and num.sig >= 2) or total is not None:
            seen.add(num.text)
            claims.append((num, total))
    return claims


# --------------------------------------------------------------------------------------------
# Code: literals, asserts, comments and strings
# --------------------------------------------------------------------------------------------


def _tokens(source):
    try:
        return list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return []


def code_literals(source):
    """The number literals of a code cell (not in comments or strings): the lesson's own inputs."""
    return [n for tok in _tokens(source) if tok.type == tokenize.NUMBER
            for n in numbers_in(tok.string.replace("_", ""), skip_references=False)]


def _assert_nodes(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            yield node
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if "assert" in name:
                yield node


def _parse(source):
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def assert_literals(source):
    """The number literals inside the asserts of a code cell (``assert``, ``np.testing.assert_*``)."""
    tree = _parse(source)
    found = []
    for node in _assert_nodes(tree) if tree else ():
        for const in ast.walk(node):
            if isinstance(const, ast.Constant) and isinstance(const.value, (int, float)) \
                    and not isinstance(const.value, bool):
                text = ast.get_source_segment(source, const) or repr(const.value)
                found += numbers_in(text.replace("_", ""), skip_references=False)
    return found


def expected_arguments(source):
    """The literals passed as ``expected=`` or ``answer=`` (what a check compares against)."""
    tree = _parse(source)
    found = []
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.keyword) and node.arg in ("expected", "answer"):
            text = ast.get_source_segment(source, node.value) or ""
            found.append(text)
    return found


def predict_keys(source):
    """The keys of the ``predict("NN.key", ...)`` calls in a code cell."""
    tree = _parse(source)
    return [node.args[0].value for node in ast.walk(tree) if tree is not None
            and isinstance(node, ast.Call) and getattr(node.func, "id", None) == "predict"
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)]


def visible_code_text(source, skip=()):
    """What a reader of a code cell reads as prose: its comments and strings (but not ``skip``)."""
    parts = []
    for tok in _tokens(source):
        if tok.type == tokenize.COMMENT:
            parts.append(tok.string)
        elif tok.type == tokenize.STRING:
            try:
                value = ast.literal_eval(tok.string)
            except (ValueError, SyntaxError):
                value = tok.string                       # an f-string: its text as written
            if value not in skip:
                parts.append(str(value))
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------


def rounds_to(stated, value):
    """True when ``stated`` (a Num) is ``value`` rounded to the digits ``stated`` wrote."""
    eps = 1e-9 * max(1.0, abs(value))
    if stated.percent:
        return abs(stated.value - 100 * abs(value)) <= stated.half_unit + eps
    return abs(stated.value - abs(value)) <= stated.half_unit + eps


def binds(stated, evidence, printed=True):
    """True when the number ``evidence`` (a Num shown somewhere) shows the stated number.

    A printed number without a percent sign may be a column of percentages (41.2 for "41%");
    a literal in code (``printed=False``) is read as written (0.41 for "41%").
    """
    values = [evidence.as_share()]
    if stated.percent and not evidence.percent and printed:
        values.append(evidence.value / 100)
    return any(rounds_to(stated, v) for v in values)


def round_significant(value, digits):
    """``value`` rounded to ``digits`` significant digits (0.38412, 2 -> 0.38)."""
    if value == 0:
        return 0.0
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def shows_answer(num, answer, count=False):
    """True when the number ``num`` (as shown) is the number ``answer`` printed to as many
    significant digits as ``num`` has, 2 or more ("0.38", "0.384", "38%", "38.4%" for 0.38412;
    not "0.4", nor "1.0" for 0.98). A count is a whole number: it is shown by that whole number,
    when it has 2 or more significant digits (a 3 or a 10 is everywhere)."""
    if num.sig < 2:
        return False
    if count:
        return not num.decimals and not num.percent and num.value == abs(answer)
    shown = abs(answer) * (100 if num.percent else 1)
    return math.isclose(num.value, round_significant(shown, num.sig), rel_tol=1e-9, abs_tol=1e-12)


_STOP = {"the", "and", "it", "at", "of", "to", "a", "an", "is", "on", "in", "or", "as", "by", "its"}


def distinctive(choice):
    """A choice a scan can find without mistaking ordinary prose for it: 'all on mat', '-inf', 'NaN'."""
    words = re.findall(r"[A-Za-z]+", choice)
    if re.search(r"[^A-Za-z\s]", choice) or (len(words) == 1 and not choice.islower()):
        return True
    return len([w for w in words if len(w) >= 3 and w.lower() not in _STOP]) >= 2


def _phrase_in(phrase, text):
    return re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w])", text, re.I) is not None


def _span(node):
    return (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)


def input_literals(source):
    """The number literals of a code cell outside its asserts and ``expected=`` arguments: inputs."""
    tree = _parse(source)
    if tree is None:
        return []
    spans = [_span(node) for node in _assert_nodes(tree)]
    spans += [_span(node.value) for node in ast.walk(tree)
              if isinstance(node, ast.keyword) and node.arg in ("expected", "answer")]
    return [n for tok in _tokens(source) if tok.type == tokenize.NUMBER
            and not any(a <= tok.start < b for a, b in spans)
            for n in numbers_in(tok.string.replace("_", ""), skip_references=False)]


# --------------------------------------------------------------------------------------------
# Findings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One finding: its kind, the cell (by id, stable when cells move), and what was found.

    ``what`` is the number as written (``unbound``), ``KEY | WHERE | TEXT`` (``leak``), or empty
    (``no-predict``). ``index`` and ``message`` are for people, not for matching.
    """

    lesson: str
    kind: str
    cell_id: str
    what: str
    index: int = -1
    message: str = ""

    @property
    def key(self):
        return (self.kind, self.cell_id, self.what)

    def line(self):
        return " | ".join(["known", self.kind, self.cell_id] + ([self.what] if self.what else []))


@dataclass
class Rules:
    """A lesson's file in tests/trust/: floors, allowlist, recalls and the findings known today."""

    floors: dict
    allow: list                # (Num, reason)
    recall: list               # (key, text, reason)
    known: set                 # Finding.key tuples
    path: Path = None


def read_rules(lesson, folder=TRUST_DIR):
    """Read ``tests/trust/NN.txt`` (an empty rule set when it does not exist)."""
    path = Path(folder) / f"{lesson}.txt"
    rules = Rules({}, [], [], set(), path)
    if not path.exists():
        return rules
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split(" | ")]
        head = fields[0]
        if head == "floor" and len(fields) == 3 and fields[2].isdigit():
            rules.floors[fields[1]] = int(fields[2])
        elif head == "allow" and len(fields) == 3 and numbers_in(fields[1], skip_references=False):
            rules.allow.append((numbers_in(fields[1], skip_references=False)[0], fields[2]))
        elif head == "recall" and len(fields) == 4:
            rules.recall.append((fields[1], fields[2], fields[3]))
        elif head == "known" and fields[1:2] in (["unbound"], ["no-predict"], ["leak"]) and len(fields) >= 3:
            rules.known.add((fields[1], fields[2], " | ".join(fields[3:])))
        else:
            raise ValueError(f"{path}:{number}: cannot read {raw!r} (see the comment at the top of the file)")
    return rules


def _markdown_cells(run):
    return [c for c in run.cells if c.type == "markdown" and NAV_TAG not in c.tags]


def _seen_by_cell(run):
    ignored = {c.index for c in run.cells if c.ignored_output}
    by_cell = {}
    for s in run.seen:
        if s.cell not in ignored:
            by_cell.setdefault(s.cell, []).append(s)
    return by_cell


def _where(seen, run):
    what = {"output": "the output of", "widget": "a dashboard readout after", "figure": "a figure drawn by"}[seen.kind]
    cell = run.cells[seen.cell]
    return f"{what} cell {seen.cell} (id {cell.id})"


def number_findings(run, rules):
    """Check every checked number of the prose; return (findings, bound), bound as (cell, Num, how)."""
    lesson = run.name[:2]
    by_cell = _seen_by_cell(run)
    evidence = []                          # (Num, how it binds), growing as the cells go by
    constants = [(numbers_in(text, skip_references=False)[0], why) for text, why in CONSTANTS.items()]
    allowed = constants + rules.allow
    findings, bound = [], []
    for cell in run.cells:
        if cell.type == "code":
            evidence += [(n, f"a literal in cell {cell.index}", False) for n in code_literals(cell.source)]
            for seen in by_cell.get(cell.index, ()):
                evidence += [(n, _where(seen, run), True) for n in numbers_in(seen.text)]
            continue
        if NAV_TAG in cell.tags:
            continue
        after, asserted = [], []           # the code cells right after: inputs they use, values they assert
        for nxt in run.cells[cell.index + 1:]:
            if nxt.type != "code":
                break
            after += [(n, f"a literal in cell {nxt.index}, right after", False) for n in input_literals(nxt.source)]
            asserted += [(n, f"an assert in cell {nxt.index}", False) for n in assert_literals(nxt.source)]
        for num, total in prose_claims(cell.source):
            if total is not None:          # a count: an assert holds it, or one text above shows it with its total
                how = next((h for n, h, _ in asserted if not n.decimals and n.value == num.value), None)
                how = how or next((_where(s, run) for c in range(cell.index) for s in by_cell.get(c, ())
                                   if any(n.value == num.value for n in numbers_in(s.text))
                                   and any(n.value == total for n in numbers_in(s.text))), None)
            else:
                how = next((h for n, h, printed in asserted + after + evidence if binds(num, n, printed)), None)
            if how is None and any(binds(num, n, printed=False) for n, _ in allowed):
                continue                   # stated on purpose: allowlisted, not counted as bound
            if how is not None:
                bound.append((cell.index, num, how))
                continue
            printed = [e for e in evidence if e[2] and e[0].sig >= 2]
            close = min(printed, key=lambda e: abs(e[0].as_share() - num.as_share()) / max(num.as_share(), 1e-12),
                        default=None)
            hint = f" (the nearest number shown above: {close[0].text}, {close[1]})" if close else ""
            what = f"'{num.text}'" + (f" of {total}" if total is not None else "")
            findings.append(Finding(lesson, "unbound", cell.id, num.text, cell.index, (
                f"lesson {lesson} cell {cell.index} (id {cell.id}): the prose states {what}, but no output above "
                f"it shows that number{hint}, and no assert in the code cells right after it holds it. Print it "
                f"above, assert it below, or (a constant stated on purpose) add an `allow` line with the reason "
                f"to {rules.path.relative_to(ROOT) if rules.path else 'tests/trust/NN.txt'}")))
    return findings, bound


def _answer_forms(entry):
    """(number, is_count) for a number answer; (phrases, choices) for a choice or a word."""
    answer = entry.value()
    if entry.kind in ("number", "share", "count"):
        return float(answer), entry.is_count, None
    if entry.kind == "choice":
        phrases = [answer] if distinctive(answer) else []
    elif entry.kind == "word":
        phrases = [a for a in ((answer,) if isinstance(answer, str) else tuple(answer)) if distinctive(a)]
    else:
        phrases = []                                   # yes / no: everywhere in any prose
    return None, False, phrases


def _visible_before(run, j, keys):
    """What the learner sees before running cell ``j`` (and cell ``j``'s own code): (kind, cell, text)."""
    by_cell = _seen_by_cell(run)
    for cell in run.cells[:j + 1]:
        if cell.type == "markdown" and NAV_TAG not in cell.tags:
            yield "markdown", cell.index, cell.source
        elif cell.type == "code":
            yield "code", cell.index, visible_code_text(cell.source, skip=set(keys))
            for text in expected_arguments(cell.source):
                yield "code", cell.index, text
            literals = assert_literals(cell.source)
            if literals:
                yield "code", cell.index, " ".join(n.text for n in literals)
            if cell.index < j:
                for seen in by_cell.get(cell.index, ()):
                    yield seen.kind, cell.index, seen.text


def leak_findings(run, rules, registry):
    """Every predict() answer visible before its predict() cell; ``registry`` maps key -> Prediction."""
    lesson = run.name[:2]
    findings, found = [], set()
    recalled = {(key, text) for key, text, _ in rules.recall}
    inputs = []
    for cell in run.cells:
        keys = predict_keys(cell.source) if cell.type == "code" else []
        for key in keys:
            entry = registry.get(key)
            if entry is None:
                continue                           # tests/test_prediction_scan.py names unregistered keys
            number, count, phrases = _answer_forms(entry)
            for kind, index, text in _visible_before(run, cell.index, keys):
                shown = []
                if number is not None:
                    nums = numbers_in(prose_text(text) if kind == "markdown" else text)
                    shown = [n.text for n in nums if shows_answer(n, number, count) and not any(
                        abs(i.as_share() - n.as_share()) <= n.half_unit / (100 if n.percent else 1) + 1e-12
                        for i in inputs)]
                elif phrases and sum(_phrase_in(c, text) for c in entry.choices) < 2:
                    shown = [p for p in phrases if _phrase_in(p, text)]
                for text_shown in dict.fromkeys(shown):
                    source = run.cells[index]
                    what = f"{key} | {kind} | {text_shown}"
                    if (key, text_shown) in recalled or (source.id, what) in found:
                        continue
                    found.add((source.id, what))
                    place = {"markdown": "in the markdown of", "code": "in the code (comments, strings, "
                             "expected=, asserts) of", "output": "in the output of", "widget":
                             "in a dashboard readout after", "figure": "in a figure's text drawn by"}[kind]
                    findings.append(Finding(lesson, "leak", source.id, what, index, (
                        f"lesson {lesson}: the answer to {key} ({entry.question}) is {_shown_answer(entry)}, "
                        f"and '{text_shown}' shows it {place} cell {index} (id {source.id}), before its predict() "
                        f"in cell {cell.index}. Move the prediction above it, or reword what shows the answer; an "
                        f"answer recalled on purpose gets a `recall` line with the reason in "
                        f"{rules.path.relative_to(ROOT) if rules.path else 'tests/trust/NN.txt'}")))
        if cell.type == "code":
            inputs += input_literals(cell.source)
    return findings


def _shown_answer(entry):
    from softmax_lab.exercises.predict import shown_answer

    return shown_answer(entry)


def prompt_cells(run):
    """The markdown cells holding a "Predict first" prompt, with how many prompts each holds."""
    return [(c, c.source.count(PROMPT)) for c in _markdown_cells(run) if PROMPT in c.source]


def prompt_findings(run):
    """A prompt with no predict() call before the next prompt (or the end of the lesson)."""
    lesson = run.name[:2]
    prompts = [c for c, _ in prompt_cells(run)]
    findings = []
    for n, cell in enumerate(prompts):
        end = prompts[n + 1].index if n + 1 < len(prompts) else len(run.cells)
        if not any(c.type == "code" and predict_keys(c.source) for c in run.cells[cell.index + 1:end]):
            findings.append(Finding(lesson, "no-predict", cell.id, "", cell.index, (
                f"lesson {lesson} cell {cell.index} (id {cell.id}): a \"Predict first\" prompt with no predict() "
                f"call after it: add a cell `my_prediction = None` + `predict(\"{lesson}.some-key\", my_prediction)` "
                f"and register the answer in softmax_lab.exercises")))
    return findings


@dataclass
class Report:
    """Everything the scan found in one lesson."""

    lesson: str
    findings: list
    bound: list
    prompts: int
    rules: Rules

    @property
    def new(self):
        return [f for f in self.findings if f.key not in self.rules.known]

    @property
    def gone(self):
        now = {f.key for f in self.findings}
        return sorted(k for k in self.rules.known if k not in now)

    def counts(self):
        return {"bound numbers": len(self.bound), "prompts": self.prompts}


def registry():
    """Every registered prediction, by key (importing the exercises registers them)."""
    import softmax_lab.exercises  # noqa: F401  (registers the lessons' predictions)
    from softmax_lab.exercises.predict import registered_predictions

    return {p.key: p for p in registered_predictions()}


def scan(run, rules=None, predictions=None):
    """All three checks on one executed lesson; ``rules`` default to the lesson's tests/trust file."""
    rules = rules if rules is not None else read_rules(run.name[:2])
    predictions = predictions if predictions is not None else registry()
    numbers, bound = number_findings(run, rules)
    findings = numbers + leak_findings(run, rules, predictions) + prompt_findings(run)
    prompts = sum(n for _, n in prompt_cells(run))
    return Report(run.name[:2], findings, bound, prompts, rules)


HEADER = """\
# Lesson {lesson}: what the trust scan accepts today (tools/lesson_scan.py; CONTRIBUTING.md, "Numbers and
# predictions"). `python tools/lesson_scan.py {lesson}` shows the findings with their cells. One entry a line:
#   floor | NAME | N                  a count that may rise and never fall (raise it when you bind more)
#   allow | NUMBER | why              a number stated on purpose (a paper's figure, a constant), with the reason
#   recall | KEY | TEXT | why         an answer shown before its predict() on purpose, with the reason
#   known | KIND | CELL-ID [| WHAT]   a finding accepted for now. Delete the line when you fix it; never add one:
#                                     the test fails on a finding not listed here and on a line that no longer occurs
"""


def problems(report, kinds=("unbound", "leak", "no-predict"), floors=True):
    """What keeps ``report`` from passing: new findings, known lines that no longer occur, floors.

    Each problem is a message a lesson's author can act on (cell index and id, the number or the
    answer, where it was seen, what to do).
    """
    where = report.rules.path.relative_to(ROOT) if report.rules.path else "tests/trust/NN.txt"
    found = [f.message for f in report.new if f.kind in kinds]
    found += [f"lesson {report.lesson}: `known | {kind} | {cell_id}" + (f" | {what}" if what else "")
              + f"` no longer occurs: fixed, well done; delete that line from {where}"
              for kind, cell_id, what in report.gone if kind in kinds]
    if floors:
        for name, value in report.counts().items():
            floor = report.rules.floors.get(name)
            if floor is None:
                found.append(f"lesson {report.lesson}: {where} has no `floor | {name} | N` line (today: {value})")
            elif value < floor:
                found.append(f"lesson {report.lesson}: {value} {name}, fewer than the floor of {floor} in {where}: "
                             f"a number or a prompt was removed instead of fixed (bind or ask it again)")
    return found


def baseline_text(report):
    """The lesson's tests/trust file that accepts today's findings (keeping its allow and recall lines)."""
    lines = [HEADER.format(lesson=report.lesson).rstrip("\n")]
    lines += [f"floor | {name} | {value}" for name, value in report.counts().items()]
    lines += [f"allow | {num.text} | {why}" for num, why in report.rules.allow]
    lines += [f"recall | {key} | {text} | {why}" for key, text, why in report.rules.recall]
    lines += [f.line() for f in sorted(report.findings, key=lambda f: (f.index, f.kind, f.what))]
    return "\n".join(lines) + "\n"


def main(argv=None):
    """``python tools/lesson_scan.py [--baseline] [NN ...]``: scan lessons, print findings and counts."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from lesson_run import run_lesson

    from softmax_lab.lessons import LESSONS

    argv = sys.argv[1:] if argv is None else argv
    baseline = "--baseline" in argv
    wanted = [a for a in argv if not a.startswith("--")]
    status = 0
    for lesson in LESSONS:
        if wanted and lesson.number not in wanted:
            continue
        report = scan(run_lesson(ROOT / "notebooks" / lesson.file))
        counts = report.counts()
        if baseline:
            print(baseline_text(report))
            continue
        print(f"lesson {lesson.number}: {counts['bound numbers']} bound numbers, {counts['prompts']} prompts, "
              f"{len(report.findings)} findings ({len(report.new)} new, {len(report.gone)} known but gone)")
        for f in sorted(report.findings, key=lambda f: f.index):
            print("  " + ("NEW    " if f in report.new else "known  ") + f.message)
        trouble = problems(report)
        for message in trouble:
            if "no longer occurs" in message or "floor" in message:
                print("  " + message)
        status |= bool(trouble)
    return status


if __name__ == "__main__":
    sys.exit(main())
