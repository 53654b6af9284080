"""Reference speech codecs run through their Debian command-line tools, as :mod:`specae.systems`.

* Codec2 (``c2enc`` / ``c2dec``, package ``codec2``): modes 3200 ... 700C, 8 kHz narrowband.
* Opus (``opusenc --speech --bitrate K`` / ``opusdec``, package ``opus-tools``): run at 8 kHz
  input here too, so its row compares with the narrowband rows; its Ogg pages are counted in
  the actual bitrate.

Each system takes a mono waveform at its rate, writes it as 16-bit PCM, runs the encoder and
the decoder in a temporary directory, and returns the decoded audio aligned to the input
(codec delay removed by cross-correlation, then trimmed or zero-padded to the input length),
with the encoded stream as what it stores. Names: ``codec2-3200``, ``codec2-700C``,
``opus-6`` ... ``opus-12`` (kbit/s).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import torch

from specae.errors import SpecaeError
from specae.systems import SystemOutput

CODEC2_MODES = ("3200", "2400", "1600", "1400", "1300", "1200", "700C")
NARROWBAND_RATE = 8000
#: the largest codec delay searched for when aligning (seconds)
MAX_DELAY_S = 0.05
#: samples around the envelope's delay searched on the waveform, and the normalised
#: correlation above which the waveform's delay wins
REFINE, WAVE_MATCH = 16, 0.5


class CodecUnavailable(SpecaeError):
    """The codec's command-line tools are not installed."""


def _pcm16(wave: torch.Tensor) -> bytes:
    x = wave.detach().cpu().numpy().astype(np.float64).reshape(-1)
    return (np.clip(x, -1.0, 1.0 - 1.0 / 32768) * 32768).round().astype("<i2").tobytes()


def _from_pcm16(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def _log_envelope(x: np.ndarray, width: int = 65) -> np.ndarray:
    """Log short-time energy at every sample (Hann window of ``width``), mean removed."""
    env = np.convolve(x.astype(np.float64) ** 2, np.hanning(width), mode="same")
    log_env = np.log(env + 1e-10 * (env.max() + 1e-30))
    return log_env - log_env.mean()


def align_to(ref: np.ndarray, out: np.ndarray, max_delay: int) -> np.ndarray:
    """``out`` shifted by the delay (0 ... ``max_delay`` samples) that best matches ``ref``,
    then trimmed or zero-padded to ``len(ref)``.

    The delay maximises the cross-correlation of the log energy envelopes, not of the
    waveforms: parametric coders (Codec2, Opus at low rates) do not keep the waveform's phase.
    Where the waveform does correlate near that delay, its peak refines it to the sample.
    """
    n = len(ref)
    best = 0
    if max_delay > 0 and len(out) > max_delay and np.any(ref):
        span = min(n, len(out) - max_delay)
        r, o = _log_envelope(ref[:span]), _log_envelope(out[:span + max_delay])
        size = 1 << int(np.ceil(np.log2(span + max_delay + 1)))
        xc = np.fft.irfft(np.fft.rfft(o, size) * np.conj(np.fft.rfft(r, size)), size)
        best = int(np.argmax(xc[:max_delay + 1]))
        # refine on the waveform near there when it correlates (a waveform-matching coder)
        r = ref[:span].astype(np.float64)
        lags = range(max(best - REFINE, 0), min(best + REFINE, max_delay) + 1)
        corr = [float(np.dot(r, out[k:k + span])) for k in lags]
        k = int(np.argmax(corr))
        energy = np.sqrt(np.dot(r, r) * np.dot(out[:span + max_delay], out[:span + max_delay]))
        if corr[k] > WAVE_MATCH * energy:
            best = lags[k]
    shifted = out[best:best + n]
    if len(shifted) < n:
        shifted = np.concatenate([shifted, np.zeros(n - len(shifted), dtype=out.dtype)])
    return shifted


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()
        raise SpecaeError(f"{what}: {' '.join(cmd[:2])} failed: {tail[-1] if tail else proc.returncode}")


def _need(tools: tuple[str, ...], package: str, name: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        raise CodecUnavailable(f"{name}: {', '.join(missing)} not found (apt-get install {package})")


class ExternalCodecSystem:
    """Base: PCM in, bitstream, PCM out, aligned; subclasses give the two commands."""

    name: str
    sample_rate = NARROWBAND_RATE
    tools: tuple[str, ...] = ()
    package = ""

    def check(self) -> None:
        """Raise :class:`CodecUnavailable` when the tools are missing."""
        _need(self.tools, self.package, self.name)

    def _commands(self, raw_in: Path, stream: Path, raw_out: Path) -> tuple[list[str], list[str]]:
        raise NotImplementedError

    def run(self, wave: torch.Tensor) -> SystemOutput:
        self.check()
        with tempfile.TemporaryDirectory(prefix="specae-codec-") as tmp:
            raw_in, stream, raw_out = Path(tmp) / "in.raw", Path(tmp) / "stream", Path(tmp) / "out.raw"
            raw_in.write_bytes(_pcm16(wave))
            enc, dec = self._commands(raw_in, stream, raw_out)
            _run(enc, self.name)
            _run(dec, self.name)
            stored, decoded = stream.read_bytes(), _from_pcm16(raw_out.read_bytes())
        ref = wave.detach().cpu().numpy().reshape(-1)
        out = align_to(ref, decoded, int(MAX_DELAY_S * self.sample_rate))
        return SystemOutput(torch.from_numpy(out.copy()), self.sample_rate, stored=stored)


class Codec2System(ExternalCodecSystem):
    """Codec2 at one of its modes (8 kHz)."""

    tools = ("c2enc", "c2dec")
    package = "codec2"

    def __init__(self, mode: str) -> None:
        mode = mode.upper() if mode.lower().endswith("c") else mode
        if mode not in CODEC2_MODES:
            raise SpecaeError(f"codec2 mode {mode!r}: expected one of {', '.join(CODEC2_MODES)}")
        self.mode, self.name = mode, f"codec2-{mode}"

    @property
    def nominal_kbps(self) -> float:
        return int(self.mode.rstrip("C")) / 1000.0

    def _commands(self, raw_in: Path, stream: Path, raw_out: Path) -> tuple[list[str], list[str]]:
        # headerless .bit streams: the mode is given to both tools
        return (["c2enc", self.mode, str(raw_in), str(stream)],
                ["c2dec", self.mode, str(stream), str(raw_out)])


class OpusSystem(ExternalCodecSystem):
    """Opus in speech mode at a target bitrate (VBR), 8 kHz input and output."""

    tools = ("opusenc", "opusdec")
    package = "opus-tools"

    def __init__(self, kbps: float) -> None:
        if not 6 <= kbps <= 256:
            raise SpecaeError(f"opus bitrate {kbps} kbit/s: opusenc takes 6 ... 256")
        self.kbps, self.name = float(kbps), f"opus-{kbps:g}"

    @property
    def nominal_kbps(self) -> float:
        return self.kbps

    def _commands(self, raw_in: Path, stream: Path, raw_out: Path) -> tuple[list[str], list[str]]:
        enc = ["opusenc", "--quiet", "--raw", "--raw-bits", "16", "--raw-rate", str(self.sample_rate),
               "--raw-chan", "1", "--raw-endianness", "0", "--speech", "--bitrate", f"{self.kbps:g}",
               str(raw_in), str(stream)]
        dec = ["opusdec", "--quiet", "--rate", str(self.sample_rate), str(stream), str(raw_out)]
        return enc, dec


def external_system(name: str) -> ExternalCodecSystem:
    """``codec2-<mode>`` or ``opus-<kbps>`` as a system."""
    kind, _, arg = name.strip().partition("-")
    if kind == "codec2" and arg:
        return Codec2System(arg)
    if kind == "opus" and arg:
        try:
            return OpusSystem(float(arg))
        except ValueError:
            pass
    raise SpecaeError(f"external codec {name!r}: expected codec2-<mode> ({', '.join(CODEC2_MODES)}) "
                      f"or opus-<kbit/s> (6 ... 256)")


def available_systems(names: list[str]) -> tuple[list[ExternalCodecSystem], list[str]]:
    """The named systems whose tools are installed, and one skip line for each that is not."""
    systems, skipped = [], []
    for name in names:
        system = external_system(name)
        try:
            system.check()
        except CodecUnavailable as exc:
            skipped.append(f"skipping {exc}")
            continue
        systems.append(system)
    return systems, skipped
