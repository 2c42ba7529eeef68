"""The bottleneck-curve builder for the shipped autoencoder files (used by `genviz/pretrained.py`).

The autoencoder checkpoints themselves are built by `pretrained.build`, which keeps the training curve
(train losses and held-out metrics over steps) in `extra["curve"]`, drawn by the VAE page.
`build_curves` computes the bottleneck / training-set-size curves and writes
`checkpoints/ae-curves-<dataset>.json`.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from genviz.autoencoders.analysis import CurveSettings, bce_floor, bottleneck_curves
from genviz.core import atomic, data


def build_curves(spec, device: str, out_dir: Path, log: Callable[[str], None]) -> Path:
    """`spec.config` holds CurveSettings fields; the JSON keeps the settings, the points and the run time."""
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
    return atomic.atomic_write(Path(out_dir) / f"{spec.name}.json", json.dumps(record, indent=1))
