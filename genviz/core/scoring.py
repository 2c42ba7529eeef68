"""Quality numbers: sample scores from the project classifier and the Fréchet distance."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from genviz.core import checkpoints
from genviz.core.errors import CheckpointError
from genviz.core.train import batched
from genviz.core.uploads import is_upload


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
    Inception's, so values are comparable within genviz only. NaN when a feature is not finite.
    """
    a = np.asarray(feats_a.cpu() if isinstance(feats_a, Tensor) else feats_a, dtype=np.float64)
    b = np.asarray(feats_b.cpu() if isinstance(feats_b, Tensor) else feats_b, dtype=np.float64)
    if len(a) < 2 or len(b) < 2 or not (np.isfinite(a).all() and np.isfinite(b).all()):
        return float("nan")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    d = ((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt_product(cov_a, cov_b)
    return max(0.0, float(d))  # ≥ 0 in exact arithmetic; round-off can leave -1e-14


def trace_sqrt_product(cov_a: np.ndarray, cov_b: np.ndarray) -> float:
    """Tr((Σ_a Σ_b)^½) for covariance (symmetric PSD) matrices, also when they are singular.

    Σ_a Σ_b is similar to the symmetric PSD Σ_a^½ Σ_b Σ_a^½, so the trace is the sum of the square
    roots of that matrix's eigenvalues. Symmetric eigensolvers stay exact where `scipy.linalg.sqrtm`
    of the non-symmetric product warns "singular" (collapsed samples, dead ReLU features); round-off
    eigenvalues below zero are clipped to zero.
    """
    w, v = np.linalg.eigh((cov_a + cov_a.T) / 2)
    root_a = (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T
    m = root_a @ cov_b @ root_a
    return float(np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0.0, None)).sum())


@dataclass(frozen=True)
class SampleScores:
    confidence: float  # mean max-class probability: high = samples look like some class
    label_counts: tuple[int, ...]  # classifier's predicted label histogram
    classes_covered: int  # classes predicted for at least 1% of the samples
    frechet_distance: float


def score_samples(classifier: nn.Module, samples: Tensor, real: Tensor | None,
                  real_features: Tensor | None = None) -> SampleScores:
    """Score generated `samples` against `real` images of the same shape with the project classifier.

    A caller that scores many sample sets against one real set passes that set's classifier features
    once as `real_features` (then `real` may be None).
    """
    f_fake, p_fake = classifier_features(classifier, samples)
    f_real = real_features if real_features is not None else classifier_features(classifier, real)[0]
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
    path = checkpoints.SHIPPED_DIR / f"classifier-{dataset}{checkpoints.SUFFIX}"
    if not path.exists() and is_upload(dataset):
        raise CheckpointError("Your own images have no scoring classifier (genviz ships one per built-in dataset), "
                              "so samples of models trained on them are not scored.")
    if not path.exists():
        raise CheckpointError(f"No scoring classifier for '{dataset}' is shipped; rebuild it with "
                              f"`python -m genviz pretrain --only classifier-{dataset}`.")
    return checkpoints.load(path, device).model  # type: ignore[return-value]


def knn_radii(feats: Tensor, k: int = 3) -> Tensor:
    """Distance of each row to its k-th nearest other row (the radius of its k-NN ball)."""
    d = torch.cdist(feats, feats)
    return d.kthvalue(k + 1, dim=1).values  # +1: the row itself is at distance 0


def precision_recall(real_feats: Tensor, fake_feats: Tensor, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) in classifier features.

    The real manifold is the union of k-NN balls around the real points; precision is the share of fakes
    inside it (are the samples realistic?). Recall swaps the roles: the share of real points inside the
    fakes' manifold (do the samples cover the data?).
    """
    real, fake = real_feats.float(), fake_feats.float()
    r_real, r_fake = knn_radii(real, k), knn_radii(fake, k)
    d = torch.cdist(fake, real)  # (F, R)
    precision = (d <= r_real[None, :]).any(1).float().mean()
    recall = (d.T <= r_fake[None, :]).any(1).float().mean()
    return float(precision), float(recall)
