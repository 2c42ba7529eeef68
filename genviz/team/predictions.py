"""What the Match predictor says about one match: every model's P(A wins) beside its held-out accuracy,
whether the models agree, how much training data backs the two line-ups, and default line-ups.

Models of the same matches can contradict each other (issue 19: factorised 45%, ability-only 87%,
all-pairs 99.8% for the same teams); the page shows all of them with their accuracy and says so.
Pure numpy.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FEW_GAMES = 20  # a pair seen together fewer times than this in training has a loosely fitted teamwork term
WIDE_SPREAD = 0.25  # models whose P(A wins) differ by more than this disagree even on the same side


@dataclass(frozen=True)
class ModelCall:
    """One model's answer for the match, with how often that model is right on held-out matches."""

    label: str
    p_a: float  # P(team A wins)
    test_accuracy: float

    @property
    def winner(self) -> str:
        return "A" if self.p_a >= 0.5 else "B"


@dataclass(frozen=True)
class Agreement:
    calls: tuple[ModelCall, ...]

    @property
    def best(self) -> ModelCall:
        """The model with the highest held-out accuracy."""
        return max(self.calls, key=lambda c: c.test_accuracy)

    @property
    def low(self) -> float:
        return min(c.p_a for c in self.calls)

    @property
    def high(self) -> float:
        return max(c.p_a for c in self.calls)

    @property
    def split_winner(self) -> bool:
        return len({c.winner for c in self.calls}) > 1

    @property
    def disagree(self) -> bool:
        return self.split_winner or self.high - self.low > WIDE_SPREAD

    def sentence(self) -> str:
        """What the models' answers and accuracies say, computed from them."""
        best = self.best
        span = f"P(A wins) ranges from {self.low:.0%} to {self.high:.0%} across the {len(self.calls)} models"
        trust = (f"the most accurate on held-out matches is {best.label} ({best.test_accuracy:.1%} right), "
                 f"which gives A {best.p_a:.0%}")
        if len(self.calls) == 1:
            return f"One model: P(A wins) = {best.p_a:.0%}; it is right on {best.test_accuracy:.1%} of held-out matches."
        if self.split_winner:
            sides = {w: [c.label for c in self.calls if c.winner == w] for w in ("A", "B")}
            return (f"The models disagree on the winner: {', '.join(sides['A'])} pick A, {', '.join(sides['B'])} "
                    f"pick B; {span}. Of them, {trust}. Treat this match as uncertain.")
        if self.disagree:
            return (f"The models agree on the winner ({self.calls[0].winner}) but not on how sure to be: {span}. "
                    f"Of them, {trust}.")
        return f"The models agree: {span}; {trust}."


def agreement(calls: Sequence[ModelCall]) -> Agreement:
    if not calls:
        raise ValueError("agreement needs at least one model's call")
    return Agreement(tuple(calls))


@dataclass(frozen=True)
class Evidence:
    """How much the training matches say about these line-ups (teammate counts)."""

    pairs: int  # teammate pairs in both line-ups
    rare_pairs: int  # of them, seen together fewer than FEW_GAMES times
    fewest_games: int  # the rarest pair's count

    def sentence(self) -> str:
        if self.pairs == 0:
            return "Teams of one hero have no pair terms."
        if self.rare_pairs == 0:
            return (f"Every one of the {self.pairs} teammate pairs played together at least {FEW_GAMES} times in "
                    f"training (the rarest {self.fewest_games} times), so their teamwork terms are backed by data.")
        return (f"{self.rare_pairs} of the {self.pairs} teammate pairs played together fewer than {FEW_GAMES} times "
                f"in training (the rarest {self.fewest_games}): their teamwork terms rest on little data, so the "
                "pair-based models' answers are less certain than their accuracy suggests.")


def evidence(counts: np.ndarray | None, team_a: Sequence[int], team_b: Sequence[int]) -> Evidence | None:
    """Teammate counts behind both line-ups; None without counts."""
    if counts is None:
        return None
    games = [int(counts[i, j]) for team in (team_a, team_b) for x, i in enumerate(team) for j in team[x + 1:]]
    return Evidence(len(games), sum(g < FEW_GAMES for g in games), min(games) if games else 0)


def default_teams(n_heroes: int, size: int, counts: np.ndarray | None = None,
                  abilities: np.ndarray | None = None) -> tuple[list[int], list[int]]:
    """Two line-ups of popular heroes (most training games first, dealt alternately to A and B), so the
    default match is an ordinary, fairly even one — not the first heroes of the alphabet. Without
    teammate counts the heroes are ranked by ability instead."""
    if counts is not None:
        score = np.asarray(counts, dtype=float).sum(axis=1)
    elif abilities is not None:
        score = np.asarray(abilities, dtype=float)
    else:
        score = np.zeros(n_heroes)
    order = [int(i) for i in np.argsort(-score, kind="stable")][: 2 * size]
    return order[0::2], order[1::2]
