"""GAN figures: tensors / records in, plotly figures out (no Streamlit, inputs never modified)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from genviz.core.figures import readable_log_axis

LOSS_COLOURS = {"saturating": "#d62728", "non-saturating": "#1f77b4"}


def label_histogram(counts: Sequence[int], classes: Sequence[str], title: str = "") -> go.Figure:
    """Bars of how many samples the classifier put in each class (mode coverage at a glance)."""
    total = max(1, sum(counts))
    fig = go.Figure(go.Bar(x=[str(c) for c in classes], y=list(counts),
                           text=[f"{100 * c / total:.0f}%" for c in counts], textposition="outside",
                           marker_color=["#1f77b4" if c >= 0.01 * total else "#d62728" for c in counts]))
    fig.add_hline(y=total / max(1, len(classes)), line_dash="dot", annotation_text="uniform",
                  annotation_position="right")
    fig.update_layout(title=title or None, height=300, margin=dict(l=10, r=60, t=40 if title else 20, b=10),
                      xaxis_title="class predicted by the classifier", yaxis_title="samples")
    fig.update_xaxes(type="category")
    return fig


def training_dynamics(curve: Sequence[dict], marker_step: int | None = None, height: int = 560) -> go.Figure:
    """Three stacked panels over training steps: D and G losses; D(x) and D(G(z)); ‖∇G‖ (log scale)."""
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=("losses", "discriminator output: D(x) real vs D(G(z)) fake",
                                        "generator gradient norm ‖∇θ_G L_G‖"))
    panels = ((1, ("d_loss", "g_loss")), (2, ("d_real", "d_fake")), (3, ("g_grad_norm",)))
    names = {"d_loss": "D loss", "g_loss": "G loss", "d_real": "D(x)", "d_fake": "D(G(z))", "g_grad_norm": "‖∇G‖"}
    for row, keys in panels:
        for key in keys:
            pts = [(r["step"], r[key]) for r in curve if r.get(key) is not None]
            if pts:
                xs, ys = zip(*pts)
                fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=names[key]), row=row, col=1)
    readable_log_axis(fig, [r.get("g_grad_norm") for r in curve], row=3, col=1)
    if marker_step is not None:
        fig.add_vline(x=marker_step, line_dash="dash", line_color="grey")
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", y=1.06, yanchor="bottom"))
    fig.update_xaxes(title_text="step", row=3, col=1)
    return fig


def gradient_vs_d_fake(curves: dict[str, Sequence[dict]]) -> go.Figure:
    """Each training step as a point: D(G(z)) (x) against ‖∇θ_G L_G‖ (y, log), one colour per loss."""
    fig = go.Figure()
    for loss, pts in curves.items():
        fig.add_trace(go.Scatter(
            x=[p["d_fake"] for p in pts], y=[max(p["g_grad_norm"], 1e-12) for p in pts], mode="markers",
            name=loss, marker=dict(color=LOSS_COLOURS.get(loss), size=5, opacity=0.6),
            text=[f"step {p['step']}" for p in pts], hovertemplate="%{text}<br>D(G(z))=%{x:.4f}<br>‖∇G‖=%{y:.3g}"))
    fig.update_layout(height=360, margin=dict(l=10, r=10, t=10, b=10), xaxis_title="D(G(z)) (mean over the batch)",
                      yaxis_title="‖∇θ_G L_G‖", legend=dict(orientation="h", y=1.02, yanchor="bottom"))
    readable_log_axis(fig, [p["d_fake"] for pts in curves.values() for p in pts], "x")
    readable_log_axis(fig, [max(p["g_grad_norm"], 1e-12) for pts in curves.values() for p in pts])
    return fig


def vanishing_over_steps(curves: dict[str, Sequence[dict]]) -> go.Figure:
    """D(G(z)) and the G-gradient norm over the steps of both runs."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("D(G(z))", "‖∇θ_G L_G‖ (log)"))
    for loss, pts in curves.items():
        steps = [p["step"] for p in pts]
        colour = LOSS_COLOURS.get(loss)
        fig.add_trace(go.Scatter(x=steps, y=[p["d_fake"] for p in pts], name=loss, line=dict(color=colour)), 1, 1)
        fig.add_trace(go.Scatter(x=steps, y=[p["g_grad_norm"] for p in pts], name=loss, showlegend=False,
                                 line=dict(color=colour)), 1, 2)
    readable_log_axis(fig, [p["g_grad_norm"] for pts in curves.values() for p in pts], row=1, col=2)
    fig.update_xaxes(title_text="step")
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=60, b=10),
                      legend=dict(orientation="h", y=1.15, yanchor="bottom"))
    return fig


def logit_gradient_theory() -> go.Figure:
    """|∂L_G/∂ℓ| against D = σ(ℓ): D for the saturating loss, 1 − D for the non-saturating one."""
    d = np.logspace(-4, np.log10(0.99), 200)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=d, y=d, name="saturating: |∂/∂ℓ log(1 − σ(ℓ))| = D",
                             line=dict(color=LOSS_COLOURS["saturating"])))
    fig.add_trace(go.Scatter(x=d, y=1 - d, name="non-saturating: |∂/∂ℓ (−log σ(ℓ))| = 1 − D",
                             line=dict(color=LOSS_COLOURS["non-saturating"])))
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=10, b=10), xaxis_title="D(G(z))",
                      yaxis_title="gradient w.r.t. D's logit", legend=dict(orientation="h", y=1.02, yanchor="bottom"))
    readable_log_axis(fig, d, "x")
    readable_log_axis(fig, np.concatenate([d, 1 - d]))
    return fig


def latent_norms(norms: dict[str, Sequence[float]], typical: float) -> go.Figure:
    """‖z‖ along the linear and spherical paths, against the typical radius √d of N(0, I)."""
    fig = go.Figure()
    for method, values in norms.items():
        fig.add_trace(go.Scatter(x=np.linspace(0, 1, len(values)), y=list(values), name=method, mode="lines+markers"))
    fig.add_hline(y=typical, line_dash="dot", annotation_text="√d", annotation_position="bottom right")
    fig.update_layout(height=240, margin=dict(l=10, r=10, t=10, b=10), xaxis_title="t", yaxis_title="‖z‖",
                      legend=dict(orientation="h", y=1.02, yanchor="bottom"))
    return fig


def truncation_figure(curve: Sequence[dict], height: int = 360) -> go.Figure:
    """Fréchet distance (left axis) and confidence, precision, recall (right axis, 0–1) against ψ."""
    psis = [p["psi"] for p in curve]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=psis, y=[p["frechet_distance"] for p in curve], name="Fréchet distance ↓",
                             mode="lines+markers", line=dict(color="#444")), secondary_y=False)
    for key, label, colour in (("confidence", "confidence", "#1f77b4"), ("precision", "precision (realism)", "#2ca02c"),
                               ("recall", "recall (coverage)", "#d62728"), ("label_agreement", "label agreement", "#9467bd")):
        if key in curve[0]:
            fig.add_trace(go.Scatter(x=psis, y=[p[key] for p in curve], name=label, mode="lines+markers",
                                     line=dict(color=colour, dash="dot" if key == "label_agreement" else None)),
                          secondary_y=True)
    fig.update_xaxes(title="truncation ψ (z entries resampled until |z| ≤ ψ)", type="log",
                     tickvals=psis, ticktext=[f"{p:g}" for p in psis])
    fig.update_yaxes(title="Fréchet distance", secondary_y=False)
    fig.update_yaxes(title="share (0–1)", range=[0, 1.05], secondary_y=True)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10),
                      legend=dict(orientation="h", y=-0.3, yanchor="top", x=0))
    return fig


def experiment_curves(arms: dict[str, Sequence[dict]], key: str, title: str, height: int = 320) -> go.Figure:
    """One line per arm of `key` (e.g. frechet_distance) against seconds of training; error bars where the
    points carry `<key>_sd` (the seeds' standard deviation)."""
    fig = go.Figure()
    for name, curve in arms.items():
        pts = [(p["seconds"], p[key], p.get(f"{key}_sd")) for p in curve if key in p]
        if pts:
            xs, ys, sds = zip(*pts)
            bars = dict(type="data", array=list(sds), thickness=1) if all(sd is not None for sd in sds) else None
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=name, error_y=bars))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), xaxis_title="seconds of training",
                      yaxis_title=title, legend=dict(orientation="h", y=-0.3, yanchor="top", x=0))
    return fig


def pixel_std_map(std, height: int = 300) -> go.Figure:
    """A per-pixel standard deviation (H, W) as a heat map, image orientation (row 0 at the top)."""
    values = np.asarray(std, dtype=float)
    fig = go.Figure(go.Heatmap(z=values, colorscale="Viridis", colorbar=dict(title="std"),
                               hovertemplate="row %{y}, col %{x}: std %{z:.3f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False)
    fig.update_xaxes(showticklabels=False)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10))
    return fig


def depth_table(runs: Sequence[dict]) -> list[dict]:
    """One row per mapping depth of the depth experiment: separability of z and w and their gap, PPL."""
    return [{"mapping depth L": r["mapping_depth"], "steps": r["steps"], "seconds": r["seconds"],
             "probe acc. from z": round(r["separability_z"], 3), "probe acc. from w": round(r["separability_w"], 3),
             "w − z (points)": round(100 * (r["separability_w"] - r["separability_z"]), 1),
             "PPL_Z": float(f"{r['ppl_z']:.3g}"), "PPL_W": float(f"{r['ppl_w']:.3g}"),
             "mixing: coarse class kept": round(r["mixing_coarse_agreement"], 3)} for r in runs]
