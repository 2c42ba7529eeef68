"""Builders for the shipped autoencoder checkpoints (used by the entries in `genviz/pretrained.py`).

`build_with_history` trains like `pretrained.build` and also keeps the training curve (train losses
and held-out metrics over steps) in the checkpoint's `extra["curve"]`, which the VAE page draws.
`build_curves` computes the bottleneck / training-set-size curves and writes
`checkpoints/ae-curves-<dataset>.json`.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from genviz import checkpoints, data, registry
from genviz.evaluation import evaluate_model
from genviz.train import TensorSplit, TrainParams, fit

MAX_CURVE_POINTS = 200


def _thin(points: list[dict], keep: int = MAX_CURVE_POINTS) -> list[dict]:
    """At most `keep` points, always keeping those with held-out metrics and the last one."""
    if len(points) <= keep:
        return points
    stride = len(points) / keep
    chosen = {int(i * stride) for i in range(keep)} | {len(points) - 1}
    return [p for i, p in enumerate(points) if i in chosen or any(k.startswith("test_") for k in p)]


def build_with_history(spec, device: str, out_dir: Path, log: Callable[[str], None]) -> Path:
    kind = registry.get(spec.kind)
    imgs = data.load(spec.dataset, device)
    config = kind.make_config(imgs.image_shape, imgs.n_classes, **spec.config)
    model = kind.build(config).to(device)
    params = TrainParams(**{**kind.default_train, **spec.train})
    split = TensorSplit((imgs.x_train, imgs.y_train), (imgs.x_test, imgs.y_test))
    start = time.perf_counter()
    curve = []
    for rec in fit(model, kind.recipe(config), split, params):
        point = {"step": rec.step, "epoch": round(rec.epoch, 3), **{k: round(v, 4) for k, v in rec.metrics.items()}}
        point.update({f"test_{k}": round(v, 4) for k, v in rec.test_metrics.items()})
        curve.append(point)
        log(f"{spec.name}: step {rec.step}/{rec.total_steps} {rec.metrics} {rec.test_metrics}")
    seconds = time.perf_counter() - start
    metrics = evaluate_model(spec.kind, model, config, imgs, seed=params.seed)
    return checkpoints.save(out_dir / spec.name, model, config, dataset=spec.dataset, metrics=metrics,
                            epochs=params.epochs, half=True,
                            extra={"train_seconds": round(seconds, 2), "train_params": params.__dict__,
                                   "curve": _thin(curve)})


def build_curves(spec, device: str, out_dir: Path, log: Callable[[str], None]) -> Path:
    """`spec.config` holds CurveSettings fields; the JSON keeps the settings, the points and the run time."""
    from genviz.ae_analysis import CurveSettings, bottleneck_curves, bce_floor

    imgs = data.load(spec.dataset, device)
    settings = CurveSettings(**{k: tuple(v) if isinstance(v, list) else v for k, v in spec.config.items()})
    start = time.perf_counter()
    points = []
    for p in bottleneck_curves(imgs, settings):
        points.append(p)
        log(f"{spec.name}: {p}")
    record = {"dataset": spec.dataset, "settings": asdict(settings), "points": points,
              "pixel_entropy": round(bce_floor(imgs.x_test), 3), "seconds": round(time.perf_counter() - start, 1),
              "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    path = Path(out_dir) / f"{spec.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=1))
    tmp.replace(path)
    return path
