"""A generic trainer: it knows nothing of the model and reports by yielding records.

The per-kind work (optimisers, one training step, evaluation, a preview picture) lives in
a `Recipe` that the registry supplies. Data are tensors already on the device; a batch is
an index slice of them, so an epoch is one `randperm` plus slicing — no DataLoader.
"""
from __future__ import annotations

import copy
import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

import torch
from torch import Tensor, nn

from genviz.core import checkpoints, registry
from genviz.core.config import PRECISIONS, check_choice, check_range
from genviz.core.errors import ConfigError, TrainingDiverged
from genviz.core.evaluation import evaluate_model
from genviz.core.optim import autocast, step_dtype


@dataclass(frozen=True)
class TrainParams:
    """Settings of one training run (the model's own settings live in its config)."""

    epochs: float = 10
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0
    log_every: int = 25  # steps between records (and NaN checks)
    max_steps: int | None = None  # stop early after this many steps; 1-2 makes a dry run
    eval_every_epoch: bool = True
    precision: str = "auto"  # "auto" | "fp32" | "bf16": the arithmetic of training steps (see `step_dtype`)

    def __post_init__(self) -> None:
        check_choice("Precision", self.precision, PRECISIONS)
        check_range("Epochs", self.epochs, 0.01, 10_000)
        check_range("Batch size", self.batch_size, 1, 65_536)
        check_range("Learning rate", self.lr, 1e-7, 10.0)
        check_range("Seed", self.seed, 0, 2**31 - 1)
        check_range("Log interval", self.log_every, 1, 1_000_000)
        if self.max_steps is not None:
            check_range("Max steps", self.max_steps, 1, 10**9)


@dataclass(frozen=True)
class TensorSplit:
    """Train and test tensors on one device: `train[0]` is the input, `train[1:]` labels etc."""

    train: tuple[Tensor, ...]
    test: tuple[Tensor, ...]

    def __post_init__(self) -> None:
        if len(self.train[0]) == 0:
            raise ConfigError("The training set is empty.")

    @property
    def n_train(self) -> int:
        return len(self.train[0])


@dataclass(frozen=True)
class TrainRecord:
    step: int
    epoch: float
    total_steps: int
    metrics: dict[str, float]  # running means of the step losses since the last record
    test_metrics: dict[str, float] = field(default_factory=dict)  # set at epoch ends
    examples_per_s: float = 0.0
    elapsed: float = 0.0
    preview: Tensor | None = None  # images (N, C, H, W) on the CPU, when the recipe draws one

    @property
    def progress(self) -> float:
        return min(1.0, self.step / max(1, self.total_steps))


@dataclass
class RunState:
    """The scratch space of one `fit` call, handed to every `recipe.step`: recipes themselves hold
    no per-run state, so one recipe object can train several models, one after another or at once."""

    step: int = 0  # steps taken before the current one
    values: dict[str, Any] = field(default_factory=dict)  # what a recipe carries from step to step
    total_steps: int = 0  # steps this run will take (for schedules such as CycleGAN's linear decay)


class Recipe(Protocol):
    """How one kind of model trains. `step` returns detached scalar tensors (no .item()).

    Optional class attributes for the Train page: `preview_caption` (what the preview grid shows)
    and `preview_nrow` (images per grid row). An optional method `initialize(model, train_tensors)`
    sets data-dependent initial values of a freshly built model before its first step.
    """

    def optimizers(self, model: nn.Module, params: TrainParams) -> dict[str, torch.optim.Optimizer]: ...

    def step(
        self, model: nn.Module, optimizers: dict[str, torch.optim.Optimizer], batch: tuple[Tensor, ...],
        generator: torch.Generator, run: RunState,
    ) -> dict[str, Tensor]: ...

    def evaluate(self, model: nn.Module, data: tuple[Tensor, ...], generator: torch.Generator) -> dict[str, float]: ...

    def preview(self, model: nn.Module, data: tuple[Tensor, ...], generator: torch.Generator) -> Tensor | None: ...


def total_steps(n_train: int, params: TrainParams) -> int:
    per_epoch = math.ceil(n_train / params.batch_size)
    steps = max(1, round(per_epoch * params.epochs))
    return min(steps, params.max_steps) if params.max_steps else steps


def _finite(values: dict[str, Tensor]) -> bool:
    if not values:
        return True
    return bool(torch.isfinite(torch.stack([v.float() for v in values.values()])).all())


def fit(
    model: nn.Module,
    recipe: Recipe,
    data: TensorSplit,
    params: TrainParams,
    *,
    stop: threading.Event | None = None,
    preview_data: tuple[Tensor, ...] | None = None,
    fresh: bool = True,
) -> Iterator[TrainRecord]:
    """Train `model` in place, yielding a record every `log_every` steps and at each epoch end.

    NaN/inf in the losses is checked at each record: the model is restored to the weights of
    the last good record and `TrainingDiverged` is raised with a sentence saying what to try.
    Seeded: the same params, model init and data give the same run. `fresh`: the model was just
    built, so the recipe's `initialize` (if any) may set data-dependent starting values.
    Training steps run under `params.precision` (see `step_dtype`); evaluation is always fp32.
    """
    device = data.train[0].device
    gen = torch.Generator(device=device).manual_seed(params.seed)
    eval_gen_seed = params.seed + 1
    n = data.n_train
    batch = min(params.batch_size, n)
    steps_total = total_steps(n, params)
    per_epoch = math.ceil(n / batch)
    if fresh and hasattr(recipe, "initialize"):
        recipe.initialize(model, data.train)
    optimizers = recipe.optimizers(model, params)
    run = RunState(total_steps=steps_total)
    dtype = step_dtype(device, params.precision)
    good_state = copy.deepcopy(model.state_dict())
    sums: dict[str, Tensor] = {}
    count = 0
    step = 0
    start = time.perf_counter()
    last_step = 0

    def record(test: dict[str, float], trained: float) -> TrainRecord:
        """`trained`: seconds spent in training steps since the last record (not evaluating, drawing the
        preview or waiting for the caller between records), so that the rate is the trainer's."""
        nonlocal last_step, sums, count
        now = time.perf_counter()
        rate = (step - last_step) * batch / max(trained, 1e-9)
        means = {k: float(v) / max(count, 1) for k, v in sums.items()}
        preview = None
        if preview_data is not None:
            model.eval()
            preview = recipe.preview(model, preview_data, torch.Generator(device=device).manual_seed(eval_gen_seed))
            model.train()
        rec = TrainRecord(step=step, epoch=step / per_epoch, total_steps=steps_total, metrics=means,
                          test_metrics=test, examples_per_s=rate, elapsed=now - start, preview=preview)
        last_step, sums, count = step, {}, 0
        return rec

    def check_finite() -> None:
        nonlocal good_state
        if _finite(sums):
            good_state = copy.deepcopy(model.state_dict())
            return
        model.load_state_dict(good_state)
        raise TrainingDiverged(
            f"Training diverged at step {step} (a loss became NaN or infinite); the model keeps the "
            f"weights from before. Try a smaller learning rate than {params.lr:g}."
        )

    model.train()
    resumed = time.perf_counter()  # when training steps (re)started after the last record
    while step < steps_total:
        perm = torch.randperm(n, device=device, generator=gen)
        for i in range(0, n, batch):
            idx = perm[i : i + batch]  # index_select copies whole rows: 2× faster than t[idx] on CPU
            with autocast(device, dtype):
                losses = recipe.step(model, optimizers, tuple(t.index_select(0, idx) for t in data.train), gen, run)
            for k, v in losses.items():
                sums[k] = sums[k] + v if k in sums else v.detach().clone()
            count += 1
            step += 1
            run.step = step
            epoch_end = i + batch >= n
            done = step >= steps_total or (stop is not None and stop.is_set())
            if step % params.log_every == 0 or epoch_end or done:
                trained = time.perf_counter() - resumed
                check_finite()
                test: dict[str, float] = {}
                if (epoch_end or done) and params.eval_every_epoch and len(data.test[0]):
                    model.eval()
                    test = recipe.evaluate(model, data.test, torch.Generator(device=device).manual_seed(eval_gen_seed))
                    model.train()
                    bad = [k for k, v in test.items() if not math.isfinite(v)]
                    if bad:
                        model.load_state_dict(good_state)
                        raise TrainingDiverged(
                            f"Training diverged at step {step} (held-out {bad[0]} is not finite); the model keeps "
                            f"its last good weights. Try a smaller learning rate than {params.lr:g}."
                        )
                yield record(test, trained)
                resumed = time.perf_counter()
            if done:
                model.eval()
                return
    model.eval()


def batched(fn, tensors: tuple[Tensor, ...], batch_size: int = 1024) -> Iterator[Any]:
    """Apply `fn` to consecutive slices of `tensors` (for evaluation without running out of memory)."""
    n = len(tensors[0])
    for i in range(0, n, batch_size):
        yield fn(*(t[i : i + batch_size] for t in tensors))


# --- one build → fit → save path: the CLI, the Train page, `pretrain` and the experiments use it ---------
_BUILD_LOCK = threading.Lock()


def seeded_build(build: Callable[[Any], nn.Module], config: Any, seed: int) -> nn.Module:
    """`build(config)` with initial weights drawn from `seed` alone: the same seed gives the same model.

    Modules draw their initial weights from torch's process-wide CPU generator; it is seeded inside
    `fork_rng`, so the server's RNG (shared by every session) is left as it was, and under a lock,
    so two sessions building at once cannot interleave their draws.
    """
    with _BUILD_LOCK, torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(int(seed))
        return build(config)


@dataclass
class Run:
    """One training run from build to save: the model, how it trains, and what was actually run."""

    kind: str
    config: Any
    model: nn.Module
    recipe: Any
    params: TrainParams
    split: TensorSplit
    dataset: str
    steps: int = 0  # steps actually run (a stopped run has fewer than asked)
    epochs: float = 0.0  # epochs actually run
    seconds: float = 0.0  # wall clock of the training loop
    curve: list[dict[str, float]] = field(default_factory=list)  # metrics of each record, rounded
    metrics: dict[str, Any] = field(default_factory=dict)  # held-out numbers, set by `save_run`
    # (step, held-out metrics) of the last record that has them: save_run reuses them when taken at the end
    last_test: tuple[int, dict[str, float]] | None = None

    def fit(self, *, stop: threading.Event | None = None, preview_data: tuple[Tensor, ...] | None = None,
            ) -> Iterator[TrainRecord]:
        """Train in place, yielding `fit`'s records and keeping steps, epochs, seconds and the curve."""
        start = time.perf_counter()
        for rec in fit(self.model, self.recipe, self.split, self.params, stop=stop, preview_data=preview_data):
            self.steps, self.epochs, self.seconds = rec.step, round(rec.epoch, 3), time.perf_counter() - start
            self.curve.append({"step": rec.step, "epoch": round(rec.epoch, 3),
                               **{k: _round(v) for k, v in rec.metrics.items()},
                               **{f"test_{k}": _round(v) for k, v in rec.test_metrics.items()}})
            if rec.test_metrics:
                self.last_test = (rec.step, dict(rec.test_metrics))
            yield rec

    def held_out_at_end(self, data: Any) -> dict[str, float] | None:
        """The held-out metrics fit computed after the last step, if they are of `data`'s test split."""
        if self.last_test is None or self.last_test[0] != self.steps:
            return None
        same = getattr(data, "x_test", None) is self.split.test[0]
        return dict(self.last_test[1]) if same else None

    def train_extra(self) -> dict[str, Any]:
        """What a checkpoint records of this run (see `save_run`)."""
        return {"train_steps": self.steps, "train_seconds": round(self.seconds, 2),
                "train_params": dict(self.params.__dict__)}


def _round(value: float) -> float:
    """4 significant digits: enough for a curve, and keeps a checkpoint's JSON small."""
    return float(f"{value:.4g}")


def new_run(kind: str, data: Any, values: dict[str, Any], params: TrainParams,
            device: torch.device | str | None = None, *, split: TensorSplit | None = None) -> Run:
    """Build a `kind` model for the image dataset `data` (a `genviz.core.data.ImageData`) from its
    settings `values`, with weights seeded by `params.seed`, on `device` (default: the data's)."""
    spec = registry.get(kind)
    config = spec.make_config(data.image_shape, data.n_classes, **values)
    model = seeded_build(spec.build, config, params.seed).to(device or data.device)
    split = split or TensorSplit((data.x_train, data.y_train), (data.x_test, data.y_test))
    return Run(kind, config, model, spec.recipe(config), params, split, data.name)


def save_run(run: Run, path: str | Path, data: Any, *, extra: dict[str, Any] | None = None,
             extra_tensors: dict[str, Tensor] | None = None, metrics: dict[str, Any] | None = None,
             half: bool = False, sample_scores: bool = True) -> Path:
    """Score `run`'s model on `data`'s test split and write it to `path` atomically, recording the
    steps and epochs actually run, its wall clock and its settings. `sample_scores=False` leaves out
    the kind's sample scores (classifier confidence, Fréchet distance; `genviz evaluate` adds them)."""
    # The held-out loss fit computed after the last step is reused (the number the page showed), not recomputed.
    run.metrics = {**evaluate_model(run.kind, run.model, run.config, data, seed=run.params.seed,
                                    samples=sample_scores, held_out=run.held_out_at_end(data)), **(metrics or {})}
    numbers = {k: v for k, v in run.metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    structured = {k: v for k, v in run.metrics.items() if k not in numbers}  # curves etc. go to the extra map
    return checkpoints.save(path, run.model, run.config, dataset=run.dataset, metrics=numbers,
                            epochs=run.epochs, half=half, extra={**run.train_extra(), **structured, **(extra or {})},
                            extra_tensors=extra_tensors or {})
