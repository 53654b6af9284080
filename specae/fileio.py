"""Atomic output files: write to a temporary file beside the target, then rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from specae.errors import SpecaeError


def check_writable(path: str | os.PathLike, force: bool = False) -> Path:
    """Refuse to overwrite an existing file unless ``force``; make the parent directory."""
    path = Path(path)
    if path.exists() and not force:
        raise SpecaeError(f"{path}: already exists (use --force to overwrite)")
    if path.is_dir():
        raise SpecaeError(f"{path}: is a directory, expected a file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path in the target's directory; rename it over ``path`` on success.

    On any error the temporary file is removed, so a half-written output never appears. The
    file gets the mode a plain ``open`` would give it (0666 less the umask).
    The temporary name keeps the target's suffix so writers that infer the format still work.
    """
    path = check_writable(path, force)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.exists():  # the usual mode (0666 less the umask), not mkstemp's private 0600
            os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
