"""AppTest of every Autoencoders page with the shipped digits checkpoints: it renders, its widgets work,
and the number it exists to show points the right way."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from genviz.core import checkpoints

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = {p.stem for p in checkpoints.SHIPPED_DIR.glob("*.safetensors")}
NEEDED = {"ae-digits", "dae-digits", "sae-l1-digits", "sae-kl-digits", "vae-digits", "aae-digits", "ae-digits-2d",
          "vae-digits-2d", "aae-digits-2d"}
pytestmark = pytest.mark.skipif(not NEEDED <= SHIPPED, reason="shipped digits autoencoders missing: run "
                                "`python -m genviz pretrain --only ae vae dae sae-l1 sae-kl aae`")


def _page(name: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page(f"pages/{name}.py").run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _metric(at: AppTest, label_start: str) -> float:
    m = next(m for m in at.metric if m.label.startswith(label_start))
    return float(m.value.split()[0].rstrip("%"))


def _wait(at: AppTest, done, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline and not done(at):
        time.sleep(0.5)
        at.run()
    _ok(at)


def test_reconstructions_page():
    at = _page("ae_reconstructions")
    assert at.selectbox(key="recon_model").value.startswith("ae-digits ")
    assert 10 < _metric(at, "Held-out loss") < 25
    at.slider(key="recon_n").set_value(8).run()
    _ok(at)
    vae = next(o for o in at.selectbox(key="recon_model").options if o.startswith("vae-digits "))
    at.selectbox(key="recon_model").set_value(vae).run()
    _ok(at)
    assert _metric(at, "Held-out −ELBO") > _metric(at, "… of which KL") > 0
    assert len(at.get("plotly_chart")) == 1 and at.latex


def test_denoising_page_shows_the_dae_beating_the_noise():
    at = _page("ae_denoising")
    dae, noisy, ae = _metric(at, "PSNR · denoising AE"), _metric(at, "PSNR · noisy input"), _metric(at, "PSNR · vanilla AE")
    assert dae > noisy + 3 and dae > ae
    at.radio(key="dn_noise").set_value("mask").run()
    at.slider(key="dn_level").set_value(0.5).run()
    _ok(at)
    assert _metric(at, "PSNR · denoising AE") > _metric(at, "PSNR · noisy input")
    assert len(at.latex) >= 3


def test_sparsity_page_shows_sparser_codes_than_vanilla():
    at = _page("ae_sparsity")
    l1, kl, vanilla = (_metric(at, f"{n}: near-zero") for n in ("L1", "KL", "vanilla"))
    assert l1 > vanilla + 20 and kl > vanilla
    at.slider(key="sp_threshold").set_value(0.2).run()
    _ok(at)
    assert _metric(at, "L1: near-zero") >= l1
    assert len(at.get("plotly_chart")) == 2


def test_bottleneck_page_shows_shipped_curves_and_starts_and_stops_a_live_run():
    at = _page("ae_bottleneck")
    keys = {c.key for c in at.get("plotly_chart")}  # a live run finished by an earlier test may show too
    assert {"bn_shipped_latent", "bn_shipped_size"} <= keys
    assert any("Generalisation gap" in c.value for c in at.caption)
    at.select_slider(key="bn_steps").set_value(200).run()
    at.button(key="bn_start").click().run()
    _ok(at)
    at.button(key="bn_stop").click().run()
    _ok(at)
    assert any("stopped" in str(p.proto) or "points" in str(p.proto) for p in at.get("progress")) or at.caption


def test_prior_sampling_page_scores_the_vae_above_the_vanilla_ae():
    at = _page("ae_prior_sampling")
    confidences = [float(m.value) for m in at.metric if m.label.startswith("Confidence")]
    distances = [float(m.value) for m in at.metric if m.label.startswith("Fréchet")]
    assert len(distances) == 3  # vanilla AE, VAE, AAE
    assert distances[1] < distances[0] and confidences[1] > confidences[0]
    assert at.success and "vanilla" not in at.success[0].value
    # q(z) against the prior: one MMD row per model, and the sentence follows the AAE's number
    table = at.dataframe[-1].value
    assert list(table["model"]) == ["vanilla AE", "VAE", "AAE"]
    mmd = dict(zip(table["model"], table["MMD²"]))
    assert mmd["VAE"] < mmd["vanilla AE"]
    assert at.radio(key="ps_qz_model").value == "AAE"
    assert any(m.value.startswith("AAE's q(z) is") for m in at.markdown)
    # the plane is said in a caption: as the chart's title it was cut off at the chart's width
    assert any("prior draws and" in c.value and "test codes on" in c.value for c in at.caption)
    at.select_slider(key="ps_n").set_value(250).run()
    _ok(at)


def test_vae_inside_page_and_a_live_beta_run():
    at = _page("ae_vae_inside")
    active = next(m for m in at.metric if m.label == "Active units").value
    used, total = (int(v) for v in active.split(" / "))
    assert 0 < used <= total == 16
    at.number_input(key="vi_index").set_value(5).run()
    at.slider(key="vi_draws").set_value(6).run()
    _ok(at)
    at.slider(key="vi_beta").set_value(4.0)
    at.slider(key="vi_beta_latent").set_value(2)
    at.slider(key="vi_beta_epochs").set_value(10)
    at.button(key="vi_beta_start").click().run()
    _wait(at, lambda a: len(a.dataframe) > 0)
    assert len(at.dataframe) == 1 and at.dataframe[0].value.iloc[0]["β"] == 4.0


def test_latent_space_page_interpolates_and_draws_the_2d_views():
    at = _page("ae_latent_space")
    assert at.selectbox(key="ls2_ae").value.startswith("ae-digits-2d")
    assert at.selectbox(key="ls2_aae").value.startswith("aae-digits-2d")
    n_images = len(at.get("image"))
    at.slider(key="ls_steps").set_value(5).run()
    at.number_input(key="ls_b").set_value(7).run()
    at.slider(key="ls_grid").set_value(6).run()
    _ok(at)
    assert len(at.get("image")) == n_images >= 4 and len(at.get("plotly_chart")) == 1


@pytest.mark.skipif("ae-mnist" not in SHIPPED, reason="no shipped MNIST autoencoder")
def test_a_missing_dataset_is_said_plainly_and_models_still_sample():
    # The test home has no MNIST files (conftest points GENVIZ_DATA_DIR at an empty folder).
    at = _page("ae_reconstructions")
    at.selectbox(key="gv_dataset").set_value("mnist").run()
    _ok(at)
    assert at.warning and "not available" in at.warning[0].value and "Digits" in at.warning[0].value
    at = _page("ae_prior_sampling")
    at.selectbox(key="gv_dataset").set_value("mnist").run()
    _ok(at)
    assert at.warning and len(at.get("image")) >= 2  # the samples, without scores
    assert not [m for m in at.metric if m.label.startswith("Fréchet")]
