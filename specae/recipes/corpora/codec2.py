"""The real speech of Debian's ``codec2-examples`` (``apt-get install codec2-examples``):
``/usr/share/codec2/wav/*.wav``, 8 kHz, a few seconds to a minute per speaker. Works offline.

Splits by recording (the speaker label is the recording's name), as
``benchmarks/quality_codec2.py`` has them: train david4, vk2tpm_004, ve9qrp, mmt1, big_dog,
cross, vk5qi (3.3 min); test hts1a, hts2a, morig, forig (9.6 s, other speakers); no dev split
(training validates on one held-out training recording).
all.wav (which concatenates test files), the codec outputs and the 16 kHz file are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from specae.errors import SpecaeError
from specae.recipes.corpora.base import Item, Splits, duration

NAME = "codec2"
SAMPLE_RATE = 8000
TRAIN = ["david4", "vk2tpm_004", "ve9qrp", "mmt1", "big_dog", "cross", "vk5qi"]
TEST = ["hts1a", "hts2a", "morig", "forig"]
#: Where Debian installs it, used when no --corpus-dir is given.
DEFAULT_DIR = Path("/usr/share/codec2")


@dataclass
class Options:
    train: list[str] = field(default_factory=lambda: list(TRAIN))
    test: list[str] = field(default_factory=lambda: list(TEST))


def prepare(corpus_dir: Path, work: Path, options: Options, nj: int = 1) -> Splits:
    root = corpus_dir / "wav" if (corpus_dir / "wav").is_dir() else corpus_dir
    out = Splits()
    for split, names in (("train", options.train), ("test", options.test)):
        for name in names:
            path = root / f"{name}.wav"
            if not path.is_file():
                raise SpecaeError(f"no {name}.wav under {root}: is this codec2-examples' speech? (expected "
                                  f"/usr/share/codec2 with wav/hts1a.wav, wav/david4.wav, ...)")
            getattr(out, split).append(Item(name, str(path.resolve()), name, None, duration(path)))
    return out
