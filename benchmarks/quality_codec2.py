"""Quality on held-out real speech: autoencoder (rbm / ae / no pretraining) vs sub-band VQ
and PCA at the same bits per patch, spectrogram-domain LSD from HARD codes.

Data: the 8 kHz speech of Debian's codec2-examples. Training: david4, vk2tpm_004, ve9qrp,
mmt1, big_dog, cross, vk5qi, cut into 5 s segments (so validation can hold out segments);
test (never seen in training, other speakers): hts1a, hts2a, morig, forig. (all.wav is left
out: it concatenates several of the test files.)

    python benchmarks/quality_codec2.py --out exp/quality [--pretrain rbm,ae,none] [--epochs N]
        [--patch-frames 1,3,9,13] [--hops 1,P] [--set train.lr=3e-4 model.activation=gelu ...]
        [--quick]

Prints (and writes to OUT/table.md) one row per geometry and system: patch length, hop,
nominal kbit/s, test LSD (dB), and train LSD (dB, on the training segments) to show over- or
under-fitting. Each row is kept in OUT/results/*.json: a rerun skips finished rows.
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


def cached(path: Path, compute) -> dict:
    """``compute()`` once: its result is kept in ``path`` (JSON), so a rerun skips finished rows."""
    if path.exists():
        return json.loads(path.read_text())
    result = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result))
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="exp/quality_codec2")
    ap.add_argument("--pretrain", default="rbm,ae,none")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--pretrain-epochs", type=int, default=10)
    ap.add_argument("--patch-frames", default="9", help="comma-separated P values (default 9)")
    ap.add_argument("--hops", default="1", help="comma-separated hops; 'P': the patch length (default 1)")
    ap.add_argument("--set", nargs="*", default=[], help="section.field=value overrides")
    ap.add_argument("--baselines", default="subband-vq,pca")
    ap.add_argument("--quick", action="store_true", help="tiny model, 2 epochs")
    ap.add_argument("--train-fraction", type=float, default=1.0,
                    help="train on every (1/F)-th training segment (data-size experiments)")
    ap.add_argument("--tag", default="")
    args = ap.parse_args()
    if args.train_fraction < 1.0:
        args.tag += f"_f{args.train_fraction:g}"
    logging.basicConfig(level=logging.INFO, format="  %(message)s")
    out = Path(args.out)
    seg_dir = make_segments(out)
    sets = parse_sets(args.set)
    features = FeatureConfig.from_settings({"sample_rate": 8000, **sets["features"]})
    train_kw = {"epochs": args.epochs, "pretrain_epochs": args.pretrain_epochs, **sets["train"]}
    fe = Frontend(features)
    test_frames = [fe(audio.load(CODEC2 / f"{n}.wav", 8000)[0]) for n in TEST]
    utts = read_inputs([seg_dir])
    utts = utts[::max(1, round(1 / args.train_fraction))]
    cache = FeatureCache.build(utts, features, out / "cache", progress=False)
    split_cfg = TrainConfig(**train_kw)
    train_idx, _ = split_utterances(cache, split_cfg.val_fraction, split_cfg.seed)
    train_frames = [cache.utterance_frames(i) for i in train_idx[::3]]
    normalizer = cache.normalizer(train_idx)  # the same statistics training computes
    rows = []
    for P in [int(v) for v in args.patch_frames.split(",")]:
        for H in dict.fromkeys(P if h == "P" else int(h) for h in args.hops.split(",")):
            model_kw = {"patch_frames": P, "patch_hop": H, **sets["model"]}
            if args.quick:
                model_kw.update(hidden=[128, 64])
                train_kw.update(epochs=2, pretrain_epochs=1)
            model_cfg = ModelConfig(**model_kw)
            bits = model_cfg.code_bits
            kbps = bits / (H * features.hop_length / features.sample_rate) / 1000
            geometry = f"P{P}-H{H}"

            def ae_row(mode: str, model_cfg=model_cfg, geometry=geometry) -> dict:
                t0 = time.perf_counter()
                cfg = TrainConfig(**{**train_kw, "pretrain": mode})
                coder = train(utts, out / f"{geometry}-ae-{mode}{args.tag}", features, model_cfg, cfg,
                              force=True, progress=False)
                enc_dec = lambda p, c=coder: c.autoencoder.decode(c.autoencoder.encode(p))  # noqa: E731
                P_, H_ = model_cfg.patch_frames, model_cfg.patch_hop
                return {"test": lsd_of(enc_dec, test_frames, normalizer, P_, H_),
                        "train": lsd_of(enc_dec, train_frames, normalizer, P_, H_),
                        "seconds": time.perf_counter() - t0}

            def baseline_row(name: str, P=P, H=H, bits=bits) -> dict:
                t0 = time.perf_counter()
                patch_set = PatchSet(cache, train_idx, normalizer, P, H)
                x = patch_set.gather(torch.arange(len(patch_set)))
                base = build_baseline(name, P, features.n_bins, bits).fit(x, seed=0)
                enc_dec = lambda p, bl=base: bl.decode(bl.encode(p))  # noqa: E731
                return {"test": lsd_of(enc_dec, test_frames, normalizer, P, H),
                        "train": lsd_of(enc_dec, train_frames, normalizer, P, H),
                        "seconds": time.perf_counter() - t0}

            for mode in [m for m in args.pretrain.split(",") if m]:
                r = cached(out / "results" / f"{geometry}-ae-{mode}{args.tag}.json", lambda m=mode: ae_row(m))
                rows.append((P, H, kbps, f"ae ({mode})", r))
            for name in [b for b in args.baselines.split(",") if b]:
                tag = f"_f{args.train_fraction:g}" if args.train_fraction < 1.0 else ""
                r = cached(out / "results" / f"{geometry}-{name}{tag}.json", lambda n=name: baseline_row(n))
                rows.append((P, H, kbps, name, r))
    print(f"\ncodec2-examples 8 kHz, {features.kind} {features.n_bins} bins, "
          f"{ModelConfig(**sets['model']).code_bits} bits per patch, {len(train_idx)} training segments")
    table = ["| P | hop | kbit/s | system | test LSD (dB) | train LSD (dB) | time (s) |",
             "|---|---|---|---|---|---|---|"]
    table += [f"| {P} | {H} | {kbps:.1f} | {name} | {r['test']:.2f} | {r['train']:.2f} | {r['seconds']:.0f} |"
              for P, H, kbps, name, r in rows]
    print("\n".join(table))
    (out / f"table{args.tag}.md").write_text("\n".join(table) + "\n")


if __name__ == "__main__":
    main()
