"""Griffin-Lim speed and quality: specae vs librosa vs torchaudio at equal iterations and STFT.

    python benchmarks/bench_griffinlim.py [--quick] [--clips N] [--repeats N] [--iters N] [--threads N]

Every implementation gets the same input, the STFT magnitude of real speech (Hann, centred,
reflect padding), and runs Fast Griffin-Lim with momentum 0.99 from a seeded random phase:
specae.inversion.GriffinLim (seed 0), librosa.griffinlim (pad_mode reflect, random_state 0)
and torchaudio.transforms.GriffinLim (torch.manual_seed(0)). Two STFTs: 512/512/128 (the
metrics' analysis) and 512/400/160 (the feature frontend's). Two inputs: the whole 10.8 s file,
and a batch of 5 s clips (specae and torchaudio batched, librosa looped per clip).
Quality is specae.metrics.lsd_db(original, rebuilt, 16000), averaged over clips.
"""

from __future__ import annotations

import argparse
import statistics

import librosa
import numpy as np
import torch
import torchaudio
from _common import (
    SAMPLE_RATE,
    add_common_args,
    apply_threads,
    bench,
    load_speech,
    make_clips,
    print_header,
    print_table,
)

from specae.inversion import GriffinLim
from specae.metrics import lsd_db

STFTS = ((512, 512, 128), (512, 400, 160))
MOMENTUM = 0.99


def magnitude(waves: torch.Tensor, n_fft: int, win: int, hop: int) -> torch.Tensor:
    """``[batch, freq, frames]`` STFT magnitude (torchaudio/librosa layout)."""
    return torch.stft(
        waves, n_fft, hop, win, torch.hann_window(win), center=True, pad_mode="reflect",
        return_complex=True,
    ).abs()


def run_librosa(mag: np.ndarray, n_fft: int, win: int, hop: int, length: int, n_iter: int) -> np.ndarray:
    return np.stack([
        librosa.griffinlim(
            m, n_iter=n_iter, hop_length=hop, win_length=win, n_fft=n_fft, window="hann",
            center=True, length=length, pad_mode="reflect", momentum=MOMENTUM, init="random",
            random_state=0,
        )
        for m in mag
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 clips, 1 repeat, 8 iterations")
    parser.add_argument("--clips", type=int, help="5 s clips in the batch case (default 8, quick 2)")
    parser.add_argument("--repeats", type=int, help="timed repeats after warm-up (default 5, quick 1)")
    parser.add_argument("--iters", type=int, help="Griffin-Lim iterations (default 32, quick 8)")
    add_common_args(parser)
    args = parser.parse_args()
    apply_threads(args.threads)
    n_clips = args.clips or (2 if args.quick else 8)
    repeats = args.repeats or (1 if args.quick else 5)
    n_iter = args.iters or (8 if args.quick else 32)

    speech = load_speech()
    inputs = {
        f"1 clip {speech.numel() / SAMPLE_RATE:.1f} s": speech.unsqueeze(0),
        f"{n_clips} clips x 5 s": make_clips(speech, n_clips),
    }
    print_header(
        "specae Griffin-Lim benchmark",
        {
            "Griffin-Lim": f"{n_iter} iterations, momentum {MOMENTUM}, random phase start, seed 0",
            "timing": f"1 warm-up call, then best/median of {repeats} (time.perf_counter)",
            "quality": "LSD = specae.metrics.lsd_db(original, rebuilt, 16000), mean over clips",
        },
    )

    rows = []
    first_librosa = None
    for input_name, waves in inputs.items():
        length = waves.shape[-1]
        audio_s = waves.numel() / SAMPLE_RATE
        for n_fft, win, hop in STFTS:
            mag = magnitude(waves, n_fft, win, hop)
            mag_np = mag.numpy()
            ours = GriffinLim(n_fft, win, hop, n_iter=n_iter, momentum=MOMENTUM, seed=0)
            ta = torchaudio.transforms.GriffinLim(
                n_fft=n_fft, n_iter=n_iter, win_length=win, hop_length=hop, power=1.0,
                momentum=MOMENTUM, length=length, rand_init=True,
            )

            def run_ta(ta=ta, mag=mag):
                torch.manual_seed(0)
                return ta(mag)

            # librosa first, so its very first call in the process is the one that pays numba start-up.
            r_lib = bench(
                lambda mag_np=mag_np, n_fft=n_fft, win=win, hop=hop, length=length: run_librosa(
                    mag_np, n_fft, win, hop, length, n_iter
                ),
                repeats,
            )
            if first_librosa is None:
                first_librosa = r_lib["first"]
            with torch.inference_mode():
                r_ours = bench(lambda ours=ours, mag=mag, length=length: ours(mag.mT, length), repeats)
                r_ta = bench(run_ta, repeats)
            stft_name = f"{n_fft}/{win}/{hop}"
            for name, mode, r in (
                ("specae GriffinLim", "batched", r_ours),
                ("librosa.griffinlim", "per clip", r_lib),
                ("torchaudio GriffinLim", "batched", r_ta),
            ):
                est = np.asarray(r["out"])
                lsd = statistics.fmean(
                    lsd_db(ref, out, SAMPLE_RATE) for ref, out in zip(waves.numpy(), est)
                )
                rows.append((
                    input_name, stft_name, name, mode, r["first"], r["best"], r["median"],
                    audio_s / r["best"], r_lib["best"] / r["best"], lsd,
                ))

    print_table(
        [
            "input", "STFT n_fft/win/hop", "implementation", "mode", "first call (s)", "best (s)",
            "median (s)", "x real time", "speed vs librosa (x)", "LSD (dB)",
        ],
        rows,
    )
    print(f"librosa's first call in this process (numba start-up included): {first_librosa:.3f} s")


if __name__ == "__main__":
    main()
