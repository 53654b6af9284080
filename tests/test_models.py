"""The autoencoder, its code layers, RBMs and layer-wise pretraining, on real speech frames."""

import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from specae import audio
from specae.features import FeatureConfig, Frontend, Normalizer
from specae.models.autoencoder import StackedAutoencoder
from specae.models.config import ModelConfig
from specae.models.pretrain import PretrainSettings, pretrain
from specae.models.rbm import RBM, train_rbm
from specae.patches import to_patches


@pytest.fixture(scope="module")
def patches(speech8k_paths):
    """Normalised 3-frame patches of real 8 kHz speech, [N, 3*129]."""
    cfg = FeatureConfig.from_settings({"sample_rate": 8000})
    fe = Frontend(cfg)
    frames = [fe(audio.load(p, 8000)[0]) for p in speech8k_paths]
    norm = Normalizer(cfg.n_bins)
    for f in frames:
        norm.update(f)
    return torch.cat([to_patches(norm.apply(f), 3, 1) for f in frames])


def _batches(x, size=128):
    def gen(epoch):
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(epoch))
        for i in range(0, len(x), size):
            yield x[order[i:i + size]]
    return gen


@pytest.mark.parametrize("code,bits,dtype,values", [
    ("binary", 24, torch.uint8, {0, 1}),
    ("quantized", 24, torch.uint8, {0, 1, 2, 3}),
])
def test_codes_are_exact_levels(code, bits, dtype, values):
    cfg = ModelConfig(patch_frames=2, hidden=[16], code=code, code_bits=bits, code_levels=4)
    ae = StackedAutoencoder(cfg, 5)
    x = torch.randn(200, 10) * 5
    codes = ae.encode(x)
    assert codes.dtype == dtype and codes.shape == (200, cfg.code_units)
    assert set(codes.unique().tolist()) <= values
    assert ae.decode(codes).shape == (200, 10)


def test_real_codes_and_bit_accounting():
    cfg = ModelConfig(patch_frames=2, hidden=[16], code="real", code_bits=160)
    assert cfg.code_units == 10 and cfg.bits_per_unit == 16
    assert ModelConfig(code="quantized", code_bits=312, code_levels=8).code_units == 104
    with pytest.raises(ValueError, match="not a multiple"):
        ModelConfig(code="quantized", code_bits=313, code_levels=4)
    ae = StackedAutoencoder(cfg, 5)
    assert ae.encode(torch.randn(3, 10)).dtype == torch.float16


def test_hard_training_path_matches_emitted_codes():
    """With hard=True the decoder sees exactly what decode(encode(x)) feeds it."""
    ae = StackedAutoencoder(ModelConfig(patch_frames=1, hidden=[8], code_bits=6), 4)
    x = torch.randn(50, 4)
    torch.testing.assert_close(ae(x, hard=True), ae.decode(ae.encode(x)))


def test_tied_decoder_uses_encoder_weights():
    ae = StackedAutoencoder(ModelConfig(patch_frames=1, hidden=[8], code_bits=6, tied=True), 4)
    w, _ = ae.decoder_layer(0)
    assert w.data_ptr() == ae.encoder[0].weight.data_ptr()


def test_rbm_cd1_lowers_reconstruction_error(patches):
    torch.manual_seed(0)
    rbm = RBM(patches.shape[1], 64, gaussian_visible=True)
    errors = train_rbm(rbm, _batches(patches), epochs=4, lr=0.002)
    assert errors[-1] < 0.8 * errors[0]
    bb = RBM(64, 32)
    hidden = rbm.hidden_probs(patches)
    errors_bb = train_rbm(bb, _batches(hidden), epochs=4, lr=0.05)
    assert errors_bb[-1] < errors_bb[0]


def _loss(ae, x):
    with torch.no_grad():
        return F.mse_loss(ae(x), x).item()


def test_rbm_initialisation_beats_random_and_finetuning_lowers_loss(patches):
    cfg = ModelConfig(patch_frames=3, hidden=[128, 64], code_bits=32)
    torch.manual_seed(0)
    random_init = StackedAutoencoder(cfg, 129)
    torch.manual_seed(0)
    rbm_init = StackedAutoencoder(cfg, 129)
    pretrain(rbm_init, _batches(patches), PretrainSettings("rbm", epochs=3))
    assert _loss(rbm_init, patches) < _loss(random_init, patches)
    before = _loss(rbm_init, patches)
    opt = torch.optim.Adam(rbm_init.parameters(), lr=1e-3)
    for x in _batches(patches)(0):
        loss = F.mse_loss(rbm_init(x), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert _loss(rbm_init, patches) < before


def test_ae_pretraining_runs_and_helps(patches):
    cfg = ModelConfig(patch_frames=3, hidden=[64], code_bits=16, activation="gelu")
    torch.manual_seed(0)
    ae = StackedAutoencoder(cfg, 129)
    before = _loss(ae, patches)
    pretrain(ae, _batches(patches), PretrainSettings("ae", epochs=2))
    assert _loss(ae, patches) < before
    with pytest.raises(ValueError, match="logistic"):
        pretrain(ae, _batches(patches), PretrainSettings("rbm", epochs=1))
