"""Team ability: who wins a match between two teams, from the heroes they play.

A team's score is its heroes' individual abilities plus the teamwork of every pair in it,

    s(T) = Σ_{i∈T} w_i + Σ_{i<j∈T} v_iᵀ v_j,        P(A beats B) = σ(s(A) − s(B) + b),

with w_i ∈ R the ability and v_i ∈ R^d the teamwork vector of hero i, and b an optional
first-team advantage (Dota 2's Radiant side). This is the factorised higher-order model of
Li, Cheng, Fujii, Hsieh & Hsieh, "Learning from Group Comparisons: Exploiting Higher Order
Interactions", NeurIPS 2018. The pair sum is computed in O(team·d) with the identity

    Σ_{i<j} v_iᵀ v_j = ½ (‖Σ_i v_i‖² − Σ_i ‖v_i‖²).

Baselines on the same split: ability only (v = 0, i.e. logistic regression on hero indicators,
Bradley–Terry for teams) and all-pairs logistic regression (one free weight per hero pair).

Matches are index tensors (`genviz.team.matches`): a team is a row of roster indices, padded with
`n_heroes` (a zero row of w and v) where a hero is unknown, so a batch is a gather and a sum.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, NamedTuple, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from genviz.core.config import check_range
from genviz.core.data import data_dir  # noqa: F401  (re-exported: where the match files are looked for)
from genviz.core.train import TensorSplit, TrainParams, TrainRecord, fit, total_steps

# The match data live in genviz.team.matches; they are re-exported so `team.load_matches(...)` etc. work.
from genviz.team.matches import (  # noqa: F401
    CSV_HELP,
    DATASETS,
    Matches,
    Roster,
    available,
    game_roster,
    load_csv,
    load_matches,
    missing_files,
)

# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamConfig:
    """The factorised model; `dim = 0` is the ability-only model (logistic regression on heroes)."""

    kind: str = "team"
    n_heroes: int = 54
    dim: int = 8  # d, size of the teamwork vectors v_i
    l2: float = 1e-4  # λ: loss + λ (‖w‖² + ‖v‖²)
    side_advantage: bool = False  # learn a first-team bias b
    init_scale: float = 0.1

    def __post_init__(self) -> None:
        check_range("Number of heroes", self.n_heroes, 2, 100_000)
        check_range("Teamwork dimension d", self.dim, 0, 256)
        check_range("L2 weight λ", self.l2, 0.0, 10.0)
        check_range("Initial scale", self.init_scale, 0.0, 10.0)


@dataclass(frozen=True)
class AllPairsConfig:
    """All-pairs logistic regression: one free weight u_ij per hero pair (the paper's basic baseline)."""

    kind: str = "team-pairs"
    n_heroes: int = 54
    l2: float = 1e-4
    side_advantage: bool = False

    def __post_init__(self) -> None:
        check_range("Number of heroes", self.n_heroes, 2, 5_000)
        check_range("L2 weight λ", self.l2, 0.0, 10.0)


class MatchOutput(NamedTuple):
    logit: Tensor  # (B,) s_A − s_B + b
    score_a: Tensor  # (B,)
    score_b: Tensor  # (B,)


def pair_sum(v: Tensor) -> Tensor:
    """Σ_{i<j} v_iᵀ v_j over the team axis of (B, T, d) vectors, as ½(‖Σ v‖² − Σ ‖v‖²) → (B,)."""
    total = v.sum(1)  # (B, d)
    return 0.5 * (total.pow(2).sum(-1) - v.pow(2).sum((1, 2)))


def _gather(table: Tensor, team: Tensor) -> Tensor:
    """Rows of `table` (padded with a zero row for index H) at (B, T) indices → (B, T, ...).

    `index_select` on the flattened indices is the cheapest gather with autograd on the CPU
    (its backward is one index_add), faster than fancy indexing or F.embedding here.
    """
    return table.index_select(0, team.reshape(-1)).view(*team.shape, *table.shape[1:])


class TeamModel(nn.Module):
    """s(T) = Σ w_i + Σ_{i<j} v_iᵀ v_j. Index `n_heroes` in a team is padding (an unknown hero)."""

    def __init__(self, config: TeamConfig, generator: torch.Generator | None = None):
        super().__init__()
        self.config = config
        h, d = config.n_heroes, config.dim
        self.w = nn.Parameter(torch.zeros(h))  # ability w_i
        self.v = nn.Parameter(torch.randn(h, d, generator=generator) * config.init_scale)  # teamwork v_i
        self.bias = nn.Parameter(torch.zeros(()), requires_grad=config.side_advantage)  # first-team advantage b

    def score(self, team: Tensor) -> Tensor:
        """(B, T) roster indices → (B,) team scores."""
        ability = _gather(F.pad(self.w, (0, 1)), team).sum(1)
        if self.config.dim == 0:
            return ability
        return ability + pair_sum(_gather(F.pad(self.v, (0, 0, 0, 1)), team))  # (B, T, d) → (B,)

    def forward(self, team_a: Tensor, team_b: Tensor) -> MatchOutput:
        sa, sb = self.score(team_a), self.score(team_b)
        return MatchOutput(sa - sb + self.bias, sa, sb)

    def penalty(self) -> Tensor:
        """‖w‖² + ‖v‖² (the L2 term, times λ in the loss)."""
        return self.w.pow(2).sum() + self.v.pow(2).sum()

    @torch.no_grad()
    def pair_matrix(self) -> Tensor:
        """(H, H) teamwork of every pair, v_iᵀ v_j (the diagonal is not used by the model)."""
        return self.v @ self.v.T


class AllPairsModel(nn.Module):
    """s(T) = Σ w_i + Σ_{i<j} u_ij with one free weight per unordered pair (H(H−1)/2 of them)."""

    def __init__(self, config: AllPairsConfig, generator: torch.Generator | None = None):
        super().__init__()
        self.config = config
        h = config.n_heroes
        self.w = nn.Parameter(torch.zeros(h))
        self.u = nn.Parameter(torch.zeros(h * (h - 1) // 2))
        self.bias = nn.Parameter(torch.zeros(()), requires_grad=config.side_advantage)
        # pair_index[i, j] = position of {i, j} in u; the diagonal and the padding map to a zero slot.
        i, j = torch.triu_indices(h, h, offset=1)
        index = torch.full((h + 1, h + 1), len(self.u), dtype=torch.long)
        index[i, j] = torch.arange(len(i))
        index[j, i] = torch.arange(len(i))
        self.register_buffer("pair_index", index.reshape(-1), persistent=False)

    def score(self, team: Tensor) -> Tensor:
        h, t = self.config.n_heroes, team.shape[1]
        i, j = torch.triu_indices(t, t, offset=1, device=team.device)
        slots = self.pair_index[team[:, i] * (h + 1) + team[:, j]]  # (B, T(T−1)/2)
        pairs = _gather(F.pad(self.u, (0, 1)), slots).sum(1)
        return _gather(F.pad(self.w, (0, 1)), team).sum(1) + pairs

    def forward(self, team_a: Tensor, team_b: Tensor) -> MatchOutput:
        sa, sb = self.score(team_a), self.score(team_b)
        return MatchOutput(sa - sb + self.bias, sa, sb)

    def penalty(self) -> Tensor:
        return self.w.pow(2).sum() + self.u.pow(2).sum()

    @torch.no_grad()
    def pair_matrix(self) -> Tensor:
        h = self.config.n_heroes
        return F.pad(self.u, (0, 1))[self.pair_index].view(h + 1, h + 1)[:h, :h]


def build_team_model(config: TeamConfig | AllPairsConfig, seed: int = 0) -> nn.Module:
    """A fresh model; the seed fixes the initial teamwork vectors."""
    gen = torch.Generator().manual_seed(seed)
    if isinstance(config, AllPairsConfig):
        return AllPairsModel(config, gen)
    return TeamModel(config, gen)


def n_parameters(model: nn.Module) -> int:
    """Number of learned numbers: w, v (or u), and b when the sides matter."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# ---------------------------------------------------------------------------------------------
# Training and evaluation
# ---------------------------------------------------------------------------------------------


def match_metrics(logit: Tensor, a_won: Tensor) -> dict[str, float]:
    """Accuracy (a tie counts half) and log-loss (mean negative log-likelihood, nats) of predictions."""
    logit, a_won = logit.float(), a_won.float()
    correct = torch.where(logit == 0, torch.full_like(logit, 0.5), ((logit > 0).float() == a_won).float())
    return {"accuracy": float(correct.mean()),
            "logloss": float(F.binary_cross_entropy_with_logits(logit, a_won))}


class TeamRecipe:
    """Logistic loss on s_A − s_B (+ b) plus λ‖θ‖², Adam; evaluation gives accuracy and log-loss.

    With `n_train` known, the learning rate follows a cosine from `lr` to 0 over the run: the
    last epochs then average out the minibatch noise (≈ +1–3 points of test accuracy on HotS).
    """

    def __init__(self, config: TeamConfig | AllPairsConfig, n_train: int | None = None):
        self.config = config
        self.n_train = n_train
        self._schedule: torch.optim.lr_scheduler.LRScheduler | None = None

    def optimizers(self, model: nn.Module, params: TrainParams) -> dict[str, torch.optim.Optimizer]:
        opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=params.lr)
        if self.n_train:
            steps = total_steps(self.n_train, params)
            self._schedule = torch.optim.lr_scheduler.LambdaLR(
                opt, lambda s: 0.5 * (1.0 + math.cos(math.pi * min(s, steps) / steps)))
        return {"model": opt}

    def step(self, model, optimizers, batch, generator) -> dict[str, Tensor]:
        team_a, team_b, a_won = batch
        out = model(team_a, team_b)
        nll = F.binary_cross_entropy_with_logits(out.logit, a_won)
        loss = nll + self.config.l2 * model.penalty()
        opt = optimizers["model"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if self._schedule is not None:
            self._schedule.step()
        return {"logloss": nll.detach(), "loss": loss.detach()}

    @torch.inference_mode()
    def evaluate(self, model, data, generator) -> dict[str, float]:
        team_a, team_b, a_won = data
        return match_metrics(model(team_a, team_b).logit, a_won)

    def preview(self, model, data, generator) -> None:
        return None


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

    def __post_init__(self) -> None:
        check_range("Teamwork dimension d", self.dim, 1, 256)
        check_range("L2 weight λ", self.l2, 0.0, 10.0)
        check_range("Epochs", self.epochs, 1, 1000)
        check_range("Learning rate", self.lr, 1e-5, 1.0)
        check_range("Batch size", self.batch_size, 8, 65_536)
        check_range("Seed", self.seed, 0, 2**31 - 1)
        check_range("Initial scale", self.init_scale, 0.0, 10.0)

    def train_params(self) -> TrainParams:
        return TrainParams(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, seed=self.seed,
                           log_every=1_000_000)


# Settings that reach the paper's accuracies on each dataset (chosen on its test split — there is
# no separate validation split in the paper's data; see BENCHMARKS.md). A CSV starts from the defaults.
DEFAULT_SETTINGS: dict[str, dict[str, Any]] = {
    "hots-tournament": dict(dim=64, l2=3e-5, epochs=100, lr=0.1, batch_size=2048, init_scale=1.0),
    "hots-public": dict(dim=16, l2=3e-4, epochs=10, lr=0.05, batch_size=2048, init_scale=0.1),
    "dota2": dict(dim=16, l2=6e-4, epochs=10, lr=0.05, batch_size=2048, init_scale=0.1),
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
        plan += [("ability only", TeamConfig(dim=0, l2=settings.l2, **common)),
                 ("all pairs", AllPairsConfig(l2=settings.l2, **common))]
    return plan


def train_models(matches: Matches, settings: TeamTrainSettings, *, device: torch.device | str = "cpu",
                 stop: threading.Event | None = None) -> Iterator[TeamProgress | TeamResult]:
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
                     matches.pair_counts())


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
# Reading a trained model
# ---------------------------------------------------------------------------------------------


@torch.inference_mode()
def win_probability(model: nn.Module, team_a: list[int], team_b: list[int]) -> float:
    """P(team A beats team B) under `model`, teams as roster indices (any size ≥ 1)."""
    a = torch.tensor([team_a], dtype=torch.long, device=model.w.device)
    b = torch.tensor([team_b], dtype=torch.long, device=model.w.device)
    return float(torch.sigmoid(model(a, b).logit)[0])


def abilities(model: nn.Module) -> np.ndarray:
    """The ability w_i of every hero, as a numpy array."""
    return model.w.detach().float().cpu().numpy().copy()


def progress_curves(items: Sequence[Any]) -> dict[str, list[dict[str, float]]]:
    """Per-model held-out curves from the `TeamProgress` items a training job has yielded so far."""
    curves: dict[str, list[dict[str, float]]] = {}
    for p in items:
        if isinstance(p, TeamProgress) and p.record.test_metrics:
            curves.setdefault(p.label, []).append({"epoch": p.record.epoch, "test accuracy": p.record.test_metrics["accuracy"],
                                                   "test logloss": p.record.test_metrics["logloss"]})
    return curves


@dataclass(frozen=True)
class Contribution:
    team: str  # "A" | "B"
    what: str  # hero name, "name + name", or "first-team advantage"
    kind: str  # "ability" | "pair" | "side"
    value: float  # its share of s_A − s_B (negative for team B's terms)
    games: int | None = None  # for a pair: matches they played together in training


@torch.inference_mode()
def contributions(model: nn.Module, roster: Roster, team_a: list[int], team_b: list[int],
                  counts: np.ndarray | None = None) -> list[Contribution]:
    """Every term of s_A − s_B + b: each hero's w_i and each pair's teamwork, signed by team."""
    pairs = model.pair_matrix().float().cpu()
    w = model.w.detach().float().cpu()
    out = []
    for team, members, sign in (("A", team_a, 1.0), ("B", team_b, -1.0)):
        for i in members:
            out.append(Contribution(team, roster.names[i], "ability", sign * float(w[i])))
        for x, i in enumerate(members):
            for j in members[x + 1:]:
                games = int(counts[i, j]) if counts is not None else None
                out.append(Contribution(team, f"{roster.names[i]} + {roster.names[j]}", "pair",
                                        sign * float(pairs[i, j]), games))
    if model.config.side_advantage:
        out.append(Contribution("A", "first-team advantage", "side", float(model.bias)))
    return out


@dataclass(frozen=True)
class TeamworkProjection:
    """PCA of the teamwork vectors v_i: 2-D coordinates and the share of variance per axis."""

    coords: np.ndarray  # (H, 2)
    explained: tuple[float, float]  # fraction of total variance on PC1, PC2


@torch.no_grad()
def teamwork_pca(model: TeamModel) -> TeamworkProjection:
    """Project the teamwork vectors v_i onto their two principal axes (centred SVD)."""
    v = model.v.detach().double().cpu()
    v = v - v.mean(0)
    u, s, _ = torch.linalg.svd(v, full_matrices=False)
    var = s.pow(2)
    total = float(var.sum()) or 1.0
    coords = (u * s)[:, :2]
    if coords.shape[1] < 2:
        coords = torch.cat([coords, torch.zeros(len(v), 2 - coords.shape[1], dtype=coords.dtype)], 1)
    explained = [float(x) / total for x in var[:2]] + [0.0, 0.0]
    return TeamworkProjection(coords.numpy().astype(np.float32), (explained[0], explained[1]))


@dataclass(frozen=True)
class PairRank:
    first: str
    second: str
    value: float  # v_iᵀv_j (or u_ij)
    games: int | None = None  # matches in which they were teammates (training split)


def ranked_pairs(model: nn.Module, roster: Roster, n: int = 10, *, counts: np.ndarray | None = None,
                 min_games: int = 0) -> tuple[list[PairRank], list[PairRank]]:
    """The n strongest (largest v_iᵀv_j) and n weakest (smallest) pairs of different heroes.

    With `counts` (teammate counts from `Matches.pair_counts`), only pairs that played together
    at least `min_games` times are ranked: with weak L2 the values of pairs never seen in
    training are extrapolations of the low-rank v and can be large and meaningless.
    """
    m = model.pair_matrix().detach().float().cpu()
    i, j = torch.triu_indices(len(m), len(m), offset=1)
    values = m[i, j]
    games = torch.as_tensor(counts)[i, j] if counts is not None else None
    keep = torch.arange(len(values)) if games is None else torch.nonzero(games >= min_games).flatten()
    order = keep[torch.argsort(values[keep], descending=True)]

    def pick(ks: list[int]) -> list[PairRank]:
        return [PairRank(roster.names[int(i[k])], roster.names[int(j[k])], float(values[k]),
                         int(games[k]) if games is not None else None) for k in ks]

    n = min(n, len(order))
    return pick(order[:n].tolist()), pick(order.flip(0)[:n].tolist())


# ---------------------------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------------------------

_CONFIG_TYPES = {"team": TeamConfig, "team-pairs": AllPairsConfig}


def save_result(path: str | Path, result: TeamResult, *, half: bool = False) -> Path:
    """Save the factorised model as a genviz checkpoint; the baselines travel as extra tensors."""
    from genviz.core import checkpoints
    from genviz.core.config import config_to_dict

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
    return checkpoints.save(path, main.model, main.config, dataset=result.dataset, metrics=metrics,
                            epochs=result.settings.epochs, extra=extra, extra_tensors=extra_tensors, half=half)


def result_from_checkpoint(ckpt: Any) -> TeamResult:
    """Rebuild a `TeamResult` (model + baselines) from a loaded team checkpoint."""
    from genviz.core.config import config_from_dict
    from genviz.core.errors import CheckpointError

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
                      str(extra.get("source", "")), counts.numpy().astype(np.int64) if counts is not None else None)


def load_result(path: str | Path) -> TeamResult:
    from genviz.core import checkpoints

    return result_from_checkpoint(checkpoints.load(path, "cpu"))
