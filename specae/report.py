"""Static listening-test pages: browse coded speech side by side, or rate it MUSHRA-style.

:func:`write_listening_page` writes a self-contained folder (``index.html``, ``audio/``, ``img/``)
that opens from disk in any browser, with no server, network or external script. The page has

* a browse mode: per utterance, every condition's name, bitrate, metrics, player and
  spectrogram side by side, the reference first;
* a rating mode after webMUSHRA: per utterance a trial with the labelled reference and every
  condition, a hidden copy of the reference among them, in a seeded random order under the
  labels A, B, ...; each gets a 0-100 slider, and "Export ratings" downloads the scores as JSON
  with the real condition names. ``window.specaeExportRatings()`` returns the same JSON string.
"""

from __future__ import annotations

import html
import json
import math
import os
import random
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import numpy as np
import torch

from specae import audio
from specae.errors import SpecaeError
from specae.fileio import atomic_path, check_writable
from specae.listening_page import PAGE_SCRIPT, PAGE_STYLE
from specae.metrics import NARROWBAND, WIDEBAND, power_spectrogram

#: Dynamic range of the spectrogram images (dB below the loudest bin).
SPECTROGRAM_RANGE_DB = 80.0
#: How metrics are shown: key -> (label, unit, decimals). Unknown keys show as ``key value``.
METRIC_FORMATS = {
    "lsd_db": ("LSD", "dB", 2),
    "wave_lsd_db": ("LSD wave", "dB", 2),
    "mcd_db": ("MCD", "dB", 2),
    "snr_db": ("SNR", "dB", 1),
    "spectral_convergence": ("SC", "", 3),
    "pesq": ("PESQ", "MOS", 2),
    "stoi": ("STOI", "", 3),
    "actual_kbps": ("actual", "kbit/s", 2),
}
#: MUSHRA scale bands, top to bottom.
SCALE = (("Excellent", 80, 100), ("Good", 60, 80), ("Fair", 40, 60), ("Poor", 20, 40), ("Bad", 0, 20))


@dataclass
class Condition:
    """One version of an utterance: the original or one coder's output."""

    name: str
    wave: torch.Tensor  # mono float32 [samples]
    sample_rate: int
    kbps: float | None = None  # bitrate shown beside it (None for the reference or a ceiling)
    metrics: dict[str, float | None] = field(default_factory=dict)  # e.g. {"lsd_db": 5.1}


@dataclass
class Utterance:
    """One utterance under several conditions; the first condition is the reference."""

    id: str
    conditions: list[Condition]


def spectrogram_png(
    wave: torch.Tensor | np.ndarray,
    sample_rate: int,
    path: str | os.PathLike,
    title: str | None = None,
    *,
    force: bool = False,
) -> None:
    """Draw a log-power spectrogram (dB, fixed 80 dB range below the peak) as a small PNG.

    The STFT is the metrics' analysis (:data:`~specae.metrics.WIDEBAND`, or
    :data:`~specae.metrics.NARROWBAND` at 8 kHz and below) at the wave's own rate.
    The file is written atomically; an existing one is refused unless ``force``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = check_writable(path, force)
    samples = _mono(wave, f"{path}: wave")
    analysis = NARROWBAND if sample_rate <= NARROWBAND.sample_rate else WIDEBAND
    if samples.shape[0] < analysis.n_fft // 2 + 1:  # reflect padding needs half a window
        samples = np.pad(samples, (0, analysis.n_fft // 2 + 1 - samples.shape[0]))
    power_db = 10.0 * torch.log10(power_spectrogram(samples, analysis).clamp_min(1e-12)).numpy().T
    top = float(power_db.max())
    seconds = samples.shape[0] / sample_rate

    fig = Figure(figsize=(6, 2.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    image = ax.imshow(
        power_db, origin="lower", aspect="auto", cmap="magma", interpolation="nearest",
        extent=(0.0, seconds, 0.0, sample_rate / 2000.0), vmin=top - SPECTROGRAM_RANGE_DB, vmax=top,
    )
    ax.set_xlabel("time (s)", fontsize=8)
    ax.set_ylabel("frequency (kHz)", fontsize=8)
    ax.tick_params(labelsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    bar = fig.colorbar(image, ax=ax, pad=0.01)
    bar.set_label("dB", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    fig.tight_layout(pad=0.3)
    with atomic_path(path, force) as tmp:
        fig.savefig(tmp, format="png")


def write_listening_page(
    utterances: list[Utterance],
    out_dir: str | os.PathLike,
    *,
    title: str = "specae listening test",
    seed: int = 0,
    force: bool = False,
) -> Path:
    """Write ``index.html`` with ``audio/<utt>/<condition>.wav`` and ``img/<utt>/<condition>.png``.

    File names are the ids and names with unsafe characters replaced; the page shows the real
    ones. Each rating trial's order comes from ``random.Random`` seeded with ``seed`` and the
    utterance id, so it is the same on every run. Returns the path of ``index.html``.
    """
    out = Path(out_dir)
    _check_input(utterances)
    if out.exists() and not out.is_dir():
        raise SpecaeError(f"{out}: is a file, expected a directory for the listening page")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise SpecaeError(f"{out}: directory is not empty (use --force to write into it)")

    utt_slugs = _slugs([u.id for u in utterances])
    files: list[list[tuple[str, str]]] = []  # per utterance, per condition: (audio src, img src)
    for utt, utt_slug in zip(utterances, utt_slugs):
        row = []
        for cond, slug in zip(utt.conditions, _slugs([c.name for c in utt.conditions])):
            wav = Path("audio", utt_slug, f"{slug}.wav")
            png = Path("img", utt_slug, f"{slug}.png")
            audio.save(out / wav, cond.wave, cond.sample_rate, force=force)
            spectrogram_png(cond.wave, cond.sample_rate, out / png, f"{utt.id}: {cond.name}", force=force)
            row.append((quote(wav.as_posix()), quote(png.as_posix())))
        files.append(row)

    trials = [_trial_order(utt, seed) for utt in utterances]
    page = _render(utterances, files, trials, title, seed)
    index = out / "index.html"
    with atomic_path(index, force) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return index


def _mono(wave: torch.Tensor | np.ndarray, what: str) -> np.ndarray:
    if isinstance(wave, torch.Tensor):
        wave = wave.detach().cpu().numpy()
    samples = np.asarray(wave, dtype=np.float32)
    if samples.ndim != 1 and samples.size != max(samples.shape, default=0):
        raise SpecaeError(f"{what}: expected a mono waveform [samples], got shape {samples.shape}")
    samples = samples.reshape(-1)
    if samples.size == 0:
        raise SpecaeError(f"{what}: contains no samples")
    if not np.isfinite(samples).all():
        raise SpecaeError(f"{what}: contains NaN or infinite samples")
    return samples


def _check_input(utterances: list[Utterance]) -> None:
    if not utterances:
        raise SpecaeError("listening page: no utterances given")
    ids = [u.id for u in utterances]
    if len(set(ids)) != len(ids):
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        raise SpecaeError(f"listening page: utterance ids repeat: {repeated}")
    for utt in utterances:
        names = [c.name for c in utt.conditions]
        if not names:
            raise SpecaeError(f"utterance {utt.id}: no conditions (the first one is the reference)")
        if len(set(names)) != len(names):
            raise SpecaeError(f"utterance {utt.id}: condition names repeat: {names}")
        for cond in utt.conditions:
            if cond.sample_rate <= 0:
                raise SpecaeError(f"utterance {utt.id}, {cond.name}: sample rate {cond.sample_rate} Hz")
            _mono(cond.wave, f"utterance {utt.id}, {cond.name}")


def _slugs(names: list[str]) -> list[str]:
    """File-safe, distinct versions of ``names`` (case-insensitively, for case-blind disks)."""
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        base = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip(".") or "_"
        slug, n = base, 1
        while slug.lower() in seen:
            n += 1
            slug = f"{base}-{n}"
        seen.add(slug.lower())
        out.append(slug)
    return out


def _trial_order(utt: Utterance, seed: int) -> list[int]:
    """Indices into ``utt.conditions`` in rating order; index 0 is the hidden reference."""
    order = list(range(len(utt.conditions)))
    random.Random(f"{seed}\0{utt.id}").shuffle(order)
    return order


def _labels(n: int) -> list[str]:
    letters = string.ascii_uppercase
    return [letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26] for i in range(n)]


def _number(value: float | None, decimals: int) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.{decimals}f}"


def _metric_items(cond: Condition) -> list[str]:
    items = []
    if cond.kbps is not None:
        items.append(f"{_number(cond.kbps, 2)} kbit/s")
    for key, value in cond.metrics.items():
        label, unit, decimals = METRIC_FORMATS.get(key, (key, "", 3))
        items.append(f"{label} {_number(value, decimals)} {unit}".rstrip())
    return items


def _render(
    utterances: list[Utterance],
    files: list[list[tuple[str, str]]],
    trials: list[list[int]],
    title: str,
    seed: int,
) -> str:
    e = html.escape
    browse = []
    for utt, row in zip(utterances, files):
        cards = []
        for i, (cond, (wav, png)) in enumerate(zip(utt.conditions, row)):
            items = "".join(f"<li>{e(item)}</li>" for item in _metric_items(cond))
            role = ' <span class="tag">reference</span>' if i == 0 else ""
            alt = f"spectrogram of {utt.id}, {cond.name}"
            cards.append(
                f'<figure class="cond">\n<figcaption><b>{e(cond.name)}</b>{role}<ul>{items}</ul></figcaption>'
                f'\n<audio controls preload="none" src="{e(wav)}"></audio>'
                f'\n<img src="{e(png)}" alt="{e(alt)}" width="600" height="250">\n</figure>'
            )
        browse.append(f'<section class="utt">\n<h2>{e(utt.id)}</h2>\n<div class="grid">\n'
                      + "\n".join(cards) + "\n</div>\n</section>")

    scale = "".join(f"<div>{name}<br><small>{lo}&ndash;{hi}</small></div>" for name, lo, hi in SCALE)
    rate, data_trials = [], []
    for t, (utt, row, order) in enumerate(zip(utterances, files, trials)):
        labels = _labels(len(order))
        stims = []
        for label, ci in zip(labels, order):
            sid = f"t{t}-{label}"
            stims.append(
                f'<div class="stim"><output id="{sid}-out">0</output>\n'
                f'<input type="range" class="score" min="0" max="100" step="1" value="0" autocomplete="off" '
                f'id="{sid}-score" '
                f'data-trial="{t}" data-label="{label}" aria-label="score for {label}">\n'
                f'<button type="button" class="play" data-audio="{sid}">{label}</button>'
                f'<audio preload="none" id="{sid}" src="{e(row[ci][0])}"></audio></div>'
            )
        rate.append(
            f'<section class="trial" id="trial-{t}">\n'
            f"<h2>Trial {t + 1} of {len(utterances)}: {e(utt.id)}</h2>\n"
            f'<p><button type="button" class="play ref" data-audio="t{t}-ref">Reference</button>'
            f'<audio preload="none" id="t{t}-ref" src="{e(row[0][0])}"></audio></p>\n'
            f'<div class="mushra"><div class="scale">{scale}</div>\n'
            + "\n".join(stims)
            + "\n</div>\n</section>"
        )
        data_trials.append({"id": utt.id, "stimuli": [
            {"label": label, "name": utt.conditions[ci].name} for label, ci in zip(labels, order)
        ]})

    data = json.dumps({"title": title, "seed": seed, "trials": data_trials}, ensure_ascii=False)
    data = data.replace("<", "\\u003c")  # no "</script>" inside the script element
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
<style>{PAGE_STYLE}</style>
</head>
<body>
<header><h1>{e(title)}</h1>
<nav><a class="tab" href="#browse" data-mode="browse">Browse</a>
<a class="tab" href="#rate" data-mode="rate">Rate (MUSHRA)</a></nav>
</header>
<main>
<section id="browse" class="mode">
{chr(10).join(browse)}
</section>
<section id="rate" class="mode">
<p class="help">For each trial, play the <b>Reference</b>, then each of A, B, ... and rate how close it sounds
to the reference, 0&ndash;100. One of them is the reference itself: rate it 100. Playback switches at the same
time point; click a playing button again to stop. When done, export the ratings and send the JSON file.</p>
{chr(10).join(rate)}
<p class="export"><button type="button" id="export">Export ratings</button>
<span id="export-status"></span></p>
</section>
</main>
<script>
"use strict";
const SPECAE = {data};
{PAGE_SCRIPT}</script>
</body>
</html>
"""
