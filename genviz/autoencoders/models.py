"""Autoencoder modules: vanilla, denoising, sparse (L1 / KL), VAE and adversarial AE.

Every module exposes `encode(x) -> (B, d)` (the deterministic code: μ for the VAE), `decode(z) ->
pixels in [0, 1] (B, C, H, W)`, `decode_logits(z)`, `reconstruct(x)` and `sample(n, generator)`
(decode z drawn from the model's prior), and `forward` returns a named record, never a bare tuple.
Losses live in `genviz.autoencoders.losses`; how each kind trains lives in `genviz.autoencoders.recipes`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from genviz.autoencoders.losses import kl_to_standard_normal
from genviz.core.blocks import ConvDecoder, ConvEncoder, mlp
from genviz.core.config import bounded, check_choice, check_fields, check_range
from genviz.core.errors import ConfigError

SPARSE_PENALTIES = {"sae-l1": "l1", "sae-kl": "kl"}  # sparse kinds and the penalty each one trains with
SPARSE_KINDS = tuple(SPARSE_PENALTIES)
BOTTLENECK_KINDS = ("ae", "vae", "aae")  # kinds that need d < n pixels
# Mixture prior of the adversarial AE: 10 isotropic Gaussians evenly spaced on a circle.
MIXTURE_COMPONENTS = 10
MIXTURE_RADIUS = 3.0
MIXTURE_STD = 0.4


@dataclass(frozen=True)
class AEConfig:
    """A deterministic autoencoder x → z = E(x) → x̂ = D(z) with latent size d < n pixels.

    The kind-specific settings (noise, λ, ρ, β, prior) live in subclasses; each kind checks only its own.
    """

    kind: str = "ae"
    image_shape: tuple[int, int, int] = (1, 8, 8)
    latent_dim: int = bounded(16, 1, 1024, "Latent size")
    hidden: tuple[int, ...] = (128,)  # MLP widths, or conv channels when body == "conv"
    body: str = "mlp"  # "mlp" | "conv"
    loss: str = "bce"  # "bce" (Bernoulli pixels, nats) | "mse"

    def __post_init__(self) -> None:
        c, h, w = self.image_shape
        check_range("Image channels", c, 1, 4)
        check_range("Image height", h, 4, 256)
        check_range("Image width", w, 4, 256)
        check_fields(self)  # every bounded field, the subclass's too
        if not self.hidden:
            raise ConfigError("The network needs at least one hidden layer.")
        for width in self.hidden:
            check_range("Hidden width", width, 1, 8192)
        check_choice("Body", self.body, ("mlp", "conv"))
        check_choice("Reconstruction loss", self.loss, ("bce", "mse"))
        if self.bottleneck and self.latent_dim >= self.n_pixels:
            raise ConfigError(f"Latent size must be smaller than the {self.n_pixels} pixels of a "
                              f"{'×'.join(map(str, self.image_shape))} image (a bottleneck, d < n); got {self.latent_dim}.")
        if self.latent_dim > 4 * self.n_pixels:
            raise ConfigError(f"Latent size can be at most 4 × the {self.n_pixels} pixels; got {self.latent_dim}.")

    @property
    def n_pixels(self) -> int:
        return math.prod(self.image_shape)

    @property
    def bottleneck(self) -> bool:
        """Whether the code must be smaller than the image (d < n). Kinds whose loss stops the identity
        map some other way (corruption for the denoising AE, a sparsity penalty) may be overcomplete."""
        return self.kind in BOTTLENECK_KINDS


@dataclass(frozen=True)
class DAEConfig(AEConfig):
    """Denoising AE: trained to map a corrupted x + δ back to the clean x."""

    kind: str = "dae"
    noise: str = "gaussian"  # "gaussian": x + σ·ε, clipped to [0, 1] | "mask": each pixel zeroed with prob. p
    noise_std: float = bounded(0.5, 0.0, 1.0, "Noise σ")
    mask_prob: float = bounded(0.3, 0.0, 0.9, "Masking probability")

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice("Noise", self.noise, ("gaussian", "mask"))

    @property
    def noise_level(self) -> float:
        return self.noise_std if self.noise == "gaussian" else self.mask_prob


@dataclass(frozen=True)
class SparseAEConfig(AEConfig):
    """Sparse AE: kind "sae-l1" (ReLU codes, λ Σ|z_j|) or "sae-kl" (sigmoid codes, λ Σ KL(ρ‖ρ̂_j))."""

    kind: str = "sae-l1"
    latent_dim: int = bounded(32, 1, 1024, "Latent size")
    sparsity_weight: float = bounded(0.1, 0.0, 100.0, "Sparsity weight λ")
    rho: float = bounded(0.05, 0.001, 0.5, "Target activation ρ")  # the target mean activation (KL only)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice("Sparse kind", self.kind, SPARSE_KINDS)

    @property
    def penalty(self) -> str:
        """"l1": ReLU codes with λ Σ|z_j|; "kl": sigmoid codes with λ Σ KL(ρ‖ρ̂_j)."""
        return SPARSE_PENALTIES[self.kind]


@dataclass(frozen=True)
class VAEConfig(AEConfig):
    """VAE: q(z|x) = N(μ(x), diag σ²(x)), p(z) = N(0, I); loss = reconstruction + β·KL."""

    kind: str = "vae"
    beta: float = bounded(1.0, 0.0, 100.0, "β")


@dataclass(frozen=True)
class AAEConfig(AEConfig):
    """Adversarial AE: a discriminator on z pushes the codes' distribution q(z) toward the prior p(z)."""

    kind: str = "aae"
    prior: str = "gaussian"  # "gaussian": N(0, I) | "mixture": 10 Gaussians on a circle (2-D only)
    disc_hidden: int = bounded(128, 4, 2048, "Discriminator width")
    # Weight of the encoder's adversarial loss, added to the reconstruction loss (nats per image) in one
    # objective: with its own Adam the adversarial step moved the encoder by ≈ lr per step whatever its
    # gradient, so once D sat at chance it random-walked the codes (MNIST recon 128 → 144 nats in 6 epochs).
    adv_weight: float = bounded(1.0, 0.0, 1000.0, "Adversarial weight")

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice("Prior", self.prior, ("gaussian", "mixture"))
        if self.prior == "mixture" and self.latent_dim != 2:
            raise ConfigError(f"The 10-component mixture prior lives in 2-D: set the latent size to 2 (got {self.latent_dim}).")


# ---- priors ---------------------------------------------------------------------------------


def mixture_means(n: int = MIXTURE_COMPONENTS, radius: float = MIXTURE_RADIUS) -> Tensor:
    """(n, 2) centres evenly spaced on a circle."""
    angle = torch.arange(n) * (2 * math.pi / n)
    return radius * torch.stack([angle.cos(), angle.sin()], 1)


def sample_prior(prior: str, n: int, dim: int, generator: torch.Generator, device: torch.device | str = "cpu") -> Tensor:
    """n draws (n, dim) from the named prior: "gaussian" N(0, I) or the 2-D "mixture"."""
    eps = torch.randn(n, dim, generator=generator, device=device)
    if prior == "gaussian":
        return eps
    which = torch.randint(MIXTURE_COMPONENTS, (n,), generator=generator, device=device)
    return mixture_means().to(device)[which] + MIXTURE_STD * eps


def prior_log_density(prior: str, z: Tensor) -> Tensor:
    """log p(z) per row of z (n, d) for a prior name (for drawing its contours)."""
    d = z.shape[1]
    if prior == "gaussian":
        return -0.5 * (z.pow(2).sum(1) + d * math.log(2 * math.pi))
    means = mixture_means().to(z)
    sq = (z[:, None, :] - means[None]).pow(2).sum(-1) / MIXTURE_STD**2  # (n, K)
    comp = -0.5 * sq - d * math.log(MIXTURE_STD) - 0.5 * d * math.log(2 * math.pi)
    return torch.logsumexp(comp, 1) - math.log(MIXTURE_COMPONENTS)


# ---- records --------------------------------------------------------------------------------


class AEOutput(NamedTuple):
    recon_logits: Tensor  # (B, C, H, W) pre-sigmoid; use `.sigmoid()` for pixels
    z: Tensor  # (B, d)


class VAEOutput(NamedTuple):
    recon_logits: Tensor  # (B, C, H, W), decoded from the sampled z
    mu: Tensor  # (B, d)
    logvar: Tensor  # (B, d)
    z: Tensor  # (B, d) = μ + σ ⊙ ε


class DiagonalGaussian:
    """The VAE posterior q(z|x) = N(μ, diag σ²) (style of diffusers' DiagonalGaussianDistribution)."""

    def __init__(self, mu: Tensor, logvar: Tensor):
        self.mu = mu
        self.logvar = logvar

    @property
    def std(self) -> Tensor:
        return (0.5 * self.logvar).exp()

    def sample(self, generator: torch.Generator | None = None) -> Tensor:
        """z = μ + σ ⊙ ε with ε ~ N(0, I): the reparameterisation trick keeps z differentiable in μ, σ."""
        eps = torch.randn(self.mu.shape, generator=generator, device=self.mu.device, dtype=self.mu.dtype)
        return torch.addcmul(self.mu, self.std, eps)

    def mode(self) -> Tensor:
        return self.mu

    def kl(self) -> Tensor:
        """KL(q ‖ N(0, I)) per image (B,), see `losses.kl_to_standard_normal`."""
        return kl_to_standard_normal(self.mu, self.logvar, reduction="none")


# ---- bodies ---------------------------------------------------------------------------------


def make_encoder(config: AEConfig, out_dim: int) -> nn.Module:
    if config.body == "conv":
        return ConvEncoder(config.image_shape, config.hidden, out_dim)
    return nn.Sequential(nn.Flatten(), mlp((config.n_pixels, *config.hidden, out_dim)))


def make_decoder(config: AEConfig, in_dim: int) -> nn.Module:
    if config.body == "conv":
        return ConvDecoder(config.image_shape, config.hidden, in_dim)
    return nn.Sequential(mlp((in_dim, *reversed(config.hidden), config.n_pixels)), nn.Unflatten(1, config.image_shape))


@torch.no_grad()
def init_output_bias(decoder: nn.Module, x: Tensor) -> None:
    """Start the decoder at the data's mean image: bias of its last layer = logit(mean pixel) — per
    pixel for an MLP decoder, per channel for a convolutional one — so that the first steps learn
    structure instead of the background level (the "initialise the output bias to the data's
    marginal" advice). The VAE recipe uses it: 0.5 nats/image better on MNIST after 10 epochs (3 seeds),
    0.15 on digits. Not the sparse AEs: with the mean already explained, the L1 penalty switches the
    codes off early (digits sae-l1: held-out loss 21.3 instead of 16.3 after 60 epochs)."""
    layer = [m for m in decoder.modules() if isinstance(m, (nn.Linear, nn.ConvTranspose2d, nn.Conv2d))][-1]
    if layer.bias is None:
        return
    mean = x.float().mean(0)  # (C, H, W)
    target = mean.flatten() if isinstance(layer, nn.Linear) else mean.flatten(1).mean(1)
    if target.shape == layer.bias.shape:
        layer.bias.copy_(torch.logit(target.clamp(1e-3, 1 - 1e-3)))


# ---- modules --------------------------------------------------------------------------------


class Autoencoder(nn.Module):
    """Vanilla AE; the base of the deterministic kinds (denoising, sparse, adversarial)."""

    prior = "gaussian"  # what `sample` draws z from (for a vanilla AE: N(0, I), which it never learned)

    def __init__(self, config: AEConfig):
        super().__init__()
        self.config = config
        self.encoder = make_encoder(config, config.latent_dim)
        self.decoder = make_decoder(config, config.latent_dim)

    def encode(self, x: Tensor) -> Tensor:
        return self.encoder(x)  # (B, d)

    def decode_logits(self, z: Tensor) -> Tensor:
        return self.decoder(z)  # (B, C, H, W)

    def decode(self, z: Tensor) -> Tensor:
        return self.decode_logits(z).sigmoid()

    def forward(self, x: Tensor) -> AEOutput:
        z = self.encode(x)
        return AEOutput(self.decode_logits(z), z)

    @torch.inference_mode()
    def reconstruct(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))

    def prior_sample(self, n: int, generator: torch.Generator) -> Tensor:
        """n latent codes (n, d) from the model's prior."""
        device = next(self.parameters()).device
        return sample_prior(self.prior, n, self.config.latent_dim, generator, device)

    @torch.inference_mode()
    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        """Decode n codes from the prior into images (n, C, H, W) in [0, 1]."""
        return self.decode(self.prior_sample(n, generator))


def corrupt(x: Tensor, noise: str, level: float, generator: torch.Generator | None = None) -> Tensor:
    """x + δ: Gaussian noise of std `level` (clipped to [0, 1]), or masking noise zeroing each pixel
    with probability `level`. The input is not modified."""
    if noise == "gaussian":
        eps = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return (x + level * eps).clamp(0, 1)
    if noise == "mask":
        keep = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype) >= level
        return x * keep
    raise ConfigError(f"Noise must be one of gaussian, mask; got '{noise}'.")


class DenoisingAutoencoder(Autoencoder):
    """Same network as the vanilla AE; trained on corrupted inputs (see `corrupt`)."""

    def corrupt(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        return corrupt(x, self.config.noise, self.config.noise_level, generator)


class SparseAutoencoder(Autoencoder):
    """Codes are ReLU(E(x)) ≥ 0 for the L1 penalty, or sigmoid(E(x)) ∈ (0, 1) for the KL penalty."""

    def encode(self, x: Tensor) -> Tensor:
        pre = self.encoder(x)
        return pre.sigmoid() if self.config.penalty == "kl" else pre.relu()


class VariationalAutoencoder(nn.Module):
    """VAE: the encoder outputs μ and log σ²; z = μ + σ ⊙ ε; x̂ = D(z)."""

    prior = "gaussian"

    def __init__(self, config: VAEConfig):
        super().__init__()
        self.config = config
        self.encoder = make_encoder(config, 2 * config.latent_dim)
        self.decoder = make_decoder(config, config.latent_dim)

    def posterior(self, x: Tensor) -> DiagonalGaussian:
        mu, logvar = self.encoder(x).chunk(2, dim=1)  # (B, d) each
        return DiagonalGaussian(mu, logvar)

    def encode(self, x: Tensor) -> Tensor:
        return self.posterior(x).mu

    def decode_logits(self, z: Tensor) -> Tensor:
        return self.decoder(z)

    def decode(self, z: Tensor) -> Tensor:
        return self.decode_logits(z).sigmoid()

    def forward(self, x: Tensor, generator: torch.Generator | None = None) -> VAEOutput:
        q = self.posterior(x)
        z = q.sample(generator)
        return VAEOutput(self.decode_logits(z), q.mu, q.logvar, z)

    @torch.inference_mode()
    def reconstruct(self, x: Tensor) -> Tensor:
        """Decode the posterior mean μ (deterministic)."""
        return self.decode(self.encode(x))

    def prior_sample(self, n: int, generator: torch.Generator) -> Tensor:
        device = next(self.parameters()).device
        return sample_prior("gaussian", n, self.config.latent_dim, generator, device)

    @torch.inference_mode()
    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        return self.decode(self.prior_sample(n, generator))


class AdversarialAutoencoder(Autoencoder):
    """AAE: a deterministic AE plus a discriminator D(z) → logit(z came from the prior)."""

    def __init__(self, config: AAEConfig):
        super().__init__(config)
        self.prior = config.prior
        h = config.disc_hidden
        self.discriminator = mlp((config.latent_dim, h, h, 1))

    def discriminate(self, z: Tensor) -> Tensor:
        return self.discriminator(z).squeeze(1)  # (B,) logits
