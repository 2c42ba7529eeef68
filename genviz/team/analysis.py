"""Reading a trained team model: win probabilities, abilities, each term of a match's score,
the teamwork vectors' PCA, the strongest and weakest pairs, and the live training curves."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from genviz.team.matches import Roster
from genviz.team.models import TeamModel
from genviz.team.training import TeamProgress


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


def teamwork_vectors(model: nn.Module) -> np.ndarray:
    """The teamwork vectors v_i (H, d) as a float64 numpy array."""
    return model.v.detach().double().cpu().numpy().copy()


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
