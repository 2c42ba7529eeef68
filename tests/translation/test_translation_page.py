"""The CycleGAN page: grids, numbers, the ablation comparison and the probe, on tiny untrained checkpoints."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from genviz.core import checkpoints
from genviz.core.train import seeded_build
from genviz.translation.models import CycleGAN, CycleGANConfig
from tests.conftest import rerun_until

ROOT = Path(__file__).resolve().parents[2]


def _save_tiny(name: str, **values) -> str:
    config = CycleGANConfig(pair="mnist-thick", g_width=4, res_blocks=1, d_width=4, **values)
    model = seeded_build(CycleGAN, config, 0)
    path = checkpoints.save(checkpoints.user_dir() / name, model, config, dataset="mnist-thick",
                            metrics={"cycle_l1_ab": 0.1, "cycle_l1_ba": 0.2, "psnr_ab": 12.0}, extra={"train_steps": 3})
    return checkpoints.info(path).label


@pytest.mark.realdata
def test_page_shows_grids_numbers_ablation_and_probe(shared_data, monkeypatch):
    from genviz.ui import catalogue

    monkeypatch.setenv("GENVIZ_DATA_DIR", str(shared_data))
    full = _save_tiny("tiny-cyclegan")
    shifted = _save_tiny("tiny-other-cyclegan", d_augment="translation")  # the same pair, sorted first: the comparison
    # must still start on the ablation
    no_cycle = _save_tiny("tiny-cyclegan-no-cycle", cycle_lambda=0.0)
    catalogue.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/translation_cyclegan.py").run()
    at.selectbox(key="cg_model").set_value(full).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.get("image")) >= 4  # two round trips, one ablation grid per model, the probe
    assert any("noise" in m.label for m in at.metric)
    assert any("trained 3 steps" in c.value for c in at.caption), "the steps the file records, not '?'"
    assert at.selectbox(key="cg_other").value == no_cycle  # the model named after this one's ablation
    assert any("Without the cycle loss" in c.value for c in at.caption)
    at.segmented_control(key="cg_stego_dir").set_value("ba").run()
    assert not at.exception
    assert not any("DiffAugment" in c.value for c in at.caption)
    at.selectbox(key="cg_model").set_value(shifted).run()  # a model whose D saw shifted images says so
    assert not at.exception and any("D judged images shifted by up to 1/8 of their side" in c.value for c in at.caption)
    catalogue.clear()


def test_page_without_checkpoints_says_how_to_build_them(monkeypatch):
    from genviz.translation import ui as tr

    monkeypatch.setattr(tr, "cyclegan_entries", lambda: [])
    at = AppTest.from_file(str(ROOT / "pages" / "translation_cyclegan.py"), default_timeout=60).run()
    assert not at.exception
    assert any("pretrain --only cyclegan" in i.value for i in at.info)


@pytest.mark.realdata
def _previews(at) -> list:
    return [m for m in at.markdown if "data:image/png;base64," in m.value]


def test_train_page_trains_a_cyclegan_with_previews_and_saves_it(shared_data, monkeypatch):
    monkeypatch.setenv("GENVIZ_DATA_DIR", str(shared_data))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/train.py").run()
    at.selectbox(key="train_kind").set_value("cyclegan").run()
    at.selectbox(key="train_cyclegan_pair").set_value("mnist-thick")
    at.slider(key="train_cyclegan_cycle_lambda").set_value(5.0)  # the λ and λ_id sliders
    at.slider(key="train_cyclegan_identity_weight").set_value(0.0)
    at.slider(key="train_cyclegan_g_width").set_value(4)
    at.slider(key="train_cyclegan_res_blocks").set_value(1)
    at.slider(key="train_cyclegan_d_width").set_value(4)
    at.selectbox(key="train_cyclegan_d_augment").set_value("translation")
    at.button(key="train_start").click().run()
    rerun_until(at, lambda at: _previews(at) and any(b.label == "Stop" for b in at.button), timeout_s=120, every_s=1)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(_previews(at)) == 1  # the A→B→A / B→A→B preview (inlined PNG, genviz.ui.widgets.inline_image)
    at.button(key="train_stop").click().run()
    next(b for b in at.get("form_submit_button") if b.label == "Save").click().run()
    assert at.success, [e.value for e in at.error]
    saved = checkpoints.load(next(checkpoints.user_dir().glob("cyclegan-*.safetensors")))
    assert saved.config.cycle_lambda == 5.0 and saved.config.identity_weight == 0.0 and saved.dataset == "mnist-thick"
    assert saved.config.d_augment == "translation"


def test_ablation_note_names_what_differs():
    from genviz.translation.analysis import ablation_note

    base = CycleGANConfig(pair="mnist-inverted")
    assert "identity loss" in ablation_note(base, CycleGANConfig(pair="mnist-inverted", identity_weight=0.0))
    assert "cycle loss" in ablation_note(base, CycleGANConfig(pair="mnist-inverted", cycle_lambda=0.0))
    assert "other settings" in ablation_note(base, CycleGANConfig(pair="mnist-inverted", g_width=8))


def test_ablation_note_says_with_the_numbers_whether_the_two_models_show_the_point():
    from genviz.translation.analysis import ablation_note

    full, no_cycle = CycleGANConfig(pair="mnist-digits"), CycleGANConfig(pair="mnist-digits", cycle_lambda=0.0)
    kept = {"label_preservation_ab": 0.53, "label_preservation_ba": 0.61}
    lost = {"label_preservation_ab": 0.09, "label_preservation_ba": 0.15}
    note = ablation_note(no_cycle, full, lost, kept)  # either order: the λ = 0 model is found by its config
    assert "Here it holds" in note and "53% / 61% with λ = 10" in note and "9% / 15% with λ = 0" in note
    assert "does not show" in ablation_note(full, no_cycle, kept, kept)

    with_id, no_id = CycleGANConfig(pair="mnist-inverted"), CycleGANConfig(pair="mnist-inverted", identity_weight=0.0)
    bad = {"label_preservation_ab": 0.05, "label_preservation_ba": 0.12, "psnr_ab": 8.9}
    worse = {"label_preservation_ab": 0.16, "label_preservation_ba": 0.15, "psnr_ab": 10.4}
    note = ablation_note(with_id, no_id, bad, worse)
    assert "neither model learned the map" in note and "8.9 dB with λ_id = 0.5·λ, 10.4 dB with λ_id = 0·λ" in note
    good = {"label_preservation_ab": 0.9, "label_preservation_ba": 0.88, "psnr_ab": 20.0}
    assert "Here it holds" in ablation_note(with_id, no_id, bad, good)
    assert "Here" not in ablation_note(with_id, no_id)  # no recorded numbers: the point alone


def test_shipped_ablations_say_with_their_numbers_what_they_show():
    """The page's ablation caption reads the two shipped models' recorded numbers (no dataset needed)."""
    at = AppTest.from_file(str(ROOT / "pages" / "translation_cyclegan.py"), default_timeout=180).run()
    options = at.selectbox(key="cg_model").options
    wanted = {"cyclegan-mnist-digits": "Here it holds: label preservation",
              "cyclegan-mnist-inverted": "Here neither model learned the map"}
    for name, says in wanted.items():
        label = next((o for o in options if o.startswith(f"{name} (")), None)
        if label is None:
            pytest.skip(f"{name} is not built (python -m genviz pretrain --only cyclegan)")
        at.selectbox(key="cg_model").set_value(label).run()
        assert not at.exception
        assert at.selectbox(key="cg_other").value.startswith(f"{name}-no-")
        assert any(says in c.value for c in at.caption), [c.value[-200:] for c in at.caption]
