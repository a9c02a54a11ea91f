"""Hostile arguments as a property, over every public function of the math modules.

Every public callable found from a math module's ``__all__`` (functions, classes, their public
methods) is called with arguments drawn by *kind*. :data:`KINDS` maps a kind (logits,
probabilities, labels, a positive real, a count, a generator, text, ...) to two hypothesis
strategies: arguments inside the supported range (the "Supported range" section of each module's
docstring) and arguments outside it. :data:`PARAMETERS` maps a parameter name (or
``"function.parameter"`` where one name means two things) to its kind, so a new function is
covered by naming its parameters' kinds there, not by a new table of cases.

Two properties, for every callable:

* inside the range: a result, with no NaN (unless the function documents one) and no warning;
* one argument outside the range: a ValueError or TypeError whose message names that argument;
  never another exception, never a silent result.

The arguments of one call agree with each other through a drawn *world*: N rows, K classes (=
the vocabulary size V), d features, a dtype and the K words of a small vocabulary, so labels fit
their logits, targets their weights, contexts their model.
"""

import dataclasses
import importlib
import inspect
import pkgutil
import warnings

import numpy as np
import pytest
from fast_loop import examples
from hostile_kinds import (
    INSTANCES,
    KINDS,
    KNOWN_DEFECTS,
    NAN_BY_DESIGN,
    PARAMETERS,
    WARNS_BY_DESIGN,
    worlds,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import softmax_lab

#: Public modules that are not math modules, with the reason they are left out.
NOT_MATH = {
    "plots": "matplotlib drawing, tested by the widget tests",
    "doctor": "an environment report, tested in test_doctor.py",
    "classroom": "the classroom app's presets and parsing; no __all__ (test_widgets_classroom.py)",
    "lessons": "the lesson registry, plain data read by tools/course.py and the progress table; no __all__",
    "extras": "optional imports (ml_dtypes) with a message naming the extra to install; tested in test_packaging.py",
    "launch": "the softmax-lab command that starts a front end; tested in test_packaging.py",
}


def _without_known_defects(targets):
    """The targets of the inside property, less those with a registered inside defect (tested below)."""
    return [t for t in targets if ("inside", str(t)) not in KNOWN_DEFECTS]


def _outside_cases(targets):
    """The targets of the outside property: those with a parameter it can refuse (known defects aside)."""
    return [t for t in targets if _refusable(t)]


# ---------------------------------------------------------------------------------------------
# Finding every public callable

def math_modules():
    found = [m.name for m in pkgutil.iter_modules(softmax_lab.__path__) if not m.ispkg and not m.name.startswith("_")]
    return sorted(name for name in found if name not in NOT_MATH)


def _is_record(cls):
    """Result types (dataclasses, named tuples, exceptions): plain data, nothing to call with hostile input."""
    return dataclasses.is_dataclass(cls) or hasattr(cls, "_fields") or issubclass(cls, BaseException)


@dataclasses.dataclass(frozen=True)
class Target:
    name: str                # "softmax", "HierarchicalSoftmax.fit", "Trainer" (its constructor)
    module: str
    get: object              # world -> the callable
    signature_of: object     # what inspect.signature reads (a method's function: its first parameter is dropped)
    method: bool = False

    def __str__(self):
        return f"{self.module}.{self.name}"

    @property
    def params(self):
        params = list(inspect.signature(self.signature_of).parameters.values())[1 if self.method else 0:]
        return [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _instance_method(cls, attr):
    return lambda world: getattr(INSTANCES[f"{cls.__module__}.{cls.__name__}"](world), attr)


def public_callables():
    targets = {}
    for module_name in math_modules():
        module = importlib.import_module(f"softmax_lab.{module_name}")
        for name in getattr(module, "__all__", ()):                  # (a module without one fails a test below)
            obj = getattr(module, name)
            if inspect.isclass(obj):
                if _is_record(obj):
                    continue
                targets.setdefault(id(obj), Target(obj.__name__, obj.__module__, lambda w, obj=obj: obj, obj))
                for attr, value in vars(obj).items():
                    if attr.startswith("_") and attr != "__call__":
                        continue
                    key = f"{obj.__name__}.{attr}"
                    if isinstance(value, (classmethod, staticmethod)):
                        target = Target(key, obj.__module__, lambda w, obj=obj, attr=attr: getattr(obj, attr),
                                        getattr(obj, attr))
                    elif inspect.isfunction(value):
                        target = Target(key, obj.__module__, _instance_method(obj, attr), value, method=True)
                    else:
                        continue                                                    # properties, constants
                    targets.setdefault((id(obj), attr), target)
            elif callable(obj):
                targets.setdefault(id(obj), Target(obj.__name__, obj.__module__, lambda w, obj=obj: obj, obj))
    return sorted(targets.values(), key=str)


TARGETS = public_callables()


def kind_of(target, param):
    """The kind registered for a parameter, the most specific key first: "module:Class.method.param",
    "Class.method.param", "module:method.param", "method.param", ..., "param"."""
    parts, module = target.name.split("."), target.module.split(".")[-1]
    for i in range(len(parts) + 1):
        suffix = ".".join(parts[i:] + [param])
        for key in (f"{module}:{suffix}", suffix):
            if key in PARAMETERS:
                return KINDS[PARAMETERS[key]]
    return None


# ---------------------------------------------------------------------------------------------
# The two properties

#: Optional parameters whose default makes a slow call (2,000 training steps, 1,000 resamples, ...):
#: always passed, with a small value of their kind.
ALWAYS_PASSED = {"head_roles.sentences", "Trainer.steps", "train.steps", "run_bandit.n_steps",
                 "run_bandit.n_runs", "regret_by_temperature.n_steps", "regret_by_temperature.n_runs",
                 "runs_by_temperature.n_steps", "runs_by_temperature.n_runs",
                 "bootstrap_interval.n_boot", "make_shapes.n_per_class", "measure.min_time",
                 # lesson 13's runners: hundreds of training steps, hundreds of tokens by default
                 "train_student.steps", "measure_speculation.n_tokens", "train_router.steps",
                 "distillation_comparison.steps", "train_dual_encoder.steps", "train_dual_encoder.batch_size",
                 "dpo_tune.steps", "contrastive_comparison.steps", "contrastive_run.steps", "dpo_comparison.steps"}


#: Keyword arguments a callable takes through ``**settings`` (not drawn): small, fast values.
EXTRA_KWARGS = {"softmax_lab.transformer_training.train": dict(steps=2, batch_size=2, n_layers=1, n_heads=1,
                                                               d_model=4, d_mlp=4, max_len=8)}


def _draw_arguments(data, target, world, outside=None):
    kwargs = dict(EXTRA_KWARGS.get(str(target), {}))
    for p in target.params:
        if p.name == outside:
            kwargs[p.name] = data.draw(kind_of(target, p.name).invalid(world), label=f"{p.name} (outside)")
        elif (p.default is p.empty or f"{target.name.split('.')[-1]}.{p.name}" in ALWAYS_PASSED
              or data.draw(st.booleans(), label=f"pass {p.name}")):
            kwargs[p.name] = data.draw(kind_of(target, p.name).valid(world), label=p.name)
    return kwargs


def _call(target, world, kwargs):
    result = target.get(world)(**kwargs)
    if inspect.isgenerator(result):
        result = list(result)
    return result


def _nan_anywhere(value, depth=0):
    if depth > 4:
        return False
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "fc" and bool(np.isnan(value).any())
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    if isinstance(value, dict):
        return any(_nan_anywhere(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_nan_anywhere(v, depth + 1) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(_nan_anywhere(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value))
    return False


def _refusable(target):
    """The parameters whose kind says what to refuse, but for known defects (hostile_kinds.KNOWN_DEFECTS)."""
    return [p.name for p in target.params
            if kind_of(target, p.name) is not None and kind_of(target, p.name).invalid is not None
            and ("outside", str(target), p.name) not in KNOWN_DEFECTS]



HYPOTHESIS = dict(deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                         HealthCheck.data_too_large])
COVERED = [t for t in TARGETS if all(kind_of(t, p.name) for p in t.params)]
#: Calls that read and score a whole corpus split (about a second each): fewer examples.
SLOW = {"softmax_lab.lm.perplexity", "softmax_lab.lm.split_logits", "softmax_lab.transformer.perplexity",
        "softmax_lab.transformer.split_logits", "softmax_lab.transformer_training.head_roles",
        "softmax_lab.transformer_training.long_range_accuracy", "softmax_lab.transformer_training.subject_attention",
        # lesson 13's own runs: each reads and scores the corpus (a few seconds at the small sizes passed)
        "softmax_lab.llm_experiments.distillation_comparison", "softmax_lab.llm_experiments.lesson_router",
        "softmax_lab.llm_pairs.contrastive_comparison", "softmax_lab.llm_pairs.dpo_comparison"}
FAST_TARGETS = [t for t in COVERED if str(t) not in SLOW]
SLOW_TARGETS = [t for t in COVERED if str(t) in SLOW]


def check_inside(target, data):
    """Every argument inside the supported range: a result without NaN, and no warning."""
    world = data.draw(worlds(), label="world")
    kwargs = _draw_arguments(data, target, world)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if target.name in WARNS_BY_DESIGN:
            category, message = WARNS_BY_DESIGN[target.name]
            warnings.filterwarnings("ignore", message=message, category=category)
        result = _call(target, world, kwargs)
    if target.name not in NAN_BY_DESIGN:
        assert not _nan_anywhere(result), f"{target} returned NaN for arguments inside the supported range"


def check_outside(target, data, param=None):
    """One argument outside the range (``param``, or one drawn): refused with an error that names it,
    never anything else."""
    world = data.draw(worlds(), label="world")
    param = param or data.draw(st.sampled_from(_refusable(target)), label="parameter")
    kwargs = _draw_arguments(data, target, world, outside=param)
    kind = kind_of(target, param)
    word = kind.word or param
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            result = _call(target, world, kwargs)
        except kind.errors as exc:
            assert word in str(exc), f"{target} refused {param}={kwargs[param]!r}, but its message names " \
                                     f"something else: {exc}"
            return
    pytest.fail(f"{target} accepted {param}={kwargs[param]!r} (outside the supported range) and returned "
                f"{result!r:.200}")


@pytest.mark.parametrize("target", _without_known_defects(FAST_TARGETS), ids=str)
@settings(max_examples=examples(12), **HYPOTHESIS)
@given(data=st.data())
def test_inside_the_supported_range_a_clean_result(target, data):
    check_inside(target, data)


@pytest.mark.parametrize("target", _outside_cases(FAST_TARGETS), ids=str)
@settings(max_examples=examples(20), **HYPOTHESIS)
@given(data=st.data())
def test_one_argument_outside_the_range_is_refused_by_name(target, data):
    check_outside(target, data)


@pytest.mark.slow      # make check: calls that read and score a corpus split are left to make test
@pytest.mark.parametrize("target", _without_known_defects(SLOW_TARGETS), ids=str)
@settings(max_examples=examples(2), **HYPOTHESIS)
@given(data=st.data())
def test_inside_the_range_slow_calls(target, data):
    check_inside(target, data)


@pytest.mark.slow      # make check: calls that read and score a corpus split are left to make test
@pytest.mark.parametrize("target", _outside_cases(SLOW_TARGETS), ids=str)
@settings(max_examples=examples(4), **HYPOTHESIS)
@given(data=st.data())
def test_outside_the_range_slow_calls(target, data):
    check_outside(target, data)


# ---------------------------------------------------------------------------------------------
# The registered defects: each must still fail (strict), so a fixed one cannot stay listed

BY_NAME = {str(t): t for t in COVERED}


def _known_defect_cases():
    return [pytest.param(key, marks=pytest.mark.xfail(reason=reason, strict=True), id=":".join(key))
            for key, reason in KNOWN_DEFECTS.items()]


# make check leaves these to make test: they keep the registry honest (a fixed defect cannot stay listed) but
# catch no new defect, and each needs its 100 fixed draws to find its defect
@pytest.mark.slow
@pytest.mark.parametrize("key", _known_defect_cases())
@settings(max_examples=100, derandomize=True, database=None, phases=[Phase.generate], **HYPOTHESIS)
@given(data=st.data())
def test_a_registered_defect_is_still_there(key, data):
    """The same property as above for that target (and that parameter alone), with a fixed sequence of
    draws and no shrinking: an expected failure, strict, so once the defect is fixed this passes, the
    test fails, and the entry must go."""
    if key[0] == "inside":
        check_inside(BY_NAME[key[1]], data)
    else:
        check_outside(BY_NAME[key[1]], data, param=key[2])


# ---------------------------------------------------------------------------------------------
# The registry itself

def test_every_math_module_lists_its_public_names():
    missing = [name for name in math_modules()
               if not hasattr(importlib.import_module(f"softmax_lab.{name}"), "__all__")]
    assert missing == [], f"give these modules an __all__, or list them in NOT_MATH with a reason: {missing}"


def test_every_parameter_of_every_public_callable_has_a_kind():
    """A new function is covered by naming its parameters' kinds in PARAMETERS; this lists what is missing."""
    unknown = sorted({f"{t.name}.{p.name}" for t in TARGETS for p in t.params
                      if kind_of(t, p.name) is None})
    assert unknown == [], f"add these parameters to PARAMETERS (name -> kind): {unknown}"
    assert set(PARAMETERS.values()) <= set(KINDS), set(PARAMETERS.values()) - set(KINDS)


def test_the_property_reaches_every_math_module():
    assert {t.module.split(".")[-1] for t in COVERED} >= set(math_modules()) - {"attention_variants", "factored"}
    assert SLOW <= {str(t) for t in COVERED}
    assert len(COVERED) > 80


@pytest.mark.parametrize("module", ["calibration", "vocab", "factored", "alternatives", "attention_variants",
                                    "training", "lm", "decoding", "classify", "bandits", "data"])
def test_the_modules_state_their_supported_range(module):
    """What the properties above generate inside and expect refused outside is written down once, in the
    module's own docstring (the core's modules state theirs in the same form)."""
    doc = importlib.import_module(f"softmax_lab.{module}").__doc__
    assert "Supported range:" in doc


def test_every_known_defect_names_an_existing_callable_and_parameter():
    """An entry for a renamed function or parameter would silently hide nothing: refuse stale entries."""
    for key in KNOWN_DEFECTS:
        assert key[0] in ("inside", "outside") and key[1] in BY_NAME, key
        if key[0] == "outside":
            assert len(key) == 3 and key[2] in [p.name for p in BY_NAME[key[1]].params], key
