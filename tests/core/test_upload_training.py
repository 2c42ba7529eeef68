"""Every kind the Train page offers trains on an uploaded dataset of an odd size (2 steps), or refuses
it in one sentence (a kind with its own constraint, e.g. square images or a fixed image pair)."""
from __future__ import annotations

import io

import numpy as np
import pytest

from genviz.core import registry, uploads
from genviz.core.errors import ConfigError
from genviz.core.train import TrainParams, new_run


@pytest.fixture(scope="module")
def odd_upload():
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    np.savez(buf, x=rng.integers(0, 256, (40, 13, 17, 3), dtype=np.uint8), y=np.array(["a", "b"] * 20))
    return uploads.read_upload("odd.npz", buf.getvalue()).data


@pytest.mark.parametrize("kind", [s.kind for s in registry.kinds() if s.trainable_in_app])
def test_every_trainable_kind_takes_two_steps_on_a_13x17_colour_upload(kind, odd_upload):
    assert odd_upload.image_shape == (3, 13, 17)
    spec = registry.get(kind)
    values = {p.name: p.default for p in spec.params}
    try:
        run = new_run(kind, odd_upload, values, TrainParams(seed=0, epochs=1, batch_size=16, max_steps=2), "cpu")
    except ConfigError as err:
        assert spec.family not in ("autoencoder", "classifier") and "\n" not in str(err), str(err)
        return
    records = list(run.fit())
    assert records and records[-1].step == 2
    assert all(np.isfinite(v) for v in records[-1].metrics.values())
