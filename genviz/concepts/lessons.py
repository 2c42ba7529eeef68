"""The lecture's building blocks, small enough to compute instantly: pure math, no Streamlit.

Three parts, each used by one Concepts page:

1. Convolution arithmetic: output sizes and weight counts of `nn.Conv2d` / `nn.ConvTranspose2d`
   (the same numbers torch computes), which output cells each input cell feeds, and how many
   kernel taps overlap on each output cell (the checkerboard when the stride does not divide k).
2. The Gaussian generator x = G(z) = A z with A Aᵀ = Σ (symmetric square root or Cholesky), the
   sample covariance, and a tiny MLP generator as the step to "a neural network as G".
3. A toy 2-D GAN: target point clouds, MLP generator and discriminator, one D or G step at a time,
   and what its canvas shows (decision map, warped noise grid, gradient arrows, KL / JS, modes covered).
"""
from __future__ import annotations

import io
import math
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator, NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from genviz.core.blocks import mlp
from genviz.core.config import check_choice, check_range
from genviz.core.errors import ConfigError, DataFormatError, TrainingDiverged
from genviz.gans import objectives

# =====================================================================================================
# 1. Convolution arithmetic
# =====================================================================================================

Pair = tuple[int, int]
MAX_INPUT = 64
MAX_KERNEL = 11
MAX_STRIDE = 8
MAX_DILATION = 4
MAX_CHANNELS = 4096


def _pair(name: str, value: int | tuple[int, int]) -> Pair:
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or any(isinstance(v, bool) or float(v) != int(v) for v in pair):
        raise ConfigError(f"{name} must be a whole number (or a pair of them); got {value!r}.")
    return int(pair[0]), int(pair[1])


@dataclass(frozen=True)
class ConvLayer:
    """The shape settings of one `nn.Conv2d` (transposed=False) or `nn.ConvTranspose2d` (transposed=True).

    Every field takes an int or a (height, width) pair; pairs are stored. Validation refuses what torch
    refuses and a little more: padding is limited to d·(k−1) so every output cell touches the input.
    """

    transposed: bool
    in_size: Pair
    kernel: Pair
    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    output_padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    d_in: int = 1
    d_out: int = 1

    def __post_init__(self) -> None:
        for name, label in (("in_size", "Input size"), ("kernel", "Kernel size"), ("stride", "Stride"),
                            ("padding", "Padding"), ("output_padding", "Output padding"), ("dilation", "Dilation")):
            object.__setattr__(self, name, _pair(label, getattr(self, name)))
        for axis, side in enumerate(("height", "width")):
            def which(name: str) -> str:  # name the axis only when the two differ
                pair = getattr(self, name)
                return f" ({side})" if pair[0] != pair[1] else ""  # noqa: B023 (called inside this iteration)

            check_range(f"Input {side}", self.in_size[axis], 1, MAX_INPUT)
            check_range(f"Kernel {side}", self.kernel[axis], 1, MAX_KERNEL)
            check_range(f"Stride{which('stride')}", self.stride[axis], 1, MAX_STRIDE)
            check_range(f"Dilation{which('dilation')}", self.dilation[axis], 1, MAX_DILATION)
            k, s, p, d, op = (self.kernel[axis], self.stride[axis], self.padding[axis], self.dilation[axis],
                              self.output_padding[axis])
            reach = d * (k - 1)
            if not 0 <= p <= reach:
                raise ConfigError(f"Padding{which('padding')} {p} does not fit a kernel of {k} with dilation {d}: "
                                  f"it must be between 0 and d·(k−1) = {reach}.")
            if not self.transposed and op != 0:
                raise ConfigError("Output padding only exists for transposed convolutions; set it to 0.")
            if self.transposed and not 0 <= op < max(s, d):
                raise ConfigError(f"Output padding{which('output_padding')} must be smaller than the stride or the "
                                  f"dilation: between 0 and {max(s, d) - 1}; got {op}.")
            out = self.out_size[axis]
            if out < 1:
                raise ConfigError(f"These settings give an output {side} of {out}; make the input larger, or the "
                                  "padding, kernel or dilation smaller, so that it is at least 1.")
        for name, value in (("d_in (input channels)", self.d_in), ("d_out (output channels)", self.d_out)):
            if float(value) != int(value):
                raise ConfigError(f"{name} must be a whole number; got {value!r}.")
            check_range(name, value, 1, MAX_CHANNELS)

    @property
    def out_size(self) -> Pair:
        """Output (height, width), per axis (torch's formulas):

        conv:            ⌊(n + 2p − d(k−1) − 1) / s⌋ + 1
        transposed conv: (n − 1)·s − 2p + d(k−1) + output_padding + 1
        """
        return tuple(  # type: ignore[return-value]
            conv_output_length(n, k, s, p, d) if not self.transposed else transposed_output_length(n, k, s, p, op, d)
            for n, k, s, p, op, d in zip(self.in_size, self.kernel, self.stride, self.padding, self.output_padding,
                                         self.dilation))

    @property
    def weight_count(self) -> int:
        """Learnable parameters: k1·k2·d_in·d_out weights + d_out biases (the same for both layers)."""
        return self.kernel[0] * self.kernel[1] * self.d_in * self.d_out + self.d_out

    @property
    def canvas_size(self) -> Pair:
        """The grid the picture draws: the padded input (conv) or the output before cropping (transposed).

        A transposed conv first writes (n−1)s + d(k−1) + 1 rows, then drops `padding` rows at each end;
        output_padding rows past that canvas (if any) only receive the bias.
        """
        if not self.transposed:
            return tuple(n + 2 * p for n, p in zip(self.in_size, self.padding))  # type: ignore[return-value]
        return tuple(full + max(0, op - p) for full, op, p in  # type: ignore[return-value]
                     zip(self._uncropped, self.output_padding, self.padding))

    @property
    def _uncropped(self) -> Pair:
        return tuple((n - 1) * s + d * (k - 1) + 1 for n, s, d, k in  # type: ignore[return-value]
                     zip(self.in_size, self.stride, self.dilation, self.kernel))

    def inverse(self) -> ConvLayer:
        """The other kind of layer, with the same k, s, p, d, that maps this output shape back to this input.

        conv → transposed: output_padding = (n + 2p − d(k−1) − 1) mod s restores the rows that the conv's
        floor dropped. transposed → conv: exact whenever output_padding < stride.
        """
        if self.transposed:
            return ConvLayer(False, self.out_size, self.kernel, self.stride, self.padding, (0, 0), self.dilation,
                             self.d_out, self.d_in)
        extra = tuple((n + 2 * p - d * (k - 1) - 1) % s for n, p, d, k, s in
                      zip(self.in_size, self.padding, self.dilation, self.kernel, self.stride))
        return ConvLayer(True, self.out_size, self.kernel, self.stride, self.padding, extra, self.dilation,
                         self.d_out, self.d_in)

    def to_torch(self) -> nn.Module:
        """The matching torch module (used by the tests to check the arithmetic)."""
        kw = dict(kernel_size=self.kernel, stride=self.stride, padding=self.padding, dilation=self.dilation)
        if self.transposed:
            return nn.ConvTranspose2d(self.d_in, self.d_out, output_padding=self.output_padding, **kw)
        return nn.Conv2d(self.d_in, self.d_out, **kw)


def conv_output_length(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    """⌊(n + 2p − d(k−1) − 1) / s⌋ + 1: positions of a kernel of reach d(k−1)+1 sliding by s over n+2p cells."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def transposed_output_length(n: int, k: int, s: int = 1, p: int = 0, op: int = 0, d: int = 1) -> int:
    """(n − 1)·s − 2p + d(k−1) + op + 1: input cells placed s apart in the output, each stamping a kernel."""
    return (n - 1) * s - 2 * p + d * (k - 1) + op + 1


def _axis_taps(n: int, k: int, s: int, d: int) -> np.ndarray:
    """Canvas positions i·s + a·d for every cell i < n and tap a < k, shape (n, k)."""
    return np.arange(n)[:, None] * s + np.arange(k)[None, :] * d


def cell_count(layer: ConvLayer) -> int:
    """How many cells the step-through walks over: input cells (transposed) or output cells (conv)."""
    h, w = layer.in_size if layer.transposed else layer.out_size
    return h * w


def footprint(layer: ConvLayer, cell: int) -> np.ndarray:
    """Boolean canvas mask of the cells linked to step `cell` (row-major index).

    transposed: the output cells (before cropping) that input cell `cell` writes to — a k1×k2 stamp at
    (i·s, j·s), taps d apart. conv: the padded-input cells that output cell `cell` reads.
    """
    steps_h, steps_w = layer.in_size if layer.transposed else layer.out_size
    if not 0 <= cell < steps_h * steps_w:
        raise ConfigError(f"Cell must be between 0 and {steps_h * steps_w - 1}; got {cell}.")
    i, j = divmod(cell, steps_w)
    mask = np.zeros(layer.canvas_size, dtype=bool)
    rows = i * layer.stride[0] + np.arange(layer.kernel[0]) * layer.dilation[0]
    cols = j * layer.stride[1] + np.arange(layer.kernel[1]) * layer.dilation[1]
    mask[np.ix_(rows, cols)] = True
    return mask


def overlap_counts(layer: ConvLayer) -> np.ndarray:
    """How many (cell, kernel tap) pairs land on each canvas cell, shape `canvas_size`, ints.

    transposed: contributions summed into each output cell — uneven (a checkerboard) when s does not
    divide d·k. conv: how many output cells read each padded-input cell (the transposed conv of ones:
    the two layers are each other's adjoint). Separable, so it is the outer product of two 1-D counts.
    """
    steps = layer.in_size if layer.transposed else layer.out_size
    per_axis = [np.bincount(_axis_taps(n, k, s, d).ravel(), minlength=size)[:size]
                for n, k, s, d, size in zip(steps, layer.kernel, layer.stride, layer.dilation, layer.canvas_size)]
    return np.outer(per_axis[0], per_axis[1])


def interior_overlap_range(layer: ConvLayer) -> tuple[int, int] | None:
    """(fewest, most) contributions to a transposed conv's output cells away from the borders, or None.

    The interior is where every kernel tap can land (d(k−1) ≤ x ≤ (n−1)s on each axis), so border
    effects do not count: min < max there is the checkerboard, which happens when the taps' offsets
    a·d (a < k) do not cover the residues mod s evenly — e.g. k = 3, s = 2; k = 4, s = 2 is even.
    """
    ranges = []
    for n, k, s, d in zip(layer.in_size, layer.kernel, layer.stride, layer.dilation):
        counts = np.bincount(_axis_taps(n, k, s, d).ravel())[d * (k - 1):(n - 1) * s + 1]
        if counts.size == 0:
            return None
        ranges.append((int(counts.min()), int(counts.max())))
    return ranges[0][0] * ranges[1][0], ranges[0][1] * ranges[1][1]


def kept_mask(layer: ConvLayer) -> np.ndarray:
    """Boolean canvas mask: True where a cell survives into the output (transposed) or is real input (conv).

    transposed: output = uncropped[p : p + n_out] — padding removes p rows/columns at each side and
    output_padding adds rows back at the bottom/right. conv: the original cells inside the zero padding.
    """
    mask = np.zeros(layer.canvas_size, dtype=bool)
    n = layer.out_size if layer.transposed else layer.in_size
    p = layer.padding
    mask[p[0]:p[0] + n[0], p[1]:p[1] + n[1]] = True
    return mask


# =====================================================================================================
# 2. The Gaussian generator x = A z, A Aᵀ = Σ
# =====================================================================================================

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


# =====================================================================================================
# 3. A toy 2-D GAN
# =====================================================================================================

TARGETS = ("ring", "grid", "line", "moons", "custom")
GAN_LOSSES = ("saturating", "non-saturating", "least-squares", "wgan-gp")
OPTIMIZERS = ("adam", "sgd")
CANVAS = 3.0  # the canvas is [−3, 3]²; targets live inside [−2.2, 2.2]²
RING_MODES, RING_RADIUS, RING_STD = 8, 2.0, 0.1
GRID_SIDE, GRID_STD = 5, 0.06
CUSTOM_JITTER = 0.05
MAX_CUSTOM_POINTS = 20_000


@dataclass(frozen=True)
class TargetDistribution:
    """A 2-D point cloud to imitate: a sampler, and the mixture's centres when it has modes."""

    name: str
    modes: Tensor | None = None  # (M, 2) centres of a Gaussian mixture
    std: float = 0.0  # per-coordinate std around a centre (or jitter around custom points)
    points: Tensor | None = None  # custom: the user's points, rescaled into the canvas

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        """n points, float32, drawn with `generator` (vectorised; no Python loop over points)."""
        if self.modes is not None:
            pick = torch.randint(len(self.modes), (n,), generator=generator)
            return (self.modes[pick] + self.std * torch.randn(n, 2, generator=generator)).float()
        if self.points is not None:
            pick = torch.randint(len(self.points), (n,), generator=generator)
            return self.points[pick] + self.std * torch.randn(n, 2, generator=generator)
        if self.name == "line":
            t = torch.rand(n, 1, generator=generator) * 2 - 1
            return t * torch.tensor([2.0, 1.0]) + 0.03 * torch.randn(n, 2, generator=generator)
        # two moons (as scikit-learn's make_moons), centred and scaled into the canvas
        t = torch.rand(n, generator=generator) * math.pi
        upper = torch.rand(n, generator=generator) < 0.5
        x = torch.where(upper, t.cos(), 1 - t.cos())
        y = torch.where(upper, t.sin(), 0.5 - t.sin())
        pts = torch.stack([x - 0.5, y - 0.25], 1) * 1.6
        return pts + 0.06 * torch.randn(n, 2, generator=generator)


def target_distribution(name: str, custom_points: Tensor | np.ndarray | None = None) -> TargetDistribution:
    """ring: 8 Gaussians on a circle of radius 2; grid: 5×5 Gaussians; line; moons; custom: your points."""
    check_choice("Target distribution", name, TARGETS)
    if name == "ring":
        angle = torch.arange(RING_MODES, dtype=torch.float32) * (2 * math.pi / RING_MODES)
        return TargetDistribution(name, RING_RADIUS * torch.stack([angle.cos(), angle.sin()], 1), RING_STD)
    if name == "grid":
        ticks = torch.linspace(-2, 2, GRID_SIDE)
        return TargetDistribution(name, torch.cartesian_prod(ticks, ticks), GRID_STD)
    if name == "custom":
        if custom_points is None or len(custom_points) == 0:
            raise DataFormatError("Draw your own needs points: upload a CSV with x and y columns or select points "
                                  "on the drawing canvas.")
        return TargetDistribution(name, std=CUSTOM_JITTER, points=fit_to_canvas(torch.as_tensor(custom_points)))
    return TargetDistribution(name)


def fit_to_canvas(points: Tensor, half_width: float = 2.0) -> Tensor:
    """Centre the points and scale them (same factor on both axes) to fit [−half_width, half_width]²."""
    pts = points.float()
    lo, hi = pts.min(0).values, pts.max(0).values
    span = float((hi - lo).max())
    return (pts - (lo + hi) / 2) * (2 * half_width / span if span > 0 else 1.0)


def points_from_csv(data: bytes | str) -> Tensor:
    """The (x, y) points of a CSV: columns named x and y, else its first two numeric columns.

    Rows with a missing or non-numeric value are dropped; at least 3 points and at most 20,000 are allowed.
    """
    import pandas as pd

    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    try:
        frame = pd.read_csv(io.StringIO(text), sep=None, engine="python")
    except Exception:  # pandas raises many types for a file that is not a table
        raise DataFormatError("That file is not a readable CSV; it needs two numeric columns x,y "
                              "(one point per row).") from None
    if all(_is_number(c) for c in frame.columns):  # no header: the first row is data
        frame = pd.read_csv(io.StringIO(text), sep=None, engine="python", header=None)
    lower = {str(c).strip().lower(): c for c in frame.columns}
    if "x" in lower and "y" in lower:
        columns = [lower["x"], lower["y"]]
    else:
        numeric = [c for c in frame.columns if pd.to_numeric(frame[c], errors="coerce").notna().mean() > 0.5]
        if len(numeric) < 2:
            raise DataFormatError(f"The CSV needs two numeric columns (x and y); it has {len(numeric)} "
                                  f"among {len(frame.columns)} column(s).")
        columns = numeric[:2]
    values = frame[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    values = values[np.isfinite(values).all(1)]
    if not 3 <= len(values) <= MAX_CUSTOM_POINTS:
        raise DataFormatError(f"The CSV must have between 3 and {MAX_CUSTOM_POINTS:,} rows of numeric x,y; "
                              f"it has {len(values)}.")
    return torch.from_numpy(values).float()


def _is_number(text: object) -> bool:
    try:
        float(str(text))
        return True
    except ValueError:
        return False


# ----- 2-D GAN losses: the standard ones live in genviz.autoencoders.losses; least squares is added here -------


def least_squares_discriminator_loss(real_out: Tensor, fake_out: Tensor) -> Tensor:
    """L_D = ½ E_x[(D(x) − 1)²] + ½ E_z[D(G(z))²] (Mao et al. 2017, LSGAN with a=0, b=c=1); D has no sigmoid."""
    return 0.5 * ((real_out - 1) ** 2).mean() + 0.5 * (fake_out ** 2).mean()


def least_squares_generator_loss(fake_out: Tensor) -> Tensor:
    """L_G = ½ E_z[(D(G(z)) − 1)²]: pulls fakes towards where D says "real", even far from the boundary."""
    return 0.5 * ((fake_out - 1) ** 2).mean()


def discriminator_loss(kind: str, real_out: Tensor, fake_out: Tensor) -> Tensor:
    """D's loss for a GAN loss kind (the gradient penalty of wgan-gp is added by the caller)."""
    if kind in ("saturating", "non-saturating"):
        return objectives.gan_discriminator_loss(real_out, fake_out)
    if kind == "least-squares":
        return least_squares_discriminator_loss(real_out, fake_out)
    return objectives.wasserstein_critic_loss(real_out, fake_out)


def generator_loss(kind: str, fake_out: Tensor) -> Tensor:
    """G's loss for a GAN loss kind: log(1 − D), −log D, ½(D − 1)², or −C(G(z)), batch mean."""
    if kind in ("saturating", "non-saturating"):
        return objectives.gan_generator_loss(fake_out, kind)
    if kind == "least-squares":
        return least_squares_generator_loss(fake_out)
    return objectives.wasserstein_generator_loss(fake_out)


@dataclass(frozen=True)
class Gan2dConfig:
    """Everything the 2-D GAN lab can set. Fields in `ARCHITECTURE` rebuild it; the rest change it live."""

    target: str = "ring"
    g_layers: int = 2
    g_width: int = 64
    d_layers: int = 2
    d_width: int = 64
    activation: str = "relu"
    loss: str = "non-saturating"
    g_optimizer: str = "adam"
    g_lr: float = 3e-3
    d_optimizer: str = "adam"
    d_lr: float = 3e-3
    d_steps: int = 1
    batch_size: int = 128
    gp_weight: float = 0.1
    seed: int = 0

    ARCHITECTURE = ("target", "g_layers", "g_width", "d_layers", "d_width", "activation", "seed")

    def __post_init__(self) -> None:
        check_choice("Target distribution", self.target, TARGETS)
        check_choice("Loss", self.loss, GAN_LOSSES)
        check_choice("Activation", self.activation, [a for a in ACTIVATIONS if a != "none (linear)"])
        for who in ("g", "d"):
            label = "Generator" if who == "g" else "Discriminator"
            check_range(f"{label} hidden layers", getattr(self, f"{who}_layers"), 1, 6)
            check_range(f"{label} width", getattr(self, f"{who}_width"), 2, 512)
            check_choice(f"{label} optimiser", getattr(self, f"{who}_optimizer"), OPTIMIZERS)
            check_range(f"{label} learning rate", getattr(self, f"{who}_lr"), 1e-6, 1.0)
        check_range("D steps per G step", self.d_steps, 1, 10)
        check_range("Batch size", self.batch_size, 8, 2048)
        check_range("Gradient-penalty weight λ", self.gp_weight, 0.0, 100.0)

    def rebuild_needed(self, other: Gan2dConfig) -> bool:
        return any(getattr(self, f) != getattr(other, f) for f in self.ARCHITECTURE)


class Gan2dMetrics(NamedTuple):
    """One row of the metrics chart (losses are the last step's; the rest measured on fixed samples)."""

    step: int  # G steps so far
    d_step: int  # D steps so far
    d_loss: float
    g_loss: float
    kl: float  # KL(real ‖ fake) in bits over a histogram grid
    js: float  # Jensen–Shannon divergence in bits, 0 … 1
    modes_covered: int | None
    n_modes: int | None
    quality: float | None  # fraction of fakes within 3σ of some mode
    grad_norm: float  # mean ‖∇_x L_G‖ over the displayed fakes (× batch size: per sample)


class Gan2dFrame(NamedTuple):
    """What the canvas draws at one moment; plain numpy, safe to hand to the UI thread."""

    real: np.ndarray  # (n, 2)
    fake: np.ndarray  # (n, 2)
    arrows: np.ndarray  # (n, 2) −∇_x L_G per fake, scaled so the longest is ARROW_LENGTH
    warped: np.ndarray  # (lines, points, 2): G applied to a grid in z-space
    heat: np.ndarray  # (res, res) D's output on the grid HEAT_AXIS × HEAT_AXIS (row = y)
    heat_label: str  # "D(x) = P(real)" or the raw score's name
    metrics: Gan2dMetrics
    loss: str


HEAT_RES = 40
HEAT_AXIS = np.linspace(-CANVAS, CANVAS, HEAT_RES)
SHOW_POINTS = 250
EVAL_POINTS = 1000
ARROW_LENGTH = 0.5
DIVERGENCE_BINS = 24


def grid_divergences(real: Tensor, fake: Tensor, extent: float = CANVAS, bins: int = DIVERGENCE_BINS,
                     eps: float = 1e-4) -> tuple[float, float]:
    """KL(p ‖ q) and JS(p, q) in bits between 2-D histograms of real (p) and fake (q) points.

    p, q are bin frequencies on a bins×bins grid over [−extent, extent]², floored at eps and
    renormalised (as GAN Lab does on its grid). KL = Σ p log₂(p/q); JS = ½ KL(p‖m) + ½ KL(q‖m), m = (p+q)/2,
    which lies in [0, 1] bit.
    """
    def hist(x: Tensor) -> Tensor:
        idx = ((x.double() + extent) / (2 * extent) * bins).floor().long().clamp(0, bins - 1)
        counts = torch.bincount(idx[:, 0] * bins + idx[:, 1], minlength=bins * bins).double()
        probs = counts / counts.sum() + eps
        return probs / probs.sum()

    p, q = hist(real), hist(fake)
    m = (p + q) / 2
    kl = float((p * (p / q).log2()).sum())
    js = float(0.5 * (p * (p / m).log2()).sum() + 0.5 * (q * (q / m).log2()).sum())
    return kl, js


def modes_covered(fake: Tensor, modes: Tensor, std: float, min_fraction: float = 0.008) -> tuple[int, float]:
    """(modes with ≥ min_fraction of the fakes within 3σ of their centre, fraction of fakes within 3σ of any).

    The threshold follows the 2-D mixture benchmarks of Srivastava et al. (VEEGAN, 2017): 20 of 2,500 samples.
    """
    dist = torch.cdist(fake.double(), modes.double())  # (n, M), vectorised
    nearest, which = dist.min(1)
    close = nearest <= 3 * std
    per_mode = torch.bincount(which[close], minlength=len(modes))
    return int((per_mode >= max(1, math.ceil(min_fraction * len(fake)))).sum()), float(close.double().mean())


def _optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(0.5, 0.9))  # the usual GAN setting (Radford et al.)
    return torch.optim.SGD(params, lr=lr)


class Gan2dLab:
    """A 2-D GAN you can step: G: z ∈ R² → R² and D: R² → R are MLPs trained on a target cloud.

    The worker thread (`run`) and button presses (`step_*`) both take `lock` around every change, so
    settings applied live never meet a half-done step. Everything the UI reads is a `Gan2dFrame`.
    """

    def __init__(self, config: Gan2dConfig, custom_points: Tensor | None = None):
        self.lock = threading.RLock()
        self.custom_points = custom_points
        self.target = target_distribution(config.target, custom_points)
        self.config = config
        act = ACTIVATIONS[config.activation]
        with torch.random.fork_rng(devices=[]):  # nn.Linear's default init draws from the global generator
            torch.manual_seed(config.seed)
            self.generator = mlp([2] + [config.g_width] * config.g_layers + [2], activation=act)
            self.discriminator = mlp([2] + [config.d_width] * config.d_layers + [1], activation=act)
        self.batches = torch.Generator().manual_seed(config.seed + 1)
        fixed = torch.Generator().manual_seed(config.seed + 2)
        self.z_show = torch.randn(SHOW_POINTS, 2, generator=fixed)
        self.z_eval = torch.randn(EVAL_POINTS, 2, generator=fixed)
        self.real_show = self.target.sample(SHOW_POINTS, fixed)
        self.real_eval = self.target.sample(4 * EVAL_POINTS, fixed)
        self.lines = grid_lines(2.0, 9, 25, dtype=torch.float32)
        self._make_optimizers()
        self.g_steps = self.d_steps_done = 0
        self.last_d_loss = self.last_g_loss = float("nan")
        self.history: list[Gan2dMetrics] = []
        self.speed = 20.0  # training steps per second while playing
        self.max_speed = False
        self.last_frame: Gan2dFrame | None = None
        self.last_seen = time.monotonic()

    def _make_optimizers(self) -> None:
        c = self.config
        self.opt_g = _optimizer(c.g_optimizer, self.generator.parameters(), c.g_lr)
        self.opt_d = _optimizer(c.d_optimizer, self.discriminator.parameters(), c.d_lr)

    def apply(self, config: Gan2dConfig) -> None:
        """Change loss, optimisers, learning rates, D steps or batch size in place (the run continues)."""
        if config.rebuild_needed(self.config):
            raise ConfigError("Target, network sizes, activation and seed need a new lab (press Reset).")
        with self.lock:
            old, self.config = self.config, config
            if (old.g_optimizer, old.d_optimizer) != (config.g_optimizer, config.d_optimizer):
                self._make_optimizers()
            for opt, lr in ((self.opt_g, config.g_lr), (self.opt_d, config.d_lr)):
                for group in opt.param_groups:
                    group["lr"] = lr

    def _noise(self, n: int) -> Tensor:
        return torch.randn(n, 2, generator=self.batches)

    def step_discriminator(self) -> float:
        """One D update on a fresh real batch and a fresh fake batch (G frozen)."""
        with self.lock:
            c = self.config
            real = self.target.sample(c.batch_size, self.batches)
            with torch.no_grad():
                fake = self.generator(self._noise(c.batch_size))
            loss = discriminator_loss(c.loss, self.discriminator(real), self.discriminator(fake))
            if c.loss == "wgan-gp" and c.gp_weight > 0:
                mix = torch.rand(c.batch_size, generator=self.batches)
                loss = loss + objectives.gradient_penalty(self.discriminator, real, fake, c.gp_weight, mix=mix)
            self.opt_d.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_d.step()
            self.d_steps_done += 1
            self.last_d_loss = self._check(loss, "discriminator")
            return self.last_d_loss

    def step_generator(self) -> float:
        """One G update against the current D (D's weights are not changed)."""
        with self.lock:
            c = self.config
            loss = generator_loss(c.loss, self.discriminator(self.generator(self._noise(c.batch_size))))
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_g.step()
            self.discriminator.zero_grad(set_to_none=True)
            self.g_steps += 1
            self.last_g_loss = self._check(loss, "generator")
            return self.last_g_loss

    def step(self) -> tuple[float, float]:
        """One training step: `d_steps` D updates, then one G update."""
        with self.lock:
            for _ in range(self.config.d_steps):
                self.step_discriminator()
            return self.last_d_loss, self.step_generator()

    @staticmethod
    def _check(loss: Tensor, who: str) -> float:
        value = float(loss.detach())
        if not math.isfinite(value):
            raise TrainingDiverged(f"The {who} loss became {value}; lower the learning rates (or use Adam) and "
                                   "press Reset.")
        return value

    def metrics(self) -> Gan2dMetrics:
        """Divergences and modes on fixed samples (the same z every time, so numbers are comparable)."""
        with self.lock, torch.no_grad():
            fake = self.generator(self.z_eval)
        kl, js = grid_divergences(self.real_eval, fake)
        covered = quality = n_modes = None
        if self.target.modes is not None:
            covered, quality = modes_covered(fake, self.target.modes, self.target.std)
            n_modes = len(self.target.modes)
        return Gan2dMetrics(self.g_steps, self.d_steps_done, self.last_d_loss, self.last_g_loss, kl, js, covered,
                            n_modes, quality, 0.0)

    def frame(self, record: bool = True) -> Gan2dFrame:
        """Everything the canvas shows now (also kept as `last_frame`); with `record`, metrics go to `history`."""
        with self.lock:
            c = self.config
            with torch.no_grad():
                xy = torch.from_numpy(np.stack(np.meshgrid(HEAT_AXIS, HEAT_AXIS), -1).reshape(-1, 2)).float()
                out = self.discriminator(xy).reshape(HEAT_RES, HEAT_RES)
                warped = warp_lines(self.generator, self.lines)
            probability = c.loss in ("saturating", "non-saturating")
            heat = (out.sigmoid() if probability else out).numpy()
            fake = self.generator(self.z_show).detach().requires_grad_(True)
            # the mean loss's gradient is (1/B)·∂ℓ_i/∂x_i for each fake; ×B gives the per-sample gradient
            (grad,) = torch.autograd.grad(generator_loss(c.loss, self.discriminator(fake)), fake)
            self.discriminator.zero_grad(set_to_none=True)
            push = -grad * len(fake)
            norms = push.norm(dim=1)
            scale = ARROW_LENGTH / float(norms.max()) if float(norms.max()) > 0 else 0.0
            metrics = self.metrics()._replace(grad_norm=float(norms.mean()))
            if record:
                self.history.append(metrics)
            label = "D(x) = P(real)" if probability else ("critic score C(x)" if c.loss == "wgan-gp" else "D(x)")
            self.last_frame = Gan2dFrame(self.real_show.numpy(), fake.detach().numpy(), (push * scale).numpy(),
                                         warped, heat, label, metrics, c.loss)
            return self.last_frame

    def seen(self) -> None:
        """The UI drew a frame just now (see `run`'s idle_stop_s)."""
        self.last_seen = time.monotonic()

    def run(self, stop: threading.Event, frames_per_second: float = 5.0,
            idle_stop_s: float | None = None) -> Iterator[Gan2dFrame]:
        """Train until `stop`, yielding a frame about `frames_per_second` times a second (or as fast as it can).

        `speed` (steps per second) and `max_speed` are read every frame, so the slider acts while playing.
        With `idle_stop_s`, the run ends by itself once nobody has called `seen()` for that long (the tab
        was closed or the user went to another page), so it never trains unwatched.
        """
        self.seen()
        while not stop.is_set():
            if idle_stop_s is not None and time.monotonic() - self.last_seen > idle_stop_s:
                return
            started = time.perf_counter()
            steps = 50 if self.max_speed else max(1, round(self.speed / frames_per_second))
            for _ in range(steps):
                self.step()
                if stop.is_set():
                    break
            yield self.frame()
            if not self.max_speed:
                stop.wait(max(0.0, steps / self.speed - (time.perf_counter() - started)))


def train_gan2d(config: Gan2dConfig, steps: int, *, every: int = 100) -> list[Gan2dMetrics]:
    """Train a fresh lab for `steps` G steps without a UI; metrics every `every` steps (and at step 0)."""
    lab = Gan2dLab(config)
    out = [lab.metrics()]
    for i in range(1, steps + 1):
        lab.step()
        if i % every == 0 or i == steps:
            out.append(lab.metrics())
    return out

