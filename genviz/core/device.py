"""Pick the compute device and a sensible CPU thread count."""
from __future__ import annotations

import os

import torch

from genviz.core.errors import ConfigError


def available() -> list[str]:
    """Device names usable on this machine, best first."""
    names = []
    if torch.cuda.is_available():
        names.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        names.append("mps")
    names.append("cpu")
    return names


def pick(name: str | None = None) -> torch.device:
    """Return the named device, or the best available one (cuda, mps, cpu) when `name` is None."""
    options = available()
    if name is None or name == "auto":
        return torch.device(options[0])
    if name not in options:
        raise ConfigError(f"Device '{name}' is not available here; choose one of: {', '.join(options)}.")
    return torch.device(name)


def usable_cores() -> int:
    """CPU cores this process may run on (respects affinity/cgroup masks)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS has no sched_getaffinity
        return max(1, os.cpu_count() or 1)


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op threads to `threads` or to the usable cores; returns the number set."""
    n = threads if threads is not None else usable_cores()
    torch.set_num_threads(max(1, n))
    return torch.get_num_threads()
