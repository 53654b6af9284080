"""``specae demo [--out DIR]``: the whole chain on the sample corpus shipped in data/sample.

Trains a small coder on the training speakers, codes the held-out speakers' clips, prints the
distortion table with bitrates, and writes a listening page. The corpus is synthetic speech
rendered with espeak-ng (data/README.md): figures on it do not compare with real speech.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from specae.baseline_store import fit_baselines, save_baselines
from specae.commands.common import add_device
from specae.commands.listen_cmd import build_utterances
from specae.data import FeatureCache, split_utterances
from specae.device import resolve_device
from specae.errors import SpecaeError
from specae.evaluation import evaluate, format_table
from specae.features import FeatureConfig
from specae.manifest import read_inputs
from specae.models.config import ModelConfig
from specae.report import write_listening_page
from specae.systems import systems_for
from specae.training import TrainConfig, train

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"

#: The demo's model: the reference geometry (257-bin log spectrum, 9-frame patches, 312 bits)
#: with a narrower hourglass so it trains in minutes on a laptop CPU.
DEMO_MODEL = {"patch_frames": 9, "patch_hop": 1, "hidden": [512, 256], "code_bits": 312}
DEMO_TRAIN = {"epochs": 8, "pretrain": "rbm", "pretrain_epochs": 2, "batch_size": 128}
QUICK_MODEL = {"patch_frames": 3, "patch_hop": 1, "hidden": [64, 32], "code_bits": 32}
QUICK_TRAIN = {"epochs": 1, "pretrain": "rbm", "pretrain_epochs": 1, "batch_size": 128}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="train, code, measure and listen on the shipped sample corpus",
                       description=__doc__)
    p.add_argument("--out", default="specae-demo", metavar="DIR",
                   help="output directory (default specae-demo)")
    p.add_argument("--data", metavar="DIR", help=f"sample corpus (default {SAMPLE})")
    p.add_argument("--quick", action="store_true", help="a tiny model for a smoke test (seconds)")
    p.add_argument("--max-files", type=int, default=4, metavar="N", help="utterances on the page (default 4)")
    add_device(p)
    p.add_argument("-f", "--force", action="store_true", help="redo a demo already in DIR")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    data = Path(args.data) if args.data else SAMPLE
    train_manifest, test_manifest = data / "train.jsonl", data / "test.jsonl"
    if not train_manifest.is_file() or not test_manifest.is_file():
        raise SpecaeError(f"{data}: no train.jsonl/test.jsonl sample corpus here (pass --data DIR)")
    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.force:
        raise SpecaeError(f"{out}: already holds a demo (use --force to redo it)")
    device = resolve_device(args.device)
    features = FeatureConfig()
    model_cfg = ModelConfig(**(QUICK_MODEL if args.quick else DEMO_MODEL))
    train_cfg = TrainConfig(**(QUICK_TRAIN if args.quick else DEMO_TRAIN))
    print(f"1/3 training on {train_manifest} ({model_cfg.code_bits} binary bits per "
          f"{model_cfg.patch_frames}-frame patch) ...")
    utts = read_inputs([train_manifest])
    coder = train(utts, out / "model", features, model_cfg, train_cfg, device=device, force=True,
                  data_names=[str(train_manifest)])
    cache = FeatureCache.build(utts, features, out / "model" / "cache", progress=False)
    train_idx, _ = split_utterances(cache, train_cfg.val_fraction, train_cfg.seed)
    baselines = fit_baselines(coder, cache, train_idx, ["subband-vq", "pca"], train_cfg.seed)
    save_baselines(out / "model" / "model.pt", coder, baselines)
    test_files = [Path(u.path) for u in read_inputs([test_manifest])][: 3 if args.quick else None]
    print(f"2/3 coding {len(test_files)} held-out clips (speakers not seen in training) with the model "
          f"and, at the same bits per patch, the sub-band VQ and PCA baselines ...")
    systems = systems_for(coder, ceiling=True, baselines=baselines)
    rows = evaluate(systems, test_files)
    print(format_table(rows, per_file=False))
    print("3/3 writing the listening page ...")
    page = write_listening_page(build_utterances(systems, test_files[: args.max_files]), out / "listen",
                                force=True)
    print(f"done in {time.perf_counter() - t0:.0f} s: model {out / 'model' / 'model.pt'}, page {page}")
    return 0
