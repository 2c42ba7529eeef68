"""How a CycleGAN trains (Zhu et al. 2017, §3–4 and the reference code); registers kind `cyclegan`.

One step on a batch of A images and an unrelated batch of B images:
  G step: L_G = L_LSGAN(D_B(G_AB(a)), 1) + L_LSGAN(D_A(G_BA(b)), 1)
              + λ (‖G_BA(G_AB(a)) − a‖₁ + ‖G_AB(G_BA(b)) − b‖₁)            cycle consistency
              + λ_id·λ (‖G_AB(b) − b‖₁ + ‖G_BA(a) − a‖₁)                     identity
  D step: L_D = ½ [L_LSGAN(D(real), 1) + L_LSGAN(D(pool(fake)), 0)] for D_A and D_B, the fakes drawn
          from a pool of the last `pool_size` translations (Shrivastava et al. 2017) half of the time.
L1 terms are taken on the [−1, 1] scale of the reference code (2× the [0, 1] distance), so λ = 10 weighs
as it does there. Adam 2e-4, β₁ = 0.5; the learning rate decays linearly to 0 over the run's last part.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from genviz.core.errors import ConfigError
from genviz.core.optim import adam
from genviz.core.registry import KindSpec, ParamSpec, register
from genviz.core.train import RunState, TrainParams
from genviz.translation import metrics
from genviz.translation.models import D_AUGMENTS, CycleGAN, CycleGANConfig, translate_batch
from genviz.translation.pairs import PAIRS, load_pair, pair

PREVIEW_COLUMNS = 8


def lsgan_loss(scores: Tensor, real: bool) -> Tensor:
    """Least-squares GAN loss (Mao et al. 2017): mean (D(x) − t)², t = 1 for real, 0 for fake."""
    return F.mse_loss(scores, torch.full_like(scores, 1.0 if real else 0.0))


def cycle_loss(rec: Tensor, x: Tensor) -> Tensor:
    """‖rec − x‖₁ (mean) on the [−1, 1] scale: twice the distance between [0, 1] images."""
    return 2 * (rec - x).abs().mean()


def pool_query(pool: Tensor | None, images: Tensor, size: int, generator: torch.Generator
               ) -> tuple[Tensor | None, Tensor]:
    """The image pool of the reference code: returns (new pool, images for D).

    While the pool has room, each new image goes in and is shown as is. Once full, each image is, with
    probability ½, swapped for a random stored one (D sees an older fake, the new one is stored), else
    shown as is. `size` 0 turns the pool off.
    """
    images = images.detach()
    if size <= 0:
        return pool, images
    out = images.clone()
    stored = 0 if pool is None else len(pool)
    room = max(0, min(size - stored, len(images)))
    if room:
        pool = images[:room].clone() if pool is None else torch.cat([pool, images[:room]])
    rest = torch.arange(room, len(images), device=images.device)
    if len(rest) and pool is not None:
        swap = torch.rand(len(rest), generator=generator, device=images.device) < 0.5
        slots = torch.randint(len(pool), (len(rest),), generator=generator, device=images.device)
        rows, slots = rest[swap], slots[swap]
        out[rows] = pool[slots]
        pool[slots] = images[rows]
    return pool, out


def decay_factor(step: int, total: int, start: float) -> float:
    """1 until `start`·total steps, then linearly down to 0 at the last step (the reference's 'linear' policy)."""
    begin = start * total
    if total <= 0 or step < begin:
        return 1.0
    return max(0.0, (total - step) / max(1.0, total - begin))


def set_requires_grad(params: list[torch.nn.Parameter], flag: bool) -> None:
    for p in params:
        p.requires_grad_(flag)


def unpack(x: Tensor) -> tuple[Tensor, Tensor]:
    """A packed pair batch (B, 2C, H, W) → (a, b), each (B, C, H, W)."""
    c = x.shape[1] // 2
    return x[:, :c], x[:, c:]


class CycleGANRecipe:
    preview_caption = ("Rows: A test images, G_AB(A), G_BA(G_AB(A)); then B test images, G_BA(B), G_AB(G_BA(B)) "
                       "— the same images at every step")
    preview_nrow = PREVIEW_COLUMNS

    def __init__(self, config: CycleGANConfig):
        self.config = config

    def optimizers(self, model: CycleGAN, params: TrainParams) -> dict[str, torch.optim.Optimizer]:
        return {"generators": adam(model.generators(), params.lr, (0.5, 0.999)),
                "discriminators": adam(model.discriminators(), params.lr, (0.5, 0.999))}

    def _schedule(self, optimizers: dict[str, torch.optim.Optimizer], run: RunState) -> float:
        factor = decay_factor(run.step, run.total_steps, self.config.decay_start)
        for opt in optimizers.values():
            for group in opt.param_groups:
                group.setdefault("initial_lr", group["lr"])
                group["lr"] = group["initial_lr"] * factor
        return factor

    def seen_by_d(self, x: Tensor, generator: torch.Generator) -> Tensor:
        """What a discriminator is shown of `x`: `x` itself, or (d_augment) a random shift of it, for real and
        translated images alike, in G's step and D's."""
        return translate_batch(x, generator) if self.config.d_augment == "translation" else x

    def generator_loss(self, model: CycleGAN, a: Tensor, b: Tensor, generator: torch.Generator
                       ) -> tuple[Tensor, dict[str, Tensor], Tensor, Tensor]:
        cfg = self.config
        out = model(a, b)
        adv_ab = lsgan_loss(model.d_b(self.seen_by_d(out.fake_b, generator)), True)
        adv_ba = lsgan_loss(model.d_a(self.seen_by_d(out.fake_a, generator)), True)
        cyc_a, cyc_b = cycle_loss(out.rec_a, a), cycle_loss(out.rec_b, b)
        loss = adv_ab + adv_ba + cfg.cycle_lambda * (cyc_a + cyc_b)
        parts = {"g_adv_ab": adv_ab.detach(), "g_adv_ba": adv_ba.detach(),
                 "cycle_l1_ab": cyc_a.detach() / 2, "cycle_l1_ba": cyc_b.detach() / 2}
        if cfg.identity_lambda > 0:
            idt = cycle_loss(model.g_ab(b), b) + cycle_loss(model.g_ba(a), a)
            loss = loss + cfg.identity_lambda * idt
            parts["identity_l1"] = idt.detach() / 4
        return loss, parts, out.fake_b, out.fake_a

    def step(self, model: CycleGAN, optimizers, batch: tuple[Tensor, ...], generator: torch.Generator,
             run: RunState) -> dict[str, Tensor]:
        a, b = unpack(batch[0])
        b = b[torch.randperm(len(b), generator=generator, device=b.device)]  # no fixed A–B row pairs
        factor = self._schedule(optimizers, run)
        d_params = model.discriminators()
        set_requires_grad(d_params, False)  # G's step needs no D weight gradients
        try:
            g_loss, parts, fake_b, fake_a = self.generator_loss(model, a, b, generator)
            opt_g = optimizers["generators"]
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
        finally:
            set_requires_grad(d_params, True)
        size = self.config.pool_size
        pool_b, shown_b = pool_query(run.values.get("pool_b"), fake_b, size, generator)
        pool_a, shown_a = pool_query(run.values.get("pool_a"), fake_a, size, generator)
        run.values.update(pool_a=pool_a, pool_b=pool_b)
        seen = self.seen_by_d
        d_b = 0.5 * (lsgan_loss(model.d_b(seen(b, generator)), True) + lsgan_loss(model.d_b(seen(shown_b, generator)), False))
        d_a = 0.5 * (lsgan_loss(model.d_a(seen(a, generator)), True) + lsgan_loss(model.d_a(seen(shown_a, generator)), False))
        opt_d = optimizers["discriminators"]
        opt_d.zero_grad(set_to_none=True)
        (d_a + d_b).backward()
        opt_d.step()
        return {"g_loss": g_loss.detach(), **parts, "d_a_loss": d_a.detach(), "d_b_loss": d_b.detach(),
                "lr_factor": torch.tensor(factor)}

    @torch.inference_mode()
    def evaluate(self, model: CycleGAN, data: tuple[Tensor, ...], generator: torch.Generator) -> dict[str, float]:
        """Cycle L1 each way and the discriminators' mean scores on ≤ 1,000 held-out images of each domain."""
        a, b = unpack(data[0][:1000])
        out = model(a, b)
        return {"cycle_l1_ab": float((out.rec_a - a).abs().mean()), "cycle_l1_ba": float((out.rec_b - b).abs().mean()),
                "d_b_fake": float(model.d_b(out.fake_b).mean()), "d_a_fake": float(model.d_a(out.fake_a).mean())}

    @torch.inference_mode()
    def preview(self, model: CycleGAN, data: tuple[Tensor, ...], generator: torch.Generator) -> Tensor:
        a, b = unpack(data[0][:PREVIEW_COLUMNS])
        out = model(a, b)
        return torch.cat([a, out.fake_b, out.rec_a, b, out.fake_a, out.rec_b]).clamp(0, 1).float().cpu()


def make_config(image_shape, n_classes, **values: Any) -> CycleGANConfig:
    """The pair decides the image size; the trainer's packed (2C, H, W) shape must agree with it."""
    spec = pair(values.get("pair", CycleGANConfig.pair))
    if tuple(image_shape) not in (spec.image_shape, (2 * spec.image_shape[0], *spec.image_shape[1:])):
        raise ConfigError(f"The pair '{spec.name}' has {spec.size}×{spec.size} images; these data are "
                          f"{'×'.join(str(s) for s in image_shape[1:])}.")
    return CycleGANConfig(image_shape=spec.image_shape, **values)


def data_for(values: dict[str, Any], device) -> Any:
    """The training data of a CycleGAN: its pair's two domains (not the sidebar's dataset)."""
    return load_pair(values.get("pair", CycleGANConfig.pair), device)


register(KindSpec(
    kind="cyclegan", family="translation", title="CycleGAN (unpaired translation)", config_cls=CycleGANConfig,
    build=CycleGAN, recipe=CycleGANRecipe, make_config=make_config,
    params=(
        ParamSpec("pair", "Domain pair (A ↔ B)", "choice", "mnist-digits", options=tuple(PAIRS),
                  help="; ".join(f"{p.name}: {p.title}" for p in PAIRS.values())),
        ParamSpec("cycle_lambda", "Cycle-consistency weight λ", "float", 10.0,
                  help="λ (‖G_BA(G_AB(a)) − a‖₁ + ‖G_AB(G_BA(b)) − b‖₁); 0 = no cycle loss."),
        ParamSpec("identity_weight", "Identity weight λ_id (× λ)", "float", 0.5,
                  help="λ_id·λ (‖G_AB(b) − b‖₁ + ‖G_BA(a) − a‖₁); the paper's 0.5; 0 = no identity loss."),
        ParamSpec("g_width", "Generator width", "int", 16),
        ParamSpec("res_blocks", "Residual blocks", "int", 3),
        ParamSpec("d_width", "Discriminator width", "int", 16),
        ParamSpec("pool_size", "Image pool size", "int", 50),
        ParamSpec("d_augment", "What D sees", "choice", "none", options=D_AUGMENTS,
                  help="translation: every image D judges, real or translated, is shifted by up to 1/8 of its side "
                       "(DiffAugment, Zhao et al. 2020), so a D that has seen few target images cannot memorise them."),
    ),
    description="Two generators G_AB, G_BA and two PatchGAN discriminators on unpaired images; least-squares "
                "GAN loss, cycle consistency λ‖F(G(a)) − a‖₁ and identity loss.",
    default_train={"epochs": 1, "batch_size": 32, "lr": 2e-4, "precision": "fp32"},
    evaluate=metrics.evaluate_pair, evaluate_checkpoint=metrics.evaluate_checkpoint, load_data=data_for,
))
