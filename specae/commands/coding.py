"""Helpers shared by the commands that use a trained model (encode, decode, reconstruct, eval,
listen)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from specae.coder import SpeechCoder, load_model
from specae.device import resolve_device
from specae.errors import SpecaeError

log = logging.getLogger("specae")


def add_model_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help="model file (model.pt written by specae train)")


def add_inversion_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n-iter", type=int, default=32, metavar="N", help="Griffin-Lim iterations (default 32)")
    p.add_argument("--upsample", type=int, default=2, metavar="K",
                   help="phase step at hop/K, frames interpolated (default 2)")


def add_comparison_options(p: argparse.ArgumentParser) -> None:
    """--baselines, --external and the inversion options: what a command compares the model with."""
    p.add_argument("--baselines", metavar="LIST",
                   help="baselines to include, e.g. subband-vq,pca (default: every one stored with the "
                   "model; 'none' for none)")
    p.add_argument("--external", metavar="LIST",
                   help="reference codecs through their Debian tools, e.g. codec2-3200,codec2-700C,opus-6 "
                   "(8 kHz narrowband; a missing tool prints a skip line)")
    add_inversion_options(p)


def comparison_systems(args: argparse.Namespace, coder: SpeechCoder, ceiling: bool) -> list:
    """The model, the ceiling (optional), the stored baselines asked for (all, none, or the
    named ones, which must exist), then the external codecs whose tools are installed (a note
    for each one skipped)."""
    from specae.baseline_store import load_baselines, parse_names
    from specae.external_codecs import available_systems
    from specae.systems import systems_for

    names = args.baselines
    baselines = {} if names == "none" else load_baselines(coder.path, coder,
                                                           parse_names(names) if names else None)
    systems = systems_for(coder, args.n_iter, args.upsample, ceiling=ceiling, baselines=baselines)
    external, skipped = available_systems([n for n in (args.external or "").split(",") if n.strip()])
    for line in skipped:
        log.warning("%s", line)
    return systems + external


def open_model(args: argparse.Namespace) -> SpeechCoder:
    device = resolve_device(getattr(args, "device", "auto"))
    return load_model(args.model, device)


def output_paths(inputs: list[Path], output: str, suffixes: tuple[str, ...], new_suffix: str) -> list[Path]:
    """OUT is a file for one input when it ends in one of ``suffixes``; otherwise a directory
    holding ``<input stem><new_suffix>`` for each input (names must not collide)."""
    out = Path(output)
    if len(inputs) == 1 and out.suffix.lower() in suffixes:
        return [out]
    if out.suffix.lower() in suffixes:
        raise SpecaeError(f"{out}: {len(inputs)} inputs need an output directory, not a file name")
    if out.exists() and not out.is_dir():
        raise SpecaeError(f"{out}: exists and is not a directory")
    paths = [out / f"{p.stem}{new_suffix}" for p in inputs]
    seen: dict[Path, Path] = {}
    for src, dst in zip(inputs, paths):
        if dst in seen:
            raise SpecaeError(f"{src} and {seen[dst]} would both be written to {dst}")
        seen[dst] = src
    return paths
