"""Figure builders shared by every page: tensors in, images or plotly figures out, no Streamlit."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
import torch
from torch import Tensor
from torchvision.utils import make_grid


@torch.no_grad()
def image_grid(images: Tensor | Sequence[Tensor], nrow: int = 8, *, padding: int = 1, scale: int = 1,
               pad_value: float = 1.0) -> np.ndarray:
    """Tile images (N, C, H, W) in [0, 1] into one uint8 picture (H', W', 3) for `st.image`.

    A list of equal-length batches is drawn one batch per row when `nrow` is their length.
    `scale` enlarges each pixel by nearest-neighbour so 8×8 digits stay crisp. The input is not modified.
    """
    if not isinstance(images, Tensor):
        images = torch.cat([r.detach().cpu() for r in images])
    x = images.detach().float().cpu().clamp(0, 1)
    if scale > 1:
        x = x.repeat_interleave(scale, dim=2).repeat_interleave(scale, dim=3)
    grid = make_grid(x, nrow=max(1, nrow), padding=padding, pad_value=pad_value)  # (3, H', W')
    return (grid.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def pixel_scale(image_shape: Sequence[int], target: int = 64) -> int:
    """An integer upscaling factor that makes one image about `target` pixels tall."""
    return max(1, target // int(image_shape[-2]))


def loss_curves(records: Sequence[dict], *, x: str = "step", title: str = "", height: int = 320) -> go.Figure:
    """Line chart of metric series; each record is {x: value, "train loss": v, "test loss": v, ...}."""
    fig = go.Figure()
    names = []
    for r in records:
        for k in r:
            if k != x and k not in names:
                names.append(k)
    for name in names:
        pts = [(r[x], r[name]) for r in records if r.get(name) is not None]
        if pts:
            xs, ys = zip(*pts)
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers" if len(pts) < 30 else "lines", name=name))
    # Legend under the plot: above it, it collides with the title.
    fig.update_layout(title=title or None, height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      xaxis_title=x, legend=dict(orientation="h", y=-0.22, yanchor="top", x=0))
    return fig
