import numpy as np
import pytest
import soundfile as sf
import torch

from specae import audio
from specae.errors import SpecaeError


def _sine(freq: float, sr: int, seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize(
    "suffix,fmt,subtype",
    [(".wav", "WAV", "PCM_16"), (".flac", "FLAC", "PCM_16"), (".ogg", "OGG", "VORBIS"),
     (".sph", "NIST", "PCM_16")],
)
def test_load_formats(tmp_path, suffix, fmt, subtype):
    path = tmp_path / f"x{suffix}"
    sf.write(path, _sine(440, 16000), 16000, format=fmt, subtype=subtype)
    wave, sr = audio.load(path)
    assert sr == 16000 and wave.dtype == torch.float32 and wave.dim() == 1
    assert abs(wave.abs().max().item() - 0.5) < 0.05


def test_stereo_is_mixed_down_with_a_note(tmp_path, caplog):
    left, right = _sine(440, 16000), np.zeros(8000, np.float32)
    sf.write(tmp_path / "st.wav", np.stack([left, right], 1), 16000)
    with caplog.at_level("INFO", logger="specae"):
        wave, _ = audio.load(tmp_path / "st.wav")
    assert "mixed down" in caplog.text
    np.testing.assert_allclose(wave.numpy(), left / 2, atol=1e-4)


def test_resample_keeps_frequency_and_duration(tmp_path, caplog):
    sf.write(tmp_path / "s.wav", _sine(1000, 44100, 1.0), 44100)
    with caplog.at_level("INFO", logger="specae"):
        wave, sr = audio.load(tmp_path / "s.wav", 16000)
    assert "resampled from 44100 Hz to 16000 Hz" in caplog.text
    assert sr == 16000 and abs(len(wave) - 16000) <= 1
    spectrum = np.abs(np.fft.rfft(wave.numpy()))
    assert abs(np.argmax(spectrum) * 16000 / len(wave) - 1000) < 2


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda p: None, "no such file"),
        (lambda p: p.write_text("hello, not audio"), "not an audio file"),
        (lambda p: sf.write(p, np.zeros(0, np.float32), 16000), "contains no samples"),
        (lambda p: sf.write(p, np.array([0.0, np.nan] * 400, np.float32), 16000, subtype="FLOAT"),
         "NaN or infinite"),
        (lambda p: sf.write(p, np.zeros(100, np.float32), 16000), "shorter than one analysis frame"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path, make, message):
    path = tmp_path / "bad.wav"
    make(path)
    with pytest.raises(SpecaeError) as err:
        audio.load(path, min_samples=400)
    text = str(err.value)
    assert message in text and str(path) in text and "\n" not in text


def test_save_is_atomic_and_refuses_overwrite(tmp_path):
    out = tmp_path / "sub" / "o.wav"
    audio.save(out, torch.from_numpy(_sine(440, 16000)), 16000)
    assert sf.info(out).samplerate == 16000
    with pytest.raises(SpecaeError, match="already exists"):
        audio.save(out, torch.zeros(100), 16000)
    audio.save(out, torch.zeros(100), 16000, force=True)
    assert sf.info(out).frames == 100
    assert [p.name for p in out.parent.iterdir()] == ["o.wav"]  # no temp files left


def test_save_failure_leaves_no_file(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(audio.sf, "write", boom)
    with pytest.raises(OSError):
        audio.save(tmp_path / "o.flac", torch.zeros(100), 16000)
    assert list(tmp_path.iterdir()) == []


def test_save_clips_with_a_note(tmp_path, caplog):
    with caplog.at_level("INFO", logger="specae"):
        audio.save(tmp_path / "c.wav", torch.tensor([0.0, 2.0, -3.0]), 16000)
    assert "clipped" in caplog.text
    assert np.abs(sf.read(tmp_path / "c.wav")[0]).max() <= 1.0


def test_save_rejects_unknown_suffix(tmp_path):
    with pytest.raises(SpecaeError, match="cannot write '.mp3'"):
        audio.save(tmp_path / "o.mp3", torch.zeros(10), 16000)


def test_find_audio(tmp_path):
    (tmp_path / "a").mkdir()
    for name in ("a/1.wav", "a/2.flac", "3.txt"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in audio.find_audio([tmp_path])] == ["1.wav", "2.flac"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(SpecaeError, match="no audio files"):
        audio.find_audio([tmp_path / "empty"])
    with pytest.raises(SpecaeError, match="no such file or directory"):
        audio.find_audio([tmp_path / "missing.wav"])
