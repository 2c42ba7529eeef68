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
The recipe that trains these lives in `genviz.team.recipe`, the three-model training in
`genviz.team.training`, reading a trained model in `genviz.team.analysis`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from genviz.core.config import check_range


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


def match_metrics(logit: Tensor, a_won: Tensor) -> dict[str, float]:
    """Accuracy (a tie counts half) and log-loss (mean negative log-likelihood, nats) of predictions."""
    logit, a_won = logit.float(), a_won.float()
    correct = torch.where(logit == 0, torch.full_like(logit, 0.5), ((logit > 0).float() == a_won).float())
    return {"accuracy": float(correct.mean()),
            "logloss": float(F.binary_cross_entropy_with_logits(logit, a_won))}

