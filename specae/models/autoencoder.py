"""The hourglass autoencoder: patch ``[N, P*F]`` -> code ``[N, C]`` -> patch."""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from specae.models.codes import CodeLayer
from specae.models.config import ModelConfig


def _activation(name: str):
    return torch.sigmoid if name == "logistic" else F.gelu


class StackedAutoencoder(nn.Module):
    """Encoder ``in -> hidden... -> code`` and a mirrored decoder ``code -> ...hidden -> in``.

    ``encoder[i]`` maps layer ``i`` to ``i + 1`` (the last one to the code pre-activations);
    ``decoder[i]`` maps back from layer ``i + 1`` to ``i``, so ``decoder[i]`` mirrors
    ``encoder[i]`` and, when ``tied``, uses its transposed weight with a bias of its own.
    Hidden units use the configured activation; the output is linear (normalised dB).
    """

    def __init__(self, config: ModelConfig, n_bins: int) -> None:
        super().__init__()
        self.config = config
        self.n_bins = n_bins
        sizes = [config.patch_frames * n_bins, *config.hidden, config.code_units]
        self.sizes = sizes
        self.encoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        if config.tied:
            self.decoder_bias = nn.ParameterList(nn.Parameter(torch.zeros(a)) for a in sizes[:-1])
            self.decoder = None
        else:
            self.decoder = nn.ModuleList(nn.Linear(b, a) for a, b in zip(sizes[:-1], sizes[1:]))
        self.code_layer = CodeLayer(config.code, config.code_levels)
        self.act = _activation(config.activation)

    @property
    def input_size(self) -> int:
        return self.sizes[0]

    def decoder_layer(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Weight ``[out, in]`` and bias of decoder layer ``i`` (layer ``i+1`` -> ``i``)."""
        if self.decoder is None:
            return self.encoder[i].weight.T, self.decoder_bias[i]
        return self.decoder[i].weight, self.decoder[i].bias

    def code_preactivation(self, patches: torch.Tensor) -> torch.Tensor:
        h = patches
        for layer in self.encoder[:-1]:
            h = self.act(layer(h))
        return self.encoder[-1](h)

    def decode_values(self, values: torch.Tensor) -> torch.Tensor:
        """Decoder from code values (soft or dequantised) ``[N, C]`` to patches ``[N, P*F]``."""
        h = values
        for i in reversed(range(len(self.encoder))):
            weight, bias = self.decoder_layer(i)
            h = F.linear(h, weight, bias)
            if i > 0:
                h = self.act(h)
        return h

    def forward(self, patches: torch.Tensor, noise_std: float = 0.0, hard: bool = False) -> torch.Tensor:
        """Training reconstruction (see :class:`CodeLayer` for ``noise_std`` and ``hard``)."""
        return self.decode_values(self.code_layer(self.code_preactivation(patches), noise_std, hard))

    @torch.no_grad()
    def encode(self, patches: torch.Tensor) -> torch.Tensor:
        """Patches ``[N, P*F]`` -> the codes the encoder emits ``[N, C]`` (uint8 levels, or
        float16 for ``real``)."""
        return self.code_layer.quantize(self.code_preactivation(patches))

    @torch.no_grad()
    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Emitted codes ``[N, C]`` -> patches ``[N, P*F]``."""
        return self.decode_values(self.code_layer.dequantize(codes))
