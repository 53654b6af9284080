"""A trained coder: feature config, normaliser, patch geometry and autoencoder in ONE file.

The file is a ``torch.save`` dict of plain types and tensors, loaded with
``weights_only=True`` (no arbitrary pickles), and carries a fingerprint: the sha256 of its
configs and every tensor. :func:`load_model` recomputes it and refuses a file that does not
match (tampered or corrupt) with a clear message.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch

from specae import audio
from specae.codec import Codes, check_model
from specae.errors import SpecaeError
from specae.features import FeatureConfig, Frontend, Normalizer
from specae.fileio import atomic_path
from specae.inversion import Inverter
from specae.models.autoencoder import StackedAutoencoder
from specae.models.config import ModelConfig
from specae.patches import overlap_add, to_patches

FORMAT = "specae-model"
FORMAT_VERSION = 1


def fingerprint(meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> str:
    """sha256 over the canonical JSON of ``meta`` and the bytes of every tensor, by name."""
    h = hashlib.sha256(json.dumps(meta, sort_keys=True).encode())
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)}\n".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


class SpeechCoder:
    """Everything needed to turn dB frames into codes and back."""

    def __init__(self, features: FeatureConfig, model: ModelConfig, normalizer: Normalizer,
                 autoencoder: StackedAutoencoder | None = None, info: dict[str, Any] | None = None):
        self.features = features
        self.model_config = model
        self.normalizer = normalizer
        self.autoencoder = autoencoder or StackedAutoencoder(model, features.n_bins)
        self.info = info or {}
        self._frontend: Frontend | None = None
        self._fingerprint: str | None = None
        self.path: Path | None = None  # the model file it was loaded from

    # -- geometry and bitrate -------------------------------------------------------------
    @property
    def bits_per_patch(self) -> int:
        return self.model_config.code_bits

    @property
    def patch_seconds(self) -> float:
        """Seconds between patches: ``H * hop / sample_rate``."""
        return self.model_config.patch_hop * self.features.hop_length / self.features.sample_rate

    @property
    def nominal_kbps(self) -> float:
        """Bits per second before entropy coding, in kbit/s."""
        return self.bits_per_patch / self.patch_seconds / 1000.0

    def to(self, device: torch.device | str) -> SpeechCoder:
        self.autoencoder.to(device)
        self.normalizer.to(device)
        return self

    @property
    def device(self) -> torch.device:
        return next(self.autoencoder.parameters()).device

    # -- frames <-> codes -----------------------------------------------------------------
    @torch.no_grad()
    def encode_frames(self, frames_db: torch.Tensor) -> torch.Tensor:
        """dB frames ``[T, bins]`` -> codes ``[N, C]``."""
        m = self.model_config
        x = self.normalizer.apply(frames_db.to(self.device).float())
        return self.autoencoder.encode(to_patches(x, m.patch_frames, m.patch_hop))

    @torch.no_grad()
    def decode_frames(self, codes: torch.Tensor, n_frames: int) -> torch.Tensor:
        """Codes ``[N, C]`` -> dB frames ``[n_frames, bins]`` (overlap-added, de-normalised)."""
        m = self.model_config
        patches = self.autoencoder.decode(codes.to(self.device))
        return self.normalizer.inverse(overlap_add(patches, m.patch_frames, m.patch_hop, n_frames))

    # -- waveforms <-> codes --------------------------------------------------------------
    def load_audio(self, path: str | os.PathLike) -> torch.Tensor:
        """Read a file as mono float32 at the model's rate (resampled/mixed down with a note)."""
        return audio.load(path, self.features.sample_rate, min_samples=self.features.win_length)[0]

    def frames(self, wave: torch.Tensor) -> torch.Tensor:
        """dB frames ``[T, bins]`` of a waveform ``[samples]`` at the model's rate."""
        if self._frontend is None:
            self._frontend = Frontend(self.features)
        self._frontend.to(self.device)
        with torch.no_grad():
            return self._frontend(wave.to(self.device))

    def encode(self, wave: torch.Tensor | str | os.PathLike) -> Codes:
        """A waveform at the model's rate (or an audio file) -> :class:`~specae.codec.Codes`."""
        if not isinstance(wave, torch.Tensor):
            wave = self.load_audio(wave)
        return self.codes_from_frames(self.frames(wave), int(wave.shape[-1]))

    def codes_from_frames(self, frames: torch.Tensor, n_samples: int) -> Codes:
        """dB frames ``[T, bins]`` of a waveform of ``n_samples`` -> :class:`~specae.codec.Codes`."""
        m, f = self.model_config, self.features
        return Codes(self.encode_frames(frames).cpu(), self.fingerprint, f.sample_rate, n_samples,
                     frames.shape[0], m.code, m.bits_per_unit, m.patch_frames, m.patch_hop, f.hop_length)

    def inverter(self, n_iter: int = 32, seed: int = 0, upsample: int = 2) -> Inverter:
        return Inverter(self.features, n_iter=n_iter, seed=seed, upsample=upsample).to(self.device)

    def decode_codes_to_frames(self, codes: Codes, path: str | os.PathLike = "<codes>") -> torch.Tensor:
        """Check the codes belong to this model and rebuild their dB frames ``[T, bins]``."""
        check_model(codes, self.fingerprint, path)
        return self.decode_frames(codes.codes, codes.n_frames)

    def decode(self, codes: Codes, *, n_iter: int = 32, seed: int = 0, upsample: int = 2,
               reference: torch.Tensor | None = None) -> torch.Tensor:
        """Codes -> waveform ``[n_samples]`` (Fast Griffin-Lim, or the phase of ``reference``)."""
        frames = self.decode_codes_to_frames(codes)
        ref = reference.to(self.device) if reference is not None else None
        with torch.no_grad():
            return self.inverter(n_iter, seed, upsample)(frames, codes.n_samples, reference=ref).cpu()

    # -- the model file -------------------------------------------------------------------
    def _meta(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": FORMAT_VERSION, "features": self.features.to_dict(),
                "model": self.model_config.to_dict(), "std_floor": self.normalizer.std_floor,
                "info": self.info}

    def _tensors(self) -> dict[str, torch.Tensor]:
        tensors = {f"ae.{k}": v for k, v in self.autoencoder.state_dict().items()}
        tensors.update({f"norm.{k}": v for k, v in self.normalizer.state_dict().items()})
        return {k: v.detach().cpu() for k, v in tensors.items()}

    @property
    def fingerprint(self) -> str:
        """sha256 of configs and weights (computed once; a trained coder is not changed after)."""
        if self._fingerprint is None:
            self._fingerprint = fingerprint(self._meta(), self._tensors())
        return self._fingerprint

    def save(self, path: str | os.PathLike, force: bool = False) -> str:
        """Write the model file atomically; returns its fingerprint."""
        meta, tensors = self._meta(), self._tensors()
        fp = self._fingerprint = fingerprint(meta, tensors)
        with atomic_path(path, force) as tmp:
            torch.save({**meta, "tensors": tensors, "fingerprint": fp}, tmp)
        return fp


def load_model(path: str | os.PathLike, device: torch.device | str = "cpu") -> SpeechCoder:
    """Load a model file written by :meth:`SpeechCoder.save`, checking its fingerprint."""
    path = Path(path)
    if not path.is_file():
        raise SpecaeError(f"{path}: no such model file")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means "not a model file"
        raise SpecaeError(f"{path}: not a specae model file ({type(exc).__name__})") from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise SpecaeError(f"{path}: not a specae model file")
    if blob.get("version") != FORMAT_VERSION:
        raise SpecaeError(f"{path}: model format version {blob.get('version')} is not supported "
                          f"(this specae reads version {FORMAT_VERSION})")
    try:
        meta = {k: blob[k] for k in ("format", "version", "features", "model", "std_floor", "info")}
        tensors = blob["tensors"]
        stored = blob["fingerprint"]
    except KeyError as exc:
        raise SpecaeError(f"{path}: model file lacks '{exc.args[0]}'") from None
    if fingerprint(meta, tensors) != stored:
        raise SpecaeError(f"{path}: fingerprint mismatch: the model file was altered or is corrupt")
    features = FeatureConfig.from_dict(meta["features"], str(path))
    model_cfg = ModelConfig.from_dict(meta["model"], str(path))
    normalizer = Normalizer(features.n_bins, float(meta["std_floor"]))
    normalizer.load_state_dict({k[5:]: v for k, v in tensors.items() if k.startswith("norm.")})
    ae = StackedAutoencoder(model_cfg, features.n_bins)
    ae.load_state_dict({k[3:]: v for k, v in tensors.items() if k.startswith("ae.")})
    ae.eval()
    coder = SpeechCoder(features, model_cfg, normalizer, ae, meta["info"]).to(device)
    coder._fingerprint = stored
    coder.path = path
    return coder
