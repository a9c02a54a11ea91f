"""The Jupyter settings the course ships (jupyter-config/): the arrow keys reach a focused slider
or dropdown in Notebook 7 (jupyter-config/README.md says why; tests/browser/test_notebook7.py shows
it in a real browser).

These fast checks hold the file to the installed JupyterLab: each binding it switches off must be
one of the notebook's own (or it switches off nothing), each one it adds back must be the same
command and key with only the widgets left out, and no arrow-key binding of command mode is missed.
"""

import json
import sys
from pathlib import Path

import pytest
from jupyter_core.paths import jupyter_path
from jupyter_server.services.config.manager import ConfigManager

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "jupyter-config"
SETTINGS = CONFIG / "labconfig" / "default_setting_overrides.d" / "softmax-lab.json"
PLUGIN = "@jupyterlab/shortcuts-extension:shortcuts"
COMMAND_MODE = ".jp-Notebook.jp-mod-commandMode:not(.jp-mod-readWrite) :focus"
LEAVE_OUT = ":not([role=slider]):not(select)"  # a focused slider handle, a focused dropdown
# The keys a focused slider (WAI-ARIA slider pattern) or a <select> acts on without a modifier.
WIDGET_KEYS = {"ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown"}


def shipped_shortcuts():
    return json.loads(SETTINGS.read_text())[PLUGIN]["shortcuts"]


def notebook_bindings():
    """The notebook's own key bindings, from the installed JupyterLab's settings schema."""
    for schemas in jupyter_path("lab", "schemas"):
        tracker = Path(schemas, "@jupyterlab", "notebook-extension", "tracker.json")
        if tracker.exists():
            return json.loads(tracker.read_text())["jupyter.lab.shortcuts"]
    pytest.fail("JupyterLab's notebook-extension schema was not found (is jupyterlab installed?)")


def key(binding):
    return binding["command"], tuple(binding["keys"]), binding["selector"]


def test_jupyter_reads_the_file_as_default_settings(monkeypatch):
    # jupyterlab_server layers <each Jupyter config dir>/labconfig/default_setting_overrides(.d)
    # under the user's own settings, read with this ConfigManager; pip puts the file into the
    # environment's config dir, here the repository's copy stands in as the user's config dir.
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(CONFIG))
    overrides = ConfigManager(config_dir_name="labconfig").get("default_setting_overrides")
    assert overrides[PLUGIN]["shortcuts"] == shipped_shortcuts()


def test_each_binding_switched_off_is_one_of_the_notebooks_own():
    own = {key(b) for b in notebook_bindings()}
    disabled = [s for s in shipped_shortcuts() if s.get("disabled")]
    assert disabled
    for shortcut in disabled:
        assert key(shortcut) in own, f"{shortcut} matches no binding of the installed JupyterLab"


def test_each_binding_added_back_is_the_same_command_without_the_widgets():
    shortcuts = shipped_shortcuts()
    disabled = {key(s) for s in shortcuts if s.get("disabled")}
    added = {key(s) for s in shortcuts if not s.get("disabled")}
    assert added == {(command, keys, selector + LEAVE_OUT) for command, keys, selector in disabled}
    assert all(set(s) <= {"command", "keys", "selector", "disabled"} for s in shortcuts)


def test_no_command_mode_binding_of_a_widget_key_is_missed():
    # A new plain-key binding in command mode would take that key from a focused slider again.
    taken = {key(b) for b in notebook_bindings()
             if b["selector"] == COMMAND_MODE and len(b["keys"]) == 1 and b["keys"][0] in WIDGET_KEYS}
    assert taken, "expected the notebook's arrow-key bindings in command mode"
    assert taken == {key(s) for s in shipped_shortcuts() if s.get("disabled")}


def test_pip_installs_the_file_where_jupyter_looks():
    tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    data_files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    target = "etc/jupyter/" + str(SETTINGS.parent.relative_to(CONFIG))
    assert data_files.get(target) == [str(SETTINGS.relative_to(ROOT))], data_files


def test_the_course_environment_has_the_settings_installed():
    """`make` copies the settings into .venv (pip's editable install skips data-files)."""
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        pytest.skip("not running in the course's .venv (made by `make`)")
    installed = Path(sys.prefix) / "etc" / "jupyter" / SETTINGS.relative_to(ROOT / "jupyter-config")
    assert installed.exists(), f"{installed} is missing: run `make lab` (or delete .venv/.installed-stamp)"
    assert installed.read_bytes() == SETTINGS.read_bytes(), f"{installed} is stale: delete .venv/.installed-stamp"
