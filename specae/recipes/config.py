"""A recipe's config: the ``features`` / ``model`` / ``train`` sections of ``specae train``
plus a ``recipe`` section (corpus options, baselines, evaluation and listening settings).

The features default to the corpus's rate (16 kHz: the reference system's 257-bin log
spectrum; 8 kHz for codec2), the model and training to specae's defaults (the reference
system: 9-frame patches, 312 binary bits, RBM pretraining).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import yaml

from specae.baseline_store import parse_names
from specae.config import from_dict, load_yaml
from specae.errors import SpecaeError
from specae.external_codecs import external_system
from specae.features import FeatureConfig
from specae.models.config import ModelConfig
from specae.training import TrainConfig

SECTIONS = ("features", "model", "train", "recipe")


@dataclass
class RecipeSettings:
    """The ``recipe:`` section."""

    corpus: dict[str, Any] = field(default_factory=dict)  # the corpus's Options (see its README)
    baselines: list[str] = field(default_factory=lambda: ["subband-vq", "pca"])
    external: list[str] = field(default_factory=list)  # e.g. codec2-3200, opus-6 (8 kHz corpora)
    eval_max_files: int | None = None  # evaluate this many test files (evenly spaced), or all
    listen_files: int = 8  # utterances on the listening page
    n_iter: int = 32  # Griffin-Lim iterations in evaluation and on the page
    upsample: int = 2
    optional_metrics: bool = True  # PESQ / STOI when installed

    def __post_init__(self) -> None:
        parse_names(",".join(self.baselines))
        for name in self.external:
            external_system(name)  # a clear error for an unknown codec or mode
        if self.eval_max_files is not None and self.eval_max_files < 1:
            raise ValueError("eval_max_files must be >= 1 (or null for all)")
        if self.listen_files < 1 or self.n_iter < 1 or self.upsample < 1:
            raise ValueError("listen_files, n_iter and upsample must be >= 1")


@dataclass
class RecipeConfig:
    features: FeatureConfig
    model: ModelConfig
    train: TrainConfig
    recipe: RecipeSettings
    options: Any  # the corpus module's Options, built from recipe.corpus

    def to_dict(self) -> dict[str, Any]:
        recipe = dataclasses.asdict(self.recipe)
        recipe["corpus"] = dataclasses.asdict(self.options)
        return {"features": self.features.to_dict(), "model": self.model.to_dict(),
                "train": dataclasses.asdict(self.train), "recipe": recipe}

    def train_yaml(self) -> str:
        """The sections ``specae train --config`` reads."""
        d = self.to_dict()
        return yaml.safe_dump({k: d[k] for k in ("features", "model", "train")}, sort_keys=False)


def load_recipe_config(path: str | os.PathLike | None, corpus: ModuleType) -> RecipeConfig:
    raw = load_yaml(path) if path else {}
    source = str(path) if path else f"{corpus.NAME} defaults"
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise SpecaeError(f"{source}: unknown section(s) {', '.join(unknown)} (known: {', '.join(SECTIONS)})")
    sections = {}
    for name in SECTIONS:
        part = raw.get(name) or {}
        if not isinstance(part, dict):
            raise SpecaeError(f"{source}: section '{name}' must be a mapping")
        sections[name] = part
    features = FeatureConfig.from_settings({"sample_rate": corpus.SAMPLE_RATE, **sections["features"]},
                                           source)
    recipe = from_dict(RecipeSettings, sections["recipe"], source)
    options = from_dict(corpus.Options, dict(recipe.corpus or {}), f"{source}: recipe.corpus")
    return RecipeConfig(features, from_dict(ModelConfig, sections["model"], source),
                        from_dict(TrainConfig, sections["train"], source), recipe, options)
