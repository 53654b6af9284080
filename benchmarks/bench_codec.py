"""Encode and decode speed (x real time) and nominal vs actual bitrate of a trained model.

    python benchmarks/bench_codec.py MODEL FILE... [--n-iter 32] [--threads N]

encode: audio -> frames -> hard codes -> .sae bytes (packing + the lossless stage);
decode: .sae bytes -> codes -> frames -> Fast Griffin-Lim -> audio. One warm-up pass, then
the best of 3 over all files. Measures, asserts nothing.
"""

from __future__ import annotations

import argparse
import time

import torch

from specae import codec
from specae.audio import find_audio
from specae.coder import load_model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--n-iter", type=int, default=32)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    coder = load_model(args.model)
    waves = [coder.load_audio(f) for f in find_audio(args.files)]
    seconds = sum(w.shape[-1] for w in waves) / coder.features.sample_rate
    blobs: list[bytes] = []

    def encode() -> None:
        blobs[:] = [codec.encode_bytes(coder.encode(w)) for w in waves]

    def decode() -> None:
        for b in blobs:
            coder.decode(codec.decode_bytes(b), n_iter=args.n_iter)

    times = {}
    for name, fn in (("encode", encode), ("decode", decode)):
        fn()
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        times[name] = best
    size = sum(len(b) for b in blobs)
    m = coder.model_config
    print(f"model {coder.fingerprint[:12]}: {'-'.join(map(str, coder.autoencoder.sizes))}, {m.code_bits} "
          f"{m.code} bits per patch, P={m.patch_frames} H={m.patch_hop}, {coder.features.sample_rate} Hz; "
          f"{len(waves)} files, {seconds:.1f} s of audio; torch {torch.get_num_threads()} threads")
    print(f"{'step':<8} {'seconds':>8} {'x real time':>12}")
    for name, t in times.items():
        print(f"{name:<8} {t:>8.3f} {seconds / t:>12.1f}")
    print(f"bitrate: nominal {coder.nominal_kbps:.2f} kbit/s, actual {size * 8 / seconds / 1000:.2f} kbit/s "
          f"(.sae files incl. headers, lossless stage where it helps)")


if __name__ == "__main__":
    main()
