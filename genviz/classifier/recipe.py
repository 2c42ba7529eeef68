"""Training recipe and registry entry for the scoring classifier."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from genviz.classifier.model import AUGMENTATIONS, Classifier, ClassifierConfig
from genviz.core.optim import adam
from genviz.core.registry import KindSpec, ParamSpec, register
from genviz.core.train import TrainParams, batched

# "affine" augmentation: uniform ranges of rotation (degrees), scale (± share; width varies by half as much again),
# shear, shift (share of the image side) and the probability of a 3×3 grey dilation, and the same of a thinning
AFFINE = {"rotate": 15.0, "scale": 0.2, "shear": 0.3, "shift": 0.1, "stroke": 0.25}


def random_affine(x: Tensor, generator: torch.Generator) -> Tensor:
    """Each image of (B, C, H, W) in [0, 1], drawn again under its own random rotation, scale, shear and shift,
    then, with probability AFFINE["stroke"] each, its strokes thickened (3×3 dilation) or thinned."""
    n, dev = len(x), x.device

    def uniform(half_width: float, centre: float = 0.0) -> Tensor:
        u = torch.rand(n, generator=generator, device=generator.device).to(dev)
        return centre + half_width * (2 * u - 1)

    angle = uniform(AFFINE["rotate"]) * torch.pi / 180
    sy = uniform(AFFINE["scale"], 1.0)
    sx = sy * uniform(AFFINE["scale"] / 2, 1.0)
    shear = uniform(AFFINE["shear"])
    cos, sin = angle.cos(), angle.sin()
    theta = torch.zeros(n, 2, 3, device=dev)  # output → input coordinates, in [−1, 1] units
    theta[:, 0, 0], theta[:, 0, 1] = cos / sx, (shear - sin) / sx
    theta[:, 1, 0], theta[:, 1, 1] = sin / sy, cos / sy
    theta[:, 0, 2], theta[:, 1, 2] = 2 * uniform(AFFINE["shift"]), 2 * uniform(AFFINE["shift"])
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")
    u = torch.rand(n, 1, 1, 1, generator=generator, device=generator.device).to(dev)
    # thinning: half-way to the 3×3 erosion, which alone would erase a 2-px stroke
    thick, thin = F.max_pool2d(out, 3, 1, 1), (out - F.max_pool2d(-out, 3, 1, 1)) / 2
    return torch.where(u < AFFINE["stroke"], thick, torch.where(u > 1 - AFFINE["stroke"], thin, out))


class ClassifierRecipe:
    """Cross-entropy with Adam; random shifts (±1 px) or random affine maps and stroke widths (`augment`) as
    augmentation, done on-device."""

    def __init__(self, config: ClassifierConfig):
        self.config = config

    def optimizers(self, model, params: TrainParams):
        return {"model": adam(model.parameters(), params.lr)}

    def step(self, model, optimizers, batch, generator, run) -> dict[str, Tensor]:
        x, y = batch[0], batch[1]
        if self.config.augment == "affine":
            x = random_affine(x, generator)
        else:
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
    params=(ParamSpec("feature_dim", "Feature size", "int", 128, 16, 512),
            ParamSpec("augment", "Training augmentation", "choice", "shift", options=AUGMENTATIONS,
                      help="shift: ±1 px; affine: also random rotation (±15°), scale, shear and stroke width, for a "
                           "scorer trained on few images that must read other handwriting.")),
    description="A small CNN; its softmax scores samples and its features give the Fréchet distance.",
    default_train={"epochs": 5, "batch_size": 128, "lr": 1e-3},
))
