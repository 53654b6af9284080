"""Options shared by several commands, and helpers to read them."""

from __future__ import annotations

import argparse

from specae.config import load_yaml
from specae.features import FeatureConfig


def add_feature_options(p: argparse.ArgumentParser) -> None:
    """--config / --kind / --n-mels / --sample-rate, overriding the YAML's ``features``."""
    g = p.add_argument_group("features")
    g.add_argument("--config", metavar="YAML",
                   help="YAML with a 'features:' section (or the fields alone)")
    g.add_argument("--kind", choices=("logspec", "logmel"),
                   help="log linear spectrum or log mel (default logspec)")
    g.add_argument("--n-mels", type=int, metavar="N", help="mel bands for --kind logmel (default 80)")
    g.add_argument("--sample-rate", type=int, metavar="HZ",
                   help="analysis rate, input resampled to it (default 16000); unless the config "
                   "sets them, n_fft/window/hop scale with it (8000 -> 256/200/80)")


def feature_config(args: argparse.Namespace) -> FeatureConfig:
    """FeatureConfig from --config, then the individual flags."""
    data = {}
    source = "command line"
    if args.config:
        raw = load_yaml(args.config)
        data = dict(raw.get("features", raw))
        source = args.config
    for field in ("kind", "n_mels", "sample_rate"):
        value = getattr(args, field, None)
        if value is not None:
            data[field] = value
    return FeatureConfig.from_settings(data, source)


def add_force(p: argparse.ArgumentParser) -> None:
    p.add_argument("-f", "--force", action="store_true", help="overwrite existing outputs")


def add_device(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="auto", help="auto (GPU when present), cpu or cuda (default auto)")
