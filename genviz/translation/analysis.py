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


def number_table(metrics: dict[str, float], untranslated: dict[str, float | None] | None = None) -> list[dict[str, object]]:
    """Rows (number, A → B, B → A) of the recorded metrics that a checkpoint has; `untranslated` (per direction)
    adds the label preservation of the identity map under the model's own, the floor it has to beat."""
    rows = []
    for key, label in DIRECTION_NUMBERS:
        ab, ba = metrics.get(f"{key}_ab"), metrics.get(f"{key}_ba")
        if ab is not None or ba is not None:
            rows.append({"number": label, "A → B": ab, "B → A": ba})
        if key == "label_preservation" and untranslated and any(v is not None for v in untranslated.values()):
            rows.append({"number": "label preservation, untranslated images", "A → B": untranslated.get("ab"),
                         "B → A": untranslated.get("ba")})
    return rows


def floor_verdict(metrics: dict[str, float], untranslated: dict[str, float | None] | None) -> str:
    """Per direction, whether the translation keeps more labels than the untranslated images are given by the same
    target classifier (the floor), in one sentence each; "" when a direction lacks either number."""
    said = []
    for d, arrow in (("ab", "A → B"), ("ba", "B → A")):
        kept, floor = metrics.get(f"label_preservation_{d}"), (untranslated or {}).get(d)
        if kept is None or floor is None:
            continue
        gap = round(100 * (kept - floor))
        than = f"the {floor:.0%} the target classifier gives the untranslated images"
        said.append(f"{arrow}: the translations keep {kept:.0%} of the labels, " + (
            f"{gap} points above {than}: translating helps it read the digits." if gap > 0 else
            "as many as the untranslated images (the floor): translating neither helps nor hurts the target "
            "classifier here." if gap == 0 else
            f"{-gap} points below {than}: G redraws some digits as other classes, so translating loses labels "
            "that doing nothing keeps."))
    return " ".join(said)


def _label_pair(metrics: dict[str, float]) -> tuple[float, float] | None:
    ab, ba = metrics.get("label_preservation_ab"), metrics.get("label_preservation_ba")
    return None if ab is None or ba is None else (ab, ba)


def _evidence(attr: str, symbol: str, pair: tuple, claim_favours_high: bool, show_psnr: bool = False) -> str:
    """"Here it holds / does not show: …" for two (config, metrics) that differ in `attr` (λ or λ_id), from their
    label preservation (A → B / B → A, mean) and, with `show_psnr` where both have it, the PSNR against the true map. The model with
    the larger `attr` is named first; the claim holds when the model it favours keeps ≥ 10 points more labels."""
    (hi_cfg, hi), (lo_cfg, lo) = sorted(pair, key=lambda cm: getattr(cm[0], attr), reverse=True)
    hi_name, lo_name = (f"with {symbol} = {getattr(c, attr):g}{'·λ' if attr == 'identity_weight' else ''}"
                        for c in (hi_cfg, lo_cfg))
    (wa, wb), (oa, ob) = _label_pair(hi), _label_pair(lo)
    gain = (wa + wb) / 2 - (oa + ob) / 2  # positive: the model with the larger weight keeps more labels
    numbers = (f"label preservation A → B / B → A is {wa:.0%} / {wb:.0%} {hi_name} and {oa:.0%} / {ob:.0%} "
               f"{lo_name}")
    if show_psnr and hi.get("psnr_ab") is not None and lo.get("psnr_ab") is not None:
        numbers += f"; PSNR against the true map {hi['psnr_ab']:.1f} dB {hi_name}, {lo['psnr_ab']:.1f} dB {lo_name}"
    holds = gain >= 0.10 if claim_favours_high else gain <= -0.10
    if max(wa, wb, oa, ob) < 0.3:
        return (f"Here neither model learned the map ({numbers}; chance is 10%), so this pair does not show the "
                "point at its training budget.")
    return f"Here it {'holds' if holds else 'does not show (a difference under 10 points)'}: {numbers}."


def ablation_note(first, second, first_metrics: dict | None = None, second_metrics: dict | None = None) -> str:
    """What to look for when two CycleGANs of one pair differ (their configs): the cycle weight λ, the
    identity weight λ_id, or something else. With both models' recorded metrics, each point is followed by
    whether these two models show it, with their numbers."""
    notes = []
    pair = ((first, first_metrics or {}), (second, second_metrics or {}))
    measured = all(_label_pair(m) is not None for _, m in pair)
    if first.cycle_lambda != second.cycle_lambda:
        notes.append("Without the cycle loss (λ = 0) nothing ties G_AB(a) to a: translations may look like the "
                     "target domain and still lose the digit — compare the label preservation.")
        if measured:
            notes.append(_evidence("cycle_lambda", "λ", pair, claim_favours_high=True))
    if first.identity_weight != second.identity_weight:
        notes.append("The identity loss asks G_AB(b) = b. Where the true map is far from the identity (inverted "
                     "MNIST: the true G_AB is 1 − x), it pulls G the wrong way — compare the PSNR against the "
                     "true map and the label preservation of the model with λ_id = 0.")
        if measured:
            notes.append(_evidence("identity_weight", "λ_id", pair, claim_favours_high=False, show_psnr=True))
    return " ".join(notes) or "The two models differ in other settings than λ and λ_id (width, steps or seed)."
