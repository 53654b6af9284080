"""Audio I/O: load anything libsndfile reads as mono float32 at a chosen rate; save atomically.

Stereo input is mixed down and other sample rates are resampled with soxr (high quality),
each with a note on the ``specae`` logger. Every user mistake raises :class:`SpecaeError`
with one line naming the file.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
import torch

from specae.errors import SpecaeError
from specae.fileio import atomic_path, check_writable

log = logging.getLogger("specae")

#: File suffixes searched for when a directory is given as input.
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".sph", ".nist", ".aiff", ".aif", ".au")
#: Formats ``save`` writes, by suffix.
SAVE_FORMATS = {".wav": ("WAV", "PCM_16"), ".flac": ("FLAC", "PCM_16")}


def resample(wave: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample ``[samples]`` or ``[samples, channels]`` float audio with soxr (HQ)."""
    if orig_sr == target_sr:
        return wave
    out = soxr.resample(wave, orig_sr, target_sr, quality="HQ")
    return np.ascontiguousarray(out, dtype=np.float32)


def load(
    path: str | os.PathLike,
    sample_rate: int | None = None,
    *,
    min_samples: int = 1,
) -> tuple[torch.Tensor, int]:
    """Read ``path`` as a mono float32 waveform ``[samples]``.

    Args:
        path: any file libsndfile reads (wav, flac, ogg, NIST SPHERE, ...).
        sample_rate: resample to this rate; ``None`` keeps the file's rate.
        min_samples: refuse files shorter than this at the output rate
            (e.g. one analysis window).

    Returns:
        ``(waveform, rate)``; the waveform is a CPU float32 tensor.
    """
    path = Path(path)
    if not path.exists():
        raise SpecaeError(f"{path}: no such file")
    if path.is_dir():
        raise SpecaeError(f"{path}: is a directory, expected an audio file")
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        reason = str(exc).split(":")[-1].strip() or "unreadable"
        raise SpecaeError(f"{path}: not an audio file libsndfile can read ({reason})") from None
    if data.shape[0] == 0:
        raise SpecaeError(f"{path}: contains no samples")
    if not np.isfinite(data).all():
        raise SpecaeError(f"{path}: contains NaN or infinite samples")
    if data.shape[1] > 1:
        log.info("%s: %d channels mixed down to mono", path, data.shape[1])
    wave = data.mean(axis=1, dtype=np.float32)
    if sample_rate is not None and sr != sample_rate:
        log.info("%s: resampled from %d Hz to %d Hz", path, sr, sample_rate)
        wave = resample(wave, sr, sample_rate)
        sr = sample_rate
    if wave.shape[0] < min_samples:
        raise SpecaeError(
            f"{path}: {wave.shape[0]} samples at {sr} Hz is shorter than one analysis frame "
            f"({min_samples} samples)"
        )
    return torch.from_numpy(np.ascontiguousarray(wave)), int(sr)


def save(
    path: str | os.PathLike,
    waveform: torch.Tensor | np.ndarray,
    sample_rate: int,
    *,
    force: bool = False,
) -> Path:
    """Write a mono waveform ``[samples]`` as 16-bit wav or flac, atomically.

    Samples beyond [-1, 1] are clipped, with a note saying by how much.
    """
    path = check_save_path(path, force)
    fmt = SAVE_FORMATS[path.suffix.lower()]
    wave = waveform.detach().cpu().numpy() if isinstance(waveform, torch.Tensor) else waveform
    wave = np.asarray(wave, dtype=np.float32).reshape(-1)
    peak = float(np.abs(wave).max(initial=0.0))
    if peak > 1.0:
        log.info("%s: peak %.2f clipped to 1.0", path, peak)
        wave = np.clip(wave, -1.0, 1.0)
    with atomic_path(path, force) as tmp:
        sf.write(str(tmp), wave, sample_rate, format=fmt[0], subtype=fmt[1])
    return path


def check_save_path(path: str | os.PathLike, force: bool = False) -> Path:
    """Fail early, before any work, if ``save`` could not write ``path``."""
    path = Path(path)
    if path.suffix.lower() not in SAVE_FORMATS:
        raise SpecaeError(f"{path}: cannot write '{path.suffix}' files (use .wav or .flac)")
    return check_writable(path, force)


def find_audio(paths: list[str | os.PathLike]) -> list[Path]:
    """Expand files and directories (searched recursively) into a sorted list of audio files."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            hits = sorted(
                f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in AUDIO_SUFFIXES
            )
            if not hits:
                raise SpecaeError(f"{p}: no audio files ({', '.join(AUDIO_SUFFIXES)}) found")
            found.extend(hits)
        elif p.exists():
            found.append(p)
        else:
            raise SpecaeError(f"{p}: no such file or directory")
    return found
