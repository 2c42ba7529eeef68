"""Quality numbers: sample scores from the project classifier and the Fréchet distance."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy import linalg
from torch import Tensor, nn

from genviz.core.errors import CheckpointError
from genviz.core.train import batched


@torch.inference_mode()
def classifier_features(classifier: nn.Module, images: Tensor, batch_size: int = 1000) -> tuple[Tensor, Tensor]:
    """(features (N, F), class probabilities (N, K)) of `images` under the classifier in eval mode."""
    was_training = classifier.training
    classifier.eval()
    feats, probs = [], []
    for (x,) in batched(lambda x: (x,), (images,), batch_size):
        f = classifier.features(x)
        feats.append(f)
        probs.append(classifier.head(f).softmax(-1))
    classifier.train(was_training)
    return torch.cat(feats), torch.cat(probs)


def frechet_distance(feats_a: Tensor | np.ndarray, feats_b: Tensor | np.ndarray) -> float:
    """‖μ_a − μ_b‖² + Tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^½) between Gaussians fitted to two feature sets.

    The FID formula (Heusel et al. 2017), here on the project classifier's features instead of
    Inception's, so values are comparable within genviz only.
    """
    a = np.asarray(feats_a.cpu() if isinstance(feats_a, Tensor) else feats_a, dtype=np.float64)
    b = np.asarray(feats_b.cpu() if isinstance(feats_b, Tensor) else feats_b, dtype=np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean, _ = linalg.sqrtm(cov_a @ cov_b, disp=False)
    if not np.isfinite(covmean).all():  # near-singular product: regularise as the FID reference code does
        eps = 1e-6 * np.eye(len(cov_a))
        covmean = linalg.sqrtm((cov_a + eps) @ (cov_b + eps))
    covmean = covmean.real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(covmean))


@dataclass(frozen=True)
class SampleScores:
    confidence: float  # mean max-class probability: high = samples look like some class
    label_counts: tuple[int, ...]  # classifier's predicted label histogram
    classes_covered: int  # classes predicted for at least 1% of the samples
    frechet_distance: float


def score_samples(classifier: nn.Module, samples: Tensor, real: Tensor) -> SampleScores:
    """Score generated `samples` against `real` images of the same shape with the project classifier."""
    f_fake, p_fake = classifier_features(classifier, samples)
    f_real, _ = classifier_features(classifier, real)
    counts = torch.bincount(p_fake.argmax(1), minlength=p_fake.shape[1]).cpu()
    covered = int((counts >= max(1, round(0.01 * len(samples)))).sum())
    return SampleScores(
        confidence=float(p_fake.max(1).values.mean()),
        label_counts=tuple(int(c) for c in counts),
        classes_covered=covered,
        frechet_distance=frechet_distance(f_fake, f_real),
    )


def load_scorer(dataset: str, device: torch.device | str = "cpu") -> nn.Module:
    """The shipped classifier for `dataset` (checkpoints/classifier-<dataset>.safetensors), in eval mode."""
    from genviz.core import checkpoints

    path = checkpoints.SHIPPED_DIR / f"classifier-{dataset}{checkpoints.SUFFIX}"
    if not path.exists():
        raise CheckpointError(f"No scoring classifier for '{dataset}' is shipped; rebuild it with "
                              f"`python -m genviz pretrain --only classifier-{dataset}`.")
    return checkpoints.load(path, device).model  # type: ignore[return-value]
