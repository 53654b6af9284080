"""Distortion metrics on one fixed analysis, independent of any model's features.

Every waveform metric resamples both signals to the analysis rate and trims them to the
shorter, then uses one STFT (Hann, centred with reflect padding):

* wideband: 16 kHz, n_fft 512, window 512, hop 128 (the default);
* narrowband: 8 kHz, n_fft 256, window 256, hop 64 (stated as such wherever reported).

Log-spectral distortion (LSD), the definition specae keeps fixed across versions:

* both power spectra are floored at ``FLOOR_DB`` = 80 dB below the reference's loudest bin
  (``max(P) * 1e-8``);
* frames whose reference energy (sum over bins) is more than ``SILENCE_DB`` = 50 dB below
  the loudest reference frame are silence and left out;
* LSD = mean over the remaining frames of ``sqrt(mean over bins of (10 log10 P - 10 log10 P^)^2)``;
  the per-band version is the RMS over the remaining frames, per bin.

The ``spec_*`` functions apply the same floor and silence rule to two dB spectrograms
``[frames, bins]`` directly (the spectrogram domain, before any inversion).

MCD (mel-cepstral distortion, dB): 40 Slaney mel bands over 0..Nyquist of the same STFT, the
same floor, real cepstrum ``c_n = (1/N) sum_k ln|X_k| cos(pi n (k + 1/2) / N)`` of the mel
amplitude, coefficients c1..c24 (c0, the level, excluded), averaged over active frames of
``(10 * sqrt(2) / ln 10) * sqrt(sum_n (c_n - c^_n)^2)``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import librosa
import numpy as np
import torch

from specae.audio import resample

FLOOR_DB = 80.0
SILENCE_DB = 50.0
MCD_MELS = 40
MCD_ORDER = 24
MCD_CONST = 10.0 * math.sqrt(2.0) / math.log(10.0)


@dataclass(frozen=True)
class Analysis:
    """The fixed STFT every waveform metric uses."""

    sample_rate: int
    n_fft: int
    win_length: int
    hop_length: int

    @property
    def name(self) -> str:
        return "narrowband" if self.sample_rate == 8000 else "wideband"


WIDEBAND = Analysis(16000, 512, 512, 128)
NARROWBAND = Analysis(8000, 256, 256, 64)


def _as_numpy(wave: torch.Tensor | np.ndarray) -> np.ndarray:
    if isinstance(wave, torch.Tensor):
        wave = wave.detach().cpu().numpy()
    return np.asarray(wave, dtype=np.float32).reshape(-1)


def align(
    ref: torch.Tensor | np.ndarray,
    est: torch.Tensor | np.ndarray,
    ref_rate: int,
    est_rate: int | None = None,
    narrowband: bool = False,
) -> tuple[np.ndarray, np.ndarray, Analysis]:
    """Resample both waveforms to the analysis rate and trim them to the shorter."""
    analysis = NARROWBAND if narrowband else WIDEBAND
    ref_np = resample(_as_numpy(ref), ref_rate, analysis.sample_rate)
    est_np = resample(_as_numpy(est), est_rate or ref_rate, analysis.sample_rate)
    n = min(len(ref_np), len(est_np))
    if n < analysis.win_length:
        raise ValueError(f"signals of {n} samples are shorter than one analysis window")
    return ref_np[:n], est_np[:n], analysis


def power_spectrogram(wave: np.ndarray, analysis: Analysis) -> torch.Tensor:
    """Power spectrogram ``[frames, bins]`` (float64) on the fixed analysis."""
    spec = torch.stft(
        torch.from_numpy(wave).double(),
        analysis.n_fft,
        analysis.hop_length,
        analysis.win_length,
        torch.hann_window(analysis.win_length, dtype=torch.float64),
        center=True,
        pad_mode="reflect",
        return_complex=True,
    )
    return spec.abs().square().T


def _floored_db(ref_db: torch.Tensor, est_db: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if ref_db.shape != est_db.shape:
        raise ValueError(f"shapes differ: {tuple(ref_db.shape)} vs {tuple(est_db.shape)}")
    floor = ref_db.max() - FLOOR_DB
    return ref_db.clamp_min(floor), est_db.clamp_min(floor)


def active_frames(ref_db: torch.Tensor) -> torch.Tensor:
    """Boolean mask of frames within ``SILENCE_DB`` of the loudest reference frame."""
    energy = 10.0 * torch.log10(torch.pow(10.0, ref_db.double() / 10.0).sum(-1).clamp_min(1e-30))
    return energy >= energy.max() - SILENCE_DB


def lsd_every_frame(ref_db: torch.Tensor, est_db: torch.Tensor) -> torch.Tensor:
    """LSD (dB) of every frame, silent ones included, from dB spectrograms ``[frames, bins]``."""
    ref_f, est_f = _floored_db(ref_db.double(), est_db.double())
    return (ref_f - est_f).square().mean(-1).sqrt()


def spec_lsd_per_frame(ref_db: torch.Tensor, est_db: torch.Tensor) -> torch.Tensor:
    """LSD of each active frame (dB), from dB spectrograms ``[frames, bins]``."""
    return lsd_every_frame(ref_db, est_db)[active_frames(ref_db.double())]


def spec_lsd_db(ref_db: torch.Tensor, est_db: torch.Tensor) -> float:
    """Log-spectral distortion (dB) between two dB spectrograms ``[frames, bins]``."""
    return float(spec_lsd_per_frame(ref_db, est_db).mean())


def spec_lsd_per_band(ref_db: torch.Tensor, est_db: torch.Tensor) -> np.ndarray:
    """Per-bin LSD (dB): RMS over active frames of the floored dB error, ``[bins]``."""
    ref_db, est_db = ref_db.double(), est_db.double()
    mask = active_frames(ref_db)
    ref_f, est_f = _floored_db(ref_db, est_db)
    return (ref_f - est_f)[mask].square().mean(0).sqrt().numpy()


def _db(power: torch.Tensor) -> torch.Tensor:
    return 10.0 * torch.log10(power.clamp_min(1e-30))


class Comparison:
    """A reference and an estimate aligned on the fixed analysis, spectra computed once."""

    def __init__(
        self, ref, est, ref_rate: int, est_rate: int | None = None, narrowband: bool = False
    ) -> None:
        self.ref, self.est, self.analysis = align(ref, est, ref_rate, est_rate, narrowband)
        self.p_ref = power_spectrogram(self.ref, self.analysis)
        self.p_est = power_spectrogram(self.est, self.analysis)

    def lsd_db(self) -> float:
        return spec_lsd_db(_db(self.p_ref), _db(self.p_est))

    def lsd_per_band(self) -> tuple[np.ndarray, np.ndarray]:
        freqs = np.fft.rfftfreq(self.analysis.n_fft, 1.0 / self.analysis.sample_rate)
        return spec_lsd_per_band(_db(self.p_ref), _db(self.p_est)), freqs

    def mcd_db(self) -> float:
        fb = torch.from_numpy(
            librosa.filters.mel(
                sr=self.analysis.sample_rate, n_fft=self.analysis.n_fft, n_mels=MCD_MELS
            )
        ).double()
        floor = float((self.p_ref @ fb.T).max()) * 10 ** (-FLOOR_DB / 10)
        mask = active_frames(_db(self.p_ref))
        c_ref = _mel_cepstrum(self.p_ref, fb, floor)[mask]
        c_est = _mel_cepstrum(self.p_est, fb, floor)[mask]
        return float(MCD_CONST * (c_ref - c_est).square().sum(-1).sqrt().mean())

    def spectral_convergence(self) -> float:
        m_ref, m_est = self.p_ref.sqrt(), self.p_est.sqrt()
        return float(torch.linalg.norm(m_ref - m_est) / torch.linalg.norm(m_ref).clamp_min(1e-30))

    def snr_db(self) -> float:
        noise = float(np.sum((self.ref.astype(np.float64) - self.est) ** 2))
        signal = float(np.sum(self.ref.astype(np.float64) ** 2))
        if noise == 0.0:
            return math.inf
        return 10.0 * math.log10(max(signal, 1e-30) / noise)

    def pesq(self) -> float | None:
        """PESQ (MOS-LQO): wide-band at 16 kHz, narrow-band at 8 kHz; ``None`` (with a
        warning) when PESQ finds no utterance. Needs the ``metrics`` extra.
        """
        try:
            from pesq import pesq
        except ImportError as exc:
            raise ImportError("PESQ needs the 'pesq' package: pip install 'specae[metrics]'") from exc
        mode = "nb" if self.analysis.sample_rate == 8000 else "wb"
        try:
            return float(pesq(self.analysis.sample_rate, self.ref, self.est, mode))
        except Exception as exc:  # noqa: BLE001 - the C library raises its own error types
            warnings.warn(f"PESQ failed: {exc}", stacklevel=2)
            return None

    def stoi(self) -> float:
        """STOI (0..1). Needs the ``metrics`` extra."""
        try:
            from pystoi import stoi
        except ImportError as exc:
            raise ImportError("STOI needs the 'pystoi' package: pip install 'specae[metrics]'") from exc
        return float(stoi(self.ref, self.est, self.analysis.sample_rate, extended=False))


def _mel_cepstrum(power: torch.Tensor, fb: torch.Tensor, floor: float) -> torch.Tensor:
    mel = (power @ fb.T).clamp_min(floor)
    log_amp = 0.5 * torch.log(mel)  # ln |X_k| per mel band
    n = fb.shape[0]
    k = torch.arange(n, dtype=torch.float64)
    orders = torch.arange(1, MCD_ORDER + 1, dtype=torch.float64)
    basis = torch.cos(math.pi * orders[:, None] * (k[None, :] + 0.5) / n) / n
    return log_amp @ basis.T


def lsd_db(ref, est, ref_rate: int, est_rate: int | None = None, narrowband: bool = False) -> float:
    """Log-spectral distortion (dB) between two waveforms on the fixed analysis."""
    return Comparison(ref, est, ref_rate, est_rate, narrowband).lsd_db()


def lsd_per_band(
    ref, est, ref_rate: int, est_rate: int | None = None, narrowband: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin LSD (dB) and the bin centre frequencies (Hz) on the fixed analysis."""
    return Comparison(ref, est, ref_rate, est_rate, narrowband).lsd_per_band()


def mcd_db(ref, est, ref_rate: int, est_rate: int | None = None, narrowband: bool = False) -> float:
    """Mel-cepstral distortion (dB), c0 excluded, on the fixed analysis (module docstring)."""
    return Comparison(ref, est, ref_rate, est_rate, narrowband).mcd_db()


def spectral_convergence(
    ref, est, ref_rate: int, est_rate: int | None = None, narrowband: bool = False
) -> float:
    """``|| |S| - |S^| ||_F / || |S| ||_F`` of STFT magnitudes (unitless, 0 is perfect)."""
    return Comparison(ref, est, ref_rate, est_rate, narrowband).spectral_convergence()


def snr_db(ref, est, ref_rate: int, est_rate: int | None = None, narrowband: bool = False) -> float:
    """Waveform signal-to-noise ratio (dB) after resampling and trimming; inf if identical."""
    return Comparison(ref, est, ref_rate, est_rate, narrowband).snr_db()


def pesq_score(ref, est, ref_rate: int, est_rate: int | None = None, narrowband: bool = False):
    """PESQ (wide-band at 16 kHz, narrow-band at 8 kHz); needs the ``metrics`` extra."""
    return Comparison(ref, est, ref_rate, est_rate, narrowband).pesq()


def stoi_score(ref, est, ref_rate: int, est_rate: int | None = None, narrowband: bool = False):
    """STOI (0..1); needs the ``metrics`` extra."""
    return Comparison(ref, est, ref_rate, est_rate, narrowband).stoi()


def optional_metrics_available() -> dict[str, bool]:
    """Which optional metrics (``pip install 'specae[metrics]'``) are importable."""
    out = {}
    for name, module in (("pesq", "pesq"), ("stoi", "pystoi")):
        try:
            __import__(module)
            out[name] = True
        except ImportError:
            out[name] = False
    return out


def distortion(
    ref, est, ref_rate: int, est_rate: int | None = None, narrowband: bool = False,
    optional: bool = True,
) -> dict[str, float | None]:
    """All waveform metrics as a dict: lsd_db, mcd_db, spectral_convergence, snr_db, and
    pesq/stoi when ``optional`` and installed.
    """
    cmp = Comparison(ref, est, ref_rate, est_rate, narrowband)
    out: dict[str, float | None] = {
        "lsd_db": cmp.lsd_db(),
        "mcd_db": cmp.mcd_db(),
        "spectral_convergence": cmp.spectral_convergence(),
        "snr_db": cmp.snr_db(),
    }
    if optional:
        have = optional_metrics_available()
        if have["pesq"]:
            out["pesq"] = cmp.pesq()
        if have["stoi"]:
            out["stoi"] = cmp.stoi()
    return out
