"""``specae resynth IN -o OUT.wav``: analysis -> inversion with no coding.

The distortion printed is the ceiling of the inversion path: no code can do better.
"""

from __future__ import annotations

import argparse

import torch

from specae import audio
from specae.commands.common import add_device, add_feature_options, add_force, feature_config
from specae.commands.distortion_cmd import print_metrics
from specae.device import resolve_device
from specae.errors import SpecaeError
from specae.features import Frontend
from specae.inversion import Inverter
from specae.metrics import distortion


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("resynth", help="analysis -> inversion, no coding (the inversion ceiling)",
                       description=__doc__)
    p.add_argument("input", metavar="IN", help="audio file")
    p.add_argument("-o", "--output", required=True, metavar="OUT.wav", help="output .wav or .flac")
    p.add_argument("--n-iter", type=int, default=32, metavar="N", help="Griffin-Lim iterations (default 32)")
    p.add_argument("--oracle-phase", action="store_true",
                   help="use the input's own phase instead of Griffin-Lim")
    p.add_argument("--seed", type=int, default=0, help="Griffin-Lim random phase seed (default 0)")
    p.add_argument("--upsample", type=int, default=2, metavar="K",
                   help="run the phase step at hop/K, frames interpolated in time (default 2)")
    add_feature_options(p)
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    audio.check_save_path(args.output, args.force)
    cfg = feature_config(args)
    device = resolve_device(args.device)
    try:
        inverter = Inverter(cfg, n_iter=args.n_iter, seed=args.seed, upsample=args.upsample).to(device)
    except ValueError as exc:
        raise SpecaeError(f"resynth options: {exc}") from None
    wave, sr = audio.load(args.input, cfg.sample_rate, min_samples=cfg.win_length)
    with torch.inference_mode():
        x = wave.to(device)
        frames = Frontend(cfg).to(device)(x)
        out = inverter(frames, len(wave), reference=x if args.oracle_phase else None).cpu()
    audio.save(args.output, out, sr, force=args.force)
    phase = "oracle phase" if args.oracle_phase else f"Fast Griffin-Lim, {args.n_iter} iterations"
    print(f"{args.output}: {cfg.kind} resynthesis ({phase})")
    print_metrics(distortion(wave, out, sr, narrowband=sr < 16000), narrowband=sr < 16000)
    return 0
