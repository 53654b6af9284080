"""Code layers: squash the code pre-activations and quantise them.

All three kinds map pre-activations ``a`` to decoder inputs in a fixed range:

* ``binary``: ``sigmoid(a)`` thresholded at 0.5 -> exactly {0, 1};
* ``quantized``: ``sigmoid(a)`` rounded to ``L`` levels ``k / (L - 1)`` (finite scalar
  quantisation); the emitted integer code is ``k``;
* ``real``: ``a`` itself, stored as float16.

Training makes the decoder work from the hard values the encoder emits: Gaussian noise of a
given standard deviation is added to the pre-activations (pushing the units to saturate, as
in semantic hashing), and with ``hard=True`` the forward pass uses the quantised values while
gradients pass straight through the sigmoid (straight-through estimator).
"""

from __future__ import annotations

import torch
from torch import nn


class CodeLayer(nn.Module):
    """Quantiser between the encoder's code pre-activations and the decoder."""

    def __init__(self, kind: str, levels: int = 2) -> None:
        super().__init__()
        self.kind = kind
        self.levels = 2 if kind == "binary" else levels

    def soft(self, pre: torch.Tensor) -> torch.Tensor:
        """The unquantised decoder input."""
        return pre if self.kind == "real" else torch.sigmoid(pre)

    def quantize(self, pre: torch.Tensor) -> torch.Tensor:
        """Integer (binary/quantized) or float16 (real) codes, as the encoder emits them."""
        if self.kind == "real":
            return pre.to(torch.float16)
        k = torch.round(torch.sigmoid(pre) * (self.levels - 1))
        return k.to(torch.uint8 if self.levels <= 256 else torch.int32)

    def dequantize(self, codes: torch.Tensor) -> torch.Tensor:
        """Decoder input from emitted codes."""
        if self.kind == "real":
            return codes.float()
        return codes.float() / (self.levels - 1)

    def forward(self, pre: torch.Tensor, noise_std: float = 0.0, hard: bool = False) -> torch.Tensor:
        """Training-time decoder input: optional pre-activation noise and straight-through
        quantisation."""
        if noise_std > 0 and self.kind != "real":
            pre = pre + noise_std * torch.randn_like(pre)
        soft = self.soft(pre)
        if not hard or self.kind == "real":
            return soft
        hard_values = torch.round(soft * (self.levels - 1)) / (self.levels - 1)
        return soft + (hard_values - soft).detach()
