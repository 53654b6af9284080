"""Training: feature cache -> normaliser -> layer-wise pretraining -> fine-tuning -> model file.

One readable loop (nanoGPT style). Under ``torchrun`` (``WORLD_SIZE`` > 1) it runs with
DistributedDataParallel (gloo on CPU, NCCL on GPU): every rank trains on its shard of each
epoch's permutation, rank 0 alone builds the cache, pretrains (then broadcasts the weights),
validates, logs and checkpoints. A checkpoint is written after every epoch and ``resume``
continues exactly where it stopped (weights, optimiser, RNG states, early-stopping state).

Outputs in the output directory: ``model.pt`` (the best epoch by validation LSD, one file
with everything decoding needs), ``config.yaml`` (every setting used), ``train_log.jsonl``
(one line per epoch of each phase), ``checkpoint.pt`` and ``cache/`` (features).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F  # noqa: N812
import yaml
from tqdm import tqdm

from specae.coder import SpeechCoder
from specae.config import from_dict, load_yaml
from specae.data import FeatureCache, PatchSet, split_utterances
from specae.errors import SpecaeError
from specae.features import FeatureConfig
from specae.fileio import atomic_path
from specae.manifest import Utterance
from specae.metrics import spec_lsd_per_frame
from specae.models.autoencoder import StackedAutoencoder
from specae.models.config import ModelConfig
from specae.models.pretrain import PretrainSettings, pretrain
from specae.patches import sequence_overlap_add, sequence_patches

log = logging.getLogger("specae")


@dataclass
class TrainConfig:
    """Optimisation settings (the model's shape is in :class:`ModelConfig`)."""

    epochs: int = 30
    batch_size: int = 256
    lr: float = 1e-3
    lr_min_ratio: float = 0.05
    warmup_epochs: float = 1.0
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    input_dropout: float = 0.0
    loss: str = "normalized"
    sequence_frames: int = 0
    code_noise: float = 0.5
    noise_ramp_epochs: int = 1
    ste_start: float = 0.0
    patience: int = 8
    val_fraction: float = 0.1
    batches_per_epoch: int | None = None
    seed: int = 0
    pretrain: str = "rbm"
    pretrain_epochs: int = 10
    rbm_lr_gaussian: float = 0.002
    rbm_lr: float = 0.05
    cd_k: int = 1
    ae_lr: float = 1e-3
    ae_mask: float = 0.2

    def __post_init__(self) -> None:
        if self.pretrain not in ("rbm", "ae", "none"):
            raise ValueError(f"pretrain must be rbm, ae or none, not {self.pretrain!r}")
        if self.epochs < 0 or self.pretrain_epochs < 0 or self.batch_size < 1:
            raise ValueError("epochs and pretrain_epochs must be >= 0 and batch_size >= 1")
        if self.loss not in ("normalized", "db"):
            raise ValueError(f"loss must be normalized or db, not {self.loss!r}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in [0, 1), not {self.val_fraction}")

    def pretrain_settings(self) -> PretrainSettings:
        return PretrainSettings(self.pretrain, self.pretrain_epochs, self.rbm_lr_gaussian, self.rbm_lr,
                                self.cd_k, 2e-4, self.ae_lr, self.ae_mask)

    def noise_std(self, epoch: int) -> float:
        return self.code_noise * min(1.0, (epoch + 1) / max(self.noise_ramp_epochs, 1))

    def hard(self, epoch: int) -> bool:
        return epoch >= self.ste_start * self.epochs


def save_config(path: Path, features: FeatureConfig, model: ModelConfig, train: TrainConfig,
                data: list[str], force: bool = True) -> None:
    text = yaml.safe_dump({"features": features.to_dict(), "model": model.to_dict(),
                           "train": dataclasses.asdict(train), "data": data}, sort_keys=False)
    with atomic_path(path, force) as tmp:
        tmp.write_text(text)


def load_configs(path: str | os.PathLike | None, overrides: dict[str, dict[str, Any]]
                 ) -> tuple[FeatureConfig, ModelConfig, TrainConfig]:
    """The three configs from a YAML with ``features``/``model``/``train`` sections, each
    updated by ``overrides[section]`` (command-line flags)."""
    raw = load_yaml(path) if path else {}
    source = str(path) if path else "command line"
    out = []
    for section, cls in (("features", FeatureConfig), ("model", ModelConfig), ("train", TrainConfig)):
        data = dict(raw.get(section) or {})
        data.update({k: v for k, v in overrides.get(section, {}).items() if v is not None})
        build = FeatureConfig.from_settings if cls is FeatureConfig else partial(from_dict, cls)
        out.append(build(data, source))
    unknown = sorted(set(raw) - {"features", "model", "train", "data"})
    if unknown:
        raise SpecaeError(f"{source}: unknown section(s) {', '.join(unknown)}")
    return out[0], out[1], out[2]


# -- distributed helpers ---------------------------------------------------------------------
@dataclass
class Dist:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.world_size > 1:
            dist.barrier()


def setup_distributed(device: torch.device) -> tuple[Dist, torch.device]:
    """Join the process group torchrun describes in the environment, if any."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist(), device
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Dist(rank, world, local), device


# -- evaluation -------------------------------------------------------------------------------
@torch.no_grad()
def validate(coder: SpeechCoder, frames: list[torch.Tensor]) -> tuple[float, float]:
    """(normalised MSE, spectrogram-domain LSD in dB) of ``frames`` coded with HARD codes:
    encode -> emitted codes -> decode -> overlap-add -> de-normalise. LSD pools the active
    frames of all utterances."""
    coder.autoencoder.eval()
    sq, count, lsd_frames = 0.0, 0, []
    for ref in frames:
        est = coder.decode_frames(coder.encode_frames(ref), ref.shape[0]).cpu()
        diff = coder.normalizer.apply(ref) - coder.normalizer.apply(est)
        sq += float(diff.square().sum())
        count += diff.numel()
        lsd_frames.append(spec_lsd_per_frame(ref, est))
    coder.autoencoder.train()
    return sq / max(count, 1), float(torch.cat(lsd_frames).mean())


def _lr_at(cfg: TrainConfig, step: int, steps_per_epoch: int) -> float:
    warm = max(int(cfg.warmup_epochs * steps_per_epoch), 1)
    total = max(cfg.epochs * steps_per_epoch, warm + 1)
    if step < warm:
        return cfg.lr * (step + 1) / warm
    progress = min((step - warm) / (total - warm), 1.0)
    return cfg.lr * (cfg.lr_min_ratio + (1 - cfg.lr_min_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def _rng_state() -> dict[str, Any]:
    state = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["cpu"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


class JsonlLog:
    def __init__(self, path: Path, enabled: bool) -> None:
        self.path, self.enabled = path, enabled

    def write(self, **entry: Any) -> None:
        if self.enabled:
            with open(self.path, "a") as fh:
                fh.write(json.dumps(entry) + "\n")


# -- the run -----------------------------------------------------------------------------------
def train(
    utts: list[Utterance],
    out_dir: str | os.PathLike,
    features: FeatureConfig,
    model_cfg: ModelConfig,
    cfg: TrainConfig,
    *,
    device: torch.device | str = "cpu",
    resume: bool = False,
    force: bool = False,
    progress: bool = True,
    skip_bad: bool = True,
    stop_after: int | None = None,
    data_names: list[str] | None = None,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> SpeechCoder:
    """Train a coder on ``utts`` and write it to ``out_dir/model.pt``; returns the best coder.

    ``stop_after`` ends the run after that many fine-tuning epochs of this call (as an
    interruption would; ``0``: right after pretraining, whose weights are checkpointed);
    ``resume`` continues from ``out_dir/checkpoint.pt``.
    """
    out = Path(out_dir)
    device = torch.device(device)
    world, device = setup_distributed(device)
    ckpt_path, model_path = out / "checkpoint.pt", out / "model.pt"
    if world.main:
        if model_path.exists() and not (resume or force):
            raise SpecaeError(f"{model_path}: already exists (--resume continues, --force retrains)")
        out.mkdir(parents=True, exist_ok=True)
        if not resume:
            for stale in (ckpt_path, out / "train_log.jsonl"):
                stale.unlink(missing_ok=True)
        save_config(out / "config.yaml", features, model_cfg, cfg, data_names or [u.path for u in utts])
    torch.manual_seed(cfg.seed)
    tlog = JsonlLog(out / "train_log.jsonl", world.main)

    # features: rank 0 computes the cache, the others wait and reuse it
    if world.main:
        cache = FeatureCache.build(utts, features, out / "cache", device=device, skip_bad=skip_bad,
                                   progress=progress)
    world.barrier()
    if not world.main:
        cache = FeatureCache.build(utts, features, out / "cache", device=device, progress=False)
    train_idx, val_idx = split_utterances(cache, cfg.val_fraction, cfg.seed)
    normalizer = cache.normalizer(train_idx).to(device)
    patches = PatchSet(cache, train_idx, normalizer, model_cfg.patch_frames, model_cfg.patch_hop, device)
    val_frames = [cache.utterance_frames(i) for i in val_idx]
    if len(patches) == 0:
        raise SpecaeError("no training patches: the data is empty")
    log.info("training on %d utterances (%d patches), validating on %d", len(train_idx), len(patches),
             len(val_idx))

    ae = StackedAutoencoder(model_cfg, features.n_bins).to(device)
    coder = SpeechCoder(features, model_cfg, normalizer, ae, {"data": data_names or []})
    opt = torch.optim.Adam(ae.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    state: dict[str, Any] = {"epoch": 0, "step": 0, "best_lsd": math.inf, "best": None, "bad_epochs": 0,
                             "pretrained": False}
    if resume and ckpt_path.exists():
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        ae.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        state = ckpt["state"]
        _set_rng_state(ckpt["rng"])
        log.info("resuming after epoch %d", state["epoch"])

    limit = cfg.batches_per_epoch * cfg.batch_size if cfg.batches_per_epoch else None

    def batches(epoch: int, rank: int = 0, world_size: int = 1):
        return patches.batches(epoch, cfg.batch_size, cfg.seed, True, rank, world_size, limit)

    P, H = model_cfg.patch_frames, model_cfg.patch_hop
    seq_len = P + max(cfg.sequence_frames - P, 0) // H * H if cfg.sequence_frames else 0

    def train_batches(epoch: int):
        """Patches [B, P*F], or frame runs [B, L, F] when training through overlap-add."""
        if seq_len:
            # about as many patches per step as in patch mode
            per_seq = 1 + (seq_len - P) // H
            return patches.sequences(epoch, max(1, cfg.batch_size // per_seq), seq_len, cfg.seed,
                                     world.rank, world.world_size, limit)
        return batches(epoch, world.rank, world.world_size)

    def save_checkpoint() -> None:
        with atomic_path(ckpt_path, force=True) as tmp:
            torch.save({"model": ae.state_dict(), "optimizer": opt.state_dict(), "state": state,
                        "rng": _rng_state()}, tmp)

    # layer-wise pretraining on rank 0, then every rank gets the weights
    if not state["pretrained"]:
        if world.main and cfg.pretrain != "none" and cfg.pretrain_epochs > 0:
            t0 = time.perf_counter()

            def plog(layer: int, epoch: int, err: float) -> None:
                tlog.write(phase=f"pretrain-{cfg.pretrain}", layer=layer, epoch=epoch, recon_error=err,
                           seconds=round(time.perf_counter() - t0, 2))
                log.info("pretrain %s layer %d epoch %d: reconstruction error %.4f", cfg.pretrain, layer,
                         epoch, err)

            try:
                pretrain(ae, batches, cfg.pretrain_settings(), plog, cfg.seed)
            except ValueError as exc:
                raise SpecaeError(str(exc)) from None
        if world.world_size > 1:
            for p in ae.parameters():
                dist.broadcast(p.data, 0)
        state["pretrained"] = True
        if world.main:  # a resumed run never redoes the pretraining
            save_checkpoint()
    if stop_after == 0:
        world.barrier()
        return coder

    model = ae
    if world.world_size > 1:
        model = torch.nn.parallel.DistributedDataParallel(
            ae, device_ids=[device.index] if device.type == "cuda" else None)

    # "db" weighs each bin by its variance: the MSE of the dB values that LSD measures
    weight = None
    if cfg.loss == "db":
        var = normalizer.std.float().to(device).square()
        weight = (var / var.mean()).repeat(model_cfg.patch_frames)
    steps_per_epoch = -(-min(len(patches), limit or len(patches)) // (cfg.batch_size * world.world_size))
    epochs_this_run = 0
    while state["epoch"] < cfg.epochs and state["bad_epochs"] < cfg.patience:
        epoch = state["epoch"]
        t0 = time.perf_counter()
        noise, hard = cfg.noise_std(epoch), cfg.hard(epoch)
        total, count = 0.0, 0
        bar = tqdm(train_batches(epoch), total=steps_per_epoch,
                   desc=f"epoch {epoch + 1}/{cfg.epochs}", leave=False,
                   disable=None if progress and world.main else True)  # None: off when not a terminal
        for x in bar:
            for group in opt.param_groups:
                group["lr"] = _lr_at(cfg, state["step"], steps_per_epoch)
            inp = F.dropout(x, cfg.input_dropout) if cfg.input_dropout > 0 else x
            if seq_len:  # x: [B, L, F]; the loss is on the overlap-added frames, as decoded
                seq = sequence_patches(inp, P, H)
                rec = model(seq.reshape(-1, seq.shape[-1]), noise, hard).reshape(seq.shape)
                err = (sequence_overlap_add(rec, P, H, seq_len) - x).square()
                w = weight[: x.shape[-1]] if weight is not None else None
            else:
                err = (model(inp, noise, hard) - x).square()
                w = weight
            loss = (err * w).mean() if w is not None else err.mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(ae.parameters(), cfg.grad_clip)
            opt.step()
            state["step"] += 1
            total += loss.item() * len(x)
            count += len(x)
            bar.set_postfix(loss=f"{total / count:.4f}")
        state["epoch"] = epoch + 1
        if world.main:
            val_loss, val_lsd = validate(coder, val_frames) if val_frames else (math.nan, math.nan)
            score = val_lsd if val_frames else total / max(count, 1)
            if score < state["best_lsd"]:
                state["best_lsd"], state["bad_epochs"] = score, 0
                state["best"] = {k: v.detach().cpu().clone() for k, v in ae.state_dict().items()}
            else:
                state["bad_epochs"] += 1
            entry = {"phase": "finetune", "epoch": epoch + 1, "train_loss": total / max(count, 1),
                     "val_loss": val_loss, "val_lsd_db": val_lsd, "code_noise": noise, "hard": hard,
                     "lr": opt.param_groups[0]["lr"], "seconds": round(time.perf_counter() - t0, 2)}
            save_checkpoint()
            tlog.write(**entry)
            log.info("epoch %d: train %.4f, val %.4f, val LSD %.2f dB (hard codes, %.1f kbit/s)",
                     epoch + 1, entry["train_loss"], val_loss, val_lsd, coder.nominal_kbps)
            if on_epoch:
                on_epoch(entry)
        if world.world_size > 1:  # everyone follows rank 0's early-stopping decision
            flag = torch.tensor([state["bad_epochs"]], device=device)
            dist.broadcast(flag, 0)
            state["bad_epochs"] = int(flag)
        epochs_this_run += 1
        if stop_after is not None and epochs_this_run >= stop_after:
            break

    finished = state["epoch"] >= cfg.epochs or state["bad_epochs"] >= cfg.patience
    if world.main and finished:
        if state["best"] is not None:
            ae.load_state_dict(state["best"])
        coder.info["best_val_lsd_db"] = state["best_lsd"]
        coder.info["epochs"] = state["epoch"]
        coder.save(model_path, force=True)
    world.barrier()
    return coder
