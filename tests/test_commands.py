"""encode / decode / reconstruct / eval end to end on real speech, and their user mistakes."""

import json
import subprocess

import numpy as np
import pytest
import soundfile as sf
import torch

from specae import codec
from specae.cli import main
from specae.coder import load_model


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_encode_decode_round_trip(capsys, tmp_path, tiny_model, speech8k_paths):
    src = speech8k_paths[0]
    code, out, _ = run(capsys, "encode", tiny_model, src, "-o", tmp_path / "a.sae")
    assert code == 0 and "nominal 1.60 kbit/s" in out and "actual" in out
    codes = codec.read(tmp_path / "a.sae")
    coder = load_model(tiny_model)
    assert codes.model == coder.fingerprint
    assert torch.equal(codes.codes, coder.encode(src).codes)  # the file holds exactly the emitted codes
    code, out, _ = run(capsys, "decode", tiny_model, tmp_path / "a.sae", "-o", tmp_path / "a.wav")
    assert code == 0
    assert sf.info(tmp_path / "a.wav").frames == sf.info(src).frames
    assert sf.info(tmp_path / "a.wav").samplerate == 8000


def test_encode_many_into_a_directory(capsys, tmp_path, tiny_model, speech8k_paths):
    code, out, _ = run(capsys, "encode", tiny_model, *speech8k_paths, "-o", tmp_path / "codes")
    assert code == 0 and "total:" in out
    written = sorted((tmp_path / "codes").iterdir())
    assert [p.name for p in written] == sorted(p.stem + ".sae" for p in speech8k_paths)
    code, _, _ = run(capsys, "decode", tiny_model, *written, "-o", tmp_path / "wav")
    assert code == 0 and len(list((tmp_path / "wav").iterdir())) == len(speech8k_paths)


def test_reconstruct_writes_three_files_and_a_table(capsys, tmp_path, tiny_model, speech8k_paths):
    code, out, _ = run(capsys, "reconstruct", tiny_model, speech8k_paths[0], "-o", tmp_path, "--n-iter", "8")
    stem = speech8k_paths[0].stem
    assert code == 0
    for suffix in (".sae", ".decoded.wav", ".resynth.wav"):
        assert (tmp_path / f"{stem}{suffix}").exists()
    assert "LSD spec" in out and "resynth" in out and "kbit/s" in out


def test_eval_json_and_csv(capsys, tmp_path, tiny_model, speech8k_paths):
    code, out, _ = run(capsys, "eval", tiny_model, *speech8k_paths[:2], "--json", tmp_path / "e.json",
                       "--csv", tmp_path / "e.csv", "--n-iter", "8", "--ceiling")
    assert code == 0 and "narrowband" in out and "MEAN" in out
    doc = json.loads((tmp_path / "e.json").read_text())
    ae = doc["systems"]["ae"]
    assert {"lsd_db", "wave_lsd_db", "mcd_db", "kbps", "actual_kbps"} <= set(ae)
    assert 0 < ae["lsd_db"] < 30 and ae["kbps"] == pytest.approx(1.6)
    assert doc["systems"]["resynth"]["lsd_db"] == 0.0
    assert len((tmp_path / "e.csv").read_text().splitlines()) == 1 + 2 * 2


def test_python_api(tiny_model, speech8k_paths):
    import specae

    coder = specae.load_model(tiny_model)
    codes = coder.encode(speech8k_paths[0])
    wave = coder.decode(codes, n_iter=4)
    assert wave.shape == (codes.n_samples,) and torch.isfinite(wave).all()


def _other_model(tmp_path, tiny_model):
    blob = torch.load(tiny_model, weights_only=True)
    coder = load_model(tiny_model)
    coder.autoencoder.encoder[0].bias.data += 0.5
    coder._fingerprint = None
    coder.save(tmp_path / "other.pt")
    return tmp_path / "other.pt", blob


@pytest.mark.parametrize("case", ["flipped", "truncated", "other-model", "not-a-model", "overwrite"])
def test_decode_user_mistakes(tmp_path, tiny_model, speech8k_paths, case):
    sae = tmp_path / "a.sae"
    assert main(["encode", str(tiny_model), str(speech8k_paths[0]), "-o", str(sae)]) == 0
    model = tiny_model
    out = tmp_path / "out.wav"
    data = sae.read_bytes()
    if case == "flipped":
        sae.write_bytes(data[:-20] + bytes([data[-20] ^ 0xFF]) + data[-19:])
        expect = "checksum mismatch"
    elif case == "truncated":
        sae.write_bytes(data[: len(data) // 2])
        expect = "truncated"
    elif case == "other-model":
        model, _ = _other_model(tmp_path, tiny_model)
        expect = "made by model"
    elif case == "not-a-model":
        model = tmp_path / "m.pt"
        model.write_bytes(b"hello")
        expect = "not a specae model file"
    else:
        out.write_bytes(b"keep me")
        expect = "already exists"
    proc = subprocess.run(["specae", "decode", str(model), str(sae), "-o", str(out)], capture_output=True,
                          text=True)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and expect in lines[0] and "Traceback" not in proc.stderr
    if case == "overwrite":
        assert out.read_bytes() == b"keep me"
    else:
        assert not out.exists()


def test_encode_resamples_and_mixes_down_with_notes(tmp_path, tiny_model, speech8k_paths):
    x, sr = sf.read(speech8k_paths[0], dtype="float32")
    stereo = tmp_path / "stereo16k.wav"
    from specae.audio import resample

    y = resample(x, sr, 16000)
    sf.write(stereo, np.stack([y, y], 1), 16000)
    proc = subprocess.run(["specae", "encode", str(tiny_model), str(stereo), "-o", str(tmp_path / "s.sae")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "mixed down" in proc.stderr and "resampled from 16000 Hz to 8000 Hz" in proc.stderr


def test_baselines_command_and_eval_json(capsys, tmp_path, tiny_model, speech8k_paths):
    model = tmp_path / "model.pt"
    model.write_bytes(tiny_model.read_bytes())
    code, out, _ = run(capsys, "baselines", model, "--data", *speech8k_paths)
    assert code == 0 and "subband-vq, pca at 16 bits per patch" in out
    code, out, _ = run(capsys, "eval", model, speech8k_paths[0], "--json", tmp_path / "e.json",
                       "--n-iter", "4")
    systems = json.loads((tmp_path / "e.json").read_text())["systems"]
    assert set(systems) == {"ae", "subband-vq", "pca"}
    for values in systems.values():
        assert values["bits_per_patch"] == 16 and values["kbps"] == pytest.approx(1.6)
        assert {"lsd_db", "wave_lsd_db", "mcd_db"} <= set(values)
    code, _, err = run(capsys, "eval", model, speech8k_paths[0], "--baselines", "vq")
    assert code == 2 and "unknown baseline" in err


def test_listen_page(capsys, tmp_path, tiny_model, speech8k_paths):
    code, out, _ = run(capsys, "listen", tiny_model, *speech8k_paths, "-o", tmp_path / "page",
                       "--max-files", "2", "--n-iter", "4", "--external", "codec2-1300")
    assert code == 0 and "2 utterance(s) x 4 conditions" in out
    html = (tmp_path / "page" / "index.html").read_text()
    for name in ("reference", "ae", "resynth", "codec2-1300"):
        assert name in html
    assert len(list((tmp_path / "page" / "audio").rglob("*.wav"))) == 2 * 4


def test_demo_quick(capsys, tmp_path):
    code, out, _ = run(capsys, "demo", "--out", tmp_path / "demo", "--quick")
    assert code == 0, out
    assert "MEAN" in out and "subband-vq" in out and "pca" in out and "kbit/s" in out
    assert (tmp_path / "demo" / "listen" / "index.html").exists()
    assert (tmp_path / "demo" / "model" / "model.pt").exists()
    code, _, err = run(capsys, "demo", "--out", tmp_path / "demo", "--quick")
    assert code == 2 and "already holds a demo" in err
