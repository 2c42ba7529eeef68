"""Registry entry for the team-ability model, and the builder of its shipped checkpoints.

Team models train on matches, not images, so they are not trained from the generic Train page
or `python -m genviz train`: the Team ability page and `python -m genviz team` train them (with
their two baselines) through `genviz.team.models.train_models`, which uses `genviz.core.train.fit`. The
registry entry is what lets `genviz.core.checkpoints` rebuild a saved model.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from genviz.core.errors import ConfigError
from genviz.core.registry import KindSpec, ParamSpec, register
from genviz.team.models import DEFAULT_SETTINGS, TeamConfig, TeamModel, TeamRecipe, TeamTrainSettings


def _no_image_config(image_shape: Any, n_classes: Any, **values: Any) -> TeamConfig:
    raise ConfigError("Team models train on matches, not images: use `python -m genviz team --dataset "
                      "hots-tournament|hots-public|dota2` or the Team ability page.")


def evaluate_checkpoint(ckpt: Any, device: Any) -> dict[str, Any]:
    """Held-out accuracy and log-loss of a saved team model on its dataset's test split."""
    import torch

    from genviz.team import models as team

    split = team.load_matches(ckpt.dataset).split(device)
    with torch.inference_mode():
        held_out = team.match_metrics(ckpt.model(*split.test[:2]).logit, split.test[2])
    return {**ckpt.metrics, **{f"test_{k}": v for k, v in held_out.items()}}


register(KindSpec(
    kind="team", family="team", title="Team ability (w_i + pairwise v_iᵀv_j)",
    config_cls=TeamConfig, build=TeamModel, recipe=TeamRecipe, make_config=_no_image_config,
    params=(ParamSpec("dim", "Teamwork dimension d", "int", 32, 1, 128),
            ParamSpec("l2", "L2 weight λ", "log", 1e-4, 1e-7, 1e-2)),
    description="Match outcome from hero ability w_i and pairwise teamwork v_iᵀv_j (Li et al., NeurIPS 2018).",
    trainable_in_app=False,
    evaluate_checkpoint=evaluate_checkpoint,
))


def build_pretrained(spec: Any, device: str, out_dir: Path, log: Callable[[str], None]) -> Path:
    """`python -m genviz pretrain --only team-<dataset>`: train on the dataset's split and save (fp16)."""
    from genviz.team import models as team

    matches = team.load_matches(spec.dataset)
    settings = TeamTrainSettings(**{**DEFAULT_SETTINGS.get(spec.dataset, {}), **spec.train})
    result = None
    for item in team.train_models(matches, settings, device="cpu"):
        if isinstance(item, team.TeamProgress) and item.record.test_metrics:
            log(f"{spec.name}: {item.label} epoch {item.record.epoch:.0f} {item.record.test_metrics}")
        result = item
    assert isinstance(result, team.TeamResult)
    return team.save_result(out_dir / spec.name, result, half=True)
