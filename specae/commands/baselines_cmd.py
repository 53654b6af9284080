"""``specae baselines MODEL --data PATH... [--baselines subband-vq,pca]``: fit baselines for a
trained model on speech (normally its training data) at its patch geometry and exactly its
bits per patch, and store them beside it (DIR/baselines.pt), where eval, reconstruct, listen
and the recipes find them.
"""

from __future__ import annotations

import argparse

from specae.baseline_store import fit_baselines, parse_names, save_baselines
from specae.commands.coding import add_model_arg, open_model
from specae.commands.common import add_device
from specae.data import FeatureCache
from specae.manifest import read_inputs


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("baselines", help="fit baselines at a model's bitrate and store them with it",
                       description=__doc__)
    add_model_arg(p)
    p.add_argument("--data", nargs="+", required=True, metavar="PATH", help="training speech")
    p.add_argument("--baselines", default="subband-vq,pca", metavar="LIST",
                   help="which (default subband-vq,pca)")
    p.add_argument("--seed", type=int, default=0)
    add_device(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    names = parse_names(args.baselines)
    coder = open_model(args)
    utts = read_inputs(args.data)
    cache = FeatureCache.build(utts, coder.features, coder.path.parent / "cache", device=coder.device)
    fitted = fit_baselines(coder, cache, list(range(len(cache.utterances))), names, args.seed)
    path = save_baselines(coder.path, coder, fitted)
    print(f"{path}: {', '.join(fitted)} at {coder.bits_per_patch} bits per patch "
          f"({coder.nominal_kbps:.2f} kbit/s nominal)")
    return 0
