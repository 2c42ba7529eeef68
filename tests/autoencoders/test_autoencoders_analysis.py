"""The experiments behind the autoencoder pages: PSNR, interpolation, sparsity, active units, curves,
and the CLI for a VAE (train, then evaluate with the ELBO parts and the prior-sample scores)."""
from __future__ import annotations

import json
import math

import pytest
import torch

from genviz.autoencoders import analysis as ae_analysis
from genviz.cli import main
from genviz.core import latent, registry
from genviz.core.train import TensorSplit, TrainParams, fit


def _trained(kind: str, digits, steps: int = 60, **values):
    spec = registry.get(kind)
    config = spec.make_config(digits.image_shape, 10, **{"latent_dim": 8, "hidden": 32, **values})
    torch.manual_seed(0)
    model = spec.build(config)
    split = TensorSplit((digits.x_train,), (digits.x_test[:32],))
    for _ in fit(model, spec.recipe(config), split, TrainParams(max_steps=steps, batch_size=64, lr=3e-3, log_every=10**6)):
        pass
    return model.eval()


def test_psnr_by_hand_and_pixel_entropy_floor():
    x = torch.zeros(2, 1, 4, 4)
    assert ae_analysis.psnr(x, x + 0.1).tolist() == pytest.approx([20.0, 20.0], rel=1e-4)  # MSE 0.01 → 20 dB
    assert ae_analysis.bce_floor(torch.tensor([[[[0.0, 1.0]]]])) == pytest.approx(0.0, abs=1e-4)
    assert ae_analysis.bce_floor(torch.full((1, 1, 1, 2), 0.5)) == pytest.approx(2 * math.log(2), rel=1e-5)


def test_lerp_and_slerp_end_at_the_codes_and_slerp_keeps_the_norm():
    za, zb = torch.tensor([3.0, 0.0]), torch.tensor([0.0, 3.0])
    for path in (latent.lerp(za, zb, 5), latent.slerp(za, zb, 5)):
        assert path.shape == (5, 2) and torch.allclose(path[0], za) and torch.allclose(path[-1], zb, atol=1e-5)
    assert torch.allclose(latent.slerp(za, zb, 5).norm(dim=1), torch.full((5,), 3.0), atol=1e-5)
    assert float(latent.lerp(za, zb, 5).norm(dim=1)[2]) == pytest.approx(3 / math.sqrt(2), rel=1e-5)
    assert torch.allclose(latent.slerp(za, za, 3), za.expand(3, 2))  # same point: no division by zero


def test_denoising_ae_beats_the_noisy_input_and_psnr_curve_has_every_level(digits):
    dae = _trained("dae", digits, steps=150, noise_std=0.4)
    x = digits.x_test[:100]
    result = ae_analysis.denoise({"dae": dae}, x, "gaussian", 0.4, torch.Generator().manual_seed(0))
    assert result.noisy.shape == x.shape and result.outputs["dae"].shape == x.shape
    assert result.psnr["dae"] > result.psnr["noisy input"] + 1
    curves = ae_analysis.psnr_vs_noise({"dae": dae}, x, "mask", [0.0, 0.3, 0.6], seed=0)
    assert set(curves) == {"noisy input", "dae"} and all(len(v) == 3 for v in curves.values())
    assert curves["noisy input"][1] > curves["noisy input"][2]


def test_sparse_codes_are_sparser_than_vanilla_codes(digits):
    l1 = _trained("sae-l1", digits, steps=100, latent_dim=32, sparsity_weight=0.3)
    ae = _trained("ae", digits, steps=100, latent_dim=16)
    s_l1 = ae_analysis.code_statistics(l1, digits.x_test, 0.05)
    s_ae = ae_analysis.code_statistics(ae, digits.x_test, 0.05)
    assert s_l1.codes.shape == (len(digits.x_test), 32) and s_l1.unit_means.shape == (32,)
    assert s_l1.near_zero > s_ae.near_zero + 0.2


def test_active_units_posterior_draws_and_elbo_per_image(digits):
    vae = _trained("vae", digits, steps=100)
    n, var = ae_analysis.active_units(vae, digits.x_test)
    assert 0 <= n <= 8 and var.shape == (8,) and n == int((var > 0.01).sum())
    draws = ae_analysis.posterior_draws(vae, digits.x_test[:1], 6, torch.Generator().manual_seed(0))
    assert draws.shape == (6, 1, 8, 8) and float((draws[0] - draws[1]).abs().max()) > 0
    terms = ae_analysis.elbo_per_image(vae, digits.x_test[:5], torch.Generator().manual_seed(0))
    assert terms.recon.shape == terms.kl.shape == (5,) and bool((terms.kl >= 0).all())


def test_interpolation_manifold_and_prior_density(digits):
    vae = _trained("vae", digits, steps=20, latent_dim=2)
    path = ae_analysis.interpolate(vae, digits.x_test[:1], digits.x_test[1:2], 7, "spherical")
    assert path.shape == (7, 1, 8, 8)
    grid = ae_analysis.manifold_grid(vae, (-2, 2, -1, 1), 4)
    assert grid.shape == (16, 1, 8, 8)
    xs, ys, p = ae_analysis.prior_density("gaussian", (-3, 3, -3, 3), 20)
    assert p.shape == (20, 20) and p.max() == pytest.approx(1 / (2 * math.pi), rel=0.05)


def test_bottleneck_curves_yield_train_and_held_out_points(digits):
    settings = ae_analysis.CurveSettings(latent_sizes=(1, 4), train_sizes=(20, 200), small_train=30, hidden=16,
                                         steps=20, latent_for_sizes=4)
    points = list(ae_analysis.bottleneck_curves(digits, settings))
    assert [p["curve"] for p in points] == ["latent", "latent", "latent_small", "latent_small", "size", "size"]
    assert all(p["train_loss"] > 0 and p["test_loss"] > 0 for p in points)
    assert points[4]["n_train"] == 20 and points[1]["latent_dim"] == 4


def test_beta_experiment_reports_recon_kl_and_active_units(digits):
    records = list(ae_analysis.beta_experiment(digits, beta=4.0, latent_dim=4, epochs=2))
    final = records[-1]
    assert final["done"] and final["beta"] == 4.0 and 0 <= final["active_units"] <= 4
    assert final["test_loss"] == pytest.approx(final["test_recon"] + final["test_kl"])
    assert final["pictures"].shape == (24, 1, 8, 8)


def test_cli_trains_and_evaluates_a_vae(tmp_path, capsys):
    out = tmp_path / "vae"
    assert main(["train", "vae", "--dataset", "digits", "--epochs", "2", "--latent", "4", "--set", "hidden=32",
                 "--set", "beta=2", "--out", str(out)]) == 0
    trained = json.loads(capsys.readouterr().out)
    assert main(["evaluate", str(out) + ".safetensors"]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert ev["kind"] == "vae"
    for key in ("test_loss", "test_recon", "test_kl", "sample_confidence", "frechet_distance"):
        assert math.isfinite(ev[key]), key
    assert ev["test_loss"] == pytest.approx(ev["test_recon"] + ev["test_kl"])
    assert ev["test_loss"] == pytest.approx(trained["metrics"]["test_loss"], rel=1e-4)
    assert 0.1 <= ev["sample_confidence"] <= 1


def test_cli_refuses_bad_autoencoder_settings(capsys):
    assert main(["train", "dae", "--set", "noise_std=3", "--out", "x"]) == 2
    assert "Noise σ must be between 0 and 1" in capsys.readouterr().err
    assert main(["train", "aae", "--set", "prior=mixture", "--latent", "8", "--out", "x"]) == 2
    assert "set the latent size to 2" in capsys.readouterr().err


def test_scores_with_precomputed_real_features_match_the_metrics_module(digits):
    from genviz.core import scoring as metrics

    scorer = metrics.load_scorer("digits")
    vae = _trained("vae", digits, steps=20)
    real_feats = metrics.classifier_features(scorer, digits.x_test)[0]
    s1, a = ae_analysis.score_prior_samples(vae, scorer, digits.x_test, 200, seed=3)
    s2, b = ae_analysis.score_prior_samples(vae, scorer, digits.x_test, 200, seed=3, real_features=real_feats)
    assert torch.equal(s1, s2) and a.label_counts == b.label_counts and a.classes_covered == b.classes_covered
    assert a.confidence == pytest.approx(b.confidence) and a.frechet_distance == pytest.approx(b.frechet_distance, rel=1e-6)
