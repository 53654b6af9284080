"""Rate-distortion sweep: train a coder per (bits per patch, patch hop), fit the baselines at
the same bits, measure every system on held-out files, and draw LSD against kbit/s.

Each point lives in ``OUT/b<bits>-h<hop>/`` (model, baselines, ``point.json``); a point whose
``point.json`` exists is not redone, and an interrupted training resumes from its checkpoint,
so the sweep can be stopped and rerun. External codecs (Codec2, Opus) do not depend on the
points: they run once (``OUT/external.json``). Outputs: ``OUT/rd.csv``, ``OUT/rd_spec.png``
(spectrogram-domain LSD: the autoencoder and the baselines) and ``OUT/rd_wave.png`` (LSD after
inversion, with the external codecs).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path

import torch

from specae.baseline_store import fit_baselines, save_baselines
from specae.data import FeatureCache, split_utterances
from specae.evaluation import evaluate, means
from specae.features import FeatureConfig
from specae.fileio import atomic_path
from specae.manifest import Utterance
from specae.models.config import ModelConfig
from specae.plots import rate_distortion_png
from specae.systems import systems_for
from specae.training import TrainConfig, train

log = logging.getLogger("specae")

CSV_KEYS = ("system", "bits_per_patch", "patch_frames", "patch_hop", "kbps", "actual_kbps", "lsd_db",
            "wave_lsd_db", "mcd_db")


def _point_rows(summary: dict[str, dict], model_cfg: ModelConfig | None) -> list[dict]:
    rows = []
    for system, values in summary.items():
        row = {"system": system, **{k: values.get(k) for k in CSV_KEYS[1:] if k in values}}
        if row.get("bits_per_patch") is not None:
            row["bits_per_patch"] = int(row["bits_per_patch"])
        if model_cfg is not None:
            row.update(patch_frames=model_cfg.patch_frames, patch_hop=model_cfg.patch_hop)
        rows.append(row)
    return rows


def run_point(train_utts: list[Utterance], test_files: list[Path], out: Path, features: FeatureConfig,
              model_cfg: ModelConfig, train_cfg: TrainConfig, baselines: list[str], n_iter: int,
              device: torch.device | str = "cpu", progress: bool = False) -> list[dict]:
    """One point of the sweep (cached in ``out/point.json``)."""
    done = out / "point.json"
    if done.exists():
        return json.loads(done.read_text())
    resume = (out / "checkpoint.pt").exists()
    coder = train(train_utts, out, features, model_cfg, train_cfg, device=device, resume=resume, force=True,
                  progress=progress)
    fitted = {}
    if baselines:
        cache = FeatureCache.build(train_utts, features, out / "cache", progress=False)
        train_idx, _ = split_utterances(cache, train_cfg.val_fraction, train_cfg.seed)
        fitted = fit_baselines(coder, cache, train_idx, baselines, train_cfg.seed)
        save_baselines(out / "model.pt", coder, fitted)
    rows = evaluate(systems_for(coder, n_iter, baselines=fitted), test_files, progress=False, optional=False)
    result = _point_rows(means(rows), model_cfg)
    with atomic_path(done, force=True) as tmp:
        tmp.write_text(json.dumps(result, indent=1))
    return result


def run_external(names: list[str], test_files: list[Path], out: Path) -> list[dict]:
    """The external codecs on the test files, once (cached in ``out/external.json``)."""
    from specae.external_codecs import available_systems

    done = out / "external.json"
    cached = json.loads(done.read_text()) if done.exists() else {}
    systems, skipped = available_systems([n for n in names if n not in cached])
    for line in skipped:
        log.warning("%s", line)
    if systems:
        summary = means(evaluate(systems, test_files, progress=False, optional=False))
        cached.update({name: _point_rows({name: values}, None)[0] for name, values in summary.items()})
        with atomic_path(done, force=True) as tmp:
            tmp.write_text(json.dumps(cached, indent=1))
    return [cached[n] for n in names if n in cached]


def sweep(train_utts: list[Utterance], test_files: list[Path], out_dir: str | os.PathLike,
          features: FeatureConfig, model_cfg: ModelConfig, train_cfg: TrainConfig, bits: list[int],
          hops: list[int], baselines: list[str], external: list[str] | None = None, n_iter: int = 32,
          device: torch.device | str = "cpu", progress: bool = False) -> list[dict]:
    """Every (bits, hop) point, then the external codecs; writes rd.csv and the two figures."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    points: list[dict] = []
    for hop in hops:
        for b in bits:
            cfg = dataclasses.replace(model_cfg, code_bits=b, patch_hop=hop)
            log.info("rate-distortion point: %d bits per patch, %d-frame patches every %d frame(s)", b,
                     cfg.patch_frames, hop)
            rows = run_point(train_utts, test_files, out / f"b{b}-h{hop}", features, cfg, train_cfg,
                             baselines, n_iter, device, progress)
            points.extend({**r, "series": f"{r['system']}, hop {hop}", "label": f"{b}b" if r["system"] == "ae"
                           else ""} for r in rows)
    points.extend({**r, "series": r["system"].split("-")[0], "label": r["system"].split("-", 1)[-1]}
                  for r in run_external(external or [], test_files, out))
    write_outputs(points, out, f"{features.kind} {features.sample_rate} Hz, P={model_cfg.patch_frames}")
    return points


def write_outputs(points: list[dict], out: Path, title: str) -> None:
    with atomic_path(out / "rd.csv", force=True) as tmp:
        lines = [",".join(CSV_KEYS)]
        lines += [",".join("" if p.get(k) is None else str(p[k]) for k in CSV_KEYS) for p in points]
        tmp.write_text("\n".join(lines) + "\n")
    coded = [p for p in points if p.get("lsd_db") is not None]
    rate_distortion_png(coded, out / "rd_spec.png", y="lsd_db", title=f"{title}: spectrogram domain",
                        force=True)
    rate_distortion_png(points, out / "rd_wave.png", y="wave_lsd_db", title=f"{title}: after inversion",
                        force=True)
