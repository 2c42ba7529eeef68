"""A small CNN classifier, used to score generated images (confidence, labels, Fréchet features)."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from genviz.core.config import check_choice, check_range

AUGMENTATIONS = ("shift", "affine")


@dataclass(frozen=True)
class ClassifierConfig:
    kind: str = "classifier"
    image_shape: tuple[int, int, int] = (1, 8, 8)
    n_classes: int = 10
    channels: tuple[int, ...] = (32, 64)
    feature_dim: int = 128
    dropout: float = 0.25
    # training augmentation: "shift" (±1 px rolls) or "affine" (also rotation, scale, shear and stroke width: a scorer
    # trained on a small set, e.g. 1,437 scikit-learn digits, then reads other handwriting of the same classes)
    augment: str = "shift"

    def __post_init__(self) -> None:
        check_range("Number of classes", self.n_classes, 2, 1000)
        check_range("Feature size", self.feature_dim, 2, 4096)
        check_range("Dropout", self.dropout, 0.0, 0.9)
        check_choice("Augmentation", self.augment, AUGMENTATIONS)
        for ch in self.channels:
            check_range("Channels", ch, 1, 1024)


class Classifier(nn.Module):
    """conv3×3 → ReLU → (pool) per stage, then a feature layer whose activations feed the Fréchet distance."""

    def __init__(self, config: ClassifierConfig):
        super().__init__()
        self.config = config
        c, h, w = config.image_shape
        layers: list[nn.Module] = []
        for ch in config.channels:
            layers += [nn.Conv2d(c, ch, 3, padding=1), nn.BatchNorm2d(ch), nn.ReLU()]
            if min(h, w) >= 8:
                layers.append(nn.MaxPool2d(2))
                h, w = h // 2, w // 2
            c = ch
        self.body = nn.Sequential(*layers, nn.Flatten())
        self.features_layer = nn.Sequential(nn.Linear(c * h * w, config.feature_dim), nn.ReLU(), nn.Dropout(config.dropout))
        self.head = nn.Linear(config.feature_dim, config.n_classes)

    def features(self, x: Tensor) -> Tensor:
        return self.features_layer(self.body(x))  # (B, feature_dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))  # logits (B, n_classes)

    @torch.inference_mode()
    def predict_proba(self, x: Tensor) -> Tensor:
        return self(x).softmax(-1)
