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
from typing import Any, Iterator, Protocol

import torch
from torch import Tensor, nn

from genviz.core.config import PRECISIONS, check_choice, check_range
from genviz.core.errors import ConfigError, TrainingDiverged


def native_bf16(device: torch.device) -> bool:
    """Whether `device` multiplies bfloat16 in hardware: CUDA GPUs from Ampere on, CPUs with
    AVX512-BF16 or AMX (oneDNN then runs bf16 matmuls and convolutions at about twice fp32's rate)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported(including_emulation=False)
    if device.type == "cpu":
        cpu = torch.cpu
        return any(bool(getattr(cpu, probe, lambda: False)()) for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    return False


def step_dtype(device: torch.device, precision: str) -> torch.dtype | None:
    """The autocast dtype of training steps, None for plain fp32.

    "bf16" is mixed precision: weights, optimiser state, gradients' accumulation, losses, batch norm
    and evaluation stay fp32; only matmuls and convolutions take bf16 inputs (torch.autocast).
    "auto" picks it where the hardware has native bf16 and fp32 elsewhere (emulated bf16 is slower).
    """
    if precision == "fp32" or (precision == "auto" and not native_bf16(device)):
        return None
    return torch.bfloat16


def autocast(device: torch.device, dtype: torch.dtype | None):
    return torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None)


class FusedAdam(torch.optim.Adam):
    """torch.optim.Adam(fused=True), stepped by calling its fused kernel directly.

    The update, the state and the state dict are torch's own. `Optimizer.step` spends ≈ 0.1 ms per call
    on bookkeeping (profiler records, grouping tensors by device and dtype, state lookups) — 4 % of an
    MNIST MLP VAE step on 2 cores — so from the second step on, a plain group (no amsgrad, maximize,
    capturable, tensor lr) goes straight to `torch._fused_adam_`. Anything else takes torch's path.
    `zero_grad()` likewise sets the gradients to None without a profiler record.
    """

    def step(self, closure=None):
        # torch wraps `step` (this one too) with its profiler record and the step hooks; torch's own
        # update is called unwrapped below, so that hooks run once.
        torch_step = torch.optim.Adam.step
        if getattr(torch_step, "hooked", False):  # torch's profiler/hook wrapper, once an Adam exists
            torch_step = torch_step.__wrapped__
        if closure is not None:
            return torch_step(self, closure)
        groups = []
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            states = [self.state.get(p) for p in params]
            plain = group["fused"] and not (group["amsgrad"] or group["maximize"] or group["capturable"]
                                            or group["differentiable"] or group["decoupled_weight_decay"])
            if not plain or not all(states) or isinstance(group["lr"], Tensor):
                return torch_step(self)  # first step (creates the state) or a setting the shortcut skips
            groups.append((group, params, states))
        with torch.no_grad():
            for group, params, states in groups:
                if not params:
                    continue
                steps = [s["step"] for s in states]
                torch._foreach_add_(steps, 1)
                beta1, beta2 = group["betas"]
                torch._fused_adam_(params, [p.grad for p in params], [s["exp_avg"] for s in states],
                                   [s["exp_avg_sq"] for s in states], [], steps, lr=group["lr"], beta1=beta1,
                                   beta2=beta2, weight_decay=group["weight_decay"], eps=group["eps"], amsgrad=False,
                                   maximize=False)
        return None

    def zero_grad(self, set_to_none: bool = True) -> None:
        if not set_to_none:
            return super().zero_grad(set_to_none=False)
        for group in self.param_groups:  # what torch does, without its profiler record
            for p in group["params"]:
                p.grad = None


def adam(params, lr: float, betas: tuple[float, float] = (0.9, 0.999)) -> torch.optim.Optimizer:
    """Adam with its fused kernel where torch has one (fp32 weights on CPU or CUDA): one pass over the
    weights instead of a dozen elementwise ops per tensor (≈ 30 % of a step for the MNIST MLP VAE)."""
    params = list(params)
    fused = bool(params) and all(p.device.type in ("cpu", "cuda") and p.dtype == torch.float32 for p in params)
    if fused and len({p.device for p in params}) == 1:
        return FusedAdam(params, lr=lr, betas=betas, fused=True)
    return torch.optim.Adam(params, lr=lr, betas=betas, fused=fused or None)


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


class Recipe(Protocol):
    """How one kind of model trains. `step` returns detached scalar tensors (no .item()).

    Optional class attributes for the Train page: `preview_caption` (what the preview grid shows)
    and `preview_nrow` (images per grid row). An optional method `initialize(model, train_tensors)`
    sets data-dependent initial values of a freshly built model before its first step.
    """

    def optimizers(self, model: nn.Module, params: TrainParams) -> dict[str, torch.optim.Optimizer]: ...

    def step(
        self, model: nn.Module, optimizers: dict[str, torch.optim.Optimizer], batch: tuple[Tensor, ...],
        generator: torch.Generator,
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
                losses = recipe.step(model, optimizers, tuple(t.index_select(0, idx) for t in data.train), gen)
            for k, v in losses.items():
                sums[k] = sums[k] + v if k in sums else v.detach().clone()
            count += 1
            step += 1
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
