"""Every page registered in app.py renders without an exception, with the default sidebar."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGES = re.findall(r'st\.Page\("(pages/[^"]+\.py)"', (ROOT / "app.py").read_text())


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
    import time

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/train.py").run()
    at.selectbox(key="train_kind").set_value("ae").run()
    at.slider(key="train_ae_latent_dim").set_value(4)
    at.number_input(key="train_epochs").set_value(2)
    at.button(key="train_start").click().run()
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.5)
        at.run()
        if any(b.label == "Save" for b in at.get("form_submit_button")) or at.error:
            break
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

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False
    assert config["browser"]["serverAddress"] == "localhost", "else streamlit looks up the external IP online"
    assert config["runner"]["postScriptGC"] is False
