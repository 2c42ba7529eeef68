"""StyleGAN ideas (kind stylegan): mapping network, synthesis from a constant with per-layer styles and noise,
style mixing, truncation in W, the evaluate numbers and the sentences for bad input. Tiny widths only."""
from __future__ import annotations

import math

import pytest
import torch

from genviz.core import checkpoints
from genviz.core.errors import ConfigError
from genviz.core.train import RunState, TensorSplit, TrainParams, new_run
from genviz.gans import stylegan
from genviz.gans.experiments import seeded_model
from genviz.gans.models import GANConfig
from genviz.gans.recipes import GANRecipe

TINY = {"latent_dim": 8, "g_width": 4, "d_width": 4}


def tiny(shape=(1, 28, 28), **kw) -> GANConfig:
    return GANConfig(kind="stylegan", image_shape=shape, n_classes=10, **{**TINY, **kw})


@pytest.fixture(scope="module")
def model28():
    return seeded_model(tiny(), 0).eval()


def test_synthesis_from_a_constant_with_style_slots_at_7_14_28(model28):
    net = model28.generator
    assert net.slot_resolutions == [7, 7, 14, 14, 28, 28] and net.n_styles == 6
    assert tuple(net.const.shape[-2:]) == (7, 7)
    a = model28.sample(5, torch.Generator().manual_seed(1))
    assert a.shape == (5, 1, 28, 28) and 0 <= a.min() and a.max() <= 1
    assert torch.equal(a, model28.sample(5, torch.Generator().manual_seed(1)))
    assert not torch.equal(a, model28.sample(5, torch.Generator().manual_seed(2)))
    assert stylegan.style_resolutions((1, 8, 8)) == [4, 8] and stylegan.style_resolutions((1, 32, 32)) == [4, 8, 16, 32]


def test_skip_output_sums_an_image_from_every_resolution():
    """StyleGAN2's skip generator: a toRGB at 7 and 14 px as well as 28 px; the coarse images, upsampled, add to the
    last one, so a change in the 7×7 toRGB alone moves the output (with "last" there is no such path)."""
    model = seeded_model(tiny(style_output="skip"), 0).eval()
    net = model.generator
    assert [tuple(p.shape) for p in net.skip_to_image] == [(1, 16, 1, 1), (1, 8, 1, 1)]  # 4w at 7 px, 2w at 14 px
    g = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    before = model.sample(4, g())
    assert before.shape == (4, 1, 28, 28) and 0 <= before.min() and before.max() <= 1
    with torch.no_grad():
        net.skip_to_image_bias[0] += 1.0  # a constant added to the 7×7 image raises every output pixel
    after = model.sample(4, g())
    assert (after > before).all()
    plain = seeded_model(tiny(), 0).generator
    assert plain.skip_to_image is None and not any("skip" in k for k in plain.state_dict())
    with pytest.raises(ConfigError, match="Style output"):
        tiny(style_output="sideways")


@pytest.mark.parametrize("depth", [0, 2, 8])
def test_mapping_depth_and_pixel_norm(depth):
    net = seeded_model(tiny(mapping_depth=depth), 0).generator
    assert len(net.mapping.layers) == depth
    z = torch.randn(4, 8) * 3
    w = net.mapping(z)
    if depth == 0:  # the control: w is z on the √d sphere
        assert torch.allclose(w, z / z.square().mean(1, keepdim=True).sqrt(), atol=1e-5)
    assert torch.allclose(stylegan.pixel_norm(z).square().mean(1), torch.ones(4), atol=1e-4)


def test_equalised_lr_multipliers():
    layer = stylegan.EqualLinear(16, 4, lr_mul=0.01)
    assert layer.weight.std() > 20  # stored at 1/lr_mul scale, used at lr_mul/√fan_in
    assert torch.allclose(layer.weight * layer.scale, layer.weight * 0.01 / 4)
    model = seeded_model(tiny(g_lr_mul=10.0), 0)
    opts = GANRecipe(model.config).optimizers(model, TrainParams(lr=2e-4))
    assert math.isclose(opts["generator"].param_groups[0]["lr"], 2e-3)
    assert math.isclose(opts["discriminator"].param_groups[0]["lr"], 2e-4)


def test_adam_betas_are_the_objectives_unless_named():
    """StyleGAN trained with Adam β = (0, 0.99); the other kinds keep their objective's (their paper's) betas."""
    betas = lambda cfg: GANRecipe(cfg).optimizers(seeded_model(cfg, 0), TrainParams(lr=1e-3))["generator"].param_groups[0]["betas"]  # noqa: E731,E501
    assert tuple(betas(tiny())) == (0.5, 0.999)  # bce-non-saturating: DCGAN's
    assert tuple(betas(tiny(adam_betas="0, 0.99"))) == (0.0, 0.99)
    with pytest.raises(ConfigError, match="Adam betas"):
        tiny(adam_betas="0.9, 0.9")
    # the first file written with betas stored the pair itself
    assert GANConfig.upgrade({"kind": "stylegan", "adam_betas": [0.0, 0.99]})["adam_betas"] == "0, 0.99"


def test_style_mixing_takes_coarse_and_fine_styles_from_two_sources(model28):
    net = model28.generator
    w = net.mapping(torch.randn(3, 8, generator=torch.Generator().manual_seed(0)))
    w2 = net.mapping(torch.randn(3, 8, generator=torch.Generator().manual_seed(1)))
    same = stylegan.mix(net, w, w, 2)
    assert torch.allclose(same, net.synthesis(w[:, None].expand(-1, 6, -1)))
    mixed = stylegan.mix(net, w, w2, 2)
    assert not torch.allclose(mixed, same)
    grid = stylegan.mixing_grid(model28, [0, 1], [2, 3, 4], stylegan.default_crossover(net))
    assert grid.shape == (3 * 4, 1, 28, 28) and torch.equal(grid[0], torch.ones(1, 28, 28))  # blank corner
    assert stylegan.default_crossover(net) == 2  # the two 7×7 layers are the coarse styles


def test_style_mixing_regularisation_in_training():
    net = seeded_model(tiny(style_mixing=1.0), 0).generator.train()
    z = torch.randn(16, 8)
    ws = net.mapping(z)[:, None].expand(-1, 6, -1)
    mixed = net._mixed(ws, z, torch.Generator().manual_seed(0))
    differs = (mixed != ws).any(2)  # (B, layers)
    assert differs.any(1).all() and not differs[:, 0].any()  # every sample mixed, never at layer 0
    assert (differs.int().diff(dim=1) >= 0).all()  # once switched, it stays on the second w
    off = seeded_model(tiny(style_mixing=0.0), 0).generator.train()
    assert torch.equal(off(z, torch.Generator().manual_seed(0)), off(z, torch.Generator().manual_seed(0)))


def test_truncation_in_w_and_w_avg_as_an_ema():
    model = seeded_model(tiny(), 0)
    net = model.generator
    assert torch.equal(net.w_avg, torch.zeros(8))
    net.train()(torch.randn(32, 8), torch.Generator().manual_seed(0))
    moved = net.w_avg.clone()
    assert moved.abs().sum() > 0
    net.eval()(torch.randn(32, 8))
    assert torch.equal(net.w_avg, moved)  # eval forwards leave w̄ alone
    w = net.mapping(torch.randn(4, 8))
    assert torch.allclose(net.truncate(w, 0.5), moved + 0.5 * (w - moved))
    g = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    assert torch.allclose(model.sample(4, g(), psi=1.0), model.sample(4, g()))
    grid = stylegan.w_truncation_grid(model, [0, 1], [0.25, 1.0])
    assert grid.shape == (4, 1, 28, 28)
    with pytest.raises(ConfigError, match="above 0"):
        model.sample(2, g(), psi=0.0)
    with pytest.raises(ConfigError, match="above 0"):
        stylegan.w_truncation_grid(model, [0], [-1.0])


def test_noise_has_a_learned_per_channel_scale():
    model = seeded_model(tiny(), 0).eval()
    net = model.generator
    assert all(layer.noise_strength.shape == (layer.bias.shape[0],) for layer in net.layers)
    images, std = stylegan.noise_variation(model, seed=0, draws=4)
    assert images.shape == (4, 1, 28, 28) and std.shape == (28, 28) and float(std.max()) == 0.0  # scale starts at 0
    with torch.no_grad():
        for layer in net.layers:
            layer.noise_strength.fill_(1.0)
    images, std = stylegan.noise_variation(model, seed=0, draws=4)
    assert float(std.max()) > 0
    z = torch.randn(2, 8)
    assert torch.equal(net(z), net(z))  # without a generator: each layer's fixed noise map


def test_two_training_steps_and_checkpoint_round_trip(digits, tmp_path):
    split = TensorSplit((digits.x_train[:64], digits.y_train[:64]), (digits.x_test[:32], digits.y_test[:32]))
    for block, output in zip(stylegan.STYLE_BLOCKS, stylegan.STYLE_OUTPUTS):
        run = new_run("stylegan", digits, {**TINY, "style_block": block, "style_output": output, "ema": 0.9},
                      TrainParams(max_steps=2, log_every=1, batch_size=16), split=split)
        recs = list(run.fit())
        assert [r.step for r in recs] == [1, 2] and all(math.isfinite(v) for v in recs[-1].metrics.values())
    path = checkpoints.save(tmp_path / "sg", run.model, run.config, dataset="digits")
    ckpt = checkpoints.load(path)
    assert ckpt.kind == "stylegan" and ckpt.config.style_block == "adain"
    g = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    assert torch.allclose(ckpt.model.sample(3, g()), run.model.eval().sample(3, g()), atol=1e-5)


def test_recipe_passes_its_generator_for_noise_and_mixing(digits):
    model = seeded_model(tiny((1, 8, 8)), 0)
    recipe = GANRecipe(model.config)
    opts = recipe.optimizers(model, TrainParams(lr=1e-3))
    out = recipe.step(model, opts, (digits.x_train[:8],), torch.Generator().manual_seed(0), RunState())
    assert math.isfinite(float(out["g_loss"]))
    assert model.generator.w_avg.abs().sum() > 0


def test_evaluate_reports_the_style_numbers(digits):
    from genviz.core.evaluation import evaluate_model

    model = seeded_model(tiny((1, 8, 8)), 0)
    metrics = evaluate_model("stylegan", model, model.config, digits)
    for key in ("mixing_coarse_agreement", "separability_z", "separability_w", "ppl_z", "ppl_w",
                "noise_class_change", "frechet_distance"):
        assert key in metrics and math.isfinite(metrics[key]), key
    assert 0 <= metrics["mixing_coarse_agreement"] <= 1 and metrics["mixing_crossover"] == 2
    assert len(metrics["mixing_by_crossover"]) == 3  # 8×8: slots at 4, 4, 8, 8


def test_bad_input_is_one_sentence(model28):
    with pytest.raises(ConfigError, match="between 1 and 5"):
        stylegan.mixing_grid(model28, [0], [1], 6)
    with pytest.raises(ConfigError, match="between 1 and 5"):
        stylegan.mixing_grid(model28, [0], [1], 0)
    with pytest.raises(ConfigError, match="unconditional"):
        tiny(conditioning="input")
    with pytest.raises(ConfigError, match="square"):
        tiny((1, 28, 14))
    with pytest.raises(ConfigError, match="no styles"):
        stylegan.style_generator(seeded_model(GANConfig(kind="dcgan", **TINY), 0))
    with pytest.raises(ConfigError, match="Style block"):
        tiny(style_block="spade")


# One recorded training run (scripts/repack_shipped.py run_record): meets every target of gan_ui.STYLE_TARGETS.
RUN = {"seed": 0, "style_mixing": 0.5, "train_seconds": 480.5, "torch_threads": 2, "label_counts": [100] * 9 + [60],
       "frechet_distance": 30.0, "mixing_coarse_agreement": 0.75, "noise_class_change": 0.005,
       "separability_z": 0.45, "separability_w": 0.8}


def test_recorded_runs_count_per_p_the_runs_that_meet_every_target():
    from genviz.gans import ui as gan_ui

    runs = [RUN | {"seed": 1},
            RUN | {"seed": 0, "label_counts": [100] * 9 + [40]},  # one class drawn 2.5× less: fails the balance
            RUN | {"seed": 2, "noise_class_change": 0.02},
            RUN | {"seed": 0, "style_mixing": 0.9, "frechet_distance": 61.0},
            RUN | {"seed": 1, "style_mixing": 0.9, "mixing_coarse_agreement": 0.9}]
    rows, sentence = gan_ui.recorded_runs(runs)
    assert [(r["style mixing p"], r["seed"], r["every target"], r["this file"]) for r in rows] == [
        (0.5, 0, "no", ""), (0.5, 1, "yes", "this one"), (0.5, 2, "no", ""), (0.9, 0, "no", ""), (0.9, 1, "yes", "")]
    assert rows[0]["max/min class count"] == 2.5 and rows[1]["w − z (points)"] == 35.0
    assert "at p = 0.5, 1 of 3 (seeds 0, 1, 2); at p = 0.9, 1 of 2 (seeds 0, 1). This file is seed 1." in sentence
    assert "between 30 and 61" in sentence
    assert gan_ui.recorded_runs([RUN | {"label_counts": None}])[0][0]["every target"] == "no"  # unknown: not met


def test_stylegan_page_mixes_resamples_truncates_and_refuses_psi_zero(digits):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from genviz.ui import catalogue

    split = TensorSplit((digits.x_train[:64], digits.y_train[:64]), (digits.x_test[:32], digits.y_test[:32]))
    run = new_run("stylegan", digits, TINY, TrainParams(max_steps=2, batch_size=16), split=split)
    list(run.fit())
    runs = [RUN | {"seed": 4}, RUN | {"seed": 2, "frechet_distance": 90.0}]  # this file's record first, another run's
    checkpoints.save(checkpoints.user_dir() / "tiny-stylegan", run.model, run.config, dataset="digits",
                     extra={"runs": runs})
    catalogue.clear()
    root = Path(__file__).resolve().parents[2]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=120).run()
    at.switch_page("pages/gan_stylegan.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.slider(key="sg_crossover").value == 2 and len(at.get("image")) >= 3
    # the runs recorded with the file: a table and the sentence that counts those meeting every target
    model = at.selectbox(key="sg_model")
    model.select_index(next(i for i, o in enumerate(model.options) if o.startswith("tiny-stylegan"))).run()
    assert not at.exception and not at.error
    assert any(h.value == "The same recipe, other training runs" for h in at.subheader)
    table = next(d.value for d in at.dataframe if "every target" in d.value.columns)
    assert [list(r) for r in table[["seed", "every target"]].values] == [[2, "no"], [4, "yes"]]
    assert any("at p = 0.5, 1 of 2 (seeds 2, 4). This file is seed 4." in c.value for c in at.caption)
    assert any("Style mixing" in m.value for m in at.markdown)
    # the formula is the one of the block this model uses (AdaIN by default), not StyleGAN2's modulated conv
    assert run.config.style_block == "adain"
    assert any("AdaIN" in x.value for x in at.latex) and not any("w'_{ijk}" in x.value for x in at.latex)
    # and the way it makes its image (one toRGB at the end, or StyleGAN2's sum over resolutions)
    said = stylegan.STYLE_OUTPUT_TEXT[run.config.style_output].split("{res}")[0]
    assert any(said in m.value for m in at.markdown), run.config.style_output
    at.slider(key="sg_crossover").set_value(3).run()
    assert not at.exception and not at.error
    at.slider(key="sg_psi").set_value(0.0).run()
    assert [e.value for e in at.error] == ["The truncation ψ must be a number above 0 and at most 10; got 0.0."]
    catalogue.clear()


def test_style_verdicts_follow_the_numbers_and_the_depth_runs():
    from genviz.gans import ui as gan_ui

    numbers = {"mixing_coarse_agreement": 0.3, "mixing_fine_agreement": 0.5, "mixing_crossover": 2,
               "separability_z": 0.5, "separability_w": 0.7, "ppl_z": 3000.0, "ppl_w": 600.0, "noise_class_change": 0.05}
    runs = [{"mapping_depth": d, "steps": 1000, "separability_z": 0.5, "separability_w": 0.5 + g / 100}
            for d, g in ((0, -0.6), (2, 7.1), (4, 8.5), (8, 22.3))]
    text = " ".join(gan_ui.style_verdicts(numbers, 8, runs))
    assert "30% of 1,000 mixed images" in text and "(≥ 70%) does not hold" in text
    assert "w − z = +20.0 points with a 8-layer mapping. The claim (≥ 10 points at L ≥ 4) holds." in text
    assert "Paths in W are shorter" in text and "changes the class of 5.0% of samples. The claim (≤ 1%) does not hold" in text
    assert "L = 0: -0.6, L = 2: +7.1, L = 4: +8.5, L = 8: +22.3 points" in text
    assert "it holds for L = 8, not for L = 4; the gap grows with the depth." in text
    assert "With the crossover at" not in text
    numbers["mixing_by_crossover"] = [{"crossover": c, "coarse": a, "fine": 0.2} for c, a in ((1, 0.2), (2, 0.3), (3, 0.76))]
    assert "crossover at 3 (styles 1–3 from the row), 76% keep the coarse source's class" in " ".join(gan_ui.style_verdicts(numbers, 8, runs))
    runs[2]["separability_w"] = 0.62  # L = 4 now gains 12 points
    assert [gan_ui.short_number(v) for v in (51636.0, 2933.0, 0.421, 2.4e6)] == ["52k", "2,933", "0.421", "2.4M"]
    assert "The claim holds at equal budget" in " ".join(gan_ui.style_verdicts(numbers, 8, runs))
    # a model trained with less style mixing than the paper's 90 % says so where a claim it favours fails
    assert "mixed styles on" not in " ".join(gan_ui.style_verdicts(numbers, 8, runs, 0.9))
    low = gan_ui.style_verdicts(numbers, 8, runs, 0.5)
    assert sum("mixed styles on 50% of its training images" in t for t in low) == 2  # mixing and noise both fail
    assert "mix09" not in " ".join(low)  # no file of that name ships
    numbers.update(mixing_coarse_agreement=0.8, noise_class_change=0.005)
    assert "mixed styles on" not in " ".join(gan_ui.style_verdicts(numbers, 8, runs, 0.5))
