"""Figures for embedding maps: class-coloured scatters (one or two panels, one legend), PCA's
explained variance, and thumbnails of the images drawn on the map. No Streamlit.
"""
from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.subplots import make_subplots

from genviz.core.figures import class_colour


@dataclass(frozen=True)
class MapPanel:
    """One map to draw: (n, 2) coordinates of the same n points as its neighbours, and labels."""

    coords: np.ndarray
    title: str
    x_title: str = ""
    y_title: str = ""


def png_data_uri(image: np.ndarray) -> str:
    """One image (C, H, W) in [0, 1] as a `data:image/png;base64,…` URI (grey or RGB)."""
    x = np.clip(np.asarray(image, dtype=np.float32), 0, 1)
    x = (x[0] if x.shape[0] == 1 else x.transpose(1, 2, 0)) * 255
    buf = io.BytesIO()
    Image.fromarray(x.round().astype(np.uint8)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def spread_rows(coords: np.ndarray, cells: int = 12) -> np.ndarray:
    """At most one point per cell of a `cells` × `cells` grid over the map: rows of points that
    cover it evenly, so thumbnails drawn at them do not pile up."""
    xy = np.asarray(coords, dtype=np.float64)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    cell = np.floor((xy - lo) / np.maximum(hi - lo, 1e-12) * (cells - 1e-9)).astype(int)
    _, first = np.unique(cell[:, 0] * cells + cell[:, 1], return_index=True)
    return np.sort(first)


THUMBNAIL_FILL = 0.7  # of a grid cell's width and height: gaps between thumbnails show the points around them


def _thumbnail_layout(xy: np.ndarray, images: np.ndarray, col: int, cells: int) -> list[dict]:
    """Plotly layout images: a thumbnail of the image behind each spread-out point of one panel, drawn
    under the points (layer "below") and smaller than its cell, so the coloured points stay visible."""
    rows = spread_rows(xy, cells)
    span = np.maximum(xy.max(axis=0) - xy.min(axis=0), 1e-12)
    size_x, size_y = span / cells * THUMBNAIL_FILL
    axis = "" if col == 1 else str(col)
    return [dict(source=png_data_uri(images[r]), xref=f"x{axis}", yref=f"y{axis}", x=float(xy[r, 0]),
                 y=float(xy[r, 1]), sizex=float(size_x), sizey=float(size_y), xanchor="center", yanchor="middle",
                 sizing="contain", layer="below", opacity=0.8) for r in rows]


def _marker_size(n: int) -> float:
    return float(np.clip(9 - 1.6 * np.log10(max(n, 1)), 2.5, 7))


def map_figure(panels: Sequence[MapPanel], labels: np.ndarray, classes: Sequence[str], *,
               image_ids: np.ndarray | None = None, thumbnails: np.ndarray | None = None, thumbnail_cells: int = 12,
               highlight: Sequence[int] = (), height: int = 560) -> go.Figure:
    """Scatter of one or more maps of the same points, coloured by class with ONE legend.

    Each point's `customdata` is [row in the map, dataset index], so a selection event names
    the point in every panel. Clicking a class in the legend hides it in all panels.
    `highlight` rows get a black ring (the clicked point and its neighbours). `thumbnails` (N, C, H, W)
    in [0, 1] draws the images themselves on the map, one per cell of a `thumbnail_cells` grid (hover
    labels cannot show pictures; braille text in them was unreadable).
    """
    labels = np.asarray(labels)
    n = len(labels)
    ids = np.arange(n) if image_ids is None else np.asarray(image_ids)
    rows = np.arange(n)
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=[p.title for p in panels],
                        horizontal_spacing=0.06)
    size = _marker_size(n)
    hover = "<b>%{fullData.name}</b> · image #%{customdata[1]}<br>click to see the image"
    pictures: list[dict] = []
    for col, panel in enumerate(panels, start=1):
        xy = np.asarray(panel.coords, dtype=np.float32)
        for c in np.unique(labels):
            mask = labels == c
            name = classes[c] if 0 <= c < len(classes) else str(c)
            fig.add_trace(go.Scattergl(
                x=xy[mask, 0], y=xy[mask, 1], mode="markers", name=name, legendgroup=name,
                showlegend=col == 1, customdata=np.stack([rows[mask], ids[mask]], axis=1),
                hovertemplate=hover + "<extra></extra>",
                marker=dict(size=size, color=class_colour(c), opacity=0.8),
            ), row=1, col=col)
        if len(highlight):
            h = np.asarray(highlight, dtype=int)
            fig.add_trace(go.Scattergl(
                x=xy[h, 0], y=xy[h, 1], mode="markers", name="selected", legendgroup="selected",
                showlegend=col == 1, hoverinfo="skip",
                marker=dict(size=size + 9, color="rgba(0,0,0,0)", line=dict(color="black", width=2)),
            ), row=1, col=col)
        if thumbnails is not None and len(xy):
            pictures += _thumbnail_layout(xy, np.asarray(thumbnails), col, thumbnail_cells)
        fig.update_xaxes(title_text=panel.x_title, row=1, col=col, zeroline=False)
        fig.update_yaxes(title_text=panel.y_title, row=1, col=col, zeroline=False)
    # No dragmode: Streamlit then starts in pan mode where a click selects a point; the toolbar's
    # lasso and box tools select groups.
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), images=pictures,
                      legend=dict(itemsizing="constant", title_text="class"),
                      hoverlabel=dict(bgcolor="white", font=dict(size=13, color="#111")))
    return fig


def explained_variance_figure(ratio: np.ndarray, height: int = 260) -> go.Figure:
    """PCA: the fraction of the codes' variance along each component, and its running total."""
    r = np.asarray(ratio, dtype=float)
    names = [f"PC{i + 1}" for i in range(len(r))]
    fig = go.Figure([
        go.Bar(x=names, y=r, name="per component", hovertemplate="%{x}: %{y:.1%}<extra></extra>"),
        go.Scatter(x=names, y=np.cumsum(r), name="cumulative", mode="lines+markers",
                   hovertemplate="PC1…%{x}: %{y:.1%}<extra></extra>"),
    ])
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), yaxis=dict(tickformat=".0%", range=[0, 1]),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom"))
    return fig
