"""Cached GAN computations for the pages (read-only use of shared checkpoints) and the live
gradient-vanishing job."""
from __future__ import annotations

import statistics
import threading
from dataclasses import dataclass

import streamlit as st
import torch

from genviz.core import registry
from genviz.core.checkpoints import Checkpoint
from genviz.core.data import ImageData
from genviz.core.errors import CheckpointError
from genviz.core.jobs import BackgroundJob
from genviz.core.scoring import class_count_ratio
from genviz.gans import experiments, ideas, recipes, stylegan
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


# The presets whose generator takes the class (the Class grid offers only these).
CONDITIONAL_KINDS = tuple(k for k, preset in PRESETS.items() if preset.get("conditioning", "none") != "none")


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


# ---- later GAN ideas ----------------------------------------------------------------------------------
def biggan_truncation(settings: Settings) -> tuple[list[dict] | None, str]:
    """The truncation curve stored in this dataset's shipped BigGAN (else MNIST's), and its name."""
    for name in (f"biggan-{settings.dataset}", "biggan-mnist"):
        info = next((c for c in catalogue() if c.shipped and c.name == name), None)
        if info is not None:
            ckpt = load_checkpoint(info.path, "cpu")
            curve = (ckpt.meta.get("extra") or {}).get("truncation_curve")
            if curve:
                return curve, name
    return None, ""


def truncation_verdict(curve: list[dict], name: str) -> str:
    trend = recipes.truncation_trend(curve)
    rho = {k.removeprefix("truncation_rho_"): v for k, v in trend.items()}
    holds = rho["confidence"] <= -0.9 and rho["precision"] <= -0.9 and rho["recall"] >= 0.9
    lo, hi = curve[0], curve[-1]
    text = (f"**{name}**, 1,000 samples per ψ: from ψ = {hi['psi']:g} to {lo['psi']:g} confidence goes "
            f"{hi['confidence']:.3f} → {lo['confidence']:.3f}, precision {hi['precision']:.2f} → {lo['precision']:.2f}, "
            f"recall {hi['recall']:.2f} → {lo['recall']:.2f}. Spearman ρ against ψ: confidence {rho['confidence']:.2f}, "
            f"precision {rho['precision']:.2f}, recall {rho['recall']:.2f}. ")
    if holds:
        return text + "The claim holds here: less truncation, more variety; more truncation, more typical samples."
    return text + ("The claim holds only in part here (|ρ| < 0.9 for some number): read the curve — e.g. at the "
                   "smallest ψ samples collapse to one typical image per class, which can fall outside the real "
                   "images' manifold and lower precision.")


@st.cache_data(show_spinner=False, ttl=60)
def ideas_results() -> dict | None:
    return ideas.load_results("mnist")


def _by_arm(results: list[dict]) -> dict[str, list[list[dict]]]:
    out: dict[str, list[list[dict]]] = {}
    for r in results:
        out.setdefault(r["arm"], []).append(r["curve"])
    return out


def _mean_sd(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def arms(results: list[dict]) -> dict[str, list[dict]]:
    """Each arm's curve, averaged over its seeds point by point (the points are taken at the same seconds of
    training; a seed's curve longer than the others' is cut to the shortest). With several seeds each point
    also carries `<key>_sd`, the seeds' standard deviation, which the figures draw as error bars."""
    out: dict[str, list[dict]] = {}
    for arm, curves in _by_arm(results).items():
        points = []
        for i in range(min(len(c) for c in curves)):
            at = [c[i] for c in curves]
            point = {"seconds": _mean_sd([p["seconds"] for p in at])[0]}
            for key in at[0]:
                if key != "seconds" and all(key in p for p in at):
                    point[key], sd = _mean_sd([p[key] for p in at])
                    if len(at) > 1:
                        point[f"{key}_sd"] = sd
            points.append(point)
        out[arm] = points
    return out


def _final(results: list[dict], key: str = "frechet_distance") -> dict[str, tuple[float, float]]:
    """The last point of each arm's seed-mean curve (`arms`): (mean, standard deviation) of `key` over its seeds."""
    return {arm: (curve[-1][key], curve[-1].get(f"{key}_sd", 0.0)) for arm, curve in arms(results).items()}


def _pm(value: tuple[float, float], fmt: str = ".1f") -> str:
    """"m ± sd" (or "m" for one seed)."""
    mean, sd = value
    return f"{mean:{fmt}} ± {sd:{fmt}}" if sd else f"{mean:{fmt}}"


def _separated(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Two arms' means differ by more than the larger of their seeds' standard deviations (always, with one seed)."""
    return abs(a[0] - b[0]) > max(a[1], b[1])


def _seeds_note(results: list[dict]) -> str:
    n = len({r["seed"] for r in results})
    return f" (mean ± standard deviation over {n} seeds)" if n > 1 else " (one seed)"


def conditioning_verdict(results: list[dict]) -> str:
    fd, agree = _final(results), _final(results, "label_agreement")
    better = min(fd, key=lambda arm: fd[arm][0])
    clear = _separated(fd["cbn"], fd["input"])
    return (f"After the same training time{_seeds_note(results)}: Fréchet distance cBN {_pm(fd['cbn'])} vs input "
            f"{_pm(fd['input'])}, label agreement cBN {_pm(agree['cbn'], '.2f')} vs input {_pm(agree['input'], '.2f')}. "
            f"At this scale **{better}** gives the closer samples"
            + ("" if clear else ", but by less than the seeds' spread: neither is shown better at this budget")
            + ("." if not clear else " — BigGAN's choice pays off here." if better == "cbn" else
               " — BigGAN's cBN does not beat plain concatenation at 28×28 in this budget.")
            + _agreement_note(agree))


def _agreement_note(agree: dict[str, tuple[float, float]]) -> str:
    """Which G draws the requested class more often, when the seeds separate them."""
    if not _separated(agree["cbn"], agree["input"]):
        return " Both draw the requested class about as often."
    more = max(agree, key=lambda arm: agree[arm][0])
    return f" **{more}** draws the requested class more often, beyond the seeds' spread."


def batch_table(results: list[dict]) -> list[dict]:
    return [{"batch": r["batch"], "budget": "400 G steps" if r["budget"] == "steps" else "equal time",
             "G steps": r["steps"], "seconds": r["seconds"], "Fréchet distance": round(r["frechet_distance"], 1)}
            for r in results]


def batch_verdict(results: list[dict]) -> str:
    by = {b: {r["batch"]: r["frechet_distance"] for r in results if r["budget"] == b} for b in ("steps", "seconds")}
    steps_in_time = {r["batch"]: r["steps"] for r in results if r["budget"] == "seconds"}
    best_steps, best_time = min(by["steps"], key=by["steps"].get), min(by["seconds"], key=by["seconds"].get)
    small, large = min(by["seconds"]), max(by["seconds"])
    text = (f"At an equal number of G steps the best batch is **{best_steps}** (Fréchet {by['steps'][best_steps]:.1f}); "
            f"at equal wall clock it is **{best_time}** ({by['seconds'][best_time]:.1f}). ")
    if large in (best_steps, best_time):
        return text + (f"The largest batch, {large}, wins " + ("under both budgets." if best_steps == best_time == large
                                                               else "when steps, not seconds, are the budget."))
    return text + (f"The lecture's large batch ({large}) wins under neither: in the same seconds it made "
                   f"{steps_in_time[large]:,} G steps against {steps_in_time[small]:,} at batch {small} and ends at "
                   f"Fréchet {by['seconds'][large]:.1f}. On 2 CPU cores a step costs about its batch size, so BigGAN's "
                   "large batch pays off with many accelerators and a large model, not at this scale.")


def fastgan_table(results: list[dict]) -> list[dict]:
    return [{"arm": r["arm"], "seed": r["seed"], "steps": r["steps"],
             "Fréchet distance": round(r["curve"][-1]["frechet_distance"], 1),
             "D accuracy (clean)": round(r["clean_accuracy"], 2),
             f"D accuracy (PGD-10, ε = {r['eps']:g})": round(r["pgd_accuracy"], 2)} for r in results]


def fastgan_verdict(results: list[dict]) -> str:
    fd = _final(results)
    a, b, c = (next(k for k in fd if k.startswith(p)) for p in ("A", "B", "C"))
    reach = ideas.time_to_reach(arms(results)[c], fd[a][0])  # C's seed-mean curve against A's seed-mean end point
    budget = results[0]["budget"]
    when = (f"C's mean curve reaches A's final distance after {reach:.0f} s of A's {budget:.0f} s "
            f"(ratio {reach / budget:.2f})" if reach is not None else
            f"C's mean curve does not reach A's final distance within {budget:.0f} s")
    if not _separated(fd[b], fd[c]):
        split = ("B and C end within the seeds' spread of each other: adversarial training of D shows no effect "
                 "beyond the saving of 5 → 1 D steps at this budget.")
    elif fd[b][0] < fd[c][0]:
        split = "most of the speed-up comes from 5 → 1 D steps, not from adversarial training."
    else:
        split = "adversarial training of D improves on B, beyond the saving of 5 → 1 D steps."
    return (f"Final Fréchet distance{_seeds_note(results)}: A {_pm(fd[a])}, B {_pm(fd[b])}, C {_pm(fd[c])}; {when}. "
            "The ablation B separates the two changes: " + split)


# ---- StyleGAN ideas -------------------------------------------------------------------------------------
def check_stylegan(ckpt: Checkpoint) -> None:
    check_gan(ckpt)
    stylegan.style_generator(ckpt.model)


@cached_view()
def style_mixing_grid(ckpt: Checkpoint, coarse_seeds: tuple[int, ...], fine_seeds: tuple[int, ...],
                      crossover: int) -> torch.Tensor:
    check_stylegan(ckpt)
    return stylegan.mixing_grid(ckpt.model, list(coarse_seeds), list(fine_seeds), crossover)


@cached_view()
def style_noise(ckpt: Checkpoint, seed: int, draws: int) -> tuple[torch.Tensor, torch.Tensor]:
    check_stylegan(ckpt)
    return stylegan.noise_variation(ckpt.model, seed, draws)


@cached_view()
def style_truncation(ckpt: Checkpoint, seeds: tuple[int, ...], psis: tuple[float, ...]) -> torch.Tensor:
    check_stylegan(ckpt)
    return stylegan.w_truncation_grid(ckpt.model, list(seeds), list(psis))


STYLE_KEYS = ("mixing_coarse_agreement", "mixing_fine_agreement", "separability_z", "separability_w", "ppl_z",
              "ppl_w", "noise_class_change")


@cached_view("Measuring mixing, separability, path length and noise on 1,000 samples (about 20 s)…", max_entries=8)
def style_numbers(ckpt: Checkpoint, imgs: ImageData) -> dict | None:
    """The StyleGAN numbers stored with the checkpoint (seed 0, 1,000 samples), or measured now."""
    check_stylegan(ckpt)
    if all(k in ckpt.metrics for k in STYLE_KEYS):
        out = {k: ckpt.metrics[k] for k in (*STYLE_KEYS, "mixing_crossover") if k in ckpt.metrics}
        by_crossover = (ckpt.meta.get("extra") or {}).get("mixing_by_crossover")
        return {**out, "mixing_by_crossover": by_crossover} if by_crossover else out
    return stylegan.style_numbers(ckpt.model, imgs)


@st.cache_data(show_spinner=False, ttl=60)
def style_depth_results(dataset_name: str) -> dict | None:
    return stylegan.load_depth_results(dataset_name)


# Issue 16's claims: the coarse source's class kept in ≥ 70 % of mixed images, ≤ 1 % of classes changed by the noise
MIXING_CLAIM, NOISE_CLAIM = 0.7, 0.01
# What a StyleGAN run is held to: issue 18's bar for a shipped MNIST GAN (distance, class balance) and issue 16's
# claims (mixing at the default crossover, noise). (name, key, test, target as text)
STYLE_TARGETS = (
    ("Fréchet", "frechet_distance", lambda v: v <= 60, "≤ 60"),
    ("max/min class count", "balance", lambda v: v <= 2, "≤ 2"),
    ("mixing: coarse class kept", "mixing_coarse_agreement", lambda v: v >= MIXING_CLAIM, f"≥ {MIXING_CLAIM:.0%}"),
    ("class changed by noise", "noise_class_change", lambda v: v <= NOISE_CLAIM, f"≤ {NOISE_CLAIM:.0%}"),
)


def recorded_runs(runs: list[dict]) -> tuple[list[dict], str]:
    """The training runs recorded with a StyleGAN file (extra["runs"], its own first): one row each, and a sentence
    that counts, per style-mixing p, the runs meeting every target of STYLE_TARGETS."""
    rows, met = [], {}
    for i, r in enumerate(runs):
        counts = r.get("label_counts")
        values = {**r, "balance": class_count_ratio(counts) if counts else float("nan")}
        ok = all(key in values and test(values[key]) for _, key, test, _ in STYLE_TARGETS)
        p = r.get("style_mixing")
        met.setdefault(p, []).append((r.get("seed"), ok))
        rows.append({"style mixing p": p, "seed": r.get("seed"), "this file": "this one" if i == 0 else "",
                     "every target": "yes" if ok else "no",
                     "Fréchet": round(values.get("frechet_distance", float("nan")), 1),
                     "max/min class count": round(values["balance"], 2),
                     "mixing: coarse class kept": f"{values.get('mixing_coarse_agreement', float('nan')):.0%}",
                     "class changed by noise": f"{values.get('noise_class_change', float('nan')):.1%}",
                     "w − z (points)": round(100 * (values.get("separability_w", 0) - values.get("separability_z", 0)), 1),
                     "trained": f"{r.get('train_seconds') or 0:.0f} s, {r.get('torch_threads')} thread(s)"})
    rows.sort(key=lambda row: (row["style mixing p"], row["seed"]))
    parts = [f"at p = {p:g}, {sum(ok for _, ok in seeds)} of {len(seeds)} (seeds "
             f"{', '.join(str(s) for s, _ in sorted(seeds))})" for p, seeds in sorted(met.items())]
    fd = [row["Fréchet"] for row in rows]
    sentence = (f"Runs meeting every target ({', '.join(f'{n} {t}' for n, _, _, t in STYLE_TARGETS)}): "
                + "; ".join(parts) + f". This file is seed {runs[0].get('seed')}. With the recipe fixed, the training seed "
                f"alone moves the distance between {min(fd):g} and {max(fd):g}: this file's numbers above are one draw.")
    return rows, sentence


def short_number(value: float) -> str:
    """A number that fits a metric tile: 51,636 → "52k", 2,933 → "2,933", 0.42 → "0.42"."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:.3g}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:.0f}k"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _later_crossover(by_crossover: list[dict], k: int) -> str:
    """Where along the layers the coarse source's class is kept ≥ 70 %, when it is at a later crossover than k."""
    later = next((r for r in by_crossover if r["crossover"] > k and r["coarse"] >= MIXING_CLAIM), None)
    if later is None:
        return ""
    c = later["crossover"]
    return (f" With the crossover at {c} (styles 1–{c} from the row), {later['coarse']:.0%} keep the coarse source's "
            f"class: here the class is set by the first {c} layers.")


def _mixing_note(style_mixing: float | None) -> str:
    """For a claim that fails on a model trained with less style mixing than the paper's 90 %: say so."""
    if style_mixing is None or style_mixing >= 0.9:
        return ""
    return (f" This model mixed styles on {style_mixing:.0%} of its training images, the paper on 90%, which ties "
            "each style more to its own layers (the Train page's 'Style-mixing probability p'; BENCHMARKS.md, StyleGAN, "
            "has this budget's runs at both).")


def style_verdicts(numbers: dict, depth: int, depth_runs: list[dict] | None = None,
                   style_mixing: float | None = None) -> list[str]:
    """One sentence per claim, computed from the numbers (and from the equal-budget depth runs when recorded);
    `style_mixing`, the model's training p, adds a pointer to the paper's p where a claim it favours fails."""
    a, f = numbers["mixing_coarse_agreement"], numbers["mixing_fine_agreement"]
    k = int(numbers.get("mixing_crossover", 2))
    sz, sw = numbers["separability_z"], numbers["separability_w"]
    pz, pw = numbers["ppl_z"], numbers["ppl_w"]
    change = numbers["noise_class_change"]
    gap = 100 * (sw - sz)
    out = [
        f"**Style mixing.** With styles 1–{k} from the row and the rest from the column, {a:.0%} of 1,000 mixed "
        f"images keep the coarse source's class ({f:.0%} the fine source's; chance ≈ 10%). "
        + ("The claim (≥ 70%) holds: the class lives in the coarse styles." if a >= MIXING_CLAIM else
           "The claim (≥ 70%) does not hold here: at this scale the class is not decided by the coarse styles alone."
           + _later_crossover(numbers.get("mixing_by_crossover") or [], k) + _mixing_note(style_mixing)),
        f"**Linear separability.** A logistic probe names the sample's class from w with {sw:.0%} accuracy and from z "
        f"with {sz:.0%}: w − z = {gap:+.1f} points with a {depth}-layer mapping. "
        + (("The claim (≥ 10 points at L ≥ 4) holds." if gap >= 10 else
            "The claim (≥ 10 points at L ≥ 4) does not hold at this scale.") if depth >= 4 else
           "With L < 4 the claim does not apply (L = 0 is the control: w is z normalised)."),
        f"**Perceptual path length** (classifier features, ε = 1e-4): PPL_W = {pw:.3g}, PPL_Z = {pz:.3g}. "
        + ("Paths in W are shorter: W is the less curved space, as the paper says." if pw < pz else
           "Here paths in W are not shorter than in Z: the claim does not show at this scale."),
        f"**Noise.** Redrawing the per-pixel noise changes the class of {change:.1%} of samples. "
        + ("The claim (≤ 1%) holds: noise changes details, not the digit." if change <= NOISE_CLAIM else
           "The claim (≤ 1%) does not hold here." + _mixing_note(style_mixing)),
    ]
    if depth_runs:
        gaps = {r["mapping_depth"]: 100 * (r["separability_w"] - r["separability_z"]) for r in depth_runs}
        deep = {d: g for d, g in gaps.items() if d >= 4}
        text = ", ".join(f"L = {d}: {g:+.1f}" for d, g in sorted(gaps.items()))
        met = [d for d, g in sorted(deep.items()) if g >= 10]
        unmet = [d for d in sorted(deep) if d not in met]
        ordered = [gaps[d] for d in sorted(gaps)]
        grows = len(ordered) > 2 and all(a < b for a, b in zip(ordered, ordered[1:]))
        verdict = ("" if not deep or 0 not in gaps else
                   " The claim holds at equal budget: every L ≥ 4 gains ≥ 10 points over z, and L = 0 does not."
                   if not unmet and gaps[0] < 10 else
                   " At this budget the claim does not hold for every L ≥ 4"
                   + (f": it holds for L = {', '.join(map(str, met))}, not for L = {', '.join(map(str, unmet))}"
                      if met and gaps[0] < 10 else " (or the control gains as much)")
                   + ("; the gap grows with the depth." if grows else "."))
        out.append(f"**Mapping depth, equal budget** ({depth_runs[0]['steps']} steps each): w − z = {text} points.{verdict}")
    return out
