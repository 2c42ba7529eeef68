"""Loss functions: pure functions of tensors, each with its formula. Per-image sums, batch means."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def reconstruction_loss(logits: Tensor, x: Tensor, kind: str = "bce", reduction: str = "mean") -> Tensor:
    """Reconstruction error summed over pixels, averaged over the batch (or per image).

    bce: −Σ_p [x_p log x̂_p + (1−x_p) log(1−x̂_p)], x̂ = σ(logits) — the Bernoulli negative
    log-likelihood in nats per image. mse: Σ_p (x_p − x̂_p)², the ‖x − D(E(x))‖² of the lecture.
    """
    if kind == "bce":
        per_pixel = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    else:
        per_pixel = (logits.sigmoid() - x) ** 2
    per_image = per_pixel.flatten(1).sum(1)
    return per_image if reduction == "none" else per_image.mean()
