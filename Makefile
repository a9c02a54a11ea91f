# softmax-lab: every target creates the virtual environment .venv on first use.
#   make lab     JupyterLab on the first lesson (installs the course: the package, its front ends, Voila)
#   make notebook  the same in Jupyter Notebook 7
#   make demo    the lessons as a Voila app, opening the classroom dashboard, for a projector
#   make test    adds the test tools, then ruff and the whole test suite (unit, property, notebooks,
#                real browser, the wheel in a fresh environment, the minimum versions): what CI runs
#   make check   ruff, then the fast tests only, stopping at the first failure (ARGS=--lf: last failures)
#   make bench   the benchmarks (ratios, never pass/fail)
#   make data    regenerate everything in data/ (corpus, tiny language model, MANIFEST)
#   make doctor  check the environment (packages, JupyterLab widget extensions, the data's checksums)
#   make screenshots  regenerate notebooks/images/screenshots/ (one small PNG per dashboard; browser)
#   make strip   clear the outputs of every notebook (they are committed without outputs)
#   make mutation  mutation testing of five math modules (mutmut; minutes per module, not part of `make test`)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Two installs: the course (what `make lab` needs), then the test tools on top (`make test`).
STAMP      := $(VENV)/.installed-stamp
TEST_STAMP := $(VENV)/.test-installed-stamp
# numpy's huge-page request off for everything started here (the tests' kernels too), as
# `softmax-lab` sets it for the lessons' kernels: softmax_lab/launch.py (KERNEL_ENVIRONMENT) says why.
export NUMPY_MADVISE_HUGEPAGE ?= 0

.PHONY: lab notebook test check bench demo data doctor screenshots strip mutation clean help

help:
	@sed -n '2,13p' Makefile

SETTINGS := jupyter-config/labconfig/default_setting_overrides.d/softmax-lab.json

# The course: the package (editable), its front ends and Voila (the extras lab and classroom of
# pyproject.toml; environment.yml lists the same). pip's editable install skips
# [tool.setuptools.data-files], so the course's default Jupyter settings (jupyter-config/README.md:
# arrow keys on sliders in Notebook 7, no news pop-up) are copied by hand; a wheel installs them.
$(STAMP): pyproject.toml setup.py $(SETTINGS)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "softmax-lab needs Python 3.10 or newer; this is " + sys.version.split()[0] + " (set PYTHON=python3.x)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[lab,classroom]'
	@mkdir -p $(VENV)/etc/jupyter/labconfig/default_setting_overrides.d
	@cp $(SETTINGS) $(VENV)/etc/jupyter/labconfig/default_setting_overrides.d/
	@touch $(STAMP)

# The test tools (the extra test: pytest, nbval, hypothesis, playwright, ruff, ...), for the
# targets that run tests or benchmarks.
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(TEST_STAMP)

# The launcher (softmax_lab/launch.py), as `softmax-lab` is used without a clone: in a clone the
# lessons are already in notebooks/, so it copies nothing and serves them in place.
lab: $(STAMP)
	$(BIN)/softmax-lab notebooks

notebook: $(STAMP)
	$(BIN)/softmax-lab notebooks --notebook

# One BLAS thread: the tests multiply many small matrices, where threads only add overhead.
# Two pytest-xdist workers, each taking whole files (a notebook's cells share one kernel; a browser
# test file shares one server): the browser tests wait on pages most of the time, so two workers
# nearly halve the run on a 2-core machine.
test: $(TEST_STAMP)
	$(BIN)/python -m ruff check .
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadfile --nbval-lax --nbval-current-env --cov=softmax_lab --cov-report=term-missing

# The loop while editing, within about a minute of CPU: no browser, no coverage, no notebook runs, no
# test marked slow (the solved notebooks, the wide families but one representative: tests/fast_loop.py),
# hypothesis's profile "check" (a tenth of the examples); stops at the first failure. One process:
# pytest-xdist's workers would each import and collect everything again (about 10 CPU-seconds each),
# more than they save here. `make check ARGS=--lf` reruns only what failed last time.
check: $(TEST_STAMP)
	$(BIN)/python -m ruff check .
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest -x -q -m "not slow and not browser" --ignore=tests/browser --hypothesis-profile=check $(ARGS)

bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/run_all.py

# The lessons as an app for a projector: code hidden, dashboards in presentation mode, the
# classroom dashboard opened; kernels of abandoned pages are stopped (launch.py: CULL_IDLE_TIMEOUT).
demo: $(STAMP)
	$(BIN)/softmax-lab notebooks --classroom

data: $(STAMP)
	$(BIN)/python data/build.py

doctor: $(STAMP)
	$(BIN)/python -m softmax_lab.doctor

# The README's pictures, taken by the browser tests (tests/browser/screenshots.py): each lesson's
# first dashboard in JupyterLab (PNG figures), and the classroom dashboard in Voila.
screenshots: $(TEST_STAMP)
	SOFTMAX_LAB_SCREENSHOTS=notebooks/images/screenshots $(BIN)/python -m pytest -q -m browser \
		tests/browser/test_lab.py tests/browser/test_voila.py \
		-k "(test_notebook_runs and png) or (test_voila and classroom)"

# Outputs, execution counts and saved widget state out of every notebook, written the way Jupyter
# writes them (tools/course.py --strip; the tests demand stripped notebooks).
strip: $(STAMP)
	$(BIN)/python tools/course.py --strip

# Mutation testing with mutmut (configured in pyproject.toml, [tool.mutmut]): each mutant (an operator
# swapped, a constant changed, an argument dropped; never a docstring or an error message) runs against
# the tests that call the mutated function; a mutant no test fails is a gap in the tests, or equivalent.
# One worker at lowest priority: the machine may be shared. `make mutation MODULES="attention vocab"`
# narrows the run. tools/mutation_report.py prints the table of benchmarks/mutation.md and every
# survivor not yet classified (tools/mutation_equivalent.txt, or a test in tests/test_mutation_*.py).
# mutmut is a developer's tool, installed here rather than declared in pyproject.toml (whose packages
# environment.yml must mirror for the learners' conda route).
MODULES ?= attention calibration attention_variants alternatives vocab
MUTMUT  := mutmut>=3.8,<4
mutation: $(TEST_STAMP)
	@$(BIN)/python -c "import mutmut" 2>/dev/null || $(BIN)/python -m pip install --quiet --disable-pip-version-check '$(MUTMUT)'
	rm -rf mutants
	OPENBLAS_NUM_THREADS=1 nice -n 19 $(BIN)/mutmut run --max-children 1 $(foreach m,$(MODULES),"softmax_lab.$(m).*")
	$(BIN)/python tools/mutation_report.py $(MODULES)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .coverage test-artifacts build mutants
