"""``specae distortion REF EST``: waveform distortion of EST against REF on the fixed analysis.

Wideband (16 kHz, STFT 512/512/128) unless either file is below 16 kHz or --band narrow:
then narrowband (8 kHz, 256/256/64), stated as such.
"""

from __future__ import annotations

import argparse
import json
import math

from specae import audio
from specae.metrics import NARROWBAND, WIDEBAND, distortion, optional_metrics_available

UNITS = {
    "lsd_db": ("log-spectral distortion", "dB"),
    "mcd_db": ("mel-cepstral distortion", "dB"),
    "spectral_convergence": ("spectral convergence", "(ratio)"),
    "snr_db": ("SNR", "dB"),
    "pesq": ("PESQ", "MOS-LQO"),
    "stoi": ("STOI", "(0..1)"),
}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("distortion", help="distortion of an estimate against a reference",
                       description=__doc__)
    p.add_argument("reference", metavar="REF", help="reference audio file")
    p.add_argument("estimate", metavar="EST", help="estimate (decoded) audio file")
    p.add_argument("--band", choices=("auto", "wide", "narrow"), default="auto",
                   help="analysis: auto (narrow if either file is below 16 kHz), wide or narrow")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=run)


def print_metrics(values: dict, narrowband: bool) -> None:
    """One line per metric, with its unit and the analysis it used."""
    analysis = NARROWBAND if narrowband else WIDEBAND
    print(f"  analysis: {analysis.name}, {analysis.sample_rate} Hz, STFT {analysis.n_fft}/"
          f"{analysis.win_length}/{analysis.hop_length}")
    for key, value in values.items():
        label, unit = UNITS[key]
        shown = "n/a" if value is None else f"{value:.3f}"
        print(f"  {label:<24} {shown:>9} {unit}")
    missing = [k for k, ok in optional_metrics_available().items() if not ok]
    if missing:
        print(f"  ({', '.join(missing)} not installed: pip install 'specae[metrics]')")


def run(args: argparse.Namespace) -> int:
    ref, ref_sr = audio.load(args.reference)
    est, est_sr = audio.load(args.estimate)
    narrow = args.band == "narrow" or (args.band == "auto" and min(ref_sr, est_sr) < 16000)
    values = distortion(ref, est, ref_sr, est_sr, narrowband=narrow)
    if args.json:
        clean = {k: (v if v is None or math.isfinite(v) else None) for k, v in values.items()}
        print(json.dumps(clean))
    else:
        print(f"{args.estimate} vs {args.reference}:")
        print_metrics(values, narrow)
    return 0
