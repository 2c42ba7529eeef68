"""Shared network bodies: an MLP and a small conv encoder/decoder for any (C, H, W)."""
from __future__ import annotations

import math

from torch import Tensor, nn


def mlp(sizes: tuple[int, ...] | list[int], *, activation: type[nn.Module] = nn.ReLU, final_activation: bool = False) -> nn.Sequential:
    """Linear layers of the given sizes with `activation` between them (and after the last if asked)."""
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2 or final_activation:
            layers.append(activation())
    return nn.Sequential(*layers)


def conv_plan(image_shape: tuple[int, int, int], channels: tuple[int, ...]) -> list[tuple[int, int]]:
    """Spatial sizes after each stride-2 conv (kernel 4, padding 1 for even sizes, 3/1 for odd)."""
    _, h, w = image_shape
    plan = []
    for _ in channels:
        h, w = math.ceil(h / 2), math.ceil(w / 2)
        plan.append((h, w))
    return plan


class ConvEncoder(nn.Module):
    """Strided 3×3 convs (stride 2, padding 1) → flatten → Linear(out_dim)."""

    def __init__(self, image_shape: tuple[int, int, int], channels: tuple[int, ...], out_dim: int):
        super().__init__()
        c = image_shape[0]
        layers: list[nn.Module] = []
        for ch in channels:
            layers += [nn.Conv2d(c, ch, 3, stride=2, padding=1), nn.LeakyReLU(0.2)]
            c = ch
        self.convs = nn.Sequential(*layers)
        h, w = conv_plan(image_shape, channels)[-1]
        self.head = nn.Linear(c * h * w, out_dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.convs(x).flatten(1))


class ConvDecoder(nn.Module):
    """Linear → reshape → ConvTranspose2d(3, stride 2) stack mirroring ConvEncoder → logits (C, H, W)."""

    def __init__(self, image_shape: tuple[int, int, int], channels: tuple[int, ...], in_dim: int):
        super().__init__()
        self.image_shape = image_shape
        sizes = [image_shape[1:]] + conv_plan(image_shape, channels)  # sizes[i] = spatial size before conv i
        rev = list(reversed(channels))
        self.start = (rev[0], *sizes[-1])
        self.head = nn.Sequential(nn.Linear(in_dim, rev[0] * sizes[-1][0] * sizes[-1][1]), nn.ReLU())
        layers: list[nn.Module] = []
        for i, ch in enumerate(rev):
            out_ch = rev[i + 1] if i + 1 < len(rev) else image_shape[0]
            target = sizes[len(rev) - 1 - i]
            src = sizes[len(rev) - i]
            # out = (in-1)*2 - 2*1 + 3 + output_padding; choose output_padding to hit the target size.
            op = (target[0] - ((src[0] - 1) * 2 + 1), target[1] - ((src[1] - 1) * 2 + 1))
            layers.append(nn.ConvTranspose2d(ch, out_ch, 3, stride=2, padding=1, output_padding=op))
            if i + 1 < len(rev):
                layers.append(nn.ReLU())
        self.deconvs = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.deconvs(self.head(z).view(-1, *self.start))
