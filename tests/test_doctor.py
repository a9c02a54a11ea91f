"""The environment check: each check fails on the broken environment it is named for."""

import importlib.metadata
import subprocess
import sys

import pytest

from softmax_lab import doctor


def fake_versions(**versions):
    """A version lookup that knows only ``versions`` (None = not installed)."""
    def version_of(name):
        if versions.get(name) is None:
            raise importlib.metadata.PackageNotFoundError(name)
        return versions[name]
    return version_of


def test_python_version():
    assert doctor.check_python((3, 11, 7)).ok
    assert doctor.check_python((3, 10, 0)).ok
    old = doctor.check_python((3, 9, 18))
    assert not old.ok and "3.9.18" in old.detail and "3.10" in old.fix


@pytest.mark.parametrize("found, ok", [("2.4.6", True), ("1.24.0", True), ("1.23.5", False), ("2.0.0rc1", True)])
def test_package_version(found, ok):
    check = doctor.check_package("numpy", "1.24", version_of=fake_versions(numpy=found))
    assert check.ok is ok
    if not ok:
        assert "older than 1.24" in check.detail and "numpy>=1.24" in check.fix


def test_missing_package_has_a_fix():
    check = doctor.check_package("ipympl", "0.9", version_of=fake_versions())
    assert not check.ok and check.detail == "not installed" and "make lab" in check.fix
    assert check.line().startswith("FAIL ipympl") and "fix:" in check.line()


def test_widget_extension_missing_package(tmp_path):
    check = doctor.check_extension("widgets", "jupyterlab_widgets", "@jupyter-widgets/jupyterlab-manager",
                                   prefix=str(tmp_path), version_of=fake_versions())
    assert not check.ok and "plain text" in check.detail and "pip install jupyterlab_widgets" in check.fix


def test_widget_extension_files_missing_then_present(tmp_path):
    args = ("widgets", "jupyterlab_widgets", "@jupyter-widgets/jupyterlab-manager")
    lookup = fake_versions(jupyterlab_widgets="3.0.17")
    assert not doctor.check_extension(*args, prefix=str(tmp_path), version_of=lookup).ok
    ext = tmp_path / "share" / "jupyter" / "labextensions" / "@jupyter-widgets" / "jupyterlab-manager"
    ext.mkdir(parents=True)
    (ext / "package.json").write_text("{}")
    assert doctor.check_extension(*args, prefix=str(tmp_path), version_of=lookup).ok


def test_jupyter_from_another_environment_is_noted(tmp_path):
    assert doctor.check_jupyter_on_path(prefix=str(tmp_path), which=lambda name: None) is None
    inside = str(tmp_path / "bin" / "jupyter-lab")
    assert doctor.check_jupyter_on_path(prefix=str(tmp_path), which=lambda name: inside) is None
    note = doctor.check_jupyter_on_path(prefix=str(tmp_path), which=lambda name: "/usr/bin/jupyter-lab")
    assert "/usr/bin/jupyter-lab" in note and "another environment" in note


def test_main_exits_nonzero_on_any_failure(monkeypatch, capsys):
    monkeypatch.setattr(doctor, "run_checks", lambda: [doctor.Check("a", True, "fine"),
                                                       doctor.Check("b", False, "broken", "do x")])
    assert doctor.main() == 1
    out = capsys.readouterr().out
    assert "OK   a: fine" in out and "FAIL b: broken" in out and "fix: do x" in out


def test_real_environment_passes():
    """The course's own environment (the one running the tests) must be healthy."""
    result = subprocess.run([sys.executable, "-m", "softmax_lab.doctor"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout and result.stdout.count("OK ") == 8
