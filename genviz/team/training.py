"""Training the team models: the factorised model and its two baselines on one split, and their checkpoints.

`train_models` trains the factorised model first (so a stopped run still has it), then ability
only and all pairs, each through `genviz.core.train.fit` with `TeamRecipe`; it yields progress
records and the `TeamResult` last. `save_result` / `load_result` store all three in one checkpoint.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from genviz.core import checkpoints
from genviz.core.config import check_range, config_from_dict, config_to_dict
from genviz.core.errors import CheckpointError
from genviz.core.train import TensorSplit, TrainParams, TrainRecord, fit
from genviz.team.matches import Matches, Roster
from genviz.team.models import AllPairsConfig, TeamConfig, build_team_model, match_metrics, n_parameters
from genviz.team.recipe import TeamRecipe


@dataclass(frozen=True)
class TeamTrainSettings:
    """Everything that defines one training of the three models (and a cache key)."""

    dim: int = 8
    l2: float = 1e-4
    epochs: int = 50
    lr: float = 0.05
    batch_size: int = 256
    seed: int = 0
    baselines: bool = True
    init_scale: float = 0.3  # std of the initial v_i entries
    ability_l2: float | None = None  # λ of the ability-only baseline (None: the same λ)
    pairs_l2: float | None = None  # λ of the all-pairs baseline (None: the same λ)

    def __post_init__(self) -> None:
        check_range("Teamwork dimension d", self.dim, 1, 256)
        check_range("L2 weight λ", self.l2, 0.0, 10.0)
        check_range("Epochs", self.epochs, 1, 1000)
        check_range("Learning rate", self.lr, 1e-5, 1.0)
        check_range("Batch size", self.batch_size, 8, 65_536)
        check_range("Seed", self.seed, 0, 2**31 - 1)
        check_range("Initial scale", self.init_scale, 0.0, 10.0)
        for name, value in (("Ability-only λ", self.ability_l2), ("All-pairs λ", self.pairs_l2)):
            if value is not None:
                check_range(name, value, 0.0, 10.0)

    def train_params(self) -> TrainParams:
        return TrainParams(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, seed=self.seed,
                           log_every=1_000_000)


# Settings per dataset. d and λ (and the baselines' λ) were chosen on a validation split carved from the
# training matches (`select_settings`, VALIDATION_FRACTION, seed 0; `pretrain --only team-<dataset>`
# reruns it and records the grid in the checkpoint); epochs, lr, batch and init scale are the earlier ones.
# A CSV starts from the defaults.
DEFAULT_SETTINGS: dict[str, dict[str, Any]] = {
    "hots-tournament": dict(dim=64, l2=1e-5, ability_l2=1e-5, pairs_l2=1e-5, epochs=100, lr=0.1, batch_size=2048,
                            init_scale=1.0),
    "hots-public": dict(dim=16, l2=3e-4, ability_l2=1e-3, pairs_l2=1e-3, epochs=10, lr=0.05, batch_size=2048,
                        init_scale=0.1),
    "dota2": dict(dim=8, l2=1e-3, ability_l2=1e-5, pairs_l2=1e-3, epochs=10, lr=0.05, batch_size=2048, init_scale=0.1),
}


def default_settings(dataset: str, **overrides: Any) -> TeamTrainSettings:
    """The recommended settings for `dataset` (any name; unknown names get the generic defaults)."""
    return TeamTrainSettings(**{**DEFAULT_SETTINGS.get(dataset, {}), **overrides})


@dataclass(frozen=True)
class FittedModel:
    """One trained model with its held-out metrics and per-epoch curve."""

    label: str  # "ability only" | "all pairs" | "factorised"
    config: TeamConfig | AllPairsConfig
    model: nn.Module
    metrics: dict[str, float]  # test_accuracy, test_logloss, train_accuracy, train_logloss, params
    curve: tuple[dict[str, float], ...]  # {"epoch", "train logloss", "test accuracy", "test logloss"}
    seconds: float


@dataclass(frozen=True)
class TeamResult:
    """The factorised model and its baselines trained on one dataset's split. Read-only once built."""

    dataset: str
    roster: Roster
    settings: TeamTrainSettings
    fitted: tuple[FittedModel, ...]
    team_size: int = 5
    source: str = ""
    pair_counts: np.ndarray | None = field(default=None, compare=False)  # (H, H) teammate counts, training split
    selection: dict[str, Any] | None = field(default=None, compare=False)  # how d and λ were chosen (`Selection`)

    def get(self, label: str) -> FittedModel | None:
        return next((f for f in self.fitted if f.label == label), None)

    @property
    def main(self) -> FittedModel:
        """The factorised model (always trained first, so always present)."""
        found = self.get("factorised")
        assert found is not None, "a TeamResult always holds the factorised model"
        return found

    def table(self) -> list[dict[str, Any]]:
        """One row per model: held-out accuracy and log-loss, parameters, training seconds."""
        return [{"model": f.label, "test accuracy": round(f.metrics["test_accuracy"], 4),
                 "test log-loss": round(f.metrics["test_logloss"], 4),
                 "train accuracy": round(f.metrics.get("train_accuracy", math.nan), 4),
                 "parameters": int(f.metrics["params"]), "seconds": round(f.seconds, 1)} for f in self.fitted]

    def summary(self) -> dict[str, Any]:
        """The CLI's JSON: accuracy and log-loss of ability-only and the model, plus the rest."""
        out: dict[str, Any] = {"dataset": self.dataset, "dim": self.settings.dim}
        for f in self.fitted:
            key = {"ability only": "ability_only", "all pairs": "all_pairs", "factorised": "model"}[f.label]
            out[f"{key}_accuracy"] = round(f.metrics["test_accuracy"], 4)
            out[f"{key}_logloss"] = round(f.metrics["test_logloss"], 4)
            out[f"{key}_params"] = int(f.metrics["params"])
            out[f"{key}_seconds"] = round(f.seconds, 2)
        out["seconds"] = round(sum(f.seconds for f in self.fitted), 2)
        if self.selection:
            out["selection"] = {k: v for k, v in self.selection.items() if k != "grid"}
        return out


class TeamProgress(NamedTuple):
    """What the trainer yields: which model (1-based of `of`), its epoch record."""

    label: str
    index: int
    of: int
    record: TrainRecord

    @property
    def progress(self) -> float:
        return (self.index - 1 + self.record.progress) / self.of


MODEL_ORDER = ("ability only", "all pairs", "factorised")


def _configs(matches: Matches, settings: TeamTrainSettings) -> list[tuple[str, TeamConfig | AllPairsConfig]]:
    """The factorised model first (so a stopped run still has it), then the baselines."""
    common = dict(n_heroes=matches.n_heroes, side_advantage=matches.side_advantage)
    plan: list[tuple[str, TeamConfig | AllPairsConfig]] = [
        ("factorised", TeamConfig(dim=settings.dim, l2=settings.l2, init_scale=settings.init_scale, **common))]
    if settings.baselines:
        ability_l2 = settings.l2 if settings.ability_l2 is None else settings.ability_l2
        pairs_l2 = settings.l2 if settings.pairs_l2 is None else settings.pairs_l2
        plan += [("ability only", TeamConfig(dim=0, l2=ability_l2, **common)),
                 ("all pairs", AllPairsConfig(l2=pairs_l2, **common))]
    return plan


def train_models(matches: Matches, settings: TeamTrainSettings, *, device: torch.device | str = "cpu",
                 stop: threading.Event | None = None,
                 selection: dict[str, Any] | None = None) -> Iterator[TeamProgress | TeamResult]:
    """Train the factorised model, then ability-only and all-pairs, on the same split.

    Yields a `TeamProgress` at every epoch end, then the `TeamResult` last (also when stopped:
    a stopped model is reported as trained so far). Uses `genviz.core.train.fit` (Adam, NaN guard).
    """
    split = matches.split(device)
    params = settings.train_params()
    plan = _configs(matches, settings)
    fitted = []
    for index, (label, config) in enumerate(plan, start=1):
        model = build_team_model(config, settings.seed).to(device)
        recipe = TeamRecipe(config, split.n_train)
        curve = []
        start = time.perf_counter()
        for rec in fit(model, recipe, split, params, stop=stop):
            if rec.test_metrics:
                curve.append({"epoch": round(rec.epoch, 3), "train logloss": rec.metrics.get("logloss", math.nan),
                              "test accuracy": rec.test_metrics["accuracy"], "test logloss": rec.test_metrics["logloss"]})
            yield TeamProgress(label, index, len(plan), rec)
        seconds = time.perf_counter() - start
        fitted.append(FittedModel(label, config, model.eval(), _final_metrics(model, split), tuple(curve), seconds))
        if stop is not None and stop.is_set():
            break
    fitted.sort(key=lambda f: MODEL_ORDER.index(f.label))
    yield TeamResult(matches.name, matches.roster, settings, tuple(fitted), matches.team_size, matches.source,
                     matches.pair_counts(), selection)


@torch.inference_mode()
def _final_metrics(model: nn.Module, split: TensorSplit) -> dict[str, float]:
    test = match_metrics(model(*split.test[:2]).logit, split.test[2]) if len(split.test[0]) else {}
    train = match_metrics(model(*split.train[:2]).logit, split.train[2])
    return {**{f"test_{k}": v for k, v in test.items()}, **{f"train_{k}": v for k, v in train.items()},
            "params": float(n_parameters(model))}


def train(matches: Matches, settings: TeamTrainSettings, device: torch.device | str = "cpu") -> TeamResult:
    """Train to the end and return the result (for the CLI, benchmarks and tests)."""
    result = None
    for item in train_models(matches, settings, device=device):
        result = item
    assert isinstance(result, TeamResult)
    return result


# ---------------------------------------------------------------------------------------------
# Checkpoints: the factorised model, with the baselines as extra tensors
# ---------------------------------------------------------------------------------------------

_CONFIG_TYPES = {"team": TeamConfig, "team-pairs": AllPairsConfig}


def save_result(path: str | Path, result: TeamResult, *, half: bool = False) -> Path:
    """Save the factorised model as a genviz checkpoint; the baselines travel as extra tensors."""
    main = result.main
    metrics = {}
    extra_tensors = {}
    baselines = []
    for f in result.fitted:
        prefix = {"ability only": "ability_only", "all pairs": "all_pairs", "factorised": "model"}[f.label]
        metrics.update({f"{prefix}_{k}": v for k, v in f.metrics.items()})
        if f is not main:
            for k, v in f.model.state_dict().items():
                extra_tensors[f"{prefix}.{k}"] = v
            baselines.append({"label": f.label, "prefix": prefix, "config": config_to_dict(f.config),
                              "curve": list(f.curve), "seconds": f.seconds})
    if result.pair_counts is not None:
        extra_tensors["pair_counts"] = torch.as_tensor(result.pair_counts, dtype=torch.int32)
    metrics["test_accuracy"] = main.metrics["test_accuracy"]
    metrics["test_logloss"] = main.metrics["test_logloss"]
    extra = {"roster": result.roster.to_json(), "settings": result.settings.__dict__, "team_size": result.team_size,
             "source": result.source, "curve": list(main.curve), "seconds": main.seconds, "baselines": baselines}
    if result.selection:
        extra["selection"] = result.selection
    return checkpoints.save(path, main.model, main.config, dataset=result.dataset, metrics=metrics,
                            epochs=result.settings.epochs, extra=extra, extra_tensors=extra_tensors, half=half)


def result_from_checkpoint(ckpt: Any) -> TeamResult:
    """Rebuild a `TeamResult` (model + baselines) from a loaded team checkpoint."""
    extra = ckpt.meta.get("extra") or {}
    try:
        roster = Roster.from_json(extra["roster"])
        settings = TeamTrainSettings(**extra["settings"])
        fitted = []
        for b in extra.get("baselines", []):
            cfg = config_from_dict(_CONFIG_TYPES[b["config"]["kind"]], b["config"])
            model = build_team_model(cfg)
            state = {k[len(b["prefix"]) + 1:]: v for k, v in ckpt.extra_tensors.items() if k.startswith(b["prefix"] + ".")}
            model.load_state_dict({k: v.float() for k, v in state.items()})
            metrics = {k[len(b["prefix"]) + 1:]: v for k, v in ckpt.metrics.items() if k.startswith(b["prefix"] + "_")}
            fitted.append(FittedModel(b["label"], cfg, model.eval(), metrics, tuple(b["curve"]), b["seconds"]))
        main_metrics = {k[len("model_"):]: v for k, v in ckpt.metrics.items() if k.startswith("model_")}
        model = ckpt.model.cpu().float().eval()
        fitted.append(FittedModel("factorised", ckpt.config, model, main_metrics, tuple(extra.get("curve", [])),
                                  float(extra.get("seconds", 0.0))))
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise CheckpointError(f"{ckpt.path.name} is a team checkpoint without its roster or baselines ({err}).") from None
    if len(roster) != ckpt.config.n_heroes:
        raise CheckpointError(f"{ckpt.path.name}: its roster has {len(roster)} heroes but the model has {ckpt.config.n_heroes}.")
    counts = ckpt.extra_tensors.get("pair_counts")
    return TeamResult(ckpt.dataset, roster, settings, tuple(fitted), int(extra.get("team_size", 5)),
                      str(extra.get("source", "")), counts.numpy().astype(np.int64) if counts is not None else None,
                      extra.get("selection") or None)


def load_result(path: str | Path) -> TeamResult:
    return result_from_checkpoint(checkpoints.load(path, "cpu"))

