"""Atomic outputs: nothing half-written, no overwrite without force, the usual file mode."""

import os
import stat

import pytest

from specae.errors import SpecaeError
from specae.fileio import atomic_path


def test_written_file_has_the_umask_mode_not_the_temp_file_mode(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "out.txt") as tmp:
            tmp.write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.txt").stat().st_mode) == 0o644


def test_failure_leaves_nothing_and_existing_files_are_kept(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "a.bin") as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("writer failed")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "b.bin").write_bytes(b"old")
    with pytest.raises(SpecaeError, match="already exists"), atomic_path(tmp_path / "b.bin"):
        pass
    with atomic_path(tmp_path / "b.bin", force=True) as tmp:
        tmp.write_bytes(b"new")
    assert (tmp_path / "b.bin").read_bytes() == b"new"
