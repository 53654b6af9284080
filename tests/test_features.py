import librosa
import numpy as np
import pytest
import torch

from specae.errors import SpecaeError
from specae.features import FeatureConfig, Frontend, Normalizer


def _above_floor(ref: np.ndarray) -> np.ndarray:
    """Bins within 80 dB of the loudest: where float32 arithmetic is meaningful."""
    return ref > ref.max() - 80.0


def test_logspec_matches_librosa(speech16k):
    wave, sr = speech16k
    cfg = FeatureConfig()
    ours = Frontend(cfg)(wave).numpy()
    spec = librosa.stft(wave.numpy(), n_fft=512, hop_length=160, win_length=400,
                        window="hann", center=True, pad_mode="reflect")
    ref = librosa.power_to_db(np.abs(spec) ** 2, ref=1.0, amin=1e-10, top_db=None).T
    assert ours.shape == ref.shape == (cfg.num_frames(len(wave)), 257)
    assert np.abs(ours - ref)[_above_floor(ref)].max() < 0.01


def test_logmel_matches_librosa(speech16k):
    wave, sr = speech16k
    cfg = FeatureConfig(kind="logmel", n_mels=80)
    ours = Frontend(cfg)(wave).numpy()
    mel = librosa.feature.melspectrogram(
        y=wave.numpy(), sr=sr, n_fft=512, hop_length=160, win_length=400, center=True,
        pad_mode="reflect", power=2.0, n_mels=80, htk=False, norm="slaney")
    ref = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None).T
    assert ours.shape == ref.shape == (cfg.num_frames(len(wave)), 80)
    assert np.abs(ours - ref)[_above_floor(ref)].max() < 0.01


def test_batched_equals_single(speech16k):
    wave, _ = speech16k
    fe = Frontend(FeatureConfig(kind="logmel"))
    clips = torch.stack([wave[:16000], wave[16000:32000], wave[32000:48000]])
    batch = fe(clips)
    assert batch.shape == (3, 101, 80)
    for i in range(3):
        torch.testing.assert_close(batch[i], fe(clips[i]), atol=1e-3, rtol=0)


def test_floor_and_level_are_kept():
    fe = Frontend(FeatureConfig())
    silent = fe(torch.zeros(1600))
    assert torch.all(silent == -100.0)
    x = torch.randn(1600) * 0.1
    # a 2x gain is +6.02 dB everywhere: no per-utterance normalisation
    torch.testing.assert_close(fe(2 * x) - fe(x), torch.full((11, 257), 6.0206), atol=1e-3, rtol=0)


def test_too_short_input_is_an_error():
    with pytest.raises(SpecaeError, match="shorter than one analysis frame"):
        Frontend(FeatureConfig())(torch.zeros(100))


def test_config_yaml_and_errors(tmp_path):
    (tmp_path / "c.yaml").write_text("features:\n  kind: logmel\n  n_mels: 40\n")
    cfg = FeatureConfig.from_yaml(tmp_path / "c.yaml")
    assert cfg.kind == "logmel" and cfg.n_mels == 40 and cfg.n_bins == 40
    (tmp_path / "bad.yaml").write_text("n_mel: 40\n")
    with pytest.raises(SpecaeError, match="unknown FeatureConfig field.*n_mel"):
        FeatureConfig.from_yaml(tmp_path / "bad.yaml")
    (tmp_path / "bad2.yaml").write_text("kind: mfcc\n")
    with pytest.raises(SpecaeError, match="kind must be"):
        FeatureConfig.from_yaml(tmp_path / "bad2.yaml")
    assert FeatureConfig.from_dict(cfg.to_dict()) == cfg


def test_timing_for_rate():
    assert FeatureConfig.timing_for_rate(16000) == {"n_fft": 512, "win_length": 400, "hop_length": 160}
    assert FeatureConfig.timing_for_rate(8000) == {"n_fft": 256, "win_length": 200, "hop_length": 80}


def test_normalizer_streaming_matches_one_pass(tmp_path):
    rng = np.random.default_rng(0)
    # a large offset and small spread: the naive sum-of-squares formula loses precision here
    data = (1e4 + rng.standard_normal((5000, 7)) * np.arange(1, 8) * 0.01).astype(np.float64)
    norm = Normalizer(7)
    for chunk in np.array_split(data, 13):
        norm.update(torch.from_numpy(chunk))
    np.testing.assert_allclose(norm.mean.numpy(), data.mean(0), rtol=1e-12)
    np.testing.assert_allclose(norm.std.numpy(), data.std(0), rtol=1e-9)
    x = torch.from_numpy(data[:10]).float()
    y = norm.apply(x.double())
    torch.testing.assert_close(norm.inverse(y).float(), x)
    norm.save(tmp_path / "n.pt")
    loaded = Normalizer.load(tmp_path / "n.pt")
    torch.testing.assert_close(loaded.std, norm.std)
    with pytest.raises(SpecaeError, match="already exists"):
        norm.save(tmp_path / "n.pt")
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(SpecaeError, match="not a specae normaliser file"):
        Normalizer.load(tmp_path / "junk.pt")


def test_normalizer_on_speech_is_unit_variance(speech16k):
    frames = Frontend(FeatureConfig())(speech16k[0])
    norm = Normalizer(257)
    norm.update(frames)
    z = norm.apply(frames)
    torch.testing.assert_close(z.mean(0), torch.zeros(257), atol=1e-3, rtol=0)
    torch.testing.assert_close(z.std(0, unbiased=False), torch.ones(257), atol=1e-3, rtol=0)
