"""Recipe stages 3-4 on real 8 kHz speech: pretraining stops and resumes exactly."""

import json

import torch

from specae.features import FeatureConfig
from specae.manifest import read_inputs
from specae.models.config import ModelConfig
from specae.training import TrainConfig, train


def test_stop_after_pretraining_then_resume_matches_one_run(tmp_path, speech8k_paths):
    """train(stop_after=0) checkpoints the pretrained weights; resuming gives the same model."""
    utts = read_inputs(speech8k_paths)
    cfgs = (FeatureConfig.from_settings({"sample_rate": 8000}), ModelConfig(patch_frames=3, hidden=[32, 16],
            code_bits=8), TrainConfig(epochs=2, pretrain_epochs=1, batch_size=128, val_fraction=0.25))
    full = train(utts, tmp_path / "full", *cfgs, progress=False)
    train(utts, tmp_path / "cut", *cfgs, progress=False, stop_after=0)
    ckpt = torch.load(tmp_path / "cut" / "checkpoint.pt", weights_only=True)
    assert ckpt["state"]["pretrained"] and ckpt["state"]["epoch"] == 0
    assert not (tmp_path / "cut" / "model.pt").exists()
    resumed = train(utts, tmp_path / "cut", *cfgs, progress=False, resume=True)
    log = [json.loads(x) for x in (tmp_path / "cut" / "train_log.jsonl").read_text().splitlines()]
    assert sum(e["phase"] == "pretrain-rbm" for e in log) == 3  # pretrained once, not again on resume
    assert full.fingerprint == resumed.fingerprint
