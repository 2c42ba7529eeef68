"""Paths through a latent space, written once: linear and spherical interpolation, straight walks."""
from __future__ import annotations

import torch
from torch import Tensor

from genviz.core.config import check_choice, check_range

METHODS = ("linear", "spherical")
_PARALLEL = 1e-4  # below this angle Ω (radians) slerp is lerp to float precision


def lerp(z0: Tensor, z1: Tensor, steps: int) -> Tensor:
    """z_t = (1 − t) z0 + t z1 for t = 0 … 1 → (steps, d)."""
    t = torch.linspace(0, 1, steps, device=z0.device, dtype=z0.dtype)[:, None]
    return (1 - t) * z0.flatten() + t * z1.flatten()


def slerp(z0: Tensor, z1: Tensor, steps: int) -> Tensor:
    """z_t = sin((1−t)Ω)/sin Ω · z0 + sin(tΩ)/sin Ω · z1, cos Ω = z0·z1 / (‖z0‖‖z1‖) → (steps, d).

    Shoemake 1985; White 2016 for generative models: it keeps ‖z‖ near the typical radius √d of
    N(0, I), where a straight line passes through the low-norm middle the decoder rarely saw.
    """
    a, b = z0.flatten(), z1.flatten()
    cos = (a @ b / (a.norm() * b.norm()).clamp_min(1e-12)).clamp(-1, 1)
    omega = torch.arccos(cos)
    if float(omega) < _PARALLEL:
        return lerp(a, b, steps)
    t = torch.linspace(0, 1, steps, device=a.device, dtype=a.dtype)[:, None]
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


def interpolate(z0: Tensor, z1: Tensor, steps: int, method: str = "spherical") -> Tensor:
    """`steps` points from z0 to z1 by `method` ("linear" | "spherical")."""
    check_choice("Interpolation", method, METHODS)
    check_range("Interpolation steps", steps, 2, 1000)
    return slerp(z0, z1, steps) if method == "spherical" else lerp(z0, z1, steps)


def walk(z: Tensor, direction: Tensor, steps: int, radius: float) -> Tensor:
    """Points z + t·u for t evenly in [−radius, radius], u = direction / ‖direction‖ → (steps, d)."""
    check_range("Walk steps", steps, 2, 1000)
    check_range("Walk radius", radius, 0.0, 100.0)
    u = direction / direction.norm().clamp_min(1e-12)
    t = torch.linspace(-radius, radius, steps, device=z.device)[:, None]
    return z + t * u
