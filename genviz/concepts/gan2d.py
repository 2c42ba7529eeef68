"""A toy 2-D GAN: target point clouds, MLP generator and discriminator, one D or G step at a time.

Its losses come from the GAN family's one objective table (`genviz.gans.objectives`), as the image
GANs' do; this module adds what the canvas shows: the decision map, the warped noise grid, gradient
arrows, KL / JS on a histogram grid and the modes covered. Pure math, no Streamlit.
"""
from __future__ import annotations

import io
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from genviz.concepts.gaussian import ACTIVATIONS, grid_lines, warp_lines
from genviz.core.blocks import mlp
from genviz.core.config import check_choice, check_range
from genviz.core.errors import ConfigError, DataFormatError, TrainingDiverged
from genviz.core.train import seeded_build
from genviz.gans.objectives import Objective, gradient_penalty, objective

TARGETS = ("ring", "grid", "line", "moons", "custom")
# The four losses the lab offers, as rows of the GAN objective table (genviz.gans.objectives.OBJECTIVES).
GAN2D_OBJECTIVES = ("bce-saturating", "bce-non-saturating", "lsgan", "wgan-gp")
OPTIMIZERS = ("adam", "sgd")
CANVAS = 3.0  # the canvas is [−3, 3]²; targets live inside [−2.2, 2.2]²
RING_MODES, RING_RADIUS, RING_STD = 8, 2.0, 0.1
GRID_SIDE, GRID_STD = 5, 0.06
CUSTOM_JITTER = 0.05
MAX_CUSTOM_POINTS = 20_000
MAX_COORDINATE = 1e6  # |x|, |y| of uploaded points; far beyond it float32 turns them into inf, then NaN


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
    A coordinate that is infinite or beyond ±MAX_COORDINATE is refused, naming its row.
    """
    import pandas as pd

    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    try:
        frame = pd.read_csv(io.StringIO(text), sep=None, engine="python")
    except Exception:  # pandas raises many types for a file that is not a table
        raise DataFormatError("That file is not a readable CSV; it needs two numeric columns x,y "
                              "(one point per row).") from None
    header = not all(_is_number(c) for c in frame.columns)
    if not header:  # the first row is data
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
    too_large = ~np.isnan(values) & ~(np.abs(values) <= MAX_COORDINATE)  # ±inf, or finite but huge
    if too_large.any():
        row, col = np.argwhere(too_large)[0]
        where = f"row {row + 1}" + (" after the header" if header else "")
        name = str(columns[col]) if header else "xy"[col]
        raise DataFormatError(f"The CSV's {where} has {name} = {values[row, col]:g}: every coordinate must be "
                              f"a finite number between −{MAX_COORDINATE:,.0f} and {MAX_COORDINATE:,.0f} "
                              "(the points are rescaled to fit the canvas anyway).")
    values = values[~np.isnan(values).any(1)]
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


@dataclass(frozen=True)
class Gan2dConfig:
    """Everything the 2-D GAN lab can set. Fields in `ARCHITECTURE` rebuild it; the rest change it live."""

    target: str = "ring"
    g_layers: int = 2
    g_width: int = 64
    d_layers: int = 2
    d_width: int = 64
    activation: str = "relu"
    loss: str = "bce-non-saturating"  # a name in GAN2D_OBJECTIVES
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
        check_choice("Loss", self.loss, GAN2D_OBJECTIVES)
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

    @property
    def objective(self) -> Objective:
        """The objective-table row of `loss`: D and G losses, what D's score means, gradient penalty or not."""
        return objective(self.loss)

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
    loss: str  # the objective's name (a key of genviz.gans.objectives.OBJECTIVES)
    heat_mid: float | None = None  # the heat-map's neutral value; None: a probability, drawn on [0, 1]


# A raw score's neutral value where the objective fixes one: least squares pulls D towards 1 (real) and 0 (fake).
# Other raw scores (a critic's) are centred on their median over the canvas.
HEAT_MIDPOINT = {"lsgan": 0.5}
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
        # nn.Linear's default init draws from the global generator: build under the seeded lock
        self.generator, self.discriminator = seeded_build(lambda c: (
            mlp([2] + [c.g_width] * c.g_layers + [2], activation=act),
            mlp([2] + [c.d_width] * c.d_layers + [1], activation=act)), config, config.seed)
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
            loss = c.objective.d_loss(self.discriminator(real), self.discriminator(fake))
            if c.objective.gradient_penalty and c.gp_weight > 0:
                mix = torch.rand(c.batch_size, generator=self.batches)
                loss = loss + gradient_penalty(self.discriminator, real, fake, c.gp_weight, mix=mix)
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
            loss = c.objective.g_loss(self.discriminator(self.generator(self._noise(c.batch_size))))
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
            c, obj = self.config, self.config.objective
            with torch.no_grad():
                xy = torch.from_numpy(np.stack(np.meshgrid(HEAT_AXIS, HEAT_AXIS), -1).reshape(-1, 2)).float()
                out = self.discriminator(xy).reshape(HEAT_RES, HEAT_RES)
                warped = warp_lines(self.generator, self.lines)
            heat = obj.score(out).numpy()
            fake = self.generator(self.z_show).detach().requires_grad_(True)
            # the mean loss's gradient is (1/B)·∂ℓ_i/∂x_i for each fake; ×B gives the per-sample gradient
            (grad,) = torch.autograd.grad(obj.g_loss(self.discriminator(fake)), fake)
            self.discriminator.zero_grad(set_to_none=True)
            push = -grad * len(fake)
            norms = push.norm(dim=1)
            scale = ARROW_LENGTH / float(norms.max()) if float(norms.max()) > 0 else 0.0
            metrics = self.metrics()._replace(grad_norm=float(norms.mean()))
            if record:
                self.history.append(metrics)
            if obj.probability:
                label, mid = "D(x) = P(real)", None
            else:  # an unbounded critic (no "D has won" point) is a critic score, not a D(x)
                label = "D(x)" if obj.collapse_on else "critic score C(x)"
                mid = HEAT_MIDPOINT.get(obj.name, float(np.median(heat)))
            self.last_frame = Gan2dFrame(self.real_show.numpy(), fake.detach().numpy(), (push * scale).numpy(),
                                         warped, heat, label, metrics, c.loss, mid)
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

