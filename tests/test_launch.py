"""The `softmax-lab` launcher (softmax_lab/launch.py): copying the lessons without ever losing a
learner's edits, the commands it starts, the message for a missing front end, and Voila's culling
of abandoned kernels (run for real, with a short timeout).

The launcher installed from a wheel in a fresh environment, serving lesson 00:
tests/test_distribution.py.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from softmax_lab import launch

ROOT = Path(__file__).resolve().parent.parent


def lesson(*sources, **metadata):
    """A small notebook as Jupyter would store it."""
    cells = [{"cell_type": "code" if s.startswith("x") else "markdown", "id": f"c{i}", "metadata": {},
              "source": s, **({"outputs": [], "execution_count": None} if s.startswith("x") else {})}
             for i, s in enumerate(sources)]
    return json.dumps({"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"


def as_jupyter_saves_it(text):
    """What the first save in Jupyter does to a lesson nobody edited: new metadata and cell ids,
    outputs and execution counts, another JSON layout. The cells' sources stay the same."""
    nb = json.loads(text)
    nb["metadata"] = {"kernelspec": {"name": "python3"}, "language_info": {"version": "3.11.7"}}
    for i, cell in enumerate(nb["cells"]):
        cell["id"] = f"saved-{i}"
        cell["metadata"] = {"trusted": True}
        cell["source"] = cell["source"].splitlines(keepends=True)   # lists of lines, as Jupyter writes
        if cell["cell_type"] == "code":
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}]
            cell["execution_count"] = i + 1
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def edited(text, new_source):
    nb = json.loads(text)
    nb["cells"][0]["source"] = new_source
    return json.dumps(nb, indent=1) + "\n"


@pytest.fixture
def package(tmp_path):
    """A stand-in for the shipped lessons (softmax_lab.notebooks), as a folder."""
    folder = tmp_path / "package"
    folder.mkdir()
    (folder / "00_start.ipynb").write_text(lesson("# Start", "x = 1"))
    (folder / "01_next.ipynb").write_text(lesson("# Next", "x = 2"))
    (folder / "__init__.py").write_text("")
    return folder


def actions(report):
    return {name: action for name, action, _ in report}


def test_edits_are_judged_by_cell_sources_not_bytes():
    text = lesson("# Start", "x = 1")
    saved = as_jupyter_saves_it(text)
    assert saved != text and launch.fingerprint(saved) == launch.fingerprint(text)
    assert launch.fingerprint(edited(text, "# Start, my notes")) != launch.fingerprint(text)
    swapped = json.loads(text)
    swapped["cells"][1]["cell_type"] = "markdown"                        # same text, another cell type
    assert launch.fingerprint(json.dumps(swapped)) != launch.fingerprint(text)


def test_first_run_copies_every_lesson_and_nothing_else(package, tmp_path):
    target = tmp_path / "course"
    report = launch.sync_lessons(target, package)
    assert actions(report) == {"00_start.ipynb": "copied", "01_next.ipynb": "copied"}
    for name in ("00_start.ipynb", "01_next.ipynb"):
        assert (target / name).read_bytes() == (package / name).read_bytes()
    assert sorted(p.name for p in target.iterdir()) == [launch.STATE_FILE, "00_start.ipynb", "01_next.ipynb"]
    assert launch.STATE_FILE.startswith(".")                              # hidden in Jupyter's file browser
    assert launch.describe(report, target) == [f"Copied 2 lesson(s) into {target}."]


def test_a_second_run_changes_nothing(package, tmp_path):
    target = tmp_path / "course"
    launch.sync_lessons(target, package)
    (target / "00_start.ipynb").write_text(as_jupyter_saves_it((target / "00_start.ipynb").read_text()))
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    report = launch.sync_lessons(target, package)
    assert set(actions(report).values()) == {"current"} and launch.describe(report, target) == []
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before  # outputs the learner made stay


def test_a_lesson_run_and_saved_but_not_edited_is_replaced_by_a_newer_one(package, tmp_path):
    target = tmp_path / "course"
    launch.sync_lessons(target, package)
    (target / "00_start.ipynb").write_text(as_jupyter_saves_it((target / "00_start.ipynb").read_text()))
    newer = lesson("# Start, second edition", "x = 1")
    (package / "00_start.ipynb").write_text(newer)                     # an upgraded package
    report = launch.sync_lessons(target, package)
    assert actions(report) == {"00_start.ipynb": "updated", "01_next.ipynb": "current"}
    assert (target / "00_start.ipynb").read_text() == newer
    assert not list(target.glob("*.new-*"))


def test_an_edited_lesson_is_never_overwritten_and_the_newer_one_goes_beside_it(package, tmp_path):
    target = tmp_path / "course"
    launch.sync_lessons(target, package)
    mine = edited(as_jupyter_saves_it((target / "00_start.ipynb").read_text()), "# Start, with my notes")
    (target / "00_start.ipynb").write_text(mine)
    newer = lesson("# Start, second edition", "x = 1")
    (package / "00_start.ipynb").write_text(newer)
    report = launch.sync_lessons(target, package)
    beside = f"00_start.new-{launch.fingerprint(newer)[:8]}.ipynb"
    assert report[0] == ("00_start.ipynb", "beside", beside)
    assert (target / "00_start.ipynb").read_text() == mine
    assert (target / beside).read_text() == newer
    assert beside in launch.describe(report, target)[0] and "you have edited it" in launch.describe(report, target)[0]

    # the learner works in the new copy too: a later run overwrites neither file
    (target / beside).write_text(edited(newer, "# Second edition, my notes"))
    saved = {p.name: p.read_bytes() for p in target.iterdir()}
    report = launch.sync_lessons(target, package)
    assert actions(report)["00_start.ipynb"] == "beside"
    assert {p.name: p.read_bytes() for p in target.iterdir()} == saved


def test_an_edited_lesson_without_a_newer_one_is_kept_quietly(package, tmp_path):
    target = tmp_path / "course"
    launch.sync_lessons(target, package)
    mine = edited((target / "01_next.ipynb").read_text(), "# Next, my notes")
    (target / "01_next.ipynb").write_text(mine)
    report = launch.sync_lessons(target, package)
    assert actions(report)["01_next.ipynb"] == "kept" and launch.describe(report, target) == []
    assert (target / "01_next.ipynb").read_text() == mine and not list(target.glob("*.new-*"))


def test_a_deleted_lesson_comes_back(package, tmp_path):
    target = tmp_path / "course"
    launch.sync_lessons(target, package)
    (target / "01_next.ipynb").unlink()
    assert actions(launch.sync_lessons(target, package))["01_next.ipynb"] == "copied"
    assert (target / "01_next.ipynb").read_bytes() == (package / "01_next.ipynb").read_bytes()


@pytest.mark.parametrize("state", [None, "{not json", '{"lessons": 7}'], ids=["no record", "damaged", "wrong"])
def test_without_a_record_a_different_lesson_counts_as_edited(package, tmp_path, state):
    """A folder filled by hand (or a lost record): any lesson that differs is the learner's."""
    target = tmp_path / "course"
    target.mkdir()
    mine = edited((package / "00_start.ipynb").read_text(), "# my own start")
    (target / "00_start.ipynb").write_text(mine)
    (target / "01_next.ipynb").write_text("this is not a notebook")
    if state is not None:
        (target / launch.STATE_FILE).write_text(state)
    report = launch.sync_lessons(target, package)
    assert actions(report) == {"00_start.ipynb": "beside", "01_next.ipynb": "beside"}
    assert (target / "00_start.ipynb").read_text() == mine
    assert (target / "01_next.ipynb").read_text() == "this is not a notebook"


def test_the_target_must_be_a_folder(package, tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError, match="target"):
        launch.sync_lessons(tmp_path / "file", package)


def test_the_shipped_lessons_are_the_notebooks_folder_in_an_editable_install():
    """importlib.resources finds softmax_lab.notebooks; here (editable) it is notebooks/ itself."""
    names = launch.lesson_names()
    assert names == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert launch.FIRST_LESSON in names and launch.CLASSROOM in names
    assert Path(str(launch.lessons_folder())).resolve() == (ROOT / "notebooks").resolve()


# ---------------------------------------------------------------------------------------------
# main(): what it copies and what it starts (the server itself is not started here)


@pytest.fixture
def started(monkeypatch):
    """Record what main() would run instead of running it."""
    calls = {}
    monkeypatch.setattr(launch, "_run", lambda command, folder, env: calls.update(command=command, folder=folder,
                                                                                   env=env) or 0)
    monkeypatch.setattr(launch, "_run_classroom",
                        lambda folder, port, open_browser: calls.update(classroom=(folder, port, open_browser)) or 0)
    return calls


def test_main_copies_the_lessons_then_opens_lesson_00_in_jupyterlab(started, tmp_path, capsys):
    assert launch.main([str(tmp_path / "course"), "--no-browser", "--port", "8999"]) == 0
    assert sorted(p.name for p in (tmp_path / "course").glob("*.ipynb")) == launch.lesson_names()
    command = started["command"]
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={tmp_path / 'course'}" in command
    assert "--LabApp.default_url=/lab/tree/00_start_here.ipynb" in command    # the printed URL opens lesson 00
    assert "--no-browser" in command and "--port=8999" in command
    assert f"Copied {len(launch.lesson_names())} lesson(s)" in capsys.readouterr().out


def test_the_kernels_start_without_numpy_s_huge_page_request_unless_asked(started, tmp_path, monkeypatch):
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    launch.main([str(tmp_path / "course"), "--no-browser"])
    assert started["env"]["NUMPY_MADVISE_HUGEPAGE"] == "0" and started["env"]["PATH"] == os.environ["PATH"]
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")                   # the learner's own choice wins
    launch.main([str(tmp_path / "course"), "--no-browser"])
    assert started["env"]["NUMPY_MADVISE_HUGEPAGE"] == "1"
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE")
    probe = "import numpy as np; m = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray; " \
            "print(m._get_madvise_hugepage())"                          # what a kernel's numpy then does
    out = subprocess.run([sys.executable, "-c", probe], env=launch.kernel_environment(), capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "False"


def test_main_opens_notebook_7_on_lesson_00(started, tmp_path):
    launch.main([str(tmp_path), "--notebook"])
    command = started["command"]
    assert command[:3] == [sys.executable, "-m", "notebook"]
    assert "--JupyterNotebookApp.default_url=/notebooks/00_start_here.ipynb" in command
    assert "--no-browser" not in command and not any(c.startswith("--port") for c in command)


def test_main_serves_the_lessons_in_place_when_given_the_packages_own_folder(started, tmp_path):
    """`make lab` runs `softmax-lab notebooks`: in an editable install those are the shipped lessons."""
    before = {p.name: p.read_bytes() for p in (ROOT / "notebooks").iterdir() if p.is_file()}
    launch.main([str(ROOT / "notebooks")])
    assert started["folder"] == (ROOT / "notebooks").resolve()
    assert {p.name: p.read_bytes() for p in (ROOT / "notebooks").iterdir() if p.is_file()} == before
    assert not (ROOT / "notebooks" / launch.STATE_FILE).exists()


def test_main_starts_the_classroom(started, tmp_path):
    launch.main([str(tmp_path), "--classroom", "--port", "8870", "--no-browser"])
    assert started["classroom"] == (tmp_path.resolve(), 8870, False)


def test_jupyter_is_allowed_to_run_as_root_only_when_root(monkeypatch, tmp_path):
    monkeypatch.setattr(os, "getuid", lambda: 0)
    assert "--allow-root" in launch.jupyter_command("lab", tmp_path)
    monkeypatch.setattr(os, "getuid", lambda: 1000)
    assert "--allow-root" not in launch.jupyter_command("notebook", tmp_path)


@pytest.mark.parametrize("front_end, flag, extra", [("jupyterlab", [], "lab"), ("notebook", ["--notebook"], "lab"),
                                                   ("voila", ["--classroom"], "classroom")])
def test_a_missing_front_end_names_the_extra_that_installs_it(monkeypatch, started, tmp_path, capsys,
                                                               front_end, flag, extra):
    real = launch.util.find_spec
    monkeypatch.setattr(launch.util, "find_spec", lambda name: None if name == front_end else real(name))
    assert launch.main([str(tmp_path / "course"), *flag]) == 2
    error = capsys.readouterr().err
    assert f"[{extra}]" in error and f"softmax-lab[{extra}]" in error
    assert started == {} and not (tmp_path / "course").exists()         # nothing copied, nothing started


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_a_bad_port_is_refused(port, capsys):
    with pytest.raises(SystemExit):
        launch.parse_arguments(["--port", port])
    assert "--port" in capsys.readouterr().err


def test_the_classroom_stops_abandoned_kernels():
    command = launch.voila_command(Path("lessons"), 8866)
    assert f"--MappingKernelManager.cull_idle_timeout={launch.CULL_IDLE_TIMEOUT}" in command
    assert f"--MappingKernelManager.cull_interval={launch.CULL_INTERVAL}" in command
    assert 0 < launch.CULL_INTERVAL < launch.CULL_IDLE_TIMEOUT <= 600
    assert "--no-browser" in command and "--port=8866" in command and "--Voila.port_retries=0" in command


def test_free_port_skips_a_port_in_use():
    with socket.socket() as busy:
        busy.bind(("localhost", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert launch.free_port(port) != port


# ---------------------------------------------------------------------------------------------
# Voila, for real: a page nobody keeps open loses its kernel after the idle timeout


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, ""
    except (urllib.error.URLError, OSError):
        return None, ""                                                     # not listening yet


@pytest.mark.slow
def test_voila_stops_the_kernel_of_an_abandoned_page(tmp_path, monkeypatch):
    """The launcher's own Voila command (as `make demo` and `softmax-lab --classroom` run it), with
    the idle timeout shortened from 5 minutes to 3 seconds. A page loaded once and never opened
    in a browser again (closed, reloaded, a laptop gone to sleep) is what a class leaves behind."""
    pytest.importorskip("voila")
    monkeypatch.setattr(launch, "CULL_IDLE_TIMEOUT", 3)
    monkeypatch.setattr(launch, "CULL_INTERVAL", 1)
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "page.ipynb").write_text(lesson("# A page", "x = 6 * 7\nx"))
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_DATA_DIR=str(tmp_path / "data"), IPYTHONDIR=str(tmp_path / "ipython"), TMPDIR=str(tmp_path))
    port = _free_port()
    command = launch.voila_command(folder, port) + ["--Voila.ip=127.0.0.1"]
    log = open(tmp_path / "voila.log", "w")
    process = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while _get(f"{base}/")[0] != 200:
            assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "voila.log").read_text()[-3000:]
            time.sleep(0.3)
        status, page = _get(f"{base}/voila/render/page.ipynb")              # a page load starts a kernel
        assert status == 200 and "42" in page
        kernel = re.search(r'kernelId["\']?\s*[:=]\s*["\']([0-9a-f-]{36})', page).group(1)
        assert _get(f"{base}/api/kernels/{kernel}")[0] == 200                # alive while fresh
        deadline = time.monotonic() + 60
        while _get(f"{base}/api/kernels/{kernel}")[0] == 200:
            assert time.monotonic() < deadline, "the abandoned kernel was never stopped"
            time.sleep(0.5)
        assert _get(f"{base}/api/kernels/{kernel}")[0] == 404
        assert "Culling 'idle' kernel" in (tmp_path / "voila.log").read_text()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(20)
        log.close()


def test_the_shipped_settings_turn_off_the_news_pop_up():
    """jupyter-config/: JupyterLab asks "get notified about Jupyter news?" while fetchNews is "none"
    (its default); the course's settings answer "false", a value the installed schema allows."""
    from jupyter_core.paths import jupyter_path

    settings = json.loads((ROOT / "jupyter-config" / launch.SETTINGS_FILE).read_text())
    plugin = "@jupyterlab/apputils-extension:notification"
    assert settings[plugin] == {"fetchNews": "false"}
    schema = next(Path(p, "@jupyterlab", "apputils-extension", "notification.json")
                  for p in jupyter_path("lab", "schemas")
                  if Path(p, "@jupyterlab", "apputils-extension", "notification.json").exists())
    fetch_news = json.loads(schema.read_text())["properties"]["fetchNews"]
    # JupyterLab 4.2 lists the values as an enum, later releases as oneOf with titles
    allowed = set(fetch_news.get("enum", [])) | {option["const"] for option in fetch_news.get("oneOf", [])}
    assert "false" in allowed and "none" in allowed


def test_the_launcher_notices_when_the_settings_are_not_installed(monkeypatch, tmp_path):
    """Jupyter's config path (<environment>/etc/jupyter, where the wheel and `make` put the file)."""
    import jupyter_core.paths

    monkeypatch.setattr(jupyter_core.paths, "jupyter_config_path", lambda: [str(tmp_path / "user"), str(tmp_path)])
    assert not launch.settings_installed()
    (tmp_path / launch.SETTINGS_FILE).parent.mkdir(parents=True)
    (tmp_path / launch.SETTINGS_FILE).write_text("{}")
    assert launch.settings_installed()
