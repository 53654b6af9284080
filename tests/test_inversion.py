import librosa
import numpy as np
import torch

from specae import metrics
from specae.features import FeatureConfig, Frontend
from specae.inversion import GriffinLim, Inverter, interpolate_frames, mel_to_linear


def test_griffin_lim_matches_librosa_on_speech(speech16k):
    """Same STFT and iterations: waveform LSD within 0.3 dB of librosa.griffinlim."""
    wave, sr = speech16k
    gl = GriffinLim(512, 512, 128, n_iter=32)
    mag = gl.stft(wave[None]).abs()[0]
    ours = gl(mag, len(wave))
    ref = librosa.griffinlim(mag.T.numpy(), n_iter=32, hop_length=128, win_length=512, n_fft=512,
                             pad_mode="reflect", momentum=0.99, random_state=0)
    assert ours.shape == wave.shape
    lsd_ours = metrics.lsd_db(wave, ours, sr)
    lsd_ref = metrics.lsd_db(wave, ref, sr)
    assert abs(lsd_ours - lsd_ref) < 0.3
    assert lsd_ours < 2.0  # calibration: about 1.4 dB at 16 kHz


def test_griffin_lim_is_seeded_and_batched(speech16k):
    wave = speech16k[0][:16000]
    gl = GriffinLim(512, 400, 160, n_iter=8, seed=3)
    mag = gl.stft(torch.stack([wave, wave.flip(0)])).abs()
    a, b = gl(mag, 16000), gl(mag, 16000)
    assert a.shape == (2, 16000)
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(a[0], gl(mag[0], 16000), atol=1e-5, rtol=0)
    assert not torch.allclose(a, GriffinLim(512, 400, 160, n_iter=8, seed=4)(mag, 16000))


def test_more_iterations_help(speech16k):
    wave, sr = speech16k
    gl0, gl32 = GriffinLim(512, 512, 128, n_iter=0), GriffinLim(512, 512, 128, n_iter=32)
    mag = gl0.stft(wave[None]).abs()
    assert metrics.lsd_db(wave, gl32(mag, len(wave))[0], sr) < metrics.lsd_db(
        wave, gl0(mag, len(wave))[0], sr) - 1.0


def test_oracle_phase_logspec_is_near_perfect(speech16k):
    wave, sr = speech16k
    cfg = FeatureConfig()
    out = Inverter(cfg, upsample=1)(Frontend(cfg)(wave), len(wave), reference=wave)
    assert out.shape == wave.shape
    assert metrics.lsd_db(wave, out, sr) < 0.05
    assert metrics.snr_db(wave, out, sr) > 60


def test_mel_to_linear_is_non_negative_and_beats_pinv(speech16k):
    cfg = FeatureConfig(kind="logmel")
    fb = torch.from_numpy(cfg.mel_filterbank())
    power = Frontend(FeatureConfig()).power_spectrum(speech16k[0])  # linear power [T, 257]
    mel = power @ fb.T
    pinv_only = mel_to_linear(mel, fb, n_iter=0)
    refined = mel_to_linear(mel, fb, n_iter=30)
    assert (refined >= 0).all() and refined.shape == power.shape
    residual = lambda x: torch.linalg.norm(x @ fb.T - mel)  # noqa: E731
    assert residual(refined) < residual(pinv_only)


def test_logmel_inversion_round_trip(speech16k):
    wave, sr = speech16k
    cfg = FeatureConfig(kind="logmel")
    frames = Frontend(cfg)(wave)
    inv = Inverter(cfg, n_iter=32)
    oracle, gl = inv(frames, len(wave), reference=wave), inv(frames, len(wave))
    lsd_oracle, lsd_gl = metrics.lsd_db(wave, oracle, sr), metrics.lsd_db(wave, gl, sr)
    assert gl.shape == wave.shape
    assert lsd_oracle < 3.5 and lsd_gl < 6.0 and lsd_oracle < lsd_gl
    assert np.isfinite(gl.numpy()).all()


def test_upsampled_phase_step_helps(speech16k):
    """Griffin-Lim at half the feature hop (frames interpolated) beats the feature hop."""
    wave, sr = speech16k
    cfg = FeatureConfig()
    frames = Frontend(cfg)(wave)
    at_hop = Inverter(cfg, upsample=1)(frames, len(wave))
    halved = Inverter(cfg, upsample=2)(frames, len(wave))
    assert halved.shape == wave.shape
    assert metrics.lsd_db(wave, halved, sr) < metrics.lsd_db(wave, at_hop, sr)


def test_interpolate_frames():
    x = torch.tensor([[0.0], [2.0], [4.0]])
    assert interpolate_frames(x, 2).flatten().tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert interpolate_frames(x, 1) is x
