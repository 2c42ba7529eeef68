"""What the CycleGAN page shows, computed without Streamlit: round-trip grids and the steganography probe."""
from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from genviz.translation.metrics import STEGO_STD
from genviz.translation.models import CycleGAN
from genviz.translation.pairs import PairData, check_images

# What the page shows per direction, in order: (metric key prefix, label)
DIRECTION_NUMBERS = (
    ("label_preservation", "label preservation"), ("cycle_l1", "cycle L1"), ("domain_score", "domain score"),
    ("frechet", "Fréchet distance to target"), ("psnr", "PSNR vs true map (dB)"),
    ("class_purity", "class-mapping purity"), ("stego_cycle_l1", "cycle L1 after ±2/255 noise"),
)


def test_images(data: PairData, side: str, n: int, seed: int) -> tuple[Tensor, Tensor]:
    """`n` held-out images (and labels) of domain "a" or "b", the same ones for the same seed."""
    x, y = data.domain(side)
    idx = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:n].to(x.device)
    return x[idx], y[idx]


@torch.inference_mode()
def round_trip(model: CycleGAN, x: Tensor, direction: str) -> list[Tensor]:
    """[x, G(x), F(G(x))] for "ab" (G = G_AB, F = G_BA) or "ba" (the other way): rows of a grid."""
    check_images(x, model.config.image_shape)
    forward = model.g_ab if direction == "ab" else model.g_ba
    back = model.g_ba if direction == "ab" else model.g_ab
    fake = forward(x).clamp(0, 1)
    return [x, fake, back(fake).clamp(0, 1)]


class StegoProbe(NamedTuple):
    clean_l1: float  # mean |F(G(x)) − x|
    noisy_l1: float  # mean |F(G(x) + ε) − x|, ε ~ N(0, std²)
    rows: list[Tensor]  # x, G(x), F(G(x)), F(G(x) + ε), 5·|difference of the two reconstructions|


@torch.inference_mode()
def stego_probe(model: CycleGAN, x: Tensor, direction: str = "ab", std: float = STEGO_STD, seed: int = 0) -> StegoProbe:
    """Chu et al. (2017): add faint noise to the translation and see how much the reconstruction changes."""
    x_, fake, rec = round_trip(model, x, direction)
    back = model.g_ba if direction == "ab" else model.g_ab
    noise = std * torch.randn(fake.shape, generator=torch.Generator().manual_seed(seed)).to(fake.device)
    rec_noisy = back((fake + noise).clamp(0, 1)).clamp(0, 1)
    return StegoProbe(float((rec - x).abs().mean()), float((rec_noisy - x).abs().mean()),
                      [x, fake, rec, rec_noisy, (5 * (rec_noisy - rec).abs()).clamp(0, 1)])


def number_table(metrics: dict[str, float]) -> list[dict[str, object]]:
    """Rows (number, A → B, B → A) of the recorded metrics that a checkpoint has."""
    rows = []
    for key, label in DIRECTION_NUMBERS:
        ab, ba = metrics.get(f"{key}_ab"), metrics.get(f"{key}_ba")
        if ab is not None or ba is not None:
            rows.append({"number": label, "A → B": ab, "B → A": ba})
    return rows


def ablation_note(first, second) -> str:
    """What to look for when two CycleGANs of one pair differ (their configs): the cycle weight λ, the
    identity weight λ_id, or something else."""
    notes = []
    if first.cycle_lambda != second.cycle_lambda:
        notes.append("Without the cycle loss (λ = 0) nothing ties G_AB(a) to a: translations may look like the "
                     "target domain and still lose the digit — compare the label preservation.")
    if first.identity_weight != second.identity_weight:
        notes.append("The identity loss asks G_AB(b) = b. Where the true map is far from the identity (inverted "
                     "MNIST: the true G_AB is 1 − x), it pulls G the wrong way — compare the PSNR against the "
                     "true map and the label preservation of the model with λ_id = 0.")
    return " ".join(notes) or "The two models differ in other settings than λ and λ_id (width, steps or seed)."
