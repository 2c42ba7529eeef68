"""The experiments behind the autoencoder pages: denoising PSNR, code sparsity, active units, ELBO
per image, posterior draws, interpolation, 2-D manifolds, prior-sample scores, bottleneck curves.

Pure functions of models and tensors (no Streamlit); models are used read-only, under inference mode.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any, Iterator, NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from genviz.autoencoders import losses
from genviz.autoencoders.models import corrupt, prior_log_density, sample_prior
from genviz.core import latent, registry
from genviz.core.data import ImageData
from genviz.core.scoring import SampleScores, score_samples
from genviz.core.train import TensorSplit, TrainParams, batched, fit, seeded_build


def psnr(x: Tensor, y: Tensor) -> Tensor:
    """Peak signal-to-noise ratio per image, pixels in [0, 1]: PSNR = 10 log₁₀(1 / MSE) dB (higher = cleaner)."""
    mse = (x - y).pow(2).flatten(1).mean(1).clamp_min(1e-10)
    return 10 * torch.log10(1.0 / mse)


def bce_floor(x: Tensor) -> float:
    """The lowest BCE any model can reach on grey pixels: Σ_p H(x_p) nats per image (0 for binary images)."""
    p = x.double().clamp(0, 1)  # 0 log 0 = 0: no clamp away from 0 and 1, which would raise the floor
    return float((-(torch.special.xlogy(p, p) + torch.special.xlogy(1 - p, 1 - p))).flatten(1).sum(1).mean())


def different_class_pair(labels: Tensor, first: int = 0) -> tuple[int, int]:
    """`first` and the next index after it whose label differs (a 6 → 0, not a 6 → 6): the default ends
    of an interpolation. Falls back to `first + 1` when every label is the same."""
    y = labels.detach().cpu()
    later = (y[first + 1:] != y[first]).nonzero()
    return first, (first + 1 + int(later[0])) if len(later) else min(first + 1, len(y) - 1)


@torch.inference_mode()
def encode_all(model: nn.Module, x: Tensor, batch_size: int = 1000) -> Tensor:
    """Deterministic codes (N, d) of `x` (μ for a VAE)."""
    return torch.cat(list(batched(lambda b: model.encode(b), (x,), batch_size)))


# ---- denoising ------------------------------------------------------------------------------


class DenoisingResult(NamedTuple):
    clean: Tensor  # (n, C, H, W)
    noisy: Tensor
    outputs: dict[str, Tensor]  # model name -> reconstruction of the noisy input
    psnr: dict[str, float]  # "noisy input" and each model name -> mean PSNR (dB) against the clean images


@torch.inference_mode()
def denoise(models: dict[str, nn.Module], x: Tensor, noise: str, level: float, generator: torch.Generator) -> DenoisingResult:
    """Corrupt `x` once and let every model reconstruct the same noisy images."""
    noisy = corrupt(x, noise, level, generator)
    outputs = {name: m.reconstruct(noisy) for name, m in models.items()}
    scores = {"noisy input": float(psnr(noisy, x).mean())}
    scores.update({name: float(psnr(out, x).mean()) for name, out in outputs.items()})
    return DenoisingResult(x, noisy, outputs, scores)


def psnr_vs_noise(models: dict[str, nn.Module], x: Tensor, noise: str, levels: list[float], seed: int) -> dict[str, list[float]]:
    """Mean PSNR of the noisy input and of each model's output at each noise level (same noise per level)."""
    curves: dict[str, list[float]] = {}
    for level in levels:
        result = denoise(models, x, noise, level, torch.Generator(device=x.device).manual_seed(seed))
        for name, value in result.psnr.items():
            curves.setdefault(name, []).append(value)
    return curves


# ---- sparsity -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeStats:
    codes: np.ndarray  # (N, d) code activations on held-out images
    unit_means: np.ndarray  # (d,) ρ̂_j, mean activation of each unit
    near_zero: float  # fraction of all codes with |z| < threshold
    threshold: float  # absolute threshold used = rel_threshold × max |z|
    dead_units: int  # units that never exceed the threshold


def code_statistics(model: nn.Module, x: Tensor, rel_threshold: float = 0.05) -> CodeStats:
    """How sparse a model's codes are: |z| below `rel_threshold` × the largest |z| seen counts as zero."""
    z = encode_all(model, x).float().cpu()
    threshold = rel_threshold * float(z.abs().max().clamp_min(1e-12))
    small = z.abs() < threshold
    return CodeStats(z.numpy(), z.mean(0).numpy(), float(small.float().mean()), threshold,
                     int(small.all(0).sum()))


# ---- VAE inside -----------------------------------------------------------------------------


@torch.inference_mode()
def elbo_per_image(model: nn.Module, x: Tensor, generator: torch.Generator, beta: float = 1.0) -> losses.ELBOTerms:
    """−ELBO per image split into reconstruction and KL (one z sample each), nats."""
    out = model(x, generator)
    return losses.elbo_loss(out.recon_logits, x, out.mu, out.logvar, beta, "bce", reduction="none")


@torch.inference_mode()
def active_units(model: nn.Module, x: Tensor, threshold: float = 0.01) -> tuple[int, np.ndarray]:
    """Active units (Burda et al. 2016): unit u is active when Cov_x(E_q[z_u]) = Var_x(μ_u(x)) > threshold.

    Returns the count and each unit's variance; inactive units carry no information (posterior collapse).
    """
    mu = encode_all(model, x).float()
    var = mu.var(0).cpu().numpy()
    return int((var > threshold).sum()), var


@torch.inference_mode()
def posterior_draws(model: nn.Module, x: Tensor, n: int, generator: torch.Generator) -> Tensor:
    """Decode n draws z ~ q(z|x) for one image x (1, C, H, W): the VAE's uncertainty about x."""
    q = model.posterior(x)
    mu, logvar = q.mu.expand(n, -1), q.logvar.expand(n, -1)
    z = type(q)(mu, logvar).sample(generator)
    return model.decode(z)


# ---- latent space ---------------------------------------------------------------------------


@torch.inference_mode()
def interpolate(model: nn.Module, xa: Tensor, xb: Tensor, steps: int, mode: str = "linear") -> Tensor:
    """Decode the path between the codes of two images (1, C, H, W) each → (steps, C, H, W)."""
    za, zb = model.encode(xa)[0], model.encode(xb)[0]
    path = latent.interpolate(za, zb, steps, mode)
    return model.decode(path)


def latent_extent(codes: np.ndarray, margin: float = 0.1) -> tuple[float, float, float, float]:
    """(xmin, xmax, ymin, ymax) around the 1st–99th percentile of 2-D codes, with a margin."""
    lo, hi = np.percentile(codes, 1, axis=0), np.percentile(codes, 99, axis=0)
    pad = margin * (hi - lo + 1e-6)
    return float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1])


@torch.inference_mode()
def manifold_grid(model: nn.Module, extent: tuple[float, float, float, float], n: int = 15) -> Tensor:
    """Decode an n×n grid of 2-D codes over `extent`; row 0 is the top (largest z₂) → (n², C, H, W)."""
    x0, x1, y0, y1 = extent
    device = next(model.parameters()).device
    xs = torch.linspace(x0, x1, n, device=device)
    ys = torch.linspace(y1, y0, n, device=device)
    grid = torch.stack(torch.meshgrid(ys, xs, indexing="ij")[::-1], -1).reshape(-1, 2)  # (n², 2) as (z1, z2)
    return model.decode(grid)


def prior_density(prior: str, extent: tuple[float, float, float, float], n: int = 80) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, p(z) on the grid (n, n)) of a 2-D prior, for contour lines."""
    x0, x1, y0, y1 = extent
    xs, ys = torch.linspace(x0, x1, n), torch.linspace(y0, y1, n)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    logp = prior_log_density(prior, torch.stack([gx.reshape(-1), gy.reshape(-1)], 1)).reshape(n, n)
    return xs.numpy(), ys.numpy(), logp.exp().numpy()


# ---- sampling from the prior ----------------------------------------------------------------


@torch.inference_mode()
def prior_samples(model: nn.Module, n: int, generator: torch.Generator, prior: str | None = None) -> Tensor:
    """Decode n draws from `prior` ("gaussian" = N(0, I)); None = the model's own prior."""
    if prior is None:
        return model.sample(n, generator)

    device = next(model.parameters()).device
    return model.decode(sample_prior(prior, n, model.config.latent_dim, generator, device))


def score_prior_samples(model: nn.Module, scorer: nn.Module, real: Tensor, n: int, seed: int,
                        prior: str | None = None, real_features: Tensor | None = None) -> tuple[Tensor, SampleScores]:
    """n decoded prior samples and their classifier scores against `real` images (pass the real images'
    classifier features as `real_features` to skip recomputing them)."""
    samples = prior_samples(model, n, torch.Generator(device=real.device).manual_seed(seed), prior)
    return samples, score_samples(scorer, samples, real, real_features=real_features)


# ---- the aggregate posterior q(z) against the prior p(z) -------------------------------------


@torch.inference_mode()
def aggregate_posterior(model: nn.Module, x: Tensor, generator: torch.Generator) -> Tensor:
    """Draws (N, d) from q(z) = E_x q(z|x) over the images x: the codes E(x) of a deterministic encoder,
    one z ~ q(z|x) per image for a VAE."""
    if hasattr(model, "posterior"):
        return torch.cat([model.posterior(b).sample(generator) for b in x.split(1000)])
    return encode_all(model, x)


def rbf_mmd2(kernel: Tensor, first: Tensor) -> Tensor:
    """Unbiased MMD² (Gretton et al., JMLR 2012, eq. 3) from the pooled kernel matrix (N, N) with unit
    diagonal, for each row of the boolean mask `first` (P, N) saying which points form the first sample."""
    a = first.to(kernel.dtype)
    b = 1 - a
    n, m = a.sum(1), b.sum(1)
    kaa = ((a @ kernel) * a).sum(1) - n  # Σ_{i≠j} k(x_i, x_j): the diagonal k(x, x) = 1 taken out
    kbb = ((b @ kernel) * b).sum(1) - m
    kab = ((a @ kernel) * b).sum(1)
    return kaa / (n * (n - 1)) + kbb / (m * (m - 1)) - 2 * kab / (n * m)


@dataclass(frozen=True)
class PriorMatch:
    """How far the aggregate posterior q(z) is from the prior p(z): RBF-kernel MMD² with a permutation test."""

    n: int  # codes (and as many prior draws)
    mmd2: float  # q(z) vs p(z)
    reference: float  # two independent prior samples of the same size: what "no difference" measures
    p_value: float  # (1 + #permutations with MMD² ≥ observed) / (1 + permutations)
    permutations: int
    bandwidth: float  # σ of k(z, z') = exp(−‖z − z'‖² / 2σ²): the median pairwise distance of the pooled points
    ks_max: float  # largest per-dimension Kolmogorov–Smirnov distance of the codes to the prior's marginal (gaussian)

    @property
    def matched(self) -> bool:
        """The permutation test cannot tell codes from prior draws at the 5 % level."""
        return self.p_value >= 0.05

    def verdict(self, name: str = "q(z)") -> str:
        """One sentence that follows the numbers."""
        numbers = (f"MMD² = {self.mmd2:.4f} between {self.n:,} codes of test images and {self.n:,} prior draws "
                   f"(two prior samples: {self.reference:+.4f}; permutation p = {self.p_value:.2g})")
        if self.matched:
            return f"{name} is pushed to the prior: the test cannot tell the codes from prior draws — {numbers}."
        if self.mmd2 < 0.02:
            return (f"{name} is close to the prior but still distinguishable with this many points — {numbers}; "
                    "prior draws in the remaining gaps decode to unclear images.")
        return (f"{name} is not matched to the prior — {numbers}, far above what two prior samples give: "
                "many prior draws land where no code of a real image lies.")

    def to_metrics(self) -> dict[str, float]:
        return {"prior_mmd2": self.mmd2, "prior_mmd2_reference": self.reference, "prior_mmd_p": self.p_value,
                "prior_ks_max": self.ks_max}


def _ks_to_standard_normal(z: Tensor) -> float:
    """max_j sup_t |F̂_j(t) − Φ(t)| over the dimensions of z (N, d)."""
    s, _ = z.double().sort(0)
    n = len(s)
    phi = 0.5 * (1 + torch.erf(s / math.sqrt(2)))
    i = torch.arange(1, n + 1, dtype=torch.float64, device=z.device)[:, None]
    return float(torch.maximum(i / n - phi, phi - (i - 1) / n).max())


@torch.inference_mode()
def prior_match(model: nn.Module, x: Tensor, n: int = 1000, permutations: int = 200, seed: int = 0,
                prior: str | None = None) -> PriorMatch:
    """Compare n codes of images `x` (the aggregate posterior) with n draws from the model's prior."""
    g = torch.Generator(device=x.device).manual_seed(seed)
    idx = torch.randperm(len(x), generator=g, device=x.device)[:n]
    codes = aggregate_posterior(model, x[idx], g).double()
    n = len(codes)
    prior = prior or getattr(model, "prior", "gaussian")
    draws = sample_prior(prior, 2 * n, codes.shape[1], g, x.device).double()
    pooled = torch.cat([codes, draws[:n]])
    dist2 = torch.cdist(pooled, pooled).pow(2)
    bandwidth = float(dist2[torch.triu_indices(2 * n, 2 * n, 1, device=x.device).unbind()].median().sqrt())
    kernel = torch.exp(-dist2 / (2 * bandwidth**2))
    first = torch.zeros(1 + permutations, 2 * n, dtype=torch.bool, device=x.device)
    first[0, :n] = True
    for row in range(1, 1 + permutations):
        first[row, torch.randperm(2 * n, generator=g, device=x.device)[:n]] = True
    stats = rbf_mmd2(kernel, first)
    two_priors = torch.cat([draws[:n], draws[n:]])
    k_ref = torch.exp(-torch.cdist(two_priors, two_priors).pow(2) / (2 * bandwidth**2))
    reference = float(rbf_mmd2(k_ref, first[:1]))
    p_value = float((1 + (stats[1:] >= stats[0]).sum()) / (1 + permutations))
    ks = _ks_to_standard_normal(codes) if prior == "gaussian" else float("nan")
    return PriorMatch(n, float(stats[0]), reference, p_value, permutations, bandwidth, ks)


def projected_codes(codes: Tensor, draws: Tensor) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """Codes and prior draws on the codes' two principal axes (the same axes for both; the axes
    themselves when d = 2), and the share of the codes' variance the plane keeps. An isotropic prior
    projects to N(0, I₂) on any orthonormal plane, so the picture compares like with like."""
    codes, draws = codes.double(), draws.double()
    if codes.shape[1] <= 2:
        return codes.cpu().numpy(), draws.cpu().numpy(), (1.0, 0.0)
    centred = codes - codes.mean(0)
    _, s, vt = torch.linalg.svd(centred, full_matrices=False)
    axes = vt[:2].T  # (d, 2)
    var = s.pow(2) / s.pow(2).sum()
    return (codes @ axes).cpu().numpy(), (draws @ axes).cpu().numpy(), (float(var[0]), float(var[1]))


# ---- bottleneck and overfitting curves ------------------------------------------------------


@dataclass(frozen=True)
class CurveSettings:
    """How each point of a bottleneck curve is trained (a vanilla MLP AE, BCE, Adam)."""

    latent_sizes: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
    train_sizes: tuple[int, ...] = (25, 50, 100, 200, 400, 800, 1437)
    small_train: int = 100  # the latent curve is also drawn for this many training images
    latent_for_sizes: int = 16
    hidden: int = 256
    steps: int = 800
    batch_size: int = 64
    lr: float = 2e-3
    seed: int = 0


def training_subset(imgs: ImageData, n_train: int, seed: int) -> Tensor:
    """The `n_train` training images a curve point is trained on (a seeded permutation's head)."""
    g = torch.Generator().manual_seed(seed)
    return imgs.x_train[torch.randperm(len(imgs.x_train), generator=g)[:n_train].to(imgs.device)]


def curves_floor(imgs: ImageData, points: list[dict[str, Any]], seed: int) -> float:
    """A true lower bound of every loss in `points`: the least Σ_p H(x_p) (see `bce_floor`) over the
    held-out images and each point's own training images. A small training subset can have a lower
    floor than the held-out set, so the held-out floor alone is not a bound of the train curve."""
    floors = [bce_floor(imgs.x_test)]
    floors += [p["floor"] for p in points if "floor" in p]
    floors += [bce_floor(training_subset(imgs, n, seed)) for n in sorted({p["n_train"] for p in points
                                                                        if "floor" not in p})]
    return min(floors)


def _curve_point(imgs: ImageData, latent: int, n_train: int, s: CurveSettings, stop: threading.Event | None) -> dict[str, Any]:
    spec = registry.get("ae")
    config = spec.make_config(imgs.image_shape, imgs.n_classes, latent_dim=latent, hidden=s.hidden)
    model = seeded_build(spec.build, config, s.seed).to(imgs.device)
    recipe = spec.recipe(config)
    train_x = training_subset(imgs, n_train, s.seed)
    split = TensorSplit((train_x,), (imgs.x_test,))
    params = TrainParams(epochs=10_000, max_steps=s.steps, batch_size=s.batch_size, lr=s.lr, seed=s.seed,
                         log_every=10**6, eval_every_epoch=False)
    for _ in fit(model, recipe, split, params, stop=stop):
        pass
    eval_gen = torch.Generator(device=imgs.device).manual_seed(s.seed)
    train = recipe.evaluate(model, split.train, eval_gen)["loss"]
    test = recipe.evaluate(model, split.test, eval_gen)["loss"]
    floor = min(bce_floor(train_x), bce_floor(imgs.x_test))  # no model's loss on these images goes below it
    return {"latent_dim": latent, "n_train": len(train_x), "train_loss": round(train, 3), "test_loss": round(test, 3),
            "floor": math.floor(floor * 1000) / 1000}


def bottleneck_curves(imgs: ImageData, settings: CurveSettings = CurveSettings(),
                      stop: threading.Event | None = None) -> Iterator[dict[str, Any]]:
    """Yield one point at a time: train and held-out loss (nats/image) of a vanilla AE
    (a) against the latent size, with all training images and with `small_train` of them, and
    (b) against the training-set size at a fixed latent size. Each point has "curve" = latent | latent_small | size."""
    n_all = len(imgs.x_train)
    plan = [("latent", d, n_all) for d in settings.latent_sizes]
    plan += [("latent_small", d, min(settings.small_train, n_all)) for d in settings.latent_sizes]
    plan += [("size", settings.latent_for_sizes, min(n, n_all)) for n in settings.train_sizes]
    for curve, d, n in plan:
        if stop is not None and stop.is_set():
            return
        if d >= math.prod(imgs.image_shape):
            continue
        yield {"curve": curve, **_curve_point(imgs, d, n, settings, stop)}


# ---- β experiment ---------------------------------------------------------------------------


def beta_experiment(imgs: ImageData, beta: float, latent_dim: int = 8, epochs: float = 60, seed: int = 0,
                    stop: threading.Event | None = None) -> Iterator[dict[str, Any]]:
    """Train a small MLP VAE with weight β on the KL term; yield progress, then a final record with the
    held-out reconstruction and KL (nats), the number of active units and a few reconstructions and samples."""
    spec = registry.get("vae")
    config = spec.make_config(imgs.image_shape, imgs.n_classes, latent_dim=latent_dim, hidden=128, beta=beta)
    model = seeded_build(spec.build, config, seed).to(imgs.device)
    recipe = spec.recipe(config)
    split = TensorSplit((imgs.x_train,), (imgs.x_test,))
    params = TrainParams(epochs=epochs, batch_size=64, lr=2e-3, seed=seed, log_every=50, eval_every_epoch=False)
    for rec in fit(model, recipe, split, params, stop=stop):
        yield {"done": False, "beta": beta, "progress": rec.progress, "recon": rec.metrics.get("recon"),
               "kl": rec.metrics.get("kl")}
    model.eval()
    gen = torch.Generator(device=imgs.device).manual_seed(seed)
    test = recipe.evaluate(model, split.test, gen)
    n_active, _ = active_units(model, imgs.x_test)
    shown = imgs.x_test[:8]
    with torch.inference_mode():
        pictures = torch.cat([shown, model.reconstruct(shown), model.sample(8, gen)]).cpu()
    yield {"done": True, "beta": beta, "progress": 1.0, "test_recon": test["recon"], "test_kl": test["kl"],
           "test_loss": test["loss"], "active_units": n_active, "latent_dim": latent_dim, "pictures": pictures}
