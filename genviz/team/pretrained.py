"""The shipped team checkpoints: `python -m genviz pretrain --only team-<dataset>` builds them."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from genviz.team.matches import load_matches
from genviz.team.selection import select_settings
from genviz.team.training import (
    DEFAULT_SETTINGS,
    TeamProgress,
    TeamResult,
    TeamTrainSettings,
    save_result,
    train_models,
)


def build_pretrained(spec: Any, device: str, out_dir: Path, log: Callable[[str], None]) -> Path:
    """Choose d and λ on a validation split of the training matches (`select_settings`), train the
    chosen settings once on all training matches, report the test split once, and save (fp16) with
    the selection record."""
    matches = load_matches(spec.dataset)
    base = TeamTrainSettings(**{**DEFAULT_SETTINGS.get(spec.dataset, {}), **spec.train})
    settings, selection = select_settings(matches, base, log=lambda s: log(f"{spec.name}: {s}"))
    log(f"{spec.name}: chosen on validation {selection['chosen']}")
    result = None
    for item in train_models(matches, settings, device="cpu", selection=selection):
        if isinstance(item, TeamProgress) and item.record.test_metrics:
            log(f"{spec.name}: {item.label} epoch {item.record.epoch:.0f} {item.record.test_metrics}")
        result = item
    assert isinstance(result, TeamResult)
    return save_result(out_dir / spec.name, result, half=True)
