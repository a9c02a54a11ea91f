"""One build step that pyproject.toml cannot say: the wheel holds data/'s data, not its scripts.

pyproject.toml maps data/ onto the package softmax_lab.course_data (and notebooks/ onto
softmax_lab.notebooks), so that importlib.resources finds the shipped files the same way in a wheel
and in an editable install. setuptools copies every module of a package into the wheel; the
scripts that *build* the data (data/build.py, data/corpus.py, ...) are development tools, so this
leaves every module of those two packages out, except their ``__init__.py``. Everything else is
configured in pyproject.toml.
"""

from setuptools import setup
from setuptools.command.build_py import build_py

RESOURCE_PACKAGES = {"softmax_lab.course_data", "softmax_lab.notebooks"}


class BuildPyResourcesOnly(build_py):
    def find_package_modules(self, package, package_dir):
        modules = super().find_package_modules(package, package_dir)
        if package in RESOURCE_PACKAGES:
            modules = [(pkg, module, path) for pkg, module, path in modules if module == "__init__"]
        return modules


setup(cmdclass={"build_py": BuildPyResourcesOnly})
