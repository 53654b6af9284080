"""CMU ARCTIC: one ``cmu_us_<spk>_arctic/`` folder per speaker (``wav/arctic_a0001.wav``
and ``etc/txt.done.data``), in the given folder (or it is one speaker's folder itself).

lhotse's ``prepare_cmu_arctic`` searches every ``*.wav`` under the folder and fails on a
transcript line without audio, so the preparer links only ``wav/*.wav`` and the transcript
lines that have audio into a clean tree under the recipe's work folder.
Splits hold speakers out: test bdl and slt (the two US voices most papers use), dev jmk,
the rest train.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from specae.errors import SpecaeError
from specae.recipes.corpora.base import Splits, call_lhotse, from_lhotse, link, split_by

NAME = "cmu_arctic"
SAMPLE_RATE = 16000
SPEAKER_DIR = re.compile(r"^cmu_us_([a-z0-9]+)_arctic")


@dataclass
class Options:
    test_speakers: list[str] = field(default_factory=lambda: ["bdl", "slt"])
    dev_speakers: list[str] = field(default_factory=lambda: ["jmk"])


def _speaker_dirs(corpus_dir: Path) -> list[Path]:
    candidates = [corpus_dir, *corpus_dir.glob("*"), *corpus_dir.glob("*/*")]
    found = [d for d in candidates if d.is_dir() and SPEAKER_DIR.match(d.name) and (d / "wav").is_dir()
             and (d / "etc" / "txt.done.data").is_file()]
    if not found:
        raise SpecaeError(f"no cmu_us_*_arctic/ folders under {corpus_dir}: is this CMU ARCTIC? (expected "
                          f"cmu_us_bdl_arctic/wav/arctic_a0001.wav and cmu_us_bdl_arctic/etc/txt.done.data)")
    return sorted(found)


def _link_tree(dirs: list[Path], links: Path) -> None:
    if links.exists():
        shutil.rmtree(links)
    for d in dirs:
        name = f"cmu_us_{SPEAKER_DIR.match(d.name).group(1)}_arctic"  # drops e.g. "-0.95-release"
        wavs = {w.stem: w for w in (d / "wav").glob("*.wav")}
        for w in wavs.values():
            link(w, links / name / "wav" / w.name)
        lines = [line for line in (d / "etc" / "txt.done.data").read_text().splitlines()
                 if line.strip().startswith("(") and line.split()[1] in wavs]
        (links / name / "etc").mkdir(parents=True, exist_ok=True)
        (links / name / "etc" / "txt.done.data").write_text("".join(f"{line}\n" for line in lines))


def prepare(corpus_dir: Path, work: Path, options: Options, nj: int = 1) -> Splits:
    _link_tree(_speaker_dirs(corpus_dir), work / "arctic_links")
    manifest = call_lhotse("prepare_cmu_arctic", corpus_dir, work / "arctic_links")
    return split_by(from_lhotse(manifest), lambda i: i.speaker or "", options.test_speakers,
                    options.dev_speakers, "speakers", corpus_dir)
