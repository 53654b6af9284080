"""Training throughput of the default model on the CPU (or GPU): fine-tuning patches/s, RBM
pretraining patches/s per layer, and peak memory.

    python benchmarks/bench_training.py [--steps 20] [--batch-size 256] [--device auto] [--threads N]

Random normalised patches of the default geometry (16 kHz logspec: 257 bins x 9 frames =
2313 inputs; hidden 2000, 1000, 500; 312 binary bits). Measures, asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import time

import torch
import torch.nn.functional as F  # noqa: N812

from specae.device import resolve_device
from specae.models.autoencoder import StackedAutoencoder
from specae.models.config import ModelConfig
from specae.models.rbm import RBM


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    cfg = ModelConfig()
    ae = StackedAutoencoder(cfg, 257).to(device)
    n_params = sum(p.numel() for p in ae.parameters())
    print(f"torch {torch.__version__}, device {device}, {torch.get_num_threads()} threads; model "
          f"{'-'.join(map(str, ae.sizes))}, {n_params / 1e6:.1f} M parameters, batch {args.batch_size}")
    x = torch.randn(args.batch_size, ae.input_size, device=device)
    opt = torch.optim.Adam(ae.parameters(), lr=1e-4)
    rows = []
    for hard in (False, True):
        for step in range(args.steps + 2):
            if step == 2:  # two warm-up steps
                _sync(device)
                t0 = time.perf_counter()
            loss = F.mse_loss(ae(x, noise_std=1.0, hard=hard), x)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        _sync(device)
        rate = args.steps * args.batch_size / (time.perf_counter() - t0)
        rows.append((f"fine-tune step ({'straight-through' if hard else 'noisy soft'} codes)", rate))
    for i, (n_vis, n_hid) in enumerate(zip(ae.sizes[:-1], ae.sizes[1:])):
        rbm = RBM(n_vis, n_hid, gaussian_visible=i == 0).to(device)
        v = torch.rand(args.batch_size, n_vis, device=device)
        for step in range(args.steps + 2):
            if step == 2:
                _sync(device)
                t0 = time.perf_counter()
            rbm.cd_step(v, 0.01)
        _sync(device)
        rate = args.steps * args.batch_size / (time.perf_counter() - t0)
        rows.append((f"RBM CD-1 layer {i} ({n_vis}x{n_hid})", rate))
    with torch.no_grad():
        _sync(device)
        t0 = time.perf_counter()
        for _ in range(args.steps):
            ae.decode(ae.encode(x))
        _sync(device)
        rate = args.steps * args.batch_size / (time.perf_counter() - t0)
        rows.append(("encode + decode (inference)", rate))
    print(f"{'what':<44} {'patches/s':>10} {'s per 100k patches':>19}")
    for name, rate in rows:
        print(f"{name:<44} {rate:>10.0f} {1e5 / rate:>19.1f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak:.0f} MiB" + (
        f"; GPU peak {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB" if device.type == "cuda" else ""))


if __name__ == "__main__":
    main()
