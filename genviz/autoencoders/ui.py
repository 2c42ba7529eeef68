"""Cached autoencoder computations for the pages (read-only use of shared checkpoints) and their jobs.

Cached functions take the checkpoint's identity (path + creation time) as their key and the
checkpoint itself as an unhashed `_ckpt` argument; nothing here mutates a shared model.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
import torch

from genviz.autoencoders import analysis as ae_analysis
from genviz.autoencoders import losses
from genviz.core import checkpoints, registry
from genviz.core.checkpoints import Checkpoint
from genviz.core.data import ImageData
from genviz.core.errors import CheckpointError, GenvizError
from genviz.core.jobs import BackgroundJob
from genviz.core.scoring import classifier_features, load_scorer, score_samples
from genviz.ui import (
    Settings,
    _load_dataset,
    cached_view,
    catalogue,
    choose_checkpoint,
    family_of,
    no_checkpoint,
    session_job,
    start_job,
)


def check_fits(ckpt: Checkpoint, imgs: ImageData | None = None, kinds: tuple[str, ...] = ()) -> None:
    """Raise a one-sentence CheckpointError when `ckpt` is not an autoencoder (of `kinds`) for these images."""
    if ckpt.family != "autoencoder":
        raise CheckpointError(f"{ckpt.name} is a '{ckpt.kind}' model ({ckpt.family}); this page needs an autoencoder.")
    if kinds and ckpt.kind not in kinds:
        raise CheckpointError(f"{ckpt.name} is a '{ckpt.kind}' model; this part of the page needs one of: {', '.join(kinds)}.")
    if imgs is not None and tuple(ckpt.config.image_shape) != imgs.image_shape:
        raise CheckpointError(f"{ckpt.name} was trained on {ckpt.dataset} images of shape {tuple(ckpt.config.image_shape)}; "
                              f"the '{imgs.name}' dataset has {imgs.image_shape}. Pick a matching dataset.")


# ---- picking a model and the data -----------------------------------------------------------


def page_dataset(settings: Settings, needed_for: str = "This page") -> ImageData | None:
    """The sidebar's dataset, or None after saying plainly that it is missing (no silent fallback: the
    models picked for that dataset would not fit the digits)."""
    try:
        return _load_dataset(settings.dataset, settings.device)
    except GenvizError as err:
        st.warning(f"{err} {needed_for} needs its images: pick **Digits** in the sidebar (always available), "
                   "or make the files available and reload.", icon=":material/warning:")
        return None



@st.cache_data(show_spinner=False, ttl=60)
def _latent_dim(path: str, created: str) -> int | None:
    try:
        return int(json.loads(checkpoints.read_metadata(path).get("config", "{}")).get("latent_dim"))
    except (CheckpointError, TypeError, ValueError, json.JSONDecodeError):
        return None


def pick_autoencoder(label: str, key: str, settings: Settings, kinds: tuple[str, ...] = (), *, prefer: str | None = None,
                     two_d: bool | None = None, quiet: bool = False) -> Checkpoint | None:
    """A picker over autoencoder checkpoints for the sidebar's dataset (optionally only 2-D latents, or only
    the others). Starts on the checkpoint named `prefer` ("{dataset}" filled in) when present; a file that fails to load shows its reason and
    the last good model stays in use. None (with a message unless `quiet`) when nothing fits."""
    entries = [c for c in catalogue() if family_of(c.kind) == "autoencoder" and c.dataset == settings.dataset
               and (not kinds or c.kind in kinds)]
    if two_d is not None:
        entries = [c for c in entries if (_latent_dim(str(c.path), c.created) == 2) == two_d]
    if not entries:
        if not quiet:
            what = " / ".join(kinds) if kinds else "autoencoder"
            no_checkpoint(f"{what}{' 2-D' if two_d else ''}", settings, key, kind=kinds[0] if kinds else "vae")
        return None
    return choose_checkpoint(label, key, settings, entries, prefer=prefer, check=lambda c: check_fits(c, kinds=kinds))


# ---- reconstructions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Reconstructions:
    images: torch.Tensor  # inputs then reconstructions (2n, C, H, W), CPU
    per_image: np.ndarray  # reconstruction loss (BCE, nats) of each shown image
    test_metrics: dict[str, float]  # the recipe's held-out metrics (loss, and recon/kl for a VAE)

    @property
    def test_loss(self) -> float:
        return self.test_metrics["loss"]


@cached_view("Reconstructing…")
def reconstructions(ckpt: Checkpoint, imgs: ImageData, n: int, seed: int) -> Reconstructions:
    check_fits(ckpt, imgs)
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(imgs.x_test), generator=g)[:n].to(imgs.device)
    x = imgs.x_test[idx]
    model = ckpt.model
    with torch.inference_mode():
        logits = model.decode_logits(model.encode(x))
        per_image = losses.reconstruction_loss(logits, x, "bce", reduction="none")
        recipe = registry.get(ckpt.kind).recipe(ckpt.config)
        test = recipe.evaluate(model, (imgs.x_test, imgs.y_test), torch.Generator(device=imgs.device).manual_seed(0))
    return Reconstructions(torch.cat([x, logits.sigmoid()]).cpu(), per_image.cpu().numpy(), test)


# ---- denoising ------------------------------------------------------------------------------


def _test_subset(imgs: ImageData, n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return imgs.x_test[torch.randperm(len(imgs.x_test), generator=g)[:n].to(imgs.device)]


@cached_view("Denoising…")
def denoise(ckpts: dict[str, Checkpoint], imgs: ImageData, noise: str, level: float, n: int, seed: int) -> ae_analysis.DenoisingResult:
    for c in ckpts.values():
        check_fits(c, imgs)
    x = _test_subset(imgs, n, seed)
    result = ae_analysis.denoise({k: c.model for k, c in ckpts.items()}, x, noise, level,
                                 torch.Generator(device=imgs.device).manual_seed(seed))
    return ae_analysis.DenoisingResult(result.clean.cpu(), result.noisy.cpu(),
                                       {k: v.cpu() for k, v in result.outputs.items()}, result.psnr)


@cached_view("Measuring PSNR at every noise level…", max_entries=32)
def psnr_curves(ckpts: dict[str, Checkpoint], imgs: ImageData, noise: str, levels: tuple[float, ...], seed: int) -> dict[str, list[float]]:
    x = _test_subset(imgs, 500, seed)
    return ae_analysis.psnr_vs_noise({k: c.model for k, c in ckpts.items()}, x, noise, list(levels), seed)


# ---- sparsity -------------------------------------------------------------------------------


@cached_view("Encoding held-out images…")
def code_stats(ckpt: Checkpoint, imgs: ImageData, rel: float) -> ae_analysis.CodeStats:
    check_fits(ckpt, imgs)
    return ae_analysis.code_statistics(ckpt.model, imgs.x_test[:2000], rel)


# ---- VAE inside -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VAEInside:
    images: torch.Tensor  # shown inputs then their reconstructions (2n, C, H, W)
    recon: np.ndarray  # per shown image, nats
    kl: np.ndarray
    active: int
    variances: np.ndarray


@cached_view("Computing the ELBO…", max_entries=32)
def vae_inside(ckpt: Checkpoint, imgs: ImageData, n: int, seed: int) -> VAEInside:
    check_fits(ckpt, imgs, kinds=("vae",))
    x = _test_subset(imgs, n, seed)
    model = ckpt.model
    terms = ae_analysis.elbo_per_image(model, x, torch.Generator(device=imgs.device).manual_seed(seed))
    active, var = ae_analysis.active_units(model, imgs.x_test[:5000])
    return VAEInside(torch.cat([x, model.reconstruct(x)]).cpu(), terms.recon.cpu().numpy(), terms.kl.cpu().numpy(),
                     active, var)


@cached_view()
def posterior_draws(ckpt: Checkpoint, imgs: ImageData, index: int, n: int, seed: int) -> torch.Tensor:
    """The image, its decoded μ, then n decoded draws z ~ q(z|x)."""
    check_fits(ckpt, imgs, kinds=("vae",))
    x = imgs.x_test[index : index + 1]
    draws = ae_analysis.posterior_draws(ckpt.model, x, n, torch.Generator(device=imgs.device).manual_seed(seed))
    return torch.cat([x, ckpt.model.reconstruct(x), draws]).cpu()


def training_curve(ckpt: Checkpoint) -> list[dict[str, Any]]:
    """The training history stored with a checkpoint (list of {step, loss, recon, kl, …}), or []."""
    extra = ckpt.meta.get("extra") or {}
    return list(extra.get("curve") or [])


BETA_JOB = "ae_beta"


def start_beta_run(imgs: ImageData, beta: float, latent_dim: int, epochs: int, seed: int) -> BackgroundJob:
    def run(stop: threading.Event):
        yield from ae_analysis.beta_experiment(imgs, beta, latent_dim, epochs, seed, stop)

    return start_job(BETA_JOB, BackgroundJob(run, name=BETA_JOB))


def beta_job() -> BackgroundJob | None:
    return session_job(BETA_JOB)


# ---- sampling from the prior ----------------------------------------------------------------


@st.cache_resource(show_spinner="Loading the scoring classifier…", max_entries=8)
def scorer(dataset: str, device: str):
    """The shipped classifier for `dataset` (read-only, shared); CheckpointError when none is shipped."""
    return load_scorer(dataset, device)


@st.cache_resource(show_spinner="Classifier features of the test images…", max_entries=8)
def _real_features(dataset: str, device: str, _imgs: ImageData) -> torch.Tensor:
    return classifier_features(scorer(dataset, device), _imgs.x_test)[0]


@cached_view("Sampling and scoring…")
def prior_scores(ckpt: Checkpoint, imgs: ImageData, device: str, n: int, seed: int, prior: str | None = None):
    """(first 64 samples, SampleScores of n samples) for z from `prior` (None = the model's own prior)."""
    check_fits(ckpt, imgs)
    samples, scores = ae_analysis.score_prior_samples(ckpt.model, scorer(imgs.name, device), imgs.x_test, n, seed, prior,
                                                      real_features=_real_features(imgs.name, device, imgs))
    return samples[:64].cpu(), scores


@cached_view()
def prior_samples(ckpt: Checkpoint, device: str, n: int, seed: int) -> torch.Tensor:
    """n decoded draws from the model's prior; needs no data (for datasets that are absent or unscored)."""
    check_fits(ckpt)
    gen = torch.Generator(device=next(ckpt.model.parameters()).device).manual_seed(seed)
    return ae_analysis.prior_samples(ckpt.model, n, gen).cpu()


@st.cache_data(show_spinner="Scoring real images…", max_entries=8)
def real_scores(dataset: str, device: str, n: int, seed: int, _imgs: ImageData):
    """Scores of n real training images against the test images: the best a model could hope for."""
    g = torch.Generator().manual_seed(seed)
    x = _imgs.x_train[torch.randperm(len(_imgs.x_train), generator=g)[:n].to(_imgs.device)]
    return score_samples(scorer(dataset, device), x, None, real_features=_real_features(dataset, device, _imgs))


@dataclass(frozen=True)
class PriorMatchView:
    match: ae_analysis.PriorMatch
    codes: np.ndarray  # (n, 2) codes of test images on the codes' two principal axes
    draws: np.ndarray  # (n, 2) prior draws on the same axes
    labels: np.ndarray  # (n,) classes of those test images
    explained: tuple[float, float]  # share of the codes' variance on each axis


@cached_view("Comparing q(z) with the prior…")
def prior_match(ckpt: Checkpoint, imgs: ImageData, n: int, seed: int) -> PriorMatchView:
    """MMD² of the aggregate posterior against the prior (permutation test) and a 2-D view of both."""
    check_fits(ckpt, imgs)
    model = ckpt.model
    match = ae_analysis.prior_match(model, imgs.x_test, n=n, seed=seed)
    g = torch.Generator(device=imgs.device).manual_seed(seed)
    idx = torch.randperm(len(imgs.x_test), generator=g, device=imgs.device)[:n]
    codes = ae_analysis.aggregate_posterior(model, imgs.x_test[idx], g)
    draws = model.prior_sample(len(codes), g)
    c2, d2, explained = ae_analysis.projected_codes(codes, draws)
    return PriorMatchView(match, c2, d2, imgs.y_test[idx].cpu().numpy(), explained)


# ---- latent space ---------------------------------------------------------------------------


def interpolation_ends(imgs: ImageData) -> tuple[int, int]:
    """Default held-out images to interpolate between: the first one and the next of another class."""
    return ae_analysis.different_class_pair(imgs.y_test)


@cached_view()
def interpolation(ckpt: Checkpoint, imgs: ImageData, a: int, b: int, steps: int, mode: str) -> torch.Tensor:
    check_fits(ckpt, imgs)
    return ae_analysis.interpolate(ckpt.model, imgs.x_test[a : a + 1], imgs.x_test[b : b + 1], steps, mode).cpu()


@dataclass(frozen=True)
class Latent2D:
    codes: np.ndarray  # (N, 2)
    labels: np.ndarray
    extent: tuple[float, float, float, float]  # codes and the prior's bulk
    grid_extent: tuple[float, float, float, float]  # the codes only (where the manifold grid is decoded)
    density: tuple[np.ndarray, np.ndarray, np.ndarray]  # the prior on that extent
    grid: torch.Tensor  # decoded manifold (n², C, H, W)


@cached_view("Encoding held-out images…", max_entries=32)
def latent_2d(ckpt: Checkpoint, imgs: ImageData, grid_n: int) -> Latent2D:
    check_fits(ckpt, imgs)
    if ckpt.config.latent_dim != 2:
        raise CheckpointError(f"{ckpt.name} has a {ckpt.config.latent_dim}-D latent space; this view needs a 2-D one.")
    model = ckpt.model
    x, y = imgs.x_test[:3000], imgs.y_test[:3000]
    codes = ae_analysis.encode_all(model, x).float().cpu().numpy()
    x0, x1, y0, y1 = ae_analysis.latent_extent(codes)
    # Always show the prior's bulk too, so the codes can be compared with it.
    extent = (min(x0, -3.5), max(x1, 3.5), min(y0, -3.5), max(y1, 3.5))
    prior = getattr(model, "prior", "gaussian")
    grid_extent = ae_analysis.latent_extent(codes, 0.0)
    grid = ae_analysis.manifold_grid(model, grid_extent, grid_n).cpu()
    return Latent2D(codes, y.cpu().numpy(), extent, grid_extent, ae_analysis.prior_density(prior, extent), grid)


# ---- bottleneck curves ----------------------------------------------------------------------

CURVES_JOB = "ae_curves"


def curves_path(dataset: str) -> Path:
    return checkpoints.SHIPPED_DIR / f"ae-curves-{dataset}.json"


@st.cache_data(show_spinner=False, ttl=60)
def shipped_curves(dataset: str) -> dict[str, Any] | None:
    """The precomputed bottleneck / training-size curves for `dataset`, or None when not shipped."""
    path = curves_path(dataset)
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


@st.cache_data(show_spinner=False)
def _curves_floor(dataset: str, points_key: tuple, seed: int, _imgs: ImageData, _points: list) -> float:
    return ae_analysis.curves_floor(_imgs, _points, seed)


def curves_floor(imgs: ImageData, points: list[dict[str, Any]], seed: int) -> float:
    """The lowest loss any model can reach on the images behind `points` (a true lower bound of them)."""
    key = tuple(sorted({(p["n_train"], p.get("floor")) for p in points}))
    return _curves_floor(imgs.name, key, seed, imgs, points)


def digits(settings: Settings) -> ImageData:
    """The bundled digits on the sidebar's device (live experiments always run on them)."""
    return _load_dataset("digits", settings.device)


def start_curves_job(imgs: ImageData, steps: int) -> BackgroundJob:
    settings = ae_analysis.CurveSettings(steps=steps)

    def run(stop: threading.Event):
        yield from ae_analysis.bottleneck_curves(imgs, settings, stop)

    return start_job(CURVES_JOB, BackgroundJob(run, name=CURVES_JOB))


def curves_job() -> BackgroundJob | None:
    return session_job(CURVES_JOB)
