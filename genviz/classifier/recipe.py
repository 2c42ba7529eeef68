"""Training recipe and registry entry for the scoring classifier."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from genviz.classifier.model import Classifier, ClassifierConfig
from genviz.core.optim import adam
from genviz.core.registry import KindSpec, ParamSpec, register
from genviz.core.train import TrainParams, batched


class ClassifierRecipe:
    """Cross-entropy with Adam; light random shifts (±1 px) as augmentation, done on-device."""

    def __init__(self, config: ClassifierConfig):
        self.config = config

    def optimizers(self, model, params: TrainParams):
        return {"model": adam(model.parameters(), params.lr)}

    def step(self, model, optimizers, batch, generator, run) -> dict[str, Tensor]:
        x, y = batch[0], batch[1]
        shift = torch.randint(-1, 2, (2,), generator=generator, device=x.device)
        x = torch.roll(x, shifts=(int(shift[0]), int(shift[1])), dims=(2, 3))
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        opt = optimizers["model"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return {"loss": loss.detach(), "accuracy": (logits.argmax(1) == y).float().mean()}

    @torch.inference_mode()
    def evaluate(self, model, data, generator) -> dict[str, float]:
        parts = list(batched(lambda x, y: (F.cross_entropy(model(x), y, reduction="sum"),
                                           (model(x).argmax(1) == y).sum()), data))
        n = len(data[0])
        return {"loss": float(sum(p[0] for p in parts)) / n, "accuracy": float(sum(p[1] for p in parts)) / n}

    def preview(self, model, data, generator) -> None:
        return None


def _classifier_config(image_shape, n_classes, **values) -> ClassifierConfig:
    return ClassifierConfig(image_shape=tuple(image_shape), n_classes=n_classes, **values)


register(KindSpec(
    kind="classifier", family="classifier", title="Classifier (scores generated images)",
    config_cls=ClassifierConfig, build=Classifier, recipe=ClassifierRecipe, make_config=_classifier_config,
    params=(ParamSpec("feature_dim", "Feature size", "int", 128, 16, 512),),
    description="A small CNN; its softmax scores samples and its features give the Fréchet distance.",
    default_train={"epochs": 5, "batch_size": 128, "lr": 1e-3},
))
