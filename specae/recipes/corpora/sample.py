"""The sample corpus shipped in ``data/sample`` (synthetic speech, espeak-ng, 16 kHz FLAC):
``train/<speaker>/*.flac`` and ``test/<speaker>/*.flac``, found by a plain directory scan.

Splits: its own train (8 voices) and test (3 other voices); no dev split (training
validates on one held-out training voice).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from specae.audio import find_audio
from specae.errors import SpecaeError
from specae.recipes.corpora.base import Item, Splits, duration

NAME = "sample"
SAMPLE_RATE = 16000
#: The shipped copy, used when no --corpus-dir is given.
DEFAULT_DIR = Path(__file__).resolve().parents[3] / "data" / "sample"


@dataclass
class Options:
    pass


def prepare(corpus_dir: Path, work: Path, options: Options, nj: int = 1) -> Splits:
    if not ((corpus_dir / "train").is_dir() and (corpus_dir / "test").is_dir()):
        raise SpecaeError(f"no train/ or test/ under {corpus_dir}: is this the sample corpus? (expected "
                          f"data/sample/train/<speaker>/*.flac and test/<speaker>/*.flac)")
    out = Splits()
    for split in ("train", "test"):
        files = find_audio([corpus_dir / split])
        items = [Item(f.stem, str(f.resolve()), f.parent.name, None, duration(f)) for f in files]
        getattr(out, split).extend(sorted(items, key=lambda i: i.id))
    return out
