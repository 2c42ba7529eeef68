"""The lecture's later GAN ideas, measured at MNIST scale (issue 16): BigGAN's truncation and conditioning,
its large batch, and Fast-GAN's adversarially trained discriminator.

    python bench/run.py biggan
    GENVIZ_BENCH_BIGGAN_SECONDS=150 GENVIZ_BENCH_BIGGAN_SEEDS=3 python bench/run.py biggan   # the issue's sizes

Every arm trains under the same wall-clock budget (or the same number of G steps where said), from the
same seed, on this machine's CPU threads; each row says the budget and the seeds it used.
"""
from __future__ import annotations

import os
import time

import torch

from genviz.core import checkpoints, data
from genviz.core.scoring import classifier_features, frechet_distance, load_scorer
from genviz.core.train import TrainParams, new_run
from genviz.gans.experiments import d_robust_accuracy
from genviz.gans.recipes import generator_scores, preview_labels, truncation_trend

BUDGET = float(os.environ.get("GENVIZ_BENCH_BIGGAN_SECONDS", "60"))  # per arm; the issue asks 120–150 s
SEEDS = int(os.environ.get("GENVIZ_BENCH_BIGGAN_SEEDS", "1"))  # the issue asks 3
CHECK_EVERY = 15.0  # seconds between distance measurements on a curve


def _load_avg() -> str:
    return f"load avg {os.getloadavg()[0]:.2f}"


def _timed_run(kind: str, imgs, values: dict, params: TrainParams, budget: float, curve_every: float | None = None):
    """Train for `budget` seconds of training steps; return (run, [(seconds, FD, label agreement)])."""
    import threading

    run = new_run(kind, imgs, values, params, "cpu")
    stop = threading.Event()
    scorer = load_scorer(imgs.name)
    real = classifier_features(scorer, imgs.x_test)[0]
    points, trained, next_check = [], 0.0, curve_every or float("inf")
    last = time.perf_counter()
    for _ in run.fit(stop=stop):
        now = time.perf_counter()
        trained += now - last
        if trained >= next_check:
            labels = preview_labels(run.model.config, 500, run.model.device)
            run.model.eval()
            s = run.model.sample(500, torch.Generator().manual_seed(0), labels)
            run.model.train()
            f, p = classifier_features(scorer, s)
            agree = float((p.argmax(1) == labels).float().mean()) if labels is not None else float("nan")
            points.append((round(trained), frechet_distance(f, real), agree))
            next_check += curve_every
        if trained >= budget:
            stop.set()
        last = time.perf_counter()
    return run, points


def _truncation_rows() -> list[dict]:
    rows = []
    for name in ("biggan-mnist", "biggan-digits"):
        path = checkpoints.SHIPPED_DIR / f"{name}.safetensors"
        if not path.exists():
            continue
        ckpt = checkpoints.load(path, "cpu")
        curve = (ckpt.meta.get("extra") or {}).get("truncation_curve")
        if not curve:
            continue
        for p in curve:
            rows.append({"benchmark": f"truncation {name}", "setting": f"ψ = {p['psi']:g}",
                         "value": round(p["frechet_distance"], 1), "unit": "Fréchet",
                         "note": f"confidence {p['confidence']:.3f}, precision {p['precision']:.3f}, "
                                 f"recall {p['recall']:.3f}, label agreement {p.get('label_agreement', float('nan')):.3f}"})
        trend = truncation_trend(curve)
        rows.append({"benchmark": f"truncation {name}", "setting": "Spearman ρ against ψ",
                     "value": round(trend["truncation_rho_precision"], 2), "unit": "ρ(precision)",
                     "note": ", ".join(f"{k.removeprefix('truncation_rho_')} {v:.2f}" for k, v in trend.items())})
    return rows


def _conditioning_rows(imgs) -> list[dict]:
    """cBN with a shared embedding (biggan's G) vs the cGAN's input concatenation, same D (projection,
    spectral norm, hinge), same budget: label agreement and Fréchet distance against seconds."""
    rows = []
    base = {"objective": "hinge", "conditioning": "projection", "d_norm": "spectral", "ema": 0.999}
    for g_cond in ("cbn", "input"):
        for seed in range(SEEDS):
            params = TrainParams(epochs=1000, batch_size=64, lr=5e-4, seed=seed, log_every=25, eval_every_epoch=False)
            run, points = _timed_run("biggan", imgs, {**base, "g_conditioning": g_cond}, params, BUDGET, CHECK_EVERY)
            curve = "; ".join(f"{s}s FD {fd:.0f} agree {a:.0%}" for s, fd, a in points)
            rows.append({"benchmark": "conditioning (MNIST)", "setting": f"G reads y by {g_cond}, seed {seed}",
                         "value": round(points[-1][1], 1) if points else "", "unit": "Fréchet (500 samples)",
                         "note": f"{run.steps} steps in {BUDGET:.0f} s, label agreement "
                                 f"{points[-1][2]:.0%}; curve {curve}; {_load_avg()}" if points else _load_avg()})
    return rows


def _batch_rows() -> list[dict]:
    """The lecture's "large batch (2048)": the digits MLP GAN at batch 64 … 2048, at an equal number of
    G steps and at equal wall clock."""
    digits = data.load("digits", "cpu")
    rows = []
    steps, seconds = 400, max(10.0, BUDGET / 4)
    for batch in (64, 256, 1024, 2048):
        params = TrainParams(epochs=10_000, batch_size=batch, lr=1e-3, seed=0, max_steps=steps, log_every=50,
                             eval_every_epoch=False)
        t = time.perf_counter()
        run = new_run("dcgan", digits, {}, params, "cpu")
        for _ in run.fit():
            pass
        scores = generator_scores(run.model, digits)
        rows.append({"benchmark": "batch size (digits MLP DCGAN)", "setting": f"batch {batch}, {steps} G steps",
                     "value": round(scores.scores.frechet_distance, 1), "unit": "Fréchet",
                     "note": f"{time.perf_counter() - t:.1f} s; {_load_avg()}"})
        params = TrainParams(epochs=10_000, batch_size=batch, lr=1e-3, seed=0, log_every=10, eval_every_epoch=False)
        run, _ = _timed_run("dcgan", digits, {}, params, seconds)
        scores = generator_scores(run.model, digits)
        rows.append({"benchmark": "batch size (digits MLP DCGAN)", "setting": f"batch {batch}, {seconds:.0f} s",
                     "value": round(scores.scores.frechet_distance, 1), "unit": "Fréchet",
                     "note": f"{run.steps} G steps; {_load_avg()}"})
    return rows


def _fastgan_rows(imgs) -> list[dict]:
    """Fast-GAN's claim at equal wall clock, batch 64: (A) SN-GAN style, spectral norm, 5 D steps per G
    step; (B) no SN, 1 D step, no adversarial training (the ablation); (C) B plus adversarial D."""
    eps = float(os.environ.get("GENVIZ_BENCH_FASTGAN_EPS", "0.05"))
    arms = {
        "A: spectral norm, 5 D steps": {"objective": "hinge", "d_norm": "spectral", "n_critic": 5},
        "B: no SN, 1 D step": {"objective": "hinge", "d_norm": "none", "n_critic": 1},
        f"C: B + adversarial D (ε = {eps:g}, m = 2)": {"objective": "hinge", "d_norm": "none", "n_critic": 1,
                                                       "adv_eps": eps, "adv_replays": 2},
    }
    rows = []
    for arm, values in arms.items():
        for seed in range(SEEDS):
            params = TrainParams(epochs=1000, batch_size=64, lr=2e-4, seed=seed, log_every=25, eval_every_epoch=False)
            run, points = _timed_run("dcgan", imgs, values, params, BUDGET, CHECK_EVERY)
            robust = d_robust_accuracy(run.model, imgs.x_test[:500], imgs.y_test[:500], eps=eps)
            curve = "; ".join(f"{s}s {fd:.0f}" for s, fd, _ in points)
            rows.append({"benchmark": "Fast-GAN (MNIST)", "setting": f"{arm}, seed {seed}",
                         "value": round(points[-1][1], 1) if points else "", "unit": "Fréchet (500 samples)",
                         "note": f"{run.steps} steps in {BUDGET:.0f} s; D accuracy clean {robust['clean_accuracy']:.2f}, "
                                 f"PGD-10 {robust['pgd_accuracy']:.2f}; FD curve {curve}; {_load_avg()}"})
    return rows


def run() -> list[dict]:
    torch.set_num_threads(int(os.environ.get("GENVIZ_BENCH_THREADS", "1")))
    rows = _truncation_rows()
    which = os.environ.get("GENVIZ_BENCH_BIGGAN_PARTS", "batch,conditioning,fastgan").split(",")
    if "batch" in which:
        rows += _batch_rows()
    try:
        mnist = data.load("mnist", "cpu")
    except Exception as err:  # noqa: BLE001 - the MNIST parts are optional where the files are absent
        rows.append({"benchmark": "MNIST parts", "setting": "skipped", "value": "", "unit": "", "note": str(err)})
        return rows
    if "conditioning" in which:
        rows += _conditioning_rows(mnist)
    if "fastgan" in which:
        rows += _fastgan_rows(mnist)
    return rows
