"""Classical coders of normalised spectrogram patches at an exact bit budget.

The autoencoder codes each patch ``[P*F]`` (frame-major, see :mod:`specae.patches`) into a
fixed number of bits; the baselines here code the same normalised patches with exactly the
same number of bits per patch, so distortions compare at equal bitrate:

* :class:`SubbandVQ` (``"subband-vq"``): the F bins are split into K contiguous sub-bands,
  each sub-band vector (all P frames of its bins) is vector-quantised with its own k-means
  codebook of ``2**b_k`` entries, ``sum(b_k) == bits`` (Deng et al. 2010 compare a 312-bit
  binary code with 26 sub-bands x 12 bits).
* :class:`PCACoder` (``"pca"``): PCA, integer bits per principal component by reverse
  water-filling, uniform scalar quantisation of each kept coefficient.

Both share the interface ``name``, ``bits_per_patch``, ``fit``, ``encode`` (-> ``LongTensor``
codes), ``decode``, ``state_dict`` (plain tensors/ints/lists, loadable with
``torch.load(weights_only=True)``) and ``from_state``. :func:`kmeans` and :func:`assign` are
chunked so no ``N x k`` distance matrix larger than :data:`MAX_CHUNK_ELEMS` floats exists.
"""

from __future__ import annotations

import heapq
import math
import warnings
from typing import Any, Protocol

import torch

#: Largest number of elements in one ``rows x k`` distance block (128 MB in float32).
MAX_CHUNK_ELEMS = 1 << 25
#: Preferred block size (elements) of the chunked distance computations.
CACHE_CHUNK_ELEMS = 1 << 21


# --------------------------------------------------------------------------- k-means


def _work_dtype(x: torch.Tensor) -> torch.dtype:
    return torch.float64 if x.dtype == torch.float64 else torch.float32


def _rows_per_chunk(k: int, batch: int) -> int:
    # ~2M elements (8 MB) per block keeps the block in cache between the matmul and the min
    return max(1, min(batch, max(64, CACHE_CHUNK_ELEMS // max(k, 1)), MAX_CHUNK_ELEMS // max(k, 1)))


def _nearest(
    x: torch.Tensor, codebook: torch.Tensor, batch: int = 8192, x_sq: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Nearest centroid of each row: ``(index [N] long, squared distance [N])``, chunked."""
    c_sq = codebook.square().sum(1)
    if x_sq is None:
        x_sq = x.square().sum(1)
    rows = _rows_per_chunk(codebook.shape[0], batch)
    idx = torch.empty(x.shape[0], dtype=torch.long, device=x.device)
    dist = torch.empty(x.shape[0], dtype=codebook.dtype, device=x.device)
    for start in range(0, x.shape[0], rows):
        sl = slice(start, start + rows)
        # ||c||^2 - 2 x.c ; ||x||^2 is constant per row and added back after the argmin
        val, arg = torch.addmm(c_sq, x[sl], codebook.T, beta=1.0, alpha=-2.0).min(1)
        idx[sl] = arg
        dist[sl] = (val + x_sq[sl]).clamp_min(0)
    return idx, dist


def _check_pair(x: torch.Tensor, codebook: torch.Tensor) -> None:
    if x.dim() != 2 or codebook.dim() != 2 or x.shape[1] != codebook.shape[1]:
        raise ValueError(
            f"need x [N, D] and codebook [k, D], got {tuple(x.shape)} and {tuple(codebook.shape)}"
        )


@torch.no_grad()
def assign(x: torch.Tensor, codebook: torch.Tensor, *, batch: int = 8192) -> torch.Tensor:
    """Index of the nearest centroid (squared Euclidean) of each row: ``x [N, D]``,
    ``codebook [k, D]`` -> ``LongTensor [N]``, computed in chunks of at most ``batch`` rows.
    """
    _check_pair(x, codebook)
    dtype = _work_dtype(codebook)
    return _nearest(x.to(codebook.device, dtype), codebook.to(dtype), batch)[0]


@torch.no_grad()
def distortion(x: torch.Tensor, codebook: torch.Tensor, *, batch: int = 8192) -> float:
    """Mean squared error per element of ``x [N, D]`` quantised to its nearest centroid."""
    _check_pair(x, codebook)
    dtype = _work_dtype(codebook)
    x = x.to(codebook.device, dtype)
    idx = _nearest(x, codebook.to(dtype), batch)[0]
    total = 0.0
    for start in range(0, x.shape[0], batch):
        sl = slice(start, start + batch)
        total += float((x[sl] - codebook[idx[sl]].to(dtype)).double().square().sum())
    return total / x.numel()


def _kmeanspp(x: torch.Tensor, k: int, gen: torch.Generator, batch: int = 8192) -> torch.Tensor:
    """k-means++ seeding in rounds: ``x [N, D]`` -> ``[k, D]``.

    The first centre is uniform; each later round draws ``m`` new centres at once, without
    replacement, with probability proportional to the squared distance to the nearest centre
    so far (D^2 sampling, Gumbel top-k), ``m`` doubling from 1 up to ``k // 32``. One round
    costs one ``N x m`` distance pass, so seeding costs about one Lloyd iteration instead of
    the ``k`` passes of sequential k-means++ (the k-means|| idea, Bahmani et al. 2012).
    """
    n = x.shape[0]
    x_sq = x.square().sum(1)
    centres = torch.empty(k, x.shape[1], dtype=x.dtype, device=x.device)
    first = torch.randint(n, (1,), generator=gen, device=x.device)
    centres[0] = x[first[0]]
    min_d = (x_sq - 2 * (x @ centres[0]) + x_sq[first[0]]).clamp_min(0)
    done, cap = 1, max(1, k // 32)
    while done < k:
        m = min(done, cap, k - done)
        u = torch.rand(n, generator=gen, device=x.device, dtype=torch.float64)
        gumbel = -torch.log(-torch.log(u.clamp_min(1e-300)))
        keys = torch.where(min_d > 0, torch.log(min_d.double().clamp_min(1e-300)) + gumbel, -math.inf)
        n_pos = int((min_d > 0).sum())
        if n_pos >= m:
            pick = torch.topk(keys, m).indices
        else:  # fewer distinct points than centres: take what is left, then duplicates
            extra = torch.randint(n, (m - n_pos,), generator=gen, device=x.device)
            pick = torch.cat([torch.topk(keys, n_pos).indices, extra])
        new = x[pick]
        centres[done : done + m] = new
        done += m
        d_new = _nearest(x, new, batch, x_sq)[1]
        torch.minimum(min_d, d_new, out=min_d)
    return centres


@torch.no_grad()
def kmeans(x: torch.Tensor, k: int, *, iters: int = 25, seed: int = 0, batch: int = 8192) -> torch.Tensor:
    """Lloyd's k-means with k-means++ seeding: ``x [N, D]`` -> codebook ``[k, D]``.

    ``iters`` assignment + update steps (``iters=0`` returns the seeding). Runs on ``x``'s
    device (float32, or float64 for float64 input); distances are computed in chunks of at
    most ``batch`` rows (and at most :data:`MAX_CHUNK_ELEMS` elements), each an ``addmm``
    followed by a row minimum. Clusters left empty are re-seeded with the points of largest
    error, so the distortion never increases from one iteration to the next. Stops early
    when the assignment no longer changes. Deterministic for a given ``seed`` on a given
    device (on CUDA up to the order of float atomics in the centroid sums).

    With ``N <= k`` every training point becomes a centroid and the rest are duplicates
    (a ``UserWarning`` says so).
    """
    if x.dim() != 2 or x.shape[0] < 1:
        raise ValueError(f"need x of shape [N >= 1, D], got {tuple(x.shape)}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if iters < 0:
        raise ValueError(f"iters must be >= 0, got {iters}")
    x = x.to(_work_dtype(x)).contiguous()
    n, dev = x.shape[0], x.device
    if n <= k:
        if n < k:
            warnings.warn(
                f"k-means: {n} training vectors for {k} centroids; the codebook holds every "
                "training vector and duplicates",
                UserWarning,
                stacklevel=2,
            )
        return x[torch.arange(k, device=dev) % n].clone()
    if k == 1 and iters > 0:
        return x.double().mean(0, keepdim=True).to(x.dtype)
    gen = torch.Generator(device=dev)
    gen.manual_seed(seed)
    init = _kmeanspp(x, k, gen, batch)
    if iters == 0:
        return init

    centres = init
    x_sq = x.square().sum(1)
    labels = None
    for _ in range(iters):
        new_labels, err = _nearest(x, centres, batch, x_sq)
        if labels is not None and torch.equal(new_labels, labels):
            break  # converged: another update would not move any centre
        labels = new_labels
        counts = torch.bincount(labels, minlength=k)
        sums = torch.zeros(k, x.shape[1], dtype=torch.float64, device=dev)
        sums.index_add_(0, labels, x.double())
        means = (sums / counts.clamp_min(1)[:, None]).to(x.dtype)
        centres = torch.where((counts > 0)[:, None], means, centres)
        empty = (counts == 0).nonzero().squeeze(1)
        if empty.numel():  # re-seed with the points farthest from their (updated) centre
            err = (x - centres[labels]).square().sum(1)
            centres[empty] = x[torch.topk(err, empty.numel()).indices]
    return centres


# --------------------------------------------------------------------------- common interface


class Baseline(Protocol):
    """What every baseline coder offers (``encode`` gives ``LongTensor`` codes per patch)."""

    name: str

    @property
    def bits_per_patch(self) -> int: ...

    def fit(
        self, patches: torch.Tensor, *, seed: int = 0, iters: int = 25, max_train: int | None = None
    ) -> Baseline: ...

    def encode(self, patches: torch.Tensor) -> torch.Tensor: ...

    def decode(self, codes: torch.Tensor) -> torch.Tensor: ...

    def state_dict(self) -> dict[str, Any]: ...


def _subsample(patches: torch.Tensor, max_train: int | None, seed: int) -> torch.Tensor:
    if max_train is None or patches.shape[0] <= max_train:
        return patches
    gen = torch.Generator().manual_seed(seed)
    keep = torch.randperm(patches.shape[0], generator=gen)[:max_train].sort().values
    return patches[keep.to(patches.device)]


def _split(total: int, parts: int) -> list[int]:
    """``total`` into ``parts`` integers differing by at most one, the larger ones first."""
    base, extra = divmod(total, parts)
    return [base + (i < extra) for i in range(parts)]


def _check_state(state: dict[str, Any], kind: str) -> None:
    if state.get("kind") != kind:
        raise ValueError(f"not a {kind} state (kind={state.get('kind')!r})")


# --------------------------------------------------------------------------- sub-band VQ


class SubbandVQ:
    """Sub-band vector quantisation of patches ``[N, P*F]`` at exactly ``bits`` per patch.

    The F bins are split into ``n_subbands`` contiguous bands of near-equal width (wider
    bands first); band k's vector is its bins in all P frames (dimension ``P * width_k``),
    coded with a k-means codebook of ``2**bits_per_band[k]`` entries. The budget is spread
    as evenly as possible (lower bands get the odd bits), ``sum(bits_per_band) == bits``.
    By default ``n_subbands = ceil(bits / max_bits_per_band)`` (at most ``n_bins``), e.g.
    312 bits -> 26 bands x 12 bits.
    """

    name = "subband-vq"

    def __init__(
        self,
        patch_frames: int,
        n_bins: int,
        bits: int,
        n_subbands: int | None = None,
        max_bits_per_band: int = 12,
    ) -> None:
        if patch_frames < 1 or n_bins < 1 or bits < 1 or max_bits_per_band < 1:
            raise ValueError("patch_frames, n_bins, bits and max_bits_per_band must be >= 1")
        if n_subbands is None:
            n_subbands = min(math.ceil(bits / max_bits_per_band), n_bins)
        if not 1 <= n_subbands <= min(bits, n_bins):
            raise ValueError(
                f"n_subbands must be in 1..{min(bits, n_bins)} (bits={bits}, n_bins={n_bins}), "
                f"got {n_subbands}"
            )
        self.patch_frames = patch_frames
        self.n_bins = n_bins
        self.bits = bits
        self.n_subbands = n_subbands
        self.max_bits_per_band = max_bits_per_band
        self.bits_per_band = _split(bits, n_subbands)
        if self.bits_per_band[0] > max_bits_per_band:
            raise ValueError(
                f"{bits} bits over {n_subbands} sub-bands needs {self.bits_per_band[0]} bits per band, "
                f"more than max_bits_per_band={max_bits_per_band}"
            )
        widths = _split(n_bins, n_subbands)
        self.edges = [sum(widths[:i]) for i in range(n_subbands + 1)]
        self.codebooks: list[torch.Tensor] = []

    @property
    def bits_per_patch(self) -> int:
        return sum(self.bits_per_band)

    @property
    def fitted(self) -> bool:
        return len(self.codebooks) == self.n_subbands

    @property
    def device(self) -> torch.device:
        return self.codebooks[0].device if self.codebooks else torch.device("cpu")

    def to(self, device: torch.device | str) -> SubbandVQ:
        self.codebooks = [c.to(device) for c in self.codebooks]
        return self

    def _bands(self, patches: torch.Tensor) -> list[torch.Tensor]:
        """Patches ``[N, P*F]`` -> one ``[N, P*width_k]`` tensor per band."""
        dim = self.patch_frames * self.n_bins
        if patches.dim() != 2 or patches.shape[1] != dim:
            raise ValueError(f"expected patches [N, {dim}], got {tuple(patches.shape)}")
        frames = patches.reshape(patches.shape[0], self.patch_frames, self.n_bins)
        return [
            frames[:, :, lo:hi].reshape(patches.shape[0], -1)
            for lo, hi in zip(self.edges[:-1], self.edges[1:])
        ]

    def fit(
        self, patches: torch.Tensor, *, seed: int = 0, iters: int = 25, max_train: int | None = None
    ) -> SubbandVQ:
        """Train one codebook per band on patches ``[N, P*F]`` (at most ``max_train`` of them,
        a seeded random subset); runs on the patches' device.
        """
        patches = _subsample(patches, max_train, seed)
        if patches.dtype != torch.float64:
            patches = patches.float()
        n = patches.shape[0]
        if n < 2 ** max(self.bits_per_band):
            warnings.warn(
                f"SubbandVQ: {n} training patches for codebooks of up to {2 ** max(self.bits_per_band)} "
                "entries; those codebooks hold every training vector plus duplicates",
                UserWarning,
                stacklevel=2,
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            self.codebooks = [
                kmeans(band, 2**b, iters=iters, seed=seed + i).float()
                for i, (band, b) in enumerate(zip(self._bands(patches), self.bits_per_band))
            ]
        return self

    def _need_fit(self) -> None:
        if not self.fitted:
            raise RuntimeError("SubbandVQ is not fitted: call fit() or from_state() first")

    @torch.no_grad()
    def encode(self, patches: torch.Tensor) -> torch.Tensor:
        """Patches ``[N, P*F]`` -> codebook indices ``LongTensor [N, n_subbands]``."""
        self._need_fit()
        bands = self._bands(patches.to(self.device, torch.float32))
        return torch.stack([assign(b, c) for b, c in zip(bands, self.codebooks)], dim=1)

    @torch.no_grad()
    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Codes ``[N, n_subbands]`` -> patches ``[N, P*F]`` (float32)."""
        self._need_fit()
        if codes.dim() != 2 or codes.shape[1] != self.n_subbands:
            raise ValueError(f"expected codes [N, {self.n_subbands}], got {tuple(codes.shape)}")
        codes = codes.to(self.device, torch.long)
        out = torch.empty(codes.shape[0], self.patch_frames, self.n_bins, device=self.device)
        for k, (lo, hi) in enumerate(zip(self.edges[:-1], self.edges[1:])):
            out[:, :, lo:hi] = self.codebooks[k][codes[:, k]].reshape(codes.shape[0], self.patch_frames, -1)
        return out.reshape(codes.shape[0], -1)

    def state_dict(self) -> dict[str, Any]:
        self._need_fit()
        return {
            "kind": self.name,
            "patch_frames": self.patch_frames,
            "n_bins": self.n_bins,
            "bits": self.bits,
            "n_subbands": self.n_subbands,
            "max_bits_per_band": self.max_bits_per_band,
            "bits_per_band": list(self.bits_per_band),
            "edges": list(self.edges),
            "codebooks": [c.detach().cpu() for c in self.codebooks],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> SubbandVQ:
        _check_state(state, cls.name)
        vq = cls(
            int(state["patch_frames"]),
            int(state["n_bins"]),
            int(state["bits"]),
            int(state["n_subbands"]),
            int(state["max_bits_per_band"]),
        )
        if list(state["bits_per_band"]) != vq.bits_per_band or list(state["edges"]) != vq.edges:
            raise ValueError("state's band layout does not match its settings")
        books = [torch.as_tensor(c, dtype=torch.float32) for c in state["codebooks"]]
        for k, (c, b) in enumerate(zip(books, vq.bits_per_band)):
            want = (2**b, vq.patch_frames * (vq.edges[k + 1] - vq.edges[k]))
            if tuple(c.shape) != want:
                raise ValueError(f"codebook {k} has shape {tuple(c.shape)}, expected {want}")
        if len(books) != vq.n_subbands:
            raise ValueError(f"state has {len(books)} codebooks for {vq.n_subbands} sub-bands")
        vq.codebooks = books
        return vq


# --------------------------------------------------------------------------- PCA + scalar quantisation


def _allocate_bits(variances: torch.Tensor, bits: int, max_bits: int) -> list[int]:
    """Reverse water-filling: each bit goes to the component with the largest remaining
    error ``var * 4**-b`` (one bit = -6 dB), at most ``max_bits`` each; sums to ``bits``.
    """
    var = variances.double().tolist()
    alloc = [0] * len(var)
    # heap of (-log2 error, index); zero-variance components come last, by index
    heap = [(-(math.log2(v) if v > 0 else -1e300), i) for i, v in enumerate(var)]
    heapq.heapify(heap)
    for _ in range(bits):
        neg, i = heapq.heappop(heap)
        alloc[i] += 1
        if alloc[i] < max_bits:
            heapq.heappush(heap, (neg + 2.0, i))
    return alloc


def _uniform_quantise(z: torch.Tensor, half: torch.Tensor, levels: torch.Tensor) -> torch.Tensor:
    """Indices of ``z [N, m]`` on ``levels`` uniform cells spanning ``[-half, half]`` per column."""
    step = 2 * half / levels
    q = torch.floor((z + half) / step)
    return torch.minimum(q.clamp_min(0), levels - 1).long()


def _uniform_value(q: torch.Tensor, half: torch.Tensor, levels: torch.Tensor) -> torch.Tensor:
    """Cell centres of indices ``q [N, m]`` (inverse of :func:`_uniform_quantise`)."""
    step = 2 * half / levels
    return -half + (q.to(half.dtype) + 0.5) * step


def _fit_ranges(z: torch.Tensor, levels: torch.Tensor) -> torch.Tensor:
    """Per column of unit-variance ``z [N, m]``, the half-range ``c`` (in std units) of the
    uniform quantiser with the smallest empirical MSE: a log grid over 0.5..8 then a finer
    grid around the best point.
    """

    def errors(cs: torch.Tensor) -> torch.Tensor:  # cs [G] or [G, m] -> [G, m]
        cs = cs.expand(-1, z.shape[1]) if cs.dim() == 2 and cs.shape[1] == 1 else cs
        out = torch.empty(cs.shape[0], z.shape[1], dtype=z.dtype)
        for g in range(cs.shape[0]):
            rec = _uniform_value(_uniform_quantise(z, cs[g], levels), cs[g], levels)
            out[g] = (z - rec).square().mean(0)
        return out

    coarse = torch.logspace(math.log10(0.5), math.log10(8.0), 33, dtype=z.dtype)
    best = coarse[errors(coarse[:, None]).argmin(0)]  # [m]
    ratio = float(coarse[1] / coarse[0])
    fine = best[None, :] * torch.logspace(-math.log10(ratio), math.log10(ratio), 17, dtype=z.dtype)[:, None]
    return fine.gather(0, errors(fine).argmin(0)[None, :]).squeeze(0)


class PCACoder:
    """PCA + uniform scalar quantisation of vectors ``[N, dim]`` at exactly ``bits`` each.

    ``fit`` finds the mean and principal axes, gives integer bits to components by reverse
    water-filling on their variances (at most ``max_bits_per_coef`` each), drops the
    components with 0 bits (decoded as the mean) and, per kept component, fits the range
    ``+-c*std`` of its ``2**b``-level uniform quantiser to minimise the training MSE.
    """

    name = "pca"

    def __init__(self, dim: int, bits: int, max_bits_per_coef: int = 8) -> None:
        if dim < 1 or bits < 1 or max_bits_per_coef < 1:
            raise ValueError("dim, bits and max_bits_per_coef must be >= 1")
        if bits > dim * max_bits_per_coef:
            raise ValueError(f"{bits} bits exceed dim x max_bits_per_coef = {dim} x {max_bits_per_coef}")
        self.dim = dim
        self.bits = bits
        self.max_bits_per_coef = max_bits_per_coef
        self.mean: torch.Tensor | None = None  # [dim]
        self.components: torch.Tensor | None = None  # [dim, n_kept], orthonormal columns
        self.half_range: torch.Tensor | None = None  # [n_kept], in coefficient units
        self.bits_per_coef: list[int] = []  # [n_kept], all >= 1
        self.variances: torch.Tensor | None = None  # [n_kept], training variance of each coefficient

    @property
    def bits_per_patch(self) -> int:
        return sum(self.bits_per_coef) if self.bits_per_coef else self.bits

    @property
    def n_kept(self) -> int:
        return len(self.bits_per_coef)

    @property
    def fitted(self) -> bool:
        return self.components is not None

    @property
    def device(self) -> torch.device:
        return self.mean.device if self.mean is not None else torch.device("cpu")

    def to(self, device: torch.device | str) -> PCACoder:
        for name in ("mean", "components", "half_range", "variances"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, value.to(device))
        return self

    def _check(self, patches: torch.Tensor) -> None:
        if patches.dim() != 2 or patches.shape[1] != self.dim:
            raise ValueError(f"expected patches [N, {self.dim}], got {tuple(patches.shape)}")

    @torch.no_grad()
    def fit(
        self,
        patches: torch.Tensor,
        *,
        seed: int = 0,
        iters: int | None = None,
        max_train: int | None = None,
        range_samples: int = 8192,
    ) -> PCACoder:
        """Fit on patches ``[N, dim]`` (at most ``max_train``, a seeded random subset), on the
        patches' device. Mean and covariance are accumulated in float64 over chunks; with
        ``N < dim`` the axes come from the ``N x N`` Gram matrix instead.
        ``range_samples`` rows fit the quantiser ranges. ``iters`` is accepted (and unused)
        so that every baseline fits with the same arguments.
        """
        del iters
        self._check(patches)
        x = _subsample(patches, max_train, seed)
        x = x if x.dtype == torch.float64 else x.float()
        n, chunk = x.shape[0], 8192
        mean = sum(x[i : i + chunk].double().sum(0) for i in range(0, n, chunk)) / n
        if n < self.dim:  # eigenvectors of the n x n Gram matrix give the axes (cheaper)
            xc = x.double() - mean
            gram_var, u = torch.linalg.eigh(xc @ xc.T / n)
            gram_var, u = gram_var.flip(0), u.flip(1)
            rank = int((gram_var > 1e-10 * gram_var[0].clamp_min(1e-300)).sum())
            var = gram_var[:rank]
            axes = (xc.T @ u[:, :rank]) / (n * var).sqrt()
        else:
            cov = torch.zeros(self.dim, self.dim, dtype=torch.float64, device=x.device)
            for i in range(0, n, chunk):
                xc = (x[i : i + chunk].double() - mean).to(x.dtype)
                cov += (xc.T @ xc).double()  # float32 products, float64 sum over chunks
            var, axes = torch.linalg.eigh(cov / n)
            var, axes = var.flip(0), axes.flip(1)
        var = var.clamp_min(0)
        # with N <= dim there are fewer axes than dimensions: the missing ones have zero
        # variance and get bits only when the budget exceeds rank x max_bits_per_coef, in
        # which case the axes are completed to an orthonormal basis
        var = torch.cat([var, var.new_zeros(self.dim - var.shape[0])])
        alloc = _allocate_bits(var.cpu(), self.bits, self.max_bits_per_coef)
        keep = [i for i, b in enumerate(alloc) if b > 0]
        if max(keep) >= axes.shape[1]:
            rank = axes.shape[1]
            eye = torch.eye(self.dim, dtype=axes.dtype, device=axes.device)
            q = torch.linalg.qr(torch.cat([axes, eye], 1)).Q[:, : self.dim]
            axes = torch.cat([axes, q[:, rank:]], 1)
        keep_t = torch.tensor(keep, device=axes.device)
        comps = axes[:, keep_t].contiguous()
        kvar = var[keep_t]
        std = kvar.sqrt().clamp_min(1e-12)
        levels = torch.tensor([2.0 ** alloc[i] for i in keep], dtype=torch.float64, device=x.device)
        sample = _subsample(x, range_samples, seed + 1).double()
        z = ((sample - mean) @ comps) / std
        c = _fit_ranges(z.cpu(), levels.cpu()).to(x.device)
        self.mean = mean.float()
        self.components = comps.float()
        self.half_range = (c * std).float()
        self.variances = kvar.float()
        self.bits_per_coef = [alloc[i] for i in keep]
        return self

    def _need_fit(self) -> None:
        if not self.fitted:
            raise RuntimeError("PCACoder is not fitted: call fit() or from_state() first")

    def _levels(self) -> torch.Tensor:
        return torch.tensor([2.0**b for b in self.bits_per_coef], device=self.device)

    @torch.no_grad()
    def encode(self, patches: torch.Tensor) -> torch.Tensor:
        """Patches ``[N, dim]`` -> quantiser indices ``LongTensor [N, n_kept]``
        (column j in ``0 .. 2**bits_per_coef[j] - 1``).
        """
        self._need_fit()
        self._check(patches)
        z = (patches.to(self.device, torch.float32) - self.mean) @ self.components
        return _uniform_quantise(z, self.half_range, self._levels())

    @torch.no_grad()
    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Indices ``[N, n_kept]`` -> patches ``[N, dim]`` (float32)."""
        self._need_fit()
        if codes.dim() != 2 or codes.shape[1] != self.n_kept:
            raise ValueError(f"expected codes [N, {self.n_kept}], got {tuple(codes.shape)}")
        z = _uniform_value(codes.to(self.device), self.half_range, self._levels())
        return z @ self.components.T + self.mean

    def state_dict(self) -> dict[str, Any]:
        self._need_fit()
        return {
            "kind": self.name,
            "dim": self.dim,
            "bits": self.bits,
            "max_bits_per_coef": self.max_bits_per_coef,
            "bits_per_coef": list(self.bits_per_coef),
            "mean": self.mean.detach().cpu(),
            "components": self.components.detach().cpu(),
            "half_range": self.half_range.detach().cpu(),
            "variances": self.variances.detach().cpu(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PCACoder:
        _check_state(state, cls.name)
        pca = cls(int(state["dim"]), int(state["bits"]), int(state["max_bits_per_coef"]))
        bits_per_coef = [int(b) for b in state["bits_per_coef"]]
        m = len(bits_per_coef)
        if sum(bits_per_coef) != pca.bits or min(bits_per_coef) < 1:
            raise ValueError(f"state's bits per coefficient do not sum to {pca.bits}")
        comps = torch.as_tensor(state["components"], dtype=torch.float32)
        if tuple(comps.shape) != (pca.dim, m):
            raise ValueError(f"components have shape {tuple(comps.shape)}, expected {(pca.dim, m)}")
        pca.bits_per_coef = bits_per_coef
        pca.mean = torch.as_tensor(state["mean"], dtype=torch.float32)
        pca.components = comps
        pca.half_range = torch.as_tensor(state["half_range"], dtype=torch.float32)
        pca.variances = torch.as_tensor(state["variances"], dtype=torch.float32)
        return pca


# --------------------------------------------------------------------------- registry

BASELINES: dict[str, type] = {"subband-vq": SubbandVQ, "pca": PCACoder}


def build_baseline(name: str, patch_frames: int, n_bins: int, bits: int) -> SubbandVQ | PCACoder:
    """An unfitted baseline coding patches ``[N, patch_frames * n_bins]`` in ``bits`` bits."""
    if name == "subband-vq":
        return SubbandVQ(patch_frames, n_bins, bits)
    if name == "pca":
        return PCACoder(patch_frames * n_bins, bits)
    raise ValueError(f"unknown baseline {name!r}; known baselines: {', '.join(sorted(BASELINES))}")


def from_state(state: dict[str, Any]) -> SubbandVQ | PCACoder:
    """Rebuild whichever baseline ``state`` (a ``state_dict()``) describes."""
    kind = state.get("kind")
    if kind not in BASELINES:
        raise ValueError(f"unknown baseline {kind!r}; known baselines: {', '.join(sorted(BASELINES))}")
    return BASELINES[kind].from_state(state)
