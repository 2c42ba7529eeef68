"""Cached GAN computations for the pages (read-only use of shared checkpoints) and the live
gradient-vanishing job."""
from __future__ import annotations

import threading
from dataclasses import dataclass

import streamlit as st
import torch

from genviz.core import registry
from genviz.core.checkpoints import Checkpoint
from genviz.core.data import ImageData
from genviz.core.errors import CheckpointError
from genviz.core.jobs import BackgroundJob
from genviz.gans import experiments, recipes
from genviz.gans.models import PRESETS
from genviz.gans.recipes import GeneratorScores, generator_scores
from genviz.ui import Settings, cached_view, catalogue, dataset, load_checkpoint, session_job, start_job, training

VANISHING_JOB = "gan_vanishing"


def check_gan(ckpt: Checkpoint, imgs: ImageData | None = None) -> None:
    if ckpt.family != "gan":
        raise CheckpointError(f"{ckpt.name} is a '{ckpt.kind}' model ({ckpt.family}); this page needs a GAN.")
    if imgs is not None and tuple(ckpt.config.image_shape) != imgs.image_shape:
        raise CheckpointError(f"{ckpt.name} makes images of shape {tuple(ckpt.config.image_shape)}; the "
                              f"'{imgs.name}' dataset has {imgs.image_shape}. Pick a matching dataset.")


def prefer_conditional(key: str, settings: Settings) -> None:
    """Make the first cGAN / AC-GAN of this dataset the picker's default (unless the URL names one)."""
    if key in st.session_state or st.query_params.get(key):
        return
    for info in catalogue():
        if info.dataset == settings.dataset and PRESETS.get(info.kind, {}).get("conditioning", "none") != "none":
            st.session_state[key] = info.label
            return


@cached_view()
def samples(ckpt: Checkpoint, n: int, seed: int, psi: float | None = None) -> torch.Tensor:
    """n samples (z truncated at ψ when given)."""
    check_gan(ckpt)
    return ckpt.model.sample(n, torch.Generator().manual_seed(seed), psi=psi).float().cpu()


@cached_view(max_entries=32)
def _quality(ckpt: Checkpoint, imgs: ImageData, seed: int, psi: float | None) -> GeneratorScores | None:
    return generator_scores(ckpt.model, imgs, n=1000, seed=seed, psi=psi)


@cached_view("Scoring 1,000 samples at each of 7 truncations (about 20 s)…", max_entries=16)
def truncation_curve(ckpt: Checkpoint, imgs: ImageData) -> list[dict[str, float]] | None:
    """The stored truncation curve of a checkpoint (seed 0), or measured now."""
    check_gan(ckpt, imgs)
    stored = (ckpt.meta.get("extra") or {}).get("truncation_curve")
    return stored if stored else recipes.truncation_curve(ckpt.model, imgs)


def stored_quality(ckpt: Checkpoint) -> dict | None:
    """The scores saved with a checkpoint (1,000 samples, seed 0), when it has them."""
    counts = (ckpt.meta.get("extra") or {}).get("label_counts")
    if counts and "frechet_distance" in ckpt.metrics:
        return {"label_counts": counts, **ckpt.metrics}
    return None


def quality(ckpt: Checkpoint, imgs: ImageData, seed: int, psi: float | None = None) -> dict | None:
    """Label counts, Fréchet distance, confidence, classes covered of 1,000 samples (None: no classifier)."""
    check_gan(ckpt, imgs)
    if seed == 0 and psi is None and (stored := stored_quality(ckpt)) is not None:
        return stored
    result = _quality(ckpt, imgs, seed, psi)
    if result is None:
        return None
    return {"label_counts": list(result.scores.label_counts), **result.as_metrics()}


@cached_view()
def class_grid(ckpt: Checkpoint, n_cols: int, seed: int) -> torch.Tensor:
    check_gan(ckpt)
    experiments.require_conditional(ckpt.model, ckpt.name)
    return experiments.class_grid(ckpt.model, n_cols, seed)


@cached_view()
def latent_walk(ckpt: Checkpoint, seed_a: int, seed_b: int, steps: int, method: str, label: int | None) -> torch.Tensor:
    check_gan(ckpt)
    return experiments.latent_walk(ckpt.model, seed_a, seed_b, steps, method, label)


@cached_view()
def direction_walk(ckpt: Checkpoint, seed: int, direction_seed: int, steps: int, radius: float,
                   label: int | None) -> torch.Tensor:
    check_gan(ckpt)
    return experiments.direction_walk(ckpt.model, seed, direction_seed, steps, radius, label)


def path_norms(ckpt: Checkpoint, seed_a: int, seed_b: int, steps: int) -> dict[str, list[float]]:
    return experiments.path_norms(ckpt.model, seed_a, seed_b, steps)


@dataclass(frozen=True)
class History:
    """Curves and fixed-noise grids of one training run (a checkpoint's, or the live one)."""

    source: str
    curve: list[dict]
    grid_steps: list[int]
    grids: torch.Tensor | None  # (S, N, C, H, W) in [0, 1]
    running: bool = False


def checkpoint_history(ckpt: Checkpoint) -> History:
    check_gan(ckpt)
    extra = ckpt.meta.get("extra") or {}
    grids = ckpt.extra_tensors.get("progress_grids")
    steps = list(extra.get("progress_steps") or [])
    if grids is None or len(steps) != len(grids):
        grids, steps = None, []
    return History(ckpt.name, list(extra.get("curve") or []), steps,
                   experiments.grids_from_storage(grids) if grids is not None else None)


def live_history() -> History | None:
    """The Train page's run when it trains a GAN (its records carry the fixed-noise previews)."""
    run = training.current()
    if run is None or registry.get(run.kind).family != "gan":
        return None
    snap = run.job.snapshot()
    records = [r for r in snap.history if r.preview is not None]
    curve = [{"step": r.step, **r.metrics} for r in snap.history]
    grids = torch.stack([r.preview[: experiments.GRID_IMAGES] for r in records]) if records else None
    return History(f"live {run.kind} on {run.dataset}", curve, [r.step for r in records], grids, snap.running)


# --- the gradient-vanishing experiment ----------------------------------------------------------------
def precomputed_vanishing(settings: Settings) -> tuple[str, experiments.VanishingProgress] | None:
    """The experiment stored in a shipped DCGAN checkpoint of this dataset, if any."""
    for info in catalogue():
        if info.shipped and info.kind == "dcgan" and info.dataset == settings.dataset:
            ckpt = load_checkpoint(info.path, settings.device)
            stored = (ckpt.meta.get("extra") or {}).get("gradient_vanishing")
            tensors = ckpt.extra_tensors
            if stored and all(f"vanishing_{k}" in tensors for k in (*experiments.LOSSES, "start")):
                samples = {k: experiments.grids_from_storage(tensors[f"vanishing_{k}"]) for k in experiments.LOSSES}
                progress = experiments.VanishingProgress(
                    stored["steps"], stored["steps"], stored["curves"], samples,
                    experiments.grids_from_storage(tensors["vanishing_start"]), stored["d_warmup"])
                return ckpt.name, progress
    return None


def default_vanishing_lr(dataset_name: str) -> float:
    """The SGD step size the shipped experiment uses for this dataset (0.1 digits, 0.01 MNIST)."""
    return float(experiments.vanishing_settings(dataset_name)["lr"])


def start_vanishing(settings: Settings, **options) -> BackgroundJob:
    imgs = dataset(settings)
    experiments.gradient_vanishing(imgs, **options)  # validates the options here, before the thread starts

    def run(stop: threading.Event):
        yield from experiments.gradient_vanishing(imgs, seed=settings.seed, stop=stop, **options)

    return start_job(VANISHING_JOB, BackgroundJob(run, name=VANISHING_JOB, keep_history=1))


def vanishing_job() -> BackgroundJob | None:
    return session_job(VANISHING_JOB)
