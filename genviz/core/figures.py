"""Figure builders shared by every page: tensors in, images or plotly figures out, no Streamlit."""
from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots
from torch import Tensor

# One qualitative palette for every class-coloured chart (d3's category10, made for 10 categories):
# class c gets CLASS_COLOURS[c % 10]; 4 (purple) and 9 (cyan) are far apart, unlike Plotly's default.
CLASS_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def class_colour(label: int) -> str:
    """The colour of class `label` in every class-coloured chart."""
    return CLASS_COLOURS[int(label) % len(CLASS_COLOURS)]


def log_tick_label(value: float) -> str:
    """A short label for a log-axis tick: 0.01, 5, 200, else 10⁻⁵, 2·10⁶."""
    if 1e-3 <= abs(value) < 1e5:
        return f"{value:g}"
    exponent = math.floor(math.log10(abs(value)))
    mantissa = round(value / 10 ** exponent)
    power = "10" + str(exponent).translate(_SUPERSCRIPT)
    return power if mantissa == 1 else f"{mantissa}·{power}"


def log_ticks(values: Iterable[float], max_ticks: int = 8) -> tuple[list[float], list[str]]:
    """Tick positions and labels for a log axis over the positive `values`: powers of ten (every
    k-th when they are many), with 2 and 5 between them when the data span two decades or less,
    so the labels never crowd into Plotly's default "5 2 10 5 2 1"."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x) and x > 0], dtype=float)
    if not len(v):
        return [], []
    lo, hi = math.floor(math.log10(v.min())), math.ceil(math.log10(v.max()))
    hi = max(hi, lo + 1)
    mantissas = (1, 2, 5) if hi - lo <= 2 else (1,)
    every = max(1, math.ceil((hi - lo + 1) / max_ticks))
    ticks = [m * 10.0 ** e for e in range(lo, hi + 1) if (e - lo) % every == 0 for m in mantissas]
    ticks = [t for t in ticks if t <= 10.0 ** hi]
    return ticks, [log_tick_label(t) for t in ticks]


def readable_log_axis(fig: go.Figure, values: Iterable[float], axis: str = "y", **selector) -> go.Figure:
    """Make `axis` ("x" or "y") of `fig` (or of one subplot: row=, col=) a log axis with `log_ticks`."""
    tickvals, ticktext = log_ticks(values)
    update = fig.update_yaxes if axis == "y" else fig.update_xaxes
    update(type="log", tickmode="array", tickvals=tickvals, ticktext=ticktext, **selector)
    return fig


def class_axis(fig: go.Figure, classes: Sequence, axis: str = "x") -> go.Figure:
    """A category axis that labels every class (Plotly skips every other numeric-looking one)."""
    labels = [str(c) for c in classes]
    update = fig.update_xaxes if axis == "x" else fig.update_yaxes
    update(type="category", tickmode="array", tickvals=labels, ticktext=labels, categoryorder="array",
           categoryarray=labels)
    return fig


@torch.no_grad()
def image_grid(images: Tensor | Sequence[Tensor], nrow: int = 8, *, padding: int = 1, scale: int = 1,
               pad_value: float = 1.0) -> np.ndarray:
    """Tile images (N, C, H, W) in [0, 1] into one uint8 picture (H', W', 3) for `st.image`.

    A list of equal-length batches is drawn one batch per row when `nrow` is their length.
    `scale` enlarges each pixel by nearest-neighbour so 8×8 digits stay crisp. The input is not modified.
    """
    # Imported here: `import torchvision` pulls in torch._dynamo (~1 s), which a CLI run that draws nothing skips.
    from torchvision.utils import make_grid

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


# ---- training charts: human metric names, one panel per kind of number --------------------------
_METRIC_NAMES = {
    "loss": "loss", "recon": "reconstruction", "kl": "KL divergence", "sparsity": "sparsity penalty",
    "mse": "mean squared error", "accuracy": "accuracy", "d_loss": "discriminator loss",
    "g_loss": "generator loss", "d_real": "D(x) on real images", "d_fake": "D(G(z)) on generated images",
    "g_grad_norm": "generator gradient norm ‖∇G‖", "disc_loss": "discriminator loss",
    "enc_adv_loss": "encoder's adversarial loss", "frechet_distance": "Fréchet distance",
    "sample_confidence": "classifier confidence on samples", "gp": "gradient penalty",
}
_WORDS = {"d": "D", "g": "G", "grad": "gradient", "recon": "reconstruction", "kl": "KL", "disc": "discriminator",
          "enc": "encoder", "adv": "adversarial", "gp": "gradient penalty", "fd": "Fréchet distance"}
# (panel title, y-axis title, log y?) in drawing order; a metric goes to the first panel whose test matches
TRAINING_PANELS = (
    ("Losses", "loss", False),
    ("Discriminator outputs and accuracies", "D output / share", False),
    ("Gradient norms", "norm (log)", True),
    ("Sample quality", "score", False),
)


def metric_label(key: str) -> str:
    """A metric's name for people: `g_grad_norm` → "generator gradient norm ‖∇G‖", `test_loss` → "held-out loss"."""
    held_out = key.startswith("test_")
    base = key.removeprefix("test_")
    name = _METRIC_NAMES.get(base) or " ".join(_WORDS.get(w, w) for w in base.split("_"))
    return f"held-out {name}" if held_out else name


def metric_panel(key: str) -> int:
    """Which of TRAINING_PANELS a metric belongs in (by what it measures, read from its name)."""
    base = key.removeprefix("test_")
    if "grad_norm" in base:
        return 2
    if base in ("d_real", "d_fake") or base.endswith(("accuracy", "confidence")):
        return 1
    if "frechet" in base or base.endswith(("covered", "precision", "recall")):
        return 3
    return 0


def training_panels(records: Sequence[dict], *, x: str = "step", height_per_panel: int = 210) -> go.Figure:
    """A run's metrics as stacked panels sharing the x axis (losses / D outputs / gradient norms / sample
    quality, only those that have data), with human names, a y-axis title per panel and each panel's
    legend beside it. Keys starting with "test_" are held-out numbers: markers on a dashed line in the
    colour of their training twin."""
    keys: list[str] = []
    for r in records:
        keys += [k for k in r if k not in (x, "epoch") and k not in keys and r[k] is not None]
    used = sorted({metric_panel(k) for k in keys})
    rows = {panel: i + 1 for i, panel in enumerate(used)}
    n = max(1, len(used))
    fig = make_subplots(rows=n, cols=1, shared_xaxes=True, vertical_spacing=0.09 if n > 1 else 0.0,
                        subplot_titles=[TRAINING_PANELS[p][0] for p in used] or None)
    palette = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
    colours: dict[str, str] = {}
    for key in keys:
        pts = [(r[x], r[key]) for r in records if r.get(key) is not None]
        if not pts:
            continue
        base = key.removeprefix("test_")
        colour = colours.setdefault(base, palette[len(colours) % len(palette)])
        held_out = key.startswith("test_")
        xs, ys = zip(*pts)
        row = rows[metric_panel(key)]
        fig.add_trace(go.Scatter(x=xs, y=ys, name=metric_label(key), legend="legend" if row == 1 else f"legend{row}",
                                 mode="lines+markers" if held_out or len(pts) < 30 else "lines",
                                 line=dict(color=colour, dash="dash" if held_out else None)), row=row, col=1)
    legends = {}
    for panel, row in rows.items():
        title, y_title, log = TRAINING_PANELS[panel]
        domain = fig.get_subplot(row, 1).yaxis.domain
        legends["legend" if row == 1 else f"legend{row}"] = dict(x=1.02, xanchor="left", y=domain[1], yanchor="top",
                                                                 font=dict(size=11), bgcolor="rgba(255,255,255,0)")
        fig.update_yaxes(title_text=y_title, row=row, col=1)
        if log:
            readable_log_axis(fig, [r.get(k) for r in records for k in keys if metric_panel(k) == panel], row=row, col=1)
    fig.update_xaxes(title_text="training step" if x == "step" else x, row=n, col=1)
    fig.update_layout(height=max(260, height_per_panel * n + 60), margin=dict(l=10, r=10, t=30, b=10), **legends)
    return fig
