"""``specae reconstruct MODEL IN... -o OUTDIR``: encode and decode in one go.

Writes, per input, OUTDIR/NAME.sae (the codes), NAME.decoded.wav (audio rebuilt from the
codes) and NAME.resynth.wav (analysis -> inversion with no coding: the ceiling of the
inversion path), and prints the distortion of each against the input.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from specae import audio
from specae.audio import find_audio
from specae.commands.coding import add_inversion_options, add_model_arg, open_model
from specae.commands.common import add_device, add_force
from specae.evaluation import Row, format_table, measure
from specae.fileio import atomic_path, check_writable
from specae.systems import AutoencoderSystem, ResynthesisSystem


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reconstruct", help="encode + decode, with the inversion ceiling beside it",
                       description=__doc__)
    add_model_arg(p)
    p.add_argument("inputs", nargs="+", metavar="IN", help="audio files or directories")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output directory")
    add_inversion_options(p)
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    inputs = find_audio(args.inputs)
    out_dir = Path(args.output)
    targets = [tuple(out_dir / f"{p.stem}{suffix}" for suffix in (".sae", ".decoded.wav", ".resynth.wav"))
               for p in inputs]
    for group in targets:
        for path in group:
            check_writable(path, args.force)
    coder = open_model(args)
    ae = AutoencoderSystem(coder, args.n_iter, args.upsample)
    ceiling = ResynthesisSystem(coder, args.n_iter, args.upsample)
    rows = []
    for src, (sae, decoded, resynth) in zip(inputs, targets):
        wave = coder.load_audio(src)
        out = ae.run(wave)
        with atomic_path(sae, args.force) as tmp:
            tmp.write_bytes(out.stored)
        audio.save(decoded, out.wave, out.sample_rate, force=args.force)
        ceil = ceiling.run(wave)
        audio.save(resynth, ceil.wave, ceil.sample_rate, force=args.force)
        rate = coder.features.sample_rate
        rows.append(Row(str(src), "ae", measure(wave, rate, out, ae.nominal_kbps)))
        rows.append(Row(str(src), "resynth", measure(wave, rate, ceil, ceiling.nominal_kbps)))
        print(f"{sae}, {decoded.name}, {resynth.name}")
    print(format_table(rows, per_file=len(inputs) > 1))
    return 0
