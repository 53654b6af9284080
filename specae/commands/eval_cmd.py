"""``specae eval MODEL DATA...``: distortion table of the model on speech it has not seen.

Per file and mean: spectrogram-domain LSD (decoded spectrogram vs the original's, before
inversion), waveform LSD after inversion, MCD, PESQ/STOI when installed, nominal and actual
kbit/s (the real size of the code file). Waveform metrics use the fixed analysis (wideband,
or narrowband for models below 16 kHz, stated in the output). DATA: files, directories,
manifests. ``--external`` adds Codec2 / Opus through their command-line tools (always 8 kHz
narrowband: compare them with 8 kHz models). ``--plots DIR`` writes per_band.png (LSD vs
frequency per system), over_time.png (per-frame LSD of the first file) and per_band.csv.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from specae.commands.coding import add_comparison_options, add_model_arg, comparison_systems, open_model
from specae.commands.common import add_device, add_force
from specae.evaluation import METRIC_KEYS, evaluate, format_table, means
from specae.fileio import atomic_path, check_writable
from specae.manifest import read_inputs
from specae.metrics import NARROWBAND, WIDEBAND
from specae.plots import ErrorProfiles, over_time_png, per_band_png


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="distortion table on held-out speech", description=__doc__)
    add_model_arg(p)
    p.add_argument("data", nargs="+", metavar="DATA", help="audio files, directories or manifests")
    p.add_argument("--json", metavar="OUT", help="write per-file rows and means as JSON")
    p.add_argument("--csv", metavar="OUT", help="write per-file rows as CSV")
    p.add_argument("--ceiling", action="store_true", help="add the no-coding resynthesis as a system")
    p.add_argument("--plots", metavar="DIR", help="write per_band.png, per_band.csv and over_time.png here")
    add_comparison_options(p)
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for out in (args.json, args.csv):
        if out:
            check_writable(out, args.force)
    files = [Path(u.path) for u in read_inputs(args.data)]
    coder = open_model(args)
    systems = comparison_systems(args, coder, ceiling=args.ceiling)
    profiles = None
    if args.plots:
        plot_dir = Path(args.plots)
        targets = [plot_dir / n for n in ("per_band.png", "per_band.csv", "over_time.png")]
        for t in targets:
            check_writable(t, args.force)
        profiles = ErrorProfiles(coder.features.bin_frequencies(),
                                 coder.features.hop_length / coder.features.sample_rate)
    rows = evaluate(systems, files, on_results=profiles.add if profiles else None)
    analysis = NARROWBAND if coder.features.sample_rate < 16000 else WIDEBAND
    print(f"{len(files)} file(s); model {coder.fingerprint[:12]}: {coder.bits_per_patch} "
          f"{coder.model_config.code} bits per patch, {coder.nominal_kbps:.2f} kbit/s nominal; "
          f"waveform metrics {analysis.name} ({analysis.sample_rate} Hz)")
    print(format_table(rows, per_file=len(files) > 1))
    narrow = [s.name for s in systems if s.sample_rate < 16000 <= coder.features.sample_rate]
    if narrow:
        print(f"note: {', '.join(narrow)} run at 8 kHz: their waveform metrics are narrowband and do "
              f"not compare with the wideband rows")
    if profiles is not None:
        plot_dir.mkdir(parents=True, exist_ok=True)
        per_band_png(profiles, targets[0], force=args.force)
        with atomic_path(targets[1], args.force) as tmp:
            tmp.write_text(profiles.band_csv())
        over_time_png(profiles, targets[2], force=args.force)
        print(f"plots: {targets[0]}, {targets[2]}")
    if args.json:
        doc = {"model": coder.fingerprint, "analysis": analysis.name, "systems": means(rows),
               "files": [{"file": r.file, "system": r.system, **r.values} for r in rows]}
        with atomic_path(args.json, args.force) as tmp:
            tmp.write_text(json.dumps(doc, indent=1))
    if args.csv:
        with atomic_path(args.csv, args.force) as tmp, open(tmp, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["file", "system", *METRIC_KEYS])
            for r in rows:
                writer.writerow([r.file, r.system, *(r.values.get(k) for k in METRIC_KEYS)])
    return 0
