"""Greedy layer-wise pretraining of a :class:`StackedAutoencoder`: ``rbm``, ``ae`` or ``none``.

``rbm`` (the reference system): a Gaussian-Bernoulli RBM on the normalised patches, then
Bernoulli-Bernoulli RBMs on the hidden probabilities of the layer below, each trained with
CD-k; the stack is unrolled into encoder ``W`` and decoder ``W^T`` weights.
``ae``: greedy denoising autoencoders (masking noise), one layer at a time, each encoder and
decoder copied into the stack. ``none``: the random initialisation stays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from specae.models.autoencoder import StackedAutoencoder
from specae.models.rbm import RBM, train_rbm

Batches = Callable[[int], Iterable[torch.Tensor]]
#: ``log(layer, epoch, reconstruction_error)``
Logger = Callable[[int, int, float], None]


@dataclass
class PretrainSettings:
    """Hyper-parameters of layer-wise pretraining (see ``TrainConfig`` for the defaults used)."""

    mode: str = "rbm"
    epochs: int = 10
    rbm_lr_gaussian: float = 0.002
    rbm_lr: float = 0.05
    cd_k: int = 1
    weight_decay: float = 2e-4
    ae_lr: float = 1e-3
    ae_mask: float = 0.2


def _through(model: StackedAutoencoder, layers: int, x: torch.Tensor) -> torch.Tensor:
    """Hidden activations after the first ``layers`` encoder layers."""
    with torch.no_grad():
        for layer in model.encoder[:layers]:
            x = model.act(layer(x))
    return x


def _set_layer(model: StackedAutoencoder, i: int, enc_w, enc_b, dec_w, dec_b) -> None:
    """Copy encoder ``[out, in]``/bias and decoder ``[in, out]``/bias into layer ``i``."""
    with torch.no_grad():
        model.encoder[i].weight.copy_(enc_w)
        model.encoder[i].bias.copy_(enc_b)
        if model.decoder is None:
            model.decoder_bias[i].copy_(dec_b)
        else:
            model.decoder[i].weight.copy_(dec_w)
            model.decoder[i].bias.copy_(dec_b)


def pretrain_rbm(model: StackedAutoencoder, batches: Batches, s: PretrainSettings,
                 log: Logger | None = None, seed: int = 0) -> None:
    if model.config.activation != "logistic":
        raise ValueError("RBM pretraining needs logistic units (activation: logistic)")
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    for i, (n_vis, n_hid) in enumerate(zip(model.sizes[:-1], model.sizes[1:])):
        rbm = RBM(n_vis, n_hid, gaussian_visible=i == 0, generator=gen).to(device)
        train_rbm(
            rbm,
            lambda epoch, i=i: (_through(model, i, b) for b in batches(epoch)),
            s.epochs,
            s.rbm_lr_gaussian if i == 0 else s.rbm_lr,
            weight_decay=s.weight_decay,
            k=s.cd_k,
            on_epoch=(lambda e, err, i=i: log(i, e, err)) if log else None,
        )
        _set_layer(model, i, rbm.W.T, rbm.hbias, rbm.W, rbm.vbias)


def pretrain_ae(model: StackedAutoencoder, batches: Batches, s: PretrainSettings,
                log: Logger | None = None, seed: int = 0) -> None:
    device = next(model.parameters()).device
    torch.manual_seed(seed)
    n_layers = len(model.encoder)
    for i, (n_in, n_out) in enumerate(zip(model.sizes[:-1], model.sizes[1:])):
        enc, dec = nn.Linear(n_in, n_out).to(device), nn.Linear(n_out, n_in).to(device)
        enc.load_state_dict(model.encoder[i].state_dict())
        opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=s.ae_lr)
        top = i == n_layers - 1
        for epoch in range(s.epochs):
            total, count = 0.0, 0
            for b in batches(epoch):
                x = _through(model, i, b)
                noisy = x * (torch.rand_like(x) >= s.ae_mask) / (1 - s.ae_mask)
                pre = enc(noisy)
                h = model.code_layer.soft(pre) if top else model.act(pre)
                recon = dec(h)
                if i > 0 and model.config.activation == "logistic":
                    recon = torch.sigmoid(recon)
                loss = F.mse_loss(recon, x)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += loss.item() * b.shape[0]
                count += b.shape[0]
            if log:
                log(i, epoch, total / max(count, 1))
        _set_layer(model, i, enc.weight, enc.bias, dec.weight, dec.bias)


def pretrain(model: StackedAutoencoder, batches: Batches, settings: PretrainSettings,
             log: Logger | None = None, seed: int = 0) -> None:
    """Initialise ``model`` layer by layer from ``batches(epoch)`` of normalised patches."""
    if settings.mode == "rbm":
        pretrain_rbm(model, batches, settings, log, seed)
    elif settings.mode == "ae":
        pretrain_ae(model, batches, settings, log, seed)
    elif settings.mode != "none":
        raise ValueError(f"pretrain mode must be rbm, ae or none, not {settings.mode!r}")
