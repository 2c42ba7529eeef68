"""GAN experiments behind the pages: class grids, latent walks, training with a recorded history
(curves + the fixed-noise grid over time), and the saturating-vs-non-saturating experiment.

Everything here is plain torch: pages reach it through `genviz.gans.ui`, the pretrained
builder and the benchmark call it directly.
"""
from __future__ import annotations

import copy
import math
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator

import torch
from torch import Tensor

from genviz.core import data, registry
from genviz.core.config import check_choice, check_range
from genviz.core.errors import ConfigError, TrainingDiverged
from genviz.core.snapshots import (  # noqa: F401
    GRID_IMAGES,
    GRID_SNAPSHOTS,
    grids_from_storage,
    grids_to_uint8,
    keep_snapshots,
    snapshot_indices,
)
from genviz.core.train import Run, RunState, TrainParams, new_run, save_run, seeded_build
from genviz.gans import objectives
from genviz.gans.models import GAN, GANConfig, interpolate_noise, walk_direction
from genviz.gans.recipes import GANRecipe, generator_scores


def seeded_model(config: GANConfig, seed: int) -> GAN:
    """A freshly initialised GAN whose weights depend only on `seed` (the global RNG is left as it was)."""
    return seeded_build(GAN, config, seed)


def require_conditional(model: GAN, name: str = "This model") -> None:
    """Refuse an unconditional GAN plainly where a class must be chosen."""
    if not model.config.conditional:
        raise ConfigError(f"{name} is an unconditional {model.config.kind.upper()}: its generator has no class "
                          "input, so it cannot draw a chosen class. Pick a cGAN or AC-GAN checkpoint.")


# --- pictures from a trained generator --------------------------------------------------------------
def class_grid(model: GAN, n_cols: int, seed: int) -> Tensor:
    """Rows = classes, columns = shared noise: image [k·n_cols + j] = G(z_j, k). (K·n_cols, C, H, W) on the CPU."""
    require_conditional(model)
    check_range("Columns", n_cols, 1, 32)
    k = model.config.n_classes
    z = model.noise(n_cols, torch.Generator().manual_seed(seed))  # (n_cols, d)
    labels = torch.arange(k, device=model.device).repeat_interleave(n_cols)  # 0,0,…,1,1,…
    return model.decode_noise(z.repeat(k, 1), labels).float().cpu()


def noise_pair(model: GAN, seed_a: int, seed_b: int) -> tuple[Tensor, Tensor]:
    za = model.noise(1, torch.Generator().manual_seed(seed_a))[0]
    zb = model.noise(1, torch.Generator().manual_seed(seed_b))[0]
    return za, zb


def latent_walk(model: GAN, seed_a: int, seed_b: int, steps: int, method: str, label: int | None = None) -> Tensor:
    """G along the path from z_a to z_b (linear or spherical): (steps, C, H, W) on the CPU."""
    za, zb = noise_pair(model, seed_a, seed_b)
    path = interpolate_noise(za, zb, steps, method)
    return model.decode_noise(path, _labels(model, label, steps)).float().cpu()


def direction_walk(model: GAN, seed: int, direction_seed: int, steps: int, radius: float,
                   label: int | None = None) -> Tensor:
    """G along z + t·u, u a random unit direction (seeded), t ∈ [−radius, radius]: (steps, C, H, W)."""
    z, u = noise_pair(model, seed, direction_seed)
    return model.decode_noise(walk_direction(z, u, steps, radius), _labels(model, label, steps)).float().cpu()


def path_norms(model: GAN, seed_a: int, seed_b: int, steps: int) -> dict[str, list[float]]:
    """‖z‖ along the linear and the spherical path (why slerp: the line dips inside the N(0, I) shell)."""
    za, zb = noise_pair(model, seed_a, seed_b)
    return {m: interpolate_noise(za, zb, steps, m).norm(dim=1).cpu().tolist() for m in ("linear", "spherical")}


def _labels(model: GAN, label: int | None, n: int) -> Tensor | None:
    if not model.config.conditional:
        return None
    check_range("Class", label or 0, 0, model.config.n_classes - 1)
    return torch.full((n,), int(label or 0), dtype=torch.long, device=model.device)


# --- training with a recorded history ---------------------------------------------------------------
@dataclass(frozen=True)
class TrainingHistory:
    """What the Training-dynamics page shows: the metric curve and the fixed-noise grid over time."""

    curve: list[dict[str, float]]  # {"step", d_loss, g_loss, d_real, d_fake, g_grad_norm, ...} per record
    grid_steps: list[int]
    grids: Tensor  # (S, N, C, H, W) float in [0, 1], CPU
    seconds: float  # wall clock
    steps: int
    cpu_seconds: float = 0.0  # CPU time of this process (what the run cost on a shared machine)


def train_with_history(run: Run, *, keep: int = GRID_SNAPSHOTS, stop: threading.Event | None = None,
                       log: Callable[[str], None] = lambda s: None) -> TrainingHistory:
    """Train `run` (see genviz.core.train.new_run), keeping every record's metrics and ~`keep` preview grids."""
    model, split, params = run.model, run.split, run.params
    preview_gen = lambda: torch.Generator(device=split.train[0].device).manual_seed(params.seed + 1)  # noqa: E731
    model.eval()
    grids = [run.recipe.preview(model, (), preview_gen())[:GRID_IMAGES]]  # step 0, the same z as fit's previews
    model.train()
    steps = [0]
    cpu_start = time.process_time()
    for rec in run.fit(stop=stop, preview_data=split.test[:1]):
        steps.append(rec.step)
        grids.append(rec.preview[:GRID_IMAGES])
        log(f"step {rec.step}/{rec.total_steps} " + " ".join(f"{k}={v:.3g}" for k, v in rec.metrics.items()))
    grid_steps, kept = keep_snapshots(steps, grids, keep)
    curve = [{k: v for k, v in point.items() if k != "epoch"} for point in run.curve]
    return TrainingHistory(curve, grid_steps, kept, run.seconds, run.steps, time.process_time() - cpu_start)


def _round(value: float) -> float:
    """4 significant digits: enough for a curve, and keeps the checkpoint's JSON small."""
    return float(f"{value:.4g}")


# --- the vanishing gradient of the saturating loss --------------------------------------------------
LOSSES = ("saturating", "non-saturating")


@dataclass(frozen=True)
class VanishingProgress:
    """One update of the experiment: per-step curves of both runs and their fixed-noise samples."""

    step: int
    total: int
    curves: dict[str, list[dict[str, float]]]  # loss → [{"step", "d_fake", "g_grad_norm", "g_loss", "d_loss"}]
    samples: dict[str, Tensor]  # loss → (N, C, H, W) CPU, the same z for both
    start_samples: Tensor
    d_warmup: int

    @property
    def done(self) -> bool:
        return self.step >= self.total


def gradient_vanishing(imgs, *, steps: int = 150, d_warmup: int = 500, seed: int = 0, batch_size: int = 64,
                       lr: float = 0.1, optimizer: str = "sgd", yield_every: int = 10,
                       config: GANConfig | None = None, stop: threading.Event | None = None) -> Iterator[VanishingProgress]:
    """The same start trained with both generator objectives.

    1. A DCGAN (MLP body for 8×8 digits) is initialised from `seed`; its D alone is trained for
       `d_warmup` steps against the frozen initial G, so D(G(z)) → 0: the "strong discriminator"
       of early training. 2. Two copies of that state train for `steps` alternating steps on the
       same batches and the same noise, one minimising E[log(1 − D(G(z)))] (saturating), the other
       E[−log D(G(z))] (non-saturating). Every step records D(G(z)) and ‖∇_θG L_G‖.

    `optimizer="sgd"` (momentum 0.5, as in Goodfellow et al. 2014) makes a step as large as the
    gradient; Adam divides each gradient by its running RMS, which hides a small gradient.
    """
    check_range("Experiment steps", steps, 1, 20_000)
    check_choice("Optimizer", optimizer, ("sgd", "adam"))
    check_range("Learning rate", lr, 1e-6, 1.0)
    check_range("Batch size", batch_size, 2, 4096)
    check_range("Discriminator warm-up steps", d_warmup, 0, 20_000)
    return _vanishing_steps(imgs, steps, d_warmup, seed, batch_size, lr, optimizer, yield_every, config, stop)


def _vanishing_steps(imgs, steps: int, d_warmup: int, seed: int, batch_size: int, lr: float, optimizer: str,
                     yield_every: int, config: GANConfig | None, stop: threading.Event | None) -> Iterator[VanishingProgress]:
    x_all, y_all = imgs.x_train, imgs.y_train
    dev = x_all.device
    batch_size = min(batch_size, len(x_all))
    base_cfg = config or GANConfig(kind="dcgan", image_shape=imgs.image_shape, n_classes=imgs.n_classes)
    model = seeded_model(base_cfg, seed).to(dev)
    fixed = lambda: torch.Generator(device=dev).manual_seed(seed + 1)  # noqa: E731
    n_show = GRID_IMAGES
    model.eval()
    start_samples = GANRecipe(base_cfg).preview(model, (), fixed())[:n_show]
    model.train()

    def batches(gen: torch.Generator) -> Iterator[tuple[Tensor, Tensor]]:
        while True:
            perm = torch.randperm(len(x_all), device=dev, generator=gen)
            for i in range(0, len(perm) - batch_size + 1, batch_size):
                idx = perm[i: i + batch_size]
                yield x_all[idx], y_all[idx]

    # 1. a strong discriminator: D trains alone against the initial generator
    def make_optimizer(module: torch.nn.Module) -> torch.optim.Optimizer:
        if optimizer == "sgd":
            return torch.optim.SGD(module.parameters(), lr=lr, momentum=0.5)
        return torch.optim.Adam(module.parameters(), lr=lr, betas=(0.5, 0.999))

    opt_d = make_optimizer(model.discriminator)
    warm_gen = torch.Generator(device=dev).manual_seed(seed + 2)
    for _, (x, _y) in zip(range(d_warmup), batches(warm_gen)):
        with torch.no_grad():
            fake = model.generate(model.noise(len(x), warm_gen))
        d_loss = objectives.gan_discriminator_loss(model.discriminate(x).logit, model.discriminate(fake).logit)
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        if stop is not None and stop.is_set():
            return

    # 2. the same start, two generator losses
    runs = {}
    for loss in LOSSES:
        m = copy.deepcopy(model)
        m.config = replace(base_cfg, objective=f"bce-{loss}")
        recipe = GANRecipe(m.config, detect_collapse=False)
        opts = {"generator": make_optimizer(m.generator), "discriminator": make_optimizer(m.discriminator)}
        runs[loss] = (m, recipe, opts, torch.Generator(device=dev).manual_seed(seed + 3),
                      batches(torch.Generator(device=dev).manual_seed(seed + 4)), RunState())
    curves: dict[str, list[dict[str, float]]] = {loss: [] for loss in LOSSES}

    def progress(step: int) -> VanishingProgress:
        samples = {}
        for loss, (m, recipe, *_rest) in runs.items():
            m.eval()
            samples[loss] = recipe.preview(m, (), fixed())[:n_show]
            m.train()
        return VanishingProgress(step, steps, {k: list(v) for k, v in curves.items()}, samples, start_samples, d_warmup)

    for step in range(1, steps + 1):
        for loss, (m, recipe, opts, noise_gen, data_iter, run) in runs.items():
            out = recipe.step(m, opts, next(data_iter), noise_gen, run)
            run.step += 1
            curves[loss].append({"step": step, **{k: _round(float(out[k]))
                                                  for k in ("d_fake", "g_grad_norm", "g_loss", "d_loss")}})
            if not all(math.isfinite(v) for v in curves[loss][-1].values()):
                raise TrainingDiverged(f"The {loss} run diverged at step {step} (NaN); try a smaller learning rate.")
        if step % yield_every == 0 or step == steps or (stop is not None and stop.is_set()):
            yield progress(step)
        if stop is not None and stop.is_set():
            return


def run_gradient_vanishing(imgs, **kwargs: Any) -> VanishingProgress:
    """The experiment run to its end; returns the last progress record."""
    last = None
    for last in gradient_vanishing(imgs, yield_every=10**9, **kwargs):
        pass
    assert last is not None
    return last


# SGD, a D warmed up for 500 steps (D(G(z)) ≈ 0.001 on digits, 0.0002 on MNIST), then 150 steps of each
# loss: long enough for the non-saturating run to leave the noise, short enough that the saturating one
# has not escaped yet. The conv G on MNIST takes the smaller step size (its first gradient is ~40).
VANISHING_SETTINGS = {"digits": {"steps": 150, "d_warmup": 500, "lr": 0.1, "optimizer": "sgd"},
                      "mnist": {"steps": 150, "d_warmup": 500, "lr": 0.01, "optimizer": "sgd"}}


def vanishing_settings(dataset: str) -> dict[str, Any]:
    return dict(VANISHING_SETTINGS.get(dataset, VANISHING_SETTINGS["mnist"]))


# --- shipped checkpoints ------------------------------------------------------------------------------
def build_pretrained(spec, device: str, out_dir: Path, log: Callable[[str], None]) -> Path:
    """Train one shipped GAN (see genviz/pretrained.py), score it, record its history, save it (fp16).

    The DCGAN checkpoints also carry the precomputed saturating-vs-non-saturating experiment.
    """
    kind = registry.get(spec.kind)
    imgs = data.load(spec.dataset, device)
    params = TrainParams(**{**kind.default_train, **spec.train})
    run = new_run(spec.kind, imgs, spec.config, params, device)
    history = train_with_history(run, log=lambda s: log(f"{spec.name}: {s}"))
    scored = generator_scores(run.model, imgs)
    extra: dict[str, Any] = {
        "train_cpu_seconds": round(history.cpu_seconds, 2), "torch_threads": torch.get_num_threads(),
        "curve": history.curve, "progress_steps": history.grid_steps,
        "label_counts": list(scored.scores.label_counts) if scored else None,
    }
    tensors = {"progress_grids": grids_to_uint8(history.grids)}
    if spec.kind == "dcgan":
        settings = vanishing_settings(spec.dataset)
        t = time.perf_counter()
        result = run_gradient_vanishing(imgs, seed=params.seed, **settings)
        extra["gradient_vanishing"] = {"curves": result.curves, "steps": result.total, "d_warmup": result.d_warmup,
                                       "seconds": round(time.perf_counter() - t, 2), **settings}
        tensors["vanishing_start"] = grids_to_uint8(result.start_samples)
        for loss, images in result.samples.items():
            tensors[f"vanishing_{loss}"] = grids_to_uint8(images)
        log(f"{spec.name}: gradient-vanishing experiment {extra['gradient_vanishing']['seconds']} s")
    run.model.ship_ema()  # the shipped file stores G once: the EMA copy it samples from
    return save_run(run, out_dir / spec.name, imgs, extra=extra, extra_tensors=tensors, half=True)


# --- Fast-GAN: how robust is D? ----------------------------------------------------------------------
def d_robust_accuracy(model: GAN, real: Tensor, real_y: Tensor | None, eps: float, steps: int = 10,
                      seed: int = 0) -> dict[str, float]:
    """D's accuracy (real scored above 0, fakes below) on `real` images and as many fresh fakes, clean
    and under a `steps`-step PGD attack within ±ε (ε on [−1, 1] images) that climbs D's own loss."""
    check_range("Attack ε", eps, 0.0, 1.0)
    recipe = GANRecipe(model.config, detect_collapse=False)
    gen = torch.Generator(device=real.device).manual_seed(seed)
    model.eval()
    with torch.no_grad():
        fake_y = model.random_labels(len(real), gen) if model.config.conditional else None
        fake = model.generate(model.noise(len(real), gen), fake_y)
    labels = real_y if model.config.conditional else None

    def accuracy(xr: Tensor, xf: Tensor) -> float:
        with torch.no_grad():
            r = model.discriminate(xr, labels if model.config.d_takes_labels else None).logit
            f = model.discriminate(xf, fake_y if model.config.d_takes_labels else None).logit
        return float(torch.cat([(r > 0), (f < 0)]).float().mean())

    clean = accuracy(real, fake)
    e, step = eps / 2, 2.5 * eps / 2 / max(steps, 1)  # [0, 1] scale; Madry et al.'s step size 2.5ε/steps
    both = torch.cat([real, fake])
    delta = torch.zeros_like(both)
    n = len(real)
    for _ in range(steps):
        delta.requires_grad_(True)
        shaken = (both + delta).clamp(0, 1)
        loss, _ = recipe.discriminator_loss(model, shaken[:n], labels, shaken[n:], fake_y, None, penalty=False)
        (grad,) = torch.autograd.grad(loss, delta)
        delta = (delta.detach() + step * grad.sign()).clamp_(-e, e)
    attacked = (both + delta).clamp(0, 1)
    return {"clean_accuracy": clean, "pgd_accuracy": accuracy(attacked[:n], attacked[n:])}
