"""Download buttons: samples (PNG grid, .npy N×C×H×W in [0, 1]) and checkpoint files.

The bytes are made only when a button is pressed (Streamlit runs a callable `data` on click), so
drawing a page costs nothing. They are the bytes `python -m genviz sample` writes (core.exports).
"""
from __future__ import annotations

import re
from pathlib import Path

import streamlit as st
from torch import Tensor

from genviz.core import exports


def _file_stem(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "samples"


def sample_downloads(images: Tensor, stem: str, key: str) -> None:
    """Two buttons side by side: the samples as a PNG grid and as a .npy array."""
    stem = _file_stem(stem)
    frozen = images.detach().cpu()  # what is on screen now, whatever the page draws next
    png, npy = st.columns(2)
    png.download_button("PNG grid", lambda: exports.samples_png(frozen), file_name=f"{stem}.png", mime="image/png",
                        key=f"{key}_png", icon=":material/download:", on_click="ignore", width="stretch",
                        help="The samples on screen, tiled 10 to a row.")
    npy.download_button(".npy array", lambda: exports.samples_npy(frozen), file_name=f"{stem}.npy",
                        mime="application/octet-stream", key=f"{key}_npy", icon=":material/download:",
                        on_click="ignore", width="stretch",
                        help=f"numpy.load gives a float32 array of shape {tuple(frozen.shape)} (N×C×H×W) in [0, 1].")


def checkpoint_download(path: str | Path, key: str, label: str | None = None) -> None:
    """A button that downloads the checkpoint file at `path` (read when pressed)."""
    p = Path(path)
    st.download_button(label or f"Download {p.name}", lambda: p.read_bytes(), file_name=p.name,
                       mime="application/octet-stream", key=key, icon=":material/download:", on_click="ignore",
                       type="tertiary", help="The .safetensors file: weights and metadata (config, dataset, metrics). "
                                             "Put it in another genviz's checkpoint folder, or load it with "
                                             "genviz.core.checkpoints.load.")
