"""Comparison figures: per-band LSD, error over time, rate-distortion; and eval --plots."""

import json

import numpy as np
import pytest

from specae.cli import main
from specae.coder import load_model
from specae.evaluation import run_file
from specae.plots import ErrorProfiles, over_time_png, per_band_png, rate_distortion_png
from specae.systems import systems_for

PNG = b"\x89PNG\r\n\x1a\n"


def test_profiles_and_figures(tmp_path, tiny_model, speech8k_paths):
    coder = load_model(tiny_model)
    systems = systems_for(coder, n_iter=4, ceiling=True)
    feats = coder.features
    profiles = ErrorProfiles(feats.bin_frequencies(), feats.hop_length / feats.sample_rate)
    for path in speech8k_paths[:2]:
        profiles.add(run_file(systems, path, optional=False))
    assert set(profiles.spec) == set(profiles.wave) == {"ae", "resynth"}
    assert profiles.spec["ae"].count == 2 and profiles.spec["ae"].mean.shape == (feats.n_bins,)
    assert profiles.spec["ae"].freqs[-1] == pytest.approx(4000.0)
    # no coding is closer than coding, band by band on average
    assert profiles.spec["resynth"].mean.mean() < profiles.spec["ae"].mean.mean()
    times, err = profiles.over_time["ae"]
    assert times.shape == err.shape and np.isnan(err).any() and np.nanmean(err) > 0
    per_band_png(profiles, tmp_path / "band.png")
    over_time_png(profiles, tmp_path / "time.png")
    rate_distortion_png([{"system": "ae", "kbps": 1.6, "lsd_db": 9.0, "label": "P3"},
                         {"system": "ae", "kbps": 3.2, "lsd_db": 8.0},
                         {"system": "pca", "kbps": 1.6, "lsd_db": 8.5}], tmp_path / "rd.png")
    for name in ("band.png", "time.png", "rd.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG
    csv = profiles.band_csv().splitlines()
    assert csv[0] == "domain,system,frequency_hz,lsd_db" and len(csv) == 1 + 2 * feats.n_bins + 2 * 129


def test_eval_plots_and_external_codecs(capsys, tmp_path, tiny_model, speech8k_paths):
    code = main(["eval", str(tiny_model), str(speech8k_paths[0]), "--n-iter", "4", "--plots",
                 str(tmp_path / "plots"), "--external", "codec2-1300,opus-6",
                 "--json", str(tmp_path / "e.json")])
    out, err = capsys.readouterr()
    assert code == 0, err
    systems = json.loads((tmp_path / "e.json").read_text())["systems"]
    assert set(systems) == {"ae", "codec2-1300", "opus-6"}
    assert systems["codec2-1300"]["lsd_db"] is None and systems["codec2-1300"]["wave_lsd_db"] > 0
    assert systems["codec2-1300"]["kbps"] == pytest.approx(1.3)
    for name in ("per_band.png", "over_time.png"):
        assert (tmp_path / "plots" / name).read_bytes()[:8] == PNG
    assert "codec2-1300" in (tmp_path / "plots" / "per_band.csv").read_text()
    # existing plots are not overwritten without --force
    code = main(["eval", str(tiny_model), str(speech8k_paths[0]), "--n-iter", "4", "--plots",
                 str(tmp_path / "plots")])
    assert code == 2 and "exists" in capsys.readouterr().err
