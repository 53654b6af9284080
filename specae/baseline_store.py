"""Baselines trained on a model's own training patches, stored beside its model file.

``DIR/baselines.pt`` holds ``{"model": fingerprint, "baselines": {name: state_dict}}`` and is
loaded with ``weights_only=True``; a file made for another model is refused.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch

from specae.baselines import BASELINES, build_baseline, from_state
from specae.coder import SpeechCoder
from specae.data import FeatureCache, PatchSet
from specae.errors import SpecaeError
from specae.fileio import atomic_path

log = logging.getLogger("specae")

#: Patches the baselines train on at most (a random subset beyond that).
MAX_TRAIN_PATCHES = 200_000


def parse_names(text: str | None) -> list[str]:
    """``"subband-vq,pca"`` -> names, each checked against the known baselines."""
    names = [n.strip() for n in (text or "").split(",") if n.strip()]
    unknown = [n for n in names if n not in BASELINES]
    if unknown:
        raise SpecaeError(f"unknown baseline(s) {', '.join(unknown)} (known: {', '.join(sorted(BASELINES))})")
    return names


def store_path(model_path: str | os.PathLike) -> Path:
    return Path(model_path).with_name("baselines.pt")


def fit_baselines(coder: SpeechCoder, cache: FeatureCache, indices: list[int], names: list[str],
                  seed: int = 0) -> dict[str, object]:
    """Fit each named baseline on the normalised patches of utterances ``indices``, at the
    model's patch geometry and exactly its bits per patch."""
    m = coder.model_config
    patches = PatchSet(cache, indices, coder.normalizer.to("cpu"), m.patch_frames, m.patch_hop)
    n = len(patches)
    which = torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:MAX_TRAIN_PATCHES]
    x = patches.gather(which.sort().values)
    device = coder.device
    out = {}
    for name in names:
        log.info("fitting baseline %s on %d patches (%d bits per patch)", name, len(x), m.code_bits)
        base = build_baseline(name, m.patch_frames, coder.features.n_bins, m.code_bits).to(device)
        out[name] = base.fit(x.to(device), seed=seed)
    coder.normalizer.to(device)
    return out


def save_baselines(model_path: str | os.PathLike, coder: SpeechCoder, baselines: dict[str, object]) -> Path:
    """Add ``baselines`` to the store beside ``model_path`` (keeping others already there)."""
    path = store_path(model_path)
    stored = load_states(model_path, coder) if path.exists() else {}
    stored.update({name: b.state_dict() for name, b in baselines.items()})
    with atomic_path(path, force=True) as tmp:
        torch.save({"model": coder.fingerprint, "baselines": stored}, tmp)
    return path


def load_states(model_path: str | os.PathLike, coder: SpeechCoder) -> dict[str, dict]:
    path = store_path(model_path)
    if not path.exists():
        return {}
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        model, states = blob["model"], blob["baselines"]
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad file
        raise SpecaeError(f"{path}: not a specae baselines file ({type(exc).__name__})") from None
    if model != coder.fingerprint:
        raise SpecaeError(f"{path}: baselines of model {str(model)[:12]}, not of {coder.fingerprint[:12]}")
    return dict(states)


def load_baselines(model_path: str | os.PathLike, coder: SpeechCoder,
                   names: list[str] | None = None) -> dict[str, object]:
    """The stored baselines (all, or ``names``, each of which must be stored)."""
    states = load_states(model_path, coder)
    if names is not None:
        missing = [n for n in names if n not in states]
        if missing:
            raise SpecaeError(f"{store_path(model_path)}: no stored baseline {', '.join(missing)} "
                              f"(add it with: specae baselines MODEL --data PATH --baselines ...)")
        states = {n: states[n] for n in names}
    out = {}
    for name, state in states.items():
        out[name] = from_state(state).to(coder.device)
    return out
