import math

import numpy as np
import pytest
import torch

from specae import metrics
from specae.inversion import GriffinLim


def test_identical_is_zero(speech16k):
    wave, sr = speech16k
    out = metrics.distortion(wave, wave, sr, optional=False)
    assert out["lsd_db"] == 0.0 and out["mcd_db"] == 0.0 and out["spectral_convergence"] == 0.0
    assert out["snr_db"] == math.inf


def test_gain_of_two_is_6_02_db(noise):
    assert metrics.lsd_db(noise, 2 * noise, 16000) == pytest.approx(20 * math.log10(2), abs=1e-3)
    assert metrics.snr_db(noise, 2 * noise, 16000) == pytest.approx(0.0, abs=1e-6)
    assert metrics.spectral_convergence(noise, 2 * noise, 16000) == pytest.approx(1.0, abs=1e-6)
    # a level change moves c0 only, which MCD leaves out
    assert metrics.mcd_db(noise, 2 * noise, 16000) == pytest.approx(0.0, abs=1e-6)


def test_silence_rule_leaves_quiet_frames_out(noise):
    quiet = np.zeros(16000, np.float32)
    ref = np.concatenate([noise, quiet])
    other = (0.005 * np.random.default_rng(1).standard_normal(16000)).astype(np.float32)
    # errors in frames more than 50 dB below the loudest do not count ...
    assert metrics.lsd_db(ref, np.concatenate([noise, other]), 16000) < 0.5
    # ... while an error in the loud frames does (26 dB too quiet there)
    assert metrics.lsd_db(ref, np.concatenate([other, quiet]), 16000) > 20.0


def test_floor_limits_the_error(noise):
    # an estimate that is silent: every active bin is at the floor, 80 dB below the loudest bin
    est = np.zeros_like(noise)
    ref_db = 10 * torch.log10(metrics.power_spectrogram(noise, metrics.WIDEBAND))
    lsd = metrics.lsd_db(noise, est, 16000)
    assert lsd < metrics.FLOOR_DB
    mask = metrics.active_frames(ref_db)
    floored = ref_db.clamp_min(ref_db.max() - 80)
    expected = (floored - (ref_db.max() - 80))[mask].square().mean(-1).sqrt().mean()
    assert lsd == pytest.approx(float(expected), rel=1e-9)


def test_spectrogram_domain_versions():
    ref = torch.full((10, 4), 40.0)
    est = ref.clone()
    est[:, 0] += 6.0
    assert metrics.spec_lsd_db(ref, est) == pytest.approx(3.0)  # sqrt(36 / 4)
    np.testing.assert_allclose(metrics.spec_lsd_per_band(ref, est), [6.0, 0, 0, 0])
    with pytest.raises(ValueError, match="shapes differ"):
        metrics.spec_lsd_db(ref, est[:5])


def test_per_band_and_resampling(speech8k_paths):
    from specae import audio

    wave, sr = audio.load(speech8k_paths[0])
    per_band, freqs = metrics.lsd_per_band(wave, wave * 0.5, sr, narrowband=True)
    assert per_band.shape == freqs.shape == (129,) and freqs[-1] == 4000
    # different rates are brought to the analysis rate before comparing
    # (up and back down again: only soxr's transition band near 4 kHz differs)
    wave16 = torch.from_numpy(audio.resample(wave.numpy(), 8000, 16000))
    per_band, freqs = metrics.lsd_per_band(wave, wave16, 8000, 16000, narrowband=True)
    assert per_band[freqs < 3700].max() < 0.05


def test_griffin_lim_calibration(speech16k, speech8k_paths):
    """The figures the metric definition is calibrated by (issue 2): GL from the true
    magnitude, 32 iterations, on the metric's own STFT: about 1.4 dB (16 kHz), 1.6 dB (8 kHz)."""
    from specae import audio

    wave, sr = speech16k
    gl = GriffinLim(512, 512, 128)
    lsd16 = metrics.lsd_db(wave, gl(gl.stft(wave[None]).abs(), len(wave))[0], sr)
    assert 1.0 < lsd16 < 1.8
    wave8, _ = audio.load(speech8k_paths[0])
    gl8 = GriffinLim(256, 256, 64)
    lsd8 = metrics.lsd_db(wave8, gl8(gl8.stft(wave8[None]).abs(), len(wave8))[0], 8000,
                          narrowband=True)
    assert 1.0 < lsd8 < 2.2


def test_optional_metrics(speech16k):
    wave, sr = speech16k
    have = metrics.optional_metrics_available()
    out = metrics.distortion(wave, wave + 0.01 * torch.randn_like(wave), sr)
    assert ("pesq" in out) == have["pesq"] and ("stoi" in out) == have["stoi"]
    if have["pesq"]:
        assert 1.0 < out["pesq"] <= 4.65
    if have["stoi"]:
        assert 0.5 < out["stoi"] <= 1.0
