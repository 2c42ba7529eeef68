"""The later-GAN-ideas experiments at toy sizes: structure, ranges, and the page's sentences follow the numbers."""
from __future__ import annotations

import pytest

from genviz.core import checkpoints
from genviz.gans import figures as gan_figures
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


def _run(arm: str, seed: int, fds: list[float], **extra) -> dict:
    curve = [{"seconds": 15.0 * (i + 1) + seed * 0.2, "frechet_distance": fd, **extra} for i, fd in enumerate(fds)]
    return {"arm": arm, "seed": seed, "budget": 45.0, "steps": 100, "curve": curve}


def test_several_seeds_are_averaged_point_by_point_with_their_spread():
    results = [_run("cbn", 0, [300, 200, 100], label_agreement=0.8), _run("cbn", 1, [320, 220, 140, 90], label_agreement=0.9),
               _run("input", 0, [300, 250, 200], label_agreement=0.7), _run("input", 1, [300, 250, 220], label_agreement=0.7)]
    mean = gan_ui.arms(results)
    assert [p["frechet_distance"] for p in mean["cbn"]] == [310, 210, 120]  # cut to the shortest seed
    assert mean["cbn"][2]["frechet_distance_sd"] == pytest.approx(28.28, abs=0.01)
    assert mean["cbn"][0]["label_agreement"] == pytest.approx(0.85)
    fig = gan_figures.experiment_curves(mean, "frechet_distance", "FD")
    assert list(fig.data[0].error_y.array) == pytest.approx([14.14, 14.14, 28.28], abs=0.01)
    text = gan_ui.conditioning_verdict(results)
    assert "mean ± standard deviation over 2 seeds" in text and "cBN 120.0 ± 28.3" in text
    assert "**cbn** gives the closer samples — BigGAN's choice pays off" in text  # 120 vs 210: beyond the spread
    assert "**cbn** draws the requested class more often" in text  # 0.85 ± 0.07 vs 0.70 ± 0
    close = [_run("cbn", 0, [200], label_agreement=0.8), _run("cbn", 1, [260], label_agreement=0.8),
             _run("input", 0, [240], label_agreement=0.8), _run("input", 1, [250], label_agreement=0.8)]
    assert "by less than the seeds' spread" in gan_ui.conditioning_verdict(close)
    assert "about as often" in gan_ui.conditioning_verdict(close)


def test_fastgan_verdict_reads_the_seed_means():
    arms = ("A: spectral norm", "B: no spectral norm", "C: B + adversarial")
    results = [_run(arms[0], s, [200, 150, 100 + 10 * s]) for s in range(2)]  # A ends at 105 on average
    results += [_run(arms[1], s, [180, 120, 80 + 4 * s]) for s in range(2)]
    results += [_run(arms[2], s, [170, 102 + 4 * s, 81 + 2 * s]) for s in range(2)]
    for r in results:
        r.update(clean_accuracy=0.9, pgd_accuracy=0.5, eps=0.05)
    text = gan_ui.fastgan_verdict(results)
    assert "A 105.0 ± 7.1" in text and "after 30 s of A's 45 s (ratio 0.67)" in text  # C's seed mean 104 ≤ 105 at 30.1 s
    assert "within the seeds' spread" in text  # B 82 ± 2.8 vs C 82 ± 1.4


def test_batch_verdict_names_the_winner_under_each_budget():
    def rows(steps_fd, time_fd):
        out = [{"batch": b, "budget": "steps", "steps": 400, "seconds": 1.0, "frechet_distance": fd}
               for b, fd in steps_fd.items()]
        return out + [{"batch": b, "budget": "seconds", "steps": 8000 * 64 // b, "seconds": 37.6, "frechet_distance": fd}
                      for b, fd in time_fd.items()]

    mid = gan_ui.batch_verdict(rows({64: 147, 256: 109, 2048: 123}, {64: 30, 256: 15, 2048: 54}))
    assert "best batch is **256** (Fréchet 109.0)" in mid and "it is **256** (15.0)" in mid
    assert "large batch (2048) wins under neither" in mid and "250 G steps against 8,000 at batch 64" in mid
    assert "wins when steps, not seconds" in gan_ui.batch_verdict(rows({64: 147, 2048: 100}, {64: 30, 2048: 54}))
    assert "wins under both budgets" in gan_ui.batch_verdict(rows({64: 147, 2048: 100}, {64: 60, 2048: 54}))
