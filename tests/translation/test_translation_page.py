"""The CycleGAN page: grids, numbers, the ablation comparison and the probe, on tiny untrained checkpoints."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from genviz.core import checkpoints
from genviz.core.train import seeded_build
from genviz.translation.models import CycleGAN, CycleGANConfig

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
    _save_tiny("tiny-cyclegan-no-cycle", cycle_lambda=0.0)
    catalogue.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/translation_cyclegan.py").run()
    at.selectbox(key="cg_model").set_value(full).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.get("image")) >= 4  # two round trips, one ablation grid per model, the probe
    assert any("noise" in m.label for m in at.metric)
    at.segmented_control(key="cg_stego_dir").set_value("ba").run()
    assert not at.exception
    catalogue.clear()


def test_page_without_checkpoints_says_how_to_build_them(monkeypatch):
    from genviz.translation import ui as tr

    monkeypatch.setattr(tr, "cyclegan_entries", lambda: [])
    at = AppTest.from_file(str(ROOT / "pages" / "translation_cyclegan.py"), default_timeout=60).run()
    assert not at.exception
    assert any("pretrain --only cyclegan" in i.value for i in at.info)
