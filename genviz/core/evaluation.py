"""Held-out metrics for any checkpoint: the recipe's evaluation plus the kind's own extras."""
from __future__ import annotations

from typing import Any

import torch

from genviz.core import data as datasets
from genviz.core import registry


def evaluate_checkpoint(ckpt, device: torch.device | str = "cpu") -> dict[str, Any]:
    """A loaded checkpoint's numbers as `python -m genviz evaluate` reports them: its kind's own
    `evaluate_checkpoint` where it has one (e.g. a CycleGAN's pair), else `evaluate_model` on its dataset."""
    spec = registry.get(ckpt.kind)
    if spec.evaluate_checkpoint is not None:
        return spec.evaluate_checkpoint(ckpt, device)
    return evaluate_model(ckpt.kind, ckpt.model, ckpt.config, datasets.load(ckpt.dataset, device))


def evaluate_model(kind: str, model, config, imgs: datasets.ImageData, seed: int = 0,
                   samples: bool = True, held_out: dict[str, float] | None = None) -> dict[str, Any]:
    """`test_*` metrics from the recipe's evaluate() on the test split (or `held_out`, already computed
    by the trainer on that split), plus the kind's extra metrics (sample scores by the classifier,
    Fréchet distance) unless `samples` is False."""
    spec = registry.get(kind)
    model.eval()
    if held_out is None:
        gen = torch.Generator(device=imgs.device).manual_seed(seed)
        held_out = spec.recipe(config).evaluate(model, (imgs.x_test, imgs.y_test), gen)
    metrics: dict[str, Any] = {f"test_{k}": v for k, v in held_out.items()}
    if samples and spec.evaluate is not None:
        metrics.update(spec.evaluate(model, config, imgs))
    return metrics
