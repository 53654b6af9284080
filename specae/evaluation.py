"""Run systems over files and measure them the same way: one row per (file, system)."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from specae import audio
from specae.metrics import Comparison, optional_metrics_available, spec_lsd_db
from specae.systems import System, SystemOutput

METRIC_KEYS = ("lsd_db", "wave_lsd_db", "mcd_db", "pesq", "stoi", "bits_per_patch", "kbps", "actual_kbps")
UNITS = {"lsd_db": "dB", "wave_lsd_db": "dB", "mcd_db": "dB", "pesq": "MOS", "stoi": "0..1",
         "bits_per_patch": "bits", "kbps": "kbit/s", "actual_kbps": "kbit/s"}
LABELS = {"lsd_db": "LSD spec", "wave_lsd_db": "LSD wave", "mcd_db": "MCD", "pesq": "PESQ",
          "stoi": "STOI", "bits_per_patch": "per patch", "kbps": "nominal", "actual_kbps": "actual"}


@dataclass
class Row:
    file: str
    system: str
    values: dict[str, float | None] = field(default_factory=dict)


def measure(ref: torch.Tensor, rate: int, out: SystemOutput, nominal_kbps: float,
            optional: bool = True) -> dict[str, float | None]:
    """Metrics of one system output against the reference waveform ``ref`` at ``rate``.

    ``lsd_db`` is the spectrogram-domain LSD (decoded frames vs the original's, before
    inversion); ``wave_lsd_db`` and ``mcd_db`` compare waveforms on the fixed analysis
    (narrowband when the reference is below 16 kHz).
    """
    narrow = rate < 16000
    cmp = Comparison(ref, out.wave, rate, out.sample_rate, narrowband=narrow)
    duration = ref.shape[-1] / rate
    values: dict[str, float | None] = {
        "lsd_db": spec_lsd_db(out.ref_frames, out.est_frames) if out.ref_frames is not None else None,
        "wave_lsd_db": cmp.lsd_db(),
        "mcd_db": cmp.mcd_db(),
        "kbps": nominal_kbps,
        "actual_kbps": out.stored_bytes * 8 / duration / 1000 if out.stored_bytes is not None else None,
    }
    if optional:
        have = optional_metrics_available()
        values["pesq"] = cmp.pesq() if have["pesq"] else None
        values["stoi"] = cmp.stoi() if have["stoi"] else None
    return values


@dataclass
class Result:
    """One system on one file: the reference at the system's rate, its output, the metrics."""

    row: Row
    reference: torch.Tensor
    output: SystemOutput


def run_file(systems: list[System], path: str | os.PathLike, optional: bool = True) -> list[Result]:
    """Every system on one file; the reference is the file loaded at each system's rate."""
    refs: dict[int, torch.Tensor] = {}
    results = []
    for system in systems:
        rate = system.sample_rate
        if rate not in refs:
            refs[rate] = audio.load(path, rate, min_samples=1024)[0]
        out = system.run(refs[rate])
        values = measure(refs[rate], rate, out, system.nominal_kbps, optional)
        values["bits_per_patch"] = getattr(system, "bits_per_patch", None)
        results.append(Result(Row(str(path), system.name, values), refs[rate], out))
    return results


def evaluate(systems: list[System], files: Iterable[str | os.PathLike], progress: bool = True,
             optional: bool = True, on_results: Callable[[list[Result]], None] | None = None) -> list[Row]:
    """Every system on every file: one row per (file, system). ``on_results`` sees each file's
    full results (outputs included), e.g. to collect :class:`~specae.plots.ErrorProfiles`."""
    files = list(files)
    rows = []
    for path in tqdm(files, desc="eval", unit="file", disable=None if progress and len(files) > 1 else True,
                     leave=False):
        results = run_file(systems, path, optional)
        if on_results is not None:
            on_results(results)
        rows.extend(r.row for r in results)
    return rows


def means(rows: list[Row]) -> dict[str, dict[str, float | None]]:
    """Mean of each metric per system (over the files where it is defined)."""
    out: dict[str, dict[str, float | None]] = {}
    for system in dict.fromkeys(r.system for r in rows):
        mine = [r for r in rows if r.system == system]
        out[system] = {}
        for key in METRIC_KEYS:
            vals = [r.values.get(key) for r in mine]
            vals = [v for v in vals if v is not None and not math.isnan(v)]
            out[system][key] = sum(vals) / len(vals) if vals else None
    return out


def format_table(rows: list[Row], per_file: bool = True) -> str:
    """A plain-text table: per-file rows (optional), then the mean per system."""
    keys = [k for k in METRIC_KEYS if any(r.values.get(k) is not None for r in rows)]
    head = f"{'file':<28} {'system':<12} " + " ".join(f"{LABELS[k]:>10}" for k in keys)
    units = f"{'':<28} {'':<12} " + " ".join(f"{'(' + UNITS[k] + ')':>10}" for k in keys)
    lines = [head, units]

    def fmt(key, v):
        if v is None or math.isnan(v):
            return f"{'-':>10}"
        return f"{v:>10.0f}" if key == "bits_per_patch" else f"{v:>10.2f}"

    def line(name, system, vals):
        return f"{name[:28]:<28} {system:<12} " + " ".join(fmt(k, vals.get(k)) for k in keys)

    if per_file:
        lines.extend(line(Path(r.file).name, r.system, r.values) for r in rows)
    lines.extend(line("MEAN", system, vals) for system, vals in means(rows).items())
    return "\n".join(lines)
