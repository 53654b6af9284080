"""One autoencoder variant on the shipped sample corpus (16 kHz): spectrogram-domain LSD from
hard codes on the held-out voices and on some training clips.

    python benchmarks/quality_sample.py NAME '{"activation": "gelu"}' '{"epochs": 30, "pretrain": "none"}'
        [--out exp/sample_sweep]

The two JSON objects override ModelConfig and TrainConfig fields; the defaults are the demo's
geometry (9-frame patches, hop 1, 312 bits, hidden 512,256; 8 epochs, RBM pretraining). The
baselines for comparison: `specae demo` prints them (sub-band VQ 4.68 dB, PCA 4.71 dB).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from specae.features import FeatureConfig
from specae.manifest import read_inputs
from specae.metrics import spec_lsd_per_frame
from specae.models.config import ModelConfig
from specae.training import TrainConfig, train

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("name")
    ap.add_argument("model", nargs="?", default="{}")
    ap.add_argument("train", nargs="?", default="{}")
    ap.add_argument("--out", default="exp/sample_sweep")
    args = ap.parse_args()
    model = ModelConfig(**{"patch_frames": 9, "patch_hop": 1, "hidden": [512, 256], "code_bits": 312,
                           **json.loads(args.model)})
    cfg = TrainConfig(**{"epochs": 8, "pretrain": "rbm", "pretrain_epochs": 2, "batch_size": 128,
                         **json.loads(args.train)})
    t0 = time.perf_counter()
    utts = read_inputs([SAMPLE / "train.jsonl"])
    coder = train(utts, Path(args.out) / args.name, FeatureConfig(), model, cfg, force=True, progress=False)

    def lsd(files: list[str]) -> float:
        per_frame = []
        for f in files:
            ref = coder.frames(coder.load_audio(f))
            est = coder.decode_frames(coder.encode_frames(ref), ref.shape[0])
            per_frame.append(spec_lsd_per_frame(ref, est))
        return float(torch.cat(per_frame).mean())

    test = [u.path for u in read_inputs([SAMPLE / "test.jsonl"])]
    train_files = [u.path for u in read_inputs([SAMPLE / "train.jsonl"])][::8]
    print(f"{args.name}: test LSD {lsd(test):.2f} dB, train LSD {lsd(train_files):.2f} dB, best val "
          f"{coder.info['best_val_lsd_db']:.2f} dB ({model.code_bits} {model.code} bits, "
          f"{coder.nominal_kbps:.1f} kbit/s nominal), {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
