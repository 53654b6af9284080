"""Figures of a comparison: LSD per frequency band, the error over time of one utterance, and
rate-distortion curves. Each writes a PNG atomically (matplotlib's Agg canvas, no display).

:class:`ErrorProfiles` collects what the figures need from evaluation results as they come
(per-band LSD per system, averaged over files; the per-frame LSD of the first file), so the
evaluation runs once.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from specae.evaluation import Result
from specae.fileio import atomic_path, check_writable
from specae.metrics import Comparison, active_frames, lsd_every_frame, spec_lsd_per_band


def lsd_per_frame_or_nan(ref_db: torch.Tensor, est_db: torch.Tensor) -> np.ndarray:
    """LSD (dB) of every frame, NaN where the reference frame is silent (not scored)."""
    err = lsd_every_frame(ref_db, est_db)
    err[~active_frames(ref_db.double())] = math.nan
    return err.numpy()


@dataclass
class _Curves:
    freqs: np.ndarray
    total: np.ndarray
    count: int = 0

    def add(self, values: np.ndarray) -> None:
        self.total = self.total + values
        self.count += 1

    @property
    def mean(self) -> np.ndarray:
        return self.total / max(self.count, 1)


@dataclass
class ErrorProfiles:
    """Per-band LSD per system (spectrogram domain where a system has frames, and waveform
    domain on the fixed analysis for all), and the per-frame error of the first file."""

    bin_freqs: np.ndarray  # Hz of the feature bins (spectrogram-domain curves)
    feature_hop_s: float
    spec: dict[str, _Curves] = field(default_factory=dict)
    wave: dict[str, _Curves] = field(default_factory=dict)
    first_file: str | None = None
    over_time: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # times, lsd

    def add(self, results: list[Result]) -> None:
        for r in results:
            name, out = r.row.system, r.output
            if out.ref_frames is not None and out.est_frames is not None:
                bands = spec_lsd_per_band(out.ref_frames, out.est_frames)
                self.spec.setdefault(name, _Curves(self.bin_freqs, np.zeros_like(bands))).add(bands)
            cmp = Comparison(r.reference, out.wave, out.sample_rate, out.sample_rate,
                             narrowband=out.sample_rate < 16000)
            bands, freqs = cmp.lsd_per_band()
            self.wave.setdefault(name, _Curves(freqs, np.zeros_like(bands))).add(bands)
            if self.first_file in (None, r.row.file):
                self.first_file = r.row.file
                if out.ref_frames is not None and out.est_frames is not None:
                    err = lsd_per_frame_or_nan(out.ref_frames, out.est_frames)
                    times = np.arange(len(err)) * self.feature_hop_s
                else:  # external codecs: the waveform analysis's frames
                    db = lambda p: 10.0 * torch.log10(p.clamp_min(1e-30))  # noqa: E731
                    err = lsd_per_frame_or_nan(db(cmp.p_ref), db(cmp.p_est))
                    times = np.arange(len(err)) * cmp.analysis.hop_length / cmp.analysis.sample_rate
                self.over_time[name] = (times, err)

    def band_csv(self) -> str:
        """Per-band LSD as CSV rows: domain, system, frequency_hz, lsd_db."""
        lines = ["domain,system,frequency_hz,lsd_db"]
        for domain, curves in (("spectrogram", self.spec), ("waveform", self.wave)):
            for name, c in curves.items():
                lines.extend(f"{domain},{name},{f:.1f},{v:.4f}" for f, v in zip(c.freqs, c.mean))
        return "\n".join(lines) + "\n"


def _figure(size: tuple[float, float]):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=110)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: str | os.PathLike, force: bool) -> None:
    fig.tight_layout(pad=0.4)
    with atomic_path(path, force) as tmp:
        fig.savefig(tmp, format="png")


def per_band_png(profiles: ErrorProfiles, path: str | os.PathLike, title: str = "", *,
                 force: bool = False) -> None:
    """LSD vs frequency, one line per system: spectrogram domain (left, decoded frames before
    inversion) and waveform domain after inversion (right, every system incl. external codecs)."""
    path = check_writable(path, force)
    panels = [(d, c) for d, c in (("spectrogram (before inversion)", profiles.spec),
                                  ("waveform (after inversion)", profiles.wave)) if c]
    fig = _figure((5.2 * len(panels), 3.4))
    for k, (label, curves) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        for name, c in curves.items():
            ax.plot(c.freqs / 1000.0, c.mean, label=f"{name} ({float(np.mean(c.mean)):.2f})", lw=1.2)
        ax.set_xlabel("frequency (kHz)")
        ax.set_ylabel("LSD (dB)")
        ax.set_title(f"{title} {label}".strip(), fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    _save(fig, path, force)


def over_time_png(profiles: ErrorProfiles, path: str | os.PathLike, *, force: bool = False) -> None:
    """Per-frame LSD of the first file, one line per system (silent frames left out)."""
    path = check_writable(path, force)
    fig = _figure((8.0, 3.0))
    ax = fig.add_subplot()
    for name, (times, err) in profiles.over_time.items():
        ax.plot(times, err, label=f"{name} ({float(np.nanmean(err)):.2f})", lw=0.9)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("LSD (dB)")
    ax.set_title(f"error over time: {os.path.basename(profiles.first_file or '')}", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=3)
    _save(fig, path, force)


def rate_distortion_png(points: Sequence[dict], path: str | os.PathLike, *, x: str = "kbps",
                        y: str = "lsd_db", title: str = "", force: bool = False) -> None:
    """LSD vs bitrate. ``points`` are dicts with ``system``, ``x``, ``y``, and optionally
    ``series`` (one line per series, default the system; e.g. one per patch hop, or one per
    codec family) and ``label`` (an annotation). A system keeps one colour; its series
    differ in line style."""
    path = check_writable(path, force)
    fig = _figure((7.0, 4.4))
    ax = fig.add_subplot()
    colours = {name: f"C{i % 10}" for i, name in enumerate(dict.fromkeys(p["system"] for p in points))}
    styles = ("-", "--", ":", "-.")
    seen: dict[str, int] = {}  # series drawn so far per system: its n-th series gets styles[n]
    for k, series in enumerate(dict.fromkeys(p.get("series", p["system"]) for p in points)):
        mine = [p for p in points if p.get("series", p["system"]) == series and p.get(y) is not None]
        mine.sort(key=lambda p: p[x])
        if not mine:
            continue
        systems = {p["system"] for p in mine}
        colour = colours[mine[0]["system"]] if len(systems) == 1 else f"C{k % 10}"
        n = seen[mine[0]["system"]] = seen.get(mine[0]["system"], -1) + 1
        ax.plot([p[x] for p in mine], [p[y] for p in mine], marker="o", ms=3.5, lw=1.2, color=colour,
                ls=styles[n % len(styles)] if len(systems) == 1 else "-", label=series)
        for p in mine:
            if p.get("label"):
                ax.annotate(p["label"], (p[x], p[y]), fontsize=6, xytext=(2, 2), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel("bitrate (kbit/s, nominal)" if x == "kbps" else x)
    ax.set_ylabel({"lsd_db": "LSD, spectrogram domain (dB)", "wave_lsd_db": "LSD after inversion (dB)"}
                  .get(y, y))
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    _save(fig, path, force)
