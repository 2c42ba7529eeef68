"""Quality numbers: sample scores from the project classifier and the Fréchet distance.

The classifier features of a real image set (10,000 test images: seconds on 2 cores) are the same for
every model scored against it, so `cached_features` keeps them in memory and on disk under
`$GENVIZ_HOME/data-cache/features`, named by a digest of the classifier's weights and of the images.
"""
from __future__ import annotations

import hashlib
import stat
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from genviz.core import atomic, checkpoints, paths
from genviz.core.errors import CheckpointError, SaveError
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


FEATURE_MEMO_ENTRIES = 8  # real feature sets kept in memory (10,000 × 128 floats ≈ 5 MB each)
_memo: OrderedDict[str, Tensor] = OrderedDict()
_memo_lock = threading.Lock()


def _update(h, t: Tensor) -> None:
    t = t.detach().cpu().contiguous()
    h.update(f"{tuple(t.shape)}{t.dtype}".encode())
    h.update(t.reshape(-1).view(torch.uint8).numpy())


def features_key(classifier: nn.Module, images: Tensor) -> str:
    """A digest of the classifier's weights and of the images: equal keys give equal features."""
    h = hashlib.blake2b(digest_size=16)
    for name, value in classifier.state_dict().items():
        h.update(name.encode())
        _update(h, value)
    _update(h, images)
    return h.hexdigest()


def features_cache_path(key: str) -> Path:
    return paths.data_cache_dir() / "features" / f"{key}.safetensors"


def _read_features(path: Path, n: int) -> Tensor | None:
    from safetensors import safe_open

    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None
        with safe_open(str(path), framework="pt") as f:
            feats = f.get_tensor("features")
        return feats if feats.ndim == 2 and len(feats) == n and bool(torch.isfinite(feats).all()) else None
    except Exception:  # missing, truncated or not ours: compute them again
        return None


def cached_features(classifier: nn.Module, images: Tensor) -> Tensor:
    """`classifier_features(classifier, images)[0]`, from memory or disk when computed before (on `images`' device)."""
    key = features_key(classifier, images)
    with _memo_lock:
        if key in _memo:
            _memo.move_to_end(key)
            return _memo[key].to(images.device)
    path = features_cache_path(key)
    feats = _read_features(path, len(images))
    if feats is None:
        feats = classifier_features(classifier, images)[0].float().cpu()
        from safetensors.torch import save

        try:  # best effort: an unwritable cache only costs the next process the computation
            atomic.atomic_write(path, save({"features": feats.contiguous()}))
        except (SaveError, OSError):
            pass
    with _memo_lock:
        _memo[key] = feats
        while len(_memo) > FEATURE_MEMO_ENTRIES:
            _memo.popitem(last=False)
    return feats.to(images.device)


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


def class_count_ratio(counts) -> float:
    """Largest over smallest class count (an empty class counts as 1): 1 is perfectly balanced."""
    return max(counts) / max(1, min(counts))


@dataclass(frozen=True)
class SampleScores:
    confidence: float  # mean max-class probability: high = samples look like some class
    label_counts: tuple[int, ...]  # classifier's predicted label histogram
    classes_covered: int  # classes predicted for at least 1% of the samples
    frechet_distance: float

    @property
    def class_count_ratio(self) -> float:
        """Largest over smallest predicted class count (an empty class counts as 1): 1 is perfectly balanced."""
        return class_count_ratio(self.label_counts)


def score_samples(classifier: nn.Module, samples: Tensor, real: Tensor | None,
                  real_features: Tensor | None = None) -> SampleScores:
    """Score generated `samples` against `real` images of the same shape with the project classifier.

    A caller that scores many sample sets against one real set passes that set's classifier features
    once as `real_features` (then `real` may be None); otherwise those of `real` come from `cached_features`.
    """
    f_fake, p_fake = classifier_features(classifier, samples)
    f_real = real_features if real_features is not None else cached_features(classifier, real)
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
