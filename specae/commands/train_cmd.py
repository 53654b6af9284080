"""``specae train --data PATH... --out DIR``: train a coder (pretraining + fine-tuning).

PATH is an audio file, a directory (searched recursively) or a manifest (.jsonl, .txt, .scp).
Settings come from --config (a YAML with features/model/train sections, e.g. a config.yaml
written by an earlier run) and the flags below, which override it. Runs unchanged under
``torchrun --nproc_per_node N`` (DistributedDataParallel).
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from specae.baseline_store import fit_baselines, parse_names, save_baselines
from specae.commands.common import add_device, add_force
from specae.data import FeatureCache, split_utterances
from specae.device import resolve_device
from specae.manifest import read_inputs
from specae.training import load_configs, train

log = logging.getLogger("specae")


def _ints(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train an autoencoder coder on speech", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", nargs="+", required=True, metavar="PATH",
                   help="audio files, directories, manifests")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output directory (model.pt, config.yaml, train_log.jsonl)")
    p.add_argument("--config", metavar="YAML", help="YAML with features/model/train sections")
    g = p.add_argument_group("features")
    g.add_argument("--kind", choices=("logspec", "logmel"), help="default logspec")
    g.add_argument("--n-mels", type=int, metavar="N")
    g.add_argument("--sample-rate", type=int, metavar="HZ",
                   help="analysis rate (default 16000); n_fft/window/hop scale with it")
    g = p.add_argument_group("model")
    g.add_argument("--patch-frames", type=int, metavar="P", help="frames per patch (default 9)")
    g.add_argument("--patch-hop", type=int, metavar="H", help="frames between patches (default 1)")
    g.add_argument("--hidden", type=_ints, metavar="N,N,...", help="encoder widths (default 2000,1000,500)")
    g.add_argument("--code", choices=("binary", "real", "quantized"), help="code type (default binary)")
    g.add_argument("--code-bits", type=int, metavar="C", help="bits per patch (default 312)")
    g.add_argument("--code-levels", type=int, metavar="L", help="levels per unit for --code quantized")
    g.add_argument("--activation", choices=("logistic", "gelu"), help="hidden units (default logistic)")
    g = p.add_argument_group("training")
    g.add_argument("--pretrain", choices=("rbm", "ae", "none"), help="layer-wise pretraining (default rbm)")
    g.add_argument("--epochs", type=int, metavar="N", help="fine-tuning epochs")
    g.add_argument("--pretrain-epochs", type=int, metavar="N", help="epochs per pretrained layer")
    g.add_argument("--batch-size", type=int, metavar="B")
    g.add_argument("--lr", type=float, help="peak fine-tuning learning rate")
    g.add_argument("--seed", type=int, metavar="S")
    g.add_argument("--resume", action="store_true", help="continue from DIR/checkpoint.pt")
    g.add_argument("--baselines", metavar="LIST",
                   help="also fit these baselines on the same training patches (e.g. subband-vq,pca)")
    g.add_argument("--stop-on-bad-file", action="store_true",
                   help="stop at an unreadable or too-short file instead of skipping it")
    g.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    device = resolve_device(args.device)
    overrides = {
        "features": {"kind": args.kind, "n_mels": args.n_mels, "sample_rate": args.sample_rate},
        "model": {"patch_frames": args.patch_frames, "patch_hop": args.patch_hop, "hidden": args.hidden,
                  "code": args.code, "code_bits": args.code_bits, "code_levels": args.code_levels,
                  "activation": args.activation},
        "train": {"pretrain": args.pretrain, "epochs": args.epochs, "pretrain_epochs": args.pretrain_epochs,
                  "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed},
    }
    features, model_cfg, train_cfg = load_configs(args.config, overrides)
    baseline_names = parse_names(args.baselines)
    utts = read_inputs(args.data)
    coder = train(utts, args.out, features, model_cfg, train_cfg, device=device, resume=args.resume,
                  force=args.force, progress=not args.no_progress, skip_bad=not args.stop_on_bad_file,
                  data_names=list(args.data))
    if baseline_names and int(os.environ.get("RANK", "0")) == 0:
        cache = FeatureCache.build(utts, features, Path(args.out) / "cache", progress=False)
        train_idx, _ = split_utterances(cache, train_cfg.val_fraction, train_cfg.seed)
        fitted = fit_baselines(coder, cache, train_idx, baseline_names, train_cfg.seed)
        print(f"{save_baselines(Path(args.out) / 'model.pt', coder, fitted)}: {', '.join(fitted)} at "
              f"{model_cfg.code_bits} bits per patch")
    lsd = coder.info.get("best_val_lsd_db")
    if lsd is not None:
        print(f"{args.out}/model.pt: {model_cfg.code_bits} {model_cfg.code} bits per patch "
              f"({coder.nominal_kbps:.2f} kbit/s nominal), best validation LSD {lsd:.2f} dB "
              f"(spectrogram domain, hard codes), fingerprint {coder.fingerprint[:12]}")
    return 0
