"""Figures of the autoencoder pages: plotly figures from arrays, no Streamlit, inputs never modified."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from genviz.core.figures import class_axis, class_colour, readable_log_axis

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def _layout(fig: go.Figure, title: str = "", height: int = 320, **kw) -> go.Figure:
    # Legend under the plot: above it, a long legend runs into the title on narrow columns.
    fig.update_layout(title=title or None, height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      legend=dict(orientation="h", y=-0.22, yanchor="top", x=0), **kw)
    return fig


def per_image_bars(values: dict[str, Sequence[float]], *, title: str = "", stacked: bool = False,
                   y_title: str = "nats") -> go.Figure:
    """One bar per image for each named series (stacked for parts of one total, e.g. recon + KL)."""
    fig = go.Figure()
    for i, (name, ys) in enumerate(values.items()):
        fig.add_trace(go.Bar(x=list(range(1, len(ys) + 1)), y=list(map(float, ys)), name=name,
                             marker_color=COLORS[i % len(COLORS)]))
    return _layout(fig, title, barmode="stack" if stacked else "group", xaxis_title="image", yaxis_title=y_title)


def psnr_curves(levels: Sequence[float], curves: dict[str, Sequence[float]], *, current: float | None = None,
                x_title: str = "noise level") -> go.Figure:
    """PSNR (dB) against the noise level for the noisy input and each model."""
    fig = go.Figure()
    for i, (name, ys) in enumerate(curves.items()):
        fig.add_trace(go.Scatter(x=list(levels), y=list(ys), mode="lines+markers", name=name,
                                 line=dict(color=COLORS[i % len(COLORS)], dash="dot" if name == "noisy input" else None)))
    if current is not None:
        fig.add_vline(x=current, line=dict(color="grey", dash="dash"))
    return _layout(fig, "PSNR against the clean images (higher is better)", xaxis_title=x_title, yaxis_title="PSNR (dB)")


def code_histograms(codes: dict[str, np.ndarray], thresholds: dict[str, float] | None = None, bins: int = 60) -> go.Figure:
    """One histogram of all code activations per model (log-scaled counts; zero-spikes stand out)."""
    names = list(codes)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names)
    counts = [1.0]
    for i, name in enumerate(names):
        z = np.asarray(codes[name]).ravel()
        counts.append(float(np.histogram(z, bins=bins)[0].max()) if len(z) else 1.0)
        fig.add_trace(go.Histogram(x=z, nbinsx=bins, marker_color=COLORS[i % len(COLORS)], showlegend=False),
                      row=1, col=i + 1)
        if thresholds and name in thresholds:
            for t in (-thresholds[name], thresholds[name]):
                if z.min() <= t <= z.max():
                    fig.add_vline(x=t, line=dict(color="grey", dash="dot"), row=1, col=i + 1)
    readable_log_axis(fig, counts)
    fig.update_yaxes(title_text="count (log)", col=1)
    fig.update_xaxes(title_text="activation z")
    return _layout(fig, "Code activations on held-out images", height=300)


def unit_means(means: dict[str, np.ndarray], rho: float | None = None) -> go.Figure:
    """Mean activation ρ̂_j of each code unit, sorted, per model; the target ρ as a line."""
    fig = go.Figure()
    for i, (name, m) in enumerate(means.items()):
        m = np.sort(np.asarray(m))[::-1]
        fig.add_trace(go.Scatter(x=list(range(1, len(m) + 1)), y=m, mode="lines+markers", name=name,
                                 line=dict(color=COLORS[i % len(COLORS)])))
    if rho is not None:
        fig.add_hline(y=rho, line=dict(color="black", dash="dash"), annotation_text=f"ρ = {rho:g}")
    return _layout(fig, "Mean activation per unit ρ̂ⱼ (units sorted)", xaxis_title="unit (sorted)", yaxis_title="ρ̂ⱼ")


def bottleneck_figure(points: Sequence[dict], *, x: str, curves: dict[str, str], log_x: bool = True,
                      title: str = "", floor: float | None = None) -> go.Figure:
    """Train (solid) and held-out (dashed) loss against `x` for each curve name → label in `curves`."""
    fig = go.Figure()
    for i, (curve, label) in enumerate(curves.items()):
        pts = sorted((p for p in points if p.get("curve") == curve), key=lambda p: p[x])
        if not pts:
            continue
        xs = [p[x] for p in pts]
        color = COLORS[i % len(COLORS)]
        fig.add_trace(go.Scatter(x=xs, y=[p["train_loss"] for p in pts], mode="lines+markers", name=f"train · {label}",
                                 line=dict(color=color)))
        fig.add_trace(go.Scatter(x=xs, y=[p["test_loss"] for p in pts], mode="lines+markers",
                                 name=f"held-out · {label}", line=dict(color=color, dash="dash")))
    if floor is not None:
        fig.add_hline(y=floor, line=dict(color="grey", dash="dot"), annotation_text="lowest loss possible on these images: Σₚ H(xₚ)")
    ticks = sorted({p[x] for p in points})
    fig.update_xaxes(type="log" if log_x else "linear", tickvals=ticks, ticktext=[f"{t:,}" for t in ticks])
    return _layout(fig, title, height=420, xaxis_title=x.replace("_", " "), yaxis_title="loss (nats / image)")


def label_histogram(counts: dict[str, Sequence[int]], classes: Sequence[str]) -> go.Figure:
    """The classifier's predicted-label histogram of each model's samples, side by side."""
    fig = go.Figure()
    for i, (name, c) in enumerate(counts.items()):
        total = max(1, sum(c))
        fig.add_trace(go.Bar(x=list(classes), y=[v / total for v in c], name=name, marker_color=COLORS[i % len(COLORS)]))
    fig.add_hline(y=1 / max(1, len(classes)), line=dict(color="grey", dash="dot"), annotation_text="uniform")
    class_axis(fig, classes)
    return _layout(fig, "Predicted labels of the samples", barmode="group", xaxis_title="class",
                   yaxis_title="fraction of samples")


def unit_variances(variances: np.ndarray, threshold: float) -> go.Figure:
    """Var_x(μ_u) per latent unit (log scale) with the activity threshold."""
    v = np.asarray(variances)
    active = v > threshold
    fig = go.Figure(go.Bar(x=list(range(1, len(v) + 1)), y=np.maximum(v, 1e-8),
                           marker_color=[COLORS[0] if a else "#bbbbbb" for a in active]))
    fig.add_hline(y=threshold, line=dict(color="black", dash="dash"), annotation_text=f"{threshold:g}")
    readable_log_axis(fig, [*np.maximum(v, 1e-8), threshold])
    return _layout(fig, "Activity of each latent unit: Var over x of μᵤ(x)", xaxis_title="latent unit", yaxis_title="variance")


def latent_scatter(panels: dict[str, np.ndarray], labels: np.ndarray, classes: Sequence[str],
                   density: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None,
                   extents: dict[str, tuple[float, float, float, float]] | None = None, max_points: int = 2000) -> go.Figure:
    """2-D codes of held-out images coloured by class, one panel per model, prior contours underneath."""
    names = list(panels)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names, horizontal_spacing=0.05)
    labels = np.asarray(labels)
    for col, name in enumerate(names, start=1):
        if density and name in density:
            xs, ys, p = density[name]
            fig.add_trace(go.Contour(x=xs, y=ys, z=p, showscale=False, contours_coloring="lines", ncontours=8,
                                     line=dict(width=1), colorscale=[[0, "#999999"], [1, "#333333"]],
                                     hoverinfo="skip", name="prior"), row=1, col=col)
        z = np.asarray(panels[name])[:max_points]
        lab = labels[:max_points]
        for k, cls in enumerate(classes):
            sel = lab == k
            if sel.any():
                fig.add_trace(go.Scattergl(x=z[sel, 0], y=z[sel, 1], mode="markers", name=str(cls), legendgroup=str(cls),
                                           showlegend=col == 1, marker=dict(size=4, color=class_colour(k), opacity=0.7)),
                              row=1, col=col)
        if extents and name in extents:
            x0, x1, y0, y1 = extents[name]
            fig.update_xaxes(range=[x0, x1], row=1, col=col)
            fig.update_yaxes(range=[y0, y1], row=1, col=col)
    _layout(fig, "Codes of held-out images (colour = class) and the prior's contours", height=460)
    # The panel titles sit just above the plots: leave the figure title a band of its own above them.
    fig.update_layout(margin=dict(t=90), title=dict(y=0.98, yanchor="top"), legend_title_text="class")
    fig.update_annotations(yshift=6)
    return fig


def training_curve(curve: Sequence[dict], keys: dict[str, str], title: str = "") -> go.Figure:
    """Metrics stored with a checkpoint against the step: train series as lines, held-out ones as markers."""
    fig = go.Figure()
    for i, (key, label) in enumerate(keys.items()):
        pts = [(p["step"], p[key]) for p in curve if p.get(key) is not None]
        if not pts:
            continue
        xs, ys = zip(*pts)
        held_out = key.startswith("test_")
        fig.add_trace(go.Scatter(x=xs, y=ys, name=label, mode="markers+lines" if held_out else "lines",
                                 line=dict(color=COLORS[(i // 2) % len(COLORS)], dash="dash" if held_out else None)))
    return _layout(fig, title, height=340, xaxis_title="training step", yaxis_title="nats / image")


def posterior_vs_prior(codes: np.ndarray, draws: np.ndarray, labels: np.ndarray, classes: Sequence[str],
                       title: str = "") -> go.Figure:
    """Two panels on the same axes: prior draws (grey), codes of test images (colour = class)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("prior p(z)", "aggregate posterior q(z)"),
                        shared_xaxes=True, shared_yaxes=True, horizontal_spacing=0.04)
    fig.add_trace(go.Scattergl(x=draws[:, 0], y=draws[:, 1], mode="markers", name="prior draws",
                               marker=dict(size=3, color="#888888", opacity=0.6)), row=1, col=1)
    labels = np.asarray(labels)
    for k, cls in enumerate(classes):
        sel = labels == k
        if sel.any():
            fig.add_trace(go.Scattergl(x=codes[sel, 0], y=codes[sel, 1], mode="markers", name=str(cls),
                                       marker=dict(size=3, color=class_colour(k), opacity=0.7)), row=1, col=2)
    return _layout(fig, title, height=380)
