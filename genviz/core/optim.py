"""Optimisers and step arithmetic: the only module that calls torch's private API.

`FusedAdam` calls `torch._fused_adam_` directly, a private function whose signature may change in any
release, so it is used only on the torch versions it was tested with (FUSED_SHORTCUT_TORCH; the test
suite checks its updates match torch's Adam bit for bit there). Elsewhere `adam()` falls back to
torch's public `Adam(fused=True)`.
"""
from __future__ import annotations

import functools
import logging

import torch
from torch import Tensor

log = logging.getLogger(__name__)

# torch releases whose `_fused_adam_` FusedAdam was checked against (tests/core/test_train.py).
FUSED_SHORTCUT_TORCH = ("2.14.1",)
# group settings the shortcut does not implement: any of them set sends the step to torch's own path
_NOT_PLAIN = ("amsgrad", "maximize", "capturable", "differentiable", "decoupled_weight_decay")


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
    capturable, tensor lr) goes straight to `torch._fused_adam_`, the first step too (after creating the
    state as torch's `Adam._init_group` does). Anything else takes torch's path.
    `zero_grad()` likewise sets the gradients to None without a profiler record.

    torch wraps `add_param_group`, `state_dict` and `load_state_dict` in `_disable_dynamo`, and its `step`
    in `_use_grad`: both `import torch._dynamo` on first use (≈ 1.5 s once per process on 2 cores, more
    than `import torch` itself) for a compiler genviz never runs. Here they call torch's undecorated
    functions, so a short training run never pays for that import.
    """

    def add_param_group(self, param_group: dict) -> None:
        _undecorated(torch.optim.Optimizer.add_param_group)(self, param_group)

    def state_dict(self) -> dict:
        return _undecorated(torch.optim.Optimizer.state_dict)(self)

    def load_state_dict(self, state_dict: dict) -> None:
        _undecorated(torch.optim.Optimizer.load_state_dict)(self, state_dict)

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
            plain = group.get("fused") and not any(group.get(k) for k in _NOT_PLAIN)
            if not plain or isinstance(group["lr"], Tensor) or any(p.grad.is_sparse for p in params):
                return torch_step(self)  # a setting the shortcut skips
            groups.append((group, params))
        for group, params in groups:
            for p in params:
                if not self.state.get(p):  # torch's lazy initialisation for a fused group
                    self.state[p] = {"step": torch.zeros((), dtype=torch.float32, device=p.device),
                                     "exp_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
                                     "exp_avg_sq": torch.zeros_like(p, memory_format=torch.preserve_format)}
        groups = [(group, params, [self.state[p] for p in params]) for group, params in groups]
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


def _undecorated(method):
    """torch's function under its `functools.wraps` decorator (`_disable_dynamo` sets `__wrapped__`)."""
    return getattr(method, "__wrapped__", method)


def fused_shortcut_supported(version: str | None = None) -> bool:
    """Whether this torch is one whose private `torch._fused_adam_` signature FusedAdam was tested against."""
    release = (version or torch.__version__).split("+")[0]
    return release in FUSED_SHORTCUT_TORCH and hasattr(torch, "_fused_adam_")


def adam(params, lr: float, betas: tuple[float, float] = (0.9, 0.999)) -> torch.optim.Optimizer:
    """Adam with its fused kernel where torch has one (fp32 weights on CPU or CUDA): one pass over the
    weights instead of a dozen elementwise ops per tensor (≈ 30 % of a step for the MNIST MLP VAE).

    On a torch outside FUSED_SHORTCUT_TORCH the shortcut is skipped: torch's own Adam(fused=True),
    with a one-line notice (once per process) that steps may be a few per cent slower.
    """
    params = list(params)
    fused = bool(params) and all(p.device.type in ("cpu", "cuda") and p.dtype == torch.float32 for p in params)
    if fused and len({p.device for p in params}) == 1:
        if fused_shortcut_supported():
            return FusedAdam(params, lr=lr, betas=betas, fused=True)
        _notice_once()
    return torch.optim.Adam(params, lr=lr, betas=betas, fused=fused or None)


@functools.cache
def _notice_once() -> None:
    log.warning("genviz: torch %s is not in the FusedAdam allowlist %s; using torch.optim.Adam(fused=True).",
                torch.__version__, ", ".join(FUSED_SHORTCUT_TORCH))
