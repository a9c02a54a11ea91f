"""Environment check: ``python -m softmax_lab.doctor``.

Prints one line per check, ``OK`` or ``FAIL`` with a fix, and exits non-zero if anything
failed. The most common trouble it catches: sliders showing up as plain text such as
``IntSlider(value=0)``. That happens when JupyterLab cannot find the widget extension, which
ships in the ``jupyterlab_widgets`` package and must be installed in the *same* environment as
JupyterLab itself.

Every check is a small function with its inputs as arguments (the Python version, a version
lookup, the environment prefix, the list of requirements), so the tests can feed it a broken
environment. The packages and their minimum versions are not listed here: they are read from the
installed ``softmax-lab`` distribution's metadata, which pip writes from ``pyproject.toml``.

:func:`versions` prints the one line every notebook shows under its Setup section.
"""

import importlib.metadata
import os
import shutil
import sys
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

MIN_PYTHON = (3, 10)

DISTRIBUTION = "softmax-lab"   # the name in pyproject.toml, whose metadata lists the runtime packages

# JupyterLab front-end extensions: (package that ships it, folder under share/jupyter/labextensions).
EXTENSIONS = {
    "widgets": ("jupyterlab_widgets", "@jupyter-widgets/jupyterlab-manager"),
    "ipympl": ("ipympl", "jupyter-matplotlib"),
}

FIX_INSTALL = "run `make lab` (or `pip install -e .` inside the course's environment)"
FIX_DATA = ("reinstall softmax-lab (`pip install --force-reinstall --no-deps <the wheel or URL you installed>`); "
            "in a clone of the repository, restore the files with `git checkout data` (or rebuild them with "
            "`make data`) and run `make lab` again")


@dataclass
class Check:
    """The outcome of one check: its name, whether it passed, what was found, and a fix."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self):
        status = "OK  " if self.ok else "FAIL"
        text = f"{status} {self.name}: {self.detail}"
        if not self.ok and self.fix:
            text += f"\n     fix: {self.fix}"
        return text


def check_python(version_info=None):
    """Python must be at least 3.10."""
    v = tuple(version_info if version_info is not None else sys.version_info)[:3]
    shown = ".".join(str(x) for x in v)
    if v[:2] >= MIN_PYTHON:
        return Check("python", True, shown)
    return Check("python", False, f"{shown} is too old (need 3.10 or newer)",
                 "install Python 3.10+ and re-create the environment: `make clean lab PYTHON=python3.11`")


def check_package(name, minimum, version_of=importlib.metadata.version):
    """A runtime package must be installed, at ``minimum`` or newer."""
    try:
        found = version_of(name)
    except importlib.metadata.PackageNotFoundError:
        return Check(name, False, "not installed", FIX_INSTALL)
    try:
        too_old = minimum is not None and Version(found) < Version(minimum)
    except InvalidVersion:
        return Check(name, False, f"its version {found!r} cannot be read", f"pip install --force-reinstall '{name}'")
    if too_old:
        return Check(name, False, f"{found} is older than {minimum}", f"pip install --upgrade '{name}>={minimum}'")
    return Check(name, True, found)


def check_extension(label, package, folder, prefix=None, version_of=importlib.metadata.version):
    """A JupyterLab extension must be installed in this environment's share/jupyter/labextensions."""
    prefix = sys.prefix if prefix is None else prefix
    name = f"JupyterLab {label} extension"
    try:
        version_of(package)
    except importlib.metadata.PackageNotFoundError:
        return Check(name, False, f"the package {package} is not installed, so widgets show as plain text",
                     f"pip install {package} (in the same environment as JupyterLab), then restart JupyterLab")
    path = os.path.join(prefix, "share", "jupyter", "labextensions", *folder.split("/"), "package.json")
    if not os.path.isfile(path):
        return Check(name, False, f"{package} is installed but its extension is missing from {prefix}",
                     f"pip install --force-reinstall {package}, then restart JupyterLab")
    return Check(name, True, f"{folder} found")


def check_jupyter_on_path(prefix=None, which=shutil.which):
    """Note (never a failure) when the `jupyter-lab` on PATH belongs to another environment."""
    prefix = os.path.realpath(sys.prefix if prefix is None else prefix)
    found = which("jupyter-lab")
    if found is None or os.path.realpath(found).startswith(prefix + os.sep):
        return None
    return (f"note: the `jupyter-lab` on your PATH ({found}) belongs to another environment; start "
            f"JupyterLab with `make lab` or `{sys.executable} -m jupyterlab` so it sees this one's widgets")


def required_versions(requires=None):
    """The runtime packages of softmax-lab and their minimum versions, ``{name: minimum}``.

    Read from the installed distribution's metadata (``importlib.metadata.requires``), so the
    only list is the one in pyproject.toml. Requirements of an extra (``; extra == "test"``) are
    left out; a requirement without ``>=`` gets the minimum ``None`` (any version will do).
    ``requires`` replaces the metadata (the tests pass a list of requirement strings).
    """
    requires = importlib.metadata.requires(DISTRIBUTION) if requires is None else requires
    required = {}
    for text in requires or []:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            raise ValueError(f"cannot read the requirement {text!r} of {DISTRIBUTION}") from None
        if requirement.marker is not None and "extra" in str(requirement.marker):
            continue
        minimums = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        required[requirement.name] = minimums[0] if minimums else None
    return required


def check_installed(distribution=DISTRIBUTION, version_of=importlib.metadata.version):
    """The course's own package must be installed: its metadata says what else must be."""
    try:
        found = version_of(distribution)
    except importlib.metadata.PackageNotFoundError:
        return Check(distribution, False, "not installed, so the packages it needs are unknown", FIX_INSTALL)
    return Check(distribution, True, found)


def check_data(directory=None):
    """The shipped data must be there, each file with the checksum ``data/MANIFEST`` gives it.

    ``directory`` replaces the installed data folder (the tests pass a damaged copy).
    """
    try:
        from softmax_lab import data

        names = data.read_manifest(directory)
        for name in names:
            data.read_verified(name, directory)
        where = data.data_dir() if directory is None else directory
    except (OSError, ValueError, ImportError) as error:   # missing, not listed, corrupt (DataIntegrityError)
        return Check("data", False, str(error), FIX_DATA)
    return Check("data", True, f"{len(names)} files match their MANIFEST checksums ({where})")


def run_checks():
    """All checks for this environment, in the order they are printed."""
    checks = [check_python()]
    installed = check_installed()
    if not installed.ok:
        return checks + [installed]
    checks += [check_package(name, minimum) for name, minimum in required_versions().items()]
    checks += [check_extension(label, package, folder) for label, (package, folder) in EXTENSIONS.items()]
    checks.append(check_data())
    return checks


def versions(version_of=importlib.metadata.version):
    """Print the versions a notebook runs with (Python and the packages learners ask about).

    One line, for example ``Python 3.11.2, numpy 2.4.6, matplotlib 3.10.8, ipywidgets 8.1.9``;
    a package that is missing shows as ``not installed``. Nothing is imported to find a version.
    """
    parts = [f"Python {sys.version.split()[0]}"]
    for name in ("numpy", "matplotlib", "ipywidgets"):
        try:
            parts.append(f"{name} {version_of(name)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{name} not installed")
    print(", ".join(parts))


def main():
    """Print every check; return 0 if all passed, 1 otherwise."""
    checks = run_checks()
    print(f"softmax-lab environment check ({sys.executable})")
    for check in checks:
        print(check.line())
    note = check_jupyter_on_path()
    if note:
        print(note)
    failed = [c.name for c in checks if not c.ok]
    print("All good." if not failed else f"{len(failed)} problem(s): {', '.join(failed)}. See the fixes above.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
