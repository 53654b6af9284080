"""``specae listen MODEL DATA... -o PAGE_DIR``: a static listening-test page.

Per utterance: the original, the reconstruction from codes, the inversion ceiling (no
coding), every baseline stored with the model, and the external codecs asked for with
``--external`` (Codec2 / Opus at 8 kHz), each with its spectrogram, bitrate and distortion.
A MUSHRA-style mode rates them blind (hidden reference, seeded order) and exports the
ratings as JSON. Open PAGE_DIR/index.html in a browser; no server needed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from specae.commands.coding import add_comparison_options, add_model_arg, comparison_systems, open_model
from specae.commands.common import add_device, add_force
from specae.evaluation import run_file
from specae.manifest import read_inputs
from specae.report import Condition, Utterance, write_listening_page


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("listen", help="write a listening-test page", description=__doc__)
    add_model_arg(p)
    p.add_argument("data", nargs="+", metavar="DATA", help="audio files, directories or manifests")
    p.add_argument("-o", "--output", required=True, metavar="PAGE_DIR", help="directory for the page")
    p.add_argument("--max-files", type=int, default=8, metavar="N", help="utterances on the page (default 8)")
    p.add_argument("--seed", type=int, default=0, help="seed of the blind order (default 0)")
    add_comparison_options(p)
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


KEYS = ("lsd_db", "wave_lsd_db", "mcd_db", "pesq", "stoi")


def build_utterances(systems, files: list[Path]) -> list[Utterance]:
    utts = []
    for path in files:
        results = run_file(systems, path)
        ref = results[0]
        conditions = [Condition("reference", ref.reference, ref.output.sample_rate)]
        for r in results:
            metrics = {k: r.row.values.get(k) for k in KEYS}
            kbps = r.row.values.get("actual_kbps") or r.row.values.get("kbps")
            conditions.append(Condition(r.row.system, r.output.wave, r.output.sample_rate,
                                        kbps if kbps == kbps else None, metrics))
        utts.append(Utterance(path.stem, conditions))
    return utts


def run(args: argparse.Namespace) -> int:
    files = [Path(u.path) for u in read_inputs(args.data)][: args.max_files]
    coder = open_model(args)
    systems = comparison_systems(args, coder, ceiling=True)
    utts = build_utterances(systems, files)
    index = write_listening_page(utts, args.output, seed=args.seed, force=args.force)
    print(f"{index}: {len(utts)} utterance(s) x {len(utts[0].conditions)} conditions; open it in a browser")
    return 0
