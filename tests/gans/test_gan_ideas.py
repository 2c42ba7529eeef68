"""The later-GAN-ideas experiments at toy sizes: structure, ranges, and the page's sentences follow the numbers."""
from __future__ import annotations

import pytest

from genviz.core import checkpoints
from genviz.gans import ideas
from genviz.gans import ui as gan_ui


@pytest.fixture(autouse=True)
def _needs_classifier():
    if not (checkpoints.SHIPPED_DIR / "classifier-digits.safetensors").exists():
        pytest.skip("classifier-digits is not shipped")


def test_experiments_at_toy_budgets_and_their_verdicts(digits):
    cond = ideas.conditioning_experiment(digits, budget=1.0, seeds=1)
    assert [r["arm"] for r in cond] == ["cbn", "input"]
    for r in cond:
        assert r["curve"] and r["steps"] > 0
        assert all(p["frechet_distance"] >= 0 and 0 <= p["label_agreement"] <= 1 for p in r["curve"])
    batch = ideas.batch_experiment(digits, steps=5, seconds=1.0, batches=(64, 128))
    assert {(r["batch"], r["budget"]) for r in batch} == {(64, "steps"), (64, "seconds"), (128, "steps"), (128, "seconds")}
    assert all(r["steps"] == 5 for r in batch if r["budget"] == "steps")
    fast = ideas.fastgan_experiment(digits, budget=1.0, seeds=1, eps=0.05)
    assert len(fast) == 3 and all(0 <= r["pgd_accuracy"] <= 1 and 0 <= r["clean_accuracy"] <= 1 for r in fast)
    for text in (gan_ui.conditioning_verdict(cond), gan_ui.batch_verdict(batch), gan_ui.fastgan_verdict(fast)):
        assert isinstance(text, str) and "nan" not in text.lower()
    fd = {r["arm"]: r["curve"][-1]["frechet_distance"] for r in cond}
    best = min(fd, key=fd.get)
    assert f"**{best}** gives the closer samples" in gan_ui.conditioning_verdict(cond)


def test_time_to_reach_and_truncation_verdict():
    curve = [{"seconds": 15, "frechet_distance": 90.0}, {"seconds": 30, "frechet_distance": 40.0}]
    assert ideas.time_to_reach(curve, 50.0) == 30 and ideas.time_to_reach(curve, 10.0) is None
    good = [{"psi": p, "frechet_distance": 10 * p, "confidence": 1 - p / 10, "precision": 1 - p / 5, "recall": p / 2}
            for p in (0.1, 0.5, 1.0, 2.0)]
    assert "The claim holds here" in gan_ui.truncation_verdict(good, "x")
    bad = [dict(p, precision=0.5 + (0.1 if i % 2 else -0.1)) for i, p in enumerate(good)]
    assert "holds only in part" in gan_ui.truncation_verdict(bad, "x")
