"""Quality on held-out real speech: autoencoder (rbm / ae / no pretraining) vs sub-band VQ
and PCA at the same bits per patch, spectrogram-domain LSD from HARD codes.

Data: the 8 kHz speech of Debian's codec2-examples. Training: david4, vk2tpm_004, ve9qrp,
mmt1, big_dog, cross, vk5qi, cut into 5 s segments (so validation can hold out segments);
test (never seen in training, other speakers): hts1a, hts2a, morig, forig. (all.wav is left
out: it concatenates several of the test files.)

    python benchmarks/quality_codec2.py --out exp/quality [--pretrain rbm,ae,none] [--epochs N]
        [--set train.lr=3e-4 model.activation=gelu ...] [--quick]

Prints one row per system: bits per patch, nominal kbit/s, test LSD (dB), and train LSD
(dB, on the training segments) to show over- or under-fitting.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import soundfile as sf
import torch

from specae import audio
from specae.baselines import build_baseline
from specae.data import FeatureCache, PatchSet, split_utterances
from specae.features import FeatureConfig, Frontend
from specae.manifest import read_inputs
from specae.metrics import spec_lsd_per_frame
from specae.models.config import ModelConfig
from specae.patches import overlap_add, to_patches
from specae.training import TrainConfig, train

CODEC2 = Path("/usr/share/codec2/wav")
TRAIN = ["david4", "vk2tpm_004", "ve9qrp", "mmt1", "big_dog", "cross", "vk5qi"]
TEST = ["hts1a", "hts2a", "morig", "forig"]


def make_segments(out: Path, seconds: float = 5.0) -> Path:
    seg_dir = out / "segments"
    if seg_dir.exists():
        return seg_dir
    tmp = out / "segments.tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    for name in TRAIN:
        x, sr = sf.read(CODEC2 / f"{name}.wav", dtype="float32")
        step = int(seconds * sr)
        for i in range(0, len(x), step):
            if len(x[i:i + step]) >= sr:
                sf.write(tmp / f"{name}_{i // step:03d}.wav", x[i:i + step], sr)
    tmp.rename(seg_dir)
    return seg_dir


def lsd_of(code_decode, frames_list, norm, P, H) -> float:
    per_frame = []
    for ref in frames_list:
        z = norm.apply(ref)
        patches = to_patches(z, P, H)
        est = norm.inverse(overlap_add(code_decode(patches), P, H, ref.shape[0]))
        per_frame.append(spec_lsd_per_frame(ref, est))
    return float(torch.cat(per_frame).mean())


def parse_sets(items: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {"features": {}, "model": {}, "train": {}}
    for item in items:
        key, value = item.split("=", 1)
        section, field = key.split(".", 1)
        out[section][field] = json.loads(value) if value[:1] in "[{0123456789-.tfn" else value
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="exp/quality_codec2")
    ap.add_argument("--pretrain", default="rbm,ae,none")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--pretrain-epochs", type=int, default=10)
    ap.add_argument("--set", nargs="*", default=[], help="section.field=value overrides")
    ap.add_argument("--baselines", default="subband-vq,pca")
    ap.add_argument("--quick", action="store_true", help="tiny model, 2 epochs")
    ap.add_argument("--tag", default="")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="  %(message)s")
    out = Path(args.out)
    seg_dir = make_segments(out)
    sets = parse_sets(args.set)
    features = FeatureConfig.from_settings({"sample_rate": 8000, **sets["features"]})
    model_kw = {"patch_frames": 9, "patch_hop": 1, **sets["model"]}
    train_kw = {"epochs": args.epochs, "pretrain_epochs": args.pretrain_epochs, **sets["train"]}
    if args.quick:
        model_kw.update(hidden=[128, 64])
        train_kw.update(epochs=2, pretrain_epochs=1)
    model_cfg = ModelConfig(**model_kw)
    fe = Frontend(features)
    test_frames = [fe(audio.load(CODEC2 / f"{n}.wav", 8000)[0]) for n in TEST]
    utts = read_inputs([seg_dir])
    P, H, bits = model_cfg.patch_frames, model_cfg.patch_hop, model_cfg.code_bits
    cache = FeatureCache.build(utts, features, out / "cache", progress=False)
    train_idx, _ = split_utterances(cache, TrainConfig(**train_kw).val_fraction, TrainConfig(**train_kw).seed)
    train_frames = [cache.utterance_frames(i) for i in train_idx[::3]]
    normalizer = cache.normalizer(train_idx)  # the same statistics training computes
    rows = []
    for mode in [m for m in args.pretrain.split(",") if m]:
        t0 = time.perf_counter()
        cfg = TrainConfig(**{**train_kw, "pretrain": mode})
        run_dir = out / f"ae-{mode}{args.tag}"
        coder = train(utts, run_dir, features, model_cfg, cfg, force=True, progress=False)
        enc_dec = lambda p, c=coder: c.autoencoder.decode(c.autoencoder.encode(p))  # noqa: E731
        rows.append((f"ae ({mode})", lsd_of(enc_dec, test_frames, normalizer, P, H),
                     lsd_of(enc_dec, train_frames, normalizer, P, H), time.perf_counter() - t0))
    patch_set = PatchSet(cache, train_idx, normalizer, P, H)
    x = patch_set.gather(torch.arange(len(patch_set)))
    for name in [b for b in args.baselines.split(",") if b]:
        t0 = time.perf_counter()
        base = build_baseline(name, P, features.n_bins, bits).fit(x, seed=0)
        enc_dec = lambda p, b=base: b.decode(b.encode(p))  # noqa: E731
        rows.append((name, lsd_of(enc_dec, test_frames, normalizer, P, H),
                     lsd_of(enc_dec, train_frames, normalizer, P, H), time.perf_counter() - t0))
    kbps = bits / (H * features.hop_length / features.sample_rate) / 1000
    print(f"\ncodec2-examples 8 kHz, {features.kind} {features.n_bins} bins, P={P} H={H}, {bits} bits/patch "
          f"= {kbps:.1f} kbit/s nominal; {len(x)} training patches")
    print(f"{'system':<16} {'test LSD (dB)':>14} {'train LSD (dB)':>15} {'time (s)':>9}")
    for name, test_lsd, train_lsd, secs in rows:
        print(f"{name:<16} {test_lsd:>14.2f} {train_lsd:>15.2f} {secs:>9.0f}")


if __name__ == "__main__":
    main()
