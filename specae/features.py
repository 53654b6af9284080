"""Spectrogram frontend: waveform -> log power spectrogram frames in dB, and a per-bin normaliser.

Follows torchaudio.transforms: :class:`Frontend` is an ``nn.Module`` whose window and mel
filterbank are buffers, so ``.to(device)`` moves it; it is batched and agrees with
librosa's ``stft``/``melspectrogram`` + ``power_to_db`` at the same settings.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import librosa
import numpy as np
import torch
from torch import nn

from specae.config import from_dict, section_from_yaml
from specae.errors import SpecaeError
from specae.fileio import atomic_path


@dataclass
class FeatureConfig:
    """Analysis settings. Defaults follow the reference system (16 kHz, 257-bin log spectrum).

    Values are ``10*log10(max(P, amin))`` dB of the power spectrum (or mel power); the
    absolute level is kept, so a gain error is a distortion.
    """

    sample_rate: int = 16000
    n_fft: int = 512
    win_length: int = 400
    hop_length: int = 160
    window: Literal["hann"] = "hann"
    kind: Literal["logspec", "logmel"] = "logspec"
    n_mels: int = 80
    f_min: float = 0.0
    f_max: float | None = None
    mel_scale: Literal["slaney", "htk"] = "slaney"
    mel_norm: Literal["slaney", "none"] = "slaney"
    power: float = 2.0
    amin: float = 1e-10
    center: bool = True
    pad_mode: Literal["reflect", "constant"] = "reflect"

    def __post_init__(self) -> None:
        if self.kind not in ("logspec", "logmel"):
            raise ValueError(f"kind must be 'logspec' or 'logmel', not {self.kind!r}")
        if self.window != "hann":
            raise ValueError(f"window must be 'hann', not {self.window!r}")
        for name in ("sample_rate", "n_fft", "win_length", "hop_length", "n_mels"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")
        if self.win_length > self.n_fft:
            raise ValueError(f"win_length {self.win_length} exceeds n_fft {self.n_fft}")
        if self.power not in (1.0, 2.0):
            raise ValueError(f"power must be 1 or 2, not {self.power!r}")
        if self.amin <= 0:
            raise ValueError(f"amin must be positive, not {self.amin!r}")
        if self.mel_scale not in ("slaney", "htk") or self.mel_norm not in ("slaney", "none"):
            raise ValueError("mel_scale must be slaney|htk and mel_norm slaney|none")
        nyquist = self.sample_rate / 2
        if self.f_max is not None and not (self.f_min < self.f_max <= nyquist):
            raise ValueError(f"need f_min < f_max <= {nyquist:g} Hz")

    @property
    def n_freqs(self) -> int:
        """Linear frequency bins of the STFT."""
        return self.n_fft // 2 + 1

    @property
    def n_bins(self) -> int:
        """Bins per output frame (linear or mel)."""
        return self.n_mels if self.kind == "logmel" else self.n_freqs

    @property
    def floor_db(self) -> float:
        """The dB value of the ``amin`` floor (-100 dB by default)."""
        return 10.0 * float(np.log10(self.amin))

    def num_frames(self, n_samples: int) -> int:
        """Frames produced for ``n_samples`` samples."""
        if self.center:
            return 1 + n_samples // self.hop_length
        return 1 + (n_samples - self.n_fft) // self.hop_length

    def mel_filterbank(self) -> np.ndarray:
        """Mel filterbank ``[n_mels, n_freqs]`` (librosa's, so the two agree exactly)."""
        return librosa.filters.mel(
            sr=self.sample_rate,
            n_fft=self.n_fft,
            n_mels=self.n_mels,
            fmin=self.f_min,
            fmax=self.f_max,
            htk=self.mel_scale == "htk",
            norm="slaney" if self.mel_norm == "slaney" else None,
        ).astype(np.float32)

    def bin_frequencies(self) -> np.ndarray:
        """Centre frequency (Hz) of each feature bin: FFT bins, or mel band centres."""
        if self.kind == "logmel":
            fmax = self.f_max if self.f_max is not None else self.sample_rate / 2
            return librosa.mel_frequencies(self.n_mels + 2, fmin=self.f_min, fmax=fmax,
                                           htk=self.mel_scale == "htk")[1:-1]
        return np.fft.rfftfreq(self.n_fft, 1.0 / self.sample_rate)

    @staticmethod
    def timing_for_rate(sample_rate: int) -> dict[str, int]:
        """n_fft, win_length, hop_length keeping the defaults' times (32 ms FFT, 25 ms window,
        10 ms hop) at another rate: 8000 Hz -> 256/200/80, 16000 Hz -> 512/400/160.
        """
        n_fft = 1 << max(int(round(np.log2(0.032 * sample_rate))), 1)
        return {
            "n_fft": n_fft,
            "win_length": min(int(round(0.025 * sample_rate)), n_fft),
            "hop_length": max(int(round(0.010 * sample_rate)), 1),
        }

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "config") -> FeatureConfig:
        return from_dict(cls, data, source)

    @classmethod
    def from_settings(cls, data: dict[str, Any], source: str = "config") -> FeatureConfig:
        """Like :meth:`from_dict`, but a ``sample_rate`` without its own n_fft/win/hop gets
        the timings of :meth:`timing_for_rate`."""
        if "sample_rate" in data:
            data = {**cls.timing_for_rate(int(data["sample_rate"])), **data}
        return from_dict(cls, data, source)

    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> FeatureConfig:
        """Load from a YAML file: its ``features:`` section, or the whole file."""
        return section_from_yaml(cls, path, "features")


class Frontend(nn.Module):
    """Waveform ``[batch, samples]`` (or ``[samples]``) -> dB frames ``[batch, frames, bins]``."""

    #: On the CPU a batch is processed in pieces of about this many frames.
    chunk_frames = 600

    def __init__(self, config: FeatureConfig | None = None) -> None:
        super().__init__()
        self.config = config or FeatureConfig()
        self.register_buffer(
            "window", torch.hann_window(self.config.win_length, periodic=True), persistent=False
        )
        fb = self.config.mel_filterbank() if self.config.kind == "logmel" else np.zeros((0, 0))
        self.register_buffer("mel_fb", torch.from_numpy(fb.astype(np.float32)), persistent=False)

    def stft(self, wave: torch.Tensor) -> torch.Tensor:
        """Complex STFT ``[batch, frames, n_freqs]``."""
        c = self.config
        spec = torch.stft(
            wave,
            n_fft=c.n_fft,
            hop_length=c.hop_length,
            win_length=c.win_length,
            window=self.window,
            center=c.center,
            pad_mode=c.pad_mode,
            return_complex=True,
        )
        return spec.transpose(-1, -2)

    def power_spectrum(self, wave: torch.Tensor) -> torch.Tensor:
        """Linear (or mel) magnitude**power ``[batch, frames, bins]`` before the dB step."""
        spec = self.stft(wave)
        power = spec.real.square() + spec.imag.square()  # faster than |z|^2 on complex tensors
        spec = power if self.config.power == 2.0 else power.sqrt()
        if self.config.kind == "logmel":
            spec = spec @ self.mel_fb.T
        return spec

    def to_db(self, power: torch.Tensor) -> torch.Tensor:
        """``10*log10(max(power, amin))``."""
        return 10.0 * torch.log10(power.clamp_min(self.config.amin))

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        squeeze = wave.dim() == 1
        if squeeze:
            wave = wave.unsqueeze(0)
        if wave.shape[-1] < self.config.win_length:
            raise SpecaeError(
                f"{wave.shape[-1]} samples is shorter than one analysis frame "
                f"({self.config.win_length} samples)"
            )
        # a few clips at a time: the STFT of a whole batch overflows the CPU caches and runs
        # slower than clip by clip (benchmarks/bench_frontend.py)
        per_chunk = max(1, self.chunk_frames // self.config.num_frames(wave.shape[-1]))
        if wave.device.type == "cuda" or wave.shape[0] <= per_chunk:
            out = self.to_db(self.power_spectrum(wave))
        else:
            out = torch.cat([self.to_db(self.power_spectrum(w)) for w in wave.split(per_chunk)])
        return out.squeeze(0) if squeeze else out


class Normalizer(nn.Module):
    """Per-bin mean/std of dB frames, accumulated in one streaming pass (Chan et al.'s
    parallel update in float64, numerically stable), then ``apply``/``inverse``.
    """

    def __init__(self, n_bins: int, std_floor: float = 1e-3) -> None:
        super().__init__()
        self.std_floor = std_floor
        self.register_buffer("count", torch.zeros((), dtype=torch.float64))
        self.register_buffer("mean", torch.zeros(n_bins, dtype=torch.float64))
        self.register_buffer("m2", torch.zeros(n_bins, dtype=torch.float64))

    @property
    def n_bins(self) -> int:
        return self.mean.shape[0]

    @torch.no_grad()
    def update(self, frames: torch.Tensor) -> None:
        """Add frames ``[..., bins]`` to the running statistics."""
        x = frames.reshape(-1, frames.shape[-1]).to(self.mean.device, torch.float64)
        if x.shape[-1] != self.n_bins:
            raise ValueError(f"expected {self.n_bins} bins, got {x.shape[-1]}")
        n_b = x.shape[0]
        if n_b == 0:
            return
        mean_b = x.mean(0)
        m2_b = ((x - mean_b) ** 2).sum(0)
        n_a = self.count.clone()
        total = n_a + n_b
        delta = mean_b - self.mean
        self.mean += delta * (n_b / total)
        self.m2 += m2_b + delta.square() * (n_a * n_b / total)
        self.count.fill_(total)

    @property
    def std(self) -> torch.Tensor:
        if self.count <= 0:
            raise SpecaeError("normaliser has no statistics yet (no frames were added)")
        return (self.m2 / self.count).sqrt().clamp_min(self.std_floor)

    def apply(self, frames: torch.Tensor) -> torch.Tensor:
        """``(x - mean) / std`` in the input's dtype."""
        mean, std = self.mean.to(frames.dtype), self.std.to(frames.dtype)
        return (frames - mean) / std

    def inverse(self, frames: torch.Tensor) -> torch.Tensor:
        """``x * std + mean`` in the input's dtype."""
        mean, std = self.mean.to(frames.dtype), self.std.to(frames.dtype)
        return frames * std + mean

    def save(self, path: str | os.PathLike, force: bool = False) -> None:
        with atomic_path(path, force) as tmp:
            torch.save({"n_bins": self.n_bins, "std_floor": self.std_floor, **self.state_dict()}, tmp)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Normalizer:
        path = Path(path)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            norm = cls(int(state.pop("n_bins")), float(state.pop("std_floor")))
            norm.load_state_dict(state)
        except FileNotFoundError:
            raise SpecaeError(f"{path}: no such file") from None
        except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad file
            raise SpecaeError(f"{path}: not a specae normaliser file ({type(exc).__name__})") from None
        return norm
