"""Cut frames into multi-frame patches and overlap-add patches back into frames.

Padding policy: a sequence of ``T`` frames gives ``N = 1 + ceil(max(T - P, 0) / H)`` patches,
so every frame is covered; when the last patch runs past the end (or ``T < P``), the
sequence is padded at the end by repeating its last frame. ``overlap_add`` averages the
overlapping predictions of each frame and drops the padding, so for ``H <= P``
``overlap_add(to_patches(x, P, H), P, H, T) == x``.

A patch is flattened frame-major: ``patch[p * F + f]`` is bin ``f`` of frame ``p``.
"""

from __future__ import annotations

import math

import torch


def _check(size: int, hop: int) -> None:
    if size < 1 or hop < 1:
        raise ValueError(f"patch size and hop must be >= 1, got P={size}, H={hop}")
    if hop > size:
        raise ValueError(f"patch hop {hop} exceeds patch size {size}: frames would be skipped")


def num_patches(n_frames: int, size: int, hop: int) -> int:
    """Patches ``to_patches`` makes from ``n_frames`` frames."""
    _check(size, hop)
    if n_frames < 1:
        raise ValueError("need at least one frame")
    return 1 + math.ceil(max(n_frames - size, 0) / hop)


def to_patches(frames: torch.Tensor, size: int, hop: int) -> torch.Tensor:
    """Frames ``[T, F]`` -> patches ``[N, P*F]`` (see the module docstring for padding)."""
    n_frames, n_bins = frames.shape
    n = num_patches(n_frames, size, hop)
    padded_len = (n - 1) * hop + size
    if padded_len > n_frames:
        pad = frames[-1:].expand(padded_len - n_frames, n_bins)
        frames = torch.cat([frames, pad], dim=0)
    # unfold -> [N, F, P]; frame-major flattening wants [N, P, F]
    return frames.unfold(0, size, hop).transpose(1, 2).reshape(n, size * n_bins)


def overlap_add(patches: torch.Tensor, size: int, hop: int, n_frames: int) -> torch.Tensor:
    """Patches ``[N, P*F]`` -> frames ``[T, F]``, each frame the mean of the patches covering it."""
    _check(size, hop)
    n = patches.shape[0]
    if n < 1 or patches.shape[1] % size:
        raise ValueError(f"patches of shape {tuple(patches.shape)} do not hold {size} frames each")
    n_bins = patches.shape[1] // size
    padded_len = (n - 1) * hop + size
    if padded_len < n_frames:
        raise ValueError(f"{n} patches cover {padded_len} frames, fewer than {n_frames}")
    index = (torch.arange(n, device=patches.device) * hop)[:, None] + torch.arange(
        size, device=patches.device
    )
    index = index.reshape(-1)
    out = patches.new_zeros(padded_len, n_bins)
    out.index_add_(0, index, patches.reshape(n * size, n_bins))
    count = torch.bincount(index, minlength=padded_len).to(patches.dtype)
    return (out / count[:, None])[:n_frames]


def sequence_patches(frames: torch.Tensor, size: int, hop: int) -> torch.Tensor:
    """Batched, no padding: frames ``[B, L, F]`` -> patches ``[B, N, P*F]`` with
    ``N = 1 + (L - P) // H`` (training on sequences; ``L - P`` should be a multiple of ``H``)."""
    _check(size, hop)
    b, length, n_bins = frames.shape
    if length < size:
        raise ValueError(f"sequence of {length} frames is shorter than a patch of {size}")
    return frames.unfold(1, size, hop).transpose(2, 3).reshape(b, -1, size * n_bins)


def sequence_overlap_add(patches: torch.Tensor, size: int, hop: int, length: int) -> torch.Tensor:
    """Batched inverse of :func:`sequence_patches`: ``[B, N, P*F]`` -> ``[B, L, F]``, each frame the
    mean of the patches covering it (differentiable)."""
    b, n, pf = patches.shape
    n_bins = pf // size
    cols = patches.reshape(b, n, size, n_bins).permute(0, 3, 2, 1).reshape(b, n_bins * size, n)
    fold = torch.nn.functional.fold
    summed = fold(cols, (length, 1), kernel_size=(size, 1), stride=(hop, 1))  # [B, F, L, 1]
    ones = torch.ones(1, size, n, dtype=patches.dtype, device=patches.device)
    count = fold(ones, (length, 1), kernel_size=(size, 1), stride=(hop, 1))  # [1, 1, L, 1]
    return (summed / count.clamp_min(1)).squeeze(-1).transpose(1, 2)
