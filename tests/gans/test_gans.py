"""GAN family: shapes and determinism per kind, losses against hand-computed values, the gradient
penalty on a known case, training smoke tests, loss movement, bad input, CLI evaluate keys."""
from __future__ import annotations

import json
import math
import warnings

import pytest
import torch

from genviz.core import checkpoints, registry
from genviz.core.errors import ConfigError, TrainingDiverged
from genviz.core.train import RunState, TensorSplit, TrainParams, fit, new_run
from genviz.gans import objectives
from genviz.gans import recipes as gan_recipes
from genviz.gans.experiments import (
    class_grid,
    direction_walk,
    latent_walk,
    require_conditional,
    run_gradient_vanishing,
    seeded_model,
    snapshot_indices,
    train_with_history,
)
from genviz.gans.models import GAN, GAN_KINDS, GANConfig, conv_stages, interpolate_noise, walk_direction
from genviz.gans.recipes import GANRecipe

TINY = {"latent_dim": 8, "g_width": 8, "d_width": 8}


def tiny(kind: str, shape=(1, 8, 8), **kw) -> GANConfig:
    return GANConfig(kind=kind, image_shape=shape, n_classes=10, **{**TINY, **kw})


def digits_split(digits, n: int = 256) -> TensorSplit:
    return TensorSplit((digits.x_train[:n], digits.y_train[:n]), (digits.x_test[:64], digits.y_test[:64]))


# --- models ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", GAN_KINDS)
def test_shapes_and_determinism_per_kind(kind):
    model = seeded_model(tiny(kind), 0).eval()
    a = model.sample(6, torch.Generator().manual_seed(3))
    b = model.sample(6, torch.Generator().manual_seed(3))
    c = model.sample(6, torch.Generator().manual_seed(4))
    assert a.shape == (6, 1, 8, 8) and 0 <= a.min() and a.max() <= 1
    assert torch.equal(a, b) and not torch.equal(a, c)
    again = seeded_model(tiny(kind), 0).state_dict()
    assert all(torch.equal(again[k], v) for k, v in model.state_dict().items()), "same seed, same initial weights"
    labels = torch.arange(6) % 10
    out = model(model.noise(6, torch.Generator().manual_seed(0)), labels if model.config.conditional else None)
    assert out.images.shape == (6, 1, 8, 8) and out.logit.shape == (6,)
    assert (out.class_logits is not None) == (kind == "acgan")
    if kind == "acgan":
        assert out.class_logits.shape == (6, 10)


@pytest.mark.parametrize("size, stages", [(28, 2), (32, 3)])
def test_dcgan_conv_bodies_for_28_and_32(size, stages):
    assert conv_stages((1, size, size)) == stages
    for kind in ("dcgan", "cgan", "sngan"):
        cfg = GANConfig(kind=kind, image_shape=(3 if size == 32 else 1, size, size))
        model = GAN(cfg).eval()
        assert cfg.resolved_body == "conv"
        x = model.sample(2, torch.Generator().manual_seed(0))
        assert x.shape == (2, cfg.image_shape[0], size, size)
        assert isinstance(model.generator.net[0], torch.nn.ConvTranspose2d)
    g_params = sum(p.numel() for p in GAN(GANConfig(image_shape=(1, 28, 28))).generator.parameters())
    assert 0.4e6 < g_params < 1e6, "default MNIST generator stays small (0.5–1M parameters)"


@pytest.mark.parametrize("kind", ["dcgan", "sngan", "wgan-gp", "cgan"])
def test_extra_discriminator_stages_reach_a_smaller_map(kind):
    """28 → 14 → 7, then one strided stage per extra: 7 → 3 → 1, channels doubling; the score is still one per image."""
    sizes = {}
    for extra in (0, 1, 2):
        cfg = GANConfig(kind=kind, image_shape=(1, 28, 28), d_width=8, g_width=8, d_extra_stages=extra)
        d = GAN(cfg).discriminator
        convs = [m for m in d.body.modules() if isinstance(m, torch.nn.Conv2d)]
        assert len(convs) == 2 + extra and convs[-1].out_channels == 8 * 2 ** (1 + extra)
        sizes[extra] = d.body.out_dim // convs[-1].out_channels
        labels = torch.arange(5) % 10 if cfg.d_takes_labels else None
        assert d(torch.rand(5, 1, 28, 28), labels).logit.shape == (5,)
    assert sizes == {0: 49, 1: 9, 2: 1}
    with pytest.raises(ConfigError, match="Extra discriminator stages"):
        GANConfig(kind=kind, image_shape=(1, 28, 28), d_extra_stages=3)


def test_spectral_norm_only_in_sngan():
    sn = GAN(tiny("sngan"))
    names = [n for n, _ in sn.discriminator.named_parameters()]
    assert any("parametrizations.weight.original" in n for n in names)
    assert not any("parametrizations" in n for n, _ in GAN(tiny("dcgan")).named_parameters())
    w = sn.discriminator.head.weight  # the normalised weight: largest singular value ≈ 1 after power iterations
    sn.train()
    for _ in range(20):
        sn.discriminate(torch.rand(4, 1, 8, 8))
    assert float(torch.linalg.matrix_norm(sn.discriminator.body.net[0].weight.detach(), ord=2)) == pytest.approx(1.0, abs=0.05)
    assert w.shape == (1, 32)


def test_interpolation_and_direction_walk():
    z0, z1 = torch.randn(16, generator=torch.Generator().manual_seed(0)), torch.randn(16, generator=torch.Generator().manual_seed(1))
    for method in ("linear", "spherical"):
        path = interpolate_noise(z0, z1, 5, method)
        assert path.shape == (5, 16) and torch.allclose(path[0], z0, atol=1e-5) and torch.allclose(path[-1], z1, atol=1e-5)
    lin, sph = interpolate_noise(z0, z1, 9, "linear"), interpolate_noise(z0, z1, 9, "spherical")
    assert sph[4].norm() > lin[4].norm(), "slerp keeps the norm up where the straight line dips"
    walk = walk_direction(z0, z1, 5, 2.0)
    assert torch.allclose(walk[2], z0) and (walk[-1] - z0).norm() == pytest.approx(2.0, rel=1e-5)
    with pytest.raises(ConfigError, match="Interpolation must be one of"):
        interpolate_noise(z0, z1, 5, "cubic")


def test_class_grid_rows_are_classes_and_columns_share_noise():
    model = seeded_model(tiny("cgan"), 0).eval()
    grid = class_grid(model, 4, seed=1)
    assert grid.shape == (40, 1, 8, 8)
    assert not torch.allclose(grid[0], grid[4]), "row 1 (class 1) differs from row 0 for the same noise"
    assert torch.equal(grid, class_grid(model, 4, seed=1))
    assert latent_walk(model, 0, 1, 6, "spherical", label=3).shape == (6, 1, 8, 8)
    assert direction_walk(model, 0, 1, 5, 3.0, label=None).shape == (5, 1, 8, 8)


def test_conditional_views_refuse_unconditional_models_plainly():
    with pytest.raises(ConfigError, match="unconditional DCGAN.*cannot draw a chosen class.*cGAN or AC-GAN"):
        class_grid(seeded_model(tiny("dcgan"), 0), 4, 0)
    with pytest.raises(ConfigError, match="unconditional"):
        require_conditional(seeded_model(tiny("wgan-gp"), 0), "wgan-gp-digits")
    with pytest.raises(ConfigError, match="give it class labels"):
        seeded_model(tiny("cgan"), 0).generate(torch.zeros(2, 8))


# --- losses ------------------------------------------------------------------------------------------
def test_gan_losses_against_hand_computed_values():
    zero = torch.zeros(4)
    assert float(objectives.gan_discriminator_loss(zero, zero)) == pytest.approx(2 * math.log(2))  # D = ½ everywhere
    real, fake = torch.tensor([2.0]), torch.tensor([-1.0])
    sig = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    expected = -math.log(sig(2.0)) - math.log(1 - sig(-1.0))
    assert float(objectives.gan_discriminator_loss(real, fake)) == pytest.approx(expected, rel=1e-6)
    assert float(objectives.gan_generator_loss(fake, "saturating")) == pytest.approx(math.log(1 - sig(-1.0)), rel=1e-6)
    assert float(objectives.gan_generator_loss(fake, "non-saturating")) == pytest.approx(-math.log(sig(-1.0)), rel=1e-6)
    assert float(objectives.hinge_discriminator_loss(torch.tensor([0.5, 2.0]), torch.tensor([-3.0, 0.0]))) == pytest.approx(
        (0.5 + 0.0) / 2 + (0.0 + 1.0) / 2)
    assert float(objectives.hinge_generator_loss(torch.tensor([1.0, 3.0]))) == pytest.approx(-2.0)
    assert float(objectives.wasserstein_critic_loss(torch.tensor([3.0, 1.0]), torch.tensor([0.5, 0.5]))) == pytest.approx(-1.5)
    assert float(objectives.wasserstein_generator_loss(torch.tensor([0.5, 1.5]))) == pytest.approx(-1.0)
    assert float(objectives.auxiliary_class_loss(torch.zeros(2, 10), torch.tensor([1, 2]))) == pytest.approx(math.log(10))


def test_saturating_gradient_vanishes_when_d_wins():
    logit = torch.tensor([-9.0], requires_grad=True)  # D(G(z)) = σ(−9) ≈ 1.2e-4
    (g_sat,) = torch.autograd.grad(objectives.gan_generator_loss(logit, "saturating"), logit)
    (g_ns,) = torch.autograd.grad(objectives.gan_generator_loss(logit, "non-saturating"), logit)
    d = torch.sigmoid(torch.tensor(-9.0))
    assert float(g_sat) == pytest.approx(-float(d), rel=1e-4)  # ∂/∂ℓ log(1 − σ(ℓ)) = −D
    assert float(g_ns) == pytest.approx(-(1 - float(d)), rel=1e-4)  # ∂/∂ℓ −log σ(ℓ) = −(1 − D)


def test_gradient_penalty_on_a_linear_critic():
    w = torch.tensor([[[[3.0, 4.0]]]])  # critic C(x) = Σ w·x: ∇C = w everywhere, ‖w‖ = 5
    critic = lambda x: (x * w).flatten(1).sum(1)  # noqa: E731
    real, fake = torch.rand(6, 1, 1, 2), torch.rand(6, 1, 1, 2)
    gp = objectives.gradient_penalty(critic, real, fake, weight=10.0, generator=torch.Generator().manual_seed(0))
    assert float(gp) == pytest.approx(10 * (5 - 1) ** 2)
    unit = lambda x: (x * w / 5).flatten(1).sum(1)  # noqa: E731
    assert float(objectives.gradient_penalty(unit, real, fake, mix=torch.full((6,), 0.3))) == pytest.approx(0.0, abs=1e-10)
    # the penalty is differentiable in the critic's weights: d/dw λ(‖w‖−1)² = 2λ(‖w‖−1) w/‖w‖
    wp = w.clone().requires_grad_(True)
    gp = objectives.gradient_penalty(lambda x: (x * wp).flatten(1).sum(1), real, fake, weight=10.0, mix=torch.rand(6))
    (grad,) = torch.autograd.grad(gp, wp)
    assert torch.allclose(grad, 2 * 10 * 4 * w / 5, rtol=1e-5)


def test_r1_penalty_on_a_linear_critic_and_in_d_loss(digits):
    w = torch.tensor([[[[3.0, 4.0]]]])  # D(x) = Σ w·x: ∇ₓD = w, ‖w‖² = 25, so γ/2 · 25
    real = torch.rand(6, 1, 1, 2, requires_grad=True)
    r1 = objectives.r1_penalty((real * w).flatten(1).sum(1), real, gamma=2.0)
    assert float(r1) == pytest.approx(25.0)
    assert float(objectives.r1_penalty((real * 0).flatten(1).sum(1) + 1.0, real, gamma=2.0)) == 0.0
    # in a GAN: the term enters D's loss (and its parts) only when γ > 0, and a step with it trains
    x = digits.x_train[:16]
    for gamma in (0.0, 1.0):
        model = seeded_model(tiny("dcgan", r1_gamma=gamma), 0)
        recipe = GANRecipe(model.config)
        fake = model.generate(model.noise(16, torch.Generator().manual_seed(0))).detach()
        loss, parts = recipe.discriminator_loss(model, x, None, fake, None, None)
        plain, _ = recipe.discriminator_loss(model, x, None, fake, None, None, penalty=False)
        assert ("r1_penalty" in parts) == (gamma > 0)
        assert float(loss - plain) == pytest.approx(float(parts.get("r1_penalty", 0.0)), rel=1e-4, abs=1e-7)
        if gamma:
            assert float(parts["r1_penalty"]) > 0
            recs = list(fit(model, recipe, digits_split(digits), TrainParams(batch_size=32, max_steps=2, log_every=1)))
            assert math.isfinite(recs[-1].metrics["r1_penalty"])



def test_minibatch_stddev_sees_a_batch_of_copies_and_fits_any_batch_size():
    from genviz.gans.models import minibatch_stddev

    x = torch.randn(8, 3, 5, 5)
    out = minibatch_stddev(x, 4)
    assert out.shape == (8, 4, 5, 5) and torch.equal(out[:, :3], x)
    groups = x.reshape(4, 2, 3, 5, 5)  # images i and i + 2, i + 4, i + 6 form a group
    expected = groups.var(0, unbiased=False).add(1e-8).sqrt().mean((1, 2, 3))
    assert torch.allclose(out[:, 3, 0, 0], expected.repeat(4)) and (out[:, 3] == out[:, 3, :1, :1]).all()
    copies = minibatch_stddev(x[:1].expand(8, -1, -1, -1), 4)[:, 3]
    assert float(copies.max()) < 1e-3  # a batch of near-copies has no spread
    assert minibatch_stddev(torch.randn(6, 2, 3, 3), 4).shape == (6, 3, 3, 3)  # group 3 divides 6
    assert float(minibatch_stddev(torch.randn(1, 2, 3, 3), 4)[:, 2].abs().max()) < 1e-3
    # in D: one more input map to the last stage; D scores a batch of any size
    cfg = GANConfig(kind="stylegan", image_shape=(1, 28, 28), d_width=8, g_width=8, d_extra_stages=1, d_mbstd=4)
    d = GAN(cfg).discriminator
    convs = [m for m in d.body.net if isinstance(m, torch.nn.Conv2d)]
    assert convs[-1].in_channels == convs[-2].out_channels + 1
    for b in (1, 6, 7):
        assert d(torch.rand(b, 1, 28, 28)).logit.shape == (b,)
    assert [m.in_channels for m in GAN(GANConfig(kind="stylegan", image_shape=(1, 28, 28), d_width=8, g_width=8,
                                                 d_extra_stages=1)).discriminator.body.net
            if isinstance(m, torch.nn.Conv2d)][-1] == convs[-2].out_channels  # off: as before


def test_lazy_r1_runs_on_every_kth_d_step_weighted_by_k(digits):
    """StyleGAN2's lazy regularisation: with r1_every = k the penalty enters D's loss on steps 0, k, 2k, ... only,
    k times as heavy, so it costs the second-order backward pass once in k steps."""
    x = digits.x_train[:16]
    model = seeded_model(tiny("dcgan", r1_gamma=1.0, r1_every=4), 0)
    recipe = GANRecipe(model.config)
    fake = model.generate(model.noise(16, torch.Generator().manual_seed(0))).detach()
    _, eager = recipe.discriminator_loss(model, x, None, fake, None, None)
    _, lazy = recipe.discriminator_loss(model, x, None, fake, None, None, r1_weight=4.0)
    assert float(lazy["r1_penalty"]) == pytest.approx(4 * float(eager["r1_penalty"]), rel=1e-5)
    _, skipped = recipe.discriminator_loss(model, x, None, fake, None, None, r1_weight=0.0)
    assert "r1_penalty" not in skipped
    opts = recipe.optimizers(model, TrainParams(lr=1e-4))
    state, gen = RunState(), torch.Generator().manual_seed(0)
    with_r1 = []
    for step in range(9):
        state.step = step
        out = recipe.step(model, opts, (digits.x_train[16 * step: 16 * step + 16],), gen, state)
        with_r1.append("r1_penalty" in out)
    assert [i for i, on in enumerate(with_r1) if on] == [0, 4, 8]
    # the adversarial D steps (Fast-GAN) follow the same schedule
    adv = seeded_model(tiny("dcgan", r1_gamma=1.0, r1_every=4, adv_eps=0.05), 0)
    adv_recipe, adv_state = GANRecipe(adv.config), RunState()
    adv_opts = adv_recipe.optimizers(adv, TrainParams(lr=1e-4))
    on = []
    for step in range(5):
        adv_state.step = step
        out = adv_recipe.step(adv, adv_opts, (digits.x_train[16 * step: 16 * step + 16],), gen, adv_state)
        on.append("r1_penalty" in out)
    assert [i for i, o in enumerate(on) if o] == [0, 4]

# --- training ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", GAN_KINDS)
def test_two_training_steps_per_kind(kind, digits):
    model = seeded_model(tiny(kind), 0)
    recs = list(fit(model, GANRecipe(model.config), digits_split(digits), TrainParams(batch_size=32, max_steps=2,
                    log_every=1, lr=1e-3), preview_data=(digits.x_test[:2],)))
    assert [r.step for r in recs] == [1, 2]
    keys = {"d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm"}
    assert keys <= set(recs[-1].metrics) and all(math.isfinite(v) for v in recs[-1].metrics.values())
    assert recs[-1].preview.shape == (40, 1, 8, 8)
    if kind == "wgan-gp":
        assert "gradient_penalty" in recs[-1].metrics
    assert registry.get(kind).family == "gan"


def test_d_and_g_losses_move_as_expected(digits):
    """D trained alone: its loss falls, D(x) rises, D(G(z)) falls. Then G alone: D(G(z)) rises."""
    model = seeded_model(tiny("dcgan", d_width=16), 0)
    recipe = GANRecipe(model.config, detect_collapse=False)
    opts = recipe.optimizers(model, TrainParams(lr=2e-3))
    gen = torch.Generator().manual_seed(0)
    x = digits.x_train[:64]
    z = model.noise(64, gen)

    def d_view():
        with torch.no_grad():
            loss, parts = recipe.discriminator_loss(model, x, None, model.generate(z), None, gen)
        return float(loss), float(parts["d_real"]), float(parts["d_fake"])

    before = d_view()
    for _ in range(30):
        loss, _ = recipe.discriminator_loss(model, x, None, model.generate(z).detach(), None, gen)
        opts["discriminator"].zero_grad()
        loss.backward()
        opts["discriminator"].step()
    after = d_view()
    assert after[0] < before[0] - 0.3 and after[1] > before[1] and after[2] < before[2]
    g_before = float(recipe.generator_loss(model, model.generate(z), None).detach())
    for _ in range(30):
        loss = recipe.generator_loss(model, model.generate(z), None)
        opts["generator"].zero_grad()
        loss.backward()
        opts["generator"].step()
    assert float(recipe.generator_loss(model, model.generate(z), None).detach()) < g_before - 0.3
    assert d_view()[2] > after[2]


def test_n_critic_updates_g_every_nth_step(digits):
    model = seeded_model(tiny("wgan-gp", n_critic=3), 0)
    recipe = GANRecipe(model.config)
    opts = recipe.optimizers(model, TrainParams(lr=1e-3))
    before = [p.clone() for p in model.generator.parameters()]
    gen = torch.Generator().manual_seed(0)
    batch = (digits.x_train[:16], digits.y_train[:16])
    run = RunState()
    recipe.step(model, opts, batch, gen, run)  # step 0 updates G
    after_first = [p.clone() for p in model.generator.parameters()]
    assert any(not torch.equal(a, b) for a, b in zip(before, after_first))
    for step in (1, 2):  # critic only
        run.step = step
        recipe.step(model, opts, batch, gen, run)
    assert all(torch.equal(a, b) for a, b in zip(after_first, model.generator.parameters()))


# --- bad input -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("settings, message", [
    ({"n_critic": 0}, "n_critic"), ({"n_critic": 500}, "n_critic"),
    ({"gp_lambda": 1e6}, "Gradient-penalty weight"), ({"gp_lambda": -1.0}, "Gradient-penalty weight"),
    ({"objective": "bogus"}, "GAN objective must be one of"), ({"conditioning": "x"}, "Conditioning must be one of"), ({"latent_dim": 0}, "Latent size"),
])
def test_absurd_settings_are_refused(settings, message):
    with pytest.raises(ConfigError, match=message):
        GANConfig(kind="wgan-gp", **settings)


def test_conv_body_refuses_impossible_sizes():
    with pytest.raises(ConfigError, match="cannot make 18×18 images"):
        GANConfig(image_shape=(1, 18, 18), body="conv")


@pytest.mark.parametrize("lr", [1.0, 5e-7])
def test_absurd_learning_rate_is_refused(lr, digits):
    model = seeded_model(tiny("dcgan"), 0)
    with pytest.raises(ConfigError, match="A GAN's learning rate must be between"):
        next(fit(model, GANRecipe(model.config), digits_split(digits), TrainParams(lr=lr, max_steps=1)))


def test_nan_divergence_is_reported_in_words(digits):
    model = seeded_model(tiny("dcgan"), 0)
    with torch.no_grad():
        model.generator.net[0].weight.fill_(float("nan"))
    with pytest.raises(TrainingDiverged, match="diverged.*NaN"):
        list(fit(model, GANRecipe(model.config), digits_split(digits), TrainParams(max_steps=3, log_every=1)))


def test_discriminator_winning_outright_stops_training(monkeypatch):
    monkeypatch.setattr(gan_recipes, "COLLAPSE_PATIENCE", 5)
    recipe, run = GANRecipe(tiny("dcgan")), RunState()
    for _ in range(4):
        recipe._check_collapse(run, torch.tensor(1e-4), torch.tensor(1e-5))
    recipe._check_collapse(run, torch.tensor(1.0), torch.tensor(0.3))  # a normal step resets the count
    for _ in range(4):
        recipe._check_collapse(run, torch.tensor(1e-4), torch.tensor(1e-5))
    with pytest.raises(TrainingDiverged, match="collapsed.*D\\(G\\(z\\)\\) stayed below 0.001.*non-saturating"):
        recipe._check_collapse(run, torch.tensor(1e-4), torch.tensor(1e-5))
    hinge, run = GANRecipe(tiny("sngan")), RunState()
    with pytest.raises(TrainingDiverged, match="hinge loss stayed at 0"):
        for _ in range(5):
            hinge._check_collapse(run, torch.tensor(0.0), torch.tensor(-3.0))
    assert not GANRecipe(tiny("wgan-gp")).objective.collapse_on  # an unbounded critic has no such point


def test_collapse_is_detected_in_a_real_run(digits, monkeypatch):
    """A discriminator that already wins plus the saturating loss: D(G(z)) stays ≈ 0 and the run stops."""
    monkeypatch.setattr(gan_recipes, "COLLAPSE_PATIENCE", 20)
    model = seeded_model(tiny("dcgan", objective="bce-saturating"), 0)
    with torch.no_grad():
        model.discriminator.head.bias.fill_(-30.0)  # D(anything) ≈ σ(−30): D rejects everything
    with pytest.raises(TrainingDiverged, match="collapsed"):
        list(fit(model, GANRecipe(model.config), digits_split(digits), TrainParams(max_steps=100, lr=1e-5, log_every=10)))


# --- experiments, history, evaluation -------------------------------------------------------------------
def test_gradient_vanishing_experiment_shows_the_gap(digits):
    result = run_gradient_vanishing(digits, steps=3, d_warmup=100, seed=0, config=tiny("dcgan", d_width=16))
    sat, ns = result.curves["saturating"], result.curves["non-saturating"]
    assert len(sat) == len(ns) == 3 and result.done
    assert sat[0]["d_fake"] == pytest.approx(ns[0]["d_fake"]), "both runs start from the same state"
    assert sat[0]["d_fake"] < 0.01, "the warmed-up discriminator rejects the fakes"
    assert sat[0]["g_grad_norm"] < ns[0]["g_grad_norm"] / 20
    assert result.samples["saturating"].shape == result.start_samples.shape == (20, 1, 8, 8)
    with pytest.raises(ConfigError, match="Optimizer must be one of"):
        run_gradient_vanishing(digits, steps=3, optimizer="rmsprop", config=tiny("dcgan"))


def test_history_keeps_curves_and_geometric_grid_snapshots(digits):
    run = new_run("cgan", digits, TINY, TrainParams(max_steps=12, log_every=2, batch_size=32),
                  split=digits_split(digits))
    history = train_with_history(run, keep=4)
    assert [r["step"] for r in history.curve] == [2, 4, 6, 8, 10, 12]
    assert history.grid_steps[0] == 0 and history.grid_steps[-1] == 12 and len(history.grid_steps) <= 4
    assert history.grids.shape == (len(history.grid_steps), 20, 1, 8, 8)
    assert snapshot_indices([0, 10, 20, 30], 10) == [0, 1, 2, 3]
    idx = snapshot_indices(list(range(0, 2001, 25)), 16)
    assert idx[0] == 0 and idx[-1] == 80 and len(idx) <= 16 and idx[1] < 4, "early steps are kept densely"


def test_checkpoint_round_trip_with_grids(digits, tmp_path):
    from genviz.gans.experiments import grids_from_storage, grids_to_uint8

    model = seeded_model(tiny("sngan"), 0)
    model.discriminate(torch.rand(4, 1, 8, 8))  # one power iteration changes the u, v buffers
    grids = torch.rand(3, 20, 1, 8, 8)
    path = checkpoints.save(tmp_path / "g", model, model.config, dataset="digits",
                            extra={"progress_steps": [0, 5, 10]}, extra_tensors={"progress_grids": grids_to_uint8(grids)},
                            half=True)
    ckpt = checkpoints.load(path)
    assert ckpt.kind == "sngan" and ckpt.family == "gan"
    assert torch.allclose(grids_from_storage(ckpt.extra_tensors["progress_grids"]), grids, atol=1 / 255)
    a = ckpt.model.sample(4, torch.Generator().manual_seed(0))
    model.eval()
    assert torch.allclose(a, model.half().float().sample(4, torch.Generator().manual_seed(0)), atol=1e-2)


@pytest.mark.parametrize("kind", GAN_KINDS)
def test_evaluate_reports_quality_keys_for_every_kind(kind, digits):
    from genviz.core.evaluation import evaluate_model

    model = seeded_model(tiny(kind), 0)
    metrics = evaluate_model(kind, model, model.config, digits)
    assert {"frechet_distance", "sample_confidence", "classes_covered", "test_d_real", "test_d_fake"} <= set(metrics)
    assert 0 <= metrics["sample_confidence"] <= 1 and 0 <= metrics["classes_covered"] <= 10
    assert ("label_agreement" in metrics) == GANConfig(kind=kind).conditional


def test_cli_train_and_evaluate_a_gan(tmp_path, capsys):
    from genviz.cli import main

    out = tmp_path / "g"
    assert main(["train", "acgan", "--dataset", "digits", "--max-steps", "3", "--set", "g_width=8",
                 "--set", "d_width=8", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(out) + ".safetensors"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["kind"] == "acgan"
    assert {"frechet_distance", "sample_confidence", "classes_covered"} <= set(result)
    assert main(["train", "wgan-gp", "--set", "n_critic=99", "--out", str(tmp_path / "g2")]) == 2
    assert "n_critic" in capsys.readouterr().err


SHIPPED = [f"{k}-{d}" for d in ("digits", "mnist") for k in GAN_KINDS]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_gans_carry_scores_history_and_time(name):
    path = checkpoints.SHIPPED_DIR / f"{name}.safetensors"
    if not path.exists():
        pytest.skip(f"{path.name} not built (python -m genviz pretrain --only {name})")
    info = checkpoints.info(path)
    assert {"frechet_distance", "sample_confidence", "classes_covered"} <= set(info.metrics)
    extra = checkpoints.read_extra(path)
    assert extra["train_seconds"] > 0 and extra["curve"] and len(extra["progress_steps"]) >= 2
    if name.startswith("dcgan-"):
        assert set(extra["gradient_vanishing"]["curves"]) == {"saturating", "non-saturating"}


# The bar for a shipped MNIST GAN (issue 18): Fréchet distance ≤ 60 in the project classifier's features, all 10
# classes with max/min class count ≤ 2 among the 1,000 scored samples, trained in ≤ 10 minutes on 2 cores.
MNIST_BAR = ["dcgan-mnist", "cgan-mnist", "acgan-mnist", "wgan-gp-mnist", "sngan-mnist", "biggan-mnist",
             "stylegan-mnist"]


@pytest.mark.parametrize("name", MNIST_BAR)
def test_shipped_mnist_gans_meet_the_teaching_bar(name):
    path = checkpoints.SHIPPED_DIR / f"{name}.safetensors"
    info = checkpoints.info(path)
    extra = checkpoints.read_extra(path)
    counts = extra["label_counts"]
    assert info.metrics["frechet_distance"] <= 60, info.metrics
    assert info.metrics["classes_covered"] == 10 and max(counts) <= 2 * min(counts), counts
    assert extra["train_seconds"] <= 600, extra["train_seconds"]


def test_shipped_stylegan_shows_the_papers_claims():
    """Issue 16's StyleGAN numbers on the shipped stylegan-mnist (style mixing p = 0.5, training seed 1; MNIST_BAR holds
    it to issue 18's bar as well): the coarse source's class kept in ≥ 70 % of mixed images at the default crossover,
    redrawn noise changing the class of ≤ 1 %, the class read from w at least 10 points better than from z, and
    paths shorter in W. (No second MNIST StyleGAN ships: at the paper's p = 0.9 each of three seeds drew unbalanced
    classes, BENCHMARKS, StyleGAN, fifth screen.)"""
    path = checkpoints.SHIPPED_DIR / "stylegan-mnist.safetensors"
    m, extra = checkpoints.info(path).metrics, checkpoints.read_extra(path)
    assert m["separability_w"] - m["separability_z"] >= 0.1 and m["ppl_w"] < m["ppl_z"], m
    assert m["mixing_coarse_agreement"] >= 0.7 and m["mixing_crossover"] == 2, m
    assert m["noise_class_change"] <= 0.01, m
    assert checkpoints.load(path).config.style_mixing == 0.5 and extra["train_params"]["seed"] == 1
    assert not (checkpoints.SHIPPED_DIR / "stylegan-mnist-mix09.safetensors").exists()


def test_unconditional_kinds_default_to_the_deeper_discriminator():
    """The Train page and the CLI start each kind from the D of its shipped MNIST recipe (genviz/pretrained.py)."""
    from genviz.pretrained import PRETRAINED

    for spec in PRETRAINED:
        if spec.kind in GAN_KINDS and spec.name == f"{spec.kind}-mnist":
            params = {p.name: p.default for p in registry.get(spec.kind).params}
            assert params["d_extra_stages"] == spec.config.get("d_extra_stages", 0), spec.name
            assert params["ema"] == spec.config.get("ema", 0.0), spec.name
            assert params["r1_every"] == spec.config.get("r1_every", 1), spec.name
            assert params["d_mbstd"] == spec.config.get("d_mbstd", 0), spec.name
            assert params["adam_betas"] == spec.config.get("adam_betas", "objective"), spec.name
            if spec.kind == "stylegan":
                assert params["style_output"] == spec.config.get("style_output", "last"), spec.name
    assert {p.name: p.default for p in registry.get("dcgan").params}["d_extra_stages"] == 2


# --- variants as data ---------------------------------------------------------------------------------
def test_presets_are_points_on_the_axes_and_explicit_axes_override():
    from genviz.gans.models import PRESETS

    sn = GANConfig(kind="sngan")
    assert (sn.objective, sn.conditioning, sn.d_norm) == ("hinge", "none", "spectral")
    assert GANConfig(kind="cgan").d_takes_labels and GANConfig(kind="acgan").conditional
    assert not GANConfig(kind="acgan").d_takes_labels
    custom = GANConfig(kind="dcgan", objective="lsgan", conditioning="projection", d_norm="spectral")
    assert (custom.objective, custom.conditioning, custom.d_norm) == ("lsgan", "projection", "spectral")
    assert set(PRESETS) == set(GAN_KINDS)


def test_a_config_saved_before_the_axes_loads_with_the_same_behaviour():
    from genviz.core.config import config_from_dict

    old = {"aux_weight": 1.0, "body": "auto", "d_width": 32, "g_width": 64, "generator_loss": "saturating",
           "gp_lambda": 10.0, "image_shape": [1, 28, 28], "kind": "dcgan", "latent_dim": 64, "n_classes": 10,
           "n_critic": 1}
    cfg = config_from_dict(GANConfig, old)
    assert (cfg.objective, cfg.conditioning, cfg.d_norm) == ("bce-saturating", "none", "batch")
    assert config_from_dict(GANConfig, {**old, "kind": "sngan", "generator_loss": "non-saturating"}).objective == "hinge"


def test_every_shipped_gan_checkpoint_still_loads():
    shipped = sorted(p for p in checkpoints.SHIPPED_DIR.glob("*gan*.safetensors")
                     if p.name.split("-")[0] in GAN_KINDS or p.name.startswith("wgan-gp"))  # not cyclegan-*
    if not shipped:
        pytest.skip("no shipped GAN checkpoints")
    for path in shipped:
        ckpt = checkpoints.load(path, "cpu")
        assert ckpt.config.objective in objectives.OBJECTIVES, path.name


@pytest.mark.parametrize("name", list(objectives.OBJECTIVES))
def test_each_objective_row_trains_a_few_steps_and_is_consistent(name, digits):
    obj = objectives.objective(name)
    real, fake = torch.tensor([2.0, 1.5]), torch.tensor([-2.0, -1.0])
    # D is better off when it scores real above fake than the other way round
    assert float(obj.d_loss(real, fake)) < float(obj.d_loss(fake, real))
    # G's loss falls as D's score of its images rises
    assert float(obj.g_loss(torch.tensor([1.0]))) < float(obj.g_loss(torch.tensor([-1.0])))
    assert obj.probability == name.startswith("bce")
    model = seeded_model(tiny("dcgan", objective=name), 0)
    recipe = GANRecipe(model.config)
    assert recipe.optimizers(model, TrainParams(lr=1e-3))["generator"].param_groups[0]["betas"] == obj.betas
    recs = list(fit(model, recipe, digits_split(digits), TrainParams(max_steps=4, log_every=2, batch_size=32)))
    assert all(math.isfinite(v) for r in recs for v in r.metrics.values())
    assert ("gradient_penalty" in recs[-1].metrics) == obj.gradient_penalty


def test_projection_discriminator_reads_the_label(digits):
    model = seeded_model(tiny("dcgan", conditioning="projection", objective="hinge", d_norm="spectral"), 0)
    x = digits.x_train[:6]
    with torch.no_grad():
        a = model.discriminate(x, torch.zeros(6, dtype=torch.long)).logit
        b = model.discriminate(x, torch.full((6,), 3, dtype=torch.long)).logit
    assert a.shape == (6,) and not torch.allclose(a, b)  # ⟨embed(y), φ(x)⟩ changes the score
    with pytest.raises(ConfigError, match="needs the labels"):
        model.discriminate(x)
    recs = list(fit(model, GANRecipe(model.config), digits_split(digits), TrainParams(max_steps=3, log_every=3)))
    assert math.isfinite(recs[-1].metrics["d_loss"])


def test_gan_recipe_keeps_no_state_between_runs(digits):
    """One recipe object trains two models in turn exactly as two fresh recipes would."""
    params = TrainParams(max_steps=6, log_every=3, batch_size=32)
    shared = GANRecipe(tiny("wgan-gp", n_critic=2))
    first = [r.metrics for r in fit(seeded_model(shared.config, 0), shared, digits_split(digits), params)]
    again = [r.metrics for r in fit(seeded_model(shared.config, 0), shared, digits_split(digits), params)]
    assert first == again
    assert not [k for k in vars(shared) if k not in ("config", "objective", "detect_collapse")]


# --- BigGAN ideas, EMA, truncation ---------------------------------------------------------------------
def test_truncated_noise_stays_inside_psi_and_is_seeded():
    from genviz.gans.models import truncated_normal

    model = seeded_model(tiny("dcgan"), 0)
    z = model.noise(2000, torch.Generator().manual_seed(0), psi=0.5)
    assert z.abs().max() <= 0.5 and z.std() < 0.35  # N(0,1) on [−.5, .5] has σ ≈ 0.28
    assert torch.equal(z, model.noise(2000, torch.Generator().manual_seed(0), psi=0.5))
    wide = truncated_normal((20000,), 6.0, torch.Generator().manual_seed(1))
    assert abs(float(wide.std()) - 1.0) < 0.03  # ψ far out: plain N(0, 1)
    for bad in (0.0, -1.0, float("nan"), 50.0):
        with pytest.raises(ConfigError, match="truncation ψ"):
            model.sample(4, psi=bad)


def test_biggan_generator_reads_the_class_through_conditional_batchnorm(digits):
    model = seeded_model(tiny("biggan"), 0)
    from genviz.gans.models import CBNGenerator, ConditionalBatchNorm

    assert isinstance(model.generator, CBNGenerator) and model.discriminator.embed is not None
    assert sum(model.generator.chunks) == model.config.latent_dim and len(model.generator.chunks) == 3
    norms = [m for m in model.generator.modules() if isinstance(m, ConditionalBatchNorm)]
    assert norms and all(not n.bn.affine for n in norms)  # the class supplies gain and bias
    recs = list(fit(model, GANRecipe(model.config), digits_split(digits), TrainParams(max_steps=20, log_every=10,
                                                                                       batch_size=32)))
    assert math.isfinite(recs[-1].metrics["g_loss"])
    model.eval()
    z = model.noise(4, torch.Generator().manual_seed(0))
    a = model.decode_noise(z, torch.zeros(4, dtype=torch.long))
    b = model.decode_noise(z, torch.full((4,), 7, dtype=torch.long))
    assert not torch.allclose(a, b)  # after training, the class changes the image for the same z


def test_ema_generator_averages_and_draws_the_samples(digits):
    model = seeded_model(tiny("dcgan", ema=0.9), 0)
    assert model.sampler is model.generator_ema
    before = [p.clone() for p in model.generator_ema.parameters()]
    list(fit(model, GANRecipe(model.config), digits_split(digits), TrainParams(max_steps=5, log_every=5, batch_size=32)))
    live, ema = list(model.generator.parameters()), list(model.generator_ema.parameters())
    assert all(not p.requires_grad for p in ema)
    moved = [float((e - b).norm()) for e, b in zip(ema, before)]
    gap = [float((e - g).detach().norm()) for e, g in zip(ema, live)]
    assert sum(moved) > 0 and sum(gap) > 0  # it follows G, a step behind
    plain = seeded_model(tiny("dcgan"), 0)
    assert plain.generator_ema is None and plain.sampler is plain.generator


def test_ship_ema_sets_the_live_generator_to_the_average_and_sampling_is_unchanged(digits, tmp_path):
    model = seeded_model(tiny("dcgan", ema=0.9), 0)
    list(fit(model, GANRecipe(model.config), digits_split(digits), TrainParams(max_steps=5, log_every=5, batch_size=32)))
    z = model.noise(8, torch.Generator().manual_seed(0))
    with torch.no_grad():
        before = model.sampler(z)
    model.ship_ema()
    with torch.no_grad():
        assert torch.equal(model.sampler(z), before)
    assert all(torch.equal(a, b) for a, b in zip(model.generator.state_dict().values(),
                                                  model.generator_ema.state_dict().values()))
    path = checkpoints.save(tmp_path / "shipped", model, model.config, dataset="digits")
    assert json.loads(checkpoints.read_metadata(path)["aliases"])  # G is stored once
    plain = seeded_model(tiny("dcgan"), 0)
    weights = {k: v.clone() for k, v in plain.state_dict().items()}
    plain.ship_ema()  # no EMA copy: nothing changes
    assert all(torch.equal(v, plain.state_dict()[k]) for k, v in weights.items())


def test_orthogonal_penalty_is_zero_for_orthogonal_rows_and_enters_g_loss():
    from genviz.gans.models import orthogonal_penalty

    lin = torch.nn.Linear(4, 3, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.eye(4)[:3] * 2.0)  # orthogonal rows of norm 2: only the diagonal is non-zero
    assert float(orthogonal_penalty(lin)) == pytest.approx(0.0)
    with torch.no_grad():
        lin.weight.fill_(1.0)
    assert float(orthogonal_penalty(lin)) == pytest.approx(6 * 16.0)  # 6 off-diagonal entries of (4)²


def test_truncation_curve_and_trend_on_digits(digits):
    from genviz.gans.recipes import truncation_curve, truncation_trend

    model = seeded_model(tiny("cgan"), 0)
    curve = truncation_curve(model, digits, psis=(0.25, 1.0, 2.0), n=100)
    if curve is None:
        pytest.skip("no classifier-digits shipped")
    assert [p["psi"] for p in curve] == [0.25, 1.0, 2.0]
    for p in curve:
        assert 0 <= p["precision"] <= 1 and 0 <= p["recall"] <= 1 and p["frechet_distance"] >= 0
        assert 0 <= p["label_agreement"] <= 1
    assert set(truncation_trend(curve)) == {f"truncation_rho_{k}" for k in
                                            ("confidence", "precision", "recall", "frechet_distance")}


def test_truncation_trend_of_a_number_that_does_not_change_is_zero_not_nan():
    from genviz.gans.recipes import truncation_trend

    curve = [{"psi": psi, "confidence": c, "precision": 0.0, "recall": r, "frechet_distance": 10 - psi}
             for psi, c, r in ((0.5, 0.9, 0.1), (1.0, 0.8, 0.2), (2.0, 0.7, 0.3))]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trend = truncation_trend(curve)
    assert trend["truncation_rho_precision"] == 0.0
    assert trend["truncation_rho_confidence"] == -1.0 and trend["truncation_rho_recall"] == 1.0


def test_free_adversarial_training_of_d_replays_and_keeps_its_perturbation(digits):
    from genviz.gans.experiments import d_robust_accuracy

    cfg = tiny("dcgan", objective="hinge", d_norm="none", adv_eps=0.05, adv_replays=2)
    model = seeded_model(cfg, 0)
    recipe = GANRecipe(cfg)
    opts = recipe.optimizers(model, TrainParams(lr=1e-3))
    run = RunState()
    batch = (digits.x_train[:16], digits.y_train[:16])
    steps_before = [s["step"].item() if s else 0 for s in (opts["discriminator"].state.get(p) for p in model.discriminator.parameters())]
    recipe.step(model, opts, batch, torch.Generator().manual_seed(0), run)
    steps_after = [opts["discriminator"].state[p]["step"].item() for p in model.discriminator.parameters()]
    assert steps_after[0] - steps_before[0] == 2  # m = 2 replays, each a D update
    delta = run.values["adv_delta"]
    assert delta.shape == (32, 1, 8, 8) and 0 < delta.abs().max() <= 0.05 / 2 + 1e-7
    recs = list(fit(model, recipe, digits_split(digits), TrainParams(max_steps=6, log_every=3, batch_size=32)))
    assert math.isfinite(recs[-1].metrics["d_loss"])
    acc = d_robust_accuracy(model, digits.x_test[:64], digits.y_test[:64], eps=0.05)
    assert 0 <= acc["pgd_accuracy"] <= acc["clean_accuracy"] + 1e-9 <= 1 + 1e-9


def test_two_time_scales_give_d_its_own_learning_rate():
    config = GANConfig(kind="dcgan", d_lr_scale=4.0)
    opts = GANRecipe(config).optimizers(GAN(config), TrainParams(lr=1e-4))
    assert opts["generator"].param_groups[0]["lr"] == pytest.approx(1e-4)
    assert opts["discriminator"].param_groups[0]["lr"] == pytest.approx(4e-4)
    with pytest.raises(ConfigError, match="learning rate"):
        GANConfig(kind="dcgan", d_lr_scale=50.0)


def test_ema_warms_up_so_the_initial_weights_wash_out():
    model = seeded_model(tiny("dcgan", ema=0.999), 0)
    assert model.ema_decay(0) == pytest.approx(0.1) and model.ema_decay(90) == pytest.approx(0.91)
    assert model.ema_decay(10**6) == pytest.approx(0.999)
    with torch.no_grad():
        for p in model.generator.parameters():
            p.add_(1.0)  # the live G moves away from the initial weights the EMA copy started at
    init = [p.clone() for p in model.generator_ema.parameters()]
    for _ in range(200):
        model.update_ema()
    # the product of the decays over 200 updates, 9! · 200! / 209!, is below 1e-6: the start is forgotten
    left = [float((e - g).norm() / (i - g).norm())
            for e, g, i in zip(model.generator_ema.parameters(), model.generator.parameters(), init)]
    assert max(left) < 1e-3
