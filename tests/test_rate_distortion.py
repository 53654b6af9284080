"""The rate-distortion sweep end to end on real speech: points, baselines at the same bits,
external codecs, CSV and figures, and a rerun that redoes nothing."""

import csv

import pytest

from specae.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


def test_rd_sweep_end_to_end(capsys, tmp_path, speech8k_paths):
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text("features: {sample_rate: 8000}\n"
                   "model: {patch_frames: 3, hidden: [32, 16]}\n"
                   "train: {epochs: 1, pretrain: none, batch_size: 64}\n")
    argv = ["rd", "--data", *map(str, speech8k_paths[1:]), "--test", str(speech8k_paths[0]), "--out",
            str(tmp_path / "rd"), "--config", str(cfg), "--bits", "8,16", "--baselines", "pca",
            "--external", "codec2-1300", "--n-iter", "4"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "rd.csv" in out
    rows = list(csv.DictReader((tmp_path / "rd" / "rd.csv").read_text().splitlines()))
    points = {(r["system"], r["bits_per_patch"], r["patch_hop"]) for r in rows
              if r["system"] != "codec2-1300"}
    assert points == {(s, b, h) for s in ("ae", "pca") for b in ("8", "16") for h in ("1", "3")}
    for r in rows:
        if r["system"] == "codec2-1300":
            assert r["lsd_db"] == "" and float(r["wave_lsd_db"]) > 0 and float(r["kbps"]) == 1.3
        else:  # nominal rate: bits / (hop x 10 ms)
            assert float(r["kbps"]) == pytest.approx(int(r["bits_per_patch"]) / int(r["patch_hop"]) / 10)
            assert float(r["lsd_db"]) > 0 and float(r["wave_lsd_db"]) > 0
    for name in ("rd_spec.png", "rd_wave.png"):
        assert (tmp_path / "rd" / name).read_bytes()[:8] == PNG
    # a rerun finds every point done and trains nothing
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "rd").glob("*/model.pt")}
    assert len(stamps) == 4
    assert main(argv) == 0
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
