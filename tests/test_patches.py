import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from specae.patches import num_patches, overlap_add, to_patches


@settings(max_examples=200, deadline=None)
@given(data=st.data(), size=st.integers(1, 13), n_frames=st.integers(1, 60),
       n_bins=st.integers(1, 5))
def test_overlap_add_inverts_to_patches(data, size, n_frames, n_bins):
    hop = data.draw(st.integers(1, size))
    x = torch.randn(n_frames, n_bins, generator=torch.Generator().manual_seed(n_frames))
    patches = to_patches(x, size, hop)
    assert patches.shape == (num_patches(n_frames, size, hop), size * n_bins)
    torch.testing.assert_close(overlap_add(patches, size, hop, n_frames), x)


def test_layout_and_padding_policy():
    x = torch.arange(10.0).reshape(5, 2)  # 5 frames, 2 bins
    p = to_patches(x, 3, 2)
    # patches start at frames 0 and 2; the second reaches frame 4: no padding needed
    assert p.tolist() == [[0, 1, 2, 3, 4, 5], [4, 5, 6, 7, 8, 9]]
    p = to_patches(x, 4, 3)  # starts 0 and 3 -> needs frames 0..6: pad by repeating frame 4
    assert p[1].tolist() == [6, 7, 8, 9, 8, 9, 8, 9]
    assert to_patches(x[:1], 9, 1).shape == (1, 18)  # shorter than one patch: one padded patch


def test_overlap_add_averages():
    patches = torch.tensor([[1.0, 1.0], [3.0, 3.0]])  # P=2, F=1, H=1 -> frame 1 is the mean
    assert overlap_add(patches, 2, 1, 3).flatten().tolist() == [1.0, 2.0, 3.0]


def test_bad_geometry():
    with pytest.raises(ValueError, match="exceeds patch size"):
        to_patches(torch.zeros(5, 2), 2, 3)
    with pytest.raises(ValueError, match=">= 1"):
        to_patches(torch.zeros(5, 2), 0, 1)
    with pytest.raises(ValueError, match="fewer than"):
        overlap_add(torch.zeros(1, 4), 2, 1, 5)
