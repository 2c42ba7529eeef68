"""How a team model trains (`TeamRecipe`), and its registry entry.

Team models train on matches, not images, so they are not trained from the generic Train page
or `python -m genviz train`: the Team ability page and `python -m genviz team` train them (with
their two baselines) through `genviz.team.training.train_models`, which uses `genviz.core.train.fit`
with this recipe. The registry entry is what lets `genviz.core.checkpoints` rebuild a saved model.
"""
from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from genviz.core.errors import ConfigError
from genviz.core.registry import KindSpec, ParamSpec, register
from genviz.core.train import TrainParams, total_steps
from genviz.team.matches import load_matches
from genviz.team.models import AllPairsConfig, TeamConfig, TeamModel, match_metrics


def cosine_factor(step: int, steps: int) -> float:
    """½(1 + cos(π·min(step, steps)/steps)): the learning-rate multiplier after `step` of `steps` steps."""
    return 0.5 * (1.0 + math.cos(math.pi * min(step, steps) / steps))


class TeamRecipe:
    """Logistic loss on s_A − s_B (+ b) plus λ‖θ‖², Adam; evaluation gives accuracy and log-loss.

    With `n_train` known, the learning rate follows a cosine from `lr` to 0 over the run: the
    last epochs then average out the minibatch noise (≈ +1–3 points of test accuracy on HotS).
    The schedule's position lives in the run's optimiser (its param group), so the recipe holds
    no per-run state: one recipe can train several models, one after another.
    """

    def __init__(self, config: TeamConfig | AllPairsConfig, n_train: int | None = None):
        self.config = config
        self.n_train = n_train

    def optimizers(self, model: nn.Module, params: TrainParams) -> dict[str, torch.optim.Optimizer]:
        opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=params.lr)
        if self.n_train:
            opt.param_groups[0].update(initial_lr=params.lr, cosine_steps=total_steps(self.n_train, params),
                                       cosine_step=0)
        return {"model": opt}

    def step(self, model, optimizers, batch, generator, run=None) -> dict[str, Tensor]:
        team_a, team_b, a_won = batch
        out = model(team_a, team_b)
        nll = F.binary_cross_entropy_with_logits(out.logit, a_won)
        loss = nll + self.config.l2 * model.penalty()
        opt = optimizers["model"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        for group in opt.param_groups:  # the cosine schedule, one step on (as LambdaLR would)
            if "cosine_steps" in group:
                group["cosine_step"] += 1
                group["lr"] = group["initial_lr"] * cosine_factor(group["cosine_step"], group["cosine_steps"])
        return {"logloss": nll.detach(), "loss": loss.detach()}

    @torch.inference_mode()
    def evaluate(self, model, data, generator) -> dict[str, float]:
        team_a, team_b, a_won = data
        return match_metrics(model(team_a, team_b).logit, a_won)

    def preview(self, model, data, generator) -> None:
        return None


def _no_image_config(image_shape: Any, n_classes: Any, **values: Any) -> TeamConfig:
    raise ConfigError("Team models train on matches, not images: use `python -m genviz team --dataset "
                      "hots-tournament|hots-public|dota2` or the Team ability page.")


def evaluate_checkpoint(ckpt: Any, device: Any) -> dict[str, Any]:
    """Held-out accuracy and log-loss of a saved team model on its dataset's test split."""
    split = load_matches(ckpt.dataset).split(device)
    with torch.inference_mode():
        held_out = match_metrics(ckpt.model(*split.test[:2]).logit, split.test[2])
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
