"""Loading the course's shipped data, with every file checked against ``data/MANIFEST``.

The folder ``data/`` (at the root of the repository) holds the corpus splits, the vocabulary
and the tiny language model's weights, all made by ``make data`` (``data/build.py``). The
package reads it as ``softmax_lab.course_data`` with ``importlib.resources`` (:func:`data_dir`):
a wheel carries those files inside the package, an editable install maps the package onto
``data/`` itself (``pyproject.toml``). ``data/MANIFEST`` lists the SHA-256 checksum of every one of them, in the
format of ``sha256sum`` (``"<64 hex digits>  <file name>"`` per line).

Every loader here reads a file's bytes once, checks their checksum against the MANIFEST and
only then parses those same bytes. A missing file, a file the MANIFEST does not list, or a
file whose checksum differs (corrupted, truncated, edited by hand) is refused with an error
that names the file, shows the expected and the actual checksum and says how to fix it.

NumPy files are read with ``np.load(..., allow_pickle=False)``: no pickle, so loading data can
never run code. Everything here is numpy and the standard library only.

Supported range: ``name`` is a plain file name listed in the MANIFEST, ``directory`` None or a
folder (a str or a pathlib.Path). A missing file raises FileNotFoundError; a file that differs
from the MANIFEST, a MANIFEST that is not UTF-8 text, a malformed line or a file listed twice
raise :class:`DataIntegrityError`; other bad arguments a TypeError or ValueError naming them.

Examples
--------
>>> sorted(read_manifest())[:2]
['README.md', 'corpus_calibration.txt']
>>> load_sentences("train")[0][-1]
'.'
"""

import hashlib
import io
import json
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = [
    "DataIntegrityError",
    "MANIFEST_NAME",
    "SPLITS",
    "CALIBRATION_SPLIT",
    "data_dir",
    "sha256_hex",
    "read_manifest",
    "read_verified",
    "load_text",
    "load_json",
    "load_npz",
    "load_sentences",
    "write_npz",
    "write_manifest",
]

MANIFEST_NAME = "MANIFEST"
SPLITS = ("train", "validation", "test")
#: Held out from training, made by the same grammar with its own seed (lesson 07 measures calibration on it).
CALIBRATION_SPLIT = "calibration"
_FIX = ("reinstall softmax-lab, or in a clone of the repository restore data/ with `git checkout data` "
        "(`make data` regenerates it)")


class DataIntegrityError(ValueError):
    """A shipped data file is not the file the MANIFEST describes (or is not listed at all)."""


DATA_PACKAGE = "softmax_lab.course_data"


def data_dir():
    """The shipped data folder, found with ``importlib.resources`` as the package ``softmax_lab.course_data``.

    In a wheel that is ``site-packages/softmax_lab/course_data``; in an editable install (``make``,
    ``pip install -e .``) it is the repository's ``data/``. The package must be installed: a
    checkout put on ``sys.path`` by hand has no ``softmax_lab.course_data``.

    Examples
    --------
    >>> (data_dir() / "MANIFEST").is_file()
    True
    """
    try:
        return resources.files(DATA_PACKAGE)
    except ModuleNotFoundError as error:
        raise FileNotFoundError(
            f"the course's data ({DATA_PACKAGE}) is not installed: softmax_lab was imported from "
            f"{Path(__file__).parent} without installing it; install it with `pip install -e .` in the "
            "repository (or `make lab`), or install the wheel") from error


def _directory(directory):
    if directory is None:
        return data_dir()
    if not isinstance(directory, (str, Path)) or not str(directory):
        raise TypeError(f"directory must be a folder (a str or a pathlib.Path), or None, got {directory!r}")
    return Path(directory)


def _check_name(name, what="name"):
    if not isinstance(name, str) or not name:
        raise TypeError(f"{what} must be a file name (a non-empty string), got {name!r}")
    if Path(name).name != name or name in (".", ".."):
        raise ValueError(f"{what} must be a plain file name inside the data folder, got {name!r}")
    return name


def sha256_hex(data):
    """The SHA-256 checksum of ``data`` (bytes) as 64 hex digits, as ``sha256sum`` prints it.

    Examples
    --------
    >>> sha256_hex(b"")[:16]
    'e3b0c44298fc1c14'
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes (encode a str first), got {type(data).__name__}")
    return hashlib.sha256(data).hexdigest()


def read_manifest(directory=None):
    """Read ``MANIFEST``: a dict from file name to its expected SHA-256 (hex).

    Parameters
    ----------
    directory : str or Path, optional
        The data folder; :func:`data_dir` by default.

    Raises
    ------
    FileNotFoundError
        The MANIFEST is missing.
    DataIntegrityError
        The MANIFEST is not UTF-8 text, a line is not ``"<64 hex digits>  <file name>"`` (blank
        lines are skipped), or a file is listed twice.
    """
    path = _directory(directory) / MANIFEST_NAME
    if not path.is_file():
        raise FileNotFoundError(f"data manifest {path} is missing; {_FIX}")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise DataIntegrityError(f"{path} is not a text file (not UTF-8); {_FIX}") from None
    entries, lines = {}, {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue                                      # blank lines (a trailing newline or two) are fine
        digest, sep, name = line.partition("  ")
        if not (sep and name and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)):
            raise DataIntegrityError(
                f"{path}, line {number}: expected '<sha256>  <file name>', got {line!r}; {_FIX}")
        if name in entries:
            raise DataIntegrityError(f"{path} lists {name!r} twice (lines {lines[name]} and {number}); {_FIX}")
        entries[name], lines[name] = digest, number
    return entries


def read_verified(name, directory=None):
    """The bytes of data file ``name``, after checking them against the MANIFEST.

    Parameters
    ----------
    name : str
        A file name inside the data folder, e.g. ``"vocab.json"``.
    directory : str or Path, optional
        The data folder; :func:`data_dir` by default.

    Returns
    -------
    bytes

    Raises
    ------
    FileNotFoundError
        The file (or the MANIFEST) is missing.
    DataIntegrityError
        The MANIFEST does not list the file, or the checksum differs.

    Examples
    --------
    >>> read_verified("vocab.json")[:1]
    b'{'
    """
    name = _check_name(name)
    folder = _directory(directory)
    path = folder / name
    if not path.is_file():
        raise FileNotFoundError(f"data file {name!r} is missing from {folder}; {_FIX}")
    expected = read_manifest(folder).get(name)
    if expected is None:
        raise DataIntegrityError(f"data file {name!r} is not listed in {folder / MANIFEST_NAME}; {_FIX}")
    data = path.read_bytes()
    got = sha256_hex(data)
    if got != expected:
        raise DataIntegrityError(
            f"data file {name!r} in {folder} is corrupt or was changed: its sha256 is {got}, "
            f"but the MANIFEST expects {expected}; {_FIX}")
    return data


def load_text(name, directory=None):
    """A verified text file (UTF-8) as a string."""
    return read_verified(name, directory).decode("utf-8")


def load_json(name, directory=None):
    """A verified JSON file, parsed."""
    return json.loads(load_text(name, directory))


def load_npz(name, directory=None):
    """A verified ``.npz`` file as a dict of arrays, read with ``allow_pickle=False``.

    Examples
    --------
    >>> weights = load_npz("lm_best.npz")
    >>> weights["embeddings"].dtype
    dtype('float32')
    """
    data = read_verified(name, directory)
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def load_sentences(split, directory=None):
    """One corpus split (``"train"``, ``"validation"``, ``"test"`` or ``"calibration"``) as lists of words.

    The file ``corpus_<split>.txt`` holds one sentence per line, words separated by spaces.

    Examples
    --------
    >>> len(load_sentences("validation")) > 100
    True
    """
    if split not in (*SPLITS, CALIBRATION_SPLIT):
        raise ValueError(f"split must be one of {', '.join(map(repr, (*SPLITS, CALIBRATION_SPLIT)))}, got {split!r}")
    text = load_text(f"corpus_{split}.txt", directory)
    return [line.split() for line in text.splitlines() if line.strip()]


# ---------------------------------------------------------------------------------------------
# Writing (used by data/build.py)

def write_npz(path, arrays):
    """Write ``arrays`` (a dict) as an ``.npz`` file that is byte-identical on every run.

    ``np.savez`` stamps each member with the current time, so two runs give different bytes.
    Here every member gets a fixed date (1980-01-01), in the order given, deflate-compressed.
    The result loads with ``np.load(path, allow_pickle=False)``.
    """
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a file path (a str or a pathlib.Path), got {path!r}")
    if not isinstance(arrays, dict) or not all(isinstance(k, str) and k for k in arrays):
        raise TypeError(f"arrays must be a dict from names (non-empty str) to arrays, got {arrays!r:.80}")
    arrays = {key: np.asarray(value) for key, value in arrays.items()}
    for key, value in arrays.items():
        if value.dtype.hasobject:
            raise TypeError(f"arrays[{key!r}] holds Python objects, which an .npz without pickle cannot store")
    with zipfile.ZipFile(path, "w") as archive:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, value, allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue())


def write_manifest(directory, names):
    """Write ``<directory>/MANIFEST`` with the SHA-256 of each file in ``names`` (sorted)."""
    folder = _directory(directory)
    if isinstance(names, (str, bytes)) or not np.iterable(names):
        raise TypeError(f"names must be a list of file names, got {names!r}")
    names = [_check_name(name, "names") for name in names]
    lines = [f"{sha256_hex((folder / name).read_bytes())}  {name}\n" for name in sorted(names)]
    (folder / MANIFEST_NAME).write_text("".join(lines), encoding="utf-8")
