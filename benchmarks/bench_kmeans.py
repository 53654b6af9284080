"""k-means speed: a 4096-entry codebook on 1e5 vectors (the sub-band VQ's training job).

    python benchmarks/bench_kmeans.py [--n 100000] [--k 4096] [--dims 12,90] [--threads N]

Prints wall time and final distortion per dimension; measures, asserts nothing.
"""

from __future__ import annotations

import argparse
import time

import torch

from specae.baselines import distortion, kmeans


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--k", type=int, default=4096)
    ap.add_argument("--dims", default="12,90")
    ap.add_argument("--iters", type=int, default=25)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, k={args.k}, n={args.n}, "
          f"{args.iters} Lloyd iterations")
    print(f"{'dim':>5} {'seconds':>9} {'distortion (per element)':>26}")
    for dim in (int(d) for d in args.dims.split(",")):
        x = torch.randn(args.n, dim, generator=torch.Generator().manual_seed(0))
        t0 = time.perf_counter()
        codebook = kmeans(x, args.k, iters=args.iters)
        print(f"{dim:>5} {time.perf_counter() - t0:>9.1f} {distortion(x, codebook):>26.3f}")


if __name__ == "__main__":
    main()
