"""Frontend speed and agreement: specae Frontend vs librosa and torchaudio on a batch of 5 s clips.

    python benchmarks/bench_frontend.py [--quick] [--clips N] [--repeats N] [--threads N]

Same analysis everywhere: 16 kHz, n_fft 512, Hann window 400, hop 160, centred with reflect
padding, power 2, slaney mel scale and norm (80 mels), dB = 10*log10(max(P, 1e-10)), no top_db.
specae and torchaudio run on the whole batch tensor at once; librosa is looped per clip.
"""

from __future__ import annotations

import argparse

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

from specae.features import FeatureConfig, Frontend

AGREE_RANGE_DB = 80.0


def librosa_logmel(clips: np.ndarray, cfg: FeatureConfig) -> list[np.ndarray]:
    out = []
    for clip in clips:
        mel = librosa.feature.melspectrogram(
            y=clip, sr=cfg.sample_rate, n_fft=cfg.n_fft, hop_length=cfg.hop_length,
            win_length=cfg.win_length, window="hann", center=True, pad_mode="reflect", power=2.0,
            n_mels=cfg.n_mels, fmin=cfg.f_min, fmax=cfg.f_max, htk=False, norm="slaney",
        )
        out.append(librosa.power_to_db(mel, ref=1.0, amin=cfg.amin, top_db=None))
    return out


def librosa_logspec(clips: np.ndarray, cfg: FeatureConfig) -> list[np.ndarray]:
    out = []
    for clip in clips:
        spec = librosa.stft(
            clip, n_fft=cfg.n_fft, hop_length=cfg.hop_length, win_length=cfg.win_length,
            window="hann", center=True, pad_mode="reflect",
        )
        out.append(librosa.power_to_db(np.abs(spec) ** 2, ref=1.0, amin=cfg.amin, top_db=None))
    return out


def torchaudio_transform(cfg: FeatureConfig) -> torch.nn.Module:
    if cfg.kind == "logmel":
        spec = torchaudio.transforms.MelSpectrogram(
            sample_rate=cfg.sample_rate, n_fft=cfg.n_fft, win_length=cfg.win_length,
            hop_length=cfg.hop_length, f_min=cfg.f_min, f_max=cfg.f_max, n_mels=cfg.n_mels,
            power=2.0, center=True, pad_mode="reflect", norm="slaney", mel_scale="slaney",
        )
    else:
        spec = torchaudio.transforms.Spectrogram(
            n_fft=cfg.n_fft, win_length=cfg.win_length, hop_length=cfg.hop_length,
            power=2.0, center=True, pad_mode="reflect",
        )
    return torch.nn.Sequential(spec, torchaudio.transforms.AmplitudeToDB(stype="power", top_db=None))


def max_diff_db(ours: torch.Tensor, theirs: list[np.ndarray]) -> float:
    """Max |ours - theirs| (dB) over bins within AGREE_RANGE_DB of each clip's maximum
    (``theirs`` per clip ``[bins, frames]``; ``ours`` ``[batch, frames, bins]``).
    """
    worst = 0.0
    for ours_clip, ref in zip(ours.numpy(), theirs):
        ours_clip = ours_clip.T
        if ours_clip.shape != ref.shape:
            raise SystemExit(f"shape mismatch: specae {ours_clip.shape} vs baseline {ref.shape}")
        mask = ref >= ref.max() - AGREE_RANGE_DB
        worst = max(worst, float(np.abs(ours_clip - ref)[mask].max()))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 clips, 2 repeats (a few seconds)")
    parser.add_argument("--clips", type=int, help="number of 5 s clips (default 16, quick 4)")
    parser.add_argument("--repeats", type=int, help="timed repeats after warm-up (default 10, quick 2)")
    add_common_args(parser)
    args = parser.parse_args()
    apply_threads(args.threads)
    n_clips = args.clips or (4 if args.quick else 16)
    repeats = args.repeats or (2 if args.quick else 10)

    clips = make_clips(load_speech(), n_clips)
    clips_np = clips.numpy()
    audio_s = clips.numel() / SAMPLE_RATE
    print_header(
        "specae frontend benchmark",
        {
            "batch": f"{n_clips} clips x {clips.shape[1] / SAMPLE_RATE:g} s = {audio_s:g} s of audio",
            "STFT": "n_fft 512, win 400 (hann), hop 160, center, reflect, power 2",
            "timing": f"1 warm-up call, then best/median of {repeats} (time.perf_counter)",
        },
    )

    rows, ratios, agree = [], [], []
    for kind in ("logmel", "logspec"):
        cfg = FeatureConfig(kind=kind, n_mels=80)
        lib_fn = librosa_logmel if kind == "logmel" else librosa_logspec
        # librosa first: its first call in this process pays lazy imports / numba start-up.
        r_lib = bench(lambda lib_fn=lib_fn, cfg=cfg: lib_fn(clips_np, cfg), repeats)
        frontend = Frontend(cfg).eval()
        ta = torchaudio_transform(cfg).eval()
        with torch.inference_mode():
            r_ours = bench(lambda frontend=frontend: frontend(clips), repeats)
            r_loop = bench(lambda frontend=frontend: [frontend(c) for c in clips], repeats)
            r_ta = bench(lambda ta=ta: ta(clips), repeats)
        results = [
            (f"specae Frontend ({kind})", "batched", r_ours),
            (f"specae Frontend ({kind})", "per clip", r_loop),
            (f"librosa ({kind})", "per clip", r_lib),
            (f"torchaudio ({kind})", "batched", r_ta),
        ]
        for name, mode, r in results:
            rows.append((name, mode, r["first"], r["best"], r["median"], audio_s / r["best"]))
        ratios.append((kind, r_lib["best"] / r_ours["best"], r_ta["best"] / r_ours["best"]))
        ours = r_ours["out"]
        ta_out = [t.numpy() for t in r_ta["out"]]
        agree.append((kind, max_diff_db(ours, r_lib["out"]), max_diff_db(ours, ta_out)))

    print_table(
        ["implementation", "mode", "first call (s)", "best (s)", "median (s)", "x real time (best)"],
        rows,
    )
    print("Speed ratio (specae batched x real time / baseline x real time; > 1 means specae is faster):")
    print_table(["kind", "specae/librosa", "specae/torchaudio"], ratios, floatfmt=".2f")
    print(f"Agreement: max |specae - baseline| in dB, bins within {AGREE_RANGE_DB:g} dB of each clip's max:")
    print_table(["kind", "vs librosa (dB)", "vs torchaudio (dB)"], agree, floatfmt=".2e")


if __name__ == "__main__":
    main()
