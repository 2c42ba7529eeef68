"""Your own images through the sidebar's uploader (AppTest uploads into the widget), and downloads."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.conftest import rerun_until

ROOT = Path(__file__).resolve().parents[2]


def shapes_npz(n: int = 60, side: int = 12) -> bytes:
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    np.savez(buf, x=rng.integers(0, 256, (n, side, side), dtype=np.uint8), y=np.arange(n) % 3)
    return buf.getvalue()


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()


def upload(at: AppTest, name: str, payload: bytes) -> AppTest:
    return at.file_uploader(key="gv_upload").set_value((name, payload, "application/octet-stream")).run()


def test_an_uploaded_npz_becomes_the_selected_dataset_and_a_bad_file_changes_nothing():
    at = app()
    upload(at, "broken.npz", b"not an npz")
    assert not at.exception
    assert [e.value for e in at.error] == ["'broken.npz' is not a .npz file (numpy.savez): it could not be opened."]
    assert at.selectbox(key="gv_dataset").value == "digits", "a refused file leaves the dataset in use selected"

    upload(at, "shapes.npz", shapes_npz())
    box = at.selectbox(key="gv_dataset")
    assert box.value.startswith("upload-shapes-") and at.query_params["dataset"] == box.value
    assert "shapes.npz (yours, 60 × 12×12)" in box.options
    assert at.success and "shapes.npz" in at.success[0].value

    upload(at, "x.npz", shapes_npz(side=80))
    assert not at.exception and "64×64" in at.error[0].value
    assert at.selectbox(key="gv_dataset").value == box.value, "the upload in use stays selected"

    at.switch_page("pages/ae_reconstructions.py").run()
    assert not at.exception and at.selectbox(key="gv_dataset").value == box.value, "it stays across pages"
    assert any("No autoencoder checkpoint" in i.value for i in at.info), "no model of another dataset is offered"


def test_a_zip_of_png_folders_uploads_too():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for c in ("circle", "square"):
            for i in range(3):
                png = io.BytesIO()
                Image.fromarray(np.full((10, 10, 3), 40 * i, np.uint8)).save(png, format="PNG")
                z.writestr(f"shapes/{c}/{i}.png", png.getvalue())
    at = upload(app(), "shapes.zip", buf.getvalue())
    assert not at.exception and not at.error
    assert at.selectbox(key="gv_dataset").value.startswith("upload-shapes-")


def test_train_save_and_use_a_model_of_an_uploaded_dataset():
    at = upload(app(), "shapes.npz", shapes_npz())
    dataset = at.selectbox(key="gv_dataset").value
    at.switch_page("pages/train.py").run()
    at.selectbox(key="train_kind").set_value("ae").run()
    at.number_input(key="train_ae_latent_dim").set_value(4)
    at.number_input(key="train_epochs").set_value(2)
    at.button(key="train_start").click().run()
    rerun_until(at, lambda at: any(b.label == "Save" for b in at.get("form_submit_button")))
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.text_input(key="train_save_name").set_value("ae-shapes")
    next(b for b in at.get("form_submit_button") if b.label == "Save").click().run()
    assert at.success and "ae-shapes.safetensors" in at.success[0].value
    assert at.get("download_button") and any(d.proto.id and "train_saved_download" in d.proto.id
                                             for d in at.get("download_button")), "the saved file can be downloaded"
    from genviz.core import checkpoints

    saved = checkpoints.load(checkpoints.user_dir() / "ae-shapes.safetensors")
    assert saved.dataset == dataset and tuple(saved.config.image_shape) == (1, 12, 12)

    at.switch_page("pages/ae_reconstructions.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "ae-shapes" in at.selectbox(key="recon_model").value
    assert at.get("image"), "the reconstructions of the uploaded images are drawn"


def test_sample_pages_offer_png_and_npy_downloads_and_pickers_the_checkpoint_file():
    at = app()
    at.switch_page("pages/gan_samples.py").run()
    assert not at.exception
    ids = [d.proto.id for d in at.get("download_button")]
    for key in ("gans_dl_png", "gans_dl_npy", "gans_model__download"):
        assert any(key in i for i in ids), (key, ids)
    at.switch_page("pages/ae_prior_sampling.py").run()
    assert not at.exception
    ids = [d.proto.id for d in at.get("download_button")]
    for key in ("ps_dl_vae_png", "ps_dl_vae_npy", "ps_dl_ae_npy"):
        assert any(key in i for i in ids), (key, ids)


def test_every_page_works_on_an_uploaded_dataset_with_models_trained_on_it():
    import re

    from genviz.core import checkpoints, registry, uploads
    from genviz.core.train import TrainParams, new_run, save_run

    payload = shapes_npz(n=120)
    imgs = uploads.read_upload("shapes.npz", payload).data
    for kind in ("vae", "ae", "dcgan", "cgan"):
        values = {p.name: p.default for p in registry.get(kind).params}
        if "latent_dim" in values:
            values["latent_dim"] = 4
        run = new_run(kind, imgs, values, TrainParams(seed=0, epochs=1, batch_size=32, max_steps=2), "cpu")
        for _ in run.fit():
            pass
        save_run(run, checkpoints.user_path(f"{kind}-shapes"), imgs)
    at = upload(app(), "shapes.npz", payload)
    assert at.selectbox(key="gv_dataset").value == imgs.name
    errors = {}
    for page in re.findall(r'st\.Page\("(pages/[^"]+\.py)"', (ROOT / "app.py").read_text(encoding="utf-8")):
        at.switch_page(page).run()
        assert not at.exception, (page, [e.message for e in at.exception])
        if at.error:
            errors[page] = [e.value for e in at.error]
        assert not any("upload-shapes-" in m.value for m in [*at.info, *at.warning, *at.error]), \
            (page, "say 'shapes.npz (yours, …)', not the internal dataset name")
    at.switch_page("pages/home.py").run()
    at.selectbox(key="gv_dataset").set_value("digits").run()
    for page, upload_errors in errors.items():  # a page's own data missing here (e.g. MNIST) is not the upload's
        at.switch_page(page).run()
        assert upload_errors == [e.value for e in at.error], (page, upload_errors)


def test_a_session_keeps_its_three_latest_uploads_and_the_one_in_use():
    at = app()
    for side in (8, 9, 10, 11):
        upload(at, f"s{side}.npz", shapes_npz(n=10, side=side))
    options = at.selectbox(key="gv_dataset").options
    assert [o.split(" (yours")[0] for o in options if "(yours" in o] == \
        ["s9.npz", "s10.npz", "s11.npz"]
    assert "s11" in at.selectbox(key="gv_dataset").value
    s9 = next(n for n in at.session_state["gv_uploads"] if n.startswith("upload-s9-"))
    at.selectbox(key="gv_dataset").set_value(s9).run()
    upload(at, "s12.npz", shapes_npz(n=10, side=12))
    assert sorted(n.split("-")[1] for n in at.session_state["gv_uploads"]) == ["s11", "s12", "s9"], \
        "the dataset in use when a new file came (s9) is kept; the oldest other one (s10) goes"


def test_a_small_upload_can_be_embedded_the_default_perplexity_fits_its_points():
    at = upload(app(), "shapes.npz", shapes_npz(n=150))  # 30 held-out images
    at.switch_page("pages/embed_explorer.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.slider(key="emb_perplexity").value == 9.0, "below (30 − 1) / 3, so t-SNE can run"
    assert any("all 30 images" in c.value for c in at.caption), "a small split takes all its points"
