"""Figures of the team-ability pages: plotly in, nothing else (no Streamlit, inputs never modified)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from genviz.team.analysis import Contribution, PairRank, TeamworkProjection
from genviz.team.matches import Roster

# One colour per role, stable across datasets (HotS roles first, then Dota's first-listed roles).
_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
            "#bcbd22", "#17becf")
_MODEL_COLOURS = {"ability only": "#7f7f7f", "all pairs": "#ff7f0e", "factorised": "#1f77b4"}


def role_colours(roles: Sequence[str]) -> dict[str, str]:
    """A colour for each distinct role, in sorted order so the legend is stable."""
    return {role: _PALETTE[k % len(_PALETTE)] for k, role in enumerate(sorted(set(roles)))}


def training_curves(curves: dict[str, Sequence[dict]], *, height: int = 320) -> go.Figure:
    """Held-out accuracy (solid) and log-loss (dotted, right axis) per epoch, one colour per model."""
    fig = go.Figure()
    for label, curve in curves.items():
        if not curve:
            continue
        colour = _MODEL_COLOURS.get(label)
        epochs = [c["epoch"] for c in curve]
        fig.add_trace(go.Scatter(x=epochs, y=[c["test accuracy"] for c in curve], name=f"{label}: accuracy",
                                 mode="lines", line=dict(color=colour)))
        fig.add_trace(go.Scatter(x=epochs, y=[c["test logloss"] for c in curve], name=f"{label}: log-loss",
                                 mode="lines", line=dict(color=colour, dash="dot"), yaxis="y2"))
    losses = [c["test logloss"] for curve in curves.values() for c in curve]
    # Early log-losses of a randomly initialised v can be huge; above ~1 nat nothing is worth reading.
    loss_range = [0.95 * min(losses), min(max(losses), 1.0) * 1.02] if losses and min(losses) < 1.0 else None
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="epoch",
                      yaxis=dict(title="held-out accuracy"),
                      yaxis2=dict(title="held-out log-loss", overlaying="y", side="right", showgrid=False,
                                  range=loss_range),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom"))
    return fig


def teamwork_map(projection: TeamworkProjection, roster: Roster, *, height: int = 520) -> go.Figure:
    """The lecture's figure: v_i projected to 2-D by PCA, one colour per role, hero names on hover."""
    xy = np.asarray(projection.coords)
    colours = role_colours(roster.roles)
    fig = go.Figure()
    for role, colour in colours.items():
        idx = [k for k, r in enumerate(roster.roles) if r == role]
        fig.add_trace(go.Scatter(
            x=xy[idx, 0], y=xy[idx, 1], mode="markers", name=role,
            marker=dict(color=colour, size=10, line=dict(width=0.5, color="white")),
            text=[roster.names[k] for k in idx], customdata=[roster.details[k] for k in idx],
            hovertemplate="<b>%{text}</b><br>%{customdata}<extra></extra>",
        ))
    ev1, ev2 = projection.explained
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10),
                      xaxis_title=f"PC 1 ({ev1:.0%} of variance)", yaxis_title=f"PC 2 ({ev2:.0%} of variance)",
                      legend=dict(title="role"))
    fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


def ability_ranking(w: np.ndarray, roster: Roster, *, height: int | None = None) -> go.Figure:
    """Every hero's ability w_i, highest at the top, coloured by role."""
    w = np.asarray(w, dtype=float)
    order = np.argsort(w)  # ascending: plotly draws the first bar at the bottom
    colours = role_colours(roster.roles)
    fig = go.Figure()
    for role, colour in colours.items():  # one trace per role, so the legend says what each colour is
        idx = [k for k in order if roster.roles[k] == role]
        fig.add_trace(go.Bar(
            x=w[idx], y=[roster.names[k] for k in idx], orientation="h", name=role, marker_color=colour,
            hovertemplate=f"%{{y}} ({role}): w = %{{x:.3f}}<extra></extra>"))
    fig.update_layout(height=height or max(300, 14 * len(w) + 90), margin=dict(l=10, r=10, t=40, b=10),
                      xaxis_title="ability w_i", barmode="overlay",
                      yaxis=dict(tickfont=dict(size=10), categoryorder="array",
                                 categoryarray=[roster.names[k] for k in order]),
                      legend=dict(title="role", orientation="h", yanchor="bottom", y=1.0, x=0))
    return fig


def pair_bars(strongest: Sequence[PairRank], weakest: Sequence[PairRank], *, height: int = 420) -> go.Figure:
    """The strongest (largest v_iᵀv_j) and weakest (smallest) pairs as one diverging bar chart."""
    rows = list(strongest) + [p for p in weakest if p not in strongest]
    rows.sort(key=lambda p: p.value)
    fig = go.Figure(go.Bar(
        x=[p.value for p in rows], y=[f"{p.first} + {p.second}" for p in rows], orientation="h",
        marker_color=["#2ca02c" if p.value > 0 else "#d62728" for p in rows],
        customdata=["" if p.games is None else f" ({p.games} games together)" for p in rows],
        hovertemplate="%{y}: %{x:.3f}%{customdata}<extra></extra>",
    ))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), xaxis_title="teamwork v_iᵀv_j",
                      yaxis=dict(tickfont=dict(size=10)))
    return fig


def contribution_waterfall(terms: Sequence[Contribution], *, height: int = 420) -> go.Figure:
    """How s_A − s_B (+ b) adds up: team A's terms push up, team B's push down, the total is the logit."""
    terms = sorted(terms, key=lambda c: (c.team, c.kind != "ability", -abs(c.value)))
    labels = [f"{c.team}: {c.what}" for c in terms]
    fig = go.Figure(go.Waterfall(
        orientation="v", x=labels + ["s_A − s_B"], y=[c.value for c in terms] + [0.0],
        measure=["relative"] * len(terms) + ["total"],
        increasing=dict(marker=dict(color="#1f77b4")), decreasing=dict(marker=dict(color="#d62728")),
        totals=dict(marker=dict(color="#2ca02c")), hovertemplate="%{x}: %{y:+.3f}<extra></extra>",
    ))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), yaxis_title="contribution to the logit",
                      xaxis=dict(tickangle=-45, tickfont=dict(size=10)), showlegend=False)
    return fig
