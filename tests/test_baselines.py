"""Baseline coders (sub-band VQ, PCA) and k-means: exact bit budgets, k-means behaviour,
state round trips, and rate/distortion on real speech patches."""

from __future__ import annotations

import math
import warnings

import pytest
import torch

from specae import baselines, features, patches
from specae.baselines import BASELINES, PCACoder, SubbandVQ, assign, build_baseline, distortion, kmeans

BUDGETS = (312, 100, 37, 8)


def correlated(n: int, dim: int, seed: int = 0, decay: float = 0.85) -> torch.Tensor:
    """Zero-mean Gaussian vectors with an AR(1)-like covariance (unit variance per column)."""
    gen = torch.Generator().manual_seed(seed)
    idx = torch.arange(dim, dtype=torch.float64)
    cov = decay ** (idx[:, None] - idx[None, :]).abs()
    chol = torch.linalg.cholesky(cov)
    return (torch.randn(n, dim, generator=gen, dtype=torch.float64) @ chol.T).float()


def mse(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).double().square().mean())


# --------------------------------------------------------------------------- k-means


def test_assign_matches_brute_force_and_chunking():
    x, c = correlated(3000, 6, seed=1), correlated(50, 6, seed=2)
    brute = torch.cdist(x.double(), c.double()).argmin(1)
    assert assign(x, c).dtype == torch.long
    assert torch.equal(assign(x, c), brute)
    assert torch.equal(assign(x, c, batch=7), brute)


def test_kmeans_distortion_falls_with_iterations():
    x = correlated(4000, 8, seed=3)
    dist = [distortion(x, kmeans(x, 64, iters=it, seed=0)) for it in (0, 1, 2, 4, 8, 16)]
    for before, after in zip(dist, dist[1:]):
        assert after <= before * (1 + 1e-6), dist
    assert dist[-1] < 0.9 * dist[0], dist


def test_kmeans_distortion_falls_with_k():
    x = correlated(4000, 8, seed=4)
    dist = [distortion(x, kmeans(x, k, iters=10)) for k in (4, 16, 64, 256)]
    assert all(b < a for a, b in zip(dist, dist[1:])), dist


def test_kmeans_deterministic_and_shapes():
    x = correlated(2000, 5, seed=5)
    a, b = kmeans(x, 32, iters=5, seed=7), kmeans(x, 32, iters=5, seed=7)
    assert a.shape == (32, 5) and a.dtype == torch.float32
    assert torch.equal(a, b)
    assert not torch.equal(a, kmeans(x, 32, iters=5, seed=8))
    assert kmeans(x.double(), 4, iters=2).dtype == torch.float64
    assert torch.allclose(kmeans(x, 1), x.mean(0, keepdim=True), atol=1e-6)


def test_kmeans_duplicates_and_too_few_points():
    # 40 distinct points repeated: more centroids than distinct points, no NaN, zero error
    base = correlated(40, 4, seed=6)
    x = base.repeat(10, 1)
    c = kmeans(x, 64, iters=5)
    assert c.shape == (64, 4) and torch.isfinite(c).all()
    assert distortion(x, c) < 1e-10
    # fewer points than centroids: warns, every point is a centroid
    with pytest.warns(UserWarning, match="training vectors"):
        c = kmeans(base, 64)
    assert c.shape == (64, 4) and distortion(base, c) == 0.0


def test_kmeans_rejects_bad_input():
    with pytest.raises(ValueError):
        kmeans(torch.zeros(10), 2)
    with pytest.raises(ValueError):
        kmeans(torch.zeros(10, 2), 0)
    with pytest.raises(ValueError):
        assign(torch.zeros(10, 2), torch.zeros(4, 3))


# --------------------------------------------------------------------------- bit budgets


@pytest.mark.parametrize("bits", BUDGETS)
def test_subband_layout_exact(bits):
    vq = SubbandVQ(9, 257, bits)
    assert vq.bits_per_patch == bits == sum(vq.bits_per_band)
    assert len(vq.bits_per_band) == vq.n_subbands == math.ceil(bits / 12)
    assert max(vq.bits_per_band) <= 12 and max(vq.bits_per_band) - min(vq.bits_per_band) <= 1
    widths = [hi - lo for lo, hi in zip(vq.edges[:-1], vq.edges[1:])]
    assert vq.edges[0] == 0 and vq.edges[-1] == 257 and max(widths) - min(widths) <= 1
    if bits == 312:
        assert vq.bits_per_band == [12] * 26


@pytest.mark.parametrize("bits", BUDGETS)
def test_subband_fit_exact_budget(bits):
    # 3 frames x 40 bins: 312 bits -> 26 bands of 1-2 bins, codebooks up to 4096 entries
    n_frames, n_bins = 3, 40
    x = correlated(1500, n_frames * n_bins, seed=bits)
    vq = SubbandVQ(n_frames, n_bins, bits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 1500 vectors < 4096-entry codebooks
        vq.fit(x, iters=3)
    assert vq.bits_per_patch == bits
    assert [c.shape[0] for c in vq.codebooks] == [2**b for b in vq.bits_per_band]
    codes = vq.encode(x[:100])
    assert codes.dtype == torch.long and codes.shape == (100, vq.n_subbands)
    assert (codes >= 0).all() and (codes < torch.tensor([2**b for b in vq.bits_per_band])).all()
    dec = vq.decode(codes)
    assert dec.dtype == torch.float32 and dec.shape == (100, n_frames * n_bins)


@pytest.mark.parametrize("bits", BUDGETS)
def test_pca_exact_budget(bits):
    x = correlated(3000, 60, seed=bits)
    pca = PCACoder(60, bits).fit(x)
    assert pca.bits_per_patch == bits == sum(pca.bits_per_coef)
    assert min(pca.bits_per_coef) >= 1 and max(pca.bits_per_coef) <= 8
    codes = pca.encode(x[:100])
    assert codes.dtype == torch.long and codes.shape == (100, pca.n_kept)
    assert (codes >= 0).all() and (codes < 2 ** torch.tensor(pca.bits_per_coef)).all()
    dec = pca.decode(codes)
    assert dec.dtype == torch.float32 and dec.shape == (100, 60)


def test_pca_bits_follow_reverse_water_filling():
    x = correlated(5000, 30, seed=9)
    pca = PCACoder(30, 64).fit(x)
    var = pca.variances.double()
    bits = torch.tensor(pca.bits_per_coef, dtype=torch.float64)
    assert (bits[:-1] >= bits[1:]).all()  # components come by decreasing variance
    # no bit could move to a better place: the error a last bit removed is never smaller
    # than the error the next bit would remove anywhere else (dropped components included)
    last_gain = (var * 4.0 ** -(bits - 1)).min()
    dropped = torch.linalg.eigvalsh(torch.cov(x.double().T, correction=0)).flip(0)[pca.n_kept :]
    open_err = torch.cat([(var * 4.0**-bits)[bits < 8], dropped])
    assert open_err.max() <= last_gain * (1 + 1e-6)


def test_pca_one_bit_range_is_gaussian_optimum():
    # iid unit Gaussian, 1 bit per coefficient: best levels are +-0.798 (range +-1.596),
    # MSE 1 - 2/pi = 0.363
    x = torch.randn(20_000, 4, generator=torch.Generator().manual_seed(10))
    pca = PCACoder(4, 4).fit(x, range_samples=20_000)
    assert pca.bits_per_coef == [1, 1, 1, 1]
    ratio = pca.half_range / pca.variances.sqrt()
    assert ((ratio > 1.45) & (ratio < 1.75)).all(), ratio
    assert abs(mse(pca.decode(pca.encode(x)), x) - (1 - 2 / math.pi)) < 0.02


def test_pca_distortion_falls_with_bits():
    x = correlated(4000, 40, seed=11)
    errs = [mse(c.decode(c.encode(x)), x) for c in (PCACoder(40, b).fit(x) for b in (8, 37, 100, 312))]
    assert all(b < a for a, b in zip(errs, errs[1:])), errs
    assert errs[-1] < 1e-3


def test_pca_fewer_vectors_than_dimensions():
    x = correlated(20, 50, seed=13)
    low = PCACoder(50, 40).fit(x)  # bits go to the <= 19 axes the data spans
    assert low.n_kept <= 19 and low.bits_per_patch == 40
    full = PCACoder(50, 400).fit(x)  # more bits than the data's rank can use: basis completed
    assert full.n_kept == 50 and full.bits_per_patch == 400
    eye = torch.eye(50, dtype=torch.float64)
    assert torch.allclose(full.components.double().T @ full.components.double(), eye, atol=1e-5)
    assert mse(full.decode(full.encode(x)), x) < 1e-3


def test_budget_errors_and_registry():
    with pytest.raises(ValueError, match="max_bits_per_band"):
        SubbandVQ(9, 10, 200)  # 10 bins x 12 bits < 200
    with pytest.raises(ValueError, match="n_subbands"):
        SubbandVQ(9, 257, 8, n_subbands=9)
    with pytest.raises(ValueError):
        PCACoder(10, 81)  # 10 coefficients x 8 bits < 81
    with pytest.raises(ValueError, match="pca.*subband-vq"):
        build_baseline("lpc", 9, 257, 312)
    assert set(BASELINES) == {"subband-vq", "pca"}
    for name, cls in BASELINES.items():
        coder = build_baseline(name, 9, 257, 312)
        assert isinstance(coder, cls) and coder.name == name and coder.bits_per_patch == 312
    with pytest.raises(RuntimeError, match="not fitted"):
        SubbandVQ(2, 8, 16).encode(torch.zeros(1, 16))


# --------------------------------------------------------------------------- state round trip


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_state_round_trip(tmp_path, name):
    n_frames, n_bins, bits = 3, 16, 37
    x = correlated(1200, n_frames * n_bins, seed=12)
    coder = build_baseline(name, n_frames, n_bins, bits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        coder.fit(x, iters=3)
    path = tmp_path / "baseline.pt"
    torch.save(coder.state_dict(), path)
    state = torch.load(path, weights_only=True)
    for again in (type(coder).from_state(state), baselines.from_state(state)):
        assert type(again) is type(coder) and again.bits_per_patch == bits
        codes = coder.encode(x[:200])
        assert torch.equal(again.encode(x[:200]), codes)
        assert torch.equal(again.decode(codes), coder.decode(codes))
    with pytest.raises(ValueError):
        BASELINES[next(n for n in BASELINES if n != name)].from_state(state)


# --------------------------------------------------------------------------- real speech


@pytest.fixture(scope="module")
def speech_patches(speech16k):
    """Normalised P=9, H=1 patches of speech_orig_16k: (train [N, 2313], test [M, 2313])."""
    wave, _ = speech16k
    frames = features.Frontend(features.FeatureConfig())(wave)
    cut = int(0.8 * frames.shape[0])
    norm = features.Normalizer(frames.shape[1])
    norm.update(frames[:cut])
    normed = norm.apply(frames)
    return patches.to_patches(normed[:cut], 9, 1), patches.to_patches(normed[cut:], 9, 1)


def test_subband_vq_on_speech_more_bits_less_error(speech_patches):
    train, test = speech_patches
    errs = {}
    for bits in (78, 312):
        vq = SubbandVQ(9, 257, bits)
        with pytest.warns(UserWarning, match="training patches"):  # ~860 patches < 2**11
            vq.fit(train)
        assert vq.bits_per_patch == bits
        errs[bits] = mse(vq.decode(vq.encode(test)), test)
    print(f"\nsub-band VQ test MSE: {errs}")
    assert errs[312] < errs[78] < float(test.square().mean())


def test_pca_on_speech_more_bits_less_error(speech_patches):
    train, test = speech_patches
    errs = {}
    for bits in (78, 312):
        pca = PCACoder(9 * 257, bits).fit(train)
        assert pca.bits_per_patch == bits
        errs[bits] = mse(pca.decode(pca.encode(test)), test)
    print(f"\nPCA test MSE: {errs}")
    assert errs[312] < errs[78] < float(test.square().mean())
