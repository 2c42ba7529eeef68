"""Every page registered in app.py renders without an exception, with the default sidebar."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import rerun_until

ROOT = Path(__file__).resolve().parents[2]
PAGES = re.findall(r'st\.Page\("(pages/[^"]+\.py)"', (ROOT / "app.py").read_text(encoding="utf-8"))


def test_every_page_file_is_registered():
    files = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    assert files == set(PAGES), "a page file that is not in app.py's navigation is unreachable"


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_exception(page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_home_links_every_group():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    text = " ".join(m.value for m in at.markdown)
    assert "genviz" in at.title[0].value
    for group in ("Autoencoders", "GANs", "Embeddings", "Team ability", "Concepts"):
        assert any(group == s.value for s in at.subheader), group
    assert "look inside" in at.title[0].value or "look inside" in text


def test_sidebar_state_is_mirrored_in_the_url():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.number_input(key="gv_seed").set_value(7).run()
    assert at.query_params["seed"] == "7" and at.query_params["dataset"] == "digits"


def test_url_restores_the_view():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["seed"] = "42"
    at.query_params["dataset"] = "not-a-dataset"
    at.run()
    assert at.number_input(key="gv_seed").value == 42
    assert at.selectbox(key="gv_dataset").value == "digits", "an unknown dataset in the URL falls back to digits"


def test_train_page_trains_and_saves(tmp_path):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/train.py").run()
    at.selectbox(key="train_kind").set_value("ae").run()
    at.number_input(key="train_ae_latent_dim").set_value(4)
    at.number_input(key="train_epochs").set_value(2)
    at.button(key="train_start").click().run()
    rerun_until(at, lambda at: any(b.label == "Save" for b in at.get("form_submit_button")))
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.text_input(key="train_save_name").set_value("../escape")
    next(b for b in at.get("form_submit_button") if b.label == "Save").click().run()
    assert at.error and "letters, digits" in at.error[0].value
    at.text_input(key="train_save_name").set_value("my-ae")
    next(b for b in at.get("form_submit_button") if b.label == "Save").click().run()
    assert at.success and "my-ae.safetensors" in at.success[0].value
    from genviz.core import checkpoints

    assert checkpoints.load(checkpoints.user_dir() / "my-ae.safetensors").config.latent_dim == 4


def test_sidebar_choice_survives_a_page_switch():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.selectbox(key="gv_dataset").set_value("fashion-mnist").run()
    at.number_input(key="gv_seed").set_value(5).run()
    at.switch_page("pages/train.py").run()
    assert at.selectbox(key="gv_dataset").value == "fashion-mnist"
    assert at.number_input(key="gv_seed").value == 5


def test_app_config_makes_no_outside_connection():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    assert config["browser"]["serverAddress"] == "localhost", "else streamlit looks up the external IP online"
    assert config["runner"]["postScriptGC"] is False


def _train_tiny_ae() -> AppTest:
    import time

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/train.py").run()
    at.selectbox(key="train_kind").set_value("ae").run()
    at.number_input(key="train_epochs").set_value(1)
    at.button(key="train_start").click().run()
    deadline = time.time() + 90
    while time.time() < deadline:
        time.sleep(0.5)
        at.run()
        if any(b.label == "Save" for b in at.get("form_submit_button")) or at.error:
            break
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def _save(at: AppTest, name: str, replace: bool = False) -> AppTest:
    at.text_input(key="train_save_name").set_value(name)
    at.checkbox(key="train_save_replace").set_value(replace)
    return next(b for b in at.get("form_submit_button") if b.label == "Save").click().run()


def test_train_page_save_refuses_shipped_names_asks_before_overwriting_and_survives_a_read_only_folder(monkeypatch):
    import errno
    import os

    from genviz.core import checkpoints

    at = _train_tiny_ae()
    default = at.text_input(key="train_save_name").value
    assert re.fullmatch(r"ae-digits-[0-9a-f]{4}", default), "the default name is unique per session"
    _save(at, "ae-digits")
    assert at.error and "ships with genviz" in at.error[0].value
    folder = checkpoints.user_dir()
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o555)
    try:
        _save(at, "my-ae")
    finally:
        folder.chmod(0o755)
    assert not at.exception and at.error and "may not write to" in at.error[0].value
    assert [b.proto.label for b in at.get("download_button")] == ["Download the checkpoint instead"]

    def full_disk(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "write", full_disk)
        _save(at, "my-ae")
    assert not at.exception and at.error and "no space left" in at.error[0].value
    assert not (folder / "my-ae.safetensors").exists() and not list(folder.glob(".*.tmp"))
    _save(at, "my-ae")  # the trained model was kept: saving works once there is room
    assert at.success and "my-ae.safetensors" in at.success[0].value
    assert [b.proto.label for b in at.get("download_button")] == ["Download my-ae.safetensors"], \
        "the fallback download is gone; the saved file is offered instead"
    first = (folder / "my-ae.safetensors").stat().st_mtime_ns
    _save(at, "my-ae")
    assert not at.success and at.warning and "already exists" in at.warning[0].value
    assert (folder / "my-ae.safetensors").stat().st_mtime_ns == first
    _save(at, "my-ae", replace=True)
    assert at.success and not at.error


def _crafted_files(folder: Path) -> None:
    """What issue 15 found breaking every picker: deep nesting, list metrics, a FIFO, NaN weights."""
    import json
    import os
    import struct

    import torch

    from genviz.core import checkpoints

    folder.mkdir(parents=True, exist_ok=True)
    ckpt = checkpoints.load(checkpoints.SHIPPED_DIR / "dcgan-digits.safetensors")
    with torch.no_grad():
        for p in ckpt.model.parameters():
            p.fill_(float("nan"))
    good = checkpoints.save(folder / "dcgan-nan", ckpt.model, ckpt.config, dataset="digits")
    raw = good.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    for name, metrics in (("deep", "[" * 100_000 + "]" * 100_000), ("listed", "[1, 2]")):
        header["__metadata__"]["metrics"] = metrics
        new = json.dumps(header).encode()
        new += b" " * ((8 - len(new) % 8) % 8)
        (folder / f"{name}.safetensors").write_bytes(struct.pack("<Q", len(new)) + new + raw[8 + n :])
    os.mkfifo(folder / "fifo.safetensors")


@pytest.mark.parametrize("page", ["pages/ae_reconstructions.py", "pages/gan_samples.py", "pages/team_predictor.py"])
def test_crafted_checkpoint_files_do_not_break_the_pickers(page):
    from genviz.core import checkpoints

    _crafted_files(checkpoints.user_dir())
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_a_checkpoint_with_nan_weights_is_refused_in_one_sentence():
    from genviz.core import checkpoints

    _crafted_files(checkpoints.user_dir())
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["gans_model"] = "dcgan-nan"
    at.run()
    at.switch_page("pages/gan_samples.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.error and "NaN or infinite" in at.error[0].value
