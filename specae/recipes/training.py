"""Stages 3 and 4: layer-wise pretraining, then fine-tuning, both through
:func:`specae.training.train` in ``OUT/exp``.

Stage 3 runs ``train(..., stop_after=0)``: it pretrains (RBMs, denoising autoencoders, or
nothing, as ``train.pretrain`` says), checkpoints the pretrained weights and stops; a copy
is kept as ``pretrained.pt``. Stage 4 resumes from the checkpoint and fine-tunes, one
checkpoint an epoch, so an interrupted stage 4 continues where it stopped. With
``--ngpu N`` (or ``--nnodes``) stage 4 runs ``torchrun ... -m specae train --resume`` with
the same config (DistributedDataParallel: NCCL on GPUs, gloo on CPUs).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import torch

from specae.data import FeatureCache, split_utterances
from specae.device import resolve_device
from specae.errors import SpecaeError
from specae.fileio import atomic_path
from specae.patches import num_patches
from specae.recipes.run import Run
from specae.training import train


def _train(run: Run, *, resume: bool, stop_after: int | None = None):
    cfg = run.config
    return train(run.utterances("train"), run.exp, cfg.features, cfg.model, cfg.train,
                 device=resolve_device(run.device), resume=resume, force=True, progress=run.progress,
                 stop_after=stop_after, data_names=[str(run.manifest("train"))])


def stage_pretrain(run: Run) -> None:
    ckpt, kept = run.exp / "checkpoint.pt", run.exp / "pretrained.pt"
    if ckpt.exists() and not run.force:  # pretraining finished but was not stamped
        if torch.load(ckpt, map_location="cpu", weights_only=True)["state"]["epoch"] == 0:
            shutil.copyfile(ckpt, kept)
        elif not kept.exists():
            raise SpecaeError(f"{ckpt}: fine-tuning has started but {kept} is missing (--force redoes "
                              f"stage 3)")
        return
    for stale in (run.model_path, run.exp / "baselines.pt"):
        stale.unlink(missing_ok=True)
    t0 = time.perf_counter()
    _train(run, resume=False, stop_after=0)
    shutil.copyfile(ckpt, kept)
    t = run.config.train
    what = "no pretraining" if t.pretrain == "none" else f"{t.pretrain} pretraining, {t.pretrain_epochs} " \
                                                         f"epoch(s) a layer"
    print(f"  {what} in {time.perf_counter() - t0:.0f} s -> {kept}")


def _restart_from_pretrained(run: Run) -> None:
    """--force on stage 4: fine-tune again from stage 3's weights (its log lines kept)."""
    shutil.copyfile(run.exp / "pretrained.pt", run.exp / "checkpoint.pt")
    log_path = run.exp / "train_log.jsonl"
    if log_path.exists():
        lines = [x for x in log_path.read_text().splitlines() if x.strip()
                 and json.loads(x).get("phase") != "finetune"]
        log_path.write_text("".join(f"{x}\n" for x in lines))
    run.model_path.unlink(missing_ok=True)


def stage_finetune(run: Run) -> None:
    if not (run.exp / "checkpoint.pt").exists():
        raise SpecaeError(f"{run.exp / 'checkpoint.pt'}: missing: run stage 3 (pretrain) first")
    if run.force:
        _restart_from_pretrained(run)
    before = len(_finetune_log(run))
    t0 = time.perf_counter()
    if run.launch.distributed:
        _torchrun(run)
    else:
        _train(run, resume=True)
    if not run.model_path.exists():
        raise SpecaeError(f"{run.model_path}: training ended without a model (see the messages above)")
    _report(run, _finetune_log(run)[before:], time.perf_counter() - t0)


def torchrun_command(run: Run) -> list[str]:
    cfg_path = run.exp / "train.yaml"
    with atomic_path(cfg_path, force=True) as tmp:
        tmp.write_text(run.config.train_yaml())
    device = resolve_device(run.device).type
    n_gpu = torch.cuda.device_count()
    if device == "cuda" and run.launch.ngpu > n_gpu:
        raise SpecaeError(f"--ngpu {run.launch.ngpu}: this machine has {n_gpu} GPU(s)")
    return [sys.executable, "-m", "torch.distributed.run", *run.launch.torchrun_args(), "-m", "specae",
            "train", "--data", str(run.manifest("train")), "--out", str(run.exp), "--config", str(cfg_path),
            "--resume", "--force", "--no-progress", "--device", device]


def _torchrun(run: Run) -> None:
    cmd = torchrun_command(run)
    print(f"  {' '.join(cmd[1:])}", flush=True)
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // max(run.launch.ngpu, 1))))
    code = subprocess.call(cmd, env=env)
    if code != 0:
        raise SpecaeError(f"stage 4: torchrun exited with code {code} (its messages are above)")


def _finetune_log(run: Run) -> list[dict]:
    path = run.exp / "train_log.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [e for e in map(json.loads, filter(str.strip, lines)) if e.get("phase") == "finetune"]


def training_patches(run: Run) -> int:
    """Patches in one fine-tuning epoch (the training utterances less the validation ones)."""
    cfg = run.config
    cache = FeatureCache.build(run.utterances("train"), cfg.features, run.exp / "cache", progress=False)
    train_idx, _ = split_utterances(cache, cfg.train.val_fraction, cfg.train.seed)
    n = sum(num_patches(cache.utterances[i].n_frames, cfg.model.patch_frames, cfg.model.patch_hop)
            for i in train_idx)
    limit = cfg.train.batches_per_epoch
    return min(n, limit * cfg.train.batch_size) if limit else n


def _report(run: Run, epochs: list[dict], seconds: float) -> None:
    """Epochs run by this call and their throughput: patches / s of epoch time (which
    includes rank 0's validation pass)."""
    if not epochs:
        print(f"  fine-tuning had already finished -> {run.model_path}")
        return
    patches = training_patches(run)
    rate = patches * len(epochs) / max(sum(e["seconds"] for e in epochs), 1e-9)
    procs = max(run.launch.ngpu, 1) * run.launch.nnodes
    print(f"  {len(epochs)} fine-tuning epoch(s) of {patches} patches in {seconds:.0f} s ({procs} "
          f"process(es)): {rate:.0f} patches/s; last validation LSD {epochs[-1]['val_lsd_db']:.2f} dB "
          f"(hard codes) -> {run.model_path}")
