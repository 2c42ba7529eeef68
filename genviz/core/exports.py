"""Files a user takes away: generated samples as a .npy array and as a PNG grid.

`python -m genviz sample` and the download buttons of the sample pages write the same bytes.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image
from torch import Tensor

from genviz.core import figures

GRID_COLUMNS = 10
GRID_TILE_PX = 56  # each sample about this many pixels tall in the PNG grid


def samples_npy(images: Tensor) -> bytes:
    """`images` (N, C, H, W) in [0, 1] as a float32 .npy file of that shape (`numpy.load` reads it)."""
    buf = io.BytesIO()
    np.save(buf, images.detach().float().clamp(0, 1).cpu().numpy(), allow_pickle=False)
    return buf.getvalue()


def samples_png(images: Tensor, nrow: int = GRID_COLUMNS) -> bytes:
    """`images` (N, C, H, W) in [0, 1] tiled `nrow` to a row, enlarged to ~56 px each, as PNG bytes."""
    grid = figures.image_grid(images, nrow=min(nrow, len(images)), scale=figures.pixel_scale(images.shape, GRID_TILE_PX))
    buf = io.BytesIO()
    Image.fromarray(grid).save(buf, format="PNG")
    return buf.getvalue()
