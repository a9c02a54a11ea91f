"""Build every dashboard of softmax_lab.widgets, as a lesson does; print their names as JSON.

Run as a script by tests/test_packaging.py (the package without its extras) and by
tests/test_distribution.py (the wheel in a fresh environment, from another directory), so it
imports nothing but softmax_lab and its own dependencies. ``--block NAME ...`` makes those
packages unimportable first, as if they were not installed.

The dashboards are found from ``softmax_lab.widgets.__all__`` (every Dashboard subclass and the
factory named after it in snake case), so a new dashboard is built here without editing this file;
one whose factory needs arguments must have them in ARGUMENTS.
"""

import argparse
import inspect
import json
import re
import sys


def reference_step(W, b, X, y, learning_rate):
    """A correct gradient step of softmax regression: what lesson 10's learner writes."""
    from softmax_lab import cross_entropy_grad

    g = cross_entropy_grad(X @ W + b, y)
    return W - learning_rate * X.T @ g, b - learning_rate * g.sum(axis=0)


#: The arguments of the factories that cannot be called without any.
ARGUMENTS = {"classifier_trainer": {"step": reference_step}}


def build_all():
    from softmax_lab import widgets

    built = {}
    for name in widgets.__all__:
        cls = getattr(widgets, name)
        if inspect.isclass(cls) and issubclass(cls, widgets.Dashboard) and cls is not widgets.Dashboard:
            factory_name = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
            dashboard = getattr(widgets, factory_name)(**ARGUMENTS.get(factory_name, {}))
            assert isinstance(dashboard, cls), (factory_name, type(dashboard))
            built[factory_name] = type(dashboard).__name__
    return built


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--block", nargs="*", default=[])
    args = parser.parse_args()
    for name in args.block:
        sys.modules[name] = None   # `import name` now raises ImportError
    import softmax_lab

    print(json.dumps({"package": softmax_lab.__file__, "dashboards": build_all()}))


if __name__ == "__main__":
    main()
