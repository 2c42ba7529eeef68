"""How GANs train: alternating discriminator / generator updates; registers the GAN kinds.

One trainer step = one discriminator (critic) update on a real batch and a fake batch; the
generator is updated on every `n_critic`-th step, on the same fake batch pushed through the
updated D (as in pytorch/examples dcgan). Metrics per step: d_loss, g_loss, d_real = mean D(x),
d_fake = mean D(G(z)) (probabilities for the BCE kinds, raw critic scores for wgan-gp / sngan) and
g_grad_norm = ‖∇_θG L_G‖₂. The preview is G of a fixed noise batch, the same z at every record.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from genviz.core.config import check_range
from genviz.core.errors import CheckpointError, ConfigError, TrainingDiverged
from genviz.core.registry import KindSpec, ParamSpec, register
from genviz.core.scoring import SampleScores
from genviz.core.train import TrainParams, adam
from genviz.gans import objectives
from genviz.gans.models import GAN, GANConfig

BCE_KINDS = ("dcgan", "cgan", "acgan")
PREVIEW_SAMPLES = 40  # 4 rows of 10: column j is class j for the conditional kinds
COLLAPSE_LIMIT = 1e-3  # D(G(z)) (BCE kinds) or D loss (hinge) below this counts as "D has won"
COLLAPSE_PATIENCE = 200  # consecutive steps of that before training is stopped as collapsed


def set_requires_grad(module: nn.Module, flag: bool) -> None:
    for p in module.parameters():
        p.requires_grad_(flag)


def grad_norm(parameters) -> Tensor:
    """‖g‖₂ over all gradients of `parameters` (a detached scalar; 0 when none have a gradient)."""
    norms = [p.grad.detach().norm() for p in parameters if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack(norms)) if norms else torch.zeros(())


def discriminator_scores(config: GANConfig, logits: Tensor) -> Tensor:
    """What the metrics call D(·): σ(logit) for the BCE kinds, the raw critic value otherwise."""
    return logits.sigmoid() if config.kind in BCE_KINDS else logits


def preview_labels(config: GANConfig, n: int, device: torch.device) -> Tensor | None:
    """Labels 0, 1, …, K−1, 0, 1, … for a grid whose column j shows class j (None when unconditional)."""
    return torch.arange(n, device=device) % config.n_classes if config.conditional else None


class GANRecipe:
    """Alternating D/G updates with Adam; the losses follow `config.kind` (see genviz.autoencoders.losses)."""

    preview_caption = ("G(z) for one fixed noise batch — the same z at every step (for cGAN / AC-GAN, "
                       "column j is class j)")
    preview_nrow = 10

    def __init__(self, config: GANConfig, *, detect_collapse: bool = True):
        self.config = config
        self.detect_collapse = detect_collapse
        self._steps = 0
        self._collapsed_for = 0
        self._last_g: tuple[Tensor, Tensor] | None = None  # (g_loss, g_grad_norm) of the last G update

    def optimizers(self, model: GAN, params: TrainParams) -> dict[str, torch.optim.Optimizer]:
        check_range("A GAN's learning rate", params.lr, 1e-6, 1e-2)
        # Radford et al.: β1 = 0.5; Gulrajani et al. (WGAN-GP): β = (0, 0.9).
        betas = (0.0, 0.9) if self.config.kind == "wgan-gp" else (0.5, 0.999)
        return {"generator": adam(model.generator.parameters(), params.lr, betas),
                "discriminator": adam(model.discriminator.parameters(), params.lr, betas)}

    # --- the losses of one batch --------------------------------------------------------------------
    def discriminator_loss(self, model: GAN, x: Tensor, y: Tensor | None, fake: Tensor, fake_y: Tensor | None,
                           generator: torch.Generator) -> tuple[Tensor, dict[str, Tensor]]:
        cfg = self.config
        real = model.discriminate(x, y if cfg.kind == "cgan" else None)
        fake_out = model.discriminate(fake, fake_y if cfg.kind == "cgan" else None)
        parts: dict[str, Tensor] = {}
        if cfg.kind in BCE_KINDS:
            loss = objectives.gan_discriminator_loss(real.logit, fake_out.logit)
        elif cfg.kind == "wgan-gp":
            loss = objectives.wasserstein_critic_loss(real.logit, fake_out.logit)
            gp = objectives.gradient_penalty(lambda v: model.discriminate(v).logit, x, fake, cfg.gp_lambda, generator)
            parts["gradient_penalty"] = gp.detach()
            loss = loss + gp
        else:  # sngan
            loss = objectives.hinge_discriminator_loss(real.logit, fake_out.logit)
        if cfg.kind == "acgan":
            cls = objectives.auxiliary_class_loss(real.class_logits, y) + objectives.auxiliary_class_loss(fake_out.class_logits, fake_y)
            parts["class_loss"] = cls.detach()
            parts["real_class_accuracy"] = (real.class_logits.argmax(1) == y).float().mean().detach()
            loss = loss + cfg.aux_weight * cls
        parts["d_real"] = discriminator_scores(cfg, real.logit).mean().detach()
        parts["d_fake"] = discriminator_scores(cfg, fake_out.logit).mean().detach()
        return loss, parts

    def generator_loss(self, model: GAN, fake: Tensor, fake_y: Tensor | None) -> Tensor:
        cfg = self.config
        out = model.discriminate(fake, fake_y if cfg.kind == "cgan" else None)
        if cfg.kind in BCE_KINDS:
            loss = objectives.gan_generator_loss(out.logit, cfg.generator_loss)
        elif cfg.kind == "wgan-gp":
            loss = objectives.wasserstein_generator_loss(out.logit)
        else:
            loss = objectives.hinge_generator_loss(out.logit)
        if cfg.kind == "acgan":
            loss = loss + cfg.aux_weight * objectives.auxiliary_class_loss(out.class_logits, fake_y)
        return loss

    # --- one trainer step ---------------------------------------------------------------------------
    def step(self, model: GAN, optimizers, batch: tuple[Tensor, ...], generator: torch.Generator) -> dict[str, Tensor]:
        cfg = self.config
        x = batch[0]
        y = batch[1] if len(batch) > 1 else None
        if cfg.kind in ("cgan", "acgan") and y is None:
            raise ConfigError(f"A {cfg.kind} trains on labelled images; this dataset has no labels.")
        n = len(x)
        update_g = self._steps % cfg.n_critic == 0
        self._steps += 1
        fake_y = model.random_labels(n, generator) if cfg.conditional else None
        z = model.noise(n, generator)
        with torch.set_grad_enabled(update_g):
            fake = model.generate(z, fake_y)  # (B, C, H, W)

        opt_d = optimizers["discriminator"]
        d_loss, parts = self.discriminator_loss(model, x, y, fake.detach(), fake_y, generator)
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()

        if update_g:
            opt_g = optimizers["generator"]
            set_requires_grad(model.discriminator, False)  # G's step needs no D weight gradients
            try:
                g_loss = self.generator_loss(model, fake, fake_y)
                opt_g.zero_grad(set_to_none=True)
                g_loss.backward()
            finally:
                set_requires_grad(model.discriminator, True)
            norm = grad_norm(model.generator.parameters())
            opt_g.step()
            self._last_g = (g_loss.detach(), norm)
        g_loss_value, g_norm = self._last_g  # type: ignore[misc]
        if self.detect_collapse:
            self._check_collapse(d_loss.detach(), parts["d_fake"])
        return {"d_loss": d_loss.detach(), "g_loss": g_loss_value, **parts, "g_grad_norm": g_norm}

    def _check_collapse(self, d_loss: Tensor, d_fake: Tensor) -> None:
        """Stop a run whose D has won outright for COLLAPSE_PATIENCE steps (G gets no useful signal)."""
        if self.config.kind in BCE_KINDS:
            won = float(d_fake) < COLLAPSE_LIMIT
        elif self.config.kind == "sngan":
            won = float(d_loss) < COLLAPSE_LIMIT
        else:
            return
        self._collapsed_for = self._collapsed_for + 1 if won else 0
        if self._collapsed_for >= COLLAPSE_PATIENCE:
            what = ("D(G(z)) stayed below 0.001" if self.config.kind in BCE_KINDS
                    else "the discriminator's hinge loss stayed at 0")
            raise TrainingDiverged(
                f"Training collapsed at step {self._steps}: for {COLLAPSE_PATIENCE} steps in a row {what}, so the "
                "discriminator rejects every generated image and the generator learns nothing. Try the "
                "non-saturating generator loss, a smaller learning rate, or a narrower discriminator."
            )

    # --- held-out numbers and the progress picture --------------------------------------------------
    @torch.inference_mode()
    def evaluate(self, model: GAN, data: tuple[Tensor, ...], generator: torch.Generator) -> dict[str, float]:
        """D's view of ≤ 1,000 held-out real images and as many fresh fakes (no training)."""
        cfg = self.config
        x = data[0][:1000]
        y = data[1][: len(x)] if len(data) > 1 else None
        if cfg.conditional and y is None:
            return {}
        fake_y = model.random_labels(len(x), generator) if cfg.conditional else None
        fake = model.generate(model.noise(len(x), generator), fake_y)
        real = model.discriminate(x, y if cfg.kind == "cgan" else None)
        fake_out = model.discriminate(fake, fake_y if cfg.kind == "cgan" else None)
        if cfg.kind in BCE_KINDS:
            d_loss = objectives.gan_discriminator_loss(real.logit, fake_out.logit)
        elif cfg.kind == "wgan-gp":
            d_loss = objectives.wasserstein_critic_loss(real.logit, fake_out.logit)
        else:
            d_loss = objectives.hinge_discriminator_loss(real.logit, fake_out.logit)
        out = {"d_loss": float(d_loss), "d_real": float(discriminator_scores(cfg, real.logit).mean()),
               "d_fake": float(discriminator_scores(cfg, fake_out.logit).mean())}
        if cfg.kind == "acgan":
            out["class_accuracy"] = float((real.class_logits.argmax(1) == y).float().mean())
        return out

    @torch.inference_mode()
    def preview(self, model: GAN, data: tuple[Tensor, ...], generator: torch.Generator) -> Tensor:
        z = model.noise(PREVIEW_SAMPLES, generator)
        return model.generate(z, preview_labels(self.config, PREVIEW_SAMPLES, model.device)).float().cpu()


class GeneratorScores(NamedTuple):
    scores: SampleScores  # confidence, label_counts, classes_covered, frechet_distance
    label_agreement: float | None  # conditional kinds: share of samples classified as the class asked for


def generator_scores(model: GAN, data, n: int = 1000, seed: int = 0) -> GeneratorScores | None:
    """Score n samples (fixed seed; balanced labels for conditional kinds) with the dataset's shipped
    classifier against its test images; None when no classifier is shipped for this dataset."""
    from genviz.core.scoring import classifier_features, load_scorer, score_samples

    try:
        scorer = load_scorer(data.name, data.device)
    except CheckpointError:
        return None
    check_range("Number of samples to score", n, 10, 100_000)
    labels = preview_labels(model.config, n, model.device)
    was_training = model.training
    model.eval()
    samples = model.sample(n, torch.Generator().manual_seed(seed), labels)
    model.train(was_training)
    scores = score_samples(scorer, samples, data.x_test)
    agreement = None
    if labels is not None:
        _, probs = classifier_features(scorer, samples)
        agreement = float((probs.argmax(1) == labels).float().mean())
    return GeneratorScores(scores, agreement)


def sample_quality(model: GAN, config: GANConfig, data) -> dict[str, Any]:
    """`python -m genviz evaluate` numbers of 1,000 samples: Fréchet distance to the test set, mean
    classifier confidence, classes covered (and label agreement for cGAN / AC-GAN)."""
    result = generator_scores(model, data)
    if result is None:
        return {}
    out: dict[str, Any] = {"frechet_distance": result.scores.frechet_distance,
                           "sample_confidence": result.scores.confidence,
                           "classes_covered": result.scores.classes_covered}
    if result.label_agreement is not None:
        out["label_agreement"] = result.label_agreement
    return out


def _gan_config(kind: str):
    def make(image_shape, n_classes, **values) -> GANConfig:
        return GANConfig(kind=kind, image_shape=tuple(image_shape), n_classes=n_classes, **values)

    return make


_COMMON = (
    ParamSpec("latent_dim", "Noise size d (z ~ N(0, I))", "int", 64, 2, 128),
    ParamSpec("g_width", "Generator width", "int", 64, 8, 128,
              help="Conv: channels of G's last stage, doubling towards z. MLP (8×8 digits): hidden = 4 × width."),
    ParamSpec("d_width", "Discriminator width", "int", 32, 8, 128,
              help="Conv: channels of D's first stage, doubling with depth. MLP: hidden = 4 × width."),
    ParamSpec("body", "Network body", "choice", "auto", options=("auto", "conv", "mlp"),
              help="auto = MLP for images under 16 px (digits), DCGAN convolutions otherwise."),
)
_GEN_LOSS = ParamSpec("generator_loss", "Generator loss", "choice", "non-saturating",
                      options=("non-saturating", "saturating"),
                      help="saturating: minimise E[log(1 − D(G(z)))]; non-saturating: minimise E[−log D(G(z))].")
_N_CRITIC = ParamSpec("n_critic", "D steps per G step (n_critic)", "int", 1, 1, 10)
_TRAIN = {"epochs": 40, "batch_size": 64, "lr": 5e-4}

for _kind, _title, _extra, _desc, _train in (
    ("dcgan", "DCGAN", (_GEN_LOSS, _N_CRITIC),
     "G: ConvTranspose2d + BatchNorm + ReLU; D: strided convs + LeakyReLU. "
     "L_D = E[−log D(x)] + E[−log(1 − D(G(z)))].", {}),
    ("cgan", "Conditional GAN", (_GEN_LOSS, _N_CRITIC),
     "The class label y goes into both G(z, y) and D(x, y), so you choose which digit to draw.", {}),
    ("acgan", "AC-GAN", (_GEN_LOSS, _N_CRITIC,
                         ParamSpec("aux_weight", "Class-loss weight", "float", 1.0, 0.1, 5.0)),
     "G(z, y); D(x) says real/fake and also classifies x; both minimise the class loss.", {}),
    ("wgan-gp", "WGAN-GP", (ParamSpec("n_critic", "Critic steps per G step (n_critic)", "int", 5, 1, 10),
                            ParamSpec("gp_lambda", "Gradient penalty λ", "float", 10.0, 0.0, 50.0)),
     "A critic C estimates the Wasserstein distance; λ E[(‖∇C(x̂)‖ − 1)²] keeps it 1-Lipschitz.",
     {"lr": 2e-4}),
    ("sngan", "SN-GAN", (_N_CRITIC,),
     "Spectral normalisation on every D layer (σ(W) = 1) with the hinge loss.", {}),
):
    register(KindSpec(
        kind=_kind, family="gan", title=_title, config_cls=GANConfig, build=GAN, recipe=GANRecipe,
        make_config=_gan_config(_kind), params=_COMMON + _extra, description=_desc,
        default_train={**_TRAIN, **_train}, evaluate=sample_quality,
    ))
