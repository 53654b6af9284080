"""``specae encode MODEL IN... -o OUT``: audio -> .sae code files.

OUT is a .sae file for one input, else a directory (one IN.sae per input). Prints each
file's duration, nominal bitrate (bits per patch / patch hop) and actual bitrate (file size).
"""

from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from specae import codec
from specae.audio import find_audio
from specae.commands.coding import add_model_arg, open_model, output_paths
from specae.commands.common import add_device, add_force
from specae.fileio import check_writable


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("encode", help="audio -> .sae code files", description=__doc__)
    add_model_arg(p)
    p.add_argument("inputs", nargs="+", metavar="IN", help="audio files or directories")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help=".sae file (one input) or directory")
    p.add_argument("--entropy", choices=("auto", *codec.ENTROPY_CODERS), default="auto",
                   help="lossless stage: auto keeps the smallest (default)")
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    inputs = find_audio(args.inputs)
    outputs = output_paths(inputs, args.output, (".sae",), ".sae")
    for out in outputs:
        check_writable(out, args.force)
    coder = open_model(args)
    total_bits = total_seconds = 0.0
    pairs = list(zip(inputs, outputs))
    for src, dst in tqdm(pairs, desc="encode", unit="file", disable=None if len(pairs) > 1 else True,
                         leave=False, file=sys.stderr):
        codes = coder.encode(src)
        size = codec.write(dst, codes, entropy=args.entropy, force=args.force)
        total_bits += size * 8
        total_seconds += codes.duration
        actual = size * 8 / codes.duration / 1000
        print(f"{dst}: {codes.duration:.2f} s, {codes.n_patches} patches x {codes.bits_per_patch} bits, "
              f"nominal {codes.nominal_kbps:.2f} kbit/s, actual {actual:.2f} kbit/s ({size} bytes)")
    if len(inputs) > 1:
        print(f"total: {total_seconds:.1f} s, actual {total_bits / total_seconds / 1000:.2f} kbit/s, "
              f"nominal {coder.nominal_kbps:.2f} kbit/s")
    return 0
