"""``specae rd --data TRAIN... --test TEST... --out DIR``: rate-distortion sweep.

Trains one coder per (bits per patch, patch hop) from --bits and --hops (the rest of the
model and training settings from --config and the flags), fits the baselines at the same bits
on the same frames, measures every system on the held-out TEST files (spectrogram-domain LSD
from hard codes, LSD and MCD after inversion), adds the external codecs (--external), and
writes DIR/rd.csv, DIR/rd_spec.png and DIR/rd_wave.png. Finished points are kept: rerunning
the command continues where it stopped.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from specae.baseline_store import parse_names
from specae.commands.common import add_device
from specae.commands.train_cmd import _ints
from specae.device import resolve_device
from specae.manifest import read_inputs
from specae.rate_distortion import sweep
from specae.training import load_configs


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rd", help="rate-distortion sweep over code sizes and patch hops", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", nargs="+", required=True, metavar="PATH", help="training speech")
    p.add_argument("--test", nargs="+", required=True, metavar="PATH", help="held-out speech to measure on")
    p.add_argument("--out", required=True, metavar="DIR", help="sweep directory")
    p.add_argument("--config", metavar="YAML", help="YAML with features/model/train sections")
    p.add_argument("--bits", type=_ints, default=[32, 64, 128, 312], metavar="N,N,...",
                   help="bits per patch (default 32,64,128,312)")
    p.add_argument("--hops", type=_ints, default=None, metavar="H,H,...",
                   help="patch hops (default 1 and the patch length P)")
    p.add_argument("--baselines", default="subband-vq,pca", metavar="LIST",
                   help="baselines at each point (default subband-vq,pca; 'none' for none)")
    p.add_argument("--external", default="", metavar="LIST",
                   help="reference codecs, e.g. codec2-3200,codec2-1300,codec2-700C,opus-6,opus-12")
    p.add_argument("--epochs", type=int, metavar="N", help="fine-tuning epochs per point")
    p.add_argument("--pretrain", choices=("rbm", "ae", "none"), help="layer-wise pretraining")
    p.add_argument("--n-iter", type=int, default=32, metavar="N", help="Griffin-Lim iterations (default 32)")
    add_device(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    features, model_cfg, train_cfg = load_configs(
        args.config, {"train": {"epochs": args.epochs, "pretrain": args.pretrain}})
    hops = args.hops or sorted({1, model_cfg.patch_frames})
    baselines = [] if args.baselines == "none" else parse_names(args.baselines)
    test_files = [Path(u.path) for u in read_inputs(args.test)]
    points = sweep(read_inputs(args.data), test_files, args.out, features, model_cfg, train_cfg, args.bits,
                   hops, baselines, [n for n in args.external.split(",") if n.strip()], args.n_iter,
                   resolve_device(args.device))
    print(f"{'system':<14} {'bits':>5} {'hop':>4} {'kbit/s':>7} {'LSD spec':>9} {'LSD wave':>9}")
    for p in points:
        fmt = lambda v: f"{v:9.2f}" if v is not None else f"{'-':>9}"  # noqa: E731
        print(f"{p['system']:<14} {p.get('bits_per_patch') or '-':>5} {p.get('patch_hop') or '-':>4} "
              f"{p['kbps']:7.2f} {fmt(p.get('lsd_db'))} {fmt(p.get('wave_lsd_db'))}")
    print(f"{args.out}/rd.csv, rd_spec.png, rd_wave.png")
    return 0
