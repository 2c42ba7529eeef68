"""How GANs train: alternating discriminator / generator updates; registers the GAN kinds.

One trainer step = one discriminator (critic) update on a real batch and a fake batch; the
generator is updated on every `n_critic`-th step, on the same fake batch pushed through the
updated D (as in pytorch/examples dcgan). Metrics per step: d_loss, g_loss, d_real = mean D(x),
d_fake = mean D(G(z)) (probabilities for the BCE objectives, raw scores otherwise) and
g_grad_norm = ‖∇_θG L_G‖₂. The preview is G of a fixed noise batch, the same z at every record.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from genviz.core.config import check_range
from genviz.core.errors import CheckpointError, ConfigError, TrainingDiverged
from genviz.core.optim import adam
from genviz.core.registry import KindSpec, ParamSpec, register
from genviz.core.scoring import (
    SampleScores,
    classifier_features,
    frechet_distance,
    load_scorer,
    precision_recall,
    score_samples,
)
from genviz.core.train import RunState, TrainParams
from genviz.gans import objectives
from genviz.gans.models import (
    ADAM_BETAS,
    CONDITIONINGS,
    D_NORMS,
    G_CONDITIONINGS,
    GAN,
    PRESETS,
    GANConfig,
    orthogonal_penalty,
)
from genviz.gans.objectives import OBJECTIVES
from genviz.gans.stylegan import STYLE_BLOCKS, STYLE_OUTPUTS, style_numbers

PREVIEW_SAMPLES = 40  # 4 rows of 10: column j is class j for the conditional GANs
COLLAPSE_PATIENCE = 200  # consecutive steps of "D has won" (see Objective.collapsed) before training stops


def set_requires_grad(module: nn.Module, flag: bool) -> None:
    for p in module.parameters():
        p.requires_grad_(flag)


def grad_norm(parameters) -> Tensor:
    """‖g‖₂ over all gradients of `parameters` (a detached scalar; 0 when none have a gradient)."""
    norms = [p.grad.detach().norm() for p in parameters if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack(norms)) if norms else torch.zeros(())


def discriminator_scores(config: GANConfig, logits: Tensor) -> Tensor:
    """What the metrics call D(·): σ(logit) for the BCE objectives, the raw critic value otherwise."""
    return objectives.objective(config.objective).score(logits)


def preview_labels(config: GANConfig, n: int, device: torch.device) -> Tensor | None:
    """Labels 0, 1, …, K−1, 0, 1, … for a grid whose column j shows class j (None when unconditional)."""
    return torch.arange(n, device=device) % config.n_classes if config.conditional else None


class GANRecipe:
    """Alternating D/G updates with Adam; losses, scores and betas come from the config's objective
    (genviz.gans.objectives), the class terms from its conditioning."""

    preview_caption = ("G(z) for one fixed noise batch — the same z at every step (for class-conditional "
                       "GANs, column j is class j)")
    preview_nrow = 10

    def __init__(self, config: GANConfig, *, detect_collapse: bool = True):
        self.config = config
        self.objective = objectives.objective(config.objective)
        self.detect_collapse = detect_collapse

    def optimizers(self, model: GAN, params: TrainParams) -> dict[str, torch.optim.Optimizer]:
        check_range("A GAN's learning rate", params.lr, 1e-6, 1e-2)
        betas = ADAM_BETAS[self.config.adam_betas] or self.objective.betas  # by default as each objective's paper
        return {"generator": adam(model.generator.parameters(), params.lr * self.config.g_lr_mul, betas),
                "discriminator": adam(model.discriminator.parameters(), params.lr * self.config.d_lr_scale, betas)}

    def _d_labels(self, labels: Tensor | None) -> Tensor | None:
        return labels if self.config.d_takes_labels else None

    # --- the losses of one batch --------------------------------------------------------------------
    def discriminator_loss(self, model: GAN, x: Tensor, y: Tensor | None, fake: Tensor, fake_y: Tensor | None,
                           generator: torch.Generator | None, *, penalty: bool = True,
                           r1_weight: float = 1.0) -> tuple[Tensor, dict[str, Tensor]]:
        """D's loss on a real and a fake batch and its parts (detached). `penalty=False` leaves out the
        gradient penalty (held-out evaluation runs without gradients); `r1_weight` multiplies γ (0: no R1 on this
        step, k: the lazy R1 of every k-th step)."""
        cfg, obj = self.config, self.objective
        r1 = cfg.r1_gamma > 0 and penalty and r1_weight > 0
        if r1 and not x.requires_grad:  # (adversarial D steps pass x + δ, which already carries a graph)
            x = x.detach().requires_grad_(True)
        real = model.discriminate(x, self._d_labels(y))
        fake_out = model.discriminate(fake, self._d_labels(fake_y))
        loss = obj.d_loss(real.logit, fake_out.logit)
        parts: dict[str, Tensor] = {}
        if obj.gradient_penalty and penalty:
            gp = objectives.gradient_penalty(lambda v: model.discriminate(v, self._d_labels(y)).logit, x, fake,
                                             cfg.gp_lambda, generator)
            parts["gradient_penalty"] = gp.detach()
            loss = loss + gp
        if r1:
            r1_term = objectives.r1_penalty(real.logit, x, cfg.r1_gamma * r1_weight)
            parts["r1_penalty"] = r1_term.detach()
            loss = loss + r1_term
        if real.class_logits is not None:  # auxiliary classifier: D also names the class
            cls = (objectives.auxiliary_class_loss(real.class_logits, y)
                   + objectives.auxiliary_class_loss(fake_out.class_logits, fake_y))
            parts["class_loss"] = cls.detach()
            parts["real_class_accuracy"] = (real.class_logits.argmax(1) == y).float().mean().detach()
            loss = loss + cfg.aux_weight * cls
        parts["d_real"] = obj.score(real.logit).mean().detach()
        parts["d_fake"] = obj.score(fake_out.logit).mean().detach()
        return loss, parts

    def generator_loss(self, model: GAN, fake: Tensor, fake_y: Tensor | None) -> Tensor:
        out = model.discriminate(fake, self._d_labels(fake_y))
        loss = self.objective.g_loss(out.logit)
        if out.class_logits is not None:
            loss = loss + self.config.aux_weight * objectives.auxiliary_class_loss(out.class_logits, fake_y)
        if self.config.ortho_reg > 0:
            loss = loss + self.config.ortho_reg * orthogonal_penalty(model.generator)
        return loss

    # --- one trainer step ---------------------------------------------------------------------------
    def step(self, model: GAN, optimizers, batch: tuple[Tensor, ...], generator: torch.Generator,
             run: RunState) -> dict[str, Tensor]:
        cfg = self.config
        x = batch[0]
        y = batch[1] if len(batch) > 1 else None
        if cfg.conditional and y is None:
            raise ConfigError("A class-conditional GAN trains on labelled images; this dataset has no labels.")
        n = len(x)
        update_g = run.step % cfg.n_critic == 0
        fake_y = model.random_labels(n, generator) if cfg.conditional else None
        z = model.noise(n, generator)
        with torch.set_grad_enabled(update_g):
            fake = model.generate(z, fake_y, generator)  # (B, C, H, W); a style G draws its noise and mixing here

        opt_d = optimizers["discriminator"]
        r1_weight = float(cfg.r1_every) if run.step % cfg.r1_every == 0 else 0.0  # lazy R1: every k-th step, ×k
        if cfg.adv_eps > 0:
            d_loss, parts = self._adversarial_d_steps(model, opt_d, x, y, fake.detach(), fake_y, generator, run,
                                                      r1_weight)
        else:
            d_loss, parts = self.discriminator_loss(model, x, y, fake.detach(), fake_y, generator, r1_weight=r1_weight)
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
            model.update_ema()
            run.values["last_g"] = (g_loss.detach(), norm)
        g_loss_value, g_norm = run.values["last_g"]
        if self.detect_collapse:
            self._check_collapse(run, d_loss.detach(), parts["d_fake"])
        return {"d_loss": d_loss.detach(), "g_loss": g_loss_value, **parts, "g_grad_norm": g_norm}

    def _adversarial_d_steps(self, model: GAN, opt_d, x: Tensor, y: Tensor | None, fake: Tensor,
                             fake_y: Tensor | None, generator: torch.Generator, run: RunState, r1_weight: float = 1.0):
        """"Free" adversarial training of D (Shafahi et al. 2019 as used by Zhong et al. 2020): `adv_replays`
        D updates on this batch, each one backward pass that gives both D's weight gradient and the input
        gradient; the perturbation δ of the real and of the fake images takes a signed step τ = ε up D's
        loss after each, stays within ±ε, and is kept for the next batch (the "free" part)."""
        eps = self.config.adv_eps / 2  # ε is stated on [−1, 1] images; ours live in [0, 1]
        both = torch.cat([x, fake])
        delta = run.values.get("adv_delta")
        if delta is None or delta.shape != both.shape:
            delta = torch.zeros_like(both)
        n = len(x)
        for _ in range(self.config.adv_replays):
            delta.requires_grad_(True)
            shaken = (both + delta).clamp(0, 1)
            d_loss, parts = self.discriminator_loss(model, shaken[:n], y, shaken[n:], fake_y, generator,
                                                    r1_weight=r1_weight)
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            with torch.no_grad():
                delta = (delta + eps * delta.grad.sign()).clamp_(-eps, eps)
        run.values["adv_delta"] = delta.detach()
        return d_loss, parts

    def _check_collapse(self, run: RunState, d_loss: Tensor, d_fake: Tensor) -> None:
        """Stop a run whose D has won outright for COLLAPSE_PATIENCE steps (G gets no useful signal)."""
        if not self.objective.collapse_on:
            return
        won = self.objective.collapsed(float(d_loss), float(d_fake))
        run.values["collapsed_for"] = run.values.get("collapsed_for", 0) + 1 if won else 0
        if run.values["collapsed_for"] >= COLLAPSE_PATIENCE:
            raise TrainingDiverged(
                f"Training collapsed at step {run.step + 1}: for {COLLAPSE_PATIENCE} steps in a row "
                f"{self.objective.collapse_text}, so the discriminator rejects every generated image and the "
                "generator learns nothing. Try the non-saturating generator loss, a smaller learning rate, or a "
                "narrower discriminator."
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
        real = model.discriminate(x, self._d_labels(y))
        fake_out = model.discriminate(fake, self._d_labels(fake_y))
        obj = self.objective
        out = {"d_loss": float(obj.d_loss(real.logit, fake_out.logit)),
               "d_real": float(obj.score(real.logit).mean()), "d_fake": float(obj.score(fake_out.logit).mean())}
        if real.class_logits is not None:
            out["class_accuracy"] = float((real.class_logits.argmax(1) == y).float().mean())
        return out

    @torch.inference_mode()
    def preview(self, model: GAN, data: tuple[Tensor, ...], generator: torch.Generator) -> Tensor:
        z = model.noise(PREVIEW_SAMPLES, generator)  # drawn by the sampler (the EMA generator when kept)
        return model.decode_noise(z, preview_labels(self.config, PREVIEW_SAMPLES, model.device)).float().cpu()


class GeneratorScores(NamedTuple):
    scores: SampleScores  # confidence, label_counts, classes_covered, frechet_distance
    label_agreement: float | None  # conditional kinds: share of samples classified as the class asked for

    def as_metrics(self) -> dict[str, Any]:
        """The numbers `evaluate` reports and checkpoints store (label agreement only when conditional)."""
        out: dict[str, Any] = {"frechet_distance": self.scores.frechet_distance,
                               "sample_confidence": self.scores.confidence,
                               "classes_covered": self.scores.classes_covered}
        if self.label_agreement is not None:
            out["label_agreement"] = self.label_agreement
        return out


def generator_scores(model: GAN, data, n: int = 1000, seed: int = 0, psi: float | None = None) -> GeneratorScores | None:
    """Score n samples (fixed seed; balanced labels for conditional kinds) with the dataset's shipped
    classifier against its test images; None when no classifier is shipped for this dataset."""
    try:
        scorer = load_scorer(data.name, data.device)
    except CheckpointError:
        return None
    check_range("Number of samples to score", n, 10, 100_000)
    labels = preview_labels(model.config, n, model.device)
    was_training = model.training
    model.eval()
    samples = model.sample(n, torch.Generator().manual_seed(seed), labels, psi=psi)
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
    return result.as_metrics() if result is not None else {}


TRUNCATION_PSIS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)


def truncation_curve(model: GAN, data, psis: tuple[float, ...] = TRUNCATION_PSIS, n: int = 1000,
                     seed: int = 0) -> list[dict[str, float]] | None:
    """For each truncation ψ: Fréchet distance to the test set, mean classifier confidence, and precision /
    recall in classifier features (k-NN manifolds, k = 3) of n samples drawn with the same seed (balanced
    labels for conditional GANs, whose label agreement is added). None without a shipped classifier."""
    try:
        scorer = load_scorer(data.name, data.device)
    except CheckpointError:
        return None
    check_range("Number of samples per ψ", n, 50, 20_000)
    real_all = classifier_features(scorer, data.x_test)[0]
    real = real_all[torch.randperm(len(real_all), generator=torch.Generator().manual_seed(seed))[:n].to(real_all.device)]
    labels = preview_labels(model.config, n, model.device)
    was_training = model.training
    model.eval()
    points = []
    for psi in psis:
        samples = model.sample(n, torch.Generator().manual_seed(seed), labels, psi=psi)
        feats, probs = classifier_features(scorer, samples)
        precision, recall = precision_recall(real, feats)
        point = {"psi": float(psi), "frechet_distance": frechet_distance(feats, real_all),
                 "confidence": float(probs.max(1).values.mean()), "precision": precision, "recall": recall}
        if labels is not None:
            point["label_agreement"] = float((probs.argmax(1) == labels).float().mean())
        points.append(point)
    model.train(was_training)
    return points


def truncation_trend(curve: list[dict[str, float]]) -> dict[str, float]:
    """Spearman ρ of each number against ψ: the truncation claim is ρ < 0 for confidence and precision
    (they rise as ψ falls) and ρ > 0 for recall."""
    from scipy.stats import spearmanr  # here: scipy.stats costs ~0.5 s to import, and only this needs it

    psis = [p["psi"] for p in curve]

    def rho(values: list[float]) -> float:
        # A number that does not change with ψ (e.g. precision 0 at every ψ of an untrained G) has no trend: ρ = 0,
        # where scipy would warn and give NaN.
        return 0.0 if len(set(values)) < 2 else float(spearmanr(psis, values).statistic)

    return {f"truncation_rho_{k}": rho([p[k] for p in curve]) for k in ("confidence", "precision", "recall", "frechet_distance")}


def quality_with_truncation(model: GAN, config: GANConfig, data) -> dict[str, Any]:
    """`sample_quality` plus the truncation curve and its trends (BigGAN's evaluate)."""
    out = sample_quality(model, config, data)
    curve = truncation_curve(model, data)
    if curve is not None:
        out["truncation_curve"] = curve
        out.update(truncation_trend(curve))
    return out


def _gan_config(kind: str):
    def make(image_shape, n_classes, **values) -> GANConfig:
        return GANConfig(kind=kind, image_shape=tuple(image_shape), n_classes=n_classes, **values)

    return make


# Extra strided D stages per kind (GANConfig.d_extra_stages; 0 elsewhere): at equal wall clock on MNIST they took the
# unconditional GANs and BigGAN from blurred, class-mixed digits to clean ones (BENCHMARKS.md, gan_screen).
D_EXTRA_STAGES = {"dcgan": 2, "sngan": 1, "wgan-gp": 2, "biggan": 1, "stylegan": 2}
# StyleGAN regularises D with R1 instead of spectral norm (Karras et al. 2019); γ for [0, 1] images, from the screen
R1_GAMMA = {"stylegan": 0.1}
# StyleGAN2's lazy R1 (every 16th D step) and StyleGAN's minibatch-stddev map in D (groups of 4): the StyleGAN
# screens (BENCHMARKS.md, StyleGAN) chose both
R1_EVERY = {"stylegan": 16}
D_MBSTD = {"stylegan": 4}
# Kinds whose shipped MNIST recipe samples from an EMA of G, and its decay
EMA_DECAY = {"sngan": 0.999, "biggan": 0.999, "stylegan": 0.999}
ADAM_BETAS_DEFAULT = {"stylegan": "0, 0.99"}  # the paper's; the others train with their objective's (its paper's)
STYLE_OUTPUT_DEFAULT = "skip"  # the shipped MNIST recipe (BENCHMARKS.md, StyleGAN: third screen)


def _common(kind: str) -> tuple[ParamSpec, ...]:
    return (
        ParamSpec("latent_dim", "Noise size d (z ~ N(0, I))", "int", 64),
        ParamSpec("g_width", "Generator width", "int", 64,
                  help="Conv: channels of G's last stage, doubling towards z. MLP (8×8 digits): hidden = 4 × width."),
        ParamSpec("d_width", "Discriminator width", "int", 32,
                  help="Conv: channels of D's first stage, doubling with depth. MLP: hidden = 4 × width."),
        ParamSpec("d_extra_stages", "Extra discriminator stages", "int", D_EXTRA_STAGES.get(kind, 0),
                  help="Conv D only: strided 4×4 stages after 28 → 14 → 7 (7 → 3 → 1 with two), so D judges the "
                       "whole digit through non-linear layers before its linear score. MLP bodies ignore it."),
        ParamSpec("d_mbstd", "Minibatch-stddev group (0 = off)", "int", D_MBSTD.get(kind, 0),
                  help="Conv D only: before its last stage D also reads how much the features vary across groups "
                       "of this many images (ProGAN, StyleGAN: 4), so a batch of near-copies looks fake."),
        ParamSpec("body", "Network body", "choice", "auto", options=("auto", "conv", "mlp"),
                  help="auto = MLP for images under 16 px (digits), DCGAN convolutions otherwise."),
    )


def _axes(kind: str) -> tuple[ParamSpec, ...]:
    """The three GAN axes as settings, defaulting to the preset's point."""
    preset = PRESETS[kind]
    return (
        ParamSpec("objective", "Objective (D and G losses)", "choice", preset["objective"], options=tuple(OBJECTIVES),
                  help="; ".join(f"{o.name}: {o.title}" for o in OBJECTIVES.values())
                  + ". bce-saturating is the minimax loss whose gradient vanishes when D wins."),
        ParamSpec("conditioning", "Class conditioning", "choice", preset["conditioning"], options=CONDITIONINGS,
                  help="none; input: y is concatenated to G's and D's inputs; auxiliary: D also classifies; "
                       "projection: D's score adds ⟨embed(y), φ(x)⟩."),
        ParamSpec("d_norm", "Discriminator normalisation", "choice", preset["d_norm"], options=D_NORMS,
                  help="batch: BatchNorm (DCGAN); none (WGAN-GP); spectral: σ(W) = 1 on every layer (SN-GAN)."),
        ParamSpec("g_conditioning", "How G reads the class", "choice", preset["g_conditioning"],
                  options=G_CONDITIONINGS,
                  help="input: one-hot y concatenated to z; cbn: class-conditional BatchNorm from a shared "
                       "embedding, with z split across the layers (BigGAN). Used when conditioning is not none."),
        ParamSpec("ema", "EMA decay of G (0 = off)", "float", EMA_DECAY.get(kind, 0.0),
                  help="Samples come from an exponential moving average of G's weights (BigGAN, StyleGAN)."),
        ParamSpec("r1_gamma", "R1 penalty γ on D (0 = off)", "log", R1_GAMMA.get(kind, 0.0),
                  help="γ/2 E‖∇ₓD(x)‖² on real images (Mescheder et al. 2018): keeps D flat on the data; StyleGAN "
                       "regularises D with it instead of spectral norm."),
        ParamSpec("r1_every", "R1 on every k-th D step", "int", R1_EVERY.get(kind, 1),
                  help="Lazy regularisation (StyleGAN2): the penalty on one D step in k, weighted by k; k = 16 "
                       "there. Saves the second-order backward pass on the other steps."),
        ParamSpec("adam_betas", "Adam betas (β₁, β₂)", "choice", ADAM_BETAS_DEFAULT.get(kind, "objective"),
                  options=tuple(ADAM_BETAS),
                  help="objective: as the objective's paper trained (DCGAN 0.5, 0.999; hinge and WGAN-GP 0, 0.9). "
                       "StyleGAN trained with 0, 0.99: no momentum, so each step follows the current gradient."),
        ParamSpec("adv_eps", "Adversarial training of D: ε (0 = off)", "log", 0.0,
                  help="Fast-GAN (Zhong et al. 2020): D trains on real and fake images pushed up its loss within "
                       "±ε (on [−1, 1] images), m replays per batch. Their CIFAR value: 0.006."),
    )


def quality_with_styles(model: GAN, config: GANConfig, data) -> dict[str, Any]:
    """`sample_quality` plus StyleGAN's numbers (see genviz.gans.stylegan.style_numbers)."""
    out = sample_quality(model, config, data)
    return {**out, **(style_numbers(model, data) or {})}


_EVALUATE = {"biggan": quality_with_truncation, "stylegan": quality_with_styles}  # more than sample_quality
_UNCONDITIONAL_AXES = ("conditioning", "g_conditioning")  # the style generator draws no chosen class
_STYLE = (
    ParamSpec("mapping_depth", "Mapping network depth L (z → w)", "int", 8,
              help="Linear layers of the mapping network; 0 gives w = pixelnorm(z), the control. StyleGAN: 8."),
    ParamSpec("mapping_lr_mul", "Mapping learning-rate multiplier", "log", 0.01,
              help="The mapping layers learn at lr × this (StyleGAN: 0.01), through equalised learning rate."),
    ParamSpec("style_mixing", "Style-mixing probability p", "float", 0.9,
              help="Share of training samples that switch to a second w at a random layer (StyleGAN: 0.9). The "
                   "shipped stylegan-mnist uses 0.5: at 0.9 this budget drew some digits far more often than others."),
    ParamSpec("style_block", "How a layer reads its style", "choice", "adain", options=STYLE_BLOCKS,
              help="adain: instance norm, then a per-channel scale and bias from w (StyleGAN); modconv: "
                   "modulated / demodulated convolution (StyleGAN2) — at this scale its activations grow layer "
                   "by layer and G's sigmoid saturates to black images within ~60 steps (see BENCHMARKS.md)."),
    ParamSpec("style_output", "How G makes its image", "choice", STYLE_OUTPUT_DEFAULT, options=STYLE_OUTPUTS,
              help="last: a 1×1 conv of the last layer only (StyleGAN); skip: a 1×1 conv (toRGB) at every "
                   "resolution, each image upsampled and added to the next (StyleGAN2), so the 7×7 layers draw "
                   "the coarse digit directly."),
    ParamSpec("g_lr_mul", "G learning rate × (equalised lr)", "log", 5.0,
              help="G stores its weights at unit scale (equalised lr), so it needs StyleGAN's larger step: "
                   "G's lr = lr × this, D keeps lr."),
)
_N_CRITIC = ParamSpec("n_critic", "D steps per G step (n_critic)", "int", 1)
_TRAIN = {"epochs": 40, "batch_size": 64, "lr": 5e-4}

for _kind, _title, _extra, _desc, _train in (
    ("dcgan", "DCGAN", (_N_CRITIC,),
     "G: ConvTranspose2d + BatchNorm + ReLU; D: strided convs + LeakyReLU. "
     "L_D = E[−log D(x)] + E[−log(1 − D(G(z)))].", {}),
    ("cgan", "Conditional GAN", (_N_CRITIC,),
     "The class label y goes into both G(z, y) and D(x, y), so you choose which digit to draw.", {}),
    ("acgan", "AC-GAN", (_N_CRITIC, ParamSpec("aux_weight", "Class-loss weight", "float", 1.0)),
     "G(z, y); D(x) says real/fake and also classifies x; both minimise the class loss.", {}),
    ("wgan-gp", "WGAN-GP", (ParamSpec("n_critic", "Critic steps per G step (n_critic)", "int", 5),
                            ParamSpec("gp_lambda", "Gradient penalty λ", "float", 10.0)),
     "A critic C estimates the Wasserstein distance; λ E[(‖∇C(x̂)‖ − 1)²] keeps it 1-Lipschitz.",
     {"lr": 2e-4}),
    ("sngan", "SN-GAN", (_N_CRITIC,),
     "Spectral normalisation on every D layer (σ(W) = 1) with the hinge loss.", {}),
    ("biggan", "BigGAN ideas", (_N_CRITIC, ParamSpec("ortho_reg", "Orthogonal regularisation β", "log", 0.0,
                                                     help="β Σ‖WᵀW ⊙ (1 − I)‖²; BigGAN used 1e-4. 0 = off.")),
     "G with class-conditional BatchNorm from a shared embedding and hierarchical z; D with spectral norm "
     "and a projection head; hinge loss; samples from an EMA of G; truncation at sampling time.", {}),
    ("stylegan", "StyleGAN ideas", (_N_CRITIC, *_STYLE),
     "A mapping network z → w; synthesis from a learned 7×7 constant whose layers read w as styles (modulated "
     "convolutions or AdaIN) at 7, 14 and 28 px, with per-pixel noise; style mixing; truncation in W. D has no "
     "spectral norm and an R1 penalty, as in the paper.", {"lr": 1e-3}),
):
    register(KindSpec(
        kind=_kind, family="gan", title=_title, config_cls=GANConfig, build=GAN, recipe=GANRecipe,
        make_config=_gan_config(_kind), description=_desc,
        params=_common(_kind) + tuple(p for p in _axes(_kind) if _kind != "stylegan" or p.name not in _UNCONDITIONAL_AXES)
        + _extra,
        default_train={**_TRAIN, **_train},
        evaluate=_EVALUATE.get(_kind, sample_quality),
    ))
