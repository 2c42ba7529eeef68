"""The numbers that say whether a translation worked, per direction (A → B is "ab", B → A is "ba").

- label preservation: the share of translations that a classifier trained on the *target* domain
  gives the source image's label (digits ↔ digits pairs only);
- cycle L1: mean |G_BA(G_AB(a)) − a| on [0, 1] images (and the same for b);
- domain score: the target classifier's mean confidence max_k p(k | translation);
- Fréchet distance between the translations and real target images, in the target classifier's features;
- PSNR of G_AB(a) against the true map f(a), where the pair knows it (dilation, inversion);
- class-mapping purity: for each source class, the share of its translations that land on its most
  common target class, averaged over classes (meaningful even without a semantic correspondence);
- the steganography probe (Chu et al. 2017, "CycleGAN, a master of steganography"): the cycle error
  after adding N(0, (2/255)²) noise to the translation. A G that hides its input in faint signals
  reconstructs well from its own output but badly from a barely different one.
"""
from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from genviz.core import scoring
from genviz.core.errors import CheckpointError
from genviz.core.evaluation import evaluate_model
from genviz.translation.models import CycleGAN
from genviz.translation.pairs import TRANSFORMS, Domain, PairData, load_pair, resize

EVAL_IMAGES = 2000
STEGO_STD = 2 / 255


def scorer_for(domain: Domain, device) -> nn.Module | None:
    """The shipped classifier of `domain` (None when none is shipped)."""
    if domain.scorer is None:
        return None
    try:
        return scoring.load_scorer(domain.scorer, device)
    except CheckpointError:
        return None


def scorer_view(domain: Domain, images: Tensor, size: int) -> Tensor:
    """Images of `domain` as its classifier reads them: an invertible transform undone, resized."""
    inverse = TRANSFORMS[domain.transform].inverse
    return resize(inverse(images) if inverse is not None and domain.transform != "none" else images, size)


def psnr(x: Tensor, truth: Tensor) -> float:
    """10 log₁₀(1 / MSE) in dB for [0, 1] images."""
    mse = float((x - truth).pow(2).mean())
    return float("inf") if mse == 0 else 10 * math.log10(1.0 / mse)


def class_mapping_purity(source_labels: Tensor, predicted: Tensor, n_source: int, n_target: int) -> float:
    """Mean over source classes of the largest share of its translations predicted as one target class."""
    counts = torch.zeros(n_source, n_target)
    counts.index_put_((source_labels.cpu(), predicted.cpu()), torch.ones(len(predicted)), accumulate=True)
    present = counts.sum(1) > 0
    return float((counts[present].max(1).values / counts[present].sum(1)).mean())


def _held_out_source(data: PairData, direction: str, n: int):
    """One direction's ≤ n held-out source images and labels, with the target's side ("a" / "b") and domain."""
    src_side, dst_side = ("a", "b") if direction == "ab" else ("b", "a")
    x, y = data.domain(src_side)
    return x[:n], y[:n], dst_side, data.spec.b if direction == "ab" else data.spec.a


@torch.inference_mode()
def direction_metrics(model: CycleGAN, data: PairData, direction: str, n: int = EVAL_IMAGES,
                      seed: int = 0) -> dict[str, float]:
    """All numbers of one direction on ≤ n held-out source images (fixed seed for the probe's noise)."""
    spec = data.spec
    x, y, dst_side, dst_domain = _held_out_source(data, direction, n)
    forward = model.g_ab if direction == "ab" else model.g_ba
    back = model.g_ba if direction == "ab" else model.g_ab
    fake = forward(x).clamp(0, 1)
    rec = back(fake).clamp(0, 1)
    gen = torch.Generator(device=x.device).manual_seed(seed)
    noisy = (fake + STEGO_STD * torch.randn(fake.shape, generator=gen, device=x.device)).clamp(0, 1)
    out = {f"cycle_l1_{direction}": float((rec - x).abs().mean()),
           f"stego_cycle_l1_{direction}": float((back(noisy).clamp(0, 1) - x).abs().mean())}
    truth = spec.true_map(direction)
    if truth is not None:
        out[f"psnr_{direction}"] = psnr(fake, truth(x))
    clf = scorer_for(dst_domain, x.device)
    if clf is not None:
        size = clf.config.image_shape[-1]
        feats, probs = scoring.classifier_features(clf, scorer_view(dst_domain, fake, size))
        real_feats, _ = scoring.classifier_features(clf, scorer_view(dst_domain, data.domain(dst_side)[0], size))
        pred = probs.argmax(1)
        src_classes = data.classes if direction == "ab" else data.classes_b
        dst_classes = data.classes_b if direction == "ab" else data.classes
        if src_classes == dst_classes:
            out[f"label_preservation_{direction}"] = float((pred == y).float().mean())
        out[f"domain_score_{direction}"] = float(probs.max(1).values.mean())
        out[f"frechet_{direction}"] = scoring.frechet_distance(feats, real_feats)
        out[f"class_purity_{direction}"] = class_mapping_purity(y, pred, len(src_classes), len(dst_classes))
    return out


@torch.inference_mode()
def untranslated_label_preservation(data: PairData, direction: str, n: int = EVAL_IMAGES) -> float | None:
    """The floor a translation has to beat: the target domain's classifier naming the held-out source images as
    they are, untranslated (the identity map). None when the target has no classifier or other classes."""
    if data.classes != data.classes_b:
        return None
    x, y, _, dst_domain = _held_out_source(data, direction, n)
    clf = scorer_for(dst_domain, x.device)
    if clf is None:
        return None
    _, probs = scoring.classifier_features(clf, scorer_view(dst_domain, x, clf.config.image_shape[-1]))
    return float((probs.argmax(1) == y).float().mean())


def evaluate_pair(model: CycleGAN, config, data: PairData) -> dict[str, Any]:
    """Both directions' numbers (the kind's `evaluate`; `python -m genviz evaluate` prints them)."""
    was_training = model.training
    model.eval()
    out = {**direction_metrics(model, data, "ab"), **direction_metrics(model, data, "ba")}
    model.train(was_training)
    return out


def evaluate_checkpoint(ckpt, device) -> dict[str, Any]:
    """`python -m genviz evaluate` for a CycleGAN: its pair's held-out images, both directions."""
    return evaluate_model(ckpt.kind, ckpt.model, ckpt.config, load_pair(ckpt.config.pair, device))
