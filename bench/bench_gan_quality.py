"""Sample quality of the unconditional MNIST GANs per training change (issue 18): each arm is one change
against its kind's base recipe, same seed, same number of steps; Fréchet distance (1,000 samples, the
project's classifier) every `GENVIZ_BENCH_GQ_EVERY` steps, so each row is a curve, not only an end point.

    python bench/run.py gan_quality
    GENVIZ_BENCH_GQ_STEPS=8000 GENVIZ_BENCH_GQ_ARMS="dcgan:base;dcgan:ema 0.999" python bench/run.py gan_quality

Arms are `kind:name` from ARMS below, separated by semicolons. Needs MNIST (GENVIZ_DATA_DIR) and the shipped MNIST classifier.
"""
from __future__ import annotations

import os
import time

import torch

from genviz.core import data
from genviz.core.train import TrainParams, new_run
from genviz.gans.recipes import generator_scores

STEPS = int(os.environ.get("GENVIZ_BENCH_GQ_STEPS", "2000"))
EVERY = int(os.environ.get("GENVIZ_BENCH_GQ_EVERY", "500"))
SEED = int(os.environ.get("GENVIZ_BENCH_GQ_SEED", "0"))
BASE_TRAIN = {"batch_size": 64, "lr": 2e-4, "epochs": 1000, "log_every": 25}
# kind: {arm: (config changes, train changes)}; "base" is what pretrain shipped before the change
ARMS: dict[str, dict[str, tuple[dict, dict]]] = {
    "dcgan": {
        "base": ({}, {}),
        "ema 0.999": ({"ema": 0.999}, {}),
        "D width 64": ({"d_width": 64}, {}),
        "batch 128": ({}, {"batch_size": 128}),
        "TTUR (D lr ×2)": ({"d_lr_scale": 2.0}, {}),
        "G width 128": ({"g_width": 128}, {}),
    },
    "sngan": {
        "base": ({"n_critic": 1}, {}),
        "ema 0.999": ({"n_critic": 1, "ema": 0.999}, {}),
        "D width 64": ({"n_critic": 1, "d_width": 64}, {}),
        "TTUR (D lr ×2)": ({"n_critic": 1, "d_lr_scale": 2.0}, {}),
        "TTUR (D lr ×4)": ({"n_critic": 1, "d_lr_scale": 4.0}, {}),
        "2 D steps, TTUR ×2": ({"n_critic": 2, "d_lr_scale": 2.0}, {}),
    },
    "wgan-gp": {
        "base": ({"n_critic": 5}, {}),
        "ema 0.999": ({"n_critic": 5, "ema": 0.999}, {}),
    },
    "biggan": {
        "base (ema 0.999)": ({"ema": 0.999}, {}),
        "ema 0.99": ({"ema": 0.99}, {}),
        "no ema": ({}, {}),
        "TTUR (D lr ×4) and ema 0.999": ({"ema": 0.999, "d_lr_scale": 4.0}, {}),
        "D width 64, 2 D steps, TTUR ×2": ({"ema": 0.999, "d_width": 64, "n_critic": 2, "d_lr_scale": 2.0}, {}),
    },
}
DEFAULT_ARMS = "dcgan:base;dcgan:ema 0.999;dcgan:D width 64;dcgan:TTUR (D lr ×2)"


def arm_curve(imgs, kind: str, config: dict, train: dict) -> tuple[list[tuple[int, float]], float, dict]:
    """Train `STEPS` steps in one run, scoring every `EVERY` (the clock stops while scoring); returns the
    FD curve, training seconds and the last scores."""
    params = TrainParams(**{**BASE_TRAIN, **train, "max_steps": STEPS, "seed": SEED})
    run = new_run(kind, imgs, config, params)
    curve, scoring, scored = [], 0.0, None
    start = time.perf_counter()
    for rec in run.fit():
        if rec.step % EVERY == 0 or rec.step >= STEPS:
            t = time.perf_counter()
            scored = generator_scores(run.model, imgs)
            curve.append((rec.step, round(scored.scores.frechet_distance, 1)))
            scoring += time.perf_counter() - t
    seconds = time.perf_counter() - start - scoring
    return curve, seconds, {"confidence": scored.scores.confidence, "classes": scored.scores.classes_covered,
                            "max_min": scored.scores.class_count_ratio}


def run() -> list[dict]:
    torch.set_num_threads(int(os.environ.get("GENVIZ_BENCH_THREADS", "1")))
    imgs = data.load("mnist")
    rows = []
    for item in os.environ.get("GENVIZ_BENCH_GQ_ARMS", DEFAULT_ARMS).split(";"):
        kind, _, name = item.partition(":")
        config, train = ARMS[kind][name]
        curve, seconds, last = arm_curve(imgs, kind, config, train)
        rows.append({"benchmark": f"{kind} quality (MNIST)", "setting": f"{name}, {STEPS} steps, seed {SEED}",
                     "value": curve[-1][1], "unit": "Fréchet",
                     "note": "curve " + ", ".join(f"{s}: {fd:g}" for s, fd in curve)
                             + f"; confidence {last['confidence']:.3f}, classes {last['classes']}, "
                               f"max/min class count {last['max_min']:.2f}; {seconds:.0f} s training, "
                               f"{torch.get_num_threads()} thread(s), load avg {os.getloadavg()[0]:.1f}"})
        print(rows[-1], flush=True)
    return rows
