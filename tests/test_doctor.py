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


@pytest.mark.parametrize("found, minimum, ok", [
    ("2.0.0rc1", "2.0", False),      # a release candidate comes before its release (PEP 440)
    ("2.0.0", "2.0", True), ("0.10.0", "0.9", True), ("1.24.0.post1", "1.24", True),
    ("3.7.0.dev0", "3.7", False),
])
def test_versions_compare_as_pip_compares_them(found, minimum, ok):
    # Regression: doctor parsed versions by hand, stopping at the first part that was not a plain
    # number, so 2.0.0rc1 passed a minimum of 2.0. It uses packaging.version now, as pip does.
    assert doctor.check_package("numpy", minimum, version_of=fake_versions(numpy=found)).ok is ok


def test_unreadable_version_fails_with_a_fix():
    check = doctor.check_package("numpy", "1.24", version_of=fake_versions(numpy="not a version"))
    assert not check.ok and "cannot be read" in check.detail and "numpy" in check.fix


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


@pytest.mark.slow
def test_real_environment_passes():
    """The course's own environment (the one running the tests) must be healthy."""
    result = subprocess.run([sys.executable, "-m", "softmax_lab.doctor"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    # One OK line per check: Python, each runtime package of the installed metadata, each extension
    # (counted, not hard-coded, so that a new runtime dependency does not break this test).
    checks = 1 + len(doctor.required_versions()) + len(doctor.EXTENSIONS) + 1   # the last: the data
    assert "FAIL" not in result.stdout and result.stdout.count("OK ") == checks, result.stdout


def test_minimum_versions_are_read_from_the_installed_metadata():
    """One source: doctor's minimums are pyproject.toml's runtime dependencies, as pip installed them."""
    declared = [r for r in importlib.metadata.requires("softmax-lab") if "extra" not in r]
    assert doctor.required_versions() == {r.split(">=")[0]: r.split(">=")[1] for r in declared}
    assert not hasattr(doctor, "REQUIRED"), "a second list of minimum versions is back in doctor.py"


def test_required_versions_parses_requirements_and_skips_extras():
    requires = ["numpy>=1.24", "Foo_Bar[fast] >= 2.0, <3", "plain", 'pytest>=7; extra == "test"',
                'tomli>=1.1; python_version < "3.11"']
    assert doctor.required_versions(requires) == {"numpy": "1.24", "Foo_Bar": "2.0", "plain": None, "tomli": "1.1"}
    assert doctor.required_versions([]) == {}
    with pytest.raises(ValueError, match="cannot read the requirement"):
        doctor.required_versions([">=1.0"])


def test_a_raised_minimum_in_the_metadata_fails_the_check(monkeypatch):
    monkeypatch.setattr(importlib.metadata, "requires", lambda name: ["numpy>=999", "ipympl"])
    checks = {c.name: c for c in doctor.run_checks()}
    assert not checks["numpy"].ok and "older than 999" in checks["numpy"].detail
    assert checks["ipympl"].ok and "matplotlib" not in checks      # only what the metadata lists


def test_course_package_not_installed_is_reported(monkeypatch):
    check = doctor.check_installed(version_of=fake_versions())
    assert not check.ok and "not installed" in check.detail and "make lab" in check.fix
    monkeypatch.setattr(doctor, "check_installed", lambda: doctor.Check("softmax-lab", False, "not installed"))
    checks = doctor.run_checks()
    assert [c.name for c in checks] == ["python", "softmax-lab"] and not checks[-1].ok


def test_versions_prints_one_line(capsys):
    doctor.versions(version_of=fake_versions(numpy="2.0.1", matplotlib="3.9.0"))
    line = capsys.readouterr().out
    assert line == (f"Python {sys.version.split()[0]}, numpy 2.0.1, matplotlib 3.9.0, "
                    "ipywidgets not installed\n")
