"""The lecture's later GAN ideas as experiments at MNIST scale (issue 16), each giving the numbers a page
shows: BigGAN's class conditioning (cBN vs input concatenation) and its large batch, Fast-GAN's
adversarially trained discriminator. Every arm trains under the same wall-clock budget (or the same
number of G steps where said) from the same seed.

`build_pretrained` runs them all and writes `checkpoints/gan-ideas-<dataset>.json` (what the page reads;
`python -m genviz pretrain --only gan-ideas-mnist` rebuilds it); bench/bench_biggan.py prints them.
"""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable

import torch

from genviz.core import atomic, data
from genviz.core.paths import SHIPPED_DIR
from genviz.core.scoring import classifier_features, frechet_distance, load_scorer
from genviz.core.train import TrainParams, new_run
from genviz.gans.experiments import d_robust_accuracy
from genviz.gans.recipes import D_EXTRA_STAGES, generator_scores, preview_labels

CHECK_EVERY = 15.0  # seconds of training between two distance measurements on a curve
CURVE_SAMPLES = 500


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def timed_run(kind: str, imgs: data.ImageData, values: dict[str, Any], params: TrainParams, budget: float,
              curve_every: float | None = CHECK_EVERY) -> dict[str, Any]:
    """Train for `budget` seconds of training steps; the Fréchet distance (and label agreement for
    conditional GANs) of CURVE_SAMPLES samples every `curve_every` seconds, and the finished run."""
    run = new_run(kind, imgs, values, params, "cpu")
    stop = threading.Event()
    scorer = load_scorer(imgs.name)
    real = classifier_features(scorer, imgs.x_test)[0]
    curve: list[dict[str, float]] = []
    trained, next_check = 0.0, curve_every or float("inf")
    last = time.perf_counter()
    for _ in run.fit(stop=stop):
        trained += time.perf_counter() - last
        if trained >= next_check or (trained >= budget and curve_every):
            labels = preview_labels(run.model.config, CURVE_SAMPLES, run.model.device)
            run.model.eval()
            samples = run.model.sample(CURVE_SAMPLES, torch.Generator().manual_seed(0), labels)
            run.model.train()
            feats, probs = classifier_features(scorer, samples)
            point = {"seconds": round(trained, 1), "steps": run.steps, "frechet_distance": frechet_distance(feats, real)}
            if labels is not None:
                point["label_agreement"] = float((probs.argmax(1) == labels).float().mean())
            curve.append(point)
            next_check += curve_every or 0
        if trained >= budget:
            stop.set()
        last = time.perf_counter()
    return {"run": run, "curve": curve, "steps": run.steps, "load_average": load_average()}


def conditioning_experiment(imgs: data.ImageData, budget: float, seeds: int) -> list[dict[str, Any]]:
    """cBN with a shared embedding (the biggan G) vs the cGAN's input concatenation; the same D as the
    shipped biggan-mnist (projection, spectral norm, one extra stage, hinge) and EMA; label agreement and
    Fréchet distance against seconds."""
    base = {"objective": "hinge", "conditioning": "projection", "d_norm": "spectral", "ema": 0.999,
            "d_extra_stages": D_EXTRA_STAGES["biggan"]}
    out = []
    for g_cond in ("cbn", "input"):
        for seed in range(seeds):
            params = TrainParams(epochs=1000, batch_size=64, lr=5e-4, seed=seed, log_every=25, eval_every_epoch=False)
            r = timed_run("biggan", imgs, {**base, "g_conditioning": g_cond}, params, budget)
            out.append({"arm": g_cond, "seed": seed, "budget": budget, "steps": r["steps"], "curve": r["curve"],
                        "load_average": r["load_average"]})
    return out


def batch_experiment(digits: data.ImageData, steps: int = 400, seconds: float = 15.0,
                     batches: tuple[int, ...] = (64, 256, 1024, 2048)) -> list[dict[str, Any]]:
    """The lecture's "large batch (2048)": the digits MLP DCGAN at each batch size, once for `steps` G
    steps and once for `seconds` of training; Fréchet distance of 1,000 samples."""
    out = []
    for batch in batches:
        for budget in ("steps", "seconds"):
            params = TrainParams(epochs=10_000, batch_size=batch, lr=1e-3, seed=0, log_every=10,
                                 max_steps=steps if budget == "steps" else None, eval_every_epoch=False)
            t = time.perf_counter()
            if budget == "steps":
                run = new_run("dcgan", digits, {}, params, "cpu")
                for _ in run.fit():
                    pass
            else:
                run = timed_run("dcgan", digits, {}, params, seconds, curve_every=None)["run"]
            scores = generator_scores(run.model, digits)
            out.append({"batch": batch, "budget": budget, "steps": run.steps, "seconds": round(time.perf_counter() - t, 1),
                        "frechet_distance": scores.scores.frechet_distance if scores else None,
                        "load_average": load_average()})
    return out


FASTGAN_ARMS = {
    "A: spectral norm, 5 D steps per G step": {"objective": "hinge", "d_norm": "spectral", "n_critic": 5},
    "B: no spectral norm, 1 D step": {"objective": "hinge", "d_norm": "none", "n_critic": 1},
    "C: B + adversarial training of D": {"objective": "hinge", "d_norm": "none", "n_critic": 1, "adv_replays": 2},
}


def fastgan_experiment(imgs: data.ImageData, budget: float, seeds: int, eps: float) -> list[dict[str, Any]]:
    """Fast-GAN at equal wall clock, batch 64: (A) SN-GAN style; (B) the ablation; (C) B + adversarial D.
    Fréchet distance against seconds, and D's accuracy clean and under a 10-step PGD attack of size ε."""
    out = []
    for arm, values in FASTGAN_ARMS.items():
        if "adv_replays" in values:
            values = {**values, "adv_eps": eps}
        for seed in range(seeds):
            params = TrainParams(epochs=1000, batch_size=64, lr=2e-4, seed=seed, log_every=25, eval_every_epoch=False)
            r = timed_run("dcgan", imgs, values, params, budget)
            robust = d_robust_accuracy(r["run"].model, imgs.x_test[:500], imgs.y_test[:500], eps=eps)
            out.append({"arm": arm, "seed": seed, "budget": budget, "steps": r["steps"], "curve": r["curve"],
                        **robust, "eps": eps, "load_average": r["load_average"]})
    return out


def time_to_reach(curve: list[dict[str, float]], target: float) -> float | None:
    """Seconds until a curve's Fréchet distance first gets to `target` (None: never within the run)."""
    return next((p["seconds"] for p in curve if p["frechet_distance"] <= target), None)


def run_all(budget: float, seeds: int, eps: float, log: Callable[[str], None] = lambda s: None) -> dict[str, Any]:
    mnist, digits = data.load("mnist", "cpu"), data.load("digits", "cpu")
    t = time.perf_counter()
    result: dict[str, Any] = {"budget_seconds": budget, "seeds": seeds, "threads": torch.get_num_threads()}
    log("batch sizes")
    result["batch"] = batch_experiment(digits, seconds=max(10.0, budget / 4))
    log("conditioning")
    result["conditioning"] = conditioning_experiment(mnist, budget, seeds)
    log("fast-gan")
    result["fastgan"] = fastgan_experiment(mnist, budget, seeds, eps)
    result["seconds"] = round(time.perf_counter() - t, 1)
    return result


def build_pretrained(spec, device: str, out_dir: Path, log: Callable[[str], None]) -> Path:
    """`pretrain` entry: run every experiment (spec.train: budget, seeds, eps) and write the JSON the page reads."""
    settings = {"budget": 60.0, "seeds": 1, "eps": 0.05, **spec.train}
    result = run_all(settings["budget"], int(settings["seeds"]), settings["eps"], log)
    path = out_dir / f"{spec.name}.json"
    atomic.atomic_write(path, json.dumps(result, indent=1))
    return path


def load_results(dataset: str = "mnist", folder: Path | None = None) -> dict[str, Any] | None:
    path = (folder or SHIPPED_DIR) / f"gan-ideas-{dataset}.json"
    return json.loads(path.read_text()) if path.exists() else None
