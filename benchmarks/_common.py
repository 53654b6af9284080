"""Shared helpers for the benchmark scripts: the speech batch, timing, and table printing.

Not a benchmark itself. The scripts import it as a sibling module (``python benchmarks/x.py``
puts this folder first on ``sys.path``).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

SAMPLE_RATE = 16000
SPEECH_16K = Path(os.environ.get("SPECAE_CODEC2_DIR", "/usr/share/codec2")) / "raw" / "speech_orig_16k.wav"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def print_header(title: str, extra: dict[str, Any] | None = None) -> None:
    """Title, then the machine and library versions the figures belong to."""
    import librosa
    import torchaudio

    print(title)
    print("=" * len(title))
    rows = {
        "device": "cpu" + ("" if not torch.cuda.is_available() else " (cuda present, not used)"),
        "cpu": f"{cpu_model()} ({os.cpu_count()} logical cores)",
        "torch threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchaudio": torchaudio.__version__,
        "librosa": librosa.__version__,
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "(unset)"),
        "thread check": thread_check(),
    }
    rows.update(extra or {})
    width = max(len(k) for k in rows)
    for key, value in rows.items():
        print(f"{key:<{width}} : {value}")
    print()
    sys.stdout.flush()


def add_common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threads", type=int, help="torch intra-op threads (default: leave torch's default)"
    )


def apply_threads(threads: int | None) -> None:
    if threads:
        torch.set_num_threads(threads)


def thread_check() -> str:
    """A snapshot of how well torch's threads scale right now: one elementwise op on the
    batch-sized STFT, timed with 1 thread and with the current thread count. On a shared VM
    whose second vCPU is busy, spinning OpenMP workers can make N threads far slower than 1.
    """
    n = torch.get_num_threads()
    spec = torch.randn(16, 501, 257, dtype=torch.complex64)

    def best(threads: int) -> float:
        torch.set_num_threads(threads)
        spec.abs()
        return min(timed(spec.abs)[0] for _ in range(10))

    one, many = best(1), best(n)
    torch.set_num_threads(n)
    note = f"complex abs of [16, 501, 257]: {one * 1e3:.2f} ms on 1 thread, {many * 1e3:.2f} ms on {n}"
    if n > 1 and many > one:
        note += " (WARNING: more threads are slower; CPUs shared? try --threads 1 or OMP_WAIT_POLICY=PASSIVE)"
    return note


def load_speech() -> torch.Tensor:
    """The 10.8 s of real 16 kHz speech from codec2-examples, ``[samples]`` float32."""
    from specae import audio

    if not SPEECH_16K.exists():
        sys.exit(f"{SPEECH_16K} missing: apt-get install codec2-examples")
    wave, _ = audio.load(SPEECH_16K, SAMPLE_RATE)
    return wave


def make_clips(wave: torch.Tensor, n_clips: int, seconds: float = 5.0) -> torch.Tensor:
    """``n_clips`` clips of ``seconds`` each, ``[n_clips, samples]``, cut from the speech tiled
    end to end, each starting at a different offset (evenly spread over the file).
    """
    n = int(round(seconds * SAMPLE_RATE))
    reps = 1 + (n + wave.shape[-1] - 1) // wave.shape[-1]
    tiled = wave.repeat(reps + 1)
    step = wave.shape[-1] // n_clips
    return torch.stack([tiled[i * step : i * step + n] for i in range(n_clips)]).contiguous()


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Wall seconds of one call, and its result."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def bench(fn: Callable[[], Any], repeats: int) -> dict[str, Any]:
    """Warm up once (that first call is timed and reported as ``first``), then time
    ``repeats`` calls; returns first/best/median seconds and the last result.
    """
    first, out = timed(fn)
    times = []
    for _ in range(repeats):
        t, out = timed(fn)
        times.append(t)
    return {"first": first, "best": min(times), "median": statistics.median(times), "out": out}


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], floatfmt: str = ".3g") -> None:
    """Plain-text table; the first column left-aligned, the others right-aligned."""

    def fmt(v: Any) -> str:
        if v is None:
            return "-"
        if isinstance(v, float):
            if floatfmt == ".3g" and abs(v) >= 1000:
                return f"{v:.0f}"
            return format(v, floatfmt)
        return str(v)

    cells = [[fmt(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = [values[0].ljust(widths[0])]
        parts += [v.rjust(w) for v, w in zip(values[1:], widths[1:])]
        return "  ".join(parts)

    print(line(list(headers)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print(line(row))
    print()
    sys.stdout.flush()
