"""Progress snapshots: a few of a run's fixed-noise preview grids, kept at geometrically spaced steps,
and their uint8 storage in a checkpoint. Any kind whose recipe draws a preview uses them."""
from __future__ import annotations

import torch
from torch import Tensor

GRID_SNAPSHOTS = 16  # fixed-noise grids kept in a shipped checkpoint (geometrically spaced in steps)
GRID_IMAGES = 20  # images per kept grid (two rows of ten)


def snapshot_indices(steps: list[int], keep: int) -> list[int]:
    """Indices of about `keep` entries of the increasing `steps`, geometrically spaced (early training
    changes fastest), always including the first and the last."""
    if len(steps) <= keep:
        return list(range(len(steps)))
    last = max(steps[-1], 1)
    targets = [0] + [last ** (i / (keep - 2)) for i in range(keep - 1)]
    chosen = sorted({min(range(len(steps)), key=lambda j: abs(steps[j] - t)) for t in targets} | {len(steps) - 1})
    return chosen


def keep_snapshots(steps: list[int], grids: list[Tensor], keep: int = GRID_SNAPSHOTS) -> tuple[list[int], Tensor]:
    """About `keep` of a run's fixed-noise grids at geometrically spaced steps (`snapshot_indices`):
    their steps and the grids stacked (S, N, C, H, W), at most GRID_IMAGES images each."""
    idx = snapshot_indices(steps, keep)
    return [steps[i] for i in idx], torch.stack([grids[i][:GRID_IMAGES] for i in idx])


def grids_to_uint8(grids: Tensor) -> Tensor:
    return (grids.clamp(0, 1) * 255).round().to(torch.uint8)


def grids_from_storage(stored: Tensor) -> Tensor:
    return stored.float() / 255 if stored.dtype == torch.uint8 else stored.float()
