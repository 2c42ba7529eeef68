"""Issue 19 items 7, 8 and 9 on the Train page: a pace, readable split training charts, a held-out
summary when a run ends, and a GAN stopped early that records the steps and epochs it ran."""
from __future__ import annotations

import json
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from genviz.core import checkpoints, figures

ROOT = Path(__file__).resolve().parents[2]


def _train_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/train.py").run()
    assert not at.exception
    return at


def _until(at: AppTest, done, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline and not done(at):
        time.sleep(0.5)
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _progress_step(at: AppTest) -> int:
    text = str(at.get("progress")[0].proto.text) if at.get("progress") else ""
    return int(text.split("step ")[1].split("/")[0]) if "step " in text else -1


def _saved(at: AppTest) -> bool:
    return any(b.label == "Save" for b in at.get("form_submit_button"))


def test_training_panels_have_human_names_axis_titles_and_legends_beside_them():
    recs = [{"step": i, "d_loss": 1.3, "g_loss": 0.7, "d_real": 0.6, "d_fake": 0.4, "g_grad_norm": 1e-3 * i,
             **({"test_frechet_distance": 30.0 - i} if i % 5 == 0 else {})} for i in range(1, 40)]
    fig = figures.training_panels(recs).to_plotly_json()
    names = [t["name"] for t in fig["data"]]
    assert names == ["discriminator loss", "generator loss", "D(x) on real images", "D(G(z)) on generated images",
                     "generator gradient norm ‖∇G‖", "held-out Fréchet distance"]
    layout = fig["layout"]
    axes = [k for k in layout if k.startswith("yaxis")]
    assert len(axes) == 4 and all(layout[k]["title"]["text"] for k in axes)  # four panels, each y axis named
    legends = [k for k in layout if k.startswith("legend")]
    assert len(legends) == 4 and all(layout[k]["x"] > 1 for k in legends)  # beside the plots, not over an axis
    assert layout["yaxis3"]["type"] == "log" and layout["yaxis3"]["ticktext"]
    assert figures.metric_label("test_kl") == "held-out KL divergence"


def test_digits_trains_at_a_watchable_pace_and_ends_with_a_held_out_summary():
    at = _train_page()
    assert at.session_state["train_pace"].startswith("watchable")
    at.selectbox(key="train_kind").set_value("ae").run()
    at.number_input(key="train_epochs").set_value(2)  # 24 steps: about 1.2 s at 20 steps/s
    t0 = time.time()
    at.button(key="train_start").click().run()
    _until(at, _saved)
    assert time.time() - t0 >= 1.0, "the watchable pace should hold 24 steps back to about 1.2 s"
    assert at.get("plotly_chart"), "no training chart"
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert "held-out loss" in [t["name"] for t in spec["data"]] and "train loss" not in str(spec)
    summary = [m.label for m in at.metric]
    assert "held-out loss" in summary, summary
    assert any("Held-out numbers at the end" in m.value for m in at.markdown)


def test_a_gan_stopped_early_records_the_steps_and_epochs_it_ran():
    at = _train_page()
    at.selectbox(key="train_kind").set_value("dcgan").run()
    at.slider(key="train_dcgan_g_width").set_value(8)
    at.slider(key="train_dcgan_d_width").set_value(8)
    at.number_input(key="train_epochs").set_value(1000)
    at.session_state["train_pace"] = "slow motion"
    at.button(key="train_start").click().run()
    _until(at, lambda a: _progress_step(a) >= 3, timeout=60)
    steps_seen = _progress_step(at)
    assert steps_seen < 40, f"slow motion ran {steps_seen} steps in a few seconds"
    at.button(key="train_stop").click().run()
    _until(at, _saved)
    at.text_input(key="train_save_name").set_value("stopped-dcgan")
    next(b for b in at.get("form_submit_button") if b.label == "Save").click().run()
    assert at.success and "steps" in at.success[0].value, [s.value for s in at.success]
    ckpt = checkpoints.load(checkpoints.user_dir() / "stopped-dcgan.safetensors")
    extra = ckpt.meta["extra"]
    assert 0 < extra["train_steps"] < 1000 and 0 < ckpt.meta["epochs"] < 1000
    assert extra["train_epochs"] == ckpt.meta["epochs"]
    at.switch_page("pages/gan_samples.py").run()
    at.selectbox(key="gans_model").set_value(next(o for o in at.selectbox(key="gans_model").options
                                                  if o.startswith("stopped-dcgan"))).run()
    caption = next(c.value for c in at.caption if c.value.startswith("Trained for"))
    assert "?" not in caption and f"{extra['train_steps']:,} steps" in caption and "epochs" in caption
