"""Run a lesson once, cell by cell, and record what a learner sees after each cell.

:func:`run_lesson` executes a notebook in a fresh kernel (this Python's own ``python3`` kernel) and
returns a :class:`LessonRun`: the cells as written, and everything that became visible while each
cell ran:

* ``output``: the text a cell printed or displayed (for a rich output, the text form a notebook
  renders: markdown or HTML with its tags removed; a widget's or an image's plain-text stand-in is
  not shown to anyone and is skipped);
* ``widget``: the string values of every live widget, walked in the kernel after each cell (labels,
  HTML readouts, text boxes, the readout of each slider as its format prints it, the selected label
  of menus and toggles, button captions, an ``Output`` widget's appended text); a text is recorded
  once, after the first cell that made it visible, so a readout changed by a later cell is seen
  again with its new value;
* ``figure``: the texts of every matplotlib figure drawn while the cell ran (titles, axis labels,
  annotations, legend entries, and tick labels that are words, not numbers on a scale), caught by a
  hook on ``Figure.draw``. The kernel runs with ``SOFTMAX_LAB_FIGURES=png``, so every dashboard
  renders its figure through that hook after every change.

It is the one run that ``tools/lesson_scan.py`` (numbers bound to computation, no answer before its
prediction) reads; ``python tools/lesson_scan.py NN`` shows what it found for lesson NN.
"""

import ast
import html
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Installed in the kernel before the lesson's first cell. Names start with `_trust_` so that no
# lesson can collide with them; nothing here prints, so the lesson's outputs are unchanged.
_PROBE = r'''
def _trust_install():
    import html as _html
    import json as _json
    import re as _re

    import matplotlib.figure as _mfig

    drawn = []        # texts of the figures drawn since the last probe
    seen = set()      # (widget id, where, text) already reported

    def figure_texts(fig):
        texts = [t.get_text() for t in fig.texts if t.get_visible()]
        for name in ("_suptitle", "_supxlabel", "_supylabel"):
            t = getattr(fig, name, None)
            if t is not None and t.get_visible():
                texts.append(t.get_text())
        for leg in fig.legends:
            texts += [t.get_text() for t in leg.get_texts()]
        for ax in fig.axes:
            if not ax.get_visible():
                continue
            texts += [ax.get_title(loc) for loc in ("left", "center", "right")]
            texts += [ax.xaxis.label.get_text(), ax.yaxis.label.get_text()]
            texts += [t.get_text() for t in ax.texts if t.get_visible()]
            leg = ax.get_legend()
            if leg is not None:
                texts += [t.get_text() for t in leg.get_texts()] + [leg.get_title().get_text()]
            for tick in ax.get_xticklabels() + ax.get_yticklabels():
                text = tick.get_text()
                if tick.get_visible() and _re.search(r"[A-Za-z]{2}", text):   # words, not a scale
                    texts.append(text)
        return [t for t in texts if t and t.strip()]

    original = _mfig.Figure.draw

    def draw(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        try:
            drawn.extend(figure_texts(self))
        except Exception as exc:                # the hook must never break a lesson; say why instead
            drawn.append(f"(figure texts unreadable: {exc!r})")
        return result

    draw.__dict__.update(original.__dict__)
    _mfig.Figure.draw = draw

    def readout(w):
        value, fmt = w.value, getattr(w, "readout_format", None) or ""
        fmt = fmt.replace("~", "")              # d3's "trim zeros" flag; Python's format has none
        values = value if isinstance(value, (tuple, list)) else [value]
        try:
            return " - ".join(format(v, fmt) for v in values)
        except (TypeError, ValueError):
            return " - ".join(str(v) for v in values)

    def widget_texts(w):
        found = []
        traits = w.trait_names()
        value = getattr(w, "value", None)
        if "value" in traits and isinstance(value, str):
            text = _html.unescape(_re.sub(r"<[^>]+>", " ", value)) if "HTML" in type(w).__name__ else value
            found.append(("value", text))
        elif "readout" in traits and getattr(w, "readout", False):
            found.append(("readout", readout(w)))
        if "label" in traits and isinstance(getattr(w, "label", None), str):
            found.append(("selected", w.label))
        if "description" in traits and isinstance(getattr(w, "description", None), str):
            found.append(("description", w.description))
        for out in getattr(w, "outputs", ()) if "outputs" in traits else ():
            if out.get("output_type") == "stream":
                found.append(("output", out.get("text", "")))
            else:
                data = out.get("data", {})
                if "text/plain" in data and "image/png" not in data:
                    found.append(("output", data["text/plain"]))
        return [(where, text) for where, text in found if text and text.strip()]

    def probe():
        try:
            from ipywidgets.widgets.widget import _instances
        except ImportError:
            _instances = {}
        # a dashboard may repaint only the artists that changed (no Figure.draw): read its figure too
        for w in list(_instances.values()):
            fig = w.__dict__.get("figure")
            if isinstance(fig, _mfig.Figure):
                try:
                    drawn.extend(figure_texts(fig))
                except Exception as exc:
                    drawn.append(f"(figure texts unreadable: {exc!r})")
        report = {"figures": [t for t in dict.fromkeys(drawn) if ("figure", t) not in seen], "widgets": []}
        seen.update(("figure", t) for t in report["figures"])
        drawn.clear()
        for model_id, w in list(_instances.items()):
            try:
                texts = widget_texts(w)
            except Exception as exc:
                texts = [("unreadable", repr(exc))]
            for where, text in texts:
                if (model_id, where, text) not in seen:
                    seen.add((model_id, where, text))
                    report["widgets"].append([f"{type(w).__name__} {where}", text])
        return _json.dumps(report)

    return probe


_trust_probe = _trust_install()
del _trust_install
'''


@dataclass
class Cell:
    """One cell as written: its index in the notebook, id, type, source and tags."""

    index: int
    id: str
    type: str
    source: str
    tags: tuple = ()

    @property
    def ignored_output(self):
        """A cell whose output differs between machines (versions, timings): nbval's marker."""
        return self.type == "code" and "NBVAL_IGNORE_OUTPUT" in self.source


@dataclass
class Seen:
    """A text a learner sees: which cell made it visible, how (output, widget, figure), and where."""

    cell: int
    kind: str
    text: str
    where: str = ""


@dataclass
class LessonRun:
    """A lesson's cells and what running it showed; ``seen`` is in the order it appeared."""

    name: str
    cells: list
    seen: list = field(default_factory=list)
    seconds: float = 0.0


def read_cells(path):
    """The cells of notebook ``path`` as :class:`Cell` objects."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = []
    for i, c in enumerate(nb["cells"]):
        src = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        tags = tuple(c.get("metadata", {}).get("tags", []))
        cells.append(Cell(i, c.get("id", f"cell-{i}"), c["cell_type"], src, tags))
    return cells


def _rendered_text(data):
    """The text a notebook shows for a display's mime bundle ('' for pictures and widget views)."""
    if "application/vnd.jupyter.widget-view+json" in data or "image/png" in data or "image/svg+xml" in data:
        return ""
    for mime in ("text/markdown", "text/latex", "text/plain"):
        if mime in data:
            return data[mime]
    if "text/html" in data:
        return html.unescape(re.sub(r"<[^>]+>", " ", data["text/html"]))
    return ""


class LessonError(RuntimeError):
    """A cell of the lesson raised: the scan needs a lesson that runs top to bottom."""


def run_lesson(path, timeout=300):
    """Execute notebook ``path`` top to bottom in a fresh kernel; return its :class:`LessonRun`.

    Raises
    ------
    LessonError
        When a cell raises (with the cell's index and the error).
    """
    from jupyter_client.manager import start_new_kernel

    path = Path(path)
    cells = read_cells(path)
    run = LessonRun(path.name, cells)
    env = dict(os.environ, SOFTMAX_LAB_FIGURES="png", PYDEVD_DISABLE_FILE_VALIDATION="1")
    start = time.perf_counter()
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(path.parent), env=env)
    try:
        _execute(kc, _PROBE, timeout, silent=True)
        for cell in cells:
            if cell.type != "code":
                continue
            outputs = []
            reply = kc.execute_interactive(cell.source, timeout=timeout, output_hook=outputs.append,
                                           allow_stdin=False, stop_on_error=True)
            for msg in outputs:
                kind, content = msg["header"]["msg_type"], msg["content"]
                if kind == "stream":
                    run.seen.append(Seen(cell.index, "output", content["text"], content["name"]))
                elif kind in ("execute_result", "display_data", "update_display_data"):
                    text = _rendered_text(content.get("data", {}))
                    if text.strip():
                        run.seen.append(Seen(cell.index, "output", text, kind))
                elif kind == "error":
                    raise LessonError(f"{path.name} cell {cell.index} raised {content['ename']}: {content['evalue']}")
            if reply["content"]["status"] != "ok":
                raise LessonError(f"{path.name} cell {cell.index} did not run: {reply['content'].get('evalue', '')}")
            probe = _execute(kc, "", timeout, silent=True, user_expressions={"seen": "_trust_probe()"})
            report = json.loads(ast.literal_eval(probe["seen"]["data"]["text/plain"]))
            run.seen += [Seen(cell.index, "figure", text, "figure") for text in report["figures"]]
            run.seen += [Seen(cell.index, "widget", text, where) for where, text in report["widgets"]]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    run.seconds = time.perf_counter() - start
    return run


def _execute(kc, code, timeout, **kwargs):
    reply = kc.execute_interactive(code, timeout=timeout, allow_stdin=False, **kwargs)
    content = reply["content"]
    if content["status"] != "ok":
        raise LessonError(f"the scan's own probe failed in the kernel: {content.get('evalue', '')}")
    for name, value in content.get("user_expressions", {}).items():
        if value.get("status") != "ok":
            raise LessonError(f"the scan's probe {name} failed in the kernel: {value.get('evalue', '')}")
    return content.get("user_expressions", {})
