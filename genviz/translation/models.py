"""CycleGAN (Zhu et al. 2017), scaled down: two ResNet-style generators and two PatchGAN discriminators.

As in the authors' reference code (junyanz/pytorch-CycleGAN-and-pix2pix, `resnet_generator`,
`NLayerDiscriminator`): G = c7s1-k, d2k, d4k, R×n, u2k, uk, c7s1-C with instance norm and reflection
padding; D = strided 4×4 convs with LeakyReLU(0.2) ending in a 1-channel map of patch scores. Images
live in [0, 1] outside and in [−1, 1] inside the generators (tanh output), as in the reference.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from genviz.core.config import bounded, check_choice, check_fields

# What D sees of every image, real or translated (DiffAugment, Zhao et al. 2020): "none", or "translation": each
# image shifted by up to 1/8 of its side (edges repeated), differentiably, so G's gradient passes through.
D_AUGMENTS = ("none", "translation")


@dataclass(frozen=True)
class CycleGANConfig:
    """G_AB: A → B and G_BA: B → A, D_A and D_B; both domains share `image_shape`."""

    kind: str = "cyclegan"
    pair: str = "mnist-digits"  # a name from genviz.translation.pairs.PAIRS
    image_shape: tuple[int, int, int] = (1, 16, 16)
    g_width: int = bounded(16, 4, 64, "Generator width (channels of the first stage)")
    res_blocks: int = bounded(3, 1, 9, "Residual blocks per generator")
    d_width: int = bounded(16, 4, 64, "Discriminator width")
    cycle_lambda: float = bounded(10.0, 0.0, 50.0, "Cycle-consistency weight λ")
    identity_weight: float = bounded(0.5, 0.0, 2.0, "Identity weight λ_id (× λ)")
    pool_size: int = bounded(50, 0, 500, "Image pool size (per direction)")
    decay_start: float = bounded(0.5, 0.0, 1.0, "Learning-rate decay starts at (share of the run)")
    d_augment: str = "none"  # one of D_AUGMENTS

    def __post_init__(self) -> None:
        check_fields(self)
        check_choice("D augmentation", self.d_augment, D_AUGMENTS)

    @property
    def identity_lambda(self) -> float:
        """The identity loss weight: λ_id · λ (the reference's `lambda_identity * lambda_A`)."""
        return self.identity_weight * self.cycle_lambda


class ResidualBlock(nn.Module):
    """x + conv-IN-ReLU-conv-IN(x) with reflection padding (He et al. 2016, as CycleGAN uses it)."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), nn.InstanceNorm2d(channels), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), nn.InstanceNorm2d(channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """Two stride-2 downsamplings, `res_blocks` residual blocks, two upsamplings (image → image, same size)."""

    def __init__(self, config: CycleGANConfig):
        super().__init__()
        c = config.image_shape[0]
        k = config.g_width
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(c, k, 7), nn.InstanceNorm2d(k), nn.ReLU(True)]
        for mult in (1, 2):  # (k) x H x W → (2k) x H/2 → (4k) x H/4
            layers += [nn.Conv2d(k * mult, k * mult * 2, 3, stride=2, padding=1), nn.InstanceNorm2d(k * mult * 2),
                       nn.ReLU(True)]
        layers += [ResidualBlock(4 * k) for _ in range(config.res_blocks)]
        for mult in (4, 2):  # (4k) x H/4 → (2k) x H/2 → (k) x H
            layers += [nn.ConvTranspose2d(k * mult, k * mult // 2, 3, stride=2, padding=1, output_padding=1),
                       nn.InstanceNorm2d(k * mult // 2), nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(k, c, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return (self.net(x * 2 - 1) + 1) / 2  # [0, 1] in and out; [−1, 1] inside


class PatchDiscriminator(nn.Module):
    """A PatchGAN: each output score sees a 12×12 patch (k4 s2, k3 s1 + IN, k3 s1 → 1 channel)."""

    def __init__(self, config: CycleGANConfig):
        super().__init__()
        c, d = config.image_shape[0], config.d_width
        self.net = nn.Sequential(
            nn.Conv2d(c, d, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(d, 2 * d, 3, stride=1, padding=1), nn.InstanceNorm2d(2 * d), nn.LeakyReLU(0.2, True),
            nn.Conv2d(2 * d, 1, 3, stride=1, padding=1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x * 2 - 1)  # (B, 1, H/2, W/2) patch scores (least squares: real → 1, fake → 0)


def translate_batch(x: Tensor, generator: torch.Generator, ratio: float = 0.125) -> Tensor:
    """Each image of `x` shifted by its own random (dy, dx), |d| ≤ ratio·side, edges repeated (DiffAugment's
    translation). A gather on the padded batch, so gradients reach `x`."""
    n, c, h, w = x.shape
    pad = max(1, int(round(ratio * h)))
    shifts = torch.randint(-pad, pad + 1, (n, 2), generator=generator, device=x.device)
    padded = nn.functional.pad(x, (pad, pad, pad, pad), mode="replicate")
    rows = (torch.arange(h, device=x.device)[None, :] + pad - shifts[:, :1])  # (n, h)
    cols = (torch.arange(w, device=x.device)[None, :] + pad - shifts[:, 1:])  # (n, w)
    idx = torch.arange(n, device=x.device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[idx, rows[:, :, None], cols[:, None, :]]  # (n, h, w, c)
    return out.permute(0, 3, 1, 2)


def receptive_field(module: nn.Module) -> int:
    """Receptive field in pixels of one output of a stack of convs (for the PatchGAN's patch size)."""
    rf, jump = 1, 1
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            rf += (m.kernel_size[0] - 1) * jump
            jump *= m.stride[0]
    return rf


class CycleOutput(NamedTuple):
    fake_b: Tensor  # G_AB(a)
    rec_a: Tensor  # G_BA(G_AB(a))
    fake_a: Tensor  # G_BA(b)
    rec_b: Tensor  # G_AB(G_BA(b))


class CycleGAN(nn.Module):
    """The four networks of a CycleGAN; `translate(x, "ab")` maps A → B, `"ba"` maps B → A."""

    def __init__(self, config: CycleGANConfig):
        super().__init__()
        self.config = config
        self.g_ab = ResnetGenerator(config)
        self.g_ba = ResnetGenerator(config)
        self.d_a = PatchDiscriminator(config)
        self.d_b = PatchDiscriminator(config)

    def generators(self) -> list[nn.Parameter]:
        return [*self.g_ab.parameters(), *self.g_ba.parameters()]

    def discriminators(self) -> list[nn.Parameter]:
        return [*self.d_a.parameters(), *self.d_b.parameters()]

    def forward(self, a: Tensor, b: Tensor) -> CycleOutput:
        fake_b, fake_a = self.g_ab(a), self.g_ba(b)
        return CycleOutput(fake_b, self.g_ba(fake_b), fake_a, self.g_ab(fake_a))

    @torch.inference_mode()
    def translate(self, x: Tensor, direction: str = "ab") -> Tensor:
        return (self.g_ab if direction == "ab" else self.g_ba)(x).clamp(0, 1)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device
