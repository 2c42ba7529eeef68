"""Cached views of the CycleGAN page (the only translation module that imports Streamlit)."""
from __future__ import annotations

import streamlit as st
from torch import Tensor

from genviz import ui as backend
from genviz.core import checkpoints
from genviz.core.figures import image_grid, pixel_scale
from genviz.translation import analysis, metrics
from genviz.translation.pairs import PairData, load_pair


@st.cache_resource(show_spinner="Loading the domain pair…", max_entries=2)
def pair_data(name: str, device: str) -> PairData:
    return load_pair(name, device)


def grid(rows: list[Tensor]) -> object:
    images = [r.float().cpu() for r in rows]
    return image_grid(images, nrow=len(images[0]), scale=pixel_scale(images[0].shape, 48))


@backend.cached_view()
def round_trip_grid(ckpt: checkpoints.Checkpoint, n: int, seed: int, direction: str) -> object:
    data = pair_data(ckpt.config.pair, str(ckpt.model.device))
    x, _ = analysis.test_images(data, direction[0], n, seed)
    return grid(analysis.round_trip(ckpt.model, x, direction))


@backend.cached_view()
def stego(ckpt: checkpoints.Checkpoint, n: int, seed: int, direction: str) -> tuple[float, float, object]:
    data = pair_data(ckpt.config.pair, str(ckpt.model.device))
    x, _ = analysis.test_images(data, direction[0], n, seed)
    probe = analysis.stego_probe(ckpt.model, x, direction, seed=seed)
    return probe.clean_l1, probe.noisy_l1, grid(probe.rows)


@st.cache_data(show_spinner="Reading the untranslated images…", max_entries=8)
def untranslated(pair: str, device: str) -> dict[str, float | None]:
    """Label preservation of the identity map, per direction (see metrics.untranslated_label_preservation)."""
    data = pair_data(pair, device)
    return {d: metrics.untranslated_label_preservation(data, d) for d in ("ab", "ba")}


def cyclegan_entries() -> list[checkpoints.CheckpointInfo]:
    return [c for c in backend.catalogue() if c.kind == "cyclegan"]
