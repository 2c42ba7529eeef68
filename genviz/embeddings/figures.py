"""Figures for embedding maps: class-coloured scatters (one or two panels, one legend), PCA's
explained variance, and text thumbnails of the images for hover labels. No Streamlit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from genviz.core.figures import class_colour

_BRAILLE_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.int32)  # (row, col) dots


@dataclass(frozen=True)
class MapPanel:
    """One map to draw: (n, 2) coordinates of the same n points as its neighbours, and labels."""

    coords: np.ndarray
    title: str
    x_title: str = ""
    y_title: str = ""


def braille_thumbnails(images: np.ndarray, *, width: int = 28, threshold: float = 0.4) -> list[str]:
    """Each image (N, C, H, W) in [0, 1] as Unicode braille text (2 × 4 pixels per character).

    Plotly's hover labels cannot show pictures, but they can show text: a 28 × 28 digit becomes
    7 lines of 14 braille characters, joined by `<br>`. Small images are enlarged to about
    `width` pixels first; colour images are averaged to grey. Pixels above `threshold` are dots.
    """
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 4:
        x = x.mean(axis=1)
    n, h, w = x.shape
    scale = max(1, int(round(width / w)))
    if scale > 1:
        x = x.repeat(scale, axis=1).repeat(scale, axis=2)
        h, w = h * scale, w * scale
    pad_h, pad_w = (-h) % 4, (-w) % 2
    x = np.pad(x, ((0, 0), (0, pad_h), (0, pad_w)))
    rows, cols = x.shape[1] // 4, x.shape[2] // 2
    dots = (x > threshold).reshape(n, rows, 4, cols, 2)
    codes = (dots * _BRAILLE_BITS[None, None, :, None, :]).sum(axis=(2, 4)) + 0x2800  # (n, rows, cols)
    table = np.array([chr(c) for c in range(0x2800, 0x2900)])
    chars = table[codes - 0x2800]
    return ["<br>".join("".join(line) for line in image) for image in chars]


def _marker_size(n: int) -> float:
    return float(np.clip(9 - 1.6 * np.log10(max(n, 1)), 2.5, 7))


def map_figure(panels: Sequence[MapPanel], labels: np.ndarray, classes: Sequence[str], *,
               image_ids: np.ndarray | None = None, hover_images: Sequence[str] | None = None,
               highlight: Sequence[int] = (), height: int = 560) -> go.Figure:
    """Scatter of one or more maps of the same points, coloured by class with ONE legend.

    Each point's `customdata` is [row in the map, dataset index], so a selection event names
    the point in every panel. Clicking a class in the legend hides it in all panels.
    `highlight` rows get a black ring (the clicked point and its neighbours).
    """
    labels = np.asarray(labels)
    n = len(labels)
    ids = np.arange(n) if image_ids is None else np.asarray(image_ids)
    rows = np.arange(n)
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=[p.title for p in panels],
                        horizontal_spacing=0.06)
    size = _marker_size(n)
    hover = "<b>%{fullData.name}</b> · image #%{customdata[1]}"
    if hover_images is not None:
        hover += "<br>%{text}"
    for col, panel in enumerate(panels, start=1):
        xy = np.asarray(panel.coords, dtype=np.float32)
        for c in np.unique(labels):
            mask = labels == c
            name = classes[c] if 0 <= c < len(classes) else str(c)
            fig.add_trace(go.Scattergl(
                x=xy[mask, 0], y=xy[mask, 1], mode="markers", name=name, legendgroup=name,
                showlegend=col == 1, customdata=np.stack([rows[mask], ids[mask]], axis=1),
                text=None if hover_images is None else [hover_images[i] for i in np.flatnonzero(mask)],
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
        fig.update_xaxes(title_text=panel.x_title, row=1, col=col, zeroline=False)
        fig.update_yaxes(title_text=panel.y_title, row=1, col=col, zeroline=False)
    # No dragmode: Streamlit then starts in pan mode where a click selects a point; the toolbar's
    # lasso and box tools select groups.
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(itemsizing="constant", title_text="class"),
                      hoverlabel=dict(bgcolor="white", font=dict(family="DejaVu Sans Mono, Menlo, Consolas, monospace",
                                                                 size=14, color="#111")))
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
