"""Sample files: the .npy and PNG bytes that `genviz sample` writes and the pages offer for download."""
from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image

from genviz.core import exports


def test_npy_is_the_samples_as_float32_nchw_in_unit_range():
    images = torch.rand(7, 3, 9, 5, generator=torch.Generator().manual_seed(0)) * 1.2 - 0.1
    arr = np.load(io.BytesIO(exports.samples_npy(images)), allow_pickle=False)
    assert arr.shape == (7, 3, 9, 5) and arr.dtype == np.float32
    assert arr.min() >= 0.0 and arr.max() <= 1.0
    inside = (images >= 0) & (images <= 1)
    assert np.array_equal(arr[inside.numpy()], images[inside].numpy()), "values in [0, 1] are kept exactly"


def test_png_is_a_grid_ten_to_a_row_of_56_px_tiles():
    images = torch.rand(23, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    im = Image.open(io.BytesIO(exports.samples_png(images)))
    assert im.format == "PNG"
    tile = 8 * (exports.GRID_TILE_PX // 8)  # 56 px
    assert im.size == (10 * (tile + 1) + 1, 3 * (tile + 1) + 1), "10 columns, 3 rows, 1-px gaps"
    few = Image.open(io.BytesIO(exports.samples_png(images[:3])))
    assert few.size[0] == 3 * (tile + 1) + 1, "fewer than 10 samples make one short row"
