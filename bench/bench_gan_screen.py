"""Unconditional MNIST GANs at equal wall-clock (issue 18): each arm trains for the same seconds of training
(the clock stops while it is scored) and is scored every `GENVIZ_BENCH_GS_EVERY` seconds: Fréchet distance
of 1,000 samples against the MNIST test set in the project classifier's features, the classifier's mean
confidence and the max/min ratio of its predicted class counts. Equal time, not equal steps, because the
changes screened here (a deeper discriminator, a larger batch) change what a step costs.

    python bench/run.py gan_screen
    GENVIZ_BENCH_GS_SECONDS=240 GENVIZ_BENCH_GS_ARMS="dcgan:base;dcgan:D +1 stage, lr 5e-4" python bench/run.py gan_screen

Arms run two at a time, each in its own process with one torch thread (so a pair shares the 2 cores as two
users would); `kind:name` from ARMS, separated by semicolons. Needs MNIST (GENVIZ_DATA_DIR) and the shipped
MNIST classifier.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # this folder and the repo root, also in the child processes
from bench_gan_quality import BASE_TRAIN  # noqa: E402  (the shipped recipes' batch 64, Adam 2e-4)

SECONDS = float(os.environ.get("GENVIZ_BENCH_GS_SECONDS", "240"))
EVERY = float(os.environ.get("GENVIZ_BENCH_GS_EVERY", "60"))
SEED = int(os.environ.get("GENVIZ_BENCH_GS_SEED", "0"))
# the StyleGAN recipe shipped before issue 18's screen (genviz/pretrained.py, stylegan-mnist, batch 32)
STYLE = {"latent_dim": 64, "g_width": 16, "d_width": 32, "mapping_depth": 8, "g_lr_mul": 10.0, "ema": 0.995,
         "style_block": "adain"}
# the recipe the first StyleGAN screen chose (stylegan-mnist since 2026-12-06)
SHIPPED_STYLE = {**STYLE, "d_norm": "none", "r1_gamma": 0.1, "d_extra_stages": 1, "g_lr_mul": 5.0}
# the second screen's candidate: lazy R1, minibatch stddev, D +2 stages (the third screen starts from it)
MBSTD_STYLE = {**SHIPPED_STYLE, "r1_every": 16, "d_mbstd": 4, "d_extra_stages": 2}
# the recipe the third StyleGAN screen chose (stylegan-mnist since 2026-12-06, second rebuild)
SKIP_STYLE = {**MBSTD_STYLE, "style_output": "skip", "adam_betas": "0, 0.99", "ema": 0.999}
# kind: {arm: (config changes, train changes)}; "base" is the recipe pretrain shipped before issue 18's changes
ARMS: dict[str, dict[str, tuple[dict, dict]]] = {
    "dcgan": {
        "base": ({}, {}),
        "lr 5e-4": ({}, {"lr": 5e-4}),
        "lr 1e-3": ({}, {"lr": 1e-3}),
        "batch 256, lr 5e-4": ({}, {"batch_size": 256, "lr": 5e-4}),
        "D width 64": ({"d_width": 64}, {}),
        "D +1 stage, lr 5e-4": ({"d_extra_stages": 1}, {"lr": 5e-4}),
        "D +2 stages, lr 5e-4": ({"d_extra_stages": 2}, {"lr": 5e-4}),
        "D +1 stage, lr 1e-3": ({"d_extra_stages": 1}, {"lr": 1e-3}),
        "D +2 stages, lr 1e-3": ({"d_extra_stages": 2}, {"lr": 1e-3}),
    },
    "sngan": {
        "base": ({"n_critic": 1}, {}),
        "D +1 stage, lr 5e-4": ({"n_critic": 1, "d_extra_stages": 1}, {"lr": 5e-4}),
        "D +2 stages, lr 1e-3": ({"n_critic": 1, "d_extra_stages": 2}, {"lr": 1e-3}),
    },
    "wgan-gp": {
        "base": ({"n_critic": 5}, {}),
        "D +1 stage": ({"n_critic": 5, "d_extra_stages": 1}, {}),
        "D +2 stages, 2 critic steps, lr 3e-4": ({"n_critic": 2, "d_extra_stages": 2}, {"lr": 3e-4}),
    },
    "biggan": {
        "D +1 stage, lr 5e-4": ({"ema": 0.999, "d_extra_stages": 1}, {"lr": 5e-4}),
    },
    # StyleGAN's G with the D and step sizes the unconditional kinds above won with ("base": shipped before)
    "stylegan": {
        "base": (STYLE, {"batch_size": 32}),
        "D +2 stages, lr 5e-4, G lr ×4": ({**STYLE, "d_extra_stages": 2, "g_lr_mul": 4.0}, {"lr": 5e-4}),
        "DCGAN's D (batch norm, +2 stages), lr 1e-3, G lr ×2":
            ({**STYLE, "d_norm": "batch", "d_extra_stages": 2, "g_lr_mul": 2.0}, {"lr": 1e-3}),
        "D +2 stages, lr 5e-4, G lr ×4, G width 32":
            ({**STYLE, "d_extra_stages": 2, "g_lr_mul": 4.0, "g_width": 32}, {"lr": 5e-4}),
        "D +2 stages, no norm, R1 γ 0.1, lr 1e-3, G lr ×2":
            ({**STYLE, "d_norm": "none", "d_extra_stages": 2, "r1_gamma": 0.1, "g_lr_mul": 2.0}, {"lr": 1e-3}),
        "D +2 stages, no norm, R1 γ 0.1, lr 1e-3, G lr ×5":
            ({**STYLE, "d_norm": "none", "d_extra_stages": 2, "r1_gamma": 0.1, "g_lr_mul": 5.0}, {"lr": 1e-3}),
        "D +2 stages, no norm, R1 γ 0.1, lr 1e-3, G lr ×10":
            ({**STYLE, "d_norm": "none", "d_extra_stages": 2, "r1_gamma": 0.1, "g_lr_mul": 10.0}, {"lr": 1e-3}),
        "D +2 stages, no norm, R1 γ 0.1, lr 1e-3, G lr ×5, D width 16":
            ({**STYLE, "d_norm": "none", "d_extra_stages": 2, "r1_gamma": 0.1, "g_lr_mul": 5.0, "d_width": 16}, {"lr": 1e-3}),
        "D +1 stage, no norm, R1 γ 0.1, lr 1e-3, G lr ×5":
            ({**STYLE, "d_norm": "none", "d_extra_stages": 1, "r1_gamma": 0.1, "g_lr_mul": 5.0}, {"lr": 1e-3}),
        "DCGAN's D, lr 1e-3, G lr ×2, G width 32":
            ({**STYLE, "d_norm": "batch", "d_extra_stages": 2, "g_lr_mul": 2.0, "g_width": 32}, {"lr": 1e-3}),
        # second screen (2026-12-06), from the recipe the first one chose: StyleGAN2's lazy R1 and StyleGAN's
        # minibatch-stddev layer in D
        "shipped 2026-12-06": (SHIPPED_STYLE, {"lr": 1e-3}),
        "lazy R1 (every 16)": ({**SHIPPED_STYLE, "r1_every": 16}, {"lr": 1e-3}),
        "lazy R1, minibatch stddev": ({**SHIPPED_STYLE, "r1_every": 16, "d_mbstd": 4}, {"lr": 1e-3}),
        "lazy R1, minibatch stddev, D +2 stages":
            ({**SHIPPED_STYLE, "r1_every": 16, "d_mbstd": 4, "d_extra_stages": 2}, {"lr": 1e-3}),
        "lazy R1, minibatch stddev, G width 32":
            ({**SHIPPED_STYLE, "r1_every": 16, "d_mbstd": 4, "g_width": 32}, {"lr": 1e-3}),
        # third screen (2026-12-06): StyleGAN2's skip generator (a toRGB per resolution, summed)
        "lazy R1, minibatch stddev, D +2 stages, skip G": ({**MBSTD_STYLE, "style_output": "skip"}, {"lr": 1e-3}),
        "skip G, Adam β (0, 0.99)": ({**MBSTD_STYLE, "style_output": "skip", "adam_betas": "0, 0.99"}, {"lr": 1e-3}),
        "skip G, EMA 0.999": ({**MBSTD_STYLE, "style_output": "skip", "ema": 0.999}, {"lr": 1e-3}),
        # fourth screen: the recipe the third one chose (skip G, Adam β (0, 0.99), EMA 0.999), for class balance
        "skip G, β (0, 0.99), EMA 0.999, D width 48":
            ({**SKIP_STYLE, "d_width": 48}, {"lr": 1e-3}),
        "skip G, β (0, 0.99), EMA 0.999, G lr ×3":
            ({**SKIP_STYLE, "g_lr_mul": 3.0}, {"lr": 1e-3}),
        "skip G, β (0, 0.99), EMA 0.999, style mixing 0.5":
            ({**SKIP_STYLE, "style_mixing": 0.5}, {"lr": 1e-3}),
        "skip G, β (0, 0.99), EMA 0.999, batch 128":
            (SKIP_STYLE, {"lr": 1e-3, "batch_size": 128}),
        "skip G, G width 24": ({**MBSTD_STYLE, "style_output": "skip", "g_width": 24}, {"lr": 1e-3}),
        "skip G, G width 32": ({**MBSTD_STYLE, "style_output": "skip", "g_width": 32}, {"lr": 1e-3}),
    },
}
DEFAULT_ARMS = "dcgan:base;dcgan:D +1 stage, lr 5e-4"


def arm_curve(kind: str, config: dict, train: dict) -> dict:
    """Train one arm for SECONDS of training in this process; its curve of (s, step, FD, confidence, max/min)."""
    import torch

    from genviz.core import data
    from genviz.core.train import TrainParams, new_run
    from genviz.gans.recipes import generator_scores

    torch.set_num_threads(1)
    imgs = data.load("mnist")
    run = new_run(kind, imgs, config, TrainParams(**{**BASE_TRAIN, **train, "seed": SEED}))
    curve, scoring, next_t = [], 0.0, EVERY
    start = time.perf_counter()
    for rec in run.fit():
        trained = time.perf_counter() - start - scoring
        if trained >= next_t:
            t = time.perf_counter()
            s = generator_scores(run.model, imgs)
            curve.append((round(trained), rec.step, round(s.scores.frechet_distance, 1),
                          round(s.scores.confidence, 3), round(s.scores.class_count_ratio, 2)))
            scoring += time.perf_counter() - t
            next_t += EVERY
            if trained >= SECONDS:
                break
    return {"curve": curve, "load": os.getloadavg()[0]}


def _start(arm: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, arm], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})


def run() -> list[dict]:
    arms = os.environ.get("GENVIZ_BENCH_GS_ARMS", DEFAULT_ARMS).split(";")
    rows = []
    for i in range(0, len(arms), 2):
        pair = arms[i:i + 2]
        procs = [_start(arm) for arm in pair]
        for arm, proc in zip(pair, procs):
            out, _ = proc.communicate()
            result = json.loads(out.strip().splitlines()[-1])
            kind, _, name = arm.partition(":")
            curve = result["curve"]
            s, step, fd, conf, ratio = curve[-1]
            rows.append({"benchmark": f"{kind} at equal time (MNIST)", "setting": f"{name}, {SECONDS:g} s, seed {SEED}",
                         "value": fd, "unit": "Fréchet",
                         "note": "curve (s: step, FD) " + ", ".join(f"{c[0]}: {c[1]}, {c[2]:g}" for c in curve)
                                 + f"; at the end confidence {conf:.3f}, max/min class count {ratio:.2f}; "
                                   f"two arms at a time, 1 thread each, load avg {result['load']:.1f}"})
            print(rows[-1], flush=True)
    return rows


if __name__ == "__main__":  # one arm, in a child process
    kind, _, name = sys.argv[1].partition(":")
    config, train = ARMS[kind][name]
    print(json.dumps(arm_curve(kind, config, train)))
