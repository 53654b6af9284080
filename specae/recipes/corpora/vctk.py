"""VCTK 0.80 (``wav48/p225/p225_001.wav``) or 0.92 (``wav48_silence_trimmed/p225/
p225_001_mic1.flac`` and ``_mic2.flac``), with ``txt/`` and ``speaker-info.txt``, in the
given folder or one below it (``VCTK-Corpus/``, ``VCTK-Corpus-0.92/``).

Splits hold speakers out: the test and dev speakers below (those present in the copy),
the rest train. In 0.92 one microphone is used (``recipe.corpus.mic``, default mic2 as
lhotse's; mic1 is the microphone of 0.80).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from specae.errors import SpecaeError
from specae.recipes.corpora.base import Splits, call_lhotse, find_root, from_lhotse, split_by

NAME = "vctk"
SAMPLE_RATE = 16000
TEST_SPEAKERS = ["p225", "p234", "p245", "p251", "p262", "p272", "p286", "p303"]
DEV_SPEAKERS = ["p226", "p248", "p270", "p299"]


@dataclass
class Options:
    mic: str = "mic2"
    test_speakers: list[str] = field(default_factory=lambda: list(TEST_SPEAKERS))
    dev_speakers: list[str] = field(default_factory=lambda: list(DEV_SPEAKERS))

    def __post_init__(self) -> None:
        if self.mic not in ("mic1", "mic2"):
            raise ValueError(f"mic must be mic1 or mic2, not {self.mic!r}")


def prepare(corpus_dir: Path, work: Path, options: Options, nj: int = 1) -> Splits:
    root = find_root(corpus_dir, lambda d: (d / "wav48_silence_trimmed").is_dir() or (d / "wav48").is_dir())
    if root is None:
        raise SpecaeError(f"no wav48/ or wav48_silence_trimmed/ under {corpus_dir}: is this VCTK? (expected "
                          f"0.80's wav48/p225/p225_001.wav or 0.92's wav48_silence_trimmed/p225/"
                          f"p225_001_mic1.flac, with txt/ and speaker-info.txt)")
    for need in ("txt", "speaker-info.txt"):
        if not (root / need).exists():
            raise SpecaeError(f"no {need} in {root}: a VCTK copy has txt/ (transcripts) and speaker-info.txt "
                              f"beside its wav48 folder")
    v092 = (root / "wav48_silence_trimmed").is_dir()
    manifest = call_lhotse("prepare_vctk", corpus_dir, root, use_edinburgh_vctk_url=v092, mic_id=options.mic)
    return split_by(from_lhotse(manifest), lambda i: i.speaker or "", options.test_speakers,
                    options.dev_speakers, "speakers", corpus_dir)
