"""``specae features IN -o OUT.npy``: log spectrogram frames ``[frames, bins]`` in dB."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from specae import audio
from specae.commands.common import add_device, add_feature_options, add_force, feature_config
from specae.device import resolve_device
from specae.errors import SpecaeError
from specae.features import Frontend
from specae.fileio import atomic_path, check_writable


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("features", help="audio -> log spectrogram frames (.npy, dB)",
                       description=__doc__)
    p.add_argument("input", metavar="IN", help="audio file (wav, flac, ogg, NIST SPHERE, ...)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.npy", help="output .npy file")
    add_feature_options(p)
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if out.suffix != ".npy":
        raise SpecaeError(f"{out}: output must end in .npy")
    check_writable(out, args.force)
    cfg = feature_config(args)
    device = resolve_device(args.device)
    wave, _ = audio.load(args.input, cfg.sample_rate, min_samples=cfg.win_length)
    with torch.inference_mode():
        frames = Frontend(cfg).to(device)(wave.to(device)).cpu().numpy().astype(np.float32)
    with atomic_path(out, args.force) as tmp, open(tmp, "wb") as fh:
        np.save(fh, frames)
    print(f"{out}: {frames.shape[0]} frames x {frames.shape[1]} {cfg.kind} bins (dB), "
          f"{cfg.sample_rate} Hz, hop {cfg.hop_length}")
    return 0
