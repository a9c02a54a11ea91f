"""Benchmark what a learner feels: key press on a slider -> new pixels, in JupyterLab in Chromium.

Every dashboard factory of ``softmax_lab.widgets.__all__`` (found as the contract tests find
them, tests/widget_helpers.py, with the same arguments), with the default figure path (PNG
images; ``--modes png,canvas`` adds the opt-in live canvas), plus two reference points, all in
one notebook in one kernel, measured in a real browser:

``press``
    ArrowRight on the first slider (ArrowLeft when it sits at its maximum), 15 times, one at a
    time. The page records the ``keydown`` time and polls with ``requestAnimationFrame``; the
    latency is the time to the first animation frame in which the figure's pixels differ (the
    PNG ``<img>``'s source once decoded, a canvas' pixel data, or the HTML text). Median and
    90th percentile.
``drag``
    30 key presses about 16 ms apart (a continuous drag), then the time from the last press to
    the last change of the figure, i.e. until it shows the final value ("settle").

Per press, the kernel->browser websocket messages are counted too (``msgs``: comm messages of
the figure and widgets, without the kernel's busy/idle status) with the bytes of image data they
carried (``img kB``), the time until the image message arrived (``msg@``) and the kernel's share
of it (``busy``: from its first reply to the image).

The reference points, measured in the same run:

``ref-html``     a slider whose callback only sets an HTML widget: the widget round trip, the
                 floor of anything a callback shows;
``ref-output``   a minimal figure (one bar, 700 x 360 pixels) shown as the dashboards show theirs:
                 ``plots.redraw`` into an ``Output`` widget. The floor of the PNG path.

Every row is printed as a RATIO to the HTML round trip too (``x html``). Targets (issue 18):
median <= 50 ms and p90 <= 80 ms for every dashboard, a drag settling within 150 ms of its last
event. They are aims, not tests: the machine is shared and timings drift by 20-30 % from run to
run; the table says which dashboards miss in this run.

It reuses the browser-test machinery (tests/browser/conftest.py: isolated JupyterLab server on
127.0.0.1, Debian's Chromium through Playwright). A full run takes about 5 minutes.

Usage::

    python benchmarks/bench_browser.py                       # everything
    python benchmarks/bench_browser.py logit reliability     # cases whose name contains a word
    python benchmarks/bench_browser.py --modes png,canvas --presses 9

Without Chromium or Playwright it prints why and exits 0 (as the browser tests skip).
"""

import argparse
import statistics
import struct
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))   # the browser tests' helpers, as pytest imports them

import nbformat  # noqa: E402
from browser import conftest as harness  # noqa: E402
from browser.test_lab import open_notebook, run_all_cells  # noqa: E402

BENCH_NOTEBOOK = "zz_bench_browser.ipynb"

SETUP = f"""\
import sys
sys.path.insert(0, {str(REPO / "tests")!r})
import base64
import ipywidgets as widgets
from softmax_lab import plots, widgets as W
from widget_helpers import build          # every factory, with the arguments the tests give it

def case(name, box):
    box.add_class("bench-" + name)
    return box
"""

REFERENCES = {
    "ref-html": """\
s = widgets.FloatSlider(value=0.0, min=-10, max=10, step=0.1)
h = widgets.HTML("0.00")
s.observe(lambda c: setattr(h, "value", f"{c.new:.2f}"), names="value")
case("ref-html", widgets.VBox([s, h]))""",
    "ref-output": """\
s2 = widgets.FloatSlider(value=0.5, min=0, max=1, step=0.01)
fig2, ax2 = plots.new_figure(size=(7.0, 3.6))
(bar2,) = ax2.bar([0], [0.5])
ax2.set_ylim(0, 1)
plots.animate(fig2, bar2)
out2 = widgets.Output()
plots.attach_png_viewer(fig2, lambda png: setattr(out2, "outputs", ({
    "output_type": "display_data", "metadata": {},
    "data": {"image/png": base64.b64encode(png).decode(), "text/plain": "<figure>"}},)))
plots.redraw(fig2)
def on_change2(c):
    bar2.set_height(c.new)
    plots.redraw(fig2)
s2.observe(on_change2, names="value")
case("ref-output", widgets.VBox([s2, out2]))""",
}


def dashboard_names():
    """Every dashboard factory, found as the contract tests find them."""
    from widget_helpers import FACTORIES

    return sorted(FACTORIES)


# Floors of the browser itself: the time from setting an <img>'s src to a PNG blob URL until it
# has loaded, for a small image and a whole figure; and the interval between animation frames.
BROWSER_FLOORS_JS = r"""
async () => {
  const median = xs => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  async function load(width, height, busy) {
    const c = document.createElement('canvas');
    c.width = width; c.height = height;
    const g = c.getContext('2d');
    g.fillStyle = 'white'; g.fillRect(0, 0, width, height);
    for (let i = 0; busy && i < 200; i++) {          // some coloured boxes: a figure-like PNG
      g.fillStyle = `hsl(${i * 7}, 60%, 50%)`;
      g.fillRect((i * 37) % width, (i * 53) % height, 30, 12);
    }
    const bytes = new Uint8Array(await (await new Promise(r => c.toBlob(r, 'image/png'))).arrayBuffer());
    const times = [];
    for (let i = 0; i < 9; i++) {    // a new Blob from the bytes each time, as a frame arrives
      const blob = new Blob([bytes], {type: 'image/png'});
      const url = URL.createObjectURL(blob), img = new Image();
      const t = performance.now();
      await new Promise(r => { img.onload = r; img.src = url; });
      times.push(performance.now() - t);
      URL.revokeObjectURL(url);
    }
    return [median(times), bytes.length];
  }
  const frames = await new Promise(r => {
    const ts = [];
    const f = t => { ts.push(t); if (ts.length < 31) requestAnimationFrame(f); else r(ts); };
    requestAnimationFrame(f);
  });
  const gaps = frames.slice(1).map((t, i) => t - frames[i]);
  return {small: await load(700, 360, false), whole: await load(800, 600, true), frame: median(gaps)};
}
"""

# In the page: poll every animation frame for a change of the case's figure; record key presses.
PAGE_JS = r"""
() => {
  if (window.__bench) return;
  const B = window.__bench = {root: null, kind: null, sig: null, keys: [], changes: [], running: false};
  function hashPixels(c) {
    if (!c.width || !c.height) return null;
    const d = new Uint32Array(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.buffer);
    let h = 2166136261 >>> 0, h2 = 0;
    for (let i = 0; i < d.length; i++) { h = Math.imul(h ^ d[i], 16777619); h2 = (h2 + d[i] * (i + 1)) | 0; }
    return c.width + 'x' + c.height + ':' + (h >>> 0) + ':' + h2;
  }
  // Reading a canvas' pixels back costs a few ms: they are read only after something was drawn
  // on the figure's canvas (drawImage/clearRect/putImageData on it mark it), not on every frame.
  B.canvas = null; B.drawn = true;
  const ctx = CanvasRenderingContext2D.prototype;
  for (const name of ['drawImage', 'clearRect', 'putImageData', 'fillRect']) {
    const native = ctx[name];
    ctx[name] = function (...args) { if (this.canvas === B.canvas) B.drawn = true; return native.apply(this, args); };
  }
  B.signature = () => {
    const r = B.root;
    if (!r) return null;
    if (B.kind === 'canvas') {
      const c = r.querySelector('.jupyter-matplotlib-figure canvas');
      if (c !== B.canvas) { B.canvas = c; B.drawn = true; }
      if (!c) return null;
      if (!B.drawn) return B.sig;
      B.drawn = false;
      return hashPixels(c);
    }
    if (B.kind === 'html') {
      const e = r.querySelector('.widget-html-content');
      return e ? e.textContent : null;
    }
    const img = r.querySelector('.widget-output img');
    return img && img.complete && img.naturalWidth > 0 ? img.src.length + ':' + img.src.slice(-200) : null;
  };
  function frame() {
    if (!B.running) return;
    const s = B.signature();
    if (s !== null && s !== B.sig) { B.changes.push(performance.now()); B.sig = s; }
    requestAnimationFrame(frame);
  }
  document.addEventListener('keydown', e => {
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') B.keys.push(performance.now());
  }, true);
  B.watch = (selector, kind) => {
    B.root = document.querySelector(selector); B.kind = kind;
    B.sig = B.signature(); B.keys = []; B.changes = [];
    if (!B.running) { B.running = true; requestAnimationFrame(frame); }
    return B.sig !== null;
  };
  B.reset = () => { B.sig = B.signature(); B.keys = []; B.changes = []; };
  B.stop = () => { B.running = false; };
  B.quiet = (ms) => {
    const last = Math.max(B.keys.length ? B.keys[B.keys.length - 1] : 0,
                          B.changes.length ? B.changes[B.changes.length - 1] : 0);
    return B.changes.length > 0 && performance.now() - last > ms;
  };
}
"""


# Before JupyterLab loads: note when each websocket message reaches the page (and its size), so
# that a press can be split into "until the image message arrived" and "drawing it".
WS_TIMES_JS = r"""
(() => {
  const Native = window.WebSocket;
  window.__wsLog = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', e => {
        const size = typeof e.data === 'string' ? e.data.length : (e.data.byteLength || e.data.size || 0);
        window.__wsLog.push([performance.now(), size]);
        if (window.__wsLog.length > 5000) window.__wsLog.splice(0, 2500);
      });
    }
  };
})();
"""


class MessageCounter:
    """Counts the kernel->browser messages on the page's kernel websockets (JupyterLab 4's
    v1.kernel.websocket.jupyter.org framing: offsets, then channel, header, ..., buffers)."""

    def __init__(self, page):
        self.reset()
        page.on("websocket", lambda ws: ws.on("framereceived", self._on_frame))

    def reset(self):
        self.comm, self.other, self.image_bytes, self.images, self.log = 0, 0, 0, 0, []

    def _on_frame(self, payload):
        if isinstance(payload, str):
            self.other += 1
            return
        try:
            (count,) = struct.unpack_from("<Q", payload, 0)
            offsets = list(struct.unpack_from(f"<{count}Q", payload, 8))
            parts = [payload[a:b] for a, b in zip(offsets, offsets[1:] + [len(payload)])]
            channel, header, content = parts[0].decode(), parts[1].decode(), parts[4]
        except (struct.error, UnicodeDecodeError, IndexError):
            self.other += 1
            return
        if channel == "iopub" and '"comm_msg"' in header:
            self.comm += 1
            buffers = sum(len(p) for p in parts[5:])        # binary buffers: ipympl frames
            if b"image/png" in content:                      # a PNG inside an Output widget's state
                buffers += len(content)
            self.image_bytes += buffers
            self.images += buffers > 0
            self.log.append(f"{_describe(content)} {buffers / 1000:.1f} kB" if buffers else _describe(content))
        elif '"status"' not in header:
            self.other += 1


def _describe(content):
    """A short summary of a comm message: its method and state keys, or its custom type."""
    import json

    try:
        data = json.loads(content)["data"]
    except (ValueError, KeyError):
        return "?"
    method = data.get("method", "?")
    if method in ("update", "echo_update"):
        return f"{method}{sorted(data.get('state', {}))}"
    if method == "custom":
        inner = data.get("content", {}).get("data", "")
        try:
            return "custom:" + json.loads(inner).get("type", "?")
        except (ValueError, AttributeError):
            return "custom"
    return method


# Dashboards whose first slider is locked until a step of their own: the step, run before measuring.
# (The classroom app keeps its temperature slider disabled until the teacher reveals the answer.)
UNLOCK = {"classroom": ".reveal()"}


def build_notebook(cases, path):
    cells = [nbformat.v4.new_code_cell(SETUP)]
    for name, mode in cases:
        if mode is None:
            cells.append(nbformat.v4.new_code_cell(REFERENCES[name]))
        else:
            unlock = f"\n_d{UNLOCK[name]}" if name in UNLOCK else ""
            cells.append(nbformat.v4.new_code_cell(
                f'W.setup_figures("{mode}")\n_d = build("{name}"){unlock}\ncase("{name}-{mode}", _d)'))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)


def percentile(values, q):
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def slider_room(handle):
    now, lo, hi = (float(handle.get_attribute(a)) for a in ("aria-valuenow", "aria-valuemin", "aria-valuemax"))
    return now - lo, hi - now


def wait_quiet(page, quiet_ms, timeout_s):
    """Wait until the figure changed and then stayed still for ``quiet_ms``; False on timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if page.evaluate(f"window.__bench.quiet({quiet_ms})"):
            return True
        time.sleep(0.03)
    return False


def measure_case(page, counter, selector, kind, presses, drag_presses, trace=False):
    root = page.locator(selector)
    root.scroll_into_view_if_needed()
    handle = root.locator(".widget-slider .noUi-handle").first
    handle.click()
    page.mouse.move(0, 0)      # no hover effects over the figure
    if not page.evaluate(f"window.__bench.watch({selector!r}, {kind!r})"):
        page.wait_for_function("window.__bench.reset() || window.__bench.sig !== null", timeout=10000)
    latencies, messages, image_kb, to_image, in_kernel, misses = [], [], [], [], [], 0
    for _ in range(presses):
        page.evaluate("window.__bench.reset()")
        counter.reset()
        below, above = slider_room(handle)
        handle.press("ArrowRight" if above > 1e-9 else "ArrowLeft")
        if not wait_quiet(page, 150, 5.0):
            misses += 1
            continue
        keys, changes, ws = page.evaluate("[window.__bench.keys, window.__bench.changes, window.__wsLog]")
        latencies.append(changes[0] - keys[0])
        window = [(t, size) for t, size in ws if keys[0] <= t <= changes[0]]
        if window:     # the largest message before the change: the image (or the HTML update)
            arrived = max(window, key=lambda m: m[1])[0]
            to_image.append(arrived - keys[0])
            in_kernel.append(arrived - window[0][0])     # from the kernel's first reply ("busy")
        messages.append(counter.comm)
        image_kb.append(counter.image_bytes / 1000)
        if trace and len(latencies) == 2:
            print(f"  {selector} press 2, {latencies[-1]:.0f} ms: " + "; ".join(counter.log), flush=True)
    # the drag: many presses, about one per frame, towards the side with more room
    page.evaluate("window.__bench.reset()")
    below, above = slider_room(handle)
    key = "ArrowRight" if above >= below else "ArrowLeft"
    counter.reset()
    for _ in range(drag_presses):
        handle.press(key)
        time.sleep(0.016)
    settle = drag_msgs = None
    if wait_quiet(page, 400, 10.0):
        keys, changes = page.evaluate("[window.__bench.keys, window.__bench.changes]")
        settle = changes[-1] - keys[-1]
        if settle < 0:          # the slider reached its end before the last presses: nothing to settle
            settle = None
        drag_msgs = counter.images if kind != "html" else None
    return {
        "latencies": latencies, "misses": misses, "settle": settle,
        "msgs": statistics.median(messages) if messages else None,
        "image_kb": statistics.median(image_kb) if image_kb else None,
        "drag_msgs": drag_msgs,
        "to_image": statistics.median(to_image) if to_image else None,
        "in_kernel": statistics.median(in_kernel) if in_kernel else None,
    }


def kind_of(name, mode):
    return {"ref-html": "html", "ref-output": "png"}.get(name, mode)


def label_of(name, mode):
    return name if mode is None else f"{name}-{mode}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("only", nargs="*", help="run only the cases whose name contains one of these words")
    parser.add_argument("--modes", default="png", help="figure modes, comma-separated (default png; canvas too)")
    parser.add_argument("--presses", type=int, default=15, help="single key presses per case (default 15)")
    parser.add_argument("--drag", type=int, default=30, help="key presses in the drag (default 30)")
    parser.add_argument("--trace", action="store_true", help="list the messages of one press per case")
    parser.add_argument("--rounds", type=int, default=None, help="ignored (run_all.py passes it to every script)")
    args = parser.parse_args(argv)

    reason = harness.browser_unavailable_reason()
    if reason:
        print(f"bench_browser: skipped: {reason}")
        return 0
    modes = [m for m in args.modes.split(",") if m]
    cases = [(name, None) for name in REFERENCES]
    cases += [(name, mode) for mode in modes for name in dashboard_names()]
    if args.only:
        cases = [c for c in cases if any(w in label_of(*c) for w in args.only) or c[0] == "ref-html"]

    started = time.monotonic()
    results, browser_floors = {}, None
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        tmp = Path(tmp)
        with harness.launch_browser(tmp / "profile") as browser:
            server = harness.start_lab(tmp / "lab")
            try:
                build_notebook(cases, server.notebooks / BENCH_NOTEBOOK)
                page = server.page = browser.new_page()
                page.add_init_script(WS_TIMES_JS)
                counter = MessageCounter(page)
                page.goto(f"{server.url}/lab?reset&token={server.token}")
                page.get_by_role("menuitem", name="File", exact=True).wait_for()
                open_notebook(page, BENCH_NOTEBOOK)
                run_all_cells(page)
                harness.wait_widgets_rendered(page)
                page.evaluate(PAGE_JS)
                print(f"set-up (server, browser, {len(cases)} cases run): {time.monotonic() - started:.0f} s",
                      flush=True)
                for name, mode in cases:
                    label = label_of(name, mode)
                    results[label] = measure_case(page, counter, f".bench-{label}", kind_of(name, mode),
                                                  args.presses, args.drag, args.trace)
                    print_row(label, results[label], results.get("ref-html"))
                page.evaluate("window.__bench.stop()")
                browser_floors = page.evaluate(BROWSER_FLOORS_JS)
            finally:
                harness.stop_lab(server)
    print_summary(results, browser_floors)
    print(f"total: {time.monotonic() - started:.0f} s")
    return 0


TARGET = (50.0, 80.0)          # median, p90 (ms), for every dashboard in every mode
SETTLE_TARGET = 150.0


def stats(result):
    lat = result["latencies"]
    if not lat:
        return None, None
    return statistics.median(lat), percentile(lat, 0.9)


def print_row(label, result, reference):
    med, p90 = stats(result)
    ref_med = stats(reference)[0] if reference else None
    if med is None:
        print(f"{label:<30} no change seen after any press", flush=True)
        return
    ratio = f"{med / ref_med:5.2f}x" if ref_med else "    -"
    settle = "    -" if result["settle"] is None else f"{result['settle']:5.0f}"
    frames = "  -" if result["drag_msgs"] is None else f"{result['drag_msgs']:3d}"
    verdict = ""
    if not label.startswith("ref-"):
        ok = med <= TARGET[0] and p90 <= TARGET[1]
        verdict = ("ok" if ok else "MISSES") + ("" if result["settle"] is None or result["settle"] <= SETTLE_TARGET
                                                else ", drag over")
    misses = f" ({result['misses']} presses unseen)" if result["misses"] else ""
    arrived = "    -" if result["to_image"] is None else f"{result['to_image']:5.0f}"
    kernel = "    -" if result["in_kernel"] is None else f"{result['in_kernel']:5.0f}"
    print(f"{label:<30} {med:6.0f} {p90:6.0f}  {ratio}   {settle}  {frames}  {arrived}  {kernel}  "
          f"{result['msgs'] if result['msgs'] is not None else '-':>4}  {result['image_kb'] or 0:7.1f}  "
          f"{verdict}{misses}", flush=True)


def print_summary(results, browser_floors=None):
    print(f"\nlatency, key press -> changed pixels (ms), median and p90 of the presses; target: median <= "
          f"{TARGET[0]:.0f}, p90 <= {TARGET[1]:.0f};")
    print("x html = median / the HTML round trip's median (ref-html, same run); settle = last drag press -> last")
    print("change (ms; - when the slider reached its end during the drag); img = images the kernel sent for the")
    print("30 presses of the drag (fewer than 30: ipywidgets' front end sends only the latest value while one is")
    print("in flight); msg@ = press -> arrival of the largest message (the image); busy = the kernel's first")
    print("message (status busy) -> the image's arrival: the kernel's work; msgs = comm messages per press;")
    print("img kB = image bytes per press (base64 in an Output)")
    print(f"{'case':<30} {'median':>6} {'p90':>6}  {'x html':>6}  {'settle':>6}  {'img':>3}  {'msg@':>5}  "
          f"{'busy':>5}  {'msgs':>4}  {'img kB':>7}  target")
    for label, result in results.items():
        print_row(label, result, results.get("ref-html"))
    missed = [label for label, r in results.items() if not label.startswith("ref-")   # no change seen: missed
              and (not r["latencies"] or stats(r)[0] > TARGET[0] or stats(r)[1] > TARGET[1])]
    measured = [label for label in results if not label.startswith("ref-")]
    print(f"\n{len(measured) - len(missed)} of {len(measured)} dashboards meet the target in this run"
          + (f"; missing: {', '.join(missed)}" if missed else ""))
    if browser_floors:
        (small_ms, small_size), (whole_ms, whole_size) = browser_floors["small"], browser_floors["whole"]
        print(f"\nChromium, <img> from a PNG blob URL until loaded: {small_ms:.1f} ms (700x360, {small_size} B), "
              f"{whole_ms:.1f} ms (800x600, {whole_size} B); one animation frame every "
              f"{browser_floors['frame']:.1f} ms")


if __name__ == "__main__":
    sys.exit(main())
