"""Stage 5: the trained model and the baselines (fitted here, at its bits per patch, on its
training patches) on the test split, with the resynthesis ceiling beside them.

Per-file rows go to ``OUT/eval/test.rows.jsonl`` as they are measured (an interrupted stage
continues after the last file done; rows of another model are ignored), then
``OUT/eval/test.json`` (the ``specae eval --json`` document, plus the per-band LSD of every
system pooled over the active frames of all files), ``OUT/eval/test.txt`` (the table) and
``OUT/eval/over_time.png`` (the per-frame error of the first test file, :mod:`specae.plots`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from specae.baseline_store import fit_baselines, load_baselines, load_states, save_baselines
from specae.coder import SpeechCoder, load_model
from specae.data import FeatureCache, split_utterances
from specae.device import resolve_device
from specae.evaluation import Row, format_table, means, run_file
from specae.external_codecs import available_systems
from specae.fileio import atomic_path
from specae.metrics import NARROWBAND, WIDEBAND, active_frames, spec_lsd_per_band
from specae.plots import ErrorProfiles, over_time_png
from specae.recipes.run import Run, evenly
from specae.systems import systems_for


def baselines_for(run: Run, coder: SpeechCoder) -> dict[str, object]:
    """The configured baselines, fitted and stored beside the model unless they are already."""
    names = run.config.recipe.baselines
    missing = [n for n in names if n not in load_states(run.model_path, coder)]
    if missing:
        cfg = run.config
        cache = FeatureCache.build(run.utterances("train"), cfg.features, run.exp / "cache", progress=False)
        train_idx, _ = split_utterances(cache, cfg.train.val_fraction, cfg.train.seed)
        fitted = fit_baselines(coder, cache, train_idx, missing, cfg.train.seed)
        save_baselines(run.model_path, coder, fitted)
        print(f"  fitted {', '.join(missing)} at {coder.bits_per_patch} bits per patch on the training "
              f"patches -> {run.exp / 'baselines.pt'}")
    return load_baselines(run.model_path, coder, names)


def systems(run: Run, coder: SpeechCoder) -> list:
    """The model, the ceiling, the baselines, and the external codecs whose tools are installed."""
    r = run.config.recipe
    found = systems_for(coder, r.n_iter, r.upsample, ceiling=True, baselines=baselines_for(run, coder))
    external, skipped = available_systems(r.external)
    for line in skipped:
        print(f"  {line}")
    return found + external


def test_files(run: Run, limit: int | None) -> list[Path]:
    return [Path(u.path) for u in evenly(run.utterances("test"), limit)]


def _measure(systems: list, path: Path, coder: SpeechCoder, optional: bool, over_time: Path | None = None
             ) -> list[dict]:
    """One file: a row per system, with its per-band LSD and active-frame count; and, when
    ``over_time`` is given, the figure of its per-frame error over time."""
    rows = []
    results = run_file(systems, path, optional)
    if over_time is not None:
        profiles = ErrorProfiles(coder.features.bin_frequencies(),
                                 coder.features.hop_length / coder.features.sample_rate)
        profiles.add(results)
        over_time_png(profiles, over_time, force=True)
    for res in results:
        out = res.output
        band, active = None, None
        if out.ref_frames is not None:
            band = spec_lsd_per_band(out.ref_frames, out.est_frames).tolist()
            active = int(active_frames(out.ref_frames.double()).sum())
        rows.append({"model": coder.fingerprint, "file": res.row.file, "system": res.row.system,
                     "values": res.row.values, "band_lsd_db": band, "active_frames": active})
    return rows


def pooled_bands(rows: list[dict]) -> dict[str, list[float]]:
    """Per system: RMS over the active frames of all files, per band."""
    acc: dict[str, tuple[np.ndarray, int]] = {}
    for r in rows:
        if r["band_lsd_db"] is None or not r["active_frames"]:
            continue
        sq = np.square(np.asarray(r["band_lsd_db"])) * r["active_frames"]
        total, count = acc.get(r["system"], (0.0, 0))
        acc[r["system"]] = (total + sq, count + r["active_frames"])
    return {name: np.sqrt(total / count).tolist() for name, (total, count) in acc.items()}


def stage_eval(run: Run) -> None:
    r = run.config.recipe
    coder = load_model(run.model_path, resolve_device(run.device))
    systems_ = systems(run, coder)
    files = test_files(run, r.eval_max_files)
    out_dir = run.out / "eval"
    out_dir.mkdir(parents=True, exist_ok=True)
    rows_path = out_dir / "test.rows.jsonl"
    if run.force:
        rows_path.unlink(missing_ok=True)
    names = [s.name for s in systems_]
    old = [json.loads(x) for x in rows_path.read_text().splitlines()] if rows_path.exists() else []
    old = [x for x in old if x["model"] == coder.fingerprint and x["system"] in names]
    done = {f for f in {x["file"] for x in old} if {x["system"] for x in old if x["file"] == f} >= set(names)}
    rows = [x for x in old if x["file"] in done]
    with atomic_path(rows_path, force=True) as tmp:  # keep only complete, current rows
        tmp.write_text("".join(json.dumps(x) + "\n" for x in rows))
    todo = [f for f in files if str(f) not in done]
    if done:
        print(f"  {len(files) - len(todo)} of {len(files)} files measured already")
    with open(rows_path, "a") as fh:
        for n, path in enumerate(todo, 1):
            figure = out_dir / "over_time.png" if path == files[0] else None
            new = _measure(systems_, path, coder, r.optional_metrics, figure)
            fh.write("".join(json.dumps(x) + "\n" for x in new))
            fh.flush()
            rows.extend(new)
            if run.progress and n % 20 == 0:
                print(f"  {len(files) - len(todo) + n} of {len(files)} files", flush=True)
    wanted = {str(f) for f in files}
    rows = [x for x in rows if x["file"] in wanted]
    table_rows = [Row(x["file"], x["system"], x["values"]) for x in rows]
    analysis = NARROWBAND if coder.features.sample_rate < 16000 else WIDEBAND
    doc = {"model": coder.fingerprint, "analysis": analysis.name, "n_files": len(files),
           "systems": means(table_rows), "band_hz": coder.features.bin_frequencies().tolist(),
           "per_band_lsd_db": pooled_bands(rows),
           "files": [{"file": x["file"], "system": x["system"], **x["values"]} for x in rows]}
    with atomic_path(out_dir / "test.json", force=True) as tmp:
        tmp.write_text(json.dumps(doc, indent=1))
    table = format_table(table_rows, per_file=False)
    with atomic_path(out_dir / "test.txt", force=True) as tmp:
        tmp.write_text(table + "\n")
    print(f"  {len(files)} test file(s); model {coder.fingerprint[:12]}: {coder.bits_per_patch} "
          f"{coder.model_config.code} bits per patch, {coder.nominal_kbps:.2f} kbit/s nominal; waveform "
          f"metrics {analysis.name} ({analysis.sample_rate} Hz)")
    print("\n".join(f"  {line}" for line in table.splitlines()))
