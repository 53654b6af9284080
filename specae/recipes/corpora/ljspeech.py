"""LJSpeech 1.1: ``metadata.csv`` (``id|text|normalised text``) and ``wavs/LJ001-0001.wav``
(22.05 kHz), in the given folder or in ``LJSpeech-1.1/`` below it.

LJSpeech has one speaker, so no split can hold a speaker out. The test split holds out
whole id groups instead (every clip whose id starts with LJ001 or LJ002; dev: LJ003), so
no test passage is heard in training; train is LJ004 to LJ050.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from specae.errors import SpecaeError
from specae.recipes.corpora.base import Splits, call_lhotse, find_root, from_lhotse, split_by

NAME = "ljspeech"
SAMPLE_RATE = 16000


@dataclass
class Options:
    test_prefixes: list[str] = field(default_factory=lambda: ["LJ001", "LJ002"])
    dev_prefixes: list[str] = field(default_factory=lambda: ["LJ003"])


def prepare(corpus_dir: Path, work: Path, options: Options, nj: int = 1) -> Splits:
    root = find_root(corpus_dir, lambda d: (d / "metadata.csv").is_file() and (d / "wavs").is_dir())
    if root is None:
        raise SpecaeError(f"no metadata.csv and wavs/ under {corpus_dir}: is this LJSpeech 1.1? (expected "
                          f"LJSpeech-1.1/metadata.csv and LJSpeech-1.1/wavs/LJ001-0001.wav)")
    manifest = call_lhotse("prepare_ljspeech", corpus_dir, root)
    return split_by(from_lhotse(manifest, speaker="LJ"), lambda i: i.id.split("-")[0],
                    options.test_prefixes, options.dev_prefixes, "prefixes", corpus_dir)
