"""ModelConfig: patch geometry, hourglass widths, code layer and how the bits are trained."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Literal

from specae.config import from_dict

#: Bits one real-valued code unit takes when stored (float16).
REAL_UNIT_BITS = 16


@dataclass
class ModelConfig:
    """Architecture of a :class:`~specae.models.autoencoder.StackedAutoencoder`.

    ``code_bits`` is the budget per patch whatever the code type: ``binary`` has one unit a
    bit; ``quantized`` has ``code_bits / log2(code_levels)`` units of ``code_levels`` levels;
    ``real`` has ``code_bits / 16`` float16 units (for ablations).
    """

    patch_frames: int = 9
    patch_hop: int = 1
    hidden: list[int] = field(default_factory=lambda: [2000, 1000, 500])
    code: Literal["binary", "real", "quantized"] = "binary"
    code_bits: int = 312
    code_levels: int = 4
    activation: Literal["logistic", "gelu"] = "logistic"
    tied: bool = False

    def __post_init__(self) -> None:
        self.hidden = [int(h) for h in self.hidden]
        if self.patch_frames < 1 or not 1 <= self.patch_hop <= self.patch_frames:
            raise ValueError(f"need patch_frames >= 1 and 1 <= patch_hop <= patch_frames, got "
                             f"{self.patch_frames}/{self.patch_hop}")
        if any(h < 1 for h in self.hidden):
            raise ValueError(f"hidden sizes must be positive, got {self.hidden}")
        if self.code not in ("binary", "real", "quantized"):
            raise ValueError(f"code must be binary, real or quantized, not {self.code!r}")
        if self.activation not in ("logistic", "gelu"):
            raise ValueError(f"activation must be logistic or gelu, not {self.activation!r}")
        if self.code == "quantized" and (self.code_levels < 2 or self.code_levels & (self.code_levels - 1)):
            raise ValueError(f"code_levels must be a power of two >= 2, not {self.code_levels}")
        if self.code_bits % self.bits_per_unit:
            raise ValueError(f"code_bits {self.code_bits} is not a multiple of the {self.bits_per_unit} "
                             f"bits a {self.code} unit takes")
        if self.code_units < 1:
            raise ValueError(f"code_bits {self.code_bits} leaves no code units")

    @property
    def bits_per_unit(self) -> int:
        if self.code == "binary":
            return 1
        if self.code == "quantized":
            return int(math.log2(self.code_levels))
        return REAL_UNIT_BITS

    @property
    def code_units(self) -> int:
        return self.code_bits // self.bits_per_unit

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "config") -> ModelConfig:
        return from_dict(cls, data, source)
