"""One AppTest per GAN page, on tiny digits checkpoints saved in a temporary GENVIZ_HOME."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from genviz.core import checkpoints
from genviz.core.train import TensorSplit, TrainParams, new_run
from genviz.gans.experiments import grids_to_uint8, train_with_history

ROOT = Path(__file__).resolve().parents[2]


def _save_tiny(kind: str, digits, name: str) -> str:
    split = TensorSplit((digits.x_train[:128], digits.y_train[:128]), (digits.x_test[:32], digits.y_test[:32]))
    run = new_run(kind, digits, {"latent_dim": 8, "g_width": 8, "d_width": 8},
                  TrainParams(max_steps=6, log_every=2, batch_size=32), split=split)
    history = train_with_history(run, keep=3)
    path = checkpoints.save(checkpoints.user_dir() / name, run.model, run.config, dataset="digits",
                            extra={"curve": history.curve, "progress_steps": history.grid_steps, "train_seconds": 1.0},
                            extra_tensors={"progress_grids": grids_to_uint8(history.grids)})
    return checkpoints.info(path).label


@pytest.fixture
def tiny_gans(digits):
    from genviz.ui import catalogue

    labels = {kind: _save_tiny(kind, digits, f"tiny-{kind}") for kind in ("dcgan", "cgan")}
    catalogue.clear()  # the picker's cached catalogue must see this test's GENVIZ_HOME
    yield labels
    catalogue.clear()


def _page(path: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page(path).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _image_captions(at: AppTest) -> list[str]:
    return [img.caption for image in at.get("image") for img in image.proto.imgs]


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_samples_page_resamples_and_scores(tiny_gans):
    at = _page("pages/gan_samples.py")
    at.selectbox(key="gans_model").set_value(tiny_gans["dcgan"]).run()
    _ok(at)
    assert len(at.get("image")) >= 1
    assert any("Noise seed 0" in c.value for c in at.caption)
    names = {m.label for m in at.metric}
    assert {"Fréchet distance", "Mean confidence", "Classes covered"} <= names
    at.button(key="gans_resample").click().run()
    _ok(at)
    assert any("Noise seed 1" in c.value for c in at.caption)
    at.selectbox(key="gans_model").set_value(tiny_gans["cgan"]).run()
    _ok(at)
    assert "Label agreement" in {m.label for m in at.metric}


def test_samples_page_truncates_z_and_draws_the_truncation_curve(tiny_gans):
    at = _page("pages/gan_samples.py")
    at.selectbox(key="gans_model").set_value(tiny_gans["cgan"]).run()
    fd_full = next(m.value for m in at.metric if m.label == "Fréchet distance")
    at.toggle(key="gans_truncate").set_value(True).run()
    at.slider(key="gans_psi").set_value(0.2).run()
    _ok(at)
    assert next(m.value for m in at.metric if m.label == "Fréchet distance") != fd_full  # scored at ψ = 0.2
    at.button(key="gans_trunc_run").click().run()
    _ok(at)
    assert any("From ψ = 2 down to ψ = 0.1" in c.value for c in at.caption)


def test_class_grid_page_draws_conditional_and_offers_no_unconditional(tiny_gans):
    at = _page("pages/gan_class_grid.py")
    options = at.selectbox(key="gans_cg_model").options
    assert tiny_gans["cgan"] in options and tiny_gans["dcgan"] not in options, "a mismatch cannot be chosen"
    assert all("(dcgan," not in o and "(wgan-gp," not in o for o in options)
    at.selectbox(key="gans_cg_model").set_value(tiny_gans["cgan"]).run()
    _ok(at)
    at.slider(key="gans_cg_cols").set_value(5).run()
    _ok(at)
    assert any("Rows top to bottom" in c for c in _image_captions(at))


def test_gan_pickers_default_to_the_datasets_reference_model(tiny_gans):
    at = _page("pages/gan_class_grid.py")
    _ok(at)
    assert at.selectbox(key="gans_cg_model").value.startswith("cgan-digits (")
    at.switch_page("pages/gan_samples.py").run()
    assert at.selectbox(key="gans_model").value.startswith("dcgan-digits (")
    assert all(", digits, " in o for o in at.selectbox(key="gans_model").options)


def test_latent_walk_page_both_modes(tiny_gans):
    at = _page("pages/gan_latent_walk.py")
    at.selectbox(key="gans_walk_model").set_value(tiny_gans["cgan"]).run()
    _ok(at)
    at.radio(key="gans_walk_method").set_value("linear").run()
    at.slider(key="gans_walk_steps").set_value(5).run()
    at.selectbox(key="gans_walk_label").set_value(3).run()
    _ok(at)
    at.radio(key="gans_walk_mode").set_value("Along one direction").run()
    at.slider(key="gans_walk_radius").set_value(2.0).run()
    _ok(at)
    assert any("G(z + t·u)" in c for c in _image_captions(at))


def test_training_dynamics_page_scrubs_saved_grids(tiny_gans):
    at = _page("pages/gan_training_dynamics.py")
    at.selectbox(key="gans_dyn_model").set_value(tiny_gans["dcgan"]).run()
    _ok(at)
    slider = at.select_slider(key="gans_dyn_step")
    assert slider.value == 6 and 0 in slider.options or "0" in slider.options
    slider.set_value(0).run()
    _ok(at)
    assert any("at step 0" in c for c in _image_captions(at))


def test_training_dynamics_page_follows_a_live_gan_run():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/train.py").run()
    at.selectbox(key="train_kind").set_value("dcgan").run()
    at.slider(key="train_dcgan_g_width").set_value(8)
    at.slider(key="train_dcgan_d_width").set_value(8)
    at.number_input(key="train_epochs").set_value(3)  # one record (and fixed-noise grid) per epoch
    at.button(key="train_start").click().run()
    deadline = time.time() + 90
    while time.time() < deadline:
        time.sleep(0.5)
        at.run()
        if any(b.label == "Save" for b in at.get("form_submit_button")) or at.error:
            break
    _ok(at)
    at.switch_page("pages/gan_training_dynamics.py").run()
    at.radio(key="gans_dyn_source").set_value("The live run on the Train page").run()
    _ok(at)
    assert any("live dcgan on digits" in c.value for c in at.caption)
    # a saved run keeps its fixed-noise grids for the same page
    at.switch_page("pages/train.py").run()
    at.text_input(key="train_save_name").set_value("my-dcgan")
    next(b for b in at.get("form_submit_button") if b.label == "Save").click().run()
    _ok(at)
    from genviz.core import checkpoints
    from genviz.gans.ui import checkpoint_history

    history = checkpoint_history(checkpoints.load(checkpoints.user_dir() / "my-dcgan.safetensors"))
    assert history.grids is not None and len(history.grids) == len(history.grid_steps) >= 2
    assert history.grid_steps[-1] == history.curve[-1]["step"] and history.grids.shape[-2:] == (8, 8)


def test_gradient_vanishing_page_runs_live():
    at = _page("pages/gan_gradient_vanishing.py")
    _ok(at)
    at.slider(key="gans_van_steps").set_value(20)
    at.slider(key="gans_van_warmup").set_value(50)
    at.button(key="gans_van_run").click().run()
    deadline = time.time() + 90
    while time.time() < deadline:
        time.sleep(0.5)
        at.run()
        if any("after 20 steps" in c for c in _image_captions(at)) or at.error:
            break
    _ok(at)
    assert any("non-saturating, after 20 steps" in c for c in _image_captions(at))

