"""Recipe stages 3-4 on real 8 kHz speech: pretraining stops and resumes exactly, and the
fine-tuning stage runs under torchrun with 2 CPU processes (gloo, loopback)."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from specae.coder import load_model
from specae.evaluation import evaluate, means
from specae.features import FeatureConfig
from specae.manifest import read_inputs
from specae.models.config import ModelConfig
from specae.systems import systems_for
from specae.training import TrainConfig, train

TINY = Path(__file__).resolve().parents[1] / "recipes" / "codec2" / "conf" / "tiny.yaml"


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


@pytest.mark.slow
def test_finetune_stage_on_two_processes(tmp_path, speech8k_paths):
    """--ngpu 2 without GPUs: stage 4 runs torchrun with 2 CPU processes (gloo, loopback)."""
    out = tmp_path / "c2"
    cmd = [sys.executable, "-m", "specae", "recipe", "codec2", "--corpus-dir",
           str(speech8k_paths[0].parents[1]), "--out-dir", str(out), "--config", str(TINY),
           "--stop-stage", "4", "--ngpu", "2", "--device", "cpu", "--no-progress"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                          env={k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "torch.distributed.run --nproc_per_node 2 --standalone -m specae train" in proc.stdout
    assert "(2 process(es))" in proc.stdout and "patches/s" in proc.stdout
    log = [json.loads(x) for x in (out / "exp" / "train_log.jsonl").read_text().splitlines()]
    assert [e["epoch"] for e in log if e["phase"] == "finetune"] == [1, 2]  # rank 0 alone logs
    assert sum(e["phase"] == "pretrain-rbm" for e in log) == 3  # stage 3's, not redone by stage 4
    coder = load_model(out / "exp" / "model.pt")
    assert coder.info["epochs"] == 2
    rows = evaluate(systems_for(coder, n_iter=4), [speech8k_paths[0]], progress=False, optional=False)
    lsd = means(rows)["ae"]["lsd_db"]
    assert 0 < lsd < 40


@pytest.mark.slow
def test_finetune_stage_on_two_nodes_with_rendezvous(tmp_path, speech8k_paths):
    """--nnodes 2 --rdzv-endpoint: two 'nodes' (here both on loopback, sharing OUT as nodes
    share a network filesystem) each run stage 4; torchrun's c10d rendezvous joins them."""
    out = tmp_path / "c2"
    base = [sys.executable, "-m", "specae", "recipe", "codec2", "--corpus-dir",
            str(speech8k_paths[0].parents[1]), "--out-dir", str(out), "--config", str(TINY), "--no-progress"]
    first = subprocess.run([*base, "--stop-stage", "3"], capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-3000:]
    with socket.socket() as sock:  # a free port for the rendezvous
        sock.bind(("localhost", 0))
        endpoint = f"localhost:{sock.getsockname()[1]}"
    node = [*base, "--stage", "4", "--stop-stage", "4", "--ngpu", "1", "--nnodes", "2", "--rdzv-endpoint",
            endpoint, "--rdzv-id", "test-2-nodes", "--device", "cpu"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen(node, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in procs]
    for p, (stdout, stderr) in zip(procs, outputs):
        assert p.returncode == 0, stderr[-3000:]
        assert f"--nnodes 2 --rdzv-backend c10d --rdzv-endpoint {endpoint}" in stdout
    log = [json.loads(x) for x in (out / "exp" / "train_log.jsonl").read_text().splitlines()]
    assert [e["epoch"] for e in log if e["phase"] == "finetune"] == [1, 2]
    assert load_model(out / "exp" / "model.pt").info["epochs"] == 2
