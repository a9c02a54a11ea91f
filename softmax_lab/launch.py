"""``softmax-lab [DIR]``: copy the lessons into a folder of your own and open the first one.

The command the package installs (``[project.scripts]`` in ``pyproject.toml``). It works the
same from a wheel, from ``pipx run`` / ``uvx`` and from a clone (``make lab`` calls it)::

    softmax-lab                    # ./softmax-lab, JupyterLab on lesson 00
    softmax-lab my-course --notebook       # Jupyter Notebook 7 instead
    softmax-lab --classroom        # the classroom app (Voila), for a projector
    softmax-lab --no-browser --port 8890   # print the address instead of opening a browser

What it does, in order:

1. **Copies the lessons** (the notebooks shipped in :mod:`softmax_lab.notebooks`) into ``DIR``
   (default ``./softmax-lab``), and never overwrites a lesson the learner has edited.
   "Edited" is judged by the cells' sources, not by the file's bytes: Jupyter rewrites the
   metadata (and stores outputs) on the first save, which is not an edit. A hidden file,
   ``DIR/.softmax-lab.json``, remembers which version of each lesson was copied. On a later
   run, with a newer package:

   * a lesson the learner never edited is replaced by the newer one;
   * a lesson the learner edited stays as it is, and the newer one is written **beside** it,
     as ``NAME.new-XXXXXXXX.ipynb`` (``XXXXXXXX``: the first digits of the new cells' SHA-256);
     nothing is merged, so nothing the learner wrote can be lost, and a file written beside is
     never overwritten either;
   * a lesson the learner deleted comes back.

   When ``DIR`` is the package's own lessons folder (``softmax-lab notebooks`` in a clone with
   an editable install: ``make lab``), nothing is copied: the lessons are already there.
2. **Starts the front end** on ``DIR``: JupyterLab (default), Jupyter Notebook 7
   (``--notebook``) or Voila (``--classroom``). JupyterLab and Notebook 7 open lesson 00; the
   address they print opens it too. Voila serves every lesson as an app, opens the classroom
   dashboard, and stops the kernel of a page nobody has had open for
   :data:`CULL_IDLE_TIMEOUT` seconds (:func:`voila_command`). A front end that is not installed
   is named, with the extra that installs it (``softmax-lab[lab]`` or ``softmax-lab[classroom]``).
   The front end, and so every lesson's kernel, starts with :data:`KERNEL_ENVIRONMENT`.

The Jupyter settings of the course (``jupyter-config/``: the arrow keys on sliders in Notebook 7,
no "news" pop-up) are installed by the wheel into ``<environment>/etc/jupyter``, where the front
ends read them; :func:`settings_installed` checks that they are there.
"""

import argparse
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import webbrowser
from dataclasses import dataclass
from importlib import resources, util
from pathlib import Path

LESSONS_PACKAGE = "softmax_lab.notebooks"
FIRST_LESSON = "00_start_here.ipynb"
CLASSROOM = "classroom.ipynb"
DEFAULT_DIR = "softmax-lab"
STATE_FILE = ".softmax-lab.json"   # a dot file: Jupyter's file browser hides it
SETTINGS_FILE = Path("labconfig", "default_setting_overrides.d", "softmax-lab.json")

# Voila starts one kernel per page load. A page that was closed or reloaded leaves its kernel
# behind; these stop it once it has had no browser connected and no activity for 5 minutes
# (checked every minute). A page still open (the projector) keeps its kernel.
CULL_IDLE_TIMEOUT = 300
CULL_INTERVAL = 60
VOILA_PORT = 8866


@dataclass(frozen=True)
class FrontEnd:
    """A front end the launcher can start: its module, the extra that installs it, its lesson URL."""

    title: str
    module: str
    extra: str
    path: str   # the page to open, relative to the server's address

    def missing_message(self):
        return (f"softmax-lab: {self.title} is not installed in this environment ({sys.executable}).\n"
                f"It comes with the extra [{self.extra}] of softmax-lab: install the package as "
                f"'softmax-lab[{self.extra}]' (pip install 'softmax-lab[{self.extra}] @ <wheel, folder or git URL>', "
                f"or add [{self.extra}] to the spec you gave pipx or uvx; the README shows the commands).")


FRONT_ENDS = {
    "lab": FrontEnd("JupyterLab", "jupyterlab", "lab", f"lab/tree/{FIRST_LESSON}"),
    "notebook": FrontEnd("Jupyter Notebook 7", "notebook", "lab", f"notebooks/{FIRST_LESSON}"),
    "classroom": FrontEnd("Voila", "voila", "classroom", f"voila/render/{CLASSROOM}"),
}


# ---------------------------------------------------------------------------------------------
# Copying the lessons


def lessons_folder():
    """The lessons shipped with the package (``softmax_lab.notebooks``), read with importlib.resources.

    In a wheel this is ``site-packages/softmax_lab/notebooks``; in an editable install it is the
    repository's ``notebooks/`` (``pyproject.toml`` maps one onto the other).
    """
    return resources.files(LESSONS_PACKAGE)


def lesson_names(folder=None):
    """The lesson files (``*.ipynb``) of ``folder`` (the shipped lessons by default), sorted."""
    folder = lessons_folder() if folder is None else folder
    return sorted(item.name for item in folder.iterdir() if item.name.endswith(".ipynb") and item.is_file())


def cell_sources(text):
    """What a learner can edit in a notebook: each cell's type and source, nothing else.

    Metadata, cell ids, outputs and execution counts are left out: Jupyter rewrites them when it
    saves a notebook, and running a lesson is not editing it.

    Examples
    --------
    >>> cell = {"cell_type": "code", "source": ["x = 1; ", "x"], "outputs": [], "metadata": {"id": 1}}
    >>> cell_sources(json.dumps({"cells": [cell], "metadata": {}}))
    [['code', 'x = 1; x']]
    """
    cells = json.loads(text)["cells"]
    return [[cell.get("cell_type"), "".join(cell.get("source", ""))] for cell in cells]


def fingerprint(text):
    """SHA-256 (hex) of a notebook's cell sources (:func:`cell_sources`): equal for equal lessons."""
    return hashlib.sha256(json.dumps(cell_sources(text)).encode("utf-8")).hexdigest()


def _read_state(path):
    """The record of copied lessons, ``{lesson: fingerprint}``; empty when missing or damaged
    (then every lesson that differs from the shipped one counts as edited)."""
    try:
        lessons = json.loads(path.read_text(encoding="utf-8"))["lessons"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    if not isinstance(lessons, dict):
        return {}
    return {name: value for name, value in lessons.items() if isinstance(value, str)}


def _fingerprint_of_file(path):
    try:
        return fingerprint(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return None   # not a notebook any more: treated as the learner's own file


def sync_lessons(target, source=None):
    """Copy the lessons from ``source`` into the folder ``target``, never losing a learner's edits.

    Parameters
    ----------
    target : str or Path
        The learner's folder; created if needed.
    source : Traversable or Path, optional
        The lessons to copy; :func:`lessons_folder` by default.

    Returns
    -------
    list of (str, str, str)
        One ``(lesson, action, detail)`` per lesson; ``action`` is ``"copied"``, ``"updated"``
        (an unedited lesson replaced by a newer one), ``"current"`` (nothing to do), ``"kept"``
        (edited by the learner, no newer lesson) or ``"beside"`` (edited by the learner; the newer
        lesson was written next to it, its file name in ``detail``).
    """
    source = lessons_folder() if source is None else source
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"target must be a folder, but {target} is a file")
    target.mkdir(parents=True, exist_ok=True)
    state_path = target / STATE_FILE
    copied = _read_state(state_path)
    report = []
    for name in lesson_names(source):
        text = (source / name).read_text(encoding="utf-8")
        new = fingerprint(text)
        dest = target / name
        if not dest.exists():
            action, detail = "copied", ""
            dest.write_text(text, encoding="utf-8")
            copied[name] = new
        else:
            mine = _fingerprint_of_file(dest)
            if mine == new:
                action, detail = "current", ""
                copied[name] = new
            elif mine is not None and mine == copied.get(name):
                action, detail = "updated", ""
                dest.write_text(text, encoding="utf-8")
                copied[name] = new
            elif copied.get(name) == new:
                action, detail = "kept", ""
            else:
                beside = target / f"{Path(name).stem}.new-{new[:8]}.ipynb"
                if not beside.exists():
                    beside.write_text(text, encoding="utf-8")
                action, detail = "beside", beside.name
        report.append((name, action, detail))
    state_path.write_text(json.dumps({"lessons": copied}, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return report


def _same_folder(target, source):
    try:
        return Path(target).resolve() == Path(str(source)).resolve()
    except (OSError, TypeError):
        return False


def describe(report, target):
    """The lines the launcher prints about a :func:`sync_lessons` report (nothing when all is current)."""
    lines = []
    copied = [name for name, action, _ in report if action == "copied"]
    if copied:
        lines.append(f"Copied {len(copied)} lesson(s) into {target}.")
    for name, action, detail in report:
        if action == "updated":
            lines.append(f"{name}: replaced by the newer lesson (you had not edited it).")
        elif action == "beside":
            lines.append(f"{name}: you have edited it, so it stays as it is; the newer lesson is beside it, "
                         f"in {detail}.")
    return lines


# ---------------------------------------------------------------------------------------------
# Starting a front end


def settings_installed():
    """True when Jupyter finds the course's settings (jupyter-config/) on its config path."""
    from jupyter_core.paths import jupyter_config_path

    return any(Path(folder, SETTINGS_FILE).is_file() for folder in jupyter_config_path())


def _root_flag():
    getuid = getattr(os, "getuid", None)
    return ["--allow-root"] if getuid is not None and getuid() == 0 else []


def jupyter_command(front_end, folder, port=None, open_browser=True):
    """The command that starts JupyterLab or Notebook 7 on ``folder``, opening lesson 00.

    ``default_url`` makes the address the server prints (and the page a browser opens) lesson 00.
    """
    app = {"lab": "LabApp", "notebook": "JupyterNotebookApp"}[front_end]
    command = [sys.executable, "-m", FRONT_ENDS[front_end].module, f"--ServerApp.root_dir={folder}",
               f"--{app}.default_url=/{FRONT_ENDS[front_end].path}", *_root_flag()]
    if port is not None:
        command.append(f"--port={port}")
    if not open_browser:
        command.append("--no-browser")
    return command


def voila_command(folder, port):
    """The command that serves every notebook of ``folder`` with Voila, stopping abandoned kernels."""
    return [sys.executable, "-m", "voila", str(folder), "--no-browser", f"--port={port}",
            "--Voila.port_retries=0",
            f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_TIMEOUT}",
            f"--MappingKernelManager.cull_interval={CULL_INTERVAL}"]


def _port_is_free(port, host="localhost"):
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(start=VOILA_PORT, tries=50):
    """The first port from ``start`` on that nothing listens on."""
    for port in range(start, start + tries):
        if _port_is_free(port):
            return port
    raise OSError(f"no free port in {start}-{start + tries - 1}; choose one with --port")


def _wait_until_serving(url, process, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    return False


def _run_classroom(folder, port, open_browser):
    port = free_port() if port is None else port
    base = f"http://localhost:{port}"
    url = f"{base}/{FRONT_ENDS['classroom'].path}"
    env = dict(kernel_environment(), SOFTMAX_LAB_PRESENTATION="1")   # large figures and fonts, for a projector
    print(f"The classroom app: {url}\nEvery lesson as an app: {base}/\n(Ctrl-C stops the server.)", flush=True)
    process = subprocess.Popen(voila_command(folder, port), cwd=folder, env=env)
    # Stop Voila with the launcher: a `kill` of this process must not leave the server behind.
    signal.signal(signal.SIGTERM, lambda *_: process.terminate())
    try:
        if open_browser and _wait_until_serving(url, process):
            webbrowser.open(url)
        return process.wait()
    except KeyboardInterrupt:   # Voila got the same Ctrl-C from the terminal and is stopping
        return process.wait()


#: Set for the front end and so for the lessons' kernels (they inherit it), unless already set:
#: numpy then does not ask Linux for transparent huge pages for its large arrays (numpy's "Global
#: state" documentation). Where Linux answers that request by compacting memory on the spot
#: (``/sys/kernel/mm/transparent_hugepage/defrag`` set to ``madvise``, a common default), every
#: large array waits for it: lesson 07, which holds a few 36 MB arrays, ran top to bottom in about
#: 10 s with the request and 5.5 s without on the 2-core machine of benchmarks/README.md.
KERNEL_ENVIRONMENT = {"NUMPY_MADVISE_HUGEPAGE": "0"}


def kernel_environment(environ=None):
    """``environ`` (default ``os.environ``) with :data:`KERNEL_ENVIRONMENT` where it sets nothing."""
    return {**KERNEL_ENVIRONMENT, **(os.environ if environ is None else environ)}


def _run(command, folder, env):
    sys.stdout.flush()
    if os.name == "posix":
        os.chdir(folder)
        os.execve(command[0], command, env)   # the server takes over this process: Ctrl-C goes to it
    return subprocess.call(command, cwd=folder, env=env)


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(
        prog="softmax-lab",
        description="Copy the softmax-lab lessons into DIR (never overwriting a lesson you edited) "
                    "and open lesson 00 in JupyterLab.")
    parser.add_argument("dir", nargs="?", default=DEFAULT_DIR, metavar="DIR",
                        help=f"the folder for your copy of the lessons (default: ./{DEFAULT_DIR})")
    front = parser.add_mutually_exclusive_group()
    front.add_argument("--notebook", dest="front_end", action="store_const", const="notebook",
                       help="open the lessons in Jupyter Notebook 7 instead of JupyterLab")
    front.add_argument("--classroom", dest="front_end", action="store_const", const="classroom",
                       help="serve the lessons with Voila and open the classroom app (needs [classroom])")
    parser.add_argument("--port", type=int, default=None, help="the port to serve on")
    parser.add_argument("--no-browser", dest="open_browser", action="store_false",
                        help="do not open a browser; open the address the server prints")
    parser.set_defaults(front_end="lab")
    args = parser.parse_args(argv)
    if args.port is not None and not 0 < args.port < 65536:
        parser.error(f"--port must be between 1 and 65535, got {args.port}")
    return args


def main(argv=None):
    """The ``softmax-lab`` command. Returns the exit status (2 when a front end is missing)."""
    args = parse_arguments(argv)
    front_end = FRONT_ENDS[args.front_end]
    if util.find_spec(front_end.module) is None:
        print(front_end.missing_message(), file=sys.stderr)
        return 2
    folder = Path(args.dir).resolve()
    source = lessons_folder()
    if not _same_folder(folder, source):
        for line in describe(sync_lessons(folder, source), folder):
            print(line)
    if args.front_end == "classroom":
        return _run_classroom(folder, args.port, args.open_browser)
    if not settings_installed():
        print("note: the course's Jupyter settings (arrow keys on sliders in Notebook 7, no news pop-up) are "
              "not installed in this environment; see jupyter-config/README.md in the repository.")
    print(f"Starting {front_end.title} on {folder} (lesson 00: {FIRST_LESSON}); Ctrl-C stops it.")
    return _run(jupyter_command(args.front_end, folder, args.port, args.open_browser), folder, kernel_environment())


if __name__ == "__main__":
    sys.exit(main())
