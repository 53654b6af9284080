"""The .sae code file: exact round trips, clean failures, fuzzing."""

import contextlib
import struct
import zlib

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specae import codec
from specae.errors import SpecaeError


def _codes(kind="binary", n=40, units=24, unit_bits=1, seed=0, correlated=False):
    gen = torch.Generator().manual_seed(seed)
    if kind == "real":
        values = torch.randn(n, units, generator=gen).to(torch.float16)
    else:
        values = torch.randint(0, 2 ** unit_bits, (n, units), generator=gen).to(torch.uint8)
        if correlated:
            values = values[:1].expand(n, units).clone()
            values[torch.rand(n, units, generator=gen) < 0.03] ^= 1
    return codec.Codes(values, "f" * 64, 16000, n * 160 + 240, n + 8, kind, unit_bits, 9, 1, 160)


@pytest.mark.parametrize("kind,unit_bits", [("binary", 1), ("quantized", 2), ("quantized", 3), ("real", 16)])
@pytest.mark.parametrize("entropy", ["none", "xor-lzma", "auto"])
def test_round_trip_is_bit_exact(tmp_path, kind, unit_bits, entropy):
    c = _codes(kind, unit_bits=unit_bits)
    size = codec.write(tmp_path / "x.sae", c, entropy=entropy)
    back = codec.read(tmp_path / "x.sae")
    assert size == (tmp_path / "x.sae").stat().st_size
    assert torch.equal(back.codes, c.codes) and back.codes.dtype == c.codes.dtype
    for field in ("model", "sample_rate", "n_samples", "n_frames", "code", "unit_bits", "patch_frames",
                  "patch_hop", "hop_length"):
        assert getattr(back, field) == getattr(c, field)


def test_packing_has_no_waste():
    c = _codes(n=100, units=312)
    data = codec.encode_bytes(c, "none")
    header_len = struct.unpack("<I", data[5:9])[0]
    assert len(data) - 9 - header_len - 4 == 100 * 312 // 8
    assert c.nominal_kbps == pytest.approx(31.2)


def test_entropy_stage_is_kept_only_when_it_helps():
    random = _codes(n=200, units=312)
    assert b'"entropy":"none"' in codec.encode_bytes(random)
    correlated = _codes(n=200, units=312, correlated=True)
    auto = codec.encode_bytes(correlated)
    assert b'"entropy":"xor-lzma"' in auto and len(auto) < 0.5 * len(codec.encode_bytes(correlated, "none"))


def test_flipped_byte_truncation_and_other_model(tmp_path):
    c = _codes()
    data = codec.encode_bytes(c, "none")
    for i in (20, len(data) - 10, len(data) - 2):
        bad = bytearray(data)
        bad[i] ^= 0x40
        with pytest.raises(codec.CodeFileError):
            codec.decode_bytes(bytes(bad))
    bad = bytearray(data)
    bad[-10] ^= 1  # a payload bit: only the checksum can tell
    with pytest.raises(codec.CodeFileError, match="checksum mismatch"):
        codec.decode_bytes(bytes(bad))
    with pytest.raises(codec.CodeFileError, match="truncated"):
        codec.decode_bytes(data[:-7])
    with pytest.raises(codec.CodeFileError, match="bad magic"):
        codec.decode_bytes(b"RIFF" + data[4:])
    with pytest.raises(codec.CodeFileError, match="version 9"):
        codec.decode_bytes(data[:4] + bytes([9]) + data[5:])
    with pytest.raises(codec.CodeFileError, match="unexpected bytes"):
        codec.decode_bytes(data + b"\0")
    other = "made by model ffffffffffff, not by this model 000000000000"
    with pytest.raises(codec.CodeFileError, match=other):
        codec.check_model(c, "0" * 64, "x.sae")
    with pytest.raises(codec.CodeFileError, match="no such code file"):
        codec.read(tmp_path / "missing.sae")


def test_header_payload_disagreement_is_caught():
    c = _codes()
    data = codec.encode_bytes(c, "none")
    hlen = struct.unpack("<I", data[5:9])[0]
    header = data[9:9 + hlen].replace(b'"n_patches":40', b'"n_patches":41')
    rebuilt = data[:5] + struct.pack("<I", len(header)) + header + data[9 + hlen:-4]
    rebuilt += struct.pack("<I", zlib.crc32(header + data[9 + hlen:-4]))
    with pytest.raises(codec.CodeFileError, match="do not match|expected"):
        codec.decode_bytes(rebuilt)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400))
def test_fuzz_random_bytes(data):
    with contextlib.suppress(SpecaeError):
        codec.decode_bytes(codec.MAGIC + bytes([codec.FORMAT_VERSION]) + data)


@settings(max_examples=300, deadline=None)
@given(pos=st.integers(0, 10_000), value=st.integers(0, 255), cut=st.integers(0, 10_000),
       entropy=st.sampled_from(["none", "xor-lzma"]))
def test_fuzz_mutated_files(pos, value, cut, entropy):
    data = bytearray(codec.encode_bytes(_codes(correlated=True), entropy))
    data[pos % len(data)] = value
    data = bytes(data[: max(1, len(data) - cut % 50)])
    try:
        back = codec.decode_bytes(data)
    except SpecaeError:
        return
    assert back.codes.shape == (40, 24)  # only an unchanged (or equivalent) file decodes
