"""Concepts lab: conv arithmetic against torch, the Gaussian generator, the 2-D GAN, and its three pages."""
from __future__ import annotations

import dataclasses
import itertools
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from streamlit.testing.v1 import AppTest

from genviz.concepts import conv_arith, figures, gan2d, gaussian
from genviz.concepts.conv_arith import ConvLayer
from genviz.concepts.gan2d import Gan2dConfig, Gan2dLab
from genviz.core.errors import ConfigError, DataFormatError, TrainingDiverged
from genviz.gans import objectives

ROOT = Path(__file__).resolve().parents[2]


# ----- convolution arithmetic ------------------------------------------------------------------------------


def _torch_shape(transposed: bool, n: tuple[int, int], k, s, p, op, d) -> tuple[int, int] | None:
    """Output (H, W) that torch computes, or None when torch refuses the settings or gives an empty output."""
    x = torch.zeros(1, 1, *n)
    w = torch.zeros(1, 1, *k)
    try:
        if transposed:
            shape = tuple(F.conv_transpose2d(x, w, stride=s, padding=p, output_padding=op, dilation=d).shape[-2:])
        else:
            shape = tuple(F.conv2d(x, w, stride=s, padding=p, dilation=d).shape[-2:])
    except RuntimeError:
        return None
    return shape if min(shape) > 0 else None


@pytest.mark.parametrize("transposed", [True, False])
@torch.backends.mkldnn.flags(enabled=False)  # oneDNN builds a kernel per new shape: 10× slower for 1-pixel convs
def test_output_size_agrees_with_torch_over_a_grid(transposed):
    checked = refused = 0
    for n, k, s, p, op, d in itertools.product((1, 2, 5, 8), (1, 2, 3, 4, 5), (1, 2, 3), (0, 1, 2, 3), (0, 1, 2),
                                               (1, 2)):
        if not transposed and op:
            continue
        # non-square settings too: the width axis gets a different input size and kernel
        size, kernel = (n, n + 1), (k, max(1, k - 1))
        expected = _torch_shape(transposed, size, kernel, (s, s), (p, p), (op, op), (d, d))
        try:
            layer = ConvLayer(transposed, size, kernel, s, p, op, d)
        except ConfigError:
            # we may refuse more than torch (padding > d·(k−1)), never less
            assert expected is None or p > d * (min(kernel) - 1), (size, kernel, s, p, op, d, expected)
            refused += 1
            continue
        assert expected is not None, f"torch refuses {(size, kernel, s, p, op, d)} but ConvLayer accepted it"
        assert layer.out_size == expected, (size, kernel, s, p, op, d)
        checked += 1
    assert checked > 150 and refused > 50


@pytest.mark.parametrize("transposed", [True, False])
def test_weight_count_equals_the_modules_parameter_count(transposed):
    for k1, k2, d_in, d_out in itertools.product((1, 3, 4), (1, 2, 5), (1, 3, 16), (1, 8, 64)):
        layer = ConvLayer(transposed, 8, (k1, k2), 2, 0, 0, 1, d_in, d_out)
        assert layer.weight_count == k1 * k2 * d_in * d_out + d_out
        assert layer.weight_count == sum(p.numel() for p in layer.to_torch().parameters())


@torch.backends.mkldnn.flags(enabled=False)
def test_overlap_counts_and_footprints_match_torch():
    for n, k, s, d in itertools.product((2, 3, 4), (1, 2, 3, 4), (1, 2, 3), (1, 2)):
        layer = ConvLayer(True, (n, n + 1), (k, k), s, 0, 0, d)
        ones = F.conv_transpose2d(torch.ones(1, 1, n, n + 1), torch.ones(1, 1, k, k), stride=s, dilation=d)[0, 0]
        np.testing.assert_array_equal(conv_arith.overlap_counts(layer), ones.numpy())
        one_hot = torch.zeros(1, 1, n, n + 1)
        one_hot[0, 0, n - 1, 1] = 1  # cell index (n−1)·(n+1) + 1
        stamp = F.conv_transpose2d(one_hot, torch.ones(1, 1, k, k), stride=s, dilation=d)[0, 0] > 0
        np.testing.assert_array_equal(conv_arith.footprint(layer, (n - 1) * (n + 1) + 1), stamp.numpy())
        # conv: how many output cells read each padded input cell = the gradient of the sum of outputs
        conv = ConvLayer(False, (n + 4, n + 3), (k, k), s, min(1, d * (k - 1)), 0, d)
        x = torch.zeros(1, 1, *conv.canvas_size, requires_grad=True)
        F.conv2d(x, torch.ones(1, 1, k, k), stride=s, dilation=d).sum().backward()
        np.testing.assert_array_equal(conv_arith.overlap_counts(conv), x.grad[0, 0].numpy())


def test_checkerboard_when_stride_does_not_divide_the_kernel_and_padding_crops():
    uneven = ConvLayer(True, 4, 3, 2)
    counts = conv_arith.overlap_counts(uneven)[conv_arith.kept_mask(uneven)]
    assert counts.min() == 1 and counts.max() == 4  # the checkerboard
    even = ConvLayer(True, 4, 4, 2, padding=2)
    kept = conv_arith.kept_mask(even)
    assert kept.shape == (10, 10) and kept.sum() == 6 * 6 and not kept[:2].any() and not kept[:, -2:].any()
    inner = conv_arith.overlap_counts(even)[kept]
    assert inner.min() == inner.max() == 4, "k = 4, s = 2 overlaps evenly once padding removes the thin border"
    assert conv_arith.interior_overlap_range(uneven) == (1, 4)
    assert conv_arith.interior_overlap_range(ConvLayer(True, 4, 4, 2, padding=1)) == (4, 4), "DCGAN's k=4, s=2"
    assert conv_arith.interior_overlap_range(ConvLayer(True, 4, 3, 2, dilation=2)) == (0, 9), "holes: taps all even"


def test_conv_and_transposed_conv_are_shape_inverses():
    for n, k, s, p, d in itertools.product((4, 5, 7, 8), (2, 3, 4), (1, 2, 3), (0, 1), (1, 2)):
        if n + 2 * p < d * (k - 1) + 1:
            continue  # the kernel does not fit: no conv to invert
        conv = ConvLayer(False, n, k, s, p, 0, d, 3, 5)
        back = conv.inverse()
        assert back.transposed and back.out_size == conv.in_size and (back.d_in, back.d_out) == (5, 3)
        assert back.inverse().out_size == back.in_size


@pytest.mark.parametrize("kwargs, words", [
    (dict(in_size=0), "Input height must be between 1 and 64; got 0"),
    (dict(in_size=-3), "between 1 and 64"),
    (dict(kernel=0), "Kernel height must be between 1 and 11"),
    (dict(stride=0), "Stride must be between 1 and 8; got 0"),
    (dict(padding=3), "between 0 and d·(k−1) = 2"),
    (dict(padding=-1), "between 0 and d·(k−1) = 2"),
    (dict(output_padding=2), "smaller than the stride or the dilation: between 0 and 1"),
    (dict(d_out=0), "d_out (output channels) must be between 1 and 4096"),
    (dict(in_size=2.5), "whole number"),
    (dict(stride=(2, 0)), "Stride (width) must be between 1 and 8; got 0"),
])
def test_bad_conv_settings_say_what_is_allowed(kwargs, words):
    settings = dict(transposed=True, in_size=4, kernel=3, stride=2, padding=0, output_padding=0) | kwargs
    with pytest.raises(ConfigError, match=None) as err:
        ConvLayer(**settings)
    assert words in str(err.value)
    with pytest.raises(ConfigError, match="output padding only exists|Output padding only exists"):
        ConvLayer(False, 4, 3, 2, 0, 1)
    with pytest.raises(ConfigError, match="output height of"):
        ConvLayer(False, 2, 5, 1, 1)


def test_conv_figure_builds_for_both_layers():
    for layer in (ConvLayer(True, 3, 3, 2, 1, 1), ConvLayer(False, 6, 3, 2, 1)):
        fig = figures.conv_layer_figure(layer, conv_arith.cell_count(layer) - 1)
        assert len(fig.data) == 5 and fig.layout.shapes


# ----- Gaussian generator ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", gaussian.SQRT_METHODS)
def test_generated_covariance_tends_to_sigma(method):
    cov = gaussian.check_covariance(torch.tensor([[2.0, 0.8, 0.3], [0.8, 1.0, -0.2], [0.3, -0.2, 0.5]]))
    z = gaussian.standard_normal(200_000, 3, seed=0)
    x = gaussian.gaussian_generator(z, cov, method)
    torch.testing.assert_close(gaussian.sample_covariance(x), cov, atol=0.03, rtol=0.02)
    errors = [r["relative error"] for r in gaussian.covariance_convergence(x, cov, [100, 10_000, 200_000])]
    assert errors[0] > errors[1] > errors[2] and errors[2] < 0.01


def test_square_roots_differ_but_both_factor_sigma():
    cov = gaussian.covariance_2d(1.5, 0.7, 0.6)
    a, lower = gaussian.symmetric_sqrt(cov), gaussian.cholesky_factor(cov)
    torch.testing.assert_close(a @ a, cov)
    torch.testing.assert_close(a, a.T)
    torch.testing.assert_close(lower @ lower.T, cov)
    assert lower[0, 1] == 0 and not torch.allclose(a, lower)
    ellipse = gaussian.covariance_ellipse(cov, n_std=1.0)
    quad = np.einsum("ni,ij,nj->n", ellipse, torch.linalg.inv(cov).numpy(), ellipse)
    np.testing.assert_allclose(quad, 1.0, rtol=1e-9)


@pytest.mark.parametrize("matrix, words", [
    ("1, 0.5\n0.2, 1", "must be symmetric"),
    ("1, 1\n1, 1", "positive definite"),
    ("1, 2\n2, 1", "positive definite"),
    ("1, a\n0, 1", "only numbers"),
    ("1, 0, 0\n0, 1", "2×2 or 3×3"),
    ("5", "2×2 or 3×3"),
])
def test_bad_sigma_is_refused_with_a_reason(matrix, words):
    with pytest.raises(ConfigError) as err:
        gaussian.check_covariance(gaussian.parse_matrix(matrix))
    assert words in str(err.value)
    with pytest.raises(ConfigError, match="between −0.999 and 0.999"):
        gaussian.covariance_2d(1, 1, 1.0)
    with pytest.raises(ConfigError, match="σ1 must be between"):
        gaussian.covariance_2d(0, 1, 0.0)


def test_linear_mlp_generator_is_gaussian_and_a_nonlinear_one_bends():
    linear = gaussian.random_mlp_generator(gaussian.MLPGeneratorConfig(8, 2, "none (linear)", 1.0, 3))
    a, b = gaussian.affine_equivalent(linear)
    z = gaussian.standard_normal(5, 2, 1)
    with torch.no_grad():
        torch.testing.assert_close(linear(z), z @ a.T + b)
    bent = gaussian.random_mlp_generator(gaussian.MLPGeneratorConfig(8, 2, "tanh", 2.0, 3))
    a2, b2 = gaussian.affine_equivalent(bent)
    with torch.no_grad():
        assert (bent(z) - (z @ a2.T + b2)).abs().max() > 0.05
    assert gaussian.warp_lines(bent, gaussian.grid_lines(2.0, 5, 7)).shape == (10, 7, 2)


# ----- 2-D GAN ---------------------------------------------------------------------------------------------


def test_targets_sample_where_they_should():
    gen = torch.Generator().manual_seed(0)
    for name in ("ring", "grid", "line", "moons"):
        pts = gan2d.target_distribution(name).sample(500, gen)
        assert pts.shape == (500, 2) and pts.dtype == torch.float32 and pts.abs().max() < gan2d.CANVAS
    ring = gan2d.target_distribution("ring")
    covered, quality = gan2d.modes_covered(ring.sample(1000, gen), ring.modes, ring.std)
    assert covered == 8 and quality > 0.98
    one_mode = ring.modes[:1].repeat(1000, 1)
    assert gan2d.modes_covered(one_mode, ring.modes, ring.std)[0] == 1
    custom = gan2d.target_distribution("custom", torch.tensor([[0.0, 0.0], [10.0, 0.0], [5.0, 20.0]]))
    assert custom.points.abs().max() <= 2.0 + 1e-6
    with pytest.raises(DataFormatError, match="needs points"):
        gan2d.target_distribution("custom")


def test_divergences_on_the_grid():
    gen = torch.Generator().manual_seed(0)
    ring = gan2d.target_distribution("ring")
    same = gan2d.grid_divergences(ring.sample(4000, gen), ring.sample(4000, gen))
    apart = gan2d.grid_divergences(ring.sample(4000, gen), torch.zeros(4000, 2) + 0.01)
    assert same[1] < 0.05 and apart[1] > 0.9 and apart[0] > 5 * max(same[0], 0.01)


def test_csv_points_and_bad_csv():
    assert gan2d.points_from_csv("x,y\n0,1\n2,3\n4,5\n").tolist() == [[0, 1], [2, 3], [4, 5]]
    assert gan2d.points_from_csv(b"a;b;label\n1;2;p\n3;4;q\n5;6;r\n").shape == (3, 2)
    assert gan2d.points_from_csv("1.5,2\n3,4\n5,6\n7,8\n").shape == (4, 2), "headerless files work too"
    for bad, words in (("x\n1\n2\n3\n", "two numeric columns"), ("name,colour\nann,red\nbob,blue\n", "two numeric"),
                       ("x,y\n1,2\n", "between 3 and")):
        with pytest.raises(DataFormatError) as err:
            gan2d.points_from_csv(bad)
        assert words in str(err.value)


def test_csv_with_huge_or_infinite_values_names_the_row():
    """1e308 is a float64 but inf in float32: it used to become NaN points and "lower the learning rates"."""
    for text, words in (("x,y\n0,1\n1e308,2\n3,4\n", "row 2 after the header has x = 1e+308"),
                        ("1,2\n3,-inf\n5,6\n7,8\n", "row 2 has y = -inf"),
                        ("x,y\n0,1\n2,3\n4,2e6\n", "row 3 after the header has y = 2e+06")):
        with pytest.raises(DataFormatError) as err:
            gan2d.points_from_csv(text)
        assert words in str(err.value) and "finite number between" in str(err.value)
    points = gan2d.points_from_csv("x,y\n-1e6,0\n0,1e6\n3,4\n")
    assert torch.isfinite(gan2d.fit_to_canvas(points)).all(), "the largest allowed values still fit the canvas"


def test_the_lab_reads_its_losses_from_the_gan_objective_table(monkeypatch):
    assert set(gan2d.GAN2D_OBJECTIVES) <= set(objectives.OBJECTIVES)
    calls = []
    row = objectives.OBJECTIVES["lsgan"]
    spy = dataclasses.replace(row, d_loss=lambda r, f: calls.append("d") or row.d_loss(r, f),
                              g_loss=lambda f: calls.append("g") or row.g_loss(f))
    monkeypatch.setitem(objectives.OBJECTIVES, "lsgan", spy)
    lab = Gan2dLab(Gan2dConfig(loss="lsgan", g_width=8, d_width=8, batch_size=16))
    lab.step()
    assert calls == ["d", "g"]
    frame = lab.frame()
    assert frame.heat_mid == 0.5 and frame.heat_label == "D(x)"
    assert Gan2dLab(Gan2dConfig(g_width=8, d_width=8)).frame().heat_mid is None, "BCE: D(x) is a probability"
    # WGAN-GP: the table's gradient_penalty flag adds λ·GP to the critic's loss
    plain, penalised = (Gan2dLab(Gan2dConfig(loss="wgan-gp", gp_weight=w, g_width=8, d_width=8, batch_size=16))
                        for w in (0.0, 10.0))
    assert penalised.step_discriminator() > plain.step_discriminator()


def test_d_step_changes_only_d_and_g_step_only_g():
    lab = Gan2dLab(Gan2dConfig(g_width=16, d_width=16, batch_size=32))
    g0 = [p.clone() for p in lab.generator.parameters()]
    d0 = [p.clone() for p in lab.discriminator.parameters()]
    lab.step_discriminator()
    assert all(torch.equal(a, b) for a, b in zip(g0, lab.generator.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(d0, lab.discriminator.parameters()))
    d1 = [p.clone() for p in lab.discriminator.parameters()]
    lab.step_generator()
    assert all(torch.equal(a, b) for a, b in zip(d1, lab.discriminator.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(g0, lab.generator.parameters()))
    assert (lab.g_steps, lab.d_steps_done) == (1, 1)


@pytest.mark.parametrize("loss", gan2d.GAN2D_OBJECTIVES)
def test_every_loss_steps_and_draws_a_light_frame(loss):
    lab = Gan2dLab(Gan2dConfig(loss=loss, g_width=16, d_width=16, batch_size=32, d_steps=2))
    lab.step()
    frame = lab.frame()
    assert frame.real.shape == frame.fake.shape == frame.arrows.shape == (gan2d.SHOW_POINTS, 2)
    assert frame.heat.shape == (gan2d.HEAT_RES, gan2d.HEAT_RES) and frame.warped.shape == (18, 25, 2)
    assert np.isfinite(frame.heat).all() and frame.metrics.d_step == 2 and frame.metrics.step == 1
    assert np.linalg.norm(frame.arrows, axis=1).max() == pytest.approx(gan2d.ARROW_LENGTH, rel=1e-4)
    fig = figures.gan2d_canvas(frame)
    assert len(fig.data) == 5 and len(fig.to_json()) < 120_000, "live figures must stay light"
    assert len(figures.gan2d_canvas(frame, ["real"]).data) == 1
    figures.gan2d_metrics_figure(lab.history)


def test_same_seed_same_lab():
    a, b = Gan2dLab(Gan2dConfig(seed=4, g_width=8, d_width=8)), Gan2dLab(Gan2dConfig(seed=4, g_width=8, d_width=8))
    for lab in (a, b):
        lab.step()
    np.testing.assert_array_equal(a.frame().fake, b.frame().fake)


@pytest.fixture
def one_thread():
    """Tiny MLPs train fastest on one thread (as they do in the app's BackgroundJob)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_modes_covered_rises_on_the_ring_with_the_non_saturating_loss(one_thread):
    config = Gan2dConfig(target="ring", loss="bce-non-saturating", seed=0)
    history = gan2d.train_gan2d(config, 400, every=400)
    assert history[0].modes_covered == 0 and history[0].js > 0.85, "G starts as one blob near the origin"
    assert history[-1].modes_covered >= 6, history[-1]
    assert history[-1].js < history[0].js - 0.2


def test_live_changes_apply_in_place_and_architecture_changes_need_a_reset():
    lab = Gan2dLab(Gan2dConfig(g_width=8, d_width=8))
    lab.apply(Gan2dConfig(g_width=8, d_width=8, loss="wgan-gp", g_lr=3e-4, d_optimizer="sgd"))
    assert lab.config.loss == "wgan-gp" and lab.opt_g.param_groups[0]["lr"] == 3e-4
    assert isinstance(lab.opt_d, torch.optim.SGD)
    with pytest.raises(ConfigError, match="Reset"):
        lab.apply(Gan2dConfig(g_width=16, d_width=8))
    with pytest.raises(ConfigError, match="Loss must be one of"):
        Gan2dConfig(loss="hinge")


def test_divergence_is_reported_not_crashed():
    lab = Gan2dLab(Gan2dConfig(g_width=8, d_width=8))
    with torch.no_grad():
        lab.discriminator[0].weight.fill_(float("nan"))
    with pytest.raises(TrainingDiverged, match="lower the learning rates"):
        lab.step_discriminator()


def test_run_yields_frames_until_stopped():
    lab = Gan2dLab(Gan2dConfig(g_width=8, d_width=8, batch_size=16))
    lab.max_speed = True
    stop = threading.Event()
    frames = []
    for frame in lab.run(stop):
        frames.append(frame)
        if len(frames) == 2:
            stop.set()
    assert len(frames) == 2 and lab.g_steps == 100 and lab.last_frame is frames[-1]
    # nobody calls seen() (the tab was closed): the run ends by itself, without a stop event
    started = time.monotonic()
    unwatched = list(lab.run(threading.Event(), idle_stop_s=0.2))
    assert unwatched and time.monotonic() - started < 30


# ----- pages -----------------------------------------------------------------------------------------------


def _page(path: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page(path).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_transposed_conv_page_steps_and_explains_bad_input():
    at = _page("pages/concept_transposed_conv.py")
    assert not at.error
    assert any(m.label == "Output size" and m.value == "9 × 9 × 8" for m in at.metric)
    assert any(m.label == "Learnable parameters" and m.value == "224" for m in at.metric)
    assert any("checkerboard" in w.value.lower() for w in at.warning)
    at.button(key="tconv_next").click().run()
    assert at.slider(key="tconv_cell").value == 1
    at.button(key="tconv_prev").click().run()
    at.button(key="tconv_prev").click().run()
    assert at.slider(key="tconv_cell").value == 15, "Previous wraps around to the last input cell"
    at.number_input(key="tconv_stride").set_value(0).run()
    assert at.error and "Stride must be between 1 and 8; got 0" in at.error[0].value
    at.number_input(key="tconv_stride").set_value(2)
    at.number_input(key="tconv_padding").set_value(5).run()
    assert at.error and "between 0 and d·(k−1) = 2" in at.error[0].value
    at.number_input(key="tconv_padding").set_value(1)
    at.radio(key="tconv_kind").set_value("regular").run()
    assert not at.exception and not at.error
    assert any(m.label == "Output size" and m.value == "2 × 2 × 8" for m in at.metric)
    assert at.success, "the inverse layer's shapes match"


def test_gaussian_generator_page_and_bad_sigma():
    at = _page("pages/concept_gaussian_generator.py")
    assert not at.error
    at.select_slider(key="gauss_n").set_value(30000).run()
    error = next(m for m in at.metric if m.label.startswith("Sample covariance"))
    assert float(error.value) < 0.05
    at.radio(key="gauss_mode").set_value("Type Σ (2×2 or 3×3)").run()
    assert not at.exception and not at.error
    at.text_area(key="gauss_matrix").set_value("1, 0.5\n0.2, 1").run()
    assert at.error and "symmetric" in at.error[0].value
    at.text_area(key="gauss_matrix").set_value("1, 1\n1, 1").run()
    assert at.error and "positive definite" in at.error[0].value
    at.radio(key="gauss_mlp_activation").set_value("none (linear)").run()
    assert not at.exception


def test_gan2d_page_steps_plays_pauses_and_resets():
    at = _page("pages/concept_gan2d.py")
    assert not at.error
    assert at.button(key="gan2d_pause").disabled and not at.button(key="gan2d_play").disabled

    def steps() -> str:
        return next(m.value for m in at.metric if m.label == "G steps")

    at.button(key="gan2d_step_d").click().run()
    assert steps() == "0"
    at.button(key="gan2d_step_g").click().run()
    at.button(key="gan2d_step").click().run()
    assert steps() == "2" and not at.exception
    at.button(key="gan2d_play").click().run()
    assert at.button(key="gan2d_play").disabled and at.button(key="gan2d_step_d").disabled
    time.sleep(1.0)
    at.button(key="gan2d_pause").click().run()
    assert not at.button(key="gan2d_play").disabled and int(steps().replace(",", "")) > 2
    at.checkbox(key="gan2d_show_gradients").check()
    at.selectbox(key="gan2d_loss").set_value("wgan-gp").run()
    assert not at.exception and not at.error
    at.button(key="gan2d_reset").click().run()
    assert steps() == "0"
    at.selectbox(key="gan2d_target").set_value("custom").run()
    assert not at.exception and any("needs points" in i.value for i in at.info)


def test_gan2d_upload_error_names_the_row_and_clears_after_a_good_upload():
    at = _page("pages/concept_gan2d.py")
    at.selectbox(key="gan2d_target").set_value("custom").run()
    at.file_uploader(key="gan2d_csv").set_value(("huge.csv", b"x,y\n0,1\n1e308,2\n3,4\n", "text/csv")).run()
    assert not at.exception
    assert [e.value for e in at.error] and all("row 2 after the header has x = 1e+308" in e.value for e in at.error)
    at.file_uploader(key="gan2d_csv").set_value(("good.csv", b"x,y\n0,1\n2,3\n4,5\n", "text/csv")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert not any("needs points" in i.value for i in at.info), "the good points became the target"
