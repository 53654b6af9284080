"""The codec2 recipe end to end through run.sh (tiny config), stage stamps and resumption,
and --nj sharded features identical to one process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from specae.cli import main
from specae.coder import load_model
from specae.features import FeatureConfig
from specae.manifest import read_inputs
from specae.recipes import CORPORA, load_recipe_config
from specae.recipes.features import build_cache
from specae.training import train

ROOT = Path(__file__).resolve().parents[1]
RUN_SH = ROOT / "recipes" / "codec2" / "run.sh"
TINY = ROOT / "recipes" / "codec2" / "conf" / "tiny.yaml"


@pytest.fixture
def codec2_dir(speech8k_paths) -> Path:
    return speech8k_paths[0].parents[1]  # /usr/share/codec2


def _run_sh(out: Path, corpus: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = ["bash", str(RUN_SH), "--corpus-dir", str(corpus), "--out-dir", str(out), "--config",
           "conf/tiny.yaml", "--no-progress", *extra]
    env = {**os.environ, "PYTHON": sys.executable}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)


@pytest.mark.slow
def test_codec2_recipe_end_to_end(tmp_path, codec2_dir):
    out = tmp_path / "c2"
    first = _run_sh(out, codec2_dir, "--stop-stage", "3")
    assert first.returncode == 0, first.stderr[-3000:]
    assert (out / ".done" / "3").exists() and not (out / ".done" / "4").exists()
    lines = [json.loads(x) for x in (out / "data" / "train.jsonl").read_text().splitlines()]
    assert [x["id"] for x in lines] == CORPORA["codec2"].TRAIN and all(x["duration"] > 1 for x in lines)

    # an interruption during stage 4, after its first epoch: the stage resumes from there
    cfg = load_recipe_config(TINY, CORPORA["codec2"])
    train(read_inputs([out / "data" / "train.jsonl"]), out / "exp", cfg.features, cfg.model, cfg.train,
          resume=True, force=True, progress=False, stop_after=1)
    rest = _run_sh(out, codec2_dir)
    assert rest.returncode == 0, rest.stderr[-3000:]
    assert "stage 1 (prepare" in rest.stdout and "skipped" in rest.stdout
    assert "resuming after epoch 1" in rest.stderr
    log = [json.loads(x) for x in (out / "exp" / "train_log.jsonl").read_text().splitlines()]
    assert [e["epoch"] for e in log if e["phase"] == "finetune"] == [1, 2]

    report = (out / "report" / "README.md").read_text()
    for system in ("ae", "resynth", "subband-vq", "pca", "codec2-1300"):
        assert f"| {system} |" in report
    assert "LSD spec (dB)" in report and "nominal (kbit/s)" in report
    assert "recipes/codec2/run.sh" in report and "--config conf/tiny.yaml" in report  # the command line
    assert "code_bits: 16" in report  # the config
    for name in ("per_band_lsd.png", "training.png", "config.yaml"):
        assert (out / "report" / name).stat().st_size > 0
    assert (out / "listen" / "index.html").exists()
    doc = json.loads((out / "eval" / "test.json").read_text())
    assert set(doc["systems"]) == {"ae", "resynth", "subband-vq", "pca", "codec2-1300"}
    assert doc["n_files"] == 2
    codec2 = doc["systems"]["codec2-1300"]  # narrowband codec: waveform metrics only
    assert codec2["lsd_db"] is None and codec2["wave_lsd_db"] > 0
    assert len(doc["per_band_lsd_db"]["ae"]) == len(doc["band_hz"]) == 129
    coder = load_model(out / "exp" / "model.pt")
    assert coder.info["epochs"] == 2 and coder.bits_per_patch == 16

    again = _run_sh(out, codec2_dir)  # everything done: every stage skipped
    assert again.returncode == 0 and again.stdout.count("skipped") == 7

    # stage 5 resumes after the files it measured already
    rows = (out / "eval" / "test.rows.jsonl").read_text().splitlines()
    (out / "eval" / "test.rows.jsonl").write_text("\n".join(rows[:5]) + "\n")  # 1 file x 5 systems
    (out / ".done" / "5").unlink()
    redo = _run_sh(out, codec2_dir, "--stage", "5", "--stop-stage", "5")
    assert redo.returncode == 0, redo.stderr[-3000:]
    assert "1 of 2 files measured already" in redo.stdout
    assert len((out / "eval" / "test.rows.jsonl").read_text().splitlines()) == 10
    assert not (out / ".done" / "6").exists()  # later stages are to be redone


def test_config_of_another_run_is_refused(tmp_path, capsys, codec2_dir):
    out = tmp_path / "c2"
    assert main(["recipe", "codec2", "--corpus-dir", str(codec2_dir), "--out-dir", str(out), "--config",
                 str(TINY), "--stop-stage", "1"]) == 0
    code = main(["recipe", "codec2", "--out-dir", str(out), "--stage", "2"])  # default config now
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("specae: error:") and "another config" in err and "\n" not in err
    assert main(["recipe", "codec2", "--out-dir", str(out), "--config", str(TINY), "--stage", "3"]) == 2
    assert "needs stage 2 (features)" in capsys.readouterr().err


def test_sharded_features_equal_one_process(tmp_path, speech8k_paths):
    config = FeatureConfig.from_settings({"sample_rate": 8000})
    utts = read_inputs([*speech8k_paths, ROOT / "README.md"])  # one unreadable file: skipped alike
    one = build_cache(utts, config, tmp_path / "one", 1, progress=False)
    two = build_cache(utts, config, tmp_path / "two", 3, progress=False)
    data = [(tmp_path / d / "features.f16").read_bytes() for d in ("one", "two")]
    assert data[0] == data[1]
    index = [json.loads((tmp_path / d / "features.json").read_text()) for d in ("one", "two")]
    assert index[0] == index[1] and len(index[0]["skipped"]) == 1
    assert [u.__dict__ for u in one.utterances] == [u.__dict__ for u in two.utterances]
    assert not (tmp_path / "two" / "shards").exists()
