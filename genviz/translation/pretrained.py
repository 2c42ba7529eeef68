"""Builders of the shipped CycleGAN files (used by `genviz/pretrained.py`).

`build_scorer` trains the classifier that reads one domain at the pairs' size (genviz's classifier kind,
through the registry) and writes checkpoints/classifier-<domain>-<size>.safetensors; `build_cyclegan`
trains one pair and writes checkpoints/<name>.safetensors (fp16) with both directions' numbers.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from genviz.core import data as datasets
from genviz.core.train import TrainParams, new_run, save_run
from genviz.translation.pairs import MNIST, PAIRS, TRANSFORMS, Domain, load_pair, resize

DOMAINS: dict[str, Domain] = {MNIST.name: MNIST, **{p.b.name: p.b for p in PAIRS.values()}}


def domain_images(domain: Domain, size: int, device) -> datasets.ImageData:
    """All of a domain's source images (both splits), resized and transformed, as an ImageData."""
    src = datasets.load(domain.dataset, device)
    t = TRANSFORMS[domain.transform].apply
    return datasets.ImageData(f"{domain.name}-{size}", t(resize(src.x_train, size)), src.y_train,
                              t(resize(src.x_test, size)), src.y_test, src.classes)


def build_scorer(spec, device: str, out_dir: Path, log: Callable[[str], None]) -> Path:
    """`spec.config`: {"domain": name, "size": px}; `spec.train`: TrainParams values."""
    imgs = domain_images(DOMAINS[spec.config["domain"]], spec.config["size"], device)
    run = new_run("classifier", imgs, {}, TrainParams(**{"batch_size": 128, "lr": 1e-3, **spec.train}), device)
    for rec in run.fit():
        log(f"{spec.name}: step {rec.step}/{rec.total_steps} {rec.metrics} {rec.test_metrics}")
    return save_run(run, out_dir / spec.name, imgs, half=True)


def build_cyclegan(spec, device: str, out_dir: Path, log: Callable[[str], None]) -> Path:
    """Train the pair `spec.config["pair"]` and save it with its training curve and evaluate numbers.

    `spec.train["budget_s"]` (optional) stops the run after that many seconds of training even if it has
    not reached `max_steps`; the steps actually run are recorded in the file (train_steps)."""
    imgs = load_pair(spec.config["pair"], device)
    train = dict(spec.train)
    budget = train.pop("budget_s", None)
    params = TrainParams(**{"epochs": 100, "batch_size": 32, "lr": 2e-4, "log_every": 50, "precision": "fp32",
                            "eval_every_epoch": False, **train})
    run = new_run("cyclegan", imgs, spec.config, params, device)
    stop = threading.Event()
    timer = threading.Timer(budget, stop.set) if budget else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    for rec in run.fit(stop=stop):
        log(f"{spec.name}: step {rec.step}/{rec.total_steps} {rec.examples_per_s:.0f} img/s "
            + " ".join(f"{k}={v:.3g}" for k, v in rec.metrics.items()))
    if timer is not None:
        timer.cancel()
    return save_run(run, out_dir / spec.name, imgs, half=True,
                    extra={"curve": run.curve[-200:], "budget_s": budget or 0, "stopped_by_budget": stop.is_set()})


def entries(spec_cls) -> list:
    """The shipped CycleGAN files: the domain classifiers at 16 px, pairs 1 and 2, and the λ = 0 ablation of
    pair 1 (the page shows it beside the full model). `spec_cls` is genviz.pretrained.PretrainSpec."""
    scorers = [spec_cls(f"classifier-{d}-16", "classifier", DOMAINS[d].dataset, {"domain": d, "size": 16}, train,
                        custom=build_scorer)
               for d, train in (("mnist", {"epochs": 1}), ("digits", {"epochs": 30}), ("mnist-thick", {"epochs": 1}))]
    # 600 steps of 32 (about 3–5 minutes on one core); the budget caps a run on a busy machine. With so few
    # steps the learning rate is 5e-4 instead of the paper's 2e-4 (still Adam with β₁ = 0.5 and the decay).
    steps = {"max_steps": 600, "budget_s": 300, "lr": 5e-4}
    pairs = [
        spec_cls("cyclegan-mnist-thick", "cyclegan", "mnist-thick", {"pair": "mnist-thick", "g_width": 8}, steps,
                 custom=build_cyclegan),
        spec_cls("cyclegan-mnist-digits", "cyclegan", "mnist-digits", {"pair": "mnist-digits", "g_width": 8}, steps,
                 custom=build_cyclegan),
        spec_cls("cyclegan-mnist-digits-no-cycle", "cyclegan", "mnist-digits",
                 {"pair": "mnist-digits", "g_width": 8, "cycle_lambda": 0.0},
                 {**steps, "max_steps": 600, "budget_s": 180}, custom=build_cyclegan),
    ]
    return scorers + pairs
