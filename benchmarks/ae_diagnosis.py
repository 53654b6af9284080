"""Why does the autoencoder lose to the baselines? Small controlled trainings on the same data
as quality_codec2.py (codec2-examples, 8 kHz, P = 9, hop 1, 312 bits per patch), with one
plain loop so that the variants the product does not offer can be tried too: a linear
encoder/decoder (``hidden: []``), a linear bypass around the deep net (``skip``), PCA-whitened
inputs (``white``), real-valued codes, and the binarisation schedule (pre-activation noise,
straight-through from the start or half-way).

    python benchmarks/ae_diagnosis.py \
        '{"name": "linear-binary", "hidden": [], "epochs": 50, "noise": 0, "ste_from": 0}' ...
    python benchmarks/ae_diagnosis.py --pca      # PCA with K real coefficients: the linear optimum
    python benchmarks/ae_diagnosis.py --bit-usage exp/repro/P9-H1-ae-rbm/model.pt  # bit redundancy

Each variant prints its training MSE every 5 epochs and a JSON line with test and train LSD
(dB, spectrogram domain, hard codes). Keys: hidden, act (logistic|gelu), code
(binary|real), bits, epochs, lr, bs, noise (pre-activation noise std), ramp (epochs to ramp
it), ste_from (fraction of training after which the forward pass is hard; null: never),
skip, white, decor (weight of a penalty on the correlation between code units), pretrain
(none|rbm|ae), threads.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch
from quality_codec2 import CODEC2, TEST, lsd_of, make_segments
from torch import nn

from specae import audio
from specae.data import FeatureCache, PatchSet, split_utterances
from specae.features import FeatureConfig, Frontend
from specae.manifest import read_inputs
from specae.models.autoencoder import StackedAutoencoder
from specae.models.config import ModelConfig
from specae.models.pretrain import PretrainSettings, pretrain

P, H = 9, 1


class Data:
    def __init__(self, out: Path) -> None:
        seg = make_segments(out)
        self.features = FeatureConfig.from_settings({"sample_rate": 8000})
        fe = Frontend(self.features)
        self.test = [fe(audio.load(CODEC2 / f"{n}.wav", 8000)[0]) for n in TEST]
        self.cache = FeatureCache.build(read_inputs([seg]), self.features, out / "cache", progress=False)
        self.train_idx, _ = split_utterances(self.cache, 0.1, 0)
        self.train = [self.cache.utterance_frames(i) for i in self.train_idx[::3]]
        self.norm = self.cache.normalizer(self.train_idx)
        self.patches = PatchSet(self.cache, self.train_idx, self.norm, P, H)

    def lsd(self, code_decode) -> dict[str, float]:
        return {"test": lsd_of(code_decode, self.test, self.norm, P, H),
                "train": lsd_of(code_decode, self.train, self.norm, P, H)}


def pca_table(data: Data) -> None:
    x = data.patches.gather(torch.arange(len(data.patches))).double()
    mu = x.mean(0)
    ev, vecs = torch.linalg.eigh(torch.cov((x - mu).T))
    ev, vecs = ev.flip(0), vecs.flip(1)
    for k in (19, 39, 78, 156, 312):
        w = vecs[:, :k]
        res = data.lsd(lambda p, w=w: ((p.double() - mu) @ w @ w.T + mu).float())
        share = float(ev[k:].sum() / ev.sum())
        print(json.dumps({"name": f"pca-{k}-real", "residual_variance": share, **res}))


def run(data: Data, name: str, epochs: int = 10, lr: float = 1e-3, hidden=(2000, 1000, 500),
        code: str = "binary", bits: int = 312, act: str = "logistic", pretrain_mode: str = "none",
        noise: float = 4.0, ramp: int = 10, ste_from: float | None = None, bs: int = 256,
        skip: bool = False, white: bool = False, decor: float = 0.0, threads: int = 0) -> dict:
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = ModelConfig(patch_frames=P, patch_hop=H, hidden=list(hidden), code=code, code_bits=bits,
                      activation=act)
    ae = StackedAutoencoder(cfg, data.features.n_bins)
    params = list(ae.parameters())
    t0 = time.time()
    if pretrain_mode != "none":
        pretrain(ae, lambda e: data.patches.batches(e, bs, seed=1),
                 PretrainSettings(pretrain_mode, 3), lambda *a: None, 0)
    enc_skip = dec_skip = None
    if skip:  # a linear path beside the deep encoder and decoder
        enc_skip = nn.Linear(ae.input_size, cfg.code_units)
        dec_skip = nn.Linear(cfg.code_units, ae.input_size)
        params += [*enc_skip.parameters(), *dec_skip.parameters()]

    def pre(x):
        return ae.code_preactivation(x) + (enc_skip(x) if skip else 0)

    def dec(v):
        return ae.decode_values(v) + (dec_skip(v) if skip else 0)

    to_in = from_out = lambda x: x  # noqa: E731
    if white:  # PCA rotation and unit variance in, the inverse out
        xs = data.patches.gather(torch.arange(len(data.patches))).double()
        mu = xs.mean(0)
        ev, vecs = torch.linalg.eigh(torch.cov((xs - mu).T))
        mu, vecs, sd = mu.float(), vecs.float(), ev.clamp_min(1e-6).sqrt().float()
        to_in = lambda x: ((x - mu) @ vecs) / sd  # noqa: E731
        from_out = lambda z: (z * sd) @ vecs.T + mu  # noqa: E731

    opt = torch.optim.Adam(params, lr=lr)
    steps = epochs * math.ceil(len(data.patches) / bs)
    step = 0
    for ep in range(epochs):
        total = count = 0
        noise_std = noise * min(1.0, (ep + 1) / max(ramp, 1))
        hard = ste_from is not None and ep >= ste_from * epochs
        for x in data.patches.batches(ep, bs, seed=0):
            for g in opt.param_groups:  # cosine to 5 %, as training.py
                g["lr"] = lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * step / steps)))
            a = pre(to_in(x))
            loss = (from_out(dec(ae.code_layer(a, noise_std, hard))) - x).square().mean()
            if decor > 0:  # decorrelate the code units: mean squared off-diagonal correlation
                u = torch.sigmoid(a) if code == "binary" else a
                u = (u - u.mean(0)) / (u.std(0) + 1e-4)
                corr = u.T @ u / len(u)
                loss = loss + decor * (corr - torch.diag(torch.diag(corr))).square().mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            total, count, step = total + loss.item() * len(x), count + len(x), step + 1
        if ep % 5 == 4 or ep == epochs - 1:
            print(f"  {name} epoch {ep + 1}: train mse {total / count:.4f} noise {noise_std:.1f} "
                  f"hard {hard}", flush=True)
    with torch.no_grad():
        layer = ae.code_layer
        res = data.lsd(lambda p: from_out(dec(layer.dequantize(layer.quantize(pre(to_in(p)))))))
    result = {"name": name, **res, "steps": step, "seconds": round(time.time() - t0, 1)}
    print(json.dumps(result), flush=True)
    return result


def bit_usage(model_path: str) -> None:
    """How much of its code a trained binary model uses on the test speech: bits that never
    change, the sum of per-bit entropies, and the participation ratio of the bit correlation
    matrix (about the number of independent directions the bits span)."""
    from specae.coder import load_model
    from specae.patches import to_patches

    coder = load_model(model_path)
    m = coder.model_config
    codes = []
    for name in TEST:
        frames = coder.frames(audio.load(CODEC2 / f"{name}.wav", coder.features.sample_rate)[0])
        patches = to_patches(coder.normalizer.apply(frames), m.patch_frames, m.patch_hop)
        codes.append(coder.autoencoder.encode(patches))
    b = torch.cat(codes).double()
    p = b.mean(0).clamp(1e-9, 1 - 1e-9)
    entropy = -(p * p.log2() + (1 - p) * (1 - p).log2())
    z = (b - b.mean(0)) / b.std(0).clamp_min(1e-6)
    ev = torch.linalg.eigvalsh(z.T @ z / len(z)).clamp_min(0)
    print(json.dumps({"model": model_path, "patches": len(b), "bits": b.shape[1],
                      "constant_bits": int(((p < 0.01) | (p > 0.99)).sum()),
                      "sum_bit_entropy": round(float(entropy.sum()), 1),
                      "participation_ratio": round(float(ev.sum() ** 2 / (ev ** 2).sum()), 1)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("variants", nargs="*", help="JSON objects, one per variant")
    ap.add_argument("--pca", action="store_true", help="print the PCA (real coefficients) table")
    ap.add_argument("--bit-usage", nargs="+", metavar="MODEL", default=[],
                    help="code usage of trained binary models on the test speech, then exit")
    ap.add_argument("--out", default="exp/quality_codec2")
    args = ap.parse_args()
    for model in args.bit_usage:
        bit_usage(model)
    if args.bit_usage:
        return
    data = Data(Path(args.out))
    if args.pca:
        pca_table(data)
    for spec in args.variants:
        kw = json.loads(spec)
        if "pretrain" in kw:
            kw["pretrain_mode"] = kw.pop("pretrain")
        run(data, **kw)


if __name__ == "__main__":
    main()
