"""How autoencoders train, evaluate and preview; registers the kinds ae, dae, sae-l1, sae-kl, vae, aae.

Held-out metrics (what `python -m genviz evaluate` prints, prefixed `test_`): `loss` is always the
Bernoulli negative log-likelihood of the clean test images in nats per image (BCE summed over
pixels); for the VAE it is the negative ELBO (β = 1) with its parts `recon` and `kl`. The ae, vae
and aae kinds also report `sample_confidence` and `frechet_distance` of 1,000 decoded prior samples.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from genviz.autoencoders import losses
from genviz.autoencoders.analysis import prior_match
from genviz.autoencoders.models import (
    AAEConfig,
    AdversarialAutoencoder,
    AEConfig,
    Autoencoder,
    DAEConfig,
    DenoisingAutoencoder,
    SparseAEConfig,
    SparseAutoencoder,
    VAEConfig,
    VariationalAutoencoder,
    corrupt,
    init_output_bias,
)
from genviz.core import scoring as metrics
from genviz.core.errors import CheckpointError
from genviz.core.optim import adam
from genviz.core.registry import KindSpec, ParamSpec, register
from genviz.core.train import TrainParams, batched

PRIOR_SAMPLES = 1000


class AutoencoderRecipe:
    """Minimise the reconstruction loss ‖x − D(E(x))‖² (or BCE) with Adam."""

    preview_caption = "Fixed held-out images (top) and their reconstructions (bottom)"

    def __init__(self, config: AEConfig):
        self.config = config

    def optimizers(self, model: nn.Module, params: TrainParams) -> dict[str, torch.optim.Optimizer]:
        return {"model": adam(model.parameters(), params.lr)}

    def objective(self, model: nn.Module, x: Tensor, generator: torch.Generator) -> dict[str, Tensor]:
        """The training loss ("loss") and its parts for one batch."""
        return {"loss": losses.reconstruction_loss(model(x).recon_logits, x, self.config.loss)}

    def step(self, model, optimizers, batch, generator, run) -> dict[str, Tensor]:
        terms = self.objective(model, batch[0], generator)
        opt = optimizers["model"]
        opt.zero_grad(set_to_none=True)
        # Backpropagate the batch's total (nats per batch, the objective of Kingma & Welling and of the
        # PyTorch VAE example), report the per-image mean. Adam ignores the loss scale except through its
        # ε = 1e-8, which on per-image means damps the tiny gradients of little-used latent units
        # (measured: the MNIST VAE ends 0.15 nats/image worse after 10 epochs).
        (terms["loss"] * len(batch[0])).backward()
        opt.step()
        return {k: v.detach() for k, v in terms.items()}

    def _sum(self, fn, data: tuple[Tensor, ...]) -> float:
        return float(sum(batched(lambda x, *_: fn(x).sum(), data)))

    @torch.inference_mode()
    def evaluate(self, model, data, generator) -> dict[str, float]:
        n = len(data[0])
        out = {"loss": self._sum(lambda x: losses.reconstruction_loss(model(x).recon_logits, x, "bce", "none"), data) / n}
        if self.config.loss == "mse":
            out["mse"] = self._sum(lambda x: losses.reconstruction_loss(model(x).recon_logits, x, "mse", "none"), data) / n
        return out

    @torch.inference_mode()
    def preview(self, model, data, generator) -> Tensor:
        x = data[0]
        return torch.cat([x, model.reconstruct(x)]).cpu()  # with nrow=len(x): inputs above outputs


class DenoisingRecipe(AutoencoderRecipe):
    """‖x − D(E(x + δ))‖²: corrupt the input, reconstruct the clean image."""

    preview_caption = "Fixed held-out images: corrupted (top) and denoised (bottom)"

    def objective(self, model, x, generator):
        noisy = corrupt(x, self.config.noise, self.config.noise_level, generator)
        return {"loss": losses.reconstruction_loss(model(noisy).recon_logits, x, self.config.loss)}

    @torch.inference_mode()
    def evaluate(self, model, data, generator) -> dict[str, float]:
        out = super().evaluate(model, data, generator)
        c = self.config
        out["denoise_loss"] = self._sum(lambda x: losses.reconstruction_loss(
            model(corrupt(x, c.noise, c.noise_level, generator)).recon_logits, x, "bce", "none"), data) / len(data[0])
        return out

    @torch.inference_mode()
    def preview(self, model, data, generator) -> Tensor:
        noisy = corrupt(data[0], self.config.noise, self.config.noise_level, generator)
        return torch.cat([noisy, model.reconstruct(noisy)]).cpu()


class SparseRecipe(AutoencoderRecipe):
    """Reconstruction + λ·penalty: L1 Σ|z_j| (sae-l1) or Σ_j KL(ρ‖ρ̂_j) (sae-kl)."""

    def penalty(self, z: Tensor) -> Tensor:
        if self.config.penalty == "kl":
            return losses.kl_sparsity(z, self.config.rho)
        return losses.l1_sparsity(z)

    def objective(self, model, x, generator):
        out = model(x)
        recon = losses.reconstruction_loss(out.recon_logits, x, self.config.loss)
        penalty = self.penalty(out.z)
        return {"loss": recon + self.config.sparsity_weight * penalty, "recon": recon, "sparsity": penalty}

    @torch.inference_mode()
    def evaluate(self, model, data, generator) -> dict[str, float]:
        out = super().evaluate(model, data, generator)
        z = torch.cat(list(batched(lambda x, *_: model.encode(x), data)))
        out["sparsity"] = float(self.penalty(z))
        return out


class VAERecipe(AutoencoderRecipe):
    """Negative ELBO: reconstruction of a sampled z = μ + σ ⊙ ε, plus β·KL(q(z|x) ‖ N(0, I))."""

    def initialize(self, model: nn.Module, train: tuple[Tensor, ...]) -> None:
        init_output_bias(model.decoder, train[0])

    def objective(self, model, x, generator):
        out = model(x, generator)
        terms = losses.elbo_loss(out.recon_logits, x, out.mu, out.logvar, self.config.beta, self.config.loss)
        return terms._asdict()

    @torch.inference_mode()
    def evaluate(self, model, data, generator) -> dict[str, float]:
        """The β = 1 bound with one z sample per image (as the PyTorch VAE example reports it)."""
        def parts(x, *_):
            out = model(x, generator)
            t = losses.elbo_loss(out.recon_logits, x, out.mu, out.logvar, 1.0, "bce", "none")
            return torch.stack([t.recon.sum(), t.kl.sum()])

        recon, kl = (sum(batched(parts, data)) / len(data[0])).tolist()
        return {"loss": recon + kl, "recon": recon, "kl": kl}


class AdversarialRecipe(AutoencoderRecipe):
    """Makhzani et al. (2016), per batch: (1) a discriminator step telling prior draws z ~ p(z) from
    codes E(x); (2) one autoencoder step on reconstruction + w · (−log D(E(x))), the regularisation
    phase folded into the reconstruction phase with weight w = `adv_weight`.

    One objective and one Adam for E and D keep the two losses on one scale: Adam normalises each
    optimiser's steps, so a separate encoder optimiser for the adversarial loss took full-size steps
    even when D was at chance and its gradient was noise (see `AAEConfig.adv_weight`)."""

    def optimizers(self, model, params):
        ae = list(model.encoder.parameters()) + list(model.decoder.parameters())
        return {"ae": adam(ae, params.lr), "disc": adam(model.discriminator.parameters(), params.lr)}

    def step(self, model, optimizers, batch, generator, run) -> dict[str, Tensor]:
        x = batch[0]
        out = model(x)
        z_real = model.prior_sample(len(x), generator)
        d_loss = losses.aae_discriminator_loss(model.discriminate(z_real), model.discriminate(out.z.detach()))
        optimizers["disc"].zero_grad(set_to_none=True)
        d_loss.backward()
        optimizers["disc"].step()

        recon = losses.reconstruction_loss(out.recon_logits, x, self.config.loss)
        g_loss = losses.aae_encoder_adversarial_loss(model.discriminate(out.z))
        optimizers["ae"].zero_grad(set_to_none=True)
        (recon + self.config.adv_weight * g_loss).backward()  # D's gradients are cleared before its next step
        optimizers["ae"].step()
        return {"loss": recon.detach(), "disc_loss": d_loss.detach(), "enc_adv_loss": g_loss.detach()}


# ---- registry -------------------------------------------------------------------------------


def _hidden(value: Any, body: str) -> tuple[int, ...]:
    """An int width becomes (w,) for an MLP body, or two conv stages (w/2, w) for a conv body;
    a tuple, list or "512-256" string is taken as it is."""
    if isinstance(value, str):
        value = tuple(int(v) for v in value.replace(",", "-").split("-") if v.strip())
    if isinstance(value, (int, float)):
        w = int(value)
        return (max(1, w // 2), w) if body == "conv" else (w,)
    return tuple(int(v) for v in value)


def _maker(config_cls: type, kind: str):
    def make(image_shape, n_classes, **values):
        values = dict(values)
        if "hidden" in values and values["hidden"] is not None:
            values["hidden"] = _hidden(values["hidden"], values.get("body", "mlp"))
        else:
            values.pop("hidden", None)
        return config_cls(kind=kind, image_shape=tuple(image_shape), **values)

    return make


def _prior_sample_scores(model, config, imgs) -> dict[str, float]:
    """Scores of 1,000 decoded prior samples by the dataset's shipped classifier (none without one):
    confidence, Fréchet distance, classes covered and max/min of the predicted class counts."""
    try:
        scorer = metrics.load_scorer(imgs.name, imgs.device)
    except CheckpointError:
        return {}
    if tuple(scorer.config.image_shape) != tuple(config.image_shape):
        return {}
    samples = model.sample(PRIOR_SAMPLES, torch.Generator(device=imgs.device).manual_seed(0))
    scores = metrics.score_samples(scorer, samples, imgs.x_test)
    counts = scores.label_counts
    return {"sample_confidence": scores.confidence, "frechet_distance": scores.frechet_distance,
            "sample_classes_covered": scores.classes_covered,
            "sample_class_ratio": max(counts) / min(counts) if min(counts) > 0 else float("inf")}


def _aae_scores(model, config, imgs) -> dict[str, float]:
    """The prior-sample scores plus how far the codes' aggregate posterior q(z) is from p(z) (MMD², p-value)."""
    return {**_prior_sample_scores(model, config, imgs), **prior_match(model, imgs.x_test).to_metrics()}


COMMON = (
    ParamSpec("latent_dim", "Latent size d", "int", 16,
              help="Bottleneck size; a vanilla AE, VAE and AAE need d < number of pixels."),
    ParamSpec("hidden", "Hidden width", "int", 128, 8, 1024,
              help="MLP: one hidden layer of this width. Conv: two stride-2 stages of width/2 and width channels."),
    ParamSpec("body", "Body", "choice", "mlp", options=("mlp", "conv"),
              help="conv: strided convolutions in, ConvTranspose2d out."),
    ParamSpec("loss", "Reconstruction loss", "choice", "bce", options=("bce", "mse")),
)
DEFAULT_TRAIN = {"epochs": 20, "batch_size": 64, "lr": 2e-3}


def _register(kind: str, title: str, config_cls: type, build, recipe, extra=(), description: str = "",
              evaluate=None, latent_default: int | None = None) -> None:
    params = COMMON
    if latent_default is not None:
        params = (ParamSpec("latent_dim", "Latent size d", "int", latent_default,
                            help="Code size; sparse codes may be larger than the image (overcomplete)."),) + COMMON[1:]
    register(KindSpec(kind=kind, family="autoencoder", title=title, config_cls=config_cls, build=build,
                      recipe=recipe, make_config=_maker(config_cls, kind), params=params + tuple(extra),
                      description=description, default_train=dict(DEFAULT_TRAIN), evaluate=evaluate))


_register("ae", "Vanilla autoencoder", AEConfig, Autoencoder, AutoencoderRecipe, evaluate=_prior_sample_scores,
          description="x → z = E(x) → x̂ = D(z), trained to minimise ‖x − D(E(x))‖² (or BCE for [0,1] pixels).")
_register("dae", "Denoising autoencoder", DAEConfig, DenoisingAutoencoder, DenoisingRecipe, extra=(
    ParamSpec("noise", "Noise", "choice", "gaussian", options=("gaussian", "mask"),
              help="gaussian: x + σ·ε clipped to [0, 1]; mask: each pixel set to 0 with probability p."),
    ParamSpec("noise_std", "Noise σ (gaussian)", "float", 0.5),
    ParamSpec("mask_prob", "Masking probability p (mask)", "float", 0.3),
), description="Learns to undo corruption: minimises ‖x − D(E(x + δ))‖².")
_register("sae-l1", "Sparse autoencoder (L1)", SparseAEConfig, SparseAutoencoder, SparseRecipe, latent_default=32, extra=(
    ParamSpec("sparsity_weight", "Sparsity weight λ", "log", 0.1),
), description="ReLU codes with an L1 penalty λ Σ|z_j|: most codes are exactly zero for any one image.")
_register("sae-kl", "Sparse autoencoder (KL)", SparseAEConfig, SparseAutoencoder, SparseRecipe, latent_default=32, extra=(
    ParamSpec("sparsity_weight", "Sparsity weight λ", "log", 1.0),
    ParamSpec("rho", "Target activation ρ", "float", 0.05),
), description="Sigmoid codes; λ Σ_j KL(ρ‖ρ̂_j) keeps each unit's mean activation ρ̂_j near ρ.")
_register("vae", "Variational autoencoder (VAE)", VAEConfig, VariationalAutoencoder, VAERecipe,
          evaluate=_prior_sample_scores, extra=(
              ParamSpec("beta", "β (KL weight)", "float", 1.0, help="1 = the ELBO; > 1 = β-VAE."),
          ), description="Encoder gives μ, log σ²; z = μ + σ ⊙ ε; loss = reconstruction + β·KL(q(z|x) ‖ N(0, I)).")
_register("aae", "Adversarial autoencoder (AAE)", AAEConfig, AdversarialAutoencoder, AdversarialRecipe,
          evaluate=_aae_scores, extra=(
              ParamSpec("prior", "Prior p(z)", "choice", "gaussian", options=("gaussian", "mixture"),
                        help="mixture: 10 Gaussians on a circle; needs latent size 2."),
              ParamSpec("adv_weight", "Adversarial weight w", "float", 1.0,
                        help="The encoder minimises reconstruction + w · (−log D(E(x))) in one step."),
          ), description="A discriminator on z pushes the codes' distribution toward the prior p(z).")
