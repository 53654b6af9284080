"""Stamp files: ``OUT/.done/<stage>`` says a stage finished (when, how long, which command)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from specae.fileio import atomic_path


def write_stamp(done_dir: Path, stage: int, name: str, seconds: float, command: str) -> None:
    entry = {"stage": stage, "name": name, "seconds": round(seconds, 1),
             "finished": time.strftime("%Y-%m-%dT%H:%M:%S"), "command": command}
    with atomic_path(done_dir / str(stage), force=True) as tmp:
        tmp.write_text(json.dumps(entry) + "\n")


def read_stamps(done_dir: Path) -> dict[int, dict]:
    out = {}
    for path in done_dir.glob("[0-9]*"):
        if path.name.isdigit():
            out[int(path.name)] = json.loads(path.read_text())
    return out


def clear_from(done_dir: Path, stage: int) -> None:
    """Remove the stamps of ``stage`` and every later stage (their inputs are being redone)."""
    for n in read_stamps(done_dir):
        if n >= stage:
            (done_dir / str(n)).unlink(missing_ok=True)
