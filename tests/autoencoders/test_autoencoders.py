"""Autoencoder family: shapes and determinism per kind and body, losses against hand-computed values,
training lowers the loss, bad settings give a sentence, a diverging VAE keeps its last good weights."""
from __future__ import annotations

import math

import pytest
import torch

from genviz.autoencoders import losses
from genviz.autoencoders.models import DiagonalGaussian, corrupt, prior_log_density, sample_prior
from genviz.core import registry
from genviz.core.errors import CheckpointError, ConfigError, TrainingDiverged
from genviz.core.train import TensorSplit, TrainParams, fit

KINDS = ("ae", "dae", "sae-l1", "sae-kl", "vae", "aae")
SHAPES = ((1, 8, 8), (1, 28, 28), (3, 32, 32))


def _model(kind: str, shape=(1, 8, 8), seed: int = 0, **values):
    spec = registry.get(kind)
    config = spec.make_config(shape, 10, **{"latent_dim": 4, "hidden": 8, **values})
    torch.manual_seed(seed)
    return spec.build(config), spec.recipe(config), config


def test_every_kind_is_registered_as_an_autoencoder():
    assert {s.kind for s in registry.kinds("autoencoder")} >= set(KINDS)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("body", ("mlp", "conv"))
@pytest.mark.parametrize("kind", KINDS)
def test_shapes_and_determinism(kind, body, shape):
    model, _, config = _model(kind, shape, body=body)
    x = torch.rand(3, *shape, generator=torch.Generator().manual_seed(1))
    z = model.encode(x)
    assert z.shape == (3, config.latent_dim)
    pixels = model.decode(z).detach()
    assert pixels.shape == x.shape and 0 <= float(pixels.min()) and float(pixels.max()) <= 1
    out = model(x)
    assert out.recon_logits.shape == x.shape and hasattr(out, "_fields")  # a named record
    assert torch.equal(model.reconstruct(x), model.reconstruct(x))
    s1 = model.sample(5, torch.Generator().manual_seed(3))
    s2 = model.sample(5, torch.Generator().manual_seed(3))
    assert s1.shape == (5, *shape) and torch.equal(s1, s2)
    twin, _, _ = _model(kind, shape, body=body)  # same seed → same weights → same output
    assert torch.equal(twin.reconstruct(x), model.reconstruct(x))


def test_conv_decoder_uses_transposed_convolutions():
    model, _, _ = _model("vae", (1, 28, 28), body="conv")
    assert any(isinstance(m, torch.nn.ConvTranspose2d) for m in model.decoder.modules())


def test_vae_posterior_record_and_reparameterisation():
    model, _, _ = _model("vae")
    x = torch.rand(2, 1, 8, 8)
    q = model.posterior(x)
    assert isinstance(q, DiagonalGaussian) and q.mu.shape == q.logvar.shape == (2, 4)
    assert torch.equal(model.encode(x), q.mu) and torch.equal(q.mode(), q.mu)
    a, b = q.sample(torch.Generator().manual_seed(0)), q.sample(torch.Generator().manual_seed(0))
    assert torch.equal(a, b) and not torch.equal(a, q.mu)
    assert torch.allclose(q.kl(), losses.kl_to_standard_normal(q.mu, q.logvar, reduction="none"))
    out = model(x, torch.Generator().manual_seed(0))
    assert out._fields == ("recon_logits", "mu", "logvar", "z")
    mu = torch.zeros(1, 3, requires_grad=True)
    logvar = torch.zeros(1, 3, requires_grad=True)
    DiagonalGaussian(mu, logvar).sample(torch.Generator().manual_seed(0)).sum().backward()
    assert mu.grad is not None and logvar.grad is not None and float(logvar.grad.abs().sum()) > 0


# ---- losses against hand-computed values ----------------------------------------------------


def test_kl_to_standard_normal_closed_form():
    mu = torch.tensor([[1.0, 0.0]])
    logvar = torch.tensor([[0.0, math.log(2.0)]])
    # ½[(1 + 1 − 0 − 1) + (0 + 2 − log 2 − 1)] = 1 − ½ log 2
    assert float(losses.kl_to_standard_normal(mu, logvar)) == pytest.approx(1 - 0.5 * math.log(2), abs=1e-6)
    assert float(losses.kl_to_standard_normal(torch.zeros(4, 3), torch.zeros(4, 3))) == 0.0


def test_kl_is_per_image_with_true_gradients_for_any_latent_shape():
    """Flat and convolutional latents; float64 stays float64 (so gradcheck is exact); bf16 codes give an fp32
    KL and bf16 gradients."""
    for shape in ((5, 3), (3, 2, 2, 2)):
        mu = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
        logvar = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
        per_image = losses.kl_to_standard_normal(mu, logvar, "none")
        assert per_image.shape == (shape[0],)
        assert torch.allclose(per_image, 0.5 * (mu**2 + logvar.exp() - logvar - 1).flatten(1).sum(1))
        assert torch.autograd.gradcheck(lambda m, v: losses.kl_to_standard_normal(m, v, "none"), (mu, logvar))
        assert torch.autograd.gradcheck(losses.kl_to_standard_normal, (mu, logvar))
    codes = torch.randn(4, 6, dtype=torch.bfloat16, requires_grad=True)
    kl = losses.kl_to_standard_normal(codes, codes)
    kl.backward()
    assert kl.dtype == torch.float32 and codes.grad.dtype == torch.bfloat16


def test_kl_closed_form_matches_monte_carlo():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.tensor([[0.5, -1.0]]), torch.tensor([[-0.5, 0.3]])
    q = DiagonalGaussian(mu.expand(200_000, 2), logvar.expand(200_000, 2))
    z = q.sample(g)
    log_q = (-0.5 * ((z - mu) ** 2 / logvar.exp() + logvar + math.log(2 * math.pi))).sum(1)
    log_p = (-0.5 * (z**2 + math.log(2 * math.pi))).sum(1)
    assert float((log_q - log_p).mean()) == pytest.approx(float(losses.kl_to_standard_normal(mu, logvar)), abs=0.01)


def test_bernoulli_kl_and_kl_sparsity_by_hand():
    rho = 0.05
    expected = rho * math.log(rho / 0.2) + (1 - rho) * math.log((1 - rho) / 0.8)
    assert float(losses.bernoulli_kl(rho, torch.tensor(0.2))) == pytest.approx(expected, rel=1e-5)
    codes = torch.tensor([[0.1, 0.05], [0.3, 0.05]])  # ρ̂ = (0.2, 0.05): the second unit costs nothing
    assert float(losses.kl_sparsity(codes, rho)) == pytest.approx(expected, rel=1e-5)
    assert float(losses.kl_sparsity(torch.zeros(4, 3), rho)) > 0  # dead units are penalised, finitely
    assert math.isfinite(float(losses.kl_sparsity(torch.zeros(4, 3), rho)))


def test_l1_reconstruction_elbo_and_aae_losses_by_hand():
    z = torch.tensor([[1.0, -2.0, 0.0], [0.5, 0.5, 0.0]])
    assert float(losses.l1_sparsity(z)) == pytest.approx((3.0 + 1.0) / 2)
    x = torch.tensor([[[[0.0, 1.0], [1.0, 0.0]]]])
    assert float(losses.reconstruction_loss(torch.zeros_like(x), x)) == pytest.approx(4 * math.log(2), rel=1e-6)
    assert float(losses.reconstruction_loss(torch.zeros_like(x), x, "mse")) == pytest.approx(4 * 0.25)
    mu, logvar = torch.tensor([[1.0]]), torch.tensor([[0.0]])
    t = losses.elbo_loss(torch.zeros_like(x), x, mu, logvar, beta=3.0)
    assert float(t.recon) == pytest.approx(4 * math.log(2), rel=1e-6) and float(t.kl) == pytest.approx(0.5)
    assert float(t.loss) == pytest.approx(4 * math.log(2) + 1.5, rel=1e-6)
    zero = torch.zeros(5)
    assert float(losses.aae_discriminator_loss(zero, zero)) == pytest.approx(2 * math.log(2), rel=1e-6)
    assert float(losses.aae_encoder_adversarial_loss(zero)) == pytest.approx(math.log(2), rel=1e-6)


def test_corruption_and_mixture_prior():
    x = torch.full((2, 1, 8, 8), 0.5)
    g = torch.Generator().manual_seed(0)
    masked = corrupt(x, "mask", 0.5, g)
    assert 0.3 < float((masked == 0).float().mean()) < 0.7 and torch.equal(x, torch.full_like(x, 0.5))
    noisy = corrupt(x, "gaussian", 0.3, g)
    assert float(noisy.min()) >= 0 and float(noisy.max()) <= 1 and float((noisy - x).abs().mean()) > 0.1
    assert torch.equal(corrupt(x, "gaussian", 0.0, g), x)
    # The 2-D mixture is a density (integrates to ~1) and its draws land near the 10 centres (radius 3).
    grid = torch.linspace(-6, 6, 241)
    gx, gy = torch.meshgrid(grid, grid, indexing="ij")
    p = prior_log_density("mixture", torch.stack([gx.flatten(), gy.flatten()], 1)).exp()
    assert float(p.sum() * (grid[1] - grid[0]) ** 2) == pytest.approx(1.0, abs=0.01)
    r = sample_prior("mixture", 2000, 2, torch.Generator().manual_seed(0)).norm(dim=1)
    assert float(r.mean()) == pytest.approx(3.0, abs=0.1)


# ---- training -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_loss_decreases_in_a_few_steps(kind, digits):
    model, recipe, _ = _model(kind, digits.image_shape, latent_dim=2 if kind == "aae" else 8, hidden=32)
    split = TensorSplit((digits.x_train[:512], digits.y_train[:512]), (digits.x_test[:64], digits.y_test[:64]))
    before = recipe.evaluate(model, split.test, torch.Generator().manual_seed(0))["loss"]
    records = list(fit(model, recipe, split, TrainParams(max_steps=40, batch_size=64, lr=3e-3, log_every=10)))
    after = records[-1].test_metrics["loss"]
    assert after < before - 3, (before, after)
    assert records[-1].metrics["loss"] < records[0].metrics["loss"]


def test_vae_metrics_split_the_elbo(digits):
    model, recipe, _ = _model("vae", digits.image_shape)
    m = recipe.evaluate(model, (digits.x_test[:50],), torch.Generator().manual_seed(0))
    assert m["loss"] == pytest.approx(m["recon"] + m["kl"])
    m2 = recipe.evaluate(model, (digits.x_test[:50],), torch.Generator().manual_seed(0))
    assert m == m2  # seeded: the same z samples


def test_a_diverging_vae_stops_with_a_sentence_and_keeps_good_weights(digits):
    model, recipe, _ = _model("vae", digits.image_shape, hidden=32)
    split = TensorSplit((digits.x_train,), (digits.x_test[:64],))
    seen = []
    with pytest.raises(TrainingDiverged, match="smaller learning rate than 10"):
        for rec in fit(model, recipe, split, TrainParams(epochs=50, lr=10.0, log_every=1)):
            seen.append(rec)
    assert all(torch.isfinite(p).all() for p in model.parameters()), "the last good weights are restored"
    assert torch.isfinite(model.reconstruct(digits.x_test[:4])).all()


@pytest.mark.parametrize("kind, values, message", [
    ("ae", {"latent_dim": 0}, "Latent size must be between 1 and 1024"),
    ("ae", {"latent_dim": 64}, "Latent size must be smaller than the 64 pixels"),
    ("vae", {"latent_dim": 100}, "smaller than the 64 pixels"),
    ("sae-l1", {"latent_dim": 300}, "at most 4 × the 64 pixels"),
    ("dae", {"noise_std": 1.5}, "Noise σ must be between 0 and 1"),
    ("dae", {"noise": "mask", "mask_prob": 0.95}, "Masking probability must be between 0 and 0.9"),
    ("dae", {"noise": "salt"}, "Noise must be one of gaussian, mask"),
    ("sae-l1", {"sparsity_weight": -1.0}, "Sparsity weight λ must be between 0 and 100"),
    ("sae-kl", {"rho": 0.9}, "Target activation ρ must be between 0.001 and 0.5"),
    ("vae", {"beta": 500.0}, "β must be between 0 and 100"),
    ("aae", {"prior": "mixture", "latent_dim": 3}, "mixture prior lives in 2-D"),
])
def test_bad_settings_say_what_is_wrong(kind, values, message):
    with pytest.raises(ConfigError, match=message):
        _model(kind, **values)


def test_hidden_widths_from_an_int_a_string_or_a_tuple():
    spec = registry.get("ae")
    assert spec.make_config((1, 8, 8), 10, hidden=64).hidden == (64,)
    assert spec.make_config((1, 8, 8), 10, hidden=64, body="conv").hidden == (32, 64)
    assert spec.make_config((1, 8, 8), 10, hidden="128-64").hidden == (128, 64)
    assert spec.make_config((1, 8, 8), 10, hidden=(16, 8)).hidden == (16, 8)


def test_a_non_autoencoder_checkpoint_is_named_for_what_it_is(digits):
    from genviz.autoencoders.ui import check_fits
    from genviz.core import checkpoints

    ckpt = checkpoints.load(checkpoints.SHIPPED_DIR / "classifier-digits.safetensors")
    with pytest.raises(CheckpointError, match="is a 'classifier' model .*needs an autoencoder"):
        check_fits(ckpt, digits)
    gan_kinds = [s.kind for s in registry.kinds("gan")]
    if gan_kinds:  # a GAN checkpoint, saved on the fly, is refused the same way
        spec = registry.get(gan_kinds[0])
        config = spec.make_config(digits.image_shape, digits.n_classes, **{p.name: p.default for p in spec.params})
        path = checkpoints.save(checkpoints.user_dir() / "a-gan", spec.build(config), config, dataset="digits")
        with pytest.raises(CheckpointError, match=f"is a '{gan_kinds[0]}' model \\(gan\\)"):
            check_fits(checkpoints.load(path), digits)


def test_bernoulli_nll_matches_torch_values_and_gradients():
    logits = (torch.randn(16, 1, 28, 28) * 12).requires_grad_()
    x = torch.rand(16, 1, 28, 28)
    ours = losses.bernoulli_nll(logits, x)
    ref = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none")
    assert ours.dtype == torch.float32
    assert torch.allclose(ours.flatten(1).sum(1), ref.flatten(1).sum(1), atol=1e-3)
    g_ours, = torch.autograd.grad(ours.sum(), logits)
    g_ref, = torch.autograd.grad(ref.sum(), logits)
    assert torch.allclose(g_ours, g_ref, atol=1e-6)
    wide = (torch.randn(4, 3, dtype=torch.float64) * 5).requires_grad_(), torch.rand(4, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(losses.bernoulli_nll, wide)
    assert losses.bernoulli_nll(torch.randn(2, 3, dtype=torch.bfloat16), torch.rand(2, 3)).dtype == torch.float32


@pytest.mark.parametrize("body", ["mlp", "conv"])
def test_training_starts_from_the_mean_image(body, digits):
    from genviz.autoencoders.models import init_output_bias

    spec = registry.get("vae")
    config = spec.make_config(digits.image_shape, 10, latent_dim=4, hidden=16, body=body)
    torch.manual_seed(0)
    model = spec.build(config)
    before = losses.reconstruction_loss(model(digits.x_test).recon_logits, digits.x_test)
    init_output_bias(model.decoder, digits.x_train)
    with torch.no_grad():
        out = model.decode(torch.zeros(1, 4))
        after = losses.reconstruction_loss(model(digits.x_test).recon_logits, digits.x_test)
    mean = digits.x_train.mean(0)
    if body == "mlp":  # per pixel: decoding z = 0 gives nearly the mean image
        assert (out[0] - mean).abs().mean() < 0.1
    assert after < before
    # fit applies it to a fresh VAE only (not to a model it continues, nor to the sparse kinds)
    bias = model.decoder[0][-1].bias if body == "mlp" else None
    if bias is not None:
        torch.nn.init.zeros_(bias)
        list(fit(model, spec.recipe(config), TensorSplit((digits.x_train,), (digits.x_test,)),
                 TrainParams(max_steps=1, lr=1e-7), fresh=False))
        assert bias.abs().max() < 1e-3
        list(fit(model, spec.recipe(config), TensorSplit((digits.x_train,), (digits.x_test,)), TrainParams(max_steps=1, lr=1e-7)))
        assert bias.min() < -3  # logit of the always-black border pixels
    assert not hasattr(registry.get("sae-l1").recipe(registry.get("sae-l1").make_config(digits.image_shape, 10)), "initialize")
