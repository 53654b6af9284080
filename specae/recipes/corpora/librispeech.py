"""LibriSpeech from openslr, with or without the top ``LibriSpeech/`` folder:
``train-clean-100/19/198/19-198-0001.flac`` and ``19-198.trans.txt`` beside it.

Splits: the corpus's own parts, by default train-clean-100 / dev-clean / test-clean
(``recipe.corpus.train`` / ``dev`` / ``test`` take lists of parts, e.g. add
train-clean-360). Speakers of the parts are disjoint, as the corpus defines them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from specae.errors import SpecaeError
from specae.recipes.corpora.base import Splits, call_lhotse, from_lhotse

NAME = "librispeech"
SAMPLE_RATE = 16000


@dataclass
class Options:
    train: list[str] = field(default_factory=lambda: ["train-clean-100"])
    dev: list[str] = field(default_factory=lambda: ["dev-clean"])
    test: list[str] = field(default_factory=lambda: ["test-clean"])


def prepare(corpus_dir: Path, work: Path, options: Options, nj: int = 1) -> Splits:
    root = corpus_dir / "LibriSpeech" if (corpus_dir / "LibriSpeech").is_dir() else corpus_dir
    parts = list(dict.fromkeys(options.train + options.dev + options.test))
    missing = [p for p in parts if not (root / p).is_dir()]
    if missing:
        raise SpecaeError(f"no {missing[0]}/ under {corpus_dir}: is this LibriSpeech? (expected "
                          f"[LibriSpeech/]{missing[0]}/SPEAKER/CHAPTER/*.flac with *.trans.txt; parts "
                          f"wanted: {', '.join(parts)})")
    manifests = call_lhotse("prepare_librispeech", corpus_dir, root, dataset_parts=parts, num_jobs=nj)
    out = Splits()
    for split, names in (("train", options.train), ("dev", options.dev), ("test", options.test)):
        for name in names:
            items = from_lhotse(manifests[name]) if name in manifests else []
            if not items:
                raise SpecaeError(f"{root / name}: no utterances (no *.trans.txt with .flac files): is "
                                  f"this LibriSpeech?")
            getattr(out, split).extend(items)
    return out
