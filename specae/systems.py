"""Every coder seen through one small interface, so evaluation never special-cases one.

A :class:`System` has a ``name``, a nominal bitrate, and ``run(wave) -> SystemOutput``:
audio in (mono, at the system's rate), audio out, plus the spectrogram-domain frames where
the system has them (reference and decoded dB frames, before inversion) and the real size of
what it would store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch

from specae import codec
from specae.coder import SpeechCoder
from specae.patches import overlap_add, to_patches


@dataclass
class SystemOutput:
    wave: torch.Tensor  # [samples] at ``sample_rate``
    sample_rate: int
    ref_frames: torch.Tensor | None = None  # dB [T, bins], the original's
    est_frames: torch.Tensor | None = None  # dB [T, bins], decoded, before inversion
    stored: bytes | None = None  # the code file (or stream) it writes, where it has one
    size: int | None = None  # else the size of what it would store, in bytes

    @property
    def stored_bytes(self) -> int | None:
        return len(self.stored) if self.stored is not None else self.size


class System(Protocol):
    name: str
    sample_rate: int

    @property
    def nominal_kbps(self) -> float: ...

    def run(self, wave: torch.Tensor) -> SystemOutput: ...


class AutoencoderSystem:
    """The trained autoencoder: frames -> hard codes -> code file bytes -> frames -> audio."""

    def __init__(self, coder: SpeechCoder, n_iter: int = 32, upsample: int = 2, name: str = "ae",
                 entropy: str = "auto") -> None:
        self.coder, self.name, self.entropy = coder, name, entropy
        self.sample_rate = coder.features.sample_rate
        self.inverter = coder.inverter(n_iter=n_iter, upsample=upsample)

    @property
    def nominal_kbps(self) -> float:
        return self.coder.nominal_kbps

    @property
    def bits_per_patch(self) -> int:
        return self.coder.bits_per_patch

    def run(self, wave: torch.Tensor) -> SystemOutput:
        ref = self.coder.frames(wave)
        data = codec.encode_bytes(self.coder.codes_from_frames(ref, wave.shape[-1]), self.entropy)
        codes = codec.decode_bytes(data)  # decode what was stored, exactly
        est = self.coder.decode_codes_to_frames(codes)
        with torch.no_grad():
            out = self.inverter(est, codes.n_samples).cpu()
        return SystemOutput(out, self.sample_rate, ref.cpu(), est.cpu(), data)


class BaselineSystem:
    """A baseline on the model's own path: frames -> normalised patches -> baseline codes ->
    patches -> overlap-add -> de-normalise -> the same inversion. Same bits per patch."""

    def __init__(self, coder: SpeechCoder, baseline, name: str, n_iter: int = 32, upsample: int = 2) -> None:
        self.coder, self.baseline, self.name = coder, baseline, name
        self.sample_rate = coder.features.sample_rate
        self.inverter = coder.inverter(n_iter=n_iter, upsample=upsample)

    @property
    def nominal_kbps(self) -> float:
        return self.baseline.bits_per_patch / self.coder.patch_seconds / 1000.0

    @property
    def bits_per_patch(self) -> int:
        return self.baseline.bits_per_patch

    def run(self, wave: torch.Tensor) -> SystemOutput:
        m, norm = self.coder.model_config, self.coder.normalizer
        ref = self.coder.frames(wave)
        with torch.no_grad():
            patches = to_patches(norm.apply(ref), m.patch_frames, m.patch_hop)
            decoded = self.baseline.decode(self.baseline.encode(patches))
            est = norm.inverse(overlap_add(decoded, m.patch_frames, m.patch_hop, ref.shape[0]))
            out = self.inverter(est, wave.shape[-1]).cpu()
        n_bytes = -(-patches.shape[0] * self.baseline.bits_per_patch // 8)  # packed, no entropy stage
        return SystemOutput(out, self.sample_rate, ref.cpu(), est.cpu(), size=n_bytes)


def systems_for(coder: SpeechCoder, n_iter: int = 32, upsample: int = 2, ceiling: bool = False,
                baselines: dict | None = None) -> list:
    """The model, then the no-coding ceiling (optional), then the given baselines."""
    systems: list = [AutoencoderSystem(coder, n_iter, upsample)]
    if ceiling:
        systems.append(ResynthesisSystem(coder, n_iter, upsample))
    for name, base in (baselines or {}).items():
        systems.append(BaselineSystem(coder, base, name, n_iter, upsample))
    return systems


class ResynthesisSystem:
    """No coding: analysis -> inversion, the ceiling any coder of these features can reach."""

    def __init__(self, coder: SpeechCoder, n_iter: int = 32, upsample: int = 2,
                 name: str = "resynth") -> None:
        self.coder, self.name = coder, name
        self.sample_rate = coder.features.sample_rate
        self.inverter = coder.inverter(n_iter=n_iter, upsample=upsample)

    @property
    def nominal_kbps(self) -> float:
        return float("nan")

    def run(self, wave: torch.Tensor) -> SystemOutput:
        frames = self.coder.frames(wave)
        with torch.no_grad():
            out = self.inverter(frames, wave.shape[-1]).cpu()
        return SystemOutput(out, self.sample_rate, frames.cpu(), frames.cpu(), None)
