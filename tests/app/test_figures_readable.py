"""Issue 19 items 13 and 15: readable log-axis ticks, every class labelled, one 10-class palette."""
from __future__ import annotations

import numpy as np

from genviz.autoencoders import figures as ae_figures
from genviz.concepts import figures as concept_figures
from genviz.core import figures
from genviz.embeddings import figures as emb_figures
from genviz.gans import figures as gan_figures


def _log_axes(fig):
    layout = fig.to_plotly_json()["layout"]
    return {k: v for k, v in layout.items() if k[:5] in ("xaxis", "yaxis") and v.get("type") == "log"}


def _assert_readable(fig):
    axes = _log_axes(fig)
    assert axes, "expected a log axis"
    for name, axis in axes.items():
        assert axis.get("tickmode") == "array" and axis.get("ticktext"), f"{name} uses Plotly's crowded default ticks"
        assert len(axis["ticktext"]) <= 9, (name, axis["ticktext"])


def test_log_ticks_are_decades_with_few_labels():
    vals, text = figures.log_ticks([3e-5, 0.8])
    assert vals == [1e-05, 1e-4, 1e-3, 1e-2, 0.1, 1.0]
    assert text == ["10⁻⁵", "10⁻⁴", "0.001", "0.01", "0.1", "1"]
    vals, text = figures.log_ticks([1e-12, 10.0])  # many decades: every other one
    assert len(vals) <= 8 and text[0] == "10⁻¹²"
    vals, text = figures.log_ticks([0.02, 0.6])  # narrow span: 1-2-5
    assert text == ["0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1"]
    assert figures.log_ticks([0.0, -1.0]) == ([], [])


def test_every_log_plot_of_the_issue_has_readable_ticks():
    rng = np.random.default_rng(0)
    pts = [{"step": i, "d_fake": 10 ** -(i / 10), "g_grad_norm": 10 ** -(i / 5)} for i in range(1, 40)]
    curves = {"saturating": pts, "non-saturating": pts}
    for fig in (gan_figures.gradient_vs_d_fake(curves), gan_figures.vanishing_over_steps(curves),
                gan_figures.logit_gradient_theory(),
                ae_figures.unit_variances(10 ** rng.uniform(-6, 0, 20), 0.01),
                ae_figures.code_histograms({"L1": rng.normal(size=500), "KL": rng.uniform(size=500)}),
                concept_figures.convergence_figure([{"n": n, "relative error": 1 / np.sqrt(n)}
                                                    for n in (10, 100, 1000, 10000)])):
        _assert_readable(fig)


def test_class_bars_label_every_class():
    classes = [str(c) for c in range(10)]
    fig = ae_figures.label_histogram({"VAE": list(range(10))}, classes)
    xaxis = fig.to_plotly_json()["layout"]["xaxis"]
    assert xaxis["type"] == "category" and list(xaxis["tickvals"]) == classes


def test_one_ten_class_palette_with_4_and_9_apart():
    colours = [figures.class_colour(k) for k in range(10)]
    assert len(set(colours)) == 10
    rgb = [np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)]) for c in colours]
    assert np.linalg.norm(rgb[4] - rgb[9]) > 150
    labels = np.arange(20) % 10
    fig = emb_figures.map_figure([emb_figures.MapPanel(rng_coords(20), "map")], labels, [str(c) for c in range(10)])
    by_name = {t.name: t.marker.color for t in fig.data}
    assert by_name["4"] == figures.class_colour(4) and by_name["9"] == figures.class_colour(9)
    scatter = ae_figures.latent_scatter({"VAE": rng_coords(20)}, labels, [str(c) for c in range(10)])
    assert {t.name: t.marker.color for t in scatter.data}["9"] == figures.class_colour(9)


def rng_coords(n: int) -> np.ndarray:
    return np.random.default_rng(1).normal(size=(n, 2)).astype(np.float32)
