"""The adversarial AE's training step (one objective for the encoder) and the aggregate-posterior test q(z) vs p(z)."""
from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from genviz.autoencoders import analysis, losses
from genviz.core import registry
from genviz.core.evaluation import evaluate_model
from genviz.core.optim import adam
from genviz.core.train import TrainParams

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _build(kind: str, **values):
    spec = registry.get(kind)
    config = spec.make_config((1, 8, 8), 10, **{"latent_dim": 4, "hidden": 16, **values})
    gen = torch.Generator().manual_seed(0)
    model = spec.build(config)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.1)
    return model, spec.recipe(config)


def test_aae_with_zero_adversarial_weight_takes_exactly_the_reconstruction_step():
    """The encoder's adversarial loss lives in the autoencoder's objective: at w = 0 only reconstruction moves
    E and the decoder (a separate adversarial Adam step used to move the encoder by ≈ lr whatever its gradient)."""
    aae, recipe = _build("aae", adv_weight=0.0)
    twin = copy.deepcopy(aae)
    x = torch.rand(16, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    opts = recipe.optimizers(aae, TrainParams(lr=1e-2))
    assert set(opts) == {"ae", "disc"}
    ref = adam(list(twin.encoder.parameters()) + list(twin.decoder.parameters()), 1e-2)
    disc_before = copy.deepcopy(aae.discriminator.state_dict())
    for _ in range(3):
        recipe.step(aae, opts, (x,), torch.Generator().manual_seed(2), None)
        ref.zero_grad(set_to_none=True)
        losses.reconstruction_loss(twin(x).recon_logits, x, "bce").backward()
        ref.step()
    for a, b in zip(list(aae.encoder.parameters()) + list(aae.decoder.parameters()),
                    list(twin.encoder.parameters()) + list(twin.decoder.parameters())):
        assert torch.allclose(a, b, atol=1e-6)
    assert any(not torch.equal(v, aae.discriminator.state_dict()[k]) for k, v in disc_before.items())  # D still learns


class _Codes(nn.Module):
    """A stand-in 'encoder' whose codes are its input rows."""

    prior = "gaussian"

    def __init__(self):
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(1))

    def encode(self, x):
        return x


def test_rbf_mmd2_matches_the_unbiased_formula():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(7, 2, generator=g, dtype=torch.float64), torch.randn(5, 2, generator=g, dtype=torch.float64) + 1
    pooled = torch.cat([x, y])
    k = torch.exp(-torch.cdist(pooled, pooled).pow(2) / 2)
    kxx, kyy, kxy = k[:7, :7], k[7:, 7:], k[:7, 7:]
    expected = ((kxx.sum() - 7) / 42 + (kyy.sum() - 5) / 20 - 2 * kxy.mean())
    mask = torch.zeros(1, 12, dtype=torch.bool)
    mask[0, :7] = True
    assert float(analysis.rbf_mmd2(k, mask)[0]) == pytest.approx(float(expected), abs=1e-12)


def test_prior_match_tells_shifted_codes_from_matched_ones():
    g = torch.Generator().manual_seed(5)
    matched = analysis.prior_match(_Codes(), torch.randn(400, 3, generator=g), n=300, permutations=99)
    shifted = analysis.prior_match(_Codes(), torch.randn(400, 3, generator=g) * 0.5 + 1.0, n=300, permutations=99)
    assert matched.matched and matched.p_value > 0.05 and abs(matched.mmd2) < 0.01 and matched.ks_max < 0.1
    assert not shifted.matched and shifted.p_value == pytest.approx(0.01) and shifted.mmd2 > 0.1
    assert "is pushed to the prior" in matched.verdict() and "not matched" in shifted.verdict()
    codes, draws, explained = analysis.projected_codes(torch.randn(50, 5, generator=g), torch.randn(50, 5, generator=g))
    assert codes.shape == draws.shape == (50, 2) and explained[0] >= explained[1] > 0


def test_evaluate_reports_the_prior_match_and_class_balance_of_an_aae(digits):
    model, _ = _build("aae")
    metrics = evaluate_model("aae", model.eval(), model.config, digits)
    assert {"prior_mmd2", "prior_mmd2_reference", "prior_mmd_p", "prior_ks_max"} <= set(metrics)
    assert "sample_class_ratio" in metrics and metrics["sample_class_ratio"] >= 1
