"""The checkpoints genviz ships, and how to rebuild them: `python -m genviz pretrain`.

Each entry names a kind, a dataset, config values and training params; `build()` trains it and
writes `checkpoints/<name>.safetensors` (fp16) with its metrics and training time in the metadata.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from genviz import checkpoints, data, registry
from genviz.train import TensorSplit, TrainParams, fit


@dataclass(frozen=True)
class PretrainSpec:
    name: str
    kind: str
    dataset: str
    config: dict[str, Any] = field(default_factory=dict)  # ParamSpec / config values for make_config
    train: dict[str, Any] = field(default_factory=dict)  # TrainParams values
    # Optional: metrics(model, config, data, device) -> dict, added to the trainer's test metrics.
    extra_metrics: Callable[..., dict[str, Any]] | None = None
    # Optional: a custom builder (name, device) -> Path replacing the generic train-and-save.
    custom: Callable[..., Path] | None = None


def _evaluation_metrics(kind: str, model, config, imgs: data.ImageData) -> dict[str, float]:
    from genviz.evaluation import evaluate_model

    return evaluate_model(kind, model, config, imgs)


def build(spec: PretrainSpec, device: str = "cpu", out_dir: Path | None = None,
          log: Callable[[str], None] = lambda s: None) -> Path:
    """Train one shipped checkpoint and save it; returns its path."""
    out_dir = out_dir or checkpoints.SHIPPED_DIR
    if spec.custom is not None:
        return spec.custom(spec, device, out_dir, log)
    kind = registry.get(spec.kind)
    imgs = data.load(spec.dataset, device)
    config = kind.make_config(imgs.image_shape, imgs.n_classes, **spec.config)
    model = kind.build(config).to(device)
    params = TrainParams(**{**kind.default_train, **spec.train})
    split = TensorSplit((imgs.x_train, imgs.y_train), (imgs.x_test, imgs.y_test))
    start = time.perf_counter()
    last = None
    for last in fit(model, kind.recipe(config), split, params):
        log(f"{spec.name}: step {last.step}/{last.total_steps} {last.metrics}")
    seconds = time.perf_counter() - start
    metrics = {f"test_{k}": v for k, v in (last.test_metrics if last else {}).items()}
    metrics.update(_evaluation_metrics(spec.kind, model, config, imgs))
    if spec.extra_metrics is not None:
        metrics.update(spec.extra_metrics(model, config, imgs, device))
    return checkpoints.save(out_dir / spec.name, model, config, dataset=spec.dataset, metrics=metrics,
                            epochs=params.epochs, extra={"train_seconds": round(seconds, 2),
                                                         "train_params": params.__dict__}, half=True)


# Families append their entries (keep the whole checkpoints/ folder under 30 MB).
PRETRAINED: list[PretrainSpec] = [
    PretrainSpec("classifier-digits", "classifier", "digits", train={"epochs": 30, "lr": 2e-3}),
    PretrainSpec("classifier-mnist", "classifier", "mnist", train={"epochs": 3, "batch_size": 128}),
    PretrainSpec("ae-digits", "ae", "digits", {"latent_dim": 16, "hidden": 128}, {"epochs": 60, "lr": 2e-3}),
    PretrainSpec("ae-mnist", "ae", "mnist", {"latent_dim": 20, "hidden": 400}, {"epochs": 5}),
]


def select(names: list[str] | None = None) -> Iterator[PretrainSpec]:
    for spec in PRETRAINED:
        if not names or spec.name in names or spec.kind in names:
            yield spec
