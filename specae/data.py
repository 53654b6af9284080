"""Training data: a float16 feature cache on disk and patch batches drawn from it.

:class:`FeatureCache` computes the dB frames of every utterance once, appends them to one
float16 file (memory-mapped when read back, so corpora larger than RAM work) and records an
index (``features.json``) keyed by the feature config and the input files, so a re-run with
the same inputs reuses it. The normaliser statistics of the training utterances come from
the same pass.

:class:`PatchSet` enumerates the patches of a set of utterances exactly as
:func:`specae.patches.to_patches` would (same padding policy) and yields normalised batches
``[batch, P*F]``, shuffled per epoch with a seed and sharded across DDP ranks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from specae import audio
from specae.errors import SpecaeError
from specae.features import FeatureConfig, Frontend, Normalizer
from specae.manifest import Utterance
from specae.patches import num_patches

log = logging.getLogger("specae")

CACHE_VERSION = 1


@dataclass
class CachedUtterance:
    id: str
    path: str
    speaker: str | None
    offset: int
    n_frames: int


def cache_key(config: FeatureConfig, utts: list[Utterance]) -> str:
    """What a cache depends on: the feature config and each input file (path, size, mtime)."""
    h = hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True).encode())
    for u in utts:
        st = os.stat(u.path)
        h.update(f"{u.id}\0{u.path}\0{u.speaker}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def current_index(directory: Path, key: str) -> dict | None:
    """The cache index in ``directory`` when it was made with ``key`` by this version, else None."""
    index_path = directory / "features.json"
    if not index_path.is_file():
        return None
    index = json.loads(index_path.read_text())
    return index if index.get("key") == key and index.get("version") == CACHE_VERSION else None


def commit_cache(directory: Path, tmp_data: Path, key: str, config: FeatureConfig, utterances: list[dict],
                 skipped: list[str], n_inputs: int) -> None:
    """Finish a cache: ``tmp_data`` (the frames of ``utterances``) becomes ``features.f16`` and
    the index is written, each by an atomic rename; no usable utterance is an error."""
    if skipped:
        log.warning("%d of %d files skipped (unreadable or too short)", len(skipped), n_inputs)
    if not utterances:
        tmp_data.unlink()
        raise SpecaeError(f"no usable audio among {n_inputs} input file(s)")
    os.replace(tmp_data, directory / "features.f16")
    index = {"version": CACHE_VERSION, "key": key, "features": config.to_dict(),
             "utterances": utterances, "skipped": skipped}
    tmp_index = directory / "features.json.tmp"
    tmp_index.write_text(json.dumps(index))
    os.replace(tmp_index, directory / "features.json")


class FeatureCache:
    """dB frames of a corpus: ``frames`` ``[total_frames, bins]`` float16 and an utterance index."""

    def __init__(self, directory: Path, config: FeatureConfig, utterances: list[CachedUtterance]):
        self.directory = directory
        self.config = config
        self.utterances = utterances
        total = sum(u.n_frames for u in utterances)
        self.frames = np.memmap(directory / "features.f16", dtype=np.float16, mode="r",
                                shape=(total, config.n_bins))

    @classmethod
    def build(
        cls,
        utts: list[Utterance],
        config: FeatureConfig,
        directory: str | os.PathLike,
        *,
        device: torch.device | str = "cpu",
        skip_bad: bool = True,
        progress: bool = True,
    ) -> FeatureCache:
        """Compute (or reuse) the cache in ``directory`` for ``utts``.

        Unreadable or too-short files are skipped with a warning and a count, or stop the
        run with ``skip_bad=False``.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        key = cache_key(config, utts)
        index = current_index(directory, key)
        if index is not None:
            if index["skipped"] and not skip_bad:
                raise SpecaeError(f"{index['skipped'][0]}: unreadable or too short (skipped when the "
                                  f"cache in {directory} was made)")
            log.info("%s: reusing the feature cache (%d utterances)", directory, len(index["utterances"]))
            return cls(directory, config, [CachedUtterance(**u) for u in index["utterances"]])
        frontend = Frontend(config).to(device)
        cached: list[CachedUtterance] = []
        bad: list[str] = []
        offset = 0
        tmp_data = directory / "features.f16.tmp"
        with open(tmp_data, "wb") as out, torch.inference_mode():
            for u in tqdm(utts, desc="features", unit="utt", disable=None if progress else True,
                          leave=False):
                try:
                    wave, _ = audio.load(u.path, config.sample_rate, min_samples=config.win_length)
                except SpecaeError as exc:
                    if not skip_bad:
                        raise
                    log.warning("skipped: %s", exc)
                    bad.append(u.path)
                    continue
                frames = frontend(wave.to(device)).cpu().numpy().astype(np.float16)
                out.write(frames.tobytes())
                cached.append(CachedUtterance(u.id, u.path, u.speaker, offset, frames.shape[0]))
                offset += frames.shape[0]
        commit_cache(directory, tmp_data, key, config, [u.__dict__ for u in cached], bad, len(utts))
        return cls(directory, config, cached)

    def utterance_frames(self, i: int) -> torch.Tensor:
        """dB frames ``[T, bins]`` float32 of utterance ``i``."""
        u = self.utterances[i]
        return torch.from_numpy(np.asarray(self.frames[u.offset:u.offset + u.n_frames], dtype=np.float32))

    def normalizer(self, indices: list[int], chunk: int = 65536) -> Normalizer:
        """Per-bin statistics of the utterances ``indices`` (one streaming pass)."""
        norm = Normalizer(self.config.n_bins)
        for i in indices:
            u = self.utterances[i]
            for start in range(u.offset, u.offset + u.n_frames, chunk):
                stop = min(start + chunk, u.offset + u.n_frames)
                norm.update(torch.from_numpy(np.asarray(self.frames[start:stop], dtype=np.float32)))
        return norm


def split_utterances(cache: FeatureCache, val_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Hold out a validation set by speaker when speakers are known, else by utterance."""
    n = len(cache.utterances)
    if val_fraction <= 0:
        return list(range(n)), []
    rng = np.random.default_rng(seed)
    speakers = sorted({u.speaker for u in cache.utterances if u.speaker is not None})
    if len(speakers) >= 2 and all(u.speaker is not None for u in cache.utterances):
        n_val = max(1, round(val_fraction * len(speakers)))
        held = set(rng.permutation(speakers)[:n_val].tolist())
        val = [i for i, u in enumerate(cache.utterances) if u.speaker in held]
    else:
        if n < 2:
            raise SpecaeError("need at least 2 utterances to hold one out for validation "
                              "(or set val_fraction: 0)")
        n_val = min(max(1, round(val_fraction * n)), n - 1)
        val = sorted(rng.permutation(n)[:n_val].tolist())
    held_set = set(val)
    return [i for i in range(n) if i not in held_set], val


def _shard(order: torch.Tensor, rank: int, world_size: int) -> torch.Tensor:
    """Every ``world_size``-th item from ``rank``, the list padded (wrapping round) so all
    ranks get the same count, and so the same number of batches."""
    if world_size <= 1:
        return order
    per_rank = -(-len(order) // world_size)
    return torch.cat([order, order[: per_rank * world_size - len(order)]])[rank::world_size]


class PatchSet:
    """Normalised patches of some utterances of a cache, gathered on the fly."""

    def __init__(self, cache: FeatureCache, indices: list[int], normalizer: Normalizer,
                 patch_frames: int, patch_hop: int, device: torch.device | str = "cpu",
                 max_memory_bytes: int = 8 << 30) -> None:
        self.cache, self.P, self.H = cache, patch_frames, patch_hop
        self.indices = list(indices)
        self._seq_starts: torch.Tensor | None = None
        self._seq_len = 0
        self.device = torch.device(device)
        starts, ends = [], []
        for i in indices:
            u = cache.utterances[i]
            n = num_patches(u.n_frames, patch_frames, patch_hop)
            starts.append(u.offset + np.arange(n, dtype=np.int64) * patch_hop)
            ends.append(np.full(n, u.offset + u.n_frames, dtype=np.int64))
        self.starts = torch.from_numpy(np.concatenate(starts)) if starts else torch.zeros(0, dtype=torch.long)
        self.ends = torch.from_numpy(np.concatenate(ends)) if ends else torch.zeros(0, dtype=torch.long)
        self.mean = normalizer.mean.float().to(self.device)
        self.std = normalizer.std.float().to(self.device)
        # keep the frames in (device) memory when they fit, else read the memmap per batch
        self.in_memory = cache.frames.nbytes <= max_memory_bytes
        self.frames = (torch.from_numpy(np.array(cache.frames)).to(self.device)
                       if self.in_memory else None)

    def __len__(self) -> int:
        return len(self.starts)

    def _rows(self, idx: torch.Tensor) -> torch.Tensor:
        """Normalised frames at global frame indices ``idx`` (any shape) -> ``[*idx.shape, F]``."""
        if self.in_memory:
            x = self.frames[idx.to(self.device)].float()
        else:
            x = torch.from_numpy(np.asarray(self.cache.frames[idx.numpy()], dtype=np.float32)).to(self.device)
        return (x - self.mean) / self.std

    def sequence_starts(self, length: int) -> torch.Tensor:
        """Global frame indices where a run of ``length`` frames fits inside one utterance."""
        out = []
        for i in self.indices:
            u = self.cache.utterances[i]
            if u.n_frames >= length:
                out.append(torch.arange(u.offset, u.offset + u.n_frames - length + 1))
        return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)

    def sequences(self, epoch: int, batch_size: int, length: int, seed: int = 0, rank: int = 0,
                  world_size: int = 1, limit: int | None = None) -> Iterator[torch.Tensor]:
        """Batches ``[B, length, F]`` of normalised frame runs at random positions; one epoch
        holds about as many patches as :meth:`batches` (``len(self)``)."""
        if self._seq_starts is None or self._seq_len != length:
            self._seq_starts, self._seq_len = self.sequence_starts(length), length
        starts = self._seq_starts
        if len(starts) == 0:
            raise SpecaeError(f"no utterance holds {length} frames: lower sequence_frames")
        per_seq = 1 + (length - self.P) // self.H
        n_seq = -(-min(len(self), limit or len(self)) // per_seq)
        gen = torch.Generator().manual_seed(seed * 100003 + epoch)
        pick = starts[torch.randint(len(starts), (n_seq,), generator=gen)]
        pick = _shard(pick, rank, world_size)
        offsets = torch.arange(length)
        for start in range(0, len(pick), batch_size):
            yield self._rows(pick[start:start + batch_size, None] + offsets)

    def gather(self, which: torch.Tensor) -> torch.Tensor:
        """Normalised patches ``[len(which), P*F]`` for patch numbers ``which``."""
        idx = self.starts[which, None] + torch.arange(self.P)
        idx = torch.minimum(idx, self.ends[which, None] - 1)
        return self._rows(idx).reshape(len(which), -1)

    def batches(self, epoch: int, batch_size: int, seed: int = 0, shuffle: bool = True,
                rank: int = 0, world_size: int = 1, limit: int | None = None) -> Iterator[torch.Tensor]:
        """Batches of one epoch; each rank takes every ``world_size``-th patch of the
        (seeded, per-epoch) permutation, padded so all ranks see the same number of batches."""
        n = len(self)
        if shuffle:
            order = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100003 + epoch))
        else:
            order = torch.arange(n)
        if limit is not None:
            order = order[:limit]
        order = _shard(order, rank, world_size)
        for start in range(0, len(order), batch_size):
            yield self.gather(order[start:start + batch_size])
