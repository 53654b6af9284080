"""The ``.sae`` code file: a small versioned header, a packed code stream, a checksum.

Layout (after EnCodec's compressed-file idea, with everything the reader needs in the header)::

    magic   4 bytes  b"SPAE"
    version 1 byte   FORMAT_VERSION
    hlen    4 bytes  little-endian length of the header
    header  hlen     UTF-8 JSON (keys below)
    payload ...      header["payload_bytes"] bytes
    crc32   4 bytes  little-endian CRC32 of header + payload

Header keys: ``model`` (fingerprint of the model that made the codes), ``sample_rate``,
``n_samples`` (original length), ``n_frames``, ``n_patches``, ``code`` (binary | quantized |
real), ``units`` (code units per patch), ``unit_bits`` (bits per unit), ``bits_per_patch``,
``patch_frames``, ``patch_hop``, ``hop_length``, ``entropy`` (the lossless stage used) and
``payload_bytes``.

Payload: binary and quantised codes are packed at their exact bit width (8 binary code bits a
byte, no waste); real codes are float16. The lossless stage ``xor-lzma`` XORs each patch's
packed code with the previous patch's (consecutive codes of overlapping patches share most
bits) and compresses with LZMA; :func:`write` keeps it only when it makes the file smaller.

:func:`read` validates everything and raises :class:`CodeFileError` (a ``SpecaeError``) with
one line for any problem: wrong magic, unsupported version, truncation, checksum mismatch,
header/payload disagreement, and (via :func:`check_model`) a file made by another model.
"""

from __future__ import annotations

import json
import lzma
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from specae.errors import SpecaeError
from specae.fileio import atomic_path

MAGIC = b"SPAE"
FORMAT_VERSION = 1
ENTROPY_CODERS = ("none", "xor-lzma")
MAX_HEADER = 1 << 16


class CodeFileError(SpecaeError):
    """A code file that cannot be read: the message names the file and the problem."""


@dataclass
class Codes:
    """Codes of one utterance and what is needed to decode them."""

    codes: torch.Tensor  # [n_patches, units]: uint8/int levels or float16 (real)
    model: str
    sample_rate: int
    n_samples: int
    n_frames: int
    code: str
    unit_bits: int
    patch_frames: int
    patch_hop: int
    hop_length: int

    @property
    def n_patches(self) -> int:
        return int(self.codes.shape[0])

    @property
    def units(self) -> int:
        return int(self.codes.shape[1])

    @property
    def bits_per_patch(self) -> int:
        return self.units * self.unit_bits

    @property
    def duration(self) -> float:
        return self.n_samples / self.sample_rate

    @property
    def nominal_kbps(self) -> float:
        """Bits per patch over the patch hop in seconds, before any entropy coding."""
        return self.bits_per_patch * self.sample_rate / (self.patch_hop * self.hop_length) / 1000.0


def _pack(codes: torch.Tensor, code: str, unit_bits: int) -> bytes:
    arr = codes.detach().cpu().numpy()
    if code == "real":
        return arr.astype("<f2").tobytes()
    values = arr.astype(np.uint32)
    if unit_bits == 1:
        bits = values.astype(np.uint8)
    else:  # most significant bit first
        shifts = np.arange(unit_bits - 1, -1, -1, dtype=np.uint32)
        bits = ((values[..., None] >> shifts) & 1).astype(np.uint8)
    return np.packbits(bits.reshape(-1)).tobytes()


def _unpack(data: bytes, n: int, units: int, code: str, unit_bits: int) -> torch.Tensor:
    if code == "real":
        return torch.from_numpy(np.frombuffer(data, dtype="<f2").astype(np.float16).reshape(n, units).copy())
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), count=n * units * unit_bits)
    bits = bits.reshape(n, units, unit_bits).astype(np.uint32)
    weights = (1 << np.arange(unit_bits - 1, -1, -1, dtype=np.uint32))
    values = (bits * weights).sum(-1)
    dtype = np.uint8 if unit_bits <= 8 else np.int32
    return torch.from_numpy(values.astype(dtype))


def packed_size(n: int, units: int, code: str, unit_bits: int) -> int:
    """Bytes of the raw packed payload."""
    return n * units * 2 if code == "real" else -(-n * units * unit_bits // 8)


def _xor_rows(raw: bytes, row_bytes: int, inverse: bool) -> bytes:
    if row_bytes == 0 or not raw:
        return raw
    rows = np.frombuffer(raw, dtype=np.uint8)
    pad = (-len(rows)) % row_bytes
    rows = np.concatenate([rows, np.zeros(pad, np.uint8)]).reshape(-1, row_bytes)
    if inverse:
        out = np.bitwise_xor.accumulate(rows, axis=0)
    else:
        out = rows.copy()
        out[1:] ^= rows[:-1]
    return out.reshape(-1)[: len(raw)].tobytes()


def _row_bytes(units: int, code: str, unit_bits: int) -> int:
    bits = units * (16 if code == "real" else unit_bits)
    return bits // 8 if bits % 8 == 0 else 0  # rows that are not byte-aligned are not XORed


def _entropy_encode(raw: bytes, method: str, row_bytes: int) -> bytes:
    if method == "none":
        return raw
    return lzma.compress(_xor_rows(raw, row_bytes, inverse=False), preset=9 | lzma.PRESET_EXTREME)


def _entropy_decode(data: bytes, method: str, row_bytes: int, expected: int, path: Path) -> bytes:
    if method == "none":
        return data
    try:  # bounded: a hostile stream cannot expand past what the header promises
        dec = lzma.LZMADecompressor()
        raw = dec.decompress(data, max_length=expected + 1)
        if not dec.eof:
            raise CodeFileError(f"{path}: corrupt payload (the {method} stream is incomplete or too long)")
    except lzma.LZMAError:
        raise CodeFileError(f"{path}: corrupt payload (the {method} stream does not decode)") from None
    if len(raw) != expected:
        raise CodeFileError(f"{path}: payload decodes to {len(raw)} bytes, the header says {expected}")
    return _xor_rows(raw, row_bytes, inverse=True)


def encode_bytes(codes: Codes, entropy: str = "auto") -> bytes:
    """The whole file as bytes. ``entropy``: ``auto`` (the smallest), ``none`` or ``xor-lzma``."""
    if entropy not in ("auto", *ENTROPY_CODERS):
        raise ValueError(f"entropy must be auto or one of {ENTROPY_CODERS}, not {entropy!r}")
    raw = _pack(codes.codes, codes.code, codes.unit_bits)
    rb = _row_bytes(codes.units, codes.code, codes.unit_bits)
    methods = ENTROPY_CODERS if entropy == "auto" else (entropy,)
    method, payload = min(((m, _entropy_encode(raw, m, rb)) for m in methods), key=lambda mp: len(mp[1]))
    header = {
        "model": codes.model, "sample_rate": codes.sample_rate, "n_samples": codes.n_samples,
        "n_frames": codes.n_frames, "n_patches": codes.n_patches, "code": codes.code,
        "units": codes.units, "unit_bits": codes.unit_bits, "bits_per_patch": codes.bits_per_patch,
        "patch_frames": codes.patch_frames, "patch_hop": codes.patch_hop, "hop_length": codes.hop_length,
        "entropy": method, "payload_bytes": len(payload),
    }
    hbytes = json.dumps(header, separators=(",", ":")).encode()
    crc = zlib.crc32(hbytes + payload)
    return MAGIC + struct.pack("<BI", FORMAT_VERSION, len(hbytes)) + hbytes + payload + struct.pack("<I", crc)


def write(path: str | os.PathLike, codes: Codes, *, entropy: str = "auto", force: bool = False) -> int:
    """Write ``codes`` to ``path`` atomically; returns the file size in bytes."""
    data = encode_bytes(codes, entropy)
    with atomic_path(path, force) as tmp:
        tmp.write_bytes(data)
    return len(data)


_INT_FIELDS = ("sample_rate", "n_samples", "n_frames", "n_patches", "units", "unit_bits", "bits_per_patch",
               "patch_frames", "patch_hop", "hop_length", "payload_bytes")


def _check_header(h: Any, path: Path) -> dict[str, Any]:
    if not isinstance(h, dict):
        raise CodeFileError(f"{path}: header is not a JSON object")
    missing = [k for k in (*_INT_FIELDS, "model", "code", "entropy") if k not in h]
    if missing:
        raise CodeFileError(f"{path}: header lacks {', '.join(missing)}")
    for k in _INT_FIELDS:
        if not isinstance(h[k], int) or isinstance(h[k], bool) or h[k] < 0:
            raise CodeFileError(f"{path}: header field {k} must be a non-negative integer, not {h[k]!r}")
    if not isinstance(h["model"], str):
        raise CodeFileError(f"{path}: header field model must be a string")
    if h["code"] not in ("binary", "quantized", "real"):
        raise CodeFileError(f"{path}: unknown code type {h['code']!r}")
    if h["entropy"] not in ENTROPY_CODERS:
        raise CodeFileError(f"{path}: unknown entropy coder {h['entropy']!r}")
    expected_bits = {"binary": 1, "real": 16}.get(h["code"])
    if (expected_bits is not None and h["unit_bits"] != expected_bits) or not 1 <= h["unit_bits"] <= 16:
        raise CodeFileError(f"{path}: unit_bits {h['unit_bits']} does not fit code type {h['code']}")
    if h["bits_per_patch"] != h["units"] * h["unit_bits"]:
        raise CodeFileError(f"{path}: bits_per_patch {h['bits_per_patch']} != units x unit_bits")
    if min(h["sample_rate"], h["patch_frames"], h["patch_hop"], h["hop_length"], h["units"]) < 1:
        raise CodeFileError(f"{path}: header has a zero rate, geometry or code size")
    if h["n_patches"] < 1 or h["n_patches"] > (1 << 28) or h["units"] > (1 << 16):
        raise CodeFileError(f"{path}: header sizes are out of range")
    covered = (h["n_patches"] - 1) * h["patch_hop"] + h["patch_frames"]
    if not (h["n_frames"] <= covered and h["n_frames"] > (h["n_patches"] - 1) * h["patch_hop"]):
        raise CodeFileError(f"{path}: {h['n_patches']} patches do not match {h['n_frames']} frames")
    return h


def decode_bytes(data: bytes, path: str | os.PathLike = "<bytes>") -> Codes:
    """Parse and validate a whole code file held in memory."""
    path = Path(path)
    if len(data) < 9 or data[:4] != MAGIC:
        raise CodeFileError(f"{path}: not a specae code file (bad magic)")
    version, hlen = struct.unpack("<BI", data[4:9])
    if version != FORMAT_VERSION:
        raise CodeFileError(f"{path}: code file version {version} is not supported (this specae reads "
                            f"version {FORMAT_VERSION})")
    if hlen > MAX_HEADER or 9 + hlen + 4 > len(data):
        raise CodeFileError(f"{path}: truncated file (header of {hlen} bytes does not fit)")
    hbytes = data[9:9 + hlen]
    try:
        header = json.loads(hbytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        if zlib.crc32(hbytes + data[9 + hlen:-4]) != struct.unpack("<I", data[-4:])[0]:
            raise CodeFileError(f"{path}: checksum mismatch (the file is corrupt)") from None
        raise CodeFileError(f"{path}: header is not valid JSON") from None
    h = _check_header(header, path)
    end = 9 + hlen + h["payload_bytes"]
    if end + 4 > len(data):
        raise CodeFileError(f"{path}: truncated file ({len(data)} bytes, the header implies {end + 4})")
    if end + 4 < len(data):
        raise CodeFileError(f"{path}: {len(data) - end - 4} unexpected bytes after the checksum")
    payload = data[9 + hlen:end]
    if zlib.crc32(hbytes + payload) != struct.unpack("<I", data[end:end + 4])[0]:
        raise CodeFileError(f"{path}: checksum mismatch (the file is corrupt)")
    raw_size = packed_size(h["n_patches"], h["units"], h["code"], h["unit_bits"])
    rb = _row_bytes(h["units"], h["code"], h["unit_bits"])
    raw = _entropy_decode(payload, h["entropy"], rb, raw_size, path)
    if len(raw) != raw_size:
        raise CodeFileError(f"{path}: payload has {len(raw)} bytes, {raw_size} expected for "
                            f"{h['n_patches']} patches x {h['bits_per_patch']} bits")
    codes = _unpack(raw, h["n_patches"], h["units"], h["code"], h["unit_bits"])
    return Codes(codes, h["model"], h["sample_rate"], h["n_samples"], h["n_frames"], h["code"],
                 h["unit_bits"], h["patch_frames"], h["patch_hop"], h["hop_length"])


def read(path: str | os.PathLike) -> Codes:
    """Read and validate a ``.sae`` file."""
    path = Path(path)
    if not path.is_file():
        raise CodeFileError(f"{path}: no such code file")
    return decode_bytes(path.read_bytes(), path)


def check_model(codes: Codes, fingerprint: str, path: str | os.PathLike = "<codes>") -> None:
    """Refuse codes made by another model, naming both fingerprints."""
    if codes.model != fingerprint:
        raise CodeFileError(f"{path}: made by model {codes.model[:12]}, not by this model "
                            f"{fingerprint[:12]}")
