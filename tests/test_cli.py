"""The ``specae`` command end to end on real speech, and its handling of user mistakes."""

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from specae.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_commands():
    proc = subprocess.run([sys.executable, "-m", "specae", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    for cmd in ("features", "resynth", "distortion"):
        assert cmd in proc.stdout
    sub = subprocess.run(["specae", "resynth", "--help"], capture_output=True, text=True)
    assert sub.returncode == 0 and "--oracle-phase" in sub.stdout and "--n-iter" in sub.stdout


def test_features(capsys, tmp_path, speech16k_path):
    out = tmp_path / "f.npy"
    code, stdout, _ = run(capsys, "features", str(speech16k_path), "-o", str(out), "--kind", "logmel")
    assert code == 0 and "80 logmel bins" in stdout
    frames = np.load(out)
    assert frames.dtype == np.float32 and frames.shape == (1081, 80)
    code, _, err = run(capsys, "features", str(speech16k_path), "-o", str(out))
    assert code == 2 and "already exists" in err
    code, _, _ = run(capsys, "features", str(speech16k_path), "-o", str(out), "--force")
    assert code == 0 and np.load(out).shape == (1081, 257)


def test_features_narrowband_scales_the_stft(capsys, tmp_path, speech8k_paths):
    out = tmp_path / "f8.npy"
    code, _, err = run(capsys, "features", str(speech8k_paths[0]), "-o", str(out), "--sample-rate", "8000")
    assert code == 0 and np.load(out).shape[1] == 129  # n_fft 256 at 8 kHz
    assert "resampled" not in err


def test_resynth_and_distortion(capsys, tmp_path, speech16k_path):
    wav = tmp_path / "r.wav"
    code, stdout, _ = run(capsys, "resynth", str(speech16k_path), "-o", str(wav), "--n-iter", "16")
    assert code == 0 and "log-spectral distortion" in stdout and "dB" in stdout
    assert sf.info(wav).frames == sf.info(speech16k_path).frames
    code, stdout, _ = run(capsys, "distortion", str(speech16k_path), str(wav), "--json")
    values = json.loads(stdout)
    assert {"lsd_db", "mcd_db", "spectral_convergence", "snr_db"} <= set(values)
    assert set(values) <= {"lsd_db", "mcd_db", "spectral_convergence", "snr_db", "pesq", "stoi"}
    assert 1.0 < values["lsd_db"] < 5.0
    oracle = tmp_path / "o.wav"
    code, _, _ = run(capsys, "resynth", str(speech16k_path), "-o", str(oracle), "--oracle-phase",
                      "--upsample", "1")
    code, stdout, _ = run(capsys, "distortion", str(speech16k_path), str(oracle), "--json")
    assert json.loads(stdout)["lsd_db"] < 0.5


def test_distortion_narrowband_is_stated(capsys, speech8k_paths):
    code, stdout, _ = run(capsys, "distortion", str(speech8k_paths[0]), str(speech8k_paths[0]))
    assert code == 0 and "narrowband, 8000 Hz" in stdout


@pytest.mark.parametrize(
    "argv,message",
    [
        (["features", "{missing}", "-o", "{tmp}/x.npy"], "no such file"),
        (["features", "{notaudio}", "-o", "{tmp}/x.npy"], "not an audio file"),
        (["features", "{short}", "-o", "{tmp}/x.npy"], "shorter than one analysis frame"),
        (["features", "{short}", "-o", "{tmp}/x.txt"], "must end in .npy"),
        (["resynth", "{short}", "-o", "{tmp}/x.mp3"], "cannot write '.mp3'"),
        (["resynth", "{short}", "-o", "{tmp}/x.wav"], "shorter than one analysis frame"),
        (["features", "{short}", "-o", "{tmp}/x.npy", "--config", "{tmp}/none.yaml"], "no such config"),
        (["distortion", "{missing}", "{short}"], "no such file"),
        (["features", "{short}", "-o", "{tmp}/x.npy", "--device", "cuda:7"], "cuda:7"),
    ],
)
def test_user_mistakes_are_one_line(tmp_path, argv, message):
    (tmp_path / "notaudio.wav").write_text("not audio")
    sf.write(tmp_path / "short.wav", np.zeros(50, np.float32), 16000)
    paths = {"missing": tmp_path / "missing.wav", "notaudio": tmp_path / "notaudio.wav",
             "short": tmp_path / "short.wav", "tmp": tmp_path}
    argv = [a.format(**paths) for a in argv]
    proc = subprocess.run(["specae", *argv], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("specae: error:") and message in lines[0]
    assert "Traceback" not in proc.stderr
    assert not list(tmp_path.glob("x.*")) and not list(tmp_path.glob(".*tmp*"))
