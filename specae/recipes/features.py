"""Stage 2: the training set's feature cache (the one ``specae train`` reuses) and its
normaliser statistics, optionally sharded over ``--nj`` worker processes.

Sharding splits the utterance list into ``nj`` contiguous pieces; each worker builds an
ordinary :class:`~specae.data.FeatureCache` of its piece in ``cache/shards/<k>/`` (reused
when an interrupted run comes back), then the pieces are concatenated in order into the
cache an unsharded build would write, byte for byte, with the same index and key, so
training finds it and reuses it.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from specae.data import FeatureCache, cache_key, commit_cache, current_index, split_utterances
from specae.errors import SpecaeError
from specae.features import FeatureConfig
from specae.manifest import Utterance
from specae.recipes.run import Run

log = logging.getLogger("specae")


def _build_shard(utts: list[Utterance], config: dict, directory: str, skip_bad: bool
                 ) -> tuple[list[dict], list[str]]:
    """Worker: the cache of one shard -> (its utterance index, the files it skipped)."""
    import torch

    torch.set_num_threads(1)
    logging.basicConfig(level=logging.WARNING, format="specae: note: %(message)s")
    try:
        FeatureCache.build(utts, FeatureConfig.from_dict(config), directory, skip_bad=skip_bad,
                           progress=False)
    except SpecaeError:
        if not skip_bad:
            raise
        return [], [u.path for u in utts]  # no usable audio in this shard
    index = json.loads((Path(directory) / "features.json").read_text())
    return index["utterances"], index["skipped"]


def build_cache(utts: list[Utterance], config: FeatureConfig, directory: str | os.PathLike, nj: int = 1,
                *, device: str = "cpu", skip_bad: bool = True, progress: bool = True) -> FeatureCache:
    """:meth:`FeatureCache.build` over ``nj`` processes; the same cache as ``nj=1``."""
    directory = Path(directory)
    nj = min(nj, len(utts))
    if nj <= 1 or current_index(directory, cache_key(config, utts)) is not None:
        return FeatureCache.build(utts, config, directory, device=device, skip_bad=skip_bad,
                                  progress=progress)
    bounds = [round(k * len(utts) / nj) for k in range(nj + 1)]
    shards = [utts[a:b] for a, b in zip(bounds, bounds[1:])]
    shard_dirs = [directory / "shards" / f"{k:03d}" for k in range(nj)]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(nj, mp_context=ctx) as pool:
        results = list(pool.map(_build_shard, shards, [config.to_dict()] * nj, map(str, shard_dirs),
                                [skip_bad] * nj))
    merged, skipped, offset = [], [], 0
    directory.mkdir(parents=True, exist_ok=True)
    tmp_data = directory / "features.f16.tmp"
    with open(tmp_data, "wb") as out:
        for (index, bad), shard_dir in zip(results, shard_dirs):
            skipped.extend(bad)
            if not index:
                continue
            with open(shard_dir / "features.f16", "rb") as fh:
                shutil.copyfileobj(fh, out)
            for u in index:
                merged.append({**u, "offset": offset})
                offset += u["n_frames"]
    commit_cache(directory, tmp_data, cache_key(config, utts), config, merged, skipped, len(utts))
    shutil.rmtree(directory / "shards")
    return FeatureCache.build(utts, config, directory, skip_bad=skip_bad, progress=False)


def stage_features(run: Run) -> None:
    from specae.device import resolve_device

    utts = run.utterances("train")
    cfg = run.config
    device = resolve_device(run.device) if run.nj <= 1 else "cpu"
    cache = build_cache(utts, cfg.features, run.exp / "cache", run.nj, device=device, progress=run.progress)
    train_idx, val_idx = split_utterances(cache, cfg.train.val_fraction, cfg.train.seed)
    normalizer = cache.normalizer(train_idx)
    normalizer.save(run.exp / "normalizer.pt", force=True)
    frames = sum(u.n_frames for u in cache.utterances)
    print(f"  {len(cache.utterances)} utterances, {frames} frames x {cfg.features.n_bins} bins "
          f"({cfg.features.kind}, {cfg.features.sample_rate} Hz) in {cache.directory}; normaliser "
          f"statistics of the {len(train_idx)} training utterances (the {len(val_idx)} validation ones "
          f"held out) -> {run.exp / 'normalizer.pt'}")
