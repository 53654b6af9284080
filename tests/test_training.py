"""Training end to end on real 8 kHz speech: logs, model file, resume, DDP, CLI."""

import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

from specae.coder import load_model
from specae.errors import SpecaeError
from specae.features import FeatureConfig
from specae.manifest import read_inputs
from specae.models.config import ModelConfig
from specae.training import TrainConfig, train

TINY_MODEL = {"patch_frames": 3, "patch_hop": 1, "hidden": [48, 24], "code_bits": 16}
TINY_TRAIN = {"epochs": 3, "pretrain_epochs": 1, "batch_size": 128, "val_fraction": 0.25,
              "noise_ramp_epochs": 2}


def _configs(**train_overrides):
    return (FeatureConfig.from_settings({"sample_rate": 8000}), ModelConfig(**TINY_MODEL),
            TrainConfig(**{**TINY_TRAIN, **train_overrides}))


def test_train_writes_model_config_and_log(tmp_path, speech8k_paths):
    coder = train(read_inputs(speech8k_paths), tmp_path, *_configs(), progress=False)
    for name in ("model.pt", "config.yaml", "train_log.jsonl", "checkpoint.pt"):
        assert (tmp_path / name).exists()
    lines = [json.loads(line) for line in (tmp_path / "train_log.jsonl").read_text().splitlines()]
    pre = [entry for entry in lines if entry["phase"] == "pretrain-rbm"]
    fine = [entry for entry in lines if entry["phase"] == "finetune"]
    assert len(pre) == 3 and len(fine) == 3  # 3 layers x 1 epoch; 3 epochs
    for entry in fine:
        assert {"epoch", "train_loss", "val_loss", "val_lsd_db", "seconds"} <= set(entry)
        assert 0 < entry["val_lsd_db"] < 40
    loaded = load_model(tmp_path / "model.pt")
    assert loaded.fingerprint == coder.fingerprint
    assert loaded.info["best_val_lsd_db"] == pytest.approx(min(e["val_lsd_db"] for e in fine))
    frames = torch.randn(50, 129) * 10 - 40
    codes = loaded.encode_frames(frames)
    assert codes.shape == (48, 16) and set(codes.unique().tolist()) <= {0, 1}
    assert loaded.decode_frames(codes, 50).shape == (50, 129)
    assert loaded.nominal_kbps == pytest.approx(16 / 0.01 / 1000)
    with pytest.raises(SpecaeError, match="already exists"):
        train(read_inputs(speech8k_paths), tmp_path, *_configs(), progress=False)


def test_resume_matches_uninterrupted_run(tmp_path, speech8k_paths):
    utts = read_inputs(speech8k_paths)
    full = train(utts, tmp_path / "full", *_configs(pretrain="none"), progress=False)
    train(utts, tmp_path / "cut", *_configs(pretrain="none"), progress=False, stop_after=2)
    assert not (tmp_path / "cut" / "model.pt").exists()  # interrupted: no model yet
    resumed = train(utts, tmp_path / "cut", *_configs(pretrain="none"), progress=False, resume=True)
    for (name, a), (_, b) in zip(full.autoencoder.state_dict().items(),
                                 resumed.autoencoder.state_dict().items()):
        torch.testing.assert_close(a, b, msg=name)
    assert full.fingerprint == resumed.fingerprint


def test_tampered_or_foreign_model_is_refused(tmp_path, speech8k_paths):
    train(read_inputs(speech8k_paths), tmp_path, *_configs(epochs=1, pretrain="none"), progress=False)
    blob = torch.load(tmp_path / "model.pt", weights_only=True)
    blob["tensors"]["ae.encoder.0.bias"][0] += 1.0
    torch.save(blob, tmp_path / "tampered.pt")
    with pytest.raises(SpecaeError, match="fingerprint mismatch"):
        load_model(tmp_path / "tampered.pt")
    (tmp_path / "junk.pt").write_bytes(b"\x00junk")
    with pytest.raises(SpecaeError, match="not a specae model file"):
        load_model(tmp_path / "junk.pt")
    torch.save({"some": "dict"}, tmp_path / "other.pt")
    with pytest.raises(SpecaeError, match="not a specae model file"):
        load_model(tmp_path / "other.pt")


def test_cli_train_and_user_mistakes(tmp_path, speech8k_paths):
    data = tmp_path / "data"
    data.mkdir()
    for p in speech8k_paths:
        shutil.copy(p, data)
    (data / "broken.wav").write_text("not audio")
    cmd = ["specae", "train", "--data", str(data), "--out", str(tmp_path / "m"), "--sample-rate", "8000",
           "--patch-frames", "3", "--hidden", "32,16", "--code-bits", "8", "--epochs", "1",
           "--pretrain", "ae", "--pretrain-epochs", "1", "--no-progress"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "8 binary bits per patch" in proc.stdout and "kbit/s" in proc.stdout
    assert "broken.wav" in proc.stderr and "1 of 5 files skipped" in proc.stderr
    cfg = (tmp_path / "m" / "config.yaml").read_text()
    assert "pretrain: ae" in cfg and "code_bits: 8" in cfg
    bad = subprocess.run([*cmd, "--stop-on-bad-file", "--force"], capture_output=True, text=True)
    assert bad.returncode == 2 and "broken.wav" in bad.stderr and "Traceback" not in bad.stderr
    (tmp_path / "empty").mkdir()
    empty = subprocess.run(["specae", "train", "--data", str(tmp_path / "empty"), "--out",
                            str(tmp_path / "e")], capture_output=True, text=True)
    assert empty.returncode == 2 and "no audio files" in empty.stderr
    if not torch.cuda.is_available():
        gpu = subprocess.run([*cmd, "--device", "cuda", "--force"], capture_output=True, text=True)
        assert gpu.returncode == 2 and "no CUDA GPU" in gpu.stderr


def test_torchrun_two_processes(tmp_path, speech8k_paths):
    """DDP with gloo on loopback: the run completes and its model loads."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29531",
           "-m", "specae", "train", "--data", *map(str, speech8k_paths), "--out", str(tmp_path),
           "--sample-rate", "8000", "--patch-frames", "3", "--hidden", "32,16", "--code-bits", "8",
           "--epochs", "2", "--pretrain-epochs", "1", "--no-progress", "--device", "cpu"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    coder = load_model(tmp_path / "model.pt")
    assert coder.info["epochs"] == 2
    fine = [json.loads(x) for x in (tmp_path / "train_log.jsonl").read_text().splitlines()]
    assert sum(entry["phase"] == "finetune" for entry in fine) == 2  # rank 0 alone logs
