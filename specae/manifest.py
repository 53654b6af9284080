"""Inputs as utterances: audio files, directories (searched recursively) and manifests.

Manifests: ``.jsonl`` / ``.jsonl.gz`` with one object a line (``path``, or ``audio_filepath``
/ ``source``; optional ``id`` and ``speaker``), or a text list (``.txt``, ``.lst``, ``.scp``)
with one path a line, or Kaldi's ``id path`` pairs. Relative paths are relative to the
manifest's directory.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path

from specae.audio import find_audio
from specae.errors import SpecaeError

MANIFEST_SUFFIXES = (".jsonl", ".jsonl.gz", ".txt", ".lst", ".scp")


@dataclass(frozen=True)
class Utterance:
    id: str
    path: str
    speaker: str | None = None


def _is_manifest(path: Path) -> bool:
    return any(path.name.endswith(s) for s in MANIFEST_SUFFIXES)


def _read_manifest(path: Path) -> list[Utterance]:
    opener = gzip.open if path.name.endswith(".gz") else open
    out = []
    with opener(path, "rt") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if path.name.endswith((".jsonl", ".jsonl.gz")):
                try:
                    item = json.loads(line)
                    audio = item.get("path") or item.get("audio_filepath") or item.get("source")
                except (json.JSONDecodeError, AttributeError):
                    raise SpecaeError(f"{path}:{n}: not a JSON object") from None
                if not audio:
                    raise SpecaeError(f"{path}:{n}: no 'path' field")
                uid, speaker = item.get("id"), item.get("speaker")
            else:
                parts = line.split(maxsplit=1)
                uid, audio = (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])
                speaker = None
            full = Path(audio) if os.path.isabs(audio) else path.parent / audio
            out.append(Utterance(str(uid or full.stem), str(full), speaker))
    if not out:
        raise SpecaeError(f"{path}: manifest lists no utterances")
    return out


def read_inputs(paths: list[str | os.PathLike]) -> list[Utterance]:
    """Utterances from files, directories and manifests, in order; ids made unique."""
    utts: list[Utterance] = []
    for p in map(Path, paths):
        if p.is_dir():
            utts.extend(Utterance(str(f.relative_to(p).with_suffix("")), str(f)) for f in find_audio([p]))
        elif not p.exists():
            raise SpecaeError(f"{p}: no such file or directory")
        elif _is_manifest(p):
            utts.extend(_read_manifest(p))
        else:
            utts.append(Utterance(p.stem, str(p)))
    seen: dict[str, int] = {}
    unique = []
    for u in utts:
        n = seen.get(u.id, 0)
        seen[u.id] = n + 1
        unique.append(u if n == 0 else Utterance(f"{u.id}#{n}", u.path, u.speaker))
    return unique
