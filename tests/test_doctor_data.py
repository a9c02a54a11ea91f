"""doctor's data check (softmax_lab.doctor.check_data): every file data/MANIFEST lists must be
installed with its checksum, and a failure says what to do. The same check on a damaged wheel
install: tests/test_distribution.py."""

import shutil

import pytest

from softmax_lab import data, doctor


@pytest.fixture
def copy(tmp_path):
    folder = tmp_path / "data"
    for name in [data.MANIFEST_NAME, *data.read_manifest()]:
        folder.mkdir(exist_ok=True)
        shutil.copyfile(data.data_dir() / name, folder / name)
    return folder


def test_the_installed_data_passes():
    check = doctor.check_data()
    assert check.ok and f"{len(data.read_manifest())} files match" in check.detail


def test_doctor_runs_the_data_check():
    assert "data" in [c.name for c in doctor.run_checks()]


def test_a_changed_file_fails_with_its_name_and_a_fix(copy):
    assert doctor.check_data(copy).ok
    (copy / "vocab.json").write_bytes((copy / "vocab.json").read_bytes() + b" ")
    check = doctor.check_data(copy)
    assert not check.ok and "vocab.json" in check.detail and "sha256" in check.detail
    assert "reinstall softmax-lab" in check.fix and "git checkout data" in check.fix
    assert "FAIL data" in check.line() and "fix:" in check.line()


def test_a_missing_file_or_manifest_fails(copy):
    (copy / "lm_best.npz").unlink()
    check = doctor.check_data(copy)
    assert not check.ok and "lm_best.npz" in check.detail and "missing" in check.detail
    (copy / data.MANIFEST_NAME).unlink()
    check = doctor.check_data(copy)
    assert not check.ok and "MANIFEST" in check.detail
