"""Figures for the Concepts pages: arrays in, plotly figures out, nothing modified, no Streamlit.

Live figures (the 2-D GAN canvas) stay light: a 40×40 heat-map, ≤ 250 points per cloud, and every
family of lines or arrows as ONE trace with NaN breaks, built with numpy (no per-point Python loop).
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from genviz.concepts.conv_arith import ConvLayer, footprint, kept_mask, overlap_counts
from genviz.concepts.gan2d import CANVAS, HEAT_AXIS, Gan2dFrame, Gan2dMetrics
from genviz.concepts.gaussian import covariance_ellipse
from genviz.core.figures import readable_log_axis

REAL_COLOUR = "#1a9850"  # green, as GAN Lab
FAKE_COLOUR = "#7b3294"  # purple
FOOTPRINT_COLOUR = "#f46d43"
NEXT_COLOUR = "#fdae61"
REMOVED_COLOUR = "#969696"


def _mask_layer(mask: np.ndarray, colour: str, opacity: float, name: str) -> go.Heatmap:
    """A heat-map that paints the True cells of `mask` in one colour (NaN elsewhere, so transparent)."""
    return go.Heatmap(z=np.where(mask, 1.0, np.nan), colorscale=[[0, colour], [1, colour]], showscale=False,
                      opacity=opacity, hoverinfo="skip", name=name, zmin=0, zmax=1)


def _grid_axes(fig: go.Figure, col: int, shape: tuple[int, int], title: str) -> None:
    h, w = shape
    axis = "" if col == 1 else str(col)
    fig.update_xaxes(title_text=title, range=[-0.5, w - 0.5], constrain="domain", showgrid=False,
                     zeroline=False, dtick=1 if w <= 16 else None, row=1, col=col)
    fig.update_yaxes(range=[h - 0.5, -0.5], scaleanchor=f"x{axis}", constrain="domain", showgrid=False,
                     zeroline=False, dtick=1 if h <= 16 else None, row=1, col=col)


def conv_layer_figure(layer: ConvLayer, cell: int, *, max_text: int = 40) -> go.Figure:
    """Input and output grids side by side for one step of the walk.

    Transposed: input cell `cell` (left) stamps the kernel into the output canvas (right); numbers are
    overlap counts; grey rows/columns are what padding removes; the lighter stamp is the next input cell's,
    s cells further — strides count output cells. Conv: output cell `cell` (right) reads a window of the
    zero-padded input (left, grey = padding); numbers say how many output cells read each input cell.
    """
    counts = overlap_counts(layer)
    kept = kept_mask(layer)
    steps_shape = layer.in_size if layer.transposed else layer.out_size
    here = footprint(layer, cell)
    i, j = divmod(cell, steps_shape[1])
    nxt = footprint(layer, cell + 1) if j + 1 < steps_shape[1] else np.zeros_like(here)

    step_grid = np.zeros(steps_shape)
    step_grid[i, j] = 1.0
    step_trace = go.Heatmap(z=step_grid, colorscale=[[0, "#f0f0f0"], [1, FOOTPRINT_COLOUR]], showscale=False,
                            xgap=1, ygap=1, zmin=0, zmax=1,
                            hovertemplate="row %{y}, column %{x}<extra></extra>")
    canvas_traces = [
        go.Heatmap(z=counts, colorscale="Blues", zmin=0, showscale=False, xgap=1, ygap=1,
                   text=counts if max(counts.shape) <= max_text else None,
                   texttemplate="%{text}" if max(counts.shape) <= max_text else None,
                   hovertemplate="row %{y}, column %{x}: %{z} kernel tap(s)<extra></extra>"),
        _mask_layer(nxt & ~here, NEXT_COLOUR, 0.45, "next cell"),
        _mask_layer(here, FOOTPRINT_COLOUR, 0.75, "this cell"),
        _mask_layer(~kept, REMOVED_COLOUR, 0.75, "removed by padding" if layer.transposed else "zero padding"),
    ]
    if layer.transposed:
        titles = (f"input {layer.in_size[0]}×{layer.in_size[1]} — cell ({i}, {j})",
                  f"output before cropping {layer.canvas_size[0]}×{layer.canvas_size[1]} → kept "
                  f"{layer.out_size[0]}×{layer.out_size[1]} (framed)")
        left, right = [step_trace], canvas_traces
        shapes = (steps_shape, layer.canvas_size)
        frame_col = 2
    else:
        titles = (f"zero-padded input {layer.canvas_size[0]}×{layer.canvas_size[1]} (input framed)",
                  f"output {layer.out_size[0]}×{layer.out_size[1]} — cell ({i}, {j})")
        left, right = canvas_traces, [step_trace]
        shapes = (layer.canvas_size, steps_shape)
        frame_col = 1
    widths = [max(shapes[0][1], 3), max(shapes[1][1], 3)]
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles, column_widths=widths, horizontal_spacing=0.08)
    for trace in left:
        fig.add_trace(trace, row=1, col=1)
    for trace in right:
        fig.add_trace(trace, row=1, col=2)
    _grid_axes(fig, 1, shapes[0], "column")
    _grid_axes(fig, 2, shapes[1], "column")
    rows, cols = np.nonzero(kept)
    if len(rows):
        fig.add_shape(type="rect", x0=cols.min() - 0.5, x1=cols.max() + 0.5, y0=rows.min() - 0.5,
                      y1=rows.max() + 0.5, line=dict(color="black", width=2), row=1, col=frame_col)
    height = int(min(640, max(320, 34 * max(shapes[0][0], shapes[1][0]) + 120)))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=50, b=10), showlegend=False)
    fig.update_annotations(font_size=13)
    return fig


# ----- Gaussian generator --------------------------------------------------------------------------------


def _segments(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y of many segments as one NaN-separated polyline (start, end, NaN, start, end, NaN, …)."""
    pts = np.stack([starts, ends, np.full_like(starts, np.nan)], 1).reshape(-1, starts.shape[-1])
    return np.ascontiguousarray(pts[:, 0], np.float32), np.ascontiguousarray(pts[:, 1], np.float32)


def _polylines(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(L, P, 2) lines → x and y of one NaN-separated polyline."""
    padded = np.concatenate([lines, np.full((len(lines), 1, 2), np.nan)], 1).reshape(-1, 2)
    return np.ascontiguousarray(padded[:, 0], np.float32), np.ascontiguousarray(padded[:, 1], np.float32)


def _column_arrows(a: np.ndarray, colour: str) -> list[go.Scatter]:
    """The columns A e₁, A e₂ of a 2×2 map drawn from the origin, labelled."""
    xs, ys = _segments(np.zeros((2, 2)), a.T)
    return [go.Scatter(x=xs, y=ys, mode="lines+markers", line=dict(color=colour, width=3.5),
                       marker=dict(symbol="arrow", angleref="previous", size=np.tile([0, 14, 0], 2)),
                       hoverinfo="skip", showlegend=False),
            go.Scatter(x=a[0] * 1.15, y=a[1] * 1.15, mode="text", text=["A e₁", "A e₂"], textposition="middle center",
                       textfont=dict(color=colour, size=14), hoverinfo="skip", showlegend=False)]


def gaussian_maps_figure(z: np.ndarray, panels: Sequence[tuple[str, np.ndarray, np.ndarray]],
                         cov: np.ndarray, *, limit: float | None = None, height: int = 360) -> go.Figure:
    """z next to each G(z) = A z; points coloured by the angle of their z so you can follow each one.

    `panels` = (title, x = A z, A). Each G(z) panel gets the 2σ ellipse of Σ and the arrows A e₁, A e₂;
    the z panel gets the 2σ circle of N(0, I).
    """
    angle = np.arctan2(z[:, 1], z[:, 0])
    fig = make_subplots(rows=1, cols=1 + len(panels), subplot_titles=["z ~ N(0, I)"] + [p[0] for p in panels],
                        horizontal_spacing=0.05)
    circle = covariance_ellipse(np.eye(2), 2.0)
    ellipse = covariance_ellipse(cov, 2.0)
    clouds = [(z, circle, np.eye(2))] + [(x, ellipse, a) for _, x, a in panels]
    lim = limit or float(np.percentile(np.abs(np.concatenate([c[0] for c in clouds])), 99.5)) * 1.1
    for col, (pts, curve, a) in enumerate(clouds, start=1):
        fig.add_trace(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", showlegend=False,
                                 marker=dict(size=4, color=angle, colorscale="Phase", cmin=-np.pi, cmax=np.pi,
                                             opacity=0.8),
                                 hovertemplate="(%{x:.2f}, %{y:.2f})<extra></extra>"), row=1, col=col)
        fig.add_trace(go.Scatter(x=curve[:, 0], y=curve[:, 1], mode="lines", line=dict(color="black", dash="dash"),
                                 hoverinfo="skip", showlegend=False), row=1, col=col)
        for trace in _column_arrows(np.asarray(a), "#111111"):
            fig.add_trace(trace, row=1, col=col)
        axis = "" if col == 1 else str(col)
        fig.update_xaxes(range=[-lim, lim], constrain="domain", row=1, col=col)
        fig.update_yaxes(range=[-lim, lim], scaleanchor=f"x{axis}", constrain="domain", row=1, col=col)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def convergence_figure(rows: Sequence[dict], *, height: int = 300) -> go.Figure:
    """‖Σ̂_n − Σ‖/‖Σ‖ against n on log-log axes, with the 1/√n slope for reference."""
    n = np.array([r["n"] for r in rows], dtype=float)
    err = np.array([r["relative error"] for r in rows])
    fig = go.Figure([go.Scatter(x=n, y=err, mode="lines+markers", name="mean ‖Σ̂ₙ − Σ‖ / ‖Σ‖"),
                     go.Scatter(x=n, y=err[0] * np.sqrt(n[0] / n), mode="lines", line=dict(dash="dot"),
                                name="∝ 1/√n")])
    readable_log_axis(fig, n, "x")
    readable_log_axis(fig, np.concatenate([err, err[0] * np.sqrt(n[0] / n)]))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), yaxis_title="relative error",
                      xaxis_title="samples n", legend=dict(orientation="h", y=1.02, yanchor="bottom"))
    return fig


def gaussian_3d_figure(z: np.ndarray, x: np.ndarray, a: np.ndarray, *, height: int = 480) -> go.Figure:
    """G(z) = A z in 3-D, coloured by z₃, with the columns of A drawn from the origin."""
    starts = np.zeros((3, 3))
    pts = np.stack([starts, a.T, np.full((3, 3), np.nan)], 1).reshape(-1, 3)
    fig = go.Figure([
        go.Scatter3d(x=x[:, 0], y=x[:, 1], z=x[:, 2], mode="markers", name="A z",
                     marker=dict(size=2, color=z[:, 2], colorscale="Viridis", opacity=0.7)),
        go.Scatter3d(x=pts[:, 0], y=pts[:, 1], z=pts[:, 2], mode="lines", line=dict(color="#d7301f", width=6),
                     name="columns A e₁, A e₂, A e₃"),
    ])
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=10, b=0), scene=dict(aspectmode="data"),
                      legend=dict(orientation="h"))
    return fig


def warped_grid_figure(z: np.ndarray, x: np.ndarray, lines: np.ndarray, warped: np.ndarray,
                       ellipse: np.ndarray | None = None, *, height: int = 420) -> go.Figure:
    """z-space with its grid (left) and G(z) with the same grid pushed through G (right)."""
    angle = np.arctan2(z[:, 1], z[:, 0])
    fig = make_subplots(rows=1, cols=2, subplot_titles=["z ~ N(0, I) and a grid in z", "G(z) and G(grid)"],
                        horizontal_spacing=0.06)
    for col, (pts, grid) in enumerate(((z, lines), (x, warped)), start=1):
        gx, gy = _polylines(grid)
        fig.add_trace(go.Scatter(x=gx, y=gy, mode="lines", line=dict(color="rgba(90,90,90,0.5)", width=1),
                                 hoverinfo="skip", showlegend=False), row=1, col=col)
        fig.add_trace(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", showlegend=False,
                                 marker=dict(size=4, color=angle, colorscale="Phase", opacity=0.8),
                                 hoverinfo="skip"), row=1, col=col)
        axis = "" if col == 1 else str(col)
        fig.update_yaxes(scaleanchor=f"x{axis}", row=1, col=col)
    if ellipse is not None:
        fig.add_trace(go.Scatter(x=ellipse[:, 0], y=ellipse[:, 1], mode="lines", hoverinfo="skip",
                                 line=dict(color="black", dash="dash"), showlegend=False), row=1, col=2)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10))
    return fig


# ----- 2-D GAN ----------------------------------------------------------------------------------------------

LAYERS = ("real", "fake", "heatmap", "manifold", "gradients")
# An empty template: plotly's default one is ~10 kB of JSON per figure, sent twice a second while training;
# Streamlit's own theme styles the chart in the browser anyway.
LIGHT_TEMPLATE = go.layout.Template()


def gan2d_canvas(frame: Gan2dFrame, layers: Iterable[str] = LAYERS, *, height: int = 540) -> go.Figure:
    """The GAN Lab picture: D's heat-map, real (green) and fake (purple) points, G's warped grid, arrows.

    Arrows are −∇ₓ L_G on each fake — where the generator's loss pushes that point — scaled so the longest
    is 0.5 canvas units. `uirevision` keeps the user's zoom across live updates. Built as one dict and
    validated once (5× cheaper than growing a go.Figure, which matters twice a second); arrays go as
    float32 (plotly sends numpy arrays as base64: half the bytes of float64).
    """
    layers = set(layers)
    real, fake, arrows, warped, heat = (getattr(frame, name).astype(np.float32)
                                        for name in ("real", "fake", "arrows", "warped", "heat"))
    traces: list[dict] = []
    if "heatmap" in layers:
        traces.append(dict(
            type="heatmap", x=HEAT_AXIS.astype(np.float32), y=HEAT_AXIS.astype(np.float32), z=heat,
            zsmooth=False, opacity=0.55,  # zsmooth="best" blanks the chart between updates in a busy browser
            colorscale=[[0, FAKE_COLOUR], [0.5, "#f7f7f7"], [1, REAL_COLOUR]],
            **(dict(zmin=0, zmax=1) if frame.heat_mid is None else dict(zmid=frame.heat_mid)),
            colorbar=dict(title=dict(text=frame.heat_label, side="right"), thickness=12, len=0.8),
            hovertemplate="(%{x:.2f}, %{y:.2f}) " + frame.heat_label + ": %{z:.2f}<extra></extra>"))
    if "manifold" in layers:
        gx, gy = _polylines(warped)
        traces.append(dict(type="scatter", x=gx, y=gy, mode="lines", name="G(grid in z)", hoverinfo="skip",
                           line=dict(color="rgba(60,60,60,0.45)", width=1)))
    for name, label, pts, colour in (("real", "real", real, REAL_COLOUR), ("fake", "fake G(z)", fake, FAKE_COLOUR)):
        if name in layers:
            traces.append(dict(type="scatter", x=np.ascontiguousarray(pts[:, 0]), y=np.ascontiguousarray(pts[:, 1]),
                               mode="markers", name=label, hoverinfo="skip",
                               marker=dict(size=5, color=colour, line=dict(width=0))))
    if "gradients" in layers:
        ax, ay = _segments(fake, fake + arrows)
        traces.append(dict(type="scatter", x=ax, y=ay, mode="lines+markers", name="−∇ₓ L_G", hoverinfo="skip",
                           line=dict(color="#e66101", width=1.2),
                           marker=dict(symbol="arrow", angleref="previous", color="#e66101",
                                       size=np.tile(np.array([0, 7, 0], np.uint8), len(fake)))))
    lim = CANVAS
    layout = dict(height=height, margin=dict(l=10, r=10, t=30, b=10), uirevision="gan2d", template=LIGHT_TEMPLATE,
                  xaxis=dict(range=[-lim, lim], zeroline=False, constrain="domain"),
                  yaxis=dict(range=[-lim, lim], zeroline=False, scaleanchor="x", constrain="domain"),
                  legend=dict(orientation="h", y=-0.06, yanchor="top", x=0), plot_bgcolor="white")
    return go.Figure(dict(data=traces, layout=layout))


def gan2d_metrics_figure(history: Sequence[Gan2dMetrics], *, max_points: int = 300, height: int = 360) -> go.Figure:
    """D and G losses (top) and KL / JS between real and fake on the histogram grid (bottom) per G step.

    At most `max_points` rows are drawn (every k-th, plus the last); built as one dict like the canvas.
    """
    stride = max(1, -(-len(history) // max_points))
    rows = list(history[::stride])
    if history and rows[-1] is not history[-1]:
        rows.append(history[-1])
    steps = np.array([r.step for r in rows], np.int32)
    traces = [dict(type="scatter", x=steps, y=np.array(values, np.float32), mode="lines", name=name,
                   line=dict(color=colour, width=1.5), xaxis="x", yaxis=axis)
              for name, values, axis, colour in (
                  ("D loss", [r.d_loss for r in rows], "y", REAL_COLOUR),
                  ("G loss", [r.g_loss for r in rows], "y", FAKE_COLOUR),
                  ("KL", [r.kl for r in rows], "y2", "#d7301f"),
                  ("JS", [r.js for r in rows], "y2", "#fc8d59"))]
    title = dict(xref="paper", yref="paper", x=0.5, xanchor="center", yanchor="bottom", showarrow=False,
                 font=dict(size=12))
    layout = dict(height=height, margin=dict(l=10, r=10, t=30, b=10), uirevision="gan2d-metrics",
                  template=LIGHT_TEMPLATE, legend=dict(orientation="h", y=-0.22, yanchor="top"),
                  xaxis=dict(anchor="y2", title=dict(text="G steps")),
                  yaxis=dict(domain=[0.56, 1.0]), yaxis2=dict(domain=[0.0, 0.44]),
                  annotations=[dict(text="losses", y=1.0, **title),
                               dict(text="divergence real ‖ fake (bits)", y=0.44, **title)])
    return go.Figure(dict(data=traces, layout=layout))


def draw_points_figure(candidates: np.ndarray, chosen: np.ndarray | None = None, *, height: int = 420) -> go.Figure:
    """A field of faint candidate points to box- or lasso-select; the chosen ones are drawn on top."""
    traces = [go.Scatter(x=candidates[:, 0], y=candidates[:, 1], mode="markers", name="candidates",
                         marker=dict(size=6, color="rgba(120,120,120,0.25)"),
                         hovertemplate="(%{x:.2f}, %{y:.2f})<extra></extra>")]
    if chosen is not None and len(chosen):
        traces.append(go.Scatter(x=chosen[:, 0], y=chosen[:, 1], mode="markers", name="your points",
                                 marker=dict(size=6, color=REAL_COLOUR), hoverinfo="skip"))
    fig = go.Figure(traces)
    lim = CANVAS
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), dragmode="lasso", showlegend=False,
                      xaxis=dict(range=[-lim, lim], constrain="domain"),
                      yaxis=dict(range=[-lim, lim], scaleanchor="x", constrain="domain"))
    return fig


def matrix_latex(m: np.ndarray, digits: int = 2) -> str:
    """A matrix as a LaTeX bmatrix with `digits` decimals, for st.latex."""
    rows = [" & ".join(f"{v:.{digits}f}" for v in row) for row in np.asarray(m, dtype=float)]
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"
