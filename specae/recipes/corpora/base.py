"""What every corpus preparer shares: the split lists, layout probes, lhotse conversion.

A preparer (one module per corpus) reads a local copy of its corpus, never downloads, and
returns :class:`Splits`: train / dev / test lists of :class:`Item` (id, path, speaker, and
the transcript and duration where the corpus has them). A directory that does not look like
the corpus raises :class:`~specae.errors.SpecaeError` with one line saying what was expected.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import soundfile as sf

from specae.errors import SpecaeError

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class Item:
    """One utterance of a manifest line: ``{"id", "path", "speaker", "text", "duration"}``."""

    id: str
    path: str
    speaker: str | None = None
    text: str | None = None
    duration: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Splits:
    train: list[Item] = field(default_factory=list)
    dev: list[Item] = field(default_factory=list)
    test: list[Item] = field(default_factory=list)

    def items(self) -> list[tuple[str, list[Item]]]:
        return [(name, getattr(self, name)) for name in SPLITS]


def check_corpus_dir(corpus_dir: str | os.PathLike) -> Path:
    path = Path(corpus_dir)
    if not path.is_dir():
        raise SpecaeError(f"{path}: no such directory (--corpus-dir)")
    return path


def child(parent: Path, name: str) -> Path | None:
    """The entry of ``parent`` called ``name``, in any letter case (LDC ships upper case)."""
    exact = parent / name
    if exact.exists():
        return exact
    try:
        return next((p for p in sorted(parent.iterdir()) if p.name.lower() == name.lower()), None)
    except OSError:
        return None


def find_root(corpus_dir: Path, looks_right: Callable[[Path], bool], depth: int = 2) -> Path | None:
    """``corpus_dir`` or the first folder below it (``depth`` levels, sorted) that passes
    ``looks_right``: users unpack corpora with or without their top folder."""
    level = [corpus_dir]
    for _ in range(depth + 1):
        for d in level:
            if looks_right(d):
                return d
        level = [c for d in level for c in sorted(d.iterdir()) if c.is_dir() and not c.name.startswith(".")]
    return None


def duration(path: str | os.PathLike) -> float | None:
    try:
        return float(sf.info(str(path)).duration)
    except (sf.LibsndfileError, RuntimeError):
        return None


def split_by(items: Iterable[Item], key: Callable[[Item], str], test: Iterable[str], dev: Iterable[str],
             what: str, corpus_dir: Path) -> Splits:
    """Held-out splits: items whose ``key`` is in ``test`` / ``dev``, the rest train.
    Listed groups absent from this copy are ignored; none present at all is an error."""
    items = sorted(items, key=lambda i: i.id)
    present = {key(i) for i in items}
    test, dev = set(test), set(dev)
    if not present & test:
        raise SpecaeError(f"{corpus_dir}: none of the test {what} ({', '.join(sorted(test))}) is in this "
                          f"copy (it has {', '.join(sorted(present)[:12])}...): set "
                          f"recipe.corpus.test_{what} in the config")
    out = Splits()
    for item in items:
        group = key(item)
        (out.test if group in test else out.dev if group in dev else out.train).append(item)
    if not out.train:
        raise SpecaeError(f"{corpus_dir}: all of this copy is held out (recipe.corpus.test_{what} and "
                          f"dev_{what}): nothing is left to train on")
    return out


# -- lhotse ----------------------------------------------------------------------------------
def lhotse_recipes() -> Any:
    """``lhotse.recipes``, or a one-line error saying how to install it."""
    try:
        import lhotse.recipes
    except ImportError:
        raise SpecaeError("this recipe prepares its manifests with lhotse, which is not installed: "
                          "pip install -e '.[recipes]'") from None
    return lhotse.recipes


def call_lhotse(name: str, corpus_dir: Path, *args: Any, **kwargs: Any) -> Any:
    """``lhotse.recipes.<name>(*args, **kwargs)``; its assertions become one-line errors and
    what it prints goes to stderr with its progress bars."""
    fn = getattr(lhotse_recipes(), name)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            return fn(*args, **kwargs)
    except (AssertionError, ValueError, KeyError, FileNotFoundError, IndexError) as exc:
        raise SpecaeError(f"{corpus_dir}: lhotse's {name} failed ({type(exc).__name__}: {exc})") from None


def from_lhotse(manifest: dict[str, Any], speaker: str | None = None) -> list[Item]:
    """Items of a lhotse ``{"recordings", "supervisions"}`` pair (one supervision per
    recording, as these corpora have), paths resolved through any symbolic links."""
    recordings = manifest["recordings"]
    out = []
    for sup in manifest["supervisions"]:
        rec = recordings[sup.recording_id]
        path = os.path.realpath(rec.sources[0].source)
        out.append(Item(sup.id, path, sup.speaker or speaker, (sup.text or "").strip() or None,
                        round(float(rec.duration), 3)))
    return sorted(out, key=lambda i: i.id)


def link(src: Path, dst: Path) -> None:
    """A symbolic link ``dst -> src`` (folders made as needed), for layouts lhotse assumes."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.is_symlink() or dst.exists():
        dst.unlink()
    dst.symlink_to(src.resolve())
