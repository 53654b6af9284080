"""``specae decode MODEL IN.sae... -o OUT``: codes -> patches -> overlap-add -> de-normalise ->
inversion (Fast Griffin-Lim) -> audio of the original length.

OUT is a .wav/.flac file for one input, else a directory (one IN.wav per input).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from specae import audio, codec
from specae.commands.coding import add_inversion_options, add_model_arg, open_model, output_paths
from specae.commands.common import add_device, add_force
from specae.errors import SpecaeError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("decode", help=".sae code files -> audio", description=__doc__)
    add_model_arg(p)
    p.add_argument("inputs", nargs="+", metavar="IN.sae", help="code files")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help=".wav/.flac (one input) or directory")
    add_inversion_options(p)
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    inputs = [Path(p) for p in args.inputs]
    outputs = output_paths(inputs, args.output, tuple(audio.SAVE_FORMATS), ".wav")
    for out in outputs:
        audio.check_save_path(out, args.force)
    coder = open_model(args)
    for src, dst in zip(inputs, outputs):
        codes = codec.read(src)
        codec.check_model(codes, coder.fingerprint, src)
        try:
            wave = coder.decode(codes, n_iter=args.n_iter, upsample=args.upsample)
        except ValueError as exc:
            raise SpecaeError(f"{src}: {exc}") from None
        audio.save(dst, wave, codes.sample_rate, force=args.force)
        print(f"{dst}: {codes.duration:.2f} s at {codes.sample_rate} Hz from {src.name} "
              f"({codes.nominal_kbps:.2f} kbit/s nominal)")
    return 0
