"""Autoencoder modules. `forward` returns a named record, never a bare tuple."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from genviz.config import check_choice, check_range
from genviz.models.blocks import ConvDecoder, ConvEncoder, mlp


@dataclass(frozen=True)
class AEConfig:
    """A deterministic autoencoder x → z = E(x) → x̂ = D(z) with latent size d < n pixels."""

    kind: str = "ae"
    image_shape: tuple[int, int, int] = (1, 8, 8)
    latent_dim: int = 16
    hidden: tuple[int, ...] = (128,)  # MLP widths, or conv channels when body == "conv"
    body: str = "mlp"  # "mlp" | "conv"
    loss: str = "bce"  # "bce" (Bernoulli pixels, nats) | "mse"

    def __post_init__(self) -> None:
        c, h, w = self.image_shape
        check_range("Image channels", c, 1, 4)
        check_range("Image height", h, 4, 256)
        check_range("Image width", w, 4, 256)
        check_range("Latent size", self.latent_dim, 1, 1024)
        if not self.hidden:
            from genviz.errors import ConfigError

            raise ConfigError("The network needs at least one hidden layer.")
        for width in self.hidden:
            check_range("Hidden width", width, 1, 8192)
        check_choice("Body", self.body, ("mlp", "conv"))
        check_choice("Reconstruction loss", self.loss, ("bce", "mse"))

    @property
    def n_pixels(self) -> int:
        return math.prod(self.image_shape)


class AEOutput(NamedTuple):
    recon_logits: Tensor  # (B, C, H, W) pre-sigmoid; use `.sigmoid()` for pixels
    z: Tensor  # (B, d)


def make_encoder(config: AEConfig, out_dim: int) -> nn.Module:
    if config.body == "conv":
        return ConvEncoder(config.image_shape, config.hidden, out_dim)
    return nn.Sequential(nn.Flatten(), mlp((config.n_pixels, *config.hidden, out_dim)))


def make_decoder(config: AEConfig, in_dim: int) -> nn.Module:
    if config.body == "conv":
        return ConvDecoder(config.image_shape, config.hidden, in_dim)
    return nn.Sequential(mlp((in_dim, *reversed(config.hidden), config.n_pixels)), nn.Unflatten(1, config.image_shape))


class Autoencoder(nn.Module):
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
