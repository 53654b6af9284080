"""TIMIT as the LDC ships it: ``TRAIN/`` and ``TEST/`` at the top (upper or lower case),
``DR1/FCJF0/SI1027.WAV`` (NIST SPHERE) with ``.TXT``, ``.WRD``, ``.PHN`` beside each.

lhotse's ``prepare_timit`` expects ``data/TRAIN/*/*/*.WAV`` in upper case, so the preparer
links the files into that layout under the recipe's work folder (the audio is not copied).
Splits (lhotse's speaker lists): train = all of TRAIN (462 speakers), dev = the 50-speaker
development set from TEST, test = the 24-speaker core test set. The SA1/SA2 dialect
sentences (the same two sentences from every speaker) are left out, as is standard: 3696
train, 400 dev and 192 core-test utterances.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from specae.errors import SpecaeError
from specae.recipes.corpora.base import Item, Splits, call_lhotse, child, find_root, from_lhotse, link

NAME = "timit"
SAMPLE_RATE = 16000
SIDE_FILES = (".TXT", ".WRD", ".PHN")


@dataclass
class Options:
    keep_sa: bool = False  # keep the SA1/SA2 dialect sentences


def _root(corpus_dir: Path) -> Path:
    root = find_root(corpus_dir, lambda d: child(d, "TRAIN") is not None and child(d, "TEST") is not None)
    if root is None:
        raise SpecaeError(f"no TRAIN/ or TEST/ under {corpus_dir}: is this TIMIT? (expected "
                          f"TRAIN/DR1/FCJF0/SA1.WAV and TEST/... as the LDC ships it)")
    return root


def _link_tree(root: Path, links: Path) -> int:
    """``links/data/{TRAIN,TEST}/DRn/SPKR/UTT.{WAV,TXT,WRD,PHN}`` -> the user's files."""
    if links.exists():
        shutil.rmtree(links)
    count = 0
    for part in ("TRAIN", "TEST"):
        part_dir = child(root, part)
        for wav in sorted(part_dir.glob("*/*/*")):
            if wav.suffix.lower() != ".wav" or "." in wav.stem:  # skip converted SA1.WAV.wav copies
                continue
            sides = [wav.with_suffix(s) if wav.with_suffix(s).exists() else wav.with_suffix(s.lower())
                     for s in SIDE_FILES]
            if not all(s.exists() for s in sides):
                continue
            dst = links / "data" / part / wav.parent.parent.name.upper() / wav.parent.name.upper()
            link(wav, dst / f"{wav.stem.upper()}.WAV")
            for side, suffix in zip(sides, SIDE_FILES):
                link(side, dst / f"{wav.stem.upper()}{suffix}")
            count += 1
    return count


def prepare(corpus_dir: Path, work: Path, options: Options, nj: int = 1) -> Splits:
    root = _root(corpus_dir)
    if _link_tree(root, work / "timit_links") == 0:
        raise SpecaeError(f"no DRn/SPEAKER/*.WAV with .TXT/.WRD/.PHN beside them under {root}/TRAIN or "
                          f"TEST: is this TIMIT?")
    manifests = call_lhotse("prepare_timit", corpus_dir, work / "timit_links", num_jobs=nj)

    def keep(item: Item) -> bool:
        return options.keep_sa or not item.id.split("-")[-1].upper().startswith("SA")

    parts = {name: [i for i in from_lhotse(manifests[part]) if keep(i)]
             for name, part in (("train", "TRAIN"), ("dev", "DEV"), ("test", "TEST"))}
    return Splits(**parts)
