"""The whole-class routes of the README ("For teachers", "conda / Binder"), checked as far as they
can be checked here: without a JupyterHub, without a container engine, without the network.

nbgitpuller (a hub link that gives every learner a copy of the lessons, and updates that copy on
the next click): its pull logic, ``nbgitpuller.pull.GitPuller``, is what the hub runs, and it runs
here against a local upstream repository holding real lessons. A learner solves an exercise and
runs the lesson (saved with nbformat, as Jupyter's contents manager saves); the teacher commits a
change upstream; the learner pulls again. What must hold, and what the README promises:

* an upstream change to another lesson, or to another cell of the same lesson, arrives, and the
  learner's own edit survives;
* when both changed the same lines, the learner's version wins (nbgitpuller merges with
  ``git merge -Xours``): the upstream change to those lines is dropped, silently;
* a lesson the learner deleted comes back on the next pull;
* the lessons are stored exactly as Jupyter writes them, so that a learner's save changes only
  the lines the learner changed (otherwise every upstream change to that lesson is lost).

Binder and repo2docker: the rules repo2docker's conda buildpack applies to this repository (read
from its source, repo2docker/buildpacks/conda/__init__.py and buildpacks/base.py) are checked
without repo2docker; with repo2docker available (``pip install jupyter-repo2docker``; it is not in
the test extra), ``repo2docker --no-build --debug`` renders the Dockerfile it would build, without
Docker, and the test reads which buildpack and files it picked.
"""

import importlib.util
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest
import yaml
from nbgitpuller.pull import GitPuller

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LESSONS = ["00_start_here.ipynb", "01_softmax_basics.ipynb", "02_temperature_and_overconfidence.ipynb"]

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


# --------------------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def isolated_git(monkeypatch):
    """No global or system git configuration (a user's pull.rebase or merge settings) leaks in."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(Path(__file__).with_name("no-such-gitconfig")))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_DIR", "GIT_WORK_TREE", "NBGITPULLER_DEPTH"):
        monkeypatch.delenv(var, raising=False)


def git(repo, *args):
    identity = ["-c", "user.name=Teacher", "-c", "user.email=teacher@example.org"]
    result = subprocess.run(["git", *identity, *args], cwd=repo, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"git {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def make_upstream(root):
    """The teacher's repository: a few real lessons on branch main, one commit."""
    repo = root / "upstream" / "softmax-lab"
    (repo / "notebooks").mkdir(parents=True)
    for name in LESSONS:
        shutil.copyfile(ROOT / "notebooks" / name, repo / "notebooks" / name)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "the lessons")
    return repo


@pytest.fixture
def upstream(tmp_path):
    return make_upstream(tmp_path)


def pull(upstream, learner_dir):
    """What the hub does when a learner clicks the link: GitPuller(...).pull(), run to the end.

    A file:// URL, so that the first pull is a shallow clone (depth 1, nbgitpuller's default),
    as it is from GitHub (git ignores --depth for a plain local path).
    """
    return "".join(GitPuller(upstream.as_uri(), str(learner_dir), branch="main").pull())


def read(path):
    return nbformat.read(path, as_version=nbformat.NO_CONVERT)


def save(nb, path):
    """Save as JupyterLab does: jupyter_server's contents manager calls nbformat.write."""
    nbformat.write(nb, path, version=nbformat.NO_CONVERT)


def cell_index(nb, predicate, what):
    found = [i for i, cell in enumerate(nb.cells) if predicate(cell)]
    assert found, f"no {what} in this lesson"
    return found[0]


def exercise_stub(nb):
    return cell_index(nb, lambda c: c.cell_type == "code" and "raise NotImplementedError" in c.source,
                      "exercise stub (a code cell with raise NotImplementedError)")


def story(nb):
    """The first markdown cell after the navigation line: the lesson's title and story."""
    return cell_index(nb, lambda c: c.cell_type == "markdown" and c.source.startswith("# "), "title cell")


def learner_works_on(path):
    """The learner solves the first exercise, runs every cell, and saves; returns the solved cell.

    Running is simulated (an execution count and an output in every code cell): it changes lines
    all over the file, as a real run does.
    """
    nb = read(path)
    stub = exercise_stub(nb)
    nb.cells[stub].source = re.sub(r"^(\s*)raise NotImplementedError.*$",
                                   r"\1return np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)  # mine",
                                   nb.cells[stub].source, count=1, flags=re.M)
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"output of run {count}\n")]
    save(nb, path)
    return nb.cells[stub].source


def solved(nb, source):
    """The index of the cell holding ``source`` (the learner's solved exercise)."""
    return cell_index(nb, lambda c: c.source == source, "cell with the learner's solution")


def teacher_edits(upstream, name, index_of, text, message):
    """The teacher appends a sentence to one cell of a lesson and commits it upstream."""
    path = upstream / "notebooks" / name
    nb = read(path)
    i = index_of(nb)
    nb.cells[i].source += text
    save(nb, path)
    git(upstream, "commit", "-q", "-am", message)
    return nb.cells[i].source


# --------------------------------------------------------------------------- nbgitpuller


def test_first_click_clones_the_lessons_into_the_learners_folder(upstream, tmp_path):
    learner = tmp_path / "home" / "softmax-lab"
    log = pull(upstream, learner)
    assert "git clone --depth 1 --branch main" in log
    for name in LESSONS:
        assert (learner / "notebooks" / name).read_bytes() == (upstream / "notebooks" / name).read_bytes()
    assert git(learner, "rev-parse", "--is-shallow-repository").strip() == "true"


def test_learner_edit_survives_an_upstream_change_to_another_lesson(upstream, tmp_path):
    learner = tmp_path / "home" / "softmax-lab"
    pull(upstream, learner)
    mine = learner_works_on(learner / "notebooks" / LESSONS[1])
    theirs = teacher_edits(upstream, LESSONS[2], story, "\n\nA sentence the teacher added later.",
                           "lesson 02: one more sentence in the story")

    log = pull(upstream, learner)

    assert "Automatic commit by nbgitpuller" in log  # the learner's work, committed before the merge
    lesson1, lesson2 = read(learner / "notebooks" / LESSONS[1]), read(learner / "notebooks" / LESSONS[2])
    assert lesson1.cells[solved(lesson1, mine)].source == mine   # the learner's work
    assert lesson2.cells[story(lesson2)].source == theirs                          # the teacher's change
    assert all(c.outputs for c in lesson1.cells if c.cell_type == "code")          # the learner's outputs
    nbformat.validate(lesson1)
    nbformat.validate(lesson2)


def test_learner_edit_survives_an_upstream_change_elsewhere_in_the_same_lesson(upstream, tmp_path):
    learner = tmp_path / "home" / "softmax-lab"
    pull(upstream, learner)
    name = LESSONS[1]
    mine = learner_works_on(learner / "notebooks" / name)
    theirs = teacher_edits(upstream, name, story, "\n\nA sentence the teacher added later.",
                           "lesson 01: one more sentence in the story")

    pull(upstream, learner)

    lesson = read(learner / "notebooks" / name)
    nbformat.validate(lesson)
    assert lesson.cells[story(lesson)].source == theirs, "the teacher's change to another cell did not arrive"
    assert lesson.cells[solved(lesson, mine)].source == mine
    assert "<<<<<<<" not in (learner / "notebooks" / name).read_text(encoding="utf-8")
    # A third click with nothing new upstream changes nothing.
    before = (learner / "notebooks" / name).read_bytes()
    pull(upstream, learner)
    assert (learner / "notebooks" / name).read_bytes() == before


def test_when_both_change_the_same_cell_the_learners_version_wins(upstream, tmp_path):
    """nbgitpuller merges with `git merge -Xours`: conflicting lines keep the learner's side.

    The teacher's change to those lines is dropped without a message; the rest of the upstream
    commit (here: a change to the story of the same lesson) still arrives.
    """
    learner = tmp_path / "home" / "softmax-lab"
    pull(upstream, learner)
    name = LESSONS[1]
    mine = learner_works_on(learner / "notebooks" / name)

    path = upstream / "notebooks" / name
    nb = read(path)
    stub = exercise_stub(nb)
    nb.cells[stub].source = nb.cells[stub].source.replace(
        "raise NotImplementedError", "raise NotImplementedError('write your softmax here')")
    nb.cells[story(nb)].source += "\n\nA sentence the teacher added later."
    theirs_story = nb.cells[story(nb)].source
    save(nb, path)
    git(upstream, "commit", "-q", "-am", "lesson 01: a clearer stub, and one more sentence")

    log = pull(upstream, learner)

    lesson = read(learner / "notebooks" / name)
    nbformat.validate(lesson)
    assert lesson.cells[solved(lesson, mine)].source == mine
    assert "write your softmax here" not in (learner / "notebooks" / name).read_text(encoding="utf-8")
    assert lesson.cells[story(lesson)].source == theirs_story
    assert "-Xours" in log


def test_a_deleted_lesson_comes_back_on_the_next_click(upstream, tmp_path):
    learner = tmp_path / "home" / "softmax-lab"
    pull(upstream, learner)
    (learner / "notebooks" / LESSONS[0]).unlink()
    pull(upstream, learner)
    assert (learner / "notebooks" / LESSONS[0]).read_bytes() == (upstream / "notebooks" / LESSONS[0]).read_bytes()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_lesson_is_stored_exactly_as_jupyter_saves_it(path):
    """Open and save without a change must not change a byte.

    Otherwise a learner's first save rewrites every line of the lesson, every later upstream
    change to it conflicts with the learner's side, and -Xours drops them all (the next test
    shows that happening).
    """
    text = path.read_text(encoding="utf-8")
    saved = nbformat.writes(read(path), version=nbformat.NO_CONVERT)
    saved += "" if saved.endswith("\n") else "\n"  # nbformat.write adds the final newline
    assert saved == text, f"{path.name} is not stored as Jupyter writes it: re-save it with nbformat.write"


def test_a_lesson_stored_in_another_format_loses_every_upstream_change(upstream, tmp_path):
    """Why the test above matters: the same workflow, a lesson indented by 2 instead of 1."""
    name = LESSONS[1]
    path = upstream / "notebooks" / name
    path.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8")), indent=2) + "\n", encoding="utf-8")
    git(upstream, "commit", "-q", "-am", "lesson 01 written by another tool")
    learner = tmp_path / "home" / "softmax-lab"
    pull(upstream, learner)
    learner_works_on(learner / "notebooks" / name)
    teacher_edits(upstream, name, story, "\n\nA sentence the teacher added later.", "lesson 01: one more sentence")

    pull(upstream, learner)

    assert "A sentence the teacher added later." not in (learner / "notebooks" / name).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- Binder / repo2docker

# repo2docker's own pattern for the Python version (buildpacks/conda/__init__.py, PYTHON_REGEX):
# only "python=X.Y" or "python==X.Y" is read; "python>=3.10" falls back to its default version,
# with a warning that the default "will change in the future".
R2D_PYTHON = re.compile(r"python\s*=+\s*([\d\.]*)")


def binder_problems(root):
    """What would make repo2docker build something other than environment.yml as it stands."""
    problems = []
    # binder/ or .binder/ moves every configuration file there (base.py, binder_dir): the
    # top-level environment.yml would be ignored.
    problems += [f"{d}/ exists: repo2docker would ignore the top-level files" for d in ("binder", ".binder")
                 if (root / d).is_dir()]
    # Buildpacks tried before conda (app.py, Repo2Docker.buildpacks): a Dockerfile, Julia, Nix, R.
    problems += [f"{f} exists: repo2docker would pick another buildpack than conda" for f in
                 ("Dockerfile", "Project.toml", "REQUIRE", "default.nix", "install.R", "DESCRIPTION", "runtime.txt")
                 if (root / f).exists()]
    problems += [f"{f} exists: not needed, since environment.yml installs everything" for f in
                 ("postBuild", "start", "apt.txt", "requirements.txt") if (root / f).exists()]
    env = yaml.safe_load((root / "environment.yml").read_text())
    pythons = [d for d in env["dependencies"] if isinstance(d, str) and re.match(r"python\b", d)]
    if len(pythons) != 1 or not R2D_PYTHON.match(pythons[0]):
        problems.append(f"the python line {pythons} is not pinned as python=X.Y: repo2docker would use its default")
    pip = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    if pip != [["-e ."]]:
        problems.append(f"the pip section is {pip}, not [-e .]")
    return problems


def test_binder_builds_from_environment_yml_alone():
    assert binder_problems(ROOT) == []


def test_the_binder_rules_catch_what_would_change_the_build(tmp_path):
    shutil.copyfile(ROOT / "environment.yml", tmp_path / "environment.yml")
    assert binder_problems(tmp_path) == []
    (tmp_path / "binder").mkdir()
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "postBuild").write_text("pip install -e .\n")
    text = (tmp_path / "environment.yml").read_text()
    (tmp_path / "environment.yml").write_text(re.sub(r"- python\S*", "- python>=3.10", text))
    problems = "\n".join(binder_problems(tmp_path))
    for fragment in ("binder/ exists", "Dockerfile exists", "postBuild exists", "not pinned"):
        assert fragment in problems, problems


def repo2docker_command():
    """How to run repo2docker here, or None: the package in this Python, or the command on PATH."""
    if importlib.util.find_spec("repo2docker") is not None:
        return [sys.executable, "-m", "repo2docker"]
    found = shutil.which("jupyter-repo2docker") or shutil.which("repo2docker")
    return [found] if found else None


def test_repo2docker_picks_the_conda_buildpack_and_installs_the_package_from_the_copied_repo(tmp_path):
    command = repo2docker_command()
    if command is None:
        pytest.skip("repo2docker is not installed (pip install jupyter-repo2docker; it is not in the test extra)")
    # A copy of the files git tracks, as they are now (no .venv, caches or test artifacts).
    copy = tmp_path / "softmax-lab"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / name, copy / name)
    result = subprocess.run([*command, "--no-build", "--debug", str(copy)], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    dockerfile, log = result.stdout, result.stderr

    assert "Building conda environment for python=3.11" in log, log[-2000:]
    assert "Python version unspecified" not in log
    # The environment is installed after the repository is copied into ${REPO_DIR}, from there:
    # `pip: [-e .]` makes repo2docker skip its pre-assemble step (_should_preassemble_env), and
    # WORKDIR ${REPO_DIR} is where `mamba env update --file "environment.yml"` runs.
    lines = dockerfile.splitlines()
    workdir = lines.index("WORKDIR ${REPO_DIR}")
    copied = next(i for i, line in enumerate(lines) if re.match(r"COPY --chown=\S+ src/ \$\{REPO_DIR\}/$", line))
    update = next(i for i, line in enumerate(lines) if "env update" in line)
    assert workdir < copied < update
    assert '--file "environment.yml"' in lines[update]
    assert not re.search(r"^RUN \./", dockerfile, re.M), "a postBuild script is run"


# --------------------------------------------------------------------------- the routes, served


@pytest.fixture(scope="module")
def jupyter_server(tmp_path_factory):
    """A Jupyter server (what a hub starts for each learner) with this environment's extensions.

    nbgitpuller and Voila enable themselves as server extensions when installed (their files in
    ``sys.prefix/etc/jupyter/jupyter_server_config.d``); nothing else is configured here. The
    learner's home is an empty temporary folder; the kernels import softmax_lab from this tree.
    """
    root = tmp_path_factory.mktemp("hub-user")
    home = root / "home"
    home.mkdir()
    env = os.environ.copy()
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR"):
        (root / var).mkdir()
        env[var] = str(root / var)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["GIT_CONFIG_GLOBAL"], env["GIT_CONFIG_NOSYSTEM"] = str(root / "no-gitconfig"), "1"
    for var in ("SOFTMAX_LAB_FIGURES", "SOFTMAX_LAB_PRESENTATION", "JUPYTER_PATH", "NBGITPULLER_PARENTPATH"):
        env.pop(var, None)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root", "--ip=127.0.0.1",
               f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={home}"]
    log = open(root / "server.log", "w")
    process = subprocess.Popen(command, env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT)
    server = type("Server", (), {})()
    server.url, server.token, server.home, server.root = f"http://127.0.0.1:{port}", token, home, root
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (root / "server.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"{server.url}/api/status?token={token}", timeout=2):
                    break
            except (urllib.error.URLError, OSError):
                assert time.monotonic() < deadline, (root / "server.log").read_text()[-3000:]
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(20)
        log.close()


def get(server, path, **query):
    url = f"{server.url}/{path}?" + urllib.parse.urlencode(query)
    request = urllib.request.Request(url, headers={"Authorization": f"token {server.token}"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.status, response.read().decode()


@pytest.mark.slow
def test_the_git_pull_link_clones_through_the_server_extension(jupyter_server, tmp_path):
    """The link a teacher hands out, minus the hub's /hub/user-redirect/ prefix.

    /git-pull shows the progress page (its JavaScript calls /git-pull/api, then goes to
    urlpath); /git-pull/api is the pull itself, as a stream of events.
    """
    upstream = make_upstream(tmp_path)
    repo = upstream.as_uri()
    # A query inside urlpath (the classroom's ?preset=) travels URL-encoded and comes back whole.
    urlpath = "voila/render/softmax-lab/notebooks/classroom.ipynb?preset=demo"
    status, page = get(jupyter_server, "git-pull", repo=repo, branch="main", urlpath=urlpath)
    assert status == 200 and f"data-path=\"{urllib.parse.quote(urlpath)}\"" in page, page[:2000]

    status, events = get(jupyter_server, "git-pull/api", repo=repo, branch="main")
    phases = [json.loads(line.removeprefix("data: ")).get("phase")
              for line in events.splitlines() if line.startswith("data: ")]
    assert status == 200 and phases[-1] == "finished", events[-3000:]
    for name in LESSONS:  # the folder is named after the repository: softmax-lab
        assert (jupyter_server.home / "softmax-lab" / "notebooks" / name).is_file()


VOILA_CELL_ERROR = "There was an error when executing cell"  # Voila's page when tracebacks are hidden


@pytest.mark.slow
def test_voila_renders_a_lesson_under_the_users_server(jupyter_server):
    """/voila/render/<path> under the learner's own server (Voila as a server extension).

    Voila runs the notebook before it answers: a cell that raised shows as an error in the page.
    """
    notebooks = jupyter_server.home / "course"
    notebooks.mkdir(exist_ok=True)
    shutil.copyfile(ROOT / "notebooks" / "00_start_here.ipynb", notebooks / "00_start_here.ipynb")
    status, page = get(jupyter_server, "voila/render/course/00_start_here.ipynb")
    assert status == 200
    assert "application/vnd.jupyter.widget-view+json" in page, page[-3000:]
    assert VOILA_CELL_ERROR not in page and "Traceback" not in page, page[-3000:]
    # ... and the check above can fail: a notebook whose cell raises.
    broken = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")])
    broken.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(broken, notebooks / "broken.ipynb")
    status, page = get(jupyter_server, "voila/render/course/broken.ipynb")
    assert VOILA_CELL_ERROR in page or "ZeroDivisionError" in page, page[-3000:]
