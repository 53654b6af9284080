"""One preparer per corpus: ``NAME``, ``SAMPLE_RATE``, an ``Options`` dataclass (the
``recipe.corpus`` section of a recipe config) and ``prepare(corpus_dir, work, options, nj)
-> Splits``."""

from types import ModuleType

from specae.recipes.corpora import cmu_arctic, codec2, librispeech, ljspeech, sample, timit, vctk

CORPORA: dict[str, ModuleType] = {m.NAME: m for m in (timit, librispeech, vctk, ljspeech, cmu_arctic, codec2,
                                                      sample)}
