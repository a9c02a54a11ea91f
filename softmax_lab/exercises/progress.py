"""Your progress through the course, kept in one small local file.

Every self-check (``check_softmax(...)``, ``check_answer(...)``, ...) and every prediction records
its latest result here, so that ``00_start_here`` can show a table: lesson, checks passed out of
the lesson's total, predictions made, last attempt.

The file is JSON, on this computer only (nothing is ever sent anywhere):
``~/.softmax_lab/progress.json``, or the path in the environment variable
``SOFTMAX_LAB_PROGRESS``. Delete it, or call :func:`reset_progress`, to start again. A missing
or damaged file is treated as "no progress yet" and replaced at the next check.

Several kernels may record at once (two notebooks open): each update reads, changes and writes the
file while holding a lock (``progress.json.lock`` beside it, from the ``filelock`` package, which
works on Windows too), and writes a complete new file that replaces the old one in one step, so no
entry is lost and a reader never sees half a file. When the path is a symbolic link, the file it
points to is updated and the link stays.

The lessons and their self-checks are listed once, in :mod:`softmax_lab.lessons`.
"""

import json
import os
import tempfile
import time
from pathlib import Path

from ..lessons import LESSONS
from ..lessons import lesson_of_check as _lesson_of_check

ENV_VAR = "SOFTMAX_LAB_PROGRESS"
VERSION = 1
LOCK_TIMEOUT = 10       # seconds to wait for another kernel's update before giving up on this one

#: The self-checks of each lesson ({"01": ("probability ratio", "check_softmax"), ...}), read from
#: :data:`softmax_lab.lessons.LESSONS`. A test keeps it equal to the checks the notebooks call.
LESSON_CHECKS = {lesson.number: lesson.checks for lesson in LESSONS}


def progress_path():
    """Where the progress file lives (``$SOFTMAX_LAB_PROGRESS`` or ``~/.softmax_lab/progress.json``)."""
    custom = os.environ.get(ENV_VAR)
    return Path(custom) if custom else Path.home() / ".softmax_lab" / "progress.json"


def lesson_of_check(name):
    """The lesson ("01") whose self-check prints ``name``, or None for a check of no lesson."""
    return _lesson_of_check(name)


def _empty():
    return {"version": VERSION, "checks": {}, "predictions": {}}


def load_progress(path=None):
    """The recorded progress as a dict; an empty record when the file is missing or damaged."""
    path = Path(path) if path is not None else progress_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):   # missing, unreadable, not JSON, nested too deep
        return _empty()
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return _empty()
    record = _empty()
    for part in ("checks", "predictions"):
        entries = data.get(part)
        if isinstance(entries, dict):
            record[part] = {k: v for k, v in entries.items() if isinstance(k, str) and _valid(v)}
    return record


def _valid(entry):
    return (isinstance(entry, dict) and isinstance(entry.get("lesson"), str)
            and isinstance(entry.get("passed"), bool) and isinstance(entry.get("last"), str))


def _save(record, path):
    """Write atomically (a temporary file, then a rename), so an interrupted write never damages it."""
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".progress-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            json.dump(record, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _record(part, key, lesson, passed, path=None):
    from filelock import FileLock

    path = Path(path) if path is not None else progress_path()
    path = Path(os.path.realpath(path))    # through a symlink: update the file it points to
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(f"{path}.lock", timeout=LOCK_TIMEOUT):   # read, change, write: one writer at a time
            record = load_progress(path)
            old = record[part].get(key, {})
            record[part][key] = {
                "lesson": lesson,
                "passed": bool(passed) or bool(old.get("passed", False)),   # once passed, stays passed
                "last": time.strftime("%Y-%m-%d %H:%M"),
                "attempts": int(old.get("attempts", 0)) + 1 if isinstance(old.get("attempts", 0), int) else 1,
            }
            _save(record, path)
    except OSError as exc:                 # a read-only home, or a lock held too long: the check still answers
        print(f"(progress not saved in {path}: {exc.strerror or exc})")
        return False
    return True


def record_check(name, passed, path=None):
    """Record one self-check's result; checks that belong to no lesson are not recorded."""
    lesson = lesson_of_check(name)
    if lesson is None:
        return False
    return _record("checks", name, lesson, passed, path)


def record_prediction(key, right, path=None):
    """Record that the learner made the prediction ``key`` (and whether it was right)."""
    return _record("predictions", key, key.split(".", 1)[0], right, path)


def progress_rows(path=None):
    """One row per lesson: (lesson, checks passed, checks in the lesson, predictions made, last attempt)."""
    record = load_progress(path)
    rows = []
    for lesson, names in LESSON_CHECKS.items():
        passed = sum(1 for n in names if record["checks"].get(n, {}).get("passed"))
        made = sum(1 for e in record["predictions"].values() if e["lesson"] == lesson)
        times = [e["last"] for part in ("checks", "predictions") for e in record[part].values()
                 if e["lesson"] == lesson]
        rows.append((lesson, passed, len(names), made, max(times) if times else ""))
    return rows


def progress_table(path=None):
    """Print the progress table (nothing is returned, so a notebook shows it once)."""
    lines = [f"{'lesson':<7} {'checks passed':>13} {'predictions made':>17}  last attempt"]
    for lesson, passed, total, made, last in progress_rows(path):
        lines.append(f"{lesson:<7} {f'{passed} / {total}':>13} {made:>17}  {last or '-'}")
    where = Path(path) if path is not None else progress_path()
    lines.append(f"(kept in {where}; reset_progress() starts again)")
    print("\n".join(lines))


def reset_progress(path=None):
    """Forget all recorded progress (deletes the file). Returns True if there was one."""
    path = Path(path) if path is not None else progress_path()
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed
