"""Restricted Boltzmann machines trained with contrastive divergence (CD-k).

* Gaussian-Bernoulli (``gaussian_visible=True``): linear visible units with unit variance,
  for the first layer on per-bin normalised input (Hinton & Salakhutdinov 2006; Deng et al.
  2010). The negative phase uses the visible mean (no sampling noise), the usual practice.
* Bernoulli-Bernoulli: logistic visible units, trained on the hidden probabilities of the
  layer below.

Updates are the classic ones (no autograd): momentum, L2 weight decay, mini-batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn


class RBM(nn.Module):
    """An RBM with weights ``W [n_visible, n_hidden]`` and biases for both layers."""

    def __init__(self, n_visible: int, n_hidden: int, gaussian_visible: bool = False,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.gaussian_visible = gaussian_visible
        w = torch.randn(n_visible, n_hidden, generator=generator) * 0.01
        self.W = nn.Parameter(w, requires_grad=False)
        self.vbias = nn.Parameter(torch.zeros(n_visible), requires_grad=False)
        self.hbias = nn.Parameter(torch.zeros(n_hidden), requires_grad=False)
        self._velocity = [torch.zeros_like(p) for p in (self.W, self.vbias, self.hbias)]

    def hidden_probs(self, v: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(v @ self.W + self.hbias)

    def visible_mean(self, h: torch.Tensor) -> torch.Tensor:
        act = h @ self.W.T + self.vbias
        return act if self.gaussian_visible else torch.sigmoid(act)

    @torch.no_grad()
    def reconstruct(self, v: torch.Tensor) -> torch.Tensor:
        """Mean-field reconstruction ``v -> p(h|v) -> E[v|h]``."""
        return self.visible_mean(self.hidden_probs(v))

    @torch.no_grad()
    def cd_step(self, v0: torch.Tensor, lr: float, momentum: float = 0.9,
                weight_decay: float = 2e-4, k: int = 1) -> float:
        """One CD-k update on the batch ``v0 [batch, n_visible]``; returns its mean squared
        reconstruction error (from the first negative phase)."""
        ph0 = self.hidden_probs(v0)
        h = torch.bernoulli(ph0)
        recon_err = None
        for step in range(k):
            v = self.visible_mean(h)
            if recon_err is None:
                recon_err = float((v0 - v).square().mean())
            ph = self.hidden_probs(v)
            if step < k - 1:
                h = torch.bernoulli(ph)
        n = v0.shape[0]
        grads = (
            (v0.T @ ph0 - v.T @ ph) / n - weight_decay * self.W,
            (v0 - v).mean(0),
            (ph0 - ph).mean(0),
        )
        for param, vel, grad in zip((self.W, self.vbias, self.hbias), self._velocity, grads):
            vel.mul_(momentum).add_(grad, alpha=lr)
            param.add_(vel)
        return recon_err

    def _apply(self, fn, recurse=True):  # keep the momentum buffers on the module's device
        out = super()._apply(fn, recurse)
        self._velocity = [fn(v) for v in self._velocity]
        return out


def train_rbm(
    rbm: RBM,
    batches: Callable[[int], Iterable[torch.Tensor]],
    epochs: int,
    lr: float,
    *,
    momentum: tuple[float, float] = (0.5, 0.9),
    momentum_switch: int = 5,
    weight_decay: float = 2e-4,
    k: int = 1,
    on_epoch: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Train ``rbm`` for ``epochs`` over ``batches(epoch)``; returns the mean reconstruction
    error per epoch (also passed to ``on_epoch(epoch, error)``)."""
    errors = []
    for epoch in range(epochs):
        mom = momentum[0] if epoch < momentum_switch else momentum[1]
        total, count = 0.0, 0
        for v in batches(epoch):
            total += rbm.cd_step(v, lr, mom, weight_decay, k) * v.shape[0]
            count += v.shape[0]
        errors.append(total / max(count, 1))
        if on_epoch is not None:
            on_epoch(epoch, errors[-1])
    return errors
