"""Codec2 and Opus through their command-line tools: aligned output of the input's length,
the delay recovered, clear errors and skip lines."""

import shutil

import numpy as np
import pytest
import torch

from specae import audio
from specae.errors import SpecaeError
from specae.external_codecs import (
    Codec2System,
    CodecUnavailable,
    OpusSystem,
    align_to,
    available_systems,
    external_system,
)
from specae.metrics import Comparison

need_codec2 = pytest.mark.skipif(shutil.which("c2enc") is None, reason="codec2 tools not installed")
need_opus = pytest.mark.skipif(shutil.which("opusenc") is None, reason="opus-tools not installed")


@pytest.fixture(scope="module")
def hts1a(speech8k_paths):
    return audio.load(speech8k_paths[0], 8000)[0]


def test_align_recovers_a_known_delay(hts1a):
    ref = hts1a.numpy()[:8000]
    delayed = np.concatenate([np.zeros(37, np.float32), ref, np.zeros(100, np.float32)])
    out = align_to(ref, delayed, 400)
    assert out.shape == ref.shape and np.allclose(out, ref)
    short = align_to(ref, ref[:3000], 0)  # a short output is zero-padded to the input length
    assert short.shape == ref.shape and np.all(short[3000:] == 0) and np.allclose(short[:3000], ref[:3000])


@need_codec2
@pytest.mark.parametrize("mode", ["3200", "1300", "700C"])
def test_codec2_output_is_aligned_and_of_the_input_length(hts1a, mode):
    system = external_system(f"codec2-{mode}")
    out = system.run(hts1a)
    assert out.sample_rate == 8000 and out.wave.shape == hts1a.shape
    # the bit stream: about the mode's rate (frames are padded to whole bytes)
    kbps = len(out.stored) * 8 / (len(hts1a) / 8000) / 1000
    assert system.nominal_kbps <= kbps < system.nominal_kbps * 1.25
    lsd = Comparison(hts1a, out.wave, 8000, narrowband=True).lsd_db()
    assert lsd < 12.0
    # aligned: the same output 20 ms earlier or later compares worse
    for shift in (-160, 160):
        assert Comparison(hts1a, torch.roll(out.wave, shift), 8000, narrowband=True).lsd_db() > lsd


@need_opus
def test_opus_output_is_aligned_and_better_at_higher_rates(hts1a):
    low, high = OpusSystem(6).run(hts1a), OpusSystem(12).run(hts1a)
    for out in (low, high):
        assert out.wave.shape == hts1a.shape and out.stored[:4] == b"OggS"
    lsd = [Comparison(hts1a, o.wave, 8000, narrowband=True).lsd_db() for o in (low, high)]
    assert lsd[1] < lsd[0] < 12.0


def test_names_and_errors(monkeypatch):
    assert isinstance(external_system("codec2-700c"), Codec2System)
    assert external_system("opus-9").nominal_kbps == 9.0
    for bad in ("codec2-9999", "opus-2", "mp3-128", "opus-x"):
        with pytest.raises(SpecaeError):
            external_system(bad)
    monkeypatch.setenv("PATH", "/nonexistent")
    systems, skipped = available_systems(["codec2-3200", "opus-6"])
    assert systems == [] and len(skipped) == 2
    assert "apt-get install codec2" in skipped[0] and "apt-get install opus-tools" in skipped[1]
    with pytest.raises(CodecUnavailable):
        Codec2System("3200").run(torch.zeros(8000))
