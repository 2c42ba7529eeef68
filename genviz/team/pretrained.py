"""The shipped team checkpoints: `python -m genviz pretrain --only team-<dataset>` builds them."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from genviz.team.matches import load_matches
from genviz.team.training import (
    DEFAULT_SETTINGS,
    TeamProgress,
    TeamResult,
    TeamTrainSettings,
    save_result,
    train_models,
)


def build_pretrained(spec: Any, device: str, out_dir: Path, log: Callable[[str], None]) -> Path:
    """Train on the dataset's split with its recommended settings (plus `spec.train`) and save (fp16)."""
    matches = load_matches(spec.dataset)
    settings = TeamTrainSettings(**{**DEFAULT_SETTINGS.get(spec.dataset, {}), **spec.train})
    result = None
    for item in train_models(matches, settings, device="cpu"):
        if isinstance(item, TeamProgress) and item.record.test_metrics:
            log(f"{spec.name}: {item.label} epoch {item.record.epoch:.0f} {item.record.test_metrics}")
        result = item
    assert isinstance(result, TeamResult)
    return save_result(out_dir / spec.name, result, half=True)
