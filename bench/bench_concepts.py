"""Concepts lab: how fast the live 2-D GAN trains and redraws, and how quickly it covers the ring's modes.

    python bench/run.py concepts

Everything runs on one torch thread, as the app's BackgroundJob does. "steps to 8/8" is the first
multiple of 50 G steps at which all 8 ring modes are covered (0.8 % of 1,000 fakes within 3σ), per seed.
"""
from __future__ import annotations

import statistics
import time

import plotly.io as pio
import torch

from genviz.concepts import figures, gan2d

SEEDS = (0, 1, 2, 3, 4)
MAX_STEPS = 2000


def _steps_to_all_modes(config: gan2d.Gan2dConfig) -> int | None:
    lab = gan2d.Gan2dLab(config)
    for step in range(1, MAX_STEPS + 1):
        lab.step()
        if step % 50 == 0 and lab.metrics().modes_covered == gan2d.RING_MODES:
            return step
    return None


def _timed(fn, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def run() -> list[dict]:
    torch.set_num_threads(1)
    rows: list[dict] = []
    lab = gan2d.Gan2dLab(gan2d.Gan2dConfig())
    for _ in range(20):
        lab.step()
    step_s = _timed(lab.step, 200)
    rows.append(dict(benchmark="2-D GAN training step", setting="G/D 2×64 MLPs, batch 128, 1 D step, Adam",
                     value=round(1e3 * step_s, 2), unit="ms/step", note=f"{1 / step_s:,.0f} steps/s on 1 thread"))
    frame_s = _timed(lambda: lab.frame(record=False), 30)
    rows.append(dict(benchmark="2-D GAN frame", setting="40×40 D map, 250+250 points, grid, arrows, KL/JS, modes",
                     value=round(1e3 * frame_s, 1), unit="ms", note="computed by the worker thread"))
    frame = lab.frame(record=False)
    history = [lab.metrics()] * 300  # a long run's chart (drawn at most 300 points)
    tick_s = _timed(lambda: (pio.to_json(figures.gan2d_canvas(frame), validate=False),
                             pio.to_json(figures.gan2d_metrics_figure(history), validate=False)), 20)
    rows.append(dict(benchmark="2-D GAN fragment tick", setting="build + serialise canvas and metrics figures",
                     value=round(1e3 * tick_s, 1), unit="ms", note="server side, per 0.5 s refresh"))
    canvas_kb = len(pio.to_json(figures.gan2d_canvas(frame), validate=False)) / 1024
    metrics_kb = len(pio.to_json(figures.gan2d_metrics_figure(history), validate=False)) / 1024
    rows.append(dict(benchmark="2-D GAN update size", setting="canvas (all layers) + metrics chart",
                     value=round(canvas_kb + metrics_kb, 1), unit="kB",
                     note=f"canvas {canvas_kb:.1f} kB, metrics {metrics_kb:.1f} kB per refresh"))
    for loss, extra in (("bce-non-saturating", {}), ("bce-saturating", {}), ("lsgan", {}), ("wgan-gp", {"d_steps": 5})):
        steps = [_steps_to_all_modes(gan2d.Gan2dConfig(loss=loss, seed=seed, **extra)) for seed in SEEDS]
        done = [s for s in steps if s is not None]
        rows.append(dict(benchmark="ring: G steps to 8/8 modes", setting=loss + (" (5 D steps)" if extra else ""),
                         value=statistics.median(done) if done else "—", unit="G steps (median)",
                         note=f"seeds {SEEDS}: {steps} (None = not within {MAX_STEPS})"))
    return rows
