"""Shared fixtures: real speech from Debian's codec2-examples, and small generated signals."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from specae import audio

CODEC2_DIR = Path(os.environ.get("SPECAE_CODEC2_DIR", "/usr/share/codec2"))
SPEECH_16K = CODEC2_DIR / "raw" / "speech_orig_16k.wav"
SPEECH_8K = [CODEC2_DIR / "wav" / n for n in ("hts1a.wav", "hts2a.wav", "mmt1.wav", "morig.wav")]


def _need(path: Path) -> Path:
    if not path.exists():
        msg = f"{path} missing: apt-get install codec2-examples"
        if os.environ.get("CI"):
            pytest.fail(msg)  # in CI the real speech must be there: never skip silently
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def speech16k() -> tuple[torch.Tensor, int]:
    """10.8 s of real wideband speech (one male speaker), 16 kHz."""
    return audio.load(_need(SPEECH_16K), 16000)


@pytest.fixture(scope="session")
def speech8k_paths() -> list[Path]:
    """Real narrowband speech files, 8 kHz, several speakers."""
    return [_need(p) for p in SPEECH_8K]


@pytest.fixture(scope="session")
def speech16k_path() -> Path:
    return _need(SPEECH_16K)


@pytest.fixture
def noise() -> np.ndarray:
    """One second of white noise at 16 kHz, amplitude 0.1 (every bin far above the floor)."""
    return (0.1 * np.random.default_rng(0).standard_normal(16000)).astype(np.float32)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, speech8k_paths) -> Path:
    """A small coder trained for a few seconds on real 8 kHz speech (16 bits per patch)."""
    from specae.features import FeatureConfig
    from specae.manifest import read_inputs
    from specae.models.config import ModelConfig
    from specae.training import TrainConfig, train

    out = tmp_path_factory.mktemp("tiny_model")
    train(read_inputs(speech8k_paths), out, FeatureConfig.from_settings({"sample_rate": 8000}),
          ModelConfig(patch_frames=3, hidden=[48, 24], code_bits=16),
          TrainConfig(epochs=2, pretrain="none", batch_size=128, val_fraction=0.25), progress=False)
    return out / "model.pt"
