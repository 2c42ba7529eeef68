"""Issue 19 items 12 and 15 on the autoencoder pages: the bottleneck floor is a true lower bound,
the recompute button names the dataset it runs on, the latent-space defaults."""
from __future__ import annotations

import json
import time
from pathlib import Path

import torch
from streamlit.testing.v1 import AppTest

from genviz.autoencoders import analysis
from genviz.core import checkpoints, data

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = {p.stem for p in checkpoints.SHIPPED_DIR.glob("*.safetensors")}


def _page(name: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page(f"pages/{name}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _figure(chart) -> dict:
    return json.loads(chart.proto.spec)


def test_the_floor_is_a_lower_bound_of_every_shipped_digits_point():
    shipped = json.loads((checkpoints.SHIPPED_DIR / "ae-curves-digits.json").read_text())
    imgs = data.load("digits", "cpu")
    floor = analysis.curves_floor(imgs, shipped["points"], shipped["settings"]["seed"])
    losses = [p[k] for p in shipped["points"] for k in ("train_loss", "test_loss")]
    assert floor <= min(losses)
    assert analysis.bce_floor(torch.tensor([[[[0.0, 1.0]]]])) == 0.0  # no clamp: 0 log 0 = 0


def test_bottleneck_page_draws_the_floor_under_every_line_and_names_the_dataset():
    at = _page("ae_bottleneck")
    charts = at.get("plotly_chart")
    assert len(charts) == 2
    for chart in charts:
        fig = _figure(chart)
        floors = [s["y0"] for s in fig["layout"].get("shapes", [])]
        assert floors, "the chart lost its floor line"
        lowest = min(y for trace in fig["data"] for y in trace["y"])
        assert max(floors) <= lowest, (floors, lowest)
    assert at.button(key="bn_start").label == f"Recompute on {data.DATASETS['digits'].title}"
    # the recomputed chart keeps its floor
    at.select_slider(key="bn_steps").set_value(200).run()
    at.button(key="bn_start").click().run()
    deadline = time.time() + 90
    while time.time() < deadline and len(at.get("plotly_chart")) < 4:
        time.sleep(1)
        at.run()
    at.button(key="bn_stop").click().run()
    assert not at.exception
    live = at.get("plotly_chart")[2:]
    assert live and all(_figure(c)["layout"].get("shapes") for c in live)


def test_latent_space_interpolates_between_two_classes_by_default():
    at = _page("ae_latent_space")
    imgs = data.load("digits", "cpu")
    a, b = int(at.number_input(key="ls_a").value), int(at.number_input(key="ls_b").value)
    assert int(imgs.y_test[a]) != int(imgs.y_test[b])
    assert any(c.value.startswith(f"From a {imgs.classes[int(imgs.y_test[a])]} to a ") for c in at.caption)
    assert analysis.different_class_pair(torch.tensor([6, 6, 6, 0])) == (0, 3)
    assert analysis.different_class_pair(torch.tensor([2, 2])) == (0, 1)  # one class: the next image
    scatter = _figure(at.get("plotly_chart")[0])
    titles = [ann["text"] for ann in scatter["layout"]["annotations"]]
    assert titles and scatter["layout"]["margin"]["t"] >= 80  # the figure title has its own band
