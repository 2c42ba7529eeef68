"""The Gaussian generator x = G(z) = A z with A Aᵀ = Σ, and a tiny MLP as the step to "a neural network as G".

A is the symmetric square root Σ^½ or the Cholesky factor L; both give N(0, Σ). Also the sample
covariance and its convergence, covariance ellipses, and grids warped by a generator (which the
2-D GAN draws too). Pure math, no Streamlit; used by the Gaussian-generator page.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from genviz.core.blocks import mlp
from genviz.core.config import check_choice, check_range
from genviz.core.errors import ConfigError

SQRT_METHODS = ("symmetric", "cholesky")


def covariance_2d(sigma1: float, sigma2: float, rho: float) -> Tensor:
    """Σ = [[σ1², ρσ1σ2], [ρσ1σ2, σ2²]]; σ > 0 and |ρ| < 1 make it positive definite."""
    check_range("σ1", sigma1, 1e-3, 100)
    check_range("σ2", sigma2, 1e-3, 100)
    if not -0.999 <= rho <= 0.999:
        raise ConfigError(f"The correlation ρ must be between −0.999 and 0.999 (|ρ| = 1 makes Σ singular); got {rho:g}.")
    c = rho * sigma1 * sigma2
    return torch.tensor([[sigma1 ** 2, c], [c, sigma2 ** 2]], dtype=torch.float64)


def parse_matrix(text: str) -> Tensor:
    """Read a square matrix typed as rows separated by ';' or new lines, numbers by ',' or spaces."""
    rows = [r for r in (line.replace(",", " ").split() for line in text.replace(";", "\n").splitlines()) if r]
    try:
        values = [[float(v) for v in r] for r in rows]
    except ValueError:
        raise ConfigError("Σ must contain only numbers: rows separated by ';' or new lines, entries by commas.") from None
    n = len(values)
    if n not in (2, 3) or any(len(r) != n for r in values):
        raise ConfigError(f"Σ must be a 2×2 or 3×3 matrix (2 or 3 rows of as many numbers); got {n} row(s) of "
                          f"lengths {', '.join(str(len(r)) for r in values) or 'none'}.")
    return torch.tensor(values, dtype=torch.float64)


def check_covariance(cov: Tensor) -> Tensor:
    """Return Σ as float64 if it is a valid covariance (square, finite, symmetric, positive definite)."""
    cov = torch.as_tensor(cov, dtype=torch.float64)
    if cov.dim() != 2 or cov.shape[0] != cov.shape[1] or cov.shape[0] not in (2, 3):
        raise ConfigError(f"Σ must be a 2×2 or 3×3 matrix; got shape {tuple(cov.shape)}.")
    if not torch.isfinite(cov).all():
        raise ConfigError("Σ must contain finite numbers only.")
    scale = max(float(cov.abs().max()), 1e-12)
    if (cov - cov.T).abs().max() > 1e-9 * scale:
        i, j = divmod(int((cov - cov.T).abs().argmax()), cov.shape[0])
        raise ConfigError(f"Σ must be symmetric: entry ({i + 1},{j + 1}) is {cov[i, j]:g} but ({j + 1},{i + 1}) is "
                          f"{cov[j, i]:g}.")
    smallest = float(torch.linalg.eigvalsh(cov).min())
    if smallest <= 1e-9 * scale:
        raise ConfigError(f"Σ must be positive definite (all eigenvalues > 0); its smallest eigenvalue is "
                          f"{smallest:.3g}, so it is singular or not a covariance. Make the correlations smaller "
                          f"in size (|ρ| < 1).")
    return cov


def symmetric_sqrt(cov: Tensor) -> Tensor:
    """Σ^½ = V diag(√λ) Vᵀ from the eigendecomposition Σ = V diag(λ) Vᵀ: the unique symmetric A with A² = Σ."""
    lam, vecs = torch.linalg.eigh(check_covariance(cov))
    return vecs @ torch.diag(lam.sqrt()) @ vecs.T


def cholesky_factor(cov: Tensor) -> Tensor:
    """L lower-triangular with L Lᵀ = Σ (Cholesky): a different map from Σ^½, the same distribution."""
    return torch.linalg.cholesky(check_covariance(cov))


def generator_matrix(cov: Tensor, method: str = "symmetric") -> Tensor:
    """A with A Aᵀ = Σ, so x = A z ~ N(0, A Aᵀ) = N(0, Σ) for z ~ N(0, I)."""
    check_choice("Square-root method", method, SQRT_METHODS)
    return symmetric_sqrt(cov) if method == "symmetric" else cholesky_factor(cov)


def standard_normal(n: int, dim: int, seed: int = 0) -> Tensor:
    """z ~ N(0, I), shape (n, dim), float64, from a seeded generator."""
    check_range("Number of samples", n, 2, 1_000_000)
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def gaussian_generator(z: Tensor, cov: Tensor, method: str = "symmetric") -> Tensor:
    """G(z) = A z row by row (x = z Aᵀ): Cov[x] = A Cov[z] Aᵀ = A Aᵀ = Σ."""
    return z @ generator_matrix(cov, method).T


def sample_covariance(x: Tensor) -> Tensor:
    """Σ̂ = (1/(n−1)) Σ_i (x_i − x̄)(x_i − x̄)ᵀ, the unbiased estimate; it tends to Σ like 1/√n."""
    centred = x - x.mean(0, keepdim=True)
    return centred.T @ centred / (len(x) - 1)


def covariance_convergence(x: Tensor, cov: Tensor, sizes: list[int], max_repeats: int = 50) -> list[dict[str, float]]:
    """Mean of ‖Σ̂_n − Σ‖_F / ‖Σ‖_F over up to `max_repeats` disjoint blocks of n rows of x, for each n.

    Averaging over blocks shows the trend (∝ 1/√n) instead of one noisy sample path; all blocks of a size
    are estimated at once as a batch (no loop over blocks).
    """
    cov = torch.as_tensor(cov, dtype=x.dtype)
    norm = float(torch.linalg.matrix_norm(cov))
    rows = []
    for n in sizes:
        repeats = min(max_repeats, len(x) // n) if n >= 2 else 0
        if repeats == 0:
            continue
        blocks = x[: repeats * n].reshape(repeats, n, -1)
        centred = blocks - blocks.mean(1, keepdim=True)
        estimates = centred.transpose(1, 2) @ centred / (n - 1)  # (repeats, d, d)
        error = torch.linalg.matrix_norm(estimates - cov).mean() / norm
        rows.append({"n": n, "relative error": float(error), "repeats": repeats})
    return rows


def covariance_ellipse(cov: Tensor, n_std: float = 2.0, points: int = 100) -> np.ndarray:
    """The 2-D curve {x : xᵀ Σ⁻¹ x = n_std²} = Σ^½ (circle of radius n_std), shape (points, 2)."""
    t = torch.linspace(0, 2 * math.pi, points, dtype=torch.float64)
    circle = n_std * torch.stack([t.cos(), t.sin()], 1)
    return (circle @ symmetric_sqrt(cov).T).numpy()


class MLPGeneratorConfig(NamedTuple):
    """A random tiny MLP z ∈ R² → x ∈ R², the "neural network as G" lead-in."""

    width: int = 16
    depth: int = 2
    activation: str = "tanh"
    weight_scale: float = 1.5
    seed: int = 0


ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "tanh": nn.Tanh,
                                           "none (linear)": nn.Identity}


def random_mlp_generator(config: MLPGeneratorConfig) -> nn.Sequential:
    """An untrained MLP 2 → width (×depth) → 2 with N(0, scale²/fan_in) weights from a seeded generator."""
    check_range("Width", config.width, 1, 256)
    check_range("Depth (hidden layers)", config.depth, 1, 6)
    check_range("Weight scale", config.weight_scale, 0.01, 10)
    check_choice("Activation", config.activation, ACTIVATIONS)
    net = mlp([2] + [config.width] * config.depth + [2], activation=ACTIVATIONS[config.activation]).double()
    gen = torch.Generator().manual_seed(config.seed)
    with torch.no_grad():
        for layer in net:
            if isinstance(layer, nn.Linear):
                layer.weight.copy_(torch.randn(layer.weight.shape, generator=gen, dtype=torch.float64)
                                   * config.weight_scale / math.sqrt(layer.in_features))
                layer.bias.copy_(0.5 * torch.randn(layer.bias.shape, generator=gen, dtype=torch.float64))
    return net


@torch.inference_mode()
def affine_equivalent(net: Callable[[Tensor], Tensor], dim: int = 2) -> tuple[Tensor, Tensor]:
    """(A, b) with net(z) = A z + b, exact when the net has no nonlinearity: b = net(0), A e_i = net(e_i) − b."""
    eye = torch.eye(dim, dtype=torch.float64)
    b = net(torch.zeros(1, dim, dtype=torch.float64))[0]
    return (net(eye) - b).T, b


def map_ellipse(a: Tensor, b: Tensor | None = None, n_std: float = 2.0, points: int = 100) -> np.ndarray:
    """The 2σ ellipse of x = A z + b, z ~ N(0, I): the image of the circle |u| = n_std under A, shifted by b."""
    t = torch.linspace(0, 2 * math.pi, points, dtype=torch.float64)
    curve = n_std * torch.stack([t.cos(), t.sin()], 1) @ a.double().T
    return (curve if b is None else curve + b.double()).numpy()


def grid_lines(extent: float = 2.0, lines: int = 9, points: int = 25, dtype: torch.dtype = torch.float64) -> Tensor:
    """Horizontal then vertical lines of the square [−extent, extent]², shape (2·lines, points, 2)."""
    ticks = torch.linspace(-extent, extent, lines, dtype=dtype)
    along = torch.linspace(-extent, extent, points, dtype=dtype)
    horizontal = torch.stack(torch.broadcast_tensors(along[None, :], ticks[:, None]), -1)
    return torch.cat([horizontal, horizontal.flip(-1)], 0)


@torch.inference_mode()
def warp_lines(net: Callable[[Tensor], Tensor], lines: Tensor) -> np.ndarray:
    """Apply a generator to every point of grid lines (L, P, 2) in one batch; returns numpy (L, P, 2)."""
    return net(lines.reshape(-1, 2)).reshape(lines.shape).double().numpy()

