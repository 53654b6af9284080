"""Peak memory of specae's frontend and Griffin-Lim on a batch of 5 s clips, one fresh process per case.

    python benchmarks/bench_memory.py [--quick] [--clips N] [--threads N]
    python benchmarks/bench_memory.py --case CASE [--clips N]   # one case; prints one JSON line

The main invocation runs every case in its own subprocess (so peaks do not mix) and prints:

* peak RSS: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` at the end of the case (the whole
  process's high-water mark: interpreter, libraries, data, work);
* after load: the same high-water mark after imports, loading the speech and building the batch;
* one-off +: what building the modules, one warm-up call on a 1 s clip (lazy imports, numba
  JIT, allocator pools) and preparing the step's input (features or magnitude) added;
* step +: peak - the mark just before the measured step, the step's own increment;
* tracemalloc peak: Python-heap allocations during the step only. numpy reports its buffers
  to tracemalloc, torch's CPU allocator does not, so torch tensors are not in this column;
* step +, no heap reuse: the case rerun with MALLOC_MMAP_THRESHOLD_=65536, so glibc maps every
  large block on its own and unmaps it on free; roughly the step's live working set (the rest
  of "step +" is freed temporaries the default allocator kept mapped);
* VmHWM from /proc/self/status, Linux's own peak-RSS counter, as a cross-check.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

CASES = {
    "import-torch": "import torch only",
    "import-specae": "import torch + specae.features/inversion (pulls in librosa)",
    "load-batch": "imports + load speech + build the batch (no work)",
    "frontend-logspec": "specae Frontend logspec on the batch",
    "frontend-logmel": "specae Frontend logmel (80 mels) on the batch",
    "griffinlim": "specae GriffinLim (feature STFT, 32 iters) on the batch magnitude",
    "inverter-logmel": "specae Inverter logmel (mel->linear + 32 GL iters) on the batch",
    "librosa-logmel": "reference: librosa melspectrogram + power_to_db, looped per clip",
}
BASELINE = "import-specae"
QUICK_CASES = (BASELINE, "frontend-logmel", "griffinlim")
NO_WORK = ("import-torch", "import-specae", "load-batch")
NO_HEAP_REUSE = {"MALLOC_MMAP_THRESHOLD_": "65536"}


def max_rss_mib() -> float:
    """Process high-water resident set (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def vm_hwm_mib() -> float | None:
    """Linux's VmHWM (peak RSS of this address space, reset at exec): a cross-check of ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def idle(case: str) -> dict:
    """Measurements of a case that does no work (imports only)."""
    rss = max_rss_mib()
    return {
        "case": case, "loaded": rss, "before": rss, "peak": rss, "hwm": vm_hwm_mib(), "py_peak": 0.0,
        "wall": 0.0,
    }


def run_case(case: str, n_clips: int, threads: int | None) -> dict:
    """Run one case in this process; return its measurements."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    if case == "import-torch":
        return idle(case)

    import librosa  # noqa: F401 - specae.features imports it anyway; import cost is not the step's
    from _common import load_speech, make_clips

    from specae.features import FeatureConfig, Frontend
    from specae.inversion import GriffinLim, Inverter

    if case == "import-specae":
        return idle(case)

    clips = make_clips(load_speech(), n_clips)
    loaded = max_rss_mib()
    logspec = FeatureConfig(kind="logspec")
    logmel = FeatureConfig(kind="logmel", n_mels=80)

    # Each case: objects built once, prepare(batch) -> the step's input, step(input) -> output.
    with torch.inference_mode():
        if case == "load-batch":
            def prepare(batch):
                return batch

            def step(x):
                return None
        elif case in ("frontend-logspec", "frontend-logmel"):
            frontend = Frontend(logspec if case == "frontend-logspec" else logmel)

            def prepare(batch):
                return batch

            def step(x):
                return frontend(x)
        elif case == "griffinlim":
            frontend = Frontend(logspec)
            gl = GriffinLim.from_features(logspec, n_iter=32)

            def prepare(batch):
                return torch.pow(10.0, frontend(batch) / 20.0), batch.shape[-1]

            def step(x):
                return gl(*x)
        elif case == "inverter-logmel":
            frontend = Frontend(logmel)
            inv = Inverter(logmel, n_iter=32)

            def prepare(batch):
                return frontend(batch), batch.shape[-1]

            def step(x):
                return inv(*x)
        elif case == "librosa-logmel":
            def prepare(batch):
                return batch.numpy()

            def step(x):
                return [
                    librosa.power_to_db(
                        librosa.feature.melspectrogram(
                            y=c, sr=16000, n_fft=512, hop_length=160, win_length=400, center=True,
                            pad_mode="reflect", power=2.0, n_mels=80, htk=False, norm="slaney",
                        ),
                        ref=1.0, amin=1e-10, top_db=None,
                    )
                    for c in x
                ]
        else:
            raise SystemExit(f"unknown case {case!r}; one of {', '.join(CASES)}")

        # Warm-up on one 1 s clip: lazy imports, numba JIT and allocator pools land here, not in
        # the step (a first call on the full batch would mix the two).
        step(prepare(clips[:1, :16000].clone()))
        x = prepare(clips)
        before = max_rss_mib()
        tracemalloc.start()
        t0 = time.perf_counter()
        out = step(x)
        wall = time.perf_counter() - t0
        _, py_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        peak = max_rss_mib()
        del out
    return {
        "case": case, "loaded": loaded, "before": before, "peak": peak, "hwm": vm_hwm_mib(),
        "py_peak": py_peak / 2**20, "wall": wall,
    }


def run_subprocess(case: str, n_clips: int, threads: int | None, env: dict | None = None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--case", case, "--clips", str(n_clips)]
    if threads:
        cmd += ["--threads", str(threads)]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, check=False, env={**os.environ, **(env or {})}
    )
    if proc.returncode != 0:
        sys.exit(f"case {case} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 clips, 3 of the cases")
    parser.add_argument("--clips", type=int, help="5 s clips in the batch (default 16, quick 4)")
    parser.add_argument("--case", choices=list(CASES), help="run one case here and print a JSON line")
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's default)")
    args = parser.parse_args()
    n_clips = args.clips or (4 if args.quick else 16)

    if args.case:
        print(json.dumps(run_case(args.case, n_clips, args.threads)))
        return

    # Run the cases before this process imports anything heavy: a child's ru_maxrss starts
    # from its parent's high-water mark at fork, so the parent must stay small.
    launcher_rss = max_rss_mib()
    cases = QUICK_CASES if args.quick else tuple(CASES)
    results = [run_subprocess(case, n_clips, args.threads) for case in cases]
    # The same work with glibc's heap reuse off (every block over 64 KiB is its own mmap, unmapped
    # on free): what is left of "step +" is the live working set, the rest is freed memory the
    # default allocator kept. Skipped with --quick.
    no_reuse = {}
    if not args.quick:
        for case in cases:
            if case not in NO_WORK:
                no_reuse[case] = run_subprocess(case, n_clips, args.threads, NO_HEAP_REUSE)

    from _common import apply_threads, print_header, print_table

    apply_threads(args.threads)
    print_header(
        "specae peak memory benchmark",
        {
            "batch": f"{n_clips} clips x 5 s (float32 waveform {n_clips * 80000 * 4 / 2**20:.1f} MiB)",
            "method": "each case in a fresh subprocess; ru_maxrss (RSS high-water) and tracemalloc",
            "launcher": f"ru_maxrss of the launcher when it started the cases: {launcher_rss:.1f} MiB",
        },
    )
    base = next(r["peak"] for r in results if r["case"] == BASELINE)
    rows = []
    for r in results:
        nr = no_reuse.get(r["case"])
        rows.append((
            r["case"], r["peak"], r["hwm"], r["loaded"], r["before"] - r["loaded"], r["peak"] - r["before"],
            nr["peak"] - nr["before"] if nr else None, r["peak"] - base, r["py_peak"], r["wall"] * 1e3,
        ))
    print_table(
        [
            "case", "peak RSS (MiB)", "VmHWM (MiB)", "after load (MiB)", "one-off + (MiB)", "step + (MiB)",
            "step +, no heap reuse (MiB)", f"vs {BASELINE} (MiB)", "tracemalloc peak (MiB)", "step wall (ms)",
        ],
        rows,
        floatfmt=".1f",
    )
    width = max(len(c) for c in CASES)
    for r in results:
        case, what = r["case"], CASES[r["case"]]
        print(f"  {case:<{width}}  {what}")
    print()
    print(f"Reference: '{BASELINE}' = a process that only imported torch and specae (peak {base:.1f} MiB).")
    print("after load: ru_maxrss after imports + loading the speech + building the batch;")
    print("one-off +: building the modules, a warm-up call on a 1 s clip, and preparing the step's input")
    print("           (features / magnitude for the inversion cases); step +: the measured step's increment.")
    print(f"no heap reuse: the case rerun with {NO_HEAP_REUSE} (glibc): roughly the live working set.")


if __name__ == "__main__":
    main()
